#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# checkpoint/restore of a container the runtime wires to a CNI network: its
# veth's other end is on the host, which CRIU cannot dump, so the network
# namespace is checkpointed empty and the network attached again on restore
# (before any restored process runs). Needs a kernel CRIU works on: the `vm`
# suite runs this file in its checkpoint guest; elsewhere it is skipped.
load helpers
load ../integration/helpers

setup_file() {
  export CRIU_SKIP=""
  CRIU_SKIP=$("$SRCDIR/tests/helpers/criu-check.sh") || true
}

setup() {
  [ -z "$CRIU_SKIP" ] || skip "$CRIU_SKIP"
  cni_setup
  setup_bundle true
  mkdir -p "$TMP/conf"
  jq -n --arg dd "$TMP/ipam" '{cniVersion: "1.0.0", name: "uocinet", plugins: [
      {type: "ulysses-cni-bridge", bridge: "uocibr1", isGateway: true, ipMasq: true,
       ipam: {type: "ulysses-ipam", dataDir: $dd, ranges: [[{subnet: "10.99.31.0/24"}]], routes: [{dst: "0.0.0.0/0"}]}}]}' \
    >"$TMP/conf/10-uocinet.conflist"
  cfg '.annotations["org.ulysses.network"] = "uocinet" |
       .process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.effective += ["CAP_NET_RAW"] |
       .process.capabilities.permitted += ["CAP_NET_RAW"]'
  c1=netcr-$$-$BATS_TEST_NUMBER
}

teardown() { runtime_net_teardown; }
leases() { cat "$TMP/ipam/uocinet" 2>/dev/null | grep -v '^#' || true; }

@test "a container on a CNI network: checkpoint frees its address, restore attaches it again" {
  cfg '.process.args = ["sh", "-c", "exec </dev/null >/dev/null 2>&1; exec sleep 1000"]'
  huoci run -d --bundle "$BUNDLE" $c1
  [ "$(leases | wc -l)" -eq 1 ]
  huoci checkpoint --image-path "$TEST_TMP/image" $c1
  # the container is gone, and so is its network (DEL ran)
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  huoci restore -d --bundle "$BUNDLE" --image-path "$TEST_TMP/image" $c1
  pid=$(huoci state $c1 | jq .pid)
  addr=$(nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0 | awk '{print $4}')
  [[ $addr == 10.99.31.*/24 ]]
  [ "$(leases | wc -l)" -eq 1 ]
  run huoci exec $c1 ping -c 1 -W 5 10.99.31.1
  echo "$output"
  [ "$status" -eq 0 ]
  huoci delete -f $c1
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
}

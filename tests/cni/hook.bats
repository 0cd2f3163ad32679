#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ulysses-cni-hook (and through it libcnirun): conflist ADD/DEL from OCI state.

load helpers

setup() {
  cni_setup
  [ -x "$CNI_BIN_DIR/ulysses-cni-hook" ] || skip "hook not built"
  mkdir -p "$TMP/conf"
  conflist '[{"type":"ulysses-cni-bridge","bridge":"uocibr0","isGateway":true,"ipMasq":true,
             "capabilities":{"portMappings":true},
             "ipam":{"type":"ulysses-ipam","dataDir":"'"$TMP/ipam"'","ranges":[[{"subnet":"10.99.20.0/24"}]],
                     "routes":[{"dst":"0.0.0.0/0"}]}}]' >"$TMP/conf/10-uocitest.conflist"
}
teardown() {
  [ -n "${SLEEPER:-}" ] && kill "$SLEEPER" 2>/dev/null
  cni_teardown
}

conflist() { jq -n --argjson p "$1" '{cniVersion:"1.0.0", name:"uocitest", plugins:$p}'; }

# hook ACTION STATE_JSON: run the hook inside the private host netns
hook() {
  echo "$2" | ip netns exec "$HOSTNS" env -i PATH="$SAFE_PATH" CNI_CONF_DIR="$TMP/conf" CNI_PATH="$CNI_BIN_DIR" \
    ULYSSES_CNI_CACHE_DIR="$TMP/cache" "$CNI_BIN_DIR/ulysses-cni-hook" "$1"
}

start_container() { # NS: a process in that netns stands in for the container
  mkns "$1"
  ip netns exec "$T-$1" sleep 300 &
  SLEEPER=$!
}

@test "hook add attaches /proc/PID/ns/net with port mappings; del after the process died frees everything" {
  start_container c1
  state=$(jq -n --argjson pid "$SLEEPER" '{ociVersion:"1.0.2", id:"hook1", pid:$pid, status:"creating",
          annotations:{"org.ulysses.network":"uocitest","org.ulysses.ports":"18282:80/tcp,5353:53/udp"}}')
  hook add "$state"
  ip=$(ns_ip4 c1)
  [[ $ip == 10.99.20.* ]]
  [ "$(leases)" = "${ip%/*} hook1 eth0" ]
  nft_rules | grep -q "tcp dport 18282 dnat to ${ip%/*}:80"
  nft_rules | grep -q "udp dport 5353 dnat to ${ip%/*}:53"
  jq -e '.result.ips[0].address and (.portMappings | length == 2)' "$TMP/cache/uocitest-hook1-eth0.json"
  kill "$SLEEPER"; wait "$SLEEPER" || true
  ip netns del "$T-c1"
  hook del "$state"
  [ -z "$(leases)" ]
  [ -z "$(nft_rules)" ]
  [ -z "$(host_ports)" ]
  [ ! -e "$TMP/cache/uocitest-hook1-eth0.json" ]
  hook del "$state"   # idempotent
}

@test "hook without the network annotation does nothing; bad ports are refused" {
  start_container c1
  hook add "$(jq -n --argjson pid "$SLEEPER" '{id:"n1", pid:$pid, annotations:{}}')"
  [ -z "$(ns_ip4 c1)" ]
  [ -z "$(leases)" ]
  run hook add "$(jq -n --argjson pid "$SLEEPER" '{id:"n1", pid:$pid, annotations:{"org.ulysses.network":"uocitest","org.ulysses.ports":"80:x"}}')"
  [ "$status" = 1 ]
  [[ $output == *"bad org.ulysses.ports"* ]]
  run hook add "$(jq -n --argjson pid "$SLEEPER" '{id:"n1", pid:$pid, annotations:{"org.ulysses.network":"nosuchnet"}}')"
  [ "$status" = 1 ]
  [[ $output == *"not found"* ]]
}

@test "a failing plugin later in the conflist rolls back the ones before it" {
  start_container c1
  jq '.plugins += [{"type":"uoci-no-such-plugin"}]' "$TMP/conf/10-uocitest.conflist" >"$TMP/conf/20.tmp"
  mv "$TMP/conf/20.tmp" "$TMP/conf/10-uocitest.conflist"
  run hook add "$(jq -n --argjson pid "$SLEEPER" '{id:"rb1", pid:$pid, annotations:{"org.ulysses.network":"uocitest"}}')"
  [ "$status" = 1 ]
  [[ $output == *"uoci-no-such-plugin"* ]]
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(ns_ip4 c1)" ]
}

@test "hook del never enters the (possibly reused) pid's netns, yet the container loses its interface" {
  start_container c1
  state=$(jq -n --argjson pid "$SLEEPER" '{id:"live1", pid:$pid, annotations:{"org.ulysses.network":"uocitest"}}')
  hook add "$state"
  [ -n "$(ns_ip4 c1)" ]
  ip -n "$T-c1" link add eth1 type veth peer name eth2   # not ours: must survive
  hook del "$state"
  ! ip -n "$T-c1" link show eth0 || false
  ip -n "$T-c1" link show eth1
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
}

@test "libcni's key rules: a .conf is one plugin (keys as Go structs), capabilities entries are exact" {
  start_container c1
  rm "$TMP/conf/10-uocitest.conflist"
  # a single-plugin .conf whose keys a Go decoder matches in any case
  jq -n --arg dd "$TMP/ipam" '{CNIVersion:"1.0.0", Name:"uocitest", Type:"ulysses-cni-bridge", bridge:"uocibr0",
        isGateway:true, capabilities:{portMappings:true},
        ipam:{type:"ulysses-ipam", dataDir:$dd, ranges:[[{subnet:"10.99.20.0/24"}]]}}' >"$TMP/conf/10-uocitest.conf"
  state=$(jq -n --argjson pid "$SLEEPER" '{id:"conf1", pid:$pid,
          annotations:{"org.ulysses.network":"uocitest","org.ulysses.ports":"18383:80/tcp"}}')
  hook add "$state"
  ip=$(ns_ip4 c1)
  [[ $ip == 10.99.20.* ]]
  nft_rules | grep -q "tcp dport 18383 dnat to ${ip%/*}:80"
  hook del "$state"
  [ -z "$(leases)" ]
  [ -z "$(nft_rules)" ]
  # "PortMappings" is not the capability "portMappings" (a Go map key): no ports passed
  jq '.capabilities = {"PortMappings": true}' "$TMP/conf/10-uocitest.conf" >"$TMP/conf/x" && mv "$TMP/conf/x" "$TMP/conf/10-uocitest.conf"
  hook add "$state"
  [ -n "$(ns_ip4 c1)" ]
  ! nft_rules | grep -q "dport 18383" || false
  hook del "$state"
  [ -z "$(leases)" ]
}

@test "a second add of the same attachment in the same netns finds it made; in another netns the bridge refuses it" {
  start_container c1
  state=$(jq -n --argjson pid "$SLEEPER" '{id:"twice1", pid:$pid, annotations:{"org.ulysses.network":"uocitest","org.ulysses.ports":"18283:80/tcp"}}')
  hook add "$state"
  ip=$(ns_ip4 c1)
  hook add "$state"   # e.g. ulysses-oci attached from the annotation, then this hook runs
  [ "$(ns_ip4 c1)" = "$ip" ]
  [ "$(leases)" = "${ip%/*} twice1 eth0" ]
  [ "$(nft_rules | grep -c 'dport 18283')" -eq 2 ]   # prerouting and output, once each
  # other port mappings are another request: the plugin refuses the existing eth0
  run hook add "$(jq -n --argjson pid "$SLEEPER" '{id:"twice1", pid:$pid, annotations:{"org.ulysses.network":"uocitest","org.ulysses.ports":"18284:80/tcp"}}')"
  [ "$status" = 1 ]
  [[ $output == *"already exists"* ]]
  # the same id, network and ifname in another namespace is not the attachment made:
  # the plugins run there, and the bridge refuses to take c1's attachment away
  mkns c2
  ip netns exec "$T-c2" sleep 300 &
  other=$!
  run hook add "$(jq -n --argjson pid "$other" '{id:"twice1", pid:$pid, annotations:{"org.ulysses.network":"uocitest","org.ulysses.ports":"18283:80/tcp"}}')"
  kill $other
  [ "$status" = 1 ]
  [[ $output == *"container twice1 is already attached to network uocitest as eth0"* ]]
  [ -z "$(ns_ip4 c2)" ]
  [ "$(ns_ip4 c1)" = "$ip" ]
  [ "$(leases)" = "${ip%/*} twice1 eth0" ]
  hook del "$state"
  [ -z "$(leases)" ]
  [ -z "$(nft_rules)" ]
  [ -z "$(host_ports)" ]
}

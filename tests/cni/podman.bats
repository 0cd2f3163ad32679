#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# podman (CNI backend, private configuration and storage) with a conflist of
# ulysses-cni-bridge: the container gets its address, port mapping rules exist
# while it runs, and removing it frees everything. podman itself runs inside
# the test's private netns, so the bridge and nft table live there.

load helpers

setup() {
  cni_setup
  command -v podman >/dev/null || skip "needs podman"
  command -v runc >/dev/null || skip "needs runc"
  [ -x /bin/busybox ] || skip "needs busybox-static"
  CGP="uoci-test-podman-$$-$BATS_TEST_NUMBER"
  mkdir -p "$TMP/rootfs/bin" "$TMP/net.d" "$TMP/tmp"
  cp /bin/busybox "$TMP/rootfs/bin/"
  for c in sh ip sleep; do ln -s busybox "$TMP/rootfs/bin/$c"; done
  hn=$(ulimit -Hn); hu=$(ulimit -Hu)
  { [ "$hu" = unlimited ] || [ "$hu" -gt 32768 ]; } && hu=32768
  # podman's default rlimits exceed the hard limits here; use the ones we have
  cat >"$TMP/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=$hu:$hu"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$TMP/tmp"
volume_path = "$TMP/volumes"
[network]
network_backend = "cni"
network_config_dir = "$TMP/net.d"
cni_plugin_dirs = ["$CNI_BIN_DIR"]
CONF
  jq -n --arg dd "$TMP/ipam" '{cniVersion:"1.0.0", name:"uocitest", plugins:[{type:"ulysses-cni-bridge",
    bridge:"uocipod0", isGateway:true, ipMasq:true, hairpinMode:true, capabilities:{portMappings:true},
    ipam:{type:"ulysses-ipam", dataDir:$dd, ranges:[[{subnet:"10.99.41.0/24"}]], routes:[{dst:"0.0.0.0/0"}]}}]}' \
    >"$TMP/net.d/uocitest.conflist"
}

teardown() {
  [ -n "${TMP:-}" ] && [ -d "$TMP/root" ] && pm rm -fa >/dev/null 2>&1
  # the cgroups podman made under our parent (conmon's is never removed by podman)
  local d
  for d in /sys/fs/cgroup/*/"${CGP:-none}"; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  [ -n "${TMP:-}" ] && [ -d "$TMP/root" ] && umount -R "$TMP/root" 2>/dev/null
  cni_teardown
}

# podman with private storage, inside the private netns (nsenter, not ip netns
# exec: that would remount /sys and hide the cgroup hierarchy from runc)
pm() {
  nsenter --net="/run/netns/$HOSTNS" env CONTAINERS_CONF="$TMP/containers.conf" \
    podman --root "$TMP/root" --runroot "$TMP/runroot" --storage-driver vfs --runtime runc \
    --cgroup-manager cgroupfs --events-backend file "$@"
}

@test "podman run on a ulysses-cni-bridge network: address, port mapping, and cleanup on rm" {
  run pm run --rm --cgroup-parent "/$CGP" --network uocitest --rootfs "$TMP/rootfs" /bin/ip -4 -o addr show eth0
  echo "$output"
  [ "$status" = 0 ]
  [[ $output == *"inet 10.99.41."* ]]
  [ -z "$(leases)" ]
  [ -z "$(host_ports uocipod0)" ]

  pm run -d --name "uoci-$$" --cgroup-parent "/$CGP" --network uocitest -p 18484:80 --rootfs "$TMP/rootfs" /bin/sleep 60
  [ "$(leases | wc -l)" = 1 ]
  ip=$(leases | awk '{print $1}')
  nft_rules | grep -q "tcp dport 18484 dnat to $ip:80"
  [ "$(host_ports uocipod0 | wc -l)" = 1 ]
  pm rm -f -t 0 "uoci-$$"
  [ -z "$(leases)" ]
  [ -z "$(nft_rules)" ]
  [ -z "$(host_ports uocipod0)" ]
}

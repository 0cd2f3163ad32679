#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The runtime wires CNI itself: annotations org.ulysses.network / .ports make
# `create` run ADD on the container's netns and `delete` run DEL. Everything
# runs inside a private "host" netns (nsenter, so /sys and the cgroups stay
# visible), on a test subnet that exists only there.
load helpers
load ../integration/helpers

setup() {
  cni_setup
  setup_bundle true
  mkdir -p "$TMP/conf"
  jq -n --arg dd "$TMP/ipam" '{cniVersion: "1.0.0", name: "uocinet", plugins: [
      {type: "ulysses-cni-bridge", bridge: "uocibr1", isGateway: true, ipMasq: true,
       capabilities: {portMappings: true},
       ipam: {type: "ulysses-ipam", dataDir: $dd, ranges: [[{subnet: "10.99.31.0/24"}]], routes: [{dst: "0.0.0.0/0"}]}}]}' \
    >"$TMP/conf/10-uocinet.conflist"
  cfg '.annotations["org.ulysses.network"] = "uocinet" |
       .process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.effective += ["CAP_NET_RAW"] |
       .process.capabilities.permitted += ["CAP_NET_RAW"]'
  c1=net1-$$-$BATS_TEST_NUMBER; c2=net2-$$-$BATS_TEST_NUMBER
}
teardown() { runtime_net_teardown; }
leases() { cat "$TMP/ipam/uocinet" 2>/dev/null | grep -v '^#' || true; }
host_rules() { ip netns exec "$HOSTNS" nft list table ip ulysses-cni 2>/dev/null | grep -c comment || true; }
# client_get ADDR PORT WANT: GET / from the client netns until the answer has WANT (5 s at most)
client_get() {
  local got="" i
  for i in $(seq 50); do
    got=$(ip netns exec "$T-client" timeout 2 bash -c 'exec 5<>"/dev/tcp/$0/$1"; printf "GET / HTTP/1.0\r\n\r\n" >&5; cat <&5' "$1" "$2" 2>/dev/null || true)
    [[ "$got" == *"$3"* ]] && return 0
    sleep 0.1
  done
  echo "no $3 from $1:$2: $got"
  return 1
}

@test "create attaches the container: an address on eth0, a default route, a lease; delete frees it all" {
  cfg '.process.args = ["sleep", "100"]'
  huoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  addr=$(nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0 | awk '{print $4}')
  [[ $addr == 10.99.31.*/24 ]]
  nsenter --net=/proc/$pid/ns/net ip route | grep -q "^default via 10.99.31.1"
  [ "$(leases | wc -l)" -eq 1 ]
  [ -n "$(host_links)" ]
  huoci delete -f $c1
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
}

@test "two containers on the network ping each other" {
  cfg '.process.args = ["sleep", "100"]'
  huoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid1" $c1
  p1=$(cat "$TEST_TMP/pid1")
  ip1=$(nsenter --net=/proc/$p1/ns/net ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
  cfg ".process.args = [\"ping\", \"-c\", \"2\", \"-W\", \"2\", \"$ip1\"]"
  run huoci run --bundle "$BUNDLE" $c2
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"2 packets received"* ]]
}

@test "a port mapping reaches a server in a container from the host side" {
  mkdir -p "$BUNDLE/rootfs/www" && echo hello-from-ulysses >"$BUNDLE/rootfs/www/index.html"
  cfg '.annotations["org.ulysses.ports"] = "18080:80/tcp" | .process.args = ["httpd", "-f", "-p", "80", "-h", "/www"] |
       .process.capabilities.bounding += ["CAP_NET_BIND_SERVICE"]'
  huoci run -d --bundle "$BUNDLE" $c1
  mkns client
  ip link add "ucv$$" netns "$HOSTNS" type veth peer name eth0 netns "$T-client"
  ip -n "$HOSTNS" addr add 10.99.32.1/24 dev "ucv$$" && ip -n "$HOSTNS" link set "ucv$$" up
  ip -n "$T-client" addr add 10.99.32.2/24 dev eth0 && ip -n "$T-client" link set eth0 up
  client_get 10.99.32.1 18080 hello-from-ulysses
  huoci delete -f $c1
  [ "$(host_rules)" = 0 ]
}

@test "a dual-stack network: the container has its IPv6 address and route, and published ports answer over IPv6" {
  jq -n --arg dd "$TMP/ipam" '{cniVersion: "1.1.0", name: "uocinet6", plugins: [
      {type: "ulysses-cni-bridge", bridge: "uocibr2", isGateway: true, isDefaultGateway: true, ipMasq: true,
       capabilities: {portMappings: true},
       ipam: {type: "ulysses-ipam", dataDir: $dd, ranges: [[{subnet: "10.99.33.0/24"}], [{subnet: "fd99:33::/64"}]]}}]}' \
    >"$TMP/conf/20-uocinet6.conflist"
  mkdir -p "$BUNDLE/rootfs/www" && echo hello-over-ipv6 >"$BUNDLE/rootfs/www/index.html"
  cfg '.annotations["org.ulysses.network"] = "uocinet6" |
       .annotations["org.ulysses.ports"] = "18086:80/tcp,[::]:18087:80,0.0.0.0:18088:80" |
       .process.args = ["httpd", "-f", "-p", "[::]:80", "-h", "/www"] |
       .process.capabilities.bounding += ["CAP_NET_BIND_SERVICE"]'
  huoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  [ "$(nsenter --net=/proc/$pid/ns/net ip -6 -o addr show dev eth0 scope global | awk '{print $4}')" = fd99:33::2/64 ]
  nsenter --net=/proc/$pid/ns/net ip -6 route | grep -q "^default via fd99:33::1 dev eth0"
  grep -rq '"fd99:33::2/64"' "$TMP/cache"   # the cached result (for DEL) has it too
  mkns client
  ip link add "ucw$$" netns "$HOSTNS" type veth peer name eth0 netns "$T-client"
  ip -n "$HOSTNS" addr add fd99:34::1/64 dev "ucw$$" nodad && ip -n "$HOSTNS" link set "ucw$$" up
  ip -n "$T-client" addr add fd99:34::2/64 dev eth0 nodad && ip -n "$T-client" link set eth0 up
  client_get fd99:34::1 18086 hello-over-ipv6
  client_get fd99:34::1 18087 hello-over-ipv6
  # a host address in front keeps a port to its family
  ip netns exec "$HOSTNS" nft list table ip6 ulysses-cni | grep -q 'dport 18087 dnat'
  ! ip netns exec "$HOSTNS" nft list table ip ulysses-cni | grep -q 'dport 18087' || false
  ip netns exec "$HOSTNS" nft list table ip ulysses-cni | grep -q 'dport 18088 dnat'
  ! ip netns exec "$HOSTNS" nft list table ip6 ulysses-cni | grep -q 'dport 18088' || false
  huoci delete -f $c1
  [ -z "$(ip netns exec "$HOSTNS" nft list table ip6 ulysses-cni 2>/dev/null | grep comment)" ]
  [ -z "$(cat "$TMP/ipam/uocinet6" 2>/dev/null)" ]
}

@test "an unknown network fails create and leaves nothing behind" {
  cfg '.annotations["org.ulysses.network"] = "nosuchnet"'
  run huoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"network nosuchnet"* ]]
  [ "${#lines[@]}" -eq 1 ]   # once: the failed ADD undid itself, no DEL to report
  [ ! -e "$STATE/$c1" ]
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
}

@test "a create that fails after the network was attached detaches it" {
  cfg '.hooks.createRuntime = [{"path": "/bin/false"}]'
  run huoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [ ! -e "$STATE/$c1" ]
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  [ "$(host_rules)" = 0 ]
}

# docs/CNI.md's hook example: the same config for runc/crun (the hook attaches)
# and for ulysses-oci (the runtime attaches from the annotation, the hook's ADD
# finds the attachment made, both DELs are harmless).
@test "a config with the annotation and ulysses-cni-hook runs under ulysses-oci" {
  hook=$CNI_BIN_DIR/ulysses-cni-hook
  jq --arg h "$hook" --arg env "CNI_PATH=$CNI_BIN_DIR" --arg conf "CNI_CONF_DIR=$TMP/conf" --arg cache "ULYSSES_CNI_CACHE_DIR=$TMP/cache" \
    '.annotations["org.ulysses.ports"] = "18081:80/tcp" | .process.args = ["sleep", "100"] |
     .hooks.createRuntime = [{"path": $h, "args": ["ulysses-cni-hook", "add"], "env": [$env, $conf, $cache]}] |
     .hooks.poststop = [{"path": $h, "args": ["ulysses-cni-hook", "del"], "env": [$env, $conf, $cache]}]' \
    "$BUNDLE/config.json" >"$TEST_TMP/c.json" && mv "$TEST_TMP/c.json" "$BUNDLE/config.json"
  huoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  [[ $(nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0 | awk '{print $4}') == 10.99.31.*/24 ]]
  [ "$(leases | wc -l)" -eq 1 ]
  [ "$(host_links | wc -l)" -eq 1 ]
  huoci delete -f $c1
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  [ "$(host_rules)" = 0 ]
}

# refused_net ID WORDS...: create fails with one line holding every WORD and
# leaves no state dir, cgroup or CNI result cache entry of ID
refused_net() {
  local id=$1; shift
  status=0
  huoci create --bundle "$BUNDLE" "$id" </dev/null >"$TEST_TMP/out" 2>&1 || status=$?
  output=$(cat "$TEST_TMP/out")
  mapfile -t lines <"$TEST_TMP/out"
  echo "status $status: $output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  local w
  for w in "$@"; do [[ $output == *"$w"* ]] || { echo "missing: $w"; return 1; }; done
  [ ! -e "$STATE/$id" ] || { echo "state left"; return 1; }
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null | grep -q . || { echo "cgroup left"; return 1; }
  ! grep -rqs "$id" "$TMP/cache" || { echo "CNI cache left"; return 1; }
}

@test "a published port the host listens on, or another container maps, is refused and leaves nothing behind" {
  host_listen tcp 0.0.0.0 18091
  host_listen udp 127.0.0.1 18094
  cfg '.annotations["org.ulysses.ports"] = "18090:80/tcp,18091:80/tcp" | .process.args = ["sleep", "100"]'
  refused_net $c1 "network uocinet: host port tcp/18091 is in use on the host (a socket listens on 0.0.0.0:18091)"
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  [ "$(host_rules)" = 0 ]
  cfg '.annotations["org.ulysses.ports"] = "18094:53/udp"'
  refused_net $c1 "host port udp/18094 is in use on the host (a socket listens on 127.0.0.1:18094)"
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  [ "$(host_rules)" = 0 ]
  # a port another container maps
  cfg '.annotations["org.ulysses.ports"] = "18092:80/tcp"'
  huoci create --bundle "$BUNDLE" $c1
  rules=$(host_rules)
  cfg '.annotations["org.ulysses.ports"] = "18093:80/udp,18092:81/tcp"'
  refused_net $c2 "network uocinet: host port tcp/18092 is already mapped by uocinet $c1/eth0"
  [ "$(leases | wc -l)" -eq 1 ]
  [ "$(host_links | wc -l)" -eq 1 ]
  [ "$(host_rules)" = "$rules" ]
  huoci delete -f $c1
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  [ "$(host_rules)" = 0 ]
}

@test "a network without a network namespace, or bad ports, is refused" {
  cfg '.linux.namespaces |= map(select(.type != "network"))'
  run huoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"needs a new network namespace"* ]]
  cfg '.linux.namespaces += [{"type": "network"}] | .annotations["org.ulysses.ports"] = "80:x"'
  run huoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"org.ulysses.ports"* ]]
  [ ! -e "$STATE/$c1" ]
  for p in 4294967376:80 80:4294967376 +80:80 80:-0; do # no wrap to port 80, no sign
    cfg ".annotations[\"org.ulysses.ports\"] = \"$p\""
    run huoci create --bundle "$BUNDLE" $c1
    [ "$status" -ne 0 ]
    [[ "$output" == *"org.ulysses.ports=\"$p\""* ]]
    [ ! -e "$STATE/$c1" ]
  done
}

@test "after kill -9 of the container's processes, delete still frees the address" {
  cfg '.process.args = ["sleep", "100"]'
  huoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  [ "$(leases | wc -l)" -eq 1 ]
  kill -9 "$(cat "$TEST_TMP/pid")"
  for i in $(seq 100); do [ "$(huoci state $c1 | jq -r .status)" = stopped ] && break; sleep 0.02; done
  huoci delete $c1
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
  [ "$(host_rules)" = 0 ]
}

@test "on the CNI network lo is up too: an exec'd client reaches a server on 127.0.0.1 (redis-cli ping style)" {
  printf '#!/bin/sh\nread -r line; [ "$line" = PING ] && echo +PONG\n' >"$BUNDLE/rootfs/pong" && chmod 755 "$BUNDLE/rootfs/pong"
  cfg '.process.args = ["nc", "-ll", "-p", "6379", "-e", "/pong"]'
  huoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0 | grep -q 10.99.31.
  got=""
  for i in $(seq 50); do
    got=$(huoci exec $c1 sh -c 'echo PING | nc -w 1 127.0.0.1 6379' 2>&1 || true)
    [ "$got" = +PONG ] && break
    sleep 0.1
  done
  [ "$got" = +PONG ]
}

@test "a second create with the id of a running container fails and leaves its network alone" {
  cfg '.process.args = ["sleep", "100"]'
  huoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  before=$(leases)
  links=$(host_links)
  [ -n "$before" ]
  [ -n "$links" ]
  run huoci create --bundle "$BUNDLE" $c1
  [ "$status" -eq 1 ]
  [[ "$output" == *"container \"$c1\" already exists"* ]]
  # no CNI DEL ran for the running container's id: its lease, veth and
  # address are all still there
  [ "$(leases)" = "$before" ]
  [ "$(host_links)" = "$links" ]
  nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0 | grep -q 10.99.31.
  [ "$(huoci state $c1 | jq -r .status)" = running ]
  huoci delete -f $c1
  [ -z "$(leases)" ]
  [ -z "$(host_links)" ]
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ulysses-cni-bridge with IPv6: dual stack (one range set per family) and
# IPv6 only; addresses and routes usable when ADD returns, the bridge's
# gateways, masquerade and port mappings in the ip6 table, CHECK/DEL/GC.

load helpers

setup() { cni_setup; }
teardown() { cni_teardown; }

# dualconf V4SUBNET V6SUBNET [EXTRA_JSON]: a dual-stack bridge config
dualconf() {
  jq -n --arg s4 "$1" --arg s6 "$2" --arg dd "$TMP/ipam" --argjson x "${3:-{\}}" '
    {cniVersion: "1.1.0", name: "uocitest", type: "ulysses-cni-bridge", bridge: "uocibr0",
     isGateway: true, ipMasq: true,
     ipam: {type: "ulysses-ipam", dataDir: $dd, ranges: [[{subnet: $s4}], [{subnet: $s6}]],
            routes: [{dst: "0.0.0.0/0"}, {dst: "::/0"}]}} + $x'
}
ns_ip6() { ip -n "$T-$1" -6 -o addr show dev "${2:-eth0}" scope global 2>/dev/null | awk '{print $4}'; }
res_ip6() { jq -r '[.ips[] | select(.address | contains(":"))][0].address | split("/")[0]' "$TMP/res-$1.json"; }
leases6() { leases | grep ':' || true; }

@test "dual stack: one address of each family, both default routes, usable at once; CHECK; DEL leaves nothing" {
  mkns c1
  dualconf 10.99.60.0/24 fd99:60::/64 >"$TMP/net.json"
  add ctr1 c1 "$TMP/net.json"
  r="$TMP/res-ctr1.json"
  cat "$r"
  [ "$(jq '.ips | length' "$r")" = 2 ]
  [ "$(jq -r '.ips[1].address' "$r")" = fd99:60::2/64 ]
  [ "$(jq -r '.ips[1].gateway' "$r")" = fd99:60::1 ]
  [ "$(jq -r '.ips[1].interface' "$r")" = 2 ]
  [ "$(ns_ip4 c1)" = 10.99.60.2/24 ]
  [ "$(ns_ip6 c1)" = fd99:60::2/64 ]
  # usable at once: nothing tentative (no DAD, as the reference bridge plugin),
  # and the gateway answers without a wait
  [ -z "$(ip -n "$T-c1" -6 addr show dev eth0 tentative)" ]
  [ "$(ip netns exec "$T-c1" cat /proc/sys/net/ipv6/conf/eth0/accept_dad)" = 0 ]
  pingns c1 fd99:60::1
  pingns c1 10.99.60.1
  [ "$(ip -n "$T-c1" -6 -j route show default | jq -r '.[0].gateway')" = fd99:60::1 ]
  [ "$(ip -n "$T-c1" -4 -j route show default | jq -r '.[0].gateway')" = 10.99.60.1 ]
  ip -n "$HOSTNS" -6 -o addr show dev uocibr0 | grep -q ' fd99:60::1/64 '
  [ -z "$(ip -n "$HOSTNS" -6 addr show dev uocibr0 scope global tentative)" ]
  [ "$(ip netns exec "$HOSTNS" cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]
  [ "$(ip netns exec "$HOSTNS" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
  [ "$(leases6)" = "fd99:60::2 ctr1 eth0" ]
  ip netns exec "$HOSTNS" nft list table ip6 ulysses-cni | grep -q 'ip6 saddr fd99:60::2 ip6 daddr != { fd99:60::/64, ff00::/8 } masquerade'
  jq --slurpfile p "$r" '. + {prevResult: $p[0]}' "$TMP/net.json" >"$TMP/check.json"
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=ctr1 CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 0 ]
  [ -z "$output" ]
  ip -n "$T-c1" -6 route del default
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=ctr1 CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 1 ]
  echo "$output" | jq -e '.msg | test("route to ::/0 is missing")'
  ip -n "$T-c1" -6 route add default via fd99:60::1 dev eth0
  ip -n "$T-c1" -6 addr del fd99:60::2/64 dev eth0
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=ctr1 CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 1 ]
  echo "$output" | jq -e '.msg | test("lacks address fd99:60::2/64")'
  del ctr1 c1 "$TMP/net.json"
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(nft_rules)" ]
  [ ! -e "$TMP/ipam/uocitest" ]
}

@test "IPv6 only: two containers reach each other; a 0.4.0 result says version 6; no IPv4 is touched" {
  mkns a; mkns b
  jq -n --arg dd "$TMP/ipam" '{cniVersion: "0.4.0", name: "uocitest", type: "ulysses-cni-bridge", bridge: "uocibr0",
     isDefaultGateway: true, ipam: {type: "ulysses-ipam", dataDir: $dd,
     ranges: [[{subnet: "fd99:61::/64", rangeStart: "fd99:61::100", rangeEnd: "fd99:61::1ff"}]]}}' >"$TMP/net.json"
  add a a "$TMP/net.json"
  add b b "$TMP/net.json"
  jq -e '.ips == [{"version":"6","address":"fd99:61::100/64","interface":2,"gateway":"fd99:61::1"}]' "$TMP/res-a.json"
  jq -e '.routes == [{"dst":"::/0","gw":"fd99:61::1"}]' "$TMP/res-a.json"
  [ "$(ns_ip6 b)" = fd99:61::101/64 ]
  [ -z "$(ns_ip4 a)" ]
  pingns a fd99:61::101
  pingns b fd99:61::1
  [ "$(ip netns exec "$HOSTNS" cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
  [ -z "$(ip -n "$HOSTNS" -4 addr show dev uocibr0)" ]
  del a a "$TMP/net.json"; del b b "$TMP/net.json"
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
}

@test "IPv6 port mappings: hostIP \"\" maps both families, \"::\" and an IPv6 hostIP only IPv6; masquerade and hairpin over IPv6" {
  command -v busybox >/dev/null || skip "needs busybox httpd"
  mkns c1; mkns ext
  ip -n "$HOSTNS" link add uociext0 type veth peer name eth0 netns "$T-ext"
  ip -n "$HOSTNS" addr add 10.99.251.1/24 dev uociext0
  ip -n "$HOSTNS" addr add fd99:251::1/64 dev uociext0 nodad
  ip -n "$HOSTNS" link set uociext0 up
  ip -n "$T-ext" addr add 10.99.251.2/24 dev eth0
  ip -n "$T-ext" addr add fd99:251::2/64 dev eth0 nodad
  ip -n "$T-ext" link set eth0 up
  dualconf 10.99.62.0/24 fd99:62::/64 '{"hairpinMode":true,"runtimeConfig":{"portMappings":[
    {"hostPort":18281,"containerPort":8080,"protocol":"tcp","hostIP":""},
    {"hostPort":18282,"containerPort":8080,"protocol":"tcp","hostIP":"::"},
    {"hostPort":18283,"containerPort":8080,"protocol":"tcp","hostIP":"fd99:251::1"}]}}' >"$TMP/net.json"
  add c c1 "$TMP/net.json"
  ip6=$(res_ip6 c)
  pingns c1 fd99:251::2   # ext has no route back to fd99:62::/64: only works masqueraded
  mkdir -p "$TMP/www" && echo "hello-$T" >"$TMP/www/t"
  ip netns exec "$T-c1" busybox httpd -f -p "[::]:8080" -h "$TMP/www" &
  srv=$!
  sleep 0.3
  get() { timeout 5 ip netns exec "$1" bash -c 'exec 5<>"/dev/tcp/$0/$1" || exit; printf "GET /t HTTP/1.0\r\n\r\n" >&5; cat <&5' "$2" "$3" 2>/dev/null | tail -1; }
  both4=$(get "$T-ext" 10.99.251.1 18281)
  both6=$(get "$T-ext" fd99:251::1 18281)
  any6=$(get "$T-ext" fd99:251::1 18282)
  any6_over4=$(get "$T-ext" 10.99.251.1 18282)
  hip6=$(get "$T-ext" fd99:251::1 18283)
  hairpin6=$(get "$T-c1" fd99:62::1 18281)
  kill "$srv"; wait "$srv" || true
  [ "$both4" = "hello-$T" ]
  [ "$both6" = "hello-$T" ]
  [ "$any6" = "hello-$T" ]
  [ "$any6_over4" != "hello-$T" ]
  [ "$hip6" = "hello-$T" ]
  [ "$hairpin6" = "hello-$T" ]
  nft_rules | grep -q "dnat to \[$ip6\]:8080"
  [ "$(ip netns exec "$HOSTNS" nft list table ip ulysses-cni | grep -c 'dnat to')" = 2 ]   # only 18281 in IPv4
  [ "$(ip netns exec "$HOSTNS" nft list table ip6 ulysses-cni | grep -c 'dnat to')" = 6 ]
  jq --slurpfile p "$TMP/res-c.json" '. + {prevResult: $p[0]}' "$TMP/net.json" >"$TMP/check.json"
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=c CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 0 ]
  # another container mapping 18282 over IPv6 collides; over IPv4 it does not
  mkns c2
  dualconf 10.99.62.0/24 fd99:62::/64 '{"runtimeConfig":{"portMappings":[{"hostPort":18282,"containerPort":80,"hostIP":"::"}]}}' >"$TMP/dup.json"
  run add d c2 "$TMP/dup.json"
  [ "$status" = 1 ]
  jq -e '.msg | contains("host port tcp/18282 is already mapped by uocitest c/eth0")' "$TMP/res-d.json"
  dualconf 10.99.62.0/24 fd99:62::/64 '{"runtimeConfig":{"portMappings":[{"hostPort":18282,"containerPort":80,"hostIP":"0.0.0.0"}]}}' >"$TMP/v4.json"
  add d c2 "$TMP/v4.json"
  del d c2 "$TMP/v4.json"
  del c c1 "$TMP/net.json"
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
}

@test "GC of a dual-stack network frees both leases, the rules of both tables and the veth; keeps the valid one" {
  mkns k; mkns s
  dualconf 10.99.63.0/24 fd99:63::/64 '{"runtimeConfig":{"portMappings":[{"hostPort":19191,"containerPort":80}]}}' >"$TMP/net.json"
  add keep k "$TMP/net.json"
  # the stale one maps a different port
  jq '.runtimeConfig.portMappings[0].hostPort = 19192' "$TMP/net.json" >"$TMP/s.json"
  add stale s "$TMP/s.json"
  [ "$(leases | wc -l)" = 4 ]
  jq '. + {"cni.dev/valid-attachments":[{containerID:"keep",ifname:"eth0"}]}' "$TMP/net.json" >"$TMP/gc.json"
  run plugin CNI_COMMAND=GC ulysses-cni-bridge "$TMP/gc.json"
  [ "$status" = 0 ]
  [ "$(leases | awk '{print $2}' | sort -u)" = keep ]
  [ "$(leases | wc -l)" = 2 ]
  [ "$(host_ports | wc -l)" = 1 ]
  ! nft_rules | grep -q 'stale/eth0' || false
  nft_rules | grep -q "$(res_ip6 keep)"
  ! ip -n "$T-s" link show eth0 || false
  del keep k "$TMP/net.json"
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
}

@test "IPv6 refusals: mtu below 1280, a range set mixing families, a /64 range past the bound; nothing left behind" {
  mkns c1
  dualconf 10.99.64.0/24 fd99:64::/64 '{"mtu":1000}' >"$TMP/mtu.json"
  run add m c1 "$TMP/mtu.json"
  [ "$status" = 1 ]
  jq -e '.code == 7 and (.msg | contains("IPv6 minimum of 1280"))' "$TMP/res-m.json"
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ "$(ip -n "$T-c1" -o link show | wc -l)" = 1 ]
  netconf 10.99.64.0/24 '{}' '{"ranges":[[{"subnet":"10.99.64.0/24"},{"subnet":"fd99:64::/64"}]]}' >"$TMP/mix.json"
  run add x c1 "$TMP/mix.json"
  [ "$status" = 1 ]
  jq -e '.code == 7 and (.msg | contains("mixes IPv4 and IPv6"))' "$TMP/res-x.json"
  netconf 10.99.64.0/24 '{}' '{"ranges":[[{"subnet":"fd99:64::/64","rangeStart":"fd99:64::1","rangeEnd":"fd99:64::ffff:ffff"}]]}' >"$TMP/big.json"
  run add y c1 "$TMP/big.json"
  [ "$status" = 1 ]
  jq -e '.code == 7 and (.msg | contains("more than 1048576 addresses"))' "$TMP/res-y.json"
  [ -z "$(leases)" ]
  [ -z "$(nft_rules)" ]
}

@test "enabledad: DAD runs (accept_dad 1) and ADD returns only once the address is no longer tentative" {
  mkns c1
  dualconf 10.99.65.0/24 fd99:65::/64 '{"enabledad":true}' >"$TMP/net.json"
  add d c1 "$TMP/net.json"
  [ "$(ip netns exec "$T-c1" cat /proc/sys/net/ipv6/conf/eth0/accept_dad)" = 1 ]
  [ "$(ns_ip6 c1)" = fd99:65::2/64 ]
  [ -z "$(ip -n "$T-c1" -6 addr show dev eth0 tentative)" ]
  pingns c1 fd99:65::1
  del d c1 "$TMP/net.json"
}

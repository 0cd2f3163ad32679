#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ulysses-cni-bridge: the CNI verbs, results, errors and cleanup.

load helpers

setup() { cni_setup; }
teardown() { cni_teardown; }

@test "VERSION lists 1.0.0 and 1.1.0 for the plugin and the IPAM" {
  for b in ulysses-cni-bridge ulysses-ipam; do
    out=$(echo '{"cniVersion":"1.0.0"}' | env -i CNI_COMMAND=VERSION "$CNI_BIN_DIR/$b")
    echo "$out" | jq -e '.supportedVersions | index("1.0.0") and index("1.1.0")'
  done
}

@test "ADD wires the container; result matches the kernel; DEL removes veth and lease" {
  mkns c1
  netconf 10.99.1.0/24 >"$TMP/net.json"
  add ctr1 c1 "$TMP/net.json"
  r="$TMP/res-ctr1.json"
  [ "$(jq -r .cniVersion "$r")" = 1.1.0 ]
  [ "$(ns_ip4 c1)" = "$(jq -r '.ips[0].address' "$r")" ]
  [ "$(jq -r '.ips[0].gateway' "$r")" = 10.99.1.1 ]
  [ "$(jq -r '.interfaces[2].mac' "$r")" = "$(ip -n "$T-c1" -j link show eth0 | jq -r '.[0].address')" ]
  [ "$(jq -r '.interfaces[2].sandbox' "$r")" = "$(nspath c1)" ]
  hv=$(jq -r '.interfaces[1].name' "$r")
  [ "$(host_ports)" = "$hv" ]
  [ "$(ip -n "$T-c1" -j route show default | jq -r '.[0].gateway')" = 10.99.1.1 ]
  ip -n "$HOSTNS" -o addr show dev uocibr0 | grep -q ' 10.99.1.1/24'
  [ "$(ip netns exec "$HOSTNS" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
  pingns c1 10.99.1.1
  [ "$(leases)" = "$(res_ip ctr1) ctr1 eth0" ]
  del ctr1 c1 "$TMP/net.json"
  ! ip -n "$T-c1" link show eth0 || false
  [ -z "$(host_ports)" ]
  [ ! -e "$TMP/ipam/uocitest" ]
  [ -z "$(nft_rules)" ]
}

@test "two containers ping each other; spec 0.4.0 results carry ips[].version" {
  mkns a; mkns b
  netconf 10.99.2.0/24 '{"cniVersion":"0.4.0"}' >"$TMP/net.json"
  add a a "$TMP/net.json"
  add b b "$TMP/net.json"
  [ "$(jq -r '.ips[0].version' "$TMP/res-a.json")" = 4 ]
  pingns a "$(res_ip b)"
  del a a "$TMP/net.json"; del b b "$TMP/net.json"
}

@test "CHECK passes on a good attachment and fails when the address is gone" {
  mkns c1
  netconf 10.99.3.0/24 >"$TMP/net.json"
  add c c1 "$TMP/net.json"
  jq --slurpfile p "$TMP/res-c.json" '. + {prevResult: $p[0]}' "$TMP/net.json" >"$TMP/check.json"
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=c CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 0 ]
  [ -z "$output" ]
  ip -n "$T-c1" addr flush dev eth0
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=c CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 1 ]
  echo "$output" | jq -e '.code > 0 and (.msg | test("lacks address"))'
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=c CNI_NETNS="$(nspath c1)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/net.json"
  [ "$status" = 1 ]   # no prevResult
}

@test "DEL is idempotent: twice, without CNI_NETNS, and after the netns is gone" {
  mkns c1; mkns c2
  netconf 10.99.4.0/24 >"$TMP/net.json"
  add x c1 "$TMP/net.json"
  add y c2 "$TMP/net.json"
  del x c1 "$TMP/net.json"
  del x c1 "$TMP/net.json"
  del x "" "$TMP/net.json"
  ip netns del "$T-c2"
  del y c2 "$TMP/net.json"
  del y "" "$TMP/net.json"
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(nft_rules)" ]
}

@test "STATUS succeeds; fails with code 50 when dataDir is not writable" {
  netconf 10.99.5.0/24 >"$TMP/net.json"
  run plugin CNI_COMMAND=STATUS ulysses-cni-bridge "$TMP/net.json"
  [ "$status" = 0 ]
  netconf 10.99.5.0/24 '{}' '{"dataDir":"/proc/uoci-no-such-dir"}' >"$TMP/bad.json"
  run plugin CNI_COMMAND=STATUS ulysses-cni-bridge "$TMP/bad.json"
  [ "$status" = 1 ]
  [ "$(echo "$output" | jq .code)" = 50 ]
}

@test "GC frees stale attachments (lease, veth, rules) and keeps valid ones" {
  mkns k; mkns s
  netconf 10.99.6.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":19090,"containerPort":80,"protocol":"tcp"}]}}' >"$TMP/net.json"
  netconf 10.99.6.0/24 >"$TMP/plain.json"
  add keep k "$TMP/plain.json"
  add stale s "$TMP/net.json"
  sip=$(res_ip stale)
  nft_rules | grep -q "$sip"
  jq '. + {"cni.dev/valid-attachments":[{containerID:"keep",ifname:"eth0"}]}' "$TMP/net.json" >"$TMP/gc.json"
  run plugin CNI_COMMAND=GC ulysses-cni-bridge "$TMP/gc.json"
  [ "$status" = 0 ]
  [ "$(leases)" = "$(res_ip keep) keep eth0" ]
  [ "$(host_ports | wc -l)" = 1 ]
  ! nft_rules | grep -q "$sip" || false
  nft_rules | grep -q "$(res_ip keep)"
  del keep k "$TMP/net.json"
  [ -z "$(nft_rules)" ]
}

@test "GC removes the stale veths of a network whose IPAM is delegated (found by their alias)" {
  mkns k; mkns s
  mkdir "$TMP/bin" && ln -s "$CNI_BIN_DIR/ulysses-ipam" "$TMP/bin/otheripam"
  # no masquerade, no ports: no rule names the stale attachment, only its veth
  netconf 10.99.16.0/24 '{"ipMasq":false,"ipam":{"type":"otheripam","dataDir":"'"$TMP/ipam"'","subnet":"10.99.16.0/24"}}' >"$TMP/net.json"
  CNI_PATH_OVERRIDE="$TMP/bin" add keep k "$TMP/net.json"
  CNI_PATH_OVERRIDE="$TMP/bin" add stale s "$TMP/net.json"
  [ "$(host_ports | wc -l)" = 2 ]
  hv=$(jq -r '.interfaces[1].name' "$TMP/res-stale.json")
  ip -n "$HOSTNS" -d link show "$hv" | grep -q "alias ulysses-cni [0-9a-f]\{16\} uocitest"
  jq '. + {"cni.dev/valid-attachments":[{containerID:"keep",ifname:"eth0"}]}' "$TMP/net.json" >"$TMP/gc.json"
  run plugin CNI_PATH="$TMP/bin" CNI_COMMAND=GC ulysses-cni-bridge "$TMP/gc.json"
  [ "$status" = 0 ]
  [ "$(host_ports)" = "$(jq -r '.interfaces[1].name' "$TMP/res-keep.json")" ]
  ! ip -n "$T-s" link show eth0 || false
  [ "$(leases)" = "10.99.16.2 keep eth0" ]   # the delegated IPAM ran GC too
  CNI_PATH_OVERRIDE="$TMP/bin" del keep k "$TMP/net.json"
  [ -z "$(host_ports)" ]
  [ -z "$(leases)" ]
}

@test "errors are CNI error JSON with the spec's codes and leave nothing behind" {
  mkns c1
  netconf 10.99.7.0/24 >"$TMP/net.json"
  printf '{"cniVersion":"1.1.0","name":"x","type":"ulysses-cni-bridge","ipam":' >"$TMP/malformed.json"
  netconf 10.99.7.0/33 >"$TMP/badcidr.json"
  jq '.cniVersion = "9.9.9"' "$TMP/net.json" >"$TMP/badver.json"
  jq '.mtu = "big"' "$TMP/net.json" >"$TMP/badmtu.json"
  check() { # WANT_CODE ARGS...
    local want=$1; shift
    run plugin "$@"
    echo "$output"
    [ "$status" = 1 ]
    [ "$(echo "$output" | jq .code)" = "$want" ]
    echo "$output" | jq -e '(.msg | length > 0) and has("cniVersion")'
  }
  common=(CNI_COMMAND=ADD CNI_CONTAINERID=e1 CNI_IFNAME=eth0 CNI_NETNS="$(nspath c1)")
  check 6 "${common[@]}" ulysses-cni-bridge "$TMP/malformed.json"
  check 7 "${common[@]}" ulysses-cni-bridge "$TMP/badcidr.json"
  check 1 "${common[@]}" ulysses-cni-bridge "$TMP/badver.json"
  check 7 "${common[@]}" ulysses-cni-bridge "$TMP/badmtu.json"
  check 4 CNI_COMMAND=ADD CNI_CONTAINERID=e1 CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/net.json"
  check 4 CNI_COMMAND=ADD CNI_CONTAINERID=e1 CNI_IFNAME=eth0-name-too-long CNI_NETNS="$(nspath c1)" ulysses-cni-bridge "$TMP/net.json"
  check 4 CNI_COMMAND=ADD CNI_CONTAINERID=../../x CNI_IFNAME=eth0 CNI_NETNS="$(nspath c1)" ulysses-cni-bridge "$TMP/net.json"
  check 4 CNI_COMMAND=FROB CNI_CONTAINERID=e1 CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/net.json"
  check 4 CNI_COMMAND=ADD CNI_CONTAINERID=e1 CNI_IFNAME=eth0 CNI_NETNS=/run/netns/uoci-test-none ulysses-cni-bridge "$TMP/net.json"
  ! ip -n "$HOSTNS" link show uocibr0 || false
  [ "$(ip -n "$T-c1" -o link show | wc -l)" = 1 ]
  [ -z "$(leases)" ]
}

@test "ADD into a netns that already has the ifname fails and changes nothing" {
  mkns c1
  netconf 10.99.8.0/24 >"$TMP/net.json"
  add first c1 "$TMP/net.json"
  before=$(leases; host_ports; nft_rules; ns_ip4 c1)
  run add second c1 "$TMP/net.json"
  [ "$status" = 1 ]
  jq -e '.code == 100' "$TMP/res-second.json"
  [ "$(leases; host_ports; nft_rules; ns_ip4 c1)" = "$before" ]
  del first c1 "$TMP/net.json"
}

@test "exhaustion: a /29 gives 5 addresses; the 6th ADD fails with nothing left behind" {
  netconf 10.99.9.0/29 >"$TMP/net.json"
  for i in 1 2 3 4 5; do mkns "e$i"; add "e$i" "e$i" "$TMP/net.json"; done
  [ "$(for i in 1 2 3 4 5; do res_ip "e$i"; done | sort -u | wc -l)" = 5 ]
  mkns e6
  before=$(leases; host_ports; nft_rules; ip -n "$T-e6" -o link show)
  run add e6 e6 "$TMP/net.json"
  [ "$status" = 1 ]
  jq -e '.code == 101' "$TMP/res-e6.json"
  [ "$(leases; host_ports; nft_rules; ip -n "$T-e6" -o link show)" = "$before" ]
  freed=$(res_ip e3)
  del e3 e3 "$TMP/net.json"
  add e6 e6 "$TMP/net.json"
  [ "$(res_ip e6)" = "$freed" ]
  for i in 1 2 4 5 6; do del "e$i" "e$i" "$TMP/net.json"; done
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
}

@test "50 parallel ADDs get distinct addresses; parallel DELs release everything" {
  netconf 10.99.10.0/24 >"$TMP/net.json"
  for i in $(seq 1 50); do mkns "p$i"; done
  for i in $(seq 1 50); do add "p$i" "p$i" "$TMP/net.json" & done
  wait
  for i in $(seq 1 50); do
    ip=$(res_ip "p$i")
    [ -n "$ip" ]
    [ "$(ns_ip4 "p$i")" = "$ip/24" ]
  done
  [ "$(for i in $(seq 1 50); do res_ip "p$i"; done | sort -u | wc -l)" = 50 ]
  [ "$(leases | wc -l)" = 50 ]
  [ "$(host_ports | wc -l)" = 50 ]
  for i in $(seq 1 50); do del "p$i" "p$i" "$TMP/net.json" & done
  wait
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(nft_rules)" ]
  [ "$(ls "$TMP/ipam")" = lock ]
}

@test "kill -9 mid-ADD, then DEL: no lease, veth or rule leaks; no address is handed out twice" {
  netconf 10.99.11.0/29 '{"runtimeConfig":{"portMappings":[{"hostPort":19191,"containerPort":80}]}}' >"$TMP/net.json"
  killed=0
  for r in $(seq 1 16); do
    mkns "k$r"
    delay=$(printf '0.%03d' $(( (r * 4) % 60 + 1 )))
    ( timeout -s KILL "$delay" ip netns exec "$HOSTNS" env -i PATH="$SAFE_PATH" CNI_COMMAND=ADD \
        CNI_CONTAINERID="k$r" CNI_NETNS="$(nspath "k$r")" CNI_IFNAME=eth0 CNI_PATH="$CNI_BIN_DIR" \
        "$CNI_BIN_DIR/ulysses-cni-bridge" <"$TMP/net.json" >/dev/null 2>&1; exit $? ) 2>/dev/null && rc=0 || rc=$?
    [ "$rc" = 137 ] && killed=$((killed + 1))
    del "k$r" "k$r" "$TMP/net.json"
    ! ip -n "$T-k$r" link show eth0 || false
    ip netns del "$T-k$r"
  done
  echo "killed $killed of 16"
  [ "$killed" -ge 1 ]
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(nft_rules)" ]
  [ -z "$(ip -n "$HOSTNS" -o link show | grep ' vu')" ]
  netconf 10.99.11.0/29 >"$TMP/plain.json"   # one host port cannot go to 5 containers
  for i in 1 2 3 4 5; do mkns "f$i"; add "f$i" "f$i" "$TMP/plain.json"; done
  [ "$(for i in 1 2 3 4 5; do res_ip "f$i"; done | sort -u | wc -l)" = 5 ]
}

@test "masquerade and a port mapping (from outside, localhost and hairpin) work, and DEL removes exactly their rules" {
  command -v busybox >/dev/null || skip "needs busybox httpd"
  mkns c1; mkns ext
  ip -n "$HOSTNS" link add uociext0 type veth peer name eth0 netns "$T-ext"
  ip -n "$HOSTNS" addr add 10.99.250.1/24 dev uociext0
  ip -n "$HOSTNS" link set uociext0 up
  ip -n "$T-ext" addr add 10.99.250.2/24 dev eth0
  ip -n "$T-ext" link set eth0 up
  netconf 10.99.12.0/24 '{"hairpinMode":true,"runtimeConfig":{"portMappings":[{"hostPort":18181,"containerPort":8080,"protocol":"tcp"}]}}' >"$TMP/net.json"
  add c c1 "$TMP/net.json"
  ip=$(res_ip c)
  pingns c1 10.99.250.2   # ext has no route back: only works masqueraded
  mkdir -p "$TMP/www" && echo "hello-$T" >"$TMP/www/t"
  ip netns exec "$T-c1" busybox httpd -f -p 8080 -h "$TMP/www" &
  srv=$!
  sleep 0.3
  get() { timeout 5 ip netns exec "$1" bash -c 'exec 3<>"/dev/tcp/$0/18181"; printf "GET /t HTTP/1.0\r\n\r\n" >&3; cat <&3' "$2" | tail -1; }
  from_ext=$(get "$T-ext" 10.99.250.1)
  from_localhost=$(get "$HOSTNS" 127.0.0.1)
  hairpin=$(get "$T-c1" 10.99.12.1)
  kill "$srv"; wait "$srv" || true
  [ "$from_ext" = "hello-$T" ]
  [ "$from_localhost" = "hello-$T" ]
  [ "$hairpin" = "hello-$T" ]
  nft_rules | grep -q "dnat to $ip:8080"
  nft_rules | grep -q "ip saddr $ip .* masquerade"
  del c c1 "$TMP/net.json"
  [ -z "$(nft_rules)" ]
}

@test "ulysses-ipam standalone and a delegated IPAM binary from CNI_PATH" {
  mkns c1
  jq -n --arg dd "$TMP/ipam" '{cniVersion:"1.0.0",name:"uocitest",ipam:{type:"ulysses-ipam",dataDir:$dd,subnet:"10.99.13.0/24",gateway:"10.99.13.254"}}' >"$TMP/ipam.json"
  run plugin CNI_COMMAND=ADD CNI_CONTAINERID=i1 CNI_NETNS=/x CNI_IFNAME=eth0 ulysses-ipam "$TMP/ipam.json"
  [ "$status" = 0 ]
  [ "$(echo "$output" | jq -r '.ips[0].address')" = 10.99.13.1/24 ]
  run plugin CNI_COMMAND=DEL CNI_CONTAINERID=i1 CNI_IFNAME=eth0 ulysses-ipam "$TMP/ipam.json"
  [ "$status" = 0 ]
  [ -z "$(leases)" ]
  # the bridge plugin execs any other ipam.type from CNI_PATH
  mkdir "$TMP/bin" && ln -s "$CNI_BIN_DIR/ulysses-ipam" "$TMP/bin/otheripam"
  netconf 10.99.14.0/24 '{"ipam":{"type":"otheripam","dataDir":"'"$TMP/ipam"'","subnet":"10.99.14.0/24"}}' >"$TMP/net.json"
  CNI_PATH_OVERRIDE="$TMP/bin" add d c1 "$TMP/net.json"
  [ "$(ns_ip4 c1)" = 10.99.14.2/24 ]
  [ "$(leases)" = "10.99.14.2 d eth0" ]
  CNI_PATH_OVERRIDE="$TMP/bin" del d c1 "$TMP/net.json"
  [ -z "$(leases)" ]
}

@test "keys: mtu, hairpinMode, isDefaultGateway without routes, promiscMode, isGateway=false" {
  mkns a; mkns b
  netconf 10.99.15.0/24 '{"mtu":1400,"hairpinMode":true,"isDefaultGateway":true,"ipMasq":false}' '{"routes":[]}' >"$TMP/a.json"
  add a a "$TMP/a.json"
  [ "$(ip -n "$T-a" -j link show eth0 | jq .[0].mtu)" = 1400 ]
  hv=$(host_ports)
  [ "$(ip -n "$HOSTNS" -d -j link show "$hv" | jq .[0].linkinfo.info_slave_data.hairpin)" = true ]
  [ "$(ip -n "$T-a" -j route show default | jq -r .[0].gateway)" = 10.99.15.1 ]
  jq -e '.routes[0].dst == "0.0.0.0/0"' "$TMP/res-a.json"
  del a a "$TMP/a.json"
  netconf 10.99.16.0/24 '{"bridge":"uocibr1","promiscMode":true,"isGateway":false,"ipMasq":false}' '{"routes":[]}' >"$TMP/b.json"
  add b b "$TMP/b.json"
  ip -n "$HOSTNS" link show uocibr1 | grep -q PROMISC
  ! ip -n "$HOSTNS" -4 addr show dev uocibr1 | grep -q inet || false
  [ -z "$(ip -n "$T-b" route show default)" ]
  del b b "$TMP/b.json"
}

@test "a host port already mapped by another container is refused, leaving nothing behind" {
  mkns a; mkns b
  netconf 10.99.17.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18585,"containerPort":80,"protocol":"tcp"}]}}' >"$TMP/a.json"
  netconf 10.99.17.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18686,"containerPort":80},{"hostPort":18585,"containerPort":81}]}}' >"$TMP/b.json"
  add a a "$TMP/a.json"
  before=$(leases; host_ports; nft_rules)
  run add b b "$TMP/b.json"
  [ "$status" = 1 ]
  jq -e '.msg | test("18585 is already mapped by uocitest a/eth0")' "$TMP/res-b.json"
  [ "$(leases; host_ports; nft_rules)" = "$before" ]
  [ -z "$(ns_ip4 b)" ]
  netconf 10.99.17.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18585,"containerPort":80,"protocol":"udp"}]}}' >"$TMP/c.json"
  add b b "$TMP/c.json"   # same number, other protocol: fine
  del a a "$TMP/a.json"
  del b b "$TMP/c.json"
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
}

@test "a host port a socket of the host listens on is refused (tcp, udp, [::], hostIP), leaving nothing behind" {
  mkns a
  host_listen tcp 0.0.0.0 18701
  host_listen udp 127.0.0.1 18702
  host_listen tcp :: 18703
  host_listen tcp 127.0.0.1 18704
  # p PORT PROTO [HOSTIP]: a config mapping it
  p() { netconf 10.99.19.0/24 "{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":$1,\"containerPort\":80,\"protocol\":\"$2\",\"hostIP\":\"${3:-}\"}]}}" >"$TMP/p.json"; }
  local case
  for case in "18701 tcp|0.0.0.0:18701" "18702 udp|127.0.0.1:18702" "18703 tcp|[::]:18703" "18704 tcp|127.0.0.1:18704" \
              "18701 tcp 10.1.2.3|0.0.0.0:18701" "18704 tcp 127.0.0.1|127.0.0.1:18704"; do
    p ${case%|*}
    run add a a "$TMP/p.json"
    cat "$TMP/res-a.json"
    [ "$status" = 1 ]
    jq -e --arg w "${case#*|}" --arg p "${case%% *}" '.code == 100 and (.msg | contains("host port \(if $p == "18702" then "udp" else "tcp" end)/\($p) is in use on the host (a socket listens on \($w))"))' "$TMP/res-a.json"
    [ -z "$(leases)" ]
    [ -z "$(host_ports)" ]
    [ -z "$(nft_rules)" ]
    [ -z "$(ns_ip4 a)" ]
    ! ip -n "$HOSTNS" link show uocibr0 2>/dev/null || false
  done
  # not diverted: another protocol, another address than the listener's, no listener
  for case in "18701 udp" "18702 tcp" "18704 tcp 10.1.2.3" "18705 tcp"; do
    p $case
    add a a "$TMP/p.json"
    del a a "$TMP/p.json"
  done
  [ -z "$(leases)" ]
  [ -z "$(nft_rules)" ]
}

@test "vlan: ports are untagged PVID members (or, without kernel support, ADD fails cleanly)" {
  mkns a; mkns b
  netconf 10.99.18.0/24 '{"bridge":"uocibr2","vlan":100,"isGateway":false,"ipMasq":false}' '{"routes":[]}' >"$TMP/v.json"
  if ! ip -n "$HOSTNS" link add uocivlprobe type bridge vlan_filtering 1 2>/dev/null; then
    run add a a "$TMP/v.json"
    [ "$status" = 1 ]
    jq -e '.code == 100 and (.msg | test("not supported"))' "$TMP/res-a.json"
    [ -z "$(leases)" ]
    ! ip -n "$HOSTNS" link show uocibr2 || false
    [ -z "$(ns_ip4 a)" ]
    return 0
  fi
  ip -n "$HOSTNS" link del uocivlprobe
  add a a "$TMP/v.json"; add b b "$TMP/v.json"
  [ "$(ip -n "$HOSTNS" -d -j link show uocibr2 | jq .[0].linkinfo.info_data.vlan_filtering)" = 1 ]
  for hv in $(host_ports uocibr2); do
    bridge -n "$HOSTNS" -j vlan show dev "$hv" | jq -e '[.[0].vlans[] | select(.vlan == 100 and (.flags | index("PVID")) and (.flags | index("Egress Untagged")))] | length == 1'
  done
  pingns a "$(res_ip b)"
  del a a "$TMP/v.json"; del b b "$TMP/v.json"
}

@test "port mappings: sctp, udp and a hostIP get their DNAT rules, CHECK sees one missing; one host port twice in a request is refused" {
  mkns a
  netconf 10.99.20.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18901,"containerPort":80,"protocol":"sctp"},{"hostPort":18901,"containerPort":80,"protocol":"udp"},{"hostPort":18902,"containerPort":81,"protocol":"tcp","hostIP":"127.0.0.1"}]}}' >"$TMP/p.json"
  add a a "$TMP/p.json"
  ip=$(res_ip a)
  for c in prerouting output; do
    ip netns exec "$HOSTNS" nft list chain ip ulysses-cni $c | grep -q "fib daddr type local sctp dport 18901 dnat to $ip:80"
    ip netns exec "$HOSTNS" nft list chain ip ulysses-cni $c | grep -q "fib daddr type local udp dport 18901 dnat to $ip:80"
    ip netns exec "$HOSTNS" nft list chain ip ulysses-cni $c | grep -q "ip daddr 127.0.0.1 tcp dport 18902 dnat to $ip:81"
  done
  jq --slurpfile r "$TMP/res-a.json" '. + {prevResult: $r[0]}' "$TMP/p.json" >"$TMP/check.json"
  plugin CNI_COMMAND=CHECK CNI_CONTAINERID=a CNI_NETNS="$(nspath a)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  h=$(ip netns exec "$HOSTNS" nft -a list chain ip ulysses-cni output | sed -n 's/.*sctp dport 18901 .*# handle \([0-9]*\)$/\1/p')
  ip netns exec "$HOSTNS" nft delete rule ip ulysses-cni output handle "$h"
  run plugin CNI_COMMAND=CHECK CNI_CONTAINERID=a CNI_NETNS="$(nspath a)" CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/check.json"
  [ "$status" = 1 ]
  echo "$output" | jq -e '.code == 100 and (.msg | contains("7 of 8 rules of a/eth0"))'
  del a a "$TMP/p.json"
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
  # the second entry's DNAT rule could never match: refused before anything is made
  netconf 10.99.20.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18903,"containerPort":80},{"hostPort":18903,"containerPort":8080,"protocol":"tcp"}]}}' >"$TMP/dup.json"
  run add a a "$TMP/dup.json"
  [ "$status" = 1 ]
  jq -e '.code == 7 and .msg == "portMappings[1]: host port tcp/18903 is already mapped by an earlier entry"' "$TMP/res-a.json"
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(ns_ip4 a)" ]
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ulysses-cni-bridge fed exactly what containerd 1.6's CRI plugin sends
# (go-cni over libcni 1.1, captured from containerd 1.6.20 running a pod with
# a hostPort): keys sorted by libcni's map marshalling, runtimeConfig
# portMappings with go-cni's Go field names (HostPort, ContainerPort,
# Protocol, HostIP), containerd's CNI_ARGS, then the DEL of StopPodSandbox
# (CNI_NETNS set, the cached ADD result as prevResult) and the DEL of
# RemovePodSandbox (CNI_NETNS empty, no prevResult).

load helpers

setup() { cni_setup; }
teardown() { cni_teardown; }

CID=41ac00bcb825909ee1158cbe0c3d2148f05bb2c25471c1753260911bb89c8630

# containerd_conf SUBNET PORTMAPPINGS_JSON [PREVRESULT_JSON]: the bytes containerd writes
containerd_conf() {
  local prev=""
  [ -n "${3:-}" ] && prev="\"prevResult\":$3,"
  printf '{"bridge":"uocibr0","capabilities":{"portMappings":true},"cniVersion":"1.0.0","hairpinMode":true,"ipMasq":true,"ipam":{"dataDir":"%s","ranges":[[{"gateway":"%s.1","subnet":"%s.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}],"type":"ulysses-ipam"},"isGateway":true,"name":"uocitest",%s"runtimeConfig":{"portMappings":%s},"type":"ulysses-cni-bridge"}' \
    "$TMP/ipam" "$1" "$1" "$prev" "$2"
}

# as_containerd CMD NETNS_PATH CONF: one invocation with containerd's environment
as_containerd() {
  plugin CNI_COMMAND="$1" CNI_CONTAINERID="$CID" CNI_NETNS="$2" CNI_IFNAME=eth0 \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=$CID;K8S_POD_UID=uid1" \
    ulysses-cni-bridge "$3"
}

# get NETNS ADDR PORT: an HTTP GET of /t through bash's /dev/tcp
get() { timeout 5 ip netns exec "$1" bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "GET /t HTTP/1.0\r\n\r\n" >&3; cat <&3' "$2" "$3" | tail -1; }

@test "containerd 1.6: a hostPort in Go field names is mapped; both DELs of the pod remove rules, veth and lease" {
  command -v busybox >/dev/null || skip "needs busybox httpd"
  mkns pod; mkns ext
  ip -n "$HOSTNS" link add uociext0 type veth peer name eth0 netns "$T-ext"
  ip -n "$HOSTNS" addr add 10.99.250.1/24 dev uociext0
  ip -n "$HOSTNS" link set uociext0 up
  ip -n "$T-ext" addr add 10.99.250.2/24 dev eth0
  ip -n "$T-ext" link set eth0 up
  pm='[{"HostPort":12000,"ContainerPort":80,"Protocol":"tcp","HostIP":""}]'
  containerd_conf 10.99.22 "$pm" >"$TMP/add.json"
  run as_containerd ADD "$(nspath pod)" "$TMP/add.json"
  echo "$output"
  [ "$status" = 0 ]
  echo "$output" >"$TMP/result.json"
  ip=$(jq -r '.ips[0].address | split("/")[0]' "$TMP/result.json")
  nft_rules | grep -q "tcp dport 12000 dnat to $ip:80"

  mkdir -p "$TMP/www" && echo "hello-$T" >"$TMP/www/t"
  ip netns exec "$T-pod" busybox httpd -f -p 80 -h "$TMP/www" &
  srv=$!
  sleep 0.3
  from_ext=$(get "$T-ext" 10.99.250.1 12000)
  from_localhost=$(get "$HOSTNS" 127.0.0.1 12000)
  kill "$srv"; wait "$srv" || true
  [ "$from_ext" = "hello-$T" ]
  [ "$from_localhost" = "hello-$T" ]

  # StopPodSandbox: the netns still exists, prevResult is the cached result
  containerd_conf 10.99.22 "$pm" "$(cat "$TMP/result.json")" >"$TMP/del.json"
  run as_containerd DEL "$(nspath pod)" "$TMP/del.json"
  echo "$output"
  [ "$status" = 0 ]
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(ns_ip4 pod)" ]
  # RemovePodSandbox: the netns is gone, the cache too
  ip netns del "$T-pod"
  run as_containerd DEL "" "$TMP/add.json"
  echo "$output"
  [ "$status" = 0 ]
}

@test "containerd 1.6: hostIP, udp and upper-case protocol in Go field names; CHECK sees the rules" {
  mkns pod
  ip -n "$HOSTNS" link add uocidummy0 type veth peer name uocidummy1
  ip -n "$HOSTNS" addr add 10.99.251.1/24 dev uocidummy0
  pm='[{"HostPort":12001,"ContainerPort":53,"Protocol":"UDP","HostIP":"10.99.251.1"},{"HostPort":12002,"ContainerPort":8080,"Protocol":"tcp","HostIP":"0.0.0.0"}]'
  containerd_conf 10.99.23 "$pm" >"$TMP/add.json"
  run as_containerd ADD "$(nspath pod)" "$TMP/add.json"
  echo "$output"
  [ "$status" = 0 ]
  echo "$output" >"$TMP/result.json"
  ip=$(jq -r '.ips[0].address | split("/")[0]' "$TMP/result.json")
  nft_rules | grep -q "ip daddr 10.99.251.1 udp dport 12001 dnat to $ip:53"
  nft_rules | grep -q "fib daddr type local tcp dport 12002 dnat to $ip:8080"
  containerd_conf 10.99.23 "$pm" "$(cat "$TMP/result.json")" >"$TMP/prev.json"
  run as_containerd CHECK "$(nspath pod)" "$TMP/prev.json"
  echo "$output"
  [ "$status" = 0 ]
  run as_containerd DEL "$(nspath pod)" "$TMP/prev.json"
  [ "$status" = 0 ]
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
}

@test "DEL tears down an attachment even when it cannot parse the rest of the config" {
  mkns pod
  pm='[{"HostPort":12003,"ContainerPort":80,"Protocol":"tcp","HostIP":""}]'
  containerd_conf 10.99.24 "$pm" >"$TMP/add.json"
  as_containerd ADD "$(nspath pod)" "$TMP/add.json" >"$TMP/result.json"
  [ -n "$(nft_rules)" ]
  [ -n "$(leases)" ]
  [ -n "$(host_ports)" ]
  # what ADD refuses: port mappings it cannot parse, a bad mtu, a bad range
  jq '.runtimeConfig.portMappings = [{"HostPort":"12003","ContainerPort":-1}] | .mtu = "big"
      | .ipam.ranges = [[{"subnet":"10.99.24.0/33"}]]' "$TMP/add.json" >"$TMP/broken.json"
  run as_containerd ADD "$(nspath pod)" "$TMP/broken.json"
  [ "$status" = 1 ]
  [ "$(echo "$output" | jq .code)" = 7 ]
  run as_containerd DEL "$(nspath pod)" "$TMP/broken.json"
  echo "$output"
  [ "$status" = 0 ]
  [ -z "$(nft_rules)" ]
  [ -z "$(leases)" ]
  [ -z "$(host_ports)" ]
  [ -z "$(ns_ip4 pod)" ]
  # portMappings not even an array, no ipam at all: still a clean DEL
  jq '.runtimeConfig.portMappings = 7 | del(.ipam)' "$TMP/add.json" >"$TMP/worse.json"
  run as_containerd DEL "$(nspath pod)" "$TMP/worse.json"
  [ "$status" = 0 ]
  # without a network name there is nothing to find: a CNI error, code 7
  jq 'del(.name)' "$TMP/add.json" >"$TMP/noname.json"
  run as_containerd DEL "$(nspath pod)" "$TMP/noname.json"
  [ "$status" = 1 ]
  [ "$(echo "$output" | jq .code)" = 7 ]
}

@test "ulysses-ipam standalone: Go-cased keys for ADD; DEL frees the lease of a config it would refuse" {
  jq -n --arg dd "$TMP/ipam" '{CNIVersion:"1.0.0",Name:"uocitest",IPAM:{Type:"ulysses-ipam",DataDir:$dd,
     Ranges:[[{Subnet:"10.99.25.0/24",RangeStart:"10.99.25.50",Gateway:"10.99.25.1"}]],Routes:[{Dst:"0.0.0.0/0"}]}}' >"$TMP/ipam.json"
  run plugin CNI_COMMAND=ADD CNI_CONTAINERID=i1 CNI_NETNS=/x CNI_IFNAME=eth0 ulysses-ipam "$TMP/ipam.json"
  echo "$output"
  [ "$status" = 0 ]
  [ "$(echo "$output" | jq -r '.ips[0].address')" = 10.99.25.50/24 ]
  [ "$(echo "$output" | jq -r '.routes[0].dst')" = 0.0.0.0/0 ]
  [ "$(leases)" = "10.99.25.50 i1 eth0" ]
  jq '.IPAM.Ranges = "garbage"' "$TMP/ipam.json" >"$TMP/broken.json"
  run plugin CNI_COMMAND=ADD CNI_CONTAINERID=i2 CNI_NETNS=/x CNI_IFNAME=eth0 ulysses-ipam "$TMP/broken.json"
  [ "$status" = 1 ]
  run plugin CNI_COMMAND=DEL CNI_CONTAINERID=i1 CNI_IFNAME=eth0 ulysses-ipam "$TMP/broken.json"
  echo "$output"
  [ "$status" = 0 ]
  [ -z "$(leases)" ]
}

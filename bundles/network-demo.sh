#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# network-demo.sh - container networking with ulysses-oci's own CNI plugin:
#   two containers on one bridge network ping each other, and a web server in
#   a third is reached through a port mapping from a separate client namespace.
# Everything happens inside network namespaces this script creates (a private
# "host" uoci-demo-host and a client uoci-demo-client, subnet 10.89.0.0/24) and
# is removed at the end, even on failure. Run as root after building.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
UOCI=${UOCI:-$top/src/ulysses-oci}
CNI_BIN=${CNI_BIN:-$top/cni}
work=$(mktemp -d /tmp/uoci-netdemo.XXXXXX)
chmod 755 "$work"
HOSTNS=uoci-demo-host CLIENTNS=uoci-demo-client
state=$work/state

cleanup() {
  set +e
  for id in web ping-a ping-b; do in_host "$UOCI" --root "$state" delete -f "$id" >/dev/null 2>&1; done
  ip netns del "$CLIENTNS" 2>/dev/null
  ip netns del "$HOSTNS" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

in_host() {
  nsenter --net="/run/netns/$HOSTNS" env CNI_CONF_DIR="$work/conf" CNI_PATH="$CNI_BIN" \
    ULYSSES_CNI_CACHE_DIR="$work/cache" "$@"
}

ip netns add "$HOSTNS"
ip -n "$HOSTNS" link set lo up
mkdir -p "$work/conf"
cat >"$work/conf/10-demo.conflist" <<CONF
{"cniVersion": "1.0.0", "name": "demo", "plugins": [
  {"type": "ulysses-cni-bridge", "bridge": "uocidemo0", "isGateway": true, "ipMasq": true,
   "capabilities": {"portMappings": true},
   "ipam": {"type": "ulysses-ipam", "dataDir": "$work/ipam",
            "ranges": [[{"subnet": "10.89.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
CONF

# bundle NAME JQ: a busybox bundle on the demo network
bundle() {
  local b=$work/$1
  mkdir -p "$b"
  "$here/mkrootfs.sh" "$b/rootfs"
  "$UOCI" spec --bundle "$b"
  jq ".process.terminal = false | .root.readonly = false | .annotations[\"org.ulysses.network\"] = \"demo\" |
      .process.capabilities.bounding += [\"CAP_NET_RAW\"] | .process.capabilities.effective += [\"CAP_NET_RAW\"] |
      .process.capabilities.permitted += [\"CAP_NET_RAW\"] | $2" "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
  echo "$b"
}

echo "== two containers on network \"demo\""
in_host "$UOCI" --root "$state" run -d --bundle "$(bundle ping-a '.process.args = ["sleep", "300"]')" --pid-file "$work/a.pid" ping-a
a_ip=$(nsenter --net="/proc/$(cat "$work/a.pid")/ns/net" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
echo "ping-a has $a_ip"
in_host "$UOCI" --root "$state" run --bundle "$(bundle ping-b ".process.args = [\"sh\", \"-c\", \"echo ping-b has \$(ip -4 -o addr show dev eth0 | awk '{print \$4}'); ping -c 3 $a_ip\"]")" ping-b

echo "== a web server published on port 8080 of the host side"
web=$(bundle web '.annotations["org.ulysses.ports"] = "8080:80/tcp" | .process.args = ["httpd", "-f", "-p", "80", "-h", "/www"]')
mkdir -p "$web/rootfs/www" && echo "hello from the web container" >"$web/rootfs/www/index.html"
in_host "$UOCI" --root "$state" run -d --bundle "$web" web

ip netns add "$CLIENTNS"
ip link add uocidemo-c netns "$HOSTNS" type veth peer name eth0 netns "$CLIENTNS"
ip -n "$HOSTNS" addr add 10.89.1.1/24 dev uocidemo-c
ip -n "$HOSTNS" link set uocidemo-c up
ip -n "$CLIENTNS" addr add 10.89.1.2/24 dev eth0
ip -n "$CLIENTNS" link set eth0 up
for i in $(seq 50); do
  if out=$(ip netns exec "$CLIENTNS" timeout 2 bash -c 'exec 3<>/dev/tcp/10.89.1.1/8080; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' 2>/dev/null); then
    break
  fi
  sleep 0.1
done
echo "client 10.89.1.2 -> 10.89.1.1:8080 got: $(echo "$out" | tail -n 1)"
[[ "$out" == *"hello from the web container"* ]]
echo "== done: deleting the containers frees their addresses, veths and rules"

# SPDX-License-Identifier: GPL-2.0-or-later
# helpers.bash - shared setup for the CNI plugin bats tests.
# Every test gets its own private "host" netns (the plugin runs there, so the
# bridge, nft table and sysctls it touches vanish with it), container netns
# named uoci-test-*, and a temp dir for configs and the IPAM store.

CNI_BIN_DIR=${CNI_BIN_DIR:-$(cd "$BATS_TEST_DIRNAME/../../cni" && pwd)}
SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

cni_setup() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  command -v jq >/dev/null || skip "needs jq"
  [ -x "$CNI_BIN_DIR/ulysses-cni-bridge" ] || skip "plugin not built ($CNI_BIN_DIR)"
  T="uoci-test-$$-${BATS_TEST_NUMBER}"
  HOSTNS="${T}-h"
  TMP=$(mktemp -d /tmp/uoci-cni-test.XXXXXX)
  ip netns add "$HOSTNS"
  ip -n "$HOSTNS" link set lo up
}

cni_teardown() {
  local ns pid
  for pid in $(cat "${TMP:-/nonexistent}/listeners" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${T:-none}"); do
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "${TMP:-}" ] && rm -rf "$TMP"
  true
}

# host_listen tcp|udp ADDR PORT: a socket of the private host netns bound
# there (TCP listening) until the test ends; ADDR "::" is a dual-stack one.
host_listen() {
  local fam=AF_INET
  [[ $2 == *:* ]] && fam=AF_INET6
  ip netns exec "$HOSTNS" python3 -c "import socket, sys, time
s = socket.socket(socket.$fam, socket.SOCK_STREAM if sys.argv[1] == 'tcp' else socket.SOCK_DGRAM)
s.bind((sys.argv[2], int(sys.argv[3])))
sys.argv[1] == 'tcp' and s.listen()
open(sys.argv[4], 'w').close()
time.sleep(600)" "$1" "$2" "$3" "$TMP/bound-$3" </dev/null >/dev/null 2>&1 3>&- &
  echo $! >>"$TMP/listeners"
  local i
  for i in $(seq 1 100); do [ -e "$TMP/bound-$3" ] && return 0; sleep 0.05; done
  echo "listener on $2 $1/$3 never bound"; return 1
}

mkns() { ip netns add "$T-$1" && ip -n "$T-$1" link set lo up; }
nspath() { echo "/run/netns/$T-$1"; }

# netconf SUBNET [EXTRA_JSON] [IPAM_EXTRA_JSON]: a bridge network config
netconf() {
  jq -n --arg sn "$1" --arg dd "$TMP/ipam" --argjson x "${2:-{\}}" --argjson ix "${3:-{\}}" '
    {cniVersion: "1.1.0", name: "uocitest", type: "ulysses-cni-bridge", bridge: "uocibr0",
     isGateway: true, ipMasq: true,
     ipam: ({type: "ulysses-ipam", dataDir: $dd, ranges: [[{subnet: $sn}]],
             routes: [{dst: "0.0.0.0/0"}]} + $ix)} + $x'
}

# plugin [NAME=VALUE...] BINARY CONF_FILE: run a plugin in the private host
# netns with a clean CNI environment (use with bats `run`)
plugin() {
  local -a e=("PATH=$SAFE_PATH" "CNI_PATH=${CNI_PATH_OVERRIDE:-$CNI_BIN_DIR}")
  while [[ $1 == *=* ]]; do e+=("$1"); shift; done
  ip netns exec "$HOSTNS" env -i "${e[@]}" "$CNI_BIN_DIR/$1" <"$2"
}

# add CID NS CONF [IFNAME]: ADD, result in $TMP/res-CID.json
add() {
  plugin CNI_COMMAND=ADD CNI_CONTAINERID="$1" CNI_NETNS="$(nspath "$2")" CNI_IFNAME="${4:-eth0}" \
    ulysses-cni-bridge "$3" >"$TMP/res-$1.json"
}
del() { # CID NS|"" CONF [IFNAME]
  local nsp=""
  [ -n "$2" ] && nsp=$(nspath "$2")
  plugin CNI_COMMAND=DEL CNI_CONTAINERID="$1" CNI_NETNS="$nsp" CNI_IFNAME="${4:-eth0}" ulysses-cni-bridge "$3"
}
res_ip() { jq -r '.ips[0].address | split("/")[0]' "$TMP/res-$1.json"; }
ns_ip4() { ip -n "$T-$1" -4 -o addr show dev "${2:-eth0}" 2>/dev/null | awk '{print $4}'; }
host_ports() { ip -n "$HOSTNS" -o link show master "${1:-uocibr0}" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; }
nft_rules() { for f in ip ip6; do ip netns exec "$HOSTNS" nft list table $f ulysses-cni 2>/dev/null; done | grep comment || true; }
leases() { cat "$TMP/ipam/uocitest" 2>/dev/null | grep -v '^#' || true; }
# ping NS DST (iputils or busybox)
pingns() {
  if command -v ping >/dev/null; then ip netns exec "$T-$1" ping -c1 -W2 "$2"; else ip netns exec "$T-$1" busybox ping -c1 -W2 "$2"; fi
}

# For the files where the runtime wires CNI itself (runtime.bats,
# checkpoint.bats): the runtime and the plugins run in the private "host"
# netns, with the test's network configs, plugins and cache.
in_host() {
  nsenter --net="/run/netns/$HOSTNS" env CNI_CONF_DIR="$TMP/conf" CNI_PATH="$CNI_BIN_DIR" \
    ULYSSES_CNI_CACHE_DIR="$TMP/cache" "$@"
}
huoci() { in_host "$UOCI" --root "$STATE" "$@"; }
host_links() { ip -n "$HOSTNS" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^vu' || true; }
runtime_net_teardown() {
  for id in $(ls "$STATE" 2>/dev/null); do in_host "$UOCI" --root "$STATE" delete -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$TEST_TMP"
  cni_teardown
}

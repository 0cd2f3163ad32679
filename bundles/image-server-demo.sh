#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# image-server-demo.sh - a real server from a container image, end to end:
#   1. a Debian root filesystem holding nginx, made by mmdebstrap from
#      Debian's own packages;
#   2. an OCI image of it (podman import with a command, a port, a stop
#      signal), saved as an oci-archive;
#   3. a bundle from that archive (ulysses-bundle create --image), on a CNI
#      network with host port 8080 published to the container's 80, run by
#      ulysses-oci and reached from a client network namespace;
#   4. podman running the same image with --runtime ulysses-oci, reached too.
# Everything runs inside network namespaces and a podman storage this script
# makes (a private "host" uoci-srv-host, a client uoci-srv-client, subnet
# 10.90.0.0/24), with its own layer store, and is removed at the end, even on
# failure. The image is kept in $DEMO_CACHE (default
# /var/tmp/ulysses-image-demo) so a second run skips mmdebstrap.
# Run as root after building: bundles/image-server-demo.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
UOCI=${UOCI:-$top/src/ulysses-oci}
CNI_BIN=${CNI_BIN:-$top/cni}
CACHE=${DEMO_CACHE:-/var/tmp/ulysses-image-demo}
for t in mmdebstrap podman conmon jq; do
  command -v "$t" >/dev/null || { echo "image-server-demo.sh: needs $t" >&2; exit 1; }
done
work=$(mktemp -d /tmp/uoci-srvdemo.XXXXXX)
chmod 755 "$work"
HOSTNS=uoci-srv-host CLIENTNS=uoci-srv-client
state=$work/state
CGNAME=uoci-srvdemo-$$
export ULYSSES_LAYERS=$work/layers

# podman with storage and configuration of its own, run in a sandbox: the
# demo's host network namespace and a mount namespace whose /run and
# /var/lib are private tmpfs (podman, conmon and the runtime keep state and
# caches there), kept alive by a sleep until the end.
P=$work/podman
pod() {
  nsenter -t "$sandbox" -m -n podman --root "$P/root" --runroot "$P/runroot" --storage-driver vfs "$@"
}
mkdir -p "$P/tmp" "$P/net"
cat >"$P/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
[network]
network_config_dir = "$P/net"
EOF
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/root"\nrunroot = "%s/runroot"\n' "$P" "$P" >"$P/storage.conf"
: >"$P/registries.conf"
export CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf
export CONTAINERS_REGISTRIES_CONF=$P/registries.conf

in_host() {
  nsenter --net="/run/netns/$HOSTNS" env CNI_CONF_DIR="$work/conf" CNI_PATH="$CNI_BIN" \
    ULYSSES_CNI_CACHE_DIR="$work/cache" "$@"
}

sandbox=
cleanup() {
  set +e
  in_host "$UOCI" --root "$state" delete -f web >/dev/null 2>&1
  if [ -n "$sandbox" ]; then
    pod rm -a -f -t 0 >/dev/null 2>&1
    kill "$sandbox" 2>/dev/null
  fi
  "$here/ulysses-bundle" rm "$work/web" 2>/dev/null
  "$here/ulysses-bundle" prune >/dev/null 2>&1
  ip netns del "$CLIENTNS" 2>/dev/null
  ip netns del "$HOSTNS" 2>/dev/null
  local d
  for d in /sys/fs/cgroup/*/"$CGNAME" /sys/fs/cgroup/"$CGNAME"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# get PORT: what the client namespace gets for GET / from the host side
get() {
  local out i
  for i in $(seq 100); do
    if out=$(ip netns exec "$CLIENTNS" timeout 2 bash -c \
      "exec 3<>/dev/tcp/10.90.1.1/$1; printf 'GET / HTTP/1.0\r\nHost: demo\r\n\r\n' >&3; cat <&3" 2>/dev/null) &&
      [ -n "$out" ]; then
      printf '%s\n' "$out"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

ip netns add "$HOSTNS"
ip -n "$HOSTNS" link set lo up
nsenter --net="/run/netns/$HOSTNS" unshare --mount --propagation private \
  bash -c 'mount -t tmpfs uoci-demo /run && mount -t tmpfs uoci-demo /var/lib && echo ready >"$1/ready" || exit 1
           exec sleep infinity >/dev/null 2>&1 </dev/null' _ "$work" &
sandbox=$!
for i in $(seq 100); do [ -e "$work/ready" ] && break; sleep 0.05; done
[ -e "$work/ready" ] || { echo "the podman sandbox did not start" >&2; exit 1; }

echo "== 1. a Debian rootfs with nginx (mmdebstrap, Debian's packages)"
mkdir -p "$CACHE"
if [ ! -s "$CACHE/nginx-oci.tar" ]; then
  mmdebstrap --variant=minbase --include=nginx-light \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$work/rootfs.tar" >"$work/mmdebstrap.log" 2>&1 ||
    { tail -n 20 "$work/mmdebstrap.log" >&2; exit 1; }
  echo "== 2. an OCI image of it (podman import), saved as an oci-archive"
  pod import -q \
    --change 'CMD ["nginx", "-g", "daemon off; error_log stderr;"]' \
    --change 'EXPOSE 80/tcp' --change 'STOPSIGNAL SIGQUIT' \
    --change 'LABEL org.opencontainers.image.title=ulysses-demo-nginx' \
    "$work/rootfs.tar" localhost/ulysses-demo/nginx:latest >/dev/null
  pod save -q --format oci-archive -o "$CACHE/nginx-oci.tar.tmp" localhost/ulysses-demo/nginx:latest
  mv "$CACHE/nginx-oci.tar.tmp" "$CACHE/nginx-oci.tar"
  rm -f "$work/rootfs.tar"
else
  echo "== 2. (the image from an earlier run: $CACHE/nginx-oci.tar)"
  pod load -q -i "$CACHE/nginx-oci.tar" >/dev/null
fi
ls -l "$CACHE/nginx-oci.tar"

echo "== 3. a bundle from the image, on CNI network \"srvdemo\", host port 8080 -> 80"
mkdir -p "$work/conf"
cat >"$work/conf/10-srvdemo.conflist" <<CONF
{"cniVersion": "1.0.0", "name": "srvdemo", "plugins": [
  {"type": "ulysses-cni-bridge", "bridge": "uocisrv0", "isGateway": true, "ipMasq": true,
   "capabilities": {"portMappings": true},
   "ipam": {"type": "ulysses-ipam", "dataDir": "$work/ipam",
            "ranges": [[{"subnet": "10.90.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
CONF
# nginx starts as root and switches its workers to www-data: it needs to
# change uid and gid, to chown its temp directories, and to open its log
# files (Debian's package makes them www-data's, mode 0640)
"$here/ulysses-bundle" create "$work/web" --image "oci-archive:$CACHE/nginx-oci.tar" \
  --network srvdemo -p 8080:80 --cap-add "${DEMO_CAPS:-CHOWN,SETUID,SETGID,DAC_OVERRIDE}" --hostname web
jq -c '{args: .process.args, user: .process.user, caps: .process.capabilities.bounding,
        ports: .annotations["org.ulysses.ports"], stop: .annotations["org.opencontainers.image.stopSignal"]}' \
  "$work/web/config.json"
in_host "$UOCI" --root "$state" run -d --bundle "$work/web" web

ip netns add "$CLIENTNS"
ip link add uocisrv-c netns "$HOSTNS" type veth peer name eth0 netns "$CLIENTNS"
ip -n "$HOSTNS" addr add 10.90.1.1/24 dev uocisrv-c
ip -n "$HOSTNS" link set uocisrv-c up
ip -n "$CLIENTNS" addr add 10.90.1.2/24 dev eth0
ip -n "$CLIENTNS" link set eth0 up
out=$(get 8080) || { echo "no answer on 10.90.1.1:8080" >&2; exit 1; }
echo "client 10.90.1.2 -> 10.90.1.1:8080 (ulysses-oci): $(echo "$out" | head -n 1 | tr -d '\r'), $(echo "$out" | grep -o '<title>.*</title>')"
[[ $out == *"Welcome to nginx!"* ]]
echo "the container's processes (master as root, workers as www-data):"
pid=$(in_host "$UOCI" --root "$state" state web | jq .pid)
ps -o user=,args= --ppid "$pid" -p "$pid"

echo "== 4. podman runs the same image with --runtime ulysses-oci (host network of the demo namespace, port 80)"
pod run -d --name web-podman --runtime "$UOCI" --network host --cgroup-parent "/$CGNAME" \
  --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/ulysses-demo/nginx:latest >/dev/null
out=$(get 80) || { echo "no answer on 10.90.1.1:80" >&2; exit 1; }
echo "client 10.90.1.2 -> 10.90.1.1:80 (podman + ulysses-oci): $(echo "$out" | head -n 1 | tr -d '\r'), $(echo "$out" | grep -o '<title>.*</title>')"
[[ $out == *"Welcome to nginx!"* ]]
pod inspect --format '{{.OCIRuntime}} {{.State.Status}}' web-podman

echo "== done: the containers, bundle, layers, namespaces and podman storage are removed"

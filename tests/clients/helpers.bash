# SPDX-License-Identifier: GPL-2.0-or-later
# helpers.bash - shared by the client suites (podman.bats, containerd.bats).
#
# Everything the clients do happens in a private sandbox started by
# setup_file: `unshare --mount --net --pid --fork --kill-child` with tmpfs on
# /run, /tmp and /var/lib, so containerd's shim sockets, the runtime's state,
# conmon's sockets, podman's caches and CNI state never reach the host, and
# killing the sandbox's PID 1 kills whatever is left. Client commands enter it
# with `in_sandbox CMD...` (nsenter). Storage, config and sockets live in
# $CWORK (under /var/tmp: the sandbox's /tmp is a tmpfs of its own).
#
#   clients_setup_file NAME TOOL...   skip the file unless TOOLs exist; sandbox, image
#   clients_teardown_file             stop the sandbox, remove cgroups and $CWORK
#   in_sandbox CMD...                 run CMD inside the sandbox
#   cg_file PID CTRL V1FILE V2FILE    host path of a cgroup file of PID
#   podman_setup_file NAME            the sandbox, podman with ulysses-oci as its runtime
#   pod ARGS...                       podman with that setup, in the sandbox

UOCI=${UOCI:?UOCI must point to the ulysses-oci binary}
SRCDIR=${SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
UOCI=$(readlink -f "$UOCI")

clients_setup_file() {
  local name=$1
  shift
  export CLIENTS_MISSING=""
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || CLIENTS_MISSING="$CLIENTS_MISSING $t"
  done
  [ -z "$CLIENTS_MISSING" ] || return 0
  export CWORK
  CWORK=$(mktemp -d "/var/tmp/uoci-$name.XXXXXX")
  # The sandbox mounts tmpfs on /tmp and /run: a build tree there (CI may
  # clone under /tmp) would vanish, so the clients get a copy of the runtime.
  mkdir -p "$CWORK/bin"
  cp "$UOCI" "$CWORK/bin/ulysses-oci"
  # the static musl build's glibc companion, found next to it (docs/ARCHITECTURE.md)
  if [ -x "$(dirname "$UOCI")/ulysses-oci-glibc" ]; then cp "$(dirname "$UOCI")/ulysses-oci-glibc" "$CWORK/bin/"; fi
  export UOCI=$CWORK/bin/ulysses-oci
  # Unique per run: the cgroup parent (podman) or containerd namespace.
  export CGNAME="uoci-test-$name-$$"
  "$BATS_TEST_DIRNAME/mkimage.sh" "$CWORK/image" >"$CWORK/mkimage.log" 2>&1
  export IMAGE_TAR=$CWORK/image/busybox-oci.tar IMAGE=localhost/ulysses-tests/busybox:latest
  # The sandbox: PID 1 is bash, which reaps what the clients orphan (shims,
  # conmon) until it is killed; --kill-child then takes the namespace down.
  unshare --mount --net --pid --fork --kill-child --mount-proc --propagation private \
    bash -c 'mount -t tmpfs -o mode=0755 uoci-clients /run &&
             mount -t tmpfs -o mode=1777 uoci-clients /tmp &&
             mount -t tmpfs -o mode=0755 uoci-clients /var/lib &&
             ip link set lo up && echo ready >"$1/ready" || exit 1
             exec 0</dev/null 1>/dev/null 2>&1
             while :; do sleep 3600 & wait $!; done' _ "$CWORK" &
  export SANDBOX_UNSHARE=$!
  local i
  for i in $(seq 200); do [ -e "$CWORK/ready" ] && break; sleep 0.02; done
  [ -e "$CWORK/ready" ] || { echo "the sandbox did not start" >&2; return 1; }
  export SANDBOX_PID
  SANDBOX_PID=$(pgrep -P "$SANDBOX_UNSHARE" | head -1)
  [ -n "$SANDBOX_PID" ]
}

in_sandbox() {
  nsenter -t "$SANDBOX_PID" -m -n -p -- "$@"
}

# Kill by pid what is left in our cgroups (a failed test may leave a frozen
# or running container), then remove them, leaf first.
remove_our_cgroups() {
  local top d pid
  [ -n "${CGNAME:-}" ] || return 0
  for top in /sys/fs/cgroup/*/"$CGNAME" /sys/fs/cgroup/"$CGNAME"; do
    [ -f "$top/cgroup.procs" ] || continue
    for d in $(find "$top" -depth -type d); do
      [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
      [ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
      for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    done
  done
  sleep 0.1
  for top in /sys/fs/cgroup/*/"$CGNAME" /sys/fs/cgroup/"$CGNAME"; do
    [ -f "$top/cgroup.procs" ] || continue
    find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}

clients_teardown_file() {
  [ -n "${CWORK:-}" ] || return 0
  if [ -n "${SANDBOX_UNSHARE:-}" ]; then
    kill -9 "$SANDBOX_PID" 2>/dev/null
    wait "$SANDBOX_UNSHARE" 2>/dev/null
  fi
  remove_our_cgroups
  # overlay/vfs layers may hold read-only dirs; the mounts died with the sandbox
  rm -rf "$CWORK"
}

# The path of a cgroup file of process PID (a pid in the sandbox, as the
# clients report it; /sys/fs/cgroup is the host's), v1 controller dir or v2.
cg_file() {
  local pid=$1 ctrl=$2 f1=$3 f2=$4 line cg
  cg=$(in_sandbox cat "/proc/$pid/cgroup") || return 1
  if line=$(echo "$cg" | grep -E "^[0-9]+:([^:]*,)?$ctrl(,[^:]*)?:"); then
    echo "/sys/fs/cgroup/$ctrl${line#*:*:}/$f1"
  else
    line=$(echo "$cg" | grep -E '^0::')
    echo "/sys/fs/cgroup${line#0::}/$f2"
  fi
}

# retry SECONDS CMD...: until CMD succeeds, every 0.1 s
retry() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

# podman_write_conf DIR CGROUP_MANAGER: podman's private configuration in DIR
# (containers.conf with ulysses-oci as the named runtime, vfs storage, no
# registries) and the variables that point podman at it. Standard input is
# the [containers] section. What a user of the runtime writes: a named
# runtime, and the JSON log format conmon only asks of runtimes listed in
# runtime_supports_json.
podman_write_conf() {
  local P=$1
  mkdir -p "$P/net" "$P/tmp"
  { cat; cat <<EOF

[engine]
runtime = "ulysses-oci"
runtime_supports_json = ["ulysses-oci"]
cgroup_manager = "$2"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
volume_path = "$P/volumes"

[engine.runtimes]
ulysses-oci = ["$UOCI"]

[network]
network_config_dir = "$P/net"
EOF
  } >"$P/containers.conf"
  cat >"$P/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/runroot"
EOF
  export CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$P/registries.conf
  : >"$P/registries.conf"
}

# containerd_write_config DIR: a containerd 1.6 config.toml in DIR with
# everything (root, state, sockets) below DIR and only the plugins the
# client tests use.
containerd_write_config() {
  local C=$1
  cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$C/containerd.sock"
[ttrpc]
  address = "$C/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOF
}

# podman_setup_file NAME: the sandbox of clients_setup_file, and podman
# (conmon) driving ulysses-oci, registered as the named runtime "ulysses-oci"
# in a private containers.conf, with private storage (vfs) and the locally
# built image.
podman_setup_file() {
  clients_setup_file "$1" podman conmon nsenter unshare jq || return 1
  [ -z "$CLIENTS_MISSING" ] || return 0
  podman_write_conf "$CWORK/podman" cgroupfs <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$(ulimit -Hu):$(ulimit -Hu)"]
EOF
  local id
  id=$(pod pull -q "oci-archive:$IMAGE_TAR") && pod tag "$id" "$IMAGE"
}

podman_teardown_file() {
  [ -z "${CWORK:-}" ] || [ -n "${CLIENTS_MISSING:-}" ] || pod rm -a -f -t 0 >/dev/null 2>&1
  clients_teardown_file
}

pod() {
  in_sandbox podman --root "$CWORK/podman/root" --runroot "$CWORK/podman/runroot" --storage-driver vfs "$@"
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# checkpoint and restore with CRIU. CRIU needs a kernel it can work with:
# Debian 12's criu 3.17 fails `criu check` on newer kernels (e.g. 6.18: "vdso:
# Unexpected rt vDSO area bounds"), and then the tests that need a real
# checkpoint are skipped with that reason. The `vm` suite runs this file in
# its guest on Debian's 6.1 kernel, where criu works (tests/vm,
# VM_SUITE=checkpoint on cgroup v2, VM_SUITE=checkpoint-hybrid on v1
# hierarchies with name=systemd and cgroup2 at /sys/fs/cgroup/unified). The
# bad-input tests that need no working CRIU run everywhere.
load helpers

setup_file() {
  export CRIU_SKIP=""
  CRIU_SKIP=$("$SRCDIR/tests/helpers/criu-check.sh") || true
}

# The checkpoint guests (tests/vm) keep their minutes for what needs a
# working CRIU; these skip there before any setup (a bundle costs seconds
# under emulation):
# - the tests that run no CRIU (bad input, refusals made before CRIU runs):
#   the host suite runs them the same;
# - in the hybrid guest, those in which nothing depends on the cgroup layout
#   (keyring, capabilities, network, TCP, terminals, a foreground restore):
#   VM_SUITE=checkpoint runs them with CRIU on the same kernel.
# A test renamed out of these lists runs everywhere.
NO_CRIU_TESTS='^(checkpoint of a stopped or missing container|checkpoint of a container with a detached exec|another container.s cgroup namespace joined by path|a user namespace joined by path|restore from a missing or empty image|restore onto an id that exists|criu missing|libcriu missing|features: org\.ulysses\.checkpoint\.enabled|bad options of checkpoint and restore)'
LAYOUT_FREE_TESTS='^(restore: the processes come back in a session keyring|restore: a process holding CAP_SYS_PTRACE|a container with its own network namespace|--empty-ns network|a network namespace joined by path|an established TCP connection|a terminal container|a shell job|restore in the foreground)'

guest_skip() {
  case "${VM_SUITE:-}" in
    checkpoint|checkpoint-hybrid)
      [[ ! $BATS_TEST_DESCRIPTION =~ $NO_CRIU_TESTS ]] || skip "runs no CRIU: the host suite checks it" ;;
  esac
  [ "${VM_SUITE:-}" != checkpoint-hybrid ] || [[ ! $BATS_TEST_DESCRIPTION =~ $LAYOUT_FREE_TESTS ]] ||
    skip "nothing in it depends on the cgroup layout: VM_SUITE=checkpoint runs it"
}

setup() {
  guest_skip
  setup_bundle true
  cfg '.root.readonly = false'
  c1=cr1-$$-$BATS_TEST_NUMBER
  c2=cr2-$$-$BATS_TEST_NUMBER
  IMG=$TEST_TMP/image
  WORK=$TEST_TMP/work
}

teardown() {
  [ -z "${TTY_PIDS:-}" ] || kill $TTY_PIDS 2>/dev/null || true
  ip netns del "uoci-cr-$$" 2>/dev/null || true
  cleanup_all
}

needs_criu() { [ -z "$CRIU_SKIP" ] || skip "$CRIU_SKIP"; }

# A process that counts in /count (its stdio: files inside the container,
# which CRIU restores by path).
COUNTER='exec </dev/null >/count 2>&1; i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'

# last_count: the last number the counter wrote.
last_count() { tail -n 1 "$BUNDLE/rootfs/count" 2>/dev/null; }

# wait_count N: until the counter has passed N (20 s at most: a guest under
# emulation is slow).
wait_count() {
  local i
  for i in $(seq 200); do
    [ "$(last_count)" -gt "$1" ] 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the counter did not pass $1 (last: $(last_count))" >&2
  return 1
}

# counted_without_gap: /count holds 0, 1, 2, ... with no restart: the
# restored process went on from where it was.
counted_without_gap() {
  awk 'NR - 1 != $1 { print "line " NR ": " $0; bad = 1 } END { exit bad }' "$BUNDLE/rootfs/count"
}

# The container's cgroup directory (v1: memory hierarchy; v2: unified).
cgroup_dir_of() {
  local pid=$1 rel
  rel=$(cgroup_of_pid "$pid")
  if [ -d /sys/fs/cgroup/memory ]; then echo "/sys/fs/cgroup/memory$rel"; else echo "/sys/fs/cgroup$rel"; fi
}

# Nothing of container ID left: state, cgroup, processes, mounts.
assert_gone() {
  [ ! -e "$STATE/$1" ] || { echo "state dir of $1 left"; return 1; }
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null | grep -q . || { echo "cgroup of $1 left"; return 1; }
  ! grep -l -E "/$1\$" /proc/[0-9]*/cgroup 2>/dev/null | grep -q . || { echo "process of $1 left"; return 1; }
  ! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo || { echo "mount left"; return 1; }
}

# The container brings lo up itself (a new network namespace has it down)
# and gives it one more address, for the network namespace tests.
NET_SETUP='ip link set lo up && ip addr add 10.99.0.1/32 dev lo'
with_net_admin() {
  cfg '.process.capabilities.bounding += ["CAP_NET_ADMIN"] | .process.capabilities.effective += ["CAP_NET_ADMIN"] |
       .process.capabilities.permitted += ["CAP_NET_ADMIN"]'
}

run_counter() {
  cfg ".process.args = [\"sh\", \"-c\", \"$COUNTER\"]"
  uoci run -d --bundle "$BUNDLE" "$1"
  wait_count 3
}

@test "checkpoint and restore: a counter goes on from its count; state, ps and delete after restore" {
  needs_criu
  run_counter $c1
  old_pid=$(uoci state $c1 | jq .pid)
  uoci checkpoint --image-path "$IMG" --work-path "$WORK" $c1
  # The container is gone, as runc's is after a checkpoint.
  run uoci state $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
  assert_gone $c1
  process_gone "$old_pid"
  [ -f "$IMG/inventory.img" ]
  [ -f "$IMG/descriptors.json" ]
  [ -f "$WORK/dump.log" ]
  n=$(last_count)
  sleep 0.5
  [ "$(last_count)" = "$n" ]

  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" --work-path "$WORK" --pid-file "$TEST_TMP/pid" $c1
  [ -f "$WORK/restore.log" ]
  wait_count $((n + 5))
  counted_without_gap
  run uoci state $c1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .status)" = running ]
  pid=$(echo "$output" | jq .pid)
  [ "$pid" = "$(cat "$TEST_TMP/pid")" ]
  [ "$(echo "$output" | jq -r .bundle)" = "$BUNDLE" ]
  grep -q "sh" "/proc/$pid/cmdline"
  # In the container's cgroup, which has its processes (and only those).
  [[ "$(cgroup_of_pid "$pid")" == *"/$c1" ]]
  run uoci ps --format json $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *"$pid"* ]]
  uoci kill $c1 KILL
  wait_status $c1 stopped
  uoci delete $c1
  assert_gone $c1
}

@test "checkpoint --leave-running: the container goes on, and the images restore it later" {
  needs_criu
  # Counting in a tmpfs of the container: CRIU keeps its content in the
  # images (a file of the rootfs that grew after the checkpoint would no
  # longer match them).
  cfg '.process.args = ["sh", "-c", "exec </dev/null >/dev/shm/count 2>&1; i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done"]'
  uoci run -d --bundle "$BUNDLE" $c1
  pid=$(uoci state $c1 | jq .pid)
  shm_count() { uoci exec $c1 tail -n 1 /dev/shm/count; }
  for i in $(seq 100); do [ "$(shm_count)" -gt 3 ] 2>/dev/null && break; sleep 0.1; done
  uoci checkpoint --leave-running --image-path "$IMG" $c1
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ "$(uoci state $c1 | jq .pid)" = "$pid" ]
  n=$(shm_count)
  for i in $(seq 100); do [ "$(shm_count)" -gt $((n + 20)) ] && break; sleep 0.1; done
  later=$(shm_count)
  uoci delete -f $c1
  assert_gone $c1
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  # back at the count of the checkpoint, not where it was deleted, and on from there
  first=$(shm_count)
  [ "$first" -lt "$later" ]
  for i in $(seq 100); do [ "$(shm_count)" -gt $((first + 3)) ] && break; sleep 0.1; done
  uoci exec $c1 cat /dev/shm/count | awk 'NR - 1 != $1 { exit 1 }'
}

@test "restore under a new id: its own state and cgroup, nothing of the old one; createRuntime hook" {
  needs_criu
  cfg ".hooks.createRuntime = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat >$TEST_TMP/hook.json\"]}]"
  run_counter $c1
  uoci checkpoint --image-path "$IMG" $c1
  rm "$TEST_TMP/hook.json"
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c2
  pid=$(uoci state $c2 | jq .pid)
  [ "$(uoci state $c2 | jq -r .id)" = $c2 ]
  [[ "$(cgroup_of_pid "$pid")" == *"/$c2" ]]
  # the hook ran with the restored init's pid, before it ran on
  [ "$(jq -r '.id + " " + .status + " " + (.pid | tostring)' "$TEST_TMP/hook.json")" = "$c2 created $pid" ]
  n=$(last_count)
  wait_count $((n + 3))
  counted_without_gap
  assert_gone $c1
  run uoci list -q
  [ "$output" = $c2 ]
  uoci delete -f $c2
  assert_gone $c2
}

@test "restore: the processes come back in a session keyring of the container's own, which exec joins; never the caller's" {
  needs_criu
  local kp=${BUILDDIR:-$SRCDIR}/tests/helpers/keyprobe
  cp "$kp" "$BUNDLE/rootfs/keyprobe"
  cfg '.process.args = ["sh", "-c", "exec </dev/null >/dev/null 2>&1; while :; do /keyprobe session >/ses.new && mv /ses.new /ses; sleep 0.1; done"]'
  uoci run -d --bundle "$BUNDLE" $c1
  for i in $(seq 100); do [ -s "$BUNDLE/rootfs/ses" ] && break; sleep 0.1; done
  uoci checkpoint --image-path "$IMG" $c1
  rm "$BUNDLE/rootfs/ses"
  # restore, called from a session keyring that holds a secret
  "$kp" with-secret s3cr3t sh -c '"$1" session >"$2"; exec "$3" --root "$4" restore -d --bundle "$5" --image-path "$6" "$7"' \
    sh "$kp" "$TEST_TMP/caller.ses" "$UOCI" "$STATE" "$BUNDLE" "$IMG" $c1 2>"$TEST_TMP/secret"
  for i in $(seq 100); do [ -s "$BUNDLE/rootfs/ses" ] && break; sleep 0.1; done
  restored=$(cat "$BUNDLE/rootfs/ses")
  [ -n "$restored" ]
  [ "$restored" != "$(cat "$TEST_TMP/caller.ses")" ]
  run uoci exec $c1 /keyprobe session
  [ "$output" = "$restored" ]
  run uoci exec $c1 /keyprobe read "$(sed -n 's/^serial //p' "$TEST_TMP/secret")"
  [[ $output != *"payload s3cr3t"* ]]
}

# ptrace_holders ID: how many of the container's processes have
# CAP_SYS_PTRACE in their effective set.
ptrace_holders() {
  local p n=0
  for p in $(uoci ps --format json "$1" | jq '.[]'); do
    [ "$(( 0x$(awk '/^CapEff:/ { print $2 }' /proc/$p/status) >> 19 & 1 ))" = 1 ] && n=$((n + 1))
  done
  echo $n
}

@test "restore: a process holding CAP_SYS_PTRACE comes back with it, and the container is marked (later execs sealed) though the new config grants none" {
  needs_criu
  # stdio inside the container (CRIU can't dump an fd on a host file); /ready
  # once the init runs the container's process
  cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])
       | .process.args = ["sh", "-c", "exec </dev/null >/dev/null 2>&1; touch /ready; exec sleep 100000"]'
  uoci run -d --bundle "$BUNDLE" $c1
  for i in $(seq 100); do [ -e "$BUNDLE/rootfs/ready" ] && break; sleep 0.05; done
  [ "$(ptrace_holders $c1)" = 1 ]
  uoci checkpoint --image-path "$IMG" $c1
  cfg '.process.capabilities |= with_entries(.value -= ["CAP_SYS_PTRACE"])'
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  [ "$(ptrace_holders $c1)" = 1 ]
  [ -e "$STATE/$c1/ptrace" ]
  uoci delete -f $c1
  # without such a process the mark stays off (execs stay unsealed, fast)
  rm -f "$BUNDLE/rootfs/ready"
  uoci run -d --bundle "$BUNDLE" $c2
  for i in $(seq 100); do [ -e "$BUNDLE/rootfs/ready" ] && break; sleep 0.05; done
  [ "$(ptrace_holders $c2)" = 0 ]
  uoci checkpoint --image-path "$TEST_TMP/img2" $c2
  uoci restore -d --bundle "$BUNDLE" --image-path "$TEST_TMP/img2" $c2
  [ "$(uoci state $c2 | jq -r .status)" = running ]
  [ "$(ptrace_holders $c2)" = 0 ]
  [ ! -e "$STATE/$c2/ptrace" ]
}

# anon_pipe: sets R and W to the two ends of a new anonymous pipe (reopened
# through /proc from a process substitution's pipe).
anon_pipe() {
  local p
  exec {p}<> <(:)
  exec {R}</proc/self/fd/$p {W}>/proc/self/fd/$p
  exec {p}>&-
}

@test "without a cgroup namespace: the cgroup mounts are the new container's cgroup after a restore under a new id" {
  needs_criu
  cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
  run_counter $c1
  uoci checkpoint --image-path "$IMG" $c1
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c2
  assert_gone $c1
  # the container's /sys/fs/cgroup shows its own cgroup (v2), or its own
  # directory of each hierarchy (v1, hybrid): its init is there as pid 1
  run uoci exec $c2 sh -c 'cat /sys/fs/cgroup/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/pids/cgroup.procs'
  [ "$status" -eq 0 ]
  [[ " $(echo $output) " == *" 1 "* ]]
  if [ -d /sys/fs/cgroup/memory ]; then
    run uoci exec $c2 cat /sys/fs/cgroup/memory/cgroup.procs /sys/fs/cgroup/freezer/cgroup.procs
    [[ "$(echo "$output" | grep -cx 1)" -eq 2 ]]
  fi
}

@test "checkpoint --pre-dump, then the dump with --parent-path; stdio pipes reconnected at restore" {
  needs_criu
  # A container on pipes (as conmon and the shim run them) that answers
  # every line it reads.
  cfg '.process.args = ["sh", "-c", "exec 2>/dev/null; while read -r l; do echo pong $l; done"]'
  anon_pipe; in_r=$R in_w=$W
  anon_pipe; out_r=$R out_w=$W
  uoci run -d --bundle "$BUNDLE" $c1 <&$in_r >&$out_w
  echo one >&$in_w
  read -r -t 20 reply <&$out_r
  [ "$reply" = "pong one" ]

  uoci checkpoint --pre-dump --image-path "$TEST_TMP/parent" $c1
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ -f "$TEST_TMP/parent/pre-dump.log" ]
  run uoci checkpoint --parent-path "$TEST_TMP/parent" --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: --parent-path $TEST_TMP/parent: must be relative to the image path" ]
  run uoci checkpoint --parent-path ../nope --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: --parent-path $IMG/../nope: No such file or directory" ]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  uoci checkpoint --parent-path ../parent --image-path "$IMG" $c1
  [ -L "$IMG/parent" ]
  [[ "$(jq -r '.[0]' "$IMG/descriptors.json")" == pipe:* ]]
  [[ "$(jq -r '.[1]' "$IMG/descriptors.json")" == pipe:* ]]
  exec {in_r}>&- {in_w}>&- {out_r}>&- {out_w}>&-

  # New pipes for the restored process, given as restore's stdio.
  anon_pipe; in_r=$R in_w=$W
  anon_pipe; out_r=$R out_w=$W
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1 <&$in_r >&$out_w
  echo two >&$in_w
  read -r -t 20 reply <&$out_r
  [ "$reply" = "pong two" ]
  exec {in_r}>&- {in_w}>&- {out_r}>&- {out_w}>&-
}

@test "a container with its own network namespace and a bind mount" {
  needs_criu
  mkdir -p "$TEST_TMP/data"
  with_net_admin
  cfg ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TEST_TMP/data\", \"options\": [\"rbind\", \"rw\"]}] |
       .process.args = [\"sh\", \"-c\", \"$NET_SETUP; exec </dev/null >/data/count 2>&1; i=0; while :; do echo \$i; i=\$((i+1)); sleep 0.1; done\"]"
  uoci run -d --bundle "$BUNDLE" $c1
  pid=$(uoci state $c1 | jq .pid)
  netns=$(readlink /proc/$pid/ns/net)
  [ "$netns" != "$(readlink /proc/self/ns/net)" ]
  for i in $(seq 100); do [ -s "$TEST_TMP/data/count" ] && break; sleep 0.1; done
  uoci checkpoint --image-path "$IMG" $c1
  n=$(tail -n 1 "$TEST_TMP/data/count")
  # The mount point is made again if it went missing.
  rmdir "$BUNDLE/rootfs/data"
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  pid=$(uoci state $c1 | jq .pid)
  [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ]
  for i in $(seq 100); do [ "$(tail -n 1 "$TEST_TMP/data/count")" -gt $((n + 3)) ] && break; sleep 0.1; done
  [ "$(tail -n 1 "$TEST_TMP/data/count")" -gt $((n + 3)) ]
  awk 'NR - 1 != $1 { exit 1 }' "$TEST_TMP/data/count"
  # the namespace came back whole: lo up, with the address the container gave it
  run uoci exec $c1 ip -o addr show lo
  [[ "$output" == *"inet 10.99.0.1/32"* ]]
}

@test "--empty-ns network: the network namespace is made new and empty" {
  needs_criu
  with_net_admin
  cfg ".process.args = [\"sh\", \"-c\", \"$NET_SETUP; exec </dev/null >/dev/null 2>&1; exec sleep 1000\"]"
  uoci run -d --bundle "$BUNDLE" $c1
  for i in $(seq 100); do uoci exec $c1 ip -o addr show lo | grep -q 10.99.0.1 && break; sleep 0.1; done
  uoci checkpoint --empty-ns network --image-path "$IMG" $c1
  uoci restore -d --empty-ns network --bundle "$BUNDLE" --image-path "$IMG" $c1
  pid=$(uoci state $c1 | jq .pid)
  [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ]
  run uoci exec $c1 ip -o addr show lo
  [[ "$output" != *"10.99.0.1"* ]]
}

@test "a network namespace joined by path is kept out of the images and joined again" {
  needs_criu
  ip netns add "uoci-cr-$$"
  ns=/var/run/netns/uoci-cr-$$
  cfg "(.linux.namespaces[] | select(.type == \"network\")) .path = \"$ns\" |
       .process.args = [\"sh\", \"-c\", \"exec </dev/null >/dev/null 2>&1; exec sleep 1000\"]"
  uoci run -d --bundle "$BUNDLE" $c1
  pid=$(uoci state $c1 | jq .pid)
  [ "$(stat -L -c %i /proc/$pid/ns/net)" = "$(stat -L -c %i "$ns")" ]
  uoci checkpoint --image-path "$IMG" $c1
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  pid=$(uoci state $c1 | jq .pid)
  [ "$(stat -L -c %i /proc/$pid/ns/net)" = "$(stat -L -c %i "$ns")" ]
}

# own_cgroupns: a cgroup namespace of the container's own (spec's default has
# one on cgroup v2 hosts only); set_cgroupns PATH: the cgroup namespace joined by path
own_cgroupns() { cfg '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'; }
set_cgroupns() { cfg ".linux.namespaces |= (map(select(.type != \"cgroup\")) + [{\"type\": \"cgroup\", \"path\": \"$1\"}])"; }

@test "a cgroup namespace joined by path that is the runtime's own: the cgroup binds go out and come back, the count goes on" {
  needs_criu
  # the namespace the runtime runs in: a container without a cgroup
  # namespace of its own (its /sys/fs/cgroup binds its own cgroup)
  set_cgroupns "/proc/$$/ns/cgroup"
  run_counter $c1
  uoci checkpoint --image-path "$IMG" $c1
  n=$(last_count)
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c2
  wait_count $((n + 3))
  counted_without_gap
  pid=$(uoci state $c2 | jq .pid)
  [ "$(readlink /proc/$pid/ns/cgroup)" = "$(readlink /proc/$$/ns/cgroup)" ]
  run uoci exec $c2 sh -c 'cat /sys/fs/cgroup/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/pids/cgroup.procs'
  [ "$status" -eq 0 ]
  [[ " $(echo $output) " == *" 1 "* ]]
}

# userns_cfg: a new user namespace mapping 0-65535 to host 100000-165535
userns_cfg() {
  cfg '.linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

# The counter in the container's /dev/shm (a tmpfs its root owns; the
# rootfs is the host root's, read-only to a user namespace).
SHM_COUNTER='exec </dev/null >/dev/shm/count 2>&1; i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'
shm_count() { uoci exec "$1" tail -n 1 /dev/shm/count; }
wait_shm_count() {
  local i
  for i in $(seq 200); do [ "$(shm_count "$1")" -gt "$2" ] 2>/dev/null && return 0; sleep 0.1; done
  echo "the counter of $1 did not pass $2 (last: $(shm_count "$1"))" >&2
  return 1
}

@test "a container with a user namespace: restored in a new user namespace with its mappings, the count goes on" {
  needs_criu
  userns_cfg
  cfg ".process.args = [\"sh\", \"-c\", \"$SHM_COUNTER\"]"
  uoci run -d --bundle "$BUNDLE" $c1
  wait_shm_count $c1 3
  uoci checkpoint --image-path "$IMG" $c1
  assert_gone $c1
  # readable by the namespace's root (CRIU reads them from inside at restore), writable by no one but root
  [ "$(stat -c %g "$IMG")" = 100000 ]
  [ -z "$(find "$IMG" -maxdepth 1 -type f ! -group 100000)" ]
  [ -z "$(find "$IMG" -maxdepth 1 ! -perm -g+r)" ]
  [ -z "$(find "$IMG" -maxdepth 1 -perm /g+w,o+w)" ]
  uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1 || { grep Error "$IMG/restore.log"; false; }
  pid=$(uoci state $c1 | jq .pid)
  [ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ]
  [ "$(tr -s ' ' </proc/$pid/uid_map | sed 's/^ //')" = "0 100000 65536" ]
  [ "$(tr -s ' ' </proc/$pid/gid_map | sed 's/^ //')" = "0 100000 65536" ]
  [ "$(stat -c %u /proc/$pid)" = 100000 ]
  first=$(shm_count $c1)
  wait_shm_count $c1 $((first + 3))
  uoci exec $c1 cat /dev/shm/count | awk 'NR - 1 != $1 { exit 1 }'
  [[ "$(cgroup_of_pid "$pid")" == *"/$c1" ]]
  [ "$(uoci exec $c1 id -u)" = 0 ]
}

@test "an established TCP connection: refused without --tcp-established, kept with it" {
  needs_criu
  # A server and a client in the container, talking over 127.0.0.1.
  with_net_admin
  cfg ".process.args = [\"sh\", \"-c\", \"$NET_SETUP; exec </dev/null >/dev/null 2>&1; sleep 100000 | nc -l -p 5555 >/received & sleep 1; i=0; while :; do echo \$i; i=\$((i+1)); sleep 0.1; done | nc 127.0.0.1 5555\"]"
  uoci run -d --bundle "$BUNDLE" $c1
  for i in $(seq 100); do [ "$(tail -n 1 "$BUNDLE/rootfs/received" 2>/dev/null)" -gt 3 ] 2>/dev/null && break; sleep 0.1; done
  run uoci checkpoint --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"CRIU dump failed"*"tcp-established"* ]] || { echo "$output"; cat "$BUNDLE/rootfs/received"; grep Error "$IMG/dump.log"; false; }
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  rm -rf "$IMG"
  uoci checkpoint --tcp-established --image-path "$IMG" $c1
  n=$(tail -n 1 "$BUNDLE/rootfs/received")
  uoci restore -d --tcp-established --bundle "$BUNDLE" --image-path "$IMG" $c1
  for i in $(seq 100); do [ "$(tail -n 1 "$BUNDLE/rootfs/received")" -gt $((n + 5)) ] && break; sleep 0.1; done
  [ "$(tail -n 1 "$BUNDLE/rootfs/received")" -gt $((n + 5)) ]
  # the same connection: one stream with no gap and no restart
  awk 'NR - 1 != $1 { exit 1 }' "$BUNDLE/rootfs/received"
}

# console_socket NAME: a recvtty listening on $TEST_TMP/NAME.sock, writing
# what the container prints to $TEST_TMP/NAME.out.
console_socket() {
  "$BUILDDIR/tests/helpers/recvtty" "$TEST_TMP/$1.sock" >"$TEST_TMP/$1.out" 2>/dev/null &
  TTY_PIDS="${TTY_PIDS:-} $!"
  for i in $(seq 100); do [ -S "$TEST_TMP/$1.sock" ] && break; sleep 0.02; done
}

last_tick() { grep -o 'tick [0-9]*' "$TEST_TMP/$1.out" | tail -n 1 | cut -d' ' -f2; }

@test "a terminal container: the restored pty's new master goes to --console-socket" {
  needs_criu
  BUILDDIR=${BUILDDIR:-$SRCDIR}
  cfg '.process.terminal = true | .process.args = ["sh", "-c", "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done"]'
  console_socket tty1
  uoci run -d --console-socket "$TEST_TMP/tty1.sock" --bundle "$BUNDLE" $c1
  for i in $(seq 100); do [ "$(last_tick tty1)" -gt 3 ] 2>/dev/null && break; sleep 0.1; done
  uoci checkpoint --shell-job --image-path "$IMG" $c1
  n=$(last_tick tty1)
  console_socket tty2
  uoci restore -d --shell-job --console-socket "$TEST_TMP/tty2.sock" --bundle "$BUNDLE" --image-path "$IMG" $c1
  for i in $(seq 100); do [ "$(last_tick tty2)" -gt $((n + 3)) ] 2>/dev/null && break; sleep 0.1; done
  [ "$(last_tick tty2)" -gt $((n + 3)) ]
  # and it is still the container's terminal
  pid=$(uoci state $c1 | jq .pid)
  [[ "$(readlink /proc/$pid/fd/1)" == /dev/pts/* ]]
}

@test "a shell job (stdio on the caller's terminal) needs --shell-job, then goes on on restore's terminal" {
  needs_criu
  command -v script >/dev/null || skip "script(1) is not installed"
  cfg '.process.args = ["sh", "-c", "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done"]'
  script -qfc "$UOCI --root $STATE run -d --bundle $BUNDLE $c1; sleep 120" "$TEST_TMP/job1.out" </dev/null >/dev/null 2>&1 &
  TTY_PIDS="${TTY_PIDS:-} $!"
  for i in $(seq 200); do [ "$(last_tick job1)" -gt 3 ] 2>/dev/null && break; sleep 0.1; done
  [ "$(last_tick job1)" -gt 3 ]
  run uoci checkpoint --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [[ "$output" =~ ^"ulysses-oci: the container's fd 0 is a terminal outside it (/dev/pts/"[0-9]+"): it is a shell job, checkpoint it with --shell-job"$ ]]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  uoci checkpoint --shell-job --image-path "$IMG" $c1
  # restore needs a terminal to hand in
  run uoci restore --shell-job -d --bundle "$BUNDLE" --image-path "$IMG" $c1 </dev/null
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: the checkpoint's fd 0 is a terminal (a shell job): restore needs one as its fd 0" ]
  assert_gone $c1
  n=$(last_tick job1)
  script -qfc "$UOCI --root $STATE restore --shell-job -d --bundle $BUNDLE --image-path $IMG $c1; sleep 120" "$TEST_TMP/job2.out" </dev/null >/dev/null 2>&1 &
  TTY_PIDS="${TTY_PIDS:-} $!"
  for i in $(seq 200); do [ "$(last_tick job2)" -gt $((n + 3)) ] 2>/dev/null && break; sleep 0.1; done
  [ "$(last_tick job2)" -gt $((n + 3)) ] || { cat "$TEST_TMP/job2.out"; grep Error "$IMG/restore.log"; false; }
}

@test "restore in the foreground waits, returns the exit status and deletes the container" {
  needs_criu
  cfg '.process.args = ["sh", "-c", "exec </dev/null >/count 2>&1; i=0; while [ $i -lt 40 ]; do echo $i; i=$((i+1)); sleep 0.1; done; exit 7"]'
  uoci run -d --bundle "$BUNDLE" $c1
  wait_count 3
  uoci checkpoint --image-path "$IMG" $c1
  run uoci restore --bundle "$BUNDLE" --image-path "$IMG" $c1
  [ "$status" -eq 7 ]
  [ "$(last_count)" = 39 ]
  counted_without_gap
  assert_gone $c1
}

@test "restore of a corrupt checkpoint: one line, nothing left" {
  needs_criu
  run_counter $c1
  uoci checkpoint --image-path "$IMG" $c1
  for f in "$IMG"/pstree.img "$IMG"/core-*.img; do head -c 64 /dev/urandom >"$f"; done
  run uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"CRIU restore failed"*"restore.log"* ]]
  assert_gone $c1
}

# ---- bad input that needs no working CRIU -------------------------------------

@test "checkpoint of a stopped or missing container: one line, the container as it was" {
  cfg '.process.args = ["true"]'
  uoci run -d --bundle "$BUNDLE" $c1
  wait_status $c1 stopped
  run uoci checkpoint --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: cannot checkpoint container \"$c1\": it is stopped, not running" ]
  [ "$(uoci state $c1 | jq -r .status)" = stopped ]
  [ ! -e "$IMG" ]
  run uoci checkpoint --image-path "$IMG" nosuch-$$
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: container \"nosuch-$$\" does not exist" ]
}

@test "checkpoint of a container with a detached exec's process (no descendant of its init): one line, nothing changes" {
  cfg '.process.args = ["sleep", "100000"]'
  uoci run -d --bundle "$BUNDLE" $c1
  uoci exec -d $c1 sleep 100001 </dev/null >/dev/null 2>&1
  run uoci checkpoint --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [[ "$output" =~ ^"ulysses-oci: cannot checkpoint container \"$c1\": its process "[0-9]+" (sleep) is not a descendant of its init (a detached exec?): CRIU would lose it"$ ]]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ "$(uoci ps --format json $c1 | jq length)" = 2 ]
  [ ! -e "$IMG" ]
}

# Refusals made before CRIU runs (the guests skip them: NO_CRIU_TESTS).
needs_criu_build() {
  grep -q '^#define HAVE_CRIU 1' "${BUILDDIR:-$SRCDIR}/config.h" || skip "built without CRIU"
}

# joined_ns_refused TYPE PATH: container $c2 (pid $p2), which joined the
# TYPE namespace PATH, cannot be checkpointed (one line, no image, $c2 still
# running as it was), and a restore whose config joins it is refused before
# anything is made.
joined_ns_refused() {
  local type=$1 path=$2
  run uoci checkpoint --image-path "$IMG" $c2
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: cannot checkpoint container \"$c2\": it joined the $type namespace $path, which CRIU cannot join again at restore" ]
  [ ! -e "$IMG" ]
  [ "$(uoci state $c2 | jq -r .status)" = running ]
  [ "$(uoci state $c2 | jq .pid)" = "$p2" ]
  mkdir "$IMG" && : >"$IMG/inventory.img"
  run uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" cr3-$$
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: restore: CRIU cannot join an existing $type namespace ($path)" ]
  assert_gone cr3-$$
}

@test "another container's cgroup namespace joined by path: checkpoint and restore refused in one line, both containers as they were" {
  needs_criu_build
  cfg '.process.args = ["sleep", "1000"]'
  own_cgroupns
  uoci run -d --bundle "$BUNDLE" $c1 </dev/null >/dev/null 2>&1
  p1=$(uoci state $c1 | jq .pid)
  set_cgroupns "/proc/$p1/ns/cgroup"
  uoci run -d --bundle "$BUNDLE" $c2 </dev/null >/dev/null 2>&1
  p2=$(uoci state $c2 | jq .pid)
  [ "$(readlink /proc/$p2/ns/cgroup)" = "$(readlink /proc/$p1/ns/cgroup)" ]
  # CRIU cannot join a cgroup namespace at restore: the checkpoint would end
  # a container that nothing can bring back
  joined_ns_refused cgroup "/proc/$p1/ns/cgroup"
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ "$(uoci state $c1 | jq .pid)" = "$p1" ]
}

@test "a user namespace joined by path: checkpoint and restore refused in one line (CRIU cannot join it), the container as it was" {
  needs_criu_build
  userns_cfg
  cfg '.process.args = ["sleep", "1000"]'
  uoci run -d --bundle "$BUNDLE" $c1 </dev/null >/dev/null 2>&1
  p1=$(uoci state $c1 | jq .pid)
  cfg "del(.linux.uidMappings) | del(.linux.gidMappings) |
       .linux.namespaces |= map(if .type == \"user\" then .path = \"/proc/$p1/ns/user\" else . end)"
  uoci run -d --bundle "$BUNDLE" $c2 </dev/null >/dev/null 2>&1
  p2=$(uoci state $c2 | jq .pid)
  # (a restore that joins one: CRIU 3.17 fails midway, in the guest)
  joined_ns_refused user "/proc/$p1/ns/user"
}

@test "restore from a missing or empty image directory: one line, nothing left" {
  run uoci restore -d --bundle "$BUNDLE" --image-path "$TEST_TMP/nothing" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: image directory $TEST_TMP/nothing: No such file or directory" ]
  assert_gone $c1
  mkdir "$IMG"
  run uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: image directory $IMG: no checkpoint there (inventory.img: No such file or directory)" ]
  assert_gone $c1
}

@test "restore onto an id that exists: one line, that container untouched" {
  command -v criu >/dev/null || [ -x /usr/sbin/criu ] || skip "criu is not installed"
  cfg '.process.args = ["sleep", "1000"]'
  uoci run -d --bundle "$BUNDLE" $c1
  pid=$(uoci state $c1 | jq .pid)
  mkdir "$IMG" && : >"$IMG/inventory.img"
  run uoci restore -d --bundle "$BUNDLE" --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: container \"$c1\" already exists" ]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ "$(uoci state $c1 | jq .pid)" = "$pid" ]
}

@test "criu missing: checkpoint and restore say so in one line, nothing changes" {
  cfg '.process.args = ["sleep", "1000"]'
  uoci run -d --bundle "$BUNDLE" $c1
  run "$UOCI" --root "$STATE" --criu "$TEST_TMP/no/criu" checkpoint --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: --criu $TEST_TMP/no/criu: No such file or directory" ]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  run "$UOCI" --root "$STATE" --criu no-such-criu-$$ checkpoint --image-path "$IMG" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: --criu no-such-criu-$$: not found in PATH or /usr/sbin" ]
  mkdir -p "$IMG" && : >"$IMG/inventory.img"
  run "$UOCI" --root "$STATE" --criu "$TEST_TMP/no/criu" restore -d --bundle "$BUNDLE" --image-path "$IMG" $c2
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: --criu $TEST_TMP/no/criu: No such file or directory" ]
  assert_gone $c2
}

@test "libcriu missing (the criu package not installed): one line, nothing changes" {
  lib=$(ldconfig -p | awk '$1 == "libcriu.so.2" { print $NF; exit }')
  [ -n "$lib" ] || skip "libcriu.so.2 is not installed"
  cfg '.process.args = ["sleep", "1000"]'
  uoci run -d --bundle "$BUNDLE" $c1
  mkdir -p "$IMG" && : >"$IMG/inventory.img"
  # in a mount namespace of the test's own, the library is an empty file
  run unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$(realpath "$lib")" \
    "$UOCI" --root "$STATE" checkpoint --image-path "$TEST_TMP/img2" $c1
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: CRIU is not installed: cannot load libcriu.so.2 (apt-get install criu)" ]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ ! -e "$TEST_TMP/img2" ]
  run unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$(realpath "$lib")" \
    "$UOCI" --root "$STATE" restore -d --bundle "$BUNDLE" --image-path "$IMG" $c2
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: CRIU is not installed: cannot load libcriu.so.2 (apt-get install criu)" ]
  assert_gone $c2
}

@test "features: org.ulysses.checkpoint.enabled says whether CRIU support is built in" {
  want=false
  grep -q '^#define HAVE_CRIU 1' "${BUILDDIR:-$SRCDIR}/config.h" && want=true
  [ "$(uoci features | jq -r '.annotations["org.ulysses.checkpoint.enabled"]')" = $want ]
}

@test "bad options of checkpoint and restore: one line each" {
  run uoci checkpoint --manage-cgroups-mode sometimes $c1
  [ "$status" -ne 0 ]
  [ "$output" = 'ulysses-oci: checkpoint: --manage-cgroups-mode: expected soft, full, strict or ignore, got "sometimes"' ]
  run uoci restore --empty-ns ipc $c1
  [ "$status" -ne 0 ]
  [ "$output" = 'ulysses-oci: restore: --empty-ns: namespace "ipc" is not supported (only network)' ]
  run uoci checkpoint --lazy-pages $c1
  [ "$status" -ne 0 ]
  [ "$output" = 'ulysses-oci: checkpoint: unknown option "--lazy-pages" (see `ulysses-oci checkpoint --help`)' ]
  run uoci restore -d $c1
  [ "$status" -ne 0 ]
  assert_gone $c1
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-selftest.sh - runs INSIDE the guest (via tests/vm/selftest.sh): TAP
# checks that the guest offers what a container runtime and its tests need.
set -u
n=0 failed=0
work=$(mktemp -d /tmp/vm-selftest.XXXXXX)
cgroup=/sys/fs/cgroup/vm-selftest-$$
cleanup() {
  [ -d "$cgroup" ] && { cat "$cgroup/cgroup.procs" 2>/dev/null | xargs -r kill -9; sleep 0.2; rmdir "$cgroup"; }
  rm -rf "$work"
}
trap cleanup EXIT

check() { # NAME CMD...: one TAP line; the command's output becomes comments
  local name=$1 out; shift
  n=$((n + 1))
  if out=$("$@" 2>&1); then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"; failed=$((failed + 1))
    printf '%s\n' "$out" | sed 's/^/#   /'
  fi
}

pure_cgroup2() {
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || return 1
  ! awk '$3 == "cgroup"' /proc/self/mounts | grep -q . || return 1
  for c in cpu memory pids io; do
    grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control || { echo "$c not delegated"; return 1; }
  done
}

pid_namespace() { unshare -p -f -m --mount-proc true; }

mount_namespace_mounts() {
  unshare -m sh -ec "mkdir -p $work/m/proc $work/m/tmp
    mount -t proc proc $work/m/proc; test -e $work/m/proc/self/status
    mount -t tmpfs tmpfs $work/m/tmp; touch $work/m/tmp/x"
  # The mounts stayed in that namespace.
  ! grep -q " $work/m/" /proc/self/mounts || false
}

pivot_root_in_new_namespace() {
  local root=$work/root
  mkdir -p "$root"
  unshare -m sh -ec "
    mount --make-rprivate /
    mount -t tmpfs tmpfs $root
    mkdir -p $root/bin $root/old
    cp /bin/busybox $root/bin/busybox
    cd $root
    pivot_root . old
    /bin/busybox umount -l /old
    /bin/busybox test ! -e /old/etc/passwd
    /bin/busybox echo pivoted"
}

child_cgroup_memory_max() {
  mkdir "$cgroup" || return 1
  echo 64M >"$cgroup/memory.max" || return 1
  [ "$(cat "$cgroup/memory.max")" = 67108864 ] || return 1
  echo 20 >"$cgroup/pids.max" || return 1
  sleep 30 & local pid=$!
  echo "$pid" >"$cgroup/cgroup.procs" || return 1
  grep -qx "0::/vm-selftest-$$" "/proc/$pid/cgroup" || { cat "/proc/$pid/cgroup"; return 1; }
  kill "$pid"; wait "$pid" 2>/dev/null
  rmdir "$cgroup"
}

bats_usable() {
  printf '@test "inside" {\n  run echo hi\n  [ "$output" = hi ]\n}\n' >"$work/t.bats"
  bats --tap "$work/t.bats" | grep -qx 'ok 1 inside'
}

user_namespace() { unshare -U -r id -u | grep -qx 0; }
loopback_up() { ip -o link show lo | grep -q 'UP'; }
build_tree_writable() { local f="$BUILDDIR/.vm-selftest-$$"; echo x >"$f" && rm -f "$f"; }
host_root_not_writable_through() { echo x >/usr/.vm-selftest && rm -f /usr/.vm-selftest; }

check "guest is pure cgroup v2 with controllers delegated" pure_cgroup2
check "unshare -p -f -m --mount-proc true" pid_namespace
check "mount proc and tmpfs in a new mount namespace" mount_namespace_mounts
check "pivot_root in a new mount namespace" pivot_root_in_new_namespace
check "child cgroup with memory.max and pids.max" child_cgroup_memory_max
check "user namespace" user_namespace
check "bats is usable" bats_usable
check "loopback is up" loopback_up
check "build tree is writable" build_tree_writable
check "root overlay is writable (changes stay in the guest)" host_root_not_writable_through
echo "1..$n"
[ "$failed" = 0 ]

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# procmount.bats - config mounts inside /proc (src/procmount.c, runc's
# checkProcMount): only a procfs at /proc itself and mounts onto the entries
# lxcfs emulates are allowed. A bind over /proc/self/attr, /proc/sys/...,
# /proc/1/... is refused with one line naming .mounts[N].destination, by path
# (tricks included) before anything exists, and by what the destination
# resolved to in the init (a rootfs symlink into /proc); nothing is left.

load helpers

setup() {
  setup_bundle
  R=$BUNDLE/rootfs
  HOSTFILE=$TEST_TMP/hostfile
  echo host-content >"$HOSTFILE"
  MOUNTS_BEFORE=$(wc -l </proc/self/mountinfo)
}

teardown() { cleanup_all; }

# bind_at DEST [SOURCE]: append a read-write bind of SOURCE ($HOSTFILE) at DEST.
bind_at() {
  cfg ".mounts += [{\"destination\": \"$1\", \"type\": \"bind\", \"source\": \"${2:-$HOSTFILE}\", \"options\": [\"bind\"]}]"
}

# refused_with WORDS...: run fails with exactly one line holding every WORD,
# and leaves no state dir, cgroup, host mount, or change to the host file.
refused_with() {
  status=0
  uoci run --bundle "$BUNDLE" p1 </dev/null >"$TEST_TMP/out" 2>&1 || status=$?
  output=$(cat "$TEST_TMP/out")
  mapfile -t lines <"$TEST_TMP/out"
  echo "status $status: $output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  local w
  for w in "$@"; do [[ $output == *"$w"* ]] || { echo "missing: $w"; return 1; }; done
  [ ! -e "$STATE/p1" ] || { echo "state left"; return 1; }
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name p1 2>/dev/null | grep -q . || { echo "cgroup left"; return 1; }
  ! grep -q "$TEST_TMP" /proc/self/mountinfo || { echo "mount left on the host"; return 1; }
  [ "$(cat "$HOSTFILE")" = host-content ] || { echo "host file changed"; return 1; }
}

@test "procmount: a bind over /proc/self/attr/current is refused" {
  bind_at /proc/self/attr/current
  refused_with ".mounts[7].destination: /proc/self/attr/current is inside /proc"
}

@test "procmount: a bind over /proc/sys/kernel/core_pattern is refused" {
  bind_at /proc/sys/kernel/core_pattern
  refused_with ".mounts[7].destination: /proc/sys/kernel/core_pattern is inside /proc"
}

@test "procmount: mounts over /proc/1/... and a tmpfs over /proc/sys are refused" {
  bind_at /proc/1/environ
  refused_with ".mounts[7].destination: /proc/1/environ is inside /proc"
  cfg '.mounts[7] = {"destination": "/proc/sys", "type": "tmpfs", "source": "tmpfs"}'
  refused_with ".mounts[7].destination: /proc/sys is inside /proc"
}

@test "procmount: path tricks (/proc/./sys, //proc/../proc/sys, /proc/net/../sys) are cleaned first" {
  local d
  for d in /proc/./sys/kernel/core_pattern //proc/../proc/sys/kernel/core_pattern /proc/net/../sys/kernel/core_pattern \
           /proc/meminfo/../sys/kernel/core_pattern; do
    cfg '.mounts |= .[0:7]'
    bind_at "$d"
    refused_with ".mounts[7].destination: $d is inside /proc"
  done
}

@test "procmount: a rootfs symlink into /proc is refused where it resolves" {
  # the path is outside /proc; what it resolves to, once /proc is mounted, is not
  ln -s /proc/sys/kernel "$R/evil"
  bind_at /evil/core_pattern
  refused_with ".mounts[7].destination: /evil/core_pattern resolves into a procfs"
  # a relative one, and one through the allowed entries' own directory
  rm "$R/evil" && ln -s ../proc/self/attr "$R/evil"
  cfg '.mounts[7].destination = "/evil/current"'
  refused_with ".mounts[7].destination: /evil/current resolves into a procfs"
  rm "$R/evil" && ln -s proc "$R/evil"
  cfg '.mounts[7].destination = "/evil/meminfo"'
  refused_with ".mounts[7].destination: /evil/meminfo resolves into a procfs"
}

@test "procmount: at /proc only a procfs: a tmpfs, a host directory or a non-root procfs bind are refused" {
  cfg '.mounts[0] = {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}'
  refused_with ".mounts[0].destination: only a procfs may be mounted at /proc, not tmpfs"
  mkdir "$TEST_TMP/fakeproc"
  cfg ".mounts[0] = {\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$TEST_TMP/fakeproc\", \"options\": [\"rbind\"]}"
  refused_with ".mounts[0].destination: a bind at /proc must be of the root of a procfs"
  cfg '.mounts[0] = {"destination": "/proc", "type": "bind", "source": "/proc/sys", "options": ["rbind"]}'
  refused_with ".mounts[0].destination: a bind at /proc must be of the root of a procfs, /proc/sys is not"
}

@test "procmount: lxcfs-style binds of files onto the allowed entries work" {
  printf 'MemTotal: 1234 kB\n' >"$TEST_TMP/meminfo"
  printf '42.00 84.00\n' >"$TEST_TMP/uptime"
  bind_at /proc/meminfo "$TEST_TMP/meminfo"
  bind_at /proc/uptime "$TEST_TMP/uptime"
  bind_at /proc/sys/kernel/ns_last_pid "$TEST_TMP/uptime"
  cfg '.process.args = ["sh", "-c", "cat /proc/meminfo /proc/uptime; head -c4 /proc/sys/kernel/ns_last_pid; echo"]'
  run uoci run --bundle "$BUNDLE" p1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MemTotal: 1234 kB" ]
  [ "${lines[1]}" = "42.00 84.00" ]
  [ "${lines[2]}" = "42.0" ]
  [ ! -e "$STATE/p1" ]
  ! grep -q "$TEST_TMP" /proc/self/mountinfo || false
  # /proc/net/dev passes the check (procfs's own net -> self/net link is
  # followed inside the procfs) but this kernel refuses mounts on proc_net
  # entries (move_mount: ENOENT): the error is the kernel's, not ours
  bind_at /proc/net/dev "$TEST_TMP/uptime"
  run uoci run --bundle "$BUNDLE" p2
  [[ $output != *"inside /proc"* && $output != *"resolves into a procfs"* ]]
}

@test "procmount: a bind of the host's procfs root at /proc, and a remount of /proc, are allowed" {
  cfg '.mounts[0] = {"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind"]}
       | .linux.namespaces |= map(select(.type != "pid"))
       | .process.args = ["sh", "-c", "test -e /proc/1/status && echo ok"]'
  run uoci run --bundle "$BUNDLE" p1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = ok ]
  cfg '.mounts[0] = {"destination": "/proc", "type": "proc", "source": "proc"}
       | .mounts += [{"destination": "/proc", "type": "none", "options": ["remount", "nosuid", "noexec"]}]
       | .process.args = ["sh", "-c", "grep \" /proc \" /proc/self/mountinfo"]'
  run uoci run --bundle "$BUNDLE" p2
  echo "$output"
  [ "$status" -eq 0 ]
  [[ ${lines[-1]} == *noexec* ]]
}

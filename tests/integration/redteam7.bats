#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# redteam7.bats - red-team round of session 7 (docs/SECURITY.md): what a
# hostile state root and hostile documents did to the runtime, each run
# through the CLI. Every case must end in one line and a non-zero exit (or be
# skipped by list) within seconds: never a hang, a crash or a file read
# through a link.

load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  mkdir -p "$STATE"
}

teardown() { cleanup_all; }

@test "--root others can write: a state file that is a FIFO, a symlink or 2 GiB: state, list and delete --force answer at once, in one line" {
  mkdir "$STATE/fifo" "$STATE/link" "$STATE/huge" "$STATE/deep"
  mkfifo "$STATE/fifo/state"
  ln -s /etc/passwd "$STATE/link/state"
  truncate -s 2G "$STATE/huge/state"
  run timeout 10 "$UOCI" --root "$STATE" state fifo
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *'container "fifo": corrupt state file'* ]]
  run timeout 10 "$UOCI" --root "$STATE" state link
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *'container "link": open state: '* ]]
  run timeout 10 "$UOCI" --root "$STATE" state huge
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *'container "huge": read state: File too large'* ]]
  run timeout 10 "$UOCI" --root "$STATE" list -q
  [ "$status" -eq 0 ]
  # an annotations record nested 400000 deep crashed state (SIGSEGV)
  python3 -c 'import sys; n = 400000; sys.stdout.write("pid=999999\nstart=1\nbundle=/nonexistent\nrootfs=/nonexistent\ncreated=2020-01-01T00:00:00Z\nowner=0\nannotations={\"a\":" + "[" * n + "]" * n + "}\n")' >"$STATE/deep/state"
  run timeout 10 "$UOCI" --root "$STATE" state deep
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = stopped ]
  for id in fifo link huge deep; do
    run timeout 10 "$UOCI" --root "$STATE" delete --force "$id"
    [ "$status" -eq 0 ]
    [ ! -e "$STATE/$id" ]
  done
  [ "$(head -c 5 /etc/passwd)" = "root:" ]
}

# A bundle made like helpers' setup_bundle, in the TEST_TMP of this file,
# run with a copy of the runtime (an attack that wins writes the copy).
exe_bundle() {
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$BUNDLE"
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
  cp "$SRCDIR/tests/helpers/exeprobe" "$BUNDLE/rootfs/bin/"
  "$UOCI" spec --bundle "$BUNDLE"
  cfg '.process.terminal = false | .root.readonly = false'
  COPY=$TEST_TMP/uoci-copy
  cp "$UOCI" "$COPY"
  COPY_SUM=$(sha1sum <"$COPY")
}

@test "CVE-2019-5736: /proc/self/exe as the entrypoint, the exec target, a link to it or a script's interpreter is refused" {
  exe_bundle
  ln -s /proc/self/exe "$BUNDLE/rootfs/bin/evil"
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/evil.sh"
  printf '#!/bin/evil.sh\n' >"$BUNDLE/rootfs/bin/evil2.sh"
  chmod +x "$BUNDLE/rootfs/bin/evil.sh" "$BUNDLE/rootfs/bin/evil2.sh"
  local argv
  for argv in '["/proc/self/exe","--version"]' '["evil","--version"]' '["/bin/evil.sh"]'; do
    cfg ".process.args = $argv"
    run "$COPY" --root "$STATE" run --bundle "$BUNDLE" c1
    [ "$status" -ne 0 ]
    [[ $output == *"is the runtime's own binary"*"(CVE-2019-5736)"* ]]
    [[ $output != *"version"* ]]
    [ ! -e "$STATE/c1" ]
  done
  # a startContainer hook runs in the container's pid namespace too
  cfg '.process.args = ["true"] | .hooks = {"startContainer": [{"path": "/bin/evil", "args": ["evil", "--version"]}]}'
  run "$COPY" --root "$STATE" run --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [[ $output == *"startContainer hook: exec /bin/evil: it is the runtime's own binary"* ]]
  [[ $output != *"version 0"* ]]
  "$COPY" --root "$STATE" delete -f c1 2>/dev/null || true
  cfg 'del(.hooks) | .process.args = ["sleep", "30"]'
  "$COPY" --root "$STATE" run -d --bundle "$BUNDLE" c1
  # (/proc/self/exe and links to it do not resolve where exec looks the
  # program up, outside the container's pid namespace: ENOENT)
  for argv in /proc/self/exe /bin/evil /bin/evil.sh /bin/evil2.sh; do
    run "$COPY" --root "$STATE" exec c1 "$argv" --version
    [ "$status" -ne 0 ]
    [[ $output == *"is the runtime's own binary"* || ($argv != *.sh && ${output,,} == *"no such file or directory"*) ]]
    [[ $output != *"version 0"* ]]
  done
  # what the container runs otherwise is unchanged
  run "$COPY" --root "$STATE" exec c1 sh -c 'echo ok'
  [ "$status" -eq 0 ]
  [ "$output" = ok ]
  [ "$(sha1sum <"$COPY")" = "$COPY_SUM" ]
}

@test "CVE-2019-5736 live: a container process cannot grab the runtime binary as the container's process and write it once it re-executes" {
  # The attack that won before the fix: the entrypoint is the runtime binary
  # (/proc/self/exe), held by a --log FIFO; an exec'd process opens
  # /proc/1/exe, fakes a state that makes it re-execute itself sealed (the
  # binary no longer busy), and appends to the host's binary.
  exe_bundle
  local r=$BUNDLE/rootfs
  mkfifo "$r/fifo"
  mkdir -p "$r/r/x" "$r/evil"
  "$UOCI" spec --bundle "$r/evil"
  cp "$r/evil/config.json" "$r/r/x/config.json"
  cfg '.process.args = ["/proc/self/exe","--log","/fifo","--root","/r","exec","x","true"]'
  run "$COPY" --root "$STATE" run -d --bundle "$BUNDLE" c1
  if [ "$status" -eq 0 ]; then
    # (only before the fix: the init ran the runtime binary)
    "$COPY" --root "$STATE" exec -d c1 sh -c '
      printf "pid=1\nstart=%s\nbundle=/evil\nrootfs=/evil/rootfs\ncreated=2020-01-01T00:00:00Z\nowner=0\n" \
        "$(cut -d" " -f22 /proc/1/stat)" >/r/x/state
      touch /r/x/ptrace
      exeprobe 1 3000 >/probe.out 2>&1 &
      sleep 0.2
      : </fifo
      wait'
    local i
    for i in $(seq 1 50); do grep -q '^write:' "$r/probe.out" 2>/dev/null && break; sleep 0.1; done
    cat "$r/probe.out" || true
  else
    [[ $output == *"is the runtime's own binary"* ]]
  fi
  [ "$(sha1sum <"$COPY")" = "$COPY_SUM" ]
  ! grep -q PWNED "$COPY" || false
}

# The race the static check above leaves: the process that execs checks the
# program by path, then execve resolves it again. The fault-injection build's
# pause point "exec-checked" stops that process between the two, where a
# container process looping renames would win. The program is swapped for a
# link to /proc/self/exe, or a "#!" script's line (same inode) is rewritten to
# name it. Before the fix the runtime's binary ran as the container's process
# (dumpable: /proc/PID/exe writable once it stops running); now the execve
# runs from the sealed exec trampoline, and /proc/self/exe is the trampoline.

# race_swap PID HOW: wait until PID stopped at the pause point, swap
# /bin/target in the rootfs (link | script), let it go on.
race_swap() {
  local pid=$1 how=$2 i
  for i in $(seq 300); do grep -qs '^State:.*T' "/proc/$pid/status" && break; sleep 0.02; done
  grep -qs '^State:.*T' "/proc/$pid/status" || { echo "pid $pid never reached exec-checked"; return 1; }
  case $how in
  link) ln -sfn /proc/self/exe "$BUNDLE/rootfs/bin/target.new" && mv -T "$BUNDLE/rootfs/bin/target.new" "$BUNDLE/rootfs/bin/target" ;;
  script) printf '#!/proc/self/exe --version\n' >"$BUNDLE/rootfs/bin/target" ;;
  esac
  kill -CONT "$pid"
}

# the child of runtime process $1 that is stopped (the init, exec's second child)
stopped_child() {
  local i c
  for i in $(seq 300); do
    for c in $(pgrep -P "$1"); do
      grep -qs '^State:.*T' "/proc/$c/status" && { echo "$c"; return 0; }
    done
    sleep 0.02
  done
  return 1
}

not_in() { ! grep -q "$1" "$2"; }

race_target() {
  rm -f "$BUNDLE/rootfs/bin/target" # (a link to /proc/self/exe: never written through)
  printf '#!/bin/sh\necho benign\n' >"$BUNDLE/rootfs/bin/target"
  chmod +x "$BUNDLE/rootfs/bin/target"
}

@test "CVE-2019-5736 race: exec's program swapped between the check and the execve never runs the runtime's binary" {
  grep -q ULYSSES_FAULT_PAUSE "$UOCI" || skip "$UOCI has no pause points: build with ./configure --enable-fault-injection"
  exe_bundle
  cfg '.process.args = ["sleep", "60"]'
  "$COPY" --root "$STATE" run -d --bundle "$BUNDLE" c1
  local how
  for how in link script; do
    race_target
    ULYSSES_FAULT_PAUSE=exec-checked "$COPY" --root "$STATE" exec c1 /bin/target --version >"$TEST_TMP/out" 2>&1 </dev/null &
    local k=$!
    local child; child=$(stopped_child "$k") || { kill "$k"; false; }
    race_swap "$child" "$how"
    local rc=0; wait "$k" || rc=$?
    cat "$TEST_TMP/out"
    not_in version "$TEST_TMP/out"
    [ "$rc" -eq 127 ]
    grep -q "exec trampoline: only the runtime starts this" "$TEST_TMP/out"
  done
  [ "$(sha1sum <"$COPY")" = "$COPY_SUM" ]
  # unswapped, the same program runs as before
  race_target
  run "$COPY" --root "$STATE" exec c1 /bin/target
  [ "$status" -eq 0 ]
  [ "$output" = benign ]
}

@test "CVE-2019-5736 race: the init's program swapped between the check and the execve never runs the runtime's binary (run, create/start)" {
  grep -q ULYSSES_FAULT_PAUSE "$UOCI" || skip "$UOCI has no pause points: build with ./configure --enable-fault-injection"
  exe_bundle
  # in the host's pid namespace, so that the init can stop itself at the pause point
  cfg '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["/bin/target", "--version"]'
  race_target
  ULYSSES_FAULT_PAUSE=exec-checked "$COPY" --root "$STATE" run --bundle "$BUNDLE" c2 >"$TEST_TMP/out" 2>&1 </dev/null &
  local k=$!
  local init; init=$(stopped_child "$k") || { kill "$k"; false; }
  race_swap "$init" link
  local rc=0; wait "$k" || rc=$?
  cat "$TEST_TMP/out"
  not_in version "$TEST_TMP/out"
  [ "$rc" -eq 127 ]
  grep -q "exec trampoline: only the runtime starts this" "$TEST_TMP/out"
  [ ! -e "$STATE/c2" ]
  # create, then start releases the init, which stops at the pause point
  race_target
  ULYSSES_FAULT_PAUSE=exec-checked "$COPY" --root "$STATE" create --bundle "$BUNDLE" c3 >"$TEST_TMP/out3" 2>&1 </dev/null
  local pid; pid=$("$COPY" --root "$STATE" state c3 | jq .pid)
  "$COPY" --root "$STATE" start c3 &
  local s=$!
  race_swap "$pid" script
  wait "$s"
  local i
  for i in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
  cat "$TEST_TMP/out3"
  not_in version "$TEST_TMP/out3"
  grep -q "exec trampoline: only the runtime starts this" "$TEST_TMP/out3"
  "$COPY" --root "$STATE" delete -f c3
  [ "$(sha1sum <"$COPY")" = "$COPY_SUM" ]
}

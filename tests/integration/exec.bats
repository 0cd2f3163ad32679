#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# exec: a new process in a running container joins every namespace and the
# cgroup of its init, gets the process settings it asks for, and its exit
# status comes back; bad requests fail with one clear line.
load helpers

setup() {
  setup_bundle sleep 1000
  c1=exec-$$-$BATS_TEST_NUMBER
}
teardown() { cleanup_all; }

# Start the container detached; $INIT is the init's host pid.
start_container() {
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/init.pid" $c1 </dev/null >/dev/null 2>&1
  uoci start $c1
  INIT=$(cat "$TEST_TMP/init.pid")
}

# A detached exec of `sleep 1000`; $EXEC is its host pid.
exec_detached() {
  uoci exec --detach --pid-file "$TEST_TMP/exec.pid" "$@" $c1 sleep 1000 </dev/null >/dev/null 2>&1
  EXEC=$(cat "$TEST_TMP/exec.pid")
  [[ "$EXEC" =~ ^[0-9]+$ ]]
  kill -0 "$EXEC"
}

@test "the exit status of the process comes back (and 128+N for a signal)" {
  start_container
  run uoci exec $c1 sh -c 'echo out; exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = out ]
  run uoci exec $c1 sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
  run uoci exec $c1 true
  [ "$status" -eq 0 ]
}

@test "the process joins every namespace of the init" {
  start_container
  exec_detached
  for ns in pid net mnt ipc uts cgroup user time; do
    [ -e /proc/$INIT/ns/$ns ] || continue
    echo "$ns: init $(readlink /proc/$INIT/ns/$ns) exec $(readlink /proc/$EXEC/ns/$ns)"
    [ "$(readlink /proc/$INIT/ns/$ns)" = "$(readlink /proc/$EXEC/ns/$ns)" ]
  done
  # and it is really in the new ones, not ours
  [ "$(readlink /proc/$EXEC/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
  [ "$(readlink /proc/$EXEC/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
  # pid namespace: PID 1 is the init, the exec'd process sees itself as a small pid
  run uoci exec $c1 sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "sleep 1000 " ]
  [ "${lines[1]}" -gt 1 ]
  [ "${lines[1]}" -lt 100 ]
}

@test "without a terminal the process leads a session and process group of its own (as runc), none of the caller's" {
  start_container
  # in the container: its pgrp and session are its own pid (0 would be a group outside)
  run uoci exec $c1 sh -c 'echo "$$ $(cut -d" " -f5,6 /proc/self/stat)"'
  [ "$status" -eq 0 ]
  read -r self pgrp sid <<<"$output"
  [ "$pgrp" = "$self" ]
  [ "$sid" = "$self" ]
  # on the host: a detached one is not in this shell's (the caller's) process group
  exec_detached
  [ "$(cut -d' ' -f5 /proc/$EXEC/stat)" = "$EXEC" ]
  [ "$(cut -d' ' -f6 /proc/$EXEC/stat)" = "$EXEC" ]
}

@test "namespaces shared with the host stay ours, one joined by path is the path's (one setns on the init's pidfd)" {
  # a first container whose ipc namespace the second joins by path
  cfg '.process.args = ["sleep", "1000"]'
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/p0" $c1-0 </dev/null >/dev/null 2>&1
  p0=$(cat "$TEST_TMP/p0")
  # a cgroup namespace of the container's own (spec's default only on cgroup v2)
  cfg "del(.hostname) | .linux.namespaces |= map(select(.type != \"network\" and .type != \"uts\" and .type != \"cgroup\")) + [{\"type\": \"cgroup\"}] |
       .linux.namespaces |= map(if .type == \"ipc\" then .path = \"/proc/$p0/ns/ipc\" else . end)"
  start_container
  exec_detached
  for ns in pid mnt ipc cgroup user time; do
    [ -e /proc/$INIT/ns/$ns ] || continue
    [ "$(readlink /proc/$INIT/ns/$ns)" = "$(readlink /proc/$EXEC/ns/$ns)" ]
  done
  [ "$(readlink /proc/$EXEC/ns/net)" = "$(readlink /proc/self/ns/net)" ]
  [ "$(readlink /proc/$EXEC/ns/uts)" = "$(readlink /proc/self/ns/uts)" ]
  [ "$(readlink /proc/$EXEC/ns/ipc)" = "$(readlink /proc/$p0/ns/ipc)" ]
  [ "$(readlink /proc/$EXEC/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ]
  [ "$(readlink /proc/$EXEC/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
  # Linux >= 5.8: no /proc/PID/ns file is opened, the child joins with one setns
  IFS=. read -r major minor _ < <(uname -r)
  if command -v strace >/dev/null && { [ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -ge 8 ]; }; }; then
    strace -f -qq -e trace=setns,openat,open -o "$TEST_TMP/strace" "$UOCI" --root "$STATE" exec $c1 true
    cat "$TEST_TMP/strace"
    [ "$(grep -c 'setns(' "$TEST_TMP/strace")" -eq 1 ]
    for f in NS IPC PID CGROUP; do grep 'setns(' "$TEST_TMP/strace" | grep -q "CLONE_NEW$f\b"; done
    [ "$(grep 'setns(' "$TEST_TMP/strace" | grep -cE 'CLONE_NEW(NET|UTS|USER)')" -eq 0 ]
    [ "$(grep -cE '"/proc/[0-9]+/ns/[a-z]' "$TEST_TMP/strace")" -eq 0 ]
  fi
}

@test "an execve refused in the container is one clear error; exec.lock is free while the process runs" {
  start_container
  printf 'not a program\n' >"$BUNDLE/rootfs/notbin"
  chmod 755 "$BUNDLE/rootfs/notbin"
  run uoci exec $c1 /notbin
  echo "$output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *'exec in container "'$c1'"'*"exec format error"* ]]
  # exec.lock (held shared until the process has exec'd) is not held while
  # the process runs: a CAP_SYS_PTRACE exec would wait for it
  uoci exec $c1 sleep 5 </dev/null >/dev/null 2>&1 &
  bg=$!
  got=
  for _ in $(seq 60); do
    sleep 0.05
    if flock -x -n "$STATE/$c1/exec.lock" true; then got=1; break; fi
  done
  [ -n "$got" ]
  kill -0 $bg # the exec is still running
  wait $bg
}

@test "the process joins the container's cgroup" {
  start_container
  exec_detached
  diff /proc/$INIT/cgroup /proc/$EXEC/cgroup
  cg=$(cgroup_of_pid $INIT)
  [ -n "$cg" ]
  [ "$cg" != / ]
  [ "$(cgroup_of_pid $EXEC)" = "$cg" ]
  run uoci ps --format json $c1
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --argjson p "$EXEC" 'index($p) != null'
}

@test "--user, --env and --cwd; the container's env is inherited" {
  cfg '.process.env += ["FROM_CONFIG=cfg"]'
  start_container
  run uoci exec --user 1000:1000 --env EXTRA=x1 --env FROM_CONFIG=over --cwd /tmp $c1 \
    sh -c 'echo "$(id -u):$(id -g) $EXTRA $FROM_CONFIG $(pwd)"'
  [ "$status" -eq 0 ]
  [ "$output" = "1000:1000 x1 over /tmp" ]
  run uoci exec $c1 sh -c 'echo "$(id -u) $FROM_CONFIG $(pwd)"'
  [ "$output" = "0 cfg /" ]
}

@test "--env KEY=VAL replaces the config's KEY (one entry, the new value), as runc" {
  cfg '.process.env += ["FROM_CONFIG=cfg", "KEEP=k"]'
  start_container
  run uoci exec --env FROM_CONFIG=over --env NEW=n $c1 sh -c 'env | grep -E "^(FROM_CONFIG|KEEP|NEW)=" | sort'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'FROM_CONFIG=over\nKEEP=k\nNEW=n')" ]
}

@test "a KEY repeated in process.env takes its last value, at its first place (runc; podman exec appends -e)" {
  cfg '.process.env = ["PATH=/bin", "DUP=first", "OTHER=o", "DUP=last"]'
  start_container
  run uoci exec $c1 env
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -E '^(PATH|DUP|OTHER)=')" = "$(printf 'PATH=/bin\nDUP=last\nOTHER=o')" ]
  printf '{"args": ["env"], "cwd": "/", "env": ["A=1", "B=2", "A=3"]}' >"$TEST_TMP/p.json"
  run uoci exec --process "$TEST_TMP/p.json" $c1
  [ "$(echo "$output" | grep -E '^(A|B)=')" = "$(printf 'A=3\nB=2')" ]
}

@test "--additional-gids adds supplementary groups to the process's" {
  cfg '.process.user.additionalGids = [5]'
  start_container
  run uoci exec --user 1000:1000 --additional-gids 10 -g 20 $c1 awk '/^Groups:/ {$1 = ""; print}' /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "5 10 20" ]
  run uoci exec -g 30 $c1 id -G
  [ "$output" = "0 5 30" ]
  for bad in -1 abc 4294967296; do
    run uoci exec -g "$bad" $c1 true
    [ "$status" -eq 255 ]
    [[ "$output" == *"--additional-gids"* ]]
  done
}

@test "--ignore-paused: exec into a paused container, the process runs once resumed" {
  cfg '.root.readonly = false'
  start_container
  uoci pause $c1
  run uoci exec $c1 true
  [ "$status" -eq 255 ]
  [[ "$output" == *"cannot exec in a paused container"*"--ignore-paused"* ]]
  uoci exec --ignore-paused $c1 sh -c 'echo ran >/tmp/ran; echo done' >"$TEST_TMP/out" 2>&1 &
  bg=$!
  sleep 0.5
  # frozen with the container: nothing ran yet
  [ ! -e "$BUNDLE/rootfs/tmp/ran" ]
  kill -0 $bg
  uoci resume $c1
  wait $bg
  [ "$(cat "$TEST_TMP/out")" = done ]
  [ "$(cat "$BUNDLE/rootfs/tmp/ran")" = ran ]
}

@test "--cap adds a capability; a non-root --user drops the effective set" {
  start_container
  sys_admin=$((1 << 21))
  run uoci exec $c1 awk '/^CapEff/ {print $2}' /proc/self/status
  [ "$status" -eq 0 ]
  [ $((16#$output & sys_admin)) -eq 0 ]
  run uoci exec --cap CAP_SYS_ADMIN $c1 awk '/^CapEff/ {print $2}' /proc/self/status
  [ "$status" -eq 0 ]
  [ $((16#$output & sys_admin)) -ne 0 ]
  run uoci exec --user 1000 $c1 awk '/^CapEff/ {print $2}' /proc/self/status
  [ "$output" = 0000000000000000 ]
  # runtime-spec 1.1+: an unknown capability is a warning, not an error
  run uoci exec --cap CAP_NO_SUCH $c1 true
  [ "$status" -eq 0 ]
  [[ "$output" == *'warning: process.capabilities.bounding: unknown capability "CAP_NO_SUCH" ignored'* ]]
}

@test "--no-new-privs, and the config's seccomp and rlimits apply to the exec'd process" {
  cfg '.process.noNewPrivileges = false | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}] |
       .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                         "syscalls": [{"names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  start_container
  run uoci exec $c1 grep NoNewPrivs /proc/self/status
  [[ "$output" == *"0" ]]
  run uoci exec --no-new-privs $c1 grep NoNewPrivs /proc/self/status
  [[ "$output" == *"1" ]]
  run uoci exec $c1 sh -c 'ulimit -n; ulimit -Hn; grep ^Seccomp: /proc/self/status; mkdir /tmp/d && echo made'
  echo "$output"
  [ "${lines[0]}" = 321 ]
  [ "${lines[1]}" = 654 ]
  [[ "${lines[2]}" == *2 ]]
  [[ "$output" != *made* ]]
}

@test "--process FILE runs that process (its args, env, cwd, user)" {
  start_container
  cat >"$TEST_TMP/process.json" <<'EOF'
{"args": ["sh", "-c", "echo \"$A $(id -u) $(pwd)\"; exit 6"], "env": ["A=from-file", "PATH=/bin"],
 "cwd": "/etc", "user": {"uid": 65534, "gid": 65534}}
EOF
  run uoci exec --process "$TEST_TMP/process.json" $c1
  [ "$status" -eq 6 ]
  [ "$output" = "from-file 65534 /etc" ]
  echo '{"args": ' >"$TEST_TMP/bad.json"
  run uoci exec --process "$TEST_TMP/bad.json" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *bad.json* ]]
}

@test "--preserve-fds passes fds 3.. and closes the rest" {
  start_container
  echo preserved >"$TEST_TMP/f3"
  run uoci exec --preserve-fds 1 $c1 sh -c 'cat <&3; ls /proc/self/fd | tr "\n" " "' 3<"$TEST_TMP/f3" 5<"$TEST_TMP/f3"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = preserved ]
  # 0-2, the preserved 3, and ls's own directory fd (4); never 5
  [ "${lines[1]}" = "0 1 2 3 4 " ]
  run uoci exec $c1 ls /proc/self/fd 3<"$TEST_TMP/f3"
  [ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "--preserve-fds N with fds 3..3+N-1 not open: they are /dev/null, never a runtime fd such as --log's" {
  start_container
  # fd 3 and 4 closed in the caller: the --log file (and anything the runtime
  # opens) used to land there and went to the process as a preserved fd
  run uoci --log "$TEST_TMP/rt.log" exec --preserve-fds 2 $c1 sh -c 'readlink /proc/self/fd/3; readlink /proc/self/fd/4' 3<&- 4<&-
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '/dev/null\n/dev/null')" ]
  run uoci --log "$TEST_TMP/rt.log" exec --preserve=2 $c1 sh -c 'readlink /proc/self/fd/3; readlink /proc/self/fd/4' 3<&- 4<&-
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '/dev/null\n/dev/null')" ]
  # LISTEN_FDS asks for the same range
  run env LISTEN_FDS=2 "$UOCI" --root "$STATE" --log "$TEST_TMP/rt.log" exec $c1 sh -c 'readlink /proc/self/fd/3; readlink /proc/self/fd/4' 3<&- 4<&-
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '/dev/null\n/dev/null')" ]
}

@test "--tty with --console-socket: the pty master goes to the socket" {
  start_container
  "$BUILDDIR/tests/helpers/recvtty" "$TEST_TMP/tty.sock" >"$TEST_TMP/tty.out" 2>"$TEST_TMP/tty.err" &
  rpid=$!
  for i in $(seq 100); do [ -S "$TEST_TMP/tty.sock" ] && break; sleep 0.02; done
  run uoci exec --tty --console-socket "$TEST_TMP/tty.sock" $c1 sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; exit 3'
  [ "$status" -eq 3 ]
  wait $rpid
  tr -d '\r' <"$TEST_TMP/tty.out" >"$TEST_TMP/tty.clean"
  grep -qE '^/dev/pts/[0-9]+$' "$TEST_TMP/tty.clean"
  grep -qx stdio-is-tty "$TEST_TMP/tty.clean"
}

@test "--tty without a console socket proxies the terminal; --detach needs the socket" {
  start_container
  run script -qec "$UOCI --root $STATE exec --tty $c1 tty" /dev/null </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/pts/"* ]]
  run uoci exec --tty --detach $c1 tty
  [ "$status" -ne 0 ]
  [[ "$output" == *"--console-socket"* ]]
}

@test "--tty with no terminal of ours (no stdio terminal, no controlling one) is refused at once" {
  start_container
  run setsid -w timeout -s KILL 10 "$UOCI" --root "$STATE" exec --tty $c1 sh </dev/null
  [ "$status" -eq 255 ]   # an exec failure, as runc
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"exec: process.terminal is true but there is no terminal to attach it to"* ]]
  [ "$(uoci ps --format json $c1 | jq length)" -eq 1 ]   # only the init: no shell left waiting
}

@test "exec --tty in the foreground clears ONLCR; a non-root --user owns the pty and its pipes" {
  start_container
  # on a terminal (script(1)): without one exec --tty refuses, see above.
  # script(1) writes an EOF byte into its pty when its stdin (/dev/null)
  # ends; if the container's pty still echoes then, "^@" shows up: not ours
  timeout 20 script -qec "'$UOCI' --root '$STATE' exec -t $c1 printf 'one\\ntwo\\n'" /dev/null </dev/null >"$TEST_TMP/out"
  od -c "$TEST_TMP/out"
  [ "$(sed 's/\^@//g' "$TEST_TMP/out")" = "$(printf 'one\ntwo')" ]
  ! grep -q $'\r' "$TEST_TMP/out" || false
  run timeout 20 script -qec "'$UOCI' --root '$STATE' exec -t --user 1000:1000 $c1 sh -c 'stat -c %u:%g \$(tty)'" /dev/null </dev/null
  [ "${output//^@/}" = 1000:5 ]
  # the caller's own terminal (script's pty, exec's stdio) stays the caller's
  run timeout 20 script -qec "stat -c %u:%g \$(tty); '$UOCI' --root '$STATE' exec -t --user 1000:1000 $c1 true; stat -c %u:%g \$(tty)" /dev/null </dev/null
  echo "$output"
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[0]}" = "${lines[1]//^@/}" ]
  run uoci exec --user 1000:1000 $c1 sh -c 'echo via-dev-stdout >/dev/stdout' </dev/null
  [ "$status" -eq 0 ]
  [ "$output" = via-dev-stdout ]
}

@test "--detach returns at once and --pid-file names the process" {
  start_container
  start=$(date +%s%N)
  exec_detached
  [ $((($(date +%s%N) - start) / 1000000)) -lt 2000 ]
  [ "$(cat /proc/$EXEC/comm)" = sleep ]
  [ "$(wc -l <"$TEST_TMP/exec.pid")" -eq 0 ]   # bare number
  kill -9 "$EXEC"
}

@test "errors: unknown, stopped and paused containers, missing command and executable" {
  run uoci exec nosuch-$$ true
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *'container "nosuch-'*'" does not exist'* ]]

  start_container
  run uoci exec $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"missing command"* ]]
  run uoci exec $c1 /no/such/binary
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"/no/such/binary"*"no such file or directory"* ]]
  run uoci exec --user notanumber $c1 true
  [ "$status" -ne 0 ]
  [[ "$output" == *"--user"* ]]

  uoci pause $c1
  run uoci exec $c1 true
  [ "$status" -eq 255 ]
  [[ "$output" == *"cannot exec in a paused container"* ]]
  uoci resume $c1

  uoci kill $c1 KILL
  wait_status $c1 stopped
  run uoci exec $c1 true
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"it is stopped"* ]]
}

@test "the process's oomScoreAdj applies to the exec'd process too" {
  cfg '.process.oomScoreAdj = 321'
  start_container
  run uoci exec $c1 cat /proc/self/oom_score_adj
  [ "$status" -eq 0 ]
  [ "$output" = 321 ]
}

@test "execCPUAffinity: initial before the cgroup, final after; from --process or the config; not for the init" {
  [ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
  cfg '.process.execCPUAffinity = {"initial": "0", "final": "1"}'
  start_container
  # the spec: not applied to the init
  [ "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/$INIT/status)" = "$(cat /sys/devices/system/cpu/online)" ]
  # exec of the config's process: final is what the process keeps
  run uoci --log "$TEST_TMP/log" --debug exec $c1 grep Cpus_allowed_list /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == $'Cpus_allowed_list:\t1' ]]
  # initial was in force before the cgroup join (which resets it to the cpuset)
  grep -q 'CPU affinity 0x1 before joining the cgroup' "$TEST_TMP/log"
  # --process with other values
  cat >"$TEST_TMP/p.json" <<'EOF2'
{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "execCPUAffinity": {"initial": "1", "final": "0"}}
EOF2
  run uoci --log "$TEST_TMP/log2" --debug exec --process "$TEST_TMP/p.json" $c1
  [[ "$output" == $'Cpus_allowed_list:\t0' ]]
  grep -q 'CPU affinity 0x2 before joining the cgroup' "$TEST_TMP/log2"
  # initial only: after the cgroup the kernel decides (before 6.2 a cpuset
  # move reset it to the cpuset's CPUs, since then it keeps what was asked)
  echo '{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "execCPUAffinity": {"initial": "1"}}' >"$TEST_TMP/p.json"
  run uoci exec --process "$TEST_TMP/p.json" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == $'Cpus_allowed_list:\t1' || "$output" == $'Cpus_allowed_list:\t'"$(cat /sys/devices/system/cpu/online)" ]]
  # a bad list is a clear error
  echo '{"args": ["true"], "cwd": "/", "execCPUAffinity": {"final": "1-0"}}' >"$TEST_TMP/p.json"
  run uoci exec --process "$TEST_TMP/p.json" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'.process.execCPUAffinity.final "1-0": range end is before its start'* ]]
}

@test "the init and exec'd processes do not keep the caller's CPU affinity (taskset, a pinned shim), as runc 1.2.7+" {
  [ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
  online=$(cat /sys/devices/system/cpu/online)
  taskset -c 0 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" --pid-file "$TEST_TMP/init.pid" $c1 </dev/null >/dev/null 2>&1
  uoci start $c1
  # every CPU the container's cpuset has (the host's online ones here), not CPU 0 only
  [ "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/$(cat "$TEST_TMP/init.pid")/status)" = "$online" ]
  run taskset -c 0 "$UOCI" --root "$STATE" exec $c1 grep Cpus_allowed_list /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = $'Cpus_allowed_list:\t'"$online" ]
  # execCPUAffinity still wins
  echo '{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "execCPUAffinity": {"final": "1"}}' >"$TEST_TMP/p.json"
  run taskset -c 0 "$UOCI" --root "$STATE" exec --process "$TEST_TMP/p.json" $c1
  [ "$output" = $'Cpus_allowed_list:\t1' ]
}

@test "--apparmor and --process-label: refused when the host lacks the LSM" {
  start_container
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
    run uoci exec --apparmor some-profile $c1 true
    [ "$status" -ne 0 ]
    [[ "$output" == *"AppArmor is not enabled"* ]]
  else
    run uoci exec --apparmor unconfined $c1 cat /proc/self/attr/current
    [ "$status" -eq 0 ]
  fi
  if [ ! -e /sys/fs/selinux/enforce ]; then
    run uoci exec --process-label system_u:system_r:container_t:s0 $c1 true
    [ "$status" -ne 0 ]
    [[ "$output" == *"SELinux is not enabled"* ]]
  fi
}

@test "features: apparmor and selinux say what the runtime supports, whatever the host has" {
  # features-linux.md: "Irrelevant to the availability of AppArmor on the
  # host operating system". This host has neither; the answer stays true.
  run uoci features
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq .linux.apparmor.enabled)" = true ]
  [ "$(echo "$output" | jq .linux.selinux.enabled)" = true ]
}

@test "features lists what the modules support; --version has runc's shape" {
  run uoci features
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.ociVersionMin == "1.0.0" and (.hooks | index("createRuntime")) and
    (.mountOptions | index("rro") and index("idmap")) and (.linux.namespaces | index("mount")) and
    (.linux.capabilities | index("CAP_SYS_ADMIN")) and
    (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY")) and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64")) and
    (.linux.seccomp.operators | length == 7) and
    ((.linux.seccomp.supportedFlags - .linux.seccomp.knownFlags) == []) and
    .linux.netDevices.enabled and .linux.intelRdt.enabled and .linux.intelRdt.schemata and .linux.intelRdt.monitoring and
    (.linux.memoryPolicy.modes | length == 7 and index("MPOL_WEIGHTED_INTERLEAVE")) and
    (.linux.memoryPolicy.flags | length == 3 and index("MPOL_F_NUMA_BALANCING"))'
  run "$UOCI" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^ulysses-oci\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
  [[ "${lines[1]}" =~ ^commit:\ . ]]
  [[ "${lines[2]}" =~ ^spec:\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

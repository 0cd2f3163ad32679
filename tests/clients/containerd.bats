#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# containerd driving ulysses-oci through the io.containerd.runc.v2 shim
# (BinaryName, set per container by `ctr run --runc-binary`), with a private
# containerd (root, state, sockets under $CWORK; CRI disabled) started and
# stopped by this file inside the sandbox of helpers.bash.
load helpers

setup_file() {
  clients_setup_file containerd containerd ctr containerd-shim-runc-v2 nsenter unshare jq script || return 1
  [ -z "$CLIENTS_MISSING" ] || return 0
  local C=$CWORK/containerd
  mkdir -p "$C"
  containerd_write_config "$C"
  export CONTAINERD_ADDRESS=$C/containerd.sock CONTAINERD_NAMESPACE=$CGNAME
  in_sandbox bash -c 'containerd --config "$1" >"$2" 2>&1 & echo $! >"$3"' _ \
    "$C/config.toml" "$C/containerd.log" "$C/containerd.pid"
  retry 10 in_sandbox ctr version >/dev/null 2>&1 || { cat "$C/containerd.log" >&2; return 1; }
  c images import "$IMAGE_TAR" >/dev/null
}

teardown_file() {
  if [ -n "${CWORK:-}" ] && [ -z "${CLIENTS_MISSING:-}" ] && [ -s "$CWORK/containerd/containerd.pid" ]; then
    local id
    for id in $(c task ls -q 2>/dev/null); do c task kill -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 0.2
    for id in $(c task ls -q 2>/dev/null); do c task delete -f "$id" >/dev/null 2>&1; done
    for id in $(c container ls -q 2>/dev/null); do c container delete "$id" >/dev/null 2>&1; done
    in_sandbox kill "$(cat "$CWORK/containerd/containerd.pid")" 2>/dev/null
  fi
  clients_teardown_file
}

setup() {
  [ -z "$CLIENTS_MISSING" ] || skip "not installed:$CLIENTS_MISSING"
}

c() { in_sandbox timeout 30 ctr "$@"; }
RUN=(run --runc-binary "$UOCI")
MAIN=uoci-main
# the shim's runtime root: <options.Root or /run/containerd/runc>/<namespace>
rt() { in_sandbox "$UOCI" --root "/run/containerd/runc/$CGNAME" "$@"; }
task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
has_status() { [ "$(task_status "$1")" = "$2" ]; }
task_pid() { c task ls | awk -v id="$1" '$1 == id {print $2}'; }

@test "the shim runs ulysses-oci: output and the exit status" {
  run c "${RUN[@]}" --rm "$IMAGE" uoci-echo echo hello-containerd
  [ "$status" -eq 0 ]
  [ "$output" = hello-containerd ]
  run c "${RUN[@]}" --rm "$IMAGE" uoci-rc sh -c 'exit 3'
  [ "$status" -eq 3 ]
}

@test "run -t: the process gets a terminal" {
  run in_sandbox script -qec "ctr run --runc-binary '$UOCI' --rm -t '$IMAGE' uoci-tty sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty'" /dev/null </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == */dev/pts/* ]]
  [[ "$output" == *stdio-is-tty* ]]
}

@test "env, cwd and a memory limit reach the container" {
  run c "${RUN[@]}" --rm --env FOO=bar --cwd /tmp --memory-limit 67108864 "$IMAGE" uoci-env \
    sh -c 'echo "$FOO $(pwd)"'
  [ "$status" -eq 0 ]
  [ "$output" = "bar /tmp" ]
}

@test "a task whose process exited: task delete --force succeeds and leaves nothing (runc's kill wording)" {
  # The shim answers every exit with `kill --all ID 9` and takes only runc's
  # "container not running" for "already finished"; delete --force kills first.
  c "${RUN[@]}" -d --null-io "$IMAGE" uoci-exit0 sh -c 'exit 0'
  retry 10 has_status uoci-exit0 STOPPED
  run c task delete --force uoci-exit0
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run c task ls -q
  [[ "$output" != *uoci-exit0* ]]
  run rt state uoci-exit0
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
  c container delete uoci-exit0
  # the same through kill: the shim reports "process already finished"
  c "${RUN[@]}" -d --null-io "$IMAGE" uoci-exit1 sh -c 'exit 1'
  retry 10 has_status uoci-exit1 STOPPED
  run c task kill -s SIGKILL uoci-exit1
  echo "$output"
  [[ "$output" != *"unknown error after kill"* ]]
  run c task delete uoci-exit1
  [[ "$output" == *"exit code 1"* ]]
  c container delete uoci-exit1
  ! grep -q "unknown error after kill" "$CWORK/containerd/containerd.log" || false
}

@test "run without --net-host: lo is up in the task's network namespace, 127.0.0.1 works" {
  run c "${RUN[@]}" --rm "$IMAGE" uoci-lo sh -c \
    '(nc -l -p 7777 >/tmp/got &); sleep 0.2; echo over-lo | nc 127.0.0.1 7777; sleep 0.1; cat /tmp/got; ip -o link show lo'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = over-lo ]
  [[ "${lines[1]}" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
}

@test "a detached task runs, with its limit in its cgroup, and the runtime sees it" {
  c "${RUN[@]}" -d --null-io --memory-limit 67108864 "$IMAGE" $MAIN sh -c \
    'trap "exit 143" TERM; while :; do sleep 0.2; done'
  retry 5 has_status $MAIN RUNNING
  pid=$(task_pid $MAIN)
  [ "$(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)")" = 67108864 ]
  [ "$(rt state $MAIN | jq -r .status)" = running ]
}

@test "task ps asks the runtime" {
  run c task ps $MAIN
  [ "$status" -eq 0 ]
  echo "$output" | awk 'NR > 1 {print $1}' | grep -qx "$(task_pid $MAIN)"
}

@test "exec: output, exit status, terminal, user and cwd, no leaked fds" {
  run c task exec --exec-id e1 $MAIN sh -c 'echo exec-ok'
  [ "$status" -eq 0 ]
  [ "$output" = exec-ok ]
  run c task exec --exec-id e2 $MAIN sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run in_sandbox script -qec "ctr task exec -t --exec-id e3 $MAIN tty" /dev/null </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == */dev/pts/* ]]
  run c task exec --exec-id e4 --user 1000:1000 --cwd /tmp $MAIN sh -c 'echo "$(id -u):$(id -g) $(pwd)"'
  [ "$output" = "1000:1000 /tmp" ]
  run c task exec --exec-id e5 $MAIN ls /proc/self/fd
  [ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "exec as a non-root user: the shim's pipes and the pty belong to it" {
  run c task exec --exec-id e6 --user 1000:1000 $MAIN sh -c 'echo via-stdout >/dev/stdout; echo via-stderr >/dev/stderr'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "via-stderr via-stdout " ]
  run in_sandbox script -qec "ctr task exec -t --exec-id e7 --user 1000:1000 $MAIN sh -c 'stat -c %u:%g \$(tty)'" /dev/null </dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${output//^@/}" == 1000:5* ]]   # "^@": script's EOF byte echoed
}

@test "pause and resume" {
  c task pause $MAIN
  [ "$(task_status $MAIN)" = PAUSED ]
  [ "$(rt state $MAIN | jq -r .status)" = paused ]
  c task resume $MAIN
  [ "$(task_status $MAIN)" = RUNNING ]
}

@test "SIGTERM stops it; delete reports 143 and leaves no state and no cgroup" {
  pid=$(task_pid $MAIN)
  cgdir=$(dirname "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)")
  [ -d "$cgdir" ]
  c task kill $MAIN
  retry 10 has_status $MAIN STOPPED
  run c task delete $MAIN
  [ "$status" -eq 0 ]
  [[ "$output" == *"exit code 143"* ]]
  c container delete $MAIN
  run rt state $MAIN
  [ "$status" -ne 0 ]
  [ ! -e "$cgdir" ]
  [ -z "$(rt list -q)" ]
}

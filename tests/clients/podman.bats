#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# podman (conmon) driving ulysses-oci, registered as the named runtime
# "ulysses-oci" in a private containers.conf, with private storage (vfs) and
# a locally built image; everything inside the sandbox of helpers.bash.
load helpers
source "$SRCDIR/tests/helpers/notify.bash"

setup_file() {
  podman_setup_file podman
}

teardown_file() {
  podman_teardown_file
}

setup() {
  [ -z "$CLIENTS_MISSING" ] || skip "not installed:$CLIENTS_MISSING"
  LISTENER=
}

teardown() {
  [ -z "$LISTENER" ] || { kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null; } || true
}

# Containers of this file go under one cgroup parent, removed at the end.
CR=(--cgroup-parent "/$CGNAME")
MAIN=uoci-main

@test "podman uses ulysses-oci and the private storage" {
  run pod info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}} {{.Store.GraphRoot}}'
  [ "$status" -eq 0 ]
  [ "$output" = "ulysses-oci $UOCI $CWORK/podman/root" ]
  run pod info --format '{{.Host.OCIRuntime.Version}}'
  [[ "$output" == *"ulysses-oci version"* ]]
  pod image exists "$IMAGE"
}

@test "run: output, and the exit status comes back" {
  run pod run --rm "${CR[@]}" "$IMAGE" echo hello-podman
  [ "$status" -eq 0 ]
  [ "$output" = hello-podman ]
  run pod run --rm "${CR[@]}" "$IMAGE" sh -c 'exit 3'
  [ "$status" -eq 3 ]
}

@test "run -t: the process gets a terminal" {
  run pod run --rm -t "${CR[@]}" "$IMAGE" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty'
  [ "$status" -eq 0 ]
  [[ "$output" == */dev/pts/* ]]
  [[ "$output" == *stdio-is-tty* ]]
}

@test "limits, a read-only rootfs, a user, env and workdir" {
  run pod run --rm "${CR[@]}" --memory 64m --pids-limit 32 --read-only --user 1000:1000 -e FOO=bar -w /tmp \
    "$IMAGE" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
                    cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
                    touch /probe 2>/dev/null && echo rootfs-rw || echo rootfs-ro
                    echo "$(id -u):$(id -g) $FOO $(pwd)"; grep CapEff /proc/self/status'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 67108864 ]
  [ "${lines[1]}" = 32 ]
  [ "${lines[2]}" = rootfs-ro ]
  [ "${lines[3]}" = "1000:1000 bar /tmp" ]
  [[ "${lines[4]}" =~ CapEff:[[:space:]]+0+$ ]]
}

@test "--network none: lo is up, a server on 127.0.0.1 answers" {
  run pod run --rm "${CR[@]}" --network none "$IMAGE" sh -c \
    '(nc -l -p 7777 >/tmp/got &); sleep 0.2; echo over-lo | nc 127.0.0.1 7777; sleep 0.1; cat /tmp/got; ip -o link show lo'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = over-lo ]
  [[ "${lines[1]}" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
}

@test "a non-root --user owns conmon's stdio pipes and its terminal" {
  run pod run --rm "${CR[@]}" --user 1000:1000 "$IMAGE" sh -c \
    'echo via-stdout >/dev/stdout && echo via-stderr >/dev/stderr && stat -L -c %u /proc/self/fd/1'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "1000 via-stderr via-stdout " ]
  run pod run --rm -t "${CR[@]}" --user 1000:1000 "$IMAGE" sh -c 'stat -c %u:%g $(tty); echo hi >/dev/stdout && echo reopened'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == 1000:5* ]]
  [[ "${lines[2]}" == reopened* ]]
}

@test "a container whose process exited: stop and rm -f succeed and leave nothing" {
  pod run -d --name uoci-exit0 "${CR[@]}" "$IMAGE" sh -c 'exit 0'
  for i in $(seq 50); do [ "$(pod inspect -f '{{.State.Status}}' uoci-exit0)" = exited ] && break; sleep 0.1; done
  [ "$(pod inspect -f '{{.State.Status}} {{.State.ExitCode}}' uoci-exit0)" = "exited 0" ]
  run pod stop -t 1 uoci-exit0
  [ "$status" -eq 0 ]
  id=$(pod inspect -f '{{.Id}}' uoci-exit0)
  run pod rm -f uoci-exit0
  [ "$status" -eq 0 ]
  ! pod container exists uoci-exit0 || false
  run in_sandbox find /run -name "$id" -path '*ulysses*'
  [ -z "$output" ]
}

@test "a detached container runs, with its limit in its cgroup" {
  pod run -d --name $MAIN "${CR[@]}" --memory 64m -e DUPVAR=from-run "$IMAGE" sh -c \
    'trap "exit 143" TERM; echo started; while :; do sleep 0.2; done'
  [ "$(pod inspect -f '{{.State.Status}}' $MAIN)" = running ]
  pid=$(pod inspect -f '{{.State.Pid}}' $MAIN)
  [ "$(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)")" = 67108864 ]
  # --sync asks the runtime (`state`) rather than podman's database
  run pod ps --sync --filter name=$MAIN --format '{{.Names}} {{.Status}}'
  [[ "$output" == "$MAIN Up"* ]]
}

@test "exec: output, exit status, terminal, user/env/workdir, no leaked fds" {
  run pod exec $MAIN sh -c 'echo exec-ok'
  [ "$status" -eq 0 ]
  [ "$output" = exec-ok ]
  run pod exec $MAIN sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run pod exec -t $MAIN tty
  [ "$status" -eq 0 ]
  [[ "$output" == /dev/pts/* ]]
  run pod exec --user 1000:1000 -e EXECVAR=xv -w /tmp $MAIN sh -c 'echo "$(id -u):$(id -g) $EXECVAR $(pwd)"'
  [ "$output" = "1000:1000 xv /tmp" ]
  run pod exec $MAIN ls /proc/self/fd
  [ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "exec -e replaces a variable the container has (podman appends it to the process's env)" {
  run pod exec -e DUPVAR=from-exec $MAIN sh -c 'env | grep ^DUPVAR='
  echo "$output"
  [ "$output" = DUPVAR=from-exec ]
  run pod exec $MAIN sh -c 'env | grep ^DUPVAR='
  [ "$output" = DUPVAR=from-run ]
  run pod exec --user 1000:1000 $MAIN sh -c 'echo via-stdout >/dev/stdout'
  [ "$status" -eq 0 ]
  [ "$output" = via-stdout ]
}

@test "top lists the container's processes" {
  run pod top $MAIN
  [ "$status" -eq 0 ]
  echo "$output" | awk '$2 == 1' | grep -q 'sh -c'
}

@test "pause and unpause freeze and thaw the container" {
  pod pause $MAIN
  [ "$(pod inspect -f '{{.State.Status}}' $MAIN)" = paused ]
  id=$(pod inspect -f '{{.Id}}' $MAIN)
  run pod exec $MAIN true
  [ "$status" -ne 0 ]
  pod unpause $MAIN
  [ "$(pod inspect -f '{{.State.Status}}' $MAIN)" = running ]
  run pod exec $MAIN echo thawed
  [ "$output" = thawed ]
}

@test "stop delivers SIGTERM; rm leaves no runtime state and no cgroup" {
  pid=$(pod inspect -f '{{.State.Pid}}' $MAIN)
  cgdir=$(dirname "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)")
  [ -d "$cgdir" ]
  start=$SECONDS
  pod stop -t 10 $MAIN
  [ $((SECONDS - start)) -lt 8 ]
  [ "$(pod inspect -f '{{.State.ExitCode}} {{.State.Status}}' $MAIN)" = "143 exited" ]
  id=$(pod inspect -f '{{.Id}}' $MAIN)
  pod rm $MAIN
  ! pod container exists $MAIN || false
  [ ! -e "$cgdir" ]
  run in_sandbox find /run -name "$id" -path '*ulysses*'
  [ -z "$output" ]
}

# What users add to `podman run` most, each compared by hand with runc 1.1.5 on
# 2026-12-07 (docs/ENGINES.md): the same kernel view under both runtimes.
@test "run options: --cap-add/--cap-drop, no-new-privileges, seccomp=unconfined, --device, --tmpfs, --read-only, --pids-limit, --init" {
  run pod run --rm "${CR[@]}" --cap-add NET_ADMIN --cap-drop CHOWN --security-opt no-new-privileges "$IMAGE" \
    sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status'
  echo "$output"
  [ "$status" -eq 0 ]
  eff=$((0x$(echo "$output" | awk '/^CapEff/ {print $2}')))
  [ $((eff & (1 << 12))) -ne 0 ]   # NET_ADMIN in
  [ $((eff & 1)) -eq 0 ]           # CHOWN out
  [[ "$output" == *"CapBnd:"*"$(echo "$output" | awk '/^CapEff/ {print $2}')"* ]]
  [[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
  [[ "$output" =~ Seccomp:[[:space:]]+2 ]]
  run pod run --rm "${CR[@]}" --security-opt seccomp=unconfined "$IMAGE" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
  [[ "$output" =~ NoNewPrivs:[[:space:]]+0 ]]
  [[ "$output" =~ Seccomp:[[:space:]]+0 ]]
  run pod run --rm "${CR[@]}" --device /dev/null:/dev/xnull:rw --tmpfs /scratch:size=1m,mode=1777 "$IMAGE" sh -c \
    'stat -c "%F %t:%T %a" /dev/xnull; echo x >/dev/xnull && echo wrote
     grep " /scratch " /proc/mounts | cut -d" " -f3,4; stat -c %a /scratch'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:3 666" ]
  [ "${lines[1]}" = wrote ]
  [[ "${lines[2]}" == "tmpfs rw,nosuid,nodev,"*"size=1024k"* ]]
  [ "${lines[3]}" = 1777 ]
  run pod run --rm "${CR[@]}" --read-only --pids-limit 10 "$IMAGE" sh -c \
    'touch /x 2>/dev/null || echo root-ro; touch /tmp/x /var/tmp/x /run/x && echo tmpfs-rw
     cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
     for i in $(seq 12); do sleep 5 & done 2>&1 | grep -c "can.t fork"; kill $(jobs -p) 2>/dev/null; true'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = root-ro ]
  [ "${lines[1]}" = tmpfs-rw ]
  [ "${lines[2]}" = 10 ]
  [ "${lines[3]}" -ge 1 ]
  [ -x /usr/libexec/podman/catatonit ] || skip "catatonit (podman --init) not installed"
  run pod run --rm "${CR[@]}" --init "$IMAGE" sh -c 'tr "\0" " " </proc/1/cmdline'
  [ "$status" -eq 0 ]
  [[ "$output" == "/run/podman-init -- sh -c"* ]]
}

# podman 4.3 --sdnotify=container: podman does not hand NOTIFY_SOCKET to the
# runtime; it binds a directory of its own at /run/notify, puts
# NOTIFY_SOCKET=/run/notify/notify.sock in process.env, and conmon relays the
# container's READY=1 to podman's NOTIFY_SOCKET (podman sends MAINPID=conmon's
# pid). The runtime has to keep that mount and that variable (runc: the same).
@test "run --sdnotify=container: the container's READY=1 reaches podman's NOTIFY_SOCKET, after the container sent it" {
  cp "$BUILDDIR/tests/helpers/sdnotify" "$CWORK/bin/sdnotify"
  sock=$CWORK/notify.sock got=$CWORK/notify.got
  # each datagram as one line: milliseconds since the epoch, then the message
  notify_listen "$sock" "$got" --stamp --timeout 30
  t0=$(( $(date +%s%N) / 1000000 ))
  in_sandbox env NOTIFY_SOCKET="$sock" podman --root "$CWORK/podman/root" --runroot "$CWORK/podman/runroot" \
    --storage-driver vfs run -d --name uoci-notify --sdnotify=container "${CR[@]}" \
    -v "$CWORK/bin/sdnotify:/sdnotify:ro" "$IMAGE" sh -c 'sleep 1; /sdnotify READY=1; exec sleep 100'
  for _ in $(seq 100); do grep -q ' READY=1$' "$got" && break; sleep 0.1; done
  cat "$got"
  ready=$(awk '$2 == "READY=1" {print $1; exit}' "$got")
  [ -n "$ready" ]
  # READY=1 is the container's, sent after its sleep, not one sent at start
  [ $((ready - t0)) -ge 900 ]
  grep -qx "[0-9]* MAINPID=$(pod inspect -f '{{.State.ConmonPid}}' uoci-notify)" "$got"
  # the container has podman's socket directory and variable, nothing of the runtime's
  pid=$(pod inspect -f '{{.State.Pid}}' uoci-notify)
  run in_sandbox awk '$5 == "/run/notify" {print $4}' "/proc/$pid/mountinfo"
  [[ "$output" == */userdata/notify ]]
  run in_sandbox sh -c "tr '\\0' '\\n' </proc/$pid/environ | grep ^NOTIFY_SOCKET="
  [ "$output" = NOTIFY_SOCKET=/run/notify/notify.sock ]
  pod rm -f -t 0 uoci-notify
}

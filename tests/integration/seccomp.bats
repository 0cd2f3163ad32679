#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# linux.seccomp through the CLI: what the filter does to syscalls inside a
# real container, and clear errors for profiles the runtime must refuse.
load helpers

# A writable rootfs: the tests tell a filter's refusal from EROFS.
setup() { setup_bundle true; cfg '.root.readonly = false'; }
teardown() { cleanup_all; }

# seccomp 'JSON' - set linux.seccomp to the given object.
seccomp() { cfg ".linux.seccomp = $1"; }

@test "ERRNO with errnoRet: mkdir fails with that errno, other syscalls work" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]}'
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; echo rc=$?; touch /tmp/f && echo touched; grep -E \"^Seccomp(_filters)?:\" /proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [[ "$output" == *"Invalid cross-device link"* ]]
  [[ "$output" == *"rc=1"* ]]
  [[ "$output" == *"touched"* ]]
  [[ "$output" == *$'Seccomp:\t2'* ]]
  [[ "$output" == *$'Seccomp_filters:\t1'* ]]
}

@test "ERRNO without errnoRet returns EPERM" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
  cfg '.process.args = ["mkdir", "/tmp/d"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"Operation not permitted"* ]]
}

@test "KILL_PROCESS kills the calling process with SIGSYS" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; echo status=$?"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [[ "$output" == *"status=159"* ]]   # 128 + SIGSYS
}

@test "KILL (thread) and TRAP end the process with SIGSYS too" {
  for action in SCMP_ACT_KILL SCMP_ACT_TRAP; do
    seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"$action\"}]}"
    cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; echo status=$?"]'
    run uoci run --bundle "$BUNDLE" "c-${action,,}"
    echo "$action: $output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"status=159"* ]]
  done
}

@test "TRACE without a tracer gives ENOSYS; LOG lets the call through" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRACE"},
    {"names": ["rmdir"], "action": "SCMP_ACT_LOG"}]}'
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; rmdir /tmp/missing"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [[ "$output" == *"mkdir"*"Function not implemented"* ]]
  # rmdir reached the kernel, which found nothing to remove
  [[ "$output" == *"rmdir"*"No such file or directory"* ]]
}

@test "argument conditions: MASKED_EQ refuses setuid modes, plain modes pass" {
  # chmod(path, mode) has the mode in arg 1, fchmodat(dir, path, mode) in arg 2;
  # fchmodat2 is unknown to this libseccomp and must be skipped, not fatal.
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
  cfg '.process.args = ["sh", "-c", "touch /tmp/f; chmod 755 /tmp/f && echo plain-ok; chmod 4755 /tmp/f || echo setuid-refused; stat -c %a /tmp/f"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [[ "$output" == *"plain-ok"* ]]
  [[ "$output" == *"setuid-refused"* ]]
  [ "${lines[-1]}" = 755 ]
}

@test "same argument index twice is OR, as runc" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [
      {"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 384, "op": "SCMP_CMP_EQ"},
      {"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 384, "op": "SCMP_CMP_EQ"}]}]}'
  cfg '.process.args = ["sh", "-c", "touch /tmp/f; chmod 700 /tmp/f || echo 700-refused; chmod 600 /tmp/f || echo 600-refused; chmod 644 /tmp/f && echo 644-ok"]'
  run uoci run --bundle "$BUNDLE" c1
  [[ "$output" == *"700-refused"* ]]
  [[ "$output" == *"600-refused"* ]]
  [[ "$output" == *"644-ok"* ]]
}

@test "deny-by-default profile with defaultErrnoRet and an allow list" {
  # What busybox sh + echo + mkdir need, and nothing else: mkdir gets ENOSYS.
  local allow='["execve","brk","arch_prctl","set_tid_address","set_robust_list","rseq","prlimit64","mprotect",
    "readlink","getuid","geteuid","getgid","getegid","getpid","getppid","uname","write","writev","read","exit_group","exit",
    "rt_sigaction","rt_sigprocmask","rt_sigreturn","ioctl","fcntl","close","stat","newfstatat","fstat","lstat","statx","getcwd","open","openat"]'
  seccomp "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
    \"syscalls\": [{\"names\": $allow, \"action\": \"SCMP_ACT_ALLOW\"}]}"
  cfg '.process.args = ["mkdir", "/tmp/d"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Function not implemented"* ]]
}

@test "syscalls newer than the profile get ENOSYS, so libc falls back (clone3 under an older profile)" {
  # A profile whose highest syscall is rseq (334): clone3 (435) is newer than
  # it, mkdir (83) is older and not allowed. As runc: ENOSYS for the first,
  # the default errno for the second.
  cp "$BUILDDIR/tests/helpers/sysprobe" "$BUNDLE/rootfs/bin/sysprobe"
  local allow='["execve","brk","arch_prctl","set_tid_address","set_robust_list","rseq","prlimit64","mprotect",
    "readlink","readlinkat","uname","newfstatat","fstat","write","exit_group","exit"]'
  seccomp "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
    \"syscalls\": [{\"names\": $allow, \"action\": \"SCMP_ACT_ALLOW\"}]}"
  cfg '.process.args = ["/bin/sysprobe", "435", "83"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"435=38"* ]]
  [[ "$output" == *"83=1"* ]]
  # defaultAction ALLOW: nothing unknown is refused, the stub is not there.
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
  run uoci run --bundle "$BUNDLE" c2
  echo "$output"
  [[ "$output" == *"435=22"* ]]
  [[ "$output" == *"83=1"* ]]
}

# podman_profile CAPS_JSON: podman's profile resolved for x86_64 and the given
# capabilities (archMap, includes/excludes), as podman does before it calls
# the runtime.
podman_profile() {
  jq -c --argjson caps "$1" '
    def wanted: ((.includes.caps // []) - $caps == []) and ((.includes.arches // ["amd64"]) | index("amd64") != null)
      and ([(.excludes.caps // [])[] | select(. as $c | $caps | index($c))] == [])
      and ((.excludes.arches // []) | index("amd64") == null);
    {defaultAction, defaultErrnoRet,
     architectures: [.archMap[] | select(.architecture == "SCMP_ARCH_X86_64") | .architecture, .subArchitectures[]],
     syscalls: [.syscalls[] | select(wanted) | {names, action, args, errnoRet} | with_entries(select(.value != null))]}' \
    /usr/share/containers/seccomp.json
}

@test "podman's default profile: a container runs and its refusals apply" {
  [ -r /usr/share/containers/seccomp.json ] || skip "podman's profile not present (apt-get install golang-github-containers-common)"
  local caps
  caps=$(jq -c '.process.capabilities.bounding' "$BUNDLE/config.json")
  cfg '.process.capabilities |= map_values(. + ["CAP_SYS_CHROOT"])'
  cfg '.process.args = ["sh", "-c", "echo hello >/tmp/f && cat /tmp/f; mkdir /tmp/d && echo mkdir-ok; chroot / true && echo chroot-ok; grep ^Seccomp: /proc/self/status"]'
  # The profile for the capabilities without CAP_SYS_CHROOT refuses chroot
  # although the process holds the capability.
  seccomp "$(podman_profile "$caps")"
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"hello"* ]]
  [[ "$output" == *"mkdir-ok"* ]]
  [[ "$output" == *"chroot: can't change root directory to '/': Operation not permitted"* ]]
  [[ "$output" == *$'Seccomp:\t2'* ]]
  # The profile resolved with CAP_SYS_CHROOT allows it.
  seccomp "$(podman_profile "$(jq -c '.process.capabilities.bounding' "$BUNDLE/config.json")")"
  run uoci run --bundle "$BUNDLE" c2
  echo "$output"
  [[ "$output" == *"chroot-ok"* ]]
}

@test "noNewPrivileges false: the filter is installed while the init still has CAP_SYS_ADMIN" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
  cfg '.process.noNewPrivileges = false | .process.user = {"uid": 65534, "gid": 65534}'
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; grep -E \"^(NoNewPrivs|Seccomp|CapEff):\" /proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" == *$'NoNewPrivs:\t0'* ]]
  [[ "$output" == *$'Seccomp:\t2'* ]]
  [[ "$output" == *$'CapEff:\t0000000000000000'* ]]
}

@test "flags LOG, SPEC_ALLOW and TSYNC are accepted" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/d || echo refused; grep ^Speculation_Store_Bypass: /proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"refused"* ]]
  # Without SPEC_ALLOW seccomp forces the SSB mitigation on; with it, it must not.
  [[ "$output" != *"thread force mitigated"* ]]
}

@test "unknown syscall names are skipped" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
  cfg '.process.args = ["mkdir", "/tmp/d"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"Operation not permitted"* ]]
}

@test "unknown action, architecture, operator and flag are one-line errors and leave nothing" {
  local bad
  for bad in \
    '{"defaultAction": "SCMP_ACT_FOO"}' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}'; do
    seccomp "$bad"
    run uoci run --bundle "$BUNDLE" c1
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" =~ seccomp:\ unknown\ (action\ \"SCMP_ACT_FOO\"|architecture\ \"SCMP_ARCH_VAX\"|operator\ \"SCMP_CMP_ABOUT\"|flag\ \"SECCOMP_FILTER_FLAG_NOPE\") ]]
    [ ! -e "$STATE/c1" ]
  done
}

@test "errnoRet on an action that has no errno is refused" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"* ]]
}

@test "NOTIFY: the listener gets the containerProcessState and the seccomp fd" {
  # Remove once the child hands the listener fd to the parent (see seccomp.h).
  command -v python3 >/dev/null || skip "python3 not installed"
  local sock=$TEST_TMP/listener.sock out=$TEST_TMP/received.json
  # Accept one connection, record the message and whether an fd came with
  # it, then close the fd: the notified syscall then fails with ENOSYS.
  python3 - "$sock" "$out" <<'EOF' &
import json, os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1); srv.settimeout(10)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
while True:
    more = conn.recv(65536)
    if not more: break
    msg += more
state = json.loads(msg)
state["received_fds"] = len(fds)
with open(sys.argv[2] + ".tmp", "w") as f: json.dump(state, f)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
for fd in fds: os.close(fd)
EOF
  local listener=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\", \"listenerMetadata\": \"hello-listener\",
    \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; echo done"]'
  run timeout 20 "$UOCI" --root "$STATE" run --bundle "$BUNDLE" c1
  kill "$listener" 2>/dev/null || true
  wait "$listener" || true
  echo "$output"
  cat "$out"
  [[ "$output" == *"done"* ]]
  [ "$(jq -r '.fds[0]' "$out")" = seccompFd ]
  [ "$(jq -r '.received_fds' "$out")" = 1 ]
  [ "$(jq -r '.metadata' "$out")" = hello-listener ]
  [ "$(jq -r '.state.id' "$out")" = c1 ]
  [ "$(jq -r '.pid' "$out")" = "$(jq -r '.state.pid' "$out")" ]
}

@test "NOTIFY for the init and for exec: each listener fd reaches a live agent, which answers the syscalls" {
  local sock=$TEST_TMP/agent.sock out=$TEST_TMP/agent.out
  # The agent answers every notified syscall with EXDEV (18): a dead
  # listener would make the kernel answer ENOSYS instead.
  "$BUILDDIR/tests/helpers/seccomp_agent" "$sock" 18 "$out" &
  local agent=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\", \"listenerMetadata\": \"m\",
    \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  cfg '.process.args = ["sh", "-c", "mkdir /tmp/init 2>/tmp/init.err; sleep 100"]'
  uoci run -d --bundle "$BUNDLE" c1
  run uoci exec c1 mkdir /tmp/exec
  echo "$output"
  local init_err
  init_err=$(uoci exec c1 cat /tmp/init.err)
  uoci delete -f c1
  kill "$agent"; wait "$agent" || true
  cat "$out"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Invalid cross-device link"* ]]
  [[ "$init_err" == *"Invalid cross-device link"* ]]
  # two connections: the init's (creating) and the exec'd process's (running)
  # a connection for the init's filter (creating) and one per exec (running);
  # pid is the process of the filter, state.pid the init (as runc sends them)
  [ "$(grep -c . "$out")" -eq 3 ]
  [ "$(sed -n 1p "$out" | jq -r .state.status)" = creating ]
  [ "$(sed -n 1p "$out" | jq -r '.pid == .state.pid')" = true ]
  [ "$(sed -n 2p "$out" | jq -r .state.status)" = running ]
  [ "$(sed -n 2p "$out" | jq -r '.pid != .state.pid')" = true ]
  [ "$(sed -n 2p "$out" | jq -r '.fds[0]')" = seccompFd ]
  [ "$(sed -n 2p "$out" | jq -r .metadata)" = m ]
}

@test "NOTIFY for exec without noNewPrivileges: the privileged first child loads it; a rule that would block it is refused" {
  local sock=$TEST_TMP/agent.sock out=$TEST_TMP/agent.out
  "$BUILDDIR/tests/helpers/seccomp_agent" "$sock" 18 "$out" &
  local agent=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
    \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  cfg '.process.noNewPrivileges = false | .process.user = {"uid": 65534, "gid": 65534} | .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" c1
  run uoci exec c1 mkdir /tmp/exec
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Invalid cross-device link"* ]]
  # the exec'd process runs as the config's user, the filter came before the drop
  run uoci exec c1 id -u
  [ "$output" = 65534 ]
  uoci delete -f c1
  kill "$agent"; wait "$agent" || true
  [ "$(grep -c . "$out")" -eq 3 ]
  [ "$(sed -n 2p "$out" | jq -r '.pid != .state.pid')" = true ]

  # NOTIFY on a syscall the first child makes after loading the filter
  # (clone) would block it before the agent has the listener: refused
  # for exec without noNewPrivileges, with a clear error, nothing started.
  sock=$TEST_TMP/agent2.sock
  "$BUILDDIR/tests/helpers/seccomp_agent" "$sock" 18 "$out" &
  agent=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
    \"syscalls\": [{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  uoci run -d --bundle "$BUNDLE" c1
  run timeout 20 "$UOCI" --root "$STATE" exec c1 true
  echo "$output"
  [ "$status" -ne 0 ]
  [ "$status" -ne 124 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *'SCMP_ACT_NOTIFY on "clone" needs process.noNewPrivileges for exec'* ]]
  uoci delete -f c1
  kill "$agent"; wait "$agent" || true
}

@test "startContainer hooks run as the process, as runc: under its seccomp filter, user, capabilities and environment" {
  mkdir -p "$TEST_TMP/hooklog" && chmod 0777 "$TEST_TMP/hooklog"
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}'
  # the hook records who it runs as, then mkdir's: the filter kills it
  hook='id -u >/hooklog/log; grep -E "^(CapBnd|Seccomp):" /proc/self/status >>/hooklog/log; echo "env=$PROBE" >>/hooklog/log; mkdir /tmp/hook-dir'
  cfg ".process.args = [\"true\"] | .process.user = {\"uid\": 1000, \"gid\": 1000} | .process.env += [\"PROBE=from-process\"] |
       .process.capabilities = {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"]} |
       .hooks = {\"startContainer\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", $(jq -cn --arg s "$hook" '$s')]}]} |
       .mounts += [{\"destination\": \"/hooklog\", \"type\": \"bind\", \"source\": \"$TEST_TMP/hooklog\", \"options\": [\"bind\"]}]"
  PROBE=from-runtime run uoci run --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"error running startContainer hook #0: error running hook /bin/sh: killed by signal 31 (bad system call)"* ]]
  [ ! -e "$BUNDLE/rootfs/tmp/hook-dir" ]
  run cat "$TEST_TMP/hooklog/log"
  [ "${lines[0]}" = 1000 ]
  [[ "$output" == *$'CapBnd:\t0000000000000020'* ]]
  [[ "$output" == *$'Seccomp:\t2'* ]]
  [[ "$output" == *"env=from-process"* ]]
  [ -z "$(ls -A "$STATE" 2>/dev/null)" ]
}

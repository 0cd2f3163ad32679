#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The container lifecycle through the CLI: create/start/state/kill/delete/run,
# what the kernel shows inside, and bad input leaving nothing behind.
load helpers

setup() { setup_bundle true; c1=c1-$$-$BATS_TEST_NUMBER; }
teardown() { cleanup_all; }

# Nothing of container $1 is left: no state dir, no cgroup directory.
# (Container ids in this file are suffixed with $$ to be unique per run.)
assert_nothing_left() {
  [ ! -e "$STATE/$1" ]
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null | grep -q . || false
}

@test "spec writes a config that parses, and refuses to overwrite it" {
  jq -e '.process.args and .root.path == "rootfs" and (.linux.namespaces | length) >= 5' "$BUNDLE/config.json"
  run "$UOCI" spec --bundle "$BUNDLE"
  [ "$status" -ne 0 ]
  [[ "$output" == *"already exists"* ]]
}

@test "run returns the exit status of the container" {
  cfg '.process.args = ["sh", "-c", "exit 3"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 3 ]
  assert_nothing_left $c1
}

@test "the process is PID 1 in a new pid namespace with the configured hostname" {
  cfg '.process.args = ["sh", "-c", "echo pid=$$ host=$(hostname)"] | .hostname = "box1"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$output" = "pid=1 host=box1" ]
}

@test "the init leads a session of its own, and stdio on the host's /dev/null is the container's /dev/null" {
  # runc and crun do both; CRIU needs them to checkpoint the container
  cfg '.process.args = ["sh", "-c", "echo sid=$(cut -d\" \" -f6 /proc/self/stat); [ \"$(stat -L -c %d:%i /proc/self/fd/0)\" = \"$(stat -c %d:%i /dev/null)\" ] && echo own-null"]'
  run uoci run --bundle "$BUNDLE" $c1 </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "sid=1" ]
  [ "${lines[1]}" = own-null ]
}

@test "create, state, start, kill, delete: state transitions and the pid file" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  [[ "$pid" =~ ^[0-9]+$ ]]
  [ "$(wc -l <"$TEST_TMP/pid")" -eq 0 ]   # bare number, no newline
  run uoci state $c1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .status)" = created ]
  [ "$(echo "$output" | jq -r .pid)" = "$pid" ]
  [ "$(echo "$output" | jq -r .id)" = $c1 ]
  [ "$(echo "$output" | jq -r .bundle)" = "$(cd "$BUNDLE" && pwd -P)" ]
  [ "$(echo "$output" | jq -r .ociVersion)" != null ]
  uoci start $c1
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  for i in $(seq 100); do [ "$(readlink /proc/$pid/exe)" != "$(readlink -f "$UOCI")" ] && break; sleep 0.01; done
  [ "$(readlink /proc/$pid/exe)" = /bin/busybox ]
  uoci kill $c1 KILL
  wait_status $c1 stopped
  [ "$(uoci state $c1 | jq -r .pid)" = "$pid" ]
  uoci delete $c1
  run uoci state $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"container \"$c1\" does not exist"* ]]
  assert_nothing_left $c1
}

@test "a container whose process exits shows stopped" {
  cfg '.process.args = ["true"]'
  uoci create --bundle "$BUNDLE" $c1
  uoci start $c1
  wait_status $c1 stopped
  uoci delete $c1
  assert_nothing_left $c1
}

@test "delete without --force refuses a created or running container and leaves it alone" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" $c1
  run uoci delete $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"not stopped: created"* ]]
  [ "$(uoci state $c1 | jq -r .status)" = created ]
  uoci start $c1
  run uoci delete $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"not stopped: running"* ]]
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  uoci delete --force $c1
  assert_nothing_left $c1
}

@test "delete --force of a created container kills its init" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  uoci delete -f $c1
  [ ! -e /proc/$pid ] || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
  assert_nothing_left $c1
}

@test "a second create with the same id fails and leaves the first alone" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" $c1
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"container \"$c1\" already exists"* ]]
  [ "$(uoci state $c1 | jq -r .status)" = created ]
}

@test "commands on an unknown container fail clearly" {
  for verb in state start delete kill; do
    run uoci $verb nosuch
    [ "$status" -ne 0 ]
    [[ "$output" == *'container "nosuch" does not exist'* ]]
  done
}

@test "invalid ids, bad flags and unknown commands are refused" {
  run uoci create --bundle "$BUNDLE" "../x"
  [ "$status" -ne 0 ]
  [[ "$output" == *"invalid container id"* ]]
  run uoci create --bogus $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown option "--bogus"'* ]]
  run uoci frobnicate
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown command "frobnicate"'* ]]
  run uoci kill $c1 NOTASIGNAL
  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown signal"* ]]
  [ -z "$(ls -A "$STATE" 2>/dev/null)" ]
}

@test "a missing rootfs fails with its path and leaves nothing" {
  rm -rf "$BUNDLE/rootfs"
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"rootfs $BUNDLE/rootfs: No such file or directory"* ]]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  assert_nothing_left $c1
}

@test "a malformed config names the JSON path and leaves nothing" {
  cfg '.linux.resources.memory.limit = "lots"'
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *".linux.resources.memory.limit: expected integer, got string"* ]]
  assert_nothing_left $c1
  echo '{ not json' >"$BUNDLE/config.json"
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json"* ]]
  assert_nothing_left $c1
}

@test "a missing executable fails create, not start, and leaves nothing" {
  cfg '.process.args = ["/no/such/binary"]'
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"exec /no/such/binary: no such file or directory"* ]]
  assert_nothing_left $c1
}

@test "user, groups and umask are applied" {
  cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 2001], "umask": 63} |
       .process.args = ["sh", "-c", "id -u; id -g; id -G; umask"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1001 ]
  [ "${lines[2]}" = "1001 2000 2001" ]
  [ "${lines[3]}" = 0077 ]
}

@test "capabilities: the five sets show in /proc/self/status" {
  cfg '.process.args = ["sh", "-c", "grep ^Cap /proc/self/status"] | .process.noNewPrivileges = false |
       .process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
        "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  # CAP_CHOWN = bit 0, CAP_KILL = bit 5
  [[ "$output" == *"CapInh:	0000000000000020"* ]]
  [[ "$output" == *"CapPrm:	0000000000000021"* ]]
  [[ "$output" == *"CapEff:	0000000000000021"* ]]   # ambient raised into effective after exec
  [[ "$output" == *"CapBnd:	0000000000000021"* ]]
  [[ "$output" == *"CapAmb:	0000000000000020"* ]]
}

@test "an unknown capability name is ignored with a warning (runtime-spec 1.1+)" {
  cfg '.process.capabilities.bounding += ["CAP_NOT_A_THING"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *'unknown capability "CAP_NOT_A_THING" ignored'* ]]
  assert_nothing_left $c1
}

@test "rlimits and noNewPrivileges" {
  cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}] |
       .process.noNewPrivileges = true |
       .process.args = ["sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c; grep NoNewPrivs /proc/self/status"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 123 ]
  [ "${lines[1]}" = 456 ]
  [ "${lines[2]}" = 0 ]
  [[ "${lines[3]}" == *"NoNewPrivs:	1"* ]]
}

@test "an rlimit above the runtime's hard limit, without CAP_SYS_RESOURCE: one line naming the entry and the limit" {
  # a server config asking for more open files than the host allows (podman's
  # default is 1048576); CAP_SYS_RESOURCE is dropped so the raise must fail
  cfg '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}, {"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 2048}]'
  run bash -c 'ulimit -n 1024 && exec setpriv --bounding-set -sys_resource --inh-caps -sys_resource "$@"' _ \
    "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"process.rlimits[1]: set RLIMIT_NOFILE to 2048/2048: the hard limit here is 1024, and raising it needs CAP_SYS_RESOURCE"* ]]
  assert_nothing_left $c1
}

@test "a read-only root, masked and read-only paths" {
  cfg '.process.args = ["sh", "-c", "touch /x 2>/dev/null && echo root-writable; wc -c </proc/timer_list; (echo 1 >/proc/sys/kernel/ns_last_pid) 2>/dev/null && echo sys-writable; ls /sys/firmware | wc -l; touch /tmp/ok && echo tmp-ok"] |
       .linux.maskedPaths += ["/proc/timer_list"] |
       .root.readonly = true | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]   # /proc/timer_list masked by /dev/null
  [ "${lines[1]}" = 0 ]   # /sys/firmware masked by an empty tmpfs
  [ "${lines[2]}" = tmp-ok ]
}

@test "default devices and linux.devices" {
  cfg '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 7, "fileMode": 432, "uid": 0, "gid": 0}] |
       .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"}] |
       .process.args = ["sh", "-c", "for d in null zero full random urandom tty mydev; do stat -c \"%n %t:%T %A\" /dev/$d; done; readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; head -c 3 /dev/zero | wc -c"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/null 1:3 crw-rw-rw-"* ]]
  [[ "$output" == *"/dev/zero 1:5"* ]]
  [[ "$output" == *"/dev/full 1:7"* ]]
  [[ "$output" == *"/dev/urandom 1:9"* ]]
  [[ "$output" == *"/dev/tty 5:0"* ]]
  [[ "$output" == *"/dev/mydev 1:7 crw-rw----"* ]]
  [[ "$output" == *"pts/ptmx"* ]]
  [[ "$output" == *"/proc/self/fd"* ]]
  [ "${lines[-1]}" = 3 ]
}

@test "mounts: proc, a tmpfs with options, and a read-only bind" {
  mkdir -p "$TEST_TMP/data" && echo hello >"$TEST_TMP/data/f"
  jq --arg d "$TEST_TMP/data" '.mounts += [{"destination": "/data", "type": "bind", "source": $d, "options": ["rbind", "ro"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=700", "noexec"]}] |
       .process.args = ["sh", "-c", "cat /data/f; touch /data/g 2>/dev/null && echo bind-writable; grep -E \" /(scratch|data|proc) \" /proc/self/mounts; stat -c %a /scratch"]' \
    "$BUNDLE/config.json" >"$BUNDLE/c.new" && mv "$BUNDLE/c.new" "$BUNDLE/config.json"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = hello ]
  [[ "$output" != *bind-writable* ]]
  [[ "$output" == *"proc /proc proc"* ]]
  [[ "$output" =~ /scratch\ tmpfs\ rw,.*noexec.*size=1024k ]]
  [[ "$output" =~ /data\ [a-z0-9]+\ ro, ]]
  [ "${lines[-1]}" = 700 ]
  [ ! -e "$TEST_TMP/data/g" ]
}

@test "hooks run in order with the state on stdin; poststop at delete" {
  mkdir -p "$TEST_TMP/hooklog"
  log=$TEST_TMP/hooklog/log
  cat >"$TEST_TMP/hook.sh" <<HOOK
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | jq -r '.status + " " + .id + " " + (.pid|tostring)')" >>$log
HOOK
  chmod +x "$TEST_TMP/hook.sh"
  h() { echo "[{\"path\": \"$TEST_TMP/hook.sh\", \"args\": [\"hook.sh\", \"$1\"], \"env\": [\"PATH=/usr/bin:/bin\"]}]"; }
  # startContainer runs in the container: its path resolves in the rootfs
  sc='[{"path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/null; echo startContainer >>/hooklog/log"]}]'
  cfg ".process.args = [\"sleep\", \"100\"] | .hooks = {\"prestart\": $(h prestart), \"createRuntime\": $(h createRuntime),
       \"createContainer\": $(h createContainer), \"startContainer\": $sc,
       \"poststart\": $(h poststart), \"poststop\": $(h poststop)} |
       .mounts += [{\"destination\": \"/hooklog\", \"type\": \"bind\", \"source\": \"$TEST_TMP/hooklog\", \"options\": [\"bind\"]}]"
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  uoci start $c1
  uoci kill $c1 KILL
  wait_status $c1 stopped
  uoci delete $c1
  run cut -d' ' -f1 "$log"
  [ "$(echo $output)" = "prestart createRuntime createContainer startContainer poststart poststop" ]
  grep -q "^prestart created $c1 $pid$" "$log"
  grep -q "^createContainer created $c1 $pid$" "$log"
  grep -q "^poststart running $c1 $pid$" "$log"
  grep -q "^poststop stopped $c1 " "$log"
}

@test "hooks' working directories are runc's: bundle (create, run), rootfs with the container's mounts (createContainer), process.cwd (startContainer), the caller's (start, delete)" {
  mkdir -p "$TEST_TMP/hooklog" "$TEST_TMP/caller"
  log=$TEST_TMP/hooklog/log
  h() { echo "[{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo $1 \$(pwd -P) >>$log\"]}]"; }
  # createContainer writes through ./ into a tmpfs only the container's mount namespace has
  cc="[{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo createContainer \$(pwd -P) >>$log; echo from-hook >./cc-tmpfs/file\"]}]"
  sc='[{"path": "/bin/sh", "args": ["sh", "-c", "echo startContainer $(pwd) >>/hooklog/log"]}]'
  cfg ".process.args = [\"cat\", \"/cc-tmpfs/file\"] | .process.cwd = \"/etc\" |
       .hooks = {\"prestart\": $(h prestart), \"createRuntime\": $(h createRuntime), \"createContainer\": $cc,
                 \"startContainer\": $sc, \"poststart\": $(h poststart), \"poststop\": $(h poststop)} |
       .mounts += [{\"destination\": \"/hooklog\", \"type\": \"bind\", \"source\": \"$TEST_TMP/hooklog\", \"options\": [\"bind\"]},
                   {\"destination\": \"/cc-tmpfs\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
  bundle=$(realpath "$BUNDLE") caller=$(realpath "$TEST_TMP/caller")
  cd "$TEST_TMP/caller"
  uoci create --bundle "$BUNDLE" $c1
  uoci start $c1
  wait_status $c1 stopped
  uoci delete $c1
  run cat "$log"
  [ "${lines[0]}" = "prestart $bundle" ]
  [ "${lines[1]}" = "createRuntime $bundle" ]
  [ "${lines[2]}" = "createContainer $bundle/rootfs" ]
  [ "${lines[3]}" = "startContainer /etc" ]
  [ "${lines[4]}" = "poststart $caller" ]
  [ "${lines[5]}" = "poststop $caller" ]
  [ ! -e "$BUNDLE/rootfs/cc-tmpfs/file" ]
  # run: its own poststart and poststop run where create's hooks do; the
  # container's process read what createContainer wrote through ./
  : >"$log"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$output" = from-hook ]
  run cut -d' ' -f2 "$log"
  [ "$(echo $output)" = "$bundle $bundle $bundle/rootfs /etc $bundle $bundle" ]
  cd /
}

@test "a hook without \"env\" gets the runtime's environment (as runc and crun), one with \"env\": [] an empty one" {
  # each hook writes what it sees of a variable only the runtime's caller set
  h() { echo "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo $1:\${UOCI_HOOK_PROBE-unset}:\${PATH-unset} >>$TEST_TMP/env.log\"]$2}"; }
  cfg ".process.args = [\"true\"] | .hooks = {\"prestart\": [$(h inherit)], \"poststop\": [$(h empty ', "env": []')]}"
  UOCI_HOOK_PROBE=from-caller PATH=/usr/sbin:/usr/bin:/sbin:/bin:/probe-path run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  run cat "$TEST_TMP/env.log"
  [ "${lines[0]}" = "inherit:from-caller:/usr/sbin:/usr/bin:/sbin:/bin:/probe-path" ]
  [[ "${lines[1]}" == empty:unset:* ]]
  [[ "${lines[1]}" != *probe-path* ]]
}

@test "a failing createRuntime hook fails create and cleans up" {
  cfg '.hooks = {"createRuntime": [{"path": "/bin/false"}]} | .process.args = ["sleep", "100"]'
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"error running createRuntime hook #0: error running hook /bin/false: exited with status 1, stdout: , stderr: "* ]]
  assert_nothing_left $c1
}

@test "hooks' stdout and stderr are captured as runc does: in the error of the one that fails (runc's words, its index), dropped when they succeed" {
  ok='{"path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/null; echo chatty-out; echo chatty-err >&2"]}'
  bad='{"path": "/bin/sh", "args": ["sh", "-c", "echo line1; echo line2; echo why >&2; exit 3"]}'
  for stage in prestart createRuntime poststart poststop; do
    cfg ".hooks = {\"$stage\": [$ok]}"
    run uoci run --bundle "$BUNDLE" $c1
    [ "$status" -eq 0 ]
    [[ "$output" != *chatty* ]] || { echo "$stage: $output"; false; }
  done
  # startContainer runs in the container, as the process: its stdio is the container's
  cfg ".process.args = [\"echo\", \"from-process\"] | .hooks = {\"startContainer\": [$ok]}"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$output" = from-process ]
  cfg ".hooks = {\"createRuntime\": [$ok, $bad]}"
  run uoci create --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *'error running createRuntime hook #1: error running hook /bin/sh: exited with status 3, stdout: line1\nline2, stderr: why' ]]
  [[ "$output" != *chatty* ]]
  assert_nothing_left $c1
}

@test "a hook that writes 300 MB, or leaves a child holding its stdout, neither grows nor keeps the runtime" {
  big='{"path": "/bin/sh", "args": ["sh", "-c", "head -c 300000000 /dev/zero | tr \"\\\\0\" x; echo; echo the-end >&2; exit 1"]}'
  cfg ".hooks = {\"prestart\": [$big]}"
  run timeout 60 /usr/bin/time -f 'maxrss=%M' "$UOCI" --root "$STATE" create --bundle "$BUNDLE" $c1
  echo "${output:0:300} ... ${output: -300}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"stdout: [the last "*" of 300000001 bytes] xxxx"*", stderr: the-end"* ]]
  rss=$(grep -o 'maxrss=[0-9]*' <<<"$output" | cut -d= -f2)
  [ "$rss" -lt 20000 ] # KiB
  assert_nothing_left $c1
  # a hook that succeeds and leaves a child with its stdout and stderr
  lingering='{"path": "/bin/sh", "args": ["sh", "-c", "sleep 97 & echo $! >'"$TEST_TMP"'/lingering; echo started"]}'
  cfg ".hooks = {\"prestart\": [$lingering]}"
  # (to a file, not bats' pipe: the created init keeps its stdio open)
  SECONDS=0
  timeout 20 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" $c1 </dev/null >"$TEST_TMP/out" 2>&1
  [ "$SECONDS" -lt 10 ]
  [ ! -s "$TEST_TMP/out" ]
  kill "$(cat "$TEST_TMP/lingering")" # still running: only the hook was waited for
  uoci delete -f $c1
}

@test "a hook that exceeds its timeout is killed and fails create" {
  cfg '.hooks = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
  run timeout 20 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"timed out after 1 seconds"* ]]
  assert_nothing_left $c1
}

@test "a hook that never reads a state larger than a pipe still times out" {
  # 300 KB of annotations: the state written to the hook's stdin fills the
  # pipe; the runtime must not wait for the hook to read it.
  cfg '.annotations = {"big": ("x" * 300000)}
       | .hooks = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "8"], "timeout": 1}]}'
  run timeout 6 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" $c1
  echo "$status: ${output:0:200}"
  [ "$status" -ne 0 ]
  [ "$status" -ne 124 ]
  [[ "$output" == *"timed out after 1 seconds"* ]]
  assert_nothing_left $c1
}

@test "kill: signal names and numbers reach the init" {
  cfg '.process.args = ["sh", "-c", "trap \"echo got-usr1 >/tmp/sig\" USR1; trap \"exit 7\" TERM; touch /tmp/ready; while :; do sleep 0.05; done"] |
       .root.readonly = false'
  uoci run -d --bundle "$BUNDLE" $c1
  # a signal before the traps are set is lost (an init ignores what it does not handle)
  for i in $(seq 100); do [ -e "$BUNDLE/rootfs/tmp/ready" ] && break; sleep 0.05; done
  uoci kill $c1 USR1
  for i in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/sig" ] && break; sleep 0.05; done
  [ "$(cat "$BUNDLE/rootfs/tmp/sig")" = got-usr1 ]
  uoci kill $c1 SIGTERM
  wait_status $c1 stopped
  uoci delete $c1
  run uoci kill $c1 15
  [ "$status" -ne 0 ]
}

@test "kill of a stopped container answers as runc: \"container not running\", --all succeeds, signal 0" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" $c1
  uoci kill $c1 0            # created: the init exists
  uoci start $c1
  uoci kill $c1 0
  uoci kill --all $c1 0
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  uoci kill $c1 KILL
  wait_status $c1 stopped
  # plain kill: exit 1 and the wording containerd's shim matches
  for sig in KILL TERM 0; do
    run uoci kill $c1 $sig
    [ "$status" -eq 1 ]
    [ "$output" = "ulysses-oci: cannot kill container \"$c1\": container not running" ]
  done
  # --all: whatever is left in the cgroup (nothing): success, as the shim's
  # `kill --all ID 9` after every exit needs
  run uoci kill --all $c1 KILL
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run uoci kill -a $c1 0
  [ "$status" -eq 0 ]
  # the json log line carries the same wording (the shim reads it from log.json)
  run "$UOCI" --root "$STATE" --log "$TEST_TMP/log.json" --log-format json kill $c1 9
  [ "$status" -eq 1 ]
  jq -e 'select(.level == "error") | .msg | test("container not running")' "$TEST_TMP/log.json"
  uoci delete $c1
  run uoci kill $c1 9
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
  run uoci kill --all $c1 9
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "kill --all after the init exited reaches the processes it left in the cgroup" {
  # no pid namespace: the init's children outlive it, as in a pod sharing
  # the pause container's pid namespace
  cfg '.process.args = ["sh", "-c", "sleep 100 & echo $! >/tmp/child; exit 0"] | .root.readonly = false |
       .linux.namespaces |= map(select(.type != "pid"))'
  uoci run -d --bundle "$BUNDLE" $c1
  wait_status $c1 stopped
  for i in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/child" ] && break; sleep 0.02; done
  child=$(cat "$BUNDLE/rootfs/tmp/child")
  kill -0 "$child"
  run uoci kill $c1 KILL
  [ "$status" -eq 1 ]
  kill -0 "$child"
  uoci kill --all $c1 KILL
  for i in $(seq 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.02; done
  process_gone "$child"
  uoci delete $c1
  assert_nothing_left $c1
}

@test "kill KILL of a paused container thaws it, so the init dies (as runc)" {
  cfg '.process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" $c1
  uoci pause $c1
  uoci kill $c1 KILL
  wait_status $c1 stopped
  uoci delete $c1
  assert_nothing_left $c1
}

@test "delete --force of a container that does not exist succeeds, delete without it does not" {
  run uoci delete --force nosuch-$$
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run uoci delete -f nosuch-$$
  [ "$status" -eq 0 ]
  run uoci delete nosuch-$$
  [ "$status" -eq 1 ]
  [ "$output" = 'ulysses-oci: container "nosuch-'$$'" does not exist' ]
  # an invalid id is still an error
  run uoci delete --force ../x
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid container id"* ]]
}

@test "run in the foreground forwards SIGTERM to the container" {
  cfg '.process.args = ["sh", "-c", "trap \"exit 42\" TERM; while :; do sleep 0.05; done"]'
  "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1 &
  bgpid=$!
  wait_status $c1 running
  sleep 0.2
  kill -TERM $bgpid
  rc=0
  wait $bgpid || rc=$?
  echo "rc=$rc"
  [ "$rc" -eq 42 ]
  assert_nothing_left $c1
}

@test "a terminal: the pty master goes over --console-socket" {
  cfg '.process.terminal = true | .process.consoleSize = {"height": 25, "width": 99} |
       .process.args = ["sh", "-c", "tty; stty size; readlink /proc/self/fd/0"]'
  "$BUILDDIR/tests/helpers/recvtty" "$TEST_TMP/tty.sock" >"$TEST_TMP/tty.out" 2>"$TEST_TMP/tty.err" &
  rpid=$!
  for i in $(seq 100); do [ -S "$TEST_TMP/tty.sock" ] && break; sleep 0.02; done
  uoci run -d --console-socket "$TEST_TMP/tty.sock" --bundle "$BUNDLE" $c1
  wait $rpid
  grep -q "^/dev/pts/0" "$TEST_TMP/tty.out"
  grep -q "^25 99" "$TEST_TMP/tty.out"
  grep -q "winsize 25x99" "$TEST_TMP/tty.err"
}

@test "a non-root process.user owns its pty (tty group kept), and the engine's pty keeps ONLCR" {
  cfg '.process.terminal = true | .process.user = {"uid": 1000, "gid": 1000} |
       .process.args = ["sh", "-c", "stat -c %u:%g $(tty); echo hi >/dev/stdout && echo reopened"]'
  "$BUILDDIR/tests/helpers/recvtty" "$TEST_TMP/tty.sock" >"$TEST_TMP/tty.out" 2>"$TEST_TMP/tty.err" &
  rpid=$!
  for i in $(seq 100); do [ -S "$TEST_TMP/tty.sock" ] && break; sleep 0.02; done
  uoci run -d --console-socket "$TEST_TMP/tty.sock" --bundle "$BUNDLE" $c1
  wait $rpid
  cat -A "$TEST_TMP/tty.out"
  [ "$(head -1 "$TEST_TMP/tty.out")" = $'1000:5\r' ]
  grep -q "^reopened" "$TEST_TMP/tty.out"
}

@test "a non-root process.user owns the stdio pipes it was given, never a host file" {
  cfg '.process.user = {"uid": 1000, "gid": 1000} |
       .process.args = ["sh", "-c", "echo to-stdout >/dev/stdout; echo to-stderr >/dev/stderr; stat -L -c %u /proc/self/fd/1"]'
  run uoci run --bundle "$BUNDLE" $c1 </dev/null
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'to-stdout\nto-stderr\n1000')" ]
  # a host file as stdout keeps its owner (runc would chown it to 1000)
  touch "$TEST_TMP/host.out"
  uoci run --bundle "$BUNDLE" $c1 </dev/null >"$TEST_TMP/host.out" 2>/dev/null || true
  [ "$(stat -c %u "$TEST_TMP/host.out")" = 0 ]
  # /dev/null stays root's
  [ "$(stat -c %u /dev/null)" = 0 ]
}

@test "run in the foreground on a terminal clears ONLCR: lines end in \\n, not \\r\\n (as runc)" {
  cfg '.process.terminal = true | .process.args = ["printf", "one\ntwo\n"]'
  # on a terminal (script(1)): without one, run refuses a terminal config.
  # script(1) writes an EOF byte into its pty when its stdin (/dev/null)
  # ends; if the container's pty still echoes then, "^@" shows up: not ours
  timeout 20 script -qec "'$UOCI' --root '$STATE' run --bundle '$BUNDLE' $c1" /dev/null </dev/null >"$TEST_TMP/out"
  od -c "$TEST_TMP/out"
  [ "$(sed 's/\^@//g' "$TEST_TMP/out")" = "$(printf 'one\ntwo')" ]
  ! grep -q $'\r' "$TEST_TMP/out" || false
  assert_nothing_left $c1
}

@test "terminal without a console socket when detaching is refused" {
  cfg '.process.terminal = true'
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"--console-socket is required"* ]]
  assert_nothing_left $c1
}

@test "run -d with a terminal and no console socket is refused too" {
  cfg '.process.terminal = true'
  run uoci run -d --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"--console-socket is required"* ]]
  assert_nothing_left $c1
}

# runc's rule: a foreground terminal needs a terminal of ours (stdin, stdout or
# stderr, or a controlling one). setsid leaves no controlling terminal; the
# kill after 10 s only bounds a regression (a shell waiting on its pty).
@test "run with a terminal but no terminal of ours is refused at once, in one line" {
  cfg '.process.terminal = true | .process.args = ["sh"]'
  start=$(date +%s)
  run setsid -w timeout -s KILL 10 "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1 </dev/null
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"run: process.terminal is true but there is no terminal to attach it to"* ]]
  [ $(($(date +%s) - start)) -lt 5 ]
  assert_nothing_left $c1
}

@test "run --preserve-fds N with fds 3..3+N-1 not open: the init gets /dev/null there, not the --log file" {
  cfg '.process.args = ["sh", "-c", "readlink /proc/self/fd/3; readlink /proc/self/fd/4"]'
  run uoci --log "$TEST_TMP/rt.log" run --preserve-fds 2 --bundle "$BUNDLE" $c1 3<&- 4<&-
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '/dev/null\n/dev/null')" ]
  assert_nothing_left $c1
}

@test "--preserve-fds passes extra fds, and nothing else leaks in" {
  echo secret-of-fd3 >"$TEST_TMP/fd3"
  cfg '.process.args = ["sh", "-c", "cat <&3; ls /proc/self/fd | tr \"\\n\" \" \""]'
  run uoci run --preserve-fds 1 --bundle "$BUNDLE" $c1 3<"$TEST_TMP/fd3" 4<"$TEST_TMP/fd3"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = secret-of-fd3 ]
  # 0 1 2 3 and the fd ls opens for the directory; fd 4 of the caller is closed
  [ "${lines[1]}" = "0 1 2 3 4 " ] || [ "${lines[1]}" = "0 1 2 3 " ]
  run uoci run --bundle "$BUNDLE" c2 4<"$TEST_TMP/fd3"
  [ "$status" -eq 0 ]
  [[ "${lines[1]}" != *"4 5"* ]]
}

@test "a created container holds none of the caller's fds but stdio and the preserved ones" {
  echo secret-of-fd3 >"$TEST_TMP/fd3"
  cfg '.process.args = ["sh", "-c", "cat <&3; ls /proc/self/fd | tr \"\\n\" \" \""]'
  uoci create --preserve-fds 1 --bundle "$BUNDLE" $c1 3<"$TEST_TMP/fd3" 7>"$TEST_TMP/fd7" 8< <(:) \
    >"$TEST_TMP/out"
  local pid fds f
  pid=$(uoci state $c1 | jq .pid)
  fds=$(for f in /proc/$pid/fd/*; do [ "${f##*/}" -lt 3 ] || echo "${f##*/} $(readlink "$f")"; done)
  echo "the init's fds above stdio: $fds"
  # runc's init has only stdio, the preserved fds and its own: not the caller's fd 7 or pipe on 8
  [[ "$fds" == *"3 $TEST_TMP/fd3"* ]]
  [[ "$fds" != *"$TEST_TMP/fd7"* ]]
  [[ "$fds" != *"pipe:"* ]]
  uoci start $c1
  process_gone $pid
  run cat "$TEST_TMP/out"
  # the preserved fd reached the process, and nothing else above it
  [ "${lines[0]}" = secret-of-fd3 ]
  [ "${lines[1]}" = "0 1 2 3 4 " ] || [ "${lines[1]}" = "0 1 2 3 " ]
}

@test "create lets go of the caller's pipe and lock: a reader sees EOF, the lock is free" {
  cfg '.process.args = ["sleep", "100"]'
  mkfifo "$TEST_TMP/pipe"
  (rc=0; timeout 5 cat "$TEST_TMP/pipe" >/dev/null || rc=$?; echo $rc >"$TEST_TMP/eof") 3>&- &
  local reader=$!
  # flock(1) leaves the lock's fd open in the command it runs, as a shell's redirection does
  flock "$TEST_TMP/lock" "$UOCI" --root "$STATE" create --bundle "$BUNDLE" $c1 8>"$TEST_TMP/pipe"
  wait $reader
  # EOF as soon as create returned, not the timeout (124): the init did not keep fd 8
  [ "$(cat "$TEST_TMP/eof")" = 0 ]
  flock -n "$TEST_TMP/lock" true
  [ "$(uoci state $c1 | jq -r .status)" = created ]
}

@test "no runtime fd or cwd leaks into the container" {
  cfg '.process.args = ["sh", "-c", "for f in /proc/self/fd/*; do readlink $f; done; pwd"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" != *"state"* ]]
  [[ "$output" != *"exec.fifo"* ]]
  [[ "$output" != *"socket:"* ]]
  [[ "$output" != *"/sys/fs/cgroup"* ]]
  [ "${lines[-1]}" = / ]
}

@test "list shows containers as a table, as JSON, and quietly" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" a1
  uoci run -d --bundle "$BUNDLE" b2
  run uoci list -q
  [ "$output" = "$(printf 'a1\nb2')" ]
  run uoci list --format json
  [ "$(echo "$output" | jq -r '[.[] | .id + ":" + .status] | join(",")')" = "a1:created,b2:running" ]
  run uoci list
  [[ "${lines[0]}" == ID* ]]
  [[ "${lines[1]}" == a1*created* ]]
}

@test "state and list read a state file over 4 KiB and a config.json over 16 KiB (the stack buffers' fallback)" {
  # a bundle ~2200 characters deep: the state file names it and its rootfs
  local deep=$TEST_TMP seg
  seg=$(printf 'd%.0s' $(seq 1 240))
  for i in 1 2 3 4 5 6 7 8 9; do deep=$deep/$seg$i; done
  mkdir -p "$deep"
  mv "$BUNDLE" "$deep/bundle"
  BUNDLE=$deep/bundle
  jq --arg big "$(head -c 20000 /dev/zero | tr '\0' x)" '.process.args = ["sleep", "100"] | .annotations = {"big": $big}' \
    "$BUNDLE/config.json" >"$TEST_TMP/config.json" && mv "$TEST_TMP/config.json" "$BUNDLE/config.json"
  uoci create --bundle "$BUNDLE" $c1
  [ "$(stat -c %s "$STATE/$c1/state")" -gt 4096 ]
  [ "$(stat -c %s "$STATE/$c1/config.json")" -gt 16384 ]
  run uoci state $c1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.status + " " + .bundle')" = "created $(cd "$BUNDLE" && pwd -P)" ]
  [ "$(echo "$output" | jq -r '.annotations.big | length')" = 20000 ]
  run uoci list --format json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.[0].status + " " + (.[0].annotations.big | length | tostring)')" = "created 20000" ]
  uoci delete -f $c1
  assert_nothing_left $c1
}

@test "a --log file that cannot be opened stops the command (as runc), before any container exists" {
  cfg '.process.args = ["true"]'
  run uoci --log "$TEST_TMP/no/such/dir/log" run --bundle "$BUNDLE" $c1
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"--log: open $TEST_TMP/no/such/dir/log: No such file or directory"* ]]
  assert_nothing_left $c1
}

@test "--log with --log-format json writes runc-style error lines" {
  run "$UOCI" --root "$STATE" --log "$TEST_TMP/log.json" --log-format json state nosuch
  [ "$status" -ne 0 ]
  jq -e 'select(.level == "error") | .msg | test("does not exist")' "$TEST_TMP/log.json"
  jq -e '.time | test("^[0-9]{4}-")' "$TEST_TMP/log.json"
}

@test "environment: HOME from /etc/passwd, env and cwd from the config" {
  cfg '.process.env = ["PATH=/bin", "FOO=bar"] | .process.cwd = "/root" |
       .process.args = ["sh", "-c", "echo $HOME $FOO; pwd"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/root bar" ]
  [ "${lines[1]}" = /root ]
}

@test "environment: an empty HOME counts as none (runc): the user's home replaces it, once" {
  cfg '.process.env = ["PATH=/bin", "HOME=/override", "HOME="] | .process.args = ["sh", "-c", "echo $HOME; env | grep -c ^HOME="]'
  run uoci run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /root ]
  [ "${lines[1]}" = 1 ]
  cfg '.process.env = ["PATH=/bin", "HOME="] | .process.args = ["sh", "-c", "echo $HOME"]'
  run uoci run --bundle "$BUNDLE" $c1-b
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /root ]
}

@test "--version and --help" {
  run "$UOCI" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "ulysses-oci version "* ]]
  [[ "$output" == *"spec: 1."* ]]
  # commit: git describe of the tree built from (a tag or the full hash), or unknown
  [[ "${lines[1]}" =~ ^commit:\ ((v[0-9][^ ]*-g)?[0-9a-f]{40}(-dirty)?|unknown)$ ]]
  if [ "$UOCI" -ef "${BUILDDIR:-$SRCDIR}/src/ulysses-oci" ]; then
    if [ -e "$SRCDIR/.git" ]; then
      head=$(git -C "$SRCDIR" rev-parse HEAD)
      [[ "${lines[1]}" == *"$head"* ]] || { echo "binary says ${lines[1]}, HEAD is $head (rebuild?)"; false; }
    else
      [ "${lines[1]}" = "commit: unknown" ]
    fi
  fi
  run "$UOCI" create --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--console-socket"* ]]
}

@test "help [COMMAND] prints --help's text, as runc's help verb does" {
  run "$UOCI" help
  [ "$status" -eq 0 ]
  [ "$output" = "$("$UOCI" --help)" ]
  run "$UOCI" help exec
  [ "$status" -eq 0 ]
  [ "$output" = "$("$UOCI" exec --help)" ]
  [[ "$output" == *"--ignore-paused"* ]]
  run "$UOCI" help nosuchverb
  [ "$status" -eq 1 ]
  [ "$output" = 'ulysses-oci: help: unknown command "nosuchverb" (see ulysses-oci --help)' ]
  run "$UOCI" help exec extra
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
}

@test "run takes runc's --no-subreaper (always in effect); create refuses it, as runc does" {
  cfg '.process.args = ["sh", "-c", "exit 4"]'
  run uoci run --no-subreaper --bundle "$BUNDLE" $c1
  [ "$status" -eq 4 ]
  assert_nothing_left $c1
  run uoci create --no-subreaper --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown option "--no-subreaper"'* ]]
  assert_nothing_left $c1
}

@test "crun's spellings: --cgroup-manager cgroupfs|systemd, and create/run --config FILE (relative to the cwd)" {
  # the config lives outside the bundle and is named from the caller's cwd, not the bundle
  cfg '.process.args = ["sh", "-c", "echo from-other-config; exit 5"]'
  mv "$BUNDLE/config.json" "$TEST_TMP/other.json"
  cfg_dir=$TEST_TMP
  run bash -c 'cd "$1" && shift && "$@"' _ "$cfg_dir" "$UOCI" --root "$STATE" --cgroup-manager cgroupfs run --config other.json --bundle "$BUNDLE" $c1
  [ "$status" -eq 5 ]
  [ "$output" = from-other-config ]
  assert_nothing_left $c1
  run uoci run -f "$TEST_TMP/missing.json" --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"missing.json"* ]]
  assert_nothing_left $c1
  for bad in disabled "" CGROUPFS; do
    run "$UOCI" --root "$STATE" --cgroup-manager "$bad" create --config "$TEST_TMP/other.json" --bundle "$BUNDLE" $c1
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"--cgroup-manager: expected cgroupfs or systemd, got \"$bad\""* ]]
    assert_nothing_left $c1
  done
}

@test "linux.personality LINUX32 changes what uname reports; unknown domains are refused" {
  cfg '.linux.personality = {"domain": "LINUX32"} | .process.args = ["uname", "-m"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == i?86 ]]
  cfg '.linux.personality = {"domain": "WINDOWS"}'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown domain "WINDOWS"'* ]]
  assert_nothing_left $c1
}

@test "linux.personality applies to exec'd processes too (runc's setns init)" {
  cfg '.linux.personality = {"domain": "LINUX32"} | .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" $c1 </dev/null >/dev/null 2>&1
  run uoci exec $c1 uname -m
  [ "$status" -eq 0 ]
  [[ "$output" == i?86 ]]
}

@test "an AppArmor profile or SELinux process label the host cannot apply is an error" {
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "this host has AppArmor"
  cfg '.process.apparmorProfile = "some-profile"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"AppArmor is not enabled on this host"* ]]
  assert_nothing_left $c1
  [ ! -e /sys/fs/selinux/enforce ] || skip "this host has SELinux"
  cfg 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"process.selinuxLabel"*"SELinux is not enabled on this host"* ]]
  assert_nothing_left $c1
}

@test "a mountLabel without SELinux is ignored with a warning (no file carries labels), as crun and runc do" {
  [ ! -e /sys/fs/selinux/enforce ] || skip "this host has SELinux"
  cfg '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2" | .process.args = ["echo", "ran"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *'linux.mountLabel "system_u:object_r:container_file_t:s0:c1,c2" ignored: SELinux is not enabled'* ]]
  [[ "$output" == *ran* ]]
  # with --log the warning goes to the log, not to the engine's stderr
  run uoci --log "$TEST_TMP/log.json" --log-format json run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$output" = ran ]
  grep -q '"level":"warning","msg":"linux.mountLabel' "$TEST_TMP/log.json"
}

# poststop_marker: a poststop hook that records it ran, in $TEST_TMP/poststop
poststop_marker() { echo "[{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat >/dev/null; echo ran >>$TEST_TMP/poststop\"]}]"; }

@test "a failing poststart hook: start fails, the container is destroyed and poststop runs (spec 1.3, step 9 to 12)" {
  cfg ".process.args = [\"sleep\", \"100\"] | .hooks = {\"poststart\": [{\"path\": \"/bin/false\"}], \"poststop\": $(poststop_marker)}"
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  run uoci start $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"error running poststart hook #0: error running hook /bin/false: exited with status 1"* ]]
  # not left `stopped` for a later delete: destroyed now
  process_gone "$pid"
  assert_nothing_left $c1
  [ "$(cat "$TEST_TMP/poststop")" = ran ]
  # the same through run -d
  rm -f "$TEST_TMP/poststop"
  run uoci run -d --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"error running poststart hook #0: error running hook /bin/false"* ]]
  assert_nothing_left $c1
  [ "$(cat "$TEST_TMP/poststop")" = ran ]
}

@test "a failing startContainer hook: start reports it, the container is destroyed and poststop runs (step 7 to 12)" {
  cfg ".process.args = [\"sleep\", \"100\"] | .hooks = {\"startContainer\": [{\"path\": \"/bin/false\"}], \"poststop\": $(poststop_marker)}"
  uoci create --bundle "$BUNDLE" $c1
  run uoci start $c1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"error running startContainer hook #0: error running hook /bin/false: exited with status 1"* ]]
  assert_nothing_left $c1
  [ "$(cat "$TEST_TMP/poststop")" = ran ]
}

@test "a failing prestart hook fails create; poststop still runs (steps 3 to 12 and 13)" {
  cfg ".hooks = {\"prestart\": [{\"path\": \"/bin/false\"}], \"poststop\": $(poststop_marker)}"
  run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"error running prestart hook #0: error running hook /bin/false: exited with status 1"* ]]
  assert_nothing_left $c1
  [ "$(cat "$TEST_TMP/poststop")" = ran ]
}

@test "a failing poststop hook only warns: delete still succeeds" {
  cfg '.hooks = {"poststop": [{"path": "/bin/false"}]}'
  uoci create --bundle "$BUNDLE" $c1
  run uoci delete -f $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *"error running poststop hook #0: error running hook /bin/false"* ]]
  assert_nothing_left $c1
}

@test "LISTEN_FDS: socket-activation fds pass through with LISTEN_FDS/LISTEN_PID set" {
  echo activated >"$TEST_TMP/fd3"
  cfg '.process.args = ["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; cat <&3"]'
  LISTEN_FDS=1 run uoci run --bundle "$BUNDLE" $c1 3<"$TEST_TMP/fd3"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1 1" ]
  [ "${lines[1]}" = activated ]
}

# (on a terminal: script(1); without one run refuses, see above)
@test "run in the foreground with a terminal proxies the pty and returns the exit status" {
  cfg '.process.terminal = true | .process.args = ["sh"]'
  run bash -c "printf 'tty; exit 5\n' | timeout 20 script -qec '\"$UOCI\" --root \"$STATE\" run --bundle \"$BUNDLE\" $c1' /dev/null"
  [ "$status" -eq 5 ]
  [[ "$output" == */dev/pts/0* ]]
  assert_nothing_left $c1
}

@test "sysctl, domainname, oomScoreAdj, scheduler and ioPriority are applied" {
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4242"} | .domainname = "example.test" |
       .process.oomScoreAdj = 123 | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5} |
       .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0} |
       .process.args = ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax /proc/sys/kernel/domainname /proc/self/oom_score_adj; cut -d\" \" -f19,41 /proc/self/stat"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 4242 ]
  [ "${lines[2]}" = example.test ]
  [ "${lines[3]}" = 123 ]
  [ "${lines[4]}" = "5 3" ]   # nice 5, policy 3 = SCHED_BATCH
  # the host's values are untouched
  [ "$(cat /proc/sys/kernel/msgmax)" != 4242 ]
}

@test "linux.memoryPolicy: set_mempolicy for the container's processes, as numa_maps shows it" {
  cfg '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"} | .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" $c1
  pid=$(uoci state $c1 | jq .pid)
  # every mapping of the init follows the policy; the cpuset still allows node 0
  run awk '{print $2}' /proc/$pid/numa_maps
  [[ "$(sort -u <<<"$output")" == "bind:0" ]]
  grep -q $'^Mems_allowed_list:\t0$' /proc/$pid/status
  # exec'd processes get it too
  run uoci exec $c1 sh -c 'head -n1 /proc/self/numa_maps'
  [[ "$output" == *" bind:0 "* ]]
  uoci delete -f $c1
  cfg '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]} |
       .process.args = ["head", "-n1", "/proc/self/numa_maps"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *" interleave=static:0 "* ]]
}

@test "linux.memoryPolicy: a bad mode, flag or node set is an error at create that leaves nothing" {
  local bad
  for bad in '{"mode": "MPOL_SOMETIMES"}|mode: unknown mode "MPOL_SOMETIMES"' \
             '{"mode": "MPOL_BIND"}|MPOL_BIND needs at least one node' \
             '{"mode": "MPOL_LOCAL", "nodes": "0"}|MPOL_LOCAL takes no nodes' \
             '{"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NOPE"]}|flags[0]: unknown flag "MPOL_F_NOPE"' \
             '{"mode": "MPOL_BIND", "nodes": "0-"}|nodes "0-"' \
             '{"mode": "MPOL_BIND", "nodes": "1000"}|set_mempolicy MPOL_BIND on nodes "1000"'; do
    cfg ".linux.memoryPolicy = ${bad%%|*}"
    run uoci run --bundle "$BUNDLE" $c1
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *".linux.memoryPolicy"*"${bad#*|}"* ]]
    assert_nothing_left $c1
  done
}

@test "an invalid sysctl name or unknown scheduler policy is refused" {
  cfg '.linux.sysctl = {"../../etc/x": "1"}'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'.linux.sysctl: "../../etc/x": invalid name'* ]]
  cfg 'del(.linux.sysctl) | .process.scheduler = {"policy": "SCHED_FANCY"}'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown policy "SCHED_FANCY"'* ]]
  assert_nothing_left $c1
}

# kill checks the recorded pid's start time, then signals. If the init exits
# in between and its pid goes to another process, kill(2) by pid would hit
# that process; the init's pidfd, taken before the check, cannot. The window
# is held open with the fault-injection build's pause point, in a pid
# namespace of the test's own, where ns_last_pid hands the pid on.
@test "kill: a process that got the init's pid after the status check is not signalled" {
  grep -q ULYSSES_FAULT_PAUSE "$UOCI" || skip "$UOCI has no pause points: build with ./configure --enable-fault-injection"
  cfg '.process.args = ["sleep", "100"]'
  cat >"$TEST_TMP/race.sh" <<'SCRIPT'
uoci() { "$UOCI" --root "$STATE" "$@"; }
uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$ID" </dev/null >/dev/null 2>&1 || { echo "run failed"; exit 3; }
P=$(cat "$TEST_TMP/pid")
ULYSSES_FAULT_PAUSE=kill-checked "$UOCI" --root "$STATE" kill "$ID" KILL >"$TEST_TMP/kill.out" 2>&1 </dev/null &
K=$!
for i in $(seq 300); do grep -qs '^State:.*T' /proc/$K/status && break; sleep 0.01; done
grep -qs '^State:.*T' /proc/$K/status || { echo "kill never reached its pause point"; exit 3; }
kill -9 "$P"
for i in $(seq 300); do [ -e /proc/$P ] || break; sleep 0.01; done
[ ! -e /proc/$P ] || { echo "the init $P was not reaped"; exit 3; }
echo $((P - 1)) >/proc/sys/kernel/ns_last_pid
sleep 1000 </dev/null >/dev/null 2>&1 &
S=$!
[ "$S" = "$P" ] || { echo "pid $P not reused (got $S)"; exit 4; }
kill -CONT $K
rc=0; wait $K || rc=$?
alive=no; grep -qs '^State:[[:space:]]*[^ZX]' /proc/$S/status && alive=yes
echo "rc=$rc alive=$alive"
cat "$TEST_TMP/kill.out"
uoci delete -f "$ID" >/dev/null 2>&1
SCRIPT
  run env UOCI="$UOCI" STATE="$STATE" BUNDLE="$BUNDLE" TEST_TMP="$TEST_TMP" ID="$c1" \
    timeout 60 unshare --pid --fork --mount-proc bash "$TEST_TMP/race.sh"
  echo "$output"
  [ "$status" -ne 4 ] || skip "the kernel gave the pid to another process: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"rc=1 alive=yes"* ]]
  [[ "$output" == *"cannot kill container \"$c1\": container not running"* ]]
  assert_nothing_left $c1
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# isolation.bats - nothing a config asks and nothing a container does may
# change or reach the host (issue 13; docs/SECURITY.md lists each guarantee
# with the test here that holds it). Cases that would change the host on a
# broken runtime write the host's current value, so that even then the host
# keeps it: the test fails on the exit status, never by damaging the machine.

load helpers

setup() { setup_bundle; }
teardown() {
  cleanup_all
  if [ -n "${VICTIM_PID:-}" ]; then kill "$VICTIM_PID" 2>/dev/null; wait "$VICTIM_PID" 2>/dev/null; fi
  [ -z "${VICTIM_DIR:-}" ] || rmdir "$VICTIM_DIR" 2>/dev/null || true
  [ -z "${VICTIM_FREEZER:-}" ] || rmdir "$VICTIM_FREEZER" 2>/dev/null || true
}

# nothing_left ID: no state dir, no cgroup directory, no process of it.
nothing_left() {
  [ ! -e "$STATE/$1" ] || { echo "state left"; return 1; }
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null | grep -q . || { echo "cgroup left"; return 1; }
}

# refused JQ WORDS...: create must fail with one line holding every WORD, leave nothing.
refused() {
  local filter=$1; shift
  cfg "$filter"
  # Output through a file: an init a broken runtime left waiting must not
  # hold a pipe of bats open (the test fails instead of hanging).
  status=0
  uoci create --bundle "$BUNDLE" r1 </dev/null >"$TEST_TMP/refused.out" 2>&1 || status=$?
  output=$(cat "$TEST_TMP/refused.out")
  mapfile -t lines <"$TEST_TMP/refused.out"
  echo "status $status: $output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  local w
  for w in "$@"; do [[ $output == *"$w"* ]] || { echo "missing: $w"; return 1; }; done
  nothing_left r1
}

# wait_file_exists FILE: until it exists (10 s at most).
wait_file_exists() {
  local i
  for i in $(seq 1 200); do [ -e "$1" ] && return 0; sleep 0.05; done
  echo "$1 never appeared"
  return 1
}

# never CMD...: fail when CMD succeeds (bats does not fail on a bare "! CMD").
never() { if "$@"; then return 1; fi; }

without_ns() { echo ".linux.namespaces |= map(select(.type != \"$1\"))"; }

# ---- 1. sysctl ---------------------------------------------------------------

@test "sysctl: a key the kernel does not namespace is refused, host value kept" {
  local v; v=$(cat /proc/sys/kernel/printk_ratelimit)
  refused ".linux.sysctl = {\"kernel.printk_ratelimit\": \"$v\"}" '"kernel.printk_ratelimit"' "not kept per namespace"
  refused ".linux.sysctl = {\"kernel/printk_ratelimit\": \"$v\"}" '"kernel/printk_ratelimit"' "not kept per namespace"
  refused '.linux.sysctl = {"vm.overcommit_memory": "'"$(cat /proc/sys/vm/overcommit_memory)"'"}' "vm.overcommit_memory"
  refused '.linux.sysctl = {"kernel.core_pattern": "'"$(cat /proc/sys/kernel/core_pattern)"'"}' "kernel.core_pattern"
  [ "$(cat /proc/sys/kernel/printk_ratelimit)" = "$v" ]
}

@test "sysctl: net.* without a network namespace of its own is refused" {
  local v; v=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
  refused "$(without_ns network) | .linux.sysctl = {\"net.ipv4.tcp_keepalive_time\": \"$v\"}" \
    '"net.ipv4.tcp_keepalive_time"' "needs a network namespace of the container's own"
  refused "$(without_ns network) | .linux.sysctl = {\"net/core/somaxconn\": \"$(cat /proc/sys/net/core/somaxconn)\"}" \
    '"net/core/somaxconn"' "network namespace"
  [ "$(cat /proc/sys/net/ipv4/tcp_keepalive_time)" = "$v" ]
}

@test "sysctl: net.* in the host's network namespace joined by path is refused" {
  local v; v=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
  refused ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$$/ns/net\" else . end)
           | .linux.sysctl = {\"net.ipv4.tcp_keepalive_time\": \"$v\"}" "network namespace"
}

@test "sysctl: IPC keys without an IPC namespace of its own are refused" {
  refused "$(without_ns ipc) | .linux.sysctl = {\"kernel.msgmax\": \"$(cat /proc/sys/kernel/msgmax)\"}" \
    '"kernel.msgmax"' "needs an IPC namespace"
  refused "$(without_ns ipc) | .linux.sysctl = {\"fs.mqueue.queues_max\": \"$(cat /proc/sys/fs/mqueue/queues_max)\"}" \
    '"fs.mqueue.queues_max"' "IPC namespace"
  refused "$(without_ns ipc) | .linux.sysctl = {\"kernel/shm_rmid_forced\": \"$(cat /proc/sys/kernel/shm_rmid_forced)\"}" \
    "IPC namespace"
}

@test "sysctl: names with .., empty components or other case are refused" {
  refused '.linux.sysctl = {"net/../kernel/printk_ratelimit": "5"}' "invalid name"
  refused '.linux.sysctl = {"fs.mqueue/../../kernel/printk": "5"}' "invalid name"
  refused '.linux.sysctl = {"net..ipv4.ip_forward": "1"}' "invalid name"
  refused '.linux.sysctl = {"Kernel.msgmax": "4242"}' '"Kernel.msgmax"' "not kept per namespace"
  refused '.linux.sysctl = {"kernel.msgmax ": "4242"}' "not kept per namespace"
}

@test "sysctl: namespaced keys are set in the container only" {
  local msgmax qmax fwd
  msgmax=$(cat /proc/sys/kernel/msgmax) qmax=$(cat /proc/sys/fs/mqueue/queues_max)
  fwd=$(cat /proc/sys/net/ipv4/conf/lo/forwarding)
  cfg '.linux.sysctl = {"kernel/msgmax": "4243", "fs.mqueue.queues_max": "77", "net/ipv4/conf/lo/forwarding": "1",
                        "kernel.domainname": "sysctl.test"}
       | .process.args = ["cat", "/proc/sys/kernel/msgmax", "/proc/sys/fs/mqueue/queues_max",
                          "/proc/sys/net/ipv4/conf/lo/forwarding", "/proc/sys/kernel/domainname"]'
  run uoci run --bundle "$BUNDLE" s1
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "4243 77 1 sysctl.test" ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$msgmax" ]
  [ "$(cat /proc/sys/fs/mqueue/queues_max)" = "$qmax" ]
  [ "$(cat /proc/sys/net/ipv4/conf/lo/forwarding)" = "$fwd" ]
  [ "$(cat /proc/sys/kernel/domainname)" != sysctl.test ]
}

@test "sysctl: a host-wide net.* key fails even in a network namespace of its own" {
  local v; v=$(cat /proc/sys/net/core/rmem_max)
  cfg ".linux.sysctl = {\"net.core.rmem_max\": \"$v\"}"
  run uoci create --bundle "$BUNDLE" r1
  [ "$status" -ne 0 ]
  [[ $output == *"sysctl net.core.rmem_max=$v: not kept per network namespace"* ]]
  nothing_left r1
}

@test "sysctl: kernel.hostname / kernel.domainname conflict with .hostname / .domainname" {
  refused '.hostname = "a" | .linux.sysctl = {"kernel.hostname": "b"}' '"kernel.hostname"' "conflicts with .hostname"
  refused '.domainname = "a" | .linux.sysctl = {"kernel.domainname": "b"}' "conflicts with .domainname"
  refused "$(without_ns uts) | del(.hostname) | .linux.sysctl = {\"kernel.hostname\": \"$(hostname)\"}" "UTS namespace"
}

@test "sysctl: kernel.domainname equal to .domainname is no conflict; the container sees it" {
  cfg '.domainname = "same.test" | .linux.sysctl = {"kernel.domainname": "same.test"}
       | .process.args = ["cat", "/proc/sys/kernel/domainname"]'
  run uoci run --bundle "$BUNDLE" d1
  [ "$status" -eq 0 ]
  [ "$output" = same.test ]
}

@test "sysctl: a mount over /proc/sys cannot divert the write to a host file" {
  mkdir -p "$TEST_TMP/fake"
  echo original >"$TEST_TMP/fake/msgmax"
  cfg ".mounts += [{\"destination\": \"/proc/sys/kernel\", \"type\": \"bind\", \"source\": \"$TEST_TMP/fake\", \"options\": [\"rbind\"]}]
       | .linux.sysctl = {\"kernel.msgmax\": \"4242\"}"
  run uoci create --bundle "$BUNDLE" r1
  [ "$status" -ne 0 ]
  [[ $output == *".destination: /proc/sys/kernel is inside /proc"* ]]
  [ "$(cat "$TEST_TMP/fake/msgmax")" = original ]
  nothing_left r1
}

# ---- 2. hostname and domainname --------------------------------------------

@test "domainname without a UTS namespace of its own is refused, host keeps its own" {
  local d; d=$(cat /proc/sys/kernel/domainname)
  refused "$(without_ns uts) | del(.hostname) | .domainname = \"$d\"" ".domainname: needs a private UTS namespace"
  refused ".linux.namespaces |= map(if .type == \"uts\" then .path = \"/proc/$$/ns/uts\" else . end) | del(.hostname) | .domainname = \"$d\"" \
    ".domainname: needs a private UTS namespace"
  [ "$(cat /proc/sys/kernel/domainname)" = "$d" ]
}

@test "hostname in the host's UTS namespace joined by path is refused" {
  refused ".linux.namespaces |= map(if .type == \"uts\" then .path = \"/proc/$$/ns/uts\" else . end) | .hostname = \"$(hostname)\"" \
    ".hostname: needs a private UTS namespace"
}

# ---- 6. capabilities -------------------------------------------------------

# cap_bit NAME: the bit of a capability in /proc/PID/status masks.
status_mask() { awk -v k="$1:" '$1 == k {print $2}' <<<"$output"; }

@test "capabilities: one the runtime cannot grant is warned about, dropped, and the container runs" {
  grep -q '^CapBnd:' /proc/self/status
  local bnd; bnd=$((16#$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)))
  (( (bnd >> 24) & 1 )) && skip "this host's bounding set has CAP_SYS_RESOURCE"
  cfg '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_SYS_RESOURCE"], "effective": ["CAP_KILL", "CAP_SYS_RESOURCE"],
                                "permitted": ["CAP_KILL", "CAP_SYS_RESOURCE"], "inheritable": [], "ambient": []}
       | .process.args = ["grep", "^Cap", "/proc/self/status"]'
  run uoci run --bundle "$BUNDLE" k1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *"warning: process.capabilities: CAP_SYS_RESOURCE ignored: the runtime cannot grant it"* ]]
  [ "$(status_mask CapEff)" = 0000000000000020 ]   # CAP_KILL only
  [ "$(status_mask CapBnd)" = 0000000000000020 ]
  # with --log the warning goes to the log (what containerd's shim and conmon read)
  run uoci --log "$TEST_TMP/log.json" --log-format json run --bundle "$BUNDLE" k2
  [ "$status" -eq 0 ]
  grep '"level":"warning"' "$TEST_TMP/log.json" | grep -q 'CAP_SYS_RESOURCE ignored'
  # and so does exec --cap
  cfg '.process.args = ["sleep", "30"]'
  uoci run -d --bundle "$BUNDLE" k3
  run uoci exec --cap CAP_SYS_RESOURCE k3 grep ^CapEff /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *"CAP_SYS_RESOURCE ignored"* ]]
  [[ ${lines[-1]} == *0000000000000020 ]]
}

@test "capabilities: inside a user namespace of its own every capability can be granted" {
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .process.capabilities = {"bounding": ["CAP_SYS_RESOURCE"], "effective": ["CAP_SYS_RESOURCE"],
                                  "permitted": ["CAP_SYS_RESOURCE"], "inheritable": [], "ambient": []}
       | .mounts |= map(select(.type != "cgroup" and .destination != "/sys"))
       | .process.args = ["grep", "^CapEff", "/proc/self/status"]'
  chown -R 100000:100000 "$BUNDLE/rootfs"
  run uoci run --bundle "$BUNDLE" k4
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output != *ignored* ]]
  [[ ${lines[-1]} == *0000000001000000 ]]
}

# ---- 9. one-line errors, small fd limits -----------------------------------

# one_clean_line: $output is exactly one line without ESC, BEL or other controls.
one_clean_line() {
  [ "${#lines[@]}" -eq 1 ] || { echo "lines: ${#lines[@]}"; return 1; }
  ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$output" || { echo "control characters in: $output"; return 1; }
}

@test "errors: control characters from the command line are escaped, one line" {
  run uoci create --bundle "$BUNDLE" $'evil\nid\e[31m'
  [ "$status" -ne 0 ]
  one_clean_line
  [[ $output == *'evil\nid\x1b[31m'* ]]
  run "$UOCI" $'\e]0;title\a'
  [ "$status" -ne 0 ]
  one_clean_line
  [[ $output == *'unknown command "\x1b]0;title\x07"'* ]]
  run uoci --log-format $'x\ny' list
  [ "$status" -ne 0 ]
  one_clean_line
  run uoci exec $'no\r\nsuch' true
  [ "$status" -ne 0 ]
  one_clean_line
}

@test "errors: control characters from the config are escaped, one line" {
  cfg '.process.args = ["/no\nsuch\u001b[2J"]'
  run uoci run --bundle "$BUNDLE" e1
  [ "$status" -ne 0 ]
  one_clean_line
  [[ $output == *'/no\nsuch\x1b[2J'* ]]
  cfg '.process.args = ["true"] | .linux.sysctl = {"kernel.x\n\u001b[1A": "1"}'
  run uoci run --bundle "$BUNDLE" e1
  [ "$status" -ne 0 ]
  one_clean_line
  cfg 'del(.linux.sysctl) | .mounts += [{"destination": "/x", "type": "no\nfs\u009b", "source": "none"}]'
  run uoci run --bundle "$BUNDLE" e1
  [ "$status" -ne 0 ]
  one_clean_line
  [[ $output == *'no\nfs\xc2\x9b'* ]]
  # warnings too, and the JSON log stays one object per line
  cfg 'del(.mounts[-1]) | .process.capabilities.bounding += ["CAP_\nX"]'
  run uoci --log "$TEST_TMP/log.json" --log-format json run --bundle "$BUNDLE" e1
  [ "$status" -eq 0 ]
  [ "$(wc -l <"$TEST_TMP/log.json")" -eq 1 ]
  jq -e '.level == "warning"' "$TEST_TMP/log.json"
}

@test "a soft RLIMIT_NOFILE of 16 is enough for create, start, exec, run; the container gets the caller's limit" {
  cfg 'del(.process.rlimits) | .process.args = ["sh", "-c", "ulimit -Sn; sleep 30"]'
  (
    ulimit -Sn 16
    uoci create --bundle "$BUNDLE" f1
    uoci start f1
    uoci exec f1 sh -c 'ulimit -Sn' >"$TEST_TMP/exec.out"
    uoci delete -f f1
    cfg '.process.args = ["sh", "-c", "ulimit -Sn"]'
    uoci run --bundle "$BUNDLE" f2 >"$TEST_TMP/run.out"
  )
  [ "$(cat "$TEST_TMP/exec.out")" = 16 ]
  [ "$(cat "$TEST_TMP/run.out")" = 16 ]
}


# ---- 3. the runtime binary through /proc/PID/exe (CVE-2019-5736) -------------

# Run a copy of the runtime: should the protection fail, the attack appends
# to the copy, never to the build's binary.
use_runtime_copy() {
  cp "$UOCI" "$TEST_TMP/ulysses-oci"
  UOCI=$TEST_TMP/ulysses-oci
  RUNTIME_HASH=$(sha256sum <"$UOCI")
  cp "${BUILDDIR:-$SRCDIR}/tests/helpers/exeprobe" "$BUNDLE/rootfs/exeprobe"
}

runtime_unchanged() {
  [ "$(sha256sum <"$UOCI")" = "$RUNTIME_HASH" ] || { echo "the runtime binary was changed"; tail -c 40 "$UOCI" | od -c | tail -3; return 1; }
}

# with_ptrace: the config's process gets CAP_SYS_PTRACE (and no user namespace).
with_ptrace() {
  cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE", "CAP_KILL", "CAP_DAC_OVERRIDE"])
       | .root.readonly = false'
}

# wait_file FILE WORDS: until FILE contains WORDS (10 s at most).
wait_file() {
  local i
  for i in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "$1 never got \"$2\": $(cat "$1" 2>&1)"
  return 1
}

@test "exe: no process that may hold CAP_SYS_PTRACE joins a container whose init has not exec'd yet" {
  use_runtime_copy
  with_ptrace
  cfg '.process.args = ["sleep", "30"]'
  uoci create --bundle "$BUNDLE" x1
  run uoci exec x1 /exeprobe 1 3000
  echo "$output"
  [ "$status" -ne 0 ]
  [[ $output == *"may hold CAP_SYS_PTRACE"*"before its init has started"* ]]
  uoci start x1
  run uoci exec x1 true
  [ "$status" -eq 0 ]
  runtime_unchanged
}

@test "exe: CAP_SYS_PTRACE in a shared pid namespace cannot write the runtime through the waiting init" {
  use_runtime_copy
  with_ptrace
  cfg '.process.args = ["sh", "-c", "/exeprobe new 15000 >/probe.out 2>&1; sleep 30"]'
  uoci run -d --bundle "$BUNDLE" x2
  local pid; pid=$(uoci state x2 | jq .pid)
  # a second container joins that pid namespace; its init waits for start
  mkdir "$TEST_TMP/b2" && cp "$BUNDLE/config.json" "$TEST_TMP/b2/" && ln -s "$BUNDLE/rootfs" "$TEST_TMP/b2/rootfs"
  jq ".linux.namespaces |= map(if .type == \"pid\" then .path = \"/proc/$pid/ns/pid\" else . end)
      | .process.args = [\"sleep\", \"30\"] | .root.readonly = false" "$BUNDLE/config.json" >"$TEST_TMP/b2/config.json"
  uoci create --bundle "$TEST_TMP/b2" x3
  wait_file "$BUNDLE/rootfs/probe.out" grabbed
  # the waiting init holds no fd of a host directory (the state dir's would lead out)
  run uoci exec x2 sh -c 'for f in /proc/[0-9]*/fd/*; do [ -d "$f" ] && echo "dir fd $f -> $(readlink "$f")"; done; true'
  echo "$output"
  [ -z "$output" ]
  uoci start x3
  wait_file "$BUNDLE/rootfs/probe.out" "write:"
  cat "$BUNDLE/rootfs/probe.out"
  never grep -q "write: written" "$BUNDLE/rootfs/probe.out"
  runtime_unchanged
}

@test "exe: a container with CAP_SYS_PTRACE cannot write the runtime through an exec child" {
  use_runtime_copy
  with_ptrace
  cfg '.process.args = ["sh", "-c", "/exeprobe new 15000 >/probe.out 2>&1; sleep 30"]'
  uoci run -d --bundle "$BUNDLE" x4
  local i
  for i in $(seq 1 20); do
    uoci exec x4 true
    grep -q grabbed "$BUNDLE/rootfs/probe.out" 2>/dev/null && break
  done
  wait_file "$BUNDLE/rootfs/probe.out" "write:"
  cat "$BUNDLE/rootfs/probe.out"
  grep -q "grabbed" "$BUNDLE/rootfs/probe.out"
  never grep -q "write: written" "$BUNDLE/rootfs/probe.out"
  runtime_unchanged
}

@test "exe: after an exec granted CAP_SYS_PTRACE, every later exec child is sealed" {
  use_runtime_copy
  cfg '.process.args = ["sleep", "30"]'
  cfg '.root.readonly = false'
  uoci run -d --bundle "$BUNDLE" x5
  uoci exec -d --cap CAP_SYS_PTRACE --cap CAP_KILL x5 sh -c '/exeprobe new 15000 >/probe.out 2>&1'
  local i
  for i in $(seq 1 20); do
    uoci exec x5 true
    grep -q grabbed "$BUNDLE/rootfs/probe.out" 2>/dev/null && break
  done
  wait_file "$BUNDLE/rootfs/probe.out" "write:"
  cat "$BUNDLE/rootfs/probe.out"
  grep -q "grabbed" "$BUNDLE/rootfs/probe.out"
  never grep -q "write: written" "$BUNDLE/rootfs/probe.out"
  runtime_unchanged
}

# ---- 4. keyring ---------------------------------------------------------------

@test "keyring: exec joins the container's session keyring, never the caller's" {
  local kp=${BUILDDIR:-$SRCDIR}/tests/helpers/keyprobe
  cp "$kp" "$BUNDLE/rootfs/keyprobe"
  cfg '.process.args = ["sh", "-c", "/keyprobe session >/init.ses; sleep 30"] | .root.readonly = false'
  uoci run -d --bundle "$BUNDLE" k1
  wait_file "$BUNDLE/rootfs/init.ses" .
  # the caller holds a secret in its session keyring
  run "$kp" with-secret s3cr3t "$UOCI" --root "$STATE" exec k1 /keyprobe session
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$(cat "$BUNDLE/rootfs/init.ses")" ]
  run "$kp" with-secret s3cr3t "$UOCI" --root "$STATE" exec k1 /keyprobe read @SERIAL@
  echo "$output"
  [[ $output == *"serial "* ]]
  [[ $output != *"payload s3cr3t"* ]]
  [[ $output == *error* ]]
}

@test "keyring: also inside a user namespace of the container's own" {
  local kp=${BUILDDIR:-$SRCDIR}/tests/helpers/keyprobe
  cp "$kp" "$BUNDLE/rootfs/keyprobe"
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .mounts |= map(select(.type != "cgroup" and .destination != "/sys"))
       | .process.args = ["sh", "-c", "/keyprobe session >/init.ses; sleep 30"] | .root.readonly = false'
  chown -R 100000:100000 "$BUNDLE/rootfs"
  uoci run -d --bundle "$BUNDLE" k2
  wait_file "$BUNDLE/rootfs/init.ses" .
  run "$kp" with-secret s3cr3t "$UOCI" --root "$STATE" exec k2 /keyprobe session
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$(cat "$BUNDLE/rootfs/init.ses")" ]
  run "$kp" with-secret s3cr3t "$UOCI" --root "$STATE" exec k2 /keyprobe read @SERIAL@
  echo "$output"
  [[ $output != *"payload s3cr3t"* ]]
}

# ---- 5. cgroups: every hierarchy, only the container's own subtree ------------

hybrid_host() { [ -d /sys/fs/cgroup/unified ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified)" = cgroup2fs ]; }

@test "cgroups: the init is in the container's cgroup in every hierarchy (name=systemd, unified too)" {
  [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "a pure cgroup v2 host has one hierarchy"
  cfg '.process.args = ["sleep", "30"]'
  uoci run -d --bundle "$BUNDLE" g1-$$
  local pid; pid=$(uoci state g1-$$ | jq .pid)
  cat "/proc/$pid/cgroup"
  # every line, whatever the hierarchy, ends with the container's path
  never grep -v ":/ulysses-oci/g1-$$\$" "/proc/$pid/cgroup"
  if hybrid_host; then grep -q "^0::/ulysses-oci/g1-$$\$" "/proc/$pid/cgroup"; fi
  if [ -d /sys/fs/cgroup/systemd ]; then grep -q ":name=systemd:/ulysses-oci/g1-$$\$" "/proc/$pid/cgroup"; fi
  uoci exec g1-$$ true
  local epid
  uoci exec -d --pid-file "$TEST_TMP/exec.pid" g1-$$ sleep 20
  epid=$(cat "$TEST_TMP/exec.pid")
  never grep -v ":/ulysses-oci/g1-$$\$" "/proc/$epid/cgroup"
  uoci delete -f g1-$$
  [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name g1-$$)" ]
}

@test "cgroups: /sys/fs/cgroup in the container shows only its own subtree, also read-write" {
  [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "v1 or hybrid host"
  local ns
  for ns in with without; do
    [ $ns = with ] && cfg '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
    [ $ns = without ] && cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
    cfg '.mounts |= map(if .type == "cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"] else . end)
         | .process.args = ["sh", "-c", "for h in /sys/fs/cgroup/*/; do for d in $h*/; do [ -d \"$d\" ] && echo \"sub: $d\"; done; done; echo 0 > /sys/fs/cgroup/systemd/cgroup.procs; echo 0 > /sys/fs/cgroup/memory/cgroup.procs; sleep 30"]'
    uoci run -d --bundle "$BUNDLE" "v$ns-$$"
    sleep 0.3
    local pid; pid=$(uoci state "v$ns-$$" | jq .pid)
    # no host cgroup is listed in any hierarchy ...
    run uoci exec "v$ns-$$" sh -c 'for h in /sys/fs/cgroup/*/; do for d in $h*/; do [ -d "$d" ] && echo "sub: $d"; done; done; true'
    echo "$ns cgroupns: $output"
    [ -z "$output" ]
    # ... and writing to the cgroup.procs it sees kept the init in its own cgroup
    cat "/proc/$pid/cgroup"
    never grep -v ":/ulysses-oci/v$ns-$$\$" "/proc/$pid/cgroup"
    uoci delete -f "v$ns-$$"
  done
}

@test "cgroups: on a hybrid host the cgroup mount holds the v1 hierarchies only, no cgroup2 at unified (as runc)" {
  # systemd as the container's init takes a cgroup2 at /sys/fs/cgroup/unified
  # for hybrid mode and must then write there: podman --systemd=always on v1
  # asks for a read-only cgroup mount plus name=systemd bound writable, and a
  # read-only unified froze systemd at boot (it runs under runc, which never
  # mounts unified, in legacy mode).
  hybrid_host || skip "no cgroup2 at /sys/fs/cgroup/unified"
  local ns opt
  for ns in with without; do
    for opt in ro rw; do
      [ $ns = with ] && cfg '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
      [ $ns = without ] && cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
      cfg ".mounts |= map(if .type == \"cgroup\" then .options = [\"nosuid\", \"noexec\", \"nodev\", \"$opt\"] else . end)
           | .process.args = [\"sh\", \"-c\", \"grep ' /sys/fs/cgroup' /proc/self/mountinfo; ls /sys/fs/cgroup\"]"
      run uoci run --bundle "$BUNDLE" "u$ns$opt-$$"
      echo "$ns cgroupns, $opt: $output"
      [ "$status" -eq 0 ]
      [[ $output != *cgroup2* ]]
      [[ $output != *unified* ]]
      [[ $output == *" /sys/fs/cgroup/memory "* ]]
      if [ -d /sys/fs/cgroup/systemd ]; then [[ $output == *"name=systemd"* ]]; fi
    done
  done
}

@test "cgroups: a hierarchy shadowed by another mount is left alone (a tmpfs over unified)" {
  hybrid_host || skip "no cgroup2 at /sys/fs/cgroup/unified"
  # in a private mount namespace only: the host keeps its mounts
  run unshare --mount --propagation private bash -c '
    mount -t tmpfs -o size=1m hide-unified /sys/fs/cgroup/unified &&
    "$0" --root "$1" run --bundle "$2" "$3" && ls -A /sys/fs/cgroup/unified' "$UOCI" "$STATE" "$BUNDLE" "sh-$$"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

# ---- 7. delete --force with nested or frozen cgroups; create into a frozen one -

@test "cgroups: delete --force removes sub-cgroups the container made, depth first" {
  cfg '.root.readonly = false | .linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])
       | .mounts |= map(if .type == "cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"] else . end)
       | .process.args = ["sh", "-c", "if [ -e /sys/fs/cgroup/cgroup.controllers ]; then mkdir -p /sys/fs/cgroup/a/b/c /sys/fs/cgroup/d; echo $$ > /sys/fs/cgroup/a/b/c/cgroup.procs; sleep 60 & echo $! > /sys/fs/cgroup/d/cgroup.procs; else for h in /sys/fs/cgroup/*/; do mkdir -p ${h}a/b/c; done; echo $$ > /sys/fs/cgroup/pids/a/b/c/cgroup.procs; sleep 60 & echo $! > /sys/fs/cgroup/memory/a/cgroup.procs; fi; touch /made; sleep 60"]'
  uoci run -d --bundle "$BUNDLE" n1-$$
  wait_file_exists "$BUNDLE/rootfs/made"
  find /sys/fs/cgroup/ -maxdepth 6 -type d -path "*/ulysses-oci/n1-$$/a/b/c" | grep -q .
  run uoci delete --force n1-$$
  echo "$output"
  [ "$status" -eq 0 ]
  nothing_left n1-$$
}

@test "cgroups: sub-cgroups nested past PATH_MAX are killed and removed too (no pid namespace)" {
  [ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy"
  # 22 levels of 200-byte names: 4.4 KiB of path below the container's cgroup
  # (busybox's cd stops short of PATH_MAX, relative names go on).
  # Without a pid namespace only the cgroup finds the process hidden there;
  # before, the walk by path stopped at ENAMETOOLONG: kill missed it and the
  # container's cgroup stayed behind.
  cfg '.root.readonly = false | .linux.namespaces |= (map(select(.type != "cgroup" and .type != "pid")) + [{"type": "cgroup"}])
       | .mounts |= map(if .type == "cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"] else . end)
       | .process.args = ["sh", "-c", "n=$(printf %0200d 0); cd /sys/fs/cgroup/pids; for i in $(seq 20); do mkdir $n; cd $n; done; mkdir -p $n/$n; sleep 300 & echo $! > $n/$n/cgroup.procs; echo $! > /hidden; sleep 300"]'
  uoci run -d --bundle "$BUNDLE" deep-$$
  wait_file_exists "$BUNDLE/rootfs/hidden"
  local hidden; hidden=$(cat "$BUNDLE/rootfs/hidden")
  grep -q "/ulysses-oci/deep-$$/0" "/proc/$hidden/cgroup"
  run timeout 60 "$UOCI" --root "$STATE" delete --force deep-$$ </dev/null
  echo "$output"
  process_gone "$hidden" || { kill -9 "$hidden"; false; }
  [ "$status" -eq 0 ]
  nothing_left deep-$$
}

@test "cgroups: delete --force thaws a freezer frozen from outside, nested too" {
  [ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer"
  cfg '.root.readonly = false | .linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])
       | .mounts |= map(if .type == "cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"] else . end)
       | .process.args = ["sh", "-c", "mkdir /sys/fs/cgroup/freezer/inner; sleep 60 & echo $! > /sys/fs/cgroup/freezer/inner/cgroup.procs; touch /made; sleep 60"]'
  uoci run -d --bundle "$BUNDLE" z1-$$
  wait_file_exists "$BUNDLE/rootfs/made"
  echo FROZEN >/sys/fs/cgroup/freezer/ulysses-oci/z1-$$/inner/freezer.state
  run timeout 30 "$UOCI" --root "$STATE" delete --force z1-$$ </dev/null
  echo "$output"
  # should the delete have failed, thaw what this test froze
  echo THAWED >/sys/fs/cgroup/freezer/ulysses-oci/z1-$$/inner/freezer.state 2>/dev/null || true
  [ "$status" -eq 0 ]
  nothing_left z1-$$
  # the container's own freezer frozen from outside
  cfg '.process.args = ["sleep", "60"]'
  uoci run -d --bundle "$BUNDLE" z2-$$
  echo FROZEN >/sys/fs/cgroup/freezer/ulysses-oci/z2-$$/freezer.state
  run timeout 30 "$UOCI" --root "$STATE" delete --force z2-$$ </dev/null
  echo THAWED >/sys/fs/cgroup/freezer/ulysses-oci/z2-$$/freezer.state 2>/dev/null || true
  [ "$status" -eq 0 ]
  nothing_left z2-$$
}

@test "cgroups: create into a frozen cgroup is refused, and leaves nothing" {
  [ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer"
  local parent=uoci-test-frozen-$$
  mkdir "/sys/fs/cgroup/freezer/$parent"
  echo FROZEN >"/sys/fs/cgroup/freezer/$parent/freezer.state"
  cfg ".linux.cgroupsPath = \"/$parent/fz1-$$\""
  # through a file, not bats' pipe: an init stuck in the frozen cgroup would hold it
  status=0
  timeout 20 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" fz1-$$ >"$TEST_TMP/out" 2>&1 </dev/null || status=$?
  output=$(cat "$TEST_TMP/out")
  echo "status $status: $output"
  echo THAWED >"/sys/fs/cgroup/freezer/$parent/freezer.state"
  "$UOCI" --root "$STATE" delete -f fz1-$$ 2>/dev/null || true
  local leftover; leftover=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$parent")
  rmdir "/sys/fs/cgroup/freezer/$parent"
  [ "$status" -ne 0 ]
  [ "$status" -ne 124 ]
  [[ $output == *"container's cgroup unexpectedly frozen: /$parent/fz1-$$"* ]]
  [ ! -e "$STATE/fz1-$$" ]
  # only the test's own freezer directory existed (removed above)
  [ "$leftover" = "/sys/fs/cgroup/freezer/$parent" ]
}

# A cgroup of the host's with a process in it (a service's, a slice): made in
# the hierarchy that lists processes (v2, or v1 pids) only, so that on a v1
# host the container makes its own directories in the other hierarchies.
host_cgroup_with_victim() {
  local mnt=/sys/fs/cgroup/pids
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && mnt=/sys/fs/cgroup
  [ -d "$mnt" ] || skip "no pids hierarchy"
  VICTIM_CG=/uoci-rt-victim-$$
  VICTIM_DIR=$mnt$VICTIM_CG
  mkdir "$VICTIM_DIR"
  sleep 1000 &
  VICTIM_PID=$!
  echo "$VICTIM_PID" >"$VICTIM_DIR/cgroup.procs"
}

@test "cgroups: a cgroupsPath naming an existing cgroup: delete, delete --force and kill --all spare its other processes" {
  host_cgroup_with_victim
  cfg ".linux.cgroupsPath = \"$VICTIM_CG\""
  run uoci run --bundle "$BUNDLE" rt1
  echo "run: $status $output"
  [ "$status" -eq 0 ]
  kill -0 "$VICTIM_PID" || { echo "run's delete killed a process of the host's cgroup"; return 1; }
  cfg '.process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" rt2 </dev/null >/dev/null
  uoci kill --all rt2 KILL
  wait_status rt2 stopped
  kill -0 "$VICTIM_PID" || { echo "kill --all killed a process of the host's cgroup"; return 1; }
  uoci delete rt2
  uoci run -d --bundle "$BUNDLE" rt3 </dev/null >/dev/null
  uoci delete --force rt3
  kill -0 "$VICTIM_PID" || { echo "delete --force killed a process of the host's cgroup"; return 1; }
  [ "$(cat "$VICTIM_DIR/cgroup.procs")" = "$VICTIM_PID" ]
  # What the container made (the other v1 hierarchies) is gone.
  ! find /sys/fs/cgroup -maxdepth 2 -type d -name "${VICTIM_CG#/}" | grep -v "^$VICTIM_DIR\$" || false
}

@test "cgroups: a cgroupsPath that already holds processes: create says so in one warning and goes on (runc's cgroupfs driver)" {
  host_cgroup_with_victim
  cfg ".linux.cgroupsPath = \"$VICTIM_CG\""
  # through a file, not bats' pipe: the created init keeps its stdio open
  uoci create --bundle "$BUNDLE" rt1 </dev/null >"$TEST_TMP/out" 2>&1
  cat "$TEST_TMP/out"
  [ "$(wc -l <"$TEST_TMP/out")" -eq 1 ]
  grep -q "container's cgroup is not empty: 1 process found in $VICTIM_CG " "$TEST_TMP/out"
  [ "$(uoci state rt1 | jq -r .status)" = created ]
  uoci delete --force rt1
  kill -0 "$VICTIM_PID"
  # a cgroup the container makes itself: nothing to say
  cfg ".linux.cgroupsPath = \"/uoci-rt-fresh-$$\""
  uoci create --bundle "$BUNDLE" rt2 </dev/null >"$TEST_TMP/out" 2>&1
  [ ! -s "$TEST_TMP/out" ] || { cat "$TEST_TMP/out"; false; }
  uoci delete --force rt2
}

@test "cgroups: a cgroupsPath naming an existing cgroup: pause, resume and update are refused, ps lists only the container's processes" {
  host_cgroup_with_victim
  if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    # v1: the host's cgroup has a freezer too (else the container's own is frozen, rightly)
    [ -d /sys/fs/cgroup/freezer ] || skip "no freezer hierarchy"
    VICTIM_FREEZER=/sys/fs/cgroup/freezer$VICTIM_CG
    mkdir "$VICTIM_FREEZER"
    echo "$VICTIM_PID" >"$VICTIM_FREEZER/cgroup.procs"
  fi
  cfg ".linux.cgroupsPath = \"$VICTIM_CG\" | .process.args = [\"sleep\", \"100\"]"
  uoci run -d --bundle "$BUNDLE" rt1 </dev/null >/dev/null
  local verb
  for verb in pause resume; do
    run uoci $verb rt1
    echo "$verb: $status $output"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    if [ $verb = pause ]; then
      [[ $output == *"cannot pause container \"rt1\": its cgroup "*"existed before it (linux.cgroupsPath)"* ]]
    fi
  done
  [ "$(uoci state rt1 | jq -r .status)" = running ]
  [ "$(awk '/^State:/ {print $2}' /proc/$VICTIM_PID/status)" != D ]
  [ -z "${VICTIM_FREEZER:-}" ] || [ "$(cat "$VICTIM_FREEZER/freezer.state")" = THAWED ]
  local max_before; max_before=$(cat "$VICTIM_DIR/pids.max")
  run uoci update --pids-limit 3 rt1
  echo "update: $status $output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"cannot update container \"rt1\": its cgroup "*"existed before it"* ]]
  [ "$(cat "$VICTIM_DIR/pids.max")" = "$max_before" ]
  # ps: the container's processes (its pid namespace), not the host's sleep
  local init; init=$(uoci state rt1 | jq .pid)
  run uoci ps --format json rt1
  echo "ps: $output"
  [ "$output" = "[$init]" ]
  run uoci ps rt1
  [[ $output == *" $init "* ]]
  [[ $output != *" $VICTIM_PID "* ]]
  uoci delete --force rt1
  kill -0 "$VICTIM_PID"
}

@test "user: uid or gid 4294967295 ((uid_t) -1, 'unchanged' to setresuid) is refused, never root" {
  refused '.process.user = {"uid": 4294967295, "gid": 0} | .process.args = ["id"]' ".process.user.uid" "4294967295"
  refused '.process.user = {"uid": 1, "gid": 4294967295}' ".process.user.gid"
  refused '.process.user = {"uid": 0, "gid": 0, "additionalGids": [1, 4294967295]}' ".process.user.additionalGids[1]"
  refused '.process.user = {"uid": 0, "gid": 0, "additionalGids": [range(70000)]}' ".process.user.additionalGids" "at most"
  cfg '.process.user = {"uid": 0, "gid": 0} | .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" r2 </dev/null >/dev/null
  run uoci exec --user 4294967295 r2 id -u
  echo "exec: $status $output"
  [ "$status" -ne 0 ]
  [[ $output == *"4294967295 is not a valid uid"* ]]
  jq -n '{"args": ["id", "-u"], "cwd": "/", "user": {"uid": 4294967295, "gid": 0}}' >"$TEST_TMP/p.json"
  run uoci exec --process "$TEST_TMP/p.json" r2
  [ "$status" -ne 0 ]
  [[ $output == *"4294967295 is not a valid uid"* ]]
}

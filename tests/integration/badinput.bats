#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input, table-driven: malformed or hostile config.json, damaged state
# directories, wrong CLI arguments. Each case must fail with exactly one line
# "ulysses-oci: ..." containing the expected words, exit non-zero, and leave
# nothing behind (no state dir, cgroup, process or mount of the container).
load helpers

setup() { setup_bundle sleep 100; id=bad-$$-$BATS_TEST_NUMBER; cp "$BUNDLE/config.json" "$TEST_TMP/pristine.json"; }
teardown() { cleanup_all; }

# expect_error WANT CMD...: CMD fails with one line naming WANT. stdio is a
# file so a leaked container process can't hold bats' pipe. A failing exec
# exits 255 (as runc's); any other status above 125 means the runtime died.
expect_error() {
  local want=$1; shift
  local rc=0 is_exec=false a
  for a in "$@"; do [ "$a" = exec ] && { is_exec=true; break; }; done
  "$@" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
  local err
  err=$(cat "$TEST_TMP/err")
  if [ "$rc" -eq 0 ]; then echo "succeeded, wanted an error with: $want"; return 1; fi
  if $is_exec && [ "$rc" -ne 255 ]; then echo "exec failed with status $rc, not 255: $err"; return 1; fi
  if ! $is_exec && [ "$rc" -gt 125 ]; then echo "died (status $rc): $err"; return 1; fi
  if [ "$(wc -l <"$TEST_TMP/err")" -ne 1 ]; then echo "not one line: $err"; return 1; fi
  if [[ "$err" != "ulysses-oci: "*"$want"* ]]; then echo "got: $err"; echo "want: $want"; return 1; fi
}

assert_nothing_left() {
  [ -z "$(ls "$STATE" 2>/dev/null)" ] || { echo "state left: $(ls "$STATE")"; return 1; }
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null | grep -q . || { echo "cgroup left"; return 1; }
  ! grep -l -E "/$id\$" /proc/[0-9]*/cgroup 2>/dev/null | grep -q . || { echo "process left"; return 1; }
  ! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo || { echo "mount left"; return 1; }
}

# A table: one case per line, "JQ FILTER ||| EXPECTED WORDS".
CONFIG_CASES='
del(.root)                                              ||| .root.path: required
.root.path = ""                                         ||| .root.path: required
.root.path = "nope"                                     ||| rootfs
.root.path = "/etc/passwd"                              ||| Not a directory
del(.process)                                           ||| .process: required
.process.args = []                                      ||| .process.args: must contain at least one element
.process.args = ["sh\u0000-c"]                          ||| .process.args[0]: string contains a NUL character
.annotations = {"a\u0000b": "x"}                        ||| .annotations: map key contains a NUL character
.process.user.uid = "root"                              ||| .process.user.uid: expected integer, got string
.process.user.uid = -1                                  ||| .process.user.uid: expected uint32, got -1
.process.user.uid = 4294967296                          ||| .process.user.uid: expected uint32
.process.user.additionalGids = [1, -2]                  ||| .process.user.additionalGids[1]: expected uint32
.ociVersion = 5                                         ||| .ociVersion: expected string, got integer
.linux.resources.memory.limit = "1G"                    ||| .linux.resources.memory.limit: expected integer
.linux.namespaces += [{"type": "foo"}]                  ||| unknown namespace type "foo"
.linux.namespaces += [{"type": "pid"}]                  ||| duplicate namespace "pid"
.linux.namespaces += [{"type": "user"}]                 ||| needs uidMappings and gidMappings
.hostname = "h" | .linux.namespaces |= map(select(.type != "uts")) ||| .hostname: needs a private UTS namespace
.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns" else . end) ||| /nonexistent/ns: No such file or directory
.process.cwd = "relative"                               ||| .process.cwd: must be an absolute path
.process.terminal = true                                ||| --console-socket is required
.process.rlimits = [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}] ||| unknown rlimit "RLIMIT_FOO"
.process.oomScoreAdj = 5000                             ||| oom_score_adj
.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"}    ||| unknown action "SCMP_ACT_BOGUS"
.linux.sysctl = {"../../etc/x": "1"}                    ||| invalid name
.linux.sysctl = {"net.nonexistent.key": "1"}            ||| sysctl net.nonexistent.key=1
.mounts += [{"type": "tmpfs", "source": "tmpfs"}]       ||| mount without a destination
.mounts += [{"destination": "/x", "type": "nofs", "source": "none"}] ||| unknown filesystem type nofs
.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 1}] ||| unknown type "q"
.hooks = {"prestart": [{"path": "/nonexistent/hook"}]}  ||| prestart hook /nonexistent/hook
.hooks = {"prestart": [{"path": "rel/hook"}]}           ||| must be absolute
.process.args = ["/nonexistent-binary"]                 ||| exec /nonexistent-binary: no such file or directory
'

# run_table CASES FN: FN FILTER WANT for each row; every failing row is printed.
run_table() {
  local cases=$1 fn=$2 line filter want failed=0 n=0
  while IFS= read -r line; do
    [ -n "${line// }" ] || continue
    filter=${line%%|||*}; want=${line#*|||}
    filter=$(echo "$filter" | sed 's/ *$//'); want=$(echo "$want" | sed 's/^ *//')
    n=$((n + 1))
    if ! out=$("$fn" "$filter" "$want" 2>&1); then
      failed=$((failed + 1))
      echo "FAILED: $filter"; echo "$out" | sed 's/^/    /'
    fi
  done <<<"$cases"
  echo "# $n cases, $failed failed"
  [ "$failed" -eq 0 ] && [ "$n" -gt 0 ]
}

config_case() {
  jq "$1" "$TEST_TMP/pristine.json" >"$BUNDLE/config.json" || return 1
  expect_error "$2" uoci create --bundle "$BUNDLE" "$id" || return 1
  assert_nothing_left
}

@test "malformed and hostile config.json: one clear line each, nothing left (table)" {
  run_table "$CONFIG_CASES" config_case
}

@test "config.json that is not a JSON object: one clear line each, nothing left (table)" {
  raw_case() {
    printf '%b' "$1" >"$BUNDLE/config.json"
    expect_error "$2" uoci create --bundle "$BUNDLE" "$id"
    assert_nothing_left
  }
  run_table '
                                         ||| config.json: invalid JSON
{                                        ||| config.json: invalid JSON
[]                                       ||| config.json
"just a string"                          ||| config.json
{"ociVersion": "1.0.0",}                 ||| invalid JSON
\\xff\\xfe{}                             ||| invalid JSON
{"process": {"args": ["a"]}} trailing    ||| invalid JSON
' raw_case
  # nesting far deeper than any real config
  { printf '{"annotations":{"a":'; head -c 100000 /dev/zero | tr '\0' '['; } >"$BUNDLE/config.json"
  expect_error "config.json" uoci create --bundle "$BUNDLE" "$id"
  assert_nothing_left
  # no config.json at all, and a directory in its place
  rm "$BUNDLE/config.json"
  expect_error "config.json: No such file or directory" uoci create --bundle "$BUNDLE" "$id"
  mkdir "$BUNDLE/config.json"
  expect_error "config.json: not a regular file" uoci create --bundle "$BUNDLE" "$id"
  assert_nothing_left
  # a FIFO or a device (link) never hangs create, a huge file is never read
  rmdir "$BUNDLE/config.json" && mkfifo "$BUNDLE/config.json"
  expect_error "config.json: not a regular file" timeout 20 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" "$id"
  rm "$BUNDLE/config.json" && ln -s /dev/zero "$BUNDLE/config.json"
  expect_error "config.json: not a regular file" timeout 20 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" "$id"
  rm "$BUNDLE/config.json" && truncate -s 3G "$BUNDLE/config.json"
  expect_error "config.json: larger than 64 MiB" timeout 20 "$UOCI" --root "$STATE" create --bundle "$BUNDLE" "$id"
  assert_nothing_left
}

@test "a damaged state file: clear error, delete --force removes it" {
  uoci create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  pid=$(uoci state "$id" | jq .pid)
  uoci delete --force "$id"
  for content in "" "garbage without equals" "pid=notanumber" "pid=$pid" "start=1"; do
    mkdir -p "$STATE/$id"
    printf '%s\n' "$content" >"$STATE/$id/state"
    if [ -z "$content" ]; then : >"$STATE/$id/state"; fi
    expect_error "container \"$id\": corrupt state file" uoci state "$id"
    expect_error "corrupt state file" uoci start "$id"
    expect_error "corrupt state file" uoci kill "$id" KILL
    expect_error "corrupt state file" uoci delete "$id"
    run uoci list
    [ "$status" -eq 0 ]
    uoci delete --force "$id"
    [ ! -e "$STATE/$id" ]
  done
}

# The container's cgroup in every hierarchy (v1: one per controller).
cgroup_dirs_of() {
  awk -F: '{ split($2, c, ","); d = (c[1] == "" ? "" : (c[1] ~ /^name=/ ? substr(c[1], 6) : c[1])); print "/sys/fs/cgroup/" (d == "" ? "unified" : d) $3 }' "/proc/$1/cgroup" |
    while read -r d; do [ -d "$d" ] && echo "$d"; done
}

@test "a damaged state file naming no cgroup: delete --force finds the cgroup from config.json, kills the init and removes it (runc leaves them)" {
  for damage in empty fifo created; do
    if [ "$damage" = created ]; then
      uoci create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
    else
      uoci run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
    fi
    pid=$(uoci state "$id" | jq .pid)
    dirs=$(cgroup_dirs_of "$pid")
    [ -n "$dirs" ]
    case $damage in
      empty) : >"$STATE/$id/state" ;;
      *) rm "$STATE/$id/state" && mkfifo "$STATE/$id/state" ;;
    esac
    expect_error "corrupt state file" uoci delete "$id"
    kill -0 "$pid"
    uoci delete --force "$id"
    [ ! -e "$STATE/$id" ]
    process_gone "$pid"
    for d in $dirs; do
      [ ! -e "$d" ] || { echo "$damage: cgroup $d left"; return 1; }
    done
  done
  assert_nothing_left
}

@test "a damaged state file: delete --force never touches a cgroup its create did not make (made before, or after by another)" {
  mnt=/sys/fs/cgroup/pids
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && mnt=/sys/fs/cgroup
  [ -d "$mnt" ] || skip "no pids hierarchy"
  for when in before after; do
    cg=/uoci-bad-victim-$$-$when
    if [ "$when" = before ]; then mkdir "$mnt$cg"; sleep 0.1; fi
    mkdir -p "$STATE/$id"
    jq ".linux.cgroupsPath = \"$cg\"" "$BUNDLE/config.json" >"$STATE/$id/config.json"
    : >"$STATE/$id/state"
    if [ "$when" = after ]; then sleep 0.1; mkdir "$mnt$cg"; fi
    sleep 1000 </dev/null >/dev/null 2>&1 &
    victim=$!
    echo "$victim" >"$mnt$cg/cgroup.procs"
    uoci delete --force "$id"
    [ ! -e "$STATE/$id" ]
    kill -0 "$victim" || { echo "$when: delete --force killed a process of a cgroup not its own"; return 1; }
    [ "$(cat "$mnt$cg/cgroup.procs")" = "$victim" ]
    kill "$victim"
    wait "$victim" || true
    rmdir "$mnt$cg"
  done
}

@test "a state file naming someone else's pid: never signalled, even by delete --force" {
  sleep 100 </dev/null >/dev/null 2>&1 &
  victim=$!
  mkdir -p "$STATE/$id"
  # no start time, then a wrong one: the pid can't be vouched for
  printf 'pid=%s\nbundle=/x\n' "$victim" >"$STATE/$id/state"
  uoci delete --force "$id"
  kill -0 "$victim"
  mkdir -p "$STATE/$id"
  printf 'pid=%s\nstart=1\nbundle=/x\n' "$victim" >"$STATE/$id/state"
  [ "$(uoci state "$id" | jq -r .status)" = stopped ]
  expect_error "container not running" uoci kill "$id" KILL
  uoci delete --force "$id"
  kill -0 "$victim"
  kill "$victim"
}

@test "a missing config.json copy: state works, delete --force cleans up" {
  uoci create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  rm "$STATE/$id/config.json"
  [ "$(uoci state "$id" | jq -r .status)" = created ]
  expect_error "config.json" uoci start "$id"
  uoci delete --force "$id"
  assert_nothing_left
}

@test "a symlink or a file instead of the state dir: refused, never followed" {
  mkdir "$TEST_TMP/elsewhere" && touch "$TEST_TMP/elsewhere/keep"
  mkdir -p "$STATE"
  ln -s "$TEST_TMP/elsewhere" "$STATE/$id"
  expect_error "open state directory" uoci state "$id"
  expect_error "open state directory" uoci delete --force "$id"
  expect_error "already exists" uoci create --bundle "$BUNDLE" "$id"
  [ -e "$TEST_TMP/elsewhere/keep" ]
  [ -L "$STATE/$id" ]
  run uoci list
  [ "$status" -eq 0 ]
  rm "$STATE/$id" && touch "$STATE/$id"
  expect_error "open state directory" uoci state "$id"
  expect_error "open state directory" uoci kill "$id"
  rm "$STATE/$id"
  # --root itself a file
  expect_error "/etc/hostname" "$UOCI" --root /etc/hostname create --bundle "$BUNDLE" "$id"
}

CLI_CASES='
nosuchverb                               ||| nosuchverb
--nosuchoption list                      ||| nosuchoption
create                                   ||| container id
create ../escape                         ||| invalid container id
create a/b                               ||| invalid container id
create .                                 ||| invalid container id
create ..                                ||| invalid container id
create "a b"                             ||| invalid container id
create ""                                ||| container id cannot be empty
create LONGID                            ||| invalid container id
create --bundle /nonexistent ID          ||| bundle /nonexistent: No such file or directory
create --bundle BUNDLE --preserve-fds abc ID ||| preserve-fds
create --bundle BUNDLE --preserve-fds -1 ID ||| preserve-fds
create --bundle BUNDLE --pid-file /nonexistent/dir/pid ID ||| pid file /nonexistent/dir/pid
start ID                                 ||| does not exist
state ID                                 ||| does not exist
kill ID                                  ||| does not exist
delete ID                                ||| does not exist
kill                                     ||| missing container id
exec ID true                             ||| does not exist
spec --bundle /nonexistent               ||| /nonexistent
list --format yaml                       ||| --format
'

cli_case() {
  local want=$2 longid
  longid=$(head -c 2000 /dev/zero | tr '\0' 'a')
  local args=${1//LONGID/$longid}
  args=${args//BUNDLE/$BUNDLE}
  args=${args//ID/$id}
  eval "set -- $args"
  expect_error "$want" uoci "$@" || return 1
  assert_nothing_left
}

@test "bad command lines: one clear line each, nothing left (table)" {
  run_table "$CLI_CASES" cli_case
  # no arguments at all: the usage, and a failure status
  run uoci
  [ "$status" -ne 0 ]
  [[ "$output" == *"Usage: ulysses-oci"* ]]
}

@test "bad kill, exec --process and update --resources input on a live container" {
  uoci run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  expect_error "unknown signal" uoci kill "$id" SIGFOO
  expect_error "unknown signal" uoci kill "$id" 99999
  printf '{"args": 5}' >"$TEST_TMP/p.json"
  expect_error ".args: expected array, got integer" uoci exec --process "$TEST_TMP/p.json" "$id"
  printf '{"args": ["a\\u0000b"]}' >"$TEST_TMP/p.json"
  expect_error "NUL character" uoci exec --process "$TEST_TMP/p.json" "$id"
  expect_error "No such file or directory" uoci exec --process /nonexistent.json "$id"
  printf '{"memory": {"limit": "lots"}}' >"$TEST_TMP/r.json"
  expect_error "expected integer" uoci update --resources "$TEST_TMP/r.json" "$id"
  printf '{' >"$TEST_TMP/r.json"
  expect_error "invalid JSON" uoci update --resources "$TEST_TMP/r.json" "$id"
  # a device, a FIFO nobody writes, endless stdin: one line in bounded time
  # (before: read /dev/zero until memory ran out, or waited for a writer)
  mkfifo "$TEST_TMP/fifo"
  expect_error "/dev/zero: not a regular file or a pipe" timeout 20 "$UOCI" --root "$STATE" exec --process /dev/zero "$id"
  expect_error "premature EOF" timeout 20 "$UOCI" --root "$STATE" exec --process "$TEST_TMP/fifo" "$id"
  expect_error "not a regular file or a pipe" timeout 20 "$UOCI" --root "$STATE" exec --process "$TEST_TMP" "$id"
  expect_error "/dev/urandom: not a regular file or a pipe" timeout 20 "$UOCI" --root "$STATE" update --resources /dev/urandom "$id"
  expect_error "premature EOF" timeout 20 "$UOCI" --root "$STATE" update --resources "$TEST_TMP/fifo" "$id"
  run bash -c '"$0" --root "$1" update --resources - "$2" </dev/zero' "$UOCI" "$STATE" "$id"
  [ "$status" -eq 1 ]
  [ "$output" = "ulysses-oci: update --resources: stdin: larger than 64 MiB" ]
  # a pipe still works: stdin, process substitution
  echo '{"args": ["true"]}' >"$TEST_TMP/p.json"
  uoci exec --process <(cat "$TEST_TMP/p.json") "$id"
  uoci exec --process /dev/stdin "$id" <"$TEST_TMP/p.json"
  echo '{"pids": {"limit": 100}}' | uoci update --resources - "$id"
  uoci update --resources <(echo '{"pids": {"limit": 101}}') "$id"
  # the container is unharmed
  [ "$(uoci state "$id" | jq -r .status)" = running ]
  uoci delete --force "$id"
  assert_nothing_left
}

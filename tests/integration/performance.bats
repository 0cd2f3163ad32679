#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The shortcuts of docs/PERFORMANCE.md keep the lifecycle's guarantees: `run`
# without hooks lets the init go on without a START round trip yet still
# reports a failure before execve and cleans up; state writes are fewer but the
# state is complete when create returns; delete removes the cgroup at once
# when it is empty and still kills and waits when it is not.
load helpers

setup() { setup_bundle true; id=p-$$-$BATS_TEST_NUMBER; bg=; }
# bg: a process a test left in the background (killed even when it failed)
teardown() { [ -z "$bg" ] || { kill -9 "$bg"; wait "$bg"; } 2>/dev/null || true; cleanup_all; }

# cgroup directories named after the container, in any hierarchy.
cgroup_dirs() { find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null || true; }

@test "run without hooks returns the exit status and leaves no state or cgroup" {
  cfg '.process.args = ["sh", "-c", "exit 3"]'
  run uoci run --bundle "$BUNDLE" "$id"
  [ "$status" -eq 3 ]
  [ ! -e "$STATE/$id" ]
  [ -z "$(cgroup_dirs "$id")" ]
}

@test "run without hooks: an execve failure after the init is ready is reported and undone" {
  # executable bit, not an executable: only execve itself can fail on it
  printf 'not a program\n' >"$BUNDLE/rootfs/bin/garbage"
  chmod 755 "$BUNDLE/rootfs/bin/garbage"
  cfg '.process.args = ["/bin/garbage"]'
  run uoci run --bundle "$BUNDLE" "$id"
  [ "$status" -ne 0 ]
  [[ "$output" == *"exec /bin/garbage: exec format error"* ]]
  [ ! -e "$STATE/$id" ]
  [ -z "$(cgroup_dirs "$id")" ]
  # --keep keeps containers that ran, not ones whose create failed
  run uoci run --keep --bundle "$BUNDLE" "$id"
  [ "$status" -ne 0 ]
  [ ! -e "$STATE/$id" ]
}

@test "run with a hook still releases the init after the hooks" {
  cfg '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "cat >'"$TEST_TMP"'/prestart.json"]}] |
       .hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "touch '"$TEST_TMP"'/poststart"]}] |
       .process.args = ["sh", "-c", "exit 5"]'
  run uoci run --bundle "$BUNDLE" "$id"
  [ "$status" -eq 5 ]
  [ "$(jq -r .id "$TEST_TMP/prestart.json")" = "$id" ]
  [ -e "$TEST_TMP/poststart" ]
  [ ! -e "$STATE/$id" ]
}

@test "run: lo of a new network namespace, brought up by the runtime, is up for the createContainer hooks and the process" {
  ip=$(command -v ip) || skip "no ip(8) on the host"
  cfg '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "'"$ip"' -o link show >'"$TEST_TMP"'/hook.links"]}] |
       .process.args = ["cat", "/sys/class/net/lo/flags"]'
  run uoci --debug run --bundle "$BUNDLE" "$id"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"lo brought up by the runtime"* ]]
  # IFF_UP | IFF_LOOPBACK, in the process's namespace
  [[ "$output" == *0x9* ]]
  # the hook ran in the container's namespace (lo only), lo already up
  cat "$TEST_TMP/hook.links"
  [ "$(wc -l <"$TEST_TMP/hook.links")" -eq 1 ]
  grep -q 'lo: <LOOPBACK,UP' "$TEST_TMP/hook.links"
  [ ! -e "$STATE/$id" ]
}

@test "create: state names the init, exec.fifo is 0622, config.json is the bundle's" {
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$id"
  grep -qx "pid=$(cat "$TEST_TMP/pid")" "$STATE/$id/state"
  grep -q '^start=[1-9]' "$STATE/$id/state"
  [ "$(stat -c %a "$STATE/$id/exec.fifo")" = 622 ]
  cmp "$BUNDLE/config.json" "$STATE/$id/config.json"
  [ ! -e "$STATE/$id/state.tmp" ]
  [ "$(uoci state "$id" | jq -r .status)" = created ]
}

@test "delete of a stopped container removes its cgroup in every hierarchy" {
  uoci create --bundle "$BUNDLE" "$id"
  [ -n "$(cgroup_dirs "$id")" ]
  uoci start "$id"
  wait_status "$id" stopped
  uoci delete "$id"
  [ ! -e "$STATE/$id" ]
  [ -z "$(cgroup_dirs "$id")" ]
}

@test "delete --force of a running container kills it and removes a busy cgroup" {
  cfg '.process.args = ["sh", "-c", "sleep 100 & sleep 100"]'
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$id"
  pid=$(cat "$TEST_TMP/pid")
  wait_status "$id" running
  uoci delete --force "$id"
  [ ! -e "$STATE/$id" ]
  [ -z "$(cgroup_dirs "$id")" ]
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  process_gone "$pid"
}

@test "list --format json: annotations still shown, also when a key is spelled with \\u escapes" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" "$id-plain"
  cfg '.annotations = {"org.example/a": "1"}'
  uoci create --bundle "$BUNDLE" "$id-ann"
  # the same key, "annotations" written with an escaped "a": JSON-equal
  sed -i 's/"annotations"/"\\u0061nnotations"/' "$BUNDLE/config.json"
  grep -q 'u0061nnotations' "$BUNDLE/config.json"
  uoci create --bundle "$BUNDLE" "$id-esc"
  run uoci list --format json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r --arg i "$id-plain" '.[] | select(.id == $i) | .annotations // {} | length')" = 0 ]
  [ "$(echo "$output" | jq -r --arg i "$id-ann" '.[] | select(.id == $i) | .annotations["org.example/a"]')" = 1 ]
  [ "$(echo "$output" | jq -r --arg i "$id-esc" '.[] | select(.id == $i) | .annotations["org.example/a"]')" = 1 ]
  [ "$(uoci state "$id-ann" | jq -r '.annotations["org.example/a"]')" = 1 ]
}

@test "list --format json and state: annotations from the state file's record, from config.json for an older state file, a long or a damaged record" {
  cfg '.process.args = ["sleep", "100"]'
  uoci create --bundle "$BUNDLE" "$id-plain"
  cfg '.annotations = {"org.example/a": "1", "two\nlines": "tab\there \"quoted\" é", "z": ""}'
  uoci create --bundle "$BUNDLE" "$id-ann"
  uoci create --bundle "$BUNDLE" "$id-old"
  uoci create --bundle "$BUNDLE" "$id-bad"
  cfg '.annotations = {"long": ("y" * 3000)}'
  uoci create --bundle "$BUNDLE" "$id-long"
  want=$(jq -cS '.annotations' "$STATE/$id-ann/config.json")
  # the record: one line, the annotations as JSON ({} for none); none past 2 KiB
  [ "$(grep -c '^annotations=' "$STATE/$id-ann/state")" = 1 ]
  [ "$(grep '^annotations=' "$STATE/$id-ann/state" | cut -d= -f2- | jq -cS .)" = "$want" ]
  grep -qx 'annotations={}' "$STATE/$id-plain/state"
  ! grep -q '^annotations=' "$STATE/$id-long/state" || false
  # a state file written before the record existed (no annotations= line),
  # and a record that is not an object of strings: config.json is read
  sed -i '/^annotations=/d' "$STATE/$id-old/state"
  sed -i 's/^annotations=.*/annotations=["x"/' "$STATE/$id-bad/state"
  # the record is what list and state read: not config.json
  mv "$STATE/$id-ann/config.json" "$TEST_TMP/ann-config.json"
  run uoci list --format json
  mv "$TEST_TMP/ann-config.json" "$STATE/$id-ann/config.json"
  [ "$status" -eq 0 ]
  ann() { echo "$output" | jq -cS --arg i "$1" '.[] | select(.id == $i) | .annotations'; }
  [ "$(ann "$id-ann")" = "$want" ]
  [ "$(ann "$id-old")" = "$want" ]
  [ "$(ann "$id-bad")" = "$want" ]
  [ "$(ann "$id-plain")" = null ]
  [ "$(ann "$id-long" | jq -r '.long | length')" = 3000 ]
  for c in ann old bad; do
    [ "$(uoci state "$id-$c" | jq -cS .annotations)" = "$want" ]
  done
  [ "$(uoci state "$id-plain" | jq -c .annotations)" = null ]
  # the older state file's container goes on as before: start, list, delete
  uoci start "$id-old"
  [ "$(uoci list --format json | jq -r --arg i "$id-old" '.[] | select(.id == $i) | .status')" = running ]
  uoci delete -f "$id-old"
  [ ! -e "$STATE/$id-old" ]
}

@test "list holds no container's lock while its output waits for a reader" {
  # three containers whose JSON (40 KB each) fills a pipe (64 KB) nobody reads
  cfg '.process.args = ["sleep", "100"] | .annotations = {"big": ("x" * 40000)}'
  for i in 1 2 3; do uoci create --bundle "$BUNDLE" "$id-$i"; done
  mkfifo "$TEST_TMP/out"
  exec 5<>"$TEST_TMP/out"
  # none of bats' fds: a list left blocked must not hold up bats (teardown kills it)
  "$UOCI" --root "$STATE" list --format json >"$TEST_TMP/out" 2>"$TEST_TMP/list.err" 3>&- 5>&- &
  bg=$!
  # until list is blocked writing (pipe_write; anon_pipe_write on 6.x)
  for i in $(seq 1 200); do
    [[ "$(cat /proc/$bg/wchan 2>/dev/null)" == *pipe_write ]] && break
    sleep 0.01
  done
  [[ "$(cat /proc/$bg/wchan)" == *pipe_write ]]
  for i in 1 2 3; do
    run timeout 5 "$UOCI" --root "$STATE" state "$id-$i"
    [ "$status" -eq 0 ]
  done
  exec 5>&-
}

@test "list and state read each state file with one read (the size from its fstat)" {
  command -v strace >/dev/null || skip "strace not installed (scripts/packages.txt lists it)"
  cfg '.process.args = ["sleep", "100"] | .annotations = {"org.example/a": "1"}'
  for i in 1 2 3; do uoci create --bundle "$BUNDLE" "$id-$i"; done
  uoci start "$id-2"
  # per open of a file named "state": the reads of its fd until its close
  reads_per_open() {
    awk '/^openat\(.*"state"/ { fd = $NF; n = 0; next }
         fd != "" && index($0, "read(" fd ",") == 1 { n++ }
         fd != "" && index($0, "close(" fd ")") == 1 { print n; fd = "" }' "$1"
  }
  strace -qq -e trace=openat,read,close -o "$TEST_TMP/list.st" "$UOCI" --root "$STATE" list --format json >"$TEST_TMP/list.out"
  [ "$(reads_per_open "$TEST_TMP/list.st" | tr '\n' ' ')" = "1 1 1 " ]
  # and all of it was read: the last line (annotations) too
  [ "$(jq -r '[.[] | .status + ":" + .annotations["org.example/a"]] | join(",")' "$TEST_TMP/list.out")" = \
    "created:1,running:1,created:1" ]
  strace -qq -e trace=openat,read,close -o "$TEST_TMP/state.st" "$UOCI" --root "$STATE" state "$id-2" >"$TEST_TMP/state.out"
  [ "$(reads_per_open "$TEST_TMP/state.st")" = 1 ]
  [ "$(jq -r '.status + " " + .annotations["org.example/a"]' "$TEST_TMP/state.out")" = "running 1" ]
  # an empty state file (a file system that reports no size reads the same
  # way): read to its end, refused as damaged, as before
  # (the file is put back before the delete: a delete of a damaged state
  # cannot know the init's pid or cgroups, and would leave them behind)
  cp "$STATE/$id-3/state" "$TEST_TMP/state.saved"
  : >"$STATE/$id-3/state"
  run uoci state "$id-3"
  cat "$TEST_TMP/state.saved" >"$STATE/$id-3/state"
  [ "$status" -ne 0 ]
  [[ "$output" == *"corrupt state file"* ]]
  uoci delete -f "$id-3"
  [ ! -e "$STATE/$id-3" ]
}

@test "run of /bin/true: the static musl build maps memory a few times, not once per freed buffer" {
  command -v strace >/dev/null || skip "strace not installed (scripts/packages.txt lists it)"
  "$UOCI" --version | grep -q '^libc: musl' || skip "a glibc build: glibc's malloc"
  strace -f -qq -e trace=execve,mmap,munmap,mremap,brk -o "$TEST_TMP/run.st" \
    "$UOCI" --root "$STATE" run --bundle "$BUNDLE" "$id"
  # the runtime's and the init's, up to the init's execve of the process
  # (musl's mallocng unmapped a group each time its last block was freed:
  # ~60 of these per run)
  n=$(awk 'NR > 1 && $2 ~ /^execve\(/ { gone[$1] = 1; next }
           !gone[$1] && $2 ~ /^(mmap|munmap|mremap|brk)\(/ { n++ } END { print n + 0 }' "$TEST_TMP/run.st")
  echo "memory mappings: $n"
  [ "$n" -le 12 ]
  [ ! -e "$STATE/$id" ]
}

@test "run: the cleanup removes everything also when others changed the state while it ran" {
  # poststop runs from the config run parsed at create (not read again)
  cfg '.annotations = {"org.example/a": "1"} |
       .hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "cat >'"$TEST_TMP"'/poststop.json"]}] |
       .root.readonly = false |
       .process.args = ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 7"]'
  uoci run --bundle "$BUNDLE" "$id" >/dev/null 2>"$TEST_TMP/run.err" &
  runpid=$!
  wait_status "$id" running
  # another process changes the state while the container runs: an exec that
  # may hold CAP_SYS_PTRACE marks it, update rewrites its cgroup's limits
  uoci exec --cap CAP_SYS_PTRACE "$id" true
  [ -e "$STATE/$id/ptrace" ]
  uoci update --pids-limit 50 "$id"
  uoci exec "$id" touch /tmp/go
  status=0
  wait "$runpid" || status=$?
  [ "$status" -eq 7 ] || { cat "$TEST_TMP/run.err"; false; }
  [ ! -e "$STATE/$id" ]
  [ -z "$(cgroup_dirs "$id")" ]
  [ "$(jq -r .status "$TEST_TMP/poststop.json")" = stopped ]
  [ "$(jq -r '.annotations["org.example/a"]' "$TEST_TMP/poststop.json")" = 1 ]
}

# bench/par.c, the driver of bench/run.sh's parallel section, built here.
build_par() {
  command -v cc >/dev/null || skip "no cc to build bench/par.c"
  cc -O2 -o "$TEST_TMP/par" "$SRCDIR/bench/par.c"
  mkdir -p "$TEST_TMP/par.d"
}

@test "bench/par.c waits for each container before delete and leaves nothing behind" {
  build_par
  # a plain delete of a running container fails: a wait that did not wait
  # would show up as failures
  cfg '.process.args = ["sleep", "0.3"]'
  run "$TEST_TMP/par" "$UOCI" "$STATE" "$BUNDLE" "$id" 5 2 "$TEST_TMP/par.d" "$TEST_TMP/err"
  [ "$status" -eq 0 ]
  read -r done failed cpu <"$TEST_TMP/par.d/result"
  [ "$done" -eq 5 ]
  [ "$failed" -eq 0 ]
  [ "$cpu" -gt 0 ]
  [ ! -s "$TEST_TMP/err" ]
  [ -z "$(ls "$STATE")" ]
  [ -z "$(ls "$TEST_TMP/par.d" | grep -v '^result$')" ]
  for i in 1 2 3 4 5; do [ -z "$(cgroup_dirs "$id-$i")" ]; done
}

@test "bench/par.c counts a failed create once per container and force-deletes it" {
  build_par
  cfg '.root.path = "no-such-rootfs"'
  run "$TEST_TMP/par" "$UOCI" "$STATE" "$BUNDLE" "$id" 3 2 "$TEST_TMP/par.d" "$TEST_TMP/err"
  [ "$status" -eq 1 ]
  read -r done failed cpu <"$TEST_TMP/par.d/result"
  [ "$done" -eq 3 ]
  [ "$failed" -eq 3 ]
  [ -s "$TEST_TMP/err" ]
  [ -z "$(ls "$STATE" 2>/dev/null)" ]
  for i in 1 2 3; do [ -z "$(cgroup_dirs "$id-$i")" ]; done
}

# bench_runtimes: two runtimes for bench/run.sh, a and b: $UOCI behind a
# wrapper that logs "NAME VERB" of each call to $TEST_TMP/calls.
bench_runtimes() {
  command -v jq >/dev/null || skip "bench/run.sh needs jq"
  local n
  for n in a b; do
    printf '#!/bin/sh\necho "%s $3" >>"%s"\nexec "%s" "$@"\n' "$n" "$TEST_TMP/calls" "$UOCI" >"$TEST_TMP/$n"
    chmod 755 "$TEST_TMP/$n"
  done
  : >"$TEST_TMP/calls"
  mkdir -p "$TEST_TMP/bench"
}
# what bench/run.sh may leave: state roots, containers' cgroups
bench_left() {
  ls -d "$TEST_TMP"/bench/state.* "$TEST_TMP"/bench/bundles.* 2>/dev/null || true
  find /sys/fs/cgroup -maxdepth 4 -type d -name "ub*-[0-9]*" 2>/dev/null | grep -E '/ub[0-9]+-' || true
}

@test "bench/run.sh scale: each op interleaved between the runtimes, order rotated each round; quiet and paired columns; nothing left" {
  bench_runtimes
  run env WORK="$TEST_TMP/bench" SETTLE_S=0 GAP_MS=0 SCALE=2 SCALE_N=2 SCALE_LIST=1 SKIP="run phases exec rss mem par" \
    "$SRCDIR/bench/run.sh" "$TEST_TMP/a" "$TEST_TMP/b"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  # after the two sanity runs, round 1 (b first), then round 2 (a first)
  local want="" i op k
  for i in 1 2; do
    for op in create start exec state kill delete; do
      for k in $([ $i = 1 ] && echo b a || echo a b); do want+="$k $op"$'\n'; done
    done
  done
  [ "$(sed -n 3,26p "$TEST_TMP/calls")" = "${want%$'\n'}" ] || { cat "$TEST_TMP/calls"; false; }
  [[ "$output" == *"none quiet"*"d none"* ]]
  # b's rows: a paired difference to a (signed ms) for none and for SCALE
  echo "$output" | grep -Eq '^b +create .* [+-][0-9]+\.[0-9]{2} +[+-][0-9]+\.[0-9]{2} '
  echo "$output" | grep -Eq '^a +create .* - +- '
  [ -z "$(bench_left)" ]
}

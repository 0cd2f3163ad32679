#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The shortcuts of docs/PERFORMANCE.md keep the lifecycle's guarantees: `run`
# without hooks lets the init go on without a START round trip yet still
# reports a failure before execve and cleans up; state writes are fewer but the
# state is complete when create returns; delete removes the cgroup at once
# when it is empty and still kills and waits when it is not.
load helpers

setup() { setup_bundle true; id=p-$$-$BATS_TEST_NUMBER; }
teardown() { cleanup_all; }

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
  [[ "$output" == *"exec /bin/garbage: Exec format error"* ]]
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
  [ "$done" -eq 5 ] && [ "$failed" -eq 0 ] && [ "$cpu" -gt 0 ]
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
  [ "$done" -eq 3 ] && [ "$failed" -eq 3 ]
  [ -s "$TEST_TMP/err" ]
  [ -z "$(ls "$STATE" 2>/dev/null)" ]
  for i in 1 2 3; do [ -z "$(cgroup_dirs "$id-$i")" ]; done
}

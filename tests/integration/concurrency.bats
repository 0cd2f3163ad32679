#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Concurrency: 200 lifecycle operations from 8 parallel clients, on distinct
# ids and on the same few ids. Every operation either succeeds or fails with
# one of the runtime's clean one-line errors; afterwards every container is
# consistent (its state reads back, list shows it), none is lost (no cgroup
# or process without a state dir), and nothing is left after delete --force.
load helpers

CLIENTS=8

setup() {
  setup_bundle sleep 100
  pfx=cc-$$-$BATS_TEST_NUMBER
  LOG=$TEST_TMP/ops.log
}
teardown() { cleanup_all; }

# op ID VERB...: one logged operation: "VERB ID STATUS MESSAGE" (one line).
# stdin/stdout of the runtime are a file, so a container can't hold a pipe.
op() {
  local id=$1; shift
  local err=$LOG.err.$BASHPID rc=0
  uoci "$@" </dev/null >/dev/null 2>"$err" || rc=$?
  printf '%s %s %s %s\n' "$1" "$id" "$rc" "$(tr '\n' '|' <"$err")" >>"$LOG.$BASHPID"
}

# The errors a loser may get. Anything else (a crash, a corrupt state, a
# timeout, a multi-line message) fails the test.
CLEAN_ERRORS='already exists|does not exist|cannot start container .* it is (running|stopped|paused|creating)|cannot delete container .* not stopped|is not running|container not running|init exited before start'

check_log() {
  cat "$LOG".[0-9]* >"$LOG"
  local total bad
  total=$(wc -l <"$LOG")
  echo "# $total operations, $(awk '$3 == 0' "$LOG" | wc -l) succeeded"
  bad=$(awk '$3 != 0' "$LOG" | grep -v -E "^[a-z]+ [^ ]+ 1 ulysses-oci: [^|]*($CLEAN_ERRORS)[^|]*\|$" || true)
  if [ -n "$bad" ]; then echo "unclean failures:"; echo "$bad"; return 1; fi
  [ "$total" -ge "$1" ]
}

# Nothing of ours without a state dir (a lost container), and every state dir reads back.
check_consistent() {
  local id d
  run uoci list --format json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e 'type == "array"' >/dev/null
  for d in "$STATE"/*; do
    [ -e "$d" ] || continue
    id=$(basename "$d")
    run uoci state "$id"
    [ "$status" -eq 0 ] || { echo "state $id: $output"; return 1; }
    echo "$output" | jq -e --arg id "$id" '.id == $id and (.status | test("^(created|running|stopped|paused)$"))' >/dev/null
  done
  for d in $(find /sys/fs/cgroup -maxdepth 4 -type d -name "$pfx-*" 2>/dev/null); do
    [ -d "$STATE/$(basename "$d")" ] || { echo "lost container: cgroup $d has no state dir"; return 1; }
  done
}

check_nothing_left() {
  local id
  for id in $(ls "$STATE" 2>/dev/null); do uoci delete --force "$id"; done
  [ -z "$(ls "$STATE" 2>/dev/null)" ]
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$pfx-*" 2>/dev/null | grep -q . || false
  # (a zombie the host's init has not reaped yet names its cgroup "... (deleted)")
  ! grep -l -E "/$pfx-[^/ ]*\$" /proc/[0-9]*/cgroup 2>/dev/null | grep -q . || false
}

@test "8 clients, distinct ids: 200 operations all succeed" {
  client() { # 5 containers x (create, state, start, kill, delete --force) = 25 ops
    local c=$1 k id
    for k in 1 2 3 4 5; do
      id=$pfx-$c-$k
      op $id create --bundle "$BUNDLE" $id
      op $id state $id
      op $id start $id
      op $id kill $id KILL
      op $id delete --force $id
    done
  }
  for c in $(seq $CLIENTS); do client $c & done
  wait
  check_log 200
  [ "$(awk '$3 != 0' "$LOG" | wc -l)" -eq 0 ]
  check_consistent
  [ -z "$(ls "$STATE")" ]
  check_nothing_left
}

@test "8 clients, the same 3 ids: 200 racing operations, clean errors for the losers" {
  client() { # 25 pseudo-random operations on 3 shared ids
    local c=$1 i id v
    RANDOM=$c
    for i in $(seq 25); do
      id=$pfx-$((RANDOM % 3))
      case $((RANDOM % 7)) in
        0) op $id create --bundle "$BUNDLE" $id ;;
        1) op $id start $id ;;
        2) op $id state $id ;;
        3) op $id kill $id KILL ;;
        4) op $id delete $id ;;
        5) op $id delete --force $id ;;
        6) op $id run -d --bundle "$BUNDLE" $id ;;
      esac
    done
  }
  for c in $(seq $CLIENTS); do client $c & done
  wait
  check_log 200
  check_consistent
  check_nothing_left
}

@test "8 clients create the same id at once: exactly one wins, the others get \"already exists\"" {
  local id=$pfx-same
  for c in $(seq $CLIENTS); do op $id create --bundle "$BUNDLE" $id & done
  wait
  check_log $CLIENTS
  [ "$(awk '$3 == 0' "$LOG" | wc -l)" -eq 1 ]
  [ "$(grep -c 'already exists' "$LOG")" -eq $((CLIENTS - 1)) ]
  [ "$(uoci state $id | jq -r .status)" = created ]
  check_consistent
  check_nothing_left
}

@test "8 clients delete the same container at once: it goes exactly once, cleanly" {
  local id=$pfx-del
  # the poststop hook counts the deletions that really happened
  cfg ".hooks.poststop = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo gone >>$TEST_TMP/poststop\"]}]"
  uoci run -d --bundle "$BUNDLE" $id </dev/null >/dev/null 2>&1
  for c in $(seq $CLIENTS); do op $id delete --force $id & done
  wait
  check_log $CLIENTS
  # delete --force of a container already gone succeeds, as with runc
  [ "$(awk '$3 == 0' "$LOG" | wc -l)" -eq $CLIENTS ]
  [ "$(cat "$TEST_TMP/poststop")" = gone ]
  [ ! -e "$STATE/$id" ]
  check_nothing_left
}

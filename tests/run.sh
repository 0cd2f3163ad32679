#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run the project's test suites and print one summary line.
#
# Usage: tests/run.sh [SUITE...]     (default: unit integration cni)
#   unit         every built C unit test (tests/unit/test-*), TAP, and tests/lint-bats.py
#   integration  tests/integration/*.bats  (real containers through the CLI)
#   cni          tests/cni/*.bats          (the CNI plugin, in private netns)
#   docs         tests/docs/run.sh         (the shell blocks of README.md, docs/*.md and the
#                man pages' examples, as written, each document in scratch namespaces)
#   clients      tests/clients/*.bats      (podman and containerd end to end)
#   vm           tests/vm/run-cgroupv2.sh  (the cgroup tests in a pure cgroup v2 guest, then
#                the selinux tests in a guest booted with SELinux and a policy, then the
#                systemd tests, driver and engines, in a guest with systemd as PID 1, then the
#                checkpoint/restore tests in a guest whose kernel CRIU works on, cgroup v2,
#                then again on hybrid cgroups)
# Environment: BUILDDIR (default: the tree this script is in), UOCI (runtime
# binary, default $BUILDDIR/src/ulysses-oci), TESTS_FILTER (regex on file names),
# TESTS_TIMING (non-empty: each bats test's time on its line; the vm guests set it).
# Every suite prints TAP; this script counts it and ends with exactly one line
# "N passed, M failed, K skipped". Exit status 0 only when nothing failed.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
export SRCDIR=${SRCDIR:-$(dirname "$HERE")}
export BUILDDIR=${BUILDDIR:-$SRCDIR}
export UOCI=${UOCI:-$BUILDDIR/src/ulysses-oci}
export CNI_BIN_DIR=${CNI_BIN_DIR:-$BUILDDIR/cni}
export TESTS_DIR=$HERE
filter=${TESTS_FILTER:-.}

[ $# -gt 0 ] || set -- unit integration cni

passed=0 failed=0 skipped=0
logdir=$(mktemp -d /tmp/ulysses-tests.XXXXXX)

# count_tap NAME: read TAP on stdin, echo it, update the counters. A program
# whose plan does not match its results, or that exits non-zero without a
# failing assertion, counts as one failure.
count_tap() {
  local name=$1 line planned=-1 seen=0 p=0 f=0 s=0
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      1..*) planned=${line#1..}; planned=${planned%% *} ;;
      "not ok"*) seen=$((seen + 1)); if [[ $line == *"# TODO"* ]]; then s=$((s + 1)); else f=$((f + 1)); fi ;;
      ok*) seen=$((seen + 1)); if [[ $line == *"# SKIP"* || $line == *"# skip"* ]]; then s=$((s + 1)); else p=$((p + 1)); fi ;;
    esac
  done
  local rc=${PIPESTATUS[0]:-0}
  if [ "$planned" -ge 0 ] && [ "$planned" != "$seen" ]; then
    echo "not ok - $name: planned $planned tests but ran $seen"
    f=$((f + 1))
  fi
  echo "$p $f $s" >"$logdir/counts"
}

run_program() { # NAME CMD...
  local name=$1; shift
  echo "# --- $name"
  local rc
  { "$@" 2>"$logdir/stderr"; echo $? >"$logdir/rc"; } | count_tap "$name"
  rc=$(cat "$logdir/rc")
  read -r p f s <"$logdir/counts"
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "not ok - $name exited with status $rc"
    sed 's/^/#   /' "$logdir/stderr" | tail -n 60
    f=1
  elif [ "$f" != 0 ]; then
    sed 's/^/#   /' "$logdir/stderr" | tail -n 60
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_bats_dir() {
  local dir=$1 f
  for f in "$dir"/*.bats; do
    [ -e "$f" ] || continue
    [[ $f =~ $filter ]] || continue
    run_program "$(basename "$f")" bats --tap ${TESTS_TIMING:+--timing} "$f"
  done
}

for suite in "$@"; do
  case "$suite" in
    unit)
      for t in "$BUILDDIR"/tests/unit/test-*; do
        [ -x "$t" ] && [ -f "$t" ] || continue
        [[ $t =~ $filter ]] || continue
        run_program "$(basename "$t")" "$t"
      done
      # checks bats' errexit would ignore ([ A ] && [ B ], a bare "! cmd")
      [[ lint-bats =~ $filter ]] && run_program lint-bats python3 "$HERE/lint-bats.py" "$HERE"/*/*.bats "$HERE"/*/*.bash ;;
    integration|cni|clients)
      run_bats_dir "$HERE/$suite" ;;
    docs)
      run_program docs "$HERE/docs/run.sh" ;;
    vm)
      run_program cgroupv2-vm "$HERE/vm/run-cgroupv2.sh"
      run_program selinux-vm env VM_SUITE=selinux "$HERE/vm/run-cgroupv2.sh"
      run_program systemd-vm env VM_SUITE=systemd "$HERE/vm/run-cgroupv2.sh"
      run_program checkpoint-vm env VM_SUITE=checkpoint "$HERE/vm/run-cgroupv2.sh"
      run_program checkpoint-hybrid-vm env VM_SUITE=checkpoint-hybrid "$HERE/vm/run-cgroupv2.sh" ;;
    *) echo "run.sh: unknown suite '$suite'" >&2; exit 2 ;;
  esac
done
rm -rf "$logdir"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

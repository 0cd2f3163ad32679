#!/bin/bash
# guest-default.sh - the default guest command of run-cgroupv2.sh (runs in
# the guest). It checks that the guest really is pure cgroup v2, then runs
# `tests/run.sh integration` (TESTS_FILTER selects the cgroup tests) and
# folds everything into ONE valid TAP stream: test points renumbered, the
# per-file plans and run.sh's summary turned into comments, one plan at the
# end. That keeps the output valid TAP even when no cgroup test exists yet,
# and lets the host's tests/run.sh count it like any other program.
# Exit status: non-zero when the check or any test failed.
set -u
: "${SRCDIR:?SRCDIR not set}"

# check_pure_cgroup2: prints a reason and fails unless /sys/fs/cgroup is a
# cgroup2 mount, no cgroup v1 hierarchy is mounted anywhere, and the root
# delegates memory and pids to its children.
check_pure_cgroup2() {
  local fstype v1 subtree
  fstype=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
  [ "$fstype" = cgroup2fs ] || { echo "/sys/fs/cgroup is '$fstype', not cgroup2fs"; return 1; }
  v1=$(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts)
  [ -z "$v1" ] || { echo "cgroup v1 mounted at: $v1"; return 1; }
  subtree=$(cat /sys/fs/cgroup/cgroup.subtree_control)
  case " $subtree " in *" memory "*) ;; *) echo "memory not in subtree_control: $subtree"; return 1 ;; esac
  case " $subtree " in *" pids "*) ;; *) echo "pids not in subtree_control: $subtree"; return 1 ;; esac
  echo "cgroup2 only, subtree_control: $subtree"
}

sanity_rc=0
if reason=$(check_pure_cgroup2); then
  echo "ok 1 - guest is pure cgroup v2"
  echo "# $reason"
else
  echo "not ok 1 - guest is pure cgroup v2"
  echo "# $reason"
  sanity_rc=1
fi

# fold_tap: renumber test points, turn plans and summaries into comments,
# end with one plan. A read loop rather than awk: mawk buffers its input, and
# the host should see each result as soon as it exists.
fold_tap() {
  local line n=1 prefix rest
  while IFS= read -r line; do
    case "$line" in
      1..[0-9]*) echo "# plan $line" ;;
      "not ok"|"not ok "*|ok|"ok "*)
        if [[ $line == not* ]]; then prefix="not ok"; else prefix=ok; fi
        rest=${line#"$prefix"}
        [[ $rest =~ ^\ +[0-9]+(.*)$ ]] && rest=${BASH_REMATCH[1]}
        n=$((n + 1))
        echo "$prefix $n$rest" ;;
      *)
        if [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]]; then
          echo "# guest tests/run.sh: $line"
        else
          printf '%s\n' "$line"
        fi ;;
    esac
  done
  echo "1..$n"
}

set -o pipefail
"$SRCDIR/tests/run.sh" integration 2>&1 | fold_tap
run_rc=$?
[ "$sanity_rc" = 0 ] && [ "$run_rc" = 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-bench.sh - the default guest command of VM_SUITE=bench (runs in the
# guest): bench/run.sh on pure cgroup v2, ulysses-oci ($UOCI) next to crun and
# runc from the host root the guest sees (Debian's packages; crun first, the
# reference of each ratio). Not a test: opt-in, never part of tests/run.sh.
#
# The bench's work tree (bundles, state roots, results) is a tmpfs of its own
# at /var/tmp/uoci-bench (the guest's root is an overlay over 9p). The
# results directory is copied to the exchange dir's bench/, which
# run-cgroupv2.sh copies out to the host (VM_BENCH_OUT).
#
# Environment (from the host): the knobs of bench/run.sh (N E M GAP_MS COUNT
# PAR SKIP SPEC_FROM SCALE SCALE_N FLOOR_C; defaults here: N=20,
# SKIP="mem scale"), BENCH_RUNTIMES (default: crun, $UOCI, runc when installed).
set -u
: "${SRCDIR:?SRCDIR not set}" "${UOCI:?UOCI not set}"
R=/vm-results
WORK=/var/tmp/uoci-bench

# The numbers only mean "cgroup v2" when nothing else is mounted.
fstype=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
[ "$fstype" = cgroup2fs ] || { echo "guest-bench: /sys/fs/cgroup is '$fstype', not cgroup2fs" >&2; exit 1; }
! awk '$3 == "cgroup" { found = 1 } END { exit !found }' /proc/self/mounts ||
  { echo "guest-bench: a cgroup v1 hierarchy is mounted" >&2; exit 1; }

mkdir -p "$WORK" && mount -t tmpfs -o mode=0755 uoci-bench "$WORK" ||
  { echo "guest-bench: tmpfs on $WORK failed" >&2; exit 1; }

if [ -z "${BENCH_RUNTIMES:-}" ]; then
  BENCH_RUNTIMES=$UOCI
  command -v crun >/dev/null && BENCH_RUNTIMES="$(command -v crun) $BENCH_RUNTIMES"
  command -v runc >/dev/null && BENCH_RUNTIMES="$BENCH_RUNTIMES $(command -v runc)"
fi
export N=${N:-20} SKIP=${SKIP-mem scale} WORK
# floor.c is the shared tools' file: only its path comes in (FLOOR_C), and
# bench/run.sh's default (../shared/bench/floor.c next to the tree) may
# not be there; with no FLOOR_C the floor is left out.
export FLOOR_C=${FLOOR_C:-/nonexistent}
echo "# guest: $(uname -r), $(nproc) cpus, cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# shellcheck disable=SC2086 # BENCH_RUNTIMES is a list of paths
"$SRCDIR/bench/run.sh" $BENCH_RUNTIMES
rc=$?
mkdir -p "$R/bench" && cp -r "$WORK/results/." "$R/bench/" ||
  { echo "guest-bench: copying the results out failed" >&2; rc=1; }
umount "$WORK"
exit "$rc"

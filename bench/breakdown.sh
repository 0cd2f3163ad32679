#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/breakdown.sh - where the time of `run` of /bin/true goes, traced with
# ftrace: every syscall, scheduler switch and wake-up, fork, exec and exit of
# the command's process tree, M times per runtime (and for the kernel-work
# floor, floor.c -t, when found). bench/breakdown.py prints per part (the
# runtime, its init until it execs, the container's process, helpers): time
# on a CPU outside syscalls (user code, page faults), in syscalls (by
# syscall), blocked, runnable but waiting for a CPU, and the timeline.
#
# Usage: bench/breakdown.sh [RUNTIME...]    (default: ./src/ulysses-oci)
# Environment: M=20 runs each; GAP_MS=0 idle ms before each run;
#   OP=run, or OP=exec: trace `exec CTR /bin/true` into a running sleep
#   container of each runtime instead (the "init" is then the process that
#   execs /bin/true, "until the init exists" the runtime and its first child);
#   WORK=/var/tmp/uoci-bench; FLOOR_C=PATH as in bench/run.sh;
#   ROOT_DIR=state root (default WORK/state.PID on WORK's file system)
#
# Tracing costs ~1 us per event (a `run` is ~1500 events): absolute times are
# inflated, the split is what this is for. tracefs is mounted in a private
# mount namespace, the events go to an ftrace instance of our own (removed on
# exit), filtered to the traced tree; the host's tracing is not touched.
# Runtimes that refuse this host as it is (crun on a hybrid cgroup host) are
# traced in bench/run.sh's private view (cgroup2 hidden).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(dirname "$HERE")
case "${1:-}" in -h | --help) sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
[ "$(id -u)" = 0 ] || { echo "breakdown: run as root" >&2; exit 1; }
grep -qw tracefs /proc/filesystems || { echo "breakdown: no tracefs in this kernel" >&2; exit 1; }
command -v python3 >/dev/null || { echo "breakdown: python3 is required" >&2; exit 1; }

M=${M:-20} GAP_MS=${GAP_MS:-0} WORK=${WORK:-/var/tmp/uoci-bench} OP=${OP:-run}
case "$OP" in run | exec) ;; *) echo "breakdown: OP is run or exec, not $OP" >&2; exit 1 ;; esac
FLOOR_C=${FLOOR_C:-$TOP/../shared/bench/floor.c}
[ $# -gt 0 ] || set -- "$TOP/src/ulysses-oci"

# The traced part, inside a private mount namespace.
if [ "${1:-}" = --inner ]; then
  shift
  out=$1 label=$2 view=$3; shift 3
  T=/sys/kernel/tracing
  # (tracefs may be mounted there already: this namespace's copy is used then)
  mountpoint -q "$T" || mount -t tracefs nodev "$T"
  if [ "$view" = private ]; then
    mount -t tmpfs -o size=16m,mode=0755 bench-hide-cgroup2 /sys/fs/cgroup/unified
  fi
  I=$T/instances/uoci-breakdown-$$
  mkdir "$I"
  trap 'echo 0 >"$I/tracing_on"; rmdir "$I"' EXIT
  echo 0 >"$I/tracing_on"
  echo mono >"$I/trace_clock"
  echo 16384 >"$I/buffer_size_kb"
  echo 1 >"$I/options/event-fork"
  echo 1 >"$I/events/syscalls/enable"
  for e in sched_switch sched_wakeup sched_wakeup_new sched_process_fork sched_process_exec sched_process_exit; do
    echo 1 >"$I/events/sched/$e/enable"
  done
  i=0
  while IFS= read -r line; do
    i=$((i + 1))
    eval "set -- $line"
    [ "$GAP_MS" = 0 ] || sleep "$(printf '%d.%03d' $((GAP_MS / 1000)) $((GAP_MS % 1000)))"
    : >"$I/trace"
    # the traced shell puts itself in the filter, then becomes the command
    bash -c 'echo $$ >"$0/set_event_pid"; echo 1 >"$0/tracing_on"; exec "$@"' "$I" "$@" \
      </dev/null >/dev/null 2>>"$out/errors.log" || echo "breakdown: $label run $i failed" >&2
    echo 0 >"$I/tracing_on"
    echo >"$I/set_event_pid"
    cp "$I/trace" "$out/$label.$i.trace"
  done
  exit 0
fi

OUT=$WORK/breakdown/$(date +%Y%m%d-%H%M%S).$$
ROOT_DIR=${ROOT_DIR:-$WORK/state.$$}
mkdir -p "$OUT" "$ROOT_DIR" "$WORK/bin"
SLEEPERS=()
cleanup() {
  local s
  for s in "${SLEEPERS[@]}"; do eval "$s delete -f bd$$-sleep" >/dev/null 2>&1 || true; done
  rm -rf "$ROOT_DIR" "$WORK/bundles.$$"
}
trap cleanup EXIT
ROOTFS=$WORK/rootfs
sh "$TOP/bundles/mkrootfs.sh" "$ROOTFS"
B=$WORK/bundles.$$/true
mkdir -p "$B"
if command -v crun >/dev/null; then (cd "$B" && crun spec); else "$TOP/src/ulysses-oci" spec -b "$B"; fi
jq --arg root "$ROOTFS" '.process.terminal = false | .root.path = $root | .process.args = ["/bin/true"]' \
  "$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
S=$WORK/bundles.$$/sleep
mkdir -p "$S"
jq '.process.args = ["sleep", "100000"]' "$B/config.json" >"$S/config.json"

# trace LABEL VIEW CMD...: M traced runs of CMD (@ID@ in it: a fresh id each)
trace() {
  local label=$1 view=$2 i line
  shift 2
  for i in $(seq 1 "$M"); do
    printf -v line '%q ' "${@//@ID@/bd$$-$label-$i}"
    echo "$line"
  done | unshare --mount --propagation private "$HERE/breakdown.sh" --inner "$OUT" "$label" "$view"
}

LABELS=()
for rt in "$@"; do
  bin=$(command -v "$rt")
  label=$(basename "$bin")
  cp -L "$bin" "$WORK/bin/$label.bd"
  view=host
  if ! "$WORK/bin/$label.bd" --root "$ROOT_DIR" run --bundle "$B" "bd$$-sanity" >/dev/null 2>>"$OUT/errors.log"; then
    "$WORK/bin/$label.bd" --root "$ROOT_DIR" delete -f "bd$$-sanity" >/dev/null 2>&1 || true
    view=private
  fi
  echo "== tracing $label $OP ($view view) x $M" >&2
  if [ "$OP" = exec ]; then
    # the sleep container is started in the view the traced execs will see
    if [ "$view" = private ]; then
      echo "breakdown: $label needs the private view; OP=exec traces runtimes that work on this host" >&2
      continue
    fi
    "$WORK/bin/$label.bd" --root "$ROOT_DIR" run -d --bundle "$S" "bd$$-sleep" </dev/null >/dev/null
    SLEEPERS+=("$(printf '%q ' "$WORK/bin/$label.bd" --root "$ROOT_DIR")")
    trace "$label" "$view" "$WORK/bin/$label.bd" --root "$ROOT_DIR" exec "bd$$-sleep" /bin/true
    "$WORK/bin/$label.bd" --root "$ROOT_DIR" delete -f "bd$$-sleep" >/dev/null 2>&1 || true
  else
    trace "$label" "$view" "$WORK/bin/$label.bd" --root "$ROOT_DIR" run --bundle "$B" @ID@
  fi
  LABELS+=("$label")
done
if [ "$OP" = run ] && [ -f "$FLOOR_C" ] && command -v cc >/dev/null && cc -O2 -o "$WORK/bin/floor" "$FLOOR_C"; then
  echo "== tracing floor -t x $M" >&2
  trace floor host "$WORK/bin/floor" -t "$ROOTFS" /bin/true
  LABELS+=(floor)
fi
{
  echo "# bench/breakdown.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) cpus $(nproc) load $(cut -d' ' -f1-3 /proc/loadavg) OP=$OP M=$M GAP_MS=$GAP_MS state=$ROOT_DIR (fs $(stat -f -c %T "$ROOT_DIR"))"
  for label in "${LABELS[@]}"; do python3 "$HERE/breakdown.py" "$label" "$OUT/$label".*.trace; done
  echo "# traces: $OUT"
} | tee "$OUT/breakdown.txt"

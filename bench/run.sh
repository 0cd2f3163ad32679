#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh - lifecycle latency, footprint and parallel throughput of
# ulysses-oci next to other runc-compatible runtimes, measured interleaved
# (each round runs every runtime once, in rotating order) so that load from
# other work on the machine hits all of them alike.
#
# Usage: bench/run.sh [RUNTIME...]
#   default: crun (when installed), ./src/ulysses-oci, runc (when installed).
#   The first runtime is the reference: each cell shows value (value/first).
#   Run as root. Every runtime is driven through the runc CLI only:
#   RT --root DIR create|start|run|exec|delete|state ...
#
# Sections (SKIP="run phases exec rss mem par" to leave some out):
#   run     `run` of /bin/true, N times: median, mean, p90 (ms)
#   phases  create / start / delete of /bin/true, N times: medians (ms)
#   exec    `exec CTR /bin/true` into a running sleep container, E times (ms)
#   rss     peak RSS of `run` and of `create` (GNU time %M, max process), median of M
#   mem     smallest memory.limit under which `run /bin/true` works MEM_TRIES
#           times in a row (bisection, MEM_RES bytes resolution)
#   par     COUNT containers created, started, waited for and deleted, PAR at a
#           time: wall time, containers per second, errors
#   size    binary size and shared-library count
#
# Environment: N=50 E=$N M=5 COUNT=100 PAR=8 MEM_TRIES=2 MEM_RES=8192
#   GAP_MS=50: idle ms before each timed run/create/exec. Sporadic starts are
#   the common case, and after an idle moment moving a task into a v1 cgroup
#   through cgroup.procs waits for an RCU grace period (~10 ms); back to back
#   (GAP_MS=0) that cost mostly disappears (docs/PERFORMANCE.md).
#   WORK=/var/tmp/uoci-bench (bundles, state roots, results)
#   SPEC_FROM=auto|crun|runc|ulysses-oci (whose default `spec` the bundle uses;
#   auto: crun, else runc, else ulysses-oci)
#
# The rootfs comes from bundles/mkrootfs.sh (busybox-static). Runtimes are
# copied to WORK/bin first, so a rebuild during the run changes nothing.
# crun 1.x refuses a cgroup v1 hybrid host whose cgroup2 mount lists a
# controller; then the whole benchmark re-runs itself in a private mount
# namespace with an empty tmpfs over /sys/fs/cgroup/unified (only there; the
# host is untouched), so every runtime sees the same plain cgroup v1 (crun
# still makes directories under "unified": they land in that tmpfs).
# Everything created is deleted on exit, also on INT/TERM.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(dirname "$HERE")

usage() { sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit "${1:-0}"; }
case "${1:-}" in -h | --help) usage 0 ;; esac
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
for tool in jq timeout unshare; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

N=${N:-50} E=${E:-$N} M=${M:-5} GAP_MS=${GAP_MS:-50} COUNT=${COUNT:-100} PAR=${PAR:-8}
MEM_TRIES=${MEM_TRIES:-2} MEM_RES=${MEM_RES:-8192} MEM_MIN=${MEM_MIN:-131072} MEM_MAX=${MEM_MAX:-67108864}
WORK=${WORK:-/var/tmp/uoci-bench} SPEC_FROM=${SPEC_FROM:-auto} SKIP=${SKIP:-}

# ---- runtimes -----------------------------------------------------------------
if [ $# -eq 0 ]; then
  set -- "$TOP/src/ulysses-oci"
  command -v crun >/dev/null && set -- "$(command -v crun)" "$@"
  command -v runc >/dev/null && set -- "$@" "$(command -v runc)"
fi
# Re-run in a private mount namespace when crun would refuse the hybrid host.
if [ -z "${UOCI_BENCH_INNER:-}" ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
  [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
  exec unshare --mount --propagation private env UOCI_BENCH_INNER=1 bash -c \
    'mount -t tmpfs -o size=16m,mode=0755 bench-hide-cgroup2 /sys/fs/cgroup/unified && exec "$0" "$@"' \
    "${BASH_SOURCE[0]}" "$@"
fi

mkdir -p "$WORK/bin"
NAMES=() BINS=()
for src in "$@"; do
  path=$(command -v "$src" 2>/dev/null || true)
  [ -n "$path" ] && [ -x "$path" ] || { echo "bench: $src: not an executable" >&2; exit 1; }
  name=$(basename "$path")
  for other in "${NAMES[@]}"; do [ "$other" != "$name" ] || name="$name-${#NAMES[@]}"; done
  cp -L "$path" "$WORK/bin/$name"
  NAMES+=("$name") BINS+=("$WORK/bin/$name")
done
NRT=${#NAMES[@]}

RUN_ID=$$
STATE=$WORK/state.$RUN_ID
RESULTS=$WORK/results/$(date +%Y%m%d-%H%M%S).$RUN_ID
mkdir -p "$STATE" "$RESULTS"
for k in $(seq 0 $((NRT - 1))); do mkdir -p "$STATE/$k"; done

rt() { local k=$1; shift; "${BINS[$k]}" --root "$STATE/$k" "$@"; }

cleanup() {
  set +e
  for k in $(seq 0 $((NRT - 1))); do
    for dir in "$STATE/$k"/*/; do
      [ -d "$dir" ] && timeout 10 "${BINS[$k]}" --root "$STATE/$k" delete -f "$(basename "$dir")" >/dev/null 2>&1
    done
  done
  rm -rf "$STATE" "$WORK/bundles.$RUN_ID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- bundles ------------------------------------------------------------------
ROOTFS=$WORK/rootfs
sh "$TOP/bundles/mkrootfs.sh" "$ROOTFS"
default_spec() {
  local dir=$1 from=$SPEC_FROM
  if [ "$from" = auto ]; then
    from=ulysses-oci
    for cand in runc crun; do command -v "$cand" >/dev/null && from=$cand; done
  fi
  rm -f "$dir/config.json"
  case "$from" in
  crun | runc) (cd "$dir" && "$from" spec) ;;
  *) "$TOP/src/ulysses-oci" spec -b "$dir" ;;
  esac
}
BUNDLES=$WORK/bundles.$RUN_ID
mkdir -p "$BUNDLES/spec"
default_spec "$BUNDLES/spec"
# make_bundle NAME JQ-FILTER: the default spec, terminal off, the shared rootfs.
make_bundle() {
  mkdir -p "$BUNDLES/$1"
  jq --arg root "$ROOTFS" ".process.terminal = false | .root.path = \$root | $2" \
    "$BUNDLES/spec/config.json" >"$BUNDLES/$1/config.json"
}
make_bundle true '.process.args = ["/bin/true"]'
make_bundle sleep '.process.args = ["/bin/sleep", "100000"]'

# ---- measuring ----------------------------------------------------------------
gap() { [ "$GAP_MS" = 0 ] || sleep "$(printf '0.%03d' "$GAP_MS")"; }
# timed FILE CMD...: append the wall time of CMD in microseconds to FILE
# (or "fail" when it exits non-zero).
timed() {
  local out=$1; shift
  local t0=${EPOCHREALTIME/./}
  if "$@" >/dev/null 2>>"$RESULTS/errors.log"; then
    echo $((${EPOCHREALTIME/./} - t0)) >>"$out"
  else
    echo fail >>"$out"
  fi
}
# The order of the runtimes in round i: rotated by i, so none is always first.
order() { local i=$1 k; for k in $(seq 0 $((NRT - 1))); do echo $(((k + i) % NRT)); done; }
# wait_gone PID: until the process has exited (gone, or a zombie).
wait_gone() {
  local pid=$1 n=0 st
  while [ $n -lt 5000 ] && read -r st 2>/dev/null <"/proc/$pid/stat"; do
    st=${st##*) }
    case "$st" in Z* | X*) return 0 ;; esac
    sleep 0.001
    n=$((n + 1))
  done
}
ids=0
new_id() { ids=$((ids + 1)); ID="ub$RUN_ID-$1-$ids"; }

section_run() {
  echo "== run /bin/true x $N" >&2
  for i in $(seq 1 "$N"); do
    for k in $(order "$i"); do
      new_id "$k"; gap
      timed "$RESULTS/run.$k" rt "$k" run --bundle "$BUNDLES/true" "$ID"
    done
  done
}

section_phases() {
  echo "== create/start/delete x $N" >&2
  for i in $(seq 1 "$N"); do
    for k in $(order "$i"); do
      new_id "$k"; gap
      timed "$RESULTS/create.$k" rt "$k" create --bundle "$BUNDLES/true" --pid-file "$STATE/pid" "$ID"
      local pid; pid=$(cat "$STATE/pid" 2>/dev/null || echo 0)
      timed "$RESULTS/start.$k" rt "$k" start "$ID"
      [ "$pid" = 0 ] || wait_gone "$pid"
      timed "$RESULTS/delete.$k" rt "$k" delete "$ID"
    done
  done
}

section_exec() {
  echo "== exec /bin/true x $E" >&2
  local k
  for k in $(seq 0 $((NRT - 1))); do
    rt "$k" run -d --bundle "$BUNDLES/sleep" "ub$RUN_ID-exec-$k" >/dev/null 2>>"$RESULTS/errors.log" ||
      echo "bench: ${NAMES[$k]}: cannot start the sleep container" >&2
  done
  for i in $(seq 1 "$E"); do
    for k in $(order "$i"); do
      gap
      timed "$RESULTS/exec.$k" rt "$k" exec "ub$RUN_ID-exec-$k" /bin/true
    done
  done
  for k in $(seq 0 $((NRT - 1))); do rt "$k" delete -f "ub$RUN_ID-exec-$k" >/dev/null 2>&1 || true; done
}

section_rss() {
  [ -x /usr/bin/time ] || { echo "-- rss: /usr/bin/time (GNU time) missing, skipped" >&2; return; }
  echo "== peak RSS x $M" >&2
  for i in $(seq 1 "$M"); do
    for k in $(order "$i"); do
      new_id "$k"
      /usr/bin/time -f %M -a -o "$RESULTS/rss_run.$k" "${BINS[$k]}" --root "$STATE/$k" run \
        --bundle "$BUNDLES/true" "$ID" >/dev/null 2>>"$RESULTS/errors.log" || true
      new_id "$k"
      /usr/bin/time -f %M -a -o "$RESULTS/rss_create.$k" "${BINS[$k]}" --root "$STATE/$k" create \
        --bundle "$BUNDLES/true" "$ID" >/dev/null 2>>"$RESULTS/errors.log" || true
      rt "$k" delete -f "$ID" >/dev/null 2>&1 || true
    done
  done
}

# mem_ok K LIMIT: `run /bin/true` under memory.limit LIMIT works MEM_TRIES times.
mem_ok() {
  local k=$1 limit=$2 t
  make_bundle "mem$k" ".process.args = [\"/bin/true\"] | .linux.resources.memory.limit = $limit"
  for t in $(seq 1 "$MEM_TRIES"); do
    new_id "$k"
    if ! timeout 20 "${BINS[$k]}" --root "$STATE/$k" run --bundle "$BUNDLES/mem$k" "$ID" >/dev/null 2>&1; then
      timeout 10 "${BINS[$k]}" --root "$STATE/$k" delete -f "$ID" >/dev/null 2>&1 || true
      return 1
    fi
  done
}

section_mem() {
  echo "== smallest memory limit, bisection in [$MEM_MIN, $MEM_MAX]" >&2
  local k lo hi mid
  for k in $(seq 0 $((NRT - 1))); do
    lo=$MEM_MIN hi=$MEM_MAX
    if mem_ok "$k" "$lo"; then echo "<=$((lo / 1024))" >"$RESULTS/mem.$k"; continue; fi
    if ! mem_ok "$k" "$hi"; then echo ">$((hi / 1024))" >"$RESULTS/mem.$k"; continue; fi
    while [ $((hi - lo)) -gt "$MEM_RES" ]; do
      mid=$(((lo + hi) / 2 / 4096 * 4096))
      if mem_ok "$k" "$mid"; then hi=$mid; else lo=$mid; fi
    done
    echo $((hi / 1024)) >"$RESULTS/mem.$k"
  done
}

# One container of the parallel section: create, start, wait, delete.
par_one() {
  local bin=$1 root=$2 bundle=$3 id=$4 pid
  "$bin" --root "$root" create --bundle "$bundle" --pid-file "$root/$id.pid" "$id" &&
    pid=$(cat "$root/$id.pid") && rm -f "$root/$id.pid" &&
    "$bin" --root "$root" start "$id" || { "$bin" --root "$root" delete -f "$id"; return 1; }
  wait_gone "$pid"
  "$bin" --root "$root" delete "$id"
}
export -f par_one wait_gone

section_par() {
  echo "== $COUNT containers, $PAR at a time" >&2
  local round k t0 t1 fails
  for round in 1 2; do
    for k in $(order "$round"); do
      t0=${EPOCHREALTIME/./}
      fails=$(seq 1 "$COUNT" | xargs -P "$PAR" -I{} bash -c \
        'par_one "$1" "$2" "$3" "$4-{}" >/dev/null 2>>"$5" || echo fail' _ \
        "${BINS[$k]}" "$STATE/$k" "$BUNDLES/true" "ub$RUN_ID-par$round-$k" "$RESULTS/errors.log" | wc -l)
      t1=${EPOCHREALTIME/./}
      echo "$((t1 - t0)) $fails" >>"$RESULTS/par.$k"
    done
  done
}

skipped run || section_run
skipped phases || section_phases
skipped exec || section_exec
skipped rss || section_rss
skipped mem || section_mem
skipped par || section_par

# ---- report -------------------------------------------------------------------
# stat FILE median|mean|p90|fails|max: of the numeric lines of FILE.
stat_of() {
  [ -s "$1" ] || { echo "-"; return; }
  sort -n "$1" | awk -v what="$2" '
    $1 == "fail" { fails++; next } { v[++n] = $1 }
    END {
      if (what == "fails") { print fails + 0; exit }
      if (n == 0) { print "-"; exit }
      if (what == "median") x = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      else if (what == "p90") x = v[int(0.9 * (n - 1)) + 1]
      else if (what == "max") x = v[n]
      else { for (i = 1; i <= n; i++) s += v[i]; x = s / n }
      print x
    }'
}
# row LABEL UNIT SCALE VALUES...: one table line, each value with its ratio to the first.
row() {
  local label=$1 unit=$2 scale=$3; shift 3
  printf '%-38s %-6s' "$label" "$unit"
  local first=${1:-} v
  for v in "$@"; do
    if [[ $v =~ ^[0-9.]+$ ]] && [[ $first =~ ^[0-9.]+$ ]] && [ "$first" != 0 ]; then
      printf ' %18s' "$(awk -v v="$v" -v f="$first" -v s="$scale" 'BEGIN { printf "%.2f (%.2fx)", v / s, v / f }')"
    else
      printf ' %18s' "$v"
    fi
  done
  echo
}
cells() { local f=$1 what=$2 k; for k in $(seq 0 $((NRT - 1))); do stat_of "$RESULTS/$f.$k" "$what"; done; }

{
  echo "# bench/run.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) cpus $(nproc) load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# N=$N E=$E M=$M GAP_MS=$GAP_MS COUNT=$COUNT PAR=$PAR spec=$SPEC_FROM state=$WORK (fs $(stat -f -c %T "$WORK"))"
  printf '%-38s %-6s' metric unit
  for name in "${NAMES[@]}"; do printf ' %18s' "$name"; done
  echo
  if ! skipped run; then
    row "run /bin/true, median" ms 1000 $(cells run median)
    row "run /bin/true, mean" ms 1000 $(cells run mean)
    row "run /bin/true, p90" ms 1000 $(cells run p90)
  fi
  if ! skipped phases; then
    row "create, median" ms 1000 $(cells create median)
    row "start, median" ms 1000 $(cells start median)
    row "delete, median" ms 1000 $(cells delete median)
  fi
  skipped exec || row "exec /bin/true, median" ms 1000 $(cells exec median)
  if ! skipped rss && [ -x /usr/bin/time ]; then
    row "peak RSS of run (median)" KiB 1 $(cells rss_run median)
    row "peak RSS of create (median)" KiB 1 $(cells rss_create median)
  fi
  skipped mem || row "smallest memory.limit for run" KiB 1 $(for k in $(seq 0 $((NRT - 1))); do cat "$RESULTS/mem.$k"; done)
  if ! skipped par; then
    row "$COUNT containers x$PAR: wall (mean)" s 1000000 $(for k in $(seq 0 $((NRT - 1))); do
      awk '{ s += $1 } END { printf "%d\n", s / NR }' "$RESULTS/par.$k"; done)
    row "$COUNT containers x$PAR: per second" 1/s 1 $(for k in $(seq 0 $((NRT - 1))); do
      awk -v c="$COUNT" '{ s += $1 } END { printf "%.1f\n", c / (s / NR / 1e6) }' "$RESULTS/par.$k"; done)
    row "$COUNT containers x$PAR: errors" "#" 1 $(for k in $(seq 0 $((NRT - 1))); do
      awk '{ s += $2 } END { print s + 0 }' "$RESULTS/par.$k"; done)
  fi
  row "failed commands (all sections)" "#" 1 $(for k in $(seq 0 $((NRT - 1))); do
    cat "$RESULTS"/{run,create,start,delete,exec}."$k" 2>/dev/null | grep -c fail || true; done)
  row "binary size" KiB 1 $(for b in "${BINS[@]}"; do echo $(($(stat -c %s "$b") / 1024)); done)
  if command -v strip >/dev/null; then
    row "binary size, stripped" KiB 1 $(for b in "${BINS[@]}"; do
      strip -o "$RESULTS/stripped" "$b" 2>/dev/null && echo $(($(stat -c %s "$RESULTS/stripped") / 1024)) || echo -
      rm -f "$RESULTS/stripped"; done)
  fi
  row "shared libraries (ldd)" "#" 1 $(for b in "${BINS[@]}"; do ldd "$b" 2>/dev/null | grep -c '=>' || true; done)
  echo "# raw samples (us, KiB): $RESULTS"
} | tee "$RESULTS/table.txt"

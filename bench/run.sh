#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh - lifecycle latency, footprint, parallel throughput and
# behaviour at scale of ulysses-oci next to other runc-compatible runtimes,
# measured interleaved (each round runs every runtime once, in rotating
# order) so that load from other work on the machine hits all of them alike.
#
# Usage: bench/run.sh [RUNTIME...]
#   default: crun (when installed), ./src/ulysses-oci, runc (when installed).
#   The first runtime is the reference: each cell shows value (value/first).
#   Run as root. Every runtime is driven through the runc CLI only:
#   RT --root DIR create|start|run|exec|state|kill|delete|list ...
#
# Sections (SKIP="run phases exec rss mem par scale" to leave some out):
#   run     `run` of /bin/true, N times: median, mean, p90 (ms); interleaved
#           with the kernel-work floor when floor.c is found (FLOOR_C): the
#           default spec's namespaces, mounts and pivot_root plus a v1 `tasks`
#           join (`floor -t`), and each runtime's median over the floor's
#   phases  create / start / delete of /bin/true, N times: medians (ms)
#   exec    `exec CTR /bin/true` into a running sleep container, E times (ms)
#   rss     peak RSS of `run` and of `create` (GNU time %M, max process), median of M
#   mem     smallest memory.limit under which `run /bin/true` works MEM_TRIES
#           times in a row (bisection, MEM_RES bytes resolution)
#   par     COUNT containers created, started, waited for and deleted, PAR at a
#           time, by bench/par.c (built with cc into WORK/bin/par: one process
#           that posix_spawns each CLI call, waits for the container's process
#           through a pidfd as its subreaper, and forks nothing else): wall
#           time, containers per second, CPU per container (what par waited
#           for: the runtime's processes and the containers'; and the whole
#           machine's busy time, whoever spent it), errors
#   scale   SCALE_N rounds of lifecycles (create, start, exec, state, kill,
#           delete of a sleep container, each timed) with no container
#           running, then with SCALE sleep containers running in each runtime,
#           then with none again; interleaved op by op (each op in every
#           runtime, order rotated each round, before the next op), so the
#           runtimes' samples of a round are pairs: medians of all samples,
#           medians of the quiet ones (no task of the host waited for a CPU
#           during them, /proc/pressure/cpu), p99, and the median of the paired
#           differences to the first runtime; `list` (table and json) of the
#           SCALE containers; the kernel memory each costs created (init
#           waiting on exec.fifo) and running (/proc/meminfo deltas over
#           SCALE; a runtime filled later also pays for what grows with
#           every container on the host, so compare these rows only from
#           runs of one runtime) and the superblocks a running one has that
#           the host has not, and, once, what an empty cgroup directory
#           costs in each hierarchy of the host (SCALE directories made in
#           each)
#   size    binary size and shared-library count
#
# Environment: N=50 E=$N M=5 COUNT=100 PAR=8 MEM_TRIES=2 MEM_RES=8192
#   SCALE=1000 SCALE_N=100 SCALE_LIST=20
#   GAP_MS=50: idle ms before each timed run/create/exec. Sporadic starts are
#   the common case, and after an idle moment moving a task into a v1 cgroup
#   through cgroup.procs waits for an RCU grace period (~10 ms); back to back
#   (GAP_MS=0) that cost mostly disappears (docs/PERFORMANCE.md).
#   WORK=/var/tmp/uoci-bench (bundles, state roots, results)
#   SPEC_FROM=auto|crun|runc|ulysses-oci (whose default `spec` the bundle uses;
#   auto: crun, else runc, else ulysses-oci)
#   FLOOR_C=PATH: floor.c of the shared tools (default: ../shared/bench/floor.c
#   next to this tree, when there); built with cc into WORK/bin/floor
#
# The rootfs comes from bundles/mkrootfs.sh (busybox-static). Runtimes are
# copied to WORK/bin first, so a rebuild during the run changes nothing.
# Each runtime is driven by a worker shell of its own that times each command
# (fork, exec, wait: what the caller pays) and reports back over a pipe.
# A runtime that cannot run /bin/true on the host as it is (crun 1.x refuses
# a cgroup v1 hybrid host whose cgroup2 mount lists a controller) gets a
# worker in a private mount namespace with an empty tmpfs over
# /sys/fs/cgroup/unified (only there; the host is untouched): it then sees
# plain cgroup v1, while the others run on the host as it is.
# Everything created is deleted on exit, also on INT/TERM.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(dirname "$HERE")
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")

usage() { sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit "${1:-0}"; }

# ---- worker -------------------------------------------------------------------
# bench/run.sh --worker ERRLOG: read commands (one per line, words quoted with
# printf %q), run each with stdio away and stderr appended to ERRLOG, answer
# "STATUS MICROSECONDS" per command.
if [ "${1:-}" = --worker ]; then
  set +e
  errlog=$2
  # Only stdin and stdout are ours: a copy of another worker's pipe kept
  # here would keep that worker from ever seeing EOF.
  for fd in $(ls /proc/$$/fd); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
  done
  # The third number: how long, during the command, some task of the host
  # waited for a CPU (PSI "some" total, us; 0 without /proc/pressure/cpu).
  psi() { local w; PSI=0; [ -r /proc/pressure/cpu ] && read -r w w w w PSI </proc/pressure/cpu && PSI=${PSI#total=}; }
  # Started in the background by a shell without job control, a worker (and
  # what it runs) ignores SIGINT: ^C ends only the main shell, whose cleanup
  # then deletes through the workers.
  while IFS= read -r line; do
    eval "set -- $line"
    psi; p0=$PSI
    t0=${EPOCHREALTIME/./}
    "$@" </dev/null >/dev/null 2>>"$errlog"
    rc=$?
    t1=${EPOCHREALTIME/./}
    psi
    echo "$rc $((t1 - t0)) $((PSI - p0))"
  done
  exit 0
fi

case "${1:-}" in -h | --help) usage 0 ;; esac
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
for tool in jq timeout unshare; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

N=${N:-50} E=${E:-$N} M=${M:-5} GAP_MS=${GAP_MS:-50} COUNT=${COUNT:-100} PAR=${PAR:-8}
MEM_TRIES=${MEM_TRIES:-2} MEM_RES=${MEM_RES:-8192} MEM_MIN=${MEM_MIN:-131072} MEM_MAX=${MEM_MAX:-67108864}
SCALE=${SCALE:-1000} SCALE_N=${SCALE_N:-100} SCALE_LIST=${SCALE_LIST:-20}
WORK=${WORK:-/var/tmp/uoci-bench} SPEC_FROM=${SPEC_FROM:-auto} SKIP=${SKIP:-}
FLOOR_C=${FLOOR_C:-$TOP/../shared/bench/floor.c}

# ---- runtimes -----------------------------------------------------------------
if [ $# -eq 0 ]; then
  set -- "$TOP/src/ulysses-oci"
  command -v crun >/dev/null && set -- "$(command -v crun)" "$@"
  command -v runc >/dev/null && set -- "$@" "$(command -v runc)"
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
HOSTW=$NRT # the worker for what is no runtime (the floor): the host's view

RUN_ID=$$
STATE=$WORK/state.$RUN_ID
RESULTS=$WORK/results/$(date +%Y%m%d-%H%M%S).$RUN_ID
ERRLOG=$RESULTS/errors.log
mkdir -p "$STATE" "$RESULTS"
for k in $(seq 0 $((NRT - 1))); do mkdir -p "$STATE/$k"; done
: >"$ERRLOG"

skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

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

# ---- workers --------------------------------------------------------------------
CGMEM_DIRS=()
WIN=() WOUT=() WPID=() VIEW=()
# start_worker K host|private
start_worker() {
  local k=$1 view=$2 fd
  rm -f "$STATE/w$k.in" "$STATE/w$k.out"
  mkfifo "$STATE/w$k.in" "$STATE/w$k.out"
  if [ "$view" = host ]; then
    "$SELF" --worker "$ERRLOG" <"$STATE/w$k.in" >"$STATE/w$k.out" &
  else
    unshare --mount --propagation private bash -c \
      'mount -t tmpfs -o size=16m,mode=0755 bench-hide-cgroup2 /sys/fs/cgroup/unified && exec "$0" --worker "$1"' \
      "$SELF" "$ERRLOG" <"$STATE/w$k.in" >"$STATE/w$k.out" &
  fi
  WPID[k]=$!
  exec {fd}>"$STATE/w$k.in"
  WIN[k]=$fd
  exec {fd}<"$STATE/w$k.out"
  WOUT[k]=$fd
  VIEW[k]=$view
}
stop_worker() {
  local k=$1
  [ -n "${WIN[k]:-}" ] || return 0
  local in=${WIN[k]} out=${WOUT[k]}
  exec {in}>&- {out}<&-
  wait "${WPID[k]}" 2>/dev/null || true
  WIN[k]=""
}
# wcall K CMD...: run CMD in worker K; sets WRC (status), WUS (wall, us) and
# WSTALL (us during it that some task of the host waited for a CPU).
# WBUSY[K]: a command sent to worker K whose answer is not read yet (an
# interrupt came while waiting): the cleanup reads it first.
WRC=0 WUS=0 WSTALL=0 WBUSY=()
wcall() {
  local k=$1; shift
  local line
  printf -v line '%q ' "$@"
  WBUSY[k]=1
  echo "$line" >&"${WIN[k]}"
  read -r WRC WUS WSTALL <&"${WOUT[k]}"
  WBUSY[k]=""
}
# rt K ARGS...: runtime K with its state root, in its worker; its status.
rt() { local k=$1; shift; wcall "$k" "${BINS[$k]}" --root "$STATE/$k" "$@"; return "$WRC"; }
# timed FILE K ARGS...: append rt's wall time (us) to FILE, or "fail"; and
# "WALL STALL STATUS" to FILE.stall (one line per call, failed or not).
timed() {
  local out=$1; shift
  if rt "$@"; then echo "$WUS" >>"$out"; else echo fail >>"$out"; fi
  echo "$WUS ${WSTALL:-0} $WRC" >>"$out.stall"
}

cleanup() {
  set +e
  trap '' INT TERM
  for k in $(seq 0 $((NRT - 1))); do
    # the interrupted command first: a create that ends now has its dir then
    [ -z "${WBUSY[k]:-}" ] || [ -z "${WIN[k]:-}" ] || { read -r WRC WUS WSTALL <&"${WOUT[k]}"; WBUSY[k]=""; }
    for dir in "$STATE/$k"/*/; do
      [ -d "$dir" ] && [ -n "${WIN[k]:-}" ] && wcall "$k" timeout 10 "${BINS[$k]}" --root "$STATE/$k" delete -f "$(basename "$dir")"
    done
  done
  for k in $(seq 0 "$HOSTW"); do stop_worker "$k"; done
  local m
  for m in "${CGMEM_DIRS[@]:-}"; do [ -n "$m" ] && [ -d "$m" ] && rmdir "$m"/c* "$m" 2>/dev/null; done
  rm -rf "$STATE" "$WORK/bundles.$RUN_ID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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

# ---- the kernel-work floor --------------------------------------------------------
FLOOR=""
if ! skipped run && [ -f "$FLOOR_C" ] && command -v cc >/dev/null; then
  if cc -O2 -o "$WORK/bin/floor" "$FLOOR_C" 2>>"$ERRLOG"; then
    FLOOR=$WORK/bin/floor
  fi
fi

# ---- the parallel section's driver ------------------------------------------------
PARDRV=""
if ! skipped par && command -v cc >/dev/null; then
  if cc -O2 -o "$WORK/bin/par" "$HERE/par.c" 2>>"$ERRLOG"; then
    PARDRV=$WORK/bin/par
  fi
fi

# ---- each runtime's view ------------------------------------------------------------
hybrid_with_controllers() {
  [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
    [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}
start_worker "$HOSTW" host
for k in $(seq 0 $((NRT - 1))); do
  start_worker "$k" host
  if ! rt "$k" run --bundle "$BUNDLES/true" "ub$RUN_ID-sanity-$k"; then
    rt "$k" delete -f "ub$RUN_ID-sanity-$k" || true
    hybrid_with_controllers || { echo "bench: ${NAMES[$k]} cannot run /bin/true (see $ERRLOG)" >&2; exit 1; }
    stop_worker "$k"
    start_worker "$k" private
    rt "$k" run --bundle "$BUNDLES/true" "ub$RUN_ID-sanity-$k" ||
      { echo "bench: ${NAMES[$k]} cannot run /bin/true, also with cgroup2 hidden (see $ERRLOG)" >&2; exit 1; }
  fi
  echo "bench: ${NAMES[$k]}: ${VIEW[k]} view of the cgroups" >&2
done

# ---- measuring ----------------------------------------------------------------
gap() { [ "$GAP_MS" = 0 ] || sleep "$(printf '%d.%03d' $((GAP_MS / 1000)) $((GAP_MS % 1000)))"; }
# The order of the runtimes in round i: rotated by i, so none is always first.
order() { local i=$1 k; for k in $(seq 0 $((NRT - 1))); do echo $(((k + i) % NRT)); done; }
ids=0
new_id() { ids=$((ids + 1)); ID="ub$RUN_ID-$1-$ids"; }

section_run() {
  echo "== run /bin/true x $N${FLOOR:+, and the floor}" >&2
  for i in $(seq 1 "$N"); do
    for k in $(order "$i"); do
      new_id "$k"; gap
      timed "$RESULTS/run.$k" "$k" run --bundle "$BUNDLES/true" "$ID"
    done
    if [ -n "$FLOOR" ]; then
      gap
      wcall "$HOSTW" "$FLOOR" -t "$ROOTFS" /bin/true
      if [ "$WRC" = 0 ]; then echo "$WUS" >>"$RESULTS/floor"; else echo fail >>"$RESULTS/floor"; fi
    fi
  done
}

section_phases() {
  echo "== create/start/delete x $N" >&2
  for i in $(seq 1 "$N"); do
    for k in $(order "$i"); do
      new_id "$k"; gap
      rm -f "$STATE/pid"
      timed "$RESULTS/create.$k" "$k" create --bundle "$BUNDLES/true" --pid-file "$STATE/pid" "$ID"
      local pid; pid=$(cat "$STATE/pid" 2>/dev/null || echo 0)
      timed "$RESULTS/start.$k" "$k" start "$ID"
      [ "$pid" = 0 ] || wait_gone "$pid"
      timed "$RESULTS/delete.$k" "$k" delete "$ID"
    done
  done
}

section_exec() {
  echo "== exec /bin/true x $E" >&2
  local k
  for k in $(seq 0 $((NRT - 1))); do
    rt "$k" run -d --bundle "$BUNDLES/sleep" "ub$RUN_ID-exec-$k" ||
      echo "bench: ${NAMES[$k]}: cannot start the sleep container" >&2
  done
  for i in $(seq 1 "$E"); do
    for k in $(order "$i"); do
      gap
      timed "$RESULTS/exec.$k" "$k" exec "ub$RUN_ID-exec-$k" /bin/true
    done
  done
  for k in $(seq 0 $((NRT - 1))); do rt "$k" delete -f "ub$RUN_ID-exec-$k" || true; done
}

section_rss() {
  [ -x /usr/bin/time ] || { echo "-- rss: /usr/bin/time (GNU time) missing, skipped" >&2; return; }
  echo "== peak RSS x $M" >&2
  for i in $(seq 1 "$M"); do
    for k in $(order "$i"); do
      new_id "$k"
      wcall "$k" /usr/bin/time -f %M -a -o "$RESULTS/rss_run.$k" "${BINS[$k]}" --root "$STATE/$k" run \
        --bundle "$BUNDLES/true" "$ID"
      new_id "$k"
      wcall "$k" /usr/bin/time -f %M -a -o "$RESULTS/rss_create.$k" "${BINS[$k]}" --root "$STATE/$k" create \
        --bundle "$BUNDLES/true" "$ID"
      rt "$k" delete -f "$ID" || true
    done
  done
}

# mem_ok K LIMIT: `run /bin/true` under memory.limit LIMIT works MEM_TRIES times.
mem_ok() {
  local k=$1 limit=$2 t
  make_bundle "mem$k" ".process.args = [\"/bin/true\"] | .linux.resources.memory.limit = $limit"
  for t in $(seq 1 "$MEM_TRIES"); do
    new_id "$k"
    wcall "$k" timeout 20 "${BINS[$k]}" --root "$STATE/$k" run --bundle "$BUNDLES/mem$k" "$ID"
    if [ "$WRC" != 0 ]; then
      wcall "$k" timeout 10 "${BINS[$k]}" --root "$STATE/$k" delete -f "$ID"
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


# cpu_busy: the machine's busy CPU time so far (clock ticks; /proc/stat's
# first line without idle and iowait), whoever spent it.
CLK_TCK=$(getconf CLK_TCK)
cpu_busy() {
  local cpu user nice sys idle iowait irq softirq steal rest
  read -r cpu user nice sys idle iowait irq softirq steal rest </proc/stat
  echo $((user + nice + sys + irq + softirq + steal))
}
section_par() {
  echo "== $COUNT containers, $PAR at a time" >&2
  local round k dir cpu0 cpu1 ndone failed cpu
  for round in 1 2; do
    for k in $(order "$round"); do
      dir=$STATE/par.$k.$round
      mkdir -p "$dir"
      cpu0=$(cpu_busy)
      wcall "$k" "$PARDRV" "${BINS[$k]}" "$STATE/$k" "$BUNDLES/true" "ub$RUN_ID-par$round-$k" \
        "$COUNT" "$PAR" "$dir" "$ERRLOG"
      cpu1=$(cpu_busy)
      echo "$(((cpu1 - cpu0) * 1000000 / CLK_TCK / COUNT))" >>"$RESULTS/parcpu.$k"
      read -r ndone failed cpu <"$dir/result" || { ndone=0 failed=$COUNT cpu=fail; }
      [ "$ndone" = "$COUNT" ] || failed=$((failed + COUNT - ndone))
      echo "$cpu" >>"$RESULTS/parcpu_own.$k"
      echo "$WUS $failed" >>"$RESULTS/par.$k"
      rm -rf "$dir"
    done
  done
}

# ---- scale ----------------------------------------------------------------------
# meminfo FILE: the /proc/meminfo fields the memory rows use, in KiB.
meminfo() {
  awk '/^(MemFree|MemAvailable|Slab|SReclaimable|SUnreclaim|KernelStack|PageTables|Percpu|AnonPages):/ {
         sub(":", "", $1); print $1, $2 }' /proc/meminfo >"$1"
}
# settle: let RCU callbacks and deferred frees run before a memory snapshot.
settle() { sleep "${SETTLE_S:-3}"; }
# mem_delta BEFORE AFTER COUNT OUT: per-item deltas (KiB, one decimal) of the
# kernel's fields and the whole ("used" = MemFree's drop).
mem_delta() {
  awk -v n="$3" 'NR == FNR { b[$1] = $2; next } { a[$1] = $2 }
    END {
      printf "used %.1f\n", (b["MemFree"] - a["MemFree"]) / n
      kern = 0
      split("SUnreclaim SReclaimable KernelStack PageTables Percpu AnonPages", f, " ")
      for (i = 1; i <= 6; i++) printf "%s %.1f\n", f[i], (a[f[i]] - b[f[i]]) / n
      printf "kernel %.1f\n", (a["SUnreclaim"] + a["KernelStack"] + a["PageTables"] + a["Percpu"] \
                              - b["SUnreclaim"] - b["KernelStack"] - b["PageTables"] - b["Percpu"]) / n
    }' "$1" "$2" >"$4"
}

# superblocks ID K: how many file systems (devices in mountinfo) the running
# container ID of runtime K has that the host's mount namespace has not: what
# it keeps alive in the kernel (each a superblock with a shrinker the kernel
# sizes every memory cgroup's bookkeeping by; docs/PERFORMANCE.md).
superblocks() {
  local pid
  pid=$(grep -l -- "/$1\$" /proc/[0-9]*/cgroup 2>/dev/null | head -1 | cut -d/ -f3)
  [ -n "$pid" ] || { echo -; return; }
  awk 'NR == FNR { host[$3] = 1; next } !($3 in host) { own[$3] = 1 } END { print length(own) }' \
    /proc/self/mountinfo "/proc/$pid/mountinfo"
}

# One round of the scale lifecycles (create, start, exec, state, kill, delete
# of a sleep container), interleaved op by op: each op runs in every runtime,
# in the round's order (rotated each round), before the next op; so sample i
# of each runtime's scale_OP_TAG.K comes from the same moment (paired).
scale_round() {
  local tag=$1 i=$2 k op
  local -a sid=() pid=()
  for k in $(order "$i"); do
    new_id "$k"; sid[k]=$ID; gap
    rm -f "$STATE/pid.$k"
    timed "$RESULTS/scale_create_$tag.$k" "$k" create --bundle "$BUNDLES/sleep" --pid-file "$STATE/pid.$k" "$ID"
    pid[k]=$(cat "$STATE/pid.$k" 2>/dev/null || echo 0)
  done
  for k in $(order "$i"); do timed "$RESULTS/scale_start_$tag.$k" "$k" start "${sid[k]}"; done
  for k in $(order "$i"); do gap; timed "$RESULTS/scale_exec_$tag.$k" "$k" exec "${sid[k]}" /bin/true; done
  for k in $(order "$i"); do timed "$RESULTS/scale_state_$tag.$k" "$k" state "${sid[k]}"; done
  for k in $(order "$i"); do timed "$RESULTS/scale_kill_$tag.$k" "$k" kill "${sid[k]}" KILL; done
  for k in $(order "$i"); do [ "${pid[k]}" = 0 ] || wait_gone "${pid[k]}"; done
  for k in $(order "$i"); do timed "$RESULTS/scale_delete_$tag.$k" "$k" delete "${sid[k]}"; done
}

# scale_fill K: SCALE sleep containers of runtime K created, then started
# (walls and the kernel memory they cost, from its own snapshots).
scale_fill() {
  local k=$1 i t0
  echo "== scale ${NAMES[$k]}: $SCALE sleep containers created, then started" >&2
  settle; meminfo "$RESULTS/meminfo0.$k"
  t0=${EPOCHREALTIME/./}
  for i in $(seq 1 "$SCALE"); do
    rt "$k" create --bundle "$BUNDLES/sleep" "ub$RUN_ID-bg$k-$i" || echo fail >>"$RESULTS/scale_fill.$k"
  done
  echo "create $((${EPOCHREALTIME/./} - t0))" >>"$RESULTS/scale_walls.$k"
  settle; meminfo "$RESULTS/meminfo1.$k"
  t0=${EPOCHREALTIME/./}
  for i in $(seq 1 "$SCALE"); do
    rt "$k" start "ub$RUN_ID-bg$k-$i" || echo fail >>"$RESULTS/scale_fill.$k"
  done
  echo "start $((${EPOCHREALTIME/./} - t0))" >>"$RESULTS/scale_walls.$k"
  settle; meminfo "$RESULTS/meminfo2.$k"
  echo "superblocks $(superblocks "ub$RUN_ID-bg$k-$SCALE")" >>"$RESULTS/scale_walls.$k"
  mem_delta "$RESULTS/meminfo0.$k" "$RESULTS/meminfo1.$k" "$SCALE" "$RESULTS/mem_created.$k"
  mem_delta "$RESULTS/meminfo0.$k" "$RESULTS/meminfo2.$k" "$SCALE" "$RESULTS/mem_running.$k"
}

# scale_empty K: delete -f of runtime K's SCALE (wall).
scale_empty() {
  local k=$1 i t0
  echo "== scale ${NAMES[$k]}: deleting the $SCALE" >&2
  t0=${EPOCHREALTIME/./}
  for i in $(seq 1 "$SCALE"); do rt "$k" delete -f "ub$RUN_ID-bg$k-$i" || echo fail >>"$RESULTS/scale_fill.$k"; done
  echo "delete $((${EPOCHREALTIME/./} - t0))" >>"$RESULTS/scale_walls.$k"
}

# What an empty cgroup directory costs in each hierarchy of the host.
section_cgmem() {
  echo "== $SCALE empty cgroup directories in each hierarchy" >&2
  local mnt base name
  : >"$RESULTS/cgmem"
  while read -r mnt; do
    base=$mnt/uoci-bench-$RUN_ID
    name=${mnt#/sys/fs/cgroup/}
    settle; meminfo "$RESULTS/cgmem.before"
    mkdir "$base"
    CGMEM_DIRS+=("$base")
    (cd "$base" && seq -f c%g 1 "$SCALE" | xargs mkdir)
    settle; meminfo "$RESULTS/cgmem.after"
    (cd "$base" && seq -f c%g 1 "$SCALE" | xargs rmdir)
    rmdir "$base"
    mem_delta "$RESULTS/cgmem.before" "$RESULTS/cgmem.after" "$SCALE" "$RESULTS/cgmem.one"
    echo "$name $(awk '{ printf "%s=%s ", $1, $2 }' "$RESULTS/cgmem.one")" >>"$RESULTS/cgmem"
  done < <(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5 }' \
    /proc/self/mountinfo | sort -u)
  CGMEM_DIRS=()
}

section_scale() {
  local k i
  echo "== scale: $SCALE_N rounds of lifecycles with none running" >&2
  for i in $(seq 1 "$SCALE_N"); do scale_round none "$i"; done
  # Every runtime's SCALE run side by side while the rounds are measured:
  # the host has NRT x SCALE containers then, each runtime's root SCALE.
  for k in $(seq 0 $((NRT - 1))); do scale_fill "$k"; done
  echo "== scale: $SCALE_N rounds of lifecycles and $SCALE_LIST lists with $SCALE running in each runtime" >&2
  for i in $(seq 1 "$SCALE_N"); do scale_round busy "$i"; done
  for i in $(seq 1 "$SCALE_LIST"); do
    for k in $(order "$i"); do
      timed "$RESULTS/scale_list.$k" "$k" list
      timed "$RESULTS/scale_listjson.$k" "$k" list --format json
    done
  done
  for k in $(seq 0 $((NRT - 1))); do scale_empty "$k"; done
  settle
  echo "== scale: $SCALE_N rounds of lifecycles with none running again" >&2
  for i in $(seq 1 "$SCALE_N"); do scale_round none "$((SCALE_N + i))"; done
  section_cgmem
}

skipped run || section_run
skipped phases || section_phases
skipped exec || section_exec
skipped rss || section_rss
skipped mem || section_mem
if ! skipped par; then
  if [ -n "$PARDRV" ]; then section_par; else echo "bench: no cc to build bench/par.c, par section left out" >&2; SKIP="$SKIP par"; fi
fi
skipped scale || section_scale

# ---- report -------------------------------------------------------------------
# stat FILE median|mean|p90|p99|fails|max: of the numeric lines of FILE.
stat_of() {
  [ -s "$1" ] || { echo "-"; return; }
  sort -n "$1" | awk -v what="$2" '
    $1 == "fail" { fails++; next } { v[++n] = $1 }
    END {
      if (what == "fails") { print fails + 0; exit }
      if (n == 0) { print "-"; exit }
      if (what == "median") x = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      else if (what == "p90") x = v[int(0.9 * (n - 1)) + 1]
      else if (what == "p95") { i = int(0.95 * n + 0.999); x = v[i < 1 ? 1 : i] }
      else if (what == "p99") { i = int(0.99 * n + 0.999); x = v[i < 1 ? 1 : i] }
      else if (what == "max") x = v[n]
      else { for (i = 1; i <= n; i++) s += v[i]; x = s / n }
      print x
    }'
}
# stalled FILE.stall MEDIAN P95: "k/m": of the m samples above P95, k during
# which some task of the host waited for a CPU at least half as long as the
# sample's excess over MEDIAN (the load, not the runtime, made them slow).
stalled() {
  [ -s "$1" ] && [[ $2 =~ ^[0-9.]+$ ]] || { echo "-"; return; }
  awk -v med="$2" -v p95="$3" '$1 > p95 { m++; if ($2 >= ($1 - med) / 2) k++ } END { printf "%d/%d\n", k, m }' "$1"
}
# quiet_of FILE.stall: "MEDIAN COUNT" of the wall times of the samples that
# succeeded with no task of the host waiting for a CPU during them.
quiet_of() {
  [ -s "$1" ] || { echo "- 0"; return; }
  awk '$2 == 0 && $3 == 0 { print $1 }' "$1" | sort -n | awk '{ v[++n] = $1 } END {
    if (n == 0) { print "- 0"; exit }
    print ((n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), n }'
}
# paired REF.stall OTHER.stall: median of OTHER - REF over the samples of the
# same line (same round) that both succeeded, in ms with a sign.
paired() {
  [ -s "$1" ] && [ -s "$2" ] || { echo -; return; }
  paste -d' ' "$1" "$2" | awk 'NF == 6 && $3 == 0 && $6 == 0 { print $4 - $1 }' | sort -n |
    awk '{ v[++n] = $1 } END {
      if (n == 0) { print "-"; exit }
      x = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf "%+.2f\n", x / 1000 }'
}
# row LABEL UNIT SCALE VALUES...: one table line, each value with its ratio to the first.
row() {
  local label=$1 unit=$2 scale=$3; shift 3
  printf '%-40s %-6s' "$label" "$unit"
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx\n", a / b; else print "-" }'; }
ms() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.2f\n", v / 1000; else print "-" }'; }
field() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }

{
  echo "# bench/run.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) cpus $(nproc) load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# N=$N E=$E M=$M GAP_MS=$GAP_MS COUNT=$COUNT PAR=$PAR SCALE=$SCALE SCALE_N=$SCALE_N spec=$SPEC_FROM state=$WORK (fs $(stat -f -c %T "$WORK"))"
  for k in $(seq 0 $((NRT - 1))); do echo "# ${NAMES[$k]}: $("${BINS[$k]}" --version 2>/dev/null | head -1); ${VIEW[k]} view of the cgroups"; done
  printf '%-40s %-6s' metric unit
  for name in "${NAMES[@]}"; do printf ' %18s' "$name"; done
  echo
  if ! skipped run; then
    row "run /bin/true, median" ms 1000 $(cells run median)
    row "run /bin/true, mean" ms 1000 $(cells run mean)
    row "run /bin/true, p90" ms 1000 $(cells run p90)
    if [ -s "$RESULTS/floor" ]; then
      fl=$(stat_of "$RESULTS/floor" median)
      row "run median / floor -t median" x 1 $(for k in $(seq 0 $((NRT - 1))); do
        ratio "$(stat_of "$RESULTS/run.$k" median)" "$fl"; done)
    fi
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
    row "$COUNT containers x$PAR: CPU each, runtime+ctr" ms 1000 $(cells parcpu_own mean)
    row "$COUNT containers x$PAR: CPU each, machine" ms 1000 $(cells parcpu mean)
    row "$COUNT containers x$PAR: errors" "#" 1 $(for k in $(seq 0 $((NRT - 1))); do
      awk '{ s += $2 } END { print s + 0 }' "$RESULTS/par.$k"; done)
  fi
  row "failed commands (all sections)" "#" 1 $(for k in $(seq 0 $((NRT - 1))); do
    cat "$RESULTS"/{run,create,start,delete,exec}."$k" "$RESULTS"/scale_*."$k" 2>/dev/null | grep -c fail || true; done)
  row "binary size" KiB 1 $(for b in "${BINS[@]}"; do echo $(($(stat -c %s "$b") / 1024)); done)
  if command -v strip >/dev/null; then
    row "binary size, stripped" KiB 1 $(for b in "${BINS[@]}"; do
      strip -o "$RESULTS/stripped" "$b" 2>/dev/null && echo $(($(stat -c %s "$RESULTS/stripped") / 1024)) || echo -
      rm -f "$RESULTS/stripped"; done)
  fi
  row "shared libraries (ldd)" "#" 1 $(for b in "${BINS[@]}"; do ldd "$b" 2>/dev/null | grep -c '=>' || true; done)
  if [ -s "${RESULTS}/floor" ]; then
    echo "# floor -t ($FLOOR_C; interleaved with run): median $(ms "$(stat_of "$RESULTS/floor" median)") ms, mean $(ms "$(stat_of "$RESULTS/floor" mean)") ms"
    # floor.c's cgroups are v1 hierarchies (/sys/fs/cgroup/CONTROLLER): on
    # pure cgroup v2 it makes and joins none.
    [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] ||
      echo "# cgroup v2 host: floor -t joins no cgroup here (floor.c knows only v1 hierarchies), the runtimes do"
  fi

  if ! skipped scale; then
    echo
    echo "# scale: $SCALE_N rounds of lifecycles of a sleep container with none running (before and after: $((2 * SCALE_N)) samples)"
    echo "# and with $SCALE sleep containers running in each runtime ($((NRT * SCALE)) on the host); each op interleaved between the runtimes,"
    echo "# their order rotated each round. med: median of all samples; quiet: median of the samples during which no task of"
    echo "# the host waited for a CPU (/proc/pressure/cpu \"some\" unchanged; how many in brackets); p99 by nearest rank (of $SCALE_N"
    echo "# samples number $(( SCALE_N - (99 * SCALE_N + 99) / 100 + 1 )) from the worst); x: $SCALE over none; d-$(printf %s "${NAMES[0]}"): median of the paired differences"
    echo "# to ${NAMES[0]} (same round and op, both succeeded; ms); stalled: of the samples above p95, how many had some task"
    echo "# of the host waiting for a CPU for at least half their excess over the median (none+$SCALE)"
    printf '%-14s %-9s %8s %14s %8s %8s %14s %8s %6s %6s %8s %8s %9s\n' runtime op "none med" "none quiet" "none p99" \
      "$SCALE med" "$SCALE quiet" "$SCALE p99" "x med" "x qt" "d none" "d $SCALE" stalled
    for k in $(seq 0 $((NRT - 1))); do
      for op in create start exec state kill delete list listjson; do
        nb=$RESULTS/scale_${op}_none bb=$RESULTS/scale_${op}_busy
        case $op in list | listjson) nb=$RESULTS/no-such bb=$RESULTS/scale_$op ;; esac
        none=$nb.$k busy=$bb.$k
        a=$(stat_of "$none" median) e=$(stat_of "$none" p99) b=$(stat_of "$none" p95)
        c=$(stat_of "$busy" median) f=$(stat_of "$busy" p99) d=$(stat_of "$busy" p95)
        read -r qa qan < <(quiet_of "$none.stall")
        read -r qc qcn < <(quiet_of "$busy.stall")
        printf '%-14s %-9s %8s %14s %8s %8s %14s %8s %6s %6s %8s %8s %9s\n' "${NAMES[$k]}" "${op/listjson/list-json}" \
          "$(ms "$a")" "$(ms "$qa") ($qan)" "$(ms "$e")" "$(ms "$c")" "$(ms "$qc") ($qcn)" "$(ms "$f")" \
          "$(ratio "$c" "$a")" "$(ratio "$qc" "$qa")" \
          "$([ "$k" = 0 ] && echo - || paired "$nb.0.stall" "$none.stall")" \
          "$([ "$k" = 0 ] && echo - || paired "$bb.0.stall" "$busy.stall")" \
          "$(stalled "$none.stall" "$a" "$b")+$(stalled "$busy.stall" "$c" "$d")"
      done
    done
    echo
    echo "# scale: filling and emptying (wall for $SCALE, sequential), errors"
    for k in $(seq 0 $((NRT - 1))); do
      w=$RESULTS/scale_walls.$k
      printf '%-14s create %.1f /s, start %.1f /s, delete -f %.1f /s, %d failed\n' "${NAMES[$k]}" \
        "$(awk -v n="$SCALE" -v x="$(field "$w" create)" 'BEGIN { print n / (x / 1e6) }')" \
        "$(awk -v n="$SCALE" -v x="$(field "$w" start)" 'BEGIN { print n / (x / 1e6) }')" \
        "$(awk -v n="$SCALE" -v x="$(field "$w" delete)" 'BEGIN { print n / (x / 1e6) }')" \
        "$(cat "$RESULTS/scale_fill.$k" 2>/dev/null | wc -l)"
    done
    echo
    echo "# scale: memory per container (KiB, /proc/meminfo deltas over $SCALE; kernel = SUnreclaim + KernelStack + PageTables + Percpu)"
    echo "# (superblocks: file systems a running container has that the host's mount namespace has not)"
    printf '%-14s %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n' runtime state used kernel SUnrecl SRecl KStack PTables Percpu Anon \
      superblk
    for k in $(seq 0 $((NRT - 1))); do
      for s in created running; do
        f=$RESULTS/mem_$s.$k
        printf '%-14s %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n' "${NAMES[$k]}" "$s" "$(field "$f" used)" \
          "$(field "$f" kernel)" "$(field "$f" SUnreclaim)" "$(field "$f" SReclaimable)" "$(field "$f" KernelStack)" \
          "$(field "$f" PageTables)" "$(field "$f" Percpu)" "$(field "$f" AnonPages)" \
          "$([ "$s" = running ] && field "$RESULTS/scale_walls.$k" superblocks || echo -)"
      done
    done
    echo
    echo "# an empty cgroup directory, per hierarchy (KiB, deltas over $SCALE directories)"
    awk '{ printf "%-14s", $1; for (i = 2; i <= NF; i++) printf " %s", $i; print "" }' "$RESULTS/cgmem"
  fi
  echo "# raw samples (us, KiB): $RESULTS"
} | tee "$RESULTS/table.txt"

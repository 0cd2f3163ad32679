#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh [TARGET...] - build the libFuzzer targets and fuzz each for
# $FUZZ_SECONDS (default 30) seconds, printing TAP (one test per target).
# The committed seeds (corpus/TARGET) are copied to a scratch dir first, so
# a run never changes the tree. A crash fails the test and names the input;
# copy it into regressions/TARGET/ (replayed by tests/unit/test-fuzz-replay)
# once fixed. When clang can't build libFuzzer programs, every test is
# skipped. Environment: BUILDDIR (binaries go to $BUILDDIR/tests/fuzz/bin),
# FUZZ_SECONDS, FUZZ_JOBS (parallel targets, default 1), FUZZ_ARGS (extra
# libFuzzer flags, e.g. -max_len=65536).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILDDIR=${BUILDDIR:-$(dirname "$(dirname "$HERE")")}
BIN=$BUILDDIR/tests/fuzz/bin
SECONDS_EACH=${FUZZ_SECONDS:-30}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(config process resources roundtrip cni_ipam cni_bridge cgroup_string)

echo "1..${#TARGETS[@]}"
buildlog=$(mktemp /tmp/uoci-fuzz-build.XXXXXX)
BUILDDIR=$BUILDDIR "$HERE/build.sh" "$BIN" >"$buildlog" 2>&1
rc=$?
if [ $rc != 0 ]; then
  i=0
  for t in "${TARGETS[@]}"; do
    i=$((i + 1))
    if [ $rc = 77 ]; then
      echo "ok $i - fuzz $t # SKIP clang cannot link libFuzzer programs (install clang libclang-rt-14-dev)"
    else
      echo "not ok $i - fuzz $t: the build failed"
    fi
  done
  sed 's/^/# /' "$buildlog"
  rm -f "$buildlog"
  [ $rc = 77 ]
  exit
fi
rm -f "$buildlog"

scratch=$(mktemp -d /tmp/uoci-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failed=0 i=0
for t in "${TARGETS[@]}"; do
  i=$((i + 1))
  mkdir -p "$scratch/$t/corpus" "$scratch/$t/artifacts"
  cp "$HERE/corpus/$t/"* "$scratch/$t/corpus/" 2>/dev/null
  # -error_exitcode/-timeout_exitcode: any finding is a failure; the seeds
  # and saved regressions run first (they are inputs too).
  inputs=("$scratch/$t/corpus")
  [ -d "$HERE/regressions/$t" ] && inputs+=("$HERE/regressions/$t") # git keeps no empty directory
  "$BIN/fuzz-${t//_/-}" -dict="$HERE/json.dict" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$scratch/$t/artifacts/" ${FUZZ_ARGS:-} \
    "${inputs[@]}" >"$scratch/$t/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t/log")
  if [ $rc = 0 ]; then
    echo "ok $i - fuzz $t for ${SECONDS_EACH}s: ${execs:-?} inputs, no finding"
  else
    failed=1
    echo "not ok $i - fuzz $t: finding (exit $rc)"
    { grep -E 'ERROR|SUMMARY|property|#[0-9]+ 0x' "$scratch/$t/log" || tail -n 5 "$scratch/$t/log"; } | head -n 20 | sed 's/^/#   /'
    for a in "$scratch/$t/artifacts/"*; do
      [ -e "$a" ] || continue
      keep=/tmp/uoci-fuzz-$t-$(basename "$a")
      cp "$a" "$keep"
      echo "#   input saved as $keep: fix, then add it to tests/fuzz/regressions/$t/"
    done
  fi
done
exit $failed

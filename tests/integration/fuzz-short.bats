#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A short fuzz run of every libFuzzer target (tests/fuzz/run.sh), so the
# test suite notices a parser that crashes on input near the seeds.
# FUZZ_SECONDS per target (default 10 here; `make fuzz` uses 30 and
# docs/RELIABILITY.md gives the longer command). Skipped when clang can't
# link libFuzzer programs (CI installs clang and libclang-rt-14-dev).

setup() {
  SRCDIR=${SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
  export BUILDDIR=${BUILDDIR:-$SRCDIR}
  export FUZZ_SECONDS=${FUZZ_SECONDS:-10}
}

fuzz_one() {
  run "$SRCDIR/tests/fuzz/run.sh" "$1"
  echo "$output"
  if [[ "$output" == *"# SKIP"* ]]; then
    skip "clang cannot link libFuzzer programs"
  fi
  [ "$status" -eq 0 ]
  [[ "$output" == *"ok 1 - fuzz $1"*"no finding"* ]]
}

@test "fuzz config.json (libocispec) for a few seconds: no finding" { fuzz_one config; }
@test "fuzz exec's process.json for a few seconds: no finding" { fuzz_one process; }
@test "fuzz update's resources JSON for a few seconds: no finding" { fuzz_one resources; }
@test "fuzz the parse/generate round trip of every document: no finding" { fuzz_one roundtrip; }
@test "fuzz the CNI IPAM config, GC request and lease table parsers: no finding" { fuzz_one cni_ipam; }
@test "fuzz the CNI bridge config and result parsers: no finding" { fuzz_one cni_bridge; }
@test "fuzz the cgroup line of a state file: no finding" { fuzz_one cgroup_string; }

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sanitize.sh - the test suites under AddressSanitizer + UndefinedBehaviorSanitizer,
# and the lifecycle commands under valgrind memcheck. See docs/RELIABILITY.md.
#
# Usage: scripts/sanitize.sh [asan|valgrind|all] [SUITE...]   (default: all, suites unit integration)
#   asan      copy the source tree (tracked + untracked, not ignored files) to
#             $SANITIZE_DIR (default /tmp/ulysses-sanitize), build it there with
#             ./configure --enable-sanitizers (gcc), run tests/run.sh SUITE... with
#             that build, and fail if any sanitizer report was written (reports go
#             to $SANITIZE_DIR/reports/, one file per reporting process).
#   valgrind  run spec/features/create/start/state/kill/delete/run (and a failing
#             create) of the normal build ($BUILDDIR, default the tree this script
#             is in) under memcheck: no error and no definite or indirect leak.
# Prints TAP for the valgrind checks and one summary line per mode; exit 0 only
# when everything is clean. Needs root (the integration suite creates containers).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SRC=$(dirname "$HERE")
SANITIZE_DIR=${SANITIZE_DIR:-/tmp/ulysses-sanitize}
mode=${1:-all}
[ $# -gt 0 ] && shift
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration)

run_asan() {
  local build=$SANITIZE_DIR/build reports=$SANITIZE_DIR/reports
  echo "# asan: building a sanitized copy of $SRC in $build"
  mkdir -p "$build" && rm -rf "$reports" && mkdir -p "$reports" && chmod 1777 "$reports" # rootless tests report too
  # Only source files: the checkout may hold another configured build.
  (cd "$SRC" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$build" 2>/dev/null)
  (cd "$build" && { [ -x configure ] || ./autogen.sh; } &&
    { [ -f Makefile ] || ./configure --enable-sanitizers --enable-fault-injection CFLAGS="-g -O1"; } &&
    make -j"$(nproc)" && make -j"$(nproc)" check-programs) >"$SANITIZE_DIR/build.log" 2>&1 || {
    tail -n 30 "$SANITIZE_DIR/build.log"
    echo "asan: the sanitized build failed (log: $SANITIZE_DIR/build.log)"
    return 1
  }
  grep -q -- '-fsanitize=address' "$build/Makefile" || { echo "asan: configure did not enable sanitizers"; return 1; }
  # Every process writes its report to reports/asan.PID / ubsan.PID; a
  # runtime whose report can't be written (the init after pivot_root) dies
  # with a non-zero status instead, which the tests see.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:log_path=$reports/asan:detect_stack_use_after_return=1:check_initialization_order=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:log_path=$reports/ubsan"
  local rc=0
  BUILDDIR=$build SRCDIR=$build UOCI=$build/src/ulysses-oci CNI_BIN_DIR=$build/cni \
    "$build/tests/run.sh" "${suites[@]}" || rc=1
  local n
  n=$(find "$reports" -type f | wc -l)
  if [ "$n" -gt 0 ]; then
    echo "asan: $n sanitizer report(s):"
    for f in "$reports"/*; do echo "## $f"; head -n 40 "$f"; done
    rc=1
  fi
  echo "asan: $n sanitizer reports, test suites $([ $rc = 0 ] && echo passed || echo FAILED)"
  return $rc
}

run_valgrind() {
  local builddir=${BUILDDIR:-$SRC}
  local uoci=${UOCI:-$builddir/src/ulysses-oci}
  command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind not installed"; return 0; }
  local tmp
  tmp=$(mktemp -d /tmp/ulysses-valgrind.XXXXXX)
  local root=$tmp/state bundle=$tmp/bundle id=vg-$$ n=0 failed=0
  mkdir -p "$bundle"
  "$SRC/bundles/mkrootfs.sh" /var/tmp/ulysses-tests-rootfs >/dev/null && cp -a /var/tmp/ulysses-tests-rootfs "$bundle/rootfs"
  # --child-silent-after-fork: the init is a fork that ends in execve or _exit;
  # what matters is the runtime process.
  local vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
            --error-exitcode=99 --child-silent-after-fork=yes --track-fds=no)
  check() { # NAME EXPECTED_STATUS CMD...   ($want_text: words the output must hold)
    local name=$1 want=$2; shift 2
    n=$((n + 1))
    "${vg[@]}" --log-file="$tmp/vg.$n" "$@" >"$tmp/out.$n" 2>&1
    local rc=$?
    if [ "$rc" = "$want" ] && { [ -z "${want_text:-}" ] || grep -q -- "$want_text" "$tmp/out.$n"; } && ! grep -q 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|indirectly lost: [1-9]' "$tmp/vg.$n"; then
      echo "ok $n - valgrind: $name"
    else
      failed=$((failed + 1))
      echo "not ok $n - valgrind: $name (exit $rc, want $want)"
      sed 's/^/#   /' "$tmp/out.$n" | tail -n 5
      sed 's/^/#   /' "$tmp/vg.$n" | head -n 60
    fi
  }
  # valgrind < 3.22 has no openat2 (syscall 437), which the init needs for
  # every in-root path: there create and run are checked on their failure
  # path (still no error, no leak) and the container is created without
  # valgrind; the sanitizer mode's LeakSanitizer covers their success path.
  local vgver old_vg=0 want_create=0 want_text=""
  vgver=$(valgrind --version | sed 's/^valgrind-//')
  if [ "$(printf '%s\n' "$vgver" 3.22 | sort -V | head -n1)" != 3.22 ]; then
    old_vg=1 want_create=1
  fi
  echo "1..12"
  check "spec" 0 "$uoci" spec --bundle "$bundle"
  jq '.process.terminal = false | .process.args = ["sleep", "30"]' "$bundle/config.json" >"$tmp/c" && mv "$tmp/c" "$bundle/config.json"
  check "features" 0 "$uoci" features
  [ $old_vg = 1 ] && want_text="Function not implemented"
  check "create$([ $old_vg = 1 ] && echo " (valgrind $vgver: fails on openat2, checked for leaks)")" $want_create \
    "$uoci" --root "$root" create --bundle "$bundle" "$id"
  want_text=""
  if [ $old_vg = 1 ]; then
    "$uoci" --root "$root" delete -f "$id" >/dev/null 2>&1
    "$uoci" --root "$root" create --bundle "$bundle" "$id"
  fi
  check "state (created)" 0 "$uoci" --root "$root" state "$id"
  check "start" 0 "$uoci" --root "$root" start "$id"
  check "list" 0 "$uoci" --root "$root" list
  check "kill" 0 "$uoci" --root "$root" kill "$id" KILL
  for _ in $(seq 100); do "$uoci" --root "$root" state "$id" 2>/dev/null | grep -q '"stopped"' && break; sleep 0.05; done
  check "delete" 0 "$uoci" --root "$root" delete "$id"
  "$uoci" --root "$root" create --bundle "$bundle" "$id"
  check "delete --force of a created container" 0 "$uoci" --root "$root" delete --force "$id"
  jq '.process.args = ["sh", "-c", "exit 3"]' "$bundle/config.json" >"$tmp/c" && mv "$tmp/c" "$bundle/config.json"
  [ $old_vg = 1 ] && want_text="Function not implemented"
  check "run$([ $old_vg = 1 ] && echo " (valgrind $vgver: fails on openat2, checked for leaks)" || echo " (exit status 3)")" \
    "$([ $old_vg = 1 ] && echo 1 || echo 3)" "$uoci" --root "$root" run --bundle "$bundle" "$id"
  want_text=""
  check "create with a missing bundle fails cleanly" 1 "$uoci" --root "$root" create --bundle "$tmp/nonexistent" "$id"
  check "delete --force of an unknown container succeeds (as runc)" 0 "$uoci" --root "$root" delete --force nosuch
  "$uoci" --root "$root" delete -f "$id" >/dev/null 2>&1
  rm -rf "$tmp"
  echo "valgrind: $((n - failed)) clean, $failed with errors or leaks"
  [ $failed = 0 ]
}

rc=0
case "$mode" in
  asan) run_asan || rc=1 ;;
  valgrind) run_valgrind || rc=1 ;;
  all) run_valgrind || rc=1; run_asan || rc=1 ;;
  *) echo "usage: $0 [asan|valgrind|all] [SUITE...]" >&2; exit 2 ;;
esac
exit $rc

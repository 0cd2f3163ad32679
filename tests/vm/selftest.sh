#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# selftest.sh - TAP tests of run-cgroupv2.sh itself (boots the guest 8 times,
# about 4 minutes under TCG). Usage: tests/vm/selftest.sh
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
RUN=$HERE/run-cgroupv2.sh
n=0 failed=0
tmp=$(mktemp -d /tmp/vm-selftest-host.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

result() { # NAME STATUS [DETAILS FILE...]
  local name=$1 st=$2; shift 2
  n=$((n + 1))
  if [ "$st" = 0 ]; then echo "ok $n - $name"; return; fi
  echo "not ok $n - $name"; failed=$((failed + 1))
  local f; for f in "$@"; do sed 's/^/#   /' "$f" | tail -n 20; done
}

# 1. cgroup2 in the guest, TAP reaches the host unchanged.
"$RUN" sh -c 'cat /sys/fs/cgroup/cgroup.controllers; stat -f -c %T /sys/fs/cgroup; echo "1..1"; echo "ok 1 - cgroup2 in guest"' \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && grep -qx cgroup2fs "$tmp/out" && grep -qw memory "$tmp/out" && grep -qx 'ok 1 - cgroup2 in guest' "$tmp/out"
result "guest has cgroup2 at /sys/fs/cgroup with controllers (rc=$rc)" $? "$tmp/out" "$tmp/err"

# 2. exact output and exit status propagate; stderr stays on stderr.
printf '1..2\nok 1 - first\nnot ok 2 - second # TODO later\n' >"$tmp/expected"
"$RUN" sh -c 'printf "1..2\nok 1 - first\nnot ok 2 - second # TODO later\n"; echo to-stderr >&2; exit 7' \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 7 ] && cmp -s "$tmp/expected" "$tmp/out" && grep -qx to-stderr "$tmp/err"
result "TAP output identical on the host, stderr separate, exit status 7 propagated (rc=$rc)" $? "$tmp/out" "$tmp/err"

# 3. what a container runtime needs works in the guest.
"$RUN" bash "$HERE/guest-selftest.sh" >"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/# guest: /' "$tmp/out"
[ "$rc" = 0 ] && ! grep -q '^not ok' "$tmp/out" && grep -q '^1\.\.' "$tmp/out"
result "guest supports namespaces, pivot_root, child cgroups, bats (rc=$rc)" $? "$tmp/err"

# 4. a command that runs too long: the guest's watchdog (a quarter of
# VM_TIMEOUT before it) lists the processes, powers off, and the host says so
# and keeps the dump.
VM_TIMEOUT=80 "$RUN" sh -c 'sleep 1000' >"$tmp/out" 2>"$tmp/err"
rc=$?
kept=$(sed -n 's/.* kept in \([^ ]*\) .*/\1/p' "$tmp/err" | tail -n1)
[ "$rc" = 124 ] && grep -q 'timed out after 80s (VM_TIMEOUT), stopped by its watchdog' "$tmp/err" &&
  [ -n "$kept" ] && grep -q 'sleep 1000' "$kept/watchdog.log" && grep -q 'sysrq: Show Blocked State' "$kept/watchdog.log"
result "VM_TIMEOUT: the guest's watchdog dumps the tasks and stops the guest (rc=$rc)" $? "$tmp/err"
[ -z "$kept" ] || rm -rf "$kept"

# 5. the default command emits valid TAP (a plan matching its test points)
# even when no integration test matches (TESTS_FILTER selects none here, to
# keep this fast; `tests/run.sh vm` runs the real cgroup tests).
TESTS_FILTER=no-such-test-file "$RUN" >"$tmp/out" 2>"$tmp/err"
rc=$?
plan=$(grep -E '^1\.\.[0-9]+$' "$tmp/out" | tail -n1); plan=${plan#1..}
points=$(grep -cE '^(not )?ok ' "$tmp/out")
grep -q '^ok 1 - guest is pure cgroup v2' "$tmp/out" && [ -n "$plan" ] && [ "$plan" = "$points" ] &&
  [ "$(grep -cE '^1\.\.' "$tmp/out")" = 1 ]
result "default run is one valid TAP stream ($points test points, plan ${plan:-none}, rc=$rc)" $? "$tmp/out" "$tmp/err"

# 6. VM_SUITE=systemd: systemd is PID 1, on the bus, and the status still comes back.
VM_SUITE=systemd "$RUN" sh -c 'cat /proc/1/comm; systemctl is-system-running; exit 5' >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 5 ] && grep -qx systemd "$tmp/out" && grep -qxE 'running|degraded' "$tmp/out"
result "VM_SUITE=systemd runs the command under systemd as PID 1 (rc=$rc)" $? "$tmp/out" "$tmp/err"

# 7. VM_SUITE=bench: bench/run.sh in the guest (one runtime, one round of
# the run section, to keep this short), the table on stdout, the results
# directory copied out to VM_BENCH_OUT.
VM_SUITE=bench N=1 SKIP="phases exec rss mem par scale" BENCH_RUNTIMES=${UOCI:-$(dirname "$(dirname "$HERE")")/src/ulysses-oci} VM_BENCH_OUT="$tmp/bench" \
  "$RUN" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && grep -q '^run /bin/true, median .* ms .*(1.00x)' "$tmp/out" &&
  grep -q 'state=/var/tmp/uoci-bench (fs tmpfs)' "$tmp/out" &&
  ls "$tmp"/bench/*/table.txt >/dev/null 2>&1 && grep -q '^run /bin/true, median' "$tmp"/bench/*/table.txt
result "VM_SUITE=bench runs bench/run.sh in the guest and copies the results out (rc=$rc)" $? "$tmp/out" "$tmp/err"

# 8. a guest kernel that panics (here by sysrq c) ends the run at once, not
# at VM_TIMEOUT, with the kernel's report; a soft lockup panics it (60 s).
SECONDS=0
"$RUN" sh -c 'echo "softlockup_panic=$(cat /proc/sys/kernel/softlockup_panic) watchdog_thresh=$(cat /proc/sys/kernel/watchdog_thresh)"; sleep 1; echo c >/proc/sysrq-trigger; sleep 1000' \
  >"$tmp/out" 2>"$tmp/err"
rc=$? took=$SECONDS
kept=$(sed -n 's/.* kept in \([^ ]*\) .*/\1/p' "$tmp/err" | tail -n1)
[ "$rc" = 125 ] && [ "$took" -lt 300 ] && grep -qx 'softlockup_panic=1 watchdog_thresh=30' "$tmp/out" &&
  tail -n1 "$tmp/err" | grep -q 'without reporting the command.s exit status; its kernel reported: .*sysrq triggered crash'
result "a guest kernel panic ends the run with its report, in ${took}s (rc=$rc)" $? "$tmp/out" "$tmp/err"
[ -z "$kept" ] || rm -rf "$kept"

echo "1..$n"
[ "$failed" = 0 ]

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# --systemd-cgroup against the real systemd: the transient scope
# (StartTransientUnit with the pid, Delegate=yes and the resource
# properties), what systemd itself then reports and keeps (systemctl show,
# daemon-reload), update through SetUnitProperties, StopUnit at delete, and
# cleanup when something fails. systemd is not PID 1 on the test hosts: there
# these tests skip, and the systemd guest runs them
# (VM_SUITE=systemd tests/vm/run-cgroupv2.sh, part of `tests/run.sh vm`).
# The D-Bus requests themselves are unit-tested (tests/unit/test_cgroup_systemd.c).
load helpers

SLICE=uoci-test.slice

setup() {
  # skipped before any setup: the other guests and the host pay nothing
  [ -d /run/systemd/system ] || skip "systemd is not PID 1 here (VM_SUITE=systemd tests/vm/run-cgroupv2.sh runs these)"
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "systemd guest tests expect the unified hierarchy"
  setup_bundle sleep 100
  CID=sd$$x$BATS_TEST_NUMBER
  UNIT=uoci-$CID.scope
  SCOPE=/sys/fs/cgroup/uoci.slice/uoci-test.slice/$UNIT
  cfg ".linux.cgroupsPath = \"$SLICE:uoci:$CID\""
}

teardown() {
  cleanup_all
  [ -d /run/systemd/system ] || return 0
  # Nothing of the container may stay: no unit (not even a failed one), no cgroup.
  [ "$(unit_prop LoadState)" = not-found ] || { systemctl status "$UNIT" >&2; return 1; }
  [ ! -e "$SCOPE" ]
}

sd() { "$UOCI" --root "$STATE" --systemd-cgroup "$@"; }
unit_prop() { systemctl show -P "$1" "${2:-$UNIT}" 2>/dev/null; }

# run_detached [ID]: `run -d`, stdio on files so that bats' `run` never waits
# for a container holding its pipe; $status and $output as `run` gives them.
run_detached() {
  status=0
  sd run -d --bundle "$BUNDLE" "${1:-$CID}" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || status=$?
  output=$(cat "$BATS_TEST_TMPDIR/run.out")
}

pid_of() { sd state "${1:-$CID}" | jq -r .pid; }

@test "systemd: a transient scope with Delegate=yes holds the container; exec joins it; delete stops it" {
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  pid=$(pid_of)
  [ "$(unit_prop ActiveState)" = active ]
  [ "$(unit_prop Slice)" = "$SLICE" ]
  [ "$(unit_prop Delegate)" = yes ]
  [ "$(unit_prop ControlGroup)" = "/uoci.slice/uoci-test.slice/$UNIT" ]
  [ "$(cat /proc/$pid/cgroup)" = "0::/uoci.slice/uoci-test.slice/$UNIT" ]
  [ "$(sd ps --format json "$CID")" = "[$pid]" ]
  # the delegated controllers reach the scope
  for c in cpu memory pids; do grep -qw "$c" "$SCOPE/cgroup.controllers"; done
  # state records the scope, so exec joins it
  sd exec -d --pid-file "$TEST_TMP/exec.pid" "$CID" sleep 50
  [ "$(cat "/proc/$(cat "$TEST_TMP/exec.pid")/cgroup")" = "0::/uoci.slice/uoci-test.slice/$UNIT" ]
  sd pause "$CID"
  [ "$(cat "$SCOPE/cgroup.freeze")" = 1 ]
  sd resume "$CID"
  [ "$(cat "$SCOPE/cgroup.freeze")" = 0 ]
  run sd delete -f "$CID"
  [ "$status" -eq 0 ]
  [ "$(unit_prop LoadState)" = not-found ]
  [ ! -e "$SCOPE" ]
  process_gone "$pid"
}

@test "systemd: the limits are unit properties, and daemon-reload keeps them" {
  cfg '.linux.resources.memory = {"limit": 67108864, "reservation": 16777216, "swap": 100663296} |
       .linux.resources.unified = {"memory.high": "50331648"} | .linux.resources.pids.limit = 11 |
       .linux.resources.cpu = {"shares": 512, "quota": 25000, "period": 50000, "cpus": "0", "mems": "0"} |
       .linux.resources.blockIO.weight = 500'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(unit_prop MemoryMax)" = 67108864 ]
  [ "$(unit_prop MemoryLow)" = 16777216 ]
  [ "$(unit_prop MemoryHigh)" = 50331648 ]
  [ "$(unit_prop MemorySwapMax)" = 33554432 ]
  [ "$(unit_prop TasksMax)" = 11 ]
  [ "$(unit_prop CPUWeight)" = 20 ]
  [ "$(unit_prop CPUQuotaPerSecUSec)" = 500ms ]
  [ "$(unit_prop CPUQuotaPeriodUSec)" = 50ms ]
  [ "$(unit_prop AllowedCPUs)" = 0 ]
  [ "$(unit_prop AllowedMemoryNodes)" = 0 ]
  [ "$(unit_prop IOWeight)" = 4950 ]
  want="memory.max=67108864 memory.low=16777216 memory.high=50331648 memory.swap.max=33554432 pids.max=11 cpu.weight=20 cpu.max=25000 50000 cpuset.cpus=0 cpuset.mems=0 io.weight=default 4950"
  files() {
    local f
    for f in memory.max memory.low memory.high memory.swap.max pids.max cpu.weight cpu.max cpuset.cpus cpuset.mems io.weight; do
      printf '%s=%s ' "$f" "$(cat "$SCOPE/$f")"
    done
  }
  [ "$(files)" = "$want " ] || { files; false; }
  # systemd rewrites a unit's cgroup files from its properties on reload:
  # what the container asked for must be what systemd knows.
  systemctl daemon-reload
  [ "$(files)" = "$want " ] || { files; false; }
}

@test "systemd: update changes the unit's properties too (kept across daemon-reload)" {
  cfg '.linux.resources.memory.limit = 33554432 | .linux.resources.pids.limit = 11'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  run sd update --memory 67108864 --pids-limit 22 --cpu-quota 20000 --cpu-period 100000 "$CID"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(unit_prop MemoryMax)" = 67108864 ]
  [ "$(unit_prop TasksMax)" = 22 ]
  [ "$(unit_prop CPUQuotaPerSecUSec)" = 200ms ]
  systemctl daemon-reload
  [ "$(cat "$SCOPE/memory.max")" = 67108864 ]
  [ "$(cat "$SCOPE/pids.max")" = 22 ]
  [ "$(cat "$SCOPE/cpu.max")" = "20000 100000" ]
}

@test "systemd: update of the cpu quota or the period alone keeps the other, in cpu.max and in the unit" {
  cfg '.linux.resources.cpu = {"quota": 20000, "period": 50000}'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(cat "$SCOPE/cpu.max")" = "20000 50000" ]
  # systemd computes cpu.max from CPUQuotaPerSecUSec and the unit's period
  sd update --cpu-quota 30000 "$CID"
  [ "$(cat "$SCOPE/cpu.max")" = "30000 50000" ]
  [ "$(unit_prop CPUQuotaPerSecUSec)" = 600ms ]
  sd update --cpu-period 100000 "$CID"
  [ "$(cat "$SCOPE/cpu.max")" = "30000 100000" ]
  [ "$(unit_prop CPUQuotaPerSecUSec)" = 300ms ]
  [ "$(unit_prop CPUQuotaPeriodUSec)" = 100ms ]
  # burst has no property (the file alone), idle is CPUWeight=idle: both kept by daemon-reload
  sd update --resources - "$CID" <<<'{"cpu": {"burst": 1000, "idle": 1}}'
  systemctl daemon-reload
  [ "$(cat "$SCOPE/cpu.max")" = "30000 100000" ]
  [ "$(cat "$SCOPE/cpu.max.burst")" = 1000 ]
  [ "$(cat "$SCOPE/cpu.idle")" = 1 ]
}

@test "systemd: an update that v2 or the kernel refuses changes neither the unit nor the files" {
  cfg '.linux.resources.memory.limit = 33554432'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  run sd update --memory 64m --cpu-rt-runtime 1000 "$CID"
  [ "$status" -ne 0 ]
  [ "$output" = "ulysses-oci: cgroup: linux.resources.cpu.realtimeRuntime/realtimePeriod are not supported on cgroup v2" ]
  [ "$(unit_prop MemoryMax)" = 33554432 ]
  [ "$(cat "$SCOPE/memory.max")" = 33554432 ]
  run sd update --resources - "$CID" <<<'{"unified": {"memory.high": "not-a-number"}}'
  [ "$status" -ne 0 ]
  [[ "$output" == *"memory.high"* ]] || { echo "$output"; false; }
  [ "$(unit_prop MemoryHigh)" = infinity ]
  [ "$(cat "$SCOPE/memory.high")" = max ]
  systemctl daemon-reload
  [ "$(cat "$SCOPE/memory.max")" = 33554432 ]
}

@test "systemd: an update whose SetUnitProperties fails (no system bus) puts back the files it wrote" {
  cfg '.linux.resources.memory.limit = 33554432 | .linux.resources.pids.limit = 11'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  # the files are written first (the kernel checks them), then systemd is
  # asked: with the bus gone that fails, and the files go back as they were
  systemctl stop dbus.socket dbus.service
  run sd update --memory 67108864 --pids-limit 22 "$CID"
  # read before the bus is back: starting it makes systemd rewrite the
  # files of other units from their properties, which would hide a change
  files="$(cat "$SCOPE/memory.max") $(cat "$SCOPE/pids.max")"
  systemctl start dbus.socket dbus.service
  [ "$status" -ne 0 ]
  [[ "$output" == *"systemd cgroup manager: connect to the system bus"* ]] || { echo "$output"; false; }
  [[ "$output" != *"could not be put back"* ]] || { echo "$output"; false; }
  [ "$files" = "33554432 11" ] || { echo "files: $files"; false; }
  [ "$(unit_prop MemoryMax)" = 33554432 ]
  [ "$(unit_prop TasksMax)" = 11 ]
  # files and unit agree: a daemon-reload changes nothing, and the bus is back
  systemctl daemon-reload
  [ "$(cat "$SCOPE/memory.max")" = 33554432 ]
  [ "$(cat "$SCOPE/pids.max")" = 11 ]
  sd update --pids-limit 22 "$CID"
  [ "$(cat "$SCOPE/pids.max")" = 22 ]
  [ "$(unit_prop TasksMax)" = 22 ]
}

@test "systemd: annotations org.systemd.property.* are unit properties; one systemd refuses is named, nothing left" {
  cfg '.annotations = {"org.systemd.property.CollectMode": "'"'inactive-or-failed'"'",
                       "org.systemd.property.TimeoutStopSec": "7", "org.systemd.property.SendSIGHUP": "true",
                       "io.example.other": "ignored"}'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(unit_prop CollectMode)" = inactive-or-failed ]
  [ "$(unit_prop TimeoutStopUSec)" = 7s ]
  [ "$(unit_prop SendSIGHUP)" = yes ]
  sd delete -f "$CID"
  [ "$(unit_prop LoadState)" = not-found ]
  cfg '.annotations = {"org.systemd.property.NoSuchProperty": "1"}'
  run_detached
  [ "$status" -ne 0 ]
  [[ "$output" == *"systemd cgroup manager: start $UNIT: "*NoSuchProperty*" (annotations.org.systemd.property.NoSuchProperty)" ]] || { echo "$output"; false; }
  [ ! -e "$STATE/$CID" ]
}

@test "systemd: a slice that does not exist is made by systemd (nested as its name says), as with runc" {
  local slice=uoci-n$$-x.slice
  [ "$(unit_prop ActiveState "$slice")" = inactive ]
  cfg ".linux.cgroupsPath = \"$slice:uoci:$CID\""
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local cg=/uoci.slice/uoci-n$$.slice/$slice/$UNIT
  [ "$(unit_prop ControlGroup)" = "$cg" ]
  [ "$(unit_prop Slice)" = "$slice" ]
  [ "$(cat /proc/"$(pid_of)"/cgroup)" = "0::$cg" ]
  [ "$(unit_prop ActiveState "$slice")" = active ]
  sd delete -f "$CID"
  [ "$(unit_prop LoadState)" = not-found ]
  [ ! -e "/sys/fs/cgroup$cg" ]
  # the slices are systemd's (runc leaves them too); the test's own go here
  systemctl stop "$slice" "uoci-n$$.slice"
}

@test "systemd: Delegate=yes: a sub-cgroup of the scope is kept by systemd, seen by ps and events, killed and removed at delete" {
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  pid=$(pid_of)
  sd exec -d --pid-file "$TEST_TMP/exec.pid" "$CID" sleep 60
  epid=$(cat "$TEST_TMP/exec.pid")
  # what an engine or the container's own init does in a delegated scope
  mkdir "$SCOPE/sub"
  echo "$epid" >"$SCOPE/sub/cgroup.procs"
  systemctl daemon-reload
  [ "$(cat /proc/"$epid"/cgroup)" = "0::/uoci.slice/uoci-test.slice/$UNIT/sub" ]
  [ "$(sd ps --format json "$CID")" = "$(jq -cn --argjson a "$pid" --argjson b "$epid" '[$a, $b] | sort')" ]
  [ "$(sd events --stats "$CID" | jq .data.pids.current)" = 2 ]
  sd kill --all "$CID" KILL
  for _ in $(seq 50); do kill -0 "$epid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$epid" 2>/dev/null || false
  for _ in $(seq 50); do [ "$(sd state "$CID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  sd delete "$CID"
  [ "$(unit_prop LoadState)" = not-found ]
  [ ! -e "$SCOPE" ]
}

@test "systemd: containers that exit or are killed leave no unit, and the name can be used again" {
  cfg '.process.args = ["true"]'
  run sd run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(unit_prop LoadState)" = not-found ]
  # killed from outside, then deleted
  cfg '.process.args = ["sleep", "100"]'
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  kill -9 "$(pid_of)"
  for _ in $(seq 50); do [ "$(sd state "$CID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  run sd delete "$CID"
  [ "$status" -eq 0 ]
  [ "$(unit_prop LoadState)" = not-found ]
  # OOM-killed: systemd marks the scope failed; delete resets it
  cfg '.linux.resources.memory = {"limit": 16777216, "swap": 16777216} |
       .process.args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]'
  run sd run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 137 ]
  [ "$(unit_prop LoadState)" = not-found ] || { systemctl status "$UNIT"; false; }
  run sd run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 137 ]
}

@test "systemd: a unit name in use is refused, and the container owning it is left alone" {
  run_detached
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  pid=$(pid_of)
  run_detached "$CID-2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"systemd cgroup manager: start $UNIT: Unit $UNIT "*already* ]] || { echo "$output"; false; }
  [ ! -e "$STATE/$CID-2" ]
  [ "$(unit_prop ActiveState)" = active ]
  kill -0 "$pid"
  grep -qx "$pid" "$SCOPE/cgroup.procs"
}

@test "systemd: failures leave nothing: before the scope, after it, and a runtime killed midway" {
  # a value systemd cannot take: refused before the scope exists
  cfg '.linux.resources.unified = {"memory.high": "not-a-number"}'
  run_detached
  [ "$status" -ne 0 ]
  [[ "$output" == *'linux.resources.unified.memory.high: invalid value "not-a-number"'* ]] || { echo "$output"; false; }
  [ ! -e "$STATE/$CID" ]
  [ "$(unit_prop LoadState)" = not-found ]
  # a file only the kernel refuses, once the scope exists: the scope is stopped
  cfg '.linux.resources.unified = {"memory.bogus": "1"}'
  run_detached
  [ "$status" -ne 0 ]
  [[ "$output" == *'no cgroup file "memory.bogus"'* ]] || { echo "$output"; false; }
  [ ! -e "$STATE/$CID" ]
  [ "$(unit_prop LoadState)" = not-found ]
  [ ! -e "$SCOPE" ]
  # the runtime killed before it started the scope: delete cleans up
  grep -q ULYSSES_FAULT "$UOCI" || return 0 # no fault points (./configure --enable-fault-injection)
  cfg 'del(.linux.resources.unified)'
  ULYSSES_FAULT=create-cloned run_detached
  [ "$status" -ne 0 ]
  run sd delete -f "$CID"
  [ "$status" -eq 0 ]
  [ ! -e "$STATE/$CID" ]
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# --systemd-cgroup against a stand-in for systemd's Manager
# (cgroup_systemd_stub.c) on a private bus, in a private mount namespace where
# /run/systemd/system exists: a unit-level check of the D-Bus calls
# (StartTransientUnit with PIDs, Delegate and the resource properties, the
# wait for JobRemoved, SetUnitProperties on update, StopUnit on delete) and of
# the v1/hybrid placement on hosts where systemd is not PID 1 (the stub, like
# systemd, makes only the directories of the controllers systemd manages; the
# runtime makes the others and removes them at delete). The real systemd is
# tested in the systemd guest of tests/vm: cgroup-systemd.bats.
load helpers

# The stub is compiled once for the file: in the tests/vm guest, under
# emulation, one gcc run takes seconds to tens of seconds.
setup_file() {
  command -v dbus-daemon >/dev/null && pkg-config --exists libsystemd 2>/dev/null || return 0
  export STUB=$BATS_FILE_TMPDIR/systemd-stub
  gcc -o "$STUB" "$SRCDIR/tests/integration/cgroup_systemd_stub.c" $(pkg-config --cflags --libs libsystemd)
}

setup() {
  command -v dbus-daemon >/dev/null || skip "dbus-daemon not installed"
  pkg-config --exists libsystemd 2>/dev/null || skip "libsystemd-dev not installed"
  setup_bundle sleep 100
  CID=sd$$x$BATS_TEST_NUMBER
  cat >"$TEST_TMP/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$TEST_TMP/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
  </policy>
</busconfig>
CONF
}

teardown() {
  cleanup_all
  ! find /sys/fs/cgroup -maxdepth 5 -type d -name "uoci-$CID.scope" 2>/dev/null | grep -q . || false
}

# in_fake_systemd SCRIPT: run SCRIPT (bash) where systemd seems to run.
in_fake_systemd() {
  unshare -m bash -euc '
    mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system
    dbus-daemon --config-file="$TEST_TMP/bus.conf" --fork --print-pid >"$TEST_TMP/dbus.pid"
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TEST_TMP/bus
    "$STUB" "$TEST_TMP/log" & stub=$!
    trap "kill $stub \$(cat $TEST_TMP/dbus.pid) 2>/dev/null" EXIT
    for i in $(seq 100); do grep -q ready "$TEST_TMP/log" 2>/dev/null && break; sleep 0.02; done
    '"$1"
}

@test "systemd: a transient scope with the pid, Delegate and resource properties; StopUnit on delete" {
  cfg ".linux.cgroupsPath = \"uoci-test.slice:uoci:$CID\" | .linux.resources.memory.limit = 33554432 |
       .linux.resources.pids.limit = 11 | .linux.resources.cpu.shares = 512"
  export TEST_TMP STUB CID STATE BUNDLE UOCI
  run in_fake_systemd '
    "$UOCI" --root "$STATE" --systemd-cgroup run -d --bundle "$BUNDLE" "$CID"
    pid=$("$UOCI" --root "$STATE" state "$CID" | jq -r .pid)
    echo "pid=$pid"
    echo "cgroup=$(grep -E "^[0-9]+:(memory|):" /proc/$pid/cgroup | cut -d: -f3 | head -1)"
    echo "freezer=$(grep -E "^[0-9]+:freezer:" /proc/$pid/cgroup | cut -d: -f3)"
    "$UOCI" --root "$STATE" pause "$CID" && "$UOCI" --root "$STATE" resume "$CID" && echo paused-resumed
    # without --systemd-cgroup: the state says systemd (musl build: handed over to the glibc one)
    "$UOCI" --debug --root "$STATE" update --memory 67108864 "$CID" 2>"$TEST_TMP/update.err" && echo updated
    echo "ps=$("$UOCI" --root "$STATE" ps --format json "$CID")"
    "$UOCI" --root "$STATE" delete -f "$CID"
    echo deleted'
  echo "$output"
  [ "$status" -eq 0 ]
  pid=$(echo "$output" | sed -n 's/^pid=//p')
  [[ "$output" == *"cgroup=/uoci.slice/uoci-test.slice/uoci-$CID.scope"* ]]
  # v1: the freezer (not systemd's) is the runtime's own directory, same path
  if [[ "$output" == *"freezer=/"* ]]; then
    [[ "$output" == *"freezer=/uoci.slice/uoci-test.slice/uoci-$CID.scope"* ]]
  fi
  [[ "$output" == *"ps=[$pid]"* ]]
  [[ "$output" == *deleted* ]]
  log=$(cat "$TEST_TMP/log")
  [[ "$log" == *"StartTransientUnit uoci-$CID.scope fail"* ]]
  [[ "$log" == *"Slice=uoci-test.slice"* ]]
  [[ "$log" == *"PIDs=1 pid(s)"* ]]
  [[ "$log" == *"Delegate=yes"* ]]
  [[ "$log" == *"MemoryMax=33554432"* ]]
  [[ "$log" == *"TasksMax=11"* ]]
  [[ "$log" == *"CPUShares=512"* || "$log" == *"CPUWeight=20"* ]]
  [[ "$output" == *paused-resumed* ]]
  [[ "$output" == *updated* ]]
  [[ "$log" == *"SetUnitProperties uoci-$CID.scope runtime"*"MemoryMax=67108864"* ]]
  if "$UOCI" --version | grep -q '^libc: musl '; then
    grep -q "the container's systemd cgroup (libsystemd): handing over to .*/ulysses-oci-glibc" "$TEST_TMP/update.err"
  fi
  [[ "$log" == *"StopUnit uoci-$CID.scope replace"* ]]
  [[ "$log" != *unexpected* ]]
}

@test "systemd: the cpu quota reaches the scope's files too" {
  cfg ".linux.cgroupsPath = \"uoci-test.slice:uoci:$CID\" | .linux.resources.cpu.quota = 30000 |
       .linux.resources.cpu.period = 100000"
  export TEST_TMP STUB CID STATE BUNDLE UOCI
  run in_fake_systemd '
    "$UOCI" --root "$STATE" --systemd-cgroup run -d --bundle "$BUNDLE" "$CID"
    d=/sys/fs/cgroup/cpu/uoci.slice/uoci-test.slice/uoci-$CID.scope
    [ -d "$d" ] && cat "$d/cpu.cfs_quota_us" || cat "/sys/fs/cgroup/uoci.slice/uoci-test.slice/uoci-$CID.scope/cpu.max"
    "$UOCI" --root "$STATE" delete -f "$CID"'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == 30000* ]]
}

@test "systemd: a malformed cgroupsPath is refused before anything is created" {
  cfg '.linux.cgroupsPath = "/not/a/slice"'
  run "$UOCI" --root "$STATE" --systemd-cgroup run -d --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *'systemd cgroup manager: linux.cgroupsPath "/not/a/slice"'* ]]
  [ ! -e "$STATE/$CID" ]
}

@test "systemd: through the glibc companion (musl build), the container gets no fd of the runtimes and the caller's fd limit" {
  cfg ".linux.cgroupsPath = \"uoci-test.slice:uoci:$CID\" | del(.process.rlimits) | .process.args = [\"sh\", \"-c\", \"ls /proc/self/fd; ulimit -Sn\"]"
  export TEST_TMP STUB CID STATE BUNDLE UOCI
  run in_fake_systemd '
    ulimit -Sn 64
    "$UOCI" --root "$STATE" --log "$TEST_TMP/runtime.log" --systemd-cgroup run --bundle "$BUNDLE" "$CID" </dev/null'
  echo "$output"
  [ "$status" -eq 0 ]
  # 0-2, and the directory ls reads (3); then the caller's soft limit
  [ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 64 " ]
}

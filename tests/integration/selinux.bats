#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# SELinux labels applied: process.selinuxLabel is the container process's
# context, linux.mountLabel the context= of the filesystems made for it.
# Needs SELinux with a policy loaded: the `vm` suite boots its guest with
# SELinux on and Debian's reference policy (tests/vm, VM_SUITE=selinux); on a
# host without SELinux every test here is skipped.
load helpers

# Debian's reference policy: these types exist (container_* do not).
PROCESS_LABEL=system_u:system_r:initrc_t:s0:c1,c2
MOUNT_LABEL=system_u:object_r:tmp_t:s0:c1,c2

setup() {
  [ -e /sys/fs/selinux/policyvers ] && [ -e /sys/fs/selinux/enforce ] || skip "SELinux is not enabled with a policy"
  setup_bundle true
  c1=se1-$$-$BATS_TEST_NUMBER
}
teardown() { cleanup_all; }

@test "selinux: the process runs with process.selinuxLabel" {
  cfg ".process.selinuxLabel = \"$PROCESS_LABEL\" | .process.args = [\"cat\", \"/proc/self/attr/current\"]"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | tr -d '\0')" = "$PROCESS_LABEL" ]
}

@test "selinux: exec --process-label runs the new process with that label" {
  cfg ".process.args = [\"sleep\", \"100\"]"
  uoci run -d --bundle "$BUNDLE" $c1
  run uoci exec --process-label "$PROCESS_LABEL" $c1 cat /proc/self/attr/current
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | tr -d '\0')" = "$PROCESS_LABEL" ]
}

@test "selinux: tmpfs (masked directories' too) and devpts mounts carry mountLabel as context=, proc and mqueue do not; mqueue's root has it as its label (as runc)" {
  cfg ".linux.mountLabel = \"$MOUNT_LABEL\" | .process.args = [\"cat\", \"/proc/self/mountinfo\"]"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  for m in /dev /dev/shm /dev/pts; do
    line=$(echo "$output" | awk -v m="$m" '$5 == m')
    [[ "$line" == *"context=\"$MOUNT_LABEL\""* ]] || { echo "$m: $line"; false; }
  done
  for m in /proc /dev/mqueue; do
    line=$(echo "$output" | awk -v m="$m" '$5 == m')
    [[ "$line" != *context=* ]] || { echo "$m: $line"; false; }
  done
  # the read-only tmpfs on masked directories (runc: context= on each)
  masked=$(echo "$output" | awk '$5 == "/sys/firmware" || $5 == "/proc/acpi" || $5 == "/proc/scsi"')
  [ -n "$masked" ]
  while IFS= read -r line; do
    [[ "$line" == *" tmpfs "*"context=\"$MOUNT_LABEL\""* ]] || { echo "masked: $line"; false; }
  done <<<"$masked"
  # runc mounts mqueue without context= and then labels its root
  cfg '.process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" $c1-q </dev/null >/dev/null 2>&1
  pid=$(uoci state $c1-q | jq .pid)
  [ "$(stat -c %C "/proc/$pid/root/dev/mqueue")" = "$MOUNT_LABEL" ]
}

@test "selinux: a label the policy does not know is a clear error and leaves nothing" {
  cfg '.linux.mountLabel = "system_u:object_r:no_such_type_t:s0"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"mount tmpfs to /dev: SELinux context \"system_u:object_r:no_such_type_t:s0\" (linux.mountLabel): Invalid argument"* ]]
  [ ! -e "$STATE/$c1" ]
  cfg 'del(.linux.mountLabel) | .process.selinuxLabel = "system_u:system_r:no_such_type_t:s0"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"process.selinuxLabel: set /proc/self/attr/keycreate"*"Invalid argument"* ]]
  [ ! -e "$STATE/$c1" ]
}

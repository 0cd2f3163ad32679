#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The engines with systemd's cgroup manager, against the real systemd:
# `podman --cgroup-manager systemd` and containerd's runc.v2 shim with
# SystemdCgroup (ctr run --runc-systemd-cgroup: the shim's SystemdCgroup and
# BinaryName options, as in a containerd config) both drive ulysses-oci with
# --systemd-cgroup and a "slice:prefix:name" cgroupsPath. Checked: the
# container is in its transient scope, its limits are the unit's properties
# (also after podman update; ctr 1.6 has no task update), and removing it
# leaves no unit and no cgroup.
#
# systemd must be PID 1, and the clients talk to it over the real system bus,
# so this file runs without the private namespaces of the other client
# suites (a pid namespace would give systemd pids it cannot see): only in
# the systemd guest of tests/vm (VM_SUITE=systemd), where everything is
# thrown away at power-off. Elsewhere it skips.
load helpers

setup_file() {
  export SD_SKIP=""
  if [ "${VM_SUITE:-}" != systemd ] || [ ! -d /run/systemd/system ]; then
    SD_SKIP="needs systemd as PID 1: run in the systemd guest (VM_SUITE=systemd tests/vm/run-cgroupv2.sh)"
    return 0
  fi
  local t
  for t in podman conmon containerd ctr containerd-shim-runc-v2 systemctl jq; do
    command -v "$t" >/dev/null || { SD_SKIP="not installed: $t"; return 0; }
  done
  export CWORK
  CWORK=$(mktemp -d /var/tmp/uoci-systemd.XXXXXX)
  "$BATS_TEST_DIRNAME/mkimage.sh" "$CWORK/image" >"$CWORK/mkimage.log" 2>&1
  export IMAGE_TAR=$CWORK/image/busybox-oci.tar IMAGE=localhost/ulysses-tests/busybox:latest
  podman_setup
  containerd_setup
}

teardown_file() {
  [ -z "${SD_SKIP:-}" ] || return 0
  pod rm -a -f -t 0 >/dev/null 2>&1
  local id
  for id in $(c task ls -q 2>/dev/null); do c task kill -s SIGKILL "$id" >/dev/null 2>&1; done
  sleep 0.2
  for id in $(c task ls -q 2>/dev/null); do c task delete -f "$id" >/dev/null 2>&1; done
  for id in $(c container ls -q 2>/dev/null); do c container delete "$id" >/dev/null 2>&1; done
  [ -s "$CWORK/containerd/containerd.pid" ] && kill "$(cat "$CWORK/containerd/containerd.pid")" 2>/dev/null
  umount -l "$CWORK/containerd" 2>/dev/null
  rm -rf "$CWORK"
}

setup() {
  [ -z "$SD_SKIP" ] || skip "$SD_SKIP"
}

unit_prop() { systemctl show -P "$2" "$1" 2>/dev/null; }

# --- podman ---------------------------------------------------------------------

podman_setup() {
  podman_write_conf "$CWORK/podman" systemd <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
EOF
  local id
  id=$(pod pull -q "oci-archive:$IMAGE_TAR") && pod tag "$id" "$IMAGE"
}

pod() {
  podman --root "$CWORK/podman/root" --runroot "$CWORK/podman/runroot" --storage-driver vfs \
    --cgroup-manager systemd --runtime "$UOCI" "$@"
}

@test "podman --cgroup-manager systemd --runtime ulysses-oci: output and exit status" {
  run pod run --rm "$IMAGE" sh -c 'echo hello-systemd; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = hello-systemd ]
}

@test "podman: the container is in machine.slice/libpod-ID.scope with its limits as properties; update too; rm removes it" {
  pod run -d --name sd-pod --memory 64m --pids-limit 50 --cpus 0.5 "$IMAGE" sleep 1000
  read -r id pid < <(pod inspect -f '{{.Id}} {{.State.Pid}}' sd-pod)
  unit=libpod-$id.scope
  [ "$(cat "/proc/$pid/cgroup")" = "0::/machine.slice/$unit" ]
  [ "$(unit_prop "$unit" ActiveState)" = active ]
  [ "$(unit_prop "$unit" Delegate)" = yes ]
  [ "$(unit_prop "$unit" MemoryMax)" = 67108864 ]
  [ "$(unit_prop "$unit" TasksMax)" = 50 ]
  [ "$(unit_prop "$unit" CPUQuotaPerSecUSec)" = 500ms ]
  [ "$(cat "/sys/fs/cgroup/machine.slice/$unit/memory.max")" = 67108864 ]
  run pod top sd-pod pid
  [ "$status" -eq 0 ]
  # podman update -> ulysses-oci update -> SetUnitProperties
  run pod update --memory 128m --cpus 0.25 sd-pod
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(unit_prop "$unit" MemoryMax)" = 134217728 ]
  [ "$(unit_prop "$unit" CPUQuotaPerSecUSec)" = 250ms ]
  systemctl daemon-reload
  [ "$(cat "/sys/fs/cgroup/machine.slice/$unit/memory.max")" = 134217728 ]
  run pod rm -f -t 0 sd-pod
  [ "$status" -eq 0 ]
  [ "$(unit_prop "$unit" LoadState)" = not-found ]
  [ ! -e "/sys/fs/cgroup/machine.slice/$unit" ]
  ! kill -0 "$pid" 2>/dev/null || false
}

# --- containerd -------------------------------------------------------------------

containerd_setup() {
  local C=$CWORK/containerd
  mkdir -p "$C"
  # The guest's / is an overlay: its snapshots need a filesystem that can be
  # an overlay's upper layer.
  mount -t tmpfs -o mode=0700 uoci-systemd-containerd "$C"
  containerd_write_config "$C"
  export CONTAINERD_ADDRESS=$C/containerd.sock CONTAINERD_NAMESPACE=uoci-systemd
  containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 </dev/null &
  echo $! >"$C/containerd.pid"
  retry 30 ctr version >/dev/null 2>&1 || { cat "$C/containerd.log" >&2; return 1; }
  c images import "$IMAGE_TAR" >/dev/null
}

c() { timeout 60 ctr "$@"; }
# The shim's options BinaryName and SystemdCgroup, per container.
CTR_RUN=(run --runc-binary "$UOCI" --runc-systemd-cgroup)
task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
has_status() { [ "$(task_status "$1")" = "$2" ]; }
task_pid() { c task ls | awk -v id="$1" '$1 == id {print $2}'; }

@test "containerd runc.v2 shim with SystemdCgroup: output and exit status" {
  run c "${CTR_RUN[@]}" --cgroup "machine.slice:uoci-ctr:sd-echo" --rm "$IMAGE" sd-echo sh -c 'echo hello-shim; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = hello-shim ]
  [ "$(unit_prop uoci-ctr-sd-echo.scope LoadState)" = not-found ]
}

@test "containerd: the task is in its scope with the limit as a property; delete removes it" {
  unit=uoci-ctr-sd-main.scope
  c "${CTR_RUN[@]}" --cgroup "machine.slice:uoci-ctr:sd-main" -d --null-io --memory-limit 67108864 \
    "$IMAGE" sd-main sh -c 'trap "exit 143" TERM; while :; do sleep 0.2; done'
  retry 10 has_status sd-main RUNNING
  pid=$(task_pid sd-main)
  [ "$(cat "/proc/$pid/cgroup")" = "0::/machine.slice/$unit" ]
  [ "$(unit_prop $unit ActiveState)" = active ]
  [ "$(unit_prop $unit Delegate)" = yes ]
  [ "$(unit_prop $unit MemoryMax)" = 67108864 ]
  # the shim reads the stats from the scope's cgroup
  run c task metrics sd-main
  [ "$status" -eq 0 ]
  [[ "$output" == *memory* ]]
  c task kill sd-main
  retry 10 has_status sd-main STOPPED
  run c task delete sd-main
  [ "$status" -eq 0 ]
  [[ "$output" == *"exit code 143"* ]]
  c container delete sd-main
  [ "$(unit_prop $unit LoadState)" = not-found ]
  [ ! -e "/sys/fs/cgroup/machine.slice/$unit" ]
}

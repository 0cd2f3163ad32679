#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Real servers from a Debian root filesystem (docs/ENGINES.md "Real servers"):
# systemd as the container's PID 1, through ulysses-oci directly and through
# podman --systemd=always. The rootfs is not made here (nothing is
# downloaded): point ULYSSES_SERVER_ROOTFS at a directory made with
#   mmdebstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm DIR
# Without it (or without podman for the podman tests) every test skips.
# The rootfs is never written: containers see it through an overlay in the
# sandbox of helpers.bash (ulysses-oci) or podman's `--rootfs DIR:O`.
load helpers

# containers of this file go under one cgroup parent, removed at the end
CR=(--cgroup-parent "/$CGNAME")

setup_file() {
  export SERVER_ROOTFS=${ULYSSES_SERVER_ROOTFS:-} SERVERS_SKIP=""
  if [ -z "$SERVER_ROOTFS" ] || [ ! -x "$SERVER_ROOTFS/lib/systemd/systemd" ]; then
    SERVERS_SKIP="ULYSSES_SERVER_ROOTFS is not a Debian rootfs with systemd (see the head of this file)"
    return 0
  fi
  SERVER_ROOTFS=$(readlink -f "$SERVER_ROOTFS")
  podman_setup_file servers
  [ -z "$CLIENTS_MISSING" ] || return 0
  # the overlay for ulysses-oci's own bundle: in the sandbox's mount namespace only
  mkdir -p "$CWORK/sysd/rootfs" "$CWORK/upper" "$CWORK/work" "$CWORK/state"
  in_sandbox mount -t overlay -o "lowerdir=$SERVER_ROOTFS,upperdir=$CWORK/upper,workdir=$CWORK/work" \
    uoci-servers "$CWORK/sysd/rootfs"
}

teardown_file() {
  [ -z "$SERVERS_SKIP" ] || return 0
  [ -n "${CWORK:-}" ] && [ -z "${CLIENTS_MISSING:-}" ] && in_sandbox "$UOCI" --root "$CWORK/state" delete -f sysd >/dev/null 2>&1
  podman_teardown_file
}

setup() {
  [ -z "$SERVERS_SKIP" ] || skip "$SERVERS_SKIP"
  [ -z "$CLIENTS_MISSING" ] || skip "not installed:$CLIENTS_MISSING"
}

u() { in_sandbox "$UOCI" --root "$CWORK/state" "$@"; }
sysd_stopped() { [ "$(u state sysd | jq -r .status)" = stopped ]; }

# booted EXEC...: systemd in the container (EXEC... runs a command in it) is
# up: its private bus socket answers, the boot ends in "running", systemctl
# reads a unit, and systemd-run makes a transient service in a cgroup of its own.
booted() {
  retry 60 "$@" test -S /run/systemd/private
  run "$@" timeout 90 systemctl is-system-running --wait
  echo "is-system-running: $output"
  [ "$output" = running ] || { "$@" systemctl --no-pager --failed; return 1; }
  run "$@" systemctl show -P ActiveState systemd-journald.service
  [ "$output" = active ]
  run "$@" systemd-run --quiet --wait --pipe --unit uoci-probe cat /proc/self/cgroup
  echo "systemd-run: $output"
  [ "$status" -eq 0 ]
  [[ $output == *"/system.slice/uoci-probe.service"* ]]
}

@test "systemd as PID 1 (ulysses-oci run): boots to running, systemctl works, SIGRTMIN+3 halts it" {
  local B=$CWORK/sysd
  "$UOCI" spec --bundle "$B" --rootfs rootfs --no-read-only --no-tty --args /sbin/init -e container=oci \
    --cap-add ALL --cap-drop SYS_RESOURCE --tmpfs /run:mode=0755 --tmpfs /run/lock:mode=1777 --tmpfs /tmp:mode=1777
  jq --arg cg "/$CGNAME/sysd" '.linux.cgroupsPath = $cg
      | (.mounts[] | select(.type == "cgroup") | .options) |= map(select(. != "ro"))' \
    "$B/config.json" >"$B/c.json" && mv "$B/c.json" "$B/config.json"
  u run -d --bundle "$B" sysd </dev/null >/dev/null 2>&1
  booted u exec sysd
  u kill sysd RTMIN+3
  retry 60 sysd_stopped
  u delete sysd
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/$CGNAME/sysd")" ]
}

@test "podman --systemd=always --runtime ulysses-oci: systemd boots to running, podman stop halts it, exit 0" {
  pod run -d --name sysd "${CR[@]}" --systemd=always --rootfs "$SERVER_ROOTFS:O" /sbin/init
  booted pod exec sysd
  run pod exec sysd sh -c 'grep -c " /sys/fs/cgroup/systemd " /proc/self/mountinfo; ls /sys/fs/cgroup'
  echo "$output"
  pod stop -t 60 sysd
  run pod inspect sysd --format '{{.State.Status}} {{.State.ExitCode}}'
  [ "$output" = "exited 0" ]
  pod rm sysd
}

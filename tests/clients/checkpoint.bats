#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# podman container checkpoint / restore with ulysses-oci as the runtime: an
# engine driving our checkpoint and restore (conmon passes its own pipes to
# restore, podman keeps the images in the container's directory or exports
# them). Needs a kernel CRIU works on: the `vm` suite runs this file in its
# checkpoint guest (VM_SUITE=checkpoint); elsewhere it is skipped with the
# reason `criu check` gives.
load helpers

setup_file() {
  export CRIU_SKIP=""
  CRIU_SKIP=$("$SRCDIR/tests/helpers/criu-check.sh") || true
  [ -z "$CRIU_SKIP" ] || return 0
  podman_setup_file podman-cr
}

teardown_file() {
  [ -n "${CRIU_SKIP:-}" ] || podman_teardown_file
}

setup() {
  [ -z "$CRIU_SKIP" ] || skip "$CRIU_SKIP"
  [ -z "$CLIENTS_MISSING" ] || skip "not installed:$CLIENTS_MISSING"
}

CR=(--cgroup-parent "/$CGNAME")
COUNTER='i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'

# last_logged NAME: the last number the container's counter logged.
last_logged() { pod logs "$1" 2>/dev/null | tail -n 1; }

# wait_logged NAME N: until NAME's counter has logged more than N.
wait_logged() {
  local i
  for i in $(seq 150); do
    [ "$(last_logged "$1")" -gt "$2" ] 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$1 did not log past $2 (last: $(last_logged "$1"))" >&2
  return 1
}

@test "podman container checkpoint, then restore: the counter goes on where it was" {
  pod run -d --name crc "${CR[@]}" "$IMAGE" sh -c "$COUNTER"
  wait_logged crc 3
  pod container checkpoint crc
  [ "$(pod inspect -f '{{.State.Status}}' crc)" = exited ]
  n=$(last_logged crc)
  pod container restore crc
  [ "$(pod inspect -f '{{.State.Status}}' crc)" = running ]
  pid=$(pod inspect -f '{{.State.Pid}}' crc)
  [ "$pid" -gt 0 ]
  wait_logged crc $((n + 5))
  # the log goes on from the checkpoint: no restart at 0
  pod logs crc | awk 'NR - 1 != $1 { print "line " NR ": " $0; bad = 1 } END { exit bad }'
  run pod exec crc echo exec-after-restore
  [ "$output" = exec-after-restore ]
  pod rm -f -t 0 crc
}

@test "podman checkpoint --export, restore --import under a new name; --leave-running" {
  pod run -d --name crx "${CR[@]}" "$IMAGE" sh -c "$COUNTER"
  wait_logged crx 3
  pod container checkpoint --leave-running --export "$CWORK/crx.tar.gz" crx
  [ "$(pod inspect -f '{{.State.Status}}' crx)" = running ]
  [ -s "$CWORK/crx.tar.gz" ]
  pod container restore --import "$CWORK/crx.tar.gz" --name crx2
  [ "$(pod inspect -f '{{.State.Status}}' crx2)" = running ]
  [ "$(pod inspect -f '{{.State.Pid}}' crx2)" != "$(pod inspect -f '{{.State.Pid}}' crx)" ]
  n=$(last_logged crx2)
  wait_logged crx2 $((n + 3))
  pod rm -f -t 0 crx crx2
}

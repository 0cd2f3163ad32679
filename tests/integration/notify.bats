#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# sd_notify pass-through (NOTIFY_SOCKET, notify.h): the container gets a
# socket of its own at /run/notify/notify.sock; start/run forward its READY=
# and MAINPID=<init's host pid> to the runtime's NOTIFY_SOCKET, as runc does.
load helpers
source "$SRCDIR/tests/helpers/notify.bash"

setup() {
  setup_bundle true
  c1=n1-$$-$BATS_TEST_NUMBER
  cp "$BUILDDIR/tests/helpers/sdnotify" "$BUNDLE/rootfs/bin/sdnotify"
  HOST_SOCK=$TEST_TMP/host.sock
  GOT=$TEST_TMP/got
  LISTENER=
}

teardown() {
  [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null; [ -n "$LISTENER" ] && wait "$LISTENER" 2>/dev/null
  cleanup_all
}

# A host datagram socket at $HOST_SOCK writing what it gets to $GOT (until
# MAINPID= or 20 s).
listen_host() {
  notify_listen "$HOST_SOCK" "$GOT" --until MAINPID=
}

# wait_got LINE: the listener got LINE (2 s at most)
wait_got() {
  local i
  for i in $(seq 1 200); do grep -qx "$1" "$GOT" && return 0; sleep 0.01; done
  echo "the host socket never got $1; it got: $(cat "$GOT")" >&2
  return 1
}

@test "notify: start returns after the container's READY=1, forwarded with MAINPID" {
  listen_host
  cfg '.process.args = ["sh", "-c", "sleep 1; sdnotify READY=1; exec sleep 100"]'
  NOTIFY_SOCKET=$HOST_SOCK uoci create --bundle "$BUNDLE" $c1
  # the socket's directory is part of the state dir; the socket comes with start
  [ -d "$STATE/$c1/notify" ]
  [ ! -e "$STATE/$c1/notify/notify.sock" ]
  [ ! -s "$GOT" ]
  pid=$(uoci state $c1 | jq -r .pid)
  t0=$(date +%s%N)
  NOTIFY_SOCKET=$HOST_SOCK uoci start $c1
  t1=$(date +%s%N)
  # start waited for the container's sleep 1, and the host had both lines when it returned
  [ $(( (t1 - t0) / 1000000 )) -ge 900 ]
  run cat "$GOT"
  [ "${lines[0]}" = "READY=1" ]
  [ "${lines[1]}" = "MAINPID=$pid" ]
  [ "$(uoci exec $c1 sh -c 'tr "\0" "\n" </proc/1/environ | grep ^NOTIFY_SOCKET=')" = NOTIFY_SOCKET=/run/notify/notify.sock ]
  [ -S "$STATE/$c1/notify/notify.sock" ]
  # the container sees only its own socket, read-only and noexec, never the host's
  run uoci exec $c1 sh -c 'ls /run/notify; grep " /run/notify " /proc/self/mounts'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = notify.sock ]
  [[ "${lines[1]}" == *" ro,"*noexec* ]]
  run uoci exec $c1 sh -c "ls -d '$TEST_TMP' 2>&1"
  [ "$status" -ne 0 ]
  uoci delete -f $c1
  [ ! -e "$STATE/$c1" ]
}

@test "notify: run -d returns after READY; run in the foreground forwards it too" {
  listen_host
  cfg '.process.args = ["sh", "-c", "sleep 0.5; sdnotify READY=1; exec sleep 100"]'
  t0=$(date +%s%N)
  NOTIFY_SOCKET=$HOST_SOCK uoci run -d --bundle "$BUNDLE" $c1 </dev/null
  t1=$(date +%s%N)
  [ $(( (t1 - t0) / 1000000 )) -ge 400 ]
  pid=$(uoci state $c1 | jq -r .pid)
  [ "$(cat "$GOT")" = "READY=1
MAINPID=$pid" ]
  uoci delete -f $c1
  [ ! -e "$STATE/$c1" ]

  wait "$LISTENER" || true
  rm -f "$HOST_SOCK"
  listen_host
  cfg '.process.args = ["sh", "-c", "sdnotify \"STATUS=starting\nREADY=1\"; sleep 0.5; echo done"]'
  NOTIFY_SOCKET=$HOST_SOCK run uoci run --bundle "$BUNDLE" $c1 </dev/null
  [ "$status" -eq 0 ]
  [ "$output" = done ]
  wait_got READY=1
  grep -q '^MAINPID=[0-9][0-9]*$' "$GOT"
  [ ! -e "$STATE/$c1" ]
}

@test "notify: an init that exits before READY ends the wait, nothing is sent" {
  listen_host
  cfg '.process.args = ["true"]'
  NOTIFY_SOCKET=$HOST_SOCK uoci create --bundle "$BUNDLE" $c1
  NOTIFY_SOCKET=$HOST_SOCK timeout 10 "$UOCI" --root "$STATE" start $c1
  wait_status $c1 stopped
  [ ! -s "$GOT" ]
  uoci delete $c1
  [ ! -e "$STATE/$c1" ]
}

@test "notify: without NOTIFY_SOCKET nothing changes" {
  cfg '.process.args = ["sh", "-c", "echo \"[$NOTIFY_SOCKET]\"; grep -c /run/notify /proc/self/mounts"]'
  env -u NOTIFY_SOCKET "$UOCI" --root "$STATE" create --bundle "$BUNDLE" $c1 >/dev/null 2>&1 </dev/null
  [ ! -e "$STATE/$c1/notify" ]
  uoci delete -f $c1
  run env -u NOTIFY_SOCKET "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  [ "${lines[0]}" = "[]" ]
  [ "${lines[1]}" = 0 ]
  [ ! -e "$STATE/$c1" ]
}

@test "notify: a bad NOTIFY_SOCKET is one clear line and leaves nothing behind" {
  cfg '.process.args = ["sh", "-c", "sdnotify READY=1; exec sleep 100"]'
  NOTIFY_SOCKET=relative/path run uoci create --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *'NOTIFY_SOCKET "relative/path": not an absolute path'* ]]
  [ ! -e "$STATE/$c1" ]
  # nobody listens on the host: start says so, the container runs on (runc)
  NOTIFY_SOCKET=$TEST_TMP/nobody.sock uoci create --bundle "$BUNDLE" $c1
  NOTIFY_SOCKET=$TEST_TMP/nobody.sock run uoci start $c1
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"NOTIFY_SOCKET $TEST_TMP/nobody.sock: send READY"* ]]
  uoci delete -f $c1
  [ ! -e "$STATE/$c1" ]
  # run -d: the container is destroyed
  NOTIFY_SOCKET=$TEST_TMP/nobody.sock run uoci run -d --bundle "$BUNDLE" $c1 </dev/null
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [ ! -e "$STATE/$c1" ]
}

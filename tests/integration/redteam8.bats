#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# redteam8.bats - red-team round of session 8 (docs/SECURITY.md): hostile
# checkpoint images, container files and peers, each run through the CLI.
# Every case must end in one line and a non-zero exit (or hold) within
# seconds: never a hang, a crash or a leaked fd.

load helpers

teardown() { cleanup_all; }

@test "restore: a descriptors.json nested 400000 deep, a FIFO or a link to /dev/zero is one line, not a crash or a hang" {
  setup_bundle sleep 30
  IMG=$TEST_TMP/img
  mkdir "$IMG"
  touch "$IMG/inventory.img"
  python3 -c 'import sys; n = 400000; sys.stdout.write("[" * n + "]" * n)' >"$IMG/descriptors.json"
  run timeout 20 "$UOCI" --root "$STATE" restore --image-path "$IMG" --bundle "$BUNDLE" c1
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"descriptors.json: not a JSON array"* ]]
  [ ! -e "$STATE/c1" ]
  rm "$IMG/descriptors.json"
  mkfifo "$IMG/descriptors.json"
  run timeout 20 "$UOCI" --root "$STATE" restore --image-path "$IMG" --bundle "$BUNDLE" c1
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"descriptors.json: not a regular file"* ]]
  rm "$IMG/descriptors.json"
  ln -s /dev/zero "$IMG/descriptors.json"
  run timeout 20 "$UOCI" --root "$STATE" restore --image-path "$IMG" --bundle "$BUNDLE" c1
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"descriptors.json: not a regular file"* ]]
  [ ! -e "$STATE/c1" ]
}

@test "additionalGids: 40 and 65536 groups reach the process (musl's NGROUPS_MAX is 32, the kernel's 65536); 65537 are refused" {
  setup_bundle sh -c 'id -G | wc -w'
  cfg '.process.user.additionalGids = [range(100; 140)]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [ "$output" = 41 ]
  cfg '.process.user.additionalGids = [range(100; 65636)]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [ "$output" = 65537 ] # gid 0 and the 65536
  cfg '.process.user.additionalGids = [range(100; 65637)]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 1 ]
  [ "$output" = 'ulysses-oci: config.json: .process.user.additionalGids: 65537 groups, at most 65536' ]
  [ ! -e "$STATE/c1" ]
}

@test "exec.fifo: an image /proc (no procfs mounted) with files at /proc/self/fd/N neither starts the process at create nor hangs start" {
  setup_bundle sh -c 'echo ran >/ran'
  cfg '.root.readonly = false | .mounts |= map(select(.destination != "/proc"))'
  mkdir -p "$BUNDLE/rootfs/proc/self/fd"
  local n
  for n in $(seq 3 40); do : >"$BUNDLE/rootfs/proc/self/fd/$n"; done
  uoci create --bundle "$BUNDLE" c1 </dev/null
  # (before: the init wrote the start byte into one of those files and ran)
  sleep 0.3
  [ ! -e "$BUNDLE/rootfs/ran" ]
  [ "$(uoci state c1 | jq -r .status)" = created ]
  run timeout 10 "$UOCI" --root "$STATE" start c1
  [ "$status" -eq 0 ]
  wait_status c1 stopped
  [ "$(cat "$BUNDLE/rootfs/ran")" = ran ]
  [ -z "$(cat "$BUNDLE"/rootfs/proc/self/fd/*)" ]
}

@test "--root others can write: an exec.fifo replaced by a link to a host FIFO is not read by start" {
  setup_bundle true
  uoci create --bundle "$BUNDLE" c1 </dev/null
  mkfifo "$TEST_TMP/hostfifo"
  exec 7<>"$TEST_TMP/hostfifo"
  printf X >&7
  rm "$STATE/c1/exec.fifo"
  ln -s "$TEST_TMP/hostfifo" "$STATE/c1/exec.fifo"
  run timeout 10 "$UOCI" --root "$STATE" start c1
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"open exec.fifo: "* ]] # ELOOP (musl: "Symbolic link loop")
  # the host FIFO's byte is still there
  [ "$(timeout 5 dd bs=1 count=1 <&7 2>/dev/null)" = X ]
  exec 7<&-
}

@test "hooks: a timeout of 0 or -1 is refused (runtime-spec: greater than zero), not taken as none" {
  setup_bundle true
  local t
  for t in 0 -1; do
    cfg ".hooks = {\"prestart\": [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"30\"], \"timeout\": $t}]}"
    run timeout 10 "$UOCI" --root "$STATE" run --bundle "$BUNDLE" c1
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [ "$output" = "ulysses-oci: prestart hook /bin/sleep: timeout must be greater than zero, got $t" ]
    [ ! -e "$STATE/c1" ]
  done
}

@test "restore: an imported checkpoint's restore.log or stats-restore linked to a host file is not written through" {
  grep -q '^#define HAVE_CRIU 1' "${BUILDDIR:-$SRCDIR}/config.h" || skip "built without CRIU"
  command -v criu >/dev/null || [ -x /usr/sbin/criu ] || skip "criu is not installed"
  setup_bundle sleep 30
  IMG=$TEST_TMP/img
  mkdir "$IMG"
  touch "$IMG/inventory.img"
  echo '["pipe:[1]"]' >"$IMG/descriptors.json"
  echo keep >"$TEST_TMP/victim1"
  echo keep >"$TEST_TMP/victim2"
  ln -s "$TEST_TMP/victim1" "$IMG/restore.log"
  ln -s "$TEST_TMP/victim2" "$IMG/stats-restore"
  # (CRIU runs and fails here, or restores nothing: either way its log is written)
  run timeout 60 "$UOCI" --root "$STATE" restore --image-path "$IMG" --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [ "$(cat "$TEST_TMP/victim1")" = keep ]
  [ "$(cat "$TEST_TMP/victim2")" = keep ]
  [ -f "$IMG/restore.log" ]
  [ ! -L "$IMG/restore.log" ]
  [ ! -e "$STATE/c1" ]
}

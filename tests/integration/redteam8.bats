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
  [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"descriptors.json: not a JSON array"* ]]
  [ ! -e "$STATE/c1" ]
  rm "$IMG/descriptors.json"
  mkfifo "$IMG/descriptors.json"
  run timeout 20 "$UOCI" --root "$STATE" restore --image-path "$IMG" --bundle "$BUNDLE" c1
  [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"descriptors.json: not a regular file"* ]]
  rm "$IMG/descriptors.json"
  ln -s /dev/zero "$IMG/descriptors.json"
  run timeout 20 "$UOCI" --root "$STATE" restore --image-path "$IMG" --bundle "$BUNDLE" c1
  [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"descriptors.json: not a regular file"* ]]
  [ ! -e "$STATE/c1" ]
}

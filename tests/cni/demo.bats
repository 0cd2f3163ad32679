#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# bundles/network-demo.sh works as the README says, and leaves no netns behind.

@test "the network demo: ping between containers and a published port" {
  [ "$(id -u)" = 0 ] || skip "needs root"
  run env UOCI="$UOCI" CNI_BIN="$CNI_BIN_DIR" "$SRCDIR/bundles/network-demo.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"3 packets received"* ]]
  [[ "$output" == *"got: hello from the web container"* ]]
  ! ip netns list | grep -q '^uoci-demo-' || false
}

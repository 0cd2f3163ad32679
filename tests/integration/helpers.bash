# SPDX-License-Identifier: GPL-2.0-or-later
# helpers.bash - shared by the integration tests (bats). Each test gets its
# own state root and bundle under a private temp dir; teardown force-deletes
# whatever the test left and checks nothing stayed behind.
#
#   setup_bundle [CMD...]   make $BUNDLE (busybox rootfs + `spec` config) running CMD
#   cfg 'JQ FILTER'         edit $BUNDLE/config.json in place
#   uoci ARGS...            the runtime with --root $STATE
#   cleanup_all             delete -f every container of this test

UOCI=${UOCI:?UOCI must point to the ulysses-oci binary}
SRCDIR=${SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
ROOTFS_CACHE=${ROOTFS_CACHE:-/var/tmp/ulysses-tests-rootfs}

uoci() { "$UOCI" --root "$STATE" "$@"; }

# A cached busybox rootfs, copied per test (cheap: one static binary + links).
rootfs_template() {
  "$SRCDIR/bundles/mkrootfs.sh" "$ROOTFS_CACHE" >/dev/null
}

setup_bundle() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$BUNDLE"
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
  "$UOCI" spec --bundle "$BUNDLE"
  local args='["true"]'
  [ $# -gt 0 ] && args=$(jq -cn '$ARGS.positional' --args -- "$@")
  cfg ".process.terminal = false | .process.args = $args"
}

cfg() {
  jq "$1" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

cleanup_all() {
  [ -n "${STATE:-}" ] || return 0
  local id
  if [ -d "$STATE" ]; then
    for id in $(ls "$STATE" 2>/dev/null); do
      "$UOCI" --root "$STATE" delete -f "$id" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$TEST_TMP"
}

# wait_status ID STATUS: poll `state` until it reports STATUS (2 s at most).
wait_status() {
  local i
  for i in $(seq 1 200); do
    [ "$(uoci state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
    sleep 0.01
  done
  echo "container $1 never reached $2 (now: $(uoci state "$1" 2>&1))" >&2
  return 1
}

# process_gone PID: the process has exited (gone, or a zombie its new parent
# has not reaped yet: kill -0 still succeeds on those), waiting 2 s at most.
process_gone() {
  local i
  for i in $(seq 1 200); do
    [ -e "/proc/$1" ] || return 0
    grep -qs '^State:[[:space:]]*[ZX]' "/proc/$1/status" && return 0
    sleep 0.01
  done
  echo "process $1 is still running: $(grep -s '^State:' "/proc/$1/status")" >&2
  return 1
}

# The cgroup (v1 memory hierarchy or v2) path a container's init is in.
cgroup_of_pid() {
  local pid=$1
  awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit} $1 == "0" {v2=$3} END {if (v2 != "") print v2}' "/proc/$pid/cgroup"
}

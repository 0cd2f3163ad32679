#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Rootless: a real unprivileged user (created here) runs containers from a
# `spec --rootless` config; state goes under its XDG_RUNTIME_DIR.
load helpers

RL_USER=uoci-rootless

as_user() {
  setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_HOME" XDG_RUNTIME_DIR="$RL_RUN" "$@"
}

setup() {
  id "$RL_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RL_USER"
  TEST_TMP=$(mktemp -d /tmp/uoci-rootless.XXXXXX)
  chmod 755 "$TEST_TMP"
  RL_HOME=$TEST_TMP/home
  RL_RUN=$TEST_TMP/run
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$RL_HOME" "$RL_RUN" "$BUNDLE"
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
  chown -R "$RL_USER:$RL_USER" "$RL_HOME" "$RL_RUN" "$BUNDLE"
  chmod 700 "$RL_RUN"
  c1=rl-$$-$BATS_TEST_NUMBER
}

teardown() {
  for id in $(as_user "$UOCI" list -q 2>/dev/null); do as_user "$UOCI" delete -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$TEST_TMP"
}

rl_cfg() {
  as_user sh -c "jq '$1' '$BUNDLE/config.json' >'$BUNDLE/c.json' && mv '$BUNDLE/c.json' '$BUNDLE/config.json'"
}

@test "spec --rootless: a user namespace mapping the caller to root, no network or cgroup namespace" {
  as_user "$UOCI" spec --rootless --bundle "$BUNDLE"
  uid=$(id -u "$RL_USER")
  jq -e --argjson u "$uid" '.linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]' "$BUNDLE/config.json"
  jq -e '[.linux.namespaces[].type] | (index("user") != null) and (index("network") == null) and (index("cgroup") == null)' "$BUNDLE/config.json"
  jq -e '.linux.resources == null' "$BUNDLE/config.json"
}

@test "an unprivileged user runs a container: root inside, its own uid outside, state in XDG_RUNTIME_DIR" {
  as_user "$UOCI" spec --rootless --bundle "$BUNDLE"
  rl_cfg '.process.terminal = false | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; echo pid=$$"]'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 $(id -u "$RL_USER") 1" ]
  [ "${lines[2]}" = pid=1 ]
  [ -d "$RL_RUN/ulysses-oci" ]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci")" ]
}

@test "rootless create, state, start, kill, delete" {
  as_user "$UOCI" spec --rootless --bundle "$BUNDLE"
  rl_cfg '.process.terminal = false | .process.args = ["sleep", "100"]'
  as_user "$UOCI" create --bundle "$BUNDLE" $c1
  [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = created ]
  [ -d "$RL_RUN/ulysses-oci/$c1" ]
  as_user "$UOCI" start $c1
  [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = running ]
  pid=$(as_user "$UOCI" state $c1 | jq -r .pid)
  [ "$(stat -c %u /proc/$pid)" = "$(id -u "$RL_USER")" ]
  as_user "$UOCI" kill $c1 KILL
  for i in $(seq 100); do [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = stopped ] && break; sleep 0.02; done
  as_user "$UOCI" delete $c1
  [ ! -e "$RL_RUN/ulysses-oci/$c1" ]
}

@test "rootless: mapping ids the user does not own fails clearly and leaves nothing" {
  as_user "$UOCI" spec --rootless --bundle "$BUNDLE"
  rl_cfg '.process.terminal = false | .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"user namespace"* ]]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci" 2>/dev/null)" ]
}

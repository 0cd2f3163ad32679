#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Rootless on cgroup v2 (the tests/vm guest runs it; a v1 host skips it): a
# real unprivileged user (rootless-helpers.bash) whose runtime starts in a
# subtree delegated to it gets the container's cgroup next to its own, with
# limits, pause, ps and exec; outside one, the container runs without a
# cgroup and what needs one says why.
load helpers

RL_USER=uoci-rl-cg
load rootless-helpers

setup_file() { cgroup_v1_host || rl_user_create; }

teardown_file() { rl_user_remove; }

setup() {
  cgroup_v1_host && skip "cgroup v1 host: nothing is delegated"
  rl_setup
}

teardown() {
  cgroup_v1_host && return 0
  rl_teardown
  [ -z "${DELEG:-}" ] || find "$DELEG" -depth -type d -exec rmdir {} \; 2>/dev/null
}

# What systemd's user@.service (Delegate=yes) gives a user: a cgroup it owns,
# with memory and pids for its children, and its session in a leaf of it.
delegate() {
  local sc
  sc=$(cat /sys/fs/cgroup/cgroup.subtree_control)
  [[ " $sc " == *" memory "* && " $sc " == *" pids "* ]] || skip "the root cgroup does not delegate memory and pids"
  DELEG=/sys/fs/cgroup/uoci-rl-deleg-$$
  mkdir "$DELEG" "$DELEG/session"
  chown "$RL_USER:$RL_USER" "$DELEG" "$DELEG/cgroup.procs" "$DELEG/cgroup.subtree_control" \
    "$DELEG/cgroup.threads" "$DELEG/session" "$DELEG/session/cgroup.procs" "$DELEG/session/cgroup.threads"
  echo "+memory +pids" >"$DELEG/cgroup.subtree_control"
}

# CMD... as the user, started in its session cgroup.
in_session() { (echo "$BASHPID" >"$DELEG/session/cgroup.procs" && as_user "$@"); }

@test "rootless on cgroup v2, delegated subtree: the cgroup next to the runtime's, limits, pause, ps, exec" {
  delegate
  rl_bundle sleep 100
  rl_cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
  # (not under `run`: the detached container keeps its stdout, which `run` reads to the end)
  in_session "$UOCI" run -d --bundle "$BUNDLE" $c1 </dev/null >/dev/null
  pid=$(as_user "$UOCI" state $c1 | jq -r .pid)
  [ "$(awk -F: '$1 == "0" {print $3}' /proc/$pid/cgroup)" = "/uoci-rl-deleg-$$/$c1" ]
  [ "$(cat "$DELEG/$c1/memory.max")" = 67108864 ]
  [ "$(cat "$DELEG/$c1/pids.max")" = 20 ]
  as_user "$UOCI" pause $c1
  [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = paused ]
  as_user "$UOCI" resume $c1
  [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = running ]
  run as_user "$UOCI" ps --format json $c1
  [ "$output" = "[$pid]" ]
  run in_session "$UOCI" exec $c1 cat /proc/self/cgroup
  [ "$status" -eq 0 ]
  [ "$output" = "0::/uoci-rl-deleg-$$/$c1" ]
  # exec's first child is cloned straight into the cgroup: at pids.max that
  # fails, the error says where, and no runtime process stays there
  echo 1 >"$DELEG/$c1/pids.max"
  run in_session "$UOCI" exec $c1 true
  [ "$status" -ne 0 ]
  [[ "$output" == *"exec in container \"$c1\": fork into the container's cgroup: Resource temporarily unavailable"* ]]
  [ "$(cat "$DELEG/$c1/cgroup.procs")" = "$pid" ]
  as_user "$UOCI" delete -f $c1
  [ ! -e "$DELEG/$c1" ]
}

@test "rootless on cgroup v2 without delegation: no cgroup; a limit, pause and ps say which cgroup it may not create" {
  rl_bundle sleep 100
  rl_cfg '.linux.resources = {"memory": {"limit": 67108864}}'
  run as_user "$UOCI" run -d --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.resources.memory cannot be applied: this rootless container has no cgroup (no permission to create /sys/fs/cgroup/"*"$c1; run the runtime in a cgroup delegated to the user"* ]]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci" 2>/dev/null)" ]
  rl_cfg 'del(.linux.resources)'
  as_user "$UOCI" run -d --bundle "$BUNDLE" $c1 </dev/null >/dev/null
  run as_user "$UOCI" pause $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot pause: this rootless container has no cgroup (no permission to create"* ]]
  run as_user "$UOCI" ps $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot list the container's processes"* ]]
  run as_user "$UOCI" exec $c1 echo exec-ok
  [ "$status" -eq 0 ]
  [ "$output" = exec-ok ]
}

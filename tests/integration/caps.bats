#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# process.capabilities through the CLI: the five sets the container process
# ends up with (/proc/self/status), what they allow, and name errors.
load helpers

setup() { setup_bundle true; cfg '.root.readonly = false'; }
teardown() { cleanup_all; }

# caps SET... : process.capabilities with bounding/effective/permitted set to
# the given names and inheritable/ambient empty.
caps() {
  local list
  list=$(jq -cn '$ARGS.positional' --args -- "$@")
  cfg ".process.capabilities = {bounding: $list, effective: $list, permitted: $list, inheritable: [], ambient: []}"
}

status_line() { # NAME: the hex value of NAME: in the container's /proc/self/status output
  printf '%s\n' "$output" | awk -v k="$1:" '$1 == k {print $2}'
}

@test "root in the container gets exactly the configured sets" {
  caps CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE   # bits 0, 5, 10
  cfg '.process.args = ["grep", "^Cap", "/proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(status_line CapBnd)" = 0000000000000421 ]
  [ "$(status_line CapEff)" = 0000000000000421 ]
  [ "$(status_line CapPrm)" = 0000000000000421 ]
  [ "$(status_line CapInh)" = 0000000000000000 ]
  [ "$(status_line CapAmb)" = 0000000000000000 ]
}

@test "a dropped capability is really gone: chown needs CAP_CHOWN" {
  cfg '.process.args = ["sh", "-c", "touch /tmp/f && chown 1:1 /tmp/f && echo chown-ok"]'
  caps CAP_KILL
  run uoci run --bundle "$BUNDLE" c1
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" != *"chown-ok"* ]]
  caps CAP_CHOWN
  run uoci run --bundle "$BUNDLE" c2
  [ "$status" -eq 0 ]
  [[ "$output" == *"chown-ok"* ]]
}

@test "a non-root user keeps the ambient set across exec" {
  cfg '.process.user = {"uid": 65534, "gid": 65534}'
  cfg '.process.capabilities = {
    bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_NET_RAW"],
    effective: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
    permitted: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
    inheritable: ["CAP_NET_BIND_SERVICE"],
    ambient: ["CAP_NET_BIND_SERVICE"]}'
  cfg '.process.args = ["grep", "^Cap", "/proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(status_line CapBnd)" = 0000000000002420 ]   # NET_RAW 13, NET_BIND_SERVICE 10, KILL 5
  [ "$(status_line CapAmb)" = 0000000000000400 ]
  [ "$(status_line CapEff)" = 0000000000000400 ]
  [ "$(status_line CapPrm)" = 0000000000000400 ]
  [ "$(status_line CapInh)" = 0000000000000400 ]
}

@test "an ambient capability that is not inheritable is skipped with a warning in runc's words, not fatal" {
  cfg '.process.user = {"uid": 65534, "gid": 65534}'
  cfg '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"], inheritable: [], ambient: ["CAP_KILL"]}'
  cfg '.process.args = ["grep", "^Cap", "/proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(status_line CapAmb)" = 0000000000000000 ]
  [ "$(status_line CapEff)" = 0000000000000000 ]
  [[ "$output" == *"warning: process.capabilities.ambient: can't raise ambient capability CAP_KILL: not in the inheritable set"* ]]
  # root: the inheritable one raised, the other named (runc's capabilities.bats)
  cfg 'del(.process.user) | .process.capabilities = {bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL", "CAP_CHOWN"],
       permitted: ["CAP_KILL", "CAP_CHOWN"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL", "CAP_CHOWN"]}'
  run uoci run --bundle "$BUNDLE" c2
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(status_line CapAmb)" = 0000000000000020 ]
  [[ "$output" == *"can't raise ambient capability CAP_CHOWN: "* ]]
  [[ "$output" != *"ambient capability CAP_KILL"* ]]
}

@test "exec --cap: ambient too when the process has an inheritable set (runc 1.2+), else not" {
  cfg '.process.args = ["sleep", "100"] | .process.capabilities = {bounding: ["CAP_KILL", "CAP_CHOWN", "CAP_SYSLOG"],
       effective: ["CAP_KILL"], permitted: ["CAP_KILL", "CAP_CHOWN"], inheritable: ["CAP_CHOWN", "CAP_SYSLOG"],
       ambient: ["CAP_CHOWN"]}'
  uoci run -d --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1
  run uoci exec --cap CAP_SYSLOG c1 grep ^Cap /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(status_line CapAmb)" = 0000000400000001 ]   # SYSLOG 34, CHOWN 0
  [ "$(status_line CapEff)" = 0000000400000021 ]
  cfg 'del(.process.capabilities.inheritable, .process.capabilities.ambient)'
  uoci run -d --bundle "$BUNDLE" c2 </dev/null >/dev/null 2>&1
  run uoci exec --cap CAP_SYSLOG c2 grep ^Cap /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(status_line CapAmb)" = 0000000000000000 ]
  [[ "$output" != *"warning"* ]]
}

@test "without process.capabilities a non-root process has no capabilities" {
  cfg 'del(.process.capabilities) | .process.user = {"uid": 65534, "gid": 65534}'
  cfg '.process.args = ["grep", "^CapEff", "/proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [ "$(status_line CapEff)" = 0000000000000000 ]
}

@test "noNewPrivileges sets NoNewPrivs" {
  cfg '.process.noNewPrivileges = true | .process.args = ["grep", "^NoNewPrivs", "/proc/self/status"]'
  run uoci run --bundle "$BUNDLE" c1
  [ "$status" -eq 0 ]
  [ "$(status_line NoNewPrivs)" = 1 ]
  cfg '.process.noNewPrivileges = false'
  run uoci run --bundle "$BUNDLE" c2
  [ "$(status_line NoNewPrivs)" = 0 ]
}

@test "an unknown capability name is a warning naming it; the rest applies (runtime-spec 1.1+)" {
  cfg '.process.capabilities.effective += ["CAP_FOO"] | .process.capabilities.bounding += ["cap_kill"]'
  cfg '.process.args = ["echo", "ran"]'
  run uoci run --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'warning: process.capabilities.effective: unknown capability "CAP_FOO" ignored'* ]]
  [[ "$output" == *'process.capabilities.bounding: unknown capability "cap_kill" ignored'* ]]
  [ "${lines[-1]}" = ran ]
}

@test "features lists every capability the kernel has" {
  run uoci features
  [ "$status" -eq 0 ]
  local n
  n=$(echo "$output" | jq '.linux.capabilities | length')
  [ "$n" -eq $(( $(cat /proc/sys/kernel/cap_last_cap) + 1 )) ]
  echo "$output" | jq -e '.linux.capabilities | index("CAP_CHOWN") == 0 and index("CAP_SYS_ADMIN") == 21'
}

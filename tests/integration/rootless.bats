#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Rootless: a real unprivileged user (created here, with subuid/subgid
# ranges, and removed at the end: rootless-helpers.bash) runs containers from
# a `spec --rootless` config, and rootless podman runs them through
# ulysses-oci (the runtime as uid 0 in podman's user namespace). State goes
# under its XDG_RUNTIME_DIR. A subtree delegated on cgroup v2: cgroup-rootless.bats.
load helpers

RL_USER=uoci-rl
load rootless-helpers

setup_file() { rl_user_create; export RL_NETNS=uoci-rl-$$; }

teardown_file() {
  [ -n "${RL_TMP:-}" ] || return 0
  if [ -e "/run/netns/$RL_NETNS" ]; then
    in_netns podman rm -a -f -t 0 >/dev/null 2>&1
    ip netns del "$RL_NETNS" 2>/dev/null
  fi
  rl_user_remove # with podman's pause process (it keeps the user namespace)
}

setup() { rl_setup; }
teardown() { rl_teardown; }

@test "spec --rootless: a user namespace mapping the caller to root, no network or cgroup namespace" {
  as_user "$UOCI" spec --rootless --bundle "$BUNDLE"
  uid=$(id -u "$RL_USER")
  jq -e --argjson u "$uid" '.linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]' "$BUNDLE/config.json"
  jq -e '[.linux.namespaces[].type] | (index("user") != null) and (index("network") == null) and (index("cgroup") == null)' "$BUNDLE/config.json"
  jq -e '.linux.resources == null' "$BUNDLE/config.json"
}

@test "an unprivileged user runs a container: root inside, its own uid outside, state in XDG_RUNTIME_DIR" {
  rl_bundle sh -c 'id -u; cat /proc/self/uid_map; echo pid=$$'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 $(id -u "$RL_USER") 1" ]
  [ "${lines[2]}" = pid=1 ]
  [ -d "$RL_RUN/ulysses-oci" ]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci")" ]
}

@test "rootless create, state, start, kill, delete" {
  rl_bundle sleep 100
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
  rl_bundle true
  rl_cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"user namespace"* ]]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci" 2>/dev/null)" ]
}

@test "rootless exec: enters the container's user namespace first, then its pid namespace" {
  rl_bundle sleep 100
  as_user "$UOCI" run -d --bundle "$BUNDLE" $c1
  init=$(as_user "$UOCI" state $c1 | jq -r .pid)
  run as_user "$UOCI" exec $c1 sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; cat /proc/1/comm'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 $RL_UID 1" ]
  [ "${lines[2]}" = "${lines[3]}" ]
  [ "${lines[2]}" = "$(readlink /proc/$init/ns/pid)" ]
  [ "${lines[4]}" = sleep ]
  run as_user "$UOCI" exec $c1 sh -c 'exit 7'
  [ "$status" -eq 7 ]
  # --detach and --pid-file: the pid is the process's (not a helper's), on the host
  as_user "$UOCI" exec -d --pid-file "$RL_HOME/tmp/exec.pid" $c1 sleep 50
  epid=$(cat "$RL_HOME/tmp/exec.pid")
  [ "$(cat /proc/$epid/comm)" = sleep ]
  [ "$(readlink /proc/$epid/ns/pid)" = "$(readlink /proc/$init/ns/pid)" ]
  [ "$(readlink /proc/$epid/ns/user)" = "$(readlink /proc/$init/ns/user)" ]
  # a failure inside is the process's error, once
  run as_user "$UOCI" exec $c1 /no/such/program
  [ "$status" -ne 0 ]
  [[ "$output" == *"/no/such/program"* ]]
  [ "$(echo "$output" | wc -l)" = 1 ]
}

@test "rootless pause, ps, kill --all, events without a cgroup: the cause (permission), not a silent success" {
  rl_bundle sleep 100
  as_user "$UOCI" run -d --bundle "$BUNDLE" $c1
  run as_user "$UOCI" pause $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot pause: this rootless container has no"*"no permission to create"* ]]
  [[ "$output" != *"not available on this host"* ]]
  [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = running ]
  run as_user "$UOCI" ps $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot list the container's processes: this rootless container has no cgroup"* ]]
  [[ "$output" != *PID* ]]
  run as_user "$UOCI" ps --format json $c1
  [ "$status" -ne 0 ]
  run as_user "$UOCI" kill --all $c1 KILL
  [ "$status" -ne 0 ]
  [[ "$output" == *"no permission to create"* ]]
  run as_user "$UOCI" events --stats $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"no permission to create"* ]]
  [ "$(as_user "$UOCI" state $c1 | jq -r .status)" = running ]
}

@test "rootless: a limit without a cgroup is refused naming the field and the cause, and leaves nothing" {
  rl_bundle true
  rl_cfg '.linux.resources = {"memory": {"limit": 104857600}}'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.resources.memory cannot be applied: this rootless container has no"*"no permission"* ]]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci" 2>/dev/null)" ]
  rl_cfg '.linux.resources = {"pids": {"limit": 10}}'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.resources.pids cannot be applied"* ]]
  # what sets nothing (podman's empty object, device rules, an unset limit) runs
  rl_cfg '.linux.resources = {"memory": {}, "pids": {"limit": 0}, "devices": [{"allow": false, "access": "rwm"}]}'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
}

@test "rootless: an explicit cgroupsPath it may not create is an error, as runc" {
  rl_bundle true
  rl_cfg '.linux.cgroupsPath = "/uoci-rl-explicit"'
  run as_user "$UOCI" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"cgroup: mkdir /sys/fs/cgroup/"*"uoci-rl-explicit: Permission denied"* ]]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci" 2>/dev/null)" ]
}

@test "rootless --systemd-cgroup is refused at once, naming the alternative" {
  rl_bundle true
  run as_user "$UOCI" --systemd-cgroup run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"--systemd-cgroup is not supported rootless"*"cgroupfs"* ]]
  [ -z "$(ls -A "$RL_RUN/ulysses-oci" 2>/dev/null)" ]
}

@test "uid 0 in a user namespace is rootless, with its state under XDG_RUNTIME_DIR (as runc; USER=root keeps /run)" {
  run as_user unshare --user --map-root-user "$UOCI" --debug list
  [ "$status" -eq 0 ]
  [[ "$output" == *"list (root $RL_RUN/ulysses-oci, rootless)"* ]]
  run as_user unshare --user --map-root-user env USER=root "$UOCI" --debug list
  [[ "$output" == *"list (root /run/ulysses-oci, rootless)"* ]]
  # real root: /run/ulysses-oci, not rootless, whatever XDG_RUNTIME_DIR says
  run env XDG_RUNTIME_DIR=/run/user/0 "$UOCI" --debug list
  [[ "$output" == *"list (root /run/ulysses-oci)"* ]]
  run as_user "$UOCI" --rootless=maybe list
  [ "$status" -ne 0 ]
  [[ "$output" == *"--rootless: expected true, false or auto"* ]]
}

@test "not root and no XDG_RUNTIME_DIR: state in /tmp/ulysses-oci-UID, which must be the user's own" {
  local d=/tmp/ulysses-oci-$RL_UID
  rm -rf "$d"
  rl_bundle sleep 100
  no_xdg() { as_user env -u XDG_RUNTIME_DIR "$@"; }
  no_xdg "$UOCI" create --bundle "$BUNDLE" $c1
  [ "$(stat -c '%u %a' "$d")" = "$RL_UID 700" ]
  [ -d "$d/$c1" ]
  no_xdg "$UOCI" delete -f $c1
  rm -rf "$d"
  # made by someone else first (another user could plant state and configs)
  mkdir -m 0777 "$d"
  run no_xdg "$UOCI" list
  [ "$status" -ne 0 ]
  [[ "$output" == *"state root $d: owned by uid 0"*"not a private directory"* ]]
  rmdir "$d"
  ln -s /tmp "$d"
  run no_xdg "$UOCI" list
  [ "$status" -ne 0 ]
  [[ "$output" == *"is a symbolic link"* ]]
  rm -f "$d"
  # spec needs no state root
  no_xdg "$UOCI" spec --rootless --bundle "$RL_HOME/tmp"
  [ ! -e "$d" ]
}

# ---- rootless podman driving ulysses-oci ------------------------------------

# Every podman command runs as the user in one network namespace of ours
# (nsenter: `ip netns exec` would remount /sys without its cgroups), so
# the published port and slirp4netns stay out of the host's.
in_netns() {
  nsenter --net="/run/netns/$RL_NETNS" setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" \
    XDG_RUNTIME_DIR="$RL_RUN" TMPDIR="$RL_HOME/tmp" CONTAINERS_CONF="$RL_HOME/containers.conf" \
    CONTAINERS_STORAGE_CONF="$RL_HOME/storage.conf" CONTAINERS_REGISTRIES_CONF="$RL_HOME/registries.conf" "$@"
}

IMAGE=localhost/ulysses-tests/busybox:latest

# The user's podman, its private configuration and the image, once.
podman_setup() {
  command -v podman >/dev/null && command -v slirp4netns >/dev/null && command -v newuidmap >/dev/null ||
    skip "podman, slirp4netns or uidmap not installed"
  [ -c /dev/net/tun ] || skip "no /dev/net/tun for slirp4netns"
  [ -e "$RL_HOME/image-loaded" ] && return 0
  ip netns add "$RL_NETNS"
  ip -n "$RL_NETNS" link set lo up
  cat >"$RL_HOME/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  cat >"$RL_HOME/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$RL_HOME/storage"
runroot = "$RL_RUN/containers"
EOF
  : >"$RL_HOME/registries.conf"
  SRCDIR=$SRCDIR "$SRCDIR/tests/clients/mkimage.sh" "$RL_HOME/image" >/dev/null 2>&1
  chown -R "$RL_USER:$RL_USER" "$RL_HOME"
  in_netns podman load -q -i "$RL_HOME/image/busybox-oci.tar" >/dev/null
  touch "$RL_HOME/image-loaded"
}

pod() {
  in_netns podman --runtime "$UOCI" "$@"
}

@test "rootless podman: run, output and exit status through ulysses-oci as uid 0 in podman's user namespace" {
  podman_setup
  run pod run --rm "$IMAGE" sh -c 'echo hello-rootless; id -u'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = hello-rootless ]
  [ "${lines[1]}" = 0 ]
  run pod run --rm "$IMAGE" sh -c 'exit 3'
  [ "$status" -eq 3 ]
  run pod info --format '{{.Host.OCIRuntime.Path}} {{.Host.Security.Rootless}}'
  [ "$output" = "$UOCI true" ]
}

@test "rootless podman: exec in a running container, with its exit status" {
  podman_setup
  pod run -d --name rl-exec "$IMAGE" sleep 100
  run pod exec rl-exec sh -c 'echo in-exec; cat /proc/1/comm'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = in-exec ]
  [ "${lines[1]}" = sleep ]
  run pod exec rl-exec sh -c 'exit 4'
  [ "$status" -eq 4 ]
  # --userns=keep-id: a user namespace of the container's own, which exec enters first
  pod run -d --name rl-keepid --userns=keep-id "$IMAGE" sleep 100
  run pod exec rl-keepid id -u
  [ "$status" -eq 0 ]
  [ "$output" = "$RL_UID" ]
  pod rm -f -t 0 rl-exec rl-keepid
}

@test "rootless podman: a published port reaches the container through slirp4netns" {
  podman_setup
  # (busybox wget -T crashes: timeout(1) bounds it instead)
  pod run -d --name rl-web -p 18080:80 "$IMAGE" \
    sh -c 'mkdir -p /tmp/w && echo hello-port >/tmp/w/index.html && exec httpd -f -p 80 -h /tmp/w'
  local out=""
  for _ in $(seq 50); do
    out=$(nsenter --net="/run/netns/$RL_NETNS" timeout 5 busybox wget -q -O- http://127.0.0.1:18080/ 2>/dev/null) && break
    sleep 0.2
  done
  [ "$out" = hello-port ]
  pod rm -f -t 0 rl-web
}

@test "rootless podman: run -it on a terminal (script)" {
  podman_setup
  command -v script >/dev/null || skip "script(1) not installed"
  # script's stdin must stay open, as a user's terminal does. At EOF on its
  # stdin script(1) writes an EOF character into podman's terminal, racing
  # podman's start-up: mostly it reaches the container's terminal (echoed as
  # ^@ in the output), but in 2 of 20 runs under load (runc as the runtime
  # too) the run ended with status 5 and no output at all -- read, we think,
  # as end of input by podman before the container ran. A FIFO this test holds
  # open is a stdin that never ends (0 of 45), and leaves no process behind.
  mkfifo "$TEST_TMP/stdin"
  exec 7<>"$TEST_TMP/stdin"
  run in_netns script -qec "podman --runtime $UOCI run -it --rm $IMAGE sh -c 'tty; [ -t 0 ] && echo stdin-tty; exit 5'" /dev/null <&7 7<&-
  exec 7<&-
  [ "$status" -eq 5 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *stdin-tty* ]]
}

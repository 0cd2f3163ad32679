#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# `spec` options: the JSON they write (checked with jq), their one-line errors
# (nothing written), and that the configs they write run as asked.
load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$BUNDLE"
  CID=spec$$x$BATS_TEST_NUMBER
}

teardown() {
  cleanup_all
}

with_rootfs() {
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
}

j() { jq -c "$1" "$BUNDLE/config.json"; }

is_v2() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

@test "spec: without options the default config (sh on a terminal, read-only root)" {
  uoci spec --bundle "$BUNDLE"
  [ "$(j .process.args)" = '["sh"]' ]
  [ "$(j .process.terminal)" = true ]
  [ "$(j .root)" = '{"path":"rootfs","readonly":true}' ]
  [ "$(j .annotations)" = null ]
  [ "$(j .linux.resources.memory)" = null ]
}

@test "spec: a cgroup namespace by default only on a cgroup v2 host (runc's and crun's spec)" {
  uoci spec --bundle "$BUNDLE"
  types=$(j '[.linux.namespaces[].type]')
  echo "$types"
  if is_v2; then
    [ "$types" = '["pid","network","ipc","uts","mount","cgroup"]' ]
  else
    # runc's tests on v1 add one themselves (`namespaces += [{"type":"cgroup"}]`)
    [ "$types" = '["pid","network","ipc","uts","mount"]' ]
  fi
}

@test "spec: every option lands in its config field" {
  mkdir "$TEST_TMP/vol" "$BUNDLE/myroot"
  uoci spec --bundle "$BUNDLE" --rootfs myroot --args "sh -c 'echo \"a b\"; true'" --arg extra \
    -v "$TEST_TMP/vol:/data" --volume "$TEST_TMP/vol/:/ro:ro" --memory 64m --cpus 1.5 --pids-limit 42 \
    --hostname web-1.example --network mynet -p 8080:80 --publish 5353:53/udp --no-tty \
    -e FOO=bar --env PATH=/bin --no-read-only
  [ "$(j .root)" = '{"path":"myroot","readonly":false}' ]
  [ "$(j .process.args)" = '["sh","-c","echo \"a b\"; true","extra"]' ]
  [ "$(j .process.terminal)" = false ]
  [ "$(j '.process.env | index("FOO=bar") != null')" = true ]
  [ "$(j '[.process.env[] | select(startswith("PATH="))]')" = '["PATH=/bin"]' ]
  [ "$(j '.mounts[-2]')" = "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_TMP/vol\",\"options\":[\"rbind\",\"rprivate\"]}" ]
  [ "$(j '.mounts[-1].options')" = '["rbind","rprivate","ro"]' ]
  [ "$(j '.mounts[-1].source')" = "\"$TEST_TMP/vol\"" ]
  [ "$(j .linux.resources.memory.limit)" = 67108864 ]
  [ "$(j .linux.resources.cpu)" = '{"quota":150000,"period":100000}' ]
  [ "$(j .linux.resources.pids.limit)" = 42 ]
  [ "$(j .hostname)" = '"web-1.example"' ]
  [ "$(j '.annotations["org.ulysses.network"]')" = '"mynet"' ]
  [ "$(j '.annotations["org.ulysses.ports"]')" = '"8080:80/tcp,5353:53/udp"' ]
  [ "$(j '[.linux.namespaces[].type] | index("network") != null')" = true ]
}

@test "spec: size suffixes and cpu fractions" {
  for m in "1024:1024" "2k:2048" "3KB:3072" "5m:5242880" "1g:1073741824" "1GiB:1073741824" "2t:2199023255552"; do
    rm -f "$BUNDLE/config.json"
    uoci spec --bundle "$BUNDLE" --memory "${m%%:*}"
    [ "$(j .linux.resources.memory.limit)" = "${m#*:}" ]
  done
  for c in "0.01:1000" "0.5:50000" "2:200000" ".25:25000" "1.123456:112345"; do
    rm -f "$BUNDLE/config.json"
    uoci spec --bundle "$BUNDLE" --cpus "${c%%:*}"
    [ "$(j .linux.resources.cpu.quota)" = "${c#*:}" ]
  done
}

@test "spec: --network host drops the network namespace, none keeps it without annotations" {
  uoci spec --bundle "$BUNDLE" --network host
  [ "$(j '[.linux.namespaces[].type] | index("network")')" = null ]
  [ "$(j .annotations)" = null ]
  rm "$BUNDLE/config.json"
  uoci spec --bundle "$BUNDLE" --rootless --network none
  [ "$(j '[.linux.namespaces[].type] | index("network") != null')" = true ]
  [ "$(j .annotations)" = null ]
}

@test "spec: --rootless combines with the other options" {
  uoci spec --bundle "$BUNDLE" --rootless --args "id -u" --hostname r1 --no-tty
  [ "$(j '[.linux.namespaces[].type] | index("user") != null')" = true ]
  [ "$(j .process.args)" = '["id","-u"]' ]
  [ "$(j .hostname)" = '"r1"' ]
}

@test "spec: a bad value is one line naming the flag, and nothing is written" {
  bad=(
    "--memory|--memory 0" "--memory|--memory 12x" "--memory|--memory -5" "--memory|--memory 99999999999t"
    "--cpus|--cpus abc" "--cpus|--cpus 0.001" "--cpus|--cpus -1" "--pids-limit|--pids-limit 0"
    "--pids-limit|--pids-limit x" "--hostname|--hostname -bad" "--hostname|--hostname a..b"
    "--network|--network a/b" "--publish|-p 80 --network n" "--publish|-p 1:70000 --network n"
    "--publish|-p 80:80/icmp --network n" "--publish|-p 80:80" "--volume|-v /nonexistent-uoci:/x"
    "--volume|-v /tmp:relative" "--volume|-v /tmp:/x:rx" "--volume|-v /tmp" "--args|--args ''"
    "--args|--args 'a \"b'" "--env|-e NOEQUALS" "--rootfs|--rootfs nope" "--network|--network n --rootless"
    "--bogus|--bogus" "--memory|--memory"
  )
  for b in "${bad[@]}"; do
    flag=${b%%|*}
    eval "set -- ${b#*|}"
    run "$UOCI" --root "$STATE" spec --bundle "$BUNDLE" "$@"
    echo "$b -> $status: $output"
    [ "$status" = 1 ]
    [ "${#lines[@]}" = 1 ]
    [[ $output == *"$flag"* ]]
    [ ! -e "$BUNDLE/config.json" ]
  done
}

@test "spec: an existing config.json is not overwritten" {
  echo '{}' >"$BUNDLE/config.json"
  run "$UOCI" spec --bundle "$BUNDLE" --memory 1m
  [ "$status" = 1 ]
  [[ $output == *"already exists"* ]]
  [ "$(cat "$BUNDLE/config.json")" = '{}' ]
}

@test "spec: the written config runs with its limits in the container's cgroup files" {
  with_rootfs
  if is_v2; then
    files="/sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max"
    want=$'33554432\n42\n50000 100000'
  else
    files="/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us"
    want=$'33554432\n42\n50000\n100000'
  fi
  uoci spec --bundle "$BUNDLE" --no-tty --memory 32m --pids-limit 42 --cpus 0.5 --args "cat $files"
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$status" = 0 ]
  [ "$output" = "$want" ]
}

@test "spec: hostname, env, args and volumes as the container sees them" {
  with_rootfs
  mkdir "$TEST_TMP/rw" "$TEST_TMP/ro"
  echo original >"$TEST_TMP/ro/file"
  uoci spec --bundle "$BUNDLE" --no-tty --hostname box1 -e GREETING="hello world" \
    -v "$TEST_TMP/rw:/rw" -v "$TEST_TMP/ro:/ro:ro" \
    --args "sh -c 'hostname; echo \$GREETING; echo written >/rw/out; cat /ro/file; echo x >/ro/file || echo ro-refused'"
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$status" = 0 ]
  [ "${lines[0]}" = box1 ]
  [ "${lines[1]}" = "hello world" ]
  [ "${lines[2]}" = original ]
  [ "${lines[-1]}" = ro-refused ]
  [ "$(cat "$TEST_TMP/rw/out")" = written ]
  [ "$(cat "$TEST_TMP/ro/file")" = original ]
}

@test "spec: --network none gives only lo; --network host the host's namespace" {
  with_rootfs
  uoci spec --bundle "$BUNDLE" --no-tty --network none --args "ls /sys/class/net"
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$status" = 0 ]
  [ "$output" = lo ]
  rm "$BUNDLE/config.json"
  uoci spec --bundle "$BUNDLE" --no-tty --network host --args "readlink /proc/self/ns/net"
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$status" = 0 ]
  [ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "spec: --no-read-only makes the root writable, the default refuses writes" {
  with_rootfs
  uoci spec --bundle "$BUNDLE" --no-tty --args "touch /newfile"
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$status" != 0 ]
  rm "$BUNDLE/config.json"
  uoci spec --bundle "$BUNDLE" --no-tty --no-read-only --args "touch /newfile"
  uoci run --bundle "$BUNDLE" "$CID"
  [ -f "$BUNDLE/rootfs/newfile" ]
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: the runtime is SIGKILLed at each named phase of create,
# start, exec and delete (ULYSSES_FAULT=PHASE, src/fault.h), then `list` and
# `delete --force` must recover: no state dir, no cgroup, no process of the
# container, no mount of its rootfs left on the host, and the id is usable
# again. The first test checks this file knows every fault point in src/.
load helpers
load ../cni/helpers

setup() {
  grep -q ULYSSES_FAULT "$UOCI" || skip "$UOCI has no fault points: build with ./configure --enable-fault-injection"
  setup_bundle sleep 100
  id=f-$$-$BATS_TEST_NUMBER
}
teardown() {
  if [ -n "${HOSTNS:-}" ]; then
    for i in $(ls "$STATE" 2>/dev/null); do huoci delete -f "$i" >/dev/null 2>&1 || true; done
    cni_teardown
  fi
  cleanup_all
}

# Every phase, in lifecycle order. init-* phases kill the container's init
# (not the runtime) at that point.
PHASES="create-state-dir create-cgroup-planned create-cgroup-partial create-cgroup create-cloned create-network init-rootfs create-init-ready create-saved
        start-loaded start-released exec-forked exec-started delete-killed delete-cgroup-removed"

# Processes whose cgroup path ends in the container id.
procs_of() {
  grep -l -E "/$1\$" /proc/[0-9]*/cgroup 2>/dev/null | sed 's|/proc/\([0-9]*\)/cgroup|\1|' || true
}

assert_recovered() {
  local id=$1
  run uoci list
  [ "$status" -eq 0 ]
  run uoci delete --force "$id"
  # delete --force of a container that is already gone is the only acceptable error
  [ "$status" -eq 0 ] || [[ "$output" == *"does not exist"* ]]
  run uoci list
  [ "$status" -eq 0 ]
  [[ "$output" != *"$id"* ]]
  [ ! -e "$STATE/$id" ]
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null | grep -q . || false
  [ -z "$(procs_of "$id")" ]
  ! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo || false
  # the id works again, end to end
  cfg '.process.args = ["true"]'
  uoci run --bundle "$BUNDLE" "$id"
  [ ! -e "$STATE/$id" ]
}

# with_fault PHASE CMD...: run CMD with the fault armed; sets $status and
# $output. Output goes through a file, not bats' pipe: a container process
# that outlives the killed runtime keeps its stdio, and would hold the pipe.
with_fault() {
  local phase=$1; shift
  status=0
  ULYSSES_FAULT=$phase "$@" >"$TEST_TMP/fault.out" 2>&1 </dev/null || status=$?
  output=$(cat "$TEST_TMP/fault.out")
  echo "# $phase: status $status: $output"
}

# fault PHASE: bring the container to the phase's verb, run it with the fault.
fault() {
  local phase=$1
  case "$phase" in
    create-*|init-*)
      with_fault "$phase" uoci create --bundle "$BUNDLE" "$id"
      [ "$status" -ne 0 ]
      [[ $phase == init-* ]] || [ "$status" -eq 137 ] ;;
    start-*)
      uoci create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
      with_fault "$phase" uoci start "$id"
      [ "$status" -eq 137 ] ;;
    exec-*)
      uoci run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
      with_fault "$phase" uoci exec "$id" sleep 77
      [ "$status" -eq 137 ] ;;
    delete-*)
      uoci run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
      with_fault "$phase" uoci delete --force "$id"
      [ "$status" -eq 137 ] ;;
  esac
}

@test "faults: the phase list matches the FAULT_POINTs in src/" {
  in_src=$(grep -ho 'FAULT_POINT("[a-z-]*")' "$SRCDIR"/src/*.c | sed 's/.*("\(.*\)")/\1/' | sort -u)
  in_test=$(printf '%s\n' $PHASES | sort -u)
  echo "src: $in_src"; echo "test: $in_test"
  [ "$in_src" = "$in_test" ]
}

@test "faults: an unknown ULYSSES_FAULT value changes nothing" {
  cfg '.process.args = ["sh", "-c", "exit 7"]'
  with_fault no-such-phase uoci run --bundle "$BUNDLE" "$id"
  [ "$status" -eq 7 ]
  [ ! -e "$STATE/$id" ]
}

@test "fault create-network: killed after the CNI ADD, without a network it is a no-op" {
  fault create-network
  assert_recovered "$id"
}

@test "fault create-state-dir: killed after the state dir, recovered" { fault create-state-dir; assert_recovered "$id"; }
@test "fault create-cgroup: killed after the cgroup, recovered" { fault create-cgroup; assert_recovered "$id"; }
@test "fault create-cgroup-planned: killed after the state names the cgroup, before any directory, recovered" {
  fault create-cgroup-planned
  grep -q '^cgroup=' "$STATE/$id/state"
  assert_recovered "$id"
}
@test "fault create-cgroup-partial: killed between the cgroup's directories, delete removes them" {
  cfg '.linux.resources.pids = {"limit": 77}'
  fault create-cgroup-partial
  # some of the container's directories exist, not all
  find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" | grep -q .
  run uoci delete --force "$id"
  [ "$status" -eq 0 ]
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null | grep -q . || false
  # a new container with the id gets its own limits, not the stale ones
  cfg 'del(.linux.resources.pids) | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"]'
  run uoci run --bundle "$BUNDLE" "$id"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = max ]
  assert_recovered "$id"
}
@test "fault create-cloned: killed after the clone, recovered" { fault create-cloned; assert_recovered "$id"; }
@test "fault create-cloned: config.json is copied after the clone when a delete needs none of it before" {
  fault create-cloned
  # the state names the init already; the copy is made while the init works
  grep -q '^pid=[1-9]' "$STATE/$id/state"
  [ ! -e "$STATE/$id/config.json" ]
  assert_recovered "$id"
}
@test "fault create-cloned with a poststop hook: config.json is copied before the clone, delete runs the hook" {
  cfg ".hooks.poststop = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo gone >>$TEST_TMP/poststop\"]}]"
  fault create-cloned
  [ -e "$STATE/$id/config.json" ]
  run uoci delete --force "$id"
  [ "$status" -eq 0 ]
  [ "$(cat "$TEST_TMP/poststop")" = gone ]
  assert_recovered "$id"
}
@test "fault init-rootfs: the init dies after its mounts, create fails and cleans up" {
  fault init-rootfs
  [[ "$output" == *"container init"* ]]
  [ ! -e "$STATE/$id" ]
  assert_recovered "$id"
}
@test "fault init-rootfs without a pid namespace: the init dies, not the runtime that cloned it" {
  # musl's raise() signals the thread id it cached, which in a raw clone is
  # the runtime's: visible when the init shares the runtime's pid namespace
  cfg 'del(.linux.namespaces[] | select(.type == "pid"))'
  fault init-rootfs
  [ "$status" -ne 137 ]
  [[ "$output" == *"container init"* ]]
  [ ! -e "$STATE/$id" ]
  assert_recovered "$id"
}
@test "fault create-init-ready: killed when the init is ready, recovered" {
  fault create-init-ready
  run uoci state "$id"
  [ "$status" -eq 0 ]
  assert_recovered "$id"
}
@test "fault create-saved: killed after the state is saved, recovered" {
  fault create-saved
  [ "$(uoci state "$id" | jq -r .status)" = created ]
  assert_recovered "$id"
}
@test "fault start-loaded: killed before releasing the init, recovered" {
  fault start-loaded
  [ "$(uoci state "$id" | jq -r .status)" = created ]
  assert_recovered "$id"
}
@test "fault start-released: killed after releasing the init, recovered" {
  fault start-released
  [ "$(uoci state "$id" | jq -r .status)" = running ]
  assert_recovered "$id"
}
@test "fault exec-forked: killed while the exec'd process starts, recovered" { fault exec-forked; assert_recovered "$id"; }
@test "fault exec-started: killed after exec, the process stays in the container, recovered" {
  fault exec-started
  [ -n "$(procs_of "$id")" ]
  assert_recovered "$id"
}
@test "fault delete-killed: killed after killing the processes, recovered" { fault delete-killed; assert_recovered "$id"; }
@test "fault delete-cgroup-removed: killed before removing the state dir, recovered" {
  fault delete-cgroup-removed
  [ "$(uoci state "$id" | jq -r .status)" = stopped ]
  assert_recovered "$id"
}

# ---- with a CNI network: the runtime runs ADD at create and DEL at delete,
# all inside a private "host" netns (tests/cni/helpers.bash); after recovery
# no address lease, host veth or firewall rule of the container is left.

in_host() {
  nsenter --net="/run/netns/$HOSTNS" env CNI_CONF_DIR="$TMP/conf" CNI_PATH="$CNI_BIN_DIR" \
    ULYSSES_CNI_CACHE_DIR="$TMP/cache" "$@"
}
huoci() { in_host "$UOCI" --root "$STATE" "$@"; }
leases() { cat "$TMP/ipam/uocifault" 2>/dev/null | grep -v '^#' || true; }
host_links() { ip -n "$HOSTNS" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^vu' || true; }
host_rules() { ip netns exec "$HOSTNS" nft list table ip ulysses-cni 2>/dev/null | grep -c comment || true; }

net_setup() {
  cni_setup
  mkdir -p "$TMP/conf"
  jq -n --arg dd "$TMP/ipam" '{cniVersion: "1.0.0", name: "uocifault", plugins: [
      {type: "ulysses-cni-bridge", bridge: "uocibr9", isGateway: true, ipMasq: true,
       capabilities: {portMappings: true},
       ipam: {type: "ulysses-ipam", dataDir: $dd, ranges: [[{subnet: "10.99.39.0/24"}]]}}]}' \
    >"$TMP/conf/10-uocifault.conflist"
  cfg '.annotations["org.ulysses.network"] = "uocifault" | .annotations["org.ulysses.ports"] = "18399:80/tcp"'
}

net_fault() { # PHASE VERB...: the verb in the host netns with the fault armed
  local phase=$1; shift
  status=0
  in_host env ULYSSES_FAULT="$phase" "$UOCI" --root "$STATE" "$@" >"$TEST_TMP/fault.out" 2>&1 </dev/null || status=$?
  echo "# $phase: status $status: $(cat "$TEST_TMP/fault.out")"
  [ "$status" -eq 137 ]
}

assert_net_recovered() {
  run huoci list
  [ "$status" -eq 0 ]
  run huoci delete --force "$id"
  [ "$status" -eq 0 ] || [[ "$output" == *"does not exist"* ]]
  [ ! -e "$STATE/$id" ]
  [ -z "$(leases)" ] || { echo "lease left: $(leases)"; return 1; }
  [ -z "$(host_links)" ] || { echo "veth left: $(host_links)"; return 1; }
  [ "$(host_rules)" -eq 0 ] || { echo "firewall rules left"; return 1; }
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null | grep -q . || false
  [ -z "$(procs_of "$id")" ]
}

@test "fault create-network with a CNI network: address, veth and rules freed by delete --force" {
  net_setup
  net_fault create-network create --bundle "$BUNDLE" "$id"
  [ "$(leases | wc -l)" -eq 1 ]     # the ADD did happen
  assert_net_recovered
}

@test "fault create-init-ready with a CNI network: recovered" {
  net_setup
  net_fault create-init-ready create --bundle "$BUNDLE" "$id"
  assert_net_recovered
}

@test "fault delete-killed with a CNI network: the next delete --force runs DEL" {
  net_setup
  huoci run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  [ "$(leases | wc -l)" -eq 1 ]
  net_fault delete-killed delete --force "$id"
  [ "$(leases | wc -l)" -eq 1 ]
  assert_net_recovered
}

@test "fault delete-cgroup-removed with a CNI network: recovered" {
  net_setup
  huoci run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  net_fault delete-cgroup-removed delete --force "$id"
  assert_net_recovered
}

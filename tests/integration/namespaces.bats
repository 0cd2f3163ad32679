#!/usr/bin/env bats
# linux.namespaces: new ones, joined ones (path), user namespaces with id
# mappings, the time namespace with offsets. Checked through /proc.
load helpers

setup() { setup_bundle true; c1=ns1-$$-$BATS_TEST_NUMBER; c2=ns2-$$-$BATS_TEST_NUMBER; }
teardown() {
  cleanup_all
  [ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

@test "each listed namespace is new: the container's ns links differ from ours" {
  cfg '.process.args = ["sleep", "100"] | .linux.namespaces += [{"type": "cgroup"}] | .linux.namespaces |= unique_by(.type)'
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  for ns in pid net ipc uts mnt cgroup; do
    [ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ]
  done
  # not listed: shared with the host
  [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]
  [ "$(readlink /proc/$pid/ns/time)" = "$(readlink /proc/self/ns/time)" ]
}

@test "a user namespace with uid/gid mappings: root inside, a high uid outside" {
  chown -R 100000:100000 "$BUNDLE/rootfs"
  chmod 755 "$TEST_TMP" "$BUNDLE"   # the namespace's root (uid 100000) must reach the rootfs
  cfg '.root.readonly = false | .linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/made-inside"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
  [ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
  [ "${lines[2]}" = 0 ]
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/made-inside")" = "100000:100000" ]
}

@test "a user namespace whose root cannot walk to the rootfs (bundle in a 0700 dir) still runs" {
  # $TEST_TMP is 0700 root: uid 100000 could not reach the rootfs by path;
  # the runtime opens it inside the init's mount namespace instead.
  [ "$(stat -c %a "$TEST_TMP")" = 700 ]
  cfg '.linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .process.args = ["sh", "-c", "id -u; cat /etc/hostname 2>/dev/null; ls /bin/busybox"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [[ "$output" == *"/bin/busybox"* ]]
  [ ! -e "$STATE/$c1" ]
}

@test "a user namespace cannot clear a read-only flag the host put on the rootfs mount" {
  cfg '.root.readonly = false | .linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] |
       .process.capabilities.permitted += ["CAP_SYS_ADMIN"] |
       .process.args = ["sh", "-c", "mount -o remount,bind,rw / && echo REMOUNTED; cut -d\" \" -f5,6 /proc/self/mountinfo"]'
  run unshare -m sh -c 'mount --bind "$1/rootfs" "$1/rootfs" && mount -o remount,bind,ro "$1/rootfs" &&
                        "$2" --root "$3" run --bundle "$1" "$4"' sh "$BUNDLE" "$UOCI" "$STATE" $c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *REMOUNTED* ]]
  [[ "$output" == *$'\n/ ro,'* ]]
}

@test "a user namespace without mappings is refused and leaves nothing" {
  cfg '.linux.namespaces += [{"type": "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"uidMappings and gidMappings"* ]]
  [ ! -e "$STATE/$c1" ]
}

@test "a time namespace with monotonic and boottime offsets" {
  cfg '.linux.namespaces += [{"type": "time"}] |
       .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 7200, "nanosecs": 5}} |
       .process.args = ["cat", "/proc/self/timens_offsets"]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$(echo "$output" | tr -s ' ')" == *"monotonic 86400 0"* ]]
  [[ "$(echo "$output" | tr -s ' ')" == *"boottime 7200 5"* ]]
  # the host's clocks are untouched
  [ "$(awk '{print int($1)}' /proc/uptime)" -lt 86400 ] || [ -n "${SKIP_UPTIME_CHECK:-}" ]
}

@test "timeOffsets without a time namespace is refused" {
  cfg '.linux.timeOffsets = {"monotonic": {"secs": 1, "nanosecs": 0}}'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"needs a new time namespace"* ]]
}

# A TCP round trip over 127.0.0.1 inside the container, then lo's flags. No
# fixed sleeps (they failed under load): the client retries until the listener
# is up (5 s at most, then the listener is killed), and the listener is waited for.
LOOPBACK_CHECK='nc -l -p 7777 >/tmp/got & l=$!; i=0
until echo over-lo | nc 127.0.0.1 7777 2>/dev/null; do
  i=$((i + 1)); if [ $i -gt 100 ]; then kill $l; break; fi; sleep 0.05
done
wait $l; cat /tmp/got; cat /sys/class/net/lo/flags'

@test "a new network namespace has lo up: 127.0.0.1 works with no network configured" {
  export LOOPBACK_CHECK
  cfg '.root.readonly = false | .process.args = ["sh", "-c", env.LOOPBACK_CHECK]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = over-lo ]
  [ $((lines[1] & 1)) -eq 1 ]   # IFF_UP
}

@test "lo is up in the network namespace of a new user namespace too" {
  chown -R 100000:100000 "$BUNDLE/rootfs"
  chmod 755 "$TEST_TMP" "$BUNDLE"
  export LOOPBACK_CHECK
  cfg '.root.readonly = false | .linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .process.args = ["sh", "-c", env.LOOPBACK_CHECK]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = over-lo ]
}

@test "a joined network namespace is left as it is (lo stays down)" {
  NETNS=uoci-test-$$
  ip netns add "$NETNS"
  [ $(($(ip netns exec "$NETNS" cat /sys/class/net/lo/flags) & 1)) -eq 0 ]
  cfg ".linux.namespaces |= map(if .type == \"network\" then .path = \"/var/run/netns/$NETNS\" else . end) |
       .process.args = [\"cat\", \"/sys/class/net/lo/flags\"]"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ $((output & 1)) -eq 0 ]
}

@test "joining a network namespace by path" {
  NETNS=uoci-test-$$
  ip netns add "$NETNS"
  ip -n "$NETNS" link add uoci-dummy0 type veth peer name uoci-dummy1
  cfg ".linux.namespaces |= map(if .type == \"network\" then .path = \"/var/run/netns/$NETNS\" else . end) |
       .process.args = [\"ls\", \"/sys/class/net\"]"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [[ "$output" == *uoci-dummy0* ]]
}

@test "sharing the ipc, uts and pid namespaces of another container" {
  cfg '.process.args = ["sleep", "100"] | .hostname = "first"'
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid1" $c1
  p1=$(cat "$TEST_TMP/pid1")
  cfg ".hostname = null | .process.args = [\"sh\", \"-c\", \"hostname; ps -o args | grep -c '^sleep'\"] |
       .linux.namespaces |= map(if (.type == \"ipc\" or .type == \"uts\" or .type == \"pid\") then .path = \"/proc/$p1/ns/\" + (if .type == \"uts\" then \"uts\" elif .type == \"ipc\" then \"ipc\" else \"pid\" end) else . end)"
  run uoci run --bundle "$BUNDLE" $c2
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = first ]
  [ "${lines[1]}" = 1 ]
}

@test "an unknown namespace type or a bad path is a clear error" {
  cfg '.linux.namespaces += [{"type": "bogus"}]'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown namespace type "bogus"'* ]]
  cfg '.linux.namespaces |= map(select(.type != "bogus")) | .linux.namespaces |= map(if .type == "network" then .path = "/no/such/ns" else . end)'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"network namespace path /no/such/ns: No such file or directory"* ]]
  [ ! -e "$STATE/$c1" ]
}

@test "hostname without a UTS namespace is refused" {
  cfg '.linux.namespaces |= map(select(.type != "uts")) | .hostname = "x"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"needs a private UTS namespace"* ]]
}

@test "--no-pivot runs the container with MS_MOVE and chroot" {
  cfg '.process.args = ["sh", "-c", "ls / | wc -l; cat /proc/self/mountinfo | wc -l"]'
  run uoci run --no-pivot --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" -gt 5 ]
}

@test "no namespaces listed: the container shares ours and only gets a chroot; create/start still work" {
  cfg '.linux.namespaces = [] | del(.hostname) | .process.args = ["sh", "-c", "ls /bin/busybox; sleep 100"]'
  uoci create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  for ns in pid net ipc uts mnt; do
    [ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ]
  done
  uoci start $c1
  [ "$(uoci state $c1 | jq -r .status)" = running ]
  [ "$(readlink /proc/$pid/root)" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ]
  uoci delete -f $c1
}

# netdev_host: a private "host" network namespace with an interface nd0 (a
# veth: this kernel has no dummy driver built in)
# carrying a permanent global IPv4 and IPv6 address, an address with a
# lifetime and a link-scope one. The runtime runs inside it (in_host).
netdev_host() {
  NETNS=uoci-nd-$$-$BATS_TEST_NUMBER
  ip netns add "$NETNS"
  ip -n "$NETNS" link add nd0 type veth peer name nd0p
  ip -n "$NETNS" addr add 192.0.2.10/24 dev nd0
  ip -n "$NETNS" addr add 2001:db8::10/64 dev nd0 nodad
  ip -n "$NETNS" addr add 198.51.100.1/24 dev nd0 valid_lft 600 preferred_lft 600
  ip -n "$NETNS" addr add 10.9.9.9/8 scope link dev nd0
}
in_host() { nsenter --net="/run/netns/$NETNS" "$@"; }

@test "netDevices: a host interface moves in, renamed, keeps its permanent global addresses and is up" {
  netdev_host
  cfg '.linux.netDevices = {"nd0": {"name": "ctr0"}} | .process.args = ["sleep", "100"]'
  in_host "$UOCI" --root "$STATE" create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" $c1
  pid=$(cat "$TEST_TMP/pid")
  run nsenter --net=/proc/$pid/ns/net ip -o addr show dev ctr0
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"inet 192.0.2.10/24"* ]]
  [[ "$output" == *"inet6 2001:db8::10/64"* ]]
  # not permanent, not global: not moved along (RFC 3549 2.3.3.2, as the spec asks)
  [[ "$output" != *"198.51.100.1"* ]]
  [[ "$output" != *"10.9.9.9"* ]]
  run nsenter --net=/proc/$pid/ns/net ip -o link show ctr0
  [[ "$output" =~ [\<,]UP[,\>] ]]
  # gone from the runtime's namespace
  ! ip -n "$NETNS" link show nd0 || false
  uoci start $c1
  uoci kill $c1 KILL
  wait_status $c1 stopped
  uoci delete $c1
  # The spec: no move back at delete; the kernel destroys a virtual device
  # with its namespace (a physical one would come back to the host), and a
  # veth's peer with it.
  ! ip -n "$NETNS" link show nd0 || false
  ! ip -n "$NETNS" link show ctr0 || false
  ! ip -n "$NETNS" link show nd0p || false
}

@test "netDevices: a name ending in %d lets the kernel pick; without a name the host's is kept" {
  netdev_host
  ip -n "$NETNS" link add nd1 type veth peer name nd1p
  cfg '.linux.netDevices = {"nd0": {"name": "eth%d"}, "nd1": {}} | .process.args = ["ls", "/sys/class/net"]'
  run in_host "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *eth0* ]]
  [[ "$output" == *nd1* ]]
}

@test "netDevices: a missing interface, a bad or taken name, no network namespace are errors that leave nothing" {
  netdev_host
  cfg '.linux.netDevices = {"nope0": {}}'
  run in_host "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *".linux.netDevices.nope0: no such network interface"* ]]
  [ ! -e "$STATE/$c1" ]

  cfg '.linux.netDevices = {"nd0": {"name": "a/b"}}'
  run in_host "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *'.linux.netDevices.nd0.name: "a/b" is not a valid interface name'* ]]

  # "lo" exists in every new network namespace: an error before the move.
  cfg '.linux.netDevices = {"nd0": {"name": "lo"}}'
  run in_host "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'an interface named "lo" already exists in the container'* ]]
  [ ! -e "$STATE/$c1" ]
  run ip -n "$NETNS" -o addr show dev nd0
  echo "$output"
  [[ "$output" == *"inet 192.0.2.10/24"* ]]

  # A create that fails after the move gives the device back, addresses
  # and all (a missing executable fails in the init, after the move).
  cfg '.linux.netDevices = {"nd0": {"name": "ctr0"}} | .process.args = ["/no/such/program"]'
  run in_host "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -ne 0 ]
  [ ! -e "$STATE/$c1" ]
  run ip -n "$NETNS" -o addr show dev nd0
  echo "$output"
  [[ "$output" == *"inet 192.0.2.10/24"* ]]
  [[ "$output" == *"inet6 2001:db8::10/64"* ]]

  cfg '.linux.netDevices = {"nd0": {}} | .linux.namespaces |= map(select(.type != "network"))'
  run in_host "$UOCI" --root "$STATE" run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *".linux.netDevices: moving devices needs a network namespace of the container's own"* ]]
  [ ! -e "$STATE/$c1" ]
}

@test "joining a user namespace by path while creating the others: they belong to it (hostname, proc, mounts work)" {
  cfg '.linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid1" $c1
  p1=$(cat "$TEST_TMP/pid1")
  # the second container: the first's user namespace, every other one new
  cfg ".hostname = \"joined\" | del(.linux.uidMappings) | del(.linux.gidMappings) |
       .linux.namespaces |= map(if .type == \"user\" then .path = \"/proc/$p1/ns/user\" else . end) |
       .process.args = [\"sh\", \"-c\", \"hostname; id -u; cat /proc/self/uid_map; sleep 100\"]"
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid2" $c2 >"$TEST_TMP/out2" 2>&1 || { cat "$TEST_TMP/out2"; false; }
  p2=$(cat "$TEST_TMP/pid2")
  sleep 0.2
  cat "$TEST_TMP/out2"
  [ "$(readlink /proc/$p2/ns/user)" = "$(readlink /proc/$p1/ns/user)" ]
  [ "$(readlink /proc/$p2/ns/uts)" != "$(readlink /proc/$p1/ns/uts)" ]
  [ "$(readlink /proc/$p2/ns/pid)" != "$(readlink /proc/$p1/ns/pid)" ]
  run cat "$TEST_TMP/out2"
  [ "${lines[0]}" = joined ]
  [ "${lines[1]}" = 0 ]
  [ "$(echo "${lines[2]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
  # kill and delete work as usual
  uoci delete -f $c2
  [ ! -e "$STATE/$c2" ]
  ! grep -qs '^State:.*[RS]' /proc/$p2/status || false
}

@test "joining a user namespace and a pid namespace by path: the state's pid is the init's host pid, and only it is in the container's cgroup" {
  cfg '.linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid1" $c1 </dev/null >/dev/null
  p1=$(cat "$TEST_TMP/pid1")
  # runc's run.bats: every namespace of the first but a new mount namespace
  cfg "del(.linux.uidMappings) | del(.linux.gidMappings) |
       .linux.namespaces |= map(if .type == \"mount\" then . else .path = \"/proc/$p1/ns/\" + ({\"network\": \"net\"}[.type] // .type) end)"
  uoci run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid2" $c2 </dev/null >"$TEST_TMP/out2" 2>&1 || { cat "$TEST_TMP/out2"; false; }
  p2=$(cat "$TEST_TMP/pid2")
  [ "$(uoci state $c2 | jq -r .pid)" = "$p2" ]
  # the pid is ours (host) and names the init: in the first's user and pid namespaces
  [ "$(readlink /proc/$p2/ns/user)" = "$(readlink /proc/$p1/ns/user)" ]
  [ "$(readlink /proc/$p2/ns/pid)" = "$(readlink /proc/$p1/ns/pid)" ]
  [ "$(awk '/^NSpid:/ {print NF}' /proc/$p2/status)" -eq 3 ]
  [ "$(awk '/^NSpid:/ {print $2}' /proc/$p2/status)" = "$p2" ]
  inner=$(awk '/^NSpid:/ {print $3}' /proc/$p2/status)
  [ "$inner" != "$p2" ]
  grep -q "sleep" /proc/$p2/cmdline
  # only the init is in its cgroups (not the host process whose number is
  # the init's pid inside the joined namespace), in every hierarchy
  [ "$(uoci ps --format json $c2 | jq -c .)" = "[$p2]" ]
  dirs=$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/ulysses-oci/$c2")
  [ -n "$dirs" ]
  for d in $dirs; do
    [ "$(cat "$d/cgroup.procs")" = "$p2" ]
    [ ! -e "$d/tasks" ] || [ "$(cat "$d/tasks")" = "$p2" ]
  done
  # /sys/fs/cgroup inside: the joined cgroup namespace's view (a cgroup mount, not a bind)
  uoci exec $c2 sh -c 'grep -q " /sys/fs/cgroup[/ ].* cgroup" /proc/self/mountinfo'
  # the first container's init is untouched; delete leaves nothing
  [ "$(awk '/^NSpid:/ {print $2}' /proc/$p1/status)" = "$p1" ]
  uoci delete -f $c2
  [ ! -e "$STATE/$c2" ]
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/ulysses-oci/$c2")" ]
  ! kill -0 "$p2" 2>/dev/null || grep -q '^State:.*Z' /proc/$p2/status
  kill -0 "$p1"
  [ "$(uoci state $c1 | jq -r .status)" = running ]
}

# userns_cfg: a new user namespace mapping 0-65535 to host 100000-165535
userns_cfg() {
  cfg '.linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

@test "user namespace: a bind source its root cannot reach (under a 0700 directory) is opened by the runtime" {
  [ "$(stat -c %a "$TEST_TMP")" = 700 ]
  mkdir -p "$TEST_TMP/private/data" && chmod 700 "$TEST_TMP/private" && chmod 755 "$TEST_TMP/private/data"
  echo secret-but-shared >"$TEST_TMP/private/data/f"
  echo a-file >"$TEST_TMP/private/file"
  userns_cfg
  # onto mount points the image has (its root cannot make new ones: the
  # rootfs belongs to the host's root)
  cfg ".mounts += [{\"destination\": \"/home\", \"type\": \"bind\", \"source\": \"$TEST_TMP/private/data\", \"options\": [\"rbind\", \"ro\"]},
                   {\"destination\": \"/etc/hostname\", \"type\": \"bind\", \"source\": \"$TEST_TMP/private/file\", \"options\": [\"bind\"]}] |
       .process.args = [\"sh\", \"-c\", \"cat /home/f /etc/hostname; touch /home/x 2>&1; true\"]"
  run uoci run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = secret-but-shared ]
  [ "${lines[1]}" = a-file ]
  [[ "${lines[2]}" == *"Read-only file system"* ]]
}

@test "user namespace: an idmap bind mount is idmapped by the runtime (on-disk root shows as the container's root)" {
  mkdir -p "$TEST_TMP/shared" && chmod 755 "$TEST_TMP/shared" && echo x >"$TEST_TMP/shared/owned-by-root"
  userns_cfg
  cfg ".mounts += [{\"destination\": \"/home\", \"type\": \"bind\", \"source\": \"$TEST_TMP/shared\", \"options\": [\"rbind\"]},
                   {\"destination\": \"/root\", \"type\": \"bind\", \"source\": \"$TEST_TMP/shared\", \"options\": [\"rbind\", \"idmap\"]}] |
       .process.args = [\"sh\", \"-c\", \"stat -c %u /home/owned-by-root /root/owned-by-root\"]"
  run uoci run --bundle "$BUNDLE" $c1
  echo "$output"
  if [ "$status" -ne 0 ]; then
    # a filesystem without idmap support: a clear error, nothing left
    [[ "$output" == *"idmapped mount not supported"* ]]
    [ ! -e "$STATE/$c1" ]
    skip "no idmapped mounts for this filesystem"
  fi
  [ "${lines[0]}" = 65534 ]   # host root is unmapped in the namespace
  [ "${lines[1]}" = 0 ]       # through the idmapped mount it is the container's root
}

@test "user namespace: a linux.devices node the host lacks is made by the runtime, with its type, numbers, mode and owner" {
  [ ! -e /dev/uoci-test-null ]
  userns_cfg
  # the process runs as the node's owner: root in the container has no
  # CAP_DAC_OVERRIDE in the default capabilities
  cfg '.linux.devices = [{"path": "/dev/uoci-test-null", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 7, "gid": 8}] |
       .process.user = {"uid": 7, "gid": 8} | .process.args = ["sh", "-c", "stat -c \"%F %t:%T %a %u %g\" /dev/uoci-test-null; echo hi >/dev/uoci-test-null && echo written"]'
  run uoci run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:3 660 7 8" ]
  [ "${lines[1]}" = written ]
  # nothing of it on the host
  [ ! -e /dev/uoci-test-null ]
}

@test "user namespace: the host nodes bound into /dev are nosuid,noexec mounts (default and linux.devices)" {
  userns_cfg
  cfg '.linux.devices = [{"path": "/dev/uoci-test-zero", "type": "c", "major": 1, "minor": 5}] |
       .process.args = ["sh", "-c", "for d in /dev/null /dev/tty /dev/urandom /dev/uoci-test-zero; do awk -v d=$d '"'"'$5 == d { print d, $6 }'"'"' /proc/self/mountinfo; done"]'
  run uoci run --bundle "$BUNDLE" $c1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
  for l in "${lines[@]}"; do
    [[ ",${l#* }," == *,nosuid,* && ",${l#* }," == *,noexec,* ]] || { echo "not nosuid,noexec: $l"; false; }
  done
}

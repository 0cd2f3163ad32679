#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ulysses-cni-bridge under what engines do concurrently: ADDs and DELs
# interleaved on one network, a DEL racing the ADD of its container, two ADDs
# racing for one host port, an ADD repeated without DEL, plugins killed at
# each step of ADD and DEL. Afterwards nothing may be left: no lease, veth,
# nft rule. The races are held open with the fault-injection build's pause
# point (ULYSSES_FAULT_PAUSE, src/fault.h).

load helpers

setup() { cni_setup; }
teardown() {
  local pid
  for pid in $(cat "${TMP:-/nonexistent}/paused" 2>/dev/null); do kill -CONT "$pid" 2>/dev/null; done
  cni_teardown
}

needs_faults() {
  grep -q "$1" "$CNI_BIN_DIR/ulysses-cni-bridge" ||
    skip "the plugin has no fault points: build with ./configure --enable-fault-injection"
}

# bg_add CID NS CONF [NAME=VALUE...]: ADD in the background; exit status in $TMP/rc-CID
bg_add() {
  local cid=$1 ns=$2 conf=$3
  shift 3
  (
    rc=0
    plugin "$@" CNI_COMMAND=ADD CNI_CONTAINERID="$cid" CNI_NETNS="$(nspath "$ns")" CNI_IFNAME=eth0 \
      ulysses-cni-bridge "$conf" >"$TMP/res-$cid.json" 2>"$TMP/err-$cid" || rc=$?
    echo "$rc" >"$TMP/rc-$cid"
  ) 3>&- &
}

# stopped_plugin CID: pid of the plugin stopped at its pause point (waits up to 10 s)
stopped_plugin() {
  local i f pid
  for i in $(seq 1 200); do
    for f in $(grep -lzx "CNI_CONTAINERID=$1" /proc/[0-9]*/environ 2>/dev/null); do
      pid=${f#/proc/}
      pid=${pid%/environ}
      if [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ]; then
        echo "$pid" >>"$TMP/paused"
        echo "$pid"
        return 0
      fi
    done
    sleep 0.05
  done
  echo "the plugin for $1 never stopped at its pause point" >&2
  return 1
}

# finished CID [SECONDS]: wait until the background ADD of CID wrote its status
finished() {
  local i
  for i in $(seq 1 $((${2:-20} * 20))); do [ -e "$TMP/rc-$1" ] && return 0; sleep 0.05; done
  return 1
}

nothing_left() {
  [ -z "$(leases)" ] && [ -z "$(host_ports)" ] && [ -z "$(nft_rules)" ] &&
    [ -z "$(ip -n "$HOSTNS" -o link show | grep ' vu')" ]
}

@test "two ADDs racing for one host port: exactly one gets it, the other fails and leaves nothing" {
  needs_faults ULYSSES_FAULT_PAUSE
  mkns a; mkns b
  netconf 10.99.40.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18801,"containerPort":80,"protocol":"tcp"}]}}' >"$TMP/p.json"
  # a passes the conflict check and stops right after it
  bg_add ra a "$TMP/p.json" ULYSSES_FAULT_PAUSE=cni-add-ports-checked
  pa=$(stopped_plugin ra)
  # b runs meanwhile; unserialised it would find no rule yet and map the port too
  bg_add rb b "$TMP/p.json"
  finished rb 2 || true
  kill -CONT "$pa"
  finished ra && finished rb
  cat "$TMP/res-ra.json" "$TMP/res-rb.json"
  [ "$(cat "$TMP/rc-ra")" = 0 ]
  [ "$(cat "$TMP/rc-rb")" = 1 ]
  jq -e '.code == 100 and (.msg | contains("host port tcp/18801 is already mapped by uocitest ra/eth0"))' "$TMP/res-rb.json"
  [ "$(nft_rules | grep -c 'dport 18801')" = 2 ]   # prerouting and output, of ra only
  [ -z "$(ns_ip4 b)" ]
  [ "$(leases | wc -l)" = 1 ]
  del ra a "$TMP/p.json"
  del rb b "$TMP/p.json"
  nothing_left
}

@test "a DEL racing the ADD of its own container waits for it, then removes all of it" {
  needs_faults ULYSSES_FAULT_PAUSE
  mkns a
  netconf 10.99.41.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18802,"containerPort":80}]}}' >"$TMP/p.json"
  bg_add da a "$TMP/p.json" ULYSSES_FAULT_PAUSE=cni-add-ports-checked
  pa=$(stopped_plugin da)
  # the engine gives up on the ADD and tears the sandbox down; unserialised this
  # DEL finds nothing yet, and the ADD then creates veth, rules and lease for good
  ( del da a "$TMP/p.json" >"$TMP/del.out" 2>&1; echo $? >"$TMP/rc-del" ) 3>&- &
  finished del 2 || true
  kill -CONT "$pa"
  finished da && finished del
  [ "$(cat "$TMP/rc-da")" = 0 ]
  [ "$(cat "$TMP/rc-del")" = 0 ]
  ! ip -n "$T-a" link show eth0 || false
  nothing_left
}

@test "a GC racing an ADD of an attachment it does not list waits for it, then removes all of it" {
  needs_faults ULYSSES_FAULT_PAUSE
  mkns a
  netconf 10.99.43.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18804,"containerPort":80}]}}' >"$TMP/p.json"
  # the ADD has its lease on disk and nothing else yet
  bg_add ga a "$TMP/p.json" ULYSSES_FAULT_PAUSE=cni-add-ipam
  pa=$(stopped_plugin ga)
  [ "$(leases | wc -l)" = 1 ]
  jq '. + {"cni.dev/valid-attachments":[]}' "$TMP/p.json" >"$TMP/gc.json"
  # unlocked, this GC freed the lease at once and the ADD then wired an
  # address the IPAM no longer held (veth and rules without a lease)
  ( plugin CNI_COMMAND=GC ulysses-cni-bridge "$TMP/gc.json" >"$TMP/gc.out" 2>&1; echo $? >"$TMP/rc-gc" ) 3>&- &
  ! finished gc 2 || false   # it waits for the attachment's lock
  [ "$(leases | wc -l)" = 1 ]
  kill -CONT "$pa"
  finished ga && finished gc
  [ "$(cat "$TMP/rc-ga")" = 0 ]
  [ "$(cat "$TMP/rc-gc")" = 0 ]
  ! ip -n "$T-a" link show eth0 || false
  nothing_left
}

@test "ADD of an attachment that exists in another netns is refused; the first container keeps its network" {
  mkns a; mkns b
  netconf 10.99.42.0/24 '{"runtimeConfig":{"portMappings":[{"hostPort":18803,"containerPort":80}]}}' >"$TMP/p.json"
  add same a "$TMP/p.json"
  ip=$(ns_ip4 a)
  before=$(leases; host_ports; nft_rules)
  run add same b "$TMP/p.json"
  cat "$TMP/res-same.json"
  [ "$status" = 1 ]
  jq -e '.code == 100 and (.msg | test("container same is already attached to network uocitest as eth0 \\(host veth vu[0-9a-f]{12}\\): DEL it first"))' "$TMP/res-same.json"
  # untouched: a's interface, address, veth, lease and rules
  [ "$(ns_ip4 a)" = "$ip" ]
  [ -z "$(ns_ip4 b)" ]
  [ "$(leases; host_ports; nft_rules)" = "$before" ]
  # the same id with another ifname is another attachment (whose port is taken)
  run add same b "$TMP/p.json" eth1
  [ "$status" = 1 ]
  jq -e '.msg | contains("host port tcp/18803 is already mapped by uocitest same/eth0")' "$TMP/res-same.json"
  netconf 10.99.42.0/24 >"$TMP/plain.json"
  add same b "$TMP/plain.json" eth1
  [ -n "$(ns_ip4 b eth1)" ]
  del same a "$TMP/p.json"
  del same b "$TMP/plain.json" eth1
  nothing_left
}

@test "a plugin killed at each step of ADD or DEL: the DEL that follows (netns present or gone) leaves nothing" {
  needs_faults ULYSSES_FAULT
  netconf 10.99.43.0/29 '{"runtimeConfig":{"portMappings":[{"hostPort":18804,"containerPort":80}]}}' >"$TMP/p.json"
  local phase gone n=0
  for phase in cni-add-ipam cni-add-veth cni-add-rules; do
    for gone in 0 1; do
      n=$((n + 1))
      mkns "k$n"
      run plugin ULYSSES_FAULT=$phase CNI_COMMAND=ADD CNI_CONTAINERID="k$n" CNI_NETNS="$(nspath "k$n")" \
        CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/p.json"
      [ "$status" = 137 ]
      [ -n "$(leases)" ]   # it died holding a lease
      if [ "$gone" = 1 ]; then
        ip netns del "$T-k$n"   # the sandbox vanished before the engine's DEL
        del "k$n" "" "$TMP/p.json"
      else
        del "k$n" "k$n" "$TMP/p.json"
        ! ip -n "$T-k$n" link show eth0 || false
      fi
      nothing_left
    done
  done
  for phase in cni-del-rules cni-del-link; do
    n=$((n + 1))
    mkns "k$n"
    add "k$n" "k$n" "$TMP/p.json"
    run plugin ULYSSES_FAULT=$phase CNI_COMMAND=DEL CNI_CONTAINERID="k$n" CNI_NETNS="$(nspath "k$n")" \
      CNI_IFNAME=eth0 ulysses-cni-bridge "$TMP/p.json"
    [ "$status" = 137 ]
    del "k$n" "k$n" "$TMP/p.json"   # the engine repeats the DEL
    nothing_left
  done
  # the /29's five addresses are all free again
  netconf 10.99.43.0/29 >"$TMP/plain.json"
  for i in 1 2 3 4 5; do mkns "f$i"; add "f$i" "f$i" "$TMP/plain.json"; done
  [ "$(for i in 1 2 3 4 5; do res_ip "f$i"; done | sort -u | wc -l)" = 5 ]
  for i in 1 2 3 4 5; do del "f$i" "f$i" "$TMP/plain.json"; done
  nothing_left
}

@test "50 ADDs and DELs interleaved on one network (same and different ids, never-added ids): consistent, then nothing left" {
  local i
  for i in $(seq 1 20); do
    mkns "s$i"
    netconf 10.99.44.0/24 "{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":$((18900 + i)),\"containerPort\":80}]}}" >"$TMP/s$i.json"
  done
  for i in $(seq 1 10); do mkns "r$i"; done
  netconf 10.99.44.0/24 >"$TMP/plain.json"
  for i in $(seq 1 20); do
    ( add "s$i" "s$i" "$TMP/s$i.json" && del "s$i" "s$i" "$TMP/s$i.json" && add "s$i" "s$i" "$TMP/s$i.json" ||
        echo "s$i failed" >>"$TMP/failed" ) 3>&- &
  done
  for i in $(seq 1 10); do
    ( del "never$i" "" "$TMP/plain.json" || echo "DEL never$i failed" >>"$TMP/failed" ) 3>&- &
    # ADD and DEL of one id at once (a runtime bug, but the state must stay whole)
    ( add "r$i" "r$i" "$TMP/plain.json" & del "r$i" "r$i" "$TMP/plain.json"; wait ) 3>&- &
  done
  wait
  [ ! -e "$TMP/failed" ] || { cat "$TMP/failed"; false; }
  for i in $(seq 1 20); do
    [ "$(ns_ip4 "s$i")" = "$(res_ip "s$i")/24" ]
    [ "$(nft_rules | grep -c "dport $((18900 + i)) ")" = 2 ]
  done
  # each r: either wholly attached (lease, veth, address) or wholly not
  for i in $(seq 1 10); do
    l=$(leases | grep -c " r$i eth0$" || true)
    a=$(ns_ip4 "r$i" | wc -l)
    echo "r$i: lease $l address $a"
    [ "$l" = "$a" ]
    [ "$a" = 0 ] || [ "$(leases | grep " r$i eth0$" | cut -d' ' -f1)/24" = "$(ns_ip4 "r$i")" ]
  done
  [ "$(leases | cut -d' ' -f1 | sort -u | wc -l)" = "$(leases | wc -l)" ]
  [ "$(host_ports | wc -l)" = "$(leases | wc -l)" ]
  for i in $(seq 1 20); do del "s$i" "s$i" "$TMP/s$i.json" & done
  for i in $(seq 1 10); do del "r$i" "r$i" "$TMP/plain.json" & done
  wait
  nothing_left
}

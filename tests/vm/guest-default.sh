#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-default.sh - the default guest command of run-cgroupv2.sh (runs in
# the guest). It checks that the guest really is pure cgroup v2 (or, with
# VM_SUITE=selinux, loads the SELinux policy and checks it is in force; with
# VM_SUITE=systemd, that systemd is PID 1 and on the bus; with
# VM_SUITE=checkpoint, that `criu check` passes; with VM_SUITE=checkpoint-hybrid,
# that the cgroups are hybrid too), then runs `tests/run.sh
# integration` (systemd: `integration clients`; checkpoint: `integration cni
# clients`; TESTS_FILTER selects the files) and
# folds everything into ONE valid TAP stream: test points renumbered, the
# per-file plans and run.sh's summary turned into comments, one plan at the
# end. That keeps the output valid TAP even when no cgroup test exists yet,
# and lets the host's tests/run.sh count it like any other program.
# Exit status: non-zero when the check or any test failed.
set -u
: "${SRCDIR:?SRCDIR not set}"

# check_pure_cgroup2: prints a reason and fails unless /sys/fs/cgroup is a
# cgroup2 mount, no cgroup v1 hierarchy is mounted anywhere, and the root
# delegates memory and pids to its children.
check_pure_cgroup2() {
  local fstype v1 subtree
  fstype=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
  [ "$fstype" = cgroup2fs ] || { echo "/sys/fs/cgroup is '$fstype', not cgroup2fs"; return 1; }
  v1=$(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts)
  [ -z "$v1" ] || { echo "cgroup v1 mounted at: $v1"; return 1; }
  subtree=$(cat /sys/fs/cgroup/cgroup.subtree_control)
  case " $subtree " in *" memory "*) ;; *) echo "memory not in subtree_control: $subtree"; return 1 ;; esac
  case " $subtree " in *" pids "*) ;; *) echo "pids not in subtree_control: $subtree"; return 1 ;; esac
  echo "cgroup2 only, subtree_control: $subtree"
}

# check_selinux: mounts selinuxfs, loads the host's policy (the guest sees
# the host's /etc read-only), and fails unless a policy is then in force.
check_selinux() {
  mount -t selinuxfs selinuxfs /sys/fs/selinux 2>/dev/null || true
  [ -e /sys/fs/selinux/enforce ] || { echo "no selinuxfs: SELinux is not enabled in this kernel"; return 1; }
  load_policy 2>&1 || { echo "load_policy failed"; return 1; }
  [ -e /sys/fs/selinux/policyvers ] || { echo "no policy loaded"; return 1; }
  echo "SELinux policy version $(cat /sys/fs/selinux/policyvers), enforce=$(cat /sys/fs/selinux/enforce)"
}

# check_systemd: systemd is PID 1 and answers on the system bus (it connects
# to dbus once dbus.service is up: wait for that, at most 60 s).
check_systemd() {
  local i
  [ "$(cat /proc/1/comm)" = systemd ] || { echo "PID 1 is $(cat /proc/1/comm), not systemd"; return 1; }
  [ -d /run/systemd/system ] || { echo "no /run/systemd/system"; return 1; }
  for i in $(seq 600); do
    busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
      org.freedesktop.DBus.Peer Ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  systemctl --version | head -n1
  systemctl show -P Version || { echo "systemd does not answer on the system bus"; return 1; }
  echo "cgroup: $(stat -f -c %T /sys/fs/cgroup), $(cat /proc/self/cgroup)"
}

# check_criu: CRIU can work on this kernel (the host's may be too new for it).
check_criu() {
  local out
  out=$(criu check 2>&1) || { echo "criu check failed:"; echo "$out"; return 1; }
  echo "criu $(criu --version | sed -n 's/^Version: //p'): $(echo "$out" | tail -n 1)"
}

# check_hybrid_criu: v1 hierarchies (freezer among them), name=systemd and
# cgroup2 at /sys/fs/cgroup/unified; and criu works.
check_hybrid_criu() {
  local fstype
  fstype=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
  [ "$fstype" = tmpfs ] || { echo "/sys/fs/cgroup is '$fstype', not a tmpfs of hierarchies"; return 1; }
  [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] || { echo "no cgroup2 on /sys/fs/cgroup/unified"; return 1; }
  grep -q ' /sys/fs/cgroup/systemd cgroup .*name=systemd' /proc/self/mounts || { echo "no name=systemd hierarchy"; return 1; }
  [ -f /sys/fs/cgroup/freezer/freezer.state ] || [ -d /sys/fs/cgroup/freezer ] || { echo "no freezer hierarchy"; return 1; }
  local hierarchies criu
  hierarchies=$(awk '$3 == "cgroup" { sub("/sys/fs/cgroup/", "", $2); printf " %s", $2 }' /proc/self/mounts)
  criu=$(check_criu) || { echo "$criu"; return 1; }
  echo "hybrid:$hierarchies; $criu"
}

runs=integration
case "${VM_SUITE:-cgroupv2}" in
  selinux) check=check_selinux what="guest has SELinux with a policy loaded" ;;
  systemd) check=check_systemd what="guest runs systemd as PID 1 on the system bus" runs="integration clients" ;;
  checkpoint) check=check_criu what="criu check passes in the guest" runs="integration cni clients" ;;
  checkpoint-hybrid) check=check_hybrid_criu what="hybrid cgroups, criu check passes in the guest" ;;
  *) check=check_pure_cgroup2 what="guest is pure cgroup v2" ;;
esac
sanity_rc=0
if reason=$($check); then
  echo "ok 1 - $what"
  echo "# $reason"
else
  echo "not ok 1 - $what"
  echo "# $reason"
  sanity_rc=1
fi

# fold_tap: renumber test points, turn plans and summaries into comments,
# end with one plan. A read loop rather than awk: mawk buffers its input, and
# the host should see each result as soon as it exists.
fold_tap() {
  local line n=1 prefix rest
  while IFS= read -r line; do
    case "$line" in
      1..[0-9]*) echo "# plan $line" ;;
      "not ok"|"not ok "*|ok|"ok "*)
        if [[ $line == not* ]]; then prefix="not ok"; else prefix=ok; fi
        rest=${line#"$prefix"}
        [[ $rest =~ ^\ +[0-9]+(.*)$ ]] && rest=${BASH_REMATCH[1]}
        n=$((n + 1))
        echo "$prefix $n$rest" ;;
      *)
        if [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]]; then
          echo "# guest tests/run.sh: $line"
        else
          printf '%s\n' "$line"
        fi ;;
    esac
  done
  echo "1..$n"
}

set -o pipefail
# each test's time on its line ("ok N name in 1234ms"): where the guest's minutes go
export TESTS_TIMING=1
"$SRCDIR/tests/run.sh" $runs 2>&1 | fold_tap
run_rc=$?
[ "$sanity_rc" = 0 ] && [ "$run_rc" = 0 ]

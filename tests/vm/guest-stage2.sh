#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Stage 2 of the test guest, PID 1, running on the overlay of the host's
# root filesystem (see initramfs-init.sh). The host copies this file into
# the run's exchange directory, mounted here at /vm-results, together with:
#   cmd     the command to run (a bash script written by run-cgroupv2.sh)
#   mode    "run" or "shell"
#   cgroups "v2" (the default) or "hybrid": v1 hierarchies, name=systemd and
#           cgroup2 at /sys/fs/cgroup/unified, as a systemd host in hybrid mode
# and expects back:
#   stdout, stderr   the command's output (written as it runs)
#   status           its exit status
#   guest-error      one line per setup step that failed
#   guest-timeout    (empty) when the command outlived `timeout` (seconds,
#                    from the host; 0 or absent: no limit), with
#   watchdog.log     what every process and CPU was doing then
#
# bash as PID 1 reaps every child it is sent SIGCHLD for, orphans included,
# so processes a container runtime leaves behind do not linger as zombies.
#
# When the exchange dir's `init` says "systemd" (VM_SUITE=systemd), bash
# does not stay PID 1: it writes a few units into the overlay's /etc and
# execs Debian's systemd, which mounts the API filesystems itself and starts
# only uoci-vm.target: the system bus (dbus) and uoci-vm.service, which runs
# this script again with --command to run the command and power off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
R=/vm-results

note_error() { echo "guest: $*" >&2; echo "guest: $*" >>"$R/guest-error"; }

power_off() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 10
}

CGROUPS=$(cat "$R/cgroups" 2>/dev/null || echo v2)

# mount_hybrid_cgroups: the layout of a systemd host in hybrid mode (and of
# the development machine): a tmpfs on /sys/fs/cgroup, one v1 hierarchy per
# controller (cpu,cpuacct and net_cls,net_prio co-mounted, with links),
# name=systemd, and an empty cgroup2 at /sys/fs/cgroup/unified.
mount_hybrid_cgroups() {
  local c d
  mount -t tmpfs -o mode=0755,nosuid,nodev,noexec cgroup /sys/fs/cgroup || note_error "mount /sys/fs/cgroup tmpfs failed"
  mkdir -p /sys/fs/cgroup/unified /sys/fs/cgroup/systemd
  mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup/unified || note_error "mount cgroup2 on unified failed"
  mount -t cgroup -o none,name=systemd,xattr systemd /sys/fs/cgroup/systemd || note_error "mount name=systemd failed"
  for d in cpu,cpuacct net_cls,net_prio blkio cpuset devices freezer hugetlb memory perf_event pids rdma; do
    for c in ${d//,/ }; do
      awk -v c="$c" '$1 == c && $4 == 1 { found = 1 } END { exit !found }' /proc/cgroups || continue 2
    done
    mkdir -p "/sys/fs/cgroup/$d"
    mount -t cgroup -o "$d" cgroup "/sys/fs/cgroup/$d" || { note_error "mount cgroup $d failed"; continue; }
    [ "${d#*,}" = "$d" ] || for c in ${d//,/ }; do ln -s "$d" "/sys/fs/cgroup/$c"; done
  done
}

mount_api_filesystems() {
  if [ "$CGROUPS" = hybrid ]; then
    mount_hybrid_cgroups
  else
    mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
      mount -t cgroup2 cgroup2 /sys/fs/cgroup || note_error "mount cgroup2 failed"
  fi
  mkdir -p /dev/pts /dev/shm /dev/mqueue
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts ||
    note_error "mount devpts failed"
  ln -sf pts/ptmx /dev/ptmx
  mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm || note_error "mount /dev/shm failed"
  mount -t mqueue mqueue /dev/mqueue 2>/dev/null || true
  mount -t tmpfs -o mode=0755,nosuid,nodev run /run || note_error "mount /run failed"
  # A tmpfs on /tmp would hide a shared source or build tree that lives
  # there (CI may clone under /tmp): then keep the overlay's /tmp instead.
  if grep -qE '^[^ ]+ /tmp(/| |$)' "$R/shares" 2>/dev/null; then
    chmod 1777 /tmp
  else
    mount -t tmpfs -o mode=1777,nosuid,nodev tmp /tmp || note_error "mount /tmp failed"
  fi
  ln -sf /proc/self/fd /dev/fd 2>/dev/null
  ln -sf /proc/self/fd/0 /dev/stdin 2>/dev/null
  ln -sf /proc/self/fd/1 /dev/stdout 2>/dev/null
  ln -sf /proc/self/fd/2 /dev/stderr 2>/dev/null
  mount -t securityfs securityfs /sys/kernel/security 2>/dev/null || true
  mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
}

# Delegate every available controller from the root, as systemd would on a
# pure cgroup v2 host, so child cgroups get cpu.*, memory.*, io.*, pids.* ...
enable_controllers() {
  local available wanted c
  [ "$CGROUPS" = v2 ] || return 0
  available=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)
  for c in cpu cpuset io memory pids hugetlb rdma misc; do
    case " $available " in
      *" $c "*) echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ||
                  note_error "enable cgroup controller $c failed" ;;
    esac
  done
}

setup_network() {
  if command -v ip >/dev/null; then
    ip link set lo up || note_error "ip link set lo up failed"
  else
    busybox ip link set lo up || note_error "busybox ip link set lo up failed"
  fi
  hostname cgroupv2-vm 2>/dev/null || echo cgroupv2-vm >/proc/sys/kernel/hostname
}

# boot_systemd: exec systemd as PID 1 with a target of our own. Nothing of
# the host's boot (fstab, getty, timers, enabled services such as
# containerd.service) is pulled in: uoci-vm.target wants the system bus and
# our command, and dbus loses its default dependencies on sysinit.target.
boot_systemd() {
  local u=/etc/systemd/system unit
  for unit in dbus.socket dbus.service; do
    mkdir -p "$u/$unit.d"
    printf '[Unit]\nDefaultDependencies=no\n' >"$u/$unit.d/uoci-vm.conf"
  done
  cat >"$u/uoci-vm.target" <<'EOF'
[Unit]
Description=ulysses-oci test guest
Requires=uoci-vm.service
EOF
  cat >"$u/uoci-vm.service" <<EOF
[Unit]
Description=ulysses-oci test command
DefaultDependencies=no
Wants=dbus.socket dbus.service
After=dbus.socket dbus.service
[Service]
Type=exec
ExecStart=/bin/bash $R/stage2 --command
StandardInput=null
StandardOutput=file:$R/console-service
StandardError=inherit
EOF
  # The host root may be a container's (/.dockerenv): systemd would then
  # think it runs in one and behave as such. Hide it (a whiteout in the overlay).
  rm -f /.dockerenv
  echo /sbin/modprobe >/proc/sys/kernel/modprobe 2>/dev/null
  exec /lib/systemd/systemd --unit=uoci-vm.target --log-target=kmsg --show-status=no
}

# guest_watchdog SECONDS PID: when the command is still running after
# SECONDS (the host sets it some time before it would kill qemu), say so and
# leave the evidence before the guest goes: every process (but kernel
# threads) with its state and wait channel, the kernel stacks of the command's tasks that are running or
# in uninterruptible sleep, the blocked tasks (sysrq w) and what every CPU
# is doing (sysrq l), in $R/watchdog.log and on the console; then the
# command's status is 124 and the guest powers off. A task stuck in the
# kernel cannot be killed, so nothing waits for the command to end.
guest_watchdog() {
  local limit=$1 pid=$2 t st me=$BASHPID
  sleep "$limit"
  kill -0 "$pid" 2>/dev/null || return 0
  : >"$R/guest-timeout"
  {
    echo "guest watchdog: the command was still running after ${limit}s (guest uptime $(cut -d' ' -f1 /proc/uptime)s)"
    echo "--- processes (no kernel threads, not this watchdog's)"
    ps -N --ppid 2 -o pid,ppid,stat,etimes,wchan:30,args 2>&1 | awk -v me="$me" '$2 != me' | cut -c1-200
    for t in /proc/[0-9]*; do
      st=$(awk '/^State:/ { print $2; exit }' "$t/status" 2>/dev/null)
      case "$st" in R|D) ;; *) continue ;; esac
      [ "${t#/proc/}" = "$me" ] && continue
      echo "--- kernel stack of ${t#/proc/} ($(cat "$t/comm" 2>/dev/null), state $st)"
      cat "$t/stack" 2>&1
    done
    echo "--- kernel log: blocked tasks (sysrq w), every CPU's backtrace (sysrq l)"
    echo w >/proc/sysrq-trigger; echo l >/proc/sysrq-trigger
    sleep 2
    dmesg 2>&1 | tail -n 600
  } >"$R/watchdog.log" 2>&1
  cat "$R/watchdog.log" >/dev/console 2>/dev/null
  echo 124 >"$R/status"
  power_off
}

# run_command: the command (or the shell) with its output in the exchange
# dir, then power off. Under bash as PID 1 or as uoci-vm.service.
run_command() {
  local mode
  mode=$(cat "$R/mode" 2>/dev/null || echo run)
  if [ "$mode" = shell ]; then
    echo "guest: shell; exit to power off" >/dev/ttyS0
    setsid -c -w bash -c '. "$1/env"; cd "${SRCDIR:-/}"; exec bash -i' bash "$R" \
      </dev/ttyS0 >/dev/ttyS0 2>&1
    power_off
  fi
  local cmd_pid dog_pid= status limit
  limit=$(cat "$R/timeout" 2>/dev/null || echo 0)
  bash "$R/cmd" >"$R/stdout" 2>"$R/stderr" </dev/null &
  cmd_pid=$!
  if [ "$limit" -gt 0 ] 2>/dev/null; then
    guest_watchdog "$limit" "$cmd_pid" &
    dog_pid=$!
  fi
  wait "$cmd_pid"
  status=$?
  [ -z "$dog_pid" ] || kill "$dog_pid" 2>/dev/null
  echo "$status" >"$R/status"
  power_off
}

if [ "${1:-}" = --command ]; then # uoci-vm.service, under systemd
  cut -d' ' -f1 /proc/uptime >"$R/booted"
  run_command
fi
if [ "$(cat "$R/init" 2>/dev/null)" = systemd ]; then
  boot_systemd
  note_error "exec /lib/systemd/systemd failed"
  power_off
fi
# Tell the host the guest is up (it watches for this to detect a hung boot).
cut -d' ' -f1 /proc/uptime >"$R/booted"
mount_api_filesystems
enable_controllers
setup_network
# Modules the kernel loads on demand (veth, bridge, nf_tables ...) come from
# the host tree: it has /lib/modules of the guest kernel's package.
echo /sbin/modprobe >/proc/sys/kernel/modprobe 2>/dev/null

run_command

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-cgroupv2.sh - run a command (by default the cgroup integration tests)
# inside a qemu guest whose only cgroup hierarchy is cgroup v2.
#
# Usage: tests/vm/run-cgroupv2.sh [--shell] [CMD [ARG...]]
#   no CMD     $SRCDIR/tests/vm/guest-default.sh: a TAP check that the guest
#              is pure cgroup2, then `tests/run.sh integration` with
#              TESTS_FILTER (default: cgroup), as one renumbered TAP stream.
#              VM_SUITE=selinux instead boots with SELinux on, loads the
#              host's policy (selinux-policy-default) and runs the selinux
#              tests (TESTS_FILTER default: selinux); VM_SUITE=checkpoint
#              checks that criu works there and runs the checkpoint/restore
#              tests, the integration, CNI and client (podman) ones
#              (TESTS_FILTER default: checkpoint); VM_SUITE=checkpoint-hybrid
#              runs the integration ones on a hybrid cgroup layout (v1
#              hierarchies, name=systemd, cgroup2 at /sys/fs/cgroup/unified);
#              VM_SUITE=bench (opt-in, no test) runs bench/run.sh in the
#              guest against crun and runc (tests/vm/guest-bench.sh) and
#              copies its results directory to VM_BENCH_OUT
#   CMD...     run it in the guest; its stdout/stderr are printed here and
#              its exit status is this script's exit status
#   --shell    interactive shell on the guest console instead (no timeout)
#
# Environment:
#   SRCDIR BUILDDIR UOCI TESTS_FILTER CNI_BIN_DIR VM_SUITE  passed to the guest
#   VM_TIMEOUT  seconds before the guest is killed (default 600 with KVM;
#               under TCG emulation, where tests run ~10x slower, the
#               suite's budget for its default command: cgroupv2 900,
#               selinux 420, systemd 480, checkpoint 900, checkpoint-hybrid
#               720, bench 1800; 1800 for a command of your own). A minute
#               before (a quarter of it when shorter), the guest's own
#               watchdog dumps what every task and CPU is doing and stops
#   VM_TEST_TIMEOUT  seconds one bats test of the default command may take
#               in the guest (BATS_TEST_TIMEOUT there; default 300, 0: none)
#   VM_BOOT_TIMEOUT  seconds to reach the guest's stage 2 (30 KVM, 120 TCG)
#   VM_MEM      guest memory in MiB (default 2048)    VM_CPUS (default 2)
#   VM_ACCEL    kvm or tcg (default: kvm when /dev/kvm has vmx/svm behind it)
#   VM_CPU      qemu -cpu model     VM_APPEND  extra kernel command line
#   VM_KERNEL   kernel image (default: newest /boot/vmlinuz-* with modules)
#   VM_PVH      0: boot the bzImage, not the vmlinux extracted from it
#   VM_KEEP     set to keep the exchange directory (console log) afterwards
#   VM_VERBOSE  set to print the boot time and the run time
#   VM_BENCH_OUT  VM_SUITE=bench: where the results go on the host
#               (default /var/tmp/uoci-bench/results-vm); bench/run.sh's knobs
#               N E M GAP_MS COUNT PAR SKIP SPEC_FROM SCALE SCALE_N FLOOR_C
#               and BENCH_RUNTIMES are passed to the guest with this suite
#
# The guest boots the Debian kernel with a small busybox initramfs (built
# here, cached in tests/vm/cache/), mounts the host's root filesystem
# read-only over 9p with a tmpfs overlay, and the build tree read-write at
# its own path. See docs/TESTING-VM.md.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PROG=run-cgroupv2.sh
export SRCDIR=${SRCDIR:-$(cd "$HERE/../.." && pwd -P)}
export BUILDDIR=${BUILDDIR:-$SRCDIR}
export UOCI=${UOCI:-$BUILDDIR/src/ulysses-oci}
CACHE=$HERE/cache
VM_MEM=${VM_MEM:-2048}
VM_CPUS=${VM_CPUS:-2}
# Modules needed to mount the root before the host's own kmod is reachable.
# virtio_blk: the scratch disk below (no udev in the guest to load it later).
INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_blk"

# No huge page zeroing, no page init on alloc, no speculation mitigations:
# each costs a lot under TCG and nothing here needs them.
KERNEL_SPEED_ARGS="transparent_hugepage=never init_on_alloc=0 mitigations=off"
# A CPU stuck in the kernel (soft lockup: no scheduling for 2 x
# watchdog_thresh seconds, here 60 s, so a host too busy to run a vCPU for a
# while is not taken for one) panics the guest, with the backtrace of every
# CPU on the console; panic=-1 and -no-reboot then end qemu at once, and the
# run fails with that report instead of waiting for VM_TIMEOUT.
KERNEL_WATCHDOG_ARGS="watchdog_thresh=30 softlockup_panic=1 softlockup_all_cpu_backtrace=1"

die() { echo "$PROG: $*" >&2; exit 2; }

mode=run
if [ "${1:-}" = --shell ]; then mode=shell; shift; fi
case "${1:-}" in
  -h|--help) sed -n '3,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac

# --- prerequisites --------------------------------------------------------

pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# find_kernel: newest /boot/vmlinuz-VER whose modules are installed: the
# linux-image package's, never the host's running kernel (not in /boot).
find_kernel() {
  local k best=
  for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V); do
    [ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] && best=$k
  done
  echo "$best"
}

check_prerequisites() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  KERNEL=${VM_KERNEL:-$(find_kernel)}
  [ -n "$KERNEL" ] && [ -r "$KERNEL" ] || missing+=(linux-image-amd64)
  pkg_installed busybox-static || missing+=(busybox-static)
  command -v cpio >/dev/null || missing+=(cpio)
  command -v modprobe >/dev/null || missing+=(kmod)
  command -v xz >/dev/null || missing+=(xz-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "$PROG: missing Debian packages: ${missing[*]}" >&2
    echo "$PROG: install them with: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
  KVER=${KERNEL##*/vmlinuz-}
  MODDIR=/lib/modules/$KVER
  [ -f "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep: No such file or directory"
}

# --- initramfs ------------------------------------------------------------

# module_closure NAME...: module paths (relative to $MODDIR) in load order,
# dependencies before the modules that need them, each once.
module_closure() {
  local -A seen=()
  local order=()
  visit() {
    local path=$1 line dep
    [ -n "${seen[$path]:-}" ] && return 0
    seen[$path]=1
    line=$(grep -m1 -E "^$path:" "$MODDIR/modules.dep") || return 1
    for dep in ${line#*:}; do visit "$dep" || return 1; done
    order+=("$path")
  }
  local name path
  for name in "$@"; do
    path=$(grep -m1 -oE "^[^:]*/${name}\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep") ||
      { grep -qE "/${name}\.ko" "$MODDIR/modules.builtin" 2>/dev/null && continue; \
        die "module $name: not in $MODDIR/modules.dep"; }
    visit "${path%:}" || die "module $name: broken dependency in modules.dep"
  done
  printf '%s\n' "${order[@]}"
}

# initramfs_key: changes whenever anything that goes into the image changes.
initramfs_key() {
  {
    echo "$KVER $INITRAMFS_MODULES"
    sha256sum "$HERE/initramfs-init.sh" /bin/busybox
    stat -c '%n %s %Y' "$MODDIR/modules.dep"
  } | sha256sum | cut -d' ' -f1
}

build_initramfs() {
  INITRAMFS=$CACHE/initramfs-$KVER.cpio.gz
  local key stamp=$CACHE/initramfs-$KVER.key
  key=$(initramfs_key)
  if [ -f "$INITRAMFS" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    return 0
  fi
  mkdir -p "$CACHE" || die "mkdir $CACHE failed"
  local tree m order=()
  tree=$(mktemp -d "$CACHE/initramfs.XXXXXX") || die "mktemp in $CACHE failed"
  mkdir -p "$tree"/{bin,proc,sys,dev,modules}
  cp /bin/busybox "$tree/bin/busybox" || die "copy /bin/busybox failed"
  for m in $(/bin/busybox --list); do
    [ "$m" = busybox ] || ln -s busybox "$tree/bin/$m"
  done
  mapfile -t order < <(module_closure $INITRAMFS_MODULES) || exit 2
  [ ${#order[@]} -gt 0 ] || die "no kernel modules resolved from $MODDIR"
  for m in "${order[@]}"; do
    case "$m" in
      *.ko) cp "$MODDIR/$m" "$tree/modules/" ;;
      *.ko.xz) xz -dc "$MODDIR/$m" >"$tree/modules/$(basename "${m%.xz}")" ;;
      *.ko.zst) zstd -qdc "$MODDIR/$m" >"$tree/modules/$(basename "${m%.zst}")" ;;
      *.ko.gz) gzip -dc "$MODDIR/$m" >"$tree/modules/$(basename "${m%.gz}")" ;;
      *) die "module $m: unknown format" ;;
    esac || die "copy module $m failed"
    m=$(basename "$m"); echo "${m%.ko*}.ko"
  done >"$tree/modules.order"
  install -m 0755 "$HERE/initramfs-init.sh" "$tree/init" || die "copy init failed"
  (cd "$tree" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) \
    >"$tree.cpio.gz" || die "cpio of the initramfs failed"
  # Rename into place so a concurrent run never sees half an image.
  mv -f "$tree.cpio.gz" "$INITRAMFS" && echo "$key" >"$stamp"
  rm -rf "$tree"
}

# prepare_boot_kernel: sets BOOT_KERNEL. The bzImage decompresses itself in
# the guest, which takes seconds under TCG; the uncompressed vmlinux inside
# it has a PVH entry point that qemu can start directly, so extract it once
# (cached) and boot that. Any problem: boot the bzImage as it is.
prepare_boot_kernel() {
  BOOT_KERNEL=$KERNEL
  [ "${VM_PVH:-1}" = 1 ] || return 0
  local out=$CACHE/vmlinux-$KVER key off
  key=$(stat -c '%n %s %Y' "$KERNEL")
  if [ -s "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
    BOOT_KERNEL=$out; return 0
  fi
  mkdir -p "$CACHE" || return 0
  # The payload is the first xz stream (Debian's CONFIG_KERNEL_XZ).
  off=$(grep -abo -m1 $'\xfd7zXZ\x00' "$KERNEL" 2>/dev/null | head -n1 | cut -d: -f1)
  [ -n "$off" ] || return 0
  tail -c +$((off + 1)) "$KERNEL" | xz -dc --single-stream >"$out.tmp" 2>/dev/null
  # Only an ELF with the PVH entry note boots this way: an ELF note with
  # name "Xen", an 8-byte descriptor and type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
  if [ "$(head -c 4 "$out.tmp" 2>/dev/null | od -An -c | tr -d ' ')" = 177ELF ] &&
     LC_ALL=C grep -qaP '\x04\x00\x00\x00\x08\x00\x00\x00\x12\x00\x00\x00Xen\x00' "$out.tmp"; then
    mv -f "$out.tmp" "$out" && echo "$key" >"$out.key" && BOOT_KERNEL=$out
  else
    rm -f "$out.tmp"
  fi
}

# --- the run ----------------------------------------------------------------

# write_exchange DIR CMD...: files the guest reads (see guest-stage2.sh).
write_exchange() {
  local dir=$1; shift
  local v
  cp "$HERE/guest-stage2.sh" "$dir/stage2" || die "copy stage2 failed"
  echo "$mode" >"$dir/mode"
  echo "$GUEST_INIT" >"$dir/init"
  echo "$GUEST_CGROUPS" >"$dir/cgroups"
  {
    for v in SRCDIR BUILDDIR UOCI TESTS_FILTER CNI_BIN_DIR VM_SUITE BATS_TEST_TIMEOUT TERM LANG $GUEST_ENV; do
      [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
    done
  } >"$dir/env"
  {
    printf '. %q\n' "$dir_in_guest/env"
    printf 'cd %q 2>/dev/null || cd /\n' "$SRCDIR"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
  } >"$dir/cmd"
  # Trees shared read-write at their host paths (sources, when apart),
  # shortest path first so a build dir inside the sources stays visible.
  {
    echo "buildtree $BUILDDIR"
    case "$SRCDIR/" in
      "$BUILDDIR"/*) ;;
      *) echo "srctree $SRCDIR" ;;
    esac
  } | awk '{ print length($0), $0 }' | sort -n | cut -d' ' -f2- >"$dir/shares"
}

# choose_accel: kvm when /dev/kvm opens and the CPU has hardware
# virtualization (vmx/svm); a /dev/kvm without it (e.g. a software PVM
# hypervisor inside a VM) cannot boot a stock Debian kernel, so use TCG.
choose_accel() {
  if [ -n "${VM_ACCEL:-}" ]; then echo "$VM_ACCEL"; return; fi
  if ! [ -c /dev/kvm ] || ! { exec 3<>/dev/kvm; } 2>/dev/null; then
    echo "$PROG: /dev/kvm not usable, using TCG emulation (slower)" >&2
    echo tcg; return
  fi
  exec 3>&-
  if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
    echo "$PROG: /dev/kvm has no hardware virtualization (no vmx/svm), using TCG emulation (slower)" >&2
    echo tcg; return
  fi
  echo kvm
}

accel_options() {
  case "$1" in
    # -arch-capabilities: some nested KVM hosts refuse to set that MSR.
    kvm) echo "-enable-kvm -cpu ${VM_CPU:-host,-arch-capabilities}" ;;
    # -la57: 4-level page tables make TCG's software page walks cheaper.
    tcg) echo "-accel tcg,thread=multi -cpu ${VM_CPU:-max,-la57}" ;;
  esac
}

ninep() { # TAG PATH [readonly]
  echo "-fsdev local,id=fs_$1,path=$2,security_model=none,multidevs=remap${3:+,readonly=on}"
  echo "-device virtio-9p-pci,fsdev=fs_$1,mount_tag=$1"
}

qemu_base_args() { # ACCEL
  local args=(
    -nographic -nodefaults -no-user-config -no-reboot
    -machine pc $(accel_options "$1") -m "$VM_MEM" -smp "$VM_CPUS"
    -nic none
    -kernel "$BOOT_KERNEL" -initrd "$INITRAMFS"
    -append "console=ttyS0 quiet loglevel=3 panic=-1 $KERNEL_WATCHDOG_ARGS $CGROUP_ARGS random.trust_cpu=on $KERNEL_SPEED_ARGS rdinit=/init ${VM_APPEND:-}"
    $(ninep hostroot / readonly) $(ninep results "$xdir")
    $(ninep buildtree "$BUILDDIR")
    # A 64 MiB disk (/dev/vda) that reads zeros and discards writes, so block
    # I/O cgroup settings have a real device to apply to.
    -blockdev driver=null-co,node-name=scratch,size=67108864,read-zeroes=on
    -device virtio-blk-pci,drive=scratch
  )
  case "$SRCDIR/" in "$BUILDDIR"/*) ;; *) args+=($(ninep srctree "$SRCDIR")) ;; esac
  printf '%s\n' "${args[@]}"
}

console_tail() {
  echo "$PROG: last lines of the guest console and qemu:" >&2
  tail -n 30 "$xdir/console.log" "$xdir/qemu.log" 2>/dev/null | sed 's/^/#   /' >&2
}

# kernel_report_line: the first line of the guest kernel's own report of a
# problem (soft lockup, panic, oops, hung task) on the console, or nothing.
KERNEL_REPORT_RE='soft lockup|Kernel panic|BUG:|Oops|general protection fault|blocked for more than|rcu_sched detected stall|rcu: INFO'
kernel_report_line() {
  tr -d '\r' <"$xdir/console.log" 2>/dev/null | grep -m1 -aE "$KERNEL_REPORT_RE" | cut -c1-200
}

# kernel_report_excerpt: that report, 40 lines from its first line, with
# the register dumps left out (the task, the function and the call trace
# are what tell which code is stuck).
kernel_report_excerpt() {
  tr -d '\r' <"$xdir/console.log" 2>/dev/null |
    awk -v re="$KERNEL_REPORT_RE" '!on && $0 ~ re { on = 1 }
      on && !/ (RAX|RDX|RBP|R10|R13|FS|CS|CR2|DR0|DR3|RSP): |^ *Code: |Modules linked in/ { print; if (++n == 40) exit }' |
    cut -c1-200 | sed 's/^/#   /' >&2
}

# watchdog_excerpt: from the guest watchdog's dump, the processes and the
# kernel stacks of those running or in uninterruptible sleep (the blocked
# tasks and the CPUs' backtraces stay in watchdog.log).
watchdog_excerpt() {
  sed -n '/^--- processes/,/^--- kernel log/{/^--- /!p}' "$xdir/watchdog.log" 2>/dev/null |
    head -n 50 | cut -c1-200 | sed 's/^/#   /' >&2
}

# keep_evidence: the exchange dir (console log, watchdog dump) outlives a
# failed run, and the last line says where it is.
keep_evidence() {
  evidence_kept=1
  echo "$PROG: the guest's console log and outputs are kept in $xdir (console.log${1:+, $1})" >&2
}

# boot_watchdog QEMU_PID: kill qemu if the guest has not come up in time.
boot_watchdog() {
  local qpid=$1 waited=0
  while [ "$waited" -lt "$VM_BOOT_TIMEOUT" ]; do
    [ -e "$xdir/booted" ] && return 0
    kill -0 "$qpid" 2>/dev/null || return 0
    sleep 1; waited=$((waited + 1))
  done
  [ -e "$xdir/booted" ] && return 0
  : >"$xdir/boot-timeout"
  kill "$qpid" 2>/dev/null
}

# run_guest ACCEL: boot, stream the command's output, wait. Sets $qrc.
run_guest() {
  local accel=$1 qpid wpid tail_out tail_err
  rm -f "$xdir/booted" "$xdir/boot-timeout" "$xdir/status" "$xdir/guest-timeout" "$xdir/watchdog.log"
  # The guest's watchdog goes off first, while there is time to see why.
  local margin=60
  [ "$VM_TIMEOUT" -ge 240 ] || margin=$((VM_TIMEOUT / 4))
  echo $((VM_TIMEOUT - margin)) >"$xdir/timeout"
  : >"$xdir/stdout"; : >"$xdir/stderr"; : >"$xdir/console.log"
  mapfile -t qemu_args < <(qemu_base_args "$accel")
  start=$(date +%s.%N)
  timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 "${qemu_args[@]}" \
    -serial "file:$xdir/console.log" -monitor none </dev/null >"$xdir/qemu.log" 2>&1 &
  qpid=$!
  # The guest writes both files through an uncached 9p mount, so every line
  # arrives here as it is written.
  tail -q -c +1 -s 0.2 --pid=$qpid -f "$xdir/stdout" & tail_out=$!
  tail -q -c +1 -s 0.2 --pid=$qpid -f "$xdir/stderr" >&2 & tail_err=$!
  tail_pids="$tail_out $tail_err"
  boot_watchdog "$qpid" & wpid=$!
  wait "$qpid"; qrc=$?
  kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
  wait $tail_pids; tail_pids=
}

case "${VM_ACCEL:-}" in ''|kvm|tcg) ;; *) die "VM_ACCEL=$VM_ACCEL: expected kvm or tcg" ;; esac
check_prerequisites
[ -d "$BUILDDIR" ] || die "BUILDDIR $BUILDDIR: No such file or directory"
[ -d "$SRCDIR" ] || die "SRCDIR $SRCDIR: No such file or directory"
# The suite decides how the guest boots (also for a given command) and
# which integration files the default command runs.
GUEST_INIT=bash GUEST_CGROUPS=v2 CGROUP_ARGS=cgroup_no_v1=all GUEST_ENV=
default_cmd=guest-default.sh
# tcg_budget: VM_TIMEOUT under TCG for the suite's default command, about
# twice what it takes on the 2-core CI machine (docs/TESTING-VM.md), so a
# hang costs CI minutes, not half an hour.
tcg_budget=900
case "${VM_SUITE:=cgroupv2}" in
  cgroupv2) default_filter=cgroup ;;
  selinux)
    default_filter=selinux tcg_budget=420
    [ -f /etc/selinux/default/policy/policy.33 ] || ls /etc/selinux/default/policy/policy.* >/dev/null 2>&1 ||
      die "VM_SUITE=selinux: no policy in /etc/selinux/default (apt-get install selinux-policy-default policycoreutils)"
    command -v load_policy >/dev/null || die "VM_SUITE=selinux: load_policy missing (apt-get install policycoreutils)"
    VM_APPEND="security=selinux selinux=1 lsm=selinux ${VM_APPEND:-}" ;;
  systemd)
    # systemd as PID 1, the system bus, and the systemd tests of the
    # integration and client suites (cgroup-systemd.bats, systemd.bats).
    default_filter='systemd\.bats$' GUEST_INIT=systemd tcg_budget=480
    [ -x /lib/systemd/systemd ] || die "VM_SUITE=systemd: /lib/systemd/systemd missing (apt-get install systemd)"
    command -v dbus-daemon >/dev/null || die "VM_SUITE=systemd: dbus-daemon missing (apt-get install dbus)" ;;
  checkpoint)
    # CRIU works on the guest's kernel (the host's may be too new for it):
    # the checkpoint tests of the integration, CNI and client suites.
    default_filter=checkpoint tcg_budget=900
    command -v criu >/dev/null || [ -x /usr/sbin/criu ] || die "VM_SUITE=checkpoint: criu missing (apt-get install criu)" ;;
  checkpoint-hybrid)
    # The same integration tests on a hybrid cgroup layout (v1 hierarchies,
    # name=systemd, cgroup2 at /sys/fs/cgroup/unified): CRIU's cgroup roots
    # and the cgroup binds in every hierarchy.
    default_filter=checkpoint GUEST_CGROUPS=hybrid CGROUP_ARGS= tcg_budget=720
    command -v criu >/dev/null || [ -x /usr/sbin/criu ] || die "VM_SUITE=$VM_SUITE: criu missing (apt-get install criu)" ;;
  bench)
    # bench/run.sh on pure cgroup v2 against crun and runc (where crun is
    # at home); not a test, so never part of tests/run.sh.
    default_cmd=guest-bench.sh default_filter= tcg_budget=1800
    GUEST_ENV="N E M GAP_MS COUNT PAR SKIP SPEC_FROM SCALE SCALE_N FLOOR_C BENCH_RUNTIMES"
    command -v jq >/dev/null || die "VM_SUITE=bench: jq missing (apt-get install jq)"
    command -v crun >/dev/null || echo "$PROG: VM_SUITE=bench: crun missing, no reference (apt-get install crun)" >&2 ;;
  *) die "VM_SUITE=$VM_SUITE: expected cgroupv2, selinux, systemd, checkpoint, checkpoint-hybrid or bench" ;;
esac
export VM_SUITE
if [ $# -eq 0 ]; then
  [ -f "$SRCDIR/tests/run.sh" ] || die "no command given and $SRCDIR/tests/run.sh: No such file or directory"
  export TESTS_FILTER=${TESTS_FILTER:-$default_filter}
  # One bats test that hangs fails alone (bats: "# timeout after Ns").
  export BATS_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-300}
  [ "$BATS_TEST_TIMEOUT" != 0 ] || unset BATS_TEST_TIMEOUT
  set -- bash "$HERE/$default_cmd"
else
  tcg_budget=1800
fi
build_initramfs
prepare_boot_kernel

xdir=$(mktemp -d "${TMPDIR:-/tmp}/cgroupv2-vm.XXXXXX") || die "mktemp failed"
dir_in_guest=/vm-results
cleanup() {
  [ -n "${tail_pids:-}" ] && kill $tail_pids 2>/dev/null
  if [ -n "${evidence_kept:-}" ]; then :
  elif [ -n "${VM_KEEP:-}" ]; then echo "$PROG: kept $xdir" >&2; else rm -rf "$xdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
write_exchange "$xdir" "$@"
: >"$xdir/stdout"; : >"$xdir/stderr"

if [ "$mode" = shell ]; then
  mapfile -t qemu_args < <(qemu_base_args "$(choose_accel)")
  qemu-system-x86_64 "${qemu_args[@]}" -serial mon:stdio
  exit $?
fi

accel=$(choose_accel)
user_timeout=${VM_TIMEOUT:-}
VM_TIMEOUT=${VM_TIMEOUT:-$([ "$accel" = kvm ] && echo 600 || echo "$tcg_budget")}
case "$VM_TIMEOUT" in ''|*[!0-9]*) die "VM_TIMEOUT=$VM_TIMEOUT: expected a number of seconds" ;; esac
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-$([ "$accel" = kvm ] && echo 30 || echo 120)}
run_guest "$accel"
if [ -e "$xdir/boot-timeout" ] && [ "$accel" = kvm ] && [ -z "${VM_ACCEL:-}" ]; then
  echo "$PROG: guest did not boot under KVM within ${VM_BOOT_TIMEOUT}s, retrying with TCG" >&2
  accel=tcg VM_BOOT_TIMEOUT=120 VM_TIMEOUT=${user_timeout:-$tcg_budget}
  run_guest tcg
fi
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

if [ -s "$xdir/init-error" ] || [ -s "$xdir/guest-error" ]; then
  sed "s/^/$PROG: /" "$xdir/init-error" "$xdir/guest-error" 2>/dev/null >&2
fi
if [ -e "$xdir/boot-timeout" ]; then
  echo "$PROG: guest did not boot within ${VM_BOOT_TIMEOUT}s (VM_BOOT_TIMEOUT, $accel) and was killed" >&2
  console_tail
  exit 124
fi
if [ -e "$xdir/guest-timeout" ]; then
  echo "$PROG: the guest's watchdog found the command still running after $(cat "$xdir/timeout")s; its processes, and the kernel stacks of those running or in D state:" >&2
  watchdog_excerpt
  report=$(kernel_report_line)
  [ -z "$report" ] || echo "$PROG: the guest kernel had reported: $report" >&2
  keep_evidence watchdog.log
  echo "$PROG: guest timed out after ${VM_TIMEOUT}s (VM_TIMEOUT), stopped by its watchdog" >&2
  exit 124
fi
report=$(kernel_report_line)
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  if [ -n "$report" ]; then kernel_report_excerpt; else console_tail; fi
  keep_evidence
  echo "$PROG: guest timed out after ${VM_TIMEOUT}s (VM_TIMEOUT) and was killed${report:+; its kernel reported: $report}" >&2
  exit 124
fi
if [ ! -s "$xdir/status" ]; then
  if [ -n "$report" ]; then kernel_report_excerpt; else console_tail; fi
  keep_evidence
  echo "$PROG: guest ended (qemu status $qrc) without reporting the command's exit status${report:+; its kernel reported: $report}" >&2
  exit 125
fi
status=$(cat "$xdir/status")
# A kernel that complained but carried on (a hung task warning, a WARN
# splat) does not fail the run, but it is said.
[ -z "$report" ] || echo "$PROG: note: the guest kernel reported: $report (VM_KEEP=1 keeps console.log)" >&2
if [ -d "$xdir/bench" ]; then
  out=${VM_BENCH_OUT:-/var/tmp/uoci-bench/results-vm}
  if mkdir -p "$out" && cp -r "$xdir/bench/." "$out/"; then
    echo "$PROG: bench results copied to $out" >&2
  else
    echo "$PROG: copying the bench results to $out failed" >&2; status=1
  fi
fi
if [ -n "${VM_VERBOSE:-}" ]; then
  echo "$PROG: $accel guest booted in $(cat "$xdir/booted")s (guest uptime at stage 2), whole run ${elapsed}s, exit status $status" >&2
fi
exit "$status"

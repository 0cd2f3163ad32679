#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the test guest's initramfs (stage 1), run by the guest kernel.
#
# It only builds the guest's root filesystem and then hands over to stage 2:
#   /lower     the host's root filesystem, 9p tag "hostroot", read-only
#   /rw        tmpfs holding the overlay's upper and work directories
#   /newroot   overlay(lower=/lower, upper=/rw/upper): the host's tools and
#              libraries, writable in the guest, nothing reaches the host
#   /newroot/vm-results   9p tag "results": the run's exchange directory
#   /newroot<path>        9p read-write shares listed in results/shares
#                         ("TAG PATH" per line: the build and source trees)
# Stage 2 (results/stage2, copied there by the host for every run) mounts
# the API filesystems, cgroup2, runs the command and powers the guest off.
# Everything here is busybox: the host's tools are only reachable after the
# overlay is mounted.

export PATH=/bin

fail() {
  echo "vm-init: $*" >&2
  # Give the host a reason in the exchange directory when it is mounted.
  [ -d /results ] && echo "vm-init: $*" >>/results/init-error 2>/dev/null
  echo o >/proc/sysrq-trigger
  sleep 5
  exit 1
}

mount -t proc proc /proc || fail "mount proc failed"
mount -t sysfs sysfs /sys || fail "mount sysfs failed"
mount -t devtmpfs devtmpfs /dev || fail "mount devtmpfs failed"

# modules.order lists the needed modules with their dependencies first.
while read -r module; do
  [ -n "$module" ] || continue
  insmod "/modules/$module" || fail "insmod $module failed"
done </modules.order

ninep_opts=trans=virtio,version=9p2000.L,msize=262144

mkdir -p /results /lower /rw /newroot
# cache=none: every write reaches the host at once, so it can stream output.
mount -t 9p -o "$ninep_opts,cache=none" results /results ||
  fail "mount 9p share 'results' failed"
# The host tree does not change under a test run: let the guest cache it.
mount -t 9p -o "$ninep_opts,ro,cache=loose" hostroot /lower ||
  fail "mount 9p share 'hostroot' failed"
mount -t tmpfs -o mode=0755 rw /rw || fail "mount tmpfs /rw failed"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
  overlay /newroot || fail "mount overlay of the host root failed"

# Read-write shares at their host paths, so built binaries and absolute
# paths in the environment mean the same thing in the guest.
if [ -f /results/shares ]; then
  while read -r tag path; do
    [ -n "$tag" ] || continue
    mkdir -p "/newroot$path" || fail "mkdir $path failed"
    mount -t 9p -o "$ninep_opts,cache=mmap" "$tag" "/newroot$path" ||
      fail "mount 9p share '$tag' at $path failed"
  done </results/shares
fi

[ -f /results/stage2 ] || fail "results/stage2 missing"
mkdir -p /newroot/vm-results
mount --move /results /newroot/vm-results || fail "move results failed"
for fs in proc sys dev; do
  mount --move "/$fs" "/newroot/$fs" || fail "move /$fs failed"
done

exec switch_root /newroot /bin/bash /vm-results/stage2
fail "switch_root failed"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mkrootfs.sh DIR - a minimal root filesystem from busybox-static: /bin/busybox
# with one symlink per applet, the directories the default config mounts onto,
# and small /etc files. Idempotent: does nothing if DIR/bin/busybox is current.
set -eu
dir=${1:?usage: ${0##*/} DIR}
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
  echo "mkrootfs: $busybox missing: apt-get install -y busybox-static" >&2
  exit 1
fi
if ! file_out=$(LC_ALL=C readelf -l "$busybox" 2>/dev/null) || echo "$file_out" | grep -q 'INTERP'; then
  echo "mkrootfs: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi
if [ -x "$dir/bin/busybox" ] && cmp -s "$busybox" "$dir/bin/busybox"; then
  exit 0
fi
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev tmp etc root run var/tmp home
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >etc/passwd
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >etc/group
printf '127.0.0.1 localhost\n' >etc/hosts
: >etc/resolv.conf
echo ulysses >etc/hostname

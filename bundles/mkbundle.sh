#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mkbundle.sh DIR - complete a bundle: DIR/rootfs from busybox-static, and a
# DIR/config.json from `ulysses-oci spec` when the bundle has none.
set -eu
dir=${1:?usage: mkbundle.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
uoci=${UOCI:-$here/../src/ulysses-oci}
"$here/mkrootfs.sh" "$dir/rootfs"
[ -f "$dir/config.json" ] || "$uoci" spec --bundle "$dir"
echo "$dir"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkimage.sh OUTDIR - a one-layer OCI image archive of the project's busybox
# rootfs (bundles/mkrootfs.sh), written by hand: no registry, no umoci/skopeo.
# Produces OUTDIR/busybox-oci.tar (an OCI image layout in a tar, uncompressed
# layer), tagged "latest" for podman's oci-archive: transport and named
# localhost/ulysses-tests/busybox:latest for `ctr images import`.
# Prints the image name. Needs: tar, jq, sha256sum.
set -euo pipefail
out=${1:?usage: mkimage.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=${SRCDIR:-$(cd "$here/../.." && pwd)}
name=localhost/ulysses-tests/busybox:latest

mkdir -p "$out"
rootfs=$out/rootfs
# The integration tests' cached rootfs, copied: making one symlink per applet
# costs a few hundred forks (half a minute in the TCG guest of tests/vm).
cache=${ROOTFS_CACHE:-/var/tmp/ulysses-tests-rootfs}
"$srcdir/bundles/mkrootfs.sh" "$cache" >&2
rm -rf "$rootfs"
cp -a "$cache" "$rootfs"
mkdir -p "$rootfs/tmp" "$rootfs/home/user" "$rootfs/data"
chmod 1777 "$rootfs/tmp"

layout=$out/layout
rm -rf "$layout"
mkdir -p "$layout/blobs/sha256"
blob() { # FILE -> moves it into the layout, prints "digest size"
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$layout/blobs/sha256/$d"
  echo "$d $s"
}

# Fixed owner and mtime: the same rootfs gives the same digests.
tar -C "$rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$out/layer.tar" .
read -r layer lsize < <(blob "$out/layer.tar")

jq -n --arg diff "sha256:$layer" '{
  architecture: "amd64", os: "linux",
  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"]},
  rootfs: {type: "layers", diff_ids: [$diff]}
}' >"$out/config.json"
read -r config csize < <(blob "$out/config.json")

jq -n --arg c "sha256:$config" --argjson cs "$csize" --arg l "sha256:$layer" --argjson ls "$lsize" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
}' >"$out/manifest.json"
read -r manifest msize < <(blob "$out/manifest.json")

jq -n --arg m "sha256:$manifest" --argjson ms "$msize" --arg name "$name" '{
  schemaVersion: 2,
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
               annotations: {"org.opencontainers.image.ref.name": "latest", "io.containerd.image.name": $name}}]
}' >"$layout/index.json"
echo '{"imageLayoutVersion": "1.0.0"}' >"$layout/oci-layout"
tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner -cf "$out/busybox-oci.tar" .
echo "$name"

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# bundles/ulysses-bundle: overlay bundles from a rootfs tarball or directory,
# the layer cache, export of the writable layer, rm and prune.
load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  export ULYSSES_LAYERS=$TEST_TMP/layers
  TOOL=$SRCDIR/bundles/ulysses-bundle
  CID=bt$$x$BATS_TEST_NUMBER
  rootfs_template
  tar -C "$ROOTFS_CACHE" -cf "$TEST_TMP/rootfs.tar" .
}

teardown() {
  cleanup_all_containers
  # Whatever failed, unmount what this test mounted, then remove it all.
  findmnt -rn -o TARGET | grep "^$TEST_TMP/" | sort -r | while read -r m; do umount "$m"; done
  rm -rf "$TEST_TMP"
}

cleanup_all_containers() {
  local id
  for id in $(ls "$STATE" 2>/dev/null); do
    "$UOCI" --root "$STATE" delete -f "$id" >/dev/null 2>&1 || true
  done
}

mounts_under_tmp() { findmnt -rn -o TARGET | grep -c "^$TEST_TMP/" || true; }

# Non-directory entries of a tar, sorted.
tar_files() { tar -tvf "$1" | grep -v '^d' | awk '{print $NF}' | sort; }

@test "bundle-tool: create from a tarball mounts an overlay over a cached layer" {
  run "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --no-tty --args "true"
  [ "$status" = 0 ]
  hash=$(sha256sum "$TEST_TMP/rootfs.tar" | cut -d' ' -f1)
  [ -x "$ULYSSES_LAYERS/$hash/bin/busybox" ]
  [ "$(findmnt -rn -o FSTYPE "$TEST_TMP/b/rootfs")" = overlay ]
  findmnt -rn -o FS-OPTIONS "$TEST_TMP/b/rootfs" | grep -q "lowerdir=l/0,upperdir=upper,workdir=work"
  [ "$(readlink "$TEST_TMP/b/.overlay/l/0")" = "$ULYSSES_LAYERS/$hash" ]
  [ "$(jq -c .root "$TEST_TMP/b/config.json")" = '{"path":"rootfs","readonly":false}' ]
  [ "$(jq -c .process.args "$TEST_TMP/b/config.json")" = '["true"]' ]
}

@test "bundle-tool: a container's write is all the export holds; rm leaves nothing mounted" {
  "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --no-tty \
    --args "sh -c 'echo hello >/root/new-file'"
  uoci run --bundle "$TEST_TMP/b" "$CID"
  # the layer itself is untouched
  hash=$(sha256sum "$TEST_TMP/rootfs.tar" | cut -d' ' -f1)
  [ ! -e "$ULYSSES_LAYERS/$hash/root/new-file" ]
  "$TOOL" export "$TEST_TMP/b" "$TEST_TMP/out.tar"
  [ "$(tar_files "$TEST_TMP/out.tar")" = ./root/new-file ]
  [ "$(tar -xOf "$TEST_TMP/out.tar" ./root/new-file)" = hello ]
  "$TOOL" rm "$TEST_TMP/b"
  [ "$(mounts_under_tmp)" = 0 ]
  [ ! -e "$TEST_TMP/b" ]
}

@test "bundle-tool: deleted files export as whiteouts and hide the file when stacked as a layer" {
  "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --no-tty \
    --args "sh -c 'rm /etc/hosts; echo new >/etc/added'"
  uoci run --bundle "$TEST_TMP/b" "$CID"
  "$TOOL" export "$TEST_TMP/b" - >"$TEST_TMP/out.tar"
  [ "$(tar_files "$TEST_TMP/out.tar" | tr '\n' ' ')" = "./etc/.wh.hosts ./etc/added " ]
  "$TOOL" create "$TEST_TMP/b2" --from "$TEST_TMP/rootfs.tar" --from "$TEST_TMP/out.tar" --no-tty \
    --args "sh -c 'cat /etc/added; test -e /etc/hosts || echo no-hosts'"
  run uoci run --bundle "$TEST_TMP/b2" "$CID"
  [ "$status" = 0 ]
  [ "$output" = $'new\nno-hosts' ]
  [ "$(wc -l <"$TEST_TMP/b2/.overlay/layers")" = 2 ]
}

@test "bundle-tool: a directory removed and made again exports as opaque and hides the lower layers' files" {
  mkdir -p "$TEST_TMP/base/data/keep"
  echo a >"$TEST_TMP/base/data/a"
  "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --from "$TEST_TMP/base" --no-tty \
    --args "sh -c 'rm -rf /data && mkdir /data && echo c >/data/c'"
  uoci run --bundle "$TEST_TMP/b" "$CID"
  "$TOOL" export "$TEST_TMP/b" "$TEST_TMP/out.tar"
  [ "$(tar_files "$TEST_TMP/out.tar" | tr '\n' ' ')" = "./data/.wh..wh..opq ./data/c " ]
  "$TOOL" create "$TEST_TMP/b2" --from "$TEST_TMP/rootfs.tar" --from "$TEST_TMP/base" --from "$TEST_TMP/out.tar" \
    --no-tty --args "ls -A /data"
  run uoci run --bundle "$TEST_TMP/b2" "${CID}b"
  [ "$status" = 0 ]
  [ "$output" = c ]
  # the marker became the overlay's xattr on the top layer (listed first), not a file
  [ "$(getfattr --only-values -n trusted.overlay.opaque "$(sed -n 1p "$TEST_TMP/b2/.overlay/layers")/data")" = y ]
}

@test "bundle-tool: a directory is one cached layer shared by bundles, each with its own writes" {
  "$TOOL" create "$TEST_TMP/b1" --from "$ROOTFS_CACHE" --no-tty --args "sh -c 'echo one >/tmp/mine'"
  "$TOOL" create "$TEST_TMP/b2" --from "$ROOTFS_CACHE" --no-tty --args "sh -c 'cat /tmp/mine 2>/dev/null || echo absent'"
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 1 ]
  uoci run --bundle "$TEST_TMP/b1" "${CID}a"
  run uoci run --bundle "$TEST_TMP/b2" "${CID}b"
  [ "$output" = absent ]
  [ "$(cat "$TEST_TMP/b1/rootfs/tmp/mine")" = one ]
  # prune keeps a layer while a mounted bundle uses it, drops it after rm
  "$TOOL" rm "$TEST_TMP/b1"
  "$TOOL" prune
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 1 ]
  "$TOOL" rm "$TEST_TMP/b2"
  "$TOOL" prune
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 0 ]
  [ "$(mounts_under_tmp)" = 0 ]
}

@test "bundle-tool: mount again after an unmount (as after a reboot)" {
  "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --no-tty --args "sh -c 'echo kept >/kept'"
  uoci run --bundle "$TEST_TMP/b" "$CID"
  umount "$TEST_TMP/b/rootfs"
  "$TOOL" mount "$TEST_TMP/b"
  [ "$(cat "$TEST_TMP/b/rootfs/kept")" = kept ]
  "$TOOL" rm "$TEST_TMP/b"
}

@test "bundle-tool: failures are one line and leave no bundle, mount or layer" {
  run "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --memory 12x
  [ "$status" = 1 ]
  [[ $output == *"--memory"* ]]
  [ ! -e "$TEST_TMP/b" ]
  [ "$(mounts_under_tmp)" = 0 ]
  [ "$(ls "$ULYSSES_LAYERS" 2>/dev/null | wc -l)" = 0 ]
  run "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/nonexistent.tar"
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *"nonexistent.tar"* ]]
  [ ! -e "$TEST_TMP/b" ]
  echo "not a tar" >"$TEST_TMP/junk.tar"
  run "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/junk.tar"
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *"junk.tar"* ]]
  [ ! -e "$TEST_TMP/b" ]
  [ "$(mounts_under_tmp)" = 0 ]
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 0 ]
  run "$TOOL" create "$TEST_TMP/b"
  [ "$status" = 1 ]
  [[ $output == *"--from"* ]]
  run "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/rootfs.tar" --cmd true
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *"--cmd replaces an image's command: it needs --image"* ]]
  [ ! -e "$TEST_TMP/b" ]
  mkdir -p "$TEST_TMP/full" && touch "$TEST_TMP/full/x"
  run "$TOOL" create "$TEST_TMP/full" --from "$TEST_TMP/rootfs.tar"
  [ "$status" = 1 ]
  [[ $output == *"not empty"* ]]
  [ -e "$TEST_TMP/full/x" ]
  run "$TOOL" export "$TEST_TMP/full" "$TEST_TMP/o.tar"
  [ "$status" = 1 ]
  [[ $output == *"not a bundle made by ulysses-bundle"* ]]
  run "$TOOL" rm "$TEST_TMP/full"
  [ "$status" = 1 ]
  [ -e "$TEST_TMP/full/x" ]
}

@test "bundle-tool: 61 layers mount (absolute paths would not fit overlayfs' one-page options); prune keeps them while mounted" {
  set -- --from "$TEST_TMP/rootfs.tar"
  for i in $(seq 1 60); do
    mkdir -p "$TEST_TMP/src/$i/layers"
    echo "$i" >"$TEST_TMP/src/$i/layers/f$i"
    echo "$i" >"$TEST_TMP/src/$i/top"
    set -- "$@" --from "$TEST_TMP/src/$i"
  done
  "$TOOL" create "$TEST_TMP/b" "$@" --no-tty --args "sh -c 'cat /top; ls /layers | wc -l'"
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$status" = 0 ]
  [ "$output" = "$(printf '60\n60')" ]
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 61 ]
  run "$TOOL" prune
  [ "$status" = 0 ]
  [ -z "$output" ]
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 61 ]
  "$TOOL" rm "$TEST_TMP/b"
  [ "$("$TOOL" prune | wc -l)" = 61 ]
  [ "$(mounts_under_tmp)" = 0 ]
}

@test "bundle-tool: --help lists every command" {
  run "$TOOL" --help
  [ "$status" = 0 ]
  for c in create export mount rm prune; do [[ $output == *"  $c"* ]]; done
}

@test "bundle-tool: --user NAME is looked up in the layers' /etc/passwd (a server's own user)" {
  # as a Debian rootfs with redis: the name exists only in the layer, not in the bundle yet
  cp -a "$ROOTFS_CACHE" "$TEST_TMP/img"
  echo 'srv:x:100:103::/var/lib/srv:/bin/false' >>"$TEST_TMP/img/etc/passwd"
  printf 'srv:x:103:\nssl-cert:x:102:srv\n' >>"$TEST_TMP/img/etc/group"
  "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/img" --no-tty --user srv --args "id"
  [ "$(jq -c .process.user "$TEST_TMP/b/config.json")" = '{"uid":100,"gid":103,"additionalGids":[103,102]}' ]
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$status" = 0 ]
  [ "$output" = "uid=100(srv) gid=103(srv) groups=102(ssl-cert),103(srv)" ]
  # a name no layer has: one line, and the layer imported for it is gone again
  run "$TOOL" create "$TEST_TMP/b2" --from "$TEST_TMP/img" --user nosuchuser
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *'"nosuchuser"'* ]]
  [ ! -e "$TEST_TMP/b2" ]
  "$TOOL" rm "$TEST_TMP/b"
  "$TOOL" prune
  [ "$(ls "$ULYSSES_LAYERS" | wc -l)" = 0 ]
  [ "$(mounts_under_tmp)" = 0 ]
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ulysses-bundle create --image: bundles from OCI image layouts, oci-archives
# and docker-archives. An image built here (the busybox rootfs plus a user,
# an image config) and saved by podman as both archives runs with the output
# `podman run` gives; hand-made images check layer features (compression,
# whiteouts, hard links, devices, xattrs), sharing of cached layers, and a
# table of hostile images, each refused in one line with nothing left behind.
load helpers

MKIMAGE="/usr/bin/python3 $SRCDIR/tests/helpers/mkimage.py"
IMG=localhost/uoci-test/img:latest

# podman with private storage and configuration, in a mount namespace whose
# /run and /var/lib are its own tmpfs (podman keeps caches and locks there).
pod() {
  unshare --mount --propagation private \
    bash -c 'mount -t tmpfs uoci-img /run && mount -t tmpfs uoci-img /var/lib && exec "$@"' _ \
    podman --root "$FILE_TMP/podman/root" --runroot "$FILE_TMP/podman/runroot" --storage-driver vfs "$@"
}

setup_file() {
  FILE_TMP=$(mktemp -d /tmp/uoci-img.XXXXXX)
  export FILE_TMP
  rootfs_template
  # the image's rootfs: busybox, a user app (1000) also in group tty, its home, a motd
  local r=$FILE_TMP/rootfs
  cp -a "$ROOTFS_CACHE" "$r"
  echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$r/etc/passwd"
  echo 'app:x:1000:' >>"$r/etc/group"
  sed -i 's/^tty:x:5:$/tty:x:5:app/' "$r/etc/group"
  mkdir -p "$r/home/app" && chown 1000:1000 "$r/home/app"
  echo "hello from the image" >"$r/etc/motd"
  tar -C "$r" --numeric-owner -cf "$FILE_TMP/rootfs.tar" .
  export PODMAN_MISSING=
  command -v podman >/dev/null && command -v conmon >/dev/null || { PODMAN_MISSING=1; return 0; }
  local p=$FILE_TMP/podman
  mkdir -p "$p/tmp" "$p/net"
  cat >"$p/containers.conf" <<EOF
[containers]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$p/events.log"
tmp_dir = "$p/tmp"
volume_path = "$p/volumes"
[network]
network_config_dir = "$p/net"
EOF
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/root"\nrunroot = "%s/runroot"\n' "$p" "$p" >"$p/storage.conf"
  : >"$p/registries.conf"
  export CONTAINERS_CONF=$p/containers.conf CONTAINERS_STORAGE_CONF=$p/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$p/registries.conf
  export CGNAME=uoci-test-img-$$
  pod import -q \
    --change 'ENTRYPOINT ["/bin/sh", "-c"]' \
    --change 'CMD ["id; pwd; echo \"FOO=$FOO\"; echo \"HOME=$HOME\"; echo \"PATH=$PATH\"; cat /etc/motd"]' \
    --change 'ENV FOO="bar baz"' --change 'WORKDIR /home/app' --change 'USER app' \
    --change 'LABEL org.example.title=test-image' --change 'LABEL org.ulysses.network=evilnet' \
    --change 'EXPOSE 8080/tcp' --change 'VOLUME /data' --change 'STOPSIGNAL SIGQUIT' \
    "$FILE_TMP/rootfs.tar" "$IMG" >/dev/null
  pod save -q --format oci-archive -o "$FILE_TMP/img-oci.tar" "$IMG"
  pod save -q --format docker-archive -o "$FILE_TMP/img-docker.tar" "$IMG"
  # the reference: podman's own conversion, run by runc (else by us)
  local rt=runc
  command -v runc >/dev/null || rt=$UOCI
  pod run --rm --runtime "$rt" --network none --cgroup-parent "/$CGNAME" \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$IMG" >"$FILE_TMP/podman.out" 2>&1 || true
}

teardown_file() {
  local d
  for d in /sys/fs/cgroup/*/"${CGNAME:-none}" /sys/fs/cgroup/"${CGNAME:-none}"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$FILE_TMP"
}

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  export ULYSSES_LAYERS=$TEST_TMP/layers
  TOOL=$SRCDIR/bundles/ulysses-bundle
  CID=bi$$x$BATS_TEST_NUMBER
}

teardown() {
  local id
  for id in $(ls "$STATE" 2>/dev/null); do uoci delete -f "$id" >/dev/null 2>&1 || true; done
  findmnt -rn -o TARGET | grep "^$TEST_TMP/" | sort -r | while read -r m; do umount "$m"; done
  rm -rf "$TEST_TMP"
}

need_podman() { [ -z "$PODMAN_MISSING" ] || skip "podman or conmon not installed"; }

mounts_under_tmp() { findmnt -rn -o TARGET | grep -c "^$TEST_TMP/" || true; }

store_entries() { find "$ULYSSES_LAYERS" -mindepth 1 -maxdepth 1 ! -name .lock 2>/dev/null | sort; }

# The layer store holds exactly N layers (and no import in progress).
store_has() {
  local n
  n=$(store_entries | wc -l)
  [ "$n" = "$1" ] || { echo "store has $n entries, not $1:"; ls -A "$ULYSSES_LAYERS"; false; }
}

# refused REF EXPECTED [ENV...]: create fails with one line containing
# EXPECTED, and leaves no bundle, mount, new layer or escaped file.
refused() {
  local ref=$1 want=$2 before mounts
  shift 2
  before=$(store_entries)
  mounts=$(mounts_under_tmp)
  run env "$@" "$TOOL" create "$TEST_TMP/refused" --image "$ref"
  [ "$status" = 1 ] || { echo "$ref: status $status: $output"; return 1; }
  [ "${#lines[@]}" = 1 ] || { echo "$ref: ${#lines[@]} lines: $output"; return 1; }
  [[ $output == "ulysses-bundle: "*"$want"* ]] || { echo "$ref: \"$output\" lacks \"$want\""; return 1; }
  [ ! -e "$TEST_TMP/refused" ] || { echo "$ref: bundle left"; return 1; }
  [ "$(mounts_under_tmp)" = "$mounts" ] || { echo "$ref: mount left"; return 1; }
  [ "$(store_entries)" = "$before" ] || { echo "$ref: layer left: $(store_entries)"; return 1; }
  [ ! -e "$TEST_TMP/escaped" ] || { echo "$ref: wrote $TEST_TMP/escaped"; return 1; }
  [ ! -e "$TEST_TMP/victim" ] || [ "$(stat -c %h "$TEST_TMP/victim")" = 1 ] ||
    { echo "$ref: hard-linked $TEST_TMP/victim"; return 1; }
}

@test "bundle-image: an oci-archive saved by podman runs with the output podman run gives" {
  need_podman
  grep -q '^uid=1000(app)' "$FILE_TMP/podman.out" || { cat "$FILE_TMP/podman.out"; false; }
  run "$TOOL" create "$TEST_TMP/b" --image "oci-archive:$FILE_TMP/img-oci.tar"
  [ "$status" = 0 ]
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$status" = 0 ]
  diff <(echo "$output") "$FILE_TMP/podman.out"
  [ "${lines[0]}" = "uid=1000(app) gid=1000(app) groups=5(tty),1000(app)" ]
  [ "${lines[1]}" = /home/app ]
  [ "${lines[2]}" = "FOO=bar baz" ]
  [ "${lines[5]}" = "hello from the image" ]
  [ "$(findmnt -rn -o FSTYPE "$TEST_TMP/b/rootfs")" = overlay ]
}

@test "bundle-image: docker-archive and an OCI layout directory give the same config and the same cached layer" {
  need_podman
  "$TOOL" create "$TEST_TMP/b1" --image "oci-archive:$FILE_TMP/img-oci.tar:$IMG" 2>/dev/null
  "$TOOL" create "$TEST_TMP/b2" --image "docker-archive:$FILE_TMP/img-docker.tar" 2>/dev/null
  mkdir "$TEST_TMP/layout" && tar -C "$TEST_TMP/layout" -xf "$FILE_TMP/img-oci.tar"
  "$TOOL" create "$TEST_TMP/b3" --image "oci:$TEST_TMP/layout:@0" 2>/dev/null
  "$TOOL" create "$TEST_TMP/b4" --image "docker-archive:$FILE_TMP/img-docker.tar:uoci-test/img" 2>/dev/null
  for b in b2 b3 b4; do
    # the same but for the bundle's own path (its volumes' sources)
    diff <(jq -S . "$TEST_TMP/b1/config.json" | sed "s#$TEST_TMP/b1/#BUNDLE/#") \
      <(jq -S . "$TEST_TMP/$b/config.json" | sed "s#$TEST_TMP/$b/#BUNDLE/#")
    diff "$TEST_TMP/b1/.overlay/layers" "$TEST_TMP/$b/.overlay/layers"
  done
  store_has 1
  run uoci run --bundle "$TEST_TMP/b2" "$CID"
  diff <(echo "$output") "$FILE_TMP/podman.out"
  # a tag the archive does not have: the error lists those it has
  refused "docker-archive:$FILE_TMP/img-docker.tar:other:1" "no image tagged \"other:1\" (tags: $IMG)"
  refused "oci-archive:$FILE_TMP/img-oci.tar:@1" "no image @1 (there are 1)"
}

@test "bundle-image: config.json follows the image-spec conversion; unsafe labels are left out with a note" {
  need_podman
  run "$TOOL" create "$TEST_TMP/b" --image "oci-archive:$FILE_TMP/img-oci.tar"
  [ "$status" = 0 ]
  [[ $output == *"note: the image exposes 8080/tcp: publish with --network NAME -p HOST_PORT:8080"* ]]
  [[ $output == *"note: the image's volumes /data are directories of the bundle"* ]]
  [[ $output == *"note: label org.ulysses.network not made an annotation"* ]]
  c=$TEST_TMP/b/config.json
  [ "$(jq -c .process.args "$c")" = '["/bin/sh","-c","id; pwd; echo \"FOO=$FOO\"; echo \"HOME=$HOME\"; echo \"PATH=$PATH\"; cat /etc/motd"]' ]
  [ "$(jq -c .process.user "$c")" = '{"uid":1000,"gid":1000,"additionalGids":[1000,5]}' ]
  [ "$(jq -r .process.cwd "$c")" = /home/app ]
  jq -e '.process.env | index("FOO=bar baz")' "$c"
  [ "$(jq -r .process.terminal "$c")" = false ]
  [ "$(jq -r '.annotations["org.example.title"]' "$c")" = test-image ]
  [ "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$c")" = 8080/tcp ]
  [ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$c")" = \
    "$(jq -r .config.StopSignal "$TEST_TMP/b/.overlay/image-config.json")" ]
  [ "$(jq -r '.annotations["org.opencontainers.image.os"]' "$c")" = linux ]
  [ "$(jq -r '.annotations["org.ulysses.image.volumes"]' "$c")" = /data ]
  [ "$(jq -r '.annotations["org.ulysses.network"]' "$c")" = null ]
  [ "$(jq -r .root.path "$c")" = rootfs ]
  [ "$(jq -r .root.readonly "$c")" = false ]
  [ -f "$TEST_TMP/b/.overlay/image-config.json" ]
  [ ! -e "$TEST_TMP/b/.overlay/new-layers" ]
  [ "$(stat -c %a "$TEST_TMP/b")" = 700 ]
}

@test "bundle-image: spec options after --image override the image's; --arg appends to its command" {
  need_podman
  run "$TOOL" create "$TEST_TMP/b" --image "oci-archive:$FILE_TMP/img-oci.tar" \
    --user nobody --cwd /tmp -e FOO=mine --args "sh -c 'id -u; pwd; echo \$FOO'" -p 9000:8080 --network none
  [ "$status" = 1 ]
  [[ $output == *"--publish needs --network NAME"* ]]
  [ ! -e "$TEST_TMP/b" ]
  store_has 0
  run "$TOOL" create "$TEST_TMP/b" --image "oci-archive:$FILE_TMP/img-oci.tar" \
    --user nobody --cwd /tmp -e FOO=mine --args "sh -c 'id -u; pwd; echo \$FOO'" --annotation org.example.title=mine
  [ "$status" = 0 ]
  [[ $output == *"note: the image exposes 8080/tcp"* ]]
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$output" = $'65534\n/tmp\nmine' ]
  [ "$(jq -r '.annotations["org.example.title"]' "$TEST_TMP/b/config.json")" = mine ]
  "$TOOL" create "$TEST_TMP/b2" --image "oci-archive:$FILE_TMP/img-oci.tar" --arg 'echo appended' 2>/dev/null
  [ "$(jq -r '.process.args[-1]' "$TEST_TMP/b2/config.json")" = "echo appended" ]
  # publishing the port settles the note about it
  run "$TOOL" create "$TEST_TMP/b3" --image "oci-archive:$FILE_TMP/img-oci.tar" --network mynet -p 9000:8080
  [ "$status" = 0 ]
  [[ $output != *"exposes"* ]]
  [ "$(jq -r '.annotations["org.ulysses.ports"]' "$TEST_TMP/b3/config.json")" = 9000:8080/tcp ]
  "$TOOL" rm "$TEST_TMP/b3"
  # a user the image does not have: one line, nothing left (the layer this create imported too)
  "$TOOL" rm "$TEST_TMP/b" && "$TOOL" rm "$TEST_TMP/b2" && "$TOOL" prune >/dev/null
  run "$TOOL" create "$TEST_TMP/b" --image "oci-archive:$FILE_TMP/img-oci.tar" --user ghost
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *'no user "ghost" in '*/rootfs/etc/passwd* ]]
  [ ! -e "$TEST_TMP/b" ]
  [ "$(mounts_under_tmp)" = 0 ]
  store_has 0
}

@test "bundle-image: image Volumes: seeded from the image (owner, mode, content), bind-mounted, kept out of export; -v or --tmpfs replaces one" {
  local s=$TEST_TMP/stage
  mkdir -p "$s/data" "$s/etc" "$TEST_TMP/host"
  echo seeded >"$s/data/file" && chown -R 1000:1000 "$s/data" && chmod 1777 "$s/data"
  # a volume through an absolute symlink is the image's /etc, never the host's
  ln -s /etc "$s/evil" && echo img >"$s/etc/imgonly"
  tar -C "$s" --numeric-owner -cf "$TEST_TMP/l1.tar" .
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  $MKIMAGE layout "$TEST_TMP/img" --config '{"Volumes": {"/data": {}, "/var/cache/x": {}, "/evil": {}}}' \
    "$TEST_TMP/base.tar" "$TEST_TMP/l1.tar"
  run "$TOOL" create "$TEST_TMP/b" --image "oci:$TEST_TMP/img" --args "sh -c 'stat -c \"%u %a\" /data; cat /data/file;
    echo new >/data/new; echo c >/var/cache/x/c; grep -c \" /data \" /proc/mounts; ls /evil'"
  [ "$status" = 0 ]
  [[ $output == *"note: the image's volumes /data, /evil, /var/cache/x are directories of the bundle"* ]]
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$status" = 0 ]
  [ "${lines[0]}" = "1000 1777" ]
  [ "${lines[1]}" = seeded ]
  [ "${lines[2]}" = 1 ]
  [[ $output == *imgonly* ]]
  [[ $output != *debian_version* ]]
  [ "$(cat "$TEST_TMP/b/.overlay/volumes/data/new")" = new ]
  [ "$(cat "$TEST_TMP/b/.overlay/volumes/var_cache_x/c")" = c ]
  "$TOOL" export "$TEST_TMP/b" "$TEST_TMP/out.tar"
  ! tar -tf "$TEST_TMP/out.tar" | grep -E 'data/new|cache/x/c' || false
  "$TOOL" rm "$TEST_TMP/b"
  [ ! -e "$TEST_TMP/b" ]
  # the user's own mounts on a volume's path replace it
  run "$TOOL" create "$TEST_TMP/b2" --image "oci:$TEST_TMP/img" -v "$TEST_TMP/host:/data" --tmpfs /var/cache/x
  [ "$status" = 0 ]
  [ "$(jq -r '.mounts[] | select(.destination == "/data") | .source' "$TEST_TMP/b2/config.json")" = "$TEST_TMP/host" ]
  [ "$(jq -r '.mounts[] | select(.destination == "/var/cache/x") | .type' "$TEST_TMP/b2/config.json")" = tmpfs ]
  [ "$(ls "$TEST_TMP/b2/.overlay/volumes")" = evil ]
  "$TOOL" rm "$TEST_TMP/b2"
  # a volume on a file of the image: one line, nothing left
  $MKIMAGE layout "$TEST_TMP/img2" --config '{"Volumes": {"/etc/passwd": {}}}' "$TEST_TMP/base.tar"
  refused "oci:$TEST_TMP/img2" "config.Volumes: /etc/passwd is not a directory in the image"
}

@test "bundle-image: Entrypoint and Cmd as podman combines them: --cmd replaces Cmd, --entrypoint drops it, none is refused; no WorkingDir is /, a missing one is made" {
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  $MKIMAGE layout "$TEST_TMP/img" --config '{"Entrypoint": ["/bin/echo", "E"], "Cmd": ["c1", "c 2"]}' "$TEST_TMP/base.tar"
  args() { jq -c .process.args "$TEST_TMP/$1/config.json"; }
  "$TOOL" create "$TEST_TMP/b1" --image "oci:$TEST_TMP/img"
  [ "$(args b1)" = '["/bin/echo","E","c1","c 2"]' ]
  [ "$(jq -r .process.cwd "$TEST_TMP/b1/config.json")" = / ]
  "$TOOL" create "$TEST_TMP/b2" --image "oci:$TEST_TMP/img" --cmd "x 'y z'"
  [ "$(args b2)" = '["/bin/echo","E","x","y z"]' ]
  "$TOOL" create "$TEST_TMP/b3" --image "oci:$TEST_TMP/img" --entrypoint /bin/pwd
  [ "$(args b3)" = '["/bin/pwd"]' ]
  "$TOOL" create "$TEST_TMP/b4" --image "oci:$TEST_TMP/img" --entrypoint "sh -c" --cmd "'echo hi; pwd'" --cwd /srv/app
  [ "$(args b4)" = '["sh","-c","echo hi; pwd"]' ]
  run uoci run --bundle "$TEST_TMP/b4" "$CID"
  [ "$status" = 0 ]
  [ "$output" = $'hi\n/srv/app' ]
  # Cmd alone: --cmd replaces it all
  $MKIMAGE layout "$TEST_TMP/img2" --config '{"Cmd": ["sh", "-c", "echo image"], "WorkingDir": "/work"}' "$TEST_TMP/base.tar"
  "$TOOL" create "$TEST_TMP/b5" --image "oci:$TEST_TMP/img2" --cmd "echo mine"
  [ "$(args b5)" = '["echo","mine"]' ]
  [ "$(jq -r .process.cwd "$TEST_TMP/b5/config.json")" = /work ]
  run "$TOOL" create "$TEST_TMP/b6" --image "oci:$TEST_TMP/img2" --cmd
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *"--cmd needs a value"* ]]
  [ ! -e "$TEST_TMP/b6" ]
  # no command at all: refused, as podman does (spec's default sh would exit at once), unless given one
  $MKIMAGE layout "$TEST_TMP/img3" --config '{"Cmd": null}' "$TEST_TMP/base.tar"
  refused "oci:$TEST_TMP/img3" "the image names no command (Entrypoint, Cmd): give one with --cmd or --args"
  "$TOOL" create "$TEST_TMP/b7" --image "oci:$TEST_TMP/img3" --cmd "echo ok"
  [ "$(args b7)" = '["echo","ok"]' ]
  local b
  for b in b1 b2 b3 b4 b5 b7; do "$TOOL" rm "$TEST_TMP/$b"; done
}

# Layers made with GNU tar from staged trees: what image builders produce.
make_feature_image() {
  local s=$TEST_TMP/stage
  mkdir -p "$s/1/data/keep" "$s/1/opq" "$s/1/dev2" "$s/2/data" "$s/2/opq" "$s/3/etc"
  echo a >"$s/1/data/a" && ln "$s/1/data/a" "$s/1/data/a-link"
  echo gone >"$s/1/data/gone" && echo old >"$s/1/opq/old"
  mknod "$s/1/dev2/null" c 1 3 && mkfifo "$s/1/dev2/fifo" && ln -s ../data/a "$s/1/dev2/link"
  echo x >"$s/1/data/suid" && chmod 4755 "$s/1/data/suid"
  setfattr -n user.color -v blue "$s/1/data/a"
  setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 "$s/1/data/suid"
  mkdir -m 0750 "$s/1/private" && chown 1000:1000 "$s/1/private"
  touch -d @1600000000 "$s/1/data/a"
  touch "$s/2/data/.wh.gone" "$s/2/opq/.wh..wh..opq" && echo new >"$s/2/opq/new"
  echo layer3 >"$s/3/etc/motd"
  local i
  for i in 1 2 3; do tar -C "$s/$i" --xattrs --xattrs-include='*' --numeric-owner -cf "$TEST_TMP/l$i.tar" .; done
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  $MKIMAGE layout "$TEST_TMP/img" "$TEST_TMP/base.tar:gzip" "$TEST_TMP/l1.tar" "$TEST_TMP/l2.tar:gzip" "$TEST_TMP/l3.tar:zstd"
}

@test "bundle-image: layers: tar, gzip and zstd; whiteouts, opaque directories, hard links, devices, xattrs, set-uid, owners, times" {
  rootfs_template
  make_feature_image
  "$TOOL" create "$TEST_TMP/b" --image "oci:$TEST_TMP/img" --args "sh -c '
      ls -A /data; ls -A /opq; cat /etc/motd
      [ \$(stat -c %i /data/a) = \$(stat -c %i /data/a-link) ] && echo hardlinked
      stat -c \"%F %t:%T\" /dev2/null; stat -c %F /dev2/fifo; readlink /dev2/link
      stat -c \"%a %u:%g\" /data/suid /private; stat -c %Y /data/a'" 2>/dev/null
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$status" = 0 ]
  [ "$output" = "a
a-link
keep
suid
new
layer3
hardlinked
character special file 1:3
fifo
../data/a
4755 0:0
750 1000:1000
1600000000" ]
  [ "$(getfattr --only-values -n user.color "$TEST_TMP/b/rootfs/data/a")" = blue ]
  [ "$(getfattr -e hex -n security.capability "$TEST_TMP/b/rootfs/data/suid" 2>/dev/null | grep =)" = \
    security.capability=0x0100000200200000000000000000000000000000 ]
  [ "$(wc -l <"$TEST_TMP/b/.overlay/layers")" = 4 ]
  # in the layer: the whiteout is overlayfs' 0:0 device, the marker its opaque xattr
  l2=$(sed -n 2p "$TEST_TMP/b/.overlay/layers")
  [ "$(stat -c '%F %t:%T' "$l2/data/gone")" = "character special file 0:0" ]
  [ "$(getfattr --only-values -n trusted.overlay.opaque "$l2/opq")" = y ]
  [ ! -e "$l2/opq/.wh..wh..opq" ]
  # each layer is named by its diff_id, the sha256 of its uncompressed tar
  [ -d "$ULYSSES_LAYERS/$(sha256sum "$TEST_TMP/l3.tar" | cut -d' ' -f1)" ]
  [ "$(stat -c %a "$ULYSSES_LAYERS")" = 700 ]
}

@test "bundle-image: aufs' .wh..wh.* directories (images made on aufs) stay hidden; hard links into .wh..wh.plnk work" {
  rootfs_template
  local s=$TEST_TMP/stage
  mkdir -p "$s/.wh..wh.plnk" "$s/.wh..wh.orph" "$s/data"
  echo via-plnk >"$s/.wh..wh.plnk/1234.56" && ln "$s/.wh..wh.plnk/1234.56" "$s/data/linked"
  echo orphan >"$s/.wh..wh.orph/x" && touch "$s/.wh..wh.aufs"
  # sorted, the link's target comes first, as aufs-era docker wrote it
  tar -C "$s" --sort=name --numeric-owner -cf "$TEST_TMP/l1.tar" .
  tar -tvf "$TEST_TMP/l1.tar" | grep -q '^h.* ./data/linked link to ./.wh..wh.plnk/1234.56'
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  $MKIMAGE layout "$TEST_TMP/img" "$TEST_TMP/base.tar" "$TEST_TMP/l1.tar"
  "$TOOL" create "$TEST_TMP/b" --image "oci:$TEST_TMP/img" --args "sh -c 'ls -A / | grep -c wh; cat /data/linked'" 2>/dev/null
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  echo "$output"
  [ "$status" = 0 ]
  [ "$output" = "0
via-plnk" ]
  l1=$(sed -n 1p "$TEST_TMP/b/.overlay/layers")
  [ "$(ls -A "$l1")" = data ]
  [ "$(stat -c %h "$l1/data/linked")" = 1 ]
}

@test "bundle-image: bundles and images share cached layers; prune drops them once unused" {
  rootfs_template
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  mkdir -p "$TEST_TMP/extra/srv" && echo extra >"$TEST_TMP/extra/srv/x"
  tar -C "$TEST_TMP/extra" -cf "$TEST_TMP/extra.tar" .
  $MKIMAGE layout "$TEST_TMP/one" "$TEST_TMP/base.tar:gzip"
  $MKIMAGE layout "$TEST_TMP/two" "$TEST_TMP/base.tar:zstd" "$TEST_TMP/extra.tar"
  "$TOOL" create "$TEST_TMP/b1" --image "oci:$TEST_TMP/one" --args "sh -c 'echo one >/tmp/mine'" 2>/dev/null
  "$TOOL" create "$TEST_TMP/b2" --image "oci:$TEST_TMP/one" --args "sh -c 'cat /tmp/mine 2>/dev/null || echo absent'" 2>/dev/null
  "$TOOL" create "$TEST_TMP/b3" --image "oci:$TEST_TMP/two" --args "cat /srv/x" 2>/dev/null
  # the base layer once (gzip or zstd: the same diff_id), the extra layer once
  store_has 2
  base=$ULYSSES_LAYERS/$(sha256sum "$TEST_TMP/base.tar" | cut -d' ' -f1)
  [ "$(cat "$TEST_TMP/b1/.overlay/layers")" = "$base" ]
  [ "$(cat "$TEST_TMP/b2/.overlay/layers")" = "$base" ]
  [ "$(sed -n 2p "$TEST_TMP/b3/.overlay/layers")" = "$base" ]
  # a --from of the same tar is the same layer too
  "$TOOL" create "$TEST_TMP/b4" --from "$TEST_TMP/base.tar" --no-tty --args true
  [ "$(cat "$TEST_TMP/b4/.overlay/layers")" = "$base" ]
  store_has 2
  uoci run --bundle "$TEST_TMP/b1" "${CID}a"
  run uoci run --bundle "$TEST_TMP/b2" "${CID}b"
  [ "$output" = absent ]
  run uoci run --bundle "$TEST_TMP/b3" "${CID}c"
  [ "$output" = extra ]
  for b in b1 b2 b4; do "$TOOL" rm "$TEST_TMP/$b"; done
  [ -z "$("$TOOL" prune)" ]
  store_has 2
  "$TOOL" rm "$TEST_TMP/b3"
  [ "$("$TOOL" prune | wc -l)" = 2 ]
  store_has 0
}

@test "bundle-image: hostile blobs are refused in one line and leave nothing: digest, size, missing blob, media type, diff_id, config" {
  rootfs_template
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  echo victim >"$TEST_TMP/victim"
  local w
  for w in digest size missing mediatype diffid config-digest; do
    $MKIMAGE layout "$TEST_TMP/$w" "$TEST_TMP/base.tar:gzip"
    $MKIMAGE break "$TEST_TMP/$w" "$w"
  done
  refused "oci:$TEST_TMP/digest" "does not match its content (sha256:"
  refused "oci:$TEST_TMP/size" "bytes its descriptor says"
  refused "oci:$TEST_TMP/missing" "layer 1/1: missing blob sha256:"
  refused "oci:$TEST_TMP/mediatype" 'layers[0]: unknown media type "application/vnd.example.layer.v1.tar+lz4"'
  refused "oci:$TEST_TMP/diffid" "is not the diff_id sha256:0000000000000000000000000000000000000000000000000000000000000000 the config names"
  refused "oci:$TEST_TMP/config-digest" "bytes, its descriptor says"
  refused "oci:$TEST_TMP/nonexistent" "nonexistent: no such file or directory"
  refused "registry.example/img:1" "expected oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:TAG]"
  echo '{"schemaVersion": 2, "manifests": []}' >"$TEST_TMP/digest/index.json"
  refused "oci:$TEST_TMP/digest" "index.json lists no images"
}

@test "bundle-image: hostile layer tars are refused in one line, write nothing outside the layer, leave nothing" {
  echo victim >"$TEST_TMP/victim"
  local k
  while IFS='|' read -r k want; do
    $MKIMAGE tar "$TEST_TMP/$k.tar" "$k" "$TEST_TMP/escaped"
    $MKIMAGE layout "$TEST_TMP/$k" "$TEST_TMP/$k.tar"
    refused "oci:$TEST_TMP/$k" "$want" ULYSSES_MAX_LAYER_SIZE=1m
  done <<EOF
absolute|"$TEST_TMP/escaped": an absolute path
dotdot|: ".." in the path
dotdot-inside|"a/../b": ".." in the path
symlink-then-file|"evil/escaped": goes through "evil", a symlink
relative-symlink-then-file|"evil/escaped": goes through "evil", a symlink
dir-then-symlink-then-file|"d/escaped": goes through "d", a symlink
hardlink-outside|"victim-link": hard link to "$TEST_TMP/escaped": an absolute path
hardlink-dotdot|"victim-link": hard link to "../
hardlink-through-symlink|"victim-link": goes through "evil", a symlink
whiteout-through-symlink|"evil/.wh.escaped": goes through "evil", a symlink
trusted-xattr|"redirected": xattr trusted.overlay.redirect: trusted.* is overlayfs'
huge-member|"huge": the layer holds more than 1048576 bytes (ULYSSES_MAX_LAYER_SIZE)
truncated|not a valid tar: unexpected end of data
garbage-header|not a valid tar: invalid header after the last entry
big|"file": the layer holds more than 1048576 bytes (ULYSSES_MAX_LAYER_SIZE)
EOF
}

@test "bundle-image: hard links to a host file are refused, the file keeps one link" {
  echo victim >"$TEST_TMP/victim"
  for k in hardlink-outside hardlink-dotdot hardlink-through-symlink; do
    $MKIMAGE tar "$TEST_TMP/$k.tar" "$k" "$TEST_TMP/victim"
    $MKIMAGE layout "$TEST_TMP/$k" "$TEST_TMP/$k.tar"
    refused "oci:$TEST_TMP/$k" '"victim-link": '
  done
}

@test "bundle-image: a bad later layer removes the layers this create imported; cached layers are checked again" {
  rootfs_template
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  echo victim >"$TEST_TMP/victim"
  $MKIMAGE tar "$TEST_TMP/evil.tar" symlink-then-file "$TEST_TMP/escaped"
  $MKIMAGE layout "$TEST_TMP/img" "$TEST_TMP/base.tar:gzip" "$TEST_TMP/evil.tar:gzip"
  refused "oci:$TEST_TMP/img" '"evil/escaped": goes through "evil", a symlink'
  # with the base layer cached by another bundle, a damaged blob of it is still refused
  $MKIMAGE layout "$TEST_TMP/good" "$TEST_TMP/base.tar:gzip"
  "$TOOL" create "$TEST_TMP/keep" --image "oci:$TEST_TMP/good" 2>/dev/null
  $MKIMAGE break "$TEST_TMP/good" digest
  run "$TOOL" create "$TEST_TMP/b" --image "oci:$TEST_TMP/good"
  [ "$status" = 1 ]
  [[ $output == *"does not match its content"* ]]
  [ ! -e "$TEST_TMP/b" ]
  store_has 1
}

@test "bundle-image: --from tarballs use the same unpacker: hostile ones refused, compressed ones read" {
  rootfs_template
  echo victim >"$TEST_TMP/victim"
  $MKIMAGE tar "$TEST_TMP/evil.tar" absolute "$TEST_TMP/escaped"
  run "$TOOL" create "$TEST_TMP/b" --from "$TEST_TMP/evil.tar"
  [ "$status" = 1 ]
  [ "${#lines[@]}" = 1 ]
  [[ $output == *"--from $TEST_TMP/evil.tar: \"$TEST_TMP/escaped\": an absolute path"* ]]
  [ ! -e "$TEST_TMP/escaped" ]
  [ ! -e "$TEST_TMP/b" ]
  store_has 0
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  for z in gzip zstd xz; do
    $z -k -c "$TEST_TMP/base.tar" >"$TEST_TMP/base.tar.$z"
    "$TOOL" create "$TEST_TMP/b-$z" --from "$TEST_TMP/base.tar.$z" --no-tty --args "cat /etc/passwd"
    run uoci run --bundle "$TEST_TMP/b-$z" "$CID$z"
    [ "${lines[0]}" = "root:x:0:0:root:/root:/bin/sh" ]
  done
}

@test "bundle-image: an index for several platforms gives this machine's image" {
  rootfs_template
  arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
  other=riscv64
  [ "$arch" != riscv64 ] || other=s390x
  mkdir -p "$TEST_TMP/a/etc" "$TEST_TMP/o/etc"
  echo mine >"$TEST_TMP/a/etc/which" && echo other >"$TEST_TMP/o/etc/which"
  tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$TEST_TMP/base.tar" .
  tar -C "$TEST_TMP/a" -cf "$TEST_TMP/a.tar" . && tar -C "$TEST_TMP/o" -cf "$TEST_TMP/o.tar" .
  $MKIMAGE layout "$TEST_TMP/img-a" --platform "linux/$arch" "$TEST_TMP/base.tar" "$TEST_TMP/a.tar"
  $MKIMAGE layout "$TEST_TMP/img-o" --platform "linux/$other" "$TEST_TMP/base.tar" "$TEST_TMP/o.tar"
  $MKIMAGE multiarch "$TEST_TMP/multi" "$TEST_TMP/img-o:linux/$other" "$TEST_TMP/img-a:linux/$arch"
  "$TOOL" create "$TEST_TMP/b" --image "oci:$TEST_TMP/multi:latest" --args "cat /etc/which" 2>/dev/null
  run uoci run --bundle "$TEST_TMP/b" "$CID"
  [ "$output" = mine ]
  $MKIMAGE multiarch "$TEST_TMP/only-other" "$TEST_TMP/img-o:linux/$other"
  refused "oci:$TEST_TMP/only-other" "no image for linux/$arch (there are: linux/$other)"
}

@test "bundle-image: docker-archive damage: a layer that is not the config's diff_id, a config not named by its digest" {
  need_podman
  mkdir "$TEST_TMP/d" && tar -C "$TEST_TMP/d" -xf "$FILE_TMP/img-docker.tar"
  layer=$(jq -r '.[0].Layers[0]' "$TEST_TMP/d/manifest.json")
  chmod u+w "$TEST_TMP/d/$layer" && echo tampered >>"$TEST_TMP/d/$layer"
  tar -C "$TEST_TMP/d" -cf "$TEST_TMP/tampered.tar" .
  refused "docker-archive:$TEST_TMP/tampered.tar" "layer 1/1 ($layer): its content (sha256:"
  mkdir "$TEST_TMP/e" && tar -C "$TEST_TMP/e" -xf "$FILE_TMP/img-docker.tar"
  config=$(jq -r '.[0].Config' "$TEST_TMP/e/manifest.json")
  mv "$TEST_TMP/e/$config" "$TEST_TMP/e/config.json"
  jq '.[0].Config = "config.json"' "$TEST_TMP/e/manifest.json" >"$TEST_TMP/m" && mv "$TEST_TMP/m" "$TEST_TMP/e/manifest.json"
  tar -C "$TEST_TMP/e" -cf "$TEST_TMP/renamed.tar" .
  refused "docker-archive:$TEST_TMP/renamed.tar" 'config "config.json" is not named by its sha256, so cannot be checked'
}

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# `spec` options for real servers: --user (numbers, or names from the
# rootfs' /etc/passwd and /etc/group, never a host file), --cwd,
# --cap-add/--cap-drop, --env-file, --tmpfs, --annotation, and --args
# replacing an earlier command. Each is checked in config.json and in a
# running container; each bad value is one line and writes nothing.
load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$BUNDLE"
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
  echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$BUNDLE/rootfs/etc/passwd"
  printf 'app:x:1000:\nstaff:x:50:app,root\n' >>"$BUNDLE/rootfs/etc/group"
  CID=su$$x$BATS_TEST_NUMBER
}

teardown() {
  cleanup_all
}

spec() { "$UOCI" spec --bundle "$BUNDLE" --no-tty "$@"; }

# spec_fails WANT ARGS...: one line naming WANT, status 1, no config.json
spec_fails() {
  local want=$1
  shift
  run "$UOCI" spec --bundle "$BUNDLE" "$@"
  [ "$status" = 1 ] || { echo "status $status: $output"; return 1; }
  [ "${#lines[@]}" = 1 ] && [[ $output == *"$want"* ]] || { echo "\"$output\" lacks \"$want\""; return 1; }
  [ ! -e "$BUNDLE/config.json" ] || { echo "config.json written"; return 1; }
}

@test "spec --user: a name from the rootfs' passwd, its groups; numbers as given" {
  spec --user app --args "id"
  [ "$(jq -c .process.user "$BUNDLE/config.json")" = '{"uid":1000,"gid":1000,"additionalGids":[1000,50]}' ]
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$output" = "uid=1000(app) gid=1000(app) groups=50(staff),1000(app)" ]
  rm "$BUNDLE/config.json"
  spec -u nobody:staff --args "id"
  [ "$(jq -c .process.user "$BUNDLE/config.json")" = '{"uid":65534,"gid":50,"additionalGids":[50]}' ]
  rm "$BUNDLE/config.json"
  spec --user 4242:4343 --args "id"
  run uoci run --bundle "$BUNDLE" "${CID}b"
  [ "$output" = "uid=4242 gid=4343 groups=4343" ]
  rm "$BUNDLE/config.json"
  # a uid alone takes its primary group from passwd, if it is there
  spec --user 1000
  [ "$(jq -c .process.user "$BUNDLE/config.json")" = '{"uid":1000,"gid":1000,"additionalGids":[1000]}' ]
}

@test "spec --user: unknown names, bad syntax and --rootless are one line, no config" {
  spec_fails 'spec: --user: user "ghost": no user "ghost" in '"$BUNDLE/rootfs/etc/passwd" --user ghost
  spec_fails 'no group "wheel" in' --user app:wheel
  spec_fails 'spec: --user "app:": expected USER[:GROUP]' --user app:
  spec_fails 'spec: --user "a:b:c": expected USER[:GROUP]' --user a:b:c
  spec_fails '--rootless maps only root' --rootless --user 1000:1000
  spec_fails "spec: --rootfs $BUNDLE/nope: No such file or directory" --rootfs nope --user app
  rm "$BUNDLE/rootfs/etc/passwd"
  spec_fails "has no /etc/passwd to look the name up in" --user app
}

@test "spec --user: /etc/passwd is read inside the rootfs: a symlink to a host file, a FIFO, a device" {
  echo 'hostonly:x:4000:4000::/:/bin/sh' >"$TEST_TMP/host-passwd"
  ln -sf "$TEST_TMP/host-passwd" "$BUNDLE/rootfs/etc/passwd"
  spec_fails 'has no /etc/passwd to look the name up in' --user hostonly
  ln -sf "../../../../../../../../..$TEST_TMP/host-passwd" "$BUNDLE/rootfs/etc/passwd"
  spec_fails 'has no /etc/passwd to look the name up in' --user hostonly
  rm "$BUNDLE/rootfs/etc/passwd" && mkfifo "$BUNDLE/rootfs/etc/passwd"
  run timeout 5 "$UOCI" spec --bundle "$BUNDLE" --user hostonly
  [ "$status" = 1 ]
  [[ $output == *"/etc/passwd: not a regular file"* ]]
  rm "$BUNDLE/rootfs/etc/passwd" && mknod "$BUNDLE/rootfs/etc/passwd" c 1 5
  spec_fails '/etc/passwd: not a regular file' --user hostonly
  # the same host file, placed in the rootfs: found
  cp "$TEST_TMP/host-passwd" "$BUNDLE/rootfs/etc/passwd.real" && rm "$BUNDLE/rootfs/etc/passwd"
  ln -s /etc/passwd.real "$BUNDLE/rootfs/etc/passwd"
  spec --user hostonly:0
  [ "$(jq -c .process.user "$BUNDLE/config.json")" = '{"uid":4000,"gid":0,"additionalGids":[0]}' ]
}

@test "spec --cwd, --env-file, --annotation, and --args replacing an earlier command" {
  printf '# comment\n\nA=1\n  B=two words\nFROM_ENV\nA=again\r\n' >"$TEST_TMP/env"
  FROM_ENV=yes spec --cwd /tmp -e A=0 --env-file "$TEST_TMP/env" --annotation org.example.x=1 \
    --args "echo old" --args "sh -c 'pwd; echo \$A \$B \$FROM_ENV'"
  c=$BUNDLE/config.json
  [ "$(jq -r .process.cwd "$c")" = /tmp ]
  [ "$(jq -r '.annotations["org.example.x"]' "$c")" = 1 ]
  [ "$(jq -c .process.args "$c")" = '["sh","-c","pwd; echo $A $B $FROM_ENV"]' ]
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$output" = $'/tmp\nagain two words yes' ]
  rm "$c"
  spec --args "echo a" --arg b --arg "c d"
  [ "$(jq -c .process.args "$c")" = '["echo","a","b","c d"]' ]
  rm "$c"
  spec_fails 'spec: --cwd "tmp": must be an absolute path' --cwd tmp
  printf 'OK=1\nBAD KEY=x\n' >"$TEST_TMP/env"
  spec_fails "spec: --env-file $TEST_TMP/env:2: expected KEY=VALUE or KEY" --env-file "$TEST_TMP/env"
  printf 'UOCI_SURELY_UNSET_VAR\n' >"$TEST_TMP/env"
  spec_fails "$TEST_TMP/env:1: UOCI_SURELY_UNSET_VAR is not set in this environment" --env-file "$TEST_TMP/env"
  spec_fails "spec: --env-file: open $TEST_TMP/none" --env-file "$TEST_TMP/none"
  spec_fails 'spec: --annotation "novalue": expected KEY=VALUE' --annotation novalue
}

@test "spec --cap-add/--cap-drop: docker's rules, in the container's sets" {
  spec --cap-add net_raw,CAP_CHOWN --cap-drop KILL --args "grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status"
  [ "$(jq -c .process.capabilities.bounding "$BUNDLE/config.json")" = \
    '["CAP_AUDIT_WRITE","CAP_NET_BIND_SERVICE","CAP_NET_RAW","CAP_CHOWN"]' ]
  run uoci run --bundle "$BUNDLE" "$CID"
  # CHOWN 0, NET_BIND_SERVICE 10, NET_RAW 13, AUDIT_WRITE 29
  want=$(printf '%016x' $(((1 << 0) | (1 << 10) | (1 << 13) | (1 << 29))))
  [ "$output" = "CapPrm:	$want
CapEff:	$want
CapBnd:	$want" ]
  rm "$BUNDLE/config.json"
  spec --cap-drop ALL --cap-add SETUID --cap-add setgid
  [ "$(jq -c .process.capabilities.effective "$BUNDLE/config.json")" = '["CAP_SETUID","CAP_SETGID"]' ]
  rm "$BUNDLE/config.json"
  spec --cap-add ALL --cap-drop SYS_ADMIN
  jq -e '.process.capabilities.permitted | (index("CAP_SYS_ADMIN") == null) and (index("CAP_NET_ADMIN") != null)' "$BUNDLE/config.json"
  rm "$BUNDLE/config.json"
  spec_fails 'spec: --cap-add "NET_FLY": unknown capability CAP_NET_FLY' --cap-add NET_FLY
  spec_fails 'spec: --cap-drop ",": expected a capability name' --cap-drop ,
}

@test "spec --tmpfs: a tmpfs with docker's defaults unless the options say otherwise" {
  spec --read-only --tmpfs /scratch:size=1m,mode=1700 --tmpfs /run:exec \
    --args "sh -c 'grep -E \" /(scratch|run) \" /proc/mounts; touch /scratch/x && echo writable'"
  [ "$(jq -c '.mounts[-2:]' "$BUNDLE/config.json")" = \
    '[{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","noexec","size=1m","mode=1700"]},{"destination":"/run","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","exec"]}]' ]
  run uoci run --bundle "$BUNDLE" "$CID"
  [ "$status" = 0 ]
  [[ ${lines[0]} == "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,"*"size=1024k,mode=1700"* ]] || { echo "$output"; false; }
  [[ ${lines[1]} == "tmpfs /run tmpfs rw,nosuid,nodev,"* ]]
  [[ ${lines[1]} != *noexec* ]]
  [ "${lines[2]}" = writable ]
  rm "$BUNDLE/config.json"
  spec_fails 'spec: --tmpfs "scratch": the container path must be absolute' --tmpfs scratch
  spec_fails 'spec: --tmpfs "/x:size=lots": option "size=lots" is not a mount flag' --tmpfs /x:size=lots
  spec_fails 'option "mode=999"' --tmpfs /x:mode=999
  spec_fails 'option "bind"' --tmpfs /x:bind
}

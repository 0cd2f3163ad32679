#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# hostile.bats - bundles whose rootfs tries to send the runtime outside it:
# symlinked /proc, /dev, /dev/null, mount targets, maskedPaths and
# readonlyPaths, ".." in device paths, and a directory swapped for a symlink
# while containers start. Each must be refused with a clear error or contained
# in the rootfs, and the host must be unchanged: a canary file keeps its
# content and mtime, host directories stay empty, no mount appears on the host.

load helpers

setup() {
  setup_bundle
  R=$BUNDLE/rootfs
  HOSTDIR=$TEST_TMP/hostdir
  mkdir -p "$HOSTDIR"
  CANARY=$TEST_TMP/canary
  echo "canary-content" >"$CANARY"
  touch -d '2001-02-03 04:05:06' "$CANARY"
  CANARY_STAT=$(stat -c '%s %Y %i' "$CANARY")
  HOST_ETC_MOUNTS=$(host_mounts_at /etc)
  HOST_ROOT_MOUNTS=$(host_mounts_at /)
}

teardown() { cleanup_all; }

# How many mounts the host has at a mount point (other tests may run
# containers concurrently, so we only look at the paths we attack).
host_mounts_at() { awk -v m="$1" '$5 == m' /proc/self/mountinfo | wc -l; }

host_unchanged() {
  [ "$(cat "$CANARY")" = canary-content ] || { echo "canary content changed"; return 1; }
  [ "$(stat -c '%s %Y %i' "$CANARY")" = "$CANARY_STAT" ] || { echo "canary metadata changed"; return 1; }
  [ -z "$(ls -A "$HOSTDIR")" ] || { echo "host dir got: $(ls -A "$HOSTDIR")"; return 1; }
  ! grep -q "$TEST_TMP" /proc/self/mountinfo || { echo "a mount under $TEST_TMP leaked to the host"; return 1; }
  [ "$(host_mounts_at /etc)" = "$HOST_ETC_MOUNTS" ] || { echo "mount on host /etc"; return 1; }
  [ "$(host_mounts_at /)" = "$HOST_ROOT_MOUNTS" ] || { echo "mount on host /"; return 1; }
}

run_c() {
  cfg ".process.args = [\"sh\", \"-c\", $(jq -cn --arg s "$1" '$s')]"
  run uoci run --bundle "$BUNDLE" "h$BATS_TEST_NUMBER"
}

@test "/proc a symlink to / is refused" {
  rmdir "$R/proc" && ln -s / "$R/proc"
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mount proc to /proc: destination is a symlink"* ]]
  host_unchanged
}

@test "/proc a symlink to ../../../etc is refused" {
  rmdir "$R/proc" && ln -s ../../../../../../etc "$R/proc"
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mount proc to /proc: destination is a symlink"* ]]
  host_unchanged
}

@test "/proc or /sys not a directory: refused naming mounts[N], as runc (\"must be mounted on ordinary directory\")" {
  rmdir "$R/proc" && ln -s /nonexistent "$R/proc"
  local i
  i=$(jq '[.mounts[].destination] | index("/proc")' "$BUNDLE/config.json")
  run_c 'true'
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"mounts[$i]: mount proc to /proc: destination is a symlink in the rootfs; proc must be mounted on ordinary directory"* ]]
  rm "$R/proc" && mkdir "$R/proc"
  rmdir "$R/sys" && echo file >"$R/sys"
  i=$(jq '[.mounts[].destination] | index("/sys")' "$BUNDLE/config.json")
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mounts[$i]: mount sysfs to /sys: destination is not a directory in the rootfs; sysfs must be mounted on ordinary directory"* ]]
  [ "$(cat "$R/sys")" = file ]
  [ -z "$(ls -A "$STATE" 2>/dev/null)" ]
  host_unchanged
}

@test "/sys a symlink out is refused" {
  rmdir "$R/sys" && ln -s "$HOSTDIR" "$R/sys"
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mount sysfs to /sys: destination is a symlink"* ]]
  host_unchanged
}

@test "/dev/null a symlink to a host file (no /dev tmpfs) is replaced by the real node" {
  cfg '.mounts |= map(select(.destination != "/dev"))'
  ln -s "$CANARY" "$R/dev/null"
  run_c 'echo overwrite > /dev/null; stat -c "%F %t:%T" /dev/null'
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "character special file 1:3" ]
  host_unchanged
}

@test "masking with a /dev/null that is not the null device is refused" {
  # /dev bind-mounted from a directory whose "null" is a link: the runtime
  # leaves a bind-mounted /dev alone, so it must check before using it.
  mkdir -p "$TEST_TMP/fakedev" && ln -s /etc/passwd "$TEST_TMP/fakedev/null"
  cfg ".mounts |= map(select(.destination | startswith(\"/dev\") | not))
       | .mounts += [{\"destination\": \"/dev\", \"type\": \"bind\", \"source\": \"$TEST_TMP/fakedev\", \"options\": [\"rbind\"]}]
       | .linux.maskedPaths = [\"/etc/hostname\"]"
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"/dev/null is not the null device"* ]]
  host_unchanged
}

@test "a mount target that is a symlink to / is refused" {
  ln -s / "$R/mnt"
  cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]'
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mount destination /mnt resolves to the container root"* ]]
  host_unchanged
}

@test "a mount target symlink to ../../../etc lands on the rootfs's /etc" {
  ln -s ../../../../../../../etc "$R/target"
  cfg '.mounts += [{"destination": "/target", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
  run_c 'cat /proc/self/mountinfo; ls -A /etc | wc -l'
  [ "$status" -eq 0 ]
  [[ $(awk '$5 == "/etc"' <<<"$output") == *" - tmpfs "* ]]
  [ "${lines[-1]}" = 0 ]
  host_unchanged
  [ -f "$R/etc/passwd" ]
}

@test "a bind target under an absolute symlink to a host dir stays in the rootfs" {
  mkdir -p "$TEST_TMP/src" && echo data >"$TEST_TMP/src/f"
  ln -s "$HOSTDIR" "$R/escape"
  cfg ".mounts += [{\"destination\": \"/escape/sub\", \"type\": \"bind\", \"source\": \"$TEST_TMP/src\", \"options\": [\"bind\"]}]"
  run_c 'cat /escape/sub/f'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = data ]
  [ -d "$R/$HOSTDIR/sub" ]
  host_unchanged
}

@test "/dev a symlink out of the rootfs: /dev is built inside it" {
  rmdir "$R/dev" && ln -s "$HOSTDIR" "$R/dev"
  run_c 'stat -c "%F %t:%T" /dev/null; ls /dev/pts/ptmx'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:3" ]
  host_unchanged
}

@test "a maskedPaths entry that is a symlink to a host file masks nothing on the host" {
  ln -s "$CANARY" "$R/etc/mask-me"
  ln -s "$HOSTDIR" "$R/etc/mask-dir"
  cfg '.linux.maskedPaths = ["/etc/mask-me", "/etc/mask-dir"]'
  run_c 'cat /etc/mask-me 2>&1; true'
  [ "$status" -eq 0 ]
  [[ $output != *canary-content* ]]
  host_unchanged
}

@test "a maskedPaths entry through a /proc magic link is refused" {
  cfg '.linux.maskedPaths = ["/proc/self/root/etc/passwd"]'
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mask /proc/self/root/etc/passwd:"* ]]
  host_unchanged
}

@test "a readonlyPaths entry symlinked out leaves the host writable" {
  ln -s "$HOSTDIR" "$R/etc/ro-dir"
  cfg '.linux.readonlyPaths = ["/etc/ro-dir"]'
  run_c 'true'
  [ "$status" -eq 0 ]
  touch "$HOSTDIR/still-writable" && rm "$HOSTDIR/still-writable"
  host_unchanged
}

@test "linux.devices with .. stays inside the rootfs" {
  cfg ".linux.devices = [{\"path\": \"/dev/../../../../..$HOSTDIR/evil\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]"
  run_c "stat -c '%F' $HOSTDIR/evil"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file" ]
  [ -c "$R$HOSTDIR/evil" ]
  host_unchanged
}

@test "a directory swapped for a symlink while containers start never escapes" {
  mkdir -p "$R/race"
  cfg '.mounts += [{"destination": "/race/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
  cfg '.process.args = ["true"]'
  # Swap $R/race between a directory and symlinks to / and to the host dir.
  (
    while [ -e "$TEST_TMP/racing" ]; do
      mv -T "$R/race" "$R/race.d" 2>/dev/null; ln -sfn "$HOSTDIR" "$R/race"
      rm -f "$R/race"; ln -sfn / "$R/race"
      rm -f "$R/race"; mv -T "$R/race.d" "$R/race" 2>/dev/null
    done
  ) &
  local racer=$! i ok=0
  touch "$TEST_TMP/racing"
  for i in $(seq 1 15); do
    if uoci run --bundle "$BUNDLE" "race$i" >/dev/null 2>&1; then ok=$((ok + 1)); fi
  done
  rm -f "$TEST_TMP/racing"
  wait "$racer" || true
  echo "# $ok of 15 runs succeeded while racing" >&3
  host_unchanged
  [ ! -e "$HOSTDIR/sub" ]
  [ ! -e /sub ]
}

@test "a mount over /proc/self/oom_score_adj never takes the runtime's write (CVE-2019-16884 class)" {
  # The bind of a host file is read-write: a runtime writing the path would
  # change the host file and leave the process's own score unset.
  cfg ".process.oomScoreAdj = 500
       | .mounts += [{\"destination\": \"/proc/self/oom_score_adj\", \"type\": \"bind\", \"source\": \"$CANARY\", \"options\": [\"bind\"]}]"
  # (refused by path since procmount.bats's allowlist; proc_self_open's own
  # check behind it stays as a second line)
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *".destination: /proc/self/oom_score_adj is inside /proc"* ]]
  host_unchanged
  cfg ".mounts |= map(select(.destination != \"/proc/self/oom_score_adj\"))
       | .mounts += [{\"destination\": \"/proc/1\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *".destination: /proc/1 is inside /proc"* ]]
}

@test "a rootfs /proc that is no procfs never takes the runtime's write" {
  cfg '.process.oomScoreAdj = 500 | .root.readonly = false | .mounts |= map(select(.destination != "/proc"))'
  mkdir -p "$R/proc/self" && echo 0 >"$R/proc/self/oom_score_adj"
  run_c 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"/proc is not the root of a procfs"* ]]
  [ "$(cat "$R/proc/self/oom_score_adj")" = 0 ]
  host_unchanged
}

@test "an /etc/passwd that is a FIFO or /dev/zero never hangs run or exec (HOME lookup)" {
  # run: the image's file; before, the init blocked in open() or read zeros forever
  rm "$R/etc/passwd" && mkfifo "$R/etc/passwd"
  cfg '.process.args = ["sh", "-c", "echo HOME=$HOME"] | .process.env = ["PATH=/bin"]'
  run timeout 20 "$UOCI" --root "$STATE" run --bundle "$BUNDLE" h1 </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = HOME=/ ]
  rm "$R/etc/passwd" && ln -s /dev/zero "$R/etc/passwd"
  run timeout 20 "$UOCI" --root "$STATE" run --bundle "$BUNDLE" h2 </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = HOME=/ ]
  # exec: the container plants them itself; a regular file still gives HOME
  rm "$R/etc/passwd" && echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
  cfg '.root.readonly = false | .process.args = ["sleep", "100"]'
  uoci run -d --bundle "$BUNDLE" h3 </dev/null >/dev/null 2>&1
  run timeout 20 "$UOCI" --root "$STATE" exec h3 sh -c 'echo HOME=$HOME'
  [ "${lines[-1]}" = HOME=/root ]
  uoci exec h3 sh -c 'rm /etc/passwd && mkfifo /etc/passwd'
  run timeout 20 "$UOCI" --root "$STATE" exec h3 sh -c 'echo HOME=$HOME'
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = HOME=/ ]
  uoci exec h3 sh -c 'rm /etc/passwd && ln -s /dev/zero /etc/passwd'
  run timeout 20 "$UOCI" --root "$STATE" exec h3 sh -c 'echo HOME=$HOME'
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = HOME=/ ]
  host_unchanged
}

@test "tmpcopyup of an image tree 3000 directories deep: one line, no crash" {
  # Before, the init overflowed its stack copying it ("container init exited").
  python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for name in ["data"] + ["d"] * 3000:
    os.mkdir(name, dir_fd=fd)
    sub = os.open(name, os.O_RDONLY, dir_fd=fd); os.close(fd); fd = sub' "$R"
  cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=10m"]}]'
  run_c 'true'
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ $output == *"mount tmpfs to /data: tmpcopyup: more than 256 nested directories"* ]]
  [ -z "$(ls "$STATE")" ]
  host_unchanged
}

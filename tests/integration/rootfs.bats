#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# rootfs.bats - the container's filesystem as the kernel shows it: config
# mounts and their options, default devices and links, linux.devices,
# root.readonly, maskedPaths, readonlyPaths, tmpcopyup, idmapped mounts,
# rootfsPropagation, --no-pivot, and one-line errors naming path and operation.

load helpers

setup() { setup_bundle; }
teardown() { cleanup_all; }

# run_in CMD... : run the container with CMD (through sh -c), output in $output
run_in() {
  cfg ".process.args = [\"sh\", \"-c\", $(jq -cn --arg s "$1" '$s')]"
  run uoci run --bundle "$BUNDLE" "c$BATS_TEST_NUMBER"
}

# mount_line MOUNTPOINT: that line of the container's mountinfo (from $output)
mount_line() { awk -v m="$1" '$5 == m' <<<"$output" | tail -n 1; }

@test "default config mounts are there with their options" {
  run_in 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ $(mount_line /proc) == *" - proc "* ]]
  [[ $(mount_line /dev) == *"nosuid"*" - tmpfs "*"mode=755"* ]]
  [[ $(mount_line /dev/pts) == *"nosuid,noexec"*" - devpts "*"ptmxmode=666"* ]]
  [[ $(mount_line /dev/shm) == *"nosuid,nodev,noexec"*" - tmpfs "* ]]
  [[ $(mount_line /dev/mqueue) == *" - mqueue "* ]]
  [[ $(mount_line /sys) == *"ro,nosuid,nodev,noexec"*" - sysfs "* ]]
  [[ $(mount_line /sys/fs/cgroup) == *"ro,nosuid,nodev,noexec"* ]]
}

@test "cgroup mount shows the host's hierarchies read-only" {
  run_in 'cat /proc/self/mountinfo; ls /sys/fs/cgroup'
  [ "$status" -eq 0 ]
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    [[ $(mount_line /sys/fs/cgroup) == *" - cgroup2 "* ]]
  else
    [[ $(mount_line /sys/fs/cgroup/memory) == "ro,"* || $(mount_line /sys/fs/cgroup/memory) == *" ro,"* ]]
    [[ $(mount_line /sys/fs/cgroup/memory) == *" - cgroup "*"memory"* ]]
    [[ $(mount_line /sys/fs/cgroup/pids) == *" - cgroup "* ]]
  fi
}

@test "default devices are the right nodes, links point where they should" {
  run_in 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done
          for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
          echo hello > /dev/null && head -c 4 /dev/zero | wc -c'
  [ "$status" -eq 0 ]
  [[ $output == *"null character special file 1:3 666"* ]]
  [[ $output == *"zero character special file 1:5 666"* ]]
  [[ $output == *"full character special file 1:7 666"* ]]
  [[ $output == *"random character special file 1:8 666"* ]]
  [[ $output == *"urandom character special file 1:9 666"* ]]
  [[ $output == *"tty character special file 5:0 666"* ]]
  [[ $output == *"fd -> /proc/self/fd"* ]] || { echo "$output"; false; }
  [[ $output == *"stdin -> /proc/self/fd/0"* ]]
  [[ $output == *"stderr -> /proc/self/fd/2"* ]]
  [[ $output == *"ptmx -> pts/ptmx"* ]]
  [[ ${lines[-1]} == 4 ]] || { echo "$output"; false; }
}

@test "without a /dev tmpfs, what the image has in /dev is replaced, kept or left as runc does" {
  cfg '.mounts |= map(select(.destination != "/dev"))'
  R=$BUNDLE/rootfs
  mkdir -p "$R/dev"
  echo junk >"$R/dev/zero"             # a file where a node goes: replaced
  mknod -m 600 "$R/dev/null" c 1 3     # the right node already: kept, mode set
  ln -s /etc/passwd "$R/dev/stdout"    # a link elsewhere: replaced
  ln -s /proc/self/fd/2 "$R/dev/stderr" # the right link: kept
  mkdir "$R/dev/fd"                    # an image's own /dev/fd directory: left
  run_in 'for d in null zero; do echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done
          for l in stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
          echo "fd $(stat -c %F /dev/fd)"'
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ $output == *"null character special file 1:3 666"* ]] || { echo "$output"; false; }
  [[ $output == *"zero character special file 1:5 666"* ]]
  [[ $output == *"stdout -> /proc/self/fd/1"* ]]
  [[ $output == *"stderr -> /proc/self/fd/2"* ]]
  [[ $output == *"fd directory"* ]]
}

@test "/dev/pts is mounted even when the config has none; /dev/shm is not (podman --ipc none, as runc and crun)" {
  cfg '.mounts |= map(select(.destination != "/dev/pts" and .destination != "/dev/shm"))'
  run_in 'cat /proc/self/mountinfo; ls -d /dev/shm 2>&1; true'
  [ "$status" -eq 0 ]
  [[ $(mount_line /dev/pts) == *" - devpts "* ]]
  [ -z "$(mount_line /dev/shm)" ]
  [[ $output == *"/dev/shm: No such file or directory"* ]]
}

@test "linux.devices: type, numbers, mode and owner" {
  cfg '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 12, "gid": 34},
                         {"path": "/dev/sub/dir/fifo", "type": "p", "fileMode": 420}]'
  run_in 'stat -c "%F %t:%T %a %u %g" /dev/mynull; stat -c "%F %a" /dev/sub/dir/fifo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:3 600 12 34" ]
  [ "${lines[1]}" = "fifo 644" ]
}

@test "root.readonly makes / read-only, and writable without it" {
  cfg '.root.readonly = true'
  run_in 'touch /newfile'
  [ "$status" -ne 0 ]
  [[ $output == *"Read-only file system"* ]]
  cfg '.root.readonly = false'
  run_in 'touch /newfile && echo wrote'
  [ "$status" -eq 0 ]
  [[ $output == *wrote* ]]
  [ -f "$BUNDLE/rootfs/newfile" ]
}

@test "maskedPaths hide files (as /dev/null) and directories (empty read-only tmpfs)" {
  echo secret >"$BUNDLE/rootfs/etc/secret"
  mkdir -p "$BUNDLE/rootfs/etc/secretdir" && echo x >"$BUNDLE/rootfs/etc/secretdir/f"
  cfg '.linux.maskedPaths = ["/etc/secret", "/etc/secretdir", "/does/not/exist"]'
  run_in 'echo "[$(cat /etc/secret)]"; ls -A /etc/secretdir | wc -l; touch /etc/secretdir/n 2>&1; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "[]" ]
  [ "${lines[1]}" = 0 ]
  [[ ${lines[2]} == *"Read-only file system"* ]]
  [[ $(mount_line /etc/secretdir) == *"ro,"*" - tmpfs "* ]]
  [ "$(cat "$BUNDLE/rootfs/etc/secret")" = secret ]
}

@test "maskedPaths: every masked directory is the same empty read-only tmpfs (one superblock per container, not one per directory)" {
  mkdir -p "$BUNDLE/rootfs/etc/d1" "$BUNDLE/rootfs/etc/d2" "$BUNDLE/rootfs/etc/d3/sub"
  echo x >"$BUNDLE/rootfs/etc/d2/f"
  echo secret >"$BUNDLE/rootfs/etc/secret"
  cfg '.linux.maskedPaths = ["/etc/d1", "/etc/secret", "/etc/d2", "/etc/d3", "/etc/d3/sub"]'
  run_in 'for d in d1 d2 d3; do echo "$(ls -A /etc/$d | wc -l) $(touch /etc/$d/n 2>&1)"; done; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  for i in 0 1 2; do [[ ${lines[$i]} == "0 "*"Read-only file system"* ]]; done
  # the same device (superblock) under each, each mount read-only, nosuid, nodev, noexec
  local devs="" d line
  for d in /etc/d1 /etc/d2 /etc/d3; do
    line=$(mount_line $d)
    [[ $line == *" ro,nosuid,nodev,noexec"*" - tmpfs "* ]]
    devs="$devs $(awk '{ print $3 }' <<<"$line")"
  done
  [ "$(tr ' ' '\n' <<<"$devs" | sed '/^$/d' | sort -u | wc -l)" = 1 ]
  # a path inside an already masked directory is gone: nothing mounted there
  [ -z "$(mount_line /etc/d3/sub)" ]
  # the file is still hidden by /dev/null, and nothing changed on the host
  [[ $(mount_line /etc/secret) == *" /null /etc/secret "* ]]
  [ -f "$BUNDLE/rootfs/etc/d2/f" ]
  [ -d "$BUNDLE/rootfs/etc/d3/sub" ]
  [ ! -e "$BUNDLE/rootfs/etc/d1/n" ]
}

@test "readonlyPaths are read-only and keep nosuid/nodev/noexec" {
  mkdir -p "$BUNDLE/rootfs/data"
  cfg '.root.readonly = false | .linux.readonlyPaths = ["/data", "/proc/sys", "/dev/shm", "/missing/path"]'
  run_in 'touch /data/f 2>&1; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ ${lines[0]} == *"Read-only file system"* ]]
  [[ ${lines[1]} == *"Read-only file system"* ]]
  [[ $(mount_line /data) == *" ro,"* ]]
  [[ $(mount_line /dev/shm) == *" ro,nosuid,nodev,noexec"* ]]
}

@test "bind mounts: directory and file, destinations created inside the rootfs, ro honoured" {
  mkdir -p "$TEST_TMP/hostdir" && echo from-host >"$TEST_TMP/hostdir/f"
  echo file-content >"$TEST_TMP/hostfile"
  cfg ".mounts += [{\"destination\": \"/mnt/a/b\", \"type\": \"bind\", \"source\": \"$TEST_TMP/hostdir\", \"options\": [\"rbind\", \"ro\", \"nosuid\"]},
                   {\"destination\": \"/etc/injected\", \"type\": \"none\", \"source\": \"$TEST_TMP/hostfile\", \"options\": [\"bind\"]}]"
  run_in 'cat /mnt/a/b/f /etc/injected; touch /mnt/a/b/new 2>&1; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-host ]
  [ "${lines[1]}" = file-content ]
  [[ ${lines[2]} == *"Read-only file system"* ]]
  [[ $(mount_line /mnt/a/b) == *" ro,nosuid"* ]]
  [ -f "$BUNDLE/rootfs/etc/injected" ]
  [ ! -e "$TEST_TMP/hostdir/new" ]
}

@test "tmpfs options reach the filesystem; unknown filesystem is a clear error" {
  cfg '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1750", "noexec"]}]'
  run_in 'stat -c %a /scratch; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1750 ]
  [[ $(mount_line /scratch) == *"noexec"*" - tmpfs "*"size=1024k"* ]]
  cfg '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "none"}]'
  run_in 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mount nosuchfs to /x: unknown filesystem type nosuchfs"* ]]
  cfg '.mounts |= map(select(.destination != "/x")) | .mounts += [{"destination": "/y", "type": "tmpfs", "source": "tmpfs", "options": ["size=bogus"]}]'
  run_in 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"mount tmpfs to /y: size=bogus: Invalid argument"* ]]
}

@test "a tmpfs without mode= gets the mode of the directory it covers (runc >= 1.1.10, crun)" {
  mkdir -p "$BUNDLE/rootfs/covered" "$BUNDLE/rootfs/plain"
  chmod 6710 "$BUNDLE/rootfs/covered"   # set-id bits kept too, as runc
  chmod 1777 "$BUNDLE/rootfs/plain"
  ln -s covered "$BUNDLE/rootfs/vialink"
  cfg '.mounts += [{"destination": "/covered", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
                   {"destination": "/vialink", "type": "tmpfs", "source": "tmpfs", "options": ["nodev"]},
                   {"destination": "/plain", "type": "tmpfs", "source": "tmpfs"},
                   {"destination": "/made", "type": "tmpfs", "source": "tmpfs"},
                   {"destination": "/given", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0410"]}]'
  mkdir -p "$BUNDLE/rootfs/given" && chmod 0700 "$BUNDLE/rootfs/given"
  run_in 'stat -c %a /covered /plain /made /given; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 6710 ]
  [ "${lines[1]}" = 1777 ]
  [ "${lines[2]}" = 1777 ]    # made by the runtime: the kernel's default
  [ "${lines[3]}" = 410 ]     # the mount's own mode= wins
  [[ $(mount_line /covered) == *" - tmpfs "*"mode=6710"* ]]
  # the symlink resolved inside the rootfs: the tmpfs covers /covered again
  [[ $(mount_line /covered) == *"nodev"* ]]
  # the rootfs's directories are unchanged
  [ "$(stat -c %a "$BUNDLE/rootfs/covered")" = 6710 ]
  [ "$(stat -c %a "$BUNDLE/rootfs/given")" = 700 ]
}

@test "tmpcopyup copies the rootfs content into the new tmpfs" {
  mkdir -p "$BUNDLE/rootfs/seed/sub" && echo seeded >"$BUNDLE/rootfs/seed/sub/file" && ln -s sub/file "$BUNDLE/rootfs/seed/link"
  chmod 0710 "$BUNDLE/rootfs/seed"
  cfg '.mounts += [{"destination": "/seed", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
  run_in 'cat /seed/sub/file; readlink /seed/link; stat -c %a /seed; echo new > /seed/sub/file; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = seeded ]
  [ "${lines[1]}" = sub/file ]
  [ "${lines[2]}" = 710 ]
  [[ $(mount_line /seed) == *" - tmpfs "* ]]
  [ "$(cat "$BUNDLE/rootfs/seed/sub/file")" = seeded ]
}

@test "a read-only tmpfs with tmpcopyup is filled, then made read-only (podman --tmpfs /etc:ro)" {
  mkdir -p "$BUNDLE/rootfs/seedro/sub" && echo seeded >"$BUNDLE/rootfs/seedro/sub/file"
  cfg '.mounts += [{"destination": "/seedro", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "nosuid", "tmpcopyup"]}]'
  run_in 'cat /seedro/sub/file; touch /seedro/x 2>&1; grep " /seedro " /proc/self/mountinfo'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = seeded ]
  [[ "${lines[1]}" == *"Read-only file system"* ]]
  [[ "${lines[2]}" == *" /seedro ro,nosuid"*" - tmpfs "* ]]
}

@test "tmpcopyup keeps the mount's own mode=, uid= and gid= (podman --tmpfs DIR:mode=1777)" {
  # podman adds tmpcopyup to every --tmpfs; a server's socket directory from the
  # image is root's 0755, and its user must still write into the tmpfs
  mkdir -p "$BUNDLE/rootfs/run/sock" "$BUNDLE/rootfs/owned" && echo seeded >"$BUNDLE/rootfs/run/sock/file"
  chmod 0755 "$BUNDLE/rootfs/run/sock" && chown 0:0 "$BUNDLE/rootfs/run/sock"
  cfg '.process.user = {"uid": 1000, "gid": 1000} |
       .mounts += [{"destination": "/run/sock", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "mode=1777", "nosuid", "nodev", "tmpcopyup"]},
                   {"destination": "/owned", "type": "tmpfs", "source": "tmpfs", "options": ["uid=1000", "gid=1000", "mode=0700", "tmpcopyup"]}]'
  run_in 'stat -c "%a %u:%g" /run/sock /owned; cat /run/sock/file; touch /run/sock/server.lock /owned/x && echo written'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1777 0:0" ]
  [ "${lines[1]}" = "700 1000:1000" ]
  [ "${lines[2]}" = seeded ]
  [ "${lines[3]}" = written ]
}

@test "a tmpfs without mode= takes the mode of the directory it covers (as runc >= 1.1.10 and crun)" {
  # an image's private directory must not become the kernel's default 1777
  mkdir -p "$BUNDLE/rootfs/private" "$BUNDLE/rootfs/shared" "$BUNDLE/rootfs/own"
  chmod 0700 "$BUNDLE/rootfs/private" && chmod 2712 "$BUNDLE/rootfs/shared" && chmod 0700 "$BUNDLE/rootfs/own"
  cfg '.mounts += [{"destination": "/private", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=64k"]},
                   {"destination": "/shared", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]},
                   {"destination": "/own", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]},
                   {"destination": "/new/dir", "type": "tmpfs", "source": "tmpfs"}]'
  run_in 'stat -c "%a %n" /private /shared /own /new/dir; grep -E " /(private|shared|own|new/dir) " /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "700 /private" ]
  [ "${lines[1]}" = "2712 /shared" ]
  [ "${lines[2]}" = "1777 /own" ]      # the mount's own mode= wins
  [ "${lines[3]}" = "1777 /new/dir" ]  # made by the runtime: the kernel's default
  [[ $output == *" /private "*" - tmpfs tmpfs "*"size=64k,mode=700"* ]]
}

@test "sysfs without a network namespace is the host's, bound read-only" {
  cfg '.linux.namespaces |= map(select(.type != "network"))'
  run_in 'cat /proc/self/mountinfo; touch /sys/kernel/x 2>&1; true'
  [ "$status" -eq 0 ]
  [[ $(mount_line /sys) == *" ro,nosuid,nodev,noexec"*" - sysfs "* ]]
  [[ $output == *"Read-only file system"* ]]
}

@test "rootfsPropagation rshared is applied to /; an unknown value is an error" {
  cfg '.linux.rootfsPropagation = "rshared"'
  run_in 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ $(mount_line /) == *"shared:"* ]]
  cfg '.linux.rootfsPropagation = "sideways"'
  run_in 'true'
  [ "$status" -ne 0 ]
  [[ $output == *'rootfsPropagation: unknown value "sideways"'* ]]
}

@test "--no-pivot runs in the rootfs too" {
  cfg '.process.args = ["sh", "-c", "cat /etc/hostname; ls /"]'
  run uoci run --no-pivot --bundle "$BUNDLE" np
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = ulysses ]
}

@test "idmapped bind mount: on-disk uid 0 shows as the mapping's host id (or a clear error)" {
  # As in runc and crun, mount uidMappings are written to the idmap user
  # namespace as given: on-disk (container) id 0 is seen as host id 1000.
  mkdir -p "$TEST_TMP/idm" && echo x >"$TEST_TMP/idm/f" && chown 0:0 "$TEST_TMP/idm/f"
  cfg ".mounts += [{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$TEST_TMP/idm\", \"options\": [\"bind\", \"idmap\"],
                    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],
                    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 2000, \"size\": 1}]}]"
  run_in 'stat -c "%u %g" /idm/f; cat /proc/self/mountinfo'
  if [[ $output == *"idmapped mount not supported"* ]]; then
    skip "kernel or filesystem of $TEST_TMP cannot idmap"
  fi
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1000 2000" ] || { echo "$output"; false; }
  [[ $(mount_line /idm) == *"idmapped"* ]]
  [ "$(stat -c %u "$TEST_TMP/idm/f")" = 0 ]
}

@test "missing rootfs: one line naming it" {
  rm -rf "$BUNDLE/rootfs"
  run uoci run --bundle "$BUNDLE" norootfs
  [ "$status" -ne 0 ]
  [[ $output == *"rootfs $BUNDLE/rootfs: No such file or directory"* ]]
  [ "$(grep -c . <<<"$output")" -eq 1 ]
}

@test "bind mount of a missing source names source and destination" {
  cfg '.mounts += [{"destination": "/m", "type": "bind", "source": "/nonexistent/src", "options": ["bind"]}]'
  run_in 'true'
  [ "$status" -ne 0 ]
  [[ $output == *"bind mount /nonexistent/src to /m: No such file or directory"* ]]
}

@test "a read-only /dev tmpfs is filled first, then read-only (as runc)" {
  cfg '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
  run_in 'ls /dev/null /dev/zero /dev/ptmx /dev/fd >/dev/null && echo filled; touch /dev/x 2>&1; echo hi >/dev/null && echo null-ok; cat /proc/self/mountinfo'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = filled ]
  [[ ${lines[1]} == *"Read-only file system"* ]]
  [ "${lines[2]}" = null-ok ]
  [[ $(mount_line /dev) == *" ro,nosuid"* ]]
  # its submounts keep their own flags
  [[ $(mount_line /dev/pts) == *" rw,"* ]]
}

@test "a mount destination that is a dangling symlink in the rootfs: the target is made inside the rootfs" {
  mkdir -p "$TEST_TMP/hostdir" && echo from-host >"$TEST_TMP/hostdir/f"
  echo nameserver-from-host >"$TEST_TMP/resolv"
  ln -s /srv/data "$BUNDLE/rootfs/data"
  rm -f "$BUNDLE/rootfs/etc/resolv.conf"
  ln -s ../run/systemd/resolve/resolv.conf "$BUNDLE/rootfs/etc/resolv.conf"
  cfg ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TEST_TMP/hostdir\", \"options\": [\"rbind\"]},
                   {\"destination\": \"/etc/resolv.conf\", \"type\": \"bind\", \"source\": \"$TEST_TMP/resolv\", \"options\": [\"bind\"]}]"
  run_in 'cat /data/f /etc/resolv.conf /srv/data/f'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-host ]
  [ "${lines[1]}" = nameserver-from-host ]
  [ "${lines[2]}" = from-host ]
  # made in the rootfs, never on the host
  [ -d "$BUNDLE/rootfs/srv/data" ]
  [ -f "$BUNDLE/rootfs/run/systemd/resolve/resolv.conf" ]
  [ ! -e /srv/data/f ]
}

@test "a mount onto / is a clear error and leaves nothing" {
  mkdir -p "$TEST_TMP/hostdir"
  cfg ".mounts += [{\"destination\": \"/\", \"type\": \"bind\", \"source\": \"$TEST_TMP/hostdir\", \"options\": [\"rbind\"]}]"
  run_in 'true'
  echo "$output"
  [ "$status" -ne 0 ]
  [ "$(grep -c . <<<"$output")" -eq 1 ]
  [[ $output == *"bind mount $TEST_TMP/hostdir to /: the container's root is root.path, a mount cannot replace it"* ]]
  [ ! -e "$STATE/c$BATS_TEST_NUMBER" ]
}

@test "a missing process.cwd is created inside the rootfs (0755, root's), also on a read-only root, as runc" {
  cfg '.root.readonly = true | .process.cwd = "/work/deep/dir" | .process.user = {"uid": 1000, "gid": 1000} |
       .process.args = ["sh", "-c", "pwd; id -u"]'
  c1=c$BATS_TEST_NUMBER
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '/work/deep/dir\n1000')" ]
  [ "$(stat -c '%a %u:%g' "$BUNDLE/rootfs/work/deep/dir")" = "755 0:0" ]
  # an existing one is left as it is
  chmod 700 "$BUNDLE/rootfs/work/deep/dir"
  cfg '.process.user = {"uid": 0, "gid": 0}'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ "$(stat -c %a "$BUNDLE/rootfs/work/deep/dir")" = 700 ]
}

@test "process.cwd is resolved inside the rootfs: symlinks and /proc magic links never reach the host" {
  host=$TEST_TMP/hostdir c1=c$BATS_TEST_NUMBER
  mkdir "$host"
  ln -s "$host" "$BUNDLE/rootfs/evil"               # absolute: the host's path, read in the container
  ln -s ../../../../../../../../.. "$BUNDLE/rootfs/up"
  cfg ".process.cwd = \"/evil/made\" | .process.args = [\"pwd\"]"
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ ! -e "$host/made" ]
  [ -d "$BUNDLE/rootfs$host/made" ]
  cfg '.process.cwd = "/up/tmp/made2"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -eq 0 ]
  [ -d "$BUNDLE/rootfs/tmp/made2" ]
  [ ! -e /tmp/made2 ]
  # no pid namespace: /proc/1/root is the host's root; never followed
  cfg ".linux.namespaces |= map(select(.type != \"pid\")) | .process.cwd = \"/proc/1/root$host/magic\""
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"process.cwd"* ]]
  [ ! -e "$host/magic" ]
  # a file in the way
  touch "$BUNDLE/rootfs/afile"
  cfg '.process.cwd = "/afile/sub"'
  run uoci run --bundle "$BUNDLE" $c1
  [ "$status" -ne 0 ]
  [[ "$output" == *"process.cwd"* ]]
  [ ! -e "$STATE/$c1" ]
}

@test "mount order as runc: a destination spelling the rootfs's host path is inside the rootfs, a bind source through earlier mounts resolves at its turn (also in a user namespace)" {
  # runc main's mounts.bats "mount order, container bind-mount source"
  src=$TEST_TMP/bind-src
  for sub in a/x b/y c/z; do
    mkdir -p "$src/$sub" && echo "$sub" >"$src/$sub/file"
    ln -s "$(dirname "$sub")" "$src/sym-$(dirname "$sub")"
  done
  mkdir -p "$BUNDLE/rootfs/mnt" "$BUNDLE/rootfs/final"
  r=$(realpath "$BUNDLE/rootfs")
  b() { echo "{\"source\": \"$1\", \"destination\": \"$2\", \"type\": \"bind\", \"options\": [\"rbind\"]}"; }
  cfg ".process.args = [\"cat\", \"/final/x/y/z/z/x/y/z/x/file\"] |
       .mounts += [$(b "$src/a" /mnt), $(b "$src/sym-b" /mnt/x), $(b "$src/c" /mnt/x/y), $(b "$src/sym-a" /mnt/x/y/z),
                   $(b "$r/mnt/x" "$r/mnt/x/y/z/x"), $(b "$r/mnt/x/y" "$r/mnt/x/y/z"), $(b "$r/mnt" "$r/final")]"
  run uoci run --bundle "$BUNDLE" c1-$$
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = a/x ]
  # nothing was made under a copy of the host's path in the rootfs
  [ ! -e "$BUNDLE/rootfs${r%%/rootfs}" ]
  [ ! -e "$BUNDLE/rootfs/${r#/}" ]
  # in a user namespace (the runtime opens the host's sources for the init,
  # which may not reach them: those below the rootfs are left to the init, at
  # their turn); the sources' directory only root may enter, as runc's test
  cp "$BUNDLE/config.json" "$TEST_TMP/plain.json"
  chown -R 100000:100000 "$BUNDLE/rootfs" && chmod o-rwx "$src"
  cfg '.linux.namespaces += [{"type": "user"}] |
       .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
       .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  run uoci run --bundle "$BUNDLE" c3-$$
  echo "userns: $output"
  [ "$status" -eq 0 ]
  [ "$output" = a/x ]
  # the rootfs itself as a destination is refused, as "/" is
  cp "$TEST_TMP/plain.json" "$BUNDLE/config.json"
  cfg ".process.args = [\"true\"] | .mounts += [$(b "$src/a" "$r")]"
  run uoci run --bundle "$BUNDLE" c2-$$
  [ "$status" -ne 0 ]
  [[ "$output" == *"a mount cannot replace it"* ]]
}

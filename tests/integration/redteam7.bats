#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# redteam7.bats - red-team round of session 7 (docs/SECURITY.md): what a
# hostile state root and hostile documents did to the runtime, each run
# through the CLI. Every case must end in one line and a non-zero exit (or be
# skipped by list) within seconds: never a hang, a crash or a file read
# through a link.

load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  STATE=$TEST_TMP/state
  mkdir -p "$STATE"
}

teardown() { cleanup_all; }

@test "--root others can write: a state file that is a FIFO, a symlink or 2 GiB: state, list and delete --force answer at once, in one line" {
  mkdir "$STATE/fifo" "$STATE/link" "$STATE/huge" "$STATE/deep"
  mkfifo "$STATE/fifo/state"
  ln -s /etc/passwd "$STATE/link/state"
  truncate -s 2G "$STATE/huge/state"
  run timeout 10 "$UOCI" --root "$STATE" state fifo
  [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ]
  [[ $output == *'container "fifo": corrupt state file'* ]]
  run timeout 10 "$UOCI" --root "$STATE" state link
  [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ]
  [[ $output == *'container "link": open state: '* ]]
  run timeout 10 "$UOCI" --root "$STATE" state huge
  [ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ]
  [[ $output == *'container "huge": read state: File too large'* ]]
  run timeout 10 "$UOCI" --root "$STATE" list -q
  [ "$status" -eq 0 ]
  # an annotations record nested 400000 deep crashed state (SIGSEGV)
  python3 -c 'import sys; n = 400000; sys.stdout.write("pid=999999\nstart=1\nbundle=/nonexistent\nrootfs=/nonexistent\ncreated=2020-01-01T00:00:00Z\nowner=0\nannotations={\"a\":" + "[" * n + "]" * n + "}\n")' >"$STATE/deep/state"
  run timeout 10 "$UOCI" --root "$STATE" state deep
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = stopped ]
  for id in fifo link huge deep; do
    run timeout 10 "$UOCI" --root "$STATE" delete --force "$id"
    [ "$status" -eq 0 ]
    [ ! -e "$STATE/$id" ]
  done
  [ "$(head -c 5 /etc/passwd)" = "root:" ]
}

# A bundle made like helpers' setup_bundle, in the TEST_TMP of this file,
# run with a copy of the runtime (an attack that wins writes the copy).
exe_bundle() {
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$BUNDLE"
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
  cp "$SRCDIR/tests/helpers/exeprobe" "$BUNDLE/rootfs/bin/"
  "$UOCI" spec --bundle "$BUNDLE"
  cfg '.process.terminal = false | .root.readonly = false'
  COPY=$TEST_TMP/uoci-copy
  cp "$UOCI" "$COPY"
  COPY_SUM=$(sha1sum <"$COPY")
}

@test "CVE-2019-5736: /proc/self/exe as the entrypoint, the exec target, a link to it or a script's interpreter is refused" {
  exe_bundle
  ln -s /proc/self/exe "$BUNDLE/rootfs/bin/evil"
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/evil.sh"
  printf '#!/bin/evil.sh\n' >"$BUNDLE/rootfs/bin/evil2.sh"
  chmod +x "$BUNDLE/rootfs/bin/evil.sh" "$BUNDLE/rootfs/bin/evil2.sh"
  local argv
  for argv in '["/proc/self/exe","--version"]' '["evil","--version"]' '["/bin/evil.sh"]'; do
    cfg ".process.args = $argv"
    run "$COPY" --root "$STATE" run --bundle "$BUNDLE" c1
    [ "$status" -ne 0 ]
    [[ $output == *"is the runtime's own binary"*"(CVE-2019-5736)"* ]]
    [[ $output != *"version"* ]]
    [ ! -e "$STATE/c1" ]
  done
  # a startContainer hook runs in the container's pid namespace too
  cfg '.process.args = ["true"] | .hooks = {"startContainer": [{"path": "/bin/evil", "args": ["evil", "--version"]}]}'
  run "$COPY" --root "$STATE" run --bundle "$BUNDLE" c1
  [ "$status" -ne 0 ]
  [[ $output == *"startContainer hook: exec /bin/evil: it is the runtime's own binary"* ]]
  [[ $output != *"version 0"* ]]
  "$COPY" --root "$STATE" delete -f c1 2>/dev/null || true
  cfg 'del(.hooks) | .process.args = ["sleep", "30"]'
  "$COPY" --root "$STATE" run -d --bundle "$BUNDLE" c1
  # (/proc/self/exe and links to it do not resolve where exec looks the
  # program up, outside the container's pid namespace: ENOENT)
  for argv in /proc/self/exe /bin/evil /bin/evil.sh /bin/evil2.sh; do
    run "$COPY" --root "$STATE" exec c1 "$argv" --version
    [ "$status" -ne 0 ]
    [[ $output == *"is the runtime's own binary"* || ($argv != *.sh && $output == *"No such file or directory"*) ]]
    [[ $output != *"version 0"* ]]
  done
  # what the container runs otherwise is unchanged
  run "$COPY" --root "$STATE" exec c1 sh -c 'echo ok'
  [ "$status" -eq 0 ] && [ "$output" = ok ]
  [ "$(sha1sum <"$COPY")" = "$COPY_SUM" ]
}

@test "CVE-2019-5736 live: a container process cannot grab the runtime binary as the container's process and write it once it re-executes" {
  # The attack that won before the fix: the entrypoint is the runtime binary
  # (/proc/self/exe), held by a --log FIFO; an exec'd process opens
  # /proc/1/exe, fakes a state that makes it re-execute itself sealed (the
  # binary no longer busy), and appends to the host's binary.
  exe_bundle
  local r=$BUNDLE/rootfs
  mkfifo "$r/fifo"
  mkdir -p "$r/r/x" "$r/evil"
  "$UOCI" spec --bundle "$r/evil"
  cp "$r/evil/config.json" "$r/r/x/config.json"
  cfg '.process.args = ["/proc/self/exe","--log","/fifo","--root","/r","exec","x","true"]'
  run "$COPY" --root "$STATE" run -d --bundle "$BUNDLE" c1
  if [ "$status" -eq 0 ]; then
    # (only before the fix: the init ran the runtime binary)
    "$COPY" --root "$STATE" exec -d c1 sh -c '
      printf "pid=1\nstart=%s\nbundle=/evil\nrootfs=/evil/rootfs\ncreated=2020-01-01T00:00:00Z\nowner=0\n" \
        "$(cut -d" " -f22 /proc/1/stat)" >/r/x/state
      touch /r/x/ptrace
      exeprobe 1 3000 >/probe.out 2>&1 &
      sleep 0.2
      : </fifo
      wait'
    local i
    for i in $(seq 1 50); do grep -q '^write:' "$r/probe.out" 2>/dev/null && break; sleep 0.1; done
    cat "$r/probe.out" || true
  else
    [[ $output == *"is the runtime's own binary"* ]]
  fi
  [ "$(sha1sum <"$COPY")" = "$COPY_SUM" ]
  ! grep -q PWNED "$COPY"
}

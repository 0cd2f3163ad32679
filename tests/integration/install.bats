#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# make install (into a DESTDIR), the man pages against every verb's --help,
# and the bash completion.
load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  BUILDDIR=${BUILDDIR:-$SRCDIR}
}

teardown() {
  rm -rf "$TEST_TMP"
}

verbs() { "$UOCI" --help | awk '/^Commands:/ {on=1; next} /^$/ {on=0} on {print $1}'; }

# A man page as plain text for matching: roff's \- as -, fonts dropped.
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$1"; }

# The options a --help text names: -x and --long (both of "--tty, --no-tty").
help_options() { grep -oE '(^|[ ,[])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,[' | sort -u; }

@test "install: make install DESTDIR puts binaries, CNI plugin and hook, man pages, completion in place" {
  [ -f "$BUILDDIR/Makefile" ] || skip "no configured build tree at $BUILDDIR"
  dest=$TEST_TMP/dest
  make -s -C "$BUILDDIR" install DESTDIR="$dest" prefix=/usr >"$TEST_TMP/log" 2>&1 || { cat "$TEST_TMP/log"; false; }
  for b in ulysses-oci ulysses-bundle ulysses-mkrootfs ulysses-cni-bridge ulysses-ipam ulysses-cni-hook; do
    [ -x "$dest/usr/bin/$b" ] || { echo "missing bin/$b"; false; }
  done
  "$dest/usr/bin/ulysses-oci" --version | grep -q '^ulysses-oci version '
  # the static musl build comes with its glibc companion (docs/ARCHITECTURE.md), the glibc build alone
  if "$dest/usr/bin/ulysses-oci" --version | grep -q '^libc: musl '; then
    "$dest/usr/libexec/ulysses-oci/ulysses-oci-glibc" --version | grep -q '^libc: glibc '
  else
    [ ! -e "$dest/usr/libexec/ulysses-oci/ulysses-oci-glibc" ]
  fi
  for v in $(verbs); do
    [ -f "$dest/usr/share/man/man8/ulysses-oci-$v.8" ] || { echo "missing man page of $v"; false; }
  done
  for p in ulysses-oci ulysses-bundle ulysses-mkrootfs ulysses-cni-bridge ulysses-ipam ulysses-cni-hook; do
    [ -f "$dest/usr/share/man/man8/$p.8" ] || { echo "missing man page $p.8"; false; }
  done
  [ -f "$dest/usr/share/bash-completion/completions/ulysses-oci" ]
  [ "$(readlink "$dest/usr/share/bash-completion/completions/ulysses-bundle")" = ulysses-oci ]
  # the installed bundle tool finds the installed runtime next to it, and knows where its image helper is
  UOCI= "$dest/usr/bin/ulysses-bundle" --help | grep -q '^Usage: ulysses-bundle'
  [ -x "$dest/usr/libexec/ulysses-oci/ulysses-image" ]
  grep -qx 'pkglibexecdir=/usr/libexec/ulysses-oci' "$dest/usr/bin/ulysses-bundle"
  make -s -C "$BUILDDIR" uninstall DESTDIR="$dest" prefix=/usr >"$TEST_TMP/log" 2>&1 || { cat "$TEST_TMP/log"; false; }
  [ -z "$(find "$dest" ! -type d)" ]
}

@test "man: every verb has a page, listed in ulysses-oci(8)" {
  for v in $(verbs); do
    [ -f "$SRCDIR/man/ulysses-oci-$v.8" ] || { echo "no man/ulysses-oci-$v.8"; false; }
    man_text "$SRCDIR/man/ulysses-oci.8" | grep -q "ulysses-oci-$v" || { echo "$v not in ulysses-oci.8"; false; }
  done
}

@test "man: every option of every verb's --help is in its man page" {
  for v in $(verbs); do
    page=$(man_text "$SRCDIR/man/ulysses-oci-$v.8")
    for o in $("$UOCI" "$v" --help | help_options); do
      grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|$)" <<<"$page" || { echo "$v: $o not in man/ulysses-oci-$v.8"; false; }
    done
  done
}

@test "man: global options and ulysses-bundle's commands are in their pages" {
  page=$(man_text "$SRCDIR/man/ulysses-oci.8")
  for o in $("$UOCI" --help | sed -n '/^Global options:/,$p' | help_options); do
    grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|$)" <<<"$page" || { echo "global $o not in ulysses-oci.8"; false; }
  done
  page=$(man_text "$SRCDIR/man/ulysses-bundle.8")
  for c in create export mount rm prune; do
    "$SRCDIR/bundles/ulysses-bundle" --help | grep -q "^  $c"
    grep -qE "^$c[ :]" <<<"$page" || { echo "$c not in ulysses-bundle.8"; false; }
  done
}

@test "man: the hook's annotations and environment, and the IPAM's keys, are in their pages" {
  page=$(man_text "$SRCDIR/man/ulysses-cni-hook.8")
  for w in $(grep -ohE '"(org\.ulysses\.[a-z]+|CNI_[A-Z_]+|ULYSSES_[A-Z_]+)"' "$SRCDIR/cni/hook.c" "$SRCDIR/cni/cnirun.c" | tr -d '"' | sort -u); do
    case $w in CNI_COMMAND | CNI_CONTAINERID | CNI_NETNS | CNI_IFNAME | CNI_ARGS) continue ;; esac # set for the plugins
    grep -qF -- "$w" <<<"$page" || { echo "$w not in ulysses-cni-hook.8"; false; }
  done
  page=$(man_text "$SRCDIR/man/ulysses-ipam.8")
  for k in dataDir ranges subnet rangeStart rangeEnd gateway routes dst gw dns cni.dev/valid-attachments; do
    grep -qF -- "$k" <<<"$page" || { echo "$k not in ulysses-ipam.8"; false; }
  done
}

@test "man: --root's default (root, not root, no XDG_RUNTIME_DIR) is the same in --help and ulysses-oci(8)" {
  help=$("$UOCI" --help | sed -n '/^  --root/,/^  --log/p' | tr -s ' \n' ' ')
  page=$(man_text "$SRCDIR/man/ulysses-oci.8" | sed -n '/^--root /,/^\.TP/p' | tr -s ' \n' ' ')
  for d in /run/ulysses-oci '$XDG_RUNTIME_DIR/ulysses-oci' /tmp/ulysses-oci-UID; do
    [[ $help == *"$d"* ]] || { echo "--help lacks $d: $help"; false; }
    [[ $page == *"$d"* ]] || { echo "ulysses-oci.8 lacks $d: $page"; false; }
  done
}

@test "man: every page renders without groff warnings" {
  command -v groff >/dev/null || skip "groff not installed"
  for f in "$SRCDIR"/man/*.8; do
    out=$(LC_ALL=C groff -man -ww -z "$f" 2>&1)
    [ -z "$out" ] || { echo "$f: $out"; false; }
  done
}

@test "completion: verbs, a verb's options and option values" {
  [ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion not installed"
  cat >"$TEST_TMP/t.sh" <<'SH'
source /usr/share/bash-completion/bash_completion
source "$SRCDIR/completion/ulysses-oci"
comp() {
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
  COMPREPLY=(); _ulysses_oci; echo "${COMPREPLY[*]}"
}
comp ulysses-oci ""
comp ulysses-oci spec --pid
comp ulysses-oci --root /x exec --no-new
comp ulysses-oci list --format ""
comp ulysses-oci run --
SH
  run env PATH="$(dirname "$UOCI"):$PATH" SRCDIR="$SRCDIR" bash "$TEST_TMP/t.sh"
  [ "$status" = 0 ]
  for v in $(verbs); do [[ " ${lines[0]} " == *" $v "* ]]; done
  [ "${lines[1]}" = --pids-limit ]
  [ "${lines[2]}" = --no-new-privs ]
  [ "${lines[3]}" = "table json" ]
  # run takes create's options as well as its own
  for o in --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds --detach --keep; do
    [[ " ${lines[4]} " == *" $o "* ]] || { echo "run: $o not offered: ${lines[4]}"; false; }
  done
}

@test "dist: the distdir holds tracked files and autotools' output only (no cache, binary or test leftover)" {
  [ -f "$BUILDDIR/Makefile" ] || skip "no configured build tree at $BUILDDIR"
  git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
  d=$TEST_TMP/dist
  make -s -C "$BUILDDIR" distdir distdir="$d" top_distdir="$d" >"$TEST_TMP/log" 2>&1 || { cat "$TEST_TMP/log"; false; }
  (cd "$d" && find . -type f | sed 's|^\./||' | sort) >"$TEST_TMP/shipped"
  git -C "$SRCDIR" ls-files | sort >"$TEST_TMP/tracked"
  extra=$(comm -23 "$TEST_TMP/shipped" "$TEST_TMP/tracked" |
    grep -vxE 'configure|Makefile\.in|aclocal\.m4|config\.h\.in|build-aux/.*|m4/.*' || true)
  [ -z "$extra" ] || { echo "shipped but not tracked:"; echo "$extra"; false; }
  [ "$(du -sk "$d" | cut -f1)" -lt 20000 ]
}

@test "git: what builds and test runs write in the tree is ignored, and nothing ignored is tracked" {
  git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
  # the fuzzers (fuzz-short.bats), the qemu guest's kernel (vm suite), the demo's rootfs (setup.sh demo)
  for p in tests/fuzz/bin/fuzz-config tests/vm/cache/vmlinuz bundles/default/rootfs/bin/busybox; do
    git -C "$SRCDIR" check-ignore -q --no-index "$p" || { echo "$p is not ignored"; false; }
  done
  run git -C "$SRCDIR" ls-files -ci --exclude-standard
  [ "$status" = 0 ]
  [ -z "$output" ] || { echo "tracked but ignored: $output"; false; }
}

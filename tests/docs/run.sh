#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run the documentation's shell examples as written; TAP, one test per block.
#
# What runs:
#   - every ```sh/```bash/```shell and ```console block of the top-level *.md and docs/*.md,
#     from the top of the source tree (where the docs say to run them; needs a build in the tree);
#   - the EXAMPLES of the man pages as `make install` installs them: the tree is installed under
#     a scratch prefix whose bin/ comes first in PATH, and the examples run from an empty
#     directory, so they may use only what is installed.
# The blocks of one document run in its order, as a reader follows them, each under a timeout
# (DOCS_TIMEOUT seconds, default 180) with bash -e: every command must succeed. A console block's
# "# COMMAND" lines run and must print exactly the lines that follow them in the document.
# A fence without a language fails: write ```text for what is not a command, so that a new
# block of commands cannot go unnoticed.
#
# Markers, on the line before a block (man pages: a .\" doctest: comment before .nf):
#   <!-- doctest: skip REASON -->        the block cannot run here; REASON is reported
#   <!-- doctest: terminal [INPUT] -->   interactive: run under script(1) on a terminal, INPUT
#                                        typed (a line), then end of input
#   .\" doctest: text                    (man pages) the block is not commands, e.g. JSON
# and SKIP_LINE_RE below: single commands that never run here, whatever document holds them.
#
# Each document runs as root in its own mount, network and pid namespace (tests/docs/sandbox.sh):
# fresh /tmp, /var/tmp and /run, overlays on /etc, /var/lib and the source tree whose writes stay
# in memory, a network namespace with only lo, and every process gone at the end. Containers a
# document left are deleted first (so their cgroups go too).
#
# Usage: tests/docs/run.sh [DOC...]   (default: all; TESTS_FILTER, a regex, picks among them)
# Environment: SRCDIR, BUILDDIR (default: this tree), DOCS_TIMEOUT.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SRCDIR=${SRCDIR:-$(dirname "$(dirname "$HERE")")}
BUILDDIR=${BUILDDIR:-$SRCDIR}
SRCDIR=$(cd "$SRCDIR" && pwd -P)
BUILDDIR=$(cd "$BUILDDIR" && pwd -P)
export DOCS_TIMEOUT=${DOCS_TIMEOUT:-180}
filter=${TESTS_FILTER:-.}

# Commands no document may run here: a regex on the command's line, and why.
SKIP_LINE_RE=('^\./scripts/setup\.sh test([[:space:]]|$)')
SKIP_LINE_WHY=('the command that runs this suite (CI runs it: .ci/run)')

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v script >/dev/null; then
  echo "1..0 # SKIP needs root, unshare and script(1)"
  exit 0
fi

work=$(mktemp -d /tmp/uoci-docs.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

docs=("$@")
if [ ${#docs[@]} = 0 ]; then
  docs=("$SRCDIR"/*.md "$SRCDIR"/docs/*.md "$SRCDIR"/man/*.8)
fi

# The man pages' examples run against an installation of this build, under a prefix of its
# own (not a DESTDIR: what make install writes into the installed files must be true).
install_log=$work/install.log
dest=$work/prefix
if make -s -C "$BUILDDIR" install prefix="$dest" >"$install_log" 2>&1; then
  installed_bin=$(dirname "$(find "$dest" -path '*/bin/ulysses-oci' | head -n 1)")
  installed_man=$(dirname "$(find "$dest" -path '*/man8/ulysses-oci.8' | head -n 1)")
else
  installed_bin=""
fi

# Extract every document's blocks into $work/doc.I/: N.sh, and a plan for sandbox.sh whose
# lines are TAP-NUMBER NAME MODE ARG CWD SCRIPT NOTE, separated by \x1f (fields may be empty).
n=0 i=0
for f in "${docs[@]}"; do
  [ -f "$f" ] || { echo "run.sh: no such document: $f" >&2; exit 2; }
  rel=${f#"$SRCDIR"/}
  [[ $rel =~ $filter ]] || continue
  i=$((i + 1))
  d=$work/doc.$i
  mkdir -p "$d"
  case "$f" in
    *.md) kind=md src=$f cwd=$SRCDIR ;;
    *) kind=man src=${installed_man:-/nonexistent}/$(basename "$f") cwd=scratch ;;
  esac
  echo "$rel" >"$d/name"
  echo "$kind" >"$d/kind"
  : >"$d/plan"
  if [ "$kind" = man ] && [ -z "$installed_bin" ]; then
    src=$f # report the blocks, skipped below
  fi
  while IFS=$'\t' read -r b line type directive; do
    [ "$directive" = text ] && continue # not commands (man pages: what ```text says in markdown)
    n=$((n + 1))
    name="$rel:$line"
    mode=run arg=""
    case "$directive" in
      "") ;;
      skip\ *) mode=skip arg=${directive#skip } ;;
      terminal) mode=terminal ;;
      terminal\ *) mode=terminal arg=${directive#terminal } ;;
      *) mode=bad arg="unknown doctest marker \"$directive\"" ;;
    esac
    [ "$type" = nolang ] && mode=nolang
    [ "$type" = console ] && [ "$mode" = run ] && mode=console
    if [ "$kind" = man ] && [ -z "$installed_bin" ] && [ "$mode" != skip ]; then
      mode=bad arg="make install prefix=... failed: $(tail -n 1 "$install_log")"
    fi
    if [ "$kind" = md ] && [ "$BUILDDIR" != "$SRCDIR" ] && [ "$mode" != skip ]; then
      mode=skip arg="the docs' commands are written for a build in the source tree (BUILDDIR=$BUILDDIR)"
    fi
    # single commands that never run here
    note=""
    for k in "${!SKIP_LINE_RE[@]}"; do
      re=${SKIP_LINE_RE[k]} why=${SKIP_LINE_WHY[k]}
      if grep -qE "$re" "$d/$b.sh"; then
        sed -E -i "s#$re.*#\\# not run by the docs runner (see the note)#" "$d/$b.sh"
        note="$note; one command not run: $why"
      fi
    done
    printf '%s\x1f' "$n" "$name" "$mode" "$arg" "$cwd" "$d/$b.sh" >>"$d/plan"
    printf '%s\n' "${note#; }" >>"$d/plan"
  done < <(awk -v out="$d" -v kind="$kind" -f "$HERE/extract.awk" "$src")
done

echo "1..$n"
[ "$n" = 0 ] && exit 0
export SRCDIR BUILDDIR
export UOCI_DOCS_BIN=$installed_bin
failed=0
for ((k = 1; k <= i; k++)); do
  d=$work/doc.$k
  [ -s "$d/plan" ] || continue
  if ! grep -qP '\x1f(run|terminal|console)\x1f' "$d/plan"; then
    # nothing to run: report without a sandbox
    "$HERE/sandbox.sh" --report "$d" || failed=1
    continue
  fi
  unshare --mount --net --pid --fork --mount-proc --propagation private \
    "$HERE/sandbox.sh" "$work" "$d" || failed=1
done
exit $failed

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sandbox.sh WORK DOCDIR - run one document's blocks (tests/docs/run.sh made DOCDIR/plan),
# printing a TAP line for each. run.sh starts it as pid 1 of new mount, network and pid
# namespaces; here it makes them a scratch machine:
#   /tmp, /var/tmp, /run             fresh tmpfs (state of ulysses-oci, netns mounts, bundles)
#   /etc, /var/lib                   overlays: the host's files, writes kept in memory
#   /var/lib/ulysses-oci             tmpfs (layers hold overlayfs whiteouts: not on an overlay)
#   the source tree, WORK            still at their paths (the tree as an overlay, WORK bound)
#   network                          only lo, up
# When the namespaces end, all of it goes; containers are deleted before, so that their
# cgroups go too.
# sandbox.sh --report DOCDIR: only print the TAP lines of a plan with nothing to run.
set -u

# report NUM NAME MODE ARG: the TAP line of a block that does not run; 1 when that is a failure
report() {
  case "$3" in
    skip) echo "ok $1 - $2 # SKIP $4" ;;
    nolang) echo "not ok $1 - $2: a code fence without a language (\`\`\`sh runs it, \`\`\`text does not)"; return 1 ;;
    *) echo "not ok $1 - $2: $4"; return 1 ;;
  esac
}

report_only() { # DOCDIR
  local rc=0 num name mode arg rest
  while IFS=$'\x1f' read -r num name mode arg rest; do
    report "$num" "$name" "$mode" "$arg" || rc=1
  done <"$1/plan"
  return $rc
}

if [ "$1" = --report ]; then
  report_only "$2"
  exit
fi

WORK=$1 DOC=$2
S=$WORK/ns
mkdir -p "$S"

die() { echo "not ok - sandbox for $(cat "$DOC/name"): $*"; exit 1; }

# 1. scratch space for everything below
mount -t tmpfs -o mode=755 uoci-docs "$S" || die "tmpfs"
covered=(/run /var/tmp /tmp) # in this order: $S is under /tmp
for c in "${covered[@]}"; do mkdir -p "$S/new$c"; done
chmod 1777 "$S/new/tmp" "$S/new/var/tmp"

overlay() { # LOWER MERGED
  local u=$S/up/$(echo "$1" | tr / _)
  mkdir -p "$u/u" "$u/w"
  mount -t overlay -o "lowerdir=$1,upperdir=$u/u,workdir=$u/w" uoci-docs "$2" || die "overlay on $1"
}

# where a path lives once the covered directories are replaced
new_home() {
  local c
  for c in "${covered[@]}"; do
    case "$1" in "$c"/*) echo "$S/new$1"; return ;; esac
  done
  echo "$1"
}

# 2. /etc and /var/lib: the host's files, writes in memory
for d in /etc /var/lib; do overlay "$d" "$d"; done
mkdir -p /var/lib/ulysses-oci && mount -t tmpfs -o mode=755 uoci-docs /var/lib/ulysses-oci || die "layers tmpfs"

# 3. the trees the blocks need, at their own paths (also when under a covered directory)
keep() { # DIR overlay|bind
  local at
  at=$(new_home "$1")
  mkdir -p "$at"
  if [ "$2" = overlay ]; then overlay "$1" "$at"; else mount --bind "$1" "$at" || die "bind $1"; fi
}
keep "$SRCDIR" overlay
case "$BUILDDIR" in "$SRCDIR" | "$SRCDIR"/*) ;; *) keep "$BUILDDIR" overlay ;; esac
keep "$WORK" bind

# 4. replace the covered directories (rbind: with what step 3 mounted in them)
for c in "${covered[@]}"; do
  mount --rbind "$S/new$c" "$c" || die "rbind $c"
done
ip link set lo up

export SKIP_APT=1   # setup.sh: the packages are installed already (the suite runs after setup.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
unset TESTS_FILTER
[ "$(cat "$DOC/kind")" = man ] && PATH=$UOCI_DOCS_BIN:$PATH
UOCI=$BUILDDIR/src/ulysses-oci
scratch=$(mktemp -d /tmp/doc.XXXXXX)
log=/tmp/.doctest.log

# run_block MODE ARG CWD SCRIPT: the block's exit status; output and trace in $log
run_block() {
  local mode=$1 arg=$2 cwd=$3 script=$4
  [ "$cwd" = scratch ] && cwd=$scratch
  : >"$log"
  case "$mode" in
    run)
      (cd "$cwd" && timeout -k 5 "$DOCS_TIMEOUT" bash -e -c \
        'exec 9>>"$1"; BASH_XTRACEFD=9; set -x; . "$2"' doctest "$log" "$script" </dev/null >>"$log" 2>&1) ;;
    console)
      (cd "$cwd" && timeout -k 5 "$DOCS_TIMEOUT" bash -e "$script" </dev/null >>"$log" 2>&1) ;;
    terminal)
      # script(1) gives the block a terminal; what it reads is ARG, then end of input
      local input=""
      [ -n "$arg" ] && input="$arg"$'\n'
      (cd "$cwd" && printf '%s' "$input" | timeout -k 5 "$DOCS_TIMEOUT" script -qec \
        "bash -e -c 'exec 9>>$log; BASH_XTRACEFD=9; set -x; . $script'" /dev/null >>"$log" 2>&1) ;;
  esac
}

# Containers the document left, in any state root it used (a directory whose
# entries hold an ulysses-oci state file): delete them, so that their cgroups go.
delete_leftovers() {
  local st root id
  for st in $(find /run /tmp /var/tmp -mindepth 3 -name state -type f 2>/dev/null); do
    grep -q '^pid=' "$st" 2>/dev/null || continue
    root=$(dirname "$(dirname "$st")") id=$(basename "$(dirname "$st")")
    "$UOCI" --root "$root" delete -f "$id" >/dev/null 2>&1 &&
      echo "# deleted container $id (root $root) that the document left"
  done
}

rc=0
while IFS=$'\x1f' read -r num name mode arg cwd script note; do
  case "$mode" in
    skip | nolang | bad)
      report "$num" "$name" "$mode" "$arg" || rc=1
      continue ;;
  esac
  start=$SECONDS
  run_block "$mode" "$arg" "$cwd" "$script"
  status=$?
  took=$((SECONDS - start))
  what="$name ($mode, ${took}s)"
  if [ $status = 0 ]; then
    echo "ok $num - $what"
  else
    rc=1
    [ $status = 124 ] && what="$what: timed out after ${DOCS_TIMEOUT}s" || what="$what: exit status $status"
    echo "not ok $num - $what"
    sed 's/^/#   /' "$script" | head -n 40
    echo "#   --- output (last 30 lines)"
    tail -n 30 "$log" | sed 's/^/#   /'
  fi
  [ -n "$note" ] && echo "#   ($note)"
done <"$DOC/plan"
delete_leftovers
exit $rc

#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/docs/run.sh itself, on a made-up document: a failing command, a console
# block whose output differs, a fence without a language and a block that
# outlives its timeout fail; skip markers skip; interactive blocks get a
# terminal; nothing a block writes reaches the host.
load helpers

setup() {
  TEST_TMP=$(mktemp -d /tmp/uoci-test.XXXXXX)
  BUILDDIR=${BUILDDIR:-$SRCDIR}
  mark=uoci-docs-runner-$$-$BATS_TEST_NUMBER
}

teardown() {
  rm -rf "$TEST_TMP" "/etc/$mark" "/var/lib/$mark" "/tmp/$mark" "$SRCDIR/$mark"
}

# docs FILE: run the runner on FILE; TAP in $output
docs() { run env DOCS_TIMEOUT=5 "$SRCDIR/tests/docs/run.sh" "$1"; }

@test "docs runner: passing, failing, console, terminal, skipped and unlabelled blocks" {
  cat >"$TEST_TMP/doc.md" <<EOF
\`\`\`sh
touch /etc/$mark /var/lib/$mark /tmp/$mark ./$mark
test "\$(ip -o link | wc -l)" = 1
\`\`\`

\`\`\`sh
ls /etc/$mark
false
echo not reached
\`\`\`

\`\`\`console
# echo 'ulysses-oci: spec: --memory'
ulysses-oci: spec: --memory
# echo one; echo two >&2
one
three
\`\`\`

<!-- doctest: terminal typed-text -->
\`\`\`sh
test -t 0 && read -r line && test "\$line" = typed-text
\`\`\`

<!-- doctest: skip cannot run here -->
\`\`\`sh
false
\`\`\`

\`\`\`
no language
\`\`\`

\`\`\`text
not a command
\`\`\`

\`\`\`sh
sleep 60
\`\`\`
EOF
  docs "$TEST_TMP/doc.md"
  echo "$output"
  [ "$status" -ne 0 ]
  [ "${lines[0]}" = "1..7" ]
  grep -q "^ok 1 - .*doc.md:1 (run" <<<"$output"
  grep -q "^not ok 2 - .*doc.md:6 (run.*exit status 1" <<<"$output"
  ! grep -q "+ echo not reached" <<<"$output" || false  # xtrace of the line after `false`
  grep -q "^not ok 3 - .*doc.md:12 (console" <<<"$output"
  grep -q "^#   -three" <<<"$output"
  grep -q "^#   +two" <<<"$output"
  grep -q "^ok 4 - .*doc.md:21 (terminal" <<<"$output"
  grep -q "^ok 5 - .*doc.md:26 # SKIP cannot run here" <<<"$output"
  grep -q "^not ok 6 - .*doc.md:30: a code fence without a language" <<<"$output"
  grep -q "^not ok 7 - .*doc.md:38 (run.*timed out after 5s" <<<"$output"
  # the first block's files stayed in its namespaces
  [ ! -e "/etc/$mark" ]
  [ ! -e "/var/lib/$mark" ]
  [ ! -e "/tmp/$mark" ]
  [ ! -e "$SRCDIR/$mark" ]
}

@test "docs runner: a document's blocks share its scratch machine, in order; a container left behind is deleted" {
  cat >"$TEST_TMP/doc.md" <<EOF
\`\`\`sh
mkdir -p /tmp/b && bundles/mkrootfs.sh /tmp/b/rootfs
./src/ulysses-oci spec --bundle /tmp/b --no-tty --args "sleep 600"
./src/ulysses-oci run -d --bundle /tmp/b $mark
\`\`\`

\`\`\`sh
test "\$(./src/ulysses-oci state $mark | jq -r .status)" = running
\`\`\`
EOF
  docs "$TEST_TMP/doc.md"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "^ok 2 " <<<"$output"
  grep -q "^# deleted container $mark" <<<"$output"
  ! find /sys/fs/cgroup -maxdepth 4 -type d -name "$mark" | grep -q . || false
}

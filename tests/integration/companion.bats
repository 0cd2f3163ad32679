#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The static musl ulysses-oci and its glibc companion (src/companion.c,
# docs/ARCHITECTURE.md): what is handed over, that --debug says so, and that
# a missing or writable companion is a one-line error that leaves nothing.
# The D-Bus work itself through the companion: cgroup-systemd-stub.bats.
load helpers

setup() {
  setup_bundle sleep 100
  GLIBC=$(readlink -f "${BUILDDIR:-$SRCDIR}/src/ulysses-oci-glibc")
}

teardown() {
  cleanup_all
}

musl_build() {
  "$UOCI" --version | grep -q '^libc: musl ' || skip "built without musl (configure --disable-musl, or no musl-gcc)"
  [ "$UOCI" -ef "${BUILDDIR:-$SRCDIR}/src/ulysses-oci" ] || skip "UOCI is not this build tree's binary"
}

@test "--version names the libc; the musl build is static, its companion the glibc build" {
  run "$UOCI" --version
  [ "$status" -eq 0 ]
  [[ "${lines[4]}" =~ ^libc:\ (musl\ [0-9.]+\ \(static|glibc\ [0-9]+\.[0-9]+$) ]]
  musl_build
  run ldd "$UOCI"
  [[ "$output" == *"not a dynamic executable"* || "$output" == *"statically linked"* ]]
  [ -x "$GLIBC" ]
  run "$GLIBC" --version
  [[ "${lines[4]}" =~ ^libc:\ glibc\ [0-9]+\.[0-9]+$ ]]
}

@test "musl build: --systemd-cgroup create/run/start/delete/update and checkpoint/restore run in the glibc build; --debug says which" {
  musl_build
  for v in create run start delete update; do
    run "$UOCI" --debug --root "$STATE" --systemd-cgroup "$v" nosuch
    [[ "$output" == *"--systemd-cgroup (libsystemd): handing over to $GLIBC (glibc build; this one is built with musl "* ]] ||
      { echo "$v: $output"; false; }
  done
  for v in checkpoint restore; do
    run "$UOCI" --debug --root "$STATE" "$v" nosuch
    [[ "$output" == *"checkpoint/restore (libcriu): handing over to $GLIBC (glibc build;"* ]] || { echo "$v: $output"; false; }
  done
  # the companion gets the command line unchanged: its own error for the missing container
  run "$UOCI" --root "$STATE" --systemd-cgroup delete nosuch
  [ "$status" -ne 0 ]
  [ "$output" = 'ulysses-oci: container "nosuch" does not exist' ]
  # what an engine calls most stays in the musl build, with or without the flag
  uoci run -d --bundle "$BUNDLE" c1
  for v in state ps pause resume; do
    run "$UOCI" --debug --root "$STATE" --systemd-cgroup "$v" c1
    [ "$status" -eq 0 ]
    [[ "$output" != *"handing over"* ]] || { echo "$v: $output"; false; }
  done
  run "$UOCI" --debug --root "$STATE" --systemd-cgroup kill c1 KILL
  [ "$status" -eq 0 ]
  [[ "$output" != *"handing over"* ]]
}

@test "musl build: without a usable companion, --systemd-cgroup run and checkpoint are one-line errors that leave nothing" {
  musl_build
  mkdir "$TEST_TMP/bin"
  cp "$UOCI" "$TEST_TMP/bin/ulysses-oci"
  # the install's companion (the binary's $(pkglibexecdir)) would be found instead
  libexec=$(strings "$UOCI" | grep -m1 '^/.*/libexec/ulysses-oci$' || true)
  if [ -n "$libexec" ] && [ -e "$libexec/ulysses-oci-glibc" ]; then skip "an installed companion in $libexec"; fi
  run "$TEST_TMP/bin/ulysses-oci" --root "$STATE" --systemd-cgroup run -d --bundle "$BUNDLE" c1
  echo "$output"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "ulysses-oci: --systemd-cgroup (libsystemd) needs the glibc build of ulysses-oci: no usable ulysses-oci-glibc in $TEST_TMP/bin, $TEST_TMP/libexec/ulysses-oci or "*"/libexec/ulysses-oci (this one is built with musl)" ]]
  [ ! -e "$STATE/c1" ]
  run "$TEST_TMP/bin/ulysses-oci" --root "$STATE" checkpoint c1
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "ulysses-oci: checkpoint/restore (libcriu) needs the glibc build of ulysses-oci: no usable"* ]]
  # a companion others could have written is not executed
  cp "$GLIBC" "$TEST_TMP/bin/ulysses-oci-glibc"
  chmod 0775 "$TEST_TMP/bin/ulysses-oci-glibc"
  run "$TEST_TMP/bin/ulysses-oci" --root "$STATE" --systemd-cgroup delete c1
  [ "$status" -eq 1 ]
  [[ "$output" == *"no usable ulysses-oci-glibc in $TEST_TMP/bin"* ]]
  # found next to the binary once it is root's alone
  chmod 0755 "$TEST_TMP/bin/ulysses-oci-glibc"
  run "$TEST_TMP/bin/ulysses-oci" --debug --root "$STATE" --systemd-cgroup delete c1
  [[ "$output" == *"handing over to $TEST_TMP/bin/ulysses-oci-glibc"* ]]
  [[ "$output" == *'container "c1" does not exist'* ]]
  # or in PREFIX/libexec/ulysses-oci of an install under another prefix (make install prefix=...)
  mkdir -p "$TEST_TMP/libexec/ulysses-oci"
  mv "$TEST_TMP/bin/ulysses-oci-glibc" "$TEST_TMP/libexec/ulysses-oci/"
  run "$TEST_TMP/bin/ulysses-oci" --debug --root "$STATE" restore --image-path "$TEST_TMP/none" c1
  [[ "$output" == *"handing over to $TEST_TMP/libexec/ulysses-oci/ulysses-oci-glibc"* ]]
}

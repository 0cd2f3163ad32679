#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# setup.sh demo|test|build - on a fresh Debian 12 machine, as root: install
# what ulysses-oci needs, build it, then run the demo container or the tests.
#   demo   run bundles/default (busybox) and print what it sees
#   test   every test suite (unit, integration, CNI, the docs' examples, podman+containerd,
#          cgroup v2 guest); the last line is "N passed, M failed, K skipped"
#   build  only install and build
# SKIP_APT=1 skips the package installation (already done).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}
case "$what" in demo|test|build) ;; *) echo "usage: $0 demo|test|build" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (containers need it)" >&2; exit 1; }

if [ "${SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2046
  apt-get install -y -qq --no-install-recommends $(grep -v '^#' scripts/packages.txt) >/dev/null
fi

if [ ! -x configure ] || [ configure.ac -nt configure ]; then
  ./autogen.sh >/dev/null 2>&1
fi
# The tests need the fault points (tests/integration/faults.bats), which only
# a build configured for them has; demo and build make a plain one. A tree
# configured without them is reconfigured for the tests, with its options.
if [ ! -f Makefile ]; then
  ./configure --quiet $([ "$what" = test ] && echo --enable-fault-injection)
elif [ "$what" = test ] && ! grep -q '^#define UOCI_FAULT_INJECTION 1' config.h; then
  eval "./configure --quiet --enable-fault-injection $(./config.status --config)"
fi
make -s -j"$(nproc)" >/dev/null

case "$what" in
  demo)
    bundles/mkbundle.sh bundles/default >/dev/null
    exec ./src/ulysses-oci run --bundle bundles/default "demo-$$" ;;
  test)
    make -s -j"$(nproc)" check-programs >/dev/null
    exec tests/run.sh ${TEST_SUITES:-unit integration cni docs clients vm} ;;
  build) echo "built: src/ulysses-oci" ;;
esac

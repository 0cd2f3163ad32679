#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh OUTDIR - build the libFuzzer targets (clang, ASan+UBSan) into OUTDIR.
# Exits 77 when the compiler can't link a libFuzzer program (no clang, or no
# libclang-rt-*-dev): callers treat that as "skip". Environment: FUZZ_CC
# (default clang), FUZZ_CFLAGS (extra flags), BUILDDIR (a configured tree: its
# config.h, which src/ needs; default the source tree).
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SRC=$(dirname "$(dirname "$HERE")")
OUT=${1:?usage: build.sh OUTDIR}
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT"

FLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
       -DFUZZ_LIBFUZZER -I"${BUILDDIR:-$SRC}" -I"$SRC/libocispec" -I"$SRC/cni" -I"$SRC/src" -I"$HERE" ${FUZZ_CFLAGS:-})

probe=$OUT/.probe.c
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' >"$probe"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe" -o "$OUT/.probe" >/dev/null 2>&1; then
  echo "build.sh: $CC cannot link libFuzzer programs (install clang and libclang-rt-dev)" >&2
  exit 77
fi
rm -f "$probe" "$OUT/.probe"

OCISPEC=("$SRC/libocispec/ocispec.c" "$SRC/libocispec/ocispec_tables.c")
CNICORE=("$SRC/cni/ipam.c" "$SRC/cni/cniutil.c")

build() { # NAME SOURCES...
  local name=$1; shift
  local out=$OUT/fuzz-${name//_/-}
  # Rebuild only when a source is newer than the binary.
  if [ -x "$out" ]; then
    local newer=0 f
    for f in "$@" "$HERE/fuzz.h" "$SRC/libocispec/ocispec.h"; do [ "$f" -nt "$out" ] && newer=1; done
    [ $newer = 0 ] && return 0
  fi
  echo "  FUZZCC   $out"
  "$CC" "${FLAGS[@]}" -o "$out" "$@" -lyajl
}

build config    "$HERE/fuzz_config.c"    "${OCISPEC[@]}"
build process   "$HERE/fuzz_process.c"   "${OCISPEC[@]}"
build resources "$HERE/fuzz_resources.c" "${OCISPEC[@]}"
build roundtrip "$HERE/fuzz_roundtrip.c" "${OCISPEC[@]}"
build cni_ipam  "$HERE/fuzz_cni_ipam.c"  "${CNICORE[@]}"
CGROUP=("$SRC/src/cgroup.c" "$SRC/src/cgroup_v1.c" "$SRC/src/cgroup_v2.c" "$SRC/src/cgroup_systemd.c" "$SRC/src/bpf_devices.c"
        "$SRC/src/cgroup_util.c" "$SRC/src/log.c" "$SRC/src/error.c" "$SRC/src/utils.c")
build cgroup_string "$HERE/fuzz_cgroup_string.c" "${CGROUP[@]}" "${OCISPEC[@]}"
# the bridge plugin links libnl and libnftables (its firewall code)
if pkg-config --exists libnl-route-3.0 libnftables 2>/dev/null; then
  FLAGS+=($(pkg-config --cflags libnl-route-3.0 libnftables))
  build cni_bridge "$HERE/fuzz_cni_bridge.c" "$SRC/cni/netlink.c" "$SRC/cni/firewall.c" "$SRC/cni/hostport.c" "$SRC/cni/cnilock.c" "$SRC/cni/cniexec.c" \
    "${CNICORE[@]}" $(pkg-config --libs libnl-route-3.0 libnftables)
fi

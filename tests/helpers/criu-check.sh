#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# criu-check.sh - can CRIU checkpoint here? Exit 0 if so; else print why (one
# line, for a bats `skip`) and exit 1. Debian 12's criu 3.17 fails `criu
# check` on newer kernels (6.18: "vdso: Unexpected rt vDSO area bounds").
PATH=$PATH:/usr/sbin
if ! command -v criu >/dev/null 2>&1; then
  echo "criu is not installed"
  exit 1
fi
if ! out=$(criu check 2>&1); then
  why=$(echo "$out" | grep -m1 -o 'Error ([^)]*): .*' | sed 's/^Error ([^)]*): //')
  echo "criu check fails on this kernel ($(uname -r)): ${why:-$(echo "$out" | tail -n 1)}"
  exit 1
fi
exit 0

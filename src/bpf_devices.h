/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bpf_devices.h - linux.resources.devices on cgroup v2 as an eBPF program
 * (see bpf_devices.c); used by cgroup_v2.c. */
#ifndef UOCI_BPF_DEVICES_H
#define UOCI_BPF_DEVICES_H

#include <stddef.h>
#include "error.h"
#include "ocispec.h"

struct bpf_insn;
/* Build the program for the rules (unit-tested), or load and attach it to
 * the cgroup directory fd, replacing the one we attached before. */
int cg_bpf_build_devices(const ocispec_device_cgroup *rules, size_t n, struct bpf_insn **out,
                         size_t *len, uoci_error **err);
int cg_bpf_apply_devices(int cgroup_dir_fd, const ocispec_device_cgroup *rules, size_t n,
                         uoci_error **err);

#endif

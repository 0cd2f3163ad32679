/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procmount.h - which config mounts may land inside /proc.
 *
 * A mount over a procfs entry changes what the kernel's own files say to
 * everyone who opens them by path: a bind over /proc/self/attr/exec takes
 * an LSM label write (runc's CVE-2019-16884), one over /proc/sys/... takes a
 * sysctl write, one over /proc/1/... lies to monitoring. As runc
 * (checkProcMount), only these are allowed: a procfs at /proc itself (a new
 * one, or a bind of the root of a procfs), and mounts exactly onto the
 * entries lxcfs emulates (PROCMOUNT_ALLOWED). Everything else whose
 * destination is inside /proc is refused, once by path in the parent and
 * again by what the destination resolved to in the init (a symlink in the
 * rootfs pointing into /proc, or a procfs mounted elsewhere by the config). */
#ifndef UOCI_PROCMOUNT_H
#define UOCI_PROCMOUNT_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

#define PROCMOUNT_ALLOWED                                                                                         \
  "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",            \
      "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",                       \
      "/proc/sys/crypto/fips_enabled"

/* True for a cleaned path that is one of PROCMOUNT_ALLOWED. Pure logic. */
bool procmount_allowed(const char *clean);

/* Parent, before anything exists: every .mounts[N] by its cleaned
 * destination; a bind at /proc must have the root of a procfs as source
 * (relative sources are relative to `bundle`). */
int procmount_check_config(const ocispec_config *cfg, const char *bundle, uoci_error **err);

/* Init, right after the destination of `m` (an entry of cfg->mounts) was
 * resolved inside the root to `target`: refuse a target on a procfs unless
 * it is /proc itself or an allowed entry reached without a symlink. One
 * fstatfs for every mount not on a procfs. */
int procmount_check_target(const ocispec_config *cfg, const ocispec_mount *m, int rootfd, int target,
                           uoci_error **err);

#endif

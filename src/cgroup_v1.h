/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_v1.h - the cgroup v1 backend, also the v1 half of hybrid hosts
 * (see cgroup_v1.c). Called by the facade, cgroup.c, only. */
#ifndef UOCI_CGROUP_V1_H
#define UOCI_CGROUP_V1_H

#include "cgroup_util.h"

/* One hierarchy per mounted v1 controller set, at cgroupsPath resolved. */
int cg_v1_discover(uoci_cgroup *cg, const char *cgroups_path, const char *id, uoci_error **err);
/* A new cpuset directory gets its parent's cpus and mems. */
int cg_v1_setup_dir(uoci_cgroup *cg, struct cg_hier *h, uoci_error **err);
int cg_v1_apply(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err);
int cg_v1_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err);
int cg_v1_is_frozen(const uoci_cgroup *cg);
/* The same for the freezer directory DIR. */
int cg_v1_dir_is_frozen(const char *dir);
int cg_v1_stats(const uoci_cgroup *cg, FILE *out);
int cg_v1_oom_fd(const uoci_cgroup *cg, uoci_error **err);
int cg_v1_oom_kills(const uoci_cgroup *cg, uint64_t *kills);

/* Device rule line for devices.allow/deny: "c 1:3 rwm", "a *:* rwm"; NULL
 * for a rule that covers no access (see cg_device_access). */
char *cg_device_rule(const ocispec_device_cgroup *d);
/* Major:minor lines for blkio: "8:0 1048576". */
char *cg_blkio_line(int64_t major, int64_t minor, uint64_t value);

#endif

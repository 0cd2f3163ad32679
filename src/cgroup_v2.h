/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_v2.h - the unified hierarchy's backend (see cgroup_v2.c). Called
 * by the facade, cgroup.c, only. */
#ifndef UOCI_CGROUP_V2_H
#define UOCI_CGROUP_V2_H

#include "cgroup_util.h"

/* Enable the controllers down to h, and check the ones r needs are there. */
int cg_v2_setup_dir(uoci_cgroup *cg, struct cg_hier *h, const ocispec_resources *r, uoci_error **err);
int cg_v2_apply(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err);
int cg_v2_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err);
int cg_v2_is_frozen(const uoci_cgroup *cg);
/* The same for the directory DIR. */
int cg_v2_dir_is_frozen(const char *dir);
int cg_v2_stats(const uoci_cgroup *cg, FILE *out);
int cg_v2_oom_fd(const uoci_cgroup *cg, uoci_error **err);
int cg_v2_oom_kills(const uoci_cgroup *cg, uint64_t *kills);

#endif

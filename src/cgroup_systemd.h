/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_systemd.h - --systemd-cgroup: the container's cgroup as a
 * transient systemd scope (see cgroup_systemd.c). Only the scope itself is
 * done here, over D-Bus; the facade, cgroup.c, places the directories and
 * writes the resources through the v1 or v2 backend. */
#ifndef UOCI_CGROUP_SYSTEMD_H
#define UOCI_CGROUP_SYSTEMD_H

#include "cgroup_util.h"

/* "slice:prefix:name" -> unit "prefix-name.scope", slice "x.slice" and the
 * path "/a.slice/a-b.slice/prefix-name.scope". Returns -1 with *why. */
int cg_systemd_parse(const char *spec, const char *id, char **slice, char **unit, char **path,
                     const char **why);
/* An annotation "org.systemd.property.NAME": VALUE, a unit property set
 * at StartTransientUnit after the resources' own (so it can override them),
 * as runc does. VALUE is GVariant text: a number ("5", "uint64 5",
 * "int32 -1", "2.5"), a boolean ("true") or a string ("'inactive-or-failed'").
 * NAME is 3+ letters; NAMESec (a lowercase letter before "Sec":
 * TimeoutStopSec) is sent as NAMEUSec, the seconds in microseconds. */
struct cg_sd_prop {
  char *name;        /* the D-Bus property */
  char *annotation;  /* the annotation it came from, for errors */
  char type;         /* D-Bus signature: y n q i u x t d b s */
  union {
    int64_t i;       /* n i x; y q u t as well, in u */
    uint64_t u;
    double d;
    bool b;
  } v;
  char *s;           /* type s */
};
/* Pure (unit-tested): one annotation; -1 with *why (static text). */
int cg_sd_prop_parse(const char *name, const char *value, struct cg_sd_prop *out, const char **why);
/* Every org.systemd.property.* annotation, or -1 naming the first bad one. */
int cg_sd_props_from_annotations(const ocispec_strmap *a, struct cg_sd_prop **out, size_t *n, uoci_error **err);
void cg_sd_props_free(struct cg_sd_prop *p, size_t n);
/* At create: the names into cg (unit, slice, path); systemd must run. */
int cg_systemd_prepare(uoci_cgroup *cg, const char *cgroups_path, const char *id, uoci_error **err);
/* Does systemd make the scope's directory in this hierarchy? v2 and the
 * unified tree of a hybrid host: yes; v1: in name=systemd and for the
 * controllers it manages (cpu, cpuacct, memory, devices, blkio, pids); the
 * facade makes the others (cpuset, freezer...). */
bool cg_systemd_makes_dir(const struct cg_hier *h);
/* Once the pid exists: StartTransientUnit with it, Delegate=yes and every
 * property systemd has for `resources`, then wait until the start job is
 * done (the scope's directories exist, the pid is in them, and systemd has
 * written its attributes, so the files written after it stay). When systemd
 * did not take the unit (e.g. the name is in use), cg->unit is cleared: what
 * has that name is not ours to stop. */
int cg_systemd_start(uoci_cgroup *cg, pid_t pid, const ocispec_resources *resources, uoci_error **err);
/* update: the same properties for `resources` (SetUnitProperties), so that
 * systemd's own rewrite of the unit's files (daemon-reload) keeps them. */
int cg_systemd_update(uoci_cgroup *cg, const ocispec_resources *resources, uoci_error **err);
/* delete: StopUnit and wait for it; reset the unit if it failed (an OOM
 * kill), so that its name can be used again. Gone already is fine. */
int cg_systemd_stop(uoci_cgroup *cg, uoci_error **err);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_systemd.h - --systemd-cgroup: the container's cgroup as a
 * transient systemd scope (see cgroup_systemd.c). Only the scope itself is
 * done here; the facade, cgroup.c, places the directories and writes the
 * resources through the v1 or v2 backend. */
#ifndef UOCI_CGROUP_SYSTEMD_H
#define UOCI_CGROUP_SYSTEMD_H

#include "cgroup_util.h"

/* "slice:prefix:name" -> unit "prefix-name.scope", slice "x.slice" and the
 * path "/a.slice/a-b.slice/prefix-name.scope". Returns -1 with *why. */
int cg_systemd_parse(const char *spec, const char *id, char **slice, char **unit, char **path,
                     const char **why);
/* At create: the names into cg (unit, slice, path); systemd must run. */
int cg_systemd_prepare(uoci_cgroup *cg, const char *cgroups_path, const char *id, uoci_error **err);
/* Once the pid exists: StartTransientUnit with it, the properties systemd
 * knows for `resources`, and wait for the scope's directories. */
int cg_systemd_start(uoci_cgroup *cg, pid_t pid, const ocispec_resources *resources, uoci_error **err);
int cg_systemd_stop(uoci_cgroup *cg, uoci_error **err);

#endif

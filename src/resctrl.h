/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resctrl.h - linux.intelRdt through the resctrl filesystem
 * (config-linux.md, "IntelRdt"; Documentation/filesystems/resctrl.rst).
 *
 * The container joins a CTRL_MON group: closID names a group (created when
 * it is missing and schemata are given; an existing one must already hold
 * the asked schemata), else the runtime creates one named after the
 * container and removes it at delete. Schemata lines go to the group's
 * `schemata` file, l3CacheSchema first, memBwSchema next, `schemata` last.
 * enableMonitoring adds a MON group mon_groups/<id> inside it.
 *
 * Every function takes the resctrl root as a path: the runtime finds it in
 * its mount table (resctrl_find_root); the unit tests pass a directory tree
 * they lay out, since no test machine has RDT hardware. */
#ifndef UOCI_RESCTRL_H
#define UOCI_RESCTRL_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

struct resctrl_plan {
  bool present;         /* linux.intelRdt was given */
  const char *group;    /* the CTRL_MON group under the root ("" for the root itself) */
  bool own_group;       /* no closID: the group is the container's, removed at delete */
  const char *id;       /* container id: the MON group's name */
  char **lines;         /* schemata lines in the order the spec wants; NULL-terminated */
  bool monitoring;      /* enableMonitoring (or 1.1's enableCMT/enableMBM) */
};

/* Parent: check linux.intelRdt (pure; errors name the JSON path). */
int resctrl_plan_from_spec(const ocispec_intel_rdt *rdt, const char *id, struct resctrl_plan *plan,
                           uoci_error **err);
void resctrl_plan_release(struct resctrl_plan *plan);

/* Where resctrl is mounted in our mount namespace; an error saying so when
 * it is not (the spec: the runtime MUST generate an error then). */
int resctrl_find_root(char **root, uoci_error **err);

/* Parent, before the container's process can run: make or check the
 * groups and write the schemata. Undone by resctrl_remove. */
int resctrl_prepare(const struct resctrl_plan *plan, const char *root, uoci_error **err);

/* Put a task into the groups: pid 0 is the calling task (resctrl reads
 * "0" as the writer), so exec's child can join itself. */
int resctrl_join(const struct resctrl_plan *plan, const char *root, pid_t pid, uoci_error **err);

/* delete (and a failed create): remove the MON group and the container's
 * own group; a closID group stays. Missing directories are fine. */
int resctrl_remove(const struct resctrl_plan *plan, const char *root, uoci_error **err);

/* update --l3-cache-schema / --mem-bw-schema: write the lines (either may
 * be NULL) to the container's group. */
int resctrl_update(const struct resctrl_plan *plan, const char *root, const char *l3, const char *mb,
                   uoci_error **err);

#endif

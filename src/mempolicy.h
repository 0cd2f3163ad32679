/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mempolicy.h - linux.memoryPolicy: the NUMA memory policy of the
 * container's processes (set_mempolicy(2)). Validated in the parent, set by
 * the init and by every exec'd process just before the process is applied;
 * the policy survives execve and is inherited by children. */
#ifndef UOCI_MEMPOLICY_H
#define UOCI_MEMPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "idlist.h"
#include "ocispec.h"

struct mempolicy_plan {
  bool present;        /* linux.memoryPolicy was given */
  int mode;            /* MPOL_* with the MPOL_F_* flags or'ed in */
  struct idlist nodes; /* empty for modes that take none */
  const char *nodes_text; /* as written, for errors (points into the config) */
};

/* Parent: check mode, flags and nodes against set_mempolicy(2)'s rules
 * (errors name the JSON path). A NULL mp gives an empty plan. */
int mempolicy_plan_from_spec(const ocispec_memory_policy *mp, struct mempolicy_plan *plan, uoci_error **err);

/* Child: set the policy for the calling thread (no-op without one). */
int mempolicy_apply(const struct mempolicy_plan *plan, uoci_error **err);

void mempolicy_plan_release(struct mempolicy_plan *plan);

/* For `features` (linux.memoryPolicy): the names accepted, NULL-terminated. */
const char *const *mempolicy_known_modes(size_t *n);
const char *const *mempolicy_known_flags(size_t *n);

#endif

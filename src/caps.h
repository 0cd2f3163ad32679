/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.h - process.capabilities: names checked against libcap in the parent,
 * applied as bitmasks in the child. */
#ifndef UOCI_CAPS_H
#define UOCI_CAPS_H

#include <stdint.h>
#include "error.h"
#include "ocispec.h"

struct caps_plan {
  bool present;           /* process.capabilities given */
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Resolve names (CAP_SYS_ADMIN ...). An unknown name is an error naming it. */
int caps_plan_from_spec(const ocispec_capabilities *c, struct caps_plan *plan, uoci_error **err);

/* Child, before setuid: keep capabilities across the uid change
 * (PR_SET_KEEPCAPS) and drop the bounding set to plan->bounding. */
int caps_prepare_for_setuid(const struct caps_plan *plan, uoci_error **err);

/* Child, after setuid/setgid: capset() the effective/permitted/inheritable
 * sets and raise the ambient ones. */
int caps_apply(const struct caps_plan *plan, uoci_error **err);

/* All capability names this libcap/kernel knows (for `features`); NULL-terminated, static. */
const char *const *caps_known_names(size_t *n);

#endif

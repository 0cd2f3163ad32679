/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.h - process.capabilities: names checked against libcap in the parent,
 * applied as bitmasks in the child. */
#ifndef UOCI_CAPS_H
#define UOCI_CAPS_H

#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

struct caps_plan {
  bool present;           /* process.capabilities given */
  uint64_t bounding, effective, inheritable, permitted, ambient;
  /* runtime-spec 1.1+: a name that is no capability of this kernel, or one
   * the runtime cannot grant, MUST be logged as a warning and SHOULD NOT
   * fail. Such names are left out of every set; one line per name here. */
  char **warnings;        /* NULL-terminated, malloc'd; NULL when none */
};

/* What the runtime can give the container: every capability of the kernel
 * inside a user namespace of the container's own (the child gets a full set
 * there); otherwise only those in both the runtime's own permitted and
 * bounding sets (a root whose bounding set lacks CAP_SYS_RESOURCE cannot
 * hand it on: capset would fail in the child). */
uint64_t caps_grantable(bool own_userns);

/* Resolve names (CAP_SYS_ADMIN ...) to masks within `grantable`; what is
 * left out is described in plan->warnings. */
void caps_plan_from_spec(const ocispec_capabilities *c, uint64_t grantable, struct caps_plan *plan);
void caps_plan_release(struct caps_plan *plan);

/* May a process given these capabilities hold `name` ("CAP_SYS_PTRACE")?
 * True when any set lists it, or when c is NULL (no capabilities given: the
 * process keeps all of the runtime's). */
bool caps_spec_may_hold(const ocispec_capabilities *c, const char *name);

/* May the process whose /proc/PID/status is `status` hold capability `cap`:
 * is it in any of its sets (CapInh, CapPrm, CapEff, CapBnd, CapAmb)? A text
 * without all five is taken as "may" (pure: unit-tested). */
bool caps_status_may_hold(const char *status, int cap);
/* The same for a running process; one we can't read (gone): false. */
bool caps_pid_may_hold(pid_t pid, int cap);

/* Child, before setuid: keep capabilities across the uid change
 * (PR_SET_KEEPCAPS) and drop the bounding set to plan->bounding. */
int caps_prepare_for_setuid(const struct caps_plan *plan, uoci_error **err);

/* Child, after setuid/setgid: capset() the effective/permitted/inheritable
 * sets and raise the ambient ones. */
int caps_apply(const struct caps_plan *plan, uoci_error **err);

/* All capability names this libcap/kernel knows (for `features`); NULL-terminated, static. */
const char *const *caps_known_names(size_t *n);

#endif

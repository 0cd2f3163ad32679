/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idlist.h - the kernel's list syntax for CPU and memory node numbers
 * ("0-3,7"), as linux.memoryPolicy.nodes and process.execCPUAffinity use it,
 * turned into a bitmask the syscalls take (set_mempolicy, sched_setaffinity). */
#ifndef UOCI_IDLIST_H
#define UOCI_IDLIST_H

#include <stdbool.h>
#include <stddef.h>

#define IDLIST_WORD_BITS (8 * sizeof(unsigned long))

struct idlist {
  unsigned long *bits; /* malloc'd, nwords words */
  size_t nwords;
  size_t count;        /* ids set */
  unsigned highest;    /* the largest id set (when count > 0) */
};

/* Parse `list` (numbers and ranges separated by commas; an empty string is
 * the empty set). Ids above max_id are refused. On error returns -1 with a
 * static reason in *why and nothing allocated. */
int idlist_parse(const char *list, unsigned max_id, struct idlist *out, const char **why);

bool idlist_has(const struct idlist *l, unsigned id);

void idlist_release(struct idlist *l);

#endif

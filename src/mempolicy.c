/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mempolicy.c - see mempolicy.h */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "mempolicy.h"
#include "utils.h"

/* <linux/mempolicy.h> values; Debian 12's headers predate the newer ones. */
enum {
  UOCI_MPOL_DEFAULT = 0,
  UOCI_MPOL_PREFERRED = 1,
  UOCI_MPOL_BIND = 2,
  UOCI_MPOL_INTERLEAVE = 3,
  UOCI_MPOL_LOCAL = 4,
  UOCI_MPOL_PREFERRED_MANY = 5,
  UOCI_MPOL_WEIGHTED_INTERLEAVE = 6,
};
#define UOCI_MPOL_F_NUMA_BALANCING (1 << 13)
#define UOCI_MPOL_F_RELATIVE_NODES (1 << 14)
#define UOCI_MPOL_F_STATIC_NODES (1 << 15)
#define UOCI_MPOL_MODE_MASK 0xff

/* The kernel's MAX_NUMNODES with CONFIG_NODES_SHIFT=10, the largest any
 * distribution kernel uses: a bit above it is refused with EINVAL anyway. */
#define MAX_NODE_ID 1023

enum nodes_rule { NODES_NONE, NODES_OPTIONAL, NODES_REQUIRED };

static const struct {
  const char *name;
  int mode;
  enum nodes_rule nodes;
} modes[] = {
  { "MPOL_DEFAULT", UOCI_MPOL_DEFAULT, NODES_NONE },
  { "MPOL_BIND", UOCI_MPOL_BIND, NODES_REQUIRED },
  { "MPOL_INTERLEAVE", UOCI_MPOL_INTERLEAVE, NODES_REQUIRED },
  { "MPOL_WEIGHTED_INTERLEAVE", UOCI_MPOL_WEIGHTED_INTERLEAVE, NODES_REQUIRED },
  /* no nodes: allocate on the local node (set_mempolicy(2)) */
  { "MPOL_PREFERRED", UOCI_MPOL_PREFERRED, NODES_OPTIONAL },
  { "MPOL_PREFERRED_MANY", UOCI_MPOL_PREFERRED_MANY, NODES_REQUIRED },
  { "MPOL_LOCAL", UOCI_MPOL_LOCAL, NODES_NONE },
};

static const struct {
  const char *name;
  int flag;
} flags[] = {
  { "MPOL_F_NUMA_BALANCING", UOCI_MPOL_F_NUMA_BALANCING },
  { "MPOL_F_RELATIVE_NODES", UOCI_MPOL_F_RELATIVE_NODES },
  { "MPOL_F_STATIC_NODES", UOCI_MPOL_F_STATIC_NODES },
};

#define MP_PATH ".linux.memoryPolicy"

static int flags_from_spec(const ocispec_memory_policy *mp, int *out, uoci_error **err)
{
  int f = 0;
  for (size_t i = 0; i < mp->flags_len; i++) {
    size_t k = 0;
    while (k < ARRAY_SIZE(flags) && strcmp(flags[k].name, mp->flags[i]) != 0)
      k++;
    if (k == ARRAY_SIZE(flags))
      return uoci_fail(err, 0, "config.json: " MP_PATH ".flags[%zu]: unknown flag \"%s\"", i, mp->flags[i]);
    f |= flags[k].flag;
  }
  *out = f;
  return 0;
}

int mempolicy_plan_from_spec(const ocispec_memory_policy *mp, struct mempolicy_plan *plan, uoci_error **err)
{
  memset(plan, 0, sizeof *plan);
  if (mp == NULL)
    return 0;
  if (mp->mode == NULL)
    return uoci_fail(err, 0, "config.json: " MP_PATH ".mode: required");
  size_t m = 0;
  while (m < ARRAY_SIZE(modes) && strcmp(modes[m].name, mp->mode) != 0)
    m++;
  if (m == ARRAY_SIZE(modes))
    return uoci_fail(err, 0, "config.json: " MP_PATH ".mode: unknown mode \"%s\"", mp->mode);
  int f = 0;
  if (flags_from_spec(mp, &f, err) < 0)
    return -1;
  const char *why = NULL;
  struct idlist nodes;
  if (idlist_parse(mp->nodes, MAX_NODE_ID, &nodes, &why) < 0)
    return uoci_fail(err, 0, "config.json: " MP_PATH ".nodes \"%s\": %s", mp->nodes, why);
  const char *name = modes[m].name;
  if (modes[m].nodes == NODES_NONE && nodes.count)
    why = "takes no nodes";
  else if (modes[m].nodes == NODES_REQUIRED && nodes.count == 0)
    why = "needs at least one node in .nodes";
  /* The rules set_mempolicy(2) enforces, said before anything starts. */
  else if (modes[m].nodes == NODES_NONE && f)
    why = "takes no flags";
  else if ((f & UOCI_MPOL_F_STATIC_NODES) && (f & UOCI_MPOL_F_RELATIVE_NODES))
    why = "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other";
  else if ((f & (UOCI_MPOL_F_STATIC_NODES | UOCI_MPOL_F_RELATIVE_NODES)) && nodes.count == 0)
    why = "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES need nodes";
  else if ((f & UOCI_MPOL_F_NUMA_BALANCING) && modes[m].mode != UOCI_MPOL_BIND &&
           modes[m].mode != UOCI_MPOL_PREFERRED_MANY)
    why = "MPOL_F_NUMA_BALANCING only goes with MPOL_BIND or MPOL_PREFERRED_MANY";
  if (why) {
    idlist_release(&nodes);
    return uoci_fail(err, 0, "config.json: " MP_PATH ": %s %s", name, why);
  }
  plan->present = true;
  plan->mode = modes[m].mode | f;
  plan->nodes = nodes;
  plan->nodes_text = mp->nodes;
  return 0;
}

int mempolicy_apply(const struct mempolicy_plan *plan, uoci_error **err)
{
  if (!plan->present)
    return 0;
  const unsigned long *mask = plan->nodes.count ? plan->nodes.bits : NULL;
  /* maxnode counts one more bit than the mask holds: the kernel drops the
   * last one (a historic off-by-one every caller works around). */
  unsigned long maxnode = mask ? plan->nodes.nwords * IDLIST_WORD_BITS + 1 : 0;
  if (syscall(SYS_set_mempolicy, plan->mode, mask, maxnode) < 0) {
    int e = errno;
    const char *mode = "?";
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
      if (modes[i].mode == (plan->mode & UOCI_MPOL_MODE_MASK))
        mode = modes[i].name;
    if (mask)
      return uoci_fail(err, e, "config.json: " MP_PATH ": set_mempolicy %s on nodes \"%s\" (nodes must have memory and be in the cpuset's mems)",
                       mode, plan->nodes_text);
    return uoci_fail(err, e, "config.json: " MP_PATH ": set_mempolicy %s", mode);
  }
  return 0;
}

void mempolicy_plan_release(struct mempolicy_plan *plan)
{
  idlist_release(&plan->nodes);
  plan->present = false;
}

const char *const *mempolicy_known_modes(size_t *n)
{
  static const char *names[ARRAY_SIZE(modes) + 1];
  for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
    names[i] = modes[i].name;
  if (n)
    *n = ARRAY_SIZE(modes);
  return names;
}

const char *const *mempolicy_known_flags(size_t *n)
{
  static const char *names[ARRAY_SIZE(flags) + 1];
  for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
    names[i] = flags[i].name;
  if (n)
    *n = ARRAY_SIZE(flags);
  return names;
}

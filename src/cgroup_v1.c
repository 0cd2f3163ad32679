/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_v1.c - cgroup v1 (one hierarchy per controller) and the v1 half of
 * hybrid hosts: discovery from /proc/self/mountinfo, directory setup
 * (cpuset must be filled before a task may join), linux.resources, freezer,
 * stats and the memory.oom_control eventfd. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <dirent.h>
#include <sys/file.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include "cgroup_v1.h"
#include "utils.h"

/* ---- discovery --------------------------------------------------------- */

/* Strip the mount's root from a /proc/self/cgroup path (cgroup namespaces,
 * bind mounts of a sub-tree). */
static char *own_below_mount(const char *own, const char *mroot)
{
  size_t n = strlen(mroot);
  if (strcmp(mroot, "/") != 0 && strncmp(own, mroot, n) == 0 && (own[n] == '/' || own[n] == '\0'))
    return xstrdup(own[n] ? own + n : "/");
  return xstrdup(own);
}

/* The "name=X" option of a named v1 hierarchy (name=systemd), or NULL. */
static const char *named_hierarchy(const char *super)
{
  const char *p = strstr(super, "name=");
  if (p && (p == super || p[-1] == ','))
    return p;
  return NULL;
}

int cg_v1_discover(uoci_cgroup *cg, const char *cgroups_path, const char *id, uoci_error **err)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return uoci_fail(err, errno, "cgroup: open /proc/self/mountinfo");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  bool relative = cgroups_path && cgroups_path[0] && cgroups_path[0] != '/';
  char *named_seen[CG_MAX_HIER];
  size_t nnamed = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
    char *fields[6] = { 0 };
    char *save = NULL, *t = strtok_r(line, " \n", &save);
    for (int i = 0; i < 6 && t; i++, t = strtok_r(NULL, " \n", &save))
      fields[i] = t;
    while (t && strcmp(t, "-") != 0)
      t = strtok_r(NULL, " \n", &save);
    char *fstype = t ? strtok_r(NULL, " \n", &save) : NULL;
    char *source = fstype ? strtok_r(NULL, " \n", &save) : NULL;
    char *super = source ? strtok_r(NULL, " \n", &save) : NULL;
    if (!fields[4] || !fstype || !super)
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup") != 0)
      continue;
    /* Every hierarchy gets the container's directory, also those that hold
     * no controller of ours: the unified tree of a hybrid host and named
     * ones (name=systemd). Left at their roots, the container would see
     * and could enter the host's cgroups there. */
    _cleanup_free_ char *name = NULL;
    const char *named = v2 ? NULL : named_hierarchy(super);
    if (named)
      name = xasprintf("%.*s", (int) strcspn(named, ","), named);
    unsigned ctrls = 0;
    const char *first = NULL;
    char *s2 = NULL;
    for (char *o = strtok_r(super, ",", &s2); !v2 && o; o = strtok_r(NULL, ",", &s2)) {
      int c = cg_ctrl_from_name(o);
      if (c >= 0 && strcmp(o, "io") != 0) {
        ctrls |= CG_BIT(c);
        if (!first)
          first = cg_ctrl_names[c];
      }
    }
    if (!v2 && ctrls == 0 && name == NULL)
      continue;
    /* A mount shadowed by another one on the same path (a tmpfs over
     * /sys/fs/cgroup/unified, as some tools put there) is not reachable. */
    struct statfs sfs;
    if (statfs(fields[4], &sfs) < 0 || sfs.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
      continue;
    bool dup = false;
    for (size_t i = 0; i < cg->nhier; i++)
      dup |= (cg->hier[i].ctrls & ctrls) != 0 || (v2 && cg->hier[i].unified);
    for (size_t i = 0; name && ctrls == 0 && i < nnamed; i++)
      dup |= strcmp(named_seen[i], name) == 0;
    if (dup)
      continue; /* the same hierarchy mounted twice */
    _cleanup_free_ char *own = NULL;
    if (relative) {
      _cleanup_free_ char *raw = cg_own_path(v2 ? NULL : first ? first : name);
      own = own_below_mount(raw, fields[3]);
    }
    _cleanup_free_ char *rel = cg_resolve_path(cgroups_path, id, own);
    if (strcmp(rel, "/") == 0) {
      rc = uoci_fail(err, 0, "cgroup: refusing to use the root cgroup as the container's cgroup");
      break;
    }
    if (cg->path == NULL)
      cg->path = xstrdup(rel);
    if (cg_add_hier(cg, fields[4], rel, v2 ? 0 : ctrls, v2) == NULL) {
      rc = uoci_fail(err, 0, "cgroup: too many cgroup hierarchies");
      break;
    }
    if (name && ctrls == 0 && nnamed < CG_MAX_HIER)
      named_seen[nnamed++] = steal_ptr(name);
  }
  for (size_t i = 0; i < nnamed; i++)
    free(named_seen[i]);
  if (rc == 0 && cg->nhier == 0)
    rc = uoci_fail(err, 0, "cgroup: no cgroup hierarchy is mounted");
  return rc;
}

static bool cpuset_empty(const char *v)
{
  return v == NULL || v[0] == '\0' || v[0] == '\n';
}

/* Levels we make get cpuset.sched_load_balance 0 before their cpus when the
 * root cpuset balances all CPUs (v1's default): the kernel then makes one
 * scheduling domain of all CPUs whatever the cpusets below say
 * (generate_sched_domains), so the flag changes nothing for the scheduler,
 * while a cpuset that balances makes the kernel rebuild the domains when its
 * cpus are written and again when it is removed (cpuset_css_offline), each
 * a walk of every cpuset under the cpuset lock (docs/PERFORMANCE.md, "At
 * scale"). Where the root does not balance, the flag is left as it is.
 * *balance caches the root's answer (-1: not read yet). */
static int no_own_balance(const struct cg_hier *h, const struct cg_hier *level, int *balance, uoci_error **err)
{
  if (*balance < 0) {
    struct cg_hier root = { .dir = h->mount };
    _cleanup_free_ char *v = cg_read(&root, "cpuset.sched_load_balance");
    *balance = v != NULL && v[0] == '1';
  }
  return *balance ? cg_write(level, "cpuset.sched_load_balance", "0", err) : 0;
}

/* Components of a path below a mount ("/ulysses-oci/c1": 2). */
static int path_levels(const char *rel)
{
  int n = 0;
  for (const char *s = rel; *s; s++)
    if (*s != '/' && (s == rel || s[-1] == '/'))
      n++;
  return n;
}

/* A new cpuset cgroup starts with no cpus and no mems, and nothing may join
 * it (nor a child of it) like that. Every level from the hierarchy's root
 * down to ours that is still empty gets its parent's, as runc does: the
 * levels we made, and a parent made by someone else and left empty (no task
 * can be in it, so filling it changes nothing for anyone). */
/* The usual case in fewer reads: only the levels we just made are empty, so
 * the deepest level that existed before holds what they need (a cpuset's
 * cpus and mems are a subset of its parent's: a non-empty one has non-empty
 * ancestors, nothing above it to fill). A level we made is empty, or a copy
 * of its parent's (cgroup.clone_children): writing that is no change, so it
 * is not read. Returns 1 when it does not apply (the walk below runs). */
static int cpuset_fill_made(const struct cg_hier *h, uoci_error **err)
{
  size_t mlen = strlen(h->mount);
  if (h->created <= 0)
    return 1;
  _cleanup_free_ char *p = xstrdup(h->dir);
  char *made[64];
  int n = 0;
  for (; n < h->created; n++) {
    char *slash = strrchr(p, '/');
    if (slash == NULL || (size_t) (slash - p) < mlen || n == (int) ARRAY_SIZE(made))
      return 1;
    made[n] = slash;
    *slash = '\0';
  }
  /* p is now the deepest level that existed before (maybe the root) */
  struct cg_hier above = { .dir = p };
  _cleanup_free_ char *cpus = cg_read(&above, "cpuset.cpus");
  _cleanup_free_ char *mems = cg_read(&above, "cpuset.mems");
  if (cpuset_empty(cpus) || cpuset_empty(mems))
    return 1;
  int balance = -1;
  while (n-- > 0) {
    *made[n] = '/';
    struct cg_hier level = { .dir = p };
    if (no_own_balance(h, &level, &balance, err) < 0 ||
        cg_write(&level, "cpuset.cpus", cpus, err) < 0 || cg_write(&level, "cpuset.mems", mems, err) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_setup_dir(uoci_cgroup *cg, struct cg_hier *h, uoci_error **err)
{
  if (!(h->ctrls & CG_BIT(CG_CPUSET)) || strlen(h->dir) <= strlen(h->mount))
    return 0;
  int fast = cpuset_fill_made(h, err);
  if (fast <= 0)
    return fast;
  struct cg_hier root = { .dir = h->mount };
  _cleanup_free_ char *cpus = cg_read(&root, "cpuset.cpus");
  _cleanup_free_ char *mems = cg_read(&root, "cpuset.mems");
  if (cpus == NULL || mems == NULL)
    return uoci_fail(err, errno, "cgroup: read cpuset of %s", h->mount);
  int levels = path_levels(h->dir + strlen(h->mount)), level_no = 0, balance = -1;
  _cleanup_free_ char *p = xstrdup(h->dir);
  size_t mlen = strlen(h->mount);
  for (char *s = p + mlen + 1; ; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char saved = *s;
    *s = '\0';
    level_no++;
    struct cg_hier level = { .dir = p };
    char *own_cpus = cg_read(&level, "cpuset.cpus"), *own_mems = cg_read(&level, "cpuset.mems");
    if (own_cpus == NULL || own_mems == NULL) {
      free(own_cpus);
      free(own_mems);
      return uoci_fail(err, errno, "cgroup: read cpuset of %s", p);
    }
    bool ours = level_no > levels - h->created;
    if (ours && cpuset_empty(own_cpus) && !cpuset_empty(cpus) && no_own_balance(h, &level, &balance, err) < 0)
      goto fail;
    if (cpuset_empty(own_cpus) && !cpuset_empty(cpus) && cg_write(&level, "cpuset.cpus", cpus, err) < 0)
      goto fail;
    if (cpuset_empty(own_mems) && !cpuset_empty(mems) && cg_write(&level, "cpuset.mems", mems, err) < 0)
      goto fail;
    /* what this level has now is what the next one copies */
    if (!cpuset_empty(own_cpus)) {
      free(cpus);
      cpus = own_cpus;
    } else
      free(own_cpus);
    if (!cpuset_empty(own_mems)) {
      free(mems);
      mems = own_mems;
    } else
      free(own_mems);
    *s = saved;
    if (saved == '\0')
      break;
    continue;
  fail:
    free(own_cpus);
    free(own_mems);
    return -1;
  }
  (void) cg;
  return 0;
}

/* ---- device and blkio lines (unit-tested) ------------------------------ */

static void dev_num(char *buf, size_t n, bool has, int64_t v)
{
  if (!has || v < 0)
    snprintf(buf, n, "*");
  else
    snprintf(buf, n, "%" PRId64, v);
}

char *cg_device_rule(const ocispec_device_cgroup *d)
{
  char maj[24], min[24];
  dev_num(maj, sizeof maj, d->has_major, d->major);
  dev_num(min, sizeof min, d->has_minor, d->minor);
  const char *type = d->type && *d->type ? d->type : "a";
  char access[4];
  cg_device_access(d->access, access);
  if (access[0] == '\0')
    return NULL;
  return xasprintf("%s %s:%s %s", type, maj, min, access);
}

char *cg_blkio_line(int64_t major, int64_t minor, uint64_t value)
{
  return xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, major, minor, value);
}

/* ---- resources --------------------------------------------------------- */

/* A hierarchy denied to a rootless container reaches here only for what
 * cgroup.c lets through without one (device rules): skipped. */
static const struct cg_hier *need(const uoci_cgroup *cg, enum cg_ctrl c, uoci_error **err)
{
  const struct cg_hier *h = cg_hier_for(cg, c);
  if (h == NULL && !(cg->denied & CG_BIT(c)))
    uoci_fail(err, 0, "cgroup: the %s controller is not available on this host (not mounted)", cg_ctrl_names[c]);
  return h;
}
#define NEED(var, ctrl)                                 \
  const struct cg_hier *var = need(cg, ctrl, err);      \
  if (var == NULL)                                      \
    return cg->denied & CG_BIT(ctrl) ? 0 : -1

static int write_i64(const struct cg_hier *h, const char *file, int64_t v, uoci_error **err)
{
  return cg_writef(h, file, err, "%" PRId64, v);
}

static int v1_memory_and_swap(const struct cg_hier *h, const ocispec_memory *m, uoci_error **err)
{
  int64_t limit = m->has_limit ? m->limit : 0;
  int64_t swap = m->has_swap ? m->swap : 0;
  if (limit == -1 && swap == 0)
    swap = -1; /* unlimited memory implies unlimited swap, as runc */
  bool have_memsw = cg_has_file(h, "memory.memsw.limit_in_bytes");
  if (swap != 0 && !have_memsw) {
    if (swap == -1)
      swap = 0;
    else
      return uoci_fail(err, 0, "cgroup: memory.swap: swap accounting is not enabled on this host");
  }
  /* The kernel wants memory <= memory+swap at every step: order the writes. */
  if (limit != 0 && swap != 0) {
    uint64_t cur = 0;
    cg_read_u64(h, "memory.limit_in_bytes", &cur);
    if (swap == -1 || cur < (uint64_t) swap) {
      if (write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0)
        return -1;
      return write_i64(h, "memory.limit_in_bytes", limit, err);
    }
  }
  if (limit != 0 && write_i64(h, "memory.limit_in_bytes", limit, err) < 0)
    return -1;
  if (swap != 0 && write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0)
    return -1;
  return 0;
}

static int v1_memory(uoci_cgroup *cg, const ocispec_memory *m, bool update, uoci_error **err)
{
  NEED(h, CG_MEMORY);
  if (cg_check_before_update(h, m, update, "memory.usage_in_bytes", "memory.max_usage_in_bytes", err) < 0)
    return -1;
  if ((m->has_limit || m->has_swap) && v1_memory_and_swap(h, m, err) < 0)
    return -1;
  if (m->has_reservation && m->reservation != 0 &&
      write_i64(h, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return -1;
  /* memory.kernel: the kernel takes the write and keeps no limit; warned
   * about in cgroup.c (cg_unapplied). */
  if (m->has_kernel_tcp && m->kernel_tcp != 0 &&
      write_i64(h, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
    return -1;
  if (m->has_swappiness && cg_writef(h, "memory.swappiness", err, "%" PRIu64, m->swappiness) < 0)
    return -1;
  if (m->has_disable_oom_killer && m->disable_oom_killer && cg_write(h, "memory.oom_control", "1", err) < 0)
    return -1;
  if (m->has_use_hierarchy) {
    uint64_t cur = 0;
    if (cg_read_u64(h, "memory.use_hierarchy", &cur) == 0 && cur != (uint64_t) m->use_hierarchy &&
        cg_write(h, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err) < 0)
      return -1;
  }
  return 0;
}

/* ---- real-time budget ---------------------------------------------------- */

/* RT group scheduling compares runtime/period ratios, in the kernel's fixed
 * point (to_ratio: runtime << 20 / period). */
static uint64_t rt_ratio(int64_t runtime, uint64_t period)
{
  return runtime <= 0 || period == 0 ? 0 : ((uint64_t) runtime << 20) / period;
}

/* The ratio the sub-cgroups of dir hold, `skip` (our own, still at 0) aside. */
static uint64_t rt_children_ratio(const char *dir, const char *skip)
{
  uint64_t sum = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.' || strcmp(e->d_name, skip) == 0)
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", dir, e->d_name);
    struct cg_hier child = { .dir = sub };
    _cleanup_free_ char *rt = cg_read(&child, "cpu.rt_runtime_us");
    uint64_t period = 0;
    long long runtime = 0;
    if (rt && parse_int64(strtok(rt, "\n"), &runtime) == 0 && cg_read_u64(&child, "cpu.rt_period_us", &period) == 0)
      sum += rt_ratio(runtime, period);
  }
  if (d)
    closedir(d);
  return sum;
}

/* With RT group scheduling a cgroup's rt_runtime_us can only come out of
 * its parent's, and a cgroup starts with none: a container under the
 * runtime's own parent (/ulysses-oci, the default placement) could never
 * get any. So that parent, and only that one (a parent the config names is
 * its owner's), is set to what its live containers hold plus this one's.
 * Returns the parent's directory fd, locked (flock) until the container's
 * own value is written, so that two creates do not undercut each other;
 * -2 when the parent is not ours. */
static int give_parent_rt_budget(const struct cg_hier *h, int64_t runtime, uint64_t period, uoci_error **err)
{
  const char *base = strrchr(h->rel, '/');
  if (base == NULL || runtime <= 0 || (size_t) (base - h->rel) != strlen("/ulysses-oci") ||
      strncmp(h->rel, "/ulysses-oci", strlen("/ulysses-oci")) != 0)
    return -2;
  _cleanup_free_ char *pdir = xasprintf("%s/ulysses-oci", h->mount);
  int lock = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock < 0 || flock(lock, LOCK_EX) < 0) {
    int e = errno;
    if (lock >= 0)
      close(lock);
    return uoci_fail(err, e, "cgroup: lock %s", pdir);
  }
  struct cg_hier parent = { .dir = pdir };
  uint64_t pperiod = 0;
  if (cg_read_u64(&parent, "cpu.rt_period_us", &pperiod) < 0 || pperiod == 0) {
    close(lock);
    return uoci_fail(err, errno, "cgroup: read %s/cpu.rt_period_us", pdir);
  }
  uint64_t need = rt_children_ratio(pdir, base + 1) + rt_ratio(runtime, period);
  uint64_t budget = (need * pperiod + (1ULL << 20) - 1) >> 20;
  if (budget > pperiod)
    budget = pperiod;
  if (cg_writef(&parent, "cpu.rt_runtime_us", err, "%" PRIu64, budget) < 0) {
    close(lock);
    return uoci_error_prefix(err, "linux.resources.cpu.realtimeRuntime %" PRId64 ": the runtime's parent cgroup "
                             "cannot get %" PRIu64 " us of real-time budget from its own parent (the host's RT budget, "
                             "cpu.rt_runtime_us of the root, is given to other groups)", runtime, budget);
  }
  return lock;
}

/* cpu.rt_runtime_us, with the parent's budget where the parent is ours;
 * then, with the budget still locked, cpu.rt_period_us = retry_period if
 * that is not 0 (its first write was refused with the old runtime). */
static int v1_rt_runtime(const struct cg_hier *h, const ocispec_cpu *c, uint64_t retry_period, uoci_error **err)
{
  uint64_t period = c->has_realtime_period && c->realtime_period ? c->realtime_period : 0;
  if (period == 0 && cg_read_u64(h, "cpu.rt_period_us", &period) < 0)
    return uoci_fail(err, errno, "cgroup: read %s/cpu.rt_period_us", h->dir);
  _cleanup_close_ int lock = give_parent_rt_budget(h, c->realtime_runtime, period, err);
  if (lock == -1)
    return -1;
  /* A sibling removed a moment ago still counts against the parent until
   * the kernel has freed its group (after an RCU grace period): EINVAL for
   * a few milliseconds. Only worth waiting for when the budget was ours. */
  for (int tries = 0;; tries++) {
    uoci_error *e = NULL;
    if (write_i64(h, "cpu.rt_runtime_us", c->realtime_runtime, &e) == 0)
      return retry_period ? cg_writef(h, "cpu.rt_period_us", err, "%" PRIu64, retry_period) : 0;
    if (lock < 0 || e->errnum != EINVAL || tries == 100) {
      if (*err == NULL)
        *err = e;
      else
        uoci_error_free(e);
      return -1;
    }
    uoci_error_free(e);
    struct timespec ts = { 0, 2 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
}

static int keep_first(uoci_error **err, uoci_error *first, uoci_error *second);

/* As for the CFS pair (v1_cfs): a shorter rt period with the old runtime
 * can be refused although the new pair fits; then the runtime goes first
 * and the period is written again after it. */
static int v1_realtime(const struct cg_hier *h, const ocispec_cpu *c, uoci_error **err)
{
  uoci_error *first = NULL;
  bool has_runtime = c->has_realtime_runtime && c->realtime_runtime != 0;
  if (c->has_realtime_period && c->realtime_period &&
      cg_writef(h, "cpu.rt_period_us", &first, "%" PRIu64, c->realtime_period) < 0) {
    uoci_error_prefix(&first, "linux.resources.cpu.realtimePeriod %" PRIu64 " (update --cpu-rt-period)",
                      c->realtime_period);
    if (!has_runtime || first->errnum != EINVAL)
      return keep_first(err, first, NULL);
  }
  if (!has_runtime)
    return 0;
  if (first) {
    uoci_error *second = NULL;
    if (v1_rt_runtime(h, c, c->realtime_period, &second) < 0)
      return keep_first(err, first, second);
    uoci_error_free(first);
    return 0;
  }
  return v1_rt_runtime(h, c, 0, err);
}

/* Hands *err the first of two errors, frees the second. */
static int keep_first(uoci_error **err, uoci_error *first, uoci_error *second)
{
  if (*err == NULL)
    *err = first;
  else
    uoci_error_free(first);
  uoci_error_free(second);
  return -1;
}

static int name_cfs(uoci_error **err, bool period, const ocispec_cpu *c)
{
  const char *why = (*err)->errnum == EINVAL ? " (out of range, or more than the parent cgroup's CPU quota allows)" : "";
  if (period)
    return uoci_error_prefix(err, "linux.resources.cpu.period %" PRIu64 " (update --cpu-period)%s", c->period, why);
  return uoci_error_prefix(err, "linux.resources.cpu.quota %" PRId64 " (update --cpu-quota)%s", c->quota, why);
}

/* The kernel checks each write of cpu.cfs_period_us or cpu.cfs_quota_us
 * against the parent's bandwidth with the other value as it is at that
 * moment: under a parent with a quota (a kubelet pod cgroup), a shorter
 * period with the old quota is refused (EINVAL) although the new pair fits.
 * As runc: the period first; when that is refused, the quota, then the
 * period again. If the retry fails too, the first error is the one told. */
static int v1_cfs(const struct cg_hier *h, const ocispec_cpu *c, uoci_error **err)
{
  bool period = c->has_period && c->period, quota = c->has_quota && c->quota != 0;
  uoci_error *first = NULL, *second = NULL;
  if (period && cg_writef(h, "cpu.cfs_period_us", &first, "%" PRIu64, c->period) < 0) {
    name_cfs(&first, true, c);
    if (!quota || first->errnum != EINVAL)
      return keep_first(err, first, NULL);
    if (write_i64(h, "cpu.cfs_quota_us", c->quota, &second) < 0 ||
        cg_writef(h, "cpu.cfs_period_us", &second, "%" PRIu64, c->period) < 0)
      return keep_first(err, first, second);
    uoci_error_free(first);
    return 0;
  }
  if (quota && write_i64(h, "cpu.cfs_quota_us", c->quota, &first) < 0) {
    name_cfs(&first, false, c);
    return keep_first(err, first, NULL);
  }
  return 0;
}

static int v1_cpu(uoci_cgroup *cg, const ocispec_cpu *c, uoci_error **err)
{
  bool want_cpu = (c->has_shares && c->shares) || c->has_quota || (c->has_period && c->period) ||
                  (c->has_burst) || c->has_realtime_runtime || (c->has_realtime_period && c->realtime_period) ||
                  c->has_idle;
  if (want_cpu) {
    NEED(h, CG_CPU);
    if (c->has_shares && c->shares) {
      if (cg_writef(h, "cpu.shares", err, "%" PRIu64, c->shares) < 0)
        return -1;
      uint64_t got = 0;
      if (cg_read_u64(h, "cpu.shares", &got) == 0 && got != c->shares)
        return uoci_fail(err, 0, "cgroup: cpu.shares %" PRIu64 " out of range: the kernel set %" PRIu64
                         " (allowed 2-262144)", c->shares, got);
    }
    if (v1_cfs(h, c, err) < 0)
      return -1;
    if (c->has_burst && cg_writef(h, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst) < 0)
      return -1;
    if (v1_realtime(h, c, err) < 0)
      return -1;
    if (c->has_idle && write_i64(h, "cpu.idle", c->idle, err) < 0)
      return -1;
  }
  if ((c->cpus && *c->cpus) || (c->mems && *c->mems)) {
    NEED(h, CG_CPUSET);
    if (cg_set_cpuset(h, c->cpus, c->mems, false, err) < 0)
      return -1;
  }
  return 0;
}

static int write_devs(const struct cg_hier *h, const char *file, const ocispec_throttle_device *d, size_t n,
                      uoci_error **err)
{
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *line = cg_blkio_line(d[i].major, d[i].minor, d[i].rate);
    if (cg_write(h, file, line, err) < 0)
      return -1;
  }
  return 0;
}

static const char *first_file(const struct cg_hier *h, const char *a, const char *b)
{
  if (cg_has_file(h, a))
    return a;
  if (b && cg_has_file(h, b))
    return b;
  return NULL;
}

static int v1_blkio(uoci_cgroup *cg, const ocispec_block_io *b, uoci_error **err)
{
  NEED(h, CG_BLKIO);
  const char *wf = first_file(h, "blkio.weight", "blkio.bfq.weight");
  const char *wdf = first_file(h, "blkio.weight_device", "blkio.bfq.weight_device");
  bool weights = (b->has_weight && b->weight) || b->weight_device_len > 0;
  if (weights && (wf == NULL || (b->weight_device_len && wdf == NULL)))
    return uoci_fail(err, 0, "cgroup: blockIO weights need the CFQ or BFQ I/O scheduler "
                     "(no blkio.weight or blkio.bfq.weight on this host)");
  if (b->has_weight && b->weight && cg_writef(h, wf, err, "%u", b->weight) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight) {
    if (!cg_has_file(h, "blkio.leaf_weight"))
      return uoci_fail(err, 0, "cgroup: blockIO.leafWeight is not supported on this host (no blkio.leaf_weight)");
    if (cg_writef(h, "blkio.leaf_weight", err, "%u", b->leaf_weight) < 0)
      return -1;
  }
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const ocispec_weight_device *w = &b->weight_device[i];
    if (w->has_weight && cg_writef(h, wdf, err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight) < 0)
      return -1;
    if (w->has_leaf_weight) {
      if (!cg_has_file(h, "blkio.leaf_weight_device"))
        return uoci_fail(err, 0, "cgroup: blockIO.weightDevice leafWeight is not supported on this host");
      if (cg_writef(h, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                    w->leaf_weight) < 0)
        return -1;
    }
  }
  return write_devs(h, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
                    b->throttle_read_bps_device_len, err) < 0 ||
         write_devs(h, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                    b->throttle_write_bps_device_len, err) < 0 ||
         write_devs(h, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                    b->throttle_read_iops_device_len, err) < 0 ||
         write_devs(h, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                    b->throttle_write_iops_device_len, err) < 0
             ? -1
             : 0;
}

/* One rule per write(2), on a devices file opened at its first rule only. */
static int write_device_rule(const struct cg_hier *h, const char *file, int *fd, const char *rule, uoci_error **err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, file);
  if (*fd < 0 && (*fd = open(p, O_WRONLY | O_CLOEXEC)) < 0)
    return uoci_fail(err, errno, "cgroup: open %s", p);
  size_t len = strlen(rule);
  ssize_t w = write(*fd, rule, len);
  if (w < 0 || (size_t) w != len)
    return uoci_fail(err, w < 0 ? errno : EIO, "cgroup: write \"%s\" to %s", rule, p);
  return 0;
}

static int v1_devices(uoci_cgroup *cg, const ocispec_device_cgroup *d, size_t n, uoci_error **err)
{
  NEED(h, CG_DEVICES);
  /* devices.allow and devices.deny stay open across the rules: a default
   * config has a dozen, each an open/close pair otherwise. */
  _cleanup_close_ int allow_fd = -1;
  _cleanup_close_ int deny_fd = -1;
  /* Applied in order, as the spec says: a later rule overrides an earlier. */
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *rule = cg_device_rule(&d[i]);
    if (rule == NULL)
      continue; /* no access: nothing to allow or deny */
    bool allow = d[i].has_allow && d[i].allow;
    if (write_device_rule(h, allow ? "devices.allow" : "devices.deny", allow ? &allow_fd : &deny_fd, rule, err) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_apply(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err)
{
  if (r->memory && v1_memory(cg, r->memory, update, err) < 0)
    return -1;
  if (r->cpu && v1_cpu(cg, r->cpu, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit && r->pids->limit != 0) {
    NEED(h, CG_PIDS);
    if (r->pids->limit > 0 ? write_i64(h, "pids.max", r->pids->limit, err) < 0 : cg_write(h, "pids.max", "max", err) < 0)
      return -1;
  }
  if (r->block_io && v1_blkio(cg, r->block_io, err) < 0)
    return -1;
  if (r->hugepage_limits_len) {
    NEED(h, CG_HUGETLB);
    if (cg_set_hugetlb_limits(h, r, "limit_in_bytes", err) < 0)
      return -1;
  }
  if (r->network && r->network->has_class_id) {
    NEED(h, CG_NET_CLS);
    if (cg_writef(h, "net_cls.classid", err, "%u", r->network->class_id) < 0)
      return -1;
  }
  if (r->network && r->network->priorities_len) {
    NEED(h, CG_NET_PRIO);
    for (size_t i = 0; i < r->network->priorities_len; i++)
      if (cg_writef(h, "net_prio.ifpriomap", err, "%s %u", r->network->priorities[i].name,
                    r->network->priorities[i].priority) < 0)
        return -1;
  }
  for (size_t i = 0; i < r->rdma.len; i++) {
    NEED(h, CG_RDMA);
    const ocispec_rdma *x = &r->rdma.values[i];
    _cleanup_free_ char *line = xasprintf("%s", r->rdma.keys[i]);
    if (x->has_hca_handles) {
      char *t = xasprintf("%s hca_handle=%u", line, x->hca_handles);
      free(line);
      line = t;
    }
    if (x->has_hca_objects) {
      char *t = xasprintf("%s hca_object=%u", line, x->hca_objects);
      free(line);
      line = t;
    }
    if (cg_write(h, "rdma.max", line, err) < 0)
      return -1;
  }
  if (!update && r->devices_len && v1_devices(cg, r->devices, r->devices_len, err) < 0)
    return -1;
  if (r->unified.len)
    return uoci_fail(err, 0, "linux.resources.unified requires cgroup v2");
  return 0;
}

/* ---- freezer ----------------------------------------------------------- */

int cg_v1_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err)
{
  const struct cg_hier *h = cg_hier_for(cg, CG_FREEZER);
  if (h == NULL)
    return uoci_fail(err, 0, "cgroup: the freezer controller is not available on this host");
  const char *want = frozen ? "FROZEN" : "THAWED";
  for (int i = 0; i < 2000; i++) {
    /* Writing again now and then helps when a task was in vfork or a new
     * one raced in while FREEZING. */
    if (i % 50 == 0 && cg_write(h, "freezer.state", want, err) < 0)
      return -1;
    _cleanup_free_ char *st = cg_read(h, "freezer.state");
    if (st == NULL)
      return uoci_fail(err, errno, "cgroup: read %s/freezer.state", h->dir);
    if (strncmp(st, want, strlen(want)) == 0)
      return 0;
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
  }
  if (frozen)
    cg_write(h, "freezer.state", "THAWED", NULL);
  return uoci_fail(err, 0, "cgroup: timed out waiting for %s to become %s", h->dir, want);
}

int cg_v1_is_frozen(const uoci_cgroup *cg)
{
  const struct cg_hier *h = cg_hier_for(cg, CG_FREEZER);
  return h ? cg_v1_dir_is_frozen(h->dir) : -1;
}

int cg_v1_dir_is_frozen(const char *dir)
{
  char st[64]; /* THAWED, FREEZING or FROZEN */
  if (cg_read_small(dir, "freezer.state", st, sizeof st) < 0)
    return -1;
  return strncmp(st, "FROZEN", 6) == 0;
}

/* ---- stats (runc's `events --stats` shape) ----------------------------- */

static void print_u64_array(FILE *out, const char *text)
{
  fputc('[', out);
  bool first = true;
  for (const char *s = text; s && *s;) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) {
      s++;
      continue;
    }
    fprintf(out, "%s%llu", first ? "" : ",", v);
    first = false;
    s = end;
  }
  fputc(']', out);
}

static void mem_entry(FILE *out, const struct cg_hier *h, const char *name, const char *prefix)
{
  char f[128];
  snprintf(f, sizeof f, "%s.limit_in_bytes", prefix);
  uint64_t limit = cg_u64_or0(h, f);
  snprintf(f, sizeof f, "%s.usage_in_bytes", prefix);
  uint64_t usage = cg_u64_or0(h, f);
  snprintf(f, sizeof f, "%s.max_usage_in_bytes", prefix);
  uint64_t max = cg_u64_or0(h, f);
  snprintf(f, sizeof f, "%s.failcnt", prefix);
  uint64_t failcnt = cg_u64_or0(h, f);
  fprintf(out, "\"%s\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64 "}",
          name, limit, usage, max, failcnt);
}

/* blkio.throttle.io_service_bytes_recursive: "8:0 Read 123" lines. */
static void blkio_entries(FILE *out, const char *name, const char *text, bool *first_obj)
{
  if (text == NULL)
    return;
  fprintf(out, "%s\"%s\":[", *first_obj ? "" : ",", name);
  *first_obj = false;
  bool first = true;
  for (const char *l = text; l && *l;) {
    unsigned maj, min;
    char op[32];
    unsigned long long v;
    if (sscanf(l, "%u:%u %31s %llu", &maj, &min, op, &v) == 4) {
      fprintf(out, "%s{\"major\":%u,\"minor\":%u,\"op\":\"%s\",\"value\":%llu}", first ? "" : ",", maj, min, op, v);
      first = false;
    }
    const char *nl = strchr(l, '\n');
    l = nl ? nl + 1 : NULL;
  }
  fputc(']', out);
}

int cg_v1_stats(const uoci_cgroup *cg, FILE *out)
{
  const struct cg_hier *acct = cg_hier_for(cg, CG_CPUACCT);
  const struct cg_hier *cpu = cg_hier_for(cg, CG_CPU);
  const struct cg_hier *mem = cg_hier_for(cg, CG_MEMORY);
  const struct cg_hier *pids = cg_hier_for(cg, CG_PIDS);
  const struct cg_hier *blk = cg_hier_for(cg, CG_BLKIO);
  if (mem && access(mem->dir, F_OK) < 0)
    return -1;
  /* cpu */
  _cleanup_free_ char *percpu = acct ? cg_read(acct, "cpuacct.usage_percpu") : NULL;
  _cleanup_free_ char *percpu_sys = acct ? cg_read(acct, "cpuacct.usage_percpu_sys") : NULL;
  _cleanup_free_ char *percpu_user = acct ? cg_read(acct, "cpuacct.usage_percpu_user") : NULL;
  _cleanup_free_ char *acct_stat = acct ? cg_read(acct, "cpuacct.stat") : NULL;
  uint64_t user = 0, sys = 0;
  long hz = sysconf(_SC_CLK_TCK);
  if (acct_stat) {
    cg_keyed_u64(acct_stat, "user", &user);
    cg_keyed_u64(acct_stat, "system", &sys);
    user = user * 1000000000ull / (uint64_t) (hz > 0 ? hz : 100);
    sys = sys * 1000000000ull / (uint64_t) (hz > 0 ? hz : 100);
  }
  fprintf(out, "{\"cpu\":{\"usage\":{\"total\":%" PRIu64 ",\"percpu\":", cg_u64_or0(acct, "cpuacct.usage"));
  print_u64_array(out, percpu);
  fputs(",\"percpu_kernel\":", out);
  print_u64_array(out, percpu_sys);
  fputs(",\"percpu_user\":", out);
  print_u64_array(out, percpu_user);
  fprintf(out, ",\"kernel\":%" PRIu64 ",\"user\":%" PRIu64 "}", sys, user);
  _cleanup_free_ char *cstat = cpu ? cg_read(cpu, "cpu.stat") : NULL;
  uint64_t periods = 0, throttled = 0, ttime = 0;
  if (cstat) {
    cg_keyed_u64(cstat, "nr_periods", &periods);
    cg_keyed_u64(cstat, "nr_throttled", &throttled);
    cg_keyed_u64(cstat, "throttled_time", &ttime);
  }
  fprintf(out, ",\"throttling\":{\"periods\":%" PRIu64 ",\"throttledPeriods\":%" PRIu64 ",\"throttledTime\":%" PRIu64 "}}",
          periods, throttled, ttime);
  /* memory */
  _cleanup_free_ char *mstat = mem ? cg_read(mem, "memory.stat") : NULL;
  uint64_t cache = 0;
  if (mstat)
    cg_keyed_u64(mstat, "cache", &cache);
  fprintf(out, ",\"memory\":{\"cache\":%" PRIu64 ",", cache);
  mem_entry(out, mem, "usage", "memory");
  fputc(',', out);
  mem_entry(out, mem, "swap", "memory.memsw");
  fputc(',', out);
  mem_entry(out, mem, "kernel", "memory.kmem");
  fputc(',', out);
  mem_entry(out, mem, "kernelTCP", "memory.kmem.tcp");
  fputs(",\"raw\":", out);
  cg_print_raw(out, mstat);
  fputc('}', out);
  /* pids */
  uint64_t limit = cg_u64_or0(pids, "pids.max");
  fprintf(out, ",\"pids\":{\"current\":%" PRIu64 ",\"limit\":%" PRIu64 "}", cg_u64_or0(pids, "pids.current"),
          limit == UINT64_MAX ? 0 : limit);
  /* blkio: prefer the CFQ/BFQ files when present, else the throttle ones */
  fputs(",\"blkio\":{", out);
  bool first = true;
  if (blk) {
    const char *bytes = first_file(blk, "blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive");
    const char *ios = first_file(blk, "blkio.io_serviced_recursive", "blkio.throttle.io_serviced_recursive");
    _cleanup_free_ char *b = bytes ? cg_read(blk, bytes) : NULL;
    _cleanup_free_ char *s = ios ? cg_read(blk, ios) : NULL;
    blkio_entries(out, "ioServiceBytesRecursive", b, &first);
    blkio_entries(out, "ioServicedRecursive", s, &first);
  }
  fputs("},", out);
  cg_hugetlb_stats(out, cg_hier_for(cg, CG_HUGETLB), false);
  fputc('}', out);
  return 0;
}

/* ---- OOM notification ------------------------------------------------- */

int cg_v1_oom_fd(const uoci_cgroup *cg, uoci_error **err)
{
  const struct cg_hier *h = cg_hier_for(cg, CG_MEMORY);
  if (h == NULL)
    return -1;
  _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0)
    return uoci_fail(err, errno, "eventfd");
  _cleanup_free_ char *p = xasprintf("%s/memory.oom_control", h->dir);
  _cleanup_close_ int ofd = open(p, O_RDONLY | O_CLOEXEC);
  if (ofd < 0)
    return uoci_fail(err, errno, "cgroup: open %s", p);
  if (cg_writef(h, "cgroup.event_control", err, "%d %d", efd, ofd) < 0)
    return -1;
  return steal_fd(efd);
}

int cg_v1_oom_kills(const uoci_cgroup *cg, uint64_t *kills)
{
  const struct cg_hier *h = cg_hier_for(cg, CG_MEMORY);
  _cleanup_free_ char *ev = h ? cg_read(h, "memory.oom_control") : NULL;
  return ev ? cg_keyed_u64(ev, "oom_kill", kills) : -1;
}

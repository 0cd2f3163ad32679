/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_util.c - see cgroup_util.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup_util.h"
#include "utils.h"

const char *const cg_ctrl_names[CG_NCTRL] = {
  [CG_CPU] = "cpu", [CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset", [CG_MEMORY] = "memory",
  [CG_DEVICES] = "devices", [CG_FREEZER] = "freezer", [CG_BLKIO] = "blkio", [CG_PIDS] = "pids",
  [CG_HUGETLB] = "hugetlb", [CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio",
  [CG_PERF_EVENT] = "perf_event", [CG_RDMA] = "rdma", [CG_MISC] = "misc",
};

int cg_ctrl_from_name(const char *name)
{
  for (int i = 0; i < CG_NCTRL; i++)
    if (strcmp(name, cg_ctrl_names[i]) == 0)
      return i;
  if (strcmp(name, "io") == 0)
    return CG_BLKIO;
  return -1;
}

/* ---- pure helpers ------------------------------------------------------ */

static bool memory_needed(const ocispec_memory *m, bool v2)
{
  if (m->has_limit || m->has_swap || m->has_reservation)
    return true;
  /* No v2 file for these: the v2 backend ignores them, as runc does. */
  return !v2 && ((m->has_kernel_tcp && m->kernel_tcp) || m->has_swappiness ||
                 (m->has_disable_oom_killer && m->disable_oom_killer) || m->has_use_hierarchy);
}

static bool blkio_needed(const ocispec_block_io *b, bool v2)
{
  return (b->has_weight && b->weight) || b->weight_device_len || b->throttle_read_bps_device_len ||
         b->throttle_write_bps_device_len || b->throttle_read_iops_device_len || b->throttle_write_iops_device_len ||
         (!v2 && b->has_leaf_weight && b->leaf_weight);
}

unsigned cg_needed_ctrls(const ocispec_resources *r, bool v2)
{
  unsigned need = 0;
  if (r == NULL)
    return 0;
  if (r->memory && memory_needed(r->memory, v2))
    need |= CG_BIT(CG_MEMORY);
  if (r->cpu) {
    const ocispec_cpu *c = r->cpu;
    if ((c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period) ||
        c->has_burst || c->has_idle ||
        (!v2 && ((c->has_realtime_runtime && c->realtime_runtime) || (c->has_realtime_period && c->realtime_period))))
      need |= CG_BIT(CG_CPU);
    if ((c->cpus && *c->cpus) || (c->mems && *c->mems))
      need |= CG_BIT(CG_CPUSET);
  }
  if (r->pids && r->pids->has_limit && r->pids->limit)
    need |= CG_BIT(CG_PIDS);
  if (r->block_io && blkio_needed(r->block_io, v2))
    need |= CG_BIT(CG_BLKIO);
  if (r->hugepage_limits_len)
    need |= CG_BIT(CG_HUGETLB);
  if (r->rdma.len)
    need |= CG_BIT(CG_RDMA);
  if (!v2 && r->network && r->network->has_class_id)
    need |= CG_BIT(CG_NET_CLS);
  if (!v2 && r->network && r->network->priorities_len)
    need |= CG_BIT(CG_NET_PRIO);
  if (!v2 && r->devices_len)
    need |= CG_BIT(CG_DEVICES); /* v2: an eBPF program, no controller */
  for (size_t i = 0; v2 && i < r->unified.len; i++) {
    char name[32];
    const char *k = r->unified.keys[i];
    size_t n = strcspn(k, ".");
    if (n < sizeof name) {
      memcpy(name, k, n);
      name[n] = '\0';
      int c = cg_ctrl_from_name(name);
      if (c >= 0)
        need |= CG_BIT(c);
    }
  }
  return need;
}

char *cg_resolve_path(const char *cgroups_path, const char *id, const char *own)
{
  if (cgroups_path == NULL || *cgroups_path == '\0') {
    _cleanup_free_ char *p = xasprintf("/ulysses-oci/%s", id);
    return path_clean(p);
  }
  if (cgroups_path[0] == '/')
    return path_clean(cgroups_path);
  /* Relative: inside the runtime's own cgroup, never above it. */
  _cleanup_free_ char *inner = path_clean(cgroups_path);
  _cleanup_free_ char *p = xasprintf("%s/%s", own ? own : "/", inner);
  return path_clean(p);
}

uint64_t cg_shares_to_weight(uint64_t shares)
{
  /* runc/crun: map [2, 262144] linearly onto [1, 10000]; 0 means unset. */
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_blkio_weight_to_io_weight(uint64_t w)
{
  /* runc: blkio [10, 1000] -> io [1, 10000]; 0 means unset. */
  if (w == 0)
    return 0;
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + (w - 10) * 9999 / 990;
}

int64_t cg_swap_to_v2(int64_t swap, int64_t limit, const char **why)
{
  /* As runc: memory unlimited and swap not given means both unlimited. */
  if (limit == -1 && swap == 0)
    return -1;
  if (swap == 0)
    return -3; /* leave memory.swap.max alone */
  if (swap == -1)
    return -1;
  if (limit == 0 || limit == -1) {
    *why = "unable to set swap limit without memory limit";
    return -2;
  }
  if (limit < 0 || swap < 0) {
    *why = "invalid memory value";
    return -2;
  }
  if (swap < limit) {
    *why = "memory+swap limit should be >= memory limit";
    return -2;
  }
  return swap - limit;
}

int cg_parse_cpu_max(const char *text, int64_t *quota, uint64_t *period)
{
  if (text == NULL)
    return -1;
  size_t n = strcspn(text, " ");
  if (n == 0 || text[n] != ' ' || text[n + 1] < '0' || text[n + 1] > '9')
    return -1;
  char *end;
  errno = 0;
  int64_t q = -1;
  if (!(n == 3 && strncmp(text, "max", 3) == 0)) {
    if (text[0] < '0' || text[0] > '9')
      return -1;
    long long v = strtoll(text, &end, 10);
    if (errno || end != text + n || v <= 0)
      return -1;
    q = v;
  }
  unsigned long long p = strtoull(text + n + 1, &end, 10);
  if (errno || p == 0 || p > UINT64_MAX || (*end != '\0' && strcmp(end, "\n") != 0))
    return -1;
  *quota = q;
  *period = p;
  return 0;
}

int cg_validate_list(const char *list, int max_id, const char **why)
{
  const char *s = list;
  if (*s == '\0')
    return 0; /* empty: inherit */
  while (*s) {
    char *end;
    if (*s < '0' || *s > '9') {
      *why = "invalid list syntax";
      return -1;
    }
    unsigned long a = strtoul(s, &end, 10), b = a;
    s = end;
    if (*s == '-') {
      s++;
      if (*s < '0' || *s > '9') {
        *why = "invalid list syntax";
        return -1;
      }
      b = strtoul(s, &end, 10);
      s = end;
      if (b < a) {
        *why = "range end is before its start";
        return -1;
      }
    }
    if (max_id >= 0 && b > (unsigned long) max_id) {
      *why = "out of range";
      return -1;
    }
    if (*s == ',')
      s++;
    else if (*s == '\n' && s[1] == '\0')
      s++;
    else if (*s != '\0') {
      *why = "invalid list syntax";
      return -1;
    }
  }
  return 0;
}

int cg_list_max(const char *list)
{
  int max = -1;
  const char *s = list;
  while (*s) {
    if (*s >= '0' && *s <= '9') {
      char *end;
      long v = strtol(s, &end, 10);
      if (v > max)
        max = (int) v;
      s = end;
    } else
      s++;
  }
  return max;
}

static int fail_negative(uoci_error **err, const char *what, int64_t v)
{
  return uoci_fail(err, 0, "linux.resources.%s: invalid value %" PRId64 " (must be -1, 0 or positive)", what, v);
}

size_t cg_unapplied(const ocispec_resources *r, enum cgroup_mode mode, const char **out, size_t max)
{
  size_t n = 0;
  const ocispec_memory *m = r ? r->memory : NULL;
  if (m == NULL)
    return 0;
#define UNAPPLIED(cond, text) do { if ((cond) && n < max) out[n++] = (text); } while (0)
  /* v1 still has memory.kmem.limit_in_bytes, but the kernel takes a write
   * and keeps no limit (runc and crun no longer write it) */
  UNAPPLIED(m->has_kernel && m->kernel > 0, "linux.resources.memory.kernel: ignored, Linux no longer limits kernel "
                                            "memory on its own (it counts in the memory limit)");
  bool v2 = mode == CGROUP_MODE_V2;
  UNAPPLIED(v2 && m->has_kernel_tcp && m->kernel_tcp > 0, "linux.resources.memory.kernelTCP: ignored, cgroup v2 has no "
                                                          "separate TCP buffer limit");
  UNAPPLIED(v2 && m->has_swappiness, "linux.resources.memory.swappiness: ignored, cgroup v2 has no per-cgroup swappiness");
  UNAPPLIED(v2 && m->has_disable_oom_killer && m->disable_oom_killer,
            "linux.resources.memory.disableOOMKiller: ignored, cgroup v2 cannot turn the OOM killer off");
  UNAPPLIED(v2 && m->has_use_hierarchy && !m->use_hierarchy,
            "linux.resources.memory.useHierarchy: ignored, cgroup v2 is always hierarchical");
#undef UNAPPLIED
  return n;
}

void cg_device_access(const char *access, char out[4])
{
  const char *a = access && *access ? access : "rwm";
  size_t n = 0;
  for (const char *c = "rwm"; *c; c++)
    if (strchr(a, *c))
      out[n++] = *c;
  out[n] = '\0';
}

/* runc reads an access as the set of its r, w and m and ignores any other
 * letter (its v1 rules and v2 eBPF program alike); crun's v2 program does
 * too, its v1 writes the string and the kernel refuses it. Taken as runc
 * does, and said: "rwa" is "rw" (a is the devices cgroup's type letter for
 * all devices, not an access). */
char *cg_device_access_note(const ocispec_device_cgroup *d, size_t i)
{
  if (d->access == NULL || strspn(d->access, "rwm") == strlen(d->access))
    return NULL;
  char others[64], covered[4];
  size_t n = 0;
  for (const char *c = d->access; *c && n + 1 < sizeof others; c++)
    if (!strchr("rwm", *c) && !memchr(others, *c, n))
      others[n++] = *c;
  others[n] = '\0';
  cg_device_access(d->access, covered);
  if (covered[0] == '\0')
    return xasprintf("linux.resources.devices[%zu].access \"%s\": \"%s\" %s not a device access (r, w, m), "
                     "ignored as runc does: the rule covers no access and has no effect",
                     i, d->access, others, n > 1 ? "are" : "is");
  return xasprintf("linux.resources.devices[%zu].access \"%s\": \"%s\" %s not a device access (r, w, m), "
                   "ignored as runc does: the rule covers \"%s\"",
                   i, d->access, others, n > 1 ? "are" : "is", covered);
}

int cg_validate_resources(const ocispec_resources *r, enum cgroup_mode mode, uoci_error **err)
{
  if (r == NULL)
    return 0;
  const char *why = NULL;
  if (r->memory) {
    const ocispec_memory *m = r->memory;
    if (m->has_limit && m->limit < -1)
      return fail_negative(err, "memory.limit", m->limit);
    if (m->has_reservation && m->reservation < -1)
      return fail_negative(err, "memory.reservation", m->reservation);
    if (m->has_swap && m->swap < -1)
      return fail_negative(err, "memory.swap", m->swap);
    if (m->has_kernel_tcp && m->kernel_tcp < -1)
      return fail_negative(err, "memory.kernelTCP", m->kernel_tcp);
    if (m->has_swappiness && m->swappiness > 100)
      return uoci_fail(err, 0, "linux.resources.memory.swappiness: invalid value %" PRIu64 " (0-100)", m->swappiness);
    if (m->has_limit && m->has_swap && m->swap > 0 && m->limit > 0 && m->swap < m->limit)
      return uoci_fail(err, 0, "linux.resources.memory: swap (%" PRId64 ") must be >= limit (%" PRId64 "), it counts memory+swap",
                       m->swap, m->limit);
    if (mode == CGROUP_MODE_V2 && m->has_swap &&
        cg_swap_to_v2(m->swap, m->has_limit ? m->limit : 0, &why) == -2)
      return uoci_fail(err, 0, "linux.resources.memory.swap: %s", why);
  }
  if (r->cpu) {
    const ocispec_cpu *c = r->cpu;
    if (c->has_quota && c->quota < -1)
      return fail_negative(err, "cpu.quota", c->quota);
    if (c->has_realtime_runtime && c->realtime_runtime < -1)
      return fail_negative(err, "cpu.realtimeRuntime", c->realtime_runtime);
    if (c->has_period && c->period != 0 && (c->period < 1000 || c->period > 1000000))
      return uoci_fail(err, 0, "linux.resources.cpu.period: %" PRIu64 " out of range (1000-1000000 us)", c->period);
    if (c->cpus && cg_validate_list(c->cpus, -1, &why) < 0)
      return uoci_fail(err, 0, "linux.resources.cpu.cpus \"%s\": %s", c->cpus, why);
    if (c->mems && cg_validate_list(c->mems, -1, &why) < 0)
      return uoci_fail(err, 0, "linux.resources.cpu.mems \"%s\": %s", c->mems, why);
    if (c->has_idle && c->idle != 0 && c->idle != 1)
      return uoci_fail(err, 0, "linux.resources.cpu.idle: invalid value %" PRId64 " (0 or 1)", c->idle);
  }
  if (r->pids && r->pids->has_limit && r->pids->limit < -1)
    return fail_negative(err, "pids.limit", r->pids->limit);
  if (r->block_io) {
    const ocispec_block_io *b = r->block_io;
    if (b->has_weight && b->weight != 0 && (b->weight < 10 || b->weight > 1000))
      return uoci_fail(err, 0, "linux.resources.blockIO.weight: %u out of range (10-1000)", b->weight);
    if (b->has_leaf_weight && b->leaf_weight != 0 && (b->leaf_weight < 10 || b->leaf_weight > 1000))
      return uoci_fail(err, 0, "linux.resources.blockIO.leafWeight: %u out of range (10-1000)", b->leaf_weight);
  }
  for (size_t i = 0; i < r->devices_len; i++) {
    const ocispec_device_cgroup *d = &r->devices[i];
    if (d->type && strcmp(d->type, "a") && strcmp(d->type, "b") && strcmp(d->type, "c"))
      return uoci_fail(err, 0, "linux.resources.devices[%zu].type: invalid \"%s\" (a, b or c)", i, d->type);
  }
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const char *ps = r->hugepage_limits[i].page_size;
    if (ps == NULL || *ps == '\0' || strchr(ps, '/') || strchr(ps, '.'))
      return uoci_fail(err, 0, "linux.resources.hugepageLimits[%zu].pageSize: invalid \"%s\"", i, ps ? ps : "");
  }
  if (r->unified.len > 0 && mode != CGROUP_MODE_V2)
    return uoci_fail(err, 0, "invalid configuration: linux.resources.unified (\"%s\") requires cgroup v2, this host uses "
                     "cgroup v1%s",
                     r->unified.keys[0], mode == CGROUP_MODE_HYBRID ? " (hybrid)" : "");
  for (size_t i = 0; i < r->unified.len; i++) {
    const char *k = r->unified.keys[i];
    const char *dot = strchr(k, '.');
    if (strchr(k, '/') || dot == NULL || dot == k || strncmp(k, "cgroup.", 7) == 0)
      return uoci_fail(err, 0, "linux.resources.unified: invalid key \"%s\"", k);
  }
  return 0;
}

/* ---- hierarchies -------------------------------------------------------- */

static void hier_init(struct cg_hier *h)
{
  memset(h, 0, sizeof *h);
  h->dir_fd = -1;
}

struct cg_hier *cg_add_hier(uoci_cgroup *cg, const char *mount, const char *rel, unsigned ctrls, bool unified)
{
  if (cg->nhier >= CG_MAX_HIER)
    return NULL;
  struct cg_hier *h = &cg->hier[cg->nhier++];
  hier_init(h);
  h->mount = xstrdup(mount);
  h->rel = xstrdup(rel);
  h->dir = strcmp(rel, "/") == 0 ? xstrdup(mount) : xasprintf("%s%s", mount, rel);
  h->ctrls = ctrls;
  h->unified = unified;
  return h;
}

const struct cg_hier *cg_hier_for(const uoci_cgroup *cg, enum cg_ctrl c)
{
  for (size_t i = 0; i < cg->nhier; i++)
    if (cg->hier[i].ctrls & CG_BIT(c))
      return &cg->hier[i];
  return NULL;
}

const struct cg_hier *cg_unified(const uoci_cgroup *cg)
{
  for (size_t i = 0; i < cg->nhier; i++)
    if (cg->hier[i].unified)
      return &cg->hier[i];
  return NULL;
}

/* The runtime's own cgroup in a hierarchy, from /proc/self/cgroup:
 * "N:ctrl,ctrl:/path" (v1) or "0::/path" (v2). */
char *cg_own_path(const char *ctrl)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return xstrdup("/");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    const char *list, *path;
    if (!proc_cgroup_split(line, &list, &path))
      continue;
    if (ctrl == NULL) {
      if (*list == '\0')
        return xstrdup(path);
      continue;
    }
    _cleanup_free_ char *copy = xstrdup(list);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
      if (strcmp(t, ctrl) == 0)
        return xstrdup(path);
  }
  return xstrdup("/");
}

int cg_count_missing(const struct cg_hier *h)
{
  _cleanup_free_ char *p = xstrdup(h->dir);
  size_t mlen = strlen(h->mount);
  int missing = 0;
  while (strlen(p) > mlen && access(p, F_OK) < 0 && errno == ENOENT) {
    missing++;
    char *slash = strrchr(p, '/');
    if (slash == NULL)
      break;
    *slash = '\0';
  }
  return missing;
}

/* mkdir every missing component of h->dir below h->mount; remember how many. */
static int mkdir_hier_once(struct cg_hier *h, bool skip_denied, uoci_error **err);

int cg_mkdir_hier(struct cg_hier *h, bool skip_denied, uoci_error **err)
{
  /* Another container's delete may rmdir a shared parent (/ulysses-oci)
   * between our mkdirs: start over a few times on ENOENT. */
  for (int attempt = 0;; attempt++) {
    uoci_error *e = NULL;
    int r = mkdir_hier_once(h, skip_denied, &e);
    if (r < 0 && e && e->errnum == ENOENT && attempt < 5) {
      uoci_error_free(e);
      continue;
    }
    if (e) {
      if (err && *err == NULL)
        *err = e;
      else
        uoci_error_free(e);
    }
    return r;
  }
}

static int mkdir_hier_once(struct cg_hier *h, bool skip_denied, uoci_error **err)
{
  /* The parents (/ulysses-oci) usually exist: the leaf alone first saves a
   * mkdir per level and hierarchy; the walk below handles everything else. */
  if (strlen(h->dir) > strlen(h->mount) && mkdir(h->dir, 0755) == 0) {
    h->created = 1;
    return 0;
  }
  _cleanup_free_ char *p = xstrdup(h->dir);
  size_t mlen = strlen(h->mount);
  int made = 0;
  for (char *s = p + mlen + 1; ; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char saved = *s;
    *s = '\0';
    if (mkdir(p, 0755) == 0)
      made++;
    else if (errno == EEXIST) {
      if (made > 0) { /* someone else raced us in below our dir: not ours */
        made = 0;
      }
    } else {
      int e = errno;
      h->created = made;
      if (skip_denied && (e == EPERM || e == EACCES || e == EROFS))
        return 1;
      return uoci_fail(err, e, "cgroup: mkdir %s", p);
    }
    *s = saved;
    if (saved == '\0')
      break;
  }
  h->created = made;
  return 0;
}

/* ---- undo ------------------------------------------------------------ */

/* Files with one line per key, and what a key's line is reset with. The
 * v1 blkio files take "MAJ:MIN 0" to drop a device's limit or weight. */
static const struct { const char *file, *reset; } keyed_files[] = {
  { "io.max", " rbps=max wbps=max riops=max wiops=max" },
  { "io.weight", " default" },
  { "io.bfq.weight", " default" },
  { "rdma.max", " hca_handle=max hca_object=max" },
  { "blkio.throttle.read_bps_device", " 0" },
  { "blkio.throttle.write_bps_device", " 0" },
  { "blkio.throttle.read_iops_device", " 0" },
  { "blkio.throttle.write_iops_device", " 0" },
  { "blkio.weight_device", " 0" },
  { "blkio.bfq.weight_device", " 0" },
};

static const char *keyed_reset(const char *file)
{
  for (size_t i = 0; i < ARRAY_SIZE(keyed_files); i++)
    if (strcmp(file, keyed_files[i].file) == 0)
      return keyed_files[i].reset;
  return NULL;
}

char *cg_undo_key(const char *file, const char *value)
{
  if (keyed_reset(file) == NULL)
    return NULL;
  value += strspn(value, " \t\n");
  size_t n = strcspn(value, " \t\n");
  /* a value of one word sets the default ("100", "default 100"), no key */
  if (n == 0 || value[n] == '\0' || (n == 7 && strncmp(value, "default", 7) == 0))
    return NULL;
  return strndup(value, n);
}

char **cg_undo_writes(const char *file, const char *old, char *const *keys, size_t nkeys)
{
  char **out = NULL;
  size_t n = 0;
  const char *reset = keyed_reset(file);
  const char *oom = strcmp(file, "memory.oom_control") == 0 ? strstr(old, "oom_kill_disable ") : NULL;
  if (oom) /* v1 reads back a keyed report, but takes the one flag */
    old = oom + strlen("oom_kill_disable ");
  if (reset == NULL) {
    size_t len = oom ? strcspn(old, "\n") : strlen(old);
    while (len && old[len - 1] == '\n')
      len--;
    /* an empty value is written as a newline (cpuset.cpus on v2: "use the parent's") */
    strv_push(&out, &n, len ? strndup(old, len) : xstrdup("\n"));
    return out;
  }
  for (const char *l = old; *l;) {
    size_t len = strcspn(l, "\n");
    if (len)
      strv_push(&out, &n, strndup(l, len));
    l += len + (l[len] == '\n');
  }
  for (size_t k = 0; k < nkeys; k++) {
    size_t klen = strlen(keys[k]);
    bool had = false;
    for (size_t i = 0; i < n && !had; i++)
      had = strncmp(out[i], keys[k], klen) == 0 && out[i][klen] == ' ';
    if (!had)
      strv_push(&out, &n, xasprintf("%s%s", keys[k], reset));
  }
  if (out == NULL)
    strv_push(&out, &n, NULL); /* nothing to write back: an empty list */
  return out;
}

struct undo_entry {
  char *path;   /* the file */
  char *name;   /* its name in the cgroup directory */
  char *old;    /* what it held; NULL: unreadable (write-only), not restored */
  char **keys;  /* keyed files: the keys written */
  size_t nkeys;
};

static struct {
  bool on;
  struct undo_entry *e;
  size_t n;
} undo;

void cg_undo_begin(void)
{
  cg_undo_end();
  undo.on = true;
}

void cg_undo_end(void)
{
  for (size_t i = 0; i < undo.n; i++) {
    free(undo.e[i].path);
    free(undo.e[i].name);
    free(undo.e[i].old);
    for (size_t k = 0; k < undo.e[i].nkeys; k++)
      free(undo.e[i].keys[k]);
    free(undo.e[i].keys);
  }
  free(undo.e);
  undo.e = NULL;
  undo.n = 0;
  undo.on = false;
}

/* Before a write: the file's content, the first time. After a write that
 * succeeded (ok): the key it changed, whose line is then restored or reset
 * (a key the kernel refused, a device that does not exist, changed nothing
 * and could not be reset either). */
static void undo_record(const char *path, const char *file, const char *value, bool ok)
{
  struct undo_entry *e = NULL;
  for (size_t i = 0; i < undo.n && e == NULL; i++)
    if (strcmp(undo.e[i].path, path) == 0)
      e = &undo.e[i];
  if (e == NULL && ok)
    return; /* recorded before the write: cannot happen */
  if (e == NULL) {
    undo.e = xrealloc(undo.e, (undo.n + 1) * sizeof *undo.e);
    e = &undo.e[undo.n++];
    *e = (struct undo_entry) { .path = xstrdup(path), .name = xstrdup(file) };
    uoci_error *ignored = NULL;
    if (read_file_at(AT_FDCWD, path, &e->old, NULL, &ignored) < 0)
      e->old = NULL;
    uoci_error_free(ignored);
  }
  char *key = ok ? cg_undo_key(file, value) : NULL;
  if (key == NULL)
    return;
  for (size_t k = 0; k < e->nkeys; k++)
    if (strcmp(e->keys[k], key) == 0) {
      free(key);
      return;
    }
  e->keys = xrealloc(e->keys, (e->nkeys + 1) * sizeof *e->keys);
  e->keys[e->nkeys++] = key;
}

static int write_path(const char *p, const char *value)
{
  _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t n = strlen(value);
  ssize_t w = write(fd, value, n);
  return w < 0 || (size_t) w != n ? -1 : 0;
}

size_t cg_undo_rollback(char **first_failed)
{
  size_t failed = 0;
  if (first_failed)
    *first_failed = NULL;
  undo.on = false;
  for (size_t i = undo.n; i-- > 0;) {
    struct undo_entry *e = &undo.e[i];
    if (e->old == NULL)
      continue;
    char **writes = cg_undo_writes(e->name, e->old, e->keys, e->nkeys);
    bool ok = true;
    for (char **w = writes; *w; w++) {
      ok = write_path(e->path, *w) == 0 && ok;
      free(*w);
    }
    free(writes);
    if (!ok && failed++ == 0 && first_failed)
      *first_failed = xstrdup(e->path);
  }
  cg_undo_end();
  return failed;
}

/* ---- file helpers ------------------------------------------------------ */

int cg_write(const struct cg_hier *h, const char *file, const char *value, uoci_error **err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, file);
  if (undo.on)
    undo_record(p, file, value, false);
  _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "cgroup: open %s", p);
  size_t n = strlen(value);
  ssize_t w = write(fd, value, n);
  if (w < 0 || (size_t) w != n)
    return uoci_fail(err, w < 0 ? errno : EIO, "cgroup: write \"%s\" to %s", value, p);
  if (undo.on)
    undo_record(p, file, value, true);
  return 0;
}

int cg_writef(const struct cg_hier *h, const char *file, uoci_error **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *v = NULL;
  if (vasprintf(&v, fmt, ap) < 0)
    v = NULL;
  va_end(ap);
  if (v == NULL)
    return uoci_fail(err, ENOMEM, "cgroup: write %s", file);
  return cg_write(h, file, v, err);
}

char *cg_read(const struct cg_hier *h, const char *file)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, file);
  char *out = NULL;
  uoci_error *e = NULL;
  if (read_file_at(AT_FDCWD, p, &out, NULL, &e) < 0) {
    int saved = e ? e->errnum : EIO;
    uoci_error_free(e);
    errno = saved;
    return NULL;
  }
  return out;
}

int cg_read_small(const char *dir, const char *file, char *buf, size_t cap)
{
  char path[PATH_MAX];
  if (cap == 0 || (size_t) snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
    return -1;
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  /* One read: the kernel hands a seq_file this short over whole (asking
   * again only to get 0 back costs a syscall per container in `list`). */
  ssize_t n;
  do
    n = read(fd, buf, cap - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

bool cg_has_file(const struct cg_hier *h, const char *file)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, file);
  return access(p, F_OK) == 0;
}

int cg_read_u64(const struct cg_hier *h, const char *file, uint64_t *out)
{
  _cleanup_free_ char *s = cg_read(h, file);
  if (s == NULL)
    return -1;
  if (strncmp(s, "max", 3) == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return -1;
  *out = v;
  return 0;
}

uint64_t cg_u64_or0(const struct cg_hier *h, const char *file)
{
  uint64_t v = 0;
  if (h)
    cg_read_u64(h, file, &v);
  return v;
}

int cg_keyed_u64(const char *text, const char *key, uint64_t *out)
{
  size_t kl = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
      *out = strtoull(l + kl + 1, NULL, 10);
      return 0;
    }
  }
  return -1;
}

/* ---- what more than one backend writes ----------------------------------- */

int cg_check_before_update(const struct cg_hier *h, const ocispec_memory *m, bool update, const char *usage_file,
                           const char *peak_file, uoci_error **err)
{
  uint64_t usage = 0, peak = 0;
  if (!update || !m->has_check_before_update || !m->check_before_update || !m->has_limit || m->limit <= 0 ||
      cg_read_u64(h, usage_file, &usage) < 0)
    return 0;
  cg_read_u64(h, peak_file, &peak);
  if ((uint64_t) m->limit < usage)
    return uoci_fail(err, 0, "cgroup: unable to set memory limit to %" PRId64 " (current usage: %" PRIu64
                     ", peak usage: %" PRIu64 ")", m->limit, usage, peak);
  return 0;
}

static int write_list_checked(const struct cg_hier *h, const char *file, const char *eff_file,
                              const char *value, uoci_error **err)
{
  /* Check against what the parent offers, to say "out of range" clearly
   * instead of the kernel's EINVAL. */
  _cleanup_free_ char *pdir = xstrdup(h->dir);
  char *slash = strrchr(pdir, '/');
  if (slash)
    *slash = '\0';
  struct cg_hier parent = { .dir = pdir };
  _cleanup_free_ char *avail = cg_read(&parent, eff_file);
  const char *why = NULL;
  if (avail && cg_validate_list(value, cg_list_max(avail), &why) < 0) {
    avail[strcspn(avail, "\n")] = '\0';
    return uoci_fail(err, 0, "cgroup: %s \"%s\": %s (available: %s)", file, value, why, avail);
  }
  return cg_write(h, file, value, err);
}

int cg_set_cpuset(const struct cg_hier *h, const char *cpus, const char *mems, bool v2, uoci_error **err)
{
  if (cpus && *cpus &&
      write_list_checked(h, "cpuset.cpus", v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus", cpus, err) < 0)
    return -1;
  if (mems && *mems &&
      write_list_checked(h, "cpuset.mems", v2 ? "cpuset.mems.effective" : "cpuset.effective_mems", mems, err) < 0)
    return -1;
  return 0;
}

int cg_set_hugetlb_limits(const struct cg_hier *h, const ocispec_resources *r, const char *suffix, uoci_error **err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    _cleanup_free_ char *file = xasprintf("hugetlb.%s.%s", r->hugepage_limits[i].page_size, suffix);
    if (!cg_has_file(h, file))
      return uoci_fail(err, 0, "cgroup: hugepage size %s is not supported on this host", r->hugepage_limits[i].page_size);
    if (cg_writef(h, file, err, "%" PRIu64, r->hugepage_limits[i].limit) < 0)
      return -1;
    /* The same limit on reservations (kernel 5.7+), as runc 1.3 does: without
     * it, pages mmap reserves count against no limit
     * until touched, and a fault past the limit is a SIGBUS rather than a
     * failed mmap. */
    _cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.%s", r->hugepage_limits[i].page_size, suffix);
    if (cg_has_file(h, rsvd) && cg_writef(h, rsvd, err, "%" PRIu64, r->hugepage_limits[i].limit) < 0)
      return -1;
  }
  return 0;
}

/* ---- what more than one backend reports ---------------------------------- */

void cg_print_raw(FILE *out, const char *text)
{
  fputc('{', out);
  bool first = true;
  for (const char *l = text; l && *l;) {
    const char *sp = strchr(l, ' ');
    const char *nl = strchr(l, '\n');
    if (sp && (!nl || sp < nl)) {
      fprintf(out, "%s\"%.*s\":%llu", first ? "" : ",", (int) (sp - l), l, strtoull(sp + 1, NULL, 10));
      first = false;
    }
    l = nl ? nl + 1 : NULL;
  }
  fputc('}', out);
}

void cg_hugetlb_stats(FILE *out, const struct cg_hier *h, bool v2)
{
  fputs("\"hugetlb\":{", out);
  bool first = true;
  if (h) {
    /* The page sizes Linux knows, named as the cgroup files name them. */
    static const struct { const char *dir, *name; } sz[] = {
      { "hugepages-64kB", "64KB" }, { "hugepages-2048kB", "2MB" }, { "hugepages-32768kB", "32MB" },
      { "hugepages-1048576kB", "1GB" }, { "hugepages-524288kB", "512MB" }, { "hugepages-16384kB", "16MB" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(sz); i++) {
      char f[96];
      snprintf(f, sizeof f, "hugetlb.%s.%s", sz[i].name, v2 ? "current" : "usage_in_bytes");
      if (!cg_has_file(h, f))
        continue;
      uint64_t usage = cg_u64_or0(h, f), max = 0, failcnt = 0;
      if (v2) {
        snprintf(f, sizeof f, "hugetlb.%s.events", sz[i].name);
        _cleanup_free_ char *ev = cg_read(h, f);
        if (ev)
          cg_keyed_u64(ev, "max", &failcnt);
      } else {
        snprintf(f, sizeof f, "hugetlb.%s.max_usage_in_bytes", sz[i].name);
        max = cg_u64_or0(h, f);
        snprintf(f, sizeof f, "hugetlb.%s.failcnt", sz[i].name);
        failcnt = cg_u64_or0(h, f);
      }
      fprintf(out, "%s\"%s\":{\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64 "}", first ? "" : ",",
              sz[i].name, usage, max, failcnt);
      first = false;
    }
  }
  fputc('}', out);
}

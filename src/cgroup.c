/* cgroup.c - the one cgroup interface (cgroup.h) and what every backend
 * shares: mode detection, linux.cgroupsPath resolution, validation, the
 * state string, joining, destroy, pids, kill, stats dispatch.
 *
 * Default placement when linux.cgroupsPath is absent: "/ulysses-oci/<id>"
 * in every hierarchy (absolute, like runc's absolute paths), so that all our
 * containers are found under one directory and never mix with the cgroup the
 * runtime itself was started in. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup_internal.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

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

/* ---- mode -------------------------------------------------------------- */

enum cgroup_mode cgroup_mode(void)
{
  static int cached = -1;
  if (cached >= 0)
    return (enum cgroup_mode) cached;
  struct statfs sfs;
  enum cgroup_mode m = CGROUP_MODE_V1;
  if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    m = CGROUP_MODE_V2;
  else if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    m = CGROUP_MODE_HYBRID;
  cached = (int) m;
  return m;
}

/* ---- pure helpers ------------------------------------------------------ */

char *cg_clean_path(const char *p)
{
  size_t n = strlen(p);
  char *out = xmalloc(n + 2);
  size_t len = 0;
  const char *s = p;
  while (*s) {
    while (*s == '/')
      s++;
    const char *e = s;
    while (*e && *e != '/')
      e++;
    size_t seg = (size_t) (e - s);
    if (seg == 0 || (seg == 1 && s[0] == '.')) {
      /* skip */
    } else if (seg == 2 && s[0] == '.' && s[1] == '.') {
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 0)
        len--; /* drop the slash too */
    } else {
      out[len++] = '/';
      memcpy(out + len, s, seg);
      len += seg;
    }
    s = e;
  }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

char *cg_resolve_path(const char *cgroups_path, const char *id, const char *own)
{
  if (cgroups_path == NULL || *cgroups_path == '\0') {
    _cleanup_free_ char *p = xasprintf("/ulysses-oci/%s", id);
    return cg_clean_path(p);
  }
  if (cgroups_path[0] == '/')
    return cg_clean_path(cgroups_path);
  /* Relative: inside the runtime's own cgroup, never above it. */
  _cleanup_free_ char *inner = cg_clean_path(cgroups_path);
  _cleanup_free_ char *p = xasprintf("%s/%s", own ? own : "/", inner);
  return cg_clean_path(p);
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
  const char *access = d->access && *d->access ? d->access : "rwm";
  return xasprintf("%s %s:%s %s", type, maj, min, access);
}

char *cg_blkio_line(int64_t major, int64_t minor, uint64_t value)
{
  return xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, major, minor, value);
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" */
static int expand_slice(const char *slice, char **out, const char **why)
{
  size_t n = strlen(slice);
  if (n < 6 || strcmp(slice + n - 6, ".slice") != 0 || strchr(slice, '/')) {
    *why = "invalid slice name";
    return -1;
  }
  if (strcmp(slice, "-.slice") == 0) {
    *out = xstrdup("");
    return 0;
  }
  size_t base = n - 6;
  char *path = xcalloc(1, (base + 7) * (base + 2));
  size_t plen = 0;
  for (size_t i = 0; i <= base; i++) {
    if (i == base || slice[i] == '-') {
      if (i == 0 || slice[i - 1] == '-' || (i < base && i + 1 == base)) {
        free(path);
        *why = "invalid slice name";
        return -1;
      }
      plen += (size_t) sprintf(path + plen, "/%.*s.slice", (int) i, slice);
    }
  }
  *out = path;
  return 0;
}

int cg_systemd_parse(const char *spec, const char *id, char **slicep, char **unitp, char **pathp,
                     const char **why)
{
  const char *c1 = spec ? strchr(spec, ':') : NULL;
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (spec && *spec && (!c1 || !c2 || strchr(c2 + 1, ':'))) {
    *why = "expected \"slice:prefix:name\"";
    return -1;
  }
  _cleanup_free_ char *slice = c1 && c1 > spec ? strndup(spec, (size_t) (c1 - spec)) : xstrdup("system.slice");
  _cleanup_free_ char *prefix = c2 && c2 > c1 + 1 ? strndup(c1 + 1, (size_t) (c2 - c1 - 1)) : xstrdup("ulysses-oci");
  const char *name = c2 && c2[1] ? c2 + 1 : id;
  _cleanup_free_ char *unit = NULL;
  size_t nl = strlen(name);
  if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0) {
    *why = "a slice as the container's unit is not supported";
    return -1;
  }
  if (nl > 6 && strcmp(name + nl - 6, ".scope") == 0)
    unit = xstrdup(name);
  else
    unit = xasprintf("%s-%s.scope", prefix, name);
  if (strchr(unit, '/')) {
    *why = "unit name must not contain '/'";
    return -1;
  }
  _cleanup_free_ char *sp = NULL;
  if (expand_slice(slice, &sp, why) < 0)
    return -1;
  *pathp = xasprintf("%s/%s", sp, unit);
  *slicep = steal_ptr(slice);
  *unitp = steal_ptr(unit);
  return 0;
}

static int fail_negative(uoci_error **err, const char *what, int64_t v)
{
  return uoci_fail(err, 0, "linux.resources.%s: invalid value %" PRId64 " (must be -1, 0 or positive)", what, v);
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
    if (d->access && strspn(d->access, "rwm") != strlen(d->access))
      return uoci_fail(err, 0, "linux.resources.devices[%zu].access: invalid \"%s\" (r, w, m)", i, d->access);
  }
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const char *ps = r->hugepage_limits[i].page_size;
    if (ps == NULL || *ps == '\0' || strchr(ps, '/') || strchr(ps, '.'))
      return uoci_fail(err, 0, "linux.resources.hugepageLimits[%zu].pageSize: invalid \"%s\"", i, ps ? ps : "");
  }
  if (r->unified.len > 0 && mode != CGROUP_MODE_V2)
    return uoci_fail(err, 0, "linux.resources.unified (\"%s\") requires cgroup v2, this host uses cgroup v1%s",
                     r->unified.keys[0], mode == CGROUP_MODE_HYBRID ? " (hybrid)" : "");
  for (size_t i = 0; i < r->unified.len; i++) {
    const char *k = r->unified.keys[i];
    const char *dot = strchr(k, '.');
    if (strchr(k, '/') || dot == NULL || dot == k || strncmp(k, "cgroup.", 7) == 0)
      return uoci_fail(err, 0, "linux.resources.unified: invalid key \"%s\"", k);
  }
  return 0;
}

/* ---- file helpers ------------------------------------------------------ */

int cg_write(const struct cg_hier *h, const char *file, const char *value, uoci_error **err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, file);
  _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "cgroup: open %s", p);
  size_t n = strlen(value);
  ssize_t w = write(fd, value, n);
  if (w < 0 || (size_t) w != n)
    return uoci_fail(err, w < 0 ? errno : EIO, "cgroup: write \"%s\" to %s", value, p);
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

/* The hierarchy that lists the container's processes best: the unified tree
 * on v2, else pids, freezer, or any v1 controller. */
static const struct cg_hier *procs_hier(const uoci_cgroup *cg)
{
  if (cg->mode == CGROUP_MODE_V2)
    return cg_unified(cg);
  const struct cg_hier *h = cg_hier_for(cg, CG_PIDS);
  if (!h)
    h = cg_hier_for(cg, CG_FREEZER);
  if (!h)
    h = cg_hier_for(cg, CG_MEMORY);
  for (size_t i = 0; !h && i < cg->nhier; i++)
    if (!cg->hier[i].unified)
      h = &cg->hier[i];
  return h ? h : cg_unified(cg);
}

int cg_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
  _cleanup_free_ char *p = xasprintf("%s/cgroup.procs", dir);
  _cleanup_fclose_ FILE *f = fopen(p, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : -1;
  long v;
  while (fscanf(f, "%ld", &v) == 1) {
    if (*n == *cap) {
      *cap = *cap ? *cap * 2 : 16;
      *pids = xrealloc(*pids, *cap * sizeof **pids);
    }
    (*pids)[(*n)++] = (pid_t) v;
  }
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
    cg_collect_pids(sub, pids, n, cap);
  }
  closedir(d);
  return 0;
}

/* ---- create ------------------------------------------------------------ */

static void hier_init(struct cg_hier *h)
{
  memset(h, 0, sizeof *h);
  h->join_fd = -1;
  h->dir_fd = -1;
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
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = '\0';
    const char *list = c1 + 1;
    if (ctrl == NULL) {
      if (*list == '\0')
        return xstrdup(c2 + 1);
      continue;
    }
    _cleanup_free_ char *copy = xstrdup(list);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
      if (strcmp(t, ctrl) == 0)
        return xstrdup(c2 + 1);
  }
  return xstrdup("/");
}

/* mkdir every missing component of h->dir below h->mount; remember how many. */
static int mkdir_hier_once(struct cg_hier *h, bool rootless, uoci_error **err);

int cg_mkdir_hier(struct cg_hier *h, bool rootless, uoci_error **err)
{
  /* Another container's delete may rmdir a shared parent (/ulysses-oci)
   * between our mkdirs: start over a few times on ENOENT. */
  for (int attempt = 0;; attempt++) {
    uoci_error *e = NULL;
    int r = mkdir_hier_once(h, rootless, &e);
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

static int mkdir_hier_once(struct cg_hier *h, bool rootless, uoci_error **err)
{
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
      if (rootless && (e == EPERM || e == EACCES || e == EROFS))
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

static int remove_hier(const struct cg_hier *h, bool wait_busy, uoci_error **err);

void cgroup_close_fds(uoci_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->nhier; i++) {
    uoci_closep(&cg->hier[i].join_fd);
    uoci_closep(&cg->hier[i].dir_fd);
  }
}

void cgroup_free(uoci_cgroup *cg)
{
  if (cg == NULL)
    return;
  cgroup_close_fds(cg);
  for (size_t i = 0; i < cg->nhier; i++) {
    free(cg->hier[i].mount);
    free(cg->hier[i].rel);
    free(cg->hier[i].dir);
  }
  free(cg->unit);
  free(cg->slice);
  free(cg->path);
  free(cg);
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

/* Open what the child needs to join without allocating. */
static int open_join_fds(uoci_cgroup *cg, uoci_error **err)
{
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    if (h->unified) {
      h->dir_fd = open(h->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (h->dir_fd < 0)
        return uoci_fail(err, errno, "cgroup: open %s", h->dir);
    }
    _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, h->unified ? "cgroup.procs" : "tasks");
    h->join_fd = open(p, O_WRONLY | O_CLOEXEC);
    if (h->join_fd < 0)
      return uoci_fail(err, errno, "cgroup: open %s", p);
  }
  return 0;
}

static int apply_resources(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err)
{
  if (r == NULL)
    return 0;
  if (cg->mode == CGROUP_MODE_V2)
    return cg_v2_apply(cg, r, update, err);
  return cg_v1_apply(cg, r, update, err);
}

/* Forget hierarchy i (nothing of it was created). */
static void drop_hier(uoci_cgroup *cg, size_t i)
{
  struct cg_hier *h = &cg->hier[i];
  free(h->mount);
  free(h->rel);
  free(h->dir);
  memmove(h, h + 1, (cg->nhier - i - 1) * sizeof *h);
  cg->nhier--;
}

static int create_fs(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err)
{
  if (cg->mode == CGROUP_MODE_V2) {
    _cleanup_free_ char *own = cg_own_path(NULL);
    /* As runc: a relative path goes under the parent of our own cgroup,
     * which (unlike ours) may have controllers enabled for children. */
    _cleanup_free_ char *own_parent = NULL;
    if (opts->cgroups_path && opts->cgroups_path[0] && opts->cgroups_path[0] != '/') {
      _cleanup_free_ char *tmp = xasprintf("%s/..", own);
      own_parent = cg_clean_path(tmp);
    }
    _cleanup_free_ char *rel = cg_resolve_path(opts->cgroups_path, opts->id, own_parent ? own_parent : own);
    if (strcmp(rel, "/") == 0)
      return uoci_fail(err, 0, "cgroup: refusing to use the root cgroup as the container's cgroup");
    cg->path = xstrdup(rel);
    struct cg_hier *h = cg_add_hier(cg, "/sys/fs/cgroup", rel, 0, true);
    int r = cg_mkdir_hier(h, opts->rootless, err);
    if (r > 0) /* rootless without a delegated cgroup: run without one */
      drop_hier(cg, 0);
    if (r != 0)
      return r < 0 ? -1 : 0;
    return cg_v2_setup_dir(cg, h, opts->resources, err);
  }
  if (cg_v1_discover(cg, opts->cgroups_path, opts->id, err) < 0)
    return -1;
  for (size_t i = 0; i < cg->nhier;) {
    struct cg_hier *h = &cg->hier[i];
    int r = cg_mkdir_hier(h, opts->rootless, err);
    if (r < 0)
      return -1;
    if (r > 0) { /* rootless without permission: forget this hierarchy */
      drop_hier(cg, i);
      continue;
    }
    if (!h->unified && cg_v1_setup_dir(cg, h, err) < 0)
      return -1;
    i++;
  }
  return 0;
}

int cgroup_create(const struct cgroup_create_opts *opts, uoci_cgroup **out, uoci_error **err)
{
  _cleanup_cgroup_ uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  cg->mode = cgroup_mode();
  cg->self_join = opts->self_join;
  cg->rootless = opts->rootless;
  cg->systemd = opts->systemd;
  if (cg_validate_resources(opts->resources, cg->mode, err) < 0)
    return -1;
  if (opts->systemd) {
    if (cg_systemd_prepare(cg, opts, err) < 0)
      return -1;
    *out = steal_ptr(cg);
    return 0;
  }
  if (create_fs(cg, opts, err) < 0 || apply_resources(cg, opts->resources, false, err) < 0 ||
      open_join_fds(cg, err) < 0) {
    cgroup_close_fds(cg);
    for (size_t i = 0; i < cg->nhier; i++)
      remove_hier(&cg->hier[i], true, NULL);
    return -1;
  }
  *out = steal_ptr(cg);
  return 0;
}

int cgroup_clone_into_fd(const uoci_cgroup *cg)
{
  const struct cg_hier *h = cg && cg->mode == CGROUP_MODE_V2 ? cg_unified(cg) : NULL;
  return h ? h->dir_fd : -1;
}

/* Async-signal-safe: is the caller already in the unified cgroup `rel`?
 * (clone3 with CLONE_INTO_CGROUP put it there.) */
static bool already_in_unified(const char *rel)
{
  char buf[4096];
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read_all(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  for (char *l = buf; l && *l;) {
    char *nl = strchr(l, '\n');
    if (nl)
      *nl = '\0';
    if (strncmp(l, "0::", 3) == 0)
      return strcmp(l + 3, rel) == 0;
    l = nl ? nl + 1 : NULL;
  }
  return false;
}

/* exec: a cgroup restored by cgroup_from_string has no fds open. The new
 * process joins the directories themselves, also for a systemd scope (as
 * runc exec does: the scope only exists to own them). */
int cgroup_prepare_join(uoci_cgroup *cg, uoci_error **err)
{
  cg->systemd = false;
  cg->self_join = true;
  return open_join_fds(cg, err);
}

int cgroup_join_self(const uoci_cgroup *cg)
{
  if (cg == NULL || cg->systemd)
    return 0;
  for (size_t i = 0; i < cg->nhier; i++) {
    const struct cg_hier *h = &cg->hier[i];
    if (h->join_fd < 0)
      continue;
    /* A write to the v2 cgroup.procs waits for an RCU grace period; skip it
     * when clone3 already placed us. */
    if (h->unified && already_in_unified(h->rel))
      continue;
    if (write(h->join_fd, "0", 1) != 1)
      return -errno;
  }
  return 0;
}

int cgroup_attach_pid(uoci_cgroup *cg, pid_t pid, uoci_error **err)
{
  if (cg == NULL)
    return 0;
  if (cg->systemd)
    return cg_systemd_start(cg, pid, err);
  if (cg->self_join)
    return 0;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    /* v1: the init is still single-threaded (it waits for us), so moving its
     * one thread through `tasks` is the same as cgroup.procs without the
     * ~10 ms threadgroup lock. */
    _cleanup_free_ char *p = xasprintf("%s/%s", h->dir, h->unified ? "cgroup.procs" : "tasks");
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, (size_t) n) != n) {
      if (cg->rootless && (errno == EPERM || errno == EACCES))
        continue;
      return uoci_fail(err, errno, "cgroup: add pid %d to %s", (int) pid, p);
    }
  }
  return 0;
}

const char *cgroup_path(const uoci_cgroup *cg)
{
  return cg && cg->path ? cg->path : "";
}

/* ---- state string ------------------------------------------------------ */
/* "MODE [systemd=UNIT slice=SLICE] path=P MOUNT|CTRLS|CREATED|REL ..." with
 * spaces, '%' and '|' percent-escaped. */

static void put_escaped(FILE *f, const char *s)
{
  for (; *s; s++) {
    if (*s == ' ' || *s == '%' || *s == '|' || *s == '\n' || *s == '\t')
      fprintf(f, "%%%02X", (unsigned char) *s);
    else
      fputc(*s, f);
  }
}

static char *unescape(const char *s, size_t n)
{
  char *out = xmalloc(n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n) {
      char hex[3] = { s[i + 1], s[i + 2], 0 };
      out[o++] = (char) strtol(hex, NULL, 16);
      i += 2;
    } else
      out[o++] = s[i];
  }
  out[o] = '\0';
  return out;
}

static const char *mode_name(enum cgroup_mode m)
{
  return m == CGROUP_MODE_V2 ? "v2" : m == CGROUP_MODE_HYBRID ? "hybrid" : "v1";
}

char *cgroup_to_string(const uoci_cgroup *cg)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  fputs(mode_name(cg->mode), f);
  if (cg->systemd) {
    fputs(" systemd=", f);
    put_escaped(f, cg->unit ? cg->unit : "");
    fputs(" slice=", f);
    put_escaped(f, cg->slice ? cg->slice : "");
  }
  fputs(" path=", f);
  put_escaped(f, cg->path ? cg->path : "/");
  for (size_t i = 0; i < cg->nhier; i++) {
    const struct cg_hier *h = &cg->hier[i];
    fputc(' ', f);
    put_escaped(f, h->mount);
    fprintf(f, "|%x|%d|%d|", h->ctrls, h->unified ? 1 : 0, h->created);
    put_escaped(f, h->rel);
  }
  fclose(f);
  return buf;
}

int cgroup_from_string(const char *s, uoci_cgroup **out, uoci_error **err)
{
  _cleanup_cgroup_ uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  _cleanup_free_ char *copy = xstrdup(s);
  copy[strcspn(copy, "\n")] = '\0';
  char *save = NULL;
  char *tok = strtok_r(copy, " ", &save);
  if (tok == NULL)
    return uoci_fail(err, 0, "cgroup: empty saved state");
  if (strcmp(tok, "v1") == 0)
    cg->mode = CGROUP_MODE_V1;
  else if (strcmp(tok, "hybrid") == 0)
    cg->mode = CGROUP_MODE_HYBRID;
  else if (strcmp(tok, "v2") == 0)
    cg->mode = CGROUP_MODE_V2;
  else
    return uoci_fail(err, 0, "cgroup: invalid saved state \"%s\"", s);
  cg->self_join = true;
  while ((tok = strtok_r(NULL, " ", &save))) {
    if (strncmp(tok, "systemd=", 8) == 0) {
      cg->systemd = true;
      cg->unit = unescape(tok + 8, strlen(tok + 8));
    } else if (strncmp(tok, "slice=", 6) == 0) {
      cg->slice = unescape(tok + 6, strlen(tok + 6));
    } else if (strncmp(tok, "path=", 5) == 0) {
      free(cg->path);
      cg->path = unescape(tok + 5, strlen(tok + 5));
    } else {
      char *f[5];
      int nf = 0;
      char *p = tok;
      f[nf++] = p;
      while (nf < 5 && (p = strchr(p, '|'))) {
        *p++ = '\0';
        f[nf++] = p;
      }
      if (nf != 5)
        return uoci_fail(err, 0, "cgroup: invalid saved state entry \"%s\"", tok);
      _cleanup_free_ char *mount = unescape(f[0], strlen(f[0]));
      _cleanup_free_ char *rel = unescape(f[4], strlen(f[4]));
      if (mount[0] != '/' || rel[0] != '/')
        return uoci_fail(err, 0, "cgroup: invalid saved state entry \"%s\"", f[0]);
      struct cg_hier *h = cg_add_hier(cg, mount, rel, (unsigned) strtoul(f[1], NULL, 16), atoi(f[2]) != 0);
      if (h == NULL)
        return uoci_fail(err, 0, "cgroup: too many hierarchies in saved state");
      h->created = atoi(f[3]);
    }
  }
  *out = steal_ptr(cg);
  return 0;
}

/* ---- destroy ----------------------------------------------------------- */

static void sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static bool dir_empty_of_procs(const char *dir)
{
  pid_t *pids = NULL;
  size_t n = 0, cap = 0;
  cg_collect_pids(dir, &pids, &n, &cap);
  free(pids);
  return n == 0;
}

/* rmdir rel's trailing `created` components, leaf first. A busy leaf is
 * waited for, or with !wait_busy reported as 1 (nothing removed). */
static int remove_hier(const struct cg_hier *h, bool wait_busy, uoci_error **err)
{
  _cleanup_free_ char *p = xstrdup(h->dir);
  for (int i = 0; i < h->created; i++) {
    int tries = 0;
    while (rmdir(p) < 0) {
      if (errno == ENOENT)
        break;
      if (errno == EBUSY && i > 0)
        return 0; /* a sibling we did not make lives in our parent dir */
      if (errno == EBUSY && !wait_busy)
        return 1;
      if (errno == EBUSY && ++tries < 200) {
        sleep_ms(5);
        continue;
      }
      return uoci_fail(err, errno, "cgroup: rmdir %s", p);
    }
    char *slash = strrchr(p, '/');
    if (slash == NULL || (size_t) (slash - p) <= strlen(h->mount))
      break;
    *slash = '\0';
  }
  return 0;
}

/* Signal every process, frozen first so that none forks away from us. */
static int signal_all(uoci_cgroup *cg, int sig, uoci_error **err)
{
  const struct cg_hier *ph = procs_hier(cg);
  if (ph == NULL)
    return 0;
  if (sig == SIGKILL && cg->mode == CGROUP_MODE_V2 && cg_has_file(ph, "cgroup.kill"))
    return cg_write(ph, "cgroup.kill", "1", err);
  /* A paused container stays paused unless it is being killed: frozen tasks
   * only die once thawed. */
  bool was_frozen = cgroup_is_frozen(cg) == 1;
  bool froze = (!was_frozen && cgroup_freeze(cg, true, NULL) == 0) || (was_frozen && sig == SIGKILL);
  pid_t *pids = NULL;
  size_t n = 0, cap = 0;
  cg_collect_pids(ph->dir, &pids, &n, &cap);
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH) {
      int e = errno;
      free(pids);
      if (froze)
        cgroup_freeze(cg, false, NULL);
      return uoci_fail(err, e, "kill %d", (int) pids[i]);
    }
  free(pids);
  if (froze)
    cgroup_freeze(cg, false, NULL);
  return 0;
}

int cgroup_kill_all(const uoci_cgroup *cg, int sig, uoci_error **err)
{
  return signal_all((uoci_cgroup *) cg, sig, err);
}

int cgroup_destroy(uoci_cgroup *cg, uoci_error **err)
{
  if (cg == NULL)
    return 0;
  cgroup_close_fds(cg);
  bool ours = false;
  for (size_t i = 0; i < cg->nhier; i++)
    ours |= cg->hier[i].created > 0;
  if (cg->systemd)
    return cg_systemd_stop(cg, err);
  if (!ours)
    return 0; /* pre-existing cgroup: neither kill its processes nor remove it */
  const struct cg_hier *ph = procs_hier(cg);
  int rc = 0;
  /* The usual delete: the container is gone and its cgroup empty, so the
   * rmdirs succeed at once. Only when the leaf holding the processes is busy
   * (EBUSY) are they looked for (cgroup.procs and sub-cgroups in every
   * hierarchy) and killed, below. */
  if (ph && ph->created > 0) {
    int r = remove_hier(ph, false, err);
    if (r <= 0) {
      rc = r;
      for (size_t i = 0; i < cg->nhier; i++)
        if (&cg->hier[i] != ph && remove_hier(&cg->hier[i], true, err) < 0)
          rc = -1;
      return rc;
    }
  }
  if (ph && access(ph->dir, F_OK) == 0) {
    for (int round = 0; round < 400; round++) {
      bool empty = true;
      for (size_t i = 0; i < cg->nhier && empty; i++)
        empty = dir_empty_of_procs(cg->hier[i].dir);
      if (empty)
        break;
      if (round % 50 == 0 && signal_all(cg, SIGKILL, err) < 0)
        return -1;
      sleep_ms(5);
    }
  }
  for (size_t i = 0; i < cg->nhier; i++)
    if (remove_hier(&cg->hier[i], true, err) < 0)
      rc = -1;
  return rc;
}

/* ---- update, freeze, pids, stats, oom ---------------------------------- */

int cgroup_update(uoci_cgroup *cg, const ocispec_resources *r, uoci_error **err)
{
  if (cg_validate_resources(r, cg->mode, err) < 0)
    return -1;
  return apply_resources(cg, r, true, err);
}

int cgroup_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err)
{
  if (cg->mode == CGROUP_MODE_V2)
    return cg_v2_freeze(cg, frozen, err);
  return cg_v1_freeze(cg, frozen, err);
}

int cgroup_is_frozen(const uoci_cgroup *cg)
{
  if (cg->mode == CGROUP_MODE_V2)
    return cg_v2_is_frozen(cg);
  return cg_v1_is_frozen(cg);
}

static int cmp_pid(const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

int cgroup_pids(const uoci_cgroup *cg, pid_t **pids, size_t *n, uoci_error **err)
{
  *pids = NULL;
  *n = 0;
  size_t cap = 0;
  const struct cg_hier *h = procs_hier(cg);
  if (h == NULL)
    return 0;
  if (cg_collect_pids(h->dir, pids, n, &cap) < 0)
    return uoci_fail(err, errno, "cgroup: read %s/cgroup.procs", h->dir);
  if (*n > 1) /* an empty cgroup leaves *pids NULL, which qsort must not get */
    qsort(*pids, *n, sizeof **pids, cmp_pid);
  return 0;
}

int cgroup_stats_json(const uoci_cgroup *cg, char **json, uoci_error **err)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return uoci_fail(err, errno, "cgroup stats");
  int r = cg->mode == CGROUP_MODE_V2 ? cg_v2_stats(cg, f) : cg_v1_stats(cg, f);
  fclose(f);
  if (r < 0) {
    free(buf);
    return uoci_fail(err, errno, "cgroup stats %s", cgroup_path(cg));
  }
  *json = buf;
  return 0;
}

int cgroup_oom_event_fd(const uoci_cgroup *cg, uoci_error **err)
{
  if (cg->mode == CGROUP_MODE_V2)
    return cg_v2_oom_fd(cg, err);
  return cg_v1_oom_fd(cg, err);
}

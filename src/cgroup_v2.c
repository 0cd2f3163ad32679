/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_v2.c - the unified hierarchy: enabling controllers down to our
 * cgroup, linux.resources with runc's v1->v2 conversions, cgroup.freeze,
 * stats from the v2 files, and memory.events watched with inotify. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "bpf_devices.h"
#include "cgroup_v2.h"
#include "utils.h"

static const char *v2_name(int c)
{
  return c == CG_BLKIO ? "io" : cg_ctrl_names[c];
}

static unsigned parse_controllers(const char *text)
{
  unsigned m = 0;
  if (text == NULL)
    return 0;
  _cleanup_free_ char *copy = xstrdup(text);
  char *save = NULL;
  for (char *t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
    int c = cg_ctrl_from_name(t);
    if (c >= 0)
      m |= CG_BIT(c);
  }
  return m;
}

/* Enable in `dir`'s cgroup.subtree_control what is available and not yet on. */
static void enable_controllers(const char *dir)
{
  struct cg_hier d = { .dir = (char *) dir };
  _cleanup_free_ char *avail = cg_read(&d, "cgroup.controllers");
  _cleanup_free_ char *on = cg_read(&d, "cgroup.subtree_control");
  unsigned todo = parse_controllers(avail) & ~parse_controllers(on);
  if (todo == 0)
    return;
  /* All in one write first: the kernel applies the list at once, one walk
   * of the subtree instead of one per controller (a new /ulysses-oci with
   * 8 controllers: 1.1 ms instead of 4.2-5.8 ms in the emulated guest). */
  char all[CG_NCTRL * 16] = "";
  size_t len = 0;
  for (int c = 0; c < CG_NCTRL; c++)
    if (todo & CG_BIT(c))
      len += (size_t) snprintf(all + len, sizeof all - len, "%s+%s", len ? " " : "", v2_name(c));
  if (cg_write(&d, "cgroup.subtree_control", all, NULL) == 0 || todo == (todo & -todo))
    return;
  /* The kernel refused the whole list: one at a time, so that one refusal
   * (cpu with a realtime task) does not block the others. A missing one is
   * reported at the leaf below. */
  for (int c = 0; c < CG_NCTRL; c++) {
    if (!(todo & CG_BIT(c)))
      continue;
    char buf[32];
    snprintf(buf, sizeof buf, "+%s", v2_name(c));
    cg_write(&d, "cgroup.subtree_control", buf, NULL);
  }
}

/* The controllers a threaded subtree can have (the others are "domain"
 * controllers: memory, io, hugetlb, rdma, misc). */
#define CG_V2_THREADED (CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET) | CG_BIT(CG_PIDS) | CG_BIT(CG_PERF_EVENT))

/* A leaf in a threaded subtree (cgroupsPath below a cgroup made
 * "threaded"): a new directory there is "domain invalid", where no process
 * can go. As runc: it is made threaded when the resources need only
 * threaded controllers; otherwise, and for a threaded leaf, domain
 * controllers are refused here, saying why (the kernel's EOPNOTSUPP at
 * join, or "not enabled by the parent", would not). */
static int threaded_level(const struct cg_hier *h, unsigned needed, uoci_error **err)
{
  char type[32];
  if (cg_read_small(h->dir, "cgroup.type", type, sizeof type) < 0)
    return 0; /* the root has none */
  type[strcspn(type, "\n")] = '\0';
  if (strcmp(type, "domain") == 0 || strcmp(type, "domain threaded") == 0)
    return 0; /* a domain: the root of a threaded subtree is one too */
  unsigned domain = needed & ~CG_V2_THREADED;
  for (int c = 0; c < CG_NCTRL; c++)
    if (domain & CG_BIT(c))
      return uoci_fail(err, 0, "cgroup: %s is in a threaded subtree (cgroup.type \"%s\"): the %s controller cannot be "
                       "used there (only cpu, cpuset, pids)", h->dir, type, v2_name(c));
  if (strcmp(type, "domain invalid") == 0 && cg_write(h, "cgroup.type", "threaded", err) < 0)
    return uoci_error_prefix(err, "cgroup: %s is in a threaded subtree", h->dir);
  return 0;
}

/* The leaf says whether there is anything to do (one read on the common
 * path); then every level from the top, so that directories we made
 * between a threaded cgroup and the leaf become threaded in order. */
static int threaded_subtree(const struct cg_hier *h, unsigned needed, uoci_error **err)
{
  char type[32];
  if (strlen(h->dir) <= strlen(h->mount) || cg_read_small(h->dir, "cgroup.type", type, sizeof type) < 0 ||
      strcmp(type, "domain\n") == 0)
    return 0;
  _cleanup_free_ char *p = xstrdup(h->dir);
  for (char *s = p + strlen(h->mount) + 1; ; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char c = *s;
    *s = '\0';
    struct cg_hier level = { .dir = p };
    if (threaded_level(&level, needed, err) < 0)
      return -1;
    if (c == '\0')
      return 0;
    *s = c;
  }
}

int cg_v2_setup_dir(uoci_cgroup *cg, struct cg_hier *h, const ocispec_resources *r, uoci_error **err)
{
  /* Threaded first: a "domain invalid" level takes no controller. */
  if (threaded_subtree(h, cg_needed_ctrls(r, true), err) < 0)
    return -1;
  /* Walk from the hierarchy root to the leaf's parent. */
  _cleanup_free_ char *p = xstrdup(h->dir);
  size_t mlen = strlen(h->mount);
  enable_controllers(h->mount);
  for (char *s = p + mlen + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    enable_controllers(p);
    *s = '/';
  }
  _cleanup_free_ char *avail = cg_read(h, "cgroup.controllers");
  unsigned missing = cg_needed_ctrls(r, true) & ~parse_controllers(avail);
  for (int c = 0; c < CG_NCTRL; c++)
    if (missing & CG_BIT(c))
      return uoci_fail(err, 0, "cgroup: the %s controller is not available in %s (not enabled by the parent)",
                       v2_name(c), h->dir);
  return 0;
}

/* ---- resources --------------------------------------------------------- */

static int write_max(const struct cg_hier *h, const char *file, int64_t v, uoci_error **err)
{
  if (v < 0)
    return cg_write(h, file, "max", err);
  return cg_writef(h, file, err, "%" PRId64, v);
}

static int v2_memory(const struct cg_hier *h, const ocispec_memory *m, bool update, uoci_error **err)
{
  int64_t limit = m->has_limit ? m->limit : 0;
  if (cg_check_before_update(h, m, update, "memory.current", "memory.peak", err) < 0)
    return -1;
  if (m->has_swap || limit == -1) {
    const char *why = NULL;
    int64_t swap = cg_swap_to_v2(m->has_swap ? m->swap : 0, limit, &why);
    if (swap == -2)
      return uoci_fail(err, 0, "cgroup: memory.swap: %s", why);
    if (swap != -3) {
      if (cg_has_file(h, "memory.swap.max")) {
        if (write_max(h, "memory.swap.max", swap, err) < 0)
          return -1;
      } else if (swap > 0)
        return uoci_fail(err, 0, "cgroup: memory.swap: swap accounting is not enabled on this host");
    }
  }
  if (limit != 0 && write_max(h, "memory.max", limit, err) < 0)
    return -1;
  if (m->has_reservation && m->reservation != 0 && write_max(h, "memory.low", m->reservation, err) < 0)
    return -1;
  /* swappiness, kernel, kernelTCP, disableOOMKiller, useHierarchy have no v2
   * file: warned about in cgroup.c (cg_unapplied). */
  return 0;
}

static int v2_cpu(const struct cg_hier *h, const ocispec_cpu *c, uoci_error **err)
{
  if (c->has_shares && c->shares && cg_writef(h, "cpu.weight", err, "%" PRIu64, cg_shares_to_weight(c->shares)) < 0)
    return -1;
  int64_t quota = c->has_quota ? c->quota : 0;
  uint64_t period = c->has_period ? c->period : 0;
  if (quota != 0 || period != 0) {
    char buf[64];
    int n = quota > 0 ? snprintf(buf, sizeof buf, "%" PRId64, quota) : snprintf(buf, sizeof buf, "max");
    if (period)
      snprintf(buf + n, sizeof buf - (size_t) n, " %" PRIu64, period);
    else if (quota == 0)
      return 0;
    if (cg_write(h, "cpu.max", buf, err) < 0)
      return -1;
  }
  if (c->has_burst && cg_writef(h, "cpu.max.burst", err, "%" PRIu64, c->burst) < 0)
    return -1;
  if (c->has_idle && cg_writef(h, "cpu.idle", err, "%" PRId64, c->idle) < 0)
    return -1;
  return cg_set_cpuset(h, c->cpus, c->mems, true, err);
}

static int v2_io_lines(const struct cg_hier *h, const char *key, const ocispec_throttle_device *d, size_t n,
                       uoci_error **err)
{
  for (size_t i = 0; i < n; i++) {
    char buf[128];
    if (d[i].rate == 0)
      snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=max", d[i].major, d[i].minor, key);
    else
      snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d[i].major, d[i].minor, key, d[i].rate);
    if (cg_write(h, "io.max", buf, err) < 0)
      return -1;
  }
  return 0;
}

static int v2_io(const struct cg_hier *h, const ocispec_block_io *b, uoci_error **err)
{
  bool bfq = cg_has_file(h, "io.bfq.weight");
  if (b->has_weight && b->weight) {
    if (bfq ? cg_writef(h, "io.bfq.weight", err, "%u", b->weight) < 0
            : cg_writef(h, "io.weight", err, "%" PRIu64, cg_blkio_weight_to_io_weight(b->weight)) < 0)
      return -1;
  }
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const ocispec_weight_device *w = &b->weight_device[i];
    if (!w->has_weight)
      continue;
    if (bfq ? cg_writef(h, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight) < 0
            : cg_writef(h, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                        cg_blkio_weight_to_io_weight(w->weight)) < 0)
      return -1;
  }
  /* leafWeight has no v2 equivalent; ignored as runc does. */
  return v2_io_lines(h, "rbps", b->throttle_read_bps_device, b->throttle_read_bps_device_len, err) < 0 ||
         v2_io_lines(h, "wbps", b->throttle_write_bps_device, b->throttle_write_bps_device_len, err) < 0 ||
         v2_io_lines(h, "riops", b->throttle_read_iops_device, b->throttle_read_iops_device_len, err) < 0 ||
         v2_io_lines(h, "wiops", b->throttle_write_iops_device, b->throttle_write_iops_device_len, err) < 0
             ? -1
             : 0;
}

/* What v2 cannot do, refused also when there is no cgroup to write to. */
static int v2_refuse_unsupported(const ocispec_resources *r, uoci_error **err)
{
  const ocispec_cpu *c = r->cpu;
  if (c && ((c->has_realtime_runtime && c->realtime_runtime) || (c->has_realtime_period && c->realtime_period)))
    return uoci_fail(err, 0, "cgroup: linux.resources.cpu.realtimeRuntime/realtimePeriod are not supported on cgroup v2");
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    return uoci_fail(err, 0, "cgroup: linux.resources.network (net_cls/net_prio) is not supported on cgroup v2");
  return 0;
}

int cg_v2_apply(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err)
{
  if (v2_refuse_unsupported(r, err) < 0)
    return -1;
  const struct cg_hier *h = cg_unified(cg);
  if (h == NULL)
    return 0; /* rootless without a cgroup: only device rules get here (cgroup.c) */
  if (r->memory && v2_memory(h, r->memory, update, err) < 0)
    return -1;
  if (r->cpu && v2_cpu(h, r->cpu, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit && r->pids->limit != 0 && write_max(h, "pids.max", r->pids->limit, err) < 0)
    return -1;
  if (r->block_io && v2_io(h, r->block_io, err) < 0)
    return -1;
  if (cg_set_hugetlb_limits(h, r, "max", err) < 0)
    return -1;
  for (size_t i = 0; i < r->rdma.len; i++) {
    const ocispec_rdma *x = &r->rdma.values[i];
    char hh[32] = "", ho[32] = "";
    if (x->has_hca_handles)
      snprintf(hh, sizeof hh, " hca_handle=%u", x->hca_handles);
    if (x->has_hca_objects)
      snprintf(ho, sizeof ho, " hca_object=%u", x->hca_objects);
    if (cg_writef(h, "rdma.max", err, "%s%s%s", r->rdma.keys[i], hh, ho) < 0)
      return -1;
  }
  /* unified last, so that it overrides the converted values, as runc. */
  for (size_t i = 0; i < r->unified.len; i++) {
    const char *k = r->unified.keys[i];
    if (!cg_has_file(h, k))
      return uoci_fail(err, 0, "cgroup: linux.resources.unified: no cgroup file \"%s\" in %s", k, h->dir);
    if (cg_write(h, k, r->unified.values[i], err) < 0)
      return -1;
  }
  if (!update && r->devices_len) {
    _cleanup_close_ int dfd = open(h->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
      return uoci_fail(err, errno, "cgroup: open %s", h->dir);
    if (cg_bpf_apply_devices(dfd, r->devices, r->devices_len, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- freeze ------------------------------------------------------------ */

int cg_v2_is_frozen(const uoci_cgroup *cg)
{
  const struct cg_hier *h = cg_unified(cg);
  return h ? cg_v2_dir_is_frozen(h->dir) : -1;
}

int cg_v2_dir_is_frozen(const char *dir)
{
  char ev[256]; /* "populated N\nfrozen N\n" */
  uint64_t v = 0;
  if (cg_read_small(dir, "cgroup.events", ev, sizeof ev) < 0 || cg_keyed_u64(ev, "frozen", &v) < 0)
    return -1;
  return v == 1;
}

int cg_v2_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err)
{
  const struct cg_hier *h = cg_unified(cg);
  if (h == NULL)
    return uoci_fail(err, 0, "cgroup: no cgroup to freeze");
  if (!cg_has_file(h, "cgroup.freeze"))
    return uoci_fail(err, 0, "cgroup: cgroup.freeze is not supported by this kernel");
  if (cg_write(h, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  for (int i = 0; i < 2000; i++) {
    if (cg_v2_is_frozen(cg) == (frozen ? 1 : 0))
      return 0;
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
  }
  if (frozen)
    cg_write(h, "cgroup.freeze", "0", NULL);
  return uoci_fail(err, 0, "cgroup: timed out waiting for %s to become %s", h->dir, frozen ? "frozen" : "thawed");
}

/* ---- stats ------------------------------------------------------------- */

static void io_stats(FILE *out, const char *text)
{
  /* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device */
  static const struct { const char *key, *op; bool bytes; } map[] = {
    { "rbytes", "Read", true }, { "wbytes", "Write", true }, { "rios", "Read", false }, { "wios", "Write", false },
  };
  for (int pass = 0; pass < 2; pass++) {
    bool bytes = pass == 0;
    fprintf(out, "%s\"%s\":[", pass ? "," : "", bytes ? "ioServiceBytesRecursive" : "ioServicedRecursive");
    bool first = true;
    for (const char *l = text; l && *l;) {
      unsigned maj, min;
      if (sscanf(l, "%u:%u", &maj, &min) == 2) {
        for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
          if (map[i].bytes != bytes)
            continue;
          const char *nl = strchr(l, '\n');
          char pat[16];
          snprintf(pat, sizeof pat, " %s=", map[i].key);
          const char *k = strstr(l, pat);
          if (k == NULL || (nl && k > nl))
            continue;
          fprintf(out, "%s{\"major\":%u,\"minor\":%u,\"op\":\"%s\",\"value\":%llu}", first ? "" : ",", maj, min,
                  map[i].op, strtoull(k + strlen(pat), NULL, 10));
          first = false;
        }
      }
      const char *nl = strchr(l, '\n');
      l = nl ? nl + 1 : NULL;
    }
    fputc(']', out);
  }
}

int cg_v2_stats(const uoci_cgroup *cg, FILE *out)
{
  const struct cg_hier *h = cg_unified(cg);
  if (h == NULL || access(h->dir, F_OK) < 0)
    return -1;
  _cleanup_free_ char *cstat = cg_read(h, "cpu.stat");
  uint64_t usage = 0, user = 0, sys = 0, periods = 0, throttled = 0, ttime = 0;
  if (cstat) {
    cg_keyed_u64(cstat, "usage_usec", &usage);
    cg_keyed_u64(cstat, "user_usec", &user);
    cg_keyed_u64(cstat, "system_usec", &sys);
    cg_keyed_u64(cstat, "nr_periods", &periods);
    cg_keyed_u64(cstat, "nr_throttled", &throttled);
    cg_keyed_u64(cstat, "throttled_usec", &ttime);
  }
  fprintf(out,
          "{\"cpu\":{\"usage\":{\"total\":%" PRIu64 ",\"kernel\":%" PRIu64 ",\"user\":%" PRIu64 "},"
          "\"throttling\":{\"periods\":%" PRIu64 ",\"throttledPeriods\":%" PRIu64 ",\"throttledTime\":%" PRIu64 "}}",
          usage * 1000, sys * 1000, user * 1000, periods, throttled, ttime * 1000);
  _cleanup_free_ char *mstat = cg_read(h, "memory.stat");
  _cleanup_free_ char *mev = cg_read(h, "memory.events");
  uint64_t file = 0, failcnt = 0, limit = cg_u64_or0(h, "memory.max"), swap_limit = cg_u64_or0(h, "memory.swap.max");
  if (mstat)
    cg_keyed_u64(mstat, "file", &file);
  if (mev)
    cg_keyed_u64(mev, "max", &failcnt);
  uint64_t mem_usage = cg_u64_or0(h, "memory.current"), swap_usage = cg_u64_or0(h, "memory.swap.current");
  /* runc reports swap as memory+swap, like v1's memsw. */
  fprintf(out,
          ",\"memory\":{\"cache\":%" PRIu64 ",\"usage\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":%" PRIu64
          ",\"failcnt\":%" PRIu64 "},\"swap\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":0,\"failcnt\":0},"
          "\"kernel\":{\"limit\":0,\"usage\":0,\"max\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"usage\":0,\"max\":0,\"failcnt\":0},\"raw\":",
          file, limit, mem_usage, cg_u64_or0(h, "memory.peak"), failcnt, swap_limit, swap_usage + mem_usage);
  cg_print_raw(out, mstat);
  uint64_t pmax = cg_u64_or0(h, "pids.max");
  fprintf(out, "},\"pids\":{\"current\":%" PRIu64 ",\"limit\":%" PRIu64 "},\"blkio\":{", cg_u64_or0(h, "pids.current"),
          pmax == UINT64_MAX ? 0 : pmax);
  _cleanup_free_ char *io = cg_read(h, "io.stat");
  io_stats(out, io);
  fputs("},", out);
  cg_hugetlb_stats(out, h, true);
  fputc('}', out);
  return 0;
}

int cg_v2_oom_fd(const uoci_cgroup *cg, uoci_error **err)
{
  const struct cg_hier *h = cg_unified(cg);
  if (h == NULL || !cg_has_file(h, "memory.events"))
    return -1;
  _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0)
    return uoci_fail(err, errno, "inotify_init1");
  _cleanup_free_ char *p = xasprintf("%s/memory.events", h->dir);
  if (inotify_add_watch(fd, p, IN_MODIFY) < 0)
    return uoci_fail(err, errno, "inotify_add_watch %s", p);
  return steal_fd(fd);
}

int cg_v2_oom_kills(const uoci_cgroup *cg, uint64_t *kills)
{
  const struct cg_hier *h = cg_unified(cg);
  _cleanup_free_ char *ev = h ? cg_read(h, "memory.events") : NULL;
  return ev ? cg_keyed_u64(ev, "oom_kill", kills) : -1;
}

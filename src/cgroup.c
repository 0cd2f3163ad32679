/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.c - the one cgroup interface (cgroup.h): mode detection, the
 * directories made and removed, joining, the state string, pids, kill and
 * the dispatch of resources, freeze, stats and OOM events to the backend of
 * the host's mode (cgroup_v1.c, cgroup_v2.c), with cgroup_systemd.c asked
 * for a scope first under --systemd-cgroup. The backends share
 * cgroup_util.c and call nothing of this file or of each other.
 *
 * Default placement when linux.cgroupsPath is absent: "/ulysses-oci/<id>"
 * in every hierarchy (absolute, like runc's absolute paths), so that all our
 * containers are found under one directory and never mix with the cgroup the
 * runtime itself was started in. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup.h"
#include "log.h"
#include "cgroup_systemd.h"
#include "cgroup_util.h"
#include "cgroup_v1.h"
#include "cgroup_v2.h"
#include "fault.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- mode -------------------------------------------------------------- */

/* Detected once from statfs of /sys/fs/cgroup (and .../unified). */
static enum cgroup_mode cgroup_mode(void)
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

bool cgroup_host_is_unified(void)
{
  return cgroup_mode() == CGROUP_MODE_V2;
}

/* ---- processes --------------------------------------------------------- */

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

/* ---- walking the sub-cgroups a container made ---------------------------- */

/* The container owns its subtree and may nest it as deep as it likes, far
 * past PATH_MAX: the walk is by fd, and holds two at most (each level is
 * reopened through ".." on the way up; cgroupfs renames stay in the parent),
 * so neither a long path nor the fd limit leaves a sub-cgroup unseen. The
 * recursion stops at 16384 levels, to keep within the stack. */
#define SUBCGROUP_MAX_DEPTH 16384

typedef void subcgroup_fn(int parentfd, const char *name, int subfd, void *arg);

/* The names of dirfd's sub-cgroups, NULL-terminated (NULL when none). */
static char **subcgroup_names(int dirfd)
{
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    names = xrealloc(names, (n + 2) * sizeof *names);
    names[n++] = xstrdup(de->d_name);
    names[n] = NULL;
  }
  closedir(d);
  return names;
}

/* fn(parentfd, name, subfd) for every sub-cgroup below dirfd, deepest first.
 * Takes dirfd and returns an fd on the same directory (-1 if it is gone). */
static int walk_subcgroups(int dirfd, subcgroup_fn *fn, void *arg, unsigned depth)
{
  char **names = depth < SUBCGROUP_MAX_DEPTH ? subcgroup_names(dirfd) : NULL;
  for (size_t i = 0; names && names[i]; i++) {
    int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      continue;
    close(dirfd);
    sub = walk_subcgroups(sub, fn, arg, depth + 1);
    dirfd = sub < 0 ? -1 : openat(sub, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0)
      fn(dirfd, names[i], sub, arg);
    if (sub >= 0)
      close(sub);
    if (dirfd < 0)
      break;
  }
  uoci_strv_free(names);
  return dirfd;
}

static void for_each_subcgroup(const char *dir, subcgroup_fn *fn, void *arg)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    fd = walk_subcgroups(fd, fn, arg, 0);
  if (fd >= 0)
    close(fd);
}

struct pid_list {
  pid_t *pids;
  size_t n, cap;
};

static int read_procs_at(int dirfd, struct pid_list *l)
{
  int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  _cleanup_fclose_ FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
  if (f == NULL) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    errno = e;
    return errno == ENOENT ? 0 : -1;
  }
  long v;
  while (fscanf(f, "%ld", &v) == 1) {
    if (l->n == l->cap) {
      l->cap = l->cap ? l->cap * 2 : 16;
      l->pids = xrealloc(l->pids, l->cap * sizeof *l->pids);
    }
    l->pids[l->n++] = (pid_t) v;
  }
  return 0;
}

static void collect_sub(int parentfd, const char *name, int subfd, void *arg)
{
  (void) parentfd, (void) name;
  read_procs_at(subfd, arg);
}

/* Collect the pids of a cgroup directory and of every sub-cgroup in it. */
static int collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
  struct pid_list l = { *pids, *n, *cap };
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = fd < 0 ? (errno == ENOENT ? 0 : -1) : read_procs_at(fd, &l);
  if (r == 0 && fd >= 0)
    fd = walk_subcgroups(fd, collect_sub, &l, 0);
  if (fd >= 0)
    close(fd);
  *pids = l.pids, *n = l.n, *cap = l.cap;
  return r;
}

/* ---- create ------------------------------------------------------------ */

static int remove_hier(const struct cg_hier *h, bool wait_busy, uoci_error **err);

void cgroup_close_fds(uoci_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->nhier; i++) {
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
    free(cg->hier[i].join_path);
  }
  free(cg->unit);
  free(cg->slice);
  free(cg->path);
  cg_sd_props_free(cg->sd_props, cg->n_sd_props);
  free(cg);
}

/* What the child needs to join without allocating: the file of each
 * hierarchy it writes "0" to (opened by the child itself: one fd at a time,
 * so that a soft RLIMIT_NOFILE of 16 is never the limit), and the unified
 * directory's fd for clone3. */
static int open_join_fds(uoci_cgroup *cg, uoci_error **err)
{
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    if (h->unified && h->dir_fd < 0) {
      h->dir_fd = open(h->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (h->dir_fd < 0)
        return uoci_fail(err, errno, "cgroup: open %s", h->dir);
    }
    free(h->join_path);
    h->join_path = xasprintf("%s/%s", h->dir, h->unified ? "cgroup.procs" : "tasks");
  }
  return 0;
}

/* linux.resources' field for each controller, for the rootless errors. */
static const char *const resource_field[CG_NCTRL] = {
  [CG_CPU] = "cpu", [CG_CPUSET] = "cpu.cpus/mems", [CG_MEMORY] = "memory", [CG_BLKIO] = "blockIO",
  [CG_PIDS] = "pids", [CG_HUGETLB] = "hugepageLimits", [CG_NET_CLS] = "network.classID",
  [CG_NET_PRIO] = "network.priorities", [CG_RDMA] = "rdma", [CG_DEVICES] = "devices",
};

/* The error for `what` needing controller c (-1: any cgroup) of a rootless
 * container that has none: it had no permission to create one. */
static int fail_denied(const uoci_cgroup *cg, const char *what, int c, uoci_error **err)
{
  if (cg->mode == CGROUP_MODE_V2)
    return uoci_fail(err, 0, "cgroup: %s: this rootless container has no cgroup (no permission to create "
                     "/sys/fs/cgroup%s; run the runtime in a cgroup delegated to the user, e.g. under "
                     "`systemd-run --user --scope`)", what, cgroup_path(cg));
  return uoci_fail(err, 0, "cgroup: %s: this rootless container has no %s%scgroup (no permission to create one; "
                   "cgroup v1 is not delegated to unprivileged users)", what, c >= 0 ? cg_ctrl_names[c] : "",
                   c >= 0 ? " " : "");
}

/* Rootless, as runc: a limit for a controller whose cgroup we could not
 * create is an error, never silently dropped. Device rules are the
 * exception (runc's too): the container's user namespace already keeps it
 * from creating device nodes, and the host's permissions hold for the
 * nodes it is given. */
static int refuse_denied(const uoci_cgroup *cg, const ocispec_resources *r, uoci_error **err)
{
  if (cg->denied == 0)
    return 0;
  bool v2 = cg->mode == CGROUP_MODE_V2;
  if (v2 && r->unified.len)
    return fail_denied(cg, "linux.resources.unified cannot be applied", -1, err);
  unsigned missing = cg_needed_ctrls(r, v2) & cg->denied & ~CG_BIT(CG_DEVICES);
  for (int c = 0; c < CG_NCTRL; c++) {
    if (!(missing & CG_BIT(c)))
      continue;
    _cleanup_free_ char *what = xasprintf("linux.resources.%s cannot be applied",
                                          resource_field[c] ? resource_field[c] : cg_ctrl_names[c]);
    return fail_denied(cg, what, c, err);
  }
  return 0;
}

static int apply_resources(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err)
{
  if (r == NULL)
    return 0;
  if (refuse_denied(cg, r, err) < 0)
    return -1;
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
  free(h->join_path);
  uoci_closep(&h->dir_fd);
  memmove(h, h + 1, (cg->nhier - i - 1) * sizeof *h);
  cg->nhier--;
}

/* Rootless without linux.cgroupsPath, as runc: a hierarchy where we may not
 * create the container's cgroup is left out and remembered as denied (the
 * container runs without it; a limit it would need is refused in
 * apply_resources). With an explicit path a permission error is an error. */
static bool skip_denied(const struct cgroup_create_opts *opts)
{
  return opts->rootless && !(opts->cgroups_path && *opts->cgroups_path);
}

/* Where the container's directory goes in every hierarchy; nothing made. */
static int plan_fs(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err)
{
  /* Rootless, the default place is runc's: a cgroup named after the id next
   * to ours on v2 (in a subtree delegated to the user: systemd's user@.service
   * or `systemd-run --user --scope`), below ours on v1; /ulysses-oci is
   * root's. */
  const char *path = opts->cgroups_path;
  if (skip_denied(opts))
    path = opts->id;
  if (cg->mode == CGROUP_MODE_V2) {
    _cleanup_free_ char *own = cg_own_path(NULL);
    /* As runc: a relative path goes under the parent of our own cgroup,
     * which (unlike ours) may have controllers enabled for children. */
    _cleanup_free_ char *own_parent = NULL;
    if (path && path[0] && path[0] != '/') {
      _cleanup_free_ char *tmp = xasprintf("%s/..", own);
      own_parent = path_clean(tmp);
    }
    _cleanup_free_ char *rel = cg_resolve_path(path, opts->id, own_parent ? own_parent : own);
    if (strcmp(rel, "/") == 0)
      return uoci_fail(err, 0, "cgroup: refusing to use the root cgroup as the container's cgroup");
    cg->path = xstrdup(rel);
    cg_add_hier(cg, "/sys/fs/cgroup", rel, 0, true);
  } else if (cg_v1_discover(cg, path, opts->id, err) < 0) {
    return -1;
  }
  /* What we will make is recorded before it is made (the caller saves the
   * state now): a runtime killed half-way leaves nothing `delete` misses. */
  for (size_t i = 0; i < cg->nhier; i++)
    cg->hier[i].created = cg_count_missing(&cg->hier[i]);
  return 0;
}

/* One directory we made (the processes' if we made that one) says whose
 * they are, for a delete that has lost the state file: "MARK\tMOUNT..."
 * lists the hierarchies where the leaf is ours (cgroup_claim_marked). One
 * extended attribute, not one per hierarchy (each costs microseconds a
 * create pays); best effort (rootless: no trusted.* names). */
static void mark_made(const uoci_cgroup *cg, const char *mark)
{
  const struct cg_hier *m = procs_hier(cg);
  for (size_t i = 0; (m == NULL || m->created <= 0) && i < cg->nhier; i++)
    m = &cg->hier[i];
  if (mark == NULL || m == NULL || m->created <= 0)
    return;
  _cleanup_free_ char *v = xstrdup(mark);
  for (size_t i = 0; i < cg->nhier; i++)
    if (cg->hier[i].created > 0) {
      char *t = xasprintf("%s\t%s", v, cg->hier[i].mount);
      free(v);
      v = t;
    }
  if (setxattr(m->dir, CGROUP_OWNER_XATTR, v, strlen(v), 0) < 0)
    log_debug("cgroup: mark %s: %s", m->dir, strerror(errno));
}

static int make_fs(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err)
{
  for (size_t i = 0; i < cg->nhier;) {
    struct cg_hier *h = &cg->hier[i];
    int r = cg_mkdir_hier(h, skip_denied(opts), err);
    if (r < 0)
      return -1;
    if (r > 0) { /* rootless without permission: forget this hierarchy */
      cg->denied |= cg->mode == CGROUP_MODE_V2 ? CG_ALL : h->ctrls;
      drop_hier(cg, i);
      continue;
    }
    if (i == 0)
      FAULT_POINT("create-cgroup-partial");
    if (cg->mode == CGROUP_MODE_V2 && cg_v2_setup_dir(cg, h, opts->resources, err) < 0)
      return -1;
    if (cg->mode != CGROUP_MODE_V2 && !h->unified && cg_v1_setup_dir(cg, h, err) < 0)
      return -1;
    i++;
  }
  mark_made(cg, opts->owner_mark);
  /* Nothing can join a frozen cgroup and go on: refuse it rather than hang
   * (the directory may exist already, or a parent may be frozen). */
  if (cg->nhier && cgroup_is_frozen(cg) == 1)
    return uoci_fail(err, 0, "container's cgroup unexpectedly frozen: %s", cg->path ? cg->path : "");
  return 0;
}

/* --systemd-cgroup: systemd makes the scope's directories when the pid is
 * known (cgroup_attach_pid), but where they will be is known now: record
 * them, so that the state saved before the scope exists already names every
 * directory. Those are systemd's (created 0: they go with the unit); on v1,
 * the hierarchies systemd does not manage (cpuset, freezer...) get our own
 * directory at the same path, made now so that the saved state counts it
 * for delete, as runc does. The resources are applied once the scope exists. */
static int place_systemd_scope(uoci_cgroup *cg, const ocispec_resources *resources, uoci_error **err)
{
  cg->pending = resources;
  if (cg->mode == CGROUP_MODE_V2)
    cg_add_hier(cg, "/sys/fs/cgroup", cg->path, 0, true);
  else if (cg_v1_discover(cg, cg->path, "", err) < 0)
    return -1;
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    h->created = 0;
    if (!cg_systemd_makes_dir(h) && (cg_mkdir_hier(h, false, err) < 0 || cg_v1_setup_dir(cg, h, err) < 0)) {
      for (size_t k = 0; k <= i; k++)
        remove_hier(&cg->hier[k], true, NULL);
      return -1;
    }
  }
  return 0;
}

static void warn_unapplied(const ocispec_resources *r, enum cgroup_mode mode)
{
  const char *why[8];
  size_t n = cg_unapplied(r, mode, why, ARRAY_SIZE(why));
  for (size_t i = 0; i < n; i++)
    log_warn("%s", why[i]);
  for (size_t i = 0; r && i < r->devices_len; i++) {
    _cleanup_free_ char *note = cg_device_access_note(&r->devices[i], i);
    if (note)
      log_warn("%s", note);
  }
}

int cgroup_plan(const struct cgroup_create_opts *opts, uoci_cgroup **out, uoci_error **err)
{
  _cleanup_cgroup_ uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  cg->mode = cgroup_mode();
  cg->self_join = opts->self_join;
  cg->rootless = opts->rootless;
  cg->systemd = opts->systemd;
  if (cg_validate_resources(opts->resources, cg->mode, err) < 0)
    return -1;
  warn_unapplied(opts->resources, cg->mode);
  if (opts->systemd) {
    /* The system instance refuses a user's scopes; the user's own instance
     * is reached over its session bus, which we do not speak (runc does). */
    if (opts->rootless)
      return uoci_fail(err, 0, "cgroup: --systemd-cgroup is not supported rootless (it needs the user's systemd "
                       "instance): use the cgroupfs manager (podman: cgroup_manager = \"cgroupfs\")");
    if (cg_sd_props_from_annotations(opts->annotations, &cg->sd_props, &cg->n_sd_props, err) < 0 ||
        cg_systemd_prepare(cg, opts->cgroups_path, opts->id, err) < 0)
      return -1;
    if (place_systemd_scope(cg, opts->resources, err) < 0)
      return -1;
  } else if (plan_fs(cg, opts, err) < 0) {
    return -1;
  }
  *out = steal_ptr(cg);
  return 0;
}

/* A linux.cgroupsPath that already holds processes (another container's, a
 * service's) is allowed, as runc's cgroupfs driver allows it, but said: this
 * container's limits, pause and kill --all reach those processes too. Only a
 * directory that existed is read, so a fresh cgroup costs nothing here. */
static void warn_not_empty(const uoci_cgroup *cg)
{
  bool existed = false;
  for (size_t i = 0; i < cg->nhier; i++)
    existed |= cg->hier[i].created == 0;
  if (!existed)
    return;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  uoci_error *e = NULL;
  if (cgroup_pids(cg, &pids, &n, &e) < 0) {
    uoci_error_free(e);
    return;
  }
  if (n > 0)
    log_warn("container's cgroup is not empty: %zu process%s found in %s (this container's limits, pause and "
             "kill --all reach %s too)", n, n == 1 ? "" : "es", cg->path ? cg->path : "", n == 1 ? "it" : "them");
}

int cgroup_make(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err)
{
  if (cg->systemd)
    return 0; /* systemd makes the scope at attach */
  if (make_fs(cg, opts, err) < 0 || apply_resources(cg, opts->resources, false, err) < 0 ||
      open_join_fds(cg, err) < 0) {
    cgroup_close_fds(cg);
    for (size_t i = 0; i < cg->nhier; i++)
      remove_hier(&cg->hier[i], true, NULL);
    return -1;
  }
  warn_not_empty(cg);
  return 0;
}

int cgroup_clone_into_fd(const uoci_cgroup *cg)
{
  /* v2, and the unified tree of a hybrid host: moving a task there through
   * cgroup.procs waits for an RCU grace period (~10 ms after an idle
   * moment); clone3 places the child at no cost. */
  const struct cg_hier *h = cg ? cg_unified(cg) : NULL;
  return h ? h->dir_fd : -1;
}

bool cgroup_clone_into_is_all(const uoci_cgroup *cg)
{
  return cg && cg->nhier == 1 && cg->hier[0].unified;
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

/* exec --cgroup's PATH as runc reads it (Go's path.Join onto the
 * container's cgroup): empty, "." and leading "/" steps dropped, ".." taking
 * one step back. NULL when it climbs above the container's cgroup; "" is the
 * container's cgroup itself (runc's `--cgroup /`). */
static char *clean_sub_path(const char *sub)
{
  char *out = xmalloc(strlen(sub) + 1);
  size_t len = 0;
  for (const char *p = sub; *p;) {
    size_t step = strcspn(p, "/");
    if (step == 2 && p[0] == '.' && p[1] == '.') {
      if (len == 0) {
        free(out);
        return NULL;
      }
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 0)
        len--;
    } else if (step > 0 && !(step == 1 && p[0] == '.')) {
      if (len > 0)
        out[len++] = '/';
      memcpy(out + len, p, step);
      len += step;
    }
    p += step;
    while (*p == '/')
      p++;
  }
  out[len] = '\0';
  return out;
}

/* Point hierarchy h at its sub-cgroup `sub`, which must exist ("" leaves it
 * at the container's cgroup). ENOENT in runc's words: the pid it would add
 * has nowhere to go. */
static int hier_enter_sub(struct cg_hier *h, const char *spec, const char *sub, uoci_error **err)
{
  if (*sub == '\0')
    return 0;
  _cleanup_free_ char *rel = xasprintf("%s/%s", strcmp(h->rel, "/") ? h->rel : "", sub);
  _cleanup_free_ char *dir = xasprintf("%s%s", h->mount, rel);
  struct stat st;
  if (stat(dir, &st) < 0) {
    if (errno == ENOENT)
      return uoci_fail(err, 0, "--cgroup \"%s\": cannot join, adding pid to %s/cgroup.procs: no such file or directory",
                       spec, dir);
    return uoci_fail(err, errno, "--cgroup \"%s\": sub-cgroup %s", spec, dir);
  }
  if (!S_ISDIR(st.st_mode))
    return uoci_fail(err, ENOTDIR, "--cgroup \"%s\": sub-cgroup %s", spec, dir);
  free(h->rel);
  free(h->dir);
  h->rel = steal_ptr(rel);
  h->dir = steal_ptr(dir);
  return 0;
}

/* One "CTRL[,CTRL...]:PATH" of exec --cgroup: PATH for the hierarchies
 * serving those controllers (v1 only: v2 has one hierarchy). */
static int plan_sub_for_ctrls(const uoci_cgroup *cg, const char *spec, const char *ctrls, const char *sub,
                              const char **target, const char **target_spec, uoci_error **err)
{
  if (cg->mode == CGROUP_MODE_V2)
    return uoci_fail(err, 0, "--cgroup \"%s\": cgroup v2 has one hierarchy, give the path alone", spec);
  _cleanup_free_ char *list = xstrdup(ctrls);
  char *save = NULL;
  for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    int c = cg_ctrl_from_name(name);
    size_t i = 0;
    while (c >= 0 && i < cg->nhier && !(cg->hier[i].ctrls & CG_BIT(c)))
      i++;
    if (c < 0 || i == cg->nhier)
      return uoci_fail(err, 0, "--cgroup \"%s\": unknown controller %s: the container has no %s hierarchy", spec,
                       name, name);
    if (target[i] && strcmp(target[i], sub) != 0)
      return uoci_fail(err, 0, "--cgroup \"%s\": %s already has sub-cgroup \"%s\"", spec, name, target[i]);
    target[i] = sub;
    target_spec[i] = spec;
  }
  return 0;
}

int cgroup_enter_sub(uoci_cgroup *cg, char *const *specs, size_t n, uoci_error **err)
{
  const char *target[CG_MAX_HIER] = { 0 }, *target_spec[CG_MAX_HIER] = { 0 };
  _cleanup_free_ char **subs = xcalloc(n + 1, sizeof *subs);
  int ret = 0;
  for (size_t k = 0; k < n && ret == 0; k++) {
    _cleanup_free_ char *ctrls = xstrdup(specs[k]);
    char *colon = strchr(ctrls, ':');
    const char *path = colon ? colon + 1 : ctrls;
    if (colon)
      *colon = '\0';
    if (strchr(path, ':')) {
      ret = uoci_fail(err, 0, "--cgroup \"%s\": expected [CONTROLLER[,CONTROLLER...]:]PATH", specs[k]);
    } else if ((subs[k] = clean_sub_path(path)) == NULL) {
      ret = uoci_fail(err, 0, "--cgroup \"%s\": bad sub cgroup path: %s is not a sub cgroup path (it climbs above the container's cgroup)",
                      specs[k], path);
    } else if (colon) {
      ret = plan_sub_for_ctrls(cg, specs[k], ctrls, subs[k], target, target_spec, err);
    } else if (n > 1) {
      ret = uoci_fail(err, 0, "--cgroup \"%s\": a path without a controller must be the only --cgroup", specs[k]);
    } else {
      for (size_t i = 0; i < cg->nhier; i++) {
        target[i] = subs[k];
        target_spec[i] = specs[k];
      }
    }
  }
  for (size_t i = 0; i < cg->nhier && ret == 0; i++)
    if (target[i])
      ret = hier_enter_sub(&cg->hier[i], target_spec[i], target[i], err);
  for (size_t k = 0; k < n; k++)
    free(subs[k]);
  return ret;
}

int cgroup_join_self(const uoci_cgroup *cg, bool unified_by_clone)
{
  if (cg == NULL || cg->systemd)
    return 0;
  for (size_t i = 0; i < cg->nhier; i++) {
    const struct cg_hier *h = &cg->hier[i];
    if (h->join_path == NULL)
      continue;
    /* A write to the v2 cgroup.procs waits for an RCU grace period; skip it
     * when clone3 already placed us. */
    if (h->unified && (unified_by_clone || already_in_unified(h->rel)))
      continue;
    int fd = open(h->join_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return -errno;
    ssize_t n = write(fd, "0", 1);
    int e = errno;
    close(fd);
    if (n != 1)
      return -e;
  }
  return 0;
}

/* v1 under systemd: the init into our own directories (place_systemd_scope),
 * and into one systemd unexpectedly did not make. */
static int join_v1_dirs(uoci_cgroup *cg, pid_t pid, uoci_error **err)
{
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    bool systemds = cg_systemd_makes_dir(h);
    if (systemds && access(h->dir, F_OK) == 0)
      continue;
    if (systemds && (cg_mkdir_hier(h, false, err) < 0 || cg_v1_setup_dir(cg, h, err) < 0))
      return -1;
    if (cg_writef(h, "cgroup.procs", err, "%d", (int) pid) < 0)
      return -1;
  }
  return 0;
}

/* The scope, started with the pid (systemd is done with it on return), then
 * the resources written to its files: those systemd has no property for, and
 * the others again. On v2 systemd enables the controllers of the accounting
 * properties; the others linux.resources needs (hugetlb, rdma, misc) are
 * enabled along the path here, as runc does. */
static int start_systemd_scope(uoci_cgroup *cg, pid_t pid, uoci_error **err)
{
  const ocispec_resources *r = cg->pending;
  cg->pending = NULL;
  if (cg_systemd_start(cg, pid, r, err) < 0)
    return -1;
  if (cg->mode == CGROUP_MODE_V2) {
    if (access(cg->hier[0].dir, F_OK) < 0)
      return uoci_fail(err, errno, "systemd cgroup manager: %s is not there after starting %s", cg->hier[0].dir,
                       cg->unit);
    if (cg_v2_setup_dir(cg, &cg->hier[0], r, err) < 0)
      return -1;
  } else if (join_v1_dirs(cg, pid, err) < 0) {
    return -1;
  }
  return apply_resources(cg, r, false, err);
}

int cgroup_attach_pid(uoci_cgroup *cg, pid_t pid, bool unified_done, uoci_error **err)
{
  if (cg == NULL)
    return 0;
  if (cg->systemd)
    return start_systemd_scope(cg, pid, err);
  if (cg->self_join)
    return 0;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    if (h->unified && unified_done)
      continue;
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

const char *cgroup_freezer_dir(const uoci_cgroup *cg)
{
  const struct cg_hier *h = NULL;
  if (cg)
    h = cg->mode == CGROUP_MODE_V2 ? cg_unified(cg) : cg_hier_for(cg, CG_FREEZER);
  return h ? h->dir : NULL;
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
  /* runs of plain bytes in one fwrite: a locked fputc per byte was ~1% of
   * a `run` (the string is made at every state save) */
  while (*s) {
    size_t plain = strcspn(s, " %|\n\t");
    fwrite(s, 1, plain, f);
    s += plain;
    if (*s)
      fprintf(f, "%%%02X", (unsigned char) *s++);
  }
}

/* s[0..n) unescaped into out (n + 1 bytes: never longer than the input). */
static void unescape_into(const char *s, size_t n, char *out)
{
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
}

static char *unescape(const char *s, size_t n)
{
  char *out = xmalloc(n + 1);
  unescape_into(s, n, out);
  return out;
}

/* Split a hierarchy entry "MOUNT|CTRLS|UNIFIED|CREATED|REL" in place into
 * its five fields (the last one keeps any further '|'); false when short. */
static bool split_entry(char *tok, char *f[5])
{
  int nf = 0;
  char *p = tok;
  f[nf++] = p;
  while (nf < 5 && (p = strchr(p, '|'))) {
    *p++ = '\0';
    f[nf++] = p;
  }
  return nf == 5;
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
  if (cg->denied)
    fprintf(f, " denied=%x", cg->denied);
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

/* What parse_saved() keeps of a saved string. A full parse fills `cg`
 * (cgroup_from_string). `list` asks only whether the container is frozen,
 * for every container, and the full parse (three strings allocated per
 * hierarchy) was a third of its time: with `cg` NULL nothing is allocated,
 * the string is checked all the same (a damaged one fails either way) and
 * only the directory cgroup_is_frozen() would read is kept, in `dir`: the
 * first hierarchy with the freezer (v1, hybrid) or the unified one (v2), as
 * cg_hier_for() and cg_unified() pick it. */
struct saved_parse {
  uoci_cgroup *cg; /* NULL: freezer directory only */
  char *dir;
  size_t dir_size;
  bool v2, found;
};

static bool saved_header_key(const char *tok)
{
  return strncmp(tok, "systemd=", 8) == 0 || strncmp(tok, "slice=", 6) == 0 || strncmp(tok, "path=", 5) == 0 ||
         strncmp(tok, "denied=", 7) == 0;
}

static void saved_set_header(uoci_cgroup *cg, const char *tok)
{
  if (strncmp(tok, "systemd=", 8) == 0) {
    cg->systemd = true;
    free(cg->unit);
    cg->unit = unescape(tok + 8, strlen(tok + 8));
  } else if (strncmp(tok, "slice=", 6) == 0) {
    free(cg->slice);
    cg->slice = unescape(tok + 6, strlen(tok + 6));
  } else if (strncmp(tok, "path=", 5) == 0) {
    free(cg->path);
    cg->path = unescape(tok + 5, strlen(tok + 5));
  } else {
    cg->denied = (unsigned) strtoul(tok + 7, NULL, 16) & CG_ALL;
  }
}

/* One hierarchy entry "MOUNT|CTRLS|UNIFIED|CREATED|REL", split and
 * unescaped in place (never longer). `nhier` counts the entries so far. */
static int saved_add_entry(struct saved_parse *p, char *tok, size_t *nhier, uoci_error **err)
{
  char *f[5];
  if (!split_entry(tok, f))
    return uoci_fail(err, 0, "cgroup: invalid saved state entry \"%s\"", tok);
  unescape_into(f[0], strlen(f[0]), f[0]);
  unescape_into(f[4], strlen(f[4]), f[4]);
  const char *mount = f[0], *rel = f[4];
  unsigned ctrls = (unsigned) strtoul(f[1], NULL, 16);
  bool unified = atoi(f[2]) != 0;
  if (mount[0] != '/' || rel[0] != '/')
    return uoci_fail(err, 0, "cgroup: invalid saved state entry \"%s\"", mount);
  if (++*nhier > CG_MAX_HIER)
    return uoci_fail(err, 0, "cgroup: too many hierarchies in saved state");
  if (p->cg) {
    cg_add_hier(p->cg, mount, rel, ctrls, unified)->created = atoi(f[3]);
    return 0;
  }
  bool freezer = p->v2 ? unified : (ctrls & CG_BIT(CG_FREEZER)) != 0;
  if (freezer && !p->found) {
    int n = strcmp(rel, "/") == 0 ? snprintf(p->dir, p->dir_size, "%s", mount)
                                  : snprintf(p->dir, p->dir_size, "%s%s", mount, rel);
    if (n < 0 || (size_t) n >= p->dir_size)
      return uoci_fail(err, 0, "cgroup: saved directory too long");
    p->found = true;
  }
  return 0;
}

/* The one parser of cgroup_to_string()'s text: `copy` (one line, the
 * caller's to change) is cut up in place; `s` is the text for errors. */
static int parse_saved(char *copy, const char *s, struct saved_parse *p, uoci_error **err)
{
  char *save = NULL;
  char *tok = strtok_r(copy, " ", &save);
  if (tok == NULL)
    return uoci_fail(err, 0, "cgroup: empty saved state");
  enum cgroup_mode mode;
  if (strcmp(tok, "v1") == 0)
    mode = CGROUP_MODE_V1;
  else if (strcmp(tok, "hybrid") == 0)
    mode = CGROUP_MODE_HYBRID;
  else if (strcmp(tok, "v2") == 0)
    mode = CGROUP_MODE_V2;
  else
    return uoci_fail(err, 0, "cgroup: invalid saved state \"%s\"", s);
  p->v2 = mode == CGROUP_MODE_V2;
  if (p->cg) {
    p->cg->mode = mode;
    p->cg->self_join = true;
  }
  size_t nhier = 0;
  while ((tok = strtok_r(NULL, " ", &save))) {
    if (!saved_header_key(tok)) {
      if (saved_add_entry(p, tok, &nhier, err) < 0)
        return -1;
    } else if (p->cg) {
      saved_set_header(p->cg, tok);
    }
  }
  return 0;
}

int cgroup_from_string(const char *s, uoci_cgroup **out, uoci_error **err)
{
  _cleanup_cgroup_ uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  _cleanup_free_ char *copy = xstrdup(s);
  copy[strcspn(copy, "\n")] = '\0';
  struct saved_parse p = { .cg = cg };
  if (parse_saved(copy, s, &p, err) < 0)
    return -1;
  *out = steal_ptr(cg);
  return 0;
}

/* cgroup_is_frozen(cgroup_from_string(s)) without building the cgroup (see
 * struct saved_parse): the copy lives on the stack when it fits. */
int cgroup_saved_is_frozen(const char *s)
{
  char stack_copy[4096], dir[PATH_MAX];
  size_t len = strcspn(s, "\n");
  _cleanup_free_ char *heap_copy = len < sizeof stack_copy ? NULL : xstrdup(s);
  char *copy = heap_copy ? heap_copy : stack_copy;
  memcpy(copy, s, len);
  copy[len] = '\0';
  struct saved_parse p = { .dir = dir, .dir_size = sizeof dir };
  if (parse_saved(copy, s, &p, NULL) < 0 || !p.found)
    return -1;
  return p.v2 ? cg_v2_dir_is_frozen(dir) : cg_v1_dir_is_frozen(dir);
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
  collect_pids(dir, &pids, &n, &cap);
  free(pids);
  return n == 0;
}

static void write_at_if_there(int dirfd, const char *file, const char *value)
{
  int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void) !write(fd, value, strlen(value));
    close(fd);
  }
}

static void thaw_at(int dirfd)
{
  write_at_if_there(dirfd, "freezer.state", "THAWED"); /* v1 */
  write_at_if_there(dirfd, "cgroup.freeze", "0");      /* v2 */
}

static void thaw_sub(int parentfd, const char *name, int subfd, void *arg)
{
  (void) parentfd, (void) name, (void) arg;
  thaw_at(subfd);
}

/* Thaw the container's cgroup and every sub-cgroup in it: a task frozen in
 * a v1 freezer cannot die, whoever froze it (the container itself, in a
 * nested cgroup, or someone outside). Parents we did not make stay as they are. */
static void thaw_subtree(const uoci_cgroup *cg)
{
  for (size_t i = 0; i < cg->nhier; i++) {
    const struct cg_hier *h = &cg->hier[i];
    if (!(h->ctrls & CG_BIT(CG_FREEZER)) && !h->unified)
      continue;
    for_each_subcgroup(h->dir, thaw_sub, NULL);
    int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      thaw_at(fd);
      close(fd);
    }
  }
}

static void rmdir_sub(int parentfd, const char *name, int subfd, void *arg)
{
  (void) subfd, (void) arg;
  for (int tries = 0; unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno == EBUSY && tries < 200; tries++) {
    struct timespec ts = { 0, 5000000 };
    nanosleep(&ts, NULL);
  }
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
      /* Sub-cgroups the container made itself: depth first, once. */
      if (errno == EBUSY && i == 0 && tries == 0) {
        for_each_subcgroup(p, rmdir_sub, NULL);
        errno = EBUSY;
      }
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
  if (ph == NULL && cg->denied)
    return fail_denied(cg, "cannot signal every process of the container", -1, err);
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
  collect_pids(ph->dir, &pids, &n, &cap);
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH) {
      int e = errno, pid = (int) pids[i];
      free(pids);
      if (froze)
        cgroup_freeze(cg, false, NULL);
      return uoci_fail(err, e, "kill %d", pid);
    }
  free(pids);
  if (froze)
    cgroup_freeze(cg, false, NULL);
  /* Killed tasks in a frozen (sub-)cgroup die only once thawed. */
  if (sig == SIGKILL)
    thaw_subtree(cg);
  return 0;
}

/* The container's processes are the cgroup's only when the container made
 * the leaf they are listed in (or systemd made it, as the container's
 * scope). A cgroupsPath naming a cgroup that already existed (a host
 * service's, a slice) shares it with processes that are not the
 * container's: those are never signalled. */
static bool owns_procs(const uoci_cgroup *cg)
{
  const struct cg_hier *ph = procs_hier(cg);
  return cg->systemd || (ph && ph->created > 0);
}

int cgroup_kill_all(const uoci_cgroup *cg, int sig, uoci_error **err)
{
  if (procs_hier(cg) && !owns_procs(cg))
    return 1;
  return signal_all((uoci_cgroup *) cg, sig, err);
}

/* Is `mount` one of the tab-separated fields of `list`? */
static bool listed(const char *list, const char *mount)
{
  size_t n = strlen(mount);
  for (const char *p = list; p; p = strchr(p, '\t')) {
    p += *p == '\t';
    if (strncmp(p, mount, n) == 0 && (p[n] == '\t' || p[n] == '\0'))
      return true;
  }
  return false;
}

int cgroup_claim_marked(uoci_cgroup *cg, const char *mark)
{
  char buf[4096];
  size_t len = strlen(mark);
  const char *made = NULL;
  for (size_t i = 0; made == NULL && i < cg->nhier; i++) {
    ssize_t r = getxattr(cg->hier[i].dir, CGROUP_OWNER_XATTR, buf, sizeof buf - 1);
    if (r > (ssize_t) len && memcmp(buf, mark, len) == 0 && buf[len] == '\t') {
      buf[r] = '\0';
      made = buf + len + 1;
    }
  }
  int n = 0;
  for (size_t i = 0; i < cg->nhier; i++) {
    struct cg_hier *h = &cg->hier[i];
    /* the leaf only: the parents a create makes are shared (/ulysses-oci) */
    h->created = made && listed(made, h->mount) && access(h->dir, F_OK) == 0;
    n += h->created;
  }
  return n;
}

int cgroup_destroy(uoci_cgroup *cg, uoci_error **err)
{
  if (cg == NULL)
    return 0;
  cgroup_close_fds(cg);
  bool ours = false;
  for (size_t i = 0; i < cg->nhier; i++)
    ours |= cg->hier[i].created > 0;
  if (cg->systemd) {
    /* systemd removes its directories with the unit; ours (v1) are left. */
    int rc = cg_systemd_stop(cg, err);
    for (size_t i = 0; i < cg->nhier; i++)
      if (cg->hier[i].created > 0 && remove_hier(&cg->hier[i], true, err) < 0)
        rc = -1;
    return rc;
  }
  if (!ours)
    return 0; /* pre-existing cgroup: neither kill its processes nor remove it */
  const struct cg_hier *ph = procs_hier(cg);
  int rc = 0;
  if (!owns_procs(cg)) {
    /* Only some hierarchies are ours: remove those, kill nothing. */
    for (size_t i = 0; i < cg->nhier; i++)
      if (cg->hier[i].created > 0 && remove_hier(&cg->hier[i], true, err) < 0)
        rc = -1;
    return rc;
  }
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
        empty = cg->hier[i].created == 0 || dir_empty_of_procs(cg->hier[i].dir);
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

/* The cgroup's CFS quota (-1: none) and period now. */
static bool current_cpu_max(const uoci_cgroup *cg, int64_t *quota, uint64_t *period)
{
  if (cg->mode == CGROUP_MODE_V2) {
    const struct cg_hier *h = cg_unified(cg);
    _cleanup_free_ char *text = h ? cg_read(h, "cpu.max") : NULL;
    return cg_parse_cpu_max(text, quota, period) == 0;
  }
  const struct cg_hier *h = cg_hier_for(cg, CG_CPU);
  _cleanup_free_ char *q = h ? cg_read(h, "cpu.cfs_quota_us") : NULL;
  if (q == NULL || cg_read_u64(h, "cpu.cfs_period_us", period) < 0)
    return false;
  char *end;
  errno = 0;
  long long v = strtoll(q, &end, 10);
  if (errno || end == q)
    return false;
  *quota = v < 0 ? -1 : v;
  return true;
}

/* An update that gives only one of cpu.quota and cpu.period keeps the other
 * as it is (runc applies the container's whole config, the old value with
 * the new). On v2 both are one file, cpu.max, where a period alone would
 * reset the quota to max; systemd computes the quota from CPUQuotaPerSecUSec
 * and the unit's period, so a quota alone needs the period it goes with.
 * The completed pair goes in *cpu (a shallow copy), r in *copy. */
static const ocispec_resources *complete_cpu_pair(const uoci_cgroup *cg, const ocispec_resources *r,
                                                  ocispec_resources *copy, ocispec_cpu *cpu)
{
  const ocispec_cpu *c = r ? r->cpu : NULL;
  if (c == NULL || (cg->mode != CGROUP_MODE_V2 && !cg->systemd))
    return r;
  bool quota = c->has_quota && c->quota != 0, period = c->has_period && c->period != 0;
  int64_t q;
  uint64_t p;
  if (quota == period || !current_cpu_max(cg, &q, &p))
    return r;
  *copy = *r;
  *cpu = *c;
  copy->cpu = cpu;
  if (quota)
    cpu->period = p, cpu->has_period = true;
  else
    cpu->quota = q, cpu->has_quota = true;
  return copy;
}

int cgroup_update(uoci_cgroup *cg, const ocispec_resources *r, uoci_error **err)
{
  if (cg_validate_resources(r, cg->mode, err) < 0)
    return -1;
  warn_unapplied(r, cg->mode);
  ocispec_resources copy;
  ocispec_cpu cpu;
  r = complete_cpu_pair(cg, r, &copy, &cpu);
  /* The files first: the kernel checks the new values (and we memory below
   * the usage, checkBeforeUpdate) before systemd is asked, and systemd takes
   * all of SetUnitProperties or nothing (it checks every property before it
   * applies one). Whatever fails, a file the kernel refuses halfway or a
   * value systemd refuses, the files written are put back as they were, so
   * a failed update changes nothing (runc leaves what it wrote). */
  cg_undo_begin();
  int rc = apply_resources(cg, r, true, err);
  if (rc == 0 && cg->systemd)
    rc = cg_systemd_update(cg, r, err);
  if (rc == 0) {
    cg_undo_end();
    return 0;
  }
  _cleanup_free_ char *first = NULL;
  size_t failed = cg_undo_rollback(&first);
  if (failed)
    log_warn("update failed, and %zu cgroup file%s could not be put back as %s was (%s first)", failed,
             failed == 1 ? "" : "s", failed == 1 ? "it" : "they", first);
  return -1;
}

int cgroup_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err)
{
  const struct cg_hier *h = cg->mode == CGROUP_MODE_V2 ? cg_unified(cg) : cg_hier_for(cg, CG_FREEZER);
  if (h == NULL && (cg->denied & CG_BIT(CG_FREEZER)))
    return fail_denied(cg, frozen ? "cannot pause" : "cannot resume", CG_FREEZER, err);
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
  if (h == NULL && cg->denied)
    return fail_denied(cg, "cannot list the container's processes", -1, err);
  if (h == NULL)
    return 0;
  if (collect_pids(h->dir, pids, n, &cap) < 0)
    return uoci_fail(err, errno, "cgroup: read %s/cgroup.procs", h->dir);
  if (*n > 1) /* an empty cgroup leaves *pids NULL, which qsort must not get */
    qsort(*pids, *n, sizeof **pids, cmp_pid);
  return 0;
}

/* The first directory of `cg` (in the freezer's hierarchy only, with
 * `freezer_only`) the container did not make, or NULL. */
static const char *shared_dir(const uoci_cgroup *cg, bool freezer_only)
{
  if (cg->systemd)
    return NULL;
  if (freezer_only) {
    const struct cg_hier *h = cg->mode == CGROUP_MODE_V2 ? cg_unified(cg) : cg_hier_for(cg, CG_FREEZER);
    return h && h->created == 0 ? h->dir : NULL;
  }
  for (size_t i = 0; i < cg->nhier; i++)
    if (cg->hier[i].created == 0)
      return cg->hier[i].dir;
  return NULL;
}

int cgroup_refuse_shared(const uoci_cgroup *cg, bool freezer_only, const char *verb, const char *id, uoci_error **err)
{
  const char *dir = shared_dir(cg, freezer_only);
  if (dir == NULL)
    return 0;
  return uoci_fail(err, 0, "cannot %s container \"%s\": its cgroup %s existed before it (linux.cgroupsPath) and may "
                   "hold other processes", verb, id, dir);
}

/* The inode of /proc/PID/ns/pid, 0 when the process is gone. */
static ino_t pidns_of(pid_t pid)
{
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/%d/ns/pid", (int) pid);
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

int cgroup_container_pids(const uoci_cgroup *cg, pid_t init, pid_t **pids, size_t *n, uoci_error **err)
{
  if (cgroup_pids(cg, pids, n, err) < 0)
    return -1;
  if (owns_procs(cg))
    return 0;
  ino_t ns = init > 0 ? pidns_of(init) : 0;
  size_t k = 0;
  for (size_t i = 0; i < *n; i++)
    if (ns != 0 && pidns_of((*pids)[i]) == ns)
      (*pids)[k++] = (*pids)[i];
  *n = k;
  return 0;
}

int cgroup_stats_json(const uoci_cgroup *cg, char **json, uoci_error **err)
{
  if (cg->nhier == 0 && cg->denied)
    return fail_denied(cg, "cannot read the container's statistics", -1, err);
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

uint64_t cgroup_oom_kills(const uoci_cgroup *cg)
{
  uint64_t n = 0;
  if (cg->mode == CGROUP_MODE_V2)
    cg_v2_oom_kills(cg, &n);
  else
    cg_v1_oom_kills(cg, &n);
  return n;
}

bool cgroup_oom_happened(const uoci_cgroup *cg, uint64_t *kills)
{
  /* v2's inotify fires on any change of memory.events: count kills.
   * v1's eventfd is an OOM itself (also under disableOOMKiller). */
  uint64_t now = cgroup_oom_kills(cg);
  bool oom = cg->mode != CGROUP_MODE_V2 || now > *kills;
  *kills = now > *kills ? now : *kills;
  return oom;
}

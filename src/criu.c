/* SPDX-License-Identifier: GPL-2.0-or-later */
/* criu.c - see criu.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "criu.h"
#include "keyring.h"
#include "log.h"
#include "mountopt.h"
#include "utils.h"

int cr_parse_cgroups_mode(const char *s, enum cr_cgroups_mode *mode, uoci_error **err)
{
  static const struct { const char *name; enum cr_cgroups_mode mode; } modes[] = {
    { "", CR_CG_DEFAULT },     { "soft", CR_CG_SOFT },     { "full", CR_CG_FULL },
    { "strict", CR_CG_STRICT }, { "ignore", CR_CG_IGNORE },
  };
  for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
    if (strcmp(s, modes[i].name) == 0) {
      *mode = modes[i].mode;
      return 0;
    }
  return uoci_fail(err, 0, "--manage-cgroups-mode: expected soft, full, strict or ignore, got \"%s\"", s);
}

int cr_parse_empty_ns(const char *s, int *mask, uoci_error **err)
{
  /* runc knows only this one: CRIU restores every other kind whole. */
  if (strcmp(s, "network") != 0)
    return uoci_fail(err, 0, "--empty-ns: namespace \"%s\" is not supported (only network)", s);
  *mask |= CLONE_NEWNET;
  return 0;
}

#ifndef HAVE_CRIU

bool cr_built_in(void) { return false; }

int cr_supported(uoci_error **err)
{
  return uoci_fail(err, 0, "this ulysses-oci was built without CRIU support (install the Debian packages criu "
                           "and libprotobuf-c-dev, then run configure and make again)");
}

static int not_built(uoci_error **err) { return cr_supported(err); }

int cr_dump(const struct cr_dump_target *t, const struct cr_options *o, uoci_error **err)
{
  (void) t, (void) o;
  return not_built(err);
}

int cr_dump_check(const struct cr_dump_target *t, const char *id, uoci_error **err)
{
  (void) t, (void) id;
  return not_built(err);
}

int cr_restore_check(const ocispec_config *cfg, const struct cr_options *o, uoci_error **err)
{
  (void) cfg, (void) o;
  return not_built(err);
}

int cr_restore(const struct cr_restore_target *t, const struct cr_options *o, pid_t *pid, int *master,
               uoci_error **err)
{
  (void) t, (void) o, (void) pid, (void) master;
  return not_built(err);
}

#else /* HAVE_CRIU */

#include <dlfcn.h>
#include <inttypes.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <criu/criu.h>
#include <dirent.h>
#include "cni/jsondepth.h"
#include "pathsafe.h"
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"

bool cr_built_in(void) { return true; }

int cr_supported(uoci_error **err)
{
  (void) err;
  return 0;
}

/* criu 3.15: external pid namespaces; the freezer of cgroup v2 needs 3.14,
 * external network namespaces 3.11. */
#define CRIU_MIN_VERSION 31500
#define DESCRIPTORS_FILE "descriptors.json"
#define DESCRIPTORS_MAX (1 << 20) /* CRIU writes three short strings */
/* The keys runc and crun use for external namespaces, so an image made by
 * one runtime names them the same way for the others. */
#define EXT_NETNS_KEY "extRootNetNS"
#define EXT_PIDNS_KEY "extRootPidNS"

/* ---- libcriu, loaded on demand ------------------------------------------- */

#define LIBCRIU_FUNCS(X)                                                                            \
  X(local_init_opts) X(local_free_opts) X(local_set_service_binary) X(local_check_version)          \
  X(local_feature_check) X(local_set_pid) X(local_set_images_dir_fd) X(local_set_parent_images)      \
  X(local_set_work_dir_fd) X(local_set_leave_running) X(local_set_ext_unix_sk)                       \
  X(local_set_tcp_established) X(local_set_shell_job) X(local_set_orphan_pts_master)                 \
  X(local_set_file_locks) X(local_set_track_mem) X(local_set_auto_dedup) X(local_set_log_level)      \
  X(local_set_log_file) X(local_set_root) X(local_set_manage_cgroups) X(local_set_manage_cgroups_mode) \
  X(local_set_freeze_cgroup) X(local_set_lsm_profile) X(local_set_lsm_mount_context)                \
  X(local_add_ext_mount) X(local_add_cg_root) X(local_add_inherit_fd) X(local_add_external)          \
  X(local_join_ns_add) X(local_set_notify_cb) X(local_dump) X(local_pre_dump) X(local_restore_child) \
  X(notify_pid) X(get_orphan_pts_master_fd)

struct libcriu {
  void *lib;
#define FIELD(name) __typeof__(criu_##name) *name;
  LIBCRIU_FUNCS(FIELD)
#undef FIELD
  /* libcriu >= 4.0 only: see set_empty_ns */
  void (*local_set_empty_ns)(criu_opts *opts, int namespaces);
};

static struct libcriu lc;

static int load_libcriu(uoci_error **err)
{
  if (lc.lib)
    return 0;
  void *lib = dlopen("libcriu.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL)
    return uoci_fail(err, 0, "CRIU is not installed: cannot load libcriu.so.2 (apt-get install criu)");
#define LOAD(name)                                                                                 \
  if ((*(void **) &lc.name = dlsym(lib, "criu_" #name)) == NULL) {                                \
    dlclose(lib);                                                                                  \
    return uoci_fail(err, 0, "libcriu.so.2 lacks criu_%s: CRIU %d.%d or newer is needed", #name,    \
                     CRIU_MIN_VERSION / 10000, CRIU_MIN_VERSION / 100 % 100);                      \
  }
  LIBCRIU_FUNCS(LOAD)
#undef LOAD
  *(void **) &lc.local_set_empty_ns = dlsym(lib, "criu_local_set_empty_ns");
  lc.lib = lib;
  return 0;
}

/* libcriu before 4.0 has no setter for the RPC's empty_ns; its criu_opts
 * has always begun with the pointer to the RPC options it sends. */
static void set_empty_ns(criu_opts *opts, int mask)
{
  if (lc.local_set_empty_ns) {
    lc.local_set_empty_ns(opts, mask);
    return;
  }
  CriuOpts *rpc = *(CriuOpts **) opts;
  rpc->has_empty_ns = true;
  rpc->empty_ns = (uint32_t) mask;
}

static bool is_executable(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The criu binary: --criu, else the first "criu" on PATH, else where Debian
 * puts it (an engine may call us with a PATH without sbin). Checked here so
 * a missing binary is one clear line, not libcriu's perror. */
static char *find_criu(const char *wanted, uoci_error **err)
{
  if (wanted && strchr(wanted, '/')) {
    if (!is_executable(wanted))
      return uoci_fail(err, errno ? errno : EACCES, "--criu %s", wanted), NULL;
    return xstrdup(wanted);
  }
  const char *name = wanted && *wanted ? wanted : "criu";
  const char *path = getenv("PATH");
  _cleanup_free_ char *dirs = xasprintf("%s:/usr/local/sbin:/usr/sbin:/sbin", path ? path : "");
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    _cleanup_free_ char *p = xasprintf("%s/%s", *d ? d : ".", name);
    if (is_executable(p))
      return steal_ptr(p);
  }
  if (wanted && *wanted)
    uoci_fail(err, 0, "--criu %s: not found in PATH or /usr/sbin", wanted);
  else
    uoci_fail(err, 0, "CRIU is not installed: no criu in PATH or /usr/sbin (apt-get install criu)");
  return NULL;
}

static void free_opts(criu_opts **opts)
{
  if (*opts)
    lc.local_free_opts(*opts);
  *opts = NULL;
}
#define _cleanup_criu_opts_ __attribute__((cleanup(free_opts)))

/* Load libcriu, find criu, check its version (runs it: skipped where that
 * was done already); a new criu_opts in *out. */
static int criu_open(const struct cr_options *o, bool check_version, criu_opts **out, uoci_error **err)
{
  if (geteuid() != 0)
    return uoci_fail(err, 0, "CRIU needs root (it is not usable by an unprivileged runtime)");
  if (load_libcriu(err) < 0)
    return -1;
  _cleanup_free_ char *bin = find_criu(o->criu, err);
  if (bin == NULL)
    return -1;
  criu_opts *opts = NULL;
  if (lc.local_init_opts(&opts) < 0 || opts == NULL)
    return uoci_fail(err, ENOMEM, "CRIU: init options");
  if (lc.local_set_service_binary(opts, bin) < 0) {
    lc.local_free_opts(opts);
    return uoci_fail(err, ENOMEM, "CRIU: set the binary");
  }
  int r = check_version ? lc.local_check_version(opts, CRIU_MIN_VERSION) : 1;
  if (r != 1) {
    lc.local_free_opts(opts);
    if (r == 0)
      return uoci_fail(err, 0, "CRIU %s is too old: %d.%d or newer is needed", bin, CRIU_MIN_VERSION / 10000,
                       CRIU_MIN_VERSION / 100 % 100);
    return uoci_fail(err, r < 0 ? -r : 0, "CRIU: cannot run %s", bin);
  }
  *out = opts;
  return 0;
}

/* ---- what the runtime knows about the container's mounts ----------------- */

/* A mount destination as CRIU sees it in the container's mountinfo: resolved
 * inside the rootfs (a symlink on the way is followed there, never out of
 * it), relative to the rootfs. A path that does not exist yet stays as given. */
static char *dest_in_root(int rootfd, const char *rootfs, const char *dest)
{
  _cleanup_free_ char *clean = path_clean(dest);
  _cleanup_close_ int fd = in_root_open(rootfd, clean, O_PATH, 0);
  if (fd < 0)
    return steal_ptr(clean);
  char link[64], real[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, real, sizeof real - 1);
  size_t rl = strlen(rootfs);
  if (n <= 0)
    return steal_ptr(clean);
  real[n] = '\0';
  if (strncmp(real, rootfs, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
    return steal_ptr(clean);
  return xstrdup(real[rl] ? real + rl : "/");
}

static bool has_namespace(const ocispec_config *cfg, const char *type, const char **path)
{
  const ocispec_linux *l = cfg->linux;
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    if (l->namespaces[i].type && strcmp(l->namespaces[i].type, type) == 0) {
      if (path)
        *path = l->namespaces[i].path && *l->namespaces[i].path ? l->namespaces[i].path : NULL;
      return true;
    }
  return false;
}

static bool is_cgroup_mount(const ocispec_mount *m)
{
  return m->type && strcmp(m->type, "cgroup") == 0 && !mount_is_bind(m);
}

static bool same_file(const char *a, const char *b)
{
  struct stat x, y;
  return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

/* The container's cgroup namespace as create made it (container.c,
 * own_cgroupns): the runtime's (none in the config, or the runtime's own
 * joined by path: /sys/fs/cgroup binds the container's cgroup), a new one,
 * or another's joined by path (`*path`; also one that no longer exists). */
enum cgroupns_kind { CGNS_RUNTIME, CGNS_NEW, CGNS_JOINED };
static enum cgroupns_kind cgroupns_of(const ocispec_config *cfg, const char **path)
{
  const char *p = NULL;
  if (!has_namespace(cfg, "cgroup", &p))
    return CGNS_RUNTIME;
  if (p == NULL)
    return CGNS_NEW;
  if (same_file(p, "/proc/self/ns/cgroup"))
    return CGNS_RUNTIME;
  if (path)
    *path = p;
  return CGNS_JOINED;
}

/* Does the container join a user namespace by path other than the
 * runtime's own (`*path`)? CRIU cannot join one again (cr_dump_check,
 * cr_restore_check). */
static bool joins_other_userns(const ocispec_config *cfg, const char **path)
{
  const char *p = NULL;
  if (!has_namespace(cfg, "user", &p) || p == NULL || same_file(p, "/proc/self/ns/user"))
    return false;
  *path = p;
  return true;
}

static int add_ext_mount(criu_opts *opts, const char *key, const char *val, uoci_error **err)
{
  log_debug("CRIU external mount %s: %s", key, val);
  int r = lc.local_add_ext_mount(opts, key, val);
  if (r < 0)
    return uoci_fail(err, -r, "CRIU: external mount %s", key);
  return 0;
}

/* For rootfs_cgroup_binds at dump: the mount point names itself. */
static int ext_mount_self(void *arg, const char *target, const char *host, uoci_error **err)
{
  (void) host;
  return add_ext_mount(arg, target, target, err);
}

/* At restore: the bind comes from the new container's cgroup directory. */
static int ext_mount_host(void *arg, const char *target, const char *host, uoci_error **err)
{
  return add_ext_mount(arg, target, host, err);
}

static bool is_null_device(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

/* The mounts that come from outside the container: CRIU records them by
 * mount point (key) and binds them in again at restore (value). The same
 * keys both ways:
 *   config bind mounts      dump: itself     restore: the source
 *   masked files            dump: itself     restore: the host's /dev/null
 *   devices bound in        dump: itself     restore: the host's node
 *   cgroup binds            dump: itself     restore: the new cgroup's dir
 * A key that is not an external mount of this container is never looked up
 * (masks of directories are a tmpfs CRIU dumps, nodes made by mknod are no
 * mounts at all). `bundle` is NULL at dump. */
static int add_external_mounts(criu_opts *opts, const ocispec_config *cfg, const char *rootfs, const char *bundle,
                               pid_t pid, uoci_error **err)
{
  static const char *const default_devices[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                                 "/dev/urandom", "/dev/tty" };
  bool restore = bundle != NULL;
  _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return uoci_fail(err, errno, "rootfs %s", rootfs);
  bool cgroupns = cgroupns_of(cfg, NULL) != CGNS_RUNTIME;
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    if (m->destination == NULL)
      continue;
    if (is_cgroup_mount(m)) {
      if (!cgroupns && rootfs_cgroup_binds(m->destination, restore ? ext_mount_host : ext_mount_self, opts, err) < 0)
        return -1;
      continue;
    }
    if (!mount_is_bind(m) || m->source == NULL)
      continue;
    _cleanup_free_ char *key = dest_in_root(rootfd, rootfs, m->destination);
    _cleanup_free_ char *src = m->source[0] == '/' || !restore ? xstrdup(m->source)
                                                              : xasprintf("%s/%s", bundle, m->source);
    if (add_ext_mount(opts, key, restore ? src : key, err) < 0)
      return -1;
  }
  const ocispec_linux *l = cfg->linux;
  /* At dump, the container's root as it sees it (its mounts), for the masks */
  _cleanup_free_ char *live = restore ? NULL : xasprintf("/proc/%d/root", (int) pid);
  _cleanup_close_ int livefd = live ? open(live, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  for (size_t i = 0; l && i < l->masked_paths_len; i++) {
    /* Only masks that bind /dev/null over a file; at dump, as the container
     * sees them now. */
    if (!restore) {
      struct stat st;
      _cleanup_close_ int fd = livefd < 0 ? -1 : in_root_open(livefd, l->masked_paths[i], O_PATH, 0);
      if (fd < 0 || fstat(fd, &st) < 0 || !is_null_device(&st))
        continue;
    }
    _cleanup_free_ char *key = path_clean(l->masked_paths[i]);
    if (add_ext_mount(opts, key, restore ? "/dev/null" : key, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
    if (add_ext_mount(opts, default_devices[i], default_devices[i], err) < 0)
      return -1;
  for (size_t i = 0; l && i < l->devices_len; i++) {
    if (l->devices[i].path == NULL)
      continue;
    _cleanup_free_ char *key = path_clean(l->devices[i].path);
    if (add_ext_mount(opts, key, key, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- logs ---------------------------------------------------------------- */

/* The first "Error" line of a CRIU log (the cause; what follows are its
 * consequences), without its timestamp and source position:
 * "(00.012) Error (criu/mount.c:1234): mnt: ..." -> "mnt: ...". */
static char *first_log_error(int dirfd, const char *log)
{
  _cleanup_free_ char *text = NULL;
  uoci_error *ignored = NULL;
  if (read_file_at(dirfd, log, &text, NULL, &ignored) < 0) {
    uoci_error_free(ignored);
    return NULL;
  }
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    char *e = strstr(line, "Error (");
    /* Not the probes of kernel features (a helper's exit status, tun),
     * which CRIU logs as errors and goes on. */
    if (e && !strstr(e, "(criu/util.c:") && !strstr(e, "(criu/tun.c:")) {
      char *msg = strstr(e, "): ");
      return xstrdup(msg ? msg + 3 : e);
    }
    line = nl ? nl + 1 : NULL;
  }
  return NULL;
}

static int criu_failed(int r, const char *what, int logdir, const char *logdir_path, const char *log,
                       uoci_error **err)
{
  _cleanup_free_ char *cause = first_log_error(logdir, log);
  if (cause)
    return uoci_fail(err, 0, "CRIU %s failed: %s (see %s/%s)", what, cause, logdir_path, log);
  if (r == -ECONNREFUSED || r == -ECOMM)
    return uoci_fail(err, -r, "CRIU %s failed: lost the connection to criu (see %s/%s)", what, logdir_path, log);
  return uoci_fail(err, 0, "CRIU %s failed (status %d, see %s/%s)", what, r, logdir_path, log);
}

/* ---- options shared by dump and restore ----------------------------------- */

static const enum criu_cg_mode cg_modes[] = {
  [CR_CG_DEFAULT] = CRIU_CG_MODE_DEFAULT, [CR_CG_SOFT] = CRIU_CG_MODE_SOFT, [CR_CG_FULL] = CRIU_CG_MODE_FULL,
  [CR_CG_STRICT] = CRIU_CG_MODE_STRICT,   [CR_CG_IGNORE] = CRIU_CG_MODE_IGNORE,
};

struct dirs {
  int image, work;     /* fds handed to CRIU; work == image when no --work-path */
  const char *work_path;
};

static void dirs_close(struct dirs *d)
{
  if (d->work >= 0 && d->work != d->image)
    close(d->work);
  if (d->image >= 0)
    close(d->image);
  d->image = d->work = -1;
}

/* mkdir: checkpoint makes its directories (as runc); restore needs them. */
static int open_dir(const char *path, bool make, const char *what, uoci_error **err)
{
  if (make && mkdir(path, 0700) < 0 && errno != EEXIST)
    return uoci_fail(err, errno, "%s %s", what, path);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "%s %s", what, path);
  return fd;
}

static int open_dirs(criu_opts *opts, const struct cr_options *o, bool make, struct dirs *d, uoci_error **err)
{
  d->image = d->work = -1;
  d->work_path = o->work_path && *o->work_path ? o->work_path : o->image_path;
  if ((d->image = open_dir(o->image_path, make, "image directory", err)) < 0)
    return -1;
  d->work = d->image;
  if (o->work_path && *o->work_path) {
    /* the work directory is made by restore too: it only holds logs */
    if ((d->work = open_dir(o->work_path, true, "work directory", err)) < 0) {
      d->work = -1;
      return -1;
    }
    lc.local_set_work_dir_fd(opts, d->work);
  }
  lc.local_set_images_dir_fd(opts, d->image);
  return 0;
}

/* CRIU opens its log and stats files by name in the work and image
 * directories, following links: an imported checkpoint carrying restore.log
 * as a link to a host file had CRIU's log written over that file. Both are
 * ours to rewrite, so whatever is there goes first. */
static int remove_old_outputs(const struct dirs *d, const char *log, const char *stats, uoci_error **err)
{
  if (unlinkat(d->work, log, 0) < 0 && errno != ENOENT)
    return uoci_fail(err, errno, "remove the old %s", log);
  if (unlinkat(d->image, stats, 0) < 0 && errno != ENOENT)
    return uoci_fail(err, errno, "remove the old %s", stats);
  return 0;
}

static void set_common(criu_opts *opts, const struct cr_options *o, int empty_ns, const char *log)
{
  lc.local_set_log_level(opts, 4);
  lc.local_set_log_file(opts, log);
  lc.local_set_tcp_established(opts, o->tcp_established);
  lc.local_set_ext_unix_sk(opts, o->ext_unix_sk);
  lc.local_set_shell_job(opts, o->shell_job);
  lc.local_set_file_locks(opts, o->file_locks);
  lc.local_set_auto_dedup(opts, o->auto_dedup);
  /* A terminal's master is held outside the container (conmon, the shim):
   * CRIU dumps the slave alone and makes a new pair at restore. */
  lc.local_set_orphan_pts_master(opts, true);
  lc.local_set_manage_cgroups(opts, true);
  lc.local_set_manage_cgroups_mode(opts, cg_modes[o->cgroups_mode]);
  if (empty_ns)
    set_empty_ns(opts, empty_ns);
}

/* ---- checkpoint --------------------------------------------------------------- */

/* A pty slave (Unix98 ptys: majors 136-143). */
static bool is_pts(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && major(st->st_rdev) >= 136 && major(st->st_rdev) <= 143;
}

/* CRIU's name of an external terminal (tty.c: "tty[RDEV:DEV]"). */
static char *tty_key(const struct stat *st)
{
  return xasprintf("tty[%" PRIx64 ":%" PRIx64 "]", (uint64_t) st->st_rdev, (uint64_t) st->st_dev);
}

/* descriptors.json, as runc and crun write it: where the init's stdio
 * pointed ("pipe:[123]", "/dev/null", ...), so restore hands its own pipes
 * in their place. A terminal outside the container (the container is a job
 * of the caller's shell) can't be dumped: with --shell-job it is an
 * external terminal for CRIU, written as its key, and restore hands its own
 * terminal in. */
static int write_descriptors(criu_opts *opts, int imagedir, pid_t pid, bool shell_job, uoci_error **err)
{
  _cleanup_free_ char *root = xasprintf("/proc/%d/root", (int) pid);
  _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int ptmx = rootfd < 0 ? -1 : in_root_open(rootfd, "/dev/pts/ptmx", O_PATH, 0);
  struct stat own_devpts;
  bool have_devpts = ptmx >= 0 && fstat(ptmx, &own_devpts) == 0;
  yajl_gen g = yajl_gen_alloc(NULL);
  yajl_gen_array_open(g);
  _cleanup_free_ char *last_key = NULL;
  int rc = 0;
  for (int fd = 0; fd < 3 && rc == 0; fd++) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int) pid, fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    _cleanup_free_ char *entry = xstrdup(target);
    struct stat st;
    if (stat(link, &st) == 0 && is_pts(&st) && !(have_devpts && st.st_dev == own_devpts.st_dev)) {
      if (!shell_job) {
        rc = uoci_fail(err, 0, "the container's fd %d is a terminal outside it (%s): it is a shell job, "
                               "checkpoint it with --shell-job", fd, target);
        break;
      }
      free(entry);
      entry = tty_key(&st);
      if (last_key == NULL || strcmp(last_key, entry) != 0) {
        int r = lc.local_add_external(opts, entry);
        if (r < 0)
          rc = uoci_fail(err, -r, "CRIU: external terminal %s", entry);
        free(last_key);
        last_key = xstrdup(entry);
      }
    }
    yajl_gen_string(g, (const unsigned char *) entry, strlen(entry));
  }
  yajl_gen_array_close(g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(g, &buf, &len);
  if (rc == 0 && write_file_atomic_at(imagedir, DESCRIPTORS_FILE, (const char *) buf, len, err) < 0)
    rc = uoci_error_prefix(err, "write %s", DESCRIPTORS_FILE);
  yajl_gen_free(g);
  return rc;
}

/* Namespaces the container joined by path: the network and pid ones are
 * CRIU's "external" namespaces, recorded by inode under runc's keys. */
static int add_external_namespaces(criu_opts *opts, const ocispec_config *cfg, uoci_error **err)
{
  static const struct { const char *type, *criu, *key; } ext[] = {
    { "network", "net", EXT_NETNS_KEY }, { "pid", "pid", EXT_PIDNS_KEY },
  };
  for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
    const char *path;
    if (!has_namespace(cfg, ext[i].type, &path) || path == NULL)
      continue;
    struct stat st;
    if (stat(path, &st) < 0)
      return uoci_fail(err, errno, "%s namespace %s", ext[i].type, path);
    _cleanup_free_ char *key = xasprintf("%s[%llu]:%s", ext[i].criu, (unsigned long long) st.st_ino, ext[i].key);
    int r = lc.local_add_external(opts, key);
    if (r < 0)
      return uoci_fail(err, -r, "CRIU: external namespace %s", key);
  }
  return 0;
}

/* The host gid that gid 0 of the user namespace of `pid` maps to; -1 for
 * the runtime's own namespace, or when 0 is not mapped. */
static gid_t userns_root_gid(pid_t pid)
{
  char ns[64], map[64];
  snprintf(ns, sizeof ns, "/proc/%d/ns/user", (int) pid);
  if (same_file(ns, "/proc/self/ns/user"))
    return (gid_t) -1;
  snprintf(map, sizeof map, "/proc/%d/gid_map", (int) pid);
  _cleanup_fclose_ FILE *f = fopen(map, "re");
  unsigned long inner, outer, count;
  while (f && fscanf(f, "%lu %lu %lu", &inner, &outer, &count) == 3)
    if (inner == 0 && count > 0)
      return (gid_t) outer;
  return (gid_t) -1;
}

/* At restore CRIU reads the images of a user namespace from inside it, as
 * that namespace's root (tty-info.img, the pages...). With the usual
 * mapping the host's root, who owns the files (0600), is no id there, and
 * the restore fails with EACCES. So the image directory and its files go
 * to the group of the namespace's root: readable by it, never writable (it
 * reads only what the container had). Symlinks (a pre-dump's parent) and
 * subdirectories are left alone. Called after the dump, which has ended the
 * processes: a failure here is a warning (the images are whole; a chgrp by
 * hand makes them restorable), never a checkpoint that failed half-way. */
static void share_images_with_userns(int imagedir, const char *path, gid_t gid)
{
  if (gid == (gid_t) -1)
    return;
  struct stat st;
  if (fstat(imagedir, &st) < 0 || fchown(imagedir, (uid_t) -1, gid) < 0 ||
      fchmod(imagedir, (st.st_mode | S_IRGRP | S_IXGRP) & ~(mode_t) (S_IWGRP | S_IFMT)) < 0) {
    log_warn("image directory %s: cannot give its group to the user namespace's root (gid %u), restore will "
             "not read it: %s", path, (unsigned) gid, strerror(errno));
    return;
  }
  int dfd = fcntl(imagedir, F_DUPFD_CLOEXEC, 3);
  DIR *dir = dfd < 0 ? NULL : fdopendir(dfd);
  if (dir == NULL) {
    log_warn("image directory %s: %s", path, strerror(errno));
    if (dfd >= 0)
      close(dfd);
    return;
  }
  for (struct dirent *e; (e = readdir(dir)) != NULL;) {
    if (fstatat(imagedir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
      continue;
    if (fchownat(imagedir, e->d_name, (uid_t) -1, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(imagedir, e->d_name, (st.st_mode | S_IRGRP) & ~(mode_t) (S_IWGRP | S_IFMT), 0) < 0) {
      log_warn("image %s/%s: cannot give its group to the user namespace's root (gid %u), restore will not read "
               "it: %s", path, e->d_name, (unsigned) gid, strerror(errno));
      break;
    }
  }
  closedir(dir);
}

static int check_parent_path(const struct cr_options *o, int imagedir, uoci_error **err)
{
  if (o->parent_path[0] == '/')
    return uoci_fail(err, 0, "--parent-path %s: must be relative to the image path", o->parent_path);
  struct stat st;
  if (fstatat(imagedir, o->parent_path, &st, 0) < 0)
    return uoci_fail(err, errno, "--parent-path %s/%s", o->image_path, o->parent_path);
  if (!S_ISDIR(st.st_mode))
    return uoci_fail(err, ENOTDIR, "--parent-path %s/%s", o->image_path, o->parent_path);
  return 0;
}

static int check_mem_track(criu_opts *opts, uoci_error **err)
{
  struct criu_feature_check features = { .mem_track = true };
  int r = lc.local_feature_check(opts, &features, sizeof features);
  if (r < 0)
    return uoci_fail(err, -r, "CRIU: feature check");
  if (!features.mem_track)
    return uoci_fail(err, 0, "--pre-dump and --parent-path need memory change tracking, which this kernel lacks");
  return 0;
}

int cr_dump(const struct cr_dump_target *t, const struct cr_options *o, uoci_error **err)
{
  _cleanup_criu_opts_ criu_opts *opts = NULL;
  if (criu_open(o, true, &opts, err) < 0)
    return -1;
  struct dirs d;
  int r = -1;
  if (open_dirs(opts, o, true, &d, err) < 0)
    goto out;
  const char *log = o->pre_dump ? "pre-dump.log" : "dump.log";
  if (remove_old_outputs(&d, log, "stats-dump", err) < 0)
    goto out;
  gid_t userns_gid = userns_root_gid(t->pid); /* read now: the dump ends the processes */
  set_common(opts, o, o->empty_ns, log);
  lc.local_set_pid(opts, t->pid);
  lc.local_set_leave_running(opts, o->leave_running);
  if (o->parent_path && *o->parent_path) {
    if (check_parent_path(o, d.image, err) < 0 || check_mem_track(opts, err) < 0)
      goto out;
    lc.local_set_parent_images(opts, o->parent_path);
    lc.local_set_track_mem(opts, true);
  }
  if (o->pre_dump) {
    if (check_mem_track(opts, err) < 0)
      goto out;
    lc.local_set_track_mem(opts, true);
    if ((r = lc.local_pre_dump(opts)) != 0)
      r = criu_failed(r, "pre-dump", d.work, d.work_path, log, err);
    else
      share_images_with_userns(d.image, o->image_path, userns_gid);
    goto out;
  }
  if (lc.local_set_root(opts, t->rootfs) < 0) {
    uoci_fail(err, ENOMEM, "CRIU: root");
    goto out;
  }
  if (t->freezer_dir && lc.local_set_freeze_cgroup(opts, t->freezer_dir) < 0) {
    uoci_fail(err, ENOMEM, "CRIU: freezer");
    goto out;
  }
  if (add_external_mounts(opts, t->cfg, t->rootfs, NULL, t->pid, err) < 0 ||
      add_external_namespaces(opts, t->cfg, err) < 0 || write_descriptors(opts, d.image, t->pid, o->shell_job, err) < 0)
    goto out;
  if ((r = lc.local_dump(opts)) != 0)
    r = criu_failed(r, "dump", d.work, d.work_path, log, err);
  else
    share_images_with_userns(d.image, o->image_path, userns_gid);
out:
  dirs_close(&d);
  return r < 0 ? -1 : 0;
}

/* ---- restore ----------------------------------------------------------------- */

/* The restore helper: a child of `restore`, attached to the container's
 * cgroup (so criu and every process it brings back start there, whatever
 * --manage-cgroups-mode), in a mount namespace of its own (the rootfs bound
 * onto itself, as CRIU wants its root to be a mount point, and temporary
 * binds for mount points: none of it reaches the host, and it all goes
 * away with the helper). It reports the restored init's pid, or the error. */
struct helper_report {
  int32_t pid;
  int32_t errnum;
  int32_t has_master;
  char msg[4096];
};

/* libcriu's notify callback takes no argument of ours. */
static struct restore_run {
  const struct cr_restore_target *t;
  uoci_error *err;
  int master;
} *current_run;

static int send_master(const char *socket_path, int master, uoci_error **err)
{
  _cleanup_close_ int sock = terminal_connect(socket_path, err);
  if (sock < 0)
    return -1;
  int r = sync_send_fd(sock, master, "console");
  if (r < 0)
    return uoci_fail(err, -r, "send the terminal to the console socket %s", socket_path);
  return 0;
}

static int restore_notify(char *action, criu_notify_arg_t na)
{
  struct restore_run *run = current_run;
  log_debug("CRIU restore: %s", action);
  if (strcmp(action, "setup-namespaces") == 0 && run->t->setup_namespaces)
    return run->t->setup_namespaces(run->t->arg, lc.notify_pid(na), &run->err) < 0 ? -1 : 0;
  if (strcmp(action, "orphan-pts-master") == 0) {
    int master = lc.get_orphan_pts_master_fd();
    if (master < 0)
      return uoci_fail(&run->err, 0, "CRIU sent no terminal master"), -1;
    fcntl(master, F_SETFD, FD_CLOEXEC);
    if (run->t->console_socket) {
      int r = send_master(run->t->console_socket, master, &run->err);
      close(master);
      return r;
    }
    if (run->t->keep_master && run->master < 0)
      run->master = master;
    else
      close(master);
  }
  return 0;
}

/* The container's cgroups as the helper sees them once placed: CRIU puts
 * the processes there (runc's cgroup roots: "cpu,cpuacct", "" for cgroup2). */
static int add_cgroup_roots(criu_opts *opts, uoci_error **err)
{
  _cleanup_free_ char *text = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL, err) < 0)
    return -1;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    const char *ctrls, *path;
    if (!proc_cgroup_split(line, &ctrls, &path))
      continue;
    log_debug("CRIU cgroup root %s: %s", ctrls, path);
    int r = lc.local_add_cg_root(opts, ctrls, path);
    if (r < 0)
      return uoci_fail(err, -r, "CRIU: cgroup root %s", path);
  }
  return 0;
}

/* Namespaces joined by path are joined again: network and pid as the
 * external namespaces of the dump (their fds inherited by criu, so not
 * close-on-exec), the others with CRIU's join-ns. */
static int join_namespaces(criu_opts *opts, const ocispec_config *cfg, uoci_error **err)
{
  static const struct { const char *type, *criu, *inherit_key; } kinds[] = {
    { "network", "net", EXT_NETNS_KEY }, { "pid", "pid", EXT_PIDNS_KEY }, { "ipc", "ipc", NULL },
    { "uts", "uts", NULL }, { "time", "time", NULL }, { "user", "user", NULL }, { "mount", "mnt", NULL },
  };
  const ocispec_linux *l = cfg->linux;
  for (size_t i = 0; l && i < l->namespaces_len; i++) {
    const ocispec_namespace *ns = &l->namespaces[i];
    if (ns->path == NULL || *ns->path == '\0')
      continue;
    if (strcmp(ns->type, "cgroup") == 0 && cgroupns_of(cfg, NULL) == CGNS_RUNTIME)
      continue; /* the runtime's own: criu and what it restores are in it */
    size_t k = 0;
    while (k < ARRAY_SIZE(kinds) && strcmp(kinds[k].type, ns->type) != 0)
      k++;
    if (k == ARRAY_SIZE(kinds))
      return uoci_fail(err, 0, "restore: CRIU cannot join an existing %s namespace (%s)", ns->type, ns->path);
    int r;
    if (kinds[k].inherit_key) {
      int fd = open(ns->path, O_RDONLY); /* inherited by criu: no O_CLOEXEC; the helper exits after */
      if (fd < 0)
        return uoci_fail(err, errno, "%s namespace %s", ns->type, ns->path);
      r = lc.local_add_inherit_fd(opts, fd, kinds[k].inherit_key);
    } else {
      r = lc.local_join_ns_add(opts, kinds[k].criu, ns->path, NULL);
    }
    if (r < 0)
      return uoci_fail(err, -r, "CRIU: join the %s namespace %s", ns->type, ns->path);
  }
  return 0;
}

/* descriptors.json: stdio that was a pipe is replaced by ours (what the
 * caller of restore gave us, e.g. conmon's pipes), an external terminal
 * (shell job) by our terminal. Missing: nothing to do. */
static int inherit_stdio(criu_opts *opts, int imagedir, uoci_error **err)
{
  _cleanup_free_ char *text = NULL;
  uoci_error *e = NULL;
  /* The image directory may come from elsewhere (an imported checkpoint):
   * a regular file of a bounded size, nested no deeper than any document
   * CRIU writes. A FIFO there hung restore, a million nested arrays crashed
   * its helper (yajl_tree_free recurses per level). */
  if (read_regular_file_at(imagedir, DESCRIPTORS_FILE, DESCRIPTORS_MAX, &text, NULL, &e) < 0) {
    bool missing = e->errnum == ENOENT;
    if (missing) {
      uoci_error_free(e);
      return 0;
    }
    *err = e;
    return -1;
  }
  char errbuf[256];
  yajl_val doc = json_tree_parse(text, errbuf, sizeof errbuf);
  if (doc == NULL || !YAJL_IS_ARRAY(doc)) {
    yajl_tree_free(doc);
    return uoci_fail(err, 0, "%s: not a JSON array", DESCRIPTORS_FILE);
  }
  int rc = 0;
  const char *last_tty = NULL;
  for (size_t i = 0; i < doc->u.array.len && i < 3 && rc == 0; i++) {
    const char *s = YAJL_GET_STRING(doc->u.array.values[i]);
    bool tty = s && strncmp(s, "tty[", 4) == 0;
    if (tty && !isatty((int) i)) {
      rc = uoci_fail(err, 0, "the checkpoint's fd %zu is a terminal (a shell job): restore needs one as its fd %zu", i, i);
      break;
    }
    if (tty && last_tty && strcmp(last_tty, s) == 0)
      continue; /* the same terminal: CRIU takes one fd per key */
    if (tty)
      last_tty = s;
    if (tty || (s && strncmp(s, "pipe:", 5) == 0)) {
      /* Handed in as a copy (the helper exits after, so no close-on-exec):
       * CRIU moves inherited fds away, and with --shell-job it needs its
       * own stdin still open. */
      int copy = fcntl((int) i, F_DUPFD, 3);
      int r = copy < 0 ? -errno : lc.local_add_inherit_fd(opts, copy, s);
      if (r < 0)
        rc = uoci_fail(err, -r, "CRIU: inherit fd %zu", i);
    }
  }
  yajl_tree_free(doc);
  return rc;
}

/* In the helper: the rootfs as a mount point, with the mount points the
 * config's mounts need. */
static int prepare_root(const struct cr_restore_target *t, uoci_error **err)
{
  if (unshare(CLONE_NEWNS) < 0)
    return uoci_fail(err, errno, "restore: new mount namespace");
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return uoci_fail(err, errno, "restore: make / rslave");
  _cleanup_close_ int dir = open(t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return uoci_fail(err, errno, "rootfs %s", t->rootfs);
  _cleanup_close_ int tree = open_tree(dir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0 || move_mount(tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return uoci_fail(err, errno, "restore: bind the rootfs %s onto itself", t->rootfs);
  return rootfs_prepare_mountpoints(t->cfg, t->bundle, tree, err);
}

static int helper_restore(const struct cr_restore_target *t, const struct cr_options *o, pid_t *pid,
                          uoci_error **err)
{
  _cleanup_criu_opts_ criu_opts *opts = NULL;
  /* criu was checked by cr_restore_check */
  if (criu_open(o, false, &opts, err) < 0 || prepare_root(t, err) < 0)
    return -1;
  struct dirs d;
  int r = -1;
  if (open_dirs(opts, o, false, &d, err) < 0)
    goto out;
  if (remove_old_outputs(&d, "restore.log", "stats-restore", err) < 0)
    goto out;
  set_common(opts, o, o->empty_ns, "restore.log");
  if (lc.local_set_root(opts, t->rootfs) < 0) {
    uoci_fail(err, ENOMEM, "CRIU: root");
    goto out;
  }
  if (o->lsm_profile && lc.local_set_lsm_profile(opts, o->lsm_profile) < 0) {
    uoci_fail(err, ENOMEM, "CRIU: --lsm-profile");
    goto out;
  }
  if (o->lsm_mount_context && lc.local_set_lsm_mount_context(opts, o->lsm_mount_context) < 0) {
    uoci_fail(err, ENOMEM, "CRIU: --lsm-mount-context");
    goto out;
  }
  if (add_external_mounts(opts, t->cfg, t->rootfs, t->bundle, 0, err) < 0 || join_namespaces(opts, t->cfg, err) < 0 ||
      add_cgroup_roots(opts, err) < 0 || inherit_stdio(opts, d.image, err) < 0)
    goto out;
  struct restore_run run = { .t = t, .master = -1 };
  current_run = &run;
  lc.local_set_notify_cb(opts, restore_notify);
  r = lc.local_restore_child(opts);
  current_run = NULL;
  if (r <= 0) {
    if (run.err) {
      *err = run.err;
      r = -1;
    } else {
      r = criu_failed(r ? r : -1, "restore", d.work, d.work_path, "restore.log", err);
    }
    goto out;
  }
  *pid = r;
  r = run.master; /* >= 0: a master to hand back */
  if (r < 0)
    r = 0;
out:
  dirs_close(&d);
  return r;
}

static void __attribute__((noreturn)) helper_main(int sock, const struct cr_restore_target *t,
                                                  const struct cr_options *o)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct helper_report rep = { 0 };
  char go;
  /* the runtime attaches us to the cgroup first */
  if (read(sock, &go, 1) != 1)
    _exit(1);
  uoci_error *err = NULL;
  pid_t pid = 0;
  /* criu and the processes it forks inherit our session keyring */
  int r = t->keyring ? keyring_create(t->keyring, has_namespace(t->cfg, "user", NULL), &err) : 0;
  if (r == 0)
    r = helper_restore(t, o, &pid, &err);
  if (r < 0) {
    rep.errnum = err ? err->errnum : 0;
    snprintf(rep.msg, sizeof rep.msg, "%s", err && err->msg ? err->msg : "restore failed");
  } else {
    rep.pid = pid;
    rep.has_master = r > 0;
  }
  if (send(sock, &rep, sizeof rep, MSG_NOSIGNAL) < 0 || (rep.has_master && sync_send_fd(sock, r, "console") < 0))
    _exit(1);
  _exit(0);
}

int cr_dump_check(const struct cr_dump_target *t, const char *id, uoci_error **err)
{
  /* CRIU has no join for a cgroup namespace. A user namespace joined by
   * path is dumped as the container's own, and CRIU 3.17 fails to join it
   * from the one it makes at restore ("Can't open ns file"). */
  const char *path = NULL, *kind = "cgroup";
  if (cgroupns_of(t->cfg, &path) != CGNS_JOINED) {
    kind = "user";
    if (!joins_other_userns(t->cfg, &path))
      return 0;
  }
  return uoci_fail(err, 0, "cannot checkpoint container \"%s\": it joined the %s namespace %s, which CRIU cannot join "
                           "again at restore", id, kind, path);
}

int cr_restore_check(const ocispec_config *cfg, const struct cr_options *o, uoci_error **err)
{
  const char *path = NULL;
  if (cgroupns_of(cfg, &path) == CGNS_JOINED)
    return uoci_fail(err, 0, "restore: CRIU cannot join an existing cgroup namespace (%s)", path);
  /* CRIU 3.17 asked to join a user namespace by path (join-ns user:PATH)
   * fails midway, once the cgroup, the helper and criu's own processes
   * exist ("Unable to open the proc file system: Operation not permitted",
   * checkpoint of a container without one, restored into another
   * container's; the guest's 6.1 kernel). Refused first, as a dump of a
   * container that joined one (cr_dump_check). */
  if (joins_other_userns(cfg, &path))
    return uoci_fail(err, 0, "restore: CRIU cannot join an existing user namespace (%s)", path);
  _cleanup_close_ int imagedir = open(o->image_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (imagedir < 0)
    return uoci_fail(err, errno, "image directory %s", o->image_path);
  if (faccessat(imagedir, "inventory.img", F_OK, 0) < 0)
    return uoci_fail(err, 0, "image directory %s: no checkpoint there (inventory.img: %s)", o->image_path,
                     strerror(errno));
  _cleanup_criu_opts_ criu_opts *probe = NULL;
  return criu_open(o, true, &probe, err);
}

int cr_restore(const struct cr_restore_target *t, const struct cr_options *o, pid_t *pid, int *master,
               uoci_error **err)
{
  *pid = 0;
  *master = -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "socketpair");
  fflush(NULL);
  pid_t helper = fork();
  if (helper < 0) {
    close(sv[0]);
    close(sv[1]);
    return uoci_fail(err, errno, "fork the restore helper");
  }
  if (helper == 0) {
    close(sv[0]);
    helper_main(sv[1], t, o);
  }
  close(sv[1]);
  _cleanup_close_ int sock = sv[0];
  int rc = -1;
  if (t->cg && cgroup_attach_pid(t->cg, helper, false, err) < 0)
    goto out;
  if (write(sock, "g", 1) != 1) {
    uoci_fail(err, errno, "start the restore helper");
    goto out;
  }
  struct helper_report rep;
  ssize_t n;
  do
    n = recv(sock, &rep, sizeof rep, 0);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t) sizeof rep) {
    uoci_fail(err, n < 0 ? errno : 0, "the restore helper died");
    goto out;
  }
  rep.msg[sizeof rep.msg - 1] = '\0';
  if (rep.pid <= 0) {
    uoci_fail(err, 0, "%s", rep.msg);
    goto out;
  }
  if (rep.has_master && (*master = sync_recv_fd(sock)) < 0) {
    uoci_fail(err, -*master, "receive the terminal from the restore helper");
    *master = -1;
    goto out;
  }
  *pid = rep.pid;
  rc = 0;
out:
  if (rc < 0)
    kill(helper, SIGKILL);
  while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
    ;
  return rc;
}

#endif /* HAVE_CRIU */

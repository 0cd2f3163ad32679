/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.c - the container's filesystem: propagation, the rootfs bind, the
 * config mounts and /dev (mounts.c, devices.c), pivot_root, then maskedPaths,
 * readonlyPaths and root.readonly. See rootfs.h for the call order. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "mounts.h"
#include "pathsafe.h"
#include "rootfs.h"
#include "utils.h"

static int parse_rootfs_propagation(const struct rootfs_ctx *ctx, unsigned long *flags, uoci_error **err)
{
  const char *name = ctx->config->linux ? ctx->config->linux->rootfs_propagation : NULL;
  *flags = 0;
  if (name == NULL || name[0] == '\0')
    return 0;
  *flags = propagation_from_name(name);
  if (*flags == 0)
    return uoci_fail(err, 0, "linux.rootfsPropagation: unknown value \"%s\"", name);
  return 0;
}

/* If the mount holding the rootfs is shared, make it private: the rootfs
 * bind must not propagate back to the host, and pivot_root refuses a shared
 * parent. (In a new user namespace the kernel already made the copies of
 * shared mounts slaves.) */
static int make_rootfs_parent_private(int rootfs_fd, uoci_error **err)
{
  uint64_t id = fd_mount_id(rootfs_fd);
  struct mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < mi.len; i++) {
    if ((uint64_t) mi.e[i].id != id)
      continue;
    if (strstr(mi.e[i].optional, "shared:") && mount(NULL, mi.e[i].mount_point, NULL, MS_PRIVATE, NULL) < 0)
      rc = uoci_fail(err, errno, "make %s private", mi.e[i].mount_point);
    break;
  }
  mountinfo_free(&mi);
  return rc;
}

/* The rootfs bound onto itself (pivot_root needs a mount point), by fd.
 * Returns the O_PATH fd of the new mount. */
static int bind_rootfs_onto_itself(const struct rootfs_ctx *ctx, bool none_shared, uoci_error **err)
{
  _cleanup_close_ int dir = ctx->rootfs_fd >= 0 ? fcntl(ctx->rootfs_fd, F_DUPFD_CLOEXEC, 3)
                                                : open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return uoci_fail(err, errno, "rootfs %s", ctx->rootfs);
  if (!none_shared && make_rootfs_parent_private(dir, err) < 0)
    return -1;
  _cleanup_free_ char *what = xasprintf("bind mount rootfs %s", ctx->rootfs);
  _cleanup_close_ int tree = bind_create_detached(dir, "", true, what, err);
  if (tree < 0)
    return -1;
  if (move_mount(tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return uoci_fail(err, errno, "%s", what);
  return steal_fd(tree);
}

int rootfs_setup(const struct rootfs_ctx *ctx, uoci_error **err)
{
  unsigned long propagation;
  if (parse_rootfs_propagation(ctx, &propagation, err) < 0)
    return -1;
  /* Nothing we mount may reach the host: rslave unless the config says
   * otherwise (runc's default; crun uses rprivate). */
  unsigned long root_flags = propagation ? propagation : MS_SLAVE | MS_REC;
  /* An unbindable / could not be bound onto itself: private until
   * rootfs_finalize applies the requested propagation. */
  if (propagation & MS_UNBINDABLE)
    root_flags = MS_PRIVATE | MS_REC;
  if (mount(NULL, "/", NULL, root_flags, NULL) < 0)
    return uoci_fail(err, errno, "set propagation of /");
  /* After a recursive slave or private on "/" no mount of this namespace is
   * shared any more (a shared mount made a slave stops being shared): the
   * search of mountinfo for a shared parent of the rootfs would find none. */
  bool none_shared = (root_flags & MS_REC) && (root_flags & (MS_SLAVE | MS_PRIVATE));
  _cleanup_close_ int rootfd = bind_rootfs_onto_itself(ctx, none_shared, err);
  if (rootfd < 0)
    return -1;
  if (mounts_setup_all(ctx, rootfd, err) < 0)
    return -1;
  /* A bind-mounted /dev is the host's (or the user's): leave it as it is. */
  bool default_dev = !config_has_mount_at(ctx->config, "/dev", true);
  if (devices_setup(ctx, rootfd, default_dev, err) < 0)
    return -1;
  return steal_fd(rootfd);
}

/* ---- sources the runtime prepares for an init in a user namespace ---------- */

int rootfs_sources_plan(const ocispec_config *cfg, const char *rootfs, struct rootfs_sources *s)
{
  memset(s, 0, sizeof *s);
  s->nmounts = cfg->mounts_len;
  s->mounts = xcalloc(s->nmounts ? s->nmounts : 1, sizeof *s->mounts);
  for (size_t i = 0; i < s->nmounts; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    s->mounts[i] = mount_source_kind(m);
    _cleanup_free_ char *in_root = s->mounts[i] == RS_BIND ? rootfs_source_in_root(m->source, rootfs) : NULL;
    if (in_root)
      s->mounts[i] = RS_NONE;
    if (s->mounts[i] != RS_NONE)
      s->count++;
  }
  s->ndevices = cfg->linux ? cfg->linux->devices_len : 0;
  s->devices = xcalloc(s->ndevices ? s->ndevices : 1, sizeof *s->devices);
  for (size_t i = 0; i < s->ndevices; i++)
    if ((s->devices[i] = device_source_kind(&cfg->linux->devices[i])) != RS_NONE)
      s->count++;
  return 0;
}

int rootfs_sources_open(const struct rootfs_sources *s, const ocispec_config *cfg, const char *bundle, int *fds,
                        uoci_error **err)
{
  size_t k = 0;
  for (size_t i = 0; i < s->nmounts; i++)
    if (s->mounts[i] != RS_NONE && (fds[k++] = mount_source_open(cfg, bundle, &cfg->mounts[i], s->mounts[i], err)) < 0)
      return -1;
  for (size_t i = 0; i < s->ndevices; i++)
    if (s->devices[i] != RS_NONE && (fds[k++] = device_source_open(cfg, &cfg->linux->devices[i], err)) < 0)
      return -1;
  return 0;
}

void rootfs_sources_release(struct rootfs_sources *s)
{
  for (size_t i = 0; s->fds && i < s->count; i++)
    if (s->fds[i] >= 0)
      close(s->fds[i]);
  free(s->fds);
  free(s->mounts);
  free(s->devices);
  memset(s, 0, sizeof *s);
}

static int pivot_root_syscall(const char *new_root, const char *put_old)
{
  return (int) syscall(SYS_pivot_root, new_root, put_old);
}

static bool path_is_under(const char *path, const char *dir)
{
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Without pivot_root the old root stays below the chroot. Detach every host
 * mount that is neither an ancestor of the rootfs nor inside it, so the
 * container cannot reach them (e.g. by escaping the chroot) nor see them in
 * mountinfo. Skipped when / was made shared on request: an unmount would
 * then propagate to the host's peers. Errors on single mounts are ignored:
 * busy or already gone is fine, the rest is still hidden by the chroot. */
static int detach_host_mounts(const struct rootfs_ctx *ctx)
{
  unsigned long propagation = 0;
  uoci_error *e = NULL;
  if (parse_rootfs_propagation(ctx, &propagation, &e) < 0 || (propagation & MS_SHARED)) {
    uoci_error_free(e);
    return 0;
  }
  struct mountinfo mi;
  if (mountinfo_read(&mi, &e) < 0) {
    errno = e && e->errnum ? e->errnum : EIO;
    uoci_error_free(e);
    return -1;
  }
  _cleanup_free_ char *rootfs = path_clean(ctx->rootfs);
  /* children come after their parents in mountinfo: walk backwards */
  for (size_t i = mi.len; i-- > 0;) {
    const char *mp = mi.e[i].mount_point;
    if (strcmp(mp, "/") == 0 || path_is_under(rootfs, mp) || path_is_under(mp, rootfs))
      continue;
    (void) umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW);
  }
  mountinfo_free(&mi);
  return 0;
}

int rootfs_pivot(const struct rootfs_ctx *ctx, int root_mount, uoci_error **err)
{
  if (fchdir(root_mount) < 0)
    return uoci_fail(err, errno, "chdir to rootfs %s", ctx->rootfs);
  if (ctx->no_pivot) {
    if (detach_host_mounts(ctx) < 0)
      return uoci_fail(err, errno, "no-pivot: read mounts");
    /* Move the rootfs mount over "/" (covering the old root) and chroot. */
    if (move_mount(root_mount, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
      return uoci_fail(err, errno, "move rootfs %s to /", ctx->rootfs);
    if (chroot(".") < 0)
      return uoci_fail(err, errno, "chroot to rootfs %s", ctx->rootfs);
    if (chdir("/") < 0)
      return uoci_fail(err, errno, "chdir /");
    return 0;
  }
  _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return uoci_fail(err, errno, "open /");
  /* pivot_root(".", "."): the old root ends up stacked on the new one, from
   * where it can be detached without a directory to keep it in. */
  if (pivot_root_syscall(".", ".") < 0)
    return uoci_fail(err, errno, "pivot_root to %s", ctx->rootfs);
  if (fchdir(oldroot) < 0)
    return uoci_fail(err, errno, "chdir to old root");
  /* the detach must not propagate to the host's mounts */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return uoci_fail(err, errno, "make old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return uoci_fail(err, errno, "unmount old root");
  if (chdir("/") < 0)
    return uoci_fail(err, errno, "chdir /");
  return 0;
}

/* /dev/null of the container, checked to be the real null device: a rootfs
 * could have made it a link to some file we would then bind everywhere. */
static int open_verified_null(int rootfd, uoci_error **err)
{
  int fd = in_root_open(rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0);
  if (fd < 0)
    return uoci_fail(err, errno, "maskedPaths: open /dev/null");
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(fd);
    return uoci_fail(err, 0, "maskedPaths: /dev/null is not the null device, refusing");
  }
  return fd;
}

/* Device, inode and mount id of fd (0 where the kernel reports none), and its mode. */
static int fd_statx(int fd, struct statx *stx)
{
  if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, stx) < 0)
    return -1;
  if (!(stx->stx_mask & STATX_MNT_ID))
    stx->stx_mnt_id = 0;
  return 0;
}

static bool same_statx(const struct statx *a, const struct statx *b)
{
  return a->stx_dev_major == b->stx_dev_major && a->stx_dev_minor == b->stx_dev_minor && a->stx_ino == b->stx_ino &&
         a->stx_mnt_id == b->stx_mnt_id;
}

/* root: rootfd's identity (fd_statx), taken once for all masked paths.
 * nullfd and emptyfd: the verified /dev/null and the first masking tmpfs,
 * opened by the first path that needs them and reused by the others. */
static int mask_path(int rootfd, const struct statx *root, const char *path, const char *label, int *nullfd,
                     int *emptyfd, uoci_error **err)
{
  _cleanup_free_ char *what = xasprintf("mask %s", path);
  _cleanup_close_ int target = in_root_open(rootfd, path, O_PATH, 0);
  if (target < 0)
    return errno == ENOENT ? 0 : uoci_fail(err, errno, "%s", what);
  /* one statx for the identity (as fd_same_object) and the type */
  struct statx stx;
  if (fd_statx(target, &stx) < 0)
    return uoci_fail(err, errno, "%s", what);
  _cleanup_free_ char *clean = path_clean(path);
  if (strcmp(clean, "/") == 0 || same_statx(&stx, root))
    return uoci_fail(err, 0, "%s: resolves to the container root, refusing", what);
  _cleanup_close_ int tree = -1;
  bool dir = S_ISDIR(stx.stx_mode);
  if (dir && *emptyfd >= 0) {
    /* The same empty tmpfs hides every directory: a bind of the first, not
     * a superblock more per directory (each one a shrinker the kernel keeps
     * per memory cgroup; docs/PERFORMANCE.md, "superblocks per container"). */
    tree = bind_create_detached(*emptyfd, "", false, what, err);
  } else if (dir) {
    /* an empty read-only tmpfs hides a directory (with the mountLabel as
     * its context=, as runc's) */
    struct attr_change ro = { .set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
    tree = fs_create_detached("tmpfs", "tmpfs", "size=0", label, &ro, what, err);
  } else {
    if (*nullfd < 0 && (*nullfd = open_verified_null(rootfd, err)) < 0)
      return -1;
    tree = bind_create_detached(*nullfd, "", false, what, err);
  }
  if (tree < 0 || attach_tree(tree, target, rootfd, path, what, err) < 0)
    return -1;
  /* attached now (in this namespace): what the next directory binds */
  if (dir && *emptyfd < 0)
    *emptyfd = steal_fd(tree);
  return 0;
}

static int readonly_path(int rootfd, const char *path, uoci_error **err)
{
  _cleanup_free_ char *what = xasprintf("make %s read-only", path);
  _cleanup_close_ int target = in_root_open(rootfd, path, O_PATH, 0);
  if (target < 0)
    return errno == ENOENT ? 0 : uoci_fail(err, errno, "%s", what);
  /* Bind the path onto itself and set only RDONLY: nosuid/nodev/noexec that
   * were already there stay (mount_setattr changes just what it is told). */
  _cleanup_close_ int tree = bind_create_detached(target, "", true, what, err);
  struct attr_change ro = { .set = MOUNT_ATTR_RDONLY };
  if (tree < 0 || apply_attrs(tree, &ro, true, what, err) < 0)
    return -1;
  return attach_tree(tree, target, rootfd, path, what, err);
}

static bool is_null_device(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

/* Standard streams the caller gave as the HOST's /dev/null (conmon does
 * for a container without stdin) are moved to the container's own, as runc
 * and crun do: no file of the host stays open in the container, and CRIU can
 * checkpoint it (an fd on a mount the container lacks cannot be dumped).
 * Best effort: a container whose /dev/null can't be opened keeps them. */
static void reopen_dev_null(int rootfd)
{
  _cleanup_close_ int null = -1;
  struct stat own;
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !is_null_device(&st))
      continue;
    if (null < 0) {
      null = in_root_open(rootfd, "/dev/null", O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0);
      if (null < 0 || fstat(null, &own) < 0 || !is_null_device(&own))
        return;
    }
    if (st.st_dev != own.st_dev || st.st_ino != own.st_ino)
      dup3(null, fd, 0);
  }
}

int rootfs_finalize(const struct rootfs_ctx *ctx, uoci_error **err)
{
  const ocispec_config *cfg = ctx->config;
  const ocispec_linux *lx = cfg->linux;
  _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return uoci_fail(err, errno, "open /");
  reopen_dev_null(rootfd);
  if (config_dev_readonly(cfg)) {
    _cleanup_close_ int dev = in_root_open(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
    struct attr_change ro = { .set = MOUNT_ATTR_RDONLY };
    if (dev < 0)
      return uoci_fail(err, errno, "open /dev");
    if (apply_attrs(dev, &ro, false, "remount /dev read-only", err) < 0)
      return -1;
  }
  _cleanup_close_ int nullfd = -1, emptyfd = -1;
  struct statx root;
  if (lx && lx->masked_paths_len && fd_statx(rootfd, &root) < 0)
    return uoci_fail(err, errno, "stat /");
  for (size_t i = 0; lx && i < lx->masked_paths_len; i++)
    if (mask_path(rootfd, &root, lx->masked_paths[i], mount_label_for(ctx, "tmpfs"), &nullfd, &emptyfd, err) < 0)
      return -1;
  for (size_t i = 0; lx && i < lx->readonly_paths_len; i++)
    if (readonly_path(rootfd, lx->readonly_paths[i], err) < 0)
      return -1;
  if (cfg->root && cfg->root->readonly) {
    struct attr_change ro = { .set = MOUNT_ATTR_RDONLY };
    if (apply_attrs(rootfd, &ro, false, "remount / read-only", err) < 0)
      return -1;
  }
  unsigned long propagation;
  if (parse_rootfs_propagation(ctx, &propagation, err) < 0)
    return -1;
  if (propagation && mount(NULL, "/", NULL, propagation, NULL) < 0)
    return uoci_fail(err, errno, "set propagation of / to %s", lx->rootfs_propagation);
  return 0;
}

/* Unix98 pty slaves have majors 136..143. */
static bool is_pty_slave(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && major(st->st_rdev) >= 136 && major(st->st_rdev) <= 143;
}

int rootfs_bind_console(const char *slave_path, uoci_error **err)
{
  _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return uoci_fail(err, errno, "open /");
  _cleanup_close_ int slave = in_root_open(rootfd, slave_path, O_PATH, 0);
  if (slave < 0)
    return uoci_fail(err, errno, "console %s", slave_path);
  struct stat st;
  if (fstat(slave, &st) < 0 || !is_pty_slave(&st))
    return uoci_fail(err, 0, "console %s: not a pty slave", slave_path);
  /* /dev/console must be a plain file (or node) that we own the choice of:
   * a symlink planted there is removed rather than followed. */
  _cleanup_free_ char *base = NULL;
  _cleanup_close_ int dev = in_root_open_parent(rootfd, "/dev/console", &base, err);
  if (dev < 0)
    return -1;
  if (fstatat(dev, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode))
      return uoci_fail(err, EISDIR, "console /dev/console");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && unlinkat(dev, base, 0) < 0)
      return uoci_fail(err, errno, "console /dev/console: remove what is there");
  }
  /* create only when missing: never open an existing node (side effects) */
  int created = openat(dev, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
  if (created < 0 && errno != EEXIST)
    return uoci_fail(err, errno, "create /dev/console");
  if (created >= 0)
    close(created);
  _cleanup_close_ int target = openat(dev, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return uoci_fail(err, errno, "open /dev/console");
  _cleanup_free_ char *what = xasprintf("bind mount %s to /dev/console", slave_path);
  _cleanup_close_ int tree = bind_create_detached(slave, "", false, what, err);
  if (tree < 0)
    return -1;
  return attach_tree(tree, target, rootfd, "/dev/console", what, err);
}

int rootfs_make_cwd(const char *cwd, uoci_error **err)
{
  _cleanup_free_ char *clean = path_clean(cwd);
  if (strcmp(clean, "/") == 0)
    return 0; /* the root exists */
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return uoci_fail(err, errno, "open /");
  int fd = in_root_mkdir_p(root, cwd, 0755, err);
  if (fd < 0)
    return uoci_error_prefix(err, "process.cwd");
  close(fd);
  return 0;
}


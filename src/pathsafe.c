/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pathsafe.c - see pathsafe.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "pathsafe.h"
#include "utils.h"

void path_split(const char *clean, char **parent, char **base)
{
  const char *slash = strrchr(clean, '/');
  if (slash == NULL) {
    *parent = xstrdup("/");
    *base = xstrdup(clean[0] ? clean : ".");
    return;
  }
  *base = xstrdup(slash[1] ? slash + 1 : ".");
  if (slash == clean)
    *parent = xstrdup("/");
  else
    *parent = strndup(clean, (size_t) (slash - clean));
}

int in_root_open(int rootfd, const char *path, int flags, uint64_t extra_resolve)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
  };
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  /* openat2 returns EAGAIN when a concurrent rename may have let ".." escape
   * its check; the kernel asks us to retry. */
  for (int attempt = 0; attempt < 32; attempt++) {
    int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN)
      return fd;
  }
  errno = EAGAIN;
  return -1;
}

/* Open the directory at the first `len` bytes of `path`, inside the root. */
static int open_prefix_dir(int rootfd, const char *path, size_t len)
{
  _cleanup_free_ char *prefix = strndup(path, len);
  return in_root_open(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
}

static int mkdir_p_depth(int rootfd, const char *path, mode_t mode, int depth, uoci_error **err);

/* The component at cur/name exists but does not resolve: a dangling symlink.
 * Create its target, resolved inside the root like any path, so that a rootfs
 * with /var/run -> /run (and no /run yet) still gets its mount point. */
static int mkdir_link_target(int rootfd, int cur, const char *path, size_t prefix_len, const char *name,
                             mode_t mode, int depth, uoci_error **err)
{
  char target[4096];
  ssize_t n = readlinkat(cur, name, target, sizeof target - 1);
  if (n < 0)
    return uoci_fail(err, errno, "mkdir %.*s in rootfs", (int) prefix_len, path);
  target[n] = '\0';
  _cleanup_free_ char *dir = NULL;
  if (target[0] == '/') {
    dir = xstrdup(target);
  } else {
    /* relative to the directory holding the link: the prefix minus its last component */
    size_t start = prefix_len;
    while (start > 0 && path[start - 1] != '/')
      start--;
    dir = xasprintf("%.*s/%s", (int) start, path, target);
  }
  int fd = mkdir_p_depth(rootfd, dir, mode, depth + 1, err);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

static int mkdir_p_depth(int rootfd, const char *path, mode_t mode, int depth, uoci_error **err)
{
  if (depth > 40)
    return uoci_fail(err, ELOOP, "mkdir %s in rootfs", path);
  _cleanup_close_ int cur = in_root_open(rootfd, "/", O_PATH | O_DIRECTORY, 0);
  if (cur < 0)
    return uoci_fail(err, errno, "open rootfs");
  size_t i = 0, n = strlen(path);
  while (i < n) {
    while (i < n && path[i] == '/')
      i++;
    size_t start = i;
    while (i < n && path[i] != '/')
      i++;
    if (i == start)
      break;
    /* Resolve the prefix as the kernel would (symlinks and ".." clamped at
     * the root); create the component only if it does not exist. */
    int next = open_prefix_dir(rootfd, path, i);
    if (next < 0 && errno == ENOENT) {
      _cleanup_free_ char *name = strndup(path + start, i - start);
      if (mkdirat(cur, name, mode) < 0) {
        if (errno != EEXIST)
          return uoci_fail(err, errno, "mkdir %.*s in rootfs", (int) i, path);
        if (mkdir_link_target(rootfd, cur, path, i, name, mode, depth, err) < 0)
          return -1;
      }
      next = open_prefix_dir(rootfd, path, i);
    }
    if (next < 0)
      return uoci_fail(err, errno, "open %.*s in rootfs", (int) i, path);
    close(cur);
    cur = next;
  }
  return steal_fd(cur);
}

int in_root_mkdir_p(int rootfd, const char *path, mode_t mode, uoci_error **err)
{
  /* Mount points usually exist: one openat2 of the whole path, resolved
   * exactly as the walk below resolves its last prefix, instead of opening
   * every component in turn (2 syscalls per component). The walk only runs
   * when something is missing, or to report the error. */
  int fd = in_root_open(rootfd, path, O_PATH | O_DIRECTORY, 0);
  if (fd >= 0)
    return fd;
  return mkdir_p_depth(rootfd, path, mode, 0, err);
}

int in_root_open_parent(int rootfd, const char *path, char **base, uoci_error **err)
{
  _cleanup_free_ char *clean = path_clean(path);
  _cleanup_free_ char *parent = NULL;
  path_split(clean, &parent, base);
  /* path_clean removed "..", so the parent is a real ancestor of the base
   * name; symlinks among the ancestors are still resolved inside the root. */
  int fd = in_root_mkdir_p(rootfd, parent, 0755, err);
  if (fd < 0) {
    free(*base);
    *base = NULL;
  }
  return fd;
}

static int create_file_depth(int rootfd, const char *path, mode_t mode, int depth, uoci_error **err);

/* The name at parent/base is a symlink that resolves to nothing: create the
 * file it points to, resolved inside the root like any path (a bind of a
 * file onto /etc/resolv.conf -> ../run/resolv.conf with no /run yet). */
static int create_link_target(int rootfd, int parent, const char *path, const char *base, mode_t mode, int depth,
                              uoci_error **err)
{
  char target[4096];
  ssize_t n = readlinkat(parent, base, target, sizeof target - 1);
  if (n < 0)
    return uoci_fail(err, errno, "create %s in rootfs", path);
  target[n] = '\0';
  _cleanup_free_ char *clean = path_clean(path), *dir = NULL, *name = NULL;
  path_split(clean, &dir, &name);
  _cleanup_free_ char *resolved = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
  int fd = create_file_depth(rootfd, resolved, mode, depth + 1, err);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

static int create_file_depth(int rootfd, const char *path, mode_t mode, int depth, uoci_error **err)
{
  if (depth > 40)
    return uoci_fail(err, ELOOP, "create %s in rootfs", path);
  int fd = in_root_open(rootfd, path, O_PATH, 0);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0)
      return uoci_fail(err, errno, "open %s in rootfs", path);
    return fd;
  }
  _cleanup_free_ char *base = NULL;
  _cleanup_close_ int parent = in_root_open_parent(rootfd, path, &base, err);
  if (parent < 0)
    return -1;
  /* O_NOFOLLOW|O_EXCL: never create through a symlink planted at the name. */
  int created = openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (created < 0 && errno != EEXIST)
    return uoci_fail(err, errno, "create %s in rootfs", path);
  if (created >= 0)
    close(created);
  struct stat st;
  if (created < 0 && fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
      create_link_target(rootfd, parent, path, base, mode, depth, err) < 0)
    return -1;
  fd = in_root_open(rootfd, path, O_PATH, 0);
  if (fd < 0)
    return uoci_fail(err, errno, "open %s in rootfs", path);
  return fd;
}

int in_root_create_file(int rootfd, const char *path, mode_t mode, uoci_error **err)
{
  return create_file_depth(rootfd, path, mode, 0, err);
}

uint64_t fd_mount_id(int fd)
{
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  return stx.stx_mnt_id;
}

/* Device, inode and mount id of fd in one statx (mount id 0 where the kernel
 * has none to report, as fd_mount_id). */
static bool fd_identity(int fd, struct statx *stx)
{
  if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, stx) < 0)
    return false;
  if (!(stx->stx_mask & STATX_MNT_ID))
    stx->stx_mnt_id = 0;
  return true;
}

bool fd_same_object(int a, int b)
{
  struct statx sa, sb;
  if (!fd_identity(a, &sa) || !fd_identity(b, &sb))
    return false;
  return sa.stx_dev_major == sb.stx_dev_major && sa.stx_dev_minor == sb.stx_dev_minor && sa.stx_ino == sb.stx_ino &&
         sa.stx_mnt_id == sb.stx_mnt_id;
}

int proc_self_open(const char *file, int flags, uoci_error **err)
{
  _cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (proc < 0)
    return uoci_fail(err, errno, "open /proc");
  struct statfs sfs;
  struct stat st;
  if (fstatfs(proc, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC || fstat(proc, &st) < 0 || st.st_ino != 1)
    return uoci_fail(err, 0, "/proc/self/%s: /proc is not the root of a procfs", file);
  /* "self" as this procfs names us (a bind of another pid namespace's
   * procfs numbers us differently); then no symlink, no other mount. */
  char pid[32];
  ssize_t n = readlinkat(proc, "self", pid, sizeof pid - 1);
  if (n <= 0)
    return uoci_fail(err, n < 0 ? errno : ENOENT, "/proc/self/%s: read /proc/self", file);
  pid[n] = '\0';
  _cleanup_free_ char *path = xasprintf("%s/%s", pid, file);
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int) syscall(SYS_openat2, proc, path, &how, sizeof how);
  if (fd < 0 && errno == EXDEV)
    return uoci_fail(err, 0, "/proc/self/%s: something is mounted over it, refusing", file);
  if (fd < 0)
    return uoci_fail(err, errno, "open /proc/self/%s", file);
  return fd;
}

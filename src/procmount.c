/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procmount.c - see procmount.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "mountopt.h"
#include "pathsafe.h"
#include "procmount.h"
#include "utils.h"

static const char *const allowed[] = {PROCMOUNT_ALLOWED};

/* The inode of a procfs root (include/linux/proc_ns.h: PROC_ROOT_INO). */
#define PROC_ROOT_INO 1

bool procmount_allowed(const char *clean)
{
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (strcmp(clean, allowed[i]) == 0)
      return true;
  return false;
}

/* At /proc itself: a new procfs, the root of an existing one bound there, or
 * a remount (new flags for what is already there). */
static int check_at_proc(const ocispec_mount *m, size_t i, const char *bundle, uoci_error **err)
{
  if (mount_has_option(m, "remount"))
    return 0;
  if (!mount_is_bind(m)) {
    if (m->type && strcmp(m->type, "proc") == 0)
      return 0;
    return uoci_fail(err, 0, "config.json: .mounts[%zu].destination: only a procfs may be mounted at /proc, not %s", i,
                     m->type && *m->type ? m->type : "a mount without a type");
  }
  if (m->source == NULL)
    return 0; /* refused later: a bind without a source */
  _cleanup_free_ char *src = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
  struct statfs sfs;
  struct stat st;
  if (statfs(src, &sfs) < 0 || stat(src, &st) < 0)
    return uoci_fail(err, errno, "config.json: .mounts[%zu].source: %s", i, m->source);
  if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
    return uoci_fail(err, 0, "config.json: .mounts[%zu].destination: a bind at /proc must be of the root of a procfs, "
                     "%s is not", i, m->source);
  return 0;
}

int procmount_check_config(const ocispec_config *cfg, const char *bundle, uoci_error **err)
{
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    if (m->destination == NULL)
      continue;
    _cleanup_free_ char *clean = path_clean(m->destination);
    if (strcmp(clean, "/proc") == 0) {
      if (check_at_proc(m, i, bundle, err) < 0)
        return -1;
      continue;
    }
    if (strncmp(clean, "/proc/", 6) == 0 && !procmount_allowed(clean))
      return uoci_fail(err, 0, "config.json: .mounts[%zu].destination: %s is inside /proc, where only a procfs at /proc "
                       "and mounts onto the entries lxcfs emulates (/proc/meminfo, /proc/cpuinfo, ...) are allowed",
                       i, m->destination);
  }
  return 0;
}

/* /proc of the root as a real directory (no symlink on the way) holding the
 * root of a procfs, or -1. */
static int open_proc_root(int rootfd)
{
  int fd = in_root_open(rootfd, "/proc", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  struct statfs sfs;
  struct stat st;
  if (fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC && fstat(fd, &st) == 0 &&
      st.st_ino == PROC_ROOT_INO)
    return fd;
  if (fd >= 0)
    close(fd);
  return -1;
}

int procmount_check_target(const ocispec_config *cfg, const ocispec_mount *m, int rootfd, int target,
                           uoci_error **err)
{
  struct statfs sfs;
  if (fstatfs(target, &sfs) < 0)
    return uoci_fail(err, errno, "mount %s: fstatfs", m->destination);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return 0;
  /* The path passed the parent's check; it must also be what that path
   * names: /proc a real directory with a procfs root on it, the entry
   * looked up in that procfs (its own links, net -> self/net, are fine),
   * not a symlink of the rootfs into some procfs. */
  _cleanup_free_ char *clean = path_clean(m->destination);
  _cleanup_close_ int proc = open_proc_root(rootfd);
  bool ok = false;
  if (proc >= 0 && strcmp(clean, "/proc") == 0) {
    ok = fd_same_object(proc, target);
  } else if (proc >= 0 && procmount_allowed(clean)) {
    _cleanup_close_ int fd = in_root_open(proc, clean + strlen("/proc/"), O_PATH, 0);
    ok = fd >= 0 && fd_same_object(fd, target);
  }
  if (ok)
    return 0;
  size_t i = m >= cfg->mounts && m < cfg->mounts + cfg->mounts_len ? (size_t) (m - cfg->mounts) : cfg->mounts_len;
  return uoci_fail(err, 0, "config.json: .mounts[%zu].destination: %s resolves into a procfs, refusing", i,
                   m->destination);
}

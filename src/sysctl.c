/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysctl.c - see sysctl.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sysctl.h"
#include "utils.h"

/* ---- names ---------------------------------------------------------------- */

/* Swap '.' and '/' (both directions of the sysctl(8) convention). */
static void swap_separators(char *s)
{
  for (; *s; s++)
    if (*s == '.')
      *s = '/';
    else if (*s == '/')
      *s = '.';
}

static bool slash_separated(const char *key)
{
  const char *first = strpbrk(key, "./");
  return first && *first == '/';
}

/* Every component of a path form must name an entry below /proc/sys. */
static bool path_components_ok(const char *path, const char **why)
{
  const char *p = path;
  for (;;) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t) (end - p);
    if (n == 0) {
      *why = "an empty component";
      return false;
    }
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
      *why = "a \".\" or \"..\" component";
      return false;
    }
    if (*end == '\0')
      return true;
    p = end + 1;
  }
}

char *sysctl_key_to_path(const char *key, const char **why)
{
  if (key == NULL || *key == '\0') {
    *why = "an empty name";
    return NULL;
  }
  char *path = xstrdup(key);
  if (!slash_separated(key))
    swap_separators(path);
  if (!path_components_ok(path, why)) {
    free(path);
    return NULL;
  }
  return path;
}

char *sysctl_key_canonical(const char *key, const char **why)
{
  char *path = sysctl_key_to_path(key, why);
  if (path)
    swap_separators(path);
  return path;
}

/* ---- policy --------------------------------------------------------------- */

enum owner { OWNER_NONE, OWNER_IPC, OWNER_NET, OWNER_UTS, OWNER_USER };

/* Which namespace keeps this (dotted) key: kernel/ipc_sysctl.c,
 * ipc/mq_sysctl.c, the per-netns tables, kernel/utsname_sysctl.c,
 * kernel/ucount.c. Everything else is global. */
static enum owner key_owner(const char *name)
{
  static const char *const ipc[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
    if (strcmp(name, ipc[i]) == 0)
      return OWNER_IPC;
  if (strncmp(name, "fs.mqueue.", 10) == 0)
    return OWNER_IPC;
  if (strncmp(name, "net.", 4) == 0)
    return OWNER_NET;
  if (strcmp(name, "kernel.hostname") == 0 || strcmp(name, "kernel.domainname") == 0)
    return OWNER_UTS;
  if (strncmp(name, "user.", 5) == 0)
    return OWNER_USER;
  return OWNER_NONE;
}

static bool is_set(const char *s) { return s && *s; }

/* A sysctl that repeats the field's own value asks for the same thing twice: no conflict (as crun) */
static bool conflicts(const char *field, const char *value) { return is_set(field) && !(value && strcmp(field, value) == 0); }

int sysctl_check(const char *key, const char *value, const struct sysctl_scope *scope, uoci_error **err)
{
  const char *why = NULL;
  _cleanup_free_ char *name = sysctl_key_canonical(key, &why);
  if (name == NULL)
    return uoci_fail(err, 0, "config.json: .linux.sysctl: \"%s\": invalid name (%s)", key ? key : "", why);
  static const char *const kind_name[] = {
    [OWNER_IPC] = "an IPC", [OWNER_NET] = "a network", [OWNER_UTS] = "a UTS", [OWNER_USER] = "a user",
  };
  enum owner o = key_owner(name);
  bool own = false;
  switch (o) {
  case OWNER_NONE:
    return uoci_fail(err, 0,
                     "config.json: .linux.sysctl: \"%s\" is not kept per namespace by the kernel: setting it "
                     "would change the host",
                     key);
  case OWNER_IPC: own = scope->own_ipc; break;
  case OWNER_NET: own = scope->own_net; break;
  case OWNER_UTS: own = scope->own_uts; break;
  case OWNER_USER: own = scope->own_user; break;
  }
  if (!own)
    return uoci_fail(err, 0,
                     "config.json: .linux.sysctl: \"%s\" needs %s namespace of the container's own (this one is "
                     "the host's)",
                     key, kind_name[o]);
  if (strcmp(name, "kernel.hostname") == 0 && conflicts(scope->hostname, value))
    return uoci_fail(err, 0, "config.json: .linux.sysctl: \"%s\" conflicts with .hostname (set only one)", key);
  if (strcmp(name, "kernel.domainname") == 0 && conflicts(scope->domainname, value))
    return uoci_fail(err, 0, "config.json: .linux.sysctl: \"%s\" conflicts with .domainname (set only one)", key);
  return 0;
}

int sysctl_check_all(const ocispec_linux *linux, const struct sysctl_scope *scope, uoci_error **err)
{
  if (linux == NULL)
    return 0;
  for (size_t i = 0; i < linux->sysctl.len; i++)
    if (sysctl_check(linux->sysctl.keys[i], linux->sysctl.values[i], scope, err) < 0)
      return -1;
  return 0;
}

/* ---- writing (init, inside the container) --------------------------------- */

/* Open a sysctl file below /proc/sys without following a symlink or crossing
 * onto another mount (a bind over /proc/sys/... would divert the write). */
static int open_beneath(int dirfd, const char *path)
{
  struct open_how how = {
    .flags = O_WRONLY | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS)
    return fd;
  /* Before openat2 (Linux < 5.6): no symlink at the end; what was opened
   * must still be procfs (checked below). */
  return openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
}

static bool on_procfs(int fd)
{
  struct statfs sfs;
  return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int write_one(int dirfd, const char *key, const char *value, uoci_error **err)
{
  const char *why = NULL;
  _cleanup_free_ char *path = sysctl_key_to_path(key, &why);
  if (path == NULL)
    return uoci_fail(err, 0, "sysctl \"%s\": invalid name (%s)", key, why);
  _cleanup_close_ int fd = open_beneath(dirfd, path);
  if (fd >= 0 && !on_procfs(fd))
    return uoci_fail(err, 0, "sysctl %s: /proc/sys/%s is not a procfs file", key, path);
  if (fd < 0 || write_all(fd, value, strlen(value)) < 0) {
    int e = errno;
    /* A new network namespace shows the host-wide net.* keys read-only or
     * not at all: the kernel refuses them, say why. */
    if (strncmp(path, "net/", 4) == 0 && (e == ENOENT || e == EACCES || e == EPERM))
      return uoci_fail(err, e, "sysctl %s=%s: not kept per network namespace (or unknown)", key, value);
    return uoci_fail(err, e, "sysctl %s=%s", key, value);
  }
  return 0;
}

int sysctl_write_all(const ocispec_linux *linux, uoci_error **err)
{
  if (linux == NULL || linux->sysctl.len == 0)
    return 0;
  _cleanup_close_ int dirfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return uoci_fail(err, errno, "sysctl: /proc/sys in the container (linux.sysctl needs /proc mounted)");
  if (!on_procfs(dirfd))
    return uoci_fail(err, 0, "sysctl: /proc/sys in the container is not procfs (linux.sysctl needs /proc mounted)");
  for (size_t i = 0; i < linux->sysctl.len; i++)
    if (write_one(dirfd, linux->sysctl.keys[i], linux->sysctl.values[i], err) < 0)
      return -1;
  return 0;
}

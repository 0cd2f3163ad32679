/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootless.c - see rootless.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rootless.h"
#include "utils.h"

bool rootless_uid_map_is_initial(const char *uid_map)
{
  unsigned long long inside, outside, count;
  if (uid_map[0] == '\0' || uid_map[0] == '\n')
    return false; /* a new namespace whose map is not written yet */
  if (sscanf(uid_map, "%llu %llu %llu", &inside, &outside, &count) != 3)
    return true; /* unparsable: as runc, assume the initial namespace */
  return inside == 0 && outside == 0 && count == 4294967295ULL;
}

/* As runc (1.1, which Debian 12 ships): read /proc/self/uid_map. A kernel
 * without user namespaces has no such file: the initial namespace. */
static bool in_user_namespace(void)
{
  char buf[128] = "";
  _cleanup_close_ int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  return !rootless_uid_map_is_initial(buf);
}

void rootless_env_detect(struct rootless_env *e)
{
  e->euid = geteuid();
  e->in_userns = in_user_namespace();
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  e->xdg_runtime_dir = xdg && *xdg ? xdg : NULL;
  e->user = getenv("USER");
}

bool rootless_cgroups(const struct rootless_env *e)
{
  /* runc also asks systemd (busctl) under --systemd-cgroup in a user
   * namespace; a user namespace is rootless here whatever the driver. */
  return e->euid != 0 || e->in_userns;
}

/* runc's shouldHonorXDGRuntimeDir: real root keeps /run even when
 * XDG_RUNTIME_DIR is set (/run/user/0), and so does root in a user
 * namespace that calls itself root. */
static bool honour_xdg(const struct rootless_env *e)
{
  if (e->euid != 0)
    return true;
  if (!e->in_userns)
    return false;
  return e->user == NULL || strcmp(e->user, "root") != 0;
}

char *rootless_default_root(const struct rootless_env *e, bool *private_tmp)
{
  *private_tmp = false;
  if (e->xdg_runtime_dir && honour_xdg(e))
    return xasprintf("%s/ulysses-oci", e->xdg_runtime_dir);
  if (e->euid != 0) {
    *private_tmp = true;
    return xasprintf("/tmp/ulysses-oci-%u", (unsigned) e->euid);
  }
  return xstrdup(ROOTLESS_ROOT_DEFAULT);
}

int rootless_check_private_dir(const char *path, uoci_error **err)
{
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return uoci_fail(err, errno, "state root %s", path);
  struct stat st;
  if (lstat(path, &st) < 0)
    return uoci_fail(err, errno, "state root %s", path);
  if (!S_ISDIR(st.st_mode))
    return uoci_fail(err, 0, "state root %s is %s, not a directory (set XDG_RUNTIME_DIR or --root)", path,
                     S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
  if (st.st_uid != geteuid() || (st.st_mode & 022))
    return uoci_fail(err, 0, "state root %s: owned by uid %u with mode %04o, not a private directory of uid %u "
                     "(set XDG_RUNTIME_DIR or --root)", path, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777),
                     (unsigned) geteuid());
  return 0;
}

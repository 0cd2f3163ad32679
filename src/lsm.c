/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lsm.c - see lsm.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "log.h"
#include "lsm.h"
#include "pathsafe.h"
#include "utils.h"

#define SELINUX_MAGIC 0xf97cff8c

bool lsm_apparmor_enabled(void)
{
  char buf[4] = { 0 };
  _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, 1) == 1 && buf[0] == 'Y' && access("/proc/self/attr/apparmor/exec", W_OK) == 0;
}

bool lsm_selinux_enabled(void)
{
  struct statfs sfs;
  return statfs("/sys/fs/selinux", &sfs) == 0 && (unsigned long) sfs.f_type == SELINUX_MAGIC;
}

int lsm_check(const ocispec_process *p, const ocispec_linux *linux, uoci_error **err)
{
  if (p && p->apparmor_profile && *p->apparmor_profile && !lsm_apparmor_enabled())
    return uoci_fail(err, 0, "process.apparmorProfile \"%s\": AppArmor is not enabled on this host",
                     p->apparmor_profile);
  if (p && p->selinux_label && *p->selinux_label && !lsm_selinux_enabled())
    return uoci_fail(err, 0, "process.selinuxLabel \"%s\": SELinux is not enabled on this host", p->selinux_label);
  if (linux && linux->mount_label && *linux->mount_label && !lsm_selinux_enabled())
    log_warn("linux.mountLabel \"%s\" ignored: SELinux is not enabled on this host", linux->mount_label);
  return 0;
}

const char *lsm_mount_label(const ocispec_linux *linux)
{
  if (linux && linux->mount_label && *linux->mount_label && lsm_selinux_enabled())
    return linux->mount_label;
  return NULL;
}

bool lsm_fs_takes_mount_label(const char *fstype)
{
  static const char *const labeled[] = { "tmpfs", "devpts", "ramfs" };
  for (size_t i = 0; fstype && i < sizeof labeled / sizeof labeled[0]; i++)
    if (strcmp(fstype, labeled[i]) == 0)
      return true;
  return false;
}

int lsm_label_tree_root(int tree, const char *label, const char *what, uoci_error **err)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", tree);
  if (setxattr(path, "security.selinux", label, strlen(label), 0) < 0)
    return uoci_fail(err, errno, "%s: SELinux label \"%s\" (linux.mountLabel)", what, label);
  return 0;
}

/* file below /proc/self: a label written anywhere else would be lost and
 * the process would run unconfined. */
static int write_attr(const char *file, const char *value, uoci_error **err)
{
  _cleanup_close_ int fd = proc_self_open(file, O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (write(fd, value, strlen(value)) < 0)
    return uoci_fail(err, errno, "set /proc/self/%s to \"%s\"", file, value);
  return 0;
}

int lsm_apply_exec_labels(const ocispec_process *p, uoci_error **err)
{
  if (p->apparmor_profile && *p->apparmor_profile) {
    _cleanup_free_ char *cmd = xasprintf("exec %s", p->apparmor_profile);
    if (write_attr("attr/apparmor/exec", cmd, err) < 0)
      return uoci_error_prefix(err, "process.apparmorProfile");
  }
  if (p->selinux_label && *p->selinux_label) {
    if (write_attr("attr/keycreate", p->selinux_label, err) < 0 ||
        write_attr("attr/exec", p->selinux_label, err) < 0)
      return uoci_error_prefix(err, "process.selinuxLabel");
  }
  return 0;
}

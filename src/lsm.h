/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lsm.h - AppArmor profiles and SELinux labels (process.apparmorProfile,
 * process.selinuxLabel, linux.mountLabel). Applied when the host has the LSM;
 * a process label the host cannot give is an error, never silently ignored. */
#ifndef UOCI_LSM_H
#define UOCI_LSM_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* Parent: refuse a process label the host cannot apply. A mountLabel the
 * host cannot apply is only warned about: without SELinux no file carries a
 * label, so there is nothing it could protect (crun and runc ignore it too). */
int lsm_check(const ocispec_process *p, const ocispec_linux *linux, uoci_error **err);

/* linux.mountLabel if it can be applied on this host, else NULL. */
const char *lsm_mount_label(const ocispec_linux *linux);

/* Filesystems created for the container that take the mountLabel as their
 * context= (pure). proc, sysfs, cgroup and binds keep their own labels. */
bool lsm_fs_takes_mount_label(const char *fstype);

/* Child: give the root of the detached tree `tree` (an O_PATH fd) the SELinux
 * file label `label`, as runc does for mqueue, which it mounts without a
 * context= (security.selinux through /proc/self/fd: fsetxattr refuses O_PATH). */
int lsm_label_tree_root(int tree, const char *label, const char *what, uoci_error **err);

/* Child, just before execve: the profile/label the new program runs with. */
int lsm_apply_exec_labels(const ocispec_process *p, uoci_error **err);

#endif

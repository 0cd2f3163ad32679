/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts.h - internals of the rootfs module shared by rootfs.c, mounts.c and
 * devices.c: fd-based mount primitives, each config mount, /dev setup.
 * Not used outside the module (its interface is rootfs.h; what others need
 * of mounts is in mountopt.h and mountinfo.h). */
#ifndef UOCI_MOUNTS_H
#define UOCI_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "ocispec.h"
#include "mountinfo.h"
#include "mountopt.h"
#include "rootfs.h"

/* ---- fd-based primitives (mounts.c) ------------------------------------ */

/* Create a detached mount of a new filesystem (fsopen/fsconfig/fsmount).
 * `label`, if not NULL, is its SELinux context= (a whole value: labels hold
 * commas, so it can't travel in `data`). `what` names the mount in errors
 * ("mount proc to /proc"). */
int fs_create_detached(const char *type, const char *source, const char *data, const char *label,
                       const struct attr_change *a, const char *what, uoci_error **err);
/* The context= a new filesystem of `fstype` gets in this container: the
 * mountLabel for the types that take one, else NULL. */
const char *mount_label_for(const struct rootfs_ctx *ctx, const char *fstype);
/* Clone the tree at dirfd/path (open_tree OPEN_TREE_CLONE). */
int bind_create_detached(int dirfd, const char *path, bool recursive, const char *what, uoci_error **err);
/* mount_setattr on the mount root fd refers to. */
int apply_attrs(int fd, const struct attr_change *a, bool recursive, const char *what, uoci_error **err);
/* Attach a detached tree on the object targetfd refers to, then check that
 * `dest` (re-resolved inside rootfd) now lands on the new mount. */
int attach_tree(int treefd, int targetfd, int rootfd, const char *dest, const char *what, uoci_error **err);

/* The runtime's side for an init in a user namespace (see rootfs.h,
 * struct rootfs_sources): which mounts it opens, and opening one (in the
 * helper, inside the init's mount namespace). */
enum rootfs_source mount_source_kind(const ocispec_mount *m);
int mount_source_open(const ocispec_config *cfg, const char *bundle, const ocispec_mount *m, enum rootfs_source kind,
                      uoci_error **err);
/* Every entry of config.mounts, in order. */
int mounts_setup_all(const struct rootfs_ctx *ctx, int rootfd, uoci_error **err);
/* True when /dev is a filesystem of the container's (not a bind) that the
 * config wants read-only: mounted writable, made read-only once filled. */
bool config_dev_readonly(const ocispec_config *cfg);
/* True when the config mounts something (of any type) at dest. */
bool config_has_mount_at(const ocispec_config *cfg, const char *dest, bool only_bind);

/* ---- devices.c ---------------------------------------------------------- */

/* linux.devices entries the runtime makes for an init in a user namespace:
 * the host has no node of that type and number at the path. */
enum rootfs_source device_source_kind(const ocispec_device *d);
/* In the helper: the node, made on a detached tmpfs of the runtime's (an
 * init-side tmpfs would be nodev), as a tree to bind. */
int device_source_open(const ocispec_config *cfg, const ocispec_device *d, uoci_error **err);

/* Default nodes, symlinks, /dev/pts and /dev/shm (when the config lacks them)
 * and linux.devices. `default_dev` false when /dev is a bind mount. */
int devices_setup(const struct rootfs_ctx *ctx, int rootfd, bool default_dev, uoci_error **err);

#endif

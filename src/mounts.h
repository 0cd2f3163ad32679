/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts.h - internals of the rootfs module shared by rootfs.c, mounts.c and
 * devices.c: mount option parsing, fd-based mount primitives, /dev setup.
 * Not used outside the module (its interface is rootfs.h). */
#ifndef UOCI_MOUNTS_H
#define UOCI_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "ocispec.h"
#include "rootfs.h"

/* A change of mount attributes (MOUNT_ATTR_*), as mount_setattr takes it.
 * The atime mode is a 3-valued field, so it is tracked apart. */
struct attr_change {
  uint64_t set, clr;
  bool atime;          /* an atime mode was given */
  uint64_t atime_mode; /* MOUNT_ATTR_RELATIME / NOATIME / STRICTATIME */
};

struct mount_options {
  struct attr_change attrs;  /* ro, nosuid, ...: this mount only */
  struct attr_change rattrs; /* rro, rnosuid, ...: the whole tree */
  uint64_t propagation;      /* MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE, 0 = none */
  bool propagation_rec;
  bool bind, rec;            /* bind / rbind */
  bool idmap, idmap_rec;     /* idmap / ridmap */
  bool tmpcopyup;
  bool remount;
  char *data;                /* everything else, for the filesystem: "size=1m,mode=755" */
};

/* Parse OCI mount options. Unknown names go to data, as runc does. Only fails
 * on a malformed entry (empty option). */
int mount_options_parse(char *const *opts, size_t n, struct mount_options *out, uoci_error **err);
void mount_options_free(struct mount_options *o);

/* For `features`: every option name mount_options_parse knows (static,
 * NULL-terminated); *n gets the count. */
const char *const *mount_known_options(size_t *n);

/* Propagation name ("rslave", "private", ...) to MS_* flags (with MS_REC for
 * the r-forms). Returns 0 for an unknown name. */
unsigned long propagation_from_name(const char *name);

/* One line of /proc/self/mountinfo. */
struct mountinfo_entry {
  int id, parent;
  char *root, *mount_point, *optional, *fstype, *source, *super_opts;
};
struct mountinfo {
  struct mountinfo_entry *e;
  size_t len;
};
int mountinfo_read(struct mountinfo *mi, uoci_error **err);
/* Parse mountinfo text (pure; exposed for unit tests). */
int mountinfo_parse(const char *text, struct mountinfo *mi);
void mountinfo_free(struct mountinfo *mi);

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
/* True when the mount is a bind: type "bind", or a "bind"/"rbind" option. */
bool mount_is_bind(const ocispec_mount *m);
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

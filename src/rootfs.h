/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.h - the container's filesystem view: root.path, mounts, default and
 * configured devices, masked and read-only paths, pivot_root.
 *
 * Runs in the init child, inside its new mount namespace. Every target is
 * resolved inside the rootfs (openat2 RESOLVE_IN_ROOT, O_PATH fds, mounts
 * done on /proc/self/fd/N), so a hostile rootfs cannot redirect a mount or a
 * write outside it. Order, as container.c calls it:
 *   rootfs_setup()     propagation, rootfs bind, config mounts, /dev, devices
 *   (createContainer hooks run here: mounts done, not yet pivoted)
 *   rootfs_pivot()     pivot_root (or MS_MOVE + chroot with no_pivot)
 *   rootfs_make_cwd()  process.cwd created if missing
 *   rootfs_finalize()  maskedPaths, readonlyPaths, root.readonly, rootfsPropagation */
#ifndef UOCI_ROOTFS_H
#define UOCI_ROOTFS_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* What the runtime prepares for an init in a user namespace, which cannot do
 * it itself: open a bind source its root cannot reach (a 0700 directory),
 * idmap a bind mount (that needs CAP_SYS_ADMIN over the host filesystem's
 * user namespace), make a device node the host lacks (mknod is refused in a
 * user namespace, and a filesystem it mounts is nodev). Decided in the
 * parent (rootfs_sources_plan), made by a helper inside the init's mount
 * namespace (rootfs_sources_open), sent to the init in order. */
enum rootfs_source { RS_NONE, RS_BIND, RS_IDMAP, RS_NODE };
struct rootfs_sources {
  enum rootfs_source *mounts; size_t nmounts;   /* per config mount */
  enum rootfs_source *devices; size_t ndevices; /* per linux.devices: RS_NONE or RS_NODE */
  size_t count;                                 /* entries that are not RS_NONE */
  int *fds;                                     /* init: what came, in order (count) */
};
/* A plain bind source below `rootfs` (its realpath) is left to the init,
 * which resolves it inside the rootfs at its turn (mount_one): it may be a
 * path through an earlier mount of the same config. */
int rootfs_sources_plan(const ocispec_config *cfg, const char *rootfs, struct rootfs_sources *s);
/* The part of a bind source below `rootfs` ("/" for the rootfs itself),
 * malloc'd; NULL when the source is not an absolute path below it. */
char *rootfs_source_in_root(const char *source, const char *rootfs);
int rootfs_sources_open(const struct rootfs_sources *s, const ocispec_config *cfg, const char *bundle, int *fds,
                        uoci_error **err);
/* The init: the fd of mount i / device i (-1 when the runtime sent none). */
int rootfs_sources_fd(const struct rootfs_sources *s, size_t mount_index);
int rootfs_sources_device_fd(const struct rootfs_sources *s, size_t device_index);
void rootfs_sources_release(struct rootfs_sources *s);

struct rootfs_ctx {
  const ocispec_config *config;
  const char *bundle;   /* absolute bundle directory */
  const char *rootfs;   /* absolute path of root.path (resolved against the bundle) */
  const char *mount_label; /* linux.mountLabel when SELinux can apply it, else NULL */
  int rootfs_fd;        /* -1, or an O_PATH fd of it in our mount namespace, opened for us by
                         * the runtime: then the path is never walked (we may lack the right) */
  bool no_pivot;        /* --no-pivot */
  bool bind_devices;    /* in a user namespace (a new one, or the runtime's own): mknod is
                         * refused, device nodes are bind-mounted from the host */
  bool new_netns;       /* sysfs can be mounted fresh (else bind /sys) */
  bool new_cgroupns;    /* a cgroup namespace not the runtime's (new or joined): /sys/fs/cgroup is
                         * a new cgroup mount, its root that namespace's */
  bool new_mntns;       /* a mount namespace of our own (not one joined by path): the mounts
                         * we make are reachable by no other process */
  const struct rootfs_sources *sources; /* NULL, or what the runtime opened for us */
};

/* runc's reading of a mount destination that spells the rootfs's host path
 * ("/bundle/rootfs/final" for "/final": tools and runc's own tests write
 * them): such a destination is taken relative to the rootfs, not made under
 * it. Rewrites cfg->mounts[].destination in place (the parent, before
 * anything resolves them; the targets are still resolved inside the
 * rootfs). `rootfs` as root.path joined to the bundle, `real` its
 * realpath. */
void rootfs_destinations_in_root(ocispec_config *cfg, const char *rootfs, const char *real);

/* Returns an O_PATH fd of the container's root mount (the rootfs bound onto
 * itself, every configured mount and /dev below it), for rootfs_pivot. */
int rootfs_setup(const struct rootfs_ctx *ctx, uoci_error **err);
int rootfs_pivot(const struct rootfs_ctx *ctx, int root_mount, uoci_error **err);
int rootfs_finalize(const struct rootfs_ctx *ctx, uoci_error **err);

/* After pivot (or chroot), before rootfs_finalize makes it read-only: create
 * process.cwd if the image lacks it, as runc does (mode 0755 less the umask,
 * owned by the container's root), resolved inside the root (symlinks and ".."
 * clamped, no /proc magic links). */
int rootfs_make_cwd(const char *cwd, uoci_error **err);

/* After pivot: bind the pty slave (path inside the container, /dev/pts/N) onto
 * /dev/console, creating the target safely. */
int rootfs_bind_console(const char *slave_path, uoci_error **err);

/* For checkpoint/restore (criu.c): the host directories that a `cgroup`
 * mount at dest binds in when the container has no cgroup namespace, as
 * computed from the CALLER's own cgroups (so call it from a process placed
 * in the container's cgroup): fn(arg, target inside the container, host
 * directory) for each. With a cgroup namespace the mounts are new cgroup
 * filesystems, nothing is bound. */
typedef int (*rootfs_bind_fn)(void *arg, const char *target, const char *host, uoci_error **err);
int rootfs_cgroup_binds(const char *dest, rootfs_bind_fn fn, void *arg, uoci_error **err);

/* For restore (criu.c), in a mount namespace of the caller's own: make the
 * mount points of the config's mounts inside the rootfs (rootfd), as create
 * does (CRIU creates none), binding the bind mounts for the time being so
 * that a mount point inside one is made in its source; those binds are
 * detached again. Mounts inside a tmpfs of the config (CRIU restores its
 * content) and cgroup mounts are left out. */
int rootfs_prepare_mountpoints(const ocispec_config *cfg, const char *bundle, int rootfd, uoci_error **err);

#endif

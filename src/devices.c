/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices.c - /dev inside the container: the default nodes and links every
 * container gets, /dev/pts when the config has none (the /dev/ptmx link needs
 * it; /dev/shm only when the config mounts one), and
 * linux.devices. All created through fds resolved inside the rootfs: a node
 * is made with mknodat in its parent directory fd, never through a path. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "mounts.h"
#include "pathsafe.h"
#include "utils.h"

struct default_device {
  const char *path;
  unsigned major, minor;
};

static const struct default_device default_devices[] = {
  { "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 },  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct { const char *target, *link; } default_links[] = {
  { "/proc/self/fd", "/dev/fd" },    { "/proc/self/fd/0", "/dev/stdin" },
  { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
  { "pts/ptmx", "/dev/ptmx" },
};

struct node_spec {
  const char *path;
  mode_t type;   /* S_IFCHR, S_IFBLK, S_IFIFO */
  mode_t mode;   /* permission bits */
  dev_t rdev;
  uid_t uid;
  gid_t gid;
};

static int node_type_from_spec(const char *t, mode_t *out)
{
  if (t && (strcmp(t, "c") == 0 || strcmp(t, "u") == 0))
    *out = S_IFCHR;
  else if (t && strcmp(t, "b") == 0)
    *out = S_IFBLK;
  else if (t && strcmp(t, "p") == 0)
    *out = S_IFIFO;
  else
    return -1;
  return 0;
}

/* Make room at parent/base: an identical node stays, anything else that is not
 * a directory is removed (a planted symlink or file must not survive as the
 * thing the runtime later uses, e.g. /dev/null for masking). */
static int clear_slot(int parent, const char *base, const struct node_spec *n, bool *keep, uoci_error **err)
{
  struct stat st;
  *keep = false;
  if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : uoci_fail(err, errno, "device %s", n->path);
  if (S_ISDIR(st.st_mode))
    return uoci_fail(err, 0, "device %s: a directory is in the way", n->path);
  if ((st.st_mode & S_IFMT) == n->type && st.st_rdev == n->rdev) {
    *keep = true;
    return 0;
  }
  if (unlinkat(parent, base, 0) < 0)
    return uoci_fail(err, errno, "device %s: remove what is there", n->path);
  return 0;
}

static int make_node(int parent, const char *base, const struct node_spec *n, uoci_error **err)
{
  /* Usually nothing is there (a fresh /dev tmpfs): mknodat first, which
   * never follows a symlink at the name (EEXIST instead), and only then look
   * at what is in the way. The umask is not cleared: fchmodat below sets
   * the mode exactly. */
  if (mknodat(parent, base, n->type | n->mode, n->rdev) < 0) {
    if (errno != EEXIST)
      return uoci_fail(err, errno, "mknod %s", n->path);
    bool keep;
    if (clear_slot(parent, base, n, &keep, err) < 0)
      return -1;
    if (!keep && mknodat(parent, base, n->type | n->mode, n->rdev) < 0)
      return uoci_fail(err, errno, "mknod %s", n->path);
  }
  /* we made (or verified) a node, not a symlink: following is harmless */
  if (fchownat(parent, base, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return uoci_fail(err, errno, "chown %s", n->path);
  if (fchmodat(parent, base, n->mode, 0) < 0)
    return uoci_fail(err, errno, "chmod %s", n->path);
  return 0;
}

/* In a user namespace mknod is refused: bind the host's node onto an empty
 * file instead, as runc does. */
static int bind_host_node(int rootfd, int parent, const char *base, const struct node_spec *n, int src_fd,
                          uoci_error **err)
{
  struct stat st;
  if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return uoci_fail(err, 0, "device %s: a directory is in the way", n->path);
    if (unlinkat(parent, base, 0) < 0)
      return uoci_fail(err, errno, "device %s: remove what is there", n->path);
  }
  int created = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (created < 0)
    return uoci_fail(err, errno, "create %s", n->path);
  close(created);
  _cleanup_close_ int target = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return uoci_fail(err, errno, "open %s", n->path);
  _cleanup_free_ char *what = xasprintf("bind mount %s to %s", n->path, n->path);
  /* a node the runtime made (src_fd, a tree already) or the host's own */
  _cleanup_close_ int tree = src_fd >= 0 ? fcntl(src_fd, F_DUPFD_CLOEXEC, 3)
                                         : bind_create_detached(AT_FDCWD, n->path, false, what, err);
  if (tree < 0)
    return src_fd >= 0 ? uoci_fail(err, errno, "%s", what) : -1;
  /* a node needs neither exec nor set-id: the bind gets what a devtmpfs-less
   * /dev tmpfs would give it (crun does the same) */
  struct attr_change a = { .set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
  if (apply_attrs(tree, &a, false, what, err) < 0)
    return -1;
  return attach_tree(tree, target, rootfd, n->path, what, err);
}

/* The node n at parent/base (parent: an O_PATH fd resolved inside the root). */
static int create_device_at(const struct rootfs_ctx *ctx, int rootfd, int parent, const char *base,
                            const struct node_spec *n, int src_fd, uoci_error **err)
{
  /* In a user namespace (the container's, or the runtime's own under rootless
   * podman) only a fifo can be made: mknod of a device needs CAP_MKNOD in the
   * initial one. */
  if (ctx->bind_devices && n->type != S_IFIFO)
    return bind_host_node(rootfd, parent, base, n, src_fd, err);
  return make_node(parent, base, n, err);
}

static int create_device(const struct rootfs_ctx *ctx, int rootfd, const struct node_spec *n, int src_fd,
                         uoci_error **err)
{
  _cleanup_free_ char *base = NULL;
  _cleanup_close_ int parent = in_root_open_parent(rootfd, n->path, &base, err);
  if (parent < 0)
    return -1;
  if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return uoci_fail(err, 0, "device %s: not a file name", n->path);
  return create_device_at(ctx, rootfd, parent, base, n, src_fd, err);
}

/* The symlink parent/base -> target (link: its path, for messages). */
static int create_link_at(int parent, const char *base, const char *target, const char *link, uoci_error **err)
{
  /* Usually nothing is there: symlinkat first (it fails with EEXIST on
   * anything at the name, a symlink included), the checks only then. */
  if (symlinkat(target, parent, base) == 0)
    return 0;
  if (errno != EEXIST)
    return uoci_fail(err, errno, "symlink %s -> %s", link, target);
  char cur[256];
  ssize_t n = readlinkat(parent, base, cur, sizeof cur - 1);
  if (n >= 0) {
    cur[n] = '\0';
    if (strcmp(cur, target) == 0)
      return 0;
  }
  struct stat st;
  if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode))
      return 0; /* a rootfs with its own /dev/fd directory: leave it */
    if (unlinkat(parent, base, 0) < 0)
      return uoci_fail(err, errno, "symlink %s: remove what is there", link);
  }
  if (symlinkat(target, parent, base) < 0)
    return uoci_fail(err, errno, "symlink %s -> %s", link, target);
  return 0;
}

static int create_link(int rootfd, const char *target, const char *link, uoci_error **err)
{
  _cleanup_free_ char *base = NULL;
  _cleanup_close_ int parent = in_root_open_parent(rootfd, link, &base, err);
  if (parent < 0)
    return -1;
  return create_link_at(parent, base, target, link, err);
}

static bool config_has_device(const ocispec_config *cfg, const char *path)
{
  if (cfg->linux == NULL)
    return false;
  for (size_t i = 0; i < cfg->linux->devices_len; i++) {
    if (cfg->linux->devices[i].path == NULL)
      continue;
    _cleanup_free_ char *clean = path_clean(cfg->linux->devices[i].path);
    if (strcmp(clean, path) == 0)
      return true;
  }
  return false;
}

static int mount_dev_fs(const struct rootfs_ctx *ctx, int rootfd, const char *dest, const char *type,
                        const char *data, uint64_t attrs, uoci_error **err)
{
  _cleanup_free_ char *what = xasprintf("mount %s to %s", type, dest);
  _cleanup_close_ int target = in_root_mkdir_p(rootfd, dest, 0755, err);
  if (target < 0)
    return -1;
  struct attr_change a = { .set = attrs };
  _cleanup_close_ int tree = fs_create_detached(type, type, data, mount_label_for(ctx, type), &a, what, err);
  if (tree < 0)
    return -1;
  return attach_tree(tree, target, rootfd, dest, what, err);
}

static int default_dev_setup(const struct rootfs_ctx *ctx, int rootfd, uoci_error **err)
{
  const ocispec_config *cfg = ctx->config;
  /* Every default node and link is directly in /dev: resolved once inside
   * the root, then each is made in that directory's fd (mknodat and
   * symlinkat never follow a link at the name), as create_device would in
   * the same directory resolved again for each. */
  _cleanup_close_ int dev = in_root_mkdir_p(rootfd, "/dev", 0755, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
    const struct default_device *d = &default_devices[i];
    if (config_has_device(cfg, d->path))
      continue;
    struct node_spec n = { .path = d->path, .type = S_IFCHR, .mode = 0666,
                           .rdev = makedev(d->major, d->minor), .uid = 0, .gid = 0 };
    if (create_device_at(ctx, rootfd, dev, d->path + strlen("/dev/"), &n, -1, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
    if (create_link_at(dev, default_links[i].link + strlen("/dev/"), default_links[i].target, default_links[i].link,
                       err) < 0)
      return -1;
  if (access("/proc/kcore", F_OK) == 0 && create_link(rootfd, "/proc/kcore", "/dev/core", err) < 0)
    return -1;
  if (!config_has_mount_at(cfg, "/dev/pts", false)
      && mount_dev_fs(ctx, rootfd, "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620",
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err) < 0)
    return -1;
  /* No /dev/shm of our own: a config without one asked for none (podman
   * --ipc none, docker's "/dev/shm not mounted"), as runc and crun read it. */
  return 0;
}

static int config_devices_setup(const struct rootfs_ctx *ctx, int rootfd, uoci_error **err)
{
  const ocispec_linux *lx = ctx->config->linux;
  if (lx == NULL)
    return 0;
  for (size_t i = 0; i < lx->devices_len; i++) {
    const ocispec_device *d = &lx->devices[i];
    if (d->path == NULL || d->path[0] == '\0')
      return uoci_fail(err, 0, "linux.devices[%zu]: no path", i);
    _cleanup_free_ char *clean = path_clean(d->path);
    struct node_spec n = { .path = clean, .uid = d->has_uid ? d->uid : 0, .gid = d->has_gid ? d->gid : 0 };
    if (node_type_from_spec(d->type, &n.type) < 0)
      return uoci_fail(err, 0, "device %s: unknown type \"%s\"", d->path, d->type ? d->type : "");
    if (n.type != S_IFIFO && (!d->has_major || !d->has_minor))
      return uoci_fail(err, 0, "device %s: major and minor are required", d->path);
    n.rdev = n.type == S_IFIFO ? 0 : makedev((unsigned) d->major, (unsigned) d->minor);
    n.mode = d->has_file_mode ? (d->file_mode & 07777) : 0666;
    int src_fd = ctx->sources ? rootfs_sources_device_fd(ctx->sources, i) : -1;
    if (create_device(ctx, rootfd, &n, src_fd, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- nodes the runtime makes for an init in a user namespace -------------- */

enum rootfs_source device_source_kind(const ocispec_device *d)
{
  mode_t type;
  if (d->path == NULL || node_type_from_spec(d->type, &type) < 0 || type == S_IFIFO || !d->has_major || !d->has_minor)
    return RS_NONE; /* errors are the init's to report; fifos it makes itself */
  _cleanup_free_ char *clean = path_clean(d->path);
  struct stat st;
  /* The host's node is bound when it is the very device asked for */
  if (stat(clean, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == makedev((unsigned) d->major, (unsigned) d->minor))
    return RS_NONE;
  return RS_NODE;
}

/* The host id a container id maps to (the config's mappings), or the id
 * itself when none covers it. */
static unsigned host_id(const ocispec_id_mapping *m, size_t n, unsigned id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
      return m[i].host_id + (id - m[i].container_id);
  return id;
}

int device_source_open(const ocispec_config *cfg, const ocispec_device *d, uoci_error **err)
{
  mode_t type = 0;
  node_type_from_spec(d->type, &type);
  _cleanup_free_ char *what = xasprintf("device %s", d->path);
  /* a tmpfs of our own, detached: nothing of it is ever seen on the host, and
   * unlike one the init mounts in its user namespace it is not nodev */
  struct attr_change none = { 0 };
  _cleanup_close_ int fs = fs_create_detached("tmpfs", "tmpfs", "mode=0700", NULL, &none, what, err);
  if (fs < 0)
    return -1;
  mode_t mode = d->has_file_mode ? (d->file_mode & 07777) : 0666;
  if (mknodat(fs, "node", type | (mode & 0777), makedev((unsigned) d->major, (unsigned) d->minor)) < 0)
    return uoci_fail(err, errno, "%s: mknod", what);
  const ocispec_linux *l = cfg->linux;
  unsigned uid = host_id(l->uid_mappings, l->uid_mappings_len, d->has_uid ? d->uid : 0);
  unsigned gid = host_id(l->gid_mappings, l->gid_mappings_len, d->has_gid ? d->gid : 0);
  if (fchownat(fs, "node", uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat(fs, "node", mode, 0) < 0)
    return uoci_fail(err, errno, "%s: set owner and mode", what);
  int tree = open_tree(fs, "node", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return uoci_fail(err, errno, "%s: the host has no such node, and this kernel cannot bind one made for a user "
                     "namespace (open_tree of a detached mount)", what);
  return tree;
}

int devices_setup(const struct rootfs_ctx *ctx, int rootfd, bool default_dev, uoci_error **err)
{
  if (config_devices_setup(ctx, rootfd, err) < 0)
    return -1;
  if (default_dev && default_dev_setup(ctx, rootfd, err) < 0)
    return -1;
  return 0;
}

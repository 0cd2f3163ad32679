/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts.c - config.mounts: the fd-based mount primitives and each mount.
 *
 * Every mount is built detached (fsopen+fsmount for a new filesystem,
 * open_tree(OPEN_TREE_CLONE) for a bind), gets its attributes while nobody
 * can see it, and is attached with move_mount onto an O_PATH fd that was
 * resolved inside the rootfs. No mount ever takes a path string that a
 * symlink in the rootfs could redirect. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lsm.h"
#include "mountinfo.h"
#include "mountopt.h"
#include "mounts.h"
#include "namespaces.h"
#include "pathsafe.h"
#include "procmount.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- primitives ------------------------------------------------------------ */

/* The kernel explains fsconfig failures in the fs context's log ("e msg"). */
static void fs_context_message(int fsfd, char *buf, size_t size)
{
  buf[0] = '\0';
  ssize_t r = read(fsfd, buf, size - 1);
  if (r <= 2) {
    buf[0] = '\0';
    return;
  }
  buf[r] = '\0';
  char *nl = strchr(buf, '\n');
  if (nl)
    *nl = '\0';
  if (buf[1] == ' ')
    memmove(buf, buf + 2, strlen(buf + 2) + 1);
}

static int fs_fail(int fsfd, int errnum, const char *what, const char *detail, uoci_error **err)
{
  char msg[256];
  fs_context_message(fsfd, msg, sizeof msg);
  if (msg[0]) {
    uoci_fail(err, 0, "%s%s%s: %s (%s)", what, detail ? ": " : "", detail ? detail : "", strerror(errnum), msg);
    if (err && *err)
      (*err)->errnum = errnum; /* callers may branch on the cause */
    return -1;
  }
  return uoci_fail(err, errnum, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

static uint64_t attr_flags_for_new_mount(const struct attr_change *a)
{
  return a->set | (a->atime ? a->atime_mode : 0);
}

int fs_create_detached(const char *type, const char *source, const char *data, const char *label,
                       const struct attr_change *a, const char *what, uoci_error **err)
{
  _cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
  if (fsfd < 0) {
    if (errno == ENODEV)
      return uoci_fail(err, 0, "%s: unknown filesystem type %s", what, type);
    return uoci_fail(err, errno, "%s", what);
  }
  if (source && source[0] && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return fs_fail(fsfd, errno, what, "source", err);
  if (data) {
    _cleanup_free_ char *copy = xstrdup(data);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
      char *eq = strchr(item, '=');
      int r;
      if (eq) {
        *eq = '\0';
        r = fsconfig(fsfd, FSCONFIG_SET_STRING, item, eq + 1, 0);
        *eq = '=';
      } else {
        r = fsconfig(fsfd, FSCONFIG_SET_FLAG, item, NULL, 0);
      }
      if (r < 0)
        return fs_fail(fsfd, errno, what, item, err);
    }
  }
  if (label && fsconfig(fsfd, FSCONFIG_SET_STRING, "context", label, 0) < 0) {
    int e = errno;
    _cleanup_free_ char *detail = xasprintf("SELinux context \"%s\" (linux.mountLabel)", label);
    return fs_fail(fsfd, e, what, detail, err);
  }
  if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_fail(fsfd, errno, what, NULL, err);
  int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned int) attr_flags_for_new_mount(a));
  if (mfd < 0)
    return fs_fail(fsfd, errno, what, NULL, err);
  return mfd;
}

const char *mount_label_for(const struct rootfs_ctx *ctx, const char *fstype)
{
  return ctx->mount_label && lsm_fs_takes_mount_label(fstype) ? ctx->mount_label : NULL;
}

int bind_create_detached(int dirfd, const char *path, bool recursive, const char *what, uoci_error **err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (path[0] == '\0')
    flags |= AT_EMPTY_PATH;
  int fd = open_tree(dirfd, path, flags);
  if (fd < 0)
    return uoci_fail(err, errno, "%s", what);
  return fd;
}

int apply_attrs(int fd, const struct attr_change *a, bool recursive, const char *what, uoci_error **err)
{
  struct mount_attr attr = { .attr_set = a->set, .attr_clr = a->clr };
  if (a->atime) {
    attr.attr_set |= a->atime_mode;
    attr.attr_clr |= MOUNT_ATTR__ATIME;
  }
  if (attr.attr_set == 0 && attr.attr_clr == 0)
    return 0;
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return uoci_fail(err, errno, "%s: set mount flags", what);
  return 0;
}

static int apply_propagation(int fd, uint64_t propagation, bool recursive, const char *what, uoci_error **err)
{
  if (propagation == 0)
    return 0;
  struct mount_attr attr = { .propagation = propagation };
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return uoci_fail(err, errno, "%s: set propagation", what);
  return 0;
}

int attach_tree(int treefd, int targetfd, int rootfd, const char *dest, const char *what, uoci_error **err)
{
  if (move_mount(treefd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return uoci_fail(err, errno, "%s", what);
  /* Against swap races: the destination, resolved again inside the root,
   * must now be the root of the mount we just attached. */
  _cleanup_close_ int check = in_root_open(rootfd, dest, O_PATH, 0);
  if (check < 0)
    return uoci_fail(err, errno, "%s: destination vanished after mounting", what);
  if (!fd_same_object(check, treefd))
    return uoci_fail(err, 0, "%s: destination %s changed while mounting, refusing", what, dest);
  return 0;
}

/* ---- idmapped mounts ------------------------------------------------------- */

/* A user namespace fd carrying the given mappings, for MOUNT_ATTR_IDMAP: a
 * child enters a new userns, we write its maps, keep an fd, and let it go. */
static int make_userns_fd(const ocispec_id_mapping *uids, size_t nu, const ocispec_id_mapping *gids, size_t ng,
                          uoci_error **err)
{
  int to_child[2], to_parent[2];
  if (pipe2(to_child, O_CLOEXEC) < 0)
    return uoci_fail(err, errno, "idmap: pipe");
  if (pipe2(to_parent, O_CLOEXEC) < 0) {
    close(to_child[0]); close(to_child[1]);
    return uoci_fail(err, errno, "idmap: pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(to_child[0]); close(to_child[1]); close(to_parent[0]); close(to_parent[1]);
    return uoci_fail(err, errno, "idmap: fork");
  }
  if (pid == 0) {
    /* Our pid as the mounted /proc sees it (we may be in a new pid ns while
     * /proc is still the host's). */
    close(to_child[1]);  /* so that the parent's close reaches us as EOF */
    close(to_parent[0]);
    char self[32] = "";
    ssize_t l = readlink("/proc/self", self, sizeof self - 1);
    if (l < 0 || unshare(CLONE_NEWUSER) < 0)
      _exit(1);
    self[l] = '\0';
    (void) !write(to_parent[1], self, (size_t) l + 1);
    close(to_parent[1]); /* EOF: the parent's read ends */
    char c;
    (void) !read(to_child[0], &c, 1);
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  char buf[32] = "";
  ssize_t r = read_all(to_parent[0], buf, sizeof buf - 1);
  close(to_parent[0]);
  int fd = -1;
  if (r <= 0) {
    uoci_fail(err, 0, "idmap: cannot create a user namespace for the mapping");
  } else {
    pid_t hostpid = atoi(buf);
    _cleanup_free_ char *nspath = xasprintf("/proc/%d/ns/user", (int) hostpid);
    if (ns_write_id_map(hostpid, "uid_map", uids, nu, err) == 0 &&
        ns_write_id_map(hostpid, "gid_map", gids, ng, err) == 0) {
      fd = open(nspath, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        uoci_fail(err, errno, "idmap: open %s", nspath);
    }
  }
  close(to_child[1]);
  waitpid(pid, NULL, 0);
  return fd;
}

static int apply_idmap(int treefd, const ocispec_mount *m, const struct mount_options *o, const ocispec_config *cfg,
                       const char *what, uoci_error **err)
{
  const ocispec_id_mapping *u = m->uid_mappings, *g = m->gid_mappings;
  size_t nu = m->uid_mappings_len, ng = m->gid_mappings_len;
  /* "idmap" without mappings: use the container's own, as the spec says */
  if (nu == 0 && cfg->linux) {
    u = cfg->linux->uid_mappings;
    nu = cfg->linux->uid_mappings_len;
  }
  if (ng == 0 && cfg->linux) {
    g = cfg->linux->gid_mappings;
    ng = cfg->linux->gid_mappings_len;
  }
  if (nu == 0 || ng == 0)
    return uoci_fail(err, 0, "%s: idmapped mount needs uidMappings and gidMappings", what);
  _cleanup_close_ int usernsfd = make_userns_fd(u, nu, g, ng, err);
  if (usernsfd < 0)
    return uoci_error_prefix(err, "%s", what);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) usernsfd };
  if (mount_setattr(treefd, "", AT_EMPTY_PATH | (o->idmap_rec ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
    if (errno == EINVAL || errno == EPERM || errno == ENOSYS)
      return uoci_fail(err, errno, "%s: idmapped mount not supported by this kernel or filesystem", what);
    return uoci_fail(err, errno, "%s: idmap", what);
  }
  return 0;
}

/* ---- tmpcopyup ------------------------------------------------------------- */

/* The image decides how deep its tree is: each level costs a frame of this
 * recursion (a symlink target's buffer among it) and a directory stream, and
 * a few thousand overflowed the init's stack. Far deeper than a real image. */
#define TMPCOPYUP_MAX_DEPTH 256

static int copy_tree(int srcdir, int dstdir, unsigned depth, const char *what, uoci_error **err);

static int copy_entry(int srcdir, int dstdir, const char *name, const struct stat *st, unsigned depth,
                      const char *what, uoci_error **err)
{
  if (S_ISDIR(st->st_mode)) {
    if (depth >= TMPCOPYUP_MAX_DEPTH)
      return uoci_fail(err, 0, "%s: tmpcopyup: more than %d nested directories", what, TMPCOPYUP_MAX_DEPTH);
    if (mkdirat(dstdir, name, st->st_mode & 07777) < 0 && errno != EEXIST)
      return uoci_fail(err, errno, "%s: tmpcopyup mkdir %s", what, name);
    _cleanup_close_ int s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int d = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || d < 0)
      return uoci_fail(err, errno, "%s: tmpcopyup open %s", what, name);
    if (copy_tree(s, d, depth + 1, what, err) < 0)
      return -1;
  } else if (S_ISREG(st->st_mode)) {
    _cleanup_close_ int s = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int d = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
    if (s < 0 || d < 0)
      return uoci_fail(err, errno, "%s: tmpcopyup copy %s", what, name);
    for (off_t left = st->st_size; left > 0;) {
      ssize_t n = sendfile(d, s, NULL, (size_t) left);
      if (n <= 0) {
        if (n < 0 && errno == EINTR)
          continue;
        return uoci_fail(err, n < 0 ? errno : EIO, "%s: tmpcopyup copy %s", what, name);
      }
      left -= n;
    }
  } else if (S_ISLNK(st->st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(srcdir, name, target, sizeof target - 1);
    if (n < 0)
      return uoci_fail(err, errno, "%s: tmpcopyup readlink %s", what, name);
    target[n] = '\0';
    if (symlinkat(target, dstdir, name) < 0)
      return uoci_fail(err, errno, "%s: tmpcopyup symlink %s", what, name);
  } else if (mknodat(dstdir, name, st->st_mode, st->st_rdev) < 0) {
    return uoci_fail(err, errno, "%s: tmpcopyup mknod %s", what, name);
  }
  if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM && errno != EINVAL)
    return uoci_fail(err, errno, "%s: tmpcopyup chown %s", what, name);
  if (!S_ISLNK(st->st_mode) && fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
    return uoci_fail(err, errno, "%s: tmpcopyup chmod %s", what, name);
  return 0;
}

static int copy_tree(int srcdir, int dstdir, unsigned depth, const char *what, uoci_error **err)
{
  int dupfd = openat(srcdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dupfd < 0)
    return uoci_fail(err, errno, "%s: tmpcopyup", what);
  DIR *d = fdopendir(dupfd);
  if (d == NULL) {
    close(dupfd);
    return uoci_fail(err, errno, "%s: tmpcopyup", what);
  }
  int rc = 0;
  for (struct dirent *de; rc == 0 && (de = readdir(d));) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(srcdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      rc = uoci_fail(err, errno, "%s: tmpcopyup stat %s", what, de->d_name);
    else
      rc = copy_entry(srcdir, dstdir, de->d_name, &st, depth, what, err);
  }
  closedir(d);
  return rc;
}

/* Whether comma-separated filesystem DATA holds KEY=... */
static bool data_has_key(const char *data, const char *key)
{
  size_t klen = strlen(key);
  for (const char *p = data; p != NULL && *p != '\0';) {
    if (strncmp(p, key, klen) == 0 && p[klen] == '=')
      return true;
    p = strchr(p, ',');
    if (p != NULL)
      p++;
  }
  return false;
}

/* Copy what the rootfs has at the destination into the new (detached) tmpfs,
 * owner and mode of the directory included, unless the mount's own options
 * set them: podman's `--tmpfs /run/postgresql:mode=1777` comes with
 * tmpcopyup, and the directory in the image (root's, 0755) must not undo it. */
static int tmpcopyup(int targetfd, int treefd, const char *data, const char *what, uoci_error **err)
{
  _cleanup_close_ int src = openat(targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return uoci_fail(err, errno, "%s: tmpcopyup needs a directory", what);
  _cleanup_close_ int dst = openat(treefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return uoci_fail(err, errno, "%s: tmpcopyup", what);
  struct stat st;
  if (fstat(src, &st) == 0) {
    bool uid_set = data_has_key(data, "uid"), gid_set = data_has_key(data, "gid");
    if (!uid_set || !gid_set)
      (void) !fchown(dst, uid_set ? (uid_t) -1 : st.st_uid, gid_set ? (gid_t) -1 : st.st_gid);
    if (!data_has_key(data, "mode"))
      (void) !fchmod(dst, st.st_mode & 07777);
  }
  return copy_tree(src, dst, 0, what, err);
}

/* ---- cgroup ---------------------------------------------------------------- */

/* /proc/self/cgroup, read once for all hierarchies (each read walks every
 * hierarchy under the kernel's css_set lock); NULL if unreadable. */
static char *read_own_cgroups(void)
{
  char *text = NULL;
  uoci_error *ignored = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL, &ignored) < 0) {
    uoci_error_free(ignored);
    return NULL;
  }
  return text;
}

/* The name of a v1 cgroup hierarchy mounted at /sys/fs/cgroup/NAME (a
 * controller's or a named one), or NULL. A hybrid host's cgroup2 tree
 * (/sys/fs/cgroup/unified) is left out, as runc does: systemd as the
 * container's init takes a cgroup2 at unified for hybrid mode and then must
 * create its cgroups there, so a read-only one (a `cgroup` mount with "ro",
 * as podman --systemd=always asks on v1 with only name=systemd bound
 * writable) froze it at boot; without it systemd runs in legacy mode on the
 * name=systemd hierarchy. */
static const char *cgroup_hierarchy_name(const struct mountinfo_entry *e)
{
  if (strcmp(e->fstype, "cgroup") != 0)
    return NULL;
  if (strncmp(e->mount_point, "/sys/fs/cgroup/", 15) != 0 || strchr(e->mount_point + 15, '/'))
    return NULL;
  return e->mount_point + 15;
}

/* This process's cgroup path in the hierarchy whose /proc/self/cgroup
 * controller field is `ctrls` ("" for cgroup2), from that file's text. */
static char *own_cgroup_path(const char *own_cgroups, const char *ctrls)
{
  if (own_cgroups == NULL)
    return NULL;
  _cleanup_free_ char *text = xstrdup(own_cgroups);
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    const char *line_ctrls, *path;
    if (proc_cgroup_split(line, &line_ctrls, &path) && strcmp(line_ctrls, ctrls) == 0)
      return xstrdup(path);
  }
  return NULL;
}

/* Controllers of a v1 hierarchy from its super options, without rw/ro. */
static char *v1_controllers(const char *super_opts)
{
  _cleanup_free_ char *copy = xstrdup(super_opts);
  char *out = NULL, *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0 || strncmp(o, "release_agent=", 14) == 0
        || strcmp(o, "clone_children") == 0 || strcmp(o, "noprefix") == 0 || strncmp(o, "xattr", 5) == 0)
      continue;
    mount_data_append(&out, o);
  }
  return out ? out : xstrdup("");
}

/* The host directory of our own cgroup in the hierarchy mounted as e. */
static char *cgroup_host_dir(const struct mountinfo_entry *e, const char *own_cgroups)
{
  bool v2 = strcmp(e->fstype, "cgroup2") == 0;
  _cleanup_free_ char *ctrls = v2 ? xstrdup("") : v1_controllers(e->super_opts);
  _cleanup_free_ char *own = own_cgroup_path(own_cgroups, ctrls);
  const char *rel = own ? own : "/";
  size_t rootlen = strlen(e->root);
  if (strcmp(e->root, "/") != 0 && strncmp(rel, e->root, rootlen) == 0)
    rel += rootlen;
  return xasprintf("%s%s", e->mount_point, rel);
}

/* A detached mount showing our own cgroup of one host hierarchy: a new
 * cgroup filesystem when we have a cgroup namespace, else a bind of the host
 * directory of our cgroup (so siblings stay invisible). */
static int cgroup_hierarchy_tree(const struct rootfs_ctx *ctx, const struct mountinfo_entry *e,
                                 const char *own_cgroups, const struct attr_change *a, const char *what,
                                 uoci_error **err)
{
  bool v2 = strcmp(e->fstype, "cgroup2") == 0;
  int fd;
  if (ctx->new_cgroupns) {
    _cleanup_free_ char *ctrls = v2 ? xstrdup("") : v1_controllers(e->super_opts);
    return fs_create_detached(e->fstype, e->fstype, v2 ? NULL : ctrls, NULL, a, what, err);
  }
  _cleanup_free_ char *host = cgroup_host_dir(e, own_cgroups);
  fd = bind_create_detached(AT_FDCWD, host, false, what, err);
  if (fd >= 0 && apply_attrs(fd, a, false, what, err) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int mount_cgroup_v1_tree(const struct rootfs_ctx *ctx, int rootfd, int targetfd, const char *dest,
                                const struct mount_options *o, const char *what, uoci_error **err)
{
  struct attr_change none = { 0 };
  _cleanup_close_ int tmpfs = fs_create_detached("tmpfs", "tmpfs", "mode=755", NULL, &none, what, err);
  if (tmpfs < 0 || attach_tree(tmpfs, targetfd, rootfd, dest, what, err) < 0)
    return -1;
  struct mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  _cleanup_free_ char *own_cgroups = ctx->new_cgroupns ? NULL : read_own_cgroups();
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < mi.len; i++) {
    const struct mountinfo_entry *e = &mi.e[i];
    const char *name = cgroup_hierarchy_name(e);
    if (name == NULL)
      continue;
    _cleanup_free_ char *subwhat = xasprintf("mount cgroup %s to %s/%s", name, dest, name);
    if (mkdirat(tmpfs, name, 0755) < 0 && errno != EEXIST) {
      rc = uoci_fail(err, errno, "%s", subwhat);
      break;
    }
    _cleanup_close_ int sub = cgroup_hierarchy_tree(ctx, e, own_cgroups, &o->attrs, subwhat, err);
    _cleanup_close_ int subtarget = sub < 0 ? -1 : openat(tmpfs, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0 || subtarget < 0) {
      rc = sub < 0 ? -1 : uoci_fail(err, errno, "%s", subwhat);
      break;
    }
    /* In a mount namespace of our own no attach_tree check is needed:
     * subtarget is a directory we just made in the tmpfs we just mounted,
     * which no other process can reach (nothing can rename or swap it, as
     * in the rootfs), and move_mount onto its fd puts the mount exactly
     * there. In a joined one, others could. */
    if (ctx->new_mntns) {
      if (move_mount(sub, "", subtarget, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        rc = uoci_fail(err, errno, "%s", subwhat);
    } else {
      _cleanup_free_ char *subdest = xasprintf("%s/%s", dest, name);
      rc = attach_tree(sub, subtarget, rootfd, subdest, subwhat, err);
    }
    /* co-mounted controllers ("cpu,cpuacct") get a link per controller */
    if (rc == 0 && strchr(name, ',')) {
      _cleanup_free_ char *copy = xstrdup(name);
      char *save = NULL;
      for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if (symlinkat(name, tmpfs, c) < 0 && errno != EEXIST)
          rc = uoci_fail(err, errno, "symlink %s/%s", dest, c);
    }
  }
  mountinfo_free(&mi);
  if (rc == 0)
    rc = apply_attrs(tmpfs, &o->attrs, false, what, err);
  return rc;
}

static int mount_cgroup(const struct rootfs_ctx *ctx, int rootfd, int targetfd, const char *dest,
                        const struct mount_options *o, const char *what, uoci_error **err)
{
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) < 0)
    return uoci_fail(err, errno, "%s: statfs /sys/fs/cgroup", what);
  if (sfs.f_type != CGROUP2_SUPER_MAGIC)
    return mount_cgroup_v1_tree(ctx, rootfd, targetfd, dest, o, what, err);
  struct mountinfo_entry unified = { .fstype = "cgroup2", .root = "/", .mount_point = "/sys/fs/cgroup", .super_opts = "" };
  _cleanup_free_ char *own_cgroups = ctx->new_cgroupns ? NULL : read_own_cgroups();
  _cleanup_close_ int tree = cgroup_hierarchy_tree(ctx, &unified, own_cgroups, &o->attrs, what, err);
  if (tree < 0)
    return -1;
  return attach_tree(tree, targetfd, rootfd, dest, what, err);
}

int rootfs_cgroup_binds(const char *dest, rootfs_bind_fn fn, void *arg, uoci_error **err)
{
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) < 0)
    return uoci_fail(err, errno, "statfs /sys/fs/cgroup");
  _cleanup_free_ char *own_cgroups = read_own_cgroups();
  _cleanup_free_ char *target = path_clean(dest);
  if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
    struct mountinfo_entry unified = { .fstype = "cgroup2", .root = "/", .mount_point = "/sys/fs/cgroup", .super_opts = "" };
    _cleanup_free_ char *host = cgroup_host_dir(&unified, own_cgroups);
    return fn(arg, target, host, err);
  }
  /* the same hierarchies mount_cgroup_v1_tree binds */
  struct mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < mi.len; i++) {
    const struct mountinfo_entry *e = &mi.e[i];
    const char *name = cgroup_hierarchy_name(e);
    if (name == NULL)
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", strcmp(target, "/") ? target : "", name);
    _cleanup_free_ char *host = cgroup_host_dir(e, own_cgroups);
    rc = fn(arg, sub, host, err);
  }
  mountinfo_free(&mi);
  return rc;
}

/* ---- one config mount -------------------------------------------------------- */

bool config_has_mount_at(const ocispec_config *cfg, const char *dest, bool only_bind)
{
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    if (m->destination == NULL)
      continue;
    _cleanup_free_ char *clean = path_clean(m->destination);
    if (strcmp(clean, dest) != 0)
      continue;
    if (!only_bind || mount_is_bind(m))
      return true;
  }
  return false;
}

bool config_dev_readonly(const ocispec_config *cfg)
{
  bool ro = false;
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    if (m->destination == NULL)
      continue;
    _cleanup_free_ char *clean = path_clean(m->destination);
    if (strcmp(clean, "/dev") != 0)
      continue;
    /* the last mount there decides; a bind is left as the host made it */
    ro = false;
    for (size_t k = 0; k < m->options_len; k++) {
      if (strcmp(m->options[k], "ro") == 0)
        ro = true;
      else if (strcmp(m->options[k], "rw") == 0)
        ro = false;
    }
    ro = ro && !mount_is_bind(m);
  }
  return ro;
}

/* Bind sources are host paths; a relative one is relative to the bundle. */
static char *bind_source_path(const struct rootfs_ctx *ctx, const char *source)
{
  if (source[0] == '/')
    return xstrdup(source);
  return xasprintf("%s/%s", ctx->bundle, source);
}

/* Create the destination inside the rootfs (a file when the source is not a
 * directory) and return an O_PATH fd on it. `index` is the mount's in
 * config.json's mounts, for errors. */
static int prepare_destination(int rootfd, const char *dest, bool file, const char *type, size_t index,
                               uoci_error **err)
{
  if (type && (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0)) {
    /* procfs/sysfs must land on a real directory (runc's CVE-2019-19921
     * class): an existing symlink or file there is refused, as runc does
     * (its words kept: "must be mounted on ordinary directory"). */
    int fd = in_root_open(rootfd, dest, O_PATH | O_NOFOLLOW, 0);
    if (fd >= 0) {
      struct stat st;
      bool stat_ok = fstat(fd, &st) == 0;
      close(fd);
      if (stat_ok && !S_ISDIR(st.st_mode))
        return uoci_fail(err, 0,
                         "mounts[%zu]: mount %s to %s: destination is %s in the rootfs; %s must be mounted on "
                         "ordinary directory",
                         index, type, dest, S_ISLNK(st.st_mode) ? "a symlink" : "not a directory", type);
    }
  }
  int fd = file ? in_root_create_file(rootfd, dest, 0644, err) : in_root_mkdir_p(rootfd, dest, 0755, err);
  if (fd < 0)
    return -1;
  /* A destination may not resolve to the container root itself (a symlink
   * to "/"): mounting there would replace the whole rootfs. */
  _cleanup_free_ char *clean = path_clean(dest);
  if (strcmp(clean, "/") != 0 && fd_same_object(fd, rootfd)) {
    close(fd);
    return uoci_fail(err, 0, "mount destination %s resolves to the container root, refusing", dest);
  }
  return fd;
}

/* As runc (since 1.1.10) and crun: a tmpfs without its own mode= takes the
 * mode of the directory it covers, so that a private directory of the image
 * (0700 /root, 0750 /var/lib/x) does not become the kernel's default 1777,
 * writable by every user of the container. A destination that does not
 * exist yet keeps the default. Returns the new data, or NULL to keep it. */
static char *tmpfs_data_with_dir_mode(int rootfd, const char *dest, const char *data)
{
  if (data_has_key(data, "mode"))
    return NULL;
  _cleanup_close_ int fd = in_root_open(rootfd, dest, O_PATH | O_CLOEXEC, 0);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
    return NULL;
  return data && *data ? xasprintf("mode=%04o,%s", (unsigned) (st.st_mode & 07777), data)
                       : xasprintf("mode=%04o", (unsigned) (st.st_mode & 07777));
}

/* src_fd: what the runtime opened for an init in a user namespace (-1:
 * none): the source itself (RS_BIND), or the whole tree, attributes and
 * idmapping already set (RS_IDMAP). */
/* The detached tree of a bind mount (src, or src_fd when the runtime opened
 * it), with this mount's own attributes. sysfs without a new network
 * namespace: the kernel refuses a new one, so the host's /sys is bound
 * (recursively, read-only flags to all). */
static int bind_tree(const char *src, int src_fd, bool sysfs_bind, const struct mount_options *o, const char *what,
                     uoci_error **err)
{
  _cleanup_close_ int tree = src_fd >= 0
                                 ? bind_create_detached(src_fd, "", o->rec, what, err)
                                 : bind_create_detached(AT_FDCWD, sysfs_bind ? "/sys" : src, sysfs_bind || o->rec,
                                                        what, err);
  if (tree < 0 || apply_attrs(tree, &o->attrs, sysfs_bind, what, err) < 0)
    return -1;
  return steal_fd(tree);
}

/* The detached tree of a new filesystem of `type`, filled from the target
 * with tmpcopyup. */
static int new_fs_tree(const struct rootfs_ctx *ctx, const ocispec_mount *m, const char *type,
                       const struct mount_options *o, int target, const char *what, uoci_error **err)
{
  /* A read-only tmpfs with tmpcopyup (podman's `--tmpfs /etc:ro`) is filled
   * first and made read-only after, as runc does. */
  bool copyup = o->tmpcopyup && strcmp(type, "tmpfs") == 0;
  struct attr_change at_create = o->attrs;
  if (copyup)
    at_create.set &= ~(uint64_t) MOUNT_ATTR_RDONLY;
  _cleanup_close_ int tree = fs_create_detached(type, m->source, o->data, mount_label_for(ctx, type), &at_create,
                                                what, err);
  /* a new mqueue of the container's own: the mountLabel on its root, as runc */
  if (tree >= 0 && strcmp(type, "mqueue") == 0 && ctx->mount_label &&
      lsm_label_tree_root(tree, ctx->mount_label, what, err) < 0)
    return -1;
  if (tree < 0 && strcmp(type, "mqueue") == 0 && (*err)->errnum == EPERM) {
    /* no private IPC namespace to show: bind the host's, as runc does */
    uoci_error_freep(err);
    tree = bind_create_detached(AT_FDCWD, "/dev/mqueue", false, what, err);
    if (tree >= 0 && apply_attrs(tree, &o->attrs, false, what, err) < 0)
      return -1;
  }
  if (tree < 0)
    return -1;
  if (copyup) {
    if (tmpcopyup(target, tree, o->data, what, err) < 0)
      return -1;
    if (o->attrs.set & MOUNT_ATTR_RDONLY) {
      struct attr_change ro = { .set = MOUNT_ATTR_RDONLY };
      if (apply_attrs(tree, &ro, false, what, err) < 0)
        return -1;
    }
  }
  return steal_fd(tree);
}

static int mount_one(const struct rootfs_ctx *ctx, int rootfd, const ocispec_mount *m, size_t index, int src_fd,
                     enum rootfs_source src_kind, uoci_error **err)
{
  const char *dest = m->destination;
  if (dest == NULL || dest[0] == '\0')
    return uoci_fail(err, 0, "mount without a destination");
  struct mount_options o;
  if (mount_options_parse(m->options, m->options_len, &o, err) < 0)
    return uoci_error_prefix(err, "mount %s", dest);
  const char *type = m->type && m->type[0] ? m->type : (o.bind ? "bind" : "none");
  bool bind = o.bind || strcmp(type, "bind") == 0;
  bool sysfs_bind = strcmp(type, "sysfs") == 0 && !ctx->new_netns;
  _cleanup_free_ char *what = bind ? xasprintf("bind mount %s to %s", m->source ? m->source : "", dest)
                                   : xasprintf("mount %s to %s", type, dest);
  _cleanup_free_ char *src = bind && m->source ? bind_source_path(ctx, m->source) : NULL;
  int rc = -1;
  _cleanup_close_ int target = -1, tree = -1, in_root_fd = -1;
  _cleanup_free_ char *clean = path_clean(dest), *in_root = NULL;

  if (strcmp(clean, "/") == 0 && !o.remount) {
    uoci_fail(err, 0, "%s: the container's root is root.path, a mount cannot replace it", what);
    goto out;
  }
  /* A read-only /dev is filled first (nodes, links, pts, shm, console) and
   * made read-only in rootfs_finalize (config_dev_readonly). */
  if (strcmp(clean, "/dev") == 0 && !bind)
    o.attrs.set &= ~(uint64_t) MOUNT_ATTR_RDONLY;

  if (bind && src == NULL) {
    uoci_fail(err, 0, "%s: bind mount without a source", what);
    goto out;
  }
  /* A source below the rootfs is a path in the tree being built (through
   * the mounts made so far, as runc resolves it at its turn): opened inside
   * the root, never through a link out of it. */
  in_root = bind && src_fd < 0 ? rootfs_source_in_root(src, ctx->rootfs) : NULL;
  in_root_fd = in_root ? in_root_open(rootfd, in_root, O_PATH | O_CLOEXEC, 0) : -1;
  if (in_root && in_root_fd < 0) {
    uoci_fail(err, errno, "%s", what);
    goto out;
  }
  if (in_root_fd >= 0)
    src_fd = in_root_fd;
  bool file = false;
  if (bind) {
    struct stat st;
    if ((src_fd >= 0 ? fstat(src_fd, &st) : stat(src, &st)) < 0) {
      uoci_fail(err, errno, "%s", what);
      goto out;
    }
    file = !S_ISDIR(st.st_mode);
  }
  if (!bind && strcmp(type, "tmpfs") == 0) {
    char *with_mode = tmpfs_data_with_dir_mode(rootfd, dest, o.data);
    if (with_mode) {
      free(o.data);
      o.data = with_mode;
    }
  }
  target = prepare_destination(rootfd, dest, file, type, index, err);
  if (target < 0 || procmount_check_target(ctx->config, m, rootfd, target, err) < 0)
    goto out;

  if (o.remount) {
    /* change the flags of what is already mounted there */
    rc = apply_attrs(target, &o.attrs, false, what, err);
    goto out;
  }
  if (strcmp(type, "cgroup") == 0 && !bind) {
    rc = mount_cgroup(ctx, rootfd, target, dest, &o, what, err);
    goto out;
  }
  if (bind && src_kind == RS_IDMAP) {
    /* made by the runtime, which alone may idmap the host's filesystem */
    tree = fcntl(src_fd, F_DUPFD_CLOEXEC, 3);
    if (tree < 0) {
      uoci_fail(err, errno, "%s", what);
      goto out;
    }
    if (attach_tree(tree, target, rootfd, dest, what, err) < 0)
      goto out;
    rc = apply_propagation(tree, o.propagation, o.propagation_rec, what, err);
    goto out;
  }
  tree = bind || sysfs_bind ? bind_tree(src, src_fd, sysfs_bind, &o, what, err)
                            : new_fs_tree(ctx, m, type, &o, target, what, err);
  if (tree < 0 || apply_attrs(tree, &o.rattrs, true, what, err) < 0)
    goto out;
  if (o.idmap || m->uid_mappings_len || m->gid_mappings_len)
    if (apply_idmap(tree, m, &o, ctx->config, what, err) < 0)
      goto out;
  if (attach_tree(tree, target, rootfd, dest, what, err) < 0)
    goto out;
  rc = apply_propagation(tree, o.propagation, o.propagation_rec, what, err);
out:
  mount_options_free(&o);
  return rc;
}

int mounts_setup_all(const struct rootfs_ctx *ctx, int rootfd, uoci_error **err)
{
  const ocispec_config *cfg = ctx->config;
  const struct rootfs_sources *srcs = ctx->sources;
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    bool given = srcs && i < srcs->nmounts && srcs->mounts[i] != RS_NONE;
    int fd = given ? rootfs_sources_fd(srcs, i) : -1;
    if (mount_one(ctx, rootfd, &cfg->mounts[i], i, fd, given ? srcs->mounts[i] : RS_NONE, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- sources the runtime opens for an init in a user namespace ------------ */

int rootfs_sources_fd(const struct rootfs_sources *s, size_t mount_index)
{
  if (s->fds == NULL || mount_index >= s->nmounts || s->mounts[mount_index] == RS_NONE)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < mount_index; i++)
    k += s->mounts[i] != RS_NONE;
  return s->fds[k];
}

int rootfs_sources_device_fd(const struct rootfs_sources *s, size_t device_index)
{
  if (s->fds == NULL || device_index >= s->ndevices || s->devices[device_index] == RS_NONE)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < s->nmounts; i++)
    k += s->mounts[i] != RS_NONE;
  for (size_t i = 0; i < device_index; i++)
    k += s->devices[i] != RS_NONE;
  return s->fds[k];
}



enum rootfs_source mount_source_kind(const ocispec_mount *m)
{
  if (m->source == NULL || !mount_is_bind(m))
    return RS_NONE;
  for (size_t k = 0; k < m->options_len; k++)
    if (strcmp(m->options[k], "idmap") == 0 || strcmp(m->options[k], "ridmap") == 0)
      return RS_IDMAP;
  return m->uid_mappings_len || m->gid_mappings_len ? RS_IDMAP : RS_BIND;
}

int mount_source_open(const ocispec_config *cfg, const char *bundle, const ocispec_mount *m, enum rootfs_source kind,
                      uoci_error **err)
{
  _cleanup_free_ char *src = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
  _cleanup_free_ char *what = xasprintf("bind mount %s to %s", m->source, m->destination ? m->destination : "");
  if (kind == RS_BIND) {
    int fd = open(src, O_PATH | O_CLOEXEC);
    if (fd < 0)
      return uoci_fail(err, errno, "%s", what);
    return fd;
  }
  struct mount_options o;
  if (mount_options_parse(m->options, m->options_len, &o, err) < 0)
    return uoci_error_prefix(err, "%s", what);
  int rc = -1;
  _cleanup_close_ int tree = bind_create_detached(AT_FDCWD, src, o.rec, what, err);
  if (tree >= 0 && apply_attrs(tree, &o.attrs, false, what, err) == 0 &&
      apply_attrs(tree, &o.rattrs, true, what, err) == 0 && apply_idmap(tree, m, &o, cfg, what, err) == 0)
    rc = steal_fd(tree);
  mount_options_free(&o);
  return rc;
}

/* ---- mount points for a restore --------------------------------------------- */

static bool path_under(const char *path, const char *dir)
{
  size_t n = strlen(dir);
  return strcmp(dir, "/") == 0 || (strncmp(path, dir, n) == 0 && path[n] == '/');
}

/* A destination inside a tmpfs of the config: CRIU restores the tmpfs's
 * content, mount points included. */
static bool on_config_tmpfs(const ocispec_config *cfg, const char *dest)
{
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    if (m->type == NULL || strcmp(m->type, "tmpfs") != 0 || m->destination == NULL)
      continue;
    _cleanup_free_ char *clean = path_clean(m->destination);
    if (path_under(dest, clean) && strcmp(dest, clean) != 0)
      return true;
  }
  return false;
}

int rootfs_prepare_mountpoints(const ocispec_config *cfg, const char *bundle, int rootfd, uoci_error **err)
{
  struct rootfs_ctx ctx = { .config = cfg, .bundle = bundle };
  _cleanup_free_ int *binds = xcalloc(cfg->mounts_len + 1, sizeof *binds);
  size_t nbinds = 0;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < cfg->mounts_len; i++) {
    const ocispec_mount *m = &cfg->mounts[i];
    if (m->destination == NULL)
      continue;
    _cleanup_free_ char *dest = path_clean(m->destination);
    struct mount_options o;
    if (mount_options_parse(m->options, m->options_len, &o, err) < 0)
      return uoci_error_prefix(err, "mount %s", dest);
    bool bind = o.bind || (m->type && strcmp(m->type, "bind") == 0);
    bool cgroup = !bind && m->type && strcmp(m->type, "cgroup") == 0;
    if (cgroup || on_config_tmpfs(cfg, dest) || (bind && m->source == NULL)) {
      mount_options_free(&o);
      continue;
    }
    _cleanup_free_ char *src = bind ? bind_source_path(&ctx, m->source) : NULL;
    _cleanup_free_ char *what = xasprintf("restore: mount point %s", dest);
    struct stat st;
    bool file = bind && stat(src, &st) == 0 && !S_ISDIR(st.st_mode);
    _cleanup_close_ int target = prepare_destination(rootfd, dest, file, m->type, i, err);
    if (target < 0)
      rc = -1;
    /* A bind is mounted for the time being, so a mount point inside it is
     * made in its source, where the container will see it. */
    if (rc == 0 && bind) {
      int tree = bind_create_detached(AT_FDCWD, src, o.rec, what, err);
      if (tree < 0 || attach_tree(tree, target, rootfd, dest, what, err) < 0)
        rc = -1;
      if (tree >= 0)
        binds[nbinds++] = tree;
    }
    mount_options_free(&o);
  }
  /* CRIU makes the container's mounts itself: take ours away again. */
  while (nbinds > 0) {
    char path[64];
    int fd = binds[--nbinds];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    umount2(path, MNT_DETACH);
    close(fd);
  }
  return rc;
}

/* The rest of `path` below `root` ("/" for root itself), or NULL when it is
 * not below it; both clean. */
static const char *below(const char *path, const char *root)
{
  size_t n = strlen(root);
  if (n <= 1 || strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
    return NULL;
  return path[n] ? path + n : "/";
}

void rootfs_destinations_in_root(ocispec_config *cfg, const char *rootfs, const char *real)
{
  _cleanup_free_ char *lex = path_clean(rootfs), *rl = path_clean(real);
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    char *d = cfg->mounts[i].destination;
    if (d == NULL || d[0] != '/')
      continue;
    _cleanup_free_ char *clean = path_clean(d);
    const char *rest = below(clean, rl);
    if (rest == NULL)
      rest = below(clean, lex);
    if (rest == NULL)
      continue;
    cfg->mounts[i].destination = xstrdup(rest);
    free(d);
  }
}

char *rootfs_source_in_root(const char *source, const char *rootfs)
{
  if (source == NULL || source[0] != '/' || rootfs == NULL)
    return NULL;
  _cleanup_free_ char *clean = path_clean(source), *root = path_clean(rootfs);
  const char *rest = below(clean, root);
  return rest ? xstrdup(rest) : NULL;
}

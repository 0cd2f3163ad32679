/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_pathsafe.c - lexical path helpers and in-root resolution: symlinks
 * planted in a fake rootfs (to "/", "../../..", absolute host paths, dangling
 * host targets) must resolve, create and open only inside it. Unprivileged. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pathsafe.h"
#include "tap.h"
#include "utils.h"

static char tmp[64];
static char root[128];

static void check_clean(const char *in, const char *want)
{
  char *got = path_clean(in);
  is_str(got, want, "path_clean(\"%s\")", in);
  free(got);
}

static void check_split(const char *in, const char *wp, const char *wb)
{
  char *p, *b;
  path_split(in, &p, &b);
  ok(strcmp(p, wp) == 0 && strcmp(b, wb) == 0, "path_split(\"%s\") = \"%s\" + \"%s\" (got \"%s\" + \"%s\")", in, wp, wb, p, b);
  free(p);
  free(b);
}

static bool exists(const char *fmt, const char *a)
{
  char *p = xasprintf(fmt, a);
  struct stat st;
  bool r = lstat(p, &st) == 0;
  free(p);
  return r;
}

/* true when fd is the object at root-relative path rel */
static bool is_at(int fd, const char *rel)
{
  char *p = xasprintf("%s/%s", root, rel);
  int other = open(p, O_PATH | O_CLOEXEC);
  free(p);
  bool same = other >= 0 && fd_same_object(fd, other);
  if (other >= 0)
    close(other);
  return same;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
  return remove(p);
}

static void build_tree(void)
{
  strcpy(tmp, "/tmp/test-pathsafe.XXXXXX");
  if (mkdtemp(tmp) == NULL)
    abort();
  snprintf(root, sizeof root, "%s/root", tmp);
  char *p;
  mkdir(root, 0755);
  p = xasprintf("%s/etc", root); mkdir(p, 0755); free(p);
  p = xasprintf("%s/etc/marker", root); close(open(p, O_CREAT | O_WRONLY, 0644)); free(p);
  p = xasprintf("%s/outside", tmp); mkdir(p, 0755); free(p);
  p = xasprintf("%s/link_root", root); (void) !symlink("/", p); free(p);
  p = xasprintf("%s/link_up", root); (void) !symlink("../../../../../../etc", p); free(p);
  p = xasprintf("%s/abs_etc", root); (void) !symlink("/etc", p); free(p);
  p = xasprintf("%s/dangling", root); (void) !symlink("/nonexistent-uoci-test/sub", p); free(p);
  char *outside = xasprintf("%s/outside/victim", tmp);
  p = xasprintf("%s/dangling_file", root); (void) !symlink(outside, p); free(p);
  free(outside);
  /* ../../outside from root/etc would reach the host tmp dir if unconfined */
  p = xasprintf("%s/etc/up2", root); (void) !symlink("../../outside", p); free(p);
}

int main(void)
{
  check_clean("", "/");
  check_clean("a/b", "/a/b");
  check_clean("/a//b/./c/", "/a/b/c");
  check_clean("/../../x", "/x");
  check_clean("/a/b/../../..", "/");
  check_clean("/a/../b/..", "/");
  check_clean("/dev/../../../etc/passwd", "/etc/passwd");
  check_split("/a/b", "/a", "b");
  check_split("/a", "/", "a");
  check_split("/", "/", ".");

  build_tree();
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ok(rootfd >= 0, "open fake rootfs %s", root);
  ok(fd_mount_id(rootfd) != 0, "statx reports a mount id");
  uoci_error *err = NULL;

  int fd = in_root_open(rootfd, "/link_root", O_PATH, 0);
  ok(fd >= 0 && fd_same_object(fd, rootfd), "symlink to / resolves to the rootfs root");
  if (fd >= 0) close(fd);
  fd = in_root_open(rootfd, "../../..", O_PATH, 0);
  ok(fd >= 0 && fd_same_object(fd, rootfd), "../../.. is clamped at the rootfs root");
  if (fd >= 0) close(fd);
  fd = in_root_open(rootfd, "link_up", O_PATH, 0);
  ok(fd >= 0 && is_at(fd, "etc"), "symlink ../../../../etc resolves to rootfs/etc");
  if (fd >= 0) close(fd);
  fd = in_root_open(rootfd, "abs_etc/marker", O_PATH, 0);
  ok(fd >= 0 && is_at(fd, "etc/marker"), "absolute symlink /etc is the rootfs's /etc");
  if (fd >= 0) close(fd);
  fd = in_root_open(rootfd, "abs_etc/hostname", O_PATH, 0);
  ok(fd < 0 && errno == ENOENT, "the host's /etc/hostname is not reachable through /etc");
  if (fd >= 0) close(fd);
  fd = in_root_open(rootfd, "etc/up2", O_PATH, 0);
  ok(fd < 0 && errno == ENOENT, "etc/up2 -> ../../outside does not reach the host directory");
  if (fd >= 0) close(fd);

  fd = in_root_mkdir_p(rootfd, "/link_up/newdir/sub", 0755, &err);
  ok(fd >= 0 && is_at(fd, "etc/newdir/sub"), "mkdir -p through ../../ link creates inside the rootfs");
  ok(!exists("%s/newdir", "/etc"), "and not in the host's /etc");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  fd = in_root_mkdir_p(rootfd, "/etc/up2/made", 0755, &err);
  ok(fd >= 0 && is_at(fd, "outside/made"), "mkdir through dangling etc/up2 -> ../../outside creates rootfs/outside/made");
  ok(!exists("%s/outside/made", tmp), "never the host directory next to the rootfs");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  fd = in_root_create_file(rootfd, "/abs_etc/created", 0644, &err);
  ok(fd >= 0 && is_at(fd, "etc/created"), "file created through /etc link lands in rootfs/etc");
  ok(!exists("%s/created", "/etc"), "host /etc untouched");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  fd = in_root_mkdir_p(rootfd, "/dangling/x", 0755, &err);
  ok(fd >= 0 && is_at(fd, "nonexistent-uoci-test/sub/x"), "mkdir through a dangling absolute link creates its target in the rootfs");
  ok(!exists("%s", "/nonexistent-uoci-test"), "and creates nothing on the host");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  char *loop = xasprintf("%s/loop", root);
  (void) !symlink("/loop", loop);
  free(loop);
  fd = in_root_mkdir_p(rootfd, "/loop/x", 0755, &err);
  ok(fd < 0 && err && err->errnum == ELOOP, "a self-referencing link is an error: %s", err ? err->msg : "(none)");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  /* as runc and crun: the link's target is made, inside the rootfs */
  fd = in_root_create_file(rootfd, "/dangling_file", 0644, &err);
  char *inside = xasprintf("%s/outside/victim", tmp + 1);
  ok(fd >= 0 && is_at(fd, inside), "a file over a dangling link to a host path is made at its target in the rootfs");
  free(inside);
  ok(!exists("%s/outside/victim", tmp), "the host path was not created");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  char *rel = xasprintf("%s/etc/resolv.conf", root);
  (void) !symlink("../run/uoci/resolv.conf", rel);
  free(rel);
  fd = in_root_create_file(rootfd, "/etc/resolv.conf", 0644, &err);
  ok(fd >= 0 && is_at(fd, "run/uoci/resolv.conf"), "a relative dangling link: its target and parents are made (%s)",
     err ? err->msg : "");
  if (fd >= 0) close(fd);
  uoci_error_freep(&err);

  fd = in_root_open(rootfd, "/", O_PATH, 0);
  ok(fd >= 0 && fd_same_object(fd, rootfd), "\"/\" is the root");
  if (fd >= 0) close(fd);

  close(rootfd);
  nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return done_testing();
}

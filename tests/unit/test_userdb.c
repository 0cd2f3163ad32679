/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_userdb.c - "USER[:GROUP]" against passwd/group text (the image-spec's
 * conversion rules), and reading /etc/passwd inside a fake rootfs whose
 * symlinks point at host files, FIFOs and huge files. Unprivileged. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "userdb.h"
#include "utils.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "\n"
                             "+nisentry::::::\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "broken:x:notanumber:1::/:/bin/sh\n"
                             "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\r\n"
                             "short:x:40:41\n"
                             "redis:x:100:101::/var/lib/redis:/usr/sbin/nologin";
static const char group[] = "root:x:0:\n"
                            "adm:x:4:www-data,redis\n"
                            "www-data:x:33:\n"
                            "redis:x:101:\n"
                            "users:x:100:redis\n"
                            "dup:x:4:redis\n"
                            "staff:x:50:daemon";

/* Resolve and describe the result as "uid gid [g1,g2...]", or "error: MSG". */
static char *resolve(const char *spec, const char *pw, const char *gr)
{
  struct userdb_user u;
  uoci_error *err = NULL;
  if (userdb_resolve(spec, pw, gr, "/r", &u, &err) < 0) {
    char *s = xasprintf("error: %s", err->msg);
    uoci_error_free(err);
    return s;
  }
  char gids[256] = "";
  for (size_t i = 0; i < u.additional_gids_len; i++)
    snprintf(gids + strlen(gids), sizeof gids - strlen(gids), "%s%u", i ? "," : "", u.additional_gids[i]);
  char *s = xasprintf("%u %u [%s]", u.uid, u.gid, gids);
  userdb_user_clear(&u);
  return s;
}

static void check(const char *spec, const char *pw, const char *gr, const char *want)
{
  char *got = resolve(spec, pw, gr);
  is_str(got, want, "resolve \"%s\"", spec);
  free(got);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
  (void) st, (void) flag, (void) f;
  return remove(p);
}

static char *read_in(int rootfd, const char *path, int *rc)
{
  char *out = NULL;
  uoci_error *err = NULL;
  *rc = userdb_read_in_root(rootfd, path, "/r", &out, &err);
  if (*rc < 0) {
    char *s = xasprintf("error: %s", err->msg);
    uoci_error_free(err);
    return s;
  }
  return out;
}

int main(void)
{
  /* names: the passwd entry; the gid is an additional one too, memberships only without a group */
  check("www-data", passwd, group, "33 33 [33,4]");
  check("redis", passwd, group, "100 101 [101,4,100]"); /* gid 4 twice (adm, dup): once */
  check("redis:users", passwd, group, "100 100 [100]");
  check("redis:7", passwd, group, "100 7 [7]");
  check("short", passwd, group, "40 41 [41]"); /* four fields are enough */
  check("root", passwd, group, "0 0 [0]");
  /* numbers: verbatim; a uid with an entry gets its primary gid; no memberships */
  check("33", passwd, group, "33 33 [33]");
  check("1000", passwd, group, "1000 0 [0]");
  check("1000:1000", NULL, NULL, "1000 1000 [1000]");
  check("0", NULL, NULL, "0 0 [0]");
  check("4294967294", NULL, NULL, "4294967294 0 [0]");
  check("1000:adm", passwd, group, "1000 4 [4]");
  /* errors */
  check("nobody", passwd, group, "error: user \"nobody\": no user \"nobody\" in /r/etc/passwd");
  check("broken", passwd, group, "error: user \"broken\": no user \"broken\" in /r/etc/passwd");
  check("nisentry", passwd, group, "error: user \"nisentry\": no user \"nisentry\" in /r/etc/passwd");
  check("www-data", NULL, group, "error: user \"www-data\": /r has no /etc/passwd to look the name up in");
  check("0:wheel", passwd, group, "error: user \"0:wheel\": no group \"wheel\" in /r/etc/group");
  check("0:adm", passwd, NULL, "error: user \"0:adm\": /r has no /etc/group to look the name up in");
  check("4294967295", passwd, group, "error: user \"4294967295\": no user \"4294967295\" in /r/etc/passwd");
  check("", passwd, group, "error: user \"\": expected USER[:GROUP], names or numbers");
  check("root:", passwd, group, "error: user \"root:\": expected USER[:GROUP], names or numbers");
  check("a:b:c", passwd, group, "error: user \"a:b:c\": expected USER[:GROUP], names or numbers");
  /* a comment or partial line never matches a name */
  check("#", passwd, group, "error: user \"#\": no user \"#\" in /r/etc/passwd");

  /* an image's /etc/group naming the user in more groups than setgroups
   * takes: refused at the first one past the limit (before, `spec --user`
   * spent minutes in the duplicate check on 700000 of them) */
  size_t cap = 100000 * 24, len = 0;
  char *many = xmalloc(cap);
  for (unsigned i = 0; i < 100000; i++)
    len += (size_t) snprintf(many + len, cap - len, "g%u:x:%u:redis\n", i, 10000 + i);
  check("redis", passwd, many, "error: user \"redis\": member of more than 65536 groups in /r/etc/group");
  len = 0;
  for (unsigned i = 0; i < USERDB_GROUPS_MAX - 1; i++) /* with the primary gid: exactly the limit */
    len += (size_t) snprintf(many + len, cap - len, "g%u:x:%u:redis\n", i, 10000 + i);
  struct userdb_user u;
  uoci_error *err = NULL;
  ok(userdb_resolve("redis", passwd, many, "/r", &u, &err) == 0 && u.additional_gids_len == USERDB_GROUPS_MAX,
     "65536 groups are taken");
  userdb_user_clear(&u);
  uoci_error_free(err);
  free(many);

  is_int(userdb_needs_files("1000:1000"), USERDB_NO_FILES, "numbers only: no lookup");
  is_int(userdb_needs_files("1000"), USERDB_FILES_IF_PRESENT, "a uid alone: its primary gid if there is a passwd");
  is_int(userdb_needs_files("www-data"), USERDB_FILES_REQUIRED, "a name: the files");
  is_int(userdb_needs_files("0:adm"), USERDB_FILES_REQUIRED, "a group name: the files");

  /* reading inside a rootfs */
  char tmp[] = "/tmp/test-userdb.XXXXXX";
  if (mkdtemp(tmp) == NULL)
    return 1;
  char *root = xasprintf("%s/root", tmp), *etc = xasprintf("%s/root/etc", tmp);
  char *host = xasprintf("%s/host-secret", tmp);
  mkdir(root, 0755);
  mkdir(etc, 0755);
  int hf = open(host, O_WRONLY | O_CREAT, 0600);
  if (hf < 0 || write(hf, "secret\n", 7) != 7)
    return 1;
  close(hf);
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int rc;
  char *s = read_in(rootfd, "/etc/passwd", &rc);
  ok(rc == 0 && s == NULL, "a missing /etc/passwd is no error, and no text");
  free(s);

  /* an absolute symlink to a host file resolves inside the rootfs: missing there */
  char *link = xasprintf("%s/passwd", etc);
  if (symlink(host, link) < 0)
    return 1;
  s = read_in(rootfd, "/etc/passwd", &rc);
  ok(rc == 0 && s == NULL, "a symlink to a host path is looked up in the rootfs, not followed out");
  free(s);
  unlink(link);
  char *rel = xasprintf("../../../../../../..%s", host);
  if (symlink(rel, link) < 0)
    return 1;
  s = read_in(rootfd, "/etc/passwd", &rc);
  ok(rc == 0 && s == NULL, "../.. never climbs above the rootfs");
  free(s);
  unlink(link);

  if (mkfifo(link, 0644) < 0)
    return 1;
  s = read_in(rootfd, "/etc/passwd", &rc);
  is_str(s, "error: /r/etc/passwd: not a regular file", "a FIFO is refused without opening it (no hang)");
  free(s);
  unlink(link);

  int fd = open(link, O_WRONLY | O_CREAT, 0644);
  if (fd < 0 || ftruncate(fd, (off_t) 17 << 20) < 0)
    return 1;
  close(fd);
  s = read_in(rootfd, "/etc/passwd", &rc);
  is_str(s, "error: /r/etc/passwd: larger than 16 MiB", "a huge file is refused");
  free(s);
  unlink(link);

  fd = open(link, O_WRONLY | O_CREAT, 0644);
  if (fd < 0 || write(fd, passwd, strlen(passwd)) != (ssize_t) strlen(passwd))
    return 1;
  close(fd);
  s = read_in(rootfd, "/etc/passwd", &rc);
  is_str(s, passwd, "the rootfs' own file is read whole");
  free(s);

  close(rootfd);
  nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free(root), free(etc), free(host), free(link), free(rel);
  done_testing();
  return tap_failed != 0;
}

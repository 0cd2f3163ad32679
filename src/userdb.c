/* SPDX-License-Identifier: GPL-2.0-or-later */
/* userdb.c - see userdb.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "pathsafe.h"
#include "userdb.h"
#include "utils.h"

/* Larger than any real passwd or group file; a bound on what a hostile
 * rootfs can make us read. */
#define USERDB_MAX_FILE (16 << 20)

void userdb_user_clear(struct userdb_user *u)
{
  free(u->additional_gids);
  *u = (struct userdb_user){ 0 };
}

/* A uid or gid: decimal digits only, below (uint32_t) -1, which means "none". */
static bool parse_id(const char *s, size_t n, uint32_t *out)
{
  if (n == 0 || n > 10)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char) s[i]))
      return false;
    v = v * 10 + (uint64_t) (s[i] - '0');
  }
  if (v >= UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

enum userdb_need userdb_needs_files(const char *spec)
{
  const char *colon = strchr(spec, ':');
  size_t ulen = colon ? (size_t) (colon - spec) : strlen(spec);
  uint32_t id;
  if (!parse_id(spec, ulen, &id) || (colon && !parse_id(colon + 1, strlen(colon + 1), &id)))
    return USERDB_FILES_REQUIRED;
  return colon ? USERDB_NO_FILES : USERDB_FILES_IF_PRESENT;
}

/* One line of a colon-separated database split into at most `max` fields,
 * empty ones kept. Comments, blank lines and NIS "+"/"-" entries give 0. */
static size_t split_entry(char *line, char **fields, size_t max)
{
  if (line[0] == '\0' || line[0] == '#' || line[0] == '+' || line[0] == '-')
    return 0;
  size_t n = 0;
  char *s = line;
  while (n < max && s) {
    fields[n++] = s;
    s = strchr(s, ':');
    if (s)
      *s++ = '\0';
  }
  return n;
}

/* Calls `match` for each well-formed entry of `db` (a copy is split) until it
 * returns true; returns that. */
typedef bool entry_fn(char **fields, size_t n, void *data);

static bool for_each_entry(const char *db, size_t min_fields, entry_fn *match, void *data)
{
  if (db == NULL)
    return false;
  _cleanup_free_ char *copy = xstrdup(db);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[len - 1] = '\0';
    char *fields[7];
    size_t n = split_entry(line, fields, 7);
    if (n >= min_fields && match(fields, n, data))
      return true;
  }
  return false;
}

struct passwd_query {
  const char *name;   /* match by name, or */
  bool by_uid;        /* by uid */
  uint32_t uid;
  uint32_t found_uid, found_gid;
};

static bool passwd_match(char **f, size_t n, void *data)
{
  (void) n;
  struct passwd_query *q = data;
  uint32_t uid, gid;
  if (!parse_id(f[2], strlen(f[2]), &uid) || !parse_id(f[3], strlen(f[3]), &gid))
    return false;
  if (q->by_uid ? uid != q->uid : strcmp(f[0], q->name) != 0)
    return false;
  q->found_uid = uid;
  q->found_gid = gid;
  return true;
}

struct group_query {
  const char *name;
  uint32_t found_gid;
};

static bool group_by_name(char **f, size_t n, void *data)
{
  (void) n;
  struct group_query *q = data;
  uint32_t gid;
  if (strcmp(f[0], q->name) != 0 || !parse_id(f[2], strlen(f[2]), &gid))
    return false;
  q->found_gid = gid;
  return true;
}

struct membership {
  const char *user;
  struct userdb_user *out;
  bool too_many;
};

/* false past USERDB_GROUPS_MAX groups, which setgroups and the config's check
 * refuse: the duplicate check is linear, and an image's 16 MiB /etc/group
 * naming the user in 700000 groups kept `spec --user` (ulysses-bundle) busy
 * for minutes on a config create refuses anyway. */
static bool add_gid(struct userdb_user *o, uint32_t gid)
{
  for (size_t i = 0; i < o->additional_gids_len; i++)
    if (o->additional_gids[i] == gid)
      return true;
  if (o->additional_gids_len >= USERDB_GROUPS_MAX)
    return false;
  o->additional_gids = xrealloc(o->additional_gids, (o->additional_gids_len + 1) * sizeof *o->additional_gids);
  o->additional_gids[o->additional_gids_len++] = gid;
  return true;
}

static bool add_if_member(char **f, size_t n, void *data)
{
  struct membership *m = data;
  uint32_t gid;
  if (n < 4 || !parse_id(f[2], strlen(f[2]), &gid))
    return false;
  _cleanup_free_ char *members = xstrdup(f[3]);
  char *save = NULL;
  for (char *u = strtok_r(members, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
    if (strcmp(u, m->user) == 0) {
      m->too_many = !add_gid(m->out, gid);
      break;
    }
  }
  return m->too_many; /* else keep going: every group counts */
}

int userdb_resolve(const char *spec, const char *passwd, const char *group, const char *where,
                   struct userdb_user *out, uoci_error **err)
{
  *out = (struct userdb_user){ 0 };
  const char *colon = strchr(spec, ':');
  _cleanup_free_ char *user = colon ? strndup(spec, (size_t) (colon - spec)) : xstrdup(spec);
  const char *grp = colon ? colon + 1 : NULL;
  if (user[0] == '\0' || (grp && (grp[0] == '\0' || strchr(grp, ':'))))
    return uoci_fail(err, 0, "user \"%s\": expected USER[:GROUP], names or numbers", spec);

  bool user_is_name = !parse_id(user, strlen(user), &out->uid);
  if (user_is_name) {
    struct passwd_query q = { .name = user };
    if (passwd == NULL)
      return uoci_fail(err, 0, "user \"%s\": %s has no /etc/passwd to look the name up in", spec, where);
    if (!for_each_entry(passwd, 4, passwd_match, &q))
      return uoci_fail(err, 0, "user \"%s\": no user \"%s\" in %s/etc/passwd", spec, user, where);
    out->uid = q.found_uid;
    out->gid = q.found_gid;
  } else {
    struct passwd_query q = { .by_uid = true, .uid = out->uid };
    out->gid = for_each_entry(passwd, 4, passwd_match, &q) ? q.found_gid : 0;
  }

  /* The primary group is a supplementary one too, as after a login's
   * initgroups(3) and as podman and containerd set it: `id` shows the same. */
  if (grp) {
    if (!parse_id(grp, strlen(grp), &out->gid)) {
      struct group_query q = { .name = grp };
      if (group == NULL)
        return uoci_fail(err, 0, "user \"%s\": %s has no /etc/group to look the name up in", spec, where);
      if (!for_each_entry(group, 3, group_by_name, &q))
        return uoci_fail(err, 0, "user \"%s\": no group \"%s\" in %s/etc/group", spec, grp, where);
      out->gid = q.found_gid;
    }
    add_gid(out, out->gid);
  } else if (user_is_name) {
    add_gid(out, out->gid);
    struct membership m = { .user = user, .out = out };
    if (for_each_entry(group, 4, add_if_member, &m))
      return uoci_fail(err, 0, "user \"%s\": member of more than %d groups in %s/etc/group", spec, USERDB_GROUPS_MAX,
                       where);
  } else {
    add_gid(out, out->gid);
  }
  return 0;
}

/* read_regular_file_with's opener: resolved inside the root, no /proc needed
 * (this also runs inside a container that has none). */
static int open_in_root(int rootfd, const char *path, int flags)
{
  return in_root_open(rootfd, path, flags, 0);
}

int userdb_read_in_root(int rootfd, const char *path, const char *where, char **out, uoci_error **err)
{
  *out = NULL;
  /* a regular file only: a FIFO or /dev/zero planted there never hangs us */
  _cleanup_free_ char *buf = NULL;
  size_t n;
  if (read_regular_file_with(open_in_root, rootfd, where, path, USERDB_MAX_FILE, &buf, &n, err) < 0) {
    if ((*err)->errnum != ENOENT)
      return -1;
    uoci_error_free(*err);
    *err = NULL;
    return 0;
  }
  if (memchr(buf, '\0', n))
    return uoci_fail(err, 0, "%s%s: not a text file", where, path);
  *out = steal_ptr(buf);
  return 0;
}

struct home_query {
  uint32_t uid;
  char *home;
};

static bool home_match(char **f, size_t n, void *data)
{
  struct home_query *q = data;
  uint32_t uid;
  if (n < 6 || !parse_id(f[2], strlen(f[2]), &uid) || uid != q->uid)
    return false;
  q->home = xstrdup(f[5]);
  return true;
}

char *userdb_home_in_root(int rootfd, uint32_t uid)
{
  _cleanup_free_ char *passwd = NULL;
  uoci_error *err = NULL;
  if (userdb_read_in_root(rootfd, "/etc/passwd", "", &passwd, &err) < 0) {
    uoci_error_free(err);
    return NULL;
  }
  struct home_query q = { .uid = uid };
  for_each_entry(passwd, 6, home_match, &q);
  return q.home;
}

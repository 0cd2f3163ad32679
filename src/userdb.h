/* SPDX-License-Identifier: GPL-2.0-or-later */
/* userdb.h - the users and groups of a root filesystem: "USER[:GROUP]" (names
 * or numbers, as docker's --user and an image's Config.User) resolved against
 * its /etc/passwd and /etc/group, read without ever leaving the rootfs.
 *
 * The rules are the OCI image-spec's conversion rules (and docker's):
 *   - a numeric user or group is taken as it is;
 *   - a name is looked up, and is an error when missing;
 *   - without a group, the gid is the user's primary group from /etc/passwd
 *     (0 for a number that has no entry);
 *   - the additional gids are the gid, then (only for a user given by name
 *     and without a group) the user's memberships in /etc/group; podman and
 *     containerd put the gid there too, as a login's initgroups(3) does. */
#ifndef UOCI_USERDB_H
#define UOCI_USERDB_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* The kernel's limit on supplementary groups (setgroups(2)): musl's
 * <limits.h> says NGROUPS_MAX is 32, and a static musl build refused
 * configs with 33 additionalGids that the kernel and runc take. */
#define USERDB_GROUPS_MAX 65536

struct userdb_user {
  uint32_t uid;
  uint32_t gid;
  uint32_t *additional_gids; /* malloc'd, may be NULL */
  size_t additional_gids_len;
};

void userdb_user_clear(struct userdb_user *u);

/* What resolving `spec` needs: nothing (numbers only), the files if the
 * rootfs has them (a number without a group: its primary gid), or the files
 * (a name). */
enum userdb_need { USERDB_NO_FILES, USERDB_FILES_IF_PRESENT, USERDB_FILES_REQUIRED };
enum userdb_need userdb_needs_files(const char *spec);

/* Resolve `spec` against the contents of /etc/passwd and /etc/group (either
 * NULL when the file is absent). `where` names the rootfs in errors. Pure. */
int userdb_resolve(const char *spec, const char *passwd, const char *group, const char *where,
                   struct userdb_user *out, uoci_error **err);

/* Read PATH (e.g. "/etc/passwd") of the root filesystem `rootfd`, resolved
 * inside it (symlinks cannot leave it). *out is NULL when the file does not
 * exist; a non-regular file or one larger than 16 MiB is an error. */
int userdb_read_in_root(int rootfd, const char *path, const char *where, char **out, uoci_error **err);

/* The home directory of `uid` in /etc/passwd of `rootfd` (read as above), or
 * NULL: no such entry, or no readable regular file there. malloc'd. */
char *userdb_home_in_root(int rootfd, uint32_t uid);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pathsafe.h - resolving and creating paths INSIDE a root directory.
 *
 * Every function takes `rootfd`, an fd on the container's root, and treats
 * the path as relative to it with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): ".." and absolute symlinks are clamped at the root
 * and /proc magic links are refused, so a hostile rootfs cannot send the
 * runtime to a host path. The results are O_PATH fds; the mount code acts on
 * those fds (move_mount, open_tree), never on a path string again. */
#ifndef UOCI_PATHSAFE_H
#define UOCI_PATHSAFE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

/* Split a cleaned path into its parent and its last component. For "/" the
 * base is "." . Both malloc'd. */
void path_split(const char *clean, char **parent, char **base);

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS|extra).
 * Returns the fd or -1 with errno set (EAGAIN races are retried). */
int in_root_open(int rootfd, const char *path, int flags, uint64_t extra_resolve);

/* mkdir -p inside the root: every missing component is created with mode in
 * the directory its parent resolved to. Returns an O_PATH fd on the final
 * directory, or -1 with *err ("mkdir /x/y in rootfs: ..."). */
int in_root_mkdir_p(int rootfd, const char *path, mode_t mode, uoci_error **err);

/* The parent directory of `path` (created if missing) as an O_PATH fd, and the
 * last component in *base. */
int in_root_open_parent(int rootfd, const char *path, char **base, uoci_error **err);

/* Create an empty regular file at path inside the root if nothing is there
 * (parents too), then return an O_PATH fd on what the path resolves to. */
int in_root_create_file(int rootfd, const char *path, mode_t mode, uoci_error **err);

/* The mount id of an fd (statx STATX_MNT_ID), or 0 on failure. */
uint64_t fd_mount_id(int fd);

/* True when both fds name the same inode on the same mount. */
bool fd_same_object(int a, int b);

/* Open /proc/self/FILE of the procfs at /proc for the kernel's own files
 * (oom_score_adj, attr/exec): /proc must be a procfs root and nothing may be
 * mounted on the way, so that no mount a config or an image put there takes
 * the write (runc's CVE-2019-16884 and CVE-2025-52881 class). Returns the
 * fd, or -1 with *err naming the file. */
int proc_self_open(const char *file, int flags, uoci_error **err);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootless.h - is the runtime rootless, and where does its state go by
 * default? runc's rules, which engines were written against:
 *
 *   rootless (cgroups best effort)   euid != 0, or euid 0 in a user namespace
 *                                    other than the initial one (rootless
 *                                    podman runs the runtime as uid 0 there)
 *   state root (--root default)      $XDG_RUNTIME_DIR/ulysses-oci when euid != 0,
 *                                    or in a user namespace unless $USER is
 *                                    "root"; otherwise /run/ulysses-oci. Not
 *                                    root without XDG_RUNTIME_DIR:
 *                                    /tmp/ulysses-oci-EUID, which must be the
 *                                    caller's own private directory.
 *
 * The decisions are pure functions of a rootless_env (unit-tested);
 * rootless_env_detect() fills one from the process. */
#ifndef UOCI_ROOTLESS_H
#define UOCI_ROOTLESS_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

struct rootless_env {
  uid_t euid;
  bool in_userns;              /* not the initial user namespace */
  const char *xdg_runtime_dir; /* $XDG_RUNTIME_DIR, NULL when unset or empty */
  const char *user;            /* $USER, NULL when unset */
};

#define ROOTLESS_ROOT_DEFAULT "/run/ulysses-oci"

/* Does the first line of /proc/self/uid_map describe the initial user
 * namespace ("0 0 4294967295")? An empty map (a namespace whose map is not
 * written yet) is not the initial one. */
bool rootless_uid_map_is_initial(const char *uid_map);

void rootless_env_detect(struct rootless_env *e);

/* Cgroups best effort: permission errors skip a hierarchy (cgroup.c). */
bool rootless_cgroups(const struct rootless_env *e);

/* The default state root (malloc'd). *private_tmp is set when it is the
 * /tmp fallback, which rootless_check_private_dir() must vet before use. */
char *rootless_default_root(const struct rootless_env *e, bool *private_tmp);

/* Make `path` (mode 0700) when missing and check it is a directory owned by
 * the caller that nobody else can write: a directory under /tmp that another
 * user made first would hand them our containers' state and configs. */
int rootless_check_private_dir(const char *path, uoci_error **err);

#endif

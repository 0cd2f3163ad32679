/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mountopt.h - what a config mount's options ask for: OCI mount option
 * names parsed into mount_setattr attributes, propagation and the runtime's
 * own options (bind, idmap, tmpcopyup...). Pure logic, no system calls: the
 * rootfs module applies them, procmount.c and criu.c ask what a mount is,
 * `features` lists the names. */
#ifndef UOCI_MOUNTOPT_H
#define UOCI_MOUNTOPT_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "ocispec.h"

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

/* Append `item` to a comma-separated option string (*data NULL: none yet). */
void mount_data_append(char **data, const char *item);

/* For `features`: every option name mount_options_parse knows (static,
 * NULL-terminated); *n gets the count. */
const char *const *mount_known_options(size_t *n);

/* Propagation name ("rslave", "private", ...) to MS_* flags (with MS_REC for
 * the r-forms). Returns 0 for an unknown name. */
unsigned long propagation_from_name(const char *name);

/* True when the mount has exactly `opt` among its options. */
bool mount_has_option(const ocispec_mount *m, const char *opt);
/* True when the mount is a bind: type "bind", or a "bind"/"rbind" option. */
bool mount_is_bind(const ocispec_mount *m);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mountinfo.h - the mount table as the kernel shows it to this process
 * (/proc/self/mountinfo), parsed: for the rootfs module (the mount under
 * the rootfs, cgroup trees) and resctrl (where resctrl is mounted). */
#ifndef UOCI_MOUNTINFO_H
#define UOCI_MOUNTINFO_H

#include "error.h"

/* One line of /proc/self/mountinfo. */
struct mountinfo_entry {
  int id, parent;
  char *root, *mount_point, *optional, *fstype, *source, *super_opts;
};
struct mountinfo {
  struct mountinfo_entry *e;
  size_t len;
};
int mountinfo_read(struct mountinfo *mi, uoci_error **err);
/* Parse mountinfo text (pure; exposed for unit tests). */
int mountinfo_parse(const char *text, struct mountinfo *mi);
void mountinfo_free(struct mountinfo *mi);

#endif

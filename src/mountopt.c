/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mountopt.c - see mountopt.h */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "mountopt.h"
#include "utils.h"

enum opt_kind { OPT_SET, OPT_CLR, OPT_ATIME, OPT_PROPAGATION, OPT_BIND, OPT_RBIND,
                OPT_IDMAP, OPT_RIDMAP, OPT_TMPCOPYUP, OPT_REMOUNT, OPT_IGNORE, OPT_SBFLAG };

struct opt_def {
  const char *name;
  enum opt_kind kind;
  uint64_t value;  /* MOUNT_ATTR_* or MS_* propagation */
  bool recursive;  /* the r-prefixed forms of attributes and propagation */
};

static const struct opt_def option_table[] = {
  { "ro", OPT_SET, MOUNT_ATTR_RDONLY, false },      { "rw", OPT_CLR, MOUNT_ATTR_RDONLY, false },
  { "nosuid", OPT_SET, MOUNT_ATTR_NOSUID, false },  { "suid", OPT_CLR, MOUNT_ATTR_NOSUID, false },
  { "nodev", OPT_SET, MOUNT_ATTR_NODEV, false },    { "dev", OPT_CLR, MOUNT_ATTR_NODEV, false },
  { "noexec", OPT_SET, MOUNT_ATTR_NOEXEC, false },  { "exec", OPT_CLR, MOUNT_ATTR_NOEXEC, false },
  { "nodiratime", OPT_SET, MOUNT_ATTR_NODIRATIME, false }, { "diratime", OPT_CLR, MOUNT_ATTR_NODIRATIME, false },
  { "nosymfollow", OPT_SET, MOUNT_ATTR_NOSYMFOLLOW, false }, { "symfollow", OPT_CLR, MOUNT_ATTR_NOSYMFOLLOW, false },
  { "relatime", OPT_ATIME, MOUNT_ATTR_RELATIME, false }, { "noatime", OPT_ATIME, MOUNT_ATTR_NOATIME, false },
  { "strictatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME, false },
  /* "atime" undoes noatime: back to the kernel default, relatime */
  { "atime", OPT_ATIME, MOUNT_ATTR_RELATIME, false },
  { "norelatime", OPT_IGNORE, 0, false }, { "nostrictatime", OPT_IGNORE, 0, false },
  { "rro", OPT_SET, MOUNT_ATTR_RDONLY, true },      { "rrw", OPT_CLR, MOUNT_ATTR_RDONLY, true },
  { "rnosuid", OPT_SET, MOUNT_ATTR_NOSUID, true },  { "rsuid", OPT_CLR, MOUNT_ATTR_NOSUID, true },
  { "rnodev", OPT_SET, MOUNT_ATTR_NODEV, true },    { "rdev", OPT_CLR, MOUNT_ATTR_NODEV, true },
  { "rnoexec", OPT_SET, MOUNT_ATTR_NOEXEC, true },  { "rexec", OPT_CLR, MOUNT_ATTR_NOEXEC, true },
  { "rnodiratime", OPT_SET, MOUNT_ATTR_NODIRATIME, true }, { "rdiratime", OPT_CLR, MOUNT_ATTR_NODIRATIME, true },
  { "rnosymfollow", OPT_SET, MOUNT_ATTR_NOSYMFOLLOW, true }, { "rsymfollow", OPT_CLR, MOUNT_ATTR_NOSYMFOLLOW, true },
  { "rrelatime", OPT_ATIME, MOUNT_ATTR_RELATIME, true }, { "rnoatime", OPT_ATIME, MOUNT_ATTR_NOATIME, true },
  { "rstrictatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME, true }, { "ratime", OPT_ATIME, MOUNT_ATTR_RELATIME, true },
  { "private", OPT_PROPAGATION, MS_PRIVATE, false },  { "rprivate", OPT_PROPAGATION, MS_PRIVATE, true },
  { "shared", OPT_PROPAGATION, MS_SHARED, false },    { "rshared", OPT_PROPAGATION, MS_SHARED, true },
  { "slave", OPT_PROPAGATION, MS_SLAVE, false },      { "rslave", OPT_PROPAGATION, MS_SLAVE, true },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE, false }, { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE, true },
  { "bind", OPT_BIND, 0, false }, { "rbind", OPT_RBIND, 0, true },
  { "idmap", OPT_IDMAP, 0, false }, { "ridmap", OPT_RIDMAP, 0, true },
  { "tmpcopyup", OPT_TMPCOPYUP, 0, false },
  { "remount", OPT_REMOUNT, 0, false },
  { "defaults", OPT_IGNORE, 0, false },
  /* Superblock flags: passed to the filesystem (fsconfig knows them). For a
   * bind mount they mean nothing and are dropped, as MS_REMOUNT|MS_BIND does. */
  { "sync", OPT_SBFLAG, 0, false }, { "async", OPT_SBFLAG, 0, false },
  { "dirsync", OPT_SBFLAG, 0, false }, { "mand", OPT_SBFLAG, 0, false },
  { "nomand", OPT_SBFLAG, 0, false }, { "lazytime", OPT_SBFLAG, 0, false },
  { "nolazytime", OPT_SBFLAG, 0, false },
};

const char *const *mount_known_options(size_t *n)
{
  static const char *names[ARRAY_SIZE(option_table) + 1];
  for (size_t i = 0; i < ARRAY_SIZE(option_table); i++)
    names[i] = option_table[i].name;
  *n = ARRAY_SIZE(option_table);
  return names;
}

void mount_data_append(char **data, const char *item)
{
  if (*data == NULL) {
    *data = xstrdup(item);
    return;
  }
  char *joined = xasprintf("%s,%s", *data, item);
  free(*data);
  *data = joined;
}

static void attr_apply(struct attr_change *a, const struct opt_def *d)
{
  switch (d->kind) {
  case OPT_SET: a->set |= d->value; a->clr &= ~d->value; break;
  case OPT_CLR: a->clr |= d->value; a->set &= ~d->value; break;
  case OPT_ATIME: a->atime = true; a->atime_mode = d->value; break;
  default: break;
  }
}

int mount_options_parse(char *const *opts, size_t n, struct mount_options *o, uoci_error **err)
{
  memset(o, 0, sizeof *o);
  char *sbflags = NULL;
  for (size_t i = 0; i < n; i++) {
    const char *name = opts[i];
    if (name == NULL || name[0] == '\0') {
      free(sbflags);
      mount_options_free(o);
      return uoci_fail(err, 0, "mount option %zu is empty", i);
    }
    const struct opt_def *d = NULL;
    for (size_t k = 0; k < ARRAY_SIZE(option_table); k++)
      if (strcmp(option_table[k].name, name) == 0) {
        d = &option_table[k];
        break;
      }
    if (d == NULL) {
      mount_data_append(&o->data, name);
      continue;
    }
    switch (d->kind) {
    case OPT_SET: case OPT_CLR: case OPT_ATIME:
      attr_apply(d->recursive ? &o->rattrs : &o->attrs, d);
      break;
    case OPT_PROPAGATION: o->propagation = d->value; o->propagation_rec = d->recursive; break;
    case OPT_BIND: o->bind = true; break;
    case OPT_RBIND: o->bind = true; o->rec = true; break;
    case OPT_IDMAP: o->idmap = true; break;
    case OPT_RIDMAP: o->idmap = true; o->idmap_rec = true; break;
    case OPT_TMPCOPYUP: o->tmpcopyup = true; break;
    case OPT_REMOUNT: o->remount = true; break;
    case OPT_SBFLAG: mount_data_append(&sbflags, name); break;
    case OPT_IGNORE: break;
    }
  }
  /* superblock flags only make sense for a new filesystem */
  if (sbflags && !o->bind)
    mount_data_append(&o->data, sbflags);
  free(sbflags);
  return 0;
}

void mount_options_free(struct mount_options *o)
{
  free(o->data);
  o->data = NULL;
}

unsigned long propagation_from_name(const char *name)
{
  for (size_t k = 0; k < ARRAY_SIZE(option_table); k++)
    if (option_table[k].kind == OPT_PROPAGATION && strcmp(option_table[k].name, name) == 0)
      return option_table[k].value | (option_table[k].recursive ? MS_REC : 0);
  return 0;
}

bool mount_has_option(const ocispec_mount *m, const char *opt)
{
  for (size_t k = 0; k < m->options_len; k++)
    if (strcmp(m->options[k], opt) == 0)
      return true;
  return false;
}

bool mount_is_bind(const ocispec_mount *m)
{
  if (m->type && strcmp(m->type, "bind") == 0)
    return true;
  return mount_has_option(m, "bind") || mount_has_option(m, "rbind");
}

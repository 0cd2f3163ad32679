/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keyring.c - see keyring.h */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "keyring.h"
#include "utils.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_SETPERM 5
#define KEY_POS_ALL 0x3f000000
#define KEY_USR_SEARCH 0x00080000
#define KEY_OTH_SEARCH 0x00000008

char *keyring_new_name(const char *id)
{
  unsigned char r[16] = { 0 };
  if (getrandom(r, sizeof r, 0) != (ssize_t) sizeof r) {
    /* no entropy source: still unique, less unguessable */
    FILE *f = fopen("/proc/sys/kernel/random/uuid", "re");
    if (f) {
      size_t n = fread(r, 1, sizeof r, f);
      (void) n;
      fclose(f);
    }
  }
  char hex[33];
  for (size_t i = 0; i < sizeof r; i++)
    snprintf(hex + 2 * i, 3, "%02x", r[i]);
  return xasprintf("_ses.%s.%s", id, hex);
}

static long join(const char *name) { return syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name); }

int keyring_create(const char *name, bool own_userns, uoci_error **err)
{
  long serial = join(name);
  if (serial < 0 && errno == ENOSYS)
    return 0; /* no keyrings in this kernel: no key of the caller's either */
  if (serial < 0)
    return uoci_fail(err, errno, "join a new session keyring");
  /* Possessors (the container's processes) all; others may only find it by
   * name: exec's child (the same uid, or "other" from outside a user
   * namespace of the container's own). No view: the name stays unknown. */
  unsigned long perm = KEY_POS_ALL | (own_userns ? KEY_USR_SEARCH | KEY_OTH_SEARCH : KEY_USR_SEARCH);
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, serial, perm) < 0)
    return uoci_fail(err, errno, "set the session keyring's permissions");
  return 0;
}

int keyring_join(const char *name, uoci_error **err)
{
  /* Should the container's keyring be gone (its processes may replace their
   * session keyring), this makes a new one of that name: still not the
   * caller's. */
  if (join(name) < 0 && errno != ENOSYS)
    return uoci_fail(err, errno, "join the container's session keyring");
  return 0;
}

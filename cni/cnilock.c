/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cnilock.c - see cnilock.h. */
#define _GNU_SOURCE
#include "cnilock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int cni_lock_open(struct cni_error *e)
{
  if (mkdir(CNI_LOCK_DIR, 0755) < 0 && errno != EEXIST)
    return cni_fail(e, CNI_ERR_IO, "%s: %s", CNI_LOCK_DIR, strerror(errno));
  int fd = open(CNI_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return cni_fail(e, CNI_ERR_IO, "%s: %s", CNI_LOCK_FILE, strerror(errno));
  return fd;
}

static int lock_byte(int fd, off_t at, const char *what, struct cni_error *e)
{
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
  while (fcntl(fd, F_OFD_SETLKW, &fl) < 0)
    if (errno != EINTR)
      return cni_fail(e, CNI_ERR_IO, "locking %s in %s: %s", what, CNI_LOCK_FILE, strerror(errno));
  return 0;
}

int cni_lock_attachment(int fd, uint64_t hash, struct cni_error *e)
{
  return lock_byte(fd, (off_t)(1 + (hash >> 2)), "the attachment", e);
}

int cni_lock_host_ports(int fd, struct cni_error *e) { return lock_byte(fd, 0, "the host ports", e); }

void cni_unlock_attachment(int fd, uint64_t hash)
{
  struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = (off_t)(1 + (hash >> 2)), .l_len = 1};
  fcntl(fd, F_OFD_SETLK, &fl);
}

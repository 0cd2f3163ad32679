/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Only for the musl build (Makefile: -include src/musl_compat.h in
 * MUSL_CFLAGS; glibc builds never see this file). musl 1.2.3 (Debian 12)
 * lacks the wrappers, types and constants of the new mount API, statx and
 * renameat2 that glibc 2.36 declares in <sys/mount.h>, <sys/stat.h> and
 * <stdio.h>. The constants and structs come from the kernel's uapi headers;
 * the functions are the raw system calls, with glibc's prototypes, so the
 * sources compile unchanged against either libc. */
#ifndef UOCI_MUSL_COMPAT_H
#define UOCI_MUSL_COMPAT_H

/* force-included before any source's own #define (as the cni/ files spell it) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/types.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/stat.h>
#include <linux/fs.h>

/* musl's open() follows every O_CLOEXEC open with an fcntl(F_SETFD) of its
 * own (for kernels before 2.6.23); its openat() does not. Every open of the
 * sources is an openat here: one system call less each time (~25 in a
 * `run`, two per container in `list`). */
#define open(path, ...) openat(AT_FDCWD, path, __VA_ARGS__)

static inline int open_tree(int dfd, const char *path, unsigned int flags)
{
  return (int) syscall(SYS_open_tree, dfd, path, flags);
}

static inline int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path,
                              unsigned int flags)
{
  return (int) syscall(SYS_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
}

static inline int fsopen(const char *fsname, unsigned int flags)
{
  return (int) syscall(SYS_fsopen, fsname, flags);
}

static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
  return (int) syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
  return (int) syscall(SYS_fsmount, fd, flags, attr_flags);
}

static inline int mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr,
                                 size_t size)
{
  return (int) syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

static inline int statx(int dfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
  return (int) syscall(SYS_statx, dfd, path, flags, mask, buf);
}

static inline int renameat2(int olddfd, const char *oldpath, int newdfd, const char *newpath,
                             unsigned int flags)
{
  return (int) syscall(SYS_renameat2, olddfd, oldpath, newdfd, newpath, flags);
}

#endif

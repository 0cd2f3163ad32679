/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysprobe.c - a static test program copied into test containers: makes raw
 * syscalls with all-zero arguments and prints what each returned, so a test
 * can see what a seccomp filter answers for a syscall number busybox never
 * uses (a syscall newer than a profile, for one).
 *
 *   sysprobe NR...   prints "NR=0" or "NR=ERRNO" (the number) per syscall
 *
 * Only numbers whose zero-argument call is harmless belong on its command
 * line (clone3 and mkdir with NULL pointers fail with EFAULT or EINVAL). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    long nr = strtol(argv[i], NULL, 10);
    errno = 0;
    long r = syscall(nr, 0, 0, 0, 0, 0, 0);
    printf("%ld=%d\n", nr, r < 0 ? errno : 0);
  }
  return 0;
}

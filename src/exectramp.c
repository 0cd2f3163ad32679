/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exectramp.c - see exectramp.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "exectramp.h"
#include "utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* exec_trampoline_blob.c, made by the build from exec_trampoline.c */
extern const unsigned char exec_trampoline_elf[];
extern const size_t exec_trampoline_elf_len;

/* Would the profile let a call of `name` through, whatever its arguments? */
static bool seccomp_lets_through(const ocispec_seccomp *sc, const char *name)
{
  bool allowed = false;
  for (size_t i = 0; i < sc->syscalls_len; i++) {
    const ocispec_syscall *r = &sc->syscalls[i];
    bool passes = r->action && (strcmp(r->action, "SCMP_ACT_ALLOW") == 0 || strcmp(r->action, "SCMP_ACT_LOG") == 0);
    for (size_t j = 0; j < r->names_len; j++) {
      if (r->names[j] == NULL || strcmp(r->names[j], name) != 0)
        continue;
      if (!passes)
        return false; /* refused, notified or traced for some arguments at least */
      if (r->args_len == 0)
        allowed = true;
    }
  }
  if (allowed)
    return true;
  const char *d = sc->default_action;
  return d && (strcmp(d, "SCMP_ACT_ALLOW") == 0 || strcmp(d, "SCMP_ACT_LOG") == 0);
}

static bool name_in(char **names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcmp(names[i], name) == 0)
      return true;
  return false;
}

bool exectramp_fits(const ocispec_process *p, const ocispec_seccomp *sc, const char **why)
{
  *why = NULL;
  if (p && ((p->selinux_label && *p->selinux_label) || (p->apparmor_profile && *p->apparmor_profile)))
    *why = "an LSM exec label";
  else if (sc && (!seccomp_lets_through(sc, "execveat") || !seccomp_lets_through(sc, "fcntl")))
    *why = "a seccomp profile that may refuse execveat or fcntl";
  else if (p && p->has_no_new_privileges && p->no_new_privileges && !(p->user && p->user->uid == 0)) {
    /* With no_new_privs an execve keeps no permitted capability the process
     * did not have before it: after the trampoline's exec a non-root process
     * has its ambient set only. Equal when permitted is within ambient. */
    const ocispec_capabilities *c = p->capabilities;
    if (c == NULL)
      *why = "no_new_privileges for a non-root user with the runtime's capabilities";
    else
      for (size_t i = 0; i < c->permitted_len && *why == NULL; i++)
        if (!name_in(c->ambient, c->ambient_len, c->permitted[i]))
          *why = "no_new_privileges for a non-root user with permitted capabilities beyond ambient";
  }
  return *why == NULL;
}

int exectramp_open(void)
{
  /* MFD_EXEC: where vm.memfd_noexec is 1, memfds are not executable by default */
  int fd = memfd_create("ulysses-oci-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("ulysses-oci-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  if (write_all(fd, exec_trampoline_elf, exec_trampoline_elf_len) < 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int exectramp_exec(int tramp_fd, const char *path, char *const argv[], char *const envp[], int report_fd)
{
  size_t n = 0;
  while (argv[n])
    n++;
  char fdnum[16];
  snprintf(fdnum, sizeof fdnum, "%d", report_fd);
  char **targv = xcalloc(n + 3, sizeof *targv);
  targv[0] = (char *) path;
  targv[1] = fdnum;
  memcpy(targv + 2, argv, n * sizeof *argv);
  int fl = fcntl(report_fd, F_GETFD);
  if (fl < 0 || fcntl(report_fd, F_SETFD, fl & ~FD_CLOEXEC) < 0) {
    free(targv);
    return -1;
  }
  syscall(SYS_execveat, tramp_fd, "", targv, envp, AT_EMPTY_PATH);
  int e = errno;
  fcntl(report_fd, F_SETFD, fl);
  free(targv);
  errno = e;
  return -1;
}

bool exectramp_report(const char *buf, size_t len, int *errnum)
{
  int e;
  if (len != 1 + sizeof e || buf[0] != '\0')
    return false;
  memcpy(&e, buf + 1, sizeof e);
  if (e <= 0 || e >= 4096)
    return false;
  *errnum = e;
  return true;
}

int exectramp_wait(int fd, bool nonblock)
{
  char buf[16];
  size_t len = 0;
  if (nonblock)
    fcntl(fd, F_SETFL, O_NONBLOCK);
  for (;;) {
    ssize_t n = read(fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t) n;
    if (len == sizeof buf)
      break;
  }
  int e;
  return exectramp_report(buf, len, &e) ? e : 0;
}

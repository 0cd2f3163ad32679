/* SPDX-License-Identifier: GPL-2.0-or-later */
/* companion.c - see companion.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "companion.h"
#include "log.h"
#include "selfexe.h"
#include "utils.h"

const char *companion_reason(const char *verb, bool systemd_cgroup)
{
  if (strcmp(verb, "checkpoint") == 0 || strcmp(verb, "restore") == 0)
    return "checkpoint/restore (libcriu)";
  /* start only destroys (D-Bus StopUnit) when the process fails to start */
  static const char *const bus_verbs[] = { "create", "run", "start", "delete", "update" };
  if (systemd_cgroup)
    for (size_t i = 0; i < ARRAY_SIZE(bus_verbs); i++)
      if (strcmp(verb, bus_verbs[i]) == 0)
        return "--systemd-cgroup (libsystemd)";
  return NULL;
}

int companion_open_in(const char *dir)
{
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", dir, COMPANION_NAME) >= (int) sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(path, O_PATH | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    errno = e;
    return -1;
  }
  /* The same rule as for any binary the runtime executes as root: only
   * root (or the user running it, rootless) may have written it. */
  if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

#ifdef UOCI_MUSL
extern char **environ;
static const char *current_verb;

/* The directory of the running binary: the build tree keeps both builds in src/. */
static bool self_dir(char *buf, size_t size)
{
  ssize_t n = readlink("/proc/self/exe", buf, size);
  if (n <= 0 || (size_t) n >= size)
    return false;
  buf[n] = '\0';
  /* a deleted or replaced binary, or a sealed memfd copy: no directory of ours */
  if (buf[0] != '/' || strncmp(buf, "/memfd:", 7) == 0 || strstr(buf, " (deleted)") != NULL)
    return false;
  *strrchr(buf, '/') = '\0';
  return true;
}

static int companion_exec(const char *reason, uoci_error **err)
{
  char **argv = selfexe_argv();
  if (argv == NULL)
    return uoci_fail(err, 0, "%s: no command line to hand over to %s", reason, COMPANION_NAME);
  /* next to this binary (the build tree), PREFIX/libexec/ulysses-oci from
   * PREFIX/bin (an install under another prefix than configure's, as
   * `make install prefix=...`), then the configured $(pkglibexecdir) */
  char self[PATH_MAX], rel[PATH_MAX + 32];
  const char *dirs[3];
  size_t ndirs = 0;
  if (self_dir(self, sizeof self)) {
    dirs[ndirs++] = self;
    char *slash = strrchr(self, '/');
    int n = slash ? snprintf(rel, sizeof rel, "%.*s/libexec/ulysses-oci", (int) (slash - self), self) : -1;
    if (n > 0 && (size_t) n < sizeof rel && strcmp(rel, UOCI_COMPANION_DIR) != 0)
      dirs[ndirs++] = rel;
  }
  dirs[ndirs++] = UOCI_COMPANION_DIR;
  int fd = -1;
  size_t i;
  for (i = 0; i < ndirs && fd < 0; i++)
    fd = companion_open_in(dirs[i]);
  if (fd < 0) {
    _cleanup_free_ char *where = ndirs == 1   ? xasprintf("%s", dirs[0])
                                 : ndirs == 2 ? xasprintf("%s or %s", dirs[0], dirs[1])
                                              : xasprintf("%s, %s or %s", dirs[0], dirs[1], dirs[2]);
    return uoci_fail(err, 0, "%s needs the glibc build of ulysses-oci: no usable %s in %s (this one is built with musl)",
                     reason, COMPANION_NAME, where);
  }
  log_debug("%s: handing over to %s/%s (glibc build; this one is built with musl %s)", reason, dirs[i - 1],
            COMPANION_NAME, UOCI_MUSL);
  /* The companion must see the caller's fd limit, not the one main raised. */
  rlimit_nofile_restore();
  /* fd is O_CLOEXEC: nothing of this process stays open in the new image. */
  syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
  int e = errno;
  close(fd);
  rlimit_nofile_raise();
  return uoci_fail(err, e, "%s: execute %s/%s", reason, dirs[i - 1], COMPANION_NAME);
}

int companion_dispatch(const char *verb, bool systemd_cgroup, uoci_error **err)
{
  current_verb = verb;
  const char *reason = companion_reason(verb, systemd_cgroup);
  return reason ? companion_exec(reason, err) : 0;
}

int companion_exec_for_bus(uoci_error **err)
{
  /* Without --systemd-cgroup, delete and update reach the bus only for a
   * container whose state says systemd. Up to here they have read the state
   * and (delete --force) killed the processes, nothing else: the glibc build
   * can start them over. Other verbs are handed over up front. */
  if (current_verb && (strcmp(current_verb, "delete") == 0 || strcmp(current_verb, "update") == 0))
    return companion_exec("the container's systemd cgroup (libsystemd)", err);
  return uoci_fail(err, 0, "the container's cgroup is a systemd scope: pass --systemd-cgroup (this ulysses-oci is built "
                   "with musl and cannot load libsystemd)");
}
#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* selfexe.c - see selfexe.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "selfexe.h"
#include "utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Set across the re-exec only to stop a loop should the new image still not
 * look sealed; never taken as proof of anything. */
#define REEXEC_GUARD "_ULYSSES_OCI_SEALED"

extern char **environ;
static char **saved_argv;
static bool reexeced;
static struct stat self_stat; /* the binary running main, as the host sees it */
static bool self_stat_known;

bool selfexe_must_seal(const struct ptrace_exposure *e)
{
  /* Inside a user namespace of its own, a container's CAP_SYS_PTRACE does
   * not reach the runtime's processes: their memory belongs to the runtime's
   * user namespace, and non-dumpable turns such a tracer away. */
  if (e->own_userns)
    return false;
  return e->shared_pidns || e->config_ptrace || e->marked;
}

void selfexe_init(char **argv)
{
  saved_argv = argv;
  self_stat_known = stat("/proc/self/exe", &self_stat) == 0;
  reexeced = getenv(REEXEC_GUARD) != NULL;
  unsetenv(REEXEC_GUARD); /* nothing we start inherits it */
}

char **selfexe_argv(void)
{
  return saved_argv;
}

bool selfexe_is_sealed(void)
{
  _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL))
    return true;
  struct statvfs sv;
  return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* A detached read-only bind mount of the binary: no copy, page cache
 * shared. It lives as long as a process executes it. Needs CAP_SYS_ADMIN. */
static int open_readonly_view(void)
{
  int fd = (int) syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* A copy in a memfd sealed against every change. */
static int open_sealed_copy(void)
{
  _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (src < 0 || fstat(src, &st) < 0)
    return -1;
  /* MFD_EXEC: where vm.memfd_noexec is set, memfds are not executable by default. */
  int fd = memfd_create("ulysses-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("ulysses-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(fd, src, &off, (size_t) (st.st_size - off));
    if (n <= 0) {
      close(fd);
      return -1;
    }
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int selfexe_seal(uoci_error **err)
{
  if (selfexe_is_sealed())
    return 0;
  if (reexeced)
    return uoci_fail(err, 0, "runtime binary: still writable after re-executing it sealed");
  if (saved_argv == NULL)
    return uoci_fail(err, 0, "runtime binary: no command line to re-execute");
  int fd = open_readonly_view();
  if (fd < 0)
    fd = open_sealed_copy();
  if (fd < 0)
    return uoci_fail(err, errno, "runtime binary: make a sealed copy");
  setenv(REEXEC_GUARD, "1", 1);
  /* The new image must see the caller's fd limit, not the one main raised. */
  rlimit_nofile_restore();
  syscall(SYS_execveat, fd, "", saved_argv, environ, AT_EMPTY_PATH);
  int e = errno;
  close(fd);
  unsetenv(REEXEC_GUARD);
  reexeced = false;
  rlimit_nofile_raise();
  return uoci_fail(err, e, "runtime binary: re-execute sealed");
}

char *selfexe_identity(void)
{
  /* the binary selfexe_init found running main: the same file, no stat again */
  if (!self_stat_known)
    return NULL;
  return xasprintf("%llu:%llu", (unsigned long long) self_stat.st_dev, (unsigned long long) self_stat.st_ino);
}

bool selfexe_pid_runs(pid_t pid, const char *identity)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", (int) pid);
  struct stat st;
  if (identity == NULL || stat(path, &st) < 0)
    return false;
  char now[64];
  snprintf(now, sizeof now, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
  return strcmp(now, identity) == 0;
}

/* Is the file open at fd the runtime's binary, on a mount that lets it be
 * written? (A read-only bind of it into a container, to run it nested,
 * cannot be written through its /proc/PID/exe: EROFS.) */
static bool is_writable_self(int fd)
{
  struct stat st;
  struct statvfs sv;
  return self_stat_known && fstat(fd, &st) == 0 && st.st_dev == self_stat.st_dev && st.st_ino == self_stat.st_ino &&
         !(fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY));
}

/* The interpreter a "#!" file names, into buf; false when it names none. */
static bool script_interpreter(int fd, char *buf, size_t size)
{
  char head[256];
  ssize_t n = pread(fd, head, sizeof head - 1, 0);
  if (n < 3 || head[0] != '#' || head[1] != '!')
    return false;
  head[n] = '\0';
  const char *p = head + 2;
  p += strspn(p, " \t");
  size_t len = strcspn(p, " \t\n");
  if (len == 0 || len >= size)
    return false;
  memcpy(buf, p, len);
  buf[len] = '\0';
  return true;
}

int selfexe_refuse_program(const char *path, uoci_error **err)
{
  char interp[256];
  const char *cur = path;
  /* binfmt_script nests interpreters 4 deep at most (BINPRM_MAX_RECURSION) */
  for (int depth = 0; depth < 5; depth++) {
    _cleanup_close_ int fd = open(cur, O_PATH | O_CLOEXEC);
    if (fd < 0)
      return 0; /* execve says why */
    if (is_writable_self(fd))
      return uoci_fail(err, 0,
                       "exec %s: %s%s is the runtime's own binary: a container process running it could overwrite it "
                       "(CVE-2019-5736)",
                       path, cur == path ? "it" : "its interpreter ", cur == path ? "" : cur);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
      return 0;
    /* readable as the process (a script must be) and never waited on */
    _cleanup_close_ int rfd = open(cur, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat rst;
    if (rfd < 0 || fstat(rfd, &rst) < 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino ||
        !script_interpreter(rfd, interp, sizeof interp))
      return 0;
    cur = interp;
  }
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* namespaces.c - see namespaces.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "namespaces.h"
#include "sync.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
  const char *spec_name; /* linux.namespaces[].type */
  const char *proc_name; /* /proc/PID/ns/<name> */
  int flag;
} kinds[NS_COUNT] = {
  [NS_USER] = { "user", "user", CLONE_NEWUSER },     [NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
  [NS_PID] = { "pid", "pid", CLONE_NEWPID },         [NS_NET] = { "network", "net", CLONE_NEWNET },
  [NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },         [NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP }, [NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

int ns_kind_from_name(const char *name)
{
  for (int k = 0; k < NS_COUNT; k++)
    if (name && strcmp(kinds[k].spec_name, name) == 0)
      return k;
  return -1;
}

static void plan_init(struct ns_plan *plan)
{
  memset(plan, 0, sizeof *plan);
  for (int k = 0; k < NS_COUNT; k++)
    plan->join_fd[k] = -1;
}

int ns_plan_from_spec(const ocispec_linux *linux, struct ns_plan *plan, uoci_error **err)
{
  plan_init(plan);
  if (linux == NULL)
    return 0;
  for (size_t i = 0; i < linux->namespaces_len; i++) {
    const ocispec_namespace *ns = &linux->namespaces[i];
    int k = ns_kind_from_name(ns->type);
    if (k < 0) {
      ns_plan_close(plan);
      return uoci_fail(err, 0, "config.json: .linux.namespaces[%zu].type: unknown namespace type \"%s\"", i,
                       ns->type ? ns->type : "");
    }
    if (plan->present[k]) {
      ns_plan_close(plan);
      return uoci_fail(err, 0, "config.json: .linux.namespaces[%zu]: duplicate namespace \"%s\"", i, ns->type);
    }
    plan->present[k] = true;
    if (ns->path && *ns->path) {
      int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        int e = errno;
        ns_plan_close(plan);
        return uoci_fail(err, e, "%s namespace path %s", ns->type, ns->path);
      }
      plan->join_fd[k] = fd;
    } else {
      plan->new_flags |= kinds[k].flag;
    }
  }
  return 0;
}

/* The namespaces of process `pid` that are not ours: each is opened for
 * setns (join_fd), or, with `by_pidfd`, only flagged for one setns on the
 * process's pidfd (pidfd_flags). */
static int plan_from_proc(pid_t pid, struct ns_plan *plan, bool by_pidfd, uoci_error **err)
{
  plan_init(plan);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns", (int) pid);
  /* Two directory fds: each name is then one step, not a walk from /proc. */
  _cleanup_close_ int theirs_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (theirs_dir < 0)
    return uoci_fail(err, errno, "container process %d: %s", (int) pid, path);
  _cleanup_close_ int ours_dir = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ours_dir < 0)
    return uoci_fail(err, errno, "/proc/self/ns");
  for (int k = 0; k < NS_COUNT; k++) {
    struct stat theirs, ours;
    if (fstatat(theirs_dir, kinds[k].proc_name, &theirs, 0) < 0) {
      if (errno == ENOENT)
        continue; /* namespace kind not supported by this kernel */
      int e = errno;
      ns_plan_close(plan);
      return uoci_fail(err, e, "container process %d: %s/%s", (int) pid, path, kinds[k].proc_name);
    }
    if (fstatat(ours_dir, kinds[k].proc_name, &ours, 0) == 0 && ours.st_ino == theirs.st_ino &&
        ours.st_dev == theirs.st_dev)
      continue; /* shared with the host: nothing to join (and setns refuses our own user namespace) */
    if (by_pidfd) {
      plan->pidfd_flags |= kinds[k].flag;
    } else {
      int fd = openat(theirs_dir, kinds[k].proc_name, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        int e = errno;
        ns_plan_close(plan);
        return uoci_fail(err, e, "open %s/%s", path, kinds[k].proc_name);
      }
      plan->join_fd[k] = fd;
    }
    plan->present[k] = true;
  }
  return 0;
}

int ns_plan_from_pid(pid_t pid, struct ns_plan *plan, uoci_error **err)
{
  return plan_from_proc(pid, plan, false, err);
}

bool ns_setns_takes_pidfd(void)
{
  struct utsname u;
  int major = 0, minor = 0;
  if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
    return false;
  return major > 5 || (major == 5 && minor >= 8);
}

int ns_plan_from_pidfd(pid_t pid, struct ns_plan *plan, uoci_error **err)
{
  return plan_from_proc(pid, plan, true, err);
}

int ns_join_pidfd(const struct ns_plan *plan, int pidfd, uoci_error **err)
{
  if (plan->pidfd_flags == 0)
    return 0;
  if (setns(pidfd, plan->pidfd_flags) < 0) {
    if (errno == ESRCH)
      return uoci_fail(err, errno, "join the container's namespaces: its init has exited");
    return uoci_fail(err, errno, "join the container's namespaces");
  }
  return 0;
}

int ns_join_all(struct ns_plan *plan, int skip, uoci_error **err)
{
  /* The user namespace first: it owns the others, and joining it gives the
   * capabilities needed to join them. */
  static const enum ns_kind order[] = { NS_USER, NS_MNT, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_PID, NS_TIME };
  for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
    enum ns_kind k = order[i];
    if (plan->join_fd[k] < 0 || (kinds[k].flag & skip))
      continue;
    if (setns(plan->join_fd[k], kinds[k].flag) < 0)
      return uoci_fail(err, errno, "join %s namespace", kinds[k].spec_name);
    close(plan->join_fd[k]);
    plan->join_fd[k] = -1;
  }
  return 0;
}

void ns_plan_close(struct ns_plan *plan)
{
  for (int k = 0; k < NS_COUNT; k++) {
    if (plan->join_fd[k] >= 0)
      close(plan->join_fd[k]);
    plan->join_fd[k] = -1;
  }
}

bool ns_plan_owns(const struct ns_plan *plan, enum ns_kind k)
{
  if (plan->new_flags & kinds[k].flag)
    return true;
  if (plan->join_fd[k] < 0)
    return false;
  char self[64];
  snprintf(self, sizeof self, "/proc/self/ns/%s", kinds[k].proc_name);
  struct stat theirs, ours;
  if (fstat(plan->join_fd[k], &theirs) < 0 || stat(self, &ours) < 0)
    return false; /* can't tell: treat it as the host's */
  return theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}

int ns_write_id_map(pid_t pid, const char *file, const ocispec_id_mapping *m, size_t n, uoci_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return uoci_fail(err, errno, "%s", file);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose(f);
  _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int) pid, file);
  return write_file_at(AT_FDCWD, path, text, len, false, err);
}

int ns_fds_from_mntns(pid_t pid, ns_fds_fn fn, void *arg, int *fds, size_t n, uoci_error **err)
{
  for (size_t i = 0; i < n; i++)
    fds[i] = -1;
  _cleanup_free_ char *nspath = xasprintf("/proc/%d/ns/mnt", (int) pid);
  _cleanup_close_ int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return uoci_fail(err, errno, "open %s", nspath);
  int sv[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "socketpair");
  _cleanup_close_ int ours = sv[0], theirs = sv[1];
  if (pipe2(ep, O_CLOEXEC) < 0)
    return uoci_fail(err, errno, "pipe");
  _cleanup_close_ int err_r = ep[0], err_w = ep[1];
  pid_t helper = fork();
  if (helper < 0)
    return uoci_fail(err, errno, "fork");
  if (helper == 0) {
    /* The helper's only job: make the fds there, send them, report why not. */
    uoci_error *e = NULL;
    int *made = xcalloc(n ? n : 1, sizeof *made);
    int r = setns(nsfd, CLONE_NEWNS) < 0 ? uoci_fail(&e, errno, "join the container's mount namespace")
                                        : fn(arg, made, n, &e);
    for (size_t i = 0; r == 0 && i < n; i++) {
      int s = sync_send_fd(theirs, made[i], "source");
      if (s < 0)
        r = uoci_fail(&e, -s, "send an fd to the runtime");
    }
    if (r < 0 && e && e->msg)
      (void) !write(err_w, e->msg, strlen(e->msg));
    _exit(r < 0 ? 1 : 0);
  }
  close(steal_fd(theirs));
  close(steal_fd(err_w));
  int got = 0;
  for (size_t i = 0; i < n; i++) {
    fds[i] = sync_recv_fd(ours); /* EOF (no fd) when the helper failed */
    if (fds[i] < 0)
      break;
    got++;
  }
  char msg[1024];
  ssize_t len = read_all(err_r, msg, sizeof msg - 1);
  int status = 0;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
    ;
  if ((size_t) got == n && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]), fds[i] = -1;
  msg[len > 0 ? len : 0] = '\0';
  return uoci_fail(err, 0, "%s", len > 0 ? msg : "the runtime's helper in the container's mount namespace failed");
}

struct open_dir_arg {
  const char *path;
};

static int open_dir_fn(void *arg, int *fds, size_t n, uoci_error **err)
{
  const struct open_dir_arg *a = arg;
  (void) n;
  fds[0] = open(a->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fds[0] < 0)
    return uoci_fail(err, errno, "open %s in the container's mount namespace", a->path);
  return 0;
}

int ns_open_dir_in_mntns(pid_t pid, const char *path, uoci_error **err)
{
  struct open_dir_arg a = { path };
  int fd;
  if (ns_fds_from_mntns(pid, open_dir_fn, &a, &fd, 1, err) < 0)
    return -1;
  return fd;
}

int ns_loopback_up(uoci_error **err)
{
  /* Any socket reaches the device ioctls of its network namespace. */
  _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return uoci_fail(err, errno, "network namespace: bring lo up: socket");
  struct ifreq ifr = { 0 };
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
    return uoci_fail(err, errno, "network namespace: bring lo up: get flags");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return uoci_fail(err, errno, "network namespace: bring lo up");
  return 0;
}

int ns_loopback_up_of(pid_t pid, uoci_error **err)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
  _cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int target = own < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  /* (without CAP_SYS_PTRACE the init's, non-dumpable, is not ours to open) */
  if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
    log_debug("network namespace of %d: not joined (%s): its init brings lo up", (int) pid, strerror(errno));
    return 1;
  }
  /* The socket is made in there; the ioctls act on its namespace. */
  int r = ns_loopback_up(err);
  /* Never seen to fail. The caller stops at any error, and undoing a
   * create needs no network namespace up to here (no CNI ADD, no hook has
   * run yet), so an error is enough. */
  if (setns(own, CLONE_NEWNET) < 0) {
    if (r == 0)
      uoci_fail(err, errno, "network namespace: bring lo up: return to the runtime's own");
    return -1;
  }
  return r;
}

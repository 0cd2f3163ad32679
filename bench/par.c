/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/par.c - the driver of bench/run.sh's parallel section: COUNT
 * containers, each created, started, waited for and deleted through a
 * runtime's runc CLI, PAR of them in flight at any time.
 *
 *   par RUNTIME ROOT BUNDLE PREFIX COUNT PAR DIR ERRLOG
 *
 * It drives every runtime the same way, as an engine's shim does: each CLI
 * call is a posix_spawn (vfork + exec, as Go's os/exec and conmon do) with
 * stdin and stdout on /dev/null and stderr appended to ERRLOG; the driver is
 * a child subreaper (containerd's shim and conmon are), so a container's
 * process becomes its child once `create` has exited, and it is waited for
 * through a pidfd: `delete` runs once it has exited and been reaped. One
 * process and one poll() loop, so the driver itself costs next to nothing
 * next to the runtimes (a shell that forks per call costs ~2 ms of CPU per
 * container, the same for every runtime, which only dilutes their ratio).
 *
 * Pid files go to DIR, and at the end DIR/result gets one line,
 * "CONTAINERS FAILED CPU_US", CPU_US being
 * the user + system time of everything the driver waited for (the runtime's
 * processes and the containers' processes), per container. A failed create
 * or start is followed by `delete -f`; a failed call counts once per
 * container. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

enum step { IDLE, CREATE, START, RUNNING, DELETE, FORCE_DELETE };

struct slot {
  enum step step;
  int n;      /* container number, 1..COUNT */
  int pidfd;  /* of what the step waits for: a CLI call, or the container */
  bool failed;
};

static const char *runtime, *root, *bundle, *prefix, *dir;
static posix_spawn_file_actions_t actions;

static int pidfd_open(pid_t pid)
{
  return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* Spawns RUNTIME --root ROOT ARGS... and returns a pidfd for it, or -1. */
static int spawn(const char *const *args)
{
  const char *argv[16] = { runtime, "--root", root };
  int argc = 3;
  for (; *args && argc < 15; args++)
    argv[argc++] = *args;
  argv[argc] = NULL;
  pid_t pid;
  if (posix_spawn(&pid, runtime, &actions, NULL, (char *const *) argv, environ) != 0)
    return -1;
  int fd = pidfd_open(pid);
  if (fd < 0) {
    waitpid(pid, NULL, 0);
    return -1;
  }
  return fd;
}

/* Reaps what FD refers to: its exit status, or -1. */
static int reap(int fd)
{
  siginfo_t si = { 0 };
  int rc = waitid(P_PIDFD, fd, &si, WEXITED);
  close(fd);
  if (rc < 0)
    return -1;
  return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

static void id_of(const struct slot *s, char *id, size_t len)
{
  snprintf(id, len, "%s-%d", prefix, s->n);
}

static void begin(struct slot *s, enum step step)
{
  char id[256], pidfile[4096];
  id_of(s, id, sizeof id);
  snprintf(pidfile, sizeof pidfile, "%s/%s.pid", dir, id);
  s->step = step;
  switch (step) {
  case CREATE:
    s->pidfd = spawn((const char *[]) { "create", "--bundle", bundle, "--pid-file", pidfile, id, NULL });
    break;
  case START:
    s->pidfd = spawn((const char *[]) { "start", id, NULL });
    break;
  case RUNNING: {
    /* the container's process, from the pid file `create` wrote */
    char buf[32] = "";
    int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
      close(fd);
    unlink(pidfile);
    s->pidfd = n > 0 ? pidfd_open((pid_t) atoi(buf)) : -1;
    break;
  }
  case DELETE:
    s->pidfd = spawn((const char *[]) { "delete", id, NULL });
    break;
  case FORCE_DELETE:
    unlink(pidfile);
    s->pidfd = spawn((const char *[]) { "delete", "-f", id, NULL });
    break;
  case IDLE:
    s->pidfd = -1;
    break;
  }
}

/* The step of S is over (its pidfd readable, or it could not begin): on to
 * the next one, or to the next container. 1 when a container was finished
 * (its delete done), with *failed set when any of its calls failed. */
static int advance(struct slot *s, int *next, int count, bool *failed)
{
  int status = s->pidfd >= 0 ? reap(s->pidfd) : -1;
  s->pidfd = -1;
  switch (s->step) {
  case CREATE:
  case START:
    if (status == 0) {
      begin(s, s->step == CREATE ? START : RUNNING);
      return 0;
    }
    s->failed = true;
    begin(s, FORCE_DELETE);
    return 0;
  case RUNNING:
    /* reaped (ours as the subreaper); a pid that could not be opened
     * ends the wait too, and delete tells whether it was over */
    begin(s, DELETE);
    return 0;
  case DELETE:
  case FORCE_DELETE:
    *failed = s->failed || status != 0;
    break;
  case IDLE:
    return 0;
  }
  s->step = IDLE;
  if (*next <= count) {
    s->n = (*next)++;
    s->failed = false;
    begin(s, CREATE);
  }
  return 1;
}

int main(int argc, char **argv)
{
  if (argc != 9) {
    fprintf(stderr, "usage: par RUNTIME ROOT BUNDLE PREFIX COUNT PAR DIR ERRLOG\n");
    return 2;
  }
  runtime = argv[1], root = argv[2], bundle = argv[3], prefix = argv[4], dir = argv[7];
  int count = atoi(argv[5]), par = atoi(argv[6]);
  if (count < 1 || par < 1 || par > 1024) {
    fprintf(stderr, "par: COUNT and PAR must be positive (PAR at most 1024)\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    perror("par: PR_SET_CHILD_SUBREAPER");
    return 1;
  }
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, argv[8], O_WRONLY | O_APPEND | O_CREAT, 0644);

  struct slot *slots = calloc((size_t) par, sizeof *slots);
  struct pollfd *fds = calloc((size_t) par, sizeof *fds);
  if (!slots || !fds)
    return 1;
  int next = 1, failed = 0, done = 0;
  for (int i = 0; i < par; i++) {
    slots[i].step = IDLE;
    slots[i].pidfd = -1;
    if (next <= count) {
      slots[i].n = next++;
      begin(&slots[i], CREATE);
    }
  }
  for (;;) {
    int busy = 0;
    for (int i = 0; i < par; i++) {
      /* a step that could not begin ends at once */
      while (slots[i].step != IDLE && slots[i].pidfd < 0) {
        bool f = false;
        if (advance(&slots[i], &next, count, &f)) {
          done++;
          failed += f;
        }
      }
      fds[i].fd = slots[i].pidfd;
      fds[i].events = POLLIN;
      busy += slots[i].step != IDLE;
    }
    if (!busy)
      break;
    if (poll(fds, (nfds_t) par, -1) < 0) {
      if (errno == EINTR)
        continue;
      perror("par: poll");
      return 1;
    }
    for (int i = 0; i < par; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      bool f = false;
      if (advance(&slots[i], &next, count, &f)) {
        done++;
        failed += f;
      }
    }
  }
  /* whatever else became ours and has exited (a container's children);
   * one still running is not waited for */
  while (waitpid(-1, NULL, WNOHANG) > 0)
    ;
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  long long us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  char path[4096];
  snprintf(path, sizeof path, "%s/result", dir);
  FILE *out = fopen(path, "w");
  if (!out || fprintf(out, "%d %d %lld\n", done, failed, us / count) < 0 || fclose(out) != 0) {
    perror("par: write result");
    return 1;
  }
  return failed ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_notify.c - notify_forward(): READY= and MAINPID= reach the host's
 * socket; an init that is gone, even before its start time could be read
 * (a zombie reads as 0), ends the wait instead of leaving `run` hanging
 * (crun's test_start.py sd-notify hung `run` that way). Unprivileged. */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "notify.h"
#include "tap.h"
#include "utils.h"

static char dir[] = "/tmp/test-notify.XXXXXX";

static int bind_dgram(const char *path) /* path: shorter than sun_path */
{
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return -1;
  return fd;
}

static void send_to(const char *path, const char *msg)
{
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  (void) !sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &sa, sizeof sa);
  close(fd);
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A child that exits at once, left a zombie (not reaped) as the init of a
 * short-lived `run` is while the forwarder starts. */
static pid_t zombie(void)
{
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  siginfo_t si;
  waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT);
  return pid;
}

static void test_init_gone_before_its_start_time(void)
{
  char ctr[100], host[100];
  snprintf(ctr, sizeof ctr, "%s/ctr.sock", dir);
  snprintf(host, sizeof host, "%s/host.sock", dir);
  int cfd = bind_dgram(ctr), hfd = bind_dgram(host);
  ok(cfd >= 0 && hfd >= 0, "sockets bound");
  pid_t pid = zombie();
  unsigned long long start = proc_start_time(pid);
  ok(start == 0, "a zombie's start time reads as 0");
  alarm(10); /* before the fix: an endless wait */
  uoci_error *err = NULL;
  double t0 = now();
  int r = notify_forward(cfd, host, pid, start, &err);
  alarm(0);
  ok(r == 0, "notify_forward returns when the init was gone before its start time was read");
  ok(now() - t0 < 2, "within the poll interval (%.2f s)", now() - t0);
  char buf[64];
  ok(recv(hfd, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN, "nothing forwarded");
  waitpid(pid, NULL, 0);
  close(cfd);
  close(hfd);
  unlink(ctr);
  unlink(host);
}

static void test_ready_forwarded(void)
{
  char ctr[100], host[100];
  snprintf(ctr, sizeof ctr, "%s/ctr2.sock", dir);
  snprintf(host, sizeof host, "%s/host2.sock", dir);
  int cfd = bind_dgram(ctr), hfd = bind_dgram(host);
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  unsigned long long start = proc_start_time(pid);
  ok(start != 0, "a live process has a start time");
  send_to(ctr, "STATUS=starting\nREADY=1\n");
  uoci_error *err = NULL;
  alarm(10);
  int r = notify_forward(cfd, host, pid, start, &err);
  alarm(0);
  ok(r == 0, "forwarded (%s)", err ? err->msg : "");
  char buf[128] = "", buf2[128] = "", want[64];
  ssize_t n = recv(hfd, buf, sizeof buf - 1, MSG_DONTWAIT);
  ssize_t n2 = recv(hfd, buf2, sizeof buf2 - 1, MSG_DONTWAIT);
  snprintf(want, sizeof want, "MAINPID=%d\n", (int) pid);
  ok(n > 0 && strcmp(buf, "READY=1\n") == 0, "the host got READY=1 (%s)", buf);
  ok(n2 > 0 && strcmp(buf2, want) == 0, "then MAINPID of the init (%s)", buf2);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(cfd);
  close(hfd);
  unlink(ctr);
  unlink(host);
}

int main(void)
{
  if (mkdtemp(dir) == NULL)
    return 1;
  test_init_gone_before_its_start_time();
  test_ready_forwarded();
  rmdir(dir);
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_agent - a seccomp notify listener for tests (linux.seccomp
 * listenerPath): listen on SOCKET, accept every connection the runtime
 * makes, keep the listener fd each brings, append each containerProcessState
 * to OUT (one JSON document per line), and answer every notified syscall
 * with -ERRNO. A live answer is what tells a test the fd reached a working
 * listener: a dead one makes the kernel return ENOSYS instead.
 *
 *   seccomp_agent SOCKET ERRNO OUT     (runs until killed) */
#include "config.h"
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64

/* The message and the fd it carries (-1 when none). */
static int receive(int conn, FILE *out)
{
  char buf[65536];
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { buf, sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  int fd = -1;
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
  /* the rest of a long state follows as plain stream data */
  size_t len = n > 0 ? (size_t) n : 0;
  ssize_t more;
  while (len < sizeof buf - 1 && (more = read(conn, buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t) more;
  buf[len] = '\0';
  fprintf(out, "%s\n", buf);
  fflush(out);
  return fd;
}

static void answer(int fd, int err)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset(&req, 0, sizeof req);
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return;
  memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.error = -err;
  ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: seccomp_agent SOCKET ERRNO OUT\n");
    return 2;
  }
  int err = atoi(argv[2]);
  FILE *out = fopen(argv[3], "a");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (out == NULL || srv < 0 || bind(srv, (struct sockaddr *) &addr, sizeof addr) < 0 || listen(srv, 8) < 0) {
    perror("seccomp_agent");
    return 1;
  }
  struct pollfd p[MAX_FDS + 1] = { { .fd = srv, .events = POLLIN } };
  int n = 1;
  for (;;) {
    if (poll(p, (nfds_t) n, -1) < 0 && errno != EINTR)
      return 1;
    for (int i = n - 1; i >= 1; i--) {
      if (p[i].revents & POLLIN)
        answer(p[i].fd, err);
      if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) { /* no process uses the filter any more */
        close(p[i].fd);
        p[i] = p[--n];
      }
    }
    if (p[0].revents & POLLIN) {
      int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0)
        continue;
      int fd = receive(conn, out);
      close(conn);
      if (fd >= 0 && n <= MAX_FDS)
        p[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
      else if (fd >= 0)
        close(fd);
    }
  }
}

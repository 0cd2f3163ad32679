/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync.c - see sync.h */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include "sync.h"

int sync_send(int fd, enum sync_type type, int32_t value, const void *payload, size_t len)
{
  struct sync_hdr h = { .type = type, .value = value };
  struct iovec iov[2] = { { &h, sizeof h }, { (void *) payload, len } };
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = payload && len ? 2 : 1 };
  while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR)
      return -errno;
  }
  return 0;
}

ssize_t sync_recv(int fd, struct sync_hdr *h, char *buf, size_t bufsize)
{
  struct iovec iov[2] = { { h, sizeof *h }, { buf, bufsize - 1 } };
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t n;
  bool reset_reported = false;
  /* ECONNRESET: the peer closed with a message of ours unread (an init that
   * failed before reading SYNC_LO_UP). The kernel reports that once, ahead
   * of what the peer sent before closing, which is still queued: its error. */
  for (;;) {
    n = recvmsg(fd, &msg, 0);
    if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset_reported)))
      break;
    reset_reported |= errno == ECONNRESET;
  }
  if (n < 0)
    return -errno;
  if (n < (ssize_t) sizeof *h) {
    h->type = 0;
    buf[0] = '\0';
    return 0;
  }
  n -= (ssize_t) sizeof *h;
  buf[n] = '\0';
  return n;
}

int sync_send_fd(int sock, int fd, const char *name)
{
  char buf[CMSG_SPACE(sizeof(int))];
  memset(buf, 0, sizeof buf);
  /* runc sends the pty's name as the data: conmon ignores it, but must get a byte. */
  const char *data = name && *name ? name : "pty";
  struct iovec iov = { .iov_base = (void *) data, .iov_len = strlen(data) };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

int sync_recv_fd(int sock)
{
  char data[256];
  char buf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
  ssize_t n;
  do
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  }
  return -EBADMSG;
}

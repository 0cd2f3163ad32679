/* sync.h - the message channel between the runtime and the container's init
 * (a SOCK_SEQPACKET socketpair, one datagram per message, CLOEXEC on both
 * ends so it never reaches the user process). */
#ifndef UOCI_SYNC_H
#define UOCI_SYNC_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

enum sync_type {
  SYNC_USERMAP_DONE = 1, /* parent -> child: id maps written, cgroup attached */
  SYNC_CREATE_HOOKS,     /* child -> parent: namespaces and mounts ready, run createRuntime hooks */
  SYNC_HOOKS_DONE,       /* parent -> child: go on; payload = state JSON for createContainer hooks */
  SYNC_CREATED,          /* child -> parent: init is waiting for start */
  SYNC_START,            /* parent -> child: exec the user process (run, without the fifo) */
  SYNC_ERROR,            /* child -> parent: payload = one-line error message */
  SYNC_SECCOMP_FD,       /* child -> parent: the next datagram carries the seccomp listener fd */
};

#define SYNC_MAX_PAYLOAD (256 * 1024)

struct sync_hdr {
  uint32_t type;
  int32_t value;
};

/* Send one message; returns 0 or -errno. */
static inline int sync_send(int fd, enum sync_type type, int32_t value, const void *payload, size_t len)
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

/* Receive one message into buf (header + payload, NUL-terminated payload).
 * Returns the payload length, 0-length on EOF with type 0, or -errno. */
static inline ssize_t sync_recv(int fd, struct sync_hdr *h, char *buf, size_t bufsize)
{
  struct iovec iov[2] = { { h, sizeof *h }, { buf, bufsize - 1 } };
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t n;
  do
    n = recvmsg(fd, &msg, 0);
  while (n < 0 && errno == EINTR);
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

#endif

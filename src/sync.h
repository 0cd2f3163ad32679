/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync.h - the message channel between the runtime and the container's init
 * (a SOCK_SEQPACKET socketpair, one datagram per message, CLOEXEC on both
 * ends so it never reaches the user process), and the passing of fds over
 * a unix socket (SCM_RIGHTS) that it and the console socket use. */
#ifndef UOCI_SYNC_H
#define UOCI_SYNC_H

#include <stdint.h>
#include <sys/types.h>

enum sync_type {
  SYNC_USERMAP_DONE = 1, /* parent -> child: id maps written, cgroup attached */
  SYNC_CREATE_HOOKS,     /* child -> parent: namespaces and mounts ready, run createRuntime hooks */
  SYNC_HOOKS_DONE,       /* parent -> child: go on; payload = state JSON for createContainer hooks */
  SYNC_CREATED,          /* child -> parent: init is waiting for start */
  SYNC_START,            /* parent -> child: exec the user process (run, without the fifo) */
  SYNC_ERROR,            /* child -> parent: payload = one-line error message */
  SYNC_SECCOMP_FD,       /* child -> parent: the next datagram carries the seccomp listener fd */
  SYNC_PID,              /* exec's first child -> runtime: value = pid of the process that execs */
  SYNC_LO_UP,            /* parent -> child: lo of the init's new network namespace is up */
};

#define SYNC_MAX_PAYLOAD (256 * 1024)

struct sync_hdr {
  uint32_t type;
  int32_t value;
};

/* Send one message; returns 0 or -errno. */
int sync_send(int fd, enum sync_type type, int32_t value, const void *payload, size_t len);

/* Receive one message into buf (header + payload, NUL-terminated payload).
 * Returns the payload length, 0-length on EOF with type 0, or -errno. A peer
 * that closed with our messages unread still has its own read first. */
ssize_t sync_recv(int fd, struct sync_hdr *h, char *buf, size_t bufsize);

/* Pass one fd (SCM_RIGHTS) over a unix socket: the rootfs and the seccomp
 * listener on the sync channel, the pty master on the console socket, the
 * rootfs from a helper (namespaces.c). `name` travels as the data byte(s):
 * runc sends the pty's name, which conmon must get. sync_send_fd returns 0
 * or -errno; sync_recv_fd the fd (close-on-exec), or -errno (-EBADMSG when
 * the message carried none, as at EOF). */
int sync_send_fd(int sock, int fd, const char *name);
int sync_recv_fd(int sock);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* recvtty - a console socket for tests: listen on PATH, accept one
 * connection, receive the pty master (SCM_RIGHTS), write INPUT (if given) to
 * it, then copy everything the container prints to stdout until it hangs up.
 * Usage: recvtty PATH [INPUT] */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: recvtty PATH [INPUT]\n");
    return 2;
  }
  /* Bind under a temporary name and rename once listening: callers wait
   * for PATH to appear, and must never find a socket that refuses them. */
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s.tmp", argv[1]);
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(addr.sun_path);
  unlink(argv[1]);
  if (ls < 0 || bind(ls, (struct sockaddr *) &addr, sizeof addr) < 0 || listen(ls, 1) < 0 ||
      rename(addr.sun_path, argv[1]) < 0) {
    perror("recvtty: listen");
    return 1;
  }
  int c = accept(ls, NULL, NULL);
  if (c < 0) {
    perror("recvtty: accept");
    return 1;
  }
  char data[256], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { data, sizeof data };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  if (recvmsg(c, &msg, 0) < 0) {
    perror("recvtty: recvmsg");
    return 1;
  }
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "recvtty: no fd received\n");
    return 1;
  }
  int master;
  memcpy(&master, CMSG_DATA(cm), sizeof master);
  struct winsize ws;
  if (ioctl(master, TIOCGWINSZ, &ws) == 0)
    fprintf(stderr, "recvtty: winsize %ux%u\n", ws.ws_row, ws.ws_col);
  if (argc > 2)
    (void) !write(master, argv[2], strlen(argv[2]));
  char buf[4096];
  for (;;) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0)
      break;
    fwrite(buf, 1, (size_t) n, stdout);
    fflush(stdout);
  }
  return 0;
}

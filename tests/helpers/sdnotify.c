/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sdnotify.c - a static test program copied into test containers: sends its
 * argument as one datagram to $NOTIFY_SOCKET, as sd_notify(3) does
 * (busybox has no unix datagram client).
 *
 *   sdnotify MESSAGE   exit 0 when sent; else one line on stderr, exit 1 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  const char *path = getenv("NOTIFY_SOCKET");
  if (argc != 2 || path == NULL || *path == '\0') {
    fprintf(stderr, "sdnotify: usage: NOTIFY_SOCKET=PATH sdnotify MESSAGE\n");
    return 1;
  }
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "sdnotify: %s: too long\n", path);
    return 1;
  }
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *) &sa, sizeof sa) < 0) {
    fprintf(stderr, "sdnotify: %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* terminal.c - see terminal.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_connect(const char *path, uoci_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr.sun_path)
    return uoci_fail(err, 0, "console socket path too long: %s", path);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return uoci_fail(err, errno, "console socket: socket");
  if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return uoci_fail(err, errno, "connect to console socket %s", path);
  return steal_fd(fd);
}

int terminal_setup_child(int console_fd, const ocispec_box *size, bool bind_console, bool proxied,
                         uoci_error **err)
{
  /* /dev/ptmx inside the container: the devpts instance mounted for it. */
  _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return uoci_fail(err, errno, "open /dev/ptmx");
  int unlock = 0, ptn = -1;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return uoci_fail(err, errno, "unlock pty");
  if (ioctl(master, TIOCGPTN, &ptn) < 0)
    return uoci_fail(err, errno, "pty number");
  /* TIOCGPTPEER opens the slave through the master, so a rootfs whose
   * /dev/pts/N is something else cannot hand us the wrong file. */
  _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return uoci_fail(err, errno, "open pty slave");
  /* Our own foreground proxy copies the output to a terminal of its own:
   * "\n" must stay "\n" (runc clears ONLCR there too). Done here, before the
   * process can write anything. An engine's console socket: left as it is. */
  struct termios t;
  if (proxied && tcgetattr(slave, &t) == 0) {
    t.c_oflag &= ~(tcflag_t) ONLCR;
    if (tcsetattr(slave, TCSANOW, &t) < 0)
      return uoci_fail(err, errno, "clear ONLCR on the pty");
  }
  if (size && (size->height || size->width)) {
    struct winsize ws = { .ws_row = (unsigned short) size->height, .ws_col = (unsigned short) size->width };
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  char name[64];
  snprintf(name, sizeof name, "/dev/pts/%d", ptn);
  if (bind_console && rootfs_bind_console(name, err) < 0)
    return -1;
  int r = sync_send_fd(console_fd, master, name);
  if (r < 0)
    return uoci_fail(err, -r, "send the pty master to the console socket");
  if (setsid() < 0 && errno != EPERM)
    return uoci_fail(err, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return uoci_fail(err, errno, "make the pty the controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0)
      return uoci_fail(err, errno, "dup pty slave to fd %d", i);
  return 0;
}

bool terminal_host_available(void)
{
  if (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO))
    return true;
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

void terminal_proxy(int master)
{
  struct termios saved, raw;
  bool restore = false;
  if (isatty(0) && tcgetattr(0, &saved) == 0) {
    raw = saved;
    cfmakeraw(&raw);
    restore = tcsetattr(0, TCSANOW, &raw) == 0;
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
      ioctl(master, TIOCSWINSZ, &ws);
  }
  struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = master, .events = POLLIN } };
  char buf[8192];
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0)
        break;
      if (write_all(1, buf, (size_t) n) < 0)
        break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0)
        fds[0].fd = -1; /* stdin closed: keep copying output */
      else
        (void) write_all(master, buf, (size_t) n);
    }
  }
  if (restore)
    tcsetattr(0, TCSANOW, &saved);
}

void terminal_proxy_from(int sock)
{
  int master = sync_recv_fd(sock);
  if (master < 0)
    return;
  terminal_proxy(master);
  close(master);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sync.c - the runtime <-> init channel (sync.c). */
#include "config.h"
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sync.h"
#include "tap.h"

int main(void)
{
  int sv[2];
  ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  /* The runtime sends (SYNC_LO_UP) to an init that fails without reading
   * it: the init sends its error and exits with the message unread. */
  ok(sync_send(sv[0], SYNC_LO_UP, 0, NULL, 0) == 0, "runtime -> init, never read");
  ok(sync_send(sv[1], SYNC_ERROR, 2, "mount proc", 10) == 0, "init -> runtime: its error");
  close(sv[1]);
  struct sync_hdr h;
  char buf[64];
  ssize_t n = sync_recv(sv[0], &h, buf, sizeof buf);
  ok(n == 10 && h.type == SYNC_ERROR && h.value == 2 && strcmp(buf, "mount proc") == 0,
     "the init's error is read, not ECONNRESET (got %zd)", n);
  n = sync_recv(sv[0], &h, buf, sizeof buf);
  ok(n == 0 && h.type == 0, "then end of file");
  close(sv[0]);

  /* A peer gone without a word: end of file, not an error, also after the reset. */
  ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  ok(sync_send(sv[0], SYNC_LO_UP, 0, NULL, 0) == 0, "runtime -> init, never read");
  close(sv[1]);
  n = sync_recv(sv[0], &h, buf, sizeof buf);
  ok(n == 0 && h.type == 0, "end of file (got %zd)", n);
  close(sv[0]);
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_utils.c - the file helpers of utils.c: read_file_at_buf reads a file
 * that fits into the caller's buffer, and one that does not (also one of
 * exactly the buffer's size, which leaves no room for the NUL) on the heap,
 * whole; a missing file is an error naming it, with its errno. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "utils.h"

static char dir[64];

static void put(const char *name, size_t len)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  for (size_t i = 0; i < len; i++)
    fputc('a' + (int) (i % 26), f);
  fclose(f);
}

static void check(const char *name, size_t len, size_t cap, bool on_heap)
{
  put(name, len);
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *buf = xmalloc(cap), *text = NULL;
  _cleanup_free_ char *heap = NULL;
  size_t got = 0;
  uoci_error *e = NULL;
  int r = read_file_at_buf(dfd, name, buf, cap, &text, &got, &heap, &e);
  ok(r == 0 && e == NULL, "%zu bytes, buffer of %zu: read", len, cap);
  is_int((long long) got, (long long) len, "%zu bytes, buffer of %zu: the whole length", len, cap);
  ok(text != NULL && strlen(text) == len && text[len - 1] == 'a' + (int) ((len - 1) % 26),
     "%zu bytes, buffer of %zu: the whole text, NUL-terminated", len, cap);
  ok(on_heap ? text == heap && heap != NULL : text == buf && heap == NULL, "%zu bytes, buffer of %zu: %s", len, cap,
     on_heap ? "on the heap" : "in the buffer");
  uoci_error_free(e);
  free(buf);
}

int main(void)
{
  snprintf(dir, sizeof dir, "/tmp/uoci-test-utils.XXXXXX");
  if (mkdtemp(dir) == NULL)
    return 1;
  check("small", 700, 4096, false);
  check("one-less", 4095, 4096, false);
  check("exact", 4096, 4096, true);
  check("big", 70000, 4096, true);

  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char buf[16], *text = NULL, *heap = NULL;
  uoci_error *e = NULL;
  ok(read_file_at_buf(dfd, "missing", buf, sizeof buf, &text, NULL, &heap, &e) < 0 && e && e->errnum == ENOENT &&
         strstr(e->msg, "missing") && heap == NULL,
     "a missing file: ENOENT, the message names it");
  uoci_error_free(e);

  /* preserve_fds_wanted: never fewer than getopt will take */
  {
    char *a1[] = { "uoci", "--log", "x", "exec", "--preserve-fds", "2", "c1", "sh", NULL };
    is_int(preserve_fds_wanted(8, a1, NULL), 2, "--preserve-fds 2");
    char *a2[] = { "uoci", "run", "--preserve-fds=7", "c1", NULL };
    is_int(preserve_fds_wanted(4, a2, NULL), 7, "--preserve-fds=7");
    char *a3[] = { "uoci", "exec", "--pres", "4", "c1", "cat", NULL };
    is_int(preserve_fds_wanted(6, a3, NULL), 4, "an abbreviation getopt takes: --pres 4");
    char *a4[] = { "uoci", "exec", "--pr", "4", "--preserve-fdsx", "5", "c1", NULL };
    is_int(preserve_fds_wanted(7, a4, NULL), 0, "--pr and --preserve-fdsx are not the option");
    char *a5[] = { "uoci", "exec", "--", "--preserve-fds", "9", NULL };
    is_int(preserve_fds_wanted(5, a5, NULL), 0, "nothing after --");
    char *a6[] = { "uoci", "exec", "--preserve-fds", "70000", "--preserve-fds", "-1", "--preserve-fds", NULL };
    is_int(preserve_fds_wanted(7, a6, NULL), 0, "values the parser refuses, and a missing value, count 0");
    char *a7[] = { "uoci", "exec", "--preserve-fds", "1", NULL };
    is_int(preserve_fds_wanted(4, a7, "3"), 3, "LISTEN_FDS=3 asks for more");
    is_int(preserve_fds_wanted(4, a7, "5000"), 1, "LISTEN_FDS out of range is not taken (as process.c)");
  }
  /* preserve_fds_reserve: holes of 3..3+n-1 become /dev/null, open fds stay */
  {
    int z = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    ok(z >= 0 && z != 10 && dfd != 10 && dup3(z, 10, O_CLOEXEC) == 10 && close(z) == 0, "set-up: fd 10 is /dev/zero");
    for (int fd = 3; fd < 20; fd++)
      if (fd != dfd && fd != 10)
        close(fd);
    preserve_fds_reserve(10);
    bool all = true;
    for (int fd = 3; fd < 13; fd++) {
      char l[128];
      _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", fd);
      ssize_t n = readlink(p, l, sizeof l - 1);
      l[n < 0 ? 0 : n] = '\0';
      const char *want = fd == 10 ? "/dev/zero" : fd == dfd ? dir : "/dev/null";
      if (strcmp(l, want) != 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0) {
        printf("# fd %d: %s, want %s (close-on-exec)\n", fd, l, want);
        all = false;
      }
    }
    ok(all, "fds 3..12: /dev/null, close-on-exec, but 10 (kept) and the open directory");
    ok(fcntl(13, F_GETFD) < 0 && errno == EBADF, "fd 13 (past the range) not opened");
    for (int fd = 3; fd < 13; fd++)
      if (fd != dfd)
        close(fd);
  }

  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return done_testing();
}

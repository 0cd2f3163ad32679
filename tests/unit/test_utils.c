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

  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return done_testing();
}

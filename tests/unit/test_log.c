/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_log.c - log_escape: every message stays one line and cannot drive a terminal. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "tap.h"

static void esc_is(const char *in, const char *want, const char *what)
{
  char *got = log_escape(in);
  ok(strcmp(got, want) == 0, "%s: got \"%s\"", what, got);
  free(got);
}

int main(void)
{
  esc_is("plain text: 100%", "plain text: 100%", "printable ASCII unchanged");
  esc_is("a\nb\tc\rd", "a\\nb\\tc\\rd", "newline, tab, CR");
  esc_is("\x1b[31mred", "\\x1b[31mred", "ESC");
  esc_is("bell\a del\x7f", "bell\\x07 del\\x7f", "BEL and DEL");
  esc_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", "valid UTF-8 kept");
  esc_is("c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m", "C1 CSI (U+009B) escaped");
  esc_is("bad \xff\xfe", "bad \\xff\\xfe", "bytes that are not UTF-8");
  esc_is("overlong \xc0\xaf", "overlong \\xc0\\xaf", "overlong encoding");
  esc_is("cut \xe2\x82", "cut \\xe2\\x82", "truncated sequence");
  esc_is("surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80", "UTF-16 surrogate");
  esc_is("", "", "empty");
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

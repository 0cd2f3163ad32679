/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_log.c - log_escape: every message stays one line and cannot drive a terminal; rfc3339_format. */
#include "config.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "tap.h"
#include "utils.h"

static void esc_is(const char *in, const char *want, const char *what)
{
  char *got = log_escape(in);
  ok(strcmp(got, want) == 0, "%s: got \"%s\"", what, got);
  free(got);
}

/* rfc3339_format against glibc's gmtime_r for one time */
static bool time_matches(int64_t sec, long nsec, char **got, char *want, size_t size)
{
  time_t t = (time_t) sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(want, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
  *got = rfc3339_format(sec, nsec);
  return strcmp(*got, want) == 0;
}

static void time_is(int64_t sec, long nsec)
{
  char want[64], *got;
  bool same = time_matches(sec, nsec, &got, want, sizeof want);
  ok(same, "rfc3339_format(%lld): got \"%s\", gmtime_r says \"%s\"", (long long) sec, got, want);
  free(got);
}

int main(void)
{
  time_is(0, 0);
  time_is(951782400, 1);            /* 2000-02-29, a leap day of a 400-year leap */
  time_is(4107542399, 999999999);   /* 2100-02-28T23:59:59, a century without a leap day */
  time_is(1796601600, 123456789);   /* 2026-12-07 */
  time_is(-1, 5);                   /* 1969-12-31T23:59:59 */
  int bad = 0;
  for (int64_t s = -86400LL * 365 * 70; s < 4102444800; s += 86400 * 37 + 3607) {
    char want[64], *got;
    bad += !time_matches(s, 0, &got, want, sizeof want);
    free(got);
  }
  ok(bad == 0, "rfc3339_format matches gmtime_r every 37 days from 1900 to 2100 (%d differ)", bad);
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap.h - minimal TAP producer for the C unit tests.
 *
 * Each test program calls plan(N) (or done_testing() at the end) and one
 * ok()/is_*() per assertion; tests/run.sh counts the "ok"/"not ok" lines. */
#ifndef ULYSSES_TAP_H
#define ULYSSES_TAP_H

#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <stdbool.h>

static int tap_count;
static int tap_failed;

static inline void plan(int n) { printf("1..%d\n", n); }

static inline bool tap_result(bool pass, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline bool tap_result(bool pass, const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  tap_count++;
  printf("%sok %d - ", pass ? "" : "not ", tap_count);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (!pass) {
    tap_failed++;
    printf("#   failed at %s:%d\n", file, line);
  }
  fflush(stdout);
  return pass;
}

#define ok(cond, ...) tap_result(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                         \
  do {                                                                                 \
    long long g_ = (long long)(got), w_ = (long long)(want);                           \
    if (!tap_result(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                        \
      printf("#   got %lld, want %lld\n", g_, w_);                                     \
  } while (0)

#define is_str(got, want, ...)                                                         \
  do {                                                                                 \
    const char *g_ = (got), *w_ = (want);                                              \
    bool p_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                             \
    if (!tap_result(p_, __FILE__, __LINE__, __VA_ARGS__))                              \
      printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");  \
  } while (0)

/* Fixtures: point a spec document's list field and its _len at a literal
 * array (SET_LIST(caps, bounding, "CAP_KILL", "CAP_CHOWN")). */
#define SET_LIST(obj, field, ...)                                      \
  do {                                                                 \
    static char *list_[] = { __VA_ARGS__ };                            \
    (obj).field = list_;                                               \
    (obj).field##_len = sizeof list_ / sizeof list_[0];                \
  } while (0)

static inline int done_testing(void)
{
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.h - the error object carried up the call chain.
 *
 * A failing function sets *err once, at the place that knows what failed
 * (`uoci_fail(err, errno, "open %s", path)`), and returns -1. Callers may add
 * context on the way up with uoci_error_prefix(). main() prints the final
 * message as one line and exits non-zero. */
#ifndef UOCI_ERROR_H
#define UOCI_ERROR_H

#include <stdarg.h>

typedef struct uoci_error {
  int errnum;  /* errno of the root cause, 0 when none */
  char *msg;   /* one line, no trailing newline */
} uoci_error;

/* Record an error: message is the formatted text, followed by ": strerror(errnum)"
 * when errnum != 0. Keeps an earlier error if *err is already set. Returns -1. */
int uoci_fail(uoci_error **err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int uoci_vfail(uoci_error **err, int errnum, const char *fmt, va_list ap);

/* Prepend "context: " to an existing error. Returns -1. */
int uoci_error_prefix(uoci_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void uoci_error_free(uoci_error *e);
static inline void uoci_error_freep(uoci_error **e) { uoci_error_free(*e); *e = 0; }
#define _cleanup_error_ __attribute__((cleanup(uoci_error_freep)))

#endif

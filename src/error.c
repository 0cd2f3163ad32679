/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.c - see error.h */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"

int uoci_vfail(uoci_error **err, int errnum, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  uoci_error *e = calloc(1, sizeof *e);
  if (e == NULL)
    return -1;
  char *text = NULL;
  if (vasprintf(&text, fmt, ap) < 0)
    text = NULL;
  if (text && errnum != 0) {
    char *full = NULL;
    if (asprintf(&full, "%s: %s", text, strerror(errnum)) >= 0) {
      free(text);
      text = full;
    }
  }
  e->errnum = errnum;
  e->msg = text ? text : strdup("out of memory");
  *err = e;
  return -1;
}

int uoci_fail(uoci_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  uoci_vfail(err, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int uoci_error_prefix(uoci_error **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  char *ctx = NULL, *full = NULL;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&ctx, fmt, ap);
  va_end(ap);
  if (r >= 0 && asprintf(&full, "%s: %s", ctx, (*err)->msg) >= 0) {
    free((*err)->msg);
    (*err)->msg = full;
  }
  free(ctx);
  return -1;
}

void uoci_error_free(uoci_error *e)
{
  if (e == NULL)
    return;
  free(e->msg);
  free(e);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Only linked into the musl build of ulysses-oci. Debian's static archives of
 * yajl, libseccomp and libcap (libyajl_s.a, libseccomp.a, libcap.a) were
 * compiled against glibc with _FORTIFY_SOURCE, so they call glibc's checked
 * variants of a few functions, which musl does not have. These are the same
 * functions with the same checks: the destination size the compiler knew
 * (slen / dstlen) is enforced, and an overflow aborts as glibc's would.
 * `nm -u` of the three archives lists exactly these five. Compiled into
 * both builds (one source list), empty in the glibc one. */
#ifdef UOCI_MUSL
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* glibc's overflow report, minus the message. */
static void __attribute__((noreturn)) chk_fail(void)
{
  abort();
}

static int vsnprintf_chk(char *s, size_t maxlen, size_t slen, const char *fmt, va_list ap)
{
  if (maxlen > slen)
    chk_fail();
  return vsnprintf(s, maxlen, fmt, ap);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = vsnprintf_chk(s, maxlen, slen, fmt, ap);
  va_end(ap);
  return r;
}

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = vsnprintf(s, slen, fmt, ap);
  va_end(ap);
  if (r < 0 || (size_t) r >= slen)
    chk_fail();
  return r;
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = vfprintf(f, fmt, ap);
  va_end(ap);
  return r;
}

int __asprintf_chk(char **out, int flag, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = vasprintf(out, fmt, ap);
  va_end(ap);
  return r;
}

void *__memcpy_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
  if (len > dstlen)
    chk_fail();
  return memcpy(dst, src, len);
}
#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - see log.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "utils.h"

static int log_file = -1;
static bool log_json;
static bool log_debug_on;

int log_init(const char *path, bool json, bool debug)
{
  log_json = json;
  log_debug_on = debug;
  if (path && *path) {
    log_file = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_file < 0) {
      log_error("--log: open %s: %s", path, strerror(errno));
      return -1;
    }
  }
  return 0;
}

int log_fd(void)
{
  return log_file;
}

/* JSON string escaping for the log line. */
static void json_escape(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char) *s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", f);
    else if (c == '\t')
      fputs("\\t", f);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
  if (s[0] < 0x80)
    return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2, min = 0x80, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3, min = 0x800, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4, min = 0x10000, cp = s[0] & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

char *log_escape(const char *s)
{
  size_t len = strlen(s);
  char *out = xmalloc(len * 4 + 1), *o = out;
  const unsigned char *p = (const unsigned char *) s;
  while (*p) {
    size_t n = utf8_len(p);
    /* C1 controls (U+0080..U+009F) act like ESC sequences on some terminals */
    bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
    if (n == 1 && *p >= 0x20 && *p != 0x7f) {
      *o++ = (char) *p++;
    } else if (n > 1 && !c1) {
      memcpy(o, p, n);
      o += n;
      p += n;
    } else if (*p == '\n' || *p == '\t' || *p == '\r') {
      *o++ = '\\';
      *o++ = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
      p++;
    } else {
      /* other controls, C1 (both bytes) and bytes of no valid UTF-8 */
      size_t k = c1 ? 2 : 1;
      for (size_t i = 0; i < k; i++)
        o += sprintf(o, "\\x%02x", p[i]);
      p += k;
    }
  }
  *o = '\0';
  return out;
}

static void log_write(const char *level, bool to_stderr, const char *fmt, va_list ap)
{
  char *raw = NULL;
  if (vasprintf(&raw, fmt, ap) < 0)
    return;
  /* One line, whatever the command line or the config put into the message
   * (a newline, an ESC sequence): callers echo names as they were given. */
  char *msg = log_escape(raw);
  free(raw);
  if (to_stderr)
    fprintf(stderr, "ulysses-oci: %s%s\n", strcmp(level, "warning") == 0 ? "warning: " : "", msg);
  if (log_file >= 0) {
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (f) {
      _cleanup_free_ char *now = rfc3339_now();
      if (log_json) {
        fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
        json_escape(f, msg);
        fprintf(f, "\",\"time\":\"%s\"}\n", now);
      } else {
        fprintf(f, "%s %s: %s\n", now, level, msg);
      }
      fclose(f);
      (void) !write_all(log_file, line, len);
      free(line);
    }
  }
  free(msg);
}

void log_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_write("error", true, fmt, ap);
  va_end(ap);
}

void log_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_write("warning", log_file < 0, fmt, ap);
  va_end(ap);
}

void log_debug(const char *fmt, ...)
{
  if (!log_debug_on)
    return;
  va_list ap;
  va_start(ap, fmt);
  log_write("debug", log_file < 0, fmt, ap);
  va_end(ap);
}

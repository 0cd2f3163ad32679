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

void log_init(const char *path, bool json, bool debug)
{
  log_json = json;
  log_debug_on = debug;
  if (path && *path) {
    log_file = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_file < 0)
      fprintf(stderr, "ulysses-oci: open log file %s: %s\n", path, strerror(errno));
  }
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

static void log_write(const char *level, bool to_stderr, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    return;
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

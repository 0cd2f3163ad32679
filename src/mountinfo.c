/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mountinfo.c - see mountinfo.h */
#include "config.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "mountinfo.h"
#include "utils.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s, size_t len)
{
  char *out = xmalloc(len + 1);
  size_t j = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '7'
        && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out[j++] = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
      i += 3;
    } else {
      out[j++] = s[i];
    }
  }
  out[j] = '\0';
  return out;
}

/* Split one line into whitespace-separated fields (at most max). */
static size_t split_fields(const char *line, const char **f, size_t *flen, size_t max)
{
  size_t n = 0;
  const char *p = line;
  while (*p && n < max) {
    while (*p == ' ')
      p++;
    if (*p == '\0')
      break;
    f[n] = p;
    while (*p && *p != ' ')
      p++;
    flen[n] = (size_t) (p - f[n]);
    n++;
  }
  return n;
}

static int mountinfo_parse_line(const char *line, struct mountinfo_entry *e)
{
  const char *f[64];
  size_t fl[64];
  size_t n = split_fields(line, f, fl, 64);
  /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
  size_t dash = 0;
  for (size_t i = 6; i < n; i++)
    if (fl[i] == 1 && f[i][0] == '-') {
      dash = i;
      break;
    }
  if (n < 7 || dash == 0 || dash + 3 > n)
    return -1;
  memset(e, 0, sizeof *e);
  e->id = atoi(f[0]);
  e->parent = atoi(f[1]);
  e->root = unescape_octal(f[3], fl[3]);
  e->mount_point = unescape_octal(f[4], fl[4]);
  e->optional = dash > 6 ? strndup(f[6], (size_t) (f[dash - 1] + fl[dash - 1] - f[6])) : xstrdup("");
  e->fstype = unescape_octal(f[dash + 1], fl[dash + 1]);
  e->source = unescape_octal(f[dash + 2], fl[dash + 2]);
  e->super_opts = dash + 3 < n ? unescape_octal(f[dash + 3], fl[dash + 3]) : xstrdup("");
  return 0;
}

int mountinfo_parse(const char *text, struct mountinfo *mi)
{
  memset(mi, 0, sizeof *mi);
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t) (nl - p) : strlen(p);
    _cleanup_free_ char *line = strndup(p, len);
    struct mountinfo_entry e;
    if (len > 0 && mountinfo_parse_line(line, &e) == 0) {
      mi->e = xrealloc(mi->e, (mi->len + 1) * sizeof *mi->e);
      mi->e[mi->len++] = e;
    }
    p += len;
    if (*p == '\n')
      p++;
  }
  return 0;
}

int mountinfo_read(struct mountinfo *mi, uoci_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, &len, err) < 0)
    return -1;
  return mountinfo_parse(text, mi);
}

void mountinfo_free(struct mountinfo *mi)
{
  for (size_t i = 0; i < mi->len; i++) {
    struct mountinfo_entry *e = &mi->e[i];
    free(e->root); free(e->mount_point); free(e->optional);
    free(e->fstype); free(e->source); free(e->super_opts);
  }
  free(mi->e);
  mi->e = NULL;
  mi->len = 0;
}

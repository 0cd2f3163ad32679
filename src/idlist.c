/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idlist.c - see idlist.h */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "idlist.h"
#include "utils.h"

/* One decimal number at *s (no sign, no spaces); advances *s. */
static int parse_id(const char **s, unsigned max_id, unsigned *out, const char **why)
{
  const char *p = *s;
  if (*p < '0' || *p > '9') {
    *why = "invalid list syntax (expected numbers and ranges such as \"0-3,7\")";
    return -1;
  }
  unsigned long long v = 0;
  while (*p >= '0' && *p <= '9') {
    v = v * 10 + (unsigned) (*p - '0');
    if (v > max_id) {
      *why = "number out of range";
      return -1;
    }
    p++;
  }
  *s = p;
  *out = (unsigned) v;
  return 0;
}

int idlist_parse(const char *list, unsigned max_id, struct idlist *out, const char **why)
{
  memset(out, 0, sizeof *out);
  out->nwords = max_id / IDLIST_WORD_BITS + 1;
  out->bits = xcalloc(out->nwords, sizeof *out->bits);
  const char *s = list ? list : "";
  while (*s) {
    unsigned a, b;
    if (parse_id(&s, max_id, &a, why) < 0)
      goto fail;
    b = a;
    if (*s == '-') {
      s++;
      if (parse_id(&s, max_id, &b, why) < 0)
        goto fail;
      if (b < a) {
        *why = "range end is before its start";
        goto fail;
      }
    }
    for (unsigned id = a; id <= b; id++) {
      unsigned long bit = 1UL << (id % IDLIST_WORD_BITS);
      if (!(out->bits[id / IDLIST_WORD_BITS] & bit))
        out->count++;
      out->bits[id / IDLIST_WORD_BITS] |= bit;
    }
    if (b > out->highest)
      out->highest = b;
    if (*s == ',' && s[1] != '\0')
      s++;
    else if (*s != '\0') {
      *why = "invalid list syntax (expected numbers and ranges such as \"0-3,7\")";
      goto fail;
    }
  }
  return 0;
fail:
  idlist_release(out);
  return -1;
}

bool idlist_has(const struct idlist *l, unsigned id)
{
  return id / IDLIST_WORD_BITS < l->nwords && (l->bits[id / IDLIST_WORD_BITS] >> (id % IDLIST_WORD_BITS)) & 1;
}

void idlist_release(struct idlist *l)
{
  free(l->bits);
  memset(l, 0, sizeof *l);
}

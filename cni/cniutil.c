/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cniutil.c - see cniutil.h. */
#define _GNU_SOURCE
#include "cniutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const cni_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL};

int cni_fail(struct cni_error *e, int code, const char *fmt, ...)
{
  va_list ap;
  if (!e)
    return -1;
  e->code = code;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  e->details[0] = '\0';
  return -1;
}

void cni_print_error(const struct cni_error *e, const char *version)
{
  struct sbuf b = {0};
  sb_add(&b, "{\"cniVersion\":");
  sb_json_str(&b, version && cni_version_supported(version) ? version : "1.1.0");
  sb_printf(&b, ",\"code\":%d,\"msg\":", e->code ? e->code : CNI_ERR_PLUGIN);
  sb_json_str(&b, e->msg[0] ? e->msg : "unknown error");
  if (e->details[0]) {
    sb_add(&b, ",\"details\":");
    sb_json_str(&b, e->details);
  }
  sb_add(&b, "}\n");
  fputs(b.s, stdout);
  fflush(stdout);
  free(b.s);
}

static void sb_reserve(struct sbuf *b, size_t more)
{
  if (b->len + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more + 1)
    cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s)
    abort();
  b->s = s;
  b->cap = cap;
}

void sb_add(struct sbuf *b, const char *s)
{
  size_t n = strlen(s);
  sb_reserve(b, n);
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  sb_reserve(b, (size_t)n);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
}

void sb_json_str(struct sbuf *b, const char *s)
{
  sb_add(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      sb_printf(b, "\\%c", *p);
    else if (*p < 0x20)
      sb_printf(b, "\\u%04x", *p);
    else {
      char c[2] = {(char)*p, 0};
      sb_add(b, c);
    }
  }
  sb_add(b, "\"");
}

void sb_json_value(struct sbuf *b, yajl_val v)
{
  if (!v || YAJL_IS_NULL(v))
    sb_add(b, "null");
  else if (YAJL_IS_TRUE(v))
    sb_add(b, "true");
  else if (YAJL_IS_FALSE(v))
    sb_add(b, "false");
  else if (YAJL_IS_STRING(v))
    sb_json_str(b, v->u.string);
  else if (YAJL_IS_NUMBER(v))
    sb_add(b, v->u.number.r);
  else if (YAJL_IS_ARRAY(v)) {
    sb_add(b, "[");
    for (size_t i = 0; i < v->u.array.len; i++) {
      if (i)
        sb_add(b, ",");
      sb_json_value(b, v->u.array.values[i]);
    }
    sb_add(b, "]");
  } else {
    sb_add(b, "{");
    for (size_t i = 0; i < v->u.object.len; i++) {
      if (i)
        sb_add(b, ",");
      sb_json_str(b, v->u.object.keys[i]);
      sb_add(b, ":");
      sb_json_value(b, v->u.object.values[i]);
    }
    sb_add(b, "}");
  }
}

char *sb_steal(struct sbuf *b)
{
  char *s = b->s ? b->s : strdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

static unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c; }

/* Go's rule for an ASCII field name: each character matches itself, a
 * letter also its other case, and 'k' and 's' also the two non-ASCII runes
 * that Unicode folds to them (U+212A KELVIN SIGN, U+017F LONG S). */
bool json_key_matches(const char *key, const char *field)
{
  const unsigned char *k = (const unsigned char *)key;
  for (const unsigned char *f = (const unsigned char *)field; *f; f++) {
    unsigned char lf = ascii_lower(*f);
    if (ascii_lower(*k) == lf)
      k += 1;
    else if (lf == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa)
      k += 3;
    else if (lf == 's' && k[0] == 0xc5 && k[1] == 0xbf)
      k += 2;
    else
      return false;
  }
  return *k == '\0';
}

yajl_val json_get(yajl_val obj, const char *field)
{
  yajl_val found = NULL;
  if (!obj || !YAJL_IS_OBJECT(obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (json_key_matches(obj->u.object.keys[i], field))
      found = obj->u.object.values[i]; /* keep going: Go decodes every match, the last stays */
  return found;
}

yajl_val json_get_exact(yajl_val obj, const char *key)
{
  yajl_val found = NULL;
  if (!obj || !YAJL_IS_OBJECT(obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp(obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i]; /* a Go map keeps the last duplicate too */
  return found;
}

const char *json_get_str(yajl_val obj, const char *key)
{
  yajl_val v = json_get(obj, key);
  return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

yajl_val json_get_obj(yajl_val obj, const char *key)
{
  yajl_val v = json_get(obj, key);
  return v && YAJL_IS_OBJECT(v) ? v : NULL;
}

yajl_val json_get_arr(yajl_val obj, const char *key)
{
  yajl_val v = json_get(obj, key);
  return v && YAJL_IS_ARRAY(v) ? v : NULL;
}

int json_get_bool(yajl_val obj, const char *key)
{
  yajl_val v = json_get(obj, key);
  if (!v || YAJL_IS_NULL(v))
    return -1;
  if (YAJL_IS_TRUE(v))
    return 1;
  if (YAJL_IS_FALSE(v))
    return 0;
  return -2;
}

bool json_nesting_exceeds(const char *text, size_t max)
{
  size_t depth = 0;
  bool in_string = false;
  for (const char *p = text; *p; p++) {
    if (in_string) {
      if (*p == '\\' && p[1])
        p++; /* the escaped character, a quote too */
      else if (*p == '"')
        in_string = false;
    } else if (*p == '"') {
      in_string = true;
    } else if (*p == '[' || *p == '{') {
      if (++depth > max)
        return true;
    } else if ((*p == ']' || *p == '}') && depth > 0) {
      depth--;
    }
  }
  return false;
}

yajl_val json_tree_parse(const char *text, char *err, size_t errlen)
{
  if (json_nesting_exceeds(text, JSON_MAX_DEPTH)) {
    if (err && errlen)
      snprintf(err, errlen, "nested deeper than %d levels", JSON_MAX_DEPTH);
    return NULL;
  }
  return yajl_tree_parse(text, err, errlen);
}

yajl_val json_parse(const char *text, struct cni_error *e)
{
  char err[256] = "";
  yajl_val v = json_tree_parse(text, err, sizeof err);
  if (!v) {
    for (char *p = err; *p; p++) /* yajl's message spans lines */
      if (*p == '\n')
        *p = ' ';
    cni_fail(e, CNI_ERR_DECODE, "cannot decode JSON: %s", err[0] ? err : "parse error");
  }
  return v;
}

char *read_all_fd(int fd, size_t *len)
{
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf)
    return NULL;
  for (;;) {
    if (n + 1 >= cap) {
      if (cap >= CNI_READ_MAX) {
        free(buf);
        errno = EFBIG;
        return NULL;
      }
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      free(buf);
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

bool cni_version_supported(const char *v)
{
  for (int i = 0; v && cni_versions[i]; i++)
    if (strcmp(v, cni_versions[i]) == 0)
      return true;
  return false;
}

int cni_version_cmp(const char *a, const char *b)
{
  unsigned x[3] = {0}, y[3] = {0};
  sscanf(a, "%u.%u.%u", &x[0], &x[1], &x[2]);
  sscanf(b, "%u.%u.%u", &y[0], &y[1], &y[2]);
  for (int i = 0; i < 3; i++)
    if (x[i] != y[i])
      return x[i] < y[i] ? -1 : 1;
  return 0;
}

/* ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
static bool id_like(const char *s)
{
  if (!s || !isalnum((unsigned char)s[0]))
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

bool cni_valid_container_id(const char *s) { return id_like(s) && strlen(s) <= 1024; }
bool cni_valid_network_name(const char *s) { return id_like(s) && strlen(s) <= 200; }

bool cni_valid_ifname(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return false;
  for (const char *p = s; *p; p++)
    if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
      return false;
  return true;
}

static bool ip4_parse(const char *s, uint32_t *ip)
{
  struct in_addr a;
  if (!s || inet_pton(AF_INET, s, &a) != 1)
    return false;
  *ip = ntohl(a.s_addr);
  return true;
}

bool ip_parse(const char *s, ipaddr_t *ip)
{
  uint32_t v4;
  unsigned char b[16];
  if (s && !strchr(s, ':'))
    return ip4_parse(s, &v4) && (*ip = ip_from4(v4), true);
  if (!s || inet_pton(AF_INET6, s, b) != 1)
    return false;
  *ip = 0;
  for (int i = 0; i < 16; i++)
    *ip = *ip << 8 | b[i];
  /* ::ffff:a.b.c.d written as IPv6 is still an IPv6 address to the kernel's
   * AF_INET6 sockets, but here it would read as IPv4: refuse it */
  return !ip_is4(*ip);
}

bool cidr_parse(const char *s, ipaddr_t *ip, int *prefix)
{
  char buf[64];
  const char *slash = s ? strchr(s, '/') : NULL;
  if (!slash || (size_t)(slash - s) >= sizeof buf)
    return false;
  memcpy(buf, s, (size_t)(slash - s));
  buf[slash - s] = '\0';
  char *end;
  errno = 0;
  long p = strtol(slash + 1, &end, 10);
  if (errno || *end || end == slash + 1 || p < 0 || !ip_parse(buf, ip) || p > ip_bits(*ip))
    return false;
  *prefix = (int)p;
  return true;
}

void ip_fmt(ipaddr_t ip, char buf[IP_STRLEN])
{
  unsigned char b[16];
  if (ip_is4(ip)) {
    uint32_t v4 = (uint32_t)ip;
    snprintf(buf, IP_STRLEN, "%u.%u.%u.%u", v4 >> 24, (v4 >> 16) & 255, (v4 >> 8) & 255, v4 & 255);
    return;
  }
  for (int i = 15; i >= 0; i--, ip >>= 8)
    b[i] = (unsigned char)ip;
  inet_ntop(AF_INET6, b, buf, IP_STRLEN);
}

uint64_t attachment_hash(const char *network, const char *container_id, const char *ifname)
{
  uint64_t h = 0xcbf29ce484222325ull;
  const char *parts[3] = {network, container_id, ifname};
  for (int i = 0; i < 3; i++) {
    for (const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : ""); ; p++) {
      h ^= *p;
      h *= 0x100000001b3ull;
      if (!*p)
        break;
    }
  }
  return h;
}

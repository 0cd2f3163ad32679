/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipam.c - see ipam.h. */
#define _GNU_SOURCE
#include "ipam.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

/* ------------------------------------------------------------- config */

static int parse_range(yajl_val r, struct ipam_range *out, struct cni_error *e)
{
  const char *subnet = json_get_str(r, "subnet");
  ipaddr_t net, ip;
  int prefix;
  if (!subnet)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: range has no \"subnet\"");
  if (!cidr_parse(subnet, &net, &prefix))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: invalid subnet %s", subnet);
  /* as host-local: a /31 or /32 (/127, /128) has no address to hand out
   * besides the gateway */
  if (prefix > ip_bits(net) - 2)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: subnet %s is too small to allocate from", subnet);
  ipaddr_t mask = ip_mask(net, prefix);
  out->subnet = net & mask;
  out->prefix = prefix;
  out->start = out->subnet + 1;
  /* IPv4 keeps its broadcast address out; IPv6 has none */
  out->end = (out->subnet | ~mask) - (ip_is4(net) ? 1 : 0);
  out->gw = out->subnet + 1;
  const char *keys[3] = {"rangeStart", "rangeEnd", "gateway"};
  ipaddr_t *dst[3] = {&out->start, &out->end, &out->gw};
  for (int i = 0; i < 3; i++) {
    const char *v = json_get_str(r, keys[i]);
    if (!v)
      continue;
    if (!ip_parse(v, &ip))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: invalid %s %s", keys[i], v);
    if ((ip & mask) != out->subnet)
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: %s %s is outside %s", keys[i], v, subnet);
    *dst[i] = ip;
  }
  if (out->start > out->end)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: rangeStart is after rangeEnd in %s", subnet);
  if (out->end - out->start >= IPAM_MAX_RANGE_SIZE) {
    if (json_get_str(r, "rangeEnd"))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: range in %s has more than %u addresses", subnet,
                      IPAM_MAX_RANGE_SIZE);
    out->end = out->start + IPAM_MAX_RANGE_SIZE - 1; /* the default window (ipam.h) */
  }
  return 0;
}

static int parse_rangeset(yajl_val arr, struct ipam_rangeset *set, struct cni_error *e)
{
  if (!arr || !YAJL_IS_ARRAY(arr) || arr->u.array.len == 0)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: each entry of \"ranges\" must be a non-empty array");
  set->ranges = calloc(arr->u.array.len, sizeof *set->ranges);
  if (!set->ranges)
    return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
  for (size_t i = 0; i < arr->u.array.len; i++) {
    if (parse_range(arr->u.array.values[i], &set->ranges[i], e) < 0)
      return -1;
    set->n++;
    /* one address per set: of one family (host-local refuses a mix too) */
    if (ip_is4(set->ranges[i].subnet) != ip_is4(set->ranges[0].subnet))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: a range set mixes IPv4 and IPv6 subnets");
  }
  return 0;
}

static int parse_routes(yajl_val arr, struct ipam_config *c, struct cni_error *e)
{
  if (!arr || YAJL_IS_NULL(arr))
    return 0; /* libcni sends null for "no attachment is valid any more" */
  if (!YAJL_IS_ARRAY(arr))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: \"routes\" must be an array");
  c->routes = calloc(arr->u.array.len + 1, sizeof *c->routes);
  for (size_t i = 0; i < arr->u.array.len; i++) {
    yajl_val r = arr->u.array.values[i];
    const char *dst = json_get_str(r, "dst"), *gw = json_get_str(r, "gw");
    struct ipam_route *rt = &c->routes[c->nroutes];
    if (!dst || !cidr_parse(dst, &rt->dst, &rt->prefix))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: invalid route dst %s", dst ? dst : "(missing)");
    rt->dst &= ip_mask(rt->dst, rt->prefix);
    if (gw && (!ip_parse(gw, &rt->gw) || ip_is4(rt->gw) != ip_is4(rt->dst)))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: invalid route gw %s for %s", gw, dst);
    c->nroutes++;
  }
  return 0;
}

int ipam_config_locate(yajl_val ipam, const char *network, struct ipam_config *c, struct cni_error *e)
{
  memset(c, 0, sizeof *c);
  if (!ipam || !YAJL_IS_OBJECT(ipam))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "missing \"ipam\" object");
  if (!cni_valid_network_name(network) || strcmp(network, "lock") == 0)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "invalid network name \"%s\"", network ? network : "");
  c->network = strdup(network);
  const char *dd = json_get_str(ipam, "dataDir");
  c->data_dir = strdup(dd && *dd ? dd : IPAM_DEFAULT_DATA_DIR);
  return 0;
}

int ipam_config_parse(yajl_val ipam, const char *network, struct ipam_config *c, struct cni_error *e)
{
  if (ipam_config_locate(ipam, network, c, e) < 0)
    return -1;
  c->dns = json_get_obj(ipam, "dns");
  yajl_val ranges = json_get(ipam, "ranges");
  if (ranges) {
    if (!YAJL_IS_ARRAY(ranges) || ranges->u.array.len == 0)
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: \"ranges\" must be a non-empty array of arrays");
    c->sets = calloc(ranges->u.array.len, sizeof *c->sets);
    for (size_t i = 0; i < ranges->u.array.len; i++) {
      c->nsets++; /* counted first: ipam_config_free also frees a set that failed half-way */
      if (parse_rangeset(ranges->u.array.values[i], &c->sets[i], e) < 0)
        return -1;
    }
  } else if (json_get(ipam, "subnet")) {
    c->sets = calloc(1, sizeof *c->sets);
    c->sets[0].ranges = calloc(1, sizeof(struct ipam_range));
    if (parse_range(ipam, &c->sets[0].ranges[0], e) < 0)
      return -1;
    c->sets[0].n = 1;
    c->nsets = 1;
  } else {
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: neither \"ranges\" nor \"subnet\" given");
  }
  return parse_routes(json_get(ipam, "routes"), c, e);
}

void ipam_config_free(struct ipam_config *c)
{
  for (size_t i = 0; i < c->nsets; i++)
    free(c->sets[i].ranges);
  if (c->sets && c->nsets == 0)
    free(c->sets[0].ranges);
  free(c->sets);
  free(c->routes);
  free(c->network);
  free(c->data_dir);
  memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------- bitmap */

int bitmap_init(struct bitmap *b, uint32_t nbits)
{
  b->nbits = nbits;
  b->w = calloc((nbits + 63) / 64 + 1, sizeof *b->w);
  return b->w ? 0 : -1;
}
void bitmap_free(struct bitmap *b) { free(b->w); b->w = NULL; }
void bitmap_set(struct bitmap *b, uint32_t i) { if (i < b->nbits) b->w[i / 64] |= 1ull << (i % 64); }
void bitmap_clear(struct bitmap *b, uint32_t i) { if (i < b->nbits) b->w[i / 64] &= ~(1ull << (i % 64)); }
bool bitmap_test(const struct bitmap *b, uint32_t i) { return i < b->nbits && (b->w[i / 64] >> (i % 64)) & 1; }

/* First clear bit in [from, to). Whole words are skipped when full. */
static int64_t find_clear_between(const struct bitmap *b, uint32_t from, uint32_t to)
{
  uint32_t i = from;
  while (i < to) {
    uint64_t w = b->w[i / 64] | ((1ull << (i % 64)) - 1); /* ignore bits below i */
    if (w != ~0ull) {
      uint32_t bit = (uint32_t)__builtin_ctzll(~w);
      uint32_t idx = (i / 64) * 64 + bit;
      return idx < to ? (int64_t)idx : -1;
    }
    i = (i / 64 + 1) * 64;
  }
  return -1;
}

int64_t bitmap_find_clear(const struct bitmap *b, uint32_t from)
{
  if (b->nbits == 0)
    return -1;
  if (from >= b->nbits)
    from = 0;
  int64_t r = find_clear_between(b, from, b->nbits);
  return r >= 0 ? r : find_clear_between(b, 0, from);
}

/* ------------------------------------------------------------- leases */

static int lease_cmp(const void *a, const void *b)
{
  const struct ipam_lease *x = a, *y = b;
  return x->ip < y->ip ? -1 : x->ip > y->ip;
}

int ipam_store_add(struct ipam_store *s, ipaddr_t ip, const char *cid, const char *ifname)
{
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct ipam_lease *l = realloc(s->leases, cap * sizeof *l);
    if (!l)
      return -1;
    s->leases = l;
    s->cap = cap;
  }
  s->leases[s->n++] = (struct ipam_lease){ip, strdup(cid), strdup(ifname)};
  qsort(s->leases, s->n, sizeof *s->leases, lease_cmp);
  s->dirty = true;
  return 0;
}

int ipam_store_load_text(struct ipam_store *s, const char *text, struct cni_error *e)
{
  _cleanup_free_ char *copy = strdup(text);
  char *save = NULL;
  int lineno = 0;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char ip[IP_STRLEN], cid[1100], ifn[32];
    ipaddr_t a;
    lineno++;
    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (sscanf(line, "%45s %1099s %31s", ip, cid, ifn) != 3 || !ip_parse(ip, &a))
      return cni_fail(e, CNI_ERR_IO, "ipam store %s: line %d is corrupt", s->network ? s->network : "", lineno);
    if (ipam_store_add(s, a, cid, ifn) < 0)
      return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
  }
  s->dirty = false;
  return 0;
}

char *ipam_store_text(const struct ipam_store *s)
{
  struct sbuf b = {0};
  char ip[IP_STRLEN];
  sb_add(&b, "# ulysses-ipam leases v1: IP CONTAINERID IFNAME\n");
  for (size_t i = 0; i < s->n; i++) {
    ip_fmt(s->leases[i].ip, ip);
    sb_printf(&b, "%s %s %s\n", ip, s->leases[i].cid, s->leases[i].ifname);
  }
  return sb_steal(&b);
}

static bool lease_is(const struct ipam_lease *l, const char *cid, const char *ifname)
{
  return strcmp(l->cid, cid) == 0 && strcmp(l->ifname, ifname) == 0;
}

static void lease_drop(struct ipam_store *s, size_t i)
{
  free(s->leases[i].cid);
  free(s->leases[i].ifname);
  memmove(&s->leases[i], &s->leases[i + 1], (s->n - i - 1) * sizeof *s->leases);
  s->n--;
  s->dirty = true;
}

size_t ipam_release(struct ipam_store *s, const char *cid, const char *ifname)
{
  size_t dropped = 0;
  for (size_t i = s->n; i-- > 0;)
    if (lease_is(&s->leases[i], cid, ifname)) {
      lease_drop(s, i);
      dropped++;
    }
  return dropped;
}

size_t ipam_gc(struct ipam_store *s, const struct ipam_attachment *valid, size_t nvalid)
{
  size_t dropped = 0;
  for (size_t i = s->n; i-- > 0;) {
    bool keep = false;
    for (size_t j = 0; j < nvalid && !keep; j++)
      keep = lease_is(&s->leases[i], valid[j].cid, valid[j].ifname);
    if (!keep) {
      lease_drop(s, i);
      dropped++;
    }
  }
  return dropped;
}

int ipam_valid_attachments(yajl_val root, struct ipam_attachment **out, size_t *n, struct cni_error *e)
{
  yajl_val arr = json_get(root, "cni.dev/valid-attachments");
  /* the released 1.1.0 spec text named the key cni.dev/attachments (libcni
   * sends both, containernetworking/cni#1101): a runtime written against the
   * spec must not have every attachment collected */
  if (!arr)
    arr = json_get(root, "cni.dev/attachments");
  *out = NULL;
  *n = 0;
  if (!arr || YAJL_IS_NULL(arr))
    return 0; /* libcni sends null for "no attachment is valid any more" */
  if (!YAJL_IS_ARRAY(arr))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"cni.dev/valid-attachments\" must be an array");
  *out = calloc(arr->u.array.len + 1, sizeof **out);
  for (size_t i = 0; i < arr->u.array.len; i++) {
    const char *cid = json_get_str(arr->u.array.values[i], "containerID");
    const char *ifn = json_get_str(arr->u.array.values[i], "ifname");
    if (!cid || !ifn)
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "valid-attachments entry %zu lacks containerID or ifname", i);
    (*out)[(*n)++] = (struct ipam_attachment){cid, ifn};
  }
  return 0;
}

static bool range_has(const struct ipam_range *r, ipaddr_t ip) { return ip >= r->start && ip <= r->end; }

static const struct ipam_range *set_range_of(const struct ipam_rangeset *set, ipaddr_t ip)
{
  for (size_t i = 0; i < set->n; i++)
    if (range_has(&set->ranges[i], ip))
      return &set->ranges[i];
  return NULL;
}

size_t ipam_find(const struct ipam_store *s, const struct ipam_config *c, const char *cid, const char *ifname,
                 struct ipam_addr *out)
{
  size_t found = 0;
  for (size_t k = 0; k < c->nsets; k++)
    for (size_t i = 0; i < s->n; i++) {
      const struct ipam_range *r = set_range_of(&c->sets[k], s->leases[i].ip);
      if (r && lease_is(&s->leases[i], cid, ifname)) {
        out[found++] = (struct ipam_addr){s->leases[i].ip, r->prefix, r->gw};
        break;
      }
    }
  return found;
}

/* Next free address of a range after `cursor` (round robin), 0 when full. */
static ipaddr_t pick_in_range(const struct ipam_store *s, const struct ipam_range *r, ipaddr_t cursor)
{
  struct bitmap bm;
  uint32_t size = (uint32_t)(r->end - r->start + 1); /* at most IPAM_MAX_RANGE_SIZE (parse_range) */
  if (bitmap_init(&bm, size) < 0)
    return 0;
  for (size_t i = 0; i < s->n; i++)
    if (range_has(r, s->leases[i].ip))
      bitmap_set(&bm, (uint32_t)(s->leases[i].ip - r->start));
  if (r->gw && range_has(r, r->gw))
    bitmap_set(&bm, (uint32_t)(r->gw - r->start));
  uint32_t from = range_has(r, cursor) ? (uint32_t)(cursor - r->start) + 1 : 0;
  int64_t idx = bitmap_find_clear(&bm, from);
  bitmap_free(&bm);
  return idx < 0 ? 0 : r->start + (uint32_t)idx;
}

static ipaddr_t pick_in_set(const struct ipam_store *s, const struct ipam_rangeset *set, ipaddr_t cursor,
                            const struct ipam_range **which)
{
  /* start with the range holding the cursor, then the others in order */
  size_t first = 0;
  for (size_t i = 0; i < set->n; i++)
    if (range_has(&set->ranges[i], cursor))
      first = i;
  for (size_t k = 0; k < set->n; k++) {
    const struct ipam_range *r = &set->ranges[(first + k) % set->n];
    ipaddr_t ip = pick_in_range(s, r, k == 0 ? cursor : 0);
    if (ip) {
      *which = r;
      return ip;
    }
  }
  return 0;
}

int ipam_allocate(struct ipam_store *s, const struct ipam_config *c, const char *cid, const char *ifname,
                  struct ipam_addr *out, struct cni_error *e)
{
  if (s->ncursor < c->nsets) {
    ipaddr_t *cur = realloc(s->cursor, c->nsets * sizeof *cur);
    if (!cur)
      return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
    memset(cur + s->ncursor, 0, (c->nsets - s->ncursor) * sizeof *cur);
    s->cursor = cur;
    s->ncursor = c->nsets;
  }
  for (size_t k = 0; k < c->nsets; k++) {
    const struct ipam_rangeset *set = &c->sets[k];
    const struct ipam_range *r = NULL;
    ipaddr_t ip = 0;
    for (size_t i = 0; i < s->n && !ip; i++) /* a retried ADD gets its lease back */
      if (lease_is(&s->leases[i], cid, ifname) && (r = set_range_of(set, s->leases[i].ip)))
        ip = s->leases[i].ip;
    if (!ip) {
      ip = pick_in_set(s, set, s->cursor[k], &r);
      if (!ip) {
        char net[IP_STRLEN];
        ip_fmt(set->ranges[0].subnet, net);
        return cni_fail(e, CNI_ERR_EXHAUSTED, "no IP addresses available in range set %s/%d of network %s", net,
                        set->ranges[0].prefix, c->network);
      }
      if (ipam_store_add(s, ip, cid, ifname) < 0)
        return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
      s->cursor[k] = ip;
    }
    out[k] = (struct ipam_addr){ip, r->prefix, r->gw};
  }
  return 0;
}

/* ------------------------------------------------------------- persistence */

static int mkdir_p(const char *path)
{
  _cleanup_free_ char *p = strdup(path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return -1;
      *s = '/';
    }
  return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static char *read_at(int dirfd, const char *name)
{
  _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  return fd < 0 ? NULL : read_all_fd(fd, NULL);
}

static void load_cursor(struct ipam_store *s)
{
  char name[256];
  snprintf(name, sizeof name, "last_reserved_ip.%s", s->network);
  _cleanup_free_ char *text = read_at(s->dirfd, name);
  char *save = NULL;
  for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    ipaddr_t ip = 0;
    ipaddr_t *cur = realloc(s->cursor, (s->ncursor + 1) * sizeof *cur);
    if (!cur)
      return;
    s->cursor = cur;
    s->cursor[s->ncursor++] = ip_parse(l, &ip) ? ip : 0;
  }
}

int ipam_store_open(struct ipam_store *s, const char *data_dir, const char *network, struct cni_error *e)
{
  memset(s, 0, sizeof *s);
  s->dirfd = s->lockfd = -1;
  s->network = strdup(network);
  if (mkdir_p(data_dir) < 0)
    return cni_fail(e, CNI_ERR_IO, "ipam dataDir %s: %s", data_dir, strerror(errno));
  s->dirfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0)
    return cni_fail(e, CNI_ERR_IO, "ipam dataDir %s: %s", data_dir, strerror(errno));
  s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lockfd < 0)
    return cni_fail(e, CNI_ERR_IO, "ipam lock %s/lock: %s", data_dir, strerror(errno));
  while (flock(s->lockfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return cni_fail(e, CNI_ERR_IO, "ipam lock %s/lock: %s", data_dir, strerror(errno));
  errno = 0;
  _cleanup_free_ char *text = read_at(s->dirfd, network);
  if (!text && errno != ENOENT)
    return cni_fail(e, CNI_ERR_IO, "ipam store %s/%s: %s", data_dir, network, strerror(errno));
  if (text && ipam_store_load_text(s, text, e) < 0)
    return -1;
  load_cursor(s);
  return 0;
}

static int write_file_at(int dirfd, const char *name, const char *text, bool durable)
{
  _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t len = strlen(text), off = 0;
  if (fd < 0)
    return -1;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    off += (size_t)w;
  }
  return durable ? fdatasync(fd) : 0;
}

int ipam_store_commit(struct ipam_store *s, struct cni_error *e)
{
  char tmp[256], cur[256];
  snprintf(tmp, sizeof tmp, ".%s.tmp", s->network);
  snprintf(cur, sizeof cur, "last_reserved_ip.%s", s->network);
  if (!s->dirty)
    return 0;
  if (s->n == 0) {
    /* an empty network leaves nothing behind */
    if (unlinkat(s->dirfd, s->network, 0) < 0 && errno != ENOENT)
      return cni_fail(e, CNI_ERR_IO, "ipam store %s: %s", s->network, strerror(errno));
    unlinkat(s->dirfd, cur, 0);
  } else {
    _cleanup_free_ char *text = ipam_store_text(s);
    if (write_file_at(s->dirfd, tmp, text, true) < 0 || renameat(s->dirfd, tmp, s->dirfd, s->network) < 0) {
      int err = errno;
      unlinkat(s->dirfd, tmp, 0);
      return cni_fail(e, CNI_ERR_IO, "ipam store %s: %s", s->network, strerror(err));
    }
    struct sbuf b = {0};
    char ip[IP_STRLEN];
    for (size_t i = 0; i < s->ncursor; i++) {
      ip_fmt(s->cursor[i], ip);
      sb_printf(&b, "%s\n", ip);
    }
    _cleanup_free_ char *curtext = sb_steal(&b);
    write_file_at(s->dirfd, cur, curtext, false); /* only a hint: no fsync */
  }
  if (fsync(s->dirfd) < 0)
    return cni_fail(e, CNI_ERR_IO, "ipam store %s: fsync: %s", s->network, strerror(errno));
  s->dirty = false;
  return 0;
}

void ipam_store_close(struct ipam_store *s)
{
  if (s->dirfd >= 0) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.tmp", s->network ? s->network : "");
    unlinkat(s->dirfd, tmp, 0); /* left by a writer killed before its rename */
    close(s->dirfd);
  }
  if (s->lockfd >= 0)
    close(s->lockfd); /* releases the flock */
  for (size_t i = 0; i < s->n; i++) {
    free(s->leases[i].cid);
    free(s->leases[i].ifname);
  }
  free(s->leases);
  free(s->cursor);
  free(s->network);
  memset(s, 0, sizeof *s);
  s->dirfd = s->lockfd = -1;
}

/* ------------------------------------------------------------- result */

void ipam_result_json(struct sbuf *b, const char *version, const struct ipam_config *c,
                      const struct ipam_addr *addrs, size_t n)
{
  char ip[IP_STRLEN], gw[IP_STRLEN];
  bool old = cni_version_cmp(version, "1.0.0") < 0;
  sb_add(b, "{\"cniVersion\":");
  sb_json_str(b, version);
  sb_add(b, ",\"ips\":[");
  for (size_t i = 0; i < n; i++) {
    ip_fmt(addrs[i].ip, ip);
    sb_printf(b, "%s{%s\"address\":\"%s/%d\"", i ? "," : "",
              old ? (ip_is4(addrs[i].ip) ? "\"version\":\"4\"," : "\"version\":\"6\",") : "", ip, addrs[i].prefix);
    if (addrs[i].gw) {
      ip_fmt(addrs[i].gw, gw);
      sb_printf(b, ",\"gateway\":\"%s\"", gw);
    }
    sb_add(b, "}");
  }
  sb_add(b, "],\"routes\":[");
  for (size_t i = 0; i < c->nroutes; i++) {
    ip_fmt(c->routes[i].dst, ip);
    sb_printf(b, "%s{\"dst\":\"%s/%d\"", i ? "," : "", ip, c->routes[i].prefix);
    if (c->routes[i].gw) {
      ip_fmt(c->routes[i].gw, gw);
      sb_printf(b, ",\"gw\":\"%s\"", gw);
    }
    sb_add(b, "}");
  }
  sb_add(b, "],\"dns\":");
  if (c->dns)
    sb_json_value(b, c->dns);
  else
    sb_add(b, "{}");
  sb_add(b, "}");
}

/* ------------------------------------------------------------- commands */

int ipam_cmd_add(const struct ipam_config *c, const char *cid, const char *ifname, struct ipam_addr *out,
                 struct cni_error *e)
{
  struct ipam_store s;
  int r = ipam_store_open(&s, c->data_dir, c->network, e);
  if (r == 0)
    r = ipam_allocate(&s, c, cid, ifname, out, e);
  if (r == 0)
    r = ipam_store_commit(&s, e);
  ipam_store_close(&s);
  return r;
}

int ipam_cmd_del(const struct ipam_config *c, const char *cid, const char *ifname, struct cni_error *e)
{
  struct ipam_store s;
  int r = ipam_store_open(&s, c->data_dir, c->network, e);
  if (r == 0) {
    ipam_release(&s, cid, ifname);
    r = ipam_store_commit(&s, e);
  }
  ipam_store_close(&s);
  return r;
}

int ipam_cmd_check(const struct ipam_config *c, const char *cid, const char *ifname, struct ipam_addr *out,
                   struct cni_error *e)
{
  struct ipam_store s;
  int r = ipam_store_open(&s, c->data_dir, c->network, e);
  if (r == 0 && ipam_find(&s, c, cid, ifname, out) != c->nsets)
    r = cni_fail(e, CNI_ERR_UNKNOWN_CONTAINER, "ipam: %s/%s holds no address in network %s", cid, ifname,
                 c->network);
  ipam_store_close(&s);
  return r;
}

int ipam_cmd_gc(const struct ipam_config *c, const struct ipam_attachment *valid, size_t n,
                struct ipam_lease **dropped, size_t *ndropped, struct cni_error *e)
{
  struct ipam_store s;
  int r = ipam_store_open(&s, c->data_dir, c->network, e);
  if (dropped) {
    /* report what goes, so the caller can clean links and rules of it */
    *dropped = calloc(s.n + 1, sizeof **dropped);
    *ndropped = 0;
    for (size_t i = 0; r == 0 && i < s.n; i++) {
      bool keep = false;
      for (size_t j = 0; j < n && !keep; j++)
        keep = lease_is(&s.leases[i], valid[j].cid, valid[j].ifname);
      if (!keep)
        (*dropped)[(*ndropped)++] = (struct ipam_lease){s.leases[i].ip, strdup(s.leases[i].cid),
                                                        strdup(s.leases[i].ifname)};
    }
  }
  if (r == 0) {
    ipam_gc(&s, valid, n);
    r = ipam_store_commit(&s, e);
  }
  ipam_store_close(&s);
  return r;
}

int ipam_cmd_status(const struct ipam_config *c, struct cni_error *e)
{
  if (mkdir_p(c->data_dir) < 0 || access(c->data_dir, W_OK) < 0)
    return cni_fail(e, CNI_ERR_NOT_AVAILABLE, "ipam dataDir %s is not writable: %s", c->data_dir, strerror(errno));
  return 0;
}

int ipam_cmd_leases(const struct ipam_config *c, struct ipam_lease **out, size_t *n, struct cni_error *e)
{
  struct ipam_store s;
  int r = ipam_store_open(&s, c->data_dir, c->network, e);
  *out = calloc(s.n + 1, sizeof **out);
  *n = 0;
  for (size_t i = 0; r == 0 && *out && i < s.n; i++)
    (*out)[(*n)++] = (struct ipam_lease){s.leases[i].ip, strdup(s.leases[i].cid), strdup(s.leases[i].ifname)};
  if (r == 0 && !*out)
    r = cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
  ipam_store_close(&s);
  return r;
}

void ipam_leases_free(struct ipam_lease *l, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(l[i].cid);
    free(l[i].ifname);
  }
  free(l);
}

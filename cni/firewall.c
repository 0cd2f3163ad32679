/* SPDX-License-Identifier: GPL-2.0-or-later */
/* firewall.c - see firewall.h. */
#define _GNU_SOURCE
#include "firewall.h"

#include <inttypes.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

struct nft {
  struct nft_ctx *ctx;
};

static int nft_open(struct nft *n, bool handles, struct cni_error *e)
{
  n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!n->ctx)
    return cni_fail(e, CNI_ERR_PLUGIN, "nftables: cannot create a context");
  nft_ctx_buffer_output(n->ctx);
  nft_ctx_buffer_error(n->ctx);
  if (handles)
    nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_HANDLE);
  return 0;
}

static void nft_close(struct nft *n)
{
  if (n->ctx)
    nft_ctx_free(n->ctx);
  n->ctx = NULL;
}

/* Run commands; on failure the first line of nft's message goes into e. */
static int nft_run(struct nft *n, const char *cmds, struct cni_error *e)
{
  if (nft_run_cmd_from_buffer(n->ctx, cmds) == 0)
    return 0;
  const char *err = nft_ctx_get_error_buffer(n->ctx);
  int len = (int)strcspn(err ? err : "", "\n");
  return cni_fail(e, CNI_ERR_PLUGIN, "nftables: %.*s", len, err ? err : "failed");
}

static void tag_of(char tag[128], const char *network, const char *cid, const char *ifname)
{
  snprintf(tag, 128, "%016" PRIx64 " %s %s/%s", attachment_hash(network, cid, ifname), network, cid, ifname);
}

int fw_parse_portmaps(yajl_val arr, struct fw_portmap **out, size_t *n, struct cni_error *e)
{
  *out = NULL;
  *n = 0;
  if (!arr || YAJL_IS_NULL(arr))
    return 0;
  if (!YAJL_IS_ARRAY(arr))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "runtimeConfig.portMappings must be an array");
  *out = calloc(arr->u.array.len + 1, sizeof **out);
  for (size_t i = 0; i < arr->u.array.len; i++) {
    yajl_val m = arr->u.array.values[i];
    yajl_val hp = json_get(m, "hostPort"), cp = json_get(m, "containerPort");
    const char *proto = json_get_str(m, "protocol"), *hip = json_get_str(m, "hostIP");
    struct fw_portmap *p = &(*out)[*n];
    if (!hp || !cp || !YAJL_IS_INTEGER(hp) || !YAJL_IS_INTEGER(cp) || YAJL_GET_INTEGER(hp) < 1 ||
        YAJL_GET_INTEGER(hp) > 65535 || YAJL_GET_INTEGER(cp) < 1 || YAJL_GET_INTEGER(cp) > 65535)
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "portMappings[%zu]: hostPort and containerPort must be 1-65535", i);
    p->host_port = (int)YAJL_GET_INTEGER(hp);
    p->container_port = (int)YAJL_GET_INTEGER(cp);
    snprintf(p->proto, sizeof p->proto, "%s", proto && *proto ? proto : "tcp");
    for (char *c = p->proto; *c; c++)
      *c = (char)(*c | 0x20);
    if (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp") && strcmp(p->proto, "sctp"))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "portMappings[%zu]: unknown protocol %s", i, proto);
    if (hip && *hip && strchr(hip, ':'))
      continue; /* an IPv6 host address cannot reach an IPv4-only container */
    if (hip && *hip && strcmp(hip, "0.0.0.0") && !ip4_parse(hip, &p->host_ip))
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "portMappings[%zu]: invalid hostIP %s", i, hip);
    /* two mappings of one host port: only the first DNAT rule would ever match */
    for (size_t k = 0; k < *n; k++) {
      const struct fw_portmap *q = &(*out)[k];
      if (q->host_port == p->host_port && !strcmp(q->proto, p->proto) &&
          (!q->host_ip || !p->host_ip || q->host_ip == p->host_ip))
        return cni_fail(e, CNI_ERR_INVALID_CONFIG, "portMappings[%zu]: host port %s/%d is already mapped by an "
                        "earlier entry", i, p->proto, p->host_port);
    }
    (*n)++;
  }
  return 0;
}

/* Base chains, created on first use; `add` is idempotent for tables and
 * chains, so every ADD sends them in the same transaction as its rules. */
static const char BASE[] =
    "add table ip " FW_TABLE "\n"
    "add chain ip " FW_TABLE " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
    "add chain ip " FW_TABLE " output { type nat hook output priority -100; policy accept; }\n"
    "add chain ip " FW_TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n";

static void rules_for(struct sbuf *b, const struct fw_attachment *a)
{
  char tag[128], ip[16], net[16], hip[16];
  tag_of(tag, a->network, a->cid, a->ifname);
  ip4_fmt(a->ip, ip);
  ip4_fmt(a->subnet, net);
  if (a->masq)
    sb_printf(b,
              "add rule ip " FW_TABLE " postrouting ip saddr %s ip daddr != { %s/%d, 224.0.0.0/4 } masquerade "
              "comment \"%s\"\n",
              ip, net, a->prefix, tag);
  if (a->npm)
    /* hairpin (a container or a neighbour reaching it through a host port)
     * and localhost: 127.0.0.1:hostPort must not leave with a loopback source */
    sb_printf(b,
              "add rule ip " FW_TABLE " postrouting ip saddr { %s/%d, 127.0.0.0/8 } ip daddr %s ct status dnat "
              "masquerade comment \"%s\"\n",
              net, a->prefix, ip, tag);
  for (size_t i = 0; i < a->npm; i++) {
    const struct fw_portmap *p = &a->pm[i];
    char match[64];
    if (p->host_ip) {
      ip4_fmt(p->host_ip, hip);
      snprintf(match, sizeof match, "ip daddr %s", hip);
    } else {
      snprintf(match, sizeof match, "fib daddr type local");
    }
    for (int c = 0; c < 2; c++)
      sb_printf(b, "add rule ip " FW_TABLE " %s %s %s dport %d dnat to %s:%d comment \"%s\"\n",
                c ? "output" : "prerouting", match, p->proto, p->host_port, ip, p->container_port, tag);
  }
}

struct fw_rule;
static int list_rules(struct nft *n, struct fw_rule **out, size_t *count, struct cni_error *e);

int fw_add(const struct fw_attachment *a, struct cni_error *e)
{
  struct nft n = {0};
  struct sbuf b = {0};
  if (!a->masq && !a->npm)
    return 0;
  if (nft_open(&n, false, e) < 0)
    return -1;
  sb_add(&b, BASE);
  rules_for(&b, a);
  int r = nft_run(&n, b.s, e);
  free(b.s);
  nft_close(&n);
  return r;
}

/* Each tagged rule of the table: chain, handle and comment. */
struct fw_rule {
  char chain[64];
  unsigned long handle;
  char comment[128];
  char match[192]; /* the rule text before its comment */
};

static int list_rules(struct nft *n, struct fw_rule **out, size_t *count, struct cni_error *e)
{
  *out = NULL;
  *count = 0;
  if (nft_run_cmd_from_buffer(n->ctx, "list table ip " FW_TABLE) != 0)
    return 0; /* no table: no rules */
  _cleanup_free_ char *text = strdup(nft_ctx_get_output_buffer(n->ctx) ?: "");
  char chain[64] = "", *save = NULL;
  size_t cap = 0;
  for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *c;
    if (sscanf(l, " chain %63s {", chain) == 1)
      continue;
    if (!(c = strstr(l, "comment \"")))
      continue;
    char *h = strstr(l, "# handle ");
    if (!h)
      continue;
    if (*count == cap) {
      cap = cap ? cap * 2 : 32;
      struct fw_rule *nr = realloc(*out, cap * sizeof *nr);
      if (!nr)
        return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
      *out = nr;
    }
    struct fw_rule *r = &(*out)[(*count)++];
    snprintf(r->chain, sizeof r->chain, "%s", chain);
    r->handle = strtoul(h + 9, NULL, 10);
    snprintf(r->match, sizeof r->match, "%.*s", (int)(c - l), l);
    c += 9;
    snprintf(r->comment, sizeof r->comment, "%.*s", (int)strcspn(c, "\""), c);
  }
  return 0;
}

/* Delete the listed rules whose comment `select` accepts; retried once
 * because a concurrent DEL/GC may have removed one of them meanwhile. */
static int delete_selected(bool (*select)(const char *comment, const void *arg), const void *arg,
                           struct cni_error *e)
{
  struct nft n = {0};
  int r = -1;
  if (nft_open(&n, true, e) < 0)
    return -1;
  for (int attempt = 0; attempt < 2; attempt++) {
    _cleanup_free_ struct fw_rule *rules = NULL;
    size_t count;
    struct sbuf b = {0};
    if (list_rules(&n, &rules, &count, e) < 0)
      break;
    for (size_t i = 0; i < count; i++)
      if (select(rules[i].comment, arg))
        sb_printf(&b, "delete rule ip " FW_TABLE " %s handle %lu\n", rules[i].chain, rules[i].handle);
    r = b.s ? nft_run(&n, b.s, e) : 0;
    free(b.s);
    if (r == 0)
      break;
  }
  nft_close(&n);
  return r;
}

static bool has_hash_prefix(const char *comment, const void *arg)
{
  return strncmp(comment, (const char *)arg, 17) == 0;
}

int fw_del(const char *network, const char *cid, const char *ifname, struct cni_error *e)
{
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%016" PRIx64 " ", attachment_hash(network, cid, ifname));
  return delete_selected(has_hash_prefix, prefix, e);
}

int fw_check(const struct fw_attachment *a, struct cni_error *e)
{
  struct nft n = {0};
  char tag[128];
  size_t want = (a->masq ? 1 : 0) + (a->npm ? 1 + 2 * a->npm : 0), have = 0, count = 0;
  if (!want)
    return 0;
  if (nft_open(&n, true, e) < 0)
    return -1;
  tag_of(tag, a->network, a->cid, a->ifname);
  _cleanup_free_ struct fw_rule *rules = NULL;
  int r = list_rules(&n, &rules, &count, e);
  nft_close(&n);
  for (size_t i = 0; i < count; i++)
    have += strncmp(rules[i].comment, tag, 17) == 0;
  if (r == 0 && have != want)
    r = cni_fail(e, CNI_ERR_PLUGIN, "firewall: %zu of %zu rules of %s/%s present in table ip " FW_TABLE, have,
                 want, a->cid, a->ifname);
  return r;
}

struct gc_arg {
  const char *network;
  const uint64_t *keep;
  size_t nkeep;
};

static bool stale_in_network(const char *comment, const void *arg)
{
  const struct gc_arg *g = arg;
  char net[128];
  uint64_t h;
  if (sscanf(comment, "%" SCNx64 " %127s", &h, net) != 2 || strcmp(net, g->network) != 0)
    return false;
  for (size_t i = 0; i < g->nkeep; i++)
    if (g->keep[i] == h)
      return false;
  return true;
}

int fw_gc(const char *network, const uint64_t *keep, size_t nkeep, struct cni_error *e)
{
  struct gc_arg g = {network, keep, nkeep};
  return delete_selected(stale_in_network, &g, e);
}

/* Would mapping p collide with the DNAT rule text `match` of another attachment? */
static bool same_host_port(const struct fw_portmap *p, const char *match)
{
  char needle[32], hip[16], other[16];
  snprintf(needle, sizeof needle, " %s dport %d ", p->proto, p->host_port);
  if (!strstr(match, needle))
    return false;
  const char *d = strstr(match, "ip daddr ");
  if (!p->host_ip || !d || sscanf(d + 9, "%15s", other) != 1)
    return true; /* one of them takes every local address */
  ip4_fmt(p->host_ip, hip);
  return strcmp(hip, other) == 0;
}

/* Refuse a host port another attachment already maps (its DNAT would win). */
int fw_port_conflicts(const struct fw_attachment *a, struct cni_error *e)
{
  struct nft n = {0};
  _cleanup_free_ struct fw_rule *rules = NULL;
  size_t count = 0;
  char own[32];
  if (!a->npm)
    return 0;
  snprintf(own, sizeof own, "%016" PRIx64 " ", attachment_hash(a->network, a->cid, a->ifname));
  if (nft_open(&n, true, e) < 0)
    return -1;
  int r = list_rules(&n, &rules, &count, e);
  nft_close(&n);
  for (size_t i = 0; r == 0 && i < count; i++) {
    if (strcmp(rules[i].chain, "prerouting") || strncmp(rules[i].comment, own, 17) == 0)
      continue;
    for (size_t j = 0; j < a->npm; j++)
      if (same_host_port(&a->pm[j], rules[i].match)) {
        const char *who = strchr(rules[i].comment, ' ');
        return cni_fail(e, CNI_ERR_PLUGIN, "host port %s/%d is already mapped by %s", a->pm[j].proto,
                        a->pm[j].host_port, who ? who + 1 : rules[i].comment);
      }
  }
  return r;
}

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
    /* hostIP "" maps both families; "0.0.0.0" / "::" every address of one */
    p->family = 0;
    if (hip && *hip) {
      if (!ip_parse(hip, &p->host_ip))
        return cni_fail(e, CNI_ERR_INVALID_CONFIG, "portMappings[%zu]: invalid hostIP %s", i, hip);
      p->family = ip_is4(p->host_ip) ? 4 : 6;
      if (p->host_ip == ip_from4(0))
        p->host_ip = 0;
    }
    /* two mappings of one host port: only the first DNAT rule would ever match */
    for (size_t k = 0; k < *n; k++) {
      const struct fw_portmap *q = &(*out)[k];
      if (q->host_port == p->host_port && !strcmp(q->proto, p->proto) &&
          (!q->family || !p->family || q->family == p->family) &&
          (!q->host_ip || !p->host_ip || q->host_ip == p->host_ip))
        return cni_fail(e, CNI_ERR_INVALID_CONFIG, "portMappings[%zu]: host port %s/%d is already mapped by an "
                        "earlier entry", i, p->proto, p->host_port);
    }
    (*n)++;
  }
  return 0;
}

/* Base chains of a table (family "ip" or "ip6"), created on first use; `add`
 * is idempotent for tables and chains, so every ADD sends them in the same
 * transaction as its rules. */
static void base_chains(struct sbuf *b, const char *fam)
{
  sb_printf(b,
            "add table %s " FW_TABLE "\n"
            "add chain %s " FW_TABLE " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
            "add chain %s " FW_TABLE " output { type nat hook output priority -100; policy accept; }\n"
            "add chain %s " FW_TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n",
            fam, fam, fam, fam);
}

/* Mappings of a that apply to the family of its address `ad`. */
static size_t mappings_of(const struct fw_attachment *a, const struct fw_addr *ad)
{
  size_t n = 0;
  for (size_t i = 0; ad->ip && i < a->npm; i++)
    n += fw_portmap_covers(&a->pm[i], ip_is4(ad->ip));
  return n;
}

/* How many rules rules_for writes for the address ad. */
static size_t rules_wanted(const struct fw_attachment *a, const struct fw_addr *ad)
{
  size_t npm = mappings_of(a, ad);
  return ad->ip ? (a->masq ? 1 : 0) + (npm ? 1 + 2 * npm : 0) : 0;
}

static void rules_for(struct sbuf *b, const struct fw_attachment *a, const struct fw_addr *ad)
{
  char tag[128], ip[IP_STRLEN], net[IP_STRLEN], hip[IP_STRLEN];
  bool v4 = ip_is4(ad->ip);
  const char *fam = v4 ? "ip" : "ip6";
  if (!ad->ip)
    return;
  base_chains(b, fam);
  tag_of(tag, a->network, a->cid, a->ifname);
  ip_fmt(ad->ip, ip);
  ip_fmt(ad->subnet, net);
  if (a->masq)
    sb_printf(b,
              "add rule %s " FW_TABLE " postrouting %s saddr %s %s daddr != { %s/%d, %s } masquerade "
              "comment \"%s\"\n",
              fam, fam, ip, fam, net, ad->prefix, v4 ? "224.0.0.0/4" : "ff00::/8", tag);
  if (mappings_of(a, ad))
    /* hairpin (a container or a neighbour reaching it through a host port)
     * and, IPv4 only, localhost: 127.0.0.1:hostPort must not leave with a
     * loopback source (IPv6 has no route_localnet: [::1] is not mapped, as
     * with the reference portmap) */
    sb_printf(b,
              "add rule %s " FW_TABLE " postrouting %s saddr { %s/%d%s } %s daddr %s ct status dnat "
              "masquerade comment \"%s\"\n",
              fam, fam, net, ad->prefix, v4 ? ", 127.0.0.0/8" : "", fam, ip, tag);
  for (size_t i = 0; i < a->npm; i++) {
    const struct fw_portmap *p = &a->pm[i];
    char match[80];
    if (!fw_portmap_covers(p, v4))
      continue;
    if (p->host_ip) {
      ip_fmt(p->host_ip, hip);
      snprintf(match, sizeof match, "%s daddr %s", fam, hip);
    } else {
      snprintf(match, sizeof match, "fib daddr type local");
    }
    for (int c = 0; c < 2; c++)
      sb_printf(b, "add rule %s " FW_TABLE " %s %s %s dport %d dnat to %s%s%s:%d comment \"%s\"\n", fam,
                c ? "output" : "prerouting", match, p->proto, p->host_port, v4 ? "" : "[", ip, v4 ? "" : "]",
                p->container_port, tag);
  }
}

struct fw_rule;
static int list_rules(struct nft *n, struct fw_rule **out, size_t *count, struct cni_error *e);

int fw_add(const struct fw_attachment *a, struct cni_error *e)
{
  struct nft n = {0};
  struct sbuf b = {0};
  if (!rules_wanted(a, &a->v4) && !rules_wanted(a, &a->v6))
    return 0;
  if (nft_open(&n, false, e) < 0)
    return -1;
  if (rules_wanted(a, &a->v4))
    rules_for(&b, a, &a->v4);
  if (rules_wanted(a, &a->v6))
    rules_for(&b, a, &a->v6);
  int r = nft_run(&n, b.s, e);
  free(b.s);
  nft_close(&n);
  return r;
}

/* Each tagged rule of the two tables: family, chain, handle and comment. */
struct fw_rule {
  const char *fam; /* "ip" or "ip6" */
  char chain[64];
  unsigned long handle;
  char comment[128];
  char match[192]; /* the rule text before its comment */
};

static int list_table(struct nft *n, const char *fam, struct fw_rule **out, size_t *count, size_t *cap,
                      struct cni_error *e)
{
  char cmd[64];
  snprintf(cmd, sizeof cmd, "list table %s " FW_TABLE, fam);
  if (nft_run_cmd_from_buffer(n->ctx, cmd) != 0)
    return 0; /* no table: no rules */
  _cleanup_free_ char *text = strdup(nft_ctx_get_output_buffer(n->ctx) ?: "");
  char chain[64] = "", *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *c;
    if (sscanf(l, " chain %63s {", chain) == 1)
      continue;
    if (!(c = strstr(l, "comment \"")))
      continue;
    char *h = strstr(l, "# handle ");
    if (!h)
      continue;
    if (*count == *cap) {
      *cap = *cap ? *cap * 2 : 32;
      struct fw_rule *nr = realloc(*out, *cap * sizeof *nr);
      if (!nr)
        return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
      *out = nr;
    }
    struct fw_rule *r = &(*out)[(*count)++];
    r->fam = fam;
    snprintf(r->chain, sizeof r->chain, "%s", chain);
    r->handle = strtoul(h + 9, NULL, 10);
    snprintf(r->match, sizeof r->match, "%.*s", (int)(c - l), l);
    c += 9;
    snprintf(r->comment, sizeof r->comment, "%.*s", (int)strcspn(c, "\""), c);
  }
  return 0;
}

static int list_rules(struct nft *n, struct fw_rule **out, size_t *count, struct cni_error *e)
{
  size_t cap = 0;
  *out = NULL;
  *count = 0;
  if (list_table(n, "ip", out, count, &cap, e) < 0)
    return -1;
  return list_table(n, "ip6", out, count, &cap, e);
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
        sb_printf(&b, "delete rule %s " FW_TABLE " %s handle %lu\n", rules[i].fam, rules[i].chain,
                  rules[i].handle);
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

int fw_del_hash(uint64_t hash, struct cni_error *e)
{
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%016" PRIx64 " ", hash);
  return delete_selected(has_hash_prefix, prefix, e);
}

int fw_del(const char *network, const char *cid, const char *ifname, struct cni_error *e)
{
  return fw_del_hash(attachment_hash(network, cid, ifname), e);
}

int fw_check(const struct fw_attachment *a, struct cni_error *e)
{
  struct nft n = {0};
  char tag[128];
  size_t want = rules_wanted(a, &a->v4) + rules_wanted(a, &a->v6), have = 0, count = 0;
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
    r = cni_fail(e, CNI_ERR_PLUGIN, "firewall: %zu of %zu rules of %s/%s present in tables ip and ip6 " FW_TABLE,
                 have, want, a->cid, a->ifname);
  return r;
}

int fw_hashes(const char *network, uint64_t **out, size_t *n, struct cni_error *e)
{
  struct nft nf = {0};
  _cleanup_free_ struct fw_rule *rules = NULL;
  size_t count = 0;
  *out = NULL;
  *n = 0;
  if (nft_open(&nf, true, e) < 0)
    return -1;
  int r = list_rules(&nf, &rules, &count, e);
  nft_close(&nf);
  *out = calloc(count + 1, sizeof **out);
  if (!*out)
    return cni_fail(e, CNI_ERR_PLUGIN, "out of memory");
  for (size_t i = 0; r == 0 && i < count; i++) {
    char net[128];
    uint64_t h;
    bool seen = false;
    if (sscanf(rules[i].comment, "%" SCNx64 " %127s", &h, net) != 2 || strcmp(net, network) != 0)
      continue;
    for (size_t k = 0; k < *n && !seen; k++)
      seen = (*out)[k] == h;
    if (!seen)
      (*out)[(*n)++] = h;
  }
  return r;
}

/* Would mapping p collide with the DNAT rule r of another attachment? */
static bool same_host_port(const struct fw_portmap *p, const struct fw_rule *r)
{
  char needle[32], other[IP_STRLEN];
  ipaddr_t oip;
  if (!fw_portmap_covers(p, strcmp(r->fam, "ip") == 0))
    return false;
  snprintf(needle, sizeof needle, " %s dport %d ", p->proto, p->host_port);
  if (!strstr(r->match, needle))
    return false;
  const char *d = strstr(r->match, " daddr ");
  if (!p->host_ip || !d || sscanf(d + 7, "%45s", other) != 1 || !ip_parse(other, &oip))
    return true; /* one of them takes every local address */
  return oip == p->host_ip;
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
      if (same_host_port(&a->pm[j], &rules[i])) {
        const char *who = strchr(rules[i].comment, ' ');
        return cni_fail(e, CNI_ERR_PLUGIN, "host port %s/%d is already mapped by %s", a->pm[j].proto,
                        a->pm[j].host_port, who ? who + 1 : rules[i].comment);
      }
  }
  return r;
}

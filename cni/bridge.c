/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bridge.c - ulysses-cni-bridge: a CNI plugin (spec 0.3.0 - 1.1.0) that puts
 * a container on a Linux bridge through a veth pair, with addresses from
 * ulysses-ipam (built in) or any delegated IPAM plugin, masquerade and port
 * mappings in nftables. Config keys follow the reference bridge plugin. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_CONFIG_H
#include "config.h" /* UOCI_FAULT_INJECTION: the fault points of src/fault.h */
#endif
#include "cniexec.h"
#include "cnilock.h"
#include "fault.h"
#include "firewall.h"
#include "hostport.h"
#include "ipam.h"
#include "netlink.h"

#define BUILTIN_IPAM "ulysses-ipam"
#define MAX_IPS 8
#define MAX_ROUTES 64
#define VETH_ALIAS_PREFIX "ulysses-cni "

struct conf {
  const char *version, *name, *bridge, *ipam_type;
  bool is_gw, is_default_gw, ip_masq, hairpin, promisc, enable_dad;
  int mtu, vlan;
  yajl_val root, ipam, prev_result;
  struct ipam_config ic; /* parsed when the IPAM is built in */
  bool builtin_ipam;
  struct fw_portmap *pm;
  size_t npm;
};

/* Addresses and routes to apply (from IPAM), in host byte order. */
struct addrs {
  struct ipam_addr ips[MAX_IPS];
  size_t nips;
  struct ipam_route routes[MAX_ROUTES];
  size_t nroutes;
  char *dns; /* JSON object text or NULL */
};

static int get_bool(yajl_val root, const char *key, bool *out, struct cni_error *e)
{
  int v = json_get_bool(root, key);
  if (v == -2)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"%s\" must be a boolean", key);
  *out = v == 1;
  return 0;
}

static int get_int(yajl_val root, const char *key, int max, int *out, struct cni_error *e)
{
  yajl_val v = json_get(root, key);
  *out = 0;
  if (!v || YAJL_IS_NULL(v))
    return 0;
  if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 || YAJL_GET_INTEGER(v) > max)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"%s\" must be an integer from 0 to %d", key, max);
  *out = (int)YAJL_GET_INTEGER(v);
  return 0;
}

/* What DEL reads: the network name (the veth name and the rule tags derive
 * from it) and where the lease is (ipam.type; the built-in IPAM's network
 * and dataDir). Nothing else, so a DEL tears down whatever its ADD made even
 * when the rest of the config is something ADD refuses: port mappings in a
 * shape it cannot parse, a bad range, a bridge option of the wrong type.
 * Without an ipam.type there can be no lease, only links and rules. */
static int parse_teardown_conf(yajl_val root, const char *version, struct conf *c, struct cni_error *e)
{
  memset(c, 0, sizeof *c);
  c->root = root;
  c->version = version;
  c->name = json_get_str(root, "name");
  if (!c->name || !cni_valid_network_name(c->name))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "invalid or missing network \"name\"");
  c->ipam = json_get_obj(root, "ipam");
  c->ipam_type = json_get_str(c->ipam, "type");
  c->builtin_ipam = c->ipam_type && strcmp(c->ipam_type, BUILTIN_IPAM) == 0;
  if (c->builtin_ipam)
    return ipam_config_locate(c->ipam, c->name, &c->ic, e);
  return 0;
}

/* With the built-in IPAM the families of the addresses are known before
 * allocating: a mapping of both (hostIP "") becomes one of the family there
 * is, and one of a family without an address goes (the reference portmap
 * ignores it too), so the host-port checks before IPAM judge only what the
 * rules will take. */
static void narrow_portmaps(struct conf *c)
{
  bool v4 = false, v6 = false;
  size_t n = 0;
  for (size_t i = 0; i < c->ic.nsets; i++)
    *(ip_is4(c->ic.sets[i].ranges[0].subnet) ? &v4 : &v6) = true;
  for (size_t i = 0; i < c->npm; i++) {
    struct fw_portmap p = c->pm[i];
    if (p.family == 0 && v4 != v6)
      p.family = v4 ? 4 : 6;
    if ((p.family == 4 && !v4) || (p.family == 6 && !v6))
      continue;
    c->pm[n++] = p;
  }
  c->npm = n;
}

static int parse_conf(yajl_val root, const char *version, struct conf *c, struct cni_error *e)
{
  if (parse_teardown_conf(root, version, c, e) < 0)
    return -1;
  c->bridge = json_get_str(root, "bridge");
  if (!c->bridge)
    c->bridge = "cni0";
  if (!cni_valid_ifname(c->bridge))
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "invalid bridge name \"%s\"", c->bridge);
  if (get_bool(root, "isGateway", &c->is_gw, e) < 0 || get_bool(root, "isDefaultGateway", &c->is_default_gw, e) < 0 ||
      get_bool(root, "ipMasq", &c->ip_masq, e) < 0 || get_bool(root, "hairpinMode", &c->hairpin, e) < 0 ||
      get_bool(root, "promiscMode", &c->promisc, e) < 0 || get_bool(root, "enabledad", &c->enable_dad, e) < 0 ||
      get_int(root, "mtu", 65535, &c->mtu, e) < 0 ||
      get_int(root, "vlan", 4094, &c->vlan, e) < 0)
    return -1;
  if (c->mtu && c->mtu < 68)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"mtu\" %d is below the IPv4 minimum of 68", c->mtu);
  if (c->is_default_gw)
    c->is_gw = true; /* as the reference plugin: a default gateway must be a gateway */
  if (!c->ipam_type)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "missing \"ipam\" object with a \"type\"");
  if (c->builtin_ipam) {
    ipam_config_free(&c->ic);
    if (ipam_config_parse(c->ipam, c->name, &c->ic, e) < 0)
      return -1;
  }
  c->prev_result = json_get_obj(root, "prevResult");
  if (fw_parse_portmaps(json_get(json_get_obj(root, "runtimeConfig"), "portMappings"), &c->pm, &c->npm, e) < 0)
    return -1;
  if (c->builtin_ipam)
    narrow_portmaps(c);
  return 0;
}

static void conf_free(struct conf *c)
{
  ipam_config_free(&c->ic);
  free(c->pm);
}

/* The host veth of the attachment whose attachment_hash is h. */
static void veth_name_of(uint64_t h, char name[16])
{
  snprintf(name, 16, "vu%012" PRIx64, (uint64_t)(h & 0xffffffffffffull));
}

static void host_veth_name(const struct cni_env *env, const struct conf *c, char name[16])
{
  veth_name_of(attachment_hash(c->name, env->container_id, env->ifname), name);
}

/* ------------------------------------------------------------- IPAM */

/* ips/routes/dns of a result JSON (delegated IPAM output or prevResult). */
static int addrs_from_result(yajl_val res, struct addrs *a, struct cni_error *e)
{
  yajl_val ips = json_get_arr(res, "ips"), routes = json_get_arr(res, "routes"), dns = json_get_obj(res, "dns");
  for (size_t i = 0; ips && i < ips->u.array.len && a->nips < MAX_IPS; i++) {
    const char *addr = json_get_str(ips->u.array.values[i], "address");
    const char *gw = json_get_str(ips->u.array.values[i], "gateway");
    struct ipam_addr *x = &a->ips[a->nips];
    if (!addr || !cidr_parse(addr, &x->ip, &x->prefix) || x->prefix == 0)
      return cni_fail(e, CNI_ERR_DECODE, "IPAM result: invalid address %s", addr ? addr : "(none)");
    x->gw = 0;
    if (gw && (!ip_parse(gw, &x->gw) || ip_is4(x->gw) != ip_is4(x->ip)))
      return cni_fail(e, CNI_ERR_DECODE, "IPAM result: invalid gateway %s for %s", gw, addr);
    a->nips++;
  }
  for (size_t i = 0; routes && i < routes->u.array.len && a->nroutes < MAX_ROUTES; i++) {
    const char *dst = json_get_str(routes->u.array.values[i], "dst");
    const char *gw = json_get_str(routes->u.array.values[i], "gw");
    struct ipam_route *r = &a->routes[a->nroutes];
    if (!dst || !cidr_parse(dst, &r->dst, &r->prefix))
      return cni_fail(e, CNI_ERR_DECODE, "IPAM result: invalid route %s", dst ? dst : "(none)");
    r->dst &= ip_mask(r->dst, r->prefix);
    r->gw = 0;
    if (gw && (!ip_parse(gw, &r->gw) || ip_is4(r->gw) != ip_is4(r->dst)))
      return cni_fail(e, CNI_ERR_DECODE, "IPAM result: invalid route gw %s", gw);
    a->nroutes++;
  }
  if (dns) {
    struct sbuf b = {0};
    sb_json_value(&b, dns);
    a->dns = sb_steal(&b);
  }
  return 0;
}

/* Run the delegated IPAM plugin with our own stdin. */
static int ipam_exec(const struct conf *c, const struct cni_env *env, const char *cmd, char **out,
                     struct cni_error *e)
{
  _cleanup_free_ char *bin = cni_find_plugin(c->ipam_type, env->path);
  if (!bin)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "IPAM plugin %s not found in CNI_PATH %s", c->ipam_type,
                    env->path ? env->path : "(unset)");
  struct sbuf in = {0};
  sb_json_value(&in, c->root);
  int r = cni_exec_plugin(bin, cmd, env, in.s, out, e);
  free(in.s);
  return r;
}

static int ipam_add(const struct conf *c, const struct cni_env *env, struct addrs *a, struct cni_error *e)
{
  if (c->builtin_ipam) {
    if (c->ic.nsets > MAX_IPS)
      return cni_fail(e, CNI_ERR_INVALID_CONFIG, "ipam: more than %d range sets", MAX_IPS);
    if (ipam_cmd_add(&c->ic, env->container_id, env->ifname, a->ips, e) < 0)
      return -1;
    a->nips = c->ic.nsets;
    for (size_t i = 0; i < c->ic.nroutes && a->nroutes < MAX_ROUTES; i++)
      a->routes[a->nroutes++] = c->ic.routes[i];
    if (c->ic.dns) {
      struct sbuf b = {0};
      sb_json_value(&b, c->ic.dns);
      a->dns = sb_steal(&b);
    }
    return 0;
  }
  _cleanup_free_ char *out = NULL;
  if (ipam_exec(c, env, "ADD", &out, e) < 0)
    return -1;
  _cleanup_json_ yajl_val res = json_parse(out, e);
  if (!res || addrs_from_result(res, a, e) < 0)
    return -1;
  if (a->nips == 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "IPAM plugin %s returned no address", c->ipam_type);
  return 0;
}

static int ipam_del(const struct conf *c, const struct cni_env *env, struct cni_error *e)
{
  if (!c->ipam_type)
    return 0; /* no IPAM configured: no lease to free */
  if (c->builtin_ipam)
    return ipam_cmd_del(&c->ic, env->container_id, env->ifname, e);
  _cleanup_free_ char *out = NULL;
  return ipam_exec(c, env, "DEL", &out, e);
}

/* ------------------------------------------------------------- helpers */

static int write_sysctl(const char *path, const char *value, struct cni_error *e)
{
  char cur[16] = "";
  _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s: %s", path, strerror(errno));
  if (read(fd, cur, sizeof cur - 1) > 0 && strncmp(cur, value, strlen(value)) == 0)
    return 0;
  if (pwrite(fd, value, strlen(value), 0) < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s: %s", path, strerror(errno));
  return 0;
}

static bool has_default_route(const struct addrs *a, bool v4)
{
  for (size_t i = 0; i < a->nroutes; i++)
    if (a->routes[i].prefix == 0 && ip_is4(a->routes[i].dst) == v4)
      return true;
  return false;
}

/* The gateway of the family's first address that has one: where a route of
 * that family without its own gw goes (as the reference ConfigureIface). */
static ipaddr_t first_gw(const struct addrs *a, bool v4)
{
  for (size_t i = 0; i < a->nips; i++)
    if (a->ips[i].gw && ip_is4(a->ips[i].ip) == v4)
      return a->ips[i].gw;
  return 0;
}

static bool has_family(const struct addrs *a, bool v4)
{
  for (size_t i = 0; i < a->nips; i++)
    if (ip_is4(a->ips[i].ip) == v4)
      return true;
  return false;
}

/* Routes of a family without an address cannot be added (and were never
 * used by this plugin for IPv6 before it had IPv6): dropped from the result. */
static void drop_orphan_routes(struct addrs *a)
{
  size_t n = 0;
  for (size_t i = 0; i < a->nroutes; i++)
    if (has_family(a, ip_is4(a->routes[i].dst)))
      a->routes[n++] = a->routes[i];
  a->nroutes = n;
}

static void print_result(const struct conf *c, const struct cni_env *env, const char *host_veth,
                         struct nl_sock *host, struct nl_sock *ns, const struct addrs *a)
{
  char mac[32], ip[IP_STRLEN], gw[IP_STRLEN];
  bool old = cni_version_cmp(c->version, "1.0.0") < 0;
  struct sbuf b = {0};
  sb_add(&b, "{\"cniVersion\":");
  sb_json_str(&b, c->version);
  sb_add(&b, ",\"interfaces\":[{\"name\":");
  sb_json_str(&b, c->bridge);
  nlx_link_mac(host, c->bridge, mac);
  sb_printf(&b, ",\"mac\":\"%s\"},{\"name\":\"%s\"", mac, host_veth);
  nlx_link_mac(host, host_veth, mac);
  sb_printf(&b, ",\"mac\":\"%s\"},{\"name\":", mac);
  sb_json_str(&b, env->ifname);
  nlx_link_mac(ns, env->ifname, mac);
  sb_printf(&b, ",\"mac\":\"%s\",\"sandbox\":", mac);
  sb_json_str(&b, env->netns);
  sb_add(&b, "}],\"ips\":[");
  for (size_t i = 0; i < a->nips; i++) {
    ip_fmt(a->ips[i].ip, ip);
    sb_printf(&b, "%s{%s\"address\":\"%s/%d\",\"interface\":2", i ? "," : "",
              old ? (ip_is4(a->ips[i].ip) ? "\"version\":\"4\"," : "\"version\":\"6\",") : "", ip, a->ips[i].prefix);
    if (a->ips[i].gw) {
      ip_fmt(a->ips[i].gw, gw);
      sb_printf(&b, ",\"gateway\":\"%s\"", gw);
    }
    sb_add(&b, "}");
  }
  sb_add(&b, "],\"routes\":[");
  for (size_t i = 0; i < a->nroutes; i++) {
    ip_fmt(a->routes[i].dst, ip);
    sb_printf(&b, "%s{\"dst\":\"%s/%d\"", i ? "," : "", ip, a->routes[i].prefix);
    if (a->routes[i].gw) {
      ip_fmt(a->routes[i].gw, gw);
      sb_printf(&b, ",\"gw\":\"%s\"", gw);
    }
    sb_add(&b, "}");
  }
  sb_printf(&b, "],\"dns\":%s}\n", a->dns ? a->dns : "{}");
  fputs(b.s, stdout);
  free(b.s);
}

static struct fw_attachment fw_of(const struct conf *c, const struct cni_env *env, const struct addrs *a)
{
  struct fw_attachment f = {c->name, env->container_id, env->ifname, .masq = c->ip_masq, .pm = c->pm,
                            .npm = c->npm};
  /* the first address of each family, as the reference portmap */
  for (size_t i = a->nips; i-- > 0;) {
    struct fw_addr *x = ip_is4(a->ips[i].ip) ? &f.v4 : &f.v6;
    *x = (struct fw_addr){a->ips[i].ip, a->ips[i].ip & ip_mask(a->ips[i].ip, a->ips[i].prefix), a->ips[i].prefix};
  }
  return f;
}

/* ------------------------------------------------------------- ADD */

/* Write a sysctl of the container's netns: /proc/sys/net is the opener's
 * netns, so the file is opened from inside it. `only_if` non-NULL: write
 * only when the current value starts with it. */
static int ns_sysctl(int nsfd, const char *path, const char *value, const char *only_if, struct cni_error *e)
{
  _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "entering the container netns: %s", strerror(errno));
  _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
  int err = errno;
  if (setns(self, CLONE_NEWNET) < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "returning to the host netns: %s", strerror(errno));
  if (fd < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s in the container: %s", path, strerror(err));
  char cur[16] = "";
  if (only_if && (read(fd, cur, sizeof cur - 1) <= 0 || strncmp(cur, only_if, strlen(only_if)) != 0))
    return 0;
  if (pwrite(fd, value, strlen(value), 0) < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s in the container: %s", path, strerror(errno));
  return 0;
}

/* IPv6 in the container before its addresses go on, as the reference
 * bridge plugin: IPv6 on for lo and the interface, addresses kept when the
 * link goes down, and no duplicate address detection unless `enabledad`
 * asks for it (the addresses come from the IPAM, which hands each out once;
 * with DAD they would stay tentative, unusable, for a second or more). */
static int container_ipv6(const struct conf *c, const struct cni_env *env, int nsfd, struct cni_error *e)
{
  char path[128];
  const char *names[2] = {"lo", env->ifname};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", names[i]);
    if (ns_sysctl(nsfd, path, "0", "1", e) < 0)
      return -1;
  }
  snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/keep_addr_on_down", env->ifname);
  if (ns_sysctl(nsfd, path, "1", NULL, e) < 0)
    return -1;
  if (c->enable_dad) {
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/enhanced_dad", env->ifname);
    ns_sysctl(nsfd, path, "1", NULL, e); /* absent before Linux 4.16: only a refinement */
  }
  snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/accept_dad", env->ifname);
  return ns_sysctl(nsfd, path, c->enable_dad ? "1" : "0", NULL, e);
}

/* The bridge's side: gateway addresses and forwarding for each family. */
static int bridge_gateways(const struct conf *c, struct nl_sock *host, int br, const struct addrs *a,
                           struct cni_error *e)
{
  char path[128];
  bool v6 = has_family(a, false);
  if (v6) {
    /* we own the bridge's routes (the reference plugin does the same) */
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/accept_ra", c->bridge);
    if (write_sysctl(path, "0", e) < 0)
      return -1;
  }
  if (!c->is_gw)
    return 0;
  /* an IPv6 gateway without DAD: it is the IPAM's (never handed out) and
   * must answer the container at once, not a second or two later */
  for (size_t i = 0; i < a->nips; i++)
    if (a->ips[i].gw && nlx_addr_add(host, br, a->ips[i].gw, a->ips[i].prefix, true, true, e) < 0)
      return -1;
  if (has_family(a, true) && write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", e) < 0)
    return -1;
  if (v6 && write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1", e) < 0)
    return -1;
  return 0;
}

/* The attachment's name on its host veth, for GC (gc_links): the network
 * and the attachment hash, so a stale veth is found whatever the IPAM. */
static void veth_alias(const struct conf *c, const struct cni_env *env, char alias[256])
{
  snprintf(alias, 256, VETH_ALIAS_PREFIX "%016" PRIx64 " %s",
           attachment_hash(c->name, env->container_id, env->ifname), c->name);
}

/* Everything after IPAM; on failure the caller undoes links, rules, lease. */
static int attach(const struct conf *c, const struct cni_env *env, int nsfd, struct nl_sock *host,
                  struct nl_sock *ns, const char *host_veth, struct addrs *a, struct cni_error *e)
{
  struct bridge_opts bo = {c->bridge, c->mtu, c->promisc, c->vlan > 0};
  int br, idx;
  bool created, v6 = has_family(a, false);
  char alias[256];
  if (v6 && c->mtu && c->mtu < 1280)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"mtu\" %d is below the IPv6 minimum of 1280", c->mtu);
  drop_orphan_routes(a);
  if (nlx_bridge_ensure(host, &bo, &br, &created, e) < 0 || bridge_gateways(c, host, br, a, e) < 0)
    return -1;
  if (nlx_veth_create(host, host_veth, br, env->ifname, nsfd, c->mtu, e) < 0)
    return -1;
  FAULT_POINT("cni-add-veth");
  idx = nlx_ifindex(host, host_veth);
  veth_alias(c, env, alias);
  if (nlx_link_set_alias(host, idx, alias, e) < 0)
    return -1;
  if (c->hairpin && nlx_port_hairpin(host, idx, true, e) < 0)
    return -1;
  if (c->vlan && nlx_port_vlan(host, idx, c->vlan, e) < 0)
    return -1;
  idx = nlx_ifindex(ns, env->ifname);
  if (idx <= 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s did not appear in the container netns", env->ifname);
  if (v6 && container_ipv6(c, env, nsfd, e) < 0)
    return -1;
  if (nlx_link_up(ns, idx, e) < 0)
    return -1;
  for (size_t i = 0; i < a->nips; i++)
    if (nlx_addr_add(ns, idx, a->ips[i].ip, a->ips[i].prefix, false, false, e) < 0)
      return -1;
  /* usable when ADD returns: with enabledad, wait (5 s at most, as the
   * reference) for DAD; without, nothing is tentative and this returns at once */
  if (v6 && nlx_addrs_settle(ns, idx, 5000, e) < 0)
    return -1;
  for (int fam = 0; fam < 2; fam++) {
    bool v4 = fam == 0;
    ipaddr_t gw = first_gw(a, v4);
    if (c->is_default_gw && gw && !has_default_route(a, v4) && a->nroutes < MAX_ROUTES)
      a->routes[a->nroutes++] = (struct ipam_route){v4 ? ip_from4(0) : 0, 0, gw};
  }
  for (size_t i = 0; i < a->nroutes; i++) {
    ipaddr_t via = a->routes[i].gw ? a->routes[i].gw : first_gw(a, ip_is4(a->routes[i].dst));
    if (nlx_route_add(ns, idx, a->routes[i].dst, a->routes[i].prefix, via, e) < 0)
      return -1;
  }
  if (c->npm && has_family(a, true)) {
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/route_localnet", c->bridge);
    if (write_sysctl(path, "1", e) < 0) /* lets 127.0.0.1:hostPort be DNATed to the bridge */
      return -1;
  }
  struct fw_attachment f = fw_of(c, env, a);
  if (fw_add(&f, e) < 0)
    return -1;
  FAULT_POINT("cni-add-rules");
  return 0;
}

static int cmd_add(const struct conf *c, const struct cni_env *env, struct cni_error *e)
{
  _cleanup_close_ int nsfd = open(env->netns, O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int lockfd = -1;
  char host_veth[16];
  struct addrs a = {0};
  int r = -1;
  if (nsfd < 0)
    return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_NETNS %s: %s", env->netns, strerror(errno));
  /* one invocation per attachment at a time: a DEL racing this ADD waits,
   * then removes all of it, instead of freeing the lease under our feet */
  lockfd = cni_lock_open(e);
  if (lockfd < 0 || cni_lock_attachment(lockfd, attachment_hash(c->name, env->container_id, env->ifname), e) < 0)
    return -1;
  struct nl_sock *ns = nlx_open(nsfd, e), *host = ns ? nlx_open(-1, e) : NULL;
  if (!host)
    goto out;
  /* refuse before allocating anything: the netns already has this name */
  if (nlx_ifindex(ns, env->ifname) > 0) {
    cni_fail(e, CNI_ERR_PLUGIN, "interface %s already exists in %s", env->ifname, env->netns);
    goto out;
  }
  /* the attachment exists already, with its container end in another netns
   * (an ADD without DEL, which the spec forbids): replacing its veth would
   * cut that container off, and failing later would free its lease */
  host_veth_name(env, c, host_veth);
  if (nlx_ifindex(host, host_veth) > 0) {
    cni_fail(e, CNI_ERR_PLUGIN, "container %s is already attached to network %s as %s (host veth %s): DEL it first",
             env->container_id, c->name, env->ifname, host_veth);
    goto out;
  }
  struct fw_attachment ports = {c->name, env->container_id, env->ifname, .pm = c->pm, .npm = c->npm};
  /* host ports: the check and our DNAT rules under one lock, so that of two
   * ADDs mapping the same port the second sees the first's rules */
  if (c->npm && cni_lock_host_ports(lockfd, e) < 0)
    goto out;
  if (fw_port_conflicts(&ports, e) < 0 || hostport_check_listeners(c->pm, c->npm, e) < 0)
    goto out;
  FAULT_PAUSE("cni-add-ports-checked");
  if (ipam_add(c, env, &a, e) < 0)
    goto out;
  FAULT_POINT("cni-add-ipam");
  FAULT_PAUSE("cni-add-ipam"); /* the lease is on disk, nothing else yet (races.bats' GC test) */
  r = attach(c, env, nsfd, host, ns, host_veth, &a, e);
  if (r == 0) {
    print_result(c, env, host_veth, host, ns, &a);
  } else {
    /* a failed ADD leaves nothing: rules, the veth (its peer in the netns goes
     * with it; a same-named interface someone else made there is not ours), the lease */
    struct cni_error ignored;
    fw_del(c->name, env->container_id, env->ifname, &ignored);
    nlx_link_del(host, host_veth, &ignored);
    ipam_del(c, env, &ignored);
  }
out:
  free(a.dns);
  nlx_close(ns);
  nlx_close(host);
  return r;
}

/* ------------------------------------------------------------- DEL */

static int cmd_del(const struct conf *c, const struct cni_env *env, struct cni_error *e)
{
  char host_veth[16];
  struct cni_error lock_error;
  /* waits for an ADD of this attachment still running; without the lock
   * file (a read-only /run) DEL still frees what it can */
  _cleanup_close_ int lockfd = cni_lock_open(&lock_error);
  if (lockfd >= 0 &&
      cni_lock_attachment(lockfd, attachment_hash(c->name, env->container_id, env->ifname), &lock_error) < 0)
    return cni_fail(e, lock_error.code, "%s", lock_error.msg);
  host_veth_name(env, c, host_veth);
  /* rules first, lease last: a DEL killed half-way can simply be repeated */
  if (fw_del(c->name, env->container_id, env->ifname, e) < 0)
    return -1;
  FAULT_POINT("cni-del-rules");
  struct nl_sock *host = nlx_open(-1, e);
  if (!host)
    return -1;
  int r = nlx_link_del(host, host_veth, e);
  nlx_close(host);
  if (r < 0)
    return -1;
  FAULT_POINT("cni-del-link");
  if (env->netns && *env->netns) {
    /* the sandbox may be gone already: that is not an error for DEL */
    _cleanup_close_ int nsfd = open(env->netns, O_RDONLY | O_CLOEXEC);
    struct cni_error ignored;
    struct nl_sock *ns = nsfd >= 0 ? nlx_open(nsfd, &ignored) : NULL;
    if (ns && nlx_link_del(ns, env->ifname, e) < 0)
      r = -1;
    nlx_close(ns);
  }
  return r < 0 ? -1 : ipam_del(c, env, e);
}

/* ------------------------------------------------------------- CHECK */

static int cmd_check(const struct conf *c, const struct cni_env *env, struct cni_error *e)
{
  struct addrs a = {0};
  char host_veth[16];
  int r = -1;
  if (!c->prev_result)
    return cni_fail(e, CNI_ERR_INVALID_CONFIG, "CHECK needs \"prevResult\"");
  if (addrs_from_result(c->prev_result, &a, e) < 0)
    return -1;
  _cleanup_close_ int nsfd = open(env->netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    free(a.dns);
    return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_NETNS %s: %s", env->netns, strerror(errno));
  }
  struct nl_sock *ns = nlx_open(nsfd, e), *host = ns ? nlx_open(-1, e) : NULL;
  if (!host)
    goto out;
  host_veth_name(env, c, host_veth);
  int idx = nlx_ifindex(ns, env->ifname), br = nlx_ifindex(host, c->bridge);
  if (idx <= 0) {
    cni_fail(e, CNI_ERR_PLUGIN, "%s does not exist in %s", env->ifname, env->netns);
    goto out;
  }
  if (br <= 0 || nlx_link_master(host, host_veth) != br) {
    cni_fail(e, CNI_ERR_PLUGIN, "host veth %s is not a port of bridge %s", host_veth, c->bridge);
    goto out;
  }
  char s[IP_STRLEN];
  for (size_t i = 0; i < a.nips; i++)
    if (!nlx_addr_has(ns, idx, a.ips[i].ip, a.ips[i].prefix)) {
      ip_fmt(a.ips[i].ip, s);
      cni_fail(e, CNI_ERR_PLUGIN, "%s lacks address %s/%d", env->ifname, s, a.ips[i].prefix);
      goto out;
    }
  for (size_t i = 0; i < a.nroutes; i++)
    if (!nlx_route_has(ns, idx, a.routes[i].dst, a.routes[i].prefix,
                       a.routes[i].gw ? a.routes[i].gw : first_gw(&a, ip_is4(a.routes[i].dst)))) {
      ip_fmt(a.routes[i].dst, s);
      cni_fail(e, CNI_ERR_PLUGIN, "route to %s/%d is missing in %s", s, a.routes[i].prefix, env->netns);
      goto out;
    }
  if (c->builtin_ipam) {
    struct ipam_addr held[c->ic.nsets + 1];
    if (ipam_cmd_check(&c->ic, env->container_id, env->ifname, held, e) < 0)
      goto out;
  } else {
    _cleanup_free_ char *o = NULL;
    if (ipam_exec(c, env, "CHECK", &o, e) < 0)
      goto out;
  }
  struct fw_attachment f = fw_of(c, env, &a);
  r = fw_check(&f, e);
out:
  free(a.dns);
  nlx_close(ns);
  nlx_close(host);
  return r;
}

/* ------------------------------------------------------------- STATUS, GC */

static int cmd_status(const struct conf *c, const struct cni_env *env, struct cni_error *e)
{
  if (c->builtin_ipam)
    return ipam_cmd_status(&c->ic, e);
  _cleanup_free_ char *out = NULL;
  return ipam_exec(c, env, "STATUS", &out, e);
}

/* One attachment GC found stale: its hash, and (from a lease) its ids. */
struct stale {
  uint64_t hash;
  const char *cid, *ifname; /* NULL when found by a rule or a veth alias */
};

static void stale_add(struct stale **v, size_t *n, uint64_t h, const char *cid, const char *ifname,
                      const uint64_t *keep, size_t nkeep)
{
  for (size_t i = 0; i < nkeep; i++)
    if (keep[i] == h)
      return;
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].hash == h) {
      if (cid && !(*v)[i].cid)
        (*v)[i].cid = cid, (*v)[i].ifname = ifname;
      return;
    }
  struct stale *nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv)
    return;
  *v = nv;
  (*v)[(*n)++] = (struct stale){h, cid, ifname};
}

/* Host veths this network's ADDs made (their alias, veth_alias), whatever
 * the IPAM: a delegated IPAM's stale veths are found too. */
static int gc_links(const struct conf *c, struct nl_sock *host, struct stale **v, size_t *n, const uint64_t *keep,
                    size_t nkeep, struct cni_error *e)
{
  char **names, **aliases;
  int nl = nlx_links_by_alias(host, VETH_ALIAS_PREFIX, &names, &aliases, e);
  for (int i = 0; i < nl; i++) {
    uint64_t h;
    int off = 0;
    if (sscanf(aliases[i] + strlen(VETH_ALIAS_PREFIX), "%16" SCNx64 " %n", &h, &off) == 1 && off > 0 &&
        strcmp(aliases[i] + strlen(VETH_ALIAS_PREFIX) + off, c->name) == 0)
      stale_add(v, n, h, NULL, NULL, keep, nkeep);
    free(names[i]);
    free(aliases[i]);
  }
  free(names);
  free(aliases);
  return nl < 0 ? -1 : 0;
}

/* GC: every attachment of the network not in cni.dev/valid-attachments,
 * found by its lease (built-in IPAM), its rules or its host veth's alias,
 * is torn down as DEL would, under its attachment lock: an ADD or DEL of it
 * still running finishes first, so GC never frees a lease under an ADD
 * that then wires the address (handed out again later) or sees half of one. */
static int cmd_gc(const struct conf *c, const struct cni_env *env, struct cni_error *e)
{
  _cleanup_free_ struct ipam_attachment *valid = NULL;
  _cleanup_free_ struct stale *stale = NULL;
  _cleanup_free_ uint64_t *hashes = NULL;
  struct ipam_lease *leases = NULL;
  size_t n = 0, nstale = 0, nleases = 0, nhashes = 0;
  struct cni_error lock_error;
  _cleanup_close_ int lockfd = -1;
  int r = -1;
  if (ipam_valid_attachments(c->root, &valid, &n, e) < 0)
    return -1;
  _cleanup_free_ uint64_t *keep = calloc(n + 1, sizeof *keep);
  for (size_t i = 0; i < n; i++)
    keep[i] = attachment_hash(c->name, valid[i].cid, valid[i].ifname);
  struct nl_sock *host = nlx_open(-1, e);
  if (!host)
    return -1;
  if (c->builtin_ipam && ipam_cmd_leases(&c->ic, &leases, &nleases, e) < 0)
    goto out;
  for (size_t i = 0; i < nleases; i++)
    stale_add(&stale, &nstale, attachment_hash(c->name, leases[i].cid, leases[i].ifname), leases[i].cid,
              leases[i].ifname, keep, n);
  if (fw_hashes(c->name, &hashes, &nhashes, e) < 0)
    goto out;
  for (size_t i = 0; i < nhashes; i++)
    stale_add(&stale, &nstale, hashes[i], NULL, NULL, keep, n);
  if (gc_links(c, host, &stale, &nstale, keep, n, e) < 0)
    goto out;
  lockfd = cni_lock_open(&lock_error); /* without it (read-only /run): unlocked, as DEL */
  r = 0;
  for (size_t i = 0; r == 0 && i < nstale; i++) {
    const struct stale *st = &stale[i];
    char hv[16];
    if (lockfd >= 0 && cni_lock_attachment(lockfd, st->hash, e) < 0) {
      r = -1;
      break;
    }
    veth_name_of(st->hash, hv);
    r = fw_del_hash(st->hash, e);
    if (r == 0)
      r = nlx_link_del(host, hv, e); /* its container end goes with it */
    if (r == 0 && st->cid && c->builtin_ipam)
      r = ipam_cmd_del(&c->ic, st->cid, st->ifname, e);
    if (lockfd >= 0)
      cni_unlock_attachment(lockfd, st->hash);
  }
  if (r == 0 && !c->builtin_ipam && c->ipam_type) {
    _cleanup_free_ char *out = NULL;
    r = ipam_exec(c, env, "GC", &out, e); /* the delegated IPAM frees its own leases */
  }
out:
  ipam_leases_free(leases, nleases);
  nlx_close(host);
  return r;
}

/* ------------------------------------------------------------- main */

static int run(const struct cni_env *env, yajl_val root, const char *version, struct cni_error *e)
{
  struct conf c;
  const char *cmd = env->command;
  int r = !strcmp(cmd, "DEL") ? parse_teardown_conf(root, version, &c, e) : parse_conf(root, version, &c, e);
  if (r == 0 && !strcmp(cmd, "CHECK") && cni_version_cmp(version, "0.4.0") < 0)
    r = cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION, "CHECK needs cniVersion 0.4.0 or later, config has %s", version);
  if (r == 0 && (!strcmp(cmd, "STATUS") || !strcmp(cmd, "GC")) && cni_version_cmp(version, "1.1.0") < 0)
    r = cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION, "%s needs cniVersion 1.1.0, config has %s", cmd, version);
  if (r == 0) {
    if (!strcmp(cmd, "ADD"))
      r = cmd_add(&c, env, e);
    else if (!strcmp(cmd, "DEL"))
      r = cmd_del(&c, env, e);
    else if (!strcmp(cmd, "CHECK"))
      r = cmd_check(&c, env, e);
    else if (!strcmp(cmd, "STATUS"))
      r = cmd_status(&c, env, e);
    else
      r = cmd_gc(&c, env, e);
  }
  conf_free(&c);
  return r;
}

int main(void) { return cni_plugin_main(run); }

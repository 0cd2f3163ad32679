/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlink.c - see netlink.h. */
#define _GNU_SOURCE
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

struct nl_sock *nlx_open(int nsfd, struct cni_error *e)
{
  _cleanup_close_ int self = -1;
  if (nsfd >= 0) {
    self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
      cni_fail(e, CNI_ERR_PLUGIN, "entering the container netns: %s", strerror(errno));
      return NULL;
    }
  }
  /* a socket stays in the netns it was created in */
  struct nl_sock *sk = nl_socket_alloc();
  int r = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
  if (nsfd >= 0 && setns(self, CLONE_NEWNET) < 0) {
    cni_fail(e, CNI_ERR_PLUGIN, "returning to the host netns: %s", strerror(errno));
    nl_socket_free(sk);
    return NULL;
  }
  if (r < 0) {
    cni_fail(e, CNI_ERR_PLUGIN, "netlink: %s", nl_geterror(r));
    nl_socket_free(sk);
    return NULL;
  }
  return sk;
}

void nlx_close(struct nl_sock *sk)
{
  if (sk)
    nl_socket_free(sk);
}

static struct rtnl_link *get_link(struct nl_sock *sk, const char *name)
{
  struct rtnl_link *l = NULL;
  return rtnl_link_get_kernel(sk, 0, name, &l) < 0 ? NULL : l;
}

int nlx_ifindex(struct nl_sock *sk, const char *name)
{
  struct rtnl_link *l = get_link(sk, name);
  int idx = l ? rtnl_link_get_ifindex(l) : 0;
  if (l)
    rtnl_link_put(l);
  return idx;
}

int nlx_link_del(struct nl_sock *sk, const char *name, struct cni_error *e)
{
  struct rtnl_link *l = rtnl_link_alloc();
  rtnl_link_set_name(l, name);
  int r = rtnl_link_delete(sk, l);
  rtnl_link_put(l);
  if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
    return cni_fail(e, CNI_ERR_PLUGIN, "deleting link %s: %s", name, nl_geterror(r));
  return 0;
}

void nlx_link_mac(struct nl_sock *sk, const char *name, char mac[32])
{
  struct rtnl_link *l = get_link(sk, name);
  mac[0] = '\0';
  if (l && rtnl_link_get_addr(l))
    nl_addr2str(rtnl_link_get_addr(l), mac, 32);
  if (l)
    rtnl_link_put(l);
}

int nlx_link_master(struct nl_sock *sk, const char *name)
{
  struct rtnl_link *l = get_link(sk, name);
  if (!l)
    return -1;
  int m = rtnl_link_get_master(l);
  rtnl_link_put(l);
  return m;
}

/* A bare RTM_* link request: ifinfomsg + attributes added by the caller. */
static struct nl_msg *link_msg(int type, int flags, int family, int ifindex, unsigned iff, unsigned change)
{
  struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK | flags);
  struct ifinfomsg ifi = {.ifi_family = (unsigned char)family, .ifi_index = ifindex, .ifi_flags = iff,
                          .ifi_change = change};
  if (m && nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) {
    nlmsg_free(m);
    return NULL;
  }
  return m;
}

static int send_msg(struct nl_sock *sk, struct nl_msg *m, struct cni_error *e, const char *what, const char *name)
{
  if (!m)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s %s: out of memory", what, name);
  int r = nl_send_sync(sk, m); /* frees m */
  if (r < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "%s %s: %s", what, name, nl_geterror(r));
  return 0;
}

static int set_vlan_filtering(struct nl_sock *sk, const struct bridge_opts *o, int flags, int ifindex,
                              struct cni_error *e)
{
  struct nl_msg *m = link_msg(RTM_NEWLINK, flags, AF_UNSPEC, ifindex, 0, 0);
  if (m) {
    nla_put_string(m, IFLA_IFNAME, o->name);
    if (o->mtu > 0 && !ifindex)
      nla_put_u32(m, IFLA_MTU, (uint32_t)o->mtu);
    struct nlattr *li = nla_nest_start(m, IFLA_LINKINFO);
    nla_put_string(m, IFLA_INFO_KIND, "bridge");
    if (o->vlan_filtering) {
      struct nlattr *d = nla_nest_start(m, IFLA_INFO_DATA);
      nla_put_u8(m, IFLA_BR_VLAN_FILTERING, 1);
      nla_nest_end(m, d);
    }
    nla_nest_end(m, li);
  }
  return send_msg(sk, m, e, ifindex ? "configuring bridge" : "creating bridge", o->name);
}

int nlx_bridge_ensure(struct nl_sock *sk, const struct bridge_opts *o, int *ifindex, bool *created,
                      struct cni_error *e)
{
  struct rtnl_link *l = get_link(sk, o->name);
  *created = false;
  if (l) {
    const char *type = rtnl_link_get_type(l);
    bool is_bridge = type && strcmp(type, "bridge") == 0;
    *ifindex = rtnl_link_get_ifindex(l);
    rtnl_link_put(l);
    if (!is_bridge)
      return cni_fail(e, CNI_ERR_PLUGIN, "link %s already exists and is not a bridge", o->name);
    if (o->vlan_filtering && set_vlan_filtering(sk, o, 0, *ifindex, e) < 0)
      return -1;
  } else {
    struct cni_error ce = {0};
    if (set_vlan_filtering(sk, o, NLM_F_CREATE | NLM_F_EXCL, 0, &ce) == 0)
      *created = true; /* else a concurrent ADD may have just created it */
    *ifindex = nlx_ifindex(sk, o->name);
    if (*ifindex <= 0) {
      *e = ce;
      return -1;
    }
  }
  unsigned flags = IFF_UP | (o->promisc ? IFF_PROMISC : 0);
  return send_msg(sk, link_msg(RTM_SETLINK, 0, AF_UNSPEC, *ifindex, flags, flags), e, "setting up bridge", o->name);
}

int nlx_veth_create(struct nl_sock *sk, const char *host, int master, const char *peer, int nsfd, int mtu,
                    struct cni_error *e)
{
  struct nl_msg *m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0, IFF_UP, IFF_UP);
  if (m) {
    nla_put_string(m, IFLA_IFNAME, host);
    if (mtu > 0)
      nla_put_u32(m, IFLA_MTU, (uint32_t)mtu);
    if (master > 0)
      nla_put_u32(m, IFLA_MASTER, (uint32_t)master);
    struct nlattr *li = nla_nest_start(m, IFLA_LINKINFO);
    nla_put_string(m, IFLA_INFO_KIND, "veth");
    struct nlattr *d = nla_nest_start(m, IFLA_INFO_DATA);
    struct nlattr *p = nla_nest_start(m, VETH_INFO_PEER);
    struct ifinfomsg pi = {.ifi_family = AF_UNSPEC};
    nlmsg_append(m, &pi, sizeof pi, NLMSG_ALIGNTO); /* the peer's header lives inside the attribute */
    nla_put_string(m, IFLA_IFNAME, peer);
    nla_put_u32(m, IFLA_NET_NS_FD, (uint32_t)nsfd);
    if (mtu > 0)
      nla_put_u32(m, IFLA_MTU, (uint32_t)mtu);
    nla_nest_end(m, p);
    nla_nest_end(m, d);
    nla_nest_end(m, li);
  }
  return send_msg(sk, m, e, "creating veth", host);
}

int nlx_link_up(struct nl_sock *sk, int ifindex, struct cni_error *e)
{
  char name[IF_NAMESIZE] = "";
  snprintf(name, sizeof name, "%d", ifindex);
  return send_msg(sk, link_msg(RTM_SETLINK, 0, AF_UNSPEC, ifindex, IFF_UP, IFF_UP), e, "setting up link", name);
}

int nlx_port_hairpin(struct nl_sock *sk, int ifindex, bool on, struct cni_error *e)
{
  struct nl_msg *m = link_msg(RTM_SETLINK, 0, AF_BRIDGE, ifindex, 0, 0);
  if (m) {
    struct nlattr *pi = nla_nest_start(m, IFLA_PROTINFO | NLA_F_NESTED);
    nla_put_u8(m, IFLA_BRPORT_MODE, on ? 1 : 0);
    nla_nest_end(m, pi);
  }
  return send_msg(sk, m, e, "setting hairpin mode on port", "");
}

int nlx_port_vlan(struct nl_sock *sk, int ifindex, int vid, struct cni_error *e)
{
  struct nl_msg *m = link_msg(RTM_SETLINK, 0, AF_BRIDGE, ifindex, 0, 0);
  if (m) {
    struct bridge_vlan_info vi = {.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, .vid = (uint16_t)vid};
    struct nlattr *af = nla_nest_start(m, IFLA_AF_SPEC);
    nla_put(m, IFLA_BRIDGE_VLAN_INFO, sizeof vi, &vi);
    nla_nest_end(m, af);
  }
  return send_msg(sk, m, e, "adding the port to vlan", "");
}

/* nl_addr of ip (prefix as given; the family's bits when a host address). */
static struct nl_addr *nladdr(ipaddr_t ip, int prefix)
{
  unsigned char b[16];
  struct nl_addr *a;
  if (ip_is4(ip)) {
    uint32_t be = htonl((uint32_t)ip);
    a = nl_addr_build(AF_INET, &be, 4);
  } else {
    for (int i = 15; i >= 0; i--, ip >>= 8)
      b[i] = (unsigned char)ip;
    a = nl_addr_build(AF_INET6, b, 16);
  }
  if (a)
    nl_addr_set_prefixlen(a, prefix);
  return a;
}

static ipaddr_t from_nladdr(struct nl_addr *a)
{
  const unsigned char *b = nl_addr_get_binary_addr(a);
  ipaddr_t ip = 0;
  if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4) {
    uint32_t be;
    memcpy(&be, b, 4);
    return ip_from4(ntohl(be));
  }
  for (unsigned i = 0; i < 16 && i < nl_addr_get_len(a); i++)
    ip = ip << 8 | b[i];
  return ip;
}

int nlx_addr_add(struct nl_sock *sk, int ifindex, ipaddr_t ip, int prefix, bool exist_ok, bool nodad,
                 struct cni_error *e)
{
  struct rtnl_addr *a = rtnl_addr_alloc();
  struct nl_addr *local = nladdr(ip, prefix);
  char s[IP_STRLEN];
  rtnl_addr_set_ifindex(a, ifindex);
  rtnl_addr_set_local(a, local);
  if (nodad && !ip_is4(ip))
    rtnl_addr_set_flags(a, IFA_F_NODAD);
  int r = rtnl_addr_add(sk, a, 0);
  nl_addr_put(local);
  rtnl_addr_put(a);
  if (r == -NLE_EXIST && exist_ok)
    return 0;
  ip_fmt(ip, s);
  return r < 0 ? cni_fail(e, CNI_ERR_PLUGIN, "adding address %s/%d: %s", s, prefix, nl_geterror(r)) : 0;
}

bool nlx_addr_has(struct nl_sock *sk, int ifindex, ipaddr_t ip, int prefix)
{
  struct nl_cache *cache = NULL;
  bool found = false;
  if (rtnl_addr_alloc_cache(sk, &cache) < 0)
    return false;
  for (struct nl_object *o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
    struct rtnl_addr *a = (struct rtnl_addr *)o;
    struct nl_addr *l = rtnl_addr_get_local(a);
    if (rtnl_addr_get_ifindex(a) != ifindex || !l ||
        rtnl_addr_get_family(a) != (ip_is4(ip) ? AF_INET : AF_INET6))
      continue;
    found = from_nladdr(l) == ip && rtnl_addr_get_prefixlen(a) == prefix;
  }
  nl_cache_free(cache);
  return found;
}

int nlx_addrs_settle(struct nl_sock *sk, int ifindex, int timeout_ms, struct cni_error *e)
{
  for (int waited = 0;; waited += 10) {
    struct nl_cache *cache = NULL;
    bool tentative = false;
    char s[IP_STRLEN] = "";
    int r = rtnl_addr_alloc_cache(sk, &cache);
    if (r < 0)
      return cni_fail(e, CNI_ERR_PLUGIN, "listing addresses: %s", nl_geterror(r));
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
      struct rtnl_addr *a = (struct rtnl_addr *)o;
      if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET6)
        continue;
      unsigned flags = rtnl_addr_get_flags(a);
      if (flags & IFA_F_DADFAILED) {
        ip_fmt(from_nladdr(rtnl_addr_get_local(a)), s);
        nl_cache_free(cache);
        return cni_fail(e, CNI_ERR_PLUGIN, "duplicate address detection failed for %s", s);
      }
      if (flags & IFA_F_TENTATIVE) {
        tentative = true;
        ip_fmt(from_nladdr(rtnl_addr_get_local(a)), s);
      }
    }
    nl_cache_free(cache);
    if (!tentative)
      return 0;
    if (waited >= timeout_ms)
      return cni_fail(e, CNI_ERR_PLUGIN, "address %s still tentative after %d ms", s, timeout_ms);
    usleep(10000);
  }
}

int nlx_route_add(struct nl_sock *sk, int ifindex, ipaddr_t dst, int prefix, ipaddr_t gw, struct cni_error *e)
{
  struct rtnl_route *rt = rtnl_route_alloc();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
  struct nl_addr *d = nladdr(dst, prefix);
  rtnl_route_set_family(rt, ip_is4(dst) ? AF_INET : AF_INET6);
  rtnl_route_set_dst(rt, d);
  rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  rtnl_route_nh_set_ifindex(nh, ifindex);
  if (gw) {
    struct nl_addr *g = nladdr(gw, ip_bits(gw));
    rtnl_route_nh_set_gateway(nh, g);
    nl_addr_put(g);
  }
  rtnl_route_add_nexthop(rt, nh);
  int r = rtnl_route_add(sk, rt, NLM_F_EXCL);
  nl_addr_put(d);
  rtnl_route_put(rt);
  char s[IP_STRLEN];
  ip_fmt(dst, s);
  return r < 0 ? cni_fail(e, CNI_ERR_PLUGIN, "adding route %s/%d: %s", s, prefix, nl_geterror(r)) : 0;
}

bool nlx_route_has(struct nl_sock *sk, int ifindex, ipaddr_t dst, int prefix, ipaddr_t gw)
{
  struct nl_cache *cache = NULL;
  bool found = false;
  bool v4 = ip_is4(dst);
  if (rtnl_route_alloc_cache(sk, v4 ? AF_INET : AF_INET6, 0, &cache) < 0)
    return false;
  for (struct nl_object *o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
    struct rtnl_route *rt = (struct rtnl_route *)o;
    struct nl_addr *d = rtnl_route_get_dst(rt);
    if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || !d || nl_addr_get_prefixlen(d) != (unsigned)prefix)
      continue;
    /* a default route's dst may come back without bytes */
    ipaddr_t have = prefix ? from_nladdr(d) : (v4 ? ip_from4(0) : 0);
    if (have != dst || rtnl_route_get_nnexthops(rt) < 1)
      continue;
    struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);
    struct nl_addr *g = rtnl_route_nh_get_gateway(nh);
    found = rtnl_route_nh_get_ifindex(nh) == ifindex && (g ? from_nladdr(g) : 0) == gw;
  }
  nl_cache_free(cache);
  return found;
}

int nlx_link_set_alias(struct nl_sock *sk, int ifindex, const char *alias, struct cni_error *e)
{
  struct nl_msg *m = link_msg(RTM_SETLINK, 0, AF_UNSPEC, ifindex, 0, 0);
  if (m)
    nla_put_string(m, IFLA_IFALIAS, alias);
  return send_msg(sk, m, e, "setting the alias of", alias);
}

int nlx_links_by_alias(struct nl_sock *sk, const char *prefix, char ***names, char ***aliases, struct cni_error *e)
{
  struct nl_cache *cache = NULL;
  int n = 0, r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
  *names = *aliases = NULL;
  if (r < 0)
    return cni_fail(e, CNI_ERR_PLUGIN, "listing links: %s", nl_geterror(r));
  int total = nl_cache_nitems(cache);
  *names = calloc((size_t)total + 1, sizeof **names);
  *aliases = calloc((size_t)total + 1, sizeof **aliases);
  for (struct nl_object *o = nl_cache_get_first(cache); o && *names && *aliases; o = nl_cache_get_next(o)) {
    struct rtnl_link *l = (struct rtnl_link *)o;
    const char *alias = rtnl_link_get_ifalias(l), *name = rtnl_link_get_name(l);
    if (alias && name && strncmp(alias, prefix, strlen(prefix)) == 0) {
      (*names)[n] = strdup(name);
      (*aliases)[n++] = strdup(alias);
    }
  }
  nl_cache_free(cache);
  return n;
}

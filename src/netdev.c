/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netdev.c - see netdev.h.
 *
 * rtnetlink is spoken directly (a dozen message shapes): libnl-route linked
 * statically would add ~160 KB to a binary every container start loads, and
 * linked shared, its relocations to every invocation (docs/PERFORMANCE.md). */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log.h"
#include "netdev.h"
#include "utils.h"

#define ND_PATH "config.json: .linux.netDevices"

/* ---- names --------------------------------------------------------------- */

bool netdev_valid_name(const char *name, bool pattern)
{
  if (name == NULL || *name == '\0' || strlen(name) >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
    return false;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || isspace((unsigned char) *p))
      return false;
  const char *pct = strchr(name, '%');
  if (pct == NULL)
    return true;
  /* the kernel's dev_alloc_name takes exactly one "%d" and nothing else */
  return pattern && pct[1] == 'd' && strchr(pct + 2, '%') == NULL;
}

/* ---- a minimal rtnetlink client ------------------------------------------ */

struct nlmsg {
  union {
    struct nlmsghdr h;
    char buf[1024];
  } u;
};

static void *nl_begin(struct nlmsg *m, uint16_t type, uint16_t flags, size_t hdrlen)
{
  memset(m, 0, sizeof *m);
  m->u.h.nlmsg_len = (uint32_t) NLMSG_LENGTH(hdrlen);
  m->u.h.nlmsg_type = type;
  m->u.h.nlmsg_flags = (uint16_t) (NLM_F_REQUEST | flags);
  return NLMSG_DATA(&m->u.h);
}

static void nl_attr(struct nlmsg *m, uint16_t type, const void *data, size_t len)
{
  struct rtattr *rta = (struct rtattr *) (m->u.buf + NLMSG_ALIGN(m->u.h.nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = (unsigned short) RTA_LENGTH(len);
  memcpy(RTA_DATA(rta), data, len);
  m->u.h.nlmsg_len = (uint32_t) (NLMSG_ALIGN(m->u.h.nlmsg_len) + RTA_ALIGN(rta->rta_len));
}

/* A route socket in the network namespace nsfd (-1: ours). A socket stays
 * in the namespace it was made in, so we enter only for the socket() call. */
static int nl_open_in(int nsfd, uoci_error **err)
{
  _cleanup_close_ int self = -1;
  if (nsfd >= 0) {
    self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0)
      return uoci_fail(err, errno, "open /proc/self/ns/net");
    if (setns(nsfd, CLONE_NEWNET) < 0)
      return uoci_fail(err, errno, "enter the container's network namespace");
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int e = errno;
  if (nsfd >= 0 && setns(self, CLONE_NEWNET) < 0) {
    /* staying in the container's namespace would be worse than failing */
    log_error("cannot return to the runtime's network namespace: %s", strerror(errno));
    _exit(1);
  }
  if (fd < 0)
    return uoci_fail(err, e, "netlink socket");
  return fd;
}

typedef int (*nl_reply_fn)(const struct nlmsghdr *h, void *arg);

/* Send one request and read replies until its ACK (or the end of a dump).
 * Returns 0, or -errno from the kernel's answer. */
static int nl_talk(int fd, struct nlmsg *m, nl_reply_fn fn, void *arg)
{
  static uint32_t seq;
  m->u.h.nlmsg_seq = ++seq;
  m->u.h.nlmsg_flags |= NLM_F_ACK;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto(fd, m, m->u.h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -errno;
  static char buf[32768];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return -EIO;
    for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != m->u.h.nlmsg_seq)
        continue;
      if (h->nlmsg_type == NLMSG_DONE)
        return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error;
      }
      if (fn && fn(h, arg) < 0)
        return -EIO;
    }
  }
}

/* ---- links ------------------------------------------------------------------ */

struct link_info {
  int ifindex;
  bool up;
  char name[IFNAMSIZ];
  unsigned char mac[32];
  size_t mac_len;
};

static int parse_link(const struct nlmsghdr *h, struct link_info *out)
{
  if (h->nlmsg_type != RTM_NEWLINK)
    return 0;
  const struct ifinfomsg *ifi = NLMSG_DATA(h);
  memset(out, 0, sizeof *out);
  out->ifindex = ifi->ifi_index;
  out->up = (ifi->ifi_flags & IFF_UP) != 0;
  int len = (int) IFLA_PAYLOAD(h);
  for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_IFNAME)
      snprintf(out->name, sizeof out->name, "%s", (const char *) RTA_DATA(a));
    else if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) <= sizeof out->mac) {
      out->mac_len = RTA_PAYLOAD(a);
      memcpy(out->mac, RTA_DATA(a), out->mac_len);
    }
  }
  return 1;
}

static int one_link(const struct nlmsghdr *h, void *arg)
{
  parse_link(h, arg);
  return 0;
}

static int get_link(int fd, int ifindex, struct link_info *out)
{
  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin(&m, RTM_GETLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  memset(out, 0, sizeof *out);
  int r = nl_talk(fd, &m, one_link, out);
  return r < 0 ? r : out->ifindex ? 0 : -ENODEV;
}

/* Whether `name` is what the kernel makes of `want` (a "%d" pattern or not). */
static bool name_matches(const char *name, const char *want)
{
  const char *pct = strchr(want, '%');
  if (pct == NULL)
    return strcmp(name, want) == 0;
  size_t pre = (size_t) (pct - want);
  const char *rest = name + pre;
  if (strncmp(name, want, pre) != 0 || !isdigit((unsigned char) *rest))
    return false;
  while (isdigit((unsigned char) *rest))
    rest++;
  return strcmp(rest, pct + 2) == 0;
}

struct find_moved {
  const struct link_info *before;
  const char *want;
  struct link_info found;
};

static int match_moved(const struct nlmsghdr *h, void *arg)
{
  struct find_moved *f = arg;
  struct link_info l;
  if (f->found.ifindex == 0 && parse_link(h, &l) && name_matches(l.name, f->want) && l.mac_len == f->before->mac_len &&
      memcmp(l.mac, f->before->mac, l.mac_len) == 0)
    f->found = l;
  return 0;
}

/* The device after its move: the kernel keeps its ifindex unless the
 * namespace already uses it; then it is the one with its hardware address
 * and the expected name. */
static int find_moved(int fd, const struct link_info *before, const char *want, struct link_info *out)
{
  if (get_link(fd, before->ifindex, out) == 0 && name_matches(out->name, want))
    return 0;
  struct find_moved f = { .before = before, .want = want };
  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin(&m, RTM_GETLINK, NLM_F_DUMP, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  int r = nl_talk(fd, &m, match_moved, &f);
  if (r < 0)
    return r;
  *out = f.found;
  return out->ifindex ? 0 : -ENODEV;
}

/* Move ifindex (in fd's namespace) to the namespace nsfd, named `name`. */
static int move_link(int fd, int ifindex, int nsfd, const char *name)
{
  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin(&m, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  uint32_t ns = (uint32_t) nsfd;
  nl_attr(&m, IFLA_NET_NS_FD, &ns, sizeof ns);
  nl_attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
  return nl_talk(fd, &m, NULL, NULL);
}

static int set_up(int fd, int ifindex)
{
  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin(&m, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return nl_talk(fd, &m, NULL, NULL);
}

/* ---- addresses ------------------------------------------------------------- */

/* One address as the kernel listed it: the header and the attributes that
 * recreate it. Labels are left out (an IPv4 label must start with the
 * device's name, which may change); lifetimes are infinite for these. */
struct netdev_addr {
  struct ifaddrmsg ifa;
  uint32_t flags;
  unsigned char local[16], address[16], broadcast[16];
  size_t local_len, address_len, broadcast_len;
};

struct addr_list {
  int ifindex;
  struct netdev_addr *v;
  size_t n;
};

static void copy_attr(const struct rtattr *a, unsigned char *dst, size_t *len)
{
  if (RTA_PAYLOAD(a) <= 16) {
    *len = RTA_PAYLOAD(a);
    memcpy(dst, RTA_DATA(a), *len);
  }
}

/* Keep the permanent addresses of global scope (RFC 3549 2.3.3.2, as the
 * spec asks): not those a DHCP client or SLAAC gave, not link-local ones. */
static int collect_addr(const struct nlmsghdr *h, void *arg)
{
  struct addr_list *l = arg;
  if (h->nlmsg_type != RTM_NEWADDR)
    return 0;
  const struct ifaddrmsg *ifa = NLMSG_DATA(h);
  if ((int) ifa->ifa_index != l->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return 0;
  struct netdev_addr a = { .ifa = *ifa, .flags = ifa->ifa_flags };
  int len = (int) IFA_PAYLOAD(h);
  for (const struct rtattr *at = IFA_RTA(ifa); RTA_OK(at, len); at = RTA_NEXT(at, len)) {
    switch (at->rta_type) {
    case IFA_LOCAL: copy_attr(at, a.local, &a.local_len); break;
    case IFA_ADDRESS: copy_attr(at, a.address, &a.address_len); break;
    case IFA_BROADCAST: copy_attr(at, a.broadcast, &a.broadcast_len); break;
    case IFA_FLAGS:
      if (RTA_PAYLOAD(at) == sizeof(uint32_t))
        memcpy(&a.flags, RTA_DATA(at), sizeof a.flags);
      break;
    }
  }
  if (!(a.flags & IFA_F_PERMANENT))
    return 0;
  l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
  l->v[l->n++] = a;
  return 0;
}

static int list_addrs(int fd, int ifindex, struct addr_list *out)
{
  *out = (struct addr_list) { .ifindex = ifindex };
  struct nlmsg m;
  struct ifaddrmsg *ifa = nl_begin(&m, RTM_GETADDR, NLM_F_DUMP, sizeof *ifa);
  ifa->ifa_family = AF_UNSPEC;
  return nl_talk(fd, &m, collect_addr, out);
}

static int add_addr(int fd, int ifindex, const struct netdev_addr *a)
{
  struct nlmsg m;
  struct ifaddrmsg *ifa = nl_begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  *ifa = a->ifa;
  ifa->ifa_index = (uint32_t) ifindex;
  /* flags the kernel sets itself (tentative, deprecated, ...) are not asked for */
  uint32_t keep = a->flags & (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE | IFA_F_MANAGETEMPADDR);
  ifa->ifa_flags = (uint8_t) (keep & 0xff);
  if (a->local_len)
    nl_attr(&m, IFA_LOCAL, a->local, a->local_len);
  if (a->address_len)
    nl_attr(&m, IFA_ADDRESS, a->address, a->address_len);
  if (a->broadcast_len)
    nl_attr(&m, IFA_BROADCAST, a->broadcast, a->broadcast_len);
  if (keep > 0xff)
    nl_attr(&m, IFA_FLAGS, &keep, sizeof keep);
  int r = nl_talk(fd, &m, NULL, NULL);
  return r == -EEXIST ? 0 : r;
}

/* ---- the plan ---------------------------------------------------------------- */

int netdev_plan_from_spec(const ocispec_linux *linux, bool own_netns, struct netdev_plan *plan, uoci_error **err)
{
  memset(plan, 0, sizeof *plan);
  plan->nsfd = -1;
  if (linux == NULL || linux->net_devices.len == 0)
    return 0;
  if (!own_netns)
    return uoci_fail(err, 0, ND_PATH ": moving devices needs a network namespace of the container's own");
  size_t n = linux->net_devices.len;
  for (size_t i = 0; i < n; i++) {
    const char *host = linux->net_devices.keys[i];
    const char *name = linux->net_devices.values[i].name;
    if (!netdev_valid_name(host, false))
      return uoci_fail(err, 0, ND_PATH ": \"%s\" is not a valid interface name", host);
    if (name && !netdev_valid_name(name, true))
      return uoci_fail(err, 0, ND_PATH ".%s.name: \"%s\" is not a valid interface name (1-15 bytes, no '/', ':' "
                       "or spaces, at most one \"%%d\")", host, name);
    const char *target = name ? name : host;
    for (size_t j = 0; j < i; j++) {
      const char *other = linux->net_devices.values[j].name ? linux->net_devices.values[j].name
                                                            : linux->net_devices.keys[j];
      if (strcmp(other, target) == 0 && strchr(target, '%') == NULL)
        return uoci_fail(err, 0, ND_PATH ": \"%s\" and \"%s\" would both be named \"%s\" in the container",
                         linux->net_devices.keys[j], host, target);
    }
  }
  plan->devs = xcalloc(n, sizeof *plan->devs);
  plan->n = n;
  for (size_t i = 0; i < n; i++) {
    struct netdev_move *d = &plan->devs[i];
    d->host_name = linux->net_devices.keys[i];
    d->name = linux->net_devices.values[i].name ? linux->net_devices.values[i].name : d->host_name;
    d->host_ifindex = (int) if_nametoindex(d->host_name);
    if (d->host_ifindex == 0) {
      int e = errno;
      netdev_plan_release(plan);
      return uoci_fail(err, e == ENODEV ? 0 : e, ND_PATH ".%s: no such network interface in the runtime's network "
                       "namespace", linux->net_devices.keys[i]);
    }
  }
  return 0;
}

static int get_link_by_name(int fd, const char *name, struct link_info *out)
{
  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin(&m, RTM_GETLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  nl_attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
  memset(out, 0, sizeof *out);
  int r = nl_talk(fd, &m, one_link, out);
  return r < 0 ? r : out->ifindex ? 0 : -ENODEV;
}

static int move_one(struct netdev_move *d, int host_fd, int cont_fd, int nsfd, uoci_error **err)
{
  struct link_info before, after;
  struct addr_list addrs;
  int r = get_link(host_fd, d->host_ifindex, &before);
  if (r < 0)
    return uoci_fail(err, -r, ND_PATH ".%s: interface gone", d->host_name);
  d->was_up = before.up;
  /* The spec: a name taken in the container is an error (a %d pattern
   * never is). Checked first: the kernel moves the device before it
   * renames it, and would fail only half-way. */
  if (strchr(d->name, '%') == NULL && get_link_by_name(cont_fd, d->name, &after) == 0)
    return uoci_fail(err, 0, ND_PATH ".%s: an interface named \"%s\" already exists in the container's network "
                     "namespace (a name ending in %%d lets the kernel pick a free one)", d->host_name, d->name);
  if ((r = list_addrs(host_fd, d->host_ifindex, &addrs)) < 0)
    return uoci_fail(err, -r, ND_PATH ".%s: list its addresses", d->host_name);
  r = move_link(host_fd, d->host_ifindex, nsfd, d->name);
  if (r < 0) {
    free(addrs.v);
    /* moved but not renamed: remember it, so that a failed create returns it */
    if (find_moved(cont_fd, &before, d->host_name, &after) == 0)
      d->ifindex = after.ifindex;
    return uoci_fail(err, -r, ND_PATH ".%s: move into the container's network namespace as \"%s\"%s", d->host_name,
                     d->name, r == -EINVAL ? " (some devices, lo among them, cannot change namespace)" : "");
  }
  r = find_moved(cont_fd, &before, d->name, &after);
  if (r < 0) {
    free(addrs.v);
    return uoci_fail(err, -r, ND_PATH ".%s: find it in the container's network namespace", d->host_name);
  }
  d->ifindex = after.ifindex;
  d->moved_name = xstrdup(after.name);
  for (size_t i = 0; i < addrs.n && r == 0; i++)
    r = add_addr(cont_fd, d->ifindex, &addrs.v[i]);
  free(addrs.v);
  if (r < 0)
    return uoci_fail(err, -r, ND_PATH ".%s: restore its addresses in the container", d->host_name);
  if ((r = set_up(cont_fd, d->ifindex)) < 0)
    return uoci_fail(err, -r, ND_PATH ".%s: set %s up", d->host_name, d->moved_name);
  return 0;
}

static int open_netns_of(pid_t pid, uoci_error **err)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "open %s", path);
  return fd;
}

int netdev_move_all(struct netdev_plan *plan, pid_t pid, uoci_error **err)
{
  if (plan->n == 0)
    return 0;
  /* Kept open until the plan is released: an init that dies during create
   * must not take the namespace, and the devices in it, away before
   * netdev_return_all can give them back. */
  plan->nsfd = open_netns_of(pid, err);
  if (plan->nsfd < 0)
    return -1;
  _cleanup_close_ int host_fd = nl_open_in(-1, err);
  if (host_fd < 0)
    return -1;
  _cleanup_close_ int cont_fd = nl_open_in(plan->nsfd, err);
  if (cont_fd < 0)
    return -1;
  for (size_t i = 0; i < plan->n; i++)
    if (move_one(&plan->devs[i], host_fd, cont_fd, plan->nsfd, err) < 0)
      return -1;
  return 0;
}

static void return_one(struct netdev_move *d, int host_fd, int cont_fd, int selffd)
{
  struct addr_list addrs = { 0 };
  list_addrs(cont_fd, d->ifindex, &addrs);
  int r = move_link(cont_fd, d->ifindex, selffd, d->host_name);
  if (r < 0) {
    log_warn("cleanup: linux.netDevices.%s: move back to the host: %s", d->host_name, strerror(-r));
    free(addrs.v);
    return;
  }
  int idx = (int) if_nametoindex(d->host_name);
  for (size_t i = 0; idx > 0 && i < addrs.n; i++)
    add_addr(host_fd, idx, &addrs.v[i]);
  free(addrs.v);
  if (idx > 0 && d->was_up)
    set_up(host_fd, idx);
  d->ifindex = 0;
}

void netdev_return_all(struct netdev_plan *plan)
{
  bool any = false;
  for (size_t i = 0; i < plan->n; i++)
    any |= plan->devs[i].ifindex != 0;
  if (!any || plan->nsfd < 0)
    return;
  uoci_error *e = NULL;
  _cleanup_close_ int selffd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int host_fd = selffd >= 0 ? nl_open_in(-1, &e) : -1;
  _cleanup_close_ int cont_fd = host_fd >= 0 ? nl_open_in(plan->nsfd, &e) : -1;
  if (cont_fd < 0) {
    log_warn("cleanup: linux.netDevices: %s", e ? e->msg : "cannot reach the container's network namespace");
    uoci_error_free(e);
    return;
  }
  for (size_t i = 0; i < plan->n; i++)
    if (plan->devs[i].ifindex)
      return_one(&plan->devs[i], host_fd, cont_fd, selffd);
}

void netdev_plan_release(struct netdev_plan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    free(plan->devs[i].moved_name);
  free(plan->devs);
  if (plan->nsfd >= 0)
    close(plan->nsfd);
  memset(plan, 0, sizeof *plan);
  plan->nsfd = -1;
}

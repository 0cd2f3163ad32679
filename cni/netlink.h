/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlink.h - the rtnetlink operations the bridge plugin needs, on libnl-3
 * (libnl-route objects where it has them, libnl core messages for the
 * bridge-specific attributes it lacks: vlan_filtering, port hairpin, VLANs). */
#ifndef ULYSSES_CNI_NETLINK_H
#define ULYSSES_CNI_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "cniutil.h"

struct nl_sock;

/* Route socket in the netns `nsfd` (-1: the current one). */
struct nl_sock *nlx_open(int nsfd, struct cni_error *e);
void nlx_close(struct nl_sock *sk);

/* ifindex of `name`, 0 when absent. */
int nlx_ifindex(struct nl_sock *sk, const char *name);
/* Delete `name`; absent is fine. */
int nlx_link_del(struct nl_sock *sk, const char *name, struct cni_error *e);
/* MAC of `name` as "aa:bb:..", empty when absent. */
void nlx_link_mac(struct nl_sock *sk, const char *name, char mac[32]);
/* ifindex of the master of `name` (0: none, -1: no such link). */
int nlx_link_master(struct nl_sock *sk, const char *name);

struct bridge_opts {
  const char *name;
  int mtu;
  bool promisc, vlan_filtering;
};
/* Create the bridge if missing (reporting *created), set it up. */
int nlx_bridge_ensure(struct nl_sock *sk, const struct bridge_opts *o, int *ifindex, bool *created,
                      struct cni_error *e);
/* Veth `host` (enslaved to `master`) with its peer created directly as
 * `peer` inside the netns `nsfd`: the container end never exists in the host. */
int nlx_veth_create(struct nl_sock *sk, const char *host, int master, const char *peer, int nsfd, int mtu,
                    struct cni_error *e);
/* Set the ifalias of `ifindex` (names an attachment for GC, bridge.c). */
int nlx_link_set_alias(struct nl_sock *sk, int ifindex, const char *alias, struct cni_error *e);
int nlx_link_up(struct nl_sock *sk, int ifindex, struct cni_error *e);
int nlx_port_hairpin(struct nl_sock *sk, int ifindex, bool on, struct cni_error *e);
/* Port becomes an untagged PVID member of `vid`. */
int nlx_port_vlan(struct nl_sock *sk, int ifindex, int vid, struct cni_error *e);

/* Addresses of either family (ipaddr_t). nodad: IFA_F_NODAD, the address is
 * usable at once (the bridge's IPv6 gateway: ours, on a bridge of ours). */
int nlx_addr_add(struct nl_sock *sk, int ifindex, ipaddr_t ip, int prefix, bool exist_ok, bool nodad,
                 struct cni_error *e);
bool nlx_addr_has(struct nl_sock *sk, int ifindex, ipaddr_t ip, int prefix);
/* Wait up to timeout_ms until no IPv6 address of ifindex is tentative (DAD
 * still running); fails at once on an address whose DAD failed. */
int nlx_addrs_settle(struct nl_sock *sk, int ifindex, int timeout_ms, struct cni_error *e);
/* gw 0: a link-scope route. dst and gw of one family. */
int nlx_route_add(struct nl_sock *sk, int ifindex, ipaddr_t dst, int prefix, ipaddr_t gw, struct cni_error *e);
bool nlx_route_has(struct nl_sock *sk, int ifindex, ipaddr_t dst, int prefix, ipaddr_t gw);

/* Links whose ifalias starts with `prefix`: names and aliases (each strdup'ed,
 * freed by the caller, arrays too); the count, or -1 with e set. */
int nlx_links_by_alias(struct nl_sock *sk, const char *prefix, char ***names, char ***aliases, struct cni_error *e);

#endif

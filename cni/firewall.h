/* SPDX-License-Identifier: GPL-2.0-or-later */
/* firewall.h - masquerade and port mappings in nftables tables of our own,
 * `ip ulysses-cni` and `ip6 ulysses-cni`, through libnftables.
 *
 * Layout (the same in both tables): base chains prerouting/output (nat,
 * dstnat) and postrouting (nat, srcnat); every rule added for an attachment
 * carries the comment "<hash> <network> <containerID>/<ifname>" where <hash>
 * is attachment_hash() in hex, so DEL/GC delete exactly those rules (by
 * handle) and nothing else. */
#ifndef ULYSSES_CNI_FIREWALL_H
#define ULYSSES_CNI_FIREWALL_H

#include "cniutil.h"

#define FW_TABLE "ulysses-cni"

struct fw_portmap {
  int host_port, container_port;
  char proto[8];    /* tcp, udp, sctp */
  int family;       /* 4 or 6, 0: both (hostIP ""), as the reference portmap */
  ipaddr_t host_ip; /* 0: every local address of the family */
};

/* One address of the container (ip 0: none of that family). */
struct fw_addr {
  ipaddr_t ip, subnet;
  int prefix;
};

struct fw_attachment {
  const char *network, *cid, *ifname;
  struct fw_addr v4, v6;
  bool masq;
  const struct fw_portmap *pm;
  size_t npm;
};

/* Whether mapping p applies to the family of ip. */
static inline bool fw_portmap_covers(const struct fw_portmap *p, bool v4)
{
  return p->family == 0 || p->family == (v4 ? 4 : 6);
}

/* Parse runtimeConfig.portMappings (NULL/absent: none). */
int fw_parse_portmaps(yajl_val arr, struct fw_portmap **out, size_t *n, struct cni_error *e);

/* Fails if another attachment already maps one of a's host ports (only the
 * port mappings and ids of `a` are used, so it can run before IPAM). */
int fw_port_conflicts(const struct fw_attachment *a, struct cni_error *e);
int fw_add(const struct fw_attachment *a, struct cni_error *e);
/* Remove every rule of the attachment; nothing there is fine. */
int fw_del(const char *network, const char *cid, const char *ifname, struct cni_error *e);
/* Fails unless all rules fw_add would install are present. */
int fw_check(const struct fw_attachment *a, struct cni_error *e);
int fw_del_hash(uint64_t hash, struct cni_error *e);
/* The attachment hashes of the rules of `network` (each once; for GC). */
int fw_hashes(const char *network, uint64_t **out, size_t *n, struct cni_error *e);

#endif

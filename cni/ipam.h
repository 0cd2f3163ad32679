/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipam.h - ulysses-ipam: host-local compatible configuration, a persistent
 * per-network lease store and a bitmap allocator over it.
 *
 * Store layout under dataDir (default /var/lib/cni/ulysses-ipam):
 *   <network>                  the lease table, one "IP CONTAINERID IFNAME" line
 *                              per lease, sorted by IP; absent when empty
 *   lock                       flock(2)ed around every read-modify-write
 *   last_reserved_ip.<network> round-robin cursor (a hint; losing it is harmless)
 * Updates are written to .<network>.tmp, fsync'ed and renamed over the table,
 * so a kill -9 at any point leaves either the old or the new table. */
#ifndef ULYSSES_IPAM_H
#define ULYSSES_IPAM_H

#include "cniutil.h"

#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/ulysses-ipam"
#define IPAM_MAX_RANGE_SIZE (1u << 20) /* bitmap bound: 1M addresses (128 KiB) */
/* A range without rangeEnd whose subnet holds more than IPAM_MAX_RANGE_SIZE
 * addresses from rangeStart on (an IPv6 /64, an IPv4 /8) allocates from the
 * first IPAM_MAX_RANGE_SIZE of them: the default window. */

/* Addresses of either family (ipaddr_t, cniutil.h); one family per range set. */
struct ipam_range {
  ipaddr_t subnet; /* network address */
  int prefix;
  ipaddr_t start, end; /* inclusive */
  ipaddr_t gw;         /* 0: none */
};

struct ipam_rangeset {
  struct ipam_range *ranges;
  size_t n;
};

struct ipam_route {
  ipaddr_t dst;
  int prefix;
  ipaddr_t gw; /* 0: the interface's gateway of the route's family */
};

struct ipam_config {
  char *network;
  char *data_dir;
  struct ipam_rangeset *sets;
  size_t nsets;
  struct ipam_route *routes;
  size_t nroutes;
  yajl_val dns; /* borrowed from the parsed config, may be NULL */
};

/* Parse the "ipam" object of a network config (ranges or legacy subnet form). */
int ipam_config_parse(yajl_val ipam, const char *network, struct ipam_config *c, struct cni_error *e);
/* Only what finds the store (network, dataDir): all DEL needs, so a lease is
 * freed even when the ranges or routes are something ADD would refuse. */
int ipam_config_locate(yajl_val ipam, const char *network, struct ipam_config *c, struct cni_error *e);
void ipam_config_free(struct ipam_config *c);

struct ipam_lease {
  ipaddr_t ip;
  char *cid;
  char *ifname;
};

struct ipam_store {
  int dirfd, lockfd;
  char *network;
  struct ipam_lease *leases;
  size_t n, cap;
  ipaddr_t *cursor; /* per range set: last address handed out */
  size_t ncursor;
  bool dirty;
};

/* Bitmap over the addresses of one range. */
struct bitmap {
  uint64_t *w;
  uint32_t nbits;
};
int bitmap_init(struct bitmap *b, uint32_t nbits);
void bitmap_free(struct bitmap *b);
void bitmap_set(struct bitmap *b, uint32_t i);
void bitmap_clear(struct bitmap *b, uint32_t i);
bool bitmap_test(const struct bitmap *b, uint32_t i);
/* First clear bit at or after `from`, wrapping around; -1 if all are set. */
int64_t bitmap_find_clear(const struct bitmap *b, uint32_t from);

/* One address handed out for one range set. */
struct ipam_addr {
  ipaddr_t ip;
  int prefix;
  ipaddr_t gw;
};

/* Open (mkdir -p), lock and load the store; ipam_store_close unlocks. */
int ipam_store_open(struct ipam_store *s, const char *data_dir, const char *network, struct cni_error *e);
/* Persist if changed: tmp + fsync + rename (or unlink when empty). */
int ipam_store_commit(struct ipam_store *s, struct cni_error *e);
void ipam_store_close(struct ipam_store *s);

/* In-memory parts (also used by the unit tests). */
int ipam_store_load_text(struct ipam_store *s, const char *text, struct cni_error *e);
char *ipam_store_text(const struct ipam_store *s);
int ipam_store_add(struct ipam_store *s, ipaddr_t ip, const char *cid, const char *ifname);

/* Give (cid, ifname) one address from every range set; an existing lease of
 * the same attachment is returned again (a retried ADD). */
int ipam_allocate(struct ipam_store *s, const struct ipam_config *c, const char *cid, const char *ifname,
                  struct ipam_addr *out, struct cni_error *e);
/* Leases of (cid, ifname) that fall in a configured range set, in set order. */
size_t ipam_find(const struct ipam_store *s, const struct ipam_config *c, const char *cid, const char *ifname,
                 struct ipam_addr *out);
/* Drop every lease of (cid, ifname); returns how many. */
size_t ipam_release(struct ipam_store *s, const char *cid, const char *ifname);

struct ipam_attachment {
  const char *cid, *ifname;
};
/* Drop leases whose attachment is not listed; returns how many. */
size_t ipam_gc(struct ipam_store *s, const struct ipam_attachment *valid, size_t nvalid);
/* Parse "cni.dev/valid-attachments" of a GC request (array borrowed from root). */
int ipam_valid_attachments(yajl_val root, struct ipam_attachment **out, size_t *n, struct cni_error *e);

/* Result JSON ({"cniVersion","ips","routes","dns"}) for the addresses. */
void ipam_result_json(struct sbuf *b, const char *version, const struct ipam_config *c,
                      const struct ipam_addr *addrs, size_t n);



/* Whole operations on the store: open + lock, change, commit, close. */
int ipam_cmd_add(const struct ipam_config *c, const char *cid, const char *ifname, struct ipam_addr *out,
                 struct cni_error *e);
int ipam_cmd_del(const struct ipam_config *c, const char *cid, const char *ifname, struct cni_error *e);
/* Succeeds when (cid, ifname) holds a lease in every range set (copied to out). */
int ipam_cmd_check(const struct ipam_config *c, const char *cid, const char *ifname, struct ipam_addr *out,
                   struct cni_error *e);
int ipam_cmd_gc(const struct ipam_config *c, const struct ipam_attachment *valid, size_t n,
                struct ipam_lease **dropped, size_t *ndropped, struct cni_error *e);
int ipam_cmd_status(const struct ipam_config *c, struct cni_error *e);
/* A copy of every lease of the network (GC names the stale ones from it). */
int ipam_cmd_leases(const struct ipam_config *c, struct ipam_lease **out, size_t *n, struct cni_error *e);
void ipam_leases_free(struct ipam_lease *l, size_t n);
#endif

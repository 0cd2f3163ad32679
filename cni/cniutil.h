/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cniutil.h - small helpers shared by the CNI binaries: growing strings,
 * JSON output, yajl tree lookups, CNI error objects, versions, validation. */
#ifndef ULYSSES_CNIUTIL_H
#define ULYSSES_CNIUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "jsondepth.h"

/* Well-known CNI error codes (spec section "Error"). */
enum {
  CNI_ERR_INCOMPATIBLE_VERSION = 1,
  CNI_ERR_UNSUPPORTED_FIELD = 2,
  CNI_ERR_UNKNOWN_CONTAINER = 3,
  CNI_ERR_INVALID_ENV = 4,
  CNI_ERR_IO = 5,
  CNI_ERR_DECODE = 6,
  CNI_ERR_INVALID_CONFIG = 7,
  CNI_ERR_TRY_AGAIN = 11,
  CNI_ERR_NOT_AVAILABLE = 50,
  CNI_ERR_PLUGIN = 100, /* plugin-specific failures (netlink, nftables, ...) */
  CNI_ERR_EXHAUSTED = 101,
};

struct cni_error {
  int code;
  char msg[512];
  char details[512];
};

/* Record an error; always returns -1 so callers can `return cni_fail(...)`. */
int cni_fail(struct cni_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print the error as CNI error JSON on stdout (where libcni reads it). */
void cni_print_error(const struct cni_error *e, const char *version);

/* Growing string buffer. */
struct sbuf {
  char *s;
  size_t len, cap;
};
void sb_add(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_json_str(struct sbuf *b, const char *s);   /* quoted, escaped */
void sb_json_value(struct sbuf *b, yajl_val v);    /* re-serialise a parsed value */
char *sb_steal(struct sbuf *b);


/* At most this much is read from one fd (stdin, a plugin's output, a cache
 * or config file): more is an error (EFBIG), not memory without bound. */
#define CNI_READ_MAX (64u << 20)

/* yajl tree lookups on objects (NULL when absent or of another type).
 *
 * The CNI documents are Go structs to the reference plugins and to libcni,
 * and Go's encoding/json matches an object key to a struct field without
 * regard to case: containerd sends runtimeConfig.portMappings as
 * {"HostPort":..,"ContainerPort":..,"Protocol":..,"HostIP":..}. So json_get
 * and the typed getters below match `field` the way Go does (json_key_matches;
 * when several keys match, the last one wins, as in Go). Only where Go
 * decodes into a map (annotations, the entries of "capabilities", libcni's
 * conflist top level) is the key exact: json_get_exact. */
bool json_key_matches(const char *key, const char *field);
yajl_val json_get(yajl_val obj, const char *field);
yajl_val json_get_exact(yajl_val obj, const char *key);
const char *json_get_str(yajl_val obj, const char *key);
yajl_val json_get_obj(yajl_val obj, const char *key);
yajl_val json_get_arr(yajl_val obj, const char *key);
/* -1: absent, 0/1: value; -2: present but not a boolean. */
int json_get_bool(yajl_val obj, const char *key);
yajl_val json_parse(const char *text, struct cni_error *e);

/* Whole file / stdin into a NUL-terminated buffer. */
char *read_all_fd(int fd, size_t *len);

/* Versions this code speaks, oldest first; the last is the newest. */
extern const char *const cni_versions[];
bool cni_version_supported(const char *v);
/* strcmp-like comparison of dotted versions. */
int cni_version_cmp(const char *a, const char *b);

/* The spec's container id / interface name / network name rules. */
bool cni_valid_container_id(const char *s);
bool cni_valid_ifname(const char *s);
bool cni_valid_network_name(const char *s);

/* Either family in one integer: an IPv4 address is held IPv4-mapped
 * (::ffff:a.b.c.d), so ranges, offsets and masks are the same arithmetic for
 * both; 0 (::) is "none" where a gateway may be absent. Prefixes count the
 * family's own bits (0-32 for IPv4, 0-128 for IPv6). */
typedef unsigned __int128 ipaddr_t;
#define IP_STRLEN 46 /* INET6_ADDRSTRLEN */
#define IP_V4MAPPED ((ipaddr_t)0xffff << 32)
static inline bool ip_is4(ipaddr_t ip) { return (ip >> 32) == 0xffff; }
static inline ipaddr_t ip_from4(uint32_t v4) { return IP_V4MAPPED | v4; }
static inline int ip_bits(ipaddr_t ip) { return ip_is4(ip) ? 32 : 128; }
/* Mask of `prefix` bits of ip's family (the v4-mapped head kept for IPv4). */
static inline ipaddr_t ip_mask(ipaddr_t ip, int prefix)
{
  int host = ip_bits(ip) - prefix;
  return host >= 128 ? 0 : ~(ipaddr_t)0 << host;
}
/* "a.b.c.d" or an IPv6 address; "ADDR/len"; the RFC 5952 text of either. */
bool ip_parse(const char *s, ipaddr_t *ip);
bool cidr_parse(const char *s, ipaddr_t *ip, int *prefix);
void ip_fmt(ipaddr_t ip, char buf[IP_STRLEN]);

/* 64-bit FNV-1a over NUL-separated parts; names derived from it stay stable
 * across crashes so a later DEL can find what a killed ADD created. */
uint64_t attachment_hash(const char *network, const char *container_id, const char *ifname);

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void yajl_freep(yajl_val *v) { if (*v) yajl_tree_free(*v); }
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_json_ __attribute__((cleanup(yajl_freep)))

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostport.c - see hostport.h. */
#define _GNU_SOURCE
#include "hostport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* /proc/net states (include/net/tcp_states.h) */
#define ST_LISTEN 0x0A
#define ST_CLOSE 0x07 /* an unconnected UDP socket */

/* An IPv4 address (host order) a socket of the table is bound to, or false
 * for an IPv6 address no IPv4 packet reaches. *any: the wildcard. */
static bool local_v4(const char *hex, bool v6, uint32_t *ip, bool *any)
{
  unsigned w[4] = {0};
  if (!v6) {
    if (sscanf(hex, "%8X", &w[0]) != 1)
      return false;
    *ip = ntohl(w[0]);
    *any = *ip == 0;
    return true;
  }
  if (sscanf(hex, "%8X%8X%8X%8X", &w[0], &w[1], &w[2], &w[3]) != 4)
    return false;
  if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0) {
    *ip = 0, *any = true; /* [::]: dual-stack unless v6only, which /proc/net does not say */
    return true;
  }
  if (w[0] == 0 && w[1] == 0 && ntohl(w[2]) == 0xffff) {
    *ip = ntohl(w[3]), *any = *ip == 0;
    return true;
  }
  return false;
}

bool hostport_table_conflict(const char *table, bool v6, bool udp, const struct fw_portmap *p, char *where,
                             size_t wlen)
{
  const char *line = strchr(table, '\n'); /* the header */
  while (line && *++line) {
    char laddr[40], raddr[40];
    unsigned lport, rport, st;
    if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%X %39[0-9A-Fa-f]:%X %X", laddr, &lport, raddr, &rport, &st) == 5 &&
        (int)lport == p->host_port && (udp ? st == ST_CLOSE && rport == 0 : st == ST_LISTEN)) {
      uint32_t ip;
      bool any;
      if (local_v4(laddr, v6, &ip, &any) && (any || !p->host_ip || ip == p->host_ip)) {
        char a[16];
        ip4_fmt(ip, a);
        if (v6 && any)
          snprintf(where, wlen, "[::]:%d", p->host_port);
        else
          snprintf(where, wlen, "%s:%d", a, p->host_port);
        return true;
      }
    }
    line = strchr(line, '\n');
  }
  return false;
}

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "re");
  if (!f)
    return NULL;
  struct sbuf b = {0};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    sb_printf(&b, "%.*s", (int)n, buf);
  fclose(f);
  return b.s ? sb_steal(&b) : strdup("");
}

int hostport_check_listeners(const struct fw_portmap *pm, size_t npm, struct cni_error *e)
{
  static const char *const tables[] = {"tcp", "tcp6", "udp", "udp6"};
  char *text[4] = {NULL};
  int r = 0;
  for (size_t i = 0; r == 0 && i < npm; i++) {
    bool udp = strcmp(pm[i].proto, "udp") == 0;
    if (!udp && strcmp(pm[i].proto, "tcp") != 0)
      continue; /* sctp: not checked */
    for (int v6 = 0; r == 0 && v6 < 2; v6++) {
      int t = (udp ? 2 : 0) + v6;
      char path[32], where[64];
      snprintf(path, sizeof path, "/proc/net/%s", tables[t]);
      if (!text[t] && !(text[t] = read_text(path))) {
        if (errno == ENOENT)
          continue; /* no IPv6 in this kernel */
        r = cni_fail(e, CNI_ERR_PLUGIN, "%s: %s", path, strerror(errno));
        break;
      }
      if (hostport_table_conflict(text[t], v6, udp, &pm[i], where, sizeof where))
        r = cni_fail(e, CNI_ERR_PLUGIN, "host port %s/%d is in use on the host (a socket listens on %s): "
                     "mapping it would divert the host's own service", pm[i].proto, pm[i].host_port, where);
    }
  }
  for (int t = 0; t < 4; t++)
    free(text[t]);
  return r;
}

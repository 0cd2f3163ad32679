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

/* The address a socket of the table is bound to: an IPv4 one v4-mapped, as
 * the kernel shows a dual-stack socket's IPv4 address; [::] is 0. */
static bool local_addr(const char *hex, bool v6, ipaddr_t *ip)
{
  unsigned w[4] = {0};
  if (!v6) {
    if (sscanf(hex, "%8X", &w[0]) != 1)
      return false;
    *ip = ip_from4(ntohl(w[0]));
    return true;
  }
  if (sscanf(hex, "%8X%8X%8X%8X", &w[0], &w[1], &w[2], &w[3]) != 4)
    return false;
  *ip = 0;
  for (int i = 0; i < 4; i++)
    *ip = *ip << 32 | ntohl(w[i]);
  return true;
}

/* Does a socket bound to `ip` (from local_addr) receive what mapping p diverts? */
static bool socket_covered(const struct fw_portmap *p, ipaddr_t ip)
{
  if (ip == 0) /* [::]: dual-stack unless v6only, which /proc/net does not say */
    return true;
  if (!fw_portmap_covers(p, ip_is4(ip)))
    return false;
  bool any = ip == ip_from4(0);
  return any || !p->host_ip || ip == p->host_ip;
}

bool hostport_table_conflict(const char *table, bool v6, bool udp, const struct fw_portmap *p, char *where,
                             size_t wlen)
{
  const char *line = strchr(table, '\n'); /* the header */
  while (line && *++line) {
    char laddr[40], raddr[40];
    unsigned lport, rport, st;
    ipaddr_t ip;
    if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%X %39[0-9A-Fa-f]:%X %X", laddr, &lport, raddr, &rport, &st) == 5 &&
        (int)lport == p->host_port && (udp ? st == ST_CLOSE && rport == 0 : st == ST_LISTEN) &&
        local_addr(laddr, v6, &ip) && socket_covered(p, ip)) {
      char a[IP_STRLEN];
      ip_fmt(ip, a);
      if (ip_is4(ip))
        snprintf(where, wlen, "%s:%d", a, p->host_port);
      else
        snprintf(where, wlen, "[%s]:%d", a, p->host_port);
      return true;
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

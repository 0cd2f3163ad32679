/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostport.h - is a host port a mapping asks for already served by the host?
 *
 * A DNAT rule for a host port takes every new connection (TCP) or datagram
 * flow (UDP) to that port before the host's own socket sees it: mapping 22
 * would silently divert the host's sshd for everyone arriving from outside
 * (the reference portmap plugin does exactly that). Like docker's and
 * podman's bind() of the published port, an ADD is refused when a socket of
 * the plugin's network namespace (the host's) listens there: TCP in LISTEN,
 * UDP bound and unconnected, on an address the mapping covers (every local
 * address of the mapping's families without hostIP, else hostIP or the
 * family's wildcard), or on [::] (dual-stack unless v6only, which is not in
 * /proc/net, so it counts for both families; [::ffff:a.b.c.d] is IPv4).
 * Read from /proc/net/{tcp,udp}[6].
 * SCTP is not checked. */
#ifndef ULYSSES_CNI_HOSTPORT_H
#define ULYSSES_CNI_HOSTPORT_H

#include "firewall.h"

/* Pure logic: the first socket of a /proc/net/{tcp,udp}[6] table (`v6`
 * for the *6 ones) that mapping p would divert. Writes "ADDR:PORT" into
 * where and returns true. `udp` selects the UDP meaning of "listening". */
bool hostport_table_conflict(const char *table, bool v6, bool udp, const struct fw_portmap *p, char *where,
                             size_t wlen);

/* Fail (code 100, one line) when a host socket listens on a mapped port. */
int hostport_check_listeners(const struct fw_portmap *pm, size_t npm, struct cni_error *e);

#endif

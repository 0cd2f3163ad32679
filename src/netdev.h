/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netdev.h - linux.netDevices: host network interfaces moved into the
 * container's network namespace (config-linux.md, "Network Devices").
 *
 * The parent checks the names and that every interface exists before
 * anything is created, then, once the init exists, moves each one with
 * rtnetlink (renamed when `name` is given; a name ending in "%d" lets the
 * kernel pick a free one), gives it back its permanent global addresses
 * (a move flushes them) and sets it up. As the spec says, the runtime does
 * not move devices out again at delete: when the namespace goes away the
 * kernel returns physical devices to the host and destroys virtual ones.
 * Only a create that fails half-way moves them back, since that container
 * never existed. */
#ifndef UOCI_NETDEV_H
#define UOCI_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

struct netdev_move {
  const char *host_name;  /* the key in linux.netDevices */
  const char *name;       /* the name in the container (pattern with %d allowed) */
  int host_ifindex;
  int ifindex;            /* in the container, once moved (0: not moved) */
  char *moved_name;       /* the name the kernel gave it there */
  bool was_up;            /* on the host, before the move */
};

struct netdev_plan {
  struct netdev_move *devs;
  size_t n;
  int nsfd;  /* the container's network namespace, held from the move on (-1: none) */
};

/* Check a device name as the kernel does (dev_valid_name): 1-15 bytes, not
 * "." or "..", no '/', ':' or white space; `pattern` allows one "%d". Pure. */
bool netdev_valid_name(const char *name, bool pattern);

/* Parent: validate linux.netDevices. `own_netns` says the container has a
 * network namespace other than the runtime's. Each host interface must
 * exist now (errors name the JSON path). */
int netdev_plan_from_spec(const ocispec_linux *linux, bool own_netns, struct netdev_plan *plan, uoci_error **err);

/* Parent: move every device into the network namespace of `pid`, restore
 * its addresses, set it up. On failure the devices already moved are in
 * the plan (ifindex != 0) for netdev_return_all. */
int netdev_move_all(struct netdev_plan *plan, pid_t pid, uoci_error **err);

/* Parent, undoing a failed create: move the devices back under their host
 * names, addresses included (the namespace is held by the plan, even when
 * the init is gone). Best effort; failures are logged. */
void netdev_return_all(struct netdev_plan *plan);

void netdev_plan_release(struct netdev_plan *plan);

#endif

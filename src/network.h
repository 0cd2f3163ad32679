/* SPDX-License-Identifier: GPL-2.0-or-later */
/* network.h - container networking through CNI, wired by the runtime itself.
 *
 * A config asks for it with annotations (written by `spec --network/-p`):
 *   org.ulysses.network=NAME          the CNI network (conflist "name") to join
 *   org.ulysses.ports=8080:80/tcp,... port mappings (runtimeConfig.portMappings)
 *   org.ulysses.ifname=eth0           the interface inside the container
 * `create` runs the network's plugins (ADD) on the init's new network
 * namespace before it reports created; `delete` runs DEL, also after a crash
 * (the network name is kept in the state file first). Plugins come from
 * $CNI_PATH (default /opt/cni/bin:/usr/libexec/cni:/usr/lib/cni plus the
 * runtime's own directory), configs from $CNI_CONF_DIR (/etc/cni/net.d). */
#ifndef UOCI_NETWORK_H
#define UOCI_NETWORK_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

struct network_plan {
  const char *name;   /* NULL: no networking asked for */
  const char *ifname;
  char *ports_json;
  bool attached;      /* ADD succeeded: a failed create must DEL (a failed ADD undid itself) */
};

/* Validate the annotations (a network needs a new network namespace). */
int network_plan_from_config(const ocispec_config *cfg, bool new_netns, struct network_plan *plan,
                             uoci_error **err);
void network_plan_release(struct network_plan *plan);

/* ADD on /proc/PID/ns/net; sets plan->attached. Nothing is left behind on failure. */
int network_attach(struct network_plan *plan, const char *id, pid_t pid, uoci_error **err);

/* DEL (idempotent; the namespace may be gone). */
int network_detach(const ocispec_config *cfg, const char *id, uoci_error **err);

#endif

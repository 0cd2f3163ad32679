/* SPDX-License-Identifier: GPL-2.0-or-later */
/* network.c - see network.h */
#include "config.h"
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cni/cnirun.h"
#include "network.h"
#include "utils.h"

#define ANN_NETWORK "org.ulysses.network"
#define ANN_PORTS "org.ulysses.ports"
#define ANN_IFNAME "org.ulysses.ifname"

int network_plan_from_config(const ocispec_config *cfg, bool new_netns, struct network_plan *plan,
                             uoci_error **err)
{
  memset(plan, 0, sizeof *plan);
  plan->name = ocispec_strmap_get(&cfg->annotations, ANN_NETWORK);
  const char *ports = ocispec_strmap_get(&cfg->annotations, ANN_PORTS);
  plan->ifname = ocispec_strmap_get(&cfg->annotations, ANN_IFNAME);
  if (plan->name == NULL || *plan->name == '\0') {
    plan->name = NULL;
    if (ports && *ports)
      return uoci_fail(err, 0, "annotation %s needs %s", ANN_PORTS, ANN_NETWORK);
    return 0;
  }
  if (!new_netns)
    return uoci_fail(err, 0, "annotation %s=%s needs a new network namespace", ANN_NETWORK, plan->name);
  if (ports && *ports && (plan->ports_json = cnirun_ports_json(ports)) == NULL)
    return uoci_fail(err, 0, "annotation %s=\"%s\": expected [HOSTIP:]HOST:CONTAINER[/PROTO],...", ANN_PORTS,
                     ports);
  return 0;
}

void network_plan_release(struct network_plan *plan)
{
  free(plan->ports_json);
  plan->ports_json = NULL;
}

/* $CNI_PATH, or the usual plugin directories plus where this binary lives
 * (an installed runtime has its plugin beside it; a build tree has it in
 * ../cni). */
static char *plugin_path(void)
{
  const char *env = getenv("CNI_PATH");
  if (env && *env)
    return xstrdup(env);
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return xstrdup("/opt/cni/bin:/usr/libexec/cni:/usr/lib/cni");
  exe[n] = '\0';
  char *dir = dirname(exe);
  return xasprintf("/opt/cni/bin:/usr/libexec/cni:/usr/lib/cni:%s:%s/../cni", dir, dir);
}

static const char *conf_dir(void)
{
  const char *d = getenv("CNI_CONF_DIR");
  return d && *d ? d : NULL;
}

int network_attach(struct network_plan *plan, const char *id, pid_t pid, uoci_error **err)
{
  if (plan->name == NULL)
    return 0;
  _cleanup_free_ char *path = plugin_path();
  _cleanup_free_ char *netns = xasprintf("/proc/%d/ns/net", (int) pid);
  char *msg = NULL;
  if (cnirun_add(conf_dir(), plan->name, path, id, netns, plan->ifname, plan->ports_json, NULL, &msg) < 0) {
    uoci_fail(err, 0, "network %s: %s", plan->name, msg ? msg : "CNI ADD failed");
    free(msg);
    return -1;
  }
  plan->attached = true;
  return 0;
}

int network_detach(const ocispec_config *cfg, const char *id, uoci_error **err)
{
  const char *name = cfg ? ocispec_strmap_get(&cfg->annotations, ANN_NETWORK) : NULL;
  if (name == NULL || *name == '\0')
    return 0;
  _cleanup_free_ char *path = plugin_path();
  char *msg = NULL;
  if (cnirun_del(conf_dir(), name, path, id, NULL, ocispec_strmap_get(&cfg->annotations, ANN_IFNAME), NULL,
                 &msg) < 0) {
    uoci_fail(err, 0, "network %s: %s", name, msg ? msg : "CNI DEL failed");
    free(msg);
    return -1;
  }
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hook.c - ulysses-cni-hook: an OCI hook that attaches a container to a CNI
 * network, for runc/crun users.
 *
 *   ulysses-cni-hook add   (createRuntime or prestart hook)
 *   ulysses-cni-hook del   (poststop hook)
 *
 * Reads the OCI state on stdin and uses its annotations:
 *   org.ulysses.network=<name>           network to join (none: do nothing)
 *   org.ulysses.ports=8080:80/tcp,...    [hostip:]host:container[/proto] port mappings
 *   org.ulysses.ifname=<name>            interface in the container (eth0)
 * Environment: CNI_CONF_DIR (/etc/cni/net.d), CNI_PATH, ULYSSES_CNI_CACHE_DIR. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cnirun.h"
#include "cniutil.h"

static const char *annotation(yajl_val annotations, const char *key)
{
  yajl_val v = json_get_exact(annotations, key);
  return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int main(int argc, char **argv)
{
  if (argc != 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "del"))) {
    fprintf(stderr, "usage: %s add|del  (OCI state JSON on stdin)\n", argv[0]);
    return 2;
  }
  bool add = !strcmp(argv[1], "add");
  _cleanup_free_ char *text = read_all_fd(0, NULL);
  char err[256] = "";
  if (!text)
    snprintf(err, sizeof err, "%s", strerror(errno));
  _cleanup_json_ yajl_val state = text ? json_tree_parse(text, err, sizeof err) : NULL;
  if (!state) {
    fprintf(stderr, "ulysses-cni-hook: cannot parse the OCI state on stdin: %s\n", err);
    return 1;
  }
  const char *id = json_get_str(state, "id");
  yajl_val ann = json_get_obj(state, "annotations"), pidv = json_get(state, "pid");
  /* annotations are a map: exact keys */
  const char *network = annotation(ann, "org.ulysses.network");
  const char *ports = annotation(ann, "org.ulysses.ports");
  const char *ifname = annotation(ann, "org.ulysses.ifname");
  if (!network || !*network)
    return 0; /* the container asked for no network */
  if (!id) {
    fprintf(stderr, "ulysses-cni-hook: the OCI state has no \"id\"\n");
    return 1;
  }
  _cleanup_free_ char *pm = NULL;
  if (ports && *ports && !(pm = cnirun_ports_json(ports))) {
    fprintf(stderr, "ulysses-cni-hook: bad org.ulysses.ports \"%s\" (want [HOSTIP:]HOST:CONTAINER[/PROTO],...)\n",
            ports);
    return 1;
  }
  long long pid = pidv && YAJL_IS_INTEGER(pidv) ? YAJL_GET_INTEGER(pidv) : 0;
  char netns[64] = "";
  if (pid > 0)
    snprintf(netns, sizeof netns, "/proc/%lld/ns/net", pid);
  const char *confdir = getenv("CNI_CONF_DIR"), *path = getenv("CNI_PATH");
  _cleanup_free_ char *msg = NULL;
  int r;
  if (add) {
    if (!*netns) {
      fprintf(stderr, "ulysses-cni-hook add: the OCI state has no pid\n");
      return 1;
    }
    r = cnirun_add(confdir, network, path, id, netns, ifname, pm, NULL, &msg);
  } else {
    /* poststop: the pid is dead and may already belong to someone else, so
     * never enter its netns; deleting the host veth removes the peer anyway */
    r = cnirun_del(confdir, network, path, id, NULL, ifname, pm, &msg);
  }
  if (r < 0) {
    fprintf(stderr, "ulysses-cni-hook %s: %s\n", argv[1], msg ? msg : "failed");
    return 1;
  }
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipam_main.c - ulysses-ipam, the standalone IPAM plugin (host-local
 * compatible configuration, see ipam.h for the store). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "cniexec.h"
#include "ipam.h"

static int run(const struct cni_env *env, yajl_val root, const char *version, struct cni_error *e)
{
  const char *cmd = env->command;
  struct ipam_config c;
  _cleanup_free_ struct ipam_addr *addrs = NULL;
  yajl_val ipam = json_get(root, "ipam");
  const char *name = json_get_str(root, "name");
  /* DEL frees the lease whatever else the config holds */
  int r = !strcmp(cmd, "DEL") ? ipam_config_locate(ipam, name, &c, e) : ipam_config_parse(ipam, name, &c, e);
  if (r < 0)
    goto out;
  bool v110 = cni_version_cmp(version, "1.1.0") >= 0;
  if ((!strcmp(cmd, "STATUS") || !strcmp(cmd, "GC")) && !v110) {
    r = cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION, "%s needs cniVersion 1.1.0, config has %s", cmd, version);
    goto out;
  }
  addrs = calloc(c.nsets + 1, sizeof *addrs);
  if (!strcmp(cmd, "ADD")) {
    r = ipam_cmd_add(&c, env->container_id, env->ifname, addrs, e);
    if (r == 0) {
      struct sbuf b = {0};
      ipam_result_json(&b, version, &c, addrs, c.nsets);
      printf("%s\n", b.s);
      free(b.s);
    }
  } else if (!strcmp(cmd, "DEL")) {
    r = ipam_cmd_del(&c, env->container_id, env->ifname, e);
  } else if (!strcmp(cmd, "CHECK")) {
    r = ipam_cmd_check(&c, env->container_id, env->ifname, addrs, e);
  } else if (!strcmp(cmd, "STATUS")) {
    r = ipam_cmd_status(&c, e);
  } else { /* GC */
    _cleanup_free_ struct ipam_attachment *valid = NULL;
    size_t n;
    r = ipam_valid_attachments(root, &valid, &n, e);
    if (r == 0)
      r = ipam_cmd_gc(&c, valid, n, NULL, NULL, e);
  }
out:
  ipam_config_free(&c);
  return r;
}

int main(void) { return cni_plugin_main(run); }

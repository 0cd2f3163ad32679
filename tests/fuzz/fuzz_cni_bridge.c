/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_cni_bridge.c - the bridge plugin's parsers (cni/bridge.c): the
 * network config (names, booleans, mtu/vlan, ipam, runtimeConfig
 * portMappings) and the CNI result it reads back as prevResult or from a
 * delegated IPAM plugin (ips, routes, dns). bridge.c is included so its
 * static parsers can be called; its main() is renamed out of the way. */
#define main ulysses_cni_bridge_main
#include "bridge.c"
#undef main
#include "fuzz.h"

FUZZ_TARGET(cni_bridge)
{
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  yajl_val root = yajl_tree_parse(text, NULL, 0);
  if (root) {
    struct conf c;
    struct cni_error e = { 0 };
    if (parse_conf(root, "1.1.0", &c, &e) == 0 && c.prev_result) {
      struct addrs a = { 0 };
      addrs_from_result(c.prev_result, &a, &e);
      free(a.dns);
    }
    conf_free(&c);
    parse_teardown_conf(root, "1.1.0", &c, &e); /* what DEL reads */
    conf_free(&c);
    /* a result document on its own, as a delegated IPAM plugin prints it */
    struct addrs a = { 0 };
    addrs_from_result(root, &a, &e);
    free(a.dns);
    yajl_tree_free(root);
  }
  free(text);
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_cni_ipam.c - the CNI parsers of ulysses-ipam (cni/ipam.c): a network
 * config's "ipam" object (ranges or legacy subnet form, routes), a GC
 * request's cni.dev/valid-attachments, and the on-disk lease table text. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "ipam.h"

FUZZ_TARGET(cni_ipam)
{
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';

  struct cni_error e = { 0 };
  yajl_val root = yajl_tree_parse(text, NULL, 0);
  if (root) {
    yajl_val ipam = json_get_obj(root, "ipam");
    const char *name = json_get_str(root, "name");
    if (ipam) {
      struct ipam_config c = { 0 };
      ipam_config_parse(ipam, name ? name : "net", &c, &e);
      ipam_config_free(&c);
    }
    struct ipam_attachment *att = NULL;
    size_t n = 0;
    ipam_valid_attachments(root, &att, &n, &e);
    free(att);
    yajl_tree_free(root);
  }

  /* The lease table: whatever loads must print and load back to the same. */
  struct ipam_store s = { .dirfd = -1, .lockfd = -1 };
  if (ipam_store_load_text(&s, text, &e) == 0) {
    char *out = ipam_store_text(&s);
    struct ipam_store s2 = { .dirfd = -1, .lockfd = -1 };
    if (out == NULL || ipam_store_load_text(&s2, out, &e) < 0)
      fuzz_fail("cni_ipam: a printed lease table must load again", e.msg);
    char *out2 = ipam_store_text(&s2);
    if (strcmp(out, out2) != 0)
      fuzz_fail("cni_ipam: lease table round trip differs", out2);
    free(out);
    free(out2);
    ipam_store_close(&s2);
  }
  ipam_store_close(&s);
  free(text);
  return 0;
}

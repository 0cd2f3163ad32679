/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_state.c - `state ID`: the spec's state JSON. */
#include "config.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "commands.h"
#include "state.h"

int cmd_state(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = { { 0, 0, 0, 0 } };
  if (getopt_long(argc, argv, "", opts, NULL) != -1)
    return uoci_fail(err, 0, "state: unknown option \"%s\"", argv[optind - 1]);
  const char *id;
  if (expect_id(argc, argv, optind, "state", &id, err) < 0)
    return -1;
  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  enum container_status s = state_status(&st);
  uoci_error *cerr = NULL;
  ocispec_strmap annotations;
  state_annotations(&st, &annotations, &cerr);
  uoci_error_free(cerr);
  char *json = state_json(&st, s, &annotations, true);
  printf("%s\n", json);
  free(json);
  ocispec_strmap_clear(&annotations);
  state_release(&st);
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_delete.c - `delete [--force] ID`. */
#include "config.h"
#include <getopt.h>
#include "commands.h"

int cmd_delete(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = { { "force", no_argument, 0, 'f' }, { 0, 0, 0, 0 } };
  bool force = false;
  int c;
  while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
    if (c != 'f')
      return uoci_fail(err, 0, "delete: unknown option \"%s\"", argv[optind - 1]);
    force = true;
  }
  const char *id;
  if (expect_id(argc, argv, optind, "delete", &id, err) < 0)
    return -1;
  return container_delete(g, id, force, err) < 0 ? -1 : 0;
}

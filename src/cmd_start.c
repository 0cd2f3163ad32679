/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_start.c - `start ID`: release a created container. */
#include "config.h"
#include <getopt.h>
#include "commands.h"

int cmd_start(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = { { 0, 0, 0, 0 } };
  if (getopt_long(argc, argv, "", opts, NULL) != -1)
    return uoci_fail(err, 0, "start: unknown option \"%s\"", argv[optind - 1]);
  const char *id;
  if (expect_id(argc, argv, optind, "start", &id, err) < 0)
    return -1;
  return container_start(g, id, err) < 0 ? -1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_create.c - `create` and `run` share their options here. */
#include "config.h"
#include <getopt.h>
#include <string.h>
#include "commands.h"
#include "utils.h"

enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE, OPT_KEEP, OPT_NO_SUBREAPER };

/* Parse create/run options into *o; `run` also takes --detach/--keep. */
static int parse_create_opts(const char *verb, int argc, char **argv, struct create_opts *o, bool *detach,
                             uoci_error **err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, 0, 'b' },
    { "config", required_argument, 0, 'f' },
    { "pid-file", required_argument, 0, OPT_PID_FILE },
    { "console-socket", required_argument, 0, OPT_CONSOLE },
    { "no-pivot", no_argument, 0, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, 0, OPT_NO_KEYRING },
    { "preserve-fds", required_argument, 0, OPT_PRESERVE },
    { "detach", no_argument, 0, 'd' },
    { "keep", no_argument, 0, OPT_KEEP },
    { "no-subreaper", no_argument, 0, OPT_NO_SUBREAPER },
    { 0, 0, 0, 0 },
  };
  bool is_run = strcmp(verb, "run") == 0;
  int c;
  while ((c = getopt_long(argc, argv, is_run ? "b:f:d" : "b:f:", opts, NULL)) != -1) {
    switch (c) {
    case 'b': o->bundle = optarg; break;
    case 'f': o->config = optarg; break;
    case OPT_PID_FILE: o->pid_file = optarg; break;
    case OPT_CONSOLE: o->console_socket = optarg; break;
    case OPT_NO_PIVOT: o->no_pivot = true; break;
    case OPT_NO_KEYRING: o->no_new_keyring = true; break;
    case OPT_NO_SUBREAPER:
      /* runc's `run` option (not create's): it turns off the subreaper runc
       * makes of itself; ulysses-oci never becomes one, so it is the default */
      if (!is_run)
        goto bad;
      break;
    case OPT_PRESERVE: {
      unsigned long long n;
      if (parse_uint64(optarg, &n) < 0 || n > 65536)
        return uoci_fail(err, 0, "%s: --preserve-fds: expected a number, got \"%s\"", verb, optarg);
      o->preserve_fds = (int) n;
      break;
    }
    case 'd':
    case OPT_KEEP:
      if (!is_run)
        goto bad;
      if (c == 'd')
        *detach = true;
      else
        o->keep = true;
      break;
    default:
    bad:
      return uoci_fail(err, 0, "%s: unknown option \"%s\" (see `ulysses-oci %s --help`)", verb, argv[optind - 1],
                       verb);
    }
  }
  return expect_id(argc, argv, optind, verb, &o->id, err);
}

int cmd_create(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  struct create_opts o = { 0 };
  bool detach = false;
  if (parse_create_opts("create", argc, argv, &o, &detach, err) < 0)
    return -1;
  return container_create(g, &o, MODE_CREATE, err) < 0 ? -1 : 0;
}

int cmd_run(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  struct create_opts o = { 0 };
  bool detach = false;
  if (parse_create_opts("run", argc, argv, &o, &detach, err) < 0)
    return -1;
  if (detach && o.keep)
    return uoci_fail(err, 0, "run: --keep and --detach cannot be used together");
  return container_create(g, &o, detach ? MODE_RUN_DETACH : MODE_RUN, err);
}

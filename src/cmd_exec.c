/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_exec.c - `exec [options] ID COMMAND...`: the options; exec.c runs it. */
#include "config.h"
#include <getopt.h>
#include <stdint.h>
#include "commands.h"
#include "exec.h"
#include "utils.h"

static int parse_exec_opts(int argc, char **argv, struct exec_opts *o, uoci_error **err)
{
  enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_CWD, OPT_NNP, OPT_PRESERVE, OPT_LABEL, OPT_APPARMOR, OPT_CGROUP,
         OPT_IGNORE_PAUSED };
  static const struct option opts[] = {
    { "process", required_argument, 0, 'p' },     { "tty", no_argument, 0, 't' },
    { "console-socket", required_argument, 0, OPT_CONSOLE },
    { "pid-file", required_argument, 0, OPT_PID_FILE },
    { "detach", no_argument, 0, 'd' },            { "cwd", required_argument, 0, OPT_CWD },
    { "env", required_argument, 0, 'e' },         { "user", required_argument, 0, 'u' },
    { "cap", required_argument, 0, 'c' },         { "no-new-privs", no_argument, 0, OPT_NNP },
    { "preserve-fds", required_argument, 0, OPT_PRESERVE },
    { "process-label", required_argument, 0, OPT_LABEL },
    { "apparmor", required_argument, 0, OPT_APPARMOR },
    { "additional-gids", required_argument, 0, 'g' },
    { "cgroup", required_argument, 0, OPT_CGROUP },
    { "ignore-paused", no_argument, 0, OPT_IGNORE_PAUSED },
    { 0, 0, 0, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "+p:tde:u:c:g:", opts, NULL)) != -1) {
    switch (c) {
    case 'p': o->process_file = optarg; break;
    case 't': o->tty = true; break;
    case 'd': o->detach = true; break;
    case 'e': strv_append(&o->env, &o->env_len, optarg); break;
    case 'u': o->user = optarg; break;
    case 'c': strv_append(&o->caps, &o->caps_len, optarg); break;
    case OPT_CONSOLE: o->console_socket = optarg; break;
    case OPT_PID_FILE: o->pid_file = optarg; break;
    case OPT_CWD: o->cwd = optarg; break;
    case OPT_NNP: o->no_new_privs = true; break;
    case OPT_LABEL: o->process_label = optarg; break;
    case OPT_APPARMOR: o->apparmor = optarg; break;
    case OPT_CGROUP: strv_append(&o->cgroups, &o->cgroups_len, optarg); break;
    case OPT_IGNORE_PAUSED: o->ignore_paused = true; break;
    case 'g': {
      unsigned long long gid;
      if (parse_uint64(optarg, &gid) < 0 || gid > UINT32_MAX)
        return uoci_fail(err, 0, "exec: --additional-gids: expected a gid, got \"%s\"", optarg);
      o->gids = xrealloc(o->gids, (o->gids_len + 1) * sizeof *o->gids);
      o->gids[o->gids_len++] = (uint32_t) gid;
      break;
    }
    case OPT_PRESERVE: {
      unsigned long long n;
      if (parse_uint64(optarg, &n) < 0 || n > 65536)
        return uoci_fail(err, 0, "exec: --preserve-fds: expected a number, got \"%s\"", optarg);
      o->preserve_fds = (int) n;
      break;
    }
    default:
      return uoci_fail(err, 0, "exec: unknown option \"%s\" (see `ulysses-oci exec --help`)", argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return uoci_fail(err, 0, "exec: missing container id (see `ulysses-oci exec --help`)");
  o->id = argv[optind++];
  for (; optind < argc; optind++)
    strv_append(&o->args, &o->args_len, argv[optind]);
  if (o->process_file == NULL && o->args_len == 0)
    return uoci_fail(err, 0, "exec: missing command (or --process FILE)");
  return 0;
}

int cmd_exec(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  struct exec_opts o = { 0 };
  int ret = -1;
  if (parse_exec_opts(argc, argv, &o, err) == 0)
    ret = exec_in_container(g, &o, err);
  exec_opts_release(&o);
  return ret;
}

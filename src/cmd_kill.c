/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_kill.c - `kill [--all] ID [SIGNAL]`. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include "cgroup.h"
#include "commands.h"
#include "process.h"
#include "state.h"

int cmd_kill(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = { { "all", no_argument, 0, 'a' }, { 0, 0, 0, 0 } };
  bool all = false;
  int c;
  while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
    if (c != 'a')
      return uoci_fail(err, 0, "kill: unknown option \"%s\"", argv[optind - 1]);
    all = true;
  }
  if (optind >= argc)
    return uoci_fail(err, 0, "kill: missing container id (see `ulysses-oci kill --help`)");
  if (argc - optind > 2)
    return uoci_fail(err, 0, "kill: unexpected argument \"%s\"", argv[optind + 2]);
  const char *id = argv[optind];
  int sig = SIGTERM;
  if (argc - optind == 2 && (sig = signal_from_name(argv[optind + 1])) < 0)
    return uoci_fail(err, 0, "kill: unknown signal \"%s\"", argv[optind + 1]);

  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  int ret = 0;
  enum container_status s = state_status(&st);
  if (s == STATUS_STOPPED) {
    ret = uoci_fail(err, 0, "container \"%s\" is not running", id);
  } else if (all && st.cgroup) {
    uoci_cgroup *cg = NULL;
    if (cgroup_from_string(st.cgroup, &cg, err) < 0 || cgroup_kill_all(cg, sig, err) < 0)
      ret = -1;
    cgroup_free(cg);
  } else if (kill(st.pid, sig) < 0) {
    ret = uoci_fail(err, errno, "kill container \"%s\" (pid %d)", id, (int) st.pid);
  }
  state_release(&st);
  return ret;
}

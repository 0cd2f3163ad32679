/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_pause.c - `pause ID` and `resume ID`: freeze and thaw every process of
 * the container through its cgroup (v1 freezer, v2 cgroup.freeze); `state`
 * then shows "paused". */
#include "config.h"
#include <getopt.h>
#include "cgroup.h"
#include "commands.h"
#include "state.h"

static int set_frozen(const struct uoci_globals *g, int argc, char **argv, bool frozen, uoci_error **err)
{
  const char *verb = frozen ? "pause" : "resume";
  static const struct option opts[] = { { 0, 0, 0, 0 } };
  if (getopt_long(argc, argv, "", opts, NULL) != -1)
    return uoci_fail(err, 0, "%s: unknown option \"%s\"", verb, argv[optind - 1]);
  const char *id;
  if (expect_id(argc, argv, optind, verb, &id, err) < 0)
    return -1;
  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  int ret = -1;
  enum container_status s = state_status(&st);
  uoci_cgroup *cg = NULL;
  if (frozen && s != STATUS_RUNNING)
    uoci_fail(err, 0, "container \"%s\" is not running (%s)", id, status_name(s));
  else if (!frozen && s != STATUS_PAUSED)
    uoci_fail(err, 0, "container \"%s\" is not paused (%s)", id, status_name(s));
  else if (st.cgroup == NULL)
    uoci_fail(err, 0, "container \"%s\" has no cgroup to %s", id, verb);
  else if (cgroup_from_string(st.cgroup, &cg, err) == 0 && cgroup_refuse_shared(cg, true, verb, id, err) == 0 &&
           cgroup_freeze(cg, frozen, err) == 0)
    ret = 0;
  cgroup_free(cg);
  state_release(&st);
  return ret;
}

int cmd_pause(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  return set_frozen(g, argc, argv, true, err);
}

int cmd_resume(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  return set_frozen(g, argc, argv, false, err);
}

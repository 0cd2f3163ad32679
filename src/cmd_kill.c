/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_kill.c - `kill [--all] ID [SIGNAL]`, as runc answers it: engines match
 * its wording (docs/ENGINES.md). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "cgroup.h"
#include "commands.h"
#include "fault.h"
#include "process.h"
#include "state.h"
#include "utils.h"

/* "container not running" is runc's wording: containerd's shim takes it (and
 * only it) for "the process already finished". */
static int not_running(const char *id, uoci_error **err)
{
  return uoci_fail(err, 0, "cannot kill container \"%s\": container not running", id);
}

/* A pidfd of the recorded pid, opened BEFORE the status check: when the
 * check finds the init (its start time), the pidfd is that process, and the
 * signal cannot reach another one that got the pid after the init exited
 * (kill(2) by pid could). -1 without pidfd_open (Linux < 5.3): by pid. */
static int open_init_pidfd(pid_t pid)
{
  return pid > 0 ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* The init only. A frozen init dies of SIGKILL only once thawed: runc thaws
 * for SIGKILL, and so do we; other signals wait for `resume`. */
static int kill_init(const struct uoci_state *st, int pidfd, enum container_status s, int sig, uoci_error **err)
{
  FAULT_PAUSE("kill-checked");
  int sent = pidfd >= 0 ? (int) syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0) : kill(st->pid, sig);
  if (sent < 0 && errno == ESRCH)
    return not_running(st->id, err); /* it exited after the check */
  if (sent < 0)
    return uoci_fail(err, errno, "kill container \"%s\" (pid %d)", st->id, (int) st->pid);
  if (s == STATUS_PAUSED && sig == SIGKILL && st->cgroup) {
    uoci_cgroup *cg = NULL;
    int r = cgroup_from_string(st->cgroup, &cg, err) < 0 || cgroup_freeze(cg, false, err) < 0 ? -1 : 0;
    cgroup_free(cg);
    return r;
  }
  return 0;
}

/* --all: every process still in the cgroup, also once the init has exited.
 * A container in the host's or a pod's pid namespace can leave processes
 * behind its init, and containerd's shim sends `kill --all ID 9` after
 * every exit: with nothing left that is a success, as with runc. A cgroup
 * that existed before the container holds processes that are not its own:
 * then the init only, if it is still there. */
static int kill_all(const struct uoci_state *st, int pidfd, enum container_status s, int sig, uoci_error **err)
{
  uoci_cgroup *cg = NULL;
  int r = cgroup_from_string(st->cgroup, &cg, err);
  if (r == 0)
    r = cgroup_kill_all(cg, sig, err);
  cgroup_free(cg);
  if (r > 0)
    return s == STATUS_STOPPED ? 0 : kill_init(st, pidfd, s, sig, err);
  return r < 0 ? -1 : 0;
}

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
  int ret;
  _cleanup_close_ int pidfd = open_init_pidfd(st.pid);
  enum container_status s = state_status(&st);
  if (all && st.cgroup)
    ret = kill_all(&st, pidfd, s, sig, err);
  else if (s == STATUS_STOPPED)
    ret = not_running(id, err);
  else
    ret = kill_init(&st, pidfd, s, sig, err);
  state_release(&st);
  return ret;
}

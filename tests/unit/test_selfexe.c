/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_selfexe.c - when runtime processes entering a container must run from
 * a sealed view of the binary, and how a sealed view is recognised. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "selfexe.h"
#include "tap.h"

int main(void)
{
  struct ptrace_exposure e = { 0 };
  ok(!selfexe_must_seal(&e), "own pid namespace, nobody with CAP_SYS_PTRACE: no seal");
  e.config_ptrace = true;
  ok(selfexe_must_seal(&e), "the config's process may hold CAP_SYS_PTRACE: seal");
  e = (struct ptrace_exposure) { .marked = true };
  ok(selfexe_must_seal(&e), "an earlier exec gave CAP_SYS_PTRACE: seal");
  e = (struct ptrace_exposure) { .shared_pidns = true };
  ok(selfexe_must_seal(&e), "a pid namespace shared with unknown tenants: seal");
  e = (struct ptrace_exposure) { .own_userns = true, .shared_pidns = true, .config_ptrace = true, .marked = true };
  ok(!selfexe_must_seal(&e), "a user namespace of its own: its CAP_SYS_PTRACE does not reach the runtime");

  /* This test binary is a plain file on a writable build tree. */
  ok(!selfexe_is_sealed(), "a writable binary is not sealed");
  char *id = selfexe_identity();
  ok(id && strchr(id, ':'), "identity is DEV:INO (%s)", id ? id : "(null)");
  ok(selfexe_pid_runs(getpid(), id), "we run our own binary");
  ok(!selfexe_pid_runs(getpid(), "0:0"), "not another one");
  ok(!selfexe_pid_runs(getpid(), NULL), "no identity: no");
  free(id);
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

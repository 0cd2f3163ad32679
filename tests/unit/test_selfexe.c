/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_selfexe.c - when runtime processes entering a container must run from
 * a sealed view of the binary, and how a sealed view is recognised. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "selfexe.h"
#include "utils.h"
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
  static char *argv0[] = { (char *) "test-selfexe", NULL };
  selfexe_init(argv0); /* as main does first: the identity is of the binary it found */
  ok(!selfexe_is_sealed(), "a writable binary is not sealed");
  char *id = selfexe_identity();
  ok(id && strchr(id, ':'), "identity is DEV:INO (%s)", id ? id : "(null)");
  ok(selfexe_pid_runs(getpid(), id), "we run our own binary");
  ok(!selfexe_pid_runs(getpid(), "0:0"), "not another one");
  ok(!selfexe_pid_runs(getpid(), NULL), "no identity: no");
  free(id);

  /* The program a container names must not be this binary (CVE-2019-5736):
   * through the magic link, a symlink to it, or a "#!" interpreter chain. */
  uoci_error *err = NULL;
  int r = selfexe_refuse_program("/proc/self/exe", &err);
  ok(r < 0 && err && strstr(err->msg, "CVE-2019-5736"),
     "/proc/self/exe is refused: %s", err ? err->msg : "");
  uoci_error_free(err);
  err = NULL;
  char dir[] = "/tmp/test-selfexe.XXXXXX";
  ok(mkdtemp(dir) != NULL, "mkdtemp");
  char *link = xasprintf("%s/link", dir), *s1 = xasprintf("%s/s1", dir), *s2 = xasprintf("%s/s2", dir),
       *ok_script = xasprintf("%s/ok", dir);
  ok(symlink("/proc/self/exe", link) == 0, "symlink");
  FILE *f = fopen(s1, "w");
  fprintf(f, "#!  /proc/self/exe -x\n");
  fclose(f);
  f = fopen(s2, "w");
  fprintf(f, "#!%s\n", s1);
  fclose(f);
  f = fopen(ok_script, "w");
  fprintf(f, "#!/bin/sh\necho hi\n");
  fclose(f);
  ok(selfexe_refuse_program(link, &err) < 0, "a symlink to /proc/self/exe is refused");
  uoci_error_free(err);
  err = NULL;
  r = selfexe_refuse_program(s1, &err);
  ok(r < 0 && strstr(err->msg, "its interpreter /proc/self/exe"),
     "a script whose interpreter is /proc/self/exe: %s", err ? err->msg : "");
  uoci_error_free(err);
  err = NULL;
  ok(selfexe_refuse_program(s2, &err) < 0, "a script whose interpreter is such a script");
  uoci_error_free(err);
  err = NULL;
  ok(selfexe_refuse_program(ok_script, &err) == 0 && err == NULL, "a script run by /bin/sh is fine");
  ok(selfexe_refuse_program("/bin/sh", &err) == 0 && err == NULL, "/bin/sh is fine");
  ok(selfexe_refuse_program("/nonexistent", &err) == 0 && err == NULL, "a missing program: left to execve");
  unlink(link), unlink(s1), unlink(s2), unlink(ok_script), rmdir(dir);
  free(link), free(s1), free(s2), free(ok_script);
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

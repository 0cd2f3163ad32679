/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_caps.c - capability names and their application in forked children,
 * checked through /proc/self/status. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caps.h"
#include "ocispec.h"
#include "tap.h"
#include "utils.h"

#define BIT(cap) (UINT64_C(1) << (cap))
#define NOBODY 65534

/* The five sets as /proc/<pid>/status shows them. */
struct proc_caps {
  uint64_t inh, prm, eff, bnd, amb;
  bool valid;
};

static struct proc_caps parse_status(const char *text)
{
  struct proc_caps c = { 0 };
  const struct { const char *key; uint64_t *v; } keys[] = {
    { "CapInh:", &c.inh }, { "CapPrm:", &c.prm }, { "CapEff:", &c.eff }, { "CapBnd:", &c.bnd }, { "CapAmb:", &c.amb },
  };
  int found = 0;
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    const char *p = strstr(text, keys[i].key);
    if (p) {
      *keys[i].v = strtoull(p + strlen(keys[i].key), NULL, 16);
      found++;
    }
  }
  c.valid = found == (int) ARRAY_SIZE(keys);
  return c;
}

static uint64_t all_kernel_caps(void)
{
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int last = 40;
  if (f) {
    if (fscanf(f, "%d", &last) != 1)
      last = 40;
    fclose(f);
  }
  return last >= 63 ? ~UINT64_C(0) : BIT(last + 1) - 1;
}

/* What the child does before reporting its capabilities. */
enum step { APPLY_AS_ROOT, APPLY_AS_NOBODY, EXEC_AS_NOBODY };

struct child_result {
  int status;
  char error[256];
  struct proc_caps caps;
};

static void child_fail(int fd, uoci_error *err)
{
  const char *msg = err && err->msg ? err->msg : "failed";
  dprintf(fd, "ERROR %s\n", msg);
  _exit(1);
}

static void run_child_steps(const struct caps_plan *plan, enum step step, int out)
{
  uoci_error *err = NULL;
  if (caps_prepare_for_setuid(plan, &err) < 0)
    child_fail(out, err);
  if (step != APPLY_AS_ROOT && (setresgid(NOBODY, NOBODY, NOBODY) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0)) {
    dprintf(out, "ERROR setresuid: %s\n", strerror(errno));
    _exit(1);
  }
  if (caps_apply(plan, &err) < 0)
    child_fail(out, err);
  if (step == EXEC_AS_NOBODY) {
    dup2(out, STDOUT_FILENO);
    execl("/bin/cat", "cat", "/proc/self/status", (char *) NULL);
    _exit(127);
  }
  char *status = NULL;
  size_t len = 0;
  if (read_file_at(AT_FDCWD, "/proc/self/status", &status, &len, &err) < 0)
    child_fail(out, err);
  write_all(out, status, len);
  _exit(0);
}

static struct child_result run_child(const struct caps_plan *plan, enum step step)
{
  struct child_result r = { .status = -1 };
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return r;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    run_child_steps(plan, step, p[1]);
  }
  close(p[1]);
  char buf[8192];
  ssize_t n = read_all(p[0], buf, sizeof buf - 1);
  close(p[0]);
  buf[n > 0 ? n : 0] = '\0';
  waitpid(pid, &r.status, 0);
  if (strncmp(buf, "ERROR ", 6) == 0)
    snprintf(r.error, sizeof r.error, "%.*s", (int) strcspn(buf + 6, "\n"), buf + 6);
  else
    r.caps = parse_status(buf);
  return r;
}

/* Plan with every kernel capability grantable; msg gets the warnings, "; "-joined. */
static bool plan_with(const ocispec_capabilities *c, uint64_t grantable, struct caps_plan *plan, char *msg,
                      size_t msglen)
{
  caps_plan_release(plan);
  caps_plan_from_spec(c, grantable, plan);
  msg[0] = '\0';
  for (char **w = plan->warnings; w && *w; w++)
    snprintf(msg + strlen(msg), msglen - strlen(msg), "%s%s", msg[0] ? "; " : "", *w);
  return plan->warnings == NULL;
}

static bool plan_of(const ocispec_capabilities *c, struct caps_plan *plan, char *msg, size_t msglen)
{
  return plan_with(c, all_kernel_caps(), plan, msg, msglen);
}

/* ---- tests ------------------------------------------------------------- */

static void test_names(void)
{
  char msg[256];
  struct caps_plan plan = { 0 };
  ok(plan_of(NULL, &plan, msg, sizeof msg) && !plan.present, "no process.capabilities: nothing to apply");

  ocispec_capabilities c = { 0 };
  SET_LIST(c, bounding, "CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE");
  SET_LIST(c, effective, "CAP_KILL");
  SET_LIST(c, permitted, "CAP_KILL", "CAP_NET_RAW");
  SET_LIST(c, inheritable, "CAP_SETUID");
  SET_LIST(c, ambient, "CAP_AUDIT_WRITE");
  ok(!plan_of(&c, &plan, msg, sizeof msg) && plan.present, "known names resolve, with a warning:");
  /* the kernel raises an ambient capability only when permitted and inheritable */
  is_str(msg, "process.capabilities.ambient: can't raise ambient capability CAP_AUDIT_WRITE: not in the inheritable set, ignored",
         "... an ambient capability that cannot be raised is named, in runc's words");
  is_int(plan.bounding, BIT(CAP_CHOWN) | BIT(CAP_SYS_ADMIN) | BIT(40), "bounding mask (CAP_CHECKPOINT_RESTORE is 40)");
  is_int(plan.effective, BIT(CAP_KILL), "effective mask");
  is_int(plan.permitted, BIT(CAP_KILL) | BIT(CAP_NET_RAW), "permitted mask");
  is_int(plan.inheritable, BIT(CAP_SETUID), "inheritable mask");
  is_int(plan.ambient, BIT(CAP_AUDIT_WRITE), "ambient mask");

  ocispec_capabilities empty = { 0 };
  ok(plan_of(&empty, &plan, msg, sizeof msg) && plan.present && plan.bounding == 0 && plan.effective == 0,
     "an empty capabilities object drops everything");

  ocispec_capabilities bad = { 0 };
  SET_LIST(bad, permitted, "CAP_KILL", "CAP_FOO");
  ok(!plan_of(&bad, &plan, msg, sizeof msg) && plan.present, "an unknown name is a warning, not an error");
  is_str(msg, "process.capabilities.permitted: unknown capability \"CAP_FOO\" ignored",
         "the warning names the set and the capability");
  is_int(plan.permitted, BIT(CAP_KILL), "the known names still apply");

  const char *spellings[] = { "cap_chown", "CHOWN", "5", "CAP_", "CAP_Chown", "all" };
  for (size_t i = 0; i < ARRAY_SIZE(spellings); i++) {
    char *one[] = { (char *) spellings[i] };
    ocispec_capabilities odd = { .ambient = one, .ambient_len = 1 };
    ok(!plan_of(&odd, &plan, msg, sizeof msg) && strstr(msg, "process.capabilities.ambient: unknown capability") &&
           plan.ambient == 0,
       "\"%s\" is not a spec capability name: left out with a warning", spellings[i]);
  }

  /* A capability the runtime does not hold: one warning for it, gone from every set. */
  ocispec_capabilities res = { 0 };
  SET_LIST(res, bounding, "CAP_KILL", "CAP_SYS_RESOURCE");
  SET_LIST(res, effective, "CAP_KILL", "CAP_SYS_RESOURCE");
  SET_LIST(res, permitted, "CAP_KILL", "CAP_SYS_RESOURCE");
  ok(!plan_with(&res, all_kernel_caps() & ~BIT(CAP_SYS_RESOURCE), &plan, msg, sizeof msg), "ungrantable: warned");
  is_str(msg, "process.capabilities: CAP_SYS_RESOURCE ignored: the runtime cannot grant it (not in its own capability sets)",
         "one warning per capability, whatever the sets");
  ok(plan.bounding == BIT(CAP_KILL) && plan.effective == BIT(CAP_KILL) && plan.permitted == BIT(CAP_KILL),
     "and it is left out of every set");
  ok(caps_spec_may_hold(NULL, "CAP_SYS_PTRACE"), "no capabilities given: the process may hold any");
  ok(!caps_spec_may_hold(&res, "CAP_SYS_PTRACE"), "a capability no set lists is not held");
  {
    ocispec_capabilities amb = { 0 };
    SET_LIST(amb, inheritable, "CAP_SYS_PTRACE");
    ok(caps_spec_may_hold(&amb, "CAP_SYS_PTRACE"), "listed in any set (inheritable) counts");
  }
  uint64_t mine = caps_grantable(false);
  ok((mine & all_kernel_caps()) == mine, "caps_grantable(false) is within the kernel's capabilities");
  is_int(caps_grantable(true), all_kernel_caps(), "in a user namespace of its own every capability can be granted");
  caps_plan_release(&plan);
}

static void test_known_names(void)
{
  size_t n = 0;
  const char *const *names = caps_known_names(&n);
  uint64_t all = all_kernel_caps();
  is_int(n, __builtin_popcountll(all), "one name per kernel capability");
  ok(names[n] == NULL, "list is NULL-terminated");
  is_str(names[0], "CAP_CHOWN", "first is CAP_CHOWN");
  is_str(names[CAP_SYS_ADMIN], "CAP_SYS_ADMIN", "CAP_SYS_ADMIN at its number");
  ocispec_capabilities c = { .bounding = (char **) names, .bounding_len = n };
  struct caps_plan plan = { 0 };
  char msg[256];
  ok(plan_of(&c, &plan, msg, sizeof msg) && plan.bounding == all, "every listed name is accepted back: %s", msg);
  ok(caps_known_names(NULL) == names, "the list is static");
}

static void test_apply_as_root(void)
{
  struct caps_plan plan = {
    .present = true,
    .bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
    .effective = BIT(CAP_CHOWN) | BIT(CAP_KILL),
    .permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL),
    .inheritable = BIT(CAP_KILL),
    .ambient = BIT(CAP_KILL),
  };
  struct child_result r = run_child(&plan, APPLY_AS_ROOT);
  ok(r.status == 0 && r.caps.valid, "applied as root: %s", r.error);
  is_int(r.caps.bnd, plan.bounding, "CapBnd");
  is_int(r.caps.eff, plan.effective, "CapEff");
  is_int(r.caps.prm, plan.permitted, "CapPrm");
  is_int(r.caps.inh, plan.inheritable, "CapInh");
  is_int(r.caps.amb, plan.ambient, "CapAmb");
}

static void test_apply_across_setuid(void)
{
  struct caps_plan plan = {
    .present = true,
    .bounding = BIT(CAP_NET_RAW) | BIT(CAP_KILL) | BIT(CAP_SETUID),
    .effective = BIT(CAP_NET_RAW) | BIT(CAP_KILL),
    .permitted = BIT(CAP_NET_RAW) | BIT(CAP_KILL),
    .inheritable = BIT(CAP_NET_RAW),
    .ambient = BIT(CAP_NET_RAW) | BIT(CAP_KILL), /* KILL is not inheritable: skipped */
  };
  struct child_result r = run_child(&plan, APPLY_AS_NOBODY);
  ok(r.status == 0 && r.caps.valid, "applied as uid %d: %s", NOBODY, r.error);
  is_int(r.caps.eff, plan.effective, "CapEff kept across setuid");
  is_int(r.caps.prm, plan.permitted, "CapPrm kept across setuid");
  is_int(r.caps.inh, plan.inheritable, "CapInh");
  is_int(r.caps.amb, BIT(CAP_NET_RAW), "CapAmb: only the inheritable+permitted one, no error for the other");
  is_int(r.caps.bnd, plan.bounding, "CapBnd");

  /* What the container process really gets: after execve a non-root user
   * keeps exactly the ambient set. */
  r = run_child(&plan, EXEC_AS_NOBODY);
  ok(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && r.caps.valid, "exec as uid %d: %s", NOBODY, r.error);
  is_int(r.caps.eff, BIT(CAP_NET_RAW), "after exec CapEff is the ambient set");
  is_int(r.caps.prm, BIT(CAP_NET_RAW), "after exec CapPrm is the ambient set");
  is_int(r.caps.amb, BIT(CAP_NET_RAW), "after exec CapAmb survives");
}

static void test_without_keepcaps_plan_absent(void)
{
  struct caps_plan absent = { .present = false };
  struct child_result r = run_child(&absent, APPLY_AS_ROOT);
  ok(r.status == 0 && r.caps.valid, "absent plan changes nothing: %s", r.error);
  char *mine = NULL;
  size_t len;
  uoci_error *err = NULL;
  read_file_at(AT_FDCWD, "/proc/self/status", &mine, &len, &err);
  uoci_error_free(err);
  struct proc_caps parent = mine ? parse_status(mine) : (struct proc_caps) { 0 };
  free(mine);
  ok(parent.valid && r.caps.bnd == parent.bnd && r.caps.eff == parent.eff && r.caps.prm == parent.prm,
     "bounding, effective and permitted are the parent's");
}

static void test_apply_errors(void)
{
  struct caps_plan plan = {
    .present = true,
    .bounding = BIT(CAP_KILL) | BIT(CAP_CHOWN),
    .effective = BIT(CAP_KILL) | BIT(CAP_CHOWN),
    .permitted = BIT(CAP_KILL),
  };
  struct child_result r = run_child(&plan, APPLY_AS_NOBODY);
  ok(r.status != 0, "effective outside permitted fails");
  is_str(r.error, "capset: process.capabilities.effective is not a subset of permitted: Operation not permitted",
         "and says why");
}

static void test_status_may_hold(void)
{
  const char *with = "Name:\tsleep\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
                     "CapEff:\t0000000000000000\nCapBnd:\t0000000000080000\nCapAmb:\t0000000000000000\n";
  const char *without = "Name:\tsleep\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
                        "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n";
  const char *ambient = "Name:\tx\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t80000\n";
  ok(caps_status_may_hold(with, CAP_SYS_PTRACE), "CAP_SYS_PTRACE in the bounding set only: may hold it");
  ok(!caps_status_may_hold(without, CAP_SYS_PTRACE), "a runc default set without CAP_SYS_PTRACE: may not");
  ok(caps_status_may_hold(without, CAP_KILL), "CAP_KILL of the same set: may");
  ok(caps_status_may_hold(ambient, CAP_SYS_PTRACE), "in the ambient set: may");
  ok(caps_status_may_hold("Name:\tx\nCapInh:\t0\nCapPrm:\t0\n", CAP_SYS_PTRACE), "sets missing: taken as may");
  ok(caps_status_may_hold("Name:\tx\nCapInh:\t0\nCapPrm:\tzz\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\n",
                          CAP_SYS_PTRACE), "a set that is no number: taken as may");
  ok(caps_pid_may_hold(getpid(), CAP_KILL), "this process (root) may hold CAP_KILL: read from /proc");
  ok(!caps_pid_may_hold(-1, CAP_SYS_PTRACE), "no such process: false");
}

int main(void)
{
  if (geteuid() != 0) {
    plan(1);
    ok(1, "# SKIP needs root");
    return 0;
  }
  test_status_may_hold();
  test_names();
  test_known_names();
  test_apply_as_root();
  test_apply_across_setuid();
  test_without_keepcaps_plan_absent();
  test_apply_errors();
  return done_testing();
}

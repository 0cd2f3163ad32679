/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_mempolicy.c - id lists ("0-3,7"), linux.memoryPolicy's validation
 * against set_mempolicy(2)'s rules, and a policy really set in a child. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "idlist.h"
#include "mempolicy.h"
#include "tap.h"
#include "utils.h"

static void test_idlist(void)
{
  struct idlist l;
  const char *why = NULL;
  ok(idlist_parse("0-3,7", 63, &l, &why) == 0, "\"0-3,7\" parses");
  is_int(l.count, 5, "five ids");
  is_int(l.highest, 7, "highest is 7");
  ok(idlist_has(&l, 0) && idlist_has(&l, 3) && idlist_has(&l, 7) && !idlist_has(&l, 4) && !idlist_has(&l, 64),
     "exactly 0,1,2,3,7");
  idlist_release(&l);

  ok(idlist_parse("", 63, &l, &why) == 0 && l.count == 0, "empty list is the empty set");
  idlist_release(&l);
  ok(idlist_parse(NULL, 63, &l, &why) == 0 && l.count == 0, "absent list is the empty set");
  idlist_release(&l);
  ok(idlist_parse("1,1,0-1", 63, &l, &why) == 0 && l.count == 2, "repeated ids count once");
  idlist_release(&l);
  ok(idlist_parse("1000-1023", 1023, &l, &why) == 0 && l.count == 24 && l.nwords * IDLIST_WORD_BITS >= 1024,
     "ids up to the maximum");
  idlist_release(&l);

  static const char *const bad[] = { "a", "1-", "-1", "3-1", "1,,2", "1,", " 1", "1 ", "64", "0-64", "1;2", "+1",
                                     "99999999999999999999" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    why = NULL;
    ok(idlist_parse(bad[i], 63, &l, &why) < 0 && why != NULL, "\"%s\" refused (%s)", bad[i], why ? why : "");
  }
}

/* Validate; returns NULL when accepted, else the error text (static). */
static const char *check(const char *mode, const char *nodes, char **flags, size_t nflags)
{
  static char msg[512];
  ocispec_memory_policy mp = { .mode = (char *) mode, .nodes = (char *) nodes, .flags = flags, .flags_len = nflags };
  struct mempolicy_plan plan;
  uoci_error *err = NULL;
  int r = mempolicy_plan_from_spec(&mp, &plan, &err);
  mempolicy_plan_release(&plan);
  if (r == 0)
    return NULL;
  snprintf(msg, sizeof msg, "%s", err ? err->msg : "(no message)");
  uoci_error_free(err);
  return msg;
}

#define FLAGS(...) ((char *[]) { __VA_ARGS__ }), (sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *))

static void test_rules(void)
{
  struct mempolicy_plan plan;
  uoci_error *err = NULL;
  ok(mempolicy_plan_from_spec(NULL, &plan, &err) == 0 && !plan.present, "no memoryPolicy: nothing to do");

  ok(check("MPOL_DEFAULT", NULL, NULL, 0) == NULL, "MPOL_DEFAULT without nodes");
  ok(check("MPOL_LOCAL", "", NULL, 0) == NULL, "MPOL_LOCAL with empty nodes");
  ok(check("MPOL_PREFERRED", NULL, NULL, 0) == NULL, "MPOL_PREFERRED without nodes (local allocation)");
  ok(check("MPOL_PREFERRED", "0", NULL, 0) == NULL, "MPOL_PREFERRED with a node");
  ok(check("MPOL_BIND", "0-1", FLAGS("MPOL_F_STATIC_NODES")) == NULL, "MPOL_BIND with static nodes");
  ok(check("MPOL_INTERLEAVE", "0,2", FLAGS("MPOL_F_RELATIVE_NODES")) == NULL, "MPOL_INTERLEAVE relative");
  ok(check("MPOL_WEIGHTED_INTERLEAVE", "0", NULL, 0) == NULL, "MPOL_WEIGHTED_INTERLEAVE");
  ok(check("MPOL_PREFERRED_MANY", "0", FLAGS("MPOL_F_NUMA_BALANCING")) == NULL, "MPOL_PREFERRED_MANY balancing");
  ok(check("MPOL_BIND", "0", FLAGS("MPOL_F_NUMA_BALANCING")) == NULL, "MPOL_BIND balancing");

  const char *m;
  m = check(NULL, NULL, NULL, 0);
  ok(m && strstr(m, ".linux.memoryPolicy.mode: required"), "mode is required (%s)", m);
  m = check("MPOL_FANCY", NULL, NULL, 0);
  ok(m && strstr(m, ".linux.memoryPolicy.mode: unknown mode \"MPOL_FANCY\""), "unknown mode (%s)", m);
  m = check("MPOL_BIND", "0", FLAGS("MPOL_F_STATIC_NODES", "MPOL_F_WHATEVER"));
  ok(m && strstr(m, ".linux.memoryPolicy.flags[1]: unknown flag \"MPOL_F_WHATEVER\""), "unknown flag (%s)", m);
  m = check("MPOL_BIND", "0-x", NULL, 0);
  ok(m && strstr(m, ".linux.memoryPolicy.nodes \"0-x\""), "bad node list (%s)", m);
  m = check("MPOL_BIND", "1024", NULL, 0);
  ok(m && strstr(m, "out of range"), "node beyond the kernel's maximum (%s)", m);
  m = check("MPOL_BIND", NULL, NULL, 0);
  ok(m && strstr(m, "MPOL_BIND needs at least one node"), "MPOL_BIND without nodes (%s)", m);
  m = check("MPOL_INTERLEAVE", "", NULL, 0);
  ok(m && strstr(m, "MPOL_INTERLEAVE needs at least one node"), "MPOL_INTERLEAVE without nodes (%s)", m);
  m = check("MPOL_DEFAULT", "0", NULL, 0);
  ok(m && strstr(m, "MPOL_DEFAULT takes no nodes"), "MPOL_DEFAULT with nodes (%s)", m);
  m = check("MPOL_LOCAL", "0", NULL, 0);
  ok(m && strstr(m, "MPOL_LOCAL takes no nodes"), "MPOL_LOCAL with nodes (%s)", m);
  m = check("MPOL_LOCAL", NULL, FLAGS("MPOL_F_STATIC_NODES"));
  ok(m && strstr(m, "MPOL_LOCAL takes no flags"), "MPOL_LOCAL with a flag (%s)", m);
  m = check("MPOL_BIND", "0", FLAGS("MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"));
  ok(m && strstr(m, "exclude each other"), "static and relative together (%s)", m);
  m = check("MPOL_PREFERRED", NULL, FLAGS("MPOL_F_STATIC_NODES"));
  ok(m && strstr(m, "need nodes"), "static nodes without nodes (%s)", m);
  m = check("MPOL_INTERLEAVE", "0", FLAGS("MPOL_F_NUMA_BALANCING"));
  ok(m && strstr(m, "MPOL_F_NUMA_BALANCING only goes with"), "balancing with interleave (%s)", m);
}

/* In a child: apply, then read the policy back with get_mempolicy. Returns
 * the mode read (flags included), or -errno of the apply. */
static int applied_mode(const char *mode, const char *nodes, char **flags, size_t nflags, unsigned long *mask_out)
{
  int pfd[2];
  if (pipe(pfd) < 0)
    return -1000;
  pid_t pid = fork();
  if (pid == 0) {
    ocispec_memory_policy mp = { .mode = (char *) mode, .nodes = (char *) nodes, .flags = flags, .flags_len = nflags };
    struct mempolicy_plan plan;
    uoci_error *err = NULL;
    int res[2] = { -1, 0 };
    unsigned long mask[1024 / IDLIST_WORD_BITS] = { 0 };
    if (mempolicy_plan_from_spec(&mp, &plan, &err) < 0 || mempolicy_apply(&plan, &err) < 0)
      res[0] = -(err ? err->errnum : 1);
    else if (syscall(SYS_get_mempolicy, &res[0], mask, 1025, NULL, 0) < 0)
      res[0] = -1001;
    res[1] = (int) mask[0];
    if (write(pfd[1], res, sizeof res) != sizeof res)
      _exit(2);
    _exit(0);
  }
  close(pfd[1]);
  int res[2] = { -1002, 0 };
  if (read(pfd[0], res, sizeof res) != sizeof res)
    res[0] = -1003;
  close(pfd[0]);
  waitpid(pid, NULL, 0);
  if (mask_out)
    *mask_out = (unsigned long) res[1];
  return res[0];
}

static void test_apply(void)
{
  unsigned long mask = 0;
  is_int(applied_mode("MPOL_BIND", "0", NULL, 0, &mask), 2, "MPOL_BIND set (get_mempolicy reads 2)");
  is_int(mask, 1, "on node 0");
  is_int(applied_mode("MPOL_INTERLEAVE", "0", FLAGS("MPOL_F_STATIC_NODES"), NULL), 3 | (1 << 15), "INTERLEAVE | STATIC_NODES");
  int m = applied_mode("MPOL_PREFERRED", NULL, NULL, 0, NULL);
  ok(m == 1 || m == 4, "PREFERRED without nodes: local allocation (kernels since 5.x read it back as MPOL_LOCAL, %d)", m);
  is_int(applied_mode("MPOL_DEFAULT", NULL, NULL, 0, NULL), 0, "DEFAULT");
  /* node 1000 exists on no test machine: the kernel's EINVAL, with context */
  is_int(applied_mode("MPOL_BIND", "1000", NULL, 0, NULL), -EINVAL, "a node the host lacks fails with EINVAL");
}

int main(void)
{
  test_idlist();
  test_rules();
  test_apply();
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_process.c - the process plan's checks of process.scheduler and
 * process.execCPUAffinity (made in the parent, before anything starts), and
 * both applied for real in forked children. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp_lib.h> /* libseccomp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "process.h"
#include "tap.h"
#include "utils.h"

static char *args[] = { "true", NULL };

static ocispec_process base_process(void)
{
  return (ocispec_process) { .args = args, .args_len = 1, .cwd = "/" };
}

/* process_plan_init's error text, or NULL when it accepts. */
static const char *plan_error(ocispec_process *p)
{
  static char msg[512];
  struct process_plan plan;
  uoci_error *err = NULL;
  int r = process_plan_init(p, NULL, 0, false, &plan, &err);
  process_plan_release(&plan);
  if (r == 0)
    return NULL;
  snprintf(msg, sizeof msg, "%s", err->msg);
  uoci_error_free(err);
  return msg;
}

static const char *sched_error(ocispec_scheduler s)
{
  ocispec_process p = base_process();
  p.scheduler = &s;
  return plan_error(&p);
}

#define FLAGS(...) .flags = ((char *[]) { __VA_ARGS__ }), .flags_len = sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *)

static void test_scheduler_rules(void)
{
  ok(sched_error((ocispec_scheduler) { .policy = "SCHED_OTHER", .nice = 5, .has_nice = true }) == NULL, "SCHED_OTHER with nice");
  ok(sched_error((ocispec_scheduler) { .policy = "SCHED_FIFO", .priority = 10, .has_priority = true }) == NULL, "SCHED_FIFO 10");
  ok(sched_error((ocispec_scheduler) { .policy = "SCHED_RR", .priority = 99, .has_priority = true,
                                       FLAGS("SCHED_FLAG_RESET_ON_FORK") }) == NULL, "SCHED_RR 99 reset-on-fork");
  ok(sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 1000000, .deadline = 5000000,
                                       .period = 10000000 }) == NULL, "SCHED_DEADLINE 1/5/10 ms");
  ok(sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 1000000, .deadline = 5000000 }) == NULL,
     "SCHED_DEADLINE without a period (the deadline)");

  const char *m;
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_ISO" });
  ok(m && strstr(m, ".process.scheduler.policy: SCHED_ISO is not a Linux scheduling policy"), "SCHED_ISO (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_FAST" });
  ok(m && strstr(m, "unknown policy \"SCHED_FAST\""), "unknown policy (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_FIFO" });
  ok(m && strstr(m, ".process.scheduler.priority: SCHED_FIFO needs a priority from 1 to 99, got 0"), "FIFO without priority (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_OTHER", .priority = 3, .has_priority = true });
  ok(m && strstr(m, "only SCHED_FIFO and SCHED_RR take a priority"), "priority with SCHED_OTHER (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_OTHER", .nice = 20, .has_nice = true });
  ok(m && strstr(m, ".process.scheduler.nice: 20 out of range"), "nice 20 (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_OTHER", FLAGS("SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_TURBO") });
  ok(m && strstr(m, ".process.scheduler.flags[1]: unknown flag \"SCHED_FLAG_TURBO\""), "unknown flag (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 6000000, .deadline = 5000000 });
  ok(m && strstr(m, ".process.scheduler.runtime: 6000000 ns must be <= the deadline, 5000000 ns"),
     "runtime above deadline (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE" });
  ok(m && strstr(m, ".process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns"),
     "deadline without runtime (%s)", m);
  /* what the kernel's __checkparam_dl refuses, each named before the init
   * starts (the init's sched_setattr could only say EINVAL) */
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 1023, .deadline = 10000000 });
  ok(m && strstr(m, ".process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns (the kernel's "
                    "resolution), got 1023"), "runtime below 1024 ns (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 10000000, .period = 20000000 });
  ok(m && strstr(m, ".process.scheduler.deadline: SCHED_DEADLINE needs a deadline"), "no deadline (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 10000000, .deadline = 30000000,
                                        .period = 20000000 });
  ok(m && strstr(m, ".process.scheduler.deadline: 30000000 ns must be <= the period, 20000000 ns"),
     "deadline above period (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = UINT64_C(9223372036854775809),
                                        .deadline = UINT64_C(9223372036854775810) });
  ok(m && strstr(m, ".process.scheduler.runtime: 9223372036854775809 ns is above the kernel's limit"),
     "runtime with the top bit (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 1024, .deadline = 1024 });
  ok(m && strstr(m, ".process.scheduler.deadline: 1024 ns is outside the kernel's period range"),
     "period (the deadline) below sched_deadline_period_min_us (%s)", m);
  FILE *f = fopen("/proc/sys/kernel/sched_deadline_period_max_us", "r");
  unsigned long long max_us = 0;
  if (f && fscanf(f, "%llu", &max_us) == 1 && max_us < UINT64_MAX / 1000 - 1) {
    uint64_t over = (uint64_t) (max_us + 1) * 1000;
    m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE", .runtime = 1000000, .deadline = 5000000,
                                          .period = over });
    ok(m && strstr(m, ".process.scheduler.period: ") && strstr(m, "outside the kernel's period range"),
       "period above sched_deadline_period_max_us (%s)", m);
  } else {
    ok(1, "# SKIP no kernel.sched_deadline_period_max_us");
  }
  if (f)
    fclose(f);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_OTHER", .runtime = 1 });
  ok(m && strstr(m, "runtime, deadline and period are for SCHED_DEADLINE only"), "runtime with SCHED_OTHER (%s)", m);
}

static void test_affinity_rules(void)
{
  ocispec_process p = base_process();
  ocispec_exec_cpu_affinity a = { .initial = "0", .final = "0-1,3" };
  p.exec_cpu_affinity = &a;
  struct process_plan plan;
  uoci_error *err = NULL;
  ok(process_plan_init(&p, NULL, 0, false, &plan, &err) == 0, "execCPUAffinity 0 / 0-1,3");
  ok(plan.cpus_initial.count == 1 && plan.cpus_final.count == 3 && idlist_has(&plan.cpus_final, 3), "parsed");
  process_plan_release(&plan);
  a = (ocispec_exec_cpu_affinity) { .final = "1-0" };
  const char *m = plan_error(&p);
  ok(m && strstr(m, ".process.execCPUAffinity.final \"1-0\": range end is before its start"), "bad final (%s)", m);
  a = (ocispec_exec_cpu_affinity) { .initial = "x" };
  m = plan_error(&p);
  ok(m && strstr(m, ".process.execCPUAffinity.initial \"x\""), "bad initial (%s)", m);
}

/* In a child: apply the plan's privileged settings, report what the
 * kernel then says (policy, nice). */
static void child_sched(ocispec_scheduler s, int *policy, int *nice, int *err_no)
{
  int pfd[2];
  if (pipe(pfd) < 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    ocispec_process p = base_process();
    p.scheduler = &s;
    struct process_plan plan;
    uoci_error *err = NULL;
    int res[3] = { -1, 0, 0 };
    if (process_plan_init(&p, NULL, 0, false, &plan, &err) < 0 || process_apply_privileged(&plan, &err) < 0) {
      res[2] = err ? err->errnum : -1;
    } else {
      res[0] = sched_getscheduler(0);
      errno = 0;
      res[1] = getpriority(PRIO_PROCESS, 0);
    }
    (void) !write(pfd[1], res, sizeof res);
    _exit(0);
  }
  close(pfd[1]);
  int res[3] = { -2, 0, 0 };
  (void) !read(pfd[0], res, sizeof res);
  close(pfd[0]);
  waitpid(pid, NULL, 0);
  *policy = res[0];
  *nice = res[1];
  *err_no = res[2];
}

static void test_scheduler_applied(void)
{
  int policy, nice, e;
  child_sched((ocispec_scheduler) { .policy = "SCHED_BATCH", .nice = 7, .has_nice = true }, &policy, &nice, &e);
  is_int(policy, SCHED_BATCH, "SCHED_BATCH applied");
  is_int(nice, 7, "with nice 7");
  child_sched((ocispec_scheduler) { .policy = "SCHED_IDLE" }, &policy, &nice, &e);
  is_int(policy, SCHED_IDLE, "SCHED_IDLE applied");
  /* Real-time policies depend on this machine's RT group scheduling and
   * the cgroup the test runs in: the integration tests cover them. */
}

/* In a child: fds 10..20 open, process_close_fds_except(11, keep) with
 * keep = 12 (twice), 15, -1, 2 (below first) and the report pipe; a bit
 * for each of 10..20 still open. no_close_range: the /proc/self/fd way
 * (close_range refused as on kernels before 5.9). */
static unsigned fds_left_open(bool no_close_range, int *err_no)
{
  int pfd[2];
  if (pipe(pfd) < 0)
    return 0;
  pid_t pid = fork();
  if (pid == 0) {
    unsigned res[2] = { 0, 0 };
    int null = open("/dev/null", O_RDONLY);
    for (int fd = 10; fd <= 20; fd++)
      dup2(null, fd);
    if (no_close_range) {
      scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range), 0) < 0 ||
          seccomp_load(ctx) < 0)
        _exit(2);
    }
    int keep[] = { 15, 12, -1, pfd[1], 2, 12 };
    uoci_error *err = NULL;
    if (process_close_fds_except(11, keep, ARRAY_SIZE(keep), &err) < 0)
      res[1] = err && err->errnum ? (unsigned) err->errnum : 1;
    for (int fd = 10; fd <= 20; fd++)
      if (fcntl(fd, F_GETFD) >= 0)
        res[0] |= 1u << (fd - 10);
    (void) !write(pfd[1], res, sizeof res);
    _exit(0);
  }
  close(pfd[1]);
  unsigned res[2] = { 0, 99 };
  (void) !read(pfd[0], res, sizeof res);
  close(pfd[0]);
  waitpid(pid, NULL, 0);
  *err_no = (int) res[1];
  return res[0];
}

static void test_close_fds_except(void)
{
  /* 10 (below first), 12 and 15 (kept) */
  unsigned want = 1u << 0 | 1u << 2 | 1u << 5;
  int e;
  unsigned got = fds_left_open(false, &e);
  ok(got == want && e == 0, "close_range: only 10, 12 and 15 of 10..20 stay open (mask 0x%x, error %d)", got, e);
  got = fds_left_open(true, &e);
  ok(got == want && e == 0, "without close_range: the same through /proc/self/fd (mask 0x%x, error %d)", got, e);
}

int main(void)
{
  test_scheduler_rules();
  test_affinity_rules();
  test_scheduler_applied();
  test_close_fds_except();
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_process.c - the process plan's checks of process.scheduler and
 * process.execCPUAffinity (made in the parent, before anything starts), and
 * both applied for real in forked children. */
#include "config.h"
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
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
  ok(m && strstr(m, "SCHED_DEADLINE needs 0 < runtime <= deadline <= period"), "runtime above deadline (%s)", m);
  m = sched_error((ocispec_scheduler) { .policy = "SCHED_DEADLINE" });
  ok(m && strstr(m, "SCHED_DEADLINE needs"), "deadline without runtime (%s)", m);
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

int main(void)
{
  test_scheduler_rules();
  test_affinity_rules();
  test_scheduler_applied();
  return done_testing();
}

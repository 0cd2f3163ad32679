/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.c - see process.h */
#include "config.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include "exectramp.h"
#include "fault.h"
#include "log.h"
#include "lsm.h"
#include "pathsafe.h"
#include "process.h"
#include "selfexe.h"
#include "sync.h"
#include "userdb.h"
#include "utils.h"

static const struct { const char *name; int resource; } rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int rlimit_resource(const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
    if (name && strcmp(rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}


/* ---- process.scheduler ------------------------------------------------------ */

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

static const struct { const char *name; int policy; } sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_IDLE", SCHED_IDLE }, { "SCHED_DEADLINE", SCHED_DEADLINE },
  /* SCHED_ISO is in the spec's list but only ever existed in out-of-tree
   * patches: no Linux kernel has it (plan_scheduler refuses it). */
};

static const struct { const char *name; uint64_t flag; } sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },       { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },   { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

#define SCHED_PATH "config.json: .process.scheduler"

/* The kernel's limit of a SCHED_DEADLINE period, in ns (sysctl
 * kernel.sched_deadline_period_{min,max}_us); 0 when it cannot be read
 * (then sched_setattr is the judge). */
static uint64_t deadline_period_limit_ns(const char *which)
{
  char path[64], text[32] = "", *end;
  snprintf(path, sizeof path, "/proc/sys/kernel/sched_deadline_period_%s_us", which);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read_all(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0)
    return 0;
  text[n] = '\0';
  unsigned long long us = strtoull(text, &end, 10);
  return end != text ? (uint64_t) us * 1000 : 0;
}

/* sched(7) and the kernel's __checkparam_dl: 1024 ns <= runtime <= deadline
 * <= period (0: the deadline) within the period sysctls, no value with the
 * top bit set. Checked here, each error naming its field, because the init's
 * sched_setattr could only say EINVAL. */
static int check_deadline(const ocispec_scheduler *s, uoci_error **err)
{
  const uint64_t top = UINT64_C(1) << 63;
  if (s->runtime & top || s->deadline & top || s->period & top)
    return uoci_fail(err, 0, SCHED_PATH ".%s: %llu ns is above the kernel's limit (2^63 - 1)",
                     s->runtime & top ? "runtime" : s->deadline & top ? "deadline" : "period",
                     (unsigned long long) (s->runtime & top ? s->runtime : s->deadline & top ? s->deadline : s->period));
  if (s->runtime < 1024)
    return uoci_fail(err, 0, SCHED_PATH ".runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns (the kernel's "
                     "resolution), got %llu", (unsigned long long) s->runtime);
  if (s->deadline == 0)
    return uoci_fail(err, 0, SCHED_PATH ".deadline: SCHED_DEADLINE needs a deadline (ns)");
  if (s->runtime > s->deadline)
    return uoci_fail(err, 0, SCHED_PATH ".runtime: %llu ns must be <= the deadline, %llu ns",
                     (unsigned long long) s->runtime, (unsigned long long) s->deadline);
  if (s->period && s->deadline > s->period)
    return uoci_fail(err, 0, SCHED_PATH ".deadline: %llu ns must be <= the period, %llu ns",
                     (unsigned long long) s->deadline, (unsigned long long) s->period);
  uint64_t period = s->period ? s->period : s->deadline;
  uint64_t min = deadline_period_limit_ns("min"), max = deadline_period_limit_ns("max");
  if ((min && period < min) || (max && period > max))
    return uoci_fail(err, 0, SCHED_PATH ".%s: %llu ns is outside the kernel's period range %llu..%llu ns "
                     "(sysctl kernel.sched_deadline_period_min_us/max_us)", s->period ? "period" : "deadline",
                     (unsigned long long) period, (unsigned long long) min, (unsigned long long) max);
  return 0;
}

/* Parent: the whole sched_attr, checked against sched(7)'s rules so that a
 * bad value is reported before anything starts. */
static int plan_scheduler(const ocispec_scheduler *s, struct process_sched_attr *a, uoci_error **err)
{
  memset(a, 0, sizeof *a);
  a->size = sizeof *a;
  int policy = -1;
  for (size_t i = 0; i < ARRAY_SIZE(sched_policies); i++)
    if (s->policy && strcmp(s->policy, sched_policies[i].name) == 0)
      policy = sched_policies[i].policy;
  if (s->policy && strcmp(s->policy, "SCHED_ISO") == 0)
    return uoci_fail(err, 0, SCHED_PATH ".policy: SCHED_ISO is not a Linux scheduling policy");
  if (policy < 0)
    return uoci_fail(err, 0, SCHED_PATH ".policy: unknown policy \"%s\"", s->policy ? s->policy : "");
  a->sched_policy = (uint32_t) policy;
  for (size_t i = 0; i < s->flags_len; i++) {
    size_t k = 0;
    while (k < ARRAY_SIZE(sched_flags) && strcmp(sched_flags[k].name, s->flags[i]) != 0)
      k++;
    if (k == ARRAY_SIZE(sched_flags))
      return uoci_fail(err, 0, SCHED_PATH ".flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
    a->sched_flags |= sched_flags[k].flag;
  }
  bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
  int prio = s->has_priority ? s->priority : 0;
  if (rt && (prio < 1 || prio > 99))
    return uoci_fail(err, 0, SCHED_PATH ".priority: %s needs a priority from 1 to 99, got %d", s->policy, prio);
  if (!rt && prio != 0)
    return uoci_fail(err, 0, SCHED_PATH ".priority: only SCHED_FIFO and SCHED_RR take a priority, got %d", prio);
  a->sched_priority = (uint32_t) prio;
  int nice = s->has_nice ? s->nice : 0;
  if (nice < -20 || nice > 19)
    return uoci_fail(err, 0, SCHED_PATH ".nice: %d out of range (-20 to 19)", nice);
  a->sched_nice = nice;
  if (policy == SCHED_DEADLINE) {
    if (check_deadline(s, err) < 0)
      return -1;
    a->sched_runtime = s->runtime;
    a->sched_deadline = s->deadline;
    a->sched_period = s->period;
  } else if (s->runtime || s->deadline || s->period) {
    return uoci_fail(err, 0, SCHED_PATH ": runtime, deadline and period are for SCHED_DEADLINE only");
  }
  return 0;
}

/* pid 0: the caller */
static int apply_scheduler(const struct process_plan *plan, pid_t pid, uoci_error **err)
{
  const ocispec_scheduler *s = plan->proc->scheduler;
  struct process_sched_attr a = plan->sched;
  /* the nice value matters for the fair policies only; set it for every
   * policy, so that a later switch to SCHED_OTHER keeps it */
  if (s->has_nice && setpriority(PRIO_PROCESS, (id_t) pid, s->nice) < 0)
    return uoci_fail(err, errno, "process.scheduler: set nice %d", s->nice);
  if (syscall(SYS_sched_setattr, pid, &a, 0) < 0) {
    int e = errno;
    bool rt = a.sched_policy == SCHED_FIFO || a.sched_policy == SCHED_RR || a.sched_policy == SCHED_DEADLINE;
    return uoci_fail(err, e, "process.scheduler: set policy %s%s", s->policy,
                     e == EPERM && a.sched_policy == SCHED_DEADLINE
                       ? " (SCHED_DEADLINE needs CAP_SYS_NICE and every CPU of the scheduling domain in the "
                         "process's affinity: the process scheduler can't be used together with AllowedCPUs, "
                         "a cpuset linux.resources.cpu.cpus or execCPUAffinity leaving some out)"
                     : e == EPERM && rt ? " (a real-time policy needs CAP_SYS_NICE and, with RT group scheduling, "
                                          "a cgroup with cpu.rt_runtime_us > 0: linux.resources.cpu.realtimeRuntime)"
                     : e == EBUSY ? " (not enough SCHED_DEADLINE bandwidth left on these CPUs)" : "");
  }
  return 0;
}

int process_apply_scheduler_to(const struct process_plan *plan, pid_t pid, uoci_error **err)
{
  return apply_scheduler(plan, pid, err);
}

/* ---- process.execCPUAffinity ---------------------------------------------- */

/* The kernel's CPU numbers go up to CONFIG_NR_CPUS (8192 at most on x86). */
#define MAX_CPU_ID 8191

static int cpu_list(const char *list, const char *field, struct idlist *out, uoci_error **err)
{
  const char *why = NULL;
  if (idlist_parse(list, MAX_CPU_ID, out, &why) < 0)
    return uoci_fail(err, 0, "config.json: .process.execCPUAffinity.%s \"%s\": %s", field, list, why);
  return 0;
}

static int cpu_affinity_from_spec(const ocispec_exec_cpu_affinity *a, struct process_plan *plan, uoci_error **err)
{
  if (a->initial && cpu_list(a->initial, "initial", &plan->cpus_initial, err) < 0)
    return -1;
  if (a->final && cpu_list(a->final, "final", &plan->cpus_final, err) < 0)
    return -1;
  return 0;
}

static int set_affinity(const struct idlist *cpus, const char *field, uoci_error **err)
{
  if (cpus->count == 0)
    return 0;
  if (sched_setaffinity(0, cpus->nwords * sizeof *cpus->bits, (const cpu_set_t *) cpus->bits) < 0)
    return uoci_fail(err, errno, "process.execCPUAffinity.%s: set CPU affinity%s", field,
                     errno == EINVAL ? " (no CPU of the list is online and in the cgroup's cpuset)" : "");
  return 0;
}

int process_reset_cpu_affinity(uoci_error **err)
{
  unsigned long all[8192 / (8 * sizeof(unsigned long))]; /* any CPU of up to 8192 */
  memset(all, 0xff, sizeof all);
  if (sched_setaffinity(0, sizeof all, (const cpu_set_t *) all) < 0)
    return uoci_fail(err, errno, "reset the CPU affinity the runtime was started with");
  return 0;
}

int process_apply_cpus_initial(const struct process_plan *plan, uoci_error **err)
{
  return set_affinity(&plan->cpus_initial, "initial", err);
}

int process_apply_cpus_final(const struct process_plan *plan, uoci_error **err)
{
  return set_affinity(&plan->cpus_final, "final", err);
}

/* 4294967295 is (uid_t) -1, which setresuid/setresgid take as "leave
 * unchanged": the process would run as the runtime's root. setgroups takes
 * at most USERDB_GROUPS_MAX groups and refuses -1. */
static int check_user(const ocispec_user *u, uoci_error **err)
{
  if (u == NULL)
    return 0;
  if (u->has_uid && u->uid == (uint32_t) -1)
    return uoci_fail(err, 0, "config.json: .process.user.uid: 4294967295 is not a valid uid");
  if (u->has_gid && u->gid == (uint32_t) -1)
    return uoci_fail(err, 0, "config.json: .process.user.gid: 4294967295 is not a valid gid");
  if (u->additional_gids_len > USERDB_GROUPS_MAX)
    return uoci_fail(err, 0, "config.json: .process.user.additionalGids: %zu groups, at most %d", u->additional_gids_len,
                     USERDB_GROUPS_MAX);
  for (size_t i = 0; i < u->additional_gids_len; i++)
    if (u->additional_gids[i] == (uint32_t) -1)
      return uoci_fail(err, 0, "config.json: .process.user.additionalGids[%zu]: 4294967295 is not a valid gid", i);
  return 0;
}

int process_plan_init(const ocispec_process *p, const ocispec_seccomp *sc, int preserve_fds, bool own_userns,
                      struct process_plan *plan, uoci_error **err)
{
  memset(plan, 0, sizeof *plan);
  plan->listener_sync_fd = plan->tramp_fd = plan->report_fd = -1;
  plan->proc = p;
  plan->preserve_fds = preserve_fds;
  if (p == NULL)
    return uoci_fail(err, 0, "config.json: .process: required to run a container");
  if (p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
    return uoci_fail(err, 0, "config.json: .process.args: must contain at least one element");
  if (p->cwd == NULL || p->cwd[0] != '/')
    return uoci_fail(err, 0, "config.json: .process.cwd: must be an absolute path, got \"%s\"",
                     p->cwd ? p->cwd : "");
  if (check_user(p->user, err) < 0)
    return -1;
  for (size_t i = 0; i < p->rlimits_len; i++) {
    const ocispec_rlimit *r = &p->rlimits[i];
    if (rlimit_resource(r->type) < 0)
      return uoci_fail(err, 0, "config.json: .process.rlimits[%zu].type: unknown rlimit \"%s\"", i,
                       r->type ? r->type : "");
    if (r->soft > r->hard)
      return uoci_fail(err, 0, "config.json: .process.rlimits[%zu]: soft limit %llu exceeds hard limit %llu", i,
                       (unsigned long long) r->soft, (unsigned long long) r->hard);
    for (size_t j = 0; j < i; j++)
      if (strcmp(p->rlimits[j].type, r->type) == 0)
        return uoci_fail(err, 0, "config.json: .process.rlimits[%zu].type: duplicate rlimit \"%s\"", i, r->type);
  }
  if (p->capabilities) {
    caps_plan_from_spec(p->capabilities, caps_grantable(own_userns), &plan->caps);
    for (char **w = plan->caps.warnings; w && *w; w++)
      log_warn("%s", *w);
  }
  if (p->exec_cpu_affinity && cpu_affinity_from_spec(p->exec_cpu_affinity, plan, err) < 0)
    return -1;
  if (p->scheduler && plan_scheduler(p->scheduler, &plan->sched, err) < 0)
    return -1;
  if (lsm_check(p, NULL, err) < 0)
    return -1;
  if (sc && seccomp_compile(sc, &plan->seccomp, err) < 0)
    return -1;
  const char *lf = getenv("LISTEN_FDS");
  unsigned long long n;
  if (lf && parse_uint64(lf, &n) == 0 && n > 0 && n < 1024) {
    plan->listen_fds = (int) n;
    if (plan->preserve_fds < plan->listen_fds)
      plan->preserve_fds = plan->listen_fds;
  }
  return 0;
}

void process_plan_release(struct process_plan *plan)
{
  idlist_release(&plan->cpus_initial);
  idlist_release(&plan->cpus_final);
  if (plan->seccomp)
    seccomp_free(plan->seccomp);
  plan->seccomp = NULL;
  caps_plan_release(&plan->caps);
}

static int apply_io_priority(const ocispec_io_priority *io, uoci_error **err)
{
  static const char *const classes[] = { "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                         "IOPRIO_CLASS_IDLE" };
  int cls = -1;
  for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
    if (io->class && strcmp(io->class, classes[i]) == 0)
      cls = (int) i;
  if (cls < 0)
    return uoci_fail(err, 0, "process.ioPriority.class: unknown class \"%s\"", io->class ? io->class : "");
  int prio = io->has_priority ? io->priority : 0;
  if (prio < 0 || prio > 7)
    return uoci_fail(err, 0, "process.ioPriority.priority: %d out of range 0-7", prio);
  if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (cls << 13) | prio) < 0)
    return uoci_fail(err, errno, "set io priority");
  return 0;
}

int process_apply_personality(const ocispec_personality *pers, uoci_error **err)
{
  if (pers == NULL)
    return 0;
  unsigned long persona;
  if (pers->domain && strcmp(pers->domain, "LINUX") == 0)
    persona = PER_LINUX;
  else if (pers->domain && strcmp(pers->domain, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return uoci_fail(err, 0, "linux.personality.domain: unknown domain \"%s\"", pers->domain ? pers->domain : "");
  /* The spec defines no flags yet: refuse any rather than ignore them. */
  if (pers->flags_len)
    return uoci_fail(err, 0, "linux.personality.flags: unsupported flag \"%s\"", pers->flags[0]);
  if (personality(persona) < 0)
    return uoci_fail(err, errno, "set personality %s", pers->domain);
  return 0;
}

static int write_oom_score_adj(const ocispec_process *p, uoci_error **err)
{
  if (!p->has_oom_score_adj)
    return 0;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
  _cleanup_close_ int fd = proc_self_open("oom_score_adj", O_WRONLY, err);
  if (fd < 0)
    return uoci_error_prefix(err, "process.oomScoreAdj");
  if (write_all(fd, buf, (size_t) n) < 0)
    return uoci_fail(err, errno, "process.oomScoreAdj: write /proc/self/oom_score_adj");
  return 0;
}

int process_apply_proc_self(struct process_plan *plan, uoci_error **err)
{
  if (write_oom_score_adj(plan->proc, err) < 0 || lsm_apply_exec_labels(plan->proc, err) < 0)
    return -1;
  plan->proc_self_done = true;
  return 0;
}

/* A server config asking for more open files than the runtime's hard limit
 * fails with a bare EPERM: say which entry, and what the limit is, since
 * only CAP_SYS_RESOURCE (often missing from the bounding set) raises it. */
static int rlimit_failure(const ocispec_process *p, size_t i, int errnum, uoci_error **err)
{
  const ocispec_rlimit *r = &p->rlimits[i];
  struct rlimit now;
  if (errnum == EPERM && getrlimit(rlimit_resource(r->type), &now) == 0 && now.rlim_max != RLIM_INFINITY &&
      r->hard > now.rlim_max)
    return uoci_fail(err, errnum,
                     "process.rlimits[%zu]: set %s to %llu/%llu: the hard limit here is %llu, and raising it needs "
                     "CAP_SYS_RESOURCE",
                     i, r->type, (unsigned long long) r->soft, (unsigned long long) r->hard,
                     (unsigned long long) now.rlim_max);
  return uoci_fail(err, errnum, "process.rlimits[%zu]: set %s to %llu/%llu", i, r->type, (unsigned long long) r->soft,
                   (unsigned long long) r->hard);
}

int process_apply_privileged(const struct process_plan *plan, uoci_error **err)
{
  const ocispec_process *p = plan->proc;
  /* The caller's fd limit, unless process.rlimits sets one (main raised ours). */
  rlimit_nofile_restore();
  for (size_t i = 0; i < p->rlimits_len; i++) {
    struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
    if (setrlimit(rlimit_resource(p->rlimits[i].type), &rl) < 0)
      return rlimit_failure(p, i, errno, err);
  }
  if (!plan->proc_self_done && write_oom_score_adj(p, err) < 0)
    return -1;
  if (p->scheduler && !plan->sched_by_runtime && apply_scheduler(plan, 0, err) < 0)
    return -1;
  if (p->io_priority && apply_io_priority(p->io_priority, err) < 0)
    return -1;
  if (p->user && p->user->has_umask)
    umask(p->user->umask);
  return 0;
}

int process_chdir(const struct process_plan *plan, uoci_error **err)
{
  if (chdir(plan->proc->cwd) < 0)
    return uoci_fail(err, errno, "process.cwd %s", plan->proc->cwd);
  return 0;
}

/* HOME from the container's /etc/passwd when the config does not set it
 * (or sets it empty).
 * We are in the container's root already; the image (or, for exec, the
 * container) owns the file: a FIFO or /dev/zero there must not hang us. */
static char *home_for_uid(uid_t uid)
{
  _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return rootfd < 0 ? NULL : userdb_home_in_root(rootfd, (uint32_t) uid);
}

static bool same_env_key(const char *a, const char *b)
{
  while (*a && *a != '=' && *a == *b)
    a++, b++;
  return (*a == '\0' || *a == '=') && (*b == '\0' || *b == '=');
}

/* process.env with each KEY once: at its first place, with its last value.
 * runc sets the variables one by one (os.Setenv), so a repeated KEY takes
 * the last value; engines rely on it: podman's exec appends `-e KEY=VAL`
 * to the container's env, and getenv() would find the first. */
static char **build_env(const struct process_plan *plan, uid_t uid)
{
  const ocispec_process *p = plan->proc;
  size_t n = p->env_len;
  char **env = xcalloc(n + 4, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < k && !same_env_key(env[j], p->env[i]))
      j++;
    env[j] = p->env[i];
    if (j == k)
      k++;
  }
  /* An empty HOME counts as none (runc checks os.Getenv("HOME") == ""):
   * the user's home replaces it in place, so HOME stays once. */
  size_t h = 0;
  while (h < k && !same_env_key(env[h], "HOME"))
    h++;
  if (h == k || env[h][5] == '\0') {
    char *home = home_for_uid(uid);
    env[h] = xasprintf("HOME=%s", home ? home : "/");
    if (h == k)
      k++;
    free(home);
  }
  if (plan->listen_fds > 0) {
    env[k++] = xasprintf("LISTEN_FDS=%d", plan->listen_fds);
    env[k++] = xstrdup("LISTEN_PID=1");
  }
  return env;
}

static const char *env_get(char **env, const char *name)
{
  size_t len = strlen(name);
  for (; *env; env++)
    if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
      return *env + len + 1;
  return NULL;
}

/* Resolve args[0] against the container's PATH, as execvp would, but
 * reporting the real reason when nothing is found. */
static char *find_executable(const char *name, char **env, int *why)
{
  if (strchr(name, '/')) {
    *why = access(name, X_OK) == 0 ? 0 : errno;
    return xstrdup(name);
  }
  const char *path = env_get(env, "PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  _cleanup_free_ char *copy = xstrdup(path);
  char *save = NULL;
  *why = ENOENT;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(cand, X_OK) == 0) {
        *why = 0;
        return cand;
      }
      *why = EACCES;
    }
    free(cand);
  }
  return NULL;
}

static int set_user(const ocispec_user *u, uoci_error **err)
{
  uid_t uid = u && u->has_uid ? u->uid : 0;
  gid_t gid = u && u->has_gid ? u->gid : 0;
  size_t ngroups = u ? u->additional_gids_len : 0;
  gid_t *groups = ngroups ? (gid_t *) u->additional_gids : NULL;
  /* setgroups is denied in a user namespace whose /proc/PID/setgroups is
   * "deny" (rootless): then only an empty request may fail quietly. */
  if (setgroups(ngroups, groups) < 0 && !(errno == EPERM && ngroups == 0))
    return uoci_fail(err, errno, "setgroups");
  if (setresgid(gid, gid, gid) < 0)
    return uoci_fail(err, errno, "setgid %u", (unsigned) gid);
  if (setresuid(uid, uid, uid) < 0)
    return uoci_fail(err, errno, "setuid %u", (unsigned) uid);
  return 0;
}

static bool fd_kept(int fd, const int *keep, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

/* Kernels without close_range (< 5.9): every fd >= first but the kept ones,
 * one by one through /proc/self/fd, closed or marked close-on-exec. */
static int walk_fds_from(int first, const int *keep, size_t n, bool cloexec, uoci_error **err)
{
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return uoci_fail(err, errno, "list open fds");
  int self = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    unsigned long long fd;
    if (parse_uint64(de->d_name, &fd) < 0 || fd > INT_MAX || (int) fd < first || (int) fd == self ||
        fd_kept((int) fd, keep, n))
      continue;
    int fl = cloexec ? fcntl((int) fd, F_GETFD) : -1;
    if (!cloexec)
      close((int) fd);
    else if (fl >= 0)
      fcntl((int) fd, F_SETFD, fl | FD_CLOEXEC);
  }
  closedir(d);
  return 0;
}

/* Mark every fd >= first close-on-exec: close_range(CLOEXEC), or one by one
 * through /proc/self/fd on kernels without it. */
static int mark_cloexec_from(int first, uoci_error **err)
{
  if (syscall(SYS_close_range, first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
    return 0;
  return walk_fds_from(first, NULL, 0, true, err);
}

int process_close_fds_except(int first, int *keep, size_t n, uoci_error **err)
{
  /* sorted (a handful of fds: insertion sort), then close_range over the
   * gaps between them and above the last */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned lo = (unsigned) first;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && (keep[i] < first || (unsigned) keep[i] < lo))
      continue; /* -1, below first, or the same fd twice */
    unsigned hi = i < n ? (unsigned) keep[i] - 1 : ~0U;
    if (hi >= lo && syscall(SYS_close_range, lo, hi, 0) < 0)
      return walk_fds_from(first, keep, n, false, err);
    if (i < n)
      lo = (unsigned) keep[i] + 1;
  }
  return 0;
}

/* runc's fixStdioPermissions: the stdio an engine made for the process
 * (conmon's or containerd's shim's pipes, the pty we opened for
 * process.terminal) is handed to the process's user, so that a non-root
 * process can reopen /dev/stdout or use its terminal. Only the uid changes:
 * the pty keeps its tty group. Unlike runc, only anonymous pipes, sockets and
 * our own pty: a host file, FIFO or terminal given as stdio is never chowned
 * (that would change the host). Not ours to change (EPERM, an unmapped uid):
 * left as it is, as runc does. own_pty: stdio is already the pty we made
 * (init); before that it may be the caller's own terminal, never chowned.
 * exec's second child opens its pty as the user already. */
static void give_stdio_to_user(uid_t uid, bool own_pty)
{
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    struct statfs fs;
    if (fstat(fd, &st) < 0 || st.st_uid == uid || fstatfs(fd, &fs) < 0)
      continue;
    bool engine_made = fs.f_type == PIPEFS_MAGIC || fs.f_type == SOCKFS_MAGIC ||
                       (own_pty && fs.f_type == DEVPTS_SUPER_MAGIC && S_ISCHR(st.st_mode));
    if (engine_made)
      (void) !fchown(fd, uid, (gid_t) -1);
  }
}

/* Why execve (or the lookup before it) failed, in the words of runc's
 * errors (Go's errno texts, lower case): engines and runc's tests match
 * "exec /x: no such file or directory"; musl and glibc spell some of these
 * otherwise ("Symbolic link loop", "Out of memory"). */
static const char *exec_errno_text(int e)
{
  static const struct { int e; const char *text; } go[] = {
    { ENOENT, "no such file or directory" }, { EACCES, "permission denied" },
    { ENOEXEC, "exec format error" },        { ENOTDIR, "not a directory" },
    { E2BIG, "argument list too long" },     { ETXTBSY, "text file busy" },
    { ELOOP, "too many levels of symbolic links" }, { ENAMETOOLONG, "file name too long" },
    { ENOMEM, "cannot allocate memory" },    { EISDIR, "is a directory" },
    { EPERM, "operation not permitted" },    { EIO, "input/output error" },
    { ELIBBAD, "accessing a corrupted shared library" }, { EINVAL, "invalid argument" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(go); i++)
    if (go[i].e == e)
      return go[i].text;
  static char buf[128];
  snprintf(buf, sizeof buf, "%s", strerror(e));
  buf[0] = (char) tolower((unsigned char) buf[0]);
  return buf;
}

int process_fail_exec(uoci_error **err, int e, const char *program)
{
  bool had = *err != NULL;
  uoci_fail(err, 0, "exec %s: %s", program, exec_errno_text(e));
  if (!had)
    (*err)->errnum = e;
  return -1;
}

int process_resolve(struct process_plan *plan, uoci_error **err)
{
  const ocispec_process *p = plan->proc;
  uid_t uid = p->user && p->user->has_uid ? p->user->uid : 0;
  plan->envp = build_env(plan, uid);
  int why = 0;
  plan->exe = find_executable(p->args[0], plan->envp, &why);
  if (plan->exe == NULL || why != 0)
    return why ? process_fail_exec(err, why, p->args[0]) : uoci_fail(err, 0, "exec %s", p->args[0]);
  plan->argv = strv_terminated(p->args, p->args_len);
  return 0;
}

int process_send_notify_listener(struct process_plan *plan, int sync_fd, uoci_error **err)
{
  if (!seccomp_wants_notify(plan->seccomp))
    return 0;
  int fd = -1;
  int r = seccomp_install(plan->seccomp, &fd);
  if (r < 0)
    return uoci_fail(err, -r, "install seccomp filter");
  plan->seccomp_installed = true;
  if (fd < 0)
    return 0;
  if ((r = sync_send(sync_fd, SYNC_SECCOMP_FD, 0, NULL, 0)) < 0 || (r = sync_send_fd(sync_fd, fd, "seccomp")) < 0) {
    close(fd);
    return uoci_fail(err, -r, "send the seccomp listener fd to the runtime");
  }
  close(fd);
  return 0;
}

/* Load the filter; a notify filter's listener goes to listener_sync_fd. */
static int install_filter(struct process_plan *plan, uoci_error **err)
{
  if (seccomp_wants_notify(plan->seccomp) && plan->listener_sync_fd >= 0)
    return process_send_notify_listener(plan, plan->listener_sync_fd, err);
  int r = seccomp_install(plan->seccomp, NULL);
  if (r < 0)
    return uoci_fail(err, -r, "install seccomp filter");
  plan->seccomp_installed = true;
  return 0;
}

int process_drop_privileges(struct process_plan *plan, uoci_error **err)
{
  const ocispec_process *p = plan->proc;
  if (plan->privileges_dropped)
    return 0;
  if (plan->exe == NULL && process_resolve(plan, err) < 0)
    return -1;
  /* Nothing of the runtime survives exec (done first: a seccomp profile may
   * refuse close_range): everything above stdio and the
   * preserved fds is closed on exec (CVE-2024-21626 class). */
  for (int fd = 3; fd < 3 + plan->preserve_fds; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
      fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  if (mark_cloexec_from(3 + plan->preserve_fds, err) < 0)
    return -1;
  /* With a terminal, stdio before terminal_setup_child is the caller's, not
   * the process's: nothing to hand over (exec's pty comes later, opened by
   * the user itself). */
  bool terminal = p->has_terminal && p->terminal;
  if (p->user && p->user->uid != 0 && (!terminal || plan->stdio_is_own_pty))
    give_stdio_to_user(p->user->uid, plan->stdio_is_own_pty);
  /* Labels are written while /proc/self/attr is still writable by us. */
  if (!plan->proc_self_done && lsm_apply_exec_labels(p, err) < 0)
    return -1;
  /* Without no_new_privs the filter needs CAP_SYS_ADMIN to load: install it
   * before the capabilities go, as runc does. With no_new_privs, as late as
   * possible (process_exec) so the filter need only allow what follows. */
  bool nnp = p->has_no_new_privileges && p->no_new_privileges;
  if (plan->seccomp && !plan->seccomp_installed && !nnp && install_filter(plan, err) < 0)
    return -1;
  if (plan->caps.present && caps_prepare_for_setuid(&plan->caps, err) < 0)
    return -1;
  if (set_user(p->user, err) < 0)
    return -1;
  if (plan->caps.present && caps_apply(&plan->caps, err) < 0)
    return -1;
  /* A uid change resets dumpable to fs.suid_dumpable, which may be 1: the
   * runtime code that still runs must stay out of reach. */
  prctl(PR_SET_DUMPABLE, 0);
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return uoci_fail(err, errno, "set no_new_privs");
  plan->privileges_dropped = true;
  return 0;
}

int process_become(struct process_plan *plan, uoci_error **err)
{
  if (process_drop_privileges(plan, err) < 0)
    return -1;
  if (plan->seccomp && !plan->seccomp_installed && install_filter(plan, err) < 0)
    return -1;
  return 0;
}

int process_exec(struct process_plan *plan, uoci_error **err)
{
  const ocispec_process *p = plan->proc;
  /* Here, in the process that execs (in the container's pid namespace, where
   * /proc/self is what execve will resolve), and before a late seccomp
   * filter: the program must not be the runtime's binary. */
  if (selfexe_refuse_program(plan->exe, err) < 0 || process_become(plan, err) < 0)
    return -1;
  /* the window a container process could use to swap the program (tests) */
  FAULT_PAUSE("exec-checked");
  /* Through the trampoline, the execve that resolves the program runs from
   * a sealed memfd, not from the runtime's binary (exectramp.h). */
  if (plan->tramp_fd >= 0) {
    exectramp_exec(plan->tramp_fd, plan->exe, plan->argv, plan->envp, plan->report_fd);
    return uoci_fail(err, errno, "exec %s: start the exec trampoline", p->args[0]);
  }
  execve(plan->exe, plan->argv, plan->envp);
  return process_fail_exec(err, errno, p->args[0]);
}

static volatile sig_atomic_t forward_pid;

static void forward_signal(int sig)
{
  if (forward_pid > 0)
    kill(forward_pid, sig);
}

void process_forward_signals(pid_t pid)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  forward_pid = pid;
  struct sigaction sa = { .sa_handler = forward_signal };
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
    sigaction(sigs[i], &sa, NULL);
}

int process_wait(pid_t pid, uoci_error **err)
{
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return uoci_fail(err, errno, "wait for process %d", (int) pid);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

int signal_from_name(const char *s)
{
  static const struct { const char *name; int sig; } names[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },   { "TRAP", SIGTRAP },
    { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },     { "FPE", SIGFPE },   { "KILL", SIGKILL },
    { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
    { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CONT", SIGCONT }, { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },   { "URG", SIGURG },   { "XCPU", SIGXCPU },
    { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },   { "WINCH", SIGWINCH }, { "IO", SIGIO },
    { "POLL", SIGPOLL }, { "PWR", SIGPWR },       { "SYS", SIGSYS },
  };
  if (s == NULL || *s == '\0')
    return -1;
  unsigned long long n;
  if (parse_uint64(s, &n) == 0)
    return n <= (unsigned long long) SIGRTMAX ? (int) n : -1; /* 0: only whether it exists */
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    if (strcasecmp(name, names[i].name) == 0)
      return names[i].sig;
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    long long off = 0;
    if (name[5] && parse_int64(name + 5, &off) < 0)
      return -1;
    int sig = (strncasecmp(name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX) + (int) off;
    return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
  }
  return -1;
}

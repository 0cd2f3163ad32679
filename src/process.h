/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.h - the container process: everything in config.process applied by
 * the init (or by exec's child) just before execve, in the order the kernel
 * needs: rlimits/oom/scheduler while still privileged, then groups, gid, uid
 * (capabilities kept across it), capability sets, no_new_privs, seccomp,
 * fds closed, execve. */
#ifndef UOCI_PROCESS_H
#define UOCI_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "caps.h"
#include "error.h"
#include "idlist.h"
#include "ocispec.h"
#include "seccomp.h"

/* process.scheduler as sched_setattr(2) takes it (SCHED_ATTR_SIZE_VER1,
 * with the utilization clamps the UTIL_CLAMP flags read). */
struct process_sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

struct process_plan {
  const ocispec_process *proc;
  struct caps_plan caps;
  uoci_seccomp *seccomp;   /* compiled linux.seccomp, NULL when none */
  bool seccomp_installed;  /* installed earlier (notify profiles) */
  int listener_sync_fd;    /* exec: where a notify filter's listener goes once loaded (-1: none) */
  int preserve_fds;        /* extra fds kept after stdio: 3 .. 3+n-1 */
  int listen_fds;          /* LISTEN_FDS passed through (part of preserve_fds) */
  struct process_sched_attr sched; /* decided from process.scheduler (when given) */
  bool sched_by_runtime;   /* exec: a SCHED_DEADLINE or reset-on-fork policy, which the process that
                            * execs (a clone of the first child) would not inherit: the runtime sets it
                            * on that pid (process_apply_scheduler_to) */
  struct idlist cpus_initial, cpus_final; /* execCPUAffinity (empty: not given) */
  char *exe;               /* args[0] resolved in the container (process_resolve) */
  bool privileges_dropped; /* process_drop_privileges() done */
  bool proc_self_done;     /* process_apply_proc_self() done */
  bool stdio_is_own_pty;   /* stdio is the pty terminal_setup_child made (given to the user too) */
  char **argv, **envp;
  int tramp_fd;            /* the sealed exec trampoline to exec first (exectramp.h); -1: execve directly */
  int report_fd;           /* with tramp_fd: where the trampoline reports an execve failure */
};

/* Parent: validate and precompute (capability names, rlimit names, user).
 * own_userns: the process runs in a user namespace of the container's own
 * (decides which capabilities can be granted; the others are warned about
 * and left out). */
int process_plan_init(const ocispec_process *p, const ocispec_seccomp *sc, int preserve_fds, bool own_userns,
                      struct process_plan *plan, uoci_error **err);
void process_plan_release(struct process_plan *plan);

/* Child, still privileged: what is written through /proc/self
 * (oomScoreAdj, the LSM exec labels), at once. For exec's first child, which
 * must do it before joining the container's mount namespace: the /proc there
 * belongs to a pid namespace it is not in. Otherwise process_apply_privileged
 * writes oomScoreAdj and process_drop_privileges the labels. */
int process_apply_proc_self(struct process_plan *plan, uoci_error **err);

/* Child, still privileged: rlimits, oomScoreAdj, scheduler, ioPriority,
 * personality, umask. */
int process_apply_privileged(const struct process_plan *plan, uoci_error **err);

/* exec's child: process.execCPUAffinity. `initial` is set before the
 * process joins the container's cgroup, `final` after it (a v1 cpuset
 * attach resets the affinity to the cpuset's CPUs in between). The spec
 * does not apply it to the init. No-ops when not given. */
int process_apply_cpus_initial(const struct process_plan *plan, uoci_error **err);
/* Child: every CPU, which the kernel narrows to the cgroup's cpuset, so the
 * caller's affinity (taskset, a pinned shim) does not pass to the container
 * (runc 1.2.7+; since 6.2 the kernel keeps a task's own request across
 * cpuset moves, so the cgroup join alone does not undo it). */
int process_reset_cpu_affinity(uoci_error **err);
int process_apply_cpus_final(const struct process_plan *plan, uoci_error **err);

/* Runtime: process.scheduler on exec's process `pid` (plan->sched_by_runtime),
 * before it execs. */
int process_apply_scheduler_to(const struct process_plan *plan, pid_t pid, uoci_error **err);

/* Child: linux.personality (domain LINUX or LINUX32). */
int process_apply_personality(const ocispec_personality *pers, uoci_error **err);

/* Child: chdir to process.cwd (inside the container, after pivot). */
int process_chdir(const struct process_plan *plan, uoci_error **err);

/* Child, inside the new root: build the environment (HOME from /etc/passwd
 * when unset, LISTEN_FDS) and resolve args[0] against PATH, so a missing
 * executable fails `create`, not the later `start`. */
int process_resolve(struct process_plan *plan, uoci_error **err);

/* "exec PROGRAM: why", why in runc's words (Go's lower-case errno texts),
 * for an execve that failed with errno e: in the process that execs or, as
 * the exec trampoline reports it, in the runtime. Returns -1. */
int process_fail_exec(uoci_error **err, int e, const char *program);

/* Child (init and exec): a seccomp filter with SCMP_ACT_NOTIFY is loaded
 * now rather than just before execve, because its listener fd exists only
 * once the filter is loaded and must reach listenerPath before the process
 * can make a notified syscall: the fd goes to the runtime over the sync
 * socket (SYNC_SECCOMP_FD, then the fd), which passes it on. The filter is
 * loaded while the process still holds every capability, so it must allow
 * what the rest of the setup does (the seccomp module refuses NOTIFY on the
 * syscalls of this hand-off). No-op without a notify filter. */
int process_send_notify_listener(struct process_plan *plan, int sync_fd, uoci_error **err);

/* Child, first thing after the clone: close every fd >= first (3 + the
 * preserved fds) but the ones in keep[] (any order, -1s ignored; sorted in
 * place), so that no fd the caller of the runtime left open stays held by a
 * container that is not started yet (runc's init starts with only stdio,
 * the preserved fds and its own). close_range over the gaps, or one by one
 * through /proc/self/fd on kernels without it. */
int process_close_fds_except(int first, int *keep, size_t n, uoci_error **err);

/* Child: become the process as far as possible short of execve: fds marked
 * close-on-exec (but the preserved ones), LSM exec labels, a seccomp filter
 * without no_new_privs, groups/gid/uid, capabilities, no_new_privs. A notify
 * filter loaded here or in process_exec sends its listener to
 * plan->listener_sync_fd (process_send_notify_listener) when that is set. */
int process_drop_privileges(struct process_plan *plan, uoci_error **err);

/* Child: process_drop_privileges() unless done, then the seccomp filter if
 * not loaded yet: everything of the process but execve. */
int process_become(struct process_plan *plan, uoci_error **err);

/* Child: process_become(), execve. Returns only on failure. */
int process_exec(struct process_plan *plan, uoci_error **err);

/* Foreground run/exec: forward the usual terminal and job-control signals
 * to pid (0 stops forwarding). */
void process_forward_signals(pid_t pid);

/* Wait for pid (retrying EINTR): its exit status, or 128+signal when a
 * signal killed it; -1 with *err when waitpid fails. */
int process_wait(pid_t pid, uoci_error **err);

/* Signal numbers by name ("TERM", "SIGTERM", "15", "0"); -1 if unknown. */
int signal_from_name(const char *s);

#endif

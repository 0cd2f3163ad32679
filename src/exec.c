/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec.c - see exec.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup.h"
#include "exec.h"
#include "exectramp.h"
#include "log.h"
#include "mempolicy.h"
#include "namespaces.h"
#include "process.h"
#include "resctrl.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "fault.h"
#include "keyring.h"
#include "caps.h"
#include "selfexe.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static void replace_str(char **dst, const char *s)
{
  free(*dst);
  *dst = xstrdup(s);
}

/* "UID[:GID]" */
static int parse_user(const char *s, ocispec_process *p, uoci_error **err)
{
  unsigned long long uid, gid;
  _cleanup_free_ char *copy = xstrdup(s);
  char *colon = strchr(copy, ':');
  if (colon)
    *colon = '\0';
  if (parse_uint64(copy, &uid) < 0 || uid > UINT32_MAX || (colon && (parse_uint64(colon + 1, &gid) < 0 || gid > UINT32_MAX)))
    return uoci_fail(err, 0, "exec: --user: expected UID[:GID], got \"%s\"", s);
  if (p->user == NULL)
    p->user = xcalloc(1, sizeof *p->user);
  p->user->uid = (uint32_t) uid;
  p->user->has_uid = true;
  if (colon) {
    p->user->gid = (uint32_t) gid;
    p->user->has_gid = true;
  }
  return 0;
}

/* --env KEY=VALUE replaces KEY where the process has it (runc: the last
 * value wins), else is added. */
static void env_set(char ***env, size_t *n, const char *kv)
{
  size_t keylen = strcspn(kv, "=");
  for (size_t i = 0; i < *n; i++)
    if (strncmp((*env)[i], kv, keylen) == 0 && ((*env)[i][keylen] == '=' || (*env)[i][keylen] == '\0')) {
      replace_str(&(*env)[i], kv);
      return;
    }
  strv_append(env, n, kv);
}

static void add_to_set(char ***set, size_t *n, const char *cap)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*set)[i], cap) == 0)
      return;
  strv_append(set, n, cap);
}

/* The process to run: --process FILE, or the container's process with the
 * command line's changes. Returns an object to free with ocispec_process_free. */
static ocispec_process *build_process(struct exec_opts *o, ocispec_config *cfg, uoci_error **err)
{
  ocispec_process *p;
  if (o->process_file) {
    char *perr = NULL;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_input_file(o->process_file, INPUT_MAX_BYTES, &text, &len, err) < 0)
      return uoci_error_prefix(err, "exec: --process"), NULL;
    p = ocispec_parse(&ocispec_process_type, text, len, o->process_file, &perr);
    if (p == NULL) {
      uoci_fail(err, 0, "exec: %s", perr);
      free(perr);
      return NULL;
    }
  } else {
    p = cfg->process;
    cfg->process = NULL;
    if (p == NULL)
      p = xcalloc(1, sizeof *p);
    for (size_t i = 0; i < p->args_len; i++)
      free(p->args[i]);
    free(p->args);
    p->args = o->args;
    p->args_len = o->args_len;
    o->args = NULL;
    o->args_len = 0;
    p->terminal = o->tty;
    p->has_terminal = true;
    if (o->cwd)
      replace_str(&p->cwd, o->cwd);
    for (size_t i = 0; i < o->env_len; i++)
      env_set(&p->env, &p->env_len, o->env[i]);
    if (o->user && parse_user(o->user, p, err) < 0) {
      ocispec_process_free(p);
      return NULL;
    }
    if (o->gids_len) {
      if (p->user == NULL)
        p->user = xcalloc(1, sizeof *p->user);
      ocispec_user *u = p->user;
      u->additional_gids = xrealloc(u->additional_gids, (u->additional_gids_len + o->gids_len) * sizeof *u->additional_gids);
      memcpy(u->additional_gids + u->additional_gids_len, o->gids, o->gids_len * sizeof *o->gids);
      u->additional_gids_len += o->gids_len;
    }
    if (o->caps_len) {
      if (p->capabilities == NULL)
        p->capabilities = xcalloc(1, sizeof *p->capabilities);
      ocispec_capabilities *c = p->capabilities;
      for (size_t i = 0; i < o->caps_len; i++) {
        add_to_set(&c->bounding, &c->bounding_len, o->caps[i]);
        add_to_set(&c->effective, &c->effective_len, o->caps[i]);
        add_to_set(&c->permitted, &c->permitted_len, o->caps[i]);
        /* runc (1.2+) adds it to ambient too when the process has an
         * inheritable set, where it can take effect */
        if (c->inheritable)
          add_to_set(&c->ambient, &c->ambient_len, o->caps[i]);
      }
    }
    if (o->no_new_privs)
      p->no_new_privileges = p->has_no_new_privileges = true;
    if (o->process_label)
      replace_str(&p->selinux_label, o->process_label);
    if (o->apparmor)
      replace_str(&p->apparmor_profile, o->apparmor);
  }
  if (p->cwd == NULL)
    p->cwd = xstrdup("/");
  return p;
}

struct exec_ctx {
  struct process_plan plan;
  struct ns_plan ns;
  int pidfd;            /* the container's init; -1: ns holds an fd per namespace instead */
  uoci_cgroup *cg;
  bool cgroup_by_clone; /* the first child: clone3 placed it in the unified cgroup */
  const char *keyring;  /* the container's session keyring (NULL: it kept the caller's) */
  struct mempolicy_plan mempolicy; /* the container's linux.memoryPolicy */
  const ocispec_personality *personality; /* the container's linux.personality, as runc's exec */
  struct resctrl_plan rdt;         /* the container's linux.intelRdt */
  char *rdt_root;
  const ocispec_seccomp *seccomp_cfg;  /* for a notify listener: listenerPath, metadata */
  char *state_json;                   /* the container's state, sent with the listener fd */
  int sync_child;
  int console_fd;
  bool proxied; /* the terminal goes to our own foreground proxy */
};

static void __attribute__((noreturn)) exec_child_fail(struct exec_ctx *x, uoci_error *err)
{
  const char *msg = err && err->msg ? err->msg : "exec failed";
  sync_send(x->sync_child, SYNC_ERROR, 0, msg, strlen(msg));
  _exit(127);
}

/* The second child, in the container's pid namespace: already the process's
 * user with its capabilities and in every namespace; left are the terminal
 * (it must be this process's session), a seccomp filter with no_new_privs,
 * execve. */
static void __attribute__((noreturn)) exec_second_child(struct exec_ctx *x)
{
  uoci_error *err = NULL;
  if (x->plan.sched_by_runtime) {
    /* the runtime sets process.scheduler on us first (SYNC_START) */
    struct sync_hdr h;
    char b[64];
    if (sync_recv(x->sync_child, &h, b, sizeof b) < 0 || h.type != SYNC_START)
      _exit(127); /* the runtime failed and says why */
  }
  if (x->console_fd >= 0) {
    if (terminal_setup_child(x->console_fd, x->plan.proc->console_size, false, x->proxied, &err) < 0)
      exec_child_fail(x, err);
    close(x->console_fd);
  } else if (setsid() < 0) {
    /* A session (and process group) of its own, terminal or not, as runc and
     * crun: left in the caller's group, the process would have no visible
     * process group in the container (getpgrp() 0) and its kill(0, sig) would
     * reach the host processes of that group. */
    uoci_fail(&err, errno, "setsid");
    exec_child_fail(x, err);
  }
  process_exec(&x->plan, &err);
  exec_child_fail(x, err);
}

/* The first child's way into the container, before it is in its namespaces:
 * the execCPUAffinity `initial` CPUs, the resctrl group and the cgroup
 * (resctrl and cgroup files are the host's: after the user namespace they
 * would be out of reach), then the `final` CPUs (a cpuset attach resets
 * them). With `initial`, exec_fork did not clone into the cgroup. */
static int exec_child_join(struct exec_ctx *x, uoci_error **err)
{
  if (x->plan.cpus_initial.count == 0 && process_reset_cpu_affinity(err) < 0)
    return -1;
  if (process_apply_cpus_initial(&x->plan, err) < 0)
    return -1;
  if (x->plan.cpus_initial.count) {
    cpu_set_t now;
    if (sched_getaffinity(0, sizeof now, &now) == 0)
      log_debug("exec: CPU affinity 0x%lx before joining the cgroup (execCPUAffinity.initial)", now.__bits[0]);
  }
  if (resctrl_join(&x->rdt, x->rdt_root, 0, err) < 0)
    return -1;
  if (x->cg) {
    int r = cgroup_join_self(x->cg, x->cgroup_by_clone);
    cgroup_close_fds(x->cg);
    if (r < 0)
      return uoci_fail(err, -r, "join the container's cgroup");
  }
  return process_apply_cpus_final(&x->plan, err);
}

/* One setns on the init's pidfd where the kernel takes it (all the
 * namespaces at once, the user namespace first), else one per fd. */
static int exec_join_namespaces(struct exec_ctx *x, uoci_error **err)
{
  if (x->pidfd < 0)
    return ns_join_all(&x->ns, 0, err);
  int r = ns_join_pidfd(&x->ns, x->pidfd, err);
  close(x->pidfd);
  x->pidfd = -1;
  return r;
}

/* As the init (container.c): of the caller's fds only stdio and the
 * preserved ones go on; kept are the runtime's that the children still use
 * (the unified cgroup's directory was for the clone only). */
static int exec_close_inherited_fds(struct exec_ctx *x, uoci_error **err)
{
  cgroup_close_fds(x->cg);
  int keep[6 + NS_COUNT] = { log_fd(), x->sync_child, x->console_fd, x->pidfd, x->plan.tramp_fd, x->plan.report_fd };
  for (int k = 0; k < NS_COUNT; k++)
    keep[6 + k] = x->ns.join_fd[k];
  if (process_close_fds_except(3 + x->plan.preserve_fds, keep, ARRAY_SIZE(keep), err) < 0)
    return uoci_error_prefix(err, "close the caller's fds");
  return 0;
}

/* The first child stays in the runtime's pid namespace, where no container
 * process can see it: it joins the cgroup and the container's namespaces
 * (the user namespace first; the pid namespace for its child only) and the
 * session keyring, applies the process's settings (the memory policy and the
 * container's personality too, which the child inherits) and drops to its user and capabilities (a
 * notifying seccomp filter loaded then hands its listener to the runtime;
 * with no_new_privs the second child loads it). Only then it makes, in
 * the container's pid namespace and as a child of the runtime (CLONE_PARENT),
 * the process that execs: whatever runs there as runtime code holds no more
 * than the process will, and its root is the container's from its first
 * instruction. */
static void __attribute__((noreturn)) exec_first_child(struct exec_ctx *x)
{
  uoci_error *err = NULL;
  prctl(PR_SET_DUMPABLE, 0);
  if (exec_close_inherited_fds(x, &err) < 0 || exec_child_join(x, &err) < 0)
    exec_child_fail(x, err);
  /* /proc/self is ours only until we join the container's mount namespace:
   * its /proc belongs to a pid namespace we are not in. */
  if (process_apply_proc_self(&x->plan, &err) < 0 || exec_join_namespaces(x, &err) < 0 ||
      (x->keyring && keyring_join(x->keyring, &err) < 0) || mempolicy_apply(&x->mempolicy, &err) < 0 ||
      process_apply_privileged(&x->plan, &err) < 0 || process_apply_personality(x->personality, &err) < 0 ||
      process_chdir(&x->plan, &err) < 0 ||
      process_resolve(&x->plan, &err) < 0 || process_drop_privileges(&x->plan, &err) < 0)
    exec_child_fail(x, err);
  pid_t pid = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0)
    exec_second_child(x);
  if (pid < 0) {
    uoci_fail(&err, errno, "start the process in the container's pid namespace");
    exec_child_fail(x, err);
  }
  sync_send(x->sync_child, SYNC_PID, pid, NULL, 0);
  _exit(0);
}

/* The terminal: the console socket's connection, or in the foreground a
 * socketpair whose *console_end receives the master for the proxy. */
static int exec_open_console(const struct exec_opts *o, struct exec_ctx *x, int *console_end, uoci_error **err)
{
  *console_end = -1;
  x->console_fd = -1;
  if (!x->plan.proc->has_terminal || !x->plan.proc->terminal)
    return 0;
  if (o->console_socket)
    return (x->console_fd = terminal_connect(o->console_socket, err)) < 0 ? -1 : 0;
  if (o->detach)
    return uoci_fail(err, 0, "exec: --tty with --detach needs --console-socket");
  if (!terminal_host_available())
    return uoci_fail(err, 0, "exec: " TERMINAL_NONE_MSG);
  int cs[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) < 0)
    return uoci_fail(err, errno, "socketpair");
  *console_end = cs[0];
  x->console_fd = cs[1];
  x->proxied = true;
  return 0;
}

/* fork(), but straight into the container's unified cgroup (v2, hybrid)
 * with clone3: moving there later through cgroup.procs would wait for an
 * RCU grace period. */
static pid_t fork_into_cgroup(const uoci_cgroup *cg, bool *into)
{
  int fd = cg ? cgroup_clone_into_fd(cg) : -1;
  *into = false;
  if (fd >= 0) {
    *into = true;
    struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (unsigned) fd };
    pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0 || (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP))
      return pid;
    *into = false;
  }
  return fork();
}

/* Fork the first child (exec_first_child). */
static pid_t exec_fork(struct exec_ctx *x, int sync_parent, int console_end, uoci_error **err)
{
  fflush(NULL);
  /* execCPUAffinity.initial applies before the cgroup: the child joins it. */
  bool into_cgroup;
  pid_t pid = fork_into_cgroup(x->plan.cpus_initial.count ? NULL : x->cg, &into_cgroup);
  if (pid == 0) {
    x->cgroup_by_clone = into_cgroup;
    close(sync_parent);
    if (console_end >= 0)
      close(console_end);
    exec_first_child(x);
  }
  if (pid < 0)
    return uoci_fail(err, errno, into_cgroup ? "fork into the container's cgroup" : "fork");
  return pid;
}

/* Read the first child's report until EOF: the pid of the process that
 * execs, a seccomp listener fd, or an error. EOF comes once the first child
 * has exited and the second exec'd (the socket is close-on-exec). */
static pid_t exec_wait_execve(const struct exec_opts *o, struct exec_ctx *x, int sock, pid_t first,
                              uoci_error **err)
{
  static char buf[4096];
  pid_t pid = 0;
  _cleanup_close_ int listener = -1;
  for (;;) {
    struct sync_hdr h;
    ssize_t n = sync_recv(sock, &h, buf, sizeof buf);
    if (n >= 0 && h.type == SYNC_PID) {
      pid = h.value;
      process_forward_signals(pid);
      if (x->plan.sched_by_runtime) {
        int r = process_apply_scheduler_to(&x->plan, pid, err);
        if (r == 0 && (r = sync_send(sock, SYNC_START, 0, NULL, 0)) < 0)
          uoci_fail(err, -r, "let the process go on");
        if (r < 0) {
          uoci_error_prefix(err, "exec in container \"%s\"", o->id);
          break;
        }
      }
    } else if (n >= 0 && h.type == SYNC_SECCOMP_FD) {
      if ((listener = sync_recv_fd(sock)) < 0) {
        uoci_fail(err, -listener, "exec in container \"%s\": receive the seccomp listener fd", o->id);
        break;
      }
    } else {
      int status = 0;
      while (waitpid(first, &status, 0) < 0 && errno == EINTR)
        ;
      if (n > 0 && h.type == SYNC_ERROR) {
        if (pid > 0)
          waitpid(pid, NULL, 0);
        return uoci_fail(err, 0, "exec in container \"%s\": %s", o->id, buf);
      }
      if (pid <= 0)
        return uoci_fail(err, 0, "exec in container \"%s\": the runtime's child died (status %d)", o->id, status);
      return pid;
    }
    /* The listener goes on once the pid it is for is known (the filter was
     * loaded by the first child, and the process inherited it, or by the
     * process itself). The process may block on a notified syscall until the
     * agent has the fd. */
    if (listener >= 0 && pid > 0) {
      log_debug("exec %s: passing the seccomp listener of pid %d on", o->id, (int) pid);
      int r = seccomp_send_notify_fd(x->seccomp_cfg, listener, pid, x->state_json, err);
      close(steal_fd(listener));
      if (r < 0) {
        uoci_error_prefix(err, "exec in container \"%s\"", o->id);
        break;
      }
    }
  }
  /* Failed with the children alive: neither may run the process. */
  kill(first, SIGKILL);
  waitpid(first, NULL, 0);
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  return -1;
}

static int spawn_and_wait(const struct exec_opts *o, struct exec_ctx *x, int *unsealed_lock, uoci_error **err)
{
  int sv[2], console_end;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "socketpair");
  x->sync_child = sv[1];
  x->plan.listener_sync_fd = sv[1];
  if (exec_open_console(o, x, &console_end, err) < 0)
    return -1;
  /* the trampoline reports a failed execve on a pipe of its own (it runs
   * as the container's process: it gets nothing else of ours) */
  _cleanup_close_ int report = -1;
  if (x->plan.tramp_fd >= 0) {
    int rp[2];
    if (pipe2(rp, O_CLOEXEC) < 0)
      return uoci_fail(err, errno, "exec in container \"%s\": pipe", o->id);
    report = rp[0];
    x->plan.report_fd = rp[1];
  }
  pid_t first = exec_fork(x, sv[0], console_end, err);
  if (x->plan.report_fd >= 0)
    close(steal_fd(x->plan.report_fd));
  if (first < 0)
    return uoci_error_prefix(err, "exec in container \"%s\"", o->id);
  log_debug("exec %s: forked pid %d", o->id, (int) first);
  close(sv[1]);
  if (x->console_fd >= 0)
    close(x->console_fd);
  FAULT_POINT("exec-forked");
  pid_t pid = exec_wait_execve(o, x, sv[0], first, err);
  close(sv[0]);
  /* No runtime code runs in the container any more. */
  if (*unsealed_lock >= 0)
    close(steal_fd(*unsealed_lock));
  if (pid < 0)
    return -1;
  /* EOF on the sync socket: the process exec'd, the trampoline if there is one */
  int e = report >= 0 ? exectramp_wait(report, false) : 0;
  if (e > 0) {
    waitpid(pid, NULL, 0);
    process_fail_exec(err, e, x->plan.proc->args[0]);
    return uoci_error_prefix(err, "exec in container \"%s\"", o->id);
  }
  log_debug("exec %s: pid %d exec'd the process", o->id, (int) pid);
  FAULT_POINT("exec-started");
  if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0)
    return -1;
  if (o->detach)
    return 0;
  if (console_end >= 0) {
    terminal_proxy_from(console_end);
    close(console_end);
  }
  return process_wait(pid, err);
}

/* Without a user namespace of the container's own, the execve of the
 * program must not run from the runtime's binary when that is on a writable
 * mount: through the sealed trampoline, or, where that would start the
 * process differently, from a sealed runtime (exectramp.h). The re-exec
 * reads --process again: a pipe cannot be read twice. */
static int exec_plan_trampoline(const struct exec_opts *o, const ocispec_process *proc, const ocispec_config *cfg,
                                int *tramp_fd, uoci_error **err)
{
  if (selfexe_is_sealed())
    return 0;
  const char *why;
  if (exectramp_fits(proc, cfg->linux ? cfg->linux->seccomp : NULL, &why) && (*tramp_fd = exectramp_open()) >= 0)
    return 0;
  struct stat sb;
  if (o->process_file && (stat(o->process_file, &sb) < 0 || !S_ISREG(sb.st_mode)))
    return uoci_fail(err, 0,
                     "exec: --process %s: with %s the runtime re-executes itself sealed (CVE-2019-5736), which reads "
                     "--process again: give a regular file",
                     o->process_file, why ? why : "memfds that cannot be executed");
  return selfexe_seal(err);
}

/* Who, besides this exec, may reach the processes it starts (selfexe.h). */
static struct ptrace_exposure exec_exposure(const struct exec_ctx *x, const ocispec_config *cfg,
                                            const struct uoci_state *st)
{
  /* The container's pid namespace is one we don't control when its config
   * joined one by path (and it is not ours: ns_plan_from_pid left it out). */
  bool joined_pidns = false;
  for (size_t i = 0; cfg->linux && i < cfg->linux->namespaces_len; i++) {
    const ocispec_namespace *ns = &cfg->linux->namespaces[i];
    if (ns->type && strcmp(ns->type, "pid") == 0 && ns->path && *ns->path)
      joined_pidns = true;
  }
  return (struct ptrace_exposure) {
    .own_userns = x->ns.present[NS_USER],
    .shared_pidns = joined_pidns && x->ns.present[NS_PID],
    .config_ptrace = caps_spec_may_hold(cfg->process ? cfg->process->capabilities : NULL, "CAP_SYS_PTRACE"),
    .marked = state_ptrace_marked(st->dirfd),
  };
}

/* This exec's process may hold CAP_SYS_PTRACE over the runtime. Runtime
 * processes already in the container must not meet it unsealed: not the
 * init before it has exec'd (refused), and not the child of a concurrent
 * exec that runs unsealed (those hold exec.lock shared: wait for them after
 * marking the container, so every later exec runs sealed). */
static int exec_admit_ptrace(const struct uoci_state *st, const char *id, uoci_error **err)
{
  if (selfexe_pid_runs(st->pid, st->exe))
    return uoci_fail(err, 0,
                     "cannot exec a process that may hold CAP_SYS_PTRACE in container \"%s\" before its init has "
                     "started the container's process (it could reach the runtime through the init)",
                     id);
  if (state_mark_ptrace(st->dirfd, err) < 0)
    return -1;
  int lock = state_exec_lock(st->dirfd, LOCK_EX, err);
  if (lock < 0)
    return -1;
  close(lock);
  return 0;
}

/* Without no_new_privs the first child loads the filter while it still has
 * CAP_SYS_ADMIN, before it drops privileges and starts the process: the
 * runtime passes the listener on only once it knows that process's pid, so a
 * NOTIFY rule on one of those syscalls would block the first child for good. */
static int exec_refuse_notify_blocking(const ocispec_seccomp *sc, const ocispec_process *p, uoci_error **err)
{
  static const char *const after_filter[] = { "prctl", "capset", "setgroups", "setresgid", "setresuid", "clone",
                                              NULL };
  if (p->has_no_new_privileges && p->no_new_privileges)
    return 0;
  const char *name = seccomp_notifies_one_of(sc, after_filter);
  if (name)
    return uoci_fail(err, 0,
                     "exec: linux.seccomp: SCMP_ACT_NOTIFY on \"%s\" needs process.noNewPrivileges for exec (without "
                     "it the runtime makes that syscall under the filter before the listener reaches listenerPath)",
                     name);
  return 0;
}

int exec_in_container(const struct uoci_globals *g, struct exec_opts *o, uoci_error **err)
{
  struct exec_ctx x = { .sync_child = -1, .console_fd = -1, .pidfd = -1 };
  for (int k = 0; k < NS_COUNT; k++)
    x.ns.join_fd[k] = -1;
  struct uoci_state st = { .dirfd = -1 };
  ocispec_config *cfg = NULL;
  ocispec_process *proc = NULL;
  _cleanup_close_ int unsealed_lock = -1;
  _cleanup_close_ int tramp_fd = -1;
  int ret = -1;

  if (state_load(g->root, o->id, &st, err) < 0)
    goto out;
  /* The pidfd before the status check: if that finds the init still at its
   * pid, the pidfd is the init's (a pid is not reused while its process
   * lives), and it cannot become another process's later. */
  if (st.pid > 0 && ns_setns_takes_pidfd())
    x.pidfd = (int) syscall(SYS_pidfd_open, st.pid, 0);
  enum container_status s = state_status(&st);
  if (s == STATUS_STOPPED) {
    uoci_fail(err, 0, "cannot exec in container \"%s\": it is stopped", o->id);
    goto out;
  }
  if (s == STATUS_PAUSED && !o->ignore_paused) {
    uoci_fail(err, 0, "cannot exec in a paused container \"%s\" (--ignore-paused to exec anyway)", o->id);
    goto out;
  }
  if ((cfg = state_config(&st, err)) == NULL ||
      (x.pidfd >= 0 ? ns_plan_from_pidfd(st.pid, &x.ns, err) : ns_plan_from_pid(st.pid, &x.ns, err)) < 0)
    goto out;
  /* Before anything is read that a re-exec could not read again (the
   * --process file) or logged twice: seal the runtime if a container
   * process may trace the child (the re-exec starts over). */
  struct ptrace_exposure exposure = exec_exposure(&x, cfg, &st);
  bool sealed = selfexe_must_seal(&exposure);
  if (sealed && selfexe_seal(err) < 0)
    goto out;
  if ((proc = build_process(o, cfg, err)) == NULL)
    goto out;
  if (!exposure.own_userns && !sealed && exec_plan_trampoline(o, proc, cfg, &tramp_fd, err) < 0)
    goto out;
  if (!exposure.own_userns && caps_spec_may_hold(proc->capabilities, "CAP_SYS_PTRACE")) {
    if (exec_admit_ptrace(&st, o->id, err) < 0)
      goto out;
  } else if (!sealed) {
    /* Unsealed: hold exec.lock shared until the child has exec'd, and look
     * again for a CAP_SYS_PTRACE exec that marked the container meanwhile. */
    if ((unsealed_lock = state_exec_lock(st.dirfd, LOCK_SH, err)) < 0)
      goto out;
    if (state_ptrace_marked(st.dirfd) && selfexe_seal(err) < 0)
      goto out;
  }
  if (process_plan_init(proc, cfg->linux ? cfg->linux->seccomp : NULL, o->preserve_fds, exposure.own_userns,
                        &x.plan, err) < 0)
    goto out;
  x.plan.tramp_fd = tramp_fd;
  /* SCHED_DEADLINE is not inherited by a clone (it fails), a reset-on-fork
   * policy is reset in it: the runtime sets those on the process itself. */
  x.plan.sched_by_runtime = proc->scheduler && (x.plan.sched.sched_policy == SCHED_DEADLINE ||
                                                (x.plan.sched.sched_flags & SCHED_FLAG_RESET_ON_FORK));
  if (seccomp_wants_notify(x.plan.seccomp) && exec_refuse_notify_blocking(cfg->linux->seccomp, proc, err) < 0)
    goto out;
  if (seccomp_wants_notify(x.plan.seccomp)) {
    x.seccomp_cfg = cfg->linux->seccomp;
    x.state_json = state_json(&st, s, &cfg->annotations, false);
  }
  x.personality = cfg->linux ? cfg->linux->personality : NULL;
  if (mempolicy_plan_from_spec(cfg->linux ? cfg->linux->memory_policy : NULL, &x.mempolicy, err) < 0 ||
      resctrl_plan_from_spec(cfg->linux ? cfg->linux->intel_rdt : NULL, o->id, &x.rdt, err) < 0 ||
      (x.rdt.present && resctrl_find_root(&x.rdt_root, err) < 0))
    goto out;
  if (o->cgroups_len && st.cgroup == NULL) {
    uoci_fail(err, 0, "exec: --cgroup: container \"%s\" has no cgroup", o->id);
    goto out;
  }
  if (st.cgroup && (cgroup_from_string(st.cgroup, &x.cg, err) < 0 ||
                    cgroup_enter_sub(x.cg, o->cgroups, o->cgroups_len, err) < 0 || cgroup_prepare_join(x.cg, err) < 0))
    goto out;
  x.keyring = st.keyring;
  /* The namespaces are pinned by our fds, or the init by its pidfd (should
   * it exit, the child's setns fails): the lock is not needed while the
   * process runs, and holding it would block `state` and `kill`. */
  close(st.dirfd);
  st.dirfd = -1;
  ret = spawn_and_wait(o, &x, &unsealed_lock, err);
out:
  process_plan_release(&x.plan);
  mempolicy_plan_release(&x.mempolicy);
  resctrl_plan_release(&x.rdt);
  free(x.rdt_root);
  free(x.state_json);
  ns_plan_close(&x.ns);
  if (x.pidfd >= 0)
    close(x.pidfd);
  if (x.cg)
    cgroup_free(x.cg);
  ocispec_process_free(proc);
  ocispec_config_free(cfg);
  state_release(&st);
  return ret;
}

void exec_opts_release(struct exec_opts *o)
{
  uoci_strv_free(o->env);
  uoci_strv_free(o->caps);
  uoci_strv_free(o->args);
  uoci_strv_free(o->cgroups);
  free(o->gids);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec.c - see exec.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup.h"
#include "exec.h"
#include "log.h"
#include "namespaces.h"
#include "process.h"
#include "state.h"
#include "sync.h"
#include "fault.h"
#include "terminal.h"
#include "utils.h"

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
    p = ocispec_parse_file(&ocispec_process_type, o->process_file, &perr);
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
      strv_append(&p->env, &p->env_len, o->env[i]);
    if (o->user && parse_user(o->user, p, err) < 0) {
      ocispec_process_free(p);
      return NULL;
    }
    if (o->caps_len) {
      if (p->capabilities == NULL)
        p->capabilities = xcalloc(1, sizeof *p->capabilities);
      ocispec_capabilities *c = p->capabilities;
      for (size_t i = 0; i < o->caps_len; i++) {
        add_to_set(&c->bounding, &c->bounding_len, o->caps[i]);
        add_to_set(&c->effective, &c->effective_len, o->caps[i]);
        add_to_set(&c->permitted, &c->permitted_len, o->caps[i]);
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
  uoci_cgroup *cg;
  int sync_child;
  int console_fd;
};

static void __attribute__((noreturn)) exec_child(struct exec_ctx *x)
{
  uoci_error *err = NULL;
  prctl(PR_SET_DUMPABLE, 0);
  if (x->cg) {
    int r = cgroup_join_self(x->cg);
    if (r < 0)
      uoci_fail(&err, -r, "join the container's cgroup");
    cgroup_close_fds(x->cg);
  }
  if (err == NULL && ns_join_all(&x->ns, CLONE_NEWPID, &err) == 0 &&
      process_apply_privileged(&x->plan, &err) == 0 && process_chdir(&x->plan, &err) == 0) {
    bool ok = true;
    if (x->console_fd >= 0) {
      ok = terminal_setup_child(x->console_fd, x->plan.proc->console_size, false, &err) == 0;
      close(x->console_fd);
    }
    if (ok && process_resolve(&x->plan, &err) == 0)
      process_exec(&x->plan, &err);
  }
  const char *msg = err && err->msg ? err->msg : "exec failed";
  sync_send(x->sync_child, SYNC_ERROR, 0, msg, strlen(msg));
  _exit(127);
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
  return 0;
}

/* Fork the child into the container's pid namespace, entered for our
 * children only and left again at once. Returns its pid. */
static pid_t exec_fork(struct exec_ctx *x, int sync_parent, int console_end, uoci_error **err)
{
  int saved = -1;
  if (x->ns.join_fd[NS_PID] >= 0) {
    saved = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (setns(x->ns.join_fd[NS_PID], CLONE_NEWPID) < 0)
      return uoci_fail(err, errno, "join the container's pid namespace");
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(sync_parent);
    if (console_end >= 0)
      close(console_end);
    exec_child(x);
  }
  if (saved >= 0) {
    setns(saved, CLONE_NEWPID);
    close(saved);
  }
  if (pid < 0)
    return uoci_fail(err, errno, "fork");
  return pid;
}

static int spawn_and_wait(const struct exec_opts *o, struct exec_ctx *x, uoci_error **err)
{
  int sv[2], console_end;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "socketpair");
  x->sync_child = sv[1];
  if (exec_open_console(o, x, &console_end, err) < 0)
    return -1;
  pid_t pid = exec_fork(x, sv[0], console_end, err);
  if (pid < 0)
    return -1;
  log_debug("exec %s: forked pid %d", o->id, (int) pid);
  close(sv[1]);
  if (x->console_fd >= 0)
    close(x->console_fd);
  FAULT_POINT("exec-forked");
  process_forward_signals(pid);

  /* EOF: the exec happened (the socket was CLOEXEC). */
  static char buf[4096];
  struct sync_hdr h;
  ssize_t n = sync_recv(sv[0], &h, buf, sizeof buf);
  close(sv[0]);
  if (n > 0 && h.type == SYNC_ERROR) {
    waitpid(pid, NULL, 0);
    return uoci_fail(err, 0, "exec in container \"%s\": %s", o->id, buf);
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

int exec_in_container(const struct uoci_globals *g, struct exec_opts *o, uoci_error **err)
{
  struct exec_ctx x = { .sync_child = -1, .console_fd = -1 };
  for (int k = 0; k < NS_COUNT; k++)
    x.ns.join_fd[k] = -1;
  struct uoci_state st = { .dirfd = -1 };
  ocispec_config *cfg = NULL;
  ocispec_process *proc = NULL;
  int ret = -1;

  if (state_load(g->root, o->id, &st, err) < 0)
    goto out;
  enum container_status s = state_status(&st);
  if (s == STATUS_STOPPED || s == STATUS_PAUSED) {
    uoci_fail(err, 0, "cannot exec in container \"%s\": it is %s", o->id, status_name(s));
    goto out;
  }
  if ((cfg = state_config(&st, err)) == NULL || (proc = build_process(o, cfg, err)) == NULL)
    goto out;
  if (ns_plan_from_pid(st.pid, &x.ns, err) < 0)
    goto out;
  if (process_plan_init(proc, cfg->linux ? cfg->linux->seccomp : NULL, o->preserve_fds, x.ns.join_fd[NS_USER] >= 0,
                        &x.plan, err) < 0)
    goto out;
  if (st.cgroup && (cgroup_from_string(st.cgroup, &x.cg, err) < 0 || cgroup_prepare_join(x.cg, err) < 0))
    goto out;
  /* The namespaces are pinned by our fds: the lock is not needed while the
   * process runs, and holding it would block `state` and `kill`. */
  close(st.dirfd);
  st.dirfd = -1;
  ret = spawn_and_wait(o, &x, err);
out:
  process_plan_release(&x.plan);
  ns_plan_close(&x.ns);
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
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks.c - see hooks.h */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "exectramp.h"
#include "hooks.h"
#include "log.h"
#include "selfexe.h"
#include "utils.h"

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int hook_tramp_fd = -1;

void hooks_exec_through(int tramp_fd)
{
  hook_tramp_fd = tramp_fd;
}

/* Close every fd from 3 up but a and b (a < b). */
static void close_from_3_but(int a, int b)
{
  int keep[2] = { a, b };
  unsigned lo = 3;
  for (int i = 0; i < 2; i++) {
    if ((unsigned) keep[i] > lo)
      syscall(SYS_close_range, lo, (unsigned) keep[i] - 1, 0);
    lo = (unsigned) keep[i] + 1;
  }
  syscall(SYS_close_range, lo, ~0U, 0);
}

/* Child side: stdin from the pipe, argv/env from the hook, exec. */
static void __attribute__((noreturn)) exec_hook(const ocispec_hook *h, int in_fd, const char *cwd, const char *stage)
{
  if (dup2(in_fd, 0) < 0 || (cwd && chdir(cwd) < 0))
    _exit(127);
  /* createContainer and startContainer hooks run in the container's pid
   * namespace, their path resolved in its root: never the runtime's binary
   * (a link the image planted to /proc/self/exe), which a container process
   * could grab through /proc/PID/exe and write once the hook is done
   * (CVE-2019-5736). */
  uoci_error *err = NULL;
  bool in_container = strcmp(stage, "createContainer") == 0 || strcmp(stage, "startContainer") == 0;
  if (in_container && selfexe_refuse_program(h->path, &err) < 0) {
    dprintf(STDERR_FILENO, "ulysses-oci: %s hook: %s\n", stage, err->msg);
    _exit(127);
  }
  rlimit_nofile_restore();
  char *default_argv[] = { h->path, NULL };
  char **argv = h->args_len ? strv_terminated(h->args, h->args_len) : default_argv;
  /* no "env" at all: the runtime's own environment, as runc and crun give it
   * (a hook script finds its tools on the engine's PATH); "env": [] is empty */
  char **envp = h->env ? strv_terminated(h->env, h->env_len) : environ;
  /* In the container's pid namespace, through the exec trampoline as the
   * process (exectramp.h): a failure is the exit status 127 the runner
   * reports, so its report goes to an eventfd, which refuses it. */
  int report = in_container && hook_tramp_fd >= 0 ? eventfd(0, EFD_CLOEXEC) : -1;
  if (report >= 0) {
    /* Hooks inherit stdout/stderr (runc does the same) but nothing else. */
    close_from_3_but(hook_tramp_fd < report ? hook_tramp_fd : report, hook_tramp_fd < report ? report : hook_tramp_fd);
    exectramp_exec(hook_tramp_fd, h->path, argv, envp, report);
    _exit(127);
  }
  syscall(SYS_close_range, 3, ~0U, 0);
  execve(h->path, argv, envp);
  _exit(127);
}

/* "bad system call", as runc's errors (Go's signal names) spell it. */
static const char *signal_description(int sig)
{
  static char buf[64];
  const char *d = strsignal(sig);
  snprintf(buf, sizeof buf, "%s", d ? d : "unknown signal");
  buf[0] = (char) tolower((unsigned char) buf[0]);
  return buf;
}

static int run_one(const ocispec_hook *h, const char *stage, const char *state, const char *cwd, uoci_error **err)
{
  log_debug("%s hook %s", stage, h->path ? h->path : "");
  if (h->path == NULL || h->path[0] != '/')
    return uoci_fail(err, 0, "%s hook: path \"%s\" must be absolute", stage, h->path ? h->path : "");
  /* runtime-spec: "If set, timeout MUST be greater than zero". Taken as no
   * timeout before, a hook given -1 could hold create forever. */
  if (h->has_timeout && h->timeout <= 0)
    return uoci_fail(err, 0, "%s hook %s: timeout must be greater than zero, got %d", stage, h->path, h->timeout);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return uoci_fail(err, errno, "%s hook %s: pipe", stage, h->path);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return uoci_fail(err, errno, "%s hook %s: fork", stage, h->path);
  }
  if (pid == 0) {
    close(p[1]);
    exec_hook(h, p[0], cwd, stage);
  }
  close(p[0]);
  /* The hook may not read stdin at all: ignore EPIPE. The state goes in
   * while we wait: a hook that never reads a state larger than the pipe
   * (the config's annotations) must not keep us past its timeout. */
  signal(SIGPIPE, SIG_IGN);
  _cleanup_close_ int in = p[1];
  fcntl(in, F_SETFL, O_NONBLOCK);
  size_t len = strlen(state), off = 0;

  long deadline = h->has_timeout && h->timeout > 0 ? now_ms() + h->timeout * 1000L : -1;
  int status;
  for (;;) {
    if (in >= 0) {
      ssize_t w = write(in, state + off, len - off);
      if (w > 0)
        off += (size_t) w;
      if (off == len || (w < 0 && errno != EAGAIN && errno != EINTR))
        uoci_closep(&in);
    }
    pid_t r = waitpid(pid, &status, deadline < 0 && in < 0 ? 0 : WNOHANG);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return uoci_fail(err, errno, "%s hook %s: wait", stage, h->path);
    if (deadline >= 0 && now_ms() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return uoci_fail(err, 0, "error running hook: %s hook %s: timed out after %d seconds", stage, h->path,
                       h->timeout);
    }
    if (r == 0)
      poll(NULL, 0, 5);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(h->path, X_OK) < 0)
    return uoci_fail(err, errno, "%s hook %s", stage, h->path);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && cwd && access(cwd, X_OK) < 0)
    return uoci_fail(err, errno, "%s hook %s: working directory %s", stage, h->path, cwd);
  if (WIFEXITED(status))
    return uoci_fail(err, 0, "error running hook: %s hook %s: exited with status %d", stage, h->path,
                     WEXITSTATUS(status));
  return uoci_fail(err, 0, "error running hook: %s hook %s: killed by signal %d (%s)", stage, h->path, WTERMSIG(status),
                   signal_description(WTERMSIG(status)));
}

int hooks_run(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json, const char *cwd,
              uoci_error **err)
{
  for (size_t i = 0; i < n; i++)
    if (run_one(&hooks[i], stage, state_json, cwd, err) < 0)
      return -1;
  return 0;
}

void hooks_run_warn(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json,
                    const char *cwd)
{
  for (size_t i = 0; i < n; i++) {
    uoci_error *e = NULL;
    if (run_one(&hooks[i], stage, state_json, cwd, &e) < 0)
      log_warn("%s", e->msg);
    uoci_error_free(e);
  }
}

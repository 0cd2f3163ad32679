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
#include "process.h"
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

/* Child side: stdin from the pipe, argv/env from the hook, exec. */
static void __attribute__((noreturn)) exec_hook(const ocispec_hook *h, const int fds[3], const char *cwd, const char *stage)
{
  /* Above 2 first: with the runtime's own stdio closed, a pipe may have
   * got fd 0, 1 or 2, which the dup2s below would overwrite. */
  int moved[3];
  for (int i = 0; i < 3; i++)
    if ((moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
      _exit(127);
  if (dup2(moved[0], 0) < 0 || dup2(moved[1], 1) < 0 || dup2(moved[2], 2) < 0 || (cwd && chdir(cwd) < 0))
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
    /* stdout and stderr are pipes to the runtime (run_one); nothing else is
     * inherited. */
    int keep[] = { hook_tramp_fd, report };
    uoci_error *ignored = NULL;
    if (process_close_fds_except(3, keep, ARRAY_SIZE(keep), &ignored) < 0)
      _exit(127);
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

/* A hook's stdout or stderr as runc keeps it: read while the hook runs
 * (a hook that writes more than a pipe holds never blocks), put into the
 * error when it fails, dropped when it succeeds. runc keeps all of it; here
 * only the end (where a failing program says why) is kept, so a hook that
 * writes 300 MB costs time, not memory. */
#define HOOK_OUTPUT_KEEP 4096
struct hook_output {
  int fd;                    /* our read end (non-blocking), -1 at EOF */
  size_t len;
  unsigned long long total;  /* bytes the hook wrote */
  char buf[2 * HOOK_OUTPUT_KEEP];
};

/* Read what is there, at most `budget` bytes (a hook's child that keeps
 * writing after the hook exited must not keep us). */
static void output_read(struct hook_output *o, size_t budget)
{
  while (o->fd >= 0 && budget > 0) {
    if (o->len > HOOK_OUTPUT_KEEP) { /* keep the last HOOK_OUTPUT_KEEP bytes */
      memmove(o->buf, o->buf + o->len - HOOK_OUTPUT_KEEP, HOOK_OUTPUT_KEEP);
      o->len = HOOK_OUTPUT_KEEP;
    }
    size_t room = sizeof o->buf - o->len;
    ssize_t n = read(o->fd, o->buf + o->len, room < budget ? room : budget);
    if (n > 0) {
      o->len += (size_t) n;
      o->total += (unsigned long long) n;
      budget -= (size_t) n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || errno != EAGAIN)
        uoci_closep(&o->fd);
      return;
    }
  }
}

/* The kept text for the error: the last HOOK_OUTPUT_KEEP bytes, without the
 * trailing newline; said when the beginning was dropped. */
static char *output_text(struct hook_output *o)
{
  size_t start = o->len > HOOK_OUTPUT_KEEP ? o->len - HOOK_OUTPUT_KEEP : 0, end = o->len;
  size_t kept = end - start;
  while (end > start && o->buf[end - 1] == '\n')
    end--;
  if (o->total > kept)
    return xasprintf("[the last %zu of %llu bytes] %.*s", kept, o->total, (int) (end - start), o->buf + start);
  return xasprintf("%.*s", (int) (end - start), o->buf + start);
}

/* Wait for the hook: feed it the state, read its stdout and stderr, until it
 * exits or its deadline passes (then SIGKILL). Only the hook's pid is waited
 * for: a child it left holding stdout or stderr does not keep us (what is
 * in the pipes when the hook is gone is read, then our ends are closed).
 * Returns 1 on a timeout, 0 with *status, -1 with errno. */
static int wait_hook(pid_t pid, int in, struct hook_output out[2], const char *state, long deadline, int *status)
{
  _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0); /* -1 before Linux 5.3: poll every 5 ms */
  size_t len = strlen(state), off = 0;
  int ret = 0;
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR) {
      ret = -1;
      break;
    }
    long left = deadline < 0 ? -1 : deadline - now_ms();
    if (deadline >= 0 && left <= 0) {
      kill(pid, SIGKILL);
      waitpid(pid, status, 0);
      ret = 1;
      break;
    }
    struct pollfd p[4] = {
      { .fd = in, .events = POLLOUT }, { .fd = out[0].fd, .events = POLLIN },
      { .fd = out[1].fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN },
    };
    int timeout = pidfd < 0 && (left < 0 || left > 5) ? 5 : (int) left;
    if (poll(p, 4, timeout) < 0 && errno != EINTR) {
      ret = -1;
      break;
    }
    if (in >= 0 && p[0].revents) {
      ssize_t w = write(in, state + off, len - off);
      if (w > 0)
        off += (size_t) w;
      /* The hook may not read stdin at all: EPIPE is no error. */
      if (off == len || (w < 0 && errno != EAGAIN && errno != EINTR))
        uoci_closep(&in);
    }
    for (int i = 0; i < 2; i++)
      if (p[1 + i].revents)
        output_read(&out[i], 1 << 20);
  }
  int saved = errno;
  for (int i = 0; i < 2; i++) {
    output_read(&out[i], 1 << 20);
    uoci_closep(&out[i].fd);
  }
  uoci_closep(&in);
  errno = saved;
  return ret;
}

static int run_one(const ocispec_hook *h, size_t index, const char *stage, const char *state, const char *cwd,
                   uoci_error **err)
{
  log_debug("%s hook %s", stage, h->path ? h->path : "");
  if (h->path == NULL || h->path[0] != '/')
    return uoci_fail(err, 0, "%s hook: path \"%s\" must be absolute", stage, h->path ? h->path : "");
  /* runtime-spec: "If set, timeout MUST be greater than zero". Taken as no
   * timeout before, a hook given -1 could hold create forever. */
  if (h->has_timeout && h->timeout <= 0)
    return uoci_fail(err, 0, "%s hook %s: timeout must be greater than zero, got %d", stage, h->path, h->timeout);
  /* [0] stdin, [1] stdout, [2] stderr: the hook's end in child[], ours in parent[] */
  int child[3] = { -1, -1, -1 }, parent[3] = { -1, -1, -1 };
  for (int i = 0; i < 3; i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
      int e = errno;
      for (int k = 0; k < i; k++)
        close(child[k]), close(parent[k]);
      return uoci_fail(err, e, "%s hook %s: pipe", stage, h->path);
    }
    child[i] = i == 0 ? p[0] : p[1];
    parent[i] = i == 0 ? p[1] : p[0];
    fcntl(parent[i], F_SETFL, O_NONBLOCK); /* our end only: the hook's stays blocking */
  }
  pid_t pid = fork();
  if (pid == 0)
    exec_hook(h, child, cwd, stage);
  int fork_errno = errno;
  for (int i = 0; i < 3; i++)
    close(child[i]);
  struct hook_output *out = xcalloc(2, sizeof *out);
  out[0].fd = parent[1];
  out[1].fd = parent[2];
  if (pid < 0) {
    close(parent[0]), close(parent[1]), close(parent[2]);
    free(out);
    return uoci_fail(err, fork_errno, "%s hook %s: fork", stage, h->path);
  }
  /* The state goes in while we wait: a hook that never reads a state larger
   * than the pipe (the config's annotations) must not keep us past its
   * timeout. */
  signal(SIGPIPE, SIG_IGN);
  long deadline = h->has_timeout && h->timeout > 0 ? now_ms() + h->timeout * 1000L : -1;
  int status = 0;
  int r = wait_hook(pid, parent[0], out, state, deadline, &status);
  int ret = -1;
  /* runc's words: "error running STAGE hook #INDEX: ..." (runc 1.2+), and
   * its 1.1 "error running hook" */
  if (r < 0)
    uoci_fail(err, errno, "%s hook %s: wait", stage, h->path);
  else if (r > 0)
    uoci_fail(err, 0, "error running %s hook #%zu: error running hook %s: timed out after %d seconds", stage, index,
              h->path, h->timeout);
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    ret = 0;
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(h->path, X_OK) < 0)
    uoci_fail(err, errno, "%s hook %s", stage, h->path);
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && cwd && access(cwd, X_OK) < 0)
    uoci_fail(err, errno, "%s hook %s: working directory %s", stage, h->path, cwd);
  else {
    _cleanup_free_ char *how = WIFEXITED(status)
        ? xasprintf("exited with status %d", WEXITSTATUS(status))
        : xasprintf("killed by signal %d (%s)", WTERMSIG(status), signal_description(WTERMSIG(status)));
    _cleanup_free_ char *o = output_text(&out[0]), *e = output_text(&out[1]);
    uoci_fail(err, 0, "error running %s hook #%zu: error running hook %s: %s, stdout: %s, stderr: %s", stage, index,
              h->path, how, o, e);
  }
  free(out);
  return ret;
}

int hooks_run(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json, const char *cwd,
              uoci_error **err)
{
  for (size_t i = 0; i < n; i++)
    if (run_one(&hooks[i], i, stage, state_json, cwd, err) < 0)
      return -1;
  return 0;
}

void hooks_run_warn(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json,
                    const char *cwd)
{
  for (size_t i = 0; i < n; i++) {
    uoci_error *e = NULL;
    if (run_one(&hooks[i], i, stage, state_json, cwd, &e) < 0)
      log_warn("%s", e->msg);
    uoci_error_free(e);
  }
}

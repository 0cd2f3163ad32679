/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_seccomp.c - seccomp_compile on every action, operator, arch and flag,
 * its errors, and real filters installed in forked children. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ocispec.h"
#include "seccomp.h"
#include "tap.h"
#include "utils.h"

/* ---- building profiles by hand ------------------------------------------ */

#define NAMES(...) ((char *[]) { __VA_ARGS__ }), (sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *))

static ocispec_syscall rule(char **names, size_t n, const char *action)
{
  return (ocispec_syscall) { .names = names, .names_len = n, .action = (char *) action };
}

static ocispec_seccomp profile(const char *default_action, ocispec_syscall *rules, size_t n)
{
  return (ocispec_seccomp) { .default_action = (char *) default_action, .syscalls = rules, .syscalls_len = n };
}

/* Compile; returns the filter or NULL, with the error text in *msg (static). */
static uoci_seccomp *compile(const ocispec_seccomp *cfg, const char **msg)
{
  static char last[512];
  uoci_error *err = NULL;
  uoci_seccomp *s = NULL;
  last[0] = '\0';
  if (seccomp_compile(cfg, &s, &err) < 0) {
    snprintf(last, sizeof last, "%s", err && err->msg ? err->msg : "(no message)");
    uoci_error_free(err);
    s = NULL;
  }
  if (msg)
    *msg = last;
  return s;
}

static bool compiles(const ocispec_seccomp *cfg)
{
  const char *msg = "";
  uoci_seccomp *s = compile(cfg, &msg);
  if (!s)
    printf("# %s\n", msg);
  seccomp_free(s);
  return s != NULL;
}

/* ---- running code under a filter ------------------------------------------ */

/* Fork; the child sets NO_NEW_PRIVS, installs `s` and exits with fn()'s
 * result (exit 100 + errno when the install fails). Returns the wait status. */
static int run_filtered(const uoci_seccomp *s, int (*fn)(void *), void *arg)
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core); /* KILL_PROCESS and TRAP dump core by default */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(99);
    int r = seccomp_install(s, NULL);
    if (r < 0)
      _exit(100 + (-r & 0x7f));
    /* exit_group directly: sanitizer builds hook _exit with syscalls the
     * deny-by-default profiles here do not allow. */
    syscall(SYS_exit_group, fn(arg));
    _exit(98);
  }
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
static int term_signal(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

/* Children report what a syscall did as an exit code: 0 success, else errno. */
static int result_of(long r) { return r < 0 ? errno : 0; }

static int do_getppid(void *arg) { return result_of(syscall(SYS_getppid)); }
static int do_umask(void *arg) { return result_of(syscall(SYS_umask, (long) (uintptr_t) arg)); }

struct prio_args { long which, who; };
static int do_getpriority(void *arg)
{
  struct prio_args *a = arg;
  errno = 0;
  /* raw getpriority returns 20 - nice, never negative on success */
  return result_of(syscall(SYS_getpriority, a->which, a->who));
}

/* Outcome of umask(value) under a one-rule profile with the given args. */
static int umask_result(ocispec_seccomp_arg *args, size_t n, unsigned long value)
{
  ocispec_syscall r = rule(NAMES("umask"), "SCMP_ACT_ERRNO");
  r.args = args;
  r.args_len = n;
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  if (!s)
    return -2;
  int st = run_filtered(s, do_umask, (void *) (uintptr_t) value);
  seccomp_free(s);
  return exit_code(st);
}

static ocispec_seccomp_arg arg(uint32_t index, const char *op, uint64_t value, uint64_t value_two)
{
  return (ocispec_seccomp_arg) { .index = index, .has_index = true, .op = (char *) op, .value = value,
                                 .has_value = true, .value_two = value_two, .has_value_two = true };
}

/* ---- tests ------------------------------------------------------------------ */

static void test_null_config(void)
{
  uoci_seccomp *s = (uoci_seccomp *) 1;
  uoci_error *err = NULL;
  ok(seccomp_compile(NULL, &s, &err) == 0 && s == NULL && err == NULL, "no linux.seccomp: nothing to install");
  int fd = 7;
  ok(seccomp_install(NULL, &fd) == 0 && fd == -1, "installing no filter is a no-op");
}

static void test_every_action_compiles(void)
{
  size_t n;
  const char *const *actions = seccomp_known_actions(&n);
  is_int(n, 9, "nine actions known");
  for (size_t i = 0; i < n; i++) {
    ocispec_syscall r = rule(NAMES("getppid"), actions[i]);
    ocispec_seccomp cfg = profile(strcmp(actions[i], "SCMP_ACT_ALLOW") ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO", &r, 1);
    cfg.listener_path = (char *) "/run/unused.sock";
    ok(compiles(&cfg), "rule action %s compiles", actions[i]);
    if (strcmp(actions[i], "SCMP_ACT_NOTIFY") == 0) {
      const char *msg = "";
      ocispec_syscall allow = rule(NAMES("exit_group"), "SCMP_ACT_ALLOW");
      ocispec_seccomp def = profile(actions[i], &allow, 1);
      ok(compile(&def, &msg) == NULL && strstr(msg, "cannot be the default action"), "NOTIFY as default action is refused: %s", msg);
    } else {
      ocispec_syscall allow = rule(NAMES("exit_group"), "SCMP_ACT_ALLOW");
      ocispec_seccomp def = profile(actions[i], &allow, 1);
      ok(compiles(&def), "default action %s compiles", actions[i]);
    }
  }
}

static void test_every_operator_compiles(void)
{
  size_t n;
  const char *const *ops = seccomp_known_operators(&n);
  is_int(n, 7, "seven operators known");
  for (size_t i = 0; i < n; i++) {
    ocispec_seccomp_arg a = arg(0, ops[i], 0700, 0100);
    ocispec_syscall r = rule(NAMES("umask"), "SCMP_ACT_ERRNO");
    r.args = &a;
    r.args_len = 1;
    ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
    ok(compiles(&cfg), "operator %s compiles", ops[i]);
  }
}

static void test_every_arch_compiles(void)
{
  size_t n;
  const char *const *archs = seccomp_known_archs(&n);
  ok(n >= 15, "libseccomp knows %zu spec architectures", n);
  /* An arch of the other byte order cannot join the native filter
   * (libseccomp: EDOM); that must be the only reason for a refusal. */
  bool all = true;
  size_t compiled = 0;
  for (size_t i = 0; i < n; i++) {
    ocispec_syscall r = rule(NAMES("getppid", "socketcall", "arch_prctl"), "SCMP_ACT_ERRNO");
    ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
    cfg.architectures = (char **) &archs[i];
    cfg.architectures_len = 1;
    const char *msg = "";
    uoci_seccomp *s = compile(&cfg, &msg);
    if (s)
      compiled++;
    else if (!strstr(msg, "different byte order")) {
      printf("# %s\n", msg);
      all = false;
    }
    seccomp_free(s);
  }
  ok(all && compiled >= 10, "every known architecture compiles (%zu) or is refused for its byte order", compiled);
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", NULL, 0);
  SET_LIST(cfg, architectures, "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
  ok(compiles(&cfg), "x86_64 with its sub-architectures (native listed too) compiles");
}

static void test_flags(void)
{
  size_t n_known, n_supported;
  const char *const *known = seccomp_known_flags(&n_known);
  const char *const *supported = seccomp_supported_flags(&n_supported);
  is_int(n_known, 4, "four flags known");
  ok(n_supported <= n_known && supported[n_supported] == NULL, "%zu flags supported by this kernel", n_supported);
  for (size_t i = 0; i < n_known; i++) {
    bool is_supported = false;
    for (size_t j = 0; j < n_supported; j++)
      is_supported |= strcmp(known[i], supported[j]) == 0;
    ocispec_syscall r = rule(NAMES("getppid"), "SCMP_ACT_ERRNO");
    ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
    cfg.flags = (char **) &known[i];
    cfg.flags_len = 1;
    const char *msg = "";
    uoci_seccomp *s = compile(&cfg, &msg);
    if (!is_supported) {
      ok(s == NULL && strstr(msg, "not supported by this kernel"), "flag %s: %s", known[i], msg);
    } else {
      /* and the kernel takes the filter with that flag */
      int st = s ? run_filtered(s, do_getppid, NULL) : -1;
      is_int(exit_code(st), EPERM, "flag %s compiles and installs", known[i]);
    }
    seccomp_free(s);
  }
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", NULL, 0);
  SET_LIST(cfg, flags, "SECCOMP_FILTER_FLAG_BOGUS");
  const char *msg = "";
  ok(compile(&cfg, &msg) == NULL, "unknown flag refused");
  is_str(msg, "seccomp: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"", "unknown flag message");
}

static void test_errors(void)
{
  const char *msg = "";
  ocispec_seccomp cfg = profile("SCMP_ACT_FOO", NULL, 0);
  ok(compile(&cfg, &msg) == NULL, "unknown default action refused");
  is_str(msg, "seccomp: unknown action \"SCMP_ACT_FOO\"", "unknown default action message");

  ocispec_syscall r = rule(NAMES("getppid"), "SCMP_ACT_BAR");
  cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  ok(compile(&cfg, &msg) == NULL, "unknown rule action refused");
  is_str(msg, "seccomp: unknown action \"SCMP_ACT_BAR\"", "unknown rule action message");

  cfg = profile("SCMP_ACT_ALLOW", NULL, 0);
  SET_LIST(cfg, architectures, "SCMP_ARCH_VAX");
  ok(compile(&cfg, &msg) == NULL, "unknown architecture refused");
  is_str(msg, "seccomp: unknown architecture \"SCMP_ARCH_VAX\"", "unknown architecture message");

  ocispec_seccomp_arg a = arg(0, "SCMP_CMP_ALMOST", 1, 0);
  r = rule(NAMES("umask"), "SCMP_ACT_ERRNO");
  r.args = &a;
  r.args_len = 1;
  cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  ok(compile(&cfg, &msg) == NULL, "unknown operator refused");
  is_str(msg, "seccomp: unknown operator \"SCMP_CMP_ALMOST\"", "unknown operator message");

  a = arg(6, "SCMP_CMP_EQ", 1, 0);
  ok(compile(&cfg, &msg) == NULL && strstr(msg, "argument index 6"), "argument index 6 refused: %s", msg);

  r = rule(NAMES("getppid"), "SCMP_ACT_KILL");
  r.errno_ret = 5;
  r.has_errno_ret = true;
  cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  ok(compile(&cfg, &msg) == NULL && strstr(msg, "errnoRet is only valid"), "errnoRet on KILL refused: %s", msg);

  cfg = profile("SCMP_ACT_ALLOW", NULL, 0);
  cfg.default_errno_ret = 5;
  cfg.has_default_errno_ret = true;
  ok(compile(&cfg, &msg) == NULL && strstr(msg, "defaultErrnoRet"), "defaultErrnoRet on ALLOW refused: %s", msg);

  r = rule(NAMES("getppid"), "SCMP_ACT_NOTIFY");
  cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  ok(compile(&cfg, &msg) == NULL && strstr(msg, "listenerPath"), "NOTIFY without listenerPath refused: %s", msg);

  r = rule(NAMES("write"), "SCMP_ACT_NOTIFY");
  cfg.listener_path = (char *) "/run/x.sock";
  ok(compile(&cfg, &msg) == NULL && strstr(msg, "SCMP_ACT_NOTIFY cannot be used for the write syscall"),
     "NOTIFY on write refused (runc's words): %s", msg);
}

static void test_unknown_names_skipped(void)
{
  ocispec_syscall r = rule(NAMES("no_such_syscall_at_all", "getppid", "another_fake"), "SCMP_ACT_ERRNO");
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  ok(s != NULL, "unknown syscall names are skipped");
  is_int(s ? exit_code(run_filtered(s, do_getppid, NULL)) : -1, EPERM, "the known name in the same rule still applies");
  seccomp_free(s);
}

static void test_rule_equal_to_default_skipped(void)
{
  ocispec_syscall rules[] = { rule(NAMES("getppid"), "SCMP_ACT_ALLOW"), rule(NAMES("umask"), "SCMP_ACT_ERRNO") };
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", rules, 2);
  uoci_seccomp *s = compile(&cfg, NULL);
  ok(s != NULL, "a rule repeating the default action is skipped, not an error");
  is_int(s ? exit_code(run_filtered(s, do_umask, (void *) 022)) : -1, EPERM, "other rules still apply");
  seccomp_free(s);
}

static void test_errno_actions(void)
{
  ocispec_syscall r = rule(NAMES("getppid"), "SCMP_ACT_ERRNO");
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), EPERM, "ERRNO without errnoRet returns EPERM");
  is_int(exit_code(run_filtered(s, do_umask, (void *) 022)), 0, "other syscalls still allowed");
  seccomp_free(s);

  r.errno_ret = EXDEV;
  r.has_errno_ret = true;
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), EXDEV, "ERRNO with errnoRet returns it");
  seccomp_free(s);

  /* Default ERRNO with defaultErrnoRet; the process must still be able to exit. */
  ocispec_syscall allow = rule(NAMES("exit_group", "exit", "umask"), "SCMP_ACT_ALLOW");
  cfg = profile("SCMP_ACT_ERRNO", &allow, 1);
  cfg.default_errno_ret = ENOSYS;
  cfg.has_default_errno_ret = true;
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), ENOSYS, "default ERRNO with defaultErrnoRet");
  is_int(exit_code(run_filtered(s, do_umask, (void *) 022)), 0, "allow-listed syscall works under default ERRNO");
  seccomp_free(s);
}

/* getrandom (318 on x86_64) is above every syscall the profiles below name. */
static int do_getrandom(void *arg)
{
  char b;
  return result_of(syscall(SYS_getrandom, &b, 1, 0));
}

static void test_enosys_above_profile(void)
{
  ocispec_syscall allow = rule(NAMES("exit_group", "exit", "getppid"), "SCMP_ACT_ALLOW");
  ocispec_seccomp cfg = profile("SCMP_ACT_ERRNO", &allow, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getrandom, NULL)), ENOSYS,
         "default ERRNO: a syscall newer than every name in the profile gets ENOSYS");
  is_int(exit_code(run_filtered(s, do_umask, (void *) 022)), EPERM, "one below the highest name keeps the default");
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), 0, "allowed syscalls pass the stub");
  seccomp_free(s);

  static char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  cfg.architectures = archs;
  cfg.architectures_len = ARRAY_SIZE(archs);
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getrandom, NULL)), ENOSYS, "same with x86 and x32 listed");
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), 0, "and allowed syscalls still pass");
  seccomp_free(s);
  cfg.architectures = NULL;
  cfg.architectures_len = 0;

  cfg.default_action = "SCMP_ACT_KILL_PROCESS";
  s = compile(&cfg, NULL);
  int st = run_filtered(s, do_getrandom, NULL);
  is_int(exit_code(st), ENOSYS, "default KILL: the newer syscall gets ENOSYS, the process lives");
  st = run_filtered(s, do_umask, (void *) 022);
  is_int(term_signal(st), SIGSYS, "a known syscall the profile does not allow is still killed");
  seccomp_free(s);

  cfg.default_action = "SCMP_ACT_ALLOW";
  ocispec_syscall deny = rule(NAMES("getppid"), "SCMP_ACT_ERRNO");
  cfg.syscalls = &deny;
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getrandom, NULL)), 0, "default ALLOW: newer syscalls stay allowed");
  seccomp_free(s);

  cfg.default_action = "SCMP_ACT_ERRNO";
  cfg.syscalls = &allow;
  cfg.default_errno_ret = EXDEV;
  cfg.has_default_errno_ret = true;
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getrandom, NULL)), ENOSYS, "defaultErrnoRet does not change the newer syscalls");
  is_int(exit_code(run_filtered(s, do_umask, (void *) 022)), EXDEV, "known ones get defaultErrnoRet");
  seccomp_free(s);
}

static void test_kill_actions(void)
{
  const char *kills[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS" };
  for (size_t i = 0; i < ARRAY_SIZE(kills); i++) {
    ocispec_syscall r = rule(NAMES("getppid"), kills[i]);
    ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
    uoci_seccomp *s = compile(&cfg, NULL);
    is_int(term_signal(run_filtered(s, do_getppid, NULL)), SIGSYS, "%s kills with SIGSYS", kills[i]);
    seccomp_free(s);
  }
}

static volatile sig_atomic_t trapped_syscall = -1;
static void on_sigsys(int sig, siginfo_t *si, void *uc) { trapped_syscall = si->si_syscall; }

static int do_getppid_trapped(void *arg)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
  sigaction(SIGSYS, &sa, NULL);
  syscall(SYS_getppid);
  return trapped_syscall == SYS_getppid ? 0 : 1;
}

static void test_trap_trace_log_allow(void)
{
  ocispec_syscall r = rule(NAMES("getppid"), "SCMP_ACT_TRAP");
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  is_int(term_signal(run_filtered(s, do_getppid, NULL)), SIGSYS, "TRAP raises SIGSYS");
  is_int(exit_code(run_filtered(s, do_getppid_trapped, NULL)), 0, "TRAP's SIGSYS can be caught and names the syscall");
  seccomp_free(s);

  /* With no tracer attached the kernel fails a TRACE'd syscall with ENOSYS. */
  r = rule(NAMES("getppid"), "SCMP_ACT_TRACE");
  cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), ENOSYS, "TRACE without a tracer gives ENOSYS");
  seccomp_free(s);

  r = rule(NAMES("getppid"), "SCMP_ACT_LOG");
  cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), 0, "LOG lets the syscall through");
  seccomp_free(s);

  ocispec_syscall rules[] = { rule(NAMES("getppid"), "SCMP_ACT_ALLOW"), rule(NAMES("exit_group"), "SCMP_ACT_ALLOW") };
  cfg = profile("SCMP_ACT_KILL_PROCESS", rules, 2);
  s = compile(&cfg, NULL);
  is_int(exit_code(run_filtered(s, do_getppid, NULL)), 0, "ALLOW rules under a KILL_PROCESS default");
  is_int(term_signal(run_filtered(s, do_umask, (void *) 022)), SIGSYS, "and everything else is killed");
  seccomp_free(s);
}

static void test_arg_operators(void)
{
  ocispec_seccomp_arg a;
  a = arg(0, "SCMP_CMP_EQ", 0123, 0);
  is_int(umask_result(&a, 1, 0123), EPERM, "EQ: equal value blocked");
  is_int(umask_result(&a, 1, 0124), 0, "EQ: other value allowed");
  a = arg(0, "SCMP_CMP_NE", 0123, 0);
  is_int(umask_result(&a, 1, 0124), EPERM, "NE: other value blocked");
  is_int(umask_result(&a, 1, 0123), 0, "NE: equal value allowed");
  a = arg(0, "SCMP_CMP_LT", 0100, 0);
  is_int(umask_result(&a, 1, 077), EPERM, "LT: smaller blocked");
  is_int(umask_result(&a, 1, 0100), 0, "LT: equal allowed");
  a = arg(0, "SCMP_CMP_LE", 0100, 0);
  is_int(umask_result(&a, 1, 0100), EPERM, "LE: equal blocked");
  is_int(umask_result(&a, 1, 0101), 0, "LE: larger allowed");
  a = arg(0, "SCMP_CMP_GE", 0100, 0);
  is_int(umask_result(&a, 1, 0100), EPERM, "GE: equal blocked");
  is_int(umask_result(&a, 1, 077), 0, "GE: smaller allowed");
  a = arg(0, "SCMP_CMP_GT", 0100, 0);
  is_int(umask_result(&a, 1, 0101), EPERM, "GT: larger blocked");
  is_int(umask_result(&a, 1, 0100), 0, "GT: equal allowed");
  /* value is the mask, valueTwo the expected masked result */
  a = arg(0, "SCMP_CMP_MASKED_EQ", 0700, 0100);
  is_int(umask_result(&a, 1, 0155), EPERM, "MASKED_EQ: (0155 & 0700) == 0100 blocked");
  is_int(umask_result(&a, 1, 0255), 0, "MASKED_EQ: (0255 & 0700) != 0100 allowed");
}

static void test_same_index_is_or(void)
{
  ocispec_seccomp_arg args[] = { arg(0, "SCMP_CMP_EQ", 1, 0), arg(0, "SCMP_CMP_EQ", 2, 0) };
  is_int(umask_result(args, 2, 1), EPERM, "same index, first value blocked (OR)");
  is_int(umask_result(args, 2, 2), EPERM, "same index, second value blocked (OR)");
  is_int(umask_result(args, 2, 3), 0, "same index, neither value allowed");
}

static void test_different_indexes_are_and(void)
{
  ocispec_seccomp_arg args[] = { arg(0, "SCMP_CMP_EQ", 0 /* PRIO_PROCESS */, 0), arg(1, "SCMP_CMP_EQ", 0, 0) };
  ocispec_syscall r = rule(NAMES("getpriority"), "SCMP_ACT_ERRNO");
  r.args = args;
  r.args_len = 2;
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  struct prio_args both = { 0, 0 }, only_first = { 0, getpid() }, only_second = { 1 /* PRIO_PGRP */, 0 };
  is_int(exit_code(run_filtered(s, do_getpriority, &both)), EPERM, "different indexes, both match: blocked");
  is_int(exit_code(run_filtered(s, do_getpriority, &only_first)), 0, "different indexes, only arg0 matches: allowed (AND)");
  is_int(exit_code(run_filtered(s, do_getpriority, &only_second)), 0, "different indexes, only arg1 matches: allowed (AND)");
  seccomp_free(s);
}

/* Without NO_NEW_PRIVS the kernel wants CAP_SYS_ADMIN: the caller's ordering
 * rule in seccomp.h depends on this. */
static int install_without_nnp_or_sysadmin(void *arg)
{
  cap_t caps = cap_get_proc();
  cap_value_t admin = CAP_SYS_ADMIN;
  cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_CLEAR);
  if (cap_set_proc(caps) < 0)
    return 90;
  cap_free(caps);
  return -seccomp_install(arg, NULL);
}

static void test_install_needs_nnp_or_sysadmin(void)
{
  ocispec_syscall r = rule(NAMES("getppid"), "SCMP_ACT_ERRNO");
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  uoci_seccomp *s = compile(&cfg, NULL);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    _exit(install_without_nnp_or_sysadmin(s));
  int st;
  waitpid(pid, &st, 0);
  is_int(exit_code(st), EACCES, "without NO_NEW_PRIVS and CAP_SYS_ADMIN install fails with EACCES");
  seccomp_free(s);
}

/* ---- notify --------------------------------------------------------------- */

static int send_fd(int sock, int fd)
{
  char byte = 'F';
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control = { 0 };
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receive up to len-1 bytes and one fd; returns bytes read or -1. */
static ssize_t recv_with_fd(int sock, char *buf, size_t len, int *fd)
{
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control = { 0 };
  struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  *fd = -1;
  if (n < 0)
    return -1;
  buf[n] = '\0';
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c && c->cmsg_type == SCM_RIGHTS)
    memcpy(fd, CMSG_DATA(c), sizeof *fd);
  return n;
}

/* Child under a NOTIFY filter: pass the listener fd up, then make the
 * notified call; the parent answers it with 4242. */
static void notify_child(const uoci_seccomp *s, int sock)
{
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  int listener;
  if (seccomp_install(s, &listener) < 0 || listener < 0)
    _exit(10);
  if (send_fd(sock, listener) < 0)
    _exit(11);
  close(listener);
  long r = syscall(SYS_getppid);
  _exit(r == 4242 ? 0 : 12);
}

static int answer_one_notification(int listener)
{
  struct seccomp_notif req = { 0 };
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return -1;
  struct seccomp_notif_resp resp = { .id = req.id, .val = 4242, .error = 0, .flags = 0 };
  if (req.data.nr != SYS_getppid)
    resp.error = -EPERM;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void test_notifies_one_of(void)
{
  static const char *const names[] = { "prctl", "setresuid", "clone", NULL };
  ocispec_syscall r[] = { rule(NAMES("setresuid", "mkdir"), "SCMP_ACT_ERRNO"),
                          rule(NAMES("mkdirat", "clone"), "SCMP_ACT_NOTIFY") };
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", r, 2);
  const char *n = seccomp_notifies_one_of(&cfg, names);
  ok(n && strcmp(n, "clone") == 0, "notifies_one_of: the name a NOTIFY rule has (%s), not an ERRNO rule's", n ? n : "none");
  cfg.syscalls_len = 1;
  ok(seccomp_notifies_one_of(&cfg, names) == NULL, "notifies_one_of: none without a NOTIFY rule naming one");
  ok(seccomp_notifies_one_of(NULL, names) == NULL, "notifies_one_of: no profile");
}

static void test_notify(void)
{
  char dir[] = "/tmp/uoci-seccomp-test.XXXXXX";
  if (!mkdtemp(dir)) {
    ok(0, "mkdtemp");
    return;
  }
  char *path = xasprintf("%s/listener.sock", dir);
  ocispec_syscall r = rule(NAMES("getppid"), "SCMP_ACT_NOTIFY");
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", &r, 1);
  cfg.listener_path = path;
  cfg.listener_metadata = (char *) "MKNOD=/dev/null;quote=\"x\"";
  uoci_seccomp *s = compile(&cfg, NULL);
  ok(s && seccomp_wants_notify(s), "a NOTIFY rule makes the filter want a listener");

  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(pair[0]);
    notify_child(s, pair[1]);
  }
  close(pair[1]);
  char byte[2];
  int listener = -1;
  recv_with_fd(pair[0], byte, sizeof byte, &listener);
  close(pair[0]);
  ok(listener >= 0, "child passed up the listener fd");

  /* Hand it to a listener socket as the runtime would, and read the
   * containerProcessState back. */
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  bool listening = srv >= 0 && bind(srv, (struct sockaddr *) &addr, sizeof addr) == 0 && listen(srv, 1) == 0;
  char *state = xasprintf("{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":%d,\"bundle\":\"/b\"}", pid);
  uoci_error *err = NULL;
  int sent = listening ? seccomp_send_notify_fd(&cfg, listener, pid, state, &err) : -1;
  ok(sent == 0, "seccomp_send_notify_fd: %s", err ? err->msg : "sent");
  uoci_error_free(err);
  close(listener);

  char buf[4096] = "";
  int passed = -1;
  int conn = listening ? accept4(srv, NULL, NULL, SOCK_CLOEXEC) : -1;
  ssize_t n = conn >= 0 ? recv_with_fd(conn, buf, sizeof buf, &passed) : -1;
  ok(n > 0 && passed >= 0, "listener received the state and an fd");
  char *want_pid = xasprintf("\"pid\":%d,", pid);
  ok(strstr(buf, "\"fds\":[\"seccompFd\"]") && strstr(buf, want_pid) && strstr(buf, "\"state\":{\"ociVersion\"") &&
         strstr(buf, "\"metadata\":\"MKNOD=/dev/null;quote=\\\"x\\\"\""),
     "containerProcessState carries fds, pid, metadata and state");
  printf("# %s\n", buf);
  ok(passed >= 0 && answer_one_notification(passed) == 0, "listener answered the notified getppid");
  int st;
  waitpid(pid, &st, 0);
  is_int(exit_code(st), 0, "the child saw the listener's answer");

  if (passed >= 0)
    close(passed);
  if (conn >= 0)
    close(conn);
  if (srv >= 0)
    close(srv);
  unlink(path);
  rmdir(dir);
  free(want_pid);
  free(state);
  free(path);
  seccomp_free(s);

  err = NULL;
  cfg.listener_path = (char *) "/nonexistent-dir/listener.sock";
  ok(seccomp_send_notify_fd(&cfg, 0, 1, "{\"pid\":1}", &err) < 0 && err &&
         strcmp(err->msg, "seccomp listenerPath /nonexistent-dir/listener.sock: failed to connect with seccomp agent: "
                         "No such file or directory") == 0,
     "unreachable listener: %s", err ? err->msg : "");
  uoci_error_free(err);

  /* a state nested a million deep: one error, not a crash in yajl_tree_free */
  size_t levels = 1000000;
  char *deep = malloc(2 * levels + 1);
  memset(deep, '[', levels);
  memset(deep + levels, ']', levels);
  deep[2 * levels] = '\0';
  err = NULL;
  ok(seccomp_send_notify_fd(&cfg, 0, 1, deep, &err) < 0 && err &&
         strcmp(err->msg, "seccomp: container state is not a JSON object: nested deeper than 128 levels") == 0,
     "a state nested a million deep: %s", err ? err->msg : "");
  uoci_error_free(err);
  free(deep);
}

/* ---- JSON profiles ---------------------------------------------------------- */

static ocispec_config *parse_config(const char *json, char **perr)
{
  return ocispec_parse(&ocispec_config_type, json, strlen(json), "config.json", perr);
}

static void test_json_profile(void)
{
  const char *json =
      "{\"ociVersion\":\"1.3.0\",\"linux\":{\"seccomp\":{"
      "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
      "\"flags\":[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
      "\"syscalls\":[{\"names\":[\"getppid\",\"fake_call\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18},"
      "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":448,\"valueTwo\":64,"
      "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}}}";
  char *perr = NULL;
  ocispec_config *c = parse_config(json, &perr);
  ok(c && c->linux && c->linux->seccomp, "JSON profile parses: %s", perr ? perr : "ok");
  free(perr);
  uoci_seccomp *s = c && c->linux ? compile(c->linux->seccomp, NULL) : NULL;
  ok(s != NULL, "JSON profile compiles");
  is_int(s ? exit_code(run_filtered(s, do_getppid, NULL)) : -1, EXDEV, "JSON profile: errnoRet applied");
  is_int(s ? exit_code(run_filtered(s, do_umask, (void *) 0155)) : -1, EPERM, "JSON profile: MASKED_EQ blocks");
  is_int(s ? exit_code(run_filtered(s, do_umask, (void *) 0255)) : -1, 0, "JSON profile: MASKED_EQ allows");
  seccomp_free(s);
  ocispec_config_free(c);
}

/* podman's profile is in containers' own format (archMap, includes/excludes
 * by capability and arch); resolve it for x86_64 and podman's default
 * capabilities into an OCI linux.seccomp, as podman does before it calls
 * the runtime. */
static const char podman_to_oci[] =
    "jq -c --argjson caps '[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\","
    "\"CAP_NET_BIND_SERVICE\",\"CAP_SETFCAP\",\"CAP_SETGID\",\"CAP_SETPCAP\",\"CAP_SETUID\",\"CAP_SYS_CHROOT\"]' "
    "'def wanted: ((.includes.caps // []) - $caps == []) and ((.includes.arches // [\"amd64\"]) | index(\"amd64\") != null)"
    " and ([(.excludes.caps // [])[] | select(. as $c | $caps | index($c))] == [])"
    " and ((.excludes.arches // []) | index(\"amd64\") == null);"
    " {ociVersion: \"1.3.0\", linux: {seccomp: {defaultAction, defaultErrnoRet,"
    " architectures: ([.archMap[] | select(.architecture == \"SCMP_ARCH_X86_64\") | .architecture, .subArchitectures[]]),"
    " syscalls: [.syscalls[] | select(wanted) | {names, action, args, errnoRet} | with_entries(select(.value != null))]}}}' ";

static int do_acct(void *arg) { return result_of(syscall(SYS_acct, NULL)); }

static void test_podman_profile(void)
{
  const char *path = "/usr/share/containers/seccomp.json";
  if (access(path, R_OK) != 0 || system("command -v jq >/dev/null") != 0) {
    for (int i = 0; i < 4; i++)
      ok(1, "# SKIP %s or jq not present (apt-get install golang-github-containers-common jq)", path);
    return;
  }
  char *cmd = xasprintf("%s %s", podman_to_oci, path);
  FILE *p = popen(cmd, "r");
  free(cmd);
  char *json = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&json, &len);
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
    fwrite(buf, 1, n, mem);
  fclose(mem);
  int rc = p ? pclose(p) : -1;
  char *perr = NULL;
  ocispec_config *c = rc == 0 ? parse_config(json, &perr) : NULL;
  ok(c && c->linux && c->linux->seccomp && c->linux->seccomp->syscalls_len > 10, "podman's profile converts and parses%s%s",
     perr ? ": " : "", perr ? perr : "");
  const char *msg = "";
  uoci_seccomp *s = c && c->linux ? compile(c->linux->seccomp, &msg) : NULL;
  ok(s != NULL, "podman's default profile compiles%s%s", *msg ? ": " : "", msg);
  is_int(s ? exit_code(run_filtered(s, do_getppid, NULL)) : -1, 0, "podman profile: getppid allowed");
  is_int(s ? exit_code(run_filtered(s, do_acct, NULL)) : -1, EPERM, "podman profile: acct (needs CAP_SYS_PACCT) refused");
  seccomp_free(s);
  ocispec_config_free(c);
  free(perr);
  free(json);
}

/* A hostile profile of many distinct argument rules: libseccomp's time
 * grows with their square (100000 took minutes) and the filter could never
 * load; refused at once, before compiling. */
static void test_too_many_rules_refused_at_once(void)
{
  size_t n = 20000;
  static char *getppid_name[] = { "getppid" };
  ocispec_syscall *r = xcalloc(n, sizeof *r);
  ocispec_seccomp_arg *a = xcalloc(n, sizeof *a);
  for (size_t i = 0; i < n; i++) {
    a[i] = arg(0, "SCMP_CMP_EQ", i, 0);
    r[i] = rule(getppid_name, 1, "SCMP_ACT_ERRNO");
    r[i].args = &a[i];
    r[i].args_len = 1;
  }
  ocispec_seccomp cfg = profile("SCMP_ACT_ALLOW", r, n);
  const char *msg = "";
  time_t t0 = time(NULL);
  uoci_seccomp *s = compile(&cfg, &msg);
  ok(s == NULL && strstr(msg, "20000 syscall rules") && strstr(msg, "at most 4096"), "20000 rules refused: %s", msg);
  ok(time(NULL) - t0 <= 1, "refused in %lld s", (long long) (time(NULL) - t0));
  cfg.syscalls_len = 4096;
  s = compile(&cfg, &msg);
  ok(s == NULL && strstr(msg, "instructions") && !strstr(msg, "syscall rules"),
     "4096 distinct rules are compiled, and too long to load: %s", msg);
  if (s)
    seccomp_free(s);
  free(r);
  free(a);
}

int main(void)
{
  test_null_config();
  test_every_action_compiles();
  test_every_operator_compiles();
  test_every_arch_compiles();
  test_flags();
  test_errors();
  test_unknown_names_skipped();
  test_rule_equal_to_default_skipped();
  test_errno_actions();
  test_kill_actions();
  test_enosys_above_profile();
  test_trap_trace_log_allow();
  test_arg_operators();
  test_same_index_is_or();
  test_different_indexes_are_and();
  test_install_needs_nnp_or_sysadmin();
  test_notifies_one_of();
  test_notify();
  test_json_profile();
  test_podman_profile();
  test_too_many_rules_refused_at_once();
  return done_testing();
}

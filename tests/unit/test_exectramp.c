/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_exectramp.c - the exec trampoline (exectramp.h): when it starts a
 * process exactly as a direct execve would, and that it does: the program's
 * argv, environment, /proc/self/exe and comm are its own, no fd of ours
 * reaches it, and an execve failure comes back as its errno. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exectramp.h"
#include "utils.h"
#include "tap.h"

static char *allow[] = { (char *) "execve", (char *) "execveat", (char *) "fcntl", (char *) "exit_group" };
static char *only_execve[] = { (char *) "execve" };

/* Run `path argv` through the trampoline, its stdout into out; returns the
 * reported errno (0: exec'd) and the exit status in *status. */
static int through(const char *path, char *const argv[], char *out, size_t outsz, int *status)
{
  int tfd = exectramp_open();
  int rp[2], op[2];
  if (tfd < 0 || pipe2(rp, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0)
    return -1;
  char *envp[] = { (char *) "TRAMP_TEST=1", NULL };
  pid_t pid = fork();
  if (pid == 0) {
    dup2(op[1], 1);
    exectramp_exec(tfd, path, argv, envp, rp[1]);
    _exit(99);
  }
  close(rp[1]);
  close(op[1]);
  close(tfd);
  int e = exectramp_wait(rp[0], false);
  size_t len = 0;
  ssize_t n;
  while (len < outsz - 1 && (n = read(op[0], out + len, outsz - 1 - len)) > 0)
    len += (size_t) n;
  out[len] = '\0';
  waitpid(pid, status, 0);
  close(rp[0]);
  close(op[0]);
  return e;
}

int main(void)
{
  /* only our own fds from here on (a harness may pass some) */
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
  const char *why;
  ocispec_process p = { 0 };
  ok(exectramp_fits(&p, NULL, &why), "a plain process without seccomp fits");
  p.selinux_label = (char *) "system_u:system_r:container_t:s0";
  ok(!exectramp_fits(&p, NULL, &why) && strstr(why, "LSM"), "an SELinux label does not (the transition would land on the trampoline)");
  p.selinux_label = NULL;
  p.apparmor_profile = (char *) "docker-default";
  ok(!exectramp_fits(&p, NULL, &why), "nor an AppArmor profile");
  p.apparmor_profile = NULL;

  ocispec_syscall rules[2] = { { .names = allow, .names_len = 4, .action = (char *) "SCMP_ACT_ALLOW" } };
  ocispec_seccomp sc = { .default_action = (char *) "SCMP_ACT_ERRNO", .syscalls = rules, .syscalls_len = 1 };
  ok(exectramp_fits(&p, &sc, &why), "a default-deny profile that allows execveat and fcntl fits");
  rules[0].names = only_execve;
  rules[0].names_len = 1;
  ok(!exectramp_fits(&p, &sc, &why) && strstr(why, "seccomp"), "one that does not allow execveat does not");
  sc.default_action = (char *) "SCMP_ACT_ALLOW";
  ok(exectramp_fits(&p, &sc, &why), "default allow fits");
  rules[1] = (ocispec_syscall) { .names = allow + 1, .names_len = 1, .action = (char *) "SCMP_ACT_ERRNO" };
  sc.syscalls_len = 2;
  ok(!exectramp_fits(&p, &sc, &why), "default allow with execveat refused does not");
  ocispec_seccomp_arg arg = { .index = 0 };
  rules[0] = (ocispec_syscall) { .names = allow, .names_len = 4, .action = (char *) "SCMP_ACT_ALLOW", .args = &arg, .args_len = 1 };
  sc = (ocispec_seccomp) { .default_action = (char *) "SCMP_ACT_KILL", .syscalls = rules, .syscalls_len = 1 };
  ok(!exectramp_fits(&p, &sc, &why), "allowed only for some arguments does not");

  /* no_new_privs: a non-root exec cannot gain permitted caps beyond the
   * trampoline's (its ambient set) */
  static char *net_raw[] = { (char *) "CAP_NET_RAW" };
  ocispec_capabilities caps = { .permitted = net_raw, .permitted_len = 1 };
  ocispec_user user = { .uid = 1000 };
  p = (ocispec_process) { .no_new_privileges = true, .has_no_new_privileges = true, .user = &user, .capabilities = &caps };
  ok(!exectramp_fits(&p, NULL, &why) && strstr(why, "no_new_privileges"), "nnp, non-root, permitted beyond ambient: no");
  caps.ambient = net_raw;
  caps.ambient_len = 1;
  ok(exectramp_fits(&p, NULL, &why), "nnp, non-root, permitted within ambient: fits");
  p.capabilities = NULL;
  ok(!exectramp_fits(&p, NULL, &why), "nnp, non-root, no capabilities given (the runtime's): no");
  user.uid = 0;
  ok(exectramp_fits(&p, NULL, &why), "nnp as root: fits (root's permitted set is recomputed alike)");
  p.has_no_new_privileges = false;
  user.uid = 1000;
  ok(exectramp_fits(&p, NULL, &why), "non-root without nnp: fits (an exec keeps no permitted cap but ambient)");

  char rec[5] = { 0 };
  int e = ENOENT, got = 0;
  memcpy(rec + 1, &e, sizeof e);
  ok(exectramp_report(rec, 5, &got) && got == ENOENT, "a report is NUL and the errno");
  ok(!exectramp_report("exec /x: No such file", 21, &got), "an init's text is none");

  /* The trampoline itself: the memfd is sealed and runs the program as itself. */
  int tfd = exectramp_open();
  ok(tfd >= 0, "trampoline memfd made (%s)", tfd < 0 ? strerror(errno) : "ok");
  int seals = tfd >= 0 ? fcntl(tfd, F_GET_SEALS) : 0;
  ok((seals & (F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_SHRINK)) ==
         (F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_SHRINK), "sealed against every change");
  ok(tfd >= 0 && write(tfd, "x", 1) < 0 && errno == EPERM, "a write is refused");
  close(tfd);
  char out[4096];
  int status = 0;
  char *sh[] = { (char *) "my-sh", (char *) "-c",
                 (char *) "echo \"$0 $TRAMP_TEST $(readlink /proc/$$/exe) $(cat /proc/$$/comm)\"; ls /proc/$$/fd", NULL };
  e = through("/bin/sh", sh, out, sizeof out, &status);
  printf("# %s\n", out);
  ok(e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "exec'd /bin/sh (errno %d)", e);
  char exe[256] = "";
  ssize_t n = readlink("/bin/sh", exe, sizeof exe - 1);
  (void) n;
  ok(strncmp(out, "my-sh 1 /", 9) == 0, "argv[0] and the environment are the program's");
  ok(strstr(out, "memfd") == NULL && strstr(out, " sh\n") != NULL, "/proc/self/exe is the program's file, comm its name");
  ok(strstr(out, "\n0\n1\n2\n3\n") == NULL && strstr(out, "\n0\n1\n2\n") != NULL,
     "no fd but stdio reaches it (the report fd was close-on-exec)");
  char *none[] = { (char *) "x", NULL };
  e = through("/nonexistent/x", none, out, sizeof out, &status);
  ok(e == ENOENT && WIFEXITED(status) && WEXITSTATUS(status) == 127, "a missing program: ENOENT reported, status 127");
  char tmp[] = "/tmp/test-exectramp.XXXXXX";
  int fd = mkstemp(tmp);
  ok(fd >= 0 && write(fd, "garbage\n", 8) == 8 && fchmod(fd, 0755) == 0, "a file of garbage");
  close(fd);
  e = through(tmp, none, out, sizeof out, &status);
  ok(e == ENOEXEC, "executable garbage: ENOEXEC (%d)", e);
  chmod(tmp, 0644);
  e = through(tmp, none, out, sizeof out, &status);
  ok(e == EACCES, "a file without exec permission: EACCES (%d)", e);
  unlink(tmp);
  return done_testing();
}

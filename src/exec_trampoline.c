/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec_trampoline.c - the program the process that execs runs first (see
 * exectramp.h). Built without libc as a static ELF of a few hundred bytes
 * and embedded in the runtime, which writes it into a sealed memfd and
 * executes that. Here /proc/self/exe is the sealed memfd, not the runtime's
 * binary: whatever the container makes the program path (or a "#!" line, or
 * an ELF interpreter) resolve to when we execve, it cannot be the runtime.
 *
 *   argv[0]  the program's path (as the runtime resolved it)
 *   argv[1]  the report fd, in decimal: close-on-exec before the execve; on
 *            failure it gets 5 bytes, '\0' and the errno (native int)
 *   argv[2]  on: the program's own argv; envp: its environment
 *
 * Nothing else is touched: no signal, credential, fd or memory state, so
 * the program starts exactly as it would from the runtime's execve. */
#include <asm/unistd.h>

#define T_F_SETFD 2
#define T_FD_CLOEXEC 1

#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n\txor %rbp,%rbp\n\tmov %rsp,%rdi\n\tand $-16,%rsp\n\tcall tramp_main\n\thlt\n");
static long sys3(long n, long a, long b, long c)
{
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl tramp_main\n\tbrk #0\n");
static long sys3(long n, long a, long b, long c)
{
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#else
#error "exec trampoline: no system call stub for this architecture"
#endif

static void __attribute__((noreturn)) leave(int code)
{
  for (;;)
    sys3(__NR_exit_group, code, 0, 0);
}

static void __attribute__((noreturn)) refuse(void)
{
  static const char msg[] = "ulysses-oci exec trampoline: only the runtime starts this\n";
  sys3(__NR_write, 2, (long) msg, sizeof msg - 1);
  leave(127);
}

void __attribute__((noreturn, used)) tramp_main(long *sp)
{
  long argc = sp[0];
  char **argv = (char **) (sp + 1);
  char **envp = argv + argc + 1;
  if (argc < 3)
    refuse();
  long fd = 0;
  const char *p = argv[1];
  if (*p == '\0')
    refuse();
  for (; *p; p++) {
    if (*p < '0' || *p > '9' || fd > 100000000)
      refuse();
    fd = fd * 10 + (*p - '0');
  }
  long r = sys3(__NR_fcntl, fd, T_F_SETFD, T_FD_CLOEXEC);
  if (r >= 0)
    r = sys3(__NR_execve, (long) argv[0], (long) (argv + 2), (long) envp);
  if (r < 0 && r > -4096) {
    int e = (int) -r;
    char rec[1 + sizeof e];
    rec[0] = '\0';
    for (unsigned i = 0; i < sizeof e; i++)
      rec[1 + i] = ((const char *) &e)[i];
    sys3(__NR_write, fd, (long) rec, sizeof rec);
  }
  leave(127);
}

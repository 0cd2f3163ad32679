/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exectramp.h - the exec trampoline: how the process that execs the
 * container's program (the init, exec's second child) stops being the
 * runtime's binary before the execve that a container can redirect.
 *
 * That process runs the runtime's binary. Whatever its execve opens by path
 * (the program, a "#!" interpreter, an ELF's PT_INTERP) is resolved while
 * /proc/self/exe is still that binary, so a container that swaps the program
 * for a link to /proc/self/exe after the check (selfexe_refuse_program), or
 * rewrites a "#!" line or an interpreter in a file its root owns, makes the
 * runtime's binary its process (CVE-2019-5736). Where that binary is on a
 * writable mount and the container has no user namespace of its own, the
 * runtime writes a small static program without libc (exec_trampoline.c)
 * into a sealed memfd and the process execs that first (execveat of the fd:
 * nothing to redirect); it then execs the program, and /proc/self/exe is
 * the sealed memfd. docs/SECURITY.md. */
#ifndef UOCI_EXECTRAMP_H
#define UOCI_EXECTRAMP_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "libocispec/ocispec.h"

/* Does going through the trampoline start the process exactly as a direct
 * execve would? No when an LSM exec label is set (the transition would land
 * on the trampoline: SELinux's container domains may not enter through a
 * memfd, runc issue 4057), when the seccomp profile may refuse the
 * trampoline's own execveat or fcntl, or when no_new_privs would clamp a
 * non-root process's permitted capabilities to the trampoline's (ambient)
 * ones. Pure: unit-tested. *why says which. */
bool exectramp_fits(const ocispec_process *p, const ocispec_seccomp *sc, const char **why);

/* The trampoline in a memfd sealed against every change (close-on-exec).
 * -1 with errno when memfds cannot be made executable here. */
int exectramp_open(void);

/* Exec the trampoline, which execs path with argv and envp and reports an
 * execve failure on report_fd (left open across this one exec only).
 * Returns only on failure (-1, errno). */
int exectramp_exec(int tramp_fd, const char *path, char *const argv[], char *const envp[], int report_fd);

/* A trampoline's report in buf (len bytes): true with *errnum when it is one. */
bool exectramp_report(const char *buf, size_t len, int *errnum);

/* Wait for the trampoline on the read end of its report pipe: 0 when its
 * execve succeeded (EOF), else the errno it reported. nonblock: only what
 * is there now (the process has exited). */
int exectramp_wait(int fd, bool nonblock);

#endif

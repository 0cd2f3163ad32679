/* SPDX-License-Identifier: GPL-2.0-or-later */
/* selfexe.h - the runtime's own executable, as a container can see it.
 *
 * The init (until it execs the user process), its hook children and exec's
 * child are runtime processes inside the container's pid namespace. Their
 * /proc/PID/exe is the runtime's binary. Non-dumpable keeps every container
 * process out, except one that holds CAP_SYS_PTRACE over the runtime's user
 * namespace: it could open that link and, once the runtime process is gone,
 * reopen it for writing and replace the host's binary (CVE-2019-5736). When
 * that can happen (selfexe_must_seal), the runtime first re-executes itself
 * through a view of its binary that nobody can write: a detached read-only
 * bind mount of it (no copy), or a sealed memfd copy where no mount can be
 * made. See docs/SECURITY.md and docs/PERFORMANCE.md (cost). */
#ifndef UOCI_SELFEXE_H
#define UOCI_SELFEXE_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

/* Who may be in the container's pid namespace while a runtime process is. */
struct ptrace_exposure {
  bool own_userns;     /* the container's capabilities count only in a user namespace of its own */
  bool shared_pidns;   /* a pid namespace joined by path (not the host's): tenants we don't know */
  bool config_ptrace;  /* the config's process may hold CAP_SYS_PTRACE (exec inherits it) */
  bool marked;         /* an earlier exec gave a process CAP_SYS_PTRACE (state file "ptrace") */
};

/* Must runtime processes entering this container run from a sealed view?
 * Pure: unit-tested. */
bool selfexe_must_seal(const struct ptrace_exposure *e);

/* main: remember the command line, for a re-exec. */
void selfexe_init(char **argv);

/* That command line (NULL before selfexe_init). */
char **selfexe_argv(void);

/* Is /proc/self/exe a view nobody can write: a sealed memfd, or a file on a
 * read-only mount? */
bool selfexe_is_sealed(void);

/* Unless already sealed: re-execute this very command through a sealed view
 * of the binary. Returns 0 when already sealed; otherwise returns only on
 * failure. Call before anything is created or logged. */
int selfexe_seal(uoci_error **err);

/* Refuse (-1, one line) a program the container names for its process
 * (args[0] as resolved, followed through every link as execve follows it,
 * and the interpreter of a "#!" script, nested as the kernel nests them)
 * that is the runtime's own binary on a writable mount: /proc/self/exe or a
 * link to it in the rootfs would make the container's process the runtime
 * binary, open to every process there through /proc/PID/exe and writable
 * through it once it stops running (CVE-2019-5736). Call right before
 * execve, in the process that execs. */
int selfexe_refuse_program(const char *path, uoci_error **err);

/* Identity of the running binary ("DEV:INO", as selfexe_init found it), to
 * tell later whether a process still runs runtime code. malloc'd; NULL
 * before selfexe_init or when it could not stat the binary. */
char *selfexe_identity(void);

/* Does process pid still run the executable with that identity? */
bool selfexe_pid_runs(pid_t pid, const char *identity);

#endif

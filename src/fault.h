/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fault.h - fault injection for the reliability tests.
 *
 * In a build configured with --enable-fault-injection (setup.sh test and CI
 * make one), ULYSSES_FAULT=PHASE in the environment makes the process that
 * reaches FAULT_POINT("PHASE") kill itself with SIGKILL there, as a crash or
 * an OOM kill would. tests/integration/faults.bats enumerates the phases and
 * checks that `delete --force` and `list` recover from each
 * (docs/RELIABILITY.md lists them). In any other build a fault point is
 * nothing at all. */
#ifndef UOCI_FAULT_H
#define UOCI_FAULT_H

#ifdef UOCI_FAULT_INJECTION

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void fault_point(const char *phase)
{
  const char *want = getenv("ULYSSES_FAULT");
  if (want != NULL && strcmp(want, phase) == 0) {
    /* kill(getpid()), not raise(): see fault_pause */
    kill(getpid(), SIGKILL);
    /* Still here: we are the init (pid 1) of a new pid namespace, which the
     * kernel protects from its own SIGKILL. Die the closest way. */
    _exit(128 + SIGKILL);
  }
}

#define FAULT_POINT(phase) fault_point(phase)

/* ULYSSES_FAULT_PAUSE=PHASE: the process that reaches FAULT_PAUSE("PHASE")
 * stops itself (SIGSTOP) there, so that a test can change the world inside a
 * window of the runtime's (a pid reused between a check and its use) and
 * then let it go on with SIGCONT. */
static inline void fault_pause(const char *phase)
{
  const char *want = getenv("ULYSSES_FAULT_PAUSE");
  /* kill(getpid()), not raise(): musl's raise() signals the thread id it
   * cached, which in a child made by a raw clone (the init, exec's second
   * child) is the runtime's */
  if (want != NULL && strcmp(want, phase) == 0)
    kill(getpid(), SIGSTOP);
}

#define FAULT_PAUSE(phase) fault_pause(phase)

#else

#define FAULT_POINT(phase) ((void) 0)
#define FAULT_PAUSE(phase) ((void) 0)

#endif

#endif

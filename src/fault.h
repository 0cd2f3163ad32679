/* fault.h - fault injection for the reliability tests.
 *
 * ULYSSES_FAULT=PHASE in the environment makes the process that reaches
 * FAULT_POINT("PHASE") kill itself with SIGKILL there, as a crash or an OOM
 * kill would. tests/integration/faults.bats enumerates the phases and checks
 * that `delete --force` and `list` recover from each (docs/RELIABILITY.md
 * lists them). Without the variable a fault point is one getenv. */
#ifndef UOCI_FAULT_H
#define UOCI_FAULT_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void fault_point(const char *phase)
{
  const char *want = getenv("ULYSSES_FAULT");
  if (want != NULL && strcmp(want, phase) == 0) {
    raise(SIGKILL);
    /* Still here: we are the init (pid 1) of a new pid namespace, which the
     * kernel protects from its own SIGKILL. Die the closest way. */
    _exit(128 + SIGKILL);
  }
}

#define FAULT_POINT(phase) fault_point(phase)

#endif

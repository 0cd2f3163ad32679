/* seccomp.h - linux.seccomp compiled in the parent, installed in the child.
 *
 * The filter is built with libseccomp before the child exists (so errors are
 * reported cleanly and the child does no allocation), exported as BPF, and
 * installed by the child as the very last step before execve, so the filter
 * need only allow execve itself. */
#ifndef UOCI_SECCOMP_H
#define UOCI_SECCOMP_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

typedef struct uoci_seccomp uoci_seccomp;

/* Compile. Unknown syscall names are skipped (as runc); an unknown action,
 * arch, operator or flag is an error. *out is NULL when cfg is NULL. */
int seccomp_compile(const ocispec_seccomp *cfg, uoci_seccomp **out, uoci_error **err);

/* Child: install the compiled filter with seccomp(2) (flags from the config).
 * When the profile uses SCMP_ACT_NOTIFY, *notify_fd receives the listener fd
 * (else -1). No allocation. Returns 0 or -errno. */
int seccomp_install(const uoci_seccomp *s, int *notify_fd);

/* Whether SCMP_ACT_NOTIFY is used (the caller must then pass the listener fd on). */
bool seccomp_wants_notify(const uoci_seccomp *s);

/* Parent: send the notify fd to listenerPath as the spec describes (SCM_RIGHTS
 * with the container state JSON, listenerMetadata included). */
int seccomp_send_notify_fd(const ocispec_seccomp *cfg, int notify_fd, const char *state_json, uoci_error **err);

void seccomp_free(uoci_seccomp *s);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp.h - linux.seccomp compiled in the parent, installed in the child.
 *
 * The filter is built with libseccomp before the child exists (so errors are
 * reported cleanly and the child does no allocation), exported as BPF, and
 * installed by the child with the raw seccomp(2) syscall.
 *
 * Where the child must call seccomp_install (the order runc uses):
 *  - process.noNewPrivileges true: prctl(PR_SET_NO_NEW_PRIVS, 1) first, then
 *    caps_prepare_for_setuid, setgroups/setgid/setuid, caps_apply, and
 *    seccomp_install as the very last step before execve, so the filter need
 *    only allow execve (plus sendmsg when a listener fd is passed, below).
 *  - noNewPrivileges false: without NO_NEW_PRIVS the kernel only lets a task
 *    holding CAP_SYS_ADMIN install a filter (else EACCES), and the process
 *    may be about to lose it, so install BEFORE caps_prepare_for_setuid while
 *    the init still has every capability. The profile must then also allow
 *    what the child does afterwards (prctl, setuid, capset, ...), as in runc.
 * With seccomp_wants_notify(), seccomp_install returns the listener fd: the
 * child sends it to the parent at once (SCM_RIGHTS over the sync socket,
 * with sendmsg), closes its copy, and goes on; the parent calls
 * seccomp_send_notify_fd. The parent must not wait for the child between
 * receiving the fd and sending it on: a NOTIFY'd syscall in the child blocks
 * until the listener answers. For the same reason a NOTIFY rule on "write" or
 * "sendmsg" is refused at compile time. exec passes the fd on only once it
 * knows the pid of the process that execs, so it refuses (without
 * no_new_privs) NOTIFY rules on what its first child does after loading the
 * filter (seccomp_notifies_one_of). */
#ifndef UOCI_SECCOMP_H
#define UOCI_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
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
 * with the containerProcessState: `pid` is the process the filter belongs
 * to, the init or an exec'd one, as runc sends it; the container state JSON
 * (the init's pid in it) and listenerMetadata go along). */
int seccomp_send_notify_fd(const ocispec_seccomp *cfg, int notify_fd, pid_t pid, const char *state_json,
                           uoci_error **err);

/* The first of `names` (NULL-terminated) that a SCMP_ACT_NOTIFY rule of cfg
 * names, or NULL. For a caller that makes those syscalls itself after the
 * filter is loaded and before the listener can reach its agent. */
const char *seccomp_notifies_one_of(const ocispec_seccomp *cfg, const char *const *names);

void seccomp_free(uoci_seccomp *s);

/* For `features` (linux.seccomp): the names this runtime accepts, each list
 * NULL-terminated and static; *n (if not NULL) gets the count.
 * Architectures are those this libseccomp knows; supported flags are the
 * known flags the running kernel accepts. */
const char *const *seccomp_known_actions(size_t *n);
const char *const *seccomp_known_operators(size_t *n);
const char *const *seccomp_known_archs(size_t *n);
const char *const *seccomp_known_flags(size_t *n);
const char *const *seccomp_supported_flags(size_t *n);

#endif

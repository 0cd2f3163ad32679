/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks.h - run OCI hooks: the container state JSON on stdin, the hook's own
 * args and env, its stdout and stderr captured, killed and failed after
 * `timeout` seconds. */
#ifndef UOCI_HOOKS_H
#define UOCI_HOOKS_H

#include <stddef.h>
#include "error.h"
#include "ocispec.h"

/* Run hooks[0..n) in order; stop at the first that fails (non-zero exit,
 * signal, timeout, or exec failure). `stage` and the index name them in
 * errors, in runc's words ("error running createRuntime hook #1: error
 * running hook /usr/bin/x: exited with status 1, stdout: ..., stderr: ...").
 * A hook's stdout and stderr are captured, as runc does: into the error when
 * it fails (their last 4 KiB each), dropped when it succeeds; so a chatty
 * hook never writes into the output of the runtime's caller (under an
 * engine, the container's log). Each hook runs in
 * `cwd`, or in the caller's working directory when it is NULL. The spec
 * says nothing of it; runc's are: the bundle for the hooks `create`, `run`
 * and `restore` run (runc chdirs there), the rootfs for createContainer,
 * process.cwd for startContainer, the caller's for `start` and `delete`. */
int hooks_run(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json, const char *cwd,
              uoci_error **err);

/* Run them all, logging failures as warnings (poststart after start,
 * poststop at delete: the spec says those only warn). */
void hooks_run_warn(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json,
                    const char *cwd);

/* The init: createContainer and startContainer hooks, which run in the
 * container's pid namespace, exec through this sealed trampoline
 * (exectramp.h; -1: none). */
void hooks_exec_through(int tramp_fd);

#endif

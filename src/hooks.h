/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks.h - run OCI hooks: the container state JSON on stdin, the hook's own
 * args and env, killed and failed after `timeout` seconds. */
#ifndef UOCI_HOOKS_H
#define UOCI_HOOKS_H

#include <stddef.h>
#include "error.h"
#include "ocispec.h"

/* Run hooks[0..n) in order; stop at the first that fails (non-zero exit,
 * signal, timeout, or exec failure). `stage` names them in errors
 * ("createRuntime hook /usr/bin/x: exited with status 1"). */
int hooks_run(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json, uoci_error **err);

/* Run them all, logging failures as warnings (poststart after start,
 * poststop at delete: the spec says those only warn). */
void hooks_run_warn(const ocispec_hook *hooks, size_t n, const char *stage, const char *state_json);

#endif

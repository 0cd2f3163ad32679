/* SPDX-License-Identifier: GPL-2.0-or-later */
/* companion.h - the static musl ulysses-oci and its glibc companion.
 *
 * Built with musl (configure.ac), ulysses-oci starts without glibc's ~80
 * cpuid instructions, but cannot dlopen() libsystemd (--systemd-cgroup) or
 * libcriu (checkpoint, restore), which are glibc libraries. Those commands
 * are executed by the glibc build of the same sources, ulysses-oci-glibc,
 * with the command line unchanged: looked up next to the running binary (the
 * build tree), else in $(pkglibexecdir) (the install). See
 * docs/ARCHITECTURE.md. In the glibc build only companion_reason exists. */
#ifndef UOCI_COMPANION_H
#define UOCI_COMPANION_H

#include <stdbool.h>
#include "error.h"

#define COMPANION_NAME "ulysses-oci-glibc"

/* Why VERB must run in the glibc build ("--systemd-cgroup (libsystemd)"),
 * or NULL. Decided from the command line alone, before anything is done:
 * create and run place the container through systemd, start stops it when
 * the process fails to start, delete and update talk to it when the state
 * says so (companion_exec_for_bus covers delete and update when the flag is
 * missing). Pure: unit-tested. */
const char *companion_reason(const char *verb, bool systemd_cgroup);

/* The companion file in dir, if it is a regular file nobody but root or
 * this user can write: an O_PATH fd (O_CLOEXEC), or -1 with errno. */
int companion_open_in(const char *dir);

#ifdef UOCI_MUSL
/* main, before the verb runs: if companion_reason says so, execute the glibc
 * build with this process's command line (selfexe_init), which returns only
 * on failure (a one-line error, -1); else 0. */
int companion_dispatch(const char *verb, bool systemd_cgroup, uoci_error **err);

/* The bus code, about to load libsystemd without --systemd-cgroup on the
 * command line: delete and update are handed over (they are safe to start
 * over at that point), any other verb fails with a one-line error. */
int companion_exec_for_bus(uoci_error **err);
#endif
#endif

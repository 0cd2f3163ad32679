/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cniexec.h - the CNI environment of a plugin invocation, and running another
 * plugin binary (delegated IPAM, conflist plugins) the way libcni does. */
#ifndef ULYSSES_CNIEXEC_H
#define ULYSSES_CNIEXEC_H

#include "cniutil.h"

struct cni_env {
  const char *command, *container_id, *netns, *ifname, *args, *path;
};

/* Read CNI_* variables from the environment. */
void cni_env_load(struct cni_env *env);
/* Validate what the command needs (spec: error code 4 for a bad environment). */
int cni_env_check(const struct cni_env *env, struct cni_error *e);

/* Read stdin, parse it and check "cniVersion" (codes 6, 7, 1). */
yajl_val cni_read_config(const char **version, struct cni_error *e);
/* {"cniVersion":..,"supportedVersions":[..]} */
void cni_print_version_info(void);

/* The whole life of a plugin process: VERSION, environment and config
 * checks, then `run` for the other commands; errors printed as CNI error
 * JSON. Returns the exit status. */
typedef int (*cni_run_fn)(const struct cni_env *env, yajl_val root, const char *version, struct cni_error *e);
int cni_plugin_main(cni_run_fn run);

/* Path of plugin TYPE in the colon-separated CNI_PATH (malloc'ed), NULL if none. */
char *cni_find_plugin(const char *type, const char *cni_path);

/* Run the plugin binary with `env` (command overrides env->command) and
 * `input` on stdin. On success returns 0 and its stdout in *out; on failure
 * -1 with e filled from its CNI error JSON (or a description). */
int cni_exec_plugin(const char *binary, const char *command, const struct cni_env *env, const char *input,
                    char **out, struct cni_error *e);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec.h - `exec`: run another process in a running container.
 *
 * One fork: the runtime enters the container's pid namespace for its
 * children only (setns pid_for_children), forks, and the child joins the
 * cgroup and the other namespaces, then applies the process exactly as the
 * init does (process.c). A CLOEXEC socket reports a failure before execve;
 * EOF on it means the exec happened. */
#ifndef UOCI_EXEC_H
#define UOCI_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "container.h"
#include "error.h"

/* The command line of `exec`, as cmd_exec.c parsed it. */
struct exec_opts {
  const char *id;
  const char *process_file;   /* --process: a process.json instead of the options below */
  const char *console_socket, *pid_file, *cwd, *user, *process_label, *apparmor;
  bool tty, detach, no_new_privs;
  bool ignore_paused;           /* --ignore-paused: exec into a frozen container (the process waits for resume) */
  int preserve_fds;
  char **env;  size_t env_len;  /* --env: set in the container's environment (replacing a KEY it has) */
  uint32_t *gids; size_t gids_len;    /* --additional-gids, added to process.user.additionalGids */
  char **cgroups; size_t cgroups_len; /* --cgroup [CTRL[,CTRL]:]PATH: sub-cgroups to join */
  char **caps; size_t caps_len; /* --cap, added to every set */
  char **args; size_t args_len; /* the command */
};

/* Run the process in container o->id: the container's own process with the
 * options' changes (or --process FILE), spawned into its namespaces and
 * cgroup. Returns the process's exit status, 0 with --detach, or -1 with
 * *err. Takes o->args over. */
int exec_in_container(const struct uoci_globals *g, struct exec_opts *o, uoci_error **err);

void exec_opts_release(struct exec_opts *o);

#endif

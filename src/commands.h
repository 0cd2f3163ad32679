/* SPDX-License-Identifier: GPL-2.0-or-later */
/* commands.h - one function per CLI verb (src/cmd_VERB.c). Each parses its own
 * options and returns the process exit status, or -1 with *err set. */
#ifndef UOCI_COMMANDS_H
#define UOCI_COMMANDS_H

#include "container.h"
#include "error.h"

typedef int (*command_fn)(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);

struct command {
  const char *name;
  command_fn fn;
  const char *summary;
  const char *usage; /* full --help text */
  int fail_status;   /* exit status when fn fails (0: 1); exec: 255, as runc */
};

int cmd_create(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_start(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_state(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_kill(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_delete(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_run(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_list(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_spec(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_features(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_exec(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
/* cgroup verbs (cmd_update.c, cmd_pause.c, cmd_ps.c, cmd_events.c) */
int cmd_update(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_pause(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_resume(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_ps(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_events(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);

/* checkpoint/restore with CRIU (cmd_checkpoint.c, cmd_restore.c) */
int cmd_checkpoint(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);
int cmd_restore(const struct uoci_globals *g, int argc, char **argv, uoci_error **err);

/* Shared by verbs: exactly one positional container id after the options. */
int expect_id(int argc, char **argv, int optind_, const char *verb, const char **id, uoci_error **err);

#endif

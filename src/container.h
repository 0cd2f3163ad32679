/* SPDX-License-Identifier: GPL-2.0-or-later */
/* container.h - the container lifecycle: create (the init waits), start (the
 * init execs the user process), run (both, optionally waiting), delete. */
#ifndef UOCI_CONTAINER_H
#define UOCI_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "state.h"

/* Global CLI options. */
struct uoci_globals {
  const char *root;      /* --root: where state directories live */
  const char *log;       /* --log */
  bool log_json;         /* --log-format json */
  bool debug;            /* --debug */
  bool systemd_cgroup;   /* --systemd-cgroup */
  bool rootless;         /* not root, or root in a user namespace: cgroups best effort (rootless.h) */
  bool in_userns;        /* the runtime runs in a user namespace (rootless podman): no mknod */
  const char *criu;      /* --criu: the criu binary for checkpoint/restore */
};

enum create_mode {
  MODE_CREATE,     /* `create`: init waits on exec.fifo for `start` */
  MODE_RUN_DETACH, /* `run -d`: start at once, return */
  MODE_RUN,        /* `run`: start, wait, delete, return the exit status */
};

struct create_opts {
  const char *id;
  const char *bundle;         /* --bundle (default: cwd) */
  const char *config;         /* --config (default: BUNDLE/config.json) */
  const char *pid_file;       /* --pid-file */
  const char *console_socket; /* --console-socket */
  bool no_pivot;              /* --no-pivot */
  bool no_new_keyring;        /* --no-new-keyring */
  int preserve_fds;           /* --preserve-fds */
  bool keep;                  /* run --keep: don't delete after exit */
};

/* create / run. For MODE_RUN returns the container's exit status (0-255). */
int container_create(const struct uoci_globals *g, const struct create_opts *o, enum create_mode mode,
                     uoci_error **err);

/* start: release a created container's init. */
int container_start(const struct uoci_globals *g, const char *id, uoci_error **err);

/* delete: kill (with force) and clean up everything the container owns:
 * processes, cgroup, network, state dir; poststop hooks run. */
int container_delete(const struct uoci_globals *g, const char *id, bool force, uoci_error **err);

/* Clean up a loaded container whose processes are gone (used by delete and run). */
int container_cleanup(const struct uoci_globals *g, struct uoci_state *st, uoci_error **err);
/* The same with the container's config already parsed (NULL: read
 * config.json from the state directory), the poststop hooks run in
 * hooks_cwd (NULL: the caller's working directory; see hooks.h). */
int container_cleanup_with(const struct uoci_globals *g, struct uoci_state *st, const ocispec_config *cfg,
                           const char *hooks_cwd, uoci_error **err);

struct cr_options;

/* checkpoint: dump a running (or paused) container with CRIU; unless it is
 * left running (or only pre-dumped), the container is then deleted. */
int container_checkpoint(const struct uoci_globals *g, const char *id, const struct cr_options *opts,
                         uoci_error **err);

/* restore: a new container `o->id` from the bundle, its processes brought
 * back from the checkpoint instead of a new init. Detached: returns once it
 * runs; else waits, deletes it and returns its exit status (as run). */
int container_restore(const struct uoci_globals *g, const struct create_opts *o, const struct cr_options *opts,
                      bool detach, uoci_error **err);

/* Write the pid file: the bare number, no newline, atomically. */
int write_pid_file(const char *path, pid_t pid, uoci_error **err);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h - where a container's state lives between CLI invocations.
 *
 * <root>/<id>/            the state directory (mode 0700), flock-ed by every
 *                         command that reads or changes the container
 *   state                 key=value lines: pid, start time, bundle, rootfs,
 *                         created, cgroup location, the config's annotations
 *                         (written atomically)
 *   config.json           the config the container was created from (hooks,
 *                         annotations and networking need it at delete)
 *   exec.fifo             exists while the container is "created": the init
 *                         blocks opening it until `start` opens the other end
 *   notify/notify.sock    with NOTIFY_SOCKET only: the container's sd_notify
 *                         socket, mounted at /run/notify (notify.h)
 * Status is derived, never stored: the init's pid and start time (pid reuse
 * safe) say whether it lives; exec.fifo says created vs running; the cgroup
 * freezer says paused. */
#ifndef UOCI_STATE_H
#define UOCI_STATE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

enum container_status {
  STATUS_CREATING,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};
const char *status_name(enum container_status s);

struct uoci_state {
  char *id;
  pid_t pid;
  unsigned long long start_time; /* /proc/<pid>/stat field 22 */
  char *bundle;
  char *rootfs;
  char *created;
  char *cgroup;                  /* cgroup_to_string(), may be NULL */
  char *keyring;                 /* the init's session keyring (keyring.h), NULL: the caller's was kept */
  char *exe;                     /* identity of the runtime binary the init runs until it execs (selfexe.h) */
  char *annotations;             /* the config's annotations, state_annotations_record(); NULL: not recorded */
  uid_t owner;
  bool damaged;                  /* state_load_any: no state file, or one without pid and start */
  int dirfd;                     /* the locked state directory */
};

/* Check an id the way runc does: [A-Za-z0-9_+.-]+, not "." or "..". */
int state_validate_id(const char *id, uoci_error **err);

/* Create <root>/<id> exclusively and lock it. Fails with
 * `container "ID" already exists`. Returns the directory fd. */
int state_dir_create(const char *root, const char *id, uoci_error **err);

/* Open and lock an existing container. Fails with `container "ID" does not exist`
 * (and errnum ENOENT). */
int state_load(const char *root, const char *id, struct uoci_state *st, uoci_error **err);
/* The same, but a corrupt state file (`container "ID": corrupt state file`
 * for state_load) loads as a stopped container: delete --force uses it. */
int state_load_any(const char *root, const char *id, struct uoci_state *st, uoci_error **err);

/* Write the state file (atomic replace). */
int state_save(const struct uoci_state *st, uoci_error **err);

/* exec and CAP_SYS_PTRACE (selfexe.h): the "ptrace" file says that some
 * exec gave a process CAP_SYS_PTRACE (later execs run sealed); "exec.lock"
 * is held shared by an exec whose child runs unsealed, exclusively (for a
 * moment) by one about to start such a process. */
bool state_ptrace_marked(int dirfd);
int state_mark_ptrace(int dirfd, uoci_error **err);
/* flock "exec.lock" (LOCK_SH or LOCK_EX); returns the fd to close, or -1. */
int state_exec_lock(int dirfd, int how, uoci_error **err);

/* What names this very state directory (not one made later at the same
 * path): "ID DEV:INO:BIRTH". Put on the cgroup the container makes
 * (cgroup.h, cgroup_claim_marked) so that a delete that has lost the state
 * file can still tell that cgroup from one that is not its own. NULL when
 * the directory cannot be stat'ed. */
char *state_dir_mark(int dirfd, const char *id);

/* Remove the state directory and its files. */
int state_remove(const char *root, const char *id, int dirfd, uoci_error **err);

/* Current status, derived from the kernel (see the header comment). */
enum container_status state_status(const struct uoci_state *st);

/* The stored config.json of the container (NULL with *err on failure). */
ocispec_config *state_config(const struct uoci_state *st, uoci_error **err);

/* The annotations as the state file records them, so that `state` and
 * `list --format json` need not open config.json: one line of JSON ("{}"
 * for none). NULL when longer than STATE_ANNOTATIONS_MAX (the state file
 * stays within the 4 KiB read on the stack): then they are not recorded,
 * as in a state file of a version before them, and come from config.json. */
#define STATE_ANNOTATIONS_MAX 2048
char *state_annotations_record(const ocispec_strmap *annotations);
/* The container's annotations into *out (empty when none): from the state
 * file's record, else from config.json; free with ocispec_strmap_clear. -1
 * with *err when neither reads. */
int state_annotations(const struct uoci_state *st, ocispec_strmap *out, uoci_error **err);

/* Spec state JSON (ociVersion, id, status, pid, bundle, annotations; plus the
 * rootfs/created/owner runc also prints). pretty for the CLI. */
char *state_json(const struct uoci_state *st, enum container_status status,
                 const ocispec_strmap *annotations, bool pretty);

/* `list --format json`: the array of every container's state JSON (as
 * state_json, not pretty) from one generator, not one per container.
 * flush writes what was added since the last flush (last: and the array's
 * end) to out. */
typedef struct state_json_array state_json_array;
state_json_array *state_json_array_new(void); /* NULL: out of memory */
void state_json_array_add(state_json_array *a, const struct uoci_state *st, enum container_status status,
                          const ocispec_strmap *annotations);
void state_json_array_flush(state_json_array *a, FILE *out, bool last);
void state_json_array_free(state_json_array *a);

/* Close the state directory, and so its lock, keeping the fields: `list`
 * prints after this, so that a reader of its output that does not read
 * holds no container's lock. */
void state_unlock(struct uoci_state *st);
void state_release(struct uoci_state *st);

#endif

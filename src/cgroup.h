/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.h - one interface to the container's cgroup, whatever the host has:
 * v1 (one hierarchy per controller), v2 (unified), hybrid (v1 controllers plus
 * an empty cgroup2 at /sys/fs/cgroup/unified), or systemd (a transient scope
 * through D-Bus). cgroup.c is this interface; it dispatches to the backends
 * cgroup_v1.c, cgroup_v2.c (with bpf_devices.c) and cgroup_systemd.c, which
 * share cgroup_util.c and call nothing above them.
 *
 * Lifecycle as container.c drives it:
 *   cgroup_plan()            parent: where the directories go; the caller saves it
 *   cgroup_make()            parent, before the init is cloned: make the cgroup,
 *                            apply linux.resources, prepare what the child needs
 *   clone3(CLONE_INTO_CGROUP, cgroup_clone_into_fd())   the unified tree (v2,
 *                            hybrid), when >= 0
 *   cgroup_join_self()       child, first thing (async-signal-safe)
 *   cgroup_attach_pid()      parent, after clone: whatever the child could not do
 *                            itself (systemd scope, user namespace)
 *   cgroup_close_fds()       both sides, once joined: nothing leaks into the container
 *   cgroup_to_string()       saved in the state dir; cgroup_from_string() later
 *   cgroup_destroy()         on delete (also after the processes were kill -9ed) */
#ifndef UOCI_CGROUP_H
#define UOCI_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

typedef struct uoci_cgroup uoci_cgroup;

struct cgroup_create_opts {
  const char *id;                     /* container id */
  const char *cgroups_path;           /* linux.cgroupsPath, NULL for the default */
  const ocispec_resources *resources; /* linux.resources, may be NULL */
  const ocispec_strmap *annotations;  /* systemd: org.systemd.property.NAME, may be NULL */
  bool systemd;                       /* --systemd-cgroup: "slice:prefix:name" via systemd */
  bool rootless;                      /* skip or use a delegated cgroup, never fail for EPERM */
  bool self_join;                     /* the child will call cgroup_join_self() */
  const char *owner_mark;             /* put on every directory made (cgroup_claim_marked), may be NULL */
};

/* Plan the cgroup: its directory in every hierarchy (each v1 controller,
 * named ones such as name=systemd, the unified tree), and which of them
 * will be made. Nothing is made: the caller records the plan (state file)
 * first, so that a runtime killed in cgroup_make leaves nothing `delete`
 * does not find. Checks the resources. */
int cgroup_plan(const struct cgroup_create_opts *opts, uoci_cgroup **out, uoci_error **err);

/* Make the planned directories and apply the resources. Fails cleanly
 * (removes what it made) on a bad resource value, a missing controller, or
 * a cgroup that is frozen ("cgroup ... is frozen": nothing could run in it). */
int cgroup_make(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err);

/* An O_DIRECTORY fd of the container's cgroup in the unified tree (v2, or
 * hybrid) for clone3's CLONE_INTO_CGROUP; -1 otherwise. */
int cgroup_clone_into_fd(const uoci_cgroup *cg);
/* Does CLONE_INTO_CGROUP place the child in every hierarchy (v2)? On a
 * hybrid host the v1 hierarchies are left to cgroup_join_self/attach_pid. */
bool cgroup_clone_into_is_all(const uoci_cgroup *cg);

/* Child side, single-threaded, after fork and before anything else: move the
 * calling thread in (v1, named hierarchies too: write "0" to each `tasks`, the
 * cheap path; the unified tree: "0" to cgroup.procs unless clone3 already
 * placed it: `unified_by_clone` when the caller's own clone3 succeeded with
 * CLONE_INTO_CGROUP (the kernel guarantees the placement), else it is looked
 * up in /proc/self/cgroup). Opens one file at a time; no allocation, no
 * stdio. Returns 0 or -errno. */
int cgroup_join_self(const uoci_cgroup *cg, bool unified_by_clone);

/* For exec: open the join fds of a cgroup from cgroup_from_string, so a new
 * child can cgroup_join_self() into it (a systemd scope's directories too). */
int cgroup_prepare_join(uoci_cgroup *cg, uoci_error **err);

/* exec --cgroup: join existing sub-cgroups of the container's instead of it.
 * Each spec is runc's "[CONTROLLER[,CONTROLLER...]:]PATH": PATH (relative, no
 * "..") in the hierarchies of those controllers (v1), or in every hierarchy
 * when it is the only spec and has no controller (the v2 form). Before
 * cgroup_prepare_join. */
int cgroup_enter_sub(uoci_cgroup *cg, char *const *specs, size_t n, uoci_error **err);

/* Parent side, after the child exists: systemd scope creation, or writing the
 * pid when the child could not join itself (unified_done: clone3 placed it in
 * the unified tree already). A no-op when nothing is left to do. */
int cgroup_attach_pid(uoci_cgroup *cg, pid_t pid, bool unified_done, uoci_error **err);

/* Close every fd cgroup_make opened. */
void cgroup_close_fds(uoci_cgroup *cg);

/* Persist/restore the location (one line, opaque to callers). */
char *cgroup_to_string(const uoci_cgroup *cg);
int cgroup_from_string(const char *s, uoci_cgroup **out, uoci_error **err);

/* Human-readable path of the cgroup (relative to the hierarchy root). */
const char *cgroup_path(const uoci_cgroup *cg);

/* The directory whose freezer stops the container (v1: the freezer
 * hierarchy's, v2: the unified one), for CRIU; NULL when there is none. */
const char *cgroup_freezer_dir(const uoci_cgroup *cg);

/* Remove the cgroup(s) the container made; kills what is still inside with
 * SIGKILL first (never in a cgroup that existed before the container) and
 * retries while the kernel reports EBUSY. Succeeds if already gone. */
int cgroup_destroy(uoci_cgroup *cg, uoci_error **err);

/* update, pause/resume, ps, kill --all, events */
int cgroup_update(uoci_cgroup *cg, const ocispec_resources *r, uoci_error **err);
int cgroup_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err);
int cgroup_is_frozen(const uoci_cgroup *cg); /* 1 frozen, 0 not, -1 unknown */
/* The same for a cgroup_to_string() text, without building the cgroup. */
int cgroup_saved_is_frozen(const char *s);
int cgroup_pids(const uoci_cgroup *cg, pid_t **pids, size_t *n, uoci_error **err);
/* 1 (nothing signalled) when the processes' cgroup existed before the
 * container: it may hold processes that are not the container's. */
int cgroup_kill_all(const uoci_cgroup *cg, int sig, uoci_error **err);
/* runc-style stats object ("cpu", "memory", "pids", "blkio", ...) as JSON text */
int cgroup_stats_json(const uoci_cgroup *cg, char **json, uoci_error **err);
/* fd (eventfd or inotify) that becomes readable on an OOM event, -1 if unsupported */
int cgroup_oom_event_fd(const uoci_cgroup *cg, uoci_error **err);
/* The kernel's count of OOM kills in the cgroup (0 when unknown). */
uint64_t cgroup_oom_kills(const uoci_cgroup *cg);
/* After the OOM fd became readable: was it an OOM? *kills is the count
 * seen so far, and is brought up to date. */
bool cgroup_oom_happened(const uoci_cgroup *cg, uint64_t *kills);

/* A cgroupsPath may name a cgroup that existed before the container (a
 * service's, a slice): acting on the whole of it would reach processes that
 * are not the container's. Fails ("cannot VERB container ID: ...") when the
 * container (or systemd, as its scope) did not make every directory of it
 * (with `freezer_only`: the freezer's); 0 otherwise. */
int cgroup_refuse_shared(const uoci_cgroup *cg, bool freezer_only, const char *verb, const char *id, uoci_error **err);
/* cgroup_pids, but in a shared cgroup only the processes in the pid
 * namespace of `init` (none when it is gone). */
int cgroup_container_pids(const uoci_cgroup *cg, pid_t init, pid_t **pids, size_t *n, uoci_error **err);

/* delete --force of a container whose state file is lost: a plan made
 * again from its config names the directories its create would have made,
 * but not whether that create made them. cgroup_make puts
 * opts->owner_mark, with the hierarchies whose directory it made, on one of
 * them (an extended attribute, CGROUP_OWNER_XATTR); the directories that
 * mark lists are taken as the container's own, as if this plan had made
 * them, any other as one that is not (never killed in, never removed).
 * Returns how many were taken. Not for systemd's scopes (systemd makes
 * those; they carry no mark). */
#define CGROUP_OWNER_XATTR "trusted.ulysses-oci.owner"
int cgroup_claim_marked(uoci_cgroup *cg, const char *mark);

/* True when /sys/fs/cgroup is cgroup2 (not a v1 or hybrid host). */
bool cgroup_host_is_unified(void);

void cgroup_free(uoci_cgroup *cg);
static inline void cgroup_freep(uoci_cgroup **cg) { cgroup_free(*cg); *cg = 0; }
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* criu.h - checkpoint/restore of a container's processes with CRIU.
 *
 * libcriu (Debian's criu package) drives the criu binary over its RPC. It is
 * dlopen()ed here, by checkpoint and restore only: no other verb loads it,
 * and the runtime still starts where CRIU is not installed. This module
 * tells CRIU what only the runtime knows:
 *   - external mounts: the config's bind mounts, masked files (binds of
 *     /dev/null), device nodes bound in from the host (user namespace), the
 *     cgroup directories bound in when there is no cgroup namespace;
 *   - namespaces joined by `path`: network and pid as CRIU's external
 *     namespaces (the same ones are joined again on restore), ipc, uts and
 *     time joined again;
 *   - the network namespace: dumped and restored whole, or created empty
 *     (--empty-ns network, or when the runtime wires a CNI network: the
 *     network is attached again on restore, before any process runs);
 *   - the cgroup: its freezer stops the container for the dump; restored
 *     processes come back in the new container's cgroup (the restore runs
 *     from a helper placed there);
 *   - stdio pipes (descriptors.json in the image, as runc and crun write it)
 *     and terminals (a restored pty's new master goes to --console-socket);
 *   - the session keyring: CRIU does not dump keyrings, and restored
 *     processes inherit criu's; the helper joins the container's new one
 *     first, so the caller's keys stay out of reach (as create's init).
 * The lifecycle around it (state dir, cgroup, hooks, delete) is container.c's. */
#ifndef UOCI_CRIU_H
#define UOCI_CRIU_H

#include <stdbool.h>
#include <sys/types.h>
#include "cgroup.h"
#include "error.h"
#include "ocispec.h"

/* --manage-cgroups-mode (runc's names). */
enum cr_cgroups_mode { CR_CG_DEFAULT, CR_CG_SOFT, CR_CG_FULL, CR_CG_STRICT, CR_CG_IGNORE };

/* The options of `checkpoint` and `restore` (runc's command lines). */
struct cr_options {
  const char *criu;          /* --criu: the criu binary (default: criu from PATH, or /usr/sbin/criu) */
  const char *image_path;    /* --image-path (default: ./checkpoint) */
  const char *work_path;     /* --work-path: logs (dump.log, restore.log); default: the image path */
  const char *parent_path;   /* checkpoint --parent-path: a pre-dump, relative to the image path */
  bool leave_running;        /* checkpoint: keep the container running afterwards */
  bool pre_dump;             /* checkpoint: memory only, the container keeps running */
  bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup;
  enum cr_cgroups_mode cgroups_mode;
  int empty_ns;              /* CLONE_NEWNET: the namespace is made empty, its contents not dumped/restored */
  const char *lsm_profile;   /* restore --lsm-profile TYPE:NAME */
  const char *lsm_mount_context; /* restore --lsm-mount-context */
};

/* Parse --manage-cgroups-mode and one --empty-ns value (only "network"). */
int cr_parse_cgroups_mode(const char *s, enum cr_cgroups_mode *mode, uoci_error **err);
int cr_parse_empty_ns(const char *s, int *mask, uoci_error **err);

/* A running container to dump. */
struct cr_dump_target {
  pid_t pid;                 /* the container's init */
  const char *rootfs;        /* absolute, as in the state */
  const ocispec_config *cfg; /* the config it was created from */
  const char *freezer_dir;   /* cgroup directory whose freezer stops it, NULL: none */
};

/* checkpoint (and --pre-dump): write the images. On success without
 * leave_running or pre_dump, the container's processes are gone. */
int cr_dump(const struct cr_dump_target *t, const struct cr_options *o, uoci_error **err);
/* Before a dump: what CRIU could dump but never restore is refused (a
 * cgroup or user namespace joined by path, not the runtime's). */
int cr_dump_check(const struct cr_dump_target *t, const char *id, uoci_error **err);

/* Before anything is made for a restore: the image directory holds a
 * checkpoint, libcriu loads, criu runs and is new enough. */
int cr_restore_check(const ocispec_config *cfg, const struct cr_options *o, uoci_error **err);

/* A container to restore into: state dir and cgroup made by the lifecycle. */
struct cr_restore_target {
  const char *bundle, *rootfs; /* absolute */
  const ocispec_config *cfg;
  uoci_cgroup *cg;           /* the restore helper is attached to it before CRIU runs; may be NULL */
  const char *console_socket; /* a restored terminal's new master is sent there */
  const char *keyring;       /* the container's session keyring, joined before CRIU runs (NULL: the caller's) */
  bool keep_master;          /* no console socket: hand the master back (foreground restore) */
  /* Called (in the restore helper) once CRIU has made the namespaces of the
   * init `pid`, before any restored process runs: network, hooks. */
  int (*setup_namespaces)(void *arg, pid_t pid, uoci_error **err);
  void *arg;
};

/* restore: bring the processes back from the images. *pid: the restored
 * init (a child of the caller once the helper has exited, if the caller is a
 * subreaper); *master: the terminal's master when keep_master, else -1. */
int cr_restore(const struct cr_restore_target *t, const struct cr_options *o, pid_t *pid, int *master,
                 uoci_error **err);

/* Built with CRIU support (features); cr_supported says so as an error
 * when not (the first thing checkpoint and restore check). */
bool cr_built_in(void);
int cr_supported(uoci_error **err);

#endif

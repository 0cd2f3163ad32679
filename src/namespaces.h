/* SPDX-License-Identifier: GPL-2.0-or-later */
/* namespaces.h - linux.namespaces: which to create (clone/unshare flags) and
 * which to join (fds opened in the parent from `path`, setns in the child). */
#ifndef UOCI_NAMESPACES_H
#define UOCI_NAMESPACES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

enum ns_kind { NS_USER, NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_TIME, NS_COUNT };

struct ns_plan {
  int new_flags;        /* CLONE_NEW* of the namespaces to create */
  int join_fd[NS_COUNT]; /* fd of a namespace to join (-1: none) */
  bool present[NS_COUNT]; /* listed in the config at all */
  int pidfd_flags;       /* exec (ns_plan_from_pidfd): CLONE_NEW* to join with one setns on the init's pidfd */
};

/* Kind for a spec type name ("pid", "network", "mount", ...), -1 if unknown. */
int ns_kind_from_name(const char *name);

/* Validate linux.namespaces (unknown or duplicate types, bad paths) and open
 * the namespaces to join. */
int ns_plan_from_spec(const ocispec_linux *linux, struct ns_plan *plan, uoci_error **err);

/* Open the /proc/PID/ns files of a running container for exec (all kinds that differ
 * from ours). */
int ns_plan_from_pid(pid_t pid, struct ns_plan *plan, uoci_error **err);

/* Does setns() take a pidfd here (Linux >= 5.8)? */
bool ns_setns_takes_pidfd(void);

/* exec, with a pidfd of the container's init (pid): which of its namespaces
 * differ from ours, in pidfd_flags (and present[]); no fd is opened. The
 * child joins them all with ns_join_pidfd. */
int ns_plan_from_pidfd(pid_t pid, struct ns_plan *plan, uoci_error **err);

/* Child: join the namespaces of ns_plan_from_pidfd with one setns(pidfd,
 * flags): the kernel joins the user namespace first and all or none. */
int ns_join_pidfd(const struct ns_plan *plan, int pidfd, uoci_error **err);

/* Child: setns() into every namespace to join, the user namespace first;
 * `skip` (a CLONE_NEW* mask) is left out (pid is joined by the parent for its
 * children, time likewise). */
int ns_join_all(struct ns_plan *plan, int skip, uoci_error **err);

void ns_plan_close(struct ns_plan *plan);

/* Does the container get a namespace of kind k of its own: a new one, or one
 * joined by `path` that is not the runtime's own (a path to the host's
 * namespace, /proc/1/ns/uts say, shares the host's)? */
bool ns_plan_owns(const struct ns_plan *plan, enum ns_kind k);

/* Write `file` ("uid_map" or "gid_map") of process `pid`: one
 * "CONTAINER HOST SIZE" line per entry, in one write as the kernel wants. */
int ns_write_id_map(pid_t pid, const char *file, const ocispec_id_mapping *m, size_t n, uoci_error **err);

/* Child, in a network namespace it created: bring `lo` up, as runc and crun
 * do, so 127.0.0.1 works with no network configured (CNI plugins add their
 * interfaces afterwards and leave lo alone). */
int ns_loopback_up(uoci_error **err);

/* The same for the network namespace of process `pid` (the runtime, for an
 * init it cloned into a new one): enters it for the socket only and comes
 * back to its own. 0: lo is up; 1: that namespace could not be entered
 * (no right to: the init must do it itself); -1: error. */
int ns_loopback_up_of(pid_t pid, uoci_error **err);

/* Open `path` (O_PATH | O_DIRECTORY) as seen from the mount namespace of
 * `pid`, with our own credentials: a short-lived helper process joins that
 * namespace, opens, and hands the fd back. Needs CAP_SYS_ADMIN over the
 * namespace and CAP_SYS_CHROOT, i.e. a privileged runtime. */
int ns_open_dir_in_mntns(pid_t pid, const char *path, uoci_error **err);

/* The general form: a short-lived helper with our credentials joins the
 * mount namespace of `pid`, calls fn to make n fds there, and sends them
 * back; on failure fn's error (set by it in the helper) comes back as *err
 * and no fd is left open. */
typedef int (*ns_fds_fn)(void *arg, int *fds, size_t n, uoci_error **err);
int ns_fds_from_mntns(pid_t pid, ns_fds_fn fn, void *arg, int *fds, size_t n, uoci_error **err);

#endif

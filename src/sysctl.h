/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysctl.h - linux.sysctl: which keys a container may set, and writing them.
 *
 * A sysctl may only be set when the kernel keeps it per namespace AND the
 * container has a namespace of that kind of its own; anything else would
 * change the host (kernel.printk_ratelimit, net.* in the host's network
 * namespace, kernel.msgmax in the host's IPC namespace, ...). The policy is a
 * pure function, decided in the parent before anything is created; the init
 * only writes what passed, through the container's own /proc/sys. */
#ifndef UOCI_SYSCTL_H
#define UOCI_SYSCTL_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* Which namespaces the container has of its own (new, or joined by a path
 * that is not the runtime's own namespace), and the config fields a
 * sysctl could contradict. */
struct sysctl_scope {
  bool own_ipc, own_net, own_uts, own_user;
  const char *hostname;   /* .hostname, NULL or "" when unset */
  const char *domainname; /* .domainname, NULL or "" when unset */
};

/* The key as a path under /proc/sys ("net.ipv4.ip_forward" ->
 * "net/ipv4/ip_forward"). As sysctl(8): when the first separator is "/",
 * "/" separates and "." is part of a name ("net/ipv4/conf/eth0.1/rp_filter");
 * otherwise "." separates and "/" stands for a "." in a name. Empty, "." and
 * ".." components are refused: NULL with the reason in *why. */
char *sysctl_key_to_path(const char *key, const char **why);

/* The key in its dotted form (the one the policy and error messages use),
 * or NULL like sysctl_key_to_path. */
char *sysctl_key_canonical(const char *key, const char **why);

/* Is `key` (set to `value`) allowed in this scope? 0, or -1 with an error naming the key
 * ("config.json: .linux.sysctl: \"kernel.printk\": ..."). */
int sysctl_check(const char *key, const char *value, const struct sysctl_scope *scope, uoci_error **err);

/* Check every key of linux.sysctl. */
int sysctl_check_all(const ocispec_linux *linux, const struct sysctl_scope *scope, uoci_error **err);

/* Init, inside the container (after pivot_root, before the read-only paths):
 * write every key through the container's /proc/sys, which must be a procfs
 * (no symlink, no other mount under it). Keys were checked by the parent. */
int sysctl_write_all(const ocispec_linux *linux, uoci_error **err);

#endif

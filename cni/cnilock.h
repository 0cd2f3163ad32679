/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cnilock.h - serialise plugin runs that would otherwise race: two
 * invocations for one attachment (a DEL while its ADD still runs) and two
 * ADDs mapping host ports (both pass the conflict check, both install a DNAT
 * rule). Open-file-description byte-range locks on one file, CNI_LOCK_FILE:
 * byte 0 guards the host ports, byte 1 + hash/4 one attachment, so ADDs of
 * different containers still run in parallel. The kernel drops the locks
 * when the holder exits, killed or not; the file is never removed. */
#ifndef ULYSSES_CNILOCK_H
#define ULYSSES_CNILOCK_H

#include "cniutil.h"

#define CNI_LOCK_DIR "/run/ulysses-cni"
#define CNI_LOCK_FILE CNI_LOCK_DIR "/lock"

/* Open the lock file (creating its directory); -1 with e set on failure. */
int cni_lock_open(struct cni_error *e);
/* Block until this process holds the lock of the attachment whose
 * attachment_hash is `hash`, or of the host ports; held until fd is closed. */
int cni_lock_attachment(int fd, uint64_t hash, struct cni_error *e);
int cni_lock_host_ports(int fd, struct cni_error *e);
/* Let the attachment's lock go before fd is closed (GC takes one at a time). */
void cni_unlock_attachment(int fd, uint64_t hash);

#endif

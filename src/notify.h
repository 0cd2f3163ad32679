/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.h - sd_notify pass-through (NOTIFY_SOCKET), as runc and crun do it.
 *
 * When the runtime itself runs with NOTIFY_SOCKET (systemd, podman
 * --sdnotify=container), create/run give the container a socket of its own:
 * <root>/<id>/notify/ is bind-mounted read-only at /run/notify and the
 * process gets NOTIFY_SOCKET=/run/notify/notify.sock. `start` (or `run`)
 * binds <root>/<id>/notify/notify.sock before releasing the init, waits for
 * the container's READY=, and sends the host's socket "READY=..." and
 * "MAINPID=<host pid of the init>". It returns early, saying nothing, if
 * the init exits first. The container never sees the host's socket. */
#ifndef UOCI_NOTIFY_H
#define UOCI_NOTIFY_H

#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

#define NOTIFY_DIR "notify"
#define NOTIFY_CONTAINER_DIR "/run/notify"
#define NOTIFY_CONTAINER_SOCKET NOTIFY_CONTAINER_DIR "/notify.sock"

/* The host's socket: $NOTIFY_SOCKET when set and not empty, else NULL. */
const char *notify_host_socket(void);

/* Check the host socket's address (a path, or @abstract, that fits a
 * sockaddr_un). */
int notify_check_host(const char *host, uoci_error **err);

/* create/run: the bind mount of state_dir/notify at /run/notify (appended to
 * mounts) and NOTIFY_SOCKET in process.env (replacing one already there). */
void notify_setup_spec(ocispec_config *cfg, const char *state_dir);

/* create/run: make <state>/notify (mode 0755). */
int notify_make_dir(int state_dirfd, uoci_error **err);

/* Bind <state>/notify/notify.sock (mode 0777: any uid of the container may
 * send). Returns the datagram fd. */
int notify_listen(int state_dirfd, uoci_error **err);

/* Wait on `fd` for a datagram with a READY= line and forward it, then
 * MAINPID=pid, to `host`. Returns 0 without sending anything when the init
 * (pid with start_time, proc_start_time: 0 when it was already gone) goes
 * away first. */
int notify_forward(int fd, const char *host, pid_t pid, unsigned long long start_time, uoci_error **err);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* terminal.h - process.terminal: the init opens a pty inside the container's
 * devpts, makes the slave its controlling terminal and stdio, and sends the
 * master over the --console-socket (SCM_RIGHTS) to whoever drives the
 * container (conmon, containerd's shim, or `run` itself in the foreground). */
#ifndef UOCI_TERMINAL_H
#define UOCI_TERMINAL_H

#include "error.h"
#include "ocispec.h"

/* Parent: connect to the console socket path (AF_UNIX stream). */
int terminal_connect(const char *path, uoci_error **err);

/* Child, after pivot_root: create the pty, send the master on console_fd,
 * bind the slave onto /dev/console (when bind_console), and make it the
 * controlling terminal and stdio. proxied: the master goes to our own
 * foreground proxy (run/exec without --console-socket): ONLCR is cleared. */
int terminal_setup_child(int console_fd, const ocispec_box *size, bool bind_console, bool proxied,
                         uoci_error **err);

/* Foreground `run`/`exec` with a terminal and no console socket need a
 * terminal of ours to proxy to; as runc: one of stdin, stdout, stderr is a
 * terminal, or there is a controlling terminal (/dev/tty opens). Without one
 * the container's shell would wait for input nobody can type. */
bool terminal_host_available(void);
#define TERMINAL_NONE_MSG \
  "process.terminal is true but there is no terminal to attach it to (stdin, stdout and stderr are not " \
  "terminals, and there is no controlling terminal): run it from a terminal, use --console-socket, or " \
  "set process.terminal to false"

/* Foreground `run`/`exec` with a terminal and no console socket: copy between
 * our stdio and the master until the master hangs up (our stdin in raw mode
 * while a tty). */
void terminal_proxy(int master);

/* Receive the master on sock, then terminal_proxy() it. */
void terminal_proxy_from(int sock);

#endif

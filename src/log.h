/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - diagnostics: errors to stderr (one line) and, with --log, to a log
 * file as text or as runc-style JSON lines {"level","msg","time"} that
 * containerd's shim and conmon read back. With --debug, log_debug() writes
 * each lifecycle step (to the log file, or to stderr without one). */
#ifndef UOCI_LOG_H
#define UOCI_LOG_H

#include <stdbool.h>

/* -1 (the error said on stderr) when the --log file cannot be opened: the
 * caller stops, as runc does, rather than losing what the engine reads there. */
int log_init(const char *path, bool json, bool debug);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The --log file's fd (-1: none): a child that closes the fds it does not
 * need keeps this one. */
int log_fd(void);
/* s with control characters (C0, DEL, C1) and bytes that are not UTF-8
 * escaped (\n, \t, \r, \xHH), so that a message stays one line and cannot
 * drive the terminal. malloc'd. */
char *log_escape(const char *s);

#endif

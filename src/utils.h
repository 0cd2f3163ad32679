/* SPDX-License-Identifier: GPL-2.0-or-later */
/* utils.h - cleanup attributes and small fd/file helpers shared by every module. */
#ifndef UOCI_UTILS_H
#define UOCI_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include "error.h"

/* ---- cleanup helpers -------------------------------------------------- */
static inline void uoci_freep(void *p) { free(*(void **) p); }
static inline void uoci_closep(int *fd) { if (*fd >= 0) close(*fd); *fd = -1; }
static inline void uoci_fclosep(FILE **f) { if (*f) fclose(*f); *f = NULL; }
void uoci_strv_free(char **v);
static inline void uoci_strv_freep(char ***v) { uoci_strv_free(*v); *v = NULL; }

#define _cleanup_free_ __attribute__((cleanup(uoci_freep)))
#define _cleanup_close_ __attribute__((cleanup(uoci_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(uoci_fclosep)))
#define _cleanup_strv_ __attribute__((cleanup(uoci_strv_freep)))

/* Hand ownership out of a cleanup variable. */
#define steal_ptr(p) ({ __typeof__(p) p_ = (p); (p) = NULL; p_; })
#define steal_fd(fd) ({ int fd_ = (fd); (fd) = -1; fd_; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation that never returns NULL (aborts on ENOMEM) -------------- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append a copy of s to the NULL-terminated vector *v of *n strings. */
void strv_append(char ***v, size_t *n, const char *s);
/* The same with s itself, which the vector then owns. */
void strv_push(char ***v, size_t *n, char *s);

/* A NULL-terminated shallow copy of v[0..n) (for execve). */
char **strv_terminated(char **v, size_t n);

/* ---- I/O --------------------------------------------------------------- */
/* write()/read() the whole buffer, retrying on EINTR and short counts. */
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);
/* /proc/<pid>/stat start time; 0 when the process is gone or a zombie. */
unsigned long long proc_start_time(pid_t pid);

/* Read a whole file (relative to dirfd, AT_FDCWD for cwd) into a malloc'd,
 * NUL-terminated buffer. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, uoci_error **err);
/* The same for a file someone else put there (a bundle's config.json): it
 * must be a regular file of at most `max` bytes. Opened non-blocking, so a
 * FIFO (or a link to /dev/zero) fails with one line instead of hanging. */
int read_regular_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len, uoci_error **err);
/* The same, opened through open_at (openat's shape: in_root_open for a path
 * inside a rootfs); `where` is put before path in the errors. */
typedef int (*open_at_fn)(int dirfd, const char *path, int flags);
int read_regular_file_with(open_at_fn open_at, int dirfd, const char *where, const char *path, size_t max,
                           char **out, size_t *len, uoci_error **err);
/* A document the caller names (exec --process, update --resources; "-" is
 * stdin): a regular file as read_regular_file_at, or a pipe (a FIFO,
 * process substitution, stdin), read to EOF; either at most max bytes. A FIFO
 * without a writer reads as empty (opened non-blocking) instead of waiting for
 * one; devices (/dev/zero), directories and sockets are refused by type. */
#define INPUT_MAX_BYTES ((size_t) 64 << 20)
int read_input_file(const char *path, size_t max, char **out, size_t *lenp, uoci_error **err);
/* read_file_at into buf (cap bytes, the text NUL-terminated) when it fits,
 * else into *heap (the caller frees it); *out points at the text, *len (if
 * not NULL) is its length. */
int read_file_at_buf(int dirfd, const char *path, char *buf, size_t cap, char **out, size_t *len, char **heap,
                     uoci_error **err);
/* The same from an open fd (at its start), at most max bytes (EFBIG beyond);
 * `what` names it in the errors. */
int read_fd_buf(int fd, const char *what, char *buf, size_t cap, size_t max, char **out, size_t *len, char **heap,
                uoci_error **err);
/* Splits a /proc/PID/cgroup line "ID:CONTROLLERS:PATH" in place (CONTROLLERS
 * is "" for cgroup2); false when the line has not that shape. */
bool proc_cgroup_split(char *line, const char **ctrls, const char **path);
/* Write a whole string to an existing file (O_WRONLY|O_TRUNC if trunc). */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, bool trunc, uoci_error **err);
/* Write atomically: data to NAME.tmp in dirfd, then rename over NAME. No fsync:
 * state lives on tmpfs and a torn write is detected by the reader. */
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, uoci_error **err);

/* mkdir -p with mode (absolute or relative to cwd). */
int mkdir_p(const char *path, mode_t mode, uoci_error **err);

/* Lexically clean an absolute or relative path: collapse "//" and "/./",
 * resolve ".." against the components before it (never above the start),
 * drop the trailing slash. Always returns an absolute path ("/" at least):
 * inside a container every path is relative to its root, and a cgroup path to its
 * hierarchy's. Pure logic. */
char *path_clean(const char *path);

/* Parse a decimal/signal helpers */
int parse_uint64(const char *s, unsigned long long *out);
int parse_int64(const char *s, long long *out);

/* RLIMIT_NOFILE: raise our soft limit to the hard one (main, first thing);
 * give a child the caller's soft limit back before it execs anything. */
void rlimit_nofile_raise(void);
void rlimit_nofile_restore(void);

/* How many fds (3..3+N-1) this command line may ask to pass on: the largest
 * --preserve-fds value anywhere before "--" (also as --preserve-fds=N or an
 * abbreviation getopt takes, such as --preserve), and LISTEN_FDS. It may
 * count too many (an exec COMMAND's own words), never too few. */
int preserve_fds_wanted(int argc, char **argv, const char *listen_fds);
/* Every fd of 3..3+n-1 that is not open becomes /dev/null (close-on-exec
 * until the range is handed on), before the runtime opens anything: else a
 * runtime fd (the --log file, a state directory) lands there and is passed
 * to the container as "preserved". */
void preserve_fds_reserve(int n);

/* Current time in RFC 3339 with nanoseconds, UTC ("2026-11-23T10:00:00.123456789Z"). */
char *rfc3339_now(void);
/* The same for a given time (seconds since the epoch, nanoseconds). Pure. */
char *rfc3339_format(int64_t sec, long nsec);

#endif

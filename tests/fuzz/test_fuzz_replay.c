/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fuzz_replay.c - replay every fuzz seed and every saved crash through
 * the fuzz harnesses, with the normal compiler (no libFuzzer needed).
 *
 * For each harness NAME, each file of tests/fuzz/corpus/NAME/ and
 * tests/fuzz/regressions/NAME/ runs in a forked child: a crash, abort or
 * sanitizer report (in a --enable-sanitizers build) is one failing test
 * named after the file. Inputs that once crashed a fuzzer live in
 * regressions/ forever. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fuzz.h"
#include "tap.h"
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

int fuzz_config(const uint8_t *data, size_t size);
int fuzz_process(const uint8_t *data, size_t size);
int fuzz_resources(const uint8_t *data, size_t size);
int fuzz_roundtrip(const uint8_t *data, size_t size);
int fuzz_cni_ipam(const uint8_t *data, size_t size);
int fuzz_cni_bridge(const uint8_t *data, size_t size);
int fuzz_cgroup_string(const uint8_t *data, size_t size);

static const struct {
  const char *name;
  int (*fn)(const uint8_t *, size_t);
} harnesses[] = {
  { "config", fuzz_config },       { "process", fuzz_process },   { "resources", fuzz_resources },
  { "roundtrip", fuzz_roundtrip }, { "cni_ipam", fuzz_cni_ipam },   { "cni_bridge", fuzz_cni_bridge },
  { "cgroup_string", fuzz_cgroup_string },
};

static uint8_t *slurp(const char *path, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  /* Exactly the file's bytes: a harness must not rely on a terminator. */
  uint8_t *buf = malloc(st.st_size ? (size_t) st.st_size : 1);
  ssize_t n = buf ? read(fd, buf, (size_t) st.st_size) : -1;
  close(fd);
  if (n != st.st_size) {
    free(buf);
    return NULL;
  }
  *len = (size_t) n;
  return buf;
}

/* Run one input in a child; true when it returned normally. */
static bool replay(int (*fn)(const uint8_t *, size_t), const char *path, char *why, size_t whylen)
{
  size_t len = 0;
  uint8_t *data = slurp(path, &len);
  if (data == NULL) {
    snprintf(why, whylen, "cannot read: %s", strerror(errno));
    return false;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    fn(data, len);
    free(data);
#ifdef __SANITIZE_ADDRESS__
    __lsan_do_leak_check(); /* _exit runs no exit-time check: a leak fails the input here */
#endif
    _exit(0);
  }
  free(data);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return true;
  if (WIFSIGNALED(status))
    snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
  else
    snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
  return false;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
static int no_dots(const struct dirent *d) { return d->d_name[0] != '.'; }

int main(void)
{
  static const char *const kinds[] = { "corpus", "regressions" };
  int total_dirs = 0;
  for (size_t h = 0; h < (sizeof harnesses / sizeof harnesses[0]); h++) {
    for (size_t k = 0; k < 2; k++) {
      char dir[4096];
      snprintf(dir, sizeof dir, "%s/%s/%s", FUZZ_DATA, kinds[k], harnesses[h].name);
      struct dirent **ents;
      int n = scandir(dir, &ents, no_dots, by_name);
      if (n < 0)
        continue;
      total_dirs++;
      for (int i = 0; i < n; i++) {
        char path[8192], why[128] = "";
        snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
        bool pass = replay(harnesses[h].fn, path, why, sizeof why);
        ok(pass, "%s: %s/%s%s%s", harnesses[h].name, kinds[k], ents[i]->d_name, pass ? "" : ": ", why);
        free(ents[i]);
      }
      free(ents);
    }
  }
  ok(total_dirs >= (int) (sizeof harnesses / sizeof harnesses[0]), "found the corpus directories under %s", FUZZ_DATA);
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_companion.c - which commands the musl ulysses-oci hands over to its
 * glibc build, and which companion files it accepts. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "companion.h"
#include "tap.h"

static void touch(const char *dir, mode_t mode)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, COMPANION_NAME);
  unlink(p);
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0700);
  if (fd >= 0)
    close(fd);
  chmod(p, mode);
}

int main(void)
{
  ok(companion_reason("checkpoint", false) != NULL, "checkpoint: libcriu");
  ok(companion_reason("restore", false) != NULL, "restore: libcriu");
  const char *bus[] = { "create", "run", "start", "delete", "update" };
  for (size_t i = 0; i < sizeof bus / sizeof bus[0]; i++) {
    ok(companion_reason(bus[i], true) != NULL, "--systemd-cgroup %s: libsystemd", bus[i]);
    ok(companion_reason(bus[i], false) == NULL, "%s without --systemd-cgroup: the musl build", bus[i]);
  }
  /* the hot verbs of an engine under --systemd-cgroup never reach the bus */
  const char *nobus[] = { "state", "kill", "exec", "list", "ps", "pause", "resume", "events", "spec", "features" };
  for (size_t i = 0; i < sizeof nobus / sizeof nobus[0]; i++)
    ok(companion_reason(nobus[i], true) == NULL, "--systemd-cgroup %s: the musl build", nobus[i]);
  ok(companion_reason("createx", true) == NULL, "only whole verb names");

  char dir[] = "/tmp/uoci-companion.XXXXXX";
  if (mkdtemp(dir) == NULL)
    return 1;
  errno = 0;
  ok(companion_open_in(dir) < 0 && errno == ENOENT, "missing: ENOENT");
  touch(dir, 0755);
  int fd = companion_open_in(dir);
  ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) && (fcntl(fd, F_GETFL) & O_PATH), "a root-owned 0755 file: an O_PATH, O_CLOEXEC fd");
  if (fd >= 0)
    close(fd);
  touch(dir, 0775);
  errno = 0;
  ok(companion_open_in(dir) < 0 && errno == EPERM, "group-writable: refused");
  touch(dir, 0757);
  errno = 0;
  ok(companion_open_in(dir) < 0 && errno == EPERM, "world-writable: refused");
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, COMPANION_NAME);
  unlink(p);
  mkdir(p, 0755);
  errno = 0;
  ok(companion_open_in(dir) < 0 && errno == EPERM, "a directory: refused");
  rmdir(p);
  if (geteuid() == 0) {
    touch(dir, 0755);
    ok(chown(p, 65534, 65534) == 0, "chown to nobody");
    errno = 0;
    ok(companion_open_in(dir) < 0 && errno == EPERM, "owned by another user: refused");
    unlink(p);
  }
  rmdir(dir);
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

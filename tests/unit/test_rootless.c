/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rootless.c - runc's rules for rootless mode and the default state
 * root, and the check of the /tmp fallback directory. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rootless.h"
#include "tap.h"
#include "utils.h"

static void test_uid_map(void)
{
  ok(rootless_uid_map_is_initial("         0          0 4294967295\n"), "the identity map of all ids: initial namespace");
  ok(!rootless_uid_map_is_initial("         0       1000          1\n"), "root mapped to 1000: a user namespace");
  ok(!rootless_uid_map_is_initial("0 0 65536\n"), "identity map of part of the ids: a user namespace");
  ok(!rootless_uid_map_is_initial("1000 1000 1\n"), "one id mapped to itself: a user namespace");
  ok(!rootless_uid_map_is_initial(""), "an unwritten map: a new user namespace");
  ok(rootless_uid_map_is_initial("garbage"), "unparsable: assumed initial, as runc");
}

static char *root_for(uid_t euid, bool userns, const char *xdg, const char *user, bool *tmp)
{
  struct rootless_env e = { .euid = euid, .in_userns = userns, .xdg_runtime_dir = xdg, .user = user };
  return rootless_default_root(&e, tmp);
}

static void test_rules(void)
{
  struct rootless_env real_root = { .euid = 0 };
  struct rootless_env user = { .euid = 1000 };
  struct rootless_env userns_root = { .euid = 0, .in_userns = true };
  ok(!rootless_cgroups(&real_root), "real root: not rootless");
  ok(rootless_cgroups(&user), "a user: rootless");
  ok(rootless_cgroups(&userns_root), "uid 0 in a user namespace (rootless podman): rootless");

  bool tmp;
  char *r;
  is_str(r = root_for(0, false, NULL, "root", &tmp), "/run/ulysses-oci", "real root: /run/ulysses-oci"); free(r);
  is_str(r = root_for(0, false, "/run/user/0", "root", &tmp), "/run/ulysses-oci",
         "real root ignores XDG_RUNTIME_DIR (/run/user/0), as runc"); free(r);
  is_str(r = root_for(1000, false, "/run/user/1000", "u", &tmp), "/run/user/1000/ulysses-oci",
         "a user: $XDG_RUNTIME_DIR/ulysses-oci"); free(r);
  ok(!tmp, "which needs no ownership check");
  is_str(r = root_for(1000, false, NULL, "u", &tmp), "/tmp/ulysses-oci-1000",
         "a user without XDG_RUNTIME_DIR: /tmp/ulysses-oci-EUID"); free(r);
  ok(tmp, "which must be checked before use");
  is_str(r = root_for(0, true, "/run/user/1000", "u", &tmp), "/run/user/1000/ulysses-oci",
         "uid 0 in a user namespace: $XDG_RUNTIME_DIR/ulysses-oci"); free(r);
  is_str(r = root_for(0, true, "/run/user/1000", NULL, &tmp), "/run/user/1000/ulysses-oci",
         "uid 0 in a user namespace without $USER: XDG too"); free(r);
  is_str(r = root_for(0, true, "/run/user/1000", "root", &tmp), "/run/ulysses-oci",
         "uid 0 in a user namespace with USER=root: /run/ulysses-oci, as runc"); free(r);
  is_str(r = root_for(0, true, NULL, "u", &tmp), "/run/ulysses-oci",
         "uid 0 in a user namespace without XDG_RUNTIME_DIR: /run/ulysses-oci"); free(r);
  ok(!tmp, "never the /tmp fallback for uid 0");
}

static void test_private_dir(void)
{
  char tmpl[] = "/tmp/uoci-test-rootless.XXXXXX";
  if (mkdtemp(tmpl) == NULL) {
    ok(false, "mkdtemp: %d", errno);
    return;
  }
  _cleanup_free_ char *d = xasprintf("%s/state", tmpl);
  uoci_error *err = NULL;
  ok(rootless_check_private_dir(d, &err) == 0, "a missing directory is made");
  struct stat st;
  ok(stat(d, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "with mode 0700");
  ok(rootless_check_private_dir(d, &err) == 0, "and accepted when it exists");
  chmod(d, 0777);
  int r = rootless_check_private_dir(d, &err);
  ok(r < 0 && err && strstr(err->msg, "not a private directory"), "a directory others may write is refused: %s",
     err ? err->msg : "(none)");
  uoci_error_freep(&err);
  rmdir(d);
  _cleanup_free_ char *target = xasprintf("%s/target", tmpl);
  mkdir(target, 0700);
  (void) !symlink(target, d);
  r = rootless_check_private_dir(d, &err);
  ok(r < 0 && err && strstr(err->msg, "symbolic link"),
     "a symlink is refused, even to a private directory: %s", err ? err->msg : "(none)");
  uoci_error_freep(&err);
  unlink(d);
  rmdir(target);
  if (geteuid() == 0) {
    mkdir(d, 0700);
    (void) !chown(d, 4242, 4242);
    r = rootless_check_private_dir(d, &err);
    ok(r < 0 && err && strstr(err->msg, "owned by uid 4242"),
       "a directory of another user is refused: %s", err ? err->msg : "(none)");
    uoci_error_freep(&err);
    rmdir(d);
  }
  rmdir(tmpl);
}

int main(void)
{
  test_uid_map();
  test_rules();
  test_private_dir();
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rootfs.c - pure logic of the rootfs module: mount option parsing,
 * propagation names, mountinfo parsing, which filesystems take the mountLabel. */
#include "config.h"
#include <string.h>
#include <sys/mount.h>
#include "lsm.h"
#include "mounts.h"
#include "tap.h"
#include "utils.h"

static struct mount_options parse(const char *const *opts, size_t n)
{
  struct mount_options o;
  uoci_error *err = NULL;
  int r = mount_options_parse((char *const *) opts, n, &o, &err);
  ok(r == 0, "parse %zu options without error", n);
  uoci_error_free(err);
  return o;
}

static void test_flags(void)
{
  const char *opts[] = { "nosuid", "noexec", "nodev", "ro", "relatime" };
  struct mount_options o = parse(opts, ARRAY_SIZE(opts));
  is_int(o.attrs.set, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV | MOUNT_ATTR_RDONLY, "ro,nosuid,nodev,noexec set");
  is_int(o.attrs.clr, 0, "nothing cleared");
  ok(o.attrs.atime && o.attrs.atime_mode == MOUNT_ATTR_RELATIME, "relatime selects the atime mode");
  ok(o.data == NULL, "no filesystem data");
  ok(!o.bind && !o.rec, "not a bind mount");
  mount_options_free(&o);
}

static void test_later_wins(void)
{
  const char *opts[] = { "ro", "rw", "nosuid", "suid", "noatime", "strictatime" };
  struct mount_options o = parse(opts, ARRAY_SIZE(opts));
  is_int(o.attrs.set, 0, "rw after ro and suid after nosuid leave nothing set");
  is_int(o.attrs.clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, "rw and suid clear their flags");
  is_int(o.attrs.atime_mode, MOUNT_ATTR_STRICTATIME, "last atime option wins");
  mount_options_free(&o);
}

static void test_data_and_sbflags(void)
{
  const char *opts[] = { "nosuid", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "sync", "size=65536k" };
  struct mount_options o = parse(opts, ARRAY_SIZE(opts));
  is_str(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5,size=65536k,sync", "unknown options and sb flags become data");
  mount_options_free(&o);
  const char *bopts[] = { "rbind", "sync", "ro" };
  o = parse(bopts, ARRAY_SIZE(bopts));
  ok(o.bind && o.rec, "rbind is a recursive bind");
  ok(o.data == NULL, "superblock flags are dropped for a bind mount");
  is_int(o.attrs.set, MOUNT_ATTR_RDONLY, "ro on a bind");
  mount_options_free(&o);
}

static void test_recursive_and_propagation(void)
{
  const char *opts[] = { "bind", "rro", "rnosuid", "rnoatime", "rslave", "ridmap", "tmpcopyup" };
  struct mount_options o = parse(opts, ARRAY_SIZE(opts));
  is_int(o.rattrs.set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, "rro/rnosuid are recursive attributes");
  is_int(o.attrs.set, 0, "and not top-only ones");
  ok(o.rattrs.atime && o.rattrs.atime_mode == MOUNT_ATTR_NOATIME, "rnoatime");
  is_int(o.propagation, MS_SLAVE, "rslave propagation");
  ok(o.propagation_rec, "rslave is recursive");
  ok(o.idmap && o.idmap_rec, "ridmap");
  ok(o.tmpcopyup, "tmpcopyup");
  mount_options_free(&o);
  const char *p2[] = { "shared", "private" };
  o = parse(p2, ARRAY_SIZE(p2));
  is_int(o.propagation, MS_PRIVATE, "last propagation wins");
  ok(!o.propagation_rec, "private is not recursive");
  mount_options_free(&o);
}

static void test_empty_option(void)
{
  const char *opts[] = { "ro", "" };
  struct mount_options o;
  uoci_error *err = NULL;
  ok(mount_options_parse((char *const *) opts, 2, &o, &err) < 0, "an empty option is an error");
  ok(err && strstr(err->msg, "empty"), "error says so: %s", err ? err->msg : "(none)");
  uoci_error_free(err);
}

static void test_propagation_names(void)
{
  is_int(propagation_from_name("rslave"), MS_SLAVE | MS_REC, "rslave");
  is_int(propagation_from_name("private"), MS_PRIVATE, "private");
  is_int(propagation_from_name("rshared"), MS_SHARED | MS_REC, "rshared");
  is_int(propagation_from_name("runbindable"), MS_UNBINDABLE | MS_REC, "runbindable");
  is_int(propagation_from_name("ro"), 0, "ro is not a propagation");
  is_int(propagation_from_name("bogus"), 0, "unknown name");
}

static void test_mountinfo(void)
{
  const char *text =
      "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct\n"
      "40 22 0:50 /a\\040b /mnt/with\\040space rw - tmpfs tmpfs rw,size=4k\n"
      "garbage line\n";
  struct mountinfo mi;
  mountinfo_parse(text, &mi);
  is_int(mi.len, 3, "three valid lines, garbage skipped");
  if (mi.len == 3) {
    is_int(mi.e[0].id, 22, "id");
    is_str(mi.e[0].optional, "shared:1", "optional field");
    is_str(mi.e[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct", "mount point");
    is_str(mi.e[1].optional, "shared:9 master:2", "several optional fields");
    is_str(mi.e[1].super_opts, "rw,cpu,cpuacct", "super options");
    is_str(mi.e[1].fstype, "cgroup", "fstype");
    is_str(mi.e[2].mount_point, "/mnt/with space", "\\040 unescaped in mount point");
    is_str(mi.e[2].root, "/a b", "and in root");
    is_str(mi.e[2].optional, "", "no optional fields");
  }
  mountinfo_free(&mi);
}

static void test_mount_label_types(void)
{
  ok(lsm_fs_takes_mount_label("tmpfs"), "tmpfs takes the mountLabel");
  ok(lsm_fs_takes_mount_label("devpts"), "devpts takes the mountLabel");
  ok(!lsm_fs_takes_mount_label("mqueue"), "mqueue has no context= option: it keeps its own label");
  ok(!lsm_fs_takes_mount_label("proc"), "proc keeps its own labels");
  ok(!lsm_fs_takes_mount_label("sysfs"), "sysfs keeps its own labels");
  ok(!lsm_fs_takes_mount_label("cgroup2"), "cgroup2 keeps its own labels");
  ok(!lsm_fs_takes_mount_label("bind"), "a bind mount keeps its source's labels");
  ok(!lsm_fs_takes_mount_label(NULL), "no type, no label");
}

int main(void)
{
  test_flags();
  test_later_wins();
  test_data_and_sbflags();
  test_recursive_and_propagation();
  test_empty_option();
  test_propagation_names();
  test_mountinfo();
  test_mount_label_types();
  return done_testing();
}

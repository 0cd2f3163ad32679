/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroup.c - the pure logic of the cgroup module: path resolution,
 * runc's v1->v2 conversions, list validation, device and blkio lines, systemd
 * names, resource validation, the state string round trip and the device
 * eBPF program's shape, exec --cgroup's sub-cgroup specs (on directories
 * under /tmp). Nothing here touches /sys/fs/cgroup. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include "bpf_devices.h"
#include "cgroup.h"
#include "cgroup_systemd.h"
#include "cgroup_util.h"
#include "cgroup_v1.h"
#include "cgroup_v2.h"
#include "tap.h"
#include "utils.h"

static void test_paths(void)
{
  char *p;
  is_str(p = path_clean("/a//b/./c/"), "/a/b/c", "clean: duplicate slashes and dots"); free(p);
  is_str(p = path_clean("/a/../../.."), "/", "clean: never above the root"); free(p);
  is_str(p = cg_resolve_path(NULL, "ctr", "/x"), "/ulysses-oci/ctr", "default path /ulysses-oci/ID"); free(p);
  is_str(p = cg_resolve_path("", "ctr", "/x"), "/ulysses-oci/ctr", "empty cgroupsPath uses the default"); free(p);
  is_str(p = cg_resolve_path("/machine/c1", "ctr", "/x"), "/machine/c1", "absolute path kept"); free(p);
  is_str(p = cg_resolve_path("/a/../b", "ctr", "/x"), "/b", "absolute path cleaned"); free(p);
  is_str(p = cg_resolve_path("foo/bar", "ctr", "/own/cg"), "/own/cg/foo/bar", "relative joined to own cgroup"); free(p);
  is_str(p = cg_resolve_path("../../../../etc", "ctr", "/own"), "/own/etc", "relative cannot climb out"); free(p);
}

static void test_conversions(void)
{
  is_int(cg_shares_to_weight(0), 0, "shares 0 -> unset");
  is_int(cg_shares_to_weight(2), 1, "shares 2 -> weight 1");
  is_int(cg_shares_to_weight(1024), 39, "shares 1024 -> weight 39 (runc)");
  is_int(cg_shares_to_weight(262144), 10000, "shares max -> weight 10000");
  is_int(cg_shares_to_weight(1000000), 10000, "shares above max clamp");
  is_int(cg_blkio_weight_to_io_weight(10), 1, "blkio weight 10 -> io 1");
  is_int(cg_blkio_weight_to_io_weight(500), 4950, "blkio weight 500 -> io 4950");
  is_int(cg_blkio_weight_to_io_weight(1000), 10000, "blkio weight 1000 -> io 10000");
  const char *why = NULL;
  is_int(cg_swap_to_v2(0, -1, &why), -1, "memory unlimited, swap unset -> swap max");
  is_int(cg_swap_to_v2(-1, 100, &why), -1, "swap -1 -> max");
  is_int(cg_swap_to_v2(0, 100, &why), -3, "swap unset stays unset");
  is_int(cg_swap_to_v2(100, 100, &why), 0, "memory+swap == memory -> swap.max 0 (no swap)");
  is_int(cg_swap_to_v2(300, 100, &why), 200, "memory+swap 300, memory 100 -> swap.max 200");
  is_int(cg_swap_to_v2(50, 100, &why), -2, "swap below limit rejected");
  is_int(cg_swap_to_v2(50, 0, &why), -2, "swap without memory limit rejected");
  int64_t q = 0;
  uint64_t per = 0;
  ok(cg_parse_cpu_max("max 100000\n", &q, &per) == 0 && q == -1 && per == 100000, "cpu.max: max 100000");
  ok(cg_parse_cpu_max("20000 50000\n", &q, &per) == 0 && q == 20000 && per == 50000, "cpu.max: 20000 50000");
  ok(cg_parse_cpu_max("20000 50000", &q, &per) == 0 && q == 20000 && per == 50000, "cpu.max: no newline");
  q = 7, per = 7;
  ok(cg_parse_cpu_max(NULL, &q, &per) < 0 && cg_parse_cpu_max("", &q, &per) < 0 && cg_parse_cpu_max("max", &q, &per) < 0 &&
         cg_parse_cpu_max("20000\n", &q, &per) < 0 && cg_parse_cpu_max("-1 100000", &q, &per) < 0 &&
         cg_parse_cpu_max("0 100000", &q, &per) < 0 && cg_parse_cpu_max("max 0", &q, &per) < 0 &&
         cg_parse_cpu_max("max -5", &q, &per) < 0 && cg_parse_cpu_max("1x 100", &q, &per) < 0 &&
         cg_parse_cpu_max("max 100 7", &q, &per) < 0 && q == 7 && per == 7,
     "cpu.max: other shapes refused, nothing written");
}

static void test_lists(void)
{
  const char *why = NULL;
  is_int(cg_validate_list("0-1", 1, &why), 0, "cpuset 0-1 within 0-1");
  is_int(cg_validate_list("0,1", 3, &why), 0, "cpuset 0,1 within 0-3");
  is_int(cg_validate_list("0-3,7", 7, &why), 0, "cpuset 0-3,7 within 0-7");
  is_int(cg_validate_list("5", 1, &why), -1, "cpuset 5 out of range 0-1");
  is_str(why, "out of range", "reason says out of range");
  is_int(cg_validate_list("3-1", -1, &why), -1, "backwards range rejected");
  is_int(cg_validate_list("a", -1, &why), -1, "garbage rejected");
  is_int(cg_validate_list("1,", -1, &why), 0, "trailing comma tolerated");
  is_int(cg_validate_list("1-", -1, &why), -1, "open range rejected");
  is_int(cg_list_max("0-1\n"), 1, "max of 0-1 is 1");
  is_int(cg_list_max("0,4-7"), 7, "max of 0,4-7 is 7");
  is_int(cg_list_max("\n"), -1, "empty list has no max");
}

static void test_lines(void)
{
  char *s;
  ocispec_device_cgroup all = { .allow = false, .has_allow = true, .access = "rwm" };
  is_str(s = cg_device_rule(&all), "a *:* rwm", "deny-all rule"); free(s);
  ocispec_device_cgroup null = { .allow = true, .has_allow = true, .type = "c", .major = 1, .has_major = true,
                                 .minor = 3, .has_minor = true, .access = "rw" };
  is_str(s = cg_device_rule(&null), "c 1:3 rw", "char 1:3 rw"); free(s);
  ocispec_device_cgroup wild = { .type = "b", .major = 8, .has_major = true, .minor = -1, .has_minor = true };
  is_str(s = cg_device_rule(&wild), "b 8:* rwm", "minor -1 is a wildcard, access defaults to rwm"); free(s);
  /* runc's update.bats writes "rwa": runc reads the r, w, m in it */
  ocispec_device_cgroup rwa = { .type = "c", .major = 1, .has_major = true, .minor = 11, .has_minor = true,
                                .access = "rwa" };
  is_str(s = cg_device_rule(&rwa), "c 1:11 rw", "\"rwa\" is written as rw"); free(s);
  ocispec_device_cgroup none = { .type = "c", .major = 1, .has_major = true, .minor = 11, .has_minor = true,
                                 .access = "a" };
  ok(cg_device_rule(&none) == NULL, "an access of no r, w, m is no rule");
  char acc[4];
  cg_device_access("mwrmx", acc);
  is_str(acc, "rwm", "accesses in rwm order, unknown letters left out");
  cg_device_access(NULL, acc);
  is_str(acc, "rwm", "no access is rwm");
  is_str(s = cg_device_access_note(&rwa, 1),
         "linux.resources.devices[1].access \"rwa\": \"a\" is not a device access (r, w, m), ignored as runc does: "
         "the rule covers \"rw\"", "the warning names the rule, the letter and what it covers"); free(s);
  is_str(s = cg_device_access_note(&none, 0),
         "linux.resources.devices[0].access \"a\": \"a\" is not a device access (r, w, m), ignored as runc does: "
         "the rule covers no access and has no effect", "a rule left with nothing says so"); free(s);
  ok(cg_device_access_note(&null, 0) == NULL, "no warning for rw");
  is_str(s = cg_blkio_line(8, 0, 1048576), "8:0 1048576", "blkio throttle line"); free(s);
}

static void test_systemd(void)
{
  char *slice = NULL, *unit = NULL, *path = NULL;
  const char *why = NULL;
  is_int(cg_systemd_parse("system.slice:docker:abc", "id", &slice, &unit, &path, &why), 0, "slice:prefix:name parses");
  is_str(unit, "docker-abc.scope", "unit name prefix-name.scope");
  is_str(path, "/system.slice/docker-abc.scope", "path under the slice");
  free(slice), free(unit), free(path);
  is_int(cg_systemd_parse("a-b-c.slice:p:n", "id", &slice, &unit, &path, &why), 0, "nested slice parses");
  is_str(path, "/a.slice/a-b.slice/a-b-c.slice/p-n.scope", "nested slice expands like systemd");
  free(slice), free(unit), free(path);
  is_int(cg_systemd_parse(NULL, "ctr", &slice, &unit, &path, &why), 0, "absent path uses defaults");
  is_str(unit, "ulysses-oci-ctr.scope", "default unit from the id");
  is_str(slice, "system.slice", "default slice");
  free(slice), free(unit), free(path);
  is_int(cg_systemd_parse("/not/systemd", "id", &slice, &unit, &path, &why), -1, "a plain path is rejected");
  is_int(cg_systemd_parse("bad:p:n", "id", &slice, &unit, &path, &why), -1, "a slice without .slice is rejected");
}

static void test_validation(void)
{
  uoci_error *err = NULL;
  ocispec_memory mem = { .limit = -5, .has_limit = true };
  ocispec_resources r = { .memory = &mem };
  is_int(cg_validate_resources(&r, CGROUP_MODE_V1, &err), -1, "negative memory limit rejected");
  ok(err && strstr(err->msg, "memory.limit"), "error names memory.limit: %s", err ? err->msg : "");
  uoci_error_free(err), err = NULL;
  mem.limit = -1;
  is_int(cg_validate_resources(&r, CGROUP_MODE_V1, &err), 0, "memory limit -1 (unlimited) accepted");
  mem.limit = 100, mem.swap = 50, mem.has_swap = true;
  is_int(cg_validate_resources(&r, CGROUP_MODE_V2, &err), -1, "swap < limit rejected");
  uoci_error_free(err), err = NULL;
  ocispec_pids pids = { .limit = -2, .has_limit = true };
  ocispec_resources rp = { .pids = &pids };
  is_int(cg_validate_resources(&rp, CGROUP_MODE_V2, &err), -1, "negative pids limit rejected");
  uoci_error_free(err), err = NULL;
  ocispec_cpu cpu = { .cpus = "0-x" };
  ocispec_resources rc = { .cpu = &cpu };
  is_int(cg_validate_resources(&rc, CGROUP_MODE_V1, &err), -1, "bad cpuset syntax rejected");
  uoci_error_free(err), err = NULL;
  char *keys[] = { "memory.high" }, *vals[] = { "1000000" };
  ocispec_resources ru = { .unified = { keys, vals, 1 } };
  is_int(cg_validate_resources(&ru, CGROUP_MODE_HYBRID, &err), -1, "unified on hybrid rejected");
  ok(err && strstr(err->msg, "requires cgroup v2"), "error says unified requires v2: %s", err ? err->msg : "");
  uoci_error_free(err), err = NULL;
  is_int(cg_validate_resources(&ru, CGROUP_MODE_V2, &err), 0, "unified on v2 accepted");
  char *bad[] = { "../etc/passwd" };
  ocispec_resources rb = { .unified = { bad, vals, 1 } };
  is_int(cg_validate_resources(&rb, CGROUP_MODE_V2, &err), -1, "unified key with a slash rejected");
  uoci_error_free(err), err = NULL;
  ocispec_device_cgroup d = { .type = "x" };
  ocispec_resources rd = { .devices = &d, .devices_len = 1 };
  is_int(cg_validate_resources(&rd, CGROUP_MODE_V1, &err), -1, "device type x rejected");
  uoci_error_free(err), err = NULL;
  ocispec_device_cgroup da = { .type = "c", .access = "rwa" };
  ocispec_resources rda = { .devices = &da, .devices_len = 1 };
  is_int(cg_validate_resources(&rda, CGROUP_MODE_V1, &err), 0, "access \"rwa\" accepted (as runc), with a warning");
  uoci_error_free(err), err = NULL;
}

static void test_roundtrip(void)
{
  uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  cg->mode = CGROUP_MODE_HYBRID;
  cg->path = xstrdup("/a b/c%d|e");
  struct cg_hier *h = cg_add_hier(cg, "/sys/fs/cgroup/memory", "/a b/c%d|e", CG_BIT(CG_MEMORY), false);
  h->created = 2;
  h = cg_add_hier(cg, "/sys/fs/cgroup/cpu,cpuacct", "/x", CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT), false);
  h->created = 0;
  char *s = cgroup_to_string(cg);
  ok(s && !strchr(s, '\n'), "state string is one line");
  uoci_cgroup *back = NULL;
  uoci_error *err = NULL;
  is_int(cgroup_from_string(s, &back, &err), 0, "state string parses back");
  if (back) {
    char *s2 = cgroup_to_string(back);
    is_str(s2, s, "round trip is identical");
    is_str(back->hier[0].rel, "/a b/c%d|e", "escaped characters restored");
    is_int(back->hier[0].created, 2, "created count restored");
    is_int(back->hier[1].ctrls, CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT), "co-mounted controllers restored");
    is_str(cgroup_path(back), "/a b/c%d|e", "path restored");
    free(s2);
  }
  cgroup_free(back);
  free(s);
  cgroup_free(cg);
  is_int(cgroup_from_string("v9 junk", &back, &err), -1, "garbage state rejected");
  uoci_error_free(err);
}

/* What the resources write, per controller (rootless refusal, v2 enabling). */
static void test_needed(void)
{
  ok(cg_needed_ctrls(NULL, false) == 0, "no resources: nothing");
  ocispec_memory empty_mem = { 0 };
  ocispec_pids unlimited = { .limit = 0, .has_limit = true };
  ocispec_resources podman = { .memory = &empty_mem, .pids = &unlimited };
  ok(cg_needed_ctrls(&podman, false) == 0 && cg_needed_ctrls(&podman, true) == 0,
     "an empty memory object and pids limit 0 need nothing");
  ocispec_memory lim = { .limit = 1 << 20, .has_limit = true };
  ocispec_resources rm = { .memory = &lim };
  is_int(cg_needed_ctrls(&rm, false), CG_BIT(CG_MEMORY), "a memory limit: memory");
  ocispec_memory swappy = { .swappiness = 10, .has_swappiness = true };
  ocispec_resources rs = { .memory = &swappy };
  is_int(cg_needed_ctrls(&rs, false), CG_BIT(CG_MEMORY), "swappiness: memory on v1");
  is_int(cg_needed_ctrls(&rs, true), 0, "swappiness: nothing on v2 (no such file, ignored as runc)");
  ocispec_cpu cpu = { .shares = 512, .has_shares = true, .cpus = "0" };
  ocispec_resources rc = { .cpu = &cpu };
  is_int(cg_needed_ctrls(&rc, true), CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET), "shares and cpus: cpu and cpuset");
  ocispec_network net = { .class_id = 7, .has_class_id = true };
  ocispec_device_cgroup dev = { .access = "rwm" };
  ocispec_resources rn = { .network = &net, .devices = &dev, .devices_len = 1 };
  is_int(cg_needed_ctrls(&rn, false), CG_BIT(CG_NET_CLS) | CG_BIT(CG_DEVICES), "classID and devices on v1");
  is_int(cg_needed_ctrls(&rn, true), 0, "neither is a v2 controller");
  char *keys[] = { "io.max", "cgroup.max.depth" };
  char *vals[] = { "8:0 rbps=1", "3" };
  ocispec_resources ru = { .unified = { keys, vals, 2 } };
  is_int(cg_needed_ctrls(&ru, true), CG_BIT(CG_BLKIO), "unified io.max: the io controller");
}

/* A rootless container without cgroups: its state says so, and what needs
 * one fails with the cause. Nothing here touches /sys/fs/cgroup: there is
 * no hierarchy to write to. */
static void test_denied(void)
{
  uoci_error *err = NULL;
  uoci_cgroup *back = NULL;
  is_int(cgroup_from_string("hybrid path=/c1 denied=ff", &back, &err), 0, "a state with denied controllers parses");
  char *s = back ? cgroup_to_string(back) : NULL;
  is_str(s, "hybrid path=/c1 denied=ff", "and round-trips");
  free(s);
  ocispec_memory lim = { .limit = 1 << 20, .has_limit = true };
  ocispec_resources rm = { .memory = &lim };
  is_int(cgroup_update(back, &rm, &err), -1, "a memory limit without the memory cgroup fails");
  ok(err && strstr(err->msg, "linux.resources.memory cannot be applied: this rootless container has no memory cgroup"),
     "naming the field and the cause: %s", err ? err->msg : "");
  uoci_error_free(err), err = NULL;
  ocispec_memory empty_mem = { 0 };
  ocispec_device_cgroup dev = { .access = "rwm" };
  ocispec_resources rd = { .memory = &empty_mem, .devices = &dev, .devices_len = 1 };
  is_int(cgroup_update(back, &rd, &err), 0, "device rules and an empty memory object pass");
  is_int(cgroup_freeze(back, true, &err), -1, "freeze fails");
  ok(err && strstr(err->msg, "cannot pause: this rootless container has no freezer cgroup (no permission"),
     "with the cause: %s", err ? err->msg : "");
  uoci_error_free(err), err = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  is_int(cgroup_pids(back, &pids, &n, &err), -1, "listing the processes fails, rather than an empty list");
  uoci_error_free(err), err = NULL;
  is_int(cgroup_kill_all(back, 0, &err), -1, "so does signalling them all");
  uoci_error_free(err), err = NULL;
  is_int(cgroup_destroy(back, &err), 0, "destroy has nothing to do");
  cgroup_free(back);
  back = NULL;
  is_int(cgroup_from_string("v2 path=/user.slice/c1", &back, &err), 0, "a v2 state without a cgroup");
  if (back)
    back->denied = CG_ALL;
  is_int(cgroup_freeze(back, false, &err), -1, "v2: resume fails");
  ok(err && strstr(err->msg, "no permission to create /sys/fs/cgroup/user.slice/c1") && strstr(err->msg, "delegated"),
     "naming the cgroup and delegation: %s", err ? err->msg : "");
  uoci_error_free(err), err = NULL;
  char *keys[] = { "cgroup.max.depth" };
  char *vals[] = { "3" };
  ocispec_resources ru = { .unified = { keys, vals, 1 } };
  is_int(cgroup_update(back, &ru, &err), -1, "v2: any unified key fails");
  uoci_error_free(err), err = NULL;
  ocispec_network net = { .class_id = 7, .has_class_id = true };
  ocispec_resources rn = { .network = &net };
  is_int(cgroup_update(back, &rn, &err), -1, "v2: classID is refused as with a cgroup");
  ok(err && strstr(err->msg, "not supported on cgroup v2"), "as not supported on v2: %s", err ? err->msg : "");
  uoci_error_free(err), err = NULL;
  cgroup_free(back);
}

/* exec --cgroup: runc's [CTRL[,CTRL]:]PATH, on hierarchies under a temporary
 * directory standing for the cgroup mounts. */
static uoci_cgroup *fake_cgroup(const char *top, enum cgroup_mode mode)
{
  uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  cg->mode = mode;
  cg->path = xstrdup("/c1");
  char *m1 = xasprintf("%s/memory", top), *m2 = xasprintf("%s/cpu,cpuacct", top);
  if (mode == CGROUP_MODE_V2) {
    cg_add_hier(cg, top, "/c1", 0, true);
  } else {
    cg_add_hier(cg, m1, "/c1", CG_BIT(CG_MEMORY), false);
    cg_add_hier(cg, m2, "/c1", CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT), false);
  }
  free(m1);
  free(m2);
  return cg;
}

static int enter(uoci_cgroup *cg, const char *a, const char *b, const char **msg)
{
  static uoci_error *err;
  uoci_error_free(err);
  err = NULL;
  char *specs[2] = { (char *) a, (char *) b };
  int r = cgroup_enter_sub(cg, specs, b ? 2 : 1, &err);
  *msg = err ? err->msg : "";
  return r;
}

static void test_enter_sub(void)
{
  char top[] = "/tmp/uoci-test-cg.XXXXXX";
  if (!mkdtemp(top)) {
    ok(0, "mkdtemp");
    return;
  }
  const char *dirs[] = { "memory", "memory/c1", "memory/c1/sub", "memory/c1/m2", "cpu,cpuacct", "cpu,cpuacct/c1",
                         "cpu,cpuacct/c1/sub", "c1", "c1/sub" };
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
    char *d = xasprintf("%s/%s", top, dirs[i]);
    mkdir(d, 0755);
    free(d);
  }
  const char *msg;
  uoci_cgroup *cg = fake_cgroup(top, CGROUP_MODE_V1);
  is_int(enter(cg, "sub", NULL, &msg), 0, "a bare path: every hierarchy");
  is_str(cg->hier[0].rel, "/c1/sub", "memory moved");
  is_str(cg->hier[1].rel, "/c1/sub", "cpu,cpuacct moved");
  cgroup_free(cg);
  cg = fake_cgroup(top, CGROUP_MODE_V1);
  is_int(enter(cg, "memory:m2", "cpu,cpuacct:sub", &msg), 0, "per controller, two controllers of one hierarchy");
  is_str(cg->hier[0].rel, "/c1/m2", "memory: its own sub-cgroup");
  is_str(cg->hier[1].rel, "/c1/sub", "cpu,cpuacct: the other");
  cgroup_free(cg);
  cg = fake_cgroup(top, CGROUP_MODE_V1);
  is_int(enter(cg, "cpu:sub", NULL, &msg), 0, "one controller: only its hierarchy");
  is_str(cg->hier[0].rel, "/c1", "memory stays");
  is_int(enter(cg, "cpu:sub", "cpuacct:other", &msg), -1, "two paths for one hierarchy refused");
  ok(strstr(msg, "already has sub-cgroup") != NULL, "... saying so: %s", msg);
  is_int(enter(cg, "sub", "memory:m2", &msg), -1, "a bare path with another --cgroup refused");
  is_int(enter(cg, "nosuch:sub", NULL, &msg), -1, "an unknown controller refused");
  ok(strstr(msg, "unknown controller nosuch: ") != NULL, "... naming it: %s", msg);
  is_int(enter(cg, "pids:sub", NULL, &msg), -1, "a controller the container has no hierarchy for refused");
  is_int(enter(cg, "a:b:c", NULL, &msg), -1, "two colons refused");
  cgroup_free(cg);
  const char *bad[] = { "..", "../x", "sub/../..", "/../c1/sub", "a/b/../../../c1" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    cg = fake_cgroup(top, CGROUP_MODE_V1);
    is_int(enter(cg, bad[i], NULL, &msg), -1, "\"%s\" climbs above the container's cgroup: refused", bad[i]);
    ok(strstr(msg, " is not a sub cgroup path") != NULL, "... in runc's words: %s", msg);
    is_str(cg->hier[0].rel, "/c1", "... and nothing moved");
    cgroup_free(cg);
  }
  /* runc reads PATH as Go's path.Join onto the container's cgroup */
  const char *top_level[] = { "/", ".", "", "sub/..", "//" };
  for (size_t i = 0; i < ARRAY_SIZE(top_level); i++) {
    cg = fake_cgroup(top, CGROUP_MODE_V1);
    is_int(enter(cg, top_level[i], NULL, &msg), 0, "\"%s\" is the container's cgroup itself", top_level[i]);
    is_str(cg->hier[0].rel, "/c1", "... memory stays");
    is_str(cg->hier[1].rel, "/c1", "... cpu,cpuacct stays");
    cgroup_free(cg);
  }
  const char *same_sub[] = { "/sub", "sub/", "./sub", "x/../sub", "//sub//" };
  for (size_t i = 0; i < ARRAY_SIZE(same_sub); i++) {
    cg = fake_cgroup(top, CGROUP_MODE_V1);
    is_int(enter(cg, same_sub[i], NULL, &msg), 0, "\"%s\" is sub", same_sub[i]);
    is_str(cg->hier[0].rel, "/c1/sub", "... memory moved");
    cgroup_free(cg);
  }
  cg = fake_cgroup(top, CGROUP_MODE_V1);
  is_int(enter(cg, "missing", NULL, &msg), -1, "a sub-cgroup that does not exist refused");
  ok(strstr(msg, "adding pid to ") && strstr(msg, "/c1/missing/cgroup.procs: no such file or directory"),
     "... in runc's words, with the path: %s", msg);
  cgroup_free(cg);
  cg = fake_cgroup(top, CGROUP_MODE_V2);
  is_int(enter(cg, "sub", NULL, &msg), 0, "v2: the bare path");
  is_str(cg->hier[0].rel, "/c1/sub", "v2: moved");
  is_int(enter(cg, "memory:sub", NULL, &msg), -1, "v2: a per-controller path refused");
  ok(strstr(msg, "cgroup v2 has one hierarchy") != NULL, "... saying why: %s", msg);
  cgroup_free(cg);
  for (size_t i = ARRAY_SIZE(dirs); i-- > 0;) {
    char *d = xasprintf("%s/%s", top, dirs[i]);
    rmdir(d);
    free(d);
  }
  rmdir(top);
}

static void test_bpf(void)
{
  struct bpf_insn *p = NULL;
  size_t n = 0;
  uoci_error *err = NULL;
  ocispec_device_cgroup rules[] = {
    { .allow = false, .has_allow = true, .access = "rwm" },
    { .allow = true, .has_allow = true, .type = "c", .major = 1, .has_major = true, .minor = 3, .has_minor = true, .access = "rwm" },
  };
  is_int(cg_bpf_build_devices(rules, 2, &p, &n, &err), 0, "device program builds");
  /* prologue 6; rule 2 (c 1:3 rwm): 3 tests + mov + exit; rule 1 unconditional: mov + exit; no default. */
  is_int(n, 6 + 5 + 2, "program length");
  ok(p[n - 1].code == (BPF_JMP | BPF_EXIT) && p[n - 2].imm == 0, "ends with the deny-all verdict");
  is_int(p[6].off, 4, "type test jumps past the rule");
  free(p);
  is_int(cg_bpf_build_devices(rules + 1, 1, &p, &n, &err), 0, "allow-only program builds");
  ok(p[n - 2].imm == 1, "falls through to allow when nothing matched");
  free(p);
}

/* The v2 mechanisms against the real kernel, on whatever cgroup2 tree the
 * host has (/sys/fs/cgroup on v2, /sys/fs/cgroup/unified on hybrid): the
 * device eBPF program denies and allows as the rules say, cgroup.freeze
 * freezes, destroy kills and removes. */
static void test_v2_kernel(void)
{
  const char *mount = NULL;
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == 0x63677270)
    mount = "/sys/fs/cgroup";
  else if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == 0x63677270)
    mount = "/sys/fs/cgroup/unified";
  if (mount == NULL || geteuid() != 0) {
    for (int i = 0; i < 8; i++)
      ok(1, "# SKIP no cgroup2 tree or not root");
    return;
  }
  uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  cg->mode = CGROUP_MODE_V2;
  char rel[64];
  snprintf(rel, sizeof rel, "/ulysses-oci-unit-%d", (int) getpid());
  struct cg_hier *h = cg_add_hier(cg, mount, rel, 0, true);
  uoci_error *err = NULL;
  is_int(cg_mkdir_hier(h, false, &err), 0, "mkdir a cgroup2 directory");
  ocispec_device_cgroup rules[] = {
    { .allow = false, .has_allow = true, .access = "rwm" },
    { .allow = true, .has_allow = true, .type = "c", .major = 1, .has_major = true, .minor = 3, .has_minor = true,
      .access = "rw" },
  };
  ocispec_resources r = { .devices = rules, .devices_len = 2 };
  int rc = cg_v2_apply(cg, &r, false, &err);
  is_int(rc, 0, "device eBPF program loads and attaches%s%s", err ? ": " : "", err ? err->msg : "");
  pid_t child = fork();
  if (child == 0) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int) getpid());
    if (write_file_at(AT_FDCWD, xasprintf("%s/cgroup.procs", h->dir), buf, (size_t) n, false, NULL) < 0)
      _exit(10);
    int null_ok = open("/dev/null", O_RDWR) >= 0;
    int zero_denied = open("/dev/zero", O_RDONLY) < 0 && errno == EPERM;
    _exit((null_ok ? 0 : 1) | (zero_denied ? 0 : 2));
  }
  int st = 0;
  waitpid(child, &st, 0);
  is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "/dev/null allowed, /dev/zero denied (EPERM) in the cgroup");
  /* A long rule list (engines send dozens; the verifier's log of such a
   * program overflows any fixed buffer) loads and replaces the first. */
  ocispec_device_cgroup many[201] = { { .allow = false, .has_allow = true, .access = "rwm" } };
  for (int i = 1; i < 201; i++)
    many[i] = (ocispec_device_cgroup) { .allow = true, .has_allow = true, .type = "c", .major = 1, .has_major = true,
                                        .minor = 1000 + i, .has_minor = true, .access = "rwm" };
  ocispec_resources big = { .devices = many, .devices_len = 201 };
  rc = cg_v2_apply(cg, &big, true, &err);
  is_int(rc, 0, "a 200-rule device program loads and replaces the first%s%s", err ? ": " : "", err ? err->msg : "");
  child = fork();
  if (child == 0) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int) getpid());
    write_file_at(AT_FDCWD, xasprintf("%s/cgroup.procs", h->dir), buf, (size_t) n, false, NULL);
    for (;;)
      pause();
  }
  for (int i = 0; i < 200; i++) {
    char *procs = cg_read(h, "cgroup.procs"); /* freed: LeakSanitizer runs on the unit tests */
    bool joined = procs && strchr(procs, '\n');
    free(procs);
    if (joined)
      break;
    usleep(5000);
  }
  rc = cg_v2_freeze(cg, true, &err);
  is_int(rc == 0 ? cg_v2_is_frozen(cg) : -2, 1, "cgroup.freeze freezes (cgroup.events frozen 1)");
  h->created = 1;
  rc = cgroup_destroy(cg, &err);
  is_int(rc, 0, "destroy kills a frozen cgroup's tasks and removes it%s%s", err ? ": " : "", err ? err->msg : "");
  waitpid(child, &st, 0);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the task was SIGKILLed");
  ok(access(h->dir, F_OK) < 0, "directory removed");
  uoci_error_free(err);
  cgroup_free(cg);
}

static void test_unapplied(void)
{
  const char *why[8];
  ocispec_memory m = { .kernel = 1 << 20, .has_kernel = true, .kernel_tcp = 1 << 20, .has_kernel_tcp = true,
                       .swappiness = 10, .has_swappiness = true, .disable_oom_killer = true,
                       .has_disable_oom_killer = true };
  ocispec_resources r = { .memory = &m };
  is_int(cg_unapplied(&r, CGROUP_MODE_HYBRID, why, 8), 1, "v1: only memory.kernel cannot be applied");
  ok(strstr(why[0], "linux.resources.memory.kernel: ignored") != NULL, "and the warning names it: %s", why[0]);
  is_int(cg_unapplied(&r, CGROUP_MODE_V2, why, 8), 4, "v2: kernel, kernelTCP, swappiness and disableOOMKiller");
  m.kernel = -1;
  m.kernel_tcp = -1;
  m.has_swappiness = m.has_disable_oom_killer = false;
  is_int(cg_unapplied(&r, CGROUP_MODE_V2, why, 8), 0, "-1 (no limit) is what every kernel does: no warning");
  is_int(cg_unapplied(NULL, CGROUP_MODE_V2, why, 8), 0, "no resources");
}

static void put_file(const char *dir, const char *name, const char *text)
{
  char *p = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  ok(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", p);
  free(p);
}

/* A kill that fails names the pid it failed on (the message read the pid
 * list after it was freed). A v1 freezer cgroup on plain files, frozen
 * already, listing this process; signal 65 makes kill fail with EINVAL. */
static void test_kill_all_error(void)
{
  char top[] = "/tmp/uoci-test-kill.XXXXXX";
  if (!mkdtemp(top)) {
    ok(0, "mkdtemp");
    return;
  }
  char *fz = xasprintf("%s/freezer", top), *c1 = xasprintf("%s/freezer/c1", top);
  char *procs = xasprintf("%d\n", (int) getpid());
  mkdir(fz, 0755);
  mkdir(c1, 0755);
  put_file(c1, "freezer.state", "FROZEN\n");
  put_file(c1, "cgroup.procs", procs);
  char *s = xasprintf("v1 path=/c1 %s|%x|0|1|/c1", fz, CG_BIT(CG_FREEZER));
  uoci_cgroup *cg = NULL;
  uoci_error *e = NULL;
  ok(cgroup_from_string(s, &cg, NULL) == 0, "kill: a frozen v1 cgroup on files");
  is_int(cgroup_kill_all(cg, 65, &e), -1, "kill with signal 65 fails");
  char *want = xasprintf("kill %d", (int) getpid());
  ok(e && strstr(e->msg, want), "... naming the pid: %s", e ? e->msg : "(no error)");
  uoci_error_free(e);
  cgroup_free(cg);
  free(want);
  free(s);
  free(procs);
  char *cmd = xasprintf("rm -rf '%s'", top);
  (void) !system(cmd);
  free(cmd);
  free(c1);
  free(fz);
}

/* cgroup_saved_is_frozen (list's cheap status) must answer what
 * cgroup_is_frozen(cgroup_from_string()) answers, for any saved string. */
static int frozen_the_long_way(const char *s)
{
  uoci_cgroup *cg = NULL;
  int r = cgroup_from_string(s, &cg, NULL) == 0 ? cgroup_is_frozen(cg) : -1;
  cgroup_free(cg);
  return r;
}

static void test_saved_frozen(void)
{
  char top[] = "/tmp/uoci-test-frz.XXXXXX";
  if (!mkdtemp(top)) {
    ok(0, "mkdtemp");
    return;
  }
  /* a v1 freezer hierarchy with two cgroups, one with a space in its name
   * (escaped in the state string), and a unified tree */
  char *fz = xasprintf("%s/freezer", top), *c1 = xasprintf("%s/freezer/c1", top);
  char *c2 = xasprintf("%s/freezer/c 2", top), *un = xasprintf("%s/unified", top);
  char *u1 = xasprintf("%s/unified/c1", top);
  const char *dirs[] = { fz, c1, c2, un, u1 };
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
    mkdir(dirs[i], 0755);
  put_file(c1, "freezer.state", "FROZEN\n");
  put_file(c2, "freezer.state", "THAWED\n");
  put_file(fz, "freezer.state", "FREEZING\n");
  put_file(u1, "cgroup.events", "populated 1\nfrozen 1\n");
  put_file(un, "cgroup.events", "populated 1\nfrozen 0\n");
  unsigned f = CG_BIT(CG_FREEZER), m = CG_BIT(CG_MEMORY);
  struct {
    char *s;
    int want;
    const char *what;
  } cases[] = {
    { xasprintf("hybrid path=/c1 %s/memory|%x|0|1|/c1 %s|%x|0|1|/c1 %s|0|1|1|/c1", top, m, fz, f, un), 1,
      "hybrid, frozen: the freezer hierarchy, not the unified one" },
    { xasprintf("v1 path=/c%%202 %s|%x|0|1|/c%%202", fz, f), 0, "v1, thawed, escaped path" },
    { xasprintf("v1 systemd=a.scope slice=s.slice path=/ %s|%x|0|0|/", fz, f), 0, "systemd keys, rel \"/\": FREEZING" },
    { xasprintf("v1 path=/c1 denied=%x %s|%x|0|1|/c1 %s|%x|0|1|/c%%202", m, fz, f, fz, f), 1,
      "the first freezer entry counts" },
    { xasprintf("v2 path=/c1 %s|0|1|1|/c1", un), 1, "v2, frozen 1" },
    { xasprintf("v2 path=/ %s|0|1|0|/", un), 0, "v2, frozen 0" },
    { xasprintf("v1 path=/c1 %s/memory|%x|0|1|/c1", top, m), -1, "no freezer hierarchy" },
    { xasprintf("v1 path=/c1 %s|%x|0|1|/missing", fz, f), -1, "no freezer.state" },
    { xasprintf("v1 path=/c1 %s|%x|0|1|/c1 %s|%x|0", fz, f, fz, f), -1, "a damaged entry after the freezer's" },
    { xasprintf("v1 path=/c1 %s|%x|0|1|c1", fz, f), -1, "a relative path" },
    { xasprintf("v9 path=/c1 %s|%x|0|1|/c1", fz, f), -1, "an unknown mode" },
    { xasprintf("%s", ""), -1, "empty" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    is_int(cgroup_saved_is_frozen(cases[i].s), cases[i].want, "saved frozen: %s", cases[i].what);
    is_int(cgroup_saved_is_frozen(cases[i].s), frozen_the_long_way(cases[i].s), "... as cgroup_from_string + cgroup_is_frozen");
    free(cases[i].s);
  }
  /* more hierarchies than a cgroup holds: refused by both */
  char *many = xasprintf("v1 path=/c1");
  for (int i = 0; i < CG_MAX_HIER + 1; i++) {
    char *more = xasprintf("%s %s|%x|0|1|/c1", many, fz, f);
    free(many);
    many = more;
  }
  is_int(cgroup_saved_is_frozen(many), -1, "saved frozen: too many hierarchies");
  is_int(frozen_the_long_way(many), -1, "... as cgroup_from_string");
  free(many);
  /* longer than the stack copy: parsed from a heap copy, same answer */
  char *pad = xcalloc(1, 5001);
  memset(pad, 'x', 5000);
  char *longer = xasprintf("v1 slice=%s path=/c1 %s|%x|0|1|/c1", pad, fz, f);
  is_int(cgroup_saved_is_frozen(longer), 1, "saved frozen: a string longer than 4096 bytes");
  is_int(frozen_the_long_way(longer), 1, "... as cgroup_from_string + cgroup_is_frozen");
  free(longer);
  free(pad);
  for (size_t i = ARRAY_SIZE(dirs); i-- > 0;) {
    char *cmd = xasprintf("rm -rf '%s'", dirs[i]);
    (void) !system(cmd);
    free(cmd);
    free((char *) dirs[i]);
  }
  rmdir(top);
}

/* update's undo log: what writes put each file back (pure), and the log
 * itself on plain files (same-length values: no cgroup file, no truncation). */
static void test_undo(void)
{
  char *k, **w;
  is_str(k = cg_undo_key("io.max", "8:0 rbps=1000"), "8:0", "io.max: the device is the key"); free(k);
  ok(cg_undo_key("io.weight", "100") == NULL, "io.weight: a default weight has no key");
  ok(cg_undo_key("io.weight", "default 100") == NULL, "io.weight: \"default N\" has no key");
  ok(cg_undo_key("memory.max", "8:0 1") == NULL, "memory.max is not keyed");
  is_str(k = cg_undo_key("blkio.throttle.read_bps_device", "8:0 1048576"), "8:0", "v1 throttle: device key"); free(k);

  w = cg_undo_writes("memory.max", "max\n", NULL, 0);
  ok(w[0] && strcmp(w[0], "max") == 0 && w[1] == NULL, "a plain file: its old value, newline cut");
  free(w[0]); free(w);
  w = cg_undo_writes("cpuset.cpus", "\n", NULL, 0);
  ok(w[0] && strcmp(w[0], "\n") == 0 && w[1] == NULL, "an empty cpuset.cpus is written back empty");
  free(w[0]); free(w);
  w = cg_undo_writes("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", NULL, 0);
  ok(w[0] && strcmp(w[0], "0") == 0 && w[1] == NULL, "v1 memory.oom_control: the flag alone");
  free(w[0]); free(w);
  char *keys[] = { "8:0", "8:16" };
  w = cg_undo_writes("io.max", "8:0 rbps=1000 wbps=max riops=max wiops=max\n", keys, 2);
  ok(w[0] && strcmp(w[0], "8:0 rbps=1000 wbps=max riops=max wiops=max") == 0, "io.max: the old line of 8:0");
  ok(w[1] && strcmp(w[1], "8:16 rbps=max wbps=max riops=max wiops=max") == 0, "io.max: 8:16 had none: reset");
  ok(w[2] == NULL, "io.max: nothing else");
  for (char **p = w; *p; p++) free(*p);
  free(w);
  w = cg_undo_writes("blkio.throttle.read_bps_device", "", keys, 1);
  ok(w[0] && strcmp(w[0], "8:0 0") == 0 && w[1] == NULL, "v1 throttle: a new device's limit is dropped");
  free(w[0]); free(w);
  w = cg_undo_writes("rdma.max", "", NULL, 0);
  ok(w[0] == NULL, "a keyed file with nothing before and no key written: no write");
  free(w);

  char dir[] = "/tmp/uoci-undo-XXXXXX";
  if (mkdtemp(dir) == NULL) { ok(0, "mkdtemp"); return; }
  struct cg_hier h = { .dir = dir };
  char *p1 = xasprintf("%s/memory.max", dir), *p2 = xasprintf("%s/pids.max", dir);
  uoci_error *err = NULL;
  int f1 = open(p1, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), f2 = open(p2, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ok(f1 >= 0 && f2 >= 0 && write(f1, "max\n", 4) == 4 && write(f2, "10\n", 3) == 3, "two files");
  close(f1); close(f2);
  cg_undo_begin();
  cg_write(&h, "memory.max", "123", NULL);
  cg_write(&h, "memory.max", "456", NULL);
  cg_write(&h, "pids.max", "20", NULL);
  char *text = NULL;
  read_file_at(AT_FDCWD, p1, &text, NULL, &err);
  is_str(text, "456\n", "written"); free(text);
  char *first = NULL;
  is_int((int) cg_undo_rollback(&first), 0, "rollback: every file put back");
  read_file_at(AT_FDCWD, p1, &text, NULL, &err);
  is_str(text, "max\n", "memory.max as before the first write"); free(text);
  read_file_at(AT_FDCWD, p2, &text, NULL, &err);
  is_str(text, "10\n", "pids.max as before"); free(text);
  cg_write(&h, "pids.max", "30", NULL);
  is_int((int) cg_undo_rollback(&first), 0, "after the rollback the log is off");
  read_file_at(AT_FDCWD, p2, &text, NULL, &err);
  is_str(text, "30\n", "a write outside an update is not undone"); free(text);
  unlink(p1); unlink(p2); rmdir(dir); free(p1); free(p2);
}

int main(void)
{
  test_undo();
  test_unapplied();
  test_paths();
  test_conversions();
  test_lists();
  test_lines();
  test_systemd();
  test_validation();
  test_roundtrip();
  test_saved_frozen();
  test_kill_all_error();
  test_needed();
  test_denied();
  test_enter_sub();
  test_bpf();
  test_v2_kernel();
  return done_testing();
}

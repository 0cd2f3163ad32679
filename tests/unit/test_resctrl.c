/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_resctrl.c - linux.intelRdt: validation, and the file logic against a
 * resctrl root this test lays out in a temporary directory (no test machine
 * has RDT hardware): groups made or checked, schemata written in the
 * spec's order, tasks joined, MON groups, removal, update. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "resctrl.h"
#include "tap.h"
#include "utils.h"

static char root[64];

static void put(const char *rel, const char *text)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
}

static char *get(const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  char *text = NULL;
  size_t len;
  uoci_error *e = NULL;
  if (read_file_at(AT_FDCWD, p, &text, &len, &e) < 0) {
    uoci_error_free(e);
    return xstrdup("(missing)");
  }
  return text;
}

static bool exists(const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
  return access(p, F_OK) == 0;
}

/* What resctrl's own root looks like on a two-socket machine with L3 CAT,
 * MBA and monitoring; groups the kernel would make carry the same files. */
static void lay_out_root(void)
{
  snprintf(root, sizeof root, "/tmp/uoci-resctrl.XXXXXX");
  if (mkdtemp(root) == NULL)
    abort();
  _cleanup_free_ char *info = xasprintf("%s/info", root), *mon = xasprintf("%s/mon_groups", root),
                      *guaranteed = xasprintf("%s/guaranteed", root);
  mkdir(info, 0755);
  mkdir(mon, 0755);
  mkdir(guaranteed, 0755);
  put("info/last_cmd_status", "ok\n");
  put("schemata", "    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n");
  put("tasks", "");
  put("guaranteed/schemata", "    L3:0=7f0;1=01f\n    MB:0= 20;1= 70\n");
  put("guaranteed/tasks", "");
}

/* resctrl's rmdir takes a group's files with it; a plain directory needs
 * them gone first. */
static void kernel_files_go(const char *group)
{
  static const char *const files[] = { "schemata", "tasks" };
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    _cleanup_free_ char *p = xasprintf("%s/%s/%s", root, group, files[i]);
    unlink(p);
  }
}

static const char *plan_error(ocispec_intel_rdt *rdt)
{
  static char msg[512];
  struct resctrl_plan plan;
  uoci_error *err = NULL;
  int r = resctrl_plan_from_spec(rdt, "c1", &plan, &err);
  resctrl_plan_release(&plan);
  if (r == 0)
    return NULL;
  snprintf(msg, sizeof msg, "%s", err->msg);
  uoci_error_free(err);
  return msg;
}

static void test_validation(void)
{
  struct resctrl_plan plan;
  uoci_error *err = NULL;
  ok(resctrl_plan_from_spec(NULL, "c1", &plan, &err) == 0 && !plan.present, "no intelRdt: nothing");

  ocispec_intel_rdt r = { .mem_bw_schema = "L3:0=1" };
  const char *m = plan_error(&r);
  ok(m && strstr(m, ".linux.intelRdt.memBwSchema: must start with \"MB:\""), "memBwSchema must start with MB: (%s)", m);
  r = (ocispec_intel_rdt) { .l3_cache_schema = "L3:0=1\nMB:0=1" };
  m = plan_error(&r);
  ok(m && strstr(m, ".linux.intelRdt.l3CacheSchema: must not contain newlines"), "no newline in l3CacheSchema (%s)", m);
  static char *bad_lines[] = { "L3:0=1\nL2:0=1" };
  r = (ocispec_intel_rdt) { .schemata = bad_lines, .schemata_len = 1 };
  m = plan_error(&r);
  ok(m && strstr(m, ".linux.intelRdt.schemata[0]"), "no newline in schemata (%s)", m);
  static const char *const bad_ids[] = { "a/b", "..", "info", "mon_groups", "mon_data", "two words", "" };
  for (size_t i = 0; i < ARRAY_SIZE(bad_ids); i++) {
    r = (ocispec_intel_rdt) { .clos_id = (char *) bad_ids[i] };
    m = plan_error(&r);
    ok(m && strstr(m, ".linux.intelRdt.closID"), "closID \"%s\" refused", bad_ids[i]);
  }

  static char *lines[] = { "L2:0=f;1=f", "MB:1=70" };
  r = (ocispec_intel_rdt) { .l3_cache_schema = "L3:0=7f0", .mem_bw_schema = "MB:0=20", .schemata = lines,
                            .schemata_len = 2, .enable_cmt = true, .has_enable_cmt = true };
  ok(resctrl_plan_from_spec(&r, "c1", &plan, &err) == 0, "a full intelRdt is accepted");
  ok(plan.own_group && strcmp(plan.group, "c1") == 0, "no closID: the group is the container's");
  ok(plan.lines && !strcmp(plan.lines[0], "L3:0=7f0") && !strcmp(plan.lines[1], "MB:0=20") &&
     !strcmp(plan.lines[2], "L2:0=f;1=f") && !strcmp(plan.lines[3], "MB:1=70") && plan.lines[4] == NULL,
     "l3CacheSchema first, memBwSchema next, schemata last");
  ok(plan.monitoring, "1.1's enableCMT asks for monitoring too");
  resctrl_plan_release(&plan);
  r = (ocispec_intel_rdt) { .clos_id = "/" };
  ok(resctrl_plan_from_spec(&r, "c1", &plan, &err) == 0 && !plan.own_group && *plan.group == '\0',
     "closID \"/\" is the root group");
  resctrl_plan_release(&plan);
}

static int prepare(ocispec_intel_rdt *r, const char *id, struct resctrl_plan *plan, char *msg, size_t msglen)
{
  uoci_error *err = NULL;
  int ret = resctrl_plan_from_spec(r, id, plan, &err);
  if (ret == 0)
    ret = resctrl_prepare(plan, root, &err);
  snprintf(msg, msglen, "%s", err ? err->msg : "");
  uoci_error_free(err);
  return ret;
}

static void test_own_group(void)
{
  char msg[512];
  struct resctrl_plan plan;
  uoci_error *err = NULL;
  static char *lines[] = { "L2:0=f" };
  ocispec_intel_rdt r = { .l3_cache_schema = "L3:0=7f0;1=1f", .mem_bw_schema = "MB:0=20;1=70", .schemata = lines,
                          .schemata_len = 1 };
  ok(prepare(&r, "c1", &plan, msg, sizeof msg) == 0, "own group prepared (%s)", msg);
  ok(exists("c1"), "the group c1 was made");
  _cleanup_free_ char *sch = get("c1/schemata");
  is_str(sch, "L3:0=7f0;1=1f\nMB:0=20;1=70\nL2:0=f\n", "schemata written line by line, in the spec's order");
  ok(resctrl_join(&plan, root, 4242, &err) == 0, "join");
  _cleanup_free_ char *tasks = get("c1/tasks");
  is_str(tasks, "4242\n", "the pid went to the group's tasks");

  ok(resctrl_update(&plan, root, "L3:0=3", "MB:0=50", &err) == 0, "update");
  _cleanup_free_ char *sch2 = get("c1/schemata");
  ok(strstr(sch2, "L3:0=3\nMB:0=50\n") != NULL, "update wrote L3 then MB");
  ok(resctrl_update(&plan, root, "MB:0=50", NULL, &err) < 0 && strstr(err->msg, "--l3-cache-schema"),
     "update refuses an L3 option that is not L3");
  uoci_error_freep(&err);

  /* A second container of the same id cannot adopt the group. */
  struct resctrl_plan again;
  ok(prepare(&r, "c1", &again, msg, sizeof msg) < 0 && strstr(msg, "create group"), "an existing group of the id is an error (%s)", msg);
  resctrl_plan_release(&again);

  kernel_files_go("c1");
  ok(resctrl_remove(&plan, root, &err) == 0 && !exists("c1"), "the container's own group is removed at delete");
  resctrl_plan_release(&plan);
}

static void test_closid_group(void)
{
  char msg[512];
  struct resctrl_plan plan;
  uoci_error *err = NULL;

  /* existing group whose schemata match, written differently */
  ocispec_intel_rdt r = { .clos_id = "guaranteed", .l3_cache_schema = "L3:0=0x7F0;1=1f", .mem_bw_schema = "MB:1=70" };
  ok(prepare(&r, "c2", &plan, msg, sizeof msg) == 0, "an existing closID group with the asked schemata (%s)", msg);
  _cleanup_free_ char *sch = get("guaranteed/schemata");
  is_str(sch, "    L3:0=7f0;1=01f\n    MB:0= 20;1= 70\n", "an existing group's schemata are compared, not written");
  ok(resctrl_join(&plan, root, 77, &err) == 0, "join it");
  ok(resctrl_remove(&plan, root, &err) == 0 && exists("guaranteed"), "a closID group stays at delete");
  resctrl_plan_release(&plan);

  /* monitoring: a MON group named after the container inside the group */
  r.enable_monitoring = r.has_enable_monitoring = true;
  ok(prepare(&r, "c2", &plan, msg, sizeof msg) == 0 && exists("guaranteed/mon_groups/c2"), "MON group made (%s)", msg);
  ok(resctrl_join(&plan, root, 78, &err) == 0, "join with monitoring");
  _cleanup_free_ char *mt = get("guaranteed/mon_groups/c2/tasks");
  is_str(mt, "78\n", "the pid went to the MON group's tasks too");
  struct resctrl_plan twice;
  ok(prepare(&r, "c2", &twice, msg, sizeof msg) < 0 && strstr(msg, "create MON group"),
     "an existing MON group of the id is an error (%s)", msg);
  resctrl_plan_release(&twice);
  kernel_files_go("guaranteed/mon_groups/c2");
  ok(resctrl_remove(&plan, root, &err) == 0 && !exists("guaranteed/mon_groups/c2") && exists("guaranteed"),
     "delete removes the MON group, not the closID group");
  resctrl_plan_release(&plan);

  r = (ocispec_intel_rdt) { .clos_id = "guaranteed", .mem_bw_schema = "MB:0=30" };
  ok(prepare(&r, "c2", &plan, msg, sizeof msg) < 0 && strstr(msg, "does not have \"MB:0=30\""),
     "a mismatch with the existing group is an error (%s)", msg);
  resctrl_plan_release(&plan);

  r = (ocispec_intel_rdt) { .clos_id = "nosuch" };
  ok(prepare(&r, "c2", &plan, msg, sizeof msg) < 0 && strstr(msg, "no group \"nosuch\""),
     "a missing closID group without schemata is an error (%s)", msg);
  ok(!exists("nosuch"), "and nothing was made");
  resctrl_plan_release(&plan);

  static char *lines[] = { "L3:0=f" };
  r = (ocispec_intel_rdt) { .clos_id = "fresh", .schemata = lines, .schemata_len = 1 };
  ok(prepare(&r, "c2", &plan, msg, sizeof msg) == 0 && exists("fresh"), "a missing closID group with schemata is made");
  _cleanup_free_ char *fresh = get("fresh/schemata");
  is_str(fresh, "L3:0=f\n", "with the schemata");
  ok(resctrl_remove(&plan, root, &err) == 0 && exists("fresh"), "and stays at delete (closID)");
  resctrl_plan_release(&plan);

  r = (ocispec_intel_rdt) { .clos_id = "/" };
  ok(prepare(&r, "c3", &plan, msg, sizeof msg) == 0, "closID \"/\": the root group (%s)", msg);
  ok(resctrl_join(&plan, root, 99, &err) == 0, "join the root group");
  _cleanup_free_ char *rt = get("tasks");
  is_str(rt, "99\n", "the pid went to the root's tasks");
  resctrl_plan_release(&plan);
}

static void test_failed_write_reports_kernel_reason(void)
{
  char msg[512];
  struct resctrl_plan plan;
  uoci_error *err = NULL;
  ocispec_intel_rdt r = { 0 };
  ok(prepare(&r, "c4", &plan, msg, sizeof msg) == 0, "an own group without schemata (%s)", msg);
  /* /dev/full stands for the kernel refusing the line (it says why in
   * info/last_cmd_status) */
  _cleanup_free_ char *sch = xasprintf("%s/c4/schemata", root);
  unlink(sch);
  ok(symlink("/dev/full", sch) == 0, "schemata made unwritable");
  put("info/last_cmd_status", "Unknown or unsupported resource name 'L3X'\n");
  ok(resctrl_update(&plan, root, "L3X:0=1", NULL, &err) < 0 && strstr(err->msg, "\"L3X:0=1\"") &&
     strstr(err->msg, "Unknown or unsupported resource name 'L3X'"), "the error carries the kernel's reason (%s)",
     err ? err->msg : "");
  uoci_error_freep(&err);
  put("info/last_cmd_status", "ok\n");
  unlink(sch);
  ok(resctrl_remove(&plan, root, &err) == 0 && !exists("c4"), "removed");
  resctrl_plan_release(&plan);
}

static void test_no_monitoring_host(void)
{
  char msg[512];
  struct resctrl_plan plan;
  _cleanup_free_ char *mon = xasprintf("%s/mon_groups", root);
  rmdir(mon);
  ocispec_intel_rdt r = { .enable_monitoring = true, .has_enable_monitoring = true };
  ok(prepare(&r, "c5", &plan, msg, sizeof msg) < 0 && strstr(msg, "no monitoring on this host"),
     "enableMonitoring without monitoring support is an error (%s)", msg);
  ok(!exists("c5"), "the group made for it is removed again");
  resctrl_plan_release(&plan);
}

int main(void)
{
  lay_out_root();
  test_validation();
  test_own_group();
  test_closid_group();
  test_failed_write_reports_kernel_reason();
  test_no_monitoring_host();
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", root);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", root);
  return done_testing();
}

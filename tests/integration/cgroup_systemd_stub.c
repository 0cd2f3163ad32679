/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_systemd_stub.c - a stand-in for systemd's org.freedesktop.systemd1
 * Manager on a private bus, so that cgroup-systemd-stub.bats can check the
 * D-Bus calls of --systemd-cgroup and the v1/hybrid placement on hosts where
 * systemd is not PID 1. A unit-level check: the real systemd is tested in the
 * systemd guest of tests/vm (cgroup-systemd.bats).
 *
 * It behaves as systemd does where the driver depends on it:
 * StartTransientUnit(ssa(sv)a(sa(sv))): logs the unit and every property,
 * refuses a unit name in use (UnitExists), creates SLICE-PATH/UNIT only in the
 * hierarchies systemd manages (cpu, cpuacct, memory, devices, blkio, pids on
 * v1; the unified tree on v2), moves the PIDs in, returns a job and then
 * signals JobRemoved(.., "done"). StopUnit(ss): logs, kills what is inside,
 * removes those directories, job + JobRemoved; NoSuchUnit for an unknown
 * unit. SetUnitProperties(sba(sv)) logs; ResetFailedUnit(s) answers.
 * Usage: cgroup_systemd_stub LOGFILE (the bus comes from DBUS_SYSTEM_BUS_ADDRESS). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

static FILE *logf;
/* The v1 controllers systemd manages; the driver makes the others itself. */
static const char *v1_hiers[] = { "cpu", "cpuacct", "memory", "devices", "blkio", "pids" };
static const char *v2_hiers[] = { "" };
static const char **hiers;
static size_t nhiers;
static char slice_path[512];

static void expand_slice(const char *slice)
{
  size_t n = strlen(slice) - strlen(".slice");
  slice_path[0] = '\0';
  for (size_t i = 0; i <= n; i++)
    if (i == n || slice[i] == '-') {
      size_t l = strlen(slice_path);
      snprintf(slice_path + l, sizeof slice_path - l, "/%.*s.slice", (int) i, slice);
    }
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
  char p[1200], buf[256] = "";
  snprintf(p, sizeof p, "%s/%s", from_dir, name);
  FILE *f = fopen(p, "r");
  if (f) {
    if (!fgets(buf, sizeof buf, f))
      buf[0] = '\0';
    fclose(f);
  }
  snprintf(p, sizeof p, "%s/%s", to_dir, name);
  if ((f = fopen(p, "w"))) {
    fputs(buf, f);
    fclose(f);
  }
}

static void make_dirs(const char *hier, const char *unit, const unsigned *pids, int npids)
{
  char full[1024], dir[1200];
  snprintf(full, sizeof full, "%s/%s", slice_path, unit);
  for (char *s = full + 1;; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char c = *s;
    *s = '\0';
    snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", hier, full);
    if (mkdir(dir, 0755) == 0 && strcmp(hier, "cpuset") == 0) {
      char parent[1200];
      snprintf(parent, sizeof parent, "%s", dir);
      *strrchr(parent, '/') = '\0';
      copy_file(parent, dir, "cpuset.cpus");
      copy_file(parent, dir, "cpuset.mems");
    }
    *s = c;
    if (c == '\0')
      break;
  }
  for (int k = 0; k < npids; k++) {
    char p[1300];
    snprintf(p, sizeof p, "%s/cgroup.procs", dir);
    FILE *f = fopen(p, "w");
    if (f) {
      fprintf(f, "%u", pids[k]);
      fclose(f);
    }
  }
}

static char units[64][256];
static unsigned job_id;

static bool unit_known(const char *unit)
{
  for (size_t i = 0; i < sizeof units / sizeof *units; i++)
    if (strcmp(units[i], unit) == 0)
      return true;
  return false;
}

static void unit_set(const char *unit, bool known)
{
  for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
    if (known && units[i][0] == '\0') {
      snprintf(units[i], sizeof units[i], "%s", unit);
      return;
    }
    if (!known && strcmp(units[i], unit) == 0)
      units[i][0] = '\0';
  }
}

/* Log an a(sv) property list; the PIDs and the Slice go to the caller. */
static int log_properties(sd_bus_message *m, char *slice, size_t slice_size, unsigned *pids, int *npids)
{
  int r;
  if ((r = sd_bus_message_enter_container(m, 'a', "(sv)")) < 0)
    return r;
  while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
    const char *key, *sig;
    sd_bus_message_read(m, "s", &key);
    sd_bus_message_peek_type(m, NULL, &sig);
    sd_bus_message_enter_container(m, 'v', sig);
    if (strcmp(sig, "s") == 0) {
      const char *v;
      sd_bus_message_read(m, "s", &v);
      fprintf(logf, "%s=%s\n", key, v);
      if (strcmp(key, "Slice") == 0 && slice)
        snprintf(slice, slice_size, "%s", v);
    } else if (strcmp(sig, "b") == 0) {
      int v;
      sd_bus_message_read(m, "b", &v);
      fprintf(logf, "%s=%s\n", key, v ? "yes" : "no");
    } else if (strcmp(sig, "t") == 0) {
      uint64_t v;
      sd_bus_message_read(m, "t", &v);
      fprintf(logf, "%s=%llu\n", key, (unsigned long long) v);
    } else if (strcmp(sig, "au") == 0 && pids) {
      unsigned v;
      sd_bus_message_enter_container(m, 'a', "u");
      while (sd_bus_message_read(m, "u", &v) > 0 && *npids < 16)
        pids[(*npids)++] = v;
      sd_bus_message_exit_container(m);
      fprintf(logf, "%s=%d pid(s)\n", key, *npids);
    } else {
      fprintf(logf, "%s: unexpected type %s\n", key, sig);
      sd_bus_message_skip(m, sig);
    }
    sd_bus_message_exit_container(m);
    sd_bus_message_exit_container(m);
  }
  return sd_bus_message_exit_container(m);
}

/* Answer with a new job's path, then say it is done, as systemd does. */
static int reply_job_done(sd_bus_message *m, const char *unit)
{
  char path[64];
  snprintf(path, sizeof path, "/org/freedesktop/systemd1/job/%u", ++job_id);
  int r = sd_bus_reply_method_return(m, "o", path);
  if (r >= 0)
    r = sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", job_id, path, unit, "done");
  return r;
}

static int start_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *unit, *mode;
  char slice[256] = "system.slice";
  unsigned pids[16];
  int npids = 0, r;
  if ((r = sd_bus_message_read(m, "ss", &unit, &mode)) < 0)
    return r;
  fprintf(logf, "StartTransientUnit %s %s\n", unit, mode);
  if ((r = log_properties(m, slice, sizeof slice, pids, &npids)) < 0)
    return r;
  if ((r = sd_bus_message_enter_container(m, 'a', "(sa(sv))")) < 0)
    return r;
  sd_bus_message_exit_container(m);
  fflush(logf);
  if (unit_known(unit))
    return sd_bus_error_setf(e, "org.freedesktop.systemd1.UnitExists", "Unit %s already exists.", unit);
  unit_set(unit, true);
  expand_slice(slice);
  for (size_t i = 0; i < nhiers; i++)
    make_dirs(hiers[i], unit, pids, npids);
  return reply_job_done(m, unit);
}

static int set_properties(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *unit;
  int runtime, r;
  if ((r = sd_bus_message_read(m, "sb", &unit, &runtime)) < 0)
    return r;
  fprintf(logf, "SetUnitProperties %s %s\n", unit, runtime ? "runtime" : "persistent");
  if ((r = log_properties(m, NULL, 0, NULL, NULL)) < 0)
    return r;
  fflush(logf);
  if (!unit_known(unit))
    return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", unit);
  return sd_bus_reply_method_return(m, "");
}

static int reset_failed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *unit;
  int r;
  if ((r = sd_bus_message_read(m, "s", &unit)) < 0)
    return r;
  fprintf(logf, "ResetFailedUnit %s\n", unit);
  fflush(logf);
  return sd_bus_reply_method_return(m, "");
}

static int stop_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  const char *unit, *mode;
  int r;
  if ((r = sd_bus_message_read(m, "ss", &unit, &mode)) < 0)
    return r;
  fprintf(logf, "StopUnit %s %s\n", unit, mode);
  fflush(logf);
  if (!unit_known(unit))
    return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", unit);
  unit_set(unit, false);
  for (size_t i = 0; i < nhiers; i++) {
    char p[1300];
    snprintf(p, sizeof p, "/sys/fs/cgroup/%s%s/%s/cgroup.procs", hiers[i], slice_path, unit);
    FILE *f = fopen(p, "r");
    int pid;
    if (f) {
      while (fscanf(f, "%d", &pid) == 1)
        kill(pid, SIGKILL);
      fclose(f);
    }
  }
  for (size_t i = 0; i < nhiers; i++) {
    char p[1300], s[512];
    for (int tries = 0; tries < 100; tries++) {
      snprintf(p, sizeof p, "/sys/fs/cgroup/%s%s/%s", hiers[i], slice_path, unit);
      if (rmdir(p) == 0 || errno == ENOENT)
        break;
      usleep(10000);
    }
    snprintf(s, sizeof s, "%s", slice_path);
    while (s[0]) {
      snprintf(p, sizeof p, "/sys/fs/cgroup/%s%s", hiers[i], s);
      rmdir(p);
      *strrchr(s, '/') = '\0';
    }
  }
  return reply_job_done(m, unit);
}

static const sd_bus_vtable manager_vtable[] = {
  SD_BUS_VTABLE_START(0),
  SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", start_unit, 0),
  SD_BUS_METHOD("StopUnit", "ss", "o", stop_unit, 0),
  SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", set_properties, 0),
  SD_BUS_METHOD("ResetFailedUnit", "s", "", reset_failed, 0),
  SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
  SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: %s LOGFILE\n", argv[0]);
    return 2;
  }
  struct statfs sfs;
  int v2 = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == 0x63677270;
  hiers = v2 ? v2_hiers : v1_hiers;
  nhiers = v2 ? 1 : sizeof v1_hiers / sizeof *v1_hiers;
  logf = fopen(argv[1], "a");
  if (logf == NULL)
    return 1;
  sd_bus *bus;
  sd_bus_slot *slot;
  int r = sd_bus_open_system(&bus);
  if (r >= 0)
    r = sd_bus_add_object_vtable(bus, &slot, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                 manager_vtable, NULL);
  if (r >= 0)
    r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
  if (r < 0) {
    fprintf(stderr, "cgroup_systemd_stub: %s\n", strerror(-r));
    return 1;
  }
  fprintf(logf, "ready\n");
  fflush(logf);
  for (;;) {
    r = sd_bus_process(bus, NULL);
    if (r < 0)
      return 1;
    if (r == 0)
      sd_bus_wait(bus, UINT64_MAX);
  }
}

/* cgroup_systemd.c - --systemd-cgroup: linux.cgroupsPath "slice:prefix:name"
 * becomes a transient scope "prefix-name.scope" in "slice", created through
 * systemd's D-Bus API (StartTransientUnit with PIDs, Delegate=yes and the
 * resource properties systemd knows); the rest of linux.resources is then
 * written to the scope's cgroup files like any other cgroup.
 *
 * libsystemd is dlopen()ed here, only for --systemd-cgroup, so the runtime
 * neither links nor loads it on the common path. */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cgroup_internal.h"
#include "utils.h"

/* The few sd-bus types we touch, as libsystemd's stable ABI defines them:
 * no build dependency on libsystemd-dev. */
typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct {
  const char *name;
  const char *message;
  int _need_free;
} sd_bus_error;
#define SD_BUS_ERROR_NULL { NULL, NULL, 0 }

struct sdbus_api {
  void *lib;
  int (*open_system)(sd_bus **);
  int (*new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *, const char *, const char *);
  int (*append)(sd_bus_message *, const char *, ...);
  int (*open_container)(sd_bus_message *, char, const char *);
  int (*close_container)(sd_bus_message *);
  int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
  void (*error_free)(sd_bus_error *);
  sd_bus_message *(*message_unref)(sd_bus_message *);
  sd_bus *(*flush_close_unref)(sd_bus *);
};

static int load_sdbus(struct sdbus_api *api, uoci_error **err)
{
  api->lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (api->lib == NULL)
    return uoci_fail(err, 0, "systemd cgroup manager: cannot load libsystemd.so.0 (install libsystemd0)");
#define SYM(field, name)                                                                    \
  if ((*(void **) &api->field = dlsym(api->lib, name)) == NULL)                             \
    return uoci_fail(err, 0, "systemd cgroup manager: libsystemd.so.0 lacks %s", name)
  SYM(open_system, "sd_bus_open_system");
  SYM(new_method_call, "sd_bus_message_new_method_call");
  SYM(append, "sd_bus_message_append");
  SYM(open_container, "sd_bus_message_open_container");
  SYM(close_container, "sd_bus_message_close_container");
  SYM(call, "sd_bus_call");
  SYM(error_free, "sd_bus_error_free");
  SYM(message_unref, "sd_bus_message_unref");
  SYM(flush_close_unref, "sd_bus_flush_close_unref");
#undef SYM
  return 0;
}

static bool systemd_running(void)
{
  /* sd_booted(): the directory systemd creates when it is PID 1. */
  return access("/run/systemd/system", F_OK) == 0;
}

int cg_systemd_prepare(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err)
{
  const char *why = NULL;
  if (cg_systemd_parse(opts->cgroups_path, opts->id, &cg->slice, &cg->unit, &cg->path, &why) < 0)
    return uoci_fail(err, 0, "systemd cgroup manager: linux.cgroupsPath \"%s\": %s",
                     opts->cgroups_path ? opts->cgroups_path : "", why);
  if (!systemd_running())
    return uoci_fail(err, 0, "systemd cgroup manager: systemd is not running");
  cg->pending = opts->resources;
  /* Where systemd will put the scope is known now: record it, so that the
   * state saved before the scope exists already names every directory. */
  if (cg->mode == CGROUP_MODE_V2)
    cg_add_hier(cg, "/sys/fs/cgroup", cg->path, 0, true);
  else if (cg_v1_discover(cg, cg->path, "", err) < 0)
    return -1;
  for (size_t i = 0; i < cg->nhier; i++)
    cg->hier[i].created = 1; /* ours to stop; systemd removes the dirs */
  return 0;
}

/* Properties systemd understands directly; the rest goes to the files. */
static int append_resource_props(struct sdbus_api *api, sd_bus_message *m, const ocispec_resources *r, bool v2)
{
  int rc = 0;
  if (r == NULL)
    return 0;
  if (r->memory && r->memory->has_limit && r->memory->limit > 0)
    rc = rc < 0 ? rc : api->append(m, "(sv)", "MemoryMax", "t", (uint64_t) r->memory->limit);
  if (r->pids && r->pids->has_limit && r->pids->limit > 0)
    rc = rc < 0 ? rc : api->append(m, "(sv)", "TasksMax", "t", (uint64_t) r->pids->limit);
  if (r->cpu && r->cpu->has_shares && r->cpu->shares) {
    if (v2)
      rc = rc < 0 ? rc : api->append(m, "(sv)", "CPUWeight", "t", cg_shares_to_weight(r->cpu->shares));
    else
      rc = rc < 0 ? rc : api->append(m, "(sv)", "CPUShares", "t", r->cpu->shares);
  }
  if (r->cpu && r->cpu->has_quota && r->cpu->quota > 0) {
    uint64_t period = r->cpu->has_period && r->cpu->period ? r->cpu->period : 100000;
    /* CPUQuotaPerSecUSec, rounded up to 10ms as systemd does. */
    uint64_t per_sec = (uint64_t) r->cpu->quota * 1000000 / period;
    per_sec = (per_sec + 9999) / 10000 * 10000;
    rc = rc < 0 ? rc : api->append(m, "(sv)", "CPUQuotaPerSecUSec", "t", per_sec);
  }
  return rc;
}

static int wait_for_dir(const char *dir)
{
  for (int i = 0; i < 500; i++) {
    if (access(dir, F_OK) == 0)
      return 0;
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
  }
  return -1;
}

/* After StartTransientUnit: wait for systemd to make the directories. */
static int adopt_scope_dirs(uoci_cgroup *cg, uoci_error **err)
{
  if (cg->mode == CGROUP_MODE_V2) {
    struct cg_hier *h = &cg->hier[0];
    if (wait_for_dir(h->dir) < 0)
      return uoci_fail(err, 0, "systemd cgroup manager: %s did not appear", h->dir);
    /* systemd enables the controllers of the accounting properties; the
     * others linux.resources needs (io, hugetlb, rdma...) we enable along
     * the path ourselves, as runc does. */
    return cg_v2_setup_dir(cg, h, cg->pending, err);
  }
  for (size_t i = 0; i < cg->nhier; i++)
    wait_for_dir(cg->hier[i].dir);
  return 0;
}

int cg_systemd_start(uoci_cgroup *cg, pid_t pid, uoci_error **err)
{
  struct sdbus_api api = { 0 };
  if (load_sdbus(&api, err) < 0)
    return -1;
  sd_bus *bus = NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = api.open_system(&bus);
  if (r < 0) {
    uoci_fail(err, -r, "systemd cgroup manager: connect to the system bus");
    goto out;
  }
  r = api.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  if (r >= 0)
    r = api.append(m, "ss", cg->unit, "fail");
  if (r >= 0)
    r = api.open_container(m, 'a', "(sv)");
  if (r >= 0)
    r = api.append(m, "(sv)", "Description", "s", "ulysses-oci container");
  if (r >= 0)
    r = api.append(m, "(sv)", "Slice", "s", cg->slice);
  if (r >= 0)
    r = api.append(m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
  if (r >= 0)
    r = api.append(m, "(sv)", "Delegate", "b", 1);
  if (r >= 0)
    r = api.append(m, "(sv)", "MemoryAccounting", "b", 1);
  if (r >= 0)
    r = api.append(m, "(sv)", "TasksAccounting", "b", 1);
  if (r >= 0)
    r = api.append(m, "(sv)", "CPUAccounting", "b", 1);
  if (r >= 0)
    r = api.append(m, "(sv)", cg->mode == CGROUP_MODE_V2 ? "IOAccounting" : "BlockIOAccounting", "b", 1);
  if (r >= 0)
    r = api.append(m, "(sv)", "DefaultDependencies", "b", 0);
  if (r >= 0)
    r = append_resource_props(&api, m, cg->pending, cg->mode == CGROUP_MODE_V2);
  if (r >= 0)
    r = api.close_container(m);
  if (r >= 0)
    r = api.append(m, "a(sa(sv))", 0);
  if (r < 0) {
    uoci_fail(err, -r, "systemd cgroup manager: build StartTransientUnit");
    goto out;
  }
  r = api.call(bus, m, 0, &e, &reply);
  if (r < 0) {
    uoci_fail(err, 0, "systemd cgroup manager: start %s: %s", cg->unit, e.message ? e.message : strerror(-r));
    goto out;
  }
  r = adopt_scope_dirs(cg, err);
  if (r == 0 && cg->pending)
    r = cg->mode == CGROUP_MODE_V2 ? cg_v2_apply(cg, cg->pending, false, err) : cg_v1_apply(cg, cg->pending, false, err);
  cg->pending = NULL;
out:
  api.error_free(&e);
  if (reply)
    api.message_unref(reply);
  if (m)
    api.message_unref(m);
  if (bus)
    api.flush_close_unref(bus);
  return r < 0 ? -1 : 0;
}

int cg_systemd_stop(uoci_cgroup *cg, uoci_error **err)
{
  if (!systemd_running())
    return 0; /* nothing systemd could still hold */
  struct sdbus_api api = { 0 };
  if (load_sdbus(&api, err) < 0)
    return -1;
  sd_bus *bus = NULL;
  sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = api.open_system(&bus);
  if (r >= 0) {
    sd_bus_message *m = NULL;
    r = api.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                            "org.freedesktop.systemd1.Manager", "StopUnit");
    if (r >= 0)
      r = api.append(m, "ss", cg->unit, "replace");
    if (r >= 0)
      r = api.call(bus, m, 0, &e, &reply);
    if (m)
      api.message_unref(m);
  }
  int rc = 0;
  if (r < 0 && !(e.name && strcmp(e.name, "org.freedesktop.systemd1.NoSuchUnit") == 0))
    rc = uoci_fail(err, 0, "systemd cgroup manager: stop %s: %s", cg->unit, e.message ? e.message : strerror(-r));
  api.error_free(&e);
  if (reply)
    api.message_unref(reply);
  if (bus)
    api.flush_close_unref(bus);
  return rc;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include "cgroup_systemd.h"
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

/* ---- names ------------------------------------------------------------- */

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" */
static int expand_slice(const char *slice, char **out, const char **why)
{
  size_t n = strlen(slice);
  if (n < 6 || strcmp(slice + n - 6, ".slice") != 0 || strchr(slice, '/')) {
    *why = "invalid slice name";
    return -1;
  }
  if (strcmp(slice, "-.slice") == 0) {
    *out = xstrdup("");
    return 0;
  }
  size_t base = n - 6;
  char *path = xcalloc(1, (base + 7) * (base + 2));
  size_t plen = 0;
  for (size_t i = 0; i <= base; i++) {
    if (i == base || slice[i] == '-') {
      if (i == 0 || slice[i - 1] == '-' || (i < base && i + 1 == base)) {
        free(path);
        *why = "invalid slice name";
        return -1;
      }
      plen += (size_t) sprintf(path + plen, "/%.*s.slice", (int) i, slice);
    }
  }
  *out = path;
  return 0;
}

int cg_systemd_parse(const char *spec, const char *id, char **slicep, char **unitp, char **pathp,
                     const char **why)
{
  const char *c1 = spec ? strchr(spec, ':') : NULL;
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (spec && *spec && (!c1 || !c2 || strchr(c2 + 1, ':'))) {
    *why = "expected \"slice:prefix:name\"";
    return -1;
  }
  _cleanup_free_ char *slice = c1 && c1 > spec ? strndup(spec, (size_t) (c1 - spec)) : xstrdup("system.slice");
  _cleanup_free_ char *prefix = c2 && c2 > c1 + 1 ? strndup(c1 + 1, (size_t) (c2 - c1 - 1)) : xstrdup("ulysses-oci");
  const char *name = c2 && c2[1] ? c2 + 1 : id;
  _cleanup_free_ char *unit = NULL;
  size_t nl = strlen(name);
  if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0) {
    *why = "a slice as the container's unit is not supported";
    return -1;
  }
  if (nl > 6 && strcmp(name + nl - 6, ".scope") == 0)
    unit = xstrdup(name);
  else
    unit = xasprintf("%s-%s.scope", prefix, name);
  if (strchr(unit, '/')) {
    *why = "unit name must not contain '/'";
    return -1;
  }
  _cleanup_free_ char *sp = NULL;
  if (expand_slice(slice, &sp, why) < 0)
    return -1;
  *pathp = xasprintf("%s/%s", sp, unit);
  *slicep = steal_ptr(slice);
  *unitp = steal_ptr(unit);
  return 0;
}

static bool systemd_running(void)
{
  /* sd_booted(): the directory systemd creates when it is PID 1. */
  return access("/run/systemd/system", F_OK) == 0;
}

int cg_systemd_prepare(uoci_cgroup *cg, const char *cgroups_path, const char *id, uoci_error **err)
{
  const char *why = NULL;
  if (cg_systemd_parse(cgroups_path, id, &cg->slice, &cg->unit, &cg->path, &why) < 0)
    return uoci_fail(err, 0, "systemd cgroup manager: linux.cgroupsPath \"%s\": %s", cgroups_path ? cgroups_path : "",
                     why);
  if (!systemd_running())
    return uoci_fail(err, 0, "systemd cgroup manager: systemd is not running");
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
    const struct cg_hier *h = &cg->hier[0];
    if (wait_for_dir(h->dir) < 0)
      return uoci_fail(err, 0, "systemd cgroup manager: %s did not appear", h->dir);
    return 0;
  }
  for (size_t i = 0; i < cg->nhier; i++)
    wait_for_dir(cg->hier[i].dir);
  return 0;
}

int cg_systemd_start(uoci_cgroup *cg, pid_t pid, const ocispec_resources *resources, uoci_error **err)
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
    r = append_resource_props(&api, m, resources, cg->mode == CGROUP_MODE_V2);
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

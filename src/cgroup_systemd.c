/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_systemd.c - --systemd-cgroup: linux.cgroupsPath "slice:prefix:name"
 * becomes a transient scope "prefix-name.scope" in "slice", created through
 * systemd's D-Bus API: StartTransientUnit with the pid, Delegate=yes and the
 * resources systemd has a property for, then a wait for the start job to
 * finish (JobRemoved): systemd writes the unit's attributes while it starts
 * the scope, and would overwrite what the facade (cgroup.c) writes to the
 * files afterwards. `update` sends SetUnitProperties as well, so that systemd
 * never undoes a limit when it rewrites a unit's cgroup files
 * (daemon-reload). delete stops the scope (StopUnit, waiting for the job) and
 * resets it if it failed, so its name can be used again. Only D-Bus here:
 * the directories and the files are the facade's.
 *
 * libsystemd is dlopen()ed here, only for --systemd-cgroup, so the runtime
 * neither links nor loads it on the common path; <systemd/sd-bus.h> gives
 * the prototypes (cgroup_systemd_bus.h). */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cgroup_systemd.h"
#include "cgroup_systemd_bus.h"
#include "companion.h"
#include "utils.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_INFINITY UINT64_MAX
/* How long a start or stop job may take; runc waits as long. */
#define SD_JOB_TIMEOUT_USEC (30ULL * 1000000)

/* ---- properties (pure: unit-tested) -------------------------------------- */

/* A property list being appended to a message; the first error wins. */
struct props {
  const struct cg_sdbus *api;
  sd_bus_message *m;
  int r;              /* sd-bus error (negative errno) */
  bool v2;
  unsigned version;   /* systemd's, 0 when unknown */
  uoci_error **err;   /* a value we cannot convert: reported here, r = -EINVAL */
  bool reported;
};

static void prop_u64(struct props *p, const char *name, uint64_t v)
{
  if (p->r >= 0)
    p->r = p->api->sd_bus_message_append(p->m, "(sv)", name, "t", v);
}

static void prop_bool(struct props *p, const char *name, bool v)
{
  if (p->r >= 0)
    p->r = p->api->sd_bus_message_append(p->m, "(sv)", name, "b", (int) v);
}

static void prop_str(struct props *p, const char *name, const char *v)
{
  if (p->r >= 0)
    p->r = p->api->sd_bus_message_append(p->m, "(sv)", name, "s", v);
}

static void bad_value(struct props *p, const char *path, const char *value, const char *why)
{
  if (p->r < 0)
    return;
  uoci_fail(p->err, 0, "linux.resources.%s: invalid value \"%s\" (%s)", path, value, why);
  p->r = -EINVAL;
  p->reported = true;
}

/* AllowedCPUs/AllowedMemoryNodes: the list as a bitmask, byte i bit j = id 8i+j. */
static void prop_mask(struct props *p, const char *name, const char *path, const char *list)
{
  const char *why = NULL;
  if (list == NULL || *list == '\0' || p->r < 0)
    return;
  if (cg_validate_list(list, 65535, &why) < 0)
    { bad_value(p, path, list, why); return; }
  size_t n = (size_t) cg_list_max(list) / 8 + 1;
  _cleanup_free_ uint8_t *mask = xcalloc(n, 1);
  for (const char *s = list; *s;) {
    char *end;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (*end == '-')
      b = strtoul(end + 1, &end, 10);
    for (unsigned long i = a; i <= b; i++)
      mask[i / 8] |= (uint8_t) (1u << (i % 8));
    s = *end == ',' ? end + 1 : end;
  }
  const struct cg_sdbus *api = p->api;
  int r = api->sd_bus_message_open_container(p->m, 'r', "sv");
  if (r >= 0)
    r = api->sd_bus_message_append(p->m, "s", name);
  if (r >= 0)
    r = api->sd_bus_message_open_container(p->m, 'v', "ay");
  if (r >= 0)
    r = api->sd_bus_message_append_array(p->m, 'y', mask, n);
  if (r >= 0)
    r = api->sd_bus_message_close_container(p->m);
  if (r >= 0)
    r = api->sd_bus_message_close_container(p->m);
  p->r = r;
}

static uint64_t limit_or_infinity(int64_t v)
{
  return v < 0 ? SD_INFINITY : (uint64_t) v;
}

/* CPUQuotaPerSecUSec (and CPUQuotaPeriodUSec): systemd writes cpu.max as
 * per_sec * period / 1s, so round per_sec up to get exactly `quota` back. */
static void quota_props(struct props *p, int64_t quota, uint64_t period)
{
  if (period && p->version >= SD_VERSION_CPU_QUOTA_PERIOD)
    prop_u64(p, "CPUQuotaPeriodUSec", period);
  if (quota > 0) {
    unsigned __int128 us = (unsigned __int128) quota * 1000000;
    uint64_t per = period ? period : 100000;
    prop_u64(p, "CPUQuotaPerSecUSec", (uint64_t) ((us + per - 1) / per));
  } else if (quota < 0) {
    prop_u64(p, "CPUQuotaPerSecUSec", SD_INFINITY);
  }
}

static void memory_props(struct props *p, const ocispec_memory *m)
{
  int64_t limit = m->has_limit ? m->limit : 0;
  if (limit != 0)
    prop_u64(p, "MemoryMax", limit_or_infinity(limit));
  if (!p->v2)
    return; /* systemd manages no other memory file on v1 */
  if (m->has_reservation && m->reservation != 0)
    prop_u64(p, "MemoryLow", limit_or_infinity(m->reservation));
  if (m->has_swap || limit == -1) {
    const char *why = NULL;
    int64_t swap = cg_swap_to_v2(m->has_swap ? m->swap : 0, limit, &why);
    if (swap >= 0 || swap == -1)
      prop_u64(p, "MemorySwapMax", limit_or_infinity(swap));
    /* -2 (an invalid pair) is reported by the file writer. */
  }
}

static void cpu_props(struct props *p, const ocispec_cpu *c)
{
  if (c->has_shares && c->shares) {
    if (p->v2)
      prop_u64(p, "CPUWeight", cg_shares_to_weight(c->shares));
    else
      prop_u64(p, "CPUShares", c->shares);
  }
  /* cpu.idle=1 is CPUWeight=0 to systemd (it writes cpu.idle back as 0 otherwise). */
  if (p->v2 && c->has_idle && c->idle == 1 && p->version >= SD_VERSION_CPU_IDLE)
    prop_u64(p, "CPUWeight", 0);
  quota_props(p, c->has_quota ? c->quota : 0, c->has_period ? c->period : 0);
  if (p->v2 && p->version >= SD_VERSION_ALLOWED_CPUS) {
    prop_mask(p, "AllowedCPUs", "cpu.cpus", c->cpus);
    prop_mask(p, "AllowedMemoryNodes", "cpu.mems", c->mems);
  }
}

/* "max" or a decimal number, with blanks around it as the kernel allows. */
static bool parse_max(const char *s, uint64_t *out)
{
  while (*s == ' ' || *s == '\t' || *s == '\n')
    s++;
  const char *end;
  if (strncmp(s, "max", 3) == 0) {
    *out = SD_INFINITY;
    end = s + 3;
  } else {
    if (*s < '0' || *s > '9')
      return false;
    errno = 0;
    char *e;
    *out = strtoull(s, &e, 10);
    if (errno)
      return false;
    end = e;
  }
  while (*end == ' ' || *end == '\t' || *end == '\n')
    end++;
  return *end == '\0';
}

/* linux.resources.unified entries that have a systemd property (v2 only);
 * every entry is also written to its file. */
static void unified_prop(struct props *p, const char *key, const char *value)
{
  static const struct { const char *file, *prop; } memory[] = {
    { "memory.high", "MemoryHigh" }, { "memory.low", "MemoryLow" }, { "memory.min", "MemoryMin" },
    { "memory.max", "MemoryMax" },   { "memory.swap.max", "MemorySwapMax" },
  };
  _cleanup_free_ char *path = xasprintf("unified.%s", key);
  uint64_t v;
  for (size_t i = 0; i < ARRAY_SIZE(memory); i++)
    if (strcmp(key, memory[i].file) == 0) {
      if (!parse_max(value, &v))
        { bad_value(p, path, value, "a number of bytes or \"max\""); return; }
      { prop_u64(p, memory[i].prop, v); return; }
    }
  if (strcmp(key, "pids.max") == 0) {
    if (!parse_max(value, &v))
      { bad_value(p, path, value, "a number or \"max\""); return; }
    { prop_u64(p, "TasksMax", v ? v : 1); return; } /* systemd refuses 0; 1 is as tight */
  }
  if (strcmp(key, "cpu.weight") == 0) {
    if (!parse_max(value, &v) || v < 1 || v > 10000)
      { bad_value(p, path, value, "1-10000"); return; }
    { prop_u64(p, "CPUWeight", v); return; }
  }
  if (strcmp(key, "cpu.idle") == 0) {
    if (parse_max(value, &v) && v == 1 && p->version >= SD_VERSION_CPU_IDLE)
      prop_u64(p, "CPUWeight", 0);
    return;
  }
  if (strcmp(key, "cpu.max") == 0) {
    char quota[32] = "", period[32] = "", extra[2] = "";
    int n = sscanf(value, " %31s %31s %1s", quota, period, extra);
    uint64_t q = 0, per = 0;
    if (n < 1 || n > 2 || !parse_max(quota, &q) || (n == 2 && (!parse_max(period, &per) || per == SD_INFINITY)))
      { bad_value(p, path, value, "\"QUOTA [PERIOD]\", QUOTA a number or \"max\""); return; }
    { quota_props(p, q == SD_INFINITY ? -1 : (int64_t) q, per); return; }
  }
  if (p->version >= SD_VERSION_ALLOWED_CPUS) {
    if (strcmp(key, "cpuset.cpus") == 0)
      prop_mask(p, "AllowedCPUs", path, value);
    else if (strcmp(key, "cpuset.mems") == 0)
      prop_mask(p, "AllowedMemoryNodes", path, value);
  }
}

static void resource_props(struct props *p, const ocispec_resources *r)
{
  if (r == NULL)
    return;
  if (r->memory)
    memory_props(p, r->memory);
  if (r->cpu)
    cpu_props(p, r->cpu);
  if (r->pids && r->pids->has_limit && r->pids->limit != 0)
    prop_u64(p, "TasksMax", limit_or_infinity(r->pids->limit));
  if (r->block_io && r->block_io->has_weight && r->block_io->weight) {
    if (p->v2)
      prop_u64(p, "IOWeight", cg_blkio_weight_to_io_weight(r->block_io->weight));
    else
      prop_u64(p, "BlockIOWeight", r->block_io->weight);
  }
  /* unified last, so that it overrides the converted values, as in the files. */
  for (size_t i = 0; p->v2 && i < r->unified.len; i++)
    unified_prop(p, r->unified.keys[i], r->unified.values[i]);
}

/* ---- annotations org.systemd.property.* (pure: unit-tested) -------------- */

#define SD_PROP_PREFIX "org.systemd.property."

static const struct { const char *word; char type; int64_t min; uint64_t max; } gv_numbers[] = {
  { "byte", 'y', 0, UINT8_MAX },          { "int16", 'n', INT16_MIN, INT16_MAX },
  { "uint16", 'q', 0, UINT16_MAX },       { "int32", 'i', INT32_MIN, INT32_MAX },
  { "uint32", 'u', 0, UINT32_MAX },       { "int64", 'x', INT64_MIN, INT64_MAX },
  { "uint64", 't', 0, UINT64_MAX },       { "double", 'd', 0, 0 },
};

/* A GVariant text string, 'x' or "x", with \-escapes; NULL if not one. */
static char *gv_string(const char *s)
{
  char q = *s;
  if (q != '\'' && q != '"')
    return NULL;
  size_t n = strlen(s);
  _cleanup_free_ char *out = xcalloc(1, n);
  size_t o = 0;
  const char *p = s + 1;
  for (; *p && *p != q; p++) {
    if (*p == '\\') {
      p++;
      switch (*p) {
      case 'n': out[o++] = '\n'; continue;
      case 't': out[o++] = '\t'; continue;
      case '\\': case '\'': case '"': out[o++] = *p; continue;
      default: return NULL; /* \uXXXX and octal are not taken */
      }
    }
    out[o++] = *p;
  }
  if (*p != q || p[1] != '\0')
    return NULL;
  return steal_ptr(out);
}

/* A number of the given type ('i' for an untyped integer, 'd' for one with
 * a point or an exponent): -1 with *why when it is not one or out of range. */
static int gv_number(const char *s, char type, int64_t min, uint64_t max, struct cg_sd_prop *out, const char **why)
{
  char *end;
  errno = 0;
  out->type = type;
  if (type == 'd') {
    out->v.d = strtod(s, &end);
    if (end == s || *end || errno)
      return *why = "not a number", -1;
    return 0;
  }
  if (*s == '-') {
    long long v = strtoll(s, &end, 10);
    if (end == s || *end)
      return *why = "not a number", -1;
    if (errno || v < min)
      return *why = "out of range for its type", -1;
    out->v.i = v;
    return 0;
  }
  if (*s < '0' || *s > '9')
    return *why = "not a number, boolean or quoted string", -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end)
    return *why = "not a number", -1;
  if (errno || v > max)
    return *why = "out of range for its type", -1;
  out->v.u = v;
  return 0;
}

static int gv_parse(const char *value, struct cg_sd_prop *out, const char **why)
{
  while (*value == ' ')
    value++;
  if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0 || strcmp(value, "boolean true") == 0 ||
      strcmp(value, "boolean false") == 0) {
    out->type = 'b';
    out->v.b = strstr(value, "true") != NULL;
    return 0;
  }
  if ((out->s = gv_string(value)) != NULL) {
    out->type = 's';
    return 0;
  }
  if (*value == '\'' || *value == '"')
    return *why = "a string that does not end with its quote, or with an escape we do not take", -1;
  for (size_t i = 0; i < ARRAY_SIZE(gv_numbers); i++) {
    size_t n = strlen(gv_numbers[i].word);
    if (strncmp(value, gv_numbers[i].word, n) == 0 && value[n] == ' ') {
      const char *num = value + n + strspn(value + n, " ");
      return gv_number(num, gv_numbers[i].type, gv_numbers[i].min, gv_numbers[i].max, out, why);
    }
  }
  if (strpbrk(value, ".eE") && strspn(value, "+-0123456789.eE") == strlen(value))
    return gv_number(value, 'd', 0, 0, out, why);
  if (strchr("[(<@{", *value))
    return *why = "arrays, tuples, dictionaries and typed containers are not supported (numbers, booleans, quoted "
                  "strings are)", -1;
  return gv_number(value, 'i', INT32_MIN, INT32_MAX, out, why);
}

int cg_sd_prop_parse(const char *name, const char *value, struct cg_sd_prop *out, const char **why)
{
  *out = (struct cg_sd_prop) { 0 };
  size_t n = strlen(name);
  if (n < 3)
    return *why = "the property name is too short (3 letters at least)", -1;
  if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != n)
    return *why = "the property name must be letters only", -1;
  if (gv_parse(value, out, why) < 0) {
    free(out->s);
    out->s = NULL;
    return -1;
  }
  /* systemd documents TimeoutStopSec= but its D-Bus property is TimeoutStopUSec */
  if (n > 3 && strcmp(name + n - 3, "Sec") == 0 && name[n - 4] >= 'a' && name[n - 4] <= 'z') {
    uint64_t usec;
    bool negative = strchr("nixd", out->type) && (out->type == 'd' ? out->v.d < 0 : out->v.i < 0);
    if (strchr("bs", out->type) || negative) {
      free(out->s);
      out->s = NULL;
      return *why = "NAMESec takes a number of seconds", -1;
    }
    if (out->type == 'd')
      usec = (uint64_t) (out->v.d * 1000000);
    else if (out->v.u > UINT64_MAX / 1000000)
      return *why = "too many seconds", -1;
    else
      usec = out->v.u * 1000000;
    out->name = xasprintf("%.*sUSec", (int) (n - 3), name);
    out->type = 't';
    out->v.u = usec;
    return 0;
  }
  out->name = xstrdup(name);
  return 0;
}

void cg_sd_props_free(struct cg_sd_prop *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(p[i].name);
    free(p[i].annotation);
    free(p[i].s);
  }
  free(p);
}

int cg_sd_props_from_annotations(const ocispec_strmap *a, struct cg_sd_prop **out, size_t *n, uoci_error **err)
{
  *out = NULL;
  *n = 0;
  for (size_t i = 0; a && i < a->len; i++) {
    const char *key = a->keys[i];
    if (strncmp(key, SD_PROP_PREFIX, strlen(SD_PROP_PREFIX)) != 0)
      continue;
    struct cg_sd_prop p;
    const char *why = NULL;
    if (cg_sd_prop_parse(key + strlen(SD_PROP_PREFIX), a->values[i], &p, &why) < 0) {
      cg_sd_props_free(*out, *n);
      *out = NULL;
      *n = 0;
      return uoci_fail(err, 0, "annotations.%s: \"%s\": %s", key, a->values[i], why);
    }
    p.annotation = xstrdup(key);
    *out = xrealloc(*out, (*n + 1) * sizeof **out);
    (*out)[(*n)++] = p;
  }
  return 0;
}

static void annotation_props(struct props *p, const struct cg_sd_prop *a, size_t n)
{
  for (size_t i = 0; i < n && p->r >= 0; i++) {
    const struct cg_sd_prop *x = &a[i];
    char sig[2] = { x->type, '\0' };
    switch (x->type) {
    case 'y': case 'q': case 'u':
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, (unsigned) x->v.u);
      break;
    case 'n': case 'i':
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, (int) x->v.i);
      break;
    case 'x':
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, x->v.i);
      break;
    case 't':
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, x->v.u);
      break;
    case 'd':
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, x->v.d);
      break;
    case 'b':
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, (int) x->v.b);
      break;
    default:
      p->r = p->api->sd_bus_message_append(p->m, "(sv)", x->name, sig, x->s);
    }
  }
}

bool cg_systemd_needs_version(const ocispec_resources *r)
{
  if (r == NULL)
    return false;
  if (r->cpu && ((r->cpu->has_period && r->cpu->period) || (r->cpu->cpus && *r->cpu->cpus) ||
                 (r->cpu->mems && *r->cpu->mems) || r->cpu->has_idle))
    return true;
  for (size_t i = 0; i < r->unified.len; i++)
    if (strcmp(r->unified.keys[i], "cpu.max") == 0 || strcmp(r->unified.keys[i], "cpu.idle") == 0 ||
        strncmp(r->unified.keys[i], "cpuset.", 7) == 0)
      return true;
  return false;
}

/* Ends a message built through `p`: 0, or -1 with *err. */
static int finish_message(struct props *p, const char *method, sd_bus_message **out)
{
  if (p->reported)
    goto fail;
  if (p->r < 0) {
    uoci_fail(p->err, -p->r, "systemd cgroup manager: build %s", method);
    goto fail;
  }
  *out = p->m;
  return 0;
fail:
  if (p->m)
    p->api->sd_bus_message_unref(p->m);
  return -1;
}

int cg_systemd_start_message(const struct cg_sdbus *api, sd_bus *bus, const uoci_cgroup *cg, pid_t pid,
                             const ocispec_resources *r, unsigned version, sd_bus_message **out,
                             uoci_error **err)
{
  bool v2 = cg->mode == CGROUP_MODE_V2;
  struct props p = { .api = api, .v2 = v2, .version = version, .err = err };
  p.r = api->sd_bus_message_new_method_call(bus, &p.m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  if (p.r >= 0)
    p.r = api->sd_bus_message_append(p.m, "ss", cg->unit, "fail");
  if (p.r >= 0)
    p.r = api->sd_bus_message_open_container(p.m, 'a', "(sv)");
  prop_str(&p, "Description", "ulysses-oci container");
  prop_str(&p, "Slice", cg->slice);
  if (p.r >= 0)
    p.r = api->sd_bus_message_append(p.m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
  prop_bool(&p, "Delegate", true);
  /* Accounting on, as runc: the controllers are there from the start. */
  prop_bool(&p, "MemoryAccounting", true);
  prop_bool(&p, "TasksAccounting", true);
  prop_bool(&p, "CPUAccounting", true);
  prop_bool(&p, v2 ? "IOAccounting" : "BlockIOAccounting", true);
  /* No ordering against shutdown.target etc.: the engine manages its lifetime. */
  prop_bool(&p, "DefaultDependencies", false);
  resource_props(&p, r);
  annotation_props(&p, cg->sd_props, cg->n_sd_props); /* last: they may override, as in runc */
  if (p.r >= 0)
    p.r = api->sd_bus_message_close_container(p.m);
  if (p.r >= 0)
    p.r = api->sd_bus_message_append(p.m, "a(sa(sv))", 0);
  return finish_message(&p, "StartTransientUnit", out);
}

int cg_systemd_set_message(const struct cg_sdbus *api, sd_bus *bus, const uoci_cgroup *cg,
                           const ocispec_resources *r, unsigned version, sd_bus_message **out,
                           uoci_error **err)
{
  struct props p = { .api = api, .v2 = cg->mode == CGROUP_MODE_V2, .version = version, .err = err };
  p.r = api->sd_bus_message_new_method_call(bus, &p.m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
  if (p.r >= 0)
    p.r = api->sd_bus_message_append(p.m, "sb", cg->unit, 1); /* runtime: not persisted to /etc */
  if (p.r >= 0)
    p.r = api->sd_bus_message_open_container(p.m, 'a', "(sv)");
  resource_props(&p, r);
  if (p.r >= 0)
    p.r = api->sd_bus_message_close_container(p.m);
  return finish_message(&p, "SetUnitProperties", out);
}

/* ---- the bus --------------------------------------------------------------- */

static int load_sdbus(struct cg_sdbus *api, uoci_error **err)
{
#ifdef UOCI_MUSL
  /* a static musl binary cannot load libsystemd: the glibc build does this */
  return companion_exec_for_bus(err);
#endif
  api->lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (api->lib == NULL)
    return uoci_fail(err, 0, "systemd cgroup manager: cannot load libsystemd.so.0 (install libsystemd0)");
#define CG_SDBUS_LOAD(f)                                                             \
  if ((*(void **) &api->f = dlsym(api->lib, #f)) == NULL)                            \
    return uoci_fail(err, 0, "systemd cgroup manager: libsystemd.so.0 lacks %s", #f);
  CG_SDBUS_FUNCTIONS(CG_SDBUS_LOAD)
#undef CG_SDBUS_LOAD
  return 0;
}

struct sd_conn {
  struct cg_sdbus api;
  sd_bus *bus;
};

static void conn_close(struct sd_conn *c)
{
  if (c->bus)
    c->api.sd_bus_flush_close_unref(c->bus);
  c->bus = NULL;
}
#define _cleanup_conn_ __attribute__((cleanup(conn_close)))

static int conn_open(struct sd_conn *c, uoci_error **err)
{
  if (load_sdbus(&c->api, err) < 0)
    return -1;
  int r = c->api.sd_bus_open_system(&c->bus);
  if (r < 0)
    return uoci_fail(err, -r, "systemd cgroup manager: connect to the system bus");
  return 0;
}

/* systemd's version ("252.39-1~deb12u2" -> 252), 0 when it does not say. */
static unsigned systemd_version(struct sd_conn *c)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  char *v = NULL;
  unsigned n = 0;
  if (c->api.sd_bus_get_property_string(c->bus, SD_DEST, SD_PATH, SD_MANAGER, "Version", &e, &v) >= 0) {
    const char *s = v;
    while (*s && (*s < '0' || *s > '9'))
      s++; /* "v239" */
    n = (unsigned) strtoul(s, NULL, 10);
  }
  free(v);
  c->api.sd_bus_error_free(&e);
  return n;
}

/* A failed unit stays loaded (and its name taken) until it is reset. */
static void reset_failed(struct sd_conn *c, const char *unit)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  c->api.sd_bus_call_method(c->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", &e, NULL, "s", unit);
  c->api.sd_bus_error_free(&e);
}

struct job_wait {
  const struct cg_sdbus *api;
  char *path;         /* the job's object path, once systemd answered */
  char result[32];    /* "done", "failed", "timeout", ... */
  bool done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  (void) ret_error;
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (w->path && w->api->sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
      strcmp(path, w->path) == 0) {
    snprintf(w->result, sizeof w->result, "%s", result);
    w->done = true;
  }
  return 0;
}

static uint64_t now_usec(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Call `m`, a Manager method that queues a job, and wait until systemd says
 * the job is gone (JobRemoved, subscribed before the call so that it cannot
 * be missed). Returns a negative errno, the method's error in *e; w->path is
 * set once the call itself succeeded, w->result when the job finished. */
static int run_job(struct sd_conn *c, sd_bus_message *m, struct job_wait *w, sd_bus_error *e)
{
  const struct cg_sdbus *api = &c->api;
  sd_bus_slot *slot = NULL;
  sd_bus_message *reply = NULL;
  const char *job = NULL;
  w->api = api;
  int r = api->sd_bus_match_signal(c->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, w);
  if (r >= 0)
    r = api->sd_bus_call(c->bus, m, 0, e, &reply);
  if (r >= 0)
    r = api->sd_bus_message_read(reply, "o", &job);
  if (r >= 0) {
    w->path = xstrdup(job);
    uint64_t deadline = now_usec() + SD_JOB_TIMEOUT_USEC;
    while (!w->done && r >= 0) {
      r = api->sd_bus_process(c->bus, NULL);
      if (r > 0 || w->done)
        continue; /* more may be queued */
      uint64_t now = now_usec();
      if (r >= 0 && now >= deadline)
        r = -ETIMEDOUT;
      else if (r >= 0)
        r = api->sd_bus_wait(c->bus, deadline - now);
    }
  }
  if (reply)
    api->sd_bus_message_unref(reply);
  if (slot)
    api->sd_bus_slot_unref(slot);
  return r < 0 ? r : 0;
}

static const char *bus_error_text(const sd_bus_error *e, int r)
{
  return e->message ? e->message : strerror(r < 0 ? -r : r);
}

/* ---- the backend ---------------------------------------------------------- */

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

/* The v1 controllers systemd puts a unit's directory in (it manages no
 * cpuset, freezer, net_cls, perf_event, hugetlb, rdma or misc on v1). */
#define SYSTEMD_V1_CTRLS                                                                              \
  (CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_MEMORY) | CG_BIT(CG_DEVICES) | CG_BIT(CG_BLKIO) | \
   CG_BIT(CG_PIDS))

bool cg_systemd_makes_dir(const struct cg_hier *h)
{
  /* ctrls 0 and not unified: a named hierarchy, systemd's own name=systemd */
  return h->unified || h->ctrls == 0 || (h->ctrls & SYSTEMD_V1_CTRLS) != 0;
}

/* Start the scope; *started once systemd accepted it (then it is ours to stop). */
static int start_scope(uoci_cgroup *cg, pid_t pid, const ocispec_resources *resources, bool *started,
                       uoci_error **err)
{
  _cleanup_conn_ struct sd_conn c = { 0 };
  if (conn_open(&c, err) < 0)
    return -1;
  unsigned version = cg_systemd_needs_version(resources) ? systemd_version(&c) : 0;
  struct job_wait w = { 0 };
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r;
  for (int attempt = 0;; attempt++) {
    sd_bus_message *m = NULL;
    if (cg_systemd_start_message(&c.api, c.bus, cg, pid, resources, version, &m, err) < 0)
      return -1;
    r = run_job(&c, m, &w, &e);
    c.api.sd_bus_message_unref(m);
    /* A unit of that name may be a failed leftover (an earlier container's
     * OOM kill): reset it and try once more, as runc does. A live one stays. */
    if (r < 0 && w.path == NULL && attempt == 0 &&
        c.api.sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
      c.api.sd_bus_error_free(&e);
      reset_failed(&c, cg->unit);
      continue;
    }
    break;
  }
  int rc = 0;
  *started = w.path != NULL;
  if (r < 0 && w.path == NULL) {
    const char *text = bus_error_text(&e, r), *from = NULL;
    for (size_t i = 0; i < cg->n_sd_props && from == NULL; i++)
      if (strstr(text, cg->sd_props[i].name))
        from = cg->sd_props[i].annotation;
    if (from)
      rc = uoci_fail(err, 0, "systemd cgroup manager: start %s: %s (annotations.%s)", cg->unit, text, from);
    else
      rc = uoci_fail(err, 0, "systemd cgroup manager: start %s: %s", cg->unit, text);
  } else if (r < 0) {
    rc = uoci_fail(err, -r, "systemd cgroup manager: start %s: waiting for the job", cg->unit);
  } else if (strcmp(w.result, "done") != 0) {
    reset_failed(&c, cg->unit);
    rc = uoci_fail(err, 0, "systemd cgroup manager: start %s: the job ended with \"%s\"", cg->unit, w.result);
  }
  free(w.path);
  c.api.sd_bus_error_free(&e);
  return rc;
}

int cg_systemd_start(uoci_cgroup *cg, pid_t pid, const ocispec_resources *resources, uoci_error **err)
{
  bool started = false;
  int rc = start_scope(cg, pid, resources, &started, err);
  if (!started) {
    /* Whatever has that name (another container's scope) is not ours to stop. */
    free(cg->unit);
    cg->unit = NULL;
  }
  return rc;
}

int cg_systemd_update(uoci_cgroup *cg, const ocispec_resources *r, uoci_error **err)
{
  if (cg->unit == NULL || r == NULL)
    return 0;
  _cleanup_conn_ struct sd_conn c = { 0 };
  if (conn_open(&c, err) < 0)
    return -1;
  unsigned version = cg_systemd_needs_version(r) ? systemd_version(&c) : 0;
  sd_bus_message *m = NULL;
  if (cg_systemd_set_message(&c.api, c.bus, cg, r, version, &m, err) < 0)
    return -1;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int res = c.api.sd_bus_call(c.bus, m, 0, &e, NULL);
  c.api.sd_bus_message_unref(m);
  int rc = 0;
  if (res < 0)
    rc = uoci_fail(err, 0, "systemd cgroup manager: update %s: %s", cg->unit, bus_error_text(&e, res));
  c.api.sd_bus_error_free(&e);
  return rc;
}

int cg_systemd_stop(uoci_cgroup *cg, uoci_error **err)
{
  if (cg->unit == NULL || !systemd_running())
    return 0; /* not ours, or nothing systemd could still hold */
  _cleanup_conn_ struct sd_conn c = { 0 };
  if (conn_open(&c, err) < 0)
    return -1;
  sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  int r = c.api.sd_bus_message_new_method_call(c.bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
  if (r >= 0)
    r = c.api.sd_bus_message_append(m, "ss", cg->unit, "replace");
  if (r >= 0)
    r = run_job(&c, m, &w, &e);
  if (m)
    c.api.sd_bus_message_unref(m);
  bool gone = r < 0 && c.api.sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit");
  int rc = 0;
  if (r < 0 && !gone)
    rc = uoci_fail(err, 0, "systemd cgroup manager: stop %s: %s", cg->unit, bus_error_text(&e, r));
  if (!gone)
    reset_failed(&c, cg->unit); /* e.g. after an OOM kill: the name is free again */
  free(w.path);
  c.api.sd_bus_error_free(&e);
  return rc;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroup_systemd.c - the D-Bus messages of the systemd cgroup backend
 * (--systemd-cgroup): what StartTransientUnit and SetUnitProperties carry
 * for a given linux.resources, cgroup version and systemd version. The
 * messages are built on a bus that is never connected to anything, sealed
 * and read back; nothing here talks to systemd (the systemd guest of
 * tests/vm does, tests/integration/cgroup-systemd.bats). */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cgroup_systemd.h"
#include "cgroup_systemd_bus.h"
#include "tap.h"
#include "utils.h"

static struct cg_sdbus api;
static sd_bus *bus;

static void setup_bus(void)
{
#define CG_SDBUS_LINKED(f) api.f = f;
  CG_SDBUS_FUNCTIONS(CG_SDBUS_LINKED)
#undef CG_SDBUS_LINKED
  /* A bus on one end of a socketpair nobody answers: enough to build messages. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || sd_bus_new(&bus) < 0 ||
      sd_bus_set_fd(bus, sv[0], sv[0]) < 0 || sd_bus_start(bus) < 0) {
    printf("Bail out! cannot set up an sd-bus object\n");
    exit(1);
  }
}

/* The message's header fields and its properties as "Name=value" lines. */
static char *read_back(sd_bus_message *m)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  const char *s1, *s2;
  int b, r;
  if (sd_bus_message_seal(m, 1, 0) < 0 || sd_bus_message_rewind(m, true) < 0)
    fprintf(f, "seal failed\n");
  fprintf(f, "method=%s\n", sd_bus_message_get_member(m));
  if (strcmp(sd_bus_message_get_member(m), "StartTransientUnit") == 0) {
    sd_bus_message_read(m, "ss", &s1, &s2);
    fprintf(f, "unit=%s mode=%s\n", s1, s2);
  } else {
    sd_bus_message_read(m, "sb", &s1, &b);
    fprintf(f, "unit=%s runtime=%d\n", s1, b);
  }
  sd_bus_message_enter_container(m, 'a', "(sv)");
  while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
    const char *key, *sig;
    sd_bus_message_read(m, "s", &key);
    sd_bus_message_peek_type(m, NULL, &sig);
    sd_bus_message_enter_container(m, 'v', sig);
    fprintf(f, "%s=", key);
    if (strcmp(sig, "t") == 0) {
      uint64_t v;
      sd_bus_message_read(m, "t", &v);
      if (v == UINT64_MAX)
        fprintf(f, "infinity");
      else
        fprintf(f, "%" PRIu64, v);
    } else if (strcmp(sig, "i") == 0) {
      int32_t v;
      sd_bus_message_read(m, "i", &v);
      fprintf(f, "i:%" PRId32, v);
    } else if (strcmp(sig, "u") == 0) {
      uint32_t v;
      sd_bus_message_read(m, "u", &v);
      fprintf(f, "u:%" PRIu32, v);
    } else if (strcmp(sig, "d") == 0) {
      double v;
      sd_bus_message_read(m, "d", &v);
      fprintf(f, "d:%g", v);
    } else if (strcmp(sig, "b") == 0) {
      sd_bus_message_read(m, "b", &b);
      fprintf(f, "%s", b ? "yes" : "no");
    } else if (strcmp(sig, "s") == 0) {
      sd_bus_message_read(m, "s", &s1);
      fprintf(f, "%s", s1);
    } else if (strcmp(sig, "au") == 0) {
      uint32_t u;
      sd_bus_message_enter_container(m, 'a', "u");
      while (sd_bus_message_read(m, "u", &u) > 0)
        fprintf(f, "[%" PRIu32 "]", u);
      sd_bus_message_exit_container(m);
    } else if (strcmp(sig, "ay") == 0) {
      const void *p;
      size_t n;
      sd_bus_message_read_array(m, 'y', &p, &n);
      for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", ((const uint8_t *) p)[i]);
    } else {
      fprintf(f, "(type %s)", sig);
      sd_bus_message_skip(m, sig);
    }
    fprintf(f, "\n");
    sd_bus_message_exit_container(m);
    sd_bus_message_exit_container(m);
  }
  sd_bus_message_exit_container(m);
  fclose(f);
  return buf;
}

static bool has_line(const char *text, const char *line)
{
  size_t n = strlen(line);
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

static int count_lines(const char *text, const char *prefix)
{
  int n = 0;
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    n += strncmp(p, prefix, strlen(prefix)) == 0;
  return n;
}

#define has(text, line) ok(has_line(text, line), "%s", line)
#define lacks(text, prefix) ok(count_lines(text, prefix) == 0, "no %s", prefix)

static void free_scope(uoci_cgroup *cg)
{
  free(cg->unit);
  free(cg->slice);
  free(cg);
}

static uoci_cgroup *scope(enum cgroup_mode mode)
{
  uoci_cgroup *cg = xcalloc(1, sizeof *cg);
  cg->mode = mode;
  cg->systemd = true;
  cg->unit = xstrdup("uoci-c1.scope");
  cg->slice = xstrdup("uoci-test.slice");
  return cg;
}

/* start/set: the message's text, or NULL with the error in *msg. */
static char *start_text(enum cgroup_mode mode, const ocispec_resources *r, unsigned version, char **msg)
{
  uoci_cgroup *cg = scope(mode);
  sd_bus_message *m = NULL;
  uoci_error *err = NULL;
  char *text = NULL;
  if (cg_systemd_start_message(&api, bus, cg, 4242, r, version, &m, &err) == 0) {
    text = read_back(m);
    sd_bus_message_unref(m);
  } else if (msg) {
    *msg = xstrdup(err ? err->msg : "(no message)");
  }
  uoci_error_free(err);
  free_scope(cg);
  return text;
}

static char *set_text(enum cgroup_mode mode, const ocispec_resources *r, unsigned version)
{
  uoci_cgroup *cg = scope(mode);
  sd_bus_message *m = NULL;
  uoci_error *err = NULL;
  char *text = NULL;
  if (cg_systemd_set_message(&api, bus, cg, r, version, &m, &err) == 0) {
    text = read_back(m);
    sd_bus_message_unref(m);
  }
  uoci_error_free(err);
  free_scope(cg);
  return text;
}

static void test_scope(void)
{
  char *t = start_text(CGROUP_MODE_V2, NULL, 0, NULL);
  ok(t != NULL, "StartTransientUnit without resources builds");
  has(t, "method=StartTransientUnit");
  has(t, "unit=uoci-c1.scope mode=fail");
  has(t, "Slice=uoci-test.slice");
  has(t, "PIDs=[4242]");
  has(t, "Delegate=yes");
  has(t, "MemoryAccounting=yes");
  has(t, "TasksAccounting=yes");
  has(t, "CPUAccounting=yes");
  has(t, "IOAccounting=yes");
  has(t, "DefaultDependencies=no");
  lacks(t, "MemoryMax=");
  lacks(t, "TasksMax=");
  free(t);
}

static void test_v2_resources(void)
{
  ocispec_memory mem = { .limit = 67108864, .has_limit = true, .reservation = 16777216, .has_reservation = true,
                         .swap = 100663296, .has_swap = true };
  ocispec_cpu cpu = { .shares = 512, .has_shares = true, .quota = 25000, .has_quota = true, .period = 50000,
                      .has_period = true, .cpus = "0-2,9", .mems = "0" };
  ocispec_pids pids = { .limit = 11, .has_limit = true };
  ocispec_block_io bio = { .weight = 500, .has_weight = true };
  ocispec_resources r = { .memory = &mem, .cpu = &cpu, .pids = &pids, .block_io = &bio };
  ok(cg_systemd_needs_version(&r), "a period and a cpuset need systemd's version");

  char *t = start_text(CGROUP_MODE_V2, &r, 252, NULL);
  has(t, "MemoryMax=67108864");
  has(t, "MemoryLow=16777216");
  has(t, "MemorySwapMax=33554432"); /* spec swap counts memory+swap */
  has(t, "TasksMax=11");
  has(t, "CPUWeight=20");           /* runc's shares -> weight */
  has(t, "CPUQuotaPeriodUSec=50000");
  has(t, "CPUQuotaPerSecUSec=500000");
  has(t, "AllowedCPUs=0702");       /* cpus 0,1,2 and 9 */
  has(t, "AllowedMemoryNodes=01");
  has(t, "IOWeight=4950");
  free(t);

  /* An unknown (old) systemd gets no property it may not have. */
  t = start_text(CGROUP_MODE_V2, &r, 0, NULL);
  lacks(t, "CPUQuotaPeriodUSec=");
  lacks(t, "AllowedCPUs=");
  has(t, "CPUQuotaPerSecUSec=500000");
  free(t);
  t = start_text(CGROUP_MODE_V2, &r, 243, NULL);
  has(t, "CPUQuotaPeriodUSec=50000");
  lacks(t, "AllowedCPUs=");
  free(t);
}

static void test_quota(void)
{
  /* systemd writes cpu.max as per_sec * period / 1 s: rounded up, the
   * quota comes back exactly (12345 * 1e6 / 70000 = 176357.14...). */
  ocispec_cpu cpu = { .quota = 12345, .has_quota = true, .period = 70000, .has_period = true };
  ocispec_resources r = { .cpu = &cpu };
  char *t = start_text(CGROUP_MODE_V2, &r, 252, NULL);
  has(t, "CPUQuotaPerSecUSec=176358");
  ok(176358ULL * 70000 / 1000000 == 12345, "and systemd's cpu.max is the quota asked for");
  free(t);
  /* no period: the kernel's default 100 ms */
  ocispec_cpu q = { .quota = 30000, .has_quota = true };
  r.cpu = &q;
  t = start_text(CGROUP_MODE_V2, &r, 0, NULL);
  has(t, "CPUQuotaPerSecUSec=300000");
  lacks(t, "CPUQuotaPeriodUSec=");
  free(t);
}

static void test_unlimited(void)
{
  ocispec_memory mem = { .limit = -1, .has_limit = true };
  ocispec_cpu cpu = { .quota = -1, .has_quota = true };
  ocispec_pids pids = { .limit = -1, .has_limit = true };
  ocispec_resources r = { .memory = &mem, .cpu = &cpu, .pids = &pids };
  char *t = set_text(CGROUP_MODE_V2, &r, 0);
  has(t, "MemoryMax=infinity");
  has(t, "MemorySwapMax=infinity");
  has(t, "TasksMax=infinity");
  has(t, "CPUQuotaPerSecUSec=infinity");
  free(t);
}

static void test_v1(void)
{
  ocispec_memory mem = { .limit = 33554432, .has_limit = true, .reservation = 1048576, .has_reservation = true };
  ocispec_cpu cpu = { .shares = 512, .has_shares = true, .cpus = "0" };
  ocispec_block_io bio = { .weight = 500, .has_weight = true };
  ocispec_resources r = { .memory = &mem, .cpu = &cpu, .block_io = &bio };
  char *t = start_text(CGROUP_MODE_HYBRID, &r, 252, NULL);
  has(t, "BlockIOAccounting=yes");
  lacks(t, "IOAccounting=");
  has(t, "MemoryMax=33554432");
  has(t, "CPUShares=512");
  has(t, "BlockIOWeight=500");
  lacks(t, "MemoryLow=");      /* systemd has no v1 soft limit */
  lacks(t, "AllowedCPUs=");    /* nor a v1 cpuset */
  lacks(t, "CPUWeight=");
  free(t);
}

static void test_unified(void)
{
  ocispec_resources r = { 0 };
  char *keys[] = { "memory.high", "memory.min", "pids.max", "cpu.max", "cpu.weight", "io.max", "memory.swap.max" };
  char *vals[] = { " 50331648\n", "max", "0", "max 20000", "100", "8:0 rbps=1", "max" };
  r.unified.keys = keys;
  r.unified.values = vals;
  r.unified.len = ARRAY_SIZE(keys);
  ok(cg_systemd_needs_version(&r), "unified cpu.max needs the version (its period)");
  char *t = start_text(CGROUP_MODE_V2, &r, 252, NULL);
  has(t, "MemoryHigh=50331648");
  has(t, "MemoryMin=infinity");
  has(t, "TasksMax=1");        /* systemd refuses 0 */
  has(t, "CPUQuotaPeriodUSec=20000");
  has(t, "CPUQuotaPerSecUSec=infinity");
  has(t, "CPUWeight=100");
  has(t, "MemorySwapMax=infinity");
  is_int(count_lines(t, "IO"), 1, "io.max has no property (only IOAccounting is there)");
  free(t);

  /* unified comes last: it overrides the converted value, as in the files */
  ocispec_memory mem = { .limit = 1048576, .has_limit = true };
  char *k2[] = { "memory.max" }, *v2[] = { "2097152" };
  ocispec_resources r2 = { .memory = &mem };
  r2.unified.keys = k2;
  r2.unified.values = v2;
  r2.unified.len = 1;
  t = set_text(CGROUP_MODE_V2, &r2, 0);
  ok(t && strstr(t, "MemoryMax=1048576\nMemoryMax=2097152\n") != NULL, "unified memory.max after memory.limit");
  free(t);
}

static void test_bad_values(void)
{
  static const struct { const char *key, *value, *want; } cases[] = {
    { "memory.high", "not-a-number", "linux.resources.unified.memory.high: invalid value \"not-a-number\"" },
    { "memory.max", "12k", "linux.resources.unified.memory.max: invalid value \"12k\"" },
    { "cpu.weight", "0", "linux.resources.unified.cpu.weight: invalid value \"0\" (1-10000)" },
    { "cpu.max", "1 2 3", "linux.resources.unified.cpu.max: invalid value \"1 2 3\"" },
    { "cpu.max", "max max", "linux.resources.unified.cpu.max: invalid value \"max max\"" },
    { "pids.max", "-5", "linux.resources.unified.pids.max: invalid value \"-5\"" },
    { "cpuset.cpus", "3-1", "linux.resources.unified.cpuset.cpus: invalid value \"3-1\"" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    char *k[] = { (char *) cases[i].key }, *v[] = { (char *) cases[i].value };
    ocispec_resources r = { 0 };
    r.unified.keys = k;
    r.unified.values = v;
    r.unified.len = 1;
    char *msg = NULL;
    char *t = start_text(CGROUP_MODE_V2, &r, 252, &msg);
    ok(t == NULL && msg && strncmp(msg, cases[i].want, strlen(cases[i].want)) == 0,
       "unified %s=\"%s\" refused before systemd is asked", cases[i].key, cases[i].value);
    if (msg && strncmp(msg, cases[i].want, strlen(cases[i].want)) != 0)
      printf("#   got: %s\n", msg);
    free(t);
    free(msg);
  }
  ocispec_cpu cpu = { .cpus = "0-" };
  ocispec_resources r = { .cpu = &cpu };
  char *msg = NULL;
  char *t = start_text(CGROUP_MODE_V2, &r, 252, &msg);
  ok(t == NULL && msg && strstr(msg, "linux.resources.cpu.cpus: invalid value \"0-\"") != NULL,
     "a malformed cpu.cpus is refused with its path");
  free(t);
  free(msg);
}

static void test_update(void)
{
  ocispec_memory mem = { .limit = 67108864, .has_limit = true };
  ocispec_pids pids = { .limit = 22, .has_limit = true };
  ocispec_resources r = { .memory = &mem, .pids = &pids };
  ok(!cg_systemd_needs_version(&r), "memory and pids need no version");
  char *t = set_text(CGROUP_MODE_V2, &r, 0);
  has(t, "method=SetUnitProperties");
  has(t, "unit=uoci-c1.scope runtime=1");
  has(t, "MemoryMax=67108864");
  has(t, "TasksMax=22");
  lacks(t, "Delegate=");
  lacks(t, "PIDs=");
  is_int(count_lines(t, ""), 4, "only what the update sets");
  free(t);
}

/* annotations org.systemd.property.*: runc's forms and refusals */
static void test_annotations(void)
{
  static const struct { const char *name, *value, *prop; char type; uint64_t u; } good[] = {
    { "TimeoutStopUSec", "uint64 123456789", "TimeoutStopUSec", 't', 123456789 },
    { "TimeoutStopSec", "456", "TimeoutStopUSec", 't', 456000000 },
    { "TimeoutStopSec", "byte 234", "TimeoutStopUSec", 't', 234000000 },
    { "TimeoutStopSec", "int16 234", "TimeoutStopUSec", 't', 234000000 },
    { "TimeoutStopSec", "uint32 234", "TimeoutStopUSec", 't', 234000000 },
    { "TimeoutStopSec", "234.789", "TimeoutStopUSec", 't', 234789000 },
    { "FOOSec", "123", "FOOSec", 'i', 123 },   /* no lowercase letter before Sec */
    { "Sec", "123", "Sec", 'i', 123 },
    { "CPUQuotaPerSecUSec", "uint64 5000", "CPUQuotaPerSecUSec", 't', 5000 },
    { "TasksMax", "uint64 7", "TasksMax", 't', 7 },
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    struct cg_sd_prop p;
    const char *why = NULL;
    int r = cg_sd_prop_parse(good[i].name, good[i].value, &p, &why);
    ok(r == 0 && strcmp(p.name, good[i].prop) == 0 && p.type == good[i].type && p.v.u == good[i].u,
       "%s: \"%s\" -> %s %c %" PRIu64, good[i].name, good[i].value, good[i].prop, good[i].type, good[i].u);
    free(p.name);
    free(p.s);
  }
  struct cg_sd_prop p;
  const char *why = NULL;
  ok(cg_sd_prop_parse("CollectMode", "'inactive-or-failed'", &p, &why) == 0 && p.type == 's' &&
     strcmp(p.s, "inactive-or-failed") == 0, "a quoted string");
  free(p.name); free(p.s);
  ok(cg_sd_prop_parse("SendSIGKILL", "false", &p, &why) == 0 && p.type == 'b' && !p.v.b, "a boolean");
  free(p.name);
  ok(cg_sd_prop_parse("Nice", "int32 -5", &p, &why) == 0 && p.type == 'i' && p.v.i == -5, "a negative int32");
  free(p.name);
  static const struct { const char *name, *value; } bad[] = {
    { "TimeoutStopSec", "false" }, { "TimeoutStopSec", "'covfefe'" }, { "TimeoutStopSec", "int32 -1" },
    { "Xo", "1" }, { "Number1", "1" }, { "ValidName", "invalid-value" }, { "ValidName", "4294967296" },
    { "ValidName", "byte 256" }, { "ValidName", "'unterminated" }, { "DeviceAllow", "[('/dev/null', 'rw')]" },
    { "ValidName", "" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    why = NULL;
    ok(cg_sd_prop_parse(bad[i].name, bad[i].value, &p, &why) < 0 && why, "%s=\"%s\" refused: %s", bad[i].name,
       bad[i].value, why ? why : "(accepted)");
  }
  /* the map: other annotations ignored, the first bad one named */
  char *keys[] = { "org.systemd.property.CollectMode", "io.podman.x", "org.systemd.property.TimeoutStopSec" };
  char *vals[] = { "'inactive-or-failed'", "whatever", "5" };
  ocispec_strmap a = { .keys = keys, .values = vals, .len = 3 };
  struct cg_sd_prop *props = NULL;
  size_t n = 0;
  uoci_error *err = NULL;
  ok(cg_sd_props_from_annotations(&a, &props, &n, &err) == 0 && n == 2, "two properties from three annotations");
  uoci_cgroup *cg = scope(CGROUP_MODE_V2);
  cg->sd_props = props;
  cg->n_sd_props = n;
  ocispec_pids pids = { .limit = 11, .has_limit = true };
  ocispec_resources r = { .pids = &pids };
  sd_bus_message *m = NULL;
  char *t = NULL;
  if (cg_systemd_start_message(&api, bus, cg, 4242, &r, 0, &m, &err) == 0) {
    t = read_back(m);
    sd_bus_message_unref(m);
  }
  has(t, "CollectMode=inactive-or-failed");
  has(t, "TimeoutStopUSec=5000000");
  has(t, "TasksMax=11");
  free(t);
  cg_sd_props_free(cg->sd_props, cg->n_sd_props);
  free_scope(cg);
  vals[2] = "soon";
  ok(cg_sd_props_from_annotations(&a, &props, &n, &err) < 0 && props == NULL && n == 0, "a bad value refused");
  is_str(err ? err->msg : "", "annotations.org.systemd.property.TimeoutStopSec: \"soon\": not a number, boolean or "
         "quoted string", "the error names the annotation");
  uoci_error_free(err);
}

int main(void)
{
  setup_bus();
  test_annotations();
  test_scope();
  test_v2_resources();
  test_quota();
  test_unlimited();
  test_v1();
  test_unified();
  test_bad_values();
  test_update();
  /* No flush: nobody answers this socket, and a flush waits for the
   * handshake until sd-bus times out (about 90 s). */
  sd_bus_close(bus);
  sd_bus_unref(bus);
  return done_testing();
}

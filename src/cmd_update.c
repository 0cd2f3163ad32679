/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_update.c - `update [--resources FILE|-] [flags] ID`: change a running
 * container's cgroup limits, as runc does (containerd pipes the resources
 * JSON on stdin with `--resources -`; flags override the file's values). */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cgroup.h"
#include "commands.h"
#include "resctrl.h"
#include "state.h"
#include "utils.h"

/* "512m", "1G", "100kb", "-1", "4096" -> bytes (docker's RAMInBytes units:
 * binary multiples). */
static int parse_bytes(const char *s, int64_t *out)
{
  if (strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0)
    return -1;
  int64_t mult = 1;
  switch (tolower((unsigned char) *end)) {
  case '\0': break;
  case 'b': mult = 1; end++; break;
  case 'k': mult = 1LL << 10; end++; break;
  case 'm': mult = 1LL << 20; end++; break;
  case 'g': mult = 1LL << 30; end++; break;
  case 't': mult = 1LL << 40; end++; break;
  case 'p': mult = 1LL << 50; end++; break;
  default: return -1;
  }
  if (mult > 1 && (tolower((unsigned char) *end) == 'b' || strcasecmp(end, "ib") == 0))
    end += tolower((unsigned char) *end) == 'b' ? 1 : 2;
  /* inf, nan and sizes past int64 are no size (their conversion is undefined:
   * 1e19 became INT64_MIN here) */
  double bytes = v * (double) mult;
  if (*end != '\0' || !(bytes < 0x1p63))
    return -1;
  *out = (int64_t) bytes;
  return 0;
}

static int read_resources(const char *path, ocispec_resources **out, uoci_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_input_file(path, INPUT_MAX_BYTES, &text, &len, err) < 0)
    return uoci_error_prefix(err, "update --resources");
  char *perr = NULL;
  *out = ocispec_parse(&ocispec_resources_type, text, len, strcmp(path, "-") == 0 ? "resources (stdin)" : path, &perr);
  if (*out == NULL) {
    uoci_fail(err, 0, "%s", perr ? perr : "invalid resources");
    free(perr);
    return -1;
  }
  return 0;
}

enum {
  O_RESOURCES = 'r', O_MEMORY = 256, O_MEMORY_SWAP, O_MEMORY_RES, O_KMEM, O_KMEM_TCP, O_CPU_SHARES, O_CPU_QUOTA,
  O_CPU_PERIOD, O_CPU_RT_PERIOD, O_CPU_RT_RUNTIME, O_CPUSET_CPUS, O_CPUSET_MEMS, O_PIDS, O_BLKIO_WEIGHT,
  O_L3_CACHE_SCHEMA, O_MEM_BW_SCHEMA,
};

static int num_arg(const char *name, const char *v, int64_t *out, uoci_error **err)
{
  long long x;
  if (parse_int64(v, &x) < 0)
    return uoci_fail(err, 0, "update: --%s: invalid number \"%s\"", name, v);
  *out = x;
  return 0;
}

/* --l3-cache-schema / --mem-bw-schema: the lines go to the container's
 * resctrl group (linux.intelRdt), as runc does. */
static int update_intel_rdt(struct uoci_state *st, const char *l3, const char *mb, uoci_error **err)
{
  ocispec_config *cfg = state_config(st, err);
  if (cfg == NULL)
    return -1;
  struct resctrl_plan plan;
  _cleanup_free_ char *root = NULL;
  int r = resctrl_plan_from_spec(cfg->linux ? cfg->linux->intel_rdt : NULL, st->id, &plan, err);
  if (r == 0 && !plan.present)
    r = uoci_fail(err, 0, "update: container \"%s\" has no linux.intelRdt: --l3-cache-schema and --mem-bw-schema "
                  "need one", st->id);
  if (r == 0)
    r = resctrl_find_root(&root, err);
  if (r == 0)
    r = resctrl_update(&plan, root, l3, mb, err);
  resctrl_plan_release(&plan);
  ocispec_config_free(cfg);
  return r;
}

/* One resource flag, as given on the command line (applied after the file). */
struct update_flag {
  int opt;
  const char *name, *val;
};

static int set_memory_flag(ocispec_resources *r, const struct update_flag *f, uoci_error **err)
{
  int64_t n = 0;
  if (parse_bytes(f->val, &n) < 0)
    return uoci_fail(err, 0, "update: --%s: invalid size \"%s\"", f->name, f->val);
  if (r->memory == NULL)
    r->memory = xcalloc(1, sizeof *r->memory);
  ocispec_memory *m = r->memory;
  switch (f->opt) {
  case O_MEMORY: m->limit = n, m->has_limit = true; break;
  case O_MEMORY_SWAP: m->swap = n, m->has_swap = true; break;
  case O_MEMORY_RES: m->reservation = n, m->has_reservation = true; break;
  case O_KMEM: m->kernel = n, m->has_kernel = true; break;
  case O_KMEM_TCP: m->kernel_tcp = n, m->has_kernel_tcp = true; break;
  }
  return 0;
}

static int set_cpu_flag(ocispec_resources *r, const struct update_flag *f, uoci_error **err)
{
  if (r->cpu == NULL)
    r->cpu = xcalloc(1, sizeof *r->cpu);
  ocispec_cpu *cp = r->cpu;
  if (f->opt == O_CPUSET_CPUS || f->opt == O_CPUSET_MEMS) {
    char **dst = f->opt == O_CPUSET_CPUS ? &cp->cpus : &cp->mems;
    free(*dst);
    *dst = xstrdup(f->val);
    return 0;
  }
  int64_t n = 0;
  if (num_arg(f->name, f->val, &n, err) < 0)
    return -1;
  bool unsigned_only = f->opt == O_CPU_SHARES || f->opt == O_CPU_PERIOD || f->opt == O_CPU_RT_PERIOD;
  if (unsigned_only && n < 0)
    return uoci_fail(err, 0, "update: --%s: must not be negative", f->name);
  switch (f->opt) {
  case O_CPU_SHARES: cp->shares = (uint64_t) n, cp->has_shares = true; break;
  case O_CPU_QUOTA: cp->quota = n, cp->has_quota = true; break;
  case O_CPU_PERIOD: cp->period = (uint64_t) n, cp->has_period = true; break;
  case O_CPU_RT_PERIOD: cp->realtime_period = (uint64_t) n, cp->has_realtime_period = true; break;
  case O_CPU_RT_RUNTIME: cp->realtime_runtime = n, cp->has_realtime_runtime = true; break;
  }
  return 0;
}

/* A flag's value into the resources, over what the file said. */
static int set_flag(ocispec_resources *r, const struct update_flag *f, uoci_error **err)
{
  int64_t n = 0;
  switch (f->opt) {
  case O_MEMORY: case O_MEMORY_SWAP: case O_MEMORY_RES: case O_KMEM: case O_KMEM_TCP:
    return set_memory_flag(r, f, err);
  case O_PIDS:
    if (num_arg(f->name, f->val, &n, err) < 0)
      return -1;
    if (r->pids == NULL)
      r->pids = xcalloc(1, sizeof *r->pids);
    r->pids->limit = n, r->pids->has_limit = true;
    return 0;
  case O_BLKIO_WEIGHT:
    if (num_arg(f->name, f->val, &n, err) < 0)
      return -1;
    if (n < 0 || n > 1000)
      return uoci_fail(err, 0, "update: --blkio-weight: %s out of range (10-1000)", f->val);
    if (r->block_io == NULL)
      r->block_io = xcalloc(1, sizeof *r->block_io);
    r->block_io->weight = (uint16_t) n, r->block_io->has_weight = true;
    return 0;
  default:
    return set_cpu_flag(r, f, err);
  }
}

/* The new limits to the container's cgroup (and schemata to its resctrl
 * group), once it is known to be one that may change. */
static int update_container(const struct uoci_globals *g, const char *id, const ocispec_resources *r,
                            const char *l3, const char *mb, uoci_error **err)
{
  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  enum container_status s = state_status(&st);
  uoci_cgroup *cg = NULL;
  int ret = -1;
  if (s == STATUS_STOPPED)
    uoci_fail(err, 0, "container \"%s\" is stopped: cannot update its resources", id);
  else if (st.cgroup && cgroup_from_string(st.cgroup, &cg, err) < 0)
    ;
  else if (cg && cgroup_refuse_shared(cg, false, "update", id, err) < 0)
    ; /* new limits would bind every process in that cgroup, the container's or not */
  else if ((l3 || mb) && update_intel_rdt(&st, l3, mb, err) < 0)
    ; /* first: a refused schema leaves the cgroup as it was */
  else if (cg == NULL)
    uoci_fail(err, 0, "container \"%s\" has no cgroup", id);
  else if (cgroup_update(cg, r, err) == 0)
    ret = 0;
  cgroup_free(cg);
  state_release(&st);
  return ret;
}

int cmd_update(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = {
    { "resources", required_argument, 0, O_RESOURCES },
    { "r", required_argument, 0, O_RESOURCES },
    { "memory", required_argument, 0, O_MEMORY },
    { "memory-swap", required_argument, 0, O_MEMORY_SWAP },
    { "memory-reservation", required_argument, 0, O_MEMORY_RES },
    { "kernel-memory", required_argument, 0, O_KMEM },
    { "kernel-memory-tcp", required_argument, 0, O_KMEM_TCP },
    { "cpu-share", required_argument, 0, O_CPU_SHARES },
    { "cpu-shares", required_argument, 0, O_CPU_SHARES },
    { "cpu-quota", required_argument, 0, O_CPU_QUOTA },
    { "cpu-period", required_argument, 0, O_CPU_PERIOD },
    { "cpu-rt-period", required_argument, 0, O_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, 0, O_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, 0, O_CPUSET_CPUS },
    { "cpuset-mems", required_argument, 0, O_CPUSET_MEMS },
    { "pids-limit", required_argument, 0, O_PIDS },
    { "blkio-weight", required_argument, 0, O_BLKIO_WEIGHT },
    { "l3-cache-schema", required_argument, 0, O_L3_CACHE_SCHEMA },
    { "mem-bw-schema", required_argument, 0, O_MEM_BW_SCHEMA },
    { 0, 0, 0, 0 },
  };
  /* Flags are applied after the file: remember them first (each one: a
   * fixed array dropped those past its end without a word). */
  _cleanup_free_ struct update_flag *flags = xcalloc((size_t) argc, sizeof *flags);
  size_t nflags = 0;
  const char *resources_path = NULL, *l3 = NULL, *mb = NULL;
  int c, idx = 0;
  while ((c = getopt_long(argc, argv, "r:", opts, &idx)) != -1) {
    if (c == '?' || c == ':')
      return uoci_fail(err, 0, "update: unknown option or missing value \"%s\"", argv[optind - 1]);
    if (c == O_RESOURCES) {
      resources_path = optarg;
      continue;
    }
    if (c == O_L3_CACHE_SCHEMA || c == O_MEM_BW_SCHEMA) {
      *(c == O_L3_CACHE_SCHEMA ? &l3 : &mb) = optarg;
      continue;
    }
    flags[nflags++] = (struct update_flag) { c, opts[idx].name, optarg };
  }
  const char *id;
  if (expect_id(argc, argv, optind, "update", &id, err) < 0)
    return -1;

  ocispec_resources *r = NULL;
  if (resources_path) {
    if (read_resources(resources_path, &r, err) < 0)
      return -1;
  } else
    r = xcalloc(1, sizeof *r);
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < nflags; i++)
    ret = set_flag(r, &flags[i], err);
  if (ret == 0)
    ret = update_container(g, id, r, l3, mb, err);
  ocispec_resources_free(r);
  return ret;
}

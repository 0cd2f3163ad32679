/* cgroup_internal.h - what the cgroup backends (cgroup.c, cgroup_v1.c,
 * cgroup_v2.c, cgroup_systemd.c, bpf_devices.c) share. Not for other modules. */
#ifndef UOCI_CGROUP_INTERNAL_H
#define UOCI_CGROUP_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include "cgroup.h"

/* Controllers we know; a bit each. The v1 names are also the v2 names except
 * blkio (v2 "io") and the v1-only net_cls/net_prio/cpuacct/freezer/devices. */
enum cg_ctrl {
  CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_DEVICES, CG_FREEZER, CG_BLKIO,
  CG_PIDS, CG_HUGETLB, CG_NET_CLS, CG_NET_PRIO, CG_PERF_EVENT, CG_RDMA, CG_MISC,
  CG_NCTRL
};
#define CG_BIT(c) (1u << (c))
extern const char *const cg_ctrl_names[CG_NCTRL];
int cg_ctrl_from_name(const char *name); /* -1 when unknown */

#define CG_MAX_HIER 20

/* One directory of the container in one hierarchy: a v1 hierarchy (one or
 * more co-mounted controllers), or the unified cgroup2 tree (ctrls == 0 on a
 * hybrid host, where it only mirrors the v1 placement). */
struct cg_hier {
  char *mount;       /* "/sys/fs/cgroup/memory" */
  char *rel;         /* "/ulysses-oci/ID", relative to the mount */
  char *dir;         /* mount + rel */
  unsigned ctrls;    /* CG_BIT()s served by this hierarchy */
  bool unified;      /* the cgroup2 tree */
  int created;       /* trailing components of rel that we made (0: not ours) */
  int join_fd;       /* v1: "tasks"; v2: "cgroup.procs" (O_WRONLY), -1 if closed */
  int dir_fd;        /* unified only: O_DIRECTORY for clone3, -1 otherwise */
};

struct uoci_cgroup {
  enum cgroup_mode mode;
  bool systemd;
  bool self_join;
  bool rootless;
  char *unit;        /* systemd: "prefix-name.scope" */
  char *slice;       /* systemd: "system.slice" */
  char *path;        /* human-readable, e.g. "/ulysses-oci/ID" */
  const ocispec_resources *pending; /* systemd: applied in attach_pid (borrowed) */
  size_t nhier;
  struct cg_hier hier[CG_MAX_HIER];
};

/* ---- pure helpers (unit-tested) -------------------------------------- */
/* Lexically clean an absolute path ("/a//b/../c/" -> "/a/c"); never above "/". */
char *cg_clean_path(const char *p);
/* Resolve linux.cgroupsPath as runc does: absolute -> itself; relative ->
 * joined to `own` (the runtime's own cgroup); NULL/"" -> "/ulysses-oci/ID". */
char *cg_resolve_path(const char *cgroups_path, const char *id, const char *own);
/* runc's cgroup v2 conversions. */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_weight_to_io_weight(uint64_t w);
/* v2 memory.swap.max from spec swap (memory+swap) and limit: the value, -1
 * for "max", -3 to leave it unset, -2 on error (message in *why). */
int64_t cg_swap_to_v2(int64_t swap, int64_t limit, const char **why);
/* Validate a cpuset list ("0-3,7") against the highest allowed id; returns 0
 * or -1 with a reason in *why. max_id < 0 skips the range check. */
int cg_validate_list(const char *list, int max_id, const char **why);
/* Highest id in a list as the kernel prints it ("0-1" -> 1), -1 if empty. */
int cg_list_max(const char *list);
/* Device rule line for v1 devices.allow/deny: "c 1:3 rwm", "a *:* rwm". */
char *cg_device_rule(const ocispec_device_cgroup *d);
/* Major:minor lines for blkio/io: "8:0 1048576". */
char *cg_blkio_line(int64_t major, int64_t minor, uint64_t value);
/* "slice:prefix:name" -> unit "prefix-name.scope", slice "x.slice" and the
 * path "/a.slice/a-b.slice/prefix-name.scope". Returns -1 with *why. */
int cg_systemd_parse(const char *spec, const char *id, char **slice, char **unit, char **path,
                     const char **why);
/* Validate the resources before touching anything (negative limits etc.). */
int cg_validate_resources(const ocispec_resources *r, enum cgroup_mode mode, uoci_error **err);

/* ---- file helpers ----------------------------------------------------- */
int cg_write(const struct cg_hier *h, const char *file, const char *value, uoci_error **err);
int cg_writef(const struct cg_hier *h, const char *file, uoci_error **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read a file of the cgroup; NULL (and errno) when it cannot. */
char *cg_read(const struct cg_hier *h, const char *file);
bool cg_has_file(const struct cg_hier *h, const char *file);
int cg_read_u64(const struct cg_hier *h, const char *file, uint64_t *out); /* "max" -> UINT64_MAX */
/* Value of "key N" in a flat keyed file (memory.stat, cpu.stat, memory.events). */
int cg_keyed_u64(const char *text, const char *key, uint64_t *out);

const struct cg_hier *cg_hier_for(const uoci_cgroup *cg, enum cg_ctrl c);
const struct cg_hier *cg_unified(const uoci_cgroup *cg);

/* Collect pids of a cgroup directory recursively. */
int cg_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap);

char *cg_own_path(const char *ctrl); /* NULL: the unified line "0::" */
int cg_mkdir_hier(struct cg_hier *h, bool rootless, uoci_error **err); /* 1: rootless, skipped */
struct cg_hier *cg_add_hier(uoci_cgroup *cg, const char *mount, const char *rel, unsigned ctrls, bool unified);

int cg_set_cpuset(const struct cg_hier *h, const char *cpus, const char *mems, bool v2, uoci_error **err);
void cg_print_raw(FILE *out, const char *text);  /* flat keyed file -> {"k":n,...} */
void cg_hugetlb_stats(FILE *out, const struct cg_hier *h, bool v2);

/* ---- backends --------------------------------------------------------- */
int cg_v1_discover(uoci_cgroup *cg, const char *cgroups_path, const char *id, uoci_error **err);
int cg_v1_setup_dir(uoci_cgroup *cg, struct cg_hier *h, uoci_error **err);
int cg_v1_apply(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err);
int cg_v1_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err);
int cg_v1_is_frozen(const uoci_cgroup *cg);
int cg_v1_stats(const uoci_cgroup *cg, FILE *out);
int cg_v1_oom_fd(const uoci_cgroup *cg, uoci_error **err);

int cg_v2_setup_dir(uoci_cgroup *cg, struct cg_hier *h, const ocispec_resources *r, uoci_error **err);
int cg_v2_apply(uoci_cgroup *cg, const ocispec_resources *r, bool update, uoci_error **err);
int cg_v2_freeze(uoci_cgroup *cg, bool frozen, uoci_error **err);
int cg_v2_is_frozen(const uoci_cgroup *cg);
int cg_v2_stats(const uoci_cgroup *cg, FILE *out);
int cg_v2_oom_fd(const uoci_cgroup *cg, uoci_error **err);

/* systemd: validate/compute names at create, start the scope at attach. */
int cg_systemd_prepare(uoci_cgroup *cg, const struct cgroup_create_opts *opts, uoci_error **err);
int cg_systemd_start(uoci_cgroup *cg, pid_t pid, uoci_error **err);
int cg_systemd_stop(uoci_cgroup *cg, uoci_error **err);

/* eBPF device filter for cgroup v2: build, load, attach (replacing ours). */
struct bpf_insn;
int cg_bpf_build_devices(const ocispec_device_cgroup *rules, size_t n, struct bpf_insn **out,
                         size_t *len, uoci_error **err);
int cg_bpf_apply_devices(int cgroup_dir_fd, const ocispec_device_cgroup *rules, size_t n,
                         uoci_error **err);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_util.h - what the cgroup facade (cgroup.c) and its backends
 * (cgroup_v1.c, cgroup_v2.c, cgroup_systemd.c) share: the cgroup object and
 * its hierarchies, the controllers, pure conversions and checks, the file
 * helpers, and what more than one backend writes or reports. It calls
 * nothing above it. Not for other modules: they use cgroup.h. */
#ifndef UOCI_CGROUP_UTIL_H
#define UOCI_CGROUP_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

enum cgroup_mode {
  CGROUP_MODE_V1,     /* legacy: only per-controller hierarchies */
  CGROUP_MODE_HYBRID, /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
  CGROUP_MODE_V2,     /* unified */
};

/* Controllers we know; a bit each. The v1 names are also the v2 names except
 * blkio (v2 "io") and the v1-only net_cls/net_prio/cpuacct/freezer/devices. */
enum cg_ctrl {
  CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_DEVICES, CG_FREEZER, CG_BLKIO,
  CG_PIDS, CG_HUGETLB, CG_NET_CLS, CG_NET_PRIO, CG_PERF_EVENT, CG_RDMA, CG_MISC,
  CG_NCTRL
};
#define CG_BIT(c) (1u << (c))
#define CG_ALL ((1u << CG_NCTRL) - 1)
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
  char *join_path;   /* what a child writes "0" to: v1 "tasks", v2 "cgroup.procs" (NULL: none) */
  int dir_fd;        /* unified only: O_DIRECTORY for clone3, -1 otherwise */
};

/* The object behind cgroup.h's opaque uoci_cgroup. */
typedef struct uoci_cgroup uoci_cgroup;
struct uoci_cgroup {
  enum cgroup_mode mode;
  bool systemd;
  bool self_join;
  bool rootless;
  unsigned denied;   /* rootless: CG_BITs of the hierarchies where we had no
                      * permission to create its cgroup (v2: all of them) */
  char *unit;        /* systemd: "prefix-name.scope" */
  char *slice;       /* systemd: "system.slice" */
  char *path;        /* human-readable, e.g. "/ulysses-oci/ID" */
  const ocispec_resources *pending; /* systemd: applied once the scope exists (borrowed) */
  struct cg_sd_prop *sd_props;       /* systemd: annotations org.systemd.property.* (create only) */
  size_t n_sd_props;
  size_t nhier;
  struct cg_hier hier[CG_MAX_HIER];
};

/* ---- pure helpers (unit-tested) -------------------------------------- */
/* Resolve linux.cgroupsPath as runc does: absolute -> itself; relative ->
 * joined to `own` (the runtime's own cgroup); NULL/"" -> "/ulysses-oci/ID". */
char *cg_resolve_path(const char *cgroups_path, const char *id, const char *own);
/* runc's cpu.shares -> cpu.weight (v2, and systemd's CPUWeight). */
uint64_t cg_shares_to_weight(uint64_t shares);
/* runc's blkio weight [10, 1000] -> io.weight [1, 10000] (v2, and systemd's
 * IOWeight); 0 means unset. */
uint64_t cg_blkio_weight_to_io_weight(uint64_t w);
/* v2 memory.swap.max from spec swap (memory+swap) and limit: the value, -1
 * for "max", -3 to leave it unset, -2 on error (message in *why). */
int64_t cg_swap_to_v2(int64_t swap, int64_t limit, const char **why);
/* v2 cpu.max ("max 100000", "20000 100000"): the quota (-1 for max) and
 * the period; -1 when it is not that shape. */
int cg_parse_cpu_max(const char *text, int64_t *quota, uint64_t *period);
/* The fields of r this cgroup mode cannot apply, as warnings (up to max):
 * the spec's fields the kernel dropped. Never silently ignored. */
size_t cg_unapplied(const ocispec_resources *r, enum cgroup_mode mode, const char **out, size_t max);
/* Validate a cpuset list ("0-3,7") against the highest allowed id; returns 0
 * or -1 with a reason in *why. max_id < 0 skips the range check. */
int cg_validate_list(const char *list, int max_id, const char **why);
/* Highest id in a list as the kernel prints it ("0-1" -> 1), -1 if empty. */
int cg_list_max(const char *list);
/* The controllers whose files the resources write (CG_BITs). v2: those to
 * enable, leaving out what its backend ignores (swappiness, kernelTCP...) or
 * refuses itself (net_cls, net_prio, realtime); devices are an eBPF program
 * there, CG_DEVICES on v1. */
unsigned cg_needed_ctrls(const ocispec_resources *r, bool v2);
/* The accesses a device rule's "access" grants or denies, in "rwm" order
 * ("" when none; NULL or "" in the config is "rwm"). Letters other than r,
 * w, m are left out, as runc reads them. */
void cg_device_access(const char *access, char out[4]);
/* The warning for devices[i] whose access has letters that are not
 * accesses (runc's own tests write "rwa"), malloc'd, or NULL. */
char *cg_device_access_note(const ocispec_device_cgroup *d, size_t i);
/* Validate the resources before touching anything (negative limits etc.). */
int cg_validate_resources(const ocispec_resources *r, enum cgroup_mode mode, uoci_error **err);

/* ---- hierarchies -------------------------------------------------------- */
struct cg_hier *cg_add_hier(uoci_cgroup *cg, const char *mount, const char *rel, unsigned ctrls, bool unified);
const struct cg_hier *cg_hier_for(const uoci_cgroup *cg, enum cg_ctrl c);
const struct cg_hier *cg_unified(const uoci_cgroup *cg);
char *cg_own_path(const char *ctrl); /* NULL: the unified line "0::" */
/* How many trailing components of h->dir do not exist (what cg_mkdir_hier would make). */
int cg_count_missing(const struct cg_hier *h);
/* 1: no permission (EPERM, EACCES, EROFS) and skip_denied: nothing made */
int cg_mkdir_hier(struct cg_hier *h, bool skip_denied, uoci_error **err);

/* ---- file helpers ----------------------------------------------------- */
int cg_write(const struct cg_hier *h, const char *file, const char *value, uoci_error **err);
int cg_writef(const struct cg_hier *h, const char *file, uoci_error **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read a file of the cgroup; NULL (and errno) when it cannot. */
char *cg_read(const struct cg_hier *h, const char *file);
/* DIR/FILE into buf (NUL-terminated), for files of a line or two (freezer.state,
 * cgroup.events): no allocation, one read. -1 when it cannot. */
int cg_read_small(const char *dir, const char *file, char *buf, size_t cap);
bool cg_has_file(const struct cg_hier *h, const char *file);
int cg_read_u64(const struct cg_hier *h, const char *file, uint64_t *out); /* "max" -> UINT64_MAX */
uint64_t cg_u64_or0(const struct cg_hier *h, const char *file); /* 0 when h is NULL or unreadable */
/* Value of "key N" in a flat keyed file (memory.stat, cpu.stat, memory.events). */
int cg_keyed_u64(const char *text, const char *key, uint64_t *out);

/* ---- undo: an update is all or nothing ---------------------------------- */
/* Between cg_undo_begin() and cg_undo_rollback()/cg_undo_end(), cg_write
 * keeps what each file it is the first to write held before (one update,
 * one process: the log is the module's own). A failure later in the update
 * (a file the kernel refuses, SetUnitProperties refused by systemd) writes
 * those contents back, newest first. */
void cg_undo_begin(void);
/* Writes the old contents back and ends the log; returns how many files
 * could not be restored (the first one in *first_failed, malloc'd, or NULL). */
size_t cg_undo_rollback(char **first_failed);
void cg_undo_end(void);
/* Pure (unit-tested): in a keyed file (one line per device: io.max,
 * io.weight, rdma.max, blkio.throttle.*...) a write changes the line of its
 * key (the first word) alone, so the writes that restore `old` are its lines
 * plus, for each key written that `old` had no line for, that key's reset
 * ("8:0 rbps=max wbps=max riops=max wiops=max"); for any other file it is
 * `old` itself, its trailing newline cut. NULL-terminated, malloc'd. */
char **cg_undo_writes(const char *file, const char *old, char *const *keys, size_t nkeys);
/* The key a write of `value` to `file` changes, malloc'd; NULL when the
 * file is not keyed or the value names no key ("100" to io.weight). */
char *cg_undo_key(const char *file, const char *value);

/* ---- what more than one backend writes --------------------------------- */
/* update with memory.checkBeforeUpdate: refuse a limit below the current
 * usage (read from usage_file; peak_file only for the message). */
int cg_check_before_update(const struct cg_hier *h, const ocispec_memory *m, bool update, const char *usage_file,
                           const char *peak_file, uoci_error **err);
/* cpuset.cpus and cpuset.mems, checked against the parent's effective sets
 * (v1 and v2 name those files differently). */
int cg_set_cpuset(const struct cg_hier *h, const char *cpus, const char *mems, bool v2, uoci_error **err);
/* hugepageLimits to hugetlb.SIZE.SUFFIX (v1 "limit_in_bytes", v2 "max"). */
int cg_set_hugetlb_limits(const struct cg_hier *h, const ocispec_resources *r, const char *suffix, uoci_error **err);

/* ---- what more than one backend reports ------------------------------- */
void cg_print_raw(FILE *out, const char *text);  /* flat keyed file -> {"k":n,...} */
void cg_hugetlb_stats(FILE *out, const struct cg_hier *h, bool v2);

#endif

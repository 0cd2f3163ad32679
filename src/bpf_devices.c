/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bpf_devices.c - linux.resources.devices on cgroup v2: a
 * BPF_PROG_TYPE_CGROUP_DEVICE program assembled from raw instructions and
 * attached to the container's cgroup with BPF_F_ALLOW_MULTI (so that a
 * parent's program, e.g. systemd's, still applies as well).
 *
 * Semantics follow v1's devices.allow/deny applied in order: start from
 * "everything allowed" (a new v1 cgroup inherits that) and let the last rule
 * that matches decide. The program therefore tests the rules in reverse
 * order and returns the first match's verdict. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "bpf_devices.h"
#include "cgroup_util.h"
#include "utils.h"

/* Instruction builders (struct bpf_insn: code, dst:4, src:4, off, imm). */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  return i;
}
#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src)    insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)    insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm)    insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)    insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, o) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, o, imm)
#define EXIT()               insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue. */
enum { R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5 };

static int access_mask(const char *access)
{
  char rwm[4];
  int m = 0;
  cg_device_access(access, rwm);
  for (const char *a = rwm; *a; a++)
    m |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return m;
}

int cg_bpf_build_devices(const ocispec_device_cgroup *rules, size_t n, struct bpf_insn **out, size_t *len,
                         uoci_error **err)
{
  const int all_access = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  size_t cap = 8 + n * 8, k = 0;
  struct bpf_insn *p = xcalloc(cap, sizeof *p);
  /* ctx: struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } */
  p[k++] = LDX_W(R_TYPE, 1, 0);
  p[k++] = MOV_REG(R_ACCESS, R_TYPE);
  p[k++] = RSH_IMM(R_ACCESS, 16);
  p[k++] = AND_IMM(R_TYPE, 0xffff);
  p[k++] = LDX_W(R_MAJOR, 1, 4);
  p[k++] = LDX_W(R_MINOR, 1, 8);
  bool unconditional = false;
  for (size_t r = n; r-- > 0 && !unconditional;) {
    const ocispec_device_cgroup *d = &rules[r];
    const char *t = d->type && *d->type ? d->type : "a";
    int type = t[0] == 'c' ? BPF_DEVCG_DEV_CHAR : t[0] == 'b' ? BPF_DEVCG_DEV_BLOCK : 0;
    if (t[0] != 'a' && type == 0) {
      free(p);
      return uoci_fail(err, 0, "linux.resources.devices[%zu].type: invalid \"%s\"", r, t);
    }
    int acc = access_mask(d->access);
    if (acc == 0)
      continue; /* matches no access at all */
    size_t start = k, tests[4];
    int nt = 0;
    if (type) {
      tests[nt++] = k;
      p[k++] = JNE_IMM(R_TYPE, type, 0);
    }
    if (acc != all_access) {
      /* Matches only when every requested bit is in the rule's mask. */
      p[k++] = MOV_REG(1, R_ACCESS);
      p[k++] = AND_IMM(1, ~acc & all_access);
      tests[nt++] = k;
      p[k++] = JNE_IMM(1, 0, 0);
    }
    if (d->has_major && d->major >= 0) {
      tests[nt++] = k;
      p[k++] = JNE_IMM(R_MAJOR, (int32_t) d->major, 0);
    }
    if (d->has_minor && d->minor >= 0) {
      tests[nt++] = k;
      p[k++] = JNE_IMM(R_MINOR, (int32_t) d->minor, 0);
    }
    p[k++] = MOV_IMM(0, d->has_allow && d->allow ? 1 : 0);
    p[k++] = EXIT();
    for (int i = 0; i < nt; i++)
      p[tests[i]].off = (int16_t) (k - tests[i] - 1); /* to the next rule */
    unconditional = nt == 0;
    (void) start;
  }
  /* No rule matched: allowed, like a v1 cgroup with no rule written. The
   * verifier rejects unreachable code, hence not after an unconditional one. */
  if (!unconditional) {
    p[k++] = MOV_IMM(0, 1);
    p[k++] = EXIT();
  }
  *out = p;
  *len = k;
  return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
  return (int) syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

/* Ids of the device programs attached to this very cgroup (not inherited). */
static int query_attached(int cgfd, uint32_t *ids, uint32_t *count)
{
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.query.target_fd = (uint32_t) cgfd;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uint64_t) (uintptr_t) ids;
  a.query.prog_cnt = *count;
  if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
    return -1;
  *count = a.query.prog_cnt;
  return 0;
}

int cg_bpf_apply_devices(int cgfd, const ocispec_device_cgroup *rules, size_t n, uoci_error **err)
{
  _cleanup_free_ struct bpf_insn *prog = NULL;
  size_t len = 0;
  if (cg_bpf_build_devices(rules, n, &prog, &len, err) < 0)
    return -1;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t) (uintptr_t) prog;
  a.insn_cnt = (uint32_t) len;
  a.license = (uint64_t) (uintptr_t) "GPL"; /* the project's license (LICENSE) */
  /* No verifier log: it grows with the program and the load fails with
   * ENOSPC once it overflows the buffer (a containerd spec's device list
   * is enough). Only a failed load is redone with the log, to say why. */
  _cleanup_close_ int pfd = sys_bpf(BPF_PROG_LOAD, &a);
  if (pfd < 0) {
    int e = errno;
    char log[4096] = "";
    a.log_buf = (uint64_t) (uintptr_t) log;
    a.log_size = sizeof log;
    a.log_level = 1;
    _cleanup_close_ int again = sys_bpf(BPF_PROG_LOAD, &a);
    log[strcspn(log, "\n")] = '\0';
    return uoci_fail(err, e, "cgroup: load the device eBPF program%s%s%s", log[0] ? " (verifier: " : "",
                     log[0] ? log : "", log[0] ? ")" : "");
  }
  uint32_t old[64], nold = ARRAY_SIZE(old);
  if (query_attached(cgfd, old, &nold) < 0)
    nold = 0;
  memset(&a, 0, sizeof a);
  a.target_fd = (uint32_t) cgfd;
  a.attach_bpf_fd = (uint32_t) pfd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
    return uoci_fail(err, errno, "cgroup: attach the device eBPF program");
  /* Now that the new filter is in place, drop the ones it replaces (update). */
  for (uint32_t i = 0; i < nold; i++) {
    memset(&a, 0, sizeof a);
    a.prog_id = old[i];
    _cleanup_close_ int ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (ofd < 0)
      continue;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t) cgfd;
    a.attach_bpf_fd = (uint32_t) ofd;
    a.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
      return uoci_fail(err, errno, "cgroup: detach the previous device eBPF program");
  }
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp.c - see seccomp.h.
 *
 * linux.seccomp is turned into a libseccomp filter context in the parent,
 * exported as classic BPF into a buffer we own, and the child loads that
 * buffer with the raw seccomp(2) syscall: no libseccomp code (and no
 * allocation) runs between the last setup step and execve. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <seccomp_lib.h> /* libseccomp */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <yajl/yajl_tree.h>
#include "cni/jsondepth.h"
#include "seccomp.h"
#include "utils.h"

/* Flags newer than the build host's kernel headers. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The largest errno/trace message the kernel can carry (SECCOMP_RET_DATA). */
#define SECCOMP_DATA_MAX 0xffffU
/* Syscall arguments a condition can test (seccomp_data.args). */
#define SECCOMP_MAX_ARGS 6

struct uoci_seccomp {
  struct sock_fprog prog; /* prog.filter is malloc'd and owned here */
  unsigned int flags;     /* seccomp(2) SECCOMP_SET_MODE_FILTER flags */
  bool notify;            /* some rule uses SCMP_ACT_NOTIFY */
};

/* ---- name tables ------------------------------------------------------- */

struct named_action {
  const char *name;
  uint32_t value;   /* libseccomp action, errno/msg bits zero */
  bool takes_data;  /* ERRNO and TRACE carry errnoRet in SECCOMP_RET_DATA */
};

static const struct named_action actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

struct named_op {
  const char *name;
  enum scmp_compare op;
};

static const struct named_op operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

struct named_flag {
  const char *name;
  unsigned int value;
};

static const struct named_flag filter_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* Every architecture the runtime spec names; which of them this libseccomp
 * knows is decided at run time (seccomp_arch_resolve_name). */
static const char *const spec_archs[] = {
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

/* Syscalls the child itself makes after installing the filter to hand the
 * listener fd to the parent: a NOTIFY rule on them would block the child
 * before the listener can ever receive the fd (runc refuses "write" too). */
static const char *const notify_forbidden[] = { "write", "sendmsg" };

static int action_from_name(const char *name, const struct named_action **out, uoci_error **err)
{
  for (size_t i = 0; name && i < ARRAY_SIZE(actions); i++)
    if (strcmp(actions[i].name, name) == 0) {
      *out = &actions[i];
      return 0;
    }
  return uoci_fail(err, 0, "seccomp: unknown action \"%s\"", name ? name : "");
}

/* The libseccomp action value, with errnoRet folded in for ERRNO/TRACE
 * (EPERM when absent, as runc and crun do). `what` names the JSON field. */
static int action_value(const char *name, bool has_errno, uint32_t errno_ret, const char *what,
                        uint32_t *value, uoci_error **err)
{
  const struct named_action *a = NULL;
  if (action_from_name(name, &a, err) < 0)
    return -1;
  if (!a->takes_data) {
    if (has_errno)
      return uoci_fail(err, 0, "seccomp: %s is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s",
                       what, name);
    *value = a->value;
    return 0;
  }
  uint32_t data = has_errno ? errno_ret : EPERM;
  if (data > SECCOMP_DATA_MAX)
    return uoci_fail(err, 0, "seccomp: %s %u is out of range (max %u)", what, data, SECCOMP_DATA_MAX);
  *value = a->value | data;
  return 0;
}

static int op_from_name(const char *name, enum scmp_compare *out, uoci_error **err)
{
  for (size_t i = 0; name && i < ARRAY_SIZE(operators); i++)
    if (strcmp(operators[i].name, name) == 0) {
      *out = operators[i].op;
      return 0;
    }
  return uoci_fail(err, 0, "seccomp: unknown operator \"%s\"", name ? name : "");
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64" -> SCMP_ARCH_X86_64; 0 when unknown. */
static uint32_t arch_token(const char *name)
{
  static const char prefix[] = "SCMP_ARCH_";
  char lower[32];
  if (name == NULL || strncmp(name, prefix, sizeof prefix - 1) != 0)
    return 0;
  const char *rest = name + sizeof prefix - 1;
  size_t n = strlen(rest);
  if (n == 0 || n >= sizeof lower)
    return 0;
  for (size_t i = 0; i <= n; i++)
    lower[i] = (char) tolower((unsigned char) rest[i]);
  return seccomp_arch_resolve_name(lower);
}

/* Whether the running kernel accepts a SECCOMP_SET_MODE_FILTER flag: with a
 * NULL program it fails with EFAULT after the flags passed validation and
 * with EINVAL when a flag is unknown. Nothing is installed either way. */
static bool kernel_has_filter_flag(unsigned int flag)
{
  /* WAIT_KILLABLE_RECV alone is EINVAL: it only qualifies a listener. */
  unsigned int probe = flag;
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, NULL) < 0 && errno == EFAULT;
}

static int flags_from_spec(const ocispec_seccomp *cfg, unsigned int *out, uoci_error **err)
{
  unsigned int flags = 0;
  for (size_t i = 0; i < cfg->flags_len; i++) {
    const char *name = cfg->flags[i];
    size_t j = 0;
    while (j < ARRAY_SIZE(filter_flags) && strcmp(filter_flags[j].name, name) != 0)
      j++;
    if (j == ARRAY_SIZE(filter_flags))
      return uoci_fail(err, 0, "seccomp: unknown flag \"%s\"", name);
    if (!kernel_has_filter_flag(filter_flags[j].value))
      return uoci_fail(err, 0, "seccomp: flag \"%s\" is not supported by this kernel", name);
    flags |= filter_flags[j].value;
  }
  *out = flags;
  return 0;
}

/* ---- rules ------------------------------------------------------------- */

static int condition_from_spec(const ocispec_seccomp_arg *a, struct scmp_arg_cmp *out, uoci_error **err)
{
  enum scmp_compare op = SCMP_CMP_EQ;
  if (op_from_name(a->op, &op, err) < 0)
    return -1;
  if (a->index >= SECCOMP_MAX_ARGS)
    return uoci_fail(err, 0, "seccomp: argument index %u is out of range (0-%d)", a->index,
                     SECCOMP_MAX_ARGS - 1);
  /* For MASKED_EQ `value` is the mask and `valueTwo` the expected result. */
  *out = (struct scmp_arg_cmp) { .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two };
  return 0;
}

/* runc's semantics for args: conditions on different argument indexes are
 * AND-ed into one rule; as soon as one index appears more than once, every
 * condition becomes a rule of its own (OR-ed), since a single libseccomp
 * rule cannot test one argument against several values. */
static bool args_share_an_index(const struct scmp_arg_cmp *conds, size_t n)
{
  unsigned seen = 0;
  for (size_t i = 0; i < n; i++) {
    if (seen & (1U << conds[i].arg))
      return true;
    seen |= 1U << conds[i].arg;
  }
  return false;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, int nr,
                    const struct scmp_arg_cmp *conds, size_t n, uoci_error **err)
{
  int r;
  if (n > 0 && args_share_an_index(conds, n)) {
    for (size_t i = 0; i < n; i++)
      if ((r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[i])) < 0)
        return uoci_fail(err, -r, "seccomp: add rule for \"%s\"", name);
    return 0;
  }
  if ((r = seccomp_rule_add_array(ctx, action, nr, (unsigned) n, conds)) < 0)
    return uoci_fail(err, -r, "seccomp: add rule for \"%s\"", name);
  return 0;
}

static bool notify_forbidden_on(const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE(notify_forbidden); i++)
    if (strcmp(notify_forbidden[i], name) == 0)
      return true;
  return false;
}

static int add_syscall_rules(scmp_filter_ctx ctx, const ocispec_syscall *sc, uint32_t default_action,
                             bool *uses_notify, uoci_error **err)
{
  uint32_t action;
  if (action_value(sc->action, sc->has_errno_ret, sc->errno_ret, "errnoRet", &action, err) < 0)
    return -1;

  _cleanup_free_ struct scmp_arg_cmp *conds = xcalloc(sc->args_len ? sc->args_len : 1, sizeof *conds);
  for (size_t i = 0; i < sc->args_len; i++)
    if (condition_from_spec(&sc->args[i], &conds[i], err) < 0)
      return -1;

  /* libseccomp refuses rules that repeat the default action; they change
   * nothing, so runc drops them and so do we (after validating them). */
  if (action == default_action)
    return 0;

  for (size_t i = 0; i < sc->names_len; i++) {
    const char *name = sc->names[i];
    int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
    if (nr == __NR_SCMP_ERROR)
      continue; /* unknown to this libseccomp: skipped, as runc does */
    if (action == SCMP_ACT_NOTIFY) {
      if (notify_forbidden_on(name))
        return uoci_fail(err, 0, "seccomp: SCMP_ACT_NOTIFY cannot be used for the %s syscall (the runtime needs it to "
                         "pass the listener fd)",
                         name);
      *uses_notify = true;
    }
    if (add_rule(ctx, action, name, nr, conds, sc->args_len, err) < 0)
      return -1;
  }
  return 0;
}

static int add_architectures(scmp_filter_ctx ctx, const ocispec_seccomp *cfg, uoci_error **err)
{
  for (size_t i = 0; i < cfg->architectures_len; i++) {
    const char *name = cfg->architectures[i];
    uint32_t arch = arch_token(name);
    if (arch == 0)
      return uoci_fail(err, 0, "seccomp: unknown architecture \"%s\"", name ? name : "");
    int r = seccomp_arch_add(ctx, arch);
    if (r == -EEXIST) /* the native arch is always present */
      continue;
    /* One BPF program reads syscall arguments in one byte order. */
    if (r == -EDOM)
      return uoci_fail(err, 0, "seccomp: architecture \"%s\" cannot share a filter with the native one (different byte order)", name);
    if (r < 0)
      return uoci_fail(err, -r, "seccomp: add architecture \"%s\"", name);
  }
  return 0;
}

/* ---- export ------------------------------------------------------------ */

static void release_ctx(scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release(*ctx);
}

/* libseccomp only exports to an fd: use an anonymous memfd and read the
 * instructions back into a buffer the child can pass straight to the kernel. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, uoci_error **err)
{
  _cleanup_close_ int fd = memfd_create("uoci-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "seccomp: memfd_create");
  int r = seccomp_export_bpf(ctx, fd);
  if (r < 0)
    return uoci_fail(err, -r, "seccomp: export BPF");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return uoci_fail(err, errno, "seccomp: stat exported BPF");
  size_t size = (size_t) st.st_size;
  if (size == 0 || size % sizeof(struct sock_filter) != 0)
    return uoci_fail(err, 0, "seccomp: exported BPF has an odd size (%zu bytes)", size);
  size_t len = size / sizeof(struct sock_filter);
  if (len > BPF_MAXINSNS)
    return uoci_fail(err, 0, "seccomp: filter has %zu instructions, more than the kernel's %d", len,
                     BPF_MAXINSNS);
  _cleanup_free_ struct sock_filter *insns = xmalloc(size);
  if (pread(fd, insns, size, 0) != (ssize_t) size)
    return uoci_fail(err, errno ? errno : EIO, "seccomp: read exported BPF");
  prog->len = (unsigned short) len;
  prog->filter = steal_ptr(insns);
  return 0;
}

/* ---- ENOSYS for syscalls newer than the profile ------------------------- */

/* A profile written before a syscall existed cannot name it, so its default
 * action answers it, typically EPERM; libc takes that as a real refusal
 * instead of falling back to the older call it has (clone3 -> clone,
 * faccessat2 -> faccessat). As runc does, every syscall numbered above the
 * highest one the profile names for an architecture returns ENOSYS, which is
 * what an older kernel would answer. Holes below that number still get the
 * default action. The check is a short stub run before libseccomp's program
 * (which starts by loading the architecture itself). */

#define X32_SYSCALL_BIT 0x40000000U
#define STUB_MAX 64

/* The highest syscall number any rule names on this architecture (0: none). */
static uint32_t highest_named_syscall(const ocispec_seccomp *cfg, uint32_t arch)
{
  uint32_t max = 0;
  for (size_t i = 0; i < cfg->syscalls_len; i++)
    for (size_t j = 0; j < cfg->syscalls[i].names_len; j++) {
      const char *name = cfg->syscalls[i].names[j];
      int nr = name ? seccomp_syscall_resolve_name_arch(arch, name) : __NR_SCMP_ERROR;
      /* negative: unknown, or a pseudo number (socketcall multiplexing on x86) */
      if (nr >= 0 && (uint32_t) nr > max)
        max = (uint32_t) nr;
    }
  return max;
}

/* One AUDIT_ARCH value of the filter and the highest syscall numbers the
 * profile names for it; x86_64 and x32 share AUDIT_ARCH_X86_64 and differ by
 * X32_SYSCALL_BIT in the number. */
struct stub_arch {
  uint32_t audit;
  uint32_t max;      /* 0: no syscall named for the plain ABI */
  uint32_t max_x32;  /* AUDIT_ARCH_X86_64 only */
};

/* The architectures of the filter: the native one and those listed. */
static size_t stub_archs(const ocispec_seccomp *cfg, struct stub_arch *out, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i <= cfg->architectures_len; i++) {
    uint32_t token = i == cfg->architectures_len ? seccomp_arch_native() : arch_token(cfg->architectures[i]);
    if (token == 0)
      continue;
    bool x32 = token == SCMP_ARCH_X32;
    uint32_t audit = x32 ? AUDIT_ARCH_X86_64 : token;
    size_t k = 0;
    while (k < n && out[k].audit != audit)
      k++;
    if (k == n) {
      if (n == cap)
        continue;
      out[n++] = (struct stub_arch) { .audit = audit };
    }
    uint32_t max = highest_named_syscall(cfg, token);
    if (x32)
      out[k].max_x32 = max;
    else
      out[k].max = max;
  }
  return n;
}

/* Instructions whose jump targets are absolute indexes until stub_resolve. */
enum { TO_ENOSYS = -1, TO_FILTER = -2 };
struct stub {
  struct sock_filter insn[STUB_MAX];
  int jt[STUB_MAX], jf[STUB_MAX]; /* absolute target, TO_*, or 0 for "next" */
  size_t n;
};

static size_t stub_emit(struct stub *st, uint16_t code, uint32_t k, int jt, int jf)
{
  size_t i = st->n++;
  st->insn[i] = (struct sock_filter) BPF_STMT(code, k);
  st->jt[i] = jt;
  st->jf[i] = jf;
  return i;
}

/* Turn absolute targets into the relative 8-bit offsets BPF wants: the
 * ENOSYS return is the stub's last instruction, the filter follows it. */
static int stub_resolve(struct stub *st)
{
  size_t enosys = st->n - 1, filter = st->n;
  for (size_t i = 0; i < st->n; i++) {
    if (BPF_CLASS(st->insn[i].code) != BPF_JMP)
      continue;
    int targets[2] = { st->jt[i], st->jf[i] };
    uint32_t off[2];
    for (int t = 0; t < 2; t++) {
      size_t to = targets[t] == TO_ENOSYS ? enosys : targets[t] == TO_FILTER ? filter : (size_t) targets[t];
      if (targets[t] == 0)
        to = i + 1;
      if (to <= i || to - i - 1 > 255)
        return -1;
      off[t] = (uint32_t) (to - i - 1);
    }
    if (BPF_OP(st->insn[i].code) == BPF_JA)
      st->insn[i].k = off[0];
    else {
      st->insn[i].jt = (uint8_t) off[0];
      st->insn[i].jf = (uint8_t) off[1];
    }
  }
  return 0;
}

/* The jump that ends one ABI's check: above max -> ENOSYS, else the filter
 * (max 0: the profile names nothing there, leave it all to the filter). */
static void stub_emit_max_check(struct stub *st, uint32_t max)
{
  if (max == 0)
    stub_emit(st, BPF_JMP | BPF_JA, 0, TO_FILTER, TO_FILTER);
  else
    stub_emit(st, BPF_JMP | BPF_JGT | BPF_K, max, TO_ENOSYS, TO_FILTER);
}

static int build_enosys_stub(const ocispec_seccomp *cfg, struct stub *st)
{
  struct stub_arch archs[8];
  size_t n = stub_archs(cfg, archs, ARRAY_SIZE(archs));
  st->n = 0;
  stub_emit(st, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  for (size_t a = 0; a < n; a++) {
    const struct stub_arch *sa = &archs[a];
    if (sa->max == 0 && sa->max_x32 == 0)
      continue;
    size_t jeq = stub_emit(st, BPF_JMP | BPF_JEQ | BPF_K, sa->audit, 0, 0);
    stub_emit(st, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
    if (sa->audit == AUDIT_ARCH_X86_64) {
      /* x32 calls carry X32_SYSCALL_BIT: checked against the x32 maximum;
       * when the profile has no x32, the filter's bad-arch action decides. */
      size_t jset = stub_emit(st, BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 0);
      stub_emit_max_check(st, sa->max);
      st->jt[jset] = (int) st->n;
      stub_emit_max_check(st, sa->max_x32);
    } else {
      stub_emit_max_check(st, sa->max);
    }
    st->jf[jeq] = (int) st->n; /* another architecture: the next check */
  }
  if (st->n == 1) {
    st->n = 0; /* the profile names no syscall: nothing to compare with */
    return 0;
  }
  stub_emit(st, BPF_JMP | BPF_JA, 0, TO_FILTER, TO_FILTER);
  stub_emit(st, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
  return stub_resolve(st);
}

/* Whether the default action leaves syscalls the profile does not know
 * alone anyway: then ENOSYS would change a working call into a failure. */
static bool default_lets_unknown_through(uint32_t default_action)
{
  return default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG ||
         (default_action & ~SECCOMP_DATA_MAX) == SCMP_ACT_TRACE(0) || default_action == SCMP_ACT_ERRNO(ENOSYS);
}

static int prepend_enosys_stub(const ocispec_seccomp *cfg, uint32_t default_action, struct sock_fprog *prog,
                               uoci_error **err)
{
  if (default_lets_unknown_through(default_action))
    return 0;
  struct stub st;
  if (build_enosys_stub(cfg, &st) < 0)
    return uoci_fail(err, 0, "seccomp: the ENOSYS check for newer syscalls does not fit a BPF jump");
  if (st.n == 0)
    return 0;
  size_t len = st.n + prog->len;
  if (len > BPF_MAXINSNS)
    return uoci_fail(err, 0, "seccomp: filter has %zu instructions, more than the kernel's %d", len, BPF_MAXINSNS);
  struct sock_filter *insns = xmalloc(len * sizeof *insns);
  memcpy(insns, st.insn, st.n * sizeof *insns);
  memcpy(insns + st.n, prog->filter, prog->len * sizeof *insns);
  free(prog->filter);
  prog->filter = insns;
  prog->len = (unsigned short) len;
  return 0;
}

/* ---- public API -------------------------------------------------------- */

int seccomp_compile(const ocispec_seccomp *cfg, uoci_seccomp **out, uoci_error **err)
{
  *out = NULL;
  if (cfg == NULL)
    return 0;

  uint32_t default_action;
  if (action_value(cfg->default_action, cfg->has_default_errno_ret, cfg->default_errno_ret,
                   "defaultErrnoRet", &default_action, err) < 0)
    return -1;
  if (default_action == SCMP_ACT_NOTIFY)
    return uoci_fail(err, 0, "seccomp: SCMP_ACT_NOTIFY cannot be the default action");

  unsigned int flags = 0;
  if (flags_from_spec(cfg, &flags, err) < 0)
    return -1;

  __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == NULL)
    return uoci_fail(err, 0, "seccomp: cannot create a filter with default action %s", cfg->default_action);
  /* A binary tree of syscall numbers instead of a linear list: big profiles
   * (podman's has ~400 names) are checked in a few comparisons. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  if (add_architectures(ctx, cfg, err) < 0)
    return -1;

  /* Every distinct (syscall, rule) pair costs at least one instruction, and
   * libseccomp's time grows with the square of the rules of one syscall
   * (100000 took minutes): refuse what can never load before compiling. */
  size_t pairs = 0;
  for (size_t i = 0; i < cfg->syscalls_len; i++)
    pairs += cfg->syscalls[i].names_len;
  if (pairs > BPF_MAXINSNS)
    return uoci_fail(err, 0, "seccomp: %zu syscall rules (names across linux.seccomp.syscalls), at most %d (the kernel's instructions per filter)",
                     pairs, BPF_MAXINSNS);

  bool uses_notify = false;
  for (size_t i = 0; i < cfg->syscalls_len; i++)
    if (add_syscall_rules(ctx, &cfg->syscalls[i], default_action, &uses_notify, err) < 0)
      return -1;

  if (uses_notify) {
    if (cfg->listener_path == NULL || cfg->listener_path[0] == '\0')
      return uoci_fail(err, 0, "seccomp: SCMP_ACT_NOTIFY is used but linux.seccomp.listenerPath is not set");
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    /* The kernel refuses TSYNC together with NEW_LISTENER unless a failed
     * sync reports ESRCH instead of a thread id. */
    if (flags & SECCOMP_FILTER_FLAG_TSYNC)
      flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    /* WAIT_KILLABLE_RECV only qualifies a listener; without one the kernel
     * rejects it, and it would mean nothing anyway. */
    flags &= ~(unsigned int) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }

  _cleanup_free_ uoci_seccomp *s = xcalloc(1, sizeof *s);
  if (export_bpf(ctx, &s->prog, err) < 0 || prepend_enosys_stub(cfg, default_action, &s->prog, err) < 0) {
    free(s->prog.filter);
    return -1;
  }
  s->flags = flags;
  s->notify = uses_notify;
  *out = steal_ptr(s);
  return 0;
}

int seccomp_install(const uoci_seccomp *s, int *notify_fd)
{
  if (notify_fd)
    *notify_fd = -1;
  if (s == NULL)
    return 0;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &s->prog);
  if (r < 0)
    return -errno;
  if (s->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    if (notify_fd)
      *notify_fd = (int) r;
    else
      close((int) r);
  } else if (r > 0) {
    /* TSYNC without ESRCH: r is the thread that could not be synchronised. */
    return -ESRCH;
  }
  return 0;
}

bool seccomp_wants_notify(const uoci_seccomp *s)
{
  return s && s->notify;
}

const char *seccomp_notifies_one_of(const ocispec_seccomp *cfg, const char *const *names)
{
  for (size_t i = 0; cfg && i < cfg->syscalls_len; i++) {
    const ocispec_syscall *sc = &cfg->syscalls[i];
    if (sc->action == NULL || strcmp(sc->action, "SCMP_ACT_NOTIFY") != 0)
      continue;
    for (size_t j = 0; j < sc->names_len; j++)
      for (const char *const *n = names; sc->names[j] && *n; n++)
        if (strcmp(sc->names[j], *n) == 0)
          return *n;
  }
  return NULL;
}

void seccomp_free(uoci_seccomp *s)
{
  if (s == NULL)
    return;
  free(s->prog.filter);
  free(s);
}

/* ---- notify listener --------------------------------------------------- */

/* JSON string literal (with quotes) for arbitrary text. */
static char *json_quote(const char *s)
{
  size_t n = strlen(s);
  char *out = xmalloc(n * 6 + 3), *p = out;
  *p++ = '"';
  for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
    if (*c == '"' || *c == '\\') {
      *p++ = '\\';
      *p++ = (char) *c;
    } else if (*c < 0x20) {
      p += sprintf(p, "\\u%04x", *c);
    } else {
      *p++ = (char) *c;
    }
  }
  *p++ = '"';
  *p = '\0';
  return out;
}

static void yajl_tree_freep(yajl_val *v)
{
  if (*v)
    yajl_tree_free(*v);
}

/* The container state must be valid JSON (it is embedded as is) and carry
 * the init's pid. Parsed with the CNI documents' depth bound: the tree is
 * freed recursively, one frame per level. */
static int pid_from_state(const char *state_json, long long *pid, uoci_error **err)
{
  char errbuf[256] = "";
  __attribute__((cleanup(yajl_tree_freep))) yajl_val tree = json_tree_parse(state_json, errbuf, sizeof errbuf);
  if (tree == NULL || !YAJL_IS_OBJECT(tree)) {
    errbuf[strcspn(errbuf, "\n")] = '\0';
    return uoci_fail(err, 0, "seccomp: container state is not a JSON object%s%s", errbuf[0] ? ": " : "", errbuf);
  }
  const char *path[] = { "pid", NULL };
  yajl_val v = yajl_tree_get(tree, path, yajl_t_number);
  if (v == NULL || !YAJL_IS_INTEGER(v))
    return uoci_fail(err, 0, "seccomp: container state has no pid");
  *pid = YAJL_GET_INTEGER(v);
  return 0;
}

static int connect_listener(const char *path, uoci_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr.sun_path)
    return uoci_fail(err, ENAMETOOLONG, "seccomp listenerPath %s", path);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return uoci_fail(err, errno, "seccomp: socket");
  /* runc's words: its suite and users look for "failed to connect with seccomp agent" */
  if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return uoci_fail(err, errno, "seccomp listenerPath %s: failed to connect with seccomp agent", path);
  return steal_fd(fd);
}

/* One sendmsg carries the fd and as much of the text as fits; the rest of a
 * large state follows with plain writes on the stream. */
static int send_with_fd(int sock, const char *text, size_t len, int fd, uoci_error **err)
{
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control = { 0 };
  struct iovec iov = { .iov_base = (void *) text, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);

  ssize_t n;
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return uoci_fail(err, errno, "seccomp: send notify fd to listener");
  if ((size_t) n < len && write_all(sock, text + n, len - (size_t) n) < 0)
    return uoci_fail(err, errno, "seccomp: send container state to listener");
  return 0;
}

int seccomp_send_notify_fd(const ocispec_seccomp *cfg, int notify_fd, pid_t pid, const char *state_json,
                           uoci_error **err)
{
  if (cfg == NULL || cfg->listener_path == NULL)
    return uoci_fail(err, 0, "seccomp: no listenerPath to send the notify fd to");
  if (notify_fd < 0)
    return uoci_fail(err, EBADF, "seccomp: notify fd");
  long long init_pid;
  if (pid_from_state(state_json, &init_pid, err) < 0)
    return -1;
  _cleanup_free_ char *metadata = json_quote(cfg->listener_metadata ? cfg->listener_metadata : "");
  /* containerProcessState (config-linux.md): the fds array names, in order,
   * the descriptors passed with SCM_RIGHTS. */
  _cleanup_free_ char *text = xasprintf("{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%lld,"
                                        "\"metadata\":%s,\"state\":%s}",
                                        OCISPEC_VERSION, (long long) pid, metadata, state_json);
  _cleanup_close_ int sock = connect_listener(cfg->listener_path, err);
  if (sock < 0)
    return -1;
  return send_with_fd(sock, text, strlen(text), notify_fd, err);
}

/* ---- features ---------------------------------------------------------- */

const char *const *seccomp_known_actions(size_t *n)
{
  static const char *names[ARRAY_SIZE(actions) + 1];
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
    names[i] = actions[i].name;
  if (n)
    *n = ARRAY_SIZE(actions);
  return names;
}

const char *const *seccomp_known_operators(size_t *n)
{
  static const char *names[ARRAY_SIZE(operators) + 1];
  for (size_t i = 0; i < ARRAY_SIZE(operators); i++)
    names[i] = operators[i].name;
  if (n)
    *n = ARRAY_SIZE(operators);
  return names;
}

const char *const *seccomp_known_archs(size_t *n)
{
  static const char *names[ARRAY_SIZE(spec_archs) + 1];
  size_t k = 0;
  for (size_t i = 0; i < ARRAY_SIZE(spec_archs); i++)
    if (arch_token(spec_archs[i]) != 0)
      names[k++] = spec_archs[i];
  names[k] = NULL;
  if (n)
    *n = k;
  return names;
}

const char *const *seccomp_known_flags(size_t *n)
{
  static const char *names[ARRAY_SIZE(filter_flags) + 1];
  for (size_t i = 0; i < ARRAY_SIZE(filter_flags); i++)
    names[i] = filter_flags[i].name;
  if (n)
    *n = ARRAY_SIZE(filter_flags);
  return names;
}

const char *const *seccomp_supported_flags(size_t *n)
{
  static const char *names[ARRAY_SIZE(filter_flags) + 1];
  size_t k = 0;
  for (size_t i = 0; i < ARRAY_SIZE(filter_flags); i++)
    if (kernel_has_filter_flag(filter_flags[i].value))
      names[k++] = filter_flags[i].name;
  names[k] = NULL;
  if (n)
    *n = k;
  return names;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.c - see caps.h.
 *
 * Names are resolved with libcap in the parent, where an error can still be
 * reported cleanly. The child works on plain 64-bit masks with prctl(2) and
 * capset(2) only. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "caps.h"
#include "utils.h"

/* Enough for every capability a 64-bit mask can hold. */
#define CAPS_MAX 64

static uint64_t cap_bit(int cap) { return UINT64_C(1) << cap; }

/* ---- names ------------------------------------------------------------- */

/* "CAP_SYS_ADMIN" -> CAP_SYS_ADMIN. libcap also takes lower case, "all" and
 * plain numbers; the spec names capabilities "CAP_" + upper case only. */
static int cap_from_spec_name(const char *name, int *out)
{
  if (name == NULL || strncmp(name, "CAP_", 4) != 0 || name[4] == '\0')
    return -1;
  for (const char *c = name; *c; c++)
    if (!(isupper((unsigned char) *c) || isdigit((unsigned char) *c) || *c == '_'))
      return -1;
  cap_value_t value;
  if (cap_from_name(name, &value) < 0 || value < 0 || value >= CAPS_MAX)
    return -1;
  *out = value;
  return 0;
}

static void add_warning(struct caps_plan *plan, char *line)
{
  size_t n = 0;
  while (plan->warnings && plan->warnings[n])
    n++;
  plan->warnings = xrealloc(plan->warnings, (n + 2) * sizeof *plan->warnings);
  plan->warnings[n] = line;
  plan->warnings[n + 1] = NULL;
}

static uint64_t mask_from_names(const char *set, char **names, size_t n, struct caps_plan *plan,
                                uint64_t *wanted)
{
  uint64_t mask = 0;
  for (size_t i = 0; i < n; i++) {
    int cap;
    if (cap_from_spec_name(names[i], &cap) < 0) {
      add_warning(plan, xasprintf("process.capabilities.%s: unknown capability \"%s\" ignored", set,
                                  names[i] ? names[i] : ""));
      continue;
    }
    mask |= cap_bit(cap);
  }
  *wanted |= mask;
  return mask;
}

static uint64_t kernel_caps_mask(void);

/* CAP_SYS_ADMIN, as the spec spells it (libcap gives lower case). */
static void cap_upper_name(int cap, char upper[static 32])
{
  char *name = cap_to_name(cap);
  memset(upper, 0, 32);
  for (size_t i = 0; name && name[i] && i + 1 < 32; i++)
    upper[i] = (char) toupper((unsigned char) name[i]);
  cap_free(name);
}

void caps_plan_from_spec(const ocispec_capabilities *c, uint64_t grantable, struct caps_plan *plan)
{
  *plan = (struct caps_plan) { 0 };
  if (c == NULL)
    return;
  uint64_t wanted = 0;
  plan->bounding = mask_from_names("bounding", c->bounding, c->bounding_len, plan, &wanted);
  plan->effective = mask_from_names("effective", c->effective, c->effective_len, plan, &wanted);
  plan->inheritable = mask_from_names("inheritable", c->inheritable, c->inheritable_len, plan, &wanted);
  plan->permitted = mask_from_names("permitted", c->permitted, c->permitted_len, plan, &wanted);
  plan->ambient = mask_from_names("ambient", c->ambient, c->ambient_len, plan, &wanted);
  uint64_t known = kernel_caps_mask();
  for (int cap = 0; cap < CAPS_MAX; cap++) {
    if (!(wanted & cap_bit(cap)) || (grantable & cap_bit(cap)))
      continue;
    char upper[32];
    cap_upper_name(cap, upper);
    add_warning(plan, xasprintf("process.capabilities: %s ignored: %s", upper,
                                (known & cap_bit(cap)) ? "the runtime cannot grant it (not in its own capability sets)"
                                                       : "not a capability of this kernel"));
  }
  plan->bounding &= grantable;
  plan->effective &= grantable;
  plan->inheritable &= grantable;
  plan->permitted &= grantable;
  plan->ambient &= grantable;
  /* The kernel lets a capability into the ambient set only when it is
   * permitted and inheritable; the others are skipped, said as runc says it. */
  uint64_t unraisable = plan->ambient & ~(plan->permitted & plan->inheritable) & known;
  for (int cap = 0; cap < CAPS_MAX; cap++) {
    if (!(unraisable & cap_bit(cap)))
      continue;
    char upper[32];
    cap_upper_name(cap, upper);
    add_warning(plan, xasprintf("process.capabilities.ambient: can't raise ambient capability %s: not in the %s set, "
                                "ignored",
                                upper, (plan->inheritable & cap_bit(cap)) ? "permitted" : "inheritable"));
  }
  plan->present = true;
}

static bool listed(char **names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcmp(names[i], name) == 0)
      return true;
  return false;
}

bool caps_spec_may_hold(const ocispec_capabilities *c, const char *name)
{
  if (c == NULL)
    return true;
  return listed(c->bounding, c->bounding_len, name) || listed(c->effective, c->effective_len, name) ||
         listed(c->permitted, c->permitted_len, name) || listed(c->inheritable, c->inheritable_len, name) ||
         listed(c->ambient, c->ambient_len, name);
}

bool caps_status_may_hold(const char *status, int cap)
{
  static const char *const keys[] = { "\nCapInh:", "\nCapPrm:", "\nCapEff:", "\nCapBnd:", "\nCapAmb:" };
  uint64_t any = 0;
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    const char *p = strstr(status, keys[i]);
    char *end;
    if (p == NULL)
      return true;
    errno = 0;
    uint64_t v = strtoull(p + strlen(keys[i]), &end, 16);
    if (errno || end == p + strlen(keys[i]))
      return true;
    any |= v;
  }
  return cap >= 0 && cap < 64 && (any & (UINT64_C(1) << cap));
}

bool caps_pid_may_hold(pid_t pid, int cap)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
  _cleanup_free_ char *text = NULL;
  uoci_error *err = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL, &err) < 0) {
    uoci_error_free(err);
    return false;
  }
  return caps_status_may_hold(text, cap);
}

void caps_plan_release(struct caps_plan *plan)
{
  uoci_strv_free(plan->warnings);
  plan->warnings = NULL;
}

/* ---- kernel ------------------------------------------------------------ */

/* The highest capability the running kernel knows. /proc/sys may be gone
 * (or be the container's) by the time the child asks, so fall back to
 * probing the bounding set: PR_CAPBSET_READ fails with EINVAL past the end. */
static int kernel_last_cap_read(void)
{
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) {
    int last = -1;
    int ok = fscanf(f, "%d", &last) == 1;
    fclose(f);
    if (ok && last > 0 && last < CAPS_MAX)
      return last;
  }
  int cap = 0;
  while (cap + 1 < CAPS_MAX && prctl(PR_CAPBSET_READ, (unsigned long) cap + 1, 0, 0, 0) >= 0)
    cap++;
  return cap;
}

/* Asked up to four times per create (twice by the runtime, twice by the
 * init, a fork of it): read once per process image. */
static int kernel_last_cap(void)
{
  static int last = -1;
  if (last < 0)
    last = kernel_last_cap_read();
  return last;
}

static uint64_t kernel_caps_mask(void)
{
  int last = kernel_last_cap();
  return last >= CAPS_MAX - 1 ? ~UINT64_C(0) : cap_bit(last + 1) - 1;
}

uint64_t caps_grantable(bool own_userns)
{
  uint64_t known = kernel_caps_mask();
  if (own_userns)
    return known;
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = { 0 };
  if (capget(&header, data) < 0)
    return 0;
  uint64_t permitted = data[0].permitted | ((uint64_t) data[1].permitted << 32);
  uint64_t bounding = 0;
  for (int cap = 0; cap < CAPS_MAX; cap++)
    if ((known & cap_bit(cap)) && prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0) == 1)
      bounding |= cap_bit(cap);
  return known & permitted & bounding;
}

int caps_prepare_for_setuid(const struct caps_plan *plan, uoci_error **err)
{
  if (!plan->present)
    return 0;
  /* Keep the permitted set when setuid() leaves uid 0; effective is still
   * cleared by the kernel and restored by caps_apply. execve resets it. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return uoci_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
  int last = kernel_last_cap();
  for (int cap = 0; cap <= last; cap++) {
    if (plan->bounding & cap_bit(cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0 && errno != EINVAL)
      return uoci_fail(err, errno, "drop capability %d from the bounding set", cap);
  }
  return 0;
}

static int set_process_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = {
    { .effective = (uint32_t) effective, .permitted = (uint32_t) permitted,
      .inheritable = (uint32_t) inheritable },
    { .effective = (uint32_t) (effective >> 32), .permitted = (uint32_t) (permitted >> 32),
      .inheritable = (uint32_t) (inheritable >> 32) },
  };
  return capset(&header, data);
}

static int raise_ambient(const struct caps_plan *plan, uint64_t known)
{
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return errno == EINVAL ? 0 : -1; /* kernel without ambient capabilities */
  /* The kernel only lets a capability into the ambient set when it is both
   * permitted and inheritable; like runc, others are skipped, not fatal. */
  uint64_t raisable = plan->ambient & plan->permitted & plan->inheritable & known;
  for (int cap = 0; cap < CAPS_MAX; cap++) {
    if (!(raisable & cap_bit(cap)))
      continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) cap, 0, 0) < 0 && errno != EPERM)
      return -1;
  }
  return 0;
}

int caps_apply(const struct caps_plan *plan, uoci_error **err)
{
  if (!plan->present)
    return 0;
  /* Capabilities this kernel does not have cannot be granted: capset would
   * refuse the whole call, so leave them out. */
  uint64_t known = kernel_caps_mask();
  if (set_process_caps(plan->effective & known, plan->permitted & known, plan->inheritable & known) < 0) {
    if (errno == EPERM && (plan->effective & ~plan->permitted))
      return uoci_fail(err, errno, "capset: process.capabilities.effective is not a subset of permitted");
    return uoci_fail(err, errno, "capset");
  }
  if (raise_ambient(plan, known) < 0)
    return uoci_fail(err, errno, "raise ambient capabilities");
  return 0;
}

/* ---- features ---------------------------------------------------------- */

const char *const *caps_known_names(size_t *n)
{
  static char storage[CAPS_MAX][32];
  static const char *names[CAPS_MAX + 1];
  static size_t count;
  if (names[0] == NULL) {
    int last = kernel_last_cap();
    for (int cap = 0; cap <= last && cap < (int) cap_max_bits(); cap++) {
      char *name = cap_to_name(cap);
      if (name == NULL)
        continue;
      /* libcap spells known ones "cap_chown" and unknown ones as a number. */
      if (strncmp(name, "cap_", 4) == 0 && strlen(name) < sizeof storage[0]) {
        for (size_t i = 0; name[i]; i++)
          storage[count][i] = (char) toupper((unsigned char) name[i]);
        names[count] = storage[count];
        count++;
      }
      cap_free(name);
    }
  }
  if (n)
    *n = count;
  return names;
}

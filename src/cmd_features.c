/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_features.c - `features`: what this runtime supports, as the spec's
 * features.md document (containerd reads it). Every list comes from the
 * module that implements it, so it cannot claim more than the code does. */
#include "config.h"
#include <seccomp_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "caps.h"
#include "commands.h"
#include "criu.h"
#include "mempolicy.h"
#include "mountopt.h"
#include "namespaces.h"
#include "seccomp.h"
#include "utils.h"

static char **strv_of(const char *const *names, size_t n, size_t *len)
{
  char **v = xcalloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = xstrdup(names[i]);
  *len = n;
  return v;
}

#define STRV(field, arr) (field = strv_of(arr, ARRAY_SIZE(arr), &field##_len))
#define STRV_FROM(field, fn) do { size_t n_; const char *const *v_ = fn(&n_); field = strv_of(v_, n_, &field##_len); } while (0)

static ocispec_feature_enabled *enabled(bool on)
{
  ocispec_feature_enabled *e = xcalloc(1, sizeof *e);
  e->enabled = on;
  e->has_enabled = true;
  return e;
}


/* The spec's type names this runtime creates and joins. */
static char **namespace_names(size_t *len)
{
  static const char *const spec_names[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
  char **v = xcalloc(ARRAY_SIZE(spec_names) + 1, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; i < ARRAY_SIZE(spec_names); i++)
    if (ns_kind_from_name(spec_names[i]) >= 0)
      v[k++] = xstrdup(spec_names[i]);
  *len = k;
  return v;
}

int cmd_features(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  (void) g;
  if (argc > 1)
    return uoci_fail(err, 0, "features: unexpected argument \"%s\"", argv[1]);
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                       "poststart", "poststop" };

  ocispec_features f = { 0 };
  f.oci_version_min = xstrdup("1.0.0");
  f.oci_version_max = xstrdup(OCISPEC_VERSION);
  STRV(f.hooks, hooks);
  STRV_FROM(f.mount_options, mount_known_options);
  ocispec_features_linux *l = f.linux = xcalloc(1, sizeof *l);
  l->namespaces = namespace_names(&l->namespaces_len);
  STRV_FROM(l->capabilities, caps_known_names);
  l->cgroup = xcalloc(1, sizeof *l->cgroup);
  l->cgroup->v1 = l->cgroup->v2 = l->cgroup->systemd = true;
  l->cgroup->has_v1 = l->cgroup->has_v2 = l->cgroup->has_systemd = true;
  l->cgroup->systemd_user = false;
  l->cgroup->has_systemd_user = true;
  l->cgroup->rdma = true;
  l->cgroup->has_rdma = true;
  ocispec_features_seccomp *s = l->seccomp = xcalloc(1, sizeof *s);
  s->enabled = s->has_enabled = true;
  STRV_FROM(s->actions, seccomp_known_actions);
  STRV_FROM(s->operators, seccomp_known_operators);
  STRV_FROM(s->archs, seccomp_known_archs);
  STRV_FROM(s->known_flags, seccomp_known_flags);
  STRV_FROM(s->supported_flags, seccomp_supported_flags);
  /* features-linux.md: whether the runtime supports the LSM, "irrelevant to
   * the availability ... on the host". lsm.c applies both; a host without
   * one refuses the config at create (lsm_check). */
  l->apparmor = enabled(true);
  l->selinux = enabled(true);
  /* resctrl.c: groups, schemata and MON groups (a host without resctrl
   * refuses intelRdt at create, as the spec wants) */
  ocispec_features_intel_rdt *rdt = l->intel_rdt = xcalloc(1, sizeof *rdt);
  rdt->enabled = rdt->has_enabled = true;
  rdt->schemata = rdt->has_schemata = true;
  rdt->monitoring = rdt->has_monitoring = true;
  l->mount_extensions = xcalloc(1, sizeof *l->mount_extensions);
  l->mount_extensions->idmap = enabled(true);
  l->net_devices = enabled(true);
  l->memory_policy = xcalloc(1, sizeof *l->memory_policy);
  STRV_FROM(l->memory_policy->modes, mempolicy_known_modes);
  STRV_FROM(l->memory_policy->flags, mempolicy_known_flags);
  ocispec_strmap_set(&f.annotations, "org.ulysses.version", PACKAGE_VERSION);
  /* checkpoint/restore built in (crun says run.oci.crun.checkpoint.enabled);
   * it still needs the criu package at run time. */
  ocispec_strmap_set(&f.annotations, "org.ulysses.checkpoint.enabled", cr_built_in() ? "true" : "false");
  const struct scmp_version *lib = seccomp_version();
  _cleanup_free_ char *libver = xasprintf("%u.%u.%u", lib->major, lib->minor, lib->micro);
  ocispec_strmap_set(&f.annotations, "io.github.seccomp.libseccomp.version", libver);

  char *perr = NULL;
  _cleanup_free_ char *json = ocispec_generate(&ocispec_features_type, &f, true, &perr);
  /* f lives on the stack: free what it owns, not f itself. */
  ocispec_features *heap = xmalloc(sizeof *heap);
  *heap = f;
  ocispec_features_free(heap);
  if (json == NULL) {
    uoci_fail(err, 0, "features: %s", perr);
    free(perr);
    return -1;
  }
  fputs(json, stdout);
  if (json[0] && json[strlen(json) - 1] != '\n')
    putchar('\n');
  return 0;
}

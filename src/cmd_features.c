/* cmd_features.c - `features`: what this runtime supports, as the spec's
 * features.md document (containerd reads it). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caps.h"
#include "commands.h"
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

static ocispec_feature_enabled *enabled(bool on)
{
  ocispec_feature_enabled *e = xcalloc(1, sizeof *e);
  e->enabled = on;
  e->has_enabled = true;
  return e;
}

int cmd_features(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  if (argc > 1)
    return uoci_fail(err, 0, "features: unexpected argument \"%s\"", argv[1]);
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                       "poststart", "poststop" };
  static const char *const mount_options[] = {
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "lazytime", "mand",
    "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid",
    "nosymfollow", "private", "rbind", "relatime", "remount", "ridmap", "ro", "rprivate", "rshared", "rslave",
    "runbindable", "rw", "shared", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable",
  };
  static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
  static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                                         "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                         "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP" };
  static const char *const operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                                           "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE" };
  static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
                                       "SCMP_ARCH_ARM", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X",
                                       "SCMP_ARCH_RISCV64" };
  static const char *const flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                       "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };

  ocispec_features f = { 0 };
  f.oci_version_min = xstrdup("1.0.0");
  f.oci_version_max = xstrdup(OCISPEC_VERSION);
  STRV(f.hooks, hooks);
  STRV(f.mount_options, mount_options);
  ocispec_features_linux *l = f.linux = xcalloc(1, sizeof *l);
  STRV(l->namespaces, namespaces);
  size_t ncaps;
  const char *const *caps = caps_known_names(&ncaps);
  l->capabilities = strv_of(caps, ncaps, &l->capabilities_len);
  l->cgroup = xcalloc(1, sizeof *l->cgroup);
  l->cgroup->v1 = l->cgroup->v2 = l->cgroup->systemd = true;
  l->cgroup->has_v1 = l->cgroup->has_v2 = l->cgroup->has_systemd = true;
  l->cgroup->systemd_user = false;
  l->cgroup->has_systemd_user = true;
  l->cgroup->rdma = true;
  l->cgroup->has_rdma = true;
  ocispec_features_seccomp *s = l->seccomp = xcalloc(1, sizeof *s);
  s->enabled = s->has_enabled = true;
  STRV(s->actions, actions);
  STRV(s->operators, operators);
  STRV(s->archs, archs);
  STRV(s->known_flags, flags);
  STRV(s->supported_flags, flags);
  l->apparmor = enabled(false);
  l->selinux = enabled(false);
  l->intel_rdt = xcalloc(1, sizeof *l->intel_rdt);
  l->intel_rdt->has_enabled = true; /* no resctrl support: enabled=false */
  l->mount_extensions = xcalloc(1, sizeof *l->mount_extensions);
  l->mount_extensions->idmap = enabled(true);
  ocispec_strmap_set(&f.annotations, "org.ulysses.version", PACKAGE_VERSION);
  ocispec_strmap_set(&f.annotations, "io.github.seccomp.libseccomp.version", "2.5");

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

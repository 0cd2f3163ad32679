/* cmd_spec.c - `spec [--bundle DIR] [--rootless]`: write a default config.json. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "utils.h"

/* The default container: busybox-friendly `sh` on a terminal, a read-only
 * root, the usual pseudo filesystems, a small capability set. */
static const char default_config[] =
  "{\"ociVersion\":\"1.3.0\","
  "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
  "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],\"cwd\":\"/\","
  "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
  "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
  "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
  "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
  "\"hostname\":\"ulysses\","
  "\"mounts\":["
  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
  "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
  "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
  "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
  "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
  "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
  "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
  "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
  "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
  "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
  "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/sys/devices/virtual/powercap\",\"/proc/scsi\"],"
  "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

/* Rootless: a user namespace mapping the caller to root, no network or
 * cgroup namespace, /sys bound from the host, no cgroup mount or limits. */
static void make_rootless(ocispec_config *cfg)
{
  ocispec_linux *l = cfg->linux;
  size_t k = 0;
  for (size_t i = 0; i < l->namespaces_len; i++) {
    const char *t = l->namespaces[i].type;
    if (strcmp(t, "network") == 0 || strcmp(t, "cgroup") == 0) {
      free(l->namespaces[i].type);
      free(l->namespaces[i].path);
      continue;
    }
    l->namespaces[k++] = l->namespaces[i];
  }
  l->namespaces = xrealloc(l->namespaces, (k + 1) * sizeof *l->namespaces);
  memset(&l->namespaces[k], 0, sizeof l->namespaces[k]);
  l->namespaces[k].type = xstrdup("user");
  l->namespaces_len = k + 1;

  l->uid_mappings = xcalloc(1, sizeof *l->uid_mappings);
  l->uid_mappings[0] = (ocispec_id_mapping){ 0, true, geteuid(), true, 1, true };
  l->uid_mappings_len = 1;
  l->gid_mappings = xcalloc(1, sizeof *l->gid_mappings);
  l->gid_mappings[0] = (ocispec_id_mapping){ 0, true, getegid(), true, 1, true };
  l->gid_mappings_len = 1;

  ocispec_free(&ocispec_resources_type, l->resources);
  l->resources = NULL;

  size_t m = 0;
  for (size_t i = 0; i < cfg->mounts_len; i++) {
    ocispec_mount *mt = &cfg->mounts[i];
    if (strcmp(mt->destination, "/sys/fs/cgroup") == 0) {
      free(mt->destination);
      free(mt->type);
      free(mt->source);
      uoci_strv_free(mt->options); /* NULL-terminated by libocispec */
      continue;
    }
    if (strcmp(mt->destination, "/sys") == 0) {
      free(mt->type);
      free(mt->source);
      uoci_strv_free(mt->options);
      mt->type = xstrdup("none");
      mt->source = xstrdup("/sys");
      static const char *const o[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };
      mt->options = xcalloc(ARRAY_SIZE(o) + 1, sizeof(char *));
      for (size_t j = 0; j < ARRAY_SIZE(o); j++)
        mt->options[j] = xstrdup(o[j]);
      mt->options_len = ARRAY_SIZE(o);
    }
    if (strcmp(mt->destination, "/dev/pts") == 0) {
      /* gid=5 does not exist in a one-id user namespace */
      size_t w = 0;
      for (size_t j = 0; j < mt->options_len; j++) {
        if (strcmp(mt->options[j], "gid=5") == 0)
          free(mt->options[j]);
        else
          mt->options[w++] = mt->options[j];
      }
      mt->options[w] = NULL;
      mt->options_len = w;
    }
    cfg->mounts[m++] = *mt;
  }
  cfg->mounts_len = m;
}

int cmd_spec(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, 0, 'b' },
    { "rootless", no_argument, 0, 'r' },
    { 0, 0, 0, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;
  int c;
  while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
    switch (c) {
    case 'b': bundle = optarg; break;
    case 'r': rootless = true; break;
    default: return uoci_fail(err, 0, "spec: unknown option \"%s\"", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return uoci_fail(err, 0, "spec: unexpected argument \"%s\"", argv[optind]);
  char *perr = NULL;
  ocispec_config *cfg = ocispec_parse(&ocispec_config_type, default_config, sizeof default_config - 1,
                                      "default config", &perr);
  if (cfg == NULL) {
    uoci_fail(err, 0, "%s", perr);
    free(perr);
    return -1;
  }
  if (rootless)
    make_rootless(cfg);
  _cleanup_free_ char *json = ocispec_generate(&ocispec_config_type, cfg, true, &perr);
  ocispec_config_free(cfg);
  if (json == NULL) {
    uoci_fail(err, 0, "%s", perr);
    free(perr);
    return -1;
  }
  _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return uoci_fail(err, 0, "spec: %s already exists: remove it first", path);
    return uoci_fail(err, errno, "spec: create %s", path);
  }
  if (write_all(fd, json, strlen(json)) < 0)
    return uoci_fail(err, errno, "spec: write %s", path);
  return 0;
}

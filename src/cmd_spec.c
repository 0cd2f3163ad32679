/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_spec.c - `spec [options]`: write a config.json, the default one or,
 * with docker-like options (--rootfs, --args, -v, --memory, --cpus, -p,
 * --user, --cap-add, --tmpfs, ...), one ready to run. Options are parsed and
 * checked first (--user names are looked up in the rootfs, userdb.c), then
 * applied to the libocispec structs of the default config; nothing is
 * written unless every option is valid. Options apply in order, a later one
 * replacing an earlier one of the same field: ulysses-bundle puts an image's
 * options before the user's. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "caps.h"
#include "cgroup.h"
#include "commands.h"
#include "pathsafe.h"
#include "userdb.h"
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
  "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}],"
  "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
  "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/sys/devices/virtual/powercap\",\"/proc/scsi\"],"
  "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

/* A cgroup namespace only where the host is cgroup v2 (unified), as runc's
 * and crun's `spec` do: on v1 and hybrid hosts their default config has
 * none, and configs written for them (runc's tests add one with
 * `namespaces += [{"type":"cgroup"}]`) would carry it twice, which the
 * runtime-spec makes an error. */
static void add_cgroupns_on_v2(ocispec_config *cfg)
{
  if (!cgroup_host_is_unified())
    return;
  ocispec_linux *l = cfg->linux;
  l->namespaces = xrealloc(l->namespaces, (l->namespaces_len + 1) * sizeof *l->namespaces);
  memset(&l->namespaces[l->namespaces_len], 0, sizeof l->namespaces[0]);
  l->namespaces[l->namespaces_len++].type = xstrdup("cgroup");
}

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

/* ---- option values, parsed and checked before anything is built --------- */

/* A growable string vector kept NULL-terminated, the layout libocispec uses. */
struct strv {
  char **v;
  size_t len;
};

static void strv_add(struct strv *s, char *owned)
{
  strv_push(&s->v, &s->len, owned);
}

static void strv_clear(struct strv *s)
{
  for (size_t i = 0; i < s->len; i++)
    free(s->v[i]);
  free(s->v);
  *s = (struct strv){ 0 };
}

struct volume {
  char *source;      /* absolute host path (realpath) */
  char *destination; /* absolute path in the container */
  bool readonly;
};

struct tmpfs_mount {
  char *destination;
  struct strv options; /* without the defaults */
};

struct spec_opts {
  const char *bundle;
  bool rootless;
  const char *rootfs;
  struct strv args;
  bool has_args;
  struct strv env;
  struct volume *volumes;
  size_t volumes_len;
  int64_t memory;
  bool has_memory;
  int64_t cpu_quota; /* microseconds per CPU_PERIOD */
  bool has_cpus;
  int64_t pids_limit;
  bool has_pids_limit;
  const char *hostname;
  const char *network;
  struct strv ports; /* normalised "HOST:CTR/PROTO" */
  int terminal;      /* -1: keep the default */
  int readonly;      /* -1: keep the default */
  const char *user;  /* USER[:GROUP] as given */
  struct userdb_user resolved_user;
  const char *cwd;
  struct strv cap_add, cap_drop; /* "CAP_X" names, or "ALL" */
  struct tmpfs_mount *tmpfs;
  size_t tmpfs_len;
  struct strv annotations; /* "KEY=VALUE" */
};

/* docker's --cpus: a fixed 100 ms period, quota = cpus * period. */
#define CPU_PERIOD 100000
/* The kernel refuses a CFS quota below 1 ms. */
#define CPU_QUOTA_MIN 1000

static void spec_opts_free(struct spec_opts *o)
{
  strv_clear(&o->args);
  strv_clear(&o->env);
  strv_clear(&o->ports);
  strv_clear(&o->cap_add);
  strv_clear(&o->cap_drop);
  strv_clear(&o->annotations);
  userdb_user_clear(&o->resolved_user);
  for (size_t i = 0; i < o->tmpfs_len; i++) {
    free(o->tmpfs[i].destination);
    strv_clear(&o->tmpfs[i].options);
  }
  free(o->tmpfs);
  for (size_t i = 0; i < o->volumes_len; i++) {
    free(o->volumes[i].source);
    free(o->volumes[i].destination);
  }
  free(o->volumes);
}

/* Split a command line into words like a shell without expansions: blanks
 * separate words, '...' is literal, "..." and a backslash escape. */
static int split_words(const char *s, struct strv *out, uoci_error **err)
{
  size_t n = strlen(s);
  _cleanup_free_ char *word = xmalloc(n + 1);
  size_t w = 0;
  bool in_word = false;
  char quote = 0;
  for (const char *p = s; *p; p++) {
    if (quote == '\'') {
      if (*p == '\'')
        quote = 0;
      else
        word[w++] = *p;
      continue;
    }
    if (*p == '\\' && p[1] && (quote == 0 || p[1] == '"' || p[1] == '\\')) {
      word[w++] = *++p;
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (*p == '"')
        quote = 0;
      else
        word[w++] = *p;
      continue;
    }
    if (*p == '\'' || *p == '"') {
      quote = *p;
      in_word = true;
    } else if (isspace((unsigned char) *p)) {
      if (in_word) {
        word[w] = '\0';
        strv_add(out, xstrdup(word));
        w = 0;
        in_word = false;
      }
    } else {
      word[w++] = *p;
      in_word = true;
    }
  }
  if (quote)
    return uoci_fail(err, 0, "spec: --args \"%s\": unterminated %c quote", s, quote);
  if (in_word) {
    word[w] = '\0';
    strv_add(out, xstrdup(word));
  }
  return 0;
}

/* "512m" -> 536870912: decimal bytes with an optional binary k/m/g/t suffix
 * (also "kb", "KiB", ...). Zero and overflow are refused. */
static int parse_size(const char *s, int64_t *out)
{
  if (!isdigit((unsigned char) s[0]))
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno)
    return -1;
  static const char units[] = "bkmgt";
  unsigned shift = 0;
  if (*end) {
    const char *u = strchr(units, tolower((unsigned char) *end));
    if (u == NULL)
      return -1;
    shift = 10 * (unsigned) (u - units);
    end++;
    if (shift > 0 && (strcasecmp(end, "b") == 0 || strcasecmp(end, "ib") == 0))
      end += strlen(end);
    if (*end)
      return -1;
  }
  if (v == 0 || v > (unsigned long long) INT64_MAX >> shift)
    return -1;
  *out = (int64_t) (v << shift);
  return 0;
}

/* "1.5" -> 150000 (microseconds of CPU time per CPU_PERIOD). Digits after the
 * fifth decimal would be fractions of a microsecond and are dropped. */
static int parse_cpus(const char *s, int64_t *quota)
{
  const char *p = s;
  int64_t whole = 0, frac = 0, scale = CPU_PERIOD;
  if (!isdigit((unsigned char) *p) && !(*p == '.' && isdigit((unsigned char) p[1])))
    return -1;
  for (; isdigit((unsigned char) *p); p++) {
    whole = whole * 10 + (*p - '0');
    if (whole > INT64_MAX / CPU_PERIOD / 10)
      return -1;
  }
  if (*p == '.') {
    for (p++; isdigit((unsigned char) *p); p++) {
      if (scale > 1) {
        scale /= 10;
        frac += (*p - '0') * scale;
      }
    }
  }
  if (*p)
    return -1;
  *quota = whole * CPU_PERIOD + frac;
  return 0;
}

/* HOST:CTR[:ro|rw]; the host path must exist and is made absolute. */
static int parse_volume(const char *s, struct volume *v, uoci_error **err)
{
  _cleanup_free_ char *copy = xstrdup(s);
  char *host = copy, *ctr = strchr(copy, ':');
  if (ctr == NULL || ctr == host || ctr[1] == '\0')
    return uoci_fail(err, 0, "spec: --volume \"%s\": expected HOST:CONTAINER[:ro|rw]", s);
  *ctr++ = '\0';
  char *mode = strchr(ctr, ':');
  if (mode)
    *mode++ = '\0';
  if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
    return uoci_fail(err, 0, "spec: --volume \"%s\": mode \"%s\" is neither ro nor rw", s, mode);
  if (ctr[0] != '/' || strcmp(ctr, "/") == 0)
    return uoci_fail(err, 0, "spec: --volume \"%s\": container path must be absolute and not /", s);
  char *real = realpath(host, NULL);
  if (real == NULL)
    return uoci_fail(err, errno, "spec: --volume \"%s\": %s", s, host);
  v->source = real;
  v->destination = xstrdup(ctr);
  v->readonly = mode && strcmp(mode, "ro") == 0;
  return 0;
}

static bool parse_port_number(const char *s, size_t n, unsigned *port)
{
  if (n == 0 || n > 5)
    return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char) s[i]))
      return false;
    v = v * 10 + (unsigned) (s[i] - '0');
  }
  *port = v;
  return v >= 1 && v <= 65535;
}

/* HOST:CTR[/tcp|udp|sctp] -> "HOST:CTR/PROTO" (the form ulysses-cni-hook reads). */
static int parse_publish(const char *s, char **out, uoci_error **err)
{
  const char *colon = strchr(s, ':');
  const char *slash = strchr(s, '/');
  const char *proto = slash ? slash + 1 : "tcp";
  unsigned host, ctr;
  if (colon == NULL || (slash && slash < colon) || !parse_port_number(s, (size_t) (colon - s), &host) ||
      !parse_port_number(colon + 1, slash ? (size_t) (slash - colon - 1) : strlen(colon + 1), &ctr))
    return uoci_fail(err, 0, "spec: --publish \"%s\": expected HOST_PORT:CONTAINER_PORT[/PROTO], ports 1-65535", s);
  if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
    return uoci_fail(err, 0, "spec: --publish \"%s\": protocol \"%s\" is not tcp, udp or sctp", s, proto);
  *out = xasprintf("%u:%u/%s", host, ctr, proto);
  return 0;
}

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "all" -> "ALL".
 * A comma-separated list gives several. Only names this kernel knows. */
static int parse_caps(const char *flag, const char *arg, struct strv *out, uoci_error **err)
{
  _cleanup_free_ char *copy = xstrdup(arg);
  char *save = NULL;
  size_t before = out->len;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    _cleanup_free_ char *up = xstrdup(tok);
    for (char *c = up; *c; c++)
      *c = (char) toupper((unsigned char) *c);
    if (strcmp(up, "ALL") == 0) {
      strv_add(out, steal_ptr(up));
      continue;
    }
    _cleanup_free_ char *name = strncmp(up, "CAP_", 4) == 0 ? xstrdup(up) : xasprintf("CAP_%s", up);
    size_t n;
    const char *const *known = caps_known_names(&n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
      found = strcmp(known[i], name) == 0;
    if (!found)
      return uoci_fail(err, 0, "spec: %s \"%s\": unknown capability %s (see ulysses-oci features)", flag, arg, name);
    strv_add(out, steal_ptr(name));
  }
  if (out->len == before)
    return uoci_fail(err, 0, "spec: %s \"%s\": expected a capability name such as NET_ADMIN", flag, arg);
  return 0;
}

/* docker's env file: KEY=VALUE lines (the value verbatim, no quotes), a bare
 * KEY takes its value from this environment, '#' lines and blank lines are
 * skipped. */
static int parse_env_file(const char *path, struct strv *env, uoci_error **err)
{
  _cleanup_free_ char *data = NULL;
  if (read_file_at(AT_FDCWD, path, &data, NULL, err) < 0)
    return uoci_error_prefix(err, "spec: --env-file");
  unsigned lineno = 0;
  for (char *p = data, *line; (line = strsep(&p, "\n")) != NULL;) {
    lineno++;
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[--len] = '\0';
    while (isspace((unsigned char) *line))
      line++;
    if (*line == '\0' || *line == '#')
      continue;
    char *eq = strchr(line, '=');
    size_t keylen = eq ? (size_t) (eq - line) : strlen(line);
    while (!eq && keylen > 0 && isspace((unsigned char) line[keylen - 1]))
      line[--keylen] = '\0';
    bool blank = false;
    for (size_t i = 0; i < keylen; i++)
      blank |= isspace((unsigned char) line[i]) != 0;
    if (keylen == 0 || blank)
      return uoci_fail(err, 0, "spec: --env-file %s:%u: expected KEY=VALUE or KEY (no blanks in KEY)", path, lineno);
    if (eq) {
      strv_add(env, xstrdup(line));
      continue;
    }
    const char *value = getenv(line);
    if (value == NULL)
      return uoci_fail(err, 0, "spec: --env-file %s:%u: %s is not set in this environment", path, lineno, line);
    strv_add(env, xasprintf("%s=%s", line, value));
  }
  return 0;
}

/* The options --tmpfs takes: mount flags, and tmpfs' own size/mode/uid/gid/nr_inodes. */
static bool valid_tmpfs_option(const char *opt)
{
  static const char *const flags[] = { "ro",      "rw",        "exec",       "noexec",       "suid",
                                       "nosuid",  "dev",       "nodev",      "sync",         "async",
                                       "atime",   "noatime",   "relatime",   "norelatime",   "strictatime",
                                       "nostrictatime", "diratime", "nodiratime" };
  for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
    if (strcmp(opt, flags[i]) == 0)
      return true;
  const char *eq = strchr(opt, '=');
  if (eq == NULL || eq[1] == '\0')
    return false;
  size_t k = (size_t) (eq - opt);
  const char *v = eq + 1;
  int64_t size;
  unsigned long long n;
  if (strncmp(opt, "size", k) == 0 && k == 4) {
    size_t vl = strlen(v);
    if (vl > 1 && v[vl - 1] == '%') {
      _cleanup_free_ char *pct = strndup(v, vl - 1);
      return parse_uint64(pct, &n) == 0 && n >= 1 && n <= 100 && isdigit((unsigned char) pct[0]);
    }
    return parse_size(v, &size) == 0;
  }
  if (strncmp(opt, "nr_inodes", k) == 0 && k == 9)
    return parse_size(v, &size) == 0;
  if (strncmp(opt, "mode", k) == 0 && k == 4) {
    char *end;
    errno = 0;
    unsigned long m = strtoul(v, &end, 8);
    return errno == 0 && *end == '\0' && isdigit((unsigned char) v[0]) && m <= 07777;
  }
  if ((strncmp(opt, "uid", k) == 0 && k == 3) || (strncmp(opt, "gid", k) == 0 && k == 3))
    return isdigit((unsigned char) v[0]) && parse_uint64(v, &n) == 0 && n < UINT32_MAX;
  return false;
}

/* DIR[:OPTIONS]: an absolute container path, then comma-separated options. */
static int parse_tmpfs(const char *arg, struct tmpfs_mount *t, uoci_error **err)
{
  const char *colon = strchr(arg, ':');
  _cleanup_free_ char *dir = colon ? strndup(arg, (size_t) (colon - arg)) : xstrdup(arg);
  if (dir[0] != '/' || strcmp(dir, "/") == 0)
    return uoci_fail(err, 0, "spec: --tmpfs \"%s\": the container path must be absolute and not /", arg);
  struct strv opts = { 0 };
  if (colon) {
    _cleanup_free_ char *copy = xstrdup(colon + 1);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (!valid_tmpfs_option(tok)) {
        strv_clear(&opts);
        return uoci_fail(err, 0,
                         "spec: --tmpfs \"%s\": option \"%s\" is not a mount flag (ro, noexec, ...) or "
                         "size=, mode=, uid=, gid=, nr_inodes=",
                         arg, tok);
      }
      strv_add(&opts, xstrdup(tok));
    }
  }
  t->destination = steal_ptr(dir);
  t->options = opts;
  return 0;
}

/* RFC 1123 labels, and the kernel's 64-byte nodename. */
static bool valid_hostname(const char *h)
{
  size_t n = strlen(h);
  if (n == 0 || n > 64)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    if (c == '.') {
      if (label == 0 || h[i - 1] == '-')
        return false;
      label = 0;
      continue;
    }
    if (!isalnum((unsigned char) c) && c != '-')
      return false;
    if (c == '-' && label == 0)
      return false;
    if (++label > 63)
      return false;
  }
  return h[n - 1] != '-' && h[n - 1] != '.';
}

/* A CNI network name (libcni's rule), or "host"/"none". */
static bool valid_network(const char *s)
{
  if (!isalnum((unsigned char) s[0]))
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char) *p) && !strchr("_.-", *p))
      return false;
  return true;
}

static bool is_named_network(const char *n)
{
  return n && strcmp(n, "host") != 0 && strcmp(n, "none") != 0;
}

enum {
  OPT_ROOTLESS = 256,
  OPT_ROOTFS,
  OPT_ARGS,
  OPT_ARG,
  OPT_MEMORY,
  OPT_CPUS,
  OPT_PIDS,
  OPT_HOSTNAME,
  OPT_NETWORK,
  OPT_NO_TTY,
  OPT_READ_ONLY,
  OPT_NO_READ_ONLY,
  OPT_CWD,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_ENV_FILE,
  OPT_TMPFS,
  OPT_ANNOTATION,
};

static int parse_one(struct spec_opts *o, int c, const char *arg, uoci_error **err)
{
  switch (c) {
  case 'b': o->bundle = arg; return 0;
  case OPT_ROOTLESS: o->rootless = true; return 0;
  case OPT_ROOTFS:
    if (*arg == '\0')
      return uoci_fail(err, 0, "spec: --rootfs: empty path");
    o->rootfs = arg;
    return 0;
  case OPT_ARGS:
    /* the whole command: replaces an earlier --args/--arg (an image's) */
    strv_clear(&o->args);
    o->has_args = true;
    return split_words(arg, &o->args, err);
  case OPT_ARG:
    o->has_args = true;
    strv_add(&o->args, xstrdup(arg));
    return 0;
  case 'e':
    if (arg[0] == '=' || strchr(arg, '=') == NULL)
      return uoci_fail(err, 0, "spec: --env \"%s\": expected KEY=VALUE", arg);
    strv_add(&o->env, xstrdup(arg));
    return 0;
  case 'v': {
    struct volume v = { 0 };
    if (parse_volume(arg, &v, err) < 0)
      return -1;
    o->volumes = xrealloc(o->volumes, (o->volumes_len + 1) * sizeof *o->volumes);
    o->volumes[o->volumes_len++] = v;
    return 0;
  }
  case OPT_MEMORY:
    if (parse_size(arg, &o->memory) < 0)
      return uoci_fail(err, 0, "spec: --memory \"%s\": expected a size in bytes, optionally with a k, m, g or t suffix",
                       arg);
    o->has_memory = true;
    return 0;
  case OPT_CPUS:
    if (parse_cpus(arg, &o->cpu_quota) < 0)
      return uoci_fail(err, 0, "spec: --cpus \"%s\": expected a number of CPUs such as 1 or 0.5", arg);
    if (o->cpu_quota < CPU_QUOTA_MIN)
      return uoci_fail(err, 0, "spec: --cpus \"%s\": at least 0.01", arg);
    o->has_cpus = true;
    return 0;
  case OPT_PIDS: {
    long long v;
    if (parse_int64(arg, &v) < 0 || v < 1)
      return uoci_fail(err, 0, "spec: --pids-limit \"%s\": expected a positive integer", arg);
    o->pids_limit = v;
    o->has_pids_limit = true;
    return 0;
  }
  case OPT_HOSTNAME:
    if (!valid_hostname(arg))
      return uoci_fail(err, 0, "spec: --hostname \"%s\": not a valid host name (letters, digits, '-', '.'; at most 64)",
                       arg);
    o->hostname = arg;
    return 0;
  case OPT_NETWORK:
    if (!valid_network(arg))
      return uoci_fail(err, 0, "spec: --network \"%s\": not a valid network name (letters, digits, '_', '.', '-')", arg);
    o->network = arg;
    return 0;
  case 'p': {
    char *port = NULL;
    if (parse_publish(arg, &port, err) < 0)
      return -1;
    strv_add(&o->ports, port);
    return 0;
  }
  case 't': o->terminal = 1; return 0;
  case OPT_NO_TTY: o->terminal = 0; return 0;
  case OPT_READ_ONLY: o->readonly = 1; return 0;
  case OPT_NO_READ_ONLY: o->readonly = 0; return 0;
  case 'u': {
    const char *colon = strchr(arg, ':');
    if (arg[0] == '\0' || arg[0] == ':' || (colon && (colon[1] == '\0' || strchr(colon + 1, ':'))))
      return uoci_fail(err, 0, "spec: --user \"%s\": expected USER[:GROUP], names or numbers", arg);
    o->user = arg; /* resolved in check_combination, once the rootfs is known */
    return 0;
  }
  case OPT_CWD:
    if (arg[0] != '/')
      return uoci_fail(err, 0, "spec: --cwd \"%s\": must be an absolute path", arg);
    o->cwd = arg;
    return 0;
  case OPT_CAP_ADD: return parse_caps("--cap-add", arg, &o->cap_add, err);
  case OPT_CAP_DROP: return parse_caps("--cap-drop", arg, &o->cap_drop, err);
  case OPT_ENV_FILE: return parse_env_file(arg, &o->env, err);
  case OPT_TMPFS: {
    struct tmpfs_mount t = { 0 };
    if (parse_tmpfs(arg, &t, err) < 0)
      return -1;
    o->tmpfs = xrealloc(o->tmpfs, (o->tmpfs_len + 1) * sizeof *o->tmpfs);
    o->tmpfs[o->tmpfs_len++] = t;
    return 0;
  }
  case OPT_ANNOTATION:
    if (arg[0] == '=' || strchr(arg, '=') == NULL)
      return uoci_fail(err, 0, "spec: --annotation \"%s\": expected KEY=VALUE", arg);
    strv_add(&o->annotations, xstrdup(arg));
    return 0;
  }
  return -1;
}

/* --user: numbers are taken as they are; names (and the primary group of a
 * number) come from the rootfs' /etc/passwd and /etc/group, opened inside the
 * rootfs so that a symlink there cannot make us read a host file. */
static int resolve_user(struct spec_opts *o, uoci_error **err)
{
  const char *rootfs = o->rootfs ? o->rootfs : "rootfs";
  _cleanup_free_ char *path = rootfs[0] == '/' ? xstrdup(rootfs) : xasprintf("%s/%s", o->bundle, rootfs);
  _cleanup_free_ char *passwd = NULL, *group = NULL;
  enum userdb_need need = userdb_needs_files(o->user);
  if (need != USERDB_NO_FILES) {
    _cleanup_close_ int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0 && !(errno == ENOENT && need == USERDB_FILES_IF_PRESENT))
      return uoci_fail(err, errno, "spec: --user \"%s\": the rootfs %s", o->user, path);
    if (rootfd >= 0 && (userdb_read_in_root(rootfd, "/etc/passwd", path, &passwd, err) < 0 ||
                        userdb_read_in_root(rootfd, "/etc/group", path, &group, err) < 0))
      return uoci_error_prefix(err, "spec: --user \"%s\"", o->user);
  }
  if (userdb_resolve(o->user, passwd, group, path, &o->resolved_user, err) < 0)
    return uoci_error_prefix(err, "spec: --user");
  if (o->rootless && o->resolved_user.uid != 0)
    return uoci_fail(err, 0, "spec: --user \"%s\": --rootless maps only root (uid 0) into the container", o->user);
  return 0;
}

/* Checks that need every option (or the bundle) at once. */
static int check_combination(struct spec_opts *o, uoci_error **err)
{
  if (o->has_args && o->args.len == 0)
    return uoci_fail(err, 0, "spec: --args: no command given");
  if (o->ports.len > 0 && !is_named_network(o->network))
    return uoci_fail(err, 0, "spec: --publish needs --network NAME (a CNI network to map the ports from)");
  if (o->rootless && is_named_network(o->network))
    return uoci_fail(err, 0, "spec: --network %s: a CNI network needs root on the host, not --rootless", o->network);
  if (o->rootfs) {
    _cleanup_free_ char *path = o->rootfs[0] == '/' ? xstrdup(o->rootfs) : xasprintf("%s/%s", o->bundle, o->rootfs);
    struct stat st;
    if (stat(path, &st) < 0)
      return uoci_fail(err, errno, "spec: --rootfs %s", path);
    if (!S_ISDIR(st.st_mode))
      return uoci_fail(err, ENOTDIR, "spec: --rootfs %s", path);
  }
  if (o->user && resolve_user(o, err) < 0)
    return -1;
  return 0;
}

/* ---- applying the options to the config -------------------------------- */

static void replace_string(char **field, const char *value)
{
  free(*field);
  *field = xstrdup(value);
}

static bool has_namespace(const ocispec_linux *l, const char *type)
{
  for (size_t i = 0; i < l->namespaces_len; i++)
    if (strcmp(l->namespaces[i].type, type) == 0)
      return true;
  return false;
}

static void add_namespace(ocispec_linux *l, const char *type)
{
  if (has_namespace(l, type))
    return;
  l->namespaces = xrealloc(l->namespaces, (l->namespaces_len + 1) * sizeof *l->namespaces);
  memset(&l->namespaces[l->namespaces_len], 0, sizeof *l->namespaces);
  l->namespaces[l->namespaces_len++].type = xstrdup(type);
}

static void remove_namespace(ocispec_linux *l, const char *type)
{
  size_t k = 0;
  for (size_t i = 0; i < l->namespaces_len; i++) {
    if (strcmp(l->namespaces[i].type, type) == 0) {
      free(l->namespaces[i].type);
      free(l->namespaces[i].path);
      continue;
    }
    l->namespaces[k++] = l->namespaces[i];
  }
  l->namespaces_len = k;
}

/* KEY=VALUE replaces an existing KEY, or is appended. */
static void set_env(ocispec_process *p, const char *kv)
{
  size_t keylen = (size_t) (strchr(kv, '=') - kv) + 1;
  for (size_t i = 0; i < p->env_len; i++) {
    if (strncmp(p->env[i], kv, keylen) == 0) {
      replace_string(&p->env[i], kv);
      return;
    }
  }
  p->env = xrealloc(p->env, (p->env_len + 2) * sizeof *p->env);
  p->env[p->env_len++] = xstrdup(kv);
  p->env[p->env_len] = NULL;
}

static void add_bind_mount(ocispec_config *cfg, const struct volume *v)
{
  cfg->mounts = xrealloc(cfg->mounts, (cfg->mounts_len + 1) * sizeof *cfg->mounts);
  ocispec_mount *m = &cfg->mounts[cfg->mounts_len++];
  memset(m, 0, sizeof *m);
  m->destination = xstrdup(v->destination);
  m->type = xstrdup("bind");
  m->source = xstrdup(v->source);
  m->options_len = v->readonly ? 3 : 2;
  m->options = xcalloc(m->options_len + 1, sizeof(char *));
  m->options[0] = xstrdup("rbind");
  m->options[1] = xstrdup("rprivate");
  if (v->readonly)
    m->options[2] = xstrdup("ro");
}

static ocispec_resources *resources_of(ocispec_config *cfg)
{
  if (cfg->linux->resources == NULL)
    cfg->linux->resources = xcalloc(1, sizeof *cfg->linux->resources);
  return cfg->linux->resources;
}

static void apply_resources(ocispec_config *cfg, const struct spec_opts *o)
{
  if (o->has_memory) {
    ocispec_resources *r = resources_of(cfg);
    if (r->memory == NULL)
      r->memory = xcalloc(1, sizeof *r->memory);
    r->memory->limit = o->memory;
    r->memory->has_limit = true;
  }
  if (o->has_cpus) {
    ocispec_resources *r = resources_of(cfg);
    if (r->cpu == NULL)
      r->cpu = xcalloc(1, sizeof *r->cpu);
    r->cpu->period = CPU_PERIOD;
    r->cpu->has_period = true;
    r->cpu->quota = o->cpu_quota;
    r->cpu->has_quota = true;
  }
  if (o->has_pids_limit) {
    ocispec_resources *r = resources_of(cfg);
    if (r->pids == NULL)
      r->pids = xcalloc(1, sizeof *r->pids);
    r->pids->limit = o->pids_limit;
    r->pids->has_limit = true;
  }
}

/* host: the host's network namespace; none: a private one with only lo;
 * NAME: a private one that the runtime (or ulysses-cni-hook) attaches to the
 * CNI network NAME, as the annotations say. */
static void apply_network(ocispec_config *cfg, const struct spec_opts *o)
{
  if (o->network == NULL)
    return;
  if (strcmp(o->network, "host") == 0) {
    remove_namespace(cfg->linux, "network");
    return;
  }
  add_namespace(cfg->linux, "network");
  if (!is_named_network(o->network))
    return;
  ocispec_strmap_set(&cfg->annotations, "org.ulysses.network", o->network);
  if (o->ports.len > 0) {
    size_t n = 1;
    for (size_t i = 0; i < o->ports.len; i++)
      n += strlen(o->ports.v[i]) + 1;
    _cleanup_free_ char *joined = xcalloc(1, n);
    for (size_t i = 0; i < o->ports.len; i++) {
      if (i)
        strcat(joined, ",");
      strcat(joined, o->ports.v[i]);
    }
    ocispec_strmap_set(&cfg->annotations, "org.ulysses.ports", joined);
  }
}

static void apply_user(ocispec_process *p, struct spec_opts *o)
{
  if (p->user == NULL)
    p->user = xcalloc(1, sizeof *p->user);
  ocispec_user *u = p->user;
  struct userdb_user *r = &o->resolved_user;
  u->uid = r->uid;
  u->has_uid = true;
  u->gid = r->gid;
  u->has_gid = true;
  free(u->additional_gids);
  u->additional_gids = steal_ptr(r->additional_gids);
  u->additional_gids_len = r->additional_gids_len;
  r->additional_gids_len = 0;
}

static bool strv_contains(const struct strv *s, const char *name)
{
  for (size_t i = 0; i < s->len; i++)
    if (strcmp(s->v[i], name) == 0)
      return true;
  return false;
}

static void set_cap_list(char ***list, size_t *len, const struct strv *caps)
{
  uoci_strv_free(*list);
  *list = xcalloc(caps->len + 1, sizeof(char *));
  for (size_t i = 0; i < caps->len; i++)
    (*list)[i] = xstrdup(caps->v[i]);
  *len = caps->len;
}

/* docker's rules, whatever the order of the flags: --cap-add ALL gives every
 * capability but the dropped ones; --cap-drop ALL keeps only the added ones;
 * otherwise the default set minus the dropped plus the added. The result is
 * the bounding, effective and permitted set (the default's three). */
static void apply_caps(ocispec_process *p, const struct spec_opts *o)
{
  if (o->cap_add.len == 0 && o->cap_drop.len == 0)
    return;
  if (p->capabilities == NULL)
    p->capabilities = xcalloc(1, sizeof *p->capabilities);
  ocispec_capabilities *c = p->capabilities;
  struct strv set = { 0 };
  bool add_all = strv_contains(&o->cap_add, "ALL"), drop_all = strv_contains(&o->cap_drop, "ALL");
  if (add_all) {
    size_t n;
    const char *const *known = caps_known_names(&n);
    for (size_t i = 0; i < n; i++)
      if (!strv_contains(&o->cap_drop, known[i]))
        strv_add(&set, xstrdup(known[i]));
  } else {
    if (!drop_all)
      for (size_t i = 0; i < c->bounding_len; i++)
        if (!strv_contains(&o->cap_drop, c->bounding[i]) && !strv_contains(&set, c->bounding[i]))
          strv_add(&set, xstrdup(c->bounding[i]));
    for (size_t i = 0; i < o->cap_add.len; i++)
      if (!strv_contains(&set, o->cap_add.v[i]))
        strv_add(&set, xstrdup(o->cap_add.v[i]));
  }
  set_cap_list(&c->bounding, &c->bounding_len, &set);
  set_cap_list(&c->effective, &c->effective_len, &set);
  set_cap_list(&c->permitted, &c->permitted_len, &set);
  strv_clear(&set);
}

/* docker's --tmpfs defaults (nosuid, nodev, noexec), except where the user's
 * options say the opposite; then the user's options. */
static void add_tmpfs_mount(ocispec_config *cfg, const struct tmpfs_mount *t)
{
  static const char *const defaults[][2] = { { "nosuid", "suid" }, { "nodev", "dev" }, { "noexec", "exec" } };
  cfg->mounts = xrealloc(cfg->mounts, (cfg->mounts_len + 1) * sizeof *cfg->mounts);
  ocispec_mount *m = &cfg->mounts[cfg->mounts_len++];
  memset(m, 0, sizeof *m);
  m->destination = xstrdup(t->destination);
  m->type = xstrdup("tmpfs");
  m->source = xstrdup("tmpfs");
  m->options = xcalloc(ARRAY_SIZE(defaults) + t->options.len + 1, sizeof(char *));
  for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
    if (!strv_contains(&t->options, defaults[i][1]))
      m->options[m->options_len++] = xstrdup(defaults[i][0]);
  for (size_t i = 0; i < t->options.len; i++)
    m->options[m->options_len++] = xstrdup(t->options.v[i]);
}

static void apply_options(ocispec_config *cfg, struct spec_opts *o)
{
  if (o->rootless)
    make_rootless(cfg);
  if (o->rootfs)
    replace_string(&cfg->root->path, o->rootfs);
  if (o->readonly >= 0) {
    cfg->root->readonly = o->readonly;
    cfg->root->has_readonly = true;
  }
  ocispec_process *p = cfg->process;
  if (o->has_args) {
    uoci_strv_free(p->args);
    p->args = steal_ptr(o->args.v);
    p->args_len = o->args.len;
    o->args.len = 0;
  }
  if (o->terminal >= 0) {
    p->terminal = o->terminal;
    p->has_terminal = true;
  }
  for (size_t i = 0; i < o->env.len; i++)
    set_env(p, o->env.v[i]);
  if (o->user)
    apply_user(p, o);
  if (o->cwd)
    replace_string(&p->cwd, o->cwd);
  apply_caps(p, o);
  for (size_t i = 0; i < o->volumes_len; i++)
    add_bind_mount(cfg, &o->volumes[i]);
  for (size_t i = 0; i < o->tmpfs_len; i++)
    add_tmpfs_mount(cfg, &o->tmpfs[i]);
  for (size_t i = 0; i < o->annotations.len; i++) {
    _cleanup_free_ char *key = xstrdup(o->annotations.v[i]);
    char *eq = strchr(key, '=');
    *eq = '\0';
    ocispec_strmap_set(&cfg->annotations, key, eq + 1);
  }
  apply_resources(cfg, o);
  if (o->hostname) {
    replace_string(&cfg->hostname, o->hostname);
    add_namespace(cfg->linux, "uts");
  }
  apply_network(cfg, o);
}

static int write_config(const char *bundle, const ocispec_config *cfg, uoci_error **err)
{
  char *perr = NULL;
  _cleanup_free_ char *json = ocispec_generate(&ocispec_config_type, cfg, true, &perr);
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
  if (write_all(fd, json, strlen(json)) < 0) {
    int saved = errno;
    unlink(path); /* no half-written config left behind */
    return uoci_fail(err, saved, "spec: write %s", path);
  }
  return 0;
}

int cmd_spec(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, 0, 'b' },
    { "rootless", no_argument, 0, OPT_ROOTLESS },
    { "rootfs", required_argument, 0, OPT_ROOTFS },
    { "args", required_argument, 0, OPT_ARGS },
    { "arg", required_argument, 0, OPT_ARG },
    { "env", required_argument, 0, 'e' },
    { "volume", required_argument, 0, 'v' },
    { "memory", required_argument, 0, OPT_MEMORY },
    { "cpus", required_argument, 0, OPT_CPUS },
    { "pids-limit", required_argument, 0, OPT_PIDS },
    { "hostname", required_argument, 0, OPT_HOSTNAME },
    { "network", required_argument, 0, OPT_NETWORK },
    { "publish", required_argument, 0, 'p' },
    { "tty", no_argument, 0, 't' },
    { "no-tty", no_argument, 0, OPT_NO_TTY },
    { "read-only", no_argument, 0, OPT_READ_ONLY },
    { "no-read-only", no_argument, 0, OPT_NO_READ_ONLY },
    { "user", required_argument, 0, 'u' },
    { "cwd", required_argument, 0, OPT_CWD },
    { "cap-add", required_argument, 0, OPT_CAP_ADD },
    { "cap-drop", required_argument, 0, OPT_CAP_DROP },
    { "env-file", required_argument, 0, OPT_ENV_FILE },
    { "tmpfs", required_argument, 0, OPT_TMPFS },
    { "annotation", required_argument, 0, OPT_ANNOTATION },
    { 0, 0, 0, 0 },
  };
  __attribute__((cleanup(spec_opts_free))) struct spec_opts o = { .bundle = ".", .terminal = -1, .readonly = -1 };
  int c;
  while ((c = getopt_long(argc, argv, ":b:e:v:p:tu:", opts, NULL)) != -1) {
    if (c == ':')
      return uoci_fail(err, 0, "spec: option \"%s\" needs a value", argv[optind - 1]);
    if (c == '?')
      return uoci_fail(err, 0, "spec: unknown option \"%s\" (see ulysses-oci spec --help)", argv[optind - 1]);
    if (parse_one(&o, c, optarg, err) < 0)
      return -1;
  }
  if (optind < argc)
    return uoci_fail(err, 0, "spec: unexpected argument \"%s\"", argv[optind]);
  if (check_combination(&o, err) < 0)
    return -1;

  char *perr = NULL;
  ocispec_config *cfg = ocispec_parse(&ocispec_config_type, default_config, sizeof default_config - 1,
                                      "default config", &perr);
  if (cfg == NULL) {
    uoci_fail(err, 0, "%s", perr);
    free(perr);
    return -1;
  }
  add_cgroupns_on_v2(cfg);
  apply_options(cfg, &o);
  int r = write_config(o.bundle, cfg, err);
  ocispec_config_free(cfg);
  return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resctrl.c - see resctrl.h */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mountinfo.h"
#include "resctrl.h"
#include "utils.h"

#define RDT_PATH "config.json: .linux.intelRdt"

/* Names the root of resctrl already uses for itself. */
static const char *const reserved[] = { "info", "mon_groups", "mon_data" };

static bool valid_group_name(const char *s)
{
  if (s == NULL || *s == '\0' || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
    return false;
  for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
    if (strcmp(s, reserved[i]) == 0)
      return false;
  for (const char *p = s; *p; p++)
    if (!isprint((unsigned char) *p) || isspace((unsigned char) *p))
      return false;
  return true;
}

static void push_line(struct resctrl_plan *plan, size_t *n, const char *line)
{
  plan->lines = xrealloc(plan->lines, (*n + 2) * sizeof *plan->lines);
  plan->lines[(*n)++] = xstrdup(line);
  plan->lines[*n] = NULL;
}

int resctrl_plan_from_spec(const ocispec_intel_rdt *rdt, const char *id, struct resctrl_plan *plan,
                           uoci_error **err)
{
  memset(plan, 0, sizeof *plan);
  if (rdt == NULL)
    return 0;
  if (rdt->clos_id && strcmp(rdt->clos_id, "/") != 0 && !valid_group_name(rdt->clos_id))
    return uoci_fail(err, 0, RDT_PATH ".closID: \"%s\" is not a resctrl group name (one path component, not "
                     "info, mon_groups or mon_data; \"/\" is the default group)", rdt->clos_id);
  if (rdt->l3_cache_schema && strchr(rdt->l3_cache_schema, '\n'))
    return uoci_fail(err, 0, RDT_PATH ".l3CacheSchema: must not contain newlines");
  if (rdt->mem_bw_schema && strchr(rdt->mem_bw_schema, '\n'))
    return uoci_fail(err, 0, RDT_PATH ".memBwSchema: must not contain newlines");
  if (rdt->mem_bw_schema && strncmp(rdt->mem_bw_schema, "MB:", 3) != 0)
    return uoci_fail(err, 0, RDT_PATH ".memBwSchema: must start with \"MB:\", got \"%s\"", rdt->mem_bw_schema);
  for (size_t i = 0; i < rdt->schemata_len; i++) {
    if (strchr(rdt->schemata[i], '\n'))
      return uoci_fail(err, 0, RDT_PATH ".schemata[%zu]: must not contain newlines", i);
    if (strchr(rdt->schemata[i], ':') == NULL)
      return uoci_fail(err, 0, RDT_PATH ".schemata[%zu]: expected \"RESOURCE:domain=value;...\", got \"%s\"", i,
                       rdt->schemata[i]);
  }
  plan->present = true;
  plan->id = id;
  plan->own_group = rdt->clos_id == NULL;
  plan->group = rdt->clos_id == NULL ? id : strcmp(rdt->clos_id, "/") == 0 ? "" : rdt->clos_id;
  size_t n = 0;
  if (rdt->l3_cache_schema && *rdt->l3_cache_schema)
    push_line(plan, &n, rdt->l3_cache_schema);
  if (rdt->mem_bw_schema && *rdt->mem_bw_schema)
    push_line(plan, &n, rdt->mem_bw_schema);
  for (size_t i = 0; i < rdt->schemata_len; i++)
    if (*rdt->schemata[i])
      push_line(plan, &n, rdt->schemata[i]);
  /* runtime-spec 1.1 to 1.2.1 asked for monitoring with these two */
  plan->monitoring = (rdt->has_enable_monitoring && rdt->enable_monitoring) ||
                     (rdt->has_enable_cmt && rdt->enable_cmt) || (rdt->has_enable_mbm && rdt->enable_mbm);
  return 0;
}

void resctrl_plan_release(struct resctrl_plan *plan)
{
  uoci_strv_free(plan->lines);
  memset(plan, 0, sizeof *plan);
}

int resctrl_find_root(char **root, uoci_error **err)
{
  struct mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  *root = NULL;
  for (size_t i = 0; i < mi.len && *root == NULL; i++)
    if (mi.e[i].fstype && strcmp(mi.e[i].fstype, "resctrl") == 0)
      *root = xstrdup(mi.e[i].mount_point);
  mountinfo_free(&mi);
  if (*root == NULL)
    return uoci_fail(err, 0, "linux.intelRdt: no resctrl filesystem is mounted (the host needs Intel RDT or AMD "
                     "PQoS and `mount -t resctrl resctrl /sys/fs/resctrl`)");
  return 0;
}

/* ---- files ---------------------------------------------------------------- */

static char *group_path(const struct resctrl_plan *plan, const char *root)
{
  return *plan->group ? xasprintf("%s/%s", root, plan->group) : xstrdup(root);
}

/* Why the kernel refused the last write (info/last_cmd_status), if it says. */
static char *last_cmd_status(const char *root)
{
  _cleanup_free_ char *path = xasprintf("%s/info/last_cmd_status", root);
  char *text = NULL;
  size_t len = 0;
  uoci_error *e = NULL;
  if (read_file_at(AT_FDCWD, path, &text, &len, &e) < 0) {
    uoci_error_free(e);
    return NULL;
  }
  text[strcspn(text, "\n")] = '\0';
  if (*text == '\0' || strcmp(text, "ok") == 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* resctrl makes `schemata` and `tasks` itself in every group; O_CREAT only
 * matters on a plain directory tree (the unit tests' layout). */
static int write_line(const char *root, const char *dir, const char *file, const char *line, uoci_error **err)
{
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return uoci_fail(err, errno, "linux.intelRdt: open %s", path);
  _cleanup_free_ char *text = xasprintf("%s\n", line);
  if (write_all(fd, text, strlen(text)) < 0) {
    int e = errno;
    _cleanup_free_ char *why = last_cmd_status(root);
    return uoci_fail(err, e, "linux.intelRdt: write \"%s\" to %s%s%s", line, path, why ? ": " : "", why ? why : "");
  }
  return 0;
}

/* "RES:dom=val;dom=val": the value of `dom` in it, compared as numbers
 * (cache masks are hex, bandwidth decimal; the kernel prints them its own
 * way: "7f0" for "0x7F0"). */
static bool value_matches(const char *res, const char *want, const char *have)
{
  bool hex = strncmp(res, "MB", 2) != 0;
  char *e1, *e2;
  unsigned long long a = strtoull(want, &e1, hex ? 16 : 10), b = strtoull(have, &e2, hex ? 16 : 10);
  return e1 != want && e2 != have && a == b;
}

/* One domain's value in a schemata line ("0=7ff;1=7ff"), or NULL. */
static const char *domain_value(const char *domains, const char *dom, size_t dom_len)
{
  for (const char *p = domains; p && *p;) {
    while (*p == ' ' || *p == ';')
      p++;
    if (strncmp(p, dom, dom_len) == 0 && p[dom_len] == '=')
      return p + dom_len + 1;
    p = strchr(p, ';');
  }
  return NULL;
}

/* Whether the group's schemata file already says what `line` asks (the
 * spec: an existing closID group is compared, not written). */
static bool schemata_has(const char *file, const char *line)
{
  const char *colon = strchr(line, ':');
  size_t res_len = (size_t) (colon - line);
  while (res_len && line[res_len - 1] == ' ')
    res_len--;
  const char *res = line;
  while (*res == ' ')
    res++, res_len--;
  /* the file's line for this resource */
  const char *found = NULL;
  for (const char *l = file; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    const char *s = l;
    while (*s == ' ')
      s++;
    if (strncmp(s, res, res_len) == 0 && (s[res_len] == ':' || s[res_len] == ' ')) {
      found = strchr(s, ':') + 1;
      break;
    }
  }
  if (found == NULL)
    return false;
  _cleanup_free_ char *have = xasprintf("%.*s", (int) strcspn(found, "\n"), found);
  for (const char *p = colon + 1; *p;) {
    while (*p == ' ' || *p == ';')
      p++;
    if (*p == '\0')
      break;
    const char *eq = strchr(p, '=');
    if (eq == NULL)
      return false;
    const char *v = domain_value(have, p, (size_t) (eq - p));
    if (v == NULL || !value_matches(res, eq + 1, v))
      return false;
    p = strchr(eq, ';');
    if (p == NULL)
      break;
  }
  return true;
}

static int check_existing(const struct resctrl_plan *plan, const char *dir, uoci_error **err)
{
  _cleanup_free_ char *path = xasprintf("%s/schemata", dir);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (plan->lines && plan->lines[0] && read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
    return uoci_error_prefix(err, "linux.intelRdt");
  for (char **l = plan->lines; l && *l; l++)
    if (!schemata_has(text, *l))
      return uoci_fail(err, 0, RDT_PATH ": the existing group \"%s\" does not have \"%s\" in its schemata",
                       *plan->group ? plan->group : "/", *l);
  return 0;
}

int resctrl_prepare(const struct resctrl_plan *plan, const char *root, uoci_error **err)
{
  if (!plan->present)
    return 0;
  _cleanup_free_ char *dir = group_path(plan, root);
  bool made = false;
  if (plan->own_group) {
    /* ours alone: an existing one would be removed at our delete */
    if (mkdir(dir, 0755) < 0)
      return uoci_fail(err, errno, "linux.intelRdt: create group %s", dir);
    made = true;
  } else if (*plan->group && access(dir, F_OK) < 0) {
    if (errno != ENOENT)
      return uoci_fail(err, errno, "linux.intelRdt: group %s", dir);
    if (plan->lines == NULL || plan->lines[0] == NULL)
      return uoci_fail(err, 0, RDT_PATH ".closID: no group \"%s\" in %s, and no schemata to create it with",
                       plan->group, root);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
      return uoci_fail(err, errno, "linux.intelRdt: create group %s", dir);
    made = true;
  }
  if (made) {
    for (char **l = plan->lines; l && *l; l++)
      if (write_line(root, dir, "schemata", *l, err) < 0)
        goto undo;
  } else if (check_existing(plan, dir, err) < 0) {
    return -1;
  }
  if (plan->monitoring) {
    /* resctrl has mon_groups in the root (and in every group it makes)
     * when the hardware can monitor */
    _cleanup_free_ char *root_mon = xasprintf("%s/mon_groups", root);
    _cleanup_free_ char *mon = xasprintf("%s/mon_groups", dir);
    _cleanup_free_ char *mine = xasprintf("%s/%s", mon, plan->id);
    if (access(root_mon, F_OK) < 0) {
      uoci_fail(err, 0, RDT_PATH ".enableMonitoring: %s has no mon_groups (no monitoring on this host)", root);
      goto undo;
    }
    if ((mkdir(mon, 0755) < 0 && errno != EEXIST) || mkdir(mine, 0755) < 0) {
      uoci_fail(err, errno, "linux.intelRdt.enableMonitoring: create MON group %s", mine);
      goto undo;
    }
  }
  return 0;
undo:
  if (made && plan->own_group)
    rmdir(dir);
  return -1;
}

int resctrl_join(const struct resctrl_plan *plan, const char *root, pid_t pid, uoci_error **err)
{
  if (!plan->present)
    return 0;
  _cleanup_free_ char *dir = group_path(plan, root);
  char buf[32];
  snprintf(buf, sizeof buf, "%d", (int) pid);
  if (write_line(root, dir, "tasks", buf, err) < 0)
    return -1;
  if (plan->monitoring) {
    _cleanup_free_ char *mine = xasprintf("%s/mon_groups/%s", dir, plan->id);
    if (write_line(root, mine, "tasks", buf, err) < 0)
      return -1;
  }
  return 0;
}

int resctrl_remove(const struct resctrl_plan *plan, const char *root, uoci_error **err)
{
  if (!plan->present)
    return 0;
  _cleanup_free_ char *dir = group_path(plan, root);
  if (plan->monitoring) {
    _cleanup_free_ char *mine = xasprintf("%s/mon_groups/%s", dir, plan->id);
    if (rmdir(mine) < 0 && errno != ENOENT)
      return uoci_fail(err, errno, "linux.intelRdt: remove MON group %s", mine);
  }
  if (plan->own_group && rmdir(dir) < 0 && errno != ENOENT)
    return uoci_fail(err, errno, "linux.intelRdt: remove group %s", dir);
  return 0;
}

int resctrl_update(const struct resctrl_plan *plan, const char *root, const char *l3, const char *mb,
                   uoci_error **err)
{
  if (!plan->present)
    return uoci_fail(err, 0, "update: the container has no linux.intelRdt: there is no resctrl group to update");
  if ((l3 && strchr(l3, '\n')) || (mb && strchr(mb, '\n')))
    return uoci_fail(err, 0, "update: --l3-cache-schema and --mem-bw-schema take one line");
  if (l3 && strncmp(l3, "L3", 2) != 0)
    return uoci_fail(err, 0, "update: --l3-cache-schema: must start with \"L3\", got \"%s\"", l3);
  if (mb && strncmp(mb, "MB:", 3) != 0)
    return uoci_fail(err, 0, "update: --mem-bw-schema: must start with \"MB:\", got \"%s\"", mb);
  _cleanup_free_ char *dir = group_path(plan, root);
  if (l3 && write_line(root, dir, "schemata", l3, err) < 0)
    return -1;
  if (mb && write_line(root, dir, "schemata", mb, err) < 0)
    return -1;
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cnirun.c - see cnirun.h. */
#define _GNU_SOURCE
#include "cnirun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cniexec.h"
#include "cniutil.h"

#define DEFAULT_CONFDIR "/etc/cni/net.d"
#define DEFAULT_CNI_PATH "/opt/cni/bin:/usr/libexec/cni:/usr/lib/cni"
#define DEFAULT_CACHE_DIR "/var/lib/ulysses-cni/results"

static int fail(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **errmsg, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (errmsg && !*errmsg && vasprintf(errmsg, fmt, ap) < 0)
    *errmsg = NULL;
  va_end(ap);
  return -1;
}

static bool conf_name(const char *n)
{
  size_t l = strlen(n);
  return n[0] != '.' && ((l > 9 && !strcmp(n + l - 9, ".conflist")) || (l > 5 && !strcmp(n + l - 5, ".conf")) ||
                         (l > 5 && !strcmp(n + l - 5, ".json")));
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static bool is_conflist(const char *n)
{
  size_t l = strlen(n);
  return l > 9 && !strcmp(n + l - 9, ".conflist");
}

/* A conflist's top level is a Go map to libcni (exact keys); a plugin's
 * config is a Go struct (keys matched as json_get does). */
static const char *exact_str(yajl_val obj, const char *key)
{
  yajl_val v = json_get_exact(obj, key);
  return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* A single-plugin .conf/.json as the one-plugin list libcni makes of it
 * (ConfListFromConf): its name and cniVersion, and itself as "plugins". */
static yajl_val as_conflist(yajl_val conf)
{
  const char *name = json_get_str(conf, "name"), *version = json_get_str(conf, "cniVersion");
  struct sbuf b = {0};
  sb_add(&b, "{\"name\":");
  sb_json_str(&b, name ? name : "");
  if (version) {
    sb_add(&b, ",\"cniVersion\":");
    sb_json_str(&b, version);
  }
  sb_add(&b, ",\"plugins\":[");
  sb_json_value(&b, conf);
  sb_add(&b, "]}");
  yajl_val list = json_tree_parse(b.s, NULL, 0);
  free(b.s);
  yajl_tree_free(conf);
  return list;
}

/* The network whose "name" is `network` (first file in lexical order), as a
 * conflist. */
static yajl_val load_network(const char *confdir, const char *network, char **errmsg)
{
  struct dirent **ents = NULL;
  int n = scandir(confdir, &ents, NULL, by_name);
  yajl_val found = NULL;
  if (n < 0) {
    fail(errmsg, "CNI config dir %s: %s", confdir, strerror(errno));
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    if (!found && conf_name(ents[i]->d_name)) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", confdir, ents[i]->d_name);
      _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
      _cleanup_free_ char *text = fd >= 0 ? read_all_fd(fd, NULL) : NULL;
      yajl_val v = text ? json_tree_parse(text, NULL, 0) : NULL;
      if (v && YAJL_IS_OBJECT(v) && !is_conflist(ents[i]->d_name))
        v = as_conflist(v);
      const char *name = exact_str(v, "name");
      if (name && !strcmp(name, network))
        found = v;
      else if (v)
        yajl_tree_free(v);
    }
    free(ents[i]);
  }
  free(ents);
  if (!found)
    fail(errmsg, "CNI network %s not found in %s", network, confdir);
  return found;
}

struct invocation {
  const char *cni_path, *cid, *netns, *ifname, *pm;
  const char *version, *network;
};

/* The stdin of one plugin: its own keys plus name, cniVersion, runtimeConfig
 * (for the capabilities it declares) and prevResult. */
static char *plugin_input(const struct invocation *inv, yajl_val plugin, const char *prev)
{
  struct sbuf b = {0};
  sb_add(&b, "{\"cniVersion\":");
  sb_json_str(&b, inv->version);
  sb_add(&b, ",\"name\":");
  sb_json_str(&b, inv->network);
  for (size_t i = 0; i < plugin->u.object.len; i++) {
    const char *k = plugin->u.object.keys[i];
    /* libcni sets these four (the plugin, decoding keys as Go does, sees its
     * value and never a same-named key of the plugin's own config) */
    if (json_key_matches(k, "cniVersion") || json_key_matches(k, "name") || json_key_matches(k, "runtimeConfig") ||
        json_key_matches(k, "prevResult"))
      continue;
    sb_add(&b, ",");
    sb_json_str(&b, k);
    sb_add(&b, ":");
    sb_json_value(&b, plugin->u.object.values[i]);
  }
  yajl_val pm_cap = json_get_exact(json_get_obj(plugin, "capabilities"), "portMappings"); /* a map entry */
  if (inv->pm && pm_cap && YAJL_IS_TRUE(pm_cap))
    sb_printf(&b, ",\"runtimeConfig\":{\"portMappings\":%s}", inv->pm);
  if (prev && *prev)
    sb_printf(&b, ",\"prevResult\":%s", prev);
  sb_add(&b, "}");
  return sb_steal(&b);
}

static int invoke(const struct invocation *inv, yajl_val plugin, const char *cmd, const char *prev, char **out,
                  char **errmsg)
{
  const char *type = json_get_str(plugin, "type");
  _cleanup_free_ char *bin = cni_find_plugin(type, inv->cni_path);
  if (!bin)
    return fail(errmsg, "CNI plugin %s not found in %s", type ? type : "(no type)", inv->cni_path);
  _cleanup_free_ char *input = plugin_input(inv, plugin, prev);
  struct cni_env env = {cmd, inv->cid, inv->netns, inv->ifname, NULL, inv->cni_path};
  struct cni_error e = {0};
  if (cni_exec_plugin(bin, cmd, &env, input, out, &e) < 0)
    return fail(errmsg, "CNI %s %s on network %s: %s (code %d)", type, cmd, inv->network, e.msg, e.code);
  return 0;
}

/* Plugins of the network: its "plugins" array, or the file itself. */
static size_t plugins_of(yajl_val net, yajl_val **list)
{
  yajl_val arr = json_get_exact(net, "plugins");
  if (arr && YAJL_IS_ARRAY(arr)) {
    *list = arr->u.array.values;
    return arr->u.array.len;
  }
  *list = NULL;
  return 1;
}

static yajl_val plugin_at(yajl_val net, yajl_val *list, size_t i) { return list ? list[i] : net; }

static char *cache_path(const char *network, const char *cid, const char *ifname)
{
  const char *dir = getenv("ULYSSES_CNI_CACHE_DIR");
  char *p;
  if (asprintf(&p, "%s/%s-%s-%s.json", dir && *dir ? dir : DEFAULT_CACHE_DIR, network, cid, ifname) < 0)
    return NULL;
  return p;
}

static void mkdirs_for(const char *file)
{
  _cleanup_free_ char *p = strdup(file);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      mkdir(p, 0700);
      *s = '/';
    }
}

/* A network namespace's identity: its nsfs inode (same for every path to it). */
static char *netns_id(const char *netns_path)
{
  struct stat st;
  char *id;
  if (stat(netns_path, &st) < 0 || asprintf(&id, "%llu:%llu", (unsigned long long)st.st_dev,
                                            (unsigned long long)st.st_ino) < 0)
    return NULL;
  return id;
}

static void cache_store(const char *path, const char *result, const char *pm, const char *netns)
{
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  mkdirs_for(path);
  FILE *f = fopen(tmp, "we");
  if (!f)
    return;
  fprintf(f, "{\"result\":%s,\"portMappings\":%s,\"netns\":", result, pm ? pm : "null");
  if (netns) {
    struct sbuf b = {0};
    sb_json_str(&b, netns);
    fputs(b.s, f);
    free(b.s);
  } else {
    fputs("null", f);
  }
  fputs("}\n", f);
  if (fflush(f) == 0 && fsync(fileno(f)) == 0 && fclose(f) == 0)
    rename(tmp, path);
  else
    unlink(tmp);
}

/* JSON text re-serialised, so that two texts of one value compare equal. */
static char *json_canonical(const char *text)
{
  _cleanup_json_ yajl_val v = text ? json_tree_parse(text, NULL, 0) : NULL;
  struct sbuf b = {0};
  sb_json_value(&b, v);
  return sb_steal(&b);
}

/* The result of an ADD already made for this attachment (network, container,
 * ifname) in this very network namespace, with the same port mappings; NULL
 * if there is none. The runtime wires a network from the annotations itself,
 * and the same config may carry ulysses-cni-hook for runc and crun: its ADD
 * must then find the attachment made rather than fail on the existing
 * interface. */
static char *cached_attachment(const char *cache, const char *netns_path, const char *pm)
{
  _cleanup_close_ int fd = cache ? open(cache, O_RDONLY | O_CLOEXEC) : -1;
  _cleanup_free_ char *text = fd >= 0 ? read_all_fd(fd, NULL) : NULL;
  _cleanup_json_ yajl_val cached = text ? json_tree_parse(text, NULL, 0) : NULL;
  const char *ns = json_get_str(cached, "netns");
  _cleanup_free_ char *id = ns ? netns_id(netns_path) : NULL;
  yajl_val r = json_get_obj(cached, "result");
  if (!id || strcmp(id, ns) != 0 || !r)
    return NULL;
  struct sbuf old_pm = {0};
  sb_json_value(&old_pm, json_get(cached, "portMappings"));
  _cleanup_free_ char *new_pm = json_canonical(pm);
  bool same = strcmp(old_pm.s, new_pm) == 0;
  free(old_pm.s);
  if (!same)
    return NULL;
  struct sbuf b = {0};
  sb_json_value(&b, r);
  return sb_steal(&b);
}

static int validate(const char *network, const char *cid, const char *ifname, char **errmsg)
{
  if (!network || !cni_valid_network_name(network))
    return fail(errmsg, "invalid CNI network name \"%s\"", network ? network : "");
  if (!cid || !cni_valid_container_id(cid))
    return fail(errmsg, "invalid container id \"%s\"", cid ? cid : "");
  if (!cni_valid_ifname(ifname))
    return fail(errmsg, "invalid interface name \"%s\"", ifname);
  return 0;
}

static int del_plugins(const struct invocation *inv, yajl_val net, size_t upto, const char *prev, char **errmsg)
{
  yajl_val *list;
  int r = 0;
  (void)plugins_of(net, &list);
  for (size_t i = upto; i-- > 0;) {
    _cleanup_free_ char *out = NULL;
    if (invoke(inv, plugin_at(net, list, i), "DEL", prev, &out, errmsg) < 0)
      r = -1; /* keep going: free what the other plugins hold */
  }
  return r;
}

int cnirun_add(const char *confdir, const char *network, const char *cni_path, const char *container_id,
               const char *netns_path, const char *ifname, const char *portmappings_json, char **result_json,
               char **errmsg)
{
  if (errmsg)
    *errmsg = NULL;
  if (result_json)
    *result_json = NULL;
  ifname = ifname ? ifname : "eth0";
  if (validate(network, container_id, ifname, errmsg) < 0)
    return -1;
  if (!netns_path || !*netns_path)
    return fail(errmsg, "CNI ADD needs a network namespace path");
  _cleanup_json_ yajl_val net = load_network(confdir ? confdir : DEFAULT_CONFDIR, network, errmsg);
  if (!net)
    return -1;
  struct invocation inv = {cni_path ? cni_path : DEFAULT_CNI_PATH, container_id, netns_path, ifname,
                           portmappings_json, exact_str(net, "cniVersion"), network};
  if (!inv.version)
    return fail(errmsg, "CNI network %s has no cniVersion", network);
  _cleanup_free_ char *cache = cache_path(network, container_id, ifname);
  char *made = cached_attachment(cache, netns_path, portmappings_json);
  if (made) {
    if (result_json)
      *result_json = made;
    else
      free(made);
    return 0;
  }
  yajl_val *list;
  size_t n = plugins_of(net, &list);
  char *prev = NULL;
  for (size_t i = 0; i < n; i++) {
    char *out = NULL;
    if (invoke(&inv, plugin_at(net, list, i), "ADD", prev, &out, errmsg) < 0) {
      /* undo what the plugins before it made. Not the failed one: a plugin
       * cleans up its own failed ADD (ours do), and its DEL would remove
       * the attachment a refused duplicate ADD names but did not make (the
       * bridge's "already attached" / "interface exists": a DEL took the
       * first container's veth, lease and rules) */
      del_plugins(&inv, net, i, prev, NULL);
      free(prev);
      return -1;
    }
    free(prev);
    prev = out;
  }
  _cleanup_free_ char *ns = netns_id(netns_path);
  if (cache)
    cache_store(cache, prev && *prev ? prev : "null", portmappings_json, ns);
  if (result_json)
    *result_json = prev;
  else
    free(prev);
  return 0;
}

int cnirun_del(const char *confdir, const char *network, const char *cni_path, const char *container_id,
               const char *netns_path, const char *ifname, const char *portmappings_json, char **errmsg)
{
  if (errmsg)
    *errmsg = NULL;
  ifname = ifname ? ifname : "eth0";
  if (validate(network, container_id, ifname, errmsg) < 0)
    return -1;
  _cleanup_json_ yajl_val net = load_network(confdir ? confdir : DEFAULT_CONFDIR, network, errmsg);
  if (!net)
    return -1;
  _cleanup_free_ char *cache = cache_path(network, container_id, ifname);
  _cleanup_close_ int cfd = cache ? open(cache, O_RDONLY | O_CLOEXEC) : -1;
  _cleanup_free_ char *ctext = cfd >= 0 ? read_all_fd(cfd, NULL) : NULL;
  _cleanup_json_ yajl_val cached = ctext ? json_tree_parse(ctext, NULL, 0) : NULL;
  struct sbuf prev = {0}, pm = {0};
  yajl_val r = json_get_obj(cached, "result"), p = json_get_arr(cached, "portMappings");
  if (r)
    sb_json_value(&prev, r);
  if (!portmappings_json && p) {
    sb_json_value(&pm, p);
    portmappings_json = pm.s;
  }
  /* a netns that is gone is passed as "": plugins then only free state */
  const char *nsp = netns_path && *netns_path && access(netns_path, F_OK) == 0 ? netns_path : "";
  struct invocation inv = {cni_path ? cni_path : DEFAULT_CNI_PATH, container_id, nsp, ifname,
                           portmappings_json, exact_str(net, "cniVersion"), network};
  if (!inv.version) {
    free(prev.s);
    free(pm.s);
    return fail(errmsg, "CNI network %s has no cniVersion", network);
  }
  yajl_val *list;
  int rc = del_plugins(&inv, net, plugins_of(net, &list), prev.s, errmsg);
  if (rc == 0 && cache)
    unlink(cache);
  free(prev.s);
  free(pm.s);
  return rc;
}

/* A port at *p: 1 to 65535 in decimal digits only (sscanf's %u took a sign,
 * and wrapped 4294967376 to 80); advances *p. */
static bool port_at(const char **p, unsigned *out)
{
  unsigned v = 0;
  const char *s = *p;
  for (; *s >= '0' && *s <= '9' && v <= 65535; s++)
    v = v * 10 + (unsigned) (*s - '0');
  if (s == *p || v < 1 || v > 65535)
    return false;
  *p = s, *out = v;
  return true;
}

/* "8080:80/tcp,53:53/udp" -> JSON array; NULL on a malformed entry. */
/* "[ADDR]:" or "a.b.c.d:" in front of HOST:CTR (as docker's -p): the host
 * address, its length in *len (0: none); false when malformed. */
static bool ports_host_ip(const char *item, char ip[IP_STRLEN], int *len)
{
  ipaddr_t a;
  const char *end;
  *len = 0;
  ip[0] = '\0';
  if (*item == '[') {
    end = strchr(item, ']');
    if (!end || end[1] != ':' || end - item - 1 >= IP_STRLEN)
      return false;
    snprintf(ip, IP_STRLEN, "%.*s", (int)(end - item - 1), item + 1);
    *len = (int)(end - item) + 2;
    return ip_parse(ip, &a) && !ip_is4(a);
  }
  end = strchr(item, ':');
  if (!end || !strchr(end + 1, ':'))
    return true; /* HOST:CTR only */
  if (end - item >= IP_STRLEN)
    return false;
  snprintf(ip, IP_STRLEN, "%.*s", (int)(end - item), item);
  *len = (int)(end - item) + 1;
  return ip_parse(ip, &a) && ip_is4(a);
}

char *cnirun_ports_json(const char *spec)
{
  struct sbuf b = {0};
  _cleanup_free_ char *copy = strdup(spec);
  char *save = NULL;
  int n = 0;
  sb_add(&b, "[");
  for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    unsigned hp, cp;
    char proto[8] = "tcp", hip[IP_STRLEN];
    int skip = 0;
    while (*item == ' ')
      item++;
    bool host_ok = ports_host_ip(item, hip, &skip);
    const char *q = item + skip;
    if (!host_ok || !port_at(&q, &hp) || *q++ != ':' || !port_at(&q, &cp) ||
        (*q && (*q != '/' || sscanf(q + 1, "%7[a-z]", proto) != 1))) {
      free(b.s);
      return NULL;
    }
    sb_printf(&b, "%s{\"hostPort\":%u,\"containerPort\":%u,\"protocol\":\"%s\"", n++ ? "," : "", hp, cp, proto);
    if (*hip)
      sb_printf(&b, ",\"hostIP\":\"%s\"", hip);
    sb_add(&b, "}");
  }
  sb_add(&b, "]");
  return sb_steal(&b);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cni_config.c - unit tests of how the CNI plugins read their JSON:
 * keys matched as Go's encoding/json matches them (the reference plugins and
 * libcni decode into Go structs), containerd 1.6's runtimeConfig as it is
 * really sent, and DEL reading only what locates an attachment. bridge.c is
 * included so its static parsers can be called (as the fuzz target does). */
#define main ulysses_cni_bridge_main
#include "bridge.c"
#undef main
#include <sys/wait.h>
#include "cnirun.h"
#include "tap.h"

/* What containerd 1.6.20's CRI plugin (go-cni, libcni 1.1) wrote on the
 * plugin's stdin for a pod with a hostPort, captured byte for byte (only the
 * dataDir is changed): keys sorted by libcni's map marshalling, the port
 * mappings in go-cni's PortMapping struct, which has no json tags. */
static const char CONTAINERD_ADD[] =
    "{\"bridge\":\"critest0\",\"capabilities\":{\"portMappings\":true},\"cniVersion\":\"1.0.0\","
    "\"hairpinMode\":true,\"ipMasq\":true,\"ipam\":{\"dataDir\":\"/nonexistent/cni-ipam\",\"ranges\":[[{"
    "\"gateway\":\"10.88.93.1\",\"subnet\":\"10.88.93.0/24\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
    "\"type\":\"ulysses-ipam\"},\"isGateway\":true,\"name\":\"critest\",\"runtimeConfig\":{\"portMappings\":"
    "[{\"HostPort\":12000,\"ContainerPort\":80,\"Protocol\":\"tcp\",\"HostIP\":\"\"}]},"
    "\"type\":\"ulysses-cni-bridge\"}";

static yajl_val parse(const char *text)
{
  yajl_val v = yajl_tree_parse(text, NULL, 0);
  if (!v)
    printf("# cannot parse test input: %s\n", text);
  return v;
}

static void test_key_matching(void)
{
  static const struct {
    const char *key, *field;
    bool match;
  } cases[] = {
      {"hostPort", "hostPort", true},
      {"HostPort", "hostPort", true},
      {"HOSTPORT", "hostPort", true},
      {"hostport", "hostPort", true},
      {"HostIp", "hostIP", true}, /* the CRI's own spelling */
      {"host_port", "hostPort", false},
      {"hostPorts", "hostPort", false},
      {"hostPor", "hostPort", false},
      {"", "hostPort", false},
      {"hostPort", "", false},
      {"\xe2\x84\xaa" "ey", "key", true},   /* U+212A KELVIN SIGN folds to k in Go */
      {"\xc5\xbf" "ubnet", "subnet", true}, /* U+017F LONG S folds to s */
      {"\xc5\xbf" "ey", "key", false},
      {"\xc3\xa9", "e", false},
      {"CNI.DEV/Valid-Attachments", "cni.dev/valid-attachments", true},
      {"cni.dev/valid_attachments", "cni.dev/valid-attachments", false},
      {"cni-dev/valid-attachments", "cni.dev/valid-attachments", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ok(json_key_matches(cases[i].key, cases[i].field) == cases[i].match, "key \"%s\" %s field %s", cases[i].key,
       cases[i].match ? "matches" : "does not match", cases[i].field);

  yajl_val v = parse("{\"mtu\":1,\"MTU\":2,\"Name\":\"a\",\"name\":\"b\"}");
  is_int(YAJL_GET_INTEGER(json_get(v, "mtu")), 2, "duplicate keys: the last match wins, as in Go");
  is_str(json_get_str(v, "name"), "b", "exact and folded keys are equal candidates; the last wins");
  is_int(YAJL_GET_INTEGER(json_get_exact(v, "mtu")), 1, "json_get_exact ignores other cases (map keys)");
  ok(json_get_exact(v, "NAME") == NULL, "json_get_exact: no folding");
  yajl_tree_free(v);
}

static void test_containerd_portmappings(void)
{
  yajl_val root = parse(CONTAINERD_ADD);
  struct conf c;
  struct cni_error e = {0};
  int r = parse_conf(root, "1.0.0", &c, &e);
  is_int(r, 0, "containerd 1.6's ADD config parses (%s)", e.msg);
  is_int(c.npm, 1, "one port mapping");
  if (c.npm == 1) {
    is_int(c.pm[0].host_port, 12000, "HostPort");
    is_int(c.pm[0].container_port, 80, "ContainerPort");
    is_str(c.pm[0].proto, "tcp", "Protocol");
    ok(c.pm[0].host_ip == 0 && c.pm[0].family == 4,
       "HostIP \"\" means every local address (of IPv4, the one family of this network)");
  }
  ok(c.is_gw && c.ip_masq && c.hairpin, "isGateway, ipMasq, hairpinMode");
  is_str(c.bridge, "critest0", "bridge");
  is_int(c.ic.nsets, 1, "one range set");
  conf_free(&c);
  yajl_tree_free(root);
}

static int portmaps(const char *json, struct fw_portmap **pm, size_t *n, struct cni_error *e)
{
  yajl_val v = parse(json);
  int r = fw_parse_portmaps(v, pm, n, e);
  yajl_tree_free(v);
  return r;
}

static void test_portmap_entries(void)
{
  struct fw_portmap *pm = NULL;
  size_t n = 0;
  struct cni_error e = {0};
  int r = portmaps("[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"udp\",\"hostIP\":\"127.0.0.1\"},"
                   "{\"HOSTPORT\":53,\"containerport\":5353,\"PROTOCOL\":\"SCTP\",\"HostIp\":\"0.0.0.0\"}]",
                   &pm, &n, &e);
  is_int(r, 0, "mixed-case entries parse (%s)", e.msg);
  is_int(n, 2, "two entries");
  if (n == 2) {
    ipaddr_t lo = 0;
    ip_parse("127.0.0.1", &lo);
    ok(pm[0].host_ip == lo && !strcmp(pm[0].proto, "udp"), "hostIP and protocol of the first");
    ok(pm[1].host_port == 53 && pm[1].container_port == 5353 && !strcmp(pm[1].proto, "sctp") && pm[1].host_ip == 0,
       "upper-case keys and protocol; 0.0.0.0 is every address");
  }
  free(pm);

  r = portmaps("[{\"Host_Port\":8080,\"ContainerPort\":80}]", &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "a key Go would not match is not a hostPort: code 7 (%s)", e.msg);
  free(pm);
  r = portmaps("[{\"HostPort\":0,\"ContainerPort\":80}]", &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "HostPort 0 is refused");
  free(pm);
  r = portmaps("[{\"HostPort\":\"8080\",\"ContainerPort\":80}]", &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "a string port is refused, as Go's int field refuses it");
  free(pm);

  /* one host port twice: the second DNAT rule could never match */
  r = portmaps("[{\"hostPort\":8080,\"containerPort\":80},{\"hostPort\":8081,\"containerPort\":80},"
               "{\"hostPort\":8080,\"containerPort\":81,\"protocol\":\"TCP\"}]", &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG &&
         !strcmp(e.msg, "portMappings[2]: host port tcp/8080 is already mapped by an earlier entry"),
     "a host port mapped twice is refused (%s)", e.msg);
  free(pm);
  r = portmaps("[{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"10.0.0.1\"},"
               "{\"hostPort\":8080,\"containerPort\":80}]", &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "one of them on every address overlaps one on an address");
  free(pm);
  r = portmaps("[{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"10.0.0.1\"},"
               "{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"10.0.0.2\"},"
               "{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"udp\"},"
               "{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"sctp\"}]", &pm, &n, &e);
  ok(r == 0 && n == 4, "one port on two host addresses, or in other protocols, is four mappings (%s)", e.msg);
  free(pm);
}

/* Which family a mapping takes (as the reference portmap), and how the
 * built-in IPAM's families narrow the mappings before the host-port checks. */
static void test_portmap_families(void)
{
  struct fw_portmap *pm = NULL;
  size_t n = 0;
  struct cni_error e = {0};
  ipaddr_t a = 0;
  int r = portmaps("[{\"hostPort\":1,\"containerPort\":80},{\"hostPort\":2,\"containerPort\":80,\"hostIP\":\"::\"},"
                   "{\"hostPort\":3,\"containerPort\":80,\"hostIP\":\"0.0.0.0\"},"
                   "{\"hostPort\":4,\"containerPort\":80,\"hostIP\":\"fd00::1\"}]", &pm, &n, &e);
  ip_parse("fd00::1", &a);
  ok(r == 0 && n == 4 && pm[0].family == 0 && pm[1].family == 6 && !pm[1].host_ip && pm[2].family == 4 &&
         !pm[2].host_ip && pm[3].family == 6 && pm[3].host_ip == a,
     "hostIP \"\": both families; \"::\": every IPv6 address; \"0.0.0.0\": every IPv4 one; an address: its family");
  free(pm);
  r = portmaps("[{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"0.0.0.0\"},"
               "{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"::\"}]", &pm, &n, &e);
  ok(r == 0 && n == 2, "one port on 0.0.0.0 and on :: is two mappings (%s)", e.msg);
  free(pm);
  r = portmaps("[{\"hostPort\":8080,\"containerPort\":80},{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"::1\"}]",
               &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "but \"\" and ::1 overlap (%s)", e.msg);
  free(pm);
  r = portmaps("[{\"hostPort\":8080,\"containerPort\":80,\"hostIP\":\"::ffff:10.0.0.1\"}]", &pm, &n, &e);
  ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "an IPv4-mapped hostIP is refused (%s)", e.msg);
  free(pm);

  yajl_val root = parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n6\",\"type\":\"ulysses-cni-bridge\","
                        "\"ipam\":{\"type\":\"ulysses-ipam\",\"ranges\":[[{\"subnet\":\"fd00:5::/64\"}]]},"
                        "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":1,\"containerPort\":80},"
                        "{\"hostPort\":2,\"containerPort\":80,\"hostIP\":\"0.0.0.0\"},"
                        "{\"hostPort\":3,\"containerPort\":80,\"hostIP\":\"::1\"}]}}");
  struct conf c;
  e = (struct cni_error){0};
  r = parse_conf(root, "1.1.0", &c, &e);
  ok(r == 0 && c.npm == 2 && c.pm[0].host_port == 1 && c.pm[0].family == 6 && c.pm[1].host_port == 3,
     "an IPv6-only network: \"\" becomes IPv6, the 0.0.0.0 mapping goes (%s)", e.msg);
  conf_free(&c);
  yajl_tree_free(root);
  root = parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n6\",\"type\":\"ulysses-cni-bridge\","
               "\"ipam\":{\"type\":\"ulysses-ipam\","
               "\"ranges\":[[{\"subnet\":\"10.5.0.0/24\"}],[{\"subnet\":\"fd00:5::/64\"}]]},"
               "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":1,\"containerPort\":80}]}}");
  r = parse_conf(root, "1.1.0", &c, &e);
  ok(r == 0 && c.npm == 1 && c.pm[0].family == 0, "a dual-stack network keeps \"\" for both (%s)", e.msg);
  conf_free(&c);
  yajl_tree_free(root);
}

/* org.ulysses.ports: HOST:CTR[/PROTO], with a host address in front as
 * docker's -p; without one, both families. */
static void test_ports_annotation(void)
{
  char *j = cnirun_ports_json("8080:80, 127.0.0.1:8081:81/udp,[::1]:8082:82/sctp,[::]:8083:83");
  is_str(j ? j : "(null)",
         "[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"},"
         "{\"hostPort\":8081,\"containerPort\":81,\"protocol\":\"udp\",\"hostIP\":\"127.0.0.1\"},"
         "{\"hostPort\":8082,\"containerPort\":82,\"protocol\":\"sctp\",\"hostIP\":\"::1\"},"
         "{\"hostPort\":8083,\"containerPort\":83,\"protocol\":\"tcp\",\"hostIP\":\"::\"}]",
         "plain, an IPv4 host address, [IPv6] ones");
  free(j);
  const char *bad[] = {"::1:8080:80", "[::1:8080:80", "[10.0.0.1]:8080:80", "fd00::1]:1:2", "1.2.3:8080:80",
                       "[::1]8080:80", "127.0.0.1:8080", "x:1:2"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    j = cnirun_ports_json(bad[i]);
    ok(j == NULL, "refused: %s", bad[i]);
    free(j);
  }
}

/* Every key of the bridge and IPAM configs in another case, as a Go
 * decoder would accept them. */
static void test_folded_config(void)
{
  yajl_val root = parse("{\"cniVersion\":\"1.1.0\",\"Name\":\"n1\",\"Type\":\"ulysses-cni-bridge\","
                        "\"Bridge\":\"br7\",\"IsGateway\":true,\"ISDEFAULTGATEWAY\":true,\"IPMasq\":true,"
                        "\"MTU\":1400,\"HairpinMode\":true,\"PromiscMode\":true,\"Vlan\":0,"
                        "\"IPAM\":{\"Type\":\"ulysses-ipam\",\"DataDir\":\"/nonexistent/d\","
                        "\"Ranges\":[[{\"Subnet\":\"10.1.2.0/24\",\"RangeStart\":\"10.1.2.10\","
                        "\"RangeEnd\":\"10.1.2.20\",\"Gateway\":\"10.1.2.254\"}]],"
                        "\"Routes\":[{\"Dst\":\"10.9.0.0/16\",\"GW\":\"10.1.2.254\"}]},"
                        "\"RuntimeConfig\":{\"PortMappings\":[{\"hostport\":81,\"containerport\":80}]},"
                        "\"PrevResult\":{\"IPs\":[{\"Address\":\"10.1.2.10/24\",\"Gateway\":\"10.1.2.254\"}],"
                        "\"Routes\":[{\"Dst\":\"0.0.0.0/0\"}]}}");
  struct conf c;
  struct cni_error e = {0};
  int r = parse_conf(root, "1.1.0", &c, &e);
  is_int(r, 0, "a config with every key in another case parses (%s)", e.msg);
  is_str(c.name, "n1", "Name");
  is_str(c.bridge, "br7", "Bridge");
  ok(c.is_gw && c.is_default_gw && c.ip_masq && c.hairpin && c.promisc, "the booleans");
  is_int(c.mtu, 1400, "MTU");
  ok(c.builtin_ipam, "IPAM.Type");
  is_str(c.ic.data_dir, "/nonexistent/d", "IPAM.DataDir");
  if (c.ic.nsets == 1 && c.ic.sets[0].n == 1) {
    char s[IP_STRLEN], g[IP_STRLEN];
    ip_fmt(c.ic.sets[0].ranges[0].start, s);
    ip_fmt(c.ic.sets[0].ranges[0].gw, g);
    ok(!strcmp(s, "10.1.2.10") && !strcmp(g, "10.1.2.254"), "Ranges: RangeStart %s, Gateway %s", s, g);
  } else {
    ok(0, "Ranges parsed into one set of one range");
  }
  ok(c.ic.nroutes == 1 && c.ic.routes[0].prefix == 16 && c.ic.routes[0].gw != 0, "Routes: Dst and GW");
  ok(c.npm == 1 && c.pm[0].host_port == 81, "RuntimeConfig.PortMappings");
  struct addrs a = {0};
  ok(c.prev_result && addrs_from_result(c.prev_result, &a, &e) == 0 && a.nips == 1 && a.ips[0].gw && a.nroutes == 1,
     "PrevResult: IPs (Address, Gateway) and Routes");
  free(a.dns);
  conf_free(&c);
  yajl_tree_free(root);

  yajl_val gc = parse("{\"CNI.dev/Valid-Attachments\":[{\"ContainerID\":\"c1\",\"IfName\":\"eth0\"}]}");
  struct ipam_attachment *valid = NULL;
  size_t n = 0;
  r = ipam_valid_attachments(gc, &valid, &n, &e);
  ok(r == 0 && n == 1 && !strcmp(valid[0].cid, "c1") && !strcmp(valid[0].ifname, "eth0"),
     "GC: valid-attachments, containerID, ifname in other cases");
  free(valid);
  yajl_tree_free(gc);
}

/* DEL reads the name and where the lease is, nothing else. */
static void test_teardown_config(void)
{
  static const char *broken[] = {
      /* containerd's mappings with a value ADD refuses */
      "{\"name\":\"critest\",\"ipam\":{\"type\":\"ulysses-ipam\",\"dataDir\":\"/nonexistent/x\","
      "\"subnet\":\"10.1.0.0/24\"},"
      "\"runtimeConfig\":{\"portMappings\":[{\"HostPort\":\"12000\",\"ContainerPort\":80}]}}",
      /* portMappings not even an array, a bad mtu, a bad range */
      "{\"name\":\"critest\",\"mtu\":\"big\",\"bridge\":\"a/b\",\"runtimeConfig\":{\"portMappings\":7},"
      "\"ipam\":{\"type\":\"ulysses-ipam\",\"dataDir\":\"/nonexistent/x\",\"ranges\":[[{\"subnet\":\"1.2.3.4/40\"}]]}}",
  };
  for (size_t i = 0; i < 2; i++) {
    yajl_val root = parse(broken[i]);
    struct conf c;
    struct cni_error e = {0};
    ok(parse_conf(root, "1.0.0", &c, &e) < 0 && e.code == CNI_ERR_INVALID_CONFIG, "ADD refuses config %zu (%s)", i,
       e.msg);
    conf_free(&c);
    int r = parse_teardown_conf(root, "1.0.0", &c, &e);
    ok(r == 0 && c.builtin_ipam && !strcmp(c.ic.data_dir, "/nonexistent/x") && !strcmp(c.ic.network, "critest"),
       "DEL reads config %zu: network and the lease's dataDir", i);
    conf_free(&c);
    yajl_tree_free(root);
  }
  yajl_val root = parse("{\"name\":\"n\",\"ipam\":{}}");
  struct conf c;
  struct cni_error e = {0};
  ok(parse_teardown_conf(root, "1.0.0", &c, &e) == 0 && c.ipam_type == NULL,
     "DEL without an ipam.type: links and rules only");
  conf_free(&c);
  yajl_tree_free(root);
  root = parse("{\"ipam\":{\"type\":\"ulysses-ipam\"}}");
  ok(parse_teardown_conf(root, "1.0.0", &c, &e) < 0 && e.code == CNI_ERR_INVALID_CONFIG,
     "DEL without a network name cannot find anything: code 7");
  conf_free(&c);
  yajl_tree_free(root);
}

/* Host sockets a mapping would divert, from /proc/net tables as the kernel
 * prints them (x86: addresses are the __be32 words as native integers). */
static void test_hostport_tables(void)
{
  static const char TCP[] =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
      "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n"
      "   2: 0A00020F:C350 0A000201:0050 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0\n";
  static const char TCP6[] =
      "  sl  local_address                         remote_address                        st tx_queue rx_queue\n"
      "   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000\n"
      "   1: 0000000000000000FFFF00000302010A:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000\n"
      "   2: 000080FE00000000FF03FF0201020304:1388 00000000000000000000000000000000:0000 0A 00000000:00000000\n";
  static const char UDP[] =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
      "  0: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   0 0 1 2 0 0\n"
      "  1: 0A00020F:0044 0A000201:0043 01 00000000:00000000 00:00000000 00000000   0 0 2 2 0 0\n";
  char w[64] = "";
  struct fw_portmap p = {.host_port = 22, .proto = "tcp"};
  ok(hostport_table_conflict(TCP, false, false, &p, w, sizeof w) && !strcmp(w, "0.0.0.0:22"), "sshd on 0.0.0.0:22: %s", w);
  p.host_ip = ip_from4(0x0a010203);
  ok(hostport_table_conflict(TCP, false, false, &p, w, sizeof w), "a wildcard listener conflicts with any hostIP");
  p = (struct fw_portmap){.host_port = 8080, .proto = "tcp"};
  ok(hostport_table_conflict(TCP, false, false, &p, w, sizeof w) && !strcmp(w, "127.0.0.1:8080"),
     "127.0.0.1 is a local address the mapping without hostIP covers: %s", w);
  p.host_ip = ip_from4(0x0a000001);
  ok(!hostport_table_conflict(TCP, false, false, &p, w, sizeof w), "hostIP 10.0.0.1 leaves 127.0.0.1:8080 alone");
  p = (struct fw_portmap){.host_port = 50000, .proto = "tcp"};
  ok(!hostport_table_conflict(TCP, false, false, &p, w, sizeof w), "an established connection is not a listener");
  p = (struct fw_portmap){.host_port = 3000, .proto = "tcp"};
  ok(hostport_table_conflict(TCP6, true, false, &p, w, sizeof w) && !strcmp(w, "[::]:3000"), "[::] counts: %s", w);
  p = (struct fw_portmap){.host_port = 4000, .proto = "tcp", .host_ip = ip_from4(0x0a010203), .family = 4};
  ok(hostport_table_conflict(TCP6, true, false, &p, w, sizeof w) && !strcmp(w, "10.1.2.3:4000"),
     "a v4-mapped [::ffff:10.1.2.3] listener: %s", w);
  p.host_ip = ip_from4(0x0a010204);
  ok(!hostport_table_conflict(TCP6, true, false, &p, w, sizeof w), "... not for another hostIP");
  p = (struct fw_portmap){.host_port = 5000, .proto = "tcp", .family = 4};
  ok(!hostport_table_conflict(TCP6, true, false, &p, w, sizeof w), "a specific IPv6 address takes no IPv4");
  p.family = 0;
  ok(hostport_table_conflict(TCP6, true, false, &p, w, sizeof w) && strstr(w, "]:5000"),
     "... but a mapping of both families (hostIP \"\") diverts it: %s", w);
  p = (struct fw_portmap){.host_port = 53, .proto = "udp"};
  ok(hostport_table_conflict(UDP, false, true, &p, w, sizeof w) && !strcmp(w, "127.0.0.53:53"),
     "an unconnected UDP socket (resolved's 127.0.0.53:53): %s", w);
  p.host_port = 68;
  ok(!hostport_table_conflict(UDP, false, true, &p, w, sizeof w), "a connected UDP socket is not a listener");
  p = (struct fw_portmap){.host_port = 53, .proto = "tcp"};
  ok(!hostport_table_conflict(TCP, false, false, &p, w, sizeof w), "udp/53 bound says nothing about tcp/53");
  ok(!hostport_table_conflict("", false, false, &p, w, sizeof w), "an empty table");
}

/* Red-team round 7: a million nested arrays in the network configuration
 * on stdin crashed the plugin (yajl_tree_free recursing once per level,
 * SIGSEGV) instead of one CNI error. Through the same stdin reader the
 * plugins use; strings holding brackets are not nesting. */
static void test_deep_json(void)
{
  const size_t n = 1000000;
  const char *head = "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"type\":\"bridge\",\"deep\":";
  size_t hl = strlen(head);
  char *text = malloc(hl + 2 * n + 2);
  memcpy(text, head, hl);
  memset(text + hl, '[', n);
  memset(text + hl + n, ']', n);
  strcpy(text + hl + 2 * n, "}");
  int pfd[2];
  ok(pipe(pfd) == 0, "pipe");
  pid_t writer = fork();
  if (writer == 0) {
    close(pfd[0]);
    size_t len = strlen(text), off = 0;
    while (off < len) {
      ssize_t w = write(pfd[1], text + off, len - off);
      if (w <= 0)
        _exit(1);
      off += (size_t) w;
    }
    _exit(0);
  }
  close(pfd[1]);
  int saved = dup(STDIN_FILENO);
  dup2(pfd[0], STDIN_FILENO);
  close(pfd[0]);
  struct cni_error e = {0};
  const char *version = NULL;
  yajl_val v = cni_read_config(&version, &e);
  dup2(saved, STDIN_FILENO);
  close(saved);
  waitpid(writer, NULL, 0);
  ok(v == NULL && e.code == CNI_ERR_DECODE && strstr(e.msg, "nested deeper than 128 levels"),
     "a network configuration nested 1000000 deep is one decode error: %s", e.msg);
  if (v)
    yajl_tree_free(v);
  free(text);
  ok(!json_nesting_exceeds("[[[\"[[[[\\\"[[[\"]]]", 3), "brackets inside strings (and escaped quotes) are no nesting");
  ok(json_nesting_exceeds("{\"a\":[{\"b\":[]}]}", 3) && !json_nesting_exceeds("{\"a\":[{\"b\":[]}]}", 4),
     "four levels exceed 3, not 4");
  yajl_val ok128 = json_tree_parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", NULL, 0);
  ok(ok128 != NULL, "32 levels still parse");
  if (ok128)
    yajl_tree_free(ok128);
}

int main(void)
{
  test_deep_json();
  test_hostport_tables();
  test_portmap_families();
  test_ports_annotation();
  test_key_matching();
  test_containerd_portmappings();
  test_portmap_entries();
  test_folded_config();
  test_teardown_config();
  return done_testing();
}

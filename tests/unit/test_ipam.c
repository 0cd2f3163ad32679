/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_ipam.c - unit tests of the ulysses-ipam allocator and store. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni/ipam.h"
#include "tap.h"

static ipaddr_t ip(const char *s)
{
  ipaddr_t a = 0;
  ip_parse(s, &a);
  return a;
}

static int parse(const char *ipam_json, struct ipam_config *c, struct cni_error *e)
{
  yajl_val v = yajl_tree_parse(ipam_json, NULL, 0);
  int r = ipam_config_parse(v, "net1", c, e);
  /* the config keeps pointers into the tree only for "dns", unused here */
  yajl_tree_free(v);
  c->dns = NULL;
  return r;
}

static void test_bitmap(void)
{
  struct bitmap b;
  ok(bitmap_init(&b, 130) == 0, "bitmap of 130 bits");
  is_int(bitmap_find_clear(&b, 0), 0, "empty bitmap: first clear is 0");
  for (uint32_t i = 0; i < 128; i++)
    bitmap_set(&b, i);
  is_int(bitmap_find_clear(&b, 5), 128, "skips full words to bit 128");
  bitmap_set(&b, 128);
  bitmap_set(&b, 129);
  is_int(bitmap_find_clear(&b, 0), -1, "full bitmap: -1");
  bitmap_clear(&b, 3);
  ok(!bitmap_test(&b, 3) && bitmap_test(&b, 4), "clear touches one bit");
  is_int(bitmap_find_clear(&b, 100), 3, "search wraps around to bit 3");
  bitmap_set(&b, 200); /* out of range: ignored */
  ok(!bitmap_test(&b, 200), "out-of-range bits are never set");
  bitmap_free(&b);
}

static void test_config(void)
{
  struct ipam_config c;
  struct cni_error e = {0};
  ok(parse("{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.10\",\"rangeEnd\":\"10.1.0.20\","
           "\"gateway\":\"10.1.0.254\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.168.0.0/16\",\"gw\":\"10.1.0.5\"}]}",
           &c, &e) == 0,
     "ranges form parses");
  ok(c.nsets == 1 && c.sets[0].n == 1 && c.sets[0].ranges[0].start == ip("10.1.0.10") &&
         c.sets[0].ranges[0].end == ip("10.1.0.20") && c.sets[0].ranges[0].gw == ip("10.1.0.254"),
     "rangeStart, rangeEnd, gateway");
  ok(c.nroutes == 2 && c.routes[1].prefix == 16 && c.routes[1].gw == ip("10.1.0.5"), "routes");
  is_str(c.data_dir, IPAM_DEFAULT_DATA_DIR, "default dataDir");
  ipam_config_free(&c);

  ok(parse("{\"subnet\":\"10.2.0.7/29\",\"dataDir\":\"/x\"}", &c, &e) == 0, "legacy subnet form parses");
  ok(c.sets[0].ranges[0].subnet == ip("10.2.0.0") && c.sets[0].ranges[0].start == ip("10.2.0.1") &&
         c.sets[0].ranges[0].end == ip("10.2.0.6") && c.sets[0].ranges[0].gw == ip("10.2.0.1"),
     "defaults: host bits masked, range .1-.6, gateway .1");
  ipam_config_free(&c);

  const char *bad[] = {"{\"subnet\":\"10.0.0.0/33\"}", "{\"subnet\":\"10.0.0.0/31\"}", "{\"subnet\":\"fd00::/127\"}",
                       "{\"subnet\":\"fd00::/129\"}", "{\"subnet\":\"::ffff:10.0.0.0/120\"}",
                       "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},{\"subnet\":\"fd00::/64\"}]]}",
                       "{\"subnet\":\"fd00::/64\",\"rangeStart\":\"fd00::1\",\"rangeEnd\":\"fd00::1:0:0\"}",
                       "{\"subnet\":\"fd00::/64\",\"gateway\":\"fd01::1\"}",
                       "{\"subnet\":\"fd00::/64\",\"routes\":[{\"dst\":\"::/0\",\"gw\":\"10.0.0.1\"}]}",
                       "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.1.1\"}]]}",
                       "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.9\",\"rangeEnd\":\"10.0.0.3\"}]]}",
                       "{\"ranges\":[]}", "{}", "{\"subnet\":\"10.0.0.0/24\",\"routes\":[{\"dst\":\"x\"}]}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    e.code = 0;
    int r = parse(bad[i], &c, &e);
    ok(r < 0 && e.code == CNI_ERR_INVALID_CONFIG, "rejected with code 7: %s", bad[i]);
    ipam_config_free(&c);
  }
}

static void test_allocation(void)
{
  struct ipam_config c;
  struct cni_error e = {0};
  struct ipam_store s = {.dirfd = -1, .lockfd = -1};
  struct ipam_addr a[1];
  parse("{\"subnet\":\"10.3.0.0/29\",\"gateway\":\"10.3.0.1\"}", &c, &e);
  char got[6][IP_STRLEN] = {{0}};
  bool distinct = true;
  for (int i = 0; i < 5; i++) {
    char cid[8];
    snprintf(cid, sizeof cid, "c%d", i);
    if (ipam_allocate(&s, &c, cid, "eth0", a, &e) < 0)
      distinct = false;
    ip_fmt(a[0].ip, got[i]);
    for (int j = 0; j < i; j++)
      distinct = distinct && strcmp(got[i], got[j]) != 0;
    distinct = distinct && a[0].ip != ip("10.3.0.1") && a[0].prefix == 29 && a[0].gw == ip("10.3.0.1");
  }
  ok(distinct, "a /29 hands out 5 distinct addresses, never the gateway");
  is_int(ipam_allocate(&s, &c, "c9", "eth0", a, &e), -1, "the 6th allocation fails");
  is_int(e.code, CNI_ERR_EXHAUSTED, "with the exhaustion code");
  ok(ipam_allocate(&s, &c, "c2", "eth0", a, &e) == 0 && a[0].ip == ip(got[2]), "a retried ADD gets its address back");
  is_int(s.n, 5, "and no second lease");
  is_int(ipam_release(&s, "c2", "eth0"), 1, "release frees one lease");
  is_int(ipam_release(&s, "c2", "eth0"), 0, "a second release is a no-op");
  ok(ipam_allocate(&s, &c, "c7", "eth1", a, &e) == 0 && a[0].ip == ip(got[2]), "the freed address is reused");

  /* text round trip */
  char *t1 = ipam_store_text(&s);
  struct ipam_store s2 = {.dirfd = -1, .lockfd = -1};
  ok(ipam_store_load_text(&s2, t1, &e) == 0, "store text loads");
  char *t2 = ipam_store_text(&s2);
  is_str(t2, t1, "store text round-trips byte for byte");
  free(t1);
  free(t2);
  ipam_store_close(&s2);
  ok(ipam_store_load_text(&s2, "10.3.0.2 onlytwo\n", &e) < 0, "a corrupt store is refused");
  ipam_store_close(&s2);

  struct ipam_attachment keep[] = {{"c0", "eth0"}, {"c7", "eth1"}};
  yajl_val gcreq = yajl_tree_parse("{\"cni.dev/valid-attachments\":[{\"containerID\":\"c0\",\"ifname\":\"eth0\"}]}", NULL, 0);
  struct ipam_attachment *va = NULL;
  size_t nva = 0;
  ok(ipam_valid_attachments(gcreq, &va, &nva, &e) == 0 && nva == 1 && !strcmp(va[0].cid, "c0"),
     "valid-attachments parse");
  free(va);
  yajl_tree_free(gcreq);
  gcreq = yajl_tree_parse("{\"cni.dev/attachments\":[{\"containerID\":\"c7\",\"ifname\":\"eth1\"}]}", NULL, 0);
  ok(ipam_valid_attachments(gcreq, &va, &nva, &e) == 0 && nva == 1 && !strcmp(va[0].cid, "c7"),
     "the 1.1.0 spec text's key cni.dev/attachments is the valid list too");
  free(va);
  yajl_tree_free(gcreq);
  gcreq = yajl_tree_parse("{\"cni.dev/valid-attachments\":[{\"ifname\":\"eth0\"}]}", NULL, 0);
  ok(ipam_valid_attachments(gcreq, &va, &nva, &e) < 0 && e.code == CNI_ERR_INVALID_CONFIG,
     "a valid-attachments entry without containerID is refused");
  free(va);
  yajl_tree_free(gcreq);
  is_int(ipam_gc(&s, keep, 2), 3, "GC drops the 3 attachments not listed");
  is_int(s.n, 2, "and keeps the 2 valid ones");
  ipam_store_close(&s);
  ipam_config_free(&c);

  /* round robin: a freed address is not handed out again right away */
  parse("{\"subnet\":\"10.4.0.0/28\"}", &c, &e);
  struct ipam_store r = {.dirfd = -1, .lockfd = -1};
  ipaddr_t first;
  ipam_allocate(&r, &c, "a", "eth0", a, &e);
  first = a[0].ip;
  ipam_allocate(&r, &c, "b", "eth0", a, &e);
  ipam_release(&r, "a", "eth0");
  ipam_allocate(&r, &c, "c", "eth0", a, &e);
  ok(a[0].ip != first && a[0].ip == first + 2, "round robin continues after the last address handed out");
  ipam_store_close(&r);
  ipam_config_free(&c);

  /* two ranges in one set: the second is used when the first is full */
  parse("{\"ranges\":[[{\"subnet\":\"10.5.0.0/30\"},{\"subnet\":\"10.6.0.0/24\",\"rangeStart\":\"10.6.0.50\","
        "\"rangeEnd\":\"10.6.0.50\"}]]}",
        &c, &e);
  struct ipam_store m = {.dirfd = -1, .lockfd = -1};
  ipam_allocate(&m, &c, "x", "eth0", a, &e);
  ok(a[0].ip == ip("10.5.0.2"), "/30 with gateway .1 has one address: .2");
  ipam_allocate(&m, &c, "y", "eth0", a, &e);
  ok(a[0].ip == ip("10.6.0.50") && a[0].prefix == 24, "then the next range of the set");
  ok(ipam_allocate(&m, &c, "z", "eth0", a, &e) < 0, "then the set is exhausted");
  ipam_store_close(&m);
  ipam_config_free(&c);
}

static int count_files(const char *dir)
{
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *de; d && (de = readdir(d));)
    n += de->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

static void test_persistence(void)
{
  char dir[] = "/tmp/test-ipam.XXXXXX", json[256], path[300];
  struct ipam_config c;
  struct cni_error e = {0};
  struct ipam_addr a[1], b[1];
  ok(mkdtemp(dir) != NULL, "temp dataDir");
  snprintf(json, sizeof json, "{\"subnet\":\"10.7.0.0/24\",\"dataDir\":\"%s/store\"}", dir);
  parse(json, &c, &e);
  ok(ipam_cmd_add(&c, "ctr1", "eth0", a, &e) == 0, "ADD through the store");
  ok(ipam_cmd_add(&c, "ctr1", "eth0", b, &e) == 0 && a[0].ip == b[0].ip, "a second process sees the lease");
  snprintf(path, sizeof path, "%s/store/net1", dir);
  ok(access(path, F_OK) == 0, "the network file exists");
  ok(ipam_cmd_check(&c, "ctr1", "eth0", b, &e) == 0, "CHECK finds the lease");
  ok(ipam_cmd_check(&c, "ctr2", "eth0", b, &e) < 0 && e.code == CNI_ERR_UNKNOWN_CONTAINER, "CHECK of an unknown one fails");

  /* concurrent ADDs from 20 processes: all distinct (flock) */
  pid_t pids[20];
  for (int i = 0; i < 20; i++)
    if ((pids[i] = fork()) == 0) {
      char cid[16];
      snprintf(cid, sizeof cid, "p%d", i);
      _exit(ipam_cmd_add(&c, cid, "eth0", a, &e) == 0 ? 0 : 1);
    }
  int fails = 0;
  for (int i = 0; i < 20; i++) {
    int st;
    waitpid(pids[i], &st, 0);
    fails += !WIFEXITED(st) || WEXITSTATUS(st);
  }
  is_int(fails, 0, "20 concurrent ADDs succeed");
  struct ipam_store s;
  ok(ipam_store_open(&s, c.data_dir, "net1", &e) == 0, "store reopens");
  bool uniq = s.n == 21;
  for (size_t i = 1; i < s.n; i++)
    uniq = uniq && s.leases[i].ip != s.leases[i - 1].ip;
  ok(uniq, "21 leases with distinct addresses");
  ipam_store_close(&s);

  for (int i = 0; i < 20; i++) {
    char cid[16];
    snprintf(cid, sizeof cid, "p%d", i);
    ipam_cmd_del(&c, cid, "eth0", &e);
  }
  ok(ipam_cmd_del(&c, "ctr1", "eth0", &e) == 0 && ipam_cmd_del(&c, "ctr1", "eth0", &e) == 0, "DEL is idempotent");
  ok(access(path, F_OK) != 0, "the network file is removed when empty");
  snprintf(path, sizeof path, "%s/store", dir);
  is_int(count_files(path), 1, "only the lock file remains");
  ok(ipam_cmd_status(&c, &e) == 0, "STATUS: dataDir writable");
  ipam_config_free(&c);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", dir);
}

/* IPv6 and dual stack: one address per range set, of the set's family; a
 * /64 is bounded to the default window (ipam.h). */
static void test_ipv6(void)
{
  struct ipam_config c;
  struct cni_error e = {0};
  struct ipam_addr a[2];
  char s1[IP_STRLEN], s2[IP_STRLEN];
  ipaddr_t x = 0;
  int prefix = 0;
  ok(ip_parse("fd00::1", &x) && !ip_is4(x) && ip_parse("10.0.0.1", &x) && ip_is4(x), "ip_parse: both families");
  ok(!ip_parse("::ffff:10.0.0.1", &x), "an IPv4-mapped IPv6 address is refused");
  ok(cidr_parse("fd00::/64", &x, &prefix) && prefix == 64 && !cidr_parse("fd00::/129", &x, &prefix) &&
         !cidr_parse("10.0.0.0/33", &x, &prefix), "cidr_parse: the family's prefix bound");
  ip_parse("2001:db8:0:0:1:0:0:1", &x);
  ip_fmt(x, s1);
  is_str(s1, "2001:db8::1:0:0:1", "ip_fmt: the RFC 5952 form");
  ok(ip_mask(x, 64) == (~(ipaddr_t)0 << 64) && (ip("10.1.2.3") & ip_mask(ip("10.1.2.3"), 24)) == ip("10.1.2.0"),
     "ip_mask of each family");

  ok(parse("{\"subnet\":\"fd00:1::/64\"}", &c, &e) == 0, "an IPv6 /64 parses (%s)", e.msg);
  ok(c.sets[0].ranges[0].start == ip("fd00:1::1") && c.sets[0].ranges[0].gw == ip("fd00:1::1") &&
         c.sets[0].ranges[0].end == ip("fd00:1::1") + IPAM_MAX_RANGE_SIZE - 1,
     "defaults: gateway ::1, range from ::1, bounded to the default window of 2^20 addresses");
  ipam_config_free(&c);
  ok(parse("{\"subnet\":\"fd00:1::/64\",\"rangeStart\":\"fd00:1::ff:0\",\"rangeEnd\":\"fd00:1::ff:ffff\"}", &c,
           &e) == 0 && c.sets[0].ranges[0].end == ip("fd00:1::ff:ffff"),
     "an explicit IPv6 range within the bound");
  ipam_config_free(&c);
  ok(parse("{\"subnet\":\"10.0.0.0/8\"}", &c, &e) == 0 &&
         c.sets[0].ranges[0].end == ip("10.0.0.1") + IPAM_MAX_RANGE_SIZE - 1,
     "an IPv4 /8 without rangeEnd gets the same window");
  ipam_config_free(&c);
  ok(parse("{\"subnet\":\"fd00:2::/126\"}", &c, &e) == 0 && c.sets[0].ranges[0].end == ip("fd00:2::3"),
     "IPv6 has no broadcast address: a /126 ends at ::3");
  ipam_config_free(&c);

  /* dual stack: two sets, one address each */
  parse("{\"ranges\":[[{\"subnet\":\"10.8.0.0/24\"}],[{\"subnet\":\"fd00:8::/64\",\"gateway\":\"fd00:8::fe\"}]],"
        "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"}]}",
        &c, &e);
  struct ipam_store s = {.dirfd = -1, .lockfd = -1};
  ok(ipam_allocate(&s, &c, "d1", "eth0", a, &e) == 0, "dual-stack ADD (%s)", e.msg);
  ok(a[0].ip == ip("10.8.0.2") && a[1].ip == ip("fd00:8::1") && a[1].prefix == 64 && a[1].gw == ip("fd00:8::fe"),
     "one address of each family, the IPv6 one from ::1 (the gateway ::fe is elsewhere)");
  ipam_allocate(&s, &c, "d2", "eth0", a, &e);
  ok(a[1].ip == ip("fd00:8::2"), "the next container gets ::2");
  ok(ipam_allocate(&s, &c, "d1", "eth0", a, &e) == 0 && a[0].ip == ip("10.8.0.2") && a[1].ip == ip("fd00:8::1"),
     "a retried ADD gets both addresses back");
  char *text = ipam_store_text(&s);
  ok(strstr(text, "\nfd00:8::1 d1 eth0\n") && strstr(text, "\n10.8.0.2 d1 eth0\n"), "the table holds both families");
  struct ipam_store t = {.dirfd = -1, .lockfd = -1};
  ok(ipam_store_load_text(&t, text, &e) == 0 && t.n == 4, "and reads back");
  struct ipam_addr f[2];
  ok(ipam_find(&t, &c, "d2", "eth0", f) == 2 && f[1].ip == ip("fd00:8::2"), "ipam_find: both sets");
  ipam_store_close(&t);
  free(text);

  struct sbuf b = {0};
  ipam_allocate(&s, &c, "d1", "eth0", a, &e);
  ipam_result_json(&b, "0.4.0", &c, a, 2);
  ok(strstr(b.s, "\"version\":\"6\",\"address\":\"fd00:8::1/64\",\"gateway\":\"fd00:8::fe\"") &&
         strstr(b.s, "\"version\":\"4\",\"address\":\"10.8.0.2/24\"") && strstr(b.s, "{\"dst\":\"::/0\"}"),
     "0.4.0 result: ips[].version 4 and 6, both default routes: %s", b.s);
  free(b.s);
  ipam_store_close(&s);
  ipam_config_free(&c);

  /* a small IPv6 range is exhausted like an IPv4 one */
  parse("{\"subnet\":\"fd00:9::/126\"}", &c, &e);
  struct ipam_store m = {.dirfd = -1, .lockfd = -1};
  ipam_allocate(&m, &c, "x", "eth0", a, &e);
  ip_fmt(a[0].ip, s1);
  ipam_allocate(&m, &c, "y", "eth0", a, &e);
  ip_fmt(a[0].ip, s2);
  ok(!strcmp(s1, "fd00:9::2") && !strcmp(s2, "fd00:9::3"), "/126: ::2 and ::3 (%s, %s)", s1, s2);
  e.code = 0;
  ok(ipam_allocate(&m, &c, "z", "eth0", a, &e) < 0 && e.code == CNI_ERR_EXHAUSTED && strstr(e.msg, "fd00:9::/126"),
     "then code 101 naming the range: %s", e.msg);
  ipam_store_close(&m);
  ipam_config_free(&c);
}

int main(void)
{
  test_bitmap();
  test_config();
  test_ipv6();
  test_allocation();
  test_persistence();
  return done_testing();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sysctl.c - the linux.sysctl policy: key forms, and which keys a
 * container may set with which namespaces of its own. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "sysctl.h"
#include "tap.h"
#include "utils.h"

static void path_is(const char *key, const char *want)
{
  const char *why = NULL;
  char *got = sysctl_key_to_path(key, &why);
  if (want == NULL)
    ok(got == NULL && why != NULL, "\"%s\" is refused (%s)", key, why ? why : "no reason");
  else
    ok(got && strcmp(got, want) == 0, "\"%s\" -> \"%s\" (got \"%s\")", key, want, got ? got : "(null)");
  free(got);
}

static const struct sysctl_scope all_own = { true, true, true, true, NULL, NULL };
static const struct sysctl_scope none_own = { false, false, false, false, NULL, NULL };

/* allowed(key, scope) -> 1 allowed, 0 refused; the message must name the key. */
static int allowed_value(const char *key, const char *value, const struct sysctl_scope *scope,
                         const char *want_in_msg)
{
  uoci_error *e = NULL;
  int r = sysctl_check(key, value, scope, &e);
  if (r < 0) {
    ok(e && strstr(e->msg, key) && (want_in_msg == NULL || strstr(e->msg, want_in_msg)),
       "message for \"%s\" names it%s%s: %s", key, want_in_msg ? " and says " : "", want_in_msg ? want_in_msg : "",
       e ? e->msg : "(none)");
    uoci_error_free(e);
    return 0;
  }
  return 1;
}

static int allowed(const char *key, const struct sysctl_scope *scope, const char *want_in_msg)
{
  return allowed_value(key, "1", scope, want_in_msg);
}

int main(void)
{
  /* key forms */
  path_is("net.ipv4.ip_forward", "net/ipv4/ip_forward");
  path_is("net/ipv4/ip_forward", "net/ipv4/ip_forward");
  path_is("net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter");
  path_is("net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter");
  path_is("kernel", "kernel");
  path_is("", NULL);
  path_is("../../etc/x", NULL);
  path_is("net/../kernel/printk", NULL);
  path_is("net.ipv4..ip_forward", NULL);
  path_is(".net.ipv4", NULL);
  path_is("/proc/sys/kernel/x", NULL);
  path_is("net.ipv4.", NULL);
  path_is("fs.mqueue/../../kernel/printk", NULL);
  path_is("net/./ipv4", NULL);

  const char *why = NULL;
  char *canon = sysctl_key_canonical("net/ipv4/conf/eth0.100/rp_filter", &why);
  ok(canon && strcmp(canon, "net.ipv4.conf.eth0/100.rp_filter") == 0, "canonical form swaps back (%s)",
     canon ? canon : "(null)");
  free(canon);

  /* IPC namespace keys */
  const char *ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                        "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.queues_max",
                        "fs/mqueue/msg_max", "kernel/msgmax" };
  for (size_t i = 0; i < ARRAY_SIZE(ipc); i++) {
    ok(allowed(ipc[i], &all_own, NULL), "%s allowed with an IPC namespace of its own", ipc[i]);
    struct sysctl_scope s = all_own;
    s.own_ipc = false;
    ok(!allowed(ipc[i], &s, "IPC namespace"), "%s refused in the host's IPC namespace", ipc[i]);
  }
  /* network */
  ok(allowed("net.ipv4.ip_forward", &all_own, NULL), "net.* allowed with a network namespace of its own");
  ok(allowed("net/core/somaxconn", &all_own, NULL), "net/... form too");
  {
    struct sysctl_scope s = all_own;
    s.own_net = false;
    ok(!allowed("net.ipv4.ip_forward", &s, "network namespace"), "net.* refused in the host's network namespace");
    ok(!allowed("net/core/somaxconn", &s, "network namespace"), "net/... refused in the host's");
  }
  /* UTS */
  ok(allowed("kernel.domainname", &all_own, NULL), "kernel.domainname with a UTS namespace of its own");
  ok(allowed("kernel.hostname", &all_own, NULL), "kernel.hostname with a UTS namespace of its own");
  {
    struct sysctl_scope s = all_own;
    s.own_uts = false;
    ok(!allowed("kernel.hostname", &s, "UTS namespace"), "kernel.hostname refused in the host's UTS namespace");
    ok(!allowed("kernel.domainname", &s, "UTS namespace"), "kernel.domainname refused in the host's");
    s = all_own;
    s.hostname = "box";
    s.domainname = "example.test";
    ok(!allowed("kernel.hostname", &s, "conflicts with .hostname"), "kernel.hostname conflicts with .hostname");
    ok(!allowed("kernel.domainname", &s, "conflicts with .domainname"),
       "kernel.domainname conflicts with .domainname");
    ok(allowed_value("kernel.domainname", "example.test", &s, NULL),
       "kernel.domainname with .domainname's own value is no conflict");
    ok(allowed_value("kernel.hostname", "box", &s, NULL), "kernel.hostname with .hostname's own value is no conflict");
    ok(!allowed_value("kernel.domainname", "Example.test", &s, "conflicts with .domainname"),
       "a value differing only in case still conflicts");
    s.hostname = "";
    ok(allowed("kernel.hostname", &s, NULL), "an empty .hostname is no conflict");
  }
  /* user namespace (ucounts) */
  ok(allowed("user.max_user_namespaces", &all_own, NULL), "user.* with a user namespace of its own");
  {
    struct sysctl_scope s = all_own;
    s.own_user = false;
    ok(!allowed("user.max_user_namespaces", &s, "user namespace"), "user.* refused in the host's user namespace");
  }
  /* never namespaced, whatever the container owns */
  const char *global[] = { "kernel.printk_ratelimit", "kernel/printk", "vm.overcommit_memory", "fs.file-max",
                           "kernel.ns_last_pid", "kernel.modprobe", "kernel.core_pattern", "Kernel.msgmax",
                           "KERNEL.MSGMAX", "kernel.msgmax ", " kernel.msgmax", "net", "fs.mqueue", "kernel.sem.x",
                           "kernel.shm_rmid_forced.", "dev.tty.ldisc_autoload", "kernel.hostnamex" };
  for (size_t i = 0; i < ARRAY_SIZE(global); i++)
    ok(!allowed(global[i], &all_own, NULL), "\"%s\" refused even with every namespace of its own", global[i]);
  ok(!allowed("kernel.printk_ratelimit", &none_own, "not kept per namespace"), "the reason says why");

  /* the whole map, first bad key wins */
  {
    char *keys[] = { "net.ipv4.ip_forward", "kernel.core_pattern" };
    char *values[] = { "1", "|/evil" };
    ocispec_linux l = { 0 };
    l.sysctl.len = 2;
    l.sysctl.keys = keys;
    l.sysctl.values = values;
    uoci_error *e = NULL;
    ok(sysctl_check_all(&l, &all_own, &e) < 0 && e && strstr(e->msg, "kernel.core_pattern"),
       "sysctl_check_all refuses the map with the key named");
    uoci_error_free(e);
    l.sysctl.len = 1;
    ok(sysctl_check_all(&l, &all_own, NULL) == 0, "a good map passes");
    ok(sysctl_check_all(NULL, &none_own, NULL) == 0, "no linux section passes");
  }
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cnirun.h - run a CNI network's plugins for one container, as libcni does.
 *
 * The network is found by "name" among *.conflist / *.conf / *.json files in
 * `confdir` (NULL: /etc/cni/net.d); plugin binaries are looked up in the
 * colon-separated `cni_path` (NULL: /opt/cni/bin:/usr/libexec/cni:/usr/lib/cni).
 * ADD runs the plugins in order, each getting the previous result as
 * prevResult; if one fails, the ones before are DELeted and nothing stays.
 * The final result is cached (ULYSSES_CNI_CACHE_DIR, default
 * /var/lib/ulysses-cni/results) so that DEL can pass it as prevResult, with
 * the same port mappings, even from another process or after a crash. An
 * ADD of an attachment already made in the same network namespace (with the
 * same port mappings) returns the cached result: the runtime and
 * ulysses-cni-hook may both be asked to attach one container.
 * Link with cni/libcnirun.a and $(YAJL_LIBS). */
#ifndef ULYSSES_CNIRUN_H
#define ULYSSES_CNIRUN_H

/* portmappings_json: NULL or a JSON array for runtimeConfig.portMappings,
 *   e.g. [{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]; passed to
 *   plugins whose "capabilities" include "portMappings".
 * ifname: NULL means "eth0".
 * On success returns 0 and, if result_json is not NULL, the final CNI result
 * (malloc'ed). On failure returns -1 and a one-line message in *errmsg
 * (malloc'ed, if errmsg is not NULL). */
int cnirun_add(const char *confdir, const char *network, const char *cni_path, const char *container_id,
               const char *netns_path, const char *ifname, const char *portmappings_json, char **result_json,
               char **errmsg);

/* DEL in reverse order. Idempotent; netns_path may be NULL or no longer exist
 * (the container is gone): addresses and firewall rules are freed anyway.
 * portmappings_json NULL: use the ones cached by cnirun_add. */
int cnirun_del(const char *confdir, const char *network, const char *cni_path, const char *container_id,
               const char *netns_path, const char *ifname, const char *portmappings_json, char **errmsg);

/* The org.ulysses.ports annotation ("8080:80/tcp,53:53/udp", protocol tcp
 * when omitted; a host address in front as docker's -p: "127.0.0.1:8080:80",
 * "[::1]:8080:80", else both families) as a portMappings JSON array
 * (malloc'ed); NULL when an entry is malformed. */
char *cnirun_ports_json(const char *spec);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_events.c - `events [--stats] [--interval D] ID`: runc-style JSON lines,
 * {"type":"stats","id":ID,"data":{...}} every interval (once with --stats)
 * and {"type":"oom","id":ID} when the kernel OOM-kills in the container.
 * Ends when the container stops. The state lock is held only to read the
 * state, never while waiting. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "commands.h"
#include "state.h"
#include "utils.h"

/* Go-style duration: "5s", "100ms", "1m", "1m30s", "2h"; a bare number is seconds. */
static int parse_duration_ms(const char *s, long long *out)
{
  long long total = 0;
  const char *p = s;
  if (*p == '\0')
    return -1;
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0)
      return -1;
    p = end;
    double mult = 1000; /* bare number: seconds */
    if (strncmp(p, "ms", 2) == 0) mult = 1, p += 2;
    else if (strncmp(p, "us", 2) == 0) mult = 0.001, p += 2;
    else if (strncmp(p, "ns", 2) == 0) mult = 0.000001, p += 2;
    else if (*p == 's') mult = 1000, p++;
    else if (*p == 'm') mult = 60000, p++;
    else if (*p == 'h') mult = 3600000, p++;
    else if (*p != '\0') return -1;
    total += (long long) (v * mult);
  }
  *out = total;
  return 0;
}

static int print_stats(const uoci_cgroup *cg, const char *id, uoci_error **err)
{
  _cleanup_free_ char *json = NULL;
  if (cgroup_stats_json(cg, &json, err) < 0)
    return -1;
  printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, json);
  fflush(stdout);
  return 0;
}

static void print_oom(const char *id)
{
  printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
  fflush(stdout);
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int cmd_events(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = {
    { "stats", no_argument, 0, 's' }, { "interval", required_argument, 0, 'i' }, { 0, 0, 0, 0 },
  };
  bool stats_once = false;
  long long interval = 5000;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 's')
      stats_once = true;
    else if (c == 'i') {
      if (parse_duration_ms(optarg, &interval) < 0 || interval <= 0)
        return uoci_fail(err, 0, "events: --interval: invalid duration \"%s\" (e.g. 5s, 500ms)", optarg);
    } else
      return uoci_fail(err, 0, "events: unknown option \"%s\"", argv[optind - 1]);
  }
  const char *id;
  if (expect_id(argc, argv, optind, "events", &id, err) < 0)
    return -1;
  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  enum container_status s = state_status(&st);
  pid_t pid = st.pid;
  unsigned long long start = st.start_time;
  _cleanup_free_ char *cgs = st.cgroup ? xstrdup(st.cgroup) : NULL;
  state_release(&st);
  if (s == STATUS_STOPPED)
    return uoci_fail(err, 0, "container \"%s\" is not running", id);
  if (cgs == NULL)
    return uoci_fail(err, 0, "container \"%s\" has no cgroup", id);
  _cleanup_cgroup_ uoci_cgroup *cg = NULL;
  if (cgroup_from_string(cgs, &cg, err) < 0)
    return -1;
  if (stats_once)
    return print_stats(cg, id, err);

  _cleanup_close_ int oomfd = cgroup_oom_event_fd(cg, err);
  if (oomfd < 0 && *err)
    return -1;
  uint64_t kills = cgroup_oom_kills(cg);
  long long next = now_ms();
  for (;;) {
    unsigned long long t = proc_start_time(pid);
    if (t == 0 || (start && t != start)) {
      /* The container stopped; an OOM kill may have been its end, before
       * the notification reached us. */
      if (cgroup_oom_kills(cg) > kills)
        print_oom(id);
      return 0;
    }
    long long wait = next - now_ms();
    if (wait <= 0) {
      if (print_stats(cg, id, err) < 0) {
        t = proc_start_time(pid);
        if (t != 0 && (!start || t == start))
          return -1;
        uoci_error_free(*err); /* the cgroup went away with the container */
        *err = NULL;
        return 0;
      }
      next += interval;
      continue;
    }
    /* Wake at least every 200 ms to notice the container's exit. */
    struct pollfd pfd = { .fd = oomfd, .events = POLLIN };
    int r = poll(&pfd, oomfd >= 0 ? 1 : 0, (int) (wait < 200 ? wait : 200));
    if (r > 0 && (pfd.revents & POLLIN)) {
      char buf[4096];
      if (read(oomfd, buf, sizeof buf) < 0 && errno != EAGAIN)
        return uoci_fail(err, errno, "events: read the OOM notification");
      if (cgroup_oom_happened(cg, &kills))
        print_oom(id);
    }
  }
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_checkpoint.c - `checkpoint [options] ID`, runc's options. */
#include "config.h"
#include <getopt.h>
#include "commands.h"
#include "criu.h"

int cmd_checkpoint(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  enum { OPT_IMAGE = 256, OPT_WORK, OPT_PARENT, OPT_LEAVE, OPT_TCP, OPT_UNIX, OPT_SHELL, OPT_LOCKS, OPT_PRE,
         OPT_CGMODE, OPT_EMPTY, OPT_DEDUP };
  static const struct option opts[] = {
    { "image-path", required_argument, 0, OPT_IMAGE },
    { "work-path", required_argument, 0, OPT_WORK },
    { "parent-path", required_argument, 0, OPT_PARENT },
    { "leave-running", no_argument, 0, OPT_LEAVE },
    { "tcp-established", no_argument, 0, OPT_TCP },
    { "ext-unix-sk", no_argument, 0, OPT_UNIX },
    { "shell-job", no_argument, 0, OPT_SHELL },
    { "file-locks", no_argument, 0, OPT_LOCKS },
    { "pre-dump", no_argument, 0, OPT_PRE },
    { "manage-cgroups-mode", required_argument, 0, OPT_CGMODE },
    { "empty-ns", required_argument, 0, OPT_EMPTY },
    { "auto-dedup", no_argument, 0, OPT_DEDUP },
    { 0, 0, 0, 0 },
  };
  struct cr_options o = { .criu = g->criu, .image_path = "checkpoint" };
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case OPT_IMAGE: o.image_path = optarg; break;
    case OPT_WORK: o.work_path = optarg; break;
    case OPT_PARENT: o.parent_path = optarg; break;
    case OPT_LEAVE: o.leave_running = true; break;
    case OPT_TCP: o.tcp_established = true; break;
    case OPT_UNIX: o.ext_unix_sk = true; break;
    case OPT_SHELL: o.shell_job = true; break;
    case OPT_LOCKS: o.file_locks = true; break;
    case OPT_PRE: o.pre_dump = true; break;
    case OPT_DEDUP: o.auto_dedup = true; break;
    case OPT_CGMODE:
      if (cr_parse_cgroups_mode(optarg, &o.cgroups_mode, err) < 0)
        return uoci_error_prefix(err, "checkpoint");
      break;
    case OPT_EMPTY:
      if (cr_parse_empty_ns(optarg, &o.empty_ns, err) < 0)
        return uoci_error_prefix(err, "checkpoint");
      break;
    default:
      return uoci_fail(err, 0, "checkpoint: unknown option \"%s\" (see `ulysses-oci checkpoint --help`)",
                       argv[optind - 1]);
    }
  }
  const char *id;
  if (expect_id(argc, argv, optind, "checkpoint", &id, err) < 0)
    return -1;
  if (*o.image_path == '\0')
    return uoci_fail(err, 0, "checkpoint: --image-path: empty path");
  return container_checkpoint(g, id, &o, err) < 0 ? -1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_restore.c - `restore [options] ID`, runc's options. */
#include "config.h"
#include <getopt.h>
#include "commands.h"
#include "criu.h"

int cmd_restore(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  enum { OPT_IMAGE = 256, OPT_WORK, OPT_PID_FILE, OPT_CONSOLE, OPT_NO_PIVOT, OPT_NO_SUBREAPER, OPT_TCP,
         OPT_UNIX, OPT_SHELL, OPT_LOCKS, OPT_CGMODE, OPT_EMPTY, OPT_DEDUP, OPT_LSM_PROFILE, OPT_LSM_MOUNT };
  static const struct option opts[] = {
    { "image-path", required_argument, 0, OPT_IMAGE },
    { "work-path", required_argument, 0, OPT_WORK },
    { "bundle", required_argument, 0, 'b' },
    { "detach", no_argument, 0, 'd' },
    { "pid-file", required_argument, 0, OPT_PID_FILE },
    { "console-socket", required_argument, 0, OPT_CONSOLE },
    { "no-pivot", no_argument, 0, OPT_NO_PIVOT },
    { "no-subreaper", no_argument, 0, OPT_NO_SUBREAPER },
    { "tcp-established", no_argument, 0, OPT_TCP },
    { "ext-unix-sk", no_argument, 0, OPT_UNIX },
    { "shell-job", no_argument, 0, OPT_SHELL },
    { "file-locks", no_argument, 0, OPT_LOCKS },
    { "manage-cgroups-mode", required_argument, 0, OPT_CGMODE },
    { "empty-ns", required_argument, 0, OPT_EMPTY },
    { "auto-dedup", no_argument, 0, OPT_DEDUP },
    { "lsm-profile", required_argument, 0, OPT_LSM_PROFILE },
    { "lsm-mount-context", required_argument, 0, OPT_LSM_MOUNT },
    { 0, 0, 0, 0 },
  };
  struct cr_options o = { .criu = g->criu, .image_path = "checkpoint" };
  struct create_opts co = { 0 };
  bool detach = false;
  int c;
  while ((c = getopt_long(argc, argv, "b:d", opts, NULL)) != -1) {
    switch (c) {
    case OPT_IMAGE: o.image_path = optarg; break;
    case OPT_WORK: o.work_path = optarg; break;
    case 'b': co.bundle = optarg; break;
    case 'd': detach = true; break;
    case OPT_PID_FILE: co.pid_file = optarg; break;
    case OPT_CONSOLE: co.console_socket = optarg; break;
    case OPT_NO_PIVOT: co.no_pivot = true; break; /* CRIU makes the root itself: nothing to change */
    case OPT_NO_SUBREAPER: break;
    case OPT_TCP: o.tcp_established = true; break;
    case OPT_UNIX: o.ext_unix_sk = true; break;
    case OPT_SHELL: o.shell_job = true; break;
    case OPT_LOCKS: o.file_locks = true; break;
    case OPT_DEDUP: o.auto_dedup = true; break;
    case OPT_LSM_PROFILE: o.lsm_profile = optarg; break;
    case OPT_LSM_MOUNT: o.lsm_mount_context = optarg; break;
    case OPT_CGMODE:
      if (cr_parse_cgroups_mode(optarg, &o.cgroups_mode, err) < 0)
        return uoci_error_prefix(err, "restore");
      break;
    case OPT_EMPTY:
      if (cr_parse_empty_ns(optarg, &o.empty_ns, err) < 0)
        return uoci_error_prefix(err, "restore");
      break;
    default:
      return uoci_fail(err, 0, "restore: unknown option \"%s\" (see `ulysses-oci restore --help`)", argv[optind - 1]);
    }
  }
  if (expect_id(argc, argv, optind, "restore", &co.id, err) < 0)
    return -1;
  if (*o.image_path == '\0')
    return uoci_fail(err, 0, "restore: --image-path: empty path");
  return container_restore(g, &co, &o, detach, err);
}

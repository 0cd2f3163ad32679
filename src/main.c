/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c - global options and verb dispatch, runc-compatible. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <seccomp_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "companion.h"
#include "log.h"
#include "rootless.h"
#include "selfexe.h"
#include "utils.h"

/* create's options; run takes them too. */
#define CREATE_OPTIONS \
  "  -b, --bundle DIR          bundle directory (default: current directory)\n" \
  "  -f, --config FILE         the config to use instead of BUNDLE/config.json (crun's option)\n" \
  "      --pid-file FILE       write the init's pid (bare number) to FILE\n" \
  "      --console-socket PATH unix socket to receive the pty master (process.terminal)\n" \
  "      --no-pivot            use MS_MOVE+chroot instead of pivot_root\n" \
  "      --no-new-keyring      keep the caller's session keyring\n" \
  "      --preserve-fds N      pass N extra fds (3..3+N-1) to the container\n"

static const struct command commands[] = {
  { "create", cmd_create, "create a container (its init waits for start)",
    "Usage: ulysses-oci [global options] create [options] CONTAINER_ID\n\n"
    "Create a container from the bundle; its init waits for `start`.\n\n"
    "Options:\n" CREATE_OPTIONS },
  { "start", cmd_start, "start a created container", "Usage: ulysses-oci [global options] start CONTAINER_ID\n" },
  { "state", cmd_state, "print the state of a container as JSON",
    "Usage: ulysses-oci [global options] state CONTAINER_ID\n" },
  { "kill", cmd_kill, "send a signal to the container's init (or all its processes)",
    "Usage: ulysses-oci [global options] kill [--all] CONTAINER_ID [SIGNAL]\n\n"
    "SIGNAL: a name (TERM, SIGTERM) or a number (15); default SIGTERM; 0 only checks that the\n"
    "init exists. A stopped container: \"container not running\", unless --all (then whatever is\n"
    "left in its cgroup is signalled, and nothing left is a success), as with runc.\n"
    "  -a, --all   signal every process of the container\n" },
  { "delete", cmd_delete, "delete a stopped container (with --force, any container)",
    "Usage: ulysses-oci [global options] delete [--force] CONTAINER_ID\n\n"
    "  -f, --force   kill the container first if it is not stopped; a container that does\n"
    "                not exist is no error\n" },
  { "run", cmd_run, "create and start a container, by default waiting for it",
    "Usage: ulysses-oci [global options] run [options] CONTAINER_ID\n\n"
    "Create and start a container; by default wait for it, delete it and exit with its status.\n\n"
    "Options:\n" CREATE_OPTIONS
    "  -d, --detach              return after starting (needs --console-socket for a terminal)\n"
    "      --keep                do not delete the container after it exits\n"
    "      --no-subreaper        accepted for runc compatibility: ulysses-oci never makes\n"
    "                            itself a child subreaper, so this is always the case\n" },
  { "exec", cmd_exec, "run a new process in a running container",
    "Usage: ulysses-oci [global options] exec [options] CONTAINER_ID [COMMAND [ARG...]]\n\n"
    "  -p, --process FILE        process.json to run (instead of COMMAND)\n"
    "  -t, --tty                 allocate a pseudo-terminal\n"
    "      --console-socket PATH unix socket to receive the pty master\n"
    "      --pid-file FILE       write the new process's pid to FILE\n"
    "  -d, --detach              do not wait for the process\n"
    "      --cwd DIR             working directory\n"
    "  -e, --env KEY=VALUE       set an environment variable, replacing the container's (repeatable)\n"
    "  -u, --user UID[:GID]      user to run as\n"
    "  -g, --additional-gids GID add a supplementary group (repeatable)\n"
    "  -c, --cap CAP             add a capability (repeatable)\n"
    "      --no-new-privs        set no_new_privileges\n"
    "      --preserve-fds N      pass N extra fds\n"
    "      --process-label L     SELinux process label\n"
    "      --apparmor PROFILE    AppArmor profile\n"
    "      --cgroup [CTRL[,CTRL]:]PATH  run in the existing sub-cgroup PATH of the container's\n"
    "                            (v1: per controller, repeatable; a bare PATH: every hierarchy)\n"
    "      --ignore-paused       exec in a paused container too (the process waits for resume)\n\n"
    "Exit status: the process's; 255 when the runtime fails before it runs (as runc).\n",
    255 },
  { "list", cmd_list, "list containers",
    "Usage: ulysses-oci [global options] list [--format table|json] [-q]\n\n"
    "  -f, --format FMT   table (default) or json\n"
    "  -q, --quiet        print only the ids\n" },
  { "spec", cmd_spec, "write a config.json (the default, or one shaped by options)",
    "Usage: ulysses-oci spec [options]\n\n"
    "Write DIR/config.json: the default config (busybox-friendly `sh` on a terminal),\n"
    "changed by the options below. Nothing is written if any option is invalid.\n\n"
    "  -b, --bundle DIR          where to write config.json (default: current directory)\n"
    "      --rootless            a config for an unprivileged user (user namespace, no cgroup limits)\n"
    "      --rootfs DIR          root.path (relative to the bundle, or absolute; must exist)\n"
    "      --args \"CMD ARGS\"     process.args, split at blanks ('...' and \"...\" quote); replaces\n"
    "                            an earlier --args or --arg\n"
    "      --arg ARG             append one word to process.args (repeatable)\n"
    "  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
    "      --env-file FILE       KEY=VALUE lines (a bare KEY: its value here; # comments)\n"
    "  -u, --user USER[:GROUP]   process.user: numbers, or names from the rootfs' /etc/passwd\n"
    "                            and /etc/group (a name alone also gets its groups)\n"
    "      --cwd DIR             process.cwd (absolute)\n"
    "      --cap-add CAP, --cap-drop CAP  capabilities beside the default three (NET_ADMIN,\n"
    "                            CAP_CHOWN, ALL; comma lists; repeatable)\n"
    "  -v, --volume HOST:CTR[:ro|rw]  bind mount HOST at CTR (repeatable)\n"
    "      --tmpfs DIR[:OPTS]    a tmpfs at DIR (nosuid,nodev,noexec unless OPTS say otherwise;\n"
    "                            size=, mode=, uid=, gid=, ro; repeatable)\n"
    "      --memory SIZE         memory limit: bytes or a k, m, g, t suffix (512m)\n"
    "      --cpus N.N            CPU quota: N.N * 100000 us per 100000 us period\n"
    "      --pids-limit N        maximum number of tasks\n"
    "      --hostname NAME       the container's host name\n"
    "      --network NAME        own network namespace joined to CNI network NAME\n"
    "                            (annotation org.ulysses.network); host: the host's; none: only lo\n"
    "  -p, --publish HOST:CTR[/PROTO]  map a host port (annotation org.ulysses.ports; repeatable)\n"
    "  -t, --tty, --no-tty       process.terminal on (default) or off\n"
    "      --read-only, --no-read-only  root.readonly on (default) or off\n"
    "      --annotation KEY=VALUE  an annotation (repeatable)\n" },
  { "features", cmd_features, "print the runtime's features as JSON",
    "Usage: ulysses-oci features\n" },
  { "checkpoint", cmd_checkpoint, "checkpoint a running container with CRIU",
    "Usage: ulysses-oci [global options] checkpoint [options] CONTAINER_ID\n\n"
    "Save the container's processes with CRIU. Unless --leave-running or --pre-dump is given,\n"
    "the container is deleted afterwards (restore brings it back).\n\n"
    "  --image-path DIR           where the images go (made if missing; default ./checkpoint)\n"
    "  --work-path DIR            where CRIU's log and work files go (default: the image path)\n"
    "  --parent-path DIR          a previous --pre-dump, relative to the image path\n"
    "  --leave-running            keep the container running after the checkpoint\n"
    "  --pre-dump                 dump only the memory; the container keeps running\n"
    "  --tcp-established          checkpoint established TCP connections\n"
    "  --ext-unix-sk              allow unix sockets connected outside the container\n"
    "  --shell-job                the container is a job of a shell (an external terminal)\n"
    "  --file-locks               checkpoint file locks\n"
    "  --manage-cgroups-mode M    soft (default), full, strict or ignore\n"
    "  --empty-ns network         keep the network namespace out of the images\n"
    "  --auto-dedup               free image pages already in the parent images\n" },
  { "restore", cmd_restore, "restore a container from a CRIU checkpoint",
    "Usage: ulysses-oci [global options] restore [options] CONTAINER_ID\n\n"
    "Create CONTAINER_ID from the bundle with the processes of a checkpoint. Without --detach,\n"
    "wait for it, delete it and exit with its status (as run).\n\n"
    "  -b, --bundle DIR           bundle directory (default: current directory)\n"
    "      --image-path DIR       the checkpoint's images (default ./checkpoint)\n"
    "      --work-path DIR        where CRIU's log goes (default: the image path)\n"
    "  -d, --detach               return once the container runs\n"
    "      --pid-file FILE        write the restored init's pid to FILE\n"
    "      --console-socket PATH  unix socket to receive the new pty master (process.terminal)\n"
    "      --no-pivot             accepted for runc's command line (CRIU sets up the root itself)\n"
    "      --no-subreaper         accepted for runc's command line\n"
    "      --tcp-established, --ext-unix-sk, --shell-job, --file-locks, --auto-dedup\n"
    "                             as given to checkpoint\n"
    "      --manage-cgroups-mode M  soft (default), full, strict or ignore\n"
    "      --empty-ns network     make a new, empty network namespace\n"
    "      --lsm-profile TYPE:NAME  the LSM profile the processes get (apparmor:P, selinux:L)\n"
    "      --lsm-mount-context CTX  the SELinux context of the restored mounts\n" },
  { "update", cmd_update, "update a container's resource limits",
    "Usage: ulysses-oci [global options] update [options] CONTAINER_ID\n\n"
    "  -r, --resources FILE      linux.resources JSON (\"-\" for stdin); the flags below override it\n"
    "      --memory N            memory limit (bytes, or 512m, 1g; -1 unlimited)\n"
    "      --memory-swap N       memory+swap limit\n"
    "      --memory-reservation N  soft limit\n"
    "      --kernel-memory N, --kernel-memory-tcp N\n"
    "      --cpu-shares N        relative weight (also --cpu-share)\n"
    "      --cpu-quota N, --cpu-period N   CFS quota/period in microseconds\n"
    "      --cpu-rt-period N, --cpu-rt-runtime N\n"
    "      --cpuset-cpus LIST, --cpuset-mems LIST\n"
    "      --pids-limit N        maximum number of tasks (-1 unlimited)\n"
    "      --blkio-weight N      block I/O weight (10-1000)\n" },
  { "pause", cmd_pause, "freeze every process of a running container",
    "Usage: ulysses-oci [global options] pause CONTAINER_ID\n" },
  { "resume", cmd_resume, "thaw a paused container", "Usage: ulysses-oci [global options] resume CONTAINER_ID\n" },
  { "ps", cmd_ps, "list the processes of a container",
    "Usage: ulysses-oci [global options] ps [--format table|json] CONTAINER_ID [PS_ARGS...]\n\n"
    "  -f, --format FMT   table (default: the host's `ps -ef`, or PS_ARGS, filtered) or json (array of pids)\n" },
  { "events", cmd_events, "print a container's resource usage and OOM events as JSON lines",
    "Usage: ulysses-oci [global options] events [--stats] [--interval D] CONTAINER_ID\n\n"
    "      --stats        print the statistics once and exit\n"
    "      --interval D   time between statistics (default 5s)\n" },
};

static void usage(FILE *f)
{
  fprintf(f, "Usage: ulysses-oci [global options] COMMAND [options] [arguments]\n\n"
             "An OCI runtime: runs containers from OCI bundles.\n\nCommands:\n");
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nGlobal options:\n"
             "  --root DIR             state directory (default /run/ulysses-oci; not root, or uid 0 in a\n"
             "                         user namespace with $USER other than root: $XDG_RUNTIME_DIR/ulysses-oci;\n"
             "                         not root without XDG_RUNTIME_DIR: /tmp/ulysses-oci-UID)\n"
             "  --rootless true|false|auto  cgroups best effort (auto: not root, or root in a user namespace)\n"
             "  --log FILE             also write errors and debug output to FILE\n"
             "  --log-format text|json format of --log (json: runc-style lines)\n"
             "  --debug                debug output\n"
             "  --systemd-cgroup       place the container's cgroup through systemd\n"
             "  --cgroup-manager cgroupfs|systemd  the same choice, spelled as crun does\n"
             "  --criu PATH            the criu binary for checkpoint/restore (default: criu)\n"
             "  --version, -v          print the version\n"
             "  --help, -h             this help (also: ulysses-oci help [COMMAND])\n");
}

/* `help [COMMAND]`, as runc's command line takes it (scripts and people type
 * `runc help run`): the same text as --help, on stdout. */
static int help_verb(int argc, char **argv)
{
  if (argc < 2) {
    usage(stdout);
    return 0;
  }
  if (argc > 2) {
    log_error("help: unexpected argument \"%s\"", argv[2]);
    return 1;
  }
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
    if (strcmp(commands[i].name, argv[1]) == 0) {
      fputs(commands[i].usage, stdout);
      return 0;
    }
  }
  log_error("help: unknown command \"%s\" (see ulysses-oci --help)", argv[1]);
  return 1;
}

int expect_id(int argc, char **argv, int optind_, const char *verb, const char **id, uoci_error **err)
{
  if (optind_ >= argc)
    return uoci_fail(err, 0, "%s: missing container id (see `ulysses-oci %s --help`)", verb, verb);
  if (argc - optind_ > 1)
    return uoci_fail(err, 0, "%s: unexpected argument \"%s\"", verb, argv[optind_ + 1]);
  *id = argv[optind_];
  return 0;
}

/* UOCI_COMMIT: git describe of the tree it was built from, or "unknown"
 * (a release tarball); generated by the build (Makefile.am). */
#include "src/commit.h"

static void print_version(void)
{
  /* runc's shape: "NAME version X" first (docker and nerdctl split that line
   * at "version"), then "commit:" and "spec:" lines; podman shows it all. */
  const struct scmp_version *lib = seccomp_version();
  printf("ulysses-oci version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n", PACKAGE_VERSION, UOCI_COMMIT,
         OCISPEC_VERSION, lib->major, lib->minor, lib->micro);
  /* which build this is (configure.ac): the static musl one hands
   * --systemd-cgroup and checkpoint/restore to the glibc one (companion.h) */
#ifdef UOCI_MUSL
  printf("libc: musl %s (static; %s for --systemd-cgroup, checkpoint, restore)\n", UOCI_MUSL, COMPANION_NAME);
#else
  printf("libc: glibc %d.%d\n", __GLIBC__, __GLIBC_MINOR__);
#endif
}

/* runc's values for --rootless (true/false spellings, "auto" or empty: detect); anything else is refused. */
static int parse_bool_or_auto(const char *s, int *out)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
  *out = -1;
  if (*s == '\0' || strcmp(s, "auto") == 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
    if (strcmp(s, yes[i]) == 0)
      return *out = 1, 0;
    if (strcmp(s, no[i]) == 0)
      return *out = 0, 0;
  }
  return -1;
}

/* The global options, up to the verb, into *g. Returns -1 to go on, else
 * the status to exit with (--version, --help, a bad option). */
static int parse_globals(int argc, char **argv, struct uoci_globals *g, const struct rootless_env *env)
{
  const char *log_format = "text";
  enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CRIU, OPT_LOG_LEVEL, OPT_CGROUP_MANAGER };
  static const struct option opts[] = {
    { "root", required_argument, 0, OPT_ROOT },
    { "log", required_argument, 0, OPT_LOG },
    { "log-format", required_argument, 0, OPT_LOG_FORMAT },
    { "log-level", required_argument, 0, OPT_LOG_LEVEL },
    { "debug", no_argument, 0, OPT_DEBUG },
    { "systemd-cgroup", no_argument, 0, OPT_SYSTEMD },
    { "cgroup-manager", required_argument, 0, OPT_CGROUP_MANAGER },
    { "rootless", required_argument, 0, OPT_ROOTLESS },
    { "criu", required_argument, 0, OPT_CRIU },
    { "version", no_argument, 0, 'v' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ROOT: g->root = optarg; break;
    case OPT_LOG: g->log = optarg; break;
    case OPT_LOG_FORMAT: log_format = optarg; break;
    case OPT_LOG_LEVEL: if (strcmp(optarg, "debug") == 0) g->debug = true; break;
    case OPT_DEBUG: g->debug = true; break;
    case OPT_SYSTEMD: g->systemd_cgroup = true; break;
    case OPT_CGROUP_MANAGER:
      /* crun's spelling of the same choice; "disabled" (no cgroup at all) is not offered */
      if (strcmp(optarg, "systemd") == 0)
        g->systemd_cgroup = true;
      else if (strcmp(optarg, "cgroupfs") == 0)
        g->systemd_cgroup = false;
      else {
        log_error("--cgroup-manager: expected cgroupfs or systemd, got \"%s\"", optarg);
        return 1;
      }
      break;
    case OPT_ROOTLESS: {
      int v;
      if (parse_bool_or_auto(optarg, &v) < 0) {
        fprintf(stderr, "ulysses-oci: --rootless: expected true, false or auto, got \"%s\"\n", optarg);
        return 1;
      }
      g->rootless = v < 0 ? rootless_cgroups(env) : v == 1;
      break;
    }
    case OPT_CRIU: g->criu = optarg; break;
    case 'v': print_version(); return 0;
    case 'h': usage(stdout); return 0;
    default:
      log_error("unknown global option \"%s\" (see ulysses-oci --help)", argv[optind - 1]);
      return 1;
    }
  }
  if (strcmp(log_format, "json") != 0 && strcmp(log_format, "text") != 0) {
    log_error("--log-format: expected text or json, got \"%s\"", log_format);
    return 1;
  }
  g->log_json = strcmp(log_format, "json") == 0;
  return -1;
}

/* `VERB --help` (before the verb's own parser sees it): prints its usage. */
static bool wants_usage(const struct command *cmd, int argc, char **argv)
{
  for (int k = 1; k < argc; k++) {
    if (strcmp(argv[k], "--") == 0)
      return false;
    if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
      return true;
    if (argv[k][0] != '-' && strcmp(cmd->name, "exec") == 0)
      return false; /* exec's COMMAND may have its own --help */
  }
  return false;
}

/* One verb, argv[0] its name: the hand-over to the glibc build where it
 * needs one, the check of a private default state root, then the verb. */
static int run_command(const struct command *cmd, const struct uoci_globals *g, int argc, char **argv,
                       bool root_is_private_default)
{
  if (wants_usage(cmd, argc, argv)) {
    fputs(cmd->usage, stdout);
    return 0;
  }
  uoci_error *err = NULL;
#ifdef UOCI_MUSL
  if (companion_dispatch(cmd->name, g->systemd_cgroup, &err) < 0) {
    log_error("%s", err->msg);
    uoci_error_free(err);
    return 1;
  }
#endif
  log_debug("%s (root %s%s%s)", cmd->name, g->root, g->systemd_cgroup ? ", systemd cgroup" : "",
            g->rootless ? ", rootless" : "");
  bool uses_root = cmd->fn != cmd_spec && cmd->fn != cmd_features;
  if (uses_root && root_is_private_default && rootless_check_private_dir(g->root, &err) < 0) {
    log_error("%s", err->msg);
    uoci_error_free(err);
    return 1;
  }
  optind = 0; /* GNU getopt: start over for the verb's own options */
  opterr = 0;
  int r = cmd->fn(g, argc, argv, &err);
  if (r < 0) {
    log_error("%s", err && err->msg ? err->msg : "failed");
    uoci_error_free(err);
    return cmd->fail_status ? cmd->fail_status : 1;
  }
  return r;
}

int main(int argc, char **argv)
{
  struct uoci_globals g = { 0 };
  /* The soft fd limit may be tiny (16); the runtime holds more than that for
   * a moment (cgroup files of every hierarchy, sockets). Every process the
   * runtime starts gets the caller's limit back (rlimit_nofile_restore). */
  rlimit_nofile_raise();
  preserve_fds_reserve(preserve_fds_wanted(argc, argv, getenv("LISTEN_FDS")));
  selfexe_init(argv);
  struct rootless_env env;
  rootless_env_detect(&env);
  g.rootless = rootless_cgroups(&env);
  g.in_userns = env.in_userns;
  bool private_tmp = false;
  _cleanup_free_ char *default_root = rootless_default_root(&env, &private_tmp);
  g.root = default_root;
  int status = parse_globals(argc, argv, &g, &env);
  if (status >= 0)
    return status;
  if (log_init(g.log, g.log_json, g.debug) < 0)
    return 1;
  if (optind >= argc) {
    usage(stderr);
    return 1;
  }
  const char *verb = argv[optind];
  if (strcmp(verb, "help") == 0)
    return help_verb(argc - optind, argv + optind);
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
    if (strcmp(commands[i].name, verb) == 0)
      return run_command(&commands[i], &g, argc - optind, argv + optind, private_tmp && g.root == default_root);
  log_error("unknown command \"%s\" (see ulysses-oci --help)", verb);
  return 1;
}

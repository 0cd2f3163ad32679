/* SPDX-License-Identifier: GPL-2.0-or-later */
/* container.c - create, start, run and delete; see docs/ARCHITECTURE.md.
 *
 * create, as two processes talking over a SOCK_SEQPACKET socketpair (sync.h):
 *
 *   runtime (parent)                         init (child of clone3)
 *   plan: parse config, validate,
 *         plan_protocol()
 *   make state dir, cgroup
 *   clone3(new namespaces[, INTO_CGROUP]) -> enter namespaces: join cgroup
 *   [write id maps / attach pid]          -> (waits for USERMAP_DONE if needed)
 *                                            join namespaces, hostname
 *                                            build the root: mounts
 *   run prestart/createRuntime hooks     <-  CREATE_HOOKS (only if there are hooks)
 *   HOOKS_DONE (state JSON)              ->  createContainer hooks
 *                                            pivot_root, terminal, sysctls,
 *                                            cwd made, masked and read-only paths
 *                                            finish the process: rlimits...,
 *                                            cwd, resolve the executable
 *   pass it to listenerPath              <-  SECCOMP_FD + fd (notify filters only)
 *   save state, pid file, exit           <-  CREATED
 *                                            block opening exec.fifo (create)
 *                                            or wait for START (run)
 *   `start`: open exec.fifo, read a byte ->  startContainer hooks, drop
 *   poststart hooks                          privileges, seccomp, execve
 *
 * The init is a fork of the runtime, never a re-exec of /proc/self/exe, and it
 * is made non-dumpable before it enters the container's namespaces, so the
 * container can't reach the runtime binary (CVE-2019-5736 class). Every fd the
 * runtime opens is O_CLOEXEC and everything above the preserved fds is closed
 * on exec (CVE-2024-21626 class). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caps.h"
#include "cgroup.h"
#include "container.h"
#include "criu.h"
#include "exectramp.h"
#include "hooks.h"
#include "keyring.h"
#include "log.h"
#include "lsm.h"
#include "mempolicy.h"
#include "namespaces.h"
#include "netdev.h"
#include "network.h"
#include "notify.h"
#include "pathsafe.h"
#include "process.h"
#include "procmount.h"
#include "resctrl.h"
#include "rootfs.h"
#include "selfexe.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"
#include "utils.h"
#include "fault.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct container {
  const struct uoci_globals *g;
  const struct create_opts *o;
  enum create_mode mode;
  char *bundle;
  char *rootfs;
  bool rootfs_from_parent;  /* protocol: the runtime opens the rootfs for the init (parent_after_clone) */
  int rootfs_fd;            /* init: that fd, O_PATH, in the init's own mount namespace */
  struct rootfs_sources sources; /* with rootfs_from_parent: bind sources, idmapped trees and device
                                  * nodes the runtime prepares too (rootfs.h) */
  const char *mount_label;  /* linux.mountLabel if this host applies it (decided in validate) */
  char *config_text;
  size_t config_len;
  ocispec_config *cfg;
  int state_dirfd;
  char *created;
  struct ns_plan ns;
  uoci_cgroup *cg;
  /* The protocol between the runtime and the init, decided in plan_protocol(): */
  bool child_joins_cgroup;  /* the init writes itself into the cgroup (else the parent attaches it);
                             * clone_init() clears it when CLONE_INTO_CGROUP placed it already */
  bool parent_step;         /* the child waits for USERMAP_DONE */
  bool late_undumpable;     /* unprivileged parent writes the id maps: stay dumpable until then.
                             * Decided before clone: in the child, geteuid() turns 0 as soon as
                             * the parent has written uid_map. */
  bool hooks_round_trip;    /* the child stops for createRuntime/createContainer hooks */
  bool child_waits_start;   /* run: the init waits for SYNC_START after CREATED */
  bool parent_lo_up;        /* the runtime brings lo of the init's new network namespace up after the
                             * clone, and the init waits for SYNC_LO_UP before it could matter */
  bool cgroup_by_clone;     /* clone3's CLONE_INTO_CGROUP placed the init in the unified tree */
  bool released_early;      /* run in the foreground: the init goes on after CREATED unasked */
  bool create_hooks_ran;    /* prestart/createRuntime began: a failed create still runs poststop */
  bool own_cgroupns;        /* a cgroup namespace not the runtime's: new, or joined by path (another
                             * container's): /proc/self/cgroup is relative to its root there, not to
                             * the host's hierarchies, so /sys/fs/cgroup is a new cgroup mount */
  bool joins_userns;        /* linux.namespaces has a user namespace `path`: a helper joins it and
                             * clones the init there (clone_in_user_ns) */
  struct process_plan proc;
  struct network_plan net;
  bool net_attached;
  struct netdev_plan netdevs;     /* linux.netDevices, moved by the parent after clone */
  struct mempolicy_plan mempolicy; /* linux.memoryPolicy, set by the init */
  struct resctrl_plan rdt;        /* linux.intelRdt */
  char *rdt_root;                 /* where resctrl is mounted (when rdt.present) */
  bool rdt_prepared;              /* its groups exist: undo them on failure */
  bool restoring;                 /* restore: CRIU makes the processes, no clone of ours */
  int sync_parent, sync_child;
  int console_fd;           /* connected --console-socket, or our socketpair's child end */
  int console_master_end;   /* run in the foreground with a tty: where the master arrives */
  int fifo_fd;              /* O_PATH of exec.fifo (create) */
  int fifo_write;           /* init, released by `start`: exec.fifo's write end (close-on-exec) */
  int fifo_dirfd;           /* O_PATH of the state dir: reaches the fifo where /proc is absent */
  int tramp_fd;             /* the sealed exec trampoline the init execs first (exectramp.h), -1: none */
  int report_read;          /* run, with tramp_fd: the read end of the trampoline's report pipe */
  pid_t pid;
  pid_t saved_pid;          /* the pid in the state file as last written (-1: none yet) */
  char *saved_cgroup;       /* the cgroup string as last written */
  char *keyring;            /* name of the init's session keyring (NULL: --no-new-keyring) */
  char *exe;                /* identity of the runtime binary the init runs (selfexe_identity) */
  char *annotations;        /* the config's annotations as the state file records them */
  const char *notify_host;  /* $NOTIFY_SOCKET of the runtime (notify.h), NULL: none */
  int notify_fd;            /* run: the container's notify socket, bound before the init runs */
};

static void container_init(struct container *c)
{
  memset(c, 0, sizeof *c);
  c->state_dirfd = c->sync_parent = c->sync_child = c->console_fd = c->console_master_end = c->fifo_fd = c->fifo_dirfd = -1;
  c->fifo_write = c->tramp_fd = c->report_read = -1;
  c->rootfs_fd = -1;
  c->notify_fd = -1;
  c->netdevs.nsfd = -1;
  c->saved_pid = -1;
  for (int k = 0; k < NS_COUNT; k++)
    c->ns.join_fd[k] = -1;
}

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void container_release(struct container *c)
{
  free(c->bundle);
  free(c->rootfs);
  free(c->config_text);
  free(c->created);
  free(c->keyring);
  free(c->exe);
  free(c->annotations);
  free(c->saved_cgroup);
  ocispec_config_free(c->cfg);
  ns_plan_close(&c->ns);
  if (c->cg)
    cgroup_free(c->cg);
  process_plan_release(&c->proc);
  network_plan_release(&c->net);
  netdev_plan_release(&c->netdevs);
  mempolicy_plan_release(&c->mempolicy);
  resctrl_plan_release(&c->rdt);
  free(c->rdt_root);
  close_fd(&c->state_dirfd);
  close_fd(&c->sync_parent);
  close_fd(&c->sync_child);
  close_fd(&c->console_fd);
  close_fd(&c->console_master_end);
  close_fd(&c->fifo_fd);
  close_fd(&c->fifo_dirfd);
  close_fd(&c->rootfs_fd);
  close_fd(&c->tramp_fd);
  close_fd(&c->report_read);
  close_fd(&c->proc.report_fd);
  close_fd(&c->notify_fd);
  rootfs_sources_release(&c->sources);
}

int write_pid_file(const char *path, pid_t pid, uoci_error **err)
{
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int) pid);
  _cleanup_free_ char *tmp = xasprintf("%s.tmp%d", path, (int) getpid());
  _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return uoci_fail(err, errno, "pid file %s", path);
  if (write_all(fd, buf, (size_t) n) < 0 || rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return uoci_fail(err, e, "pid file %s", path);
  }
  return 0;
}

/* ---- loading the bundle --------------------------------------------------- */

/* Far above any real config (kubelet caps all annotations at 256 KiB; the
 * seccomp rules at 4096): a bound on what a bundle can make us hold. */
#define CONFIG_MAX_BYTES ((size_t) 64 << 20)

static int load_bundle(struct container *c, uoci_error **err)
{
  const char *b = c->o->bundle && *c->o->bundle ? c->o->bundle : ".";
  char real[PATH_MAX];
  if (realpath(b, real) == NULL)
    return uoci_fail(err, errno, "bundle %s", b);
  c->bundle = xstrdup(real);
  /* --config (crun's option) names the file relative to the caller's cwd, not the bundle */
  _cleanup_free_ char *cfgpath = c->o->config && *c->o->config ? xstrdup(c->o->config)
                                                               : xasprintf("%s/config.json", c->bundle);
  if (read_regular_file_at(AT_FDCWD, cfgpath, CONFIG_MAX_BYTES, &c->config_text, &c->config_len, err) < 0)
    return -1;
  char *perr = NULL;
  c->cfg = ocispec_parse(&ocispec_config_type, c->config_text, c->config_len, "config.json", &perr);
  if (c->cfg == NULL) {
    uoci_fail(err, 0, "%s", perr);
    free(perr);
    return -1;
  }
  if (c->cfg->root == NULL || c->cfg->root->path == NULL || *c->cfg->root->path == '\0')
    return uoci_fail(err, 0, "config.json: .root.path: required");
  _cleanup_free_ char *rootfs = c->cfg->root->path[0] == '/' ? xstrdup(c->cfg->root->path)
                                                             : xasprintf("%s/%s", c->bundle, c->cfg->root->path);
  if (realpath(rootfs, real) == NULL)
    return uoci_fail(err, errno, "rootfs %s", rootfs);
  struct stat st;
  if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
    return uoci_fail(err, ENOTDIR, "rootfs %s", rootfs);
  c->rootfs = xstrdup(real);
  rootfs_destinations_in_root(c->cfg, rootfs, real);
  return 0;
}

/* run without any hooks: nothing has to happen between CREATED and the
 * user process (the state already holds the pid), so the init goes on at
 * once instead of waiting for SYNC_START, a round trip less. */
static bool any_hooks(const ocispec_hooks *h)
{
  return h && (h->prestart_len || h->create_runtime_len || h->create_container_len || h->start_container_len ||
               h->poststart_len || h->poststop_len);
}

/* Hooks that make the init stop half-way through create for a round trip. */
static bool has_create_hooks(const ocispec_hooks *h)
{
  return h && (h->prestart_len || h->create_runtime_len || h->create_container_len || h->start_container_len);
}

/* A network namespace other than the runtime's: a new one, or a joined
 * one that is not ours (netDevices moved there must leave the host). */
static bool own_network_namespace(const struct ns_plan *ns)
{
  if (ns->new_flags & CLONE_NEWNET)
    return true;
  if (ns->join_fd[NS_NET] < 0)
    return false;
  struct stat a, b;
  return fstat(ns->join_fd[NS_NET], &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
         (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
}

/* Without a user namespace of the container's own, the init's execve of
 * the program must not run from the runtime's binary when that is on a
 * writable mount: through the sealed trampoline, or, where that would start
 * the process differently, from a sealed runtime (the re-exec starts over,
 * so this comes before anything is made or logged). exectramp.h. */
static int plan_exec_trampoline(struct container *c, uoci_error **err)
{
  if (selfexe_is_sealed())
    return 0;
  const ocispec_config *cfg = c->cfg;
  const char *why;
  if (exectramp_fits(cfg->process, cfg->linux ? cfg->linux->seccomp : NULL, &why) &&
      (c->tramp_fd = exectramp_open()) >= 0)
    return 0;
  return selfexe_seal(err);
}

/* Everything that can be checked before anything is created. */
static int validate(struct container *c, uoci_error **err)
{
  const ocispec_config *cfg = c->cfg;
  if (ns_plan_from_spec(cfg->linux, &c->ns, err) < 0)
    return -1;
  /* Until it execs, the init runs runtime code inside the container's pid
   * namespace. Only an exec could join it there, and exec refuses a process
   * that may hold CAP_SYS_PTRACE before the init has exec'd: the init's
   * /proc/PID/exe needs sealing only in a pid namespace shared with tenants
   * we don't know. First thing: the re-exec repeats all of this. */
  struct ptrace_exposure exposure = {
    .own_userns = ns_plan_owns(&c->ns, NS_USER),
    .shared_pidns = c->ns.join_fd[NS_PID] >= 0 && ns_plan_owns(&c->ns, NS_PID),
  };
  if (selfexe_must_seal(&exposure) && selfexe_seal(err) < 0)
    return -1;
  if (!c->restoring && !exposure.own_userns && plan_exec_trampoline(c, err) < 0)
    return -1;
  /* Names and sysctls are set only in namespaces of the container's own:
   * anywhere else they would change the host. */
  bool own_uts = ns_plan_owns(&c->ns, NS_UTS);
  if ((cfg->hostname && *cfg->hostname) && !own_uts)
    return uoci_fail(err, 0, "config.json: .hostname: needs a private UTS namespace");
  if ((cfg->domainname && *cfg->domainname) && !own_uts)
    return uoci_fail(err, 0, "config.json: .domainname: needs a private UTS namespace");
  struct sysctl_scope scope = {
    .own_ipc = ns_plan_owns(&c->ns, NS_IPC),
    .own_net = ns_plan_owns(&c->ns, NS_NET),
    .own_uts = own_uts,
    .own_user = ns_plan_owns(&c->ns, NS_USER),
    .hostname = cfg->hostname,
    .domainname = cfg->domainname,
  };
  if (sysctl_check_all(cfg->linux, &scope, err) < 0)
    return -1;
  if (cfg->linux && cfg->linux->time_offsets.len && !(c->ns.new_flags & CLONE_NEWTIME))
    return uoci_fail(err, 0, "config.json: .linux.timeOffsets: needs a new time namespace");
  if (c->ns.new_flags & CLONE_NEWUSER) {
    if (!cfg->linux->uid_mappings_len || !cfg->linux->gid_mappings_len)
      return uoci_fail(err, 0, "config.json: .linux: a new user namespace needs uidMappings and gidMappings");
  }
  if (lsm_check(NULL, cfg->linux, err) < 0 || procmount_check_config(cfg, c->bundle, err) < 0)
    return -1;
  c->mount_label = lsm_mount_label(cfg->linux);
  if (network_plan_from_config(cfg, (c->ns.new_flags & CLONE_NEWNET) != 0, &c->net, err) < 0)
    return -1;
  if (netdev_plan_from_spec(cfg->linux, own_network_namespace(&c->ns), &c->netdevs, err) < 0 ||
      mempolicy_plan_from_spec(cfg->linux ? cfg->linux->memory_policy : NULL, &c->mempolicy, err) < 0 ||
      resctrl_plan_from_spec(cfg->linux ? cfg->linux->intel_rdt : NULL, c->o->id, &c->rdt, err) < 0)
    return -1;
  /* The spec: intelRdt without a mounted resctrl MUST be an error. */
  if (c->rdt.present && resctrl_find_root(&c->rdt_root, err) < 0)
    return -1;
  if (process_plan_init(cfg->process, cfg->linux ? cfg->linux->seccomp : NULL, c->o->preserve_fds,
                        scope.own_user, &c->proc, err) < 0)
    return -1;
  c->proc.tramp_fd = c->tramp_fd;
  bool terminal = cfg->process->has_terminal && cfg->process->terminal;
  if (terminal && c->mode != MODE_RUN && c->o->console_socket == NULL)
    return uoci_fail(err, 0, "process.terminal is true: --console-socket is required when detaching");
  if (terminal && c->mode == MODE_RUN && c->o->console_socket == NULL && !terminal_host_available())
    return uoci_fail(err, 0, "run: " TERMINAL_NONE_MSG);
  if (!terminal && c->o->console_socket)
    return uoci_fail(err, 0, "--console-socket given but process.terminal is false");
  return 0;
}

/* The protocol between the runtime and the init (sync.h), decided once,
 * right after validation and before anything exists; the init only
 * follows these flags. */
static void plan_protocol(struct container *c)
{
  const ocispec_hooks *h = c->cfg->hooks;
  c->joins_userns = c->ns.join_fd[NS_USER] >= 0;
  c->own_cgroupns = ns_plan_owns(&c->ns, NS_CGROUP);
  /* In a user namespace, new or joined, the init's root is root only over
   * the ids it maps: the host's files are not its own. */
  bool new_userns = (c->ns.new_flags & CLONE_NEWUSER) != 0 || c->joins_userns;
  c->hooks_round_trip = has_create_hooks(h);
  /* With a network the process must not run before the CNI ADD is done. */
  c->child_waits_start = c->mode != MODE_CREATE && (any_hooks(h) || c->net.name != NULL);
  /* In the foreground with nothing to run after start, the init goes on at
   * once: waiting for its exit is enough (an exec failure is read after
   * it), which spares waking it up once more in between. */
  c->released_early = c->mode == MODE_RUN && !c->child_waits_start;
  /* An init in a new user namespace is root only over the ids it maps: it
   * may have no right to walk to the rootfs (a bundle in a 0700 directory
   * of the real root, as runtime-tools and engines make them). A privileged
   * runtime can: it opens the rootfs inside the init's new mount namespace
   * and passes the fd on, after the id maps (parent_after_clone). Rootless:
   * the user owns the bundle's path. */
  c->rootfs_from_parent = new_userns && (c->ns.new_flags & CLONE_NEWNS) && geteuid() == 0;
  /* ...and so it prepares what else of the host the init cannot reach */
  if (c->rootfs_from_parent)
    rootfs_sources_plan(c->cfg, c->rootfs, &c->sources);
  /* A thread in a new user namespace has no rights on the host's cgroup
   * files, and systemd puts the pid into its scope itself: the parent
   * attaches the init then. */
  c->child_joins_cgroup = !new_userns && !c->g->systemd_cgroup;
  /* The runtime's step after clone also moves the network devices and puts
   * the init into its resctrl group: both before the init may go on. */
  c->parent_step = new_userns || !c->child_joins_cgroup || c->netdevs.n > 0 || c->rdt.present;
  c->late_undumpable = (c->ns.new_flags & CLONE_NEWUSER) && geteuid() != 0;
  /* `lo` of a new network namespace: brought up by the runtime, which has
   * nothing else to do while the init builds the root, rather than by the
   * init (an ioctl of ~0.08 ms: the kernel's work of opening a device).
   * Only a privileged runtime outside any user namespace can enter the
   * init's namespace; the init waits for the answer before the sysctls and
   * the create hooks, and does it itself when the runtime could not. */
  c->parent_lo_up = (c->ns.new_flags & CLONE_NEWNET) && !new_userns && !c->g->in_userns && !c->g->rootless &&
                    geteuid() == 0;
}

/* ---- user namespace ----------------------------------------------------- */

/* An unprivileged runtime may only map its own id, once, and (for the gids)
 * after writing "deny" to setgroups; anything wider goes through the
 * setuid helpers newuidmap/newgidmap and /etc/subuid, /etc/subgid. */
static bool is_self_map(const ocispec_id_mapping *m, size_t n, unsigned own)
{
  return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

static int run_id_helper(const char *helper, pid_t pid, const ocispec_id_mapping *m, size_t n, uoci_error **err)
{
  char **argv = xcalloc(3 * n + 3, sizeof *argv);
  size_t k = 0;
  argv[k++] = xstrdup(helper);
  argv[k++] = xasprintf("%d", (int) pid);
  for (size_t i = 0; i < n; i++) {
    argv[k++] = xasprintf("%u", m[i].container_id);
    argv[k++] = xasprintf("%u", m[i].host_id);
    argv[k++] = xasprintf("%u", m[i].size);
  }
  pid_t child = fork();
  if (child == 0) {
    rlimit_nofile_restore();
    execvp(helper, argv);
    _exit(127);
  }
  int status = -1;
  if (child > 0)
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
      ;
  uoci_strv_free(argv);
  if (child < 0)
    return uoci_fail(err, errno, "user namespace: fork %s", helper);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return uoci_fail(err, 0, "user namespace: %s failed (status %d): are the ids in /etc/sub%cid?", helper,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1, helper[3]);
  return 0;
}

static int write_id_map(pid_t pid, const char *file, const ocispec_id_mapping *m, size_t n, uoci_error **err)
{
  bool gid = strcmp(file, "gid_map") == 0;
  if (geteuid() != 0 && !is_self_map(m, n, gid ? getegid() : geteuid()))
    return run_id_helper(gid ? "newgidmap" : "newuidmap", pid, m, n, err);
  if (geteuid() != 0 && gid) {
    _cleanup_free_ char *sg = xasprintf("/proc/%d/setgroups", (int) pid);
    if (write_file_at(AT_FDCWD, sg, "deny", 4, false, err) < 0)
      return uoci_error_prefix(err, "user namespace");
  }
  if (ns_write_id_map(pid, file, m, n, err) < 0)
    return uoci_error_prefix(err, "user namespace");
  return 0;
}

/* ---- the init child ------------------------------------------------------ */

static void __attribute__((noreturn)) child_fail(struct container *c, uoci_error *e)
{
  const char *msg = e && e->msg ? e->msg : "container init failed";
  /* Released by `start` (create mode): it reads what follows the "0" on
   * exec.fifo as our error (a startContainer hook, the execve). */
  if (c->fifo_write >= 0)
    (void) !write_all(c->fifo_write, msg, strlen(msg));
  else if (sync_send(c->sync_child, SYNC_ERROR, e ? e->errnum : 0, msg, strlen(msg)) < 0)
    log_error("%s", msg); /* after create returned: our stderr (and --log) is all we have */
  _exit(1);
}

static int child_wait_for(struct container *c, enum sync_type want, char **payload, uoci_error **err)
{
  static char buf[SYNC_MAX_PAYLOAD];
  struct sync_hdr h;
  ssize_t n = sync_recv(c->sync_child, &h, buf, sizeof buf);
  if (n < 0)
    return uoci_fail(err, (int) -n, "init: read from runtime");
  if (h.type != want)
    return uoci_fail(err, 0, "init: runtime went away");
  if (payload)
    *payload = buf;
  return 0;
}

/* Block until `start` opens the read side, then tell it we go on. The write
 * end stays open, close-on-exec: `start` reads EOF exactly when the user
 * process has been exec'd (or the init died), and only then runs the
 * poststart hooks. Returns the fd. */
static int wait_exec_fifo(int fifo_opath, int *dirfd, uoci_error **err)
{
  /* Reopened through /proc/self/fd of a /proc that is a procfs root. An
   * image's own /proc directory (a config that mounts none, or a tmpfs a
   * mount puts there) had a file at /proc/self/fd/N take the byte: the
   * process ran at `create` and `start` waited forever for the fifo. */
  uoci_error *e = NULL;
  int fds = proc_self_open("fd", O_PATH | O_DIRECTORY, &e);
  bool procfs = fds >= 0;
  uoci_error_free(e);
  /* no directory held while we wait, /proc's included (a tracer in a
   * shared pid namespace could use it); nothing in this mount namespace
   * can change /proc meanwhile */
  close_fd(&fds);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fifo_opath);
  /* The state directory's fd leads to the host's file system: not held
   * while we wait (a tracer could use it) unless it is the only way. */
  if (procfs)
    close_fd(dirfd);
  /* No procfs at /proc (a container without a mount namespace only gets a
   * chroot, or the config mounts none): reach the same fifo through the
   * state directory. */
  int fd = procfs ? open(path, O_WRONLY | O_CLOEXEC)
                  : (*dirfd >= 0 ? openat(*dirfd, "exec.fifo", O_WRONLY | O_CLOEXEC) : (errno = ENOENT, -1));
  if (fd < 0)
    return uoci_fail(err, errno, "open exec fifo");
  if (write_all(fd, "0", 1) < 0) {
    close(fd);
    return uoci_fail(err, errno, "write exec fifo");
  }
  return fd;
}

/* Nothing of the caller's but stdio and the preserved fds stays with the
 * init: runc's init starts with only those and its own, and a container
 * that is created but not started must not hold the caller's pipe (a test
 * harness waiting for EOF) or lock fd. Kept: every fd of the runtime's the
 * init still uses (the ones it does not are closed or -1 by now). */
static int child_close_inherited_fds(struct container *c, uoci_error **err)
{
  int keep[8 + NS_COUNT] = { log_fd(),    c->sync_child, c->console_fd,   c->fifo_fd,
                             c->fifo_dirfd, c->rootfs_fd, c->proc.tramp_fd, c->proc.report_fd };
  for (int k = 0; k < NS_COUNT; k++)
    keep[8 + k] = c->ns.join_fd[k];
  if (process_close_fds_except(3 + c->proc.preserve_fds, keep, ARRAY_SIZE(keep), err) < 0)
    return uoci_error_prefix(err, "init: close the caller's fds");
  return 0;
}

/* Stage 1, first part: leave the runtime's world. Drop what belongs to the
 * runtime and the caller's fds, die with the runtime until `create` has
 * returned, become non-dumpable and join the cgroup. */
static int child_leave_runtime(struct container *c, uoci_error **err)
{
  close_fd(&c->sync_parent);
  close_fd(&c->console_master_end);
  /* The state directory's flock belongs to the runtime: a copy held here
   * would block every later command on this container. */
  close_fd(&c->state_dirfd);
  /* the unified cgroup's directory was for clone3 only (the join below
   * writes by path) */
  if (c->cg)
    cgroup_close_fds(c->cg);
  if (child_close_inherited_fds(c, err) < 0)
    return -1;
  /* Until `create` has returned, the init dies with the runtime. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* A session of its own, terminal or not (as runc and crun): the
   * container's processes are no job of the caller's shell, and CRIU can
   * dump a tree whose session leader is inside it. */
  if (setsid() < 0)
    return uoci_fail(err, errno, "setsid");
  /* Not dumpable: no process in the container may open our /proc/PID/exe,
   * mem or fds while we still run runtime code. An unprivileged runtime must
   * first write our id maps, which needs /proc/PID owned by it: then this
   * waits until the maps are done (no container process exists before). */
  if (!c->late_undumpable)
    prctl(PR_SET_DUMPABLE, 0);
  if (process_reset_cpu_affinity(err) < 0)
    return -1;
  if (c->child_joins_cgroup) {
    /* cgroup_by_clone is set in the child too: its clone3 returned 0 with
     * CLONE_INTO_CGROUP, so it is in the unified cgroup already. */
    int r = cgroup_join_self(c->cg, c->cgroup_by_clone);
    if (r < 0)
      return uoci_fail(err, -r, "join cgroup %s", cgroup_path(c->cg));
  }
  return 0;
}

/* Stage 1, second part: wait for the runtime's step after clone (id maps,
 * cgroup attach, the rootfs fd), then become root of a new user namespace. */
static int child_wait_parent_step(struct container *c, uoci_error **err)
{
  if (c->parent_step && child_wait_for(c, SYNC_USERMAP_DONE, NULL, err) < 0)
    return -1;
  if (c->rootfs_from_parent && (c->rootfs_fd = sync_recv_fd(c->sync_child)) < 0)
    return uoci_fail(err, -c->rootfs_fd, "init: receive the rootfs from the runtime");
  if (c->rootfs_from_parent && c->sources.count) {
    c->sources.fds = xcalloc(c->sources.count, sizeof *c->sources.fds);
    for (size_t i = 0; i < c->sources.count; i++)
      if ((c->sources.fds[i] = sync_recv_fd(c->sync_child)) < 0)
        return uoci_fail(err, -c->sources.fds[i], "init: receive the mount sources from the runtime");
  }
  if (c->late_undumpable)
    prctl(PR_SET_DUMPABLE, 0);
  /* Become root of the user namespace (a new one's maps are written now). */
  if (((c->ns.new_flags & CLONE_NEWUSER) || c->joins_userns) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
    return uoci_fail(err, errno, "become root in the user namespace");
  return 0;
}

/* Stage 1, last part: enter the namespaces (join the `path` ones, create
 * the cgroup namespace) and set what lives in them: hostname, domainname,
 * keyring. */
static int child_enter_namespaces(struct container *c, uoci_error **err)
{
  const ocispec_config *cfg = c->cfg;
  log_debug("init %s: entering namespaces", c->o->id);
  if (ns_join_all(&c->ns, CLONE_NEWPID | CLONE_NEWTIME, err) < 0)
    return -1;
  if ((c->ns.new_flags & CLONE_NEWNET) && !c->parent_lo_up && ns_loopback_up(err) < 0)
    return -1;
  if ((c->ns.new_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
    return uoci_fail(err, errno, "create cgroup namespace");
  if (cfg->hostname && *cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
    return uoci_fail(err, errno, "set hostname %s", cfg->hostname);
  if (cfg->domainname && *cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
    return uoci_fail(err, errno, "set domainname %s", cfg->domainname);
  /* A session keyring of the container's own: nothing of the caller's keys
   * stays reachable; exec's processes join it by its name. */
  if (c->keyring && keyring_create(c->keyring, ns_plan_owns(&c->ns, NS_USER), err) < 0)
    return -1;
  return 0;
}

/* The round trip for the create-time hooks: the runtime runs prestart and
 * createRuntime, then answers with the states for createContainer (run
 * here, now) and startContainer (kept for just before execve). */
static int child_create_hooks(struct container *c, int root_mount, char **start_state, uoci_error **err)
{
  if (sync_send(c->sync_child, SYNC_CREATE_HOOKS, 0, NULL, 0) < 0)
    _exit(1);
  char *payload;
  if (child_wait_for(c, SYNC_HOOKS_DONE, &payload, err) < 0)
    return -1;
  *start_state = xstrdup(payload + strlen(payload) + 1);
  const ocispec_hooks *h = c->cfg->hooks;
  /* In the rootfs, as runc runs them: a hook's relative paths (`touch
   * ./lib/x`, runc's own hooks test) are the container's, mounts included. */
  if (h && h->create_container_len && (root_mount >= 0 ? fchdir(root_mount) : chdir(c->rootfs)) < 0)
    return uoci_fail(err, errno, "createContainer hooks: chdir to the rootfs %s", c->rootfs);
  if (h && hooks_run(h->create_container, h->create_container_len, "createContainer", payload, NULL, err) < 0)
    return -1;
  return 0;
}

/* Before anything that could see the network (the create hooks, the
 * sysctls, the process): the runtime's word that lo is up, or that the
 * init must bring it up itself (SYNC_LO_UP's value 1). */
static int child_wait_lo_up(struct container *c, uoci_error **err)
{
  struct sync_hdr h;
  char buf[16];
  ssize_t n = sync_recv(c->sync_child, &h, buf, sizeof buf);
  if (n < 0)
    return uoci_fail(err, (int) -n, "init: read from runtime");
  if (h.type != SYNC_LO_UP)
    return uoci_fail(err, 0, "init: runtime went away");
  return h.value == 0 ? 0 : ns_loopback_up(err);
}

/* Into the new root: pivot_root with a mount namespace; without one every
 * mount would land in the host's, so the process only gets the rootfs as
 * its root (chroot) and no mounts at all. */
static int child_enter_root(struct container *c, const struct rootfs_ctx *rctx, int root_mount, uoci_error **err)
{
  if (c->ns.present[NS_MNT])
    return rootfs_pivot(rctx, root_mount, err) < 0 ? -1 : 0;
  if (chroot(c->rootfs) < 0 || chdir("/") < 0)
    return uoci_fail(err, errno, "chroot %s", c->rootfs);
  return 0;
}

/* What the rootfs module needs to know of this container. */
static struct rootfs_ctx child_rootfs_ctx(const struct container *c)
{
  return (struct rootfs_ctx) {
    .config = c->cfg,
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .rootfs_fd = c->rootfs_fd,
    .mount_label = c->mount_label,
    .no_pivot = c->o->no_pivot,
    .bind_devices = (c->ns.new_flags & CLONE_NEWUSER) != 0 || c->joins_userns || c->g->in_userns,
    .new_netns = c->ns.present[NS_NET],
    .new_cgroupns = c->own_cgroupns,
    .new_mntns = (c->ns.new_flags & CLONE_NEWNS) != 0,
    .sources = c->sources.fds ? &c->sources : NULL,
  };
}

/* process.terminal: the pty, made inside the container (its /dev/ptmx),
 * becomes the process's stdio; its master goes out over the console socket. */
static int child_setup_terminal(struct container *c, bool own_mounts, uoci_error **err)
{
  const ocispec_process *p = c->cfg->process;
  if (!p->has_terminal || !p->terminal)
    return 0;
  if (terminal_setup_child(c->console_fd, p->console_size, own_mounts, c->o->console_socket == NULL, err) < 0)
    return -1;
  close_fd(&c->console_fd);
  c->proc.stdio_is_own_pty = true;
  return 0;
}

/* Stage 2: build the root: mounts and /dev, the createContainer hooks,
 * pivot_root, the terminal, the sysctls, then masked and read-only paths
 * (after the sysctls: /proc/sys is usually one of the read-only paths). */
static int child_build_root(struct container *c, char **start_state, uoci_error **err)
{
  const ocispec_config *cfg = c->cfg;
  struct rootfs_ctx rctx = child_rootfs_ctx(c);
  bool own_mounts = c->ns.present[NS_MNT];
  log_debug("init %s: building the root filesystem%s", c->o->id, own_mounts ? "" : " (no mount namespace: chroot)");
  _cleanup_close_ int root_mount = -1;
  if (own_mounts && (root_mount = rootfs_setup(&rctx, err)) < 0)
    return -1;
  close_fd(&c->rootfs_fd);
  rootfs_sources_release(&c->sources);
  FAULT_POINT("init-rootfs");
  if (c->parent_lo_up && child_wait_lo_up(c, err) < 0)
    return -1;
  if (c->hooks_round_trip && child_create_hooks(c, root_mount, start_state, err) < 0)
    return -1;
  if (child_enter_root(c, &rctx, root_mount, err) < 0)
    return -1;
  /* must not reach the container process: a preserved fd number is not
   * close-on-exec any more */
  close_fd(&root_mount);
  if (child_setup_terminal(c, own_mounts, err) < 0)
    return -1;
  if (sysctl_write_all(cfg->linux, err) < 0)
    return -1;
  /* A Kubernetes workingDir the image lacks: made before the root turns
   * read-only. */
  if (rootfs_make_cwd(cfg->process->cwd, err) < 0)
    return -1;
  if (own_mounts && rootfs_finalize(&rctx, err) < 0)
    return -1;
  return 0;
}

/* Stage 3: finish the process as far as it can be before `start`: the
 * privileged settings, personality, cwd, the executable resolved, and a
 * notifying seccomp filter (its listener must reach the runtime now). */
static int child_finish_process(struct container *c, uoci_error **err)
{
  const ocispec_config *cfg = c->cfg;
  /* The last debug line of the init: a seccomp filter may follow. */
  log_debug("init %s: preparing the process", c->o->id);
  if (mempolicy_apply(&c->mempolicy, err) < 0 || process_apply_privileged(&c->proc, err) < 0)
    return -1;
  if (cfg->linux && process_apply_personality(cfg->linux->personality, err) < 0)
    return -1;
  if (process_chdir(&c->proc, err) < 0 || process_resolve(&c->proc, err) < 0)
    return -1;
  /* before CREATED: the listener must have the fd when `create` returns */
  if (process_send_notify_listener(&c->proc, c->sync_child, err) < 0)
    return -1;
  return 0;
}

/* Report CREATED, then wait: for `start` on exec.fifo (create: the runtime
 * has returned and the sync socket is closed) or for START on the socket
 * (run, when it has something to do first). In run mode the sync socket
 * stays open until execve closes it: the runtime reads EOF then, or the
 * error child_fail() sends. */
static int child_wait_start(struct container *c, uoci_error **err)
{
  prctl(PR_SET_PDEATHSIG, 0);
  if (sync_send(c->sync_child, SYNC_CREATED, 0, NULL, 0) < 0)
    _exit(1);
  if (c->mode == MODE_CREATE) {
    /* `create` has returned: from here on stderr is the only channel. */
    close_fd(&c->sync_child);
    if ((c->fifo_write = wait_exec_fifo(c->fifo_fd, &c->fifo_dirfd, err)) < 0)
      return -1;
    /* `start` reads the trampoline's report there too */
    c->proc.report_fd = c->fifo_write;
    close_fd(&c->fifo_fd);
    close_fd(&c->fifo_dirfd);
  } else if (c->child_waits_start && child_wait_for(c, SYNC_START, NULL, err) < 0) {
    _exit(1);
  }
  return 0;
}

/* The startContainer hooks, as runc (1.0 to now) runs them: as the process
 * itself, its user, capabilities, no_new_privs and seccomp filter already in
 * force (a command of the container's rootfs gets no more than the
 * container), in process.cwd, with the process's environment unless they
 * have one. `start_state` is NULL when there are none. */
static int child_start_hooks(struct container *c, const char *start_state, uoci_error **err)
{
  const ocispec_hooks *h = c->cfg->hooks;
  if (start_state == NULL || h == NULL || h->start_container_len == 0)
    return 0;
  if (process_become(&c->proc, err) < 0)
    return -1;
  environ = c->proc.envp;
  return hooks_run(h->start_container, h->start_container_len, "startContainer", start_state, NULL, err);
}

/* The init: the steps in the order the spec's lifecycle and runc give them.
 * It only follows the flags the runtime decided in plan_protocol(); the
 * first error goes to the runtime (child_fail) and ends it. */
static void __attribute__((noreturn)) child_main(struct container *c)
{
  uoci_error *err = NULL;
  char *start_state = NULL;
  hooks_exec_through(c->proc.tramp_fd);
  if (child_leave_runtime(c, &err) < 0 ||               /* fds, PDEATHSIG, setsid, dumpable, cgroup */
      child_wait_parent_step(c, &err) < 0 ||            /* id maps, rootfs fds; root in the userns */
      child_enter_namespaces(c, &err) < 0 ||            /* setns, lo, cgroupns, hostname, keyring */
      child_build_root(c, &start_state, &err) < 0 ||    /* mounts, hooks, pivot_root, tty, sysctl */
      child_finish_process(c, &err) < 0 ||              /* rlimits, sched, personality, cwd, argv[0] */
      child_wait_start(c, &err) < 0 ||                  /* CREATED, then exec.fifo or START */
      child_start_hooks(c, start_state, &err) < 0)      /* startContainer */
    child_fail(c, err);
  process_exec(&c->proc, &err);                         /* caps, nnp, seccomp, execve */
  child_fail(c, err);
}

/* ---- the runtime side ----------------------------------------------------- */

static const char *ns_path_of(const ocispec_linux *l, const char *type)
{
  for (size_t i = 0; i < l->namespaces_len; i++)
    if (l->namespaces[i].type && strcmp(l->namespaces[i].type, type) == 0 && l->namespaces[i].path)
      return l->namespaces[i].path;
  return "";
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* The pid a pidfd stands for, as the reader's pid namespace sees it. */
static pid_t pid_of_pidfd(int pidfd)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  char line[128];
  long pid = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Pid: %ld", &pid) == 1)
      break;
  return pid > 0 ? (pid_t) pid : -1;
}

/* A user namespace joined by `path`: the namespaces the init creates must
 * belong to it (a UTS namespace owned by the host's user namespace refuses
 * sethostname to the container's root, a pid namespace the proc mount).
 * Only a task inside it can create such namespaces, and the runtime must
 * not enter it itself (no way back to its rights on the host): a helper
 * joins it and clones the init with CLONE_PARENT, so that the init is still
 * the runtime's own child. The helper reports errno, or a pidfd of the init:
 * forked after the runtime joined a pid namespace to join, the helper lives
 * in that namespace, and the pid clone3 gives it is the pid there, not ours
 * (used as ours, it named a host process). */
static pid_t clone_in_user_ns(struct container *c, struct clone_args *args, uoci_error **err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "socketpair");
  pid_t helper = fork();
  if (helper < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return uoci_fail(err, e, "fork");
  }
  if (helper == 0) {
    int msg[2] = { -1, 0 };
    int pidfd = -1;
    close(sv[0]);
    if (setns(c->ns.join_fd[NS_USER], CLONE_NEWUSER) < 0) {
      msg[1] = errno;
    } else {
      close(c->ns.join_fd[NS_USER]);
      c->ns.join_fd[NS_USER] = -1; /* joined: the init must not try again */
      args->flags |= CLONE_PARENT | CLONE_PIDFD;
      args->pidfd = (uint64_t) (uintptr_t) &pidfd;
      args->exit_signal = 0; /* CLONE_PARENT takes the helper's own (SIGCHLD) */
      msg[0] = (int) syscall(SYS_clone3, args, sizeof *args);
      if (msg[0] == 0) {
        close(sv[1]);
        child_main(c);
      }
      if (msg[0] < 0)
        msg[1] = errno;
    }
    (void) !write(sv[1], msg, sizeof msg);
    if (msg[0] > 0)
      (void) sync_send_fd(sv[1], pidfd, NULL);
    _exit(0);
  }
  close(sv[1]);
  int msg[2] = { -1, EIO };
  ssize_t n = read_all(sv[0], msg, sizeof msg);
  int pidfd = n == (ssize_t) sizeof msg && msg[0] > 0 ? sync_recv_fd(sv[0]) : -1;
  close(sv[0]);
  while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof msg || msg[0] <= 0)
    return uoci_fail(err, msg[1], "clone the container init in the user namespace %s",
                     c->cfg->linux ? ns_path_of(c->cfg->linux, "user") : "");
  pid_t pid = pidfd >= 0 ? pid_of_pidfd(pidfd) : -1;
  if (pidfd >= 0 && pid <= 0) {
    /* an init we cannot name by our pid must not run on: it is our child */
    (void) syscall(__NR_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    siginfo_t si;
    while (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 && errno == EINTR)
      ;
  }
  if (pidfd >= 0)
    close(pidfd);
  if (pid <= 0)
    return uoci_fail(err, pidfd < 0 ? -pidfd : 0, "clone the container init in the user namespace %s: no pid for it",
                     c->cfg->linux ? ns_path_of(c->cfg->linux, "user") : "");
  return pid;
}

static pid_t clone_init(struct container *c, uoci_error **err)
{
  struct clone_args args = { .exit_signal = SIGCHLD };
  args.flags = (unsigned) (c->ns.new_flags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME));
  if (c->joins_userns)
    return clone_in_user_ns(c, &args, err);
  int cgfd = c->cg ? cgroup_clone_into_fd(c->cg) : -1;
  if (cgfd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (unsigned) cgfd;
  }
  pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && cgfd >= 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
    /* Older kernels: no CLONE_INTO_CGROUP; the child joins by itself. */
    args.flags &= ~CLONE_INTO_CGROUP;
    args.cgroup = 0;
    c->child_joins_cgroup = true;
    pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
  } else if (cgfd >= 0 && pid >= 0) {
    c->cgroup_by_clone = true;
    /* v2: the clone placed it everywhere. Hybrid: the v1 hierarchies are
     * still to join (the child's cgroup_join_self skips the unified one). */
    if (cgroup_clone_into_is_all(c->cg))
      c->child_joins_cgroup = false;
  }
  if (pid < 0 && errno == ENOSYS)
    pid = (pid_t) syscall(SYS_clone, (unsigned long) args.flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0)
    return uoci_fail(err, errno, "clone the container init");
  return pid;
}

/* Enter the pid namespace to join (for our children only) and the new time
 * namespace with its offsets, around the clone; restore afterwards so hooks
 * the runtime runs later stay in the host's namespaces. */
static int enter_for_children(struct container *c, int *saved_pid, int *saved_time, uoci_error **err)
{
  *saved_pid = *saved_time = -1;
  if (c->ns.join_fd[NS_PID] >= 0) {
    *saved_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (setns(c->ns.join_fd[NS_PID], CLONE_NEWPID) < 0)
      return uoci_fail(err, errno, "join pid namespace");
  }
  if (c->ns.join_fd[NS_TIME] >= 0) {
    *saved_time = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (setns(c->ns.join_fd[NS_TIME], CLONE_NEWTIME) < 0)
      return uoci_fail(err, errno, "join time namespace");
  } else if (c->ns.new_flags & CLONE_NEWTIME) {
    *saved_time = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (unshare(CLONE_NEWTIME) < 0)
      return uoci_fail(err, errno, "create time namespace");
    const ocispec_linux *l = c->cfg->linux;
    for (size_t i = 0; i < l->time_offsets.len; i++) {
      const char *clock = l->time_offsets.keys[i];
      if (strcmp(clock, "monotonic") && strcmp(clock, "boottime"))
        return uoci_fail(err, 0, "config.json: .linux.timeOffsets: unknown clock \"%s\"", clock);
      _cleanup_free_ char *line = xasprintf("%s %lld %u\n", clock, (long long) l->time_offsets.values[i].secs,
                                            l->time_offsets.values[i].nanosecs);
      if (write_file_at(AT_FDCWD, "/proc/self/timens_offsets", line, strlen(line), false, err) < 0)
        return uoci_error_prefix(err, "time namespace offsets");
    }
  }
  return 0;
}

static void leave_for_children(int saved_pid, int saved_time)
{
  if (saved_pid >= 0) {
    setns(saved_pid, CLONE_NEWPID);
    close(saved_pid);
  }
  if (saved_time >= 0) {
    setns(saved_time, CLONE_NEWTIME);
    close(saved_time);
  }
}

static char *make_state_json(struct container *c, enum container_status s)
{
  struct uoci_state st = { .id = (char *) c->o->id, .pid = c->pid, .bundle = c->bundle, .rootfs = c->rootfs,
                           .created = c->created, .owner = geteuid(), .dirfd = -1 };
  return state_json(&st, s, &c->cfg->annotations, false);
}

/* Run prestart + createRuntime hooks and answer with the states the init's
 * own hooks need (createContainer, then startContainer), NUL separated. */
static int parent_run_create_hooks(struct container *c, uoci_error **err)
{
  const ocispec_hooks *h = c->cfg->hooks;
  /* runc and crun pass "created" to the create-time hooks, and runtime-tools
   * checks for it, although the spec's lifecycle calls the phase "creating". */
  log_debug("create %s: the init stops for the create hooks", c->o->id);
  c->create_hooks_ran = true;
  _cleanup_free_ char *creating = make_state_json(c, STATUS_CREATED);
  if (h && hooks_run(h->prestart, h->prestart_len, "prestart", creating, c->bundle, err) < 0)
    return -1;
  if (h && hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", creating, c->bundle, err) < 0)
    return -1;
  _cleanup_free_ char *created = make_state_json(c, STATUS_CREATED);
  size_t l1 = strlen(creating), l2 = strlen(created);
  _cleanup_free_ char *payload = xmalloc(l1 + l2 + 2);
  memcpy(payload, creating, l1 + 1);
  memcpy(payload + l1 + 1, created, l2 + 1);
  int r = sync_send(c->sync_parent, SYNC_HOOKS_DONE, 0, payload, l1 + l2 + 2);
  if (r < 0)
    return uoci_fail(err, -r, "send to container init");
  return 0;
}

/* Read the init's messages until it reports CREATED. */
static int parent_wait_created(struct container *c, uoci_error **err)
{
  static char buf[SYNC_MAX_PAYLOAD];
  for (;;) {
    struct sync_hdr h;
    ssize_t n = sync_recv(c->sync_parent, &h, buf, sizeof buf);
    if (n < 0)
      return uoci_fail(err, (int) -n, "read from container init");
    switch (h.type) {
    case SYNC_CREATE_HOOKS:
      if (parent_run_create_hooks(c, err) < 0)
        return -1;
      break;
    case SYNC_CREATED:
      return 0;
    case SYNC_SECCOMP_FD: {
      log_debug("create %s: passing the seccomp listener on", c->o->id);
      int fd = sync_recv_fd(c->sync_parent);
      if (fd < 0)
        return uoci_fail(err, -fd, "receive the seccomp listener fd");
      _cleanup_free_ char *st = make_state_json(c, STATUS_CREATING);
      int r = seccomp_send_notify_fd(c->cfg->linux->seccomp, fd, c->pid, st, err);
      close(fd);
      if (r < 0)
        return -1;
      break;
    }
    case SYNC_ERROR:
      return uoci_fail(err, 0, "%s", buf);
    default: {
      int status = 0;
      if (waitpid(c->pid, &status, WNOHANG) == c->pid && WIFSIGNALED(status))
        return uoci_fail(err, 0, "container init killed by signal %d during create", WTERMSIG(status));
      return uoci_fail(err, 0, "container init exited during create");
    }
    }
  }
}

static int setup_terminal_sockets(struct container *c, uoci_error **err)
{
  bool terminal = c->cfg->process->has_terminal && c->cfg->process->terminal;
  if (!terminal)
    return 0;
  if (c->o->console_socket) {
    c->console_fd = terminal_connect(c->o->console_socket, err);
    return c->console_fd < 0 ? -1 : 0;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "console socketpair");
  c->console_master_end = sv[0];
  c->console_fd = sv[1];
  return 0;
}

static int make_exec_fifo(struct container *c, uoci_error **err)
{
  /* 0622: the init may have dropped to a non-root uid when it opens it.
   * Made with that mode at once (umask cleared around it) rather than
   * chmod'ed afterwards: one inode update less. */
  mode_t old_umask = umask(0);
  int r = mkfifoat(c->state_dirfd, "exec.fifo", 0622);
  int e = errno;
  umask(old_umask);
  if (r < 0)
    return uoci_fail(err, e, "create exec.fifo");
  c->fifo_fd = openat(c->state_dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
  c->fifo_dirfd = openat(c->state_dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->fifo_fd < 0 || c->fifo_dirfd < 0)
    return uoci_fail(err, errno, "open exec.fifo");
  return 0;
}

/* run: let the init exec the user process; returns once it has (EOF on the
 * close-on-exec sync socket), or with the error it reported. */
static int release_init(struct container *c, uoci_error **err)
{
  static char buf[4096];
  int r = c->child_waits_start ? sync_send(c->sync_parent, SYNC_START, 0, NULL, 0) : 0;
  if (r < 0)
    return uoci_fail(err, -r, "start container init");
  struct sync_hdr h;
  ssize_t n = sync_recv(c->sync_parent, &h, buf, sizeof buf);
  close_fd(&c->sync_parent);
  if (n > 0 && h.type == SYNC_ERROR)
    return uoci_fail(err, 0, "%s", buf);
  /* EOF: the init exec'd, the trampoline if there is one */
  int e = c->report_read >= 0 ? exectramp_wait(c->report_read, false) : 0;
  if (e > 0)
    return process_fail_exec(err, e, c->cfg->process->args[0]);
  return 0;
}

/* After the init exited (run, released early): did it fail before execve?
 * Its error message is then queued on the sync socket. */
static bool init_failed_before_exec(struct container *c, uoci_error **err)
{
  static char buf[4096];
  struct iovec iov[2];
  struct sync_hdr h = { 0 };
  iov[0] = (struct iovec) { &h, sizeof h };
  iov[1] = (struct iovec) { buf, sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t n = recvmsg(c->sync_parent, &msg, MSG_DONTWAIT);
  if (n < (ssize_t) sizeof h || h.type != SYNC_ERROR) {
    /* or the trampoline failed to exec the program */
    int e = c->report_read >= 0 ? exectramp_wait(c->report_read, true) : 0;
    if (e > 0)
      process_fail_exec(err, e, c->cfg->process->args[0]);
    return e > 0;
  }
  buf[n - (ssize_t) sizeof h] = '\0';
  uoci_fail(err, 0, "%s", buf);
  return true;
}

/* Undo a create that failed half-way. */
static void abort_create(struct container *c)
{
  log_debug("create %s: failed, undoing it", c->o->id);
  if (c->net.attached) {
    uoci_error *e = NULL;
    if (network_detach(c->cfg, c->o->id, &e) < 0)
      log_warn("cleanup: %s", e->msg);
    uoci_error_free(e);
  }
  /* before the init dies: a device moved into its namespace goes back */
  netdev_return_all(&c->netdevs);
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  if (c->rdt_prepared) {
    uoci_error *e = NULL;
    if (resctrl_remove(&c->rdt, c->rdt_root, &e) < 0)
      log_warn("cleanup: %s", e->msg);
    uoci_error_free(e);
  }
  if (c->cg) {
    uoci_error *e = NULL;
    if (cgroup_destroy(c->cg, &e) < 0)
      log_warn("cleanup: %s", e->msg);
    uoci_error_free(e);
  }
  /* Spec 1.3, lifecycle steps 3 to 5: a failing prestart, createRuntime or
   * createContainer hook goes on at step 12 (destroy, above) and 13, the
   * poststop hooks, which may undo what the create hooks set up. */
  const ocispec_hooks *h = c->cfg ? c->cfg->hooks : NULL;
  if (c->create_hooks_ran && h && h->poststop_len) {
    _cleanup_free_ char *st = make_state_json(c, STATUS_STOPPED);
    hooks_run_warn(h->poststop, h->poststop_len, "poststop", st, c->bundle);
  }
  /* The state directory is ours once it is open ("already exists" leaves
   * it unopened, and the other container's alone). */
  if (c->state_dirfd >= 0) {
    uoci_error *e = NULL;
    if (state_remove(c->g->root, c->o->id, c->state_dirfd, &e) < 0)
      log_warn("cleanup: %s", e->msg);
    uoci_error_free(e);
  }
}

/* The copy of config.json that start, exec, update and delete read. No
 * temporary file + rename: the directory is new and locked, nobody reads it
 * before create is done, and a copy cut short by a crash only matters to a
 * delete, which then finds nothing the copy would have told it to undo. */
static int copy_config(struct container *c, uoci_error **err)
{
  _cleanup_close_ int fd = openat(c->state_dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, c->config_text, c->config_len) < 0)
    return uoci_fail(err, errno, "write %s/%s/config.json", c->g->root, c->o->id);
  return 0;
}

/* A delete after the runtime was killed right after the clone reads the
 * copy for what the config makes before the clone (intelRdt's groups) and
 * for poststop hooks, which delete runs whatever the create got to. Without
 * either (and outside restore), the copy is made after the clone, while the
 * init builds the container on the other CPU (a new file on the state
 * root: an inode allocation, ~0.05 ms on this host's ext4,
 * docs/PERFORMANCE.md), and before anything after the clone that a delete
 * undoes with it: the network, the create hooks. */
static bool config_needed_before_clone(const struct container *c)
{
  const ocispec_hooks *h = c->cfg->hooks;
  return c->restoring || c->rdt.present || (h && h->poststop_len);
}

static int create_state_dir(struct container *c, uoci_error **err)
{
  c->state_dirfd = state_dir_create(c->g->root, c->o->id, err);
  if (c->state_dirfd < 0)
    return -1;
  return config_needed_before_clone(c) ? copy_config(c, err) : 0;
}

static int copy_config_after_clone(struct container *c, uoci_error **err)
{
  return config_needed_before_clone(c) ? 0 : copy_config(c, err);
}

/* Device rules every container gets after its own, runc 1.1's list: mknod
 * of anything (a node still needs r/w to be used), the default /dev nodes,
 * ptys and tun. The nodes of linux.devices get no rule of their own (runc
 * 1.1 does not add any either): a deny in linux.resources.devices stays in
 * force for them, and a node they put at a default path (another /dev/null)
 * takes that path's rule away. No /dev/console rule: the console is a pty
 * (136:*), and c 5:1 would be the host's console. */
static void add_default_device_rules(ocispec_config *cfg)
{
  static const struct {
    char type;
    int64_t major, minor;
    const char *access, *path;
  } rules[] = {
    { 'c', -1, -1, "m", NULL },          { 'b', -1, -1, "m", NULL },
    { 'c', 1, 3, "rwm", "/dev/null" },   { 'c', 1, 8, "rwm", "/dev/random" },
    { 'c', 1, 7, "rwm", "/dev/full" },   { 'c', 5, 0, "rwm", "/dev/tty" },
    { 'c', 1, 5, "rwm", "/dev/zero" },   { 'c', 1, 9, "rwm", "/dev/urandom" },
    { 'c', 136, -1, "rwm", NULL },       { 'c', 5, 2, "rwm", NULL },
    { 'c', 10, 200, "rwm", NULL },
  };
  ocispec_linux *l = cfg->linux;
  if (l == NULL || l->resources == NULL || l->resources->devices_len == 0)
    return; /* no device rules asked for: the cgroup stays as it is */
  ocispec_resources *r = l->resources;
  r->devices = xrealloc(r->devices, (r->devices_len + ARRAY_SIZE(rules)) * sizeof *r->devices);
  for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
    bool replaced = false;
    for (size_t k = 0; rules[i].path && k < l->devices_len; k++)
      replaced |= l->devices[k].path && strcmp(l->devices[k].path, rules[i].path) == 0;
    if (replaced)
      continue;
    ocispec_device_cgroup *d = &r->devices[r->devices_len++];
    memset(d, 0, sizeof *d);
    d->allow = d->has_allow = true;
    d->type = xasprintf("%c", rules[i].type);
    d->major = rules[i].major;
    d->minor = rules[i].minor;
    d->has_major = d->major >= 0;
    d->has_minor = d->minor >= 0;
    d->access = xstrdup(rules[i].access);
  }
}

static int save_state(struct container *c, uoci_error **err);

static int create_cgroup(struct container *c, uoci_error **err)
{
  add_default_device_rules(c->cfg);
  _cleanup_free_ char *mark = state_dir_mark(c->state_dirfd, c->o->id);
  struct cgroup_create_opts co = {
    .id = c->o->id,
    .cgroups_path = c->cfg->linux ? c->cfg->linux->cgroups_path : NULL,
    .resources = c->cfg->linux ? c->cfg->linux->resources : NULL,
    .annotations = &c->cfg->annotations,
    .systemd = c->g->systemd_cgroup,
    .rootless = c->g->rootless,
    .self_join = c->child_joins_cgroup,
    .owner_mark = mark,
  };
  /* Recorded in the state before any directory is made: a runtime killed
   * while making them leaves nothing that `delete` does not know of. */
  if (cgroup_plan(&co, &c->cg, err) < 0 || save_state(c, err) < 0)
    return -1;
  FAULT_POINT("create-cgroup-planned");
  return cgroup_make(c->cg, &co, err);
}

/* In the runtime's helper, inside the init's mount namespace: the rootfs,
 * then the sources rootfs_sources_plan chose. */
static int open_init_sources(void *arg, int *fds, size_t n, uoci_error **err)
{
  struct container *c = arg;
  fds[0] = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fds[0] < 0)
    return uoci_fail(err, errno, "rootfs: open %s in the container's mount namespace", c->rootfs);
  return n > 1 ? rootfs_sources_open(&c->sources, c->cfg, c->bundle, fds + 1, err) : 0;
}

static int parent_after_clone(struct container *c, uoci_error **err)
{
  if (c->ns.new_flags & CLONE_NEWUSER) {
    const ocispec_linux *l = c->cfg->linux;
    if (write_id_map(c->pid, "uid_map", l->uid_mappings, l->uid_mappings_len, err) < 0 ||
        write_id_map(c->pid, "gid_map", l->gid_mappings, l->gid_mappings_len, err) < 0)
      return -1;
  }
  /* What the init could not join itself; clone3 may have placed it in the
   * unified tree (all of it on v2). */
  bool all_by_clone = c->cgroup_by_clone && cgroup_clone_into_is_all(c->cg);
  if (c->cg && !c->child_joins_cgroup && !all_by_clone &&
      cgroup_attach_pid(c->cg, c->pid, c->cgroup_by_clone, err) < 0)
    return -1;
  if (netdev_move_all(&c->netdevs, c->pid, err) < 0 || resctrl_join(&c->rdt, c->rdt_root, c->pid, err) < 0)
    return -1;
  size_t nfds = c->rootfs_from_parent ? 1 + c->sources.count : 0;
  int *fds = xcalloc(nfds ? nfds : 1, sizeof *fds);
  int r = nfds ? ns_fds_from_mntns(c->pid, open_init_sources, c, fds, nfds, err) : 0;
  if (r == 0 && c->parent_step) {
    log_debug("create %s: id maps written, cgroup attached%s", c->o->id, nfds ? ", rootfs and sources opened" : "");
    r = sync_send(c->sync_parent, SYNC_USERMAP_DONE, 0, NULL, 0);
    for (size_t i = 0; r == 0 && i < nfds; i++)
      r = sync_send_fd(c->sync_parent, fds[i], i ? "source" : "rootfs");
    if (r < 0)
      uoci_fail(err, -r, "send to container init");
  }
  for (size_t i = 0; i < nfds; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
  return r < 0 ? -1 : 0;
}

/* lo of the init's new network namespace (plan_protocol), then the word to
 * the init: 0, it is up; 1, bring it up yourself. */
static int parent_lo_up(struct container *c, uoci_error **err)
{
  if (!c->parent_lo_up)
    return 0;
  int r = ns_loopback_up_of(c->pid, err);
  if (r < 0)
    return -1;
  if (r == 0)
    log_debug("create %s: lo brought up by the runtime", c->o->id);
  r = sync_send(c->sync_parent, SYNC_LO_UP, r, NULL, 0);
  /* An init that failed meanwhile has closed its end: what it sent before
   * is read next (parent_wait_created), and is the error to report. */
  if (r < 0 && r != -EPIPE && r != -ECONNRESET)
    return uoci_fail(err, -r, "send to container init");
  return 0;
}

static int save_state(struct container *c, uoci_error **err)
{
  /* The record changes when the pid does, or the cgroup (the directories
   * made: planned first, then as made; a systemd scope's attach may add
   * some): rewriting the same bytes would be a rename for nothing. */
  _cleanup_free_ char *cg = c->cg ? cgroup_to_string(c->cg) : NULL;
  bool same_cgroup = (cg == NULL && c->saved_cgroup == NULL) ||
                     (cg && c->saved_cgroup && strcmp(cg, c->saved_cgroup) == 0);
  if (c->saved_pid == c->pid && same_cgroup)
    return 0;
  struct uoci_state st = {
    .id = (char *) c->o->id,
    .pid = c->pid,
    .start_time = c->pid > 0 ? proc_start_time(c->pid) : 0, /* no /proc/0 to ask before the clone */
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .created = c->created,
    .cgroup = cg,
    .keyring = c->keyring,
    .exe = c->exe,
    .annotations = c->annotations,
    .owner = geteuid(),
    .dirfd = c->state_dirfd,
  };
  if (state_save(&st, err) < 0)
    return -1;
  c->saved_pid = c->pid;
  free(c->saved_cgroup);
  c->saved_cgroup = steal_ptr(cg);
  return 0;
}

/* ---- create and run, in stages ---------------------------------------------- */

/* Plan: read and check everything, decide the protocol, connect the
 * console socket. Nothing exists yet, so a failure leaves nothing behind. */
static int create_plan(struct container *c, uoci_error **err)
{
  if (state_validate_id(c->o->id, err) < 0 || load_bundle(c, err) < 0)
    return -1;
  /* sd_notify: the container's own socket, mounted like any bind mount of
   * the config (so it is validated and planned with them) */
  c->notify_host = notify_host_socket();
  if (c->notify_host) {
    if (notify_check_host(c->notify_host, err) < 0)
      return -1;
    char cwd[PATH_MAX];
    if (c->g->root[0] != '/' && getcwd(cwd, sizeof cwd) == NULL)
      return uoci_fail(err, errno, "getcwd");
    _cleanup_free_ char *dir = c->g->root[0] == '/' ? xasprintf("%s/%s", c->g->root, c->o->id)
                                                     : xasprintf("%s/%s/%s", cwd, c->g->root, c->o->id);
    notify_setup_spec(c->cfg, dir);
  }
  if (validate(c, err) < 0)
    return -1;
  plan_protocol(c);
  c->keyring = c->o->no_new_keyring ? NULL : keyring_new_name(c->o->id);
  c->exe = selfexe_identity();
  c->annotations = state_annotations_record(&c->cfg->annotations);
  log_debug("create %s: bundle %s, rootfs %s; init joins cgroup %d, parent step %d, hooks round trip %d, "
            "waits for start %d, rootfs from parent %d", c->o->id, c->bundle, c->rootfs, c->child_joins_cgroup,
            c->parent_step, c->hooks_round_trip, c->child_waits_start, c->rootfs_from_parent);
  return setup_terminal_sockets(c, err);
}

/* What exists before the init: the state directory (with exec.fifo for
 * create) and the cgroup. The state records the cgroup (and later the
 * init's pid) as soon as they exist, so a `delete` after a runtime killed
 * mid-create finds them. */
static int create_state_and_cgroup(struct container *c, uoci_error **err)
{
  if (create_state_dir(c, err) < 0)
    return -1;
  FAULT_POINT("create-state-dir");
  c->created = rfc3339_now();
  if (c->mode == MODE_CREATE && make_exec_fifo(c, err) < 0)
    return -1;
  /* run binds the socket now: the init may go on by itself after CREATED
   * (create leaves it to `start`, as runc does) */
  if (c->notify_host && (notify_make_dir(c->state_dirfd, err) < 0 ||
                         (c->mode != MODE_CREATE && (c->notify_fd = notify_listen(c->state_dirfd, err)) < 0)))
    return -1;
  log_debug("create %s: state directory %s/%s made", c->o->id, c->g->root, c->o->id);
  if (create_cgroup(c, err) < 0)
    return -1;
  log_debug("create %s: cgroup %s made, limits applied", c->o->id, cgroup_path(c->cg));
  if (resctrl_prepare(&c->rdt, c->rdt_root, err) < 0)
    return -1;
  c->rdt_prepared = c->rdt.present;
  FAULT_POINT("create-cgroup");
  return 0;
}

/* Spawn: clone the init into its namespaces (and cgroup), then keep only
 * the runtime's ends of what the two share. */
static int spawn_init(struct container *c, uoci_error **err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return uoci_fail(err, errno, "socketpair");
  c->sync_parent = sv[0];
  c->sync_child = sv[1];
  /* run: the trampoline reports a failed execve on a pipe of its own (it
   * runs as the container's process: it gets nothing else of ours) */
  int rp[2];
  if (c->tramp_fd >= 0 && c->mode != MODE_CREATE) {
    if (pipe2(rp, O_CLOEXEC) < 0)
      return uoci_fail(err, errno, "pipe");
    c->report_read = rp[0];
    c->proc.report_fd = rp[1];
  }
  int saved_pid, saved_time;
  if (enter_for_children(c, &saved_pid, &saved_time, err) < 0) {
    leave_for_children(saved_pid, saved_time);
    return -1;
  }
  fflush(NULL);
  c->pid = clone_init(c, err);
  if (c->pid == 0)
    child_main(c);
  leave_for_children(saved_pid, saved_time);
  if (c->pid < 0) {
    c->pid = 0;
    return -1;
  }
  close_fd(&c->sync_child);
  close_fd(&c->console_fd);
  close_fd(&c->proc.report_fd);
  if (c->cg)
    cgroup_close_fds(c->cg);
  log_debug("create %s: init cloned, pid %d", c->o->id, (int) c->pid);
  if (save_state(c, err) < 0)
    return -1;
  FAULT_POINT("create-cloned");
  return 0;
}

/* Wait: do the runtime's part (id maps, cgroup attach, network) while the
 * init builds the container, serve its requests until CREATED, record it. */
static int wait_created(struct container *c, uoci_error **err)
{
  /* (the state again when attaching made a cgroup directory: a no-op else) */
  if (parent_after_clone(c, err) < 0 || save_state(c, err) < 0 || copy_config_after_clone(c, err) < 0 || parent_lo_up(c, err) < 0)
    return -1;
  /* The init sets up its mounts while the network is wired; a crash in
   * between is cleaned by delete (the stored config names the network). */
  if (network_attach(&c->net, c->o->id, c->pid, err) < 0)
    return -1;
  if (c->net.name)
    log_debug("create %s: network %s attached", c->o->id, c->net.name);
  FAULT_POINT("create-network");
  if (parent_wait_created(c, err) < 0)
    return -1;
  log_debug("create %s: init is ready", c->o->id);
  FAULT_POINT("create-init-ready");
  if (save_state(c, err) < 0)
    return -1;
  FAULT_POINT("create-saved");
  if (c->o->pid_file && write_pid_file(c->o->pid_file, c->pid, err) < 0)
    return -1;
  return 0;
}

/* run: let the init go on (unless it already did), then the poststart
 * hooks. Spec 1.3: a failing poststart hook is an error and stops the
 * container. */
static int run_release(struct container *c, uoci_error **err)
{
  if (!c->released_early && release_init(c, err) < 0)
    return -1;
  log_debug("run %s: init released%s", c->o->id, c->released_early ? " (it went on by itself)" : "");
  const ocispec_hooks *h = c->cfg->hooks;
  if (h && h->poststart_len) {
    _cleanup_free_ char *st = make_state_json(c, STATUS_RUNNING);
    if (hooks_run(h->poststart, h->poststart_len, "poststart", st, c->bundle, err) < 0)
      return -1;
  }
  return 0;
}

/* After `run` in the foreground: delete the container as `delete` would.
 * The state directory's lock was given up while it ran: the cleanup takes
 * it again (the pid is reaped, so nothing can be killed by mistake). */
static void delete_after_run(struct container *c)
{
  struct uoci_state st = { 0 };
  uoci_error *e = NULL;
  /* The state is read again (another process may have changed it while
   * the container ran); config.json is not: create wrote it from c->cfg's
   * text and nothing rewrites it, and the fields the cleanup uses
   * (annotations, hooks, intelRdt) are not changed in memory. */
  if (state_load(c->g->root, c->o->id, &st, &e) == 0)
    container_cleanup_with(c->g, &st, c->cfg, c->bundle, &e);
  if (e)
    log_warn("%s", e->msg);
  uoci_error_free(e);
  state_release(&st);
}

/* run: the container was created, then its startContainer or poststart
 * hooks (or the execve) failed. Spec 1.3: stop it and go on at step 12,
 * destroying it as `delete` does, poststop hooks included. */
static void destroy_after_failed_start(struct container *c)
{
  log_debug("run %s: failed after create: destroying the container", c->o->id);
  kill(c->pid, SIGKILL);
  while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  /* delete_after_run takes the state directory's lock again */
  close_fd(&c->state_dirfd);
  delete_after_run(c);
}

/* run in the foreground with NOTIFY_SOCKET: a child forwards READY while
 * this process waits for the container (runc does both at once). Forked
 * after the state directory's lock is given up, so it holds no lock. */
static pid_t notify_in_background(struct container *c)
{
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    log_warn("run %s: fork the NOTIFY_SOCKET forwarder: %s", c->o->id, strerror(errno));
    return -1;
  }
  if (pid > 0) {
    close_fd(&c->notify_fd);
    return pid;
  }
  close_fd(&c->console_master_end);
  close_fd(&c->sync_parent);
  uoci_error *e = NULL;
  int r = notify_forward(c->notify_fd, c->notify_host, c->pid, proc_start_time(c->pid), &e);
  if (r < 0)
    log_warn("run %s: %s", c->o->id, e->msg);
  _exit(r < 0 ? 1 : 0);
}

/* run in the foreground: forward signals and the terminal while the
 * container runs, then delete it (unless --keep) and return its status. */
static int run_foreground(struct container *c, uoci_error **err)
{
  /* Unlock while the container runs, so `state`, `kill`, `exec` work. */
  close_fd(&c->state_dirfd);
  pid_t notifier = c->notify_fd >= 0 ? notify_in_background(c) : -1;
  process_forward_signals(c->pid);
  if (c->console_master_end >= 0)
    terminal_proxy_from(c->console_master_end);
  uoci_error *werr = NULL;
  int status = process_wait(c->pid, &werr);
  if (status < 0)
    status = 255;
  uoci_error_free(werr);
  process_forward_signals(0);
  /* (it sees the init gone within 100 ms) */
  while (notifier > 0 && waitpid(notifier, NULL, 0) < 0 && errno == EINTR)
    ;
  log_debug("run %s: the container exited with status %d", c->o->id, status);
  /* A failure before execve undoes the whole create, --keep or not. */
  bool init_failed = c->released_early && init_failed_before_exec(c, err);
  if (!c->o->keep || init_failed)
    delete_after_run(c);
  return init_failed ? -1 : status;
}

int container_create(const struct uoci_globals *g, const struct create_opts *o, enum create_mode mode,
                     uoci_error **err)
{
  struct container c;
  container_init(&c);
  c.g = g;
  c.o = o;
  c.mode = mode;
  int ret = -1;
  if (create_plan(&c, err) < 0)
    goto out;
  if (create_state_and_cgroup(&c, err) < 0 || spawn_init(&c, err) < 0 || wait_created(&c, err) < 0) {
    abort_create(&c);
    goto out;
  }
  if (mode != MODE_CREATE && run_release(&c, err) < 0) {
    destroy_after_failed_start(&c);
    goto out;
  }
  /* run -d with NOTIFY_SOCKET returns once READY is forwarded (runc) */
  if (mode == MODE_RUN_DETACH && c.notify_fd >= 0 &&
      notify_forward(c.notify_fd, c.notify_host, c.pid, proc_start_time(c.pid), err) < 0) {
    destroy_after_failed_start(&c);
    goto out;
  }
  ret = mode == MODE_RUN ? run_foreground(&c, err) : 0;
out:
  container_release(&c);
  return ret;
}

/* ---- start ------------------------------------------------------------------ */

static void kill_and_wait(struct uoci_state *st, uoci_cgroup *cg);

/* Release the init through exec.fifo and wait until it has exec'd the
 * user process: EOF after the "0" (the write end is close-on-exec). Text
 * after the "0" is the init's error (a startContainer hook, the execve);
 * *released says whether the init got that far. */
static int open_fifo_and_release(struct uoci_state *st, const char *args0, bool *released, uoci_error **err)
{
  *released = false;
  /* never through a link: one planted in the state directory had start
   * read a byte from a host FIFO and report the container started */
  _cleanup_close_ int fd = openat(st->dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return uoci_fail(err, errno, "open exec.fifo");
  char msg[4096];
  size_t msg_len = 0;
  for (;;) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR)
      return uoci_fail(err, errno, "wait for container init");
    if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
      char buf[512];
      ssize_t n = read(fd, buf, *released ? sizeof buf : 1);
      if (n > 0 && !*released) {
        *released = true;
        /* The init is on its way: running from now on, whatever happens. */
        unlinkat(st->dirfd, "exec.fifo", 0);
        continue;
      }
      if (n > 0) {
        size_t k = (size_t) n < sizeof msg - 1 - msg_len ? (size_t) n : sizeof msg - 1 - msg_len;
        memcpy(msg + msg_len, buf, k);
        msg_len += k;
        continue;
      }
      if (n == 0 && *released)
        break; /* the init exec'd the user process, or failed saying why */
      if (n == 0)
        poll(NULL, 0, 1); /* no writer yet: don't spin on the hang-up */
    }
    if (state_status(st) == STATUS_STOPPED) {
      if (*released)
        break;
      return uoci_fail(err, 0, "container \"%s\" init exited before start", st->id);
    }
  }
  msg[msg_len] = '\0';
  int e;
  if (exectramp_report(msg, msg_len, &e)) /* the exec trampoline's execve failed */
    return process_fail_exec(err, e, args0);
  if (msg_len)
    return uoci_fail(err, 0, "%s", msg);
  return 0;
}

int container_start(const struct uoci_globals *g, const char *id, uoci_error **err)
{
  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  int ret = -1;
  _cleanup_close_ int notify_fd = -1;
  enum container_status s = state_status(&st);
  if (s != STATUS_CREATED) {
    uoci_fail(err, 0, "cannot start container \"%s\": it is %s, not created", id, status_name(s));
    goto out;
  }
  ocispec_config *cfg = state_config(&st, err);
  if (cfg == NULL)
    goto out;
  FAULT_POINT("start-loaded");
  /* sd_notify: bind the container's socket before the process can send
   * (only if create made its directory, i.e. create had NOTIFY_SOCKET too) */
  const char *notify_host = notify_host_socket();
  if (notify_host && faccessat(st.dirfd, NOTIFY_DIR, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
      (notify_check_host(notify_host, err) < 0 || (notify_fd = notify_listen(st.dirfd, err)) < 0)) {
    ocispec_config_free(cfg);
    goto out;
  }
  log_debug("start %s: releasing the init (pid %d)", id, (int) st.pid);
  bool released = false;
  ret = open_fifo_and_release(&st, cfg->process && cfg->process->args_len ? cfg->process->args[0] : "", &released,
                              err);
  if (ret == 0) {
    log_debug("start %s: the init exec'd the process", id);
    FAULT_POINT("start-released");
    if (cfg->hooks && cfg->hooks->poststart_len) {
      _cleanup_free_ char *json = state_json(&st, STATUS_RUNNING, &cfg->annotations, false);
      ret = hooks_run(cfg->hooks->poststart, cfg->hooks->poststart_len, "poststart", json, NULL, err);
    }
  }
  /* Spec 1.3, lifecycle steps 7 and 9: a failing startContainer or
   * poststart hook (or execve) is an error, stops the container, and the
   * lifecycle goes on at step 12: destroyed as `delete` would, then the
   * poststop hooks. */
  if (ret < 0 && released) {
    log_debug("start %s: failed after the release: destroying the container", id);
    uoci_cgroup *cg = NULL;
    uoci_error *e = NULL;
    if (st.cgroup)
      cgroup_from_string(st.cgroup, &cg, &e);
    kill_and_wait(&st, cg);
    cgroup_free(cg);
    if (container_cleanup(g, &st, &e) < 0)
      log_warn("%s", e->msg);
    uoci_error_free(e);
  }
  ocispec_config_free(cfg);
out:;
  pid_t pid = st.pid;
  unsigned long long start_time = st.start_time;
  /* Unlocked while waiting for READY: `state`, `kill` work meanwhile.
   * Like runc, a failure to forward leaves the container running. */
  state_release(&st);
  if (ret == 0 && notify_fd >= 0)
    ret = notify_forward(notify_fd, notify_host_socket(), pid, start_time, err);
  return ret;
}

/* ---- delete ------------------------------------------------------------------ */

static void kill_and_wait(struct uoci_state *st, uoci_cgroup *cg)
{
  if (cg) {
    uoci_error *e = NULL;
    cgroup_kill_all(cg, SIGKILL, &e);
    uoci_error_free(e);
  }
  if (st->pid > 0 && state_status(st) != STATUS_STOPPED)
    kill(st->pid, SIGKILL);
  /* The init may be our child (run) or someone else's: poll /proc. */
  for (int i = 0; i < 2000 && st->pid > 0; i++) {
    if (waitpid(st->pid, NULL, WNOHANG) == st->pid)
      break;
    unsigned long long t = proc_start_time(st->pid);
    if (t == 0 || (st->start_time && t != st->start_time))
      break;
    poll(NULL, 0, 5);
  }
}

/* delete: the container's resctrl group and MON group (a closID group is
 * not ours). Nothing to do when resctrl has been unmounted since. */
static int remove_resctrl_groups(const ocispec_intel_rdt *rdt, const char *id, uoci_error **err)
{
  struct resctrl_plan plan;
  _cleanup_free_ char *root = NULL;
  uoci_error *e = NULL;
  int r = 0;
  if (resctrl_plan_from_spec(rdt, id, &plan, &e) == 0 && resctrl_find_root(&root, &e) == 0)
    r = resctrl_remove(&plan, root, err);
  if (e)
    log_warn("delete %s: %s", id, e->msg);
  uoci_error_free(e);
  resctrl_plan_release(&plan);
  return r;
}

int container_cleanup_with(const struct uoci_globals *g, struct uoci_state *st, const ocispec_config *given,
                           const char *hooks_cwd, uoci_error **err)
{
  uoci_error *cfgerr = NULL;
  ocispec_config *loaded = given ? NULL : state_config(st, &cfgerr);
  const ocispec_config *cfg = given ? given : loaded;
  uoci_error_free(cfgerr);
  int ret = 0;
  if (st->cgroup) {
    uoci_cgroup *cg = NULL;
    if (cgroup_from_string(st->cgroup, &cg, err) < 0 || cgroup_destroy(cg, err) < 0)
      ret = -1;
    cgroup_free(cg);
  }
  if (cfg && network_detach(cfg, st->id, err) < 0)
    ret = -1;
  if (cfg && cfg->linux && cfg->linux->intel_rdt && remove_resctrl_groups(cfg->linux->intel_rdt, st->id, err) < 0)
    ret = -1;
  if (cfg && cfg->hooks && cfg->hooks->poststop_len) {
    _cleanup_free_ char *json = state_json(st, STATUS_STOPPED, &cfg->annotations, false);
    hooks_run_warn(cfg->hooks->poststop, cfg->hooks->poststop_len, "poststop", json, hooks_cwd);
  }
  ocispec_config_free(loaded);
  if (ret < 0)
    return -1;
  log_debug("delete %s: cgroup and network removed, poststop hooks run", st->id);
  FAULT_POINT("delete-cgroup-removed");
  return state_remove(g->root, st->id, st->dirfd, err);
}

int container_cleanup(const struct uoci_globals *g, struct uoci_state *st, uoci_error **err)
{
  return container_cleanup_with(g, st, NULL, NULL, err);
}

/* A systemd cgroupsPath, "slice:prefix:name": the scope's name, whatever
 * the flags of the delete (engines pass --systemd-cgroup to create only). */
static bool systemd_cgroups_path(const char *p)
{
  const char *c1 = p ? strchr(p, ':') : NULL;
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  return c2 && strchr(c2 + 1, ':') == NULL && strchr(p, '/') == NULL;
}

/* delete --force of a state file that names no cgroup (lost, damaged,
 * emptied): runc refuses such a delete (a state.json that does not decode)
 * or forgets the container (none at all), leaving its init and cgroup.
 * What survives here is the copy of the config and the mark the create put
 * on the directories it made (state_dir_mark): the cgroup is planned again
 * from the config, and the directories that carry this state directory's
 * mark are the container's, so that the cleanup kills what is in them and
 * removes them as for any container. A directory made by someone else (a
 * cgroupsPath shared with others, a later container given the same path)
 * has no such mark and is not touched. Without the copy nothing tells where
 * the cgroup was: the state directory alone goes. */
static void recover_lost_cgroup(const struct uoci_globals *g, struct uoci_state *st)
{
  uoci_error *e = NULL;
  ocispec_config *cfg = state_config(st, &e);
  _cleanup_free_ char *mark = state_dir_mark(st->dirfd, st->id);
  const char *path = cfg && cfg->linux ? cfg->linux->cgroups_path : NULL;
  if (cfg && mark && (g->systemd_cgroup || systemd_cgroups_path(path)))
    log_warn("delete %s: the state file is damaged: a systemd scope cannot be told from another's; "
             "its scope, if any, is left", st->id);
  else if (cfg && mark) {
    struct cgroup_create_opts co = { .id = st->id, .cgroups_path = path, .rootless = g->rootless };
    uoci_cgroup *cg = NULL;
    if (cgroup_plan(&co, &cg, &e) == 0 && cgroup_claim_marked(cg, mark) > 0) {
      st->cgroup = cgroup_to_string(cg);
      log_debug("delete %s: the state file is damaged; its cgroup %s found from config.json", st->id, cgroup_path(cg));
    }
    cgroup_free(cg);
  }
  uoci_error_free(e);
  ocispec_config_free(cfg);
}

int container_delete(const struct uoci_globals *g, const char *id, bool force, uoci_error **err)
{
  struct uoci_state st;
  if ((force ? state_load_any : state_load)(g->root, id, &st, err) < 0) {
    /* runc: forcing the delete of what is already gone succeeds, and the
     * engines clean up that way (a retried delete, a crashed shim). */
    if (force && (*err)->errnum == ENOENT) {
      uoci_error_free(*err);
      *err = NULL;
      return 0;
    }
    return -1;
  }
  if (st.damaged && st.cgroup == NULL)
    recover_lost_cgroup(g, &st);
  int ret = -1;
  enum container_status s = state_status(&st);
  if (s != STATUS_STOPPED) {
    if (!force) {
      uoci_fail(err, 0, "cannot delete container \"%s\" that is not stopped: %s", id, status_name(s));
      goto out;
    }
    uoci_cgroup *cg = NULL;
    uoci_error *e = NULL;
    if (st.cgroup && cgroup_from_string(st.cgroup, &cg, &e) == 0 && s == STATUS_PAUSED)
      cgroup_freeze(cg, false, &e);
    log_debug("delete %s: killing the container (%s)", id, status_name(s));
    kill_and_wait(&st, cg);
    cgroup_free(cg);
    uoci_error_free(e);
  }
  FAULT_POINT("delete-killed");
  ret = container_cleanup(g, &st, err);
out:
  state_release(&st);
  return ret;
}

/* ---- checkpoint and restore ------------------------------------------------- */

/* A CNI network's veth has its other end on the host, which CRIU cannot
 * dump: the namespace is checkpointed empty and the network attached again
 * when the processes come back. */
static bool network_is_wired(const ocispec_config *cfg)
{
  struct network_plan net;
  uoci_error *e = NULL;
  bool wired = network_plan_from_config(cfg, true, &net, &e) == 0 && net.name != NULL;
  network_plan_release(&net);
  uoci_error_free(e);
  return wired;
}

/* The parent of pid (/proc/PID/stat, field 4), and its name; -1 when it is gone. */
static pid_t proc_parent(pid_t pid, char *comm, size_t commlen)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
  if (open_paren == NULL || close_paren == NULL || close_paren < open_paren)
    return -1;
  if (comm)
    snprintf(comm, commlen, "%.*s", (int) (close_paren - open_paren - 1), open_paren + 1);
  int ppid;
  char state;
  if (sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
    return -1;
  return ppid;
}

/* CRIU saves the process tree under the init. A process of the container
 * that is no descendant of it (a detached exec's: its parent was outside
 * the container's pid namespace, so it was reparented outside too) would be
 * killed after the dump and never restored: refused, before anything is
 * written. */
static int check_process_tree(const char *id, pid_t init, const uoci_cgroup *cg, uoci_error **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cg == NULL)
    return 0;
  if (cgroup_pids(cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char comm[64] = "";
    pid_t p = pids[i];
    for (int depth = 0; p > 1 && p != init && depth < 4096; depth++)
      p = proc_parent(p, p == pids[i] ? comm : NULL, sizeof comm);
    if (p < 0 || p == init)
      continue; /* gone meanwhile, or in the init's tree */
    return uoci_fail(err, 0, "cannot checkpoint container \"%s\": its process %d (%s) is not a descendant of its init "
                             "(a detached exec?): CRIU would lose it", id, (int) pids[i], comm);
  }
  return 0;
}

int container_checkpoint(const struct uoci_globals *g, const char *id, const struct cr_options *opts,
                         uoci_error **err)
{
  struct uoci_state st;
  if (cr_supported(err) < 0 || state_load(g->root, id, &st, err) < 0)
    return -1;
  int ret = -1;
  ocispec_config *cfg = NULL;
  uoci_cgroup *cg = NULL;
  enum container_status s = state_status(&st);
  if (s != STATUS_RUNNING && s != STATUS_PAUSED) {
    uoci_fail(err, 0, "cannot checkpoint container \"%s\": it is %s, not running", id, status_name(s));
    goto out;
  }
  if ((cfg = state_config(&st, err)) == NULL || (st.cgroup && cgroup_from_string(st.cgroup, &cg, err) < 0))
    goto out;
  if (check_process_tree(id, st.pid, cg, err) < 0)
    goto out;
  struct cr_options o = *opts;
  if (network_is_wired(cfg))
    o.empty_ns |= CLONE_NEWNET;
  struct cr_dump_target t = { .pid = st.pid, .rootfs = st.rootfs, .cfg = cfg, .freezer_dir = cgroup_freezer_dir(cg) };
  if (cr_dump_check(&t, id, err) < 0 || cr_dump(&t, &o, err) < 0)
    goto out;
  ret = 0;
  if (o.leave_running || o.pre_dump)
    goto out;
  /* CRIU has ended the processes; the container goes, as runc's does:
   * `restore` makes it again. */
  kill_and_wait(&st, cg);
  ret = container_cleanup(g, &st, err);
out:
  cgroup_free(cg);
  ocispec_config_free(cfg);
  state_release(&st);
  return ret;
}

/* In the restore helper, once CRIU has made the namespaces and before any
 * restored process runs: the network and the hooks that run at that point
 * of a create (runc runs prestart and createRuntime here too). */
static int restore_setup_namespaces(void *arg, pid_t pid, uoci_error **err)
{
  struct container *c = arg;
  c->pid = pid;
  if (network_attach(&c->net, c->o->id, pid, err) < 0)
    return -1;
  const ocispec_hooks *h = c->cfg->hooks;
  if (h && (h->prestart_len || h->create_runtime_len)) {
    _cleanup_free_ char *st = make_state_json(c, STATUS_CREATED);
    if (hooks_run(h->prestart, h->prestart_len, "prestart", st, c->bundle, err) < 0 ||
        hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", st, c->bundle, err) < 0)
      return -1;
  }
  return 0;
}

/* restore's plan: create's checks, and that the images, libcriu and criu
 * are there, before anything is made. No init protocol: the restore helper
 * is attached to the cgroup by us (child_joins_cgroup stays false). */
static int restore_plan(struct container *c, const struct cr_options *opts, uoci_error **err)
{
  if (cr_supported(err) < 0 || state_validate_id(c->o->id, err) < 0 || load_bundle(c, err) < 0 ||
      validate(c, err) < 0 || cr_restore_check(c->cfg, opts, err) < 0)
    return -1;
  c->keyring = c->o->no_new_keyring ? NULL : keyring_new_name(c->o->id);
  log_debug("restore %s: bundle %s, rootfs %s, images %s", c->o->id, c->bundle, c->rootfs, opts->image_path);
  return 0;
}

/* CRIU gives every process its capabilities back: one an exec granted
 * CAP_SYS_PTRACE before the checkpoint holds it again, so the container is
 * marked as that exec marked it (every later exec runs sealed, selfexe.h).
 * The processes are the container's cgroup's; without one, mark it anyway. */
static int restore_mark_ptrace(struct container *c, uoci_error **err)
{
  bool may = c->cg == NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (c->cg && cgroup_pids(c->cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n && !may; i++)
    may = caps_pid_may_hold(pids[i], CAP_SYS_PTRACE);
  if (!may)
    return 0;
  log_debug("restore %s: a restored process may hold CAP_SYS_PTRACE: later execs run sealed", c->o->id);
  return state_mark_ptrace(c->state_dirfd, err);
}

/* CRIU in place of spawn_init and wait_created: the processes come back,
 * the state records the restored init. *master: its terminal's master,
 * when it is ours to proxy. */
static int restore_processes(struct container *c, const struct cr_options *opts, int *master, uoci_error **err)
{
  struct cr_options cro = *opts;
  if (c->net.name)
    cro.empty_ns |= CLONE_NEWNET;
  bool terminal = c->cfg->process->has_terminal && c->cfg->process->terminal;
  struct cr_restore_target t = {
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .cfg = c->cfg,
    .cg = c->cg,
    .console_socket = c->o->console_socket,
    .keyring = c->keyring,
    .keep_master = terminal && c->o->console_socket == NULL,
    .setup_namespaces = restore_setup_namespaces,
    .arg = c,
  };
  if (cr_restore(&t, &cro, &c->pid, master, err) < 0)
    return -1;
  log_debug("restore %s: restored, init pid %d", c->o->id, (int) c->pid);
  /* marked before the state names the init: no exec can come in between */
  if (restore_mark_ptrace(c, err) < 0 || save_state(c, err) < 0)
    return -1;
  if (c->o->pid_file && write_pid_file(c->o->pid_file, c->pid, err) < 0)
    return -1;
  return 0;
}

/* restore in the foreground, as run: signals and the terminal forwarded,
 * then the container deleted; its status returned. */
static int restore_foreground(struct container *c, int master)
{
  close_fd(&c->state_dirfd);
  process_forward_signals(c->pid);
  if (master >= 0)
    terminal_proxy(master);
  uoci_error *werr = NULL;
  int status = process_wait(c->pid, &werr);
  uoci_error_free(werr);
  process_forward_signals(0);
  log_debug("restore %s: the container exited with status %d", c->o->id, status);
  delete_after_run(c);
  return status < 0 ? 255 : status;
}

int container_restore(const struct uoci_globals *g, const struct create_opts *o, const struct cr_options *opts,
                      bool detach, uoci_error **err)
{
  struct container c;
  container_init(&c);
  c.g = g;
  c.o = o;
  c.mode = detach ? MODE_RUN_DETACH : MODE_RUN;
  c.restoring = true;
  int ret = -1, master = -1;
  if (restore_plan(&c, opts, err) < 0)
    goto out;
  /* In the foreground the restored init must become our child once the
   * restore helper (its parent) is gone. */
  if (!detach)
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (create_state_and_cgroup(&c, err) < 0 || restore_processes(&c, opts, &master, err) < 0) {
    abort_create(&c);
    goto out;
  }
  ret = detach ? 0 : restore_foreground(&c, master);
out:
  if (master >= 0)
    close(master);
  container_release(&c);
  return ret;
}

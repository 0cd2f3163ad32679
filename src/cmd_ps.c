/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_ps.c - `ps [--format table|json] ID [PS_ARGS...]`: the container's
 * processes. json is a plain array of host pids (what containerd parses);
 * table runs the host's ps (default `ps -ef`) and keeps the header and the
 * container's lines, as runc does. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup.h"
#include "commands.h"
#include "state.h"
#include "utils.h"

static bool has_pid(const pid_t *pids, size_t n, long p)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

static int print_table(char **ps_args, int nargs, const pid_t *pids, size_t n, uoci_error **err)
{
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return uoci_fail(err, errno, "ps: pipe");
  char *argv[64] = { "ps" };
  int k = 1;
  if (nargs == 0)
    argv[k++] = "-ef";
  for (int i = 0; i < nargs && k < 63; i++)
    argv[k++] = ps_args[i];
  argv[k] = NULL;
  pid_t child = fork();
  if (child < 0)
    return uoci_fail(err, errno, "ps: fork");
  if (child == 0) {
    dup2(pfd[1], 1);
    rlimit_nofile_restore();
    execvp("ps", argv);
    _exit(127);
  }
  close(pfd[1]);
  FILE *f = fdopen(pfd[0], "r");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  int pid_col = -1;
  while (getline(&line, &cap, f) > 0) {
    if (pid_col < 0) {
      /* Header: find the PID column. */
      _cleanup_free_ char *copy = xstrdup(line);
      char *save = NULL;
      int col = 0;
      for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
        if (strcmp(t, "PID") == 0)
          pid_col = col;
      if (pid_col < 0) {
        fclose(f);
        waitpid(child, NULL, 0);
        return uoci_fail(err, 0, "ps: no PID column in the output of ps");
      }
      fputs(line, stdout);
      continue;
    }
    _cleanup_free_ char *copy = xstrdup(line);
    char *save = NULL, *t = strtok_r(copy, " \t\n", &save);
    for (int col = 0; t && col < pid_col; col++)
      t = strtok_r(NULL, " \t\n", &save);
    if (t && has_pid(pids, n, strtol(t, NULL, 10)))
      fputs(line, stdout);
  }
  fclose(f);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return uoci_fail(err, 0, "ps: the ps command failed (status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

int cmd_ps(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = { { "format", required_argument, 0, 'f' }, { 0, 0, 0, 0 } };
  const char *format = "table";
  int c;
  /* "+": stop at the id, what follows belongs to ps. */
  while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
    if (c != 'f')
      return uoci_fail(err, 0, "ps: unknown option \"%s\"", argv[optind - 1]);
    format = optarg;
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return uoci_fail(err, 0, "ps: --format: expected table or json, got \"%s\"", format);
  if (optind >= argc)
    return uoci_fail(err, 0, "ps: missing container id (see `ulysses-oci ps --help`)");
  const char *id = argv[optind];
  if (strcmp(format, "json") == 0 && argc - optind > 1)
    return uoci_fail(err, 0, "ps: ps arguments cannot be used with --format json");
  struct uoci_state st;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  uoci_cgroup *cg = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int ret = -1;
  if (st.cgroup == NULL)
    uoci_fail(err, 0, "container \"%s\" has no cgroup", id);
  else if (cgroup_from_string(st.cgroup, &cg, err) == 0 && cgroup_container_pids(cg, st.pid, &pids, &n, err) == 0)
    ret = 0;
  cgroup_free(cg);
  state_release(&st);
  if (ret < 0)
    return -1;
  if (strcmp(format, "json") == 0) {
    putchar('[');
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int) pids[i]);
    puts("]");
  } else {
    fflush(stdout);
    ret = print_table(argv + optind + 1, argc - optind - 1, pids, n, err);
  }
  free(pids);
  return ret;
}

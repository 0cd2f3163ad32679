/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cniexec.c - see cniexec.h. */
#define _GNU_SOURCE
#include "cniexec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

void cni_env_load(struct cni_env *env)
{
  env->command = getenv("CNI_COMMAND");
  env->container_id = getenv("CNI_CONTAINERID");
  env->netns = getenv("CNI_NETNS");
  env->ifname = getenv("CNI_IFNAME");
  env->args = getenv("CNI_ARGS");
  env->path = getenv("CNI_PATH");
}

int cni_env_check(const struct cni_env *env, struct cni_error *e)
{
  const char *cmd = env->command;
  if (!cmd || !*cmd)
    return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_COMMAND is not set");
  bool per_container = !strcmp(cmd, "ADD") || !strcmp(cmd, "DEL") || !strcmp(cmd, "CHECK");
  if (!per_container && strcmp(cmd, "VERSION") && strcmp(cmd, "STATUS") && strcmp(cmd, "GC"))
    return cni_fail(e, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND %s", cmd);
  if (!per_container)
    return 0;
  if (!env->container_id || !*env->container_id)
    return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID is required for %s", cmd);
  if (!cni_valid_container_id(env->container_id))
    return cni_fail(e, CNI_ERR_INVALID_ENV, "invalid CNI_CONTAINERID \"%s\"", env->container_id);
  if (!env->ifname || !*env->ifname)
    return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_IFNAME is required for %s", cmd);
  if (!cni_valid_ifname(env->ifname))
    return cni_fail(e, CNI_ERR_INVALID_ENV, "invalid CNI_IFNAME \"%s\"", env->ifname);
  /* DEL must work after the sandbox is gone, so only ADD/CHECK need a netns */
  if (strcmp(cmd, "DEL") && (!env->netns || !*env->netns))
    return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_NETNS is required for %s", cmd);
  return 0;
}

yajl_val cni_read_config(const char **version, struct cni_error *e)
{
  _cleanup_free_ char *text = read_all_fd(STDIN_FILENO, NULL);
  *version = NULL;
  if (!text) {
    cni_fail(e, CNI_ERR_IO, "reading the network configuration from stdin: %s", strerror(errno));
    return NULL;
  }
  yajl_val root = json_parse(text, e);
  if (!root)
    return NULL;
  if (!YAJL_IS_OBJECT(root)) {
    yajl_tree_free(root);
    cni_fail(e, CNI_ERR_DECODE, "network configuration is not a JSON object");
    return NULL;
  }
  *version = json_get_str(root, "cniVersion");
  if (!*version) {
    cni_fail(e, CNI_ERR_INVALID_CONFIG, "network configuration has no \"cniVersion\"");
  } else if (!cni_version_supported(*version)) {
    cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI version %s (supported: 0.3.0 to 1.1.0)", *version);
    *version = NULL;
  } else {
    return root;
  }
  yajl_tree_free(root);
  return NULL;
}

void cni_print_version_info(void)
{
  struct sbuf b = {0};
  sb_add(&b, "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[");
  for (int i = 0; cni_versions[i]; i++)
    sb_printf(&b, "%s\"%s\"", i ? "," : "", cni_versions[i]);
  sb_add(&b, "]}\n");
  fputs(b.s, stdout);
  free(b.s);
}

char *cni_find_plugin(const char *type, const char *cni_path)
{
  if (!type || !*type || strchr(type, '/') || !cni_path)
    return NULL;
  _cleanup_free_ char *dirs = strdup(cni_path);
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *p;
    if (asprintf(&p, "%s/%s", d, type) < 0)
      return NULL;
    if (access(p, X_OK) == 0)
      return p;
    free(p);
  }
  return NULL;
}

static void put_env(char **envp, size_t *n, const char *key, const char *val)
{
  if (val && asprintf(&envp[*n], "%s=%s", key, val) >= 0)
    (*n)++;
}

/* Turn a failed plugin's stdout into our error. */
static void error_from_output(const char *binary, const char *out, int status, struct cni_error *e)
{
  _cleanup_json_ yajl_val v = out && *out ? json_tree_parse(out, NULL, 0) : NULL;
  yajl_val code = json_get(v, "code");
  const char *msg = json_get_str(v, "msg"), *details = json_get_str(v, "details");
  if (code && YAJL_IS_INTEGER(code) && msg) {
    cni_fail(e, (int)YAJL_GET_INTEGER(code), "%s", msg);
    if (details)
      snprintf(e->details, sizeof e->details, "%s", details);
    return;
  }
  if (WIFSIGNALED(status))
    cni_fail(e, CNI_ERR_PLUGIN, "%s killed by signal %d", binary, WTERMSIG(status));
  else
    cni_fail(e, CNI_ERR_PLUGIN, "%s failed with status %d: %.200s", binary, WEXITSTATUS(status), out ? out : "");
}

int cni_exec_plugin(const char *binary, const char *command, const struct cni_env *env, const char *input,
                    char **out, struct cni_error *e)
{
  *out = NULL;
  /* stdin from a memfd: no deadlock however large the config is */
  _cleanup_close_ int in = memfd_create("cni-stdin", MFD_CLOEXEC);
  int pipefd[2];
  if (in < 0 || write(in, input, strlen(input)) != (ssize_t)strlen(input) || lseek(in, 0, SEEK_SET) < 0)
    return cni_fail(e, CNI_ERR_IO, "preparing stdin for %s: %s", binary, strerror(errno));
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return cni_fail(e, CNI_ERR_IO, "pipe: %s", strerror(errno));
  char *envp[16] = {0};
  size_t n = 0;
  put_env(envp, &n, "CNI_COMMAND", command);
  put_env(envp, &n, "CNI_CONTAINERID", env->container_id);
  put_env(envp, &n, "CNI_NETNS", env->netns);
  put_env(envp, &n, "CNI_IFNAME", env->ifname);
  put_env(envp, &n, "CNI_ARGS", env->args);
  put_env(envp, &n, "CNI_PATH", env->path);
  put_env(envp, &n, "PATH", getenv("PATH") ? getenv("PATH") : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    for (size_t i = 0; i < n; i++)
      free(envp[i]);
    return cni_fail(e, CNI_ERR_PLUGIN, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    dup2(in, STDIN_FILENO);
    dup2(pipefd[1], STDOUT_FILENO);
    execve(binary, (char *[]){(char *)binary, NULL}, envp);
    dprintf(STDERR_FILENO, "%s: %s\n", binary, strerror(errno));
    _exit(127);
  }
  close(pipefd[1]);
  for (size_t i = 0; i < n; i++)
    free(envp[i]);
  char *text = read_all_fd(pipefd[0], NULL);
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    *out = text ? text : strdup("");
    return 0;
  }
  error_from_output(binary, text, status, e);
  free(text);
  return -1;
}

int cni_plugin_main(cni_run_fn run)
{
  struct cni_env env;
  struct cni_error e = {0};
  const char *version = NULL;
  cni_env_load(&env);
  if (env.command && !strcmp(env.command, "VERSION")) {
    cni_print_version_info();
    return 0;
  }
  if (cni_env_check(&env, &e) < 0) {
    cni_print_error(&e, NULL);
    return 1;
  }
  _cleanup_json_ yajl_val root = cni_read_config(&version, &e);
  if (!root || run(&env, root, version, &e) < 0) {
    cni_print_error(&e, version);
    return 1;
  }
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_list.c - `list [--format table|json] [-q]`. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "state.h"
#include "utils.h"

static int compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Container ids in the state root, sorted. */
static char **list_ids(const char *root, size_t *n)
{
  *n = 0;
  DIR *d = opendir(root);
  if (d == NULL)
    return NULL;
  size_t cap = 16;
  char **ids = xcalloc(cap, sizeof *ids);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
      continue;
    if (*n + 1 >= cap)
      ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
    ids[(*n)++] = xstrdup(de->d_name);
  }
  closedir(d);
  ids[*n] = NULL;
  qsort(ids, *n, sizeof *ids, compare_names);
  return ids;
}

int cmd_list(const struct uoci_globals *g, int argc, char **argv, uoci_error **err)
{
  static const struct option opts[] = {
    { "format", required_argument, 0, 'f' },
    { "quiet", no_argument, 0, 'q' },
    { 0, 0, 0, 0 },
  };
  const char *format = "table";
  bool quiet = false;
  int c;
  while ((c = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'q': quiet = true; break;
    default: return uoci_fail(err, 0, "list: unknown option \"%s\"", argv[optind - 1]);
    }
  }
  bool json = strcmp(format, "json") == 0;
  if (!json && strcmp(format, "table") != 0)
    return uoci_fail(err, 0, "list: --format: expected table or json, got \"%s\"", format);
  if (optind < argc)
    return uoci_fail(err, 0, "list: unexpected argument \"%s\"", argv[optind]);

  size_t n;
  _cleanup_strv_ char **ids = list_ids(g->root, &n);
  /* -q prints the ids alone, whatever the format (as runc) */
  json = json && !quiet;
  state_json_array *arr = NULL;
  if (json && (arr = state_json_array_new()) == NULL)
    return uoci_fail(err, ENOMEM, "list");
  if (!quiet && !json)
    printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  for (size_t i = 0; i < n; i++) {
    struct uoci_state st;
    uoci_error *e = NULL;
    if (state_load(g->root, ids[i], &st, &e) < 0) {
      uoci_error_free(e);
      continue; /* deleted meanwhile, or not a container */
    }
    enum container_status s = state_status(&st);
    ocispec_strmap annotations = { 0 };
    if (json) {
      state_annotations(&st, &annotations, &e);
      uoci_error_free(e);
    }
    /* what is printed is read: the lock goes before the output, which a
     * reader that does not read (a pager) can block */
    state_unlock(&st);
    if (quiet) {
      printf("%s\n", st.id);
    } else if (json) {
      state_json_array_add(arr, &st, s, &annotations);
      state_json_array_flush(arr, stdout, false);
    } else {
      printf("%-12s %-8d %-10s %-40s %-30s %s\n", st.id, s == STATUS_STOPPED ? 0 : (int) st.pid, status_name(s),
             st.bundle ? st.bundle : "", st.created ? st.created : "", st.owner == 0 ? "root" : "user");
    }
    ocispec_strmap_clear(&annotations);
    state_release(&st);
  }
  if (json) {
    state_json_array_flush(arr, stdout, true);
    printf("\n");
    state_json_array_free(arr);
  }
  return 0;
}

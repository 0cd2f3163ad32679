/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_state.c - the state file (state.c) on a state root under /tmp: the
 * annotations record (written, read back, too long, damaged), a state file
 * of an older version without it (config.json is read instead), and list's
 * JSON array against state_json. No container, no cgroup. */
#include "config.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state.h"
#include "tap.h"
#include "utils.h"

static char root[] = "/tmp/uoci-test-state.XXXXXX";

static void put(const char *id, const char *name, const char *text)
{
  char *p = xasprintf("%s/%s/%s", root, id, name);
  FILE *f = fopen(p, "w");
  ok(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", p);
  free(p);
}

static char *slurp(const char *id, const char *name)
{
  char *p = xasprintf("%s/%s/%s", root, id, name), *text = NULL;
  uoci_error *e = NULL;
  if (read_file_at(AT_FDCWD, p, &text, NULL, &e) < 0)
    uoci_error_free(e);
  free(p);
  return text;
}

/* A container directory with the config.json `config` and a state saved
 * with the given annotations record (NULL: none). */
static void make_container(const char *id, const char *config, const char *record)
{
  uoci_error *e = NULL;
  int fd = state_dir_create(root, id, &e);
  ok(fd >= 0, "state dir %s", id);
  uoci_error_free(e);
  e = NULL;
  put(id, "config.json", config);
  struct uoci_state st = {
    .id = (char *) id, .pid = 12345, .start_time = 1, .bundle = (char *) "/b", .rootfs = (char *) "/b/rootfs",
    .created = (char *) "2026-12-07T00:00:00Z", .annotations = (char *) record, .dirfd = fd,
  };
  ok(state_save(&st, &e) == 0, "state_save %s", id);
  uoci_error_free(e);
  close(fd);
}

/* The annotations `list` and `state` print for id, as compact JSON. */
static char *annotations_of(const char *id, bool *from_record)
{
  struct uoci_state st;
  uoci_error *e = NULL;
  if (state_load(root, id, &st, &e) < 0) {
    uoci_error_free(e);
    return NULL;
  }
  *from_record = st.annotations != NULL;
  ocispec_strmap m;
  char *out = NULL;
  if (state_annotations(&st, &m, &e) == 0) {
    char *rec = state_annotations_record(&m);
    out = rec ? rec : xstrdup("(too long)");
    ocispec_strmap_clear(&m);
  }
  uoci_error_free(e);
  state_release(&st);
  return out;
}

static void test_record(void)
{
  ocispec_strmap m = { 0 };
  char *r = state_annotations_record(&m);
  is_str(r, "{}", "no annotations: {}");
  free(r);
  r = state_annotations_record(NULL);
  is_str(r, "{}", "NULL: {}");
  free(r);
  ocispec_strmap_set(&m, "a", "1");
  ocispec_strmap_set(&m, "two\nlines", "tab\t\"q\" \xc3\xa9");
  r = state_annotations_record(&m);
  is_str(r, "{\"a\":\"1\",\"two\\nlines\":\"tab\\t\\\"q\\\" \xc3\xa9\"}", "one line of JSON, control characters escaped");
  free(r);
  char *big = xmalloc(STATE_ANNOTATIONS_MAX + 1);
  memset(big, 'x', STATE_ANNOTATIONS_MAX);
  big[STATE_ANNOTATIONS_MAX] = '\0';
  ocispec_strmap_set(&m, "big", big);
  r = state_annotations_record(&m);
  ok(r == NULL, "longer than STATE_ANNOTATIONS_MAX: not recorded");
  free(r);
  free(big);
  ocispec_strmap_clear(&m);
}

static void test_state_file(void)
{
  const char *config = "{\"ociVersion\":\"1.3.0\",\"annotations\":{\"a\":\"1\",\"b\":\"x y\"}}";
  const char *want = "{\"a\":\"1\",\"b\":\"x y\"}";
  bool rec = false;
  char *got;

  /* written by this version: the record, read back without config.json */
  make_container("new", config, want);
  got = slurp("new", "state");
  ok(got && strstr(got, "\nannotations={\"a\":\"1\",\"b\":\"x y\"}\n"), "the state file has the annotations line");
  free(got);
  put("new", "config.json", "{\"annotations\":{\"other\":\"2\"}}");
  got = annotations_of("new", &rec);
  ok(rec, "new: loaded with its record");
  is_str(got, want, "new: the record, not config.json");
  free(got);

  /* a state file of an older version: no annotations line */
  make_container("old", config, NULL);
  got = slurp("old", "state");
  ok(got && !strstr(got, "annotations="), "old: no annotations line");
  free(got);
  got = annotations_of("old", &rec);
  ok(!rec, "old: no record loaded");
  is_str(got, want, "old: annotations from config.json");
  free(got);
  make_container("old-none", "{\"ociVersion\":\"1.3.0\"}", NULL);
  got = annotations_of("old-none", &rec);
  is_str(got, "{}", "old, config without annotations: none");
  free(got);

  /* no annotations recorded as {}: config.json is not read */
  make_container("none", config, "{}");
  got = annotations_of("none", &rec);
  is_str(got, "{}", "{}: none, config.json not read");
  free(got);

  /* a damaged record (not an object of strings): config.json instead */
  const char *bad[] = { "[\"x\"]", "{\"a\":1}", "{\"a\":", "nonsense" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    char id[16];
    snprintf(id, sizeof id, "bad%zu", i);
    make_container(id, config, bad[i]);
    got = annotations_of(id, &rec);
    is_str(got, want, "damaged record %s: config.json", bad[i]);
    free(got);
  }

  /* an edited record nested 400000 deep (red-team round 7): crashed
   * `state` and `list` (SIGSEGV in yajl_tree_free); now too long to be one */
  size_t depth = 400000; /* the file stays under STATE_FILE_MAX */
  char *deep = xmalloc(2 * depth + 8);
  strcpy(deep, "{\"a\":");
  memset(deep + 5, '[', depth);
  memset(deep + 5 + depth, ']', depth);
  strcpy(deep + 5 + 2 * depth, "}");
  make_container("deep", config, deep);
  got = annotations_of("deep", &rec);
  is_str(got, want, "a record nested 400000 deep: config.json");
  free(got);
  free(deep);

  /* neither: an error, and nothing */
  make_container("neither", "{\"annotations\": 7}", NULL);
  struct uoci_state st;
  uoci_error *e = NULL;
  ok(state_load(root, "neither", &st, &e) == 0, "load neither");
  ocispec_strmap m;
  is_int(state_annotations(&st, &m, &e), -1, "no record and a bad config.json: -1");
  ok(e && strstr(e->msg, "annotations"), "... naming the problem: %s", e ? e->msg : "");
  is_int(m.len, 0, "... and no annotations");
  uoci_error_free(e);
  state_release(&st);
}

/* An empty state file (size 0: read to its end from the fd load opened) is
 * damaged: state refuses it, delete --force's load takes it without a pid. */
static void test_empty_state(void)
{
  make_container("empty", "{\"ociVersion\":\"1.3.0\"}", NULL);
  put("empty", "state", "");
  struct uoci_state st;
  uoci_error *e = NULL;
  is_int(state_load(root, "empty", &st, &e), -1, "empty state file: state_load fails");
  ok(e && strstr(e->msg, "corrupt state file"), "... as a corrupt state file: %s", e ? e->msg : "");
  uoci_error_free(e);
  e = NULL;
  is_int(state_load_any(root, "empty", &st, &e), 0, "empty state file: state_load_any loads it");
  is_int(st.pid, 0, "... without a pid");
  uoci_error_free(e);
  state_release(&st);
}

/* A pid past pid_t in an edited state file is no pid: it wrapped to pid 1
 * (4294967297) or to -1 (4294967295, kill's "every process"). */
static void test_pid_range(void)
{
  const char *pids[] = { "4294967297", "4294967295", "2147483648" };
  for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
    char id[16];
    snprintf(id, sizeof id, "bigpid%zu", i);
    make_container(id, "{\"ociVersion\":\"1.3.0\"}", NULL);
    char *text = xasprintf("pid=%s\nstart=1\nowner=0\nbundle=/b\nrootfs=/b/rootfs\ncreated=x\n", pids[i]);
    put(id, "state", text);
    free(text);
    struct uoci_state st;
    uoci_error *e = NULL;
    int r = state_load(root, id, &st, &e);
    is_int(r, -1, "pid=%s: a corrupt state file", pids[i]);
    if (r == 0) {
      printf("#   loaded pid %d\n", (int) st.pid);
      state_release(&st);
    }
    uoci_error_free(e);
  }
  /* the largest pid_t still loads */
  make_container("maxpid", "{\"ociVersion\":\"1.3.0\"}", NULL);
  put("maxpid", "state", "pid=2147483647\nstart=1\n");
  struct uoci_state st;
  uoci_error *e = NULL;
  ok(state_load(root, "maxpid", &st, &e) == 0 && st.pid == 2147483647, "pid=2147483647 loads");
  if (e == NULL)
    state_release(&st);
  uoci_error_free(e);
}

/* list's one-generator array is state_json's texts joined. */
static void test_json_array(void)
{
  struct uoci_state a = { .id = (char *) "a", .pid = 1, .bundle = (char *) "/b", .dirfd = -1 };
  struct uoci_state b = { .id = (char *) "b", .pid = 2, .created = (char *) "now", .dirfd = -1 };
  ocispec_strmap m = { 0 };
  ocispec_strmap_set(&m, "k", "v");
  char *ja = state_json(&a, STATUS_RUNNING, &m, false), *jb = state_json(&b, STATUS_STOPPED, NULL, false);
  char *want = xasprintf("[%s,%s]", ja, jb);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  state_json_array *arr = state_json_array_new();
  state_json_array_add(arr, &a, STATUS_RUNNING, &m);
  state_json_array_flush(arr, f, false);
  state_json_array_add(arr, &b, STATUS_STOPPED, NULL);
  state_json_array_flush(arr, f, false);
  state_json_array_flush(arr, f, true);
  state_json_array_free(arr);
  fclose(f);
  is_str(buf, want, "array of two");
  free(buf);
  buf = NULL;
  f = open_memstream(&buf, &len);
  arr = state_json_array_new();
  state_json_array_flush(arr, f, true);
  state_json_array_free(arr);
  fclose(f);
  is_str(buf, "[]", "empty array");
  free(buf);
  free(want);
  free(ja);
  free(jb);
  ocispec_strmap_clear(&m);
}

int main(void)
{
  if (!mkdtemp(root)) {
    ok(0, "mkdtemp");
    return done_testing();
  }
  test_record();
  test_state_file();
  test_empty_state();
  test_pid_range();
  test_json_array();
  char *cmd = xasprintf("rm -rf '%s'", root);
  (void) !system(cmd);
  free(cmd);
  return done_testing();
}

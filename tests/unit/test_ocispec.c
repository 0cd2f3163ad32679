/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_ocispec.c - unit tests of libocispec: every field kind, every error
 * path, round trips of config (every field of the spec), state and features,
 * and the exec/update documents. Fixtures: tests/unit/data/ocispec/. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ocispec.h"
#include "ocispec_internal.h" /* to walk the tables in the coverage check */
#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef OCISPEC_TEST_DATA
#define OCISPEC_TEST_DATA "tests/unit/data/ocispec"
#endif

static void free_charp(char **p) { free(*p); }
#define cleanup_free __attribute__((cleanup(free_charp)))

static char *fixture_path(const char *name)
{
  char *path;
  if (asprintf(&path, "%s/%s", OCISPEC_TEST_DATA, name) < 0)
    abort();
  return path;
}

static char *read_fixture(const char *name)
{
  cleanup_free char *path = fixture_path(name);
  FILE *f = fopen(path, "re");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  char *text = NULL;
  size_t size = 0;
  if (getdelim(&text, &size, '\0', f) < 0) {
    perror(path);
    exit(2);
  }
  fclose(f);
  return text;
}

static void *parse(const ocispec_type *t, const char *json, char **err)
{
  return ocispec_parse(t, json, strlen(json), "config.json", err);
}

static ocispec_config *parse_config(const char *json)
{
  char *err = NULL;
  ocispec_config *c = parse(&ocispec_config_type, json, &err);
  if (c == NULL)
    printf("#   unexpected error: %s\n", err);
  free(err);
  return c;
}

/* Parsing must fail with exactly this message. */
static void error_is(const ocispec_type *t, const char *json, const char *want, const char *name)
{
  char *err = NULL;
  void *obj = parse(t, json, &err);
  ok(obj == NULL, "%s: rejected", name);
  is_str(err, want, "%s: message", name);
  ocispec_free(t, obj);
  free(err);
}

static void config_error_is(const char *json, const char *want, const char *name)
{
  error_is(&ocispec_config_type, json, want, name);
}

static char *generate(const ocispec_type *t, const void *obj, bool pretty)
{
  char *err = NULL;
  char *text = ocispec_generate(t, obj, pretty, &err);
  if (text == NULL)
    printf("#   generate error: %s\n", err);
  free(err);
  return text;
}

/* ---- field kinds ---------------------------------------------------------- */

static void test_strings_and_bools(void)
{
  ocispec_config *c = parse_config(
      "{\"ociVersion\":\"1.3.0\",\"hostname\":\"h\\u00e9\\\"x\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
      "\"process\":{\"terminal\":false,\"cwd\":\"/\"}}");
  ok(c != NULL, "string/bool: parsed");
  if (c == NULL)
    return;
  is_str(c->oci_version, "1.3.0", "string: ociVersion");
  is_str(c->hostname, "h\xc3\xa9\"x", "string: escapes and \\u decoded to UTF-8");
  ok(c->domainname == NULL, "string: absent is NULL");
  ok(c->root->readonly && c->root->has_readonly, "bool: true with has_");
  ok(!c->process->terminal && c->process->has_terminal, "bool: false is present, not absent");
  ok(!c->process->has_no_new_privileges, "bool: absent has_ is false");
  ocispec_config_free(c);
}

static void test_integers(void)
{
  ocispec_config *c = parse_config(
      "{\"process\":{\"oomScoreAdj\":-2147483648,\"user\":{\"uid\":4294967295,\"gid\":0},"
      "\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":-0}]},"
      "\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775807,\"swap\":-9223372036854775808,"
      "\"swappiness\":18446744073709551614},\"blockIO\":{\"weight\":65535,\"leafWeight\":0}}}}");
  ok(c != NULL, "integers: parsed");
  if (c == NULL)
    return;
  is_int(c->process->oom_score_adj, INT32_MIN, "i32: minimum");
  ok(c->process->user->uid == UINT32_MAX && c->process->user->has_uid, "u32: maximum");
  ok(c->process->user->gid == 0 && c->process->user->has_gid, "u32: zero is present");
  ok(!c->process->user->has_umask, "u32: absent");
  ok(c->process->rlimits[0].hard == UINT64_MAX, "u64: 18446744073709551615 exact");
  ok(c->process->rlimits[0].soft == 0 && c->process->rlimits[0].has_soft, "u64: -0 is zero");
  ok(c->linux->resources->memory->swappiness == UINT64_MAX - 1, "u64: 18446744073709551614 exact (no double rounding)");
  ok(c->linux->resources->memory->limit == INT64_MAX, "i64: maximum");
  ok(c->linux->resources->memory->swap == INT64_MIN, "i64: minimum");
  ok(c->linux->resources->block_io->weight == UINT16_MAX, "u16: maximum");
  ok(c->linux->resources->block_io->has_leaf_weight && c->linux->resources->block_io->leaf_weight == 0, "u16: zero");

  cleanup_free char *out = generate(&ocispec_config_type, c, false);
  ok(out && strstr(out, "\"hard\":18446744073709551615"), "u64: generated exactly");
  ok(out && strstr(out, "\"swap\":-9223372036854775808"), "i64: minimum generated exactly");
  ok(out && strstr(out, "\"oomScoreAdj\":-2147483648"), "i32: minimum generated exactly");
  ocispec_config_free(c);
}

static void test_arrays(void)
{
  ocispec_config *c = parse_config(
      "{\"process\":{\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[],\"user\":{\"uid\":0,\"gid\":0,"
      "\"additionalGids\":[1,4294967295]}},"
      "\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"options\":[\"ro\"]}]}");
  ok(c != NULL, "arrays: parsed");
  if (c == NULL)
    return;
  is_int(c->process->args_len, 3, "string array: length");
  is_str(c->process->args[2], "true", "string array: element");
  ok(c->process->args[3] == NULL, "string array: NULL-terminated (ready for execve)");
  ok(c->process->env != NULL && c->process->env_len == 0, "string array: empty is present, not absent");
  ok(c->process->capabilities == NULL, "object: absent is NULL");
  is_int(c->process->user->additional_gids_len, 2, "u32 array: length");
  ok(c->process->user->additional_gids[1] == UINT32_MAX, "u32 array: element");
  is_int(c->mounts_len, 2, "object array: length");
  is_str(c->mounts[1].destination, "/b", "object array: element stored inline");
  is_str(c->mounts[1].options[0], "ro", "object array: nested array");
  ok(c->mounts[0].options == NULL && c->mounts[0].options_len == 0, "object array: absent nested array");

  cleanup_free char *out = generate(&ocispec_config_type, c, false);
  ok(out && strstr(out, "\"env\":[]"), "empty array generated as []");
  ok(out && strstr(out, "\"additionalGids\":[1,4294967295]"), "u32 array generated");
  ocispec_config_free(c);
}

static void test_maps(void)
{
  ocispec_config *c = parse_config(
      "{\"annotations\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"},"
      "\"linux\":{\"sysctl\":{},\"resources\":{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3}}},"
      "\"timeOffsets\":{\"monotonic\":{\"secs\":-5,\"nanosecs\":7}},\"netDevices\":{\"eth0\":{\"name\":\"x\"}}}}");
  ok(c != NULL, "maps: parsed");
  if (c == NULL)
    return;
  is_int(c->annotations.len, 2, "strmap: repeated key replaces, not duplicates");
  is_str(ocispec_strmap_get(&c->annotations, "a"), "3", "strmap: last value of a repeated key wins");
  is_str(ocispec_strmap_get(&c->annotations, "b"), "2", "strmap: get");
  ok(ocispec_strmap_get(&c->annotations, "zz") == NULL, "strmap: get missing is NULL");
  ok(c->linux->sysctl.keys != NULL && c->linux->sysctl.len == 0, "strmap: empty object is present");
  is_str(c->linux->resources->rdma.keys[0], "mlx5_1", "object map: key");
  ok(c->linux->resources->rdma.values[0].hca_handles == 3 && !c->linux->resources->rdma.values[0].has_hca_objects,
     "object map: value");
  ok(c->linux->time_offsets.len == 1 && c->linux->time_offsets.values[0].secs == -5
     && c->linux->time_offsets.values[0].nanosecs == 7, "object map: timeOffsets");
  is_str(c->linux->net_devices.values[0].name, "x", "object map: netDevices");

  ok(ocispec_strmap_set(&c->annotations, "b", "20") == 0, "strmap_set: replace");
  ok(ocispec_strmap_set(&c->annotations, "new", "v") == 0, "strmap_set: add");
  is_int(c->annotations.len, 3, "strmap_set: length");
  is_str(ocispec_strmap_get(&c->annotations, "b"), "20", "strmap_set: replaced value");
  is_str(ocispec_strmap_get(&c->annotations, "new"), "v", "strmap_set: added value");

  cleanup_free char *out = generate(&ocispec_config_type, c, false);
  ok(out && strstr(out, "\"annotations\":{\"a\":\"3\",\"b\":\"20\",\"new\":\"v\"}"), "strmap generated in order");
  ok(out && strstr(out, "\"sysctl\":{}"), "empty map generated as {}");
  ok(out && strstr(out, "\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3}}"), "object map generated");
  ocispec_config_free(c);

  ocispec_strmap m = { 0 };
  ok(ocispec_strmap_set(&m, "k", "v") == 0 && m.len == 1, "strmap_set: on an empty map");
  is_str(ocispec_strmap_get(&m, "k"), "v", "strmap_set: readable");
  free(m.keys[0]);
  free(m.values[0]);
  free(m.keys);
  free(m.values);
}

static void test_null_and_unknown(void)
{
  ocispec_config *c = parse_config(
      "{\"ociVersion\":\"1.3.0\",\"hostname\":null,\"process\":null,\"root\":{\"path\":\"r\",\"readonly\":null},"
      "\"mounts\":null,\"annotations\":null,\"linux\":{\"resources\":{\"memory\":{\"limit\":null}}},"
      "\"unknownTop\":[1,\"x\",{\"y\":null}],\"windows\":{\"layerFolders\":[\"C:\\\\\"]},"
      "\"vendor.extension\":{\"ociVersion\":5}}");
  ok(c != NULL, "null/unknown: parsed");
  if (c == NULL)
    return;
  ok(c->hostname == NULL, "null string is absent");
  ok(c->process == NULL, "null object is absent");
  ok(c->mounts == NULL && c->mounts_len == 0, "null array is absent");
  ok(c->annotations.keys == NULL, "null map is absent");
  ok(!c->root->has_readonly, "null bool is absent");
  ok(!c->linux->resources->memory->has_limit, "null integer is absent");
  is_str(c->oci_version, "1.3.0", "unknown properties ignored, known ones kept");
  cleanup_free char *out = generate(&ocispec_config_type, c, false);
  is_str(out, "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{}}}}",
         "absent fields are omitted on output");
  ocispec_config_free(c);

  c = parse_config("{\"hostname\":\"first\",\"hostname\":\"second\",\"process\":{\"args\":[\"a\"]},"
                   "\"process\":{\"cwd\":\"/\"},\"hostname\":null}");
  ok(c && c->hostname == NULL, "repeated member: the last one wins (null)");
  ok(c && c->process && c->process->args == NULL && c->process->cwd, "repeated object replaces the earlier one");
  ocispec_config_free(c);

  /* Keys as Go's encoding/json (runc) reads them: exact name first, else
   * without regard to ASCII case; the last of the matching keys wins. */
  c = parse_config("{\"Hostname\":\"h\",\"linux\":{\"resources\":{\"hugepageLimits\":"
                   "[{\"pagesize\":\"2MB\",\"LIMIT\":4096}]}},\"Process\":{\"args\":[\"a\"]},"
                   "\"process\":{\"CWD\":\"/x\"}}");
  ok(c && c->hostname && strcmp(c->hostname, "h") == 0, "case-insensitive key: Hostname is hostname");
  ok(c && c->linux->resources->hugepage_limits_len == 1 && c->linux->resources->hugepage_limits[0].page_size &&
     strcmp(c->linux->resources->hugepage_limits[0].page_size, "2MB") == 0 &&
     c->linux->resources->hugepage_limits[0].limit == 4096, "case-insensitive key: pagesize, LIMIT");
  ok(c && c->process && c->process->args == NULL && c->process->cwd && strcmp(c->process->cwd, "/x") == 0,
     "case-insensitive key: Process then process, the last wins");
  ocispec_config_free(c);
  c = parse_config("{\"hostnamex\":\"h\",\"host\\u0000name\":\"n\"}");
  ok(c && c->hostname == NULL, "a longer name or an escaped NUL is not a case variant");
  ocispec_config_free(c);
}

/* Arrays and maps grow while they are read; unknown subtrees of any depth
 * are skipped without disturbing what follows. */
static void test_growth_and_skipping(void)
{
  char *json = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&json, &size);
  fputs("{\"process\":{\"args\":[", out);
  for (int i = 0; i < 100; i++)
    fprintf(out, "%s\"arg%d\"", i ? "," : "", i);
  fputs("],\"user\":{\"additionalGids\":[", out);
  for (int i = 0; i < 33; i++)
    fprintf(out, "%s%d", i ? "," : "", i * 1000);
  fputs("]}},\"mounts\":[", out);
  for (int i = 0; i < 20; i++)
    fprintf(out, "%s{\"destination\":\"/m%d\",\"x-unknown\":{\"a\":[[{\"b\":[1,{},[]]}]]},\"options\":[\"o%d\"]}",
            i ? "," : "", i, i);
  fputs("],\"annotations\":{", out);
  for (int i = 0; i < 50; i++)
    fprintf(out, "%s\"k%d\":\"v%d\"", i ? "," : "", i, i);
  fputs("},\"linux\":{\"timeOffsets\":{\"a\":{\"secs\":1},\"a\":{\"nanosecs\":2}},\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"
       "\"cgroupsPath\":\"/after-skip\"}}", out);
  fclose(out);

  ocispec_config *c = parse_config(json);
  ok(c != NULL, "large document: parsed");
  if (c) {
    ok(c->process->args_len == 100 && strcmp(c->process->args[99], "arg99") == 0 && c->process->args[100] == NULL,
       "100 strings: all kept, NULL-terminated");
    ok(c->process->user->additional_gids_len == 33 && c->process->user->additional_gids[32] == 32000,
       "33 u32 values: all kept");
    ok(c->mounts_len == 20 && strcmp(c->mounts[19].destination, "/m19") == 0
       && strcmp(c->mounts[19].options[0], "o19") == 0, "20 objects with unknown subtrees: all kept");
    ok(c->annotations.len == 50 && strcmp(ocispec_strmap_get(&c->annotations, "k49"), "v49") == 0
       && c->annotations.keys[50] == NULL, "50 map entries: all kept, keys NULL-terminated");
    ok(c->linux->time_offsets.len == 1 && !c->linux->time_offsets.values[0].has_secs
       && c->linux->time_offsets.values[0].nanosecs == 2, "object map: a repeated key replaces the whole value");
    is_str(c->linux->cgroups_path, "/after-skip", "member after a 40-deep unknown array is read");
  }
  ocispec_config_free(c);
  free(json);

  c = parse_config("{\"annotations\":{\"ab\":\"1\",\"a\":\"2\",\"abc\":\"3\"},\"hostnam\":\"no\",\"hostnamex\":\"no\"}");
  ok(c && c->annotations.len == 3 && strcmp(ocispec_strmap_get(&c->annotations, "a"), "2") == 0,
     "map keys that are prefixes of each other stay distinct");
  ok(c && c->hostname == NULL, "member names match exactly, not by prefix");
  ocispec_config_free(c);

  config_error_is("{\"process\":{\"args\":[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",{}]}}",
                  "config.json: .process.args[9]: expected string, got object", "error after the array grew");
  config_error_is("{\"linux\":{\"sysctl\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\",\"f\":[]}}}",
                  "config.json: .linux.sysctl[\"f\"]: expected string, got array", "error after the map grew");
  config_error_is("{\"process\":{\"rlimits\":[{\"hard\":1000000000000000000000000000000}]}}",
                  "config.json: .process.rlimits[0].hard: expected uint64, got 1000000000000000000000000000000",
                  "very long integer");
  config_error_is("{\"x-unknown\":{\"deep\":[1,2]},\"hostname\":[]}",
                  "config.json: .hostname: expected string, got array", "path is right after a skipped member");

  char *err = NULL;
  void *obj = parse(&ocispec_config_type, "{/* comment */\"hostname\":\"x\"}", &err);
  ok(obj == NULL && err && strstr(err, "invalid JSON"), "comments are not JSON (%s)", err ? err : "");
  free(err);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_type_errors(void)
{
  config_error_is("{\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
                  "config.json: .linux.resources.memory.limit: expected integer, got string", "integer got string");
  config_error_is("{\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\"},{\"destination\":7}]}",
                  "config.json: .mounts[2].destination: expected string, got integer", "string at array index");
  config_error_is("{\"process\":{\"args\":[\"a\",false]}}",
                  "config.json: .process.args[1]: expected string, got boolean", "string array element");
  config_error_is("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"2\"]}}}",
                  "config.json: .process.user.additionalGids[1]: expected integer, got string", "u32 array element");
  config_error_is("{\"process\":{\"terminal\":\"yes\"}}",
                  "config.json: .process.terminal: expected boolean, got string", "bool got string");
  config_error_is("{\"process\":{\"terminal\":1}}",
                  "config.json: .process.terminal: expected boolean, got integer", "bool got integer");
  config_error_is("{\"hostname\":{}}", "config.json: .hostname: expected string, got object", "string got object");
  config_error_is("{\"hostname\":1.5}", "config.json: .hostname: expected string, got number", "string got number");
  config_error_is("{\"process\":[]}", "config.json: .process: expected object, got array", "object got array");
  config_error_is("{\"mounts\":{}}", "config.json: .mounts: expected array, got object", "array got object");
  config_error_is("{\"mounts\":[\"/proc\"]}", "config.json: .mounts[0]: expected object, got string",
                  "array element not an object");
  config_error_is("{\"process\":{\"env\":\"PATH=/bin\"}}", "config.json: .process.env: expected array, got string",
                  "string array got string");
  config_error_is("{\"annotations\":{\"a\":\"x\",\"b\":1}}",
                  "config.json: .annotations[\"b\"]: expected string, got integer", "strmap value");
  config_error_is("{\"annotations\":{\"a\":null}}",
                  "config.json: .annotations[\"a\"]: expected string, got null", "strmap null value");
  config_error_is("{\"annotations\":[]}", "config.json: .annotations: expected object, got array", "strmap got array");
  config_error_is("{\"linux\":{\"resources\":{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":true}}}}}",
                  "config.json: .linux.resources.rdma[\"mlx5_1\"].hcaHandles: expected integer, got boolean",
                  "object map value member");
  config_error_is("{\"linux\":{\"timeOffsets\":{\"a\\\"b\":7}}}",
                  "config.json: .linux.timeOffsets[\"a\\\"b\"]: expected object, got integer",
                  "object map value, key quoted in path");
  config_error_is("{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"a\"]},{\"names\":[\"b\"],\"args\":"
                  "[{\"index\":0},{\"index\":1,\"value\":\"x\"}]}]}}}",
                  "config.json: .linux.seccomp.syscalls[1].args[1].value: expected integer, got string",
                  "deep path with two indexes");
  config_error_is("{\"process\":{\"args\":[null]}}", "config.json: .process.args[0]: expected string, got null",
                  "null inside an array");
}

static void test_range_errors(void)
{
  config_error_is("{\"process\":{\"user\":{\"uid\":4294967296}}}",
                  "config.json: .process.user.uid: expected uint32, got 4294967296", "u32 overflow");
  config_error_is("{\"process\":{\"user\":{\"uid\":-1}}}",
                  "config.json: .process.user.uid: expected uint32, got -1", "u32 negative");
  config_error_is("{\"linux\":{\"resources\":{\"blockIO\":{\"weight\":65536}}}}",
                  "config.json: .linux.resources.blockIO.weight: expected uint16, got 65536", "u16 overflow");
  config_error_is("{\"linux\":{\"resources\":{\"blockIO\":{\"leafWeight\":-1}}}}",
                  "config.json: .linux.resources.blockIO.leafWeight: expected uint16, got -1", "u16 negative");
  config_error_is("{\"process\":{\"oomScoreAdj\":2147483648}}",
                  "config.json: .process.oomScoreAdj: expected int32, got 2147483648", "i32 overflow");
  config_error_is("{\"process\":{\"oomScoreAdj\":-2147483649}}",
                  "config.json: .process.oomScoreAdj: expected int32, got -2147483649", "i32 underflow");
  config_error_is("{\"linux\":{\"resources\":{\"pids\":{\"limit\":9223372036854775808}}}}",
                  "config.json: .linux.resources.pids.limit: expected int64, got 9223372036854775808", "i64 overflow");
  config_error_is("{\"linux\":{\"resources\":{\"pids\":{\"limit\":-9223372036854775809}}}}",
                  "config.json: .linux.resources.pids.limit: expected int64, got -9223372036854775809", "i64 underflow");
  config_error_is("{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_AS\",\"hard\":18446744073709551616}]}}",
                  "config.json: .process.rlimits[0].hard: expected uint64, got 18446744073709551616", "u64 overflow");
  config_error_is("{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_AS\",\"soft\":-1}]}}",
                  "config.json: .process.rlimits[0].soft: expected uint64, got -1", "u64 negative");
  config_error_is("{\"process\":{\"user\":{\"additionalGids\":[4294967296]}}}",
                  "config.json: .process.user.additionalGids[0]: expected uint32, got 4294967296",
                  "u32 array element overflow");
  config_error_is("{\"hooks\":{\"prestart\":[{\"path\":\"/x\",\"timeout\":2147483648}]}}",
                  "config.json: .hooks.prestart[0].timeout: expected int32, got 2147483648", "hook timeout overflow");
  config_error_is("{\"process\":{\"user\":{\"uid\":1.5}}}",
                  "config.json: .process.user.uid: expected integer, got 1.5", "fraction for an integer");
  config_error_is("{\"process\":{\"user\":{\"uid\":1e3}}}",
                  "config.json: .process.user.uid: expected integer, got 1e3", "exponent for an integer");
}

static void test_document_errors(void)
{
  char *err = NULL;
  void *obj = parse(&ocispec_config_type, "{\"a\": [1, 2}", &err);
  ok(obj == NULL, "invalid JSON: rejected");
  ok(err && strncmp(err, "config.json: invalid JSON at byte ", 34) == 0, "invalid JSON: names the document and offset");
  ok(err && strchr(err, '\n') == NULL && err[strlen(err) - 1] != ' ', "invalid JSON: one line (%s)", err ? err : "");
  free(err);

  err = NULL;
  obj = parse(&ocispec_config_type, "{\"a\":", &err);
  is_str(err, "config.json: invalid JSON at byte 5: parse error: premature EOF", "truncated JSON: error at the end");
  ok(obj == NULL, "truncated JSON: rejected (%s)",
     err ? err : "");
  free(err);

  err = NULL;
  obj = parse(&ocispec_config_type, "", &err);
  ok(obj == NULL && err && strncmp(err, "config.json: invalid JSON", 25) == 0, "empty input rejected (%s)",
     err ? err : "");
  free(err);

  err = NULL;
  obj = parse(&ocispec_config_type, "{} {}", &err);
  ok(obj == NULL && err && strstr(err, "invalid JSON"), "trailing garbage rejected (%s)", err ? err : "");
  free(err);

  err = NULL;
  obj = ocispec_parse(&ocispec_config_type, "{\"hostname\":\"a\0b\"}", 17, "config.json", &err);
  ok(obj == NULL && err && strstr(err, "invalid JSON"), "NUL byte inside a string rejected (%s)", err ? err : "");
  free(err);

  err = NULL;
  obj = ocispec_parse(&ocispec_config_type, "{}\0{}", 5, "config.json", &err);
  ok(obj == NULL && err && strstr(err, "invalid JSON"), "NUL byte after the object rejected (%s)", err ? err : "");
  free(err);

  err = NULL;
  obj = parse(&ocispec_config_type, "{\"hostname\":\"\xff\"}", &err);
  ok(obj == NULL && err && strstr(err, "invalid JSON"), "invalid UTF-8 rejected (%s)", err ? err : "");
  free(err);

  error_is(&ocispec_config_type, "[]", "config.json: expected a JSON object at top level, got array", "top level array");
  error_is(&ocispec_config_type, "\"x\"", "config.json: expected a JSON object at top level, got string",
           "top level string");
  error_is(&ocispec_state_type, "null", "config.json: expected a JSON object at top level, got null", "top level null");
  error_is(&ocispec_config_type, "42", "config.json: expected a JSON object at top level, got integer",
           "top level number");

  err = NULL;
  obj = ocispec_parse_file(&ocispec_config_type, "/nonexistent/dir/config.json", &err);
  ok(obj == NULL, "missing file: rejected");
  is_str(err, "/nonexistent/dir/config.json: No such file or directory", "missing file: message names the file");
  free(err);

  err = NULL;
  obj = ocispec_parse_file(&ocispec_config_type, OCISPEC_TEST_DATA, &err);
  ok(obj == NULL && err && strstr(err, "Is a directory"), "directory instead of file (%s)", err ? err : "");
  free(err);

  /* A malformed file names the file, not a generic document name. */
  char tmp[] = "/tmp/test-ocispec.XXXXXX";
  int fd = mkstemp(tmp);
  ok(fd >= 0 && write(fd, "{\"process\":{\"cwd\":1}}", 21) == 21, "temp file written");
  close(fd);
  err = NULL;
  obj = ocispec_parse_file(&ocispec_config_type, tmp, &err);
  cleanup_free char *want = NULL;
  if (asprintf(&want, "%s: .process.cwd: expected string, got integer", tmp) < 0)
    abort();
  is_str(err, want, "file error names the file and the path");
  free(err);
  unlink(tmp);

  ocispec_free(&ocispec_config_type, NULL);
  ok(1, "ocispec_free(NULL) is a no-op");
  err = NULL;
  ok(parse(&ocispec_config_type, "{\"process\":{\"cwd\":1}}", NULL) == NULL, "a NULL err pointer is allowed");
}

/* ---- generation ---------------------------------------------------------------- */

static void test_generate(void)
{
  /* Built by hand, as `spec` does. */
  char *args[] = { "sh", NULL };
  ocispec_user user = { .uid = 0, .has_uid = true, .gid = 0, .has_gid = true };
  ocispec_process proc = { .terminal = true, .has_terminal = true, .user = &user, .args = args, .args_len = 1,
                           .cwd = "/" };
  ocispec_root root = { .path = "rootfs", .readonly = true, .has_readonly = true };
  ocispec_namespace ns[] = { { .type = "pid" }, { .type = "network", .path = "/run/netns/x" } };
  ocispec_linux lin = { .namespaces = ns, .namespaces_len = 2 };
  ocispec_config cfg = { .oci_version = OCISPEC_VERSION, .process = &proc, .root = &root, .linux = &lin };

  cleanup_free char *compact = generate(&ocispec_config_type, &cfg, false);
  is_str(compact,
         "{\"ociVersion\":\"1.3.0\",\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
         "\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"linux\":{\"namespaces\":"
         "[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"}]}}",
         "compact output: exact text, table order, absent omitted");
  ok(compact && !strchr(compact, '\n'), "compact output has no newline");

  cleanup_free char *pretty = generate(&ocispec_config_type, &cfg, true);
  ok(pretty && strstr(pretty, "{\n\t\"ociVersion\": \"1.3.0\",\n\t\"process\": {\n\t\t\"terminal\": true"),
     "pretty output is tab-indented");
  ok(pretty && pretty[strlen(pretty) - 1] == '\n', "pretty output ends with a newline");

  char *err = NULL;
  ocispec_config *back = ocispec_parse(&ocispec_config_type, pretty, strlen(pretty), "gen", &err);
  cleanup_free char *again = back ? generate(&ocispec_config_type, back, false) : NULL;
  is_str(again, compact, "pretty output parses back to the same document");
  ocispec_config_free(back);
  free(err);

  ocispec_config empty = { 0 };
  cleanup_free char *none = generate(&ocispec_config_type, &empty, false);
  is_str(none, "{}", "empty object");

  /* Malformed structs are reported, not crashed on. */
  char *bad_args[] = { "sh", NULL, NULL };
  proc.args = bad_args;
  proc.args_len = 2;
  err = NULL;
  ok(ocispec_generate(&ocispec_config_type, &cfg, false, &err) == NULL, "NULL array element: rejected");
  is_str(err, "config: .process.args[1]: NULL string", "NULL array element: message");
  free(err);
  proc.args = NULL;
  err = NULL;
  ok(ocispec_generate(&ocispec_config_type, &cfg, false, &err) == NULL, "NULL array with a length: rejected");
  is_str(err, "config: .process.args: NULL array with 2 elements", "NULL array with a length: message");
  free(err);
  err = NULL;
  ok(ocispec_generate(&ocispec_state_type, NULL, false, &err) == NULL && err, "NULL object: rejected");
  free(err);
}

/* ---- whole documents ----------------------------------------------------------- */

/* Record every field of type t (and below) that holds a value in obj. */
static const field_desc *seen[1024];
static size_t n_seen;

static void mark(const field_desc *f)
{
  for (size_t i = 0; i < n_seen; i++)
    if (seen[i] == f)
      return;
  if (n_seen < sizeof seen / sizeof seen[0])
    seen[n_seen++] = f;
}

static bool was_seen(const field_desc *f)
{
  for (size_t i = 0; i < n_seen; i++)
    if (seen[i] == f)
      return true;
  return false;
}

#define AT(base, off, type) ((type *) ((char *) (base) + (off)))

static void mark_present(const ocispec_type *t, const void *base)
{
  for (size_t i = 0; i < t->n_fields; i++) {
    const field_desc *f = &t->fields[i];
    switch (f->kind) {
    case KIND_STRING:
      if (*AT(base, f->offset, char *))
        mark(f);
      break;
    case KIND_BOOL: case KIND_I32: case KIND_U32: case KIND_U16: case KIND_I64: case KIND_U64:
      if (*AT(base, f->companion, bool))
        mark(f);
      break;
    case KIND_STRING_ARRAY: case KIND_U32_ARRAY:
      if (*AT(base, f->offset, void *))
        mark(f);
      break;
    case KIND_OBJECT: {
      void *obj = *AT(base, f->offset, void *);
      if (obj) {
        mark(f);
        mark_present(f->sub, obj);
      }
      break;
    }
    case KIND_OBJECT_ARRAY: {
      char *arr = *AT(base, f->offset, char *);
      if (arr)
        mark(f);
      for (size_t j = 0; arr && j < *AT(base, f->companion, size_t); j++)
        mark_present(f->sub, arr + j * f->sub->size);
      break;
    }
    case KIND_STRMAP:
      if (AT(base, f->offset, ocispec_strmap)->keys)
        mark(f);
      break;
    case KIND_OBJECT_MAP: {
      ocispec_strmap *m = AT(base, f->offset, ocispec_strmap); /* same layout */
      if (m->keys)
        mark(f);
      for (size_t j = 0; m->keys && j < m->len; j++)
        mark_present(f->sub, (char *) m->values + j * f->sub->size);
      break;
    }
    }
  }
}

/* Names of fields of t (and below) that were never seen; "" when none. */
static void missing_fields(const ocispec_type *t, const char *prefix, char *out, size_t size)
{
  for (size_t i = 0; i < t->n_fields; i++) {
    const field_desc *f = &t->fields[i];
    if (!was_seen(f)) {
      size_t used = strlen(out);
      snprintf(out + used, size - used, " %s.%s", prefix, f->json_name);
    }
    if (f->sub) {
      char sub_prefix[256];
      snprintf(sub_prefix, sizeof sub_prefix, "%s.%s", prefix, f->json_name);
      missing_fields(f->sub, sub_prefix, out, size);
    }
  }
}

/* parse fixture NAME -> generate compact == NAME.compact fixture; generate
 * pretty -> parse -> generate == the same text. */
static void round_trip(const ocispec_type *t, const char *name, const char *compact_name, void **parsed)
{
  char *err = NULL;
  cleanup_free char *path = fixture_path(name);
  void *obj = ocispec_parse_file(t, path, &err);
  ok(obj != NULL, "%s: parsed%s%s", name, err ? ": " : "", err ? err : "");
  free(err);
  *parsed = obj;
  if (obj == NULL)
    return;
  cleanup_free char *want = read_fixture(compact_name);
  cleanup_free char *compact = generate(t, obj, false);
  ok(compact && strcmp(compact, want) == 0, "%s: compact output equals the input, byte for byte", name);
  cleanup_free char *pretty = generate(t, obj, true);
  err = NULL;
  void *again = pretty ? ocispec_parse(t, pretty, strlen(pretty), name, &err) : NULL;
  cleanup_free char *compact2 = again ? generate(t, again, false) : NULL;
  is_str(compact2, want, "%s: parse -> generate -> parse -> generate is stable", name);
  free(err);
  ocispec_free(t, again);
}

static void test_full_config(void)
{
  ocispec_config *c;
  round_trip(&ocispec_config_type, "full-config.json", "full-config.compact.json", (void **) &c);
  if (c == NULL)
    return;

  n_seen = 0;
  mark_present(&ocispec_config_type, c);
  char missing[4096] = "";
  missing_fields(&ocispec_config_type, "", missing, sizeof missing);
  is_str(missing, "", "full-config.json sets every field of every table");

  /* Spot checks on values whose names do not follow the camelCase rule. */
  is_int(c->linux->resources->network->class_id, 1048577, "classID");
  is_str(c->linux->intel_rdt->clos_id, "guaranteed_group", "closID");
  ok(c->linux->intel_rdt->enable_cmt && c->linux->intel_rdt->has_enable_mbm && !c->linux->intel_rdt->enable_mbm,
     "enableCMT / enableMBM");
  ok(c->linux->resources->memory->kernel_tcp == INT64_MIN, "kernelTCP");
  ok(c->linux->resources->memory->has_disable_oom_killer, "disableOOMKiller");
  is_int(c->linux->resources->block_io->throttle_read_iops_device[0].rate, 300, "throttleReadIOPSDevice");
  ok(c->linux->seccomp->syscalls[1].args[0].value == UINT64_MAX && c->linux->seccomp->syscalls[1].args[0].value_two == 1,
     "seccomp arg value / valueTwo");
  is_int(c->linux->seccomp->syscalls[0].errno_ret, 38, "errnoRet");
  is_int(c->linux->seccomp->default_errno_ret, 1, "defaultErrnoRet");
  is_str(c->linux->seccomp->listener_path, "/run/seccomp-agent.socket", "listenerPath");
  ok(c->mounts[2].uid_mappings[0].host_id == 100000 && c->mounts[2].gid_mappings[0].container_id == 0,
     "mount uidMappings/gidMappings hostID/containerID");
  is_str(c->linux->resources->hugepage_limits[1].page_size, "64KB", "hugepageLimits pageSize");
  is_str(c->linux->net_devices.keys[1], "ens4", "netDevices key with an empty object");
  ok(c->linux->net_devices.values[1].name == NULL, "netDevices empty object");
  ok(c->linux->time_offsets.values[0].nanosecs == UINT32_MAX, "timeOffsets nanosecs");
  is_str(c->linux->memory_policy->mode, "MPOL_INTERLEAVE", "memoryPolicy");
  is_str(c->process->exec_cpu_affinity->final, "3", "execCPUAffinity");
  is_str(c->process->io_priority->class, "IOPRIO_CLASS_RT", "ioPriority");
  is_int(c->process->console_size->width, 80, "consoleSize");
  is_int(c->hooks->create_runtime_len, 1, "createRuntime");
  is_int(c->hooks->poststop_len, 2, "poststop");
  ok(c->process->capabilities->inheritable && c->process->capabilities->inheritable_len == 0, "empty inheritable kept");
  is_str(c->linux->devices[0].path, "/dev/fuse", "linux.devices");
  is_int(c->linux->devices[0].file_mode, 438, "fileMode");
  ocispec_config_free(c);
}

static void test_state_and_features(void)
{
  ocispec_state *s;
  round_trip(&ocispec_state_type, "state.json", "state.compact.json", (void **) &s);
  if (s) {
    is_str(s->status, "running", "state: status");
    ok(s->has_pid && s->pid == 4422, "state: pid");
    is_str(ocispec_strmap_get(&s->annotations, "myKey"), "myValue", "state: annotations");
    ocispec_state_free(s);
  }

  /* What `state` writes: a hand-built state without a pid. */
  ocispec_state st = { .oci_version = OCISPEC_VERSION, .id = "c1", .status = "created", .bundle = "/b" };
  cleanup_free char *out = generate(&ocispec_state_type, &st, false);
  is_str(out, "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"created\",\"bundle\":\"/b\"}",
         "state: generated by hand");

  ocispec_features *f;
  round_trip(&ocispec_features_type, "features.json", "features.compact.json", (void **) &f);
  if (f) {
    n_seen = 0;
    mark_present(&ocispec_features_type, f);
    char missing[2048] = "";
    missing_fields(&ocispec_features_type, "", missing, sizeof missing);
    is_str(missing, "", "features.json sets every field of every table");
    ok(f->linux->intel_rdt->schemata && f->linux->intel_rdt->has_monitoring, "features: intelRdt schemata/monitoring");
    ok(f->linux->mount_extensions->idmap->enabled, "features: mountExtensions.idmap");
    ok(f->linux->cgroup->has_systemd_user && !f->linux->cgroup->systemd_user, "features: cgroup.systemdUser");
    is_str(f->potentially_unsafe_config_annotations[1], "org.systemd.property.",
           "features: potentiallyUnsafeConfigAnnotations");
    ocispec_features_free(f);
  }
}

static void test_process_and_resources(void)
{
  char *err = NULL;
  cleanup_free char *ppath = fixture_path("process.json");
  ocispec_process *p = ocispec_parse_file(&ocispec_process_type, ppath, &err);
  ok(p != NULL, "process.json: parsed%s%s", err ? ": " : "", err ? err : "");
  free(err);
  if (p) {
    is_int(p->args_len, 3, "process.json: args");
    is_str(p->args[2], "ps", "process.json: args element");
    ok(p->has_terminal && !p->terminal, "process.json: terminal");
    is_int(p->user->additional_gids[1], 2, "process.json: additionalGids");
    is_str(p->capabilities->bounding[0], "CAP_KILL", "process.json: capabilities");
    ok(p->capabilities->ambient == NULL, "process.json: absent capability set");
    ok(p->rlimits_len == 1 && p->rlimits[0].soft == 1024, "process.json: rlimits");
    ok(p->no_new_privileges, "process.json: noNewPrivileges");
    ocispec_process_free(p);
  }
  error_is(&ocispec_process_type, "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":\"1024\"}]}",
           "config.json: .rlimits[0].hard: expected integer, got string", "process.json: error path");

  err = NULL;
  cleanup_free char *rpath = fixture_path("resources.json");
  ocispec_resources *r = ocispec_parse_file(&ocispec_resources_type, rpath, &err);
  ok(r != NULL, "resources.json: parsed%s%s", err ? ": " : "", err ? err : "");
  free(err);
  if (r) {
    ok(r->memory->limit == 104857600 && r->memory->swap == 209715200 && !r->memory->has_reservation,
       "resources.json: memory");
    ok(r->cpu->shares == 512 && r->cpu->quota == 50000 && r->cpu->period == 100000, "resources.json: cpu");
    is_str(r->cpu->cpus, "0", "resources.json: cpus");
    ok(r->pids->has_limit && r->pids->limit == 100, "resources.json: pids");
    ok(r->block_io->weight == 100, "resources.json: blockIO");
    is_str(ocispec_strmap_get(&r->unified, "memory.high"), "max", "resources.json: unified");
    ocispec_resources_free(r);
  }
  error_is(&ocispec_resources_type, "{\"memory\":{\"limit\":-1},\"cpu\":{\"shares\":-2}}",
           "config.json: .cpu.shares: expected uint64, got -2", "resources: error path");
}

int main(void)
{
  test_strings_and_bools();
  test_integers();
  test_arrays();
  test_maps();
  test_null_and_unknown();
  test_growth_and_skipping();
  test_type_errors();
  test_range_errors();
  test_document_errors();
  test_generate();
  test_full_config();
  test_state_and_features();
  test_process_and_resources();
  return done_testing();
}

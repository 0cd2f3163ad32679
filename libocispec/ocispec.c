/* ocispec.c - table-driven JSON decoding, encoding and freeing of the
 * runtime-spec documents declared in ocispec.h.
 *
 * Every struct has one descriptor table (ocispec_tables.c) listing its JSON
 * members: name, kind, offset of the value, offset of the has_/_len
 * companion and, for nested objects, the descriptor of the element type.
 * One decoder, one encoder and one free walk those tables; nothing here
 * knows about any particular field. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ocispec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* OCISPEC_MAP(T) and ocispec_strmap share one layout; the walkers use this view. */
typedef struct {
  char **keys;
  void *values;
  size_t len;
} generic_map;

_Static_assert(offsetof(generic_map, keys) == offsetof(ocispec_strmap, keys), "map layout");
_Static_assert(offsetof(generic_map, values) == offsetof(ocispec_strmap, values), "map layout");
_Static_assert(offsetof(generic_map, len) == offsetof(ocispec_strmap, len), "map layout");
_Static_assert(sizeof(generic_map) == sizeof(OCISPEC_MAP(ocispec_rdma)), "map layout");

#define AT(base, off, type) ((type *) ((char *) (base) + (off)))

static inline void free_charp(char **p) { free(*p); }
#define cleanup_free __attribute__((cleanup(free_charp)))

/* ---- JSON paths for error messages --------------------------------------
 * A path is a chain of stack frames (innermost first) so that building it
 * costs nothing unless an error is actually reported. */

typedef enum { SEG_ROOT, SEG_FIELD, SEG_INDEX, SEG_MAP_KEY } seg_kind;

typedef struct path_seg {
  const struct path_seg *up;
  seg_kind kind;
  const char *key;
  size_t index;
} path_seg;

static void print_path(FILE *out, const path_seg *p)
{
  if (p == NULL || p->kind == SEG_ROOT)
    return;
  print_path(out, p->up);
  switch (p->kind) {
  case SEG_FIELD: fprintf(out, ".%s", p->key); break;
  case SEG_INDEX: fprintf(out, "[%zu]", p->index); break;
  case SEG_MAP_KEY:
    fputs("[\"", out);
    for (const char *c = p->key; *c; c++) {
      if (*c == '"' || *c == '\\')
        fputc('\\', out);
      fputc(*c, out);
    }
    fputs("\"]", out);
    break;
  case SEG_ROOT: break;
  }
}

/* Set *err (if wanted and not yet set) to "DOC: PATH: message". */
static int fail(char **err, const char *doc, const path_seg *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char **err, const char *doc, const path_seg *at, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  char *msg = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&msg, &size);
  if (out == NULL)
    return -1;
  fprintf(out, "%s: ", doc);
  if (at != NULL && at->kind != SEG_ROOT) {
    print_path(out, at);
    fputs(": ", out);
  }
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  if (fclose(out) != 0) {
    free(msg);
    return -1;
  }
  *err = msg;
  return -1;
}

/* ---- free ---------------------------------------------------------------- */

static void free_fields(const ocispec_type *t, void *base);

static void free_field(const field_desc *f, void *base)
{
  switch (f->kind) {
  case KIND_STRING: {
    char **s = AT(base, f->offset, char *);
    free(*s);
    *s = NULL;
    break;
  }
  case KIND_BOOL: case KIND_I32: case KIND_U32: case KIND_U16: case KIND_I64: case KIND_U64:
    *AT(base, f->companion, bool) = false;
    break;
  case KIND_STRING_ARRAY: {
    char ***arr = AT(base, f->offset, char **);
    size_t *len = AT(base, f->companion, size_t);
    for (size_t i = 0; *arr && i < *len; i++)
      free((*arr)[i]);
    free(*arr);
    *arr = NULL;
    *len = 0;
    break;
  }
  case KIND_U32_ARRAY:
    free(*AT(base, f->offset, void *));
    *AT(base, f->offset, void *) = NULL;
    *AT(base, f->companion, size_t) = 0;
    break;
  case KIND_OBJECT: {
    void **obj = AT(base, f->offset, void *);
    if (*obj)
      free_fields(f->sub, *obj);
    free(*obj);
    *obj = NULL;
    break;
  }
  case KIND_OBJECT_ARRAY: {
    char **arr = AT(base, f->offset, char *);
    size_t *len = AT(base, f->companion, size_t);
    for (size_t i = 0; *arr && i < *len; i++)
      free_fields(f->sub, *arr + i * f->sub->size);
    free(*arr);
    *arr = NULL;
    *len = 0;
    break;
  }
  case KIND_STRMAP: case KIND_OBJECT_MAP: {
    generic_map *m = AT(base, f->offset, generic_map);
    for (size_t i = 0; i < m->len; i++) {
      if (m->keys)
        free(m->keys[i]);
      if (m->values == NULL)
        continue;
      if (f->kind == KIND_STRMAP)
        free(((char **) m->values)[i]);
      else
        free_fields(f->sub, (char *) m->values + i * f->sub->size);
    }
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->len = 0;
    break;
  }
  }
}

static void free_fields(const ocispec_type *t, void *base)
{
  for (size_t i = 0; i < t->n_fields; i++)
    free_field(&t->fields[i], base);
}

void ocispec_free(const ocispec_type *t, void *obj)
{
  if (obj == NULL)
    return;
  free_fields(t, obj);
  free(obj);
}

/* ---- decode -------------------------------------------------------------- */

typedef struct {
  const char *doc;
  char **err;
} decoder;

static bool number_is_integer(const char *raw) { return strpbrk(raw, ".eE") == NULL; }

static const char *json_type_name(yajl_val v)
{
  switch (v->type) {
  case yajl_t_string: return "string";
  case yajl_t_number: return number_is_integer(v->u.number.r) ? "integer" : "number";
  case yajl_t_object: return "object";
  case yajl_t_array: return "array";
  case yajl_t_true: case yajl_t_false: return "boolean";
  case yajl_t_null: return "null";
  default: return "unknown";
  }
}

static int type_error(decoder *d, const path_seg *at, const char *expected, yajl_val got)
{
  return fail(d->err, d->doc, at, "expected %s, got %s", expected, json_type_name(got));
}

static int out_of_memory(decoder *d) { return fail(d->err, d->doc, NULL, "out of memory"); }

static const char *int_kind_name(field_kind k)
{
  switch (k) {
  case KIND_I32: return "int32";
  case KIND_U32: return "uint32";
  case KIND_U16: return "uint16";
  case KIND_I64: return "int64";
  default: return "uint64";
  }
}

/* Decode an integer from the number's raw text (yajl keeps it), so that
 * uint64 values above INT64_MAX stay exact and every range is checked. */
static int decode_integer(decoder *d, const path_seg *at, yajl_val v, field_kind kind, void *dst)
{
  if (v->type != yajl_t_number)
    return type_error(d, at, "integer", v);
  const char *raw = v->u.number.r;
  if (!number_is_integer(raw))
    return fail(d->err, d->doc, at, "expected integer, got %s", raw);

  char *end;
  errno = 0;
  if (kind == KIND_I32 || kind == KIND_I64) {
    long long n = strtoll(raw, &end, 10);
    if (errno != 0 || *end != '\0' || (kind == KIND_I32 && (n < INT32_MIN || n > INT32_MAX)))
      return fail(d->err, d->doc, at, "expected %s, got %s", int_kind_name(kind), raw);
    if (kind == KIND_I32)
      *(int32_t *) dst = (int32_t) n;
    else
      *(int64_t *) dst = n;
    return 0;
  }

  /* strtoull would silently negate "-1"; only "-0" is a non-negative value. */
  if (raw[0] == '-' && strspn(raw + 1, "0") != strlen(raw + 1))
    return fail(d->err, d->doc, at, "expected %s, got %s", int_kind_name(kind), raw);
  unsigned long long n = strtoull(raw[0] == '-' ? raw + 1 : raw, &end, 10);
  uint64_t max = kind == KIND_U16 ? UINT16_MAX : kind == KIND_U32 ? UINT32_MAX : UINT64_MAX;
  if (errno != 0 || *end != '\0' || n > max)
    return fail(d->err, d->doc, at, "expected %s, got %s", int_kind_name(kind), raw);
  if (kind == KIND_U16)
    *(uint16_t *) dst = (uint16_t) n;
  else if (kind == KIND_U32)
    *(uint32_t *) dst = (uint32_t) n;
  else
    *(uint64_t *) dst = n;
  return 0;
}

/* Take the string out of the tree instead of copying it: yajl_tree
 * allocates it with malloc and frees it with free, and skips NULL. */
static char *steal_string(yajl_val v)
{
  char *s = v->u.string;
  v->u.string = NULL;
  return s;
}

static int decode_object(decoder *d, const ocispec_type *t, void *base, yajl_val obj, const path_seg *at);

static int decode_object_value(decoder *d, const ocispec_type *t, void *base, yajl_val v, const path_seg *at)
{
  if (v->type != yajl_t_object)
    return type_error(d, at, "object", v);
  return decode_object(d, t, base, v, at);
}

/* Elements are decoded straight into the array; *len is set before the
 * first element so that a failure half-way frees what was filled. */
static int decode_array(decoder *d, const field_desc *f, void *base, yajl_val v, const path_seg *at)
{
  if (v->type != yajl_t_array)
    return type_error(d, at, "array", v);
  size_t n = v->u.array.len;
  size_t elem = f->kind == KIND_STRING_ARRAY ? sizeof(char *)
              : f->kind == KIND_U32_ARRAY  ? sizeof(uint32_t)
              : f->sub->size;
  /* One spare slot: string arrays stay NULL-terminated (ready for execve),
   * and an empty array is a non-NULL pointer, distinct from absent. */
  char *arr = calloc(n + 1, elem);
  if (arr == NULL)
    return out_of_memory(d);
  *AT(base, f->offset, char *) = arr;
  *AT(base, f->companion, size_t) = n;

  for (size_t i = 0; i < n; i++) {
    yajl_val item = v->u.array.values[i];
    path_seg here = { at, SEG_INDEX, NULL, i };
    switch (f->kind) {
    case KIND_STRING_ARRAY:
      if (item->type != yajl_t_string)
        return type_error(d, &here, "string", item);
      ((char **) arr)[i] = steal_string(item);
      break;
    case KIND_U32_ARRAY:
      if (decode_integer(d, &here, item, KIND_U32, arr + i * elem) < 0)
        return -1;
      break;
    default:
      if (decode_object_value(d, f->sub, arr + i * elem, item, &here) < 0)
        return -1;
    }
  }
  return 0;
}

static int decode_map(decoder *d, const field_desc *f, void *base, yajl_val v, const path_seg *at)
{
  if (v->type != yajl_t_object)
    return type_error(d, at, "object", v);
  size_t n = v->u.object.len;
  size_t elem = f->kind == KIND_STRMAP ? sizeof(char *) : f->sub->size;
  generic_map *m = AT(base, f->offset, generic_map);
  m->keys = calloc(n + 1, sizeof(char *));
  m->values = calloc(n + 1, elem);
  if (m->keys == NULL || m->values == NULL)
    return out_of_memory(d);

  for (size_t i = 0; i < n; i++) {
    const char *key = v->u.object.keys[i];
    yajl_val item = v->u.object.values[i];
    path_seg here = { at, SEG_MAP_KEY, key, 0 };

    /* A repeated key replaces the earlier value, as in most JSON readers. */
    size_t slot = 0;
    while (slot < m->len && strcmp(m->keys[slot], key) != 0)
      slot++;
    void *dst = (char *) m->values + slot * elem;
    if (slot < m->len) {
      if (f->kind == KIND_STRMAP)
        free(*(char **) dst);
      else
        free_fields(f->sub, dst);
      memset(dst, 0, elem);
    } else {
      m->keys[slot] = (char *) key;
      v->u.object.keys[i] = NULL; /* now ours */
      m->len++;
    }

    if (f->kind == KIND_STRMAP) {
      if (item->type != yajl_t_string)
        return type_error(d, &here, "string", item);
      *(char **) dst = steal_string(item);
    } else if (decode_object_value(d, f->sub, dst, item, &here) < 0) {
      return -1;
    }
  }
  return 0;
}

static int decode_field(decoder *d, const field_desc *f, void *base, yajl_val v, const path_seg *at)
{
  /* A repeated member replaces the earlier one; null means absent. */
  free_field(f, base);
  if (v->type == yajl_t_null)
    return 0;

  switch (f->kind) {
  case KIND_STRING:
    if (v->type != yajl_t_string)
      return type_error(d, at, "string", v);
    *AT(base, f->offset, char *) = steal_string(v);
    return 0;
  case KIND_BOOL:
    if (v->type != yajl_t_true && v->type != yajl_t_false)
      return type_error(d, at, "boolean", v);
    *AT(base, f->offset, bool) = v->type == yajl_t_true;
    *AT(base, f->companion, bool) = true;
    return 0;
  case KIND_I32: case KIND_U32: case KIND_U16: case KIND_I64: case KIND_U64:
    if (decode_integer(d, at, v, f->kind, AT(base, f->offset, void)) < 0)
      return -1;
    *AT(base, f->companion, bool) = true;
    return 0;
  case KIND_STRING_ARRAY: case KIND_U32_ARRAY: case KIND_OBJECT_ARRAY:
    return decode_array(d, f, base, v, at);
  case KIND_OBJECT: {
    if (v->type != yajl_t_object)
      return type_error(d, at, "object", v);
    void *obj = calloc(1, f->sub->size);
    if (obj == NULL)
      return out_of_memory(d);
    *AT(base, f->offset, void *) = obj;
    return decode_object(d, f->sub, obj, v, at);
  }
  case KIND_STRMAP: case KIND_OBJECT_MAP:
    return decode_map(d, f, base, v, at);
  }
  return 0;
}

static const field_desc *find_field(const ocispec_type *t, const char *name)
{
  for (size_t i = 0; i < t->n_fields; i++)
    if (strcmp(t->fields[i].json_name, name) == 0)
      return &t->fields[i];
  return NULL;
}

static int decode_object(decoder *d, const ocispec_type *t, void *base, yajl_val obj, const path_seg *at)
{
  for (size_t i = 0; i < obj->u.object.len; i++) {
    const field_desc *f = find_field(t, obj->u.object.keys[i]);
    if (f == NULL)
      continue; /* unknown properties are ignored, as the spec requires */
    path_seg here = { at, SEG_FIELD, f->json_name, 0 };
    if (decode_field(d, f, base, obj->u.object.values[i], &here) < 0)
      return -1;
  }
  return 0;
}

/* yajl's message spans several lines (text excerpt and a caret); keep the
 * first, which says what is wrong. */
static void first_line(char *s)
{
  s[strcspn(s, "\n")] = '\0';
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    s[--n] = '\0';
}

/* Decode NUL-terminated text. */
static void *parse_text(const ocispec_type *t, const char *text, const char *doc, char **err)
{
  char errbuf[1024];
  yajl_val tree = yajl_tree_parse(text, errbuf, sizeof errbuf);
  if (tree == NULL) {
    first_line(errbuf);
    fail(err, doc, NULL, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    return NULL;
  }
  decoder d = { doc, err };
  path_seg root = { NULL, SEG_ROOT, NULL, 0 };
  void *obj = NULL;
  if (tree->type != yajl_t_object) {
    fail(err, doc, NULL, "expected a JSON object at top level, got %s", json_type_name(tree));
  } else if ((obj = calloc(1, t->size)) == NULL) {
    out_of_memory(&d);
  } else if (decode_object(&d, t, obj, tree, &root) < 0) {
    ocispec_free(t, obj);
    obj = NULL;
  }
  yajl_tree_free(tree);
  return obj;
}

void *ocispec_parse(const ocispec_type *t, const char *json, size_t len, const char *docname, char **err)
{
  const char *doc = docname ? docname : t->name;
  if (err)
    *err = NULL;
  const char *nul = memchr(json, '\0', len);
  if (nul != NULL) {
    fail(err, doc, NULL, "invalid JSON: NUL byte at offset %zu", (size_t) (nul - json));
    return NULL;
  }
  cleanup_free char *text = strndup(json, len);
  if (text == NULL) {
    fail(err, doc, NULL, "out of memory");
    return NULL;
  }
  return parse_text(t, text, doc, err);
}

/* Read the whole file with a terminating NUL, so yajl can parse it in place. */
static char *read_file(const char *path, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t) st.st_size + 1 : 4096;
  char *buf = malloc(cap);
  size_t n = 0;
  while (buf != NULL) {
    if (n + 1 >= cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        errno = ENOMEM;
        break;
      }
      buf = bigger;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int saved = errno;
      free(buf);
      buf = NULL;
      errno = saved;
      break;
    }
    if (r == 0) {
      buf[n] = '\0';
      *len = n;
      break;
    }
    n += (size_t) r;
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return buf;
}

void *ocispec_parse_file(const ocispec_type *t, const char *path, char **err)
{
  if (err)
    *err = NULL;
  size_t len = 0;
  cleanup_free char *text = read_file(path, &len);
  if (text == NULL) {
    fail(err, path, NULL, "%s", strerror(errno));
    return NULL;
  }
  if (strlen(text) != len) {
    fail(err, path, NULL, "invalid JSON: NUL byte at offset %zu", strlen(text));
    return NULL;
  }
  return parse_text(t, text, path, err);
}

/* ---- encode -------------------------------------------------------------- */

typedef struct {
  yajl_gen g;
  const char *doc;
  char **err;
} encoder;

static int gen_check(encoder *e, const path_seg *at, yajl_gen_status st)
{
  if (st == yajl_gen_status_ok)
    return 0;
  return fail(e->err, e->doc, at, "cannot encode JSON (yajl_gen status %d)", (int) st);
}

static int gen_string(encoder *e, const path_seg *at, const char *s)
{
  if (s == NULL)
    return fail(e->err, e->doc, at, "NULL string");
  return gen_check(e, at, yajl_gen_string(e->g, (const unsigned char *) s, strlen(s)));
}

/* Numbers go out as text so that 64-bit values are exact. */
static int gen_integer(encoder *e, const path_seg *at, field_kind kind, const void *src)
{
  char buf[32];
  int n;
  switch (kind) {
  case KIND_I32: n = snprintf(buf, sizeof buf, "%" PRId32, *(const int32_t *) src); break;
  case KIND_U32: n = snprintf(buf, sizeof buf, "%" PRIu32, *(const uint32_t *) src); break;
  case KIND_U16: n = snprintf(buf, sizeof buf, "%" PRIu16, *(const uint16_t *) src); break;
  case KIND_I64: n = snprintf(buf, sizeof buf, "%" PRId64, *(const int64_t *) src); break;
  default:       n = snprintf(buf, sizeof buf, "%" PRIu64, *(const uint64_t *) src); break;
  }
  return gen_check(e, at, yajl_gen_number(e->g, buf, (size_t) n));
}

static int gen_object(encoder *e, const ocispec_type *t, const void *base, const path_seg *at);

/* Whether a field holds a value, i.e. is emitted at all. */
static bool field_present(const field_desc *f, const void *base)
{
  switch (f->kind) {
  case KIND_STRING: case KIND_OBJECT:
    return *AT(base, f->offset, void *) != NULL;
  case KIND_BOOL: case KIND_I32: case KIND_U32: case KIND_U16: case KIND_I64: case KIND_U64:
    return *AT(base, f->companion, bool);
  case KIND_STRING_ARRAY: case KIND_U32_ARRAY: case KIND_OBJECT_ARRAY:
    return *AT(base, f->offset, void *) != NULL || *AT(base, f->companion, size_t) > 0;
  case KIND_STRMAP: case KIND_OBJECT_MAP: {
    const generic_map *m = AT(base, f->offset, generic_map);
    return m->keys != NULL || m->len > 0;
  }
  }
  return false;
}

static int gen_array(encoder *e, const field_desc *f, const void *base, const path_seg *at)
{
  const char *arr = *AT(base, f->offset, const char *);
  size_t n = *AT(base, f->companion, size_t);
  if (arr == NULL && n > 0)
    return fail(e->err, e->doc, at, "NULL array with %zu elements", n);
  if (gen_check(e, at, yajl_gen_array_open(e->g)) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    path_seg here = { at, SEG_INDEX, NULL, i };
    int r;
    if (f->kind == KIND_STRING_ARRAY)
      r = gen_string(e, &here, ((char *const *) arr)[i]);
    else if (f->kind == KIND_U32_ARRAY)
      r = gen_integer(e, &here, KIND_U32, arr + i * sizeof(uint32_t));
    else
      r = gen_object(e, f->sub, arr + i * f->sub->size, &here);
    if (r < 0)
      return -1;
  }
  return gen_check(e, at, yajl_gen_array_close(e->g));
}

static int gen_map(encoder *e, const field_desc *f, const void *base, const path_seg *at)
{
  const generic_map *m = AT(base, f->offset, generic_map);
  if (m->len > 0 && (m->keys == NULL || m->values == NULL))
    return fail(e->err, e->doc, at, "NULL map with %zu entries", m->len);
  if (gen_check(e, at, yajl_gen_map_open(e->g)) < 0)
    return -1;
  for (size_t i = 0; i < m->len; i++) {
    path_seg here = { at, SEG_MAP_KEY, m->keys[i] ? m->keys[i] : "(null)", 0 };
    if (m->keys[i] == NULL)
      return fail(e->err, e->doc, &here, "NULL map key");
    if (gen_string(e, &here, m->keys[i]) < 0)
      return -1;
    int r = f->kind == KIND_STRMAP
              ? gen_string(e, &here, ((char *const *) m->values)[i])
              : gen_object(e, f->sub, (const char *) m->values + i * f->sub->size, &here);
    if (r < 0)
      return -1;
  }
  return gen_check(e, at, yajl_gen_map_close(e->g));
}

static int gen_field(encoder *e, const field_desc *f, const void *base, const path_seg *at)
{
  switch (f->kind) {
  case KIND_STRING:
    return gen_string(e, at, *AT(base, f->offset, const char *));
  case KIND_BOOL:
    return gen_check(e, at, yajl_gen_bool(e->g, *AT(base, f->offset, bool)));
  case KIND_I32: case KIND_U32: case KIND_U16: case KIND_I64: case KIND_U64:
    return gen_integer(e, at, f->kind, AT(base, f->offset, void));
  case KIND_STRING_ARRAY: case KIND_U32_ARRAY: case KIND_OBJECT_ARRAY:
    return gen_array(e, f, base, at);
  case KIND_OBJECT:
    return gen_object(e, f->sub, *AT(base, f->offset, const void *), at);
  case KIND_STRMAP: case KIND_OBJECT_MAP:
    return gen_map(e, f, base, at);
  }
  return 0;
}

static int gen_object(encoder *e, const ocispec_type *t, const void *base, const path_seg *at)
{
  if (gen_check(e, at, yajl_gen_map_open(e->g)) < 0)
    return -1;
  for (size_t i = 0; i < t->n_fields; i++) {
    const field_desc *f = &t->fields[i];
    if (!field_present(f, base))
      continue;
    path_seg here = { at, SEG_FIELD, f->json_name, 0 };
    if (gen_string(e, &here, f->json_name) < 0 || gen_field(e, f, base, &here) < 0)
      return -1;
  }
  return gen_check(e, at, yajl_gen_map_close(e->g));
}

char *ocispec_generate(const ocispec_type *t, const void *obj, bool pretty, char **err)
{
  if (err)
    *err = NULL;
  if (obj == NULL) {
    fail(err, t->name, NULL, "nothing to encode (NULL)");
    return NULL;
  }
  encoder e = { yajl_gen_alloc(NULL), t->name, err };
  if (e.g == NULL) {
    fail(err, t->name, NULL, "out of memory");
    return NULL;
  }
  if (pretty) {
    yajl_gen_config(e.g, yajl_gen_beautify, 1);
    yajl_gen_config(e.g, yajl_gen_indent_string, "\t");
  }
  path_seg root = { NULL, SEG_ROOT, NULL, 0 };
  char *out = NULL;
  if (gen_object(&e, t, obj, &root) == 0) {
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(e.g, &buf, &len);
    bool add_newline = pretty && (len == 0 || buf[len - 1] != '\n');
    out = malloc(len + 2);
    if (out == NULL) {
      fail(err, t->name, NULL, "out of memory");
    } else {
      memcpy(out, buf, len);
      if (add_newline)
        out[len++] = '\n';
      out[len] = '\0';
    }
  }
  yajl_gen_free(e.g);
  return out;
}

/* ---- strmap helpers -------------------------------------------------------- */

const char *ocispec_strmap_get(const ocispec_strmap *m, const char *key)
{
  for (size_t i = 0; m->keys && i < m->len; i++)
    if (strcmp(m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

int ocispec_strmap_set(ocispec_strmap *m, const char *key, const char *value)
{
  char *v = strdup(value);
  if (v == NULL)
    return -1;
  for (size_t i = 0; m->keys && i < m->len; i++) {
    if (strcmp(m->keys[i], key) == 0) {
      free(m->values[i]);
      m->values[i] = v;
      return 0;
    }
  }
  char *k = strdup(key);
  /* Keep one NULL slot at the end of both arrays, as the decoder does. */
  char **keys = k ? realloc(m->keys, (m->len + 2) * sizeof(char *)) : NULL;
  if (keys != NULL)
    m->keys = keys;
  char **values = keys ? realloc(m->values, (m->len + 2) * sizeof(char *)) : NULL;
  if (values == NULL) {
    free(k);
    free(v);
    return -1;
  }
  m->values = values;
  m->keys[m->len] = k;
  m->values[m->len] = v;
  m->len++;
  m->keys[m->len] = NULL;
  m->values[m->len] = NULL;
  return 0;
}

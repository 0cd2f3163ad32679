/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

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

/* ---- decode ----------------------------------------------------------------
 * Driven by yajl's event callbacks, straight into the structs: no document
 * tree is built. A stack of frames says where each event belongs: the struct
 * being filled (and which member the next value is for), the array or map
 * being filled, or an unknown member being skipped. Every allocation is
 * linked into the result as soon as it is made (arrays and maps count their
 * elements as they go), so on any error one ocispec_free releases it all. */

typedef enum { FR_TOP, FR_OBJECT, FR_ARRAY, FR_MAP, FR_SKIP } frame_kind;

typedef struct {
  frame_kind kind;
  const ocispec_type *type; /* FR_OBJECT: the struct's descriptor                    */
  void *base;               /* FR_OBJECT: the struct; FR_ARRAY/FR_MAP: their owner   */
  const field_desc *field;  /* FR_OBJECT: member being read (NULL: unknown, skipped);
                               FR_ARRAY/FR_MAP: the array or map member             */
  size_t index;             /* FR_ARRAY: element being read; FR_MAP: entry being read */
  size_t cap;               /* FR_ARRAY/FR_MAP: elements allocated (plus one spare)  */
  size_t depth;             /* FR_SKIP: nesting left to skip                        */
} frame;

/* config > linux > seccomp > syscalls > [i] > args > [j] is the deepest path
 * of the spec; unknown subtrees take one frame whatever their depth. */
#define MAX_FRAMES 32

typedef struct {
  const char *doc;
  char **err;
  bool failed;
  frame stack[MAX_FRAMES];
  size_t depth;
} decoder;

typedef enum { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_OBJECT, V_ARRAY } value_type;

typedef struct {
  value_type type;
  bool boolean;
  const char *text; /* V_STRING, V_NUMBER: not NUL-terminated */
  size_t len;
} json_value;

static bool number_is_integer(const char *raw, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (raw[i] == '.' || raw[i] == 'e' || raw[i] == 'E')
      return false;
  return true;
}

static const char *value_type_name(const json_value *v)
{
  switch (v->type) {
  case V_NULL: return "null";
  case V_BOOL: return "boolean";
  case V_NUMBER: return number_is_integer(v->text, v->len) ? "integer" : "number";
  case V_STRING: return "string";
  case V_OBJECT: return "object";
  case V_ARRAY: return "array";
  }
  return "unknown";
}

/* Report an error at the current position; the JSON path is rebuilt from the
 * frames only now, so a successful parse never formats anything. */
static int decode_fail(decoder *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int decode_fail(decoder *d, const char *fmt, ...)
{
  path_seg segs[MAX_FRAMES + 1];
  const path_seg *at = NULL;
  size_t n = 0;
  for (size_t i = 0; i < d->depth; i++) {
    const frame *fr = &d->stack[i];
    path_seg *s = &segs[n];
    *s = (path_seg) { at, SEG_ROOT, NULL, 0 };
    if (fr->kind == FR_OBJECT && fr->field) {
      s->kind = SEG_FIELD;
      s->key = fr->field->json_name;
    } else if (fr->kind == FR_ARRAY) {
      s->kind = SEG_INDEX;
      s->index = fr->index;
    } else if (fr->kind == FR_MAP) {
      const generic_map *m = AT(fr->base, fr->field->offset, generic_map);
      if (fr->index >= m->len)
        continue; /* failed on the key itself: the path ends at the map */
      s->kind = SEG_MAP_KEY;
      s->key = m->keys[fr->index];
    } else {
      continue;
    }
    at = s;
    n++;
  }
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  d->failed = true;
  fail(d->err, d->doc, at, "%s", msg);
  return 0; /* tells yajl to stop */
}

static int type_error(decoder *d, const char *expected, const json_value *v)
{
  return decode_fail(d, "expected %s, got %s", expected, value_type_name(v));
}

static int out_of_memory(decoder *d)
{
  d->failed = true;
  fail(d->err, d->doc, NULL, "out of memory");
  return 0;
}

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

/* Integers come from the number's text, so uint64 values above INT64_MAX
 * stay exact and every range is checked against the C type. */
static int decode_integer(decoder *d, const json_value *v, field_kind kind, void *dst)
{
  if (v->type != V_NUMBER)
    return type_error(d, "integer", v);
  if (!number_is_integer(v->text, v->len))
    return decode_fail(d, "expected integer, got %.*s", (int) v->len, v->text);
  /* 21 characters hold any 64-bit integer; longer ones are out of range. */
  char raw[24];
  if (v->len >= sizeof raw)
    return decode_fail(d, "expected %s, got %.*s", int_kind_name(kind), (int) v->len, v->text);
  memcpy(raw, v->text, v->len);
  raw[v->len] = '\0';

  char *end;
  errno = 0;
  if (kind == KIND_I32 || kind == KIND_I64) {
    long long n = strtoll(raw, &end, 10);
    if (errno != 0 || *end != '\0' || (kind == KIND_I32 && (n < INT32_MIN || n > INT32_MAX)))
      return decode_fail(d, "expected %s, got %s", int_kind_name(kind), raw);
    if (kind == KIND_I32)
      *(int32_t *) dst = (int32_t) n;
    else
      *(int64_t *) dst = n;
    return 1;
  }
  /* strtoull would silently negate "-1"; only "-0" is a non-negative value. */
  if (raw[0] == '-' && strspn(raw + 1, "0") != strlen(raw + 1))
    return decode_fail(d, "expected %s, got %s", int_kind_name(kind), raw);
  unsigned long long n = strtoull(raw[0] == '-' ? raw + 1 : raw, &end, 10);
  uint64_t max = kind == KIND_U16 ? UINT16_MAX : kind == KIND_U32 ? UINT32_MAX : UINT64_MAX;
  if (errno != 0 || *end != '\0' || n > max)
    return decode_fail(d, "expected %s, got %s", int_kind_name(kind), raw);
  if (kind == KIND_U16)
    *(uint16_t *) dst = (uint16_t) n;
  else if (kind == KIND_U32)
    *(uint32_t *) dst = (uint32_t) n;
  else
    *(uint64_t *) dst = n;
  return 1;
}

static int decode_string(decoder *d, const json_value *v, char **dst)
{
  if (v->type != V_STRING)
    return type_error(d, "string", v);
  /* A C string would silently end at an escaped \u0000: refuse it instead. */
  if (memchr(v->text, '\0', v->len) != NULL)
    return decode_fail(d, "string contains a NUL character");
  if ((*dst = strndup(v->text, v->len)) == NULL)
    return out_of_memory(d);
  return 1;
}

static int push(decoder *d, frame fr)
{
  if (d->depth == MAX_FRAMES)
    return decode_fail(d, "nested too deeply");
  d->stack[d->depth++] = fr;
  return 1;
}

static size_t element_size(const field_desc *f)
{
  switch (f->kind) {
  case KIND_STRING_ARRAY: case KIND_STRMAP: return sizeof(char *);
  case KIND_U32_ARRAY: return sizeof(uint32_t);
  default: return f->sub->size;
  }
}

/* Grow *arr from cap to a larger capacity, zeroing the new part. Arrays keep
 * one spare zeroed slot, so string arrays stay NULL-terminated (ready for
 * execve) and an empty array is a non-NULL pointer, distinct from absent. */
static bool grow(void **arr, size_t *cap, size_t elem)
{
  size_t old = *arr ? *cap + 1 : 0, new_cap = *arr ? *cap * 2 : 4;
  char *p = realloc(*arr, (new_cap + 1) * elem);
  if (p == NULL)
    return false;
  memset(p + old * elem, 0, (new_cap + 1 - old) * elem);
  *arr = p;
  *cap = new_cap;
  return true;
}

/* A value for member f of the struct at base. */
static int decode_member(decoder *d, const field_desc *f, void *base, const json_value *v)
{
  /* A repeated member replaces the earlier one; null means absent. */
  free_field(f, base);
  if (v->type == V_NULL)
    return 1;

  switch (f->kind) {
  case KIND_STRING:
    return decode_string(d, v, AT(base, f->offset, char *));
  case KIND_BOOL:
    if (v->type != V_BOOL)
      return type_error(d, "boolean", v);
    *AT(base, f->offset, bool) = v->boolean;
    *AT(base, f->companion, bool) = true;
    return 1;
  case KIND_I32: case KIND_U32: case KIND_U16: case KIND_I64: case KIND_U64:
    if (!decode_integer(d, v, f->kind, AT(base, f->offset, void)))
      return 0;
    *AT(base, f->companion, bool) = true;
    return 1;
  case KIND_STRING_ARRAY: case KIND_U32_ARRAY: case KIND_OBJECT_ARRAY: {
    if (v->type != V_ARRAY)
      return type_error(d, "array", v);
    frame fr = { .kind = FR_ARRAY, .base = base, .field = f };
    if (!grow(AT(base, f->offset, void *), &fr.cap, element_size(f)))
      return out_of_memory(d);
    return push(d, fr);
  }
  case KIND_OBJECT: {
    if (v->type != V_OBJECT)
      return type_error(d, "object", v);
    void *obj = calloc(1, f->sub->size);
    if (obj == NULL)
      return out_of_memory(d);
    *AT(base, f->offset, void *) = obj;
    return push(d, (frame) { .kind = FR_OBJECT, .type = f->sub, .base = obj });
  }
  case KIND_STRMAP: case KIND_OBJECT_MAP: {
    if (v->type != V_OBJECT)
      return type_error(d, "object", v);
    frame fr = { .kind = FR_MAP, .base = base, .field = f };
    generic_map *m = AT(base, f->offset, generic_map);
    size_t key_cap = 0;
    if (!grow((void **) &m->keys, &key_cap, sizeof(char *)) || !grow(&m->values, &fr.cap, element_size(f)))
      return out_of_memory(d);
    return push(d, fr);
  }
  }
  return 1;
}

/* The next element of the array being read. */
static int decode_element(decoder *d, frame *fr, const json_value *v)
{
  const field_desc *f = fr->field;
  void **arr = AT(fr->base, f->offset, void *);
  size_t *len = AT(fr->base, f->companion, size_t);
  size_t elem = element_size(f);
  fr->index = *len;

  uint32_t number = 0;
  if (f->kind == KIND_STRING_ARRAY && v->type != V_STRING)
    return type_error(d, "string", v);
  if (f->kind == KIND_U32_ARRAY && !decode_integer(d, v, KIND_U32, &number))
    return 0;
  if (f->kind == KIND_OBJECT_ARRAY && v->type != V_OBJECT)
    return type_error(d, "object", v);
  if (*len == fr->cap && !grow(arr, &fr->cap, elem))
    return out_of_memory(d);

  char *slot = (char *) *arr + *len * elem;
  (*len)++;
  switch (f->kind) {
  case KIND_STRING_ARRAY:
    return decode_string(d, v, (char **) slot);
  case KIND_U32_ARRAY:
    *(uint32_t *) slot = number;
    return 1;
  default:
    return push(d, (frame) { .kind = FR_OBJECT, .type = f->sub, .base = slot });
  }
}

/* The value of the map entry whose key was just read. */
static int decode_map_value(decoder *d, frame *fr, const json_value *v)
{
  const field_desc *f = fr->field;
  generic_map *m = AT(fr->base, f->offset, generic_map);
  char *slot = (char *) m->values + fr->index * element_size(f);
  if (f->kind == KIND_STRMAP)
    return decode_string(d, v, (char **) slot);
  if (v->type != V_OBJECT)
    return type_error(d, "object", v);
  return push(d, (frame) { .kind = FR_OBJECT, .type = f->sub, .base = slot });
}

static int on_value(decoder *d, const json_value *v)
{
  frame *top = &d->stack[d->depth - 1];
  bool opens = v->type == V_OBJECT || v->type == V_ARRAY;
  switch (top->kind) {
  case FR_TOP:
    if (v->type != V_OBJECT) {
      d->depth = 0; /* no path at top level */
      return decode_fail(d, "expected a JSON object at top level, got %s", value_type_name(v));
    }
    return push(d, (frame) { .kind = FR_OBJECT, .type = top->type, .base = top->base });
  case FR_OBJECT:
    if (top->field == NULL) /* unknown properties are ignored, as the spec requires */
      return opens ? push(d, (frame) { .kind = FR_SKIP, .depth = 1 }) : 1;
    return decode_member(d, top->field, top->base, v);
  case FR_ARRAY:
    return decode_element(d, top, v);
  case FR_MAP:
    return decode_map_value(d, top, v);
  case FR_SKIP:
    top->depth += opens;
    return 1;
  }
  return 1;
}

/* Keys are not NUL-terminated and may contain escaped NULs: compare lengths
 * first, never read past either string. */
static bool key_equals(const char *s, const char *key, size_t len)
{
  return strlen(s) == len && memcmp(s, key, len) == 0;
}

static bool key_equals_nocase(const char *s, const char *key, size_t len)
{
  return strlen(s) == len && strncasecmp(s, key, len) == 0 && memchr(key, '\0', len) == NULL;
}

/* The field a key names: the exact name, else the name without regard to
 * ASCII case, as Go's encoding/json (runc, containerd, podman) reads a config:
 * a hand-written "pagesize" or "Type" is the field runc applies, not an
 * unknown property quietly skipped while the real one reads as missing. */
static const field_desc *find_field(const ocispec_type *t, const char *name, size_t len)
{
  for (size_t i = 0; i < t->n_fields; i++) {
    if (key_equals(t->fields[i].json_name, name, len))
      return &t->fields[i];
  }
  for (size_t i = 0; i < t->n_fields; i++) {
    if (key_equals_nocase(t->fields[i].json_name, name, len))
      return &t->fields[i];
  }
  return NULL;
}

/* A map entry: a repeated key replaces the earlier value, as in most JSON
 * readers; a new one gets a slot, filled by the value that follows. */
static int on_map_entry(decoder *d, frame *fr, const char *key, size_t len)
{
  const field_desc *f = fr->field;
  generic_map *m = AT(fr->base, f->offset, generic_map);
  size_t elem = element_size(f);
  if (memchr(key, '\0', len) != NULL) {
    fr->index = m->len; /* no current entry: the error path names the map */
    return decode_fail(d, "map key contains a NUL character");
  }
  for (size_t i = 0; i < m->len; i++) {
    if (key_equals(m->keys[i], key, len)) {
      char *value = (char *) m->values + i * elem;
      if (f->kind == KIND_STRMAP)
        free(*(char **) value);
      else
        free_fields(f->sub, value);
      memset(value, 0, elem);
      fr->index = i;
      return 1;
    }
  }
  if (m->len == fr->cap) {
    size_t key_cap = fr->cap;
    if (!grow((void **) &m->keys, &key_cap, sizeof(char *)) || !grow(&m->values, &fr->cap, elem))
      return out_of_memory(d);
  }
  if ((m->keys[m->len] = strndup(key, len)) == NULL)
    return out_of_memory(d);
  fr->index = m->len++;
  return 1;
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
  decoder *d = ctx;
  frame *top = &d->stack[d->depth - 1];
  if (top->kind == FR_OBJECT)
    top->field = find_field(top->type, (const char *) key, len);
  else if (top->kind == FR_MAP)
    return on_map_entry(d, top, (const char *) key, len);
  return 1;
}

static int cb_end(void *ctx)
{
  decoder *d = ctx;
  frame *top = &d->stack[d->depth - 1];
  if (top->kind == FR_SKIP && --top->depth > 0)
    return 1;
  d->depth--;
  return 1;
}

static int cb_null(void *ctx) { return on_value(ctx, &(json_value) { .type = V_NULL }); }
static int cb_boolean(void *ctx, int b) { return on_value(ctx, &(json_value) { .type = V_BOOL, .boolean = b }); }
static int cb_number(void *ctx, const char *s, size_t len)
{
  return on_value(ctx, &(json_value) { .type = V_NUMBER, .text = s, .len = len });
}
static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
  return on_value(ctx, &(json_value) { .type = V_STRING, .text = (const char *) s, .len = len });
}
static int cb_start_map(void *ctx) { return on_value(ctx, &(json_value) { .type = V_OBJECT }); }
static int cb_start_array(void *ctx) { return on_value(ctx, &(json_value) { .type = V_ARRAY }); }

static const yajl_callbacks decode_callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_boolean,
  .yajl_number = cb_number,
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end,
};

/* yajl's message ends with a newline; keep one clean line. The offset counts
 * from 1 and points at the offending byte (or the end, for truncated text). */
static void report_syntax_error(yajl_handle h, size_t offset, const char *doc, char **err)
{
  unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
  char *text = (char *) msg;
  text[strcspn(text, "\n")] = '\0';
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
    text[--n] = '\0';
  fail(err, doc, NULL, "invalid JSON at byte %zu: %s", offset, text);
  yajl_free_error(h, msg);
}

void *ocispec_parse(const ocispec_type *t, const char *json, size_t len, const char *docname, char **err)
{
  const char *doc = docname ? docname : t->name;
  if (err)
    *err = NULL;
  void *obj = calloc(1, t->size);
  decoder dec = { .doc = doc, .err = err, .depth = 1 }, *d = &dec;
  d->stack[0] = (frame) { .kind = FR_TOP, .type = t, .base = obj };
  yajl_handle h = obj ? yajl_alloc(&decode_callbacks, NULL, d) : NULL;
  if (h == NULL) {
    fail(err, doc, NULL, "out of memory");
    free(obj);
    return NULL;
  }

  yajl_status st = yajl_parse(h, (const unsigned char *) json, len);
  size_t offset = yajl_get_bytes_consumed(h);
  if (st == yajl_status_ok) {
    st = yajl_complete_parse(h);
    offset = len;
  }
  if (st != yajl_status_ok && !d->failed)
    report_syntax_error(h, offset, doc, err);
  if (st != yajl_status_ok || d->failed) {
    ocispec_free(t, obj);
    obj = NULL;
  }
  yajl_free(h);
  return obj;
}

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
    if (n == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        errno = ENOMEM;
        break;
      }
      buf = bigger;
    }
    ssize_t r = read(fd, buf + n, cap - n);
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
  return ocispec_parse(t, text, len, path, err);
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

void ocispec_strmap_clear(ocispec_strmap *m)
{
  for (size_t i = 0; i < m->len; i++) {
    free(m->keys[i]);
    free(m->values[i]);
  }
  free(m->keys);
  free(m->values);
  memset(m, 0, sizeof *m);
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

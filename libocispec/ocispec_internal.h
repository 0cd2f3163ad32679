/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocispec_internal.h - the descriptor tables shared by ocispec.c (the
 * generic walkers) and ocispec_tables.c (one table per struct). */
#ifndef OCISPEC_INTERNAL_H
#define OCISPEC_INTERNAL_H

#include "ocispec.h"

typedef enum {
  KIND_STRING,        /* char *                                  */
  KIND_BOOL,          /* bool + has_                             */
  KIND_I32,           /* int32_t + has_                          */
  KIND_U32,           /* uint32_t + has_                         */
  KIND_U16,           /* uint16_t + has_                         */
  KIND_I64,           /* int64_t + has_                          */
  KIND_U64,           /* uint64_t + has_                         */
  KIND_STRING_ARRAY,  /* char ** + _len                          */
  KIND_U32_ARRAY,     /* uint32_t * + _len                       */
  KIND_OBJECT,        /* T *                                     */
  KIND_OBJECT_ARRAY,  /* T * + _len, elements inline             */
  KIND_STRMAP,        /* ocispec_strmap                          */
  KIND_OBJECT_MAP,    /* OCISPEC_MAP(T)                          */
} field_kind;

typedef struct {
  const char *json_name;
  field_kind kind;
  size_t offset;           /* of the value                                 */
  size_t companion;        /* of has_<name> (scalars) or <name>_len (arrays) */
  const ocispec_type *sub; /* element type of objects, object arrays/maps  */
} field_desc;

struct ocispec_type {
  const char *name; /* used in encode errors ("config: .process: ...") */
  size_t size;
  const field_desc *fields;
  size_t n_fields;
};

#endif

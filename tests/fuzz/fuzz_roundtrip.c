/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_roundtrip.c - parse -> generate -> parse -> generate must be a fixed
 * point, for every document type: the first byte of the input picks the
 * type, the rest is the JSON. (Unknown members are dropped by the first
 * parse, so the property is on the generated texts, not on the input.) */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "ocispec.h"

static const ocispec_type *const types[] = {
  &ocispec_config_type, &ocispec_process_type, &ocispec_resources_type,
  &ocispec_state_type,  &ocispec_features_type,
};

FUZZ_TARGET(roundtrip)
{
  if (size < 1)
    return 0;
  const ocispec_type *t = types[data[0] % (sizeof types / sizeof types[0])];
  const char *json = (const char *) data + 1;
  size_t len = size - 1;
  char *err = NULL;
  void *a = ocispec_parse(t, json, len, "doc", &err);
  if (a == NULL) {
    free(err);
    return 0;
  }
  bool pretty = data[0] & 0x80;
  char *text1 = ocispec_generate(t, a, pretty, &err);
  if (text1 == NULL)
    fuzz_fail("roundtrip: a decoded document must encode", err);
  void *b = ocispec_parse(t, text1, strlen(text1), "doc", &err);
  if (b == NULL)
    fuzz_fail("roundtrip: generated JSON must parse again", err);
  char *text2 = ocispec_generate(t, b, pretty, &err);
  if (text2 == NULL)
    fuzz_fail("roundtrip: the second encode failed", err);
  if (strcmp(text1, text2) != 0) {
    fprintf(stderr, "first:  %s\nsecond: %s\n", text1, text2);
    fuzz_fail("roundtrip: generate(parse(generate(x))) differs from generate(x)", NULL);
  }
  free(text1);
  free(text2);
  ocispec_free(t, a);
  ocispec_free(t, b);
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_config.c - config.json through libocispec's decoder; what decodes
 * must also encode (pretty and compact) and free without leaks. */
#include <stdlib.h>
#include "fuzz.h"
#include "ocispec.h"

FUZZ_TARGET(config)
{
  char *err = NULL;
  ocispec_config *c = ocispec_parse(&ocispec_config_type, (const char *) data, size, "config.json", &err);
  if (c == NULL) {
    if (err == NULL || *err == '\0')
      fuzz_fail("config: a rejected document must come with an error message", NULL);
    free(err);
    return 0;
  }
  char *pretty = ocispec_generate(&ocispec_config_type, c, true, &err);
  if (pretty == NULL)
    fuzz_fail("config: a decoded document must encode", err);
  free(pretty);
  ocispec_config_free(c);
  return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_resources.c - update --resources FILE: linux.resources alone. */
#include <stdlib.h>
#include "fuzz.h"
#include "ocispec.h"

FUZZ_TARGET(resources)
{
  char *err = NULL;
  ocispec_resources *r = ocispec_parse(&ocispec_resources_type, (const char *) data, size, "resources", &err);
  if (r == NULL) {
    if (err == NULL || *err == '\0')
      fuzz_fail("resources: a rejected document must come with an error message", NULL);
    free(err);
    return 0;
  }
  char *out = ocispec_generate(&ocispec_resources_type, r, false, &err);
  if (out == NULL)
    fuzz_fail("resources: a decoded document must encode", err);
  free(out);
  ocispec_resources_free(r);
  return 0;
}

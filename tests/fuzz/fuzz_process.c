/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_process.c - exec --process FILE: the process object alone. */
#include <stdlib.h>
#include "fuzz.h"
#include "ocispec.h"

FUZZ_TARGET(process)
{
  char *err = NULL;
  ocispec_process *p = ocispec_parse(&ocispec_process_type, (const char *) data, size, "process.json", &err);
  if (p == NULL) {
    if (err == NULL || *err == '\0')
      fuzz_fail("process: a rejected document must come with an error message", NULL);
    free(err);
    return 0;
  }
  /* exec reads args as a NULL-terminated vector: check the promise. */
  if (p->args && p->args[p->args_len] != NULL)
    fuzz_fail("process: args is not NULL-terminated", NULL);
  if (p->env && p->env[p->env_len] != NULL)
    fuzz_fail("process: env is not NULL-terminated", NULL);
  char *out = ocispec_generate(&ocispec_process_type, p, false, &err);
  if (out == NULL)
    fuzz_fail("process: a decoded document must encode", err);
  free(out);
  ocispec_process_free(p);
  return 0;
}

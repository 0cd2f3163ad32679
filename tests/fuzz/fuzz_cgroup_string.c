/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_cgroup_string.c - the cgroup line of a state file (src/cgroup.c):
 * cgroup_from_string, what cgroup_to_string makes of it (which must read back
 * to the same text), and list's cgroup_saved_is_frozen. A state root others
 * can write makes this input hostile. */
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "fuzz.h"

FUZZ_TARGET(cgroup_string)
{
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  uoci_cgroup *cg = NULL;
  if (cgroup_from_string(text, &cg, NULL) == 0) {
    char *once = cgroup_to_string(cg);
    uoci_cgroup *again = NULL;
    if (cgroup_from_string(once, &again, NULL) < 0)
      fuzz_fail("cgroup_to_string's text does not parse", once);
    char *twice = cgroup_to_string(again);
    if (strcmp(once, twice) != 0)
      fuzz_fail("cgroup_to_string changes on a round trip", once);
    free(twice);
    cgroup_free(again);
    free(once);
  }
  cgroup_free(cg);
  (void) cgroup_saved_is_frozen(text);
  free(text);
  return 0;
}

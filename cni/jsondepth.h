/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jsondepth.h - yajl tree parses with a nesting bound, for the CNI binaries
 * and for the runtime's own parses of documents outside libocispec (CRIU's
 * descriptors.json, the state sent to a seccomp agent); apart from cniutil.h
 * so the runtime takes none of the CNI helpers' names. */
#ifndef ULYSSES_JSONDEPTH_H
#define ULYSSES_JSONDEPTH_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* yajl_tree_parse, refusing (NULL, err says why) a document nested deeper
 * than JSON_MAX_DEPTH: yajl_tree_free and sb_json_value recurse once per
 * level, and a million nested arrays on stdin overflowed the stack (SIGSEGV)
 * instead of giving one error. No CNI or OCI document comes near the limit. */
#define JSON_MAX_DEPTH 128
yajl_val json_tree_parse(const char *text, char *err, size_t errlen);
/* Whether `text` opens more than `max` arrays/objects inside one another
 * (strings skipped): pure, so the parse above can refuse before building. */
bool json_nesting_exceeds(const char *text, size_t max);

#endif

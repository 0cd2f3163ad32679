/* SPDX-License-Identifier: GPL-2.0-or-later */
/* musl_malloc.h - the allocator of the static musl build (ulysses-oci).
 *
 * Blocks of power-of-two classes from 16 bytes to 64 KiB, carved from
 * 256 KiB mappings and kept on a free list per class when freed: never given
 * back to the kernel, so a verb's malloc/free pairs cost no mmap/munmap and
 * no page fault the second time. A larger block is a mapping of its own.
 * Single-threaded (the runtime starts no thread). In the musl build these
 * are malloc, free, calloc, realloc and friends; the glibc build keeps
 * glibc's, and the unit test calls them by these names. */
#ifndef UOCI_MUSL_MALLOC_H
#define UOCI_MUSL_MALLOC_H

#include <stddef.h>

void *mm_malloc(size_t n);
void mm_free(void *p);
void *mm_calloc(size_t n, size_t m);
void *mm_realloc(void *p, size_t n);
size_t mm_usable_size(void *p);
/* align up to 16 (every block's); larger ones: EINVAL */
void *mm_aligned_alloc(size_t align, size_t n);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* musl_malloc.c - see musl_malloc.h */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#include "musl_malloc.h"

#define MM_HDR 16                       /* header size; also the alignment of every block */
#define MM_CLASSES 13                   /* 16 B << 0..12: 16 B .. 64 KiB */
#define MM_CLASS_MAX ((size_t) 16 << (MM_CLASSES - 1))
#define MM_CHUNK ((size_t) 256 * 1024)  /* carved into class blocks; touched pages only */

/* In front of every block. size: what the block holds (a class's size, or
 * for a block of its own mapping the mapping's length less the header);
 * check: size, the header's address and a per-process key mixed, so a
 * header overwritten by an overflow, a pointer that is not a block, or a
 * block freed twice (check cleared at free) aborts instead of being used. */
struct mm_hdr {
  size_t size;
  uintptr_t check;
};

static void *free_list[MM_CLASSES]; /* next pointers mangled with the key */
static char *chunk_cur, *chunk_end;
static uintptr_t key;

static uintptr_t mm_key(void)
{
  if (key == 0) {
    const uintptr_t *r = (const uintptr_t *) getauxval(AT_RANDOM);
    key = (r ? r[0] : (uintptr_t) &key ^ (uintptr_t) getpid()) | 1;
  }
  return key;
}

static uintptr_t hdr_check(const struct mm_hdr *h)
{
  return ((uintptr_t) h ^ h->size * 0x9e3779b97f4a7c15u) ^ mm_key();
}

static void *mangle(void *next, void *at)
{
  return (void *) ((uintptr_t) next ^ ((uintptr_t) at >> 12) ^ mm_key());
}

static struct mm_hdr *header_of(void *p)
{
  struct mm_hdr *h = (struct mm_hdr *) p - 1;
  if (h->check != hdr_check(h))
    __builtin_trap(); /* not a live block of ours */
  return h;
}

static int class_of(size_t n)
{
  int k = 0;
  while (((size_t) 16 << k) < n)
    k++;
  return k;
}

static void *give(struct mm_hdr *h, size_t size)
{
  h->size = size;
  h->check = hdr_check(h);
  return h + 1;
}

/* A block of its own mapping: above the largest class. */
static void *big_alloc(size_t n)
{
  size_t page = (size_t) sysconf(_SC_PAGESIZE);
  if (n > SIZE_MAX - MM_HDR - page) {
    errno = ENOMEM;
    return NULL;
  }
  size_t len = (n + MM_HDR + page - 1) & ~(page - 1);
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    errno = ENOMEM;
    return NULL;
  }
  return give(m, len - MM_HDR);
}

/* A new chunk; what is left of the old one goes to the free lists of the
 * classes it fits, largest first. */
static int new_chunk(void)
{
  for (int k = MM_CLASSES - 1; k >= 0; k--) {
    size_t need = ((size_t) 16 << k) + MM_HDR;
    while ((size_t) (chunk_end - chunk_cur) >= need) {
      struct mm_hdr *h = (struct mm_hdr *) chunk_cur;
      void *p = h + 1;
      h->size = (size_t) 16 << k;
      h->check = 0; /* free */
      chunk_cur += need;
      *(void **) p = mangle(free_list[k], p);
      free_list[k] = p;
    }
  }
  void *c = mmap(NULL, MM_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (c == MAP_FAILED)
    return -1;
  chunk_cur = c;
  chunk_end = chunk_cur + MM_CHUNK;
  return 0;
}

void *mm_malloc(size_t n)
{
  if (n > MM_CLASS_MAX)
    return big_alloc(n);
  int k = class_of(n ? n : 1);
  void *p = free_list[k];
  if (p) {
    struct mm_hdr *h = (struct mm_hdr *) p - 1;
    /* a free block: aligned, of this class, its check cleared at free (a
     * list pointer overwritten after a free leads elsewhere) */
    if (((uintptr_t) p & (MM_HDR - 1)) != 0 || h->check != 0 || h->size != ((size_t) 16 << k))
      __builtin_trap();
    free_list[k] = mangle(*(void **) p, p);
    h->check = hdr_check(h);
    return p;
  }
  size_t size = (size_t) 16 << k;
  if ((size_t) (chunk_end - chunk_cur) < size + MM_HDR && new_chunk() < 0) {
    errno = ENOMEM;
    return NULL;
  }
  p = give((struct mm_hdr *) chunk_cur, size);
  chunk_cur += size + MM_HDR;
  return p;
}

void mm_free(void *p)
{
  if (p == NULL)
    return;
  struct mm_hdr *h = header_of(p);
  if (h->size > MM_CLASS_MAX) {
    munmap(h, h->size + MM_HDR);
    return;
  }
  int k = class_of(h->size);
  h->check = 0; /* a second free of it traps */
  *(void **) p = mangle(free_list[k], p);
  free_list[k] = p;
}

void *mm_calloc(size_t n, size_t m)
{
  if (m && n > SIZE_MAX / m) {
    errno = ENOMEM;
    return NULL;
  }
  size_t len = n * m;
  void *p = mm_malloc(len);
  if (p && len <= MM_CLASS_MAX) /* a mapping of its own is zero already */
    memset(p, 0, len);
  return p;
}

void *mm_realloc(void *p, size_t n)
{
  if (p == NULL)
    return mm_malloc(n);
  struct mm_hdr *h = header_of(p);
  if (n <= h->size && (h->size <= MM_CLASS_MAX || n > MM_CLASS_MAX))
    return p;
  if (h->size > MM_CLASS_MAX && n > MM_CLASS_MAX) {
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX - MM_HDR - page) {
      errno = ENOMEM;
      return NULL;
    }
    size_t len = (n + MM_HDR + page - 1) & ~(page - 1);
    void *m = mremap(h, h->size + MM_HDR, len, MREMAP_MAYMOVE);
    if (m == MAP_FAILED) {
      errno = ENOMEM;
      return NULL;
    }
    return give(m, len - MM_HDR);
  }
  void *q = mm_malloc(n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, n < h->size ? n : h->size);
  mm_free(p);
  return q;
}

size_t mm_usable_size(void *p)
{
  return p ? header_of(p)->size : 0;
}

void *mm_aligned_alloc(size_t align, size_t n)
{
  /* Nothing linked in asks for more than the blocks' 16 bytes; more would
   * need a header that finds the block again. */
  if (align > MM_HDR || (align & (align - 1)) != 0) {
    errno = EINVAL;
    return NULL;
  }
  return mm_malloc(n);
}

#ifdef UOCI_MUSL
/* The static musl build's malloc. mallocng (musl 1.2.3) hands a group back
 * to the kernel when its last block is freed, so a create mapped and
 * unmapped a page ~30 times for buffers it malloc'd and freed in turn; a
 * verb is a short process and keeps what it freed for its next malloc. musl's
 * own internal allocations (__libc_malloc) stay mallocng's. */
void *malloc(size_t n)
{
  return mm_malloc(n);
}
void free(void *p)
{
  mm_free(p);
}
void *calloc(size_t n, size_t m)
{
  return mm_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
  return mm_realloc(p, n);
}
size_t malloc_usable_size(void *p)
{
  return mm_usable_size(p);
}
void *aligned_alloc(size_t align, size_t n)
{
  return mm_aligned_alloc(align, n);
}
void *memalign(size_t align, size_t n)
{
  return mm_aligned_alloc(align, n);
}
int posix_memalign(void **out, size_t align, size_t n)
{
  if (align < sizeof(void *))
    return EINVAL;
  void *p = mm_aligned_alloc(align, n);
  if (p == NULL)
    return errno;
  *out = p;
  return 0;
}
#endif

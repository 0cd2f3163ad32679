/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for musl_malloc.c: the musl build's allocator, called by its
 * mm_* names (this program keeps its libc's malloc). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "musl_malloc.h"

/* mm_* calls in a child: true if it died of a trap (SIGTRAP or SIGILL), or
 * with any_fault of a fault too (a wild pointer's read). */
static bool dies(void (*fn)(void), bool any_fault)
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFSIGNALED(st))
    return false;
  int sig = WTERMSIG(st);
  return sig == SIGTRAP || sig == SIGILL || (any_fault && (sig == SIGSEGV || sig == SIGBUS));
}

static bool traps(void (*fn)(void))
{
  return dies(fn, false);
}

static void double_free(void)
{
  void *p = mm_malloc(40);
  mm_free(p);
  mm_free(p);
}

/* the 16 bytes in front of a block: its header, what an overflow of the
 * block before it overwrites first */
static void overflowed_header(void)
{
  char *b = mm_malloc(32);
  memset(b - 16, 'x', 16);
  mm_free(b);
}

static void not_a_block(void)
{
  char *a = mm_malloc(64);
  mm_free(a + 16);
}

/* a block written after it was freed: its list pointer leads elsewhere */
static void written_after_free(void)
{
  char *p = mm_malloc(200), *q = mm_malloc(200);
  mm_free(q);
  mm_free(p);
  memset(p, 'x', 8);
  mm_malloc(200); /* p again */
  mm_malloc(200); /* what p's overwritten pointer names */
}

static void overflowed_big_header(void)
{
  char *p = mm_malloc(200000);
  ((size_t *) p)[-2] = 4096; /* the size of a block of its own mapping */
  mm_free(p);
}

int main(void)
{
  /* every size from 1 byte to above the largest class: 16-byte aligned,
   * at least as large as asked, writable throughout */
  bool aligned = true, sized = true;
  size_t sizes[] = { 1, 15, 16, 17, 100, 4096, 4097, 65536, 65537, 200000, 3u << 20 };
  enum { NSIZES = sizeof sizes / sizeof sizes[0] };
  void *blocks[NSIZES];
  for (size_t i = 0; i < NSIZES; i++) {
    blocks[i] = mm_malloc(sizes[i]);
    aligned &= blocks[i] && ((uintptr_t) blocks[i] & 15) == 0;
    sized &= blocks[i] && mm_usable_size(blocks[i]) >= sizes[i];
    if (blocks[i])
      memset(blocks[i], (int) i, sizes[i]);
  }
  ok(aligned, "blocks are 16-byte aligned");
  ok(sized, "blocks hold what was asked");
  bool intact = true;
  for (size_t i = 0; i < NSIZES; i++)
    for (size_t j = 0; blocks[i] && j < sizes[i]; j += 97)
      intact &= ((unsigned char *) blocks[i])[j] == (unsigned char) i;
  ok(intact, "no block overlaps another");
  for (size_t i = 0; i < NSIZES; i++)
    mm_free(blocks[i]);

  /* a freed block is the next one of its class: no new memory */
  void *a = mm_malloc(3000);
  mm_free(a);
  ok(mm_malloc(2100) == a, "malloc after free reuses the freed block of the class");
  ok(mm_malloc(0) != NULL, "malloc(0) gives a block");
  mm_free(NULL);
  ok(mm_usable_size(NULL) == 0, "free(NULL) and malloc_usable_size(NULL) do nothing");

  /* calloc: zeroed, also a block that was used before; overflow refused */
  char *c = mm_malloc(512);
  memset(c, 0xff, 512);
  mm_free(c);
  char *z = mm_calloc(64, 8);
  bool zero = z != NULL;
  for (int i = 0; z && i < 512; i++)
    zero &= z[i] == 0;
  ok(z == c && zero, "calloc zeroes a reused block");
  char *zb = mm_calloc(1, 300000);
  ok(zb && zb[0] == 0 && zb[299999] == 0, "calloc of a block of its own mapping is zero");
  mm_free(zb);
  errno = 0;
  ok(mm_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc of n*m beyond SIZE_MAX: ENOMEM");
  errno = 0;
  ok(mm_malloc(SIZE_MAX - 8) == NULL && errno == ENOMEM, "malloc of nearly SIZE_MAX: ENOMEM");

  /* realloc keeps the contents across classes and into and out of a
   * mapping of its own */
  char *r = mm_malloc(10);
  memcpy(r, "0123456789", 10);
  ok(mm_realloc(r, 16) == r, "realloc within the class stays in place");
  r = mm_realloc(r, 1000);
  ok(r && memcmp(r, "0123456789", 10) == 0, "realloc to a larger class keeps the contents");
  memset(r + 10, 'a', 990);
  r = mm_realloc(r, 500000);
  ok(r && memcmp(r, "0123456789", 10) == 0 && r[999] == 'a', "realloc into a mapping keeps the contents");
  r[499999] = 'z';
  r = mm_realloc(r, 2000000);
  ok(r && memcmp(r, "0123456789", 10) == 0 && r[499999] == 'z', "realloc of a mapping (mremap) keeps the contents");
  r = mm_realloc(r, 20);
  ok(r && memcmp(r, "0123456789", 10) == 0 && mm_usable_size(r) < 65536, "realloc back into a class keeps the contents");
  mm_free(r);
  ok(mm_realloc(NULL, 30) != NULL, "realloc(NULL) is malloc");

  /* a class fills more than one chunk; what was left of a chunk is used */
  size_t n = 0;
  bool distinct = true;
  char *prev = NULL;
  for (; n < 40; n++) { /* 40 x 64 KiB > the 256 KiB chunk */
    char *p = mm_malloc(60000);
    distinct &= p != NULL && p != prev;
    if (p)
      p[59999] = 1;
    prev = p;
  }
  ok(distinct, "a class grows past one chunk");
  bool small = true;
  for (int i = 0; i < 1000; i++) {
    char *p = mm_malloc(24);
    small &= p != NULL && ((uintptr_t) p & 15) == 0;
  }
  ok(small, "many small blocks");

  ok(mm_aligned_alloc(16, 100) != NULL, "aligned_alloc of 16");
  errno = 0;
  ok(mm_aligned_alloc(64, 100) == NULL && errno == EINVAL, "aligned_alloc above 16: EINVAL (nothing linked asks for it)");

  /* what an overflow or a bad pointer would make of the heap: a trap, not a
   * corrupted free list */
  ok(traps(double_free), "a block freed twice traps");
  ok(traps(overflowed_header), "a header overwritten by an overflow traps at free");
  ok(traps(not_a_block), "free of a pointer into a block traps");
  ok(traps(overflowed_big_header), "a mapping's header overwritten traps at free");
  /* (the pointer demangles to noise: 15 in 16 times misaligned, a trap;
   * else the check's read of it usually faults) */
  ok(dies(written_after_free, true), "a free block's list pointer overwritten: the malloc that follows it dies");
  done_testing();
  return tap_failed != 0;
}

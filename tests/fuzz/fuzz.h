/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz.h - shared by the fuzz harnesses (tests/fuzz/fuzz_*.c).
 *
 * Each harness defines `int fuzz_NAME(const uint8_t *data, size_t size)` with
 * FUZZ_TARGET(NAME). Built by tests/fuzz/build.sh with clang's libFuzzer
 * (-DFUZZ_LIBFUZZER), the harness also gets the LLVMFuzzerTestOneInput entry
 * point; built by gcc into tests/unit/test-fuzz-replay, the same functions
 * replay the seed corpora and every input of tests/fuzz/regressions/NAME/.
 * A harness reports a broken property (e.g. a round trip that changes the
 * document) with fuzz_fail(), which aborts so both drivers see it. */
#ifndef ULYSSES_FUZZ_H
#define ULYSSES_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef FUZZ_LIBFUZZER
#define FUZZ_TARGET(name)                                          \
  int fuzz_##name(const uint8_t *data, size_t size);               \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)     \
  {                                                                \
    return fuzz_##name(data, size);                                \
  }                                                                \
  int fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) int fuzz_##name(const uint8_t *data, size_t size)
#endif

static inline void __attribute__((noreturn)) fuzz_fail(const char *what, const char *detail)
{
  fprintf(stderr, "fuzz property broken: %s\n%s\n", what, detail ? detail : "");
  abort();
}

#endif

/*
** fuzz.h: shared bits of the libFuzzer targets in fuzz/fuzz_*.c.
**
** FZ_CHECK states a property the code under test must keep for every input;
** a broken one prints the condition and aborts, which libFuzzer reports as a
** crash (and saves the input), like a sanitizer finding.
*/
#ifndef REMDB_FUZZ_H
#define REMDB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond, ...)                                              \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: property failed: %s\n  ", __FILE__,       \
              __LINE__, #cond);                                          \
      fprintf(stderr, __VA_ARGS__);                                      \
      fputc('\n', stderr);                                               \
      abort();                                                           \
    }                                                                    \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif

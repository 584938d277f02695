/*
** test.h: the unit-test harness.  CHECK-style macros that stay on in every
** build (they are not assert()), count passes and failures, and print the
** location and expression of each failure.  Each test program ends with
** `return test_done("name");`, which prints "N passed, N failed".
*/
#ifndef REMDB_TEST_H
#define REMDB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond) {                                                            \
      t_pass++;                                                            \
    } else {                                                               \
      t_fail++;                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,     \
              #cond);                                                      \
    }                                                                      \
  } while (0)

#define CHECK_INT(a, b)                                                    \
  do {                                                                     \
    long long va_ = (long long)(a), vb_ = (long long)(b);                  \
    if (va_ == vb_) {                                                      \
      t_pass++;                                                            \
    } else {                                                               \
      t_fail++;                                                            \
      fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__,      \
              __LINE__, #a, va_, vb_);                                     \
    }                                                                      \
  } while (0)

#define CHECK_STR(a, b)                                                    \
  do {                                                                     \
    const char *sa_ = (a), *sb_ = (b);                                     \
    if (sa_ && sb_ && strcmp(sa_, sb_) == 0) {                             \
      t_pass++;                                                            \
    } else {                                                               \
      t_fail++;                                                            \
      fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,  \
              __LINE__, #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");   \
    }                                                                      \
  } while (0)

/* haystack contains needle */
#define CHECK_HAS(hay, needle)                                             \
  do {                                                                     \
    const char *ha_ = (hay), *ne_ = (needle);                              \
    if (ha_ && strstr(ha_, ne_)) {                                         \
      t_pass++;                                                            \
    } else {                                                               \
      t_fail++;                                                            \
      fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, \
              __LINE__, ha_ ? ha_ : "(null)", ne_);                        \
    }                                                                      \
  } while (0)

static inline int test_done(const char *name) {
  printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
  return t_fail ? 1 : 0;
}

#endif

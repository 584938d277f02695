/*
** test.h: the unit-test harness.  CHECK-style macros that stay on in every
** build (they are not assert()), count passes and failures, and print the
** location and expression of each failure with the name of the case it
** happened in.
**
** A program registers named cases and hands over to test_main:
**
**   TEST_CASE(test_basics);                 a case of its own
**   TEST_CASE_AFTER(test_batch, test_life); a case that needs the state an
**                                           earlier case leaves
**   return test_main(argc, argv, "test_x");
**
**   build/tests/test_x                 every case, in order
**   build/tests/test_x test_batch ...  those cases (after the ones they
**                                      need), so one case runs alone
**   build/tests/test_x --list          the names
**
** It prints "N passed, N failed" and the names of the cases that failed.
*/
#ifndef REMDB_TEST_H
#define REMDB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail;
static const char *t_case = "-"; /* the running case */

#define T_FAILED(...)                                                      \
  do {                                                                     \
    t_fail++;                                                              \
    fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, t_case);           \
    fprintf(stderr, __VA_ARGS__);                                          \
    fputc('\n', stderr);                                                   \
  } while (0)

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond)                                                              \
      t_pass++;                                                            \
    else                                                                   \
      T_FAILED("CHECK failed: %s", #cond);                                 \
  } while (0)

#define CHECK_INT(a, b)                                                    \
  do {                                                                     \
    long long va_ = (long long)(a), vb_ = (long long)(b);                  \
    if (va_ == vb_)                                                        \
      t_pass++;                                                            \
    else                                                                   \
      T_FAILED("%s == %lld, expected %lld", #a, va_, vb_);                 \
  } while (0)

#define CHECK_STR(a, b)                                                    \
  do {                                                                     \
    const char *sa_ = (a), *sb_ = (b);                                     \
    if (sa_ && sb_ && strcmp(sa_, sb_) == 0)                               \
      t_pass++;                                                            \
    else                                                                   \
      T_FAILED("%s == \"%s\", expected \"%s\"", #a, sa_ ? sa_ : "(null)",  \
               sb_ ? sb_ : "(null)");                                      \
  } while (0)

/* haystack contains needle */
#define CHECK_HAS(hay, needle)                                             \
  do {                                                                     \
    const char *ha_ = (hay), *ne_ = (needle);                              \
    if (ha_ && strstr(ha_, ne_))                                           \
      t_pass++;                                                            \
    else                                                                   \
      T_FAILED("\"%s\" does not contain \"%s\"", ha_ ? ha_ : "(null)",     \
               ne_);                                                       \
  } while (0)

/* ---- named cases -------------------------------------------------------- */

#define T_MAX_CASES 64
static struct t_entry {
  const char *name;
  void (*fn)(void);
  int after;     /* index of the case it needs, or -1 */
  int failures;  /* failed checks while it ran */
  int run;       /* chosen to run */
} t_cases[T_MAX_CASES];
static int t_ncases;

static inline int t_find(const char *name) {
  for (int i = 0; i < t_ncases; i++)
    if (strcmp(t_cases[i].name, name) == 0) return i;
  return -1;
}

static inline void test_add(const char *name, void (*fn)(void),
                            const char *after) {
  if (t_ncases == T_MAX_CASES) {
    fprintf(stderr, "test.h: more than %d cases\n", T_MAX_CASES);
    exit(2);
  }
  int dep = after ? t_find(after) : -1;
  if (after && dep < 0) {
    fprintf(stderr, "test.h: %s needs %s, not registered before it\n",
            name, after);
    exit(2);
  }
  t_cases[t_ncases++] = (struct t_entry){name, fn, dep, 0, 0};
}

#define TEST_CASE(fn) test_add(#fn, fn, NULL)
#define TEST_CASE_AFTER(fn, dep) test_add(#fn, fn, #dep)

static inline int test_done(const char *name) {
  printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
  return t_fail ? 1 : 0;
}

/* Run the cases argv names (all without names), each after the cases it
** needs; report, and return the exit status. */
static inline int test_main(int argc, char **argv, const char *program) {
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    for (int i = 0; i < t_ncases; i++) printf("%s\n", t_cases[i].name);
    return 0;
  }
  for (int a = 1; a < argc; a++) {
    int i = t_find(argv[a]);
    if (i < 0) {
      fprintf(stderr, "%s: no case %s (--list shows them)\n", program,
              argv[a]);
      return 2;
    }
    for (; i >= 0; i = t_cases[i].after) t_cases[i].run = 1;
  }
  for (int i = 0; i < t_ncases; i++) {
    if (argc > 1 && !t_cases[i].run) continue;
    int before = t_fail;
    t_case = t_cases[i].name;
    t_cases[i].fn();
    t_case = "-";
    t_cases[i].failures = t_fail - before;
  }
  int rc = test_done(program);
  for (int i = 0; i < t_ncases; i++)
    if (t_cases[i].failures)
      fprintf(stderr, "%s: case %s: %d failed\n", program, t_cases[i].name,
              t_cases[i].failures);
  return rc;
}

#endif

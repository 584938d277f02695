/* testdb.h: helpers for tests that need a database directory. */
#ifndef REMDB_TESTDB_H
#define REMDB_TESTDB_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f) {
  (void)st;
  (void)flag;
  (void)f;
  return remove(p);
}

/* Remove a directory tree (test scratch only). */
static inline void rm_tree(const char *dir) {
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh scratch directory path under $TMPDIR, not yet created. */
static inline void scratch_dir(char *out, size_t n, const char *tag) {
  const char *tmp = getenv("TMPDIR");
  snprintf(out, n, "%s/remdb-%s-%d", tmp && *tmp ? tmp : "/tmp", tag,
           (int)getpid());
  rm_tree(out);
}

#endif

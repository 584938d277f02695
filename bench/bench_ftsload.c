/*
** bench_ftsload.c: the CPU time of bench_ftsdb's build alone (the chunks
** inserted in batches of 1000, no fsync), with and without the full-text
** index, and FTS5's: getrusage user+system of each load, best of
** REMDB_BENCH_ROUNDS (default 3), so a profile (perf, callgrind) sees only
** the load.  REMDB_BENCH_FTS_PAGES caps the pages (1500: 20205 chunks);
** REMDB_BENCH_ONLY=fts|plain|fts5 runs one side (for a profiler).
** Not part of make bench: a measuring tool for the full-text write path.
*/
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fts_corpus.h"
#include "remdb.h"
#include "util/util.h"

#define BATCH 1000

static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 +
         (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void die(remdb *db, const char *what) {
  fprintf(stderr, "bench_ftsload: %s: %s\n", what, db ? remdb_errmsg(db) : "");
  exit(1);
}

static int section_of(const char *title) {
  const char *d = strrchr(title, '.');
  return d ? atoi(d + 1) : 0;
}

static double load_remdb(const char *dir, bool fulltext) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) exit(1);
  remdb_options o;
  remdb_options_init(&o);
  o.sync = REMDB_SYNC_NONE;
  remdb *db = NULL;
  if (remdb_open(dir, "bench", &o, &db) != REMDB_OK) die(db, "open");
  char s[1024];
  snprintf(s, sizeof s,
           "{\"name\":\"man\",\"properties\":{\"n\":{\"type\":\"integer\"},"
           "\"section\":{\"type\":\"integer\"},\"title\":{\"type\":\"string\"},"
           "\"content\":{\"type\":\"string\"}}%s}",
           fulltext ? ",\"fulltext\":{\"fields\":[\"title\",\"content\"],"
                      "\"language\":\"none\",\"stemmer\":false,"
                      "\"tokenizer\":\"unicode61\"}"
                    : "");
  if (remdb_schema_put(db, s, strlen(s))) die(db, "schema");
  remdb_batch *b;
  if (remdb_batch_begin(db, &b)) die(db, "batch");
  buf_t row;
  buf_init(&row);
  double c0 = cpu();
  size_t n = 0;
  for (size_t i = 0; i < ndocs; i++) {
    row.len = 0;
    buf_addf(&row, "{\"n\":%zu,\"section\":%d,\"title\":", ++n,
             section_of(docs[i].title));
    buf_add_json_str(&row, docs[i].title, strlen(docs[i].title));
    buf_adds(&row, ",\"content\":");
    buf_add_json_str(&row, docs[i].text, docs[i].len);
    buf_addc(&row, '}');
    if (remdb_batch_insert(b, "man", row.p, row.len, NULL)) die(db, "insert");
    if (n % BATCH == 0 && remdb_batch_commit(b, 0)) die(db, "commit");
  }
  if (remdb_batch_commit(b, 0)) die(db, "commit");
  double t = cpu() - c0;
  remdb_batch_free(b);
  buf_free(&row);
  remdb_close(db);
  return t;
}

static double load_fts5(const char *path) {
  unlink(path);
  sqlite3 *s;
  if (sqlite3_open(path, &s)) exit(1);
  sqlite3_exec(s, "PRAGMA synchronous=OFF; CREATE VIRTUAL TABLE man USING "
                  "fts5(title, content)", 0, 0, 0);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(s, "INSERT INTO man(title, content) VALUES (?, ?)", -1,
                     &st, 0);
  double c0 = cpu();
  sqlite3_exec(s, "BEGIN", 0, 0, 0);
  for (size_t i = 0; i < ndocs; i++) {
    sqlite3_bind_text(st, 1, docs[i].title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, docs[i].text, (int)docs[i].len, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_reset(st);
    if ((i + 1) % BATCH == 0) {
      sqlite3_exec(s, "COMMIT", 0, 0, 0);
      sqlite3_exec(s, "BEGIN", 0, 0, 0);
    }
  }
  sqlite3_exec(s, "COMMIT", 0, 0, 0);
  double t = cpu() - c0;
  sqlite3_finalize(st);
  sqlite3_close(s);
  return t;
}

int main(void) {
  const char *mp = getenv("REMDB_BENCH_FTS_PAGES");
  const char *only = getenv("REMDB_BENCH_ONLY");
  const char *rs = getenv("REMDB_BENCH_ROUNDS");
  int rounds = rs ? atoi(rs) : 3;
  load(FTS_DEFAULT_MAN, mp ? (size_t)atol(mp) : 1500);
  const char *tmp = getenv("TMPDIR");
  char base[512], d1[600], d2[600], f5[600];
  snprintf(base, sizeof base, "%s/remdb-bench-ftsload-%d",
           tmp && *tmp ? tmp : "/tmp", (int)getpid());
  mkdir(base, 0700);
  snprintf(d1, sizeof d1, "%s/fts", base);
  snprintf(d2, sizeof d2, "%s/plain", base);
  snprintf(f5, sizeof f5, "%s/fts5.db", base);
  double tf = INFINITY, tp = INFINITY, t5 = INFINITY;
  for (int r = 0; r < rounds; r++) {
    double t;
    if (!only || !strcmp(only, "fts"))
      if ((t = load_remdb(d1, true)) < tf) tf = t;
    if (!only || !strcmp(only, "plain"))
      if ((t = load_remdb(d2, false)) < tp) tp = t;
    if (!only || !strcmp(only, "fts5"))
      if ((t = load_fts5(f5)) < t5) t5 = t;
  }
  char load_avg[64] = "?";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (!fgets(load_avg, sizeof load_avg, lf)) load_avg[0] = 0;
    load_avg[strcspn(load_avg, " ")] = 0;
    fclose(lf);
  }
  printf("%zu chunks, CPU s (best of %d), load %s: remdb+fts %.3f  records "
         "only %.3f  index %.3f  FTS5 %.3f  build ratio (FTS5/remdb) %.2fx\n",
         ndocs, rounds, load_avg, tf, tp, tf - tp, t5, t5 / tf);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0) return 1;
  corpus_free();
  return 0;
}

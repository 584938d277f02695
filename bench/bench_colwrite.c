/*
** bench_colwrite.c: the write path's cost of the columnar copy (issue 11).
** Single-row writes through the public API, one transaction each, without
** fsync (REMDB_SYNC_NONE, so the figure is the engine's work, not the
** disk's): N inserts, then N updates of random rows (merge patches of two
** fields), then a bulk insert of N rows in batches of 1000, on an
** "issues" table with three indexed fields, with its columns on and with
** "columnar": false.  A build without columns reads "columnar" as an
** annotation, so the same program measures the build before them.
** Median of REMDB_BENCH_REPS (default 3) runs; N = REMDB_BENCH_N (default
** 100,000).  REMDB_BENCH_CPU=1 rates by the process's CPU time (all
** threads) instead of the wall clock, steadier on a busy machine.
** REMDB_BENCH_ONLY=on or off runs one side only (for callgrind), and
** REMDB_BENCH_BULK_ONLY=1 the bulk insert only (into an empty table),
** REMDB_BENCH_INSERT_ONLY=1 the single-row inserts only;
** REMDB_BENCH_THREADS=1 prints each phase's CPU seconds, the writing
** thread's and the background threads'; REMDB_BENCH_NOVERIFY=1 skips the
** closing verify (profiles of the writes).
** Prints a markdown table.
*/
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"
#include "remdb.h"

static void die(const char *what, remdb *db) {
  fprintf(stderr, "error: %s: %s\n", what, db ? remdb_errmsg(db) : "");
  exit(1);
}

static const char *schema_fmt =
    "{\"name\":\"issues\",%s\"indexed_fields\":[\"status\",\"priority\","
    "\"assignee\"],\"properties\":{\"title\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"string\"},\"priority\":{\"type\":\"integer\"},"
    "\"assignee\":{\"type\":\"string\"},\"opened_at\":{\"type\":\"string\","
    "\"format\":\"date-time\"},\"score\":{\"type\":\"number\"}}}";

/* CPU seconds of the process (every thread: RocksDB's flushes count), a
** steadier measure than the wall clock on a shared machine. */
static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
         (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}
/* CPU seconds of the calling thread alone (the writes, without RocksDB's
** background flushes and compactions) */
static double cpu_self(void) {
  struct rusage u;
  getrusage(RUSAGE_THREAD, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
         (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}
static bool use_cpu;
static double clock_now(void) { return use_cpu ? cpu() : now(); }

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* One run: rates (rows/s) of single inserts, updates and bulk inserts. */
static void run(long n, bool columnar, double out[3]) {
  char dir[] = "/tmp/remdb-colwrite-XXXXXX";
  if (!mkdtemp(dir)) die("mkdtemp", NULL);
  remdb_options o;
  remdb_options_init(&o);
  o.sync = REMDB_SYNC_NONE;
  remdb *db;
  if (remdb_open(dir, "default", &o, &db) != REMDB_OK) die("open", db);
  char s[1024], js[512];
  snprintf(s, sizeof s, schema_fmt, columnar ? "" : "\"columnar\":false,");
  if (remdb_schema_put(db, s, strlen(s)) != REMDB_OK) die("schema", db);
  static const char *const st[] = {"open", "closed", "triage", "blocked"};
  char (*ids)[REMDB_ID_LEN + 1] = malloc((size_t)n * (REMDB_ID_LEN + 1));
  uint64_t r = 42;
  /* REMDB_BENCH_BULK_ONLY: the bulk insert alone (for a profiler's run) */
  long n1 = getenv("REMDB_BENCH_BULK_ONLY") ? 0 : n;
  /* REMDB_BENCH_INSERT_ONLY: the single-row inserts alone */
  long n2 = getenv("REMDB_BENCH_INSERT_ONLY") ? 0 : n1;
  long n3 = getenv("REMDB_BENCH_INSERT_ONLY") ? 0 : n;
  double t0 = clock_now(), w0 = cpu_self(), a0 = cpu();
  for (long i = 0; i < n1; i++) {
    int len = snprintf(js, sizeof js,
                       "{\"title\":\"issue %ld\",\"status\":\"%s\","
                       "\"priority\":%d,\"assignee\":\"user%d\","
                       "\"opened_at\":\"2024-%02d-%02dT10:00:00Z\","
                       "\"score\":%d.5}",
                       i, st[xorshift64(&r) % 4], (int)(xorshift64(&r) % 5),
                       (int)(xorshift64(&r) % 10000),
                       1 + (int)(xorshift64(&r) % 12),
                       1 + (int)(xorshift64(&r) % 28), (int)(i % 100));
    if (remdb_insert(db, "issues", js, (size_t)len, ids[i]) != REMDB_OK)
      die("insert", db);
  }
  double t1 = clock_now(), w1 = cpu_self(), a1 = cpu();
  for (long i = 0; i < n2; i++) {
    int len = snprintf(js, sizeof js, "{\"status\":\"%s\",\"score\":%ld.25}",
                       st[xorshift64(&r) % 4], i % 1000);
    if (remdb_update(db, ids[xorshift64(&r) % (uint64_t)n], js,
                     (size_t)len) != REMDB_OK)
      die("update", db);
  }
  double t2 = clock_now(), w2 = cpu_self(), a2 = cpu();
  remdb_batch *b = NULL;
  for (long i = 0; i < n3; i++) {
    if (b == NULL && remdb_batch_begin(db, &b) != REMDB_OK) die("batch", db);
    int len = snprintf(js, sizeof js,
                       "{\"title\":\"bulk %ld\",\"status\":\"%s\","
                       "\"priority\":%d,\"assignee\":\"user%d\","
                       "\"opened_at\":\"2023-05-05T10:00:00Z\","
                       "\"score\":1.5}",
                       i, st[i % 4], (int)(i % 5), (int)(i % 10000));
    if (remdb_batch_insert(b, "issues", js, (size_t)len, NULL) != REMDB_OK)
      die("batch insert", db);
    if ((i + 1) % 1000 == 0 || i == n3 - 1) {
      if (remdb_batch_commit(b, 0) != REMDB_OK) die("commit", db);
      remdb_batch_free(b);
      b = NULL;
    }
  }
  double t3 = clock_now(), w3 = cpu_self(), a3 = cpu();
  /* REMDB_BENCH_THREADS=1: each phase's CPU seconds, the writer's own and
  ** the background threads' (flushes, compactions) */
  if (getenv("REMDB_BENCH_THREADS"))
    fprintf(stderr,
            "columnar %d: CPU s writer + background: insert %.3f + %.3f, "
            "update %.3f + %.3f, bulk %.3f + %.3f\n",
            columnar, w1 - w0, (a1 - a0) - (w1 - w0), w2 - w1,
            (a2 - a1) - (w2 - w1), w3 - w2, (a3 - a2) - (w3 - w2));
  out[0] = (double)n / (t1 - t0);
  out[1] = (double)n / (t2 - t1);
  out[2] = (double)n / (t3 - t2);
  uint64_t problems = 0;
  /* REMDB_BENCH_NOVERIFY: skip the check (a profiler's run of the writes) */
  if (!getenv("REMDB_BENCH_NOVERIFY") &&
      (remdb_verify(db, NULL, NULL, &problems) != REMDB_OK || problems))
    die("verify", db);
  remdb_close(db);
  free(ids);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) die("rm", NULL);
}

int main(void) {
  long n = getenv("REMDB_BENCH_N") ? atol(getenv("REMDB_BENCH_N")) : 100000;
  int reps = getenv("REMDB_BENCH_REPS") ? atoi(getenv("REMDB_BENCH_REPS")) : 5;
  if (n < 1 || reps < 1 || reps > 99) die("REMDB_BENCH_N/REPS", NULL);
  use_cpu = getenv("REMDB_BENCH_CPU") != NULL;
  /* REMDB_BENCH_ONLY=on|off: one side only (for a profiler's run) */
  const char *only = getenv("REMDB_BENCH_ONLY");
  double res[2][3][99] = {{{0}}};
  for (int k = 0; k < reps; k++)
    for (int c = 1; c >= 0; c--) { /* interleaved */
      if (only && strcmp(only, c ? "on" : "off") != 0) continue;
      double o[3];
      run(n, c, o);
      for (int j = 0; j < 3; j++) res[c][j][k] = o[j];
      fprintf(stderr, "rep %d columnar %d: %.0f %.0f %.0f rows/s\n", k, c,
              o[0], o[1], o[2]);
    }
  static const char *const what[] = {"single-row insert", "single-row update",
                                     "bulk insert (batches of 1000)"};
  printf("| operation (N = %ld, median of %d, no fsync, per %s second) | "
         "columns on | \"columnar\": false | on / off | each run's on / "
         "off (median, lowest-highest) |\n|---|---|---|---|---|\n",
         n, reps, use_cpu ? "CPU" : "wall-clock");
  for (int j = 0; j < 3; j++) {
    /* each rep's pair ran back to back: its ratio is less swayed by the
    ** machine's load drifting over the whole run */
    double pr[99];
    for (int k = 0; k < reps; k++)
      pr[k] = res[0][j][k] > 0 ? res[1][j][k] / res[0][j][k] : 0;
    qsort(pr, (size_t)reps, sizeof(double), cmp_d);
    qsort(res[1][j], (size_t)reps, sizeof(double), cmp_d);
    qsort(res[0][j], (size_t)reps, sizeof(double), cmp_d);
    double on = res[1][j][reps / 2], off = res[0][j][reps / 2];
    printf("| %s (rows/s) | %.0f | %.0f | %.2f | %.2f (%.2f-%.2f) |\n",
           what[j], on, off, on / off, pr[reps / 2], pr[0], pr[reps - 1]);
  }
  return 0;
}

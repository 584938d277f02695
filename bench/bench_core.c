/*
** bench_core.c: core-engine benchmarks for `make bench`.  N "issues"
** (default 1,000,000; REMDB_BENCH_N overrides; REMDB_BENCH_REPS sets the
** insert repetitions, default 3) with six properties (title, status,
** priority, assignee, created, score) and three indexed fields (status,
** priority, assignee), generated from a fixed seed, so every run and every
** engine sees the same rows.  Measured in one run, against peers:
**
**   1. bulk insert through remdb_batch_* (commit every 1000 rows, no
**      fsync; final commit fsync) vs raw RocksDB puts of the same JSON
**      under random 16-byte keys (write batches of 1000, no fsync) and vs
**      SQLite (same columns and indexes, prepared statements, 1000 rows a
**      transaction, WAL, synchronous=NORMAL).  Median entities/s.
**   2. get by id: the same 100,000 random picks of the inserted rows,
**      remdb_get + remdb_free vs rocksdb_get + rocksdb_free of the raw
**      database of step 1.  Median ns/op.
**   3. peak RSS of a remdb bulk insert of N rows, in a forked child that
**      generates its rows on the fly (VmHWM; ru_maxrss shown too).
**
** Progress goes to stderr; stdout gets the markdown table only.  Any
** failure prints `error: ...` and exits 1.  All files live in a mkdtemp
** directory under /tmp that is removed at exit.
*/

#include <ftw.h>
#include <rocksdb/c.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "remdb.h"

#define USERS 10000
#define BATCH 1000
#define GETS 100000
#define GET_PASSES 5
#define SEED 0x5eed2024c0ffee11ull

/* ---- utilities ---------------------------------------------------------- */

static char tmpdir[64];
static pid_t owner_pid;

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void cleanup(void) {
  if (tmpdir[0] && getpid() == owner_pid) {
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = 0;
  }
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* RocksDB error check: errptr set means failure; the string is freed. */
static void rck(char *err, const char *what) {
  if (err != NULL) {
    fprintf(stderr, "error: rocksdb %s: %s\n", what, err);
    rocksdb_free(err);
    exit(1);
  }
}

static void sqck(sqlite3 *db, int rc, int want, const char *what) {
  if (rc != want) die("sqlite %s: %s", what, sqlite3_errmsg(db));
}

static void sq_exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "error: sqlite %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    exit(1);
  }
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) die("out of memory (%zu bytes)", n);
  return p;
}

/* the median of v, which stays as it is */
static double median_of(const double *v, int n) {
  double *s = xmalloc((size_t)n * sizeof *s);
  memcpy(s, v, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, cmp_double);
  double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free(s);
  return m;
}

static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static void progress(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench_core: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- data --------------------------------------------------------------- */

static const char *const statuses[4] = {"open", "in_progress", "blocked",
                                        "closed"};
static const char *const verbs[8] = {"Fix",    "Refactor", "Investigate",
                                     "Speed up", "Document", "Remove",
                                     "Test",   "Review"};
static const char *const nouns[16] = {
    "login flow",  "session cache",  "vector index", "schema loader",
    "query planner", "export job",   "retry logic",  "memory leak",
    "rate limiter", "graph walker",  "token budget", "audit log",
    "sync worker", "backup script",  "embedding call", "date parser"};
static const char *const places[8] = {"in api",    "on startup", "for tenants",
                                      "in the cli", "under load", "in tests",
                                      "on import", "in search"};

typedef struct row {
  char title[64];
  char created[48];
  uint8_t status, priority;
  uint16_t assignee;
  double score;
} row;

/* Row i, a pure function of i and the seed. */
static void gen_row(long i, row *r) {
  uint64_t a = splitmix(SEED ^ (uint64_t)i);
  uint64_t b = splitmix(a);
  snprintf(r->title, sizeof r->title, "%s %s %s #%ld", verbs[a % 8],
           nouns[(a >> 3) % 16], places[(a >> 7) % 8], i);
  r->status = (uint8_t)((a >> 10) % 4);
  r->priority = (uint8_t)(1 + (a >> 12) % 5);
  r->assignee = (uint16_t)((a >> 16) % USERS);
  r->score = (double)((b >> 8) % 100000) / 100.0;
  unsigned day = (unsigned)(b >> 32) % 365, sec = (unsigned)(b >> 41) % 86400;
  static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
  int m = 0;
  while (day >= (unsigned)mdays[m]) day -= (unsigned)mdays[m++];
  snprintf(r->created, sizeof r->created, "2025-%02d-%02uT%02u:%02u:%02uZ",
           m + 1, day + 1, sec / 3600, sec / 60 % 60, sec % 60);
}

static int row_json(const row *r, char *out, size_t cap) {
  int len = snprintf(out, cap,
                     "{\"title\":\"%s\",\"status\":\"%s\",\"priority\":%u,"
                     "\"assignee\":\"user%05u\",\"created\":\"%s\","
                     "\"score\":%.2f}",
                     r->title, statuses[r->status], (unsigned)r->priority,
                     (unsigned)r->assignee, r->created, r->score);
  if (len < 0 || (size_t)len >= cap) die("row JSON longer than %zu", cap);
  return len;
}

static const char *const issues_schema =
    "{\"name\":\"issues\",\"description\":\"bench_core issues\","
    "\"properties\":{"
    "\"title\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"string\",\"enum\":[\"open\",\"in_progress\","
    "\"blocked\",\"closed\"]},"
    "\"priority\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
    "\"assignee\":{\"type\":\"string\"},"
    "\"created\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"score\":{\"type\":\"number\"}},"
    "\"required\":[\"title\",\"status\",\"priority\"],"
    "\"indexed_fields\":[\"status\",\"priority\",\"assignee\"]}";

/* ---- remdb -------------------------------------------------------------- */

static remdb *remdb_create(const char *path) {
  remdb_options o;
  remdb_options_init(&o); /* defaults: 64 MiB cache, 32 MiB write buffer */
  remdb *db = NULL;
  if (remdb_open(path, "bench", &o, &db) != REMDB_OK)
    die("remdb_open %s: %s", path, remdb_errmsg(db));
  if (remdb_schema_put(db, issues_schema, strlen(issues_schema)) != REMDB_OK)
    die("remdb_schema_put: %s", remdb_errmsg(db));
  return db;
}

/* Insert rows [0, n): from the pregenerated JSON texts when json != NULL,
** else generated on the fly.  Ids go to ids[i*37] when ids != NULL. */
static void remdb_load(remdb *db, long n, const char *json,
                       const size_t *off, char *ids) {
  remdb_batch *b = NULL;
  if (remdb_batch_begin(db, &b) != REMDB_OK)
    die("remdb_batch_begin: %s", remdb_errmsg(db));
  char buf[512], idbuf[REMDB_ID_LEN + 1];
  for (long i = 0; i < n; i++) {
    const char *j;
    size_t len;
    if (json) {
      j = json + off[i];
      len = off[i + 1] - off[i];
    } else {
      row r;
      gen_row(i, &r);
      len = (size_t)row_json(&r, buf, sizeof buf);
      j = buf;
    }
    char *id = ids ? ids + (size_t)i * (REMDB_ID_LEN + 1) : idbuf;
    if (remdb_batch_insert(b, "issues", j, len, id) != REMDB_OK)
      die("remdb_batch_insert row %ld: %s", i, remdb_errmsg(db));
    if (remdb_batch_count(b) >= BATCH && remdb_batch_commit(b, 0) != REMDB_OK)
      die("remdb_batch_commit: %s", remdb_errmsg(db));
  }
  if (remdb_batch_commit(b, 1) != REMDB_OK)
    die("remdb_batch_commit (final, sync): %s", remdb_errmsg(db));
  remdb_batch_free(b);
}

/* ---- raw RocksDB peer --------------------------------------------------- */

typedef struct raw {
  rocksdb_t *db;
  rocksdb_options_t *opts;
  rocksdb_block_based_table_options_t *bbt;
  rocksdb_cache_t *cache;
  rocksdb_writeoptions_t *wo;
  rocksdb_readoptions_t *ro;
} raw;

/* The options remdb gives its entity column family (src/kv/kv.c): LZ4,
** 32 MiB write buffer, 64 MiB LRU block cache, bloom filter, data-block
** hash index, 8 KiB blocks, restart interval 4, 2 background jobs. */
static void raw_open(raw *r, const char *path) {
  r->cache = rocksdb_cache_create_lru(64u << 20);
  r->bbt = rocksdb_block_based_options_create();
  rocksdb_block_based_options_set_block_cache(r->bbt, r->cache);
  rocksdb_block_based_options_set_block_size(r->bbt, 8 * 1024);
  rocksdb_block_based_options_set_cache_index_and_filter_blocks(r->bbt, 1);
  rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(
      r->bbt, 1);
  rocksdb_block_based_options_set_filter_policy(
      r->bbt, rocksdb_filterpolicy_create_bloom_full(10));
  rocksdb_block_based_options_set_data_block_index_type(
      r->bbt, rocksdb_block_based_table_data_block_index_type_binary_search_and_hash);
  rocksdb_block_based_options_set_data_block_hash_ratio(r->bbt, 0.75);
  rocksdb_block_based_options_set_block_restart_interval(r->bbt, 4);
  r->opts = rocksdb_options_create();
  rocksdb_options_set_create_if_missing(r->opts, 1);
  rocksdb_options_set_block_based_table_factory(r->opts, r->bbt);
  rocksdb_options_set_write_buffer_size(r->opts, 32u << 20);
  rocksdb_options_set_compression(r->opts, rocksdb_lz4_compression);
  rocksdb_options_set_level_compaction_dynamic_level_bytes(r->opts, 1);
  rocksdb_options_set_max_background_jobs(r->opts, 2);
  rocksdb_options_set_max_open_files(r->opts, 512);
  rocksdb_options_set_info_log_level(r->opts, 2);
  char *err = NULL;
  r->db = rocksdb_open(r->opts, path, &err);
  rck(err, "open");
  r->wo = rocksdb_writeoptions_create();
  rocksdb_writeoptions_set_sync(r->wo, 0);
  r->ro = rocksdb_readoptions_create();
}

static void raw_close(raw *r) {
  if (r->db) rocksdb_close(r->db);
  rocksdb_writeoptions_destroy(r->wo);
  rocksdb_readoptions_destroy(r->ro);
  rocksdb_options_destroy(r->opts);
  rocksdb_block_based_options_destroy(r->bbt);
  rocksdb_cache_destroy(r->cache);
  memset(r, 0, sizeof *r);
}

static void raw_load(raw *r, long n, const char *json, const size_t *off,
                     const unsigned char *keys) {
  rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
  char *err = NULL;
  for (long i = 0; i < n; i++) {
    rocksdb_writebatch_put(wb, (const char *)keys + (size_t)i * 16, 16,
                           json + off[i], off[i + 1] - off[i]);
    if (rocksdb_writebatch_count(wb) >= BATCH) {
      rocksdb_write(r->db, r->wo, wb, &err);
      rck(err, "write");
      rocksdb_writebatch_clear(wb);
    }
  }
  if (rocksdb_writebatch_count(wb) > 0) {
    rocksdb_write(r->db, r->wo, wb, &err);
    rck(err, "write");
  }
  rocksdb_writebatch_destroy(wb);
}

/* ---- SQLite peer -------------------------------------------------------- */

static double sqlite_load(const char *path, long n, const row *rows) {
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK)
    die("sqlite open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
  sq_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
              "PRAGMA cache_size=-65536;" /* 64 MiB, as remdb's cache */
              "CREATE TABLE issues(title TEXT, status TEXT, priority INTEGER,"
              " assignee TEXT, created TEXT, score REAL);"
              "CREATE INDEX issues_status ON issues(status);"
              "CREATE INDEX issues_priority ON issues(priority);"
              "CREATE INDEX issues_assignee ON issues(assignee);");
  sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
  sqck(db,
       sqlite3_prepare_v2(db, "INSERT INTO issues VALUES (?,?,?,?,?,?)", -1,
                          &ins, NULL),
       SQLITE_OK, "prepare insert");
  sqck(db, sqlite3_prepare_v2(db, "BEGIN", -1, &begin, NULL), SQLITE_OK,
       "prepare begin");
  sqck(db, sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), SQLITE_OK,
       "prepare commit");
  char user[16];
  double t0 = now();
  for (long i = 0; i < n; i++) {
    const row *r = &rows[i];
    if (i % BATCH == 0) {
      sqck(db, sqlite3_step(begin), SQLITE_DONE, "begin");
      sqck(db, sqlite3_reset(begin), SQLITE_OK, "reset");
    }
    snprintf(user, sizeof user, "user%05u", (unsigned)r->assignee);
    sqck(db, sqlite3_bind_text(ins, 1, r->title, -1, SQLITE_STATIC),
         SQLITE_OK, "bind");
    sqck(db, sqlite3_bind_text(ins, 2, statuses[r->status], -1, SQLITE_STATIC),
         SQLITE_OK, "bind");
    sqck(db, sqlite3_bind_int(ins, 3, r->priority), SQLITE_OK, "bind");
    sqck(db, sqlite3_bind_text(ins, 4, user, -1, SQLITE_STATIC), SQLITE_OK,
         "bind");
    sqck(db, sqlite3_bind_text(ins, 5, r->created, -1, SQLITE_STATIC),
         SQLITE_OK, "bind");
    sqck(db, sqlite3_bind_double(ins, 6, r->score), SQLITE_OK, "bind");
    sqck(db, sqlite3_step(ins), SQLITE_DONE, "insert");
    sqck(db, sqlite3_reset(ins), SQLITE_OK, "reset");
    if (i % BATCH == BATCH - 1 || i == n - 1) {
      sqck(db, sqlite3_step(commit), SQLITE_DONE, "commit");
      sqck(db, sqlite3_reset(commit), SQLITE_OK, "reset");
    }
  }
  double t = now() - t0;
  sqlite3_finalize(ins);
  sqlite3_finalize(begin);
  sqlite3_finalize(commit);
  sqlite3_stmt *cnt = NULL;
  sqck(db, sqlite3_prepare_v2(db, "SELECT count(*) FROM issues", -1, &cnt,
                              NULL),
       SQLITE_OK, "prepare count");
  sqck(db, sqlite3_step(cnt), SQLITE_ROW, "count");
  if (sqlite3_column_int64(cnt, 0) != n)
    die("sqlite holds %lld rows, want %ld",
        (long long)sqlite3_column_int64(cnt, 0), n);
  sqlite3_finalize(cnt);
  if (sqlite3_close(db) != SQLITE_OK) die("sqlite close");
  return t;
}

/* ---- peak RSS of a remdb bulk insert, in a child ------------------------ */

static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  long v = -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
      v = atol(line + fl + 1);
      break;
    }
  fclose(f);
  return v;
}

typedef struct rss_result {
  long hwm_kb, base_kb, maxrss_kb;
  double seconds;
} rss_result;

/* Fork before the big arrays exist, so the child starts small; it
** generates rows one at a time and reports VmHWM through a pipe. */
static rss_result rss_child(long n) {
  rss_result res = {-1, -1, -1, 0};
  char path[128];
  snprintf(path, sizeof path, "%s/rss", tmpdir);
  int fd[2];
  if (pipe(fd) != 0) die("pipe failed");
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    close(fd[0]);
    long base = status_kb("VmRSS");
    double t0 = now();
    remdb *db = remdb_create(path);
    remdb_load(db, n, NULL, NULL, NULL);
    remdb_close(db);
    rss_result r = {status_kb("VmHWM"), base, -1, now() - t0};
    if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
    _exit(0);
  }
  close(fd[1]);
  ssize_t got = read(fd[0], &res, sizeof res);
  close(fd[0]);
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) != pid) die("wait4 failed");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != (ssize_t)sizeof res)
    die("the RSS child (remdb bulk insert) failed");
  res.maxrss_kb = ru.ru_maxrss;
  return res;
}

/* ---- main --------------------------------------------------------------- */

static void fmt_count(double v, char *out, size_t cap) {
  long x = (long)(v + 0.5);
  char tmp[32];
  int len = snprintf(tmp, sizeof tmp, "%ld", x), o = 0;
  for (int i = 0; i < len && o + 2 < (int)cap; i++) {
    if (i > 0 && (len - i) % 3 == 0) out[o++] = ',';
    out[o++] = tmp[i];
  }
  out[o] = 0;
}

int main(void) {
  long n = 1000000;
  int reps = 3;
  const char *env = getenv("REMDB_BENCH_N");
  if (env && *env) {
    char *end;
    n = strtol(env, &end, 10);
    if (*end || n < 1 || n > 100000000) die("REMDB_BENCH_N: bad value %s", env);
  }
  env = getenv("REMDB_BENCH_REPS");
  if (env && *env) {
    reps = atoi(env);
    if (reps < 1 || reps > 99) die("REMDB_BENCH_REPS: bad value %s", env);
  }
  owner_pid = getpid();
  snprintf(tmpdir, sizeof tmpdir, "/tmp/remdb-bench-core-XXXXXX");
  if (mkdtemp(tmpdir) == NULL) die("mkdtemp %s failed", tmpdir);
  atexit(cleanup);
  char path[160];

  /* 3. peak RSS, first, while this process is still small */
  progress("N=%ld, reps=%d; peak-RSS run (child process)...", n, reps);
  rss_result rss = rss_child(n);
  progress("  child: %.1f s, VmHWM %.1f MiB", rss.seconds,
           rss.hwm_kb / 1024.0);
  snprintf(path, sizeof path, "%s/rss", tmpdir);
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);

  /* data, generated once, outside every timed region */
  progress("generating %ld rows...", n);
  row *rows = xmalloc((size_t)n * sizeof *rows);
  size_t *off = xmalloc((size_t)(n + 1) * sizeof *off);
  size_t cap = (size_t)n * 200 + 1024, used = 0;
  char *json = xmalloc(cap);
  unsigned char *keys = xmalloc((size_t)n * 16);
  char *ids = xmalloc((size_t)n * (REMDB_ID_LEN + 1));
  for (long i = 0; i < n; i++) {
    gen_row(i, &rows[i]);
    if (cap - used < 512) {
      cap *= 2;
      json = realloc(json, cap);
      if (json == NULL) die("out of memory");
    }
    off[i] = used;
    used += (size_t)row_json(&rows[i], json + used, cap - used);
    uint64_t k0 = splitmix(SEED + 0x1000000000ull + (uint64_t)i * 2);
    uint64_t k1 = splitmix(SEED + 0x1000000001ull + (uint64_t)i * 2);
    memcpy(keys + (size_t)i * 16, &k0, 8);
    memcpy(keys + (size_t)i * 16 + 8, &k1, 8);
  }
  off[n] = used;
  progress("  %.1f MB of JSON, %.0f bytes a row", used / 1e6,
           (double)used / (double)n);

  /* 1. bulk insert, engines interleaved per repetition; the last
  ** repetition's remdb and RocksDB databases stay for step 2 */
  double *t_remdb = xmalloc((size_t)reps * sizeof(double));
  double *t_raw = xmalloc((size_t)reps * sizeof(double));
  double *t_sq = xmalloc((size_t)reps * sizeof(double));
  remdb *rdb = NULL;
  raw rw = {0};
  for (int k = 0; k < reps; k++) {
    bool last = k == reps - 1;
    snprintf(path, sizeof path, "%s/remdb%d", tmpdir, k);
    rdb = remdb_create(path);
    double t0 = now();
    remdb_load(rdb, n, json, off, ids);
    t_remdb[k] = (double)n / (now() - t0);
    if (!last) {
      remdb_close(rdb);
      rdb = NULL;
      nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    progress("rep %d: remdb   %10.0f entities/s", k + 1, t_remdb[k]);

    snprintf(path, sizeof path, "%s/raw%d", tmpdir, k);
    raw_open(&rw, path);
    t0 = now();
    raw_load(&rw, n, json, off, keys);
    t_raw[k] = (double)n / (now() - t0);
    if (!last) {
      raw_close(&rw);
      nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    progress("rep %d: rocksdb %10.0f entities/s", k + 1, t_raw[k]);

    snprintf(path, sizeof path, "%s/sqlite%d.db", tmpdir, k);
    t_sq[k] = (double)n / sqlite_load(path, n, rows);
    char side[200];
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
    progress("rep %d: sqlite  %10.0f entities/s", k + 1, t_sq[k]);
  }
  double ins_remdb = median_of(t_remdb, reps), ins_raw = median_of(t_raw, reps),
         ins_sq = median_of(t_sq, reps);

  uint64_t count = 0;
  if (remdb_count(rdb, "issues", 0, &count) != REMDB_OK)
    die("remdb_count: %s", remdb_errmsg(rdb));
  if (count != (uint64_t)n) die("remdb holds %llu issues, want %ld",
                                (unsigned long long)count, n);

  /* 2. get by id, on both databases compacted (no background work) */
  progress("compacting both databases for the reads...");
  if (remdb_compact(rdb) != REMDB_OK) die("remdb_compact: %s",
                                          remdb_errmsg(rdb));
  rocksdb_compact_range(rw.db, NULL, 0, NULL, 0);
  long *pick = xmalloc(GETS * sizeof *pick);
  for (long j = 0; j < GETS; j++)
    pick[j] = (long)(splitmix(SEED * 3 + (uint64_t)j) % (uint64_t)n);
  /* check once that both return the right entity, which also warms up */
  size_t sum_remdb = 0, sum_raw = 0;
  for (long j = 0; j < GETS; j++) {
    long i = pick[j];
    char *js = NULL;
    size_t len = 0;
    const char *id = ids + (size_t)i * (REMDB_ID_LEN + 1);
    int rc = remdb_get(rdb, "issues", id, 0, &js, &len);
    if (rc != REMDB_OK) die("remdb_get %s: %s", id, remdb_errmsg(rdb));
    if (strstr(js, rows[i].title) == NULL)
      die("remdb_get %s: wrong entity %s", id, js);
    remdb_free(js);
    char *err = NULL;
    size_t vl = 0;
    char *v = rocksdb_get(rw.db, rw.ro, (const char *)keys + (size_t)i * 16,
                          16, &vl, &err);
    rck(err, "get");
    if (v == NULL || vl != off[i + 1] - off[i] ||
        memcmp(v, json + off[i], vl) != 0)
      die("rocksdb_get: wrong value for row %ld", i);
    rocksdb_free(v);
  }
  double g_remdb[GET_PASSES], g_raw[GET_PASSES];
  for (int p = 0; p < GET_PASSES; p++) {
    double t0 = now();
    for (long j = 0; j < GETS; j++) {
      char *js = NULL;
      size_t len = 0;
      if (remdb_get(rdb, "issues",
                    ids + (size_t)pick[j] * (REMDB_ID_LEN + 1), 0, &js,
                    &len) != REMDB_OK)
        die("remdb_get: %s", remdb_errmsg(rdb));
      sum_remdb += len;
      remdb_free(js);
    }
    double t1 = now();
    for (long j = 0; j < GETS; j++) {
      char *err = NULL;
      size_t vl = 0;
      char *v = rocksdb_get(rw.db, rw.ro,
                            (const char *)keys + (size_t)pick[j] * 16, 16,
                            &vl, &err);
      rck(err, "get");
      if (v == NULL) die("rocksdb_get: row %ld missing", pick[j]);
      sum_raw += vl;
      rocksdb_free(v);
    }
    double t2 = now();
    g_remdb[p] = (t1 - t0) * 1e9 / GETS;
    g_raw[p] = (t2 - t1) * 1e9 / GETS;
    progress("get pass %d: remdb %.0f ns, rocksdb %.0f ns", p + 1, g_remdb[p],
             g_raw[p]);
  }
  double get_remdb = median_of(g_remdb, GET_PASSES),
         get_raw = median_of(g_raw, GET_PASSES);
  if (sum_remdb == 0 || sum_raw == 0) die("gets returned nothing");

  remdb_close(rdb);
  raw_close(&rw);

  /* ---- report ---- */
  char cpu[256], date[64], a[32], b[32], c[32];
  cpu_model(cpu, sizeof cpu);
  time_t tt = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&tt));
  double r_raw = ins_remdb / ins_raw, r_sq = ins_remdb / ins_sq,
         r_get = get_remdb / get_raw;
  fmt_count(ins_remdb, a, sizeof a);
  fmt_count(ins_raw, b, sizeof b);
  fmt_count(ins_sq, c, sizeof c);
  printf("| operation (N = %ld) | remdb | peer | ratio | target | met? |\n", n);
  printf("|---|---|---|---|---|---|\n");
  printf("| bulk insert, 3 indexed fields (entities/s) | %s | %s (raw RocksDB "
         "put) | %.2fx | >= 0.5x | %s |\n",
         a, b, r_raw, r_raw >= 0.5 ? "yes" : "**no**");
  printf("| bulk insert, 3 indexed fields (entities/s) | %s | %s (SQLite, "
         "same indexes) | %.2fx | >= 1x | %s |\n",
         a, c, r_sq, r_sq >= 1.0 ? "yes" : "**no**");
  printf("| get by id (ns/op) | %.0f | %.0f (raw RocksDB get) | %.2fx | "
         "<= 1.5x | %s |\n",
         get_remdb, get_raw, r_get, r_get <= 1.5 ? "yes" : "**no**");
  printf("\n");
  printf("- Peak RSS of the remdb bulk insert of %ld rows (child process, "
         "rows generated on the fly): %.1f MiB VmHWM (%.1f MiB at start; "
         "ru_maxrss %.1f MiB).\n",
         n, rss.hwm_kb / 1024.0, rss.base_kb / 1024.0,
         rss.maxrss_kb / 1024.0);
  printf("- N = %ld entities, %.0f bytes of JSON each on average; insert: "
         "median of %d runs; get: median of %d passes of %d random ids.\n",
         n, (double)used / (double)n, reps, GET_PASSES, GETS);
  printf("- Machine: %ld cores (nproc), %s; SQLite %s; %s.\n",
         sysconf(_SC_NPROCESSORS_ONLN), cpu, sqlite3_libversion(), date);

  free(pick);
  free(t_remdb);
  free(t_raw);
  free(t_sq);
  free(rows);
  free(off);
  free(json);
  free(keys);
  free(ids);
  return 0;
}

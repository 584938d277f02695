/*
** bench_ftsload.c: the load half of bench_ftsdb alone, for profiling the
** full-text build (perf, callgrind): the same corpus, schema and batches
** of 1000 (load_rows), repeated, with the CPU time of the process
** (getrusage: RocksDB's background threads included) beside the wall time.
** Not run by `make bench`.
**
**   bench_ftsload MODE [ROUNDS]
**     fts      remdb table with the full-text index (unicode61, as bench_ftsdb)
**     plain    remdb table without it (records only)
**     fts5     SQLite FTS5, on disk, synchronous=OFF
**     analyze  fts_doc over each chunk's two fields, nothing stored
**     analyze-remdb  the same with remdb's analysis and English stemming
**              (the schema default, as bench_ftsdb's hybrid part)
**     digest   a checksum of every token (term, position, byte range) of
**              the corpus under unicode61 and under remdb+english stemming
**              (to check that a change to the analyzer changes no token)
**
** Environment: REMDB_BENCH_FTS_PAGES (default 1500), REMDB_BENCH_MAN,
** REMDB_BENCH_WRITE_BUFFER_MB (remdb_options.write_buffer_bytes),
** REMDB_BENCH_THREADS (remdb_options.exec_threads: 1 analyses on the
** writer's thread only; default 0, the number of cores);
** REMDB_BENCH_REPEAT (load the corpus that many times into the one table,
** default 1: a large table), REMDB_BENCH_MERGE_WORK
** (remdb_options.fts_merge_work: the bytes of a full-text merge per
** commit; 0: a merge in one commit); REMDB_BENCH_ENC_MODE (fts_enc_mode,
** core/ftsread.h: 1 a commit's segment entries all built by the workers,
** 2 all by the writer; for callgrind, whose one-thread-at-a-time schedule
** gives the writer most of them).
** Each round also prints its worst commit (wall and the thread's CPU) and
** the most bytes one commit's segment merge step read.
*/
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include "core/ftsread.h" /* fts_merge_bytes_max, fts_segs_max */
#include "fts_corpus.h"
#include "remdb.h"
#include "text/index.h"
#include "util/util.h"

#define BATCH 1000

static void die(remdb *db, const char *what) {
  fprintf(stderr, "bench_ftsload: %s: %s\n", what, db ? remdb_errmsg(db) : "");
  exit(1);
}

static double cpu_now(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec +
         ((double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_usec) / 1e6;
}

static int section_of(const char *title) {
  const char *d = strrchr(title, '.');
  return d ? atoi(d + 1) : 0;
}

static void rm_rf(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_ftsload: cannot remove %s\n", dir);
}

static const char *man_schema(bool fulltext) {
  static char s[1024];
  snprintf(s, sizeof s,
           "{\"name\":\"man\",\"properties\":{\"n\":{\"type\":\"integer\"},"
           "\"section\":{\"type\":\"integer\"},\"title\":{\"type\":\"string\"},"
           "\"content\":{\"type\":\"string\"}}%s}",
           fulltext ? ",\"fulltext\":{\"fields\":[\"title\",\"content\"],"
                      "\"language\":\"none\",\"stemmer\":false,"
                      "\"tokenizer\":\"unicode61\"}"
                    : "");
  return s;
}

static double thread_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* the worst commit of a round: wall and the thread's CPU seconds */
static double worst_w, worst_c;
static size_t ncommits;

static void commit(remdb *db, remdb_batch *b) {
  double w = now(), c = thread_cpu();
  if (remdb_batch_commit(b, 0)) die(db, "commit");
  w = now() - w;
  c = thread_cpu() - c;
  if (w > worst_w) worst_w = w;
  if (c > worst_c) worst_c = c;
  ncommits++;
}

/* bench_ftsdb's load_rows, (repeat) times, each commit timed. */
__attribute__((noinline)) static void load_rows(remdb *db, int repeat) {
  remdb_batch *b;
  if (remdb_batch_begin(db, &b)) die(db, "batch");
  buf_t row;
  buf_init(&row);
  size_t n = 0;
  for (size_t i = 0; i < ndocs * (size_t)repeat; i++) {
    row.len = 0;
    const doc *dc = &docs[i % ndocs];
    buf_addf(&row, "{\"n\":%zu,\"section\":%d,\"title\":", ++n,
             section_of(dc->title));
    buf_add_json_str(&row, dc->title, strlen(dc->title));
    buf_adds(&row, ",\"content\":");
    buf_add_json_str(&row, dc->text, dc->len);
    buf_addc(&row, '}');
    if (remdb_batch_insert(b, "man", row.p, row.len, NULL)) die(db, "insert");
    if (n % BATCH == 0) commit(db, b);
  }
  commit(db, b);
  remdb_batch_free(b);
  buf_free(&row);
}

__attribute__((noinline)) static void load_fts5(const char *path) {
  sqlite3 *s;
  unlink(path);
  if (sqlite3_open(path, &s) != SQLITE_OK) exit(1);
  sqlite3_exec(s, "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;", 0, 0, 0);
  sqlite3_exec(s, "CREATE VIRTUAL TABLE t USING fts5(title, content)", 0, 0, 0);
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(s, "INSERT INTO t(rowid, title, content) VALUES (?,?,?)",
                     -1, &ins, 0);
  sqlite3_exec(s, "BEGIN", 0, 0, 0);
  for (size_t i = 0; i < ndocs; i++) {
    sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
    sqlite3_bind_text(ins, 2, docs[i].title, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, docs[i].text, (int)docs[i].len, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE) exit(1);
    sqlite3_reset(ins);
    if ((i + 1) % BATCH == 0) {
      sqlite3_exec(s, "COMMIT", 0, 0, 0);
      sqlite3_exec(s, "BEGIN", 0, 0, 0);
    }
  }
  sqlite3_exec(s, "COMMIT", 0, 0, 0);
  sqlite3_finalize(ins);
  sqlite3_close(s);
}

__attribute__((noinline)) static size_t analyze_all(bool remdb_mode) {
  fts_analyzer_opts o = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  if (remdb_mode) o = (fts_analyzer_opts){FTS_REMDB, "english", FTS_STOP_NONE, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  fts_doc *d = fts_doc_new();
  size_t terms = 0;
  for (size_t i = 0; i < ndocs; i++) {
    fts_doc_reset(d);
    fts_doc_add(d, a, 0, docs[i].title, strlen(docs[i].title));
    fts_doc_add(d, a, 1, docs[i].text, docs[i].len);
    terms += (size_t)fts_doc_nterms(d);
  }
  fts_doc_free(d);
  fts_analyzer_free(a);
  return terms;
}

static uint64_t dig;
static int dig_token(void *ctx, const fts_token *t) {
  (void)ctx;
  uint64_t v[3] = {t->pos, t->start, t->end};
  for (size_t i = 0; i < t->len; i++)
    dig = (dig ^ (unsigned char)t->term[i]) * 1099511628211ull;
  for (int i = 0; i < 3; i++) dig = (dig ^ v[i]) * 1099511628211ull;
  return 0;
}

static void digest(void) {
  fts_analyzer_opts o[2] = {{FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0},
                            {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0}};
  for (int m = 0; m < 2; m++) {
    fts_analyzer *a = fts_analyzer_new(&o[m], NULL, 0);
    dig = 1469598103934665603ull;
    for (size_t i = 0; i < ndocs; i++) {
      uint32_t next;
      fts_analyze(a, docs[i].title, strlen(docs[i].title), 0, dig_token, NULL,
                  &next);
      fts_analyze(a, docs[i].text, docs[i].len, next, dig_token, NULL, &next);
    }
    /* and random text over a nasty alphabet: long runs (the 255-byte
    ** cut), marks, ideographs, invalid bytes */
    static const char *const alpha[] = {
        "a", "Z", "7", " ", ".", "-", "_", "\xc3\xa9", "\xc3\x89", "\xc3\x9f",
        "\xcc\x81", "\xe4\xb8\xad", "\xff", "\xc3", "\xe2\x80\x94",
        "\xf0\x90\x90\x80", "\xd0\x96", "\xe1\xba\x9e", "\xef\xbc\xa1", "\n"};
    uint64_t seed = 42;
    char txt[4096];
    for (int r = 0; r < 20000; r++) {
      size_t len = 0;
      size_t want = xorshift64(&seed) % 3000;
      bool longrun = xorshift64(&seed) % 4 == 0;
      while (len + 8 < want) {
        uint64_t x = xorshift64(&seed);
        const char *c = longrun && x % 3 ? alpha[x % 3 == 1 ? 0 : 7]
                                         : alpha[x % (sizeof alpha / sizeof *alpha)];
        size_t cl = strlen(c);
        memcpy(txt + len, c, cl);
        len += cl;
      }
      fts_analyze(a, txt, len, 0, dig_token, NULL, NULL);
    }
    printf("digest %s: %016llx\n", m ? "remdb" : "unicode61",
           (unsigned long long)dig);
    /* and fts_doc's terms and positions of each chunk */
    fts_doc *d = fts_doc_new();
    dig = 1469598103934665603ull;
    for (size_t i = 0; i < ndocs; i++) {
      fts_doc_reset(d);
      fts_doc_add(d, a, 0, docs[i].title, strlen(docs[i].title));
      fts_doc_add(d, a, 1, docs[i].text, docs[i].len);
      long nt = fts_doc_nterms(d);
      for (long k = 0; k < nt; k++) {
        const char *term;
        size_t len;
        const uint32_t *pos;
        uint32_t npos;
        fts_doc_term(d, (size_t)k, &term, &len, &pos, &npos);
        fts_token t = {term, len, npos, 0, 0};
        dig_token(NULL, &t);
        for (uint32_t j = 0; j < npos; j++)
          dig = (dig ^ pos[j]) * 1099511628211ull;
      }
      dig = (dig ^ fts_doc_length(d)) * 1099511628211ull;
    }
    fts_doc_free(d);
    printf("digest %s fts_doc: %016llx\n", m ? "remdb" : "unicode61",
           (unsigned long long)dig);
    fts_analyzer_free(a);
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "fts";
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  const char *rp = getenv("REMDB_BENCH_REPEAT"), *mw =
      getenv("REMDB_BENCH_MERGE_WORK");
  int repeat = rp && atoi(rp) > 0 ? atoi(rp) : 1;
  remdb_options dflt;
  remdb_options_init(&dflt);
  size_t work = mw && *mw ? (size_t)atol(mw) : dflt.fts_merge_work;
  const char *dirs = getenv("REMDB_BENCH_MAN");
  const char *mp = getenv("REMDB_BENCH_FTS_PAGES");
  const char *em = getenv("REMDB_BENCH_ENC_MODE");
  if (em && *em) fts_enc_mode = atoi(em);
  load(dirs ? dirs : FTS_DEFAULT_MAN, mp ? (size_t)atol(mp) : 1500);
  if (strcmp(mode, "digest") == 0) {
    digest();
    corpus_free();
    return 0;
  }
  const char *tmp = getenv("TMPDIR");
  char dir[600];
  snprintf(dir, sizeof dir, "%s/remdb-bench-ftsload-%d",
           tmp && *tmp ? tmp : "/tmp", (int)getpid());
  double best_w = INFINITY, best_c = INFINITY, sum_c = 0;
  for (int r = 0; r < rounds; r++) {
    rm_rf(dir);
    remdb *db = NULL;
    bool rem = strcmp(mode, "fts") == 0 || strcmp(mode, "plain") == 0;
    if (rem) {
      remdb_options o;
      remdb_options_init(&o);
      o.sync = REMDB_SYNC_NONE;
      o.fts_merge_work = work;
      const char *wb = getenv("REMDB_BENCH_WRITE_BUFFER_MB");
      if (wb) o.write_buffer_bytes = (size_t)atol(wb) << 20;
      const char *th = getenv("REMDB_BENCH_THREADS");
      if (th) o.exec_threads = atoi(th);
      if (remdb_open(dir, "bench", &o, &db) != REMDB_OK) die(db, "open");
      const char *s = man_schema(strcmp(mode, "fts") == 0);
      if (remdb_schema_put(db, s, strlen(s))) die(db, "schema");
    } else if (strcmp(mode, "fts5") == 0) {
      if (mkdir(dir, 0700)) die(NULL, dir);
    }
    double w0 = now(), c0 = cpu_now(), t0 = thread_cpu();
    worst_w = worst_c = 0;
    ncommits = 0;
    fts_merge_bytes_max = fts_merge_bytes_total = fts_segs_max = 0;
    if (rem) load_rows(db, repeat);
    else if (strcmp(mode, "fts5") == 0) {
      char f[700];
      snprintf(f, sizeof f, "%s/fts5.db", dir);
      load_fts5(f);
    } else if (strcmp(mode, "analyze") == 0 ||
               strcmp(mode, "analyze-remdb") == 0) {
      analyze_all(strcmp(mode, "analyze-remdb") == 0);
    } else {
      die(NULL, "mode: fts, plain, fts5 or analyze");
    }
    double w = now() - w0, c = cpu_now() - c0, tc = thread_cpu() - t0;
    if (db) remdb_close(db);
    if (rem)
      printf("round %d: %zu commits, worst commit wall %.1f ms, thread cpu "
             "%.1f ms; merge steps: most %.2f MiB in one, %.1f MiB in all "
             "(fts_merge_work %zu), at most %llu segments; the loading "
             "thread's cpu %.3f s\n",
             r, ncommits, worst_w * 1e3, worst_c * 1e3,
             (double)fts_merge_bytes_max / (1 << 20),
             (double)fts_merge_bytes_total / (1 << 20), work,
             (unsigned long long)fts_segs_max, tc);
    if (w < best_w) best_w = w;
    if (c < best_c) best_c = c;
    sum_c += c;
  }
  rm_rf(dir);
  printf("%s: %zu chunks x %d, %d rounds: best wall %.3f s, best cpu %.3f s, "
         "mean cpu %.3f s\n", mode, ndocs, repeat, rounds, best_w, best_c,
         sum_c / rounds);
  corpus_free();
  return 0;
}

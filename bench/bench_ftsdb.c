/*
** bench_ftsdb.c: remdb's full-text search end to end (the index written in
** each entity's batch in RocksDB, queries through remdb_search_ex) against
** SQLite FTS5 (an on-disk database) on the same documents, in one run:
**
**   build    the chunks inserted in batches of 1000 (remdb: batch commit
**            without fsync; FTS5: one transaction per 1000 rows,
**            synchronous=OFF), documents/s; remdb also without a full-text
**            index, for what the index costs.
**   size     remdb's full-text index (stats) against FTS5's index
**            (%_data, %_idx, %_docsize; content excluded on both sides).
**   queries  300 each of single term, two-term AND, five-term OR and
**            two-word phrase: top 10 with their rows (remdb: the entities
**            as JSON; FTS5: rowid, rank and both columns), median and p99.
**   hybrid   100k chunks (the corpus repeated) with an embedding (the
**            offline hash provider) and a full-text index: keyword, vector
**            and hybrid (RRF) top 10 with a filter on an indexed field.
**
** Corpus and queries: fts_corpus.h (the Debian manual pages, chunked as
** `remdb ingest` does).  remdb analyses as FTS5's unicode61 (no stemming,
** no stop words), so both index the same terms and rank alike (the
** top-10 agreement is printed).
**
** Environment: REMDB_BENCH_FTS_PAGES (cap on pages), REMDB_BENCH_MAN
** (directories), REMDB_BENCH_HYBRID_ROWS (default 100000, 0: skip).
*/
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fts_corpus.h"
#include "remdb.h"
#include "text/query.h"
#include "util/util.h"

#define NQ 300
#define BATCH 1000

static void die(remdb *db, const char *what) {
  fprintf(stderr, "bench_ftsdb: %s: %s\n", what, db ? remdb_errmsg(db) : "");
  exit(1);
}

static void rm_rf(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_ftsdb: cannot remove %s\n", dir);
}

/* The section of a page name like "open.2" (0 if none). */
static int section_of(const char *title) {
  const char *d = strrchr(title, '.');
  return d ? atoi(d + 1) : 0;
}

static remdb *open_db(const char *dir) {
  remdb_options o;
  remdb_options_init(&o);
  o.sync = REMDB_SYNC_NONE;
  remdb *db = NULL;
  if (remdb_open(dir, "bench", &o, &db) != REMDB_OK) die(db, "open");
  return db;
}

/* Insert the corpus (rep times, n numbering on) into table; seconds. */
static double load_rows(remdb *db, const char *table, int rep) {
  remdb_batch *b;
  if (remdb_batch_begin(db, &b)) die(db, "batch");
  buf_t row;
  buf_init(&row);
  double t0 = now();
  size_t n = 0;
  for (int r = 0; r < rep; r++)
    for (size_t i = 0; i < ndocs; i++) {
      /* the row's JSON is made here, in the timed loop, with the
      ** library's escaper (jansson's encoder alone cost ~20 us a row) */
      row.len = 0;
      buf_addf(&row, "{\"n\":%zu,\"section\":%d,\"title\":", ++n,
               section_of(docs[i].title));
      buf_add_json_str(&row, docs[i].title, strlen(docs[i].title));
      buf_adds(&row, ",\"content\":");
      buf_add_json_str(&row, docs[i].text, docs[i].len);
      buf_addc(&row, '}');
      if (remdb_batch_insert(b, table, row.p, row.len, NULL)) die(db, "insert");
      if (n % BATCH == 0 && remdb_batch_commit(b, 0)) die(db, "commit");
    }
  if (remdb_batch_commit(b, 0)) die(db, "commit");
  double t = now() - t0;
  remdb_batch_free(b);
  buf_free(&row);
  return t;
}

static const char *man_schema(const char *name, bool fulltext) {
  static char s[1024];
  snprintf(s, sizeof s,
           "{\"name\":\"%s\",\"properties\":{\"n\":{\"type\":\"integer\"},"
           "\"section\":{\"type\":\"integer\"},\"title\":{\"type\":\"string\"},"
           "\"content\":{\"type\":\"string\"}}%s}",
           name,
           fulltext ? ",\"fulltext\":{\"fields\":[\"title\",\"content\"],"
                      "\"language\":\"none\",\"stemmer\":false,"
                      "\"tokenizer\":\"unicode61\"}"
                    : "");
  return s;
}

/* The full-text index's bytes as remdb's stats report them, after
** compaction (table files, compressed as RocksDB stores them). */
static double fts_bytes(remdb *db, const char *table) {
  if (remdb_compact(db)) die(db, "compact");
  char *js = NULL;
  if (remdb_stats(db, &js)) die(db, "stats");
  json_t *j = json_loads(js, 0, NULL);
  remdb_free(js);
  json_t *v = json_object_get(
      json_object_get(
          json_object_get(json_object_get(j, "tables"), table),
          "fulltext_index"),
      "approximate_bytes");
  double bytes = json_is_number(v) ? json_number_value(v) : -1;
  json_decref(j);
  return bytes;
}

static sqlite3 *fts5_open(const char *path) {
  sqlite3 *s;
  unlink(path);
  if (sqlite3_open(path, &s) != SQLITE_OK) exit(1);
  sqlite3_exec(s, "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;", 0, 0, 0);
  sqlite3_exec(s, "CREATE VIRTUAL TABLE t USING fts5(title, content)", 0, 0,
               0);
  return s;
}

static double fts5_load(sqlite3 *s) {
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(s, "INSERT INTO t(rowid, title, content) VALUES (?,?,?)",
                     -1, &ins, 0);
  double t0 = now();
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
  double t = now() - t0;
  sqlite3_finalize(ins);
  return t;
}

/* The n of each hit of a remdb search result, into out (<= 10). */
static size_t hit_ns(const char *json, long long *out) {
  json_t *a = json_loads(json, 0, NULL);
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(a) && n < 10; i++)
    out[n++] = json_integer_value(
        json_object_get(json_object_get(json_array_get(a, i), "entity"), "n"));
  json_decref(a);
  return n;
}

static double cpu_time(void) { /* the process's, every thread's */
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec +
         ((double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_usec) / 1e6;
}

int main(void) {
  const char *dirs = getenv("REMDB_BENCH_MAN");
  if (!dirs) dirs = FTS_DEFAULT_MAN;
  const char *mp = getenv("REMDB_BENCH_FTS_PAGES");
  const char *hr = getenv("REMDB_BENCH_HYBRID_ROWS");
  size_t hybrid_rows = hr ? (size_t)atol(hr) : 100000;
  load(dirs, mp ? (size_t)atol(mp) : 0);
  if (ndocs < 100) {
    fprintf(stderr, "bench_ftsdb: too few documents under %s (install "
                    "manpages, manpages-dev)\n", dirs);
    return 1;
  }
  size_t bytes = 0;
  for (size_t i = 0; i < ndocs; i++) bytes += docs[i].len + strlen(docs[i].title);
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  char load[64] = "?";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (!fgets(load, sizeof load, lf)) snprintf(load, sizeof load, "?");
    load[strcspn(load, " ")] = 0;
    fclose(lf);
  }
  printf("Corpus: %zu manual pages, %zu chunks, %.1f MB of text; %s; load "
         "average %s at the start (the box is shared: absolute times vary "
         "from run to run, the ratios less).\n\n",
         npages, ndocs, (double)bytes / 1e6, cpu, load);

  const char *tmp = getenv("TMPDIR");
  char base[512], d1[600], d2[600], d3[600], f5[600];
  snprintf(base, sizeof base, "%s/remdb-bench-ftsdb-%d",
           tmp && *tmp ? tmp : "/tmp", (int)getpid());
  rm_rf(base);
  if (mkdir(base, 0700)) return 1;
  snprintf(d1, sizeof d1, "%s/fts", base);
  snprintf(d2, sizeof d2, "%s/plain", base);
  snprintf(d3, sizeof d3, "%s/hybrid", base);
  snprintf(f5, sizeof f5, "%s/fts5.db", base);

  /* ---- build: remdb with and without the index, FTS5; 2 rounds each,
  ** alternating, best kept (the box is shared) ---- */
  double t_remdb = INFINITY, t_plain = INFINITY, t_fts5 = INFINITY;
  double c_remdb = INFINITY, c_fts5 = INFINITY; /* process CPU time */
  remdb *db = NULL, *plain = NULL;
  sqlite3 *s = NULL;
  for (int round = 0; round < 2; round++) {
    if (db) remdb_close(db);
    rm_rf(d1);
    db = open_db(d1);
    if (remdb_schema_put(db, man_schema("man", true), strlen(man_schema("man", true))))
      die(db, "schema");
    double c = cpu_time();
    double t = load_rows(db, "man", 1);
    if (t < t_remdb) t_remdb = t;
    if ((c = cpu_time() - c) < c_remdb) c_remdb = c;

    if (plain) remdb_close(plain);
    rm_rf(d2);
    plain = open_db(d2);
    if (remdb_schema_put(plain, man_schema("man", false),
                         strlen(man_schema("man", false))))
      die(plain, "schema");
    t = load_rows(plain, "man", 1);
    if (t < t_plain) t_plain = t;

    if (s) sqlite3_close(s);
    s = fts5_open(f5);
    c = cpu_time();
    t = fts5_load(s);
    if (t < t_fts5) t_fts5 = t;
    if ((c = cpu_time() - c) < c_fts5) c_fts5 = c;
  }
  printf("| index build (%zu chunks, batches of %d) | documents/s | MB of "
         "text/s | time |\n|---|---:|---:|---:|\n", ndocs, BATCH);
  printf("| remdb table with full-text index | %.0f | %.1f | %.2f s |\n",
         ndocs / t_remdb, bytes / t_remdb / 1e6, t_remdb);
  printf("| remdb table without it (records only) | %.0f | %.1f | %.2f s |\n",
         ndocs / t_plain, bytes / t_plain / 1e6, t_plain);
  printf("| SQLite FTS5 (on disk, synchronous=OFF) | %.0f | %.1f | %.2f s |\n",
         ndocs / t_fts5, bytes / t_fts5 / 1e6, t_fts5);
  printf("\nBuild throughput ratio remdb / FTS5: %.2fx (target >= 1x; best "
         "of 2 alternating rounds).  By CPU time (the process's, all its "
         "threads): remdb %.2f s, FTS5 %.2f s, %.2fx.\n\n",
         t_fts5 / t_remdb, c_remdb, c_fts5, c_fts5 / c_remdb);

  /* ---- size ---- */
  double rb = fts_bytes(db, "man");
  remdb_close(plain);
  rm_rf(d2);
  sqlite3_stmt *sz;
  sqlite3_prepare_v2(s,
                     "SELECT (SELECT sum(length(block)) FROM t_data) + "
                     "(SELECT count(*) * 16 FROM t_idx) + "
                     "(SELECT sum(length(sz)) FROM t_docsize)",
                     -1, &sz, 0);
  sqlite3_step(sz);
  double f5b = sqlite3_column_double(sz, 0);
  sqlite3_finalize(sz);
  printf("| index size | bytes | per chunk |\n|---|---:|---:|\n");
  if (rb >= 0)
    printf("| remdb full-text index (stats, after compaction: RocksDB "
           "table files, compressed) | %.0f | %.0f |\n", rb, rb / ndocs);
  else
    printf("| remdb full-text keys | (not reported by stats) | |\n");
  printf("| FTS5 %%_data + %%_idx + %%_docsize (uncompressed) | %.0f | %.0f "
         "|\n", f5b, f5b / ndocs);
  if (rb > 0) printf("\nSize ratio remdb / FTS5: %.2f.\n", rb / f5b);
  printf("\n");

  /* ---- queries ---- */
  fts_analyzer_opts ou = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  fts_analyzer *au = fts_analyzer_new(&ou, NULL, 0);
  sqlite3_stmt *qs;
  sqlite3_prepare_v2(s,
                     "SELECT rowid, rank, title, content FROM t WHERE t MATCH "
                     "?1 ORDER BY rank LIMIT 10",
                     -1, &qs, 0);
  remdb_search_options so;
  remdb_search_options_init(&so);
  so.mode = REMDB_MODE_KEYWORD;
  so.k = 10;
  printf("| top-10 query with rows (%d each) | remdb median | remdb p99 | "
         "FTS5 median | FTS5 p99 | median ratio | p99 ratio | same top 10 |\n",
         NQ);
  printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  uint64_t seed = 777;
  double worst = 0;
  for (int k = 0; k < NKIND; k++) {
    static double tr[NQ], tf[NQ];
    size_t n = 0, same = 0;
    while (n < NQ) {
      char qtext[2048], err[256];
      if (!make_query(au, k, &seed, qtext, sizeof qtext)) continue;
      fts_query *q = fts_query_parse(qtext, strlen(qtext), au, err, sizeof err);
      char *m = q ? fts_query_fts5(q) : NULL;
      fts_query_free(q);
      if (m == NULL) return 1;
      char *json = NULL;
      double a0 = now();
      if (remdb_search_ex(db, "man", qtext, &so, &json, NULL)) die(db, qtext);
      double a1 = now();
      long long rn[10], fr[10];
      size_t nr = hit_ns(json, rn), nf = 0;
      remdb_free(json);
      double b0 = now();
      sqlite3_bind_text(qs, 1, m, -1, SQLITE_TRANSIENT);
      while (sqlite3_step(qs) == SQLITE_ROW) {
        /* read the columns, as remdb returns the entities */
        (void)sqlite3_column_text(qs, 2);
        (void)sqlite3_column_text(qs, 3);
        if (nf < 10) fr[nf++] = sqlite3_column_int64(qs, 0);
      }
      sqlite3_reset(qs);
      double b1 = now();
      free(m);
      bool eq = nr == nf;
      for (size_t i = 0; eq && i < nr; i++) eq = rn[i] == fr[i];
      same += eq;
      tr[n] = a1 - a0;
      tf[n] = b1 - b0;
      n++;
    }
    double rm = pct(tr, NQ, 0.5), r99 = pct(tr, NQ, 0.99);
    double fm = pct(tf, NQ, 0.5), f99 = pct(tf, NQ, 0.99);
    if (rm / fm > worst) worst = rm / fm;
    printf("| %s | %.0f us | %.0f us | %.0f us | %.0f us | %.2f | %.2f | "
           "%zu/%d |\n",
           kind_name[k], rm * 1e6, r99 * 1e6, fm * 1e6, f99 * 1e6, rm / fm,
           r99 / f99, same, NQ);
  }
  printf("\nWorst median latency ratio remdb / FTS5: %.2f (target <= 1). "
         "\"same top 10\": the same rows in the same order as FTS5's ORDER "
         "BY rank (ties may be ordered differently).\n\n", worst);
  sqlite3_finalize(qs);
  sqlite3_close(s);
  remdb_close(db);
  rm_rf(d1);
  unlink(f5);

  /* ---- hybrid at 100k chunks with a filter ---- */
  if (hybrid_rows > 0) {
    int rep = (int)((hybrid_rows + ndocs - 1) / ndocs);
    db = open_db(d3);
    const char *hs =
        "{\"name\":\"chunks\",\"properties\":{\"n\":{\"type\":\"integer\"},"
        "\"section\":{\"type\":\"integer\"},\"title\":{\"type\":\"string\"},"
        "\"content\":{\"type\":\"string\"}},\"indexed_fields\":[\"section\"],"
        "\"embedding_fields\":[\"content\"],"
        "\"embedding\":{\"dim\":64,\"metric\":\"cosine\",\"provider\":"
        "\"hash\"},\"fulltext\":{\"fields\":[\"title\",\"content\"]}}";
    if (remdb_schema_put(db, hs, strlen(hs))) die(db, "schema");
    double t = load_rows(db, "chunks", rep);
    size_t rows = (size_t)rep * ndocs;
    uint64_t sel = 0;
    remdb_stmt *st;
    const char *cq = "SELECT count(*) FROM chunks WHERE section = 2";
    if (remdb_prepare(db, cq, strlen(cq), &st, NULL) ||
        remdb_step(st) != REMDB_ROW)
      die(db, cq);
    sel = (uint64_t)remdb_column_int64(st, 0);
    remdb_finalize(st);
    printf("Hybrid: %zu chunks (the corpus %d times; English analysis with "
           "stemming, 64-dimensional hash embeddings, HNSW), loaded in %.1f s "
           "(%.0f chunks/s); filter `section = 2` (%.1f%% of the rows); "
           "top 10, 100 two-term queries, the three modes in turn for each.\n\n",
           rows, rep, t, rows / t, 100.0 * (double)sel / (double)rows);
    printf("| mode, filtered | median | p99 |\n|---|---:|---:|\n");
    fts_analyzer_opts oe = {FTS_REMDB, NULL, FTS_STOP_NONE, NULL, 0};
    fts_analyzer *ae = fts_analyzer_new(&oe, NULL, 0);
    static const enum remdb_search_mode modes[] = {
        REMDB_MODE_KEYWORD, REMDB_MODE_VECTOR, REMDB_MODE_HYBRID};
    static const char *const mnames[] = {"keyword", "vector", "hybrid (RRF)"};
    /* the modes in turn for each query, so a change in the box's load
    ** falls on all three alike */
    static double tv[3][100];
    uint64_t hseed = 99;
    for (int i = 0; i < 100;) {
      char qtext[2048];
      if (!make_query(ae, KIND_AND, &hseed, qtext, sizeof qtext)) continue;
      for (int mi = 0; mi < 3; mi++) {
        remdb_search_options_init(&so);
        so.mode = modes[mi];
        so.where = "section = 2";
        so.k = 10;
        char *json = NULL;
        double a0 = now();
        if (remdb_search_ex(db, "chunks", qtext, &so, &json, NULL))
          die(db, qtext);
        tv[mi][i] = now() - a0;
        remdb_free(json);
      }
      i++;
    }
    for (int mi = 0; mi < 3; mi++)
      printf("| %s | %.2f ms | %.2f ms |\n", mnames[mi],
             pct(tv[mi], 100, 0.5) * 1e3, pct(tv[mi], 100, 0.99) * 1e3);
    fts_analyzer_free(ae);
    remdb_close(db);
  }
  rm_rf(base);
  fts_analyzer_free(au);
  corpus_free();
  return 0;
}

/*
** bench_fts.c: the full-text library (src/text, in memory) against SQLite
** FTS5 (in-memory database) on the same documents: index build throughput,
** index size, and top-10 query latency (median and p99) for single terms,
** two-term AND, five-term OR and two-word phrases.
**
** Corpus: the Debian manual pages under /usr/share/man/man{2,3,5,7}
** (packages manpages, manpages-dev; REMDB_BENCH_MAN sets the directory
** list, REMDB_BENCH_FTS_PAGES a cap on pages), decompressed with zlib and
** stripped of roff markup crudely, then chunked as `remdb ingest` does
** (1000 characters, 100 of overlap).  Each chunk is a document with two
** fields: the page name and the chunk text.
**
** Both sides tokenize as FTS5's unicode61 (remdb's FTS_UNICODE61 mode, no
** stemming, no stop words), so both index the same terms and rank alike.
** A second remdb build with the English analyzer (stemming, stop words)
** is timed for reference.  remdb's index here is the in-memory one
** (fts_memindex): the storage layer will add RocksDB's costs to build and
** query, so these are the library's own figures, not remdb end to end.
*/
#include <sqlite3.h>

#include "fts_corpus.h"
#include "text/index.h"
#include "text/query.h"

int main(void) {
  const char *dirs = getenv("REMDB_BENCH_MAN");
  if (!dirs)
    dirs = FTS_DEFAULT_MAN;
  const char *mp = getenv("REMDB_BENCH_FTS_PAGES");
  load(dirs, mp ? (size_t)atol(mp) : 0);
  if (ndocs < 100) {
    fprintf(stderr, "bench_fts: too few documents under %s (install "
                    "manpages, manpages-dev)\n", dirs);
    return 1;
  }
  size_t bytes = 0;
  for (size_t i = 0; i < ndocs; i++) bytes += docs[i].len + strlen(docs[i].title);
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  printf("Corpus: %zu manual pages, %zu chunks, %.1f MB of text; %s.\n\n",
         npages, ndocs, (double)bytes / 1e6, cpu);

  /* ---- remdb build (unicode61), and with the English analyzer ---- */
  fts_analyzer_opts ou = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  fts_analyzer_opts oe = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  fts_analyzer *au = fts_analyzer_new(&ou, NULL, 0);
  fts_analyzer *ae = fts_analyzer_new(&oe, NULL, 0);
  /* Three rounds, alternating remdb and FTS5 (the box is shared: the
  ** best time of each is kept); the English build once. */
  fts_memindex *mi = NULL;
  double t_remdb = INFINITY, t_english = 0, t_fts5 = INFINITY;
  sqlite3 *db = NULL;
  for (int round = 0; round < 4; round++) {
    fts_analyzer *a = round == 3 ? ae : au;
    fts_memindex *m = fts_memindex_new();
    fts_doc *d = fts_doc_new();
    double t0 = now();
    for (size_t i = 0; i < ndocs; i++) {
      fts_doc_reset(d);
      fts_doc_add(d, a, 0, docs[i].title, strlen(docs[i].title));
      fts_doc_add(d, a, 1, docs[i].text, docs[i].len);
      if (fts_memindex_add(m, i + 1, d)) return 1;
    }
    if (fts_memindex_finish(m, 0)) return 1;
    double t = now() - t0;
    fts_doc_free(d);
    if (round == 3) {
      t_english = t;
      fts_memindex_free(m);
      break;
    }
    if (t < t_remdb) t_remdb = t;
    if (mi) fts_memindex_free(mi);
    mi = m;

    if (db) sqlite3_close(db);
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, content)", 0,
                 0, 0);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db,
                       "INSERT INTO t(rowid, title, content) VALUES (?,?,?)",
                       -1, &ins, 0);
    t0 = now();
    sqlite3_exec(db, "BEGIN", 0, 0, 0);
    for (size_t i = 0; i < ndocs; i++) {
      sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
      sqlite3_bind_text(ins, 2, docs[i].title, -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, 3, docs[i].text, (int)docs[i].len, SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE) return 1;
      sqlite3_reset(ins);
    }
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    t = now() - t0;
    if (t < t_fts5) t_fts5 = t;
    sqlite3_finalize(ins);
  }
  fts_source src;
  fts_memindex_source(mi, &src);
  sqlite3_stmt *sz;
  sqlite3_prepare_v2(db,
                     "SELECT (SELECT sum(length(block)) FROM t_data),"
                     " (SELECT sum(length(sz)) FROM t_docsize)",
                     -1, &sz, 0);
  sqlite3_step(sz);
  double fts5_index = sqlite3_column_double(sz, 0);
  double fts5_docsize = sqlite3_column_double(sz, 1);
  sqlite3_finalize(sz);
  /* remdb's term entries as the storage layer would keep them */
  double remdb_blocks = (double)fts_memindex_block_bytes(mi);

  printf("| index build | documents/s | MB of text/s | time |\n");
  printf("|---|---:|---:|---:|\n");
  printf("| remdb (unicode61 analysis) | %.0f | %.1f | %.2f s |\n",
         ndocs / t_remdb, bytes / t_remdb / 1e6, t_remdb);
  printf("| remdb (English: stemming, stop words) | %.0f | %.1f | %.2f s |\n",
         ndocs / t_english, bytes / t_english / 1e6, t_english);
  printf("| SQLite FTS5 (unicode61) | %.0f | %.1f | %.2f s |\n", ndocs / t_fts5,
         bytes / t_fts5 / 1e6, t_fts5);
  printf("\nBuild throughput ratio remdb / FTS5: %.2fx (best of 3 alternating "
         "rounds each).\n\n", t_fts5 / t_remdb);
  printf("| index size | bytes | per document |\n|---|---:|---:|\n");
  printf("| remdb posting blocks (doc, tf, length, positions) | %.0f | %.0f |\n",
         remdb_blocks, remdb_blocks / ndocs);
  printf("| FTS5 index (%%_data) + document sizes (%%_docsize) | %.0f | %.0f |\n\n",
         fts5_index + fts5_docsize, (fts5_index + fts5_docsize) / ndocs);

  /* ---- queries ---- */
  sqlite3_stmt *qs;
  sqlite3_prepare_v2(db,
                     "SELECT rowid, rank FROM t WHERE t MATCH ?1 ORDER BY rank "
                     "LIMIT 10",
                     -1, &qs, 0);
  enum { NQ = 300 };
  printf("| top-10 query (%d each) | remdb median | remdb p99 | FTS5 median "
         "| FTS5 p99 | median ratio | same top 10 | postings scored / in lists |\n",
         NQ);
  printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  uint64_t seed = 12345;
  for (int k = 0; k < NKIND; k++) {
    static double tr[NQ], tf[NQ];
    size_t n = 0, same = 0;
    uint64_t scored = 0, total = 0;
    while (n < NQ) {
      char qtext[2048], err[256];
      if (!make_query(au, k, &seed, qtext, sizeof qtext)) continue;
      fts_hit hits[10];
      size_t nh = 0;
      fts_counters c = {0};
      double a0 = now();
      fts_query *q = fts_query_parse(qtext, strlen(qtext), au, err, sizeof err);
      if (!q) {
        fprintf(stderr, "bench_fts: %s: %s\n", qtext, err);
        return 1;
      }
      fts_eval *e = fts_eval_open(q, &src, NULL, &c, err, sizeof err);
      if (!e || fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err)) {
        fprintf(stderr, "bench_fts: %s: %s\n", qtext, err);
        return 1;
      }
      fts_eval_free(e);
      double a1 = now();
      char *m = fts_query_fts5(q);
      fts_query_free(q);
      double b0 = now();
      sqlite3_bind_text(qs, 1, m, -1, SQLITE_TRANSIENT);
      sqlite3_int64 rows[10];
      size_t nr = 0;
      while (sqlite3_step(qs) == SQLITE_ROW)
        if (nr < 10) rows[nr++] = sqlite3_column_int64(qs, 0);
      sqlite3_reset(qs);
      double b1 = now();
      free(m);
      bool eq = nr == nh;
      for (size_t i = 0; eq && i < nr; i++) eq = rows[i] == (sqlite3_int64)hits[i].doc;
      same += eq;
      scored += c.postings_scored;
      total += c.postings_total;
      tr[n] = a1 - a0;
      tf[n] = b1 - b0;
      n++;
    }
    double rm = pct(tr, NQ, 0.5), r99 = pct(tr, NQ, 0.99);
    double fm = pct(tf, NQ, 0.5), f99 = pct(tf, NQ, 0.99);
    printf("| %s | %.0f us | %.0f us | %.0f us | %.0f us | %.2f | %zu/%d | %.2f |\n",
           kind_name[k], rm * 1e6, r99 * 1e6, fm * 1e6, f99 * 1e6, rm / fm,
           same, NQ, total ? (double)scored / (double)total : 0.0);
  }
  sqlite3_finalize(qs);
  sqlite3_close(db);
  printf("\n\"same top 10\": remdb's documents equal FTS5's ORDER BY rank "
         "LIMIT 10, in order (ties may be ordered differently).\n");
  fts_memindex_free(mi);
  fts_analyzer_free(au);
  fts_analyzer_free(ae);
  corpus_free();
  return 0;
}

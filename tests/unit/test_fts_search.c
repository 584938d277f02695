/* test_fts_search.c: keyword and hybrid search above the full-text index:
** reciprocal rank fusion as a pure function, the modes of remdb_search_ex,
** SEARCH ... MODE, fulltext.match() and fts() in SQL, and every error they
** give (bad mode, a table without a full-text index, a malformed query with
** its position). */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>

#include "core/core.h"
#include "remdb.h"
#include "search/search.h"
#include "text/query.h"
#include "test.h"
#include "testdb.h"

static char dir[512];
#define S(lit) lit, strlen(lit)

static unsigned rs = 4242;
static unsigned urand(unsigned n) {
  rs = rs * 1103515245u + 12345u;
  return (rs >> 8) % n;
}

/* ---- RRF, against an independent computation -------------------------- */

static void mkid(uuid16_t *u, unsigned v) {
  memset(u->b, 0, 16);
  u->b[14] = (unsigned char)(v >> 8);
  u->b[15] = (unsigned char)v;
}

static void test_rrf(void) {
  for (int round = 0; round < 200; round++) {
    size_t na = urand(30), nb = urand(30);
    unsigned universe = 1 + urand(60);
    search_hit a[30], b[30], out[60];
    size_t n = 0;
    /* distinct ids per list */
    unsigned char used[256];
    memset(used, 0, sizeof used);
    for (size_t i = 0; i < na && i < universe; i++) {
      unsigned v;
      do v = urand(universe); while (used[v] & 1);
      used[v] |= 1;
      mkid(&a[i].id, v);
      a[i].score = 100.0 - (double)i;
    }
    if (na > universe) na = universe;
    for (size_t i = 0; i < nb && i < universe; i++) {
      unsigned v;
      do v = urand(universe); while (used[v] & 2);
      used[v] |= 2;
      mkid(&b[i].id, v);
      b[i].score = 1.0 - (double)i / 100;
    }
    if (nb > universe) nb = universe;
    double k = round % 3 == 0 ? 60 : round % 3 == 1 ? 1 : 7.5;
    CHECK(search_rrf(a, na, b, nb, k, out, &n));
    /* the expected fused score of every id in the union */
    size_t expect_n = 0;
    for (unsigned v = 0; v < 256; v++) expect_n += used[v] != 0;
    CHECK_INT(n, expect_n);
    for (size_t i = 0; i < n; i++) {
      unsigned v = (unsigned)out[i].id.b[14] << 8 | out[i].id.b[15];
      double want = 0;
      uint32_t kr = 0, vr = 0;
      for (size_t j = 0; j < na; j++)
        if (!memcmp(a[j].id.b, out[i].id.b, 16)) {
          want += 1.0 / (k + (double)(j + 1));
          kr = (uint32_t)j + 1;
        }
      for (size_t j = 0; j < nb; j++)
        if (!memcmp(b[j].id.b, out[i].id.b, 16)) {
          want += 1.0 / (k + (double)(j + 1));
          vr = (uint32_t)j + 1;
        }
      CHECK(used[v] != 0);
      CHECK(fabs(out[i].score - want) < 1e-12);
      CHECK_INT(out[i].krank, kr);
      CHECK_INT(out[i].vrank, vr);
      if (kr) CHECK(out[i].kscore == a[kr - 1].score);
      if (vr) CHECK(out[i].vscore == b[vr - 1].score);
      if (i > 0) CHECK(out[i - 1].score >= out[i].score);
    }
  }
  /* ties: equal fused scores go by the better best rank, then keyword */
  search_hit a[2], b[2], out[4];
  size_t n;
  mkid(&a[0].id, 1);
  mkid(&a[1].id, 2);
  mkid(&b[0].id, 2);
  mkid(&b[1].id, 1);
  a[0].score = a[1].score = b[0].score = b[1].score = 1;
  CHECK(search_rrf(a, 2, b, 2, 60, out, &n));
  CHECK_INT(n, 2);
  CHECK_INT(out[0].id.b[15], 1); /* keyword rank 1 beats vector rank 1 */
  CHECK_INT(out[0].krank, 1);
  CHECK_INT(out[0].vrank, 2);
  CHECK_INT(out[1].krank, 2);
  CHECK_INT(out[1].vrank, 1);
  CHECK(search_rrf(a, 0, b, 0, 60, out, &n));
  CHECK_INT(n, 0);
}

/* ---- errors ---------------------------------------------------------- */

static const char *plain_schema =
    "{\"name\":\"plain\",\"properties\":{\"title\":{\"type\":\"string\"}}}";
static const char *vec_schema =
    "{\"name\":\"vonly\",\"properties\":{\"text\":{\"type\":\"string\"}},"
    "\"embedding_fields\":[\"text\"],"
    "\"embedding\":{\"dim\":16,\"metric\":\"cosine\",\"provider\":\"hash\"}}";

static int exec(remdb *db, const char *sql) {
  remdb_stmt *st = NULL;
  int rc = remdb_prepare(db, sql, strlen(sql), &st, NULL);
  if (rc == REMDB_OK) do rc = remdb_step(st); while (rc == REMDB_ROW);
  if (rc == REMDB_DONE) rc = REMDB_OK;
  remdb_finalize(st);
  return rc;
}

static void test_errors(void) {
  remdb *db = NULL;
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
  if (db == NULL) return;
  CHECK_INT(remdb_schema_put(db, S(plain_schema)), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(vec_schema)), REMDB_OK);
  CHECK_INT(remdb_insert(db, "vonly", S("{\"text\":\"alpha beta\"}"), NULL),
            REMDB_OK);
  remdb_search_options o;
  remdb_search_options_init(&o);
  CHECK_INT(o.mode, REMDB_MODE_DEFAULT);
  CHECK(o.rrf_k == 60 && o.bm25_k1 == 0 && o.bm25_b == -1);
  char *json = NULL;

  /* a bad mode */
  o.mode = (enum remdb_search_mode)7;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL),
            REMDB_MISUSE);
  CHECK_HAS(remdb_errmsg(db), "unknown mode 7");
  /* a table without a full-text index */
  o.mode = REMDB_MODE_KEYWORD;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "vonly: no full-text index");
  o.mode = REMDB_MODE_HYBRID;
  CHECK_INT(remdb_search_ex(db, "plain", "alpha", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "plain: no embedding configured");
  /* the default on a table with only an embedding is vector search */
  o.mode = REMDB_MODE_DEFAULT;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL), REMDB_OK);
  CHECK_HAS(json, "alpha beta");
  CHECK(strstr(json, "keyword_rank") == NULL);
  remdb_free(json);
  json = NULL;
  /* bad BM25 and fusion parameters */
  o.mode = REMDB_MODE_KEYWORD;
  o.bm25_b = 1.5;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "bm25_b must be 0 to 1");
  o.bm25_b = -0.5;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL),
            REMDB_INVALID);
  o.bm25_b = -1;
  o.bm25_k1 = -1;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "bm25_k1");
  o.bm25_k1 = 0;
  o.rrf_k = NAN;
  CHECK_INT(remdb_search_ex(db, "vonly", "alpha", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "rrf_k");
  o.rrf_k = 60;

  /* SQL: SEARCH ... MODE */
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly MODE fuzzy"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "offset 29: expected keyword, vector or "
                              "hybrid after MODE, found \"fuzzy\"");
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly MODE"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "after MODE");
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly MODE vector LIMIT 1"),
            REMDB_OK);
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly MODE keyword"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "vonly: no full-text index");
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly WHERE 1 MODE keyword"),
            REMDB_ERROR);
  /* an empty WHERE is an error, not "no filter"; a quoted table name is
  ** the name it spells (it was searched for with its quotes) */
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly WHERE"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "expected a condition after WHERE, found "
                              "\"(end)\"");
  CHECK_INT(exec(db, "SEARCH 'alpha' IN vonly WHERE  LIMIT 1"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "a condition after WHERE, found \"LIMIT\"");
  CHECK_INT(exec(db, "SEARCH 'alpha' IN \"vonly\" MODE vector LIMIT 1"),
            REMDB_OK);
  CHECK_INT(exec(db, "SEARCH 'alpha' IN [vonly] WHERE 1"), REMDB_OK);
  CHECK_INT(exec(db, "SEARCH 'alpha' IN \"von\"\"ly\""), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "unknown table \"von\"ly\"");
  /* search() and fts() */
  CHECK_INT(exec(db, "SELECT * FROM search('vonly', 'alpha', 3, NULL, NULL, "
                     "'nearest')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "unknown mode 'nearest'");
  CHECK_INT(exec(db, "SELECT * FROM fts('vonly', 'alpha')"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "fts(): vonly: no full-text index");
  CHECK_INT(exec(db, "SELECT * FROM fts('vonly', NULL)"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "query text");
  CHECK_INT(exec(db, "SELECT * FROM fts('nosuch', 'x')"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "nosuch");
  /* fulltext.match() */
  CHECK_INT(exec(db, "SELECT * FROM plain WHERE fulltext.match('x')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "plain: no full-text index");
  CHECK_INT(exec(db, "SELECT * FROM plain WHERE fulltext.find('x')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "expected match, found \"find\"");
  CHECK_INT(exec(db, "SELECT * FROM plain WHERE fulltext.match(3)"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "one quoted full-text query");
  CHECK_INT(exec(db, "SELECT * FROM plain WHERE title = 'a' OR "
                     "fulltext.match('x')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "fulltext.match(): it must be a condition");
  CHECK_INT(exec(db, "SELECT * FROM plain WHERE fulltext.match('x') AND "
                     "embedding.cosine('y')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "only one per statement");
  remdb_close(db);
}


/* ---- end to end: remdb's keyword search against SQLite FTS5 -------------
** Rows go into a remdb table whose full-text index analyses as FTS5's
** unicode61 (language none, no stemming, no stop words) and into an FTS5
** table, then some are updated and some deleted on both sides.  For a few
** hundred generated queries, SEARCH ... MODE keyword and fulltext.match()
** return FTS5's ORDER BY bm25() top 10 up to ties: the same scores rank by
** rank, and each row's score is the one FTS5 gives that row. */

enum { NVOC = 300, NROWS = 400, NQUERIES = 300 };
static char *voc[NVOC];
static char *row_a[NROWS + 1], *row_b[NROWS + 1];
static int row_grp[NROWS + 1];
static bool row_live[NROWS + 1];
static char row_id[NROWS + 1][REMDB_ID_LEN + 1];

static const char *const syl2[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo",
                                   "shi", "ber", "dan", "el", "fra", "gor",
                                   "hel", "is", "jun", "é", "ü", "ñ", "ß",
                                   "Ö", "ça", "σο", "мир"};

static size_t zpick(void) { /* low indices more often */
  double u = (double)urand(1u << 20) / (double)(1u << 20);
  return (size_t)(u * u * u * NVOC);
}

static char *text_of(size_t nwords) {
  buf_t b;
  buf_init(&b);
  static const char *const sep[] = {" ", " ", " ", ", ", ". ", " - ", "\n"};
  for (size_t i = 0; i < nwords; i++) {
    if (i) buf_adds(&b, sep[urand(7)]);
    const char *w = voc[zpick()];
    if (urand(5) == 0 && w[0] >= 'a' && w[0] <= 'z') {
      buf_addc(&b, (char)(w[0] - 32));
      buf_adds(&b, w + 1);
    } else {
      buf_adds(&b, w);
    }
  }
  buf_addc(&b, 0);
  return b.p;
}

static void make_vocab(void) {
  for (size_t i = 0; i < NVOC; i++) {
    for (;;) {
      char w[64];
      size_t n = 0, parts = 1 + urand(3);
      for (size_t p = 0; p < parts; p++)
        n += (size_t)snprintf(w + n, sizeof w - n, "%s",
                              syl2[urand(p == 0 ? 16 : 24)]);
      bool dup = false;
      for (size_t j = 0; j < i && !dup; j++) dup = !strcmp(voc[j], w);
      if (!dup) {
        voc[i] = strdup(w);
        break;
      }
    }
  }
}

static void oracle_query(char *q, size_t cap) {
  const char *a = voc[zpick()], *b = voc[zpick()], *c = voc[zpick()];
  switch (urand(8)) {
  case 0: snprintf(q, cap, "%s", a); break;
  case 1: snprintf(q, cap, "%s %s", a, b); break;
  case 2: snprintf(q, cap, "%s OR %s OR %s OR %s OR %s", a, b, c,
                   voc[zpick()], voc[zpick()]); break;
  case 3: { /* a phrase from a row */
    size_t r = 1 + urand(NROWS);
    char *t = row_b[r];
    const char *sp = strchr(t, ' ');
    if (sp && strchr(sp + 1, ' ')) {
      const char *e = strchr(sp + 1, ' ');
      snprintf(q, cap, "\"%.*s\"", (int)(e - t), t);
    } else {
      snprintf(q, cap, "%s", a);
    }
    break;
  }
  case 4: snprintf(q, cap, "%.2s*", a[0] & 0x80 ? b : a); break;
  case 5: snprintf(q, cap, "%s -%s", a, b); break;
  case 6: snprintf(q, cap, "(%s OR %s) %s", a, b, c); break;
  default: snprintf(q, cap, "%s AND %s OR %s", a, b, c); break;
  }
}

typedef struct fts5_all {
  double score[NROWS + 1]; /* -bm25, 0 where no match */
  double sorted[NROWS];
  size_t n;
} fts5_all;

static int cmp_desc(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return a > b ? -1 : a < b;
}

/* Every match of FTS5 for the expression m, with its score, live rows
** passing the filter (grp == want_grp, or any when -1). */
static void fts5_run(sqlite3 *s, const char *m, int want_grp, fts5_all *out) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  CHECK_INT(sqlite3_prepare_v2(s,
                               "SELECT rowid, bm25(t) FROM t WHERE t MATCH ?",
                               -1, &st, NULL),
            SQLITE_OK);
  sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
  while (sqlite3_step(st) == SQLITE_ROW) {
    sqlite3_int64 r = sqlite3_column_int64(st, 0);
    if (r < 1 || r > NROWS) continue;
    if (want_grp >= 0 && row_grp[r] != want_grp) continue;
    out->score[r] = -sqlite3_column_double(st, 1);
    out->sorted[out->n++] = out->score[r];
  }
  sqlite3_finalize(st);
  qsort(out->sorted, out->n, sizeof *out->sorted, cmp_desc);
}

static bool near(double a, double b) {
  return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* remdb's top k (n, score) against FTS5's: same count, same score at each
** rank, each row's score its FTS5 score. */
static bool same_top(const long long *n, const double *sc, size_t got,
                     size_t k, const fts5_all *f) {
  size_t want = f->n < k ? f->n : k;
  if (got != want) return false;
  for (size_t i = 0; i < got; i++) {
    if (n[i] < 1 || n[i] > NROWS) return false;
    if (!near(sc[i], f->sorted[i]) || !near(sc[i], f->score[n[i]]))
      return false;
  }
  return true;
}

static size_t sql_top(remdb *db, const char *sql, long long *n, double *sc) {
  remdb_stmt *st = NULL;
  size_t got = 0;
  int rc = remdb_prepare(db, sql, strlen(sql), &st, NULL);
  while (rc == REMDB_OK && (rc = remdb_step(st)) == REMDB_ROW) {
    if (got < 10) {
      if (remdb_column_count(st) > 3) { /* SEARCH: n from the entity */
        json_t *e = json_loads(remdb_column_text(st, 3, NULL), 0, NULL);
        n[got] = json_integer_value(json_object_get(e, "n"));
        json_decref(e);
      } else {
        n[got] = remdb_column_int64(st, 0);
      }
      sc[got] = remdb_column_double(st, 1);
    }
    got++;
    rc = REMDB_OK;
  }
  if (rc != REMDB_DONE) T_FAILED("%s: %s", sql, remdb_errmsg(db));
  remdb_finalize(st);
  return got;
}

static void put_row(remdb *db, sqlite3 *s, size_t r, bool update) {
  json_t *o = json_pack("{s:I,s:s,s:s,s:i}", "n", (json_int_t)r, "a",
                        row_a[r], "b", row_b[r], "grp", row_grp[r]);
  char *js = json_dumps(o, JSON_COMPACT);
  if (update) {
    CHECK_INT(remdb_update(db, row_id[r], js, strlen(js)), REMDB_OK);
  } else {
    CHECK_INT(remdb_insert(db, "odocs", js, strlen(js), row_id[r]),
              REMDB_OK);
  }
  free(js);
  json_decref(o);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(s, "INSERT OR REPLACE INTO t(rowid, a, b) VALUES (?,?,?)",
                     -1, &st, NULL);
  if (update) {
    sqlite3_stmt *d;
    sqlite3_prepare_v2(s, "DELETE FROM t WHERE rowid = ?", -1, &d, NULL);
    sqlite3_bind_int64(d, 1, (sqlite3_int64)r);
    CHECK_INT(sqlite3_step(d), SQLITE_DONE);
    sqlite3_finalize(d);
  }
  sqlite3_bind_int64(st, 1, (sqlite3_int64)r);
  sqlite3_bind_text(st, 2, row_a[r], -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, row_b[r], -1, SQLITE_STATIC);
  CHECK_INT(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

static const char *odocs_schema =
    "{\"name\":\"odocs\",\"properties\":{\"n\":{\"type\":\"integer\"},"
    "\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"},"
    "\"grp\":{\"type\":\"integer\"}},\"indexed_fields\":[\"grp\"],"
    "\"embedding_fields\":[\"b\"],"
    "\"embedding\":{\"dim\":32,\"metric\":\"cosine\",\"provider\":\"hash\"},"
    "\"fulltext\":{\"fields\":[\"a\",\"b\"],\"language\":\"none\","
    "\"stemmer\":false,\"tokenizer\":\"unicode61\"}}";

static remdb *odb;
static sqlite3 *o5;
static fts_analyzer *oan;

static void test_oracle_setup(void) {
  char d[600];
  snprintf(d, sizeof d, "%s-oracle", dir);
  rm_tree(d);
  CHECK_INT(remdb_open(d, "t", NULL, &odb), REMDB_OK);
  CHECK_INT(remdb_schema_put(odb, S(odocs_schema)), REMDB_OK);
  CHECK_INT(sqlite3_open(":memory:", &o5), SQLITE_OK);
  CHECK_INT(sqlite3_exec(o5, "CREATE VIRTUAL TABLE t USING fts5(a, b)", 0, 0,
                         0),
            SQLITE_OK);
  fts_analyzer_opts ao = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  oan = fts_analyzer_new(&ao, NULL, 0);
  make_vocab();
  for (size_t r = 1; r <= NROWS; r++) {
    row_a[r] = text_of(1 + urand(5));
    row_b[r] = text_of(urand(8) == 0 ? 0 : 3 + urand(urand(4) ? 40 : 200));
    row_grp[r] = (int)urand(10);
    row_live[r] = true;
    put_row(odb, o5, r, false);
  }
  /* updates and deletes, on both sides */
  for (int i = 0; i < 40; i++) {
    size_t r = 1 + urand(NROWS);
    if (!row_live[r]) continue;
    if (i % 2) {
      free(row_b[r]);
      row_b[r] = text_of(2 + urand(30));
      put_row(odb, o5, r, true);
    } else {
      CHECK_INT(remdb_delete(odb, row_id[r], 0), REMDB_OK);
      char sql[64];
      snprintf(sql, sizeof sql, "DELETE FROM t WHERE rowid = %zu", r);
      CHECK_INT(sqlite3_exec(o5, sql, 0, 0, 0), SQLITE_OK);
      row_live[r] = false;
    }
  }
}

static void test_oracle(void) {
  size_t same = 0, nonempty = 0;
  for (int qi = 0; qi < NQUERIES; qi++) {
    char q[512], err[256];
    oracle_query(q, sizeof q);
    fts_query *fq = fts_query_parse(q, strlen(q), oan, err, sizeof err);
    if (fq == NULL) { /* e.g. a prefix of one character that is a mark */
      T_FAILED("query %s: %s", q, err);
      continue;
    }
    char *m = fts_query_fts5(fq);
    bool empty = fts_query_empty(fq);
    fts_query_free(fq);
    fts5_all f;
    if (empty) memset(&f, 0, sizeof f);
    else fts5_run(o5, m, -1, &f);
    free(m);
    char sql[1200];
    if (qi % 3 == 2)
      snprintf(sql, sizeof sql,
               "SELECT n, _score FROM odocs WHERE fulltext.match('%s') "
               "LIMIT 10", q);
    else
      snprintf(sql, sizeof sql,
               "SEARCH '%s' IN odocs MODE keyword LIMIT 10", q);
    long long n[10];
    double sc[10];
    size_t got = sql_top(odb, sql, n, sc);
    bool ok = same_top(n, sc, got, 10, &f);
    if (!ok) T_FAILED("query %s: remdb's top 10 differs from FTS5's", q);
    same += ok;
    nonempty += f.n > 0;
  }
  CHECK_INT(same, NQUERIES);
  CHECK(nonempty > NQUERIES / 2); /* the queries do match things */
}

/* The filtered keyword top k equals brute force (FTS5's matches, filtered,
** sorted), by both routes: scoring the filtered rows, and walking the
** postings with the filter checked per candidate. */
static void test_filtered(void) {
  bool saw_rows = false, saw_walk = false;
  for (int qi = 0; qi < 120; qi++) {
    char q[512], err[256], where[64];
    oracle_query(q, sizeof q);
    fts_query *fq = fts_query_parse(q, strlen(q), oan, err, sizeof err);
    if (fq == NULL || fts_query_empty(fq)) {
      fts_query_free(fq);
      continue;
    }
    char *m = fts_query_fts5(fq);
    fts_query_free(fq);
    /* a selective filter (one n, one group) or a broad one (any group) */
    int grp = (int)urand(10);
    fts5_all f;
    fts5_run(o5, m, grp, &f);
    free(m);
    snprintf(where, sizeof where, qi % 2 ? "grp = %d" : "grp + 0 = %d", grp);
    remdb_search_options o;
    remdb_search_options_init(&o);
    o.mode = REMDB_MODE_KEYWORD;
    o.k = 1 + urand(12);
    o.where = where;
    char *json = NULL, *plan = NULL;
    if (remdb_search_ex(odb, "odocs", q, &o, &json, &plan) != REMDB_OK) {
      T_FAILED("%s: %s", q, remdb_errmsg(odb));
      continue;
    }
    saw_rows |= strstr(plan, "filtered rows scored") != NULL;
    saw_walk |= strstr(plan, "postings, filtered") != NULL;
    json_t *a = json_loads(json, 0, NULL);
    long long n[20];
    double sc[20];
    size_t got = json_array_size(a);
    for (size_t i = 0; i < got && i < 20; i++) {
      json_t *h = json_array_get(a, i);
      n[i] = json_integer_value(json_object_get(json_object_get(h, "entity"),
                                                "n"));
      sc[i] = json_real_value(json_object_get(h, "score"));
    }
    if (!same_top(n, sc, got, o.k, &f))
      T_FAILED("%s where %s k %zu: not the brute-force top k (plan %s)", q,
               where, o.k, plan);
    json_decref(a);
    remdb_free(json);
    remdb_free(plan);
  }
  CHECK(saw_rows);
  CHECK(saw_walk);
}

/* Hybrid: the fused list equals an RRF computed here from the keyword and
** vector lists (each asked for on its own, with the same filter). */
static size_t list_of(const char *q, enum remdb_search_mode mode, size_t k,
                      const char *where, char ids[][REMDB_ID_LEN + 1],
                      double *score) {
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.mode = mode;
  o.k = k;
  o.where = where;
  o.method = REMDB_SEARCH_EXACT;
  char *json = NULL;
  CHECK_INT(remdb_search_ex(odb, "odocs", q, &o, &json, NULL), REMDB_OK);
  json_t *a = json_loads(json, 0, NULL);
  size_t n = json_array_size(a);
  for (size_t i = 0; i < n; i++) {
    json_t *h = json_array_get(a, i);
    snprintf(ids[i], REMDB_ID_LEN + 1, "%s",
             json_string_value(json_object_get(h, "id")));
    score[i] = json_real_value(json_object_get(h, "score"));
  }
  json_decref(a);
  remdb_free(json);
  return n;
}

static void test_hybrid(void) {
  static char kid[60][REMDB_ID_LEN + 1], vid[60][REMDB_ID_LEN + 1];
  double ks[60], vs[60];
  bool saw_rows = false, saw_walk = false;
  for (int qi = 0; qi < 40; qi++) {
    const char *q = voc[zpick()];
    char qq[200];
    snprintf(qq, sizeof qq, "%s %s", q, voc[zpick()]);
    if (qi % 2) snprintf(qq, sizeof qq, "%s OR %s", q, voc[zpick()]);
    /* a broad filter (the keyword side checks candidates against the
    ** rows the vector side read), a selective one (it scores them) */
    const char *where = qi % 3 == 0 ? "grp < 5" : qi % 3 == 1 ? "n < 20"
                                                              : NULL;
    double rk = qi % 4 == 0 ? 1.0 : 60.0;
    size_t nk = list_of(qq, REMDB_MODE_KEYWORD, 50, where, kid, ks);
    size_t nv = list_of(qq, REMDB_MODE_VECTOR, 50, where, vid, vs);
    remdb_search_options o;
    remdb_search_options_init(&o);
    o.mode = REMDB_MODE_HYBRID;
    o.k = 10;
    o.where = where;
    o.method = REMDB_SEARCH_EXACT;
    o.rrf_k = rk;
    char *json = NULL, *plan = NULL;
    CHECK_INT(remdb_search_ex(odb, "odocs", qq, &o, &json, &plan), REMDB_OK);
    json_t *a = json_loads(json, 0, NULL);
    remdb_free(json);
    if (plan) {
      saw_rows |= strstr(plan, "keyword filtered rows scored") != NULL;
      saw_walk |= strstr(plan, "keyword postings, filtered") != NULL;
    }
    remdb_free(plan);
    /* every result: its ranks are its places in the two lists, its score
    ** the sum of 1 / (k + rank); scores descend; and no id left out scores
    ** more than the last one taken */
    size_t n = json_array_size(a);
    CHECK_INT(n, nk + nv == 0 ? 0 : n);
    double last = INFINITY;
    for (size_t i = 0; i < n; i++) {
      json_t *h = json_array_get(a, i);
      const char *id = json_string_value(json_object_get(h, "id"));
      json_t *kr = json_object_get(h, "keyword_rank");
      json_t *vr = json_object_get(h, "vector_rank");
      size_t wk = 0, wv = 0;
      for (size_t j = 0; j < nk; j++)
        if (!strcmp(kid[j], id)) wk = j + 1;
      for (size_t j = 0; j < nv; j++)
        if (!strcmp(vid[j], id)) wv = j + 1;
      CHECK_INT(json_is_integer(kr) ? json_integer_value(kr) : 0, wk);
      CHECK_INT(json_is_integer(vr) ? json_integer_value(vr) : 0, wv);
      double want = (wk ? 1 / (rk + (double)wk) : 0) +
                    (wv ? 1 / (rk + (double)wv) : 0);
      double got = json_real_value(json_object_get(h, "score"));
      CHECK(near(got, want));
      if (!near(got, want))
        fprintf(stderr, "hybrid %s: %s got %.17g want %.17g (k %zu v %zu, "
                "json k %lld v %lld)\n", qq, id, got, want, wk, wv,
                json_is_integer(kr) ? json_integer_value(kr) : 0,
                json_is_integer(vr) ? json_integer_value(vr) : 0);
      if (wk) CHECK(near(json_real_value(json_object_get(h, "keyword_score")),
                         ks[wk - 1]));
      CHECK(got <= last);
      last = got;
    }
    /* nothing better was left out */
    size_t expect = 0;
    const char *taken[10];
    for (size_t i = 0; i < n && i < 10; i++)
      taken[i] = json_string_value(json_object_get(json_array_get(a, i), "id"));
    for (size_t j = 0; j < nk + nv; j++) {
      const char *id = j < nk ? kid[j] : vid[j - nk];
      size_t wk = 0, wv = 0;
      for (size_t x = 0; x < nk; x++)
        if (!strcmp(kid[x], id)) wk = x + 1;
      for (size_t x = 0; x < nv; x++)
        if (!strcmp(vid[x], id)) wv = x + 1;
      if (j >= nk && wk) continue; /* counted with the keyword list */
      double s = (wk ? 1 / (rk + (double)wk) : 0) +
                 (wv ? 1 / (rk + (double)wv) : 0);
      expect++;
      bool in = false;
      for (size_t i = 0; i < n && i < 10; i++) in |= !strcmp(taken[i], id);
      if (!in) CHECK(s <= last * (1 + 1e-12));
    }
    CHECK_INT(n, expect < 10 ? expect : 10);
    json_decref(a);
  }
  CHECK(saw_rows); /* both keyword routes under a hybrid filter */
  CHECK(saw_walk);
}

/* Snippets, EXPLAIN, and the query errors with their position. */
static void test_surface(void) {
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.mode = REMDB_MODE_KEYWORD;
  o.snippets = 1;
  o.k = 3;
  char q[300];
  snprintf(q, sizeof q, "%s", voc[0]);
  char *json = NULL, *plan = NULL;
  CHECK_INT(remdb_search_ex(odb, "odocs", q, &o, &json, &plan), REMDB_OK);
  CHECK_HAS(json, "\"snippets\":{");
  CHECK_HAS(json, "[");
  CHECK_HAS(plan, "keyword postings (");
  CHECK_HAS(plan, "documents scored");
  remdb_free(json);
  remdb_free(plan);
  /* malformed queries: the position, through the API and SQL */
  CHECK_INT(remdb_search_ex(odb, "odocs", "\"open phrase", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(odb), "search query: unterminated quote at "
                               "position 1");
  CHECK_INT(remdb_search_ex(odb, "odocs", "ka OR", &o, &json, NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(odb), "at position");
  CHECK_INT(exec(odb, "SEARCH 'ka (lo' IN odocs MODE keyword"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(odb), "at position");
  CHECK_INT(exec(odb, "SELECT * FROM fts('odocs', 'AND ka')"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(odb), "at position 1");
  /* a NUL byte in an argument is refused, not read as the end of it (the
  ** query 'ka\0zz' searched for ka, a filter 'x\0 AND 0' read x) */
  CHECK_INT(exec(odb, "SELECT * FROM fts('odocs', 'ka' || char(0) || 'zz')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(odb), "fts(): argument 2 contains a NUL byte");
  CHECK_INT(exec(odb, "SELECT * FROM fts('odocs', 'ka', 5, 'grp < 3' || "
                      "char(0) || ' AND 0')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(odb), "fts(): argument 4 contains a NUL byte");
  CHECK_INT(exec(odb, "SELECT * FROM fts('odocs' || char(0) || 'x', 'ka')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(odb), "fts(): argument 1 contains a NUL byte");
  CHECK_INT(exec(odb, "SELECT * FROM search('odocs', 'ka' || char(0), 5)"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(odb), "search(): argument 2 contains a NUL byte");
  /* EXPLAIN shows the route */
  remdb_stmt *st = NULL;
  const char *ex = "EXPLAIN SELECT n FROM odocs WHERE fulltext.match('ka') "
                   "AND grp = 1";
  CHECK_INT(remdb_prepare(odb, ex, strlen(ex), &st, NULL), REMDB_OK);
  bool seen = false;
  while (remdb_step(st) == REMDB_ROW) {
    for (int c = 0; c < remdb_column_count(st); c++) {
      const char *t = remdb_column_text(st, c, NULL);
      seen |= t && strstr(t, "keyword ") && strstr(t, "documents scored");
    }
  }
  remdb_finalize(st);
  CHECK(seen);
  /* result columns keep SQLite's names (the rewrite spaced the tokens:
  ** "count (*)"); the join error names fulltext.match and fts() */
  const char *cn = "SELECT grp, count(*), sum( grp ) FROM odocs WHERE "
                   "fulltext.match('ka') GROUP BY grp";
  CHECK_INT(remdb_prepare(odb, cn, strlen(cn), &st, NULL), REMDB_OK);
  if (st) {
    CHECK_STR(remdb_column_name(st, 1), "count(*)");
    CHECK_STR(remdb_column_name(st, 2), "sum( grp )");
  }
  remdb_finalize(st);
  st = NULL;
  CHECK_INT(exec(odb, "SELECT a.n FROM odocs a JOIN odocs b ON a.id = b.id "
                      "WHERE fulltext.match('ka')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(odb), "WHERE fulltext.match(...) AND ...; for "
                               "joins, join with fts(");
  /* fts() joins */
  CHECK_INT(exec(odb, "SELECT d.n FROM fts('odocs', 'ka OR lo', 5, 'grp < 3') "
                      "f JOIN odocs d ON d.id = f.id"),
            REMDB_OK);
}

static void test_oracle_teardown(void) {
  remdb_close(odb);
  sqlite3_close(o5);
  fts_analyzer_free(oan);
  for (size_t i = 0; i < NVOC; i++) free(voc[i]);
  for (size_t r = 1; r <= NROWS; r++) {
    free(row_a[r]);
    free(row_b[r]);
  }
  char d[600];
  snprintf(d, sizeof d, "%s-oracle", dir);
  rm_tree(d);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "ftssearch");
  TEST_CASE(test_rrf);
  TEST_CASE(test_errors);
  TEST_CASE(test_oracle_setup);
  TEST_CASE_AFTER(test_oracle, test_oracle_setup);
  TEST_CASE_AFTER(test_filtered, test_oracle_setup);
  TEST_CASE_AFTER(test_hybrid, test_oracle_setup);
  TEST_CASE_AFTER(test_surface, test_oracle_setup);
  TEST_CASE_AFTER(test_oracle_teardown, test_oracle_setup);
  int rc_ = test_main(argc, argv, "test_fts_search");
  rm_tree(dir);
  return rc_;
}

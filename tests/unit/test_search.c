/* test_search.c: embeddings and exact search: explicit vectors and their
** validation, the hash provider, true top-k against brute force, filtered
** (hybrid) top-k equal to the exact filtered answer, delete and update
** visibility, min_score, SQL SEARCH and search(). */
#include <jansson.h>
#include <math.h>

#include "core/core.h"
#include "embed/embed.h"
#include "util/util.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

/* The reference score, in double precision: cosine, inner product ("ip"),
** or minus the euclidean distance ("l2"). */
static float vec_score(const char *metric, const float *a, const float *b,
                       int dim) {
  if (metric[0] == 'l') {
    double d = 0;
    for (int i = 0; i < dim; i++) {
      double x = (double)a[i] - b[i];
      d += x * x;
    }
    return (float)-sqrt(d);
  }
  double dot = 0, na = 0, nb = 0;
  for (int i = 0; i < dim; i++) {
    dot += (double)a[i] * b[i];
    na += (double)a[i] * a[i];
    nb += (double)b[i] * b[i];
  }
  if (metric[0] == 'i') return (float)dot;
  return na > 0 && nb > 0 ? (float)(dot / sqrt(na * nb)) : 0.0f;
}

static char dir[512];
#define S(lit) lit, strlen(lit)
#define DIM 8
#define ROWS 400

static const char *vecs =
    "{\"name\":\"vecs\",\"properties\":{\"label\":{\"type\":\"string\"},"
    "\"grp\":{\"type\":\"integer\"}},\"indexed_fields\":[\"grp\"],"
    "\"embedding\":{\"dim\":8,\"metric\":\"cosine\",\"provider\":\"none\"}}";
static const char *docs =
    "{\"name\":\"docs\",\"properties\":{\"text\":{\"type\":\"string\"}},"
    "\"embedding_fields\":[\"text\"],"
    "\"embedding\":{\"dim\":64,\"metric\":\"cosine\",\"provider\":\"hash\"}}";

static float data[ROWS][DIM];
static char ids[ROWS][REMDB_ID_LEN + 1];
static unsigned rs = 12345;
static float frand(void) {
  rs = rs * 1103515245u + 12345u;
  return (float)((rs >> 8) & 0xffff) / 65536.0f - 0.5f;
}

/* ids of the search result, in order */
static size_t result_ids(remdb *db, const char *table, const char *q,
                         size_t k, const char *where, char out[][40]) {
  char *json = NULL;
  CHECK_INT(remdb_search(db, table, q, k, -1e30, where, &json), REMDB_OK);
  json_t *a = json ? json_loads(json, 0, NULL) : NULL;
  remdb_free(json);
  size_t n = json_array_size(a);
  for (size_t i = 0; i < n; i++)
    snprintf(out[i], 40, "%s",
             json_string_value(json_object_get(json_array_get(a, i), "id")));
  json_decref(a);
  return n;
}

/* first-column values of an SQL query (n at most 16), -1 on error */
static int sql_col(remdb *db, const char *sql, char out[][40]) {
  remdb_stmt *st = NULL;
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) return -1;
  int n = 0, rc;
  while ((rc = remdb_step(st)) == REMDB_ROW && n < 16) {
    const char *v = remdb_column_text(st, 0, NULL);
    snprintf(out[n++], 40, "%s", v ? v : "NULL");
  }
  remdb_finalize(st);
  return rc == REMDB_DONE || rc == REMDB_ROW ? n : -1;
}

static bool same_ids(char a[][40], char b[][40], int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(a[i], b[i]) != 0) return false;
  return true;
}

/* The exact answer, by brute force here: indexes of the top k. */
static const float *bq;
static int by_score(const void *a, const void *b) {
  float x = vec_score("cosine", bq, data[*(const size_t *)a], DIM);
  float y = vec_score("cosine", bq, data[*(const size_t *)b], DIM);
  return (x < y) - (x > y);
}

static size_t brute(const float *q, size_t k, int grp_only, bool *dead,
                    size_t *out) {
  size_t all[ROWS], n = 0;
  for (size_t r = 0; r < ROWS; r++)
    if (!dead[r] && (grp_only < 0 || (int)(r % 5) == grp_only)) all[n++] = r;
  bq = q;
  qsort(all, n, sizeof *all, by_score);
  if (n > k) n = k;
  memcpy(out, all, n * sizeof *out);
  return n;
}

/* ---- one snapshot per read ---------------------------------------------
** A statement, a search and its filter each read one snapshot, and what
** runs nested in them (search() in a statement, search() in a filter)
** reads the same one: a write committed after it was taken is invisible
** to all of them. */

static remdb *writer; /* a second handle that commits between reads */
static int hook_armed;
static const char *hook_row;

static void write_after_snapshot(remdb *db) {
  (void)db;
  if (!hook_armed) return;
  hook_armed = 0; /* once: the read that just took its snapshot */
  CHECK_INT(remdb_insert(writer, "snapt", hook_row, strlen(hook_row), NULL),
            REMDB_OK);
}

static void test_one_snapshot(void) {
  char sdir[512];
  scratch_dir(sdir, sizeof sdir, "search-snap");
  remdb *db = NULL;
  CHECK_INT(remdb_open(sdir, "t", NULL, &db), REMDB_OK);
  static const char *snapt =
      "{\"name\":\"snapt\",\"properties\":{\"label\":{\"type\":\"string\"},"
      "\"grp\":{\"type\":\"integer\"}},\"indexed_fields\":[\"grp\"],"
      "\"embedding\":{\"dim\":2,\"metric\":\"l2\",\"provider\":\"none\"}}";
  CHECK_INT(remdb_schema_put(db, S(snapt)), REMDB_OK);
  CHECK_INT(remdb_open_tenant(db, "t", &writer), REMDB_OK);
  /* a (grp 1) then b (grp 2): ids grow, so a full scan meets a first */
  CHECK_INT(remdb_insert(db, "snapt",
                         S("{\"label\":\"a\",\"grp\":1,\"embedding\":[1,0]}"),
                         NULL),
            REMDB_OK);
  CHECK_INT(remdb_insert(db, "snapt",
                         S("{\"label\":\"b\",\"grp\":2,\"embedding\":[2,0]}"),
                         NULL),
            REMDB_OK);

  /* a statement whose rows each run a search: a row of grp 2 committed
  ** between its first and second row is not seen by the second search */
  remdb_stmt *st;
  const char *q =
      "SELECT t.label, (SELECT count(*) FROM search('snapt', '[0, 0]', 100, "
      "'grp = ' || t.grp)) FROM snapt t";
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_STR(remdb_column_text(st, 0, NULL), "a");
  CHECK_INT(remdb_column_int64(st, 1), 1);
  CHECK_INT(remdb_insert(writer, "snapt",
                         S("{\"label\":\"c\",\"grp\":2,\"embedding\":[3,0]}"),
                         NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_STR(remdb_column_text(st, 0, NULL), "b");
  CHECK_INT(remdb_column_int64(st, 1), 1); /* c is after the snapshot */
  CHECK_INT(remdb_step(st), REMDB_DONE);
  /* run again: a new run reads a new snapshot, which holds c */
  CHECK_INT(remdb_reset(st), REMDB_OK);
  int rows = 0, rc;
  int64_t last = 0;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    rows++;
    last = remdb_column_int64(st, 1);
  }
  CHECK_INT(rc, REMDB_DONE);
  CHECK_INT(rows, 3);
  CHECK_INT(last, 2);
  remdb_finalize(st);

  for (int i = 4; i <= 8; i++) { /* d..h at distance 4..8 */
    char row[96];
    int n = snprintf(row, sizeof row,
                     "{\"label\":\"%c\",\"grp\":1,\"embedding\":[%d,0]}",
                     'a' + i - 1, i);
    CHECK_INT(remdb_insert(db, "snapt", row, (size_t)n, NULL), REMDB_OK);
  }

  /* a search whose filter runs a search: a row nearer than all, committed
  ** right after the outer search took its snapshot, is in neither */
  snap_test_hook = write_after_snapshot;
  hook_row = "{\"label\":\"z\",\"grp\":1,\"embedding\":[0,0]}";
  hook_armed = 1;
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = 5;
  o.method = REMDB_SEARCH_EXACT;
  o.where = "id IN (SELECT id FROM search('snapt', '[0, 0]', 5))";
  char *json = NULL;
  CHECK_INT(remdb_search_ex(db, "snapt", "[0, 0]", &o, &json, NULL),
            REMDB_OK);
  CHECK_INT(hook_armed, 0); /* the write happened, inside the search */
  json_t *a = json ? json_loads(json, 0, NULL) : NULL;
  CHECK_INT(json_array_size(a), 5); /* a, b, c, d, e: all five visible */
  for (size_t i = 0; i < json_array_size(a); i++) {
    json_t *e = json_object_get(json_array_get(a, i), "entity");
    CHECK(strcmp(json_string_value(json_object_get(e, "label")), "z") != 0);
  }
  json_decref(a);
  remdb_free(json);
  /* the same, with the outer read a statement: SEARCH with a filter that
  ** searches */
  hook_row = "{\"label\":\"y\",\"grp\":1,\"embedding\":[0,0]}";
  hook_armed = 1;
  q = "SEARCH '[0, 0]' IN snapt WHERE id IN (SELECT id FROM "
      "search('snapt', '[0, 0]', 7)) LIMIT 7";
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  rows = 0;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    rows++;
    CHECK(strstr(remdb_column_text(st, 3, NULL), "\"label\":\"y\"") == NULL);
  }
  CHECK_INT(rc, REMDB_DONE);
  CHECK_INT(hook_armed, 0);
  CHECK_INT(rows, 7); /* z (now committed) and six more; y is not seen */
  remdb_finalize(st);
  snap_test_hook = NULL;

  /* a nested read never declares the connection its statement runs on
  ** again: after another handle changes the catalog between prepare and
  ** step, the statement is prepared again and answers */
  q = "SELECT count(*) FROM search('snapt', '[0, 0]', 5, 'grp >= 0')";
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  static const char *other =
      "{\"name\":\"snapo\",\"properties\":{\"x\":{\"type\":\"string\"}}}";
  CHECK_INT(remdb_schema_put(writer, S(other)), REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_INT(remdb_column_int64(st, 0), 5);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  remdb_finalize(st);
  remdb_close(writer);
  writer = NULL;
  uint64_t problems = 9;
  CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(db);
  rm_tree(sdir);
}

static void test_search_all(void) {
  remdb *db;
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(vecs)), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(docs)), REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int r = 0; r < ROWS; r++) {
    buf_t j;
    buf_init(&j);
    buf_addf(&j, "{\"label\":\"r%d\",\"grp\":%d,\"embedding\":[", r, r % 5);
    for (int d = 0; d < DIM; d++) {
      data[r][d] = frand();
      buf_addf(&j, "%s%.9g", d ? "," : "", (double)data[r][d]);
    }
    buf_adds(&j, "]}");
    CHECK_INT(remdb_batch_insert(b, "vecs", j.p, j.len, ids[r]), REMDB_OK);
    buf_free(&j);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  /* the embedding is not a stored property */
  char *json;
  CHECK_INT(remdb_get(db, "vecs", ids[0], 0, &json, NULL), REMDB_OK);
  CHECK(strstr(json, "embedding") == NULL);
  remdb_free(json);

  /* bad vectors */
  CHECK_INT(remdb_insert(db, "vecs", S("{\"embedding\":[1,2]}"), NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "vecs.embedding: expected an array of 8");
  CHECK_INT(remdb_insert(db, "vecs",
                         S("{\"embedding\":[1,2,3,4,5,6,7,\"x\"]}"), NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "vecs.embedding[7]: not a finite number");
  CHECK_INT(remdb_insert(db, "vecs",
                         S("{\"embedding\":[1,2,3,4,5,6,7,1e39]}"), NULL),
            REMDB_INVALID);
  CHECK_INT(remdb_search(db, "vecs", "[1,2,3]", 5, -1e30, NULL, &json),
            REMDB_INVALID);
  CHECK_INT(remdb_search(db, "vecs", "free text", 5, -1e30, NULL, &json),
            REMDB_INVALID); /* provider none: a vector is needed */

  /* a stored vector is its own best match */
  {
    buf_t qs;
    buf_init(&qs);
    buf_addc(&qs, '[');
    for (int d = 0; d < DIM; d++)
      buf_addf(&qs, "%s%.9g", d ? "," : "", (double)data[5][d]);
    buf_addc(&qs, ']');
    buf_addc(&qs, 0); /* remdb_search takes a C string */
    char got[10][40];
    CHECK_INT(result_ids(db, "vecs", qs.p, 1, NULL, got), 1);
    CHECK_STR(got[0], ids[5]);

    buf_free(&qs);
  }

  /* exact top-k, plain and filtered, against brute force */
  bool dead[ROWS] = {false};
  int mism = 0;
  for (int t = 0; t < 20; t++) {
    float q[DIM];
    buf_t qs;
    buf_init(&qs);
    buf_addc(&qs, '[');
    for (int d = 0; d < DIM; d++) {
      q[d] = frand();
      buf_addf(&qs, "%s%.9g", d ? "," : "", (double)q[d]);
    }
    buf_addc(&qs, ']');
    buf_addc(&qs, 0); /* remdb_search takes a C string */
    int grp = t % 2 ? t % 5 : -1;
    char where[32];
    snprintf(where, sizeof where, "grp = %d", grp);
    char got[10][40];
    size_t want[10];
    size_t n = result_ids(db, "vecs", qs.p, 10, grp >= 0 ? where : NULL, got);
    size_t m = brute(q, 10, grp, dead, want);
    if (n != m) mism++;
    for (size_t i = 0; i < n && i < m; i++) {
      mism += strcmp(got[i], ids[want[i]]) != 0;
    }
    buf_free(&qs);
    /* then delete one of the hits: it must vanish from later results */
    if (n && t % 4 == 0) {
      size_t victim = want[0];
      CHECK_INT(remdb_delete(db, ids[victim], t % 8 ? 0 : REMDB_HARD),
                REMDB_OK);
      dead[victim] = true;
    }
  }
  CHECK_INT(mism, 0);

  /* min_score bounds the answer */
  CHECK_INT(remdb_search(db, "vecs", "[1,0,0,0,0,0,0,0]", 400, 0.5, NULL,
                         &json),
            REMDB_OK);
  json_t *a = json_loads(json, 0, NULL);
  int below = 0;
  for (size_t i = 0; i < json_array_size(a); i++)
    below += json_real_value(json_object_get(json_array_get(a, i), "score")) <
             0.5;
  CHECK_INT(below, 0);
  CHECK(json_array_size(a) > 0);
  json_decref(a);
  remdb_free(json);

  /* the hash provider: text finds text; an update re-embeds */
  char d1[REMDB_ID_LEN + 1], d2[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_insert(db, "docs", S("{\"text\":\"OAuth login and session "
                                       "authentication\"}"), d1),
            REMDB_OK);
  CHECK_INT(remdb_insert(db, "docs", S("{\"text\":\"monthly invoice "
                                       "payment report\"}"), d2),
            REMDB_OK);
  char got[10][40];
  CHECK_INT(result_ids(db, "docs", "authentication", 2, NULL, got), 2);
  CHECK_STR(got[0], d1);
  CHECK_INT(remdb_update(db, d2, S("{\"text\":\"authentication audit\"}")),
            REMDB_OK);
  CHECK_INT(result_ids(db, "docs", "authentication audit", 1, NULL, got), 1);
  CHECK_STR(got[0], d2);
  float e1[16], e2[16];
  embed_hash(S("Hello, World"), 16, e1);
  embed_hash(S("hello world"), 16, e2);
  CHECK(fabsf(vec_score("cosine", e1, e2, 16) - 1.0f) < 1e-5f);

  /* SQL */
  remdb_stmt *st;
  CHECK_INT(remdb_prepare(db, S("SEARCH 'authentication' IN docs LIMIT 1"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_STR(remdb_column_name(st, 1), "_score");
  CHECK(remdb_column_double(st, 1) > 0);
  remdb_finalize(st);

  /* embedding.cosine() in WHERE: the search runs with the other
  ** conditions as its filter, so the rows are the exact filtered top k */
  {
    char q[400], sql[1200], rows[16][40], e[16][40];
    size_t o = (size_t)snprintf(q, sizeof q, "[");
    for (int d = 0; d < DIM; d++)
      o += (size_t)snprintf(q + o, sizeof q - o, "%s%.6f", d ? "," : "",
                            (double)data[17][d] * (d % 2 ? 1 : -1));
    snprintf(q + o, sizeof q - o, "]");
    size_t ne = result_ids(db, "vecs", q, 5, "grp = 2", e);
    CHECK_INT(ne, 5);
    snprintf(sql, sizeof sql,
             "SELECT id, _score FROM vecs WHERE embedding.cosine('%s') AND "
             "grp = 2 LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(same_ids(rows, e, 5));
    /* the rewrite is rebuilt from whole tokens: comments go, and numbers
    ** with an exponent or in hex, two-character operators and a string
    ** with a quote in it stay as written */
    snprintf(sql, sizeof sql,
             "SELECT id /* the id */ FROM vecs WHERE grp <> 0x3 -- not three\n"
             "AND embedding.cosine('%s') AND grp == 2e0 AND label != 'it''s' "
             "LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(same_ids(rows, e, 5));
    /* an alias, the call second, qualified columns */
    snprintf(sql, sizeof sql,
             "SELECT v.id FROM vecs AS v WHERE v.grp = 2 AND "
             "embedding.cosine('%s') LIMIT 5;", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(same_ids(rows, e, 5));
    /* OFFSET: ranks 3 and 4 */
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE embedding.cosine('%s') AND grp = 2 "
             "LIMIT 2 OFFSET 2", q);
    CHECK_INT(sql_col(db, sql, rows), 2);
    CHECK(same_ids(rows, e + 2, 2));
    /* _score is a column, best first, and other ORDER BYs are honoured */
    snprintf(sql, sizeof sql,
             "SELECT _score FROM vecs WHERE grp = 2 AND "
             "embedding.cosine('%s') LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(atof(rows[0]) <= 1 && atof(rows[0]) >= atof(rows[1]) &&
          atof(rows[3]) >= atof(rows[4]) && atof(rows[4]) > -1);
    snprintf(sql, sizeof sql,
             "SELECT label FROM vecs WHERE embedding.cosine('%s') AND grp = 2 "
             "ORDER BY label DESC LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(strcmp(rows[0], rows[1]) > 0 && strcmp(rows[3], rows[4]) > 0);
    /* no other condition; no LIMIT means 10 */
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE embedding.cosine('%s')", q);
    CHECK_INT(sql_col(db, sql, rows), 10);
    ne = result_ids(db, "vecs", q, 10, NULL, e);
    CHECK(same_ids(rows, e, 10));
    /* EXPLAIN shows the vector route */
    snprintf(sql, sizeof sql,
             "EXPLAIN SELECT id FROM vecs WHERE embedding.cosine('%s') AND "
             "grp = 2 LIMIT 5", q);
    remdb_stmt *ex;
    CHECK_INT(remdb_prepare(db, sql, strlen(sql), &ex, NULL), REMDB_OK);
    bool vector_route = false;
    while (remdb_step(ex) == REMDB_ROW) {
      const char *r = remdb_column_text(ex, 1, NULL);
      /* the filter's own route shows too ("index lookup on grp = 2") */
      if (r && (strstr(r, "vector exact over 80 filtered rows") ||
                strstr(r, "vector hnsw ef=128 filtered")))
        vector_route = true;
    }
    remdb_finalize(ex);
    CHECK(vector_route);
    /* conditions on both sides of the call; an alias in another case */
    CHECK_INT(result_ids(db, "vecs", q, 5, "grp = 2", e), 5);
    snprintf(sql, sizeof sql,
             "SELECT V.id FROM vecs v WHERE V.grp = 2 AND "
             "embedding.cosine('%s') AND v.label LIKE 'r%%' LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(same_ids(rows, e, 5));
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE grp = 2 AND embedding.cosine('%s') AND "
             "-1 < grp LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), 5);
    CHECK(same_ids(rows, e, 5));
    /* what it cannot do is said */
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE grp = 1 OR grp = 2 AND "
             "embedding.cosine('%s') LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), -1);
    CHECK_HAS(remdb_errmsg(db), "no OR at the top");
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE embedding.cosine('%s') LIMIT 2+3", q);
    CHECK_INT(sql_col(db, sql, rows), -1);
    CHECK_HAS(remdb_errmsg(db), "LIMIT must be a whole number");
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE embedding.cosine('%s') LIMIT 5 OFFSET "
             "9223372036854775807", q);
    CHECK_INT(sql_col(db, sql, rows), -1);
    CHECK_HAS(remdb_errmsg(db), "OFFSET must be a whole number");
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE embedding.l2('%s') LIMIT 5", q);
    CHECK_INT(sql_col(db, sql, rows), -1);
    CHECK_HAS(remdb_errmsg(db), "indexed for the cosine metric; use "
                                "embedding.cosine()");
    snprintf(sql, sizeof sql,
             "SELECT id FROM vecs WHERE embedding.cosine('%s') OR grp = 2", q);
    CHECK_INT(sql_col(db, sql, rows), -1);
    CHECK_HAS(remdb_errmsg(db), "a condition of its own");
    snprintf(sql, sizeof sql,
             "SELECT v.id FROM vecs v JOIN docs d ON 1 WHERE "
             "embedding.cosine('%s')", q);
    CHECK_INT(sql_col(db, sql, rows), -1);
    CHECK_HAS(remdb_errmsg(db), "works on one table");
    CHECK_INT(sql_col(db, "SELECT id FROM vecs WHERE embedding.cosine(3)", rows),
              -1);
    CHECK_HAS(remdb_errmsg(db), "REM syntax error");
    CHECK_INT(sql_col(db, "SELECT id FROM vecs WHERE embedding.cosine('[1]')",
                      rows), -1);
    CHECK_HAS(remdb_errmsg(db), "expected an array of 8 numbers");
    CHECK_INT(sql_col(db, "SELECT 1 WHERE 1 IN (SELECT id FROM vecs WHERE "
                          "embedding.cosine('[1]'))", rows), -1);
    CHECK_HAS(remdb_errmsg(db), "not in a subquery");
  }
  uint64_t problems = 9;
  CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(db);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "search");
  TEST_CASE(test_search_all);
  TEST_CASE(test_one_snapshot);
  int rc_ = test_main(argc, argv, "test_search");
  rm_tree(dir);
  return rc_;
}

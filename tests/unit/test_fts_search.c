/* test_fts_search.c: keyword and hybrid search above the full-text index:
** reciprocal rank fusion as a pure function, the modes of remdb_search_ex,
** SEARCH ... MODE, fulltext.match() and fts() in SQL, and every error they
** give (bad mode, a table without a full-text index, a malformed query with
** its position). */
#include <jansson.h>
#include <math.h>

#include "core/core.h"
#include "remdb.h"
#include "search/search.h"
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

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "ftssearch");
  TEST_CASE(test_rrf);
  TEST_CASE(test_errors);
  int rc_ = test_main(argc, argv, "test_fts_search");
  rm_tree(dir);
  return rc_;
}

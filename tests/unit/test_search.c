/* test_search.c: embeddings and exact search: explicit vectors and their
** validation, the hash provider, true top-k against brute force, filtered
** (hybrid) top-k equal to the exact filtered answer, delete and update
** visibility, min_score, SQL SEARCH and search(). */
#include <jansson.h>
#include <math.h>

#include "embed/embed.h"
#include "util/util.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

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

int main(void) {
  scratch_dir(dir, sizeof dir, "search");
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
  uint64_t problems = 9;
  CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(db);
  rm_tree(dir);
  return test_done("test_search");
}

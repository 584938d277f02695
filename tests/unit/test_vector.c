/*
** test_vector.c: the HNSW index through the C API, on a table large enough
** that the planner uses it: recall against the exact route, filtered
** (hybrid) search, delete and update visibility, persistence across
** reopen without a rebuild, the cache limit (exact search and a stale
** index until reindex), verify catching a missing node, and bad options.
*/
#include <jansson.h>
#include <math.h>
#include <pthread.h>

#include "damage.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];
#define S(lit) lit, strlen(lit)
#define DIM 24
#define ROWS 3000
#define NQ 40

static const char *schema =
    "{\"name\":\"vecs\",\"properties\":{\"grp\":{\"type\":\"integer\"},"
    "\"n\":{\"type\":\"integer\"}},\"indexed_fields\":[\"grp\",\"n\"],"
    "\"embedding\":{\"dim\":24,\"metric\":\"cosine\",\"provider\":\"none\","
    "\"M\":12,\"ef_construction\":100,\"ef_search\":96}}";

static float data[ROWS][DIM], queries[NQ][DIM];
static char ids[ROWS][REMDB_ID_LEN + 1];
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static float gauss(void) {
  rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
  float u = (float)((rs >> 11) * 0x1.0p-53) + 1e-9f;
  rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
  float v = (float)((rs >> 11) * 0x1.0p-53);
  return sqrtf(-2 * logf(u)) * cosf(6.2831853f * v);
}

static void make_data(void) {
  float centre[30][DIM];
  for (int c = 0; c < 30; c++)
    for (int d = 0; d < DIM; d++) centre[c][d] = gauss();
  for (int i = 0; i < ROWS + NQ; i++) {
    float *v = i < ROWS ? data[i] : queries[i - ROWS];
    int c = (int)(((unsigned)i * 2654435761u) % 30);
    for (int d = 0; d < DIM; d++) v[d] = centre[c][d] + 0.3f * gauss();
  }
}

static void vec_json(const float *v, char *out, size_t n) {
  size_t o = (size_t)snprintf(out, n, "[");
  for (int d = 0; d < DIM; d++)
    o += (size_t)snprintf(out + o, n - o, "%s%.7g", d ? "," : "", (double)v[d]);
  snprintf(out + o, n - o, "]");
}

/* Search; fills out[] with ids, returns how many (or -1), plan optional */
static int search(remdb *db, const float *q, size_t k, const char *where,
                  int method, int ef, char out[][40], char **plan) {
  char qs[1024];
  vec_json(q, qs, sizeof qs);
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = k;
  o.where = where;
  o.method = method;
  o.ef_search = ef;
  char *json = NULL;
  if (remdb_search_ex(db, "vecs", qs, &o, &json, plan) != REMDB_OK) {
    fprintf(stderr, "search: %s\n", remdb_errmsg(db));
    return -1;
  }
  json_t *a = json_loads(json, 0, NULL);
  remdb_free(json);
  int n = (int)json_array_size(a);
  for (int i = 0; i < n; i++)
    snprintf(out[i], 40, "%s",
             json_string_value(json_object_get(json_array_get(a, i), "id")));
  json_decref(a);
  return n;
}

/* recall of HNSW against EXACT over all queries */
static double recall(remdb *db, const char *where, int ef, int *bad) {
  size_t hit = 0, want = 0;
  char h[10][40], e[10][40];
  for (int q = 0; q < NQ; q++) {
    int nh = search(db, queries[q], 10, where, REMDB_SEARCH_HNSW, ef, h, NULL);
    int ne = search(db, queries[q], 10, where, REMDB_SEARCH_EXACT, 0, e, NULL);
    if (nh < 0 || ne < 0) {
      (*bad)++;
      continue;
    }
    want += (size_t)ne;
    for (int i = 0; i < nh; i++)
      for (int j = 0; j < ne; j++) hit += strcmp(h[i], e[j]) == 0;
  }
  return want ? (double)hit / (double)want : 0;
}

static uint64_t problems(remdb *db) {
  uint64_t p = 99;
  CHECK_INT(remdb_verify(db, NULL, NULL, &p), REMDB_OK);
  return p;
}

static void stat_of(remdb *db, const char *key, char *out, size_t n) {
  char *js = NULL;
  out[0] = 0;
  if (remdb_stats(db, &js) != REMDB_OK) return;
  json_t *s = json_loads(js, 0, NULL);
  json_t *v = json_object_get(
      json_object_get(json_object_get(json_object_get(s, "tables"), "vecs"),
                      "vector_index"),
      key);
  if (json_is_string(v)) snprintf(out, n, "%s", json_string_value(v));
  else if (json_is_integer(v))
    snprintf(out, n, "%lld", (long long)json_integer_value(v));
  json_decref(s);
  remdb_free(js);
}

static remdb *open_db(size_t vcache) {
  remdb_options o;
  remdb_options_init(&o);
  if (vcache) o.vector_cache_bytes = vcache;
  remdb *db = NULL;
  CHECK_INT(remdb_open(dir, "t1", &o, &db), REMDB_OK);
  return db;
}

static void load(remdb *db) {
  CHECK_INT(remdb_schema_put(db, S(schema)), REMDB_OK);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  int bad = 0;
  for (int i = 0; i < ROWS; i++) {
    char js[1200], v[1024];
    vec_json(data[i], v, sizeof v);
    snprintf(js, sizeof js, "{\"grp\":%d,\"n\":%d,\"embedding\":%s}",
             i % 10, i, v);
    bad += remdb_batch_insert(b, "vecs", js, strlen(js), ids[i]) != REMDB_OK;
  }
  CHECK_INT(bad, 0);
  CHECK_INT(remdb_batch_commit(b, 1), REMDB_OK);
  remdb_batch_free(b);
}

static int id_index(const char *id) {
  for (int i = 0; i < ROWS; i++)
    if (strcmp(ids[i], id) == 0) return i;
  return -1;
}

/* Delete every stored node (and the graph's entry record): the database
** as an older build (vectors, no index) left it.  The database must be
** closed. */
static int drop_all_nodes(void) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  if (kv_open(dir, &ko, &kv, &e) != REMDB_OK) return -1;
  kv_iter_t *it;
  int n = 0;
  kv_batch_t *kb = kv_batch_new(kv);
  if (kv_iter_new(kv, NULL, KV_VECTOR, NULL, 0, NULL, 0, &it, &e) == REMDB_OK) {
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl;
      const char *k = kv_iter_key(it, &kl);
      if (kl == 25 && k[24] == 'G') {
        kv_batch_del(kb, KV_VECTOR, k, kl);
        n++;
      } else if (kl == KEY_VHEAD_LEN && k[8] == 'H') {
        kv_batch_del(kb, KV_VECTOR, k, kl);
      }
    }
    kv_iter_free(it);
  }
  if (kv_write(kv, kb, 1, &e) != REMDB_OK) n = -1;
  kv_batch_free(kb);
  kv_close(kv);
  return n;
}

static bool pick_node(const char *k, size_t n) {
  return n == 25 && k[24] == 'G';
}

/* ---- a read-only store reads its graph as it searches ---- */

/* The answer (JSON: ids, scores, entities) of a search, or NULL. */
static char *answer(remdb *db, const float *q, const char *where, int ef) {
  char qs[1024];
  vec_json(q, qs, sizeof qs);
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = 10;
  o.where = where;
  o.method = REMDB_SEARCH_HNSW;
  o.ef_search = ef;
  char *json = NULL, *plan = NULL;
  if (remdb_search_ex(db, "vecs", qs, &o, &json, &plan) != REMDB_OK) {
    fprintf(stderr, "search: %s\n", remdb_errmsg(db));
    return NULL;
  }
  if (strncmp(plan, "hnsw", 4) != 0) { /* through the graph, lazy or not */
    fprintf(stderr, "search: plan %s\n", plan);
    remdb_free(json);
    json = NULL;
  }
  remdb_free(plan);
  return json;
}

#define NVAR 3 /* per query: plain, filtered, another ef */
static const char *var_where[NVAR] = {NULL, "grp >= 2", NULL};
static const int var_ef[NVAR] = {0, 0, 40};

/* Every query's answers on db; NULL entries where a search failed. */
static void answers(remdb *db, char *out[NQ][NVAR]) {
  for (int q = 0; q < NQ; q++)
    for (int k = 0; k < NVAR; k++)
      out[q][k] = answer(db, queries[q], var_where[k], var_ef[k]);
}

/* How many of db's answers are not exactly want's. */
static int differ(remdb *db, char *want[NQ][NVAR]) {
  int bad = 0;
  for (int q = 0; q < NQ; q++)
    for (int k = 0; k < NVAR; k++) {
      char *a = answer(db, queries[q], var_where[k], var_ef[k]);
      bad += a == NULL || want[q][k] == NULL || strcmp(a, want[q][k]) != 0;
      remdb_free(a);
    }
  return bad;
}

static void free_answers(char *a[NQ][NVAR]) {
  for (int q = 0; q < NQ; q++)
    for (int k = 0; k < NVAR; k++) remdb_free(a[q][k]);
}

/* Search db until its graph is loaded whole (a read-only store reads it
** lazily for its first searches); the number of searches it took. */
static int until_loaded(remdb *db) {
  char st[64];
  int n = 0;
  for (; n < 1000; n++) {
    stat_of(db, "memory", st, sizeof st);
    if (strcmp(st, "in memory") == 0) break;
    remdb_free(answer(db, queries[n % NQ], NULL, 0));
  }
  return n;
}

typedef struct writer_arg {
  remdb *db;
  int ops, failed;
} writer_arg;

/* Inserts, re-embeddings and hard deletes, committed one by one. */
static void *writer_main(void *p) {
  writer_arg *a = p;
  for (int i = 0; i < a->ops; i++) {
    char js[1300], v[1024], id[REMDB_ID_LEN + 1];
    float x[DIM];
    for (int d = 0; d < DIM; d++) x[d] = queries[i % NQ][d] + 0.05f * gauss();
    vec_json(x, v, sizeof v);
    snprintf(js, sizeof js, "{\"grp\":%d,\"n\":%d,\"embedding\":%s}", i % 10,
             ROWS + i, v);
    a->failed += remdb_insert(a->db, "vecs", js, strlen(js), id) != REMDB_OK;
    if (i % 3 == 0)
      a->failed +=
          remdb_delete(a->db, ids[i * 7 % ROWS], REMDB_HARD) != REMDB_OK;
    if (i % 5 == 0) {
      snprintf(js, sizeof js, "{\"embedding\":%s}", v);
      a->failed += remdb_update(a->db, ids[i * 11 % ROWS + 1], js,
                                strlen(js)) != REMDB_OK;
    }
  }
  return NULL;
}

/* A read-only store answers every search exactly as the loaded graph
** does, while it holds only the nodes its searches visited; a writer
** committing meanwhile (another handle, another thread) changes nothing
** in its answers (its view holds still); after its first searches it
** loads the graph whole and answers alike; after a refresh it reads the
** new graph lazily, and answers as that graph loaded whole. */
static void lazy_reader(void) {
  char ldir[600];
  snprintf(ldir, sizeof ldir, "%s-lazy", dir);
  rm_tree(ldir);
  remdb *w = NULL, *r = NULL, *r2 = NULL;
  CHECK_INT(remdb_open(ldir, "t1", NULL, &w), REMDB_OK);
  load(w);
  remdb_close(w);
  /* the graph loaded whole by a writer's handle */
  CHECK_INT(remdb_open(ldir, "t1", NULL, &w), REMDB_OK);
  static char *full[NQ][NVAR], *later[NQ][NVAR];
  answers(w, full);
  char st[64];
  stat_of(w, "memory", st, sizeof st);
  CHECK_STR(st, "in memory");
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(ldir, "t1", &o, &r), REMDB_OK);
  stat_of(r, "memory", st, sizeof st);
  CHECK_STR(st, "not loaded");
  /* one search: a part of the graph read, the loaded graph's answer */
  char *a = answer(r, queries[0], NULL, 0);
  CHECK(a && full[0][0] && strcmp(a, full[0][0]) == 0);
  remdb_free(a);
  stat_of(r, "memory", st, sizeof st);
  CHECK_STR(st, "read as searched");
  stat_of(r, "nodes_in_memory", st, sizeof st);
  long part = atol(st);
  printf("test_vector: one lazy search holds %ld of %d nodes\n", part, ROWS);
  CHECK(part > 0 && part < ROWS);
  /* every answer (120 searches: lazy, then loaded whole after the 100th),
  ** while a writer commits in another thread */
  writer_arg wa = {w, 120, 0};
  pthread_t th;
  CHECK_INT(pthread_create(&th, NULL, writer_main, &wa), 0);
  CHECK_INT(differ(r, full), 0);
  pthread_join(th, NULL);
  CHECK_INT(wa.failed, 0);
  CHECK_INT(differ(r, full), 0);
  /* by now (240 searches) the graph is loaded whole: the same answers */
  int n = until_loaded(r);
  CHECK(n < 1000);
  CHECK_INT(differ(r, full), 0);
  /* refresh: the writer's graph, read lazily again; a second reader
  ** opened now loads it whole, and both answer alike */
  CHECK_INT(remdb_refresh(r), REMDB_OK);
  stat_of(r, "memory", st, sizeof st);
  CHECK_STR(st, "not loaded");
  CHECK_INT(remdb_open(ldir, "t1", &o, &r2), REMDB_OK);
  CHECK(until_loaded(r2) < 1000);
  answers(r2, later);
  a = answer(r, queries[1], NULL, 0);
  CHECK(a && later[1][0] && strcmp(a, later[1][0]) == 0);
  remdb_free(a);
  stat_of(r, "memory", st, sizeof st);
  CHECK_STR(st, "read as searched");
  CHECK_INT(differ(r, later), 0);
  int moved = 0; /* the writes did change answers */
  for (int q = 0; q < NQ; q++)
    moved += full[q][0] && later[q][0] && strcmp(full[q][0], later[q][0]);
  CHECK(moved > 0);
  CHECK_INT(problems(w), 0);
  CHECK_INT(problems(r), 0);
  free_answers(full);
  free_answers(later);
  remdb_close(r2);
  remdb_close(r);
  remdb_close(w);
  rm_tree(ldir);
}

static void test_vector_all(void) {
  make_data();
  remdb *db = open_db(0);
  load(db);
  char st[64];
  stat_of(db, "nodes_in_memory", st, sizeof st);
  CHECK_STR(st, "3000");

  /* a dry run (validate) and an abandoned batch leave the graph alone */
  {
    char js[1200], v[1024];
    vec_json(queries[3], v, sizeof v);
    snprintf(js, sizeof js, "{\"grp\":1,\"n\":1,\"embedding\":%s}", v);
    CHECK_INT(remdb_validate(db, "vecs", js, strlen(js)), REMDB_OK);
    remdb_batch *b = NULL;
    CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
    CHECK_INT(remdb_batch_insert(b, "vecs", js, strlen(js), NULL), REMDB_OK);
    remdb_batch_free(b);
    stat_of(db, "memory", st, sizeof st);
    CHECK_STR(st, "in memory");
    stat_of(db, "nodes_in_memory", st, sizeof st);
    CHECK_STR(st, "3000");
  }

  /* recall of the graph against the exact route */
  int bad = 0;
  double r = recall(db, NULL, 0, &bad);
  printf("test_vector: recall@10 %.3f at the schema's ef_search (96)\n", r);
  CHECK(r >= 0.95);
  CHECK(recall(db, NULL, 400, &bad) >= r);
  CHECK_INT(bad, 0);

  /* the planner: no filter on 3000 rows -> graph; a 1% filter on an
  ** indexed field -> exact over the filtered rows; 80% -> graph */
  char out[10][40], *plan = NULL;
  CHECK_INT(search(db, queries[0], 10, NULL, REMDB_SEARCH_AUTO, 0, out, &plan),
            10);
  CHECK_HAS(plan, "hnsw ef=96");
  remdb_free(plan);
  CHECK_INT(search(db, queries[0], 10, "n < 30", REMDB_SEARCH_AUTO, 0, out,
                   &plan), 10);
  CHECK_HAS(plan, "exact over 30 filtered rows");
  remdb_free(plan);
  CHECK_INT(search(db, queries[0], 10, "grp >= 2", REMDB_SEARCH_AUTO, 0, out,
                   &plan), 10);
  CHECK_HAS(plan, "hnsw ef=96 filtered");
  remdb_free(plan);

  /* hybrid through the graph: every result passes the filter, and the
  ** answer is the exact filtered top k up to the graph's recall */
  r = recall(db, "grp = 3", 0, &bad);
  printf("test_vector: filtered (10%%) recall@10 %.3f through the graph\n", r);
  CHECK(r >= 0.95);
  int wrong = 0;
  for (int q = 0; q < NQ; q++) {
    int n = search(db, queries[q], 10, "grp IN (1, 7)", REMDB_SEARCH_HNSW, 0,
                   out, NULL);
    for (int i = 0; i < n; i++) {
      int x = id_index(out[i]);
      wrong += x < 0 || (x % 10 != 1 && x % 10 != 7);
    }
  }
  CHECK_INT(wrong, 0);
  /* a filter nothing passes: no rows either way */
  CHECK_INT(search(db, queries[0], 10, "grp = 99", REMDB_SEARCH_HNSW, 0, out,
                   NULL), 0);

  /* delete and update visibility through the graph */
  CHECK_INT(search(db, data[5], 1, NULL, REMDB_SEARCH_HNSW, 0, out, NULL), 1);
  CHECK_STR(out[0], ids[5]); /* a stored vector finds itself */
  CHECK_INT(remdb_delete(db, ids[5], 0), REMDB_OK); /* soft */
  CHECK_INT(remdb_delete(db, ids[6], REMDB_HARD), REMDB_OK);
  int seen = 0;
  for (int q = 5; q <= 6; q++) {
    int n = search(db, data[q], 10, NULL, REMDB_SEARCH_HNSW, 0, out, NULL);
    for (int i = 0; i < n; i++)
      seen += !strcmp(out[i], ids[5]) || !strcmp(out[i], ids[6]);
  }
  CHECK_INT(seen, 0);
  /* re-embed row 7 to query 0's vector: it becomes query 0's best */
  char patch[1200], v[1024];
  vec_json(queries[0], v, sizeof v);
  snprintf(patch, sizeof patch, "{\"embedding\":%s}", v);
  CHECK_INT(remdb_update(db, ids[7], patch, strlen(patch)), REMDB_OK);
  CHECK_INT(search(db, queries[0], 1, NULL, REMDB_SEARCH_HNSW, 0, out, NULL), 1);
  CHECK_STR(out[0], ids[7]);
  /* undelete by upsert with an explicit id brings row 5 back */
  char js[1300];
  vec_json(data[5], v, sizeof v);
  snprintf(js, sizeof js, "{\"id\":\"%s\",\"grp\":5,\"embedding\":%s}", ids[5],
           v);
  CHECK_INT(remdb_insert(db, "vecs", js, strlen(js), NULL), REMDB_OK);
  CHECK_INT(search(db, data[5], 1, NULL, REMDB_SEARCH_HNSW, 0, out, NULL), 1);
  CHECK_STR(out[0], ids[5]);
  CHECK_INT(problems(db), 0);
  remdb_close(db);

  /* reopen: nothing is loaded or rebuilt until the first search, which
  ** reads the stored nodes and answers as before */
  db = open_db(0);
  stat_of(db, "memory", st, sizeof st);
  CHECK_STR(st, "not loaded");
  r = recall(db, NULL, 0, &bad);
  printf("test_vector: recall@10 %.3f after reopen\n", r);
  CHECK(r >= 0.95);
  stat_of(db, "nodes_in_memory", st, sizeof st);
  CHECK_STR(st, "2999"); /* row 6 was hard-deleted */
  CHECK_INT(search(db, queries[0], 1, NULL, REMDB_SEARCH_HNSW, 0, out, NULL), 1);
  CHECK_STR(out[0], ids[7]);
  remdb_close(db);

  /* verify notices a node missing behind remdb's back */
  CHECK_INT(damage_delete_first(dir, KV_VECTOR, pick_node), 1);
  db = open_db(0);
  CHECK_INT(problems(db), 1);
  /* reindex rebuilds the graph from the live vectors */
  CHECK_INT(remdb_reindex(db, "vecs"), REMDB_OK);
  CHECK_INT(problems(db), 0);
  CHECK(recall(db, NULL, 0, &bad) >= 0.95);
  remdb_close(db);

  /* a cache too small for the graph: writes keep working, the index is
  ** marked incomplete, searches are exact (and still right) */
  db = open_db(4096);
  vec_json(queries[1], v, sizeof v);
  snprintf(js, sizeof js, "{\"grp\":1,\"embedding\":%s}", v);
  char newid[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_insert(db, "vecs", js, strlen(js), newid), REMDB_OK);
  CHECK_INT(search(db, queries[1], 1, NULL, REMDB_SEARCH_HNSW, 0, out, &plan),
            1);
  CHECK_STR(out[0], newid);
  CHECK_HAS(plan, "exact over");
  remdb_free(plan);
  CHECK_INT(problems(db), 1); /* "vector index is incomplete" */
  remdb_close(db);
  db = open_db(0);
  CHECK_INT(search(db, queries[1], 1, NULL, REMDB_SEARCH_HNSW, 0, out, &plan),
            1);
  CHECK_STR(out[0], newid);
  CHECK_HAS(plan, "incomplete (run reindex)");
  remdb_free(plan);
  CHECK_INT(remdb_reindex(db, NULL), REMDB_OK);
  CHECK_INT(problems(db), 0);
  CHECK_INT(search(db, queries[1], 1, NULL, REMDB_SEARCH_AUTO, 0, out, &plan),
            1);
  CHECK_STR(out[0], newid);
  CHECK_HAS(plan, "hnsw");
  remdb_free(plan);

  remdb_close(db);

  /* vectors without an index (as an older build wrote them): searches
  ** are exact and right, verify names each, reindex builds the graph */
  CHECK_INT(drop_all_nodes(), ROWS); /* 2999 + the one inserted above */
  db = open_db(0);
  CHECK_INT(search(db, queries[1], 1, NULL, REMDB_SEARCH_HNSW, 0, out, &plan),
            1);
  CHECK_STR(out[0], newid);
  CHECK_HAS(plan, "incomplete (run reindex)");
  remdb_free(plan);
  CHECK_INT(problems(db), ROWS);
  CHECK_INT(remdb_reindex(db, "vecs"), REMDB_OK);
  CHECK_INT(problems(db), 0);
  CHECK_INT(search(db, queries[1], 1, NULL, REMDB_SEARCH_HNSW, 0, out, &plan),
            1);
  CHECK_HAS(plan, "hnsw");
  remdb_free(plan);

  /* new graph parameters rebuild the graph; dim and metric cannot change */
  char sch2[600];
  snprintf(sch2, sizeof sch2, "%s", schema);
  char *m12 = strstr(sch2, "\"M\":12");
  CHECK(m12 != NULL);
  if (m12) memcpy(m12, "\"M\":10", 6);
  CHECK_INT(remdb_schema_put(db, sch2, strlen(sch2)), REMDB_OK);
  stat_of(db, "M", st, sizeof st);
  CHECK_STR(st, "10");
  CHECK_INT(problems(db), 0);
  CHECK(recall(db, NULL, 0, &bad) >= 0.95);
  char *d24 = strstr(sch2, "\"dim\":24");
  CHECK(d24 != NULL);
  if (d24) memcpy(d24, "\"dim\":32", 8);
  CHECK_INT(remdb_schema_put(db, sch2, strlen(sch2)), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "vecs.embedding: dim and metric cannot change");

  /* bad options and schema settings */
  remdb_search_options o;
  remdb_search_options_init(&o);
  char *json = NULL;
  o.method = 7;
  CHECK_INT(remdb_search_ex(db, "vecs", "[1]", &o, &json, NULL), REMDB_MISUSE);
  o.method = REMDB_SEARCH_AUTO;
  o.ef_search = -1;
  CHECK_INT(remdb_search_ex(db, "vecs", "[1]", &o, &json, NULL),
            REMDB_INVALID);
  CHECK(json == NULL);
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"bad\",\"properties\":{},"
                                   "\"embedding\":{\"dim\":4,\"M\":1}}")),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "bad.embedding.M: must be an integer from 2");
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"bad\",\"embedding\":{\"dim\":4,"
                                   "\"ef_search\":\"x\"}}")),
            REMDB_INVALID);
  remdb_close(db);
  lazy_reader();
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "vector");
  TEST_CASE(test_vector_all);
  int rc_ = test_main(argc, argv, "test_vector");
  rm_tree(dir);
  return rc_;
}

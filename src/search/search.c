/*
** search.c: remdb_search_ex, top-k similarity search with an optional SQL
** filter, and the choice between its two routes:
**
**   exact  score every candidate: all of the table's vectors (one scan) or,
**          when a filter leaves few rows, just theirs (point reads).  The
**          true top k.
**   hnsw   the table's graph (src/core/vindex.c), traversed with the filter
**          applied to results, not to paths, so a selective filter still
**          finds its rows.  Approximate: recall grows with ef_search.
**
** AUTO compares estimated costs in distance evaluations: exact costs one
** per candidate (a point read costs as much as ~20 of them); the graph
** costs about ef * M evaluations, divided by the filter's selectivity
** because only that share of what it visits may enter the results.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../embed/embed.h"
#include "../sql/sql.h"
#include "../vector/dist.h"
#include "search.h"

typedef struct cand {
  uuid16_t id;
  float score;
} cand;

/* The ids of the table's rows that satisfy the SQL predicate, read under
** snap (nested statements and searches in the predicate read it too). */
int search_filter_ids(remdb *db, snap_t *snap, const char *table,
                      const char *where, size_t limit, idset *out) {
  buf_t q;
  buf_init(&q);
  buf_addf(&q, "SELECT id FROM \"%s\" WHERE (%s)", table, where);
  if (limit) buf_addf(&q, " LIMIT %zu", limit);
  if (q.oom) return err_nomem(&db->err);
  remdb_stmt *st = NULL;
  size_t used = 0;
  int rc = sql_prepare_in(db, snap, q.p, q.len, &st, &used);
  if (rc == REMDB_OK && (st == NULL || used != q.len)) {
    rc = err_set(&db->err, REMDB_INVALID,
                 "search filter: must be one SQL predicate");
  }
  while (rc == REMDB_OK && (rc = remdb_step(st)) == REMDB_ROW) {
    uuid16_t u;
    size_t n;
    const char *t = remdb_column_text(st, 0, &n);
    if (t && uuid_parse(t, n, &u) && !idset_add(out, u.b, NULL))
      rc = err_nomem(&db->err);
    if (rc == REMDB_ROW) rc = REMDB_OK;
  }
  if (rc == REMDB_DONE) rc = REMDB_OK;
  if (rc) err_prefix(&db->err, "search filter");
  remdb_finalize(st);
  buf_free(&q);
  return rc;
}

/* The score of stored vector raw (possibly unaligned) against q. */
static float score_raw(enum sch_metric metric, const float *q, const void *raw,
                       int dim, float *scratch) {
  memcpy(scratch, raw, (size_t)dim * sizeof *scratch);
  size_t n = (size_t)dim;
  if (metric == SCH_L2) return -sqrtf(vd_l2sq(q, scratch, n));
  float dot = vd_dot(q, scratch, n);
  if (metric == SCH_IP) return dot;
  float nq = vd_dot(q, q, n), nv = vd_dot(scratch, scratch, n);
  return nq > 0 && nv > 0 ? dot / sqrtf(nq * nv) : 0.0f;
}

#define GRAPH_SPARE 8 /* extra graph hits asked for, see remdb_search_ex */

/* A sorted top-k (best score first). */
typedef struct topk {
  cand *c;
  size_t n, k;
} topk;

static bool topk_would_take(const topk *t, float s) {
  return t->n < t->k || s > t->c[t->k - 1].score;
}

static void topk_add(topk *t, const unsigned char *id, float s) {
  size_t pos = t->n < t->k ? t->n++ : t->k - 1;
  while (pos > 0 && t->c[pos - 1].score < s) {
    t->c[pos] = t->c[pos - 1];
    pos--;
  }
  memcpy(t->c[pos].id.b, id, 16);
  t->c[pos].score = s;
}

typedef struct vquery {
  remdb *db;
  snap_t *snap; /* a reference */
  const cat_table *ct;
  const remdb_search_options *o;
  size_t k;
  int ef;
  const char *where; /* NULL: no filter */
  float *qv;
  float *scratch; /* dim floats */
  idset *allowed; /* NULL: no filter */
  idset set;
  topk top;
  uint64_t examined;
  buf_t plan;
} vquery;

/* Score one vector into the top k.  Soft-deleted rows keep their vectors:
** without a filter (which already left them out), only rows that would
** enter the top k are checked. */
static int score_one(void *ctx, const unsigned char *id, const void *vec) {
  vquery *q = ctx;
  const sch_table *t = q->ct->s;
  if (q->allowed && !idset_has(q->allowed, id)) return 0;
  float s = score_raw(t->embedding.metric, q->qv, vec, t->embedding.dim,
                      q->scratch);
  q->examined++;
  if (!(s >= q->o->min_score) || !topk_would_take(&q->top, s)) return 0;
  if (q->allowed == NULL && !scan_live(q->db, q->snap, t, id)) return 0;
  topk_add(&q->top, id, s);
  return 0;
}

/* Exact: the allowed rows' vectors by point reads. */
static int exact_points(vquery *q) {
  return scan_vectors(q->db, q->snap, q->ct->s, q->allowed->ids,
                      q->allowed->n, score_one, q);
}

/* Exact: one scan over the table's vectors. */
static int exact_scan(vquery *q) {
  return scan_vectors(q->db, q->snap, q->ct->s, NULL, 0, score_one, q);
}

static bool pass_allowed(void *ctx, const unsigned char *id) {
  return idset_has(ctx, id);
}

/* HNSW: the graph's top k, then checked against the snapshot. */
static int by_graph(vquery *q, enum vix_route *route) {
  remdb *db = q->db;
  topk *top = &q->top;
  vix_hit *hits = malloc(top->k * sizeof *hits);
  if (hits == NULL) return err_nomem(&db->err);
  size_t n = 0, visited = 0;
  int rc = vix_search(db, q->ct->s, q->qv, top->k, q->ef,
                      q->allowed ? pass_allowed : NULL, q->allowed, hits, &n,
                      &visited, route);
  q->examined = visited;
  /* whether each is live in the snapshot is checked as it is read for the
  ** answer (the graph may hold a writer's uncommitted change) */
  for (size_t i = 0; rc == REMDB_OK && i < n; i++)
    if (hits[i].score >= q->o->min_score)
      topk_add(top, hits[i].id.b, hits[i].score);
  free(hits);
  return rc;
}

static int embed_query(remdb *db, const sch_table *t, const char *query,
                       float *qv) {
  if (query[0] == '[') {
    json_t *a = json_loads(query, 0, NULL);
    json_t *o = json_object();
    if (a && o) json_object_set_new(o, "embedding", a);
    else json_decref(a);
    bool has = false;
    int rc = o ? vec_for_entity(db, t, o, qv, &has) : err_nomem(&db->err);
    json_decref(o);
    if (rc == REMDB_OK && !has)
      rc = err_set(&db->err, REMDB_INVALID, "not a vector literal");
    if (rc) err_prefix(&db->err, "search query");
    return rc;
  }
  size_t qlen = strlen(query);
  int rc = vec_embed(db, t, 1, &query, &qlen, qv);
  if (rc) err_prefix(&db->err, "search query");
  return rc;
}

void remdb_search_options_init(remdb_search_options *o) {
  memset(o, 0, sizeof *o);
  o->k = 10;
  o->min_score = -1e30;
  o->method = REMDB_SEARCH_AUTO;
  o->mode = REMDB_MODE_DEFAULT;
  o->rrf_k = 60;
  o->bm25_k1 = 0;  /* the schema's */
  o->bm25_b = -1;
}

/* Which route, by the estimates above (in nanoseconds, rough figures
** measured on x86-64 with AVX2): a distance costs ~0.1 ns per dimension;
** a point read ~1.5 us; a row of a sequential scan ~150 ns.  The graph's
** distance evaluations grow with ef and log N, and with the inverse of the
** filter's selectivity (only that share of what it visits may enter the
** results), and its k results are point-read to check them.  Exact wins
** ties up to a factor of 2: its answer is the true top k. */
static bool choose_exact(const sch_table *t, uint64_t rows, const idset *f,
                         int ef, size_t k) {
  double n = rows > 1 ? (double)rows : 2;
  double sel = f ? (double)f->n / n : 1.0;
  if (sel <= 0) return true;
  if (sel > 1) sel = 1;
  double dist = 0.1 * t->embedding.dim, read = 1500, scan = 150;
  bool points = f && f->n * 8 < rows;
  double exact = points ? (double)f->n * (read + dist) : n * (scan + dist);
  double evals = (double)ef * log2(n) / 4.0 / pow(sel, 0.75);
  double graph = evals * dist + (double)k * read;
  return exact <= 2 * graph;
}

/* The options, checked; *k gets the number of results wanted. */
static int check_options(remdb *db, const remdb_search_options *o,
                         size_t *k) {
  *k = o->k ? o->k : 10;
  if (*k > 10000)
    return err_set(&db->err, REMDB_TOOBIG, "search: k is at most 10000");
  int method = (int)o->method; /* the field may hold any int */
  if (method < REMDB_SEARCH_AUTO || method > REMDB_SEARCH_HNSW)
    return err_set(&db->err, REMDB_MISUSE, "search: unknown method %d",
                   method);
  if (o->ef_search < 0 || o->ef_search > 10000)
    return err_set(&db->err, REMDB_INVALID,
                   "search: ef_search must be 0 (default) to 10000");
  return REMDB_OK;
}

/* The query as a vector of t's dimension: the floats given (checked like
** an entity's), a vector literal, or text the table's provider embeds. */
static int query_vector(vquery *q, const sch_table *t, const char *query) {
  remdb *db = q->db;
  const remdb_search_options *o = q->o;
  int dim = t->embedding.dim;
  if (o->vector == NULL) return embed_query(db, t, query, q->qv);
  if (o->vector_dim != (size_t)dim)
    return err_set(&db->err, REMDB_INVALID,
                   "search query: %s.embedding: expected %d floats, got %zu",
                   t->name, dim, o->vector_dim);
  for (int i = 0; i < dim; i++)
    if (!isfinite(o->vector[i]))
      return err_set(&db->err, REMDB_INVALID,
                     "search query: %s.embedding[%d]: not a finite number",
                     t->name, i);
  memcpy(q->qv, o->vector, (size_t)dim * sizeof *q->qv);
  return REMDB_OK;
}

static int schema_changed(remdb *db, const char *table) {
  return err_set(&db->err, REMDB_ERROR,
                 "%s: the schema changed during the search: run it again",
                 table);
}

/* Find the table, embed the query and settle the snapshot: the caller's
** (a search nested in a statement or a filter reads what that reads), or
** one taken after the query is embedded (which may be a network call). */
static int open_search(vquery *q, snap_t *snap, const char *table,
                       const char *query) {
  remdb *db = q->db;
  cat_table *ct;
  int rc;
  if (snap && !snap_current(db, snap)) return schema_changed(db, table);
  rc = snap ? cat_lookup(db, table, &ct) : cat_find(db, table, &ct);
  if (rc) return rc;
  const sch_table *t = ct->s;
  int dim = t->embedding.dim;
  if (dim == 0)
    return err_set(&db->err, REMDB_INVALID,
                   "%s: no embedding configured (the schema has no "
                   "\"embedding\" block)",
                   t->name);
  if ((rc = check_options(db, q->o, &q->k))) return rc;
  q->ef = q->o->ef_search ? q->o->ef_search : t->embedding.ef_search;
  if ((size_t)q->ef < q->k) q->ef = (int)q->k;
  q->qv = malloc((size_t)dim * sizeof *q->qv);
  q->scratch = malloc((size_t)dim * sizeof *q->scratch);
  /* the graph is asked for a few more than k: a hit whose row is not live
  ** in this snapshot (a write committing meanwhile) leaves room for the
  ** next one */
  q->top = (topk){calloc(q->k + GRAPH_SPARE, sizeof(cand)), 0, q->k};
  if (q->qv == NULL || q->scratch == NULL || q->top.c == NULL)
    return err_nomem(&db->err);
  if ((rc = query_vector(q, t, query))) return rc;
  if (snap) {
    q->snap = snap_retain(snap);
  } else {
    /* one snapshot for everything: the filter's rows, the vectors scored
    ** and the entities returned, so each result passes the filter as
    ** returned */
    if ((rc = snap_take(db, &q->snap))) return rc;
    if ((rc = cat_lookup(db, table, &ct))) return rc;
    if (ct->s->embedding.dim != dim)
      return err_set(&db->err, REMDB_ERROR,
                     "%s: the embedding changed during the search: run it "
                     "again",
                     ct->s->name);
  }
  q->ct = ct;
  return REMDB_OK;
}

/* Exact or graph, by the cost model (or as asked), and run it. */
static int run_route(vquery *q) {
  remdb *db = q->db;
  const remdb_search_options *o = q->o;
  const sch_table *t = q->ct->s;
  uint64_t rows = 0, deleted = 0;
  int rc;
  if (o->method != REMDB_SEARCH_HNSW || q->where) { /* for the cost model */
    if ((rc = cnt_read(db, q->snap, t->table_id, &rows, &deleted))) return rc;
    rows -= deleted <= rows ? deleted : rows;
  }
  bool exact = o->method == REMDB_SEARCH_EXACT ||
               (o->method == REMDB_SEARCH_AUTO &&
                choose_exact(t, rows, q->allowed, q->ef, q->k));
  if (!exact) {
    enum vix_route route;
    q->top.k = q->k + GRAPH_SPARE;
    if ((rc = by_graph(q, &route))) return rc;
    if (route == VIX_ROUTE_HNSW) {
      buf_addf(&q->plan, "hnsw ef=%d%s (%llu distances)", q->ef,
               q->where ? " filtered" : "", (unsigned long long)q->examined);
      return REMDB_OK;
    }
    buf_adds(&q->plan, route == VIX_ROUTE_STALE
                           ? "vector index incomplete (run reindex): "
                       : route == VIX_ROUTE_BUSY
                           ? "vector index not loaded yet (a write holds the "
                             "lock): "
                           : "vector index over vector_cache_bytes: ");
  }
  q->examined = 0;
  q->top.k = q->k;
  q->top.n = 0;
  bool points = q->where && q->set.n * 8 < rows;
  rc = points ? exact_points(q) : exact_scan(q);
  buf_addf(&q->plan, "exact over %llu %s rows",
           (unsigned long long)q->examined, q->where ? "filtered" : "stored");
  return rc;
}

/* The answer: the top k rows that are live in the snapshot. */
static int emit(vquery *q, buf_t *out) {
  remdb *db = q->db;
  int rc = REMDB_OK;
  buf_addc(out, '[');
  size_t emitted = 0;
  for (size_t i = 0; rc == REMDB_OK && i < q->top.n && emitted < q->k; i++) {
    const cand *c = &q->top.c[i];
    ent_row r;
    if (ent_get(db, q->snap, q->ct, &c->id, &r) != REMDB_OK ||
        rec_is_deleted(&r.rv)) {
      ent_row_free(&r);
      err_clear(&db->err);
      continue;
    }
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&c->id, ids);
    if (emitted++) buf_addc(out, ',');
    buf_addf(out, "{\"id\":\"%s\",\"score\":%.6f,\"entity\":", ids,
             (double)c->score);
    rc = ent_to_json(db, q->ct, &c->id, &r.rv, out);
    buf_addc(out, '}');
    ent_row_free(&r);
  }
  buf_addc(out, ']');
  return rc;
}

/* Open, filter and run a vector search into q->top. */
static int vq_run(vquery *q, snap_t *snap, const char *table,
                  const char *query) {
  remdb *db = q->db;
  q->where = q->o->where && *q->o->where ? q->o->where : NULL;
  int rc = open_search(q, snap, table, query);
  if (rc == REMDB_OK && q->where) {
    q->allowed = &q->set;
    rc = search_filter_ids(db, q->snap, q->ct->s->name, q->where, 0,
                           &q->set);
    /* the filter's SQL may have refreshed the catalog: it must still be
    ** the one the snapshot agrees with (table pointers are stale else) */
    if (rc == REMDB_OK && !snap_current(db, q->snap))
      rc = schema_changed(db, table);
  }
  if (rc == REMDB_OK) rc = run_route(q);
  return rc;
}

static void vq_free(vquery *q) {
  snap_release(q->snap);
  buf_free(&q->plan);
  free(q->qv);
  free(q->scratch);
  free(q->top.c);
  idset_free(&q->set);
}

int search_vector_list(remdb *db, snap_t *snap, const char *table,
                       const char *query, const remdb_search_options *o,
                       size_t depth, const char *where, search_hit **out,
                       size_t *nout, buf_t *plan, uint64_t *examined,
                       idset *filter_out) {
  remdb_search_options vo = *o;
  vo.k = depth;
  vo.where = where;
  vo.min_score = -1e30;
  vquery q = {.db = db, .o = &vo};
  buf_init(&q.plan);
  *out = NULL;
  *nout = 0;
  int rc = vq_run(&q, snap, table, query);
  search_hit *h = NULL;
  if (rc == REMDB_OK && (h = calloc(q.top.n + 1, sizeof *h)) == NULL)
    rc = err_nomem(&db->err);
  size_t n = 0;
  for (size_t i = 0; rc == REMDB_OK && i < q.top.n && n < q.k; i++) {
    /* the graph may hold a writer's uncommitted change: live rows only */
    if (!ent_live(db, q.snap, &q.top.c[i].id)) continue;
    h[n].id = q.top.c[i].id;
    h[n].score = h[n].vscore = q.top.c[i].score;
    n++;
  }
  if (rc == REMDB_OK) {
    buf_add(plan, q.plan.p, q.plan.len);
    if (examined) *examined += q.examined;
    *out = h;
    *nout = n;
    if (filter_out && q.where) { /* hand the filter's rows over */
      idset t = *filter_out;
      *filter_out = q.set;
      q.set = t;
    }
  } else {
    free(h);
  }
  vq_free(&q);
  return rc;
}

int search_run(remdb *db, snap_t *snap, const char *table, const char *query,
               const remdb_search_options *opts, char **json_out,
               char **plan_out, uint64_t *examined_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  if (query == NULL && (opts == NULL || opts->vector == NULL))
    return REMDB_MISUSE;
  err_clear(&db->err);
  *json_out = NULL;
  if (examined_out) *examined_out = 0;
  if (plan_out) *plan_out = NULL;
  remdb_search_options defaults;
  remdb_search_options_init(&defaults);
  vquery q = {.db = db, .o = opts ? opts : &defaults};
  int mode = (int)q.o->mode; /* the field may hold any int */
  if (mode < REMDB_MODE_DEFAULT || mode > REMDB_MODE_HYBRID)
    return err_set(&db->err, REMDB_MISUSE,
                   "search: unknown mode %d (keyword, vector or hybrid)",
                   mode);
  if (mode != REMDB_MODE_VECTOR) {
    cat_table *ct;
    int rc = snap ? cat_lookup(db, table, &ct) : cat_find(db, table, &ct);
    if (rc) return rc;
    mode = search_mode(db, ct->s, q.o, query);
    if (mode != REMDB_MODE_VECTOR)
      return fts_search_run(db, snap, table, query, q.o, mode, json_out,
                            plan_out, examined_out);
  }
  buf_init(&q.plan);
  buf_t out;
  buf_init(&out);
  int rc = vq_run(&q, snap, table, query);
  if (rc == REMDB_OK) {
    if (examined_out) *examined_out = q.examined;
    rc = emit(&q, &out);
    rc = core_hand_out(db, rc, &out, json_out);
  }
  if (rc == REMDB_OK && plan_out) {
    rc = core_hand_out(db, rc, &q.plan, plan_out);
    if (rc) {
      remdb_free(*json_out);
      *json_out = NULL;
    }
  }
  buf_free(&out);
  vq_free(&q);
  return rc;
}

int remdb_search_ex(remdb *db, const char *table, const char *query,
                    const remdb_search_options *opts, char **json_out,
                    char **plan_out) {
  return search_run(db, NULL, table, query, opts, json_out, plan_out, NULL);
}

int remdb_search(remdb *db, const char *table, const char *query, size_t k,
                 double min_score, const char *where, char **json_out) {
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = k;
  o.min_score = min_score;
  o.where = where;
  return remdb_search_ex(db, table, query, &o, json_out, NULL);
}

/* ---- search(), the table function (registered with sql/) ---------------
**   search(table, query, k = 10, filter = NULL, min_score = none,
**          mode = NULL):
**     id, _score, type, entity (JSON), keyword_rank, vector_rank
** mode: 'keyword', 'vector' or 'hybrid' (NULL: the table's default).
** It reads the snapshot of the statement it runs in. */

/* A mode's name, as SQL, the CLI and the servers spell it: 0 and the
** mode, or -1. */
int search_mode_parse(const char *name, enum remdb_search_mode *out) {
  static const char *const names[] = {"default", "keyword", "vector",
                                      "hybrid"};
  for (int i = 0; name && i < 4; i++)
    if (sqlite3_stricmp(name, names[i]) == 0) {
      *out = (enum remdb_search_mode)i;
      return 0;
    }
  return -1;
}

static int run_search(sql_sess *s, sqlite3_value **a, json_t **rows,
                      char **err) {
  remdb *db = s->db;
  const char *table = (const char *)sqlite3_value_text(a[0]);
  const char *query = a[1] ? (const char *)sqlite3_value_text(a[1]) : NULL;
  if (table == NULL || query == NULL) {
    *err = sqlite3_mprintf("search(): the %s is NULL (or missing): give "
                           "search(table, query text, k)",
                           table == NULL ? "table name" : "query text");
    return SQLITE_ERROR;
  }
  sqlite3_int64 k = a[2] ? sqlite3_value_int64(a[2]) : 10;
  const char *where = a[3] ? (const char *)sqlite3_value_text(a[3]) : NULL;
  double min = a[4] && sqlite3_value_type(a[4]) != SQLITE_NULL
                   ? sqlite3_value_double(a[4])
                   : -1e30;
  if (k < 1 || k > 10000) {
    *err = sqlite3_mprintf("search(): k must be 1 to 10000");
    return SQLITE_ERROR;
  }
  char *json = NULL, *plan = NULL;
  remdb_search_options o;
  remdb_search_options_init(&o);
  const char *mode = a[5] ? (const char *)sqlite3_value_text(a[5]) : NULL;
  if (mode && search_mode_parse(mode, &o.mode)) {
    *err = sqlite3_mprintf("search(): unknown mode '%s' (keyword, vector "
                           "or hybrid)", mode);
    return SQLITE_ERROR;
  }
  o.k = (size_t)k;
  o.min_score = min;
  o.where = where;
  uint64_t examined = 0;
  int rc = search_run(db, s->snap, table, query, &o, &json,
                      s->explain ? &plan : NULL, &examined);
  if (rc != REMDB_OK) {
    *err = sqlite3_mprintf("search(): %s", remdb_errmsg(db));
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *rows = json_loads(json, 0, NULL);
  remdb_free(json);
  if (plan && *rows) { /* EXPLAIN: "vector <route>" for the table */
    char desc[256], shape[64];
    bool fts = strncmp(plan, "keyword", 7) == 0 ||
               strncmp(plan, "hybrid", 6) == 0;
    snprintf(desc, sizeof desc, "%s%s", fts ? "" : "vector ", plan);
    if (fts)
      snprintf(shape, sizeof shape, "%.*s", (int)strcspn(plan, "("), plan);
    else
      snprintf(shape, sizeof shape, "vector %.*s", (int)strcspn(plan, " "),
               plan);
    sql_route_note(s, table, desc, shape, examined, json_array_size(*rows));
  }
  remdb_free(plan);
  return *rows ? SQLITE_OK : SQLITE_NOMEM;
}

static const char *const search_paths[] = {
    "id", "score", "entity.type", "entity", "keyword_rank", "vector_rank"};
static const sql_fn search_fn = {
    "search",
    "CREATE TABLE x(id TEXT, _score REAL, type TEXT, entity TEXT, "
    "keyword_rank INTEGER, vector_rank INTEGER, tbl HIDDEN, query HIDDEN, "
    "k HIDDEN, filter HIDDEN, min_score HIDDEN, mode HIDDEN)",
    6, 6, search_paths, run_search};

void search_wire(void) { sql_fn_register(&search_fn); }

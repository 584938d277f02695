/*
** fts.c: keyword search (BM25 over a table's full-text index, read through
** core/ftsread.h and evaluated by text/query.h) and hybrid search (the
** keyword and vector lists fused by reciprocal rank), both under one
** snapshot, with the SQL filter applied inside each list.
**
** The filter, keyword side: the same choice as vector search makes, by
** cost.  Walking the postings (fts_eval_topk) costs about one unit per
** posting of the query's lists, and each document that would enter the
** top k is checked against the filter (a point read of its row: the
** filter's SQL with `id = ?`).  Scoring only the rows the filter selects
** (fts_eval_docs) costs one document-number read plus a seek per query
** term for each of them.  So the filter's rows are read first, up to a
** cap of about postings / 64 (and at least 32): if it selects no more,
** they are scored directly; else the postings are walked and candidates
** checked one by one.  Either way the result is the true filtered top k.
**
** Hybrid: each side returns its top `depth` (default max(2k, 50)) under
** the filter, and search_rrf fuses them.  The vector side reads all the
** filter's rows (search.c); the keyword side then scores them if they are
** few, else checks its candidates against that set (no SQL per candidate).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ftsread.h"
#include "../sql/sql.h"
#include "search.h"

/* ---- reciprocal rank fusion ------------------------------------------- */

static int cmp_fused(const void *pa, const void *pb) {
  const search_hit *a = pa, *b = pb;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  uint32_t ab = a->krank && (!a->vrank || a->krank < a->vrank) ? a->krank
                                                                : a->vrank;
  uint32_t bb = b->krank && (!b->vrank || b->krank < b->vrank) ? b->krank
                                                                : b->vrank;
  if (ab != bb) return ab < bb ? -1 : 1;
  uint32_t ak = a->krank ? a->krank : UINT32_MAX;
  uint32_t bk = b->krank ? b->krank : UINT32_MAX;
  if (ak != bk) return ak < bk ? -1 : 1;
  return memcmp(a->id.b, b->id.b, 16);
}

bool search_rrf(const search_hit *a, size_t na, const search_hit *b,
                size_t nb, double k, search_hit *out, size_t *nout) {
  idset seen = {0};
  size_t n = 0;
  bool ok = true;
  for (int side = 0; ok && side < 2; side++) {
    const search_hit *l = side ? b : a;
    size_t nl = side ? nb : na;
    for (size_t i = 0; i < nl; i++) {
      size_t pos;
      if (!idset_add(&seen, l[i].id.b, &pos)) {
        ok = false;
        break;
      }
      if (pos == n) { /* new */
        memset(&out[n], 0, sizeof out[n]);
        out[n].id = l[i].id;
        n++;
      }
      search_hit *h = &out[pos];
      uint32_t rank = (uint32_t)i + 1;
      if (side) {
        if (h->vrank) continue; /* a duplicate within the list */
        h->vrank = rank;
        h->vscore = l[i].score;
      } else {
        if (h->krank) continue;
        h->krank = rank;
        h->kscore = l[i].score;
      }
      h->score += 1.0 / (k + (double)rank);
    }
  }
  idset_free(&seen);
  if (!ok) return false;
  qsort(out, n, sizeof *out, cmp_fused);
  *nout = n;
  return true;
}

/* ---- the mode ---------------------------------------------------------- */

/* Does t have a full-text index?  (Its schema declares one.) */
static bool has_fulltext(const sch_table *t) {
  return t->fulltext.nfields > 0;
}

enum remdb_search_mode search_mode(remdb *db, const sch_table *t,
                                   const remdb_search_options *o,
                                   const char *query) {
  (void)db;
  if (o->mode != REMDB_MODE_DEFAULT) return o->mode;
  /* a query given as a vector is a vector search */
  if (o->vector || (query && query[0] == '[')) return REMDB_MODE_VECTOR;
  /* text is a vector query only when the table's provider embeds text */
  bool fts = has_fulltext(t),
       vec = t->embedding.dim > 0 &&
             (t->embedding.provider != SCH_PROVIDER_NONE || !fts);
  return fts && vec ? REMDB_MODE_HYBRID
         : fts      ? REMDB_MODE_KEYWORD
                    : REMDB_MODE_VECTOR;
}

/* ---- the keyword side ---------------------------------------------------- */

typedef struct kwq {
  remdb *db;
  snap_t *snap;
  const cat_table *ct;
  fts_reader *r;
  fts_query *q;
  fts_eval *e;
  fts_counters cnt;
  remdb_stmt *fst; /* the filter, one row: its SQL with id = ?1 */
  int frc;         /* the filter's first error */
  uint64_t filtered; /* rows the filter selected (docs route) */
  const idset *allowed; /* hybrid: the filter's rows (set_pass) */
  const char *route;
} kwq;

static int no_fulltext(remdb *db, const sch_table *t) {
  return err_set(&db->err, REMDB_INVALID,
                 "%s: no full-text index (the schema has no \"fulltext\" "
                 "block); search it with mode vector",
                 t->name);
}

/* The options a keyword or hybrid search checks beyond the vector ones. */
static int check_fts_options(remdb *db, const remdb_search_options *o) {
  if (!(o->bm25_k1 >= 0) || !isfinite(o->bm25_k1))
    return err_set(&db->err, REMDB_INVALID,
                   "search: bm25_k1 must be a number > 0 (0: the "
                   "schema's, default 1.2)");
  if (!(o->bm25_b <= 1) || (o->bm25_b < 0 && o->bm25_b != -1))
    return err_set(&db->err, REMDB_INVALID,
                   "search: bm25_b must be 0 to 1 (-1: the schema's, "
                   "default 0.75)");
  if (!(o->rrf_k >= 0) || !isfinite(o->rrf_k))
    return err_set(&db->err, REMDB_INVALID,
                   "search: rrf_k must be a number > 0 (default 60)");
  if (o->hybrid_depth > 10000)
    return err_set(&db->err, REMDB_TOOBIG,
                   "search: hybrid_depth is at most 10000");
  return REMDB_OK;
}

static int kw_open(kwq *kw, const char *query, const remdb_search_options *o) {
  remdb *db = kw->db;
  const sch_table *t = kw->ct->s;
  int rc = ftsr_open(db, kw->snap, t, &kw->r);
  if (rc == REMDB_NOTFOUND) return no_fulltext(db, t);
  if (rc) return rc;
  char err[300];
  kw->q = fts_query_parse(query, strlen(query), ftsr_analyzer(kw->r), err,
                          sizeof err);
  /* the parser's messages start "query: " */
  const char *msg = strncmp(err, "query: ", 7) == 0 ? err + 7 : err;
  if (kw->q == NULL)
    return strcmp(err, "out of memory") == 0
               ? err_nomem(&db->err)
               : err_set(&db->err, REMDB_INVALID, "search query: %s", msg);
  fts_params p = FTS_PARAMS_DEFAULT;
  /* the options', else the schema's */
  p.k1 = o->bm25_k1 > 0 ? o->bm25_k1 : t->fulltext.k1;
  p.b = o->bm25_b >= 0 ? o->bm25_b : t->fulltext.b;
  kw->e = fts_eval_open(kw->q, ftsr_source(kw->r), &p, &kw->cnt, err,
                        sizeof err);
  if (kw->e == NULL) {
    if (strcmp(err, "out of memory") == 0) return err_nomem(&db->err);
    /* a prefix matching too many terms is the query's fault */
    msg = strncmp(err, "query: ", 7) == 0 ? err + 7 : err;
    return err_set(&db->err, msg != err ? REMDB_INVALID : REMDB_ERROR,
                   "search query: %s", msg);
  }
  return REMDB_OK;
}

static void kw_close(kwq *kw) {
  fts_eval_free(kw->e);
  fts_query_free(kw->q);
  ftsr_close(kw->r);
  remdb_finalize(kw->fst);
}

/* Does document doc pass the filter?  (Its row, by id, through the
** filter's SQL.) */
static bool sql_pass(void *ctx, uint64_t doc) {
  kwq *kw = ctx;
  if (kw->frc) return false;
  uuid16_t id;
  int rc = ftsr_id(kw->r, doc, &id);
  if (rc) {
    if (rc == REMDB_NOTFOUND) err_clear(&kw->db->err);
    else kw->frc = rc;
    return false;
  }
  char s[REMDB_ID_LEN + 1];
  uuid_format(&id, s);
  remdb_reset(kw->fst);
  if ((rc = remdb_bind_text(kw->fst, 1, s, strlen(s))) != REMDB_OK) {
    kw->frc = rc;
    return false;
  }
  rc = remdb_step(kw->fst);
  if (rc == REMDB_ROW) return true;
  if (rc != REMDB_DONE) kw->frc = rc;
  return false;
}

static int cmp_u64(const void *pa, const void *pb) {
  uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
  return a < b ? -1 : a > b;
}

static int cmp_hit(const void *pa, const void *pb) {
  const fts_hit *a = pa, *b = pb;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* Score just the filtered rows (their document numbers). */
static int kw_docs(kwq *kw, const idset *rows, size_t k, fts_hit **out,
                   size_t *nout) {
  remdb *db = kw->db;
  uint64_t *docs = malloc((rows->n + 1) * sizeof *docs);
  fts_hit *hits = malloc((rows->n + 1) * sizeof *hits);
  if (docs == NULL || hits == NULL) {
    free(docs);
    free(hits);
    return err_nomem(&db->err);
  }
  size_t nd = 0;
  int rc = REMDB_OK;
  for (size_t i = 0; i < rows->n; i++) {
    rc = ftsr_docno(kw->r, &rows->ids[i], &docs[nd]);
    if (rc == REMDB_NOTFOUND) { /* a row with no text indexed */
      err_clear(&db->err);
      rc = REMDB_OK;
      continue;
    }
    if (rc) break;
    nd++;
  }
  size_t nh = 0;
  if (rc == REMDB_OK) {
    qsort(docs, nd, sizeof *docs, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < nd; i++)
      if (u == 0 || docs[u - 1] != docs[i]) docs[u++] = docs[i];
    char err[300];
    if (fts_eval_docs(kw->e, docs, u, hits, &nh, err, sizeof err))
      rc = err_set(&db->err, REMDB_ERROR, "keyword search: %s", err);
    qsort(hits, nh, sizeof *hits, cmp_hit);
    if (nh > k) nh = k;
  }
  free(docs);
  if (rc) {
    free(hits);
    return rc;
  }
  *out = hits;
  *nout = nh;
  return REMDB_OK;
}

/* Is document doc one of the filter's rows?  (Hybrid: the vector side
** read them all.) */
static bool set_pass(void *ctx, uint64_t doc) {
  kwq *kw = ctx;
  if (kw->frc) return false;
  uuid16_t id;
  int rc = ftsr_id(kw->r, doc, &id);
  if (rc) {
    if (rc == REMDB_NOTFOUND) err_clear(&kw->db->err);
    else kw->frc = rc;
    return false;
  }
  return idset_has(kw->allowed, id.b);
}

/* The keyword list: the top k documents passing where, as ids.  allowed
** (hybrid; NULL: none) holds every row where selects, already read. */
static int kw_run(kwq *kw, size_t k, const char *where, const idset *allowed,
                  search_hit **out, size_t *nout) {
  remdb *db = kw->db;
  const sch_table *t = kw->ct->s;
  fts_hit *hits = NULL;
  size_t nh = 0;
  int rc = REMDB_OK;
  char err[300];
  *out = NULL;
  *nout = 0;
  idset rows = {0};
  bool walk = true;
  if (fts_query_empty(kw->q)) {
    kw->route = "empty query";
    return REMDB_OK;
  }
  /* the cost model (see the top of the file) */
  uint64_t cap = kw->cnt.postings_total / 64;
  if (cap < 32) cap = 32;
  if (cap > 100000) cap = 100000;
  if (where && allowed) {
    kw->allowed = allowed;
    if (allowed->n <= cap) {
      walk = false;
      kw->route = "filtered rows scored";
      kw->filtered = allowed->n;
      rc = kw_docs(kw, allowed, k, &hits, &nh);
    }
  } else if (where) {
    rc = search_filter_ids(db, kw->snap, t->name, where, (size_t)cap + 1,
                           &rows);
    if (rc == REMDB_OK && !snap_current(db, kw->snap))
      rc = err_set(&db->err, REMDB_ERROR,
                   "%s: the schema changed during the search: run it again",
                   t->name);
    if (rc == REMDB_OK && rows.n <= cap) {
      walk = false;
      kw->route = "filtered rows scored";
      kw->filtered = rows.n;
      rc = kw_docs(kw, &rows, k, &hits, &nh);
    } else if (rc == REMDB_OK) {
      buf_t q;
      buf_init(&q);
      buf_addf(&q, "SELECT 1 FROM \"%s\" WHERE id = ?1 AND (%s)", t->name,
               where);
      size_t used = 0;
      rc = q.oom ? err_nomem(&db->err)
                 : sql_prepare_in(db, kw->snap, q.p, q.len, &kw->fst, &used);
      if (rc == REMDB_OK && (kw->fst == NULL || used != q.len))
        rc = err_set(&db->err, REMDB_INVALID,
                     "search filter: must be one SQL predicate");
      if (rc) err_prefix(&db->err, "search filter");
      buf_free(&q);
    }
  }
  if (rc == REMDB_OK && walk) {
    kw->route = where ? "postings, filtered" : "postings";
    hits = malloc((k + 1) * sizeof *hits);
    if (hits == NULL) rc = err_nomem(&db->err);
    else if (fts_eval_topk(kw->e, k,
                           !where     ? NULL
                           : allowed ? set_pass
                                     : sql_pass,
                           kw, hits, &nh, err, sizeof err))
      rc = err_set(&db->err, REMDB_ERROR, "keyword search: %s", err);
    if (rc == REMDB_OK && kw->frc) {
      rc = kw->frc;
      err_prefix(&db->err, "search filter");
    }
  }
  idset_free(&rows);
  search_hit *h = NULL;
  if (rc == REMDB_OK && (h = calloc(nh + 1, sizeof *h)) == NULL)
    rc = err_nomem(&db->err);
  size_t n = 0;
  for (size_t i = 0; rc == REMDB_OK && i < nh; i++) {
    rc = ftsr_id(kw->r, hits[i].doc, &h[n].id);
    if (rc == REMDB_NOTFOUND) { /* cannot happen: the reader is exact */
      err_clear(&db->err);
      rc = REMDB_OK;
      continue;
    }
    h[n].score = h[n].kscore = hits[i].score;
    h[n].krank = (uint32_t)n + 1;
    n++;
  }
  free(hits);
  if (rc) {
    free(h);
    return rc;
  }
  *out = h;
  *nout = n;
  return REMDB_OK;
}

/* What the keyword side read and skipped, for EXPLAIN. */
static void kw_plan(const kwq *kw, buf_t *plan) {
  const fts_counters *c = &kw->cnt;
  buf_addf(plan, "keyword %s", kw->route ? kw->route : "not run");
  if (kw->route && strcmp(kw->route, "filtered rows scored") == 0)
    buf_addf(plan, " (%llu rows", (unsigned long long)kw->filtered);
  else
    buf_addf(plan, " (%llu postings", (unsigned long long)c->postings_total);
  buf_addf(plan,
           ", %llu blocks decoded of %llu seen, %llu regions skipped, "
           "%llu documents scored)",
           (unsigned long long)c->blocks_decoded,
           (unsigned long long)c->blocks_seen,
           (unsigned long long)c->regions_skipped,
           (unsigned long long)c->docs_scored);
}

/* ---- the answer ---------------------------------------------------------- */

/* "snippets": the best fragment of each indexed field that matches. */
static int add_snippets(kwq *kw, const char *entity, size_t len, buf_t *out) {
  json_t *o = json_loadb(entity, len, 0, NULL);
  if (o == NULL) return err_nomem(&kw->db->err);
  json_t *sn = json_object();
  size_t nf = 0;
  const char *const *fields = ftsr_fields(kw->r, &nf);
  int rc = sn ? REMDB_OK : err_nomem(&kw->db->err);
  for (size_t i = 0; rc == REMDB_OK && i < nf; i++) {
    json_t *v = json_object_get(o, fields[i]);
    if (!json_is_string(v)) continue;
    size_t nm = 0;
    char *s = fts_snippet(kw->q, ftsr_analyzer(kw->r), json_string_value(v),
                          json_string_length(v), NULL, &nm);
    if (s == NULL) rc = err_nomem(&kw->db->err);
    else if (nm > 0 && json_object_set_new(sn, fields[i], json_string(s)))
      rc = err_nomem(&kw->db->err);
    free(s);
  }
  char *text = rc == REMDB_OK ? json_dumps(sn, JSON_COMPACT) : NULL;
  if (rc == REMDB_OK && text == NULL) rc = err_nomem(&kw->db->err);
  if (text) {
    buf_adds(out, ",\"snippets\":");
    buf_adds(out, text);
  }
  free(text);
  json_decref(sn);
  json_decref(o);
  return rc;
}

/* A score as a JSON real: every bit kept, and always with a fraction or
** an exponent (1.0, not 1, which reads back as an integer). */
static void add_real(buf_t *out, double v) {
  char t[40];
  snprintf(t, sizeof t, "%.17g", v);
  buf_adds(out, t);
  if (!strpbrk(t, ".eEn")) buf_adds(out, ".0");
}

static void add_rank(buf_t *out, const char *name, uint32_t rank,
                     const char *sname, double score) {
  if (rank) {
    buf_addf(out, ",\"%s\":%u,\"%s\":", name, rank, sname);
    add_real(out, score);
  } else {
    buf_addf(out, ",\"%s\":null,\"%s\":null", name, sname);
  }
}

static int emit_hits(kwq *kw, const search_hit *h, size_t n, size_t k,
                     double min_score, bool hybrid, bool snippets,
                     buf_t *out) {
  remdb *db = kw->db;
  int rc = REMDB_OK;
  buf_t ent;
  buf_init(&ent);
  buf_addc(out, '[');
  size_t emitted = 0;
  for (size_t i = 0; rc == REMDB_OK && i < n && emitted < k; i++) {
    if (!(h[i].score >= min_score)) continue;
    ent_row r;
    if (ent_get(db, kw->snap, kw->ct, &h[i].id, &r) != REMDB_OK ||
        rec_is_deleted(&r.rv)) {
      ent_row_free(&r);
      err_clear(&db->err);
      continue;
    }
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&h[i].id, ids);
    if (emitted++) buf_addc(out, ',');
    buf_addf(out, "{\"id\":\"%s\",\"score\":", ids);
    add_real(out, h[i].score);
    if (hybrid) {
      add_rank(out, "keyword_rank", h[i].krank, "keyword_score", h[i].kscore);
      add_rank(out, "vector_rank", h[i].vrank, "vector_score", h[i].vscore);
    }
    ent.len = 0;
    rc = ent_to_json(db, kw->ct, &h[i].id, &r.rv, &ent);
    ent_row_free(&r);
    if (rc == REMDB_OK && ent.oom) rc = err_nomem(&db->err);
    if (rc == REMDB_OK && snippets && kw->r)
      rc = add_snippets(kw, ent.p, ent.len, out);
    buf_adds(out, ",\"entity\":");
    buf_add(out, ent.p, ent.len);
    buf_addc(out, '}');
  }
  buf_addc(out, ']');
  buf_free(&ent);
  return rc;
}

/* ---- keyword and hybrid search ---------------------------------------- */

int fts_search_run(remdb *db, snap_t *snap, const char *table,
                   const char *query, const remdb_search_options *o,
                   enum remdb_search_mode mode, char **json_out,
                   char **plan_out, uint64_t *examined_out) {
  if (query == NULL)
    return err_set(&db->err, REMDB_INVALID,
                   "search: %s mode needs the query as text",
                   mode == REMDB_MODE_HYBRID ? "hybrid" : "keyword");
  size_t k = o->k ? o->k : 10;
  if (k > 10000)
    return err_set(&db->err, REMDB_TOOBIG, "search: k is at most 10000");
  int rc = check_fts_options(db, o);
  if (rc) return rc;
  double rrf_k = o->rrf_k > 0 ? o->rrf_k : 60;
  size_t depth = k;
  if (mode == REMDB_MODE_HYBRID) {
    depth = o->hybrid_depth ? o->hybrid_depth : 2 * k > 50 ? 2 * k : 50;
    if (depth > 10000) depth = 10000;
    if (depth < k) depth = k;
  }
  const char *where = o->where && *o->where ? o->where : NULL;
  kwq kw = {.db = db};
  cat_table *ct = NULL;
  if (snap) {
    if (!snap_current(db, snap))
      return err_set(&db->err, REMDB_ERROR,
                     "%s: the schema changed during the search: run it "
                     "again",
                     table);
    kw.snap = snap_retain(snap);
    rc = cat_lookup(db, table, &ct);
  } else {
    rc = cat_find(db, table, &ct);
    if (rc == REMDB_OK) rc = snap_take(db, &kw.snap);
    if (rc == REMDB_OK) rc = cat_lookup(db, table, &ct);
  }
  if (rc == REMDB_OK && mode == REMDB_MODE_HYBRID &&
      ct->s->embedding.dim == 0)
    rc = err_set(&db->err, REMDB_INVALID,
                 "%s: no embedding configured (the schema has no "
                 "\"embedding\" block): hybrid search needs one; search it "
                 "with mode keyword",
                 ct->s->name);
  kw.ct = ct;
  if (rc == REMDB_OK) rc = kw_open(&kw, query, o);
  search_hit *kh = NULL, *vh = NULL, *fused = NULL;
  size_t nk = 0, nv = 0, nf = 0;
  buf_t plan, out;
  buf_init(&plan);
  buf_init(&out);
  uint64_t examined = 0;
  buf_t vplan;
  buf_init(&vplan);
  idset rows = {0}; /* hybrid: the filter's rows, read once for both */
  bool hybrid = mode == REMDB_MODE_HYBRID;
  if (rc == REMDB_OK && hybrid)
    rc = search_vector_list(db, kw.snap, table, query, o, depth, where, &vh,
                            &nv, &vplan, &examined, where ? &rows : NULL);
  if (rc == REMDB_OK)
    rc = kw_run(&kw, depth, where, hybrid && where ? &rows : NULL, &kh, &nk);
  if (rc == REMDB_OK) {
    if (hybrid) buf_adds(&plan, "hybrid rrf: ");
    kw_plan(&kw, &plan);
    examined += kw.cnt.docs_scored;
  }
  if (rc == REMDB_OK && hybrid) {
    buf_adds(&plan, " + vector ");
    buf_add(&plan, vplan.p, vplan.len);
    if (rc == REMDB_OK &&
        (fused = malloc((nk + nv + 1) * sizeof *fused)) == NULL)
      rc = err_nomem(&db->err);
    if (rc == REMDB_OK && !search_rrf(kh, nk, vh, nv, rrf_k, fused, &nf))
      rc = err_nomem(&db->err);
  }
  buf_free(&vplan);
  idset_free(&rows);
  if (rc == REMDB_OK) {
    rc = emit_hits(&kw, hybrid ? fused : kh, hybrid ? nf : nk, k,
                   o->min_score, hybrid, o->snippets != 0, &out);
    rc = core_hand_out(db, rc, &out, json_out);
  }
  if (rc == REMDB_OK && plan_out) {
    rc = core_hand_out(db, rc, &plan, plan_out);
    if (rc) {
      remdb_free(*json_out);
      *json_out = NULL;
    }
  }
  if (rc == REMDB_OK && examined_out) *examined_out = examined;
  buf_free(&plan);
  buf_free(&out);
  free(kh);
  free(vh);
  free(fused);
  kw_close(&kw);
  snap_release(kw.snap);
  return rc;
}

/* ---- fts(), the table function (registered with sql/) -------------------
**   fts(table, query, k = 10, filter = NULL, snippets = 0):
**     id, _score, type, entity (JSON), snippets (JSON or NULL)
** Keyword search only; it reads the snapshot of the statement it runs in. */

static int run_fts(sql_sess *s, sqlite3_value **a, json_t **rows,
                   char **err) {
  remdb *db = s->db;
  const char *table = (const char *)sqlite3_value_text(a[0]);
  const char *query = a[1] ? (const char *)sqlite3_value_text(a[1]) : NULL;
  if (table == NULL || query == NULL) {
    *err = sqlite3_mprintf("fts(): the %s is NULL (or missing): give "
                           "fts(table, query text, k, filter)",
                           table == NULL ? "table name" : "query text");
    return SQLITE_ERROR;
  }
  sqlite3_int64 k = a[2] ? sqlite3_value_int64(a[2]) : 10;
  if (k < 1 || k > 10000) {
    *err = sqlite3_mprintf("fts(): k must be 1 to 10000");
    return SQLITE_ERROR;
  }
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = (size_t)k;
  o.where = a[3] ? (const char *)sqlite3_value_text(a[3]) : NULL;
  o.snippets = a[4] ? sqlite3_value_int(a[4]) : 0;
  char *json = NULL, *plan = NULL;
  uint64_t examined = 0;
  int rc = fts_search_run(db, s->snap, table, query, &o, REMDB_MODE_KEYWORD,
                          &json, s->explain ? &plan : NULL, &examined);
  if (rc != REMDB_OK) {
    *err = sqlite3_mprintf("fts(): %s", remdb_errmsg(db));
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *rows = json_loads(json, 0, NULL);
  remdb_free(json);
  if (plan && *rows) {
    char shape[64];
    snprintf(shape, sizeof shape, "%.*s", (int)strcspn(plan, "("), plan);
    sql_route_note(s, table, plan, shape, examined, json_array_size(*rows));
  }
  remdb_free(plan);
  return *rows ? SQLITE_OK : SQLITE_NOMEM;
}

static const char *const fts_paths[] = {"id", "score", "entity.type",
                                        "entity", "snippets"};
static const sql_fn fts_fn = {
    "fts",
    "CREATE TABLE x(id TEXT, _score REAL, type TEXT, entity TEXT, snippets "
    "TEXT, tbl HIDDEN, query HIDDEN, k HIDDEN, filter HIDDEN, snippet_on "
    "HIDDEN)",
    5, 5, fts_paths, run_fts};

void fts_wire(void) { sql_fn_register(&fts_fn); }

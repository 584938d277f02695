/*
** test_fts_core.c: the full-text index in storage (core/fts.c) against the
** rows it indexes.  A generated sequence of inserts, updates (full-text
** fields or not), soft deletes, undeletes (an upsert of a soft-deleted
** id), hard deletes, batches, SQL DML, reopenings and schema replaces
** (some change the full-text configuration, which rebuilds the index) is
** applied through the public API while a model keeps the live rows.  At
** checkpoints, for generated queries, the index read through ftsr_source
** gives what an index built afresh from the model's live rows gives
** (fts_eval_all: the same documents, the same scores), a brute-force BM25
** computed from the rows for bag-of-words queries, the same top k up to
** ties (fts_eval_topk), and verify is clean.  Seed: REMDB_TEST_SEED, else
** a fixed one and a random one (printed).
*/
#include <jansson.h>
#include <math.h>
#include <time.h>

#include "core/ftsread.h"
#include "damage.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"
#include "text/index.h"

static char dir[512];
/* remdb_options.fts_merge_work of the writable opens (open_t); 0 below
** means "the default" here, and SIZE_MAX no bound (option 0) */
static size_t merge_work;
#define FTS_SEG_MAX_TEST 8 /* core/fts.c FTS_SEG_MAX */

static void set_merge_work(remdb_options *o) {
  if (merge_work) o->fts_merge_work = merge_work == SIZE_MAX ? 0 : merge_work;
}

static int open_t(remdb **d) {
  remdb_options o;
  remdb_options_init(&o);
  set_merge_work(&o);
  return remdb_open(dir, "t", &o, d);
}
#define S(lit) lit, strlen(lit)

static uint64_t rng;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rndn(uint32_t n) { return (uint32_t)(rnd() % n); }

static const char *const words[] = {
    "alpha",  "beta",    "gamma",   "delta",   "epsilon", "zeta",   "the",
    "and",    "running", "runs",    "run",     "runner",  "Café",   "cafe",
    "naïve",  "ÉLAN",    "alphabet", "alpine", "betamax", "gamut",  "theta",
    "iota",   "kappa",   "lambda",  "mu",      "nu",      "xi",     "omicron",
    "pi",     "rho",     "sigma",   "tau",     "upsilon", "phi",    "chi",
    "psi",    "omega",   "e-mail",  "don't",   "x1"};
#define NWORDS (sizeof words / sizeof *words)

/* ---- the model -------------------------------------------------------- */

enum { NMAX = 2000 };
typedef struct row {
  char id[REMDB_ID_LEN + 1];
  char *title, *body; /* body may be NULL */
  int n;
  int state; /* 0 absent, 1 live, 2 soft-deleted */
  bool fresh; /* inserted by the open batch under a generated id: the
              ** batch cannot name it (core stages no copy of it) */
} row;
static row rows[NMAX];
static size_t nrows;
static remdb *db;

static char *gen_text(int maxw) {
  size_t n = rndn(8) == 0 ? 0 : 1 + rndn((uint32_t)maxw);
  char *s = malloc(n * 12 + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    size_t w = rndn(3) ? rndn(10) : rndn(NWORDS);
    o += (size_t)sprintf(s + o, "%s%s", i ? (rndn(5) ? " " : ", ") : "",
                         words[w]);
  }
  s[o] = 0;
  return s;
}

static void set_text(char **slot, char *v) {
  free(*slot);
  *slot = v;
}

static void json_row(const row *r, bool with_id, buf_t *b) {
  json_t *o = json_object();
  if (with_id) json_object_set_new(o, "id", json_string(r->id));
  json_object_set_new(o, "title", json_string(r->title));
  json_object_set_new(o, "body", r->body ? json_string(r->body) : json_null());
  json_object_set_new(o, "n", json_integer(r->n));
  char *s = json_dumps(o, JSON_COMPACT);
  buf_reset(b);
  buf_adds(b, s);
  free(s);
  json_decref(o);
}

/* ---- the schema ---------------------------------------------------------- */

static int cfg; /* which full-text configuration */
static int extra; /* schema variants that change no full-text setting */

static const char *const cfgs[] = {
    "{\"fields\":[\"title\",\"body\"]}",
    "{\"fields\":[\"title\",\"body\"],\"stemmer\":false,\"stopwords\":[]}",
    "{\"fields\":[\"body\"],\"language\":\"none\"}",
    "{\"fields\":[\"body\",\"title\"],\"tokenizer\":\"unicode61\","
    "\"language\":\"none\"}",
};
#define NCFG (sizeof cfgs / sizeof *cfgs)

static void put_schema(void) {
  char s[1024];
  snprintf(s, sizeof s,
           "{\"name\":\"notes\",\"properties\":{\"title\":{\"type\":"
           "\"string\"},\"body\":{\"type\":[\"string\",\"null\"]},\"n\":{"
           "\"type\":\"integer\"}%s},\"indexed_fields\":[\"n\"],"
           "\"fulltext\":%s}",
           extra ? ",\"extra\":{\"type\":\"string\"}" : "", cfgs[cfg]);
  int rc = remdb_schema_put(db, s, strlen(s));
  CHECK_INT(rc, REMDB_OK);
  if (rc) fprintf(stderr, "schema: %s\n", remdb_errmsg(db));
}

/* ---- operations ------------------------------------------------------------ */

static row *pick(int state) {
  size_t c = 0;
  for (size_t i = 0; i < nrows; i++)
    c += rows[i].state == state && !rows[i].fresh;
  if (c == 0) return NULL;
  size_t k = rndn((uint32_t)c);
  for (size_t i = 0; i < nrows; i++)
    if (rows[i].state == state && !rows[i].fresh && k-- == 0)
      return &rows[i];
  return NULL;
}

static void op_insert(remdb_batch *b, buf_t *js) {
  if (nrows == NMAX) return;
  row *r = &rows[nrows];
  memset(r, 0, sizeof *r);
  r->title = gen_text(6);
  r->body = rndn(6) ? gen_text(30) : NULL;
  r->n = (int)rndn(20);
  json_row(r, false, js);
  int rc = b ? remdb_batch_insert(b, "notes", js->p, js->len, r->id)
             : remdb_insert(db, "notes", js->p, js->len, r->id);
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    free(r->title);
    free(r->body);
    return;
  }
  r->state = 1;
  r->fresh = b != NULL;
  nrows++;
}

static void op_update(remdb_batch *b, buf_t *js) {
  row *r = pick(1);
  if (!r) return;
  json_t *p = json_object();
  int what = (int)rndn(4);
  if (what == 0) {
    set_text(&r->title, gen_text(6));
    json_object_set_new(p, "title", json_string(r->title));
  } else if (what == 1) {
    set_text(&r->body, rndn(5) ? gen_text(30) : NULL);
    json_object_set_new(p, "body", r->body ? json_string(r->body) : json_null());
  } else if (what == 2 && r->body) { /* a small change: one word more */
    char *s = malloc(strlen(r->body) + 16);
    sprintf(s, "%s %s", r->body, words[rndn(NWORDS)]);
    set_text(&r->body, s);
    json_object_set_new(p, "body", json_string(r->body));
  } else { /* no full-text field changes */
    r->n = (int)rndn(20);
    json_object_set_new(p, "n", json_integer(r->n));
  }
  char *s = json_dumps(p, JSON_COMPACT);
  json_decref(p);
  int rc = b ? remdb_batch_update(b, r->id, s, strlen(s))
             : remdb_update(db, r->id, s, strlen(s));
  CHECK_INT(rc, REMDB_OK);
  free(s);
  (void)js;
}

static void op_delete(remdb_batch *b, bool hard) {
  row *r = pick(rndn(3) == 0 && hard ? 2 : 1);
  if (!r) return;
  int rc = b ? remdb_batch_delete(b, r->id, hard ? REMDB_HARD : 0)
             : remdb_delete(db, r->id, hard ? REMDB_HARD : 0);
  CHECK_INT(rc, REMDB_OK);
  r->state = hard ? 0 : 2;
}

/* An upsert of a soft-deleted id brings it back (maybe with new text). */
static void op_undelete(remdb_batch *b, buf_t *js) {
  row *r = pick(2);
  if (!r) return;
  if (rndn(2)) set_text(&r->body, gen_text(20));
  json_row(r, true, js);
  char id[REMDB_ID_LEN + 1];
  int rc = b ? remdb_batch_insert(b, "notes", js->p, js->len, id)
             : remdb_insert(db, "notes", js->p, js->len, id);
  CHECK_INT(rc, REMDB_OK);
  r->state = 1;
}

static void exec_sql(const char *sql) {
  remdb_stmt *st = NULL;
  int rc = remdb_prepare(db, sql, strlen(sql), &st, NULL);
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
    return;
  }
  while ((rc = remdb_step(st)) == REMDB_ROW) {
  }
  CHECK_INT(rc, REMDB_DONE);
  remdb_finalize(st);
}

/* SQL DML: an UPDATE of the body of every live row with n = v, a DELETE of
** those with n = w. */
static void op_sql(void) {
  int v = (int)rndn(20);
  char *body = gen_text(10);
  for (char *p = body; *p; p++)
    if (*p == '\'') *p = ' '; /* SQL quoting aside */
  char sql[512];
  snprintf(sql, sizeof sql, "UPDATE notes SET body = '%s' WHERE n = %d",
           body, v);
  exec_sql(sql);
  for (size_t i = 0; i < nrows; i++)
    if (rows[i].state == 1 && rows[i].n == v)
      set_text(&rows[i].body, strdup(body));
  free(body);
  int w = (int)rndn(20);
  snprintf(sql, sizeof sql, "DELETE FROM notes WHERE n = %d", w);
  exec_sql(sql);
  for (size_t i = 0; i < nrows; i++)
    if (rows[i].state == 1 && rows[i].n == w) rows[i].state = 2;
}

static void op_batch(buf_t *js) {
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  int n = 2 + (int)rndn(20);
  for (int i = 0; i < n; i++) {
    uint32_t k = rndn(10);
    if (k < 4) op_insert(b, js);
    else if (k < 7) op_update(b, js);
    else if (k < 8) op_delete(b, false);
    else if (k < 9) op_undelete(b, js);
    else op_delete(b, true);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  for (size_t i = 0; i < nrows; i++) rows[i].fresh = false;
}

/* A batch of a few hundred changes, mostly inserts: their numbers span
** whole ranges no stored value has (staged as full values, not merge
** operands), and older rows change in the same ranges' transaction; or (a
** journaled batch: inserts and upserts only) across a flush, after which
** those ranges are no longer fresh. */
static void op_big_batch(buf_t *js) {
  remdb_batch *b;
  int n = 130 + (int)rndn(170), flush_at = rndn(2) ? (int)rndn((uint32_t)n) : -1;
  CHECK_INT(remdb_batch_begin_ex(db, flush_at >= 0 ? REMDB_BATCH_JOURNAL : 0,
                                 &b),
            REMDB_OK);
  for (int i = 0; i < n; i++) {
    uint32_t k = rndn(flush_at >= 0 ? 18 : 20); /* a journal: upserts */
    if (flush_at >= 0 && k >= 14) k = 17;
    if (k < 14) op_insert(b, js);
    else if (k < 16) op_update(b, js);
    else if (k < 17) op_delete(b, false);
    else if (k < 18) op_undelete(b, js);
    else op_delete(b, true);
    if (i == flush_at) {
      CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
      for (size_t j = 0; j < nrows; j++) rows[j].fresh = false;
    }
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  for (size_t i = 0; i < nrows; i++) rows[i].fresh = false;
}

/* ---- checking ---------------------------------------------------------------- */

typedef struct hit {
  char id[REMDB_ID_LEN + 1];
  double s;
} hit;

typedef struct hits {
  hit *h;
  size_t n, cap;
} hits;

static void hits_add(hits *x, const char *id, double s) {
  if (x->n == x->cap) {
    x->cap = x->cap ? x->cap * 2 : 64;
    x->h = realloc(x->h, x->cap * sizeof *x->h);
  }
  snprintf(x->h[x->n].id, sizeof x->h[x->n].id, "%s", id);
  x->h[x->n++].s = s;
}

static int hit_by_id(const void *a, const void *b) {
  return strcmp(((const hit *)a)->id, ((const hit *)b)->id);
}

static bool close_to(double a, double b) {
  return fabs(a - b) <= 1e-9 * (fabs(a) > 1 ? fabs(a) : 1);
}

typedef struct ctx {
  fts_reader *r;
  hits *out;
  const uint64_t *map; /* reference doc -> row index */
  bool store;
} ctx;

static int collect(void *c_, uint64_t doc, double s) {
  ctx *c = c_;
  if (c->store) {
    uuid16_t u;
    char ids[REMDB_ID_LEN + 1];
    int rc = ftsr_id(c->r, doc, &u);
    CHECK_INT(rc, REMDB_OK);
    if (rc) return 0;
    uuid_format(&u, ids);
    hits_add(c->out, ids, s);
  } else {
    hits_add(c->out, rows[c->map[doc]].id, s);
  }
  return 0;
}

static char *gen_query(void) {
  char *q = malloc(256);
  const char *a = words[rndn(3) ? rndn(12) : rndn(NWORDS)];
  const char *b = words[rndn(3) ? rndn(12) : rndn(NWORDS)];
  const char *c = words[rndn(NWORDS)];
  switch (rndn(8)) {
    case 0: snprintf(q, 256, "%s", a); break;
    case 1: snprintf(q, 256, "%s %s", a, b); break;
    case 2: snprintf(q, 256, "%s OR %s OR %s", a, b, c); break;
    case 3: snprintf(q, 256, "\"%s %s\"", a, b); break;
    case 4: snprintf(q, 256, "%.3s*", words[rndn(12)]); break;
    case 5: snprintf(q, 256, "%s -%s", a, b); break;
    case 6: snprintf(q, 256, "(%s OR %s) %s", a, b, c); break;
    default: snprintf(q, 256, "%s OR %s", a, b); break;
  }
  return q;
}

/* The field of row r named name. */
static const char *field_of(const row *r, const char *name) {
  return strcmp(name, "title") == 0 ? r->title : r->body;
}

/* BM25 of a bag of words (OR), straight from the rows. */
static void brute_or(fts_analyzer *an, const char *const *fields, size_t nf,
                     const char *const *qw, size_t nq, hits *out) {
  /* the query's terms */
  char terms[8][FTS_MAX_TERM + 1];
  size_t nt = 0;
  for (size_t i = 0; i < nq; i++) {
    fts_doc *d = fts_doc_new();
    fts_doc_add(d, an, 0, qw[i], strlen(qw[i]));
    if (fts_doc_nterms(d) == 1) {
      const char *t;
      size_t len;
      const uint32_t *p;
      uint32_t np;
      fts_doc_term(d, 0, &t, &len, &p, &np);
      snprintf(terms[nt++], sizeof terms[0], "%.*s", (int)len, t);
    } else {
      nt = 99; /* stop words, several tokens: skip this query */
    }
    fts_doc_free(d);
    if (nt == 99) return;
  }
  size_t live = 0, tok = 0, df[8] = {0};
  static uint32_t tf[NMAX][8], dl[NMAX];
  fts_doc *d = fts_doc_new();
  for (size_t i = 0; i < nrows; i++) {
    if (rows[i].state != 1) continue;
    fts_doc_reset(d);
    for (size_t f = 0; f < nf; f++) {
      const char *s = field_of(&rows[i], fields[f]);
      if (s) fts_doc_add(d, an, (unsigned)f, s, strlen(s));
    }
    long n = fts_doc_nterms(d);
    dl[i] = fts_doc_length(d);
    live++;
    tok += dl[i];
    for (size_t k = 0; k < nt; k++) {
      tf[i][k] = 0;
      for (long j = 0; j < n; j++) {
        const char *t;
        size_t len;
        const uint32_t *p;
        uint32_t np;
        fts_doc_term(d, (size_t)j, &t, &len, &p, &np);
        if (len == strlen(terms[k]) && memcmp(t, terms[k], len) == 0)
          tf[i][k] = np;
      }
      df[k] += tf[i][k] > 0;
    }
  }
  fts_doc_free(d);
  double avgdl = live ? (double)tok / (double)live : 0;
  for (size_t i = 0; i < nrows; i++) {
    if (rows[i].state != 1) continue;
    double s = 0;
    bool any = false;
    for (size_t k = 0; k < nt; k++) {
      if (!tf[i][k]) continue;
      any = true;
      double idf = log(((double)live - (double)df[k] + 0.5) /
                       ((double)df[k] + 0.5));
      if (idf <= 0) idf = 1e-6;
      double f = tf[i][k];
      s += idf * (f * 2.2) / (f + 1.2 * (1 - 0.75 + 0.75 * dl[i] / avgdl));
    }
    if (any) hits_add(out, rows[i].id, s);
  }
}

static void sort_hits(hits *a, int (*cmp)(const void *, const void *)) {
  if (a->n) qsort(a->h, a->n, sizeof *a->h, cmp);
}

static bool same_hits(hits *a, hits *b) {
  sort_hits(a, hit_by_id);
  sort_hits(b, hit_by_id);
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->h[i].id, b->h[i].id) || !close_to(a->h[i].s, b->h[i].s))
      return false;
  return true;
}

static int by_score(const void *a, const void *b) {
  double x = ((const hit *)a)->s, y = ((const hit *)b)->s;
  return x > y ? -1 : x < y;
}

static int nqueries, nbrute;

static void check_index(int nq) {
  snap_t *sn;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  cat_table *ct;
  CHECK_INT(cat_find(db, "notes", &ct), REMDB_OK);
  fts_reader *r = NULL;
  int rc = ftsr_open(db, sn, ct->s, &r);
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    fprintf(stderr, "ftsr_open: %s\n", remdb_errmsg(db));
    snap_release(sn);
    return;
  }
  const fts_source *src = ftsr_source(r);
  fts_analyzer *an = ftsr_analyzer(r);
  size_t nf;
  const char *const *fields = ftsr_fields(r, &nf);
  /* the reference: an index built afresh from the live rows */
  fts_memindex *mi = fts_memindex_new();
  fts_doc *d = fts_doc_new();
  uint64_t map[NMAX], ndoc = 0, live = 0, tokens = 0;
  for (size_t i = 0; i < nrows; i++) {
    if (rows[i].state != 1) continue;
    fts_doc_reset(d);
    for (size_t f = 0; f < nf; f++) {
      const char *s = field_of(&rows[i], fields[f]);
      if (s) CHECK_INT(fts_doc_add(d, an, (unsigned)f, s, strlen(s)), 0);
    }
    CHECK_INT(fts_memindex_add(mi, ndoc, d), 0);
    live++;
    tokens += fts_doc_length(d);
    map[ndoc++] = i;
  }
  CHECK_INT(fts_memindex_finish(mi, 0), 0);
  fts_source ref;
  fts_memindex_source(mi, &ref);
  CHECK_INT(src->stats.docs, live);
  CHECK_INT(src->stats.tokens, tokens);
  /* every live row has a number that maps back to it */
  for (size_t i = 0; i < nrows; i++) {
    if (rows[i].state != 1) continue;
    uuid16_t u, back;
    uint64_t dn;
    uuid_parse(rows[i].id, strlen(rows[i].id), &u);
    CHECK_INT(ftsr_docno(r, &u, &dn), REMDB_OK);
    CHECK_INT(ftsr_id(r, dn, &back), REMDB_OK);
    CHECK(memcmp(u.b, back.b, 16) == 0);
  }
  char err[256];
  for (int qi = 0; qi < nq; qi++) {
    char *q = gen_query();
    fts_query *x = fts_query_parse(q, strlen(q), an, err, sizeof err);
    CHECK(x != NULL);
    if (!x) {
      fprintf(stderr, "query [%s]: %s\n", q, err);
      free(q);
      continue;
    }
    hits got = {0}, want = {0}, brute = {0}, top = {0};
    fts_eval *e = fts_eval_open(x, src, NULL, NULL, err, sizeof err);
    CHECK(e != NULL);
    ctx c1 = {r, &got, NULL, true}, c2 = {r, &want, map, false};
    if (e) CHECK_INT(fts_eval_all(e, collect, &c1, err, sizeof err), 0);
    fts_eval_free(e);
    e = fts_eval_open(x, &ref, NULL, NULL, err, sizeof err);
    if (e) CHECK_INT(fts_eval_all(e, collect, &c2, err, sizeof err), 0);
    fts_eval_free(e);
    /* top 10 from the store, with skipping */
    fts_hit th[10];
    size_t nth = 0;
    e = fts_eval_open(x, src, NULL, NULL, err, sizeof err);
    if (e)
      CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, th, &nth, err, sizeof err),
                0);
    fts_eval_free(e);
    ctx c3 = {r, &top, NULL, true};
    for (size_t i = 0; i < nth; i++) collect(&c3, th[i].doc, th[i].score);
    bool ok = same_hits(&got, &want);
    CHECK(ok);
    if (!ok)
      fprintf(stderr, "query [%s]: store %zu hits, reference %zu\n", q,
              got.n, want.n);
    /* the top k: the reference's best scores, each hit with its score */
    sort_hits(&want, by_score);
    CHECK_INT(top.n, want.n < 10 ? want.n : 10);
    for (size_t i = 0; i < top.n && i < want.n; i++) {
      CHECK(close_to(top.h[i].s, want.h[i].s));
      hit key;
      snprintf(key.id, sizeof key.id, "%s", top.h[i].id);
      sort_hits(&got, hit_by_id);
      hit *g = got.n ? bsearch(&key, got.h, got.n, sizeof *got.h, hit_by_id)
                     : NULL;
      CHECK(g && close_to(g->s, top.h[i].s));
    }
    /* bag-of-words queries: brute force from the rows */
    if (strchr(q, '"') == NULL && strchr(q, '*') == NULL &&
        strchr(q, '-') == NULL && strchr(q, '(') == NULL &&
        (strstr(q, " OR ") || strchr(q, ' ') == NULL)) {
      const char *qw[3];
      size_t nqw = 0;
      char *copy = strdup(q), *save = NULL;
      for (char *t = strtok_r(copy, " ", &save); t && nqw < 3;
           t = strtok_r(NULL, " ", &save))
        if (strcmp(t, "OR") != 0) qw[nqw++] = t;
      brute_or(an, fields, nf, qw, nqw, &brute);
      if (brute.n) {
        nbrute++;
        bool bok = same_hits(&got, &brute);
        CHECK(bok);
        if (!bok)
          fprintf(stderr, "query [%s]: store %zu hits, brute force %zu\n", q,
                  got.n, brute.n);
      }
      free(copy);
    }
    nqueries++;
    free(got.h);
    free(want.h);
    free(brute.h);
    free(top.h);
    fts_query_free(x);
    free(q);
  }
  fts_doc_free(d);
  fts_memindex_free(mi);
  ftsr_close(r);
  snap_release(sn);
}

static void note(void *c, const char *problem) {
  (void)c;
  fprintf(stderr, "verify: %s\n", problem);
}

static void check_verify(void) {
  uint64_t problems = 99;
  CHECK_INT(remdb_verify(db, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
}

/* a small memtable: flushes (which combine operands) happen often */
static remdb_options small;

/* The merges of table name's segments under way ('Q' keys, core/fts.c,
** "Incremental merges"). */
static int merges_open(remdb *d, const char *name) {
  cat_table *ct;
  if (cat_find(d, name, &ct) || ct->s == NULL) return 0;
  unsigned char lo[KEY_FTS_PREFIX], hi[KEY_FTS_PREFIX];
  key_fts(lo, d->tid, ct->s->table_id, 'Q');
  key_fts(hi, d->tid, ct->s->table_id, 'Q' + 1);
  kv_iter_t *it;
  CHECK_INT(kv_iter_new(d->st->kv, NULL, KV_INDEX, lo, sizeof lo, hi,
                        sizeof hi, &it, &d->err),
            REMDB_OK);
  int n = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) n++;
  kv_iter_free(it);
  return n;
}

static bool merge_open(remdb *d, const char *name) {
  return merges_open(d, name) > 0;
}
static int nhalf; /* steps of run_sequence that left a merge half done */
static int nmulti; /* ... more than one (of different levels: rare here,
                    ** test_fts_merges_per_level has them) */

static void run_sequence(uint64_t seed, int steps) {
  remdb_options_init(&small);
  small.write_buffer_bytes = 64 << 10;
  set_merge_work(&small);
  rng = seed ? seed : 1;
  printf("test_fts_core: seed %llu\n", (unsigned long long)seed);
  rm_tree(dir);
  for (size_t i = 0; i < nrows; i++) {
    free(rows[i].title);
    free(rows[i].body);
  }
  nrows = 0;
  cfg = extra = 0;
  CHECK_INT(remdb_open(dir, "t", &small, &db), REMDB_OK);
  put_schema();
  buf_t js;
  buf_init(&js);
  for (int step = 1; step <= steps; step++) {
    uint32_t k = rndn(100);
    if (k < 35) op_insert(NULL, &js);
    else if (k < 55) op_update(NULL, &js);
    else if (k < 63) op_delete(NULL, false);
    else if (k < 70) op_undelete(NULL, &js);
    else if (k < 76) op_delete(NULL, true);
    else if (k < 86) op_batch(&js);
    else if (k < 90) op_sql();
    else if (k < 92) { /* a schema change that keeps the index */
      extra = !extra;
      put_schema();
    } else if (k < 94) { /* one that rebuilds it */
      cfg = (cfg + 1 + (int)rndn(NCFG - 1)) % (int)NCFG;
      put_schema();
    } else if (k < 95) { /* reopen: the writer's caches start again */
      remdb_close(db);
      CHECK_INT(remdb_open(dir, "t", &small, &db), REMDB_OK);
    } else if (k < 96) {
      CHECK_INT(remdb_reindex(db, rndn(2) ? "notes" : NULL), REMDB_OK);
    } else if (k < 97) { /* merges of operands in a compaction */
      CHECK_INT(remdb_compact(db), REMDB_OK);
    } else if (k < 98) {
      op_big_batch(&js);
    }
    if (getenv("FTS_DEBUG")) {
      remdb_stmt *st = NULL;
      remdb_prepare(db, S("SELECT count(*) FROM notes"), &st, NULL);
      remdb_step(st);
      int64_t c = remdb_column_int64(st, 0);
      remdb_finalize(st);
      int64_t m = 0;
      for (size_t i = 0; i < nrows; i++) m += rows[i].state == 1;
      if (c != m) {
        fprintf(stderr, "step %d kind %u: db %lld model %lld\n", step, k,
                (long long)c, (long long)m);
        exit(1);
      }
    }
    int nopen = merges_open(db, "notes");
    if (nopen > 1) nmulti++;
    if (nopen) {
      nhalf++;
      if (step % 20 == 0) check_index(10); /* (readers mid-merge) */
    }
    if (step % 100 == 0) {
      check_index(60);
      check_verify();
    }
  }
  check_index(120);
  check_verify();
  buf_free(&js);
  remdb_close(db);
  db = NULL;
}


/* ---- cases ------------------------------------------------------------------- */

static int add_schema(remdb *d, const char *fulltext, const char *props) {
  char s[1024];
  snprintf(s, sizeof s,
           "{\"name\":\"docs\",\"properties\":{\"title\":{\"type\":"
           "\"string\"},\"body\":{\"type\":[\"string\",\"null\"]},\"n\":{"
           "\"type\":\"integer\"}%s}%s%s}",
           props ? props : "", fulltext ? ",\"fulltext\":" : "",
           fulltext ? fulltext : "");
  return remdb_schema_put(d, s, strlen(s));
}

/* A new database at dir with table docs, full-text on title and body. */
static remdb *fresh_docs(void) {
  rm_tree(dir);
  remdb *d = NULL;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  return d;
}

/* The number of documents matching q in table name (-1: the reader could
** not open; its message in msg). */
static long search_count(remdb *d, const char *name, const char *q,
                         char *msg, size_t msglen) {
  snap_t *sn;
  cat_table *ct;
  fts_reader *r;
  if (snap_take(d, &sn)) return -2;
  if (cat_find(d, name, &ct) || ftsr_open(d, sn, ct->s, &r)) {
    snprintf(msg, msglen, "%s", remdb_errmsg(d));
    snap_release(sn);
    return -1;
  }
  char err[256];
  fts_query *x = fts_query_parse(q, strlen(q), ftsr_analyzer(r), err,
                                 sizeof err);
  long n = -3;
  fts_eval *e = x ? fts_eval_open(x, ftsr_source(r), NULL, NULL, err,
                                  sizeof err)
                  : NULL;
  fts_hit h[64];
  size_t nh = 0;
  if (e && fts_eval_topk(e, 64, NULL, NULL, h, &nh, err, sizeof err) == 0)
    n = (long)nh;
  fts_eval_free(e);
  fts_query_free(x);
  ftsr_close(r);
  snap_release(sn);
  return n;
}

static void test_fts_schema(void) {
  rm_tree(dir);
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"nope\"]}", NULL), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "docs.fulltext.fields: \"nope\" is not a property");
  CHECK_INT(add_schema(d, "{\"fields\":[\"n\"]}", NULL), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "\"n\" is not a text field");
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\"],\"language\":\"klingon\"}",
                       NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "docs.fulltext.language: \"klingon\"");
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\"],\"stemming\":true}", NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "unknown key \"stemming\"");
  CHECK_INT(add_schema(d, "{}", NULL), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "no embedding_fields to default to");
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\"],\"k1\":-1}", NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "docs.fulltext.k1");
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"title\"]}", NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "listed twice");
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\"],\"stopwords\":[1]}", NULL),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(d), "docs.fulltext.stopwords[0]: not a string");
  /* no "fulltext": no index, and the reader says so */
  CHECK_INT(add_schema(d, NULL, NULL), REMDB_OK);
  char msg[512] = "";
  CHECK_INT(search_count(d, "docs", "x", msg, sizeof msg), -1);
  CHECK_HAS(msg, "table docs has no full-text index");
  /* defaults: the embedding_fields, english with stemming and stop words */
  const char *emb =
      "{\"name\":\"emb\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{"
      "\"type\":\"string\"}},\"embedding_fields\":[\"b\"],\"embedding\":{"
      "\"dim\":8,\"metric\":\"cosine\",\"provider\":\"hash\"},"
      "\"fulltext\":{\"k1\":1.5,\"b\":0.5}}";
  CHECK_INT(remdb_schema_put(d, emb, strlen(emb)), REMDB_OK);
  uint64_t problems = 9; /* an empty index verifies */
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  char id[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_insert(d, "emb", S("{\"a\":\"walking\",\"b\":\"the runners "
                                     "were running\"}"), id),
            REMDB_OK);
  CHECK_INT(search_count(d, "emb", "run", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "emb", "the", msg, sizeof msg), 0); /* stop word */
  CHECK_INT(search_count(d, "emb", "walking", msg, sizeof msg), 0); /* a */
  cat_table *ct;
  CHECK_INT(cat_find(d, "emb", &ct), REMDB_OK);
  CHECK(ct->s->fulltext.k1 == 1.5 && ct->s->fulltext.b == 0.5);
  CHECK_INT(ct->s->fulltext.nfields, 1);
  /* stats report the index */
  char *js = NULL;
  CHECK_INT(remdb_stats(d, &js), REMDB_OK);
  CHECK_HAS(js, "\"fulltext_index\":{\"built\":true,\"documents\":1,");
  remdb_free(js);
  remdb_close(d);
}

static void test_fts_builtins(void) {
  rm_tree(dir);
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(remdb_init(d), REMDB_OK);
  char id[REMDB_ID_LEN + 1], msg[512] = "";
  CHECK_INT(remdb_insert(d, "resources",
                         S("{\"uri\":\"a.txt\",\"chunk_ordinal\":0,"
                           "\"name\":\"Notes\",\"content\":\"Databases "
                           "index text\"}"),
                         id),
            REMDB_OK);
  CHECK_INT(remdb_insert(d, "moments",
                         S("{\"name\":\"Standup\",\"starts_at\":"
                           "\"2026-01-01T10:00:00Z\",\"summary\":\"we "
                           "indexed everything\"}"),
                         id),
            REMDB_OK);
  CHECK_INT(search_count(d, "resources", "database", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "resources", "notes", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "moments", "index", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "moments", "standup", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "sessions", "x", msg, sizeof msg), -1);
  uint64_t problems = 9;
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  /* resources as a build without full-text search stored it: removing
  ** the block drops the index; init (the explicit upgrade) adds it back
  ** and builds it */
  char *js = NULL;
  CHECK_INT(remdb_schema_get(d, "resources", &js), REMDB_OK);
  json_t *doc = json_loads(js, 0, NULL);
  remdb_free(js);
  json_object_del(doc, "fulltext");
  js = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  CHECK_INT(remdb_schema_put(d, js, strlen(js)), REMDB_OK);
  free(js);
  CHECK_INT(search_count(d, "resources", "database", msg, sizeof msg), -1);
  CHECK_HAS(msg, "has no full-text index");
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0); /* and no key of it is left */
  CHECK_INT(remdb_init(d), REMDB_OK);
  CHECK_INT(search_count(d, "resources", "database", msg, sizeof msg), 1);
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(d);
}

static bool pick_block(const char *k, size_t n) {
  return n > 13 && get_u32be((const unsigned char *)k + 4) == 0x46 &&
         k[12] == 'B';
}
static bool pick_length(const char *k, size_t n) {
  return n == 17 && get_u32be((const unsigned char *)k + 4) == 0x46 &&
         k[12] == 'L';
}
static bool pick_segment(const char *k, size_t n) {
  return n > 21 && get_u32be((const unsigned char *)k + 4) == 0x46 &&
         k[12] == 'G';
}
static bool pick_built(const char *k, size_t n) {
  return n == 13 && get_u32be((const unsigned char *)k + 4) == 0x46 &&
         k[12] == 'M';
}

static void count_problems(void *cnt, const char *problem) {
  (void)problem;
  ++*(int *)cnt;
}

static void insert_doc(remdb *d, const char *body, char *id) {
  char js[256];
  snprintf(js, sizeof js, "{\"title\":\"t\",\"body\":\"%s\"}", body);
  CHECK_INT(remdb_insert(d, "docs", js, strlen(js), id), REMDB_OK);
}

static void fill_docs(remdb *d, int n) {
  for (int i = 0; i < n; i++) {
    char js[256], id[REMDB_ID_LEN + 1];
    snprintf(js, sizeof js,
             "{\"title\":\"doc %d\",\"body\":\"alpha beta w%d\",\"n\":%d}", i,
             i % 5, i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), id), REMDB_OK);
  }
}

/* Damage behind remdb's back: verify finds it, reindex repairs it. */
static void test_fts_damage(void) {
  bool (*const picks[])(const char *, size_t) = {pick_block, pick_length,
                                                  pick_segment};
  for (size_t p = 0; p < 3; p++) {
    rm_tree(dir);
    remdb *d;
    CHECK_INT(open_t(&d), REMDB_OK);
    CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
              REMDB_OK);
    fill_docs(d, 300);
    /* an import makes segments only: blocks come from a rebuild */
    if (picks[p] == pick_block) CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
    remdb_close(d);
    CHECK_INT(damage_delete_first(dir, KV_INDEX, picks[p]), 1);
    CHECK_INT(open_t(&d), REMDB_OK);
    int seen = 0;
    uint64_t problems = 0;
    CHECK_INT(remdb_verify(d, count_problems, &seen, &problems), REMDB_OK);
    CHECK(problems > 0);
    CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
    CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
    char msg[256];
    CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 64);
    CHECK_INT(search_count(d, "docs", "w3", msg, sizeof msg), 60);
    remdb_close(d);
  }
}

/* The table's segments (core/fts.c, "Segments"; 'W': m, next, dead, then
** (be64 number, level) each), and the level of segment i into *lvl. */
static uint64_t seg_level(remdb *d, uint64_t i, int *lvl) {
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, d->tid, ct->s->table_id, 'W');
  kv_val v;
  int rc = kv_get(d->st->kv, NULL, KV_INDEX, k, sizeof k, &v, &d->err);
  if (rc == REMDB_NOTFOUND) return 0;
  CHECK_INT(rc, REMDB_OK);
  CHECK(v.len >= 24 && (v.len - 24) % 9 == 0);
  uint64_t n = v.len >= 24 ? (v.len - 24) / 9 : 0;
  if (lvl && i < n) *lvl = ((const unsigned char *)v.data)[24 + 9 * i + 8];
  kv_val_free(&v);
  return n;
}

static uint64_t seg_count(remdb *d) { return seg_level(d, 0, NULL); }

/* The table's tombstones ('K' keys: dead documents in segments). */
static uint64_t dead_count(remdb *d) {
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  unsigned char lo[KEY_FTS_PREFIX], hi[KEY_FTS_PREFIX];
  key_fts(lo, d->tid, ct->s->table_id, 'K');
  key_fts(hi, d->tid, ct->s->table_id, 'K' + 1);
  kv_iter_t *it;
  CHECK_INT(kv_iter_new(d->st->kv, NULL, KV_INDEX, lo, sizeof lo, hi,
                        sizeof hi, &it, &d->err),
            REMDB_OK);
  uint64_t n = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) n++;
  kv_iter_free(it);
  return n;
}

static void check_clean(remdb *d) {
  uint64_t problems = 99;
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
}

/* Each commit's new documents make one segment; a change of a document
** in a segment folds them into the blocks (the folding commit's own new
** documents still make a segment); eight segments of one level are merged
** into one of the next level by the next commit; a reader sees the same
** documents either way. */
static void test_fts_segments(void) {
  remdb *d = fresh_docs();
  char ids[40][REMDB_ID_LEN + 1], msg[256];
  for (int i = 0; i < 5; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"alpha w%d\"}",
             i, i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(seg_count(d), 5);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 5);
  CHECK_INT(search_count(d, "docs", "w3", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "\"alpha w2\"", msg, sizeof msg), 1);
  check_clean(d);
  /* an update of a document in a segment: it dies there (a tombstone),
  ** its new version goes to the commit's segment; nothing is folded */
  const char *patch = "{\"body\":\"gamma w3\"}";
  CHECK_INT(remdb_update(d, ids[3], patch, strlen(patch)), REMDB_OK);
  CHECK_INT(seg_count(d), 6);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 4);
  CHECK_INT(search_count(d, "docs", "gamma", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "w3", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "\"doc 3\"", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "alph*", msg, sizeof msg), 4);
  check_clean(d);
  /* a soft and a hard delete of documents in segments */
  CHECK_INT(remdb_delete(d, ids[1], 0), REMDB_OK);
  CHECK_INT(remdb_delete(d, ids[2], REMDB_HARD), REMDB_OK);
  CHECK_INT(seg_count(d), 6);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 2);
  CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "w2", msg, sizeof msg), 0);
  CHECK_INT(dead_count(d), 3);
  check_clean(d);
  /* new segments; a delete of one of their documents */
  for (int i = 5; i < 8; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"alpha w%d\"}",
             i, i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 5);
  CHECK_INT(dead_count(d), 0); /* a merge (below) dropped them */
  check_clean(d);
  CHECK_INT(remdb_delete(d, ids[6], 0), REMDB_OK);
  CHECK_INT(dead_count(d), 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 4);
  CHECK_INT(search_count(d, "docs", "w6", msg, sizeof msg), 0);
  check_clean(d);
  /* (the eighth commit merged eight segments of level 0 into one of level
  ** 1, the dead documents' postings dropped); eight of level 0
  ** again: the next commit merges them */
  CHECK_INT(seg_count(d), 2);
  for (int i = 8; i < 15; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"alpha w%d\"}",
             i, i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(seg_count(d), 9);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 11);
  check_clean(d);
  const char *js = "{\"title\":\"doc 16\",\"body\":\"alpha w16\"}";
  CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[16]), REMDB_OK);
  int lvl = -1;
  CHECK_INT(seg_level(d, 0, &lvl), 3); /* and its own document: a new one */
  CHECK_INT(lvl, 1);
  CHECK_INT(seg_level(d, 1, &lvl), 3);
  CHECK_INT(lvl, 1);
  CHECK_INT(seg_level(d, 2, &lvl), 3);
  CHECK_INT(lvl, 0);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 12);
  CHECK_INT(search_count(d, "docs", "w9", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "\"alpha w9\"", msg, sizeof msg), 1);
  check_clean(d);
  /* an undelete (an upsert of the soft-deleted id) of a dead document: a
  ** new number */
  char undel[160], same[REMDB_ID_LEN + 1];
  snprintf(undel, sizeof undel,
           "{\"id\":\"%s\",\"title\":\"doc 1\",\"body\":\"alpha w1\"}",
           ids[1]);
  CHECK_INT(remdb_insert(d, "docs", undel, strlen(undel), same), REMDB_OK);
  CHECK_STR(same, ids[1]);
  CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 13);
  check_clean(d);
  /* reopened, and rebuilt */
  remdb_close(d);
  CHECK_INT(open_t(&d), REMDB_OK);
  uint64_t before = seg_count(d);
  int alpha = search_count(d, "docs", "alpha", msg, sizeof msg);
  fill_docs(d, 3);
  CHECK_INT(seg_count(d), before + 3);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), alpha + 3);
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
  CHECK_INT(seg_count(d), 0);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), alpha + 3);
  check_clean(d);
  remdb_close(d);
}

/* A merge does about fts_merge_work bytes per commit (remdb_options;
** core/fts.c, "Incremental merges"): with a bound of one byte, one term per commit.
** While it runs, readers (a snapshot from before it, the latest, a
** reopened handle) see its inputs, verify is clean, documents die in its
** inputs (their tombstones outlive it) and commits add segments; the
** commit of its last term swaps its output in and drops the documents
** dead when it started, with their tombstones. */
static long search_count_at(remdb *d, snap_t *sn, const char *q);

/* Has table "docs" its key of kind (no suffix)? */
static bool has_key(remdb *d, char kind) {
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, d->tid, ct->s->table_id, kind);
  kv_val v;
  int rc = kv_get(d->st->kv, NULL, KV_INDEX, k, sizeof k, &v, &d->err);
  if (rc == REMDB_OK) kv_val_free(&v);
  return rc == REMDB_OK;
}

static void test_fts_incremental(void) {
  rm_tree(dir);
  merge_work = 1;
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  char ids[64][REMDB_ID_LEN + 1], msg[256];
  int nid = 0;
  for (; nid < 7; nid++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"alpha w%d\"}",
             nid, nid);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[nid]), REMDB_OK);
  }
  CHECK_INT(remdb_delete(d, ids[1], 0), REMDB_OK); /* dead before it */
  for (; nid < 9; nid++) { /* the eighth segment; then the merge starts */
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"alpha w%d\"}",
             nid, nid);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[nid]), REMDB_OK);
  }
  CHECK(merge_open(d, "docs"));
  CHECK_INT(seg_count(d), 9); /* its inputs, still read, and the new one */
  CHECK_INT(dead_count(d), 1);
  snap_t *sn;
  CHECK_INT(snap_take(d, &sn), REMDB_OK);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 8);
  check_clean(d);
  /* a document of its inputs dies while it runs; a reopening */
  CHECK_INT(remdb_delete(d, ids[2], REMDB_HARD), REMDB_OK);
  CHECK(merge_open(d, "docs"));
  CHECK_INT(dead_count(d), 2);
  check_clean(d);
  CHECK_INT(search_count_at(d, sn, "alpha"), 8); /* (from before the kill) */
  snap_release(sn);
  remdb_close(d);
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(snap_take(d, &sn), REMDB_OK);
  CHECK(merge_open(d, "docs"));
  int commits = 2;
  while (merge_open(d, "docs") && nid < 64) {
    CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 7);
    CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 0);
    CHECK_INT(search_count(d, "docs", "w2", msg, sizeof msg), 0);
    CHECK_INT(search_count(d, "docs", "\"alpha w5\"", msg, sizeof msg), 1);
    check_clean(d);
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"beta w%d\"}",
             nid, nid);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[nid]), REMDB_OK);
    nid++;
    commits++;
  }
  CHECK(!merge_open(d, "docs"));
  CHECK(commits > 10); /* one term per commit */
  CHECK_INT(dead_count(d), 1); /* the one that died during it */
  /* its inputs are retired ('V'): a part deleted per commit */
  CHECK(has_key(d, 'V'));
  check_clean(d);
  int gc = 0;
  for (; has_key(d, 'V') && gc < 20; gc++) {
    const char *js = "{\"title\":\"gc\",\"body\":\"delta\"}";
    char id[REMDB_ID_LEN + 1];
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), id), REMDB_OK);
    check_clean(d);
  }
  CHECK(!has_key(d, 'V'));
  CHECK(gc >= 4);
  /* a snapshot from before its end still reads its inputs */
  CHECK_INT(search_count_at(d, sn, "alpha"), 7);
  CHECK_INT(search_count_at(d, sn, "\"alpha w5\""), 1);
  snap_release(sn);
  int lvl = -1;
  CHECK_INT(seg_level(d, 0, &lvl), seg_count(d));
  CHECK_INT(lvl, 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 7);
  CHECK_INT(search_count(d, "docs", "beta", msg, sizeof msg), nid - 9);
  CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "w2", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "w8", msg, sizeof msg), 1);
  check_clean(d);
  /* a reindex mid-merge drops it */
  while (!merge_open(d, "docs") && nid < 64) {
    fill_docs(d, 1);
    nid++;
  }
  CHECK(merge_open(d, "docs"));
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
  CHECK(!merge_open(d, "docs"));
  CHECK_INT(seg_count(d), 0);
  check_clean(d);
  remdb_close(d);
  merge_work = 0;
}

/* Rewrite table docs' segment list ('W') behind the writer's back: the
** level of every segment into lvls[0 .. n) (as many as the list holds),
** and, when empty_after < n, a new segment number (no parts: what a merge
** of dead documents only leaves) at level empty_lvl after segment
** empty_after. */
static void rewrite_w(remdb *d, const uint8_t *lvls, size_t n,
                      size_t empty_after, uint8_t empty_lvl) {
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, d->tid, ct->s->table_id, 'W');
  kv_val v;
  CHECK_INT(kv_get(d->st->kv, NULL, KV_INDEX, k, sizeof k, &v, &d->err),
            REMDB_OK);
  CHECK_INT((v.len - 24) / 9, n);
  unsigned char w[24 + 9 * 64];
  memcpy(w, v.data, v.len);
  size_t wl = v.len;
  kv_val_free(&v);
  for (size_t i = 0; i < n; i++) w[24 + 9 * i + 8] = lvls[i];
  if (empty_after < n) {
    uint64_t e = get_u64be(w + 8); /* next: the empty one's number */
    put_u64be(w + 8, e + 1);
    size_t at = 24 + 9 * (empty_after + 1);
    memmove(w + at + 9, w + at, wl - at);
    put_u64be(w + at, e);
    w[at + 8] = empty_lvl;
    wl += 9;
  }
  kv_batch_t *b = kv_batch_new(d->st->kv);
  kv_batch_put(b, KV_INDEX, k, sizeof k, w, wl);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
}

/* One merge per level at a time: while a long merge of level-1 segments
** runs, level-0 segments are merged beside it (the list stays short);
** readers and verify are right all along. */
static void test_fts_merges_per_level(void) {
  rm_tree(dir);
  merge_work = 1;
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  char id[REMDB_ID_LEN + 1], msg[256];
  for (int i = 0; i < FTS_SEG_MAX_TEST; i++) {
    char body[128]; /* many terms: a merge of many steps */
    snprintf(body, sizeof body, "alpha a%d b%d c%d d%d e%d f%d", i, i, i, i, i,
             i);
    insert_doc(d, body, id);
  }
  uint8_t lv[FTS_SEG_MAX_TEST];
  memset(lv, 1, sizeof lv);
  rewrite_w(d, lv, FTS_SEG_MAX_TEST, SIZE_MAX, 0); /* (as if merged) */
  int most = 0, k = 0, l0_done = 0, maxseg = 0;
  for (; k < 200 && (k == 0 || merge_open(d, "docs")); k++) {
    char body[64];
    snprintf(body, sizeof body, "beta z%d", k);
    int before = merges_open(d, "docs");
    insert_doc(d, body, id);
    int now = merges_open(d, "docs");
    if (now > most) most = now;
    if (before == 2 && now == 1) l0_done++;
    if ((int)seg_count(d) > maxseg) maxseg = (int)seg_count(d);
    CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg),
              FTS_SEG_MAX_TEST);
    CHECK_INT(search_count(d, "docs", "beta", msg, sizeof msg), k + 1);
    if (k % 4 == 0) check_clean(d);
  }
  CHECK_INT(most, 2);
  CHECK(l0_done >= 1);
  CHECK(!merge_open(d, "docs"));
  printf("test_fts_core: merges beside a long one: %d ended, %d commits, "
         "at most %d segments\n", l0_done, k, maxseg);
  /* (one merge at a time: the long one's inputs and a segment per commit) */
  CHECK(3 * maxseg < 3 * FTS_SEG_MAX_TEST + 2 * k);
  check_clean(d);
  remdb_close(d);
  merge_work = 0;
}

/* verify's problems, with one that holds want (NULL: any) */
typedef struct vseen {
  const char *want;
  int n, hit;
} vseen;

static void seen_problem(void *c, const char *problem) {
  vseen *v = c;
  v->n++;
  if (v->want && strstr(problem, v->want)) v->hit++;
}

static void expect_problem(remdb *d, const char *want) {
  vseen v = {want, 0, 0};
  uint64_t problems = 0;
  CHECK_INT(remdb_verify(d, seen_problem, &v, &problems), REMDB_OK);
  CHECK(problems > 0);
  CHECK(v.hit > 0);
  if (!v.hit) fprintf(stderr, "verify did not say \"%s\"\n", want);
}

/* The key of kind and slot 0 (kv.h: a merge of level-0 segments) of
** table docs into k. */
static void docs_key(remdb *d, char kind, unsigned char *k) {
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  key_fts_slot(k, d->tid, ct->s->table_id, kind, 0);
}

/* verify checks a merge under way: its hidden output's postings against
** its inputs' (less the documents it drops), its dropped entries ('Y')
** against the dropped postings, its list of dropped documents ('R'). */
static void test_fts_verify_merge(void) {
  rm_tree(dir);
  merge_work = 1;
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  char id0[REMDB_ID_LEN + 1], id[REMDB_ID_LEN + 1];
  insert_doc(d, "alpha beta", id0);
  for (int i = 1; i < FTS_SEG_MAX_TEST - 1; i++)
    insert_doc(d, "alpha gamma", id);
  CHECK_INT(remdb_delete(d, id0, REMDB_HARD), REMDB_OK); /* (7: no merge) */
  insert_doc(d, "alpha gamma", id);
  CHECK(!merge_open(d, "docs"));
  insert_doc(d, "delta", id); /* a merge of the eight starts: "alpha" */
  CHECK(merge_open(d, "docs"));
  insert_doc(d, "delta", id); /* "beta" (its one posting dropped) */
  CHECK(merge_open(d, "docs"));
  check_clean(d);
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  /* a dropped entry that does not match */
  unsigned char k[KEY_FTS_SEG_MAX];
  size_t kl = key_fts_yterm(k, d->tid, tbl, 0, "beta", 4);
  buf_t op;
  buf_init(&op);
  fts_term_delta td = {1, 1, 0, UINT32_MAX};
  fts_term_delta_encode(&td, &op);
  kv_batch_t *b = kv_batch_new(d->st->kv);
  kv_batch_merge(b, KV_INDEX, k, kl, op.p, op.len);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
  expect_problem(d, "term \"beta\": its dropped entry counts 2 documents");
  buf_reset(&op);
  td = (fts_term_delta){-1, -1, 0, UINT32_MAX};
  fts_term_delta_encode(&td, &op);
  b = kv_batch_new(d->st->kv);
  kv_batch_merge(b, KV_INDEX, k, kl, op.p, op.len);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
  buf_free(&op);
  check_clean(d);
  /* a live document among those it drops */
  unsigned char rk[KEY_FTS_SLOT_LEN];
  docs_key(d, 'R', rk);
  kv_val v;
  CHECK_INT(kv_get(d->st->kv, NULL, KV_INDEX, rk, sizeof rk, &v, &d->err),
            REMDB_OK);
  CHECK_INT(v.len, 8);
  unsigned char r[16];
  memcpy(r, v.data, 8);
  kv_val_free(&v);
  put_u64be(r + 8, get_u64be(r) + 1); /* (a live one of the inputs) */
  b = kv_batch_new(d->st->kv);
  kv_batch_put(b, KV_INDEX, rk, sizeof rk, r, 16);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
  expect_problem(d, "is to be dropped by a merge, but is not dead");
  b = kv_batch_new(d->st->kv);
  kv_batch_put(b, KV_INDEX, rk, sizeof rk, r, 8);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
  check_clean(d);
  /* the hidden output loses a part */
  unsigned char qk[KEY_FTS_SLOT_LEN];
  docs_key(d, 'Q', qk);
  CHECK_INT(kv_get(d->st->kv, NULL, KV_INDEX, qk, sizeof qk, &v, &d->err),
            REMDB_OK);
  uint64_t out = get_u64be((const unsigned char *)v.data);
  kv_val_free(&v);
  kl = key_fts_seg(k, d->tid, tbl, out, "alpha", 5);
  b = kv_batch_new(d->st->kv);
  kv_batch_del(b, KV_INDEX, k, kl);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
  expect_problem(d, "term \"alpha\": the merge's output holds 0 postings");
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
  check_clean(d);
  remdb_close(d);
  merge_work = 0;
}

/* A merge state ('Q') whose inputs are not in the list (a build without
** incremental merges merged them meanwhile) is dropped by the next
** commit, its output retired, its 'Y' entries gone: writes go on. */
static void test_fts_stale_merge(void) {
  remdb *d = fresh_docs();
  for (int i = 0; i < 3; i++) fill_docs(d, 1);
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  unsigned char q[21 + 8 + 2], k[KEY_FTS_SEG_MAX];
  put_u64be(q, 1000000);     /* its output */
  put_u64be(q + 8, 0);       /* first document */
  q[16] = 1;                 /* level */
  put_u32be(q + 17, 1);      /* one input, */
  put_u64be(q + 21, 999999); /* not in the list */
  q[29] = 0;
  q[30] = 0;
  kv_batch_t *b = kv_batch_new(d->st->kv);
  key_fts_slot(k, d->tid, tbl, 'Q', 0);
  kv_batch_put(b, KV_INDEX, k, KEY_FTS_SLOT_LEN, q, sizeof q);
  size_t kl = key_fts_seg(k, d->tid, tbl, 1000000, "alpha", 5);
  kv_batch_put(b, KV_INDEX, k, kl, "x", 1);
  kl = key_fts_yterm(k, d->tid, tbl, 0, "alpha", 5);
  kv_batch_put(b, KV_INDEX, k, kl, "x", 1);
  CHECK_INT(kv_write(d->st->kv, b, 0, &d->err), REMDB_OK);
  kv_batch_free(b);
  CHECK(merge_open(d, "docs"));
  fill_docs(d, 1);
  CHECK(!merge_open(d, "docs"));
  CHECK(has_key(d, 'V'));
  CHECK_INT(seg_count(d), 4);
  check_clean(d);
  fill_docs(d, 1);
  CHECK(!has_key(d, 'V'));
  check_clean(d);
  char msg[256];
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 5);
  remdb_close(d);
}


/* A reader reads the segments in list order, seeking each for the term.
** A merge's output has the highest number, yet the segments after it in
** the list may be older (lower numbers: of lower levels, there before the
** merge): a term past every term of the output is in them.  Here: 64
** commits make eight segments of level 1, the 65th a level-0 one with
** "zzz", and a delete (no segment of its own) merges the eight. */
static void test_fts_seek_past_output(void) {
  remdb *d = fresh_docs();
  char id0[REMDB_ID_LEN + 1], id[REMDB_ID_LEN + 1], msg[256];
  for (int i = 0; i < 64; i++) insert_doc(d, "alpha", i ? id : id0);
  insert_doc(d, "zzz", id);
  CHECK_INT(remdb_delete(d, id0, REMDB_HARD), REMDB_OK);
  int l0 = -1, l1 = -1;
  CHECK_INT(seg_count(d), 2);
  seg_level(d, 0, &l0);
  seg_level(d, 1, &l1);
  CHECK_INT(l0, 2);
  CHECK_INT(l1, 0);
  CHECK_INT(search_count(d, "docs", "zzz", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 63);
  check_clean(d);
  remdb_close(d);
}

/* A merge drops the postings (and tombstones) of the documents dead in its
** inputs only: those below the first document of the next segment that
** holds one.  An empty segment (a merge of dead documents only leaves one)
** right after the inputs must not end that range: the tombstones of the
** documents of the segments after it stay, and those stay dead (commit
** 55f63ab; the list is arranged by hand: eight segments of level 2, an
** empty one of level 1, three of level 0 with two dead documents). */
static void test_fts_merge_bound_empty(void) {
  remdb *d = fresh_docs();
  char id[REMDB_ID_LEN + 1], zid[3][REMDB_ID_LEN + 1], msg[256];
  for (int i = 0; i < FTS_SEG_MAX_TEST; i++) {
    char body[64];
    snprintf(body, sizeof body, "alpha x%d", i);
    insert_doc(d, body, id);
  }
  uint8_t lv[12];
  memset(lv, 255, sizeof lv); /* parked: no merge takes them (yet) */
  rewrite_w(d, lv, FTS_SEG_MAX_TEST, SIZE_MAX, 0);
  for (int i = 0; i < 3; i++) insert_doc(d, "zeta", zid[i]);
  CHECK_INT(remdb_delete(d, zid[0], REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_delete(d, zid[1], 0), REMDB_OK);
  CHECK_INT(dead_count(d), 2);
  CHECK(!merge_open(d, "docs"));
  CHECK_INT(seg_count(d), FTS_SEG_MAX_TEST + 3);
  CHECK_INT(search_count(d, "docs", "zeta", msg, sizeof msg), 1);
  memset(lv, 2, FTS_SEG_MAX_TEST);
  memset(lv + FTS_SEG_MAX_TEST, 0, 3);
  rewrite_w(d, lv, FTS_SEG_MAX_TEST + 3, FTS_SEG_MAX_TEST - 1, 1);
  check_clean(d);
  CHECK_INT(search_count(d, "docs", "zeta", msg, sizeof msg), 1);
  insert_doc(d, "omega", id); /* merges the eight (in this commit) */
  CHECK(!merge_open(d, "docs"));
  CHECK_INT(seg_count(d), 1 + 1 + 3 + 1);
  CHECK_INT(dead_count(d), 2);
  CHECK_INT(search_count(d, "docs", "zeta", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg),
            FTS_SEG_MAX_TEST);
  check_clean(d);
  remdb_close(d);
}

/* Tombstones pile up in a segment no tier merge takes: when they are an
** eighth of the segments' numbers (and 256 or more), a commit merges every
** segment, which drops them. */
static void purge_case(size_t work);
#define FTS_SEG_LIST_TEST 160 /* core/fts.c FTS_SEG_LIST */
static void test_fts_purge(void) {
  purge_case(4u << 20); /* (the default) */
  purge_case(0);        /* no bound */
  purge_case(64); /* the purge spread over commits */
  purge_case(1);  /* so long that the list fills: its last step unbounded */
}

static void purge_case(size_t work) {
  merge_work = work ? work : SIZE_MAX;
  remdb *d = fresh_docs();
  static char ids[300][REMDB_ID_LEN + 1];
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"alpha w%d\"}",
             i, i % 7);
    CHECK_INT(remdb_batch_insert(b, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(seg_count(d), 1);
  for (int i = 0; i < 255; i++)
    CHECK_INT(remdb_delete(d, ids[i], i % 2 ? REMDB_HARD : 0), REMDB_OK);
  CHECK_INT(dead_count(d), 255);
  char msg[256];
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 45);
  check_clean(d);
  /* the 256th: its commit merges (drops the 255 stored ones) */
  CHECK_INT(remdb_delete(d, ids[255], 0), REMDB_OK);
  int k = 0; /* commits while it runs: a step each */
  for (; merge_open(d, "docs"); k++) {
    CHECK_INT(dead_count(d), 256);
    CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 44);
    if (k % 8 == 0) check_clean(d);
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"new %d\",\"body\":\"gamma\"}", k);
    char id[REMDB_ID_LEN + 1];
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), id), REMDB_OK);
  }
  CHECK(work && work < 1024 ? k > 2 : k == 0);
  if (work == 1) CHECK(k + 8 >= FTS_SEG_LIST_TEST); /* (ended by the valve) */
  printf("test_fts_core: a purge with %zu-byte steps took %d commits\n", work,
         k + 1);
  CHECK_INT(dead_count(d), 1); /* its own */
  CHECK_INT(seg_count(d), 1 + (uint64_t)k);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 44);
  CHECK_INT(search_count(d, "docs", "gamma", msg, sizeof msg), k < 64 ? k : 64);
  CHECK_INT(search_count(d, "docs", "w3", msg, sizeof msg), 6);
  check_clean(d);
  remdb_close(d);
  merge_work = 0;
}

/* One batch writes new documents of two full-text tables, more distinct
** terms than the writer's first term map holds (each table has its own),
** and changes one of its new documents again: each table reads its own
** terms, and the index verifies. */
static void test_fts_two_tables(void) {
  remdb *d = fresh_docs();
  const char *s2 = "{\"name\":\"more\",\"properties\":{\"body\":{"
                   "\"type\":\"string\"}},\"fulltext\":{\"fields\":["
                   "\"body\"]}}";
  CHECK_INT(remdb_schema_put(d, s2, strlen(s2)), REMDB_OK);
  static char ids[600][REMDB_ID_LEN + 1];
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 600; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"body\":\"alpha u%d w%d\"}", i, i % 50);
    CHECK_INT(remdb_batch_insert(b, i % 2 ? "more" : "docs", js, strlen(js),
                                 ids[i]),
              REMDB_OK);
  }
  const char *up = "{\"body\":\"beta u4\"}"; /* doc 4: no alpha, no w4 */
  CHECK_INT(remdb_batch_update(b, ids[4], up, strlen(up)), REMDB_OK);
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  char msg[256];
  CHECK_INT(search_count(d, "docs", "w4", msg, sizeof msg), 11);
  CHECK_INT(search_count(d, "more", "w4", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "more", "w5", msg, sizeof msg), 12);
  CHECK_INT(search_count(d, "docs", "w5", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "u4 beta", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "u598", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "more", "u599", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "more", "u598", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "beta", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "more", "beta", msg, sizeof msg), 0);
  check_clean(d);
  remdb_close(d);
}

/* One batch committed many times (its transaction's arrays and per-table
** maps are kept from commit to commit): commits that touch one table, the
** other, both, or change documents of earlier commits all index right. */
static void test_fts_batch_reuse(void) {
  rm_tree(dir);
  remdb *d;
  CHECK_INT(remdb_open(dir, "t", NULL, &d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  const char *s2 = "{\"name\":\"more\",\"properties\":{\"body\":{"
                   "\"type\":\"string\"}},\"fulltext\":{\"fields\":["
                   "\"body\"]}}";
  CHECK_INT(remdb_schema_put(d, s2, strlen(s2)), REMDB_OK);
  static char ids[12][40][REMDB_ID_LEN + 1];
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int c = 0; c < 12; c++) {
    for (int i = 0; i < 40; i++) {
      /* commit c % 3: 0 docs only, 1 more only, 2 both (alternating) */
      const char *tb = c % 3 == 0   ? "docs"
                       : c % 3 == 1 ? "more"
                       : i % 2      ? "more"
                                    : "docs";
      char js[160];
      snprintf(js, sizeof js, "{\"body\":\"k%d w%d c%d\"}", c, i % 7, c);
      CHECK_INT(remdb_batch_insert(b, tb, js, strlen(js), ids[c][i]),
                REMDB_OK);
    }
    if (c > 0 && c != 6) { /* change a document of the previous commit */
      const char *up = "{\"body\":\"changed\"}";
      CHECK_INT(remdb_batch_update(b, ids[c - 1][0], up, strlen(up)),
                REMDB_OK);
      CHECK_INT(remdb_batch_delete(b, ids[c - 1][1], REMDB_HARD), REMDB_OK);
    }
    if (c == 5) { /* a batch dropped in between */
      remdb_batch_free(b);
      CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
      continue;
    }
    CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
    CHECK(remdb_batch_bytes(b) < 64); /* nothing staged: room kept only */
  }
  remdb_batch_free(b);
  char msg[256];
  for (int c = 0; c < 12; c++) {
    char q[16];
    snprintf(q, sizeof q, "k%d", c);
    /* commit 5 was dropped (with its change of 4's); each other commit
    ** changed the previous one's documents 0 (docs) and 1 (more) */
    long want = c == 5 ? 0 : c == 4 || c == 11 ? 40 : 38;
    long wd = c % 3 == 0 ? want : c % 3 == 1 ? 0 : want / 2;
    long wm = c % 3 == 0 ? 0 : c % 3 == 1 ? want : want / 2;
    CHECK_INT(search_count(d, "docs", q, msg, sizeof msg), wd);
    CHECK_INT(search_count(d, "more", q, msg, sizeof msg), wm);
  }
  /* "changed": commits 1..4 and 7..11 changed one document each */
  CHECK_INT(search_count(d, "docs", "changed", msg, sizeof msg) +
                search_count(d, "more", "changed", msg, sizeof msg),
            9);
  check_clean(d);
  remdb_close(d);
}

/* One commit of many terms, some alike in their first 8 bytes or more and
** some a prefix of others (the commit sorts its term keys by their first
** 8 bytes, then the ties): every term is found, with its count. */
static void test_fts_term_order(void) {
  rm_tree(dir);
  remdb *d;
  CHECK_INT(remdb_open(dir, "t", NULL, &d), REMDB_OK);
  CHECK_INT(add_schema(d,
                       "{\"fields\":[\"title\",\"body\"],\"language\":"
                       "\"none\",\"stemmer\":false}",
                       NULL),
            REMDB_OK);
  static const char *const stem[] = {"interoperability", "interop",
                                     "interoperable", "inter", "zzzzzzzz",
                                     "zzzzzzzzz", "a", "ab"};
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 200; i++) {
    char js[256];
    /* stem i % 8 with suffix i % 25: 200 distinct terms (the stems differ
    ** in length), and one that ends in a digit (never asked for) */
    snprintf(js, sizeof js, "{\"title\":\"t\",\"body\":\"%s%c %s%c9\"}",
             stem[i % 8], 'a' + i % 25, stem[(i + 3) % 8], 'a' + i % 25);
    CHECK_INT(remdb_batch_insert(b, "docs", js, strlen(js), NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  char msg[256];
  for (int i = 0; i < 200; i++) {
    char q[64];
    snprintf(q, sizeof q, "%s%c", stem[i % 8], 'a' + i % 25);
    /* (stem s, suffix c) holds i = s (mod 8) and c (mod 25): one i < 200 */
    CHECK_INT(search_count(d, "docs", q, msg, sizeof msg), 1);
  }
  check_clean(d);
  remdb_close(d);
}

/* A database of format 3 (blocks only, no segments) opens as it is: read
** only, then writable (marked 4); its index reads, verifies, and takes new
** segments. */
static void test_fts_format3(void) {
  remdb *d = fresh_docs();
  fill_docs(d, 20);
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK); /* all in blocks */
  CHECK_INT(seg_count(d), 0);
  remdb_close(d);
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  unsigned char fk[10] = {0, 0, 0, 0, 'f', 'o', 'r', 'm', 'a', 't'}, v3[4];
  put_u32be(v3, 3);
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  kv_batch_t *kb = kv_batch_new(kv);
  kv_batch_put(kb, KV_META, fk, sizeof fk, v3, 4);
  /* format 3 maps numbers to ids with a 'D' key per document, not 'E' */
  kv_iter_t *it;
  CHECK_INT(kv_iter_new(kv, NULL, KV_INDEX, NULL, 0, NULL, 0, &it, &e),
            REMDB_OK);
  int nd = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl != KEY_FTS_LEN_LEN || get_u32be((const unsigned char *)k + 4) !=
                                     KEY_FTS_TBL || k[12] != 'E')
      continue;
    uint64_t base = (uint64_t)get_u32be((const unsigned char *)k + 13) * 128;
    for (size_t i = 0; i + 17 <= vl; i += 17) {
      unsigned char dk[KEY_FTS_DOC_LEN];
      key_fts_doc(dk, get_u32be((const unsigned char *)k),
                  get_u32be((const unsigned char *)k + 8),
                  base + (unsigned char)v[i]);
      kv_batch_put(kb, KV_INDEX, dk, sizeof dk, v + i + 1, 16);
      nd++;
    }
    kv_batch_del(kb, KV_INDEX, k, kl);
  }
  kv_iter_free(it);
  CHECK_INT(nd, 20);
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);
  char msg[256];
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_OK);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 20);
  remdb_close(d);
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(d->st->format, KV_FORMAT_VERSION);
  check_clean(d);
  fill_docs(d, 2);
  CHECK_INT(seg_count(d), 2);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 22);
  check_clean(d);
  /* its documents (in the blocks) change there: an update, a hard delete */
  char ids[2][REMDB_ID_LEN + 1];
  remdb_stmt *st = NULL;
  const char *q = "SELECT id FROM docs WHERE n < 2 ORDER BY n";
  CHECK_INT(remdb_prepare(d, q, strlen(q), &st, NULL), REMDB_OK);
  for (int i = 0; i < 2; i++) {
    CHECK_INT(remdb_step(st), REMDB_ROW);
    snprintf(ids[i], sizeof ids[i], "%s", remdb_column_text(st, 0, NULL));
  }
  remdb_finalize(st);
  const char *patch = "{\"body\":\"gamma\"}";
  CHECK_INT(remdb_update(d, ids[0], patch, strlen(patch)), REMDB_OK);
  CHECK_INT(remdb_delete(d, ids[1], REMDB_HARD), REMDB_OK);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 20);
  CHECK_INT(search_count(d, "docs", "gamma", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "\"doc 0\"", msg, sizeof msg), 1);
  check_clean(d);
  remdb_close(d);
}

/* Set the stored format version of the (closed) database to ver; the
** stored one into *was when was is not NULL. */
static void set_format(uint32_t ver, uint32_t *was) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  unsigned char fk[10] = {0, 0, 0, 0, 'f', 'o', 'r', 'm', 'a', 't'}, v[4];
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  if (was) {
    kv_val old;
    CHECK_INT(kv_get(kv, NULL, KV_META, fk, sizeof fk, &old, &e), REMDB_OK);
    *was = old.len == 4 ? get_u32be((const unsigned char *)old.data) : 0;
    kv_val_free(&old);
  }
  put_u32be(v, ver);
  kv_batch_t *kb = kv_batch_new(kv);
  kv_batch_put(kb, KV_META, fk, sizeof fk, v, 4);
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);
}

/* Format 5 (merges spread over commits: 'Q', 'R', 'V', 'Y' keys, which a
** build of format 4 would neither read nor delete): a database this build
** writes says 5, so that a build of 4 refuses it (as this one refuses 6);
** a format-4 database (no such keys) opens as it is, read only, and a
** writable open marks it 5 and merges on, incrementally. */
static void test_fts_format4(void) {
  rm_tree(dir);
  merge_work = 1;
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  for (int i = 0; i < FTS_SEG_MAX_TEST; i++) fill_docs(d, 1);
  CHECK(!merge_open(d, "docs"));
  remdb_close(d);
  uint32_t was = 0;
  set_format(4, &was);
  CHECK_INT(was, KV_FORMAT_VERSION);
  CHECK(KV_FORMAT_VERSION >= 5);
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  char msg[256];
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_OK);
  CHECK_INT(d->st->format, 4);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg),
            FTS_SEG_MAX_TEST);
  remdb_close(d);
  set_format(4, &was); /* (the reader left it as it was) */
  CHECK_INT(was, 4);
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(d->st->format, KV_FORMAT_VERSION);
  check_clean(d);
  fill_docs(d, 1); /* eight segments: a merge starts, one term done */
  CHECK(merge_open(d, "docs"));
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg),
            FTS_SEG_MAX_TEST + 1);
  check_clean(d);
  remdb_close(d);
  /* a build that knows format 5 only (here: one told of a 6) refuses it */
  set_format(KV_FORMAT_VERSION + 1, &was);
  CHECK_INT(was, KV_FORMAT_VERSION);
  d = NULL;
  CHECK_INT(open_t(&d), REMDB_CORRUPT);
  char want[64];
  snprintf(want, sizeof want, "format version %u is not supported",
           KV_FORMAT_VERSION + 1);
  CHECK_HAS(remdb_errmsg(d), want);
  remdb_close(d);
  o.read_only = 1;
  d = NULL;
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_CORRUPT);
  remdb_close(d);
  set_format(KV_FORMAT_VERSION, NULL);
  CHECK_INT(open_t(&d), REMDB_OK);
  int n = FTS_SEG_MAX_TEST + 1;
  for (; n < 200 && merge_open(d, "docs"); n++) fill_docs(d, 1);
  CHECK(!merge_open(d, "docs"));
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), n);
  check_clean(d);
  remdb_close(d);
  merge_work = 0;
}

/* A database written before the index existed: its format is 1 and its
** tables have no built index.  Readers say so; a writable open marks the
** format current; writes leave the unbuilt index alone; reindex builds it. */
static void test_fts_upgrade(void) {
  remdb *d = fresh_docs();
  fill_docs(d, 50);
  remdb_close(d);
  /* as the previous build left it: no index mark, format 1 */
  CHECK_INT(damage_delete_first(dir, KV_INDEX, pick_built), 1);
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  unsigned char fk[10] = {0, 0, 0, 0, 'f', 'o', 'r', 'm', 'a', 't'}, one[4];
  put_u32be(one, 1);
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  kv_batch_t *kb = kv_batch_new(kv);
  kv_batch_put(kb, KV_META, fk, sizeof fk, one, 4);
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);
  /* a reader: opens, and says the index is not built */
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_OK);
  char msg[512] = "";
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), -1);
  CHECK_HAS(msg, "full-text index is not built");
  CHECK_HAS(msg, "remdb reindex docs");
  remdb_close(d);
  /* a writer: the format becomes 2; writes go on without the index */
  CHECK_INT(open_t(&d), REMDB_OK);
  fill_docs(d, 10);
  uint64_t problems = 0;
  int seen = 0;
  CHECK_INT(remdb_verify(d, count_problems, &seen, &problems), REMDB_OK);
  CHECK_INT(problems, 1); /* "not built" */
  CHECK_INT(remdb_reindex(d, NULL), REMDB_OK);
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 60);
  /* and stays exact afterwards */
  fill_docs(d, 4);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 64);
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(d);
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  kv_val v;
  CHECK_INT(kv_get(kv, NULL, KV_META, fk, sizeof fk, &v, &e), REMDB_OK);
  CHECK(v.len == 4 && get_u32be((const unsigned char *)v.data) == KV_FORMAT_VERSION);
  kv_val_free(&v);
  kv_close(kv);
}

/* A journaled batch (import) committed in parts and then abandoned is
** rolled back through the write path: the index is as before it. */
static void test_fts_journal(void) {
  remdb *d = fresh_docs();
  fill_docs(d, 40);
  char msg[256] = "", id[REMDB_ID_LEN + 1];
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 40);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin_ex(d, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  for (int part = 0; part < 3; part++) {
    for (int i = 0; i < 30; i++) {
      char js[128];
      snprintf(js, sizeof js, "{\"title\":\"gamma %d\",\"body\":\"zeta\"}",
               i);
      CHECK_INT(remdb_batch_insert(b, "docs", js, strlen(js), id), REMDB_OK);
    }
    CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  }
  CHECK_INT(search_count(d, "docs", "zeta", msg, sizeof msg), 64); /* seen */
  remdb_batch_free(b); /* abandoned: rolled back */
  CHECK_INT(search_count(d, "docs", "zeta", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "gamma", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 40);
  uint64_t problems = 9;
  CHECK_INT(remdb_verify(d, note, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(d);
}



/* A change whose staging fails after it killed its document in a segment
** (here: the document numbers are used up, so its new version gets none)
** leaves nothing of it: the batch's other changes commit, or none, but
** never the kill without the change (the document live, its length slot
** unset: search lost it; the segment state counting a tombstone the
** batch never wrote). */
static void test_fts_failed_kill(void) {
  rm_tree(dir);
  remdb *d;
  char msg[256], ids[4][REMDB_ID_LEN + 1];
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"body\"]}", NULL), REMDB_OK);
  for (int i = 0; i < 4; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"x\",\"body\":\"alpha w%d\"}", i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  /* the counter at its end */
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  unsigned char k[KEY_FTS_PREFIX], v[8];
  key_fts(k, d->tid, ct->s->table_id, 'N');
  put_u64be(v, 1ull << 39);
  kv_batch_t *kb = kv_batch_new(d->st->kv);
  kv_batch_put(kb, KV_INDEX, k, sizeof k, v, 8);
  err_t e;
  CHECK_INT(kv_write(d->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  remdb_close(d);
  CHECK_INT(open_t(&d), REMDB_OK);
  const char *p = "{\"body\":\"beta\"}";
  CHECK_INT(remdb_update(d, ids[0], p, strlen(p)), REMDB_TOOBIG);
  CHECK_INT(search_count(d, "docs", "w0", msg, sizeof msg), 1);
  check_clean(d);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  CHECK_INT(remdb_batch_update(b, ids[1], p, strlen(p)), REMDB_TOOBIG);
  CHECK_INT(remdb_batch_delete(b, ids[2], REMDB_HARD), REMDB_OK);
  /* the batch is refused whole (its failed change was half staged) */
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(d), "half staged");
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "w2", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 4);
  check_clean(d);
  /* and a batch after it commits */
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  CHECK_INT(remdb_batch_delete(b, ids[2], REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 3);
  check_clean(d);
  remdb_close(d);
  /* analysed beside the writer (a batch's second change on), the failure
  ** comes back from a later change or from the commit: nothing written */
  remdb_options o;
  remdb_options_init(&o);
  o.exec_threads = 2;
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_OK);
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  CHECK_INT(remdb_batch_delete(b, ids[0], 0), REMDB_OK);
  CHECK_INT(remdb_batch_update(b, ids[1], p, strlen(p)), REMDB_OK);
  int rc = remdb_batch_update(b, ids[3], p, strlen(p));
  CHECK(rc == REMDB_OK || rc == REMDB_TOOBIG);
  rc = remdb_batch_commit(b, 0);
  CHECK(rc == REMDB_TOOBIG || rc == REMDB_ERROR);
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 3);
  CHECK_INT(search_count(d, "docs", "w1", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "beta", msg, sizeof msg), 0);
  check_clean(d);
  remdb_close(d);
}

/* ---- review cases ------------------------------------------------------------ */

/* Changes of documents numbered by the same batch (insert then update, soft
** delete then undelete, hard delete then insert of the same id), a batch
** dropped without commit, and a batch with a failing change. */
static void ins_id(remdb_batch *b, const char *id, const char *body,
                   char *out) {
  char js[256];
  if (id)
    snprintf(js, sizeof js, "{\"id\":\"%s\",\"title\":\"t\",\"body\":\"%s\"}",
             id, body);
  else
    snprintf(js, sizeof js, "{\"title\":\"t\",\"body\":\"%s\"}", body);
  CHECK_INT(remdb_batch_insert(b, "docs", js, strlen(js), out), REMDB_OK);
}

static void test_fts_same_batch(void) {
  rm_tree(dir);
  remdb *d;
  char msg[256], a[REMDB_ID_LEN + 1], bb[REMDB_ID_LEN + 1],
      c[REMDB_ID_LEN + 1], e[REMDB_ID_LEN + 1], x[REMDB_ID_LEN + 1];
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"body\"]}", NULL), REMDB_OK);
  fill_docs(d, 20);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  ins_id(b, NULL, "one red", a);
  ins_id(b, NULL, "two red", bb);
  ins_id(b, NULL, "three red", c);
  const char *pa = "{\"body\":\"one blue\"}";
  CHECK_INT(remdb_batch_update(b, a, pa, strlen(pa)), REMDB_OK);
  CHECK_INT(remdb_batch_delete(b, bb, 0), REMDB_OK);
  ins_id(b, bb, "two green", x);
  CHECK_INT(remdb_batch_delete(b, c, REMDB_HARD), REMDB_OK);
  ins_id(b, c, "three green", x);
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "red", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "blue", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "green", msg, sizeof msg), 2);
  check_clean(d);
  /* the same on stored documents, in one batch */
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  CHECK_INT(remdb_batch_update(b, a, pa, strlen(pa)), REMDB_OK);
  const char *pr = "{\"body\":\"one red\"}";
  CHECK_INT(remdb_batch_update(b, a, pr, strlen(pr)), REMDB_OK);
  CHECK_INT(remdb_batch_delete(b, bb, 0), REMDB_OK);
  ins_id(b, bb, "two red", x);
  CHECK_INT(remdb_batch_delete(b, c, REMDB_HARD), REMDB_OK);
  ins_id(b, c, "three red", x);
  CHECK_INT(remdb_batch_delete(b, c, 0), REMDB_OK);
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "red", msg, sizeof msg), 2);
  CHECK_INT(search_count(d, "docs", "green", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "blue", msg, sizeof msg), 0);
  check_clean(d);
  /* a batch dropped without commit, one with a failing change */
  for (int round = 0; round < 2; round++) {
    CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
    ins_id(b, NULL, "purple", e);
    CHECK_INT(remdb_batch_update(b, a, pa, strlen(pa)), REMDB_OK);
    CHECK_INT(remdb_batch_delete(b, bb, REMDB_HARD), REMDB_OK);
    CHECK_INT(remdb_batch_delete(b, c, REMDB_HARD), REMDB_OK);
    if (round == 0) {
      remdb_batch_free(b);
    } else {
      const char *bad = "{\"title\":5}";
      CHECK(remdb_batch_insert(b, "docs", bad, strlen(bad), x) != REMDB_OK);
      CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
      remdb_batch_free(b);
    }
    CHECK_INT(search_count(d, "docs", "purple", msg, sizeof msg), round);
    CHECK_INT(search_count(d, "docs", "blue", msg, sizeof msg), round);
    CHECK_INT(search_count(d, "docs", "red", msg, sizeof msg),
              round ? 0 : 2);
    check_clean(d);
  }
  for (int i = 0; i < 20; i++) fill_docs(d, 1); /* merges */
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 40);
  CHECK_INT(search_count(d, "docs", "purple", msg, sizeof msg), 1);
  check_clean(d);
  /* the same on documents in blocks (after reindex), across commits */
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
  CHECK_INT(remdb_delete(d, e, REMDB_HARD), REMDB_OK);
  CHECK_INT(search_count(d, "docs", "purple", msg, sizeof msg), 0);
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  ins_id(b, e, "purple again", x);
  CHECK_INT(remdb_batch_delete(b, a, 0), REMDB_OK);
  ins_id(b, a, "one orange", x);
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "purple", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "orange", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "blue", msg, sizeof msg), 0);
  check_clean(d);
  CHECK_INT(remdb_delete(d, e, REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  ins_id(b, e, "purple thrice", x);
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(search_count(d, "docs", "thrice", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 40);
  check_clean(d);
  remdb_close(d);
}

/* Batches that change documents in blocks (after reindex) in descending
** numbers: a term's posting goes to a range below the highest one the
** batch gave the term (its pending block found by term and range, among
** hundreds), with soft and hard deletes and a new document among them;
** the batch committed twice.  verify checks postings and term statistics
** against the records. */
static void test_fts_older_ranges(void) {
  remdb *d = fresh_docs();
  static char ids[600][REMDB_ID_LEN + 1];
  char msg[256], x[REMDB_ID_LEN + 1];
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 600; i++) {
    char js[160];
    snprintf(js, sizeof js,
             "{\"title\":\"doc %d\",\"body\":\"alpha k%d w%d\"}", i,
             i % 300, i % 7);
    CHECK_INT(remdb_batch_insert(b, "docs", js, strlen(js), ids[i]),
              REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK); /* five ranges of blocks */
  for (int round = 0; round < 2; round++) {
    for (int i = 599 - round; i >= 0; i -= 3) {
      char js[160];
      snprintf(js, sizeof js, "{\"body\":\"alpha g%d k%d\"}", round,
               i % 300);
      CHECK_INT(remdb_batch_update(b, ids[i], js, strlen(js)), REMDB_OK);
    }
    CHECK_INT(remdb_batch_delete(b, ids[round ? 4 : 2], 0), REMDB_OK);
    CHECK_INT(remdb_batch_delete(b, ids[round ? 0 : 300], REMDB_HARD),
              REMDB_OK);
    ins_id(b, NULL, round ? "g1 new" : "g0 new", x);
    CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
    check_clean(d);
  }
  remdb_batch_free(b);
  /* k8: documents 8 and 308, both updated in round 0 */
  CHECK_INT(search_count(d, "docs", "k8 g0", msg, sizeof msg), 2);
  /* k7: 7 and 307, both updated in round 1; k9: 9 and 309, not updated */
  CHECK_INT(search_count(d, "docs", "k7 g1", msg, sizeof msg), 2);
  CHECK_INT(search_count(d, "docs", "k7 w0", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "k9", msg, sizeof msg), 2);
  CHECK_INT(search_count(d, "docs", "k9 w2", msg, sizeof msg), 1);
  /* k0: 0 (hard-deleted) and 300 (hard-deleted) */
  CHECK_INT(search_count(d, "docs", "k0", msg, sizeof msg), 0);
  CHECK_INT(search_count(d, "docs", "new", msg, sizeof msg), 2);
  remdb_close(d);
}

/* Terms the writer's term map cannot tell apart by its slot alone: two
** pairs of 12-byte terms with the same first 8 bytes, the same length and
** the same top 24 bits and low 12 bits of fts_term_hash (the slot's tag,
** and the same first slot in a map of up to 4096: found by search), in
** one batch of new documents and in a batch that updates them in
** descending order after reindex (older ranges); each keeps its own
** postings and statistics (verify compares them with the records).  (If
** the hash changes the pairs no longer collide; the test still holds.) */
static void test_fts_term_collide(void) {
  static const char *tm[4] = {"abcdefghcnpm", "abcdefghckxc", "abcdefghngqv",
                              "abcdefghnvbh"};
  static const int mod[4] = {5, 7, 6, 11};
  CHECK((fts_term_hash(tm[0], 12) >> 40) == (fts_term_hash(tm[1], 12) >> 40));
  remdb *d = fresh_docs();
  static char ids[260][REMDB_ID_LEN + 1];
  char msg[256];
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 260; i++) {
    char js[200];
    int n = snprintf(js, sizeof js, "{\"title\":\"doc %d\",\"body\":\"x", i);
    for (int k = 0; k < 4; k++)
      if (i % mod[k] == 0)
        n += snprintf(js + n, sizeof js - (size_t)n, " %s", tm[k]);
    snprintf(js + n, sizeof js - (size_t)n, "\"}");
    CHECK_INT(remdb_batch_insert(b, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  check_clean(d);
  CHECK_INT(search_count(d, "docs", tm[0], msg, sizeof msg), 52);
  CHECK_INT(search_count(d, "docs", tm[1], msg, sizeof msg), 38);
  CHECK_INT(search_count(d, "docs", tm[2], msg, sizeof msg), 44);
  CHECK_INT(search_count(d, "docs", tm[3], msg, sizeof msg), 24);
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
  /* documents 250, 240, .. 0: tm[1] and tm[3] only */
  for (int i = 250; i >= 0; i -= 10) {
    char js[160];
    snprintf(js, sizeof js, "{\"body\":\"y %s %s\"}", tm[1], tm[3]);
    CHECK_INT(remdb_batch_update(b, ids[i], js, strlen(js)), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  check_clean(d);
  CHECK_INT(search_count(d, "docs", tm[0], msg, sizeof msg), 26);
  CHECK_INT(search_count(d, "docs", tm[1], msg, sizeof msg), 60);
  /* tm[2]: 44 less the 9 multiples of 30; tm[3]: 24 and the 26 tens but
  ** 0, 110, 220 */
  CHECK_INT(search_count(d, "docs", tm[2], msg, sizeof msg), 35);
  CHECK_INT(search_count(d, "docs", tm[3], msg, sizeof msg), 47);
  remdb_close(d);
}

static long search_count_at(remdb *d, snap_t *sn, const char *q) {
  cat_table *ct;
  fts_reader *r;
  if (cat_find(d, "docs", &ct) || ftsr_open(d, sn, ct->s, &r)) return -1;
  char err[256];
  fts_query *x = fts_query_parse(q, strlen(q), ftsr_analyzer(r), err,
                                 sizeof err);
  long n = -3;
  fts_eval *e = x ? fts_eval_open(x, ftsr_source(r), NULL, NULL, err,
                                  sizeof err)
                  : NULL;
  fts_hit h[256];
  size_t nh = 0;
  if (e && fts_eval_topk(e, 256, NULL, NULL, h, &nh, err, sizeof err) == 0)
    n = (long)nh;
  fts_eval_free(e);
  fts_query_free(x);
  ftsr_close(r);
  return n;
}

/* A reader's snapshot keeps its segments, tombstones and ids through later
** commits that kill, merge and purge; full text turned off and on again. */
static void test_fts_snapshot(void) {
  rm_tree(dir);
  remdb *d;
  char msg[256], ids[64][REMDB_ID_LEN + 1];
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"body\"]}", NULL), REMDB_OK);
  for (int i = 0; i < 12; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"x\",\"body\":\"alpha w%d\"}", i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  snap_t *sn;
  CHECK_INT(snap_take(d, &sn), REMDB_OK);
  for (int i = 0; i < 6; i++) {
    const char *p = "{\"body\":\"beta\"}";
    CHECK_INT(remdb_update(d, ids[i], p, strlen(p)), REMDB_OK);
  }
  CHECK_INT(remdb_delete(d, ids[6], REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_delete(d, ids[7], 0), REMDB_OK);
  for (int i = 12; i < 40; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"title\":\"x\",\"body\":\"alpha w%d\"}", i);
    CHECK_INT(remdb_insert(d, "docs", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(search_count_at(d, sn, "alpha"), 12);
  CHECK_INT(search_count_at(d, sn, "beta"), 0);
  CHECK_INT(search_count_at(d, sn, "w3"), 1);
  CHECK_INT(search_count_at(d, sn, "w6"), 1);
  snap_release(sn);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 32);
  CHECK_INT(search_count(d, "docs", "beta", msg, sizeof msg), 6);
  check_clean(d);
  /* full text off, changes, on again */
  CHECK_INT(add_schema(d, NULL, NULL), REMDB_OK);
  const char *p = "{\"body\":\"gamma\"}";
  CHECK_INT(remdb_update(d, ids[20], p, strlen(p)), REMDB_OK);
  CHECK_INT(remdb_delete(d, ids[21], REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_delete(d, ids[22], 0), REMDB_OK);
  check_clean(d);
  CHECK_INT(add_schema(d, "{\"fields\":[\"body\"]}", NULL), REMDB_OK);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 29);
  CHECK_INT(search_count(d, "docs", "gamma", msg, sizeof msg), 1);
  check_clean(d);
  for (int i = 0; i < 10; i++) fill_docs(d, 1);
  CHECK_INT(remdb_update(d, ids[23], p, strlen(p)), REMDB_OK);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 38);
  CHECK_INT(search_count(d, "docs", "gamma", msg, sizeof msg), 2);
  check_clean(d);
  /* a read-only handle on the store reads the writer's commits */
  remdb *d2;
  remdb_options ro;
  remdb_options_init(&ro);
  ro.read_only = 1;
  CHECK_INT(remdb_open(dir, "t", &ro, &d2), REMDB_OK);
  CHECK_INT(search_count(d2, "docs", "alpha", msg, sizeof msg), 38);
  for (int i = 0; i < 9; i++) {
    fill_docs(d, 1);
    CHECK_INT(remdb_update(d, ids[24 + i], p, strlen(p)), REMDB_OK);
  }
  CHECK_INT(search_count(d2, "docs", "alpha", msg, sizeof msg), 38);
  CHECK_INT(remdb_refresh(d2), REMDB_OK);
  CHECK_INT(search_count(d2, "docs", "alpha", msg, sizeof msg), 38);
  CHECK_INT(search_count(d2, "docs", "beta", msg, sizeof msg), 25);
  CHECK_INT(search_count(d2, "docs", "gamma", msg, sizeof msg), 11);
  check_clean(d2);
  /* and a second handle of the writer's (same storage) writes too */
  remdb *d3;
  CHECK_INT(remdb_open_tenant(d, "t", &d3), REMDB_OK);
  for (int i = 0; i < 9; i++) {
    fill_docs(i % 2 ? d : d3, 1);
    CHECK_INT(remdb_update(i % 2 ? d3 : d, ids[33 + i % 7], p, strlen(p)),
              REMDB_OK);
    const char *q = "{\"body\":\"alpha zebra\"}";
    CHECK_INT(remdb_update(i % 2 ? d : d3, ids[33 + i % 7], q, strlen(q)),
              REMDB_OK);
  }
  CHECK_INT(search_count(d3, "docs", "alpha", msg, sizeof msg), 47);
  CHECK_INT(search_count(d, "docs", "zebra", msg, sizeof msg), 7);
  check_clean(d3);
  remdb_close(d3);
  remdb_close(d2);
  remdb_close(d);
}

/* ---- analysis beside the writer ----------------------------------------------
** The same generated writes to databases analysing on 1 thread (the writer
** alone), 2 and 4 (workers beside it; 4 more than the box's cores): every
** full-text key (postings, segments, numbers, lengths, statistics) must be
** the same bytes.  Ids are given, so that the databases agree on them:
** batches insert, update (ids inserted earlier in the same batch too),
** soft- and hard-delete, undelete and insert again the same ids. */

#define TH_DBS 3
#define TH_IDS 600
static remdb *th_db[TH_DBS];
static int th_state[TH_IDS]; /* 0 never, 1 live, 2 soft-deleted, 3 gone */
static int th_ids;

static void th_id(int i, char out[REMDB_ID_LEN + 1]) {
  snprintf(out, REMDB_ID_LEN + 1, "%08x-0000-4000-8000-%012x",
           0x5eed0000u + (unsigned)i, (unsigned)i * 7919u);
}

static void th_all(remdb_batch **b, const char *what, const char *id,
                   const char *js) {
  for (int d = 0; d < TH_DBS; d++) {
    char out[REMDB_ID_LEN + 1];
    int rc;
    if (strcmp(what, "insert") == 0)
      rc = b ? remdb_batch_insert(b[d], "notes", js, strlen(js), out)
             : remdb_insert(th_db[d], "notes", js, strlen(js), out);
    else if (strcmp(what, "update") == 0)
      rc = b ? remdb_batch_update(b[d], id, js, strlen(js))
             : remdb_update(th_db[d], id, js, strlen(js));
    else
      rc = b ? remdb_batch_delete(b[d], id, js ? REMDB_HARD : 0)
             : remdb_delete(th_db[d], id, js ? REMDB_HARD : 0);
    CHECK_INT(rc, REMDB_OK);
    if (rc) fprintf(stderr, "%s %s: %s\n", what, id, remdb_errmsg(th_db[d]));
  }
}

static int th_pick(int state) {
  for (int tries = 0; th_ids && tries < 20; tries++) {
    int i = (int)rndn((uint32_t)th_ids);
    if (th_state[i] == state) return i;
  }
  return -1;
}

static void th_op(remdb_batch **b, bool journal) {
  char id[REMDB_ID_LEN + 1], js[1024];
  uint32_t k = journal ? 0 : rndn(12);
  int i = -1;
  if (k < 5) { /* insert: a new id, or one gone before */
    i = th_ids < TH_IDS && (rndn(4) || journal) ? th_ids++ : th_pick(3);
    if (i < 0 || (journal && th_state[i] != 0)) return;
    th_id(i, id);
    char *t = gen_text(6), *body = gen_text(30);
    snprintf(js, sizeof js, "{\"id\":\"%s\",\"title\":\"%s\",\"body\":\"%s\","
             "\"n\":%u}", id, t, body, rndn(20));
    free(t);
    free(body);
    th_all(b, "insert", id, js);
    th_state[i] = 1;
  } else if (k < 8) { /* an update: text, or not */
    if ((i = th_pick(1)) < 0) return;
    th_id(i, id);
    char *body = gen_text(20);
    if (rndn(4)) snprintf(js, sizeof js, "{\"body\":\"%s\"}", body);
    else snprintf(js, sizeof js, "{\"n\":%u}", rndn(20));
    free(body);
    th_all(b, "update", id, js);
  } else if (k < 10) { /* a soft or hard delete */
    bool hard = rndn(2);
    if ((i = th_pick(rndn(3) == 0 && hard ? 2 : 1)) < 0) return;
    th_id(i, id);
    th_all(b, "delete", id, hard ? "" : NULL);
    th_state[i] = hard ? 3 : 2;
  } else { /* undelete, maybe with new text */
    if ((i = th_pick(2)) < 0) return;
    th_id(i, id);
    char *t = gen_text(6), *body = gen_text(12);
    snprintf(js, sizeof js, "{\"id\":\"%s\",\"title\":\"%s\",\"body\":\"%s\","
             "\"n\":1}", id, t, body);
    free(t);
    free(body);
    th_all(b, "insert", id, js);
    th_state[i] = 1;
  }
}

/* Every full-text key and value of the (closed) database in dir. */
static void th_dump(const char *d, buf_t *out) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  buf_reset(out);
  CHECK_INT(kv_open(d, &ko, &kv, &e), REMDB_OK);
  kv_iter_t *it;
  CHECK_INT(kv_iter_new(kv, NULL, KV_INDEX, NULL, 0, NULL, 0, &it, &e),
            REMDB_OK);
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    if (kl < 13 || get_u32be((const unsigned char *)k + 4) != 0x46) continue;
    const char *v = kv_iter_value(it, &vl);
    uint32_t n[2] = {(uint32_t)kl, (uint32_t)vl};
    buf_add(out, n, sizeof n);
    buf_add(out, k, kl);
    buf_add(out, v, vl);
  }
  CHECK_INT(kv_iter_status(it, &e), REMDB_OK);
  kv_iter_free(it);
  kv_close(kv);
}

static void test_fts_threads_same(void) {
  static const int threads[TH_DBS] = {1, 2, 4};
  char dirs[TH_DBS][600];
  /* the segment blocks (whole term entries) of the commits: in a quarter
  ** of the rounds encoded by the workers alone (the writer waits), in
  ** another taken back by the writer from the workers who took them (done
  ** or not), in another the one in odd chunks and the other in even ones,
  ** so each path runs however busy the box; in the rest the big commits
  ** share them as the timing falls (production) */
  uint64_t chunks0 = fts_enc_worker_chunks, back0 = fts_enc_taken_back;
  rng = 77;
  th_ids = 0;
  memset(th_state, 0, sizeof th_state);
  for (int d = 0; d < TH_DBS; d++) {
    snprintf(dirs[d], sizeof dirs[d], "%s-th%d", dir, threads[d]);
    rm_tree(dirs[d]);
    remdb_options o;
    remdb_options_init(&o);
    o.exec_threads = threads[d];
    o.write_buffer_bytes = 256 << 10;
    CHECK_INT(remdb_open(dirs[d], "t", &o, &th_db[d]), REMDB_OK);
    db = th_db[d];
    cfg = 0;
    extra = 0;
    put_schema();
  }
  for (int round = 0; round < 40; round++) {
    fts_enc_mode = round % 4;
    uint32_t kind = rndn(5);
    if (kind == 0) { /* single rows: the writer analyses */
      for (int i = 0; i < 5; i++) th_op(NULL, false);
      continue;
    }
    bool journal = kind == 4;
    int n = kind == 1 ? 2 + (int)rndn(10) : 50 + (int)rndn(300);
    int flush_at = journal ? (int)rndn((uint32_t)n) : -1;
    remdb_batch *b[TH_DBS];
    for (int d = 0; d < TH_DBS; d++)
      CHECK_INT(remdb_batch_begin_ex(th_db[d], journal ? REMDB_BATCH_JOURNAL
                                                       : 0, &b[d]),
                REMDB_OK);
    for (int i = 0; i < n; i++) {
      th_op(b, journal);
      if (i == flush_at)
        for (int d = 0; d < TH_DBS; d++)
          CHECK_INT(remdb_batch_flush(b[d], 0), REMDB_OK);
    }
    for (int d = 0; d < TH_DBS; d++) {
      CHECK_INT(remdb_batch_commit(b[d], 0), REMDB_OK);
      remdb_batch_free(b[d]);
    }
  }
  /* a batch left uncommitted stops its workers (no thread outlives it) */
  remdb_batch *b[TH_DBS];
  for (int d = 0; d < TH_DBS; d++)
    CHECK_INT(remdb_batch_begin(th_db[d], &b[d]), REMDB_OK);
  for (int i = 0; i < 40; i++) th_op(b, true);
  for (int d = 0; d < TH_DBS; d++) remdb_batch_free(b[d]);
  uint64_t problems = 0;
  for (int d = 0; d < TH_DBS; d++) {
    CHECK_INT(remdb_verify(th_db[d], note, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
    remdb_close(th_db[d]);
  }
  fts_enc_mode = 0;
  CHECK(fts_enc_worker_chunks > chunks0);
  CHECK(fts_enc_taken_back > back0);
  buf_t one, other;
  buf_init(&one);
  buf_init(&other);
  th_dump(dirs[0], &one);
  CHECK(one.len > 10000);
  for (int d = 1; d < TH_DBS; d++) {
    th_dump(dirs[d], &other);
    CHECK_INT((long long)other.len, (long long)one.len);
    CHECK(other.len == one.len && memcmp(other.p, one.p, one.len) == 0);
  }
  buf_free(&one);
  buf_free(&other);
  for (int d = 0; d < TH_DBS; d++) rm_tree(dirs[d]);
  db = NULL;
}

/* ---- errors encoding a commit's segment blocks ---------------------------
** Out of memory encoding a block of a big commit's new segment, on a
** worker (the writer then waits for the workers: fts_enc_mode 1) or on the
** writer (which takes every chunk back: mode 2), fails the commit whole:
** every key of the database is as before, verify finds nothing, and the
** same batch commits once the failure is gone. */

static _Atomic int enc_fails[2]; /* blocks failed: [0] writer, [1] worker */
static int enc_fail_who;
static int enc_fail_hook(int worker) {
  if (worker != enc_fail_who) return 0;
  enc_fails[worker]++;
  return 1;
}

/* Every key and value of the (closed) database in d, of every column
** family. */
static void dump_all(const char *d, buf_t *out) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  buf_reset(out);
  CHECK_INT(kv_open(d, &ko, &kv, &e), REMDB_OK);
  for (int cf = 0; cf < KV_NCF; cf++) {
    kv_iter_t *it;
    CHECK_INT(kv_iter_new(kv, NULL, (enum kv_cf)cf, NULL, 0, NULL, 0, &it, &e),
              REMDB_OK);
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl, vl;
      const char *k = kv_iter_key(it, &kl);
      const char *v = kv_iter_value(it, &vl);
      uint32_t n[3] = {(uint32_t)cf, (uint32_t)kl, (uint32_t)vl};
      buf_add(out, n, sizeof n);
      buf_add(out, k, kl);
      buf_add(out, v, vl);
    }
    CHECK_INT(kv_iter_status(it, &e), REMDB_OK);
    kv_iter_free(it);
  }
  kv_close(kv);
}

/* A batch of n generated documents (the same for the same rng). */
static int enc_batch(int n) {
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < n; i++) {
    char js[1024], out[REMDB_ID_LEN + 1];
    char *t = gen_text(6), *body = gen_text(30);
    snprintf(js, sizeof js, "{\"title\":\"%s\",\"body\":\"%s\",\"n\":%d}",
             t, body, i);
    free(t);
    free(body);
    CHECK_INT(remdb_batch_insert(b, "notes", js, strlen(js), out), REMDB_OK);
  }
  int rc = remdb_batch_commit(b, 0);
  remdb_batch_free(b);
  return rc;
}

static void test_fts_enc_errors(void) {
  char d[600];
  snprintf(d, sizeof d, "%s-encerr", dir);
  rm_tree(d);
  remdb_options o;
  remdb_options_init(&o);
  o.exec_threads = 3;
  CHECK_INT(remdb_open(d, "t", &o, &db), REMDB_OK);
  cfg = 0;
  extra = 0;
  put_schema();
  rng = 4242;
  CHECK_INT(enc_batch(300), REMDB_OK); /* a segment to keep */
  remdb_close(db);
  buf_t before, after;
  buf_init(&before);
  buf_init(&after);
  dump_all(d, &before);
  CHECK(before.len > 10000);
  uint64_t rng0 = rng;
  for (int who = 1; who >= 0; who--) {
    CHECK_INT(remdb_open(d, "t", &o, &db), REMDB_OK);
    enc_fail_who = who;
    enc_fails[who] = 0;
    fts_enc_mode = who ? 1 : 2;
    fts_enc_test_fail = enc_fail_hook;
    rng = rng0;
    CHECK_INT(enc_batch(400), REMDB_NOMEM);
    fts_enc_test_fail = NULL;
    fts_enc_mode = 0;
    CHECK(enc_fails[who] > 0);
    check_verify();
    remdb_close(db);
    dump_all(d, &after);
    CHECK_INT((long long)after.len, (long long)before.len);
    CHECK(after.len == before.len &&
          memcmp(after.p, before.p, before.len) == 0);
  }
  CHECK_INT(remdb_open(d, "t", &o, &db), REMDB_OK);
  rng = rng0;
  uint64_t chunks0 = fts_enc_worker_chunks;
  fts_enc_mode = 1; /* (the workers' blocks are written) */
  CHECK_INT(enc_batch(400), REMDB_OK);
  fts_enc_mode = 0;
  CHECK(fts_enc_worker_chunks > chunks0);
  check_verify();
  remdb_close(db);
  dump_all(d, &after);
  CHECK(after.len > before.len);
  buf_free(&before);
  buf_free(&after);
  rm_tree(d);
  db = NULL;
}

static uint64_t seed_env(void) {
  const char *s = getenv("REMDB_TEST_SEED");
  return s && *s ? strtoull(s, NULL, 10) : 0;
}

static void test_fts_sequence_fixed(void) {
  uint64_t s = seed_env();
  run_sequence(s ? s : 20261129, 700);
}

static void test_fts_sequence_random(void) {
  if (seed_env()) return;
  run_sequence((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32), 400);
  printf("test_fts_core: %d queries checked, %d against brute force\n",
         nqueries, nbrute);
}

/* The random sequence with merges of a few terms per commit: merges left
** half done across commits, reopenings, reindexes, compactions. */
static void test_fts_sequence_small_merges(void) {
  merge_work = 48;
  nhalf = nmulti = 0;
  uint64_t s = seed_env();
  run_sequence(s ? s : 20261130, 500);
  printf("test_fts_core: %d steps left a merge half done, %d more than "
         "one\n", nhalf, nmulti);
  CHECK(s || nhalf > 20);
  merge_work = 0;
}

/* A retired segment's part whose key holds a term longer than any (damage
** behind remdb's back): the commit that deletes it neither overflows its
** cursor (a 256-byte buffer) nor fails; the part and the retired list go. */
static void test_fts_gc_long_key(void) {
  remdb *d = fresh_docs();
  fill_docs(d, 3);
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  /* 'V': segment 900000 retired (no term deleted yet); a part of it */
  unsigned char vk[KEY_FTS_PREFIX], vv[9] = {0xff};
  key_fts(vk, d->tid, tbl, 'V');
  put_u64be(vv + 1, 900000);
  unsigned char gk[KEY_FTS_PREFIX + 8 + 300];
  key_fts_seg(gk, d->tid, tbl, 900000, "", 0);
  memset(gk + KEY_FTS_PREFIX + 8, 'q', 300);
  err_t e;
  kv_batch_t *kb = kv_batch_new(d->st->kv);
  CHECK(kb != NULL);
  if (kb == NULL) return;
  kv_batch_put(kb, KV_INDEX, vk, sizeof vk, vv, sizeof vv);
  kv_batch_put(kb, KV_INDEX, gk, sizeof gk, "x", 1);
  CHECK_INT(kv_write(d->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  fill_docs(d, 1); /* a commit to the table: a step of the deletion */
  kv_val v;
  CHECK_INT(kv_get(d->st->kv, NULL, KV_INDEX, gk, sizeof gk, &v, &d->err),
            REMDB_NOTFOUND);
  CHECK_INT(kv_get(d->st->kv, NULL, KV_INDEX, vk, sizeof vk, &v, &d->err),
            REMDB_NOTFOUND);
  char msg[256];
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 4);
  check_clean(d);
  remdb_close(d);
}

/* A merge's dropped entry ('Y') whose key holds a term longer than any
** (damage): the step that finishes the merge reports the state malformed
** instead of overflowing the 'X' key it builds; reindex repairs. */
static void test_fts_merge_long_y(void) {
  rm_tree(dir);
  merge_work = 1;
  remdb *d;
  CHECK_INT(open_t(&d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  fill_docs(d, 9); /* eight segments, and a merge starts (slot 0) */
  CHECK(merge_open(d, "docs"));
  cat_table *ct;
  CHECK_INT(cat_find(d, "docs", &ct), REMDB_OK);
  unsigned char yk[KEY_FTS_SLOT_LEN + 300];
  key_fts_slot(yk, d->tid, ct->s->table_id, 'Y', 0);
  memset(yk + KEY_FTS_SLOT_LEN, 'q', 300);
  buf_t op;
  buf_init(&op);
  fts_term_delta td = {1, 1, 0, UINT32_MAX};
  fts_term_delta_encode(&td, &op);
  err_t e;
  kv_batch_t *kb = kv_batch_new(d->st->kv);
  CHECK(kb != NULL && !op.oom);
  if (kb == NULL) return;
  kv_batch_merge(kb, KV_INDEX, yk, sizeof yk, op.p, op.len);
  CHECK_INT(kv_write(d->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  buf_free(&op);
  int rc = REMDB_OK, commits = 0;
  while (rc == REMDB_OK && merge_open(d, "docs") && commits < 200) {
    char js[64];
    snprintf(js, sizeof js, "{\"title\":\"t\",\"body\":\"gamma\"}");
    rc = remdb_insert(d, "docs", js, strlen(js), NULL);
    commits++;
  }
  CHECK_INT(rc, REMDB_CORRUPT);
  CHECK_HAS(remdb_errmsg(d), "merge state is malformed");
  CHECK_INT(remdb_reindex(d, "docs"), REMDB_OK);
  char msg[256];
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 9);
  check_clean(d);
  remdb_close(d);
  merge_work = 0;
}

/* The jobs of the analysis beside the writer that the store keeps for reuse
** after a batch are bounded: a batch queues a job per change, and they all
** stayed with the store until it closed (a large import: its documents'
** text and analysis, twice over).  Neither a big document's job is kept. */
static void test_fts_pipe_kept(void) {
  rm_tree(dir);
  remdb *d;
  remdb_options o;
  remdb_options_init(&o);
  o.exec_threads = 2; /* (a worker even on one core) */
  o.max_value_bytes = 4u << 20;
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL),
            REMDB_OK);
  remdb_batch *b;
  /* three documents of 1.5 MB of text */
  size_t big = (size_t)3 << 19;
  char *js = malloc(big + 64);
  CHECK(js != NULL);
  if (js == NULL) return;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 3; i++) {
    size_t n =
        (size_t)snprintf(js, 64, "{\"title\":\"big%d\",\"body\":\"", i);
    while (n + 16 < big)
      n += (size_t)sprintf(js + n, "w%u ", (unsigned)(n % 9973));
    n += (size_t)sprintf(js + n, "\"}");
    CHECK_INT(remdb_batch_insert(b, "docs", js, n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  free(js);
  size_t text = 0;
  fts_pipe_kept(d, &text);
  CHECK((long long)text < (1ll << 20));
  char msg[256];
  CHECK_INT(search_count(d, "docs", "big2", msg, sizeof msg), 1);
  /* one batch of 3000 changes */
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 3000; i++) {
    char js2[128];
    snprintf(js2, sizeof js2,
             "{\"title\":\"r%d\",\"body\":\"alpha beta w%d\"}", i, i % 7);
    CHECK_INT(remdb_batch_insert(b, "docs", js2, strlen(js2), NULL),
              REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  size_t kept = fts_pipe_kept(d, &text);
  CHECK(kept >= 1 && kept <= 1024);
  CHECK_INT(search_count(d, "docs", "alpha", msg, sizeof msg), 64);
  CHECK_INT(search_count(d, "docs", "r2999", msg, sizeof msg), 1);
  check_clean(d);
  remdb_close(d);
}

/* The buffers a big commit's segment blocks were encoded into beside the
** writer (each chunk's) are trimmed to ENC_KEEP (4 MiB) once the commit is
** staged: they stayed with the store at the size of its largest segment
** until the next big commit, or until it closed. */
static void test_fts_enc_kept(void) {
  rm_tree(dir);
  remdb *d;
  remdb_options o;
  remdb_options_init(&o);
  o.exec_threads = 2; /* (a worker even on one core) */
  o.max_value_bytes = 4u << 20;
  CHECK_INT(remdb_open(dir, "t", &o, &d), REMDB_OK);
  CHECK_INT(add_schema(d, "{\"fields\":[\"title\",\"body\"]}", NULL), REMDB_OK);
  /* 2500 documents of 2000 words of 40: 5M positions, > 4 MiB encoded */
  size_t cap = 16384;
  char *js = malloc(cap);
  CHECK(js != NULL);
  if (js == NULL) return;
  uint64_t chunks0 = fts_enc_worker_chunks;
  fts_enc_mode = 1; /* (the workers' blocks are written) */
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(d, &b), REMDB_OK);
  for (int i = 0; i < 2500; i++) {
    size_t n = (size_t)snprintf(js, cap, "{\"title\":\"d%d\",\"body\":\"", i);
    for (int k = 0; k < 2000; k++)
      n += (size_t)snprintf(js + n, cap - n, "q%d ", (k * 7 + i) % 40);
    n += (size_t)snprintf(js + n, cap - n, "\"}");
    CHECK_INT(remdb_batch_insert(b, "docs", js, n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  fts_enc_mode = 0;
  free(js);
  CHECK(fts_enc_worker_chunks > chunks0);
  size_t kept = fts_enc_kept(d);
  if (kept > (4u << 20)) printf("test_fts_enc_kept: %zu bytes kept\n", kept);
  CHECK((long long)kept <= (4ll << 20));
  char msg[256];
  CHECK_INT(search_count(d, "docs", "d2499", msg, sizeof msg), 1);
  CHECK_INT(search_count(d, "docs", "q7", msg, sizeof msg), 64); /* (a page) */
  remdb_close(d);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "ftscore");
  TEST_CASE(test_fts_schema);
  TEST_CASE(test_fts_builtins);
  TEST_CASE(test_fts_damage);
  TEST_CASE(test_fts_segments);
  TEST_CASE(test_fts_purge);
  TEST_CASE(test_fts_incremental);
  TEST_CASE(test_fts_stale_merge);
  TEST_CASE(test_fts_two_tables);
  TEST_CASE(test_fts_batch_reuse);
  TEST_CASE(test_fts_term_order);
  TEST_CASE(test_fts_format3);
  TEST_CASE(test_fts_format4);
  TEST_CASE(test_fts_seek_past_output);
  TEST_CASE(test_fts_merge_bound_empty);
  TEST_CASE(test_fts_verify_merge);
  TEST_CASE(test_fts_merges_per_level);
  TEST_CASE(test_fts_upgrade);
  TEST_CASE(test_fts_journal);
  TEST_CASE(test_fts_same_batch);
  TEST_CASE(test_fts_older_ranges);
  TEST_CASE(test_fts_term_collide);
  TEST_CASE(test_fts_failed_kill);
  TEST_CASE(test_fts_snapshot);
  TEST_CASE(test_fts_threads_same);
  TEST_CASE(test_fts_enc_errors);
  TEST_CASE(test_fts_enc_kept);
  TEST_CASE(test_fts_pipe_kept);
  TEST_CASE(test_fts_gc_long_key);
  TEST_CASE(test_fts_merge_long_y);
  TEST_CASE(test_fts_sequence_fixed);
  TEST_CASE(test_fts_sequence_random);
  TEST_CASE(test_fts_sequence_small_merges);
  int rc_ = test_main(argc, argv, "test_fts_core");
  for (size_t i = 0; i < nrows; i++) {
    free(rows[i].title);
    free(rows[i].body);
  }
  rm_tree(dir);
  return rc_;
}

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
#include "remdb.h"
#include "test.h"
#include "testdb.h"
#include "text/index.h"

static char dir[512];
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

enum { NMAX = 400 };
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

static bool same_hits(hits *a, hits *b) {
  qsort(a->h, a->n, sizeof *a->h, hit_by_id);
  qsort(b->h, b->n, sizeof *b->h, hit_by_id);
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
    qsort(want.h, want.n, sizeof *want.h, by_score);
    CHECK_INT(top.n, want.n < 10 ? want.n : 10);
    for (size_t i = 0; i < top.n && i < want.n; i++) {
      CHECK(close_to(top.h[i].s, want.h[i].s));
      hit key;
      snprintf(key.id, sizeof key.id, "%s", top.h[i].id);
      qsort(got.h, got.n, sizeof *got.h, hit_by_id);
      hit *g = bsearch(&key, got.h, got.n, sizeof *got.h, hit_by_id);
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

static void run_sequence(uint64_t seed, int steps) {
  rng = seed ? seed : 1;
  printf("test_fts_core: seed %llu\n", (unsigned long long)seed);
  rm_tree(dir);
  for (size_t i = 0; i < nrows; i++) {
    free(rows[i].title);
    free(rows[i].body);
  }
  nrows = 0;
  cfg = extra = 0;
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
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
      CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
    } else if (k < 96) {
      CHECK_INT(remdb_reindex(db, rndn(2) ? "notes" : NULL), REMDB_OK);
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

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "ftscore");
  TEST_CASE(test_fts_sequence_fixed);
  TEST_CASE(test_fts_sequence_random);
  int rc_ = test_main(argc, argv, "test_fts_core");
  for (size_t i = 0; i < nrows; i++) {
    free(rows[i].title);
    free(rows[i].body);
  }
  rm_tree(dir);
  return rc_;
}

/*
** test_fts_oracle.c: BM25 ranking of src/text against SQLite FTS5's bm25()
** (libsqlite3), and top-k with skipping against brute force.
**
** A corpus of two-field documents (title, body) is drawn from a random
** vocabulary with Zipf-like frequencies, in mixed case, with diacritics,
** Greek, Cyrillic and punctuation.  It is indexed by the in-memory index
** (analyzer in FTS_UNICODE61 mode, no stemming, no stop words) and by an
** FTS5 table with the same rows.  Then for generated queries (single
** terms, AND of 2-3, OR of up to 5, phrases, prefixes, exclusions and
** mixes; some with column weights):
**   1. every matching document and its score equal FTS5's (scores within
**      1e-9 relative), and the top 10 equal FTS5's ORDER BY bm25() LIMIT
**      10 up to ties;
**   2. fts_eval_topk (skipping) returns exactly the brute-force top k, for
**      several k, with and without a filter;
**   3. over all queries, top-k scored fewer postings than brute force.
** FTS_ORACLE_SEED=n picks another corpus; FTS_ORACLE_QUERIES=n more
** queries.
*/
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

#include "test.h"
#include "text/analyze.h"
#include "text/index.h"
#include "text/query.h"

static uint64_t rng;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rndn(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- corpus ------------------------------------------------------------- */

enum { NVOCAB = 2500, NDOCS = 3000 };
static char *vocab[NVOCAB];
static double cdf[NVOCAB];

static const char *const syl[] = {
    "ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "ber", "dan", "el",
    "fra", "gor", "hel", "is", "jun", "kal", "lem", "mor", "nat", "os",
    "pra", "qui", "ren", "sol", "tur", "ul", "ven", "wa", "xe", "yo", "zu",
    "é", "è", "ü", "ö", "ñ", "ç", "å", "ø", "ß", "œ", "ă", "ł"};
static const char *const greek[] = {"σο", "φί", "λό", "γος", "κα", "θη", "μα",
                                    "ρί", "ΑΘ", "ΝΑ"};
static const char *const cyr[] = {"при", "вет", "мир", "дом", "ка", "ша",
                                  "ЖИ", "ЗНЬ"};

static char *make_word(void) {
  char w[64];
  size_t n = 0;
  int kind = rndn(10);
  int parts = 1 + rndn(3);
  for (int i = 0; i < parts; i++) {
    const char *s = kind == 0   ? greek[rndn(10)]
                    : kind == 1 ? cyr[rndn(8)]
                                : syl[rndn(i == 0 ? 32 : 44)];
    size_t k = strlen(s);
    memcpy(w + n, s, k);
    n += k;
  }
  if (kind >= 2 && rndn(5) == 0) w[n++] = (char)('0' + rndn(10));
  w[n] = 0;
  return strdup(w);
}

/* A surface form of word i: as is, capitalised or upper-cased (ASCII). */
static void surface(size_t i, char *out, size_t cap) {
  snprintf(out, cap, "%s", vocab[i]);
  int f = rndn(6);
  if (f == 0 && out[0] >= 'a' && out[0] <= 'z') out[0] -= 32;
  if (f == 1)
    for (char *p = out; *p; p++)
      if (*p >= 'a' && *p <= 'z') *p -= 32;
}

static size_t zipf(void) {
  double u = (double)(rnd() >> 11) / (double)(1ull << 53);
  size_t lo = 0, hi = NVOCAB - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

typedef struct tdoc {
  char *title, *body;
  size_t *bodyw; /* body word indices, for phrases */
  size_t nbodyw;
} tdoc;
static tdoc docs[NDOCS + 1];

static char *make_text(size_t nwords, size_t **idx) {
  size_t cap = nwords * 40 + 16, n = 0;
  char *s = malloc(cap);
  s[0] = 0;
  if (idx) *idx = malloc(nwords * sizeof **idx);
  static const char *const sep[] = {" ", " ", " ", " ", ", ", ". ", " - ",
                                    "; ", " (", ") ", "'", "\n"};
  for (size_t i = 0; i < nwords; i++) {
    size_t w = zipf();
    if (idx) (*idx)[i] = w;
    char sf[128];
    surface(w, sf, sizeof sf);
    if (i) {
      const char *sp = sep[rndn(12)];
      n += (size_t)snprintf(s + n, cap - n, "%s", sp);
    }
    n += (size_t)snprintf(s + n, cap - n, "%s", sf);
  }
  return s;
}

static void make_corpus(void) {
  for (size_t i = 0; i < NVOCAB; i++) {
    for (;;) {
      vocab[i] = make_word();
      bool dup = false; /* distinct words (folding may still merge some) */
      for (size_t j = 0; j < i && !dup; j++) dup = !strcmp(vocab[j], vocab[i]);
      if (!dup) break;
      free(vocab[i]);
    }
  }
  double tot = 0;
  for (size_t i = 0; i < NVOCAB; i++) tot += 1.0 / pow((double)i + 1, 1.05);
  double acc = 0;
  for (size_t i = 0; i < NVOCAB; i++) {
    acc += 1.0 / pow((double)i + 1, 1.05) / tot;
    cdf[i] = acc;
  }
  cdf[NVOCAB - 1] = 1.0;
  for (size_t d = 1; d <= NDOCS; d++) {
    docs[d].title = make_text(1 + rndn(8), NULL);
    docs[d].nbodyw = rndn(10) == 0 ? 0 : 5 + rndn(rndn(4) == 0 ? 400 : 80);
    docs[d].body = make_text(docs[d].nbodyw, &docs[d].bodyw);
  }
}

static void free_corpus(void) {
  for (size_t i = 0; i < NVOCAB; i++) free(vocab[i]);
  for (size_t d = 1; d <= NDOCS; d++) {
    free(docs[d].title);
    free(docs[d].body);
    free(docs[d].bodyw);
  }
}

/* ---- queries ---------------------------------------------------------- */

static size_t pick_word(void) {
  return rndn(3) == 0 ? rndn(NVOCAB) : zipf();
}

static void word(char *out, size_t cap) {
  char sf[128];
  surface(pick_word(), sf, sizeof sf);
  snprintf(out, cap, "%s", sf);
}

static void phrase(char *out, size_t cap) {
  tdoc *d;
  do d = &docs[1 + rndn(NDOCS)];
  while (d->nbodyw < 4);
  size_t len = 2 + rndn(2), at = rndn((uint32_t)(d->nbodyw - len));
  size_t n = (size_t)snprintf(out, cap, "\"");
  for (size_t i = 0; i < len; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "",
                          vocab[d->bodyw[at + i]]);
  snprintf(out + n, cap - n, "\"");
}

static void prefix(char *out, size_t cap) {
  const char *w = vocab[zipf()];
  size_t k = 1 + rndn(3);
  size_t n = 0, chars = 0;
  while (w[n] && chars < k) { /* whole characters */
    n++;
    while (((unsigned char)w[n] & 0xC0) == 0x80) n++;
    chars++;
  }
  snprintf(out, cap, "%.*s*", (int)n, w);
}

static void make_query(char *q, size_t cap) {
  char a[200], b[200], c[200], d[200];
  switch (rndn(11)) {
  case 0:
    word(a, sizeof a);
    snprintf(q, cap, "%s", a);
    break;
  case 1:
    word(a, sizeof a), word(b, sizeof b);
    snprintf(q, cap, "%s %s", a, b);
    break;
  case 2:
    word(a, sizeof a), word(b, sizeof b), word(c, sizeof c);
    snprintf(q, cap, "%s AND %s %s", a, b, c);
    break;
  case 3: {
    size_t n = 0, k = 2 + rndn(4);
    for (size_t i = 0; i < k; i++) {
      word(a, sizeof a);
      n += (size_t)snprintf(q + n, cap - n, "%s%s", i ? " OR " : "", a);
    }
    break;
  }
  case 4:
    phrase(a, sizeof a);
    snprintf(q, cap, "%s", a);
    break;
  case 5:
    prefix(a, sizeof a);
    snprintf(q, cap, "%s", a);
    break;
  case 6:
    word(a, sizeof a), word(b, sizeof b);
    snprintf(q, cap, "%s -%s", a, b);
    break;
  case 7:
    word(a, sizeof a), word(b, sizeof b), word(c, sizeof c);
    snprintf(q, cap, "(%s OR %s) -%s", a, b, c);
    break;
  case 8:
    word(a, sizeof a), word(b, sizeof b), word(c, sizeof c);
    snprintf(q, cap, "(%s OR %s) %s", a, b, c);
    break;
  case 9:
    phrase(a, sizeof a), word(b, sizeof b), prefix(c, sizeof c);
    snprintf(q, cap, "%s OR %s OR %s", a, b, c);
    break;
  default:
    word(a, sizeof a), word(b, sizeof b), phrase(c, sizeof c),
        word(d, sizeof d);
    snprintf(q, cap, "%s %s OR %s NOT %s", a, b, c, d);
    break;
  }
}

/* ---- comparison -------------------------------------------------------- */

typedef struct hits {
  fts_hit *h;
  size_t n, cap;
} hits;

static int collect(void *ctx, uint64_t doc, double s) {
  hits *x = ctx;
  if (x->n == x->cap) {
    x->cap = x->cap ? x->cap * 2 : 64;
    x->h = realloc(x->h, x->cap * sizeof *x->h);
  }
  x->h[x->n++] = (fts_hit){doc, s};
  return 0;
}

static int by_score(const void *a, const void *b) {
  const fts_hit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static bool close_rel(double a, double b) {
  return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static bool skip_doc(void *ctx, uint64_t doc) {
  (void)ctx;
  return doc % 3 != 0;
}

static fts_analyzer *an;
static fts_source src;
static sqlite3 *db;
static int nq_bad;
static uint64_t sum_matches, sum_docs_topk, sum_post_all, sum_post_topk,
    sum_regions, sum_pruned;
static size_t n_nonempty;

static fts_eval *open_eval(const fts_query *q, const double *w, fts_counters *c) {
  char err[256];
  fts_params p = FTS_PARAMS_DEFAULT;
  p.weights = w;
  p.nweights = w ? 2 : 0;
  fts_eval *e = fts_eval_open(q, &src, &p, c, err, sizeof err);
  if (!e) fprintf(stderr, "eval_open: %s\n", err);
  return e;
}

static void check_query(const char *text, const double *w) {
  char err[256];
  fts_query *q = fts_query_parse(text, strlen(text), an, err, sizeof err);
  CHECK(q != NULL);
  if (!q) {
    fprintf(stderr, "query \"%s\": %s\n", text, err);
    return;
  }
  if (fts_query_empty(q)) {
    fts_query_free(q);
    return;
  }
  char *m = fts_query_fts5(q);
  /* FTS5: every match with its score */
  char sql[256];
  if (w)
    snprintf(sql, sizeof sql,
             "SELECT rowid, bm25(t, %.17g, %.17g) FROM t WHERE t MATCH ?1 "
             "ORDER BY bm25(t, %.17g, %.17g), rowid",
             w[0], w[1], w[0], w[1]);
  else
    snprintf(sql, sizeof sql,
             "SELECT rowid, bm25(t) FROM t WHERE t MATCH ?1 "
             "ORDER BY bm25(t), rowid");
  sqlite3_stmt *st;
  CHECK(sqlite3_prepare_v2(db, sql, -1, &st, 0) == SQLITE_OK);
  sqlite3_bind_text(st, 1, m, -1, SQLITE_STATIC);
  hits theirs = {0};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    collect(&theirs, (uint64_t)sqlite3_column_int64(st, 0),
            -sqlite3_column_double(st, 1));
  if (rc != SQLITE_DONE)
    fprintf(stderr, "fts5 \"%s\": %s\n", m, sqlite3_errmsg(db));
  CHECK(rc == SQLITE_DONE);
  sqlite3_finalize(st);

  /* ours, brute force */
  hits ours = {0};
  fts_counters call = {0};
  fts_eval *e = open_eval(q, w, &call);
  CHECK(e != NULL);
  if (!e) goto out;
  CHECK_INT(fts_eval_all(e, collect, &ours, err, sizeof err), 0);
  fts_eval_free(e);
  bool ok = ours.n == theirs.n;
  /* same documents with the same scores (theirs is in FTS5's order) */
  hits sorted = {0};
  for (size_t i = 0; i < theirs.n; i++) collect(&sorted, theirs.h[i].doc, theirs.h[i].score);
  for (size_t i = 1; i < sorted.n; i++) /* insertion sort by doc */
    for (size_t j = i; j > 0 && sorted.h[j - 1].doc > sorted.h[j].doc; j--) {
      fts_hit t = sorted.h[j];
      sorted.h[j] = sorted.h[j - 1];
      sorted.h[j - 1] = t;
    }
  for (size_t i = 0; ok && i < ours.n; i++)
    ok = ours.h[i].doc == sorted.h[i].doc &&
         close_rel(ours.h[i].score, sorted.h[i].score);
  free(sorted.h);
  if (!ok) {
    if (nq_bad++ < 5) {
      fprintf(stderr, "MISMATCH \"%s\" (fts5 %s): ours %zu, fts5 %zu\n", text,
              m, ours.n, theirs.n);
      for (size_t i = 0; i < ours.n && i < 5; i++)
        fprintf(stderr, "  ours %llu %.17g\n", (unsigned long long)ours.h[i].doc,
                ours.h[i].score);
      for (size_t i = 0; i < theirs.n && i < 5; i++)
        fprintf(stderr, "  fts5 %llu %.17g\n",
                (unsigned long long)theirs.h[i].doc, theirs.h[i].score);
    }
  }
  CHECK(ok);
  /* the top 10 against FTS5's ORDER BY bm25() LIMIT 10, up to ties */
  if (ours.n) qsort(ours.h, ours.n, sizeof *ours.h, by_score);
  size_t top = ours.n < 10 ? ours.n : 10;
  for (size_t i = 0; ok && i < top; i++) {
    ok = close_rel(ours.h[i].score, theirs.h[i].score);
    if (ok && ours.h[i].doc != theirs.h[i].doc) {
      /* allowed only inside a tie */
      bool tie = (i > 0 && close_rel(ours.h[i].score, ours.h[i - 1].score)) ||
                 (i + 1 < ours.n && close_rel(ours.h[i].score, ours.h[i + 1].score));
      ok = tie;
    }
  }
  CHECK(ok);
  sum_matches += ours.n;
  sum_post_all += call.postings_scored;
  if (ours.n) n_nonempty++;

  /* scoring chosen documents (the few-rows side of a filter) */
  {
    static uint64_t pick[NDOCS];
    static fts_hit got[NDOCS];
    size_t np = 0, ng = 0;
    for (uint64_t dd = 1 + rndn(7); dd <= NDOCS; dd += 1 + rndn(13)) pick[np++] = dd;
    e = open_eval(q, w, NULL);
    CHECK(e != NULL);
    if (e) {
      CHECK_INT(fts_eval_docs(e, pick, np, got, &ng, err, sizeof err), 0);
      fts_eval_free(e);
      /* ours.h is sorted by score now: look each pick up */
      size_t want = 0;
      bool okd = true;
      for (size_t i = 0; i < np; i++) {
        for (size_t j = 0; j < ours.n; j++) {
          if (ours.h[j].doc != pick[i]) continue;
          okd = okd && want < ng && got[want].doc == pick[i] &&
                got[want].score == ours.h[j].score;
          want++;
        }
      }
      CHECK(okd && want == ng);
    }
  }
  /* top-k with skipping equals brute force, with and without a filter */
  static const size_t ks[] = {1, 5, 10, 50};
  for (size_t ki = 0; ki < 4; ki++) {
    for (int filt = 0; filt < 2; filt++) {
      size_t k = ks[ki];
      fts_hit got[64];
      size_t ng = 0;
      fts_counters c = {0};
      e = open_eval(q, w, &c);
      CHECK(e != NULL);
      if (!e) continue;
      CHECK_INT(fts_eval_topk(e, k, filt ? skip_doc : NULL, NULL, got, &ng,
                              err, sizeof err),
                0);
      fts_eval_free(e);
      size_t want = 0;
      bool same = true;
      for (size_t i = 0; i < ours.n && want < k; i++) {
        if (filt && !skip_doc(NULL, ours.h[i].doc)) continue;
        same = same && want < ng && got[want].doc == ours.h[i].doc &&
               got[want].score == ours.h[i].score;
        want++;
      }
      same = same && ng == want;
      if (!same && nq_bad++ < 5)
        fprintf(stderr, "TOPK k=%zu filter=%d \"%s\": got %zu want %zu\n", k,
                filt, text, ng, want);
      CHECK(same);
      if (k == 10 && !filt && getenv("FTS_ORACLE_VERBOSE"))
        fprintf(stderr, "%8zu matches %8llu scored %6llu pruned %4llu regions  %s\n", ours.n,
                (unsigned long long)c.docs_scored, (unsigned long long)c.docs_pruned,
                (unsigned long long)c.regions_skipped, text);
      if (k == 10 && !filt) {
        sum_docs_topk += c.docs_scored;
        sum_post_topk += c.postings_scored;
        sum_regions += c.regions_skipped;
        sum_pruned += c.docs_pruned;
      }
    }
  }
out:
  free(ours.h);
  free(theirs.h);
  free(m);
  fts_query_free(q);
}

int main(void) {
  const char *s = getenv("FTS_ORACLE_SEED");
  rng = s ? strtoull(s, NULL, 10) * 2654435761ull + 1 : 0x9E3779B97F4A7C15ull;
  const char *nqs = getenv("FTS_ORACLE_QUERIES");
  int nq = nqs ? atoi(nqs) : 300;
  make_corpus();

  fts_analyzer_opts o = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  an = fts_analyzer_new(&o, NULL, 0);
  CHECK(an != NULL);
  fts_memindex *mi = fts_memindex_new();
  fts_doc *d = fts_doc_new();
  CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(title, body);"
                     "BEGIN",
                     0, 0, 0) == SQLITE_OK);
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, body) VALUES (?,?,?)",
                     -1, &ins, 0);
  for (size_t i = 1; i <= NDOCS; i++) {
    fts_doc_reset(d);
    CHECK_INT(fts_doc_add(d, an, 0, docs[i].title, strlen(docs[i].title)), 0);
    CHECK_INT(fts_doc_add(d, an, 1, docs[i].body, strlen(docs[i].body)), 0);
    CHECK_INT(fts_memindex_add(mi, i, d), 0);
    sqlite3_bind_int64(ins, 1, (sqlite3_int64)i);
    sqlite3_bind_text(ins, 2, docs[i].title, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, docs[i].body, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(ins) == SQLITE_DONE);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  CHECK(sqlite3_exec(db, "COMMIT", 0, 0, 0) == SQLITE_OK);
  CHECK_INT(fts_memindex_finish(mi, 0), 0);
  fts_memindex_source(mi, &src);

  /* the corpus statistics agree with FTS5's */
  sqlite3_stmt *st;
  CHECK(sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')", 0, 0,
                     0) == SQLITE_OK);
  sqlite3_prepare_v2(db, "SELECT count(*), sum(cnt) FROM v", -1, &st, 0);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_INT(sqlite3_column_int64(st, 0), fts_memindex_terms(mi));
  sqlite3_finalize(st);

  for (int i = 0; i < nq; i++) {
    char q[1024];
    make_query(q, sizeof q);
    static const double w[2] = {2.5, 1.0};
    check_query(q, i % 4 == 3 ? w : NULL);
  }
  printf("fts oracle: %d queries (%zu with matches), %llu matches; top-10 "
         "scored %llu docs and %llu postings where brute force scored %llu "
         "postings; %llu regions skipped, %llu candidates pruned\n",
         nq, n_nonempty, (unsigned long long)sum_matches,
         (unsigned long long)sum_docs_topk, (unsigned long long)sum_post_topk,
         (unsigned long long)sum_post_all, (unsigned long long)sum_regions,
         (unsigned long long)sum_pruned);
  CHECK(n_nonempty > (size_t)nq / 2);
  CHECK(sum_post_topk < sum_post_all);
  CHECK(sum_regions + sum_pruned > 0);

  sqlite3_close(db);
  fts_doc_free(d);
  fts_memindex_free(mi);
  fts_analyzer_free(an);
  free_corpus();
  return test_done("test_fts_oracle");
}

/*
** test_fts_store.c: the write-side design of postings.h, played out on a
** toy sorted key-value store as the storage layer will on RocksDB.
**
** Keys, as the design note proposes:
**   'B' term 0x00 be32(docno / 128)  posting block     (fts_block_merge)
**   'T' term                          term entry        (fts_term_merge)
**   'L' be32(docno / 128)             document lengths  (fts_lengths_merge)
**   'S'                               table statistics  (fts_stats_merge)
** A generated sequence of inserts, updates (new text for a live doc) and
** deletes is applied one document at a time through merge operands only:
** the old version's terms that are gone get a delete operand and a -1
** df delta, the new version's terms an upsert operand (replacing any old
** posting) and their deltas, the length slot and the statistics their
** operands.  Then every query's result over this store (an fts_source
** over its blocks) equals, bit for bit, the result over an in-memory
** index built afresh from the live documents, brute force and top k; and
** every term entry agrees with its blocks.
*/
#include <math.h>
#include <stdint.h>

#include "test.h"
#include "text/analyze.h"
#include "text/index.h"
#include "text/postings.h"
#include "text/query.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rndn(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- a toy sorted key-value store --------------------------------------- */

typedef struct kv {
  char *key;
  size_t klen;
  buf_t val;
} kv;

static kv *store;
static size_t nstore, capstore;

static int keycmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

/* Index of the first key >= (k, kl). */
static size_t lower(const char *k, size_t kl) {
  size_t lo = 0, hi = nstore;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (keycmp(store[mid].key, store[mid].klen, k, kl) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static kv *get(const char *k, size_t kl) {
  size_t i = lower(k, kl);
  return i < nstore && keycmp(store[i].key, store[i].klen, k, kl) == 0
             ? &store[i]
             : NULL;
}

static void put(const char *k, size_t kl, const void *v, size_t vl) {
  size_t i = lower(k, kl);
  if (i < nstore && keycmp(store[i].key, store[i].klen, k, kl) == 0) {
    buf_reset(&store[i].val);
    buf_add(&store[i].val, v, vl);
    return;
  }
  if (nstore == capstore) {
    capstore = capstore ? capstore * 2 : 1024;
    store = realloc(store, capstore * sizeof *store);
  }
  memmove(store + i + 1, store + i, (nstore - i) * sizeof *store);
  store[i].key = malloc(kl);
  memcpy(store[i].key, k, kl);
  store[i].klen = kl;
  buf_init(&store[i].val);
  buf_add(&store[i].val, v, vl);
  nstore++;
}

static void del(const char *k, size_t kl) {
  size_t i = lower(k, kl);
  if (i >= nstore || keycmp(store[i].key, store[i].klen, k, kl) != 0) return;
  free(store[i].key);
  buf_free(&store[i].val);
  memmove(store + i, store + i + 1, (nstore - i - 1) * sizeof *store);
  nstore--;
}

typedef int (*merge_fn)(const void *, size_t, const void *const *,
                        const size_t *, size_t, buf_t *);

/* Read-modify-write with one operand, as a merge operator would. */
static void merge(const char *k, size_t kl, merge_fn fn, const buf_t *op) {
  kv *e = get(k, kl);
  buf_t out;
  buf_init(&out);
  const void *ops[1] = {op->p};
  size_t lens[1] = {op->len};
  int rc = fn(e ? e->val.p : NULL, e ? e->val.len : 0, ops, lens, 1, &out);
  CHECK_INT(rc, 0);
  if (rc == 0) put(k, kl, out.p, out.len);
  buf_free(&out);
}

static size_t block_key(char *k, const char *term, size_t len, uint64_t doc) {
  k[0] = 'B';
  memcpy(k + 1, term, len);
  k[1 + len] = 0;
  put_u32be((unsigned char *)k + 2 + len, (uint32_t)(doc / FTS_BLOCK_SPAN));
  return len + 6;
}

static size_t term_key(char *k, const char *term, size_t len) {
  k[0] = 'T';
  memcpy(k + 1, term, len);
  return len + 1;
}

/* ---- the write path -------------------------------------------------------- */

enum { NDOC = 700, NFIELD = 2 };
static char *text[NDOC][NFIELD]; /* live version, or NULL */
static fts_analyzer *an;

static const char *const words[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho",
    "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "alphabet",
    "alpine", "betamax", "gamut", "delt", "Café", "naïve", "ÉLAN"};
#define NWORDS (sizeof words / sizeof *words)

static char *gen_text(void) {
  size_t n = rndn(6) == 0 ? 0 : 1 + rndn(40);
  char *s = malloc(n * 12 + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    /* skewed: early words are common */
    size_t w = rndn(3) ? rndn(8) : rndn(NWORDS);
    o += (size_t)sprintf(s + o, "%s%s", i ? " " : "", words[w]);
  }
  s[o] = 0;
  return s;
}

static void analyse(uint64_t d, fts_doc *doc) {
  fts_doc_reset(doc);
  for (unsigned f = 0; f < NFIELD; f++)
    CHECK_INT(fts_doc_add(doc, an, f, text[d][f], strlen(text[d][f])), 0);
}

/* Replace doc d's version (NULL text: delete it). */
static void write_doc(uint64_t d, char *const *newtext) {
  fts_doc *old = fts_doc_new(), *nw = fts_doc_new();
  bool had = text[d][0] != NULL;
  if (had) analyse(d, old);
  long nold = had ? fts_doc_nterms(old) : 0;
  uint32_t oldlen = had ? fts_doc_length(old) : 0;
  if (had)
    for (unsigned f = 0; f < NFIELD; f++) free(text[d][f]);
  for (unsigned f = 0; f < NFIELD; f++) text[d][f] = newtext ? newtext[f] : NULL;
  bool has = newtext != NULL;
  if (has) analyse(d, nw);
  long nnew = has ? fts_doc_nterms(nw) : 0;
  uint32_t newlen = has ? fts_doc_length(nw) : 0;
  char key[FTS_MAX_TERM + 16];
  buf_t op;
  buf_init(&op);
  /* terms of the old version that the new one lacks */
  for (long i = 0; i < nold; i++) {
    const char *t;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(old, (size_t)i, &t, &len, &pos, &npos);
    bool kept = false;
    for (long j = 0; j < nnew && !kept; j++) {
      const char *t2;
      size_t l2;
      const uint32_t *p2;
      uint32_t n2;
      fts_doc_term(nw, (size_t)j, &t2, &l2, &p2, &n2);
      kept = l2 == len && memcmp(t, t2, len) == 0;
    }
    if (kept) continue;
    buf_reset(&op);
    CHECK_INT(fts_op_delete(&d, 1, &op), 0);
    size_t kl = block_key(key, t, len, d);
    merge(key, kl, fts_block_merge, &op);
    fts_block_info info;
    kv *e = get(key, kl);
    if (e && fts_block_header(e->val.p, e->val.len, &info) == 0 && info.n == 0)
      del(key, kl); /* an empty block goes */
    buf_reset(&op);
    fts_term_delta td = {-1, -(int64_t)npos, 0, UINT32_MAX};
    fts_term_delta_encode(&td, &op);
    kl = term_key(key, t, len);
    merge(key, kl, fts_term_merge, &op);
    fts_term_info ti;
    e = get(key, kl);
    if (e && fts_term_decode(e->val.p, e->val.len, &ti) == 0 && ti.df == 0)
      del(key, kl);
  }
  /* the new version's terms: upsert (replaces an old posting) */
  for (long j = 0; j < nnew; j++) {
    const char *t;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(nw, (size_t)j, &t, &len, &pos, &npos);
    uint32_t oldtf = 0;
    for (long i = 0; i < nold; i++) {
      const char *t2;
      size_t l2;
      const uint32_t *p2;
      uint32_t n2;
      fts_doc_term(old, (size_t)i, &t2, &l2, &p2, &n2);
      if (l2 == len && memcmp(t, t2, len) == 0) oldtf = n2;
    }
    buf_reset(&op);
    fts_posting p = {d, npos, newlen, pos};
    CHECK_INT(fts_op_upsert(&p, 1, &op), 0);
    merge(key, block_key(key, t, len, d), fts_block_merge, &op);
    buf_reset(&op);
    fts_term_delta td = {oldtf ? 0 : 1, (int64_t)npos - oldtf, npos, newlen};
    fts_term_delta_encode(&td, &op);
    merge(key, term_key(key, t, len), fts_term_merge, &op);
  }
  /* length slot and statistics */
  buf_reset(&op);
  fts_lengths_op((unsigned)(d % FTS_BLOCK_SPAN), has, newlen, &op);
  key[0] = 'L';
  put_u32be((unsigned char *)key + 1, (uint32_t)(d / FTS_BLOCK_SPAN));
  merge(key, 5, fts_lengths_merge, &op);
  buf_reset(&op);
  fts_stats_delta_encode((int64_t)has - had, (int64_t)newlen - oldlen, &op);
  merge("S", 1, fts_stats_merge, &op);
  buf_free(&op);
  fts_doc_free(old);
  fts_doc_free(nw);
}

/* ---- reading the store as an fts_source ---------------------------------- */

typedef struct sstream {
  char prefix[FTS_MAX_TERM + 4]; /* 'B' term 0x00 */
  size_t plen;
  size_t cur;
} sstream;

static bool in_term(const sstream *s, size_t i) {
  return i < nstore && store[i].klen == s->plen + 4 &&
         memcmp(store[i].key, s->prefix, s->plen) == 0;
}

static const void *ss_at(sstream *s, size_t *len) {
  if (!in_term(s, s->cur)) return NULL;
  *len = store[s->cur].val.len;
  return store[s->cur].val.p;
}

static const void *ss_seek(void *ctx, uint64_t target, size_t *len) {
  sstream *s = ctx;
  char k[FTS_MAX_TERM + 8];
  memcpy(k, s->prefix, s->plen);
  put_u32be((unsigned char *)k + s->plen, (uint32_t)(target / FTS_BLOCK_SPAN));
  size_t i = lower(k, s->plen + 4);
  if (i > s->cur) s->cur = i;
  return ss_at(s, len);
}

static const void *ss_next(void *ctx, size_t *len) {
  sstream *s = ctx;
  s->cur++;
  return ss_at(s, len);
}

static void ss_close(void *ctx) { free(ctx); }

static const fts_block_stream_ops ss_ops = {ss_seek, ss_next, ss_close};

static int st_open(void *ctx, const char *term, size_t len,
                   fts_term_info *info, fts_cursor **out,
                   fts_counters *count) {
  (void)ctx;
  *out = NULL;
  char k[FTS_MAX_TERM + 8];
  kv *e = get(k, term_key(k, term, len));
  if (!e) return 0;
  if (fts_term_decode(e->val.p, e->val.len, info)) return -1;
  sstream *s = calloc(1, sizeof *s);
  s->prefix[0] = 'B';
  memcpy(s->prefix + 1, term, len);
  s->prefix[1 + len] = 0;
  s->plen = len + 2;
  s->cur = lower(s->prefix, s->plen);
  *out = fts_block_cursor(&ss_ops, s, count);
  return *out ? 0 : -1;
}

static int st_prefix(void *ctx, const char *prefix, size_t len,
                     fts_term_fn cb, void *arg) {
  (void)ctx;
  char k[FTS_MAX_TERM + 8];
  size_t kl = term_key(k, prefix, len);
  for (size_t i = lower(k, kl); i < nstore; i++) {
    if (store[i].klen < kl || memcmp(store[i].key, k, kl) != 0) break;
    int rc = cb(arg, store[i].key + 1, store[i].klen - 1);
    if (rc) return rc;
  }
  return 0;
}

static const fts_source_ops st_ops = {st_open, st_prefix};

/* ---- checks ---------------------------------------------------------------- */

typedef struct hits {
  fts_hit h[NDOC];
  size_t n;
} hits;

static int collect(void *ctx, uint64_t doc, double s) {
  hits *x = ctx;
  x->h[x->n++] = (fts_hit){doc, s};
  return 0;
}

static void run(const fts_source *src, const char *q, hits *all, hits *top) {
  char err[256];
  fts_query *x = fts_query_parse(q, strlen(q), an, err, sizeof err);
  CHECK(x != NULL);
  all->n = top->n = 0;
  if (!x) return;
  fts_eval *e = fts_eval_open(x, src, NULL, NULL, err, sizeof err);
  CHECK(e != NULL);
  if (e) CHECK_INT(fts_eval_all(e, collect, all, err, sizeof err), 0);
  fts_eval_free(e);
  e = fts_eval_open(x, src, NULL, NULL, err, sizeof err);
  if (e) CHECK_INT(fts_eval_topk(e, 7, NULL, NULL, top->h, &top->n, err, sizeof err), 0);
  fts_eval_free(e);
  fts_query_free(x);
}

static bool same(const hits *a, const hits *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (a->h[i].doc != b->h[i].doc || a->h[i].score != b->h[i].score)
      return false;
  return true;
}

static void check_round(int round) {
  /* the reference: an index built afresh from the live documents */
  fts_memindex *mi = fts_memindex_new();
  fts_doc *d = fts_doc_new();
  uint64_t live = 0, tokens = 0;
  for (uint64_t i = 0; i < NDOC; i++) {
    if (!text[i][0]) continue;
    analyse(i, d);
    CHECK_INT(fts_memindex_add(mi, i, d), 0);
    live++;
    tokens += fts_doc_length(d);
  }
  CHECK_INT(fts_memindex_finish(mi, 0), 0);
  fts_source ref, st;
  fts_memindex_source(mi, &ref);
  st.ops = &st_ops;
  st.ctx = NULL;
  kv *s = get("S", 1);
  CHECK(s != NULL);
  if (s) CHECK_INT(fts_stats_decode(s->val.p, s->val.len, &st.stats), 0);
  CHECK_INT(st.stats.docs, live);
  CHECK_INT(st.stats.tokens, tokens);
  /* lengths */
  bool lens_ok = true;
  for (uint64_t i = 0; i < NDOC; i++) {
    char k[5] = {'L'};
    put_u32be((unsigned char *)k + 1, (uint32_t)(i / FTS_BLOCK_SPAN));
    kv *e = get(k, 5);
    fts_lengths l;
    fts_lengths_clear(&l);
    if (e) lens_ok &= fts_lengths_decode(e->val.p, e->val.len, &l) == 0;
    unsigned slot = (unsigned)(i % FTS_BLOCK_SPAN);
    lens_ok &= fts_lengths_has(&l, slot) == (text[i][0] != NULL);
    if (text[i][0]) lens_ok &= l.len[slot] == fts_memindex_doclen(mi, i);
  }
  CHECK(lens_ok);
  /* every term entry agrees with its blocks: df, cf, bounds */
  bool terms_ok = true;
  size_t nterms = 0;
  for (size_t i = 0; i < nstore; i++) {
    if (store[i].key[0] != 'T') continue;
    nterms++;
    fts_term_info ti;
    terms_ok &= fts_term_decode(store[i].val.p, store[i].val.len, &ti) == 0;
    fts_cursor *c = NULL;
    fts_term_info ti2;
    st_open(NULL, store[i].key + 1, store[i].klen - 1, &ti2, &c, NULL);
    uint64_t df = 0, cf = 0;
    for (; c && fts_cursor_peek(c) != FTS_END; fts_cursor_next(c)) {
      df++;
      cf += c->ops->tf(c);
      terms_ok &= c->ops->tf(c) <= ti.max_tf && c->ops->dl(c) >= ti.min_dl;
    }
    terms_ok &= df == ti.df && cf == ti.cf && (!c || c->err == 0);
    if (c) c->ops->close(c);
  }
  CHECK(terms_ok);
  CHECK_INT(nterms, fts_memindex_terms(mi));
  /* queries */
  static const char *const qs[] = {
      "alpha", "beta gamma", "alpha OR omega OR cafe", "\"alpha beta\"",
      "alp*", "gam*", "delta -epsilon", "(zeta OR eta) theta", "naive élan",
      "\"beta alpha gamma\"", "a*", "iota OR kappa OR lambda OR mu OR nu"};
  for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
    static hits a1, t1, a2, t2;
    run(&st, qs[i], &a1, &t1);
    run(&ref, qs[i], &a2, &t2);
    bool ok = same(&a1, &a2) && same(&t1, &t2);
    if (!ok)
      fprintf(stderr, "round %d \"%s\": store %zu/%zu, fresh index %zu/%zu\n",
              round, qs[i], a1.n, t1.n, a2.n, t2.n);
    CHECK(ok);
  }
  fts_doc_free(d);
  fts_memindex_free(mi);
}

int main(void) {
  fts_analyzer_opts o = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  an = fts_analyzer_new(&o, NULL, 0);
  CHECK(an != NULL);
  for (int round = 0; round < 6; round++) {
    for (int k = 0; k < 600; k++) {
      uint64_t d = rndn(NDOC);
      if (text[d][0] && rndn(4) == 0) {
        write_doc(d, NULL); /* delete */
      } else {
        char *nt[NFIELD];
        for (unsigned f = 0; f < NFIELD; f++) nt[f] = gen_text();
        write_doc(d, nt); /* insert, or update a live doc */
      }
    }
    check_round(round);
  }
  for (uint64_t d = 0; d < NDOC; d++)
    if (text[d][0]) write_doc(d, NULL);
  /* everything deleted: only zeroed statistics and empty length blocks */
  size_t left = 0;
  for (size_t i = 0; i < nstore; i++) left += store[i].key[0] == 'B' || store[i].key[0] == 'T';
  CHECK_INT(left, 0);
  fts_table_stats st;
  kv *s = get("S", 1);
  CHECK(s && fts_stats_decode(s->val.p, s->val.len, &st) == 0);
  CHECK(st.docs == 0 && st.tokens == 0);
  for (size_t i = 0; i < nstore; i++) {
    free(store[i].key);
    buf_free(&store[i].val);
  }
  free(store);
  fts_analyzer_free(an);
  return test_done("test_fts_store");
}

/*
** index.c: fts_doc and fts_memindex of index.h.
*/
#include <stdlib.h>
#include <string.h>

#include "index.h"

/* ---- fts_doc ---------------------------------------------------------- */

typedef struct dtok {
  size_t off; /* term bytes in the arena */
  uint32_t len, pos;
} dtok;

typedef struct dterm {
  size_t off; /* NUL-terminated term in the arena */
  size_t len;
  size_t first; /* its positions: pos[first .. first + n) */
  uint32_t n;
} dterm;

struct fts_doc {
  char *arena;
  size_t alen, acap;
  dtok *tok;
  size_t ntok, captok;
  uint32_t *pos;  /* sorted positions, grouped by term */
  dterm *term;
  size_t nterm, capterm;
  uint32_t next[FTS_MAX_FIELDS]; /* next offset per field */
  uint32_t length;
  bool sorted;
};

fts_doc *fts_doc_new(void) { return calloc(1, sizeof(fts_doc)); }

void fts_doc_free(fts_doc *d) {
  if (!d) return;
  free(d->arena);
  free(d->tok);
  free(d->pos);
  free(d->term);
  free(d);
}

void fts_doc_reset(fts_doc *d) {
  d->alen = d->ntok = d->nterm = 0;
  d->length = 0;
  d->sorted = false;
  memset(d->next, 0, sizeof d->next);
}

typedef struct addctx {
  fts_doc *d;
  unsigned field;
  bool oom;
} addctx;

static int add_token(void *ctx, const fts_token *t) {
  addctx *x = ctx;
  fts_doc *d = x->d;
  if (t->pos > FTS_MAX_OFFSET) return 0; /* beyond what positions hold */
  if (d->ntok == d->captok) {
    size_t cap = d->captok ? d->captok * 2 : 256;
    dtok *nt = realloc(d->tok, cap * sizeof *nt);
    if (!nt) goto oom;
    d->tok = nt;
    d->captok = cap;
  }
  if (d->alen + t->len + 1 > d->acap) {
    size_t cap = d->acap ? d->acap : 4096;
    while (cap < d->alen + t->len + 1) cap *= 2;
    char *na = realloc(d->arena, cap);
    if (!na) goto oom;
    d->arena = na;
    d->acap = cap;
  }
  memcpy(d->arena + d->alen, t->term, t->len);
  d->arena[d->alen + t->len] = 0;
  d->tok[d->ntok++] = (dtok){d->alen, (uint32_t)t->len,
                             ((uint32_t)x->field << FTS_FIELD_SHIFT) | t->pos};
  d->alen += t->len + 1;
  d->length++;
  return 0;
oom:
  x->oom = true;
  return 1;
}

int fts_doc_add(fts_doc *d, fts_analyzer *a, unsigned field, const char *text,
                size_t n) {
  if (field >= FTS_MAX_FIELDS) return -2;
  addctx x = {d, field, false};
  uint32_t next;
  int rc = fts_analyze(a, text, n, d->next[field], add_token, &x, &next);
  d->next[field] = next;
  d->sorted = false;
  return (x.oom || rc < 0) ? -1 : 0;
}

uint32_t fts_doc_length(const fts_doc *d) { return d->length; }

static int dtok_cmp(const void *a, const void *b, void *arg) {
  const dtok *x = a, *y = b;
  const char *sort_arena = arg;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(sort_arena + x->off, sort_arena + y->off, n);
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int doc_sort(fts_doc *d) {
  if (d->sorted) return 0;
  if (d->ntok) qsort_r(d->tok, d->ntok, sizeof *d->tok, dtok_cmp, d->arena);
  uint32_t *np = realloc(d->pos, (d->ntok ? d->ntok : 1) * sizeof *np);
  if (!np) return -1;
  d->pos = np;
  d->nterm = 0;
  for (size_t i = 0; i < d->ntok; i++) {
    const dtok *t = &d->tok[i];
    d->pos[i] = t->pos;
    if (d->nterm > 0) {
      dterm *last = &d->term[d->nterm - 1];
      if (last->len == t->len &&
          memcmp(d->arena + last->off, d->arena + t->off, t->len) == 0) {
        last->n++;
        continue;
      }
    }
    if (d->nterm == d->capterm) {
      size_t cap = d->capterm ? d->capterm * 2 : 64;
      dterm *nt = realloc(d->term, cap * sizeof *nt);
      if (!nt) return -1;
      d->term = nt;
      d->capterm = cap;
    }
    d->term[d->nterm++] = (dterm){t->off, t->len, i, 1};
  }
  d->sorted = true;
  return 0;
}

long fts_doc_nterms(fts_doc *d) {
  if (doc_sort(d)) return -1;
  return (long)d->nterm;
}

void fts_doc_term(const fts_doc *d, size_t i, const char **term, size_t *len,
                  const uint32_t **pos, uint32_t *npos) {
  const dterm *t = &d->term[i];
  *term = d->arena + t->off;
  *len = t->len;
  *pos = d->pos + t->first;
  *npos = t->n;
}

/* ---- fts_memindex ----------------------------------------------------- */

typedef struct mblock {
  uint64_t last;
  size_t off, len; /* in the block arena */
} mblock;

typedef struct mterm {
  char *term;
  size_t len;
  uint64_t hash;
  /* while building */
  uint64_t *doc;
  uint32_t *tf, *dl;
  size_t n, cap;
  uint32_t *pos;
  size_t npos, cappos;
  /* finished */
  fts_term_info info;
  mblock *blk;
  size_t nblk;
} mterm;

struct fts_memindex {
  mterm *terms;
  size_t nterms, capterms;
  size_t *slot; /* hash table of term index + 1 */
  size_t nslot;
  size_t *order; /* term indices in byte order (after finish) */
  unsigned char *arena;
  size_t alen;
  uint64_t lastdoc;
  bool any, finished;
  fts_table_stats stats;
  uint32_t *dlen; /* doc lengths by doc number (dense, for tests) */
  uint64_t ndlen;
};

static uint64_t hash_term(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

fts_memindex *fts_memindex_new(void) {
  return calloc(1, sizeof(fts_memindex));
}

void fts_memindex_free(fts_memindex *m) {
  if (!m) return;
  for (size_t i = 0; i < m->nterms; i++) {
    mterm *t = &m->terms[i];
    free(t->term);
    free(t->doc);
    free(t->tf);
    free(t->dl);
    free(t->pos);
    free(t->blk);
  }
  free(m->terms);
  free(m->slot);
  free(m->order);
  free(m->arena);
  free(m->dlen);
  free(m);
}

static int rehash(fts_memindex *m) {
  size_t ns = m->nslot ? m->nslot * 2 : 1024;
  size_t *s = calloc(ns, sizeof *s);
  if (!s) return -1;
  for (size_t i = 0; i < m->nterms; i++) {
    size_t j = (size_t)m->terms[i].hash & (ns - 1);
    while (s[j]) j = (j + 1) & (ns - 1);
    s[j] = i + 1;
  }
  free(m->slot);
  m->slot = s;
  m->nslot = ns;
  return 0;
}

/* The index of term (added if new), or -1 when out of memory. */
static long find_term(fts_memindex *m, const char *term, size_t len,
                      bool add) {
  uint64_t h = hash_term(term, len);
  if (m->nslot) {
    size_t j = (size_t)h & (m->nslot - 1);
    while (m->slot[j]) {
      mterm *t = &m->terms[m->slot[j] - 1];
      if (t->hash == h && t->len == len && memcmp(t->term, term, len) == 0)
        return (long)(m->slot[j] - 1);
      j = (j + 1) & (m->nslot - 1);
    }
  }
  if (!add) return -2;
  if ((m->nterms + 1) * 2 > m->nslot && rehash(m)) return -1;
  if (m->nterms == m->capterms) {
    size_t cap = m->capterms ? m->capterms * 2 : 1024;
    mterm *nt = realloc(m->terms, cap * sizeof *nt);
    if (!nt) return -1;
    m->terms = nt;
    m->capterms = cap;
  }
  mterm *t = &m->terms[m->nterms];
  memset(t, 0, sizeof *t);
  t->term = malloc(len + 1);
  if (!t->term) return -1;
  memcpy(t->term, term, len);
  t->term[len] = 0;
  t->len = len;
  t->hash = h;
  size_t j = (size_t)h & (m->nslot - 1);
  while (m->slot[j]) j = (j + 1) & (m->nslot - 1);
  m->slot[j] = m->nterms + 1;
  return (long)m->nterms++;
}

static int term_push(mterm *t, uint64_t doc, uint32_t dl, const uint32_t *pos,
                     uint32_t npos) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 4;
    uint64_t *nd = realloc(t->doc, cap * sizeof *nd);
    if (nd) t->doc = nd;
    uint32_t *nt = realloc(t->tf, cap * sizeof *nt);
    if (nt) t->tf = nt;
    uint32_t *nl = realloc(t->dl, cap * sizeof *nl);
    if (nl) t->dl = nl;
    if (!nd || !nt || !nl) return -1;
    t->cap = cap;
  }
  if (t->npos + npos > t->cappos) {
    size_t cap = t->cappos ? t->cappos : 8;
    while (cap < t->npos + npos) cap *= 2;
    uint32_t *np = realloc(t->pos, cap * sizeof *np);
    if (!np) return -1;
    t->pos = np;
    t->cappos = cap;
  }
  memcpy(t->pos + t->npos, pos, npos * sizeof *pos);
  t->npos += npos;
  t->doc[t->n] = doc;
  t->tf[t->n] = npos;
  t->dl[t->n] = dl;
  t->n++;
  return 0;
}

int fts_memindex_add(fts_memindex *m, uint64_t doc, fts_doc *d) {
  if (m->finished || doc == FTS_END || (m->any && doc <= m->lastdoc))
    return -2;
  long nt = fts_doc_nterms(d);
  if (nt < 0) return -1;
  uint32_t dl = fts_doc_length(d);
  for (long i = 0; i < nt; i++) {
    const char *term;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(d, (size_t)i, &term, &len, &pos, &npos);
    long ti = find_term(m, term, len, true);
    if (ti < 0 || term_push(&m->terms[ti], doc, dl, pos, npos)) return -1;
  }
  if (doc < (1u << 26)) { /* lengths kept densely for small doc numbers */
    if (doc >= m->ndlen) {
      uint64_t n = m->ndlen ? m->ndlen : 1024;
      while (n <= doc) n *= 2;
      uint32_t *nl = realloc(m->dlen, n * sizeof *nl);
      if (!nl) return -1;
      memset(nl + m->ndlen, 0, (n - m->ndlen) * sizeof *nl);
      m->dlen = nl;
      m->ndlen = n;
    }
    m->dlen[doc] = dl;
  }
  m->lastdoc = doc;
  m->any = true;
  m->stats.docs++;
  m->stats.tokens += dl;
  return 0;
}

uint32_t fts_memindex_doclen(const fts_memindex *m, uint64_t doc) {
  return doc < m->ndlen ? m->dlen[doc] : 0;
}

static int order_cmp(const void *a, const void *b, void *arg) {
  const fts_memindex *sort_mi = arg;
  const mterm *x = &sort_mi->terms[*(const size_t *)a];
  const mterm *y = &sort_mi->terms[*(const size_t *)b];
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->term, y->term, n);
  if (c) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

int fts_memindex_finish(fts_memindex *m, unsigned block_size) {
  if (m->finished) return 0;
  if (block_size == 0) block_size = 128;
  m->order = malloc((m->nterms ? m->nterms : 1) * sizeof *m->order);
  if (!m->order) return -1;
  for (size_t i = 0; i < m->nterms; i++) m->order[i] = i;
  if (m->nterms) qsort_r(m->order, m->nterms, sizeof *m->order, order_cmp, m);
  buf_t arena;
  buf_init(&arena);
  fts_posting *tmp = malloc(block_size * sizeof *tmp);
  if (!tmp) return -1;
  for (size_t i = 0; i < m->nterms; i++) {
    mterm *t = &m->terms[i];
    t->info = (fts_term_info){t->n, 0, 0, UINT32_MAX};
    t->nblk = (t->n + block_size - 1) / block_size;
    t->blk = malloc(t->nblk * sizeof *t->blk);
    if (!t->blk) goto oom;
    size_t posat = 0;
    for (size_t b = 0; b < t->nblk; b++) {
      size_t from = b * block_size;
      size_t n = t->n - from < block_size ? t->n - from : block_size;
      for (size_t j = 0; j < n; j++) {
        size_t k = from + j;
        tmp[j] = (fts_posting){t->doc[k], t->tf[k], t->dl[k], t->pos + posat};
        posat += t->tf[k];
        t->info.cf += t->tf[k];
        if (t->tf[k] > t->info.max_tf) t->info.max_tf = t->tf[k];
        if (t->dl[k] < t->info.min_dl) t->info.min_dl = t->dl[k];
      }
      size_t off = arena.len;
      if (fts_block_encode(tmp, n, &arena) || arena.oom) goto oom;
      t->blk[b] = (mblock){tmp[n - 1].doc, off, arena.len - off};
    }
    free(t->doc);
    free(t->tf);
    free(t->dl);
    free(t->pos);
    t->doc = NULL;
    t->tf = t->dl = t->pos = NULL;
    t->n = t->cap = t->npos = t->cappos = 0;
  }
  free(tmp);
  m->alen = arena.len;
  m->arena = (unsigned char *)buf_detach(&arena, NULL);
  if (!m->arena && m->alen) return -1;
  m->finished = true;
  return 0;
oom:
  free(tmp);
  buf_free(&arena);
  return -1;
}

size_t fts_memindex_block_bytes(const fts_memindex *m) { return m->alen; }
size_t fts_memindex_terms(const fts_memindex *m) { return m->nterms; }

/* ---- reading ---------------------------------------------------------- */

typedef struct mstream {
  const fts_memindex *m;
  const mterm *t;
  size_t cur; /* current block */
} mstream;

static const void *ms_at(mstream *s, size_t *len) {
  if (s->cur >= s->t->nblk) return NULL;
  const mblock *b = &s->t->blk[s->cur];
  *len = b->len;
  return s->m->arena + b->off;
}

static const void *ms_seek(void *ctx, uint64_t target, size_t *len) {
  mstream *s = ctx;
  size_t lo = s->cur, hi = s->t->nblk;
  while (lo < hi) { /* first block whose last doc >= target */
    size_t mid = lo + (hi - lo) / 2;
    if (s->t->blk[mid].last < target) lo = mid + 1;
    else hi = mid;
  }
  s->cur = lo;
  return ms_at(s, len);
}

static const void *ms_next(void *ctx, size_t *len) {
  mstream *s = ctx;
  if (s->cur < s->t->nblk) s->cur++;
  return ms_at(s, len);
}

static void ms_close(void *ctx) { free(ctx); }

static const fts_block_stream_ops ms_ops = {ms_seek, ms_next, ms_close};

static int mi_open(void *ctx, const char *term, size_t len,
                   fts_term_info *info, fts_cursor **out,
                   fts_counters *count) {
  fts_memindex *m = ctx;
  *out = NULL;
  long ti = find_term(m, term, len, false);
  if (ti < 0 || m->terms[ti].nblk == 0) return 0;
  mstream *s = calloc(1, sizeof *s);
  if (!s) return -1;
  s->m = m;
  s->t = &m->terms[ti];
  *info = s->t->info;
  *out = fts_block_cursor(&ms_ops, s, count);
  return *out ? 0 : -1;
}

static int mi_prefix(void *ctx, const char *prefix, size_t len,
                     fts_term_fn cb, void *arg) {
  fts_memindex *m = ctx;
  size_t lo = 0, hi = m->nterms;
  while (lo < hi) { /* first term >= prefix */
    size_t mid = lo + (hi - lo) / 2;
    const mterm *t = &m->terms[m->order[mid]];
    size_t n = t->len < len ? t->len : len;
    int c = memcmp(t->term, prefix, n);
    if (c < 0 || (c == 0 && t->len < len)) lo = mid + 1;
    else hi = mid;
  }
  for (size_t i = lo; i < m->nterms; i++) {
    const mterm *t = &m->terms[m->order[i]];
    if (t->len < len || memcmp(t->term, prefix, len) != 0) break;
    int rc = cb(arg, t->term, t->len);
    if (rc) return rc;
  }
  return 0;
}

static const fts_source_ops mi_ops = {mi_open, mi_prefix};

void fts_memindex_source(fts_memindex *m, fts_source *out) {
  out->ops = &mi_ops;
  out->ctx = m;
  out->stats = m->stats;
}

/*
** index.c: fts_doc and fts_memindex of index.h.
*/
#include <stdlib.h>
#include <string.h>

#include "index.h"

/* ---- fts_doc ---------------------------------------------------------- */

/* dst[0..n) = src[0..n), inline for short terms (the same overlapping
** pieces as short_word). */
static inline void copy_term(char *dst, const char *src, size_t n) {
  if (n > 8) {
    memcpy(dst, src, n);
  } else if (n >= 4) {
    memcpy(dst, src, 4);
    memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}

typedef struct dtok {
  uint32_t term, pos;
} dtok;

typedef struct dterm {
  size_t off; /* NUL-terminated term in the arena */
  uint32_t len;
  uint32_t n;     /* occurrences */
  uint32_t first; /* its positions: pos[first .. first + n) */
  uint32_t slot;  /* its slot in the hash table */
  uint64_t hash;
} dterm;

struct fts_doc {
  char *arena;
  size_t alen, acap;
  dterm *term;
  size_t nterm, capterm;
  uint32_t *slot; /* term index + 1, or 0 */
  size_t nslot;
  dtok *tok;
  size_t ntok, captok;
  uint32_t *pos; /* positions grouped by term (after grouping) */
  size_t cappos;
  uint32_t next[FTS_MAX_FIELDS]; /* next offset per field */
  uint32_t length;
  unsigned lastfield;
  bool grouped, monotone;
};

fts_doc *fts_doc_new(void) {
  fts_doc *d = calloc(1, sizeof(fts_doc));
  if (d) d->monotone = true;
  return d;
}

void fts_doc_free(fts_doc *d) {
  if (!d) return;
  free(d->arena);
  free(d->term);
  free(d->slot);
  free(d->tok);
  free(d->pos);
  free(d);
}

void fts_doc_reset(fts_doc *d) {
  for (size_t i = 0; i < d->nterm; i++) d->slot[d->term[i].slot] = 0;
  d->alen = d->ntok = d->nterm = 0;
  d->length = 0;
  d->lastfield = 0;
  d->grouped = false;
  d->monotone = true;
  memset(d->next, 0, sizeof d->next);
}

static int doc_rehash(fts_doc *d) {
  size_t ns = d->nslot ? d->nslot * 2 : 256;
  uint32_t *s = calloc(ns, sizeof *s);
  if (!s) return -1;
  for (size_t i = 0; i < d->nterm; i++) {
    size_t j = (size_t)d->term[i].hash & (ns - 1);
    while (s[j]) j = (j + 1) & (ns - 1);
    s[j] = (uint32_t)i + 1;
    d->term[i].slot = (uint32_t)j;
  }
  free(d->slot);
  d->slot = s;
  d->nslot = ns;
  return 0;
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
  if ((d->nterm + 1) * 2 > d->nslot && doc_rehash(d)) goto oom;
  uint64_t h = fts_term_hash(t->term, t->len);
  size_t j = (size_t)h & (d->nslot - 1);
  uint32_t id;
  for (;;) {
    uint32_t s = d->slot[j];
    if (!s) { /* a new term */
      if (d->nterm == d->capterm) {
        size_t cap = d->capterm ? d->capterm * 2 : 64;
        dterm *nt = realloc(d->term, cap * sizeof *nt);
        if (!nt) goto oom;
        d->term = nt;
        d->capterm = cap;
      }
      if (d->alen + t->len + 1 > d->acap) {
        size_t cap = d->acap ? d->acap : 4096;
        while (cap < d->alen + t->len + 1) cap *= 2;
        char *na = realloc(d->arena, cap);
        if (!na) goto oom;
        d->arena = na;
        d->acap = cap;
      }
      copy_term(d->arena + d->alen, t->term, t->len);
      d->arena[d->alen + t->len] = 0;
      id = (uint32_t)d->nterm;
      d->term[d->nterm++] = (dterm){d->alen, (uint32_t)t->len, 0, 0,
                                    (uint32_t)j, h};
      d->alen += t->len + 1;
      d->slot[j] = id + 1;
      break;
    }
    const dterm *e = &d->term[s - 1];
    if (e->hash == h && e->len == t->len &&
        fts_same_bytes(d->arena + e->off, t->term, t->len)) {
      id = s - 1;
      break;
    }
    j = (j + 1) & (d->nslot - 1);
  }
  if (d->ntok == d->captok) {
    size_t cap = d->captok ? d->captok * 2 : 256;
    dtok *nt = realloc(d->tok, cap * sizeof *nt);
    if (!nt) goto oom;
    d->tok = nt;
    d->captok = cap;
  }
  d->tok[d->ntok++] = (dtok){id, ((uint32_t)x->field << FTS_FIELD_SHIFT) | t->pos};
  d->term[id].n++;
  d->length++;
  return 0;
oom:
  x->oom = true;
  return 1;
}

int fts_doc_add(fts_doc *d, fts_analyzer *a, unsigned field, const char *text,
                size_t n) {
  if (field >= FTS_MAX_FIELDS) return -2;
  if (d->ntok && field < d->lastfield) d->monotone = false;
  d->lastfield = field;
  addctx x = {d, field, false};
  uint32_t next;
  int rc = fts_analyze(a, text, n, d->next[field], add_token, &x, &next);
  d->next[field] = next;
  d->grouped = false;
  return (x.oom || rc < 0) ? -1 : 0;
}

uint32_t fts_doc_length(const fts_doc *d) { return d->length; }

static int u32_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Group the positions by term. */
static int doc_group(fts_doc *d) {
  if (d->grouped) return 0;
  if (d->ntok > d->cappos) {
    uint32_t *np = realloc(d->pos, d->ntok * sizeof *np);
    if (!np) return -1;
    d->pos = np;
    d->cappos = d->ntok;
  }
  uint32_t at = 0;
  for (size_t i = 0; i < d->nterm; i++) {
    d->term[i].first = at;
    at += d->term[i].n;
    d->term[i].n = 0;
  }
  for (size_t i = 0; i < d->ntok; i++) {
    dterm *t = &d->term[d->tok[i].term];
    d->pos[t->first + t->n++] = d->tok[i].pos;
  }
  if (!d->monotone) /* fields were added out of order */
    for (size_t i = 0; i < d->nterm; i++)
      qsort(d->pos + d->term[i].first, d->term[i].n, sizeof *d->pos, u32_cmp);
  d->grouped = true;
  return 0;
}

long fts_doc_nterms(fts_doc *d) {
  if (doc_group(d)) return -1;
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

uint64_t fts_doc_term_hash(const fts_doc *d, size_t i) {
  return d->term[i].hash;
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
  /* while building: postings encoded as doc delta, tf, dl, then tf
  ** position deltas (varints) */
  uint8_t *pend;
  size_t plen, pcap;
  uint64_t lastdoc;
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

fts_memindex *fts_memindex_new(void) {
  return calloc(1, sizeof(fts_memindex));
}

void fts_memindex_free(fts_memindex *m) {
  if (!m) return;
  for (size_t i = 0; i < m->nterms; i++) {
    mterm *t = &m->terms[i];
    free(t->term);
    free(t->pend);
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
                      uint64_t h, bool add) {
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
  t->info.min_dl = UINT32_MAX;
  size_t j = (size_t)h & (m->nslot - 1);
  while (m->slot[j]) j = (j + 1) & (m->nslot - 1);
  m->slot[j] = m->nterms + 1;
  return (long)m->nterms++;
}

static inline size_t put_vi(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static inline uint64_t get_vi(const uint8_t **pp) {
  const uint8_t *p = *pp;
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    uint8_t c = *p++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) break;
  }
  *pp = p;
  return v;
}

static int term_push(mterm *t, uint64_t doc, uint32_t dl, const uint32_t *pos,
                     uint32_t npos) {
  size_t need = t->plen + 30 + (size_t)npos * 5;
  if (need > t->pcap) {
    size_t cap = t->pcap ? t->pcap * 2 : 32;
    while (cap < need) cap *= 2;
    uint8_t *np = realloc(t->pend, cap);
    if (!np) return -1;
    t->pend = np;
    t->pcap = cap;
  }
  uint8_t *p = t->pend + t->plen;
  p += put_vi(p, t->info.df ? doc - t->lastdoc : doc);
  p += put_vi(p, npos);
  p += put_vi(p, dl);
  uint32_t prev = 0;
  for (uint32_t j = 0; j < npos; j++) {
    p += put_vi(p, pos[j] - prev);
    prev = pos[j];
  }
  t->plen = (size_t)(p - t->pend);
  t->lastdoc = doc;
  t->info.df++;
  t->info.cf += npos;
  if (npos > t->info.max_tf) t->info.max_tf = npos;
  if (dl < t->info.min_dl) t->info.min_dl = dl;
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
    long ti = find_term(m, term, len, d->term[i].hash, true);
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
  if (m->nterms)
    qsort_r(m->order, m->nterms, sizeof *m->order, order_cmp, m);
  buf_t arena;
  buf_init(&arena);
  fts_posting *tmp = malloc(block_size * sizeof *tmp);
  size_t *poff = malloc(block_size * sizeof *poff);
  uint32_t *pos = NULL;
  size_t poscap = 0;
  if (!tmp || !poff) {
    free(tmp);
    free(poff);
    return -1;
  }
  for (size_t i = 0; i < m->nterms; i++) {
    mterm *t = &m->terms[i];
    t->nblk = (t->info.df + block_size - 1) / block_size;
    t->blk = malloc(t->nblk * sizeof *t->blk);
    if (!t->blk) goto oom;
    const uint8_t *p = t->pend;
    uint64_t doc = 0;
    uint64_t left = t->info.df;
    for (size_t b = 0; b < t->nblk; b++) {
      size_t n = left < block_size ? (size_t)left : block_size;
      left -= n;
      size_t np = 0;
      for (size_t j = 0; j < n; j++) {
        uint64_t delta = get_vi(&p);
        doc = (b == 0 && j == 0) ? delta : doc + delta;
        uint32_t tf = (uint32_t)get_vi(&p);
        uint32_t dl = (uint32_t)get_vi(&p);
        if (np + tf > poscap) {
          size_t cap = poscap ? poscap : 1024;
          while (cap < np + tf) cap *= 2;
          uint32_t *nps = realloc(pos, cap * sizeof *nps);
          if (!nps) goto oom;
          pos = nps;
          poscap = cap;
        }
        uint32_t prev = 0;
        for (uint32_t k = 0; k < tf; k++) {
          prev += (uint32_t)get_vi(&p);
          pos[np + k] = prev;
        }
        tmp[j] = (fts_posting){doc, tf, dl, NULL};
        poff[j] = np;
        np += tf;
      }
      for (size_t j = 0; j < n; j++) tmp[j].pos = pos + poff[j];
      size_t off = arena.len;
      if (fts_block_encode(tmp, n, &arena) || arena.oom) goto oom;
      t->blk[b] = (mblock){tmp[n - 1].doc, off, arena.len - off};
    }
    free(t->pend);
    t->pend = NULL;
    t->plen = t->pcap = 0;
  }
  free(tmp);
  free(poff);
  free(pos);
  m->alen = arena.len;
  m->arena = (unsigned char *)buf_detach(&arena, NULL);
  if (!m->arena && m->alen) return -1;
  m->finished = true;
  return 0;
oom:
  free(tmp);
  free(poff);
  free(pos);
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
  long ti = find_term(m, term, len, fts_term_hash(term, len), false);
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

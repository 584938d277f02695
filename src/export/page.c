/*
** page.c: a Parquet column chunk as data pages v1 (pq.h).  A page is its
** header (Thrift compact PageHeader) and its body: the definition levels
** (a 4-byte little-endian length, then the RLE/bit-packed hybrid at bit
** width 1) followed by the non-NULL values PLAIN-encoded (booleans packed
** 8 to a byte, LSB first; INT64 and DOUBLE 8 bytes little-endian;
** BYTE_ARRAY a 4-byte length and the bytes), the body compressed as one.
*/
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "pq.h"
#include "thrift.h"

#define ZSTD_LEVEL 3

void pq_chunk_init(pq_chunk *c, enum pq_type type, enum pq_codec codec) {
  memset(c, 0, sizeof *c);
  c->type = type;
  c->codec = codec;
  buf_init(&c->out);
  buf_init(&c->vals);
  buf_init(&c->page);
  buf_init(&c->comp);
  buf_init(&c->smin);
  buf_init(&c->smax);
}

void pq_chunk_free(pq_chunk *c) {
  free(c->codes);
  c->codes = NULL;
  buf_free(&c->out);
  buf_free(&c->vals);
  buf_free(&c->page);
  buf_free(&c->comp);
  buf_free(&c->smin);
  buf_free(&c->smax);
  free(c->defs);
  ZSTD_freeCCtx(c->zctx);
  c->zctx = NULL;
  c->defs = NULL;
}

void pq_chunk_reset(pq_chunk *c) {
  buf_reset(&c->out);
  buf_reset(&c->vals);
  buf_reset(&c->smin);
  buf_reset(&c->smax);
  c->nrows = c->nbits = c->ncodes = 0;
  c->dict = false;
  c->dict_size = 0;
  c->values = c->nulls = 0;
  c->raw_size = 0;
  c->has = false;
}

static void put_le(buf_t *b, uint64_t v, int n) {
  unsigned char t[8];
  for (int i = 0; i < n; i++) t[i] = (unsigned char)(v >> (8 * i));
  buf_add(b, t, (size_t)n);
}

static void varint(buf_t *b, uint64_t v) {
  while (v >= 0x80) {
    buf_addc(b, (char)(v | 0x80));
    v >>= 7;
  }
  buf_addc(b, (char)v);
}

/* Length of the run of equal values starting at i. */
static size_t run_at(const uint32_t *v, size_t n, size_t i) {
  size_t j = i;
  while (j < n && v[j] == v[i]) j++;
  return j - i;
}

/* The RLE/bit-packed hybrid at bit width w (1..32): runs of 8 or more
** equal values as RLE runs (the value in (w + 7) / 8 bytes, little
** endian), the rest in bit-packed groups of 8 values (w bytes, LSB
** first; the last group padded with zeros: the page's value count says
** where it ends). */
static void hybrid(buf_t *b, const uint32_t *v, size_t n, unsigned w) {
  size_t i = 0;
  while (i < n) {
    size_t run = run_at(v, n, i);
    if (run >= 8) {
      varint(b, (uint64_t)run << 1);
      put_le(b, v[i], (int)((w + 7) / 8));
      i += run;
      continue;
    }
    size_t k = i;
    do k += 8;
    while (k < n && run_at(v, n, k) < 8);
    size_t groups = (k - i) / 8;
    varint(b, (uint64_t)groups << 1 | 1);
    uint64_t acc = 0;
    unsigned bits = 0;
    for (size_t x = i; x < k; x++) {
      acc |= (uint64_t)(x < n ? v[x] : 0) << bits;
      bits += w;
      while (bits >= 8) {
        buf_addc(b, (char)(acc & 0xFF));
        acc >>= 8;
        bits -= 8;
      }
    }
    i = k;
  }
}

/* Compress src into c->comp; false on failure. */
static bool compress(pq_chunk *c, const buf_t *src) {
  buf_reset(&c->comp);
  if (c->codec == PQ_ZSTD) {
    if (c->zctx == NULL && (c->zctx = ZSTD_createCCtx()) == NULL) return false;
    size_t cap = ZSTD_compressBound(src->len);
    if (!buf_reserve(&c->comp, cap)) return false;
    size_t n = ZSTD_compressCCtx(c->zctx, c->comp.p, cap, src->p, src->len,
                                 ZSTD_LEVEL);
    if (ZSTD_isError(n)) return false;
    c->comp.len = n;
  } else {
    size_t cap = snappy_max_compressed_length(src->len);
    if (!buf_reserve(&c->comp, cap)) return false;
    size_t n = cap;
    if (snappy_compress(src->p, src->len, c->comp.p, &n) != SNAPPY_OK)
      return false;
    c->comp.len = n;
  }
  return true;
}

/* Compress body (when the codec says so) and append the page: its
** header, which fill() completes, then the body. */
static bool add_page(pq_chunk *c, const buf_t *pg, int type,
                     void (*fill)(pq_chunk *, th_w *)) {
  const buf_t *body = pg;
  if (pg->oom) return false;
  if (c->codec != PQ_UNCOMPRESSED) {
    if (!compress(c, pg)) return false;
    body = &c->comp;
  }
  if (pg->len > INT32_MAX || body->len > INT32_MAX) return false;
  size_t start = c->out.len;
  th_w w;
  th_init(&w, &c->out);
  th_begin(&w, 0);
  th_i32(&w, 1, type);
  th_i32(&w, 2, (int32_t)pg->len);
  th_i32(&w, 3, (int32_t)body->len);
  fill(c, &w);
  th_end(&w);
  c->raw_size += (c->out.len - start) + pg->len;
  buf_add(&c->out, body->p, body->len);
  return !c->out.oom;
}

static void data_header(pq_chunk *c, th_w *w) {
  th_begin(w, 5); /* DataPageHeader */
  th_i32(w, 1, (int32_t)c->nrows);
  th_i32(w, 2, c->dict ? 8 : 0); /* RLE_DICTIONARY or PLAIN */
  th_i32(w, 3, 3); /* definition levels: RLE (the hybrid) */
  th_i32(w, 4, 3); /* repetition levels: RLE (none written) */
  th_end(w);
}

bool pq_chunk_finish(pq_chunk *c) {
  if (c->fail) return false;
  if (c->nrows == 0) return true;
  buf_t *pg = &c->page;
  buf_reset(pg);
  put_le(pg, 0, 4); /* the levels' length, set below */
  hybrid(pg, c->defs, c->nrows, 1);
  size_t lvlen = pg->len - 4;
  if (!pg->oom)
    for (int i = 0; i < 4; i++) pg->p[i] = (char)(lvlen >> (8 * i));
  if (c->dict) {
    buf_addc(pg, (char)c->width);
    hybrid(pg, c->codes, c->ncodes, c->width);
  } else {
    buf_add(pg, c->vals.p, c->vals.len);
  }
  if (c->vals.oom || !add_page(c, pg, 0 /* DATA_PAGE */, data_header)) {
    c->fail = true;
    return false;
  }
  c->values += (int64_t)c->nrows;
  c->nrows = c->nbits = c->ncodes = 0;
  buf_reset(&c->vals);
  return true;
}

/* Room for one more row's level; closes a full page first. */
static bool next_row(pq_chunk *c, uint8_t def) {
  if (c->fail) return false;
  if (c->nrows >= PQ_PAGE_ROWS || c->vals.len >= PQ_PAGE_BYTES)
    if (!pq_chunk_finish(c)) return false;
  if (c->nrows == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    uint32_t *d = realloc(c->defs, cap * sizeof *d);
    uint32_t *k = d && c->dict ? realloc(c->codes, cap * sizeof *k) : NULL;
    if (k) c->codes = k;
    if (d) c->defs = d;
    if (d == NULL || (c->dict && k == NULL)) {
      c->fail = true;
      return false;
    }
    c->cap = cap;
  }
  c->defs[c->nrows++] = def;
  return true;
}

void pq_put_null(pq_chunk *c) {
  if (next_row(c, 0)) c->nulls++;
}

void pq_put_i64(pq_chunk *c, int64_t v) {
  if (!next_row(c, 1)) return;
  if (c->type == PQ_BOOLEAN) {
    if (c->nbits % 8 == 0) buf_addc(&c->vals, 0);
    if (v && !c->vals.oom)
      c->vals.p[c->vals.len - 1] |= (char)(1u << (c->nbits % 8));
    c->nbits++;
  } else {
    put_le(&c->vals, (uint64_t)v, 8);
  }
  if (!c->has) {
    c->imin = c->imax = v;
    c->has = true;
  } else if (v < c->imin) {
    c->imin = v;
  } else if (v > c->imax) {
    c->imax = v;
  }
}

void pq_put_f64(pq_chunk *c, double v) {
  if (!next_row(c, 1)) return;
  uint64_t x;
  memcpy(&x, &v, 8);
  put_le(&c->vals, x, 8);
  if (v != v) return; /* NaN stays out of the statistics */
  if (!c->has) {
    c->fmin = c->fmax = v;
    c->has = true;
  } else if (v < c->fmin) {
    c->fmin = v;
  } else if (v > c->fmax) {
    c->fmax = v;
  }
}

/* memcmp order, shorter first on a common prefix (unsigned bytes). */
static int bytes_cmp(const void *a, size_t na, const buf_t *b) {
  size_t n = na < b->len ? na : b->len;
  int r = n ? memcmp(a, b->p, n) : 0;
  if (r) return r;
  return na < b->len ? -1 : na > b->len;
}

static void set_bytes(buf_t *b, const void *p, size_t n) {
  buf_reset(b);
  buf_add(b, p, n);
}

void pq_put_bytes(pq_chunk *c, const void *p, size_t n) {
  if (!next_row(c, 1)) return;
  if (n > UINT32_MAX) {
    c->fail = true;
    return;
  }
  put_le(&c->vals, n, 4);
  buf_add(&c->vals, p, n);
  if (!c->has) {
    set_bytes(&c->smin, p, n);
    set_bytes(&c->smax, p, n);
    c->has = true;
  } else if (bytes_cmp(p, n, &c->smin) < 0) {
    set_bytes(&c->smin, p, n);
  } else if (bytes_cmp(p, n, &c->smax) > 0) {
    set_bytes(&c->smax, p, n);
  }
  if (c->smin.oom || c->smax.oom) c->fail = true;
}

bool pq_chunk_minmax(const pq_chunk *c, unsigned char *ibuf_min,
                     unsigned char *ibuf_max, const void **min, size_t *nmin,
                     const void **max, size_t *nmax) {
  if (!c->has) return false;
  switch (c->type) {
    case PQ_BYTE_ARRAY:
      if (c->smin.len > PQ_STAT_MAX || c->smax.len > PQ_STAT_MAX) return false;
      *min = c->smin.p;
      *nmin = c->smin.len;
      *max = c->smax.p;
      *nmax = c->smax.len;
      return true;
    case PQ_BOOLEAN:
      ibuf_min[0] = (unsigned char)(c->imin != 0);
      ibuf_max[0] = (unsigned char)(c->imax != 0);
      *nmin = *nmax = 1;
      break;
    case PQ_DOUBLE: {
      /* the format's rule: a zero minimum is written -0.0, a zero
      ** maximum +0.0 (either zero may be in the data) */
      double lo = c->fmin == 0 ? -0.0 : c->fmin;
      double hi = c->fmax == 0 ? 0.0 : c->fmax;
      uint64_t a, b;
      memcpy(&a, &lo, 8);
      memcpy(&b, &hi, 8);
      for (int i = 0; i < 8; i++) {
        ibuf_min[i] = (unsigned char)(a >> (8 * i));
        ibuf_max[i] = (unsigned char)(b >> (8 * i));
      }
      *nmin = *nmax = 8;
      break;
    }
    default:
      for (int i = 0; i < 8; i++) {
        ibuf_min[i] = (unsigned char)((uint64_t)c->imin >> (8 * i));
        ibuf_max[i] = (unsigned char)((uint64_t)c->imax >> (8 * i));
      }
      *nmin = *nmax = 8;
  }
  *min = ibuf_min;
  *max = ibuf_max;
  return true;
}

static void dict_header(pq_chunk *c, th_w *w) {
  th_begin(w, 7); /* DictionaryPageHeader */
  th_i32(w, 1, (int32_t)c->ndict);
  th_i32(w, 2, 0); /* PLAIN */
  th_bool(w, 3, true); /* sorted */
  th_end(w);
}

void pq_chunk_dict(pq_chunk *c, const char *const *vals, const uint32_t *lens,
                   uint32_t n) {
  if (c->fail) return;
  buf_t *pg = &c->page;
  buf_reset(pg);
  for (uint32_t i = 0; i < n; i++) {
    put_le(pg, lens[i], 4);
    buf_add(pg, vals[i], lens[i]);
  }
  c->ndict = n;
  if (n == 0 || !add_page(c, pg, 2 /* DICTIONARY_PAGE */, dict_header)) {
    c->fail = true;
    return;
  }
  c->dict = true;
  c->dict_size = c->out.len;
  c->width = 1;
  while (c->width < 32 && (n - 1) >> c->width) c->width++;
  /* codes grow with defs: give them defs' capacity */
  if (c->cap) {
    uint32_t *k = realloc(c->codes, c->cap * sizeof *k);
    if (k == NULL) {
      c->fail = true;
      return;
    }
    c->codes = k;
  }
  set_bytes(&c->smin, vals[0], lens[0]);
  set_bytes(&c->smax, vals[n - 1], lens[n - 1]);
  c->has = true;
  if (c->smin.oom || c->smax.oom) c->fail = true;
}

void pq_put_code(pq_chunk *c, uint32_t code) {
  if (next_row(c, 1)) c->codes[c->ncodes++] = code;
}

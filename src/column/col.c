/*
** col.c: column encodings (col.h).
*/
#include "col.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const double p10[] = {1, 10, 100, 1000, 10000};

/* Little-endian fixed widths: one load or store on a little-endian host
** (with columns.c's get_le, put_le: a bulk insert's merges 4955 -> 4319
** instructions a row, callgrind). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static void put_le32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_le64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_le32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static uint64_t get_le64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
#else
static void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_le32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static uint64_t get_le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
#endif
static void add_le32(buf_t *b, uint32_t v) {
  unsigned char x[4];
  put_le32(x, v);
  buf_add(b, x, 4);
}
static void add_varint(buf_t *b, uint32_t v) {
  while (v >= 0x80) {
    buf_addc(b, (char)(v | 0x80));
    v >>= 7;
  }
  buf_addc(b, (char)v);
}
/* false if malformed or past end */
static bool get_varint(const unsigned char **pp, const unsigned char *end,
                       uint32_t *v) {
  uint32_t x = 0;
  for (int s = 0; s < 35; s += 7) {
    if (*pp >= end) return false;
    unsigned char c = *(*pp)++;
    if (s == 28 && c > 0x0f) return false;
    x |= (uint32_t)(c & 0x7f) << s;
    if (!(c & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}
static void add_le64(buf_t *b, uint64_t v) {
  unsigned char x[8];
  put_le64(x, v);
  buf_add(b, x, 8);
}

bool col_init(col_data *c, uint8_t type, uint32_t n) {
  memset(c, 0, sizeof *c);
  c->type = type;
  c->n = n;
  c->sorted = true;
  buf_init(&c->arena);
  size_t w = COL_WORDS(n) ? COL_WORDS(n) : 1;
  c->nulls = malloc(w * 8);
  if (c->nulls == NULL) return false;
  memset(c->nulls, 0xff, w * 8);
  size_t m = n ? n : 1;
  switch (type) {
    case COLT_INT:
    case COLT_BOOL:
    case COLT_TIME: c->i64 = calloc(m, 8); return c->i64 != NULL;
    case COLT_REAL: c->f64 = calloc(m, 8); return c->f64 != NULL;
    case COLT_TEXT: c->code = calloc(m, 4); return c->code != NULL;
    case COLT_ID: c->id = calloc(m, 16); return c->id != NULL;
    default: return false;
  }
}

void col_free(col_data *c) {
  if (c == NULL) return;
  free(c->nulls);
  free(c->i64);
  free(c->f64);
  free(c->code);
  free(c->id);
  free(c->dict);
  free(c->dlen);
  free(c->doff);
  free(c->hash);
  buf_free(&c->arena);
  memset(c, 0, sizeof *c);
}

void col_clear(col_data *c, uint32_t n) {
  free(c->dict);
  free(c->dlen);
  free(c->doff);
  free(c->hash);
  buf_free(&c->arena);
  c->dict = NULL;
  c->dlen = c->doff = c->hash = NULL;
  c->ndict = c->capdict = c->nhash = 0;
  c->sorted = true;
  c->inexact = false;
  c->n = n;
  memset(c->nulls, 0xff, (COL_WORDS(n) ? COL_WORDS(n) : 1) * 8);
  switch (c->type) {
    case COLT_REAL: memset(c->f64, 0, (size_t)n * 8); break;
    case COLT_TEXT: memset(c->code, 0, (size_t)n * 4); break;
    case COLT_ID: memset(c->id, 0, (size_t)n * 16); break;
    default: memset(c->i64, 0, (size_t)n * 8);
  }
}

size_t col_bytes(const col_data *c) {
  size_t b = sizeof *c + COL_WORDS(c->n) * 8;
  switch (c->type) {
    case COLT_TEXT: b += (size_t)c->n * 4; break;
    case COLT_ID: b += (size_t)c->n * 16; break;
    default: b += (size_t)c->n * 8;
  }
  b += (size_t)c->capdict * (sizeof(char *) + 8) + c->arena.cap +
       (size_t)c->nhash * 4;
  return b;
}

void col_set_null(col_data *c, uint32_t i) {
  col_bit_set(c->nulls, i, true);
  switch (c->type) {
    case COLT_REAL: c->f64[i] = 0; break;
    case COLT_TEXT: c->code[i] = 0; break;
    case COLT_ID: memset(c->id[i], 0, 16); break;
    default: c->i64[i] = 0;
  }
}

void col_set_i64(col_data *c, uint32_t i, int64_t v) {
  col_bit_set(c->nulls, i, false);
  c->i64[i] = v;
}

void col_set_f64(col_data *c, uint32_t i, double v) {
  col_bit_set(c->nulls, i, false);
  c->f64[i] = v;
}

void col_set_id(col_data *c, uint32_t i, const unsigned char id[16]) {
  col_bit_set(c->nulls, i, false);
  memcpy(c->id[i], id, 16);
}

/* ---- the dictionary ----------------------------------------------------- */

static const char *dict_str(const col_data *c, uint32_t k) {
  return c->arena.p + c->doff[k];
}

static bool dict_grow(col_data *c) {
  uint32_t cap = c->capdict ? c->capdict * 2 : 64;
  uint32_t *dl = realloc(c->dlen, cap * sizeof *dl);
  if (dl == NULL) return false;
  c->dlen = dl;
  uint32_t *doff = realloc(c->doff, cap * sizeof *doff);
  if (doff == NULL) return false;
  c->doff = doff;
  c->capdict = cap;
  return true;
}

static bool hash_rebuild(col_data *c, uint32_t nh) {
  uint32_t *h = calloc(nh, sizeof *h);
  if (h == NULL) return false;
  for (uint32_t k = 0; k < c->ndict; k++) {
    uint64_t x = XXH3_64bits(dict_str(c, k), c->dlen[k]);
    uint32_t s = (uint32_t)x & (nh - 1);
    while (h[s]) s = (s + 1) & (nh - 1);
    h[s] = k + 1;
  }
  free(c->hash);
  c->hash = h;
  c->nhash = nh;
  return true;
}

bool col_set_text(col_data *c, uint32_t i, const char *p, size_t n) {
  if (n > UINT32_MAX || c->arena.len + n > UINT32_MAX) {
    col_set_null(c, i);
    return false;
  }
  uint32_t nh = c->nhash ? c->nhash : 256;
  while ((uint64_t)(c->ndict + 1) * 2 > nh) nh *= 2;
  if (nh != c->nhash && !hash_rebuild(c, nh)) {
    col_set_null(c, i);
    return false;
  }
  uint64_t x = XXH3_64bits(p, n);
  uint32_t s = (uint32_t)x & (c->nhash - 1);
  for (; c->hash[s]; s = (s + 1) & (c->nhash - 1)) {
    uint32_t k = c->hash[s] - 1;
    if (c->dlen[k] == n && memcmp(dict_str(c, k), p, n) == 0) {
      col_bit_set(c->nulls, i, false);
      c->code[i] = k;
      return true;
    }
  }
  if (c->ndict == c->capdict && !dict_grow(c)) {
    col_set_null(c, i);
    return false;
  }
  size_t off = c->arena.len;
  buf_add(&c->arena, p, n);
  buf_addc(&c->arena, 0); /* so a view of it may be NUL-terminated */
  if (c->arena.oom) {
    col_set_null(c, i);
    return false;
  }
  uint32_t k = c->ndict++;
  c->doff[k] = (uint32_t)off;
  c->dlen[k] = (uint32_t)n;
  c->hash[s] = k + 1;
  c->sorted = false;
  col_bit_set(c->nulls, i, false);
  c->code[i] = k;
  return true;
}

/* qsort has no context argument: per thread (the parallel executor's
** workers, readers of other handles and merges finish columns at once) */
static _Thread_local const col_data *sort_c;
static int cmp_code(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  uint32_t lx = sort_c->dlen[x], ly = sort_c->dlen[y];
  int r = memcmp(dict_str(sort_c, x), dict_str(sort_c, y), lx < ly ? lx : ly);
  if (r) return r;
  return lx < ly ? -1 : lx > ly;
}

static bool dict_pointers(col_data *c) {
  free(c->dict);
  c->dict = malloc((c->ndict ? c->ndict : 1) * sizeof *c->dict);
  if (c->dict == NULL) return false;
  for (uint32_t k = 0; k < c->ndict; k++) c->dict[k] = dict_str(c, k);
  return true;
}

bool col_finish(col_data *c) {
  if (c->type != COLT_TEXT) return true;
  /* used entries, sorted */
  uint8_t *used = calloc(c->ndict ? c->ndict : 1, 1);
  uint32_t *order = malloc((c->ndict ? c->ndict : 1) * sizeof *order);
  uint32_t *remap = malloc((c->ndict ? c->ndict : 1) * sizeof *remap);
  if (used == NULL || order == NULL || remap == NULL) {
    free(used);
    free(order);
    free(remap);
    return false;
  }
  for (uint32_t i = 0; i < c->n; i++)
    if (!col_bit(c->nulls, i)) used[c->code[i]] = 1;
  uint32_t m = 0;
  for (uint32_t k = 0; k < c->ndict; k++)
    if (used[k]) order[m++] = k;
  sort_c = c;
  /* a merge's dictionary is a decoded (sorted) one plus the values its
  ** deltas added: sort only what follows the sorted run, then merge the
  ** two (a full sort of a 64k-entry dictionary was most of a merge) */
  uint32_t ma = m ? 1 : 0;
  while (ma < m && cmp_code(&order[ma - 1], &order[ma]) < 0) ma++;
  if (ma < m) {
    qsort(order + ma, m - ma, sizeof *order, cmp_code);
    uint32_t i = 0, j = ma, o = 0; /* remap: scratch until filled below */
    while (i < ma && j < m)
      remap[o++] = cmp_code(&order[i], &order[j]) < 0 ? order[i++] : order[j++];
    while (i < ma) remap[o++] = order[i++];
    while (j < m) remap[o++] = order[j++];
    memcpy(order, remap, (size_t)m * sizeof *order);
  }
  buf_t na;
  buf_init(&na);
  uint32_t *nlen = malloc((m ? m : 1) * sizeof *nlen);
  uint32_t *noff = malloc((m ? m : 1) * sizeof *noff);
  bool ok = nlen && noff;
  for (uint32_t j = 0; ok && j < m; j++) {
    uint32_t k = order[j];
    remap[k] = j;
    noff[j] = (uint32_t)na.len;
    nlen[j] = c->dlen[k];
    buf_add(&na, dict_str(c, k), c->dlen[k]);
    buf_addc(&na, 0);
  }
  ok = ok && !na.oom;
  if (ok) {
    for (uint32_t i = 0; i < c->n; i++)
      c->code[i] = col_bit(c->nulls, i) ? 0 : remap[c->code[i]];
    buf_free(&c->arena);
    c->arena = na;
    free(c->dlen);
    free(c->doff);
    c->dlen = nlen;
    c->doff = noff;
    c->ndict = c->capdict = m;
    free(c->hash);
    c->hash = NULL;
    c->nhash = 0;
    c->sorted = true;
    ok = dict_pointers(c);
  } else {
    buf_free(&na);
    free(nlen);
    free(noff);
  }
  free(used);
  free(order);
  free(remap);
  return ok;
}

bool col_copy(col_data *dst, const col_data *src) {
  if (!col_init(dst, src->type, src->n)) {
    col_free(dst);
    return false;
  }
  dst->inexact = src->inexact;
  memcpy(dst->nulls, src->nulls, COL_WORDS(src->n) * 8);
  size_t n = src->n;
  switch (src->type) {
    case COLT_REAL: memcpy(dst->f64, src->f64, n * 8); break;
    case COLT_ID: memcpy(dst->id, src->id, n * 16); break;
    case COLT_TEXT: break;
    default: memcpy(dst->i64, src->i64, n * 8);
  }
  if (src->type == COLT_TEXT) {
    /* the same dictionary, codes unchanged; the hash is rebuilt lazily */
    memcpy(dst->code, src->code, n * 4);
    if (src->arena.len) buf_add(&dst->arena, src->arena.p, src->arena.len);
    dst->capdict = dst->ndict = src->ndict;
    dst->dlen = malloc((src->ndict ? src->ndict : 1) * 4);
    dst->doff = malloc((src->ndict ? src->ndict : 1) * 4);
    if (dst->arena.oom || !dst->dlen || !dst->doff) {
      col_free(dst);
      return false;
    }
    if (src->ndict) {
      memcpy(dst->dlen, src->dlen, (size_t)src->ndict * 4);
      memcpy(dst->doff, src->doff, (size_t)src->ndict * 4);
    }
    dst->sorted = src->sorted;
    if (!dict_pointers(dst)) {
      col_free(dst);
      return false;
    }
  }
  return true;
}

/* ---- bit packing -------------------------------------------------------- */

uint8_t col_for_width(uint64_t maxdelta) {
  uint8_t w = 0;
  while (w < 64 && (maxdelta >> w) != 0) w++;
  return w;
}

void col_pack(const uint64_t *d, uint32_t n, uint8_t width, buf_t *out) {
  size_t words = ((size_t)n * width + 63) / 64;
  if (!buf_reserve(out, words * 8)) {
    out->oom = true;
    return;
  }
  uint64_t acc = 0;
  unsigned used = 0;
  size_t put = 0;
  if (width == 0) return;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t v = width == 64 ? d[i] : d[i] & (((uint64_t)1 << width) - 1);
    acc |= v << used;
    if (used + width >= 64) {
      add_le64(out, acc);
      put++;
      acc = used ? v >> (64 - used) : 0;
      used = used + width - 64;
    } else {
      used += width;
    }
  }
  if (put < words) add_le64(out, acc);
}

bool col_unpack(const unsigned char *p, size_t len, uint32_t n, uint8_t width,
                uint64_t *out) {
  if (width > 64) return false;
  size_t words = ((size_t)n * width + 63) / 64;
  if (len < words * 8) return false;
  if (width == 0) {
    memset(out, 0, (size_t)n * 8);
    return true;
  }
  uint64_t mask = width == 64 ? ~(uint64_t)0 : (((uint64_t)1 << width) - 1);
  for (uint32_t i = 0; i < n; i++) {
    size_t bit = (size_t)i * width;
    size_t w = bit / 64;
    unsigned off = (unsigned)(bit % 64);
    uint64_t v = get_le64(p + w * 8) >> off;
    if (off + width > 64) v |= get_le64(p + (w + 1) * 8) << (64 - off);
    out[i] = v & mask;
  }
  return true;
}

/* ---- stored form -------------------------------------------------------- */

static bool any_null(const col_data *c) {
  for (size_t w = 0; w < COL_WORDS(c->n); w++) {
    uint64_t x = c->nulls[w];
    if (w == COL_WORDS(c->n) - 1 && (c->n & 63))
      x &= ((uint64_t)1 << (c->n & 63)) - 1;
    if (x) return true;
  }
  return false;
}

static void encode_for(const int64_t *v, const uint64_t *nulls, uint32_t n,
                       buf_t *out) {
  int64_t mn = 0;
  bool first = true;
  for (uint32_t i = 0; i < n; i++) {
    if (nulls && col_bit(nulls, i)) continue;
    if (first || v[i] < mn) mn = v[i];
    first = false;
  }
  uint64_t maxd = 0;
  uint64_t *d = malloc((n ? n : 1) * 8);
  if (d == NULL) {
    out->oom = true;
    return;
  }
  uint64_t g = 0;
  for (uint32_t i = 0; i < n; i++) {
    d[i] = nulls && col_bit(nulls, i) ? 0 : (uint64_t)v[i] - (uint64_t)mn;
    if (d[i] > maxd) maxd = d[i];
    /* g = gcd(g, d[i]); once 1 it stays 1 (not two 64-bit divisions a
    ** value more: a merge encodes every row of its segment) */
    for (uint64_t a = g == 1 ? 0 : d[i]; a;) {
      uint64_t t = g % a;
      g = a;
      a = t;
    }
  }
  if (g == 0) g = 1;
  for (uint32_t i = 0; g > 1 && i < n; i++) d[i] /= g;
  uint8_t w = col_for_width(maxd / g);
  add_le64(out, (uint64_t)mn);
  add_le64(out, g);
  buf_addc(out, (char)w);
  col_pack(d, n, w, out);
  free(d);
}

/* Decode a frame of reference (encode_for) of n values at *pp into out
** (NULL rows 0).  false if malformed. */
static bool decode_for(const unsigned char **pp, const unsigned char *end,
                       uint32_t n, const uint64_t *nulls, int64_t *out) {
  const unsigned char *p = *pp;
  if (end - p < 17) return false;
  uint64_t mn = get_le64(p), g = get_le64(p + 8);
  uint8_t w = p[16];
  p += 17;
  if (g == 0 || w > 64 ||
      !col_unpack(p, (size_t)(end - p), n, w, (uint64_t *)out))
    return false;
  p += ((size_t)n * w + 63) / 64 * 8;
  for (uint32_t i = 0; i < n; i++)
    out[i] = col_bit(nulls, i) ? 0 : (int64_t)((uint64_t)out[i] * g + mn);
  *pp = p;
  return true;
}

/* The least k (0..4) such that every value of REAL column c is an
** integer over 10^k, exactly; -1 if none. */
static int real_decimals(const col_data *c) {
  for (int k = 0; k < 5; k++) {
    bool ok = true;
    for (uint32_t i = 0; ok && i < c->n; i++) {
      if (col_bit(c->nulls, i)) continue;
      double v = c->f64[i], x = v * p10[k];
      if (!(fabs(x) < 4503599627370496.0)) { /* 2^52; NaN too */
        ok = false;
        break;
      }
      double back = (double)llround(x) / p10[k];
      ok = memcmp(&back, &v, 8) == 0; /* -0.0 does not come back */
    }
    if (ok) return k;
  }
  return -1;
}

void col_encode(const col_data *c, buf_t *out) {
  bool nul = any_null(c);
  buf_addc(out, COL_VERSION);
  buf_addc(out, (char)c->type);
  buf_addc(out, (char)((nul ? 1 : 0) | (c->inexact ? 2 : 0)));
  buf_addc(out, 0);
  add_le32(out, c->n);
  size_t words = COL_WORDS(c->n);
  if (nul)
    for (size_t w = 0; w < words; w++) add_le64(out, c->nulls[w]);
  switch (c->type) {
    case COLT_INT:
    case COLT_TIME: encode_for(c->i64, c->nulls, c->n, out); break;
    case COLT_BOOL:
      for (size_t w = 0; w < words; w++) {
        uint64_t x = 0;
        for (uint32_t b = 0; b < 64 && w * 64 + b < c->n; b++)
          if (c->i64[w * 64 + b]) x |= (uint64_t)1 << b;
        add_le64(out, x);
      }
      break;
    case COLT_REAL: {
      int k = real_decimals(c);
      buf_addc(out, (char)(k < 0 ? 0 : 1));
      if (k < 0) {
        for (uint32_t i = 0; i < c->n; i++) {
          uint64_t x;
          memcpy(&x, &c->f64[i], 8);
          add_le64(out, x);
        }
        break;
      }
      buf_addc(out, (char)k);
      int64_t *iv = malloc((c->n ? c->n : 1) * 8);
      if (iv == NULL) {
        out->oom = true;
        break;
      }
      for (uint32_t i = 0; i < c->n; i++)
        iv[i] = col_bit(c->nulls, i) ? 0 : llround(c->f64[i] * p10[k]);
      encode_for(iv, c->nulls, c->n, out);
      free(iv);
      break;
    }
    case COLT_TEXT: {
      add_le32(out, c->ndict);
      for (uint32_t k = 0; k < c->ndict; k++) {
        uint32_t sh = 0, l = c->dlen[k];
        if (k > 0) {
          const char *a = dict_str(c, k - 1), *b = dict_str(c, k);
          uint32_t m = c->dlen[k - 1] < l ? c->dlen[k - 1] : l;
          while (sh < m && a[sh] == b[sh]) sh++;
        }
        add_varint(out, sh);
        add_varint(out, l - sh);
        buf_add(out, dict_str(c, k) + sh, l - sh);
      }
      uint64_t *d = malloc((c->n ? c->n : 1) * 8);
      if (d == NULL) {
        out->oom = true;
        break;
      }
      for (uint32_t i = 0; i < c->n; i++) d[i] = c->code[i];
      uint8_t w = col_for_width(c->ndict ? c->ndict - 1 : 0);
      buf_addc(out, (char)w);
      col_pack(d, c->n, w, out);
      free(d);
      break;
    }
    case COLT_ID: buf_add(out, c->id, (size_t)c->n * 16); break;
  }
}

#define NEED(k)                                                            \
  do {                                                                     \
    if ((size_t)(end - p) < (size_t)(k)) goto corrupt;                     \
  } while (0)

/* One chunk: the version-1 stored form. */
static int decode_one(const void *data, size_t len, col_data *c, err_t *e) {
  const unsigned char *p = data, *end = p + len;
  memset(c, 0, sizeof *c);
  if (len < 8 || p[0] != COL_VERSION || p[1] > COLT_ID || (p[2] & ~3))
    return err_set(e, REMDB_CORRUPT, "column segment: bad header");
  uint8_t type = p[1], flags = p[2];
  uint32_t n = get_le32(p + 4);
  if (n > (1u << 24))
    return err_set(e, REMDB_CORRUPT, "column segment: %u rows", n);
  p += 8;
  if (!col_init(c, type, n)) {
    col_free(c);
    return err_nomem(e);
  }
  c->inexact = flags & 2;
  size_t words = COL_WORDS(n);
  if (flags & 1) {
    NEED(words * 8);
    for (size_t w = 0; w < words; w++) c->nulls[w] = get_le64(p + 8 * w);
    p += words * 8;
  } else {
    memset(c->nulls, 0, (words ? words : 1) * 8);
  }
  switch (type) {
    case COLT_INT:
    case COLT_TIME:
      if (!decode_for(&p, end, n, c->nulls, c->i64)) goto corrupt;
      break;
    case COLT_BOOL:
      NEED(words * 8);
      for (uint32_t i = 0; i < n; i++)
        c->i64[i] = (get_le64(p + 8 * (i / 64)) >> (i % 64)) & 1;
      p += words * 8;
      break;
    case COLT_REAL: {
      NEED(1);
      uint8_t mode = *p++;
      if (mode == 0) {
        NEED((size_t)n * 8);
        for (uint32_t i = 0; i < n; i++) {
          uint64_t x = get_le64(p + 8 * (size_t)i);
          memcpy(&c->f64[i], &x, 8);
        }
        p += (size_t)n * 8;
        break;
      }
      NEED(1);
      uint8_t k = *p++;
      if (mode != 1 || k > 4) goto corrupt;
      int64_t *d = malloc((n ? n : 1) * 8);
      if (d == NULL) goto nomem;
      if (!decode_for(&p, end, n, c->nulls, d)) {
        free(d);
        goto corrupt;
      }
      for (uint32_t i = 0; i < n; i++)
        c->f64[i] = col_bit(c->nulls, i) ? 0 : (double)d[i] / p10[k];
      free(d);
      break;
    }
    case COLT_TEXT: {
      NEED(4);
      uint32_t nd = get_le32(p);
      p += 4;
      if (nd > n) goto corrupt;
      c->dlen = malloc((nd ? nd : 1) * 4);
      c->doff = malloc((nd ? nd : 1) * 4);
      if (!c->dlen || !c->doff) goto nomem;
      c->capdict = nd;
      for (uint32_t k = 0; k < nd; k++) {
        uint32_t sh, rest;
        if (!get_varint(&p, end, &sh) || !get_varint(&p, end, &rest))
          goto corrupt;
        if ((k == 0 ? sh != 0 : sh > c->dlen[k - 1]) ||
            (uint64_t)sh + rest > UINT32_MAX - 1 ||
            c->arena.len + (uint64_t)sh + rest + 1 > UINT32_MAX)
          goto corrupt;
        uint32_t l = sh + rest;
        NEED(rest);
        if (!buf_reserve(&c->arena, (size_t)l + 1)) goto nomem;
        size_t at = c->arena.len;
        if (sh) memcpy(c->arena.p + at, c->arena.p + c->doff[k - 1], sh);
        memcpy(c->arena.p + at + sh, p, rest);
        c->arena.p[at + l] = 0;
        c->arena.len = at + l + 1;
        c->doff[k] = (uint32_t)at;
        c->dlen[k] = l;
        p += rest;
        c->ndict = k + 1;
        if (k > 0) { /* ascending and unique */
          uint32_t a = c->dlen[k - 1];
          int r = memcmp(dict_str(c, k - 1), dict_str(c, k), a < l ? a : l);
          if (r > 0 || (r == 0 && a >= l)) goto corrupt;
        }
      }
      if (c->arena.oom) goto nomem;
      NEED(1);
      uint8_t w = *p++;
      uint64_t *d = malloc((n ? n : 1) * 8);
      if (d == NULL) goto nomem;
      if (w > 32 || !col_unpack(p, (size_t)(end - p), n, w, d)) {
        free(d);
        goto corrupt;
      }
      p += ((size_t)n * w + 63) / 64 * 8;
      for (uint32_t i = 0; i < n; i++) {
        if (col_bit(c->nulls, i)) {
          c->code[i] = 0;
          continue;
        }
        if (d[i] >= nd) {
          free(d);
          goto corrupt;
        }
        c->code[i] = (uint32_t)d[i];
      }
      free(d);
      if (!dict_pointers(c)) goto nomem;
      break;
    }
    case COLT_ID:
      NEED((size_t)n * 16);
      memcpy(c->id, p, (size_t)n * 16);
      p += (size_t)n * 16;
      break;
  }
  if (p != end) goto corrupt;
  c->sorted = true;
  return REMDB_OK;
corrupt:
  col_free(c);
  return err_set(e, REMDB_CORRUPT, "column segment: truncated or malformed");
nomem:
  col_free(c);
  return err_nomem(e);
}

/* ---- chunks ------------------------------------------------------------- */

/* Bits [0, m) of src into bits [at, at + m) of dst; bits of dst past
** at + m in the words touched become 1 (the next part's, or past the
** column: NULL). */
static void bits_put(uint64_t *dst, uint32_t at, const uint64_t *src,
                     uint32_t m) {
  for (size_t w = 0; w < COL_WORDS(m); w++) {
    uint64_t x = src[w];
    uint32_t left = m - (uint32_t)(w * 64);
    if (left < 64) x |= ~(uint64_t)0 << left;
    uint32_t to = at + (uint32_t)(w * 64), sh = to & 63;
    uint64_t *d = &dst[to >> 6];
    if (sh == 0) {
      d[0] = x;
      continue;
    }
    d[0] = (d[0] & ~(~(uint64_t)0 << sh)) | (x << sh);
    if (left > 64 - sh) d[1] = (d[1] & (~(uint64_t)0 << sh)) | (x >> (64 - sh));
  }
}

static int dict_cmp(const col_data *a, uint32_t i, const col_data *b,
                    uint32_t j) {
  uint32_t la = a->dlen[i], lb = b->dlen[j];
  int r = memcmp(dict_str(a, i), dict_str(b, j), la < lb ? la : lb);
  return r ? r : (la < lb ? -1 : la > lb);
}

/* out's dictionary (fresh, out->code sized) from the sorted dictionaries
** of parts[0..k), merged in one pass into one sorted one (each value
** once), and the parts' codes, remapped, one part after another. */
static bool dict_join(col_data *out, const col_data *parts, uint32_t k) {
  size_t bytes = 0, nd = 0;
  for (uint32_t j = 0; j < k; j++) {
    bytes += parts[j].arena.len;
    nd += parts[j].ndict;
  }
  if (bytes > UINT32_MAX || nd > UINT32_MAX) return false;
  uint32_t **map = calloc(k, sizeof *map);
  uint32_t *head = calloc(k, sizeof *head), *eq = malloc(k * sizeof *eq);
  out->dlen = malloc((nd ? nd : 1) * 4);
  out->doff = malloc((nd ? nd : 1) * 4);
  bool ok = map && head && eq && out->dlen && out->doff &&
            buf_reserve(&out->arena, bytes ? bytes : 1);
  for (uint32_t j = 0; ok && j < k; j++)
    ok = (map[j] = malloc((parts[j].ndict ? parts[j].ndict : 1) * 4)) != NULL;
  uint32_t e = 0;
  while (ok) {
    uint32_t neq = 0; /* the parts whose head is the least value */
    for (uint32_t j = 0; j < k; j++) {
      if (head[j] >= parts[j].ndict) continue;
      int r = neq ? dict_cmp(&parts[j], head[j], &parts[eq[0]], head[eq[0]])
                  : -1;
      if (r < 0) neq = 0;
      if (r <= 0) eq[neq++] = j;
    }
    if (neq == 0) break;
    const col_data *p = &parts[eq[0]];
    uint32_t l = p->dlen[head[eq[0]]];
    char *to = out->arena.p + out->arena.len;
    memcpy(to, dict_str(p, head[eq[0]]), l);
    to[l] = 0;
    out->doff[e] = (uint32_t)out->arena.len;
    out->dlen[e] = l;
    out->arena.len += (size_t)l + 1;
    for (uint32_t q = 0; q < neq; q++) map[eq[q]][head[eq[q]]++] = e;
    e++;
  }
  if (ok) {
    out->ndict = out->capdict = e;
    uint32_t at = 0;
    for (uint32_t j = 0; j < k; j++) {
      const col_data *p = &parts[j];
      for (uint32_t i = 0; i < p->n; i++)
        out->code[at + i] = col_bit(p->nulls, i) ? 0 : map[j][p->code[i]];
      at += p->n;
    }
    ok = dict_pointers(out);
  }
  for (uint32_t j = 0; map && j < k; j++) free(map[j]);
  free(map);
  free(head);
  free(eq);
  return ok;
}

/* parts[0..k) (finished, of one type) one after another into out
** (fresh, finished).  false on OOM or past 2^24 rows (out then freed). */
static bool col_join(col_data *out, const col_data *parts, uint32_t k) {
  uint64_t n = 0;
  bool inexact = false;
  for (uint32_t j = 0; j < k; j++) {
    n += parts[j].n;
    inexact = inexact || parts[j].inexact;
  }
  /* (an arena of a string past 2^32 bytes cannot be: dict_join checks) */
  if (k == 0 || n > (1u << 24) || !col_init(out, parts[0].type, (uint32_t)n)) {
    if (k && n <= (1u << 24)) col_free(out);
    return false;
  }
  out->inexact = inexact;
  uint32_t at = 0;
  size_t esz = out->type == COLT_ID ? 16 : 8;
  for (uint32_t j = 0; j < k; j++) {
    const col_data *p = &parts[j];
    bits_put(out->nulls, at, p->nulls, p->n);
    if (out->type == COLT_REAL)
      memcpy(out->f64 + at, p->f64, (size_t)p->n * esz);
    else if (out->type == COLT_ID)
      memcpy(out->id + at, p->id, (size_t)p->n * esz);
    else if (out->type != COLT_TEXT)
      memcpy(out->i64 + at, p->i64, (size_t)p->n * esz);
    at += p->n;
  }
  if (out->type == COLT_TEXT && !dict_join(out, parts, k)) {
    col_free(out);
    return false;
  }
  out->sorted = true;
  return true;
}

bool col_concat(col_data *dst, const col_data *src) {
  if (dst->type != src->type || !dst->sorted || !src->sorted) return false;
  col_data parts[2] = {*dst, *src}, out;
  if (!col_join(&out, parts, 2)) return false;
  col_free(dst);
  *dst = out;
  return true;
}

int col_decode(const void *data, size_t len, col_data *c, err_t *e) {
  const unsigned char *p = data, *end = p + len;
  if (len < 1 || p[0] != COL_VERSION_CHUNKED) return decode_one(data, len, c, e);
  memset(c, 0, sizeof *c);
  if (len < 12 || p[1] > COLT_ID || (p[2] & ~3))
    return err_set(e, REMDB_CORRUPT, "column segment: bad header");
  uint8_t type = p[1], flags = p[2];
  uint32_t n = get_le32(p + 4), nch = get_le32(p + 8);
  /* (a chunk takes at least 12 bytes: its length and header) */
  if (n > (1u << 24) || nch == 0 || nch > (len - 12) / 12)
    return err_set(e, REMDB_CORRUPT, "column segment: %u rows in %u chunks", n,
                   nch);
  p += 12;
  col_data *parts = calloc(nch, sizeof *parts);
  if (parts == NULL) return err_nomem(e);
  uint32_t got = 0;
  uint64_t rows = 0;
  int rc = REMDB_OK;
  for (; got < nch; got++) {
    if (end - p < 4) break;
    uint32_t l = get_le32(p);
    p += 4;
    if ((size_t)(end - p) < l) break;
    rc = decode_one(p, l, &parts[got], e);
    if (rc) break;
    p += l;
    rows += parts[got].n;
    if (parts[got].type != type || rows > n) {
      got++;
      break;
    }
  }
  bool whole = rc == REMDB_OK && got == nch && p == end && rows == n;
  if (rc == REMDB_OK && !whole)
    rc = err_set(e, REMDB_CORRUPT, "column segment: truncated or malformed");
  if (rc == REMDB_OK && nch == 1) {
    *c = parts[0];
    got = 0;
  } else if (rc == REMDB_OK && !col_join(c, parts, nch)) {
    rc = err_nomem(e);
  }
  for (uint32_t j = 0; j < got; j++) col_free(&parts[j]);
  free(parts);
  if (rc == REMDB_OK && (flags & 2)) c->inexact = true;
  return rc;
}

int col_chunk_append(const void *old, size_t olen, const void *chunk,
                     size_t clen, buf_t *out, err_t *e) {
  const unsigned char *o = old, *k = chunk;
  if (clen < 8 || k[0] != COL_VERSION || olen < 8 ||
      (o[0] != COL_VERSION && (o[0] != COL_VERSION_CHUNKED || olen < 12)) ||
      o[1] != k[1] || clen > UINT32_MAX)
    return err_set(e, REMDB_CORRUPT, "column segment: bad header");
  uint64_t n = (uint64_t)get_le32(o + 4) + get_le32(k + 4);
  if (n > (1u << 24))
    return err_set(e, REMDB_CORRUPT, "column segment: %llu rows",
                   (unsigned long long)n);
  unsigned char h[12];
  h[0] = COL_VERSION_CHUNKED;
  h[1] = o[1];
  h[2] = (unsigned char)((o[2] | k[2]) & 3);
  h[3] = 0;
  put_le32(h + 4, (uint32_t)n);
  if (o[0] == COL_VERSION) {
    if (olen > UINT32_MAX)
      return err_set(e, REMDB_CORRUPT, "column segment: bad header");
    put_le32(h + 8, 2);
    if (!buf_reserve(out, 12 + 4 + olen + 4 + clen)) return err_nomem(e);
    buf_add(out, h, 12);
    add_le32(out, (uint32_t)olen);
    buf_add(out, old, olen);
  } else {
    put_le32(h + 8, get_le32(o + 8) + 1);
    if (!buf_reserve(out, olen + 4 + clen)) return err_nomem(e);
    buf_add(out, h, 12);
    buf_add(out, o + 12, olen - 12);
  }
  add_le32(out, (uint32_t)clen);
  buf_add(out, chunk, clen);
  return out->oom ? err_nomem(e) : REMDB_OK;
}

/* ---- zone maps ---------------------------------------------------------- */

static int text_cmp(const col_data *c, uint32_t a, uint32_t b) {
  uint32_t la = c->dlen[a], lb = c->dlen[b];
  int r = memcmp(dict_str(c, a), dict_str(c, b), la < lb ? la : lb);
  return r ? r : (la < lb ? -1 : la > lb);
}

/* (one loop per type, not a switch per row: a merge computes it over
** every row of its segment, per column) */
void col_zone_calc(const col_data *c, const uint64_t *vis, col_zonev *z) {
  memset(z, 0, sizeof *z);
  uint32_t first = c->n; /* the first visible non-NULL row */
  for (uint32_t i = 0; i < c->n; i++) {
    if (vis && !col_bit(vis, i)) continue;
    if (col_bit(c->nulls, i)) {
      z->nulls++;
      continue;
    }
    first = i;
    break;
  }
  if (first == c->n || c->type == COLT_ID) {
    for (uint32_t i = first + (first < c->n); i < c->n; i++)
      if ((!vis || col_bit(vis, i)) && col_bit(c->nulls, i)) z->nulls++;
    return; /* (an ID column has no zone) */
  }
  z->has = true;
#define ZONE_LOOP(BODY)                                                    \
  for (uint32_t i = first + 1; i < c->n; i++) {                           \
    if (vis && !col_bit(vis, i)) continue;                                 \
    if (col_bit(c->nulls, i)) {                                            \
      z->nulls++;                                                          \
      continue;                                                            \
    }                                                                      \
    BODY                                                                   \
  }
  switch (c->type) {
    case COLT_REAL: {
      double mn = c->f64[first], mx = mn;
      ZONE_LOOP({
        double v = c->f64[i];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      })
      z->min.f = mn;
      z->max.f = mx;
      break;
    }
    case COLT_TEXT: {
      uint32_t kmin = c->code[first], kmax = kmin;
      if (c->sorted) { /* a sorted dictionary orders by code */
        ZONE_LOOP({
          uint32_t k = c->code[i];
          if (k < kmin) kmin = k;
          if (k > kmax) kmax = k;
        })
      } else {
        ZONE_LOOP({
          uint32_t k = c->code[i];
          if (text_cmp(c, k, kmin) < 0) kmin = k;
          if (text_cmp(c, k, kmax) > 0) kmax = k;
        })
      }
      z->cmin = kmin;
      z->cmax = kmax;
      break;
    }
    default: {
      int64_t mn = c->i64[first], mx = mn;
      ZONE_LOOP({
        int64_t v = c->i64[i];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      })
      z->min.i = mn;
      z->max.i = mx;
    }
  }
#undef ZONE_LOOP
}

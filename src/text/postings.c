/*
** postings.c: the formats of postings.h and the block cursor.
*/
#include <stdlib.h>
#include <string.h>

#include "postings.h"

/* ---- varints ----------------------------------------------------------- */

void fts_put_varint(buf_t *b, uint64_t v) {
  unsigned char tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (unsigned char)v;
  buf_add(b, tmp, n);
}

bool fts_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
  const uint8_t *p = *pp;
  uint64_t r = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    uint8_t c = *p++;
    if (shift == 63 && c > 1) return false;
    r |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *pp = p;
      *v = r;
      return true;
    }
  }
  return false;
}

static bool get32(const uint8_t **p, const uint8_t *end, uint32_t *v) {
  uint64_t x;
  if (!fts_get_varint(p, end, &x) || x > UINT32_MAX) return false;
  *v = (uint32_t)x;
  return true;
}

static uint64_t zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static int64_t unzigzag(uint64_t v) {
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- impacts -------------------------------------------------------------- */

static int imp_cmp(const void *a, const void *b) {
  const fts_impact *x = a, *y = b;
  if (x->tf != y->tf) return x->tf > y->tf ? -1 : 1; /* tf descending */
  if (x->dl != y->dl) return x->dl < y->dl ? -1 : 1; /* dl ascending */
  return 0;
}

/* The Pareto frontier of p's (tf, dl) pairs (tf descending), at most
** FTS_MAX_IMPACTS of them (neighbours merged into a pair that dominates
** both).  tmp has room for n pairs. */
static uint32_t impacts(const fts_posting *p, size_t n, fts_impact *out,
                        fts_impact *tmp) {
  if (n == 1) { /* a rare term's block */
    out[0] = (fts_impact){p[0].tf, p[0].dl};
    return 1;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t tf = p[i].tf, dl = p[i].dl;
    bool dominated = false;
    for (size_t j = 0; j < m && !dominated; j++)
      dominated = tmp[j].tf >= tf && tmp[j].dl <= dl;
    if (dominated) continue;
    size_t k = 0; /* drop the pairs the new one dominates */
    for (size_t j = 0; j < m; j++)
      if (!(tf >= tmp[j].tf && dl <= tmp[j].dl)) tmp[k++] = tmp[j];
    m = k;
    tmp[m++] = (fts_impact){tf, dl};
  }
  if (m > 16) {
    qsort(tmp, m, sizeof *tmp, imp_cmp);
  } else { /* the usual few: an insertion sort, no calls */
    for (size_t i = 1; i < m; i++) {
      fts_impact v = tmp[i];
      size_t j = i;
      for (; j > 0 && imp_cmp(&v, &tmp[j - 1]) < 0; j--) tmp[j] = tmp[j - 1];
      tmp[j] = v;
    }
  }
  while (m > FTS_MAX_IMPACTS) { /* halve: (tf max, dl min) of each pair */
    size_t k = 0;
    for (size_t i = 0; i < m; i += 2) {
      if (i + 1 < m)
        tmp[k++] = (fts_impact){tmp[i].tf, tmp[i + 1].dl};
      else
        tmp[k++] = tmp[i];
    }
    m = k;
  }
  memcpy(out, tmp, m * sizeof *out);
  return (uint32_t)m;
}

/* ---- blocks ---------------------------------------------------------------- */

/* Positions: within a field, (offset delta << 1); a change of field,
** ((field delta << 1) | 1) and then the offset.  The walk starts at field
** 0, offset 0. */
static inline size_t put_vi(uint8_t *p, uint64_t v) {
  if (v < 0x80) { /* most: a delta, tf, a position's delta */
    *p = (uint8_t)v;
    return 1;
  }
  size_t n = 0;
  do {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  } while (v >= 0x80);
  p[n++] = (uint8_t)v;
  return n;
}

/* The bytes written, or 0 when pos is not strictly ascending or names a
** field >= FTS_MAX_FIELDS (n >= 1 writes at least one byte). */
static size_t put_positions(uint8_t *b, const uint32_t *pos, uint32_t n) {
  uint8_t *s = b;
  uint32_t f = 0, prev = 0;
  for (uint32_t j = 0; j < n; j++) {
    if (j > 0 && pos[j] <= pos[j - 1]) return 0;
    uint32_t pf = pos[j] >> FTS_FIELD_SHIFT;
    uint32_t po = pos[j] & ((1u << FTS_FIELD_SHIFT) - 1);
    if (pf == f) {
      b += put_vi(b, (uint64_t)(po - prev) << 1);
    } else {
      if (pf >= FTS_MAX_FIELDS) return 0;
      b += put_vi(b, ((uint64_t)(pf - f) << 1) | 1);
      b += put_vi(b, po);
      f = pf;
    }
    prev = po;
  }
  return (size_t)(b - s);
}

int fts_block_encode(const fts_posting *p, size_t n, buf_t *out) {
  if (n > UINT32_MAX) return -1;
  bool withpos = n > 0 && p[0].pos != NULL;
  size_t npos = 0; /* (the positions are checked as they are written) */
  for (size_t i = 0; i < n; i++) {
    uint32_t tf = p[i].tf;
    if (tf == 0) return -1;
    if (i > 0 && p[i].doc <= p[i - 1].doc) return -1;
    if ((p[i].pos != NULL) != withpos) return -1;
    npos += tf;
  }
  if (n == 0) {
    buf_addc(out, FTS_FMT_BLOCK);
    fts_put_varint(out, n);
    return 0;
  }
  /* scratch on the stack for a block of one range (the write path's) */
  fts_impact tmpbuf[FTS_BLOCK_SPAN];
  fts_impact *tmp = n <= FTS_BLOCK_SPAN ? tmpbuf : malloc(n * sizeof *tmp);
  if (!tmp) {
    out->oom = true;
    return -2;
  }
  fts_impact imp[FTS_MAX_IMPACTS];
  uint32_t nimp = impacts(p, n, imp, tmp);
  if (tmp != tmpbuf) free(tmp);

  /* sections written in place: worst case 10 bytes per varint */
  size_t dcap = n * 30, pcap = withpos ? npos * 10 + n * 10 : 0;
  uint8_t secbuf[8192];
  uint8_t *sec = dcap + pcap <= sizeof secbuf ? secbuf : malloc(dcap + pcap);
  if (!sec) {
    out->oom = true;
    return -2;
  }
  uint8_t *d = sec, *q = sec + dcap;
  for (size_t i = 0; i < n; i++) {
    if (i > 0) d += put_vi(d, p[i].doc - p[i - 1].doc);
    d += put_vi(d, p[i].tf);
    d += put_vi(d, p[i].dl);
    if (withpos) {
      size_t w = put_positions(q, p[i].pos, p[i].tf);
      if (w == 0) { /* malformed: nothing appended */
        if (sec != secbuf) free(sec);
        return -1;
      }
      q += w;
    }
  }
  size_t dlen = (size_t)(d - sec), plen = (size_t)(q - (sec + dcap));
  uint8_t hdr[48 + FTS_MAX_IMPACTS * 10];
  uint8_t *h = hdr;
  *h++ = FTS_FMT_BLOCK;
  h += put_vi(h, n);
  h += put_vi(h, p[0].doc);
  h += put_vi(h, p[n - 1].doc - p[0].doc);
  h += put_vi(h, nimp);
  for (uint32_t i = 0; i < nimp; i++) {
    h += put_vi(h, imp[i].tf);
    h += put_vi(h, imp[i].dl);
  }
  h += put_vi(h, dlen);
  h += put_vi(h, plen);
  size_t hl = (size_t)(h - hdr);
  if (buf_reserve(out, hl + dlen + plen)) { /* one reserve, three copies */
    char *o = out->p + out->len;
    memcpy(o, hdr, hl);
    memcpy(o + hl, sec, dlen);
    memcpy(o + hl + dlen, sec + dcap, plen);
    out->len += hl + dlen + plen;
  }
  if (sec != secbuf) free(sec);
  return out->oom ? -2 : 0;
}

int fts_block_header(const void *blk, size_t len, fts_block_info *info) {
  const uint8_t *p = blk, *end = p + len;
  memset(info, 0, sizeof *info);
  if (len < 2 || p[0] != FTS_FMT_BLOCK) return -1;
  p++;
  if (!get32(&p, end, &info->n)) return -1;
  if (info->n == 0) return p == end ? 0 : -1;
  uint64_t first, span, dl, pl;
  if (!fts_get_varint(&p, end, &first) || !fts_get_varint(&p, end, &span))
    return -1;
  if (span > FTS_END - 1 - first) return -1;
  if (span < (uint64_t)info->n - 1) return -1; /* docs are distinct */
  info->first = first;
  info->last = first + span;
  if (!get32(&p, end, &info->nimp) || info->nimp == 0 ||
      info->nimp > FTS_MAX_IMPACTS)
    return -1;
  for (uint32_t i = 0; i < info->nimp; i++)
    if (!get32(&p, end, &info->imp[i].tf) ||
        !get32(&p, end, &info->imp[i].dl))
      return -1;
  if (!fts_get_varint(&p, end, &dl) || !fts_get_varint(&p, end, &pl))
    return -1;
  if (dl > (size_t)(end - p) || pl != (size_t)(end - p) - dl) return -1;
  info->docs = p;
  info->docs_len = dl;
  info->pos = p + dl;
  info->pos_len = pl;
  return 0;
}

void fts_block_dec_free(fts_block_dec *d) {
  free(d->doc);
  free(d->tf);
  free(d->dl);
  free(d->posoff);
  free(d->pos);
  memset(d, 0, sizeof *d);
}

static int dec_reserve(fts_block_dec *d, uint32_t n) {
  if (n <= d->cap) return 0;
  uint32_t cap = d->cap ? d->cap : 128;
  while (cap < n) cap *= 2;
  uint64_t *doc = realloc(d->doc, cap * sizeof *doc);
  if (doc) d->doc = doc;
  uint32_t *tf = realloc(d->tf, cap * sizeof *tf);
  if (tf) d->tf = tf;
  uint32_t *dl = realloc(d->dl, cap * sizeof *dl);
  if (dl) d->dl = dl;
  uint32_t *po = realloc(d->posoff, (cap + 1) * sizeof *po);
  if (po) d->posoff = po;
  if (!doc || !tf || !dl || !po) return -2;
  d->cap = cap;
  return 0;
}

int fts_block_decode(const fts_block_info *info, fts_block_dec *d,
                     bool want_pos) {
  d->n = 0;
  d->has_pos = false;
  if (info->n == 0) return 0;
  /* every posting takes at least 2 bytes: a bound before allocating */
  if (info->n > info->docs_len) return -1;
  if (dec_reserve(d, info->n)) return -2;
  const uint8_t *p = info->docs, *end = p + info->docs_len;
  uint64_t doc = info->first;
  for (uint32_t i = 0; i < info->n; i++) {
    if (i > 0) {
      uint64_t delta;
      if (!fts_get_varint(&p, end, &delta) || delta == 0 ||
          delta > info->last - doc)
        return -1;
      doc += delta;
    }
    d->doc[i] = doc;
    if (!get32(&p, end, &d->tf[i]) || d->tf[i] == 0) return -1;
    if (!get32(&p, end, &d->dl[i])) return -1;
  }
  if (p != end || doc != info->last) return -1;
  d->n = info->n;
  if (want_pos) return fts_block_decode_pos(info, d);
  return 0;
}

int fts_block_decode_pos(const fts_block_info *info, fts_block_dec *d) {
  if (d->has_pos) return 0;
  if (info->pos_len == 0) return -1; /* no positions stored */
  size_t total = 0;
  for (uint32_t i = 0; i < d->n; i++) total += d->tf[i];
  if (total > info->pos_len) return -1; /* a position takes >= 1 byte */
  if (total > d->poscap) {
    size_t cap = d->poscap ? d->poscap : 256;
    while (cap < total) cap *= 2;
    uint32_t *np = realloc(d->pos, cap * sizeof *np);
    if (!np) return -2;
    d->pos = np;
    d->poscap = cap;
  }
  const uint8_t *p = info->pos, *end = p + info->pos_len;
  size_t k = 0;
  const uint64_t maxoff = (1u << FTS_FIELD_SHIFT) - 1;
  for (uint32_t i = 0; i < d->n; i++) {
    d->posoff[i] = (uint32_t)k;
    uint64_t f = 0, off = 0;
    for (uint32_t j = 0; j < d->tf[i]; j++) {
      uint64_t v;
      if (!fts_get_varint(&p, end, &v)) return -1;
      if (v & 1) { /* next field */
        f += v >> 1;
        if (v >> 1 == 0 || f >= FTS_MAX_FIELDS) return -1;
        if (!fts_get_varint(&p, end, &off) || off > maxoff) return -1;
      } else {
        if (j > 0 && v == 0) return -1; /* positions ascend */
        off += v >> 1;
        if (off > maxoff) return -1;
      }
      d->pos[k++] = (uint32_t)(f << FTS_FIELD_SHIFT | off);
    }
  }
  d->posoff[d->n] = (uint32_t)k;
  if (p != end) return -1;
  d->has_pos = true;
  return 0;
}

/* ---- merge ---------------------------------------------------------------- */

/* A working list of postings whose positions live in one pool. */
typedef struct pent {
  uint64_t doc;
  uint32_t tf, dl;
  size_t off; /* into pool; SIZE_MAX: no positions */
} pent;

typedef struct plist {
  pent *p;
  size_t n, cap;
  uint32_t *pool;
  size_t npool, poolcap;
  bool nopos, anypos;
} plist;

static void plist_free(plist *l) {
  free(l->p);
  free(l->pool);
  memset(l, 0, sizeof *l);
}

static int plist_push(plist *l, uint64_t doc, uint32_t tf, uint32_t dl,
                      const uint32_t *pos) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    pent *np = realloc(l->p, cap * sizeof *np);
    if (!np) return -2;
    l->p = np;
    l->cap = cap;
  }
  size_t off = SIZE_MAX;
  if (pos) {
    if (l->npool + tf > l->poolcap) {
      size_t cap = l->poolcap ? l->poolcap : 256;
      while (cap < l->npool + tf) cap *= 2;
      uint32_t *np = realloc(l->pool, cap * sizeof *np);
      if (!np) return -2;
      l->pool = np;
      l->poolcap = cap;
    }
    memcpy(l->pool + l->npool, pos, tf * sizeof *pos);
    off = l->npool;
    l->npool += tf;
    l->anypos = true;
  } else {
    l->nopos = true;
  }
  l->p[l->n++] = (pent){doc, tf, dl, off};
  return 0;
}

static const uint32_t *plist_pos(const plist *l, size_t i) {
  return l->p[i].off == SIZE_MAX ? NULL : l->pool + l->p[i].off;
}

/* Decode a block into a plist. */
static int plist_from_block(plist *l, const void *blk, size_t len,
                            fts_block_dec *d) {
  fts_block_info info;
  if (fts_block_header(blk, len, &info)) return -1;
  int rc = fts_block_decode(&info, d, info.pos_len > 0);
  if (rc) return rc;
  for (uint32_t i = 0; i < d->n; i++) {
    rc = plist_push(l, d->doc[i], d->tf[i], d->dl[i],
                    d->has_pos ? d->pos + d->posoff[i] : NULL);
    if (rc) return rc;
  }
  return 0;
}

static int decode_docs(const void *op, size_t len, uint64_t **docs,
                       size_t *n) {
  const uint8_t *p = op, *end = p + len;
  uint64_t cnt, doc;
  *docs = NULL;
  *n = 0;
  if (len < 2 || *p++ != FTS_FMT_DELETE) return -1;
  if (!fts_get_varint(&p, end, &cnt)) return -1;
  if (cnt == 0) return p == end ? 0 : -1;
  if (cnt > (uint64_t)(end - p)) return -1;
  uint64_t *a = malloc(cnt * sizeof *a);
  if (!a) return -2;
  for (uint64_t i = 0; i < cnt; i++) {
    uint64_t v;
    if (!fts_get_varint(&p, end, &v) || (i > 0 && (v == 0 || v > FTS_END - 1 - doc))) {
      free(a);
      return -1;
    }
    doc = i == 0 ? v : doc + v;
    a[i] = doc;
  }
  if (p != end) {
    free(a);
    return -1;
  }
  *docs = a;
  *n = cnt;
  return 0;
}

int fts_block_merge(const void *base, size_t baselen,
                    const void *const *ops, const size_t *oplens, size_t nops,
                    buf_t *out) {
  plist cur = {0}, nxt = {0}, op = {0};
  fts_block_dec d = {0};
  fts_posting *arr = NULL;
  int rc = 0;
  if (base && (rc = plist_from_block(&cur, base, baselen, &d))) goto done;
  for (size_t k = 0; k < nops; k++) {
    const uint8_t *o = ops[k];
    if (oplens[k] < 1) {
      rc = -1;
      goto done;
    }
    if (o[0] == FTS_FMT_DELETE) {
      uint64_t *del;
      size_t ndel;
      if ((rc = decode_docs(o, oplens[k], &del, &ndel))) goto done;
      size_t j = 0;
      for (size_t i = 0; i < cur.n && !rc; i++) {
        while (j < ndel && del[j] < cur.p[i].doc) j++;
        if (j < ndel && del[j] == cur.p[i].doc) continue;
        rc = plist_push(&nxt, cur.p[i].doc, cur.p[i].tf, cur.p[i].dl,
                        plist_pos(&cur, i));
      }
      free(del);
      if (rc) goto done;
    } else {
      plist_free(&op);
      if ((rc = plist_from_block(&op, o, oplens[k], &d))) goto done;
      size_t i = 0, j = 0;
      while ((i < cur.n || j < op.n) && !rc) {
        if (j >= op.n || (i < cur.n && cur.p[i].doc < op.p[j].doc)) {
          rc = plist_push(&nxt, cur.p[i].doc, cur.p[i].tf, cur.p[i].dl,
                          plist_pos(&cur, i));
          i++;
        } else {
          if (i < cur.n && cur.p[i].doc == op.p[j].doc) i++; /* replaced */
          rc = plist_push(&nxt, op.p[j].doc, op.p[j].tf, op.p[j].dl,
                          plist_pos(&op, j));
          j++;
        }
      }
      if (rc) goto done;
    }
    plist_free(&cur);
    cur = nxt;
    memset(&nxt, 0, sizeof nxt);
  }
  if (cur.anypos && cur.nopos) {
    rc = -1; /* postings with and without positions */
    goto done;
  }
  if (cur.n) {
    arr = malloc(cur.n * sizeof *arr);
    if (!arr) {
      rc = -2;
      goto done;
    }
  }
  for (size_t i = 0; i < cur.n; i++)
    arr[i] = (fts_posting){cur.p[i].doc, cur.p[i].tf, cur.p[i].dl,
                           plist_pos(&cur, i)};
  {
    size_t before = out->len;
    rc = fts_block_encode(arr, cur.n, out);
    if (rc == 0 && out->oom) rc = -2;
    if (rc) out->len = before;
  }
done:
  free(arr);
  plist_free(&cur);
  plist_free(&nxt);
  plist_free(&op);
  fts_block_dec_free(&d);
  return rc;
}

int fts_op_upsert(const fts_posting *p, size_t n, buf_t *out) {
  return fts_block_encode(p, n, out);
}

int fts_op_delete(const uint64_t *docs, size_t n, buf_t *out) {
  for (size_t i = 1; i < n; i++)
    if (docs[i] <= docs[i - 1]) return -1;
  buf_addc(out, FTS_FMT_DELETE);
  fts_put_varint(out, n);
  for (size_t i = 0; i < n; i++)
    fts_put_varint(out, i == 0 ? docs[0] : docs[i] - docs[i - 1]);
  return 0;
}

/* ---- term entries ------------------------------------------------------- */

#define FTS_FMT_TERM 1
#define FTS_FMT_TERM_DELTA 2

void fts_term_encode(const fts_term_info *t, buf_t *out) {
  buf_addc(out, FTS_FMT_TERM);
  fts_put_varint(out, t->df);
  fts_put_varint(out, t->cf);
  fts_put_varint(out, t->max_tf);
  fts_put_varint(out, t->min_dl);
}

int fts_term_decode(const void *v, size_t len, fts_term_info *t) {
  const uint8_t *p = v, *end = p + len;
  if (len < 1 || *p++ != FTS_FMT_TERM) return -1;
  if (!fts_get_varint(&p, end, &t->df) || !fts_get_varint(&p, end, &t->cf) ||
      !get32(&p, end, &t->max_tf) || !get32(&p, end, &t->min_dl) || p != end)
    return -1;
  return 0;
}

void fts_term_delta_encode(const fts_term_delta *d, buf_t *out) {
  buf_addc(out, FTS_FMT_TERM_DELTA);
  fts_put_varint(out, zigzag(d->df));
  fts_put_varint(out, zigzag(d->cf));
  fts_put_varint(out, d->max_tf);
  fts_put_varint(out, d->min_dl);
}

int fts_term_delta_decode(const void *v, size_t len, fts_term_delta *d) {
  const uint8_t *p = v, *end = p + len;
  uint64_t df, cf;
  if (len < 1 || *p++ != FTS_FMT_TERM_DELTA) return -1;
  if (!fts_get_varint(&p, end, &df) || !fts_get_varint(&p, end, &cf) ||
      !get32(&p, end, &d->max_tf) || !get32(&p, end, &d->min_dl) || p != end)
    return -1;
  d->df = unzigzag(df);
  d->cf = unzigzag(cf);
  return 0;
}

static int add_signed(uint64_t *x, int64_t d) {
  if (d < 0 && (uint64_t)(-(d + 1)) + 1 > *x) return -1;
  *x += (uint64_t)d;
  return 0;
}

int fts_term_merge(const void *base, size_t baselen,
                   const void *const *ops, const size_t *oplens, size_t nops,
                   buf_t *out) {
  fts_term_info t = {0, 0, 0, UINT32_MAX};
  if (base && fts_term_decode(base, baselen, &t)) return -1;
  for (size_t k = 0; k < nops; k++) {
    const uint8_t *p = ops[k], *end = p + oplens[k];
    if (oplens[k] < 1) return -1;
    if (*p == FTS_FMT_TERM) { /* a full entry: replaces */
      if (fts_term_decode(p, oplens[k], &t)) return -1;
      continue;
    }
    if (*p++ != FTS_FMT_TERM_DELTA) return -1;
    uint64_t df, cf;
    uint32_t mt, md;
    if (!fts_get_varint(&p, end, &df) || !fts_get_varint(&p, end, &cf) ||
        !get32(&p, end, &mt) || !get32(&p, end, &md) || p != end)
      return -1;
    if (add_signed(&t.df, unzigzag(df)) || add_signed(&t.cf, unzigzag(cf)))
      return -1;
    if (mt > t.max_tf) t.max_tf = mt;
    if (md < t.min_dl) t.min_dl = md;
  }
  fts_term_encode(&t, out);
  return out->oom ? -2 : 0;
}

/* ---- table stats -------------------------------------------------------- */

#define FTS_FMT_STATS 1
#define FTS_FMT_STATS_DELTA 2

void fts_stats_encode(const fts_table_stats *s, buf_t *out) {
  buf_addc(out, FTS_FMT_STATS);
  fts_put_varint(out, s->docs);
  fts_put_varint(out, s->tokens);
}

int fts_stats_decode(const void *v, size_t len, fts_table_stats *s) {
  const uint8_t *p = v, *end = p + len;
  if (len < 1 || *p++ != FTS_FMT_STATS) return -1;
  if (!fts_get_varint(&p, end, &s->docs) ||
      !fts_get_varint(&p, end, &s->tokens) || p != end)
    return -1;
  return 0;
}

void fts_stats_delta_encode(int64_t docs, int64_t tokens, buf_t *out) {
  buf_addc(out, FTS_FMT_STATS_DELTA);
  fts_put_varint(out, zigzag(docs));
  fts_put_varint(out, zigzag(tokens));
}

int fts_stats_delta_decode(const void *v, size_t len, int64_t *docs,
                           int64_t *tokens) {
  const uint8_t *p = v, *end = p + len;
  uint64_t d, t;
  if (len < 1 || *p++ != FTS_FMT_STATS_DELTA) return -1;
  if (!fts_get_varint(&p, end, &d) || !fts_get_varint(&p, end, &t) || p != end)
    return -1;
  *docs = unzigzag(d);
  *tokens = unzigzag(t);
  return 0;
}

int fts_stats_merge(const void *base, size_t baselen,
                    const void *const *ops, const size_t *oplens, size_t nops,
                    buf_t *out) {
  fts_table_stats s = {0, 0};
  if (base && fts_stats_decode(base, baselen, &s)) return -1;
  for (size_t k = 0; k < nops; k++) {
    const uint8_t *p = ops[k], *end = p + oplens[k];
    if (oplens[k] < 1) return -1;
    if (*p == FTS_FMT_STATS) {
      if (fts_stats_decode(p, oplens[k], &s)) return -1;
      continue;
    }
    if (*p++ != FTS_FMT_STATS_DELTA) return -1;
    uint64_t d, t;
    if (!fts_get_varint(&p, end, &d) || !fts_get_varint(&p, end, &t) ||
        p != end)
      return -1;
    if (add_signed(&s.docs, unzigzag(d)) || add_signed(&s.tokens, unzigzag(t)))
      return -1;
  }
  fts_stats_encode(&s, out);
  return out->oom ? -2 : 0;
}

/* ---- document lengths ---------------------------------------------------- */

#define FTS_FMT_LENGTHS 1
#define FTS_FMT_LENGTHS_OP 2

void fts_lengths_clear(fts_lengths *l) { memset(l, 0, sizeof *l); }

void fts_lengths_encode(const fts_lengths *l, buf_t *out) {
  buf_addc(out, FTS_FMT_LENGTHS);
  buf_add(out, l->set, sizeof l->set);
  for (unsigned i = 0; i < FTS_BLOCK_SPAN; i++)
    if (fts_lengths_has(l, i)) fts_put_varint(out, l->len[i]);
}

int fts_lengths_decode(const void *v, size_t len, fts_lengths *l) {
  const uint8_t *p = v, *end = p + len;
  fts_lengths_clear(l);
  if (len < 1 + sizeof l->set || *p++ != FTS_FMT_LENGTHS) return -1;
  memcpy(l->set, p, sizeof l->set);
  p += sizeof l->set;
  for (unsigned i = 0; i < FTS_BLOCK_SPAN; i++)
    if (fts_lengths_has(l, i) && !get32(&p, end, &l->len[i])) return -1;
  return p == end ? 0 : -1;
}

void fts_lengths_op(unsigned slot, bool set, uint32_t len, buf_t *out) {
  buf_addc(out, FTS_FMT_LENGTHS_OP);
  fts_put_varint(out, slot);
  buf_addc(out, set ? 1 : 0);
  fts_put_varint(out, set ? len : 0);
}

void fts_lengths_op_slots(const fts_lengths *l, const uint8_t *touched,
                          buf_t *out) {
  buf_addc(out, FTS_FMT_LENGTHS_OP);
  for (unsigned i = 0; i < FTS_BLOCK_SPAN; i++) {
    if (!((touched[i >> 3] >> (i & 7)) & 1)) continue;
    bool set = fts_lengths_has(l, i);
    fts_put_varint(out, i);
    buf_addc(out, set ? 1 : 0);
    fts_put_varint(out, set ? l->len[i] : 0);
  }
}

int fts_lengths_merge(const void *base, size_t baselen,
                      const void *const *ops, const size_t *oplens,
                      size_t nops, buf_t *out) {
  fts_lengths l;
  fts_lengths_clear(&l);
  if (base && fts_lengths_decode(base, baselen, &l)) return -1;
  for (size_t k = 0; k < nops; k++) {
    const uint8_t *p = ops[k], *end = p + oplens[k];
    if (oplens[k] < 1) return -1;
    if (*p == FTS_FMT_LENGTHS) {
      if (fts_lengths_decode(p, oplens[k], &l)) return -1;
      continue;
    }
    if (*p++ != FTS_FMT_LENGTHS_OP) return -1;
    do { /* (slot, set, len) triples, at least one */
      uint64_t slot, v;
      if (!fts_get_varint(&p, end, &slot) || slot >= FTS_BLOCK_SPAN ||
          p >= end)
        return -1;
      uint8_t set = *p++;
      if (set > 1 || !fts_get_varint(&p, end, &v) || v > UINT32_MAX)
        return -1;
      if (set)
        fts_lengths_set(&l, (unsigned)slot, (uint32_t)v);
      else
        fts_lengths_unset(&l, (unsigned)slot);
    } while (p < end);
  }
  fts_lengths_encode(&l, out);
  return out->oom ? -2 : 0;
}

/* ---- the block cursor ----------------------------------------------------- */

typedef struct blockcur {
  fts_cursor c;
  const fts_block_stream_ops *sops;
  void *sctx;
  bool have;        /* a block header is loaded */
  bool decoded;     /* its postings are in dec */
  bool positioned;  /* c.doc is the posting at index i */
  fts_block_info info;
  fts_block_dec dec;
  uint32_t i;
} blockcur;

static void bc_fail(blockcur *b, int err) {
  b->c.err = err;
  b->c.doc = FTS_END;
  b->have = false;
  b->positioned = true;
}

/* Load the header of blk (NULL: end).  false at the end or on error. */
static bool bc_load(blockcur *b, const void *blk, size_t len) {
  b->decoded = false;
  b->positioned = false;
  if (!blk) {
    b->have = false;
    b->c.doc = FTS_END;
    b->positioned = true;
    return false;
  }
  if (fts_block_header(blk, len, &b->info)) {
    bc_fail(b, -1);
    return false;
  }
  b->have = true;
  if (b->c.count) b->c.count->blocks_seen++;
  return true;
}

/* Make the loaded block the first whose last doc >= target (skipping
** empty blocks).  false at the end. */
static bool bc_reach(blockcur *b, uint64_t target) {
  if (!b->have) return false;
  if (b->info.n > 0 && b->info.last >= target) return true;
  size_t len;
  const void *blk = b->sops->seek(b->sctx, target, &len);
  for (;;) {
    if (!bc_load(b, blk, len)) return false;
    if (b->info.n > 0 && b->info.last >= target) return true;
    blk = b->sops->next(b->sctx, &len);
  }
}

static uint64_t bc_advance(fts_cursor *c, uint64_t target) {
  blockcur *b = (blockcur *)c;
  if (b->positioned && c->doc >= target) return c->doc;
  if (!bc_reach(b, target)) return c->doc = FTS_END;
  if (!b->decoded) {
    int rc = fts_block_decode(&b->info, &b->dec, false);
    if (rc) {
      bc_fail(b, rc);
      return FTS_END;
    }
    b->decoded = true;
    b->i = 0;
    if (c->count) {
      c->count->blocks_decoded++;
      c->count->postings_decoded += b->dec.n;
    }
  }
  /* the answer is in this block (its last doc >= target) */
  uint32_t lo = b->positioned ? b->i : 0, hi = b->dec.n - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (b->dec.doc[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  b->i = lo;
  b->positioned = true;
  return c->doc = b->dec.doc[lo];
}

static uint64_t bc_block_max(fts_cursor *c, uint64_t target,
                             const fts_impact **imp, uint32_t *nimp) {
  blockcur *b = (blockcur *)c;
  if (b->positioned) {
    if (c->doc == FTS_END) return FTS_END;
    if (c->doc > target) target = c->doc;
  }
  if (!bc_reach(b, target)) {
    c->doc = FTS_END;
    b->positioned = true;
    return FTS_END;
  }
  if (b->positioned && c->doc < target) b->positioned = false;
  *imp = b->info.imp;
  *nimp = b->info.nimp;
  return b->info.last;
}

static uint32_t bc_tf(fts_cursor *c) {
  blockcur *b = (blockcur *)c;
  return b->dec.tf[b->i];
}

static uint32_t bc_dl(fts_cursor *c) {
  blockcur *b = (blockcur *)c;
  return b->dec.dl[b->i];
}

static const uint32_t *bc_positions(fts_cursor *c) {
  blockcur *b = (blockcur *)c;
  if (!b->dec.has_pos) {
    int rc = fts_block_decode_pos(&b->info, &b->dec);
    if (rc) {
      c->err = rc;
      return NULL;
    }
  }
  return b->dec.pos + b->dec.posoff[b->i];
}

static void bc_close(fts_cursor *c) {
  blockcur *b = (blockcur *)c;
  if (!b) return;
  if (b->sops->close) b->sops->close(b->sctx);
  fts_block_dec_free(&b->dec);
  free(b);
}

static const fts_cursor_ops blockcur_ops = {bc_advance, bc_block_max, bc_tf,
                                            bc_dl, bc_positions, bc_close};

fts_cursor *fts_block_cursor(const fts_block_stream_ops *ops, void *ctx,
                             fts_counters *count) {
  blockcur *b = calloc(1, sizeof *b);
  if (!b) {
    if (ops->close) ops->close(ctx);
    return NULL;
  }
  b->c.ops = &blockcur_ops;
  b->c.count = count;
  b->sops = ops;
  b->sctx = ctx;
  size_t len;
  const void *blk = ops->seek(ctx, 0, &len);
  b->have = true; /* so bc_reach starts from blk */
  if (bc_load(b, blk, len)) bc_advance(&b->c, 0);
  return &b->c;
}

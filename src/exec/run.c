/*
** run.c: running a plan.  Rows come from a source in batches of typed
** vectors (col_vec of colread.h), one per column the plan reads; the
** WHERE is evaluated a batch at a time into bitmaps (three-valued: true
** and NULL bits), then each selected row finds its group in a hash table
** and updates the group's aggregate states.
**
** Sources:
**   columns  core/colread.h: a segment per batch, skipped whole when a
**            zone map shows the WHERE cannot hold for any of its rows
**   rows     core/scan.c under the snapshot: each batch of up to XB_ROWS
**            rows decoded from their records into the same vectors (TEXT
**            as codes into a dictionary of the batch).  A value its
**            column's type cannot hold makes the run give up
**            (REMDB_NOTFOUND: the caller runs the query through SQLite).
**
** Semantics are SQLite's: comparisons apply the column's affinity to the
** constant, as SQLite does before comparing (sqlite3_value_numeric_type,
** sqlite3_value_text); integers compare with reals exactly; text compares
** with memcmp (BINARY); SUM follows sqlite's sumStep/sumFinalize (an
** integer sum until a real or an overflow, "integer overflow" raised),
** AVG and TOTAL are REAL, and the groups come out in key order, as
** SQLite's sorter gives them.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "xplan.h"

/* qsort's comparators read a global: one sort at a time */
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

#define XB_ROWS 1024 /* rows per batch of the row source */
#define NW(n) (((n) + 63) / 64)
#define TAGS(b, col) ((b)->tag ? (b)->tag[col] : NULL)

/* ---- a set of byte strings (groups, DISTINCT) --------------------------- */

typedef struct kset {
  uint32_t *slot; /* index + 1, 0 empty */
  uint32_t cap;   /* power of two */
  uint32_t n;
  uint64_t *hash;
  size_t *off;
  uint32_t *len;
  uint32_t capn;
  buf_t arena;
} kset;

static void kset_free(kset *k) {
  if (k == NULL) return;
  free(k->slot);
  free(k->hash);
  free(k->off);
  free(k->len);
  buf_free(&k->arena);
}

static bool kset_grow(kset *k) {
  uint32_t cap = k->cap ? k->cap * 2 : 64;
  uint32_t *s = calloc(cap, sizeof *s);
  if (s == NULL) return false;
  for (uint32_t i = 0; i < k->n; i++) {
    uint32_t h = (uint32_t)k->hash[i] & (cap - 1);
    while (s[h]) h = (h + 1) & (cap - 1);
    s[h] = i + 1;
  }
  free(k->slot);
  k->slot = s;
  k->cap = cap;
  return true;
}

/* The index of bytes p[0..n) in k, added if new (*added).  -1: no memory. */
static int64_t kset_put(kset *k, const void *p, uint32_t n, bool *added) {
  if (k->cap == 0 || (k->n + 1) * 2 > k->cap)
    if (!kset_grow(k)) return -1;
  uint64_t hv = XXH3_64bits(p, n);
  uint32_t h = (uint32_t)hv & (k->cap - 1);
  while (k->slot[h]) {
    uint32_t i = k->slot[h] - 1;
    if (k->hash[i] == hv && k->len[i] == n &&
        (n == 0 || memcmp(k->arena.p + k->off[i], p, n) == 0)) {
      *added = false;
      return i;
    }
    h = (h + 1) & (k->cap - 1);
  }
  if (k->n == k->capn) {
    uint32_t c = k->capn ? k->capn * 2 : 64;
    uint64_t *nh = realloc(k->hash, c * sizeof *nh);
    if (nh) k->hash = nh;
    size_t *no = realloc(k->off, c * sizeof *no);
    if (no) k->off = no;
    uint32_t *nl = realloc(k->len, c * sizeof *nl);
    if (nl) k->len = nl;
    if (!nh || !no || !nl) return -1;
    k->capn = c;
  }
  uint32_t i = k->n++;
  k->hash[i] = hv;
  k->off[i] = k->arena.len;
  k->len[i] = n;
  buf_add(&k->arena, p, n);
  if (k->arena.oom) return -1;
  k->slot[h] = i + 1;
  *added = true;
  return i;
}

/* ---- values --------------------------------------------------------------- */

/* int vs real, exactly (sqlite3IntFloatCompare) */
static int int_real_cmp(int64_t i, double r) {
  if (isnan(r)) return 1;
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  int64_t y = (int64_t)r;
  if (i < y) return -1;
  if (i > y) return 1;
  double s = (double)i;
  if (s < r) return -1;
  if (s > r) return 1;
  return 0;
}

static int class_of(int type) {
  return type == SQLITE_NULL ? 0
         : type == SQLITE_INTEGER || type == SQLITE_FLOAT ? 1
         : type == SQLITE_TEXT ? 2 : 3;
}

/* SQLite's order of two values (BINARY collation); NULLs first. */
static int xval_cmp(const xval *a, const xval *b) {
  int ca = class_of(a->type), cb = class_of(b->type);
  if (ca != cb) return ca < cb ? -1 : 1;
  if (ca == 0) return 0;
  if (ca == 1) {
    if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER)
      return a->i < b->i ? -1 : a->i > b->i;
    if (a->type == SQLITE_FLOAT && b->type == SQLITE_FLOAT)
      return a->f < b->f ? -1 : a->f > b->f;
    if (a->type == SQLITE_INTEGER) return int_real_cmp(a->i, b->f);
    return -int_real_cmp(b->i, a->f);
  }
  uint32_t n = a->n < b->n ? a->n : b->n;
  int c = n ? memcmp(a->s, b->s, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return a->n < b->n ? -1 : a->n > b->n;
}

/* ---- sources -------------------------------------------------------------- */

typedef struct xbatch {
  uint32_t n;
  const uint64_t *vis; /* NULL: every row */
  col_vec *v;          /* per plan column; type COLV_TEXT for ID too */
  const uint8_t *const *tag; /* COLV_ANY: per column, per row the value's
                             ** SQLITE_INTEGER/FLOAT/TEXT */
} xbatch;

typedef struct xsrc {
  int (*next)(struct xsrc *s, xbatch *b); /* 1 a batch, 0 end, else error */
  void (*close)(struct xsrc *s);
  const xplan *p;
  const bool *need; /* per plan column */
  uint64_t rows, batches, skipped;
  char *msg;
  size_t msglen;
  /* zone-map check, set by the runner: skip segment? */
  bool (*skip)(void *ctx, struct xsrc *s, uint32_t seg);
  void *skip_ctx;
} xsrc;

/* -- the row source -- */

typedef struct rowcol {
  int64_t i64[XB_ROWS];
  double f64[XB_ROWS];
  uint32_t code[XB_ROWS];
  uint64_t nulls[NW(XB_ROWS)];
  /* TEXT: the batch's dictionary */
  kset dict;
  const char **dp;
  uint32_t *dl;
  uint32_t capd;
  uint32_t *codes; /* the column source's ID/TIME codes, owned */
  uint8_t tag[XB_ROWS]; /* XT_ANY */
} rowcol;

typedef struct rowsrc {
  xsrc base;
  remdb *db;
  scan_t *scan;
  rowcol *c; /* per plan column */
  col_vec *v;
  const uint8_t **tags;
  bool done;
} rowsrc;

static int row_value(rowsrc *r, int ci, uint32_t row, const scan_row *sr) {
  const xcol *col = &r->base.p->cols[ci];
  rowcol *c = &r->c[ci];
  rec_field f;
  const char *tp = NULL;
  uint32_t tn = 0;
  char ids[REMDB_ID_LEN + 1];
  if (col->type == XT_ID) {
    uuid_format(&sr->id, ids);
    tp = ids;
    tn = REMDB_ID_LEN;
  } else if (!rec_find(&sr->rv, col->field, &f) || f.type == REC_NULL) {
    c->nulls[row / 64] |= 1ull << (row % 64);
    return 0;
  } else {
    switch (col->type) {
      case XT_ANY: /* as vtab.c x_column gives it, without affinity */
        if (f.type == REC_INT || f.type == REC_TRUE || f.type == REC_FALSE) {
          c->tag[row] = SQLITE_INTEGER;
          c->i64[row] = f.type == REC_INT ? rec_int(&f) : f.type == REC_TRUE;
          return 0;
        }
        if (f.type == REC_REAL) {
          c->tag[row] = SQLITE_FLOAT;
          c->f64[row] = rec_real(&f);
          return 0;
        }
        c->tag[row] = SQLITE_TEXT;
        tp = f.p;
        tn = (uint32_t)f.n;
        break;
      case XT_INT:
        if (f.type != REC_INT) return -1;
        c->i64[row] = rec_int(&f);
        return 0;
      case XT_BOOL:
        if (f.type != REC_TRUE && f.type != REC_FALSE) return -1;
        c->i64[row] = f.type == REC_TRUE;
        return 0;
      case XT_REAL:
        if (f.type == REC_INT) c->f64[row] = (double)rec_int(&f);
        else if (f.type == REC_REAL) c->f64[row] = rec_real(&f);
        else return -1;
        return 0;
      default:
        if (f.type != REC_TEXT && f.type != REC_JSON) return -1;
        tp = f.p;
        tn = (uint32_t)f.n;
    }
  }
  bool added;
  int64_t k = kset_put(&c->dict, tp, tn, &added);
  if (k < 0) return -2;
  c->code[row] = (uint32_t)k;
  return 0;
}

static int row_next(xsrc *s, xbatch *b) {
  rowsrc *r = (rowsrc *)s;
  if (r->done) return 0;
  const xplan *p = s->p;
  for (int ci = 0; ci < p->ncols; ci++) {
    if (!s->need[ci]) continue;
    rowcol *c = &r->c[ci];
    memset(c->nulls, 0, sizeof c->nulls);
    kset *d = &c->dict;
    if (d->n) {
      memset(d->slot, 0, d->cap * sizeof *d->slot);
      d->n = 0;
      buf_reset(&d->arena);
    }
  }
  uint32_t n = 0;
  while (n < XB_ROWS) {
    const scan_row *sr;
    int rc = scan_step(r->scan, &sr);
    if (rc == REMDB_DONE) {
      r->done = true;
      break;
    }
    if (rc != REMDB_ROW) {
      snprintf(s->msg, s->msglen, "%s", remdb_errmsg(r->db));
      return rc;
    }
    for (int ci = 0; ci < p->ncols; ci++) {
      if (!s->need[ci]) continue;
      int e = row_value(r, ci, n, sr);
      if (e == -2) return REMDB_NOMEM;
      if (e < 0) {
        snprintf(s->msg, s->msglen,
                 "a value of %s that its column's type does not hold",
                 p->cols[ci].name);
        return REMDB_NOTFOUND;
      }
    }
    n++;
  }
  if (n == 0) return 0;
  for (int ci = 0; ci < p->ncols; ci++) {
    if (!s->need[ci]) continue;
    rowcol *c = &r->c[ci];
    col_vec *v = &r->v[ci];
    memset(v, 0, sizeof *v);
    v->n = n;
    v->nulls = c->nulls;
    switch (p->cols[ci].type) {
      case XT_INT: v->type = COLV_INT; v->i64 = c->i64; break;
      case XT_BOOL: v->type = COLV_BOOL; v->i64 = c->i64; break;
      case XT_REAL: v->type = COLV_REAL; v->f64 = c->f64; break;
      default: {
        v->type = p->cols[ci].type == XT_ANY ? COLV_ANY : COLV_TEXT;
        v->i64 = c->i64;
        v->f64 = c->f64;
        r->tags[ci] = c->tag;
        v->code = c->code;
        kset *d = &c->dict;
        if (d->n > c->capd) {
          const char **np = realloc(c->dp, d->n * sizeof *np);
          if (np) c->dp = np;
          uint32_t *nl = realloc(c->dl, d->n * sizeof *nl);
          if (nl) c->dl = nl;
          if (!np || !nl) return REMDB_NOMEM;
          c->capd = d->n;
        }
        for (uint32_t k = 0; k < d->n; k++) {
          c->dp[k] = d->arena.p + d->off[k];
          c->dl[k] = d->len[k];
        }
        v->dict = c->dp;
        v->dict_len = c->dl;
        v->ndict = d->n;
      }
    }
  }
  b->n = n;
  b->vis = NULL;
  b->v = r->v;
  b->tag = r->tags;
  s->rows += n;
  s->batches++;
  return 1;
}

/* Free n per-column text states (rows' and deltas' dictionaries) and the
** array itself; NULL is a no-op. */
static void rowcols_free(rowcol *c, int n) {
  for (int ci = 0; c && ci < n; ci++) {
    kset_free(&c[ci].dict);
    free(c[ci].dp);
    free(c[ci].dl);
  }
  free(c);
}

static void row_close(xsrc *s) {
  rowsrc *r = (rowsrc *)s;
  scan_close(r->scan);
  rowcols_free(r->c, s->p->ncols);
  free(r->v);
  free(r->tags);
  free(r);
}

static int row_open(remdb *db, const snap_t *snap, const xplan *p,
                    const bool *need, xsrc **out) {
  rowsrc *r = calloc(1, sizeof *r);
  if (r == NULL) return REMDB_NOMEM;
  r->db = db;
  r->base.next = row_next;
  r->base.close = row_close;
  r->base.p = p;
  r->base.need = need;
  r->c = calloc((size_t)p->ncols + 1, sizeof *r->c);
  r->v = calloc((size_t)p->ncols + 1, sizeof *r->v);
  r->tags = calloc((size_t)p->ncols + 1, sizeof *r->tags);
  if (r->c == NULL || r->v == NULL || r->tags == NULL) {
    row_close(&r->base);
    return REMDB_NOMEM;
  }
  scan_spec sp = {.kind = SCAN_ALL, .deleted = p->all};
  int rc = scan_open(db, snap, p->t, &sp, &r->scan);
  if (rc) {
    row_close(&r->base);
    return rc;
  }
  *out = &r->base;
  return 0;
}

/* -- the column source (core/colread.h) -- */

typedef struct colsrc {
  xsrc base;
  remdb *db;
  col_reader *rd;
  int *cno; /* per plan column: the reader's column */
  col_vec *v;
  uint32_t seg, nsegs;
  /* ID and TIME vectors as text */
  rowcol *tx;
  /* a segment with deltas: zone maps of the vectors read (vz per plan
  ** column), which the skip check then uses (vzone) */
  col_zone *vz;
  bool vzone;
} colsrc;

/* The zone map of vector v over the visible rows vis (as colr_zone gives
** it; ID vectors have none). */
static void vec_zone(const col_vec *v, const uint64_t *vis, col_zone *z) {
  memset(z, 0, sizeof *z);
  z->rows = v->n;
  int64_t imin = INT64_MAX, imax = INT64_MIN;
  double fmin = INFINITY, fmax = -INFINITY;
  uint32_t cmin = UINT32_MAX, cmax = 0;
  for (uint32_t r = 0; r < v->n; r++) {
    if (!(vis[r / 64] >> (r % 64) & 1)) continue;
    if (v->nulls && (v->nulls[r / 64] >> (r % 64) & 1)) {
      z->nulls++;
      continue;
    }
    z->has = true;
    switch (v->type) {
      case COLV_REAL:
        fmin = v->f64[r] < fmin ? v->f64[r] : fmin;
        fmax = v->f64[r] > fmax ? v->f64[r] : fmax;
        break;
      case COLV_TEXT:
        cmin = v->code[r] < cmin ? v->code[r] : cmin;
        cmax = v->code[r] > cmax ? v->code[r] : cmax;
        break;
      case COLV_ID: break;
      default:
        imin = v->i64[r] < imin ? v->i64[r] : imin;
        imax = v->i64[r] > imax ? v->i64[r] : imax;
    }
  }
  if (!z->has) return;
  if (v->type == COLV_REAL) {
    z->min.f = fmin;
    z->max.f = fmax;
  } else if (v->type == COLV_TEXT) { /* dictionaries are in BINARY order */
    z->smin = v->dict[cmin];
    z->nsmin = v->dict_len[cmin];
    z->smax = v->dict[cmax];
    z->nsmax = v->dict_len[cmax];
  } else {
    z->min.i = imin;
    z->max.i = imax;
  }
}

static int col_next(xsrc *s, xbatch *b) {
  colsrc *c = (colsrc *)s;
  const xplan *p = s->p;
  for (; c->seg < c->nsegs; c->seg++) {
    /* a segment without deltas: its stored zone maps; with deltas (whose
    ** zone maps colr_zone would decode the column for), those of the
    ** vectors once read */
    bool plain = colr_plain(c->rd, c->seg);
    if (s->skip && plain && s->skip(s->skip_ctx, s, c->seg)) {
      s->skipped++;
      continue;
    }
    const uint64_t *vis;
    uint32_t n;
    int rc = colr_visible(c->rd, c->seg, &vis, &n);
    if (rc) {
      snprintf(s->msg, s->msglen, "%s", remdb_errmsg(c->db));
      return rc;
    }
    for (int ci = 0; ci < p->ncols; ci++) {
      if (!s->need[ci]) continue;
      rc = colr_read(c->rd, c->seg, c->cno[ci], &c->v[ci]);
      if (rc) {
        snprintf(s->msg, s->msglen, "%s", remdb_errmsg(c->db));
        return rc;
      }
    }
    if (s->skip && !plain) {
      if (c->vz == NULL &&
          (c->vz = calloc((size_t)p->ncols + 1, sizeof *c->vz)) == NULL)
        return REMDB_NOMEM;
      for (int ci = 0; ci < p->ncols; ci++)
        if (s->need[ci]) vec_zone(&c->v[ci], vis, &c->vz[ci]);
      c->vzone = true;
      bool skip = s->skip(s->skip_ctx, s, c->seg);
      c->vzone = false;
      if (skip) {
        s->skipped++;
        continue;
      }
    }
    for (int ci = 0; ci < p->ncols; ci++) {
      if (!s->need[ci]) continue;
      col_vec *v = &c->v[ci];
      if (v->type == COLV_TIME || v->type == COLV_ID) {
        /* as the text SQL reads: a dictionary of the segment's values */
        rowcol *t = &c->tx[ci];
        kset *d = &t->dict;
        if (d->n) {
          memset(d->slot, 0, d->cap * sizeof *d->slot);
          d->n = 0;
          buf_reset(&d->arena);
        }
        uint32_t *codes = malloc((size_t)v->n * sizeof *codes + 1);
        if (codes == NULL) return REMDB_NOMEM;
        for (uint32_t r = 0; r < v->n; r++) {
          char txt[REMDB_ID_LEN + TS_LEN + 2];
          uint32_t tn;
          if (v->nulls && (v->nulls[r / 64] >> (r % 64) & 1)) {
            codes[r] = 0;
            continue;
          }
          if (v->type == COLV_TIME) {
            ts_format(v->i64[r], txt);
            tn = TS_LEN;
          } else {
            uuid_format((const uuid16_t *)v->id[r], txt);
            tn = REMDB_ID_LEN;
          }
          bool added;
          int64_t k = kset_put(d, txt, tn, &added);
          if (k < 0) {
            free(codes);
            return REMDB_NOMEM;
          }
          codes[r] = (uint32_t)k;
        }
        free(t->dp);
        free(t->dl);
        t->dp = malloc((d->n + 1) * sizeof *t->dp);
        t->dl = malloc((d->n + 1) * sizeof *t->dl);
        if (!t->dp || !t->dl) {
          free(codes);
          return REMDB_NOMEM;
        }
        for (uint32_t k = 0; k < d->n; k++) {
          t->dp[k] = d->arena.p + d->off[k];
          t->dl[k] = d->len[k];
        }
        t->codes = codes; /* until the next segment */
        v->type = COLV_TEXT;
        v->code = codes;
        v->dict = t->dp;
        v->dict_len = t->dl;
        v->ndict = d->n;
      }
    }
    b->n = n;
    b->vis = vis;
    b->v = c->v;
    b->tag = NULL;
    s->rows += n;
    s->batches++;
    c->seg++;
    return 1;
  }
  return 0;
}

static void col_release_codes(colsrc *c) {
  if (c->tx == NULL) return;
  for (int ci = 0; ci < c->base.p->ncols; ci++) {
    free(c->tx[ci].codes);
    c->tx[ci].codes = NULL;
  }
}

static int col_next_wrap(xsrc *s, xbatch *b) {
  col_release_codes((colsrc *)s);
  return col_next(s, b);
}

static void col_close(xsrc *s) {
  colsrc *c = (colsrc *)s;
  col_release_codes(c);
  colr_close(c->rd);
  rowcols_free(c->tx, s->p->ncols);
  free(c->vz);
  free(c->cno);
  free(c->v);
  free(c);
}

/* A column source over segments [s0, s1) of reader rd (taken over). */
static int col_open(remdb *db, col_reader *rd, const xplan *p,
                    const bool *need, uint32_t s0, uint32_t s1, xsrc **out,
                    char *msg, size_t msglen) {
  colsrc *c = calloc(1, sizeof *c);
  if (c == NULL) {
    colr_close(rd);
    return REMDB_NOMEM;
  }
  c->db = db;
  c->rd = rd;
  c->base.next = col_next_wrap;
  c->base.close = col_close;
  c->base.p = p;
  c->base.need = need;
  c->cno = calloc((size_t)p->ncols + 1, sizeof *c->cno);
  c->v = calloc((size_t)p->ncols + 1, sizeof *c->v);
  c->tx = calloc((size_t)p->ncols + 1, sizeof *c->tx);
  if (!c->cno || !c->v || !c->tx) {
    col_close(&c->base);
    return REMDB_NOMEM;
  }
  for (int ci = 0; ci < p->ncols; ci++) {
    if (!need[ci]) continue;
    int k = colr_find(c->rd, p->cols[ci].name);
    if (k < 0) {
      snprintf(msg, msglen, "column %s has no exact columnar copy",
               p->cols[ci].name);
      col_close(&c->base);
      return REMDB_NOTFOUND;
    }
    enum colv_type ty = colr_type(c->rd, k);
    bool ok;
    switch (p->cols[ci].type) {
      case XT_INT: ok = ty == COLV_INT; break;
      case XT_BOOL: ok = ty == COLV_BOOL || ty == COLV_INT; break;
      case XT_REAL: ok = ty == COLV_REAL; break;
      case XT_ID: ok = ty == COLV_ID || ty == COLV_TEXT; break;
      default: ok = ty == COLV_TEXT || ty == COLV_TIME; break;
    }
    if (!ok) {
      snprintf(msg, msglen, "column %s: its columnar type is not the one "
               "SQL reads", p->cols[ci].name);
      col_close(&c->base);
      return REMDB_NOTFOUND;
    }
    c->cno[ci] = k;
  }
  c->seg = s0;
  c->nsegs = s1;
  *out = &c->base;
  return 0;
}

/* ---- constants -------------------------------------------------------------- */

typedef struct xrun xrun;

/* A constant as compared with column col: the column's affinity applied
** (numeric for INTEGER/REAL columns, text for TEXT ones), as SQLite does
** before a comparison.  Text is copied into run memory. */
typedef struct xconst {
  xval v;
  char *own;
} xconst;

static int make_const(const xcol *col, sqlite3_value *arg, xconst *out) {
  memset(out, 0, sizeof *out);
  sqlite3_value *d = sqlite3_value_dup(arg);
  if (d == NULL) return REMDB_NOMEM;
  int t = sqlite3_value_type(d);
  bool numeric = col->type == XT_INT || col->type == XT_BOOL ||
                 col->type == XT_REAL;
  if (numeric && t == SQLITE_TEXT) t = sqlite3_value_numeric_type(d);
  /* a column without affinity compares with the constant as it is */
  if (!numeric && col->type != XT_ANY &&
      (t == SQLITE_INTEGER || t == SQLITE_FLOAT)) {
    sqlite3_value_text(d); /* stringify as SQLite does */
    t = SQLITE_TEXT;
  }
  out->v.type = t;
  if (t == SQLITE_INTEGER) out->v.i = sqlite3_value_int64(d);
  else if (t == SQLITE_FLOAT) out->v.f = sqlite3_value_double(d);
  else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
    const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(d)
                                     : sqlite3_value_blob(d);
    int n = sqlite3_value_bytes(d);
    out->own = malloc((size_t)n + 1);
    if (out->own == NULL) {
      sqlite3_value_free(d);
      return REMDB_NOMEM;
    }
    if (n) memcpy(out->own, p, (size_t)n);
    out->own[n] = 0;
    out->v.s = out->own;
    out->v.n = (uint32_t)n;
  }
  sqlite3_value_free(d);
  return 0;
}

/* ---- LIKE (SQLite's, case-folding ASCII, without ESCAPE) ------------------- */

static uint32_t utf8_next(const unsigned char **p, const unsigned char *end) {
  uint32_t c = *(*p)++;
  if (c >= 0xc0) {
    c &= c >= 0xf0 ? 0x07 : c >= 0xe0 ? 0x0f : 0x1f;
    while (*p < end && (**p & 0xc0) == 0x80) c = (c << 6) | (*(*p)++ & 0x3f);
  }
  return c;
}

static uint32_t fold(uint32_t c) {
  return c < 0x80 && c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool like(const unsigned char *pat, const unsigned char *pe,
                 const unsigned char *s, const unsigned char *se) {
  while (pat < pe) {
    const unsigned char *pp = pat;
    uint32_t c = utf8_next(&pp, pe);
    if (c == '%') {
      while (pp < pe && (*pp == '%' || *pp == '_')) {
        if (*pp == '_') {
          if (s >= se) return false;
          utf8_next(&s, se);
        }
        pp++;
      }
      if (pp >= pe) return true;
      while (s < se) {
        if (like(pp, pe, s, se)) return true;
        utf8_next(&s, se);
      }
      return false;
    }
    if (s >= se) return false;
    uint32_t d = utf8_next(&s, se);
    if (c != '_' && fold(c) != fold(d)) return false;
    pat = pp;
  }
  return s >= se;
}

/* ---- date buckets ----------------------------------------------------------- */

static bool dig(const char *s, int a, int b) {
  for (int i = a; i < b; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}
static int num2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* Is s a date-time whose date() is its first 10 characters, as SQLite
** computes it?  (The canonical form of every stored date-time.) */
static bool date_fast(const char *s, uint32_t n) {
  if (n != 10 && n != TS_LEN) return false;
  if (!dig(s, 0, 4) || s[4] != '-' || !dig(s, 5, 7) || s[7] != '-' ||
      !dig(s, 8, 10))
    return false;
  if (memcmp(s, "9999", 4) == 0) return false; /* range edge: ask SQLite */
  int mo = num2(s + 5), d = num2(s + 8);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  if (n == 10) return true;
  return s[10] == 'T' && dig(s, 11, 13) && s[13] == ':' && dig(s, 14, 16) &&
         s[16] == ':' && dig(s, 17, 19) && s[19] == '.' && dig(s, 20, 26) &&
         s[26] == 'Z' && num2(s + 11) < 24 && num2(s + 14) < 60 &&
         num2(s + 17) < 60;
}

/* ---- the run -------------------------------------------------------------- */

/* The state of aggregate a of group g: the hot part (counts and sums,
** updated per row: compact, so a group's states share a cache line) and
** the rest (MIN/MAX, COUNT(DISTINCT)), at [g * naggs + a]. */
typedef struct aggh {
  int64_t cnt, isum;
  double rsum;
  uint8_t approx, overflow;
} aggh;

typedef struct aggst {
  uint8_t has;
  xval best; /* MIN/MAX; text in own */
  char *own;
  uint32_t owncap;
  kset *ds; /* COUNT(DISTINCT) */
} aggst;

struct xresult {
  kset *index;    /* key bytes of slot 0 -> row (exec_result_lookup) */
  uint8_t keytype; /* xcol_type of a plain first key, else XT_ANY */
  uint64_t ngroups;
  int nslots;
  xval *vals;     /* ngroups * nslots */
  buf_t arena;    /* their text */
  char **owned;   /* text pointers held by aggst (freed with result) */
};

/* A value a SUM, TOTAL or AVG adds, in row order (a parallel run: the
** sums are added up after the scan, in row order, as SQLite adds them). */
typedef struct slog {
  uint32_t *g;  /* the group */
  uint64_t *v;  /* the value: int64_t, or a double's bits when real */
  size_t n, cap;
  bool real;    /* the column's type, one per run */
} slog;

struct xrun {
  const xplan *p;
  remdb *db;
  xconst *consts; /* per plan argument, per the column it is used with */
  int nconsts;
  /* per batch scratch */
  uint64_t *bits; /* stack of bitmaps: 2 per predicate */
  uint32_t nw;
  uint64_t *sel;  /* the batch's selected rows */
  uint32_t *idx;  /* their numbers */
  uint32_t *gid;  /* their groups */
  int64_t *gmap;  /* dense keys: local key number -> group, -1 unknown */
  size_t capgmap;
  /* a single text key: the groups of text keys in key order, which a
  ** segment's dictionary (in the same order) is merged with */
  uint32_t *sorted;
  uint32_t nsorted, capsorted, sortedn; /* sortedn: groups.n covered */
  /* groups */
  kset groups;
  aggh *h;        /* ngroups * naggs */
  aggst *st;      /* ngroups * naggs */
  xval *keys;     /* ngroups * nkeys (text into keyarena) */
  buf_t keyarena; /* not used for pointers: offsets are fixed up at the end */
  size_t *keyoff;
  size_t capkeys;
  buf_t kb;       /* the key bytes of the row */
  bool logsum;    /* SUM/TOTAL/AVG values go to logs (per aggregate) */
  slog *logs;
  /* SQLite for the rare bucket values the fast path does not take */
  sqlite3 *aux;
  sqlite3_stmt *auxst[3];
  char *bk[X_MAX_SLOTS]; /* per key: a bucket SQLite computed, kept */
  uint32_t bkcap[X_MAX_SLOTS];
  char *msg;
  size_t msglen;
  uint64_t skipped, batches, rows; /* of its source */
};

/* -- predicates -- */

static bool vec_null(const col_vec *v, uint32_t r) {
  return v->nulls && (v->nulls[r / 64] >> (r % 64) & 1);
}

static void vec_val(const col_vec *v, const uint8_t *tag, uint32_t r,
                    xval *out) {
  if (vec_null(v, r)) {
    out->type = SQLITE_NULL;
    return;
  }
  if (v->type == COLV_ANY) {
    out->type = tag[r];
    if (tag[r] == SQLITE_INTEGER) out->i = v->i64[r];
    else if (tag[r] == SQLITE_FLOAT) out->f = v->f64[r];
    else {
      out->s = v->dict[v->code[r]];
      out->n = v->dict_len[v->code[r]];
    }
    return;
  }
  switch (v->type) {
    case COLV_INT:
    case COLV_BOOL: out->type = SQLITE_INTEGER; out->i = v->i64[r]; break;
    case COLV_REAL: out->type = SQLITE_FLOAT; out->f = v->f64[r]; break;
    default:
      out->type = SQLITE_TEXT;
      out->s = v->dict[v->code[r]];
      out->n = v->dict_len[v->code[r]];
  }
}

static bool cmp_ok(int c, int cmp) {
  switch (cmp) {
    case XC_EQ: return c == 0;
    case XC_NE: return c != 0;
    case XC_LT: return c < 0;
    case XC_LE: return c <= 0;
    case XC_GT: return c > 0;
    default: return c >= 0;
  }
}

/* Truth of a leaf for one non-NULL value: 1 true, 0 false, -1 NULL. */
static int leaf_value(xrun *x, const xpred *pr, const xval *v) {
  const xconst *c = &x->consts[pr->arg];
  switch (pr->op) {
    case XP_CMP:
      if (c->v.type == SQLITE_NULL) return -1;
      return cmp_ok(xval_cmp(v, &c->v), pr->cmp);
    case XP_IS: {
      bool eq = c->v.type != SQLITE_NULL && xval_cmp(v, &c->v) == 0;
      return eq != pr->neg;
    }
    case XP_IN: {
      bool null = false;
      for (int k = 0; k < pr->narg; k++) {
        const xconst *e = &x->consts[pr->arg + k];
        if (e->v.type == SQLITE_NULL) null = true;
        else if (xval_cmp(v, &e->v) == 0) return !pr->neg;
      }
      return null ? -1 : pr->neg;
    }
    case XP_BETWEEN: {
      const xconst *lo = c, *hi = &x->consts[pr->arg + 1];
      int a = lo->v.type == SQLITE_NULL ? -1 : xval_cmp(v, &lo->v) >= 0;
      int b = hi->v.type == SQLITE_NULL ? -1 : xval_cmp(v, &hi->v) <= 0;
      int r = (a == 0 || b == 0) ? 0 : (a == 1 && b == 1) ? 1 : -1;
      return r < 0 ? -1 : (r == 1) != pr->neg;
    }
    case XP_ISNULL: return pr->neg;
    case XP_LIKE: {
      if (c->v.type == SQLITE_NULL) return -1;
      /* the pattern as text */
      char buf[64];
      const char *ps = c->v.s;
      size_t pn = c->v.n;
      if (c->v.type == SQLITE_INTEGER) {
        pn = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)c->v.i);
        ps = buf;
      } else if (c->v.type == SQLITE_FLOAT) {
        sqlite3_snprintf(sizeof buf, buf, "%!.15g", c->v.f);
        ps = buf;
        pn = strlen(buf);
      }
      bool m = like((const unsigned char *)ps, (const unsigned char *)ps + pn,
                    (const unsigned char *)v->s,
                    (const unsigned char *)v->s + v->n);
      return m != pr->neg;
    }
    default: return -1;
  }
}

/* Truth of a leaf for a NULL value. */
static int leaf_null(xrun *x, const xpred *pr) {
  switch (pr->op) {
    case XP_IS: {
      bool eq = x->consts[pr->arg].v.type == SQLITE_NULL;
      return eq != pr->neg;
    }
    case XP_ISNULL: return !pr->neg;
    case XP_IN: return pr->narg == 0 ? pr->neg : -1;
    default: return -1;
  }
}

/* Evaluate predicate pi over batch b into T and N bitmaps (at depth d of
** the scratch stack). */
static void eval(xrun *x, const xbatch *b, int pi, int d, uint64_t **T,
                 uint64_t **N) {
  const xpred *pr = &x->p->preds[pi];
  uint32_t nw = x->nw;
  uint64_t *t = x->bits + (size_t)d * 2 * nw, *nl = t + nw;
  *T = t;
  *N = nl;
  if (pr->op == XP_AND || pr->op == XP_OR) {
    uint64_t *ta, *na, *tb, *nb;
    eval(x, b, pr->a, d + 1, &ta, &na);
    /* copy a's result down before b overwrites the level */
    memcpy(t, ta, nw * 8);
    memcpy(nl, na, nw * 8);
    eval(x, b, pr->b, d + 1, &tb, &nb);
    for (uint32_t w = 0; w < nw; w++) {
      uint64_t fa = ~t[w] & ~nl[w], fb = ~tb[w] & ~nb[w];
      uint64_t tt, ff;
      if (pr->op == XP_AND) {
        tt = t[w] & tb[w];
        ff = fa | fb;
      } else {
        tt = t[w] | tb[w];
        ff = fa & fb;
      }
      t[w] = tt;
      nl[w] = ~(tt | ff);
    }
    return;
  }
  if (pr->op == XP_NOT) {
    uint64_t *ta, *na;
    eval(x, b, pr->a, d + 1, &ta, &na);
    for (uint32_t w = 0; w < nw; w++) {
      t[w] = ~ta[w] & ~na[w];
      nl[w] = na[w];
    }
    return;
  }
  memset(t, 0, nw * 8);
  memset(nl, 0, nw * 8);
  const col_vec *v = &b->v[pr->col];
  int rnull = leaf_null(x, pr);
  uint32_t n = b->n, bw = NW(n);
  if (v->type == COLV_TEXT) {
    /* once per dictionary entry, then a code lookup per row */
    int8_t small[257];
    int8_t *res = v->ndict < 256 ? small : malloc((size_t)v->ndict + 1);
    if (res != NULL) {
      for (uint32_t k = 0; k < v->ndict; k++) {
        xval e = {SQLITE_TEXT, 0, 0, v->dict[k], v->dict_len[k]};
        res[k] = (int8_t)leaf_value(x, pr, &e);
      }
      res[v->ndict] = 0; /* the code of a NULL row may be any */
      const uint32_t *code = v->code;
      uint32_t nd = v->ndict;
      for (uint32_t w = 0; w < bw; w++) {
        uint32_t r0 = w * 64, r1 = r0 + 64 < n ? r0 + 64 : n;
        uint64_t tw = 0, fw = 0;
        for (uint32_t r = r0; r < r1; r++) {
          uint32_t k = code[r] < nd ? code[r] : nd;
          int o = res[k];
          tw |= (uint64_t)(o > 0) << (r - r0);
          fw |= (uint64_t)(o < 0) << (r - r0);
        }
        if (v->nulls) {
          uint64_t nm = v->nulls[w];
          tw &= ~nm;
          fw &= ~nm;
          if (rnull > 0) tw |= nm;
          else if (rnull < 0) fw |= nm;
        }
        t[w] = tw;
        nl[w] = fw;
      }
      if (res != small) free(res);
      return;
    }
    for (uint32_t r = 0; r < n; r++) { /* no memory for the table */
      int o;
      if (vec_null(v, r)) o = rnull;
      else {
        xval e;
        vec_val(v, NULL, r, &e);
        o = leaf_value(x, pr, &e);
      }
      if (o > 0) t[r / 64] |= 1ull << (r % 64);
      else if (o < 0) nl[r / 64] |= 1ull << (r % 64);
    }
    return;
  }
  /* numbers: a range of an integer column, or of a real one, with plain
  ** integer or real constants: a tight loop without branches */
  const xconst *c = &x->consts[pr->arg];
  const xconst *c2 = pr->op == XP_BETWEEN ? &x->consts[pr->arg + 1] : NULL;
  bool num = (pr->op == XP_CMP || pr->op == XP_BETWEEN) &&
             (c->v.type == SQLITE_INTEGER || c->v.type == SQLITE_FLOAT) &&
             (c2 == NULL || c2->v.type == SQLITE_INTEGER ||
              c2->v.type == SQLITE_FLOAT);
  bool neg = pr->op == XP_BETWEEN ? pr->neg : pr->cmp == XC_NE;
  if (num && (v->type == COLV_INT || v->type == COLV_BOOL) &&
      c->v.type == SQLITE_INTEGER &&
      (c2 == NULL || c2->v.type == SQLITE_INTEGER)) {
    /* the rows in [lo, hi] (or out of it: neg) */
    int64_t k = c->v.i, lo = INT64_MIN, hi = INT64_MAX;
    bool empty = false;
    if (c2) {
      lo = k;
      hi = c2->v.i;
      empty = lo > hi;
    } else {
      switch (pr->cmp) {
        case XC_EQ: case XC_NE: lo = hi = k; break;
        case XC_LT: empty = k == INT64_MIN; hi = k - !empty; break;
        case XC_LE: hi = k; break;
        case XC_GT: empty = k == INT64_MAX; lo = k + !empty; break;
        default: lo = k; break;
      }
    }
    const int64_t *a = v->i64;
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    for (uint32_t w = 0; w < bw; w++) {
      uint32_t r0 = w * 64, r1 = r0 + 64 < n ? r0 + 64 : n;
      uint64_t tw = 0;
      if (!empty)
        for (uint32_t r = r0; r < r1; r++)
          tw |= (uint64_t)((uint64_t)a[r] - (uint64_t)lo <= span) << (r - r0);
      if (neg) tw = ~tw;
      if (v->nulls) {
        tw &= ~v->nulls[w];
        nl[w] = v->nulls[w];
      }
      t[w] = tw;
    }
    return;
  }
  if (num && v->type == COLV_REAL) {
    /* the constants as doubles, when exactly so (an integer beyond 2^53
    ** compares exactly only through SQLite's own comparison) */
    double d1 = c->v.type == SQLITE_FLOAT ? c->v.f : (double)c->v.i;
    double d2 = !c2 ? 0 : c2->v.type == SQLITE_FLOAT ? c2->v.f : (double)c2->v.i;
    bool exact = (c->v.type == SQLITE_FLOAT ||
                  (c->v.i >= -(1ll << 53) && c->v.i <= (1ll << 53))) &&
                 (!c2 || c2->v.type == SQLITE_FLOAT ||
                  (c2->v.i >= -(1ll << 53) && c2->v.i <= (1ll << 53))) &&
                 !isnan(d1) && !isnan(d2);
    if (exact) {
      double lo = -INFINITY, hi = INFINITY;
      bool los = false, his = false; /* strict bounds */
      if (c2) {
        lo = d1;
        hi = d2;
      } else {
        switch (pr->cmp) {
          case XC_EQ: case XC_NE: lo = hi = d1; break;
          case XC_LT: hi = d1; his = true; break;
          case XC_LE: hi = d1; break;
          case XC_GT: lo = d1; los = true; break;
          default: lo = d1; break;
        }
      }
      const double *a = v->f64;
      for (uint32_t w = 0; w < bw; w++) {
        uint32_t r0 = w * 64, r1 = r0 + 64 < n ? r0 + 64 : n;
        uint64_t tw = 0;
        for (uint32_t r = r0; r < r1; r++) {
          double f = a[r];
          bool o = (los ? f > lo : f >= lo) & (his ? f < hi : f <= hi);
          tw |= (uint64_t)o << (r - r0);
        }
        if (neg) tw = ~tw;
        if (v->nulls) {
          tw &= ~v->nulls[w];
          nl[w] = v->nulls[w];
        }
        t[w] = tw;
      }
      return;
    }
  }
  for (uint32_t r = 0; r < n; r++) {
    int o;
    if (vec_null(v, r)) o = rnull;
    else {
      xval e;
      vec_val(v, TAGS(b, pr->col), r, &e);
      o = leaf_value(x, pr, &e);
    }
    if (o > 0) t[r / 64] |= 1ull << (r % 64);
    else if (o < 0) nl[r / 64] |= 1ull << (r % 64);
  }
}

/* -- keys -- */

/* The bucket of text value v for key k, as SQLite computes it: *out set
** (text pointing into v or the aux statement) or NULL. */
static int bucket(xrun *x, const xkey *k, int ki, const char *s, uint32_t n,
                  xval *out) {
  if (k->kind == XK_SUBSTR) {
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    for (int64_t c = 0; c < k->n && p < e; c++) {
      p++;
      while (p < e && (*p & 0xc0) == 0x80) p++;
    }
    *out = (xval){SQLITE_TEXT, 0, 0, s, (uint32_t)((const char *)p - s)};
    return 0;
  }
  if (date_fast(s, n)) {
    *out = (xval){SQLITE_TEXT, 0, 0, s, k->kind == XK_DATE ? 10u : 7u};
    return 0;
  }
  /* ask SQLite */
  int w = k->kind == XK_DATE ? 0 : 1;
  if (x->aux == NULL &&
      sqlite3_open_v2(":memory:", &x->aux,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
          SQLITE_OK)
    return REMDB_NOMEM;
  if (x->auxst[w] == NULL &&
      sqlite3_prepare_v2(x->aux, w == 0 ? "SELECT date(?1)"
                                        : "SELECT strftime('%Y-%m', ?1)",
                         -1, &x->auxst[w], NULL) != SQLITE_OK)
    return REMDB_NOMEM;
  sqlite3_stmt *st = x->auxst[w];
  sqlite3_reset(st);
  sqlite3_bind_text(st, 1, s, (int)n, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) return REMDB_NOMEM;
  if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
    out->type = SQLITE_NULL;
    return 0;
  }
  /* kept per key: the statement's text goes with its next step */
  uint32_t rn_ = (uint32_t)sqlite3_column_bytes(st, 0);
  if (rn_ + 1 > x->bkcap[ki]) {
    char *nb = realloc(x->bk[ki], rn_ + 1);
    if (nb == NULL) return REMDB_NOMEM;
    x->bk[ki] = nb;
    x->bkcap[ki] = rn_ + 1;
  }
  memcpy(x->bk[ki], sqlite3_column_text(st, 0), rn_);
  out->type = SQLITE_TEXT;
  out->s = x->bk[ki];
  out->n = rn_;
  return 0;
}

/* The value of key k for row r. */
static int key_val(xrun *x, const xbatch *b, int ki, uint32_t r,
                   xval *out) {
  const xkey *k = &x->p->keys[ki];
  const col_vec *v = &b->v[k->col];
  vec_val(v, TAGS(b, k->col), r, out);
  if (k->kind == XK_COL || out->type == SQLITE_NULL) return 0;
  return bucket(x, k, ki, out->s, out->n, out);
}

static void key_bytes(buf_t *kb, const xval *v) {
  /* values SQL finds equal get the same bytes: an integral real within
  ** the integers is keyed as that integer (1 = 1.0, -0.0 = 0) */
  if (v->type == SQLITE_FLOAT && v->f == floor(v->f) &&
      v->f >= -9223372036854775808.0 && v->f < 9223372036854775808.0) {
    int64_t i = (int64_t)v->f;
    buf_addc(kb, (char)SQLITE_INTEGER);
    buf_add(kb, &i, 8);
    return;
  }
  unsigned char tag = (unsigned char)v->type;
  buf_addc(kb, (char)tag);
  if (v->type == SQLITE_INTEGER) buf_add(kb, &v->i, 8);
  else if (v->type == SQLITE_FLOAT) buf_add(kb, &v->f, 8);
  else if (v->type == SQLITE_TEXT) {
    buf_add(kb, &v->n, 4);
    buf_add(kb, v->s, v->n);
  }
}

/* -- groups and aggregates -- */

/* Take e as the MIN/MAX of a (its text copied). */
static int agg_best(aggst *a, const xval *e) {
  a->best = *e;
  a->has = 1;
  if (e->type == SQLITE_TEXT) {
    if (e->n + 1 > a->owncap) {
      char *o = realloc(a->own, e->n + 1);
      if (o == NULL) return REMDB_NOMEM;
      a->own = o;
      a->owncap = e->n + 1;
    }
    if (e->n) memcpy(a->own, e->s, e->n);
    a->best.s = a->own;
  }
  return 0;
}


/* Make room for group g (its keys and states). */
static bool group_room(xrun *x, uint64_t g) {
  const xplan *p = x->p;
  if (g + 1 <= x->capkeys) return true;
  size_t cap = x->capkeys ? x->capkeys * 2 : 64;
  xval *nk = realloc(x->keys, cap * (size_t)(p->nkeys + 1) * sizeof *nk);
  if (nk) x->keys = nk;
  size_t *no = realloc(x->keyoff, cap * (size_t)(p->nkeys + 1) * sizeof *no);
  if (no) x->keyoff = no;
  aggst *ns = realloc(x->st, cap * (size_t)(p->naggs + 1) * sizeof *ns);
  if (ns) x->st = ns;
  aggh *nh = realloc(x->h, cap * (size_t)(p->naggs + 1) * sizeof *nh);
  if (nh) x->h = nh;
  if (!nk || !no || !ns || !nh) return false;
  x->capkeys = cap;
  return true;
}

/* The group of key values kv[] and their key bytes x->kb: its number,
** added (keys copied, states zeroed) when new; -1 out of memory. */
static int64_t group_put(xrun *x, const xval *kv) {
  const xplan *p = x->p;
  if (x->kb.oom) return -1;
  bool added;
  int64_t g = kset_put(&x->groups, x->kb.p, (uint32_t)x->kb.len, &added);
  if (g < 0 || !added) return g;
  if (!group_room(x, (uint64_t)g)) return -1;
  for (int k = 0; k < p->nkeys; k++) {
    xval *d = &x->keys[(size_t)g * (size_t)p->nkeys + (size_t)k];
    *d = kv[k];
    if (kv[k].type == SQLITE_TEXT) {
      x->keyoff[(size_t)g * (size_t)p->nkeys + (size_t)k] = x->keyarena.len;
      buf_add(&x->keyarena, kv[k].s, kv[k].n);
      d->s = NULL; /* fixed up at the end */
    }
  }
  memset(&x->st[(size_t)g * (size_t)p->naggs], 0,
         (size_t)p->naggs * sizeof *x->st);
  memset(&x->h[(size_t)g * (size_t)p->naggs], 0,
         (size_t)p->naggs * sizeof *x->h);
  return x->keyarena.oom ? -1 : g;
}

static int64_t group_of(xrun *x, const xbatch *b, uint32_t r) {
  const xplan *p = x->p;
  buf_reset(&x->kb);
  xval kv[X_MAX_SLOTS];
  for (int k = 0; k < p->nkeys; k++) {
    int rc = key_val(x, b, k, r, &kv[k]);
    if (rc) return -1;
    key_bytes(&x->kb, &kv[k]);
  }
  return group_put(x, kv);
}

/* MIN, MAX (the first of equal values stays) and COUNT(DISTINCT), per row */
static int agg_update(xrun *x, aggh *h, aggst *a, const xagg *g,
                      const xbatch *b, uint32_t r) {
  const col_vec *v = &b->v[g->col];
  if (vec_null(v, r)) return 0;
  xval e;
  vec_val(v, TAGS(b, g->col), r, &e);
  if (g->kind == XG_COUNT_DISTINCT) {
    if (a->ds == NULL && (a->ds = calloc(1, sizeof *a->ds)) == NULL)
      return REMDB_NOMEM;
    buf_reset(&x->kb);
    key_bytes(&x->kb, &e);
    bool added;
    if (x->kb.oom || kset_put(a->ds, x->kb.p, (uint32_t)x->kb.len, &added) < 0)
      return REMDB_NOMEM;
    if (added) h->cnt++;
    return 0;
  }
  if (a->has) {
    int c = xval_cmp(&a->best, &e);
    if (g->kind == XG_MIN ? c <= 0 : c >= 0) return 0;
  }
  return agg_best(a, &e);
}

/* -- zone maps -- */

typedef struct zctx {
  xrun *x;
  colsrc *c;
} zctx;

/* Can predicate pi be true for some row of segment seg?  (false: skip) */
static bool zone_may(zctx *z, uint32_t seg, int pi) {
  const xpred *pr = &z->x->p->preds[pi];
  if (pr->op == XP_AND)
    return zone_may(z, seg, pr->a) && zone_may(z, seg, pr->b);
  if (pr->op == XP_OR)
    return zone_may(z, seg, pr->a) || zone_may(z, seg, pr->b);
  if (pr->neg || (pr->op != XP_CMP && pr->op != XP_BETWEEN &&
                  pr->op != XP_IN && pr->op != XP_ISNULL))
    return true;
  const xcol *col = &z->x->p->cols[pr->col];
  if (col->type == XT_ID) return true;
  col_zone zn;
  if (z->c->vzone) {
    zn = z->c->vz[pr->col];
  } else if (colr_zone(z->c->rd, seg, z->c->cno[pr->col], &zn) != REMDB_OK) {
    err_clear(&z->x->db->err);
    return true;
  }
  if (zn.rows == 0) return false;
  if (pr->op == XP_ISNULL) return zn.nulls > 0;
  if (!zn.has) return false; /* only NULLs: no comparison holds */
  enum colv_type ty = colr_type(z->c->rd, z->c->cno[pr->col]);
  xval lo, hi;
  char lt[TS_LEN + 1], ht[TS_LEN + 1];
  switch (ty) {
    case COLV_INT:
    case COLV_BOOL:
      lo = (xval){SQLITE_INTEGER, zn.min.i, 0, NULL, 0};
      hi = (xval){SQLITE_INTEGER, zn.max.i, 0, NULL, 0};
      break;
    case COLV_REAL:
      lo = (xval){SQLITE_FLOAT, 0, zn.min.f, NULL, 0};
      hi = (xval){SQLITE_FLOAT, 0, zn.max.f, NULL, 0};
      break;
    case COLV_TEXT:
      lo = (xval){SQLITE_TEXT, 0, 0, zn.smin, zn.nsmin};
      hi = (xval){SQLITE_TEXT, 0, 0, zn.smax, zn.nsmax};
      break;
    case COLV_TIME:
      ts_format(zn.min.i, lt);
      ts_format(zn.max.i, ht);
      lo = (xval){SQLITE_TEXT, 0, 0, lt, TS_LEN};
      hi = (xval){SQLITE_TEXT, 0, 0, ht, TS_LEN};
      break;
    default: return true;
  }
  const xconst *c = &z->x->consts[pr->arg];
  if (pr->op == XP_IN) {
    for (int k = 0; k < pr->narg; k++) {
      const xval *e = &z->x->consts[pr->arg + k].v;
      if (e->type != SQLITE_NULL && xval_cmp(e, &lo) >= 0 &&
          xval_cmp(e, &hi) <= 0)
        return true;
    }
    return false;
  }
  if (pr->op == XP_BETWEEN) {
    const xval *a = &c->v, *b = &z->x->consts[pr->arg + 1].v;
    if (a->type == SQLITE_NULL || b->type == SQLITE_NULL) return false;
    return xval_cmp(&hi, a) >= 0 && xval_cmp(&lo, b) <= 0;
  }
  if (c->v.type == SQLITE_NULL) return false;
  switch (pr->cmp) {
    case XC_EQ: return xval_cmp(&c->v, &lo) >= 0 && xval_cmp(&c->v, &hi) <= 0;
    case XC_LT: return xval_cmp(&lo, &c->v) < 0;
    case XC_LE: return xval_cmp(&lo, &c->v) <= 0;
    case XC_GT: return xval_cmp(&hi, &c->v) > 0;
    case XC_GE: return xval_cmp(&hi, &c->v) >= 0;
    default: return true;
  }
}

static bool zone_skip(void *ctx, xsrc *s, uint32_t seg) {
  zctx *z = ctx;
  (void)s;
  return z->x->p->root >= 0 && !zone_may(z, seg, z->x->p->root);
}

/* -- the result -- */

static const xplan *sort_plan;
static const xval *sort_keys;

static int group_order(const void *a, const void *b) {
  uint32_t ga = *(const uint32_t *)a, gb = *(const uint32_t *)b;
  int nk = sort_plan->nkeys;
  for (int k = 0; k < nk; k++) {
    int c = xval_cmp(&sort_keys[(size_t)ga * (size_t)nk + (size_t)k],
                     &sort_keys[(size_t)gb * (size_t)nk + (size_t)k]);
    if (c) return c;
  }
  return ga < gb ? -1 : ga > gb;
}

static int finish(xrun *x, xresult **out) {
  const xplan *p = x->p;
  uint64_t ng = x->groups.n;
  xresult *res = calloc(1, sizeof *res);
  if (res == NULL) return REMDB_NOMEM;
  res->ngroups = ng;
  res->nslots = p->nkeys + p->naggs;
  res->keytype = p->nkeys && p->keys[0].kind == XK_COL
                     ? p->cols[p->keys[0].col].type
                     : XT_ANY;
  res->vals = calloc(ng * (uint64_t)res->nslots + 1, sizeof *res->vals);
  buf_init(&res->arena);
  buf_addc(&res->arena, 0);
  uint32_t *order = malloc((ng + 1) * sizeof *order);
  if (res->vals == NULL || order == NULL) {
    free(order);
    exec_result_free(res);
    return REMDB_NOMEM;
  }
  /* the keys' text stays with the result */
  res->owned = calloc(1, sizeof *res->owned);
  if (res->owned == NULL || x->keyarena.oom) {
    free(order);
    exec_result_free(res);
    return REMDB_NOMEM;
  }
  buf_addc(&x->keyarena, 0); /* never empty: "" keys point into it */
  res->owned[0] = buf_detach(&x->keyarena, NULL);
  if (res->owned[0] == NULL) {
    free(order);
    exec_result_free(res);
    return REMDB_NOMEM;
  }
  for (uint64_t g = 0; g < ng; g++)
    for (int k = 0; k < p->nkeys; k++) {
      xval *d = &x->keys[g * (uint64_t)p->nkeys + (uint64_t)k];
      if (d->type == SQLITE_TEXT)
        d->s = res->owned[0] + x->keyoff[g * (uint64_t)p->nkeys + (uint64_t)k];
    }
  for (uint32_t g = 0; g < ng; g++) order[g] = g;
  if (p->nkeys && ng > 1) {
    pthread_mutex_lock(&sort_mu);
    sort_plan = p;
    sort_keys = x->keys;
    qsort(order, ng, sizeof *order, group_order);
    pthread_mutex_unlock(&sort_mu);
  }
  /* text of MIN/MAX: copied into the result's arena (offsets first) */
  for (uint64_t o = 0; o < ng; o++) {
    uint32_t g = order[o];
    xval *row = &res->vals[o * (uint64_t)res->nslots];
    for (int k = 0; k < p->nkeys; k++)
      row[k] = x->keys[(uint64_t)g * (uint64_t)p->nkeys + (uint64_t)k];
    for (int a = 0; a < p->naggs; a++) {
      aggst *s = &x->st[(uint64_t)g * (uint64_t)p->naggs + (uint64_t)a];
      const aggh *hs = &x->h[(uint64_t)g * (uint64_t)p->naggs + (uint64_t)a];
      xval *v = &row[p->nkeys + a];
      v->type = SQLITE_NULL;
      switch (p->aggs[a].kind) {
        case XG_COUNT_STAR:
        case XG_COUNT:
        case XG_COUNT_DISTINCT:
          v->type = SQLITE_INTEGER;
          v->i = hs->cnt;
          break;
        case XG_SUM:
          if (hs->cnt == 0) break;
          if (hs->overflow) {
            snprintf(x->msg, x->msglen, "integer overflow");
            free(order);
            exec_result_free(res);
            return REMDB_ERROR;
          }
          if (hs->approx) {
            v->type = SQLITE_FLOAT;
            v->f = hs->rsum;
          } else {
            v->type = SQLITE_INTEGER;
            v->i = hs->isum;
          }
          break;
        case XG_TOTAL:
          v->type = SQLITE_FLOAT;
          v->f = hs->rsum;
          break;
        case XG_AVG:
          if (hs->cnt == 0) break;
          v->type = SQLITE_FLOAT;
          v->f = hs->rsum / (double)hs->cnt;
          break;
        default:
          if (!s->has) break;
          *v = s->best;
          if (v->type == SQLITE_TEXT) {
            v->i = (int64_t)res->arena.len; /* offset, fixed below */
            buf_add(&res->arena, v->s, v->n);
            v->s = NULL;
          }
      }
    }
  }
  free(order);
  if (res->arena.oom) {
    exec_result_free(res);
    return REMDB_NOMEM;
  }
  for (uint64_t o = 0; o < ng; o++)
    for (int a = 0; a < p->naggs; a++) {
      xval *v = &res->vals[o * (uint64_t)res->nslots + (uint64_t)(p->nkeys + a)];
      if (v->type == SQLITE_TEXT && v->s == NULL)
        v->s = res->arena.p + v->i;
    }
  *out = res;
  return 0;
}

uint64_t exec_result_rows(const xresult *r) { return r ? r->ngroups : 0; }

void exec_result_get(const xresult *r, uint64_t row, int slot, xval *out) {
  *out = r->vals[row * (uint64_t)r->nslots + (uint64_t)slot];
}

/* The row whose first key equals v as SQL compares them (the key column's
** affinity applied to v): its number, or -1. */
int64_t exec_result_lookup(xresult *r, sqlite3_value *v) {
  if (r->ngroups == 0) return -1;
  if (r->index == NULL) {
    r->index = calloc(1, sizeof *r->index);
    if (r->index == NULL) return -2;
    buf_t kb;
    buf_init(&kb);
    for (uint64_t g = 0; g < r->ngroups; g++) {
      buf_reset(&kb);
      key_bytes(&kb, &r->vals[g * (uint64_t)r->nslots]);
      bool added;
      if (kb.oom || kset_put(r->index, kb.p, (uint32_t)kb.len, &added) < 0 ||
          !added) {
        buf_free(&kb);
        kset_free(r->index);
        free(r->index);
        r->index = NULL;
        return -2;
      }
    }
    buf_free(&kb);
  }
  xcol c = {.type = r->keytype};
  xconst k = {{0}, NULL};
  int vt = sqlite3_value_type(v);
  bool textkey = r->keytype == XT_TEXT || r->keytype == XT_ID;
  bool numkey = r->keytype == XT_INT || r->keytype == XT_BOOL ||
                r->keytype == XT_REAL;
  if (vt == SQLITE_TEXT && textkey) { /* no affinity to apply: no copy */
    k.v.type = SQLITE_TEXT;
    k.v.s = (const char *)sqlite3_value_text(v);
    k.v.n = (uint32_t)sqlite3_value_bytes(v);
    if (k.v.s == NULL) return -2;
  } else if (vt == SQLITE_INTEGER && numkey) {
    k.v.type = SQLITE_INTEGER;
    k.v.i = sqlite3_value_int64(v);
  } else if (make_const(&c, v, &k) != 0) {
    return -2;
  }
  if (k.v.type == SQLITE_NULL || k.v.type == SQLITE_BLOB) {
    free(k.own);
    return -1;
  }
  buf_t kb;
  buf_init(&kb);
  key_bytes(&kb, &k.v);
  free(k.own);
  if (kb.oom) return -2;
  int64_t row = -1;
  kset *x = r->index;
  uint64_t hv = XXH3_64bits(kb.p, kb.len);
  uint32_t h = (uint32_t)hv & (x->cap - 1);
  while (x->slot[h]) {
    uint32_t i = x->slot[h] - 1;
    if (x->hash[i] == hv && x->len[i] == kb.len &&
        memcmp(x->arena.p + x->off[i], kb.p, kb.len) == 0) {
      row = i;
      break;
    }
    h = (h + 1) & (x->cap - 1);
  }
  buf_free(&kb);
  return row;
}

void exec_result_free(xresult *r) {
  if (r == NULL) return;
  kset_free(r->index);
  free(r->index);
  free(r->vals);
  buf_free(&r->arena);
  if (r->owned) free(r->owned[0]);
  free(r->owned);
  free(r);
}

static void mark(const xplan *p, int pi, bool *need) {
  const xpred *pr = &p->preds[pi];
  if (pr->op == XP_AND || pr->op == XP_OR) {
    mark(p, pr->a, need);
    mark(p, pr->b, need);
  } else if (pr->op == XP_NOT) {
    mark(p, pr->a, need);
  } else {
    need[pr->col] = true;
  }
}

static int pred_depth(const xplan *p, int pi) {
  const xpred *pr = &p->preds[pi];
  if (pr->op == XP_AND || pr->op == XP_OR) {
    int a = pred_depth(p, pr->a), b = pred_depth(p, pr->b);
    return 1 + (a > b ? a : b);
  }
  if (pr->op == XP_NOT) return 1 + pred_depth(p, pr->a);
  return 1;
}

/* The column each argument is compared with. */
static void arg_cols(const xplan *p, int pi, int *col) {
  const xpred *pr = &p->preds[pi];
  if (pr->op == XP_AND || pr->op == XP_OR) {
    arg_cols(p, pr->a, col);
    arg_cols(p, pr->b, col);
  } else if (pr->op == XP_NOT) {
    arg_cols(p, pr->a, col);
  } else {
    for (int k = 0; k < pr->narg; k++) col[pr->arg + k] = pr->col;
  }
}

static void describe(const xrun *x, bool columns, int workers, char *desc,
                     size_t desclen) {
  const xplan *p = x->p;
  char keys[160] = "";
  size_t kl = 0;
  static const char *const kn[] = {"%s", "date(%s)", "strftime('%%Y-%%m', %s)",
                                   "substr(%s, 1, N)"};
  for (int k = 0; k < p->nkeys && kl + 1 < sizeof keys; k++) {
    if (k) kl += (size_t)snprintf(keys + kl, sizeof keys - kl, ", ");
    if (kl + 1 >= sizeof keys) break;
    kl += (size_t)snprintf(keys + kl, sizeof keys - kl, kn[p->keys[k].kind],
                           p->cols[p->keys[k].col].name);
  }
  if (kl >= sizeof keys) kl = sizeof keys - 1;
  char scan[160];
  if (columns)
    snprintf(scan, sizeof scan, "scan %s (%llu of %llu segments skipped by "
             "zone maps%s)", p->t->name, (unsigned long long)x->skipped,
             (unsigned long long)(x->skipped + x->batches),
             workers > 1 ? (workers == 2 ? ", 2 threads" : ", threads") : "");
  else
    snprintf(scan, sizeof scan, "scan %s (rows, no columnar copy read)",
             p->t->name);
  if (p->nkeys)
    snprintf(desc, desclen, "columnar: %s, hash aggregate on %s (%llu groups)",
             scan, keys, (unsigned long long)x->groups.n);
  else
    snprintf(desc, desclen, "columnar: %s, aggregate (1 group)", scan);
}

/* ---- a batch: filter, groups, aggregates ---------------------------------- */

/* The text of group g's first key. */
static void gkey_text(const xrun *x, uint32_t g, const char **s, uint32_t *n) {
  const xval *k = &x->keys[(size_t)g * (size_t)x->p->nkeys];
  *s = x->keyarena.p + x->keyoff[(size_t)g * (size_t)x->p->nkeys];
  *n = k->n;
}

static int bytes_cmp(const char *a, uint32_t an, const char *b, uint32_t bn) {
  uint32_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

static const xrun *sort_run;
static int sorted_order(const void *a, const void *b) {
  const char *sa, *sb;
  uint32_t na, nb;
  gkey_text(sort_run, *(const uint32_t *)a, &sa, &na);
  gkey_text(sort_run, *(const uint32_t *)b, &sb, &nb);
  return bytes_cmp(sa, na, sb, nb);
}

/* A dictionary's codes -> the groups already known for them (merge of the
** two sorted lists; the others stay -1). */
static void dict_known(xrun *x, const col_vec *v, int64_t *gmap) {
  uint32_t j = 0;
  for (uint32_t k = 0; k < v->ndict && j < x->nsorted; k++) {
    int c = 1;
    while (j < x->nsorted) {
      const char *gs;
      uint32_t gn;
      gkey_text(x, x->sorted[j], &gs, &gn);
      c = bytes_cmp(gs, gn, v->dict[k], v->dict_len[k]);
      if (c >= 0) break;
      j++;
    }
    if (c == 0) gmap[k] = x->sorted[j++];
  }
}

/* Add the text-keyed groups made since the last call to x->sorted. */
static int sorted_add(xrun *x) {
  uint32_t n0 = x->nsorted, add = 0;
  uint32_t ng = x->groups.n;
  if (ng <= x->sortedn) return 0;
  if (ng > x->capsorted) {
    uint32_t cap = ng * 2;
    uint32_t *ns = realloc(x->sorted, (size_t)cap * 2 * sizeof *ns);
    if (ns == NULL) return REMDB_NOMEM;
    x->sorted = ns;
    x->capsorted = cap;
  }
  uint32_t *nw = x->sorted + x->capsorted; /* the second half: scratch */
  for (uint32_t g = x->sortedn; g < ng; g++)
    if (x->keys[(size_t)g * (size_t)x->p->nkeys].type == SQLITE_TEXT)
      nw[add++] = g;
  x->sortedn = ng;
  if (add == 0) return 0;
  pthread_mutex_lock(&sort_mu);
  sort_run = x;
  qsort(nw, add, sizeof *nw, sorted_order);
  pthread_mutex_unlock(&sort_mu);
  /* merge from the back */
  int64_t i = (int64_t)n0 - 1, j = (int64_t)add - 1, o = (int64_t)(n0 + add) - 1;
  while (j >= 0) {
    if (i >= 0) {
      const char *a, *b;
      uint32_t an, bn;
      gkey_text(x, x->sorted[i], &a, &an);
      gkey_text(x, nw[j], &b, &bn);
      if (bytes_cmp(a, an, b, bn) > 0) {
        x->sorted[o--] = x->sorted[i--];
        continue;
      }
    }
    x->sorted[o--] = nw[j--];
  }
  x->nsorted = n0 + add;
  return 0;
}

/* The group of every selected row (x->idx[0..ns)) into x->gid. */
static int assign_groups(xrun *x, const xbatch *b, uint32_t ns) {
  const xplan *p = x->p;
  const uint32_t *idx = x->idx;
  uint32_t *gid = x->gid;
  if (p->nkeys == 0) {
    memset(gid, 0, (size_t)ns * sizeof *gid);
    return 0;
  }
  /* dense keys: each key's value in the batch as a small number (a
  ** dictionary code, an integer's offset from the batch minimum, or the
  ** NULL slot), their mixed-radix number indexing the group directly */
  uint64_t dim[X_MAX_SLOTS];
  int64_t base[X_MAX_SLOTS];
  bool dense = true;
  uint64_t prod = 1;
  for (int k = 0; dense && k < p->nkeys; k++) {
    const col_vec *v = &b->v[p->keys[k].col];
    if (v->type == COLV_TEXT) {
      dim[k] = (uint64_t)v->ndict + 1;
      base[k] = 0;
    } else if ((v->type == COLV_INT || v->type == COLV_BOOL) &&
               p->keys[k].kind == XK_COL) {
      int64_t mn = INT64_MAX, mx = INT64_MIN;
      for (uint32_t i = 0; i < ns; i++) {
        if (vec_null(v, idx[i])) continue;
        int64_t a = v->i64[idx[i]];
        mn = a < mn ? a : mn;
        mx = a > mx ? a : mx;
      }
      if (mn > mx) mn = mx = 0;
      if ((uint64_t)mx - (uint64_t)mn >= 65536) {
        dense = false;
        break;
      }
      base[k] = mn;
      dim[k] = (uint64_t)(mx - mn) + 2;
    } else {
      dense = false;
      break;
    }
    prod *= dim[k];
    if (prod > 65536 || prod > 4 * (uint64_t)ns + 64) dense = false;
  }
  if (dense && prod > x->capgmap) {
    free(x->gmap);
    x->gmap = malloc(prod * sizeof *x->gmap);
    x->capgmap = x->gmap ? prod : 0;
  }
  if (!dense || x->gmap == NULL) {
    for (uint32_t i = 0; i < ns; i++) {
      int64_t g = group_of(x, b, idx[i]);
      if (g < 0) return REMDB_NOMEM;
      gid[i] = (uint32_t)g;
    }
    return 0;
  }
  int64_t *gmap = x->gmap;
  memset(gmap, 0xff, prod * sizeof *gmap); /* -1 */
  bool text1 = p->nkeys == 1 && p->keys[0].kind == XK_COL &&
               b->v[p->keys[0].col].type == COLV_TEXT;
  if (text1) dict_known(x, &b->v[p->keys[0].col], gmap);
  /* the local key number of every selected row, key by key */
  for (uint32_t i = 0; i < ns; i++) gid[i] = 0;
  for (int k = 0; k < p->nkeys; k++) {
    const col_vec *v = &b->v[p->keys[k].col];
    uint32_t d = (uint32_t)dim[k], nullslot = d - 1;
    if (v->type == COLV_TEXT) {
      const uint32_t *code = v->code;
      if (v->nulls)
        for (uint32_t i = 0; i < ns; i++) {
          uint32_t c = vec_null(v, idx[i]) ? nullslot : code[idx[i]];
          gid[i] = gid[i] * d + (c < nullslot ? c : nullslot);
        }
      else
        for (uint32_t i = 0; i < ns; i++) {
          uint32_t c = code[idx[i]];
          gid[i] = gid[i] * d + (c < nullslot ? c : nullslot);
        }
    } else {
      const int64_t *a = v->i64;
      int64_t bs = base[k];
      if (v->nulls)
        for (uint32_t i = 0; i < ns; i++)
          gid[i] = gid[i] * d + (vec_null(v, idx[i])
                                     ? nullslot
                                     : (uint32_t)(a[idx[i]] - bs));
      else
        for (uint32_t i = 0; i < ns; i++)
          gid[i] = gid[i] * d + (uint32_t)(a[idx[i]] - bs);
    }
  }
  for (uint32_t i = 0; i < ns; i++) {
    int64_t g = gmap[gid[i]];
    if (g < 0) {
      g = group_of(x, b, idx[i]);
      if (g < 0) return REMDB_NOMEM;
      gmap[gid[i]] = g;
    }
    gid[i] = (uint32_t)g;
  }
  return text1 ? sorted_add(x) : 0;
}

/* Room for k more values in l. */
static bool slog_room(slog *l, size_t k) {
  if (l->n + k <= l->cap) return true;
  size_t cap = l->cap ? l->cap * 2 : 65536;
  while (cap < l->n + k) cap *= 2;
  uint32_t *g = realloc(l->g, cap * sizeof *g);
  if (g) l->g = g;
  uint64_t *v = realloc(l->v, cap * sizeof *v);
  if (v) l->v = v;
  if (!g || !v) return false;
  l->cap = cap;
  return true;
}

/* sqlite's sumStep for one value */
static inline void sum_int(aggh *h, int64_t i) {
  h->rsum += (double)i;
  if ((h->approx | h->overflow) == 0 &&
      __builtin_add_overflow(h->isum, i, &h->isum))
    h->approx = h->overflow = 1;
}

/* Aggregate a over the selected rows: typed loops. */
static int agg_batch(xrun *x, const xbatch *b, int a, uint32_t ns) {
  const xplan *p = x->p;
  const xagg *ag = &p->aggs[a];
  size_t na = (size_t)p->naggs;
  aggh *h = x->h + a;
  const uint32_t *idx = x->idx, *gid = x->gid;
  if (ag->kind == XG_COUNT_STAR) {
    if (p->nkeys == 0) h->cnt += ns;
    else
      for (uint32_t i = 0; i < ns; i++) h[gid[i] * na].cnt++;
    return 0;
  }
  const col_vec *v = &b->v[ag->col];
  const uint64_t *nul = v->nulls;
  if (nul) { /* a bitmap without a NULL in the batch is none */
    uint64_t any = 0;
    for (uint32_t w = 0; w < NW(b->n); w++) any |= nul[w];
    if (any == 0) nul = NULL;
  }
#define ISNULL(r) (nul && (nul[(r) / 64] >> ((r) % 64) & 1))
  switch (ag->kind) {
    case XG_COUNT:
      for (uint32_t i = 0; i < ns; i++)
        if (!ISNULL(idx[i])) h[gid[i] * na].cnt++;
      return 0;
    case XG_SUM:
    case XG_TOTAL:
    case XG_AVG: {
      bool real = v->type == COLV_REAL;
      if (x->logsum) {
        slog *l = &x->logs[a];
        if (!slog_room(l, ns)) return REMDB_NOMEM;
        l->real = real;
        uint32_t *lg = l->g + l->n;
        uint64_t *lv = l->v + l->n;
        const uint64_t *src = real ? (const uint64_t *)(const void *)v->f64
                                   : (const uint64_t *)(const void *)v->i64;
        size_t k = 0;
        for (uint32_t i = 0; i < ns; i++) {
          uint32_t r = idx[i];
          if (ISNULL(r)) continue;
          h[gid[i] * na].cnt++;
          lg[k] = gid[i];
          lv[k++] = src[r];
        }
        l->n += k;
        return 0;
      }
      if (real) {
        const double *f = v->f64;
        for (uint32_t i = 0; i < ns; i++) {
          uint32_t r = idx[i];
          if (ISNULL(r)) continue;
          aggh *hh = &h[gid[i] * na];
          hh->cnt++;
          hh->rsum += f[r];
          hh->approx = 1;
        }
      } else {
        const int64_t *iv = v->i64;
        for (uint32_t i = 0; i < ns; i++) {
          uint32_t r = idx[i];
          if (ISNULL(r)) continue;
          aggh *hh = &h[gid[i] * na];
          hh->cnt++;
          sum_int(hh, iv[r]);
        }
      }
      return 0;
    }
    default:
      for (uint32_t i = 0; i < ns; i++) {
        size_t o = (size_t)gid[i] * na + (size_t)a;
        int rc = agg_update(x, &x->h[o], &x->st[o], ag, b, idx[i]);
        if (rc) return rc;
      }
      return 0;
  }
#undef ISNULL
}

static int run_batch(xrun *x, const xbatch *b) {
  const xplan *p = x->p;
  uint32_t nw = NW(b->n);
  uint64_t *sel = x->sel;
  for (uint32_t w = 0; w < nw; w++) {
    uint64_t m = w + 1 < nw || b->n % 64 == 0 ? ~0ull
                                              : (1ull << (b->n % 64)) - 1;
    sel[w] = (b->vis ? b->vis[w] : ~0ull) & m;
  }
  if (p->root >= 0) {
    uint64_t *T, *N;
    eval(x, b, p->root, 0, &T, &N);
    for (uint32_t w = 0; w < nw; w++) sel[w] &= T[w];
  }
  uint32_t ns = 0;
  if (p->nkeys == 0 && p->naggs == 1 && p->aggs[0].kind == XG_COUNT_STAR) {
    for (uint32_t w = 0; w < nw; w++) ns += (uint32_t)__builtin_popcountll(sel[w]);
    x->h[0].cnt += ns; /* count(*): the selection's popcount */
    return 0;
  }
  uint32_t *idx = x->idx;
  for (uint32_t w = 0; w < nw; w++) {
    uint64_t m = sel[w];
    if (m == ~0ull) { /* a full word: no bit scan */
      for (uint32_t j = 0; j < 64; j++) idx[ns + j] = w * 64 + j;
      ns += 64;
      continue;
    }
    while (m) {
      idx[ns++] = w * 64 + (uint32_t)__builtin_ctzll(m);
      m &= m - 1;
    }
  }
  if (ns == 0) return 0;
  int rc = assign_groups(x, b, ns);
  for (int a = 0; a < p->naggs && rc == 0; a++) rc = agg_batch(x, b, a, ns);
  return rc;
}

/* Scratch for batches of up to rows rows. */
static int xrun_scratch(xrun *x, uint32_t rows) {
  const xplan *p = x->p;
  uint32_t depth = p->root >= 0 ? (uint32_t)pred_depth(p, p->root) + 1 : 1;
  x->nw = NW(rows);
  x->bits = malloc((size_t)depth * 2 * x->nw * 8 + 8);
  x->sel = malloc((size_t)x->nw * 8 + 8);
  x->idx = malloc((size_t)rows * sizeof *x->idx + 4);
  x->gid = malloc((size_t)rows * sizeof *x->gid + 4);
  if (x->logsum) x->logs = calloc((size_t)p->naggs + 1, sizeof *x->logs);
  if (!x->bits || !x->sel || !x->idx || !x->gid || (x->logsum && !x->logs))
    return REMDB_NOMEM;
  if (p->nkeys == 0) { /* one group, rows or none */
    buf_reset(&x->kb);
    if (group_put(x, NULL) < 0) return REMDB_NOMEM;
  }
  return 0;
}

/* Every batch of src into x's groups. */
static int run_src(xrun *x, xsrc *src) {
  int rc;
  xbatch b;
  while ((rc = src->next(src, &b)) == 1) {
    rc = run_batch(x, &b);
    if (rc) break;
  }
  x->rows += src->rows;
  x->batches += src->batches;
  x->skipped += src->skipped;
  return rc;
}

static void xrun_free(xrun *x) {
  const xplan *p = x->p;
  free(x->bits);
  free(x->sel);
  free(x->idx);
  free(x->gid);
  free(x->gmap);
  free(x->sorted);
  if (x->logs)
    for (int a = 0; a < p->naggs; a++) {
      free(x->logs[a].g);
      free(x->logs[a].v);
    }
  free(x->logs);
  if (x->st)
    for (uint64_t g = 0; g < x->groups.n; g++)
      for (int a = 0; a < p->naggs; a++) {
        aggst *s = &x->st[g * (uint64_t)p->naggs + (uint64_t)a];
        free(s->own);
        kset_free(s->ds);
        free(s->ds);
      }
  free(x->st);
  free(x->h);
  free(x->keys);
  free(x->keyoff);
  buf_free(&x->keyarena);
  buf_free(&x->kb);
  kset_free(&x->groups);
  for (int i = 0; i < 3; i++) sqlite3_finalize(x->auxst[i]);
  for (int i = 0; i < X_MAX_SLOTS; i++) free(x->bk[i]);
  if (x->aux) sqlite3_close(x->aux);
}

/* ---- parallel scans ----------------------------------------------------------
** With exec_threads > 1 (0: the number of cores) and at least two segments
** to read, the segments are split into contiguous ranges, one per worker,
** each scanned by its own reader (colr_clone: the segment headers and the
** deltas are read once) into its own groups.  The partial results are then
** merged in segment order, so the result is the single thread's exactly:
**   counts add up; MIN/MAX take a later worker's value only when strictly
**   smaller/larger (the first of equal values stays, as in row order);
**   COUNT(DISTINCT) unites the sets;
**   SUM, TOTAL and AVG are order-dependent in floating point (SQLite adds
**   its REAL sum in row order, and an integer sum's overflow depends on
**   the order too): the workers log each value they would add with its
**   group, and the merge adds the logs up in worker order, which is row
**   order, with SQLite's sumStep.  That last pass is sequential but one
**   add per row, against the filter, grouping and decoding done in
**   parallel.
** The row source (tables without columns) stays single-threaded. */

typedef struct xwork {
  xrun x;
  xsrc *src;
  zctx z;
  int rc;
  char msg[256];
  pthread_t th;
} xwork;

static void *work_main(void *arg) {
  xwork *w = arg;
  w->rc = run_src(&w->x, w->src);
  return NULL;
}

/* Threads for plan p over nsegs segments.  A count set in the options is
** taken as asked.  The default (0) is the number of cores where that
** pays: not when an aggregate adds values up (SUM, TOTAL, AVG: their logs
** are added in one sequential pass, as dear as the single thread's adds,
** and on two cores the logged run measured 1.2-2.3x slower than one
** thread), and not for fewer than 4 segments per thread (starting and
** merging the workers costs more than the scan saves). */
static int exec_threads(remdb *db, const xplan *p, uint32_t nsegs) {
  int n = db->st->opts.exec_threads;
  if (n > 0) return n;
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  n = c > 0 ? (int)(c > 64 ? 64 : c) : 1;
  for (int a = 0; a < p->naggs; a++)
    if (p->aggs[a].kind == XG_SUM || p->aggs[a].kind == XG_TOTAL ||
        p->aggs[a].kind == XG_AVG)
      return 1;
  while (n > 1 && nsegs < 4u * (uint32_t)n) n--;
  return n;
}

/* Merge worker src's groups into dst; map[g] gets src group g's number in
** dst. */
static int merge_run(xrun *dst, xrun *src, uint32_t *map) {
  const xplan *p = dst->p;
  size_t na = (size_t)p->naggs;
  xval kv[X_MAX_SLOTS];
  for (uint32_t g = 0; g < src->groups.n; g++) {
    for (int k = 0; k < p->nkeys; k++) {
      kv[k] = src->keys[(size_t)g * (size_t)p->nkeys + (size_t)k];
      if (kv[k].type == SQLITE_TEXT)
        kv[k].s = src->keyarena.p +
                  src->keyoff[(size_t)g * (size_t)p->nkeys + (size_t)k];
    }
    buf_reset(&dst->kb);
    if (src->groups.len[g])
      buf_add(&dst->kb, src->groups.arena.p + src->groups.off[g],
              src->groups.len[g]);
    int64_t d = group_put(dst, kv);
    if (d < 0) return REMDB_NOMEM;
    map[g] = (uint32_t)d;
    for (size_t a = 0; a < na; a++) {
      aggh *hd = &dst->h[(size_t)d * na + a];
      const aggh *hs = &src->h[(size_t)g * na + a];
      aggst *sd = &dst->st[(size_t)d * na + a];
      aggst *ss = &src->st[(size_t)g * na + a];
      switch (p->aggs[a].kind) {
        case XG_COUNT_DISTINCT:
          if (ss->ds == NULL) break;
          if (sd->ds == NULL && (sd->ds = calloc(1, sizeof *sd->ds)) == NULL)
            return REMDB_NOMEM;
          for (uint32_t e = 0; e < ss->ds->n; e++) {
            bool added;
            if (kset_put(sd->ds, ss->ds->arena.p + ss->ds->off[e],
                         ss->ds->len[e], &added) < 0)
              return REMDB_NOMEM;
            if (added) hd->cnt++;
          }
          break;
        case XG_MIN:
        case XG_MAX:
          if (!ss->has) break;
          if (sd->has) {
            int c = xval_cmp(&sd->best, &ss->best);
            if (p->aggs[a].kind == XG_MIN ? c <= 0 : c >= 0) break;
          }
          if (agg_best(sd, &ss->best)) return REMDB_NOMEM;
          break;
        default:
          hd->cnt += hs->cnt; /* sums: from the logs */
      }
    }
  }
  return 0;
}

/* The logged sums of src, in its row order. */
static void merge_sums(xrun *dst, xrun *src, const uint32_t *map) {
  const xplan *p = dst->p;
  size_t na = (size_t)p->naggs;
  for (size_t a = 0; a < na; a++) {
    const slog *l = &src->logs[a];
    aggh *h = dst->h + a;
    if (l->real)
      for (size_t i = 0; i < l->n; i++) {
        aggh *hh = &h[(size_t)map[l->g[i]] * na];
        double f;
        memcpy(&f, &l->v[i], sizeof f);
        hh->rsum += f;
        hh->approx = 1;
      }
    else
      for (size_t i = 0; i < l->n; i++)
        sum_int(&h[(size_t)map[l->g[i]] * na], (int64_t)l->v[i]);
  }
}

/* Run p over the columns of rd with up to nw workers into x (whose
** consts it shares); rd is taken over.  *workers gets how many ran. */
static int run_parallel(xrun *x, col_reader *rd, const bool *need,
                        int nw, int *workers) {
  const xplan *p = x->p;
  uint32_t ns = colr_nsegs(rd);
  if ((uint32_t)nw > ns) nw = (int)ns;
  if (nw > 64) nw = 64;
  *workers = nw;
  xwork *w = calloc((size_t)nw, sizeof *w);
  if (w == NULL) {
    colr_close(rd);
    return REMDB_NOMEM;
  }
  int rc = 0, started = 0;
  for (int i = 0; i < nw; i++) {
    xrun *wx = &w[i].x;
    wx->p = p;
    wx->db = x->db;
    wx->consts = x->consts;
    wx->nconsts = x->nconsts;
    wx->msg = w[i].msg;
    wx->msglen = sizeof w[i].msg;
    wx->logsum = true;
    buf_init(&wx->kb);
    buf_init(&wx->keyarena);
  }
  col_reader *rds[64] = {0};
  rds[0] = rd;
  for (int i = 1; i < nw && rc == 0; i++) rc = colr_clone(rd, &rds[i]);
  if (rc) {
    snprintf(x->msg, x->msglen, "%s", remdb_errmsg(x->db));
    for (int i = nw - 1; i >= 0; i--) colr_close(rds[i]);
    nw = 0;
  }
  /* the clones first: col_open closes the reader it fails on, and a
  ** clone of an unshared origin reads the origin's state */
  for (int i = nw - 1; i >= 0; i--) {
    uint32_t s0 = (uint32_t)((uint64_t)ns * (uint64_t)i / (uint64_t)nw);
    uint32_t s1 = (uint32_t)((uint64_t)ns * (uint64_t)(i + 1) / (uint64_t)nw);
    int e = col_open(x->db, rds[i], p, need, s0, s1, &w[i].src, w[i].msg,
                     sizeof w[i].msg);
    if (e == 0) {
      w[i].src->msg = w[i].msg;
      w[i].src->msglen = sizeof w[i].msg;
      w[i].z = (zctx){&w[i].x, (colsrc *)w[i].src};
      w[i].src->skip = zone_skip;
      w[i].src->skip_ctx = &w[i].z;
      e = xrun_scratch(&w[i].x, COL_SEG_ROWS);
    }
    if (e && rc == 0) {
      rc = e;
      snprintf(x->msg, x->msglen, "%s", w[i].msg);
    }
  }
  /* worker 0 runs on this thread */
  for (int i = 1; i < nw && rc == 0; i++) {
    if (pthread_create(&w[i].th, NULL, work_main, &w[i]) != 0) break;
    started = i;
  }
  if (rc == 0) {
    work_main(&w[0]);
    for (int i = started + 1; i < nw; i++) work_main(&w[i]); /* not started */
  }
  for (int i = 1; i <= started; i++) pthread_join(w[i].th, NULL);
  for (int i = 0; i < nw && rc == 0; i++)
    if (w[i].rc) {
      rc = w[i].rc;
      snprintf(x->msg, x->msglen, "%s", w[i].msg);
    }
  /* merge in segment order */
  uint32_t *map = NULL;
  for (int i = 0; i < nw && rc == 0; i++) {
    free(map);
    map = malloc(((size_t)w[i].x.groups.n + 1) * sizeof *map);
    if (map == NULL) {
      rc = REMDB_NOMEM;
      break;
    }
    rc = merge_run(x, &w[i].x, map);
    if (rc == 0) merge_sums(x, &w[i].x, map);
    x->rows += w[i].x.rows;
    x->batches += w[i].x.batches;
    x->skipped += w[i].x.skipped;
  }
  free(map);
  for (int i = *workers - 1; i >= 0; i--) { /* clones before their origin */
    if (w[i].src) w[i].src->close(w[i].src);
    w[i].x.consts = NULL;
    xrun_free(&w[i].x);
  }
  free(w);
  return rc;
}

int exec_run(xplan *p, remdb *db, const snap_t *snap, int provider,
             sqlite3_value **args, int nargs, xresult **out, char *msg,
             size_t msglen, char *desc, size_t desclen, uint64_t *examined) {
  *out = NULL;
  if (msglen) msg[0] = 0;
  if (nargs != p->nargs) {
    snprintf(msg, msglen, "columnar: %d arguments for %d constants", nargs,
             p->nargs);
    return REMDB_ERROR;
  }
  xrun x = {.p = p, .db = db, .msg = msg, .msglen = msglen};
  buf_init(&x.kb);
  buf_init(&x.keyarena);
  bool need[X_MAX_SLOTS * 2 + 1] = {0};
  int argcol[X_MAX_ARGS + 1];
  int rc = 0, workers = 1;
  xsrc *src = NULL;
  zctx z = {&x, NULL};
  if (p->root >= 0) {
    mark(p, p->root, need);
    arg_cols(p, p->root, argcol);
  }
  for (int k = 0; k < p->nkeys; k++) need[p->keys[k].col] = true;
  for (int a = 0; a < p->naggs; a++)
    if (p->aggs[a].col >= 0) need[p->aggs[a].col] = true;
  x.consts = calloc((size_t)nargs + 1, sizeof *x.consts);
  if (x.consts == NULL) return REMDB_NOMEM;
  x.nconsts = nargs;
  for (int i = 0; i < nargs && rc == 0; i++)
    rc = make_const(&p->cols[argcol[i]], args[i], &x.consts[i]);
  if (rc) goto done;
  bool columns = false;
  /* the columns' visibility hides soft-deleted rows: an _all view reads
  ** rows */
  if (p->all) provider = XSRC_ROWS;
  if (provider != XSRC_ROWS) {
    col_reader *rd = NULL;
    rc = colr_open(db, snap, p->t, &rd);
    if (rc) {
      snprintf(msg, msglen, "%s", remdb_errmsg(db));
      err_clear(&db->err);
      rc = rc == REMDB_NOMEM ? rc : REMDB_NOTFOUND;
    } else {
      int nt = exec_threads(db, p, colr_nsegs(rd));
      if (nt > 1 && colr_nsegs(rd) >= 2) {
        /* the columns must serve the plan before threads start */
        xsrc *probe = NULL;
        col_reader *rd2 = NULL;
        rc = colr_clone(rd, &rd2);
        if (rc == 0) rc = col_open(db, rd2, p, need, 0, 0, &probe, msg, msglen);
        if (probe) probe->close(probe);
        if (rc == 0) {
          rc = run_parallel(&x, rd, need, nt, &workers);
          if (rc == 0) rc = finish(&x, out);
          columns = true;
          if (examined) *examined = x.rows;
          describe(&x, true, workers, desc, desclen);
          goto done;
        }
        colr_close(rd);
      } else {
        rc = col_open(db, rd, p, need, 0, colr_nsegs(rd), &src, msg, msglen);
      }
    }
    if (rc == 0) {
      columns = true;
      z.c = (colsrc *)src;
      src->skip = zone_skip;
      src->skip_ctx = &z;
    } else if (rc == REMDB_NOTFOUND && provider == XSRC_AUTO) {
      rc = 0;
      if (msglen) msg[0] = 0;
    } else {
      goto done;
    }
  }
  if (src == NULL && (rc = row_open(db, snap, p, need, &src))) goto done;
  src->msg = msg;
  src->msglen = msglen;
  rc = xrun_scratch(&x, columns ? COL_SEG_ROWS : XB_ROWS);
  if (rc == 0) rc = run_src(&x, src);
  if (rc == 0) rc = finish(&x, out);
  if (examined) *examined = x.rows;
  describe(&x, columns, 1, desc, desclen);
done:
  if (src) src->close(src);
  for (int i = 0; i < x.nconsts; i++) free(x.consts[i].own);
  free(x.consts);
  xrun_free(&x);
  if (rc == REMDB_NOMEM && msglen && !msg[0]) snprintf(msg, msglen, "out of memory");
  return rc;
}

/*
** test_columns.c: the columnar copy (issue 11, storage): the encodings of
** src/column/, and the columns core keeps in the write path, read through
** core/colread.h and compared with the row path (core/scan.c, which SQL
** reads) at the same snapshot after generated write sequences.
*/
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rocksdb/c.h>

#include "column/col.h"
#include "core/colread.h"
#include "core/internal.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

/* ---- deterministic random numbers --------------------------------------- */
static uint64_t rng = 1;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rn(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- encodings ----------------------------------------------------------- */

static void test_pack(void) {
  uint64_t d[300], back[300];
  for (int w = 0; w <= 64; w++) {
    for (int i = 0; i < 300; i++)
      d[i] = w == 64 ? rnd() : w == 0 ? 0 : rnd() & ((1ull << w) - 1);
    buf_t b;
    buf_init(&b);
    col_pack(d, 300, (uint8_t)w, &b);
    CHECK_INT(b.len, (300 * (size_t)w + 63) / 64 * 8);
    CHECK(col_unpack((unsigned char *)b.p, b.len, 300, (uint8_t)w, back));
    CHECK(memcmp(d, back, sizeof d) == 0);
    if (b.len)
      CHECK(!col_unpack((unsigned char *)b.p, b.len - 1, 300, (uint8_t)w,
                        back));
    buf_free(&b);
  }
  CHECK_INT(col_for_width(0), 0);
  CHECK_INT(col_for_width(1), 1);
  CHECK_INT(col_for_width(255), 8);
  CHECK_INT(col_for_width(UINT64_MAX), 64);
}

/* Encode c, decode it, and check the copy equals c; every truncation of
** the stored form is refused. */
static void roundtrip(col_data *c) {
  CHECK(col_finish(c));
  buf_t b;
  buf_init(&b);
  col_encode(c, &b);
  CHECK(!b.oom);
  col_data d;
  err_t e;
  CHECK_INT(col_decode(b.p, b.len, &d, &e), REMDB_OK);
  CHECK_INT(d.type, c->type);
  CHECK_INT(d.n, c->n);
  CHECK_INT(d.inexact, c->inexact);
  for (uint32_t i = 0; i < c->n; i++) {
    bool nul = col_bit(c->nulls, i);
    CHECK_INT(col_bit(d.nulls, i), nul);
    if (nul) continue;
    switch (c->type) {
      case COLT_REAL: CHECK(memcmp(&c->f64[i], &d.f64[i], 8) == 0); break;
      case COLT_ID: CHECK(memcmp(c->id[i], d.id[i], 16) == 0); break;
      case COLT_TEXT:
        CHECK_INT(d.dlen[d.code[i]], c->dlen[c->code[i]]);
        CHECK(memcmp(d.dict[d.code[i]], c->dict[c->code[i]],
                     c->dlen[c->code[i]]) == 0);
        break;
      default: CHECK(c->i64[i] == d.i64[i]);
    }
  }
  if (c->type == COLT_TEXT) /* unique and ascending, memcmp order */
    for (uint32_t k = 1; k < d.ndict; k++) {
      uint32_t a = d.dlen[k - 1], l = d.dlen[k];
      int r = memcmp(d.dict[k - 1], d.dict[k], a < l ? a : l);
      CHECK(r < 0 || (r == 0 && a < l));
    }
  col_free(&d);
  for (size_t cut = 0; cut < b.len; cut += 1 + b.len / 50) {
    CHECK(col_decode(b.p, cut, &d, &e) == REMDB_CORRUPT);
  }
  buf_free(&b);
}

static void test_encodings(void) {
  static const int64_t ints[] = {0, -1, 1, INT64_MIN, INT64_MAX,
                                 9007199254740993LL};
  for (int round = 0; round < 20; round++) {
    uint32_t n = 1 + rn(200);
    for (uint8_t ty = COLT_INT; ty <= COLT_ID; ty++) {
      col_data c;
      CHECK(col_init(&c, ty, n));
      for (uint32_t i = 0; i < n; i++) {
        if (rn(5) == 0) {
          col_set_null(&c, i);
          continue;
        }
        switch (ty) {
          case COLT_INT:
          case COLT_TIME:
            col_set_i64(&c, i,
                        round % 2 ? ints[rn(6)] : (int64_t)rn(1000) - 500);
            break;
          case COLT_BOOL: col_set_i64(&c, i, rn(2)); break;
          case COLT_REAL: {
            double v[] = {-0.0, 0.0, 1.5, -1e300, 3.0, NAN};
            col_set_f64(&c, i, v[rn(5)]);
            break;
          }
          case COLT_TEXT: {
            static const char *const s[] = {"", "a", "b", "ab", "\xc3\xa9",
                                            "zz", "a\0b", "A"};
            uint32_t k = rn(8);
            col_set_text(&c, i, s[k], k == 6 ? 3 : strlen(s[k]));
            break;
          }
          case COLT_ID: {
            unsigned char id[16];
            for (int j = 0; j < 16; j++) id[j] = (unsigned char)rnd();
            col_set_id(&c, i, id);
            break;
          }
        }
      }
      c.inexact = rn(2);
      roundtrip(&c);
      /* the zone map over every row */
      col_zonev z;
      col_zone_calc(&c, NULL, &z);
      uint32_t nulls = 0;
      for (uint32_t i = 0; i < n; i++) nulls += col_bit(c.nulls, i);
      CHECK_INT(z.nulls, nulls);
      if (ty == COLT_INT && z.has)
        for (uint32_t i = 0; i < n; i++)
          if (!col_bit(c.nulls, i))
            CHECK(c.i64[i] >= z.min.i && c.i64[i] <= z.max.i);
      col_free(&c);
    }
  }
  /* doubles that are decimals pack as integers; the others stay plain */
  for (int k = 0; k < 3; k++) {
    col_data c;
    CHECK(col_init(&c, COLT_REAL, 1000));
    for (uint32_t i = 0; i < 1000; i++) {
      if (i % 17 == 0) continue; /* NULL */
      double v = k == 0   ? (double)i * 0.25 - 7
                 : k == 1 ? (double)i / 100.0 + 1e6
                          : (i == 500 ? 0.1 + 0.2 : (double)i);
      col_set_f64(&c, i, v);
    }
    CHECK(col_finish(&c));
    buf_t b;
    buf_init(&b);
    col_encode(&c, &b);
    if (k < 2)
      CHECK(b.len < 1000 * 4); /* packed */
    else
      CHECK(b.len > 1000 * 8); /* 0.1 + 0.2 is no decimal of 4 places */
    buf_free(&b);
    roundtrip(&c);
    col_free(&c);
  }
  /* whole hours of a date-time pack by their common step */
  {
    col_data c;
    CHECK(col_init(&c, COLT_TIME, 1000));
    for (uint32_t i = 0; i < 1000; i++)
      if (i % 5) col_set_i64(&c, i, 1700000000000000LL + (int64_t)(rnd() % 8760) * 3600000000LL);
    buf_t b;
    buf_init(&b);
    col_encode(&c, &b);
    CHECK(b.len < 8 + 128 + 17 + 1000 * 14 / 8 + 16);
    buf_free(&b);
    roundtrip(&c);
    col_free(&c);
  }
  /* a bad header, a code past the dictionary */
  err_t e;
  col_data d;
  CHECK(col_decode("\x02\x00\x00\x00\x01\x00\x00\x00", 8, &d, &e) ==
        REMDB_CORRUPT);
  const unsigned char bad[] = {1, COLT_TEXT, 0, 0, 1, 0, 0, 0, /* n 1 */
                               1, 0, 0, 0, 0, 1, 'x',         /* dict */
                               2, 2, 0, 0, 0, 0, 0, 0, 0};    /* code 2 */
  CHECK(col_decode(bad, sizeof bad, &d, &e) == REMDB_CORRUPT);
}

/* ---- chunked columns (a tail grown by appends) ---------------------------- */

/* Row i of column c of type ty from the random word v: NULL one time in
** six (always: allnull); TEXT of mode 0 from one pool every chunk shares,
** mode 1 from a pool of chunk k's own, mode 2 interleaving chunk k's
** values with the other chunks' in sort order. */
static void chunk_val(col_data *c, uint32_t i, uint8_t ty, uint64_t v,
                      int mode, int k, bool allnull) {
  if (allnull || v % 6 == 0) {
    col_set_null(c, i);
    return;
  }
  uint64_t x = v >> 8;
  switch (ty) {
    case COLT_INT:
    case COLT_TIME: {
      static const int64_t ex[] = {INT64_MIN, INT64_MAX, 9007199254740993LL};
      col_set_i64(c, i, x % 9 == 0 ? ex[(x >> 4) % 3] : (int64_t)(x % 1000) - 500);
      break;
    }
    case COLT_BOOL: col_set_i64(c, i, (int64_t)(x & 1)); break;
    case COLT_REAL: {
      static const double r[] = {-0.0, 0.0, 1.5, 2.25, -1e300, 3.0, 0.1};
      col_set_f64(c, i, r[x % 7]);
      break;
    }
    case COLT_TEXT: {
      char b[32];
      int l;
      if (x % 11 == 0) { /* the empty string and one with a NUL byte */
        l = (x >> 4) % 2 ? 3 : 0;
        memcpy(b, "a\0b", 3);
      } else if (mode == 0) {
        l = snprintf(b, sizeof b, "k%u", (unsigned)(x % 20));
      } else if (mode == 1) {
        l = snprintf(b, sizeof b, "c%d-%u", k, (unsigned)(x % 15));
      } else {
        l = snprintf(b, sizeof b, "k%03u", (unsigned)((x % 40) * 4 + (unsigned)k));
      }
      CHECK(col_set_text(c, i, b, (size_t)l));
      break;
    }
    case COLT_ID: {
      unsigned char id[16];
      for (int j = 0; j < 16; j++) id[j] = (unsigned char)(x >> (j % 7));
      id[0] = (unsigned char)k;
      col_set_id(c, i, id);
      break;
    }
  }
}

/* Does d (decoded) hold exactly what whole (finished) holds? */
static void same_column(const col_data *d, const col_data *whole) {
  CHECK_INT(d->type, whole->type);
  CHECK_INT(d->n, whole->n);
  CHECK_INT(d->inexact, whole->inexact);
  CHECK(d->sorted);
  if (d->n != whole->n) return;
  for (uint32_t i = 0; i < d->n; i++) {
    bool nul = col_bit(whole->nulls, i);
    CHECK_INT(col_bit(d->nulls, i), nul);
    if (nul) continue;
    switch (d->type) {
      case COLT_REAL: CHECK(memcmp(&d->f64[i], &whole->f64[i], 8) == 0); break;
      case COLT_ID: CHECK(memcmp(d->id[i], whole->id[i], 16) == 0); break;
      case COLT_TEXT: {
        uint32_t a = d->code[i], b = whole->code[i];
        CHECK(a < d->ndict);
        if (a >= d->ndict) break;
        CHECK_INT(d->dlen[a], whole->dlen[b]);
        CHECK(memcmp(d->dict[a], whole->dict[b], whole->dlen[b]) == 0);
        /* code order is BINARY order: the same code as the whole's, whose
        ** dictionary holds every value once, sorted */
        CHECK_INT(a, b);
        break;
      }
      default: CHECK(d->i64[i] == whole->i64[i]);
    }
  }
  if (d->type == COLT_TEXT) {
    CHECK_INT(d->ndict, whole->ndict);
    for (uint32_t k = 1; k < d->ndict; k++) {
      uint32_t a = d->dlen[k - 1], l = d->dlen[k];
      int r = memcmp(d->dict[k - 1], d->dict[k], a < l ? a : l);
      CHECK(r < 0 || (r == 0 && a < l));
    }
  }
}

/* Chunks appended one by one (col_chunk_append) decode to the column the
** same rows make at once, and so does col_concat; every truncation of the
** chunked form is refused. */
static void chunk_case(uint8_t ty, const uint32_t *sizes, int nch, int mode,
                       int allnull_chunk, int inexact_chunk) {
  uint32_t total = 0;
  for (int k = 0; k < nch; k++) total += sizes[k];
  col_data whole, cat;
  CHECK(col_init(&whole, ty, total));
  buf_t stored, enc, next;
  buf_init(&stored);
  buf_init(&enc);
  buf_init(&next);
  err_t e;
  uint32_t at = 0;
  for (int k = 0; k < nch; k++) {
    col_data part;
    CHECK(col_init(&part, ty, sizes[k]));
    for (uint32_t i = 0; i < sizes[k]; i++) {
      uint64_t v = rnd();
      chunk_val(&part, i, ty, v, mode, k, k == allnull_chunk);
      chunk_val(&whole, at + i, ty, v, mode, k, k == allnull_chunk);
    }
    part.inexact = k == inexact_chunk;
    whole.inexact = whole.inexact || part.inexact;
    at += sizes[k];
    CHECK(col_finish(&part));
    buf_reset(&enc);
    col_encode(&part, &enc);
    if (k == 0) {
      buf_add(&stored, enc.p, enc.len);
      CHECK(col_copy(&cat, &part));
    } else {
      buf_reset(&next);
      CHECK_INT(col_chunk_append(stored.p, stored.len, enc.p, enc.len, &next,
                                 &e),
                REMDB_OK);
      buf_reset(&stored);
      buf_add(&stored, next.p, next.len);
      CHECK(col_concat(&cat, &part));
    }
    col_free(&part);
  }
  CHECK(col_finish(&whole));
  col_data d;
  CHECK_INT(col_decode(stored.p, stored.len, &d, &e), REMDB_OK);
  if (nch > 1) CHECK_INT((unsigned char)stored.p[0], COL_VERSION_CHUNKED);
  same_column(&d, &whole);
  col_free(&d);
  same_column(&cat, &whole);
  col_free(&cat);
  for (size_t cut = 0; cut < stored.len; cut += 1 + stored.len / 60)
    CHECK_INT(col_decode(stored.p, cut, &d, &e), REMDB_CORRUPT);
  if (nch > 1 && stored.len >= 12) { /* a count of positions that lies */
    stored.p[4] ^= 1;
    CHECK_INT(col_decode(stored.p, stored.len, &d, &e), REMDB_CORRUPT);
  }
  col_free(&whole);
  buf_free(&stored);
  buf_free(&enc);
  buf_free(&next);
}

static void test_chunks(void) {
  static const uint32_t shapes[][4] = {
      {5, 7, 0, 0},    {0, 5, 0, 0},  {5, 0, 0, 0},      {64, 64, 0, 0},
      {63, 1, 130, 0}, {1, 1, 1, 1},  {100, 0, 37, 200}, {128, 65, 64, 3},
      {0, 0, 0, 0}};
  static const int nsh[] = {2, 2, 2, 2, 3, 4, 4, 4, 3};
  for (uint8_t ty = COLT_INT; ty <= COLT_ID; ty++)
    for (size_t s = 0; s < sizeof nsh / sizeof *nsh; s++)
      for (int mode = 0; mode < (ty == COLT_TEXT ? 3 : 1); mode++) {
        chunk_case(ty, shapes[s], nsh[s], mode, -1, -1);
        chunk_case(ty, shapes[s], nsh[s], mode, 1, nsh[s] - 1); /* NULLs */
        chunk_case(ty, shapes[s], nsh[s], mode, 0, 0);
      }
  for (int round = 0; round < 30; round++) {
    uint32_t sz[4];
    int n = 2 + (int)rn(3);
    for (int k = 0; k < n; k++) sz[k] = rn(300);
    uint8_t ty = (uint8_t)rn(COLT_ID + 1);
    chunk_case(ty, sz, n, (int)rn(3), (int)rn(6) - 2, (int)rn(6) - 2);
  }
  /* chunks of another type, and headers that are no column */
  col_data a, b;
  CHECK(col_init(&a, COLT_INT, 3));
  CHECK(col_init(&b, COLT_REAL, 3));
  buf_t ea, eb, out;
  buf_init(&ea);
  buf_init(&eb);
  buf_init(&out);
  col_encode(&a, &ea);
  col_encode(&b, &eb);
  err_t e;
  CHECK_INT(col_chunk_append(ea.p, ea.len, eb.p, eb.len, &out, &e),
            REMDB_CORRUPT);
  CHECK_INT(col_chunk_append("\x07xxxxxxxx", 9, ea.p, ea.len, &out, &e),
            REMDB_CORRUPT);
  CHECK(!col_concat(&a, &b));
  CHECK_INT(a.n, 3);
  /* a chunked value whose chunk is of another type than its header */
  CHECK_INT(col_chunk_append(ea.p, ea.len, ea.p, ea.len, &out, &e), REMDB_OK);
  out.p[1] = COLT_REAL;
  col_data d;
  CHECK_INT(col_decode(out.p, out.len, &d, &e), REMDB_CORRUPT);
  col_free(&a);
  col_free(&b);
  buf_free(&ea);
  buf_free(&eb);
  buf_free(&out);
}

/* ---- the columns against the row path ------------------------------------ */

static remdb *db;
static char dir[256];
static uint32_t merge_default; /* col_merge_rows as built */

/* Compare every column of table `name` with its entities at one snapshot:
** values, NULLs, visibility, zone maps; returns the number of rows seen.
** `exact`: every column must be exact (colr_find finds it). */
static uint64_t check_table(const char *name, bool exact) {
  cat_table *ct;
  snap_t *sn = NULL;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  if (cat_find(db, name, &ct) != REMDB_OK) {
    CHECK(!"table");
    snap_release(sn);
    return 0;
  }
  const sch_table *t = ct->s;
  col_reader *r = NULL;
  int rc = colr_open(db, sn, t, &r);
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    fprintf(stderr, "colr_open: %s\n", remdb_errmsg(db));
    snap_release(sn);
    return 0;
  }
  /* the rows through the row path, with their positions */
  typedef struct row {
    uuid16_t id;
    uint64_t pos;
    char *rec;
    size_t len;
  } row;
  row *rows = NULL;
  size_t nrows = 0, cap = 0;
  scan_t *s;
  scan_spec spec = {.kind = SCAN_ALL, .deleted = true};
  CHECK_INT(scan_open(db, sn, t, &spec, &s), REMDB_OK);
  const scan_row *sr;
  while (scan_step(s, &sr) == REMDB_ROW) {
    if (nrows == cap) {
      cap = cap ? cap * 2 : 256;
      rows = realloc(rows, cap * sizeof *rows);
    }
    row *w = &rows[nrows++];
    w->id = sr->id;
    w->len = sr->rv.len;
    w->rec = malloc(w->len);
    memcpy(w->rec, sr->rv.data, w->len);
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, sr->id.b);
    kv_val v;
    err_t e;
    CHECK_INT(kv_get(db->st->kv, sn->kv, KV_INDEX, dk, sizeof dk, &v, &e),
              REMDB_OK);
    CHECK(iddir_pos(v.data, v.len, &w->pos));
    kv_val_free(&v);
    uint64_t p2;
    rec_view rv;
    CHECK_INT(rec_open(&rv, w->rec, w->len, &e), REMDB_OK);
    CHECK_INT(colr_pos(r, &w->id, &p2), rec_is_deleted(&rv) ? REMDB_NOTFOUND
                                                            : REMDB_OK);
    if (!rec_is_deleted(&rv)) CHECK(p2 == w->pos);
  }
  scan_close(s);
  uint32_t nsegs = colr_nsegs(r);
  uint64_t visible = 0, live = 0;
  for (uint32_t seg = 0; seg < nsegs; seg++) {
    const uint64_t *vis;
    uint32_t n;
    CHECK_INT(colr_visible(r, seg, &vis, &n), REMDB_OK);
    for (uint32_t i = 0; i < n; i++) visible += col_bit(vis, i);
    uint8_t *seen = calloc(n, 1);
    for (uint32_t c = 0; c < t->ncols; c++) {
      const char *cname = t->cols[c].field == 0 ? "id"
                          : t->cols[c].field == REC_F_CREATED ? "created_at"
                          : t->cols[c].field == REC_F_MODIFIED ? "modified_at"
                          : t->cols[c].field == REC_F_DELETED
                              ? "DELETED_AT"
                              : rec_dict_name(&t->dict, t->cols[c].field);
      int col = colr_find(r, cname);
      if (exact) CHECK_INT(col, (int)c);
      if (col < 0) continue;
      CHECK_INT(colr_type(r, col), t->cols[c].kind);
      col_vec v;
      CHECK_INT(colr_read(r, seg, col, &v), REMDB_OK);
      CHECK_INT(v.n, n);
      for (uint32_t k = 1; v.type == COLV_TEXT && k < v.ndict; k++) {
        uint32_t a = v.dict_len[k - 1], l = v.dict_len[k];
        int cmp = memcmp(v.dict[k - 1], v.dict[k], a < l ? a : l);
        CHECK(cmp < 0 || (cmp == 0 && a < l));
      }
      /* the zone map: over the visible rows */
      col_zone z;
      CHECK_INT(colr_zone(r, seg, col, &z), REMDB_OK);
      uint32_t nulls = 0;
      bool has = false;
      for (uint32_t i = 0; i < n; i++) {
        if (!col_bit(vis, i)) continue;
        bool nul = v.nulls && col_bit(v.nulls, i);
        nulls += nul;
        if (nul || v.type == COLV_ID) continue;
        has = true;
        if (!z.has) continue;
        if (v.type == COLV_REAL) {
          CHECK(v.f64[i] >= z.min.f && v.f64[i] <= z.max.f);
        } else if (v.type == COLV_TEXT) {
          const char *p = v.dict[v.code[i]];
          uint32_t l = v.dict_len[v.code[i]];
          int a = memcmp(p, z.smin, l < z.nsmin ? l : z.nsmin);
          int b = memcmp(p, z.smax, l < z.nsmax ? l : z.nsmax);
          CHECK(a > 0 || (a == 0 && l >= z.nsmin));
          CHECK(b < 0 || (b == 0 && l <= z.nsmax));
        } else {
          CHECK(v.i64[i] >= z.min.i && v.i64[i] <= z.max.i);
        }
      }
      CHECK_INT(z.nulls, nulls);
      CHECK_INT(z.has, has);
      CHECK_INT(z.rows, n);
      /* every row of this segment */
      for (size_t j = 0; j < nrows; j++) {
        row *w = &rows[j];
        if ((w->pos >> 16) != seg) continue;
        uint32_t i = (uint32_t)(w->pos & 0xffff);
        CHECK(i < n);
        if (i >= n) continue;
        rec_view rv;
        err_t e;
        rec_open(&rv, w->rec, w->len, &e);
        if (c == 0) {
          seen[i]++;
          CHECK_INT(col_bit(vis, i), !rec_is_deleted(&rv));
          live += !rec_is_deleted(&rv);
        }
        bool nul = v.nulls && col_bit(v.nulls, i);
        if (v.type == COLV_ID) {
          CHECK(!nul && memcmp(v.id[i], w->id.b, 16) == 0);
          continue;
        }
        rec_field f;
        if (!rec_find(&rv, t->cols[c].field, &f) || f.type == REC_NULL) {
          CHECK(nul);
          continue;
        }
        CHECK(!nul);
        if (nul) continue;
        switch (v.type) {
          case COLV_INT: CHECK(f.type == REC_INT && rec_int(&f) == v.i64[i]); break;
          case COLV_BOOL:
            CHECK(v.i64[i] == (f.type == REC_TRUE ? 1 : 0));
            break;
          case COLV_REAL: {
            double d = f.type == REC_INT ? (double)rec_int(&f) : rec_real(&f);
            CHECK(memcmp(&d, &v.f64[i], 8) == 0);
            break;
          }
          case COLV_TEXT:
            CHECK(v.code[i] < v.ndict && v.dict_len[v.code[i]] == f.n &&
                  memcmp(v.dict[v.code[i]], f.p, f.n) == 0);
            break;
          case COLV_TIME: {
            char ts[TS_LEN + 1];
            ts_format(v.i64[i], ts);
            CHECK(f.n == TS_LEN && memcmp(ts, f.p, TS_LEN) == 0);
            break;
          }
          default: CHECK(!"type");
        }
      }
    }
    for (uint32_t i = 0; i < n; i++) {
      CHECK(seen[i] <= 1);
      if (!seen[i]) CHECK(!col_bit(vis, i)); /* free positions: invisible */
    }
    free(seen);
  }
  CHECK_INT(visible, live);
  for (size_t j = 0; j < nrows; j++) {
    CHECK(rows[j].pos < (uint64_t)nsegs << 16);
    free(rows[j].rec);
  }
  free(rows);
  colr_close(r);
  snap_release(sn);
  return nrows;
}

static void report(void *ctx, const char *p) {
  (void)ctx;
  fprintf(stderr, "verify: %s\n", p);
}
static void check_verify(void) {
  uint64_t problems = 1;
  CHECK_INT(remdb_verify(db, report, NULL, &problems), REMDB_OK);
  CHECK_INT(problems, 0);
}

static const char *schema_g =
    "{\"name\": \"g\", \"key_field\": \"k\", \"indexed_fields\": [\"i\"],"
    " \"properties\": {\"k\": {\"type\": \"string\"},"
    " \"s\": {\"type\": [\"string\", \"null\"]},"
    " \"i\": {\"type\": \"integer\"}, \"n\": {\"type\": \"number\"},"
    " \"b\": {\"type\": [\"boolean\", \"null\"]},"
    " \"t\": {\"type\": \"string\", \"format\": \"date-time\"},"
    " \"o\": {\"type\": \"object\"}, \"u\": {}}}";

static void open_db(void) {
  scratch_dir(dir, sizeof dir, "cols");
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, schema_g, strlen(schema_g)), REMDB_OK);
}

static void test_schema_keys(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  /* id, 3 time stamps, k s i n b t (o and u are not scalars of one type) */
  CHECK_INT(ct->s->ncols, 10);
  CHECK(ct->s->columnar);
  static const char *const bad[][2] = {
      {"{\"name\":\"x\",\"columnar\":1,\"properties\":{}}",
       "x.columnar: must be true or false"},
      {"{\"name\":\"x\",\"columnar_fields\":\"a\",\"properties\":{}}",
       "must be an array"},
      {"{\"name\":\"x\",\"columnar_fields\":[\"a\"],\"properties\":{}}",
       "\"a\" is not a property"},
      {"{\"name\":\"x\",\"columnar_fields\":[\"a\",\"a\"],"
       "\"properties\":{\"a\":{\"type\":\"string\"}}}",
       "listed twice"},
      {"{\"name\":\"x\",\"columnar_fields\":[\"a\"],"
       "\"properties\":{\"a\":{\"type\":[\"string\",\"integer\"]}}}",
       "\"a\" is not a scalar of one type"},
      {"{\"name\":\"x\",\"columnar\":false,\"columnar_fields\":[],"
       "\"properties\":{}}",
       "given while \"columnar\" is false"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_INT(remdb_schema_put(db, bad[i][0], strlen(bad[i][0])),
              REMDB_INVALID);
    CHECK_HAS(remdb_errmsg(db), bad[i][1]);
  }
  const char *narrow =
      "{\"name\":\"x\",\"columnar_fields\":[\"a\",\"id\"],"
      "\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"}}}";
  CHECK_INT(remdb_schema_put(db, narrow, strlen(narrow)), REMDB_OK);
  CHECK_INT(cat_find(db, "x", &ct), REMDB_OK);
  CHECK_INT(ct->s->ncols, 5);
  const char *off = "{\"name\":\"y\",\"columnar\":false,"
                    "\"properties\":{\"a\":{\"type\":\"integer\"}}}";
  CHECK_INT(remdb_schema_put(db, off, strlen(off)), REMDB_OK);
  char id[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_insert(db, "y", "{\"a\":1}", 7, id), REMDB_OK);
  CHECK_INT(cat_find(db, "y", &ct), REMDB_OK);
  snap_t *sn;
  col_reader *r = NULL;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_NOTFOUND);
  CHECK_HAS(remdb_errmsg(db), "\"columnar\": false");
  snap_release(sn);
  /* g and x are columnar and empty: verify sorts no positions (UBSan:
  ** qsort of a NULL array) */
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* ---- generated writes ------------------------------------------------- */

static void rand_value(buf_t *b, char field) {
  static const char *const strs[] = {"\"\"", "\"a\"", "\"b\"", "\"ab\"",
                                     "\"\\u00e9t\\u00e9\"", "\"A\"",
                                     "\"a\\u0001b\"", "\"zz top\""};
  static const char *const ints[] = {"0", "-1", "1", "9007199254740993",
                                     "-9223372036854775808",
                                     "9223372036854775807", "42", "7"};
  static const char *const nums[] = {"-0.0", "0", "1.5", "-1e300", "3",
                                     "9007199254740993", "2.5e-7", "100"};
  static const char *const times[] = {
      "\"2024-01-02T03:04:05Z\"", "\"2024-01-02T03:04:05.123456+02:00\"",
      "\"1969-12-31T23:59:59.999999Z\"", "\"2099-06-30T12:00:00-07:30\"",
      "\"2024-02-29t00:00:00.5z\""};
  switch (field) {
    case 's':
      if (rn(6) == 0) {
        buf_adds(b, "null");
      } else if (rn(3) == 0) {
        buf_addf(b, "\"v%u\"", rn(40));
      } else {
        buf_adds(b, strs[rn(8)]);
      }
      break;
    case 'i':
      if (rn(2))
        buf_addf(b, "%d", (int)rn(2000) - 1000);
      else
        buf_adds(b, ints[rn(8)]);
      break;
    case 'n':
      if (rn(2))
        buf_addf(b, "%d.25", (int)rn(200) - 100);
      else
        buf_adds(b, nums[rn(8)]);
      break;
    case 'b': buf_adds(b, rn(5) == 0 ? "null" : rn(2) ? "true" : "false"); break;
    case 't': buf_adds(b, times[rn(5)]); break;
    case 'o': buf_adds(b, "{\"x\": [1, 2]}"); break;
    case 'u': buf_adds(b, rn(2) ? "\"free\"" : "12"); break;
  }
}

/* A random entity (insert) or patch (update: a field may become null,
** which a merge patch removes). */
static void rand_entity(buf_t *b, bool patch) {
  static const char fields[] = "sinbtou";
  buf_reset(b);
  buf_addc(b, '{');
  bool first = true;
  if (!patch) {
    buf_addf(b, "\"k\": \"k%u\"", rn(300));
    first = false;
  }
  for (int f = 0; fields[f]; f++) {
    if (rn(3) == 0) continue; /* absent */
    if (!first) buf_adds(b, ", ");
    first = false;
    buf_addf(b, "\"%c\": ", fields[f]);
    if (patch && rn(6) == 0)
      buf_adds(b, "null");
    else
      rand_value(b, fields[f]);
  }
  buf_addc(b, '}');
  buf_addc(b, 0);
  b->len--;
}

/* Ids of the table's rows (soft-deleted too), for updates and deletes. */
static size_t some_ids(char ids[][REMDB_ID_LEN + 1], size_t max) {
  remdb_stmt *st;
  const char *q = "SELECT id FROM g_all ORDER BY random() LIMIT 8";
  size_t n = 0;
  if (remdb_prepare(db, q, strlen(q), &st, NULL) != REMDB_OK) return 0;
  while (n < max && remdb_step(st) == REMDB_ROW) {
    snprintf(ids[n], REMDB_ID_LEN + 1, "%s", remdb_column_text(st, 0, NULL));
    n++;
  }
  remdb_finalize(st);
  return n;
}

static void run_sql(const char *q) {
  remdb_stmt *st;
  int rc = remdb_prepare(db, q, strlen(q), &st, NULL);
  if (rc != REMDB_OK) {
    fprintf(stderr, "%s: %s\n", q, remdb_errmsg(db));
    CHECK(!"prepare");
    return;
  }
  while ((rc = remdb_step(st)) == REMDB_ROW) {
  }
  /* a generated statement may break the schema: that is an answer */
  CHECK(rc == REMDB_DONE || rc == REMDB_SCHEMA || rc == REMDB_INVALID ||
        rc == REMDB_EXISTS || rc == REMDB_ERROR);
  remdb_finalize(st);
}

static const char *op_names[] = {"insert", "update", "soft delete",
                                 "undelete", "hard delete", "batch",
                                 "rolled-back batch", "SQL DML", "import",
                                 "schema replace", "reindex"};
enum { NOPS = 11 };

static void generate(uint64_t seed, int steps) {
  rng = seed ? seed : 1;
  buf_t b;
  buf_init(&b);
  int done[NOPS] = {0};
  char ids[8][REMDB_ID_LEN + 1];
  char id[REMDB_ID_LEN + 1];
  for (int step = 0; step < steps; step++) {
    uint32_t w = rn(100);
    int op = w < 30 ? 0 : w < 50 ? 1 : w < 57 ? 2 : w < 62 ? 3 : w < 68 ? 4
           : w < 76 ? 5 : w < 79 ? 6 : w < 89 ? 7 : w < 94 ? 8 : w < 97 ? 9
           : 10;
    size_t n;
    switch (op) {
      case 0:
        rand_entity(&b, false);
        if (remdb_insert(db, "g", b.p, b.len, id) != REMDB_OK) {
          fprintf(stderr, "insert %s: %s\n", b.p, remdb_errmsg(db));
          CHECK(!"insert");
        }
        break;
      case 1:
        if ((n = some_ids(ids, 1)) == 0) continue;
        rand_entity(&b, true);
        { /* a soft-deleted row is NOTFOUND; a patch may break a rule */
          int rc = remdb_update(db, ids[0], b.p, b.len);
          if (!(rc == REMDB_OK || rc == REMDB_NOTFOUND || rc == REMDB_SCHEMA)) {
            fprintf(stderr, "update %s: %s\n", b.p, remdb_errmsg(db));
            CHECK(!"update");
          }
        }
        break;
      case 2:
        if ((n = some_ids(ids, 1)) == 0) continue;
        remdb_delete(db, ids[0], 0);
        break;
      case 3:
        run_sql("UPDATE g_all SET deleted_at = NULL WHERE id IN "
                "(SELECT id FROM g_all WHERE deleted_at IS NOT NULL "
                "ORDER BY random() LIMIT 2)");
        break;
      case 4:
        if ((n = some_ids(ids, 1)) == 0) continue;
        CHECK_INT(remdb_delete(db, ids[0], REMDB_HARD), REMDB_OK);
        break;
      case 5:
      case 6: {
        remdb_batch *bt;
        n = some_ids(ids, 8);
        CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
        for (int j = 0; j < 6; j++) {
          uint32_t k = rn(4);
          if (k < 2 || n == 0) {
            rand_entity(&b, false);
            CHECK_INT(remdb_batch_insert(bt, "g", b.p, b.len, id), REMDB_OK);
          } else if (k == 2) {
            rand_entity(&b, true);
            remdb_batch_update(bt, ids[rn((uint32_t)n)], b.p, b.len);
          } else {
            remdb_batch_delete(bt, ids[rn((uint32_t)n)],
                               rn(2) ? REMDB_HARD : 0);
          }
        }
        if (op == 5)
          CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
        remdb_batch_free(bt);
        break;
      }
      case 7: {
        static const char *const dml[] = {
            "INSERT INTO g(k, s, i, n, b, t) VALUES ('k%u', 'sql', %u, 0.5, 1, "
            "'2020-05-05T05:05:05Z')",
            "UPDATE g SET i = i + 1, s = NULL WHERE i %% 7 = %u",
            "UPDATE g SET n = -n, b = NOT b WHERE k > 'k%u'",
            "DELETE FROM g WHERE i %% 13 = %u",
            "UPDATE g SET t = '2021-01-01T00:00:00+01:00' WHERE k < 'k%u'",
            "INSERT OR REPLACE INTO g(k, i) VALUES ('k%u', 5)",
        };
        char q[300];
        uint32_t k = rn(6);
        snprintf(q, sizeof q, dml[k], rn(k == 1 ? 7 : k == 3 ? 13 : 300),
                 rn(300));
        run_sql(q);
        break;
      }
      case 8: { /* a journaled batch in parts, as import commits */
        remdb_batch *bt;
        CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &bt),
                  REMDB_OK);
        for (int j = 0; j < 10; j++) {
          rand_entity(&b, false);
          CHECK_INT(remdb_batch_insert(bt, "g", b.p, b.len, id), REMDB_OK);
          if (j == 4) CHECK_INT(remdb_batch_flush(bt, 0), REMDB_OK);
        }
        CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
        remdb_batch_free(bt);
        break;
      }
      case 9: { /* narrow, widen, add a property */
        static const char *const variants[] = {
            "\"columnar_fields\": [\"s\", \"i\"], ",
            "",
            "\"columnar_fields\": [\"n\", \"t\", \"b\", \"k\"], ",
        };
        buf_reset(&b);
        buf_adds(&b, "{\"name\": \"g\", ");
        buf_adds(&b, variants[rn(3)]);
        buf_adds(&b, schema_g + strlen("{\"name\": \"g\", "));
        buf_addc(&b, 0);
        CHECK_INT(remdb_schema_put(db, b.p, strlen(b.p)), REMDB_OK);
        break;
      }
      case 10: CHECK_INT(remdb_reindex(db, "g"), REMDB_OK); break;
    }
    done[op]++;
    if (step % 97 == 0) check_table("g", true);
  }
  printf("  seed %llu, %d steps:", (unsigned long long)seed, steps);
  for (int i = 0; i < NOPS; i++) printf(" %s %d,", op_names[i], done[i]);
  printf("\n");
  buf_free(&b);
  uint64_t rows = check_table("g", true);
  CHECK(rows > 0);
  check_verify();
}

static void test_generated(void) {
  open_db();
  col_merge_rows = 5; /* merge often */
  generate(20261129, 700);
  uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
  if (getenv("REMDB_TEST_SEED")) seed = strtoull(getenv("REMDB_TEST_SEED"), 0, 10);
  generate(seed, 700);
  col_merge_rows = merge_default;
  /* a close and open: the columns are what storage holds */
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  check_table("g", true);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}


/* Stage raw bytes under a column key of table `name` (damage, for verify). */
static void plant_delta(const char *name, uint64_t pos, const void *img,
                        size_t len) {
  cat_table *ct;
  CHECK_INT(cat_find(db, name, &ct), REMDB_OK);
  unsigned char k[KEY_COL_DELTA_LEN]; /* epoch 0: no merge since reindex */
  key_col_delta(k, db->tid, ct->s->table_id, (uint32_t)(pos >> 16), 0, pos);
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  kv_batch_put(kb, KV_COLUMN, k, sizeof k, img, len);
  err_t e;
  CHECK_INT(kv_write(db->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
}

static uint64_t verify_problems(void) {
  uint64_t problems = 0;
  CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
  return problems;
}

static void insert_n(int n, int from) {
  remdb_batch *bt;
  char id[REMDB_ID_LEN + 1], js[160];
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  for (int i = from; i < from + n; i++) {
    snprintf(js, sizeof js,
             "{\"k\": \"k%d\", \"i\": %d, \"s\": \"v%d\", \"n\": %d.5, "
             "\"t\": \"2024-01-01T00:00:%02dZ\"}",
             i, i, i % 37, i % 11, i % 60);
    CHECK_INT(remdb_batch_insert(bt, "g", js, strlen(js), id), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
}

/* Damage to the columns is found by verify and repaired by reindex; a
** value a column cannot hold makes colr_find refuse that column. */
static void test_damage(void) {
  open_db();
  insert_n(50, 0);
  check_verify();
  const unsigned char gone[] = {2};
  plant_delta("g", 3, gone, 1);
  CHECK(verify_problems() > 0);
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  check_table("g", true);
  /* an inexact value of field i (the image names only it) */
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint16_t fi = rec_dict_id(&ct->s->dict, "i");
  unsigned char img[4] = {0, (unsigned char)fi, (unsigned char)(fi >> 8), 4};
  plant_delta("g", 7, img, sizeof img);
  snap_t *sn;
  col_reader *r;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
  CHECK_INT(colr_find(r, "i"), -1);
  CHECK(colr_find(r, "s") >= 0);
  CHECK(colr_find(r, "ID") == 0);
  CHECK_INT(colr_find(r, "o"), -1); /* not a scalar */
  CHECK_INT(colr_find(r, "nope"), -1);
  colr_close(r);
  snap_release(sn);
  CHECK(verify_problems() > 0);
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  check_table("g", true);
  /* an integer where the TEXT field s is (and where the id is): read and
  ** merged as NULL, the column inexact (no crash), found by verify */
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint16_t fs = rec_dict_id(&ct->s->dict, "s");
  unsigned char bad[1 + 2 * 11] = {0, (unsigned char)fs,
                                   (unsigned char)(fs >> 8), 1};
  bad[12] = 0; /* field 0: the id */
  bad[13] = 0;
  bad[14] = 1;
  plant_delta("g", 9, bad, sizeof bad);
  for (int merged = 0; merged < 2; merged++) {
    CHECK_INT(snap_take(db, &sn), REMDB_OK);
    CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
    CHECK_INT(colr_find(r, "s"), -1);
    CHECK(colr_find(r, "i") >= 0);
    col_vec cv;
    for (uint32_t sg = 0; sg < colr_nsegs(r); sg++)
      CHECK_INT(colr_read(r, sg, colr_find(r, "i"), &cv), REMDB_OK);
    colr_close(r);
    snap_release(sn);
    col_merge_rows = 2; /* (then merged, as NULLs) */
    run_sql("UPDATE g SET n = 2.5 WHERE i IN (1, 2)");
    col_merge_rows = merge_default;
  }
  CHECK(verify_problems() > 0);
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  check_table("g", true);
  remdb_close(db);
  rm_tree(dir);
}

/* A reader keeps its snapshot's view across later writes and merges. */
static void test_snapshot(void) {
  open_db();
  insert_n(40, 0);
  col_merge_rows = 3;
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  sch_table *t = sch_retain(ct->s);
  snap_t *sn;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  col_reader *r;
  CHECK_INT(colr_open(db, sn, t, &r), REMDB_OK);
  int ci = colr_find(r, "i");
  col_vec v;
  CHECK_INT(colr_read(r, 0, ci, &v), REMDB_OK);
  int64_t before[40];
  for (int i = 0; i < 40; i++) before[i] = v.i64[i];
  colr_close(r);
  /* updates, hard deletes and inserts, merged */
  run_sql("UPDATE g SET i = i * 100 WHERE i % 2 = 0");
  run_sql("DELETE FROM g WHERE i % 3 = 1");
  insert_n(10, 100);
  CHECK_INT(colr_open(db, sn, t, &r), REMDB_OK);
  const uint64_t *vis;
  uint32_t n;
  CHECK_INT(colr_visible(r, 0, &vis, &n), REMDB_OK);
  CHECK_INT(n, 40);
  CHECK_INT(colr_read(r, 0, ci, &v), REMDB_OK);
  for (int i = 0; i < 40; i++) {
    CHECK(v.i64[i] == before[i]);
    CHECK(col_bit(vis, i));
  }
  colr_close(r);
  snap_release(sn);
  sch_free(t);
  col_merge_rows = merge_default;
  check_table("g", true);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* More than one segment; a small cache bound. */
static void test_segments(void) {
  scratch_dir(dir, sizeof dir, "cols");
  remdb_options o;
  remdb_options_init(&o);
  o.column_cache_bytes = 1; /* nothing stays once released */
  CHECK_INT(remdb_open(dir, "default", &o, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, schema_g, strlen(schema_g)), REMDB_OK);
  insert_n(COL_SEG_ROWS + 500, 0);
  col_merge_rows = 50;
  run_sql("UPDATE g SET s = 'x' || i WHERE i % 997 = 0");
  run_sql("DELETE FROM g WHERE i % 1499 = 0");
  col_merge_rows = merge_default;
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  snap_t *sn;
  col_reader *r;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
  CHECK_INT(colr_nsegs(r), 2);
  /* a zone map of another segment leaves the current vectors valid */
  col_vec v0;
  int cs = colr_find(r, "s");
  CHECK_INT(colr_read(r, 0, cs, &v0), REMDB_OK);
  uint32_t c10 = v0.code[10];
  const char *s10 = v0.dict[c10];
  col_zone z1;
  CHECK_INT(colr_zone(r, 1, cs, &z1), REMDB_OK);
  CHECK(z1.has && z1.nsmin > 0);
  CHECK(v0.code[10] == c10 && v0.dict[c10] == s10 && s10[0] == 'v');
  colr_close(r);
  snap_release(sn);
  CHECK(check_table("g", true) == COL_SEG_ROWS + 500);
  CHECK_INT(col_cache_bytes(db->st), 0);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* Each merge of a segment supersedes the cached copy of its previous
** generation: the writer's cache holds the segment once, not once per
** merge (an import of 120k rows held 147 MB for an 8 MB budget). */
static void test_merge_cache(void) {
  open_db();
  col_merge_rows = 50;
  for (int k = 0; k < 30; k++) insert_n(100, k * 100); /* 30 merges */
  col_merge_rows = merge_default;
  size_t writer = col_cache_bytes(db->st);
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK(check_table("g", true) == 3000); /* decodes each column once */
  size_t once = col_cache_bytes(db->st);
  CHECK(once > 0);
  if (writer > 2 * once)
    T_FAILED("the writer caches %zu bytes, one generation is %zu", writer,
             once);
  else
    t_pass++;
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* Readers' opened states (a table's segment headers and pending deltas,
** shared by the readers of one committed state) count in
** column_cache_bytes and are evicted under it: many tables queried
** through SQL with a small cache keep the counted bytes under the bound
** (they held the whole of every table's deltas, uncounted), the answers
** stay right, and readers of several snapshots of one table leave the
** count as it was once closed. */
#define SB_TABLES 24
#define SB_ROWS 300
static void sb_fill(void) {
  char js[256];
  for (int k = 0; k < SB_TABLES; k++) {
    snprintf(js, sizeof js,
             "{\"name\":\"sb%d\",\"properties\":{\"v\":{\"type\":\"integer\"},"
             "\"s\":{\"type\":\"string\"}}}", k);
    CHECK_INT(remdb_schema_put(db, js, strlen(js)), REMDB_OK);
    char tn[16];
    snprintf(tn, sizeof tn, "sb%d", k);
    remdb_batch *bt;
    CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
    for (int i = 0; i < SB_ROWS; i++) {
      snprintf(js, sizeof js, "{\"v\":%d,\"s\":\"row %d of a table\"}",
               i * k, i);
      CHECK_INT(remdb_batch_insert(bt, tn, js, strlen(js), NULL), REMDB_OK);
    }
    CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
    remdb_batch_free(bt);
  }
}

static size_t sb_open_bytes(const char *name) {
  cat_table *ct;
  snap_t *sn;
  col_reader *r;
  CHECK_INT(cat_find(db, name, &ct), REMDB_OK);
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
  size_t b = col_cache_bytes(db->st);
  colr_close(r);
  snap_release(sn);
  return b;
}

static void test_share_bound(void) {
  scratch_dir(dir, sizeof dir, "cols");
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  sb_fill();
  remdb_close(db);
  /* one table's opened state: the 300 rows are pending deltas (no merged
  ** segment, so no decoded column is cached), and they are counted */
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  size_t one = sb_open_bytes("sb1");
  CHECK(one > SB_ROWS * 10);
  remdb_close(db);
  size_t bound = 3 * one + one / 2 + 1;
  remdb_options o;
  remdb_options_init(&o);
  o.column_cache_bytes = bound;
  o.sql_route = REMDB_ROUTE_COLUMNAR;
  CHECK_INT(remdb_open(dir, "default", &o, &db), REMDB_OK);
  size_t most = 0;
  for (int round = 0; round < 2; round++)
    for (int k = 0; k < SB_TABLES; k++) {
      char q[128], want[64];
      snprintf(q, sizeof q, "SELECT count(*), sum(v), max(s) FROM sb%d", k);
      snprintf(want, sizeof want, "%d|%lld|row 99 of a table", SB_ROWS,
               (long long)k * SB_ROWS * (SB_ROWS - 1) / 2);
      remdb_stmt *st;
      CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
      CHECK_INT(remdb_step(st), REMDB_ROW);
      char got[64];
      snprintf(got, sizeof got, "%s|%s|%s", remdb_column_text(st, 0, NULL),
               remdb_column_text(st, 1, NULL), remdb_column_text(st, 2, NULL));
      CHECK_STR(got, want);
      CHECK_INT(remdb_step(st), REMDB_DONE);
      remdb_finalize(st);
      size_t b = col_cache_bytes(db->st);
      most = b > most ? b : most;
    }
  if (most > bound || most < one)
    T_FAILED("counted %zu bytes at most, bound %zu, one table %zu", most,
             bound, one);
  else
    t_pass++;
  /* readers of three snapshots of one table: each replaces the kept
  ** state, the replaced ones go with their readers, counted until then */
  cat_table *ct;
  CHECK_INT(cat_find(db, "sb2", &ct), REMDB_OK);
  snap_t *sn[3];
  col_reader *r[3];
  for (int i = 0; i < 3; i++) {
    const char *row = "{\"v\":1,\"s\":\"x\"}";
    if (i) CHECK_INT(remdb_insert(db, "sb2", row, strlen(row), NULL), REMDB_OK);
    CHECK_INT(cat_find(db, "sb2", &ct), REMDB_OK);
    CHECK_INT(snap_take(db, &sn[i]), REMDB_OK);
    CHECK_INT(colr_open(db, sn[i], ct->s, &r[i]), REMDB_OK);
  }
  CHECK(col_cache_bytes(db->st) >= 3 * one);
  for (int i = 0; i < 3; i++) {
    const uint64_t *vis;
    uint32_t n;
    CHECK_INT(colr_visible(r[i], 0, &vis, &n), REMDB_OK);
    CHECK_INT(n, SB_ROWS + (uint32_t)i);
  }
  for (int i = 0; i < 3; i++) {
    colr_close(r[i]);
    snap_release(sn[i]);
  }
  CHECK(col_cache_bytes(db->st) <= bound);
  remdb_close(db);
  /* a bound of one byte: nothing stays once released */
  o.column_cache_bytes = 1;
  CHECK_INT(remdb_open(dir, "default", &o, &db), REMDB_OK);
  CHECK(sb_open_bytes("sb3") >= one);
  CHECK_INT(col_cache_bytes(db->st), 0);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* Older databases have no column cf: drop it behind remdb's back. */
static void drop_column_cf(const char *path) {
  rocksdb_options_t *o = rocksdb_options_create();
  char *rerr = NULL;
  size_t n = 0;
  char **names = rocksdb_list_column_families(o, path, &n, &rerr);
  CHECK(rerr == NULL && n == KV_NCF + 1);
  if (rerr || n != KV_NCF + 1) return;
  const rocksdb_options_t *cfo[KV_NCF + 1];
  rocksdb_column_family_handle_t *h[KV_NCF + 1];
  for (size_t i = 0; i < n; i++) cfo[i] = o;
  rocksdb_t *rdb = rocksdb_open_column_families(
      o, path, (int)n, (const char *const *)names, cfo, h, &rerr);
  CHECK(rerr == NULL);
  if (rerr == NULL) {
    int dropped = 0;
    for (size_t i = 0; i < n; i++) {
      if (strcmp(names[i], kv_cf_name(KV_COLUMN)) == 0 && rerr == NULL) {
        rocksdb_drop_column_family(rdb, h[i], &rerr);
        dropped++;
      }
      rocksdb_column_family_handle_destroy(h[i]);
    }
    CHECK(rerr == NULL && dropped == 1);
    rocksdb_close(rdb);
  }
  rocksdb_free(rerr);
  rocksdb_list_column_families_destroy(names, n);
  rocksdb_options_destroy(o);
}

/* A database of format 1 or 2 (no positions, no columns: 2 is the build
** before columns, with full-text indexes) is upgraded by its first
** writable open; a reader before that finds no columns. */
static void upgrade_from(unsigned char ver) {
  open_db();
  insert_n(300, 0);
  run_sql("DELETE FROM g WHERE i % 5 = 0");
  /* make it an older format: TBL-only id directory, no column keys */
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  unsigned char fk[10] = {0, 0, 0, 0, 'f', 'o', 'r', 'm', 'a', 't'};
  unsigned char one[4] = {0, 0, 0, ver};
  kv_batch_put(kb, KV_META, fk, sizeof fk, one, 4);
  unsigned char lo[8], hi[8];
  key_table(lo, db->tid, 0);
  key_table(hi, db->tid, 1);
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, 8, hi, 8, &it, &e),
            REMDB_OK);
  int n = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    kv_batch_put(kb, KV_INDEX, k, kl, v, 4);
    n++;
  }
  kv_iter_free(it);
  CHECK(n >= 240);
  unsigned char clo[8], chi[8];
  key_table(clo, db->tid, KEY_COLUMN_TBL);
  key_table(chi, db->tid, KEY_COLUMN_TBL + 1);
  kv_batch_del_range(kb, KV_COLUMN, clo, 8, chi, 8);
  CHECK_INT(kv_write(db->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  remdb_close(db);
  drop_column_cf(dir);
  /* a reader: no columns yet, the rest reads */
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(dir, "default", &o, &db), REMDB_OK);
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  snap_t *sn;
  col_reader *r = NULL;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_NOTFOUND);
  CHECK_HAS(remdb_errmsg(db), "not upgraded");
  snap_release(sn);
  uint64_t cnt = 0;
  CHECK_INT(remdb_count(db, "g", 0, &cnt), REMDB_OK);
  CHECK_INT(cnt, 240);
  CHECK(db->st->kv != NULL);
  uint64_t sz = 1;
  CHECK_INT(kv_approx_size(db->st->kv, KV_COLUMN, clo, 8, chi, 8, &sz, &e),
            REMDB_OK);
  CHECK_INT(sz, 0);
  check_verify();
  char *js = NULL;
  CHECK_INT(remdb_stats_ex(db, REMDB_ALL_TENANTS, &js), REMDB_OK);
  CHECK_HAS(js ? js : "", "\"columns\"");
  remdb_free(js);
  remdb_close(db);
  /* the writer upgrades (and makes the column cf) */
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(db->st->format, KV_FORMAT_VERSION);
  CHECK_INT(check_table("g", true), 300); /* soft-deleted too */
  check_verify();
  /* and writes go on */
  insert_n(5, 1000);
  CHECK_INT(check_table("g", true), 305);
  remdb_close(db);
  rm_tree(dir);
}

/* Column keys in the column cf of this tenant's table tbl. */
static int count_column_keys(uint32_t tbl) {
  unsigned char lo[KEY_COL_PREFIX], hi[KEY_COL_PREFIX];
  key_col_table(lo, db->tid, tbl);
  key_col_table(hi, db->tid, tbl + 1);
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, sizeof lo, hi,
                        sizeof hi, &it, &e),
            REMDB_OK);
  int n = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) n++;
  kv_iter_free(it);
  return n;
}

/* Delta keys of table tbl by length: singles (29 bytes) and packs (30). */
static void count_deltas(uint32_t tbl, int *singles, int *packs) {
  unsigned char lo[KEY_COL_KIND], hi[KEY_COL_KIND];
  key_col_table(lo, db->tid, tbl);
  lo[12] = 'D';
  key_col_table(hi, db->tid, tbl);
  hi[12] = 'D' + 1;
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, sizeof lo, hi,
                        sizeof hi, &it, &e),
            REMDB_OK);
  *singles = *packs = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl;
    kv_iter_key(it, &kl);
    *singles += kl == KEY_COL_DELTA_LEN;
    *packs += kl == KEY_COL_PACK_LEN;
  }
  kv_iter_free(it);
}

/* Delta keys (singles and packs) of segment seg of table tbl. */
static int seg_deltas(uint32_t tbl, uint32_t seg) {
  unsigned char lo[KEY_COL_KIND], hi[KEY_COL_KIND];
  key_col_table(lo, db->tid, tbl);
  lo[12] = 'D';
  key_col_table(hi, db->tid, tbl);
  hi[12] = 'D' + 1;
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, sizeof lo, hi,
                        sizeof hi, &it, &e),
            REMDB_OK);
  int n = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    n += kl >= 17 && get_u32be(k + 13) == seg;
  }
  kv_iter_free(it);
  return n;
}

/* The commit that fills a segment merges it: its last rows do not stay
** row images for good (a bulk load of 1M rows left 104k rows of deltas,
** half of its columns' size, since only the table's last segment merged
** by the tail bound and no row came to a full one). */
static void test_full_segment_merges(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  int done = 0;
  while (done + 1000 <= (int)COL_SEG_ROWS) {
    insert_n(1000, done);
    done += 1000;
  }
  CHECK(seg_deltas(tbl, 0) > 0); /* the tail's newest rows: deltas */
  insert_n(1000, done); /* fills segment 0, starts segment 1 */
  done += 1000;
  CHECK_INT(seg_deltas(tbl, 0), 0);
  CHECK(seg_deltas(tbl, 1) > 0);
  /* and so after a reopen, with single inserts that fill segment 1 */
  remdb_close(db);
  remdb_options o;
  remdb_options_init(&o);
  CHECK_INT(remdb_open(dir, "default", &o, &db), REMDB_OK);
  while (done + 1000 <= 2 * (int)COL_SEG_ROWS - 5) {
    insert_n(1000, done);
    done += 1000;
  }
  insert_n(2 * (int)COL_SEG_ROWS - 5 - done, done);
  done = 2 * (int)COL_SEG_ROWS - 5;
  char id[REMDB_ID_LEN + 1], js[64];
  while (done < 2 * (int)COL_SEG_ROWS + 3) {
    int len = snprintf(js, sizeof js, "{\"k\": \"k%d\", \"i\": %d}", done,
                       done);
    CHECK_INT(remdb_insert(db, "g", js, (size_t)len, id), REMDB_OK);
    done++;
    if (done == 2 * (int)COL_SEG_ROWS - 1) CHECK(seg_deltas(tbl, 1) > 0);
  }
  CHECK_INT(seg_deltas(tbl, 1), 0); /* (segment 2's rows: pending) */
  CHECK(check_table("g", true) == (uint64_t)done);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* A transaction's new rows of a segment are one delta pack; a later
** single delta of one of them (sorting before the pack, even at its
** highest position) wins over it for readers, merges and a reopened
** writer's counts. */
static void test_delta_packs(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  insert_n(50, 0);
  int singles, packs;
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles, 0);
  CHECK_INT(packs, 1);
  CHECK_INT(check_table("g", true), 50);
  /* singles of the pack's first, a middle and its highest position */
  run_sql("UPDATE g SET s = 'u' || i WHERE i IN (0, 17, 49)");
  run_sql("DELETE FROM g WHERE i = 20"); /* soft: the row stays */
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles, 4);
  CHECK_INT(packs, 1);
  CHECK_INT(check_table("g", true), 50);
  check_verify();
  /* a batch that inserts, updates one of its own new rows and an older
  ** one, and hard-deletes another of its new rows: one pack, the latest
  ** image of each of its positions */
  remdb_batch *bt;
  char id[REMDB_ID_LEN + 1], gone[REMDB_ID_LEN + 1], js[160];
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  for (int i = 50; i < 60; i++) {
    snprintf(js, sizeof js, "{\"k\": \"k%d\", \"i\": %d, \"s\": \"v%d\"}",
             i, i, i);
    CHECK_INT(remdb_batch_insert(bt, "g", js, strlen(js), id), REMDB_OK);
    if (i == 52) memcpy(gone, id, sizeof gone);
  }
  const char *late = "{\"s\": \"late\"}";
  CHECK_INT(remdb_batch_update(bt, id, late, strlen(late)), REMDB_OK);
  CHECK_INT(remdb_batch_delete(bt, gone, REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(packs, 2);
  CHECK_INT(check_table("g", true), 59);
  check_verify();
  /* a reopened writer counts a pack's rows, and positions go on after
  ** the highest a pack holds */
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  insert_n(3, 60);
  CHECK_INT(check_table("g", true), 62);
  /* a merge folds packs and singles alike */
  col_merge_rows = 2;
  run_sql("UPDATE g SET s = 'm' || i WHERE i IN (5, 49, 55)");
  col_merge_rows = merge_default;
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles + packs, 0);
  CHECK_INT(check_table("g", true), 62);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}


/* A batch that looks its own new rows up again (updates, soft and hard
** deletes, between and after further inserts; a failed update rolled
** back) finds each at the position it was given: the new rows' positions
** are noted without a hash set until then (txn_fold). */
static void test_txn_own_rows(void) {
  open_db();
  insert_n(3, 1000); /* (older rows: one is updated in the batch too) */
  remdb_batch *bt;
  char ids[40][REMDB_ID_LEN + 1], js[200];
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  for (int i = 0; i < 40; i++) {
    snprintf(js, sizeof js, "{\"k\": \"o%d\", \"i\": %d, \"s\": \"v%d\"}", i,
             i, i);
    CHECK_INT(remdb_batch_insert(bt, "g", js, strlen(js), ids[i]), REMDB_OK);
    if (i == 9 || i == 25 || i == 39) {
      /* look back at rows of this batch: the first, one of the middle,
      ** the latest */
      const char *u = "{\"s\": \"upd\"}";
      CHECK_INT(remdb_batch_update(bt, ids[0], u, strlen(u)), REMDB_OK);
      CHECK_INT(remdb_batch_update(bt, ids[i / 2], u, strlen(u)), REMDB_OK);
      CHECK_INT(remdb_batch_update(bt, ids[i], u, strlen(u)), REMDB_OK);
      const char *bad = "{\"i\": \"not an integer\"}";
      CHECK(remdb_batch_update(bt, ids[i - 1], bad, strlen(bad)) != REMDB_OK);
    }
    if (i == 30) CHECK_INT(remdb_batch_delete(bt, ids[3], 0), REMDB_OK);
    if (i == 31) CHECK_INT(remdb_batch_delete(bt, ids[4], REMDB_HARD), REMDB_OK);
  }
  CHECK_INT(remdb_batch_delete(bt, ids[38], REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
  CHECK_INT(check_table("g", true), 3 + 40 - 2);
  check_verify();
  /* and folded by a merge of this segment */
  col_merge_rows = 2;
  run_sql("UPDATE g SET s = 'm' WHERE k IN ('o1', 'o20')");
  col_merge_rows = merge_default;
  CHECK_INT(check_table("g", true), 3 + 40 - 2);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* ---- delta packs of version 2 (format 7) ---------------------------------- */

/* (columns.c's test hooks: a version-1 pack as version 2; any pack as
** version 1) */
bool col_pack_encode(const void *v1, size_t n, buf_t *out);
int col_pack_decode(const void *v, size_t n, buf_t *out);
int col_pack_apply_check(const sch_table *t, const void *v, size_t vl,
                         uint32_t n);

#define CPACK_TEST_COLS 64 /* (columns.c's CPACK_COLS) */

/* row image tags (columns.c) */
enum { T_NULL, T_I64, T_F64, T_TEXT, T_INEXACT, T_ID };

static void img_add(buf_t *b, uint16_t field, uint8_t tag, const void *p,
                    size_t n) {
  unsigned char h[3] = {(unsigned char)field, (unsigned char)(field >> 8),
                        tag};
  buf_add(b, h, 3);
  if (tag == T_TEXT) {
    unsigned char l[4] = {(unsigned char)n, (unsigned char)(n >> 8),
                          (unsigned char)(n >> 16), (unsigned char)(n >> 24)};
    buf_add(b, l, 4);
  }
  buf_add(b, p, n);
}

static void le_add(buf_t *b, uint64_t v, int n) {
  for (int i = 0; i < n; i++) buf_addc(b, (char)(v >> (8 * i)));
}

/* A version-1 pack of rows images of layout fields[nf], values of every
** kind in every column (the coder does not look at the column's type):
** integer extremes, -0.0, NaN, infinities, empty, long and non-ASCII
** texts, NULL, inexact, ids, repeats of the row before and of the row's
** integer before; deleted and gone rows; gaps between positions. */
static void v1_pack(buf_t *pk, int rows, const uint16_t *fields, int nf) {
  static const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1, 1, 63, 64,
                                 -64, -65, 127, 128, 1LL << 40,
                                 -(1LL << 53), 1700000000000000LL};
  static const char *const texts[] = {"", "a", "h\xc3\xa9llo \xe2\x9c\x93",
                                      "\xe6\x97\xa5\xe6\x9c\xac", "user42"};
  char longt[3000];
  for (size_t i = 0; i < sizeof longt; i++) longt[i] = (char)('a' + i % 26);
  double reals[] = {-0.0, 0.0, 1.5, -1e308, 5e-324, INFINITY, -INFINITY,
                    NAN};
  buf_t img;
  buf_init(&img);
  buf_reset(pk);
  buf_addc(pk, 1);
  le_add(pk, (uint64_t)rows, 4);
  uint32_t idx = 0;
  int64_t last = 0;
  for (int r = 0; r < rows; r++) {
    idx += r == 0 ? rn(3) : 1 + (rn(4) == 0 ? rn(500) : 0);
    if (r == rows - 1) idx = 65535; /* the segment's last position */
    buf_reset(&img);
    uint8_t state = rn(10) == 0 ? 2 : rn(6) == 0 ? 1 : 0;
    buf_addc(&img, (char)state);
    for (int c = 0; state != 2 && c < nf; c++) {
      unsigned char x[16];
      switch (rn(12)) {
        case 0: img_add(&img, fields[c], T_NULL, NULL, 0); break;
        case 1: img_add(&img, fields[c], T_INEXACT, NULL, 0); break;
        case 2:
        case 3: { /* an integer: an extreme, near the last, or the last */
          int64_t v = rn(3) == 0   ? ints[rn(sizeof ints / sizeof *ints)]
                      : rn(2) == 0 ? last
                                   : (int64_t)((uint64_t)last + rn(100));
          if (rn(7) == 0) v = (int64_t)rnd();
          last = v;
          le_add(&img, 0, 0);
          for (int i = 0; i < 8; i++) x[i] = (unsigned char)((uint64_t)v >> (8 * i));
          img_add(&img, fields[c], T_I64, x, 8);
          break;
        }
        case 4: {
          double d = reals[rn(sizeof reals / sizeof *reals)];
          memcpy(x, &d, 8);
          img_add(&img, fields[c], T_F64, x, 8);
          break;
        }
        case 5:
          for (int i = 0; i < 8; i++) x[i] = (unsigned char)rnd();
          img_add(&img, fields[c], T_F64, x, 8);
          break;
        case 6: {
          const char *t = texts[rn(sizeof texts / sizeof *texts)];
          img_add(&img, fields[c], T_TEXT, t, strlen(t));
          break;
        }
        case 7:
          img_add(&img, fields[c], T_TEXT, longt, rn(2) ? sizeof longt : 200);
          break;
        case 8:
          for (int i = 0; i < 16; i++) x[i] = (unsigned char)(rn(2) ? 7 : rnd());
          img_add(&img, fields[c], T_ID, x, 16);
          break;
        default: { /* the column's value in the image before, if any */
          int64_t v = last;
          for (int i = 0; i < 8; i++) x[i] = (unsigned char)((uint64_t)v >> (8 * i));
          img_add(&img, fields[c], T_I64, x, 8);
        }
      }
    }
    le_add(pk, idx, 2);
    le_add(pk, img.len, 4);
    buf_add(pk, img.p, img.len);
  }
  buf_free(&img);
}

/* The version-2 coder: every kind of value round trips to the same row
** images; every truncation and no damage crashes, and a truncated pack
** is malformed; an image of another layout or a malformed one keeps
** version 1. */
static void test_pack_v2_coder(void) {
  static const uint16_t fields[] = {0, 1, 2, 3, 7, 9, 300, 65535};
  buf_t v1, v2, back;
  buf_init(&v1);
  buf_init(&v2);
  buf_init(&back);
  for (int round = 0; round < 30; round++) {
    int rows = round < 3   ? 1 + round
               : round < 6 ? 20 + (int)rn(30)
                           : 2 + (int)rn(400);
    int nf = 1 + (int)rn(sizeof fields / sizeof *fields);
    v1_pack(&v1, rows, fields, nf);
    CHECK(!v1.oom);
    CHECK(col_pack_encode(v1.p, v1.len, &v2));
    CHECK_INT(v2.p[0], 2);
    CHECK_INT(col_pack_decode(v2.p, v2.len, &back), REMDB_OK);
    CHECK(back.len == v1.len && memcmp(back.p, v1.p, v1.len) == 0);
    if (rows > 50) CHECK(v2.len < v1.len);
    /* a version-1 pack reads as itself */
    CHECK_INT(col_pack_decode(v1.p, v1.len, &back), REMDB_OK);
    CHECK(back.len == v1.len && memcmp(back.p, v1.p, v1.len) == 0);
    /* truncated: every length of the small ones */
    for (size_t n = 0; n < v2.len; n += round < 6 ? 1 : 1 + n / 8)
      CHECK_INT(col_pack_decode(v2.p, n, &back), REMDB_CORRUPT);
    /* damage: any result but a crash (ASan, valgrind) */
    for (int k = 0; k < 200; k++) {
      size_t at = rn((uint32_t)v2.len);
      unsigned char was = (unsigned char)v2.p[at];
      v2.p[at] = (char)(k < 100 ? rnd() : was ^ (1u << rn(8)));
      int rc = col_pack_decode(v2.p, v2.len, &back);
      CHECK(rc == REMDB_OK || rc == REMDB_CORRUPT);
      v2.p[at] = (char)was;
    }
    /* too long: bytes after the last row */
    buf_addc(&v2, 0);
    CHECK_INT(col_pack_decode(v2.p, v2.len, &back), REMDB_CORRUPT);
  }
  /* a row of another layout (a field more, another field, one less) or
  ** a malformed image: not encoded; the same layout: encoded */
  buf_t img, one;
  buf_init(&img);
  buf_init(&one);
  unsigned char x[8] = {0};
  buf_addc(&one, 1); /* (deleted: its values count all the same) */
  for (int c = 0; c < 3; c++) img_add(&one, fields[c], T_I64, x, 8);
  for (int how = 0; how < 5; how++) {
    buf_reset(&img);
    buf_addc(&img, 0);
    for (int c = 0; c < (how == 3 ? 2 : 3); c++)
      img_add(&img, how == 1 && c == 2 ? 4 : fields[c], T_I64, x, 8);
    if (how == 0) img_add(&img, 9, T_NULL, NULL, 0);
    if (how == 2) img.len -= 3;
    buf_reset(&v1);
    buf_addc(&v1, 1);
    le_add(&v1, 2, 4);
    le_add(&v1, 7, 2);
    le_add(&v1, one.len, 4);
    buf_add(&v1, one.p, one.len);
    le_add(&v1, 8, 2);
    le_add(&v1, img.len, 4);
    buf_add(&v1, img.p, img.len);
    CHECK(col_pack_encode(v1.p, v1.len, &v2) == (how == 4));
  }
  buf_free(&img);
  buf_free(&one);
  /* positions not ascending: not encoded */
  buf_reset(&v1);
  buf_addc(&v1, 1);
  le_add(&v1, 2, 4);
  for (int r = 0; r < 2; r++) {
    le_add(&v1, 9 - (uint64_t)r, 2);
    le_add(&v1, 1, 4);
    buf_addc(&v1, 2);
  }
  CHECK(!col_pack_encode(v1.p, v1.len, &v2));
  buf_free(&v1);
  buf_free(&v2);
  buf_free(&back);
}

/* The first delta pack of table tbl (key and value), if any. */
static bool first_pack(uint32_t tbl, buf_t *key, buf_t *val) {
  unsigned char lo[KEY_COL_KIND], hi[KEY_COL_KIND];
  key_col_table(lo, db->tid, tbl);
  lo[12] = 'D';
  key_col_table(hi, db->tid, tbl);
  hi[12] = 'D' + 1;
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, sizeof lo, hi,
                        sizeof hi, &it, &e),
            REMDB_OK);
  bool found = false;
  for (kv_iter_first(it); !found && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    if (kl != KEY_COL_PACK_LEN) continue;
    const char *v = kv_iter_value(it, &vl);
    buf_reset(key);
    buf_add(key, k, kl);
    buf_reset(val);
    buf_add(val, v, vl);
    found = true;
  }
  kv_iter_free(it);
  return found;
}

static void put_column_key(const buf_t *k, const void *v, size_t n) {
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  kv_batch_put(kb, KV_COLUMN, k->p, k->len, v, n);
  err_t e;
  CHECK_INT(kv_write(db->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
}

/* A batch's pack is written as version 2 and read exactly (values of
** every kind its columns hold), before and after a reopen and a merge; a
** version-1 pack (a format-6 database's) is still read and merged; a
** truncated version-2 pack is REMDB_CORRUPT for a reader, never a crash. */
static void test_pack_v2(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  char longs[2100];
  for (size_t i = 0; i + 1 < sizeof longs; i++)
    longs[i] = (char)('a' + i % 26);
  longs[sizeof longs - 1] = 0;
  static const char *const nums[] = {
      "-9223372036854775808", "9223372036854775807", "0", "-1", "64", "-65",
      "1", "2"};
  static const char *const reals[] = {"-0.0", "0.0", "1e308", "-2.5e-300",
                                      "3", "1.5", "1.5", "-7"};
  static const char *const strs[] = {
      "null", "\"\"", "\"h\\u00e9llo \\u2713 \\u65e5\\u672c\"", "\"x\"",
      "\"x\"", NULL, "\"\\ud83d\\ude00 emoji\"", "\"tab\\tand\\nline\""};
  static const char *const bools[] = {"true", "false", "null", "true",
                                      "true", "false", "null", "null"};
  static const char *const times[] = {
      "\"2024-01-01T00:00:00Z\"", "\"1969-12-31T23:59:59.999999Z\"",
      "\"2024-01-01T00:00:00.000001Z\"", "\"9999-12-31T23:59:59Z\"",
      "\"0001-01-01T00:00:00Z\"", "\"2024-01-01T00:00:00Z\"",
      "\"2024-01-01T00:00:00Z\"", "\"2024-01-01T12:00:00+02:00\""};
  remdb_batch *bt;
  char js[2600];
  char first[REMDB_ID_LEN + 1], id[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  for (int i = 0; i < 64; i++) {
    const char *sv = strs[i % 8];
    char sbuf[2200];
    if (sv == NULL) {
      snprintf(sbuf, sizeof sbuf, "\"%s\"", longs);
      sv = sbuf;
    }
    snprintf(js, sizeof js,
             "{\"k\": \"k%d\", \"i\": %s, \"n\": %s, \"s\": %s, \"b\": %s, "
             "\"t\": %s}",
             i, nums[i % 8], reals[(i / 8) % 8], sv, bools[(i / 3) % 8],
             times[(i / 5) % 8]);
    int rc = remdb_batch_insert(bt, "g", js, strlen(js), id);
    CHECK_INT(rc, REMDB_OK);
    if (rc) fprintf(stderr, "%s: %s\n", js, remdb_errmsg(db));
    if (i == 0) memcpy(first, id, sizeof first);
  }
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
  buf_t key, val, v1, cut;
  buf_init(&key);
  buf_init(&val);
  buf_init(&v1);
  buf_init(&cut);
  CHECK(first_pack(tbl, &key, &val));
  CHECK(val.len > 0 && val.p[0] == 2);
  CHECK_INT(check_table("g", true), 64);
  check_verify();
  /* a merge applies a pack's values as they are decoded: as it would
  ** their row images (the table's layout; random values of every kind in
  ** its columns and in others, fields it lacks, a layout of other
  ** columns; a schema replace after) */
  CHECK_INT(col_pack_apply_check(ct->s, val.p, val.len, 100), 1);
  /* damaged: a merge (mseg_apply_pack) and a reader (pack_next) both
  ** refuse it or both read the same columns from it; never a crash */
  for (int k = 0; k < 3000; k++) {
    size_t at = rn((uint32_t)val.len);
    unsigned char was = (unsigned char)val.p[at];
    val.p[at] = (char)(k % 2 ? rnd() : was ^ (1u << rn(8)));
    int rc = col_pack_apply_check(ct->s, val.p, val.len, 100);
    if (rc == 0) fprintf(stderr, "damage at %zu: %02x -> %02x\n", at, was,
                         (unsigned char)val.p[at]);
    CHECK(rc == 1 || rc == -1);
    val.p[at] = (char)was;
  }
  {
    buf_t r1, r2;
    buf_init(&r1);
    buf_init(&r2);
    uint16_t tf[CPACK_TEST_COLS];
    int ntf = (int)ct->s->ncols;
    for (int c = 0; c < ntf && c < CPACK_TEST_COLS; c++)
      tf[c] = ct->s->cols[c].field;
    static const uint16_t odd[] = {0, 1, 2, 3, 7, 9, 300, 65535};
    for (int round = 0; round < 6; round++) {
      if (round % 2 == 0)
        v1_pack(&r1, 2 + (int)rn(300), tf, ntf);
      else
        v1_pack(&r1, 2 + (int)rn(300), odd, 1 + (int)rn(8));
      CHECK(col_pack_encode(r1.p, r1.len, &r2));
      CHECK_INT(col_pack_apply_check(ct->s, r2.p, r2.len, 3000), 1);
    }
    buf_free(&r1);
    buf_free(&r2);
  }
  /* as a version-1 pack (what a format-6 database holds): the same */
  CHECK_INT(col_pack_decode(val.p, val.len, &v1), REMDB_OK);
  CHECK(v1.len > val.len);
  put_column_key(&key, v1.p, v1.len);
  CHECK_INT(check_table("g", true), 64);
  check_verify();
  /* every truncation of the version-2 pack: malformed, said so */
  cat_find(db, "g", &ct);
  for (size_t n = 0; n < val.len; n += n < 64 ? 1 : 1 + n / 16) {
    put_column_key(&key, val.p, n);
    snap_t *sn;
    col_reader *r = NULL;
    CHECK_INT(snap_take(db, &sn), REMDB_OK);
    CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_CORRUPT);
    CHECK(strstr(remdb_errmsg(db), "malformed") != NULL);
    if (r) colr_close(r);
    snap_release(sn);
  }
  put_column_key(&key, val.p, val.len);
  CHECK_INT(check_table("g", true), 64);
  /* reopened: the writer counts the pack's rows, positions go on */
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  insert_n(5, 100);
  CHECK_INT(check_table("g", true), 69);
  /* a merge folds it */
  col_merge_rows = 2;
  run_sql("UPDATE g SET s = 'm' || i WHERE k IN ('k3', 'k40', 'k101')");
  col_merge_rows = merge_default;
  int singles, packs;
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles + packs, 0);
  CHECK_INT(check_table("g", true), 69);
  check_verify();
  {
    const char *body = schema_g + strlen("{\"name\": \"g\", ");
    char sc[1024];
    snprintf(sc, sizeof sc,
             "{\"name\": \"g\", %.*s, \"z\": {\"type\": \"integer\"}}}",
             (int)(strlen(body) - 2), body);
    char *ip = strstr(sc, "\"i\": {\"type\": \"integer\"}");
    static const char num[] = "\"i\": {\"type\": \"number\" }";
    CHECK(ip != NULL);
    if (ip) memcpy(ip, num, sizeof num - 1);
    CHECK_INT(remdb_schema_put(db, sc, strlen(sc)), REMDB_OK);
    CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
    CHECK_INT(col_pack_apply_check(ct->s, val.p, val.len, 100), 1);
    check_table("g", false);
  }
  buf_free(&key);
  buf_free(&val);
  buf_free(&v1);
  buf_free(&cut);
  remdb_close(db);
  rm_tree(dir);
}

/* "columnar" turned off and on again on a table with rows, packs and
** singles: the columns are what the rows are, through later merges. */
static void test_columnar_off_on(void) {
  open_db();
  insert_n(60, 0);
  run_sql("UPDATE g SET s = 'u' || i WHERE i % 5 = 0");
  const char *body = schema_g + strlen("{\"name\": \"g\", ");
  char off[1024];
  snprintf(off, sizeof off, "{\"name\": \"g\", \"columnar\": false, %s", body);
  CHECK_INT(remdb_schema_put(db, off, strlen(off)), REMDB_OK);
  insert_n(20, 60);
  run_sql("UPDATE g SET i = i + 1000 WHERE i % 3 = 0");
  run_sql("DELETE FROM g WHERE i % 7 = 1");
  char id[REMDB_ID_LEN + 1];
  const char *js = "{\"k\": \"hard\", \"i\": 1, \"s\": \"h\"}";
  CHECK_INT(remdb_insert(db, "g", js, strlen(js), id), REMDB_OK);
  CHECK_INT(remdb_delete(db, id, REMDB_HARD), REMDB_OK);
  check_verify();
  CHECK_INT(remdb_schema_put(db, schema_g, strlen(schema_g)), REMDB_OK);
  CHECK_INT(check_table("g", true), 80);
  check_verify();
  insert_n(20, 80);
  col_merge_rows = 3;
  run_sql("UPDATE g SET s = 'm' || i WHERE i % 4 = 0");
  col_merge_rows = merge_default;
  CHECK_INT(check_table("g", true), 100);
  check_verify();
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(check_table("g", true), 100);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}


/* A hard delete and an insert of the same id, in one batch (of a row of
** an earlier pack, and of one of the batch's own new rows) and across
** commits; an undelete; a batch whose change failed: the columns are
** what the rows are. */
static void test_same_id(void) {
  open_db();
  insert_n(20, 0); /* k "k<i>": the id is derived from k */
  char ids[3][REMDB_ID_LEN + 1], got[REMDB_ID_LEN + 1], nw[REMDB_ID_LEN + 1];
  remdb_stmt *st = NULL;
  const char *q = "SELECT id FROM g WHERE i IN (3, 4, 5) ORDER BY i";
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  for (int j = 0; j < 3 && remdb_step(st) == REMDB_ROW; j++)
    snprintf(ids[j], sizeof ids[j], "%s", remdb_column_text(st, 0, NULL));
  remdb_finalize(st);
  remdb_batch *bt;
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  CHECK_INT(remdb_batch_delete(bt, ids[0], REMDB_HARD), REMDB_OK);
  const char *a3 = "{\"k\": \"k3\", \"i\": 103, \"s\": \"again\"}";
  CHECK_INT(remdb_batch_insert(bt, "g", a3, strlen(a3), got), REMDB_OK);
  CHECK_STR(got, ids[0]);
  const char *f1 = "{\"k\": \"fresh\", \"i\": 500}";
  CHECK_INT(remdb_batch_insert(bt, "g", f1, strlen(f1), nw), REMDB_OK);
  CHECK_INT(remdb_batch_delete(bt, nw, REMDB_HARD), REMDB_OK);
  const char *f2 = "{\"k\": \"fresh\", \"i\": 501, \"s\": \"x\"}";
  CHECK_INT(remdb_batch_insert(bt, "g", f2, strlen(f2), got), REMDB_OK);
  CHECK_STR(got, nw);
  CHECK_INT(remdb_batch_delete(bt, ids[1], 0), REMDB_OK);
  const char *bad = "{\"i\": \"not a number\"}";
  CHECK(remdb_batch_update(bt, ids[2], bad, strlen(bad)) != REMDB_OK);
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
  CHECK_INT(check_table("g", true), 21);
  check_verify();
  /* across commits: hard delete, then the id again; an undelete */
  CHECK_INT(remdb_delete(db, ids[0], REMDB_HARD), REMDB_OK);
  const char *b3 = "{\"k\": \"k3\", \"i\": 203}";
  CHECK_INT(remdb_insert(db, "g", b3, strlen(b3), got), REMDB_OK);
  const char *b4 = "{\"k\": \"k4\", \"i\": 204, \"s\": \"back\"}";
  CHECK_INT(remdb_insert(db, "g", b4, strlen(b4), got), REMDB_OK);
  CHECK_STR(got, ids[1]);
  CHECK_INT(check_table("g", true), 21);
  col_merge_rows = 2;
  run_sql("UPDATE g SET s = 'm' WHERE i > 100");
  col_merge_rows = merge_default;
  CHECK_INT(check_table("g", true), 21);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* A merge rewrites only the columns its deltas change (the header, with
** the visibility and zone maps, always): an update of s merges into the
** header, s and modified_at, not the segment's other columns; the
** columns stay right. */
static void test_merge_dirty(void) {
  open_db();
  insert_n(100, 0);
  uint32_t tail = col_tail_merge_max;
  col_merge_rows = col_tail_merge_max = 1; /* every commit merges */
  run_sql("UPDATE g SET s = 'first' WHERE i = 1"); /* the first merge */
  CHECK_INT(check_table("g", true), 100);
  uint64_t before = 0, after = 0;
  CHECK(kv_property_int(db->st->kv, KV_COLUMN,
                        "rocksdb.num-entries-active-mem-table", &before));
  run_sql("UPDATE g SET s = 'second' WHERE i = 2");
  CHECK(kv_property_int(db->st->kv, KV_COLUMN,
                        "rocksdb.num-entries-active-mem-table", &after));
  /* its delta, its range deletion, the header, s and modified_at (all
  ** ten columns: 13) */
  CHECK(after - before <= 5);
  if (after - before > 5)
    fprintf(stderr, "  a merge of one changed column wrote %llu keys\n",
            (unsigned long long)(after - before));
  CHECK_INT(check_table("g", true), 100);
  /* to NULL, to the value it holds, a soft delete, a hard delete */
  run_sql("UPDATE g SET s = NULL WHERE i = 3");
  run_sql("UPDATE g SET s = s WHERE i = 4");
  run_sql("DELETE FROM g WHERE i = 5");
  CHECK_INT(check_table("g", true), 100);
  col_merge_rows = merge_default;
  col_tail_merge_max = tail;
  check_verify();
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(check_table("g", true), 100);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* The chunks of table tbl's stored columns (segment 0): the least and the
** most a column holds. */
static void chunk_counts(uint32_t tbl, uint32_t *least, uint32_t *most) {
  unsigned char lo[KEY_COL_KIND], hi[KEY_COL_KIND];
  key_col_table(lo, db->tid, tbl);
  lo[12] = 'C';
  key_col_table(hi, db->tid, tbl);
  hi[12] = 'C' + 1;
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, sizeof lo, hi,
                        sizeof hi, &it, &e),
            REMDB_OK);
  *least = UINT32_MAX;
  *most = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t vl;
    const unsigned char *v = (const unsigned char *)kv_iter_value(it, &vl);
    uint32_t k = 1;
    if (vl >= 12 && v[0] == COL_VERSION_CHUNKED)
      k = (uint32_t)v[8] | (uint32_t)v[9] << 8 | (uint32_t)v[10] << 16 |
          (uint32_t)v[11] << 24;
    if (k < *least) *least = k;
    if (k > *most) *most = k;
  }
  kv_iter_free(it);
}

/* A tail segment grows by chunks appended to its columns (merges of new
** positions only): single and bulk inserts, new rows deleted in their
** own batch, read back equal to the records (values, NULLs, visibility,
** zone maps) at every step, and a reader at an older snapshot reads what
** it saw.  An update or delete of an old position rewrites the segment
** (a changed column as one chunk again); appends go on on top of it; a
** reopen reads it all. */
static void test_tail_chunks(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  uint32_t tail = col_tail_merge_max, least, most;
  col_merge_rows = 16;
  char id[REMDB_ID_LEN + 1], js[160];
  for (int i = 0; i < 40; i++) { /* single inserts: merges at 16, 48 */
    if (i % 7 == 3)
      snprintf(js, sizeof js, "{\"k\": \"a%d\", \"i\": %d, \"n\": -%d}", i,
               i, i);
    else
      snprintf(js, sizeof js,
               "{\"k\": \"a%d\", \"i\": %d, \"s\": \"%c%d\", \"b\": %s, "
               "\"t\": \"2023-05-0%dT10:00:00Z\"}",
               i, i, i % 2 ? 'v' : 'a', 40 - i, i % 3 ? "true" : "null",
               1 + i % 9);
    CHECK_INT(remdb_insert(db, "g", js, strlen(js), id), REMDB_OK);
  }
  CHECK_INT(check_table("g", true), 40);
  chunk_counts(tbl, &least, &most);
  CHECK_INT(most, 1); /* one merge so far: its first chunk */
  insert_n(10, 40); /* 34 deltas past the 16 merged: the second merge */
  CHECK_INT(check_table("g", true), 50);
  chunk_counts(tbl, &least, &most);
  CHECK_INT(least, 2);
  CHECK_INT(most, 2);
  /* what a reader at this snapshot sees */
  sch_table *t = sch_retain(ct->s);
  snap_t *sn;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  col_reader *r;
  CHECK_INT(colr_open(db, sn, t, &r), REMDB_OK);
  int ci = colr_find(r, "i");
  col_vec v;
  CHECK_INT(colr_read(r, 0, ci, &v), REMDB_OK);
  int64_t before[50];
  for (int i = 0; i < 50; i++) before[i] = v.i64[i];
  colr_close(r);
  /* bulk inserts, one with rows it deletes itself (soft and hard) */
  for (int k = 0; k < 6; k++) {
    insert_n(20 + k * 9, 1000 + k * 100);
    CHECK_INT(check_table("g", true),
              50 + (uint64_t)(20 * (k + 1) + 9 * k * (k + 1) / 2));
  }
  remdb_batch *bt;
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  for (int i = 0; i < 40; i++) {
    snprintf(js, sizeof js, "{\"k\": \"z%d\", \"i\": %d, \"s\": \"zz%d\"}", i,
             -5000 - i, i % 4); /* (a lower minimum) */
    CHECK_INT(remdb_batch_insert(bt, "g", js, strlen(js), id), REMDB_OK);
    if (i % 5 == 1) CHECK_INT(remdb_batch_delete(bt, id, 0), REMDB_OK);
    if (i % 5 == 2) CHECK_INT(remdb_batch_delete(bt, id, REMDB_HARD), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
  uint64_t rows = check_table("g", true);
  CHECK_INT(rows, 50 + 20 * 6 + 9 * 15 + 40 - 8); /* (8 hard deletes) */
  chunk_counts(tbl, &least, &most);
  CHECK(least >= 3);
  /* the older snapshot: the 50 rows it saw */
  CHECK_INT(colr_open(db, sn, t, &r), REMDB_OK);
  const uint64_t *vis;
  uint32_t n;
  CHECK_INT(colr_visible(r, 0, &vis, &n), REMDB_OK);
  CHECK_INT(n, 50);
  CHECK_INT(colr_read(r, 0, ci, &v), REMDB_OK);
  for (int i = 0; i < 50 && i < (int)n; i++) {
    CHECK(v.i64[i] == before[i]);
    CHECK(col_bit(vis, i));
  }
  colr_close(r);
  snap_release(sn);
  check_verify();
  /* a merge of the new rows pending: one more chunk each */
  uint32_t was = most;
  col_merge_rows = col_tail_merge_max = 1;
  insert_n(1, 6000);
  rows++;
  chunk_counts(tbl, &least, &most);
  CHECK_INT(least, was + 1);
  CHECK_INT(most, was + 1);
  CHECK_INT(check_table("g", true), rows);
  /* old positions change: the segment is rewritten, s as one chunk */
  run_sql("UPDATE g SET s = 'u' || i WHERE i % 5 = 0 AND i < 40");
  run_sql("DELETE FROM g WHERE i = 3 OR i = 1002");
  chunk_counts(tbl, &least, &most);
  CHECK_INT(least, 1);
  CHECK(most >= 3); /* (the columns no write changed stay as they are) */
  CHECK_INT(check_table("g", true), rows); /* (soft deletes) */
  /* appends on top of both forms */
  col_merge_rows = 4;
  col_tail_merge_max = tail;
  for (int i = 0; i < 12; i++) {
    snprintf(js, sizeof js, "{\"k\": \"y%d\", \"i\": %d, \"s\": \"%s\"}", i,
             7000 + i, i % 2 ? "" : "u10");
    CHECK_INT(remdb_insert(db, "g", js, strlen(js), id), REMDB_OK);
  }
  CHECK_INT(check_table("g", true), rows + 12);
  check_verify();
  col_merge_rows = merge_default;
  sch_free(t);
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(check_table("g", true), rows + 12);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* The writer's merge scratch (columns.c: mscratch): merges of two tables
** whose columns differ in number and type at the same places take turns,
** growing and shrinking in rows, each from arrays the other left; every
** value must be the one written (a slot of another type, or a value or
** NULL the last merge left in it, would show). */
static void test_merge_scratch(void) {
  open_db();
  static const char schema_h[] =
      "{\"name\": \"h\", \"properties\": {\"b\": {\"type\": \"boolean\"}, "
      "\"x\": {\"type\": \"number\"}, \"w\": {\"type\": \"string\"}}}";
  CHECK_INT(remdb_schema_put(db, schema_h, strlen(schema_h)), REMDB_OK);
  uint32_t tail = col_tail_merge_max;
  col_merge_rows = 8;
  char id[REMDB_ID_LEN + 1], js[160];
  int ng = 0, nh = 0;
  for (int round = 0; round < 6; round++) {
    /* g: a bulk of a size that changes (scratch grows, shrinks) */
    int n = round % 2 ? 5 + round : 40 + 30 * round;
    insert_n(n, 10000 + ng);
    ng += n;
    /* h: rows with NULLs where g's rows had values */
    remdb_batch *bt;
    CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
    for (int i = 0; i < 3 + 9 * round; i++, nh++) {
      if (nh % 3 == 0)
        snprintf(js, sizeof js, "{\"x\": %d.25}", nh);
      else
        snprintf(js, sizeof js, "{\"b\": %s, \"w\": \"w%d\", \"x\": -%d}",
                 nh % 2 ? "true" : "false", nh % 5, nh);
      CHECK_INT(remdb_batch_insert(bt, "h", js, strlen(js), id), REMDB_OK);
    }
    CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
    remdb_batch_free(bt);
    CHECK_INT(check_table("g", true), (uint64_t)ng);
    CHECK_INT(check_table("h", true), (uint64_t)nh);
  }
  /* every commit merges: one row each, after merges of many */
  col_merge_rows = col_tail_merge_max = 1;
  for (int i = 0; i < 4; i++) {
    insert_n(1, 20000 + i);
    snprintf(js, sizeof js, "{\"w\": \"last%d\"}", i);
    CHECK_INT(remdb_insert(db, "h", js, strlen(js), id), REMDB_OK);
  }
  CHECK_INT(check_table("g", true), (uint64_t)ng + 4);
  CHECK_INT(check_table("h", true), (uint64_t)nh + 4);
  check_verify();
  col_merge_rows = merge_default;
  col_tail_merge_max = tail;
  remdb_close(db);
  rm_tree(dir);
}

/* The columnar copy lives in its own column family: a backup (of the
** tenant, and of the whole database) copies it, a table's drop removes
** it, and the index cf holds no column key. */
static void test_column_cf(void) {
  open_db();
  insert_n(300, 0);
  run_sql("DELETE FROM g WHERE i % 7 = 0");
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  CHECK(count_column_keys(tbl) > 0);
  unsigned char lo[KEY_COL_PREFIX], hi[KEY_COL_PREFIX];
  key_col_table(lo, db->tid, tbl);
  key_col_table(hi, db->tid, tbl + 1);
  kv_iter_t *it;
  err_t e;
  CHECK_INT(kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, sizeof lo, hi,
                        sizeof hi, &it, &e),
            REMDB_OK);
  kv_iter_first(it);
  CHECK(!kv_iter_valid(it));
  kv_iter_free(it);
  char bk[300], bk_all[300];
  snprintf(bk, sizeof bk, "%s-bk", dir);
  snprintf(bk_all, sizeof bk_all, "%s-bkall", dir);
  CHECK_INT(remdb_backup(db, bk), REMDB_OK);
  CHECK_INT(remdb_backup_ex(db, bk_all, REMDB_ALL_TENANTS), REMDB_OK);
  CHECK_INT(remdb_schema_drop(db, "g"), REMDB_OK);
  CHECK_INT(count_column_keys(tbl), 0);
  remdb_close(db);
  const char *copies[] = {bk, bk_all};
  for (int c = 0; c < 2; c++) {
    CHECK_INT(remdb_open(copies[c], "default", NULL, &db), REMDB_OK);
    if (db == NULL) continue;
    CHECK(count_column_keys(tbl) > 0);
    CHECK_INT(check_table("g", true), 300);
    check_verify();
    remdb_close(db);
    rm_tree(copies[c]);
  }
  rm_tree(dir);
}

/* ---- pending rows: a single insert's row rides in the row counter ------ */

/* The pending rows table tbl's counter lists (their count; pos/ids, if
** not NULL, get them). */
static uint32_t pend_list(uint32_t tbl, uint64_t *pos, uuid16_t *ids) {
  uint64_t rows, del;
  unsigned char tail[CNT_TAIL_MAX];
  size_t tl;
  CHECK_INT(cnt_read_tail(db, NULL, tbl, &rows, &del, tail, &tl), REMDB_OK);
  if (tl == 0) return 0;
  uint64_t base = (uint64_t)get_u32be(tail + 1) << 16;
  for (uint32_t i = 0; i < tail[0]; i++) {
    if (pos) pos[i] = base + get_u16be(tail + 5 + 18 * i);
    if (ids) memcpy(ids[i].b, tail + 7 + 18 * i, 16);
  }
  return tail[0];
}

/* Store table tbl's counter with tail t (tl bytes), as damage would. */
static void put_tail(uint32_t tbl, const unsigned char *t, size_t tl) {
  static uint64_t rows, del; /* (the last readable ones) */
  unsigned char old[CNT_TAIL_MAX], v[16 + CNT_TAIL_MAX + 8];
  size_t ol;
  uint64_t r, d;
  if (cnt_read_tail(db, NULL, tbl, &r, &d, old, &ol) == REMDB_OK) {
    rows = r;
    del = d;
  }
  err_clear(&db->err);
  put_u64be(v, rows);
  put_u64be(v + 8, del);
  memcpy(v + 16, t, tl);
  unsigned char k[KEY_COUNTER_LEN];
  key_counter(k, db->tid, tbl);
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  kv_batch_put(kb, KV_META, k, sizeof k, v, 16 + tl);
  err_t e;
  CHECK_INT(kv_write(db->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
}

static void insert_one(int i, char *id) {
  char js[160];
  snprintf(js, sizeof js,
           "{\"k\": \"p%d\", \"i\": %d, \"s\": \"w%d\", \"n\": %d.25, "
           "\"t\": \"2024-02-01T00:00:%02dZ\"}",
           i, i, i % 7, i % 5, i % 60);
  CHECK_INT(remdb_insert(db, "g", js, strlen(js), id), REMDB_OK);
}

/* sum(i) over the live rows, through SQL (the columnar route for an
** aggregate) */
static int64_t sql_sum(void) {
  remdb_stmt *st;
  const char *q = "SELECT count(*), sum(i) FROM g";
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  int64_t v = -1;
  if (remdb_step(st) == REMDB_ROW)
    v = remdb_column_int64(st, 0) * 1000000 + remdb_column_int64(st, 1);
  remdb_finalize(st);
  return v;
}

static int fail_commit(void) { return 1; }

static void test_pending(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  uint32_t pend_default = col_pend_max;
  col_pend_max = 8; /* (the bound this test walks) */
  int singles, packs;
  char id[REMDB_ID_LEN + 1], ids[32][REMDB_ID_LEN + 1];
  int64_t sum = 0;
  /* below and at the bound: no column key at all */
  for (int i = 0; i < 8; i++) {
    insert_one(i, ids[i]);
    sum += i;
    CHECK_INT(pend_list(tbl, NULL, NULL), (uint32_t)i + 1);
    count_deltas(tbl, &singles, &packs);
    CHECK_INT(singles + packs, 0);
    CHECK_INT(check_table("g", true), (uint64_t)i + 1);
    CHECK(sql_sum() == (i + 1) * 1000000 + sum);
  }
  check_verify();
  /* over it: the ninth adopts the eight, one pack of nine */
  insert_one(8, ids[8]);
  sum += 8;
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles, 0);
  CHECK_INT(packs, 1);
  CHECK_INT(check_table("g", true), 9);
  CHECK(sql_sum() == 9 * 1000000 + sum);
  check_verify();
  /* pending rows written: each gets its single delta and leaves the list */
  for (int i = 9; i < 14; i++) insert_one(i, ids[i]);
  CHECK_INT(pend_list(tbl, NULL, NULL), 5);
  const char *up = "{\"i\": 1000}";
  CHECK_INT(remdb_update(db, ids[10], up, strlen(up)), REMDB_OK);
  CHECK_INT(pend_list(tbl, NULL, NULL), 4);
  CHECK_INT(remdb_delete(db, ids[11], 0), REMDB_OK); /* soft */
  CHECK_INT(pend_list(tbl, NULL, NULL), 3);
  CHECK_INT(remdb_delete(db, ids[12], REMDB_HARD), REMDB_OK);
  CHECK_INT(pend_list(tbl, NULL, NULL), 2);
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles, 3);
  CHECK_INT(check_table("g", true), 13);
  check_verify();
  /* undelete (an insert of its key again) and a reinsert of the
  ** hard-deleted key (a new position, pending) */
  insert_one(11, id);
  CHECK_STR(id, ids[11]);
  insert_one(12, id);
  CHECK_STR(id, ids[12]);
  CHECK_INT(pend_list(tbl, NULL, NULL), 3);
  CHECK_INT(check_table("g", true), 14);
  check_verify();
  /* a batch that updates a pending row and inserts two: the list keeps
  ** the others and gains the two */
  remdb_batch *bt;
  CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
  CHECK_INT(remdb_batch_update(bt, ids[13], up, strlen(up)), REMDB_OK);
  const char *b1 = "{\"k\": \"q1\", \"i\": 1}", *b2 = "{\"k\": \"q2\", \"i\": 2}";
  CHECK_INT(remdb_batch_insert(bt, "g", b1, strlen(b1), ids[14]), REMDB_OK);
  CHECK_INT(remdb_batch_insert(bt, "g", b2, strlen(b2), ids[15]), REMDB_OK);
  CHECK_INT(remdb_batch_commit(bt, 0), REMDB_OK);
  remdb_batch_free(bt);
  CHECK_INT(pend_list(tbl, NULL, NULL), 4);
  CHECK_INT(check_table("g", true), 16);
  check_verify();
  /* a reader's snapshot keeps what it saw: later inserts, an adoption */
  snap_t *sn;
  col_reader *r;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
  const uint64_t *vis;
  uint32_t n0, n1;
  CHECK_INT(colr_visible(r, 0, &vis, &n0), REMDB_OK);
  int ci = colr_find(r, "i");
  col_vec v;
  CHECK_INT(colr_read(r, 0, ci, &v), REMDB_OK);
  int64_t before[64];
  for (uint32_t i = 0; i < n0 && i < 64; i++) before[i] = v.i64[i];
  colr_close(r);
  for (int i = 20; i < 26; i++) insert_one(i, id); /* past the bound */
  CHECK(pend_list(tbl, NULL, NULL) < 8);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
  CHECK_INT(colr_visible(r, 0, &vis, &n1), REMDB_OK);
  CHECK_INT(n1, n0);
  CHECK_INT(colr_read(r, 0, ci, &v), REMDB_OK);
  for (uint32_t i = 0; i < n0 && i < 64; i++) CHECK(v.i64[i] == before[i]);
  colr_close(r);
  snap_release(sn);
  CHECK_INT(check_table("g", true), 22);
  /* a failed commit leaves the list as it was: an insert that would join
  ** it, and one that would adopt it */
  uint64_t p0[CNT_PEND_LIMIT], p1[CNT_PEND_LIMIT];
  uint32_t np = pend_list(tbl, p0, NULL);
  CHECK(np > 0 && np < 8);
  col_test_commit_fail = fail_commit;
  char js[64];
  snprintf(js, sizeof js, "{\"k\": \"fail\", \"i\": 7}");
  CHECK(remdb_insert(db, "g", js, strlen(js), id) != REMDB_OK);
  col_test_commit_fail = NULL;
  CHECK_INT(pend_list(tbl, p1, NULL), np);
  for (uint32_t i = 0; i < np; i++) CHECK(p0[i] == p1[i]);
  CHECK_INT(check_table("g", true), 22);
  check_verify();
  while (pend_list(tbl, NULL, NULL) < 8) insert_one(30 + (int)np++, id);
  col_test_commit_fail = fail_commit;
  CHECK(remdb_insert(db, "g", js, strlen(js), id) != REMDB_OK);
  col_test_commit_fail = NULL;
  CHECK_INT(pend_list(tbl, NULL, NULL), 8);
  uint64_t rows = check_table("g", true);
  check_verify();
  /* close and reopen with rows pending: read from their records, and the
  ** next adoption builds their images from them */
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  CHECK_INT(pend_list(tbl, NULL, NULL), 8);
  CHECK_INT(check_table("g", true), rows);
  check_verify();
  insert_one(99, id);
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  CHECK_INT(check_table("g", true), rows + 1);
  check_verify();
  /* a merge of the list's segment folds the pending rows in */
  for (int i = 100; i < 104; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, NULL, NULL), 4);
  col_merge_rows = 2;
  insert_one(104, id);
  col_merge_rows = merge_default;
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(singles + packs, 0);
  CHECK_INT(check_table("g", true), rows + 6);
  check_verify();
  /* commits that only update carry the list a while, then adopt it */
  for (int i = 105; i < 107; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, NULL, NULL), 2);
  for (int k = 0; k < 8; k++) {
    CHECK_INT(pend_list(tbl, NULL, NULL), 2);
    CHECK_INT(remdb_update(db, ids[0], up, strlen(up)), REMDB_OK);
  }
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  count_deltas(tbl, &singles, &packs);
  CHECK_INT(packs, 1);
  CHECK_INT(check_table("g", true), rows + 8);
  check_verify();
  rows += 2;
  /* reindex and a schema replace that changes the columns empty it */
  for (int i = 110; i < 113; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, NULL, NULL), 3);
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  CHECK_INT(check_table("g", true), rows + 9);
  check_verify();
  for (int i = 120; i < 123; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, NULL, NULL), 3);
  const char *g2 =
      "{\"name\": \"g\", \"key_field\": \"k\", \"indexed_fields\": [\"i\"],"
      " \"properties\": {\"k\": {\"type\": \"string\"},"
      " \"s\": {\"type\": [\"string\", \"null\"]},"
      " \"i\": {\"type\": \"integer\"}, \"n\": {\"type\": \"number\"},"
      " \"b\": {\"type\": [\"boolean\", \"null\"]},"
      " \"t\": {\"type\": \"string\", \"format\": \"date-time\"},"
      " \"x\": {\"type\": \"integer\"},"
      " \"o\": {\"type\": \"object\"}, \"u\": {}}}";
  CHECK_INT(remdb_schema_put(db, g2, strlen(g2)), REMDB_OK);
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  CHECK_INT(check_table("g", true), rows + 12);
  check_verify();
  col_pend_max = pend_default;
  remdb_close(db);
  rm_tree(dir);
}

/* The insert that fills a segment merges it, its pending rows with it
** (test_full_segment_merges); the next segment's rows start a new list. */
static void test_pending_segments(void) {
  CHECK(col_pend_max >= 3);
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  insert_n(65533, 0);
  char id[REMDB_ID_LEN + 1];
  uint64_t pos[CNT_PEND_LIMIT];
  for (int i = 0; i < 2; i++) insert_one(i, id); /* 65533, 65534 */
  CHECK_INT(pend_list(tbl, pos, NULL), 2);
  CHECK(pos[1] == 65534);
  insert_one(2, id); /* 65535: fills segment 0 */
  CHECK_INT(pend_list(tbl, pos, NULL), 0);
  CHECK_INT(seg_deltas(tbl, 0), 0);
  CHECK_INT(check_table("g", true), 65536);
  insert_one(3, id); /* 65536: segment 1 */
  CHECK_INT(pend_list(tbl, pos, NULL), 1);
  insert_one(4, id);
  CHECK_INT(pend_list(tbl, pos, NULL), 2);
  CHECK(pos[0] == 65536 && pos[1] == 65537);
  CHECK_INT(seg_deltas(tbl, 1), 0);
  CHECK_INT(check_table("g", true), 65538);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* verify finds a damaged list; a malformed one is REMDB_CORRUPT, never a
** crash; reindex repairs both. */
static void test_pending_damage(void) {
  CHECK(col_pend_max >= 4);
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  char id[REMDB_ID_LEN + 1];
  for (int i = 0; i < 4; i++) insert_one(i, id);
  uint64_t pos[CNT_PEND_LIMIT];
  uuid16_t ids[CNT_PEND_LIMIT];
  CHECK_INT(pend_list(tbl, pos, ids), 4);
  check_verify();
  unsigned char t[CNT_TAIL_MAX + 8];
  /* two ids swapped: each at the other's position */
  t[0] = 4;
  put_u32be(t + 1, 0);
  for (int i = 0; i < 4; i++) {
    put_u16be(t + 5 + 18 * i, (uint16_t)pos[i]);
    memcpy(t + 7 + 18 * i, ids[i == 1 ? 2 : i == 2 ? 1 : i].b, 16);
  }
  put_tail(tbl, t, 5 + 18 * 4);
  CHECK_INT(verify_problems(), 2);
  /* an id with no entity at all: the reader refuses (no crash) */
  memset(t + 7 + 18 * 3, 0xab, 16);
  put_tail(tbl, t, 5 + 18 * 4);
  CHECK(verify_problems() > 0);
  snap_t *sn;
  col_reader *r = NULL;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_CORRUPT);
  CHECK(strstr(remdb_errmsg(db), "pending row") != NULL);
  snap_release(sn);
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  CHECK_INT(pend_list(tbl, NULL, NULL), 0);
  /* a pending position with a delta of its own; one merged already */
  for (int i = 10; i < 13; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, pos, ids), 3);
  const unsigned char gone[] = {2};
  plant_delta("g", pos[1], gone, 1);
  CHECK_INT(verify_problems(), 1);
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  for (int i = 20; i < 22; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, pos, ids), 2);
  /* a pending row's record gone (its id-directory entry left): verify
  ** reports it, no reader is opened on it */
  {
    unsigned char ek[KEY_ENTITY_LEN];
    key_entity(ek, db->tid, tbl, ids[0].b);
    kv_batch_t *kb = kv_batch_new(db->st->kv);
    kv_batch_del(kb, KV_ENTITY, ek, sizeof ek);
    err_t e;
    CHECK_INT(kv_write(db->st->kv, kb, 1, &e), REMDB_OK);
    kv_batch_free(kb);
    CHECK(verify_problems() > 0);
    CHECK_INT(remdb_reindex(db, NULL), REMDB_OK); /* (sweeps the entry) */
    check_verify();
    CHECK_INT(pend_list(tbl, NULL, NULL), 0);
    for (int i = 30; i < 32; i++) insert_one(i, id);
    CHECK_INT(pend_list(tbl, pos, ids), 2);
  }
  int64_t want = sql_sum(); /* (the rows, before the counter's damage) */
  CHECK(want >= 0);
  /* list a merged row (position 0, its own id) */
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK); /* (reindex refreshed it) */
  snap_t *s2;
  CHECK_INT(snap_take(db, &s2), REMDB_OK);
  CHECK_INT(colr_open(db, s2, ct->s, &r), REMDB_OK);
  col_vec v;
  CHECK_INT(colr_read(r, 0, colr_find(r, "id"), &v), REMDB_OK);
  t[0] = 1;
  put_u32be(t + 1, 0);
  put_u16be(t + 5, 0);
  memcpy(t + 7, v.id[0], 16);
  colr_close(r);
  snap_release(s2);
  put_tail(tbl, t, 5 + 18);
  CHECK_INT(verify_problems(), 1);
  /* malformed: wrong length, out of order, a zero count */
  const size_t bad_len[] = {5 + 18 + 1, 5 + 18 * 2, 4};
  t[0] = 2;
  put_u16be(t + 5 + 18, 0); /* (second before the first) */
  for (int b = 0; b < 3; b++) {
    if (b == 2) t[0] = 0;
    put_tail(tbl, t, bad_len[b]);
    uint64_t problems = 0;
    CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_CORRUPT);
    CHECK(strstr(remdb_errmsg(db), "row counter") != NULL);
    int64_t got = sql_sum(); /* refused, or the rows' true answer */
    CHECK(got == -1 || got == want);
  }
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* A counter whose pending rows name a segment far past the table's last
** (damage to its 4 segment bytes): readers and the writer refuse it as
** corrupt.  They took it: a reader's segment count (u32) wrapped to 0 at
** segment 0xffffffff, the writer handed out position 2^48, whose delta
** key named segment 0 again; a lesser segment made both allocate and
** walk billions of segments. */
static void test_pending_far_segment(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  char id[REMDB_ID_LEN + 1];
  for (int i = 0; i < 2; i++) insert_one(i, id);
  uint64_t pos[CNT_PEND_LIMIT];
  uuid16_t ids[CNT_PEND_LIMIT];
  CHECK_INT(pend_list(tbl, pos, ids), 2);
  const uint32_t far[] = {0xffffffffu, 0x7fffffffu, 2};
  for (int f = 0; f < 3; f++) {
    unsigned char t[5 + 18 * 2];
    t[0] = 2;
    put_u32be(t + 1, far[f]);
    for (int i = 0; i < 2; i++) {
      put_u16be(t + 5 + 18 * i, (uint16_t)pos[i]);
      memcpy(t + 7 + 18 * i, ids[i].b, 16);
    }
    put_tail(tbl, t, sizeof t);
    /* a fresh handle: the writer's state is read again */
    remdb_close(db);
    CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
    CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
    snap_t *sn;
    col_reader *r = NULL;
    CHECK_INT(snap_take(db, &sn), REMDB_OK);
    CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_CORRUPT);
    CHECK(strstr(remdb_errmsg(db), "pending rows") != NULL);
    if (r) colr_close(r);
    snap_release(sn);
    char js[] = "{\"k\": \"far\", \"i\": 1, \"t\": \"2024-02-01T00:00:00Z\"}";
    CHECK_INT(remdb_insert(db, "g", js, strlen(js), id), REMDB_CORRUPT);
    CHECK(verify_problems() > 0);
  }
  CHECK_INT(remdb_reindex(db, "g"), REMDB_OK);
  check_verify();
  CHECK_INT(sql_sum(), 2 * 1000000 + 1);
  remdb_close(db);
  rm_tree(dir);
}

/* Pending rows against a model, in seeded random rounds: batches of
** inserts, updates, soft and hard deletes and undeletes (an insert of a
** soft-deleted key) of rows old, pending and new in the same batch, in
** every order; commits failed on purpose; reopens; merges after few
** deltas.  After each round the columns match the records (check_table)
** and SQL's count and sum the model; verify is clean. */
static void test_pending_model(void) {
  open_db();
  enum { NK = 96 };
  struct {
    char id[REMDB_ID_LEN + 1];
    int state; /* 0 none, 1 live, 2 soft-deleted */
    int64_t i;
  } m[NK];
  memset(m, 0, sizeof m);
  uint32_t merge = col_merge_rows, tail = col_tail_merge_max;
  uint32_t pmax = col_pend_max;
  uint64_t seed = 0x9e3779b97f4a7c15ull;
#define RND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, \
               (uint32_t)(seed >> 33))
  for (int round = 0; round < 240; round++) {
    if (round == 120) col_merge_rows = col_tail_merge_max = 5;
    if (round % 60 == 0) col_pend_max = (uint32_t[]){4, 1, 8, 2}[round / 60];
    int nops = RND() % 3 == 0 ? 1 + (int)(RND() % 6) : 1;
    bool fail = RND() % 11 == 0;
    remdb_batch *bt;
    CHECK_INT(remdb_batch_begin(db, &bt), REMDB_OK);
    /* the model as this batch leaves it */
    int st2[NK];
    int64_t i2[NK];
    char id2[NK][REMDB_ID_LEN + 1];
    for (int k = 0; k < NK; k++) {
      st2[k] = m[k].state;
      i2[k] = m[k].i;
      memcpy(id2[k], m[k].id, sizeof id2[k]);
    }
    for (int o = 0; o < nops; o++) {
      int k = (int)(RND() % NK);
      int64_t v = (int64_t)(RND() % 2001) - 1000;
      char js[128];
      if (st2[k] == 0 || (st2[k] == 2 && RND() % 2)) {
        /* insert (an undelete if soft-deleted) */
        snprintf(js, sizeof js, "{\"k\": \"m%d\", \"i\": %lld}", k,
                 (long long)v);
        char nid[REMDB_ID_LEN + 1];
        CHECK_INT(remdb_batch_insert(bt, "g", js, strlen(js), nid), REMDB_OK);
        if (st2[k] == 2) CHECK_STR(nid, id2[k]);
        memcpy(id2[k], nid, sizeof nid);
        st2[k] = 1;
        i2[k] = v;
      } else if (st2[k] == 1) {
        uint32_t what = RND() % 3;
        if (what == 0) {
          snprintf(js, sizeof js, "{\"i\": %lld}", (long long)v);
          CHECK_INT(remdb_batch_update(bt, id2[k], js, strlen(js)), REMDB_OK);
          i2[k] = v;
        } else {
          CHECK_INT(remdb_batch_delete(bt, id2[k], what == 1 ? 0 : REMDB_HARD),
                    REMDB_OK);
          st2[k] = what == 1 ? 2 : 0;
        }
      } else { /* soft-deleted: hard delete */
        CHECK_INT(remdb_batch_delete(bt, id2[k], REMDB_HARD), REMDB_OK);
        st2[k] = 0;
      }
    }
    if (fail) col_test_commit_fail = fail_commit;
    int rc = remdb_batch_commit(bt, 0);
    col_test_commit_fail = NULL;
    remdb_batch_free(bt);
    CHECK_INT(rc, fail ? REMDB_IO : REMDB_OK);
    if (rc == REMDB_OK)
      for (int k = 0; k < NK; k++) {
        m[k].state = st2[k];
        m[k].i = i2[k];
        memcpy(m[k].id, id2[k], sizeof m[k].id);
      }
    if (RND() % 23 == 0) {
      remdb_close(db);
      CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
    }
    int64_t n = 0, sum = 0;
    for (int k = 0; k < NK; k++)
      if (m[k].state == 1) {
        n++;
        sum += m[k].i;
      }
    uint64_t rows = check_table("g", true);
    int64_t got = sql_sum();
    if (got != n * 1000000 + sum)
      fprintf(stderr, "round %d: sql %lld, model %lld rows sum %lld\n", round,
              (long long)got, (long long)n, (long long)sum);
    CHECK(got == n * 1000000 + sum);
    (void)rows;
    if (round % 8 == 7) check_verify();
  }
#undef RND
  col_merge_rows = merge;
  col_tail_merge_max = tail;
  col_pend_max = pmax;
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* Mark the open database as written by a build of format version v. */
static void set_format(unsigned char v) {
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  unsigned char fk[10] = {0, 0, 0, 0, 'f', 'o', 'r', 'm', 'a', 't'};
  unsigned char ver[4] = {0, 0, 0, v};
  kv_batch_put(kb, KV_META, fk, sizeof fk, ver, 4);
  err_t e;
  CHECK_INT(kv_write(db->st->kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
}

/* Reopen a database marked format v (set_format) holding rows rows of g:
** read-only it stays v and reads them; a writable open marks it this
** build's version and reads them the same. */
static void reopen_from(unsigned v, uint64_t rows) {
  remdb_close(db);
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(dir, "default", &o, &db), REMDB_OK);
  CHECK_INT(db->st->format, v);
  CHECK_INT(check_table("g", true), rows);
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  CHECK_INT(db->st->format, KV_FORMAT_VERSION);
  CHECK_INT(check_table("g", true), rows);
}

/* A format-3 database (single delta keys only, as a build of version 3
** writes them) reads as it is, and its writable open marks it 4; packs
** then join its single deltas. */
static void upgrade_from_3(void) {
  open_db();
  char id[REMDB_ID_LEN + 1], js[96];
  for (int i = 0; i < 20; i++) {
    snprintf(js, sizeof js, "{\"k\": \"k%d\", \"i\": %d, \"s\": \"v%d\"}", i,
             i, i);
    CHECK_INT(remdb_insert(db, "g", js, strlen(js), id), REMDB_OK);
  }
  set_format(3);
  reopen_from(3, 20);
  insert_n(30, 100);
  CHECK_INT(check_table("g", true), 50);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* A format-5 database (single-chunk columns, as a build of version 5
** writes them) reads as it is, and its writable open marks it 6; its tail
** then grows by chunks appended to those columns. */
static void upgrade_from_5(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id, least, most;
  col_merge_rows = 16;
  insert_n(20, 0); /* one merge: single chunks */
  chunk_counts(tbl, &least, &most);
  CHECK_INT(most, 1);
  set_format(5);
  reopen_from(5, 20);
  insert_n(40, 100); /* 40 deltas past the 20 merged: appended */
  chunk_counts(tbl, &least, &most);
  CHECK_INT(least, 2);
  CHECK_INT(check_table("g", true), 60);
  check_verify();
  col_merge_rows = merge_default;
  remdb_close(db);
  rm_tree(dir);
}

/* A format-6 database (no pending rows: every row has its delta or is
** merged) reads as it is; its writable open marks it 7, and single
** inserts then leave their rows pending; a build that reads 7 refuses a
** later version. */
static void upgrade_from_6(void) {
  open_db();
  cat_table *ct;
  CHECK_INT(cat_find(db, "g", &ct), REMDB_OK);
  uint32_t tbl = ct->s->table_id;
  insert_n(20, 0);
  set_format(6);
  reopen_from(6, 20);
  CHECK_INT(KV_FORMAT_VERSION, 7);
  char id[REMDB_ID_LEN + 1];
  for (int i = 0; i < 3; i++) insert_one(i, id);
  CHECK_INT(pend_list(tbl, NULL, NULL), 3);
  CHECK_INT(check_table("g", true), 23);
  check_verify();
  set_format(8);
  remdb_close(db);
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_CORRUPT);
  remdb_close(db);
  db = NULL;
  rm_tree(dir);
}

static void test_upgrade(void) {
  upgrade_from(2);
  upgrade_from(1);
  upgrade_from_3();
  upgrade_from_5();
  upgrade_from_6();
}

/* An update takes its row position from the id-directory entry that
** ent_read saw just before, and only while nothing was written since: a
** hard delete and a reinsert under the same id (key_field) between a read
** and an update give the entity a new position, which the update must
** use. */
static void test_dir_seen(void) {
  open_db();
  char id[REMDB_ID_LEN + 1], id2[REMDB_ID_LEN + 1], *js;
  const char *a = "{\"k\": \"a\", \"i\": 1, \"s\": \"one\"}";
  const char *b = "{\"k\": \"b\", \"i\": 2}";
  const char *p = "{\"i\": 5, \"s\": \"five\"}";
  CHECK_INT(remdb_insert(db, "g", a, strlen(a), id), REMDB_OK);
  CHECK_INT(remdb_insert(db, "g", b, strlen(b), id2), REMDB_OK);
  for (int round = 0; round < 3; round++) {
    CHECK_INT(remdb_get(db, NULL, id, 0, &js, NULL), REMDB_OK); /* seen */
    remdb_free(js);
    CHECK_INT(remdb_delete(db, id, REMDB_HARD), REMDB_OK);
    char again[REMDB_ID_LEN + 1];
    CHECK_INT(remdb_insert(db, "g", a, strlen(a), again), REMDB_OK);
    CHECK(strcmp(again, id) == 0); /* the same id, a new position */
    /* an upsert reads the entity by its table (no id-directory read):
    ** the entry the delete saw is stale */
    CHECK_INT(remdb_insert(db, "g", a, strlen(a), again), REMDB_OK);
    if (round == 1) run_sql("UPDATE g SET s = 'sql' WHERE k = 'a'");
    CHECK_INT(remdb_update(db, id, p, strlen(p)), REMDB_OK);
    CHECK_INT(remdb_update(db, id2, p, strlen(p)), REMDB_OK);
    CHECK(check_table("g", true) == 2);
    check_verify();
  }
  remdb_close(db);
  rm_tree(dir);
}

/* col_finish sorts a TEXT dictionary with qsort, whose comparator found
** the column in a file-level variable: two threads finishing columns at
** once (the parallel executor's workers applying deltas, two handles'
** readers, a merge beside a reader) sorted with each other's dictionary.
** Two threads finish columns of different strings at the same time, many
** times; each dictionary must come out ascending and every code must
** still name its row's string. */
#define FT_ROWS 20000
#define FT_ROUNDS 12
static pthread_barrier_t ft_bar;
static void *finish_thread(void *arg) {
  int t = (int)(intptr_t)arg;
  long bad = 0;
  for (int round = 0; round < FT_ROUNDS; round++) {
    col_data c;
    if (!col_init(&c, COLT_TEXT, FT_ROWS)) return (void *)1;
    char s[32];
    /* descending, so the whole dictionary is sorted by qsort; the other
    ** thread's strings differ in their first byte and length */
    for (uint32_t i = 0; i < FT_ROWS; i++) {
      int n = snprintf(s, sizeof s, t ? "%c%08u" : "%c%05u-x", 'a' + t,
                       FT_ROWS - i);
      col_set_text(&c, i, s, (size_t)n);
    }
    pthread_barrier_wait(&ft_bar);
    if (!col_finish(&c)) bad++;
    for (uint32_t k = 1; k < c.ndict; k++)
      if (strcmp(c.dict[k - 1], c.dict[k]) >= 0) bad++;
    for (uint32_t i = 0; i < FT_ROWS; i++) {
      snprintf(s, sizeof s, t ? "%c%08u" : "%c%05u-x", 'a' + t, FT_ROWS - i);
      if (c.code[i] >= c.ndict || strcmp(c.dict[c.code[i]], s) != 0) bad++;
    }
    col_free(&c);
  }
  return (void *)(intptr_t)bad;
}

static void test_finish_threads(void) {
  pthread_barrier_init(&ft_bar, NULL, 2);
  pthread_t th[2];
  for (int t = 0; t < 2; t++)
    CHECK_INT(pthread_create(&th[t], NULL, finish_thread, (void *)(intptr_t)t),
              0);
  for (int t = 0; t < 2; t++) {
    void *bad = NULL;
    pthread_join(th[t], &bad);
    CHECK_INT((int)(intptr_t)bad, 0);
  }
  pthread_barrier_destroy(&ft_bar);
}

/* The zone map against a plain reference (a per-row pass in row order):
** every type, visibility bitmaps, NULLs, NaN first and later, text with an
** unsorted dictionary (as set) and a sorted one (finished). */
static void test_zone_ref(void) {
  static const char *const words[] = {"m", "a", "zz", "", "b", "ab"};
  for (int round = 0; round < 200; round++) {
    uint32_t n = rn(130);
    uint64_t vis[3] = {rnd(), rnd(), rnd()};
    if (round % 3 == 0) vis[0] = vis[1] = vis[2] = ~(uint64_t)0;
    for (uint8_t ty = COLT_INT; ty <= COLT_ID; ty++)
      for (int fin = 0; fin < 2; fin++) {
        col_data c;
        CHECK(col_init(&c, ty, n));
        for (uint32_t i = 0; i < n; i++) {
          if (rn(4) == 0) continue; /* NULL */
          switch (ty) {
            case COLT_REAL:
              col_set_f64(&c, i, rn(9) == 0 ? NAN : (double)rn(50) - 25);
              break;
            case COLT_TEXT: {
              const char *w = words[rn(6)];
              col_set_text(&c, i, w, strlen(w));
              break;
            }
            case COLT_ID: {
              unsigned char id[16] = {(unsigned char)i};
              col_set_id(&c, i, id);
              break;
            }
            default: col_set_i64(&c, i, (int64_t)rn(1000) - 500);
          }
        }
        if (fin) CHECK(col_finish(&c));
        const uint64_t *vp = round % 2 ? vis : NULL;
        col_zonev z, ref;
        memset(&ref, 0, sizeof ref);
        for (uint32_t i = 0; i < n; i++) {
          if (vp && !col_bit(vp, i)) continue;
          if (col_bit(c.nulls, i)) {
            ref.nulls++;
            continue;
          }
          if (ty == COLT_REAL) {
            double v = c.f64[i];
            if (!ref.has || v < ref.min.f) ref.min.f = v;
            if (!ref.has || v > ref.max.f) ref.max.f = v;
          } else if (ty == COLT_TEXT) {
            uint32_t k = c.code[i];
            const char *t = c.arena.p + c.doff[k];
            if (!ref.has || strcmp(t, c.arena.p + c.doff[ref.cmin]) < 0)
              ref.cmin = k;
            if (!ref.has || strcmp(t, c.arena.p + c.doff[ref.cmax]) > 0)
              ref.cmax = k;
          } else if (ty != COLT_ID) {
            int64_t v = c.i64[i];
            if (!ref.has || v < ref.min.i) ref.min.i = v;
            if (!ref.has || v > ref.max.i) ref.max.i = v;
          }
          ref.has = true;
        }
        if (ty == COLT_ID) ref.has = false;
        col_zone_calc(&c, vp, &z);
        CHECK_INT(z.nulls, ref.nulls);
        CHECK_INT(z.has, ref.has);
        if (z.has && ref.has) {
          if (ty == COLT_REAL) {
            CHECK(memcmp(&z.min.f, &ref.min.f, 8) == 0);
            CHECK(memcmp(&z.max.f, &ref.max.f, 8) == 0);
          } else if (ty == COLT_TEXT) {
            CHECK(z.cmin == ref.cmin && z.cmax == ref.cmax);
          } else {
            CHECK(z.min.i == ref.min.i && z.max.i == ref.max.i);
          }
        }
        col_free(&c);
      }
  }
}

/* A frame of reference divides by the values' common divisor: runs whose
** divisor becomes 1 part-way (its search stops there) and runs that keep
** one, each decoded as written. */
static void test_for_gcd(void) {
  static const int64_t runs[][6] = {
      {0, 10, 20, 35, 1000, -5},      {0, 3, 6, 9, 12, 300},
      {7, 7, 7, 7, 7, 7},             {-40, 0, 40, 80, 1, 120},
      {1000000, 2000000, 3, 0, 0, 0}, {INT64_MIN, 0, INT64_MAX, 2, 4, 6}};
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
    col_data c, d;
    CHECK(col_init(&c, COLT_INT, 6));
    for (uint32_t i = 0; i < 6; i++) col_set_i64(&c, i, runs[r][i]);
    buf_t b;
    buf_init(&b);
    col_encode(&c, &b);
    err_t e;
    CHECK_INT(col_decode(b.p, b.len, &d, &e), REMDB_OK);
    CHECK_INT(d.n, 6);
    for (uint32_t i = 0; i < 6; i++) CHECK(d.i64[i] == runs[r][i]);
    col_free(&c);
    col_free(&d);
    buf_free(&b);
  }
}

/* A row image parses a date-time once when the next column holds the same
** text (an insert's created_at and modified_at): equal, differing and
** non-canonical texts side by side, inserted and updated, read back
** exactly. */
static void test_time_columns(void) {
  scratch_dir(dir, sizeof dir, "cols");
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  const char *sc =
      "{\"name\": \"tm\", \"properties\": {"
      "\"a\": {\"type\": \"string\", \"format\": \"date-time\"},"
      "\"b\": {\"type\": \"string\", \"format\": \"date-time\"},"
      "\"c\": {\"type\": \"string\", \"format\": \"date-time\"}}}";
  CHECK_INT(remdb_schema_put(db, sc, strlen(sc)), REMDB_OK);
  static const char *const rows[] = {
      "{\"a\": \"2024-01-02T03:04:05Z\", \"b\": \"2024-01-02T03:04:05Z\","
      " \"c\": \"2024-01-02T03:04:05Z\"}",
      "{\"a\": \"2024-01-02T03:04:05Z\", \"b\": \"2024-01-02T03:04:05Z\","
      " \"c\": \"1999-12-31T23:59:59.999999Z\"}",
      "{\"a\": \"2030-06-01T00:00:00Z\", \"b\": \"2024-01-02T03:04:05Z\","
      " \"c\": \"2024-01-02T03:04:05Z\"}",
      "{\"a\": \"2024-01-02T03:04:05Z\", \"c\": \"2024-01-02T03:04:05Z\"}"};
  char ids[4][REMDB_ID_LEN + 1];
  for (int i = 0; i < 4; i++)
    CHECK_INT(remdb_insert(db, "tm", rows[i], strlen(rows[i]), ids[i]),
              REMDB_OK);
  CHECK(check_table("tm", true) == 4);
  const char *p = "{\"b\": \"2024-01-02T03:04:06Z\"}";
  CHECK_INT(remdb_update(db, ids[0], p, strlen(p)), REMDB_OK);
  p = "{\"c\": \"2030-06-01T00:00:00Z\"}";
  CHECK_INT(remdb_update(db, ids[2], p, strlen(p)), REMDB_OK);
  CHECK(check_table("tm", true) == 4);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

/* The writer converts a date-time through a cache of the column's last
** one (the same text, or the same date and another time): times of one
** date in and out of order, both sides of midnight and before 1970, by
** single inserts and in a batch, read back exactly (a schema replace that
** would make a non-canonical text a date-time is refused, so none reaches
** the cache). */
static void test_time_cache(void) {
  scratch_dir(dir, sizeof dir, "cols");
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  const char *sc =
      "{\"name\": \"tc\", \"properties\": {"
      "\"a\": {\"type\": \"string\", \"format\": \"date-time\"},"
      "\"s\": {\"type\": \"string\"}}}";
  CHECK_INT(remdb_schema_put(db, sc, strlen(sc)), REMDB_OK);
  static const char *const ts[] = {
      "2024-01-02T03:04:05.000001Z", "2024-01-02T23:59:59.999999Z",
      "2024-01-02T00:00:00Z",        "2024-01-02T03:04:05.000001Z",
      "2024-01-03T00:00:00Z",        "1969-12-31T23:59:59.5Z",
      "1969-12-31T00:00:00.25Z",     "1969-12-31T12:00:00Z",
      "0001-01-01T10:00:00Z",        "0001-01-01T09:59:59.999999Z"};
  size_t nts = sizeof ts / sizeof *ts;
  char js[160];
  for (size_t i = 0; i < nts; i++) {
    int n = snprintf(js, sizeof js, "{\"a\": \"%s\", \"s\": \"%s\"}",
                     ts[i], ts[nts - 1 - i]);
    CHECK_INT(remdb_insert(db, "tc", js, (size_t)n, NULL), REMDB_OK);
  }
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (size_t i = 0; i < 3 * nts; i++) {
    int n = snprintf(js, sizeof js, "{\"a\": \"%s\", \"s\": \"%s\"}",
                     ts[(i * 7) % nts], ts[i % nts]);
    CHECK_INT(remdb_batch_insert(b, "tc", js, (size_t)n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK(check_table("tc", true) == 4 * nts);
  check_verify();
  remdb_close(db);
  rm_tree(dir);
}

int main(int argc, char **argv) {
  merge_default = col_merge_rows;
  TEST_CASE(test_pack);
  TEST_CASE(test_encodings);
  TEST_CASE(test_chunks);
  TEST_CASE(test_for_gcd);
  TEST_CASE(test_zone_ref);
  TEST_CASE(test_schema_keys);
  TEST_CASE(test_generated);
  TEST_CASE(test_damage);
  TEST_CASE(test_snapshot);
  TEST_CASE(test_segments);
  TEST_CASE(test_full_segment_merges);
  TEST_CASE(test_merge_cache);
  TEST_CASE(test_share_bound);
  TEST_CASE(test_delta_packs);
  TEST_CASE(test_txn_own_rows);
  TEST_CASE(test_pack_v2_coder);
  TEST_CASE(test_pack_v2);
  TEST_CASE(test_pending);
  TEST_CASE(test_pending_segments);
  TEST_CASE(test_pending_damage);
  TEST_CASE(test_pending_far_segment);
  TEST_CASE(test_pending_model);
  TEST_CASE(test_merge_dirty);
  TEST_CASE(test_tail_chunks);
  TEST_CASE(test_merge_scratch);
  TEST_CASE(test_columnar_off_on);
  TEST_CASE(test_same_id);
  TEST_CASE(test_column_cf);
  TEST_CASE(test_upgrade);
  TEST_CASE(test_dir_seen);
  TEST_CASE(test_finish_threads);
  TEST_CASE(test_time_columns);
  TEST_CASE(test_time_cache);
  return test_main(argc, argv, "test_columns");
}

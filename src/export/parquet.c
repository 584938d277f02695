/*
** parquet.c: remdb_export_parquet (remdb.h), the Parquet file writer.
**
** Layer: above core (it reads the columnar copy through core/colread.h)
** and sql (the WHERE filter runs as SQL under the export's snapshot),
** below the API and the CLI.
**
** The file: "PAR1", then per column segment with selected rows a row
** group (per column one chunk of data pages, page.c), then the footer
** (FileMetaData, Thrift compact), its length (4 bytes LE) and "PAR1".
** A chunk is written as soon as it is built, so memory stays at one
** chunk (at most COL_SEG_ROWS rows of one column) plus the footer.
**
** The rows: the live rows of each segment (colr_visible), restricted to
** the ids the filter `SELECT id FROM t WHERE (cond)` returns under the
** same snapshot.  A table without columns ("columnar": false) is refused
** with a message naming the other export formats.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/colread.h"
#include "../core/core.h"
#include "../sql/sql.h"
#include "pq.h"
#include "thrift.h"

/* One exported column. */
typedef struct xcol {
  int col; /* in the reader */
  const char *name;
  enum colv_type vt;
  enum pq_type pt;
} xcol;

typedef struct xport {
  remdb *db;
  const sch_table *t;
  col_reader *r;
  xcol *cols;
  uint32_t ncols;
  enum pq_codec codec;
  FILE *f;
  const char *tmp;
  uint64_t off;     /* bytes written */
  buf_t groups;     /* RowGroup structs, serialized */
  uint32_t ngroups;
  int64_t rows;
} xport;

static int io_fail(xport *x) {
  return err_set(&x->db->err, REMDB_IO, "export: cannot write %s: %s", x->tmp,
                 strerror(errno ? errno : EIO));
}

static int put(xport *x, const void *p, size_t n) {
  errno = 0;
  if (n && fwrite(p, 1, n, x->f) != n) return io_fail(x);
  x->off += n;
  return REMDB_OK;
}

/* Does cond keep its parentheses balanced (outside quotes and comments),
** so that "WHERE (cond)" cannot close the parenthesis around it? */
static bool balanced(const char *s) {
  int depth = 0;
  for (; *s; s++) {
    char c = *s;
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char end = c == '[' ? ']' : c;
      while (s[1] && s[1] != end) s++;
      if (!s[1]) return false;
      s++;
    } else if (c == '-' && s[1] == '-') {
      return false; /* a comment would hide the closing parenthesis */
    } else if (c == '/' && s[1] == '*') {
      const char *e = strstr(s + 2, "*/");
      if (e == NULL) return false;
      s = e + 1;
    } else if (c == '(') {
      depth++;
    } else if (c == ')' && --depth < 0) {
      return false;
    }
  }
  return depth == 0;
}

/* The ids of t's rows that satisfy `where`, under snap, into out. */
static int filter_ids(remdb *db, snap_t *snap, const char *table,
                      const char *where, idset *out) {
  if (!balanced(where))
    return err_set(&db->err, REMDB_INVALID,
                   "export: --where \"%s\": unbalanced parentheses or quotes, "
                   "or a comment: give one SQL condition",
                   where);
  buf_t q;
  buf_init(&q);
  buf_addf(&q, "SELECT id FROM \"%s\" WHERE (%s)", table, where);
  if (q.oom) return err_nomem(&db->err);
  remdb_stmt *st = NULL;
  size_t used = 0;
  int rc = sql_prepare_in(db, snap, q.p, q.len, &st, &used);
  if (rc == REMDB_OK && (st == NULL || used != q.len))
    rc = err_set(&db->err, REMDB_INVALID, "must be one SQL predicate");
  while (rc == REMDB_OK && (rc = remdb_step(st)) == REMDB_ROW) {
    uuid16_t u;
    size_t n;
    const char *s = remdb_column_text(st, 0, &n);
    rc = REMDB_OK;
    if (s && uuid_parse(s, n, &u) && !idset_add(out, u.b, NULL))
      rc = err_nomem(&db->err);
  }
  if (rc == REMDB_DONE) rc = REMDB_OK;
  if (rc) err_prefix(&db->err, "export: --where \"%s\"", where);
  remdb_finalize(st);
  buf_free(&q);
  return rc;
}

/* The columns to export, in the columns' order: id, created_at,
** modified_at, the properties (deleted_at is NULL on every live row). */
static int pick_columns(xport *x) {
  const sch_table *t = x->t;
  x->cols = calloc(t->ncols ? t->ncols : 1, sizeof *x->cols);
  if (x->cols == NULL) return err_nomem(&x->db->err);
  for (uint32_t c = 0; c < t->ncols; c++) {
    uint16_t f = t->cols[c].field;
    const char *name = f == 0                ? "id"
                       : f == REC_F_CREATED  ? "created_at"
                       : f == REC_F_MODIFIED ? "modified_at"
                       : f == REC_F_DELETED  ? NULL
                                             : rec_dict_name(&t->dict, f);
    if (name == NULL) continue;
    int col = colr_find(x->r, name);
    if (col < 0)
      return err_set(&x->db->err, REMDB_INVALID,
                     "export: %s.%s holds values its type cannot represent "
                     "exactly (its schema type changed?), so it has no typed "
                     "column: fix those values or export as jsonl",
                     t->name, name);
    xcol *xc = &x->cols[x->ncols++];
    xc->col = col;
    xc->name = name;
    xc->vt = colr_type(x->r, col);
    switch (xc->vt) {
      case COLV_INT:
      case COLV_TIME: xc->pt = PQ_INT64; break;
      case COLV_REAL: xc->pt = PQ_DOUBLE; break;
      case COLV_BOOL: xc->pt = PQ_BOOLEAN; break;
      default: xc->pt = PQ_BYTE_ARRAY;
    }
  }
  return REMDB_OK;
}

/* A TEXT column in dictionary encoding: the segment's dictionary, cut to
** the entries the selected rows use (kept in order, so still ascending),
** then the rows' codes into it.  false: out of memory. */
static bool fill_text(pq_chunk *ch, const col_vec *v,
                      const uint32_t *sel, uint32_t nsel) {
  uint32_t nd = v->ndict ? v->ndict : 1;
  uint32_t *map = malloc(nd * sizeof *map);
  const char **vals = malloc(nd * sizeof *vals);
  uint32_t *lens = malloc(nd * sizeof *lens);
  bool ok = map && vals && lens;
  if (ok) {
    memset(map, 0xFF, nd * sizeof *map);
    for (uint32_t k = 0; k < nsel; k++) {
      uint32_t i = sel[k];
      if (!(v->nulls && (v->nulls[i / 64] >> (i % 64) & 1))) map[v->code[i]] = 0;
    }
    uint32_t n = 0;
    for (uint32_t d = 0; d < v->ndict; d++)
      if (map[d] == 0) {
        vals[n] = v->dict[d];
        lens[n] = v->dict_len[d];
        map[d] = n++;
      }
    if (n) pq_chunk_dict(ch, vals, lens, n);
    for (uint32_t k = 0; k < nsel; k++) {
      uint32_t i = sel[k];
      if (v->nulls && (v->nulls[i / 64] >> (i % 64) & 1))
        pq_put_null(ch);
      else
        pq_put_code(ch, map[v->code[i]]);
    }
  }
  free(map);
  free(vals);
  free(lens);
  return ok;
}

/* Column xc's values at the selected positions into ch. */
static void fill_chunk(pq_chunk *ch, const xcol *xc, const col_vec *v,
                       const uint32_t *sel, uint32_t nsel) {
  for (uint32_t k = 0; k < nsel; k++) {
    uint32_t i = sel[k];
    if (v->nulls && (v->nulls[i / 64] >> (i % 64) & 1)) {
      pq_put_null(ch);
      continue;
    }
    switch (xc->vt) {
      case COLV_INT:
      case COLV_TIME:
      case COLV_BOOL: pq_put_i64(ch, v->i64[i]); break;
      case COLV_REAL: pq_put_f64(ch, v->f64[i]); break;
      case COLV_TEXT: {
        uint32_t code = v->code[i];
        pq_put_bytes(ch, v->dict[code], v->dict_len[code]);
        break;
      }
      case COLV_ID: {
        char s[REMDB_ID_LEN + 1];
        uuid16_t u;
        memcpy(u.b, v->id[i], 16);
        uuid_format(&u, s);
        pq_put_bytes(ch, s, REMDB_ID_LEN);
        break;
      }
    }
  }
}

/* Write chunk ch of column xc and its ColumnChunk metadata into w. */
static int write_chunk(xport *x, th_w *w, const xcol *xc, pq_chunk *ch) {
  if (!pq_chunk_finish(ch))
    return err_set(&x->db->err, REMDB_NOMEM,
                   "export: out of memory (or the compressor failed) "
                   "writing column %s",
                   xc->name);
  uint64_t start = x->off;
  int rc = put(x, ch->out.p, ch->out.len);
  if (rc) return rc;
  th_begin(w, 0); /* ColumnChunk */
  th_i64(w, 2, (int64_t)start);
  th_begin(w, 3); /* ColumnMetaData */
  th_i32(w, 1, xc->pt);
  th_list(w, 2, TH_I32, ch->dict ? 3 : 2);
  th_list_i32(w, 0); /* PLAIN */
  th_list_i32(w, 3); /* RLE */
  if (ch->dict) th_list_i32(w, 8); /* RLE_DICTIONARY */
  th_list(w, 3, TH_BINARY, 1);
  th_list_bin(w, xc->name, strlen(xc->name));
  th_i32(w, 4, ch->codec);
  th_i64(w, 5, ch->values);
  th_i64(w, 6, (int64_t)ch->raw_size);
  th_i64(w, 7, (int64_t)ch->out.len);
  th_i64(w, 9, (int64_t)(start + ch->dict_size));
  if (ch->dict) th_i64(w, 11, (int64_t)start);
  th_begin(w, 12); /* Statistics */
  th_i64(w, 3, ch->nulls);
  unsigned char a[8], b[8];
  const void *mn, *mx;
  size_t nmn, nmx;
  if (pq_chunk_minmax(ch, a, b, &mn, &nmn, &mx, &nmx)) {
    th_bin(w, 5, mx, nmx);
    th_bin(w, 6, mn, nmn);
  }
  th_end(w);
  th_end(w);
  th_end(w);
  return REMDB_OK;
}

/* The row groups, one per segment with selected rows. */
static int write_groups(xport *x, const idset *only) {
  int rc = REMDB_OK;
  uint32_t idcol = 0; /* the id is the first column */
  uint32_t *sel = malloc(COL_SEG_ROWS * sizeof *sel);
  pq_chunk ch;
  pq_chunk_init(&ch, PQ_INT64, x->codec);
  if (sel == NULL) rc = err_nomem(&x->db->err);
  uint32_t nsegs = colr_nsegs(x->r);
  for (uint32_t s = 0; rc == REMDB_OK && s < nsegs; s++) {
    const uint64_t *vis;
    uint32_t n, nsel = 0;
    if ((rc = colr_visible(x->r, s, &vis, &n))) break;
    col_vec idv;
    if (only && (rc = colr_read(x->r, s, x->cols[idcol].col, &idv))) break;
    for (uint32_t i = 0; i < n; i++)
      if ((vis[i / 64] >> (i % 64) & 1) && (!only || idset_has(only, idv.id[i])))
        sel[nsel++] = i;
    if (nsel == 0) continue;
    buf_t *g = &x->groups;
    th_w w;
    th_init(&w, g);
    th_begin(&w, 0); /* RowGroup */
    th_list(&w, 1, TH_STRUCT, x->ncols);
    uint64_t start = x->off, raw = 0;
    for (uint32_t c = 0; rc == REMDB_OK && c < x->ncols; c++) {
      col_vec v;
      if ((rc = colr_read(x->r, s, x->cols[c].col, &v))) break;
      pq_chunk_reset(&ch);
      ch.type = x->cols[c].pt;
      if (x->cols[c].vt == COLV_TEXT) {
        if (!fill_text(&ch, &v, sel, nsel)) rc = err_nomem(&x->db->err);
      } else {
        fill_chunk(&ch, &x->cols[c], &v, sel, nsel);
      }
      if (rc) break;
      rc = write_chunk(x, &w, &x->cols[c], &ch);
      raw += ch.raw_size;
    }
    if (rc) break;
    th_i64(&w, 2, (int64_t)raw);
    th_i64(&w, 3, nsel);
    th_i64(&w, 5, (int64_t)start);
    th_i64(&w, 6, (int64_t)(x->off - start));
    th_end(&w);
    if (g->oom) rc = err_nomem(&x->db->err);
    x->ngroups++;
    x->rows += nsel;
  }
  pq_chunk_free(&ch);
  free(sel);
  return rc;
}

/* SchemaElement of column xc. */
static void schema_leaf(th_w *w, const xcol *xc) {
  th_begin(w, 0);
  th_i32(w, 1, xc->pt);
  th_i32(w, 3, 1); /* OPTIONAL */
  th_str(w, 4, xc->name);
  if (xc->vt == COLV_TEXT || xc->vt == COLV_ID) {
    th_i32(w, 6, 0); /* converted type UTF8 */
    th_begin(w, 10); /* LogicalType */
    th_begin(w, 1);  /* STRING */
    th_end(w);
    th_end(w);
  } else if (xc->vt == COLV_TIME) {
    th_i32(w, 6, 10); /* converted type TIMESTAMP_MICROS */
    th_begin(w, 10);  /* LogicalType */
    th_begin(w, 8);   /* TIMESTAMP */
    th_bool(w, 1, true); /* isAdjustedToUTC */
    th_begin(w, 2);      /* unit */
    th_begin(w, 2);      /* MICROS */
    th_end(w);
    th_end(w);
    th_end(w);
    th_end(w);
  }
  th_end(w);
}

static int write_footer(xport *x) {
  buf_t b;
  buf_init(&b);
  th_w w;
  th_init(&w, &b);
  th_begin(&w, 0); /* FileMetaData */
  th_i32(&w, 1, 1);
  th_list(&w, 2, TH_STRUCT, x->ncols + 1);
  th_begin(&w, 0); /* the root */
  th_str(&w, 4, "schema");
  th_i32(&w, 5, (int32_t)x->ncols);
  th_end(&w);
  for (uint32_t c = 0; c < x->ncols; c++) schema_leaf(&w, &x->cols[c]);
  th_i64(&w, 3, x->rows);
  th_list(&w, 4, TH_STRUCT, x->ngroups);
  buf_add(&b, x->groups.p, x->groups.len);
  th_str(&w, 6, "remdb version " REMDB_VERSION);
  th_list(&w, 7, TH_STRUCT, x->ncols); /* ColumnOrder: TYPE_ORDER */
  for (uint32_t c = 0; c < x->ncols; c++) {
    th_begin(&w, 0);
    th_begin(&w, 1);
    th_end(&w);
    th_end(&w);
  }
  th_end(&w);
  int rc = REMDB_OK;
  if (b.oom || b.len > UINT32_MAX) rc = err_nomem(&x->db->err);
  unsigned char tail[8] = {0, 0, 0, 0, 'P', 'A', 'R', '1'};
  for (int i = 0; i < 4; i++) tail[i] = (unsigned char)(b.len >> (8 * i));
  if (rc == REMDB_OK) rc = put(x, b.p, b.len);
  if (rc == REMDB_OK) rc = put(x, tail, 8);
  buf_free(&b);
  return rc;
}

static int export_run(xport *x, snap_t *snap, const char *path,
                      const char *where) {
  remdb *db = x->db;
  idset only;
  memset(&only, 0, sizeof only);
  int rc = REMDB_OK;
  if (where) rc = filter_ids(db, snap, x->t->name, where, &only);
  if (rc == REMDB_OK) {
    rc = colr_open(db, snap, x->t, &x->r);
    if (rc) err_prefix(&db->err, "export");
  }
  if (rc == REMDB_OK) rc = pick_columns(x);
  if (rc) {
    idset_free(&only);
    return rc;
  }
  size_t pl = strlen(path);
  char *tmp = malloc(pl + 5);
  if (tmp == NULL) {
    idset_free(&only);
    return err_nomem(&db->err);
  }
  memcpy(tmp, path, pl);
  memcpy(tmp + pl, ".tmp", 5);
  x->tmp = tmp;
  errno = 0;
  x->f = fopen(tmp, "wb");
  if (x->f == NULL) rc = io_fail(x);
  if (rc == REMDB_OK) rc = put(x, "PAR1", 4);
  if (rc == REMDB_OK) rc = write_groups(x, where ? &only : NULL);
  if (rc == REMDB_OK) rc = write_footer(x);
  if (x->f) {
    errno = 0;
    if (rc == REMDB_OK && (fflush(x->f) || fsync(fileno(x->f))))
      rc = io_fail(x);
    if (fclose(x->f) && rc == REMDB_OK) rc = io_fail(x);
    x->f = NULL;
    if (rc == REMDB_OK && rename(tmp, path))
      rc = err_set(&db->err, REMDB_IO, "export: cannot rename %s to %s: %s",
                   tmp, path, strerror(errno));
    if (rc) unlink(tmp);
  }
  x->tmp = NULL;
  free(tmp);
  idset_free(&only);
  return rc;
}

int remdb_export_parquet(remdb *db, const char *table, const char *path,
                         const char *where, int compression,
                         uint64_t *rows_out) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (rows_out) *rows_out = 0;
  if (table == NULL || path == NULL)
    return err_set(&db->err, REMDB_MISUSE,
                   "export: table and path must not be NULL");
  if (*path == '\0')
    return err_set(&db->err, REMDB_INVALID, "export: empty file name");
  xport x;
  memset(&x, 0, sizeof x);
  x.db = db;
  switch (compression) {
    case REMDB_PARQUET_ZSTD: x.codec = PQ_ZSTD; break;
    case REMDB_PARQUET_SNAPPY: x.codec = PQ_SNAPPY; break;
    case REMDB_PARQUET_NONE: x.codec = PQ_UNCOMPRESSED; break;
    default:
      return err_set(&db->err, REMDB_INVALID,
                     "export: unknown compression %d", compression);
  }
  snap_t *snap = NULL;
  cat_table *ct = NULL;
  int rc = snap_take(db, &snap);
  if (rc == REMDB_OK) rc = cat_lookup(db, table, &ct);
  if (rc == REMDB_OK && !ct->s->columnar)
    rc = err_set(&db->err, REMDB_INVALID,
                 "export: %s keeps no columns (its schema says \"columnar\": "
                 "false) and Parquet export streams from the columns: export "
                 "it as jsonl or csv",
                 ct->s->name);
  if (rc == REMDB_OK) {
    sch_table *t = sch_retain(ct->s);
    x.t = t;
    buf_init(&x.groups);
    rc = export_run(&x, snap, path, where);
    colr_close(x.r);
    free(x.cols);
    buf_free(&x.groups);
    sch_free(t);
  }
  snap_release(snap);
  if (rc == REMDB_OK && rows_out) *rows_out = (uint64_t)x.rows;
  return rc;
}

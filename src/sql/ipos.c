/*
** ipos.c: an index route that reads its columns by row position (issue
** 11).  When every column a statement reads of the table is in the
** table's columnar copy, exact (colread.h), an index route need not read
** each entity: the cursor walks the index entries for their ids only,
** resolves the ids to row positions (the position an index entry keeps as
** its value, taken when the snapshot's id column agrees; else the id
** directory, one batched read per window of ids) and gathers the columns' values at those positions
** from the decoded segments (the column cache) and the pending deltas of
** the statement's snapshot.  The rows come out in index order, as the
** row route's do.
**
** The route is taken per cursor run (vtab.c's xFilter asks ipos_open):
**   - not for the <table>_all views (soft-deleted rows have no position
**     a reader calls live), nor when sql_route is REMDB_ROUTE_SQLITE or
**     REMDB_ROUTE_ROWS (the old route, for tests and users);
**   - only when every used column has an exact column (colr_find);
**   - by cost (REMDB_ROUTE_AUTO; REMDB_ROUTE_COLUMNAR takes it whenever
**     it serves): decoding a segment's column that is not in the cache
**     (the id column too: it checks the positions) costs about as much
**     as DECODE_ROWS point reads, so a lookup expected to touch few rows
**     per uncached segment reads rows instead.
** A value that turns out inexact while gathering (a delta written after a
** schema change) is an error the statement retries on the row route:
** ipos_refill reports it as REMDB_NOTFOUND and vtab.c falls back.
*/
#include <stdlib.h>
#include <string.h>

#include "../core/colread.h"
#include "sql.h"

/* A window of rows: grows from WIN_FIRST (a statement that stops early
** resolves few ids) to WIN_MAX. */
#define WIN_FIRST 4
#define WIN_MAX 4096
/* Point reads that cost about as much as decoding one segment's column
** (64k values) that is not in the column cache: measured at about 100 on
** 1M rows (reading and decoding the column, 2026-11, a loaded 2-core
** box), counted at a third because the decoded column stays in the
** cache for the lookups after (column_cache_bytes). */
#define DECODE_ROWS 32.0

bool ipos_always; /* tests only: take the route whatever the cost */

struct ipos {
  col_reader *cr;
  int ncol;      /* the virtual table's columns */
  int *ccol;     /* per vtab column: its colr column, or -1 (unused) */
  int nused;
  int *used;     /* the vtab columns read */
  /* the window */
  uuid16_t *ids;
  uint64_t *hint; /* the positions the index entries keep */
  uint64_t *pos;
  bool *live;
  col_val *vals; /* nused x cap */
  buf_t text;
  size_t cap, n, at, want;
  bool eof;
  uint64_t rows; /* rows served by this run */
};

void ipos_close(ipos *p) {
  if (p == NULL) return;
  colr_close(p->cr);
  free(p->ccol);
  free(p->used);
  free(p->ids);
  free(p->hint);
  free(p->pos);
  free(p->live);
  free(p->vals);
  buf_free(&p->text);
  free(p);
}

/* Is column i of vt read by the statement (SQLite's colUsed mask)? */
static bool col_used(uint64_t mask, int i) {
  return i < 63 ? (mask >> i) & 1 : (mask >> 63) & 1;
}

static const char *col_sql_name(const rvtab *vt, int i) {
  static const char *const sys[] = {"id", "type", "created_at", "modified_at",
                                    "deleted_at"};
  if (i < 5) return sys[i];
  return rec_dict_name(&vt->s->dict, vt->field[i]);
}

int ipos_open(rvtab *vt, const snap_t *snap, uint64_t used, double est_rows,
              ipos **out) {
  *out = NULL;
  sql_sess *s = vt->sess;
  int mode = colx_mode(s);
  if (vt->all || mode == REMDB_ROUTE_SQLITE || mode == REMDB_ROUTE_ROWS)
    return 0;
  const cat_table *ct = cat_by_id(s->db, vt->s->table_id);
  if (ct == NULL || !ct->s->columnar) return 0;
  ipos *p = calloc(1, sizeof *p);
  if (p == NULL) return REMDB_NOMEM;
  buf_init(&p->text);
  p->ncol = vt->ncol;
  p->ccol = malloc((size_t)vt->ncol * sizeof *p->ccol);
  p->used = malloc((size_t)vt->ncol * sizeof *p->used);
  if (p->ccol == NULL || p->used == NULL) {
    ipos_close(p);
    return REMDB_NOMEM;
  }
  /* the reader of the table as the statement's catalog describes it */
  if (colr_open(s->db, snap, ct->s, &p->cr) != REMDB_OK) {
    ipos_close(p); /* no columns (or not now): the row route */
    return 0;
  }
  for (int i = 0; i < vt->ncol; i++) {
    p->ccol[i] = -1;
    if (!col_used(used, i) || vt->kind[i] != COL_FIELD) continue; /* id, type: the vtab's */
    const char *name = col_sql_name(vt, i);
    int c = name ? colr_find(p->cr, name) : -1;
    if (c < 0) {
      ipos_close(p);
      return 0;
    }
    p->ccol[i] = c;
    p->used[p->nused++] = i;
  }
  /* by cost: the segments' columns not yet decoded, against the point
  ** reads of the row route (rows spread over the segments) */
  uint32_t nsegs = colr_nsegs(p->cr);
  double uncached = 0;
  int idc = colr_find(p->cr, "id"); /* read to check the positions */
  for (uint32_t g = 0; g < nsegs; g++) {
    for (int u = 0; u < p->nused; u++)
      if (!colr_cached(p->cr, g, p->ccol[p->used[u]])) uncached++;
    if (idc >= 0 && !colr_cached(p->cr, g, idc)) uncached++;
  }
  double touched = nsegs ? (est_rows < nsegs ? est_rows / nsegs : 1) : 0;
  if (mode == REMDB_ROUTE_AUTO && !ipos_always &&
      uncached * touched * DECODE_ROWS > est_rows) {
    ipos_close(p);
    return 0;
  }
  p->want = WIN_FIRST;
  *out = p;
  return 0;
}

static bool grow(ipos *p, size_t cap) {
  if (cap <= p->cap) return true;
  uuid16_t *ids = realloc(p->ids, cap * sizeof *ids);
  if (ids) p->ids = ids;
  uint64_t *pos = realloc(p->pos, cap * sizeof *pos);
  if (pos) p->pos = pos;
  uint64_t *hint = realloc(p->hint, cap * sizeof *hint);
  if (hint) p->hint = hint;
  bool *live = realloc(p->live, cap * sizeof *live);
  if (live) p->live = live;
  size_t nv = cap * (size_t)(p->nused ? p->nused : 1);
  col_val *vals = realloc(p->vals, nv * sizeof *vals);
  if (vals) p->vals = vals;
  if (!ids || !pos || !hint || !live || !vals) return false;
  p->cap = cap;
  return true;
}

int ipos_refill(ipos *p, scan_t *scan, remdb *db) {
  p->n = p->at = 0;
  buf_reset(&p->text);
  if (p->eof) return REMDB_OK;
  size_t want = p->want;
  p->want = p->want * 2 > WIN_MAX ? WIN_MAX : p->want * 2;
  if (!grow(p, want)) return err_nomem(&db->err);
  for (;;) {
    /* the next ids of the index, resolved to live positions */
    size_t m = 0;
    const scan_row *row;
    while (m < want) {
      int rc = scan_step(scan, &row);
      if (rc == REMDB_DONE) {
        p->eof = true;
        break;
      }
      if (rc != REMDB_ROW) return rc;
      p->hint[m] = row->pos_hint;
      p->ids[m++] = row->id;
    }
    if (m == 0) return REMDB_OK;
    int rc = colr_pos_many(p->cr, p->ids, p->hint, m, p->pos, p->live);
    if (rc) return rc;
    for (size_t k = 0; k < m; k++) /* soft-deleted rows are not live */
      if (p->live[k]) {
        p->ids[p->n] = p->ids[k];
        p->pos[p->n++] = p->pos[k];
      }
    if (p->n > 0 || p->eof) break;
  }
  for (int u = 0; u < p->nused; u++) {
    int rc = colr_gather(p->cr, p->ccol[p->used[u]], p->pos, p->n,
                         p->vals + (size_t)u * p->cap, &p->text);
    if (rc) return rc;
  }
  return REMDB_OK;
}

bool ipos_row(ipos *p, uuid16_t *id) {
  if (p->at >= p->n) return false;
  *id = p->ids[p->at];
  p->rows++;
  return true;
}

void ipos_next(ipos *p) { p->at++; }

bool ipos_need(const ipos *p) { return p->at >= p->n && !p->eof; }

uint64_t ipos_rows(const ipos *p) { return p->rows; }

void ipos_column(ipos *p, const rvtab *vt, sqlite3_context *ctx, int i) {
  int u = 0;
  while (u < p->nused && p->used[u] != i) u++;
  if (u == p->nused) return; /* not a used column: SQLite reads none */
  const col_val *v = &p->vals[(size_t)u * p->cap + p->at];
  if (v->null) return;
  const char *t = p->text.p ? p->text.p + v->off : "";
  switch (colr_type(p->cr, p->ccol[i])) {
    case COLV_INT:
    case COLV_BOOL: sqlite3_result_int64(ctx, v->i); break;
    case COLV_REAL: sqlite3_result_double(ctx, v->f); break;
    case COLV_TEXT:
      sqlite3_result_text(ctx, t, (int)v->n, SQLITE_TRANSIENT);
      break;
    case COLV_TIME: {
      char ts[TS_LEN + 1];
      ts_format(v->i, ts);
      sqlite3_result_text(ctx, ts, -1, SQLITE_TRANSIENT);
      break;
    }
    case COLV_ID: {
      uuid16_t id;
      char ids[REMDB_ID_LEN + 1];
      memcpy(id.b, t, 16);
      uuid_format(&id, ids);
      sqlite3_result_text(ctx, ids, REMDB_ID_LEN, SQLITE_TRANSIENT);
      break;
    }
  }
  (void)vt;
}

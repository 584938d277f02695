/*
** vtab.c: the "remdb" virtual-table module.  One virtual table per
** registered schema (and a <table>_all twin that also shows soft-deleted
** rows).  Columns are the system fields then the schema's properties;
** xColumn decodes only the field asked for, straight from the record
** (rec_find: a binary search in the record's slot directory).
**
** Reads: a cursor runs one of three routes chosen by plan.c: a full scan
** of the table's entity keys, point gets by id, or a scan of one secondary
** index (equality, IN list, range, or ordered), fetching each entity by id:
** each a scan of the read path (core/scan.c).  Every cursor of a statement
** reads the statement's snapshot (stmt.c takes it when a run starts).
**
** Writes: INSERT, UPDATE and DELETE are staged into the session's write
** transaction (core/wtx.c) with the same validation, indexes and system
** fields as the C API; the statement commits in xCommit, or nothing does.
** DELETE is a soft delete.
*/
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

typedef struct rcursor {
  sqlite3_vtab_cursor base;
  rvtab *vt;
  snap_t *snap; /* a reference to the snapshot the scan reads */
  scan_t *scan;
  const scan_row *row; /* the current row, NULL at eof */
  char *desc, *shape;  /* the route, for EXPLAIN */
  ipos *ip;            /* columns by position (ipos.c), else NULL */
  scan_row prow;       /* ip's current row: its id (rv empty) */
} rcursor;

/* ---- connect ------------------------------------------------------------ */

static enum col_aff affinity_of(unsigned types) {
  unsigned t = types & ~(unsigned)SCH_NULL;
  if (t == 0) return AFF_NONE;
  if (t == SCH_STRING) return AFF_TEXT;
  if (t == SCH_INTEGER) return AFF_INTEGER;
  if ((t & ~(unsigned)(SCH_INTEGER | SCH_NUMBER)) == 0) return AFF_REAL;
  if (t == SCH_BOOLEAN) return AFF_BOOL;
  if ((t & ~(unsigned)(SCH_OBJECT | SCH_ARRAY)) == 0) return AFF_JSON;
  return AFF_NONE;
}

static const char *decl_type(enum col_aff a) {
  switch (a) {
    case AFF_TEXT:
    case AFF_JSON: return " TEXT";
    case AFF_INTEGER:
    case AFF_BOOL: return " INTEGER";
    case AFF_REAL: return " REAL";
    default: return "";
  }
}

static void vtab_free(rvtab *vt) {
  if (vt == NULL) return;
  sch_free(vt->s);
  free(vt->kind);
  free(vt->aff);
  free(vt->field);
  sqlite3_free(vt->base.zErrMsg);
  free(vt);
}

/* Connect table name (all: its _all twin).  refresh: bring the catalog
** up to date first (else the session's catalog is the one to use). */
static int connect_table(sqlite3 *conn, sql_sess *ss, const char *name,
                         bool all, bool refresh, sqlite3_vtab **out,
                         char **err) {
  remdb *db = ss->db;
  cat_table *ct;
  if ((refresh ? cat_find(db, name, &ct) : cat_lookup(db, name, &ct)) !=
      REMDB_OK) {
    *err = sqlite3_mprintf("%s", remdb_errmsg(db));
    return SQLITE_ERROR;
  }
  const sch_table *t = ct->s;
  rvtab *vt = calloc(1, sizeof *vt);
  if (vt == NULL) return SQLITE_NOMEM;
  vt->sess = ss;
  vt->s = sch_retain(ct->s);
  vt->all = all;
  uint32_t nprops = 0;
  for (uint32_t i = REC_F_FIRST; i < t->dict.cap; i++) nprops++;
  size_t cap = 5 + nprops;
  vt->kind = calloc(cap, 1);
  vt->aff = calloc(cap, 1);
  vt->field = calloc(cap, sizeof *vt->field);
  buf_t d;
  buf_init(&d);
  if (!vt->kind || !vt->aff || !vt->field) goto oom;
  buf_adds(&d, "CREATE TABLE x(\"id\" TEXT PRIMARY KEY, \"type\" TEXT, "
               "\"created_at\" TEXT, \"modified_at\" TEXT, "
               "\"deleted_at\" TEXT");
  vt->kind[0] = COL_ID;
  vt->aff[0] = AFF_TEXT;
  vt->kind[1] = COL_TYPE;
  vt->aff[1] = AFF_TEXT;
  for (int i = 2; i < 5; i++) {
    vt->kind[i] = COL_FIELD;
    vt->aff[i] = AFF_TEXT;
    vt->field[i] = (uint16_t)(REC_F_CREATED + i - 2);
  }
  vt->ncol = 5;
  /* declared properties, in field-id order (retired ones are not columns) */
  for (uint32_t f = REC_F_FIRST; f < t->dict.cap; f++) {
    const char *prop = rec_dict_name(&t->dict, (uint16_t)f);
    if (prop == NULL || !json_object_get(json_object_get(t->doc, "properties"),
                                         prop))
      continue;
    enum col_aff a = affinity_of(sch_prop_types(t, prop));
    buf_addf(&d, ", \"%s\"%s", prop, decl_type(a));
    vt->kind[vt->ncol] = COL_FIELD;
    vt->aff[vt->ncol] = (uint8_t)a;
    vt->field[vt->ncol] = (uint16_t)f;
    vt->ncol++;
  }
  buf_adds(&d, ") WITHOUT ROWID");
  if (d.oom) goto oom;
  buf_addc(&d, 0);
  int rc = sqlite3_declare_vtab(conn, d.p);
  buf_free(&d);
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("remdb: cannot declare %s: %s", name,
                           sqlite3_errmsg(conn));
    vtab_free(vt);
    return rc;
  }
  sqlite3_vtab_config(conn, SQLITE_VTAB_DIRECTONLY);
  /* xUpdate returns SQLITE_CONSTRAINT only before staging anything, so
  ** SQLite may apply the statement's ON CONFLICT mode */
  sqlite3_vtab_config(conn, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  *out = &vt->base;
  return SQLITE_OK;
oom:
  buf_free(&d);
  vtab_free(vt);
  return SQLITE_NOMEM;
}

/* CREATE VIRTUAL TABLE x USING remdb(NAME [, all]): argv[3] is the table
** name, argv[4], if present, "all". */
static int x_connect(sqlite3 *conn, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err) {
  if (argc < 4) {
    *err = sqlite3_mprintf("remdb: table name missing");
    return SQLITE_ERROR;
  }
  /* module arguments arrive as written: drop the quotes */
  char name[72];
  size_t nl = strlen(argv[3]);
  if (nl >= 2 && argv[3][0] == '"' && argv[3][nl - 1] == '"')
    snprintf(name, sizeof name, "%.*s", (int)(nl - 2), argv[3] + 1);
  else
    snprintf(name, sizeof name, "%s", argv[3]);
  return connect_table(conn, aux, name, argc > 4 && strcmp(argv[4], "all") == 0,
                       true, out, err);
}

static int x_disconnect(sqlite3_vtab *v) {
  vtab_free((rvtab *)v);
  return SQLITE_OK;
}

static int x_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  return plan_best_index((rvtab *)v, info);
}

/* ---- cursors ------------------------------------------------------------ */

/* ---- cursors ------------------------------------------------------------ */

static int x_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  rcursor *c = calloc(1, sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  c->vt = (rvtab *)v;
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(rcursor *c) {
  if (c->desc && c->shape && c->vt->sess->explain) {
    uint64_t examined, returned;
    scan_counts(c->scan, &examined, &returned);
    char *d = c->desc, *sh = c->shape;
    if (c->ip) { /* the route read columns by position */
      returned = ipos_rows(c->ip);
      d = sqlite3_mprintf("%s, columns by position (%llu rows)", c->desc,
                          (unsigned long long)returned);
      sh = sqlite3_mprintf("%s, columns by position", c->shape);
    }
    if (d && sh)
      sql_route_note(c->vt->sess, c->vt->s->name, d, sh, examined, returned);
    if (c->ip) {
      sqlite3_free(d);
      sqlite3_free(sh);
    }
  }
  ipos_close(c->ip);
  c->ip = NULL;
  free(c->desc);
  free(c->shape);
  c->desc = c->shape = NULL;
  c->row = NULL;
}

static int x_close(sqlite3_vtab_cursor *cur) {
  rcursor *c = (rcursor *)cur;
  cursor_reset(c);
  scan_close(c->scan); /* before the snapshot it reads */
  snap_release(c->snap);
  free(c);
  return SQLITE_OK;
}

static int vt_error(rvtab *vt, const char *msg) {
  sqlite3_free(vt->base.zErrMsg);
  vt->base.zErrMsg = sqlite3_mprintf("%s", msg);
  return SQLITE_ERROR;
}

static int db_error(rcursor *c, int rc) {
  remdb *db = c->vt->sess->db;
  if (rc == REMDB_NOMEM) return SQLITE_NOMEM;
  return vt_error(c->vt, remdb_errmsg(db));
}

/* Advance to the next visible row (or eof). */
static int advance(rcursor *c) {
  if (c->ip) {
    remdb *db = c->vt->sess->db;
    if (c->row) ipos_next(c->ip);
    if (ipos_need(c->ip)) {
      int rc = ipos_refill(c->ip, c->scan, db);
      if (rc) return db_error(c, rc);
    }
    c->row = ipos_row(c->ip, &c->prow.id) ? &c->prow : NULL;
    return SQLITE_OK;
  }
  int rc = scan_step(c->scan, &c->row);
  if (rc == REMDB_ROW || rc == REMDB_DONE) return SQLITE_OK;
  return db_error(c, rc);
}

static int x_next(sqlite3_vtab_cursor *cur) { return advance((rcursor *)cur); }

/* ---- routes as scans ----------------------------------------------------
** xFilter turns the plan (idxNum, idxStr) and its argument values into a
** scan spec (core/scan.c); what the spec points into lives in a specbuf
** until the scan is open. */

typedef struct specbuf {
  uuid16_t *ids;
  size_t nids, capids;
  buf_t vals;      /* the values of an IN list, back to back */
  size_t *voff;    /* where each starts */
  size_t nvals;
  scan_key *keys;  /* ...as the spec's list */
  buf_t lo, hi;    /* range bounds */
} specbuf;

static void specbuf_free(specbuf *b) {
  free(b->ids);
  buf_free(&b->vals);
  free(b->voff);
  free(b->keys);
  buf_free(&b->lo);
  buf_free(&b->hi);
}

static bool push_id(specbuf *b, const uuid16_t *u) {
  if (b->nids == b->capids) {
    size_t cap = b->capids ? b->capids * 2 : 8;
    uuid16_t *n = realloc(b->ids, cap * sizeof *n);
    if (n == NULL) return false;
    b->ids = n;
    b->capids = cap;
  }
  b->ids[b->nids++] = *u;
  return true;
}

/* Start a new IN-list value; its bytes are then appended to b->vals. */
static bool push_val(specbuf *b) {
  size_t *n = realloc(b->voff, (b->nvals + 1) * sizeof *n);
  if (n == NULL) return false;
  b->voff = n;
  b->voff[b->nvals++] = b->vals.len;
  return true;
}

/* Point the spec at the IN-list values. */
static bool list_vals(specbuf *b, scan_spec *sp) {
  b->keys = calloc(b->nvals + 1, sizeof *b->keys);
  if (b->keys == NULL || b->vals.oom) return false;
  for (size_t i = 0; i < b->nvals; i++) {
    size_t end = i + 1 < b->nvals ? b->voff[i + 1] : b->vals.len;
    b->keys[i] = (scan_key){b->vals.p + b->voff[i], end - b->voff[i]};
  }
  sp->in = true;
  sp->vals = b->keys;
  sp->nvals = b->nvals;
  return true;
}

/* Each value of an equality (one value, or an IN list), in turn: fn gets
** it; a non-zero return stops.  An SQLite error code, or 0. */
static int each_value(sqlite3_value *eq, int idxNum,
                      int (*fn)(void *ctx, sqlite3_value *v), void *ctx) {
  sqlite3_value *v = NULL;
  int more = eq == NULL          ? SQLITE_DONE
             : (idxNum & P_IN) ? sqlite3_vtab_in_first(eq, &v)
                               : (v = eq, SQLITE_OK);
  while (more == SQLITE_OK && v) {
    int r = fn(ctx, v);
    if (r) return r < 0 ? 0 : r;
    if (!(idxNum & P_IN)) break;
    more = sqlite3_vtab_in_next(eq, &v);
  }
  return more == SQLITE_OK || more == SQLITE_DONE ? 0 : more;
}

typedef struct key_ctx {
  rvtab *vt;
  int col, idxNum;
  specbuf *b;
  bool scan_all; /* a value no id is known for */
} key_ctx;

static int key_one(void *ctx, sqlite3_value *v) {
  key_ctx *k = ctx;
  json_t *j;
  int r = plan_key_value(k->vt, k->col, v, &j);
  /* key IS NULL: the rows without a key, whose ids are not derived */
  if (r < 0 ||
      ((k->idxNum & P_IS) && sqlite3_value_type(v) == SQLITE_NULL)) {
    k->scan_all = true;
    return -1;
  }
  if (r == 0) return 0;
  uuid16_t u;
  int rc = ent_key_id(k->vt->sess->db, k->vt->s, j, &u);
  json_decref(j);
  if (rc || !push_id(k->b, &u)) return SQLITE_NOMEM;
  return 0;
}

/* A key route: the ids derived from the key values, read as points; a
** value whose id cannot be derived here makes it a full scan.  An SQLite
** error code, or 0. */
static int key_spec(rcursor *c, sqlite3_value *eq, int idxNum, specbuf *b,
                    scan_spec *sp) {
  key_ctx k = {c->vt, plan_key_col(c->vt), idxNum, b, false};
  k.scan_all = k.col < 0;
  int rc = k.scan_all ? 0 : each_value(eq, idxNum, key_one, &k);
  if (rc) return rc;
  if (!k.scan_all) {
    sp->kind = SCAN_IDS;
    sp->ids = b->ids;
    sp->nids = b->nids;
    return 0;
  }
  sp->kind = SCAN_ALL;
  if (c->desc) {
    free(c->desc);
    free(c->shape);
    c->desc = strdup("full scan (a key value its id cannot derive from)");
    c->shape = strdup(c->desc);
  }
  return 0;
}

/* ids: one value or an IN list, as canonical UUID text only */
static int point_one(void *ctx, sqlite3_value *v) {
  uuid16_t u;
  char canon[REMDB_ID_LEN + 1];
  const char *t = (const char *)sqlite3_value_text(v);
  int tn = sqlite3_value_bytes(v);
  if (sqlite3_value_type(v) == SQLITE_TEXT && t &&
      uuid_parse(t, (size_t)tn, &u)) {
    uuid_format(&u, canon);
    if (memcmp(canon, t, REMDB_ID_LEN) == 0 && !push_id(ctx, &u))
      return SQLITE_NOMEM;
  }
  return 0;
}

typedef struct eq_ctx {
  const rvtab *vt;
  int col, idxNum;
  specbuf *b;
  bool any; /* a value no key can express: scan all non-NULL */
} eq_ctx;

static int eq_one(void *ctx, sqlite3_value *v) {
  eq_ctx *q = ctx;
  size_t at = q->b->vals.len;
  enum enc_result r = ENC_NONE;
  if (sqlite3_value_type(v) == SQLITE_NULL) {
    if (q->idxNum & P_IS) { /* x IS NULL */
      okey_null(&q->b->vals);
      r = ENC_KEY;
    }
  } else {
    r = plan_encode(q->vt, q->col, v, &q->b->vals);
  }
  if (r == ENC_ANY) {
    q->any = true;
    return -1;
  }
  if (r != ENC_KEY && r != ENC_NEAR) {
    q->b->vals.len = at; /* no stored value matches it */
    return 0;
  }
  size_t end = q->b->vals.len;
  q->b->vals.len = at;
  if (!push_val(q->b)) return SQLITE_NOMEM;
  q->b->vals.len = end;
  return 0;
}

/* A range bound: *empty if no stored value can satisfy it (a NULL or
** BLOB lower bound, a NULL upper bound).  An unknowable or BLOB upper
** bound leaves the range open on that side. */
static void range_bound(const rvtab *vt, int col, sqlite3_value *v,
                        bool upper, bool incl, buf_t *out, scan_key *key,
                        bool *key_incl, bool *empty) {
  enum enc_result r = plan_encode(vt, col, v, out);
  if (r == ENC_NONE && (!upper || sqlite3_value_type(v) == SQLITE_NULL)) {
    *empty = true; /* nothing is above NULL or a BLOB, or below NULL */
    return;
  }
  if (r == ENC_KEY || r == ENC_NEAR) {
    *key = (scan_key){out->p, out->len};
    /* the double nearest an integer: its every entry matches */
    *key_incl = incl || r == ENC_NEAR;
  }
}

/* An index route: an equality or IN list, IS NULL, or a range.  *empty
** when no row can match.  An SQLite error code, or 0. */
static int index_spec(rcursor *c, int col, sqlite3_value *eq,
                      sqlite3_value *lo, sqlite3_value *hi, int idxNum,
                      specbuf *b, scan_spec *sp, bool *empty) {
  eq_ctx q = {c->vt, col, idxNum, b, false};
  if (idxNum & P_EQ) {
    int rc = each_value(eq, idxNum, eq_one, &q);
    if (rc) return rc;
    if (!q.any) return list_vals(b, sp) ? 0 : SQLITE_NOMEM;
  } else if (idxNum & P_ISNULL) {
    if (!push_val(b)) return SQLITE_NOMEM;
    okey_null(&b->vals);
    return list_vals(b, sp) ? 0 : SQLITE_NOMEM;
  }
  /* a range: values above NULL (comparisons are never true for NULL), or
  ** the whole field for an ordered scan without constraints */
  sp->nonnull = (idxNum & (P_LO | P_HI | P_NOTNULL | P_EQ)) != 0;
  if (lo && !q.any)
    range_bound(c->vt, col, lo, false, idxNum & P_LO_INCL, &b->lo, &sp->lo,
                &sp->lo_incl, empty);
  if (hi && !q.any && !*empty)
    range_bound(c->vt, col, hi, true, idxNum & P_HI_INCL, &b->hi, &sp->hi,
                &sp->hi_incl, empty);
  return b->lo.oom || b->hi.oom ? SQLITE_NOMEM : 0;
}

/* The snapshot the cursor reads: its statement's (stmt.c), the same for
** every run of the cursor within one run of the statement.  An index plan
** must agree with the catalog that snapshot saw: the plan chose the index
** when the statement was prepared, and another handle may have dropped it
** or started rebuilding it since (the statement is then prepared again:
** remdb_step retries it). */
static int cursor_snap(rcursor *c, char kind, uint16_t field) {
  rvtab *vt = c->vt;
  sql_sess *s = vt->sess;
  remdb *db = s->db;
  if (s->snap == NULL) /* not inside a statement's step: cannot happen */
    return vt_error(vt, "remdb: a cursor opened outside its statement");
  if (c->snap != s->snap) { /* its scan read the other one: closed first */
    scan_close(c->scan);
    c->scan = NULL;
    snap_release(c->snap);
    c->snap = snap_retain(s->snap);
  }
  if (kind != PLAN_INDEX) return SQLITE_OK;
  const cat_table *ct = cat_by_id(db, vt->s->table_id);
  if (!snap_current(db, c->snap)) {
    s->stale = true;
    return vt_error(vt, "the table's schema changed during the statement: "
                        "run it again");
  }
  if (ct == NULL || !cat_index_ready(ct, field)) {
    s->stale = true;
    return vt_error(vt, "the table's indexes changed since this statement "
                        "was prepared: prepare it again");
  }
  return SQLITE_OK;
}

static int x_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                    int argc, sqlite3_value **argv) {
  rcursor *c = (rcursor *)cur;
  rvtab *vt = c->vt;
  remdb *db = vt->sess->db;
  cursor_reset(c);
  char kind = idxStr ? idxStr[0] : PLAN_FULL;
  uint16_t field = idxStr ? (uint16_t)atoi(idxStr + 1) : 0;
  if (vt->sess->explain) {
    buf_t d;
    buf_init(&d);
    plan_describe(vt, idxNum, idxStr, argc, argv, &d);
    c->desc = buf_detach(&d, NULL);
    plan_describe(vt, idxNum, idxStr, argc, NULL, &d);
    c->shape = buf_detach(&d, NULL);
  }
  int ai = 0;
  sqlite3_value *eq = idxNum & P_EQ ? argv[ai++] : NULL;
  sqlite3_value *lo = idxNum & P_LO ? argv[ai++] : NULL;
  sqlite3_value *hi = idxNum & P_HI ? argv[ai++] : NULL;
  int col = 0;
  for (int i = 0; i < vt->ncol; i++)
    if (vt->kind[i] == COL_FIELD && vt->field[i] == field) col = i;
  int rc = cursor_snap(c, kind, field);
  if (rc) return rc;
  specbuf b = {0};
  buf_init(&b.vals);
  buf_init(&b.lo);
  buf_init(&b.hi);
  scan_spec sp = {.kind = SCAN_ALL,
                  .desc = (idxNum & P_DESC) != 0,
                  .deleted = vt->all};
  bool empty = false;
  if (kind == PLAN_KEY) {
    rc = key_spec(c, eq, idxNum, &b, &sp);
  } else if (kind == PLAN_POINT) {
    rc = each_value(eq, idxNum, point_one, &b);
    sp.kind = SCAN_IDS;
    sp.ids = b.ids;
    sp.nids = b.nids;
  } else if (kind == PLAN_INDEX) {
    sp.kind = SCAN_INDEX;
    sp.field = field;
    rc = index_spec(c, col, eq, lo, hi, idxNum, &b, &sp, &empty);
  }
  if (rc == SQLITE_OK && empty) { /* no row can match: an empty list */
    sp.kind = SCAN_IDS;
    sp.nids = 0;
  }
  /* the columns by row position, when they serve the statement (ipos.c) */
  unsigned long long used = 0;
  double est = 0;
  if (rc == SQLITE_OK && sp.kind == SCAN_INDEX && idxStr &&
      sscanf(idxStr + 1, "%*u:%llx:%lf", &used, &est) == 2 &&
      ipos_open(vt, c->snap, used, est, &c->ip))
    rc = SQLITE_NOMEM;
  sp.ids_only = c->ip != NULL;
  if (rc == SQLITE_OK &&
      (c->scan ? scan_restart(c->scan, c->snap, vt->s, &sp)
               : scan_open(db, c->snap, vt->s, &sp, &c->scan)))
    rc = db_error(c, db->err.code);
  if (rc == SQLITE_OK && c->ip) {
    /* the first window; a value not of its column's type (columns not
    ** rebuilt since a schema change) leaves the run to the row route */
    int r = ipos_refill(c->ip, c->scan, db);
    if (r == REMDB_NOTFOUND) {
      ipos_close(c->ip);
      c->ip = NULL;
      sp.ids_only = false;
      if (scan_restart(c->scan, c->snap, vt->s, &sp))
        rc = db_error(c, db->err.code);
    } else if (r) {
      rc = db_error(c, r);
    }
  }
  specbuf_free(&b);
  return rc ? rc : advance(c);
}

static int x_eof(sqlite3_vtab_cursor *cur) {
  return ((rcursor *)cur)->row == NULL;
}

static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  rcursor *c = (rcursor *)cur;
  rvtab *vt = c->vt;
  assert(i >= 0 && i < vt->ncol && c->row != NULL);
  if (sqlite3_vtab_nochange(ctx)) return SQLITE_OK; /* UPDATE: unchanged */
  if (vt->kind[i] == COL_ID) {
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&c->row->id, ids);
    sqlite3_result_text(ctx, ids, REMDB_ID_LEN, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (vt->kind[i] == COL_TYPE) {
    sqlite3_result_text(ctx, vt->s->name, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (c->ip) {
    ipos_column(c->ip, vt, ctx, i);
    return SQLITE_OK;
  }
  rec_field f;
  if (!rec_find(&c->row->rv, vt->field[i], &f)) return SQLITE_OK; /* NULL */

  switch (f.type) {
    case REC_NULL: break;
    case REC_FALSE: sqlite3_result_int(ctx, 0); break;
    case REC_TRUE: sqlite3_result_int(ctx, 1); break;
    case REC_INT:
      if (vt->aff[i] == AFF_REAL)
        sqlite3_result_double(ctx, (double)rec_int(&f));
      else
        sqlite3_result_int64(ctx, rec_int(&f));
      break;
    case REC_REAL: sqlite3_result_double(ctx, rec_real(&f)); break;
    default:
      sqlite3_result_text(ctx, f.p, (int)f.n, SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

static int x_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  rcursor *c = (rcursor *)cur;
  *rowid = (sqlite3_int64)(get_u64be(c->row->id.b) >> 1);
  return SQLITE_OK;
}

/* ---- writes ------------------------------------------------------------- */

static const char *col_name(const rvtab *vt, int i) {
  static const char *const sys[] = {"id", "type", "created_at", "modified_at",
                                    "deleted_at"};
  if (i < 5) return sys[i];
  const char *n = rec_dict_name(&vt->s->dict, vt->field[i]);
  return n ? n : "?";
}

/* The JSON form of an SQL value for column i. */
static json_t *value_json(rvtab *vt, int i, sqlite3_value *v, char **err) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return json_null();
    case SQLITE_INTEGER: {
      sqlite3_int64 x = sqlite3_value_int64(v);
      if (vt->aff[i] == AFF_BOOL && (x == 0 || x == 1)) return json_boolean(x);
      return json_integer(x);
    }
    case SQLITE_FLOAT: {
      double d = sqlite3_value_double(v);
      if (!isfinite(d)) { /* JSON has no infinities */
        *err = sqlite3_mprintf("%s.%s: number is not finite", vt->s->name,
                               col_name(vt, i));
        return NULL;
      }
      return json_real(d);
    }
    case SQLITE_TEXT: {
      const char *t = (const char *)sqlite3_value_text(v);
      size_t n = (size_t)sqlite3_value_bytes(v);
      if (vt->aff[i] == AFF_JSON) {
        json_error_t je;
        json_t *j = json_loadb(t, n, JSON_DECODE_ANY, &je);
        if (j == NULL)
          *err = sqlite3_mprintf("%s.%s: not valid JSON: %s", vt->s->name,
                                 col_name(vt, i), je.text);
        return j;
      }
      json_t *s = json_stringn(t, n);
      if (s == NULL)
        *err = sqlite3_mprintf("%s.%s: text is not valid UTF-8", vt->s->name,
                               col_name(vt, i));
      return s;
    }
    default:
      *err = sqlite3_mprintf("%s: BLOB values are not supported",
                             vt->s->name);
      return NULL;
  }
}

/* Build the JSON object of a row from xUpdate's column values.  With
** patch, only changed columns are included (NULL removes a property);
** otherwise NULL columns are left out. */
static json_t *row_json(rvtab *vt, sqlite3_value **cols, bool patch,
                        char **err) {
  json_t *o = json_object();
  if (o == NULL) return NULL;
  for (int i = 0; i < vt->ncol; i++) {
    sqlite3_value *v = cols[i];
    if (patch && sqlite3_value_nochange(v)) continue;
    if (vt->kind[i] != COL_FIELD || vt->field[i] < REC_F_FIRST) {
      if (sqlite3_value_type(v) == SQLITE_NULL) continue;
      /* system columns: id and type are checked by the write path */
      if (vt->kind[i] == COL_ID && !patch) {
        json_object_set_new(o, "id", json_stringn(
            (const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v)));
        continue;
      }
      if (vt->kind[i] == COL_TYPE || vt->kind[i] == COL_ID) {
        json_t *j = value_json(vt, i, v, err);
        if (j == NULL) goto fail;
        json_object_set_new(o, vt->kind[i] == COL_TYPE ? "type" : "id", j);
        continue;
      }
      static const char *const sys[] = {"", "created_at", "modified_at",
                                        "deleted_at"};
      json_t *j = value_json(vt, i, v, err);
      if (j == NULL) goto fail;
      json_object_set_new(o, sys[vt->field[i]], j);
      continue;
    }
    if (!patch && sqlite3_value_type(v) == SQLITE_NULL) continue;
    json_t *j = value_json(vt, i, v, err);
    if (j == NULL) goto fail;
    json_object_set_new(o, rec_dict_name(&vt->s->dict, vt->field[i]), j);
  }
  return o;
fail:
  json_decref(o);
  return NULL;
}

static int ensure_txn(rvtab *vt) {
  sql_sess *s = vt->sess;
  if (s->txn) return REMDB_OK;
  int rc = wtx_begin(s->db, &s->txn);
  if (rc == REMDB_OK) rc = wtx_lock(s->txn);
  return rc;
}

static int x_update(sqlite3_vtab *v, int argc, sqlite3_value **argv,
                    sqlite3_int64 *rowid) {
  rvtab *vt = (rvtab *)v;
  sql_sess *s = vt->sess;
  remdb *db = s->db;
  (void)rowid;
  if (vt->all) return vt_error(vt, "the _all views are read-only");
  int rc = ensure_txn(vt);
  if (rc) return vt_error(vt, remdb_errmsg(db));
  char *err = NULL;
  if (argc == 1 || sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    /* DELETE or UPDATE of the row whose id is argv[0] */
    uuid16_t u;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    if (t == NULL || !uuid_parse(t, (size_t)sqlite3_value_bytes(argv[0]), &u))
      return vt_error(vt, "row id is not a UUID");
    if (argc == 1) {
      rc = ent_delete(s->txn, &u, 0);
    } else {
      json_t *p = row_json(vt, argv + 2, true, &err);
      if (p == NULL) {
        rc = vt_error(vt, err ? err : "out of memory");
        sqlite3_free(err);
        return rc;
      }
      /* SET replaces a column's value: an object is not merged */
      rc = ent_update_ex(s->txn, &u, p, ENT_SET);
      json_decref(p);
    }
  } else {
    json_t *o = row_json(vt, argv + 2, false, &err);
    if (o == NULL) {
      rc = vt_error(vt, err ? err : "out of memory");
      sqlite3_free(err);
      return rc;
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL) return SQLITE_NOMEM;
    /* a live row with the same id (given, or derived from the key): plain
    ** INSERT and INSERT OR REPLACE replace it, as the C API's insert does;
    ** OR IGNORE keeps it, OR ABORT/FAIL/ROLLBACK make it an error.  (A
    ** plain INSERT reports ABORT too: stmt.c tells them apart.) */
    int oc = sqlite3_vtab_on_conflict(s->conn);
    bool must_be_new = oc == SQLITE_IGNORE || oc == SQLITE_FAIL ||
                       oc == SQLITE_ROLLBACK ||
                       (oc == SQLITE_ABORT && s->or_abort);
    rc = ent_insert_ex(s->txn, vt->s->name, text, strlen(text),
                       must_be_new ? ENT_NEW : 0, NULL);
    free(text);
  }
  if (rc == REMDB_OK) return SQLITE_OK;
  /* validation failures and conflicts stage nothing: SQLite applies the
  ** ON CONFLICT mode (IGNORE skips the row, FAIL keeps the rows before) */
  bool constraint = rc == REMDB_SCHEMA || rc == REMDB_EXISTS;
  s->write_rc = rc;
  if (!constraint || argc == 1 || sqlite3_vtab_on_conflict(s->conn) !=
                                      SQLITE_IGNORE)
    vt_error(vt, remdb_errmsg(db));
  return constraint ? SQLITE_CONSTRAINT : SQLITE_ERROR;
}

static int x_begin(sqlite3_vtab *v) {
  (void)v;
  return SQLITE_OK;
}

static int x_commit(sqlite3_vtab *v) {
  rvtab *vt = (rvtab *)v;
  sql_sess *s = vt->sess;
  if (s->txn == NULL) return SQLITE_OK;
  int rc = wtx_commit(s->txn, -1);
  wtx_free(s->txn);
  s->txn = NULL;
  return rc ? vt_error(vt, remdb_errmsg(s->db)) : SQLITE_OK;
}

static int x_rollback(sqlite3_vtab *v) {
  rvtab *vt = (rvtab *)v;
  wtx_free(vt->sess->txn);
  vt->sess->txn = NULL;
  return SQLITE_OK;
}

static int x_rename(sqlite3_vtab *v, const char *name) {
  (void)name;
  return vt_error((rvtab *)v, "tables are renamed through the schema API");
}

static const sqlite3_module remdb_module = {
    .iVersion = 2,
    .xCreate = x_connect,
    .xConnect = x_connect,
    .xBestIndex = x_best_index,
    .xDisconnect = x_disconnect,
    .xDestroy = x_disconnect,
    .xOpen = x_open,
    .xClose = x_close,
    .xFilter = x_filter,
    .xNext = x_next,
    .xEof = x_eof,
    .xColumn = x_column,
    .xRowid = x_rowid,
    .xUpdate = x_update,
    .xBegin = x_begin,
    .xSync = x_begin,
    .xCommit = x_commit,
    .xRollback = x_rollback,
    .xRename = x_rename,
};

int sql_register_module(sqlite3 *conn, sql_sess *s) {
  return sqlite3_create_module_v2(conn, "remdb", &remdb_module, s, NULL);
}

/* A table as an eponymous virtual table: a module of its own name that
** SQLite connects when a statement first names the table (session.c). */
typedef struct table_aux {
  sql_sess *s;
  bool all;
  char name[72];
} table_aux;

static int x_connect_named(sqlite3 *conn, void *aux, int argc,
                           const char *const *argv, sqlite3_vtab **out,
                           char **err) {
  (void)argc;
  (void)argv;
  table_aux *ta = aux;
  /* the session brought the catalog up to date (or in step with the
  ** statement's snapshot) before the statement was prepared */
  return connect_table(conn, ta->s, ta->name, ta->all, false, out, err);
}

int sql_register_table(sqlite3 *conn, sql_sess *s, const char *name,
                       bool all) {
  /* remdb_module, but eponymous only (no xCreate) */
  static const sqlite3_module named = {
      .iVersion = 2,
      .xConnect = x_connect_named,
      .xBestIndex = x_best_index,
      .xDisconnect = x_disconnect,
      .xOpen = x_open,
      .xClose = x_close,
      .xFilter = x_filter,
      .xNext = x_next,
      .xEof = x_eof,
      .xColumn = x_column,
      .xRowid = x_rowid,
      .xUpdate = x_update,
      .xBegin = x_begin,
      .xSync = x_begin,
      .xCommit = x_commit,
      .xRollback = x_rollback,
      .xRename = x_rename,
  };
  table_aux *ta = malloc(sizeof *ta);
  if (ta == NULL) return SQLITE_NOMEM;
  ta->s = s;
  ta->all = all;
  snprintf(ta->name, sizeof ta->name, "%s", name);
  char mod[80];
  snprintf(mod, sizeof mod, "%s%s", name, all ? "_all" : "");
  return sqlite3_create_module_v2(conn, mod, &named, ta, free);
}

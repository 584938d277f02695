/*
** vtab.c: the "remdb" virtual-table module.  One virtual table per
** registered schema (and a <table>_all twin that also shows soft-deleted
** rows).  Columns are the system fields then the schema's properties;
** xColumn decodes only the field asked for, straight from the record
** (rec_find: a binary search in the record's slot directory).
**
** Reads: a cursor runs one of three routes chosen by plan.c: a full scan
** of the table's entity keys, point gets by id, or a scan of one secondary
** index (equality, IN list, range, or ordered), fetching each entity by id.
** Every cursor reads one RocksDB snapshot.
**
** Writes: INSERT, UPDATE and DELETE are staged into the session's write
** transaction (core/wtx.c) with the same validation, indexes and system
** fields as the C API; the statement commits in xCommit, or nothing does.
** DELETE is a soft delete.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

#define WIN_MAX 64

typedef struct rcursor {
  sqlite3_vtab_cursor base;
  rvtab *vt;
  kv_snap_t *snap;
  bool snap_pinned; /* snap is the handle's pin (remdb.pin): not ours */
  kv_iter_t *it;
  char kind;
  int flags;
  uint16_t field;
  /* point gets and IN lists: the keys to visit, in order */
  buf_t keys;        /* concatenated: u32 length, bytes */
  size_t *koff;      /* offsets into keys of each entry */
  size_t nkeys, ki;
  /* the index range being scanned: [lo, hi) */
  buf_t lo, hi;
  /* point and index routes: a window of rows read by one multi-get */
  struct win_row {
    uuid16_t id;
    kv_val val;
    bool found;
  } win[WIN_MAX];
  size_t nwin, wpos, wsize;
  bool started; /* full scan: the iterator is on the current row */
  /* the current row */
  uuid16_t id;
  rec_view rv;
  bool eof;
  uint64_t examined, returned;
  char *desc, *shape; /* the route, for EXPLAIN */
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

/* argv[3]: the table name; argv[4], if present, "all". */
static int x_connect(sqlite3 *conn, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err) {
  sql_sess *ss = aux;
  remdb *db = ss->db;
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
  cat_table *ct;
  if (cat_find(db, name, &ct) != REMDB_OK) {
    *err = sqlite3_mprintf("%s", remdb_errmsg(db));
    return SQLITE_ERROR;
  }
  const sch_table *t = ct->s;
  rvtab *vt = calloc(1, sizeof *vt);
  if (vt == NULL) return SQLITE_NOMEM;
  vt->sess = ss;
  vt->s = sch_retain(ct->s);
  vt->all = argc > 4 && strcmp(argv[4], "all") == 0;
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

static int x_disconnect(sqlite3_vtab *v) {
  vtab_free((rvtab *)v);
  return SQLITE_OK;
}

static int x_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  return plan_best_index((rvtab *)v, info);
}

/* ---- cursors ------------------------------------------------------------ */

static int x_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  rcursor *c = calloc(1, sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  c->vt = (rvtab *)v;
  buf_init(&c->keys);
  buf_init(&c->lo);
  buf_init(&c->hi);
  c->eof = true;
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(rcursor *c) {
  remdb *db = c->vt->sess->db;
  if (c->desc && c->shape && c->vt->sess->explain)
    sql_route_note(c->vt->sess, c->vt->s->name, c->desc, c->shape,
                   c->examined, c->returned);
  free(c->desc);
  free(c->shape);
  c->desc = c->shape = NULL;
  for (size_t i = 0; i < c->nwin; i++) kv_val_free(&c->win[i].val);
  c->nwin = c->wpos = 0;
  c->wsize = 4;
  c->started = false;
  kv_iter_free(c->it);
  c->it = NULL;
  if (c->snap && !c->snap_pinned) kv_snap_free(db->st->kv, c->snap);
  c->snap = NULL;
  c->snap_pinned = false;
  free(c->koff);
  c->koff = NULL;
  c->nkeys = c->ki = 0;
  buf_reset(&c->keys);
  buf_reset(&c->lo);
  buf_reset(&c->hi);
  c->examined = c->returned = 0;
  c->eof = true;
}

static int x_close(sqlite3_vtab_cursor *cur) {
  rcursor *c = (rcursor *)cur;
  cursor_reset(c);
  buf_free(&c->keys);
  buf_free(&c->lo);
  buf_free(&c->hi);
  free(c);
  return SQLITE_OK;
}

static int vt_error(rvtab *vt, const char *msg) {
  sqlite3_free(vt->base.zErrMsg);
  vt->base.zErrMsg = sqlite3_mprintf("%s", msg);
  return SQLITE_ERROR;
}

/* Append one key (length-prefixed) to the cursor's key list. */
static bool key_push(rcursor *c, const void *k, size_t n) {
  size_t *ko = realloc(c->koff, (c->nkeys + 1) * sizeof *ko);
  if (ko == NULL) return false;
  c->koff = ko;
  ko[c->nkeys++] = c->keys.len;
  buf_add_u32be(&c->keys, (uint32_t)n);
  buf_add(&c->keys, k, n);
  return !c->keys.oom;
}

static const unsigned char *key_at(const rcursor *c, size_t i, size_t *n) {
  const unsigned char *p = (const unsigned char *)c->keys.p + c->koff[i];
  *n = get_u32be(p);
  return p + 4;
}

static _Thread_local rcursor *sort_ctx; /* qsort has no context argument */
static int key_cmp(const void *a, const void *b) {
  size_t na, nb;
  const unsigned char *pa = key_at(sort_ctx, *(const size_t *)a, &na);
  const unsigned char *pb = key_at(sort_ctx, *(const size_t *)b, &nb);
  int r = memcmp(pa, pb, na < nb ? na : nb);
  return r ? r : (na > nb) - (na < nb);
}

/* Sort the key list (ascending, or descending with desc) and drop
** duplicates, so IN lists visit each value once and in order. */
static bool keys_sort(rcursor *c, bool desc) {
  size_t *idx = malloc((c->nkeys + 1) * sizeof *idx);
  size_t *offs = malloc((c->nkeys + 1) * sizeof *offs);
  if (idx == NULL || offs == NULL) {
    free(idx);
    free(offs);
    return false;
  }
  for (size_t i = 0; i < c->nkeys; i++) idx[i] = i;
  sort_ctx = c;
  qsort(idx, c->nkeys, sizeof *idx, key_cmp);
  size_t n = 0;
  for (size_t i = 0; i < c->nkeys; i++) {
    if (n > 0 && key_cmp(&idx[i], &idx[i - 1]) == 0) continue;
    offs[n++] = c->koff[idx[i]];
  }
  if (desc)
    for (size_t i = 0; i < n / 2; i++) {
      size_t t = offs[i];
      offs[i] = offs[n - 1 - i];
      offs[n - 1 - i] = t;
    }
  free(c->koff);
  free(idx);
  c->koff = offs;
  c->nkeys = n;
  return true;
}

/* Position the index iterator on range c->ki of the key list (IN lists)
** or on the single range [lo, hi). */
static int seek_range(rcursor *c) {
  bool desc = c->flags & P_DESC;
  if (c->kind == PLAN_INDEX && c->nkeys > 0) {
    size_t n;
    const unsigned char *k = key_at(c, c->ki, &n);
    buf_reset(&c->lo);
    buf_add(&c->lo, k, n);
    buf_reset(&c->hi);
    if (!buf_reserve(&c->hi, n)) return REMDB_NOMEM;
    c->hi.len = kv_prefix_end(k, n, (unsigned char *)c->hi.p);
  }
  if (desc) {
    if (c->hi.len) {
      kv_iter_seek_for_prev(c->it, c->hi.p, c->hi.len);
      /* seek_for_prev lands on a key <= hi; hi itself is excluded */
      if (kv_iter_valid(c->it)) {
        size_t kl;
        const char *k = kv_iter_key(c->it, &kl);
        if (kl == c->hi.len && memcmp(k, c->hi.p, kl) == 0)
          kv_iter_prev(c->it);
      }
    } else {
      kv_iter_last(c->it);
    }
  } else {
    kv_iter_seek(c->it, c->lo.p, c->lo.len);
  }
  return REMDB_OK;
}

static bool in_range(const rcursor *c, const char *k, size_t kl) {
  if (c->lo.len) {
    size_t n = kl < c->lo.len ? kl : c->lo.len;
    int r = memcmp(k, c->lo.p, n);
    if (r < 0 || (r == 0 && kl < c->lo.len)) return false;
  }
  if (c->hi.len) {
    size_t n = kl < c->hi.len ? kl : c->hi.len;
    int r = memcmp(k, c->hi.p, n);
    if (r > 0 || (r == 0 && kl >= c->hi.len)) return false;
  }
  return true;
}

/* Fill the window with the next ids of the route (from the key list of a
** point route, or from the index), then read their entities with one
** batched multi-get.  The window grows from 4 to WIN_MAX ids per refill,
** so a LIMIT 1 query reads few rows and a long scan amortises the call. */
static int refill(rcursor *c) {
  remdb *db = c->vt->sess->db;
  bool desc = c->flags & P_DESC;
  for (size_t i = 0; i < c->nwin; i++) kv_val_free(&c->win[i].val);
  c->nwin = c->wpos = 0;
  size_t want = c->wsize;
  c->wsize = c->wsize * 2 > WIN_MAX ? WIN_MAX : c->wsize * 2;
  while (c->nwin < want) {
    if (c->kind == PLAN_POINT) {
      if (c->ki >= c->nkeys) break;
      size_t n;
      const unsigned char *k = key_at(c, c->ki++, &n);
      memcpy(c->win[c->nwin++].id.b, k, 16);
      continue;
    }
    size_t kl = 0;
    const char *k = kv_iter_valid(c->it) ? kv_iter_key(c->it, &kl) : NULL;
    if (k == NULL || !in_range(c, k, kl)) {
      int rc = kv_iter_status(c->it, &db->err);
      if (rc) return rc;
      /* this range is done: the next value of an IN list, or the end */
      if (c->ki + 1 >= c->nkeys) break;
      c->ki++;
      if ((rc = seek_range(c))) return rc;
      continue;
    }
    if (kl >= 16) memcpy(c->win[c->nwin++].id.b, k + kl - 16, 16);
    if (desc)
      kv_iter_prev(c->it);
    else
      kv_iter_next(c->it);
  }
  if (c->nwin == 0) return REMDB_OK;
  unsigned char ek[WIN_MAX][KEY_ENTITY_LEN];
  const char *keys[WIN_MAX];
  size_t lens[WIN_MAX];
  kv_val vals[WIN_MAX];
  bool found[WIN_MAX];
  for (size_t i = 0; i < c->nwin; i++) {
    key_entity(ek[i], db->tid, c->vt->s->table_id, c->win[i].id.b);
    keys[i] = (const char *)ek[i];
    lens[i] = KEY_ENTITY_LEN;
  }
  int rc = kv_multi_get(db->st->kv, c->snap, KV_ENTITY, c->nwin, keys, lens,
                        vals, found, &db->err);
  for (size_t i = 0; i < c->nwin; i++) {
    c->win[i].val = vals[i];
    c->win[i].found = found[i];
  }
  return rc;
}

/* Advance to the next visible row (or eof). */
static int advance(rcursor *c) {
  remdb *db = c->vt->sess->db;
  for (;;) {
    if (c->kind == PLAN_FULL) {
      size_t kl, vl;
      if (c->started) {
        if (c->flags & P_DESC)
          kv_iter_prev(c->it);
        else
          kv_iter_next(c->it);
      }
      c->started = true;
      if (!kv_iter_valid(c->it)) {
        c->eof = true;
        return kv_iter_status(c->it, &db->err);
      }
      const char *k = kv_iter_key(c->it, &kl);
      const char *v = kv_iter_value(c->it, &vl);
      c->examined++;
      if (kl != KEY_ENTITY_LEN) continue;
      memcpy(c->id.b, k + 8, 16);
      int rc = rec_open(&c->rv, v, vl, &db->err);
      if (rc) return rc;
    } else {
      if (c->wpos >= c->nwin) {
        int rc = refill(c);
        if (rc) return rc;
        if (c->nwin == 0) {
          c->eof = true;
          return REMDB_OK;
        }
      }
      struct win_row *w = &c->win[c->wpos++];
      c->examined++;
      c->id = w->id;
      if (!w->found) {
        if (c->kind == PLAN_POINT) continue; /* no such id */
        char ids[REMDB_ID_LEN + 1];
        uuid_format(&c->id, ids);
        return err_set(&db->err, REMDB_CORRUPT,
                       "%s: index entry for missing entity %s (run verify)",
                       c->vt->s->name, ids);
      }
      int rc = rec_open(&c->rv, w->val.data, w->val.len, &db->err);
      if (rc) return rc;
    }
    if (c->vt->all || !rec_is_deleted(&c->rv)) {
      c->returned++;
      c->eof = false;
      return REMDB_OK;
    }
  }
}

static int db_error(rcursor *c, int rc) {
  remdb *db = c->vt->sess->db;
  if (rc == REMDB_NOMEM) return SQLITE_NOMEM;
  return vt_error(c->vt, remdb_errmsg(db));
}

static int x_next(sqlite3_vtab_cursor *cur) {
  rcursor *c = (rcursor *)cur;
  int rc = advance(c);
  return rc ? db_error(c, rc) : SQLITE_OK;
}

/* The ids of a key route's values, pushed on the key list; -1 if a value
** cannot be looked up by its id (the route scans the table), else 0, or
** an SQLite error code. */
static int key_ids(rcursor *c, sqlite3_value *eq, int idxNum) {
  rvtab *vt = c->vt;
  int col = plan_key_col(vt);
  if (col < 0) return -1;
  sqlite3_value *v = NULL;
  int more = (idxNum & P_IN) ? sqlite3_vtab_in_first(eq, &v)
                             : (v = eq, SQLITE_OK);
  while (more == SQLITE_OK && v) {
    json_t *j;
    int r = plan_key_value(vt, col, v, &j);
    /* key IS NULL: the rows without a key, whose ids are not derived */
    if (r < 0 || ((idxNum & P_IS) && sqlite3_value_type(v) == SQLITE_NULL))
      return -1;
    uuid16_t u;
    if (r > 0) {
      int rc = ent_key_id(vt->sess->db, vt->s, j, &u);
      json_decref(j);
      if (rc) return SQLITE_NOMEM;
      if (!key_push(c, u.b, 16)) return SQLITE_NOMEM;
    }
    if (!(idxNum & P_IN)) break;
    more = sqlite3_vtab_in_next(eq, &v);
  }
  return more == SQLITE_OK || more == SQLITE_DONE ? 0 : more;
}

static int x_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                    int argc, sqlite3_value **argv) {
  rcursor *c = (rcursor *)cur;
  rvtab *vt = c->vt;
  remdb *db = vt->sess->db;
  cursor_reset(c);
  c->kind = idxStr ? idxStr[0] : PLAN_FULL;
  c->flags = idxNum;
  c->field = idxStr ? (uint16_t)atoi(idxStr + 1) : 0;
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
  (void)argc;
  int col = 0;
  for (int i = 0; i < vt->ncol; i++)
    if (vt->kind[i] == COL_FIELD && vt->field[i] == c->field) col = i;
  if (db->pin) {
    /* the handle's reads are pinned to a snapshot (a search's filter):
    ** an index plan must agree with the catalog that snapshot saw */
    const cat_table *ct = cat_by_id(db, vt->s->table_id);
    if (c->kind == PLAN_INDEX &&
        (db->epoch != db->pin_epoch || ct == NULL ||
         !cat_index_ready(ct, c->field)))
      return vt_error(vt, "the table's schema changed during the search: "
                          "run it again");
    c->snap = db->pin;
    c->snap_pinned = true;
  } else if (c->kind == PLAN_INDEX) {
    /* the plan chose an index when the statement was prepared; another
    ** handle may have dropped it or started rebuilding it since.  The
    ** snapshot agrees with the catalog the check reads. */
    const cat_table *ct = NULL;
    if (cat_snapshot(db, &c->snap) == REMDB_OK)
      ct = cat_by_id(db, vt->s->table_id);
    if (c->snap == NULL) return vt_error(vt, remdb_errmsg(db));
    if (ct == NULL || !cat_index_ready(ct, c->field)) {
      vt->sess->stale = true; /* remdb_step prepares it again and retries */
      return vt_error(vt, "the table's indexes changed since this statement "
                          "was prepared: prepare it again");
    }
  } else {
    c->snap = kv_snap_new(db->st->kv);
    if (c->snap == NULL) return SQLITE_NOMEM;
  }
  unsigned char tp[KEY_TABLE_PREFIX], tend[KEY_TABLE_PREFIX];
  key_table(tp, db->tid, vt->s->table_id);
  key_table(tend, db->tid, vt->s->table_id + 1);
  int rc = REMDB_OK;
  bool listed = false; /* the key list is made */
  if (c->kind == PLAN_KEY) {
    /* the ids derived from the key values, read as a point route */
    int r = key_ids(c, eq, idxNum);
    if (r > 0) return r;
    if (r < 0) { /* a value no id is known for: every row */
      c->nkeys = 0;
      c->kind = PLAN_FULL;
      c->flags &= ~(P_EQ | P_IN);
      if (c->desc) {
        free(c->desc);
        free(c->shape);
        c->desc = strdup("full scan (a key value its id cannot derive from)");
        c->shape = strdup(c->desc);
      }
    } else {
      if (!keys_sort(c, idxNum & P_DESC)) return SQLITE_NOMEM;
      c->kind = PLAN_POINT;
      listed = true;
    }
  }
  if (listed) {
    /* a key route: its ids are listed */
  } else if (c->kind == PLAN_POINT) {
    /* ids: one value or an IN list, as canonical UUID text only */
    sqlite3_value *v = NULL;
    int more = eq == NULL ? SQLITE_DONE
               : (idxNum & P_IN) ? sqlite3_vtab_in_first(eq, &v)
                                 : (v = eq, SQLITE_OK);
    while (more == SQLITE_OK && v) {
      uuid16_t u;
      char canon[REMDB_ID_LEN + 1];
      const char *t = (const char *)sqlite3_value_text(v);
      int tn = sqlite3_value_bytes(v);
      if (sqlite3_value_type(v) == SQLITE_TEXT && t &&
          uuid_parse(t, (size_t)tn, &u)) {
        uuid_format(&u, canon);
        if (memcmp(canon, t, REMDB_ID_LEN) == 0 && !key_push(c, u.b, 16))
          return SQLITE_NOMEM;
      }
      if (!(idxNum & P_IN)) break;
      more = sqlite3_vtab_in_next(eq, &v);
    }
    if (more != SQLITE_OK && more != SQLITE_DONE) return more;
    if (!keys_sort(c, idxNum & P_DESC)) return SQLITE_NOMEM;
  } else if (c->kind == PLAN_FULL) {
    rc = kv_iter_new(db->st->kv, c->snap, KV_ENTITY, tp, sizeof tp, tend,
                     sizeof tend, &c->it, &db->err);
    if (rc == REMDB_OK) {
      if (idxNum & P_DESC)
        kv_iter_last(c->it);
      else
        kv_iter_first(c->it);
    }
  } else {
    unsigned char fp[10], fend[10];
    key_index_field(fp, db->tid, vt->s->table_id, c->field);
    key_index_field(fend, db->tid, vt->s->table_id, (uint16_t)(c->field + 1));
    bool any = false; /* a bound no key can express: scan all non-NULL */
    if (idxNum & P_EQ) {
      sqlite3_value *v = NULL;
      int more = (idxNum & P_IN) ? sqlite3_vtab_in_first(eq, &v)
                                 : (v = eq, SQLITE_OK);
      buf_t k;
      buf_init(&k);
      while (more == SQLITE_OK && v && !any) {
        buf_reset(&k);
        buf_add(&k, fp, sizeof fp);
        enum enc_result r = ENC_NONE;
        if (sqlite3_value_type(v) == SQLITE_NULL) {
          if (idxNum & P_IS) { /* x IS NULL */
            okey_null(&k);
            r = ENC_KEY;
          }
        } else {
          r = plan_encode(vt, col, v, &k);
        }
        if (r == ENC_ANY) any = true;
        if ((r == ENC_KEY || r == ENC_NEAR) && !key_push(c, k.p, k.len)) {
          buf_free(&k);
          return SQLITE_NOMEM;
        }
        if (!(idxNum & P_IN)) break;
        more = sqlite3_vtab_in_next(eq, &v);
      }
      buf_free(&k);
      if (more != SQLITE_OK && more != SQLITE_DONE) return more;
      if (!any) {
        if (!keys_sort(c, idxNum & P_DESC)) return SQLITE_NOMEM;
        if (c->nkeys == 0) return SQLITE_OK; /* eof */
      } else {
        c->nkeys = 0;
      }
    } else if (idxNum & P_ISNULL) {
      unsigned char k[11];
      memcpy(k, fp, 10);
      k[10] = OKEY_NULL;
      if (!key_push(c, k, sizeof k)) return SQLITE_NOMEM;
    }
    if (!(idxNum & (P_EQ | P_ISNULL)) || any) {
      /* a range: values above NULL (comparisons are never true for NULL),
      ** or the whole field for an ordered scan without constraints */
      buf_add(&c->lo, fp, sizeof fp);
      if (idxNum & (P_LO | P_HI | P_NOTNULL | P_EQ))
        buf_addc(&c->lo, (char)(OKEY_NULL + 1));
      buf_add(&c->hi, fend, sizeof fend);
      if (lo && !any) {
        buf_t t;
        buf_init(&t);
        buf_add(&t, fp, sizeof fp);
        enum enc_result r = plan_encode(vt, col, lo, &t);
        if (r == ENC_NONE) { /* nothing is above NULL or a BLOB */
          buf_free(&t);
          return SQLITE_OK;
        }
        if (r == ENC_KEY || r == ENC_NEAR) {
          buf_reset(&c->lo);
          if ((idxNum & P_LO_INCL) || r == ENC_NEAR) {
            buf_add(&c->lo, t.p, t.len);
          } else { /* past every key with this value */
            if (!buf_reserve(&c->lo, t.len)) return SQLITE_NOMEM;
            c->lo.len = kv_prefix_end(t.p, t.len, (unsigned char *)c->lo.p);
          }
        }
        buf_free(&t);
      }
      if (hi && !any) {
        buf_t t;
        buf_init(&t);
        buf_add(&t, fp, sizeof fp);
        enum enc_result r = plan_encode(vt, col, hi, &t);
        if (r == ENC_NONE && sqlite3_value_type(hi) == SQLITE_NULL) {
          buf_free(&t); /* nothing is below NULL */
          return SQLITE_OK;
        }
        if (r == ENC_KEY || r == ENC_NEAR) { /* (a BLOB or an unknowable
                                              ** bound: no limit) */
          buf_reset(&c->hi);
          if (!(idxNum & P_HI_INCL) && r != ENC_NEAR) {
            buf_add(&c->hi, t.p, t.len);
          } else {
            if (!buf_reserve(&c->hi, t.len)) return SQLITE_NOMEM;
            c->hi.len = kv_prefix_end(t.p, t.len, (unsigned char *)c->hi.p);
          }
        }
        buf_free(&t);
      }
      if (c->lo.oom || c->hi.oom) return SQLITE_NOMEM;
    }
    /* the iterator spans the whole field; each range is bounded by hand */
    rc = kv_iter_new(db->st->kv, c->snap, KV_INDEX, fp, sizeof fp, fend,
                     sizeof fend, &c->it, &db->err);
    if (rc == REMDB_OK) rc = seek_range(c);
  }
  if (rc == REMDB_OK) rc = advance(c);
  return rc ? db_error(c, rc) : SQLITE_OK;
}

static int x_eof(sqlite3_vtab_cursor *cur) { return ((rcursor *)cur)->eof; }

static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  rcursor *c = (rcursor *)cur;
  rvtab *vt = c->vt;
  if (sqlite3_vtab_nochange(ctx)) return SQLITE_OK; /* UPDATE: unchanged */
  if (vt->kind[i] == COL_ID) {
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&c->id, ids);
    sqlite3_result_text(ctx, ids, REMDB_ID_LEN, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (vt->kind[i] == COL_TYPE) {
    sqlite3_result_text(ctx, vt->s->name, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  rec_field f;
  if (!rec_find(&c->rv, vt->field[i], &f)) return SQLITE_OK; /* NULL */
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
  *rowid = (sqlite3_int64)(get_u64be(c->id.b) >> 1);
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

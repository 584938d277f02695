/*
** read.c: reading entities: point gets by id (through the id directory
** when the table is not named), and the public readers over the read path
** (scan.c): table iteration (remdb_iter), counts, and equality lookups
** served by a secondary index (remdb_find).
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int parse_id(remdb *db, const char *id, uuid16_t *u) {
  if (id == NULL) return err_set(&db->err, REMDB_MISUSE, "id is NULL");
  if (!uuid_parse(id, strlen(id), u))
    return err_set(&db->err, REMDB_INVALID,
                   "invalid id \"%.60s\": expected a UUID (8-4-4-4-12 hex "
                   "digits)",
                   id);
  return REMDB_OK;
}

bool rec_is_deleted(const rec_view *rv) {
  rec_field f;
  return rec_find(rv, REC_F_DELETED, &f) && f.type != REC_NULL;
}

int ent_read(remdb *db, const kv_snap_t *snap, const cat_table *table,
             const uuid16_t *id, cat_table **table_out, kv_val *val,
             rec_view *rv) {
  int rc;
  char ids[REMDB_ID_LEN + 1];
  if (db->tid == 0) goto notfound;
  if (table == NULL) {
    unsigned char dk[KEY_IDDIR_LEN];
    kv_val tv;
    key_iddir(dk, db->tid, id->b);
    uint64_t seq = snap ? 0 : kv_latest_seq(db->st->kv);
    rc = kv_get(db->st->kv, snap, KV_INDEX, dk, sizeof dk, &tv, &db->err);
    if (rc == REMDB_NOTFOUND) goto notfound;
    if (rc) return rc;
    if (snap == NULL) col_dir_seen(db, seq, id, tv.data, tv.len);
    uint32_t tbl = iddir_table(tv.data, tv.len);
    kv_val_free(&tv);
    table = cat_by_id(db, tbl);
    if (table == NULL) goto notfound; /* entry of a dropped table */
  }
  unsigned char ek[KEY_ENTITY_LEN];
  key_entity(ek, db->tid, table->s->table_id, id->b);
  rc = kv_get(db->st->kv, snap, KV_ENTITY, ek, sizeof ek, val, &db->err);
  if (rc == REMDB_NOTFOUND) goto notfound;
  if (rc) return rc;
  rc = rec_open(rv, val->data, val->len, &db->err);
  if (rc) {
    kv_val_free(val);
    return rc;
  }
  if (table_out) *table_out = (cat_table *)table;
  return REMDB_OK;
notfound:
  uuid_format(id, ids);
  return err_set(&db->err, REMDB_NOTFOUND, "no entity with id %s", ids);
}

int ent_state(remdb *db, const kv_snap_t *snap, uint32_t tbl,
              const unsigned char *id) {
  err_t e; /* answers, not errors: db's error slot is left alone */
  unsigned char ek[KEY_ENTITY_LEN];
  key_entity(ek, db->tid, tbl, id);
  kv_val v;
  if (kv_get(db->st->kv, snap, KV_ENTITY, ek, sizeof ek, &v, &e) != REMDB_OK)
    return ENT_MISSING;
  rec_view rv;
  int st = rec_open(&rv, v.data, v.len, &e) != REMDB_OK ? ENT_MISSING
           : rec_is_deleted(&rv)                       ? ENT_DELETED
                                                       : ENT_LIVE;
  kv_val_free(&v);
  return st;
}

int ent_get(remdb *db, const snap_t *snap, const cat_table *table,
            const uuid16_t *id, ent_row *out) {
  kv_val v = {0};
  memset(out, 0, sizeof *out);
  int rc = ent_read(db, snap ? snap->kv : NULL, table, id, &out->table, &v,
                    &out->rv);
  out->val.data = v.data;
  out->val.len = v.len;
  out->val.pin = v.pin;
  return rc;
}

void ent_row_free(ent_row *r) {
  kv_val v = {r->val.data, r->val.len, r->val.pin};
  kv_val_free(&v);
  memset(r, 0, sizeof *r);
}

bool ent_known(remdb *db, const snap_t *snap, const uuid16_t *id) {
  err_t e; /* answers, not errors: db's error slot is left alone */
  unsigned char dk[KEY_IDDIR_LEN];
  kv_val v;
  if (db->tid == 0) return false;
  key_iddir(dk, db->tid, id->b);
  if (kv_get(db->st->kv, snap ? snap->kv : NULL, KV_INDEX, dk, sizeof dk, &v,
             &e) != REMDB_OK)
    return false;
  kv_val_free(&v);
  return true;
}

bool ent_live(remdb *db, const snap_t *snap, const uuid16_t *id) {
  err_t e; /* answers, not errors: db's error slot is left alone */
  unsigned char dk[KEY_IDDIR_LEN];
  kv_val tv;
  const kv_snap_t *ks = snap ? snap->kv : NULL;
  if (db->tid == 0) return false;
  key_iddir(dk, db->tid, id->b);
  if (kv_get(db->st->kv, ks, KV_INDEX, dk, sizeof dk, &tv, &e) != REMDB_OK)
    return false;
  uint32_t tbl = iddir_table(tv.data, tv.len);
  kv_val_free(&tv);
  return ent_state(db, ks, tbl, id->b) == ENT_LIVE;
}

void ent_live_many(remdb *db, const snap_t *sn, const uuid16_t *ids,
                   size_t n, bool *live) {
  const kv_snap_t *snap = sn ? sn->kv : NULL;
  err_t e;
  unsigned char keys[64][KEY_ENTITY_LEN];
  const char *kp[64];
  size_t kl[64];
  kv_val vals[64];
  bool found[64];
  for (size_t off = 0; off < n; off += 64) {
    size_t m = n - off < 64 ? n - off : 64;
    /* the id directory gives each id's table... */
    for (size_t i = 0; i < m; i++) {
      key_iddir(keys[i], db->tid, ids[off + i].b);
      kp[i] = (const char *)keys[i];
      kl[i] = KEY_IDDIR_LEN;
      live[off + i] = false;
    }
    if (db->tid == 0 ||
        kv_multi_get(db->st->kv, snap, KV_INDEX, m, kp, kl, vals, found, &e) !=
            REMDB_OK) {
      for (size_t i = 0; i < m; i++) kv_val_free(&vals[i]);
      continue;
    }
    /* ...then the entities, to see which are soft-deleted */
    size_t q = 0, at[64];
    for (size_t i = 0; i < m; i++) {
      uint32_t tbl = found[i] ? iddir_table(vals[i].data, vals[i].len) : 0;
      kv_val_free(&vals[i]);
      if (tbl == 0) continue;
      key_entity(keys[q], db->tid, tbl, ids[off + i].b);
      kp[q] = (const char *)keys[q];
      kl[q] = KEY_ENTITY_LEN;
      at[q++] = off + i;
    }
    if (q == 0) continue;
    if (kv_multi_get(db->st->kv, snap, KV_ENTITY, q, kp, kl, vals, found,
                     &e) == REMDB_OK)
      for (size_t i = 0; i < q; i++) {
        rec_view rv;
        live[at[i]] = found[i] &&
                      rec_open(&rv, vals[i].data, vals[i].len, &e) ==
                          REMDB_OK &&
                      !rec_is_deleted(&rv);
      }
    for (size_t i = 0; i < q; i++) kv_val_free(&vals[i]);
  }
}

int ent_to_json(remdb *db, const cat_table *t, const uuid16_t *id,
                const rec_view *rv, buf_t *out) {
  char ids[REMDB_ID_LEN + 1];
  uuid_format(id, ids);
  return rec_to_json(&t->s->dict, rv, ids, t->s->name, out, &db->err);
}

int remdb_get(remdb *db, const char *table, const char *id, int flags,
              char **json_out, size_t *len_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "get", flags, REMDB_INCLUDE_DELETED)) return db->err.code;
  *json_out = NULL;
  uuid16_t u;
  cat_table *t = NULL;
  int rc = parse_id(db, id, &u);
  if (rc == REMDB_OK) rc = table ? cat_find(db, table, &t) : cat_refresh(db);
  if (rc) return rc;
  kv_val val = {0};
  rec_view rv;
  rc = ent_read(db, NULL, t, &u, &t, &val, &rv);
  if (rc) return rc;
  if (!(flags & REMDB_INCLUDE_DELETED) && rec_is_deleted(&rv)) {
    kv_val_free(&val);
    return err_set(&db->err, REMDB_NOTFOUND, "entity %s is deleted", id);
  }
  buf_t b;
  buf_init(&b);
  rc = ent_to_json(db, t, &u, &rv, &b);
  kv_val_free(&val);
  if (rc) {
    buf_free(&b);
    return rc;
  }
  *json_out = buf_detach(&b, len_out);
  return *json_out ? REMDB_OK : err_nomem(&db->err);
}

/* ---- iteration ---------------------------------------------------------- */

struct remdb_iter {
  remdb *db;
  sch_table *s; /* own reference: valid across catalog refreshes */
  snap_t *snap;
  scan_t *scan;
  buf_t out;
};

int remdb_iter_open(remdb *db, const char *table, int flags,
                    remdb_iter **out) {
  if (db == NULL || out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "iter", flags, REMDB_INCLUDE_DELETED)) return db->err.code;
  *out = NULL;
  snap_t *snap;
  int rc = snap_take(db, &snap);
  if (rc) return rc;
  cat_table *t;
  if ((rc = cat_lookup(db, table, &t))) {
    snap_release(snap);
    return rc;
  }
  remdb_iter *r = calloc(1, sizeof *r);
  if (r == NULL) {
    snap_release(snap);
    return err_nomem(&db->err);
  }
  r->db = db;
  r->snap = snap;
  r->s = sch_retain(t->s);
  buf_init(&r->out);
  scan_spec sp = {.kind = SCAN_ALL,
                  .deleted = (flags & REMDB_INCLUDE_DELETED) != 0};
  rc = scan_open(db, snap, t->s, &sp, &r->scan);
  if (rc) {
    remdb_iter_free(r);
    return rc;
  }
  *out = r;
  return REMDB_OK;
}

int remdb_iter_next(remdb_iter *r, const char **json, size_t *len) {
  if (r == NULL || json == NULL) return REMDB_MISUSE;
  remdb *db = r->db;
  const scan_row *row;
  int rc = scan_step(r->scan, &row);
  if (rc != REMDB_ROW) return rc;
  char ids[REMDB_ID_LEN + 1];
  uuid_format(&row->id, ids);
  buf_reset(&r->out);
  rc = rec_to_json(&r->s->dict, &row->rv, ids, r->s->name, &r->out, &db->err);
  if (rc) return rc;
  r->out.p[r->out.len] = '\0'; /* buf keeps room for it */
  *json = r->out.p;
  if (len) *len = r->out.len;
  return REMDB_ROW;
}

void remdb_iter_free(remdb_iter *r) {
  if (r == NULL) return;
  scan_close(r->scan);
  snap_release(r->snap);
  sch_free(r->s);
  buf_free(&r->out);
  free(r);
}

int remdb_count(remdb *db, const char *table, int flags, uint64_t *count_out) {
  if (db == NULL || count_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "count", flags, REMDB_INCLUDE_DELETED)) return db->err.code;
  *count_out = 0;
  cat_table *t;
  uint64_t rows, deleted;
  int rc = cat_find(db, table, &t);
  if (rc == REMDB_OK) rc = cnt_read(db, NULL, t->s->table_id, &rows, &deleted);
  if (rc == REMDB_OK)
    *count_out = (flags & REMDB_INCLUDE_DELETED) ? rows : rows - deleted;
  return rc;
}

/* ---- index lookup ------------------------------------------------------- */

/* The value v (parsed from text) in the type field declares, when v's own
** type is one the field never holds: 123 on a string field is "123",
** "123" on an integer field is 123, "true" on a boolean field is true.  A
** field of several types, or none, takes v as it is.  Returns v, or its
** replacement (v then released); NULL on out of memory. */
static json_t *coerce_find_value(const sch_table *t, const char *field,
                                 json_t *v, const char *text) {
  unsigned types = sch_prop_types(t, field), have;
  switch (json_typeof(v)) {
    case JSON_STRING: have = SCH_STRING; break;
    case JSON_INTEGER: have = SCH_INTEGER | SCH_NUMBER; break;
    case JSON_REAL: have = SCH_NUMBER; break;
    case JSON_TRUE:
    case JSON_FALSE: have = SCH_BOOLEAN; break;
    default: return v; /* null, or not a scalar: as it is */
  }
  if (types == 0 || (types & have)) return v;
  json_t *r = NULL;
  if (have != SCH_STRING) {
    if (!(types & SCH_STRING)) return v;
    /* the literal as written (1.50 stays "1.50") */
    size_t n = strlen(text);
    while (n && strchr(" \t\r\n", text[n - 1])) n--;
    while (n && strchr(" \t\r\n", *text)) text++, n--;
    r = json_stringn(text, n);
  } else {
    json_t *p = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
    unsigned pt = p == NULL                         ? 0
                  : json_is_integer(p)              ? SCH_INTEGER | SCH_NUMBER
                  : json_is_real(p)                 ? SCH_NUMBER
                  : json_is_boolean(p)              ? SCH_BOOLEAN
                                                    : 0;
    if (!(pt & types)) {
      json_decref(p);
      return v;
    }
    r = p;
  }
  if (r == NULL) return NULL;
  json_decref(v);
  return r;
}

/* remdb_find under a snapshot that agrees with the cached catalog */
static int find_in(remdb *db, const snap_t *snap, const char *table,
                   const char *field, const char *value, int flags,
                   char **json_out) {
  cat_table *t;
  int rc = cat_lookup(db, table, &t);
  if (rc) return rc;
  uint16_t fid = 0;
  if (!strcmp(field, "created_at")) fid = REC_F_CREATED;
  else if (!strcmp(field, "modified_at")) fid = REC_F_MODIFIED;
  else if (!strcmp(field, "deleted_at")) fid = REC_F_DELETED;
  else fid = rec_dict_id(&t->s->dict, field);
  if (fid == 0 || !cat_index_ready(t, fid))
    return err_set(&db->err, REMDB_INVALID,
                   "%s.%s: not an indexed field%s%s", t->s->name, field,
                   t->rebuild ? " (or its index is being rebuilt)" : "",
                   t->rebuild ? core_rebuild_hint(db) : "");
  json_error_t je;
  json_t *v = json_loads(value, JSON_DECODE_ANY, &je);
  if (v == NULL)
    return err_set(&db->err, REMDB_INVALID,
                   "%s.%s: value is not a JSON scalar: %s", t->s->name, field,
                   je.text);
  json_t *cv = coerce_find_value(t->s, field, v, value);
  if (cv == NULL) {
    json_decref(v);
    return err_nomem(&db->err);
  }
  v = cv;
  /* the value as a write would have stored it (canonical time stamps) */
  rc = json_is_object(v) || json_is_array(v)
           ? err_set(&db->err, REMDB_INVALID,
                     "%s.%s: index lookups take a scalar, not an object or "
                     "array", t->s->name, field)
           : sch_normalize_value(t->s, field, &v, &db->lim, &db->err);
  if (rc) {
    json_decref(v);
    return rc;
  }
  buf_t val, out;
  buf_init(&val);
  buf_init(&out);
  rc = okey_json(&val, v, &db->err);
  json_decref(v);
  if (rc == REMDB_OK && val.oom) rc = err_nomem(&db->err);
  scan_t *sc = NULL;
  scan_key key = {val.p, val.len};
  scan_spec sp = {.kind = SCAN_INDEX, .field = fid, .in = true,
                  .vals = &key, .nvals = 1,
                  .deleted = (flags & REMDB_INCLUDE_DELETED) != 0};
  if (rc == REMDB_OK) rc = scan_open(db, snap, t->s, &sp, &sc);
  buf_addc(&out, '[');
  size_t rows = 0;
  const scan_row *row;
  while (rc == REMDB_OK && (rc = scan_step(sc, &row)) == REMDB_ROW) {
    if (rows++) buf_addc(&out, ',');
    rc = ent_to_json(db, t, &row->id, &row->rv, &out);
  }
  if (rc == REMDB_DONE) rc = REMDB_OK;
  buf_addc(&out, ']');
  scan_close(sc);
  buf_free(&val);
  return core_hand_out(db, rc, &out, json_out);
}

int remdb_find(remdb *db, const char *table, const char *field,
               const char *value, int flags, char **json_out) {
  if (db == NULL || json_out == NULL || field == NULL || value == NULL)
    return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "find", flags, REMDB_INCLUDE_DELETED)) return db->err.code;
  *json_out = NULL;
  snap_t *snap;
  int rc = snap_take(db, &snap);
  if (rc) return rc;
  rc = find_in(db, snap, table, field, value, flags, json_out);
  snap_release(snap);
  return rc;
}

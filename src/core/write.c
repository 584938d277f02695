/*
** write.c: the write path.  Every change of an entity, whatever the entry
** point (insert, batch, update, delete, rebuild), ends in stage_record(),
** which puts the new record and, in the same RocksDB write batch, the
** index entries that changed and the id-directory entry.  So an index
** entry can never disagree with its entity, even across a crash.
*/
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define REBUILD_BATCH 1000

/* ---- staging ------------------------------------------------------------ */

/* Stage entity id of table t: its new record (bytes nrec/nlen), replacing
** old (NULL if the entity is new).  Only changed index entries are
** written.  On failure kb is as it was. */
static int stage_record(remdb *db, kv_batch_t *kb, const sch_table *t,
                        const uuid16_t *id, const rec_view *old,
                        const char *nrec, size_t nlen) {
  rec_view nv;
  int rc = rec_open(&nv, nrec, nlen, &db->err);
  if (rc) return rc;
  buf_t *k = &db->kbuf;
  unsigned char ek[KEY_ENTITY_LEN];
  key_entity(ek, db->tid, t->table_id, id->b);
  kv_batch_savepoint(kb);
  kv_batch_put(kb, KV_ENTITY, ek, sizeof ek, nrec, nlen);
  if (old == NULL) {
    unsigned char dk[KEY_IDDIR_LEN], tv[4];
    key_iddir(dk, db->tid, id->b);
    put_u32be(tv, t->table_id);
    kv_batch_put(kb, KV_INDEX, dk, sizeof dk, tv, 4);
  }
  for (uint32_t i = 0; i < t->n_indexed; i++) {
    uint16_t f = t->indexed[i];
    buf_reset(k);
    idx_key(k, db->tid, t->table_id, f, &nv, id->b);
    size_t nk = k->len;
    if (old) {
      idx_key(k, db->tid, t->table_id, f, old, id->b);
      if (k->len - nk == nk && memcmp(k->p, k->p + nk, nk) == 0) continue;
      if (!k->oom) kv_batch_del(kb, KV_INDEX, k->p + nk, k->len - nk);
    }
    if (k->oom) {
      kv_batch_rollback(kb);
      return err_nomem(&db->err);
    }
    kv_batch_put(kb, KV_INDEX, k->p, nk, "", 0);
  }
  kv_batch_keep(kb);
  return REMDB_OK;
}

/* Stage the removal of entity id (record old) with all its entries. */
static int stage_remove(remdb *db, kv_batch_t *kb, const sch_table *t,
                        const uuid16_t *id, const rec_view *old) {
  buf_t *k = &db->kbuf;
  unsigned char ek[KEY_ENTITY_LEN], dk[KEY_IDDIR_LEN];
  key_entity(ek, db->tid, t->table_id, id->b);
  key_iddir(dk, db->tid, id->b);
  kv_batch_savepoint(kb);
  kv_batch_del(kb, KV_ENTITY, ek, sizeof ek);
  kv_batch_del(kb, KV_INDEX, dk, sizeof dk);
  for (uint32_t i = 0; i < t->n_indexed; i++) {
    buf_reset(k);
    idx_key(k, db->tid, t->table_id, t->indexed[i], old, id->b);
    if (k->oom) {
      kv_batch_rollback(kb);
      return err_nomem(&db->err);
    }
    kv_batch_del(kb, KV_INDEX, k->p, k->len);
  }
  kv_batch_keep(kb);
  return REMDB_OK;
}

/* ---- pending entities of a batch --------------------------------------- */

/* Entities staged in an uncommitted batch whose id could be written again
** in the same batch (explicit or derived ids), so that the second write
** sees the first as its old version.  Open addressing on the id. */
typedef struct pend {
  uuid16_t id;
  uint32_t tbl;
  char *rec;
  size_t len;
} pend;

typedef struct pend_map {
  pend *slots;
  size_t cap, n;
} pend_map;

static void pend_clear(pend_map *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->slots[i].rec);
  free(m->slots);
  memset(m, 0, sizeof *m);
}

static pend *pend_find(pend_map *m, const uuid16_t *id) {
  if (m->cap == 0) return NULL;
  size_t i = get_u32be(id->b + 12) & (m->cap - 1);
  while (m->slots[i].rec) {
    if (memcmp(m->slots[i].id.b, id->b, 16) == 0) return &m->slots[i];
    i = (i + 1) & (m->cap - 1);
  }
  return NULL;
}

static bool pend_put(pend_map *m, const uuid16_t *id, uint32_t tbl,
                     const char *rec, size_t len) {
  char *copy = malloc(len ? len : 1);
  if (copy == NULL) return false;
  memcpy(copy, rec, len);
  pend *p = pend_find(m, id);
  if (p) {
    free(p->rec);
    p->rec = copy;
    p->len = len;
    p->tbl = tbl;
    return true;
  }
  if ((m->n + 1) * 2 > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    pend *s = calloc(cap, sizeof *s);
    if (s == NULL) {
      free(copy);
      return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->slots[i].rec) continue;
      size_t j = get_u32be(m->slots[i].id.b + 12) & (cap - 1);
      while (s[j].rec) j = (j + 1) & (cap - 1);
      s[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
  }
  size_t i = get_u32be(id->b + 12) & (m->cap - 1);
  while (m->slots[i].rec) i = (i + 1) & (m->cap - 1);
  m->slots[i] = (pend){*id, tbl, copy, len};
  m->n++;
  return true;
}

/* ---- insert ------------------------------------------------------------- */

/* The id of a new entity: explicit, derived from key_field (or uri and
** chunk_ordinal), else random.  *may_exist tells whether an old version
** must be looked for; *derived whether the id came from the key. */
static int entity_id(remdb *db, const sch_table *t, json_t *obj, uuid16_t *id,
                     bool *may_exist, bool *explicit_id) {
  json_t *jid = json_object_get(obj, "id");
  *may_exist = *explicit_id = false;
  if (jid && !json_is_null(jid)) {
    if (!json_is_string(jid) ||
        !uuid_parse(json_string_value(jid), json_string_length(jid), id))
      return err_set(&db->err, REMDB_INVALID,
                     "%s.id: not a UUID (want 8-4-4-4-12 hex digits)",
                     t->name);
    *may_exist = *explicit_id = true;
  }
  buf_t h;
  buf_init(&h);
  bool derive = false;
  json_t *kv = t->key_field ? json_object_get(obj, t->key_field) : NULL;
  if (kv && !json_is_null(kv)) {
    derive = true;
    buf_adds(&h, db->tenant);
    buf_addc(&h, 0);
    buf_adds(&h, t->name);
    buf_addc(&h, 0);
    if (json_is_string(kv)) {
      buf_addc(&h, 's');
      buf_add(&h, json_string_value(kv), json_string_length(kv));
    } else {
      char *num = json_dumps(kv, JSON_ENCODE_ANY | JSON_COMPACT);
      buf_addc(&h, 'n');
      if (num) buf_adds(&h, num);
      else h.oom = true;
      free(num);
    }
  } else if (t->id_from_uri && json_is_string(json_object_get(obj, "uri"))) {
    json_t *uri = json_object_get(obj, "uri");
    json_t *ord = json_object_get(obj, "chunk_ordinal");
    derive = true;
    buf_adds(&h, db->tenant);
    buf_addc(&h, 0);
    buf_adds(&h, t->name);
    buf_addc(&h, 0);
    buf_add(&h, json_string_value(uri), json_string_length(uri));
    buf_addf(&h, "%c%lld", 0,
             json_is_integer(ord) ? (long long)json_integer_value(ord) : 0LL);
  }
  int rc = REMDB_OK;
  if (h.oom) {
    rc = err_nomem(&db->err);
  } else if (derive) {
    uuid16_t d;
    uuid_from_hash(&d, h.p, h.len);
    if (*explicit_id && memcmp(d.b, id->b, 16) != 0)
      rc = err_set(&db->err, REMDB_INVALID,
                   "%s.id: differs from the id derived from %s; leave id "
                   "out or give the derived one",
                   t->name, t->key_field ? t->key_field : "uri");
    *id = d;
    *may_exist = true;
  } else if (!*explicit_id && !uuid_random(id)) {
    rc = err_set(&db->err, REMDB_ERROR, "no randomness for a new id");
  }
  buf_free(&h);
  return rc;
}

/* System fields given in an insert: type must name the table, deleted_at
** must be empty, created_at (kept on new entities) must be a date-time. */
static int system_fields(remdb *db, const sch_table *t, json_t *obj,
                         char created[TS_LEN + 1]) {
  json_t *ty = json_object_get(obj, "type");
  if (ty && !json_is_null(ty) &&
      (!json_is_string(ty) || strcmp(json_string_value(ty), t->name) != 0))
    return err_set(&db->err, REMDB_INVALID,
                   "%s.type: must be \"%s\" (the table) if given", t->name,
                   t->name);
  json_t *del = json_object_get(obj, "deleted_at");
  if (del && !json_is_null(del))
    return err_set(&db->err, REMDB_INVALID,
                   "%s.deleted_at: cannot be set by insert; use delete",
                   t->name);
  static const char *const ts[] = {"created_at", "modified_at"};
  for (int i = 0; i < 2; i++) {
    json_t *c = json_object_get(obj, ts[i]);
    int64_t tv;
    if (c == NULL || json_is_null(c)) continue;
    if (!json_is_string(c) ||
        !ts_parse(json_string_value(c), json_string_length(c), &tv))
      return err_set(&db->err, REMDB_SCHEMA,
                     "%s.%s: not an RFC 3339 date-time", t->name, ts[i]);
    if (i == 0) ts_format(tv, created);
  }
  return REMDB_OK;
}

/* Validate and stage one entity.  pm (may be NULL) holds the batch's
** pending entities.  The caller holds wlock. */
static int insert_one(remdb *db, kv_batch_t *kb, pend_map *pm,
                      const char *table, const char *json, size_t len,
                      char id_out[REMDB_ID_LEN + 1]) {
  cat_table *ct;
  json_t *obj = NULL;
  kv_val old_val = {0};
  int rc = cat_find(db, table, &ct);
  if (rc) return rc;
  const sch_table *t = ct->s;
  rc = core_parse_json(db, t->name, json, len, &obj);
  if (rc) return rc;
  char created[TS_LEN + 1] = "", now[TS_LEN + 1];
  ts_format(ts_now(), now);
  uuid16_t id;
  bool may_exist, explicit_id;
  if (!json_is_object(obj)) {
    rc = err_set(&db->err, REMDB_INVALID, "%s: an entity must be a JSON object",
                 t->name);
    goto done;
  }
  if ((rc = system_fields(db, t, obj, created))) goto done;
  if ((rc = sch_validate(t, obj, &db->lim, &db->err))) goto done;
  if ((rc = entity_id(db, t, obj, &id, &may_exist, &explicit_id))) goto done;
  rec_view oldv, *old = NULL;
  if (may_exist) {
    pend *p = pm ? pend_find(pm, &id) : NULL;
    uint32_t other = 0;
    if (p) {
      if (p->tbl != t->table_id) other = p->tbl;
      else if ((rc = rec_open(&oldv, p->rec, p->len, &db->err))) goto done;
      else old = &oldv;
    } else {
      cat_table *owner = NULL;
      rc = ent_read(db, NULL, explicit_id ? NULL : ct, &id, &owner, &old_val,
                    &oldv);
      if (rc == REMDB_OK && owner->s->table_id != t->table_id)
        other = owner->s->table_id;
      else if (rc == REMDB_OK)
        old = &oldv;
      else if (rc == REMDB_NOTFOUND)
        rc = REMDB_OK, err_clear(&db->err);
      else
        goto done;
    }
    if (other) {
      cat_table *o = cat_by_id(db, other);
      char ids[REMDB_ID_LEN + 1];
      uuid_format(&id, ids);
      rc = err_set(&db->err, REMDB_EXISTS, "%s.id: %s already belongs to %s",
                   t->name, ids, o ? o->s->name : "another table");
      goto done;
    }
  }
  if (old) { /* an upsert keeps created_at */
    rec_field f;
    if (rec_find(old, REC_F_CREATED, &f) && f.n == TS_LEN) {
      memcpy(created, f.p, TS_LEN);
      created[TS_LEN] = 0;
    }
  }
  if (!created[0]) memcpy(created, now, sizeof now);
  buf_reset(&db->vbuf);
  rc = rec_from_json(&t->dict, obj, created, now, NULL, &db->vbuf, &db->err);
  if (rc == REMDB_OK)
    rc = stage_record(db, kb, t, &id, old, db->vbuf.p, db->vbuf.len);
  if (rc == REMDB_OK && pm && may_exist &&
      !pend_put(pm, &id, t->table_id, db->vbuf.p, db->vbuf.len)) {
    kv_batch_rollback(kb);
    rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK && id_out) uuid_format(&id, id_out);
done:
  kv_val_free(&old_val);
  json_decref(obj);
  return rc;
}

static int writable(remdb *db) {
  if (kv_read_only(db->st->kv))
    return err_set(&db->err, REMDB_MISUSE, "database is open read-only");
  return REMDB_OK;
}

int remdb_insert(remdb *db, const char *table, const char *json, size_t len,
                 char id_out[REMDB_ID_LEN + 1]) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  int rc = writable(db);
  if (rc || (rc = core_lock(db))) return rc;
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  rc = kb ? insert_one(db, kb, NULL, table, json, len, id_out)
          : err_nomem(&db->err);
  if (rc == REMDB_OK) rc = kv_write(db->st->kv, kb, -1, &db->err);
  kv_batch_free(kb);
  core_unlock(db);
  return rc;
}

int remdb_validate(remdb *db, const char *table, const char *json,
                   size_t len) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  int rc = core_lock(db);
  if (rc) return rc;
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  rc = kb ? insert_one(db, kb, NULL, table, json, len, NULL)
          : err_nomem(&db->err);
  kv_batch_free(kb); /* staged, never written */
  core_unlock(db);
  return rc;
}

/* ---- batches ------------------------------------------------------------ */

struct remdb_batch {
  remdb *db;
  kv_batch_t *kb;
  pend_map pm;
  size_t n;
  bool locked;
};

int remdb_batch_begin(remdb *db, remdb_batch **out) {
  if (db == NULL || out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  *out = NULL;
  int rc = writable(db);
  if (rc) return rc;
  remdb_batch *b = calloc(1, sizeof *b);
  if (b == NULL || (b->kb = kv_batch_new(db->st->kv)) == NULL) {
    free(b);
    return err_nomem(&db->err);
  }
  b->db = db;
  *out = b;
  return REMDB_OK;
}

int remdb_batch_insert(remdb_batch *b, const char *table, const char *json,
                       size_t len, char id_out[REMDB_ID_LEN + 1]) {
  if (b == NULL) return REMDB_MISUSE;
  remdb *db = b->db;
  err_clear(&db->err);
  /* the batch holds the write lock until it commits, so the old versions
  ** it read stay current */
  if (!b->locked) {
    int rc = core_lock(db);
    if (rc) return rc;
    b->locked = true;
  }
  int rc = insert_one(db, b->kb, &b->pm, table, json, len, id_out);
  if (rc == REMDB_OK) b->n++;
  return rc;
}

size_t remdb_batch_count(const remdb_batch *b) { return b ? b->n : 0; }

int remdb_batch_commit(remdb_batch *b, int sync) {
  if (b == NULL) return REMDB_MISUSE;
  remdb *db = b->db;
  err_clear(&db->err);
  int rc = REMDB_OK;
  if (b->n > 0) rc = kv_write(db->st->kv, b->kb, sync, &db->err);
  kv_batch_clear(b->kb);
  pend_clear(&b->pm);
  b->n = 0;
  if (b->locked) {
    core_unlock(db);
    b->locked = false;
  }
  return rc;
}

void remdb_batch_free(remdb_batch *b) {
  if (b == NULL) return;
  if (b->locked) core_unlock(b->db);
  kv_batch_free(b->kb);
  pend_clear(&b->pm);
  free(b);
}

/* ---- update and delete -------------------------------------------------- */

/* RFC 7386: null removes a member, objects merge, anything else replaces.
** Returns the merged value (a new reference) or NULL on out of memory. */
static json_t *merge_patch(json_t *target, json_t *patch) {
  if (!json_is_object(patch)) return json_deep_copy(patch);
  json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
  if (out == NULL) return NULL;
  const char *k;
  json_t *v;
  json_object_foreach(patch, k, v) {
    if (json_is_null(v)) {
      json_object_del(out, k);
      continue;
    }
    json_t *m = merge_patch(json_object_get(out, k), v);
    if (m == NULL || json_object_set_new(out, k, m) != 0) {
      json_decref(out);
      return NULL;
    }
  }
  return out;
}

static int check_patch(remdb *db, const sch_table *t, json_t *patch,
                       const char *idtext) {
  const char *k;
  json_t *v;
  json_object_foreach(patch, k, v) {
    if (!strcmp(k, "id") || !strcmp(k, "type")) {
      const char *want = k[0] == 'i' ? idtext : t->name;
      if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        return err_set(&db->err, REMDB_INVALID,
                       "%s.%s: cannot be changed by update", t->name, k);
    } else if (!strcmp(k, "created_at") || !strcmp(k, "modified_at") ||
               !strcmp(k, "deleted_at")) {
      return err_set(&db->err, REMDB_INVALID,
                     "%s.%s: system field, cannot be changed by update",
                     t->name, k);
    }
  }
  return REMDB_OK;
}

int remdb_update(remdb *db, const char *id, const char *patch, size_t len) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  uuid16_t u;
  json_t *pj = NULL, *cur = NULL, *merged = NULL;
  kv_val val = {0};
  kv_batch_t *kb = NULL;
  buf_t js;
  buf_init(&js);
  int rc = writable(db);
  if (rc || (rc = parse_id(db, id, &u))) return rc;
  if ((rc = core_parse_json(db, "update", patch, len, &pj))) return rc;
  if (!json_is_object(pj)) {
    json_decref(pj);
    return err_set(&db->err, REMDB_INVALID,
                   "update: the patch must be a JSON object");
  }
  if ((rc = core_lock(db))) {
    json_decref(pj);
    return rc;
  }
  cat_table *ct = NULL;
  rec_view old;
  rc = cat_refresh(db);
  if (rc == REMDB_OK) rc = ent_read(db, NULL, NULL, &u, &ct, &val, &old);
  if (rc == REMDB_OK && rec_is_deleted(&old))
    rc = err_set(&db->err, REMDB_NOTFOUND, "entity %s is deleted", id);
  if (rc) goto done;
  const sch_table *t = ct->s;
  if ((rc = check_patch(db, t, pj, id))) goto done;
  if ((rc = ent_to_json(db, ct, &u, &old, &js))) goto done;
  cur = json_loadb(js.p, js.len, 0, NULL);
  merged = cur ? merge_patch(cur, pj) : NULL;
  if (merged == NULL) {
    rc = err_nomem(&db->err);
    goto done;
  }
  if ((rc = sch_validate(t, merged, &db->lim, &db->err))) goto done;
  char created[TS_LEN + 1], now[TS_LEN + 1];
  snprintf(created, sizeof created, "%s",
           json_string_value(json_object_get(cur, "created_at")));
  ts_format(ts_now(), now);
  buf_reset(&db->vbuf);
  rc = rec_from_json(&t->dict, merged, created, now, NULL, &db->vbuf,
                     &db->err);
  if (rc) goto done;
  kb = kv_batch_new(db->st->kv);
  rc = kb ? stage_record(db, kb, t, &u, &old, db->vbuf.p, db->vbuf.len)
          : err_nomem(&db->err);
  if (rc == REMDB_OK) rc = kv_write(db->st->kv, kb, -1, &db->err);
done:
  core_unlock(db);
  kv_batch_free(kb);
  kv_val_free(&val);
  json_decref(pj);
  json_decref(cur);
  json_decref(merged);
  buf_free(&js);
  return rc;
}

/* The record of old with modified_at and deleted_at replaced. */
static int mark_deleted(remdb *db, const rec_view *old, const char *now,
                        buf_t *out) {
  rec_builder b;
  rec_builder_init(&b);
  bool ok = true;
  for (uint32_t i = 0; i < old->n && ok; i++) {
    rec_field f;
    rec_at(old, i, &f);
    if (f.id == REC_F_MODIFIED || f.id == REC_F_DELETED) continue;
    ok = rec_add(&b, f.id, f.type, f.p, f.n);
  }
  ok = ok && rec_add(&b, REC_F_MODIFIED, REC_TEXT, now, TS_LEN) &&
       rec_add(&b, REC_F_DELETED, REC_TEXT, now, TS_LEN);
  int rc = ok ? rec_build(&b, out, &db->err) : err_nomem(&db->err);
  rec_builder_free(&b);
  return rc;
}

int remdb_delete(remdb *db, const char *id, int flags) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  uuid16_t u;
  int rc = writable(db);
  if (rc || (rc = parse_id(db, id, &u))) return rc;
  if (flags & ~(REMDB_HARD))
    return err_set(&db->err, REMDB_MISUSE, "delete: unknown flags 0x%x",
                   flags);
  if ((rc = core_lock(db))) return rc;
  cat_table *ct = NULL;
  rec_view old;
  kv_val val = {0};
  kv_batch_t *kb = NULL;
  rc = cat_refresh(db);
  if (rc == REMDB_OK) rc = ent_read(db, NULL, NULL, &u, &ct, &val, &old);
  if (rc == REMDB_OK && !(flags & REMDB_HARD) && rec_is_deleted(&old))
    rc = err_set(&db->err, REMDB_NOTFOUND, "entity %s is already deleted",
                 id);
  if (rc) goto done;
  kb = kv_batch_new(db->st->kv);
  if (kb == NULL) {
    rc = err_nomem(&db->err);
    goto done;
  }
  if (flags & REMDB_HARD) {
    rc = stage_remove(db, kb, ct->s, &u, &old);
  } else {
    char now[TS_LEN + 1];
    ts_format(ts_now(), now);
    buf_reset(&db->vbuf);
    rc = mark_deleted(db, &old, now, &db->vbuf);
    if (rc == REMDB_OK)
      rc = stage_record(db, kb, ct->s, &u, &old, db->vbuf.p, db->vbuf.len);
  }
  if (rc == REMDB_OK) rc = kv_write(db->st->kv, kb, -1, &db->err);
done:
  core_unlock(db);
  kv_batch_free(kb);
  kv_val_free(&val);
  return rc;
}

/* ---- rebuild ------------------------------------------------------------ */

/* Re-encode one record under t's schema into out.  Validation failures
** are reported (they mean the stored data broke the schema). */
static int reencode(remdb *db, const cat_table *t, const uuid16_t *id,
                    const rec_view *rv, buf_t *js, buf_t *out) {
  buf_reset(js);
  int rc = ent_to_json(db, t, id, rv, js);
  if (rc) return rc;
  json_t *obj = json_loadb(js->p, js->len, 0, NULL);
  if (obj == NULL) return err_set(&db->err, REMDB_CORRUPT, "entity unreadable");
  rc = sch_validate(t->s, obj, &db->lim, &db->err);
  rec_field c, m, d;
  bool hc = rec_find(rv, REC_F_CREATED, &c), hm = rec_find(rv, REC_F_MODIFIED, &m);
  bool hd = rec_find(rv, REC_F_DELETED, &d) && d.type == REC_TEXT;
  char cs[TS_LEN + 1] = "", ms[TS_LEN + 1] = "", ds[TS_LEN + 1] = "";
  if (hc) snprintf(cs, sizeof cs, "%.*s", (int)c.n, c.p);
  if (hm) snprintf(ms, sizeof ms, "%.*s", (int)m.n, m.p);
  if (hd) snprintf(ds, sizeof ds, "%.*s", (int)d.n, d.p);
  buf_reset(out);
  if (rc == REMDB_OK)
    rc = rec_from_json(&t->s->dict, obj, cs, ms, hd ? ds : NULL, out,
                       &db->err);
  json_decref(obj);
  return rc;
}

int ent_rebuild(remdb *db, const cat_table *ct, bool reenc,
                const uint16_t *fields, uint32_t nfields) {
  const sch_table *t = ct->s;
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  kv_snap_t *snap = kv_snap_new(db->st->kv);
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  kv_iter_t *it = NULL;
  buf_t js, nrec;
  buf_init(&js);
  buf_init(&nrec);
  int rc = snap && kb ? kv_iter_new(db->st->kv, snap, KV_ENTITY, lo, sizeof lo,
                                    hi, sizeof hi, &it, &db->err)
                      : err_nomem(&db->err);
  if (rc == REMDB_OK) kv_iter_first(it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    uuid16_t id;
    rec_view rv;
    if (kl != KEY_ENTITY_LEN) continue;
    memcpy(id.b, k + 8, 16);
    if ((rc = rec_open(&rv, v, vl, &db->err))) break;
    if (reenc) {
      rc = reencode(db, ct, &id, &rv, &js, &nrec);
      if (rc == REMDB_OK && (nrec.len != vl || memcmp(nrec.p, v, vl) != 0))
        rc = stage_record(db, kb, t, &id, &rv, nrec.p, nrec.len);
      if (rc) {
        char ids[REMDB_ID_LEN + 1];
        uuid_format(&id, ids);
        err_prefix(&db->err, "rebuilding %s, entity %s", t->name, ids);
        break;
      }
    }
    /* (re)write the listed index entries and the id-directory entry */
    unsigned char dk[KEY_IDDIR_LEN], tv[4];
    key_iddir(dk, db->tid, id.b);
    put_u32be(tv, t->table_id);
    kv_batch_put(kb, KV_INDEX, dk, sizeof dk, tv, 4);
    rec_view cur = rv;
    if (reenc && nrec.len && (rc = rec_open(&cur, nrec.p, nrec.len, &db->err)))
      break;
    for (uint32_t i = 0; i < nfields; i++) {
      buf_reset(&db->kbuf);
      idx_key(&db->kbuf, db->tid, t->table_id, fields[i], &cur, id.b);
      if (db->kbuf.oom) {
        rc = err_nomem(&db->err);
        break;
      }
      kv_batch_put(kb, KV_INDEX, db->kbuf.p, db->kbuf.len, "", 0);
    }
    if (rc == REMDB_OK && kv_batch_count(kb) >= REBUILD_BATCH) {
      rc = kv_write(db->st->kv, kb, 0, &db->err);
      kv_batch_clear(kb);
    }
  }
  if (rc == REMDB_OK && it) rc = kv_iter_status(it, &db->err);
  if (rc == REMDB_OK) rc = kv_write(db->st->kv, kb, 1, &db->err);
  kv_iter_free(it);
  kv_batch_free(kb);
  if (snap) kv_snap_free(db->st->kv, snap);
  buf_free(&js);
  buf_free(&nrec);
  return rc;
}

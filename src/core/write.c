/*
** write.c: the entity operations (insert, update, delete) on a write
** transaction (wtx.c), and the public API calls built on them: single
** writes, batches, validation.  Each public call either commits all its
** effects in one write batch or writes nothing.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What a uri + chunk_ordinal id is the hash of. */
static void uri_id_input(remdb *db, const sch_table *t, const char *uri,
                         size_t n, int64_t ordinal, buf_t *h) {
  buf_adds(h, db->tenant);
  buf_addc(h, 0);
  buf_adds(h, t->name);
  buf_addc(h, 0);
  buf_add(h, uri, n);
  buf_addf(h, "%c%lld", 0, (long long)ordinal);
}

int ent_uri_id(remdb *db, const sch_table *t, const char *uri,
               int64_t ordinal, uuid16_t *id) {
  buf_t h;
  buf_init(&h);
  uri_id_input(db, t, uri, strlen(uri), ordinal, &h);
  int rc = h.oom ? err_nomem(&db->err) : REMDB_OK;
  if (rc == REMDB_OK) uuid_from_hash(id, h.p, h.len);
  buf_free(&h);
  return rc;
}

/* What a key_field id is the hash of. */
static void key_id_input(remdb *db, const sch_table *t, const json_t *kv,
                         buf_t *h) {
  buf_adds(h, db->tenant);
  buf_addc(h, 0);
  buf_adds(h, t->name);
  buf_addc(h, 0);
  if (json_is_string(kv)) {
    buf_addc(h, 's');
    buf_add(h, json_string_value(kv), json_string_length(kv));
  } else if (json_is_real(kv) &&
             json_real_value(kv) == nearbyint(json_real_value(kv)) &&
             fabs(json_real_value(kv)) < 9.2e18) {
    /* 1.0 and 1 are the same key: hash integral numbers as integers */
    buf_addf(h, "n%lld", (long long)json_real_value(kv));
  } else {
    char *num = json_dumps(kv, JSON_ENCODE_ANY | JSON_COMPACT);
    buf_addc(h, 'n');
    if (num) buf_adds(h, num);
    else h->oom = true;
    free(num);
  }
}

int ent_key_id(remdb *db, const sch_table *t, const json_t *kv,
               uuid16_t *id) {
  buf_t h;
  buf_init(&h);
  key_id_input(db, t, kv, &h);
  int rc = h.oom ? err_nomem(&db->err) : REMDB_OK;
  if (rc == REMDB_OK) uuid_from_hash(id, h.p, h.len);
  buf_free(&h);
  return rc;
}

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
    key_id_input(db, t, kv, &h);
  } else if (t->id_from_uri && json_is_string(json_object_get(obj, "uri"))) {
    json_t *uri = json_object_get(obj, "uri");
    json_t *ord = json_object_get(obj, "chunk_ordinal");
    derive = true;
    uri_id_input(db, t, json_string_value(uri), json_string_length(uri),
                 json_is_integer(ord) ? json_integer_value(ord) : 0, &h);
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

/* An embedding made before the write lock was taken, and the settings it
** was made with (the schema may change before the lock is ours). */
typedef struct pre_embed {
  float *vec;
  bool has;
  json_t *emb, *fields; /* the table's embedding block and fields */
} pre_embed;

static void pre_free(pre_embed *p) {
  free(p->vec);
  json_decref(p->emb);
  json_decref(p->fields);
}

/* The http provider is a network call: when the transaction does not hold
** the write lock yet (a single insert, a batch's first row), make it first,
** so other writers are not held up by the endpoint.  Only a text embedding
** is made here; anything else (and every error but the provider's) is left
** to the locked pass, which reports it as usual. */
static int embed_unlocked(wtx_t *w, const char *table, const char *json,
                          size_t len, pre_embed *pre) {
  remdb *db = wtx_db(w);
  cat_table *ct;
  if (wtx_locked(w) || cat_find(db, table, &ct) != REMDB_OK ||
      ct->s->embedding.provider != SCH_PROVIDER_HTTP) {
    err_clear(&db->err);
    return REMDB_OK;
  }
  const sch_table *t = ct->s;
  json_t *obj = json_loadb(json, len, 0, NULL);
  int rc = REMDB_OK;
  json_t *e = json_object_get(obj, "embedding");
  if (json_is_object(obj) && (e == NULL || json_is_null(e))) {
    pre->vec = malloc((size_t)t->embedding.dim * sizeof *pre->vec);
    rc = pre->vec ? vec_for_entity(db, t, obj, pre->vec, &pre->has)
                  : err_nomem(&db->err);
    pre->emb = json_incref(json_object_get(t->doc, "embedding"));
    pre->fields = json_incref(json_object_get(t->doc, "embedding_fields"));
  }
  json_decref(obj);
  return rc;
}

/* ---- the journal of a large batch --------------------------------------
** A batch begun with REMDB_BATCH_JOURNAL may commit in parts
** (remdb_batch_flush) and still be all or nothing.  Each insert stages, in
** the same write batch as the entity, a journal entry (kv.h: TID 'J' TOKEN
** ID) saying what the entity was before the batch: absent, or its record
** and vector.  Only the first change of an entity in the batch is
** journaled (later ones would record the batch's own version).  The last
** commit deletes the batch's journal in its own write batch; a batch that
** is freed before it, or whose process dies, is rolled back from the
** journal: by remdb_batch_free, or by the next read-write open. */

static int journal_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
                         const rec_view *old, bool may_exist) {
  remdb *db = wtx_db(w);
  const unsigned char *tok = wtx_journal(w);
  if (wtx_staged(w, id)) return REMDB_OK; /* journaled in this part */
  unsigned char jk[KEY_JOURNAL_LEN];
  key_journal(jk, db->tid, tok, id->b);
  kv_val v;
  int rc;
  if (old || may_exist) { /* an earlier part may have journaled it */
    rc = kv_get(db->st->kv, NULL, KV_META, jk, sizeof jk, &v, &db->err);
    if (rc == REMDB_OK) {
      kv_val_free(&v);
      return REMDB_OK;
    }
    if (rc != REMDB_NOTFOUND) return rc;
  }
  buf_t b;
  buf_init(&b);
  buf_add_u32be(&b, t->table_id);
  buf_addc(&b, old ? 1 : 0);
  rc = REMDB_OK;
  if (old) {
    buf_add_u32be(&b, (uint32_t)old->len);
    buf_add(&b, old->data, old->len);
    if (t->embedding.dim) {
      unsigned char vk[KEY_ENTITY_LEN];
      key_entity(vk, db->tid, t->table_id, id->b);
      rc = kv_get(db->st->kv, NULL, KV_VECTOR, vk, sizeof vk, &v, &db->err);
      if (rc == REMDB_OK) {
        buf_add(&b, v.data, v.len);
        kv_val_free(&v);
      } else if (rc == REMDB_NOTFOUND) {
        rc = REMDB_OK;
      }
    }
  }
  if (rc == REMDB_OK && b.oom) rc = err_nomem(&db->err);
  if (rc == REMDB_OK)
    kv_batch_put(wtx_batch(w), KV_META, jk, sizeof jk, b.p, b.len);
  buf_free(&b);
  return rc;
}

/* Undo one journal entry (key jk, value v) in w. */
static int journal_undo(wtx_t *w, const unsigned char *jk, const char *val,
                        size_t vl) {
  remdb *db = wtx_db(w);
  const unsigned char *u = (const unsigned char *)val;
  kv_batch_del(wtx_batch(w), KV_META, jk, KEY_JOURNAL_LEN);
  if (vl < 5 || (u[4] == 1 && vl < 9)) return REMDB_OK; /* malformed: drop */
  cat_table *ct = cat_by_id(db, get_u32be(u));
  if (ct == NULL) return REMDB_OK; /* its table is gone */
  const sch_table *t = ct->s;
  uuid16_t id;
  memcpy(id.b, jk + KEY_JOURNAL_PREFIX, 16);
  kv_val cv = {0};
  rec_view cur;
  int rc = wtx_read(w, ct, &id, NULL, &cv, &cur);
  bool have = rc == REMDB_OK;
  if (rc == REMDB_NOTFOUND) {
    rc = REMDB_OK;
    err_clear(&db->err);
  }
  if (rc == REMDB_OK && u[4] == 0) {
    if (have) rc = wtx_remove(w, t, &id, &cur);
  } else if (rc == REMDB_OK) {
    size_t rl = get_u32be(u + 5);
    if (9 + rl > vl) {
      kv_val_free(&cv);
      return REMDB_OK; /* malformed: drop */
    }
    rec_view ov;
    rc = rec_open(&ov, val + 9, rl, &db->err);
    size_t vb = vl - 9 - rl, want = (size_t)t->embedding.dim * sizeof(float);
    float *vec = NULL;
    if (rc == REMDB_OK && want && vb == want) {
      vec = malloc(want);
      if (vec == NULL) rc = err_nomem(&db->err);
      else memcpy(vec, val + 9 + rl, want);
    }
    if (rc == REMDB_OK)
      rc = wtx_put(w, t, &id, have ? &cur : NULL, val + 9, rl, true);
    if (rc == REMDB_OK && t->embedding.dim)
      rc = vec_stage(w, t, &id, vec, !rec_is_deleted(&ov));
    free(vec);
  }
  kv_val_free(&cv);
  return rc;
}

static bool token_live(store_t *st, const unsigned char *tok) {
  pthread_mutex_lock(&st->reflock);
  bool live = false;
  for (size_t i = 0; i < st->njlive && !live; i++)
    live = memcmp(st->jlive[i], tok, 8) == 0;
  pthread_mutex_unlock(&st->reflock);
  return live;
}

#define ROLLBACK_PART 512

int journal_rollback(remdb *db, const unsigned char *tok) {
  assert(core_locked(db));
  unsigned char lo[KEY_JOURNAL_PREFIX], hi[KEY_JOURNAL_PREFIX];
  size_t n = tok ? KEY_JOURNAL_PREFIX : 5;
  key_journal_prefix(lo, db->tid,
                     tok ? tok : (const unsigned char *)"\0\0\0\0\0\0\0");
  size_t hil = kv_prefix_end(lo, n, hi);
  int rc = cat_refresh(db);
  if (rc) return rc;
  wtx_t *w;
  rc = wtx_begin_held(db, &w);
  if (rc) return rc;
  kv_iter_t *it;
  rc = kv_iter_new(db->st->kv, NULL, KV_META, lo, n, hi, hil, &it, &db->err);
  if (rc) {
    wtx_free(w);
    return rc;
  }
  size_t done = 0;
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl != KEY_JOURNAL_LEN) {
      kv_batch_del(wtx_batch(w), KV_META, k, kl);
      continue;
    }
    if (tok == NULL && token_live(db->st, k + 5)) continue;
    rc = journal_undo(w, k, v, vl);
    if (rc == REMDB_OK && ++done % ROLLBACK_PART == 0)
      rc = wtx_commit(w, 0);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc == REMDB_OK) rc = wtx_commit(w, 1);
  wtx_free(w);
  return rc;
}

bool journal_pending(remdb *db) {
  if (db->tid == 0) return false;
  unsigned char lo[5], hi[5];
  put_u32be(lo, db->tid);
  lo[4] = 'J';
  size_t hil = kv_prefix_end(lo, 5, hi);
  kv_iter_t *it;
  err_t e;
  if (kv_iter_new(db->st->kv, NULL, KV_META, lo, 5, hi, hil, &it, &e))
    return false;
  bool found = false;
  for (kv_iter_first(it); kv_iter_valid(it) && !found; kv_iter_next(it)) {
    size_t kl;
    const char *k = kv_iter_key(it, &kl);
    found = kl < KEY_JOURNAL_PREFIX ||
            !token_live(db->st, (const unsigned char *)k + 5);
  }
  kv_iter_free(it);
  return found;
}

/* Validate and stage one entity. */
int ent_insert(wtx_t *w, const char *table, const char *json, size_t len,
               char id_out[REMDB_ID_LEN + 1]) {
  return ent_insert_ex(w, table, json, len, 0, id_out);
}

int ent_insert_ex(wtx_t *w, const char *table, const char *json, size_t len,
                  int flags, char id_out[REMDB_ID_LEN + 1]) {
  remdb *db = wtx_db(w);
  cat_table *ct;
  json_t *obj = NULL;
  kv_val old_val = {0};
  float *vec = NULL;
  bool has_vec = false;
  pre_embed pre = {0};
  int rc = embed_unlocked(w, table, json, len, &pre);
  if (rc) { /* the provider failed: nothing is staged */
    pre_free(&pre);
    return rc;
  }
  rc = wtx_lock(w);
  if (rc == REMDB_OK) rc = cat_find(db, table, &ct);
  if (rc) {
    pre_free(&pre);
    return rc;
  }
  const sch_table *t = ct->s;
  rc = core_parse_json(db, t->name, json, len, &obj);
  if (rc) {
    pre_free(&pre);
    return rc;
  }
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
  if (t->embedding.dim) { /* the vector, before "embedding" leaves obj */
    vec = malloc((size_t)t->embedding.dim * sizeof *vec);
    if (vec == NULL) {
      rc = err_nomem(&db->err);
      goto done;
    }
    json_t *e = json_object_get(obj, "embedding");
    if (pre.vec && (e == NULL || json_is_null(e)) &&
        json_equal(pre.emb, json_object_get(t->doc, "embedding")) &&
        json_equal(pre.fields, json_object_get(t->doc, "embedding_fields"))) {
      /* made before the lock, with the same settings */
      json_object_del(obj, "embedding");
      memcpy(vec, pre.vec, (size_t)t->embedding.dim * sizeof *vec);
      has_vec = pre.has;
    } else if ((rc = vec_for_entity(db, t, obj, vec, &has_vec))) {
      goto done;
    }
  }
  if ((rc = sch_validate(t, obj, &db->lim, &db->err))) goto done;
  if ((rc = entity_id(db, t, obj, &id, &may_exist, &explicit_id))) goto done;
  rec_view oldv, *old = NULL;
  if (may_exist) {
    cat_table *owner = NULL;
    rc = wtx_read(w, explicit_id ? NULL : ct, &id, &owner, &old_val, &oldv);
    if (rc == REMDB_NOTFOUND) {
      rc = REMDB_OK;
      err_clear(&db->err);
    } else if (rc) {
      goto done;
    } else if (owner->s->table_id != t->table_id) {
      char ids[REMDB_ID_LEN + 1];
      uuid_format(&id, ids);
      rc = err_set(&db->err, REMDB_EXISTS, "%s.id: %s already belongs to %s",
                   t->name, ids, owner->s->name);
      goto done;
    } else if ((flags & ENT_NEW) && !rec_is_deleted(&oldv)) {
      char ids[REMDB_ID_LEN + 1];
      uuid_format(&id, ids);
      rc = err_set(&db->err, REMDB_EXISTS,
                   "%s: entity %s exists already (its id %s%s; plain "
                   "INSERT or INSERT OR REPLACE replaces it)", t->name,
                   ids,
                   explicit_id  ? "was given"
                   : t->key_field ? "derives from key_field "
                                  : "derives from uri and chunk_ordinal",
                   explicit_id || !t->key_field ? "" : t->key_field);
      goto done;
    } else {
      old = &oldv;
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
  /* (a journal entry left by a failure below is harmless: it records the
  ** entity as it is) */
  if (rc == REMDB_OK && wtx_journal(w))
    rc = journal_stage(w, t, &id, old, may_exist);
  if (rc == REMDB_OK)
    rc = wtx_put(w, t, &id, old, db->vbuf.p, db->vbuf.len, may_exist);
  /* the vector rides in the same batch (an upsert without one drops the
  ** old one: the entity was replaced) */
  if (rc == REMDB_OK && t->embedding.dim && (has_vec || old))
    rc = vec_stage(w, t, &id, has_vec ? vec : NULL, true);
  if (rc == REMDB_OK && id_out) uuid_format(&id, id_out);
done:
  pre_free(&pre);
  free(vec);
  kv_val_free(&old_val);
  json_decref(obj);
  return rc;
}

/* RFC 7386: null removes a member, objects merge, anything else replaces.
** With shallow, only the top level merges: a member's value replaces the
** target's whole (ENT_SET).  Returns the merged value (a new reference) or
** NULL on out of memory. */
static json_t *merge_patch(json_t *target, json_t *patch, bool shallow) {
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
    json_t *m = shallow ? json_deep_copy(v)
                        : merge_patch(json_object_get(out, k), v, false);
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

/* An entity whose id derives from its key (key_field, or uri and
** chunk_ordinal) keeps that key: changing it would leave the id naming the
** old key, and a later insert of the new key would make a second entity. */
static bool same_value(json_t *a, json_t *b) {
  if (a == NULL || b == NULL) return a == b;
  if (json_is_number(a) && json_is_number(b))
    return json_number_value(a) == json_number_value(b);
  return json_equal(a, b);
}

static int check_key_kept(remdb *db, const sch_table *t, json_t *cur,
                          json_t *merged) {
  const char *keys[2] = {t->key_field, NULL};
  if (t->key_field == NULL && t->id_from_uri) {
    keys[0] = "uri";
    keys[1] = "chunk_ordinal";
  }
  for (int i = 0; i < 2 && keys[i]; i++)
    if (!same_value(json_object_get(cur, keys[i]),
                    json_object_get(merged, keys[i])))
      return err_set(&db->err, REMDB_INVALID,
                     "%s.%s: cannot be changed by update, the id derives "
                     "from it (insert the entity under its new key and "
                     "delete this one)",
                     t->name, keys[i]);
  return REMDB_OK;
}

int ent_update(wtx_t *w, const uuid16_t *id, json_t *patch) {
  return ent_update_ex(w, id, patch, 0);
}

int ent_update_ex(wtx_t *w, const uuid16_t *id, json_t *patch, int flags) {
  remdb *db = wtx_db(w);
  json_t *cur = NULL, *merged = NULL;
  float *vec = NULL;
  kv_val val = {0};
  buf_t js;
  buf_init(&js);
  char ids[REMDB_ID_LEN + 1];
  uuid_format(id, ids);
  if (!json_is_object(patch))
    return err_set(&db->err, REMDB_INVALID,
                   "update: the patch must be a JSON object");
  int rc = wtx_lock(w);
  cat_table *ct = NULL;
  rec_view old;
  if (rc == REMDB_OK) rc = wtx_read(w, NULL, id, &ct, &val, &old);
  if (rc == REMDB_OK && rec_is_deleted(&old))
    rc = err_set(&db->err, REMDB_NOTFOUND, "entity %s is deleted", ids);
  if (rc) goto done;
  const sch_table *t = ct->s;
  if ((rc = check_patch(db, t, patch, ids))) goto done;
  if ((rc = ent_to_json(db, ct, id, &old, &js))) goto done;
  cur = json_loadb(js.p, js.len, 0, NULL);
  merged = cur ? merge_patch(cur, patch, flags & ENT_SET) : NULL;
  if (merged == NULL) {
    rc = err_nomem(&db->err);
    goto done;
  }
  bool has_vec = false;
  if (t->embedding.dim) { /* re-embed (or take the patch's embedding) */
    vec = malloc((size_t)t->embedding.dim * sizeof *vec);
    if (vec == NULL) {
      rc = err_nomem(&db->err);
      goto done;
    }
    if ((rc = vec_for_entity(db, t, merged, vec, &has_vec))) goto done;
  }
  if ((rc = sch_validate(t, merged, &db->lim, &db->err))) goto done;
  if ((rc = check_key_kept(db, t, cur, merged))) goto done;
  char created[TS_LEN + 1], now[TS_LEN + 1];
  snprintf(created, sizeof created, "%s",
           json_string_value(json_object_get(cur, "created_at")));
  ts_format(ts_now(), now);
  buf_reset(&db->vbuf);
  rc = rec_from_json(&t->dict, merged, created, now, NULL, &db->vbuf,
                     &db->err);
  if (rc == REMDB_OK)
    rc = wtx_put(w, t, id, &old, db->vbuf.p, db->vbuf.len, true);
  /* a provider re-embeds the new text; with none, the vector stays unless
  ** the patch gave one */
  if (rc == REMDB_OK && t->embedding.dim &&
      (has_vec || t->embedding.provider != SCH_PROVIDER_NONE))
    rc = vec_stage(w, t, id, has_vec ? vec : NULL, !rec_is_deleted(&old));
done:
  free(vec);
  kv_val_free(&val);
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

int ent_delete(wtx_t *w, const uuid16_t *id, int flags) {
  remdb *db = wtx_db(w);
  char ids[REMDB_ID_LEN + 1];
  uuid_format(id, ids);
  if (flags & ~(REMDB_HARD))
    return err_set(&db->err, REMDB_MISUSE, "delete: unknown flags 0x%x",
                   flags);
  int rc = wtx_lock(w);
  cat_table *ct = NULL;
  rec_view old;
  kv_val val = {0};
  if (rc == REMDB_OK) rc = wtx_read(w, NULL, id, &ct, &val, &old);
  if (rc == REMDB_OK && !(flags & REMDB_HARD) && rec_is_deleted(&old))
    rc = err_set(&db->err, REMDB_NOTFOUND, "entity %s is already deleted",
                 ids);
  if (rc == REMDB_OK && (flags & REMDB_HARD)) {
    rc = wtx_remove(w, ct->s, id, &old);
  } else if (rc == REMDB_OK) {
    char now[TS_LEN + 1];
    ts_format(ts_now(), now);
    buf_reset(&db->vbuf);
    rc = mark_deleted(db, &old, now, &db->vbuf);
    if (rc == REMDB_OK)
      rc = wtx_put(w, ct->s, id, &old, db->vbuf.p, db->vbuf.len, true);
    /* the vector stays (an undelete by upsert brings it back); the node
    ** leaves the index: deleted rows are never found */
    if (rc == REMDB_OK && ct->s->embedding.dim &&
        (rc = vix_stage(w, ct->s, id, NULL)))
      wtx_poison(w); /* the record is staged already */
  }
  kv_val_free(&val);
  return rc;
}

/* ---- the public API ----------------------------------------------------- */

/* Run one operation in its own transaction: all of it commits, or none. */
#define ONE_SHOT(db, call)                                  \
  do {                                                      \
    wtx_t *w_;                                              \
    int rc_ = wtx_begin((db), &w_);                         \
    if (rc_ == REMDB_OK) rc_ = (call);                      \
    if (rc_ == REMDB_OK) rc_ = wtx_commit(w_, -1);          \
    wtx_free(w_);                                           \
    return rc_;                                             \
  } while (0)

static int prep(remdb *db) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  return cat_refresh(db);
}

int remdb_insert(remdb *db, const char *table, const char *json, size_t len,
                 char id_out[REMDB_ID_LEN + 1]) {
  int rc = prep(db);
  if (rc) return rc;
  ONE_SHOT(db, ent_insert(w_, table, json, len, id_out));
}

int remdb_validate(remdb *db, const char *table, const char *json,
                   size_t len) {
  int rc = prep(db);
  if (rc) return rc;
  wtx_t *w;
  rc = wtx_begin(db, &w);
  if (rc == REMDB_OK) rc = ent_insert(w, table, json, len, NULL);
  wtx_free(w); /* staged, never written */
  return rc;
}

int remdb_update(remdb *db, const char *id, const char *patch, size_t len) {
  uuid16_t u;
  json_t *pj = NULL;
  int rc = prep(db);
  if (rc == REMDB_OK) rc = parse_id(db, id, &u);
  if (rc == REMDB_OK) rc = core_parse_json(db, "patch", patch, len, &pj);
  if (rc == REMDB_OK) {
    wtx_t *w;
    rc = wtx_begin(db, &w);
    if (rc == REMDB_OK) rc = ent_update(w, &u, pj);
    if (rc == REMDB_OK) rc = wtx_commit(w, -1);
    wtx_free(w);
  }
  json_decref(pj);
  return rc;
}

int remdb_delete(remdb *db, const char *id, int flags) {
  uuid16_t u;
  int rc = prep(db);
  if (rc == REMDB_OK) rc = core_flags(db, "delete", flags, REMDB_HARD);
  if (rc == REMDB_OK) rc = parse_id(db, id, &u);
  if (rc) return rc;
  ONE_SHOT(db, ent_delete(w_, &u, flags));
}

struct remdb_batch {
  remdb *db;
  wtx_t *w;
  bool journaled;         /* begun with REMDB_BATCH_JOURNAL */
  bool flushed;           /* a part is in storage, the last commit is not */
  unsigned char tok[8];   /* its journal's token */
};

static void token_register(store_t *st, const unsigned char *tok, bool add) {
  pthread_mutex_lock(&st->reflock);
  if (add) {
    unsigned char(*n)[8] = realloc(st->jlive, (st->njlive + 1) * sizeof *n);
    if (n) { /* out of memory: an open's recovery could roll it back */
      st->jlive = n;
      memcpy(st->jlive[st->njlive++], tok, 8);
    }
  } else {
    for (size_t i = 0; i < st->njlive; i++)
      if (memcmp(st->jlive[i], tok, 8) == 0) {
        memmove(st->jlive[i], st->jlive[i + 1],
                (st->njlive - i - 1) * sizeof *st->jlive);
        st->njlive--;
        break;
      }
  }
  pthread_mutex_unlock(&st->reflock);
}

int remdb_batch_begin_ex(remdb *db, int flags, remdb_batch **out) {
  if (out == NULL) return REMDB_MISUSE;
  *out = NULL;
  int rc = prep(db);
  if (rc) return rc;
  if ((rc = core_flags(db, "batch", flags, REMDB_BATCH_JOURNAL))) return rc;
  remdb_batch *b = calloc(1, sizeof *b);
  if (b == NULL) return err_nomem(&db->err);
  b->db = db;
  rc = wtx_begin(db, &b->w);
  if (rc) {
    free(b);
    return rc;
  }
  if (flags & REMDB_BATCH_JOURNAL) {
    uuid16_t r;
    if (!uuid_random(&r)) {
      wtx_free(b->w);
      free(b);
      return err_set(&db->err, REMDB_ERROR, "no randomness for a batch");
    }
    memcpy(b->tok, r.b + 8, 8);
    b->journaled = true;
    token_register(db->st, b->tok, true);
    wtx_set_journal(b->w, b->tok);
  }
  *out = b;
  return REMDB_OK;
}

int remdb_batch_begin(remdb *db, remdb_batch **out) {
  return remdb_batch_begin_ex(db, 0, out);
}

int remdb_batch_insert(remdb_batch *b, const char *table, const char *json,
                       size_t len, char id_out[REMDB_ID_LEN + 1]) {
  if (b == NULL) return REMDB_MISUSE;
  err_clear(&b->db->err);
  return ent_insert(b->w, table, json, len, id_out);
}

int batch_op(remdb_batch *b, const char *op, wtx_t **w) {
  *w = NULL;
  if (b == NULL) return REMDB_MISUSE;
  err_clear(&b->db->err);
  if (b->journaled)
    return err_set(&b->db->err, REMDB_MISUSE,
                   "batch %s: a journaled batch (REMDB_BATCH_JOURNAL) takes "
                   "inserts only: its journal undoes inserts",
                   op);
  *w = b->w;
  return REMDB_OK;
}

int remdb_batch_update(remdb_batch *b, const char *id, const char *patch,
                       size_t len) {
  wtx_t *w;
  int rc = batch_op(b, "update", &w);
  if (rc) return rc;
  remdb *db = b->db;
  uuid16_t u;
  json_t *pj = NULL;
  rc = parse_id(db, id, &u);
  if (rc == REMDB_OK) rc = core_parse_json(db, "patch", patch, len, &pj);
  if (rc == REMDB_OK) rc = ent_update(w, &u, pj);
  json_decref(pj);
  return rc;
}

int remdb_batch_delete(remdb_batch *b, const char *id, int flags) {
  wtx_t *w;
  int rc = batch_op(b, "delete", &w);
  if (rc) return rc;
  uuid16_t u;
  rc = core_flags(b->db, "delete", flags, REMDB_HARD);
  if (rc == REMDB_OK) rc = parse_id(b->db, id, &u);
  return rc ? rc : ent_delete(w, &u, flags);
}

size_t remdb_batch_count(const remdb_batch *b) {
  return b ? wtx_count(b->w) : 0;
}

size_t remdb_batch_bytes(const remdb_batch *b) {
  return b ? wtx_bytes(b->w) : 0;
}

int remdb_batch_flush(remdb_batch *b, int sync) {
  if (b == NULL) return REMDB_MISUSE;
  err_clear(&b->db->err);
  if (!b->journaled)
    return err_set(&b->db->err, REMDB_MISUSE,
                   "batch: only a batch begun with REMDB_BATCH_JOURNAL can "
                   "commit in parts");
  if (wtx_count(b->w) == 0) return REMDB_OK;
  int rc = wtx_commit(b->w, sync);
  if (rc == REMDB_OK) b->flushed = true;
  return rc;
}

int remdb_batch_commit(remdb_batch *b, int sync) {
  if (b == NULL) return REMDB_MISUSE;
  remdb *db = b->db;
  err_clear(&db->err);
  if (b->journaled && (b->flushed || wtx_count(b->w) > 0)) {
    /* the journal goes in the same write batch as the last rows */
    int rc = wtx_lock(b->w);
    if (rc) return rc;
    unsigned char lo[KEY_JOURNAL_PREFIX], hi[KEY_JOURNAL_PREFIX];
    key_journal_prefix(lo, db->tid, b->tok);
    size_t hil = kv_prefix_end(lo, sizeof lo, hi);
    kv_batch_del_range(wtx_batch(b->w), KV_META, lo, sizeof lo, hi, hil);
    rc = wtx_commit(b->w, sync);
    if (rc == REMDB_OK) b->flushed = false;
    if (rc == REMDB_OK) wtx_release(b->w); /* held since the first part */
    /* the journal (an entry per row) would stay in the table files under
    ** its range deletion, loaded by every reader's open: compact it away
    ** (bounded by the batch's own size) */
    if (rc == REMDB_OK)
      kv_compact_deleted(db->st->kv, KV_META, lo, sizeof lo, hi, hil);
    return rc;
  }
  int rc = wtx_commit(b->w, sync);
  if (rc == REMDB_OK) wtx_release(b->w);
  return rc;
}

void remdb_batch_free(remdb_batch *b) {
  if (b == NULL) return;
  remdb *db = b->db;
  if (b->flushed) {
    /* parts are in storage: take them back now, still under the lock the
    ** batch has held since its first part, so that no other writer's
    ** change is undone (on failure the journal stays, and the next
    ** read-write open rolls it back) */
    err_t keep = db->err;
    if (wtx_lock(b->w) == REMDB_OK) {
      wtx_drop(b->w);
      journal_rollback(db, b->tok);
    }
    db->err = keep;
  }
  wtx_free(b->w);
  if (b->journaled) token_register(db->st, b->tok, false);
  free(b);
}

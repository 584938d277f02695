/*
** catalog.c: the tenant's tables.  A table is stored in the meta column
** family under TID 'S' NAME as a JSON object:
**
**   {"table_id": N, "fields": {"name": id, ...}, "schema": {...},
**    "rebuild": {"reencode": bool, "fields": [id, ...]}}
**
** "fields" keeps every field id ever assigned (see rec.h).  "rebuild" is
** present only while derived data (index entries, re-encoded records) is
** being rebuilt after a schema change or reindex; it is written in the same
** batch as the change and removed by the batch that finishes the rebuild,
** so a crash in between is completed on the next open (cat_resume).
**
** Each handle caches the compiled tables and reloads them when the store's
** epoch shows that some handle changed the catalog.
*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sched.h>
#include <time.h>

#include "internal.h"

static void table_free(cat_table *t) {
  sch_free(t->s);
  json_decref(t->rebuild);
}

void cat_clear(remdb *db) {
  for (uint32_t i = 0; i < db->ntables; i++) table_free(&db->tables[i]);
  free(db->tables);
  db->tables = NULL;
  db->ntables = 0;
  db->epoch = 0;
}

static int load_one(remdb *db, const char *val, size_t len, cat_table *out) {
  json_error_t je;
  json_t *j = json_loadb(val, len, 0, &je);
  int rc = REMDB_OK;
  json_t *tid = j ? json_object_get(j, "table_id") : NULL;
  json_t *doc = j ? json_object_get(j, "schema") : NULL;
  if (!json_is_integer(tid) || !json_is_object(doc)) {
    rc = err_set(&db->err, REMDB_CORRUPT, "stored schema record is corrupt");
  } else {
    rc = sch_compile(doc, json_object_get(j, "fields"), &out->s, &db->err);
    if (rc == REMDB_OK) {
      out->s->table_id = (uint32_t)json_integer_value(tid);
      out->rebuild = json_incref(json_object_get(j, "rebuild"));
    } else {
      err_prefix(&db->err, "loading stored schema");
    }
  }
  json_decref(j);
  return rc;
}

/* The catalog epoch is a sequence lock: even while the catalog is stable,
** odd while a change commits (cat_commit).  A catalog read, or a data
** snapshot, taken between two loads of the same even value cannot have
** seen part of a change, or a change the cached catalog does not know. */
static uint64_t stable_epoch(remdb *db) {
  for (unsigned spin = 0;; spin++) {
    uint64_t ep = atomic_load(&db->st->epoch);
    if ((ep & 1) == 0) return ep;
    if (spin < 64)
      sched_yield();
    else
      nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
  }
}

static int load_all(remdb *db) {
  unsigned char lo[5], hi[5];
  put_u32be(lo, db->tid);
  lo[4] = 'S';
  memcpy(hi, lo, 5);
  hi[4] = 'S' + 1;
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, NULL, KV_META, lo, 5, hi, 5, &it, &db->err);
  if (rc) return rc;
  uint32_t cap = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    if (db->ntables == cap) {
      cap = cap ? cap * 2 : 8;
      cat_table *nt = realloc(db->tables, cap * sizeof *nt);
      if (nt == NULL) {
        rc = err_nomem(&db->err);
        break;
      }
      db->tables = nt;
    }
    size_t vl;
    const char *v = kv_iter_value(it, &vl);
    cat_table *t = &db->tables[db->ntables];
    memset(t, 0, sizeof *t);
    rc = load_one(db, v, vl, t);
    if (rc) break;
    db->ntables++;
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

int cat_refresh(remdb *db) {
  for (;;) {
    uint64_t ep = stable_epoch(db);
    if (db->epoch == ep) return REMDB_OK;
    cat_clear(db);
    int rc = db->tid ? load_all(db) : REMDB_OK;
    if (rc) {
      cat_clear(db);
      return rc;
    }
    if (atomic_load(&db->st->epoch) == ep) {
      db->epoch = ep;
      return REMDB_OK;
    }
    /* a change began while the catalog was read: read it again */
  }
}

int cat_snapshot(remdb *db, kv_snap_t **out) {
  *out = NULL;
  for (;;) {
    int rc = cat_refresh(db);
    if (rc) return rc;
    kv_snap_t *snap = kv_snap_new(db->st->kv);
    if (snap == NULL) return err_nomem(&db->err);
    if (atomic_load(&db->st->epoch) == db->epoch) {
      *out = snap;
      return REMDB_OK;
    }
    kv_snap_free(db->st->kv, snap);
  }
}

int cat_commit(remdb *db, kv_batch_t *kb) {
  assert(core_locked(db));
  atomic_fetch_add(&db->st->epoch, 1); /* odd: readers wait or retry */
  int rc = kv_write(db->st->kv, kb, 1, &db->err);
  atomic_fetch_add(&db->st->epoch, 1); /* even again, committed or not */
  return rc;
}

int cat_find(remdb *db, const char *name, cat_table **out) {
  *out = NULL;
  int rc = cat_refresh(db);
  return rc ? rc : cat_lookup(db, name, out);
}

int cat_lookup(remdb *db, const char *name, cat_table **out) {
  *out = NULL;
  if (name == NULL) return err_set(&db->err, REMDB_MISUSE, "table is NULL");
  for (uint32_t i = 0; i < db->ntables; i++)
    if (strcmp(db->tables[i].s->name, name) == 0) {
      *out = &db->tables[i];
      return REMDB_OK;
    }
  char shown[104];
  err_printable(shown, sizeof shown, name);
  return err_set(&db->err, REMDB_NOTFOUND, "unknown table \"%s\"", shown);
}

cat_table *cat_by_id(remdb *db, uint32_t table_id) {
  for (uint32_t i = 0; i < db->ntables; i++)
    if (db->tables[i].s->table_id == table_id) return &db->tables[i];
  return NULL;
}

bool cat_index_ready(const cat_table *t, uint16_t f) {
  bool indexed = false;
  for (uint32_t i = 0; i < t->s->n_indexed; i++) indexed |= t->s->indexed[i] == f;
  if (!indexed) return false;
  if (t->rebuild == NULL) return true;
  if (json_is_true(json_object_get(t->rebuild, "reencode"))) return false;
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(t->rebuild, "fields"), i, x)
    if (json_integer_value(x) == f) return false;
  return true;
}

/* Write the stored form of table s (with a rebuild spec, or NULL). */
int cat_put_record(remdb *db, kv_batch_t *kb, const sch_table *s,
                      json_t *rebuild) {
  json_t *rec = json_object();
  json_t *fields = sch_fields_json(s);
  int rc = REMDB_OK;
  if (rec == NULL || fields == NULL ||
      json_object_set_new(rec, "table_id", json_integer(s->table_id)) ||
      json_object_set_new(rec, "fields", fields) ||
      json_object_set(rec, "schema", s->doc) ||
      (rebuild && json_object_set(rec, "rebuild", rebuild))) {
    if (rec == NULL) json_decref(fields);
    json_decref(rec);
    return err_nomem(&db->err);
  }
  char *text = json_dumps(rec, JSON_COMPACT);
  json_decref(rec);
  buf_t k;
  buf_init(&k);
  key_named(&k, db->tid, 'S', s->name);
  if (text == NULL || k.oom) {
    rc = err_nomem(&db->err);
  } else {
    kv_batch_put(kb, KV_META, k.p, k.len, text, strlen(text));
  }
  free(text);
  buf_free(&k);
  return rc;
}

static bool has_field(const uint16_t *a, uint32_t n, uint16_t f) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] == f) return true;
  return false;
}

/* Every stored entity of old must be valid under the new schema. */
static int check_existing(remdb *db, const cat_table *old, sch_table *nw) {
  unsigned char pre[KEY_TABLE_PREFIX], end[KEY_TABLE_PREFIX];
  key_table(pre, db->tid, old->s->table_id);
  key_table(end, db->tid, old->s->table_id + 1);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, NULL, KV_ENTITY, pre, sizeof pre, end,
                       sizeof end, &it, &db->err);
  if (rc) return rc;
  buf_t js;
  buf_init(&js);
  cat_table probe = {.s = nw};
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    rec_view rv;
    uuid16_t id;
    if (kl != KEY_ENTITY_LEN) continue;
    memcpy(id.b, k + 8, 16);
    rc = rec_open(&rv, v, vl, &db->err);
    if (rc) break;
    buf_reset(&js);
    rc = ent_to_json(db, &probe, &id, &rv, &js);
    if (rc) break;
    json_t *obj = json_loadb(js.p, js.len, 0, NULL);
    if (obj == NULL) {
      rc = err_set(&db->err, REMDB_CORRUPT, "entity does not re-parse");
      break;
    }
    /* the key as stored, before the new schema normalises it */
    json_t *key = nw->key_field ? json_object_get(obj, nw->key_field) : NULL;
    key = key && !json_is_null(key) ? json_deep_copy(key) : NULL;
    rc = sch_validate(nw, obj, &db->lim, &db->err);
    if (rc) {
      char ids[REMDB_ID_LEN + 1];
      uuid_format(&id, ids);
      err_prefix(&db->err,
                 "cannot replace schema %s: stored entity %s breaks it",
                 nw->name, ids);
    } else if (key) {
      /* a key the new schema stores otherwise (a date-time made canonical)
      ** would no longer give the id it gave: its row could not be found by
      ** its key, and inserting the key again would make a second one */
      json_t *now = json_object_get(obj, nw->key_field);
      uuid16_t was, will;
      if (!json_equal(key, now) &&
          (rc = ent_key_id(db, nw, key, &was)) == REMDB_OK &&
          (rc = ent_key_id(db, nw, now, &will)) == REMDB_OK &&
          memcmp(was.b, id.b, 16) == 0 && memcmp(will.b, id.b, 16) != 0) {
        char ids[REMDB_ID_LEN + 1], *a = json_dumps(key, JSON_ENCODE_ANY),
                                    *b = json_dumps(now, JSON_ENCODE_ANY);
        uuid_format(&id, ids);
        rc = err_set(&db->err, REMDB_INVALID,
                     "cannot replace schema %s: stored entity %s has "
                     "key_field %s = %s, which the new schema stores as %s; "
                     "its id derives from the key, so the key cannot "
                     "change form while the table holds rows (to migrate: "
                     "export the table, strip the ids (jq -c 'del(.id)'), "
                     "drop it, add the new schema and import the rows)",
                     nw->name, ids, nw->key_field, a ? a : "?",
                     b ? b : "?");
        free(a);
        free(b);
      }
    }
    json_decref(key);
    json_decref(obj);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  buf_free(&js);
  return rc;
}

static bool same_member(json_t *a, json_t *b, const char *k) {
  json_t *x = json_object_get(a, k), *y = json_object_get(b, k);
  if (x == NULL || y == NULL) return x == y;
  return json_equal(x, y);
}

/* Whether table tbl stores any entity (soft-deleted ones count). */
static int table_has_rows(remdb *db, uint32_t tbl, bool *out) {
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, tbl);
  key_table(hi, db->tid, tbl + 1);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, NULL, KV_ENTITY, lo, sizeof lo, hi,
                       sizeof hi, &it, &db->err);
  if (rc) return rc;
  kv_iter_first(it);
  *out = kv_iter_valid(it);
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

/* The rule an id derives by, for messages: key_field, else uri and
** chunk_ordinal, else none (random ids). */
static void id_rule(const sch_table *t, char *out, size_t n) {
  if (t->key_field)
    snprintf(out, n, "key_field \"%s\"", t->key_field);
  else
    snprintf(out, n, "%s", t->id_from_uri ? "uri and chunk_ordinal"
                                          : "none (random ids)");
}

/* Replace existing table old with nw (compiled with old's field ids). */
static int replace_table(remdb *db, cat_table *old, sch_table *nw) {
  const sch_embedding *oe = &old->s->embedding, *ne = &nw->embedding;
  /* ids and key-index entries derive from the key: with rows stored, a
  ** new rule would leave every id naming the old key (a re-insert would
  ** make a second entity), so the change is refused until the table is
  ** empty */
  char ok[96], nk[96];
  id_rule(old->s, ok, sizeof ok);
  id_rule(nw, nk, sizeof nk);
  if (strcmp(ok, nk) != 0) {
    bool rows = false;
    int rc = table_has_rows(db, old->s->table_id, &rows);
    if (rc) return rc;
    if (rows)
      return err_set(&db->err, REMDB_INVALID,
                     "%s.key_field: ids derive from %s; it cannot change to "
                     "%s while the table holds rows (their ids and lookup "
                     "keys derive from it). To migrate: export the table, "
                     "strip the ids (jq -c 'del(.id)'), drop it, add the new "
                     "schema and import the rows",
                     nw->name, ok, nk);
  }
  if (oe->dim && (ne->dim != oe->dim || ne->metric != oe->metric))
    return err_set(&db->err, REMDB_INVALID,
                   "%s.embedding: dim and metric cannot change (the stored "
                   "vectors have %d dimensions, %s); create a new table and "
                   "copy the rows to re-embed them",
                   nw->name, oe->dim, sch_metric_name(oe->metric));
  bool regraph = oe->dim && (ne->M != oe->M ||
                             ne->ef_construction != oe->ef_construction);
  int rc = check_existing(db, old, nw);
  if (rc) return rc;
  nw->table_id = old->s->table_id;
  bool reencode = !same_member(old->s->doc, nw->doc, "properties") ||
                  !same_member(old->s->doc, nw->doc, "additionalProperties");
  json_t *spec = json_object();
  json_t *fl = json_array();
  if (spec == NULL || fl == NULL ||
      json_object_set_new(spec, "reencode", json_boolean(reencode)) ||
      json_object_set(spec, "fields", fl)) {
    json_decref(spec);
    json_decref(fl);
    return err_nomem(&db->err);
  }
  uint16_t *build = calloc(nw->n_indexed + 1, sizeof *build);
  uint32_t nbuild = 0;
  if (build == NULL) rc = err_nomem(&db->err);
  for (uint32_t i = 0; rc == REMDB_OK && i < nw->n_indexed; i++) {
    uint16_t f = nw->indexed[i];
    if (reencode || !has_field(old->s->indexed, old->s->n_indexed, f)) {
      build[nbuild++] = f;
      if (json_array_append_new(fl, json_integer(f))) rc = err_nomem(&db->err);
    }
  }
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  if (rc == REMDB_OK && kb == NULL) rc = err_nomem(&db->err);
  /* a new full-text configuration: the index is rebuilt */
  const char *osig = old->s->fulltext.signature,
             *nsig = nw->fulltext.signature;
  bool refts = (osig || nsig) && (!osig || !nsig || strcmp(osig, nsig) != 0);
  if (rc == REMDB_OK && refts &&
      json_object_set_new(spec, "fulltext", json_true()))
    rc = err_nomem(&db->err);
  /* new columns are built by the rebuild too */
  bool pending =
      reencode || nbuild > 0 || refts || !sch_same_columns(old->s, nw);
  if (rc == REMDB_OK) rc = cat_put_record(db, kb, nw, pending ? spec : NULL);
  /* entries of fields no longer indexed go, in the same batch */
  for (uint32_t i = 0; rc == REMDB_OK && i < old->s->n_indexed; i++) {
    uint16_t f = old->s->indexed[i];
    if (has_field(nw->indexed, nw->n_indexed, f)) continue;
    unsigned char lo[10], hi[10];
    key_index_field(lo, db->tid, nw->table_id, f);
    key_index_field(hi, db->tid, nw->table_id, (uint16_t)(f + 1));
    kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
  }
  if (rc == REMDB_OK) rc = cat_commit(db, kb);
  if (rc == REMDB_OK) rc = cat_refresh(db);
  if (rc == REMDB_OK && pending) rc = cat_resume(db);
  /* new graph parameters: build the graph again now (until then, and
  ** after a crash before it, the old graph still serves) */
  if (rc == REMDB_OK && regraph) {
    cat_table *ct = cat_by_id(db, nw->table_id);
    if (ct) rc = vix_rebuild(db, ct->s);
    /* the schema change stands; a graph too big to build in memory is
    ** marked incomplete instead (reindex once vector_cache_bytes allows) */
    if (rc == REMDB_TOOBIG) {
      err_clear(&db->err);
      rc = vix_mark_stale(db, nw->table_id);
    }
  }
  kv_batch_free(kb);
  free(build);
  json_decref(spec);
  json_decref(fl);
  return rc;
}

int cat_resume(remdb *db) {
  assert(core_locked(db));
  int rc = cat_refresh(db);
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
    cat_table *t = &db->tables[i];
    if (t->rebuild == NULL) continue;
    json_t *fl = json_object_get(t->rebuild, "fields");
    bool reencode = json_is_true(json_object_get(t->rebuild, "reencode"));
    size_t n = json_array_size(fl);
    uint16_t *fields = calloc(n + 1, sizeof *fields);
    if (fields == NULL) return err_nomem(&db->err);
    for (size_t j = 0; j < n; j++)
      fields[j] = (uint16_t)json_integer_value(json_array_get(fl, j));
    rc = ent_rebuild(db, t, reencode, fields, (uint32_t)n);
    free(fields);
    if (rc == REMDB_OK && json_is_true(json_object_get(t->rebuild, "fulltext")))
      rc = fts_rebuild(db, t->s);
    if (rc) break;
    kv_batch_t *kb = kv_batch_new(db->st->kv);
    rc = kb ? cat_put_record(db, kb, t->s, NULL) : err_nomem(&db->err);
    if (rc == REMDB_OK) rc = cat_commit(db, kb);
    kv_batch_free(kb);
    if (rc) break;
    /* the catalog array is rebuilt by the refresh: restart the scan */
    rc = cat_refresh(db);
    i = (uint32_t)-1;
  }
  return rc;
}

static int check_writable(remdb *db) {
  if (kv_read_only(db->st->kv))
    return err_set(&db->err, REMDB_MISUSE, "database is open read-only");
  if (db->tid == 0)
    return err_set(&db->err, REMDB_ERROR, "tenant is not bound");
  return REMDB_OK;
}

static int schema_put_doc(remdb *db, json_t *doc, bool keep_existing) {
  int rc = check_writable(db);
  if (rc) return rc;
  if (!json_is_object(doc))
    return err_set(&db->err, REMDB_INVALID, "schema: must be a JSON object");
  if ((rc = core_lock(db))) return rc;
  cat_table *old = NULL;
  sch_table *nw = NULL;
  kv_batch_t *kb = NULL;
  rc = cat_refresh(db);
  if (rc) goto done;
  const char *name = json_string_value(json_object_get(doc, "name"));
  if (name) {
    rc = cat_find(db, name, &old);
    if (rc == REMDB_NOTFOUND) rc = REMDB_OK, err_clear(&db->err);
    if (rc) goto done;
  }
  json_t *upgraded = NULL;
  if (old && keep_existing) {
    /* a built-in table stored by a build without full-text search: init
    ** adds its "fulltext" block (and builds the index), nothing else */
    json_t *ft = json_object_get(doc, "fulltext");
    if (ft == NULL || json_object_get(old->s->doc, "fulltext") != NULL)
      goto done;
    upgraded = json_deep_copy(old->s->doc);
    if (upgraded == NULL || json_object_set(upgraded, "fulltext", ft)) {
      json_decref(upgraded);
      rc = err_nomem(&db->err);
      goto done;
    }
  }
  if (old) {
    json_t *fields = sch_fields_json(old->s);
    if (fields == NULL) {
      json_decref(upgraded);
      rc = err_nomem(&db->err);
      goto done;
    }
    rc = sch_compile(upgraded ? upgraded : doc, fields, &nw, &db->err);
    json_decref(fields);
    if (rc == REMDB_OK) rc = sch_check_new(nw, false, &db->err);
    if (rc && upgraded) { /* the user's own version: left as it is */
      json_decref(upgraded);
      err_clear(&db->err);
      rc = REMDB_OK;
      goto done;
    }
    json_decref(upgraded);
    if (rc == REMDB_OK) rc = replace_table(db, old, nw);
    goto done;
  }
  rc = sch_compile(doc, NULL, &nw, &db->err);
  if (rc == REMDB_OK) rc = sch_check_new(nw, true, &db->err);
  /* SQL ignores case: a name another table has, but for case, or that is
  ** another table's name + _all, could not be declared beside it */
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
    const char *other = db->tables[i].s->name;
    size_t n = strlen(nw->name);
    if (sch_same_sql_name(other, nw->name) ||
        (strlen(other) == n + 4 && sch_same_sql_name(other + n, "_all") &&
         strncasecmp(other, nw->name, n) == 0))
      rc = err_set(&db->err, REMDB_INVALID,
                   "schema: name \"%s\" clashes with table \"%s\" (SQL "
                   "names ignore case, and every table T is also T_all)",
                   nw->name, other);
  }
  if (rc) goto done;
  kb = kv_batch_new(db->st->kv);
  if (kb == NULL) {
    rc = err_nomem(&db->err);
    goto done;
  }
  rc = core_next_id(db, kb, &nw->table_id);
  if (rc == REMDB_OK) rc = cat_put_record(db, kb, nw, NULL);
  if (rc == REMDB_OK) fts_stage_created(db, kb, nw); /* empty: built */
  if (rc == REMDB_OK) rc = cat_commit(db, kb);
done:
  sch_free(nw);
  kv_batch_free(kb);
  core_unlock(db);
  return rc;
}

int remdb_schema_put(remdb *db, const char *json, size_t len) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  json_t *doc;
  int rc = core_parse_json(db, "schema", json, len, &doc);
  if (rc) return rc;
  rc = schema_put_doc(db, doc, false);
  json_decref(doc);
  return rc;
}

int remdb_init(remdb *db) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  for (int i = 0; i < sch_builtin_count; i++) {
    json_error_t je;
    json_t *doc = json_loads(sch_builtin[i], 0, &je);
    if (doc == NULL)
      return err_set(&db->err, REMDB_ERROR, "built-in schema %d: %s", i,
                     je.text);
    int rc = schema_put_doc(db, doc, true);
    json_decref(doc);
    if (rc) return rc;
  }
  return REMDB_OK;
}

int remdb_schema_get(remdb *db, const char *table, char **json_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  *json_out = NULL;
  cat_table *t;
  int rc = cat_find(db, table, &t);
  if (rc) return rc;
  *json_out = json_dumps(t->s->doc, JSON_INDENT(2));
  return *json_out ? REMDB_OK : err_nomem(&db->err);
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int remdb_schema_list(remdb *db, char **json_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  *json_out = NULL;
  int rc = cat_refresh(db);
  if (rc) return rc;
  const char **names = calloc(db->ntables + 1, sizeof *names);
  if (names == NULL) return err_nomem(&db->err);
  for (uint32_t i = 0; i < db->ntables; i++) names[i] = db->tables[i].s->name;
  qsort(names, db->ntables, sizeof *names, name_cmp);
  buf_t b;
  buf_init(&b);
  buf_addc(&b, '[');
  for (uint32_t i = 0; i < db->ntables; i++) {
    if (i) buf_addc(&b, ',');
    buf_add_json_str(&b, names[i], strlen(names[i]));
  }
  buf_addc(&b, ']');
  free(names);
  *json_out = buf_detach(&b, NULL);
  return *json_out ? REMDB_OK : err_nomem(&db->err);
}

int remdb_schema_drop(remdb *db, const char *table) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  int rc = check_writable(db);
  if (rc || (rc = core_lock(db))) return rc;
  cat_table *t;
  kv_batch_t *kb = NULL;
  kv_iter_t *it = NULL;
  buf_t k;
  buf_init(&k);
  rc = cat_find(db, table, &t);
  if (rc) goto done;
  uint32_t tbl = t->s->table_id;
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, tbl);
  key_table(hi, db->tid, tbl + 1);
  kb = kv_batch_new(db->st->kv);
  if (kb == NULL) {
    rc = err_nomem(&db->err);
    goto done;
  }
  /* the id directory is keyed by id alone: remove each entity's entry */
  rc = kv_iter_new(db->st->kv, NULL, KV_ENTITY, lo, sizeof lo, hi, sizeof hi,
                   &it, &db->err);
  if (rc) goto done;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl;
    const char *key = kv_iter_key(it, &kl);
    if (kl != KEY_ENTITY_LEN) continue;
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, (const unsigned char *)key + 8);
    kv_batch_del(kb, KV_INDEX, dk, sizeof dk);
    uuid16_t id;
    memcpy(id.b, key + 8, 16);
    if ((rc = hook_edges_remove(db, kb, &id))) goto done;
  }
  rc = kv_iter_status(it, &db->err);
  if (rc) goto done;
  if ((rc = lookup_drop_table(db, kb, tbl))) goto done;
  kv_batch_del_range(kb, KV_ENTITY, lo, sizeof lo, hi, sizeof hi);
  kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
  kv_batch_del_range(kb, KV_VECTOR, lo, sizeof lo, hi, sizeof hi);
  col_drop_stage(db, kb, tbl);
  fts_drop_table(db, kb, tbl);
  key_named(&k, db->tid, 'S', t->s->name);
  if (k.oom) {
    rc = err_nomem(&db->err);
    goto done;
  }
  kv_batch_del(kb, KV_META, k.p, k.len);
  unsigned char ck[KEY_COUNTER_LEN];
  key_counter(ck, db->tid, tbl);
  kv_batch_del(kb, KV_META, ck, sizeof ck);
  rc = cat_commit(db, kb);
  cnt_forget(db);
  if (rc == REMDB_OK) vix_forget(db, tbl);
done:
  kv_iter_free(it);
  kv_batch_free(kb);
  buf_free(&k);
  core_unlock(db);
  return rc;
}

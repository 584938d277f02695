/*
** maint.c: maintenance.  verify cross-checks entities, index entries and
** the id directory in both directions; reindex rebuilds derived data;
** stats, backup and compact expose the storage.
*/
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

typedef struct vstate {
  remdb *db;
  uint64_t *rows, *deleted; /* per catalog table, counted by the scan */
  snap_t *sn;
  const kv_snap_t *snap; /* sn's */
  remdb_report_fn fn;
  void *ctx;
  uint64_t problems;
  buf_t k;
} vstate;

static void report(vstate *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report(vstate *s, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  s->problems++;
  if (s->fn) s->fn(s->ctx, msg);
}

/* An iterator over every key of the tenant in column family cf. */
static int tenant_iter(vstate *s, int cf, kv_iter_t **it) {
  unsigned char lo[4], hi[4];
  put_u32be(lo, s->db->tid);
  put_u32be(hi, s->db->tid + 1);
  return kv_iter_new(s->db->st->kv, s->snap, cf, lo, 4, hi, 4, it,
                     &s->db->err);
}

static bool key_exists(vstate *s, int cf, const void *k, size_t kl) {
  kv_val v;
  int rc = kv_get(s->db->st->kv, s->snap, cf, k, kl, &v, &s->db->err);
  if (rc == REMDB_OK) kv_val_free(&v);
  return rc == REMDB_OK;
}

/* Whether entity id of t (record rv) has the id its key derives (key_field,
** or uri and chunk_ordinal) as the write path derives it; an entity without
** a key has a free id.  Else its row cannot be found by its key. */
static bool id_derives(remdb *db, const cat_table *t, const rec_view *rv,
                       const uuid16_t *id) {
  const sch_table *s = t->s;
  rec_field f;
  uuid16_t d;
  if (s->key_field) {
    uint16_t fid = rec_dict_id(&s->dict, s->key_field);
    if (!fid || !rec_find(rv, fid, &f) || f.type == REC_NULL) return true;
    buf_t b;
    buf_init(&b);
    rec_field_json(&f, &b);
    json_t *kv = b.oom ? NULL : json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
    buf_free(&b);
    bool ok = kv == NULL || ent_key_id(db, s, kv, &d) != REMDB_OK ||
              memcmp(d.b, id->b, 16) == 0; /* (out of memory: not told) */
    json_decref(kv);
    err_clear(&db->err);
    return ok;
  }
  if (!s->id_from_uri) return true;
  uint16_t uf = rec_dict_id(&s->dict, "uri"),
           of = rec_dict_id(&s->dict, "chunk_ordinal");
  if (!uf || !rec_find(rv, uf, &f) || f.type != REC_TEXT) return true;
  rec_field o;
  int64_t ord = of && rec_find(rv, of, &o) && o.type == REC_INT ? rec_int(&o)
                                                                 : 0;
  char *uri = strndup(f.p, f.n);
  bool ok = uri == NULL || ent_uri_id(db, s, uri, ord, &d) != REMDB_OK ||
            memcmp(d.b, id->b, 16) == 0;
  free(uri);
  err_clear(&db->err);
  return ok;
}

/* Pass 1: every entity is well-formed, of a known table, and has its id
** directory entry and each of its index entries. */
static int check_entities(vstate *s) {
  remdb *db = s->db;
  kv_iter_t *it;
  int rc = tenant_iter(s, KV_ENTITY, &it);
  if (rc) return rc;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    char ids[REMDB_ID_LEN + 1];
    uuid16_t id;
    if (kl != KEY_ENTITY_LEN) {
      report(s, "entity key of length %zu is malformed", kl);
      continue;
    }
    memcpy(id.b, k + 8, 16);
    uuid_format(&id, ids);
    cat_table *t = cat_by_id(db, get_u32be(k + 4));
    if (t == NULL) {
      report(s, "entity %s belongs to unknown table id %u", ids,
             get_u32be(k + 4));
      continue;
    }
    const char *tn = t->s->name;
    rec_view rv;
    err_t e;
    size_t ti = (size_t)(t - db->tables);
    s->rows[ti]++;
    if (rec_open(&rv, v, vl, &e) != REMDB_OK) {
      report(s, "%s: entity %s: %s", tn, ids, e.msg);
      continue;
    }
    s->deleted[ti] += rec_is_deleted(&rv);
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, id.b);
    kv_val dv;
    if (kv_get(db->st->kv, s->snap, KV_INDEX, dk, sizeof dk, &dv, &e) !=
        REMDB_OK) {
      report(s, "%s: entity %s: no id-directory entry", tn, ids);
    } else {
      if (iddir_table(dv.data, dv.len) != t->s->table_id)
        report(s, "%s: entity %s: id-directory entry names another table",
               tn, ids);
      kv_val_free(&dv);
    }
    if (!id_derives(db, t, &rv, &id))
      report(s, "%s: entity %s: its id is not the one its %s derives (it "
             "cannot be found by its key, and inserting the key again makes "
             "a second entity)",
             tn, ids, t->s->key_field ? t->s->key_field
                                      : "uri and chunk_ordinal");
    /* a pending rebuild is rewriting its key-index and index entries */
    if (t->rebuild) continue;
    lkeys lk;
    lookup_keys(t->s, &rv, &lk);
    for (int i = 0; i < lk.n; i++) {
      char norm[KEY_LOOKUP_MAX + 32];
      size_t nn = lookup_normalize(lk.buf[i], lk.len[i], norm);
      buf_reset(&s->k);
      key_lookup(&s->k, db->tid, 'K', lk.buf[i], lk.len[i], id.b);
      if (!s->k.oom && !key_exists(s, KV_INDEX, s->k.p, s->k.len))
        report(s, "%s: entity %s: missing key-index entry \"%.*s\"", tn, ids,
               (int)lk.len[i], lk.buf[i]);
      buf_reset(&s->k);
      key_lookup(&s->k, db->tid, 'N', norm, nn, id.b);
      if (nn && !s->k.oom && !key_exists(s, KV_INDEX, s->k.p, s->k.len))
        report(s, "%s: entity %s: missing normalised key-index entry", tn,
               ids);
    }
    for (uint32_t i = 0; i < t->s->n_indexed; i++) {
      uint16_t f = t->s->indexed[i];
      buf_reset(&s->k);
      idx_key(&s->k, db->tid, t->s->table_id, f, &rv, id.b);
      if (s->k.oom) {
        kv_iter_free(it);
        return err_nomem(&db->err);
      }
      if (!key_exists(s, KV_INDEX, s->k.p, s->k.len)) {
        const char *fname = rec_dict_name(&t->s->dict, f);
        report(s, "%s: entity %s: missing index entry for field %s", tn, ids,
               fname ? fname : f == REC_F_CREATED ? "created_at"
                             : f == REC_F_MODIFIED ? "modified_at"
                                                    : "deleted_at");
      }
    }
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

static bool is_indexed(const sch_table *t, uint16_t f) {
  for (uint32_t i = 0; i < t->n_indexed; i++)
    if (t->indexed[i] == f) return true;
  return false;
}

/* Pass 2: every index entry is well-formed, of an indexed field, and
** points to an entity whose value encodes to exactly that entry; every
** id-directory entry points to an existing entity. */
static int check_index(vstate *s) {
  remdb *db = s->db;
  kv_iter_t *it;
  int rc = tenant_iter(s, KV_INDEX, &it);
  if (rc) return rc;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    char ids[REMDB_ID_LEN + 1];
    uuid16_t id;
    err_t e;
    if (kl >= 8 && get_u32be(k + 4) == KEY_FTS_TBL) { /* fts_verify's */
      unsigned char past[8];
      put_u32be(past, db->tid);
      put_u32be(past + 4, KEY_FTS_TBL + 1);
      kv_iter_seek(it, past, sizeof past);
      if (!kv_iter_valid(it)) break;
      k = (const unsigned char *)kv_iter_key(it, &kl);
      v = kv_iter_value(it, &vl);
    }
    if (kl < 8 + 16) {
      report(s, "index key of length %zu is malformed", kl);
      continue;
    }
    memcpy(id.b, k + kl - 16, 16);
    uuid_format(&id, ids);
    uint32_t tbl = get_u32be(k + 4);
    if (tbl == 0) { /* id directory */
      cat_table *t = cat_by_id(db, iddir_table(v, vl));
      unsigned char ek[KEY_ENTITY_LEN];
      if (t == NULL) {
        report(s, "id-directory entry %s names an unknown table", ids);
        continue;
      }
      key_entity(ek, db->tid, t->s->table_id, id.b);
      if (!key_exists(s, KV_ENTITY, ek, sizeof ek))
        report(s, "%s: id-directory entry %s has no entity", t->s->name, ids);
      continue;
    }
    if (tbl == KEY_KEYIDX_TBL) { /* key index: the entity has that key */
      cat_table *kt = vl == 4 ? cat_by_id(db, get_u32be((const unsigned char *)v))
                              : NULL;
      unsigned char ek[KEY_ENTITY_LEN];
      kv_val ev;
      if (kt == NULL || kl < 8 + 1 + 1 + 16) {
        report(s, "key-index entry for %s is malformed", ids);
        continue;
      }
      if (kt->rebuild) continue; /* being rewritten */
      key_entity(ek, db->tid, kt->s->table_id, id.b);
      if (kv_get(db->st->kv, s->snap, KV_ENTITY, ek, sizeof ek, &ev, &e) !=
          REMDB_OK) {
        report(s, "%s: key-index entry points to missing entity %s",
               kt->s->name, ids);
        continue;
      }
      rec_view rv;
      bool match = false;
      if (rec_open(&rv, ev.data, ev.len, &e) == REMDB_OK) {
        lkeys lk;
        lookup_keys(kt->s, &rv, &lk);
        const char *key = (const char *)k + 9;
        size_t klen = kl - 9 - 1 - 16;
        for (int i = 0; i < lk.n && !match; i++) {
          char norm[KEY_LOOKUP_MAX + 32];
          size_t nn = lookup_normalize(lk.buf[i], lk.len[i], norm);
          match = k[8] == 'K'
                      ? lk.len[i] == klen && !memcmp(lk.buf[i], key, klen)
                      : nn == klen && !memcmp(norm, key, klen);
        }
      }
      kv_val_free(&ev);
      if (!match)
        report(s, "%s: key-index entry of entity %s does not match its keys",
               kt->s->name, ids);
      continue;
    }
    cat_table *t = cat_by_id(db, tbl);
    if (t == NULL) {
      report(s, "index entry for %s belongs to unknown table id %u", ids, tbl);
      continue;
    }
    const char *tn = t->s->name;
    if (t->rebuild) continue; /* being rewritten */
    if (kl < 10 + 16) {
      report(s, "%s: index key of length %zu is malformed", tn, kl);
      continue;
    }
    uint16_t f = get_u16be(k + 8);
    okey_val ov;
    size_t used;
    if (okey_decode(k + 10, kl - 26, &used, &ov, NULL, &e) != REMDB_OK ||
        used != kl - 26) {
      report(s, "%s: index entry for %s is malformed", tn, ids);
      continue;
    }
    if (!is_indexed(t->s, f)) {
      report(s, "%s: index entry for %s is of field id %u, which is not "
             "indexed", tn, ids, f);
      continue;
    }
    unsigned char ek[KEY_ENTITY_LEN];
    key_entity(ek, db->tid, tbl, id.b);
    kv_val ev;
    if (kv_get(db->st->kv, s->snap, KV_ENTITY, ek, sizeof ek, &ev, &e) !=
        REMDB_OK) {
      report(s, "%s: index entry points to missing entity %s", tn, ids);
      continue;
    }
    rec_view rv;
    if (rec_open(&rv, ev.data, ev.len, &e) == REMDB_OK) {
      buf_reset(&s->k);
      idx_key(&s->k, db->tid, tbl, f, &rv, id.b);
      if (s->k.len != kl || memcmp(s->k.p, k, kl) != 0)
        report(s, "%s: index entry of field %s for entity %s does not match "
               "its value", tn, rec_dict_name(&t->s->dict, f)
                                 ? rec_dict_name(&t->s->dict, f) : "(system)",
               ids);
    }
    kv_val_free(&ev);
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

/* Pass 3: the edges (the graph layer's keys, checked through its hook). */
static void report_edge(void *ctx, const char *problem) {
  report(ctx, "%s", problem);
}

/* A table's graph entry record (TID TBL 'H') names a stored node of the
** level it says; top: the highest node level of the table (the record
** must name one of them). */
static void check_head(vstate *s, cat_table *t, const unsigned char *k,
                       const char *val, size_t vl, int top) {
  const char *name = t ? t->s->name : "?";
  if (vl != 17) {
    report(s, "%s: vector index entry record is malformed", name);
    return;
  }
  int level = (unsigned char)val[16];
  unsigned char nk[KEY_ENTITY_LEN + 1];
  memcpy(nk, k, KEY_TABLE_PREFIX);
  memcpy(nk + KEY_TABLE_PREFIX, val, 16);
  nk[KEY_ENTITY_LEN] = 'G';
  char ids[REMDB_ID_LEN + 1];
  uuid_format((const uuid16_t *)val, ids);
  kv_val nv;
  err_t e = {0};
  if (kv_get(s->db->st->kv, s->snap, KV_VECTOR, nk, sizeof nk, &nv, &e) !=
      REMDB_OK) {
    report(s, "%s: vector index entry %s has no node", name, ids);
    return;
  }
  int nl = hnsw_record_level(nv.data, nv.len);
  kv_val_free(&nv);
  if (nl != level || level != top)
    report(s, "%s: vector index entry %s is not of the top level (%d, node "
           "%d, top %d)", name, ids, level, nl, top);
}

/* Vectors belong to entities of tables with embeddings and have their
** size; the vector index holds a node for exactly the live entities'
** vectors (a node's key sorts right after its vector's), and its entry
** record names a node of the top level. */
static int check_vectors(vstate *s) {
  remdb *db = s->db;
  kv_iter_t *it;
  int rc = tenant_iter(s, KV_VECTOR, &it);
  if (rc) return rc;
  unsigned char pend[16]; /* a live entity's vector still owed a node */
  bool owed = false, stale = false;
  uint32_t stale_tbl = 0;
  char ids[REMDB_ID_LEN + 1];
  /* the entry record of the table being read, checked at its end */
  unsigned char hk[KEY_VHEAD_LEN], *hval = NULL;
  size_t hlen = 0;
  uint32_t cur_tbl = 0;
  int top = -1;
  for (kv_iter_first(it);; kv_iter_next(it)) {
    bool more = kv_iter_valid(it);
    size_t kl = 0, vl = 0;
    const unsigned char *k =
        more ? (const unsigned char *)kv_iter_key(it, &kl) : NULL;
    uint32_t tbl = kl >= 8 ? get_u32be(k + 4) : 0;
    if (hval && (!more || tbl != cur_tbl)) {
      check_head(s, cat_by_id(db, cur_tbl), hk, (const char *)hval, hlen,
                 top);
      free(hval);
      hval = NULL;
    }
    if (!more) break;
    if (tbl != cur_tbl) top = -1;
    cur_tbl = tbl;
    const char *val = kv_iter_value(it, &vl);
    cat_table *t = kl >= 8 ? cat_by_id(db, tbl) : NULL;
    bool node = kl == KEY_ENTITY_LEN + 1 && k[KEY_ENTITY_LEN] == 'G';
    if (kl == KEY_VHEAD_LEN && k[8] == 'H') { /* between nodes: no vector */
      memcpy(hk, k, sizeof hk);
      free(hval);
      if ((hval = malloc(vl ? vl : 1)) != NULL) memcpy(hval, val, vl);
      hlen = vl;
      continue;
    }
    if (owed && !(node && memcmp(pend, k + 8, 16) == 0)) {
      uuid_format((const uuid16_t *)pend, ids);
      report(s, "vector of %s is not in the vector index", ids);
    }
    if (!node) owed = false;
    if (kl == KEY_TABLE_PREFIX) { /* the stale marker */
      stale = true;
      stale_tbl = get_u32be(k + 4);
      report(s, "%s: vector index is incomplete (run reindex)",
             t ? t->s->name : "?");
      continue;
    }
    if (kl != KEY_ENTITY_LEN && !node) {
      report(s, "vector key of length %zu is malformed", kl);
      continue;
    }
    uuid_format((const uuid16_t *)(k + 8), ids);
    if (t == NULL || t->s->embedding.dim == 0) {
      report(s, "vector of %s belongs to no table with embeddings", ids);
      continue;
    }
    int es = ent_state(db, s->snap, t->s->table_id, k + 8);
    if (node) {
      int nl = hnsw_record_level(val, vl);
      if (nl < 0)
        report(s, "%s: vector index node of %s is malformed", t->s->name, ids);
      if (nl > top) top = nl;
      unsigned char vk[KEY_ENTITY_LEN];
      memcpy(vk, k, sizeof vk);
      if (!key_exists(s, KV_VECTOR, vk, sizeof vk))
        report(s, "%s: vector index node of %s has no vector", t->s->name,
               ids);
      if (es != ENT_LIVE)
        report(s, "%s: vector index holds %s entity %s", t->s->name,
               es == ENT_DELETED ? "deleted" : "missing", ids);
      owed = false;
      continue;
    }
    if (vl != (size_t)t->s->embedding.dim * sizeof(float))
      report(s, "%s: vector of %s has %zu bytes, not %d floats", t->s->name,
             ids, vl, t->s->embedding.dim);
    if (es == ENT_MISSING)
      report(s, "%s: vector of missing entity %s", t->s->name, ids);
    owed = es == ENT_LIVE && !(stale && stale_tbl == t->s->table_id);
    memcpy(pend, k + 8, 16);
  }
  if (owed) {
    uuid_format((const uuid16_t *)pend, ids);
    report(s, "vector of %s is not in the vector index", ids);
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

int remdb_verify(remdb *db, remdb_report_fn fn, void *ctx,
                 uint64_t *problems_out) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  vstate s = {.db = db, .fn = fn, .ctx = ctx};
  buf_init(&s.k);
  /* one snapshot, and the catalog it agrees with */
  int rc = snap_take(db, &s.sn);
  if (rc == REMDB_OK) s.snap = s.sn->kv;
  if (rc == REMDB_OK && db->tid != 0) {
    /* an interrupted reindex or schema change is not damage: its table's
    ** derived data (index and key-index entries, row counters) is being
    ** rewritten, so it is reported once and not checked */
    for (uint32_t i = 0; i < db->ntables; i++)
      if (db->tables[i].rebuild)
        report(&s, "%s: not verified: an index rebuild is pending (an "
               "interrupted reindex or schema change, not damage); run "
               "`remdb reindex` or open the database read-write to finish "
               "it", db->tables[i].s->name);
    s.rows = calloc(db->ntables + 1, sizeof *s.rows);
    s.deleted = calloc(db->ntables + 1, sizeof *s.deleted);
    rc = s.rows && s.deleted ? check_entities(&s) : err_nomem(&db->err);
    if (rc == REMDB_OK) rc = check_index(&s);
    if (rc == REMDB_OK) rc = hook_edges_verify(db, s.sn, report_edge, &s);
    if (rc == REMDB_OK) rc = check_vectors(&s);
    for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++)
      rc = fts_verify(db, s.sn, &db->tables[i], report_edge, &s);
    for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++)
      if (!db->tables[i].rebuild)
        rc = col_verify(db, s.sn, db->tables[i].s, report_edge, &s);
    for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
      uint64_t r, d;
      if (db->tables[i].rebuild) continue; /* recounted by the rebuild */
      rc = cnt_read_kv(db, s.snap, db->tables[i].s->table_id, &r, &d);
      if (rc == REMDB_OK && (r != s.rows[i] || d != s.deleted[i]))
        report(&s, "%s: row counter says %llu rows (%llu deleted), the table "
               "holds %llu (%llu deleted)", db->tables[i].s->name,
               (unsigned long long)r, (unsigned long long)d,
               (unsigned long long)s.rows[i], (unsigned long long)s.deleted[i]);
    }
    free(s.rows);
    free(s.deleted);
  }
  snap_release(s.sn);
  buf_free(&s.k);
  if (problems_out) *problems_out = s.problems;
  return rc;
}

/* Remove id-directory entries whose entity is gone (for reindex). */
static int sweep_iddir(remdb *db) {
  unsigned char lo[8], hi[8];
  key_table(lo, db->tid, 0);
  key_table(hi, db->tid, 1);
  kv_iter_t *it;
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  if (kb == NULL) return err_nomem(&db->err);
  int rc = kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, 8, hi, 8, &it, &db->err);
  if (rc) {
    kv_batch_free(kb);
    return rc;
  }
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    cat_table *t =
        cat_by_id(db, iddir_table(v, vl));
    bool ok = false;
    if (t && kl == KEY_IDDIR_LEN) {
      unsigned char ek[KEY_ENTITY_LEN];
      kv_val ev;
      key_entity(ek, db->tid, t->s->table_id, (const unsigned char *)k + 8);
      ok = kv_get(db->st->kv, NULL, KV_ENTITY, ek, sizeof ek, &ev, &db->err) ==
           REMDB_OK;
      if (ok) kv_val_free(&ev);
    }
    if (!ok) kv_batch_del(kb, KV_INDEX, k, kl);
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc == REMDB_OK) rc = kv_write(db->st->kv, kb, 1, &db->err);
  kv_batch_free(kb);
  return rc;
}

int remdb_reindex(remdb *db, const char *table) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (kv_read_only(db->st->kv))
    return err_set(&db->err, REMDB_MISUSE, "database is open read-only");
  int rc = core_lock(db);
  if (rc) return rc;
  cat_table *only = NULL;
  rc = table ? cat_find(db, table, &only) : cat_refresh(db);
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  if (rc == REMDB_OK && kb == NULL) rc = err_nomem(&db->err);
  /* one batch marks every target table for rebuild and drops its index
  ** entries; cat_resume then rebuilds them (again after a crash) */
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
    cat_table *t = &db->tables[i];
    if (only && t != only) continue;
    json_t *spec = json_pack("{s:b,s:[],s:b}", "reencode", 0, "fields",
                             "fulltext", 1);
    json_t *fl = spec ? json_object_get(spec, "fields") : NULL;
    for (uint32_t j = 0; fl && j < t->s->n_indexed; j++)
      json_array_append_new(fl, json_integer(t->s->indexed[j]));
    rc = spec ? cat_put_record(db, kb, t->s, spec) : err_nomem(&db->err);
    json_decref(spec);
    unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
    key_table(lo, db->tid, t->s->table_id);
    key_table(hi, db->tid, t->s->table_id + 1);
    kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
    if (only) rc = lookup_drop_table(db, kb, t->s->table_id);
  }
  if (rc == REMDB_OK && only == NULL) rc = lookup_drop_table(db, kb, 0);
  if (rc == REMDB_OK) rc = cat_commit(db, kb);
  if (rc == REMDB_OK) rc = cat_resume(db);
  /* vector indexes: rebuilt from the live vectors, in one batch each */
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
    const sch_table *st = db->tables[i].s;
    if (st->embedding.dim && (table == NULL || strcmp(st->name, table) == 0))
      rc = vix_rebuild(db, st);
  }
  if (rc == REMDB_OK && table == NULL) rc = sweep_iddir(db);
  kv_batch_free(kb);
  core_unlock(db);
  return rc;
}

static uint64_t count_range(remdb *db, int cf, const unsigned char *lo,
                            const unsigned char *hi, size_t n, int *rc) {
  kv_iter_t *it;
  uint64_t cnt = 0;
  *rc = kv_iter_new(db->st->kv, NULL, cf, lo, n, hi, n, &it, &db->err);
  if (*rc) return 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) cnt++;
  *rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return cnt;
}

/* The tenant's key range [TID, TID+1) (hi_len 0: to the end). */
static size_t tenant_range(uint32_t tid, unsigned char lo[4],
                           unsigned char hi[4]) {
  put_u32be(lo, tid);
  if (tid == UINT32_MAX) return 0;
  put_u32be(hi, tid + 1);
  return 4;
}

int remdb_stats_ex(remdb *db, int flags, char **json_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "stats", flags, REMDB_ALL_TENANTS)) return db->err.code;
  *json_out = NULL;
  if (flags & ~REMDB_ALL_TENANTS)
    return err_set(&db->err, REMDB_MISUSE, "stats: unknown flags 0x%x",
                   flags);
  int rc = cat_refresh(db);
  if (rc) return rc;
  buf_t b;
  buf_init(&b);
  buf_add(&b, "{\"tenant\":", 10);
  buf_add_json_str(&b, db->tenant, strlen(db->tenant));
  buf_add(&b, ",\"tables\":{", 11);
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
    const sch_table *t = db->tables[i].s;
    unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
    key_table(lo, db->tid, t->table_id);
    key_table(hi, db->tid, t->table_id + 1);
    uint64_t del = 0, all = 0;
    rc = cnt_read(db, NULL, t->table_id, &all, &del);
    uint64_t idx =
        rc ? 0 : count_range(db, KV_INDEX, lo, hi, sizeof lo, &rc);
    if (i) buf_addc(&b, ',');
    buf_add_json_str(&b, t->name, strlen(t->name));
    buf_addf(&b,
             ":{\"entities\":%llu,\"deleted\":%llu,\"index_entries\":%llu,"
             "\"indexed_fields\":%u",
             (unsigned long long)(all - del), (unsigned long long)del,
             (unsigned long long)idx, t->n_indexed);
    if (rc == REMDB_OK && t->embedding.dim) {
      /* stored vectors and nodes, and the graph in memory if loaded */
      uint64_t keys = count_range(db, KV_VECTOR, lo, hi, sizeof lo, &rc);
      uint64_t nodes = 0;
      size_t bytes = 0;
      const char *state;
      vix_stats(db, t, &nodes, &bytes, &state);
      buf_addf(&b,
               ",\"vector_index\":{\"dim\":%d,\"metric\":\"%s\",\"M\":%d,"
               "\"ef_construction\":%d,\"ef_search\":%d,\"stored_keys\":%llu,"
               "\"memory\":\"%s\",\"nodes_in_memory\":%llu,"
               "\"memory_bytes\":%zu}",
               t->embedding.dim, sch_metric_name(t->embedding.metric), t->embedding.M,
               t->embedding.ef_construction, t->embedding.ef_search,
               (unsigned long long)keys, state, (unsigned long long)nodes,
               bytes);
    }
    if (rc == REMDB_OK && t->fulltext.nfields) {
      uint64_t docs, terms, bytes;
      bool built;
      rc = fts_stats(db, t, &docs, &terms, &bytes, &built);
      buf_addf(&b,
               ",\"fulltext_index\":{\"built\":%s,\"documents\":%llu,"
               "\"terms\":%llu,\"approximate_bytes\":%llu}",
               built ? "true" : "false", (unsigned long long)docs,
               (unsigned long long)terms, (unsigned long long)bytes);
    }
    if (rc == REMDB_OK) rc = col_stats(db, t, &b);
    buf_addc(&b, '}');
  }
  /* the tenant's own share of the storage: its key range in each column
  ** family (another tenant's sizes are none of its business) */
  buf_add(&b, "},\"storage\":{", 13);
  for (int cf = 0; rc == REMDB_OK && cf < KV_NCF; cf++) {
    unsigned char lo[4], hi[4];
    size_t hil = tenant_range(db->tid, lo, hi);
    uint64_t v = 0;
    if (db->tid)
      rc = kv_approx_size(db->st->kv, cf, lo, 4, hil ? hi : NULL, hil, &v,
                          &db->err);
    buf_addf(&b, "%s\"%s\":{\"approximate_bytes\":%llu}", cf ? "," : "",
             kv_cf_name(cf), (unsigned long long)v);
  }
  buf_addc(&b, '}');
  if (flags & REMDB_ALL_TENANTS) {
    static const char *const props[][2] = {
        {"estimated_keys", "rocksdb.estimate-num-keys"},
        {"live_data_bytes", "rocksdb.estimate-live-data-size"},
        {"sst_bytes", "rocksdb.total-sst-files-size"},
        {"memtable_bytes", "rocksdb.cur-size-all-mem-tables"}};
    buf_add(&b, ",\"database\":{", 13);
    for (int cf = 0; cf < KV_NCF; cf++) {
      buf_addf(&b, "%s\"%s\":{", cf ? "," : "", kv_cf_name(cf));
      for (int p = 0; p < 4; p++) {
        uint64_t v = 0;
        kv_property_int(db->st->kv, cf, props[p][1], &v);
        buf_addf(&b, "%s\"%s\":%llu", p ? "," : "", props[p][0],
                 (unsigned long long)v);
      }
      buf_addc(&b, '}');
    }
    buf_addc(&b, '}');
  }
  buf_addc(&b, '}');
  if (rc) {
    buf_free(&b);
    return rc;
  }
  *json_out = buf_detach(&b, NULL);
  return *json_out ? REMDB_OK : err_nomem(&db->err);
}

int remdb_stats(remdb *db, char **json_out) {
  return remdb_stats_ex(db, 0, json_out);
}

/* ---- backup -------------------------------------------------------------
** A backup is written to DEST.tmp and renamed to DEST once complete, so
** DEST is never a partial copy.  The whole database (REMDB_ALL_TENANTS) is
** a RocksDB checkpoint when the handle can write (hard links, fast), else
** a copy of every key.  A tenant's backup is a fresh database holding the
** database-wide keys it needs and every key of the tenant's range in each
** column family, read through one snapshot: it opens and verifies on its
** own and holds nothing of other tenants.  Before the rename the copy is
** opened once read-write, which finishes what was in flight when it was
** taken (an import's journal rolled back, a rebuild resumed). */

#define BACKUP_BATCH_BYTES (4u << 20)

static int copy_range(remdb *db, const kv_snap_t *snap, kv_t *dst,
                      kv_batch_t *kb, int cf, const unsigned char *lo,
                      size_t lol, const unsigned char *hi, size_t hil) {
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, snap, cf, lo, lol, hi, hil, &it, &db->err);
  if (rc) return rc;
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    kv_batch_put(kb, cf, k, kl, v, vl);
    if (kv_batch_bytes(kb) >= BACKUP_BATCH_BYTES) {
      rc = kv_write(dst, kb, 0, &db->err);
      kv_batch_clear(kb);
    }
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

static int copy_keys(remdb *db, const char *tmp, bool all) {
  kv_options ko = {.create_if_missing = true,
                   .cache_bytes = 8u << 20,
                   .write_buffer_bytes = db->st->opts.write_buffer_bytes};
  kv_t *dst = NULL;
  int rc = kv_open(tmp, &ko, &dst, &db->err);
  if (rc) return rc;
  kv_snap_t *snap = kv_snap_new(db->st->kv);
  kv_batch_t *kb = kv_batch_new(dst);
  if (snap == NULL || kb == NULL) rc = err_nomem(&db->err);
  if (rc == REMDB_OK && !all) rc = core_copy_globals(db, snap, kb);
  unsigned char lo[4], hi[4];
  size_t hil = tenant_range(db->tid, lo, hi);
  for (int cf = 0; rc == REMDB_OK && cf < KV_NCF; cf++) {
    if (all)
      rc = copy_range(db, snap, dst, kb, cf, NULL, 0, NULL, 0);
    else if (db->tid)
      rc = copy_range(db, snap, dst, kb, cf, lo, 4, hil ? hi : NULL, hil);
  }
  if (rc == REMDB_OK) rc = kv_write(dst, kb, 1, &db->err);
  if (rc == REMDB_OK) rc = kv_flush(dst, &db->err);
  kv_batch_free(kb);
  kv_snap_free(db->st->kv, snap);
  kv_close(dst);
  return rc;
}

/* Open the finished copy read-write once: whatever was in flight when it
** was taken is finished there (see above). */
static int settle_copy(remdb *db, const char *tmp) {
  remdb_options o = db->st->opts;
  o.create_if_missing = 0;
  o.read_only = 0;
  o.sync = REMDB_SYNC_FULL;
  remdb *c = NULL;
  int rc = core_open(tmp, db->tenant, &o, &c);
  if (rc)
    err_set(&db->err, rc, "the copy does not open: %s", remdb_errmsg(c));
  remdb_close(c);
  return rc;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p) == 0 ? 0 : -1;
}

int remdb_backup_ex(remdb *db, const char *dest, int flags) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "backup", flags, REMDB_ALL_TENANTS)) return db->err.code;
  if (dest == NULL || dest[0] == 0)
    return err_set(&db->err, REMDB_MISUSE, "backup: no destination given");
  if (flags & ~REMDB_ALL_TENANTS)
    return err_set(&db->err, REMDB_MISUSE, "backup: unknown flags 0x%x",
                   flags);
  bool all = flags & REMDB_ALL_TENANTS;
  struct stat sb;
  if (stat(dest, &sb) == 0)
    return err_set(&db->err, REMDB_EXISTS,
                   "backup: %s already exists", dest);
  /* "copy/" names the directory copy: its temporary twin is copy.tmp */
  size_t dl = strlen(dest);
  while (dl > 1 && dest[dl - 1] == '/') dl--;
  size_t n = dl + 5;
  char *tmp = malloc(n), *dst = strndup(dest, dl);
  if (tmp == NULL || dst == NULL) {
    free(tmp);
    free(dst);
    return err_nomem(&db->err);
  }
  snprintf(tmp, n, "%s.tmp", dst);
  dest = dst;
  if (stat(tmp, &sb) == 0) {
    int rc = err_set(&db->err, REMDB_EXISTS,
                     "backup: %s already exists (left by an interrupted backup?): "
                     "remove it, then back up again", tmp);
    free(tmp);
    free(dst);
    return rc;
  }
  int rc = cat_refresh(db);
  if (rc == REMDB_OK) {
    if (all && !kv_read_only(db->st->kv))
      rc = kv_checkpoint(db->st->kv, tmp, &db->err);
    else
      rc = copy_keys(db, tmp, all);
  }
  if (rc == REMDB_OK) rc = settle_copy(db, tmp);
  if (rc == REMDB_OK && rename(tmp, dest) != 0)
    rc = err_set(&db->err, REMDB_IO, "backup: cannot rename %s to %s: %s",
                 tmp, dest, strerror(errno));
  if (rc == REMDB_OK) {
    /* the rename itself must survive a power failure */
    char *dir = strdup(dest);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    const char *parent = slash == NULL ? "." : slash == dir ? "/" : dir;
    if (slash && slash != dir) *slash = 0;
    int fd = dir ? open(parent, O_RDONLY | O_DIRECTORY) : -1;
    if (fd >= 0) {
      fsync(fd);
      close(fd);
    }
    free(dir);
  } else if (stat(tmp, &sb) == 0) {
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  free(tmp);
  free(dst);
  return rc;
}

int remdb_backup(remdb *db, const char *dest) {
  return remdb_backup_ex(db, dest, 0);
}

int remdb_compact(remdb *db) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  return kv_compact(db->st->kv, &db->err);
}

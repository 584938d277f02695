/*
** rebuild.c: rebuilding derived data after a schema change or reindex:
** re-encoding records under the current schema, rewriting index entries
** and id-directory entries, and recounting rows.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define REBUILD_BATCH 1000

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
  assert(core_locked(db));
  const sch_table *t = ct->s;
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  kv_snap_t *snap = kv_snap_new(db->st->kv);
  kv_iter_t *it = NULL;
  wtx_t *w = NULL;
  buf_t js, nrec;
  buf_init(&js);
  buf_init(&nrec);
  uint64_t rows = 0, deleted = 0;
  col_build *cb = NULL;
  int rc = snap ? wtx_begin_held(db, &w) : err_nomem(&db->err);
  /* positions and columns are built afresh, in id order */
  if (rc == REMDB_OK) rc = col_build_begin(db, t, wtx_batch(w), &cb);
  if (rc == REMDB_OK)
    rc = kv_iter_new(db->st->kv, snap, KV_ENTITY, lo, sizeof lo, hi, sizeof hi,
                     &it, &db->err);
  if (rc == REMDB_OK) kv_iter_first(it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    uuid16_t id;
    rec_view rv, cur;
    if (kl != KEY_ENTITY_LEN) continue;
    memcpy(id.b, k + 8, 16);
    if ((rc = rec_open(&rv, v, vl, &db->err))) break;
    rows++;
    deleted += rec_is_deleted(&rv);
    cur = rv;
    if (reenc) {
      rc = reencode(db, ct, &id, &rv, &js, &nrec);
      if (rc == REMDB_OK && (nrec.len != vl || memcmp(nrec.p, v, vl) != 0)) {
        rc = wtx_put(w, t, &id, &rv, nrec.p, nrec.len, false);
        if (rc == REMDB_OK) rc = rec_open(&cur, nrec.p, nrec.len, &db->err);
      }
      if (rc) {
        char ids[REMDB_ID_LEN + 1];
        uuid_format(&id, ids);
        err_prefix(&db->err, "rebuilding %s, entity %s", t->name, ids);
        break;
      }
    }
    /* (re)write the listed index entries and the id-directory entry */
    kv_batch_t *kb = wtx_batch(w);
    unsigned char dk[KEY_IDDIR_LEN], tv[IDDIR_VAL_LEN];
    key_iddir(dk, db->tid, id.b);
    size_t tvl;
    if ((rc = col_build_row(db, cb, kb, &id, &cur, tv, &tvl))) break;
    kv_batch_put(kb, KV_INDEX, dk, sizeof dk, tv, tvl);
    lookup_stage(db, kb, t, &id, NULL, &cur); /* the key index too */
    for (uint32_t i = 0; i < nfields; i++) {
      buf_reset(&db->kbuf);
      idx_key(&db->kbuf, db->tid, t->table_id, fields[i], &cur, id.b);
      if (db->kbuf.oom) {
        rc = err_nomem(&db->err);
        break;
      }
      /* the row position as the value (wtx_put's), if it has one */
      kv_batch_put(kb, KV_INDEX, db->kbuf.p, db->kbuf.len, tv + 4,
                   tvl == IDDIR_VAL_LEN ? 8 : 0);
    }
    if (rc == REMDB_OK && kv_batch_count(kb) >= REBUILD_BATCH)
      rc = wtx_commit(w, 0);
  }
  if (rc == REMDB_OK && it) rc = kv_iter_status(it, &db->err);
  if (rc == REMDB_OK) rc = col_build_end(db, cb, wtx_batch(w));
  if (rc == REMDB_OK) rc = wtx_commit(w, 1);
  /* the counters, recounted from what was scanned */
  if (rc == REMDB_OK) {
    kv_batch_t *kb = wtx_batch(w);
    cnt_stage(db, kb, t->table_id, rows, deleted);
    rc = kv_write(db->st->kv, kb, 1, &db->err);
    kv_batch_clear(kb);
    cnt_forget(db);
  }
  kv_iter_free(it);
  col_build_free(cb);
  wtx_free(w);
  if (snap) kv_snap_free(db->st->kv, snap);
  buf_free(&js);
  buf_free(&nrec);
  return rc;
}

/*
** wtx.c: write transactions.  Every change of an entity, whatever the
** entry point (insert, batch, update, delete, SQL DML, rebuild), is staged
** by wtx_put() or wtx_remove(), which put the record and, in the same
** RocksDB write batch, the index entries that changed, the id-directory
** entry and the table's row counters.  So an index entry can never
** disagree with its entity, even across a crash.
**
** A transaction holds the store's write lock from its first change until
** commit or free: the old versions it read stay current until it commits.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- row counters ------------------------------------------------------- */

struct cnt_slot {
  uint32_t tid, tbl;
  uint64_t rows, deleted;
};

typedef struct cnt_delta {
  uint32_t tbl;
  int64_t rows, deleted;
} cnt_delta;

int cnt_read(remdb *db, const snap_t *snap, uint32_t tbl, uint64_t *rows,
             uint64_t *deleted) {
  return cnt_read_kv(db, snap ? snap->kv : NULL, tbl, rows, deleted);
}

int cnt_read_kv(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                uint64_t *rows, uint64_t *deleted) {
  unsigned char tail[CNT_TAIL_MAX];
  size_t tlen;
  return cnt_read_tail(db, snap, tbl, rows, deleted, tail, &tlen);
}

/* What is wrong with tail p[0..n) (cnt_read_tail's form), or NULL. */
static const char *tail_wrong(const unsigned char *p, size_t n) {
  if (n < 5 + 18) return "is too short";
  if (p[0] == 0 || p[0] > CNT_PEND_LIMIT) return "counts a wrong number";
  if (n != 5 + 18 * (size_t)p[0]) return "has a wrong length";
  for (unsigned i = 1; i < p[0]; i++)
    if (get_u16be(p + 5 + 18 * i) <= get_u16be(p + 5 + 18 * (i - 1)))
      return "is not in position order";
  return NULL;
}

int cnt_read_tail(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                  uint64_t *rows, uint64_t *deleted, unsigned char *tail,
                  size_t *tlen) {
  unsigned char k[KEY_COUNTER_LEN];
  key_counter(k, db->tid, tbl);
  kv_val v;
  *rows = *deleted = 0;
  *tlen = 0;
  int rc = kv_get(db->st->kv, snap, KV_META, k, sizeof k, &v, &db->err);
  if (rc == REMDB_NOTFOUND) return REMDB_OK;
  if (rc) return rc;
  const unsigned char *p = (const unsigned char *)v.data;
  const char *why;
  if (v.len < 16) {
    rc = err_set(&db->err, REMDB_CORRUPT, "row counter has length %zu", v.len);
  } else if (v.len > 16 &&
             (why = v.len - 16 > CNT_TAIL_MAX ? "is too long"
                                              : tail_wrong(p + 16, v.len - 16))) {
    rc = err_set(&db->err, REMDB_CORRUPT,
                 "row counter of table %u: its pending rows (%zu bytes) %s",
                 tbl, v.len - 16, why);
  } else {
    *rows = get_u64be(p);
    *deleted = get_u64be(p + 8);
    *tlen = v.len - 16;
    if (*tlen) memcpy(tail, p + 16, *tlen);
  }
  kv_val_free(&v);
  return rc;
}

void cnt_stage(remdb *db, kv_batch_t *kb, uint32_t tbl, uint64_t rows,
               uint64_t deleted) {
  cnt_stage_tail(db, kb, tbl, rows, deleted, NULL, 0);
}

void cnt_stage_tail(remdb *db, kv_batch_t *kb, uint32_t tbl, uint64_t rows,
                    uint64_t deleted, const unsigned char *tail, size_t tlen) {
  assert(core_locked(db));
  assert(tlen <= CNT_TAIL_MAX);
  unsigned char k[KEY_COUNTER_LEN], v[16 + CNT_TAIL_MAX];
  key_counter(k, db->tid, tbl);
  put_u64be(v, rows);
  put_u64be(v + 8, deleted);
  if (tlen) memcpy(v + 16, tail, tlen);
  kv_batch_put(kb, KV_META, k, sizeof k, v, 16 + tlen);
}

void cnt_forget(remdb *db) { db->st->ncnt = 0; }

/* The cached counters of (tid, tbl), loaded on first use.  wlock held. */
static struct cnt_slot *cnt_slot(remdb *db, uint32_t tbl) {
  assert(core_locked(db)); /* the cache is the writer's */
  store_t *st = db->st;
  for (size_t i = 0; i < st->ncnt; i++)
    if (st->cnt[i].tid == db->tid && st->cnt[i].tbl == tbl) return &st->cnt[i];
  if (st->ncnt == st->capcnt) {
    size_t cap = st->capcnt ? st->capcnt * 2 : 16;
    struct cnt_slot *n = realloc(st->cnt, cap * sizeof *n);
    if (n == NULL) return NULL;
    st->cnt = n;
    st->capcnt = cap;
  }
  struct cnt_slot *s = &st->cnt[st->ncnt];
  s->tid = db->tid;
  s->tbl = tbl;
  if (cnt_read(db, NULL, tbl, &s->rows, &s->deleted) != REMDB_OK) return NULL;
  st->ncnt++;
  return s;
}

/* ---- staged versions ---------------------------------------------------- */

/* A staged version: the ids are an idset, recs[i] the version of
** ids[i].  rec == NULL with gone set marks a staged removal. */
typedef struct pend {
  uint32_t tbl;
  bool gone;
  char *rec;
  size_t len;
} pend;

struct wtx {
  remdb *db;
  kv_batch_t *kb;
  idset pids; /* ids of the staged versions */
  idset edge_ends; /* entities an edge staged here touches */
  pend *recs; /* recs[i]: the version of pids.ids[i] */
  size_t caprecs;
  cnt_delta *deltas;
  size_t ndeltas, capdeltas;
  size_t n; /* entities staged */
  bool locked;
  bool borrowed; /* the caller holds the lock: never release it */
  struct vix_txn *vix; /* vector-index changes, applied at commit */
  struct fts_txn *fts; /* full-text document numbers staged (fts.c) */
  struct col_txn *col; /* column changes (columns.c) */
  bool poisoned; /* a change was staged only in part: refuse to commit */
  size_t pend_bytes;   /* record copies held by recs */
  bool journal;        /* inserts stage journal entries under jtok */
  bool hold;           /* keep the lock across commits (a journaled batch) */
  unsigned char jtok[8];
};

size_t wtx_bytes(const wtx_t *w) {
  return kv_batch_bytes(w->kb) + w->pend_bytes +
         w->caprecs * (sizeof(pend) + sizeof(uuid16_t)) +
         w->pids.map.cap * sizeof(uint32_t) +
         w->ndeltas * sizeof(cnt_delta) + (w->vix ? vix_txn_bytes(w->vix) : 0) +
         fts_txn_bytes(w->fts) +
         col_txn_bytes(w->col);
}

void wtx_set_journal(wtx_t *w, const unsigned char *tok) {
  w->journal = w->hold = tok != NULL;
  if (tok) memcpy(w->jtok, tok, 8);
}

const unsigned char *wtx_journal(const wtx_t *w) {
  return w->journal ? w->jtok : NULL;
}

void wtx_poison(wtx_t *w) { w->poisoned = true; }

struct vix_txn **wtx_vix(wtx_t *w) { return &w->vix; }
struct fts_txn **wtx_fts(wtx_t *w) { return &w->fts; }
struct col_txn **wtx_col(wtx_t *w) { return &w->col; }

static pend *pend_find(wtx_t *w, const uuid16_t *id) {
  size_t i = idset_find(&w->pids, id->b);
  return i == IDSET_NONE ? NULL : &w->recs[i];
}

bool wtx_staged(wtx_t *w, const uuid16_t *id) {
  return pend_find(w, id) != NULL;
}

/* Remember the staged version of id (rec NULL: removed). */
static bool pend_put(wtx_t *w, const uuid16_t *id, uint32_t tbl,
                     const char *rec, size_t len) {
  char *copy = NULL;
  if (rec) {
    copy = malloc(len ? len : 1);
    if (copy == NULL) return false;
    memcpy(copy, rec, len);
  }
  if (w->pids.n == w->caprecs) { /* room for a new id's version */
    size_t cap = w->caprecs ? w->caprecs * 2 : 64;
    pend *r = realloc(w->recs, cap * sizeof *r);
    if (r == NULL) {
      free(copy);
      return false;
    }
    w->recs = r;
    w->caprecs = cap;
  }
  size_t n = w->pids.n, i;
  if (!idset_add(&w->pids, id->b, &i)) {
    free(copy);
    return false;
  }
  pend *p = &w->recs[i];
  if (i == n) { /* new */
    p->rec = NULL;
  } else {
    if (p->rec) w->pend_bytes -= p->len;
    free(p->rec);
  }
  if (copy) w->pend_bytes += len;
  p->tbl = tbl;
  p->rec = copy;
  p->len = len;
  p->gone = rec == NULL;
  return true;
}

int wtx_note_edge(wtx_t *w, const uuid16_t *a, const uuid16_t *b) {
  if (!idset_add(&w->edge_ends, a->b, NULL) ||
      !idset_add(&w->edge_ends, b->b, NULL))
    return err_nomem(&w->db->err);
  return REMDB_OK;
}

bool wtx_edge_end(wtx_t *w, const uuid16_t *id) {
  return idset_has(&w->edge_ends, id->b);
}

bool wtx_live(wtx_t *w, const uuid16_t *id) {
  pend *p = pend_find(w, id);
  if (p == NULL) return ent_live(w->db, NULL, id);
  rec_view rv;
  err_t e;
  return !p->gone && p->rec && rec_open(&rv, p->rec, p->len, &e) == REMDB_OK &&
         !rec_is_deleted(&rv);
}

static void pend_clear(wtx_t *w) {
  for (size_t i = 0; i < w->pids.n; i++) free(w->recs[i].rec);
  idset_free(&w->pids);
  free(w->recs);
  w->recs = NULL;
  w->caprecs = 0;
  w->pend_bytes = 0;
}

static cnt_delta *delta_for(wtx_t *w, uint32_t tbl) {
  for (size_t i = 0; i < w->ndeltas; i++)
    if (w->deltas[i].tbl == tbl) return &w->deltas[i];
  if (w->ndeltas == w->capdeltas) {
    size_t cap = w->capdeltas ? w->capdeltas * 2 : 4;
    cnt_delta *d = realloc(w->deltas, cap * sizeof *d);
    if (d == NULL) return NULL;
    w->deltas = d;
    w->capdeltas = cap;
  }
  w->deltas[w->ndeltas] = (cnt_delta){tbl, 0, 0};
  return &w->deltas[w->ndeltas++];
}

/* ---- transactions ------------------------------------------------------- */

int wtx_begin(remdb *db, wtx_t **out) {
  *out = NULL;
  if (kv_read_only(db->st->kv))
    return err_set(&db->err, REMDB_MISUSE, "database is open read-only");
  if (db->tid == 0)
    return err_set(&db->err, REMDB_ERROR, "tenant is not bound");
  wtx_t *w = calloc(1, sizeof *w);
  if (w == NULL || (w->kb = kv_batch_new(db->st->kv)) == NULL) {
    free(w);
    return err_nomem(&db->err);
  }
  w->db = db;
  *out = w;
  return REMDB_OK;
}

int wtx_begin_held(remdb *db, wtx_t **out) {
  assert(core_locked(db));
  int rc = wtx_begin(db, out);
  if (rc == REMDB_OK) (*out)->locked = (*out)->borrowed = true;
  return rc;
}

bool wtx_locked(const wtx_t *w) { return w->locked; }

int wtx_lock(wtx_t *w) {
  if (w->locked) return REMDB_OK;
  int rc = core_lock(w->db);
  if (rc == REMDB_OK) w->locked = true;
  /* a schema change may have committed while we waited: writes must use
  ** the catalog as it is now (table pointers taken before are stale) */
  if (rc == REMDB_OK) rc = cat_refresh(w->db);
  return rc;
}

static void wtx_reset(wtx_t *w) {
  if (w->vix) vix_after_commit(w, false); /* not committed */
  w->fts = fts_txn_reset(w->fts); /* its room kept for the next commit */
  col_after_commit(w, false);
  kv_batch_clear(w->kb);
  pend_clear(w);
  idset_clear(&w->edge_ends);
  w->ndeltas = 0;
  w->n = 0;
  if (w->locked && !w->borrowed && !w->hold) {
    core_unlock(w->db);
    w->locked = false;
  }
}

void wtx_release(wtx_t *w) {
  if (w->locked && !w->borrowed && w->n == 0 &&
      kv_batch_count(w->kb) == 0) {
    core_unlock(w->db);
    w->locked = false;
  }
}

void wtx_drop(wtx_t *w) { wtx_reset(w); }

int wtx_commit(wtx_t *w, int sync) {
  remdb *db = w->db;
  int rc = REMDB_OK;
  uint64_t durable_seq = 0; /* group commit: wait for it after unlocking */
  if (w->poisoned) {
    w->poisoned = false;
    wtx_reset(w);
    return err_set(&db->err, REMDB_ERROR,
                   "an earlier failure in this transaction left a change "
                   "half staged: nothing was written");
  }
  if (kv_batch_count(w->kb) > 0) {
    rc = fts_before_commit(w);
    /* the columns first: a counter carries its table's pending rows as
    ** this commit leaves them, and is staged once (a second put of the
    ** key would cost a second memtable insert) */
    if (rc == REMDB_OK) rc = col_before_commit(w);
    /* counters: cached value + this transaction's delta, in the batch */
    for (size_t i = 0; i < w->ndeltas && rc == REMDB_OK; i++) {
      const cnt_delta *d = &w->deltas[i];
      struct cnt_slot *s = cnt_slot(db, d->tbl);
      if (s == NULL) {
        rc = db->err.code ? db->err.code : err_nomem(&db->err);
        break;
      }
      unsigned char tail[CNT_TAIL_MAX];
      size_t tlen;
      if ((rc = col_cnt_tail(w, d->tbl, tail, &tlen))) break;
      cnt_stage_tail(db, w->kb, d->tbl,
                     (uint64_t)((int64_t)s->rows + d->rows),
                     (uint64_t)((int64_t)s->deleted + d->deleted), tail, tlen);
    }
    if (rc == REMDB_OK) rc = vix_before_commit(w);
    if (rc == REMDB_OK)
      rc = kv_write_seq(db->st->kv, w->kb, sync, &durable_seq, &db->err);
    for (size_t i = 0; rc == REMDB_OK && i < w->ndeltas; i++) {
      const cnt_delta *d = &w->deltas[i];
      struct cnt_slot *s = cnt_slot(db, d->tbl); /* found: loaded above */
      s->rows = (uint64_t)((int64_t)s->rows + d->rows);
      s->deleted = (uint64_t)((int64_t)s->deleted + d->deleted);
    }
    if (rc != REMDB_OK) cnt_forget(db); /* reload from storage next time */
  }
  if (w->vix) vix_after_commit(w, rc == REMDB_OK);
  col_after_commit(w, rc == REMDB_OK);
  wtx_reset(w);
  /* acknowledged only once durable; other writers commit meanwhile and
  ** share the fsync */
  if (rc == REMDB_OK && durable_seq)
    rc = kv_wait_durable(db->st->kv, durable_seq, &db->err);
  return rc;
}

void wtx_free(wtx_t *w) {
  if (w == NULL) return;
  w->hold = false;
  wtx_reset(w);
  kv_batch_free(w->kb);
  idset_free(&w->edge_ends);
  vix_txn_free(w->db, w->vix);
  fts_txn_free(w->fts);
  col_txn_free(w->col);
  free(w->deltas);
  free(w);
}

size_t wtx_count(const wtx_t *w) { return w->n; }
remdb *wtx_db(wtx_t *w) { return w->db; }
kv_batch_t *wtx_batch(wtx_t *w) { return w->kb; }

int wtx_read(wtx_t *w, const cat_table *table, const uuid16_t *id,
             cat_table **table_out, kv_val *val, rec_view *rv) {
  remdb *db = w->db;
  pend *p = pend_find(w, id);
  if (p == NULL) return ent_read(db, NULL, table, id, table_out, val, rv);
  char ids[REMDB_ID_LEN + 1];
  cat_table *t = cat_by_id(db, p->tbl);
  if (p->gone || t == NULL || (table && table != t)) {
    uuid_format(id, ids);
    return err_set(&db->err, REMDB_NOTFOUND, "no entity with id %s", ids);
  }
  if (table_out) *table_out = t;
  return rec_open(rv, p->rec, p->len, &db->err);
}

int wtx_get(wtx_t *w, const cat_table *table, const uuid16_t *id,
            ent_row *out) {
  kv_val v = {0};
  memset(out, 0, sizeof *out);
  int rc = wtx_read(w, table, id, &out->table, &v, &out->rv);
  out->val.data = v.data;
  out->val.len = v.len;
  out->val.pin = v.pin;
  return rc;
}

int wtx_put(wtx_t *w, const sch_table *t, const uuid16_t *id,
            const rec_view *old, const char *nrec, size_t nlen,
            bool remember) {
  remdb *db = w->db;
  assert(w->locked && core_locked(db));
  kv_batch_t *kb = w->kb;
  rec_view nv;
  int rc = rec_open(&nv, nrec, nlen, &db->err);
  if (rc) return rc;
  cnt_delta *d = delta_for(w, t->table_id);
  if (d == NULL) return err_nomem(&db->err);
  buf_t *k = &db->kbuf;
  unsigned char ek[KEY_ENTITY_LEN];
  key_entity(ek, db->tid, t->table_id, id->b);
  kv_batch_savepoint(kb);
  kv_batch_put(kb, KV_ENTITY, ek, sizeof ek, nrec, nlen);
  /* the columns, and for an insert the id directory with its position;
  ** first, as an index entry's value is the row position (a hint the
  ** index route checks: sql/ipos.c), or empty without columns */
  unsigned char dv[IDDIR_VAL_LEN];
  size_t dvl;
  if ((rc = col_stage_put(w, t, id, old, &nv, dv, &dvl))) {
    kv_batch_rollback(kb);
    return rc;
  }
  size_t ivl = dvl == IDDIR_VAL_LEN ? 8 : 0;
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
      col_stage_undo(w);
      return err_nomem(&db->err);
    }
    kv_batch_put(kb, KV_INDEX, k->p, nk, dv + 4, ivl);
  }
  lookup_stage(db, kb, t, id, old, &nv);
  if ((rc = fts_stage(w, t, id, old, &nv))) {
    /* its pending index changes may be half made (a kill, then no new
    ** number): they are not in the savepoint */
    if (t->fulltext.nfields) w->poisoned = true;
    kv_batch_rollback(kb);
    col_stage_undo(w);
    return rc;
  }
  /* old may live in the staged version pend_put replaces: read it first */
  int64_t ddel = (int64_t)rec_is_deleted(&nv) - (old && rec_is_deleted(old));
  if (old == NULL) {
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, id->b);
    kv_batch_put(kb, KV_INDEX, dk, sizeof dk, dv, dvl);
  }
  if (remember && !pend_put(w, id, t->table_id, nrec, nlen)) {
    if (t->fulltext.nfields) w->poisoned = true; /* fts_stage's is kept */
    kv_batch_rollback(kb);
    col_stage_undo(w);
    return err_nomem(&db->err);
  }
  kv_batch_keep(kb);
  d->rows += old == NULL;
  d->deleted += ddel;
  w->n++;
  return REMDB_OK;
}

int wtx_remove(wtx_t *w, const sch_table *t, const uuid16_t *id,
               const rec_view *old) {
  remdb *db = w->db;
  assert(w->locked && core_locked(db));
  if (wtx_edge_end(w, id)) { /* its removal would miss the staged edge */
    char ids[REMDB_ID_LEN + 1];
    uuid_format(id, ids);
    return err_set(&db->err, REMDB_MISUSE,
                   "delete: this batch adds an edge of %s; commit it before "
                   "removing the entity",
                   ids);
  }
  kv_batch_t *kb = w->kb;
  cnt_delta *d = delta_for(w, t->table_id);
  if (d == NULL) return err_nomem(&db->err);
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
  int64_t ddel = rec_is_deleted(old); /* before pend_put frees it */
  lookup_stage(db, kb, t, id, old, NULL);
  /* a hard delete takes its edges along (the graph layer's keys) */
  int rc = hook_edges_remove(db, kb, id);
  if (rc == REMDB_OK) rc = col_stage_remove(w, t, id);
  if (rc == REMDB_OK && (rc = fts_stage(w, t, id, old, NULL))) {
    if (t->fulltext.nfields) w->poisoned = true; /* (as in wtx_put) */
    col_stage_undo(w);
  }
  if (rc) {
    kv_batch_rollback(kb);
    return rc;
  }
  if (!pend_put(w, id, t->table_id, NULL, 0)) {
    if (t->fulltext.nfields) w->poisoned = true; /* fts_stage's is kept */
    kv_batch_rollback(kb);
    col_stage_undo(w);
    return err_nomem(&db->err);
  }
  kv_batch_keep(kb);
  d->rows -= 1;
  d->deleted -= ddel;
  w->n++;
  /* last: it cannot be rolled back (it poisons the transaction instead) */
  return t->embedding.dim ? vec_stage(w, t, id, NULL, false) : REMDB_OK;
}

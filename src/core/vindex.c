/*
** vindex.c: the HNSW index of each table that has embeddings (the graph
** itself is src/vector/hnsw.c).  The graph is part of the data, not a
** cache: every node is stored in the vector column family next to its
** vector,
**
**   vector  TID TBL ID      -> float32 vector          (vectors.c)
**   vector  TID TBL ID 'G'  -> the node's links        (hnsw.h stored form)
**   vector  TID TBL         -> "stale" marker: the stored nodes do not cover
**                              the vectors; searches scan exactly until
**                              reindex rebuilds the graph
**   vector  TID TBL 'H'     -> the graph's entry node (id, level)
**
** and every change to nodes is staged into the same write batch as the
** entity that caused it, so a crash at any moment leaves graph, vectors and
** entities agreeing.  Opening a database reads nothing; the first write of
** a table loads its stored nodes into memory (no insertion is redone),
** bounded by remdb_options.vector_cache_bytes.
**
** A read-only store does not load a graph for its first searches: each
** search reads, through RocksDB's block cache, only the nodes it visits
** (a lazy graph, hnsw_new_lazy, starting at the recorded entry node) and
** keeps them for the next search, so a CLI search costs milliseconds, not
** a load of every vector.  The answers are those of the loaded graph: the
** same nodes are visited in the same order.  After VIX_LAZY_SEARCHES
** searches the store loads the graph whole, where a long-running reader
** gains from it; a database without an entry record (written before it
** existed) is loaded whole at once.
**
** Only the writer (holding the store's write lock) loads, changes or drops
** a graph, so the in-memory graph never holds another transaction's
** uncommitted changes except its own.  A transaction applies its changes in
** memory as it stages them and writes the changed nodes at commit; if it
** does not commit, the graph is marked broken and reloaded from storage on
** next use.  Readers search under the graph's read lock and check what they
** return against their own snapshot.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

enum vix_state {
  VIX_EMPTY,  /* not loaded yet, or must be reloaded */
  VIX_READY,  /* g is the stored graph (plus this writer's staged changes) */
  VIX_STALE,  /* the stored graph is incomplete: exact search, reindex */
  VIX_OVER    /* does not fit in vector_cache_bytes: exact search */
};

/* Searches a read-only store serves from a lazy graph before it loads the
** graph whole. */
#define VIX_LAZY_SEARCHES 100

/* What a lazy graph reads through: the handle searching (set before each
** search), the table, and the first error met. */
typedef struct lazy_src {
  remdb *db;
  uint32_t tbl;
  size_t vbytes;
  int rc;
} lazy_src;

struct vix {
  uint32_t tid, tbl;
  hnsw_params p;
  enum vix_state state;
  hnsw *g;
  hnsw *lazy;            /* VIX_EMPTY on a read-only store: read as searched */
  lazy_src lsrc;         /* its source's context */
  unsigned lazy_searches;
  bool lazy_off;         /* no entry record: load the graph whole */
  size_t bytes;          /* charged against the cache limit */
  uint64_t tick;         /* last use, for eviction */
  int pins;              /* readers holding it (store vmu) */
  bool held;             /* changed by the open transaction: keep it */
  pthread_rwlock_t lock; /* g: readers search, the writer changes */
  struct vix *next;
};

static int metric_of(enum sch_metric m) {
  return m == SCH_L2 ? HNSW_L2 : m == SCH_IP ? HNSW_IP : HNSW_COSINE;
}

void vix_params(const sch_table *t, hnsw_params *p) {
  p->dim = t->embedding.dim;
  p->metric = (enum hnsw_metric)metric_of(t->embedding.metric);
  p->M = t->embedding.M;
  p->ef_construction = t->embedding.ef_construction;
}

static bool same_params(const hnsw_params *a, const hnsw_params *b) {
  return a->dim == b->dim && a->metric == b->metric && a->M == b->M &&
         a->ef_construction == b->ef_construction;
}

/* Free v's graph, whole or lazy (vmu held). */
static void drop_locked(store_t *st, vix *v) {
  hnsw_free(v->g);
  v->g = NULL;
  hnsw_free(v->lazy);
  v->lazy = NULL;
  st->vix_bytes -= v->bytes;
  v->bytes = 0;
}

static void vix_drop_graph(store_t *st, vix *v) {
  pthread_mutex_lock(&st->vmu);
  drop_locked(st, v);
  pthread_mutex_unlock(&st->vmu);
}

void vix_free_all(store_t *st) {
  while (st->vix) {
    vix *v = st->vix;
    st->vix = v->next;
    hnsw_free(v->g);
    hnsw_free(v->lazy);
    pthread_rwlock_destroy(&v->lock);
    free(v);
  }
  st->vix_bytes = 0;
}

/* The entry of (tenant, table), created empty; NULL when out of memory.
** With vmu held. */
static vix *entry_for(store_t *st, uint32_t tid, uint32_t tbl) {
  for (vix *v = st->vix; v; v = v->next)
    if (v->tid == tid && v->tbl == tbl) return v;
  vix *v = calloc(1, sizeof *v);
  if (v == NULL) return NULL;
  if (pthread_rwlock_init(&v->lock, NULL) != 0) {
    free(v);
    return NULL;
  }
  v->tid = tid;
  v->tbl = tbl;
  v->next = st->vix;
  st->vix = v;
  return v;
}

static void stale_key(remdb *db, uint32_t tbl, unsigned char k[8]) {
  key_table(k, db->tid, tbl);
}

static void node_key(remdb *db, uint32_t tbl, const unsigned char *id,
                     unsigned char k[KEY_ENTITY_LEN + 1]) {
  key_entity(k, db->tid, tbl, id);
  k[KEY_ENTITY_LEN] = 'G';
}

/* Stage g's entry record for table tbl (none when g is empty). */
static void head_put(remdb *db, kv_batch_t *kb, uint32_t tbl, const hnsw *g) {
  unsigned char k[KEY_VHEAD_LEN], val[17];
  key_vhead(k, db->tid, tbl);
  int level;
  uint32_t x = hnsw_entry(g, &level);
  if (x == HNSW_NONE) {
    kv_batch_del(kb, KV_VECTOR, k, sizeof k);
    return;
  }
  memcpy(val, hnsw_node_id(g, x), 16);
  val[16] = (unsigned char)level;
  kv_batch_put(kb, KV_VECTOR, k, sizeof k, val, sizeof val);
}

/* Table tbl's entry record: REMDB_OK with id and level, REMDB_NOTFOUND
** when there is none (or it is malformed: verify reports that). */
static int head_read(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                     unsigned char id[16], int *level) {
  unsigned char k[KEY_VHEAD_LEN];
  key_vhead(k, db->tid, tbl);
  kv_val v;
  int rc = kv_get(db->st->kv, snap, KV_VECTOR, k, sizeof k, &v, &db->err);
  if (rc) return rc;
  bool ok = v.len == 17 && (unsigned char)v.data[16] <= HNSW_MAX_LEVEL;
  if (ok) {
    memcpy(id, v.data, 16);
    *level = (unsigned char)v.data[16];
  }
  kv_val_free(&v);
  return ok ? REMDB_OK : REMDB_NOTFOUND;
}

/* Make room for `need` bytes by dropping graphs no reader or transaction
** holds, least recently used first (writer, vmu held); nothing is dropped
** when even that would not make room. */
static void evict_for(store_t *st, vix *keep, size_t need) {
  size_t fixed = 0; /* bytes that cannot be dropped */
  for (vix *v = st->vix; v; v = v->next)
    if ((v->g || v->lazy) && (v == keep || v->pins || v->held))
      fixed += v->bytes;
  if (fixed + need > st->opts.vector_cache_bytes) return;
  while (st->vix_bytes + need > st->opts.vector_cache_bytes) {
    vix *lru = NULL;
    for (vix *v = st->vix; v; v = v->next)
      if (v != keep && (v->g || v->lazy) && v->pins == 0 && !v->held &&
          (!lru || v->tick < lru->tick))
        lru = v;
    if (lru == NULL) return;
    drop_locked(st, lru);
    lru->state = VIX_EMPTY;
  }
}

/* Read table t's stored nodes into v (writer; v's write lock held). */
static int load(remdb *db, const sch_table *t, vix *v) {
  store_t *st = db->st;
  vix_params(t, &v->p);
  vix_drop_graph(st, v);
  unsigned char sk[8];
  stale_key(db, t->table_id, sk);
  kv_val sv;
  int rc = kv_get(st->kv, NULL, KV_VECTOR, sk, sizeof sk, &sv, &db->err);
  if (rc == REMDB_OK) {
    kv_val_free(&sv);
    v->state = VIX_STALE;
    return REMDB_OK;
  }
  if (rc != REMDB_NOTFOUND) return rc;
  err_clear(&db->err);
  uint64_t rows = 0, deleted = 0;
  if ((rc = cnt_read(db, NULL, t->table_id, &rows, &deleted))) return rc;
  size_t need = hnsw_estimate(&v->p, rows);
  pthread_mutex_lock(&st->vmu);
  evict_for(st, v, need);
  bool fits = st->vix_bytes + need <= st->opts.vector_cache_bytes;
  pthread_mutex_unlock(&st->vmu);
  if (!fits) {
    v->state = VIX_OVER;
    return REMDB_OK;
  }
  hnsw *g = hnsw_new(&v->p);
  if (g == NULL) return err_nomem(&db->err);
  kv_snap_t *snap = kv_snap_new(st->kv);
  unsigned char lo[8], hi[8];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  size_t vbytes = (size_t)v->p.dim * sizeof(float), unlinked = 0;
  float *vec = malloc(vbytes);
  bool have_vec = false;
  unsigned char vid[16];
  rc = snap && vec ? REMDB_OK : err_nomem(&db->err);
  /* pass 1: vector then node record of each id (they sort together) */
  for (int pass = 1; rc == REMDB_OK && pass <= 2; pass++) {
    kv_iter_t *it;
    rc = kv_iter_new(st->kv, snap, KV_VECTOR, lo, 8, hi, 8, &it, &db->err);
    if (rc) break;
    for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
         kv_iter_next(it)) {
      size_t kl, vl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      const char *val = kv_iter_value(it, &vl);
      if (kl == KEY_ENTITY_LEN && pass == 1) {
        if (have_vec) unlinked += (ent_state(db, snap, t->table_id, vid) == ENT_LIVE);
        have_vec = vl == vbytes;
        if (have_vec) {
          memcpy(vec, val, vbytes);
          memcpy(vid, k + 8, 16);
        }
      } else if (kl == KEY_ENTITY_LEN + 1 && k[KEY_ENTITY_LEN] == 'G') {
        int level = hnsw_record_level(val, vl);
        if (pass == 1) {
          if (level < 0 || !have_vec || memcmp(vid, k + 8, 16) != 0) {
            if (have_vec) /* verify names the bad record */
              unlinked += (ent_state(db, snap, t->table_id, vid) == ENT_LIVE);
            have_vec = false;
            continue;
          }
          have_vec = false;
          if (hnsw_add_raw(g, vid, vec, level) == HNSW_NONE)
            rc = err_nomem(&db->err);
        } else {
          uint32_t x = hnsw_lookup(g, k + 8);
          if (x != HNSW_NONE && hnsw_decode_links(g, x, val, vl) != 0)
            rc = err_set(&db->err, REMDB_CORRUPT,
                         "%s: vector index node is malformed", t->name);
        }
      }
    }
    if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
    if (pass == 1 && have_vec) unlinked += (ent_state(db, snap, t->table_id, vid) == ENT_LIVE);
  }
  /* vectors of soft-deleted entities are not in the graph by design; a
  ** live entity's vector without a node (a database from before the
  ** index) makes the stored graph stale */
  if (rc == REMDB_OK && unlinked > 0) {
    hnsw_free(g);
    g = NULL;
    v->state = VIX_STALE;
  } else if (rc == REMDB_OK) {
    /* the entry its writer recorded, as a lazy graph takes it */
    unsigned char hid[16];
    int hlevel;
    int hr = head_read(db, snap, t->table_id, hid, &hlevel);
    if (hr == REMDB_OK) hnsw_set_entry(g, hnsw_lookup(g, hid));
    else if (hr == REMDB_NOTFOUND) err_clear(&db->err);
    else rc = hr;
  }
  if (rc == REMDB_OK && g) {
    /* the estimate admitted it; the real size decides */
    size_t bytes = hnsw_bytes(g);
    pthread_mutex_lock(&st->vmu);
    evict_for(st, v, bytes);
    bool fit = st->vix_bytes + bytes <= st->opts.vector_cache_bytes;
    if (fit) st->vix_bytes += bytes;
    pthread_mutex_unlock(&st->vmu);
    if (fit) {
      hnsw_clear_changes(g);
      v->g = g;
      v->bytes = bytes;
      v->state = VIX_READY;
      g = NULL;
    } else {
      v->state = VIX_OVER;
    }
  }
  hnsw_free(g);
  free(vec);
  if (snap) kv_snap_free(st->kv, snap);
  return rc;
}

/* Writer: t's entry, loaded and current (wlock held).  An entry this
** transaction already holds is left as it is: its state must not change
** between the transaction's operations. */
static int writer_entry(remdb *db, const sch_table *t, vix **out) {
  store_t *st = db->st;
  pthread_mutex_lock(&st->vmu);
  vix *v = entry_for(st, db->tid, t->table_id);
  if (v) v->tick = ++st->vix_tick;
  bool held = v && v->held;
  pthread_mutex_unlock(&st->vmu);
  if (v == NULL) return err_nomem(&db->err);
  hnsw_params p;
  vix_params(t, &p);
  int rc = REMDB_OK;
  if (!held && (v->state == VIX_EMPTY || !same_params(&p, &v->p) ||
                v->state == VIX_OVER)) {
    pthread_rwlock_wrlock(&v->lock);
    rc = load(db, t, v);
    if (rc) {
      vix_drop_graph(st, v);
      v->state = VIX_EMPTY;
    }
    pthread_rwlock_unlock(&v->lock);
  }
  *out = v;
  return rc;
}

/* ---- a transaction's changes ----
** Staging only records what each entity's node must become; the graphs
** change at commit (vix_before_commit), so readers never walk a change
** that is not being committed, and a transaction that is abandoned (or a
** remdb_validate dry run) leaves the graphs alone. */

typedef struct vix_op {
  vix *v;
  uuid16_t id;
  float *vec; /* the new vector (owned), or NULL: no node */
} vix_op;

struct vix_txn {
  vix **touched; /* graphs this transaction holds (v->held) */
  size_t ntouched, captouched;
  vix_op *ops;
  size_t nops, capops;
  bool applied; /* some graph changed in memory: storage must follow */
  size_t bytes; /* held by ops and their vectors */
};

size_t vix_txn_bytes(const vix_txn *x) {
  return x->bytes + x->capops * sizeof(vix_op);
}

static void txn_release(remdb *db, vix_txn *x) {
  pthread_mutex_lock(&db->st->vmu);
  for (size_t i = 0; i < x->ntouched; i++) x->touched[i]->held = false;
  pthread_mutex_unlock(&db->st->vmu);
  for (size_t i = 0; i < x->nops; i++) free(x->ops[i].vec);
  x->ntouched = x->nops = 0;
  x->bytes = 0;
  x->applied = false;
}

void vix_txn_free(remdb *db, vix_txn *x) {
  if (x == NULL) return;
  txn_release(db, x);
  free(x->touched);
  free(x->ops);
  free(x);
}

static int touch(wtx_t *w, vix *v, vix_txn **out) {
  remdb *db = wtx_db(w);
  vix_txn **xp = wtx_vix(w), *x = *xp;
  if (x == NULL && (x = *xp = calloc(1, sizeof *x)) == NULL)
    return err_nomem(&db->err);
  *out = x;
  for (size_t i = 0; i < x->ntouched; i++)
    if (x->touched[i] == v) return REMDB_OK;
  if (x->ntouched == x->captouched) {
    size_t nc = x->captouched ? x->captouched * 2 : 4;
    vix **nl = realloc(x->touched, nc * sizeof *nl);
    if (nl == NULL) return err_nomem(&db->err);
    x->touched = nl;
    x->captouched = nc;
  }
  x->touched[x->ntouched++] = v;
  pthread_mutex_lock(&db->st->vmu);
  v->held = true;
  pthread_mutex_unlock(&db->st->vmu);
  return REMDB_OK;
}

int vix_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const float *vec) {
  remdb *db = wtx_db(w);
  vix *v;
  vix_txn *x = NULL;
  int rc = writer_entry(db, t, &v);
  if (rc == REMDB_OK) rc = touch(w, v, &x);
  if (rc) return rc;
  if (v->state == VIX_OVER) {
    /* no graph in memory: the stored one falls behind, say so durably */
    unsigned char sk[8];
    stale_key(db, t->table_id, sk);
    kv_batch_put(wtx_batch(w), KV_VECTOR, sk, sizeof sk, "stale", 5);
    return REMDB_OK;
  }
  if (x->nops == x->capops) {
    size_t nc = x->capops ? x->capops * 2 : 16;
    vix_op *no = realloc(x->ops, nc * sizeof *no);
    if (no == NULL) return err_nomem(&db->err);
    x->ops = no;
    x->capops = nc;
  }
  vix_op *op = &x->ops[x->nops];
  op->v = v;
  op->id = *id;
  op->vec = NULL;
  if (vec) {
    size_t bytes = (size_t)t->embedding.dim * sizeof *vec;
    if ((op->vec = malloc(bytes)) == NULL) return err_nomem(&db->err);
    memcpy(op->vec, vec, bytes);
    x->bytes += bytes;
  }
  x->nops++;
  return REMDB_OK;
}

/* Apply one op to its graph (write lock held); 0 or -1 (out of memory). */
static int apply(vix *v, const vix_op *op) {
  uint32_t n = hnsw_lookup(v->g, op->id.b);
  if (op->vec && n != HNSW_NONE && hnsw_same_vector(v->g, n, op->vec))
    return 0;
  int bad = n != HNSW_NONE ? hnsw_remove(v->g, n) : 0;
  if (op->vec && bad == 0) bad = hnsw_insert(v->g, op->id.b, op->vec);
  return bad;
}

int vix_before_commit(wtx_t *w) {
  remdb *db = wtx_db(w);
  vix_txn *x = *wtx_vix(w);
  if (x == NULL) return REMDB_OK;
  kv_batch_t *kb = wtx_batch(w);
  for (size_t i = 0; i < x->ntouched; i++) {
    vix *v = x->touched[i];
    if (v->state != VIX_READY) continue;
    pthread_rwlock_wrlock(&v->lock);
    int bad = 0;
    for (size_t j = 0; j < x->nops && bad == 0; j++)
      if (x->ops[j].v == v) bad = apply(v, &x->ops[j]);
    x->applied = true;
    if (bad) {
      /* out of memory half way: this graph is lost; storage keeps the old
      ** nodes and learns that they are incomplete */
      vix_drop_graph(db->st, v);
      v->state = VIX_EMPTY;
      pthread_rwlock_unlock(&v->lock);
      unsigned char sk[8];
      stale_key(db, v->tbl, sk);
      kv_batch_put(kb, KV_VECTOR, sk, sizeof sk, "stale", 5);
      continue;
    }
    const unsigned char *gone;
    size_t ng = hnsw_gone(v->g, &gone);
    unsigned char k[KEY_ENTITY_LEN + 1];
    for (size_t j = 0; j < ng; j++) {
      node_key(db, v->tbl, gone + j * 16, k);
      kv_batch_del(kb, KV_VECTOR, k, sizeof k);
    }
    const uint32_t *dirty;
    size_t nd = hnsw_dirty(v->g, &dirty);
    int rc = REMDB_OK;
    for (size_t j = 0; j < nd && rc == REMDB_OK; j++) {
      if (hnsw_lookup(v->g, hnsw_node_id(v->g, dirty[j])) != dirty[j])
        continue; /* removed since: its id is in the gone list */
      size_t len;
      unsigned char *rec = hnsw_encode(v->g, dirty[j], &len);
      if (rec == NULL) {
        rc = err_nomem(&db->err);
        break;
      }
      node_key(db, v->tbl, hnsw_node_id(v->g, dirty[j]), k);
      kv_batch_put(kb, KV_VECTOR, k, sizeof k, rec, len);
      free(rec);
    }
    if (rc == REMDB_OK) head_put(db, kb, v->tbl, v->g);
    pthread_rwlock_unlock(&v->lock);
    if (rc) return rc; /* the commit fails: vix_after_commit reloads */
  }
  return REMDB_OK;
}

void vix_after_commit(wtx_t *w, bool committed) {
  remdb *db = wtx_db(w);
  store_t *st = db->st;
  vix_txn *x = *wtx_vix(w);
  if (x == NULL) return;
  for (size_t i = 0; i < x->ntouched; i++) {
    vix *v = x->touched[i];
    pthread_rwlock_wrlock(&v->lock);
    if (v->state == VIX_OVER && committed) {
      v->state = VIX_STALE; /* the batch held the marker */
    } else if (v->state == VIX_READY && committed) {
      hnsw_clear_changes(v->g);
      size_t b = hnsw_bytes(v->g);
      pthread_mutex_lock(&st->vmu);
      st->vix_bytes = st->vix_bytes - v->bytes + b;
      v->bytes = b;
      bool over = st->vix_bytes > st->opts.vector_cache_bytes;
      pthread_mutex_unlock(&st->vmu);
      if (over) { /* grown past the limit: the next use decides again */
        vix_drop_graph(st, v);
        v->state = VIX_EMPTY;
      }
    } else if (v->state == VIX_READY && x->applied) {
      /* memory holds changes storage does not: read it again */
      vix_drop_graph(st, v);
      v->state = VIX_EMPTY;
    }
    pthread_rwlock_unlock(&v->lock);
  }
  txn_release(db, x);
}

/* ---- readers ---- */

/* hnsw_source.fetch of a lazy graph: each node's vector and stored form,
** in one batched read (RocksDB sorts the keys; a vector and its node are
** neighbours, usually in one block).  A node is found when both are
** there, as load() takes a node only then. */
static int fetch_nodes(void *ctx, size_t n, const unsigned char *ids,
                       float *vecs, unsigned char **recs, size_t *lens,
                       bool *found) {
  lazy_src *s = ctx;
  remdb *db = s->db;
  size_t m = 2 * n, kw = KEY_ENTITY_LEN + 1;
  unsigned char *kb = malloc(m * kw);
  const char **keys = calloc(m, sizeof *keys);
  size_t *kl = calloc(m, sizeof *kl);
  kv_val *vals = calloc(m, sizeof *vals);
  bool *fnd = calloc(m, sizeof *fnd);
  int rc = kb && keys && kl && vals && fnd ? REMDB_OK : err_nomem(&db->err);
  for (size_t i = 0; rc == REMDB_OK && i < n; i++) {
    unsigned char *vk = kb + 2 * i * kw, *nk = vk + kw;
    key_entity(vk, db->tid, s->tbl, ids + 16 * i);
    node_key(db, s->tbl, ids + 16 * i, nk);
    keys[2 * i] = (const char *)vk;
    kl[2 * i] = KEY_ENTITY_LEN;
    keys[2 * i + 1] = (const char *)nk;
    kl[2 * i + 1] = kw;
  }
  if (rc == REMDB_OK)
    rc = kv_multi_get(db->st->kv, NULL, KV_VECTOR, m, keys, kl, vals, fnd,
                      &db->err);
  for (size_t i = 0; rc == REMDB_OK && i < n; i++) {
    const kv_val *vv = &vals[2 * i], *nv = &vals[2 * i + 1];
    found[i] = fnd[2 * i] && vv->len == s->vbytes && fnd[2 * i + 1];
    if (!found[i]) continue;
    memcpy(vecs + i * (s->vbytes / sizeof *vecs), vv->data, s->vbytes);
    if ((recs[i] = malloc(nv->len ? nv->len : 1)) == NULL) {
      rc = err_nomem(&db->err);
      break;
    }
    memcpy(recs[i], nv->data, nv->len);
    lens[i] = nv->len;
  }
  for (size_t i = 0; vals && i < m; i++) kv_val_free(&vals[i]);
  free(kb);
  free(keys);
  free(kl);
  free(vals);
  free(fnd);
  s->rc = rc;
  return rc ? -1 : 0;
}

/* Search t's graph read as searched (a read-only store, graph not loaded;
** v pinned).  *used is false when it cannot: no entry record, a stale
** graph (v->state says so), storage contradicting itself, or its searches
** spent; the caller then loads the graph whole. */
static int lazy_search(remdb *db, const sch_table *t, vix *v,
                       const hnsw_params *p, const float *q, size_t k,
                       int ef, hnsw_filter_fn filter, void *ctx,
                       vix_hit *out, size_t *nout, size_t *visited,
                       bool *used) {
  store_t *st = db->st;
  *used = false;
  pthread_rwlock_wrlock(&v->lock); /* a lazy graph changes as it is read */
  int rc = REMDB_OK;
  if (v->state != VIX_EMPTY || v->lazy_off ||
      v->lazy_searches >= VIX_LAZY_SEARCHES)
    goto out;
  if (v->lazy && !same_params(p, &v->p)) vix_drop_graph(st, v);
  if (v->lazy == NULL) {
    v->p = *p;
    unsigned char sk[8], id[16];
    int level;
    kv_val sv;
    stale_key(db, t->table_id, sk);
    rc = kv_get(st->kv, NULL, KV_VECTOR, sk, sizeof sk, &sv, &db->err);
    if (rc == REMDB_OK) { /* as load() finds it: exact searches */
      kv_val_free(&sv);
      v->state = VIX_STALE;
      goto out;
    }
    if (rc != REMDB_NOTFOUND) goto out;
    rc = head_read(db, NULL, t->table_id, id, &level);
    if (rc == REMDB_NOTFOUND) { /* an older database: load it whole */
      err_clear(&db->err);
      rc = REMDB_OK;
      v->lazy_off = true;
      goto out;
    }
    if (rc) goto out;
    hnsw_source src = {fetch_nodes, &v->lsrc};
    if ((v->lazy = hnsw_new_lazy(p, &src, id, level)) == NULL) {
      rc = err_nomem(&db->err);
      goto out;
    }
  }
  v->lsrc = (lazy_src){db, t->table_id, (size_t)p->dim * sizeof(float),
                       REMDB_OK};
  hnsw_hit *hits = malloc(k * sizeof *hits);
  size_t got = hits ? hnsw_search(v->lazy, q, k, ef, filter, ctx, hits,
                                  visited)
                    : (size_t)-1;
  if (got == (size_t)-1) {
    if (hits && v->lsrc.rc) {
      rc = v->lsrc.rc; /* db->err says what */
    } else if (hits && hnsw_lazy_bad(v->lazy)) {
      v->lazy_off = true; /* verify will tell; a load skips what is bad */
      vix_drop_graph(st, v);
    } else {
      rc = err_nomem(&db->err);
    }
  } else {
    for (size_t i = 0; i < got; i++) {
      memcpy(out[i].id.b, hnsw_node_id(v->lazy, hits[i].node), 16);
      out[i].score = hnsw_score(v->lazy, hits[i].dist);
    }
    *nout = got;
    *used = true;
    v->lazy_searches++;
    size_t b = hnsw_bytes(v->lazy);
    pthread_mutex_lock(&st->vmu);
    st->vix_bytes = st->vix_bytes - v->bytes + b;
    v->bytes = b;
    bool over = st->vix_bytes > st->opts.vector_cache_bytes;
    pthread_mutex_unlock(&st->vmu);
    if (over) { /* the next search: a load decides what fits */
      vix_drop_graph(st, v);
      v->lazy_searches = VIX_LAZY_SEARCHES;
    }
  }
  free(hits);
out:
  pthread_rwlock_unlock(&v->lock);
  return rc;
}

/* Load t's graph for a reader: take the write lock unless this thread
** already holds it (a search inside its own write transaction). */
/* A reader waits for a writer's transaction at most this long before it
** searches exactly instead (a batch may hold the lock for long). */
#define READER_LOAD_WAIT_MS 100

static int reader_load(remdb *db, const sch_table *t, bool *busy) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += READER_LOAD_WAIT_MS * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  int r = pthread_mutex_timedlock(&db->st->wlock, &until);
  *busy = r == ETIMEDOUT;
  if (*busy) return REMDB_OK;
  if (r != 0 && r != EDEADLK)
    return err_set(&db->err, REMDB_ERROR, "lock failed (%d)", r);
  vix *v;
  int rc = writer_entry(db, t, &v);
  if (r == 0) pthread_mutex_unlock(&db->st->wlock);
  return rc;
}

int vix_search(remdb *db, const sch_table *t, const float *q, size_t k,
               int ef, hnsw_filter_fn filter, void *ctx, vix_hit *out,
               size_t *nout, size_t *visited, enum vix_route *route) {
  store_t *st = db->st;
  hnsw_params p;
  vix_params(t, &p);
  *nout = 0;
  *visited = 0;
  for (int attempt = 0; attempt < 3; attempt++) {
    pthread_mutex_lock(&st->vmu);
    vix *v = entry_for(st, db->tid, t->table_id);
    if (v) {
      v->pins++;
      v->tick = ++st->vix_tick;
    }
    pthread_mutex_unlock(&st->vmu);
    if (v == NULL) return err_nomem(&db->err);
    pthread_rwlock_rdlock(&v->lock);
    int rc = REMDB_OK;
    bool retry = false;
    if (v->state == VIX_READY && same_params(&p, &v->p)) {
      *route = VIX_ROUTE_HNSW;
      hnsw_hit *hits = malloc(k * sizeof *hits);
      size_t got = hits ? hnsw_search(v->g, q, k, ef, filter, ctx, hits,
                                      visited)
                        : (size_t)-1;
      if (got == (size_t)-1) {
        rc = err_nomem(&db->err);
      } else {
        for (size_t i = 0; i < got; i++) {
          memcpy(out[i].id.b, hnsw_node_id(v->g, hits[i].node), 16);
          out[i].score = hnsw_score(v->g, hits[i].dist);
        }
        *nout = got;
      }
      free(hits);
    } else if (v->state == VIX_STALE) {
      *route = VIX_ROUTE_STALE;
    } else if (v->state == VIX_OVER && same_params(&p, &v->p)) {
      *route = VIX_ROUTE_OVER;
    } else {
      retry = true;
    }
    pthread_rwlock_unlock(&v->lock);
    if (retry && rc == REMDB_OK && kv_read_only(st->kv)) {
      bool used = false;
      rc = lazy_search(db, t, v, &p, q, k, ef, filter, ctx, out, nout,
                       visited, &used);
      if (used) {
        *route = VIX_ROUTE_HNSW;
        retry = false;
      } else if (v->state == VIX_STALE) { /* it found the marker */
        *route = VIX_ROUTE_STALE;
        retry = false;
      } /* else: load the graph whole */
    }
    pthread_mutex_lock(&st->vmu);
    v->pins--;
    pthread_mutex_unlock(&st->vmu);
    if (!retry || rc) return rc;
    bool busy = false;
    if ((rc = reader_load(db, t, &busy))) return rc;
    if (busy) {
      *route = VIX_ROUTE_BUSY;
      return REMDB_OK;
    }
  }
  *route = VIX_ROUTE_OVER; /* kept being dropped: scan exactly */
  return REMDB_OK;
}

/* ---- rebuild (reindex) ---- */

int vix_rebuild(remdb *db, const sch_table *t) {
  store_t *st = db->st;
  unsigned char lo[8], hi[8];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  hnsw_params p;
  vix_params(t, &p);
  uint64_t rows = 0, deleted = 0;
  int rc = cnt_read(db, NULL, t->table_id, &rows, &deleted);
  if (rc) return rc;
  if (hnsw_estimate(&p, rows) > st->opts.vector_cache_bytes)
    return err_set(&db->err, REMDB_TOOBIG,
                   "%s: the vector index of %llu rows needs about %zu MiB, "
                   "over vector_cache_bytes (%zu MiB); raise it to rebuild",
                   t->name, (unsigned long long)rows,
                   hnsw_estimate(&p, rows) >> 20,
                   st->opts.vector_cache_bytes >> 20);
  hnsw *g = hnsw_new(&p);
  kv_batch_t *kb = kv_batch_new(st->kv);
  float *vec = malloc((size_t)p.dim * sizeof *vec);
  kv_iter_t *it = NULL;
  rc = g && kb && vec ? kv_iter_new(st->kv, NULL, KV_VECTOR, lo, 8, hi, 8, &it,
                                    &db->err)
                      : err_nomem(&db->err);
  cat_table *ct = cat_by_id(db, t->table_id);
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const char *val = kv_iter_value(it, &vl);
    if (kl != KEY_ENTITY_LEN || vl != (size_t)p.dim * sizeof(float)) continue;
    uuid16_t id;
    memcpy(id.b, k + 8, 16);
    kv_val ev = {0};
    rec_view rv;
    err_t saved = db->err;
    bool live = ct && ent_read(db, NULL, ct, &id, NULL, &ev, &rv) == REMDB_OK &&
                !rec_is_deleted(&rv);
    db->err = saved;
    kv_val_free(&ev);
    if (!live) continue;
    memcpy(vec, val, vl);
    if (hnsw_insert(g, id.b, vec) != 0) rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc == REMDB_OK) {
    /* every old node goes (del_range of the table's vector range would
    ** take the vectors): delete node keys one by one, then write all */
    rc = kv_iter_new(st->kv, NULL, KV_VECTOR, lo, 8, hi, 8, &it, &db->err);
    for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
         kv_iter_next(it)) {
      size_t kl;
      const char *k = kv_iter_key(it, &kl);
      if (kl != KEY_ENTITY_LEN) kv_batch_del(kb, KV_VECTOR, k, kl);
    }
    if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
  }
  const uint32_t *dirty;
  size_t nd = g ? hnsw_dirty(g, &dirty) : 0;
  for (size_t j = 0; rc == REMDB_OK && j < nd; j++) {
    size_t len;
    unsigned char k[KEY_ENTITY_LEN + 1], *rec = hnsw_encode(g, dirty[j], &len);
    if (rec == NULL) {
      rc = err_nomem(&db->err);
      break;
    }
    node_key(db, t->table_id, hnsw_node_id(g, dirty[j]), k);
    kv_batch_put(kb, KV_VECTOR, k, sizeof k, rec, len);
    free(rec);
  }
  if (rc == REMDB_OK) head_put(db, kb, t->table_id, g);
  if (rc == REMDB_OK) rc = kv_write(st->kv, kb, 1, &db->err);
  /* the next use loads what was written */
  pthread_mutex_lock(&st->vmu);
  vix *v = entry_for(st, db->tid, t->table_id);
  pthread_mutex_unlock(&st->vmu);
  if (v) {
    pthread_rwlock_wrlock(&v->lock);
    vix_drop_graph(st, v);
    v->state = VIX_EMPTY;
    pthread_rwlock_unlock(&v->lock);
  }
  hnsw_free(g);
  kv_batch_free(kb);
  free(vec);
  return rc;
}

int vix_mark_stale(remdb *db, uint32_t tbl) {
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  if (kb == NULL) return err_nomem(&db->err);
  unsigned char sk[8];
  stale_key(db, tbl, sk);
  kv_batch_put(kb, KV_VECTOR, sk, sizeof sk, "stale", 5);
  int rc = kv_write(db->st->kv, kb, 1, &db->err);
  kv_batch_free(kb);
  vix_forget(db, tbl); /* the next use reads the marker */
  return rc;
}

void vix_forget(remdb *db, uint32_t tbl) {
  store_t *st = db->st;
  pthread_mutex_lock(&st->vmu);
  vix *v = NULL;
  for (vix *x = st->vix; x; x = x->next)
    if (x->tid == db->tid && x->tbl == tbl) v = x;
  if (v) v->pins++;
  pthread_mutex_unlock(&st->vmu);
  if (v == NULL) return;
  pthread_rwlock_wrlock(&v->lock);
  vix_drop_graph(st, v);
  v->state = VIX_EMPTY;
  pthread_rwlock_unlock(&v->lock);
  pthread_mutex_lock(&st->vmu);
  v->pins--;
  pthread_mutex_unlock(&st->vmu);
}

int vix_stats(remdb *db, const sch_table *t, uint64_t *nodes, size_t *bytes,
              const char **state) {
  store_t *st = db->st;
  *nodes = 0;
  *bytes = 0;
  *state = "not loaded";
  pthread_mutex_lock(&st->vmu);
  vix *v = NULL;
  for (vix *x = st->vix; x; x = x->next)
    if (x->tid == db->tid && x->tbl == t->table_id) v = x;
  if (v) v->pins++;
  pthread_mutex_unlock(&st->vmu);
  if (v == NULL) return REMDB_OK;
  pthread_rwlock_rdlock(&v->lock);
  static const char *const names[] = {"not loaded", "in memory", "stale",
                                      "over the cache limit"};
  *state = names[v->state];
  if (v->g) {
    *nodes = hnsw_count(v->g);
    *bytes = v->bytes;
  } else if (v->lazy) {
    *state = "read as searched";
    *nodes = hnsw_count(v->lazy);
    *bytes = v->bytes;
  }
  pthread_rwlock_unlock(&v->lock);
  pthread_mutex_lock(&st->vmu);
  v->pins--;
  pthread_mutex_unlock(&st->vmu);
  return REMDB_OK;
}

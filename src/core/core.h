/*
** core.h: the engine behind remdb.h.  It ties the layers together: a
** handle (remdb) is a tenant's view of a shared store (RocksDB + catalog
** version), entities flow JSON -> validate (schema/) -> record (record/)
** -> keys and index entries (index/, kv/) -> one write batch.
**
** Locking: store->wlock serialises every writer of the database (single
** entity writes, batches, schema changes, rebuilds), so a write's read of
** the old entity and its commit are atomic with respect to other writers.
** Readers take no lock; RocksDB gives each read a committed state.
*/
#ifndef REMDB_CORE_H
#define REMDB_CORE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../index/idx.h"
#include "../kv/kv.h"
#include "../record/rec.h"
#include "../schema/sch.h"
#include "../util/util.h"
#include "../vector/hnsw.h"
#include "remdb.h"

typedef struct store {
  kv_t *kv;
  char *path;
  remdb_options opts;
  pthread_mutex_t wlock; /* error-checking: relock by the owner is misuse */
  pthread_mutex_t reflock;
  int refs;
  atomic_uint_fast64_t epoch; /* catalog seqlock: odd while a change commits */
  /* tokens of the journaled batches open in this process (guarded by
  ** reflock): an open's recovery leaves their journals alone */
  unsigned char (*jlive)[8];
  size_t njlive;
  /* row counters cached for writers (guarded by wlock) */
  struct cnt_slot *cnt;
  size_t ncnt, capcnt;
  /* vector indexes in memory (vindex.c); the list and byte count are
  ** guarded by vmu, each graph by its own rwlock */
  pthread_mutex_t vmu;
  struct vix *vix;
  size_t vix_bytes;
  uint64_t vix_tick;
} store_t;

/* One table of the handle's catalog cache. */
typedef struct cat_table {
  sch_table *s;
  json_t *rebuild; /* pending rebuild spec from the stored record, or NULL */
} cat_table;

struct remdb {
  store_t *st;
  char tenant[65];
  uint32_t tid; /* 0: the tenant has no data yet (read-only open) */
  err_t err;
  sch_limits lim;
  cat_table *tables;
  uint32_t ntables;
  uint64_t epoch; /* of the cached catalog */
  /* While set, SQL on this handle reads this snapshot instead of taking
  ** its own (a search's filter reads what the search reads); pin_epoch is
  ** the catalog epoch it agrees with.  Not owned. */
  kv_snap_t *pin;
  uint64_t pin_epoch;
  buf_t kbuf, vbuf; /* scratch for single-entity writes */
  void *sql;                /* the SQL session (sql/), created on demand */
  void (*sql_free)(void *); /* ...and how to free it: core knows no SQL */
};

/* ---- db.c */
int core_lock(remdb *db);
void core_unlock(remdb *db);
/* Allocate a fresh id for a tenant or table (caller holds wlock). */
int core_next_id(remdb *db, kv_batch_t *kb, uint32_t *out);
/* A reader that meets a pending index rebuild: "" if a writer may be doing
** it, else a hint to open the database read-write (which finishes it). */
const char *core_rebuild_hint(remdb *db);
/* Stage into kb (a batch of another store: a backup) the database-wide
** keys a copy of db's tenant needs: the format version, the id counter
** and the tenant's directory entry, as snap sees them. */
int core_copy_globals(remdb *db, const kv_snap_t *snap, kv_batch_t *kb);

/* ---- catalog.c */
/* Refresh the cached catalog if another handle changed it (waits while a
** change is committing). */
int cat_refresh(remdb *db);
void cat_clear(remdb *db);
/* Refresh the catalog and take a data snapshot that agrees with it: no
** catalog change committed between the two.  Readers that trust the
** catalog about the data (an index is complete) read through this
** snapshot.  *out is the caller's, freed with kv_snap_free. */
int cat_snapshot(remdb *db, kv_snap_t **out);
/* The table named `name`, else REMDB_NOTFOUND with a message.  cat_find
** refreshes first; cat_lookup searches the cached catalog as it is. */
int cat_find(remdb *db, const char *name, cat_table **out);
int cat_lookup(remdb *db, const char *name, cat_table **out);
cat_table *cat_by_id(remdb *db, uint32_t table_id);
/* Is field f of t indexed, with its entries complete (no rebuild of it
** pending)?  Readers use an index only then. */
bool cat_index_ready(const cat_table *t, uint16_t f);
/* Finish any rebuild left pending by a crash (caller holds wlock). */
int cat_resume(remdb *db);
/* Stage the stored form of table s, with a rebuild spec or NULL. */
int cat_put_record(remdb *db, kv_batch_t *kb, const sch_table *s,
                   json_t *rebuild);
/* Commit a batch that changes the catalog, synced, with the epoch odd
** while it commits (caller holds wlock). */
int cat_commit(remdb *db, kv_batch_t *kb);

/* ---- wtx.c: write transactions ----------------------------------------
** Every write goes through a wtx: it holds the store's write lock from the
** first staged change to commit/free, stages changes into one RocksDB write
** batch, remembers the versions it staged (so a later change in the same
** transaction sees them as the old version), and keeps the per-table row
** counters (meta key TID 'C' TBL -> u64 rows, u64 soft-deleted) in the
** same batch. */
typedef struct wtx wtx_t;

int wtx_begin(remdb *db, wtx_t **out);
/* A transaction for a caller that already holds the write lock. */
int wtx_begin_held(remdb *db, wtx_t **out);
/* Take the write lock now (done implicitly by the first change), then
** bring the catalog up to date: cat_table pointers taken before it are
** stale. */
int wtx_lock(wtx_t *w);
bool wtx_locked(const wtx_t *w);
/* Commit everything staged (sync < 0: the handle's default), then empty
** the transaction and release the lock.  The transaction stays usable. */
int wtx_commit(wtx_t *w, int sync);
/* Drop everything staged and release the lock.  NULL is a no-op. */
void wtx_free(wtx_t *w);
size_t wtx_count(const wtx_t *w);
/* Memory the transaction holds for what it staged: the write batch, the
** versions it remembers and its vector-index changes. */
size_t wtx_bytes(const wtx_t *w);
/* Has entity id been staged by this transaction (since its last commit)? */
bool wtx_staged(wtx_t *w, const uuid16_t *id);
/* A journaled transaction (a large batch, write.c): inserts stage a journal
** entry under token tok (NULL: none), and the write lock, once taken, is
** kept across commits (the batch's parts) until wtx_release or wtx_free. */
void wtx_set_journal(wtx_t *w, const unsigned char *tok);
/* Release the lock a journaled transaction keeps, if nothing is staged. */
void wtx_release(wtx_t *w);
/* Drop everything staged (the lock stays as wtx_set_journal says). */
void wtx_drop(wtx_t *w);
const unsigned char *wtx_journal(const wtx_t *w);
remdb *wtx_db(wtx_t *w);
kv_batch_t *wtx_batch(wtx_t *w);
/* After a failure that left part of a change in the batch: the commit
** will refuse, writing nothing. */
void wtx_poison(wtx_t *w);
/* The transaction's vector-index changes (vindex.c owns them). */
struct vix_txn **wtx_vix(wtx_t *w);

/* The current version of entity id as this transaction sees it (staged
** first, then stored).  table may be NULL (id directory).  On success rv
** views bytes owned by val or by the transaction. */
int wtx_read(wtx_t *w, const cat_table *table, const uuid16_t *id,
             cat_table **table_out, kv_val *val, rec_view *rv);
/* Stage entity id of t with the record nrec (old: its previous version or
** NULL).  Index entries, id directory and counters follow.  remember: keep
** a copy so later changes in this transaction see it (not needed for a
** freshly generated id, which nothing else can name yet). */
int wtx_put(wtx_t *w, const sch_table *t, const uuid16_t *id,
            const rec_view *old, const char *nrec, size_t nlen,
            bool remember);
/* Stage the removal of entity id (old: its current version). */
int wtx_remove(wtx_t *w, const sch_table *t, const uuid16_t *id,
               const rec_view *old);

/* Stage into kb the removal of every edge touching id (both keys of each). */
int edges_stage_removal(remdb *db, kv_batch_t *kb, const uuid16_t *id);

/* Row counters of a table as stored (rows include soft-deleted ones). */
int cnt_read(remdb *db, const kv_snap_t *snap, uint32_t tbl, uint64_t *rows,
             uint64_t *deleted);
/* Stage counters (rows, deleted) for table tbl, replacing the stored ones
** (reindex recomputes them).  Caller holds wlock. */
void cnt_stage(remdb *db, kv_batch_t *kb, uint32_t tbl, uint64_t rows,
               uint64_t deleted);
/* Forget the store's cached counters (after a rebuild wrote new ones). */
void cnt_forget(remdb *db);

/* ---- keys.c: the key index (key_field values and names, across tables) */
typedef struct lkeys {
  char buf[2][KEY_LOOKUP_MAX + 32];
  size_t len[2];
  int n;
} lkeys;
/* The lookup keys of record v of table t (none if v is NULL). */
void lookup_keys(const sch_table *t, const rec_view *v, lkeys *out);
/* The normalised form of a key (out holds at least n bytes). */
size_t lookup_normalize(const char *k, size_t n, char *out);
/* Stage the key-index changes from version old to nw (either NULL). */
void lookup_stage(remdb *db, kv_batch_t *kb, const sch_table *t,
                  const uuid16_t *id, const rec_view *old,
                  const rec_view *nw);

/* Stage the removal of table tbl's key-index entries (0: every table's). */
int lookup_drop_table(remdb *db, kv_batch_t *kb, uint32_t tbl);

/* ---- vectors.c: embeddings in the write path */
/* The vector of entity obj of table t, as the write path stores it: from
** its explicit "embedding" (removed from obj) or the table's provider.
** out holds t->embedding.dim floats; *has is false when there is none. */
int vec_for_entity(remdb *db, const sch_table *t, json_t *obj, float *out,
                   bool *has);
/* The text t's provider embeds for entity obj: its embedding_fields that
** hold strings, joined by newlines (empty: nothing to embed).  Appended to
** out, which the caller owns; REMDB_NOMEM if it ran out of memory. */
int vec_text(remdb *db, const sch_table *t, json_t *obj, buf_t *out);
/* Embed n texts with t's provider (hash or http) into out[n * dim].  With
** http this is a network call: every failure is an error naming it. */
int vec_embed(remdb *db, const sch_table *t, size_t n,
              const char *const *texts, const size_t *lens, float *out);
/* Stage the vector of id (vec NULL: remove it) and its node in the
** table's vector index (present only while the entity is live). */
int vec_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const float *vec, bool live);

/* ---- vindex.c: each table's HNSW index, stored with its vectors ---- */
typedef struct vix vix;
typedef struct vix_txn vix_txn;
typedef struct vix_hit {
  uuid16_t id;
  float score;
} vix_hit;
enum vix_route {
  VIX_ROUTE_HNSW,  /* the graph answered */
  VIX_ROUTE_STALE, /* the stored graph is incomplete: scan exactly */
  VIX_ROUTE_OVER,  /* over vector_cache_bytes: scan exactly */
  VIX_ROUTE_BUSY   /* not loaded, and a writer holds the lock: exactly */
};
void vix_params(const sch_table *t, hnsw_params *p);
/* Writer: id's node must match vec (NULL: no node) once the transaction
** commits; the graph and the batch change at commit. */
int vix_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const float *vec);
/* wtx_commit: apply the changes to the graphs and stage the changed
** nodes; after the write, settle memory with storage (committed or not).
** vix_txn_free releases what an unfinished transaction recorded. */
int vix_before_commit(wtx_t *w);
void vix_after_commit(wtx_t *w, bool committed);
void vix_txn_free(remdb *db, vix_txn *x);
/* Memory held by the staged changes. */
size_t vix_txn_bytes(const vix_txn *x);
/* Reader: the k nearest live-in-the-graph nodes to q passing filter, by
** HNSW with ef candidates; *route says whether the graph could answer
** (if not, nothing is returned and the caller scans exactly). */
int vix_search(remdb *db, const sch_table *t, const float *q, size_t k,
               int ef, hnsw_filter_fn filter, void *ctx, vix_hit *out,
               size_t *nout, size_t *visited, enum vix_route *route);
/* Rebuild t's stored graph from its live vectors (wlock held). */
int vix_rebuild(remdb *db, const sch_table *t);
int vix_stats(remdb *db, const sch_table *t, uint64_t *nodes, size_t *bytes,
              const char **state);
void vix_free_all(store_t *st);
/* Drop t's graph from memory (its table was dropped; writer). */
void vix_forget(remdb *db, uint32_t tbl);
/* Mark t's stored graph incomplete (searches go exact until reindex). */
int vix_mark_stale(remdb *db, uint32_t tbl);

/* ---- write.c: entity operations over a wtx */
int ent_insert(wtx_t *w, const char *table, const char *json, size_t len,
               char id_out[REMDB_ID_LEN + 1]);
/* ent_insert with flags.  ENT_NEW: a live entity with the same id (given,
** or derived from the key) is a conflict, REMDB_EXISTS with nothing
** staged, instead of being replaced (SQL's INSERT OR IGNORE/ABORT/FAIL). */
enum { ENT_NEW = 1 };
int ent_insert_ex(wtx_t *w, const char *table, const char *json, size_t len,
                  int flags, char id_out[REMDB_ID_LEN + 1]);
int ent_update(wtx_t *w, const uuid16_t *id, json_t *patch);
/* ent_update with flags.  ENT_SET: each member of the patch replaces the
** property's value whole, an object too (SQL's UPDATE ... SET); null still
** removes it.  Without it the patch is an RFC 7386 merge patch. */
enum { ENT_SET = 2 };
int ent_update_ex(wtx_t *w, const uuid16_t *id, json_t *patch, int flags);
int ent_delete(wtx_t *w, const uuid16_t *id, int flags);
/* The id an entity of t whose key_field value is kv (not null) gets. */
int ent_key_id(remdb *db, const sch_table *t, const json_t *kv,
               uuid16_t *id);
/* Roll back journaled batches of db's tenant (caller holds wlock): the one
** with token tok, or (tok NULL) every one no batch of this process has
** open: each entity journaled gets back the version it had (or is removed
** if it was new), in batches, deleting the journal as it goes. */
int journal_rollback(remdb *db, const unsigned char *tok);
/* Does db's tenant hold a journal no batch of this process has open? */
bool journal_pending(remdb *db);

/* The id of chunk `ordinal` of uri in a table whose ids derive from uri and
** chunk_ordinal (the same id ent_insert gives it). */
int ent_uri_id(remdb *db, const sch_table *t, const char *uri,
               int64_t ordinal, uuid16_t *id);

/* ---- rebuild.c */
/* Rebuild the derived data of t: for each entity, re-encode it under the
** current schema if `reencode`, and (re)write the index entries of the
** listed fields (all indexed fields if fields is NULL) and its id-directory
** entry.  Commits in batches.  Caller holds wlock. */
int ent_rebuild(remdb *db, const cat_table *t, bool reencode,
                const uint16_t *fields, uint32_t nfields);

/* ---- read.c */
/* Read the record of id (the caller has refreshed the catalog: table
** pointers stay valid for the whole API call).  *table_out (may be NULL) gets its table.  With
** table NULL the id directory is consulted.  v holds the pinned value. */
int ent_read(remdb *db, const kv_snap_t *snap, const cat_table *table,
             const uuid16_t *id, cat_table **table_out, kv_val *val,
             rec_view *rv);
bool rec_is_deleted(const rec_view *rv);
/* Does entity id exist, not soft-deleted?  Leaves db's error alone. */
bool ent_live(remdb *db, const kv_snap_t *snap, const uuid16_t *id);
/* The same for an entity of table tbl, as ENT_MISSING (or unreadable),
** ENT_LIVE or ENT_DELETED (soft). */
enum { ENT_MISSING, ENT_LIVE, ENT_DELETED };
int ent_state(remdb *db, const kv_snap_t *snap, uint32_t tbl,
              const unsigned char *id);
/* The same for n ids at once (batched reads); live[i] answers ids[i]. */
void ent_live_many(remdb *db, const kv_snap_t *snap, const uuid16_t *ids,
                   size_t n, bool *live);
int ent_to_json(remdb *db, const cat_table *t, const uuid16_t *id,
                const rec_view *rv, buf_t *out);
/* Parse the id text of an API call. */
int parse_id(remdb *db, const char *id, uuid16_t *u);

/* End of an API call that returns text built in out: on success hand it
** to *json_out (NUL-terminated, caller frees with remdb_free), else drop
** it.  Always leaves out empty; returns the call's code. */
int core_hand_out(remdb *db, int rc, buf_t *out, char **json_out);

/* Parse JSON input of len bytes with remdb's limits; on error the message
** says where (line and column) and what. */
int core_parse_json(remdb *db, const char *what, const char *json, size_t len,
                    json_t **out);

#endif /* REMDB_CORE_H */

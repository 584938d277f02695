/*
** core.h: the engine behind remdb.h, as the layers above it (sql/, graph/,
** search/, ingest/) see it.  A handle (remdb) is a tenant's view of a
** shared store (RocksDB + catalog version).  Writes flow JSON -> validate
** (schema/) -> record (record/) -> keys and index entries (index/, kv/) ->
** one write batch (a write transaction, wtx).  Reads flow the other way
** through one read path: a scan of a table under an explicit snapshot
** (scan.c), which yields record views.
**
** Nothing here exposes storage: no RocksDB iterator, no key.  Core's own
** files include internal.h, which adds the storage-facing parts.
**
** Locking: store->wlock serialises every writer of the database (single
** entity writes, batches, schema changes, rebuilds), so a write's read of
** the old entity and its commit are atomic with respect to other writers.
** Readers take no lock; a snapshot gives each read a committed state.
**
**   db.c       handles and the store          catalog.c  the tenant's tables
**   scan.c     the read path and snapshots    read.c     get, iterate, find
**   wtx.c      write transactions             write.c    insert/update/delete,
**   keys.c     the key index (lookup)                    batches, journal
**   lookup.c   remdb_lookup                   vectors.c  embeddings on write
**   vindex.c   each table's HNSW index        rebuild.c  reindex, schema change
**   maint.c    verify, stats, backup          hooks.c    what core reaches
**                                                        through layers above
*/
#ifndef REMDB_CORE_H
#define REMDB_CORE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../index/idx.h"
#include "../record/rec.h"
#include "../schema/sch.h"
#include "../util/util.h"
#include "../vector/hnsw.h"
#include "remdb.h"

/* Storage handles, opaque above core (src/kv/kv.h defines them). */
typedef struct kv kv_t;
typedef struct kv_snap kv_snap_t;
typedef struct kv_batch kv_batch_t;

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
  struct fts_cache *fts; /* full-text writer state (fts.c; wlock) */
  /* the columnar copy (columns.c): the writer's table state (wlock) and
  ** the decoded-column cache (cmu) */
  pthread_mutex_t cmu;
  struct col_store *col;
  uint32_t format; /* the database's format version (kv.h) */
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
  buf_t kbuf, vbuf; /* scratch for single-entity writes */
  void *sql;                /* the SQL session (sql/), created on demand */
  void (*sql_free)(void *); /* ...and how to free it: core knows no SQL */
};

/* ---- catalog.c ---------------------------------------------------------- */
/* Refresh the cached catalog if another handle changed it (waits while a
** change is committing).  cat_table pointers taken before it are stale. */
int cat_refresh(remdb *db);
/* The table named `name`, else REMDB_NOTFOUND with a message.  cat_find
** refreshes first; cat_lookup searches the cached catalog as it is. */
int cat_find(remdb *db, const char *name, cat_table **out);
int cat_lookup(remdb *db, const char *name, cat_table **out);
cat_table *cat_by_id(remdb *db, uint32_t table_id);
/* Is field f of t indexed, with its entries complete (no rebuild of it
** pending)?  Readers use an index only then. */
bool cat_index_ready(const cat_table *t, uint16_t f);
/* A reader that meets a pending index rebuild: "" if a writer may be doing
** it, else a hint to open the database read-write (which finishes it). */
const char *core_rebuild_hint(remdb *db);

/* ---- scan.c: snapshots ---------------------------------------------------
** A snapshot is one committed state of the store, together with the
** catalog epoch it agrees with: no catalog change committed between the
** catalog the handle had cached when it was taken and the data it reads.
** Every read takes one (a statement, a search and its filter, a
** traversal) and passes it down; nested work reads the same one.  A
** reader that trusts the catalog about the data (an index is complete)
** checks snap_current() first: a catalog refreshed since the snapshot was
** taken describes other data.  Reference counted; one thread at a time. */
typedef struct snap {
  store_t *st;
  kv_snap_t *kv;
  uint64_t epoch; /* the catalog epoch the data agrees with */
  unsigned refs;
} snap_t;

/* Refresh db's catalog and take a snapshot that agrees with it.  *out is
** the caller's reference, dropped with snap_release. */
int snap_take(remdb *db, snap_t **out);
snap_t *snap_retain(snap_t *s);
void snap_release(snap_t *s); /* NULL is a no-op */
/* Tests only: when set, called at the end of every snap_take (a test
** commits a write there, after a read took its snapshot). */
extern void (*snap_test_hook)(remdb *db);
/* Does db's cached catalog still describe s's data? */
static inline bool snap_current(const remdb *db, const snap_t *s) {
  return s != NULL && db->epoch == s->epoch;
}

/* ---- scan.c: the read path ---------------------------------------------
** A scan reads the rows of one table under a snapshot (NULL: the latest
** committed state, for estimates only), as the spec says:
**
**   SCAN_ALL    every row, in id order (desc: backwards)
**   SCAN_IDS    the rows of ids[0..nids) (any order, duplicates allowed)
**               that exist, in id order (desc: backwards)
**   SCAN_INDEX  the rows whose field `field` is in an IN list (in: vals,
**               each an OKEY value of idx.h, matched as a prefix: every
**               entry that starts with it; one value for an equality) or
**               in a range (lo, hi: OKEY values, NULL p for no bound;
**               nonnull: above NULL), in value order (desc: backwards).
**               The index must be ready (cat_index_ready), and the caller
**               sure the snapshot agrees with the catalog that said so.
**
** Soft-deleted rows are skipped unless `deleted`.  `limit` is a hint: the
** caller expects to read about that many rows (0: unknown).  A row is the
** entity's id and its record view, valid until the next step; fields are
** decoded only when asked for (rec_find). */
typedef struct scan scan_t;
enum scan_kind { SCAN_ALL, SCAN_IDS, SCAN_INDEX };
typedef struct scan_key {
  const void *p;
  size_t n;
} scan_key;
typedef struct scan_spec {
  enum scan_kind kind;
  bool desc;
  bool deleted;
  uint64_t limit;
  const uuid16_t *ids; /* SCAN_IDS */
  size_t nids;
  uint16_t field; /* SCAN_INDEX */
  bool in;
  const scan_key *vals;
  size_t nvals;
  scan_key lo, hi;
  bool lo_incl, hi_incl, nonnull;
  /* SCAN_INDEX: the ids of the entries only (rows' rv is empty), without
  ** reading the entities: soft-deleted rows' entries too */
  bool ids_only;
} scan_spec;
typedef struct scan_row {
  uuid16_t id;
  rec_view rv;
  uint64_t pos_hint; /* ids_only: the row position the index entry keeps
                     ** (a hint: colr_pos_many checks it), else UINT64_MAX */
} scan_row;

int scan_open(remdb *db, const snap_t *snap, const sch_table *t,
              const scan_spec *spec, scan_t **out);
/* Start scan s again, on another snapshot, table or spec, reusing its
** memory (a cursor that runs once per row of an outer loop).  On failure
** s may only be closed. */
int scan_restart(scan_t *s, const snap_t *snap, const sch_table *t,
                 const scan_spec *spec);
/* REMDB_ROW with *row set, REMDB_DONE at the end, or an error (an index
** entry without its entity is REMDB_CORRUPT). */
int scan_step(scan_t *s, const scan_row **row);
/* Keys visited and rows returned so far (for EXPLAIN). */
void scan_counts(const scan_t *s, uint64_t *examined, uint64_t *returned);
void scan_close(scan_t *s); /* NULL is a no-op */
/* Count over a spec, stopping at cap: SCAN_ALL from the row counters,
** SCAN_IDS the rows, SCAN_INDEX the index entries (soft-deleted rows'
** too), with *distinct the distinct values among them. */
int scan_count(remdb *db, const snap_t *snap, const sch_table *t,
               const scan_spec *spec, uint64_t cap, uint64_t *entries,
               uint64_t *distinct);
/* The stored vectors of table t: every one (ids NULL) in id order, or
** those of ids[0..n) in that order (ids without one are skipped).  fn gets
** the id and the t->embedding.dim floats (unaligned bytes); a non-zero
** return stops the scan.  Soft-deleted rows keep their vectors: ask
** scan_live when it matters. */
typedef int (*scan_vec_fn)(void *ctx, const unsigned char id[16],
                           const void *vec);
int scan_vectors(remdb *db, const snap_t *snap, const sch_table *t,
                 const uuid16_t *ids, size_t n, scan_vec_fn fn, void *ctx);
/* Does entity id of t exist under snap, not soft-deleted? */
bool scan_live(remdb *db, const snap_t *snap, const sch_table *t,
               const unsigned char id[16]);

/* ---- read.c: entities by id --------------------------------------------- */
/* An entity read by ent_get: its table and record view.  It holds the
** stored value until ent_row_free. */
typedef struct ent_row {
  cat_table *table;
  rec_view rv;
  struct {
    const char *data;
    size_t len;
    void *pin;
  } val; /* core's: the value the view reads */
} ent_row;
/* Read entity id under snap (NULL: the latest state).  table NULL: the id
** directory says which (the caller has refreshed the catalog: table
** pointers stay valid for the whole API call).  REMDB_NOTFOUND with a
** message if there is none.  Soft-deleted entities are returned too. */
int ent_get(remdb *db, const snap_t *snap, const cat_table *table,
            const uuid16_t *id, ent_row *out);
void ent_row_free(ent_row *r);
bool rec_is_deleted(const rec_view *rv);
/* Does entity id exist, not soft-deleted?  Leaves db's error alone. */
bool ent_live(remdb *db, const snap_t *snap, const uuid16_t *id);
/* The same for n ids at once (batched reads); live[i] answers ids[i]. */
void ent_live_many(remdb *db, const snap_t *snap, const uuid16_t *ids,
                   size_t n, bool *live);
int ent_to_json(remdb *db, const cat_table *t, const uuid16_t *id,
                const rec_view *rv, buf_t *out);
/* Parse the id text of an API call. */
int parse_id(remdb *db, const char *id, uuid16_t *u);
/* Row counters of a table as stored (rows include soft-deleted ones). */
int cnt_read(remdb *db, const snap_t *snap, uint32_t tbl, uint64_t *rows,
             uint64_t *deleted);

/* ---- lookup.c ----------------------------------------------------------- */
/* remdb_lookup under snap (which must agree with db's catalog). */
int lookup_run(remdb *db, const snap_t *snap, const char *const *keys,
               size_t nkeys, int flags, char **json_out);

/* ---- wtx.c: write transactions ----------------------------------------
** Every write goes through a wtx: it holds the store's write lock from the
** first staged change to commit/free, stages changes into one RocksDB write
** batch, remembers the versions it staged (so a later change in the same
** transaction sees them as the old version), and keeps the per-table row
** counters (meta key TID 'C' TBL -> u64 rows, u64 soft-deleted) in the
** same batch. */
typedef struct wtx wtx_t;

int wtx_begin(remdb *db, wtx_t **out);
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
/* The write batch (for the layers that own other keys: graph edges). */
kv_batch_t *wtx_batch(wtx_t *w);
/* The current version of entity id as this transaction sees it (staged
** first, then stored), as ent_get. */
int wtx_get(wtx_t *w, const cat_table *table, const uuid16_t *id,
            ent_row *out);
/* Is entity id live (exists, not soft-deleted) as the transaction sees
** it?  Leaves db's error alone. */
bool wtx_live(wtx_t *w, const uuid16_t *id);
/* The transaction stages an edge between a and b (the graph layer says
** so): a hard delete of either in it is refused, as it would leave the
** staged edge behind.  wtx_edge_end: is id such an end? */
int wtx_note_edge(wtx_t *w, const uuid16_t *a, const uuid16_t *b);
bool wtx_edge_end(wtx_t *w, const uuid16_t *id);

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
/* The id of chunk `ordinal` of uri in a table whose ids derive from uri and
** chunk_ordinal (the same id ent_insert gives it). */
int ent_uri_id(remdb *db, const sch_table *t, const char *uri,
               int64_t ordinal, uuid16_t *id);
/* A public batch's transaction, for an operation `op` other than an
** insert (the graph layer's edges): REMDB_MISUSE for a NULL or journaled
** batch (its journal undoes inserts only).  Clears the handle's error. */
int batch_op(remdb_batch *b, const char *op, wtx_t **w);

/* ---- vectors.c: embeddings */
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

/* ---- vindex.c: each table's HNSW index, searched ---------------------- */
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
/* Reader: the k nearest live-in-the-graph nodes to q passing filter, by
** HNSW with ef candidates; *route says whether the graph could answer
** (if not, nothing is returned and the caller scans exactly). */
int vix_search(remdb *db, const sch_table *t, const float *q, size_t k,
               int ef, hnsw_filter_fn filter, void *ctx, vix_hit *out,
               size_t *nout, size_t *visited, enum vix_route *route);

/* ---- hooks.c: what core reaches through the layers above it -----------
** Edges belong to the graph layer, which registers these when the library
** is wired (src/api/api.c), before the first handle opens. */
typedef void (*core_report_fn)(void *ctx, const char *problem);
typedef struct core_hooks {
  /* Stage into kb the removal of every edge touching id, both keys of
  ** each (a hard delete, a dropped table's rows; the writer holds the
  ** lock). */
  int (*edges_remove)(remdb *db, kv_batch_t *kb, const uuid16_t *id);
  /* remdb_verify's pass over the tenant's edges under snap: each problem
  ** goes to report. */
  int (*edges_verify)(remdb *db, const snap_t *snap, core_report_fn report,
                      void *ctx);
} core_hooks;
void core_set_hooks(const core_hooks *h);
/* Is id in the id directory under snap (an entity of some table)? */
bool ent_known(remdb *db, const snap_t *snap, const uuid16_t *id);

/* ---- db.c */
/* Open a handle (remdb_open and remdb_open_tenant, once the library is
** wired: src/api/api.c). */
int core_open(const char *path, const char *tenant, const remdb_options *opts,
              remdb **out);
int core_open_tenant(remdb *parent, const char *tenant, remdb **out);
/* The flags of an API call: REMDB_MISUSE naming the call and the unknown
** bits unless every bit set is one of `allowed`. */
int core_flags(remdb *db, const char *call, int flags, int allowed);
/* End of an API call that returns text built in out: on success hand it
** to *json_out (NUL-terminated, caller frees with remdb_free), else drop
** it.  Always leaves out empty; returns the call's code. */
int core_hand_out(remdb *db, int rc, buf_t *out, char **json_out);
/* Parse JSON input of len bytes with remdb's limits; on error the message
** says where (line and column) and what. */
int core_parse_json(remdb *db, const char *what, const char *json, size_t len,
                    json_t **out);

#endif /* REMDB_CORE_H */

/*
** internal.h: core's own interface between its files.  It adds to core.h
** what touches storage (src/kv/kv.h: keys, batches, raw snapshots) and the
** machinery of the write path; nothing outside src/core includes it.
*/
#ifndef REMDB_CORE_INTERNAL_H
#define REMDB_CORE_INTERNAL_H

#include <assert.h>

#include "../kv/kv.h"
#include "core.h"

/* ---- db.c */
int core_lock(remdb *db);
void core_unlock(remdb *db);
/* Does this thread hold db's store's write lock?  For asserts of the
** "caller holds the write lock" preconditions below. */
bool core_locked(const remdb *db);
/* Allocate a fresh id for a tenant or table (caller holds wlock). */
int core_next_id(remdb *db, kv_batch_t *kb, uint32_t *out);
/* Stage into kb (a batch of another store: a backup) the database-wide
** keys a copy of db's tenant needs: the format version, the id counter
** and the tenant's directory entry, as snap sees them. */
int core_copy_globals(remdb *db, const kv_snap_t *snap, kv_batch_t *kb);

/* ---- catalog.c */
void cat_clear(remdb *db);
/* Refresh the catalog and take a data snapshot that agrees with it: no
** catalog change committed between the two (snap_take wraps it).  *out
** is the caller's, freed with kv_snap_free. */
int cat_snapshot(remdb *db, kv_snap_t **out);
/* Finish any rebuild left pending by a crash (caller holds wlock). */
int cat_resume(remdb *db);
/* Stage the stored form of table s, with a rebuild spec or NULL. */
int cat_put_record(remdb *db, kv_batch_t *kb, const sch_table *s,
                   json_t *rebuild);
/* Commit a batch that changes the catalog, synced, with the epoch odd
** while it commits (caller holds wlock). */
int cat_commit(remdb *db, kv_batch_t *kb);

/* ---- wtx.c */
/* A transaction for a caller that already holds the write lock. */
int wtx_begin_held(remdb *db, wtx_t **out);
/* Memory the transaction holds for what it staged: the write batch, the
** versions it remembers and its vector-index changes. */
size_t wtx_bytes(const wtx_t *w);
/* Has entity id been staged by this transaction (since its last commit)? */
bool wtx_staged(wtx_t *w, const uuid16_t *id);
/* A journaled transaction (a large batch, write.c): inserts stage a journal
** entry under token tok (NULL: none). */
void wtx_set_journal(wtx_t *w, const unsigned char *tok);
const unsigned char *wtx_journal(const wtx_t *w);
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
** a copy so later changes in this transaction see it (every entity write:
** a caller may name even a freshly generated id again; a rebuild, which
** re-encodes rows in place, need not). */
int wtx_put(wtx_t *w, const sch_table *t, const uuid16_t *id,
            const rec_view *old, const char *nrec, size_t nlen,
            bool remember);
/* Stage the removal of entity id (old: its current version). */
int wtx_remove(wtx_t *w, const sch_table *t, const uuid16_t *id,
               const rec_view *old);

/* ---- columns.c: the columnar copy (colread.h is its reader) */
struct col_txn;
/* The transaction's column changes (columns.c owns them). */
struct col_txn **wtx_col(wtx_t *w);
/* Stage the column change of entity id of t, from old (NULL: an insert,
** which takes the next row position) to nw.  dirval/dirlen get the
** id-directory value an insert writes (its table and position; for an
** update the same, with the position it keeps; the table alone when it
** has none).  Index entries keep that position as their value. */
int col_stage_put(wtx_t *w, const sch_table *t, const uuid16_t *id,
                  const rec_view *old, const rec_view *nw,
                  unsigned char dirval[IDDIR_VAL_LEN], size_t *dirlen);
/* Stage the hard delete of entity id of t: its position goes invisible. */
int col_stage_remove(wtx_t *w, const sch_table *t, const uuid16_t *id);
/* Take back the latest col_stage_* (the caller rolled its batch back). */
void col_stage_undo(wtx_t *w);
/* wtx_commit: stage the position counters and merge segments with many
** deltas; after the write, settle the writer's state. */
/* ent_read saw entity id's id-directory value v (read at the latest
** state, after kv_latest_seq gave seq): an update's col_stage_put then
** takes its row position from it instead of reading it again. */
void col_dir_seen(remdb *db, uint64_t seq, const uuid16_t *id, const void *v,
                  size_t n);
int col_before_commit(wtx_t *w);
/* wtx_commit, after col_before_commit: the tail of table tbl's row
** counter (its pending rows as this commit leaves them), in tail
** (CNT_TAIL_MAX bytes), *tlen its length (0: none). */
int col_cnt_tail(wtx_t *w, uint32_t tbl, unsigned char *tail, size_t *tlen);
/* The most pending rows a table keeps (<= CNT_PEND_LIMIT; a variable so
** that tests and benches can change it; 0: none). */
extern uint32_t col_pend_max;
/* Tests only: when set and it returns nonzero, col_before_commit fails
** the commit (after staging its columns, pending rows settled). */
extern int (*col_test_commit_fail)(void);
void col_after_commit(wtx_t *w, bool committed);
void col_txn_free(struct col_txn *x);
size_t col_txn_bytes(const struct col_txn *x);
/* Rebuild a table's columns and positions from its entities in id order
** (ent_rebuild drives it): begin stages the removal of the old ones, row
** gives each entity its position (dirval/dirlen: its id-directory
** value), end stages the last segment. */
typedef struct col_build col_build;
int col_build_begin(remdb *db, const sch_table *t, kv_batch_t *kb,
                    col_build **out);
int col_build_row(remdb *db, col_build *b, kv_batch_t *kb, const uuid16_t *id,
                  const rec_view *rv, unsigned char dirval[IDDIR_VAL_LEN],
                  size_t *dirlen);
int col_build_end(remdb *db, col_build *b, kv_batch_t *kb);
void col_build_free(col_build *b);
/* Stage the removal of table tbl's columns (drop). */
void col_drop_stage(remdb *db, kv_batch_t *kb, uint32_t tbl);
/* Deltas of one segment that make a commit merge them into it (a
** variable so that tests can merge often). */
extern uint32_t col_merge_rows;
/* ... and at most this many for the last (growing) segment. */
extern uint32_t col_tail_merge_max;
/* The store's decoded-column cache: free it; bytes it holds. */
void col_store_free(store_t *st);
size_t col_cache_bytes(store_t *st);
/* Upgrade a database of format 1: stage into kb the marking of every
** table of every tenant for a rebuild (which gives rows positions and
** builds the columns; done by each tenant's next writable open, resumed
** after a crash); the caller records format 2 in the same batch. */
int col_upgrade(remdb *db, kv_batch_t *kb);
/* Verify t's columns against its entities at snap, in both directions. */
int col_verify(remdb *db, const snap_t *snap, const sch_table *t,
               core_report_fn report, void *ctx);
/* Append t's columns to a stats object: ,"columns":{...}. */
int col_stats(remdb *db, const sch_table *t, buf_t *out);

/* ---- hooks.c: through the registered hooks (core.h) */
int hook_edges_remove(remdb *db, kv_batch_t *kb, const uuid16_t *id);
int hook_edges_verify(remdb *db, const snap_t *snap, core_report_fn report,
                      void *ctx);

/* A columnar table's row counter value (u64be rows, u64be deleted) may
** carry a tail (format 7): the table's pending rows, its newest inserted
** rows that have no column delta of their own (columns.c): u8 n (1 ..
** CNT_PEND_LIMIT), u32be segment, then n times (u16be position in the
** segment, strictly ascending; the 16-byte entity id). */
#define CNT_PEND_LIMIT 64u
#define CNT_TAIL_MAX (5u + 18u * CNT_PEND_LIMIT)
/* Stage counters (rows, deleted) for table tbl, replacing the stored ones
** (reindex recomputes them; no tail: no pending rows).  Caller holds
** wlock. */
void cnt_stage(remdb *db, kv_batch_t *kb, uint32_t tbl, uint64_t rows,
               uint64_t deleted);
/* cnt_stage with a tail of tlen bytes (0: none). */
void cnt_stage_tail(remdb *db, kv_batch_t *kb, uint32_t tbl, uint64_t rows,
                    uint64_t deleted, const unsigned char *tail, size_t tlen);
/* cnt_read_kv that also gives the tail: tail (CNT_TAIL_MAX bytes) gets
** it, *tlen its length (0: none). */
int cnt_read_tail(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                  uint64_t *rows, uint64_t *deleted, unsigned char *tail,
                  size_t *tlen);
/* Forget the store's cached counters (after a rebuild wrote new ones). */
void cnt_forget(remdb *db);
/* cnt_read on a raw snapshot. */
int cnt_read_kv(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                uint64_t *rows, uint64_t *deleted);

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

/* ---- vectors.c */
/* Stage the vector of id (vec NULL: remove it) and its node in the
** table's vector index (present only while the entity is live). */
int vec_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const float *vec, bool live);

/* ---- vindex.c: each table's HNSW index, stored with its vectors ---- */
typedef struct vix vix;
typedef struct vix_txn vix_txn;
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
/* Rebuild t's stored graph from its live vectors (wlock held). */
int vix_rebuild(remdb *db, const sch_table *t);
int vix_stats(remdb *db, const sch_table *t, uint64_t *nodes, size_t *bytes,
              const char **state);
void vix_free_all(store_t *st);
/* Drop t's graph from memory (its table was dropped; writer). */
void vix_forget(remdb *db, uint32_t tbl);
/* Mark t's stored graph incomplete (searches go exact until reindex). */
int vix_mark_stale(remdb *db, uint32_t tbl);

/* ---- fts.c: each table's full-text index (ftsread.h reads it) */
/* Stage the index changes of entity id of t from version old to nw (either
** NULL); wtx_put and wtx_remove call it. */
int fts_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const rec_view *old, const rec_view *nw);
/* The transaction's document numbers (wtx.c holds them, fts.c owns them). */
struct fts_txn **wtx_fts(wtx_t *w);
void fts_txn_free(struct fts_txn *x);
/* After a commit or a drop: x emptied for the next transaction, or NULL
** (freed when it holds too much). */
struct fts_txn *fts_txn_reset(struct fts_txn *x);
size_t fts_txn_bytes(const struct fts_txn *x);
/* wtx_commit, before the write: stage the operands combined per key. */
int fts_before_commit(wtx_t *w);
/* Register the index column family's merge operator (before kv_open). */
void fts_register(void);
/* remdb_options.fts_merge_work's default (see "Incremental merges") */
#ifndef FTS_MERGE_WORK
#define FTS_MERGE_WORK (4u << 20)
#endif
void fts_cache_free(store_t *st);
/* Stage the 'built' mark of a new table's (empty) index. */
void fts_stage_created(remdb *db, kv_batch_t *kb, const sch_table *t);
/* Stage the removal of table tbl's whole index. */
void fts_drop_table(remdb *db, kv_batch_t *kb, uint32_t tbl);
/* Rebuild t's index from its entities (none if t has no "fulltext"), in
** batches, the 'built' mark last.  Caller holds wlock. */
int fts_rebuild(remdb *db, const sch_table *t);
/* verify's pass over t's index at snap: postings, term entries, lengths,
** statistics and document numbers against the entities, both ways. */
int fts_verify(remdb *db, const snap_t *snap, const cat_table *ct,
               core_report_fn report, void *ctx);
/* For stats: documents, terms, approximate bytes on disk, built or not. */
int fts_stats(remdb *db, const sch_table *t, uint64_t *docs, uint64_t *terms,
              uint64_t *bytes, bool *built);

/* ---- write.c */
/* Roll back journaled batches of db's tenant (caller holds wlock): the one
** with token tok, or (tok NULL) every one no batch of this process has
** open: each entity journaled gets back the version it had (or is removed
** if it was new), in batches, deleting the journal as it goes. */
int journal_rollback(remdb *db, const unsigned char *tok);
/* Does db's tenant hold a journal no batch of this process has open? */
bool journal_pending(remdb *db);

/* ---- rebuild.c */
/* Rebuild the derived data of t: for each entity, re-encode it under the
** current schema if `reencode`, and (re)write the index entries of the
** listed fields (all indexed fields if fields is NULL) and its id-directory
** entry.  Commits in batches.  Caller holds wlock. */
int ent_rebuild(remdb *db, const cat_table *t, bool reencode,
                const uint16_t *fields, uint32_t nfields);

/* ---- read.c */
/* Read the record of id on a raw snapshot (ent_get's machinery):
** *table_out (may be NULL) gets its table; val holds the pinned value. */
int ent_read(remdb *db, const kv_snap_t *snap, const cat_table *table,
             const uuid16_t *id, cat_table **table_out, kv_val *val,
             rec_view *rv);
/* Entity id of table tbl: ENT_MISSING (or unreadable), ENT_LIVE or
** ENT_DELETED (soft). */
enum { ENT_MISSING, ENT_LIVE, ENT_DELETED };
int ent_state(remdb *db, const kv_snap_t *snap, uint32_t tbl,
              const unsigned char *id);

#endif /* REMDB_CORE_INTERNAL_H */

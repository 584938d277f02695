/*
** kv.h: the storage layer.  It wraps RocksDB's C API, owns every RocksDB
** handle and turns RocksDB's `char **errptr` into remdb codes; nothing above
** this layer sees RocksDB.  It also defines, in one place, the layout of
** every key remdb writes.
**
** Layer: above util only.  Its users are core (src/core/internal.h) and
** the graph layer, which owns the edge keys; sql/, search/ and the layers
** above them read through core's scans and never include this header.
**
** ---- Column families ---------------------------------------------------
**   meta     format version, tenant directory, id counters, schemas
**   entity   entity records (record format: src/record/rec.h)
**   index    secondary-index entries and the id directory
**   edge     graph edges, forward and reverse (graph layer)
**   vector   embedding vectors and ANN graph (vector layer)
**
** ---- Keys --------------------------------------------------------------
** Integers are big-endian so that byte order is numeric order.  TID is the
** tenant's u32 id, TBL a table's u32 id (unique in the database, never
** reused, >= 1), FLD a field's u16 id within its table (see rec.h), ID the
** 16 raw bytes of an entity's UUID, and OKEY an order-preserving value
** encoding (src/index/okey.h).
**
**   meta    0x00000000 "format"     -> u32 record/key format version
**   meta    0x00000000 "next_id"    -> u32 last tenant/table id handed out
**   meta    0x00000000 'T' NAME     -> TID              (tenant directory)
**   meta    TID 'S' TABLE           -> schema record (JSON, see catalog.c)
**   meta    TID 'C' TBL             -> u64 rows, u64 soft-deleted rows
**   meta    TID 'J' TOKEN ID        -> the journal of an unfinished large
**           batch (TOKEN: 8 random bytes per batch): for entity ID, the
**           version it replaced (u32 TBL, u8 1, u32 record length, the
**           record, the vector's bytes if any) or that it was new (u32
**           TBL, u8 0).  Written in the same write batch as the entity;
**           the batch's last commit deletes them all; a batch that never
**           made it is rolled back from them (src/core/write.c)
**   entity  TID TBL ID              -> entity record
**   index   TID 0x00000000 ID       -> TBL POS          (id directory:
**           POS, u64, is the entity's row position in its table's
**           columns; a database of format 1 holds TBL alone until its
**           upgrade, and so does an entry written while its table's
**           columns are being rebuilt, which then gives it one)
**           Positions are dense, handed out at insert (one past the
**           highest the table's segments and deltas below hold), kept by
**           updates and deletes, never reused once committed; reindex
**           numbers them afresh.  A table without columns ("columnar":
**           false) keeps TBL alone.
**   index   TID 0x00000001 'K' KEY 0x00 ID -> TBL       (key index: the
**           entity's key_field value and its name, as text)
**   index   TID 0x00000001 'N' NORM 0x00 ID -> TBL      (the same keys
**           normalised: ASCII lowercased, punctuation and spaces dropped)
**   index   TID TBL FLD OKEY ID     -> be64 POS or empty (secondary index;
**           POS: the row's position when written, a hint the index route
**           checks against the id column, sql/ipos.c; empty without
**           columns, or written before it was kept)
**   index   TID 0x00000002 TBL 'M' SEG -> segment SEG's header (u32 SEG:
**           positions [SEG * 65536, (SEG + 1) * 65536)): its columns,
**           zone maps and visibility bitmap (src/core/columns.c)
**   index   TID 0x00000002 TBL 'C' SEG COL -> column COL (u16 field id,
**           0 the entity id) of segment SEG, encoded (src/column/col.h)
**   index   TID 0x00000002 TBL 'D' SEG EPOCH POS -> the row delta of
**           position POS (u64) of segment SEG: its column values as last
**           written, not yet merged into the segment (src/core/columns.c).
**           EPOCH (u32) is the segment header's: a merge writes the new
**           segment with EPOCH + 1 and deletes the deltas it folded, in
**           one batch, so later deltas never sit among their tombstones
**   edge    TID 'F' SRC TYPE 0x00 DST -> edge record (src/record/rec.h)
**   edge    TID 'R' DST TYPE 0x00 SRC -> the same edge record
**   vector  TID TBL ID              -> float32 vector
**   vector  TID TBL ID 'G'          -> the entity's HNSW node (its links;
**           stored form in src/vector/hnsw.h, kept by src/core/vindex.c)
**   vector  TID TBL                 -> "stale": the HNSW nodes do not cover
**           the vectors until reindex rebuilds them
**   vector  TID TBL 'H'             -> the HNSW graph's entry node: its 16-byte
**           id and u8 level, written with the nodes whenever they change
**           (absent in databases from before it: the graph is then loaded
**           whole)
**   index   TID 0x00000046 TBL KIND ...  the full-text index of table TBL
**           (src/core/fts.c; value formats in src/text/postings.h).  KIND:
**     'B' TERM 0x00 be32(DOCNO / 128) -> posting block    (merged)
**     'T' TERM                        -> term entry       (merged)
**     'L' be32(DOCNO / 128)           -> document lengths (merged)
**     'S'                             -> table statistics (merged)
**     'N'                             -> u64 next document number
**     'D' be64(DOCNO)                 -> ID     (document number -> entity;
**           version 3: version 4 writes 'E')
**     'E' be32(DOCNO / 128)           -> (u8 DOCNO % 128, ID) records, the
**           last of a slot wins (merged: appended; a zero ID: none)
**     'K' be64(DOCNO)                 -> (empty) a dead document whose
**           postings are still in a segment (a tombstone)
**     'X' TERM                        -> term entry of the dead documents'
**           postings still in segments (merged)
**     'I' ID                          -> be64(DOCNO)  (entity -> number)
**     'M'                             -> the "fulltext" configuration the
**           index was built with (JSON); absent or different from the
**           schema's: the index is not built (reindex builds it)
**   TERM is an analysed term (UTF-8, no 0x00 byte, at most 255 bytes);
**   DOCNO a per-table document number (< 2^39), kept by an entity for life.
**   "merged" values are changed by merge operands (kv_batch_merge), never
**   read back by the writer.
**
** Every key starts with a 4-byte TID.  TID 0 holds the database-wide meta
** keys; tenant ids start at 0x00000100, so the keys of one tenant form one
** contiguous range that holds no key of another tenant.
*/
#ifndef REMDB_KV_H
#define REMDB_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/* KV_COLUMN holds the columnar copy (KEY_COLUMN_TBL keys, core/columns.c);
** it is last: a database older than format 3 may lack it (kv_open) */
enum kv_cf { KV_META, KV_ENTITY, KV_INDEX, KV_EDGE, KV_VECTOR, KV_COLUMN, KV_NCF };

/* 2: the full-text index (merge operands in the index column family, which
** a build of version 1 cannot read).  3: row positions in the id directory
** and the columnar copy (in the column cf, which an older database lacks:
** a writable open makes it, a read-only one goes on without it, kv_open).
** An older database opens; its first writable
** open marks it 3 and has every table's columns built (core/columns.c);
** the full-text indexes of a version-1 database are built by reindex
** (core/fts.c).  4: column delta packs (key_col_pack: a transaction's new
** rows of a segment in one key) and full-text segments ('G', 'W' keys:
** postings) with ids per range of numbers ('E'), none of which a build of
** version 3 would see; a version-3 database has none, and opens as it is
** (its writable open marks it 4; its full-text 'D' keys are still
** read).  5: full-text merges spread over commits ('Q', 'R', 'V', 'Y'
** keys: a merge's hidden output and retired segments, which a build of
** version 4 would neither read nor delete, and verify would report); a
** version-4 database has none, and opens as it is (its writable open
** marks it 5).  6: chunked column values (column/col.h: a tail segment
** grows by a chunk appended to each column), which a build of version 5
** cannot decode; a version-5 database has none (its columns are single
** chunks, still read), and opens as it is (its writable open marks it
** 6).  7: column delta packs of version 2 (columns.c: values by position),
** and a columnar table's row counter may list its pending rows
** (core/internal.h: rows with no column delta, read from their records),
** which a build of version 6 would read as malformed, or neither accept
** nor read; a version-6 database has neither (its version-1 packs are
** still read), and opens as it is (its writable open marks it 7). */
#define KV_FORMAT_VERSION 7u
#define KV_FORMAT_OLDEST 1u /* the oldest version this build opens */
#define COL_FORMAT 3u       /* the first version with columns */
#define KV_FIRST_ID 0x100u /* first tenant/table id handed out */

typedef struct kv kv_t;
typedef struct kv_batch kv_batch_t;
typedef struct kv_iter kv_iter_t;
typedef struct kv_snap kv_snap_t;

typedef struct kv_options {
  bool create_if_missing;
  bool read_only;
  bool sync;  /* fsync the WAL in every commit */
  bool group; /* group commit: a syncer thread fsyncs for all writers */
  size_t cache_bytes;
  size_t write_buffer_bytes;
} kv_options;

/* read_only opens a RocksDB secondary instance: no lock, beside a writer
** in another process; its view is the committed state at open, moved on
** by kv_catch_up (kv.c explains). */
int kv_open(const char *path, const kv_options *o, kv_t **out, err_t *e);
void kv_close(kv_t *kv);
bool kv_read_only(const kv_t *kv);
/* Does a process (this one included) have the database at path open for
** writing?  (A failed read-write open would rotate that writer's info
** log.)  Never drops this process's own lock (kv.c: writers). */
bool kv_writer_active(const char *path);
/* A read-only store: move its view to the latest committed state.
** *changed tells whether anything was committed meanwhile.  Refused
** (REMDB_MISUSE) while a snapshot or iterator of the store is open.  A
** no-op on a writable store. */
int kv_catch_up(kv_t *kv, bool *changed, err_t *e);

/* A value read by kv_get: data/len are valid until kv_val_free. */
typedef struct kv_val {
  const char *data;
  size_t len;
  void *pin; /* rocksdb_pinnableslice_t */
} kv_val;

/* Point read.  REMDB_NOTFOUND (without touching e) if the key is absent.
** snap may be NULL for the latest state. */
int kv_get(kv_t *kv, const kv_snap_t *snap, int cf, const void *key,
           size_t klen, kv_val *out, err_t *e);
void kv_val_free(kv_val *v);

/* Read n keys of one column family in one batched call (RocksDB sorts them
** and shares the block lookups).  found[i] tells whether keys[i] exists;
** vals[i] is then set and must be freed with kv_val_free. */
int kv_multi_get(kv_t *kv, const kv_snap_t *snap, int cf, size_t n,
                 const char *const *keys, const size_t *lens, kv_val *vals,
                 bool *found, err_t *e);

/* The merge operator of the index column family (the full-text index's
** values), set once before the first kv_open: full merges base (NULL: no
** value) with ops in order, partial (may be NULL) combines operands into
** one (non-zero: it cannot).  Each appends the result to out and returns
** 0; a full merge must not fail on data it wrote (RocksDB would report
** the key corrupt). */
typedef struct kv_merge_ops {
  int (*full)(const char *key, size_t kl, const char *base, size_t bl,
              const char *const *ops, const size_t *lens, size_t n,
              buf_t *out);
  int (*partial)(const char *key, size_t kl, const char *const *ops,
                 const size_t *lens, size_t n, buf_t *out);
} kv_merge_ops;
void kv_set_merge(const kv_merge_ops *ops);

/* Write batches: nothing is visible until kv_write commits them. */
kv_batch_t *kv_batch_new(kv_t *kv);
void kv_batch_free(kv_batch_t *b);
void kv_batch_clear(kv_batch_t *b);
void kv_batch_put(kv_batch_t *b, int cf, const void *k, size_t kl,
                  const void *v, size_t vl);
void kv_batch_del(kv_batch_t *b, int cf, const void *k, size_t kl);
/* A merge operand for key k (index cf: kv_set_merge's operator). */
void kv_batch_merge(kv_batch_t *b, int cf, const void *k, size_t kl,
                    const void *v, size_t vl);
/* Delete every key in [lo, hi). */
void kv_batch_del_range(kv_batch_t *b, int cf, const void *lo, size_t lol,
                        const void *hi, size_t hil);
/* Mark the batch's current end; kv_batch_rollback drops what follows the
** latest mark (so a failed half-staged write leaves the batch as it was). */
void kv_batch_savepoint(kv_batch_t *b);
void kv_batch_rollback(kv_batch_t *b);
/* Forget the latest mark, keeping what was staged after it. */
void kv_batch_keep(kv_batch_t *b);
size_t kv_batch_count(const kv_batch_t *b);
size_t kv_batch_bytes(const kv_batch_t *b);
/* Commit atomically.  sync < 0 uses the store's default durability.  In
** group-commit mode with sync < 0 the batch is written without an fsync
** and *seq (if not NULL) gets the sequence number to pass to
** kv_wait_durable() before the write may be acknowledged; else *seq = 0. */
int kv_write(kv_t *kv, kv_batch_t *b, int sync, err_t *e);
int kv_write_seq(kv_t *kv, kv_batch_t *b, int sync, uint64_t *seq, err_t *e);
/* Group commit: wait until everything up to seq is fsynced (one fsync
** covers every writer that committed meanwhile).  seq 0 returns at once. */
int kv_wait_durable(kv_t *kv, uint64_t seq, err_t *e);
/* The sequence number of the latest write (it moves with every write). */
uint64_t kv_latest_seq(kv_t *kv);

/* Snapshots give reads one consistent view. */
kv_snap_t *kv_snap_new(kv_t *kv);
void kv_snap_free(kv_t *kv, kv_snap_t *s);
/* A number that two snapshots of one store share exactly when they hold
** the same data (the store's sequence number, plus one); 0 when it is not
** known (a read-only store; a write published while it was taken). */
uint64_t kv_snap_seq(const kv_snap_t *s);

/* Iterate cf over [lo, hi).  hi may be NULL for "to the end". The bounds
** are copied.  After kv_iter_seek/next, kv_iter_valid tells whether a key
** is available; at the end call kv_iter_status to tell end from error. */
int kv_iter_new(kv_t *kv, const kv_snap_t *snap, int cf, const void *lo,
                size_t lol, const void *hi, size_t hil, kv_iter_t **out,
                err_t *e);
void kv_iter_free(kv_iter_t *it);
void kv_iter_first(kv_iter_t *it);
void kv_iter_seek(kv_iter_t *it, const void *k, size_t kl);
void kv_iter_next(kv_iter_t *it);
/* Backwards: the last key in range, the last key <= k, the previous key. */
void kv_iter_last(kv_iter_t *it);
void kv_iter_seek_for_prev(kv_iter_t *it, const void *k, size_t kl);
void kv_iter_prev(kv_iter_t *it);
bool kv_iter_valid(const kv_iter_t *it);
const char *kv_iter_key(const kv_iter_t *it, size_t *len);
const char *kv_iter_value(const kv_iter_t *it, size_t *len);
int kv_iter_status(const kv_iter_t *it, err_t *e);

/* Maintenance. */
int kv_checkpoint(kv_t *kv, const char *dest, err_t *e);
int kv_compact(kv_t *kv, err_t *e);
/* Keys [lo, hi) of column family cf were deleted by a range deletion that
** readers would otherwise meet in the table files for long (loading their
** filters and skipping them at every open): have RocksDB compact them in
** the background, and compact them when the writer closes (the union of
** the ranges asked; a no-op on a read-only store). */
void kv_compact_deleted(kv_t *kv, int cf, const void *lo, size_t lol,
                        const void *hi, size_t hil);
/* Write every column family's memtable to table files (so a copy needs no
** log replay), waiting for it. */
int kv_flush(kv_t *kv, err_t *e);
/* RocksDB's estimate of the bytes the keys [lo, hi) of cf take in table
** files (recent writes still in memtables are not counted). */
int kv_approx_size(kv_t *kv, int cf, const void *lo, size_t lol,
                   const void *hi, size_t hil, uint64_t *out, err_t *e);
/* A RocksDB property of cf as an integer; false if unavailable. */
bool kv_property_int(kv_t *kv, int cf, const char *name, uint64_t *out);
const char *kv_cf_name(int cf);

/* Given a prefix, compute the smallest key greater than every key that
** starts with it (the exclusive upper bound of a prefix scan).  Writes at
** most n bytes to out and returns the bound's length, 0 if none exists
** (the prefix is all 0xff: scan to the end). */
size_t kv_prefix_end(const void *prefix, size_t n, unsigned char *out);

/* ---- Key builders for the layout above -------------------------------- */
#define KEY_ENTITY_LEN 24 /* TID TBL ID */
#define KEY_IDDIR_LEN 24  /* TID 0 ID */
#define KEY_TABLE_PREFIX 8

static inline void key_entity(unsigned char out[KEY_ENTITY_LEN], uint32_t tid,
                              uint32_t tbl, const unsigned char id[16]) {
  put_u32be(out, tid);
  put_u32be(out + 4, tbl);
  for (int i = 0; i < 16; i++) out[8 + i] = id[i];
}

static inline void key_iddir(unsigned char out[KEY_IDDIR_LEN], uint32_t tid,
                             const unsigned char id[16]) {
  key_entity(out, tid, 0, id);
}

/* The id directory's value: TBL, and POS unless npos (format 1). */
#define IDDIR_VAL_LEN 12
static inline void iddir_value(unsigned char out[IDDIR_VAL_LEN], uint32_t tbl,
                               uint64_t pos) {
  put_u32be(out, tbl);
  put_u64be(out + 4, pos);
}
/* The table an id-directory value names (0 if malformed), and its
** position (*has false when it holds none). */
static inline uint32_t iddir_table(const void *v, size_t n) {
  return n == 4 || n == IDDIR_VAL_LEN ? get_u32be((const unsigned char *)v)
                                      : 0;
}
static inline bool iddir_pos(const void *v, size_t n, uint64_t *pos) {
  if (n != IDDIR_VAL_LEN) return false;
  *pos = get_u64be((const unsigned char *)v + 4);
  return true;
}

/* Column keys (column cf): TID 2 TBL KIND [SEG [COL] | POS]. */
#define KEY_COLUMN_TBL 2u
#define KEY_COL_PREFIX 12 /* TID 2 TBL */
#define KEY_COL_KIND 13   /* TID 2 TBL KIND */
#define KEY_COL_MAX 29
static inline void key_col_table(unsigned char out[KEY_COL_PREFIX],
                                 uint32_t tid, uint32_t tbl) {
  put_u32be(out, tid);
  put_u32be(out + 4, KEY_COLUMN_TBL);
  put_u32be(out + 8, tbl);
}
/* TID 2 TBL KIND, then for 'M' SEG, for 'C' SEG COL: the key's length
** (deltas: key_col_delta). */
static inline size_t key_col(unsigned char out[KEY_COL_MAX], uint32_t tid,
                             uint32_t tbl, char kind, uint64_t seg_or_pos,
                             uint16_t col) {
  key_col_table(out, tid, tbl);
  out[12] = (unsigned char)kind;
  if (kind == 'N') return KEY_COL_KIND;
  put_u32be(out + 13, (uint32_t)seg_or_pos);
  if (kind == 'M') return 17;
  put_u16be(out + 17, col);
  return 19;
}

/* TID 2 TBL 'D' SEG EPOCH POS (29 bytes); the first 21 bytes are the
** prefix of the segment's deltas of that epoch. */
#define KEY_COL_DELTA_LEN 29
#define KEY_COL_DELTA_PREFIX 21
static inline void key_col_delta(unsigned char out[KEY_COL_DELTA_LEN],
                                 uint32_t tid, uint32_t tbl, uint32_t seg,
                                 uint32_t epoch, uint64_t pos) {
  key_col_table(out, tid, tbl);
  out[12] = 'D';
  put_u32be(out + 13, seg);
  put_u32be(out + 17, epoch);
  put_u64be(out + 21, pos);
}
/* A pack of deltas: the delta key of its highest position, then 'P' (so
** it sorts after every single delta of its positions). */
#define KEY_COL_PACK_LEN 30
static inline void key_col_pack(unsigned char out[KEY_COL_PACK_LEN],
                                uint32_t tid, uint32_t tbl, uint32_t seg,
                                uint32_t epoch, uint64_t last) {
  key_col_delta(out, tid, tbl, seg, epoch, last);
  out[KEY_COL_DELTA_LEN] = 'P';
}

/* TID TBL: the prefix of a table's entities (entity cf) or of all its
** index entries (index cf). */
static inline void key_table(unsigned char out[KEY_TABLE_PREFIX],
                             uint32_t tid, uint32_t tbl) {
  put_u32be(out, tid);
  put_u32be(out + 4, tbl);
}

/* TID TBL 'H': a table's HNSW entry record (vector cf). */
#define KEY_VHEAD_LEN 9
static inline void key_vhead(unsigned char out[KEY_VHEAD_LEN], uint32_t tid,
                             uint32_t tbl) {
  key_table(out, tid, tbl);
  out[8] = 'H';
}

/* TID TBL FLD: prefix of one field's index entries. */
static inline void key_index_field(unsigned char out[10], uint32_t tid,
                                   uint32_t tbl, uint16_t fld) {
  key_table(out, tid, tbl);
  put_u16be(out + 8, fld);
}

/* Key index: TID 1 KIND KEY 0 ID, KIND 'K' (exact) or 'N' (normalised). */
#define KEY_KEYIDX_TBL 1u
#define KEY_LOOKUP_MAX 256 /* longer keys are not indexed */
static inline void key_lookup(buf_t *out, uint32_t tid, char kind,
                              const char *key, size_t n,
                              const unsigned char *id) {
  buf_add_u32be(out, tid);
  buf_add_u32be(out, KEY_KEYIDX_TBL);
  buf_addc(out, kind);
  buf_add(out, key, n);
  buf_addc(out, 0);
  if (id) buf_add(out, id, 16);
}

/* TID 'J' TOKEN ID: a journal entry of a large batch (see the layout);
** TID 'J' TOKEN is the prefix of one batch's entries, TID 'J' of all. */
#define KEY_JOURNAL_PREFIX 13
#define KEY_JOURNAL_LEN (KEY_JOURNAL_PREFIX + 16)
static inline void key_journal_prefix(unsigned char out[KEY_JOURNAL_PREFIX],
                                      uint32_t tid,
                                      const unsigned char tok[8]) {
  put_u32be(out, tid);
  out[4] = 'J';
  for (int i = 0; i < 8; i++) out[5 + i] = tok[i];
}
static inline void key_journal(unsigned char out[KEY_JOURNAL_LEN],
                               uint32_t tid, const unsigned char tok[8],
                               const unsigned char id[16]) {
  key_journal_prefix(out, tid, tok);
  for (int i = 0; i < 16; i++) out[KEY_JOURNAL_PREFIX + i] = id[i];
}

/* TID 'C' TBL: a table's row counters. */
#define KEY_COUNTER_LEN 9
static inline void key_counter(unsigned char out[KEY_COUNTER_LEN],
                               uint32_t tid, uint32_t tbl) {
  put_u32be(out, tid);
  out[4] = 'C';
  put_u32be(out + 5, tbl);
}

/* Edge keys: TID DIR A TYPE 0x00 B, DIR 'F' (A = source, B = target) or
** 'R' (A = target, B = source).  Types are identifiers, so hold no NUL. */
#define KEY_EDGE_MAX (4 + 1 + 16 + 64 + 1 + 16)
static inline size_t key_edge(unsigned char *out, uint32_t tid, char dir,
                              const unsigned char a[16], const char *type,
                              const unsigned char b[16]) {
  size_t n = 0, tl = 0;
  while (type[tl]) tl++;
  put_u32be(out, tid);
  out[4] = (unsigned char)dir;
  for (int i = 0; i < 16; i++) out[5 + i] = a[i];
  n = 21;
  for (size_t i = 0; i < tl; i++) out[n++] = (unsigned char)type[i];
  out[n++] = 0;
  for (int i = 0; i < 16; i++) out[n++] = b[i];
  return n;
}

/* The prefix TID DIR A: every edge of A in that direction. */
static inline void key_edge_prefix(unsigned char out[21], uint32_t tid,
                                   char dir, const unsigned char a[16]) {
  put_u32be(out, tid);
  out[4] = (unsigned char)dir;
  for (int i = 0; i < 16; i++) out[5 + i] = a[i];
}

/* Split an edge key into its parts.  false if it is malformed. */
static inline bool key_edge_parse(const unsigned char *k, size_t n,
                                  char *dir, const unsigned char **a,
                                  const char **type, size_t *type_len,
                                  const unsigned char **b) {
  if (n < 4 + 1 + 16 + 2 + 16 || (k[4] != 'F' && k[4] != 'R')) return false;
  if (k[n - 17] != 0) return false;
  *dir = (char)k[4];
  *a = k + 5;
  *type = (const char *)k + 21;
  *type_len = n - 17 - 21;
  *b = k + n - 16;
  for (size_t i = 0; i < *type_len; i++)
    if ((*type)[i] == 0) return false;
  return *type_len > 0;
}

/* The twin of edge key k (its reverse key for a forward one, and the other
** way round) in out (KEY_EDGE_MAX bytes); its length, 0 if k is
** malformed. */
static inline size_t key_edge_twin(const unsigned char *k, size_t n,
                                   unsigned char *out) {
  char dir;
  const unsigned char *a, *b;
  const char *type;
  size_t tl;
  if (!key_edge_parse(k, n, &dir, &a, &type, &tl, &b) || n > KEY_EDGE_MAX)
    return 0;
  /* TID DIR' B TYPE 0 A: the same length */
  for (int i = 0; i < 4; i++) out[i] = k[i];
  out[4] = (unsigned char)(dir == 'F' ? 'R' : 'F');
  for (int i = 0; i < 16; i++) out[5 + i] = b[i];
  for (size_t i = 0; i < tl; i++) out[21 + i] = (unsigned char)type[i];
  out[21 + tl] = 0;
  for (int i = 0; i < 16; i++) out[22 + tl + i] = a[i];
  return n;
}

/* Full-text index keys (see the layout): TID 0x00000046 TBL KIND, then
** the kind's suffix. */
#define KEY_FTS_TBL 0x46u
#define KEY_FTS_PREFIX 13 /* TID F TBL KIND */
#define KEY_FTS_MAX (KEY_FTS_PREFIX + 255 + 1 + 4)
static inline void key_fts(unsigned char out[KEY_FTS_PREFIX], uint32_t tid,
                           uint32_t tbl, char kind) {
  put_u32be(out, tid);
  put_u32be(out + 4, KEY_FTS_TBL);
  put_u32be(out + 8, tbl);
  out[12] = (unsigned char)kind;
}
/* 'B' TERM 0 be32(DOCNO / 128); returns the length (term <= 255 bytes). */
static inline size_t key_fts_block(unsigned char *out, uint32_t tid,
                                   uint32_t tbl, const char *term, size_t n,
                                   uint64_t docno) {
  key_fts(out, tid, tbl, 'B');
  for (size_t i = 0; i < n; i++) out[KEY_FTS_PREFIX + i] = (unsigned char)term[i];
  out[KEY_FTS_PREFIX + n] = 0;
  put_u32be(out + KEY_FTS_PREFIX + n + 1, (uint32_t)(docno / 128));
  return KEY_FTS_PREFIX + n + 5;
}
/* 'T' TERM */
static inline size_t key_fts_term(unsigned char *out, uint32_t tid,
                                  uint32_t tbl, const char *term, size_t n) {
  key_fts(out, tid, tbl, 'T');
  for (size_t i = 0; i < n; i++) out[KEY_FTS_PREFIX + i] = (unsigned char)term[i];
  return KEY_FTS_PREFIX + n;
}
/* 'G' be64(SEGNO) TERM: a part of an unmerged segment, named by the last
** term it holds (a seek to (SEGNO, term) lands on the part that would hold
** term); 'W' (no suffix): the table's segment state (core/fts.c). */
#define KEY_FTS_SEG_MAX (KEY_FTS_PREFIX + 8 + 255)
static inline size_t key_fts_seg(unsigned char *out, uint32_t tid,
                                 uint32_t tbl, uint64_t segno,
                                 const char *term, size_t n) {
  key_fts(out, tid, tbl, 'G');
  put_u64be(out + KEY_FTS_PREFIX, segno);
  for (size_t i = 0; i < n; i++)
    out[KEY_FTS_PREFIX + 8 + i] = (unsigned char)term[i];
  return KEY_FTS_PREFIX + 8 + n;
}
/* 'L' be32(DOCNO / 128) */
#define KEY_FTS_LEN_LEN (KEY_FTS_PREFIX + 4)
static inline void key_fts_lengths(unsigned char out[KEY_FTS_LEN_LEN],
                                   uint32_t tid, uint32_t tbl,
                                   uint64_t docno) {
  key_fts(out, tid, tbl, 'L');
  put_u32be(out + KEY_FTS_PREFIX, (uint32_t)(docno / 128));
}
/* 'D' be64(DOCNO) */
#define KEY_FTS_DOC_LEN (KEY_FTS_PREFIX + 8)
static inline void key_fts_doc(unsigned char out[KEY_FTS_DOC_LEN], uint32_t tid,
                               uint32_t tbl, uint64_t docno) {
  key_fts(out, tid, tbl, 'D');
  put_u64be(out + KEY_FTS_PREFIX, docno);
}
/* 'K' be64(DOCNO) */
static inline void key_fts_dead(unsigned char out[KEY_FTS_DOC_LEN],
                                uint32_t tid, uint32_t tbl, uint64_t docno) {
  key_fts(out, tid, tbl, 'K');
  put_u64be(out + KEY_FTS_PREFIX, docno);
}
/* 'X' TERM */
static inline size_t key_fts_xterm(unsigned char *out, uint32_t tid,
                                   uint32_t tbl, const char *term, size_t n) {
  size_t kl = key_fts_term(out, tid, tbl, term, n);
  out[12] = 'X';
  return kl;
}
/* A merge under way (core/fts.c, "Incremental merges"), one per SLOT (u8:
** the level of its inputs; 255: the merge of every segment): 'Q' SLOT, its
** state; 'R' SLOT, its dead documents; 'Y' SLOT TERM, the share of 'X' it
** has dropped.  'V' (no suffix): the retired segments whose parts are
** being deleted. */
#define KEY_FTS_SLOT_LEN (KEY_FTS_PREFIX + 1)
static inline void key_fts_slot(unsigned char out[KEY_FTS_SLOT_LEN],
                                uint32_t tid, uint32_t tbl, char kind,
                                uint8_t slot) {
  key_fts(out, tid, tbl, kind);
  out[KEY_FTS_PREFIX] = slot;
}
static inline size_t key_fts_yterm(unsigned char *out, uint32_t tid,
                                   uint32_t tbl, uint8_t slot,
                                   const char *term, size_t n) {
  key_fts_slot(out, tid, tbl, 'Y', slot);
  for (size_t i = 0; i < n; i++)
    out[KEY_FTS_SLOT_LEN + i] = (unsigned char)term[i];
  return KEY_FTS_SLOT_LEN + n;
}
/* 'E' be32(DOCNO / 128) */
static inline void key_fts_ids(unsigned char out[KEY_FTS_LEN_LEN],
                               uint32_t tid, uint32_t tbl, uint64_t docno) {
  key_fts(out, tid, tbl, 'E');
  put_u32be(out + KEY_FTS_PREFIX, (uint32_t)(docno / 128));
}
/* 'I' ID */
#define KEY_FTS_ID_LEN (KEY_FTS_PREFIX + 16)
static inline void key_fts_id(unsigned char out[KEY_FTS_ID_LEN], uint32_t tid,
                              uint32_t tbl, const unsigned char id[16]) {
  key_fts(out, tid, tbl, 'I');
  for (int i = 0; i < 16; i++) out[KEY_FTS_PREFIX + i] = id[i];
}

/* TID 'S' NAME (schema) and 0 'T' NAME (tenant directory). */
static inline void key_named(buf_t *out, uint32_t tid, char kind,
                             const char *name) {
  buf_add_u32be(out, tid);
  buf_addc(out, kind);
  buf_adds(out, name);
}

#endif /* REMDB_KV_H */

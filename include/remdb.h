/*
** remdb.h: the one public header of remdb, an embedded database for the
** memory of AI-agent systems (Resources, Entities, Moments) on RocksDB.
**
** Conventions, stated once and relied on by every comment below:
**
**  - Handles are opaque.  A `remdb` handle is bound to one database
**    directory and one tenant; every call made through it reads and writes
**    only that tenant's data.  More tenants of the same open database are
**    reached with remdb_open_tenant(), which shares the storage.
**
**  - Every function that can fail returns an int: REMDB_OK (0) on success,
**    else one of the REMDB_* codes.  The text of the last error on a handle
**    is remdb_errmsg(db); it names the object and the rule that was broken
**    (for example `issues.priority: expected integer, got string`).  The
**    comment of each call ends with the codes it returns; besides those,
**    any call may return the common codes: REMDB_MISUSE (a NULL handle or
**    argument, flags the call does not take, a write on a read-only
**    handle), REMDB_NOMEM and REMDB_IO (storage).
**
**  - Memory that remdb hands out (char ** outputs) is owned by the caller and
**    is released with remdb_free().  Pointers that are "borrowed" are owned
**    by remdb and stay valid only as long as each comment says.
**
**  - Threads: a `remdb` handle may be used by one thread at a time.  Open one
**    handle per thread (remdb_open_tenant() on the same database is cheap);
**    handles that share a database may be used concurrently, writes are
**    serialised internally, and each read sees a committed state.
**
**  - Writes are atomic.  A call either commits all its effects (entity,
**    secondary-index entries, system fields) in one RocksDB write batch, or
**    writes nothing.  A write is acknowledged (REMDB_OK returned) only after
**    it has committed with the configured durability.
*/
#ifndef REMDB_H
#define REMDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function below is exported from libremdb.so; nothing else is (the
** library is built with -fvisibility=hidden). */
#if defined(__GNUC__) || defined(__clang__)
#define REMDB_API __attribute__((visibility("default")))
#else
#define REMDB_API
#endif

#define REMDB_VERSION "0.1.0"

/* ---- Result codes ---------------------------------------------------- */
#define REMDB_OK 0
#define REMDB_ERROR 1    /* generic failure */
#define REMDB_INVALID 2  /* malformed input: bad JSON, bad argument, bad name */
#define REMDB_SCHEMA 3   /* input broke a schema rule (type, required, ...) */
#define REMDB_NOTFOUND 4 /* unknown table, id or key */
#define REMDB_EXISTS 5   /* the object already exists */
#define REMDB_TOOBIG 6   /* a configured limit was exceeded */
#define REMDB_NOMEM 7    /* out of memory */
#define REMDB_IO 8       /* storage (RocksDB) error */
#define REMDB_CORRUPT 9  /* stored data failed a consistency check */
#define REMDB_BUSY 10    /* locked by another process, or an index is being
                            rebuilt (lookup during reindex): retry later */
#define REMDB_MISUSE 11  /* API called wrongly (NULL handle, bad flags) */
#define REMDB_ROW 100    /* an iterator has produced a row */
#define REMDB_DONE 101   /* an iterator is exhausted */

/* ---- Opening --------------------------------------------------------- */
typedef struct remdb remdb;

/* Durability of each committed write.  A write is acknowledged (its call
** returns REMDB_OK) only after it committed; what a power failure can lose:
**   REMDB_SYNC_FULL:  nothing acknowledged.  Each commit fsyncs the RocksDB
**                     write-ahead log before it returns.  The default.
**   REMDB_SYNC_GROUP: nothing acknowledged.  Commits are written without
**                     an fsync and wait for a shared one: a syncer thread
**                     fsyncs whenever there is new log, so writers that
**                     commit at the same time (several handles/threads)
**                     share one fsync instead of paying one each.
**   REMDB_SYNC_NONE:  the last moments of acknowledged writes (the log is
**                     left to the OS page cache).  A crash of the process
**                     alone loses nothing, in any mode.
** Bulk loads (remdb_batch_commit with sync 0) skip the fsync and should
** end with a commit with sync 1, as `remdb import` does. */
enum remdb_sync {
  REMDB_SYNC_FULL = 0,
  REMDB_SYNC_NONE = 1,
  REMDB_SYNC_GROUP = 2,
};

typedef struct remdb_options {
  int create_if_missing;     /* default 1 */
  int read_only;             /* default 0 */
  enum remdb_sync sync;      /* default REMDB_SYNC_FULL */
  size_t cache_bytes;        /* RocksDB block cache, default 64 MiB */
  size_t vector_cache_bytes; /* HNSW graphs held in memory, default 4 GiB;
                                a table whose graph does not fit is searched
                                exactly and its graph rebuilt by reindex */
  size_t write_buffer_bytes; /* memtable size per column family, 32 MiB */
  size_t max_value_bytes;    /* longest string value, default 1 MiB */
  size_t max_entity_bytes;   /* largest entity JSON, default 8 MiB */
  int max_depth;             /* deepest JSON nesting, default 64 */
  size_t max_sql_bytes;      /* longest SQL text, default 1 MiB */
  uint64_t max_result_rows;  /* rows one SQL statement may return,
                                default 10,000,000 */
  uint64_t max_sql_steps;    /* SQLite VM steps one SQL statement may run
                                (its budget), default 10^11, far above any
                                ordinary query; 0: no budget.  Over it the
                                statement stops with REMDB_TOOBIG.  The
                                columnar route charges one step per row
                                it reads (SQLite's scan spends two or
                                more) */
  size_t column_cache_bytes; /* decoded column segments held in memory,
                                and readers' opened segment headers and
                                pending deltas (kept per table), default
                                1 GiB (least recently used go) */
  int sql_route;             /* analytics route of SQL SELECTs (enum
                                remdb_route), default REMDB_ROUTE_AUTO */
  int exec_threads;          /* threads the columnar executor scans
                                segments on: N > 0 exactly N (1: a single
                                thread); 0 (the default) the number of
                                online cores where that pays: one thread
                                for SUM/TOTAL/AVG (their exact row-order
                                sums make the merge sequential) and at
                                most one thread per 4 segments (256k rows).
                                Also the threads that analyse the text of
                                a transaction's full-text documents (from
                                its second on) beside the writer: 0 one per
                                core, 1 the writer's own only; the results
                                are the same.  The workers live until the
                                database's last handle closes */
  size_t fts_merge_work;     /* bytes of full-text segment merge a commit
                                does (about: bytes of the merge's input; a
                                term's postings are never split): a larger
                                merge is spread over the next commits, its
                                result readable when it ends.  Default
                                4 MiB; 0: no bound (a merge is done in the
                                commit that starts it, which may then
                                rewrite most of a large table's index) */
} remdb_options;

/* Where SQL runs an aggregation it can serve on the columnar executor
** (a single-table GROUP BY / aggregate; EXPLAIN names the route taken):
**   REMDB_ROUTE_AUTO      the executor, unless an index serves the WHERE
**   REMDB_ROUTE_COLUMNAR  the executor whenever it serves the statement
**   REMDB_ROUTE_SQLITE    never: SQLite over the row scans, as before
**   REMDB_ROUTE_ROWS      the executor, reading rows (not the columnar
**                         copy) even where the table keeps one
** A statement the executor cannot serve exactly always runs on SQLite. */
enum remdb_route {
  REMDB_ROUTE_AUTO = 0,
  REMDB_ROUTE_COLUMNAR = 1,
  REMDB_ROUTE_SQLITE = 2,
  REMDB_ROUTE_ROWS = 3,
};

/* Fill *opts with the defaults above.  Always call it before setting
** fields, so that fields added later get their defaults. */
REMDB_API
void remdb_options_init(remdb_options *opts);

/* Open (creating if allowed) the database directory `path` for `tenant`.
** opts may be NULL for the defaults.  Tenant names are 1-64 characters from
** [A-Za-z0-9_-], not starting with '-'; anything else is REMDB_INVALID.
** On success *out is a new handle, closed with remdb_close().  On failure
** *out is still set when possible (so remdb_errmsg(*out) explains), and must
** also be closed; it is NULL only when no memory was available.
** Returns REMDB_OK, REMDB_INVALID (tenant name), REMDB_BUSY (another process
** has it open for writing), REMDB_NOTFOUND (no database and create_if_missing
** 0), REMDB_CORRUPT (a format this build does not read). */
REMDB_API
int remdb_open(const char *path, const char *tenant, const remdb_options *opts,
               remdb **out);

/* Readers.  With opts->read_only the database is opened as a reader: it
** takes no lock, so any number of readers, in any processes, run beside
** the one process that has it open for writing, and each sees the
** database as it was committed when it was opened (whole write batches
** only: never part of a write).  A reader writes nothing, with one
** exception: a large batch (an import) that a crash left unfinished is
** rolled back first, by a read-write open, when no process is writing
** (see REMDB_BATCH_JOURNAL).  A rebuild a crash interrupted is not resumed:
** reads do not use the indexes it has not finished, and what needs them
** (remdb_find on such a field, remdb_lookup) says to open the database
** read-write once.
** remdb_refresh() moves a reader's view to the latest committed state
** (what other processes committed since); it needs every statement and
** iterator of the handles sharing the storage finished (REMDB_MISUSE
** otherwise), and no other call on them meanwhile.  On a read-write
** handle it does nothing (its view is always the latest).
** Returns REMDB_OK, REMDB_MISUSE (a statement or iterator is open). */
REMDB_API
int remdb_refresh(remdb *db);

/* A second handle on the same open database for `tenant` (which may equal
** the first's).  It shares storage with `db`; either may be closed first.
** Returns REMDB_OK, REMDB_INVALID (tenant name). */
REMDB_API
int remdb_open_tenant(remdb *db, const char *tenant, remdb **out);

/* Close a handle.  NULL is a no-op.  Storage closes with its last handle. */
REMDB_API
void remdb_close(remdb *db);

/* The message of the last failed call on db, or "not an error".  Borrowed:
** valid until the next call on db.  remdb_errmsg(NULL) explains a NULL. */
REMDB_API
const char *remdb_errmsg(const remdb *db);

/* A fixed description of a result code.  Static storage. */
REMDB_API
const char *remdb_errstr(int rc);

/* Release memory returned by remdb.  NULL is a no-op. */
REMDB_API
void remdb_free(void *p);

/* The tenant name of the handle.  Borrowed, valid until remdb_close(). */
REMDB_API
const char *remdb_tenant(const remdb *db);

/* ---- Schemas (tables) ------------------------------------------------ */

/* Register the built-in schemas (resources, moments, agents, sessions,
** messages) for the handle's tenant.  Idempotent: an existing table of the
** same name is left as it is.
** Returns REMDB_OK (only the common codes). */
REMDB_API
int remdb_init(remdb *db);

/* Register or replace a table from a JSON Schema document (len bytes; the
** text need not be NUL-terminated).  The document has `name`, `properties`
** and `required`, plus the REM keys indexed_fields, embedding_fields,
** key_field, category, version, description, fully_qualified_name and
** embedding.  Replacing re-validates every stored entity of the table
** against the new schema (failing with REMDB_SCHEMA, and changing nothing,
** if one breaks it) and rebuilds the indexes that changed.
** Returns REMDB_OK, REMDB_INVALID (the document), REMDB_SCHEMA (a stored
** entity breaks it), REMDB_EXISTS (a name that clashes), REMDB_TOOBIG. */
REMDB_API
int remdb_schema_put(remdb *db, const char *json, size_t len);

/* The stored schema of `table` as JSON.  *json_out is the caller's, freed
** with remdb_free().
** Returns REMDB_OK, REMDB_NOTFOUND. */
REMDB_API
int remdb_schema_get(remdb *db, const char *table, char **json_out);

/* The names of the tenant's tables, as a JSON array of strings, sorted.
** *json_out is the caller's, freed with remdb_free(). */
REMDB_API
int remdb_schema_list(remdb *db, char **json_out);

/* Drop `table` with all its entities and index entries, atomically.
** Returns REMDB_OK, REMDB_NOTFOUND. */
REMDB_API
int remdb_schema_drop(remdb *db, const char *table);

/* ---- Entities -------------------------------------------------------- */

#define REMDB_ID_LEN 36 /* canonical UUID text, without the NUL */

/* Insert one entity given as a JSON object of len bytes.  The entity is
** validated against the table's schema.  Its id is, in order: the `id` the
** JSON gives; a UUID derived from the tenant, the table and the key_field
** value (from uri and chunk_ordinal for `resources`); else a new
** time-ordered (version 7) UUID.
** An insert whose id exists replaces that entity (an upsert) and keeps its
** created_at.  id_out, if not NULL, receives the id and a NUL (37 bytes).
** Returns REMDB_OK, REMDB_INVALID (JSON, id), REMDB_SCHEMA, REMDB_NOTFOUND
** (table), REMDB_TOOBIG, REMDB_ERROR (the embedding provider failed). */
REMDB_API
int remdb_insert(remdb *db, const char *table, const char *json, size_t len,
                 char id_out[REMDB_ID_LEN + 1]);

/* Check that remdb_insert(db, table, json, len, ...) would succeed now,
** without writing anything: the JSON, the schema rules and the id.
** Returns: as remdb_insert. */
REMDB_API
int remdb_validate(remdb *db, const char *table, const char *json,
                   size_t len);

/* Merge-patch (RFC 7386) the entity `id` with the JSON object `patch`, then
** re-validate the result.  System fields other than deleted_at: null are
** refused.  A soft-deleted entity is REMDB_NOTFOUND.
** Returns REMDB_OK, REMDB_INVALID, REMDB_SCHEMA, REMDB_NOTFOUND,
** REMDB_TOOBIG, REMDB_ERROR (the embedding provider). */
REMDB_API
int remdb_update(remdb *db, const char *id, const char *patch, size_t len);

/* Flags.  Each flag has a value of its own, across every call, and each
** call refuses (REMDB_MISUSE) the bits it does not take. */
#define REMDB_INCLUDE_DELETED 0x01 /* read flag: also see soft-deleted rows */
#define REMDB_HARD 0x02            /* delete flag: remove instead of marking */

/* Delete the entity `id`.  By default a soft delete: deleted_at and
** modified_at are set, and the row vanishes from reads that do not pass
** REMDB_INCLUDE_DELETED.  With REMDB_HARD the entity and its index entries
** are removed.
** Returns REMDB_OK, REMDB_INVALID (id), REMDB_NOTFOUND. */
REMDB_API
int remdb_delete(remdb *db, const char *id, int flags);

/* Read the entity `id` as a JSON object in *json_out (caller frees with
** remdb_free(); *len_out, if not NULL, gets its length).  `table` may be
** NULL; naming it saves one lookup.  A soft-deleted entity is
** REMDB_NOTFOUND unless flags has REMDB_INCLUDE_DELETED.
** Returns REMDB_OK, REMDB_INVALID (id), REMDB_NOTFOUND. */
REMDB_API
int remdb_get(remdb *db, const char *table, const char *id, int flags,
              char **json_out, size_t *len_out);

/* Count the entities of `table` (flags: REMDB_INCLUDE_DELETED).
** Returns REMDB_OK, REMDB_NOTFOUND (table). */
REMDB_API
int remdb_count(remdb *db, const char *table, int flags, uint64_t *count_out);

/* ---- Batches: many writes, one atomic commit ------------------------- */
/* A batch holds the database's write lock from its first write (an insert,
** update, delete or edge) until its commit or free: other writers of the
** database wait meanwhile (other threads block; another write through a
** handle of this thread is REMDB_MISUSE), readers do not.  Commit (or
** free) promptly. */
typedef struct remdb_batch remdb_batch;

/* Start a batch on db.  Nothing is visible or durable until commit.  The
** batch belongs to db and must be freed before db is closed.
** Returns REMDB_OK (only the common codes). */
REMDB_API
int remdb_batch_begin(remdb *db, remdb_batch **out);

/* Validate one entity and add it to the batch (same rules as
** remdb_insert; a later insert of the same id in the batch replaces the
** earlier one).  On failure the batch is unchanged and still usable.
** Returns: as remdb_insert; REMDB_MISUSE for a batch of another thread's
** handle. */
REMDB_API
int remdb_batch_insert(remdb_batch *b, const char *table, const char *json,
                       size_t len, char id_out[REMDB_ID_LEN + 1]);

/* Add to the batch an update (as remdb_update), a delete (as
** remdb_delete: flags 0 or REMDB_HARD), an edge (as remdb_edge_put) or an
** edge's removal (as remdb_edge_delete), so that an entity, its changes
** and its edges commit together.  Each sees what the batch staged before
** it: an edge may join entities inserted earlier in the batch, and the
** removal of an edge the batch added is staged in order.  A hard delete of
** an entity the batch added an edge to is refused (REMDB_MISUSE: commit
** first).  A journaled batch (REMDB_BATCH_JOURNAL) takes inserts only
** (REMDB_MISUSE).  On failure the batch is unchanged and still usable.
** Returns REMDB_OK, REMDB_MISUSE, REMDB_INVALID (a malformed id, patch,
** type or property), REMDB_SCHEMA (the update breaks the schema),
** REMDB_NOTFOUND (no such entity or edge; an update of a soft-deleted
** entity), REMDB_TOOBIG, REMDB_NOMEM, REMDB_IO. */
REMDB_API
int remdb_batch_update(remdb_batch *b, const char *id, const char *patch,
                       size_t len);
REMDB_API
int remdb_batch_delete(remdb_batch *b, const char *id, int flags);
REMDB_API
int remdb_batch_edge_put(remdb_batch *b, const char *src, const char *dst,
                         const char *type, const char *props,
                         size_t props_len, double weight);
REMDB_API
int remdb_batch_edge_delete(remdb_batch *b, const char *src, const char *dst,
                            const char *type);

/* Number of entities added since the last commit. */
REMDB_API
size_t remdb_batch_count(const remdb_batch *b);

/* Commit everything added, atomically, then empty the batch for reuse.
** `sync` overrides the handle's durability for this commit when
** non-negative (1 = fsync, 0 = no fsync); pass -1 for the default.
** Returns REMDB_OK, REMDB_ERROR (an earlier failure left a change half
** staged: nothing was written). */
REMDB_API
int remdb_batch_commit(remdb_batch *b, int sync);

/* Discard the batch.  Uncommitted entities are dropped (and a journaled
** batch's flushed parts rolled back, see below).  NULL is a no-op. */
REMDB_API
void remdb_batch_free(remdb_batch *b);

/* Large batches.  A batch begun with REMDB_BATCH_JOURNAL can commit in
** parts, to bound the memory it holds, and still be all or nothing:
** remdb_batch_flush() commits what was added so far together with a
** journal of it (for each entity, the version it replaced or that it was
** new), and remdb_batch_commit() commits the rest and deletes the journal
** in the same write batch.  A batch freed without that last commit is
** rolled back (every replaced version restored, every new entity
** removed), and so is one whose process dies: the next read-write open of
** the database rolls it back before it returns; a read-only open first
** has it rolled back if no process is writing.  Readers (and other
** handles) see the flushed parts as they commit.  Like any batch, it holds
** the write lock from its first row until its last commit or its free,
** across its parts: other handles' writes wait for it (on the batch's own
** thread they fail with REMDB_MISUSE), so its rollback never undoes their
** changes.  Each insert costs one more key (and, for an entity that
** existed, a copy of its old version).
** remdb_batch_begin_ex returns REMDB_OK (only the common codes). */
#define REMDB_BATCH_JOURNAL 0x04
REMDB_API
int remdb_batch_begin_ex(remdb *db, int flags, remdb_batch **out);
/* Commit the rows added so far as a part of a journaled batch (sync as for
** remdb_batch_commit).  REMDB_MISUSE on a batch without a journal.
** Returns REMDB_OK, REMDB_MISUSE (no journal), as remdb_batch_commit. */
REMDB_API
int remdb_batch_flush(remdb_batch *b, int sync);
/* Bytes of memory the batch holds for what it staged since its last
** commit or flush (records, index entries, vectors, remembered versions):
** flush or commit when it passes a budget. */
REMDB_API
size_t remdb_batch_bytes(const remdb_batch *b);

/* ---- Iterating a table ----------------------------------------------- */
typedef struct remdb_iter remdb_iter;

/* Iterate the entities of `table` in id order (flags:
** REMDB_INCLUDE_DELETED).  The iterator reads one consistent snapshot
** and must be freed before db is closed.
** Returns REMDB_OK, REMDB_NOTFOUND (table). */
REMDB_API
int remdb_iter_open(remdb *db, const char *table, int flags,
                    remdb_iter **out);

/* Advance.  Returns REMDB_ROW with *json and *len set to the next entity as a
** JSON object (NUL-terminated; *len excludes the NUL), REMDB_DONE at the
** end, or an error code.  The JSON is borrowed: valid until the next call
** on the iterator.
** Returns REMDB_ROW, REMDB_DONE, REMDB_CORRUPT. */
REMDB_API
int remdb_iter_next(remdb_iter *it, const char **json, size_t *len);

/* Free the iterator.  NULL is a no-op. */
REMDB_API
void remdb_iter_free(remdb_iter *it);

/* Entities of `table` whose indexed field `field` equals the JSON scalar
** `value` (for example "\"open\"", "3", "null"), served from the secondary
** index.  A value of a type the field never holds is read as the field's
** type: 3 on a string field is "3", "3" on an integer field is 3.  *json_out receives a JSON array of entities, caller frees with
** remdb_free().  REMDB_INVALID if `field` is not indexed.
** Returns REMDB_OK, REMDB_INVALID (not an indexed field, not a scalar),
** REMDB_NOTFOUND (table), REMDB_CORRUPT (an index entry without its entity). */
REMDB_API
int remdb_find(remdb *db, const char *table, const char *field,
               const char *value, int flags, char **json_out);

/* ---- Lookup ---------------------------------------------------------- */
#define REMDB_FUZZY 0x08 /* lookup flag: fall back to near misses */

/* Find entities of any table by key: each key is tried as an id, then as
** a key_field value or name (one seek in the key index kept by the write
** path), then normalised (case, spaces and punctuation ignored: "tap1234"
** finds "TAP-1234"), then, with REMDB_FUZZY, within a small edit distance
** of the normalised key.  *json_out: a JSON array of {key, match ("id",
** "key", "normalized" or "fuzzy"), distance, entity}, empty when nothing
** matches; soft-deleted entities are left out.  Caller frees it with
** remdb_free().
** Returns REMDB_OK, REMDB_BUSY (an index rebuild is pending). */
REMDB_API
int remdb_lookup(remdb *db, const char *const *keys, size_t nkeys, int flags,
                 char **json_out);

/* ---- Similarity search ---------------------------------------------- */
/* How remdb_search_ex finds the nearest rows. */
enum remdb_search_method {
  REMDB_SEARCH_AUTO,  /* by estimated cost: exact when the filter is
                         selective or the table small, else HNSW */
  REMDB_SEARCH_EXACT, /* score every candidate: the true top k */
  REMDB_SEARCH_HNSW   /* the table's HNSW index (filter-aware traversal) */
};

/* What remdb_search_ex ranks by. */
enum remdb_search_mode {
  REMDB_MODE_DEFAULT, /* hybrid when the table has both a full-text index
                         and an embedding whose provider embeds text, else
                         the one it has; vector for a query given as a
                         vector (opts->vector, "[0.1, ...]") */
  REMDB_MODE_KEYWORD, /* BM25 over the table's full-text index */
  REMDB_MODE_VECTOR,  /* similarity over its embedding (method applies) */
  REMDB_MODE_HYBRID   /* reciprocal rank fusion of the two lists */
};

typedef struct remdb_search_options {
  size_t k;           /* results wanted, 1..10000; default 10 */
  double min_score;   /* drop results scoring lower; default -1e30 (none) */
  const char *where;  /* SQL predicate over the table's columns, or NULL;
                         it is SQL, run as this handle's SQL is (the same
                         authorizer): never pass it text from untrusted
                         users */
  int ef_search;      /* HNSW candidates; 0 (default): the schema's */
  enum remdb_search_method method; /* default AUTO */
  const float *vector; /* the query as floats (borrowed), instead of the
                          query text; NULL (default): use the text */
  size_t vector_dim;   /* its length: the table's dim */
  /* ---- added with full-text search: new fields go after these, so a
  ** caller built against an older remdb.h (which sets only the fields
  ** above, after remdb_search_options_init) keeps working ---- */
  enum remdb_search_mode mode; /* default REMDB_MODE_DEFAULT */
  double rrf_k;       /* hybrid: a result scores the sum over the lists of
                         1 / (rrf_k + rank); default 60, > 0 */
  size_t hybrid_depth; /* hybrid: results taken from each list; default 0:
                          max(2 k, 50) (capped at 10000) */
  int snippets;       /* non-zero (keyword, hybrid): each result gets
                         "snippets", {field: best fragment with the matched
                         terms in [brackets]} for the fields that match */
  double bm25_k1;     /* BM25 term saturation, > 0; default 0: the
                         schema's fulltext "k1" (1.2 if not given) */
  double bm25_b;      /* BM25 length normalisation, 0..1; default -1: the
                         schema's fulltext "b" (0.75 if not given) */
} remdb_search_options;

/* Fill *opts with the defaults above. */
REMDB_API
void remdb_search_options_init(remdb_search_options *opts);

/* The k entities of `table` most similar to `query` (text, embedded by the
** table's provider, or a vector literal "[0.1, 0.2, ...]"), best first,
** among the live rows that satisfy opts->where.  With opts->vector set,
** query is ignored (and may be NULL) and the floats are the query.  The filter is applied
** inside the search, never after it: with EXACT (or AUTO choosing exact)
** the result is the true top k of the matching rows; HNSW is approximate
** (recall depends on ef_search; see BENCHMARKS.md).  opts may be NULL for
** the defaults.  Scores: cosine similarity, inner product, or minus the
** euclidean distance, by the table's metric.  *json_out: a JSON array of
** {id, score, entity}; caller frees it with remdb_free().  plan_out, if not
** NULL, receives the route taken, e.g. "hnsw ef=64 (1730 distances)" or
** "exact over 120 filtered rows"; caller frees it with remdb_free().
**
** opts->mode REMDB_MODE_KEYWORD ranks by BM25 over the table's full-text
** index: query is a full-text query (terms, "phrases", prefix*, -excluded,
** AND/OR, parentheses); score is the BM25 score (higher is better; SQLite
** FTS5's bm25() negated), the filter applies inside the search (the true
** filtered top k).  REMDB_MODE_HYBRID runs both with the same filter and
** fuses their ranks (reciprocal rank fusion, rrf_k): score is the fused
** score and each result also has "keyword_rank" and "vector_rank" (1-based,
** null when that list does not hold it), "keyword_score" and
** "vector_score".  With snippets set, keyword and hybrid results have
** "snippets".
** Returns REMDB_OK, REMDB_NOTFOUND (table), REMDB_INVALID (no embedding or
** no full-text index for the mode, the query (with the position of a
** full-text syntax error), ef_search, rrf_k, bm25_k1/b, the filter's SQL),
** REMDB_TOOBIG (k), REMDB_MISUSE (method, mode), REMDB_ERROR (the
** embedding provider; the schema changed during the search: run it
** again). */
REMDB_API
int remdb_search_ex(remdb *db, const char *table, const char *query,
                    const remdb_search_options *opts, char **json_out,
                    char **plan_out);

/* remdb_search_ex with k, min_score (-1e30 for any) and where given, the
** method AUTO and no plan.
** Returns: as remdb_search_ex. */
REMDB_API
int remdb_search(remdb *db, const char *table, const char *query, size_t k,
                 double min_score, const char *where, char **json_out);

/* ---- Ingestion ------------------------------------------------------- */
typedef struct remdb_ingest_options {
  size_t chunk_chars;   /* longest chunk in bytes, default 1000 */
  size_t overlap_chars; /* bytes of the previous chunk a chunk repeats, 100;
                           less than chunk_chars (else REMDB_INVALID) */
  int jsonl;            /* the text is JSON lines: one chunk per line, from
                           its "content" (or "text"); other fields become
                           the chunk's metadata */
} remdb_ingest_options;

/* Fill *opts with the defaults above. */
REMDB_API
void remdb_ingest_options_init(remdb_ingest_options *opts);

/* Ingest a document (text or markdown, len bytes) into `table` (NULL:
** resources), which must derive ids from uri and chunk_ordinal.  The text
** is split into chunks that respect headings and paragraphs; each becomes
** a row (uri, chunk_ordinal 0.., content, name = its heading), the
** document a row of its own (chunk_ordinal -1, category "document") with a
** has_chunk edge to every chunk.  Ingesting the same uri again replaces
** its chunks in place (the ids are the same) and removes those the new
** version no longer has.  All of it commits at once or not at all.
** *chunks_out (if not NULL) gets the number of chunks.
** Returns REMDB_OK, REMDB_INVALID (options, a table whose ids do not derive
** from uri), REMDB_NOTFOUND (table), REMDB_SCHEMA, REMDB_TOOBIG, REMDB_ERROR
** (the embedding provider). */
REMDB_API
int remdb_ingest(remdb *db, const char *table, const char *uri,
                 const char *name, const char *text, size_t len,
                 const remdb_ingest_options *opts, size_t *chunks_out);

/* ---- Graph ----------------------------------------------------------- */
/* Edges connect two entities of the tenant: (src, dst, type, properties,
** weight, created_at).  An edge is visible while both its entities are:
** soft-deleting an entity hides its edges, hard-deleting removes them. */
#define REMDB_OUT 1
#define REMDB_IN 2
#define REMDB_BOTH 3

/* Add or replace (keeping created_at) the edge src -type-> dst.  props is
** a JSON object of props_len bytes, or NULL.  Both ids must be live
** entities; type is an identifier of at most 64 characters.
** Returns REMDB_OK, REMDB_INVALID (an id, the type, weight or props),
** REMDB_NOTFOUND (an end is not a live entity), REMDB_TOOBIG (props). */
REMDB_API
int remdb_edge_put(remdb *db, const char *src, const char *dst,
                   const char *type, const char *props, size_t props_len,
                   double weight);

/* Remove the edge src -type-> dst.  REMDB_NOTFOUND if there is none.
** Returns REMDB_OK, REMDB_INVALID, REMDB_NOTFOUND. */
REMDB_API
int remdb_edge_delete(remdb *db, const char *src, const char *dst,
                      const char *type);

/* The visible edges of id in a direction (REMDB_OUT, REMDB_IN, REMDB_BOTH),
** of one type or all (type NULL), as a JSON array of {src, dst, type,
** weight, created_at, props}.  Caller frees *json_out with remdb_free().
** Returns REMDB_OK, REMDB_INVALID, REMDB_NOTFOUND. */
REMDB_API
int remdb_edges(remdb *db, const char *id, int direction, const char *type,
                char **json_out);

#define REMDB_EXACT_DEPTH 0x10 /* traverse flag: only nodes at exactly depth */

/* Breadth-first traversal from start, up to depth hops (0-64) along edges
** in direction, of one type or all.  Each entity is visited once, however
** many paths lead to it; at most max_nodes (0: 10,000) are visited, and
** "truncated" says whether the cap cut the search.  *json_out:
** {"nodes": [{"id", "depth", "entity", "path": [edges from start]}],
**  "truncated": bool}; caller frees it with remdb_free().
** Returns REMDB_OK, REMDB_INVALID (id, type, depth), REMDB_NOTFOUND (start). */
REMDB_API
int remdb_traverse(remdb *db, const char *start, int depth, int direction,
                   const char *type, size_t max_nodes, int flags,
                   char **json_out);

/* A path with the fewest hops (at most max_depth, 1-64) from `from` to
** `to`: {"length": n, "path": [edges]}, or {"length": null, "path": null}
** when there is none.  Caller frees *json_out with remdb_free().
** Returns REMDB_OK, REMDB_INVALID, REMDB_NOTFOUND. */
REMDB_API
int remdb_shortest_path(remdb *db, const char *from, const char *to,
                        int max_depth, int direction, const char *type,
                        char **json_out);

/* ---- SQL ------------------------------------------------------------- */
/* Every table of the handle's tenant is a SQL table of the same name:
** columns id, type, created_at, modified_at, deleted_at, then the schema's
** properties (integer, real, text; booleans as 0/1; objects and arrays as
** JSON text).  Soft-deleted rows are hidden; <table>_all shows them too.
** INSERT, UPDATE and DELETE (a soft delete) go through the same validation
** and indexes as the calls above, and each statement is atomic.  A
** statement starting with EXPLAIN runs the query and returns, instead of
** its rows, one row per table route: (table, route, scans, rows_examined,
** rows_returned). */
typedef struct remdb_stmt remdb_stmt;

/* Column types, as remdb_column_type() reports them. */
#define REMDB_INTEGER 1
#define REMDB_FLOAT 2
#define REMDB_TEXT 3
#define REMDB_BLOB 4
#define REMDB_NULL 5

/* Compile the first statement of sql (len bytes).  *out is NULL when the
** text holds no statement (only spaces or comments).  *used, if not NULL,
** gets the number of bytes consumed, so a caller can run a script
** statement by statement.  Free *out with remdb_finalize(), before closing
** db.  A syntax error's message gives SQLite's text and the byte offset.
** Returns REMDB_OK, REMDB_INVALID (syntax, a statement that is refused),
** REMDB_TOOBIG (the text), REMDB_NOTFOUND, REMDB_ERROR. */
REMDB_API
int remdb_prepare(remdb *db, const char *sql, size_t len, remdb_stmt **out,
                  size_t *used);

/* Bind parameter i (1-based) of a statement before its first step or after
** remdb_reset().  Text is copied.  Returns REMDB_OK, REMDB_INVALID (no
** parameter i), REMDB_ERROR. */
REMDB_API
int remdb_bind_null(remdb_stmt *st, int i);
REMDB_API
int remdb_bind_int64(remdb_stmt *st, int i, int64_t v);
REMDB_API
int remdb_bind_double(remdb_stmt *st, int i, double v);
REMDB_API
int remdb_bind_text(remdb_stmt *st, int i, const char *s, size_t len);

/* Run to the next row: REMDB_ROW, REMDB_DONE, or an error code with the
** message on the handle.  A write statement commits when it returns
** REMDB_DONE, or writes nothing.
** Returns REMDB_ROW, REMDB_DONE, REMDB_INVALID, REMDB_SCHEMA (a
** write broke the schema), REMDB_EXISTS (INSERT OR ABORT of an existing id),
** REMDB_TOOBIG (max_result_rows, max_sql_steps), REMDB_BUSY, REMDB_ERROR. */
REMDB_API
int remdb_step(remdb_stmt *st);

/* The current row.  Column indexes are 0-based.  Names and text are
** borrowed: valid until the next step, reset or finalize.  Text is
** NUL-terminated; *len (if not NULL) gets its length in bytes. */
REMDB_API
int remdb_column_count(remdb_stmt *st);
REMDB_API
const char *remdb_column_name(remdb_stmt *st, int i);
REMDB_API
int remdb_column_type(remdb_stmt *st, int i);
REMDB_API
int64_t remdb_column_int64(remdb_stmt *st, int i);
REMDB_API
double remdb_column_double(remdb_stmt *st, int i);
REMDB_API
const char *remdb_column_text(remdb_stmt *st, int i, size_t *len);

/* 1 if the statement writes no remdb table, so it can run on a read-only
** handle (it may still create or write TEMP tables and views: they belong
** to the handle's own SQL connection), 0 if it writes one (INSERT, UPDATE,
** DELETE).  Decided when the statement is prepared, before it runs. */
REMDB_API
int remdb_stmt_readonly(remdb_stmt *st);

/* The rows the last completed INSERT, UPDATE or DELETE statement on db
** inserted, changed or deleted. */
REMDB_API
int64_t remdb_changes(remdb *db);

/* Rewind a statement to run it again (bindings are kept).  Returns
** REMDB_OK (only the common codes). */
REMDB_API
int remdb_reset(remdb_stmt *st);
/* Free a statement.  NULL is a no-op. */
REMDB_API
void remdb_finalize(remdb_stmt *st);

/* ---- Maintenance ----------------------------------------------------- */

/* Called by remdb_verify() once per problem found, with a one-line
** description.  The string is borrowed for the duration of the call. */
typedef void (*remdb_report_fn)(void *ctx, const char *problem);

/* Check, for every table of the tenant, that each entity has exactly its
** index entries and id-directory entry (and, in a table whose ids derive
** from key_field or uri and chunk_ordinal, the id its key derives), and
** that every index entry points to an entity whose field has that value.  Every mismatch is reported
** through fn (which may be NULL) and counted in *problems_out.  A table
** whose index rebuild is pending (a reindex or schema change was
** interrupted; the next read-write open or remdb_reindex() finishes it) is
** reported in one line, counted as one problem (it is not verified), and
** its index entries, key-index entries and counters are not checked.
** Returns REMDB_OK if the check ran (even with problems), else only the
** common codes. */
REMDB_API
int remdb_verify(remdb *db, remdb_report_fn fn, void *ctx,
                 uint64_t *problems_out);

/* Rebuild the secondary indexes and id directory of `table` (NULL: every
** table of the tenant) from the entities.
** Returns REMDB_OK, REMDB_NOTFOUND (table). */
REMDB_API
int remdb_reindex(remdb *db, const char *table);

#define REMDB_ALL_TENANTS 0x20 /* backup/stats flag: the whole database */

/* Statistics of the handle's tenant as a JSON object: per table the live
** and deleted entity counts and index entries (and the vector index);
** "storage": per column family the approximate bytes of the tenant's key
** range in table files (RocksDB's estimate; writes still in memory are not
** counted until flushed).  Nothing is said about other tenants.  With
** REMDB_ALL_TENANTS, "database" adds the whole storage's figures per
** column family (estimated keys, live data, table files, memtables).
** Caller frees *json_out with remdb_free().
** Returns REMDB_OK (only the common codes). */
REMDB_API
int remdb_stats_ex(remdb *db, int flags, char **json_out);
/* remdb_stats_ex(db, 0, json_out). */
REMDB_API
int remdb_stats(remdb *db, char **json_out);

/* Write a consistent copy of the handle's tenant into the directory
** `dest`, which must not exist: a database of its own that holds that
** tenant and nothing of any other, as it was at one moment.  With
** REMDB_ALL_TENANTS, a copy of the whole database (every tenant).  The
** copy is written to "dest.tmp" and renamed to dest when complete (a
** failed backup leaves nothing behind; an interrupted one leaves dest.tmp,
** which is refused until removed).  Works on a read-only handle.
** Returns REMDB_OK, REMDB_EXISTS (dest, or dest.tmp, exists), REMDB_INVALID
** (dest). */
REMDB_API
int remdb_backup_ex(remdb *db, const char *dest, int flags);
/* remdb_backup_ex(db, dest, 0): the handle's tenant. */
REMDB_API
int remdb_backup(remdb *db, const char *dest);

/* Compact all column families.
** Returns REMDB_OK (only the common codes). */
REMDB_API
int remdb_compact(remdb *db);

/* ---- Parquet export ------------------------------------------------- */
#define REMDB_PARQUET_ZSTD 0   /* compression: zstd (the default) */
#define REMDB_PARQUET_SNAPPY 1 /* compression: snappy */
#define REMDB_PARQUET_NONE 2   /* compression: none */

/* Write the live rows of `table` (those the SQL predicate `where` selects;
** NULL: all) to the Parquet file `path`, streamed from the table's
** columnar copy under one snapshot: a row group per column segment, every
** column OPTIONAL with its chunk's statistics (min, max, null count).
** Columns: id (BYTE_ARRAY UTF8, the 36-char text), created_at and
** modified_at (INT64 TIMESTAMP(MICROS, UTC)), then the scalar properties
** the columns keep: integer as INT64, number as DOUBLE, boolean as
** BOOLEAN, string as BYTE_ARRAY UTF8, date-time as INT64
** TIMESTAMP(MICROS, UTC); NULL and absent values are NULLs.  Arrays,
** objects and properties left out by "columnar_fields" are not written.
** `where` is SQL, run as this handle's SQL is: never pass it text from
** untrusted users.  The file is written to "path.tmp" and renamed to path
** when complete; on error nothing is left behind.  rows_out, if not NULL,
** gets the number of rows written.
** Returns REMDB_OK, REMDB_NOTFOUND (table; its columns being rebuilt),
** REMDB_INVALID (compression, a where that is not one SQL condition, a
** table whose schema says "columnar": false, or a column holding values
** its type cannot represent exactly), REMDB_IO (path), or what the where
** condition's statement returned when it failed (its message says so). */
REMDB_API
int remdb_export_parquet(remdb *db, const char *table, const char *path,
                         const char *where, int compression,
                         uint64_t *rows_out);

#ifdef __cplusplus
}
#endif
#endif /* REMDB_H */

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
#include "remdb.h"

typedef struct store {
  kv_t *kv;
  char *path;
  remdb_options opts;
  pthread_mutex_t wlock; /* error-checking: relock by the owner is misuse */
  pthread_mutex_t reflock;
  int refs;
  atomic_uint_fast64_t epoch; /* bumped after every catalog change */
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
  bool holds_batch;
  buf_t kbuf, vbuf; /* scratch for single-entity writes */
};

/* ---- db.c */
int core_lock(remdb *db);
void core_unlock(remdb *db);
/* Allocate a fresh id for a tenant or table (caller holds wlock). */
int core_next_id(remdb *db, kv_batch_t *kb, uint32_t *out);

/* ---- catalog.c */
/* Refresh the cached catalog if another handle changed it. */
int cat_refresh(remdb *db);
void cat_clear(remdb *db);
/* The table named `name`, else REMDB_NOTFOUND with a message. */
int cat_find(remdb *db, const char *name, cat_table **out);
cat_table *cat_by_id(remdb *db, uint32_t table_id);
/* Finish any rebuild left pending by a crash (caller holds wlock). */
int cat_resume(remdb *db);
/* Stage the stored form of table s, with a rebuild spec or NULL. */
int cat_put_record(remdb *db, kv_batch_t *kb, const sch_table *s,
                   json_t *rebuild);
void cat_bump_epoch(remdb *db);

/* ---- write.c */
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
int ent_to_json(remdb *db, const cat_table *t, const uuid16_t *id,
                const rec_view *rv, buf_t *out);
/* Parse the id text of an API call. */
int parse_id(remdb *db, const char *id, uuid16_t *u);

/* Parse JSON input of len bytes with remdb's limits; on error the message
** says where (line and column) and what. */
int core_parse_json(remdb *db, const char *what, const char *json, size_t len,
                    json_t **out);

#endif /* REMDB_CORE_H */

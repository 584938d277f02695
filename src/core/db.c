/*
** db.c: handles.  Opening a database, binding a handle to a tenant,
** sharing one store between handles, error reporting and the few
** database-wide keys (format version, id counter, tenant directory).
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../util/jsonfast.h"

static const unsigned char meta_global[4] = {0, 0, 0, 0};

void remdb_options_init(remdb_options *o) {
  memset(o, 0, sizeof *o);
  o->create_if_missing = 1;
  o->sync = REMDB_SYNC_FULL;
  o->cache_bytes = 64u << 20;
  o->vector_cache_bytes = (size_t)4 << 30;
  o->column_cache_bytes = (size_t)1 << 30;
  o->write_buffer_bytes = 32u << 20;
  o->max_value_bytes = 1u << 20;
  o->max_entity_bytes = 8u << 20;
  o->max_depth = 64;
  o->max_sql_bytes = 1u << 20;
  o->max_result_rows = 10000000;
  o->max_sql_steps = 100000000000ull;
  o->fts_merge_work = FTS_MERGE_WORK;
}

const char *remdb_errstr(int rc) {
  switch (rc) {
    case REMDB_OK: return "not an error";
    case REMDB_ERROR: return "error";
    case REMDB_INVALID: return "invalid input";
    case REMDB_SCHEMA: return "schema violation";
    case REMDB_NOTFOUND: return "not found";
    case REMDB_EXISTS: return "already exists";
    case REMDB_TOOBIG: return "limit exceeded";
    case REMDB_NOMEM: return "out of memory";
    case REMDB_IO: return "storage error";
    case REMDB_CORRUPT: return "data is corrupt";
    case REMDB_BUSY: return "database is locked";
    case REMDB_MISUSE: return "API misuse";
    case REMDB_ROW: return "row available";
    case REMDB_DONE: return "no more rows";
    default: return "unknown result code";
  }
}

const char *remdb_errmsg(const remdb *db) {
  if (db == NULL) return "out of memory (no handle)";
  if (db->err.code == REMDB_OK) return "not an error";
  return db->err.msg[0] ? db->err.msg : remdb_errstr(db->err.code);
}

void remdb_free(void *p) { free(p); }

const char *remdb_tenant(const remdb *db) { return db ? db->tenant : NULL; }

/* The stores whose write lock this thread holds (for core_locked: a
** precondition check, so thread-local and without a race). */
#define HELD_MAX 8
static _Thread_local const store_t *held[HELD_MAX];

int core_lock(remdb *db) {
  int r = pthread_mutex_lock(&db->st->wlock);
  if (r == EDEADLK)
    return err_set(&db->err, REMDB_MISUSE,
                   "this thread holds an uncommitted batch; commit or free "
                   "it before writing another way");
  if (r != 0) return err_set(&db->err, REMDB_ERROR, "lock failed (%d)", r);
  for (int i = 0; i < HELD_MAX; i++)
    if (held[i] == NULL) {
      held[i] = db->st;
      break;
    }
  return REMDB_OK;
}

void core_unlock(remdb *db) {
  assert(core_locked(db));
  for (int i = 0; i < HELD_MAX; i++)
    if (held[i] == db->st) {
      held[i] = NULL;
      break;
    }
  pthread_mutex_unlock(&db->st->wlock);
}

bool core_locked(const remdb *db) {
  for (int i = 0; i < HELD_MAX; i++)
    if (held[i] == db->st) return true;
  return false;
}

static int read_u32(remdb *db, const void *key, size_t klen, uint32_t *out) {
  kv_val v;
  int rc = kv_get(db->st->kv, NULL, KV_META, key, klen, &v, &db->err);
  if (rc) return rc;
  if (v.len != 4) {
    kv_val_free(&v);
    return err_set(&db->err, REMDB_CORRUPT, "meta value has length %zu",
                   v.len);
  }
  *out = get_u32be((const unsigned char *)v.data);
  kv_val_free(&v);
  return REMDB_OK;
}

/* The counter is read under wlock and written in the caller's batch, so
** two ids handed out before a commit must come from one call site that
** keeps its own count; every caller allocates at most one id per batch. */
int core_next_id(remdb *db, kv_batch_t *kb, uint32_t *out) {
  assert(core_locked(db));
  buf_t k;
  buf_init(&k);
  buf_add(&k, meta_global, 4);
  buf_adds(&k, "next_id");
  uint32_t cur = KV_FIRST_ID - 1;
  int rc = k.oom ? err_nomem(&db->err) : read_u32(db, k.p, k.len, &cur);
  if (rc == REMDB_NOTFOUND) {
    cur = KV_FIRST_ID - 1;
    rc = REMDB_OK;
  }
  if (rc == REMDB_OK && cur == UINT32_MAX)
    rc = err_set(&db->err, REMDB_TOOBIG, "table/tenant ids exhausted");
  if (rc == REMDB_OK) {
    unsigned char v[4];
    put_u32be(v, cur + 1);
    kv_batch_put(kb, KV_META, k.p, k.len, v, 4);
    *out = cur + 1;
  }
  buf_free(&k);
  return rc;
}

int core_copy_globals(remdb *db, const kv_snap_t *snap, kv_batch_t *kb) {
  static const char *const names[] = {"format", "next_id"};
  buf_t k;
  buf_init(&k);
  int rc = REMDB_OK;
  for (int i = 0; i < 3 && rc == REMDB_OK; i++) {
    buf_reset(&k);
    if (i < 2) {
      buf_add(&k, meta_global, 4);
      buf_adds(&k, names[i]);
    } else if (db->tid) {
      key_named(&k, 0, 'T', db->tenant);
    } else {
      break; /* the tenant has no data: no directory entry */
    }
    if (k.oom) {
      rc = err_nomem(&db->err);
      break;
    }
    kv_val v;
    rc = kv_get(db->st->kv, snap, KV_META, k.p, k.len, &v, &db->err);
    if (rc == REMDB_NOTFOUND) {
      rc = REMDB_OK;
      continue;
    }
    if (rc == REMDB_OK) {
      kv_batch_put(kb, KV_META, k.p, k.len, v.data, v.len);
      kv_val_free(&v);
    }
  }
  buf_free(&k);
  return rc;
}

const char *core_rebuild_hint(remdb *db) {
  if (!kv_read_only(db->st->kv) || kv_writer_active(db->st->path)) return "";
  return " (no process is rebuilding it: the rebuild was interrupted; open "
         "the database read-write once, any writing command, to finish it)";
}

static bool tenant_valid(const char *t) {
  size_t n = strlen(t);
  if (n == 0 || n > 64 || t[0] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

static int check_format(remdb *db) {
  buf_t k;
  buf_init(&k);
  buf_add(&k, meta_global, 4);
  buf_adds(&k, "format");
  uint32_t ver = 0;
  int rc = k.oom ? err_nomem(&db->err) : read_u32(db, k.p, k.len, &ver);
  if (rc == REMDB_NOTFOUND && !kv_read_only(db->st->kv)) {
    kv_batch_t *kb = kv_batch_new(db->st->kv);
    unsigned char v[4];
    put_u32be(v, KV_FORMAT_VERSION);
    if (kb == NULL) {
      rc = err_nomem(&db->err);
    } else {
      kv_batch_put(kb, KV_META, k.p, k.len, v, 4);
      rc = kv_write(db->st->kv, kb, 1, &db->err);
      kv_batch_free(kb);
    }
  } else if (rc == REMDB_NOTFOUND) {
    rc = REMDB_OK;
  } else if (rc == REMDB_OK && ver >= KV_FORMAT_OLDEST &&
             ver < KV_FORMAT_VERSION && !kv_read_only(db->st->kv)) {
    /* an older database: a writer marks it current, so that an older
    ** build, which would not keep the newer derived data in step,
    ** refuses it from now on; before format 3 it has no columns: every
    ** table is marked, in the same batch, for a rebuild that builds them
    ** (columns.c), done once (and resumed after a crash) by each
    ** tenant's writable open.  (Full-text indexes of a format-1 database
    ** are built by reindex: core/fts.c.) */
    kv_batch_t *kb = kv_batch_new(db->st->kv);
    unsigned char v[4];
    put_u32be(v, KV_FORMAT_VERSION);
    rc = kb ? REMDB_OK : err_nomem(&db->err);
    if (rc == REMDB_OK && ver < COL_FORMAT) rc = col_upgrade(db, kb);
    if (rc == REMDB_OK) {
      kv_batch_put(kb, KV_META, k.p, k.len, v, 4);
      rc = kv_write(db->st->kv, kb, 1, &db->err);
    }
    kv_batch_free(kb);
    if (rc) err_prefix(&db->err, "upgrading the database to format %u",
                       KV_FORMAT_VERSION);
  } else if (rc == REMDB_OK && ver >= KV_FORMAT_OLDEST &&
             ver < KV_FORMAT_VERSION) {
    db->st->format = ver; /* read as it is (no columns before format 3) */
  } else if (rc == REMDB_OK && ver != KV_FORMAT_VERSION) {
    rc = err_set(&db->err, REMDB_CORRUPT,
                 "database format version %u is not supported by this build "
                 "(which reads version %u)%s",
                 ver, KV_FORMAT_VERSION,
                 ver > KV_FORMAT_VERSION ? ": upgrade remdb" : "");
  }
  buf_free(&k);
  return rc;
}

/* Find the tenant's id, creating the tenant if the store is writable. */
static int bind_tenant(remdb *db) {
  buf_t k;
  buf_init(&k);
  key_named(&k, 0, 'T', db->tenant);
  if (k.oom) return err_nomem(&db->err);
  int rc = read_u32(db, k.p, k.len, &db->tid);
  if (rc == REMDB_NOTFOUND) {
    db->tid = 0;
    rc = REMDB_OK;
    if (!kv_read_only(db->st->kv) && (rc = core_lock(db)) == REMDB_OK) {
      /* look again under the lock: another handle may have created it */
      rc = read_u32(db, k.p, k.len, &db->tid);
      if (rc == REMDB_NOTFOUND) {
        kv_batch_t *kb = kv_batch_new(db->st->kv);
        uint32_t id = 0;
        rc = kb ? core_next_id(db, kb, &id) : err_nomem(&db->err);
        if (rc == REMDB_OK) {
          unsigned char v[4];
          put_u32be(v, id);
          kv_batch_put(kb, KV_META, k.p, k.len, v, 4);
          rc = kv_write(db->st->kv, kb, 1, &db->err);
          if (rc == REMDB_OK) db->tid = id;
        }
        kv_batch_free(kb);
      }
      core_unlock(db);
    }
  }
  buf_free(&k);
  return rc;
}

static remdb *handle_new(store_t *st, const char *tenant) {
  remdb *db = calloc(1, sizeof *db);
  if (db == NULL) return NULL;
  db->st = st;
  snprintf(db->tenant, sizeof db->tenant, "%s", tenant ? tenant : "");
  db->lim.max_depth = st->opts.max_depth;
  db->lim.max_value_bytes = st->opts.max_value_bytes;
  buf_init(&db->kbuf);
  buf_init(&db->vbuf);
  return db;
}

static void store_release(store_t *st) {
  if (st == NULL) return;
  pthread_mutex_lock(&st->reflock);
  int left = --st->refs;
  pthread_mutex_unlock(&st->reflock);
  if (left > 0) return;
  vix_free_all(st);
  fts_cache_free(st);
  col_store_free(st);
  kv_close(st->kv);
  pthread_mutex_destroy(&st->vmu);
  pthread_mutex_destroy(&st->cmu);
  pthread_mutex_destroy(&st->wlock);
  pthread_mutex_destroy(&st->reflock);
  free(st->path);
  free(st->cnt);
  free(st->jlive);
  free(st);
}

static int check_tenant(remdb *db, const char *tenant) {
  if (tenant != NULL && tenant_valid(tenant)) return REMDB_OK;
  char shown[81];
  err_printable(shown, sizeof shown, tenant ? tenant : "(null)");
  return err_set(&db->err, REMDB_INVALID,
                 "invalid tenant name \"%s\": use 1-64 characters from "
                 "A-Z a-z 0-9 _ - (not starting with -)",
                 shown);
}

/* Finish opening db on its store: bind the tenant, load the catalog,
** finish any rebuild a crash interrupted and roll back any large batch
** (an import) a crash left unfinished. */
static int handle_start(remdb *db, const char *tenant) {
  int rc = check_tenant(db, tenant);
  if (rc) return rc;
  rc = bind_tenant(db);
  if (rc == REMDB_OK) rc = cat_refresh(db);
  if (rc == REMDB_OK && !kv_read_only(db->st->kv)) {
    for (uint32_t i = 0; i < db->ntables && rc == REMDB_OK; i++) {
      if (db->tables[i].rebuild == NULL) continue;
      if ((rc = core_lock(db)) == REMDB_OK) {
        rc = cat_resume(db);
        core_unlock(db);
      }
      break;
    }
    if (rc == REMDB_OK && journal_pending(db) &&
        (rc = core_lock(db)) == REMDB_OK) {
      rc = journal_rollback(db, NULL);
      if (rc) err_prefix(&db->err, "rolling back an unfinished import");
      core_unlock(db);
    }
  }
  return rc;
}

/* A reader that finds an unfinished large batch: if no process is writing
** (the batch's process died), open the database read-write once, which
** rolls it back, and read on from there; if one is, that is the batch's
** own process (its rows appear as its parts commit). */
static int settle_journal(remdb *db, const char *path) {
  if (!journal_pending(db) || kv_writer_active(path)) return REMDB_OK;
  remdb_options o = db->st->opts;
  o.read_only = 0;
  o.create_if_missing = 0;
  remdb *w = NULL;
  int rc = core_open(path, db->tenant, &o, &w);
  if (rc == REMDB_BUSY) {
    remdb_close(w);
    return REMDB_OK;
  }
  if (rc) {
    err_set(&db->err, rc,
            "an interrupted import left rows to roll back, and opening the "
            "database to do it failed (%s): open it read-write once (any "
            "writing command does it)",
            remdb_errmsg(w));
    remdb_close(w);
    return rc;
  }
  remdb_close(w);
  bool changed;
  rc = kv_catch_up(db->st->kv, &changed, &db->err);
  if (rc == REMDB_OK && changed) atomic_fetch_add(&db->st->epoch, 2);
  if (rc == REMDB_OK) rc = cat_refresh(db);
  return rc;
}

int core_open(const char *path, const char *tenant, const remdb_options *opts,
              remdb **out) {
  remdb_options o;
  if (opts)
    o = *opts;
  else
    remdb_options_init(&o);
  *out = NULL;
  store_t *st = calloc(1, sizeof *st);
  if (st == NULL) return REMDB_NOMEM;
  st->opts = o;
  st->refs = 1;
  atomic_init(&st->epoch, 2); /* even; 0 means "no catalog cached" */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&st->wlock, &ma);
  pthread_mutexattr_destroy(&ma);
  pthread_mutex_init(&st->reflock, NULL);
  pthread_mutex_init(&st->vmu, NULL);
  pthread_mutex_init(&st->cmu, NULL);
  remdb *db = handle_new(st, tenant);
  if (db == NULL) {
    store_release(st);
    return REMDB_NOMEM;
  }
  *out = db;
  if (path == NULL || path[0] == 0)
    return err_set(&db->err, REMDB_MISUSE, "no database path given");
  if (o.sync != REMDB_SYNC_FULL && o.sync != REMDB_SYNC_NONE &&
      o.sync != REMDB_SYNC_GROUP)
    return err_set(&db->err, REMDB_MISUSE, "remdb_options.sync is unknown");
  if (o.max_depth < 1 || o.max_value_bytes == 0 || o.max_entity_bytes == 0 ||
      o.max_sql_bytes == 0 || o.max_result_rows == 0 ||
      o.cache_bytes == 0 || o.write_buffer_bytes == 0 ||
      o.vector_cache_bytes == 0 || o.column_cache_bytes == 0)
    return err_set(&db->err, REMDB_MISUSE, "remdb_options has a zero limit");
  if (o.exec_threads < 0 || o.exec_threads > 1024)
    return err_set(&db->err, REMDB_MISUSE,
                   "remdb_options.exec_threads must be 0..1024, not %d",
                   o.exec_threads);
  /* a bad tenant name must not leave a new database behind */
  int rc = check_tenant(db, tenant);
  if (rc) return rc;
  st->path = strdup(path);
  if (st->path == NULL) return err_nomem(&db->err);
  kv_options ko = {.create_if_missing = o.create_if_missing != 0,
                   .read_only = o.read_only != 0,
                   .sync = o.sync == REMDB_SYNC_FULL,
                   .group = o.sync == REMDB_SYNC_GROUP,
                   .cache_bytes = o.cache_bytes,
                   .write_buffer_bytes = o.write_buffer_bytes};
  fts_register();
  rc = kv_open(path, &ko, &st->kv, &db->err);
  st->format = KV_FORMAT_VERSION;
  if (rc == REMDB_OK) rc = check_format(db);
  if (rc == REMDB_OK) rc = handle_start(db, tenant);
  if (rc == REMDB_OK && o.read_only) rc = settle_journal(db, path);
  return rc;
}

/* A fingerprint of every tenant's catalog and of the tenant directory:
** the meta keys TID 'S' NAME and 0 'T' NAME with their values. */
static int catalog_print(remdb *db, uuid16_t *out) {
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, NULL, KV_META, NULL, 0, NULL, 0, &it,
                       &db->err);
  if (rc) return rc;
  buf_t b;
  buf_init(&b);
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    if (kl < 5 || (k[4] != 'S' && k[4] != 'T')) continue;
    const char *v = kv_iter_value(it, &vl);
    buf_add_u32be(&b, (uint32_t)kl);
    buf_add(&b, k, kl);
    buf_add_u32be(&b, (uint32_t)vl);
    buf_add(&b, v, vl);
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc == REMDB_OK && b.oom) rc = err_nomem(&db->err);
  if (rc == REMDB_OK) uuid_from_hash(out, b.p ? b.p : "", b.len);
  buf_free(&b);
  return rc;
}

int remdb_refresh(remdb *db) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  store_t *st = db->st;
  if (!kv_read_only(st->kv)) return REMDB_OK;
  uuid16_t before, after;
  int rc = catalog_print(db, &before);
  bool changed = false;
  if (rc == REMDB_OK) rc = kv_catch_up(st->kv, &changed, &db->err);
  if (rc || !changed) return rc;
  /* vectors may have changed: the graphs are read again when needed */
  pthread_mutex_lock(&st->vmu);
  vix_free_all(st);
  pthread_mutex_unlock(&st->vmu);
  rc = catalog_print(db, &after);
  if (rc == REMDB_OK && memcmp(before.b, after.b, 16) != 0)
    atomic_fetch_add(&st->epoch, 2); /* every handle reloads its tables */
  if (rc == REMDB_OK && db->tid == 0) rc = bind_tenant(db); /* created? */
  if (rc == REMDB_OK) rc = cat_refresh(db);
  return rc;
}

int core_open_tenant(remdb *parent, const char *tenant, remdb **out) {
  *out = NULL;
  if (parent == NULL || parent->st->kv == NULL) return REMDB_MISUSE;
  store_t *st = parent->st;
  pthread_mutex_lock(&st->reflock);
  st->refs++;
  pthread_mutex_unlock(&st->reflock);
  remdb *db = handle_new(st, tenant);
  if (db == NULL) {
    store_release(st);
    return REMDB_NOMEM;
  }
  *out = db;
  return handle_start(db, tenant);
}

void remdb_close(remdb *db) {
  if (db == NULL) return;
  if (db->sql_free) db->sql_free(db->sql);
  cat_clear(db);
  buf_free(&db->kbuf);
  buf_free(&db->vbuf);
  store_release(db->st);
  free(db);
}

int core_parse_json(remdb *db, const char *what, const char *json, size_t len,
                    json_t **out) {
  *out = NULL;
  if (json == NULL) return err_set(&db->err, REMDB_MISUSE, "%s: NULL", what);
  if (len > db->st->opts.max_entity_bytes)
    return err_set(&db->err, REMDB_TOOBIG,
                   "%s: %zu bytes of JSON, over the limit of %zu", what, len,
                   db->st->opts.max_entity_bytes);
  json_t *j = json_fast_load(json, len); /* NULL: jansson decides */
  if (j != NULL) {
    *out = j;
    return REMDB_OK;
  }
  json_error_t je;
  j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    return err_set(&db->err, REMDB_INVALID,
                   "%s: invalid JSON at line %d column %d: %s", what, je.line,
                   je.column, je.text);
  *out = j;
  return REMDB_OK;
}

int core_flags(remdb *db, const char *call, int flags, int allowed) {
  if ((flags & ~allowed) == 0) return REMDB_OK;
  return err_set(&db->err, REMDB_MISUSE, "%s: unknown flags 0x%x", call,
                 (unsigned)(flags & ~allowed));
}

int core_hand_out(remdb *db, int rc, buf_t *out, char **json_out) {
  if (rc == REMDB_OK) {
    *json_out = buf_detach(out, NULL);
    if (*json_out == NULL) rc = err_nomem(&db->err);
  }
  buf_free(out);
  return rc;
}

/*
** kv.c: RocksDB behind remdb's storage interface.  The one place that calls
** RocksDB: it opens the column families with tuned options, reads with
** pinned slices (no copy), commits write batches with the configured
** durability, and iterates with bounds.  Every RocksDB error string is
** turned into a remdb code and message here and freed here.
**
** Read-only opens are RocksDB *secondary* instances.  One process at a
** time opens a database read-write (RocksDB's LOCK file); any number of
** readers, in any processes, open it beside that writer without a lock.
** RocksDB's plain read-only instance is not meant to run beside a writer:
** the writer deletes files (a log once flushed, table files once
** compacted) that such a reader may still need, which shows as I/O errors
** or, if a log vanishes between the reader's reading of the MANIFEST and
** its listing of the logs, as a view that lacks the writes of that log.  A
** secondary instance is built to follow a live writer: it opens every
** table file at once (max_open_files -1: a file the writer deletes later
** stays readable), reads the logs through readers it keeps, and
** kv_catch_up() (TryCatchUpWithPrimary) moves it to the writer's latest
** committed state, one whole write batch at a time.  If the writer's
** MANIFEST changed while the open ran (a flush may have committed between
** the open's reading of the MANIFEST and of the logs: the window above),
** the open is followed by a catch-up, which reads the flush's table file
** from the MANIFEST.  An open or catch-up that meets a file the writer
** just deleted is tried again.
**
** When no process holds the database for writing (its LOCK), a reader
** opens a plain read-only instance instead: the same view, but no info
** log, private directory or log tailing, which makes it about twice as
** cheap to open, and a CLI read is mostly its open.  A writer that starts
** later deletes nothing such a reader needs: every table file is open
** (max_open_files -1), the logs were read at open, and a writer changes
** the MANIFEST (a new one at every open) before it deletes any file; so
** a MANIFEST that changed while the open ran sends the reader to a
** secondary instance after all.  kv_catch_up() on a plain instance opens
** a secondary one in its place (the first refresh of a shell, say), since
** only a secondary follows a writer.
**
** A secondary instance's view changes only in kv_catch_up(), and its
** iterators do not take RocksDB snapshots; so a read-only store's
** "snapshots" are its current view, and kv_catch_up() refuses while any
** snapshot or iterator is open.  The instance writes its info log in a
** private temporary directory (RocksDB requires one), which is removed as
** soon as the open succeeds (the log stays open; nothing else is made).
*/
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kv.h"

static const char *const cf_names[KV_NCF] = {"meta", "entity", "index",
                                             "edge", "vector", "columns"};

struct kv {
  rocksdb_t *db;
  rocksdb_options_t *opts;
  rocksdb_options_t *cf_opts[KV_NCF];
  rocksdb_block_based_table_options_t *bbt[KV_NCF];
  rocksdb_cache_t *cache;
  rocksdb_column_family_handle_t *cf[KV_NCF];
  /* a read-only open of a database older than format 3, which has no
  ** column cf (and no column keys): cf[KV_COLUMN] is NULL and reads of
  ** it find nothing */
  bool nocol;
  /* a finished batch, cleared, for the next kv_batch_new: its buffer
  ** keeps its capacity (a bulk transaction's batch grew by doubling,
  ** copied and faulted in afresh every transaction); at most
  ** KV_SPARE_BATCH bytes held at its most (its peak) */
  _Atomic(rocksdb_writebatch_t *) spare_wb;
  rocksdb_writeoptions_t *wo_sync, *wo_nosync;
  rocksdb_readoptions_t *ro;
  bool sync;
  bool read_only; /* a secondary or plain read-only instance (see above) */
  bool plain;     /* read_only, and a plain read-only instance */
  char *path;     /* the database (read-only stores: to reopen it) */
  char *secdir;   /* a secondary's private directory, removed at close */
  /* a secondary's writer session: the MANIFEST it was opened on (a new
  ** writer session writes a new one; see kv_catch_up) */
  char manifest[300];
  atomic_int views; /* open snapshots and iterators (read-only stores) */
  /* group commit: the syncer thread fsyncs the WAL whenever something was
  ** written since its last fsync, and wakes the writers waiting for it */
  bool group;
  pthread_t syncer;
  pthread_mutex_t gmu;
  pthread_cond_t gcv;       /* signalled on new writes and on each fsync */
  uint64_t written, synced; /* sequence numbers */
  bool stop;
  char *gerr;               /* a failed fsync, reported to every waiter */
  /* ranges to compact when the writer closes (kv_compact_deleted) */
  pthread_mutex_t cmu;
  unsigned char *clo[KV_NCF], *chi[KV_NCF];
  size_t clol[KV_NCF], chil[KV_NCF];
  /* a writer, while open: in the list of this process's writers */
  struct kv *next_writer;
  bool registered;
  dev_t dev;
  ino_t ino;
};

/* This process's writers.  RocksDB's lock on LOCK is a POSIX record lock:
** it belongs to the process, so F_GETLK does not report it to the process
** that holds it, and closing any descriptor of LOCK in that process drops
** it (another process could then open the database for writing beside
** this one).  So kv_writer_active answers for this process from this list
** (by the directory's device and inode), and writers_mu is held while a
** writer opens or closes and while kv_writer_active has LOCK open: no
** descriptor of LOCK is closed here while this process holds the lock. */
static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kv *writers;

/* The merge operator of the index column family (kv_set_merge). */
static const kv_merge_ops *merge_ops;

void kv_set_merge(const kv_merge_ops *ops) { merge_ops = ops; }

static char *mo_full(void *st, const char *k, size_t kl, const char *base,
                     size_t bl, const char *const *ops, const size_t *lens,
                     int n, unsigned char *ok, size_t *outlen) {
  (void)st;
  buf_t out;
  buf_init(&out);
  *ok = merge_ops && merge_ops->full(k, kl, base, bl, ops, lens, (size_t)n,
                                     &out) == 0 &&
        !out.oom;
  if (!*ok) {
    buf_free(&out);
    *outlen = 0;
    return NULL;
  }
  char *v = buf_detach(&out, outlen);
  *ok = v != NULL;
  return v;
}

static char *mo_partial(void *st, const char *k, size_t kl,
                        const char *const *ops, const size_t *lens, int n,
                        unsigned char *ok, size_t *outlen) {
  (void)st;
  buf_t out;
  buf_init(&out);
  *ok = merge_ops && merge_ops->partial &&
        merge_ops->partial(k, kl, ops, lens, (size_t)n, &out) == 0 &&
        !out.oom;
  if (!*ok) {
    buf_free(&out);
    *outlen = 0;
    return NULL;
  }
  char *v = buf_detach(&out, outlen);
  *ok = v != NULL;
  return v;
}

static void mo_delete(void *st, const char *v, size_t n) {
  (void)st;
  (void)n;
  free((void *)v);
}

static void mo_destroy(void *st) { (void)st; }

static const char *mo_name(void *st) {
  (void)st;
  return "remdb.index";
}

struct kv_batch {
  kv_t *kv;
  rocksdb_writebatch_t *wb;
  /* the most bytes it held before a clear or a rollback (its buffer
  ** keeps the capacity it grew to: kv_batch_free keeps no bigger one) */
  size_t peak;
};

/* Note b's bytes in its peak (before they are cleared or rolled back). */
static void batch_peak(kv_batch_t *b) {
  size_t used;
  rocksdb_writebatch_data(b->wb, &used);
  if (used > b->peak) b->peak = used;
}

struct kv_snap {
  const rocksdb_snapshot_t *s; /* NULL on a read-only store */
  rocksdb_readoptions_t *ro;
  uint64_t seq; /* the state's sequence number, 0 if unknown */
};

struct kv_iter {
  kv_t *kv;
  rocksdb_iterator_t *it;
  rocksdb_readoptions_t *ro;
  unsigned char *lo, *hi;
};

const char *kv_cf_name(int cf) { return cf_names[cf]; }

/* Convert a RocksDB error string (and free it) into e.  Lock failures are
** REMDB_BUSY so the CLI can say the database is open elsewhere. */
static int kv_err(err_t *e, char *rerr, const char *what) {
  int code = REMDB_IO;
  if (strstr(rerr, "lock") || strstr(rerr, "LOCK")) code = REMDB_BUSY;
  if (strstr(rerr, "Corruption")) code = REMDB_CORRUPT;
  if (code == REMDB_BUSY)
    err_set(e, code, "%s: database is locked (open in another process?): %s",
            what, rerr);
  else
    err_set(e, code, "%s: %s", what, rerr);
  rocksdb_free(rerr);
  return code;
}

/* The index column family's memtable inserts with a hint per key prefix
** of 13 bytes (a full-text index's kind: TID F TBL KIND).  A commit
** stages its full-text keys in key order; without a hint RocksDB's
** skiplist searches from the top for every key that is not next to the
** previous one (a full search per key), with it only from the level
** where the two keys part (about a third of an import's time went to
** memtable inserts, measured).  The C API has no setter: the options
** string does it.  op itself if that fails (the hint only saves time).
** Beware: RocksDB 7.8 keeps one hint per prefix for the point memtable
** and the range-deletion table alike, so a range deletion on this column
** family whose start key holds a whole prefix (13 bytes or more) would
** take a hint into the wrong skiplist and corrupt it (seen: an assertion
** in Debian's librocksdb).  kv_batch_del_range asserts it never does. */
#define INDEX_HINT_PREFIX 13
static rocksdb_options_t *index_insert_hints(rocksdb_options_t *op) {
  rocksdb_options_t *n = rocksdb_options_create();
  char *rerr = NULL;
  rocksdb_get_options_from_string(
      op, "memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.13",
      n, &rerr);
  if (rerr) {
    rocksdb_free(rerr);
    rocksdb_options_destroy(n);
    return op;
  }
  rocksdb_options_destroy(op);
  return n;
}

static rocksdb_options_t *cf_options(kv_t *kv, int cf, const kv_options *o) {
  rocksdb_options_t *op = rocksdb_options_create();
  rocksdb_block_based_table_options_t *t =
      rocksdb_block_based_options_create();
  rocksdb_block_based_options_set_block_cache(t, kv->cache);
  rocksdb_block_based_options_set_block_size(t, 16 * 1024);
  rocksdb_block_based_options_set_cache_index_and_filter_blocks(t, 1);
  rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(t,
                                                                         1);
  /* column segments are large values read whole, by full key: big blocks,
  ** and no filter (a reader's first get would load it) */
  if (cf == KV_COLUMN) rocksdb_block_based_options_set_block_size(t, 64 * 1024);
  if (cf == KV_ENTITY || cf == KV_META || cf == KV_VECTOR) {
    /* point reads by full key: a bloom filter saves the disk probes, and
    ** a hash index inside each data block replaces the binary search and
    ** the walk from the restart point (the top cost of a get when blocks
    ** are cached); smaller blocks mean less to walk on a scan miss */
    rocksdb_block_based_options_set_filter_policy(
        t, rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_data_block_index_type(
        t, rocksdb_block_based_table_data_block_index_type_binary_search_and_hash);
    rocksdb_block_based_options_set_data_block_hash_ratio(t, 0.75);
    rocksdb_block_based_options_set_block_size(t, 8 * 1024);
    /* the hash finds the restart point; a get then parses up to this many
    ** keys from it (16 by default: the top cost in a profile of gets) */
    rocksdb_block_based_options_set_block_restart_interval(t, 4);
  }
  /* a search reads the graph's nodes (a vector and its links, ~2 KiB at
  ** 384 dimensions) one by one, in no order: a 4 KiB block holds one or
  ** two, and a lazy search (src/core/vindex.c) reads a third less */
  if (cf == KV_VECTOR) rocksdb_block_based_options_set_block_size(t, 4 * 1024);
  rocksdb_options_set_block_based_table_factory(op, t);
  rocksdb_options_set_write_buffer_size(op, o->write_buffer_bytes);
  /* the columns' memtable holds row deltas and rewritten segments, most
  ** of them superseded by the next merge: a quarter of the others' bound
  ** (a full-size one was +35 MiB of a 1M-row import's peak RSS) */
  if (cf == KV_COLUMN)
    rocksdb_options_set_write_buffer_size(op, o->write_buffer_bytes / 4);
  rocksdb_options_set_compression(op, rocksdb_lz4_compression);
  if (cf == KV_COLUMN) {
    /* its flushes are mostly row deltas that a merge deletes before they
    ** leave level 0: compressed from level 1 on (LZ4 at flush was a tenth
    ** of what the columns cost a bulk insert) */
    int lv[7] = {rocksdb_no_compression,  rocksdb_lz4_compression,
                 rocksdb_lz4_compression, rocksdb_lz4_compression,
                 rocksdb_lz4_compression, rocksdb_lz4_compression,
                 rocksdb_lz4_compression};
    rocksdb_options_set_compression_per_level(op, lv, 7);
  }
  rocksdb_options_set_level_compaction_dynamic_level_bytes(op, 1);
  if (cf == KV_INDEX) {
    /* the full-text index's values are merged (kv_set_merge); runs of
    ** operands are combined by flushes and compactions (partial merges).
    ** (max_successive_merges, which folds them at write time, costs a
    ** memtable search per write: 40% of the insert rate, measured) */
    rocksdb_options_set_merge_operator(
        op, rocksdb_mergeoperator_create(NULL, mo_destroy, mo_full, mo_partial,
                                         mo_delete, mo_name));
  }
  kv->bbt[cf] = t;
  if (cf == KV_INDEX) op = index_insert_hints(op);
  return op;
}

/* Remove the secondary instance's private directory (flat: its logs). */
static void remove_secdir(kv_t *kv) {
  if (kv->secdir == NULL) return;
  DIR *d = opendir(kv->secdir);
  if (d) {
    struct dirent *ent;
    char p[4200];
    while ((ent = readdir(d)) != NULL) {
      if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
      snprintf(p, sizeof p, "%s/%s", kv->secdir, ent->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(kv->secdir);
  free(kv->secdir);
  kv->secdir = NULL;
}

/* Is rerr a file the writer deleted under us (worth another try)? */
static bool vanished(const char *rerr) {
  return strstr(rerr, "No such file") || strstr(rerr, "PathNotFound") ||
         strstr(rerr, "not found") || strstr(rerr, "NotFound");
}

#define SECONDARY_TRIES 20

/* The writer's MANIFEST as the file system shows it: its name (from
** CURRENT) and size.  Any version change (a flush, a compaction, a new
** MANIFEST) changes one or the other before the writer deletes a file. */
static void manifest_state(const char *path, char *out, size_t n) {
  char p[4200], name[256] = "";
  snprintf(p, sizeof p, "%s/CURRENT", path);
  FILE *f = fopen(p, "r");
  if (f) {
    if (fgets(name, sizeof name, f) == NULL) name[0] = 0;
    fclose(f);
  }
  name[strcspn(name, "\n")] = 0;
  snprintf(p, sizeof p, "%s/%s", path, name);
  struct stat st;
  long long size = stat(p, &st) == 0 ? (long long)st.st_size : -1;
  snprintf(out, n, "%s %lld", name, size);
}

/* Open path as a secondary instance and catch it up once (see the top of
** the file).  A try that meets a file the writer just deleted is made
** again; the last error is returned in *rerr. */
static rocksdb_t *open_secondary(kv_t *kv, const char *path,
                                 const char *const *names,
                                 const rocksdb_options_t *const *cfo,
                                 rocksdb_column_family_handle_t **h,
                                 char **rerr) {
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/remdb-reader-XXXXXX",
           tmp && tmp[0] ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) {
    char msg[4200];
    snprintf(msg, sizeof msg, "cannot make a reader's directory %s", dir);
    *rerr = strdup(msg);
    return NULL;
  }
  kv->secdir = strdup(dir);
  rocksdb_t *db = NULL;
  for (int t = 0; t < SECONDARY_TRIES; t++) {
    if (*rerr) rocksdb_free(*rerr);
    *rerr = NULL;
    char before[300], after[300];
    manifest_state(path, before, sizeof before);
    db = rocksdb_open_as_secondary_column_families(
        kv->opts, path, dir, KV_NCF + 1 - kv->nocol, names, cfo, h, rerr);
    if (*rerr == NULL) {
      manifest_state(path, after, sizeof after);
      for (int c = 0; c < SECONDARY_TRIES && strcmp(before, after) != 0 &&
                      *rerr == NULL;
           c++) {
        memcpy(before, after, sizeof before);
        rocksdb_try_catch_up_with_primary(db, rerr);
        manifest_state(path, after, sizeof after);
      }
      if (*rerr == NULL) {
        memcpy(kv->manifest, after, sizeof kv->manifest);
        kv->manifest[strcspn(kv->manifest, " ")] = 0; /* (the name) */
        /* the instance keeps its log open and makes no other file there:
        ** remove the directory now, so that a reader killed by a signal
        ** leaves nothing behind */
        remove_secdir(kv);
        return db;
      }
      for (int i = 0; i < KV_NCF + 1 - kv->nocol; i++)
        rocksdb_column_family_handle_destroy(h[i]);
      rocksdb_close(db);
      db = NULL;
    }
    if (!vanished(*rerr)) break;
  }
  return NULL;
}

/* Open path as a plain read-only instance if no process holds it for
** writing and its MANIFEST did not change while the open ran (see the
** top); NULL otherwise (the caller opens a secondary instance). */
static rocksdb_t *open_plain(kv_t *kv, const char *path,
                             const char *const *names,
                             const rocksdb_options_t *const *cfo,
                             rocksdb_column_family_handle_t **h) {
  if (kv_writer_active(path)) return NULL;
  char before[300], after[300];
  manifest_state(path, before, sizeof before);
  char *rerr = NULL;
  rocksdb_t *db = rocksdb_open_for_read_only_column_families(
      kv->opts, path, KV_NCF + 1 - kv->nocol, names, cfo, h, 0, &rerr);
  if (rerr) { /* a secondary instance tries again, and reports */
    rocksdb_free(rerr);
    return NULL;
  }
  manifest_state(path, after, sizeof after);
  if (strcmp(before, after) == 0) return db;
  for (int i = 0; i < KV_NCF + 1 - kv->nocol; i++)
    rocksdb_column_family_handle_destroy(h[i]);
  rocksdb_close(db);
  return NULL;
}

/* Does the database at path lack the column cf (older than format 3)? */
static bool lacks_column_cf(kv_t *kv, const char *path) {
  size_t n = 0;
  char *rerr = NULL;
  char **l = rocksdb_list_column_families(kv->opts, path, &n, &rerr);
  if (rerr) {
    rocksdb_free(rerr);
    return false;
  }
  bool found = false;
  for (size_t i = 0; i < n; i++)
    if (strcmp(l[i], cf_names[KV_COLUMN]) == 0) found = true;
  rocksdb_list_column_families_destroy(l, n);
  return n > 0 && !found;
}

/* Set the handles from an open's h (h[0] is the default cf). */
static void cf_take(kv_t *kv, rocksdb_column_family_handle_t **h) {
  rocksdb_column_family_handle_destroy(h[0]);
  for (int i = 0; i < KV_NCF; i++)
    kv->cf[i] = kv->nocol && i == KV_COLUMN ? NULL : h[i + 1];
}

/* The column families' names and options, for an open. */
static void cf_list(kv_t *kv, const char **names,
                    const rocksdb_options_t **cfo) {
  names[0] = "default";
  cfo[0] = kv->opts;
  for (int i = 0; i < KV_NCF; i++) {
    names[i + 1] = cf_names[i];
    cfo[i + 1] = kv->cf_opts[i];
  }
}

static void *syncer_main(void *arg) {
  kv_t *kv = arg;
  pthread_mutex_lock(&kv->gmu);
  while (!kv->stop) {
    if (kv->written <= kv->synced) {
      pthread_cond_wait(&kv->gcv, &kv->gmu);
      continue;
    }
    uint64_t upto = kv->written;
    pthread_mutex_unlock(&kv->gmu);
    char *rerr = NULL;
    rocksdb_flush_wal(kv->db, 1, &rerr); /* covers everything written */
    pthread_mutex_lock(&kv->gmu);
    if (rerr) {
      rocksdb_free(kv->gerr);
      kv->gerr = rerr;
    } else if (upto > kv->synced) {
      kv->synced = upto;
    }
    pthread_cond_broadcast(&kv->gcv);
  }
  pthread_mutex_unlock(&kv->gmu);
  return NULL;
}

int kv_open(const char *path, const kv_options *o, kv_t **out, err_t *e) {
  *out = NULL;
  kv_t *kv = calloc(1, sizeof *kv);
  if (kv == NULL) return err_nomem(e);
  kv->sync = o->sync;
  kv->read_only = o->read_only;
  pthread_mutex_init(&kv->cmu, NULL);
  if (!o->create_if_missing || o->read_only) {
    struct stat st;
    char cur[4200];
    snprintf(cur, sizeof cur, "%s/CURRENT", path);
    if (stat(path, &st) != 0 || (o->read_only && stat(cur, &st) != 0)) {
      free(kv);
      return err_set(e, REMDB_NOTFOUND, "database %s does not exist", path);
    }
  }
  kv->cache = rocksdb_cache_create_lru(o->cache_bytes);
  kv->opts = rocksdb_options_create();
  rocksdb_options_set_create_if_missing(kv->opts, o->create_if_missing);
  rocksdb_options_set_create_missing_column_families(kv->opts, 1);
  rocksdb_options_set_max_background_jobs(kv->opts, 2);
  rocksdb_options_set_max_open_files(kv->opts, 512);
  rocksdb_options_set_keep_log_file_num(kv->opts, 3);
  rocksdb_options_set_info_log_level(kv->opts, 2); /* WARN */
  const char *names[KV_NCF + 1];
  const rocksdb_options_t *cfo[KV_NCF + 1];
  rocksdb_column_family_handle_t *h[KV_NCF + 1];
  for (int i = 0; i < KV_NCF; i++) kv->cf_opts[i] = cf_options(kv, i, o);
  cf_list(kv, names, cfo);
  char *rerr = NULL;
  if (o->read_only) {
    rocksdb_options_set_max_open_files(kv->opts, -1);
    /* a reader's open loads every table file's handle (see the top); with
    ** the default 16 file-opening threads RocksDB starts 16 threads per
    ** version edit it replays (about 120 for a freshly imported database),
    ** more than the whole rest of a CLI read costs.  One thread loads them
    ** in the caller. */
    rocksdb_options_set_max_file_opening_threads(kv->opts, 1);
    rocksdb_options_set_max_background_jobs(kv->opts, 1);
    kv->path = strdup(path);
    if (kv->path == NULL) {
      kv_close(kv);
      return err_nomem(e);
    }
    kv->db = open_plain(kv, path, names, cfo, h);
    kv->plain = kv->db != NULL;
    if (kv->db == NULL)
      kv->db = open_secondary(kv, path, names, cfo, h, &rerr);
    /* RocksDB's read-only opens fail on a cf the database lacks: an older
    ** database is opened without the column cf (listed only on failure,
    ** so a reader's open costs nothing more) */
    if (kv->db == NULL && lacks_column_cf(kv, path)) {
      kv->nocol = true;
      remove_secdir(kv);
      rocksdb_free(rerr);
      rerr = NULL;
      kv->db = open_plain(kv, path, names, cfo, h);
      kv->plain = kv->db != NULL;
      if (kv->db == NULL)
        kv->db = open_secondary(kv, path, names, cfo, h, &rerr);
    }
  } else {
    struct stat st;
    pthread_mutex_lock(&writers_mu);
    kv->db = rocksdb_open_column_families(kv->opts, path, KV_NCF + 1, names,
                                          cfo, h, &rerr);
    if (rerr == NULL && stat(path, &st) == 0) {
      kv->dev = st.st_dev;
      kv->ino = st.st_ino;
      kv->next_writer = writers;
      writers = kv;
      kv->registered = true;
    }
    pthread_mutex_unlock(&writers_mu);
  }
  if (rerr != NULL) {
    int rc = kv_err(e, rerr, path);
    kv->db = NULL;
    kv_close(kv);
    return rc;
  }
  cf_take(kv, h);
  kv->wo_sync = rocksdb_writeoptions_create();
  rocksdb_writeoptions_set_sync(kv->wo_sync, 1);
  kv->wo_nosync = rocksdb_writeoptions_create();
  kv->ro = rocksdb_readoptions_create();
  if (o->group && !o->read_only) {
    pthread_mutex_init(&kv->gmu, NULL);
    pthread_cond_init(&kv->gcv, NULL);
    kv->synced = kv->written = rocksdb_get_latest_sequence_number(kv->db);
    if (pthread_create(&kv->syncer, NULL, syncer_main, kv) != 0) {
      pthread_mutex_destroy(&kv->gmu);
      pthread_cond_destroy(&kv->gcv);
      kv_close(kv);
      return err_set(e, REMDB_ERROR, "cannot start the group-commit thread");
    }
    kv->group = true;
  }
  *out = kv;
  return REMDB_OK;
}

/* A writer's close flushes what its memtables hold to table files.
** RocksDB leaves it in the WAL, and every later open replays the WAL into
** memtables: a reader (a CLI `get`, `sql`, `search`) each time it starts,
** which after an import is hundreds of milliseconds; the next writer
** flushes it at its open anyway, so the flush moves here and readers find
** table files only.  A failed flush loses nothing (the WAL still holds
** the writes): it is ignored. */
static void flush_for_readers(kv_t *kv) {
  rocksdb_flushoptions_t *fo = NULL;
  for (int i = 0; i < KV_NCF; i++) {
    uint64_t act = 0, imm = 0;
    if (kv->cf[i] == NULL) continue;
    rocksdb_property_int_cf(kv->db, kv->cf[i],
                            "rocksdb.num-entries-active-mem-table", &act);
    rocksdb_property_int_cf(kv->db, kv->cf[i],
                            "rocksdb.num-entries-imm-mem-tables", &imm);
    if (act == 0 && imm == 0) continue;
    if (fo == NULL) {
      fo = rocksdb_flushoptions_create();
      rocksdb_flushoptions_set_wait(fo, 1);
    }
    char *rerr = NULL;
    rocksdb_flush_cf(kv->db, fo, kv->cf[i], &rerr);
    rocksdb_free(rerr);
  }
  if (fo) rocksdb_flushoptions_destroy(fo);
}

/* Compact the ranges kv_compact_deleted recorded (a writer's close, after
** the flush: what the range deletions cover leaves the table files). */
static void compact_deleted(kv_t *kv) {
  for (int i = 0; i < KV_NCF; i++) {
    if (kv->clo[i] && kv->cf[i])
      rocksdb_compact_range_cf(kv->db, kv->cf[i], (const char *)kv->clo[i],
                               kv->clol[i], (const char *)kv->chi[i],
                               kv->chil[i]);
    free(kv->clo[i]);
    free(kv->chi[i]);
    kv->clo[i] = kv->chi[i] = NULL;
  }
}

static int key_cmp(const unsigned char *a, size_t al, const unsigned char *b,
                   size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  return c ? c : (al > bl) - (al < bl);
}

/* *dst (length *dl) = a copy of src if it is NULL or if want says src
** goes before it (want -1: the lower bound, +1: the upper). */
static void widen(unsigned char **dst, size_t *dl, const void *src, size_t sl,
                  int want) {
  if (*dst && key_cmp(src, sl, *dst, *dl) * want <= 0) return;
  unsigned char *c = malloc(sl ? sl : 1);
  if (c == NULL) return; /* keeps the narrower range: only a cost */
  memcpy(c, src, sl);
  free(*dst);
  *dst = c;
  *dl = sl;
}

void kv_compact_deleted(kv_t *kv, int cf, const void *lo, size_t lol,
                        const void *hi, size_t hil) {
  if (kv->read_only) return;
  pthread_mutex_lock(&kv->cmu);
  widen(&kv->clo[cf], &kv->clol[cf], lo, lol, -1);
  widen(&kv->chi[cf], &kv->chil[cf], hi, hil, 1);
  pthread_mutex_unlock(&kv->cmu);
  char *rerr = NULL; /* only a hint to the background compactions */
  rocksdb_suggest_compact_range_cf(kv->db, kv->cf[cf], lo, lol, hi, hil,
                                   &rerr);
  rocksdb_free(rerr);
}

void kv_close(kv_t *kv) {
  if (kv == NULL) return;
  if (kv->group) {
    pthread_mutex_lock(&kv->gmu);
    kv->stop = true;
    pthread_cond_broadcast(&kv->gcv);
    pthread_mutex_unlock(&kv->gmu);
    pthread_join(kv->syncer, NULL);
    pthread_mutex_destroy(&kv->gmu);
    pthread_cond_destroy(&kv->gcv);
    rocksdb_free(kv->gerr);
  }
  if (kv->registered) pthread_mutex_lock(&writers_mu);
  if (kv->db) {
    if (!kv->read_only) {
      flush_for_readers(kv);
      compact_deleted(kv);
    }
    for (int i = 0; i < KV_NCF; i++)
      if (kv->cf[i]) rocksdb_column_family_handle_destroy(kv->cf[i]);
    rocksdb_close(kv->db);
  }
  if (kv->registered) { /* unlisted once its lock is released */
    for (kv_t **p = &writers; *p; p = &(*p)->next_writer)
      if (*p == kv) {
        *p = kv->next_writer;
        break;
      }
    pthread_mutex_unlock(&writers_mu);
  }
  rocksdb_writebatch_t *spare = atomic_exchange(&kv->spare_wb, NULL);
  if (spare) rocksdb_writebatch_destroy(spare);
  for (int i = 0; i < KV_NCF; i++) {
    if (kv->cf_opts[i]) rocksdb_options_destroy(kv->cf_opts[i]);
    if (kv->bbt[i]) rocksdb_block_based_options_destroy(kv->bbt[i]);
  }
  for (int i = 0; i < KV_NCF; i++) {
    free(kv->clo[i]);
    free(kv->chi[i]);
  }
  pthread_mutex_destroy(&kv->cmu);
  if (kv->opts) rocksdb_options_destroy(kv->opts);
  if (kv->cache) rocksdb_cache_destroy(kv->cache);
  if (kv->wo_sync) rocksdb_writeoptions_destroy(kv->wo_sync);
  if (kv->wo_nosync) rocksdb_writeoptions_destroy(kv->wo_nosync);
  if (kv->ro) rocksdb_readoptions_destroy(kv->ro);
  remove_secdir(kv);
  free(kv->path);
  free(kv);
}

/* Put a secondary instance in the place of a plain read-only one (no view
** is open).  On failure the plain instance stays. */
static int become_secondary(kv_t *kv, err_t *e) {
  const char *names[KV_NCF + 1];
  const rocksdb_options_t *cfo[KV_NCF + 1];
  rocksdb_column_family_handle_t *h[KV_NCF + 1];
  cf_list(kv, names, cfo);
  char *rerr = NULL;
  rocksdb_t *db = open_secondary(kv, kv->path, names, cfo, h, &rerr);
  if (rerr) {
    remove_secdir(kv);
    return kv_err(e, rerr, "refresh");
  }
  for (int i = 0; i < KV_NCF; i++)
    if (kv->cf[i]) rocksdb_column_family_handle_destroy(kv->cf[i]);
  rocksdb_close(kv->db);
  kv->db = db;
  cf_take(kv, h);
  kv->plain = false;
  return REMDB_OK;
}

int kv_catch_up(kv_t *kv, bool *changed, err_t *e) {
  *changed = false;
  if (!kv->read_only) return REMDB_OK;
  if (atomic_load(&kv->views) > 0)
    return err_set(e, REMDB_MISUSE,
                   "refresh: a statement, iterator or read of this database "
                   "is still open");
  uint64_t before = rocksdb_get_latest_sequence_number(kv->db);
  if (kv->plain) {
    int rc = become_secondary(kv, e);
    if (rc == REMDB_OK)
      *changed = rocksdb_get_latest_sequence_number(kv->db) != before;
    return rc;
  }
  char *rerr = NULL;
  for (int t = 0; t < SECONDARY_TRIES; t++) {
    rocksdb_free(rerr);
    rerr = NULL;
    rocksdb_try_catch_up_with_primary(kv->db, &rerr);
    if (rerr == NULL || !vanished(rerr)) break;
  }
  if (rerr) return kv_err(e, rerr, "refresh");
  /* a new writer session since the open (a writer closed, another
  ** opened): the instance may keep values it replayed from the old
  ** session's log that the old writer flushed and compacted since (their
  ** sequence numbers zeroed), and would read an overwritten key (a row
  ** counter) as it was while reading new keys: open it afresh */
  char now[300];
  manifest_state(kv->path, now, sizeof now);
  now[strcspn(now, " ")] = 0;
  if (kv->manifest[0] && strcmp(now, kv->manifest) != 0) {
    int rc = become_secondary(kv, e);
    if (rc) return rc;
    *changed = true;
    return REMDB_OK;
  }
  *changed = rocksdb_get_latest_sequence_number(kv->db) != before;
  return REMDB_OK;
}

bool kv_read_only(const kv_t *kv) { return kv->read_only; }

bool kv_writer_active(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return false;
  bool held = false;
  pthread_mutex_lock(&writers_mu); /* see writers */
  for (kv_t *w = writers; w && !held; w = w->next_writer)
    held = w->dev == st.st_dev && w->ino == st.st_ino;
  if (!held) { /* another process's writer? */
    char p[4200];
    snprintf(p, sizeof p, "%s/LOCK", path);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      /* RocksDB holds a write lock on the whole file while it is open */
      struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
      held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
      close(fd);
    }
  }
  pthread_mutex_unlock(&writers_mu);
  return held;
}

int kv_get(kv_t *kv, const kv_snap_t *snap, int cf, const void *key,
           size_t klen, kv_val *out, err_t *e) {
  char *rerr = NULL;
  if (kv->cf[cf] == NULL) return REMDB_NOTFOUND; /* see kv->nocol */
  rocksdb_set_perf_level(rocksdb_disable); /* see kv_write */
  rocksdb_pinnableslice_t *ps = rocksdb_get_pinned_cf(
      kv->db, snap ? snap->ro : kv->ro, kv->cf[cf], key, klen, &rerr);
  if (rerr != NULL) return kv_err(e, rerr, "read");
  if (ps == NULL) return REMDB_NOTFOUND;
  out->pin = ps;
  out->data = rocksdb_pinnableslice_value(ps, &out->len);
  if (out->data == NULL) {
    rocksdb_pinnableslice_destroy(ps);
    out->pin = NULL;
    return REMDB_NOTFOUND;
  }
  return REMDB_OK;
}

int kv_multi_get(kv_t *kv, const kv_snap_t *snap, int cf, size_t n,
                 const char *const *keys, const size_t *lens, kv_val *vals,
                 bool *found, err_t *e) {
  rocksdb_set_perf_level(rocksdb_disable);
  rocksdb_pinnableslice_t *ps[64];
  char *errs[64];
  int rc = REMDB_OK;
  if (kv->cf[cf] == NULL) { /* see kv->nocol */
    for (size_t i = 0; i < n; i++) {
      found[i] = false;
      vals[i].pin = NULL;
      vals[i].data = NULL;
      vals[i].len = 0;
    }
    return REMDB_OK;
  }
  for (size_t off = 0; off < n; off += 64) {
    size_t m = n - off < 64 ? n - off : 64;
    rocksdb_batched_multi_get_cf(kv->db, snap ? snap->ro : kv->ro, kv->cf[cf],
                                 m, keys + off, lens + off, ps, errs, false);
    for (size_t i = 0; i < m; i++) {
      kv_val *v = &vals[off + i];
      found[off + i] = false;
      v->pin = NULL;
      v->data = NULL;
      v->len = 0;
      if (errs[i]) {
        if (rc == REMDB_OK) rc = kv_err(e, errs[i], "read");
        else rocksdb_free(errs[i]);
      }
      if (ps[i] == NULL) continue;
      v->pin = ps[i];
      v->data = rocksdb_pinnableslice_value(ps[i], &v->len);
      found[off + i] = v->data != NULL;
    }
  }
  return rc;
}

void kv_val_free(kv_val *v) {
  if (v->pin) rocksdb_pinnableslice_destroy(v->pin);
  v->pin = NULL;
  v->data = NULL;
  v->len = 0;
}

#define KV_SPARE_BATCH (2u << 20)

kv_batch_t *kv_batch_new(kv_t *kv) {
  kv_batch_t *b = malloc(sizeof *b);
  if (b == NULL) return NULL;
  b->kv = kv;
  b->peak = 0;
  b->wb = atomic_exchange(&kv->spare_wb, NULL);
  if (b->wb == NULL) b->wb = rocksdb_writebatch_create();
  return b;
}

void kv_batch_free(kv_batch_t *b) {
  if (b == NULL) return;
  batch_peak(b);
  rocksdb_writebatch_t *none = NULL;
  if (b->peak <= KV_SPARE_BATCH) {
    rocksdb_writebatch_clear(b->wb);
    if (atomic_compare_exchange_strong(&b->kv->spare_wb, &none, b->wb))
      b->wb = NULL;
  }
  if (b->wb) rocksdb_writebatch_destroy(b->wb);
  free(b);
}

void kv_batch_clear(kv_batch_t *b) {
  batch_peak(b);
  rocksdb_writebatch_clear(b->wb);
}

void kv_batch_put(kv_batch_t *b, int cf, const void *k, size_t kl,
                  const void *v, size_t vl) {
  rocksdb_writebatch_put_cf(b->wb, b->kv->cf[cf], k, kl, v, vl);
}

void kv_batch_merge(kv_batch_t *b, int cf, const void *k, size_t kl,
                    const void *v, size_t vl) {
  rocksdb_writebatch_merge_cf(b->wb, b->kv->cf[cf], k, kl, v, vl);
}

void kv_batch_del(kv_batch_t *b, int cf, const void *k, size_t kl) {
  rocksdb_writebatch_delete_cf(b->wb, b->kv->cf[cf], k, kl);
}

void kv_batch_del_range(kv_batch_t *b, int cf, const void *lo, size_t lol,
                        const void *hi, size_t hil) {
  /* see index_insert_hints: shorter than the hinted prefix */
  assert(cf != KV_INDEX || lol < INDEX_HINT_PREFIX);
  rocksdb_writebatch_delete_range_cf(b->wb, b->kv->cf[cf], lo, lol, hi, hil);
}

void kv_batch_savepoint(kv_batch_t *b) {
  rocksdb_writebatch_set_save_point(b->wb);
}

void kv_batch_rollback(kv_batch_t *b) {
  batch_peak(b);
  char *rerr = NULL;
  rocksdb_writebatch_rollback_to_save_point(b->wb, &rerr);
  rocksdb_free(rerr); /* only fails when no save point was set */
}

void kv_batch_keep(kv_batch_t *b) {
  char *rerr = NULL;
  rocksdb_writebatch_pop_save_point(b->wb, &rerr);
  rocksdb_free(rerr);
}

size_t kv_batch_count(const kv_batch_t *b) {
  return (size_t)rocksdb_writebatch_count(b->wb);
}

size_t kv_batch_bytes(const kv_batch_t *b) {
  size_t n = 0;
  rocksdb_writebatch_data(b->wb, &n);
  return n;
}

int kv_write_seq(kv_t *kv, kv_batch_t *b, int sync, uint64_t *seq,
                 err_t *e) {
  /* RocksDB's per-thread perf counters cost ~5% of a write; we never read
  ** them, and the level is per thread, so turn them off where we write */
  rocksdb_set_perf_level(rocksdb_disable);
  if (seq) *seq = 0;
  if (kv->read_only)
    return err_set(e, REMDB_MISUSE, "database is open read-only");
  bool grouped = sync < 0 && kv->group;
  bool s = sync < 0 ? kv->sync && !grouped : sync > 0;
  char *rerr = NULL;
  rocksdb_write(kv->db, s ? kv->wo_sync : kv->wo_nosync, b->wb, &rerr);
  if (rerr != NULL) return kv_err(e, rerr, "write");
  if (grouped) {
    uint64_t n = rocksdb_get_latest_sequence_number(kv->db);
    pthread_mutex_lock(&kv->gmu);
    if (n > kv->written) kv->written = n;
    pthread_cond_broadcast(&kv->gcv);
    pthread_mutex_unlock(&kv->gmu);
    if (seq) *seq = n;
    else return kv_wait_durable(kv, n, e);
  }
  return REMDB_OK;
}

int kv_write(kv_t *kv, kv_batch_t *b, int sync, err_t *e) {
  return kv_write_seq(kv, b, sync, NULL, e);
}

uint64_t kv_latest_seq(kv_t *kv) {
  return rocksdb_get_latest_sequence_number(kv->db);
}

int kv_wait_durable(kv_t *kv, uint64_t seq, err_t *e) {
  if (seq == 0 || !kv->group) return REMDB_OK;
  int rc = REMDB_OK;
  pthread_mutex_lock(&kv->gmu);
  while (kv->synced < seq && kv->gerr == NULL && !kv->stop)
    pthread_cond_wait(&kv->gcv, &kv->gmu);
  if (kv->synced < seq)
    rc = err_set(e, REMDB_IO, "group commit: WAL fsync failed: %s",
                 kv->gerr ? kv->gerr : "database closing");
  pthread_mutex_unlock(&kv->gmu);
  return rc;
}

kv_snap_t *kv_snap_new(kv_t *kv) {
  kv_snap_t *s = malloc(sizeof *s);
  if (s == NULL) return NULL;
  s->ro = rocksdb_readoptions_create();
  s->seq = 0;
  if (kv->read_only) { /* the view itself holds still (see the top) */
    s->s = NULL;
    atomic_fetch_add(&kv->views, 1);
  } else {
    /* the snapshot's sequence number: the latest one, if no write was
    ** published while it was taken */
    uint64_t before = rocksdb_get_latest_sequence_number(kv->db);
    s->s = rocksdb_create_snapshot(kv->db);
    rocksdb_readoptions_set_snapshot(s->ro, s->s);
    if (rocksdb_get_latest_sequence_number(kv->db) == before)
      s->seq = before + 1; /* never 0 */
  }
  return s;
}

uint64_t kv_snap_seq(const kv_snap_t *s) { return s ? s->seq : 0; }

void kv_snap_free(kv_t *kv, kv_snap_t *s) {
  if (s == NULL) return;
  rocksdb_readoptions_destroy(s->ro);
  if (s->s)
    rocksdb_release_snapshot(kv->db, s->s);
  else
    atomic_fetch_sub(&kv->views, 1);
  free(s);
}

int kv_iter_new(kv_t *kv, const kv_snap_t *snap, int cf, const void *lo,
                size_t lol, const void *hi, size_t hil, kv_iter_t **out,
                err_t *e) {
  kv_iter_t *it = calloc(1, sizeof *it);
  if (it == NULL) return err_nomem(e);
  rocksdb_set_perf_level(rocksdb_disable); /* see kv_write */
  it->ro = rocksdb_readoptions_create();
  if (snap && snap->s) rocksdb_readoptions_set_snapshot(it->ro, snap->s);
  /* bounds must outlive the iterator: keep our own copies */
  if (lo && lol) {
    it->lo = malloc(lol);
    if (it->lo == NULL) goto oom;
    memcpy(it->lo, lo, lol);
    rocksdb_readoptions_set_iterate_lower_bound(it->ro, (char *)it->lo, lol);
  }
  if (hi && hil) {
    it->hi = malloc(hil);
    if (it->hi == NULL) goto oom;
    memcpy(it->hi, hi, hil);
    rocksdb_readoptions_set_iterate_upper_bound(it->ro, (char *)it->hi, hil);
  }
  if (kv->cf[cf] == NULL) { /* see kv->nocol: an empty range of another */
    free(it->lo);
    free(it->hi);
    it->lo = malloc(1);
    it->hi = malloc(1);
    if (it->lo == NULL || it->hi == NULL) goto oom;
    it->lo[0] = it->hi[0] = 0;
    rocksdb_readoptions_set_iterate_lower_bound(it->ro, (char *)it->lo, 1);
    rocksdb_readoptions_set_iterate_upper_bound(it->ro, (char *)it->hi, 1);
    cf = KV_META;
  }
  it->it = rocksdb_create_iterator_cf(kv->db, it->ro, kv->cf[cf]);
  if (kv->read_only) {
    it->kv = kv;
    atomic_fetch_add(&kv->views, 1);
  }
  *out = it;
  return REMDB_OK;
oom:
  kv_iter_free(it);
  return err_nomem(e);
}

void kv_iter_free(kv_iter_t *it) {
  if (it == NULL) return;
  if (it->kv) atomic_fetch_sub(&it->kv->views, 1);
  if (it->it) rocksdb_iter_destroy(it->it);
  rocksdb_readoptions_destroy(it->ro);
  free(it->lo);
  free(it->hi);
  free(it);
}

void kv_iter_first(kv_iter_t *it) { rocksdb_iter_seek_to_first(it->it); }
void kv_iter_seek(kv_iter_t *it, const void *k, size_t kl) {
  rocksdb_iter_seek(it->it, k, kl);
}
void kv_iter_next(kv_iter_t *it) { rocksdb_iter_next(it->it); }
void kv_iter_last(kv_iter_t *it) { rocksdb_iter_seek_to_last(it->it); }
void kv_iter_seek_for_prev(kv_iter_t *it, const void *k, size_t kl) {
  rocksdb_iter_seek_for_prev(it->it, k, kl);
}
void kv_iter_prev(kv_iter_t *it) { rocksdb_iter_prev(it->it); }
bool kv_iter_valid(const kv_iter_t *it) {
  return rocksdb_iter_valid(it->it) != 0;
}
const char *kv_iter_key(const kv_iter_t *it, size_t *len) {
  return rocksdb_iter_key(it->it, len);
}
const char *kv_iter_value(const kv_iter_t *it, size_t *len) {
  return rocksdb_iter_value(it->it, len);
}

int kv_iter_status(const kv_iter_t *it, err_t *e) {
  char *rerr = NULL;
  rocksdb_iter_get_error(it->it, &rerr);
  if (rerr != NULL) return kv_err(e, rerr, "scan");
  return REMDB_OK;
}

int kv_checkpoint(kv_t *kv, const char *dest, err_t *e) {
  if (kv->read_only)
    return err_set(e, REMDB_MISUSE, "checkpoint: database is open read-only");
  struct stat st;
  if (stat(dest, &st) == 0)
    return err_set(e, REMDB_EXISTS, "backup destination %s already exists",
                   dest);
  char *rerr = NULL;
  rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(kv->db, &rerr);
  if (rerr != NULL) return kv_err(e, rerr, "backup");
  /* log_size_for_flush 0: flush memtables so the copy needs no WAL replay */
  rocksdb_checkpoint_create(cp, dest, 0, &rerr);
  rocksdb_checkpoint_object_destroy(cp);
  if (rerr != NULL) return kv_err(e, rerr, "backup");
  return REMDB_OK;
}

int kv_compact(kv_t *kv, err_t *e) {
  if (kv->read_only)
    return err_set(e, REMDB_MISUSE, "compact: database is open read-only");
  for (int i = 0; i < KV_NCF; i++)
    rocksdb_compact_range_cf(kv->db, kv->cf[i], NULL, 0, NULL, 0);
  return REMDB_OK;
}

int kv_flush(kv_t *kv, err_t *e) {
  if (kv->read_only) return REMDB_OK;
  rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
  rocksdb_flushoptions_set_wait(fo, 1);
  char *rerr = NULL;
  for (int i = 0; i < KV_NCF && rerr == NULL; i++)
    rocksdb_flush_cf(kv->db, fo, kv->cf[i], &rerr);
  rocksdb_flushoptions_destroy(fo);
  return rerr ? kv_err(e, rerr, "flush") : REMDB_OK;
}

int kv_approx_size(kv_t *kv, int cf, const void *lo, size_t lol,
                   const void *hi, size_t hil, uint64_t *out, err_t *e) {
  const char *starts[1] = {lo}, *limits[1] = {hi};
  size_t sl[1] = {lol}, ll[1] = {hil};
  uint64_t sizes[1] = {0};
  char *rerr = NULL;
  if (kv->cf[cf] == NULL) { /* see kv->nocol */
    *out = 0;
    return REMDB_OK;
  }
  rocksdb_approximate_sizes_cf(kv->db, kv->cf[cf], 1, starts, sl, limits, ll,
                               sizes, &rerr);
  if (rerr) return kv_err(e, rerr, "size estimate");
  *out = sizes[0];
  return REMDB_OK;
}

bool kv_property_int(kv_t *kv, int cf, const char *name, uint64_t *out) {
  if (kv->cf[cf] == NULL) return false; /* see kv->nocol */
  return rocksdb_property_int_cf(kv->db, kv->cf[cf], name, out) == 0;
}

size_t kv_prefix_end(const void *prefix, size_t n, unsigned char *out) {
  const unsigned char *p = prefix;
  memcpy(out, p, n);
  while (n > 0) {
    if (out[n - 1] != 0xff) {
      out[n - 1]++;
      return n;
    }
    n--;
  }
  return 0;
}

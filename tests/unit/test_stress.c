/* test_stress.c: concurrency stress of the documented threading model (one
** handle per thread on one database, remdb_open_tenant sharing the store;
** writes serialised inside, reads seeing committed states), and the
** cross-process lock.
**
** One writer and N_READERS readers run for STRESS_SECONDS (default 2; a
** decimal number) on table `items`, indexed on a, gen and cat.  Every
** version of every row the writer produces satisfies
**
**     b == a * 7,  cat == "c" || (a % 5),  k starts with g/s/u
**
** and every write *operation* (a batch, a SQL statement, a single call)
** stamps all rows it writes with a fresh `gen` and with n = the number of
** rows carrying that gen.  Rows only ever change gen as a whole group (a
** group is re-stamped by one batch or one UPDATE statement, soft-deleted by
** one DELETE statement; single rows are groups of 1), so in any committed
** state each live gen has exactly n live rows.  A reader that sees a gen
** with fewer or more rows has seen a torn write.
**
** Readers check every row they get (remdb_get, remdb_iter, remdb_find, SQL
** over point, index equality/IN/range/ordered and full-scan routes, the
** _all view), group completeness wherever one snapshot is read, and that
** nothing returns an unexpected error (an index route meeting an index
** entry without its entity is an error, and must never happen).  One
** reader also runs remdb_verify, which reads one snapshot and must report
** no problem even while the writer runs.  At the end remdb_verify must
** report 0 problems.
**
** Phase 2: readers run short SQL IN-list queries (ids, and values of an
** indexed field) concurrently on a quiet table whose answers are known.
**
** Phase 3 (only with STRESS_SCHEMA=1: `make test-stress-schema`; it
** fails on known bugs, see the comment at test_schema_flips): one handle
** replaces a table's schema (adding and dropping indexes) while another
** updates, deletes and inserts its rows and a third counts rows through
** the index.
**
** Before all that, a forked child process tries to open the database the
** parent holds: REMDB_BUSY, with a message naming the lock.
**
** The store runs in REMDB_SYNC_GROUP mode (its syncer thread is part of
** what is stressed); half of the batches commit with sync 0.
**
** Environment: STRESS_SECONDS (default 2), STRESS_SEED (default: time),
** STRESS_SCHEMA (default 0).
**
** Built with -fsanitize=thread (tests/extra.mk: make test-tsan), the
** suppressions below hide reports about memory RocksDB writes and
** publishes with atomics that an uninstrumented librocksdb does not show
** to ThreadSanitizer (memtable arena, block cache); remdb's own code is
** instrumented and not suppressed. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "remdb.h"
#include "test.h"
#include "testdb.h"

#if defined(__SANITIZE_THREAD__)
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void) {
  /* librocksdb is not instrumented: its memcpy into the memtable arena and
  ** block cache is seen, the atomics that publish it are not */
  return "called_from_lib:librocksdb.so\n"
         /* the same, through libstdc++'s std::string inside RocksDB */
         "race:std::__cxx11::basic_string*\n";
}
#endif

/* What runs now, for a crash report (set by the main thread only). */
static const char *volatile phase_name = "start";

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
static void on_crash(int sig) {
  static const char pre[] = "test_stress: CRASH (signal ";
  char num[4] = {(char)('0' + sig / 10 % 10), (char)('0' + sig % 10), ')',
                 ' '};
  const char *p = phase_name;
  size_t n = 0;
  while (p[n]) n++;
  if (write(2, pre, sizeof pre - 1) < 0 || write(2, num, 4) < 0 ||
      write(2, "during ", 7) < 0 || write(2, p, n) < 0 ||
      write(2, "\n", 1) < 0)
    _exit(128 + sig);
  signal(sig, SIG_DFL);
  raise(sig);
}
#endif

#define N_READERS 4
#define MAX_FAILURES 25
#define ROW_SOFT_CAP 3000 /* above this many stored rows, prefer deletes */
#ifndef STRESS_SYNC
#define STRESS_SYNC REMDB_SYNC_GROUP
#endif

static char dir[512], lockdir[512];

static const char *items_schema =
    "{\"name\":\"items\",\"properties\":{"
    "\"k\":{\"type\":\"string\",\"maxLength\":40},"
    "\"a\":{\"type\":\"integer\",\"minimum\":0},"
    "\"b\":{\"type\":\"integer\"},"
    "\"gen\":{\"type\":\"integer\",\"minimum\":1},"
    "\"n\":{\"type\":\"integer\",\"minimum\":1},"
    "\"cat\":{\"type\":\"string\",\"maxLength\":4},"
    "\"note\":{\"type\":[\"string\",\"null\"]}},"
    "\"required\":[\"k\",\"a\",\"b\",\"gen\",\"n\",\"cat\"],"
    "\"key_field\":\"k\",\"indexed_fields\":[\"a\",\"gen\",\"cat\"],"
    "\"embedding_fields\":[\"k\"],\"embedding\":{\"dim\":16,"
    "\"metric\":\"cosine\",\"provider\":\"hash\",\"M\":8,"
    "\"ef_construction\":40}}";

/* ---- failures: thread-safe, test.h's counters are not ------------------ */

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int failures;
static atomic_bool stop;
/* the kinds of operation that ran (bit k: kind k), so that the run lasts
** until every kind ran at least once however slow the machine is */
static atomic_uint w_kinds_ran, r_kinds_ran;

static void fail(const char *who, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(const char *who, const char *fmt, ...) {
  int n = atomic_fetch_add(&failures, 1) + 1;
  if (n <= MAX_FAILURES) {
    va_list ap;
    pthread_mutex_lock(&fail_lock);
    fprintf(stderr, "test_stress: FAIL [%s]: ", who);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&fail_lock);
  }
  if (n >= MAX_FAILURES) atomic_store(&stop, true);
}

/* ---- per-thread randomness ---------------------------------------------- */

static uint64_t rnd_next(uint64_t *s) { /* xorshift64* */
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}
static uint32_t rnd(uint64_t *s, uint32_t n) {
  return n ? (uint32_t)(rnd_next(s) >> 33) % n : 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- what the writer publishes ------------------------------------------ */

typedef struct pub_ent {
  char id[REMDB_ID_LEN + 1];
  char key[40];
} pub_ent;

static pthread_mutex_t pub_lock = PTHREAD_MUTEX_INITIALIZER;
static pub_ent *pub;
static size_t npub, cappub;
static atomic_llong max_gen; /* every gen <= this has been committed */

static void publish(const char *id, const char *key) {
  pthread_mutex_lock(&pub_lock);
  if (npub == cappub) {
    size_t cap = cappub ? cappub * 2 : 1024;
    pub_ent *n = realloc(pub, cap * sizeof *n);
    if (n == NULL) {
      pthread_mutex_unlock(&pub_lock);
      fail("writer", "out of memory publishing ids");
      return;
    }
    pub = n;
    cappub = cap;
  }
  snprintf(pub[npub].id, sizeof pub[npub].id, "%s", id);
  snprintf(pub[npub].key, sizeof pub[npub].key, "%s", key);
  npub++;
  pthread_mutex_unlock(&pub_lock);
}

static bool pick_published(uint64_t *rs, pub_ent *out) {
  bool ok = false;
  pthread_mutex_lock(&pub_lock);
  if (npub) {
    *out = pub[rnd(rs, (uint32_t)npub)];
    ok = true;
  }
  pthread_mutex_unlock(&pub_lock);
  return ok;
}

/* ---- the invariant ------------------------------------------------------ */

typedef struct row {
  char id[REMDB_ID_LEN + 1];
  char k[48];
  long long a, b, gen, n;
  char cat[16];
} row;

/* Check one version of one row; false (and a failure) if it is broken. */
static bool check_row(const char *who, const char *where, const row *r) {
  char want[16];
  snprintf(want, sizeof want, "c%lld", r->a % 5);
  if (r->b != r->a * 7 || strcmp(r->cat, want) != 0 || r->gen < 1 ||
      r->n < 1 || (r->k[0] != 'g' && r->k[0] != 's' && r->k[0] != 'u')) {
    fail(who,
         "%s: row %s (k=%s) breaks the invariant: a=%lld b=%lld (want %lld) "
         "cat=%s (want %s) gen=%lld n=%lld",
         where, r->id, r->k, r->a, r->b, r->a * 7, r->cat, want, r->gen, r->n);
    return false;
  }
  return true;
}

/* A row from an entity's JSON (remdb_get, remdb_iter, remdb_find). */
static bool row_from_json(const char *who, const char *where, json_t *o,
                          row *r) {
  json_t *id = json_object_get(o, "id"), *k = json_object_get(o, "k");
  json_t *a = json_object_get(o, "a"), *b = json_object_get(o, "b");
  json_t *g = json_object_get(o, "gen"), *n = json_object_get(o, "n");
  json_t *c = json_object_get(o, "cat");
  if (!json_is_string(id) || !json_is_string(k) || !json_is_integer(a) ||
      !json_is_integer(b) || !json_is_integer(g) || !json_is_integer(n) ||
      !json_is_string(c)) {
    char *t = json_dumps(o, JSON_COMPACT);
    fail(who, "%s: entity lacks a field or has a wrong type: %s", where,
         t ? t : "?");
    free(t);
    return false;
  }
  snprintf(r->id, sizeof r->id, "%s", json_string_value(id));
  snprintf(r->k, sizeof r->k, "%s", json_string_value(k));
  snprintf(r->cat, sizeof r->cat, "%s", json_string_value(c));
  r->a = json_integer_value(a);
  r->b = json_integer_value(b);
  r->gen = json_integer_value(g);
  r->n = json_integer_value(n);
  return check_row(who, where, r);
}

/* Rows seen in one snapshot, for the group check. */
typedef struct rowset {
  row *r;
  size_t n, cap;
} rowset;

static void rowset_add(rowset *s, const row *r) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    row *n = realloc(s->r, cap * sizeof *n);
    if (n == NULL) return;
    s->r = n;
    s->cap = cap;
  }
  s->r[s->n++] = *r;
}

static int by_gen(const void *x, const void *y) {
  const row *a = x, *b = y;
  return (a->gen > b->gen) - (a->gen < b->gen);
}

/* In one snapshot every gen has exactly n rows (exact) or at most n (a view
** that also holds soft-deleted rows some of which were hard-deleted). */
static void check_groups(const char *who, const char *where, rowset *s,
                         bool exact) {
  if (s->n == 0) return; /* (qsort's array may not be NULL) */
  qsort(s->r, s->n, sizeof *s->r, by_gen);
  for (size_t i = 0; i < s->n;) {
    size_t j = i;
    bool same_n = true;
    while (j < s->n && s->r[j].gen == s->r[i].gen) {
      same_n &= s->r[j].n == s->r[i].n;
      j++;
    }
    long long cnt = (long long)(j - i);
    if (!same_n || (exact ? cnt != s->r[i].n : cnt > s->r[i].n))
      fail(who,
           "%s: torn write: gen %lld has %lld rows in one snapshot, its rows "
           "say n=%lld%s (first k=%s)",
           where, s->r[i].gen, cnt, s->r[i].n,
           same_n ? "" : " (and disagree on n)", s->r[i].k);
    i = j;
  }
}

/* ---- SQL helpers -------------------------------------------------------- */

#define ROW_COLS "id, k, a, b, gen, n, cat"

static remdb_stmt *prep(remdb *db, const char *who, const char *sql) {
  remdb_stmt *st = NULL;
  int rc = remdb_prepare(db, sql, strlen(sql), &st, NULL);
  if (rc != REMDB_OK || st == NULL)
    fail(who, "prepare \"%s\": rc %d: %s", sql, rc, remdb_errmsg(db));
  return st;
}

static bool col_int(remdb_stmt *st, int i, long long *out) {
  if (remdb_column_type(st, i) != REMDB_INTEGER) return false;
  *out = (long long)remdb_column_int64(st, i);
  return true;
}

static bool col_text(remdb_stmt *st, int i, char *out, size_t n) {
  const char *t = remdb_column_text(st, i, NULL);
  if (remdb_column_type(st, i) != REMDB_TEXT || t == NULL) return false;
  snprintf(out, n, "%s", t);
  return true;
}

/* The current row of a statement selecting ROW_COLS. */
static bool sql_row(const char *who, const char *where, remdb_stmt *st,
                    row *r) {
  if (!col_text(st, 0, r->id, sizeof r->id) ||
      !col_text(st, 1, r->k, sizeof r->k) || !col_int(st, 2, &r->a) ||
      !col_int(st, 3, &r->b) || !col_int(st, 4, &r->gen) ||
      !col_int(st, 5, &r->n) || !col_text(st, 6, r->cat, sizeof r->cat)) {
    fail(who, "%s: a column is NULL or of the wrong type", where);
    return false;
  }
  return check_row(who, where, r);
}

/* Run st (bound already) to the end, collecting and checking rows.  false
** if a step failed. */
static bool sql_rows(remdb *db, const char *who, const char *where,
                     remdb_stmt *st, rowset *out) {
  int rc;
  row r;
  out->n = 0;
  while ((rc = remdb_step(st)) == REMDB_ROW)
    if (sql_row(who, where, st, &r)) rowset_add(out, &r);
  remdb_reset(st);
  if (rc != REMDB_DONE) {
    fail(who, "%s: step: rc %d: %s", where, rc, remdb_errmsg(db));
    return false;
  }
  return true;
}

/* Run a write statement: it must end with REMDB_DONE. */
static bool sql_exec(remdb *db, const char *who, const char *where,
                     remdb_stmt *st) {
  int rc;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
  }
  remdb_reset(st);
  if (rc != REMDB_DONE) {
    fail(who, "%s: rc %d: %s", where, rc, remdb_errmsg(db));
    return false;
  }
  return true;
}

/* ---- the writer --------------------------------------------------------- */

enum { LIVE, SOFT, GONE };

typedef struct went {
  char id[REMDB_ID_LEN + 1];
  char key[40];
  int state;
  int group; /* index into groups, or -1 for a singleton */
} went;

typedef struct wgroup {
  long long gen;
  int first, k; /* entities first .. first+k-1 */
  int state;    /* LIVE or SOFT */
} wgroup;

enum {
  W_BATCH_GROUP,
  W_SQL_INSERT,
  W_INSERT,
  W_UPDATE,
  W_SQL_UPDATE_ONE,
  W_SOFT_DELETE,
  W_HARD_DELETE,
  W_SQL_UPDATE_GROUP,
  W_SQL_DELETE_GROUP,
  W_BATCH_REGROUP,
  W_BATCH_TWICE,
  W_NKINDS
};
static const char *const wnames[W_NKINDS] = {
    "batch-insert group",   "SQL INSERT group",  "insert",
    "update (patch)",       "SQL UPDATE by id",  "soft delete",
    "hard delete",          "SQL UPDATE group",  "SQL DELETE group",
    "batch upsert regroup", "batch reused twice"};

typedef struct writer {
  remdb *db;
  uint64_t rs;
  went *e;
  size_t ne, cape;
  wgroup *g;
  size_t ng, capg;
  long long gen;
  size_t stored; /* rows stored (live or soft-deleted) */
  unsigned long ops[W_NKINDS];
  remdb_stmt *ins[5]; /* INSERT of 2..4 rows */
  remdb_stmt *upd_group, *del_group, *upd_one, *ids_of_gen;
} writer;

static long long new_a(writer *w) {
  return (long long)rnd(&w->rs, 100000);
}

static int add_ent(writer *w, const char *id, const char *key, int group) {
  if (w->ne == w->cape) {
    size_t cap = w->cape ? w->cape * 2 : 1024;
    went *n = realloc(w->e, cap * sizeof *n);
    if (n == NULL) return -1;
    w->e = n;
    w->cape = cap;
  }
  went *x = &w->e[w->ne];
  snprintf(x->id, sizeof x->id, "%s", id);
  snprintf(x->key, sizeof x->key, "%s", key);
  x->state = LIVE;
  x->group = group;
  w->stored++;
  return (int)w->ne++;
}

static int add_group(writer *w, long long gen, int first, int k) {
  if (w->ng == w->capg) {
    size_t cap = w->capg ? w->capg * 2 : 256;
    wgroup *n = realloc(w->g, cap * sizeof *n);
    if (n == NULL) return -1;
    w->g = n;
    w->capg = cap;
  }
  w->g[w->ng] = (wgroup){gen, first, k, LIVE};
  return (int)w->ng++;
}

static void entity_json(char *out, size_t n, const char *key, long long a,
                        long long gen, long long cnt) {
  snprintf(out, n,
           "{\"k\":\"%s\",\"a\":%lld,\"b\":%lld,\"gen\":%lld,\"n\":%lld,"
           "\"cat\":\"c%lld\",\"note\":\"gen %lld\"}",
           key, a, a * 7, gen, cnt, a % 5, gen);
}

/* A random entity in state `state`, singleton or not; -1 if none found. */
static int pick_ent(writer *w, int state, bool singleton_only) {
  if (w->ne == 0) return -1;
  for (int tries = 0; tries < 64; tries++) {
    /* favour recent entities: they are the likely live ones */
    size_t span = w->ne < 2000 ? w->ne : 2000;
    size_t i = w->ne - 1 - rnd(&w->rs, (uint32_t)span);
    if (tries >= 32) i = rnd(&w->rs, (uint32_t)w->ne);
    went *x = &w->e[i];
    if (x->state != state) continue;
    if (singleton_only && x->group >= 0) continue;
    return (int)i;
  }
  return -1;
}

static int pick_group(writer *w, int state) {
  if (w->ng == 0) return -1;
  for (int tries = 0; tries < 64; tries++) {
    size_t span = w->ng < 500 ? w->ng : 500;
    size_t i = w->ng - 1 - rnd(&w->rs, (uint32_t)span);
    if (w->g[i].state == state) return (int)i;
  }
  return -1;
}

/* A group of k new rows in one batch (b reused: commit count given). */
static bool batch_group(writer *w, remdb_batch *b, int k) {
  long long gen = ++w->gen;
  int gi = add_group(w, gen, (int)w->ne, k);
  if (gi < 0) return false;
  char ids[8][REMDB_ID_LEN + 1], keys[8][40];
  for (int i = 0; i < k; i++) {
    char js[256];
    snprintf(keys[i], sizeof keys[i], "g%lld-%d", gen, i);
    entity_json(js, sizeof js, keys[i], new_a(w), gen, k);
    int rc = remdb_batch_insert(b, "items", js, strlen(js), ids[i]);
    if (rc) {
      fail("writer", "batch insert %s: rc %d: %s", js, rc,
           remdb_errmsg(w->db));
      return false;
    }
  }
  if (remdb_batch_count(b) != (size_t)k)
    fail("writer", "batch count %zu, expected %d", remdb_batch_count(b), k);
  int rc = remdb_batch_commit(b, rnd(&w->rs, 2) ? -1 : 0);
  if (rc) {
    fail("writer", "batch commit: rc %d: %s", rc, remdb_errmsg(w->db));
    return false;
  }
  for (int i = 0; i < k; i++) {
    add_ent(w, ids[i], keys[i], gi);
    publish(ids[i], keys[i]);
  }
  atomic_store(&max_gen, gen);
  return true;
}

static void w_batch_group(writer *w) {
  remdb_batch *b = NULL;
  int rc = remdb_batch_begin(w->db, &b);
  if (rc) {
    fail("writer", "batch begin: rc %d: %s", rc, remdb_errmsg(w->db));
    return;
  }
  batch_group(w, b, 2 + (int)rnd(&w->rs, 5));
  remdb_batch_free(b);
}

static void w_batch_twice(writer *w) {
  remdb_batch *b = NULL;
  int rc = remdb_batch_begin(w->db, &b);
  if (rc) {
    fail("writer", "batch begin: rc %d: %s", rc, remdb_errmsg(w->db));
    return;
  }
  if (batch_group(w, b, 2 + (int)rnd(&w->rs, 3)))
    batch_group(w, b, 1 + (int)rnd(&w->rs, 3));
  remdb_batch_free(b);
}

/* Learn the ids of a gen's rows (SQL INSERT does not return them). */
static void learn_ids(writer *w, long long gen, int gi, int k) {
  remdb_stmt *st = w->ids_of_gen;
  remdb_bind_int64(st, 1, gen);
  int rc, got = 0;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    char id[REMDB_ID_LEN + 1], key[40];
    if (!col_text(st, 0, id, sizeof id) || !col_text(st, 1, key, sizeof key))
      continue;
    add_ent(w, id, key, gi);
    publish(id, key);
    got++;
  }
  remdb_reset(st);
  if (rc != REMDB_DONE)
    fail("writer", "ids of gen %lld: rc %d: %s", gen, rc, remdb_errmsg(w->db));
  else if (got != k)
    fail("writer", "SQL INSERT of %d rows of gen %lld: %d found after", k, gen,
         got);
}

static void w_sql_insert(writer *w) {
  int k = 2 + (int)rnd(&w->rs, 3);
  long long gen = ++w->gen;
  remdb_stmt *st = w->ins[k];
  for (int i = 0; i < k; i++) {
    char key[40];
    long long a = new_a(w);
    char cat[8];
    int l = snprintf(key, sizeof key, "s%lld-%d", gen, i);
    snprintf(cat, sizeof cat, "c%lld", a % 5);
    remdb_bind_text(st, i * 6 + 1, key, (size_t)l);
    remdb_bind_int64(st, i * 6 + 2, a);
    remdb_bind_int64(st, i * 6 + 3, a * 7);
    remdb_bind_int64(st, i * 6 + 4, gen);
    remdb_bind_int64(st, i * 6 + 5, k);
    remdb_bind_text(st, i * 6 + 6, cat, strlen(cat));
  }
  if (!sql_exec(w->db, "writer", "SQL INSERT", st)) return;
  int gi = add_group(w, gen, (int)w->ne, k);
  if (gi < 0) return;
  learn_ids(w, gen, gi, k);
  atomic_store(&max_gen, gen);
}

static void w_insert(writer *w) {
  long long gen = ++w->gen;
  char key[40], js[256], id[REMDB_ID_LEN + 1];
  snprintf(key, sizeof key, "u%lld", gen);
  entity_json(js, sizeof js, key, new_a(w), gen, 1);
  int rc = remdb_insert(w->db, "items", js, strlen(js), id);
  if (rc) {
    fail("writer", "insert %s: rc %d: %s", js, rc, remdb_errmsg(w->db));
    return;
  }
  add_ent(w, id, key, -1);
  publish(id, key);
  atomic_store(&max_gen, gen);
}

static void w_update(writer *w, bool sql) {
  int i = pick_ent(w, LIVE, true);
  if (i < 0) {
    w_insert(w);
    return;
  }
  long long gen = ++w->gen, a = new_a(w);
  int rc;
  if (sql) {
    remdb_stmt *st = w->upd_one;
    remdb_bind_int64(st, 1, a);
    remdb_bind_int64(st, 2, gen);
    remdb_bind_text(st, 3, w->e[i].id, REMDB_ID_LEN);
    rc = sql_exec(w->db, "writer", "SQL UPDATE by id", st) ? REMDB_OK : -1;
  } else {
    char patch[256];
    snprintf(patch, sizeof patch,
             "{\"a\":%lld,\"b\":%lld,\"cat\":\"c%lld\",\"gen\":%lld,"
             "\"note\":%s}",
             a, a * 7, a % 5, gen, rnd(&w->rs, 2) ? "null" : "\"patched\"");
    rc = remdb_update(w->db, w->e[i].id, patch, strlen(patch));
    if (rc)
      fail("writer", "update %s with %s: rc %d: %s", w->e[i].id, patch, rc,
           remdb_errmsg(w->db));
  }
  if (rc == REMDB_OK) atomic_store(&max_gen, gen);
}

static void w_soft_delete(writer *w) {
  int i = pick_ent(w, LIVE, true);
  if (i < 0) return;
  int rc = remdb_delete(w->db, w->e[i].id, 0);
  if (rc) {
    fail("writer", "soft delete %s: rc %d: %s", w->e[i].id, rc,
         remdb_errmsg(w->db));
    return;
  }
  w->e[i].state = SOFT;
  /* deleting it again is NOTFOUND, and changes nothing */
  rc = remdb_delete(w->db, w->e[i].id, 0);
  if (rc != REMDB_NOTFOUND)
    fail("writer", "second soft delete of %s: rc %d, expected NOTFOUND",
         w->e[i].id, rc);
}

static void w_hard_delete(writer *w) {
  /* a singleton (live or soft-deleted) or a member of a soft-deleted
  ** group: never a member of a live group, whose rows go together */
  int i = -1;
  for (int tries = 0; tries < 8 && i < 0; tries++) {
    int state = rnd(&w->rs, 3) ? SOFT : LIVE;
    int j = pick_ent(w, state, state == LIVE);
    if (j >= 0 && (w->e[j].group < 0 || w->g[w->e[j].group].state == SOFT))
      i = j;
  }
  if (i < 0) return;
  int rc = remdb_delete(w->db, w->e[i].id, REMDB_HARD);
  if (rc) {
    fail("writer", "hard delete %s: rc %d: %s", w->e[i].id, rc,
         remdb_errmsg(w->db));
    return;
  }
  w->e[i].state = GONE;
  w->stored--;
}

static void w_sql_update_group(writer *w) {
  int gi = pick_group(w, LIVE);
  if (gi < 0) {
    w_sql_insert(w);
    return;
  }
  long long gen = ++w->gen;
  remdb_stmt *st = w->upd_group;
  remdb_bind_int64(st, 1, gen);
  remdb_bind_int64(st, 2, 1 + rnd(&w->rs, 1000));
  remdb_bind_int64(st, 3, w->g[gi].gen);
  if (sql_exec(w->db, "writer", "SQL UPDATE group", st)) {
    w->g[gi].gen = gen;
    atomic_store(&max_gen, gen);
  }
}

static void w_sql_delete_group(writer *w) {
  int gi = pick_group(w, LIVE);
  if (gi < 0) return;
  remdb_stmt *st = w->del_group;
  remdb_bind_int64(st, 1, w->g[gi].gen);
  if (!sql_exec(w->db, "writer", "SQL DELETE group", st)) return;
  w->g[gi].state = SOFT;
  for (int i = 0; i < w->g[gi].k; i++) w->e[w->g[gi].first + i].state = SOFT;
}

static void w_batch_regroup(writer *w) {
  int gi = pick_group(w, LIVE);
  if (gi < 0) {
    w_batch_group(w);
    return;
  }
  wgroup *g = &w->g[gi];
  long long gen = ++w->gen;
  remdb_batch *b = NULL;
  int rc = remdb_batch_begin(w->db, &b);
  for (int i = 0; rc == REMDB_OK && i < g->k; i++) {
    const went *x = &w->e[g->first + i];
    char js[256], id[REMDB_ID_LEN + 1];
    entity_json(js, sizeof js, x->key, new_a(w), gen, g->k);
    rc = remdb_batch_insert(b, "items", js, strlen(js), id);
    if (rc == REMDB_OK && strcmp(id, x->id) != 0)
      fail("writer", "upsert of key %s gave id %s, it had %s", x->key, id,
           x->id);
  }
  if (rc == REMDB_OK) rc = remdb_batch_commit(b, rnd(&w->rs, 2) ? -1 : 0);
  remdb_batch_free(b);
  if (rc) {
    fail("writer", "regroup batch: rc %d: %s", rc, remdb_errmsg(w->db));
    return;
  }
  g->gen = gen;
  atomic_store(&max_gen, gen);
}

static void *writer_main(void *arg) {
  writer *w = arg;
  static const char *const ins_sql[5] = {
      NULL, NULL,
      "INSERT INTO items(k, a, b, gen, n, cat) VALUES (?,?,?,?,?,?),"
      "(?,?,?,?,?,?)",
      "INSERT INTO items(k, a, b, gen, n, cat) VALUES (?,?,?,?,?,?),"
      "(?,?,?,?,?,?),(?,?,?,?,?,?)",
      "INSERT INTO items(k, a, b, gen, n, cat) VALUES (?,?,?,?,?,?),"
      "(?,?,?,?,?,?),(?,?,?,?,?,?),(?,?,?,?,?,?)"};
  for (int k = 2; k <= 4; k++) w->ins[k] = prep(w->db, "writer", ins_sql[k]);
  w->upd_group = prep(w->db, "writer",
                      "UPDATE items SET gen = ?1, a = a + ?2, "
                      "b = (a + ?2) * 7, cat = 'c' || ((a + ?2) % 5) "
                      "WHERE gen = ?3");
  w->del_group = prep(w->db, "writer", "DELETE FROM items WHERE gen = ?");
  w->upd_one = prep(w->db, "writer",
                    "UPDATE items SET a = ?1, b = ?1 * 7, "
                    "cat = 'c' || (?1 % 5), gen = ?2 WHERE id = ?3");
  w->ids_of_gen = prep(w->db, "writer",
                       "SELECT id, k FROM items WHERE gen = ? ORDER BY k");
  if (!w->ins[2] || !w->ins[3] || !w->ins[4] || !w->upd_group ||
      !w->del_group || !w->upd_one || !w->ids_of_gen)
    atomic_store(&stop, true);
  while (!atomic_load(&stop)) {
    uint32_t r = rnd(&w->rs, 100);
    int kind;
    if (w->stored > ROW_SOFT_CAP && r < 40)
      kind = r < 25   ? W_HARD_DELETE
             : r < 32 ? W_SQL_DELETE_GROUP
                      : W_SOFT_DELETE;
    else if (r < 12)
      kind = W_BATCH_GROUP;
    else if (r < 20)
      kind = W_SQL_INSERT;
    else if (r < 33)
      kind = W_INSERT;
    else if (r < 45)
      kind = W_UPDATE;
    else if (r < 52)
      kind = W_SQL_UPDATE_ONE;
    else if (r < 59)
      kind = W_SOFT_DELETE;
    else if (r < 67)
      kind = W_HARD_DELETE;
    else if (r < 77)
      kind = W_SQL_UPDATE_GROUP;
    else if (r < 83)
      kind = W_SQL_DELETE_GROUP;
    else if (r < 93)
      kind = W_BATCH_REGROUP;
    else
      kind = W_BATCH_TWICE;
    switch (kind) {
      case W_BATCH_GROUP:
        w_batch_group(w);
        break;
      case W_SQL_INSERT:
        w_sql_insert(w);
        break;
      case W_INSERT:
        w_insert(w);
        break;
      case W_UPDATE:
        w_update(w, false);
        break;
      case W_SQL_UPDATE_ONE:
        w_update(w, true);
        break;
      case W_SOFT_DELETE:
        w_soft_delete(w);
        break;
      case W_HARD_DELETE:
        w_hard_delete(w);
        break;
      case W_SQL_UPDATE_GROUP:
        w_sql_update_group(w);
        break;
      case W_SQL_DELETE_GROUP:
        w_sql_delete_group(w);
        break;
      case W_BATCH_REGROUP:
        w_batch_regroup(w);
        break;
      default:
        w_batch_twice(w);
        break;
    }
    w->ops[kind]++;
    atomic_fetch_or(&w_kinds_ran, 1u << kind);
  }
  for (int k = 2; k <= 4; k++) remdb_finalize(w->ins[k]);
  remdb_finalize(w->upd_group);
  remdb_finalize(w->del_group);
  remdb_finalize(w->upd_one);
  remdb_finalize(w->ids_of_gen);
  return NULL;
}

/* ---- the readers -------------------------------------------------------- */

enum {
  R_GET,
  R_GET_DELETED,
  R_SQL_POINT,
  R_SQL_POINT_IN,
  R_SQL_GEN_EQ,
  R_SQL_GEN_IN,
  R_SQL_CAT_EQ,
  R_SQL_RANGE,
  R_SQL_ORDER,
  R_SQL_ORDER_DESC,
  R_SQL_FULL,
  R_SQL_FULL_ALL,
  R_SQL_GROUPBY,
  R_ITER,
  R_COUNT,
  R_FIND_GEN,
  R_FIND_CAT,
  R_SEARCH,
  R_SEARCH_GEN,
  R_VERIFY,
  R_NKINDS
};
static const char *const rnames[R_NKINDS] = {"remdb_get",
                                             "remdb_get deleted",
                                             "SQL id =",
                                             "SQL id IN",
                                             "SQL gen = (index)",
                                             "SQL gen IN (index)",
                                             "SQL cat = (index)",
                                             "SQL a BETWEEN (index)",
                                             "SQL ORDER BY a LIMIT",
                                             "SQL ORDER BY a DESC",
                                             "SQL full scan",
                                             "SQL full scan _all",
                                             "SQL GROUP BY gen",
                                             "remdb_iter",
                                             "remdb_count",
                                             "remdb_find gen",
                                             "remdb_find cat",
                                             "search (hnsw)",
                                             "search gen = (hnsw)",
                                             "remdb_verify"};

#define N_IN_SIZES 4
#define MAX_IN 40
static const int in_sizes[N_IN_SIZES] = {2, 4, 15, MAX_IN};

typedef struct reader {
  int no;
  char name[32];
  remdb *db;
  uint64_t rs;
  unsigned long ops[R_NKINDS];
  rowset rows;
  remdb_stmt *point, *gen_eq, *cat_eq, *range, *order, *order_desc, *full,
      *full_all, *groupby;
  remdb_stmt *point_in[N_IN_SIZES], *gen_in[N_IN_SIZES];
} reader;

static long long rand_gen(reader *r) {
  long long g = atomic_load(&max_gen);
  if (g < 1) return 1;
  /* favour recent gens: they are the ones most likely alive */
  if (rnd(&r->rs, 2)) {
    long long span = g < 200 ? g : 200;
    return g - (long long)rnd(&r->rs, (uint32_t)span);
  }
  return 1 + (long long)rnd(&r->rs, (uint32_t)g);
}

static void r_get(reader *r, int flags) {
  pub_ent p;
  if (!pick_published(&r->rs, &p)) return;
  char *js = NULL;
  size_t len = 0;
  const char *where = flags ? "remdb_get(INCLUDE_DELETED)" : "remdb_get";
  int rc = remdb_get(r->db, rnd(&r->rs, 2) ? "items" : NULL, p.id, flags, &js,
                     &len);
  if (rc == REMDB_NOTFOUND) return; /* deleted, or hard-deleted */
  if (rc) {
    fail(r->name, "%s %s: rc %d: %s", where, p.id, rc, remdb_errmsg(r->db));
    return;
  }
  json_t *o = json_loadb(js, len, 0, NULL);
  row x;
  if (o == NULL) {
    fail(r->name, "%s %s: not JSON: %s", where, p.id, js);
  } else if (row_from_json(r->name, where, o, &x)) {
    if (strcmp(x.id, p.id) != 0 || strcmp(x.k, p.key) != 0)
      fail(r->name, "%s %s (k=%s) returned id %s k=%s", where, p.id, p.key,
           x.id, x.k);
    if (!flags && !json_is_null(json_object_get(o, "deleted_at")))
      fail(r->name, "%s %s returned a soft-deleted entity", where, p.id);
  }
  json_decref(o);
  remdb_free(js);
}

static void r_point(reader *r) {
  pub_ent p;
  if (!pick_published(&r->rs, &p)) return;
  remdb_bind_text(r->point, 1, p.id, REMDB_ID_LEN);
  if (!sql_rows(r->db, r->name, "SQL id =", r->point, &r->rows)) return;
  if (r->rows.n > 1 ||
      (r->rows.n == 1 && (strcmp(r->rows.r[0].id, p.id) != 0 ||
                          strcmp(r->rows.r[0].k, p.key) != 0)))
    fail(r->name, "SQL id = %s: %zu rows, first id %s k=%s", p.id, r->rows.n,
         r->rows.n ? r->rows.r[0].id : "-", r->rows.n ? r->rows.r[0].k : "-");
}

/* IN lists of several lengths: each cursor sorts its list of keys */
static void r_point_in(reader *r) {
  int si = (int)rnd(&r->rs, N_IN_SIZES), n = in_sizes[si];
  pub_ent p[MAX_IN];
  remdb_stmt *st = r->point_in[si];
  for (int i = 0; i < n; i++) {
    if (!pick_published(&r->rs, &p[i])) return;
    remdb_bind_text(st, i + 1, p[i].id, REMDB_ID_LEN);
  }
  if (!sql_rows(r->db, r->name, "SQL id IN", st, &r->rows)) return;
  for (size_t j = 0; j < r->rows.n; j++) {
    bool ok = false;
    for (int i = 0; i < n; i++)
      ok |= strcmp(r->rows.r[j].id, p[i].id) == 0 &&
            strcmp(r->rows.r[j].k, p[i].key) == 0;
    for (size_t m = 0; m < j; m++)
      if (strcmp(r->rows.r[m].id, r->rows.r[j].id) == 0) {
        fail(r->name, "SQL id IN (%d ids): id %s returned twice", n,
             r->rows.r[j].id);
        ok = true;
      }
    if (!ok)
      fail(r->name, "SQL id IN (%d ids, first %s) returned id %s k=%s", n,
           p[0].id, r->rows.r[j].id, r->rows.r[j].k);
  }
}

static void r_gen_eq(reader *r) {
  long long g = rand_gen(r);
  remdb_bind_int64(r->gen_eq, 1, g);
  if (!sql_rows(r->db, r->name, "SQL gen =", r->gen_eq, &r->rows)) return;
  for (size_t j = 0; j < r->rows.n; j++)
    if (r->rows.r[j].gen != g)
      fail(r->name, "SQL gen = %lld returned a row of gen %lld", g,
           r->rows.r[j].gen);
  check_groups(r->name, "SQL gen =", &r->rows, true);
}

static void r_gen_in(reader *r) {
  int si = (int)rnd(&r->rs, N_IN_SIZES), n = in_sizes[si];
  long long g[MAX_IN];
  remdb_stmt *st = r->gen_in[si];
  for (int i = 0; i < n; i++) {
    g[i] = rand_gen(r);
    remdb_bind_int64(st, i + 1, g[i]);
  }
  if (!sql_rows(r->db, r->name, "SQL gen IN", st, &r->rows)) return;
  for (size_t j = 0; j < r->rows.n; j++) {
    bool ok = false;
    for (int i = 0; i < n; i++) ok |= r->rows.r[j].gen == g[i];
    if (!ok)
      fail(r->name, "SQL gen IN (%d values, first %lld) returned gen %lld", n,
           g[0], r->rows.r[j].gen);
  }
  check_groups(r->name, "SQL gen IN", &r->rows, true);
}

static void r_cat_eq(reader *r) {
  char cat[8];
  int l = snprintf(cat, sizeof cat, "c%u", rnd(&r->rs, 5));
  remdb_bind_text(r->cat_eq, 1, cat, (size_t)l);
  if (!sql_rows(r->db, r->name, "SQL cat =", r->cat_eq, &r->rows)) return;
  for (size_t j = 0; j < r->rows.n; j++)
    if (strcmp(r->rows.r[j].cat, cat) != 0)
      fail(r->name, "SQL cat = '%s' returned cat %s", cat, r->rows.r[j].cat);
}

static void r_range(reader *r) {
  long long lo = rnd(&r->rs, 100000), hi = lo + rnd(&r->rs, 5000);
  remdb_bind_int64(r->range, 1, lo);
  remdb_bind_int64(r->range, 2, hi);
  if (!sql_rows(r->db, r->name, "SQL a BETWEEN", r->range, &r->rows)) return;
  for (size_t j = 0; j < r->rows.n; j++) {
    if (r->rows.r[j].a < lo || r->rows.r[j].a > hi)
      fail(r->name, "SQL a BETWEEN %lld AND %lld returned a=%lld", lo, hi,
           r->rows.r[j].a);
    if (j && r->rows.r[j].a < r->rows.r[j - 1].a)
      fail(r->name, "SQL a BETWEEN ... ORDER BY a: %lld after %lld",
           r->rows.r[j].a, r->rows.r[j - 1].a);
  }
}

static void r_order(reader *r, bool desc) {
  remdb_stmt *st = desc ? r->order_desc : r->order;
  const char *where = desc ? "SQL ORDER BY a DESC" : "SQL ORDER BY a";
  long long lim = 1 + rnd(&r->rs, 60);
  remdb_bind_int64(st, 1, lim);
  if (desc) remdb_bind_int64(st, 2, rnd(&r->rs, 20));
  if (!sql_rows(r->db, r->name, where, st, &r->rows)) return;
  if ((long long)r->rows.n > lim)
    fail(r->name, "%s LIMIT %lld returned %zu rows", where, lim, r->rows.n);
  for (size_t j = 1; j < r->rows.n; j++)
    if (desc ? r->rows.r[j].a > r->rows.r[j - 1].a
             : r->rows.r[j].a < r->rows.r[j - 1].a)
      fail(r->name, "%s: a=%lld after a=%lld", where, r->rows.r[j].a,
           r->rows.r[j - 1].a);
}

static void r_full(reader *r, bool all) {
  const char *where = all ? "SQL full scan of items_all" : "SQL full scan";
  if (!sql_rows(r->db, r->name, where, all ? r->full_all : r->full, &r->rows))
    return;
  check_groups(r->name, where, &r->rows, !all);
}

static void r_groupby(reader *r) {
  remdb_stmt *st = r->groupby;
  int rc;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    long long g = 0, c = 0, mn = 0, mx = 0;
    col_int(st, 0, &g);
    col_int(st, 1, &c);
    col_int(st, 2, &mn);
    col_int(st, 3, &mx);
    fail(r->name,
         "SQL GROUP BY gen: torn write: gen %lld has %lld rows, "
         "n from %lld to %lld",
         g, c, mn, mx);
  }
  remdb_reset(st);
  if (rc != REMDB_DONE)
    fail(r->name, "SQL GROUP BY gen: rc %d: %s", rc, remdb_errmsg(r->db));
}

static void r_iter(reader *r) {
  remdb_iter *it = NULL;
  int flags = rnd(&r->rs, 4) == 0 ? REMDB_INCLUDE_DELETED : 0;
  const char *where = flags ? "remdb_iter(INCLUDE_DELETED)" : "remdb_iter";
  int rc = remdb_iter_open(r->db, "items", flags, &it);
  if (rc) {
    fail(r->name, "%s open: rc %d: %s", where, rc, remdb_errmsg(r->db));
    return;
  }
  const char *js;
  size_t len;
  char prev[REMDB_ID_LEN + 1] = "";
  r->rows.n = 0;
  while ((rc = remdb_iter_next(it, &js, &len)) == REMDB_ROW) {
    json_t *o = json_loadb(js, len, 0, NULL);
    row x;
    if (o == NULL) {
      fail(r->name, "%s: not JSON: %.200s", where, js);
    } else if (row_from_json(r->name, where, o, &x)) {
      if (strcmp(prev, x.id) >= 0)
        fail(r->name, "%s: id %s after %s (not in id order)", where, x.id,
             prev);
      memcpy(prev, x.id, sizeof prev);
      rowset_add(&r->rows, &x);
      if (!flags && !json_is_null(json_object_get(o, "deleted_at")))
        fail(r->name, "%s returned soft-deleted %s", where, x.id);
    }
    json_decref(o);
  }
  if (rc != REMDB_DONE)
    fail(r->name, "%s: rc %d: %s", where, rc, remdb_errmsg(r->db));
  remdb_iter_free(it);
  check_groups(r->name, where, &r->rows, !flags);
}

static void r_count(reader *r) {
  uint64_t live = 0, all = 0;
  int rc = remdb_count(r->db, "items", 0, &live);
  if (rc == REMDB_OK)
    rc = remdb_count(r->db, "items", REMDB_INCLUDE_DELETED, &all);
  if (rc) {
    fail(r->name, "remdb_count: rc %d: %s", rc, remdb_errmsg(r->db));
    return;
  }
  /* two reads, two states: only sanity (an underflow shows as ~2^64) */
  if (live > 10000000 || all > 10000000)
    fail(r->name, "remdb_count: implausible counts %" PRIu64 " / %" PRIu64,
         live, all);
}

static void r_find(reader *r, bool by_gen_field) {
  char value[32], cat[8] = "", *out = NULL;
  long long g = 0;
  const char *field = by_gen_field ? "gen" : "cat";
  if (by_gen_field) {
    g = rand_gen(r);
    snprintf(value, sizeof value, "%lld", g);
  } else {
    snprintf(cat, sizeof cat, "c%u", rnd(&r->rs, 5));
    snprintf(value, sizeof value, "\"%s\"", cat);
  }
  int rc = remdb_find(r->db, "items", field, value, 0, &out);
  if (rc) {
    fail(r->name, "remdb_find %s = %s: rc %d: %s", field, value, rc,
         remdb_errmsg(r->db));
    return;
  }
  json_t *a = json_loads(out, 0, NULL);
  if (!json_is_array(a)) {
    fail(r->name, "remdb_find %s = %s: not a JSON array: %.200s", field, value,
         out);
  } else {
    r->rows.n = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
      row x;
      json_t *o = json_array_get(a, i);
      if (!row_from_json(r->name, "remdb_find", o, &x)) continue;
      /* remdb_find does not re-check: each row must have the value */
      if (by_gen_field ? x.gen != g : strcmp(x.cat, cat) != 0)
        fail(r->name, "remdb_find %s = %s returned %s (gen %lld, cat %s)",
             field, value, x.id, x.gen, x.cat);
      if (!json_is_null(json_object_get(o, "deleted_at")))
        fail(r->name, "remdb_find returned soft-deleted %s", x.id);
      rowset_add(&r->rows, &x);
    }
    if (by_gen_field) check_groups(r->name, "remdb_find gen", &r->rows, true);
  }
  json_decref(a);
  remdb_free(out);
}

/* Vector search through the graph while the writer changes it: every row
** returned is whole, live and, with a filter, passes it. */
static void r_search(reader *r, bool filtered) {
  char where[48], q[32], *out = NULL;
  long long g = rand_gen(r);
  snprintf(where, sizeof where, "gen = %lld", g);
  snprintf(q, sizeof q, "k%u", rnd(&r->rs, 5000));
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = 1 + rnd(&r->rs, 12);
  o.method = REMDB_SEARCH_HNSW;
  o.where = filtered ? where : NULL;
  int rc = remdb_search_ex(r->db, "items", q, &o, &out, NULL);
  if (rc) {
    fail(r->name, "search %s: rc %d: %s", filtered ? where : "", rc,
         remdb_errmsg(r->db));
    return;
  }
  json_t *a = json_loads(out, 0, NULL);
  if (!json_is_array(a) || json_array_size(a) > o.k) {
    fail(r->name, "search: not an array of at most %zu: %.200s", o.k, out);
  } else {
    r->rows.n = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
      row x;
      json_t *e = json_object_get(json_array_get(a, i), "entity");
      if (!row_from_json(r->name, "search", e, &x)) continue;
      if (!json_is_null(json_object_get(e, "deleted_at")))
        fail(r->name, "search returned soft-deleted %s", x.id);
      if (filtered && x.gen != g)
        fail(r->name, "search with %s returned %s of gen %lld", where, x.id,
             x.gen);
    }
  }
  json_decref(a);
  remdb_free(out);
}

static void verify_report(void *ctx, const char *problem) {
  fail((const char *)ctx, "remdb_verify: %s", problem);
}

static void r_verify(reader *r) {
  uint64_t problems = 0;
  int rc = remdb_verify(r->db, verify_report, r->name, &problems);
  if (rc) fail(r->name, "remdb_verify: rc %d: %s", rc, remdb_errmsg(r->db));
  if (problems)
    fail(r->name, "remdb_verify during writes: %" PRIu64 " problems",
         problems);
}

static void *reader_main(void *arg) {
  reader *r = arg;
  const char *who = r->name;
  remdb *db = r->db;
  r->point = prep(db, who, "SELECT " ROW_COLS " FROM items WHERE id = ?");
  r->gen_eq = prep(db, who, "SELECT " ROW_COLS " FROM items WHERE gen = ?");
  for (int i = 0; i < N_IN_SIZES; i++) {
    char sql[512];
    for (int col = 0; col < 2; col++) {
      int l = snprintf(sql, sizeof sql,
                       "SELECT " ROW_COLS " FROM items WHERE %s IN (?",
                       col ? "gen" : "id");
      for (int j = 1; j < in_sizes[i]; j++) l += snprintf(sql + l, 8, ",?");
      snprintf(sql + l, 8, ")");
      *(col ? &r->gen_in[i] : &r->point_in[i]) = prep(db, who, sql);
    }
  }
  r->cat_eq = prep(db, who, "SELECT " ROW_COLS " FROM items WHERE cat = ?");
  r->range = prep(db, who,
                  "SELECT " ROW_COLS
                  " FROM items WHERE a BETWEEN ? AND ? "
                  "ORDER BY a");
  r->order =
      prep(db, who, "SELECT " ROW_COLS " FROM items ORDER BY a LIMIT ?");
  r->order_desc = prep(db, who,
                       "SELECT " ROW_COLS
                       " FROM items ORDER BY a DESC "
                       "LIMIT ? OFFSET ?");
  r->full = prep(db, who,
                 "SELECT " ROW_COLS
                 " FROM items WHERE note IS NOT "
                 "NULL OR note IS NULL");
  r->full_all = prep(db, who, "SELECT " ROW_COLS " FROM items_all");
  r->groupby = prep(db, who,
                    "SELECT gen, count(*), min(n), max(n) FROM items "
                    "GROUP BY gen HAVING count(*) <> min(n) "
                    "OR min(n) <> max(n)");
  remdb_stmt **all[] = {&r->point,       &r->gen_eq,      &r->cat_eq,
                        &r->range,       &r->order,       &r->order_desc,
                        &r->full,        &r->full_all,    &r->groupby,
                        &r->point_in[0], &r->point_in[1], &r->point_in[2],
                        &r->point_in[3], &r->gen_in[0],   &r->gen_in[1],
                        &r->gen_in[2],   &r->gen_in[3]};
  size_t nall = sizeof all / sizeof *all;
  for (size_t i = 0; i < nall; i++)
    if (*all[i] == NULL) atomic_store(&stop, true);
  double next_verify = now_s() + 0.2;
  while (!atomic_load(&stop)) {
    int kind;
    if (r->no == 0 && now_s() >= next_verify) {
      kind = R_VERIFY;
      next_verify = now_s() + 0.4;
    } else {
      /* full scans are the expensive ones: rarer */
      uint32_t x = rnd(&r->rs, 100);
      kind = x < 14   ? R_GET
             : x < 18 ? R_GET_DELETED
             : x < 26 ? R_SQL_POINT
             : x < 34 ? R_SQL_POINT_IN
             : x < 44 ? R_SQL_GEN_EQ
             : x < 52 ? R_SQL_GEN_IN
             : x < 55 ? R_SQL_CAT_EQ
             : x < 63 ? R_SQL_RANGE
             : x < 69 ? R_SQL_ORDER
             : x < 75 ? R_SQL_ORDER_DESC
             : x < 78 ? R_SQL_FULL
             : x < 80 ? R_SQL_FULL_ALL
             : x < 82 ? R_SQL_GROUPBY
             : x < 85 ? R_ITER
             : x < 90 ? R_COUNT
             : x < 93 ? R_FIND_GEN
             : x < 95 ? R_FIND_CAT
             : x < 98 ? R_SEARCH
                      : R_SEARCH_GEN;
    }
    switch (kind) {
      case R_GET:
        r_get(r, 0);
        break;
      case R_GET_DELETED:
        r_get(r, REMDB_INCLUDE_DELETED);
        break;
      case R_SQL_POINT:
        r_point(r);
        break;
      case R_SQL_POINT_IN:
        r_point_in(r);
        break;
      case R_SQL_GEN_EQ:
        r_gen_eq(r);
        break;
      case R_SQL_GEN_IN:
        r_gen_in(r);
        break;
      case R_SQL_CAT_EQ:
        r_cat_eq(r);
        break;
      case R_SQL_RANGE:
        r_range(r);
        break;
      case R_SQL_ORDER:
        r_order(r, false);
        break;
      case R_SQL_ORDER_DESC:
        r_order(r, true);
        break;
      case R_SQL_FULL:
        r_full(r, false);
        break;
      case R_SQL_FULL_ALL:
        r_full(r, true);
        break;
      case R_SQL_GROUPBY:
        r_groupby(r);
        break;
      case R_ITER:
        r_iter(r);
        break;
      case R_COUNT:
        r_count(r);
        break;
      case R_FIND_GEN:
        r_find(r, true);
        break;
      case R_FIND_CAT:
        r_find(r, false);
        break;
      case R_SEARCH:
        r_search(r, false);
        break;
      case R_SEARCH_GEN:
        r_search(r, true);
        break;
      default:
        r_verify(r);
        break;
    }
    r->ops[kind]++;
    atomic_fetch_or(&r_kinds_ran, 1u << kind);
  }
  for (size_t i = 0; i < nall; i++) remdb_finalize(*all[i]);
  free(r->rows.r);
  remdb_close(r->db); /* handles close concurrently with the others */
  r->db = NULL;
  return NULL;
}

/* ---- phase 2: concurrent IN-list queries on a quiet table ---------------
** A small table `pins` (no writer): the answers are known exactly.  An IN
** list of n ids has n rows; an IN list of n values of the indexed field g
** has PIN_PER_G * n rows.  Short queries, so that many cursors prepare
** their IN lists at the same time. */

#define N_PINS 300
#define PIN_GS 50
#define PIN_PER_G (N_PINS / PIN_GS)
#define N_Q_SIZES 5
static const int q_sizes[N_Q_SIZES] = {2, 3, 8, 25, 49};
static char pin_ids[N_PINS][REMDB_ID_LEN + 1];

typedef struct inq {
  char name[32];
  remdb *db;
  uint64_t rs;
  double until;
  unsigned long queries;
  remdb_stmt *st[2][N_Q_SIZES]; /* [by g][size] */
} inq;

static void inq_run(inq *q, bool by_g) {
  int si = (int)rnd(&q->rs, N_Q_SIZES), n = q_sizes[si];
  remdb_stmt *st = q->st[by_g][si];
  if (st == NULL) return;
  uint32_t start = rnd(&q->rs, by_g ? PIN_GS : N_PINS);
  for (int i = 0; i < n; i++) {
    if (by_g)
      remdb_bind_int64(st, i + 1, (start + (uint32_t)i) % PIN_GS);
    else
      remdb_bind_text(st, i + 1, pin_ids[(start + (uint32_t)i) % N_PINS],
                      REMDB_ID_LEN);
  }
  long long want = by_g ? (long long)n * PIN_PER_G : n;
  int rc = remdb_step(st);
  if (rc != REMDB_ROW)
    fail(q->name, "IN list of %d %s: rc %d: %s", n, by_g ? "values" : "ids",
         rc, remdb_errmsg(q->db));
  else if (remdb_column_int64(st, 0) != want ||
           remdb_column_int64(st, 1) != want)
    fail(q->name, "IN list of %d %s: %lld rows (%lld distinct), want %lld", n,
         by_g ? "values" : "ids", (long long)remdb_column_int64(st, 0),
         (long long)remdb_column_int64(st, 1), want);
  remdb_reset(st);
  q->queries++;
}

static void *inq_main(void *arg) {
  inq *q = arg;
  for (int g = 0; g < 2; g++)
    for (int i = 0; i < N_Q_SIZES; i++) {
      char sql[512];
      int l = snprintf(sql, sizeof sql,
                       "SELECT count(*), count(DISTINCT id) FROM pins "
                       "WHERE %s IN (?",
                       g ? "g" : "id");
      for (int j = 1; j < q_sizes[i]; j++) l += snprintf(sql + l, 8, ",?");
      snprintf(sql + l, 8, ")");
      q->st[g][i] = prep(q->db, q->name, sql);
    }
  /* at least one query each, however late the thread starts */
  if (!atomic_load(&stop)) do
      inq_run(q, rnd(&q->rs, 2));
    while (!atomic_load(&stop) && now_s() < q->until);
  for (int g = 0; g < 2; g++)
    for (int i = 0; i < N_Q_SIZES; i++) remdb_finalize(q->st[g][i]);
  remdb_close(q->db);
  q->db = NULL;
  return NULL;
}

static void test_in_lists(remdb *db, uint64_t seed, double secs) {
  static const char *pins_schema =
      "{\"name\":\"pins\",\"properties\":{\"g\":{\"type\":\"integer\"}},"
      "\"required\":[\"g\"],\"indexed_fields\":[\"g\"]}";
  CHECK_INT(remdb_schema_put(db, pins_schema, strlen(pins_schema)), REMDB_OK);
  remdb_batch *b = NULL;
  int rc = remdb_batch_begin(db, &b);
  for (int i = 0; rc == REMDB_OK && i < N_PINS; i++) {
    char js[32];
    snprintf(js, sizeof js, "{\"g\":%d}", i % PIN_GS);
    rc = remdb_batch_insert(b, "pins", js, strlen(js), pin_ids[i]);
  }
  if (rc == REMDB_OK) rc = remdb_batch_commit(b, -1);
  remdb_batch_free(b);
  CHECK_INT(rc, REMDB_OK);
  if (rc) return;
  phase_name = "phase 2 (concurrent SQL IN-list queries)";
  printf("test_stress: phase 2: %d readers, IN lists on %d rows, %.2f s\n",
         N_READERS, N_PINS, secs);
  inq q[N_READERS];
  pthread_t t[N_READERS];
  memset(q, 0, sizeof q);
  atomic_store(&stop, atomic_load(&failures) >= MAX_FAILURES);
  double until = now_s() + secs;
  int started = 0;
  for (int i = 0; i < N_READERS; i++) {
    snprintf(q[i].name, sizeof q[i].name, "IN reader %d", i);
    q[i].rs = (seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)(i + 7))) | 1;
    q[i].until = until;
    CHECK_INT(remdb_open_tenant(db, "default", &q[i].db), REMDB_OK);
  }
  for (int i = 0; i < N_READERS; i++)
    if (q[i].db && pthread_create(&t[i], NULL, inq_main, &q[i]) == 0)
      started |= 1 << i;
  unsigned long total = 0;
  for (int i = 0; i < N_READERS; i++) {
    if (started & (1 << i))
      pthread_join(t[i], NULL);
    else
      remdb_close(q[i].db);
    total += q[i].queries;
  }
  printf("test_stress: phase 2: %lu IN-list queries\n", total);
  CHECK(total > 0);
}

/* ---- phase 3: schema replacement while other handles write and read ----
** Table `flip` (N_FLIP rows f0..f<N-1>; y = x % 10; z = row number % 10,
** never changed) switches between two versions that differ only in
** indexed_fields: [x] and [x, y, z].  Replacing the schema drops or
** rebuilds the indexes of y and z.  Meanwhile one handle updates x and y
** (C API and SQL) and hard-deletes and re-inserts rows (so at most one row
** is missing at any time), and another counts the rows with z = v, by the
** index of z whenever the catalog it sees says z is indexed.  Every count
** must be N_FLIP/10 or one less, no call may fail, and remdb_verify must
** find nothing at the end. */

#define N_FLIP 1500
#define N_FLIPS 16

static const char *flip_v1 =
    "{\"name\":\"flip\",\"properties\":{\"k\":{\"type\":\"string\"},"
    "\"x\":{\"type\":\"integer\"},\"y\":{\"type\":\"integer\"},"
    "\"z\":{\"type\":\"integer\"}},"
    "\"required\":[\"k\",\"x\",\"y\",\"z\"],\"key_field\":\"k\","
    "\"indexed_fields\":[\"x\"]}";
static const char *flip_v2 =
    "{\"name\":\"flip\",\"properties\":{\"k\":{\"type\":\"string\"},"
    "\"x\":{\"type\":\"integer\"},\"y\":{\"type\":\"integer\"},"
    "\"z\":{\"type\":\"integer\"}},"
    "\"required\":[\"k\",\"x\",\"y\",\"z\"],\"key_field\":\"k\","
    "\"indexed_fields\":[\"x\",\"y\",\"z\"]}";

static char flip_ids[N_FLIP][REMDB_ID_LEN + 1];
static atomic_bool flip_stop;

typedef struct flipper {
  remdb *db;
  uint64_t rs;
  unsigned long ops, reads, indexed_reads, wrong;
} flipper;

static void *flip_writer(void *arg) {
  flipper *f = arg;
  remdb_stmt *st = prep(f->db, "flip writer",
                        "UPDATE flip SET x = ?1, y = ?1 % 10 WHERE id = ?2");
  while (st && !atomic_load(&flip_stop) && !atomic_load(&stop)) {
    uint32_t i = rnd(&f->rs, N_FLIP), r = rnd(&f->rs, 10);
    long long x = rnd(&f->rs, 100000);
    int rc;
    const char *what;
    if (r < 5) {
      char patch[64];
      snprintf(patch, sizeof patch, "{\"x\":%lld,\"y\":%lld}", x, x % 10);
      what = "update";
      rc = remdb_update(f->db, flip_ids[i], patch, strlen(patch));
    } else if (r < 8) {
      what = "SQL UPDATE";
      remdb_bind_int64(st, 1, x);
      remdb_bind_text(st, 2, flip_ids[i], REMDB_ID_LEN);
      rc = remdb_step(st);
      remdb_reset(st);
      if (rc == REMDB_DONE) rc = REMDB_OK;
    } else {
      char js[96], id[REMDB_ID_LEN + 1];
      what = "hard delete + insert";
      rc = remdb_delete(f->db, flip_ids[i], REMDB_HARD);
      snprintf(js, sizeof js, "{\"k\":\"f%u\",\"x\":%lld,\"y\":%lld,\"z\":%u}",
               i, x, x % 10, i % 10);
      if (rc == REMDB_OK) rc = remdb_insert(f->db, "flip", js, strlen(js), id);
    }
    if (rc)
      fail("flip writer", "%s of %s during schema changes: rc %d: %s", what,
           flip_ids[i], rc, remdb_errmsg(f->db));
    f->ops++;
  }
  remdb_finalize(st);
  return NULL;
}

static void *flip_reader(void *arg) {
  flipper *f = arg;
  const char *q = "SELECT count(*) FROM flip WHERE z = ?";
  while (!atomic_load(&flip_stop) && !atomic_load(&stop)) {
    char *sch = NULL;
    /* (the schema this handle sees now: is z indexed?) */
    const char *ix = NULL, *end = NULL, *z = NULL;
    if (remdb_schema_get(f->db, "flip", &sch) == REMDB_OK &&
        (ix = strstr(sch, "\"indexed_fields\"")) != NULL)
      end = strchr(ix, ']'), z = strstr(ix, "\"z\"");
    bool z_indexed = z && end && z < end;
    remdb_free(sch);
    remdb_stmt *st = prep(f->db, "flip reader", q); /* new catalog: new plan */
    if (st == NULL) break;
    int v = (int)rnd(&f->rs, 10);
    remdb_bind_int64(st, 1, v);
    int rc = remdb_step(st);
    long long n = rc == REMDB_ROW ? (long long)remdb_column_int64(st, 0) : -1;
    if (rc != REMDB_ROW)
      fail("flip reader", "count during schema changes: rc %d: %s", rc,
           remdb_errmsg(f->db));
    else if ((n != N_FLIP / 10 && n != N_FLIP / 10 - 1) &&
             ++f->wrong <= 3) /* the first few; all are counted */
      fail("flip reader",
           "count of z = %d during schema changes: %lld rows, want %d (or "
           "%d)%s",
           v, n, N_FLIP / 10, N_FLIP / 10 - 1,
           z_indexed ? "; z was indexed in the catalog this handle saw" : "");
    remdb_finalize(st);
    f->reads++;
    f->indexed_reads += z_indexed;
  }
  return NULL;
}

/* Known to fail (2026-11-24), three ways:
**  - a write on one handle uses the catalog it cached before taking the
**    write lock, so an update or delete that waited while another handle
**    replaced the schema maintains the old set of indexes (verify: "missing
**    index entry", "does not match its value");
**  - while a replacement rebuilds a newly indexed field, other handles
**    already plan index routes on it and see part of its entries;
**  - a statement planned with an index route keeps using it after another
**    handle drops that index (and the catalog is refreshed before, not
**    with, the snapshot a read takes), so it returns no rows. */
static void test_schema_flips(remdb *db, uint64_t seed) {
  CHECK_INT(remdb_schema_put(db, flip_v2, strlen(flip_v2)), REMDB_OK);
  remdb_batch *b = NULL;
  int rc = remdb_batch_begin(db, &b);
  for (int i = 0; rc == REMDB_OK && i < N_FLIP; i++) {
    char js[96];
    snprintf(js, sizeof js, "{\"k\":\"f%d\",\"x\":%d,\"y\":%d,\"z\":%d}", i, i,
             i % 10, i % 10);
    rc = remdb_batch_insert(b, "flip", js, strlen(js), flip_ids[i]);
  }
  if (rc == REMDB_OK) rc = remdb_batch_commit(b, -1);
  remdb_batch_free(b);
  CHECK_INT(rc, REMDB_OK);
  if (rc) return;
  flipper fw = {.rs = seed * 31 + 7}, fr = {.rs = seed * 17 + 3};
  CHECK_INT(remdb_open_tenant(db, "default", &fw.db), REMDB_OK);
  CHECK_INT(remdb_open_tenant(db, "default", &fr.db), REMDB_OK);
  if (fw.db == NULL || fr.db == NULL) {
    remdb_close(fw.db);
    remdb_close(fr.db);
    return;
  }
  atomic_store(&stop, atomic_load(&failures) >= MAX_FAILURES);
  phase_name = "phase 3 (schema replacement during writes and reads)";
  pthread_t tw, tr;
  int tw_ok = pthread_create(&tw, NULL, flip_writer, &fw) == 0;
  int tr_ok = pthread_create(&tr, NULL, flip_reader, &fr) == 0;
  double t0 = now_s();
  /* v1, v2, v1, ... ending on v2 */
  for (int i = 0; i < N_FLIPS && !atomic_load(&stop); i++) {
    const char *v = i % 2 ? flip_v2 : flip_v1;
    rc = remdb_schema_put(db, v, strlen(v));
    if (rc)
      fail("flip schema", "schema replace %d: rc %d: %s", i, rc,
           remdb_errmsg(db));
    usleep(10000);
  }
  atomic_store(&flip_stop, true);
  if (tw_ok) pthread_join(tw, NULL);
  if (tr_ok) pthread_join(tr, NULL);
  printf(
      "test_stress: phase 3: %d schema replacements in %.2f s, %lu "
      "writes, %lu counts (%lu with z indexed)\n",
      N_FLIPS, now_s() - t0, fw.ops, fr.reads, fr.indexed_reads);
  if (fr.wrong)
    fail("flip reader", "%lu of %lu counts during schema changes were wrong",
         fr.wrong, fr.reads);
  uint64_t problems = 99;
  CHECK_INT(remdb_verify(db, verify_report, "verify after schema changes",
                         &problems),
            REMDB_OK);
  CHECK_INT(problems, 0);
  remdb_close(fw.db);
  remdb_close(fr.db);
}

/* ---- the stress run ----------------------------------------------------- */

static double stress_seconds(void) {
  const char *s = getenv("STRESS_SECONDS");
  double v = s && *s ? strtod(s, NULL) : 2.0;
  return v > 0 && v < 86400 ? v : 2.0;
}

static void check_explain(remdb *db, const char *sql, const char *want) {
  remdb_stmt *st = prep(db, "main", sql);
  if (st == NULL) return;
  int rc = remdb_step(st);
  CHECK_INT(rc, REMDB_ROW);
  if (rc == REMDB_ROW) CHECK_HAS(remdb_column_text(st, 1, NULL), want);
  remdb_finalize(st);
}

static void test_stress(void) {
  remdb_options o;
  remdb_options_init(&o);
  o.sync = STRESS_SYNC;
  remdb *db = NULL;
  int rc = remdb_open(dir, "default", &o, &db);
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    fprintf(stderr, "open: %s\n", remdb_errmsg(db));
    remdb_close(db);
    return;
  }
  CHECK_INT(remdb_schema_put(db, items_schema, strlen(items_schema)),
            REMDB_OK);

  const char *seed_env = getenv("STRESS_SEED");
  uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0)
                                        : (uint64_t)time(NULL);
  double secs = stress_seconds();
  printf("test_stress: %d readers, 1 writer, %.1f s, STRESS_SEED=%" PRIu64
         "\n",
         N_READERS, secs, seed);

  writer w;
  memset(&w, 0, sizeof w);
  w.rs = seed * 2654435761u + 1;
  CHECK_INT(remdb_open_tenant(db, "default", &w.db), REMDB_OK);
  /* some rows before the readers start */
  for (int i = 0; i < 20 && w.db; i++) {
    w_batch_group(&w);
    w_insert(&w);
  }
  check_explain(db, "EXPLAIN SELECT * FROM items WHERE gen = 1", "index");
  check_explain(db, "EXPLAIN SELECT * FROM items WHERE a BETWEEN 1 AND 9",
                "index range on a");
  check_explain(db, "EXPLAIN SELECT * FROM items ORDER BY a LIMIT 3", "index");

  reader rd[N_READERS];
  memset(rd, 0, sizeof rd);
  for (int i = 0; i < N_READERS; i++) {
    rd[i].no = i;
    snprintf(rd[i].name, sizeof rd[i].name, "reader %d", i);
    rd[i].rs = (seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1)) | 1;
    CHECK_INT(remdb_open_tenant(db, "default", &rd[i].db), REMDB_OK);
  }
  pthread_t wt, rt[N_READERS];
  bool ok = w.db != NULL;
  for (int i = 0; i < N_READERS; i++) ok &= rd[i].db != NULL;
  if (ok) {
    double t0 = now_s();
    phase_name = "phase 1 (1 writer, readers)";
    bool wt_ok = pthread_create(&wt, NULL, writer_main, &w) == 0,
         rt_ok[N_READERS];
    CHECK(wt_ok);
    for (int i = 0; i < N_READERS; i++) {
      rt_ok[i] = pthread_create(&rt[i], NULL, reader_main, &rd[i]) == 0;
      CHECK(rt_ok[i]);
    }
    /* STRESS_SECONDS, and then until every kind of operation ran (a slow
    ** or busy machine makes fewer operations in the same time) */
    while (!atomic_load(&stop) &&
           (now_s() - t0 < secs ||
            atomic_load(&w_kinds_ran) != (1u << W_NKINDS) - 1 ||
            atomic_load(&r_kinds_ran) != (1u << R_NKINDS) - 1))
      usleep(20000);
    atomic_store(&stop, true);
    if (wt_ok) pthread_join(wt, NULL);
    for (int i = 0; i < N_READERS; i++) {
      if (rt_ok[i])
        pthread_join(rt[i], NULL);
      else
        remdb_close(rd[i].db);
    }
    printf("test_stress: ran %.2f s\n", now_s() - t0);
  } else {
    for (int i = 0; i < N_READERS; i++) remdb_close(rd[i].db);
  }

  /* what ran */
  unsigned long wtotal = 0, rtotal[R_NKINDS] = {0}, rsum = 0;
  printf("test_stress: writer:");
  for (int k = 0; k < W_NKINDS; k++) {
    printf(" %s %lu;", wnames[k], w.ops[k]);
    wtotal += w.ops[k];
  }
  printf(" total %lu, %zu rows stored, last gen %lld\n", wtotal, w.stored,
         w.gen);
  for (int i = 0; i < N_READERS; i++)
    for (int k = 0; k < R_NKINDS; k++) rtotal[k] += rd[i].ops[k];
  printf("test_stress: readers:");
  for (int k = 0; k < R_NKINDS; k++) {
    printf(" %s %lu;", rnames[k], rtotal[k]);
    rsum += rtotal[k];
  }
  printf(" total %lu\n", rsum);
  /* every kind of operation ran at least once */
  for (int k = 0; k < W_NKINDS; k++)
    if (w.ops[k] == 0 && atomic_load(&failures) == 0)
      fail("main", "writer never ran \"%s\"", wnames[k]);
  for (int k = 0; k < R_NKINDS; k++)
    if (rtotal[k] == 0 && atomic_load(&failures) == 0)
      fail("main", "readers never ran \"%s\"", rnames[k]);

  /* the final state: verify, and the writer's own view of it */
  if (w.db) {
    uint64_t problems = 99;
    CHECK_INT(remdb_verify(w.db, verify_report, "final verify", &problems),
              REMDB_OK);
    CHECK_INT(problems, 0);
    size_t live = 0, stored = 0;
    for (size_t i = 0; i < w.ne; i++) {
      live += w.e[i].state == LIVE;
      stored += w.e[i].state != GONE;
    }
    uint64_t n = 0;
    CHECK_INT(remdb_count(w.db, "items", 0, &n), REMDB_OK);
    CHECK_INT(n, live);
    CHECK_INT(remdb_count(w.db, "items", REMDB_INCLUDE_DELETED, &n), REMDB_OK);
    CHECK_INT(n, stored);
    /* every entity the writer knows is where it left it */
    size_t bad = 0;
    for (size_t i = 0; i < w.ne && bad < 5; i++) {
      char *js = NULL;
      rc = remdb_get(w.db, "items", w.e[i].id, REMDB_INCLUDE_DELETED, &js,
                     NULL);
      bool deleted = js && !strstr(js, "\"deleted_at\":null");
      int want = w.e[i].state == GONE ? REMDB_NOTFOUND : REMDB_OK;
      if (rc != want ||
          (rc == REMDB_OK && deleted != (w.e[i].state == SOFT))) {
        bad++;
        fail("main", "final: %s (k=%s) state %d: get rc %d, %s", w.e[i].id,
             w.e[i].key, w.e[i].state, rc, js ? js : "-");
      }
      remdb_free(js);
    }
    remdb_close(w.db);
  }
  free(w.e);
  free(w.g);
  if (ok) {
    double in_secs = secs / 4;
    test_in_lists(db, seed, in_secs < 0.25 ? 0.25 : in_secs > 2 ? 2 : in_secs);
    const char *sch = getenv("STRESS_SCHEMA");
    if (sch && strcmp(sch, "1") == 0) test_schema_flips(db, seed);
  }
  remdb_close(db);

  /* reopen: the same state, verify clean */
  db = NULL;
  rc = remdb_open(dir, "default", NULL, &db);
  CHECK_INT(rc, REMDB_OK);
  if (rc == REMDB_OK) {
    uint64_t problems = 99;
    CHECK_INT(
        remdb_verify(db, verify_report, "verify after reopen", &problems),
        REMDB_OK);
    CHECK_INT(problems, 0);
  }
  remdb_close(db);
  CHECK_INT(atomic_load(&failures), 0);
}

/* ---- a second process cannot open a database that is open --------------- */

static void test_lock_other_process(void) {
  int go[2], res[2];
  if (pipe(go) != 0 || pipe(res) != 0) {
    CHECK(!"pipe");
    return;
  }
  fflush(NULL);
  /* fork before anything opens RocksDB (no threads yet); the child waits
  ** until the parent holds the database */
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid < 0) return;
  if (pid == 0) {
    close(go[1]);
    close(res[0]);
    char c;
    ssize_t got;
    while ((got = read(go[0], &c, 1)) < 0 && errno == EINTR) {
    }
    remdb *db2 = NULL;
    int rc = got == 1 ? remdb_open(lockdir, "default", NULL, &db2) : -1;
    char msg[600];
    int len = snprintf(msg, sizeof msg, "%d %s", rc, remdb_errmsg(db2));
    if (write(res[1], msg, (size_t)len) != len) _exit(3);
    close(res[1]);
    remdb_close(db2);
    exit(0); /* (under LSan, exit also checks the child's failed open) */
  }
  close(go[0]);
  close(res[1]);
  remdb *db = NULL;
  int rc = remdb_open(lockdir, "default", NULL, &db);
  CHECK_INT(rc, REMDB_OK);
  char id[REMDB_ID_LEN + 1] = "";
  const char *e1 =
      "{\"k\":\"lock-1\",\"a\":3,\"b\":21,\"gen\":1,\"n\":1,"
      "\"cat\":\"c3\"}";
  if (rc == REMDB_OK) {
    CHECK_INT(remdb_schema_put(db, items_schema, strlen(items_schema)),
              REMDB_OK);
    CHECK_INT(remdb_insert(db, "items", e1, strlen(e1), id), REMDB_OK);
  }
  CHECK_INT(write(go[1], "x", 1), 1);
  close(go[1]);
  char msg[601];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof msg - 1 &&
         ((r = read(res[0], msg + n, sizeof msg - 1 - n)) > 0 ||
          (r < 0 && errno == EINTR)))
    if (r > 0) n += (size_t)r;
  msg[n] = 0;
  close(res[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  CHECK(WIFEXITED(status));
  CHECK_INT(WEXITSTATUS(status), 0);
  int crc = atoi(msg);
  CHECK_INT(crc, REMDB_BUSY);
  CHECK_HAS(msg, "lock");
  CHECK_HAS(msg, lockdir);
  printf("test_stress: second process: %s\n", msg);

  /* the parent's database is unharmed and still writable */
  if (rc == REMDB_OK) {
    const char *e2 =
        "{\"k\":\"lock-2\",\"a\":4,\"b\":28,\"gen\":2,\"n\":1,"
        "\"cat\":\"c4\"}";
    CHECK_INT(remdb_insert(db, "items", e2, strlen(e2), NULL), REMDB_OK);
    char *js = NULL;
    CHECK_INT(remdb_get(db, "items", id, 0, &js, NULL), REMDB_OK);
    CHECK_HAS(js, "\"lock-1\"");
    remdb_free(js);
    uint64_t problems = 99;
    CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
  }
  remdb_close(db);
  /* closed: the lock is gone, and the data is all there */
  db = NULL;
  rc = remdb_open(lockdir, "default", NULL, &db);
  CHECK_INT(rc, REMDB_OK);
  if (rc == REMDB_OK) {
    uint64_t cnt = 0, problems = 99;
    CHECK_INT(remdb_count(db, "items", 0, &cnt), REMDB_OK);
    CHECK_INT(cnt, 2);
    CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
  }
  remdb_close(db);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* a crash must not lose the log */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  signal(SIGSEGV, on_crash);
  signal(SIGBUS, on_crash);
  signal(SIGABRT, on_crash);
#endif
  phase_name = "the lock test";
  scratch_dir(lockdir, sizeof lockdir, "stress-lock");
  scratch_dir(dir, sizeof dir, "stress");
  /* the lock test first: it forks, so before any thread */
  TEST_CASE(test_lock_other_process);
  TEST_CASE(test_stress);
  int rc_ = test_main(argc, argv, "test_stress");
  phase_name = "the end";
  rm_tree(lockdir);
  rm_tree(dir);
  free(pub);
  return rc_;
}

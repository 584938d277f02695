/* test_crash.c: SIGKILL a writer (entities with their index entries, key
** index entries, vectors and full-text postings, soft and hard deletes,
** batches, edges, schema changes that rebuild the full-text index) at
** random moments, over several rounds.
** After each round the database must reopen, verify must find entities,
** index entries, the id directory and the columns (row deltas merged
** into segments every few writes, so kills land in merges too; the
** full-text index's per-commit segments are merged every eighth commit,
** dropping the documents these writes' updates and deletes killed) in
** agreement, and every write the
** writer acknowledged must be there (the one in flight may or may not).
** Merge rounds kill a writer whose every commit merges a segment of
** thousands of rows (test_crash_merge); pending-row rounds one of single
** inserts whose newest rows are pending (test_crash_pend). */
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

#include "core/internal.h" /* col_merge_rows */
#include "remdb.h"
#include "test.h"
#include "testdb.h"

#define KEYS 64
#define ROUNDS 9 /* three of each durability mode; CRASH_ROUNDS overrides */

static char dir[512];

#define SCHEMA(stem)                                                          \
  "{\"name\":\"items\",\"properties\":{\"k\":{\"type\":\"string\"},"          \
  "\"grp\":{\"type\":\"integer\"},\"n\":{\"type\":\"integer\"},"              \
  "\"pad\":{\"type\":\"string\"},\"txt\":{\"type\":\"string\"}},"              \
  "\"required\":[\"k\"],\"key_field\":\"k\","                                \
  "\"indexed_fields\":[\"grp\",\"n\"],\"embedding_fields\":[\"k\"],"           \
  "\"fulltext\":{\"fields\":[\"k\",\"txt\"],\"stemmer\":" stem "},"            \
  "\"embedding\":{\"dim\":16,\"metric\":\"cosine\",\"provider\":\"hash\"}}"
static const char *schema = SCHEMA("true");
/* the same with another full-text configuration: replacing one by the
** other rebuilds the index (a crash in the middle is finished on open) */
static const char *schema2 = SCHEMA("false");
static const char *const words[] = {"running", "runs", "alpha", "beta",
                                    "gamma", "the", "delta", "walked"};

/* The writer: random upserts, patches, soft deletes and batches, logging
** "B key value" before and "A" after each acknowledged write to fd.
** value -1 means soft-deleted. */
static void writer(int fd, unsigned seed, enum remdb_sync mode) {
  remdb_options o;
  remdb_options_init(&o);
  o.sync = mode;
  /* every other round: full-text merges of a few terms per commit, so
  ** kills and reopenings find them half done */
  if (seed % 2) o.fts_merge_work = 8 + seed % 64;
  remdb *db;
  if (remdb_open(dir, "crash", &o, &db) != REMDB_OK) _exit(3);
  srand(seed);
  col_merge_rows = 2 + seed % 13; /* merge the columns' deltas often */
  char json[256], id[REMDB_ID_LEN + 1];
  static char known[KEYS][REMDB_ID_LEN + 1]; /* ids seen, for edges */
  for (;;) {
    int k = rand() % KEYS, v = rand() % 1000, what = rand() % 11;
    if (what == 10 && rand() % 40 == 0) { /* rebuild the full-text index */
      const char *s = rand() % 2 ? schema : schema2;
      if (remdb_schema_put(db, s, strlen(s)) != REMDB_OK) _exit(10);
      continue;
    }
    if (what == 10) { /* an edge between two known entities (may be gone) */
      int k2 = rand() % KEYS;
      if (known[k][0] && known[k2][0]) {
        if (rand() % 4)
          remdb_edge_put(db, known[k], known[k2], "rel", NULL, 0, 1.0);
        else
          remdb_edge_delete(db, known[k], known[k2], "rel");
      }
      continue;
    }
    int n;
    if (what < 6) {
      n = snprintf(json, sizeof json,
                   "{\"k\":\"key%d\",\"grp\":%d,\"n\":%d,\"pad\":\"%0*d\","
                   "\"txt\":\"%s %s %s\"}",
                   k, v % 7, v, 1 + rand() % 100, 0, words[v % 8],
                   words[rand() % 8], words[rand() % 8]);
      dprintf(fd, "B %d %d\n", k, v);
      if (remdb_insert(db, "items", json, (size_t)n, id) != REMDB_OK) _exit(4);
      dprintf(fd, "A %s\n", id);
      memcpy(known[k], id, sizeof id);
    } else if (what < 8) {
      /* patch or delete needs the id: insert first gave it, derive again */
      n = snprintf(json, sizeof json, "{\"k\":\"key%d\",\"grp\":0,\"n\":%d}",
                   k, v);
      dprintf(fd, "B %d %d\n", k, v);
      if (remdb_insert(db, "items", json, (size_t)n, id) != REMDB_OK) _exit(5);
      dprintf(fd, "A %s\n", id);
      int v2 = (v + 1) % 1000;
      n = snprintf(json, sizeof json, "{\"n\":%d,\"grp\":%d,\"txt\":\"%s\"}",
                   v2, v2 % 7, words[rand() % 8]);
      int hard = what == 7 && rand() % 3 == 0;
      /* logged state: the new value, -1 soft-deleted, -2 gone */
      dprintf(fd, "B %d %d\n", k, what == 6 ? v2 : hard ? -2 : -1);
      int rc = what == 6 ? remdb_update(db, id, json, (size_t)n)
                         : remdb_delete(db, id, hard ? REMDB_HARD : 0);
      if (rc != REMDB_OK) _exit(6);
      dprintf(fd, "A %s\n", id);
    } else {
      remdb_batch *b;
      if (remdb_batch_begin(db, &b) != REMDB_OK) _exit(7);
      int base = rand() % KEYS;
      for (int i = 0; i < 20; i++) {
        int kk = (base + i) % KEYS;
        n = snprintf(json, sizeof json,
                     "{\"k\":\"key%d\",\"grp\":1,\"n\":%d,\"txt\":\"%s\"}", kk,
                     v, words[(v + i) % 8]);
        if (remdb_batch_insert(b, "items", json, (size_t)n, id) != REMDB_OK)
          _exit(8);
      }
      /* a batch is one write: log it as a group */
      dprintf(fd, "G %d %d\n", base, v);
      if (remdb_batch_commit(b, -1) != REMDB_OK) _exit(9);
      remdb_batch_free(b);
      dprintf(fd, "A batch\n");
    }
  }
}

/* Rounds that kill a writer in the middle of big merges: every commit
** merges a segment of a few thousand rows (col_merge_rows and the tail
** bound at 1), so a kill at a random moment lands inside a merge commit
** (staging the new segment, or writing it) far more often than not. */
#define BULK_ROWS 3000
static const char *bulk_schema =
    "{\"name\":\"bulk\",\"indexed_fields\":[\"g\"],\"properties\":{"
    "\"g\":{\"type\":\"integer\"},\"s\":{\"type\":\"string\"},"
    "\"x\":{\"type\":\"number\"},\"at\":{\"type\":\"string\","
    "\"format\":\"date-time\"}}}";

static int bulk_row(char *json, size_t cap, int v) {
  return snprintf(json, cap,
                  "{\"g\":%d,\"s\":\"s%d\",\"x\":%d.5,"
                  "\"at\":\"2024-%02d-%02dT10:00:00Z\"}",
                  v % 97, v % 1013, v, 1 + v % 12, 1 + v % 28);
}

/* The merge writer: updates, soft and hard deletes and inserts
** on "bulk", one merge per commit; "B" before and "A" after each write. */
static void merge_writer(int fd, unsigned seed, enum remdb_sync mode) {
  remdb_options o;
  remdb_options_init(&o);
  o.sync = mode;
  remdb *db;
  if (remdb_open(dir, "crash", &o, &db) != REMDB_OK) _exit(3);
  srand(seed);
  col_merge_rows = 1;
  col_tail_merge_max = 1;
  static char ids[BULK_ROWS * 2][REMDB_ID_LEN + 1];
  int n = 0;
  remdb_iter *it;
  if (remdb_iter_open(db, "bulk", REMDB_INCLUDE_DELETED, &it) != REMDB_OK)
    _exit(11);
  const char *row;
  size_t len;
  while (n < BULK_ROWS * 2 && remdb_iter_next(it, &row, &len) == REMDB_ROW) {
    json_t *j = json_loadb(row, len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    if (id) snprintf(ids[n++], REMDB_ID_LEN + 1, "%s", id);
    json_decref(j);
  }
  remdb_iter_free(it);
  char json[256];
  for (;;) {
    int what = rand() % 9, v = rand() % 100000;
    int k = n ? rand() % n : 0;
    dprintf(fd, "B\n");
    int rc = REMDB_OK;
    if (what < 5 && n) {
      int l = snprintf(json, sizeof json, "{\"g\":%d,\"x\":%d.25}", v % 97,
                       v);
      rc = remdb_update(db, ids[k], json, (size_t)l);
    } else if (what < 6 && n) {
      rc = remdb_delete(db, ids[k], 0);
    } else if (what < 7 && n) {
      rc = remdb_delete(db, ids[k], REMDB_HARD);
    } else {
      int l = bulk_row(json, sizeof json, v);
      char id[REMDB_ID_LEN + 1];
      rc = remdb_insert(db, "bulk", json, (size_t)l, id);
      if (rc == REMDB_OK && n < BULK_ROWS * 2) memcpy(ids[n++], id, sizeof id);
    }
    /* a row deleted or gone may refuse the write: that is no failure */
    if (rc != REMDB_OK && rc != REMDB_NOTFOUND) _exit(12);
    dprintf(fd, "A\n");
  }
}

typedef struct {
  int acked[KEYS];          /* -2 unknown or gone, -1 deleted, else n */
  int pend_key[KEYS], npend; /* keys of the write in flight */
  int pend_val;
} model;

static void apply_log(model *m, const char *log) {
  const char *p = log;
  while (*p) {
    const char *e = strchr(p, '\n');
    if (e == NULL) break; /* torn final line: ignore */
    int k, v;
    if (p[0] == 'B' && sscanf(p, "B %d %d", &k, &v) == 2) {
      m->npend = 1;
      m->pend_key[0] = k;
      m->pend_val = v;
    } else if (p[0] == 'G' && sscanf(p, "G %d %d", &k, &v) == 2) {
      m->npend = 20;
      for (int i = 0; i < 20; i++) m->pend_key[i] = (k + i) % KEYS;
      m->pend_val = v;
    } else if (p[0] == 'A') {
      for (int i = 0; i < m->npend; i++) m->acked[m->pend_key[i]] = m->pend_val;
      m->npend = 0;
    }
    p = e + 1;
  }
}

static int state_of(remdb *db, int k, bool *ok) {
  remdb_iter *it;
  *ok = remdb_iter_open(db, "items", REMDB_INCLUDE_DELETED, &it) == REMDB_OK;
  if (!*ok) return -2;
  const char *row;
  size_t len;
  int state = -2;
  char want[32];
  snprintf(want, sizeof want, "\"k\":\"key%d\"", k);
  while (remdb_iter_next(it, &row, &len) == REMDB_ROW) {
    if (!strstr(row, want)) continue;
    json_t *o = json_loadb(row, len, 0, NULL);
    if (json_is_string(json_object_get(o, "deleted_at")))
      state = -1;
    else
      state = (int)json_integer_value(json_object_get(o, "n"));
    json_decref(o);
  }
  remdb_iter_free(it);
  return state;
}

static void note(void *ctx, const char *problem) {
  (void)ctx;
  fprintf(stderr, "verify: %s\n", problem);
}

/* Is a full-text merge of "items" under way ('Q' keys, core/fts.c)? */
static int merge_under_way(remdb *db) {
  cat_table *ct;
  if (cat_find(db, "items", &ct) || ct->s == NULL) return 0;
  unsigned char lo[KEY_FTS_PREFIX], hi[KEY_FTS_PREFIX];
  key_fts(lo, db->tid, ct->s->table_id, 'Q');
  key_fts(hi, db->tid, ct->s->table_id, 'Q' + 1);
  kv_iter_t *it;
  if (kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, sizeof lo, hi, sizeof hi,
                  &it, &db->err))
    return 0;
  kv_iter_first(it);
  int on = kv_iter_valid(it);
  kv_iter_free(it);
  return on;
}

static void test_crash_all(void) {
  int half = 0;
  remdb *db;
  CHECK_INT(remdb_open(dir, "crash", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, schema, strlen(schema)), REMDB_OK);
  remdb_close(db);
  model m;
  for (int i = 0; i < KEYS; i++) m.acked[i] = -2;
  m.npend = 0;
  srand((unsigned)time(NULL));
  long total_lines = 0;
  int rounds = ROUNDS;
  const char *env = getenv("CRASH_ROUNDS");
  if (env && atoi(env) > 0) rounds = atoi(env);
  for (int round = 0; round < rounds; round++) {
    int pfd[2];
    if (pipe(pfd) != 0) {
      CHECK(!"pipe");
      return;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(pfd[0]);
      static const enum remdb_sync modes[] = {REMDB_SYNC_FULL, REMDB_SYNC_NONE,
                                              REMDB_SYNC_GROUP};
      writer(pfd[1], (unsigned)rand(), modes[round % 3]);
    }
    close(pfd[1]);
    /* wait (however long it takes: a busy machine under ASan may need
    ** seconds to open the store) for the writer's first log line, then
    ** kill it at a random moment among its writes */
    char chunk[4096];
    ssize_t r;
    size_t len = 0, cap = 4096;
    char *all = malloc(cap);
    while (all && len + 1 < cap && (r = read(pfd[0], all + len, 1)) > 0)
      if (all[len++] == '\n') break;
    struct timespec ts = {0, (rand() % 200) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* read the rest of the log the writer produced */
    while ((r = read(pfd[0], chunk, sizeof chunk)) > 0) {
      if (len + (size_t)r + 1 > cap) {
        cap = (len + (size_t)r + 1) * 2;
        all = realloc(all, cap);
      }
      memcpy(all + len, chunk, (size_t)r);
      len += (size_t)r;
    }
    close(pfd[0]);
    if (all == NULL) all = calloc(1, 1);
    all[len] = 0;
    for (char *p = all; *p; p++) total_lines += *p == '\n';
    apply_log(&m, all);
    free(all);

    CHECK_INT(remdb_open(dir, "crash", NULL, &db), REMDB_OK);
    uint64_t problems = 1;
    CHECK_INT(remdb_verify(db, note, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
    int lost = 0;
    for (int k = 0; k < KEYS; k++) {
      if (m.acked[k] == -2) continue;
      bool ok;
      int s = state_of(db, k, &ok);
      bool in_flight = false;
      for (int i = 0; i < m.npend; i++) in_flight |= m.pend_key[i] == k;
      if (s == m.acked[k]) continue;
      if (in_flight && s == m.pend_val) {
        m.acked[k] = s; /* the in-flight write made it: that is allowed */
        continue;
      }
      lost++;
      fprintf(stderr, "round %d key%d: state %d, acknowledged %d\n", round, k,
              s, m.acked[k]);
    }
    CHECK_INT(lost, 0);
    m.npend = 0;
    half += merge_under_way(db);
    remdb_close(db);
  }
  CHECK(total_lines > 0);
  printf("test_crash: %d rounds, %ld log lines, %d with a full-text merge "
         "half done\n", rounds, total_lines, half);
}

/* Kill a writer whose every commit merges a big segment, then reopen:
** verify must find the columns and the entities in agreement. */
static void test_crash_merge(void) {
  remdb *db;
  CHECK_INT(remdb_open(dir, "crash", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, bulk_schema, strlen(bulk_schema)), REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  char json[256];
  for (int i = 0; i < BULK_ROWS; i++) {
    int l = bulk_row(json, sizeof json, i);
    CHECK_INT(remdb_batch_insert(b, "bulk", json, (size_t)l, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  remdb_close(db);
  int rounds = 3, in_write = 0;
  const char *env = getenv("CRASH_ROUNDS");
  if (env && atoi(env) > 0) rounds = atoi(env);
  for (int round = 0; round < rounds; round++) {
    int pfd[2];
    if (pipe(pfd) != 0) {
      CHECK(!"pipe");
      return;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(pfd[0]);
      static const enum remdb_sync modes[] = {REMDB_SYNC_NONE, REMDB_SYNC_FULL,
                                              REMDB_SYNC_GROUP};
      merge_writer(pfd[1], (unsigned)rand(), modes[round % 3]);
    }
    close(pfd[1]);
    /* wait (however long it takes) for the first acknowledged write, so
    ** the kill lands among writes on a slow machine too */
    char chunk[4096], last = 0;
    ssize_t r;
    long writes = 0;
    while (writes == 0 && (r = read(pfd[0], chunk, 1)) > 0)
      if (chunk[0] == 'A' || chunk[0] == 'B') {
        last = chunk[0];
        writes += chunk[0] == 'A';
      }
    struct timespec ts = {0, (rand() % 300) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    while ((r = read(pfd[0], chunk, sizeof chunk)) > 0)
      for (ssize_t i = 0; i < r; i++)
        if (chunk[i] == 'A' || chunk[i] == 'B') {
          last = chunk[i];
          writes += chunk[i] == 'A';
        }
    close(pfd[0]);
    in_write += last == 'B'; /* killed inside a write, which merges */
    CHECK_INT(remdb_open(dir, "crash", NULL, &db), REMDB_OK);
    uint64_t problems = 1;
    CHECK_INT(remdb_verify(db, note, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
    remdb_close(db);
    printf("test_crash: merge round %d: %ld writes, killed %s\n", round,
           writes, last == 'B' ? "inside a merging write" : "between writes");
  }
  printf("test_crash: %d of %d merge rounds killed inside a merge commit\n",
         in_write, rounds);
}

/* Pending-row rounds: a writer of single inserts (and now and then an
** update of a recent row), no merges, so the table's newest rows are
** pending (listed in its row counter, no delta key) when it is killed:
** the reopened database verifies, holds every acknowledged insert, and
** a later insert adopts the pending rows the dead writer left. */
static const char *pend_schema =
    "{\"name\":\"pend\",\"properties\":{\"n\":{\"type\":\"integer\"},"
    "\"s\":{\"type\":\"string\"}},\"indexed_fields\":[\"n\"]}";

static void pend_writer(int fd, unsigned seed, enum remdb_sync mode,
                        int stop_after) {
  remdb_options o;
  remdb_options_init(&o);
  o.sync = mode;
  remdb *db;
  if (remdb_open(dir, "crash", &o, &db) != REMDB_OK) _exit(3);
  srand(seed);
  static char ids[16][REMDB_ID_LEN + 1];
  char json[128];
  for (int i = 0;; i++) {
    int n = snprintf(json, sizeof json, "{\"n\":%d,\"s\":\"v%d\"}", i, i % 5);
    dprintf(fd, "B\n");
    if (remdb_insert(db, "pend", json, (size_t)n, ids[i % 16]) != REMDB_OK)
      _exit(4);
    dprintf(fd, "A\n");
    if (i + 1 == stop_after) { /* rows pending for sure: wait for the kill */
      dprintf(fd, "P\n");
      for (;;) pause();
    }
    if (i > 16 && rand() % 5 == 0) { /* a recent row, maybe pending */
      n = snprintf(json, sizeof json, "{\"s\":\"u%d\"}", i);
      if (remdb_update(db, ids[rand() % 16], json, (size_t)n) != REMDB_OK)
        _exit(5);
    }
  }
}

static void test_crash_pend(void) {
  remdb *db;
  CHECK_INT(remdb_open(dir, "crash", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, pend_schema, strlen(pend_schema)), REMDB_OK);
  remdb_close(db);
  int rounds = 4, with_pending = 0;
  uint64_t acked = 0;
  const char *env = getenv("CRASH_ROUNDS");
  if (env && atoi(env) > 0) rounds = atoi(env);
  for (int round = 0; round < rounds; round++) {
    int pfd[2];
    if (pipe(pfd) != 0) {
      CHECK(!"pipe");
      return;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(pfd[0]);
      static const enum remdb_sync modes[] = {REMDB_SYNC_NONE, REMDB_SYNC_FULL,
                                              REMDB_SYNC_GROUP};
      /* the last round stops after 3 inserts (the list, empty at its
      ** start, then holds them) and is killed while it waits */
      pend_writer(pfd[1], (unsigned)rand(), modes[round % 3],
                  round == rounds - 1 ? 3 : 0);
    }
    close(pfd[1]);
    char chunk[4096], last = 0;
    ssize_t r;
    uint64_t writes = 0;
    bool stops = round == rounds - 1;
    while ((stops || writes == 0) && (r = read(pfd[0], chunk, 1)) > 0) {
      if (chunk[0] == 'P') break;
      if (chunk[0] == 'A' || chunk[0] == 'B') {
        last = chunk[0];
        writes += chunk[0] == 'A';
      }
    }
    struct timespec ts = {0, (rand() % 200) * 1000000L};
    if (!stops) nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    while ((r = read(pfd[0], chunk, sizeof chunk)) > 0)
      for (ssize_t i = 0; i < r; i++)
        if (chunk[i] == 'A' || chunk[i] == 'B') {
          last = chunk[i];
          writes += chunk[i] == 'A';
        }
    close(pfd[0]);
    acked += writes;
    CHECK_INT(remdb_open(dir, "crash", NULL, &db), REMDB_OK);
    cat_table *ct;
    CHECK_INT(cat_find(db, "pend", &ct), REMDB_OK);
    uint64_t rows, del;
    unsigned char tail[CNT_TAIL_MAX];
    size_t tl;
    CHECK_INT(cnt_read_tail(db, NULL, ct->s->table_id, &rows, &del, tail, &tl),
              REMDB_OK);
    with_pending += tl > 0;
    /* every acknowledged insert; the one in flight may be there too */
    CHECK(rows == acked || (last == 'B' && rows == acked + 1));
    acked = rows;
    uint64_t problems = 1;
    CHECK_INT(remdb_verify(db, note, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
    /* a batch of new rows adopts the pending rows the writer left */
    remdb_batch *b;
    CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
    for (int i = 0; i < 20; i++)
      CHECK_INT(remdb_batch_insert(b, "pend", "{\"n\":-1}", 8, NULL), REMDB_OK);
    CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
    remdb_batch_free(b);
    acked += 20;
    CHECK_INT(cnt_read_tail(db, NULL, ct->s->table_id, &rows, &del, tail, &tl),
              REMDB_OK);
    CHECK_INT(tl, 0);
    CHECK_INT(remdb_verify(db, note, NULL, &problems), REMDB_OK);
    CHECK_INT(problems, 0);
    remdb_close(db);
  }
  printf("test_crash: %d of %d pending-row rounds killed with rows pending\n",
         with_pending, rounds);
  CHECK(with_pending > 0); /* (the last round's, at least) */
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "crash");
  TEST_CASE(test_crash_all);
  TEST_CASE(test_crash_merge);
  TEST_CASE(test_crash_pend);
  int rc_ = test_main(argc, argv, "test_crash");
  rm_tree(dir);
  return rc_;
}

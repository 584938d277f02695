/*
** fuzz_sql.c: arbitrary bytes as SQL text, through remdb_prepare statement
** by statement, as the CLI's script mode runs a file: each statement goes
** through the REM dialect check (dialect_check in src/sql/dialect.c:
** LOOKUP, SEARCH, TRAVERSE, embedding.<metric>()) and then SQLite's parser
** with remdb's authorizer and virtual tables.  Statements that prepare are
** bound and stepped for a bounded number of rows and VM steps, so the
** virtual table module, the planner (xBestIndex, index bounds) and EXPLAIN
** run too.  (dialect_check is reached through remdb_prepare rather than
** called directly, so this target does not depend on its signature.)
**
** The database is made once, in LLVMFuzzerInitialize, in a scratch directory
** under $TMPDIR: the built-in tables plus a table `t` with a few rows and
** edges between them, then
** reopened read-only, so no statement can write.  Statements that would
** create TEMP objects in the handle's SQLite connection are prepared but not
** stepped, so every input starts from the same state.
**
** Properties checked, beyond "no sanitizer report": remdb_prepare and
** remdb_step return REMDB_OK/ROW/DONE or an error code with a message;
** `used` never passes the end of the text; a failed prepare returns no
** statement; every column has a name, a known type and NUL-terminated text;
** no SQLite statement outlives remdb_finalize.
**
** FUZZ_VERBOSE=1 in the environment prints what each statement did.
*/
#include <ctype.h>
#include <ftw.h>
#include <unistd.h>

#include "fuzz.h"
#include "sql/sql.h"

static remdb *db;
static int verbose; /* $FUZZ_VERBOSE set: print what each statement did */
static char dir[512];

/* VM steps per statement, and rows read from one */
#define MAX_PROGRESS 20000 /* x 100 VM instructions */
#define MAX_ROWS 64
#define MAX_STMTS 8

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f) {
  (void)st;
  (void)flag;
  (void)f;
  return remove(p);
}

static void cleanup(void) {
  remdb_close(db);
  db = NULL;
  if (dir[0]) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void must(int rc, remdb *h, const char *what) {
  if (rc != REMDB_OK) {
    fprintf(stderr, "fuzz_sql: setup: %s: %s\n", what, remdb_errmsg(h));
    abort();
  }
}

static const char t_schema[] =
    "{\"name\":\"t\",\"properties\":{"
    "\"a\":{\"type\":\"integer\"},\"b\":{\"type\":[\"string\",\"null\"]},"
    "\"c\":{\"type\":\"number\"},"
    "\"d\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"e\":{\"type\":\"boolean\"},\"tags\":{\"type\":\"array\"},"
    "\"meta\":{\"type\":\"object\"},\"k\":{\"type\":\"string\"}},"
    "\"key_field\":\"k\",\"indexed_fields\":[\"a\",\"b\",\"c\",\"d\",\"e\","
    "\"created_at\"]}";

static const char *const t_rows[] = {
    "{\"k\":\"r1\",\"a\":1,\"b\":\"x\",\"c\":1.5,\"d\":\"2024-01-01T00:00:00Z\","
    "\"e\":true,\"tags\":[\"p\",\"q\"],\"meta\":{\"z\":1}}",
    "{\"k\":\"r2\",\"a\":2,\"b\":null,\"c\":-3,\"d\":\"2023-06-30T12:00:00+02:00\","
    "\"e\":false}",
    "{\"k\":\"r3\",\"a\":-9223372036854775808,\"b\":\"caf\\u00e9 %_\",\"c\":1e300}",
    "{\"k\":\"r4\",\"a\":9007199254740993,\"b\":\"\",\"undeclared\":[1,{}]}",
    "{\"k\":\"r5\",\"a\":2,\"b\":\"x\",\"c\":2}",
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  verbose = getenv("FUZZ_VERBOSE") != NULL;
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/remdb-fuzz-sql-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("fuzz_sql: mkdtemp");
    abort();
  }
  remdb *w = NULL;
  must(remdb_open(dir, "default", NULL, &w), w, "open");
  must(remdb_init(w), w, "init");
  must(remdb_schema_put(w, t_schema, strlen(t_schema)), w, "schema t");
  enum { NROWS = sizeof t_rows / sizeof *t_rows };
  char id[NROWS][REMDB_ID_LEN + 1];
  for (size_t i = 0; i < NROWS; i++) {
    must(remdb_insert(w, "t", t_rows[i], strlen(t_rows[i]), id[i]), w,
         "insert t");
    if (verbose) fprintf(stderr, "t row r%zu: %s\n", i + 1, id[i]);
  }
  /* a small graph for TRAVERSE: r1 -rel-> r2 -rel-> r3, r1 -cites-> r4,
  ** r3 -rel-> r1 (a cycle), r4 -rel-> r5 (hidden: r5 is soft-deleted) */
  static const int edges[][2] = {{0, 1}, {1, 2}, {0, 3}, {2, 0}, {3, 4}};
  for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
    must(remdb_edge_put(w, id[edges[i][0]], id[edges[i][1]],
                        i == 2 ? "cites" : "rel", "{\"w\":1}", 7, 0.5),
         w, "edge");
  must(remdb_delete(w, id[4], 0), w, "soft delete"); /* r5: only in t_all */
  static const char res[] =
      "{\"uri\":\"doc://a\",\"chunk_ordinal\":0,\"content\":\"hello\","
      "\"tags\":[\"x\"]}";
  must(remdb_insert(w, "resources", res, strlen(res), NULL), w, "resources");
  remdb_close(w);

  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  o.create_if_missing = 0;
  o.max_sql_bytes = 1 << 16;
  db = NULL;
  must(remdb_open(dir, "default", &o, &db), db, "open read-only");
  /* registered after RocksDB's lazily made statics (made by the first
  ** open), so that it runs before their destructors do */
  atexit(cleanup);
  sqlite3_hard_heap_limit64(256 << 20);
  return 0;
}

static int progress(void *ctx) {
  int *n = ctx;
  return ++*n > MAX_PROGRESS;
}

static void check_err(int rc) {
  const char *m = remdb_errmsg(db);
  FZ_CHECK(m != NULL && m[0] != 0 && strcmp(m, "not an error") != 0,
           "code %d without a message", rc);
}

/* First word of s, upper-cased into w. */
static void first_word(const char *s, char w[16]) {
  size_t k = 0;
  while (*s && (isspace((unsigned char)*s) || *s == '(')) s++;
  while (k < 15 && isalpha((unsigned char)s[k])) {
    w[k] = (char)toupper((unsigned char)s[k]);
    k++;
  }
  w[k] = 0;
}

static void run_stmt(remdb_stmt *st, sqlite3 *conn) {
  sqlite3_stmt *raw = sqlite3_next_stmt(conn, NULL);
  if (raw != NULL) {
    char w[16];
    first_word(sqlite3_sql(raw), w);
    /* TEMP tables, views, triggers: state that would outlive the input */
    if (!sqlite3_stmt_readonly(raw) &&
        (!strcmp(w, "CREATE") || !strcmp(w, "DROP") || !strcmp(w, "ALTER")))
      return;
    int np = sqlite3_bind_parameter_count(raw);
    for (int i = 1; i <= np && i <= 16; i++) {
      switch (i % 5) {
        case 0: remdb_bind_null(st, i); break;
        case 1: remdb_bind_int64(st, i, i == 1 ? 2 : -i); break;
        case 2: remdb_bind_text(st, i, "x", 1); break;
        case 3: remdb_bind_double(st, i, 1.5); break;
        default: remdb_bind_text(st, i, "2024-01-01T00:00:00Z", 20); break;
      }
    }
  }
  int ncol = remdb_column_count(st);
  for (int i = 0; i < ncol; i++)
    FZ_CHECK(remdb_column_name(st, i) != NULL, "column %d has no name", i);
  for (int round = 0; round < 2; round++) {
    int rows = 0, rc;
    while (rows < MAX_ROWS && (rc = remdb_step(st)) == REMDB_ROW) {
      rows++;
      for (int i = 0; i < ncol; i++) {
        size_t n = 0;
        int ty = remdb_column_type(st, i);
        FZ_CHECK(ty >= REMDB_INTEGER && ty <= REMDB_NULL, "column type %d",
                 ty);
        const char *t = remdb_column_text(st, i, &n);
        if (t) FZ_CHECK(t[n] == 0, "column text not NUL-terminated");
        (void)remdb_column_int64(st, i);
        (void)remdb_column_double(st, i);
      }
    }
    if (rows < MAX_ROWS && rc != REMDB_DONE) check_err(rc);
    if (verbose)
      fprintf(stderr, "  step: %d rows, rc %d %s\n", rows, rc,
              rc == REMDB_DONE || rc == REMDB_ROW ? "" : remdb_errmsg(db));
    if (remdb_reset(st) != REMDB_OK) break; /* and run it once more */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *sql = (const char *)data;
  int rc;
  sql_sess *s = NULL;
  if (sql_session(db, NULL, &s) != REMDB_OK) abort();
  int nprog = 0;
  sqlite3_progress_handler(s->conn, 100, progress, &nprog);
  sqlite3_limit(s->conn, SQLITE_LIMIT_LENGTH, 1 << 20);
  size_t off = 0;
  for (int k = 0; k < MAX_STMTS && off < size; k++) {
    remdb_stmt *st = NULL;
    size_t used = 0;
    nprog = 0;
    rc = remdb_prepare(db, sql + off, size - off, &st, &used);
    FZ_CHECK(used <= size - off, "used %zu past the end (%zu)", used,
             size - off);
    if (verbose)
      fprintf(stderr, "prepare: %d %s (used %zu)\n", rc,
              rc ? remdb_errmsg(db) : "", used);
    if (rc != REMDB_OK) {
      FZ_CHECK(st == NULL, "failed prepare returned a statement");
      check_err(rc);
      break; /* the CLI stops a script at its first error */
    }
    if (st) {
      run_stmt(st, s->conn);
      remdb_finalize(st);
    }
    if (used == 0) break;
    off += used;
  }
  FZ_CHECK(sqlite3_next_stmt(s->conn, NULL) == NULL, "a statement leaked");
  return 0;
}

/* test_sql.c: the SQL API: prepare/bind/step/columns, column types,
** DML through the write path with statement atomicity, soft deletes and
** the _all view, the authorizer, error positions, the REM dialect checks,
** EXPLAIN routes, and tenant isolation. */
#include <sqlite3.h>

#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];

#define S(lit) lit, strlen(lit)

static const char *notes_schema =
    "{\"name\":\"notes\",\"properties\":{"
    "\"title\":{\"type\":\"string\",\"maxLength\":20},"
    "\"n\":{\"type\":\"integer\",\"minimum\":0},"
    "\"score\":{\"type\":\"number\"},"
    "\"done\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\"},"
    "\"topic\":{\"type\":[\"string\",\"null\"]}},"
    "\"required\":[\"title\"],\"indexed_fields\":[\"n\",\"topic\"]}";

/* Run sql and return the first column of the first row as text (static
** buffer), "(none)" for no row, "(error)" on failure. */
static const char *one(remdb *db, const char *sql) {
  static char out[512];
  remdb_stmt *st = NULL;
  snprintf(out, sizeof out, "(error)");
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) return out;
  int r = remdb_step(st);
  if (r == REMDB_ROW) {
    const char *t = remdb_column_text(st, 0, NULL);
    snprintf(out, sizeof out, "%s", t ? t : "NULL");
  } else if (r == REMDB_DONE) {
    snprintf(out, sizeof out, "(none)");
  }
  remdb_finalize(st);
  return out;
}

/* Run sql and return every row, cells joined by ',' and rows by ';'
** (static buffer), "(error)" on failure. */
static const char *rows(remdb *db, const char *sql) {
  static char out[4096];
  size_t n = 0;
  remdb_stmt *st = NULL;
  out[0] = 0;
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK)
    return "(error)";
  int r;
  while ((r = remdb_step(st)) == REMDB_ROW) {
    for (int i = 0; i < remdb_column_count(st); i++) {
      const char *t = remdb_column_text(st, i, NULL);
      n += (size_t)snprintf(out + n, sizeof out - n, "%s%s",
                            i ? "," : n ? ";" : "", t ? t : "NULL");
      if (n >= sizeof out) return "(too long)";
    }
  }
  remdb_finalize(st);
  return r == REMDB_DONE ? out : "(error)";
}

/* Run every statement; return the code of the first failure. */
static int exec(remdb *db, const char *sql) {
  size_t len = strlen(sql), pos = 0;
  while (pos < len) {
    remdb_stmt *st = NULL;
    size_t used;
    int rc = remdb_prepare(db, sql + pos, len - pos, &st, &used);
    if (rc) return rc;
    pos += used;
    if (st == NULL) break;
    while ((rc = remdb_step(st)) == REMDB_ROW) {
    }
    remdb_finalize(st);
    if (rc != REMDB_DONE) return rc;
  }
  return REMDB_OK;
}

static uint64_t verify(remdb *db) {
  uint64_t p = 99;
  CHECK_INT(remdb_verify(db, NULL, NULL, &p), REMDB_OK);
  return p;
}

static remdb *the_db; /* the database the cases share */

static void test_basics(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S(notes_schema)), REMDB_OK);
  CHECK_INT(exec(db, "INSERT INTO notes(title, n, score, done, tags, topic) "
                     "VALUES ('a', 1, 2, 1, '[\"x\",\"y\"]', 'red'),"
                     "('b', 2, 2.5, 0, NULL, NULL), ('c', 3, NULL, NULL, "
                     "'[]', 'red')"),
            REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) FROM notes"), "3");
  /* types follow the schema */
  CHECK_STR(one(db, "SELECT typeof(n) || typeof(score) || typeof(done) || "
                    "typeof(tags) FROM notes WHERE title = 'a'"),
            "integerrealintegertext");
  CHECK_STR(one(db, "SELECT score FROM notes WHERE title = 'a'"), "2.0");
  CHECK_STR(one(db, "SELECT json_extract(tags, '$[1]') FROM notes WHERE "
                    "title = 'a'"),
            "y");
  CHECK_STR(one(db, "SELECT typeof(topic) FROM notes WHERE title = 'b'"),
            "null");
  CHECK_STR(one(db, "SELECT type FROM notes LIMIT 1"), "notes");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE created_at LIKE "
                    "'____-__-__T__:__:__.______Z'"),
            "3");
  /* the JSON of an inserted entity: booleans and arrays kept as such */
  char *id = strdup(one(db, "SELECT id FROM notes WHERE title = 'a'"));
  char *json = NULL;
  CHECK_INT(remdb_get(db, "notes", id, 0, &json, NULL), REMDB_OK);
  CHECK_HAS(json, "\"done\":true");
  CHECK_HAS(json, "\"tags\":[\"x\",\"y\"]");
  remdb_free(json);

  /* bound parameters and column metadata */
  remdb_stmt *st;
  CHECK_INT(remdb_prepare(db, S("SELECT title, n FROM notes WHERE n >= ? AND "
                                "topic = ? ORDER BY n"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_bind_int64(st, 1, 2), REMDB_OK);
  CHECK_INT(remdb_bind_text(st, 2, S("red")), REMDB_OK);
  CHECK_INT(remdb_bind_null(st, 3), REMDB_INVALID);
  CHECK_INT(remdb_column_count(st), 2);
  CHECK_STR(remdb_column_name(st, 1), "n");
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_STR(remdb_column_text(st, 0, NULL), "c");
  CHECK_INT(remdb_column_type(st, 1), REMDB_INTEGER);
  CHECK_INT(remdb_column_int64(st, 1), 3);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  CHECK_INT(remdb_reset(st), REMDB_OK);
  CHECK_INT(remdb_bind_int64(st, 1, 0), REMDB_OK);
  int rows = 0;
  while (remdb_step(st) == REMDB_ROW) rows++;
  CHECK_INT(rows, 2);
  remdb_finalize(st);

  /* UPDATE revalidates; a failing row leaves every row unchanged */
  CHECK_INT(exec(db, "UPDATE notes SET n = n + 10"), REMDB_OK);
  CHECK_STR(one(db, "SELECT sum(n) FROM notes"), "36");
  CHECK_INT(exec(db, "UPDATE notes SET n = n - 12"), REMDB_SCHEMA);
  CHECK_HAS(remdb_errmsg(db), "notes.n: below minimum 0");
  CHECK_STR(one(db, "SELECT sum(n) FROM notes"), "36");
  CHECK_INT(exec(db, "UPDATE notes SET title = 'this title is far too long' "
                     "WHERE title = 'c'"),
            REMDB_SCHEMA);
  CHECK_HAS(remdb_errmsg(db), "longer than maxLength 20");
  /* an INSERT with one bad row writes no row */
  CHECK_INT(exec(db, "INSERT INTO notes(title, n) VALUES ('d', 1), ('e', -1)"),
            REMDB_SCHEMA);
  CHECK_STR(one(db, "SELECT count(*) FROM notes"), "3");
  CHECK_INT(exec(db, "INSERT INTO notes(n) VALUES (5)"), REMDB_SCHEMA);
  CHECK_HAS(remdb_errmsg(db), "notes.title: required field is missing");
  CHECK(exec(db, "UPDATE notes SET id = 'x' WHERE title = 'a'") !=
        REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "cannot be changed");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE id = 'x'"), "0");
  /* DELETE is a soft delete, visible through notes_all */
  CHECK_INT(exec(db, "DELETE FROM notes WHERE title = 'b'"), REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) FROM notes"), "2");
  CHECK_STR(one(db, "SELECT count(*) FROM notes_all"), "3");
  CHECK_STR(one(db, "SELECT title FROM notes_all WHERE deleted_at IS NOT NULL"),
            "b");
  CHECK_INT(exec(db, "DELETE FROM notes_all"), REMDB_ERROR);
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "notes", REMDB_INCLUDE_DELETED, &n), REMDB_OK);
  CHECK_INT(n, 3);
  CHECK_INT(verify(db), 0);
  free(id);
}

static void test_errors(void) {
  remdb *db = the_db;
  CHECK_INT(exec(db, "SELEC 1"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "at offset 0");
  CHECK_INT(exec(db, "SELECT * FROM notes WHERE nosuch = 1"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "no such column: nosuch");
  CHECK_INT(exec(db, "SELECT * FROM nosuch"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "no such table: nosuch");
  CHECK_INT(exec(db, "ATTACH 'x.db' AS x"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "ATTACH and DETACH are not allowed");
  CHECK_INT(exec(db, "SELECT load_extension('/tmp/x')"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "load_extension is not allowed");
  /* fts3_tokenizer() hands out a pointer into libsqlite3 */
  CHECK_INT(exec(db, "SELECT hex(fts3_tokenizer('simple'))"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "fts3_tokenizer is not allowed");
  CHECK_INT(exec(db, "PRAGMA writable_schema = 1"), REMDB_INVALID);
  CHECK_INT(exec(db, "CREATE TABLE t(x)"), REMDB_INVALID);
  CHECK_INT(exec(db, "CREATE VIRTUAL TABLE t USING remdb(notes)"),
            REMDB_INVALID);
  CHECK_INT(exec(db, "DROP TABLE notes"), REMDB_INVALID);
  CHECK_INT(exec(db, "BEGIN"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "each statement is atomic");
  CHECK_INT(exec(db, "CREATE TEMP TABLE t(x); INSERT INTO t VALUES (1)"),
            REMDB_OK);
  CHECK_STR(one(db, "PRAGMA table_info(notes)"), "0");
  /* the REM dialect: checked, then refused until its capability lands */
  /* LOOKUP runs as the lookup() table (test_lookup covers results) */
  CHECK_INT(exec(db, "LOOKUP 'TAP-1', '#12345'"), REMDB_OK);
  CHECK_INT(exec(db, "LOOKUP TAP"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "REM syntax error at offset 7");
  CHECK_INT(exec(db, "SEARCH 'auth code' IN resources WHERE category = 'x' "
                     "LIMIT 5"),
            REMDB_ERROR);
  /* SEARCH runs as the search() table (test_search covers results) */
  CHECK_HAS(remdb_errmsg(db), "search(): unknown table \"resources\"");
  CHECK_INT(exec(db, "SEARCH 'x' resources"), REMDB_INVALID);
  /* TRAVERSE runs as the traverse() table (test_graph covers results) */
  CHECK_INT(exec(db, "TRAVERSE FROM 'a' DEPTH 2 DIRECTION both TYPE 'authored'"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "traverse(): invalid id \"a\"");
  CHECK_INT(exec(db, "TRAVERSE FROM 'a' DEPTH x"), REMDB_INVALID);
  CHECK_INT(exec(db, "SELECT * FROM notes WHERE embedding.cosine('hi') AND "
                     "n > 1"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "table notes has no embedding");
  CHECK_INT(exec(db, "SELECT * FROM notes WHERE embedding.dot('hi')"),
            REMDB_INVALID);
  /* 'embedding.cosine(' inside a string is just text */
  CHECK_STR(one(db, "SELECT 'embedding.cosine(x)'"), "embedding.cosine(x)");
}

static void test_explain(void) {
  remdb *db = the_db;
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 500; i++) {
    char row[96];
    int len = snprintf(row, sizeof row,
                       "{\"title\":\"t%d\",\"n\":%d,\"topic\":\"%s\"}", i,
                       i % 100, i % 50 == 0 ? "rare" : "common");
    CHECK_INT(remdb_batch_insert(b, "notes", row, (size_t)len, NULL),
              REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  char q[256];
  const char *id = one(db, "SELECT id FROM notes WHERE title = 't7'");
  snprintf(q, sizeof q, "EXPLAIN SELECT * FROM notes WHERE id = '%s'", id);
  remdb_stmt *st;
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_STR(remdb_column_name(st, 1), "route");
  CHECK_HAS(remdb_column_text(st, 1, NULL), "point get on id");
  CHECK_INT(remdb_column_int64(st, 3), 1);
  remdb_finalize(st);
  /* the rarer value's index wins over the commoner one */
  CHECK_HAS(one(db, "EXPLAIN SELECT * FROM notes WHERE topic = 'rare' AND "
                    "n >= 0"),
            "notes");
  CHECK_INT(remdb_prepare(db, S("EXPLAIN SELECT * FROM notes WHERE topic = "
                                "'rare' AND n >= 0"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_HAS(remdb_column_text(st, 1, NULL), "index lookup on topic = 'rare'");
  CHECK_INT(remdb_column_int64(st, 3), 10);
  remdb_finalize(st);
  CHECK_INT(remdb_prepare(db, S("EXPLAIN SELECT * FROM notes WHERE n BETWEEN "
                                "10 AND 12 ORDER BY n DESC"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_HAS(remdb_column_text(st, 1, NULL),
            "index range on n [10, 12], ordered descending");
  CHECK_INT(remdb_column_int64(st, 3), 17); /* 16 rows and deleted 'b' */
  remdb_finalize(st);
  CHECK_INT(remdb_prepare(db, S("EXPLAIN SELECT * FROM notes WHERE title "
                                "LIKE 't1%'"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_HAS(remdb_column_text(st, 1, NULL), "full scan");
  remdb_finalize(st);
  /* IN on an indexed field reads the index (issue 9 #17) */
  CHECK_INT(remdb_prepare(db, S("EXPLAIN SELECT * FROM notes WHERE n IN "
                                "(1, 2, 3)"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_HAS(remdb_column_text(st, 1, NULL), "index lookup on n IN (list)");
  CHECK_INT(remdb_column_int64(st, 4), 15);
  remdb_finalize(st);
  CHECK_HAS(rows(db, "EXPLAIN SELECT * FROM notes WHERE n IN (SELECT 1 UNION "
                     "SELECT 2) AND title IS NOT NULL"),
            "index lookup on n IN (list)");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE n IN (SELECT 1 UNION "
                    "SELECT 2)"),
            "10");
  /* ...unless its values are common: topic holds two */
  CHECK_HAS(rows(db, "EXPLAIN SELECT * FROM notes WHERE topic IN ('common', "
                     "'x')"),
            "full scan");
  CHECK_STR(one(db, "SELECT group_concat(n) FROM (SELECT n FROM notes WHERE "
                    "n BETWEEN 10 AND 11 ORDER BY n DESC LIMIT 3)"),
            "11,11,11");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE n IN (1, 2, 2, 99) "
                    "AND topic IS NOT NULL"),
            "15");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE topic IS NULL"), "0");
  CHECK_STR(one(db, "SELECT count(*) FROM notes_all WHERE topic IS NULL"),
            "1");
  /* EXPLAIN runs its statement, so it refuses one that writes */
  const char *before = strdup(one(db, "SELECT count(*) || sum(n) FROM notes"));
  CHECK_INT(exec(db, "EXPLAIN DELETE FROM notes WHERE n <= 3"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "EXPLAIN runs its statement");
  CHECK_INT(exec(db, "EXPLAIN UPDATE notes SET n = 0"), REMDB_INVALID);
  CHECK_INT(exec(db, "EXPLAIN INSERT INTO notes(title) VALUES ('x')"),
            REMDB_INVALID);
  CHECK_INT(exec(db, "EXPLAIN WITH d AS (SELECT 1) DELETE FROM notes"),
            REMDB_INVALID);
  CHECK_STR(one(db, "SELECT count(*) || sum(n) FROM notes"), before);
  /* SQLite's own EXPLAIN QUERY PLAN does not run it */
  CHECK_INT(exec(db, "EXPLAIN QUERY PLAN DELETE FROM notes WHERE n <= 3"),
            REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) || sum(n) FROM notes"), before);
  free((void *)before);
  CHECK_STR(one(db, "SELECT title FROM notes ORDER BY id LIMIT 1 OFFSET 2"),
            one(db, "SELECT title FROM (SELECT title, id FROM notes ORDER BY "
                    "id) LIMIT 1 OFFSET 2"));
}

/* LIMIT and OFFSET with WHERE terms SQLite does not show the virtual
** table (a column against a column of the same table): the scan must not
** stop after LIMIT rows of its own, or it stops before the rows that pass
** (issue 9 #1); and LIMIT + OFFSET past INT64_MAX (#2). */
static const char *pairs_schema =
    "{\"name\":\"pairs\",\"properties\":{\"a\":{\"type\":\"integer\"},"
    "\"b\":{\"type\":[\"integer\",\"null\"]}},\"indexed_fields\":[\"a\"]}";

static void test_limit_terms(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S(pairs_schema)), REMDB_OK);
  char sql[128];
  for (int i = 1; i <= 20; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO pairs(a, b) VALUES (%d, %d)", i,
             i + 1);
    CHECK_INT(exec(db, sql), REMDB_OK);
  }
  CHECK_INT(exec(db, "INSERT INTO pairs(a, b) VALUES (50, 50), (60, 10), "
                     "(70, NULL)"),
            REMDB_OK);
  /* the one row with a = b comes last in a's order */
  CHECK_STR(rows(db, "SELECT a, b FROM pairs WHERE a = b LIMIT 1"), "50,50");
  CHECK_STR(rows(db, "SELECT a, b FROM pairs WHERE a = b ORDER BY a LIMIT 1"),
            "50,50");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a = b ORDER BY a DESC LIMIT 1"),
            "50");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a > b ORDER BY a LIMIT 1"),
            "60");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a IS b ORDER BY a LIMIT 1"),
            "50");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a IN (b) LIMIT 1"), "50");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a = b + 0 ORDER BY id LIMIT 1"),
            "50");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a < b ORDER BY a DESC LIMIT 2 "
                     "OFFSET 1"),
            "19;18");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a >= b ORDER BY a LIMIT 5 "
                     "OFFSET 1"),
            "60");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE b IS NULL OR a = b ORDER BY a "
                     "LIMIT 1 OFFSET 1"),
            "70");
  /* LIMIT + OFFSET overflows int64: every row after the first */
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a >= 20 ORDER BY a LIMIT "
                     "9223372036854775807 OFFSET 1"),
            "50;60;70");
  CHECK_STR(rows(db, "SELECT count(*) FROM (SELECT a FROM pairs LIMIT "
                     "9223372036854775807 OFFSET 1)"),
            "22");
  CHECK_STR(rows(db, "SELECT a FROM pairs WHERE a = 50 LIMIT "
                     "9223372036854775807 OFFSET 0"),
            "50");
  /* the route never takes LIMIT over: it reads lazily, as far as SQLite
  ** asks (one row for LIMIT 1 alone; up to the matching row with a = b);
  ** reading columns by position, it walks the index a window of ids
  ** ahead (4 at first) */
  CHECK_STR(rows(db, "EXPLAIN SELECT a FROM pairs ORDER BY a LIMIT 1"),
            "pairs,index scan on a, ordered, columns by position (1 rows),1,"
            "4,1");
  CHECK_STR(rows(db, "EXPLAIN SELECT a FROM pairs WHERE a = b ORDER BY a "
                     "LIMIT 1"),
            "pairs,index scan on a, ordered, columns by position (21 rows),1,"
            "23,21");
  if (sqlite3_compileoption_used("ENABLE_UPDATE_DELETE_LIMIT")) {
    CHECK_INT(exec(db, "UPDATE pairs SET b = b + 100 WHERE a > b LIMIT 1"),
              REMDB_OK);
    CHECK_STR(rows(db, "SELECT b FROM pairs WHERE a = 60"), "110");
    CHECK_STR(rows(db, "SELECT count(*) FROM pairs WHERE b > 100"), "1");
    CHECK_INT(exec(db, "DELETE FROM pairs WHERE a = b LIMIT 1"), REMDB_OK);
    CHECK_STR(rows(db, "SELECT count(*) FROM pairs"), "22");
    CHECK_STR(rows(db, "SELECT a FROM pairs_all WHERE deleted_at IS NOT NULL"),
              "50");
    CHECK_INT(exec(db, "DELETE FROM pairs WHERE a + 1 = b ORDER BY a DESC "
                       "LIMIT 2 OFFSET 1"),
              REMDB_OK);
    CHECK_STR(rows(db, "SELECT a FROM pairs_all WHERE deleted_at IS NOT NULL "
                       "ORDER BY a"),
              "18;19;50");
  } else {
    printf("test_sql: this SQLite has no UPDATE/DELETE ... LIMIT\n");
  }
  CHECK_INT(verify(db), 0);
}

/* A `number` column reads as REAL: an integer stored beyond 2^53 is seen
** as its nearest double, so the index must find it by that double, in
** equalities, ranges, joins and IN (issue 9 #3). */
static void test_big_reals(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"big\",\"properties\":{"
                                   "\"x\":{\"type\":\"number\"},"
                                   "\"k\":{\"type\":\"integer\"}},"
                                   "\"indexed_fields\":[\"x\"]}")),
            REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) { /* enough rows for the index to win */
    char row[64];
    int len = snprintf(row, sizeof row, "{\"x\":%d.25,\"k\":%d}", i, 100 + i);
    CHECK_INT(remdb_batch_insert(b, "big", row, (size_t)len, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(exec(db, "INSERT INTO big(x, k) VALUES (9007199254740993, 1), "
                     "(9007199254740992, 2), (-9007199254740993, 3), "
                     "(9223372036854775807, 4)"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT typeof(x), x FROM big WHERE k = 1"),
            "real,9.00719925474099e+15");
  CHECK_HAS(rows(db, "EXPLAIN SELECT k FROM big WHERE x = 9007199254740992.0"),
            "index lookup on x");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x = 9007199254740992.0 ORDER BY k"),
            "1;2");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x = 9007199254740992 ORDER BY k"),
            "1;2");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x = 9007199254740993"), "");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x = -9007199254740992.0"), "3");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x = 9223372036854775807.0"), "4");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x IN (9007199254740992.0, 1.25) "
                     "ORDER BY k"),
            "1;2;101");
  /* ranges, with integer bounds that no double equals */
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x <= 9007199254740992.0 AND "
                     "x > 1000 ORDER BY k"),
            "1;2");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x < 9007199254740993 AND "
                     "x > 1000 ORDER BY k"),
            "1;2");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x > 9007199254740991 AND "
                     "x < 1e300 ORDER BY k"),
            "1;2;4");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x >= 9007199254740993 AND "
                     "x < 1e300 ORDER BY k"),
            "4");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x >= 9223372036854775807 AND "
                     "x < 1e300"),
            "4");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x < -9007199254740992 AND "
                     "x > -1e300"),
            "");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x >= -9007199254740992.0 AND "
                     "x < 0"),
            "3");
  CHECK_STR(rows(db, "SELECT k FROM big WHERE x > -9007199254740993 AND "
                     "x < 0"),
            "3");
  /* the row joins with itself and is in a subquery of its own values */
  CHECK_STR(rows(db, "SELECT count(*) FROM big a JOIN big b ON a.x = b.x"),
            "306");
  /* (not an aggregate: the columnar route serves the count above) */
  CHECK_HAS(rows(db, "EXPLAIN SELECT a.k FROM big a JOIN big b ON "
                     "a.x = b.x"),
            "index lookup on x");
  CHECK_STR(rows(db, "SELECT count(*) FROM big WHERE x IN (SELECT x FROM big "
                     "WHERE k <= 2)"),
            "2");
  CHECK_STR(rows(db, "SELECT count(*) FROM big WHERE x IN (SELECT x FROM big "
                     "WHERE k = 1)"),
            "2");
  CHECK_INT(verify(db), 0);
}

/* A LEFT JOIN's ON term on the left table (`l.d IS NULL`) reaches the left
** table's first xBestIndex call marked usable: a route that filters by it
** must give it an argvIndex, or SQLite keeps the plan and the left rows
** that fail the term vanish instead of joining with NULLs (FINDINGS F5). */
static void test_outer_join_terms(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"ojl\",\"properties\":{"
                                   "\"d\":{\"type\":[\"integer\",\"null\"]}},"
                                   "\"indexed_fields\":[\"d\"]}")),
            REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"ojr\",\"properties\":{"
                                   "\"f\":{\"type\":\"integer\"}}}")),
            REMDB_OK);
  CHECK_INT(exec(db, "INSERT INTO ojl(d) VALUES (1), (2), (3), (4), (5), (6), "
                     "(7), (8), (NULL), (NULL); INSERT INTO ojr(f) VALUES (5)"),
            REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) FROM ojl LEFT JOIN ojr ON ojl.d IS NULL"),
            "10");
  CHECK_STR(one(db, "SELECT count(*) FROM ojl LEFT JOIN ojr ON ojl.d ISNULL"),
            "10");
  CHECK_STR(one(db, "SELECT count(f) FROM ojl LEFT JOIN ojr ON ojl.d IS NULL"),
            "2");
  CHECK_STR(one(db, "SELECT count(*) FROM ojl LEFT JOIN ojr ON ojl.d IS NULL "
                    "AND ojr.f = 5"),
            "10");
  CHECK_STR(one(db, "SELECT count(*) FROM ojl LEFT JOIN ojr ON ojl.d NOTNULL"),
            "10");
  CHECK_STR(one(db, "SELECT count(f) FROM ojl LEFT JOIN ojr ON "
                    "ojl.d IS NOT NULL"),
            "8");
  CHECK_STR(rows(db, "SELECT ojl.d FROM ojl LEFT JOIN ojr ON ojl.d IS NOT NULL "
                     "ORDER BY ojl.d LIMIT 3"),
            "NULL;NULL;1");
  /* in a WHERE clause the term still drives the index (and the
  ** aggregation stays with SQLite: issue 11's auto route) */
  CHECK_STR(rows(db, "EXPLAIN SELECT count(*) FROM ojl WHERE d IS NULL"),
            "ojl,index lookup on d IS NULL, columns by position (2 rows),1,2,"
            "2;(aggregate),sqlite: an "
            "index serves the WHERE clause or the join,1,0,0");
  CHECK_STR(one(db, "SELECT count(*) FROM ojl LEFT JOIN ojr ON ojl.d IS NULL "
                    "WHERE ojl.d IS NULL"),
            "2");
  CHECK_INT(verify(db), 0);
}

/* UPDATE ... SET replaces a column's value, an object too: it is not
** merged into the stored object (FINDINGS F6).  The C API's update stays
** a merge patch. */
static void test_update_object(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"obj\",\"properties\":{"
                                   "\"b\":{\"type\":[\"object\",\"null\"]},"
                                   "\"n\":{\"type\":\"integer\"}}}")),
            REMDB_OK);
  CHECK_INT(exec(db, "INSERT INTO obj(b, n) VALUES "
                     "('{\"a\":1,\"k\":{\"x\":1}}', 1)"),
            REMDB_OK);
  CHECK_INT(exec(db, "UPDATE obj SET b = '{}'"), REMDB_OK);
  CHECK_STR(one(db, "SELECT b FROM obj"), "{}");
  CHECK_INT(exec(db, "UPDATE obj SET b = '{\"c\":2,\"k\":{\"y\":2}}'"),
            REMDB_OK);
  CHECK_STR(one(db, "SELECT b FROM obj"), "{\"c\":2,\"k\":{\"y\":2}}");
  CHECK_INT(exec(db, "UPDATE obj SET b = '{\"k\":{\"z\":3}}'"), REMDB_OK);
  CHECK_STR(one(db, "SELECT b FROM obj"), "{\"k\":{\"z\":3}}");
  /* a column the statement does not set keeps its value */
  CHECK_INT(exec(db, "UPDATE obj SET n = 2"), REMDB_OK);
  CHECK_STR(rows(db, "SELECT b, n FROM obj"), "{\"k\":{\"z\":3}},2");
  char id[REMDB_ID_LEN + 1];
  snprintf(id, sizeof id, "%s", one(db, "SELECT id FROM obj"));
  CHECK_INT(remdb_update(db, id, S("{\"b\":{\"k\":{\"w\":4}}}")), REMDB_OK);
  CHECK_STR(one(db, "SELECT b FROM obj"), "{\"k\":{\"z\":3,\"w\":4}}");
  CHECK_INT(exec(db, "UPDATE obj SET b = NULL"), REMDB_OK);
  CHECK_STR(rows(db, "SELECT b, n FROM obj"), "NULL,2");
  CHECK_INT(verify(db), 0);
}

/* The conflict clause of INSERT on a row whose id exists (derived from
** key_field, or given): plain INSERT and OR REPLACE upsert, OR IGNORE
** keeps the row, OR ABORT/FAIL/ROLLBACK fail; RETURNING is refused
** (issue 9 #6). */
static void test_conflicts(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"keyed\",\"key_field\":\"h\","
                                   "\"properties\":{\"h\":{\"type\":\"string\"},"
                                   "\"n\":{\"type\":\"integer\",\"minimum\":0},"
                                   "\"m\":{\"type\":\"string\"}}}")),
            REMDB_OK);
  CHECK_INT(exec(db, "INSERT INTO keyed(h, n, m) VALUES ('a', 1, 'keep')"),
            REMDB_OK);
  char *created = strdup(one(db, "SELECT created_at FROM keyed"));
  CHECK_INT(exec(db, "INSERT OR IGNORE INTO keyed(h, n) VALUES ('a', 2)"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT h, n, m FROM keyed"), "a,1,keep");
  /* IGNORE skips the conflicting row and the invalid one, keeps the rest */
  CHECK_INT(exec(db, "INSERT OR IGNORE INTO keyed(h, n) VALUES ('b', 1), "
                     "('a', 9), ('c', -1), ('d', 4)"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT h, n, m FROM keyed ORDER BY h"),
            "a,1,keep;b,1,NULL;d,4,NULL");
  CHECK_INT(exec(db, "INSERT OR ABORT INTO keyed(h, n) VALUES ('e', 5), "
                     "('a', 2)"),
            REMDB_EXISTS);
  CHECK_HAS(remdb_errmsg(db), "exists already");
  CHECK_HAS(remdb_errmsg(db), "derives from key_field h");
  CHECK_INT(exec(db, "INSERT OR ROLLBACK INTO keyed(h, n) VALUES ('e', 5), "
                     "('a', 2)"),
            REMDB_EXISTS);
  CHECK_STR(rows(db, "SELECT count(*) FROM keyed WHERE h = 'e'"), "0");
  /* FAIL keeps the rows before the failing one */
  CHECK_INT(exec(db, "INSERT OR FAIL INTO keyed(h, n) VALUES ('e', 5), "
                     "('a', 2), ('f', 6)"),
            REMDB_EXISTS);
  CHECK_STR(rows(db, "SELECT h, n, m FROM keyed ORDER BY h"),
            "a,1,keep;b,1,NULL;d,4,NULL;e,5,NULL");
  /* a plain INSERT is an upsert: the entity is replaced, created_at kept */
  CHECK_INT(exec(db, "INSERT INTO keyed(h, n) VALUES ('a', 3)"), REMDB_OK);
  CHECK_STR(rows(db, "SELECT h, n, m FROM keyed WHERE h = 'a'"), "a,3,NULL");
  CHECK_STR(one(db, "SELECT created_at FROM keyed WHERE h = 'a'"), created);
  CHECK_INT(exec(db, "REPLACE INTO keyed(h, n, m) VALUES ('a', 4, 'x')"),
            REMDB_OK);
  CHECK_INT(exec(db, "INSERT OR REPLACE INTO keyed(h, m) VALUES ('b', 'y')"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT h, n, m FROM keyed WHERE h < 'c' ORDER BY h"),
            "a,4,x;b,NULL,y");
  /* an id given: the same rules */
  char sql[256];
  char *id = strdup(one(db, "SELECT id FROM notes WHERE title = 'a'"));
  snprintf(sql, sizeof sql,
           "INSERT OR IGNORE INTO notes(id, title) VALUES ('%s', 'zz')", id);
  CHECK_INT(exec(db, sql), REMDB_OK);
  snprintf(sql, sizeof sql, "SELECT title FROM notes WHERE id = '%s'", id);
  CHECK_STR(one(db, sql), "a");
  snprintf(sql, sizeof sql,
           "INSERT OR ABORT INTO notes(id, title) VALUES ('%s', 'zz')", id);
  CHECK_INT(exec(db, sql), REMDB_EXISTS);
  CHECK_HAS(remdb_errmsg(db), "its id was given");
  /* a soft-deleted row is not there for SQL: OR ABORT brings it back */
  CHECK_INT(exec(db, "DELETE FROM keyed WHERE h = 'd'"), REMDB_OK);
  CHECK_INT(exec(db, "INSERT OR ABORT INTO keyed(h, n) VALUES ('d', 7)"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT n FROM keyed WHERE h = 'd'"), "7");
  /* the words in a string or a comment do not make a plain INSERT strict */
  CHECK_INT(exec(db, "INSERT /* OR ABORT */ INTO keyed(h, m) VALUES ('d', "
                     "'INSERT OR ABORT')"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT n, m FROM keyed WHERE h = 'd'"),
            "NULL,INSERT OR ABORT");
  /* a statement run inside the INSERT (search()'s filter) leaves its
  ** conflict mode alone: OR ABORT still fails */
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"cemb\",\"properties\":{"
                                   "\"t\":{\"type\":\"string\"}},"
                                   "\"embedding_fields\":[\"t\"],"
                                   "\"embedding\":{\"dim\":8,"
                                   "\"provider\":\"hash\"}}")),
            REMDB_OK);
  CHECK_INT(remdb_insert(db, "cemb", S("{\"t\":\"hello\"}"), NULL), REMDB_OK);
  CHECK_INT(exec(db, "INSERT OR ABORT INTO keyed(h, n) SELECT 'a', 77 FROM "
                     "search('cemb', 'hello', 5, 't IS NOT NULL')"),
            REMDB_EXISTS);
  CHECK_HAS(remdb_errmsg(db), "exists already");
  CHECK_STR(rows(db, "SELECT n, m FROM keyed WHERE h = 'a'"), "4,x");
  CHECK_INT(exec(db, "INSERT OR IGNORE INTO keyed(h, n) SELECT 'a', 78 FROM "
                     "search('cemb', 'hello', 5, 't IS NOT NULL')"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT n, m FROM keyed WHERE h = 'a'"), "4,x");
  /* UPSERT clauses: not on virtual tables; the message says what to do */
  CHECK_INT(exec(db, "INSERT INTO keyed(h, n) VALUES ('a', 1) ON CONFLICT DO "
                     "NOTHING"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "INSERT OR IGNORE keeps it");
  CHECK_INT(exec(db, "INSERT INTO keyed(h, n) VALUES ('a', 1) ON CONFLICT(h) "
                     "DO UPDATE SET n = 2"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "no ON CONFLICT clause");
  CHECK_STR(rows(db, "SELECT n, m FROM keyed WHERE h = 'a'"), "4,x");
  /* RETURNING would show the values given (no id): refused */
  CHECK_INT(exec(db, "INSERT INTO keyed(h, n) VALUES ('r', 1) RETURNING id"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "RETURNING is not supported");
  CHECK_INT(exec(db, "UPDATE keyed SET n = 9 RETURNING n"), REMDB_INVALID);
  CHECK_INT(exec(db, "DELETE FROM keyed RETURNING h"), REMDB_INVALID);
  CHECK_STR(rows(db, "SELECT count(*), sum(n) FROM keyed"), "4,9");
  /* ...but not on a TEMP table */
  CHECK_INT(exec(db, "CREATE TEMP TABLE tr(x)"), REMDB_OK);
  CHECK_STR(rows(db, "INSERT INTO tr VALUES (1), (2) RETURNING x * 10"),
            "10;20");
  CHECK_INT(verify(db), 0);
  free(created);
  free(id);
}

/* Long statements: only the SQL text limit applies to plain SQL, not a
** token cap of the embedding.<metric>() rewrite (issue 9 #10). */
static void test_long_sql(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"longt\",\"properties\":{"
                                   "\"v\":{\"type\":\"integer\"}},"
                                   "\"indexed_fields\":[\"v\"]}")),
            REMDB_OK);
  size_t cap = 200000;
  char *q = malloc(cap);
  size_t n = (size_t)snprintf(q, cap, "INSERT INTO longt(v) VALUES (0)");
  for (int i = 1; i < 3000; i++)
    n += (size_t)snprintf(q + n, cap - n, ", (%d)", i);
  CHECK_INT(exec(db, q), REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) FROM longt"), "3000");
  n = (size_t)snprintf(q, cap, "SELECT count(*) FROM longt WHERE v IN (-1");
  for (int i = 0; i < 5000; i += 2)
    n += (size_t)snprintf(q + n, cap - n, ", %d", i);
  snprintf(q + n, cap - n, ")");
  CHECK_STR(one(db, q), "1500");
  /* a script of many statements */
  n = 0;
  for (int i = 0; i < 2000; i++)
    n += (size_t)snprintf(q + n, cap - n, "UPDATE longt SET v = v + 1 WHERE "
                                          "v = %d;\n", 2999 - i);
  CHECK_INT(exec(db, q), REMDB_OK);
  CHECK_STR(rows(db, "SELECT max(v), count(*) FROM longt WHERE v >= 1000"),
            "3000,2000");
  /* the rewrite of embedding.<metric>() has a cap, and says so */
  n = (size_t)snprintf(q, cap, "SELECT * FROM longt WHERE "
                                "embedding.cosine('x') AND v IN (0");
  for (int i = 0; i < 40000; i++)
    n += (size_t)snprintf(q + n, cap - n, ",0");
  snprintf(q + n, cap - n, ")");
  CHECK_INT(exec(db, q), REMDB_TOOBIG);
  CHECK_HAS(remdb_errmsg(db), "a limit of its rewrite only");
  free(q);
}

/* key_field = v and IN (...) are point gets of the ids derived from the
** values, even when key_field is not indexed (issue 9 #18). */
static const char *route(remdb *db, const char *sql) {
  static char out[300];
  remdb_stmt *st = NULL;
  snprintf(out, sizeof out, "(error)");
  char q[512];
  snprintf(q, sizeof q, "EXPLAIN %s", sql);
  if (remdb_prepare(db, q, strlen(q), &st, NULL) != REMDB_OK) return out;
  if (remdb_step(st) == REMDB_ROW)
    snprintf(out, sizeof out, "%s: %lld examined",
             remdb_column_text(st, 1, NULL),
             (long long)remdb_column_int64(st, 3));
  remdb_finalize(st);
  return out;
}

/* An equality on a value too common for the probe's first count (1000
** index entries) but under a quarter of the table takes the index (a
** filtered search's 10% of a table was read in full); under a LIMIT the
** count stops early and a full scan that stops early is kept. */
static void test_common_value_route(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"cv\",\"properties\":{"
                                   "\"cat\":{\"type\":\"string\"}},"
                                   "\"indexed_fields\":[\"cat\"]}")),
            REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 6000; i++) { /* c0: 1200 rows, a fifth */
    char row[64];
    int len = snprintf(row, sizeof row, "{\"cat\":\"c%d\"}", i % 5);
    CHECK_INT(remdb_batch_insert(b, "cv", row, (size_t)len, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  CHECK_STR(route(db, "SELECT id FROM cv WHERE cat = 'c0'"),
            "index lookup on cat = 'c0', columns by position (1200 rows): "
            "1200 examined");
  CHECK_STR(rows(db, "SELECT count(*) FROM cv WHERE cat = 'c0'"), "1200");
  CHECK_HAS(route(db, "SELECT id FROM cv WHERE cat = 'c0' LIMIT 3"),
            "full scan");
  CHECK_STR(rows(db, "SELECT count(*) FROM (SELECT id FROM cv WHERE cat = "
                     "'c0' LIMIT 3)"),
            "3");
}

static void test_key_route(void) {
  remdb *db = the_db;
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"kt\",\"key_field\":\"h\","
                                   "\"properties\":{\"h\":{\"type\":\"string\"},"
                                   "\"v\":{\"type\":\"integer\"}}}")),
            REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"kn\",\"key_field\":\"n\","
                                   "\"properties\":{\"n\":{\"type\":\"number\"},"
                                   "\"ref\":{\"type\":\"string\"}}}")),
            REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) {
    char row[96];
    int len = snprintf(row, sizeof row, "{\"h\":\"k%d\",\"v\":%d}", i, i);
    CHECK_INT(remdb_batch_insert(b, "kt", row, (size_t)len, NULL), REMDB_OK);
    len = snprintf(row, sizeof row, "{\"n\":%d%s,\"ref\":\"k%d\"}", i,
                   i % 10 == 1 ? ".5" : "", i * 2);
    CHECK_INT(remdb_batch_insert(b, "kn", row, (size_t)len, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_insert(b, "kt", S("{\"h\":\"5\",\"v\":-5}"), NULL),
            REMDB_OK);
  CHECK_INT(remdb_batch_insert(b, "kn", S("{\"n\":9007199254740993}"), NULL),
            REMDB_OK);
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  CHECK_STR(route(db, "SELECT v FROM kt WHERE h = 'k7'"),
            "point get on key h = 'k7': 1 examined");
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = 'k7'"), "7");
  CHECK_STR(route(db, "SELECT v FROM kt WHERE h IN ('k1', 'k2', 'nope')"),
            "point get on key h IN (list): 3 examined");
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h IN ('k2', 'k1', 'nope') "
                     "ORDER BY v"),
            "1;2");
  CHECK_STR(route(db, "SELECT v FROM kt WHERE h IS 'k9'"),
            "point get on key h = 'k9': 1 examined");
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = 'K7'"), "");
  /* what the id cannot find: another collation, a number against text */
  CHECK_HAS(route(db, "SELECT v FROM kt WHERE h = 'K7' COLLATE NOCASE"),
            "full scan");
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = 'K7' COLLATE NOCASE"), "7");
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = 5"), "-5");
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h IN (5, 'k3') ORDER BY v"),
            "-5;3");
  CHECK_STR(rows(db, "SELECT count(*) FROM kt WHERE h IS NULL"), "0");
  /* a deleted row is gone, except from the _all view */
  CHECK_INT(exec(db, "DELETE FROM kt WHERE h = 'k3'"), REMDB_OK);
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = 'k3'"), "");
  CHECK_STR(rows(db, "SELECT v FROM kt_all WHERE h = 'k3'"), "3");
  /* numbers: 5, 5.0 and '5' are one key; 1.5 is found by value */
  CHECK_STR(route(db, "SELECT ref FROM kn WHERE n = 5"),
            "point get on key n = 5: 1 examined");
  CHECK_STR(rows(db, "SELECT ref FROM kn WHERE n = 5.0"), "k10");
  CHECK_STR(rows(db, "SELECT ref FROM kn WHERE n = '5'"), "k10");
  CHECK_STR(rows(db, "SELECT ref FROM kn WHERE n = 11.5"), "k22");
  CHECK_STR(route(db, "SELECT ref FROM kn WHERE n = 11.5"),
            "point get on key n = 11.5: 1 examined");
  CHECK_STR(rows(db, "SELECT ref FROM kn WHERE n = 11"), "");
  CHECK_STR(rows(db, "SELECT ref FROM kn WHERE n = 'x'"), "");
  /* beyond 2^53 the double SQL reads is no key: the table is scanned */
  CHECK_STR(rows(db, "SELECT count(*) FROM kn WHERE n = 9007199254740992.0"),
            "1");
  /* UPDATE and DELETE through a key value that scans (a number against
  ** a text key, a double beyond 2^53) change every matching row: the scan
  ** is not declared a one-row scan, after which SQLite stopped at the
  ** first row it read */
  CHECK_INT(exec(db, "UPDATE kt SET v = v - 1000 WHERE h = 5"), REMDB_OK);
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = '5'"), "-1005");
  remdb_stmt *st = NULL;
  CHECK_INT(remdb_prepare(db, S("UPDATE kt SET v = v - 1000 WHERE h = ?"),
                          &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_bind_int64(st, 1, 5), REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  remdb_finalize(st);
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = '5'"), "-2005");
  CHECK_INT(exec(db, "UPDATE kt SET v = v + 2000 WHERE h IS '5'"), REMDB_OK);
  CHECK_STR(rows(db, "SELECT v FROM kt WHERE h = '5'"), "-5");
  CHECK_INT(exec(db, "INSERT INTO kn(n, ref) VALUES (9007199254740992, "
                     "'big'), (-9007199254740993, 'neg1'), "
                     "(-9007199254740992, 'neg2')"),
            REMDB_OK);
  CHECK_INT(exec(db, "UPDATE kn SET ref = 'both' WHERE n = "
                     "9007199254740992.0"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT count(*) FROM kn WHERE ref = 'both'"), "2");
  CHECK_INT(remdb_prepare(db, S("DELETE FROM kn WHERE n = ?"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_bind_double(st, 1, -9007199254740992.0), REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  remdb_finalize(st);
  CHECK_STR(rows(db, "SELECT count(*) FROM kn WHERE ref LIKE 'neg%'"), "0");
  CHECK_INT(exec(db, "DELETE FROM kn WHERE n = 9007199254740992.0"),
            REMDB_OK);
  CHECK_STR(rows(db, "SELECT count(*) FROM kn WHERE ref = 'both'"), "0");
  /* a join reads the key route once per outer row */
  CHECK_STR(route(db, "SELECT count(*) FROM kn JOIN kt ON kt.h = kn.ref"),
            "point get on key h = ?: 300 examined");
  CHECK_STR(rows(db, "SELECT count(*) FROM kn JOIN kt ON kt.h = kn.ref"),
            "150");
  CHECK_INT(verify(db), 0);
}

/* Polish of issue 9: clear messages, denied functions, budgets. */
static void test_polish(void) {
  remdb *db = the_db;
  /* a number JSON cannot hold */
  CHECK_INT(exec(db, "INSERT INTO notes(title, score) VALUES ('inf', 9e999)"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "notes.score: number is not finite");
  CHECK_INT(exec(db, "UPDATE notes SET score = -9e999 WHERE title = 'a'"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "notes.score: number is not finite");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE title = 'inf'"), "0");
  /* messages of the dialect */
  CHECK_INT(exec(db, "SELECT * FROM notes WHERE NOT embedding.cosine('x')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "NOT is not supported with it");
  CHECK_INT(exec(db, "SELECT * FROM notes WHERE n > 1 AND NOT "
                     "embedding.cosine('x')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "NOT is not supported with it");
  CHECK_INT(exec(db, "SELECT * FROM notes WHERE n = 1 OR "
                     "embedding.cosine('x')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "no OR at the top of the WHERE");
  /* a REM statement ends at its ';': what follows runs next, as in any
  ** script */
  CHECK_INT(exec(db, "LOOKUP 'nothing'; INSERT INTO notes(title) VALUES "
                     "('after lookup')"),
            REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE title = 'after lookup'"),
            "1");
  char q[300];
  snprintf(q, sizeof q, "TRAVERSE FROM '%s' DEPTH 1 DIRECTION out; DELETE "
                        "FROM notes WHERE title = 'after lookup'",
           one(db, "SELECT id FROM notes WHERE title = 'a'"));
  CHECK_INT(exec(db, q), REMDB_OK);
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE title = 'after lookup'"),
            "0");
  CHECK_INT(exec(db, "LOOKUP 'a' 'b'"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "expected ',', ';' or the end");
  /* the ';' inside a string does not end it */
  CHECK_INT(exec(db, "LOOKUP 'a;b'"), REMDB_OK);
  /* a statement with embedding.<metric>() after a plain one is its own */
  CHECK_INT(exec(db, "SELECT 1; SELECT * FROM notes WHERE "
                     "embedding.cosine('x')"),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "table notes has no embedding");
  /* table functions: NULL and non-integer arguments are errors */
  CHECK_INT(exec(db, "SELECT * FROM search('notes', NULL, 5)"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "search(): the query text is NULL");
  CHECK_INT(exec(db, "SELECT * FROM search(NULL, 'x', 5)"), REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "search(): the table name is NULL");
  CHECK_INT(exec(db, "SELECT * FROM traverse('00000000-0000-7000-8000-"
                     "000000000000', 'abc')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "traverse(): depth must be an integer, not abc");
  CHECK_INT(exec(db, "SELECT * FROM traverse('00000000-0000-7000-8000-"
                     "000000000000', 1.5)"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "depth must be an integer");
  CHECK_INT(exec(db, "SELECT * FROM traverse('00000000-0000-7000-8000-"
                     "000000000000', '2')"),
            REMDB_ERROR);
  CHECK_HAS(remdb_errmsg(db), "no entity");
}

static void test_tenants(void) {
  remdb *db = the_db;
  remdb *other;
  CHECK_INT(remdb_open_tenant(db, "tenant_b", &other), REMDB_OK);
  CHECK_INT(exec(other, "SELECT * FROM notes"), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(other), "no such table: notes");
  CHECK_INT(remdb_schema_put(other, S(notes_schema)), REMDB_OK);
  CHECK_STR(one(other, "SELECT count(*) FROM notes_all"), "0");
  CHECK_INT(exec(other, "INSERT INTO notes(title) VALUES ('mine')"), REMDB_OK);
  CHECK_STR(one(other, "SELECT count(*) FROM notes"), "1");
  CHECK_STR(one(db, "SELECT count(*) FROM notes WHERE title = 'mine'"), "0");
  remdb_close(other);
}

/* Limits: SQL text length and result rows are bounded by options. */
static void test_limits(void) {
  char ldir[600];
  snprintf(ldir, sizeof ldir, "%s-limits", dir);
  rm_tree(ldir);
  remdb_options o;
  remdb_options_init(&o);
  o.max_sql_bytes = 64;
  o.max_result_rows = 5;
  remdb *db;
  CHECK_INT(remdb_open(ldir, "default", &o, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(notes_schema)), REMDB_OK);
  CHECK_INT(exec(db, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT "
                     "x+1 FROM s WHERE x < 9) SELECT x FROM s"),
            REMDB_TOOBIG); /* 85 bytes */
  CHECK_HAS(remdb_errmsg(db), "over the limit of 64");
  CHECK_INT(exec(db, "SELECT 1 UNION ALL SELECT 2"), REMDB_OK);
  CHECK_INT(exec(db, "VALUES (1),(2),(3),(4),(5),(6)"), REMDB_TOOBIG);
  CHECK_HAS(remdb_errmsg(db), "more than 5 rows");
  CHECK_INT(exec(db, "VALUES (1),(2),(3),(4),(5)"), REMDB_OK);
  remdb_close(db);
  /* a statement's budget of VM steps; a string made in SQL is at most
  ** twice the entity limit */
  remdb_options_init(&o);
  CHECK(o.max_sql_steps >= 100000000000ull);
  o.max_sql_steps = 200000;
  o.max_entity_bytes = 1000;
  CHECK_INT(remdb_open(ldir, "default", &o, &db), REMDB_OK);
  CHECK_INT(exec(db, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x+1 "
                     "FROM s WHERE x < 1000000) SELECT count(*) FROM s"),
            REMDB_TOOBIG);
  CHECK_HAS(remdb_errmsg(db),
            "statement exceeded its budget of 200000 steps");
  CHECK_STR(one(db, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x+1 "
                    "FROM s WHERE x < 1000) SELECT count(*) FROM s"),
            "1000");
  CHECK_STR(one(db, "SELECT length(zeroblob(2000))"), "2000");
  CHECK_INT(exec(db, "SELECT length(zeroblob(2001))"), REMDB_TOOBIG);
  CHECK_HAS(remdb_errmsg(db), "too big");
  CHECK_INT(exec(db, "SELECT length(hex(zeroblob(1500)))"), REMDB_TOOBIG);
  /* a statement run inside another (search()'s filter) spends the outer
  ** statement's budget, not a fresh one per call */
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"embs\",\"properties\":{"
                                   "\"t\":{\"type\":\"string\"}},"
                                   "\"embedding_fields\":[\"t\"],"
                                   "\"embedding\":{\"dim\":8,"
                                   "\"provider\":\"hash\"}}")),
            REMDB_OK);
  CHECK_INT(remdb_insert(db, "embs", S("{\"t\":\"hello\"}"), NULL), REMDB_OK);
  const char *heavy =
      "SELECT count(*) FROM (%s) v, search('embs', 'q' || v.column1, 5, "
      "'(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM s WHERE "
      "x < 3000) SELECT count(*) FROM s) > 0')";
  char q[600];
  snprintf(q, sizeof q, heavy, "VALUES (1)");
  CHECK_STR(one(db, q), "1");
  snprintf(q, sizeof q, heavy,
           "WITH RECURSIVE n(column1) AS (SELECT 1 UNION ALL SELECT "
           "column1 + 1 FROM n WHERE column1 < 40) SELECT column1 FROM n");
  CHECK(exec(db, q) != REMDB_OK); /* the filter fails, search() with it */
  CHECK_HAS(remdb_errmsg(db), "exceeded its budget of 200000 steps");
  remdb_close(db);
  rm_tree(ldir);
}

/* every case leaves the database as verify finds it: consistent */
static void test_verify_all(void) {
  remdb *db = the_db; CHECK_INT(verify(db), 0); }

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "sql");
  remdb *db;
  CHECK_INT(remdb_open(dir, "default", NULL, &db), REMDB_OK);
  the_db = db;
  TEST_CASE(test_basics);
  TEST_CASE_AFTER(test_errors, test_basics);
  TEST_CASE_AFTER(test_explain, test_basics);
  TEST_CASE_AFTER(test_tenants, test_basics);
  TEST_CASE(test_limit_terms);
  TEST_CASE(test_big_reals);
  TEST_CASE(test_outer_join_terms);
  TEST_CASE(test_update_object);
  TEST_CASE_AFTER(test_conflicts, test_basics);
  TEST_CASE(test_long_sql);
  TEST_CASE(test_key_route);
  TEST_CASE(test_common_value_route);
  TEST_CASE_AFTER(test_polish, test_basics);
  TEST_CASE(test_limits);
  TEST_CASE(test_verify_all);
  int rc_ = test_main(argc, argv, "test_sql");
  remdb_close(db);
  rm_tree(dir);
  return rc_;
}

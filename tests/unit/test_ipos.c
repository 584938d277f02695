/*
** test_ipos.c: the index route that reads columns by row position
** (src/sql/ipos.c, issue 11) against the row route and plain SQLite.
**
** A generator interleaves writes (insert, update, soft and hard delete,
** undelete, reindex, with merges of the column deltas at a small
** threshold and at the default one) with indexed queries (equality, IN,
** ranges, IS NULL, ORDER BY the indexed field, aggregates, id and system
** columns), and runs each query three ways: on the default route (columns
** by position where it serves), with sql_route forced to the old row
** route (REMDB_ROUTE_SQLITE), and on a plain SQLite table holding the
** same live rows.  All three must agree, and the position route must
** have served the queries it can.  A fixed seed and a printed random seed
** (REMDB_TEST_SEED repeats one).
*/
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/colread.h"
#include "core/internal.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

static uint64_t rng;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

#define MAXROWS 600
typedef struct mrow {
  char id[REMDB_ID_LEN + 1];
  bool live;    /* not soft-deleted */
  bool present; /* not hard-deleted */
} mrow;
static mrow rows[MAXROWS];
static int nrows;

static remdb *db;
static sqlite3 *sq; /* the plain tables */

static void sq_exec(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(sq, sql, NULL, NULL, &err) != SQLITE_OK) {
    CHECK(!"sqlite exec");
    fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
  }
  sqlite3_free(err);
}

/* A random row as JSON and as the SQLite values (NULL for absent). */
static void make_row(char *json, size_t jn, char *vals, size_t vn) {
  static const char *words[] = {"alpha", "beta", "gamma", "delta", "",
                                "\xc3\xa9t\xc3\xa9", "Beta", "zz"};
  char a[32] = "NULL", b[32] = "NULL", c[48] = "NULL", d[8] = "NULL",
       f[32] = "NULL";
  size_t o = (size_t)snprintf(json, jn, "{");
  bool first = true;
#define SEP (first ? (first = false, "") : ",")
  if (pick(8)) {
    long long v = pick(20) - 5;
    if (pick(30) == 0) v = 9007199254740993LL; /* 2^53 + 1 */
    snprintf(a, sizeof a, "%lld", v);
    o += (size_t)snprintf(json + o, jn - o, "%s\"a\":%s", SEP, a);
  }
  if (pick(8)) {
    const char *w = words[pick(8)];
    snprintf(b, sizeof b, "'%s'", w);
    o += (size_t)snprintf(json + o, jn - o, "%s\"b\":\"%s\"", SEP, w);
  }
  if (pick(8)) {
    double v = (double)(pick(200) - 50) / 4;
    if (pick(20) == 0) v = -0.0;
    snprintf(c, sizeof c, "%.17g", v);
    if (pick(3) == 0 && v == floor(v)) /* an integral number as integer */
      o += (size_t)snprintf(json + o, jn - o, "%s\"c\":%lld", SEP,
                            (long long)v);
    else
      o += (size_t)snprintf(json + o, jn - o, "%s\"c\":%.17g", SEP, v);
  }
  if (pick(4)) {
    int v = pick(2);
    snprintf(d, sizeof d, "%d", v);
    o += (size_t)snprintf(json + o, jn - o, "%s\"d\":%s", SEP,
                          v ? "true" : "false");
  }
  if (pick(4)) {
    int v = pick(1000);
    snprintf(f, sizeof f, "%d", v);
    o += (size_t)snprintf(json + o, jn - o, "%s\"f\":%s", SEP, f);
  }
  if (pick(3) == 0)
    o += (size_t)snprintf(json + o, jn - o, "%s\"o\":{\"k\":%d}", SEP,
                          pick(5));
#undef SEP
  snprintf(json + o, jn - o, "}");
  snprintf(vals, vn, "%s, %s, %s, %s, %s", a, b, c, d, f);
}

/* Mirror row i into the plain table as the database now holds it. */
static void mirror(int i) {
  char sql[512];
  snprintf(sql, sizeof sql, "DELETE FROM t WHERE id = '%s'", rows[i].id);
  sq_exec(sql);
  if (!rows[i].present || !rows[i].live) return;
  /* the values as remdb reads them back (the row route) */
  char q[160];
  snprintf(q, sizeof q,
           "SELECT a, b, c, d, f, created_at, modified_at FROM t WHERE "
           "id = '%s'",
           rows[i].id);
  remdb_stmt *st;
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  if (remdb_step(st) != REMDB_ROW) {
    CHECK(!"row read back");
    remdb_finalize(st);
    return;
  }
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(sq, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
                     &ins, NULL);
  sqlite3_bind_text(ins, 1, rows[i].id, -1, SQLITE_TRANSIENT);
  for (int c = 0; c < 7; c++) {
    switch (remdb_column_type(st, c)) {
      case REMDB_INTEGER:
        sqlite3_bind_int64(ins, c + 2, remdb_column_int64(st, c));
        break;
      case REMDB_FLOAT:
        sqlite3_bind_double(ins, c + 2, remdb_column_double(st, c));
        break;
      case REMDB_TEXT: {
        size_t n;
        const char *t = remdb_column_text(st, c, &n);
        sqlite3_bind_text(ins, c + 2, t, (int)n, SQLITE_TRANSIENT);
        break;
      }
      default: break;
    }
  }
  CHECK_INT(sqlite3_step(ins), SQLITE_DONE);
  sqlite3_finalize(ins);
  remdb_finalize(st);
}

/* A result as text, rows sorted unless ordered: "v|v|...;" per row. */
typedef struct res {
  char **r;
  int n, cap;
} res;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void res_add(res *x, const char *s) {
  if (x->n == x->cap) {
    x->cap = x->cap ? x->cap * 2 : 16;
    x->r = realloc(x->r, (size_t)x->cap * sizeof *x->r);
  }
  x->r[x->n++] = strdup(s);
}

static void res_free(res *x) {
  for (int i = 0; i < x->n; i++) free(x->r[i]);
  free(x->r);
  memset(x, 0, sizeof *x);
}

static void cell(char *o, size_t n, int type, long long i, double d,
                 const char *t) {
  switch (type) {
    case SQLITE_INTEGER: snprintf(o, n, "i%lld|", i); break;
    case SQLITE_FLOAT: snprintf(o, n, "r%.17g|", d); break;
    case SQLITE_TEXT: snprintf(o, n, "t%s|", t); break;
    default: snprintf(o, n, "NULL|"); break;
  }
}

static bool run_remdb(const char *sql, res *x, char *route, size_t rn) {
  remdb_stmt *st;
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) {
    CHECK(!"remdb prepare");
    fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
    return false;
  }
  int rc;
  char line[2048];
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    size_t o = 0;
    line[0] = 0;
    for (int c = 0; c < remdb_column_count(st); c++) {
      int t = remdb_column_type(st, c);
      int ty = t == REMDB_INTEGER ? SQLITE_INTEGER
               : t == REMDB_FLOAT ? SQLITE_FLOAT
               : t == REMDB_TEXT  ? SQLITE_TEXT
                                  : SQLITE_NULL;
      cell(line + o, sizeof line - o, ty, (long long)remdb_column_int64(st, c),
           remdb_column_double(st, c),
           ty == SQLITE_TEXT ? remdb_column_text(st, c, NULL) : "");
      o += strlen(line + o);
    }
    res_add(x, line);
  }
  remdb_finalize(st);
  if (rc != REMDB_DONE) {
    CHECK(!"remdb step");
    fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
    return false;
  }
  /* the route EXPLAIN names */
  char q[1200];
  snprintf(q, sizeof q, "EXPLAIN %s", sql);
  route[0] = 0;
  if (remdb_prepare(db, q, strlen(q), &st, NULL) == REMDB_OK) {
    size_t o = 0;
    while (remdb_step(st) == REMDB_ROW && o + 1 < rn) {
      const char *r = remdb_column_text(st, 1, NULL);
      o += (size_t)snprintf(route + o, rn - o, "%s; ", r ? r : "");
    }
    remdb_finalize(st);
  }
  return true;
}

static void run_sqlite(const char *sql, res *x) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(sq, sql, -1, &st, NULL) != SQLITE_OK) {
    CHECK(!"sqlite prepare");
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(sq));
    return;
  }
  char line[2048];
  while (sqlite3_step(st) == SQLITE_ROW) {
    size_t o = 0;
    line[0] = 0;
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      int ty = sqlite3_column_type(st, c);
      cell(line + o, sizeof line - o, ty,
           (long long)sqlite3_column_int64(st, c),
           sqlite3_column_double(st, c),
           ty == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, c) : "");
      o += strlen(line + o);
    }
    res_add(x, line);
  }
  sqlite3_finalize(st);
}

static bool same(res *a, res *b, bool ordered) {
  if (!ordered && a->n > 1) qsort(a->r, (size_t)a->n, sizeof *a->r, cmp_str);
  if (!ordered && b->n > 1) qsort(b->r, (size_t)b->n, sizeof *b->r, cmp_str);
  if (a->n != b->n) return false;
  for (int i = 0; i < a->n; i++)
    if (strcmp(a->r[i], b->r[i]) != 0) return false;
  return true;
}

static void show(const char *what, res *x) {
  fprintf(stderr, "  %s (%d rows):", what, x->n);
  for (int i = 0; i < x->n && i < 12; i++) fprintf(stderr, " %s;", x->r[i]);
  fputc('\n', stderr);
}

static int by_pos, queries; /* queries the position route served */
extern bool ipos_always; /* sql/ipos.c, tests only: skip the cost check */

/* One random indexed query, on the three routes. */
static void query(void) {
  static const char *cols[] = {
      "id, a, b, c", "a, c", "b, d, f", "id", "count(*), sum(c), max(b)",
      "created_at, a", "c, modified_at", "count(*), avg(f), total(c), sum(a)",
      "id, a, b, c, d, f, created_at, modified_at"};
  static const char *bvals[] = {"'alpha'", "'beta'", "'gamma'", "''",
                                "'\xc3\xa9t\xc3\xa9'", "'Beta'", "'zz'",
                                "'nope'"};
  char where[256], sql[768];
  int k = pick(9);
  switch (k) {
    case 0: snprintf(where, sizeof where, "a = %d", pick(20) - 5); break;
    case 1:
      snprintf(where, sizeof where, "b = %s", bvals[pick(8)]);
      break;
    case 2:
      snprintf(where, sizeof where, "a IN (%d, %d, %d)", pick(20) - 5,
               pick(20) - 5, pick(20) - 5);
      break;
    case 3:
      snprintf(where, sizeof where, "c BETWEEN %g AND %g",
               (double)(pick(100) - 50) / 4, (double)(pick(100)) / 4);
      break;
    case 4:
      snprintf(where, sizeof where, "a > %d AND a <= %d", pick(10) - 5,
               pick(20));
      break;
    case 5: snprintf(where, sizeof where, "b IS NULL"); break;
    case 6:
      snprintf(where, sizeof where, "b IN (%s, %s) AND d = %d",
               bvals[pick(8)], bvals[pick(8)], pick(2));
      break;
    case 7: snprintf(where, sizeof where, "c = %g", (double)(pick(40) - 10) / 4); break;
    default: snprintf(where, sizeof where, "a = 9007199254740993"); break;
  }
  const char *sel = cols[pick(9)];
  bool agg = strstr(sel, "count(") != NULL;
  bool ordered = !agg && pick(2);
  const char *ocol = k == 1 || k == 5 || k == 6 ? "b" : k == 3 || k == 7 ? "c" : "a";
  if (ordered) /* ties broken by id: the order is total */
    snprintf(sql, sizeof sql, "SELECT %s, id FROM t WHERE %s ORDER BY %s%s, id",
             sel, where, ocol, pick(2) ? " DESC" : "");
  else
    snprintf(sql, sizeof sql, "SELECT %s FROM t WHERE %s", sel, where);
  res pos = {0}, old = {0}, ref = {0};
  char route[512], oroute[512];
  /* by position whenever it serves (not weighing the segments to decode:
  ** the cache is cold after every merge of this small table) */
  ipos_always = true;
  db->st->opts.sql_route = REMDB_ROUTE_AUTO;
  bool ok = run_remdb(sql, &pos, route, sizeof route);
  ipos_always = false;
  db->st->opts.sql_route = REMDB_ROUTE_SQLITE;
  ok = run_remdb(sql, &old, oroute, sizeof oroute) && ok;
  db->st->opts.sql_route = REMDB_ROUTE_AUTO;
  run_sqlite(sql, &ref);
  queries++;
  if (strstr(route, "columns by position")) by_pos++;
  else if (getenv("IPOS_DEBUG")) fprintf(stderr, "not by position: %s: %s\n", sql, route);
  CHECK(strstr(oroute, "columns by position") == NULL);
  if (ok && (!same(&pos, &ref, ordered) || !same(&old, &ref, ordered))) {
    CHECK(!"routes agree");
    fprintf(stderr, "  query: %s\n  route: %s\n  old route: %s\n", sql, route,
            oroute);
    show("by position", &pos);
    show("row route", &old);
    show("sqlite", &ref);
  }
  res_free(&pos);
  res_free(&old);
  res_free(&ref);
}

static void write_step(void) {
  char json[512], vals[256];
  int op = pick(20);
  if (nrows < 20 || op < 7) { /* insert */
    if (nrows >= MAXROWS) return;
    make_row(json, sizeof json, vals, sizeof vals);
    mrow *r = &rows[nrows];
    CHECK_INT(remdb_insert(db, "t", json, strlen(json), r->id), REMDB_OK);
    r->live = r->present = true;
    mirror(nrows++);
    return;
  }
  int i = pick(nrows);
  mrow *r = &rows[i];
  if (!r->present) return;
  if (op < 12) { /* update: some fields, some removed */
    if (!r->live) return;
    make_row(json, sizeof json, vals, sizeof vals);
    if (pick(3) == 0)
      snprintf(json, sizeof json, "{\"a\":null,\"c\":%d}", pick(9));
    CHECK_INT(remdb_update(db, r->id, json, strlen(json)), REMDB_OK);
  } else if (op < 15) { /* soft delete */
    if (!r->live) return;
    CHECK_INT(remdb_delete(db, r->id, 0), REMDB_OK);
    r->live = false;
  } else if (op < 17) { /* undelete: an insert of the same id replaces it */
    if (r->live) return;
    char js[600];
    make_row(json, sizeof json, vals, sizeof vals);
    snprintf(js, sizeof js, "{\"id\":\"%s\"%s%s", r->id,
             strlen(json) > 2 ? "," : "", json + 1);
    CHECK_INT(remdb_insert(db, "t", js, strlen(js), NULL), REMDB_OK);
    r->live = true;
  } else if (op < 18) { /* hard delete */
    CHECK_INT(remdb_delete(db, r->id, REMDB_HARD), REMDB_OK);
    r->present = false;
  } else if (op < 19) { /* SQL DML over an index route */
    char sql[200];
    snprintf(sql, sizeof sql,
             pick(2) ? "UPDATE t SET f = coalesce(f, 0) + 1, c = a WHERE a = %d"
                     : "DELETE FROM t WHERE a = %d AND f > 500",
             pick(20) - 5);
    remdb_stmt *st;
    CHECK_INT(remdb_prepare(db, sql, strlen(sql), &st, NULL), REMDB_OK);
    int rc = remdb_step(st);
    CHECK_INT(rc, REMDB_DONE);
    if (rc != REMDB_DONE) fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
    remdb_finalize(st);
    for (int j = 0; j < nrows; j++) { /* which rows it deleted */
      if (!rows[j].present || !rows[j].live) continue;
      char *js = NULL;
      size_t jl;
      if (remdb_get(db, "t", rows[j].id, 0, &js, &jl) == REMDB_NOTFOUND)
        rows[j].live = false;
      remdb_free(js);
      mirror(j);
    }
    return;
  } else if (pick(4) == 0) { /* reindex: positions numbered afresh */
    CHECK_INT(remdb_reindex(db, "t"), REMDB_OK);
  }
  mirror(i);
}

static void generate(uint64_t seed, int steps, uint32_t merge_rows) {
  char dir[256];
  scratch_dir(dir, sizeof dir, "ipos");
  rng = seed ? seed : 1;
  nrows = 0;
  uint32_t merge_default = col_merge_rows;
  col_merge_rows = merge_rows;
  by_pos = queries = 0;
  CHECK_INT(remdb_open(dir, "t1", NULL, &db), REMDB_OK);
  const char *schema =
      "{\"name\":\"t\",\"properties\":{\"a\":{\"type\":\"integer\"},"
      "\"b\":{\"type\":\"string\"},\"c\":{\"type\":\"number\"},"
      "\"d\":{\"type\":\"boolean\"},\"f\":{\"type\":\"integer\"},"
      "\"o\":{\"type\":\"object\"}},"
      "\"indexed_fields\":[\"a\",\"b\",\"c\"]}";
  CHECK_INT(remdb_schema_put(db, schema, strlen(schema)), REMDB_OK);
  sqlite3_open(":memory:", &sq);
  sq_exec("CREATE TABLE t(id TEXT PRIMARY KEY, a INTEGER, b TEXT, c REAL, "
          "d INTEGER, f INTEGER, created_at TEXT, modified_at TEXT)");
  for (int s = 0; s < steps; s++) {
    if (pick(3)) write_step();
    else query();
  }
  printf("  seed %llu, merge every %u rows: %d rows, %d queries, %d by "
         "position\n",
         (unsigned long long)seed, merge_rows, nrows, queries, by_pos);
  /* most lookups read only columnar fields: the route served them */
  CHECK(by_pos * 2 > queries);
  sqlite3_close(sq);
  remdb_close(db);
  col_merge_rows = merge_default;
  rm_tree(dir);
}

static void test_generated(void) {
  uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
  if (getenv("REMDB_TEST_SEED"))
    seed = strtoull(getenv("REMDB_TEST_SEED"), NULL, 10);
  generate(20261129, 900, 7);        /* merges often */
  generate(20261130, 900, 100000);   /* deltas only */
  generate(seed, 900, 1 + (uint32_t)(seed % 40));
}

/* colr_pos_many takes a proposed position only where the id column holds
** the id, live: wrong, stale (after a reindex renumbers), out-of-range and
** missing hints all give what the id directory says. */
static void test_hints(void) {
  char dir[256];
  scratch_dir(dir, sizeof dir, "ipos-hints");
  CHECK_INT(remdb_open(dir, "t1", NULL, &db), REMDB_OK);
  const char *schema = "{\"name\":\"h\",\"properties\":{\"a\":{\"type\":"
                       "\"integer\"}},\"indexed_fields\":[\"a\"]}";
  CHECK_INT(remdb_schema_put(db, schema, strlen(schema)), REMDB_OK);
  enum { N = 50 };
  char ids[N][REMDB_ID_LEN + 1];
  for (int i = 0; i < N; i++) {
    char js[40];
    snprintf(js, sizeof js, "{\"a\":%d}", i % 7);
    CHECK_INT(remdb_insert(db, "h", js, strlen(js), ids[i]), REMDB_OK);
  }
  CHECK_INT(remdb_delete(db, ids[3], 0), REMDB_OK);          /* soft */
  CHECK_INT(remdb_delete(db, ids[4], REMDB_HARD), REMDB_OK); /* gone */
  CHECK_INT(remdb_delete(db, ids[0], REMDB_HARD), REMDB_OK);
  CHECK_INT(remdb_reindex(db, "h"), REMDB_OK); /* positions renumbered */
  CHECK_INT(remdb_insert(db, "h", "{\"a\":1}", 7, ids[0]), REMDB_OK);
  snap_t *sn = NULL;
  cat_table *ct = NULL;
  col_reader *r = NULL;
  CHECK_INT(snap_take(db, &sn), REMDB_OK);
  CHECK_INT(cat_find(db, "h", &ct), REMDB_OK);
  CHECK_INT(colr_open(db, sn, ct->s, &r), REMDB_OK);
  uuid16_t u[N];
  uint64_t want[N], hint[N], pos[N];
  bool wlive[N], live[N];
  for (int i = 0; i < N; i++) {
    CHECK(uuid_parse(ids[i], REMDB_ID_LEN, &u[i]));
    wlive[i] = colr_pos(r, &u[i], &want[i]) == REMDB_OK;
  }
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < N; i++) {
      switch (round) {
        case 0: hint[i] = wlive[i] ? want[i] : (uint64_t)i; break;
        case 1: hint[i] = (uint64_t)((i * 7 + 3) % N); break; /* wrong */
        case 2: hint[i] = UINT64_MAX; break;                  /* none */
        case 3: hint[i] = (uint64_t)1 << 40; break;           /* beyond */
        default: hint[i] = (uint64_t)i; break; /* before the reindex */
      }
      pos[i] = 12345;
      live[i] = !wlive[i];
    }
    CHECK_INT(colr_pos_many(r, u, round == 2 ? NULL : hint, N, pos, live),
              REMDB_OK);
    for (int i = 0; i < N; i++) {
      CHECK(live[i] == wlive[i]);
      if (wlive[i]) CHECK(pos[i] == want[i]);
    }
  }
  CHECK(!wlive[3] && !wlive[4] && wlive[0] && wlive[1]);
  colr_close(r);
  snap_release(sn);
  remdb_close(db);
  rm_tree(dir);
}

/* The route's EXPLAIN line for sql (its first). */
static void route_of(const char *sql, char *out, size_t n) {
  char q[400];
  snprintf(q, sizeof q, "EXPLAIN %s", sql);
  remdb_stmt *st;
  out[0] = 0;
  CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
  if (remdb_step(st) == REMDB_ROW)
    snprintf(out, n, "%s", remdb_column_text(st, 1, NULL));
  remdb_finalize(st);
}

/* sql_route auto weighs the segments' columns to decode against the
** point reads: a two-row lookup over cold columns reads rows; once the
** columns are decoded (cached) it reads them by position.  The old route
** is forced by REMDB_ROUTE_SQLITE (and REMDB_ROUTE_ROWS). */
static void test_cost(void) {
  char dir[256], r[300];
  scratch_dir(dir, sizeof dir, "ipos-cost");
  CHECK_INT(remdb_open(dir, "t1", NULL, &db), REMDB_OK);
  const char *schema = "{\"name\":\"k\",\"properties\":{\"a\":{\"type\":"
                       "\"integer\"},\"s\":{\"type\":\"string\"}},"
                       "\"indexed_fields\":[\"a\"]}";
  CHECK_INT(remdb_schema_put(db, schema, strlen(schema)), REMDB_OK);
  remdb_batch *b;
  uint32_t merge_default = col_merge_rows;
  col_merge_rows = 50; /* a merged segment: columns to decode */
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 400; i++) {
    char js[60];
    snprintf(js, sizeof js, "{\"a\":%d,\"s\":\"v%d\"}", i / 2, i);
    CHECK_INT(remdb_batch_insert(b, "k", js, strlen(js), NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 1), REMDB_OK);
  remdb_batch_free(b);
  col_merge_rows = merge_default;
  remdb_close(db); /* the column cache starts empty */
  CHECK_INT(remdb_open(dir, "t1", NULL, &db), REMDB_OK);
  const char *q = "SELECT s FROM k WHERE a = 17";
  route_of(q, r, sizeof r);
  CHECK_STR(r, "index lookup on a = 17");
  db->st->opts.sql_route = REMDB_ROUTE_COLUMNAR; /* whenever it serves */
  route_of(q, r, sizeof r);
  CHECK_STR(r, "index lookup on a = 17, columns by position (2 rows)");
  db->st->opts.sql_route = REMDB_ROUTE_AUTO; /* now decoded: cheap */
  route_of(q, r, sizeof r);
  CHECK_STR(r, "index lookup on a = 17, columns by position (2 rows)");
  db->st->opts.sql_route = REMDB_ROUTE_SQLITE;
  route_of(q, r, sizeof r);
  CHECK_STR(r, "index lookup on a = 17");
  db->st->opts.sql_route = REMDB_ROUTE_ROWS;
  route_of(q, r, sizeof r);
  CHECK_STR(r, "index lookup on a = 17");
  remdb_close(db);
  rm_tree(dir);
}

int main(int argc, char **argv) {
  TEST_CASE(test_hints);
  TEST_CASE(test_cost);
  TEST_CASE(test_generated);
  return test_main(argc, argv, "test_ipos");
}

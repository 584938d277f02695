/*
** diffgen.c: differential testing of remdb's SQL against plain SQLite.
**
**   diffgen [--seed N|random] [--queries N] [--seconds S] [--avoid LIST]
**           [--round R] [--max-mismatches N] [--no-shrink] [-v]
**           [--route auto|columnar|sqlite|rows] [--merge-rows N]
**           [--big-rows N] [--threads N]
**
** In the spirit of SQLancer.  Each round registers 1-3 random tables in a
** remdb database (every JSON type: integer, number, string, boolean,
** object, array, unions such as ["integer","string"], nullable types,
** untyped; some fields indexed, sometimes a key_field) and creates the
** same tables in a plain in-memory SQLite database (the oracle), with each
** column declared as remdb's virtual table declares it (PRAGMA table_info
** through remdb), so that affinities, and hence comparisons, are the
** same; the oracle's <table>_all twin keeps deleted rows (triggers), as
** remdb's soft delete does.  Rows are random (NULLs, absent fields,
** 2^53+1, 2^63-1, -2^63, -0.0, unicode, '%' and '_', empty strings),
** inserted into remdb by remdb_insert, a batch or SQL INSERT, and into the
** oracle as the values remdb's SQL presents (booleans as 0/1, integers in
** a number column as reals, objects and arrays as compact JSON text).
**
** Then random statements run on both and must agree:
**   - SELECTs: column-vs-literal and column-vs-column terms, IN lists with
**     NULLs, IN (SELECT ...), EXISTS, BETWEEN, LIKE/GLOB, COLLATE NOCASE,
**     IS/IS NOT, expressions over columns, id terms (point gets), bound
**     parameters, ORDER BY with NULLS FIRST/LAST, LIMIT/OFFSET (including
**     9223372036854775807), joins and LEFT joins, DISTINCT, GROUP BY with
**     aggregates and HAVING, compound selects, correlated scalar
**     subqueries, reads of <table>_all.  Results are compared as
**     multisets unless ORDER BY fully determines the order (the generator
**     appends the ids as tiebreakers, or orders by every projected
**     column); a LIMIT without a total order is checked as "as many rows
**     as SQLite returns, each one a row of the unlimited result".
**   - TLP (ternary logic partitioning): Q WHERE p UNION ALL Q WHERE NOT p
**     UNION ALL Q WHERE (p) IS NULL must give Q's rows, on remdb alone and
**     against the oracle.  NoREC: count(*) WHERE p must equal
**     sum(CASE WHEN p THEN 1 ELSE 0 END), which no index can serve.
**   - UPDATE/DELETE ... WHERE ... [ORDER BY id] [LIMIT n [OFFSET m]] (no
**     subquery over the table being changed: plain SQLite changes a real
**     table row by row and such a subquery sees the changed rows, while
**     on a virtual table it collects the rows first) and
**     INSERT (upserts of existing ids and keys) on both, then the full
**     tables are compared: live rows, and <table>_all (soft-deleted too).
**     Without ORDER BY a LIMIT may pick any matching rows: the rows remdb
**     changed must match the WHERE in the oracle's state before, be as
**     many as the LIMIT allows, and the oracle then changes the same ids.
**
** Aggregates shaped for the columnar executor (issue 11; gen_colagg):
** one table (or its _all twin), WHERE terms of a column against
** constants (=, <, IN, BETWEEN, IS [NOT] NULL, LIKE under AND/OR/NOT),
** GROUP BY columns, date(), strftime('%Y-%m'), substr(col, 1, N), by
** expression or result number, the aggregates it serves, HAVING, ORDER BY,
** LIMIT; and near misses that must fall back to SQLite.  --route sets
** remdb_options.sql_route (make test-diff forces the columnar route for
** its fixed seed, and the executor's row source for one random seed).
**
** Now and then a round indexes a field, or drops an index, of a table
** holding rows (a schema replace: remdb rebuilds the index), changes which
** of its columns have a columnar copy ("columnar": false,
** "columnar_fields"), or reindexes it (new dense row positions).
**
** Writes between the queries (issue 11; check_write): through the C API,
** inserts, merge-patch updates (a union column mostly changes the kind of
** its value), soft deletes, undeletes (an insert of a soft-deleted row's
** id or key), hard deletes of live or soft-deleted rows, batches of
** several (each seeing the ones before), and journaled batches flushed and
** then freed (rolled back: nothing changes); each applied to the oracle as
** remdb documents it, then the whole table (and its _all twin, deleted_at
** IS NULL included) is compared and a digest of one column (its values
** and counts, or its aggregates) is run on the executor's route.  Each
** round sets the columns' merge threshold (col_merge_rows, a test-only
** hook of src/core/columns.c) to 1..32 or the default (--merge-rows N
** fixes it), so commits fold deltas into segments all the time; the
** store is closed and reopened now and then with a column cache from
** 4 KiB up, a third of the statements go through a second handle on the
** same storage (remdb_open_tenant), and remdb_verify (columns against
** records both ways) runs after each reopening and at each round's end.
** --big-rows N gives table t0 of every round N..N*65/64 rows (loaded by
** a journaled batch flushed every 16384 rows), mostly of types the
** columnar copy holds, so that its rows span two 65536-row segments; such
** rounds run single-table aggregates, digests and writes (a quarter of
** those aimed at rows near the segment boundary), few SQL DML statements
** and no joins, TLP or NoREC over it.  The summary gives, for a sample of
** the columnar-shaped queries, the route EXPLAIN names: the columnar
** copy, the executor over rows (a union or object column), or SQLite.
** --threads N sets remdb_options.exec_threads (the executor's parallel
** scan: N workers over contiguous ranges of segments, merged in segment
** order, which promises the single thread's result bit for bit).  Each
** columnar-shaped query is then checked against plain SQLite and also run
** on one thread (exec_threads_force, a test-only hook of src/exec/run.c)
** and compared with the N threads' result exactly.  The big table gets a
** wide number column holding tenths, whose sums depend on the order of
** their adds (a merge out of order shows); as the oracle adds in its own
** row order (rowids, which upserts reorder), reals compare with it within
** 1e-12 in such runs.  A parallel scan needs two segments or more, so this
** is for --big-rows rounds (make test-diff runs one with --threads 2); the
** summary says how many sampled queries ran on several threads.
**
** Deterministic by seed (xorshift64*): the same seed gives the same
** statements, and each round has its own seed derived from it, so that
** --seed S --round R replays round R alone.  A mismatch prints the seed,
** the round, the schemas, the statement and both results, then a
** reproduction shrunk by dropping rows and WHERE terms while the mismatch
** persists, remdb's EXPLAIN of it, and the rows as a shell script for the
** remdb CLI and an SQL script for sqlite3.  A round ends at its first
** mismatch (the two sides may differ from then on).
**
** --avoid LIST (comma separated) stops generating the shapes of known
** bugs while their fixes land (all of these are fixed now; the classes
** stay, to replay a finding against an older build):
**   limit-colcol  a LIMIT/OFFSET on one table whose WHERE compares two of
**                 its columns (pushed-down LIMIT ignores such terms)
**   limit-huge    LIMIT and OFFSET whose sum overflows a 64-bit integer
**   real-big      integers above 2^53 in a number column (once indexed,
**                 the index holds the exact integer, SQL a rounded real)
**   insert-or     INSERT OR IGNORE/ABORT/FAIL/REPLACE, INSERT ... RETURNING
**   leftjoin-isnull  "x.c IS NULL" in the ON clause of a LEFT JOIN whose left
**                 table x has c indexed (x's rows are filtered by it); found
**                 by this generator, see tests/diff/FINDINGS.md
**   collate-join  WHERE comparisons with COLLATE in a query over several
**                 tables: SQLite 3.40.1 itself loses rows there when the
**                 tables are virtual (json_each and fts5 too), so remdb
**                 cannot match a native table; on by default in make test
**                 (tests/diff/FINDINGS.md F7)
**   update-object UPDATE ... SET c = '{...}' of an object column (the new
**                 object is merged into the old one); found by this
**                 generator, see tests/diff/FINDINGS.md
**
** Exit status: 0 when nothing differed, 1 on a mismatch, 2 on an error of
** the harness itself.
*/
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "remdb.h"

/* ---- utilities ------------------------------------------------------------ */

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "diffgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) die("out of memory");
  return p;
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (p == NULL) die("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s);
  char *p = xmalloc(n + 1);
  memcpy(p, s, n + 1);
  return p;
}

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_addf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_addn(b, tmp, (size_t)n);
    return;
  }
  char *big = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_addn(b, big, (size_t)n);
  free(big);
}

static char *sb_take(sbuf *b) {
  char *p = b->p ? b->p : xstrdup("");
  b->p = NULL;
  b->n = b->cap = 0;
  return p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- deterministic randomness (xorshift64*) ------------------------------- */

static uint64_t rng_state;

static uint64_t rnd64(void) {
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static int rn(int n) { return n <= 1 ? 0 : (int)(rnd64() % (uint64_t)n); }
static bool chance(int pct) { return rn(100) < pct; }

/* ---- options ------------------------------------------------------------- */

static bool avoid_limit_colcol, avoid_limit_huge, avoid_real_big,
    avoid_insert_or, avoid_leftjoin_isnull, avoid_update_object,
    avoid_collate_join;
static bool opt_verbose, opt_shrink = true;
static int opt_route = -1; /* remdb_options.sql_route, -1: the default */
static long n_colagg;      /* aggregates shaped for the columnar executor */
static int opt_max_mismatch = 3;

extern uint32_t col_merge_rows; /* src/core/columns.c (test-only hook) */
extern int exec_threads_force;  /* src/exec/run.c (test-only hook) */

static long n_writes, n_reopen, n_verify, n_rollback;
static long opt_merge = -1; /* --merge-rows N; -1: random per round */
static long opt_big;        /* --big-rows N: table t0 of each round */
static int opt_threads = -1; /* --threads N: remdb_options.exec_threads */
static long n_threaded;      /* sampled columnar queries run on threads */
static bool big_round;      /* this round has a table of opt_big rows */
static int64_t fresh_key;   /* keys of rows inserted by writes */

/* ---- values -------------------------------------------------------------- */

/* A property value as written to remdb (its JSON form). */
enum vkind { V_ABSENT, V_NULL, V_INT, V_REAL, V_STR, V_BOOL, V_JSON };

typedef struct val {
  enum vkind k;
  int64_t i; /* V_INT, V_BOOL */
  double d;  /* V_REAL */
  const char *s;
} val;

/* A value as SQL shows it. */
typedef struct sqlv {
  int t; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL, BLOB */
  int64_t i;
  double d;
  char *s;
  size_t n;
} sqlv;

static const int64_t int_small[] = {-5, -1, 0, 1, 2, 3, 4, 5, 7, 10, 42, 100};
static const int64_t int_edge[] = {0,
                                   1,
                                   -1,
                                   2147483647,
                                   2147483648LL,
                                   -2147483649LL,
                                   9007199254740992LL,
                                   9007199254740993LL,
                                   -9007199254740993LL,
                                   1000000000000000LL,
                                   INT64_MAX,
                                   INT64_MAX - 1,
                                   INT64_MIN,
                                   INT64_MIN + 1};
static const double real_small[] = {-0.0, 0.0,   0.5,  1.0,  2.5,   3.0,
                                    -1.5, 0.125, 10.0, 4.75, -20.25, 100.5};
static const double real_edge[] = {9007199254740992.0,
                                   9007199254740994.0,
                                   9223372036854775807.0,
                                   -9223372036854775808.0,
                                   1e-300,
                                   4.9406564584124654e-324,
                                   1e18,
                                   0.1,
                                   1e300,
                                   -1e300,
                                   1.7976931348623157e308,
                                   123456789.125,
                                   -0.0,
                                   2.0};
static const char *const str_pool[] = {
    "",    "a",    "A",     "abc", "ABC",  "a%b", "a_b", "%",    "_",   "ab",
    "b",   "B",    "é",     "É",   "日本", "😀",  "10",  "2",    "-1",  "1e3",
    " a",  "a ",   "NULL",  "x'y", "\\",   "a\\%", "zz", "0.5",  "Ab",  "aB",
    "ß",   "SS",   "a\tb",  "%%",  "__",   "ba",  "bA",  "~",    "ab ", "00",
    /* date-times, for date buckets (canonical, odd and invalid ones) */
    "2024-01-31T23:59:59.999999Z", "2024-02-01T00:00:00.000000Z",
    "2024-02-30T10:00:00.000000Z", "2024-12-00T00:00:00.000000Z",
    "2023-07-04", "9999-12-31T23:59:59.999999Z", "2024-01-15 08:30:00",
    "2024-01-31T23:59:59.999999Z"};

static int64_t pick_int(bool edge) {
  return edge && chance(60) ? int_edge[rn(sizeof int_edge / sizeof *int_edge)]
                            : int_small[rn(sizeof int_small / sizeof *int_small)];
}

static double pick_real(bool edge) {
  return edge && chance(60)
             ? real_edge[rn(sizeof real_edge / sizeof *real_edge)]
             : real_small[rn(sizeof real_small / sizeof *real_small)];
}

static const char *pick_str(void) {
  return str_pool[rn(sizeof str_pool / sizeof *str_pool)];
}

/* SQL literal text of a value (as remdb's SQL would present it: a boolean
** is 0 or 1). */
static void sql_lit(sbuf *b, const val *v) {
  switch (v->k) {
    case V_ABSENT:
    case V_NULL: sb_add(b, "NULL"); break;
    case V_BOOL: sb_add(b, v->i ? "1" : "0"); break;
    case V_INT:
      if (v->i == INT64_MIN) sb_add(b, "(-9223372036854775807-1)");
      else sb_addf(b, "%lld", (long long)v->i);
      break;
    case V_REAL: {
      char tmp[64];
      snprintf(tmp, sizeof tmp, "%.17g", v->d);
      if (!strpbrk(tmp, ".eni")) strcat(tmp, ".0");
      if (signbit(v->d) && v->d == 0) snprintf(tmp, sizeof tmp, "-0.0");
      /* 1.7976931348623157e308 prints back exactly; inf never occurs */
      sb_add(b, tmp);
      break;
    }
    case V_STR:
    case V_JSON:
      sb_add(b, "'");
      for (const char *s = v->s; *s; s++) {
        if (*s == '\'') sb_add(b, "'");
        sb_addn(b, s, 1);
      }
      sb_add(b, "'");
      break;
  }
}

static json_t *val_json(const val *v) {
  switch (v->k) {
    case V_NULL: return json_null();
    case V_BOOL: return json_boolean(v->i);
    case V_INT: return json_integer(v->i);
    case V_REAL: return json_real(v->d);
    case V_STR: return json_string(v->s);
    case V_JSON: return json_loads(v->s, JSON_DECODE_ANY, NULL);
    default: return NULL;
  }
}

/* ---- schema -------------------------------------------------------------- */

enum { J_INT = 1, J_NUM = 2, J_STR = 4, J_BOOL = 8, J_NULL = 16, J_OBJ = 32,
       J_ARR = 64, J_TIME = 128 /* a string of format date-time */ };

/* date-time values as written, and as remdb stores them (canonical: the
** columns hold them as microseconds); the first ones are canonical */
static const char *const time_pool[][2] = {
    {"2024-01-31T23:59:59.999999Z", NULL},
    {"2024-02-01T00:00:00.000000Z", NULL},
    {"2024-02-29T12:00:00.000000Z", NULL},
    {"2024-01-15T08:30:00.000000Z", NULL},
    {"2023-12-31T23:59:59.000000Z", NULL},
    {"1970-01-01T00:00:00.000000Z", NULL},
    {"1969-12-31T23:59:59.999999Z", NULL},
    {"2024-03-01T00:00:00.000001Z", NULL},
    {"2024-01-15T08:30:00Z", "2024-01-15T08:30:00.000000Z"},
    {"2024-01-15T10:30:00+02:00", "2024-01-15T08:30:00.000000Z"},
    {"2024-02-01t00:00:00.5z", "2024-02-01T00:00:00.500000Z"},
    {"2024-01-01T00:30:00-01:30", "2024-01-01T02:00:00.000000Z"},
    {"2024-02-29T23:59:59.9999999Z", "2024-02-29T23:59:59.999999Z"},
    {"1900-03-01T00:00:00Z", "1900-03-01T00:00:00.000000Z"},
    {"9999-12-31T23:59:59.999999Z", NULL},
    {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"}};
#define N_TIME_CANON 8
#define N_TIME ((int)(sizeof time_pool / sizeof *time_pool))

static const char *pick_time(bool edge) {
  return time_pool[edge ? rn(N_TIME) : rn(N_TIME_CANON)][0];
}

/* The canonical form of a date-time of the pool (others as they are). */
static const char *time_canon(const char *s) {
  for (int i = 0; i < N_TIME; i++)
    if (!strcmp(s, time_pool[i][0]) && time_pool[i][1]) return time_pool[i][1];
  return s;
}

typedef struct col {
  char name[8];
  unsigned types; /* J_* bits; 0: untyped (any JSON value) */
  bool indexed, key, required;
  bool edge;      /* draws from the edge pools (else: small, exact sums) */
  bool wide;      /* (big tables) mostly wide values: integers up to 2^32,
                  ** reals in quarters up to 2^30, 100000 distinct strings:
                  ** wide bit packing and large dictionaries */
  char aff;       /* remdb's declared type: 'I', 'R', 'T' or 0 (none) */
} col;

typedef struct tab {
  char name[16];
  col cols[8];
  int ncol;
  int key; /* index of the key_field column, or -1 */
  int colmode;      /* 0: columnar (the default), 1: "columnar": false,
                    ** 2: "columnar_fields": the columns of colmask */
  unsigned colmask;
} tab;

/* Can a column be listed in columnar_fields (a scalar of one type)? */
static bool col_scalar(const col *c) {
  unsigned t = c->types & ~(unsigned)J_NULL;
  return t == J_INT || t == J_NUM || t == J_STR || t == J_BOOL ||
         t == J_TIME || t == (J_INT | J_NUM);
}

/* The SQL name of a table, or of its _all twin. */
static const char *tname(const tab *t, bool all) {
  static char buf[4][24];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s%s", t->name, all ? "_all" : "");
  return buf[k];
}

typedef struct world {
  remdb *db;
  sqlite3 *ora;
  char dir[512];
  tab tabs[3];
  int ntab;
  uint64_t round;
  int uuid_counter;
  remdb_options opts; /* for reopening */
  remdb *db2;         /* a second handle on the same storage */
  unsigned long nrun;
} world;

static const unsigned type_choices[] = {
    J_INT,          J_INT | J_NULL,         J_NUM,
    J_NUM | J_NULL, J_STR,                  J_STR | J_NULL,
    J_BOOL,         J_BOOL | J_NULL,        J_INT | J_STR,
    J_INT | J_STR | J_NULL, J_INT | J_NUM,  J_NUM | J_STR | J_NULL,
    0,              J_INT | J_NUM | J_NULL, J_BOOL | J_INT,
    J_OBJ | J_NULL, J_ARR,                  J_OBJ | J_ARR | J_STR,
    J_TIME,         J_TIME | J_NULL,        J_TIME | J_NULL};

static json_t *types_json(unsigned t) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{J_INT, "integer"}, {J_NUM, "number"}, {J_STR, "string"},
               {J_TIME, "string"},
               {J_BOOL, "boolean"}, {J_OBJ, "object"}, {J_ARR, "array"},
               {J_NULL, "null"}};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (t & names[i].bit) json_array_append_new(a, json_string(names[i].name));
  if (json_array_size(a) == 1) {
    json_t *one = json_incref(json_array_get(a, 0));
    json_decref(a);
    return one;
  }
  return a;
}

static char *schema_text(const tab *t) {
  json_t *doc = json_object(), *props = json_object(), *idx = json_array(),
         *req = json_array();
  json_object_set_new(doc, "name", json_string(t->name));
  for (int i = 0; i < t->ncol; i++) {
    const col *c = &t->cols[i];
    json_t *p = json_object();
    if (c->types) json_object_set_new(p, "type", types_json(c->types));
    if (c->types & J_TIME)
      json_object_set_new(p, "format", json_string("date-time"));
    json_object_set_new(props, c->name, p);
    if (c->indexed) json_array_append_new(idx, json_string(c->name));
    if (c->required) json_array_append_new(req, json_string(c->name));
  }
  json_object_set_new(doc, "properties", props);
  if (json_array_size(idx)) json_object_set_new(doc, "indexed_fields", idx);
  else json_decref(idx);
  if (json_array_size(req)) json_object_set_new(doc, "required", req);
  else json_decref(req);
  if (t->key >= 0)
    json_object_set_new(doc, "key_field", json_string(t->cols[t->key].name));
  if (t->colmode == 1) json_object_set_new(doc, "columnar", json_false());
  if (t->colmode == 2) {
    json_t *cf = json_array();
    for (int i = 0; i < t->ncol; i++)
      if ((t->colmask >> i & 1) && col_scalar(&t->cols[i]))
        json_array_append_new(cf, json_string(t->cols[i].name));
    json_object_set_new(doc, "columnar_fields", cf);
  }
  char *s = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return s;
}

static void gen_schema(world *w) {
  w->ntab = 1 + rn(3);
  for (int ti = 0; ti < w->ntab; ti++) {
    tab *t = &w->tabs[ti];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "t%d", ti % 10);
    t->ncol = 2 + rn(5);
    t->key = -1;
    for (int i = 0; i < t->ncol; i++) {
      col *c = &t->cols[i];
      snprintf(c->name, sizeof c->name, "%c", 'a' + i);
      c->types = type_choices[rn(sizeof type_choices / sizeof *type_choices)];
      /* the big table: mostly types the columnar copy holds exactly (a
      ** union or an object column is read from the rows) */
      static const unsigned col_types[] = {J_INT, J_INT | J_NULL, J_NUM | J_NULL,
                                           J_STR, J_STR | J_NULL, J_BOOL | J_NULL,
                                           J_TIME, J_TIME | J_NULL};
      if (big_round && ti == 0 && chance(85)) c->types = col_types[rn(8)];
      c->wide = big_round && ti == 0 && chance(50);
      c->indexed = chance(45);
      c->edge = chance(50);
    }
    /* a key_field: a required string or integer column */
    if (chance(25)) {
      int k = rn(t->ncol);
      col *c = &t->cols[k];
      c->types = chance(50) ? J_STR : J_INT;
      c->required = true;
      c->key = true;
      t->key = k;
    }
    /* --threads: the big table gets a wide number column (sums of tenths
    ** depend on the order of their adds, which the parallel scan's merge
    ** must keep) */
    if (big_round && ti == 0 && opt_threads > 1) {
      bool num = false;
      for (int i = 0; i < t->ncol; i++)
        num |= (t->cols[i].types & J_NUM) && t->cols[i].wide &&
               !t->cols[i].edge;
      int k = rn(t->ncol);
      if (!num && k != t->key) {
        t->cols[k].types = J_NUM | J_NULL;
        t->cols[k].wide = true;
        t->cols[k].edge = false;
      }
    }
    /* no columnar copy, or one of some columns (issue 11) */
    int cm = rn(100);
    t->colmode = cm < 8 ? 1 : cm < 20 ? 2 : 0;
    t->colmask = (unsigned)rn(256);
  }
}

/* The declared type of each column, from remdb's own table_info. */
static void read_affinities(world *w, tab *t) {
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", t->name);
  remdb_stmt *st;
  if (remdb_prepare(w->db, sql, strlen(sql), &st, NULL) || st == NULL)
    die("table_info %s: %s", t->name, remdb_errmsg(w->db));
  while (remdb_step(st) == REMDB_ROW) {
    const char *name = remdb_column_text(st, 1, NULL);
    const char *type = remdb_column_text(st, 2, NULL);
    for (int i = 0; i < t->ncol; i++)
      if (name && strcmp(name, t->cols[i].name) == 0)
        t->cols[i].aff = type == NULL    ? 0
                         : !strcmp(type, "INTEGER") ? 'I'
                         : !strcmp(type, "REAL")    ? 'R'
                         : !strcmp(type, "TEXT")    ? 'T'
                                                    : 0;
  }
  remdb_finalize(st);
}

static const char *aff_decl(char a) {
  return a == 'I' ? " INTEGER" : a == 'R' ? " REAL" : a == 'T' ? " TEXT" : "";
}

/* ---- running statements ------------------------------------------------- */

typedef struct result {
  bool error;
  char *msg;
  int ncol;
  size_t nrows;
  sqlv *cells; /* nrows * ncol */
} result;

static void result_free(result *r) {
  for (size_t i = 0; i < r->nrows * (size_t)r->ncol; i++) free(r->cells[i].s);
  free(r->cells);
  free(r->msg);
  memset(r, 0, sizeof *r);
}

/* Bound parameters of a statement: ?1 .. ?n. */
typedef struct params {
  val v[16];
  int n;
} params;

static void ora_bind(sqlite3_stmt *st, int i, const val *v) {
  switch (v->k) {
    case V_ABSENT:
    case V_NULL: sqlite3_bind_null(st, i); break;
    case V_BOOL:
    case V_INT: sqlite3_bind_int64(st, i, v->i); break;
    case V_REAL: sqlite3_bind_double(st, i, v->d); break;
    case V_STR:
    case V_JSON: sqlite3_bind_text(st, i, v->s, -1, SQLITE_TRANSIENT); break;
  }
}

static void rdb_bind(remdb_stmt *st, int i, const val *v) {
  switch (v->k) {
    case V_ABSENT:
    case V_NULL: remdb_bind_null(st, i); break;
    case V_BOOL:
    case V_INT: remdb_bind_int64(st, i, v->i); break;
    case V_REAL: remdb_bind_double(st, i, v->d); break;
    case V_STR:
    case V_JSON: remdb_bind_text(st, i, v->s, strlen(v->s)); break;
  }
}

/* Room for one more row. */
static void grow_row(result *r, size_t *cap) {
  size_t need = (r->nrows + 1) * (size_t)r->ncol;
  if (need <= *cap) return;
  *cap = *cap ? *cap * 2 : 64;
  while (*cap < need) *cap *= 2;
  r->cells = xrealloc(r->cells, *cap * sizeof *r->cells);
}

static void run_remdb(world *w, const char *sql, const params *p, result *r) {
  memset(r, 0, sizeof *r);
  remdb_stmt *st = NULL;
  /* now and then through the second handle on the same storage (its
  ** catalog and column cache must follow the first's writes) */
  remdb *db = w->db2 && (++w->nrun % 3) == 0 ? w->db2 : w->db;
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) {
    r->error = true;
    r->msg = xstrdup(remdb_errmsg(db));
    return;
  }
  if (st == NULL) return;
  for (int i = 0; p && i < p->n; i++) rdb_bind(st, i + 1, &p->v[i]);
  r->ncol = remdb_column_count(st);
  size_t cap = 0;
  int rc;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    grow_row(r, &cap);
    for (int i = 0; i < r->ncol; i++) {
      sqlv c = {.t = remdb_column_type(st, i)};
      if (c.t == REMDB_INTEGER) c.i = remdb_column_int64(st, i);
      else if (c.t == REMDB_FLOAT) c.d = remdb_column_double(st, i);
      else if (c.t == REMDB_TEXT || c.t == REMDB_BLOB) {
        const char *s = remdb_column_text(st, i, &c.n);
        c.s = xmalloc(c.n + 1);
        memcpy(c.s, s ? s : "", c.n);
        c.s[c.n] = 0;
      }
      r->cells[r->nrows * (size_t)r->ncol + (size_t)i] = c;
    }
    r->nrows++;
  }
  if (rc != REMDB_DONE) {
    r->error = true;
    r->msg = xstrdup(remdb_errmsg(db));
  }
  remdb_finalize(st);
}

static void run_ora(world *w, const char *sql, const params *p, result *r) {
  memset(r, 0, sizeof *r);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(w->ora, sql, -1, &st, NULL) != SQLITE_OK) {
    r->error = true;
    r->msg = xstrdup(sqlite3_errmsg(w->ora));
    return;
  }
  if (st == NULL) return;
  for (int i = 0; p && i < p->n; i++) ora_bind(st, i + 1, &p->v[i]);
  r->ncol = sqlite3_column_count(st);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    grow_row(r, &cap);
    for (int i = 0; i < r->ncol; i++) {
      sqlv c = {.t = sqlite3_column_type(st, i)};
      if (c.t == SQLITE_INTEGER) c.i = sqlite3_column_int64(st, i);
      else if (c.t == SQLITE_FLOAT) c.d = sqlite3_column_double(st, i);
      else if (c.t == SQLITE_TEXT || c.t == SQLITE_BLOB) {
        const char *s = (const char *)sqlite3_column_text(st, i);
        c.n = (size_t)sqlite3_column_bytes(st, i);
        c.s = xmalloc(c.n + 1);
        memcpy(c.s, s ? s : "", c.n);
        c.s[c.n] = 0;
      }
      r->cells[r->nrows * (size_t)r->ncol + (size_t)i] = c;
    }
    r->nrows++;
  }
  if (rc != SQLITE_DONE) {
    r->error = true;
    r->msg = xstrdup(sqlite3_errmsg(w->ora));
  }
  sqlite3_finalize(st);
}

static void ora_exec(world *w, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(w->ora, sql, NULL, NULL, &err) != SQLITE_OK)
    die("oracle: %s: %s", sql, err);
}

/* ---- comparing results -------------------------------------------------- */

/* int vs real, exactly (as SQLite compares them) */
static int int_real_cmp(int64_t i, double r) {
  if (isnan(r)) return 1;
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  int64_t y = (int64_t)r; /* toward zero */
  if (i != y) return i < y ? -1 : 1;
  double f = r - (double)y;
  return f > 0 ? -1 : f < 0 ? 1 : 0;
}

static int type_rank(int t) {
  return t == SQLITE_NULL ? 0 : t == SQLITE_INTEGER || t == SQLITE_FLOAT ? 1
         : t == SQLITE_TEXT ? 2 : 3;
}

/* SQL's order: NULL, numbers (integers and reals compared by value; -0.0
** equals 0.0), text, blobs. */
static int cell_cmp_sql(const sqlv *a, const sqlv *b) {
  int ra = type_rank(a->t), rb = type_rank(b->t);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 1:
      if (a->t == SQLITE_INTEGER && b->t == SQLITE_INTEGER)
        return a->i < b->i ? -1 : a->i > b->i;
      if (a->t == SQLITE_FLOAT && b->t == SQLITE_FLOAT)
        return a->d < b->d ? -1 : a->d > b->d ? 1 : 0;
      if (a->t == SQLITE_INTEGER) return int_real_cmp(a->i, b->d);
      return -int_real_cmp(b->i, a->d);
    case 2:
    case 3: {
      size_t n = a->n < b->n ? a->n : b->n;
      int c = memcmp(a->s, b->s, n);
      return c ? c : a->n < b->n ? -1 : a->n > b->n;
    }
    default: return 0;
  }
}

/* Loose results (DISTINCT, GROUP BY, aggregates): SQL may keep either of
** two equal values (1 or 1.0) as the representative. */
static bool loose_cmp;

/* A total order: SQL's, then the storage type (unless loose). */
static int cell_cmp(const sqlv *a, const sqlv *b) {
  int c = cell_cmp_sql(a, b);
  if (c || loose_cmp || a->t == b->t) return c;
  return a->t < b->t ? -1 : 1;
}

static int sort_ncol;
static int row_cmp(const void *x, const void *y) {
  const sqlv *a = x, *b = y;
  for (int i = 0; i < sort_ncol; i++) {
    int c = cell_cmp(&a[i], &b[i]);
    if (c) return c;
  }
  return 0;
}

static void sort_rows(result *r) {
  if (r->nrows < 2 || r->ncol == 0) return;
  sort_ncol = r->ncol;
  qsort(r->cells, r->nrows, (size_t)r->ncol * sizeof *r->cells, row_cmp);
}

enum cmpmode { CMP_MULTISET, CMP_ORDERED, CMP_SUBSET };

/* --threads: sums of tenths, added in remdb's row order (positions) and
** the oracle's (rowids, which upserts reorder), may differ in their last
** bits; against the oracle such reals compare within 1e-12 (relative),
** while the threads are compared with one thread exactly (check_query). */
static bool real_tol;
static bool cell_same(const sqlv *a, const sqlv *b) {
  if (cell_cmp(a, b) == 0) return true;
  if (!real_tol || a->t != SQLITE_FLOAT || b->t != SQLITE_FLOAT) return false;
  double m = fabs(a->d) > fabs(b->d) ? fabs(a->d) : fabs(b->d);
  return fabs(a->d - b->d) <= m * 1e-12;
}

static bool same_rows(const result *a, const result *b) {
  if (a->ncol != b->ncol || a->nrows != b->nrows) return false;
  for (size_t i = 0; i < a->nrows * (size_t)a->ncol; i++)
    if (!cell_same(&a->cells[i], &b->cells[i])) return false;
  return true;
}

static bool row_sql_equal(const sqlv *x, const sqlv *y, int ncol) {
  for (int i = 0; i < ncol; i++)
    if (cell_cmp_sql(&x[i], &y[i]) != 0) return false;
  return true;
}

/* Ordered results: the same sequence, except that rows SQL sees as equal
** (1 and 1.0) may come in either order. */
static bool same_ordered(result *a, result *b) {
  if (a->ncol != b->ncol || a->nrows != b->nrows) return false;
  size_t nc = (size_t)a->ncol;
  sort_ncol = a->ncol;
  for (size_t i = 0; i < a->nrows;) {
    size_t j = i + 1;
    while (j < a->nrows &&
           row_sql_equal(&a->cells[i * nc], &a->cells[j * nc], a->ncol))
      j++;
    if (j - i > 1) { /* a run of ties: compare it as a multiset */
      for (size_t k = i; k < j; k++)
        if (!row_sql_equal(&a->cells[i * nc], &b->cells[k * nc], a->ncol))
          return false;
      qsort(&a->cells[i * nc], j - i, nc * sizeof *a->cells, row_cmp);
      qsort(&b->cells[i * nc], j - i, nc * sizeof *b->cells, row_cmp);
    }
    for (size_t k = i * nc; k < j * nc; k++)
      if (!cell_same(&a->cells[k], &b->cells[k])) return false;
    i = j;
  }
  return true;
}

/* Is every row of sub (sorted) in sup (sorted), counting repeats? */
static bool sub_multiset(const result *sub, const result *sup) {
  if (sub->ncol != sup->ncol) return false;
  if (real_tol) { /* reals within the tolerance: each row matched to an
                  ** unused one by cell_same (a LIMIT's few rows) */
    bool *used = xmalloc(sup->nrows ? sup->nrows : 1);
    memset(used, 0, sup->nrows ? sup->nrows : 1);
    bool ok = true;
    for (size_t i = 0; ok && i < sub->nrows; i++) {
      const sqlv *r = &sub->cells[i * (size_t)sub->ncol];
      size_t j = 0;
      for (; j < sup->nrows; j++) {
        if (used[j]) continue;
        const sqlv *c = &sup->cells[j * (size_t)sup->ncol];
        int k = 0;
        while (k < sub->ncol && cell_same(&c[k], &r[k])) k++;
        if (k == sub->ncol) break;
      }
      if (j < sup->nrows) used[j] = true;
      else ok = false;
    }
    free(used);
    return ok;
  }
  size_t j = 0;
  sort_ncol = sub->ncol;
  for (size_t i = 0; i < sub->nrows; i++) {
    const sqlv *r = &sub->cells[i * (size_t)sub->ncol];
    while (j < sup->nrows && row_cmp(&sup->cells[j * (size_t)sup->ncol], r) < 0)
      j++;
    if (j >= sup->nrows || row_cmp(&sup->cells[j * (size_t)sup->ncol], r) != 0)
      return false;
    j++;
  }
  return true;
}

static void print_cell(FILE *o, const sqlv *c) {
  switch (c->t) {
    case SQLITE_INTEGER: fprintf(o, "%lld", (long long)c->i); break;
    case SQLITE_FLOAT: fprintf(o, "%.17gr", c->d); break;
    case SQLITE_TEXT: fprintf(o, "'%s'", c->s); break;
    case SQLITE_BLOB: fprintf(o, "x'...'(%zu)", c->n); break;
    default: fprintf(o, "NULL");
  }
}

static void print_result(FILE *o, const char *who, const result *r) {
  fprintf(o, "  %s: ", who);
  if (r->error) {
    fprintf(o, "error: %s\n", r->msg);
    return;
  }
  fprintf(o, "%zu rows\n", r->nrows);
  for (size_t i = 0; i < r->nrows && i < 20; i++) {
    fprintf(o, "    (");
    for (int j = 0; j < r->ncol; j++) {
      if (j) fprintf(o, ", ");
      print_cell(o, &r->cells[i * (size_t)r->ncol + (size_t)j]);
    }
    fprintf(o, ")\n");
  }
  if (r->nrows > 20) fprintf(o, "    ...\n");
}

/* ---- tables: create, fill, read back ------------------------------------- */

/* deleted_at of a soft-deleted row in the oracle's _all twin (remdb's is
** the time of the delete: queries only test it for NULL) */
#define ORA_DELETED_AT "2000-01-01T00:00:00.000000Z"

static void drop_all(world *w) {
  char *list = NULL;
  if (remdb_schema_list(w->db, &list) == REMDB_OK) {
    json_t *a = json_loads(list, 0, NULL);
    size_t i;
    json_t *n;
    json_array_foreach(a, i, n) {
      if (remdb_schema_drop(w->db, json_string_value(n)) != REMDB_OK)
        die("schema drop: %s", remdb_errmsg(w->db));
    }
    json_decref(a);
  }
  remdb_free(list);
  for (int i = 0; i < 3; i++) {
    char sql[96];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS t%d; DROP TABLE IF EXISTS "
             "t%d_all", i, i);
    ora_exec(w, sql);
  }
}

static void create_tables(world *w) {
  drop_all(w);
  for (int ti = 0; ti < w->ntab; ti++) {
    tab *t = &w->tabs[ti];
    char *js = schema_text(t);
    if (remdb_schema_put(w->db, js, strlen(js)) != REMDB_OK)
      die("schema put %s: %s", js, remdb_errmsg(w->db));
    free(js);
    read_affinities(w, t);
    /* the oracle: the table, and its _all twin kept by triggers (a row
    ** deleted from the table stays in the twin, as a soft delete does) */
    sbuf b = {0};
    for (int k = 0; k < 2; k++) {
      sb_addf(&b, "CREATE TABLE %s(id TEXT PRIMARY KEY", tname(t, k));
      for (int i = 0; i < t->ncol; i++)
        sb_addf(&b, ", %s%s", t->cols[i].name, aff_decl(t->cols[i].aff));
      sb_add(&b, k ? ", deleted_at TEXT);" : ");");
    }
    /* deleted_at of the twin: NULL while live, a time once soft-deleted
    ** (remdb's holds the time: only its NULLness is compared) */
    sb_addf(&b, "CREATE TRIGGER %s_d AFTER DELETE ON %s BEGIN UPDATE %s_all "
            "SET deleted_at = '%s' WHERE id = OLD.id; END;", t->name, t->name,
            t->name, ORA_DELETED_AT);
    sb_addf(&b, "CREATE TRIGGER %s_i AFTER INSERT ON %s BEGIN INSERT OR REPLACE "
            "INTO %s_all VALUES(NEW.id", t->name, t->name, t->name);
    for (int i = 0; i < t->ncol; i++) sb_addf(&b, ", NEW.%s", t->cols[i].name);
    sb_addf(&b, ", NULL); END; CREATE TRIGGER %s_u AFTER UPDATE ON %s BEGIN UPDATE "
            "%s_all SET ", t->name, t->name, t->name);
    for (int i = 0; i < t->ncol; i++)
      sb_addf(&b, "%s%s = NEW.%s", i ? ", " : "", t->cols[i].name,
              t->cols[i].name);
    sb_add(&b, " WHERE id = NEW.id; END;");
    ora_exec(w, b.p);
    free(b.p);
  }
}

/* A random value for column c (valid for its schema). */
static val gen_val(const tab *t, const col *c, bool for_row) {
  val v = {.k = V_ABSENT};
  if (for_row && !c->required && chance(8)) return v;
  unsigned ty = c->types;
  if ((ty & J_NULL) && chance(12)) {
    v.k = V_NULL;
    return v;
  }
  unsigned opts[8];
  int n = 0;
  if (ty == 0) {
    opts[n++] = J_INT;
    opts[n++] = J_NUM;
    opts[n++] = J_STR;
    opts[n++] = J_BOOL;
  } else {
    static const unsigned bits[] = {J_INT, J_NUM, J_STR, J_BOOL, J_OBJ, J_ARR,
                                    J_TIME};
    for (size_t i = 0; i < sizeof bits / sizeof *bits; i++)
      if (ty & bits[i]) opts[n++] = bits[i];
  }
  if (n == 0) {
    v.k = V_NULL;
    return v;
  }
  unsigned pick = opts[rn(n)];
  if (c->wide && chance(70)) {
    static char (*wide)[16];
    if (wide == NULL) {
      wide = xmalloc(100000 * sizeof *wide);
      for (int i = 0; i < 100000; i++) snprintf(wide[i], 16, "w%05d", i);
    }
    if (pick == J_INT) {
      v.k = V_INT;
      v.i = (int64_t)(rnd64() >> (32 + rn(32))) * (chance(20) ? -1 : 1);
      return v;
    }
    if (pick == J_NUM) {
      /* quarters sum exactly in any order; with --threads, tenths too,
      ** which do not, so that a sum the parallel scan adds in another
      ** order than one thread's shows */
      v.k = V_REAL;
      v.d = (double)(rnd64() >> (34 + rn(30))) /
            (opt_threads > 1 && chance(50) ? 10.0 : 4.0);
      return v;
    }
    if (pick == J_STR) {
      v.k = V_STR;
      v.s = wide[rn(100000)];
      return v;
    }
  }
  switch (pick) {
    case J_INT:
      v.k = V_INT;
      v.i = pick_int(c->edge);
      /* known bug (issue 9): an indexed number column above 2^53 (any
      ** number column: a round may index it later) */
      if (avoid_real_big && c->aff == 'R' &&
          (v.i > (1LL << 53) || v.i < -(1LL << 53)))
        v.i = 7;
      /* an integer column given 3.0 stores the integer 3 */
      if (!(ty & J_NUM) && ty != 0 && chance(5)) {
        v.k = V_REAL;
        v.d = (double)pick_int(false);
      }
      break;
    case J_NUM:
      v.k = V_REAL;
      v.d = pick_real(c->edge);
      break;
    case J_STR:
      v.k = V_STR;
      v.s = pick_str();
      break;
    case J_TIME:
      v.k = V_STR;
      v.s = pick_time(c->edge);
      break;
    case J_OBJ:
    case J_ARR: {
      /* written compact, as remdb's SQL shows an object or array */
      static const char *const objs[] = {"{}", "{\"a\":1}", "{\"b\":[true,null]}",
                                         "{\"k\":\"_\"}", "{\"a\":\"é%\"}"};
      static const char *const arrs[] = {"[]", "[1,2.5,\"é\"]", "[{\"x\":\"%\"}]",
                                         "[null]", "[\"a\",\"A\"]"};
      v.k = V_JSON;
      v.s = pick == J_OBJ ? objs[rn(5)] : arrs[rn(5)];
      break;
    }
    default:
      v.k = V_BOOL;
      v.i = chance(50);
      break;
  }
  (void)t;
  return v;
}

/* The value remdb's SQL presents for v in column c. */
static val present(const col *c, val v) {
  if (v.k == V_ABSENT) v.k = V_NULL;
  if (v.k == V_JSON) v.k = V_STR; /* shown as its compact text */
  if (v.k == V_STR && (c->types & J_TIME)) v.s = time_canon(v.s);
  if (v.k == V_BOOL) v.k = V_INT;
  if (v.k == V_INT && c->aff == 'R') {
    v.k = V_REAL;
    v.d = (double)v.i;
  } else if (v.k == V_REAL && c->types && (c->types & J_INT) &&
             !(c->types & J_NUM) && v.d == nearbyint(v.d) &&
             v.d >= -9.2233720368547758e18 && v.d < 9.2233720368547758e18) {
    v.k = V_INT; /* JSON Schema: 3.0 is an integer */
    v.i = (int64_t)v.d;
  }
  return v;
}

static void gen_uuid(world *w, char out[37]) {
  uint64_t a = rnd64(), b = rnd64();
  snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(a >> 32),
           (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
           (unsigned)(b >> 48) & 0xfff,
           (unsigned long long)(b & 0xffffffffffffull));
  w->uuid_counter++;
}

/* Insert the row vals (t->ncol values) into the oracle under id, replacing
** a row of the same id. */
static void ora_insert(world *w, const tab *t, const char *id, const val *vals) {
  sbuf b = {0};
  sb_addf(&b, "INSERT OR REPLACE INTO %s(id", t->name);
  for (int i = 0; i < t->ncol; i++) sb_addf(&b, ", %s", t->cols[i].name);
  sb_add(&b, ") VALUES(?1");
  for (int i = 0; i < t->ncol; i++) sb_addf(&b, ", ?%d", i + 2);
  sb_add(&b, ")");
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(w->ora, b.p, -1, &st, NULL) != SQLITE_OK)
    die("oracle insert: %s", sqlite3_errmsg(w->ora));
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  for (int i = 0; i < t->ncol; i++) {
    val p = present(&t->cols[i], vals[i]);
    ora_bind(st, i + 2, &p);
  }
  if (sqlite3_step(st) != SQLITE_DONE)
    die("oracle insert: %s", sqlite3_errmsg(w->ora));
  sqlite3_finalize(st);
  free(b.p);
}

static char *row_json_text(const tab *t, const char *id, const val *vals) {
  json_t *o = json_object();
  if (id) json_object_set_new(o, "id", json_string(id));
  for (int i = 0; i < t->ncol; i++) {
    json_t *j = val_json(&vals[i]);
    if (j) json_object_set_new(o, t->cols[i].name, j);
  }
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return s;
}

/* Insert one row into both; the id is remdb's.  Returns false if remdb
** refused it (then the oracle is left alone). */
static bool insert_row(world *w, tab *t, const val *vals, remdb_batch *batch) {
  char id[REMDB_ID_LEN + 1] = "";
  int how = rn(10);
  if (how < 6 || batch) {
    char *js = row_json_text(t, NULL, vals);
    int rc = batch ? remdb_batch_insert(batch, t->name, js, strlen(js), id)
                   : remdb_insert(w->db, t->name, js, strlen(js), id);
    if (rc != REMDB_OK)
      die("insert %s into %s: %s", js, t->name, remdb_errmsg(w->db));
    free(js);
  } else {
    /* SQL INSERT with bound values, and the id given unless keyed */
    if (t->key < 0) gen_uuid(w, id);
    sbuf b = {0};
    params p = {.n = 0};
    sb_addf(&b, "INSERT INTO %s(", t->name);
    bool first = true;
    if (t->key < 0) {
      sb_add(&b, "id");
      p.v[p.n++] = (val){.k = V_STR, .s = id};
      first = false;
    }
    for (int i = 0; i < t->ncol; i++) {
      if (vals[i].k == V_ABSENT && chance(50)) continue;
      sb_addf(&b, "%s%s", first ? "" : ", ", t->cols[i].name);
      first = false;
      p.v[p.n++] = vals[i];
    }
    sb_add(&b, ") VALUES(");
    for (int i = 0; i < p.n; i++) sb_addf(&b, "%s?%d", i ? ", " : "", i + 1);
    sb_add(&b, ")");
    result r;
    run_remdb(w, b.p, &p, &r);
    if (r.error) die("%s: %s", b.p, r.msg);
    result_free(&r);
    free(b.p);
    if (t->key >= 0) {
      /* the derived id: look it up by the key */
      params q = {.n = 1};
      q.v[0] = vals[t->key];
      char sql[96];
      snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1", t->name,
               t->cols[t->key].name);
      run_remdb(w, sql, &q, &r);
      if (r.error || r.nrows != 1) die("key lookup failed");
      snprintf(id, sizeof id, "%s", r.cells[0].s);
      result_free(&r);
    }
  }
  ora_insert(w, t, id, vals);
  return true;
}

/* ---- the generator of statements ----------------------------------------- */

typedef struct from_item {
  const tab *t;
  bool all; /* <table>_all: soft-deleted rows too */
  char alias[24];
} from_item;


typedef struct gctx {
  world *w;
  from_item from[3];
  int nfrom;
  params *p;
  bool single_col; /* atoms may reference one column only */
  const tab *no_sub; /* subqueries must not read this table (DML target) */
  bool left_on;      /* generating the ON clause of a LEFT JOIN */
  int depth;       /* subquery nesting */
} gctx;

typedef struct colref {
  const from_item *f;
  const col *c; /* NULL: the id column */
} colref;

static colref pick_col(gctx *g) {
  colref r;
  r.f = &g->from[rn(g->nfrom)];
  r.c = chance(6) ? NULL : &r.f->t->cols[rn(r.f->t->ncol)];
  return r;
}

static void emit_col(gctx *g, sbuf *b, colref r) {
  if (g->nfrom > 1 || g->depth > 0 || chance(30))
    sb_addf(b, "%s.", r.f->alias);
  sb_add(b, r.c ? r.c->name : "id");
}

/* A literal near column c's values (sometimes of another type). */
static val lit_for(gctx *g, const col *c) {
  val v;
  if (c == NULL) { /* id: an existing one (picked by the caller) or not */
    v.k = V_STR;
    v.s = pick_str();
    return v;
  }
  if (chance(15)) {
    col any = {.types = 0, .edge = chance(50)};
    v = gen_val(NULL, &any, false);
  } else {
    v = gen_val(NULL, c, false);
    if (v.k == V_ABSENT) v.k = V_NULL;
  }
  (void)g;
  return v;
}

static void emit_val(gctx *g, sbuf *b, val v) {
  if (g->p && g->p->n < 16 && chance(20)) {
    g->p->v[g->p->n++] = v;
    sb_addf(b, "?%d", g->p->n);
  } else {
    sql_lit(b, &v);
  }
}

/* an id that exists, or a made-up one */
static void emit_id_lit(gctx *g, sbuf *b, const from_item *f) {
  char sql[64];
  snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY id", tname(f->t, f->all));
  result r;
  run_ora(g->w, sql, NULL, &r);
  if (r.nrows > 0 && chance(80)) {
    sb_addf(b, "'%s'", r.cells[(size_t)rn((int)r.nrows)].s);
  } else {
    char id[37];
    gen_uuid(g->w, id);
    sb_addf(b, "'%s'", id);
  }
  result_free(&r);
}

static const char *const cmp_ops[] = {"=", "==", "<>", "!=", "<",
                                      "<=", ">", ">=", "IS", "IS NOT"};

static void gen_pred(gctx *g, sbuf *b, int depth);

/* A table for a subquery, or NULL if none may be read. */
static const tab *sub_table(gctx *g) {
  const tab *t = &g->w->tabs[rn(g->w->ntab)];
  for (int i = 0; t == g->no_sub && i < g->w->ntab; i++)
    t = &g->w->tabs[i];
  return t == g->no_sub ? NULL : t;
}

static void gen_select_sub(gctx *g, sbuf *b, bool one_col);

static void gen_atom(gctx *g, sbuf *b) {
  colref r = pick_col(g);
  const col *c = r.c;
  int kind = rn(100);
  if (c == NULL) { /* the id column: point gets and ranges */
    const from_item *t = r.f;
    emit_col(g, b, r);
    int k = rn(4);
    if (k == 0) {
      sb_add(b, " = ");
      emit_id_lit(g, b, t);
    } else if (k == 1) {
      sb_add(b, " IN (");
      int n = 1 + rn(4);
      for (int i = 0; i < n; i++) {
        if (i) sb_add(b, ", ");
        if (chance(10)) sb_add(b, "NULL");
        else emit_id_lit(g, b, t);
      }
      sb_add(b, ")");
    } else if (k == 2) {
      sb_addf(b, " %s ", cmp_ops[4 + rn(4)]);
      emit_id_lit(g, b, t);
    } else {
      bool isnull = chance(50);
      if (avoid_leftjoin_isnull && g->left_on && r.f == &g->from[0])
        isnull = false;
      sb_add(b, isnull ? " IS NULL" : " IS NOT NULL");
    }
    return;
  }
  if (kind < 25) { /* column op literal */
    emit_col(g, b, r);
    sb_addf(b, " %s ", cmp_ops[rn(10)]);
    emit_val(g, b, lit_for(g, c));
  } else if (kind < 32) { /* literal op column */
    emit_val(g, b, lit_for(g, c));
    sb_addf(b, " %s ", cmp_ops[rn(8)]);
    emit_col(g, b, r);
  } else if (kind < 42 && !g->single_col) { /* column op column */
    colref r2 = pick_col(g);
    if (r2.c == NULL) r2.c = &r2.f->t->cols[0];
    int shape = rn(6);
    emit_col(g, b, r);
    if (shape == 0) {
      sb_add(b, " IN (");
      emit_col(g, b, r2);
      sb_add(b, ")");
    } else {
      sb_addf(b, " %s ", cmp_ops[rn(10)]);
      emit_col(g, b, r2);
      if (shape == 1) sb_add(b, " + 0");
    }
  } else if (kind < 48) { /* IS [NOT] NULL */
    emit_col(g, b, r);
    static const char *const nn[] = {" IS NULL", " IS NOT NULL", " ISNULL",
                                     " NOTNULL"};
    int k = rn(4);
    /* known bug: the left table of a LEFT JOIN serves "IS NULL" from the
    ** ON clause as a filter of its own rows */
    if (avoid_leftjoin_isnull && g->left_on && r.f == &g->from[0]) k |= 1;
    sb_add(b, nn[k]);
  } else if (kind < 60) { /* IN list */
    emit_col(g, b, r);
    sb_add(b, chance(25) ? " NOT IN (" : " IN (");
    int n = rn(6);
    for (int i = 0; i < n; i++) {
      if (i) sb_add(b, ", ");
      if (chance(12)) sb_add(b, "NULL");
      else emit_val(g, b, lit_for(g, c));
    }
    sb_add(b, ")");
  } else if (kind < 66 && g->depth < 2 && sub_table(g)) { /* IN (SELECT) */
    emit_col(g, b, r);
    sb_add(b, chance(25) ? " NOT IN " : " IN ");
    gen_select_sub(g, b, true);
  } else if (kind < 72) { /* BETWEEN */
    emit_col(g, b, r);
    sb_add(b, chance(25) ? " NOT BETWEEN " : " BETWEEN ");
    emit_val(g, b, lit_for(g, c));
    sb_add(b, " AND ");
    emit_val(g, b, lit_for(g, c));
  } else if (kind < 80) { /* LIKE / GLOB */
    static const char *const pats[] = {"a%",  "%a",  "a_b", "%",  "_",
                                       "A%",  "%b%", "é%",  "a\\%%", "",
                                       "ab",  "_%",  "%_",  "1%", "%é"};
    static const char *const globs[] = {"a*", "*", "?", "[a-b]*", "A*",
                                        "*b", "a?", "[^a]*", "1*", ""};
    emit_col(g, b, r);
    if (chance(70)) {
      val pv = {.k = V_STR, .s = pats[rn(sizeof pats / sizeof *pats)]};
      sb_add(b, chance(20) ? " NOT LIKE " : " LIKE ");
      emit_val(g, b, pv);
      if (strchr(pv.s, '\\') || chance(10)) sb_add(b, " ESCAPE '\\'");
    } else {
      val pv = {.k = V_STR, .s = globs[rn(sizeof globs / sizeof *globs)]};
      sb_add(b, " GLOB ");
      emit_val(g, b, pv);
    }
  } else if (kind < 86 && avoid_collate_join && g->nfrom > 1) {
    /* SQLite 3.40's bug with virtual tables in a join (FINDINGS.md F7):
    ** a plain comparison instead */
    emit_col(g, b, r);
    sb_addf(b, " %s ", cmp_ops[rn(8)]);
    emit_val(g, b, lit_for(g, c));
  } else if (kind < 86) { /* collations */
    val v = lit_for(g, c);
    if (chance(50)) {
      emit_col(g, b, r);
      sb_addf(b, " COLLATE %s %s ", chance(70) ? "NOCASE" : "RTRIM",
              cmp_ops[rn(8)]);
      emit_val(g, b, v);
    } else {
      emit_col(g, b, r);
      sb_addf(b, " %s ", cmp_ops[rn(8)]);
      emit_val(g, b, v);
      sb_add(b, " COLLATE NOCASE");
    }
  } else if (kind < 93) { /* expressions over the column */
    static const char *const fx[] = {"abs(%s)",         "%s + 0",
                                     "coalesce(%s, 0)", "CAST(%s AS INTEGER)",
                                     "CAST(%s AS TEXT)", "length(%s)",
                                     "lower(%s)",       "%s %% 3",
                                     "-%s",             "CAST(%s AS REAL)",
                                     "typeof(%s)",      "%s * 2"};
    sbuf cb = {0};
    emit_col(g, &cb, r);
    int f = rn(sizeof fx / sizeof *fx);
    /* abs(-2^63) raises "integer overflow", and whether it is evaluated
    ** depends on the plan: keep it to columns without edge values */
    if (f == 0 && c->edge) f = 1;
    sb_addf(b, fx[f], cb.p);
    free(cb.p);
    sb_addf(b, " %s ", cmp_ops[rn(8)]);
    emit_val(g, b, lit_for(g, c));
  } else if (kind < 97 && g->depth < 2 && sub_table(g)) { /* EXISTS */
    const tab *t2 = sub_table(g);
    const col *c2 = &t2->cols[rn(t2->ncol)];
    sb_addf(b, "%sEXISTS (SELECT 1 FROM %s AS s%d WHERE s%d.%s = ",
            chance(25) ? "NOT " : "", tname(t2, chance(15)), g->depth,
            g->depth, c2->name);
    g->depth++;
    emit_col(g, b, r);
    g->depth--;
    sb_add(b, ")");
  } else { /* constants */
    static const char *const k[] = {"1", "0", "NULL", "1 = 1", "NULL IS NULL"};
    sb_add(b, k[rn(5)]);
  }
}

static void gen_pred(gctx *g, sbuf *b, int depth) {
  int r = rn(100);
  if (depth > 0 && r < 12) {
    sb_add(b, "(");
    gen_pred(g, b, depth - 1);
    sb_add(b, r < 6 ? " AND " : " OR ");
    gen_pred(g, b, depth - 1);
    sb_add(b, ")");
  } else if (depth > 0 && r < 17) {
    sb_add(b, "NOT (");
    gen_pred(g, b, depth - 1);
    sb_add(b, ")");
  } else {
    gen_atom(g, b);
  }
}

/* (SELECT col FROM t [WHERE p]) on a random table: one column. */
static void gen_select_sub(gctx *g, sbuf *b, bool one_col) {
  const tab *t = sub_table(g);
  gctx sub = *g;
  sub.nfrom = 1;
  sub.from[0].t = t;
  snprintf(sub.from[0].alias, sizeof sub.from[0].alias, "q%d", g->depth);
  sub.depth = g->depth + 1;
  sub.single_col = false;
  sub.from[0].all = chance(15);
  const col *c = &t->cols[rn(t->ncol)];
  sb_addf(b, "(SELECT %s%s.%s FROM %s AS %s", chance(20) ? "DISTINCT " : "",
          sub.from[0].alias, c->name, tname(t, sub.from[0].all),
          sub.from[0].alias);
  if (chance(60)) {
    sb_add(b, " WHERE ");
    gen_pred(&sub, b, 1);
  }
  sb_add(b, ")");
  (void)one_col;
  g->p = sub.p;
}

/* ---- queries ------------------------------------------------------------- */

typedef struct query {
  char *sel;   /* the select list */
  char *from;  /* the FROM clause */
  char *where[8];
  int nwhere;
  char *tail;  /* GROUP BY / HAVING */
  char *order; /* ORDER BY ... or NULL */
  char *limit; /* LIMIT ... or NULL */
  params p;
  enum cmpmode mode;
  bool loose; /* DISTINCT, GROUP BY, aggregates: 1 may stand for 1.0 */
  from_item first; /* the first table of the FROM clause */
  const char *shape;
} query;

static void query_free(query *q) {
  free(q->sel);
  free(q->from);
  for (int i = 0; i < q->nwhere; i++) free(q->where[i]);
  free(q->tail);
  free(q->order);
  free(q->limit);
  memset(q, 0, sizeof *q);
}

static char *render(const query *q, bool with_limit) {
  sbuf b = {0};
  sb_addf(&b, "SELECT %s FROM %s", q->sel, q->from);
  for (int i = 0; i < q->nwhere; i++)
    sb_addf(&b, "%s(%s)", i ? " AND " : " WHERE ", q->where[i]);
  if (q->tail) sb_addf(&b, " %s", q->tail);
  if (q->order) sb_addf(&b, " %s", q->order);
  if (q->limit && with_limit) sb_addf(&b, " %s", q->limit);
  return sb_take(&b);
}

/* Replace ?N by the literal of parameter N (for a reproduction). */
static char *inline_params(const char *sql, const params *p) {
  sbuf b = {0};
  bool in_str = false;
  for (const char *s = sql; *s; s++) {
    if (*s == '\'') in_str = !in_str;
    if (!in_str && *s == '?' && s[1] >= '0' && s[1] <= '9') {
      int n = 0;
      s++;
      while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
      s--;
      if (n >= 1 && n <= p->n) sql_lit(&b, &p->v[n - 1]);
      continue;
    }
    sb_addn(&b, s, 1);
  }
  return sb_take(&b);
}

static char *gen_limit(void) {
  static const int64_t lims[] = {0, 1, 2, 3, 5, 10, -1, INT64_MAX};
  static const int64_t offs[] = {0, 1, 2, 5, INT64_MAX, -1};
  int64_t l = lims[rn(sizeof lims / sizeof *lims)];
  sbuf b = {0};
  sb_addf(&b, "LIMIT %lld", (long long)l);
  if (chance(40)) {
    int64_t o = offs[rn(sizeof offs / sizeof *offs)];
    if (avoid_limit_huge && l > 0 && o > 0 && l > INT64_MAX - o) o = 1, l = 3;
    if (avoid_limit_huge && l > 0 && o > 0 && l > INT64_MAX - o) o = 0;
    b.n = 0;
    sb_addf(&b, "LIMIT %lld OFFSET %lld", (long long)l, (long long)o);
  }
  return sb_take(&b);
}

static void setup_from(gctx *g, sbuf *from, bool join) {
  world *w = g->w;
  g->nfrom = 1;
  g->from[0].t = &w->tabs[rn(w->ntab)];
  g->from[0].all = chance(12);
  const char *n0 = tname(g->from[0].t, g->from[0].all);
  snprintf(g->from[0].alias, sizeof g->from[0].alias, "%s", n0);
  sb_add(from, n0);
  if (!join) return;
  g->nfrom = 2;
  g->from[1].t = &w->tabs[rn(w->ntab)];
  g->from[1].all = chance(12);
  const char *n1 = tname(g->from[1].t, g->from[1].all);
  snprintf(g->from[0].alias, sizeof g->from[0].alias, "x");
  snprintf(g->from[1].alias, sizeof g->from[1].alias, "y");
  from->n = 0;
  int kind = rn(3);
  if (kind == 0) {
    sb_addf(from, "%s AS x, %s AS y", n0, n1);
    return;
  }
  sb_addf(from, "%s AS x %s %s AS y ON ", n0, kind == 1 ? "JOIN" : "LEFT JOIN",
          n1);
  /* an equality between the two, or any predicate */
  const col *a = &g->from[0].t->cols[rn(g->from[0].t->ncol)];
  const col *c = &g->from[1].t->cols[rn(g->from[1].t->ncol)];
  if (chance(75)) {
    sb_addf(from, "x.%s %s y.%s", a->name, chance(80) ? "=" : cmp_ops[rn(10)],
            c->name);
  } else {
    g->left_on = kind == 2;
    gen_pred(g, from, 1);
    g->left_on = false;
  }
}

/* An aggregate shaped for the columnar executor (issue 11): one table,
** a WHERE of column-vs-constant terms, IN, BETWEEN, IS [NOT] NULL and
** LIKE under AND/OR/NOT, GROUP BY columns and date buckets (sometimes by
** result number or alias), the aggregates it serves, HAVING, ORDER BY
** and LIMIT; and now and then a near miss (an expression, COLLATE, a
** constant term) that must go to SQLite. */
static void gen_col_pred(gctx *g, sbuf *b, int depth) {
  int r = rn(100);
  if (depth > 0 && r < 20) {
    sb_add(b, "(");
    gen_col_pred(g, b, depth - 1);
    sb_add(b, r < 10 ? " AND " : " OR ");
    gen_col_pred(g, b, depth - 1);
    sb_add(b, ")");
    return;
  }
  if (depth > 0 && r < 27) {
    sb_add(b, "NOT ");
    gen_col_pred(g, b, depth - 1);
    return;
  }
  colref c = pick_col(g);
  if (c.c == NULL || chance(6)) { /* a near miss, or the id */
    gen_atom(g, b);
    return;
  }
  int k = rn(100);
  if (k < 35) {
    emit_col(g, b, c);
    sb_addf(b, " %s ", cmp_ops[rn(10)]);
    emit_val(g, b, lit_for(g, c.c));
  } else if (k < 45) {
    emit_val(g, b, lit_for(g, c.c));
    sb_addf(b, " %s ", cmp_ops[rn(8)]);
    emit_col(g, b, c);
  } else if (k < 60) {
    emit_col(g, b, c);
    sb_add(b, chance(25) ? " NOT IN (" : " IN (");
    int n = rn(5);
    for (int i = 0; i < n; i++) {
      if (i) sb_add(b, ", ");
      if (chance(10)) sb_add(b, "NULL");
      else emit_val(g, b, lit_for(g, c.c));
    }
    sb_add(b, ")");
  } else if (k < 72) {
    emit_col(g, b, c);
    sb_add(b, chance(25) ? " NOT BETWEEN " : " BETWEEN ");
    emit_val(g, b, lit_for(g, c.c));
    sb_add(b, " AND ");
    emit_val(g, b, lit_for(g, c.c));
  } else if (k < 82) {
    emit_col(g, b, c);
    static const char *const nn[] = {" IS NULL", " IS NOT NULL", " ISNULL",
                                     " NOTNULL", " NOT NULL"};
    sb_add(b, nn[rn(5)]);
  } else {
    static const char *const pats[] = {"a%", "A%", "ab%", "2024-01%", "%",
                                       "é%", "", "ab", "_%", "2024%", "1%"};
    emit_col(g, b, c);
    sb_add(b, chance(20) ? " NOT LIKE " : " LIKE ");
    val pv = {.k = V_STR, .s = pats[rn(sizeof pats / sizeof *pats)]};
    emit_val(g, b, pv);
  }
}

static void gen_colagg(world *w, query *q) {
  gctx g = {.w = w, .p = &q->p};
  sbuf from = {0}, sel = {0}, gb = {0};
  setup_from(&g, &from, false);
  q->first = g.from[0];
  q->from = sb_take(&from);
  q->loose = true;
  int ngroup = rn(3);
  char keys[2][96];
  for (int i = 0; i < ngroup; i++) {
    colref c = pick_col(&g);
    sbuf cb = {0};
    emit_col(&g, &cb, c);
    int f = rn(10);
    if (f < 5 || c.c == NULL) snprintf(keys[i], sizeof keys[i], "%s", cb.p);
    else if (f < 7) snprintf(keys[i], sizeof keys[i], "date(%s)", cb.p);
    else if (f < 9) snprintf(keys[i], sizeof keys[i], "strftime('%%Y-%%m', %s)", cb.p);
    else snprintf(keys[i], sizeof keys[i], "substr(%s, 1, %d)", cb.p, rn(4));
    free(cb.p);
    if (i) sb_add(&sel, ", ");
    sb_add(&sel, keys[i]);
    if (chance(20)) sb_addf(&sel, " AS k%d", i);
    if (i) sb_add(&gb, ", ");
    int how = rn(10);
    if (how < 2) sb_addf(&gb, "%d", i + 1);
    else sb_add(&gb, keys[i]);
  }
  int nagg = 1 + rn(3);
  for (int i = 0; i < nagg; i++) {
    colref a = pick_col(&g);
    if (ngroup || i) sb_add(&sel, ", ");
    sbuf cb = {0};
    emit_col(&g, &cb, a);
    bool exact = a.c && !a.c->edge;
    static const char *const aggs[] = {
        "count(*)", "count(%s)", "min(%s)", "max(%s)", "count(DISTINCT %s)",
        "sum(%s)", "total(%s)", "avg(%s)", "count()", "sum(%s) + 1"};
    int k = rn(exact ? 10 : 5);
    if (k == 9 && !exact) k = 0;
    sb_addf(&sel, aggs[k], cb.p);
    if (chance(15)) sb_addf(&sel, " AS a%d", i);
    free(cb.p);
  }
  q->sel = sb_take(&sel);
  int nw = rn(3);
  for (int i = 0; i < nw; i++) {
    sbuf wb = {0};
    gen_col_pred(&g, &wb, 2);
    q->where[q->nwhere++] = sb_take(&wb);
  }
  /* the _all twin: its live or its soft-deleted rows */
  if (g.from[0].all && chance(40))
    q->where[q->nwhere++] = xstrdup(chance(50) ? "deleted_at IS NULL"
                                               : "deleted_at IS NOT NULL");
  sbuf t = {0};
  if (ngroup) {
    sb_addf(&t, "GROUP BY %s", gb.p);
    if (chance(35)) {
      sb_addf(&t, " HAVING count(*) %s ", cmp_ops[4 + rn(4)]);
      emit_val(&g, &t, (val){.k = V_INT, .i = rn(4)});
    }
    q->tail = sb_take(&t);
    if (chance(60)) {
      /* every key: a total order of the groups */
      sbuf o = {0};
      sb_add(&o, "ORDER BY ");
      for (int i = 0; i < ngroup; i++)
        sb_addf(&o, "%s%d%s", i ? ", " : "", i + 1, chance(30) ? " DESC" : "");
      q->order = sb_take(&o);
      q->mode = CMP_ORDERED;
    }
    if (chance(30)) q->limit = gen_limit();
    if (q->limit && q->mode != CMP_ORDERED) q->mode = CMP_SUBSET;
  } else {
    free(t.p);
  }
  free(gb.p);
  q->shape = "colagg";
  n_colagg++;
}

/* A join whose aggregates come from one table (the executor's eager
** aggregation): x [LEFT] JOIN y ON y.k = x.c GROUP BY x's columns, the
** aggregates over y's, WHERE terms on y (inner joins) and on x. */
static void gen_coljoin(world *w, query *q) {
  gctx g = {.w = w, .p = &q->p};
  sbuf sel = {0}, gb = {0};
  g.nfrom = 2;
  g.from[0].t = &w->tabs[rn(w->ntab)];
  g.from[1].t = &w->tabs[rn(w->ntab)];
  g.from[1].all = chance(10);
  snprintf(g.from[0].alias, sizeof g.from[0].alias, "x");
  snprintf(g.from[1].alias, sizeof g.from[1].alias, "y");
  bool left = chance(50);
  const col *jx = &g.from[0].t->cols[rn(g.from[0].t->ncol)];
  const col *jy = &g.from[1].t->cols[rn(g.from[1].t->ncol)];
  sbuf from = {0};
  sb_addf(&from, "%s AS x %s %s AS y ON y.%s = x.%s", tname(g.from[0].t, false),
          left ? "LEFT JOIN" : "JOIN", tname(g.from[1].t, g.from[1].all),
          jy->name, jx->name);
  q->from = sb_take(&from);
  q->first = g.from[0];
  q->loose = true;
  int ngroup = rn(3);
  for (int i = 0; i < ngroup; i++) {
    const col *c = &g.from[0].t->cols[rn(g.from[0].t->ncol)];
    if (i) {
      sb_add(&sel, ", ");
      sb_add(&gb, ", ");
    }
    sb_addf(&sel, "x.%s", c->name);
    sb_addf(&gb, "x.%s", c->name);
  }
  int nagg = 1 + rn(3);
  for (int i = 0; i < nagg; i++) {
    const col *c = &g.from[1].t->cols[rn(g.from[1].t->ncol)];
    if (ngroup || i) sb_add(&sel, ", ");
    bool exact = !c->edge;
    static const char *const aggs[] = {"count(*)", "count(y.%s)", "min(y.%s)",
                                       "max(y.%s)", "sum(y.%s)", "total(y.%s)",
                                       "avg(y.%s)"};
    int k = rn(exact ? 7 : 4);
    sb_addf(&sel, aggs[k], c->name);
  }
  q->sel = sb_take(&sel);
  int nw = rn(3);
  for (int i = 0; i < nw; i++) {
    sbuf wb = {0};
    /* a term on y (the executor's), or on x (SQLite's) */
    g.nfrom = 1;
    from_item keep = g.from[0];
    bool on_y = !left && chance(60);
    if (on_y) g.from[0] = g.from[1];
    gen_col_pred(&g, &wb, 1);
    g.from[0] = keep;
    g.nfrom = 2;
    q->where[q->nwhere++] = sb_take(&wb);
  }
  if (ngroup) {
    sbuf t = {0};
    sb_addf(&t, "GROUP BY %s", gb.p);
    if (chance(30)) sb_addf(&t, " HAVING count(*) %s %d", cmp_ops[4 + rn(4)], rn(4));
    q->tail = sb_take(&t);
    if (chance(50)) {
      sbuf o = {0};
      sb_addf(&o, "ORDER BY %s", gb.p);
      q->order = sb_take(&o);
      q->mode = CMP_ORDERED;
    }
  }
  free(gb.p);
  q->shape = "colagg";
  n_colagg++;
}

/* A SELECT of the plain kind (columns), a join, or an aggregate. */
static void gen_query(world *w, query *q) {
  memset(q, 0, sizeof *q);
  if (chance(20)) {
    if (chance(30)) gen_coljoin(w, q);
    else gen_colagg(w, q);
    return;
  }
  gctx g = {.w = w, .p = &q->p};
  sbuf from = {0}, sel = {0};
  int shape = rn(100);
  bool join = shape >= 60 && shape < 80;
  bool agg = shape >= 80;
  setup_from(&g, &from, join);
  q->first = g.from[0];
  bool has_limit = chance(35);
  /* known bug (issue 9): LIMIT with a same-table column-vs-column term */
  g.single_col = avoid_limit_colcol && has_limit && g.nfrom == 1;
  q->from = sb_take(&from);
  bool distinct = !agg && chance(12);
  q->loose = agg || distinct;
  /* projection */
  colref proj[6];
  int nproj = 0;
  if (!agg) {
    nproj = 1 + rn(4);
    if (distinct) sb_add(&sel, "DISTINCT ");
    for (int i = 0; i < nproj; i++) {
      proj[i] = pick_col(&g);
      if (i) sb_add(&sel, ", ");
      const tab *st;
      if (chance(6) && (st = sub_table(&g)) != NULL) {
        /* a correlated scalar subquery */
        const col *sc = &st->cols[rn(st->ncol)];
        sb_addf(&sel, "(SELECT count(*) FROM %s AS p%d WHERE p%d.%s = ",
                tname(st, chance(20)), i, i, sc->name);
        g.depth++;
        emit_col(&g, &sel, proj[i]);
        g.depth--;
        sb_add(&sel, ")");
      } else {
        emit_col(&g, &sel, proj[i]);
      }
    }
  } else {
    /* GROUP BY 0-2 columns, aggregates */
    int ngroup = rn(3);
    colref gc[2];
    sbuf gb = {0};
    for (int i = 0; i < ngroup; i++) {
      gc[i] = pick_col(&g);
      if (i) {
        sb_add(&sel, ", ");
        sb_add(&gb, ", ");
      }
      emit_col(&g, &sel, gc[i]);
      emit_col(&g, &gb, gc[i]);
    }
    int nagg = 1 + rn(3);
    for (int i = 0; i < nagg; i++) {
      colref a = pick_col(&g);
      if (ngroup || i) sb_add(&sel, ", ");
      sbuf cb = {0};
      emit_col(&g, &cb, a);
      /* sums only over exact values: the order rows are added in must not
      ** change the result (no edge values) */
      bool exact = a.c && !a.c->edge;
      int k = rn(exact ? 9 : 5);
      static const char *const aggs[] = {
          "count(*)", "count(%s)", "min(%s)", "max(%s)", "count(DISTINCT %s)",
          "sum(%s)", "total(%s)", "avg(%s)", "sum(DISTINCT %s)"};
      sb_addf(&sel, aggs[k], cb.p);
      free(cb.p);
    }
    if (ngroup) {
      sbuf t = {0};
      sb_addf(&t, "GROUP BY %s", gb.p);
      if (chance(30)) {
        sb_add(&t, " HAVING count(*) ");
        sb_addf(&t, "%s %d", cmp_ops[4 + rn(4)], rn(4));
      }
      q->tail = sb_take(&t);
      /* ordered by every group column: a total order */
      if (chance(60)) {
        sbuf o = {0};
        sb_addf(&o, "ORDER BY %s", gb.p);
        q->order = sb_take(&o);
        q->mode = CMP_ORDERED;
      }
    }
    free(gb.p);
    if (has_limit && q->mode != CMP_ORDERED && ngroup) q->mode = CMP_SUBSET;
    q->shape = "aggregate";
  }
  q->sel = sb_take(&sel);
  /* WHERE */
  int nw = rn(4);
  for (int i = 0; i < nw; i++) {
    sbuf wb = {0};
    gen_pred(&g, &wb, 2);
    q->where[q->nwhere++] = sb_take(&wb);
  }
  if (!agg) {
    q->shape = join ? "join" : "select";
    int ord = rn(100);
    sbuf o = {0};
    if (ord < 35 && !distinct) {
      /* some keys, then the ids: a total order */
      sb_add(&o, "ORDER BY ");
      int nk = rn(3);
      for (int i = 0; i < nk; i++) {
        colref k = pick_col(&g);
        emit_col(&g, &o, k);
        if (chance(20)) sb_add(&o, " COLLATE NOCASE");
        if (chance(40)) sb_add(&o, " DESC");
        if (chance(30)) sb_add(&o, chance(50) ? " NULLS FIRST" : " NULLS LAST");
        sb_add(&o, ", ");
      }
      for (int i = 0; i < g.nfrom; i++)
        sb_addf(&o, "%s%s.id%s", i ? ", " : "", g.from[i].alias,
                chance(30) ? " DESC" : "");
      q->mode = CMP_ORDERED;
    } else if (ord < 55) {
      /* by every projected column: ties are identical rows */
      sb_add(&o, "ORDER BY ");
      for (int i = 0; i < nproj; i++) {
        if (i) sb_add(&o, ", ");
        sb_addf(&o, "%d", i + 1);
        if (chance(40)) sb_add(&o, " DESC");
        if (chance(30)) sb_add(&o, chance(50) ? " NULLS FIRST" : " NULLS LAST");
      }
      q->mode = CMP_ORDERED;
      /* a LIMIT may cut a run of ties (0, 0.0, -0.0) anywhere */
      if (has_limit) q->loose = true;
    } else if (ord < 65) {
      /* a partial order */
      colref k = pick_col(&g);
      sb_add(&o, "ORDER BY ");
      if (distinct) sb_add(&o, "1");
      else emit_col(&g, &o, k);
      if (chance(40)) sb_add(&o, " DESC");
      q->mode = has_limit ? CMP_SUBSET : CMP_MULTISET;
    } else {
      q->mode = has_limit ? CMP_SUBSET : CMP_MULTISET;
    }
    if (o.n) q->order = sb_take(&o);
    else free(o.p);
  }
  if (has_limit) q->limit = gen_limit();
}

/* A compound SELECT (UNION [ALL], INTERSECT, EXCEPT) of two simple ones
** with as many columns, read as a subquery. */
static void gen_compound(world *w, query *q) {
  memset(q, 0, sizeof *q);
  static const char *const ops[] = {"UNION ALL", "UNION", "INTERSECT",
                                    "EXCEPT"};
  int op = rn(4);
  int ncol = 1 + rn(3);
  sbuf f = {0};
  sb_add(&f, "(");
  for (int side = 0; side < 2; side++) {
    gctx g = {.w = w, .p = &q->p, .nfrom = 1};
    g.from[0].t = &w->tabs[rn(w->ntab)];
    g.from[0].all = chance(12);
    snprintf(g.from[0].alias, sizeof g.from[0].alias, "%s",
             tname(g.from[0].t, g.from[0].all));
    if (side) sb_addf(&f, " %s ", ops[op]);
    sb_add(&f, "SELECT ");
    for (int i = 0; i < ncol; i++) {
      if (i) sb_add(&f, ", ");
      emit_col(&g, &f, pick_col(&g));
    }
    sb_addf(&f, " FROM %s", g.from[0].alias);
    if (chance(70)) {
      sb_add(&f, " WHERE ");
      gen_pred(&g, &f, 2);
    }
  }
  sb_add(&f, ")");
  q->sel = xstrdup("*");
  q->from = sb_take(&f);
  q->mode = CMP_MULTISET;
  q->loose = op != 0; /* which of 1 and 1.0 a set keeps is arbitrary */
  q->shape = "compound";
}

/* ---- reporting and shrinking --------------------------------------------- */

typedef struct state {
  /* per table: rows as remdb JSON (with id) and the oracle's values */
  struct srow {
    char *json;
    char *id;
    bool deleted; /* soft-deleted: only in <table>_all */
    val *vals; /* for the oracle insert: t->ncol values */
    char **strs; /* string storage of vals */
  } *rows[3];
  int nrows[3];
  int ncols[3];
} state;

static void state_free(state *s) {
  for (int t = 0; t < 3; t++) {
    for (int i = 0; i < s->nrows[t]; i++) {
      free(s->rows[t][i].json);
      free(s->rows[t][i].id);
      free(s->rows[t][i].vals);
      for (int c = 0; c < s->ncols[t]; c++) free(s->rows[t][i].strs[c]);
      free(s->rows[t][i].strs);
    }
    free(s->rows[t]);
  }
  memset(s, 0, sizeof *s);
}

/* The live rows of every table, from remdb (exact JSON values). */
static void capture(world *w, state *s) {
  memset(s, 0, sizeof *s);
  for (int ti = 0; ti < w->ntab; ti++) {
    const tab *t = &w->tabs[ti];
    s->ncols[ti] = t->ncol;
    remdb_iter *it;
    if (remdb_iter_open(w->db, t->name, REMDB_INCLUDE_DELETED, &it) != REMDB_OK)
      die("iter: %s", remdb_errmsg(w->db));
    const char *js;
    size_t len;
    while (remdb_iter_next(it, &js, &len) == REMDB_ROW) {
      json_t *o = json_loadb(js, len, JSON_DECODE_ANY, NULL);
      json_t *del = json_object_get(o, "deleted_at");
      bool deleted = del && !json_is_null(del);
      json_object_del(o, "type");
      json_object_del(o, "created_at");
      json_object_del(o, "modified_at");
      json_object_del(o, "deleted_at");
      s->rows[ti] = xrealloc(s->rows[ti],
                             (size_t)(s->nrows[ti] + 1) * sizeof *s->rows[ti]);
      struct srow *r = &s->rows[ti][s->nrows[ti]++];
      r->json = json_dumps(o, JSON_COMPACT);
      r->id = xstrdup(json_string_value(json_object_get(o, "id")));
      r->deleted = deleted;
      r->vals = xmalloc((size_t)t->ncol * sizeof *r->vals);
      r->strs = xmalloc((size_t)t->ncol * sizeof *r->strs);
      for (int i = 0; i < t->ncol; i++) {
        json_t *v = json_object_get(o, t->cols[i].name);
        val x = {.k = V_ABSENT};
        r->strs[i] = NULL;
        if (v == NULL) x.k = V_ABSENT;
        else if (json_is_null(v)) x.k = V_NULL;
        else if (json_is_boolean(v)) x = (val){.k = V_BOOL, .i = json_is_true(v)};
        else if (json_is_integer(v)) x = (val){.k = V_INT, .i = json_integer_value(v)};
        else if (json_is_real(v)) x = (val){.k = V_REAL, .d = json_real_value(v)};
        else if (json_is_string(v)) { /* a copy: it outlives the JSON */
          r->strs[i] = xstrdup(json_string_value(v));
          x = (val){.k = V_STR, .s = r->strs[i]};
        } else { /* an object or array, as compact text */
          char *jt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
          r->strs[i] = xstrdup(jt ? jt : "null");
          free(jt);
          x = (val){.k = V_JSON, .s = r->strs[i]};
        }
        r->vals[i] = x;
      }
      json_decref(o);
    }
    remdb_iter_free(it);
  }
}

/* Put a state (a subset of rows: keep[t][i]) into fresh tables. */
static void restore(world *w, const state *s, bool *const keep[3]) {
  create_tables(w);
  for (int ti = 0; ti < w->ntab; ti++) {
    for (int i = 0; i < s->nrows[ti]; i++) {
      if (keep && keep[ti] && !keep[ti][i]) continue;
      const struct srow *r = &s->rows[ti][i];
      char id[REMDB_ID_LEN + 1];
      if (remdb_insert(w->db, w->tabs[ti].name, r->json, strlen(r->json), id))
        die("restore insert %s: %s", r->json, remdb_errmsg(w->db));
      ora_insert(w, &w->tabs[ti], r->id, r->vals);
      if (r->deleted) {
        if (remdb_delete(w->db, r->id, 0) != REMDB_OK)
          die("restore delete %s: %s", r->id, remdb_errmsg(w->db));
        char sql[96];
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = '%s'",
                 w->tabs[ti].name, r->id);
        ora_exec(w, sql);
      }
    }
  }
}

/* A check to repeat while shrinking: true while the mismatch shows. */
typedef bool (*check_fn)(world *w, void *ctx, result *a, result *b);

static void print_state(FILE *o, world *w, const state *s, bool *const keep[3],
                        const char *stmt) {
  fprintf(o, "  reproduction (remdb CLI; DB=$(mktemp -d)/db):\n");
  for (int ti = 0; ti < w->ntab; ti++) {
    char *js = schema_text(&w->tabs[ti]);
    fprintf(o, "    echo '%s' | remdb -d $DB schema add -\n", js);
    free(js);
    for (int i = 0; i < s->nrows[ti]; i++) {
      if (keep && keep[ti] && !keep[ti][i]) continue;
      fprintf(o, "    remdb -d $DB insert %s '%s'\n", w->tabs[ti].name,
              s->rows[ti][i].json);
      if (s->rows[ti][i].deleted)
        fprintf(o, "    remdb -d $DB delete %s\n", s->rows[ti][i].id);
    }
  }
  fprintf(o, "    remdb -d $DB sql \"%s\"\n", stmt);
  fprintf(o, "  the same in plain SQLite (sqlite3 :memory:):\n");
  for (int ti = 0; ti < w->ntab; ti++) {
    const tab *t = &w->tabs[ti];
    for (int k = 0; k < 2; k++) {
      fprintf(o, "    CREATE TABLE %s(id TEXT PRIMARY KEY", tname(t, k));
      for (int i = 0; i < t->ncol; i++)
        fprintf(o, ", %s%s", t->cols[i].name, aff_decl(t->cols[i].aff));
      fprintf(o, "%s);\n", k ? ", deleted_at TEXT" : "");
    }
    for (int i = 0; i < 2 * s->nrows[ti]; i++) {
      int ri = i % s->nrows[ti];
      bool to_all = i >= s->nrows[ti];
      if (keep && keep[ti] && !keep[ti][ri]) continue;
      if (!to_all && s->rows[ti][ri].deleted) continue;
      sbuf b = {0};
      sb_addf(&b, "INSERT INTO %s VALUES('%s'", tname(t, to_all),
              s->rows[ti][ri].id);
      for (int c = 0; c < t->ncol; c++) {
        val p = present(&t->cols[c], s->rows[ti][ri].vals[c]);
        sb_add(&b, ", ");
        sql_lit(&b, &p);
      }
      if (to_all)
        sb_add(&b, s->rows[ti][ri].deleted ? ", '" ORA_DELETED_AT "'" : ", NULL");
      sb_add(&b, ");");
      fprintf(o, "    %s\n", b.p);
      free(b.p);
    }
  }
  fprintf(o, "    %s;\n", stmt);
}

/* Shrink the rows of s (keep[][]) while check() still fails. */
static void shrink_rows(world *w, const state *s, bool *keep[3], check_fn fn,
                        void *ctx) {
  for (int ti = 0; ti < w->ntab; ti++) {
    int n = s->nrows[ti];
    /* chunks of decreasing size */
    for (int chunk = n / 2; chunk >= 1; chunk /= 2) {
      for (int start = 0; start < n; start += chunk) {
        bool any = false;
        bool saved[4096];
        int end = start + chunk < n ? start + chunk : n;
        if (end - start > 4096) continue;
        for (int i = start; i < end; i++) {
          saved[i - start] = keep[ti][i];
          any |= keep[ti][i];
          keep[ti][i] = false;
        }
        if (!any) continue;
        restore(w, s, keep);
        result a, b;
        bool still = fn(w, ctx, &a, &b);
        result_free(&a);
        result_free(&b);
        if (!still)
          for (int i = start; i < end; i++) keep[ti][i] = saved[i - start];
      }
    }
  }
}

/* ---- checks -------------------------------------------------------------- */

static long n_queries, n_select, n_tlp, n_norec, n_dml, n_mismatch, n_schema;
static long n_route[3]; /* sampled: columnar copy, executor on rows, SQLite */

typedef struct qctx {
  query *q;
} qctx;

/* Compare one query on both engines; true if they differ. */
static bool query_differs(world *w, void *ctx, result *ra, result *ro) {
  query *q = ((qctx *)ctx)->q;
  char *sql = render(q, true);
  run_remdb(w, sql, &q->p, ra);
  run_ora(w, sql, &q->p, ro);
  free(sql);
  if (ra->error || ro->error) return ra->error != ro->error;
  loose_cmp = q->loose;
  real_tol = opt_threads > 1;
  bool differs = false;
  if (q->mode == CMP_ORDERED) {
    differs = !same_ordered(ra, ro);
  } else {
    sort_rows(ra);
    sort_rows(ro);
    if (q->mode == CMP_MULTISET) differs = !same_rows(ra, ro);
  }
  real_tol = false;
  if (q->mode != CMP_SUBSET) return differs;
  /* CMP_SUBSET: as many rows, each one in the unlimited result */
  if (ra->nrows != ro->nrows || ra->ncol != ro->ncol) return true;
  result full;
  char *all = render(q, false);
  run_ora(w, all, &q->p, &full);
  free(all);
  sort_rows(&full);
  real_tol = opt_threads > 1; /* as for the whole result above */
  bool bad = full.error || !sub_multiset(ra, &full);
  real_tol = false;
  result_free(&full);
  return bad;
}

static void report_query(world *w, query *q, result *ra, result *ro,
                         const char *why) {
  n_mismatch++;
  char *sql = render(q, true);
  char *lit = inline_params(sql, &q->p);
  printf("\nMISMATCH (%s, %s) round %llu, col_merge_rows %u\n  query: %s\n",
         why, q->shape, (unsigned long long)w->round, col_merge_rows, sql);
  if (q->p.n) printf("  inlined: %s\n", lit);
  for (int ti = 0; ti < w->ntab; ti++) {
    char *js = schema_text(&w->tabs[ti]);
    printf("  schema: %s\n", js);
    free(js);
  }
  print_result(stdout, "remdb ", ra);
  print_result(stdout, "sqlite", ro);
  free(sql);
  if (!opt_shrink) {
    free(lit);
    return;
  }
  /* shrink: rows, then WHERE terms */
  state s;
  capture(w, &s);
  bool *keep[3] = {0};
  for (int ti = 0; ti < w->ntab; ti++) {
    keep[ti] = xmalloc((size_t)(s.nrows[ti] + 1) * sizeof(bool));
    for (int i = 0; i < s.nrows[ti]; i++) keep[ti][i] = true;
  }
  qctx c = {q};
  restore(w, &s, keep);
  result a, b;
  bool again = query_differs(w, &c, &a, &b);
  result_free(&a);
  result_free(&b);
  if (!again) {
    printf("  (does not happen again on fresh tables holding the same live "
           "rows: it depends on the round's history)\n");
  } else {
    shrink_rows(w, &s, keep, query_differs, &c);
    for (int i = 0; i < q->nwhere;) {
      char *saved = q->where[i];
      memmove(&q->where[i], &q->where[i + 1],
              (size_t)(q->nwhere - i - 1) * sizeof *q->where);
      q->nwhere--;
      restore(w, &s, keep);
      bool still = query_differs(w, &c, &a, &b);
      result_free(&a);
      result_free(&b);
      if (still) {
        free(saved);
        continue;
      }
      memmove(&q->where[i + 1], &q->where[i],
              (size_t)(q->nwhere - i) * sizeof *q->where);
      q->where[i] = saved;
      q->nwhere++;
      i++;
    }
    shrink_rows(w, &s, keep, query_differs, &c);
    restore(w, &s, keep);
    query_differs(w, &c, &a, &b);
    char *min = render(q, true);
    char *minlit = inline_params(min, &q->p);
    printf("  minimal: %s\n", minlit);
    print_result(stdout, "remdb ", &a);
    print_result(stdout, "sqlite", &b);
    /* the routes remdb took */
    result e;
    char *ex = xmalloc(strlen(min) + 16);
    sprintf(ex, "EXPLAIN %s", min);
    run_remdb(w, ex, &q->p, &e);
    print_result(stdout, "remdb EXPLAIN (table, route, scans, examined, returned)", &e);
    result_free(&e);
    free(ex);
    print_state(stdout, w, &s, keep, minlit);
    result_free(&a);
    result_free(&b);
    free(min);
    free(minlit);
  }
  for (int ti = 0; ti < 3; ti++) free(keep[ti]);
  state_free(&s);
  free(lit);
  fflush(stdout);
}

/* --threads N: a columnar-shaped query gives on N threads (ra, sorted as
** query_differs left it) exactly what it gives on one (exec_threads_force,
** a test-only hook of src/exec/run.c): the parallel scan's merge promises
** the single thread's result, bit for bit.  A mismatch is reported (not
** shrunk: the oracle agrees with both within its tolerance). */
static bool threads_differ(world *w, query *q, result *ra) {
  if (strcmp(q->shape, "colagg") && strcmp(q->shape, "digest")) return false;
  char *sql = render(q, true);
  result r1;
  exec_threads_force = 1;
  run_remdb(w, sql, &q->p, &r1);
  exec_threads_force = 0;
  loose_cmp = false;
  bool bad;
  if (ra->error || r1.error) {
    bad = ra->error != r1.error;
  } else if (q->mode == CMP_ORDERED) {
    bad = !same_ordered(ra, &r1);
  } else {
    sort_rows(ra);
    sort_rows(&r1);
    bad = !same_rows(ra, &r1);
  }
  if (bad) {
    n_mismatch++;
    printf("\nMISMATCH (%d threads vs one, %s) round %llu, col_merge_rows "
           "%u\n  query: %s\n", opt_threads, q->shape,
           (unsigned long long)w->round, col_merge_rows, sql);
    for (int ti = 0; ti < w->ntab; ti++) {
      char *js = schema_text(&w->tabs[ti]);
      printf("  schema: %s\n", js);
      free(js);
    }
    print_result(stdout, "threads", ra);
    print_result(stdout, "one    ", &r1);
    fflush(stdout);
  }
  result_free(&r1);
  free(sql);
  return bad;
}

/* Run q, compare; a mismatch is reported (and shrunk). */
static void check_query(world *w, query *q) {
  n_queries++;
  if (opt_verbose) {
    char *sql = render(q, true);
    printf("%s\n", sql);
    free(sql);
  }
  result ra, ro;
  qctx c = {q};
  if (query_differs(w, &c, &ra, &ro)) {
    /* the tables are changed by shrinking: the round ends after */
    report_query(w, q, &ra, &ro, "remdb vs sqlite");
  } else if (opt_threads > 1 && threads_differ(w, q, &ra)) {
    /* reported there */
  } else if ((!strcmp(q->shape, "colagg") || !strcmp(q->shape, "digest")) &&
             (chance(big_round ? 5 : 25) || opt_verbose)) {
    /* which route served it (EXPLAIN), for the summary */
    char *sql = render(q, true);
    char *ex = xmalloc(strlen(sql) + 16);
    sprintf(ex, "EXPLAIN %s", sql);
    result e;
    run_remdb(w, ex, &q->p, &e);
    int route = 2;
    for (size_t i = 0; !e.error && e.ncol > 1 && i < e.nrows; i++) {
      const sqlv *rt = &e.cells[i * (size_t)e.ncol + 1];
      if (rt->t != SQLITE_TEXT || strncmp(rt->s, "columnar:", 9)) continue;
      route = strstr(rt->s, "(rows") ? 1 : 0;
      if (strstr(rt->s, " threads")) n_threaded++;
      break;
    }
    n_route[route]++;
    if (opt_verbose && !e.error && e.nrows && e.ncol > 1 &&
        e.cells[1].t == SQLITE_TEXT)
      printf("-- route: %s\n", e.cells[1].s);
    result_free(&e);
    free(ex);
    free(sql);
  }
  result_free(&ra);
  result_free(&ro);
}

/* TLP: Q = Q WHERE p ∪ Q WHERE NOT p ∪ Q WHERE p IS NULL (multisets), on
** remdb; and the partitioned form against the oracle. */
static bool check_tlp(world *w) {
  loose_cmp = false;
  query q;
  gen_query(w, &q);
  if (q.tail || q.limit || q.shape[0] == 'a' || q.shape[0] == 'c' || strncmp(q.sel, "DISTINCT", 8) == 0) {
    query_free(&q);
    return true;
  }
  free(q.order);
  q.order = NULL;
  q.mode = CMP_MULTISET;
  gctx g = {.w = w, .p = &q.p};
  /* partition on a predicate over the first table of q's FROM, named as q
  ** names it */
  g.nfrom = 1;
  g.from[0] = q.first;
  g.depth = 1; /* always qualify */
  sbuf pb = {0};
  gen_pred(&g, &pb, 2);
  char *base = render(&q, false);
  sbuf u = {0};
  const char *forms[3] = {"(%s)", "NOT (%s)", "(%s) IS NULL"};
  for (int k = 0; k < 3; k++) {
    if (k) sb_add(&u, " UNION ALL ");
    sb_addf(&u, "SELECT %s FROM %s WHERE ", q.sel, q.from);
    for (int i = 0; i < q.nwhere; i++) sb_addf(&u, "(%s) AND ", q.where[i]);
    sb_addf(&u, forms[k], pb.p);
  }
  n_tlp++;
  n_queries += 2;
  result whole, parts, oparts;
  run_remdb(w, base, &q.p, &whole);
  run_remdb(w, u.p, &q.p, &parts);
  run_ora(w, u.p, &q.p, &oparts);
  bool bad = false;
  if (!whole.error && !parts.error) {
    sort_rows(&whole);
    sort_rows(&parts);
    if (!same_rows(&whole, &parts)) {
      n_mismatch++;
      bad = true;
      printf("\nMISMATCH (TLP on remdb) round %llu\n  Q: %s\n  partitions: %s\n",
             (unsigned long long)w->round, base, u.p);
      print_result(stdout, "Q     ", &whole);
      print_result(stdout, "parts ", &parts);
    }
  }
  if (!bad) {
    sort_rows(&oparts);
    if (parts.error != oparts.error ||
        (!parts.error && !same_rows(&parts, &oparts))) {
      /* report through the shrinking path: the partitioned query as one */
      query pq = {0};
      pq.sel = xstrdup("*");
      sbuf f = {0};
      sb_addf(&f, "(%s)", u.p);
      pq.from = sb_take(&f);
      pq.p = q.p;
      pq.mode = CMP_MULTISET;
      pq.shape = "TLP partitions";
      report_query(w, &pq, &parts, &oparts, "remdb vs sqlite");
      query_free(&pq);
      bad = true;
    }
  }
  result_free(&whole);
  result_free(&parts);
  result_free(&oparts);
  free(base);
  free(u.p);
  free(pb.p);
  query_free(&q);
  return !bad;
}

/* NoREC: count(*) WHERE p against sum(CASE WHEN p ...), on remdb. */
static bool check_norec(world *w) {
  loose_cmp = false;
  const tab *t = &w->tabs[rn(w->ntab)];
  params p = {0};
  gctx g = {.w = w, .p = &p, .nfrom = 1};
  g.from[0].t = t;
  snprintf(g.from[0].alias, sizeof g.from[0].alias, "%s", t->name);
  sbuf pb = {0};
  gen_pred(&g, &pb, 2);
  sbuf a = {0}, b = {0};
  sb_addf(&a, "SELECT count(*) FROM %s WHERE %s", t->name, pb.p);
  sb_addf(&b, "SELECT sum(CASE WHEN %s THEN 1 ELSE 0 END) FROM %s", pb.p,
          t->name);
  n_norec++;
  n_queries += 2;
  result ra, rb, oa;
  run_remdb(w, a.p, &p, &ra);
  run_remdb(w, b.p, &p, &rb);
  run_ora(w, a.p, &p, &oa);
  bool ok = true;
  if (!ra.error && !rb.error && ra.nrows == 1 && rb.nrows == 1) {
    int64_t x = ra.cells[0].i;
    int64_t y = rb.cells[0].t == SQLITE_NULL ? 0 : rb.cells[0].i;
    if (x != y) {
      n_mismatch++;
      ok = false;
      printf("\nMISMATCH (NoREC on remdb) round %llu\n  %s -> %lld\n  %s -> "
             "%lld\n", (unsigned long long)w->round, a.p, (long long)x, b.p,
             (long long)y);
    }
  }
  if (ok && (ra.error != oa.error || (!ra.error && !same_rows(&ra, &oa)))) {
    query q = {0};
    sbuf s = {0};
    sb_add(&s, "count(*)");
    q.sel = sb_take(&s);
    q.from = xstrdup(t->name);
    q.where[0] = xstrdup(pb.p);
    q.nwhere = 1;
    q.p = p;
    q.mode = CMP_MULTISET;
    q.shape = "count";
    report_query(w, &q, &ra, &oa, "remdb vs sqlite");
    query_free(&q);
    ok = false;
  }
  result_free(&ra);
  result_free(&rb);
  result_free(&oa);
  free(a.p);
  free(b.p);
  free(pb.p);
  return ok;
}

/* ---- DML ----------------------------------------------------------------- */

/* The live rows of t on one engine: id and every column, sorted. */
static void table_rows_of(world *w, const tab *t, bool all, bool remdb_side,
                          result *r) {
  sbuf b = {0};
  sb_add(&b, "SELECT id");
  for (int i = 0; i < t->ncol; i++) sb_addf(&b, ", %s", t->cols[i].name);
  if (all) sb_add(&b, ", deleted_at IS NULL");
  sb_addf(&b, " FROM %s", tname(t, all));
  if (remdb_side) run_remdb(w, b.p, NULL, r);
  else run_ora(w, b.p, NULL, r);
  if (r->error) die("reading %s: %s", tname(t, all), r->msg);
  sort_rows(r);
  free(b.p);
}

static void table_rows(world *w, const tab *t, bool remdb_side, result *r) {
  table_rows_of(w, t, false, remdb_side, r);
}

/* Do the _all twins (soft-deleted rows too) agree? */
static bool same_all(world *w, const tab *t) {
  result a, b;
  table_rows_of(w, t, true, true, &a);
  table_rows_of(w, t, true, false, &b);
  bool same = same_rows(&a, &b);
  if (!same) {
    printf("  %s_all differs:\n", t->name);
    print_result(stdout, "remdb ", &a);
    print_result(stdout, "sqlite", &b);
  }
  result_free(&a);
  result_free(&b);
  return same;
}

typedef struct dml {
  char *sql;      /* the statement for remdb */
  char *ora_sql;  /* the statement for the oracle (NULL: the same) */
  params p;
  const tab *t;
  char *where;    /* for LIMIT without ORDER BY: the WHERE */
  int64_t limit, offset; /* -2: no LIMIT clause */
  bool ordered;
  bool is_delete;
  const col *marker_col; /* UPDATE with an unordered LIMIT: SET col = marker */
  val marker;
} dml;

static int64_t marker_seq;

/* A value for SET: valid for the schema. */
static val set_val(const col *c) {
  val v = gen_val(NULL, c, false);
  /* known bug: SET of an object column merges the object into the old one
  ** (a merge patch) instead of replacing it */
  for (int i = 0; avoid_update_object && v.k == V_JSON && v.s[0] == '{'; i++)
    v = i < 8 ? gen_val(NULL, c, false) : (val){.k = V_NULL};
  if (v.k == V_ABSENT) v.k = V_NULL;
  /* the statement's text goes to both engines: give the value remdb will
  ** store (3.0 in an integer column is stored as the integer 3, by JSON
  ** Schema's rule), which is what SQLite will then store too */
  if (v.k == V_REAL && c->types && present(c, v).k == V_INT) v = present(c, v);
  if (v.k == V_STR && (c->types & J_TIME)) v = present(c, v); /* canonical */
  return v;
}

static void gen_dml(world *w, dml *d) {
  memset(d, 0, sizeof *d);
  tab *t = &w->tabs[rn(w->ntab)];
  d->t = t;
  d->limit = d->offset = -2;
  gctx g = {.w = w, .p = &d->p, .nfrom = 1};
  g.from[0].t = t;
  snprintf(g.from[0].alias, sizeof g.from[0].alias, "%s", t->name);
  bool has_limit = chance(40);
  /* known bug (issue 9): LIMIT with a same-table column-vs-column term */
  g.single_col = avoid_limit_colcol && has_limit;
  /* not compared: a subquery over the table being changed.  Plain SQLite
  ** changes a real table row by row, and the subquery sees the rows
  ** already changed; on a virtual table SQLite collects the rows first
  ** (the SQL standard's result) */
  g.no_sub = t;
  sbuf wb = {0};
  if (chance(90)) gen_pred(&g, &wb, 2);
  d->where = wb.p ? sb_take(&wb) : NULL;
  if (has_limit) {
    static const int64_t lims[] = {0, 1, 2, 3, 5, -1, INT64_MAX};
    d->limit = lims[rn(sizeof lims / sizeof *lims)];
    d->offset = chance(30) ? (int64_t)rn(3) : -2;
    if (avoid_limit_huge && d->offset > 0 && d->limit > INT64_MAX - d->offset)
      d->limit = 2;
    d->ordered = chance(50);
  }
  /* the columns an UPDATE may set: not the key (the id derives from it,
  ** so remdb refuses that by design) */
  int settable[8], nset = 0;
  for (int i = 0; i < t->ncol; i++)
    if (!t->cols[i].key) settable[nset++] = i;
  d->is_delete = nset == 0 || chance(45);
  sbuf b = {0};
  if (d->is_delete) {
    sb_addf(&b, "DELETE FROM %s", t->name);
  } else {
    sb_addf(&b, "UPDATE %s SET ", t->name);
    int marker = -1;
    if (has_limit && !d->ordered) {
      /* an unordered UPDATE ... LIMIT: the rows it changed are told by a
      ** value no row holds, set in a column that can hold it */
      for (int k = 0; k < nset; k++) {
        const col *c = &t->cols[settable[k]];
        if (c->types == 0 || (c->types & (J_INT | J_NUM | J_STR))) marker = k;
      }
      if (marker < 0) {
        d->ordered = true;
      } else {
        const col *c = &t->cols[settable[marker]];
        static char mk[64][24];
        marker_seq++;
        if (c->types == 0 || (c->types & J_STR)) {
          snprintf(mk[marker_seq % 64], sizeof mk[0], "mark%d",
                   (int)(marker_seq % 1000000));
          d->marker = (val){.k = V_STR, .s = mk[marker_seq % 64]};
        } else if (c->types & J_INT) {
          d->marker = (val){.k = V_INT, .i = 700000000000 + marker_seq};
        } else {
          d->marker = (val){.k = V_REAL, .d = 700000000000.5 + (double)marker_seq};
        }
        d->marker_col = c;
        sb_addf(&b, "%s = ", c->name);
        sql_lit(&b, &d->marker);
      }
    }
    int n = 1 + rn(2);
    for (int i = 0; i < n; i++) {
      int k = rn(nset);
      if (k == marker) continue;
      const col *c = &t->cols[settable[k]];
      val v = set_val(c);
      /* known bug (issue 9): an indexed number column above 2^53 */
      if (avoid_real_big && c->aff == 'R' && v.k == V_INT &&
          (v.i > (1LL << 53) || v.i < -(1LL << 53)))
        v.i = 9;
      if (b.p[b.n - 1] != ' ') sb_add(&b, ", ");
      sb_addf(&b, "%s = ", c->name);
      if (d->p.n < 16 && chance(30)) {
        d->p.v[d->p.n++] = v;
        sb_addf(&b, "?%d", d->p.n);
      } else {
        sql_lit(&b, &v);
      }
    }
    if (b.p[b.n - 1] == ' ') { /* nothing set yet */
      const col *c = &t->cols[settable[0]];
      val v = set_val(c);
      if (avoid_real_big && c->aff == 'R' && v.k == V_INT &&
          (v.i > (1LL << 53) || v.i < -(1LL << 53)))
        v.i = 9;
      sb_addf(&b, "%s = ", c->name);
      sql_lit(&b, &v);
    }
  }
  if (d->where) sb_addf(&b, " WHERE %s", d->where);
  if (has_limit) {
    if (d->ordered) sb_addf(&b, " ORDER BY id%s", chance(30) ? " DESC" : "");
    sb_addf(&b, " LIMIT %lld", (long long)d->limit);
    if (d->offset >= 0) sb_addf(&b, " OFFSET %lld", (long long)d->offset);
  }
  d->sql = sb_take(&b);
}

static void dml_free(dml *d) {
  free(d->sql);
  free(d->ora_sql);
  free(d->where);
}

/* Run a DML statement on both; true if they differ afterwards. */
static bool dml_differs(world *w, void *ctx, result *ra, result *ro) {
  dml *d = ctx;
  loose_cmp = false;
  const tab *t = d->t;
  result before;
  table_rows(w, t, false, &before);
  result xa, xo;
  run_remdb(w, d->sql, &d->p, &xa);
  bool unordered_limit = d->limit != -2 && !d->ordered;
  bool bad = false;
  if (!unordered_limit) {
    run_ora(w, d->sql, &d->p, &xo);
    if (xa.error != xo.error) bad = true;
    result_free(&xo);
  } else if (!xa.error) {
    /* which rows remdb changed */
    table_rows(w, t, true, ra); /* temporarily */
    sbuf ids = {0};
    size_t changed = 0;
    if (d->is_delete) {
      /* ids in before and not in remdb now */
      size_t j = 0;
      for (size_t i = 0; i < before.nrows; i++) {
        const sqlv *id = &before.cells[i * (size_t)before.ncol];
        while (j < ra->nrows &&
               cell_cmp(&ra->cells[j * (size_t)ra->ncol], id) < 0)
          j++;
        if (j < ra->nrows && cell_cmp(&ra->cells[j * (size_t)ra->ncol], id) == 0)
          continue;
        sb_addf(&ids, "%s'%s'", changed ? ", " : "", id->s);
        changed++;
      }
    } else {
      int mc = (int)(d->marker_col - t->cols) + 1;
      val pm = present(d->marker_col, d->marker);
      for (size_t i = 0; i < ra->nrows; i++) {
        const sqlv *cell = &ra->cells[i * (size_t)ra->ncol + (size_t)mc];
        bool hit = (pm.k == V_INT && cell->t == SQLITE_INTEGER && cell->i == pm.i) ||
                   (pm.k == V_REAL && cell->t == SQLITE_FLOAT && cell->d == pm.d) ||
                   (pm.k == V_STR && cell->t == SQLITE_TEXT && !strcmp(cell->s, pm.s));
        if (!hit) continue;
        sb_addf(&ids, "%s'%s'", changed ? ", " : "",
                ra->cells[i * (size_t)ra->ncol].s);
        changed++;
      }
    }
    result_free(ra);
    /* they must match the WHERE, and be as many as the LIMIT allows */
    sbuf q = {0};
    sb_addf(&q, "SELECT count(*) FROM %s%s%s%s", t->name,
            d->where ? " WHERE (" : "", d->where ? d->where : "",
            d->where ? ")" : "");
    result m;
    run_ora(w, q.p, &d->p, &m);
    int64_t nmatch = m.error ? -1 : m.cells[0].i;
    result_free(&m);
    int64_t off = d->offset > 0 ? d->offset : 0;
    int64_t avail = nmatch - off > 0 ? nmatch - off : 0;
    int64_t want = d->limit < 0 ? avail : (d->limit < avail ? d->limit : avail);
    if ((int64_t)changed != want) bad = true;
    if (!bad && changed) {
      q.n = 0;
      sb_addf(&q, "SELECT count(*) FROM %s WHERE id IN (%s)%s%s%s", t->name,
              ids.p, d->where ? " AND (" : "", d->where ? d->where : "",
              d->where ? ")" : "");
      run_ora(w, q.p, &d->p, &m);
      if (m.error || m.cells[0].i != (int64_t)changed) bad = true;
      result_free(&m);
      /* the oracle changes the same rows */
      q.n = 0;
      if (d->is_delete) {
        sb_addf(&q, "DELETE FROM %s WHERE id IN (%s)", t->name, ids.p);
      } else {
        char *set = strstr(d->sql, " SET ");
        char *end = d->where ? strstr(set, " WHERE ") : strstr(set, " LIMIT ");
        sb_addf(&q, "UPDATE %s%.*s WHERE id IN (%s)", t->name,
                (int)(end - set), set, ids.p);
      }
      run_ora(w, q.p, &d->p, &m);
      if (m.error) die("oracle: %s: %s", q.p, m.msg);
      result_free(&m);
    }
    free(q.p);
    free(ids.p);
  }
  result_free(&xa);
  result_free(&before);
  table_rows(w, t, true, ra);
  table_rows(w, t, false, ro);
  if (!same_rows(ra, ro) || !same_all(w, t)) bad = true;
  return bad;
}

static void check_dml(world *w) {
  dml d;
  gen_dml(w, &d);
  n_dml++;
  n_queries++;
  if (opt_verbose) printf("%s\n", d.sql);
  state pre;
  capture(w, &pre);
  result ra, ro;
  if (dml_differs(w, &d, &ra, &ro)) {
    n_mismatch++;
    char *lit = inline_params(d.sql, &d.p);
    printf("\nMISMATCH (DML, remdb vs sqlite) round %llu\n  statement: %s\n",
           (unsigned long long)w->round, lit);
    for (int ti = 0; ti < w->ntab; ti++) {
      char *js = schema_text(&w->tabs[ti]);
      printf("  schema: %s\n", js);
      free(js);
    }
    printf("  table %s after it (id, columns):\n", d.t->name);
    print_result(stdout, "remdb ", &ra);
    print_result(stdout, "sqlite", &ro);
    if (opt_shrink) {
      bool *keep[3] = {0};
      for (int ti = 0; ti < w->ntab; ti++) {
        keep[ti] = xmalloc((size_t)(pre.nrows[ti] + 1) * sizeof(bool));
        for (int i = 0; i < pre.nrows[ti]; i++) keep[ti][i] = true;
      }
      restore(w, &pre, keep);
      result a, b;
      bool again = dml_differs(w, &d, &a, &b);
      result_free(&a);
      result_free(&b);
      if (again) {
        shrink_rows(w, &pre, keep, dml_differs, &d);
        restore(w, &pre, keep);
        dml_differs(w, &d, &a, &b);
        printf("  minimal rows; table after:\n");
        print_result(stdout, "remdb ", &a);
        print_result(stdout, "sqlite", &b);
        result_free(&a);
        result_free(&b);
        print_state(stdout, w, &pre, keep, lit);
      } else {
        printf("  (does not happen again on fresh tables holding the same "
               "live rows)\n");
        print_state(stdout, w, &pre, NULL, lit);
      }
      for (int ti = 0; ti < 3; ti++) free(keep[ti]);
    }
    free(lit);
    fflush(stdout);
  }
  result_free(&ra);
  result_free(&ro);
  state_free(&pre);
  dml_free(&d);
}

/* INSERT through SQL: new rows and upserts of existing ids or keys.  The
** oracle has no key_field: it is told what remdb documents (a plain
** INSERT or OR REPLACE of an existing id replaces the row, OR IGNORE keeps
** it, OR ABORT/FAIL fail). */
static void check_insert(world *w) {
  loose_cmp = false;
  tab *t = &w->tabs[rn(w->ntab)];
  val vals[8];
  for (int i = 0; i < t->ncol; i++) vals[i] = gen_val(t, &t->cols[i], true);
  char id[37] = "";
  result ex;
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT id%s%s FROM %s ORDER BY id",
           t->key >= 0 ? ", " : "", t->key >= 0 ? t->cols[t->key].name : "",
           t->name);
  run_ora(w, sql, NULL, &ex);
  bool existing = ex.nrows > 0 && chance(40);
  size_t pick = ex.nrows ? (size_t)rn((int)ex.nrows) : 0;
  static char keybuf[64];
  if (t->key < 0) {
    if (existing) snprintf(id, sizeof id, "%s", ex.cells[pick * (size_t)ex.ncol].s);
    else gen_uuid(w, id);
  } else if (existing) {
    const sqlv *k = &ex.cells[pick * (size_t)ex.ncol + 1];
    if (k->t == SQLITE_INTEGER) vals[t->key] = (val){.k = V_INT, .i = k->i};
    else if (k->t == SQLITE_TEXT) {
      snprintf(keybuf, sizeof keybuf, "%s", k->s);
      vals[t->key] = (val){.k = V_STR, .s = keybuf};
    }
  }
  result_free(&ex);
  if (t->key >= 0) { /* the id of a live row with this key, if any */
    params q = {.n = 1};
    q.v[0] = present(&t->cols[t->key], vals[t->key]);
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1", t->name,
             t->cols[t->key].name);
    run_ora(w, sql, &q, &ex);
    if (!ex.error && ex.nrows == 1) snprintf(id, sizeof id, "%s", ex.cells[0].s);
    result_free(&ex);
  }
  bool there = false;
  if (id[0]) {
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = '%s'", t->name, id);
    run_ora(w, sql, NULL, &ex);
    there = ex.nrows > 0;
    result_free(&ex);
  }
  static const char *const ors[] = {"", "OR REPLACE ", "OR IGNORE ",
                                    "OR ABORT ", "OR FAIL "};
  int o = avoid_insert_or ? 0 : rn(5);
  sbuf b = {0};
  params p = {0};
  sb_addf(&b, "INSERT %sINTO %s(", ors[o], t->name);
  bool first = true;
  if (t->key < 0) {
    sb_add(&b, "id");
    p.v[p.n++] = (val){.k = V_STR, .s = id};
    first = false;
  }
  for (int i = 0; i < t->ncol; i++) {
    if (vals[i].k == V_ABSENT) continue;
    sb_addf(&b, "%s%s", first ? "" : ", ", t->cols[i].name);
    first = false;
    p.v[p.n++] = vals[i];
  }
  sb_add(&b, ") VALUES(");
  for (int i = 0; i < p.n; i++) sb_addf(&b, "%s?%d", i ? ", " : "", i + 1);
  sb_add(&b, ")");
  /* RETURNING must give the values stored (or be refused, saying so) */
  bool returning = !avoid_insert_or && o == 0 && chance(25);
  if (returning) {
    sb_add(&b, " RETURNING id");
    for (int i = 0; i < t->ncol; i++) sb_addf(&b, ", %s", t->cols[i].name);
  }
  n_dml++;
  n_queries++;
  if (opt_verbose) printf("%s\n", b.p);
  result r, ret = {0};
  run_remdb(w, b.p, &p, &r);
  bool rerr = r.error;
  char *rmsg = r.msg ? xstrdup(r.msg) : NULL;
  if (returning && !rerr) ret = r;
  else result_free(&r);
  bool want_err = there && o >= 3;
  bool refused = returning && rerr && rmsg && strstr(rmsg, "RETURNING");
  if (refused) want_err = true; /* refused by design: nothing written */
  if (!rerr && !id[0]) { /* a new keyed row: its derived id */
    params q = {.n = 1};
    q.v[0] = vals[t->key];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1", t->name,
             t->cols[t->key].name);
    run_remdb(w, sql, &q, &r);
    if (!r.error && r.nrows == 1) snprintf(id, sizeof id, "%s", r.cells[0].s);
    result_free(&r);
  }
  if (!want_err && id[0] && (!there || o <= 1)) ora_insert(w, t, id, vals);
  result ra, ro;
  table_rows(w, t, true, &ra);
  table_rows(w, t, false, &ro);
  bool bad_returning = false;
  if (returning && !rerr) {
    result stored;
    sbuf q = {0};
    sb_add(&q, "SELECT id");
    for (int i = 0; i < t->ncol; i++) sb_addf(&q, ", %s", t->cols[i].name);
    sb_addf(&q, " FROM %s WHERE id = '%s'", t->name, id);
    run_ora(w, q.p, NULL, &stored);
    bad_returning = !same_rows(&ret, &stored);
    if (bad_returning) {
      printf("\nMISMATCH (INSERT ... RETURNING) round %llu\n  statement: %s\n",
             (unsigned long long)w->round, b.p);
      print_result(stdout, "returned", &ret);
      print_result(stdout, "stored  ", &stored);
    }
    result_free(&stored);
    free(q.p);
  }
  result_free(&ret);
  if (bad_returning) n_mismatch++;
  if (rerr != want_err || !same_rows(&ra, &ro) || !same_all(w, t)) {
    n_mismatch++;
    char *lit = inline_params(b.p, &p);
    printf("\nMISMATCH (INSERT, remdb vs sqlite) round %llu\n  statement: %s\n"
           "  the row %s before; remdb: %s; expected: %s\n",
           (unsigned long long)w->round, lit, there ? "existed" : "did not exist",
           rerr ? rmsg : "ok", want_err ? "a constraint error" : "ok");
    for (int ti = 0; ti < w->ntab; ti++) {
      char *js = schema_text(&w->tabs[ti]);
      printf("  schema: %s\n", js);
      free(js);
    }
    print_result(stdout, "remdb ", &ra);
    print_result(stdout, "sqlite", &ro);
    free(lit);
    fflush(stdout);
  }
  free(rmsg);
  result_free(&ra);
  result_free(&ro);
  free(b.p);
}

/* ---- writes through the C API, merges, reopenings (issue 11) ------------- */

/* Interleaved with the statements: inserts, updates (a union column often
** changes the type of its value), soft deletes, undeletes (an insert of a
** soft-deleted row's id or key), hard deletes, batches of several, and
** journaled batches that are flushed and then rolled back; each applied to
** the oracle as remdb documents it, then the table is compared (rows, and
** a column digest on the executor's route).  The columns' merge threshold
** (col_merge_rows, a test-only hook of src/core/columns.c) is set small per
** round, so the commits fold deltas into segments all the time; the store
** is closed and reopened now and then, and remdb_verify (which checks the
** columns against the records both ways) runs after each reopening and at
** the end of a round. */


static void db_open(world *w) {
  /* a column cache from a few KiB (segments evicted all the time) to
  ** the default */
  static const size_t cache[] = {4096, 65536, 1u << 20, 1u << 30};
  w->opts.column_cache_bytes = cache[rn(4)];
  if (remdb_open(w->dir, "diff", &w->opts, &w->db) != REMDB_OK)
    die("open %s: %s", w->dir, remdb_errmsg(w->db));
  if (remdb_open_tenant(w->db, "diff", &w->db2) != REMDB_OK)
    die("second handle: %s", remdb_errmsg(w->db));
}

static void verify_report(void *ctx, const char *problem) {
  long *n = ctx;
  if ((*n)++ < 12) printf("    %s\n", problem);
}

/* remdb_verify: entities, indexes and columns agree; true if they do. */
static bool check_verify(world *w, const char *when) {
  uint64_t problems = 0;
  long printed = 0;
  n_verify++;
  if (remdb_verify(w->db, NULL, NULL, &problems) != REMDB_OK)
    die("verify: %s", remdb_errmsg(w->db));
  if (problems == 0) return true;
  n_mismatch++;
  printf("\nMISMATCH (verify %s) round %llu: %llu problems (col_merge_rows "
         "%u)\n", when, (unsigned long long)w->round,
         (unsigned long long)problems, col_merge_rows);
  remdb_verify(w->db, verify_report, &printed, &problems);
  fflush(stdout);
  return false;
}

static void db_reopen(world *w) {
  remdb_close(w->db2);
  remdb_close(w->db);
  w->db = w->db2 = NULL;
  db_open(w);
  n_reopen++;
  if (opt_verbose) printf("-- reopen\n");
}

/* A row id of t from the oracle: live (which 0), soft-deleted only (1), or
** any (2, t_all); near the segment boundary now and then (the oracle's
** t_all rowids follow remdb's positions while nothing was replaced). */
static bool ora_pick_id(world *w, const tab *t, int which, char out[37]) {
  static const char *const from[] = {
      "%s", "%s_all WHERE id NOT IN (SELECT id FROM %s)", "%s_all"};
  char cnt[256], sel[320];
  const char *n = t->name;
  snprintf(cnt, sizeof cnt, from[which], n, n);
  bool near = big_round && chance(25);
  if (near && which != 0)
    snprintf(cnt + strlen(cnt), sizeof cnt - strlen(cnt), "%s rowid BETWEEN "
             "65500 AND 65600", which == 1 ? " AND" : " WHERE");
  else if (near)
    snprintf(cnt, sizeof cnt, "%s_all WHERE rowid BETWEEN 65500 AND 65600 "
             "AND id IN (SELECT id FROM %s)", n, n);
  snprintf(sel, sizeof sel, "SELECT count(*) FROM %s", cnt);
  result r;
  run_ora(w, sel, NULL, &r);
  if (r.error) die("oracle: %s: %s", sel, r.msg);
  int64_t total = r.cells[0].i;
  result_free(&r);
  if (total == 0) return false;
  snprintf(sel, sizeof sel, "SELECT id FROM %s ORDER BY id LIMIT 1 OFFSET %d",
           cnt, rn((int)(total > 1000000000 ? 1000000000 : total)));
  run_ora(w, sel, NULL, &r);
  if (r.error || r.nrows != 1) die("oracle: %s", sel);
  snprintf(out, 37, "%s", r.cells[0].s);
  result_free(&r);
  return true;
}

/* The oracle's value of column c of row id (as a val pointing into buf). */
static val ora_value(world *w, const tab *t, const col *c, const char *id,
                     char *buf, size_t bufn) {
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT %s FROM %s_all WHERE id = '%s'", c->name,
           t->name, id);
  result r;
  run_ora(w, sql, NULL, &r);
  val v = {.k = V_NULL};
  if (!r.error && r.nrows == 1) {
    const sqlv *x = &r.cells[0];
    if (x->t == SQLITE_INTEGER) v = (val){.k = V_INT, .i = x->i};
    else if (x->t == SQLITE_FLOAT) v = (val){.k = V_REAL, .d = x->d};
    else if (x->t == SQLITE_TEXT) {
      snprintf(buf, bufn, "%s", x->s);
      v = (val){.k = V_STR, .s = buf};
    }
  }
  result_free(&r);
  return v;
}

/* Which kind of value SQL shows: 0 NULL, 1 number, 2 text (an object's
** text starts with '{'). */
static int shown_kind(const col *c, val v) {
  v = present(c, v);
  return v.k == V_NULL ? 0 : v.k == V_STR ? 2 : 1;
}

static void wlog(sbuf *log, const char *fmt, ...) {
  if (log == NULL) return;
  va_list ap;
  va_start(ap, fmt);
  char tmp[1024];
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  sb_addf(log, "    %s\n", tmp);
}

/* One write on t, through batch if given; applied to the oracle too.  A
** failure that remdb should not have had is a mismatch (reported here). */
static bool write_op(world *w, tab *t, remdb_batch *batch, sbuf *log) {
  int k = rn(100);
  char id[37];
  char oldbuf[256];
  if (k < 28) { /* insert a new row */
    val vals[8];
    static char kb[64][24];
    for (int i = 0; i < t->ncol; i++) vals[i] = gen_val(t, &t->cols[i], true);
    if (t->key >= 0) {
      char *s = kb[fresh_key % 64];
      fresh_key++;
      if (t->cols[t->key].types & J_STR) {
        snprintf(s, sizeof kb[0], "w%lld", (long long)fresh_key);
        vals[t->key] = (val){.k = V_STR, .s = s};
      } else {
        vals[t->key] = (val){.k = V_INT, .i = 1000000 + fresh_key};
      }
    }
    char *js = row_json_text(t, NULL, vals);
    wlog(log, "insert %s %s", t->name, js);
    free(js);
    insert_row(w, t, vals, batch);
    return true;
  }
  if (k < 56) { /* update: a merge patch of 1-3 columns */
    if (!ora_pick_id(w, t, 0, id)) return true;
    json_t *patch = json_object();
    sbuf set = {0};
    params p = {0};
    int n = 1 + rn(3);
    for (int j = 0; j < n; j++) {
      const col *c = &t->cols[rn(t->ncol)];
      if (c->key || json_object_get(patch, c->name)) continue;
      val old = ora_value(w, t, c, id, oldbuf, sizeof oldbuf);
      val v = gen_val(t, c, true);
      /* a union column: mostly another kind of value than it holds */
      for (int tries = 0; tries < 6 && chance(70) &&
                          shown_kind(c, v) == shown_kind(c, old); tries++)
        v = gen_val(t, c, true);
      /* an object into an object merges (RFC 7386): not that */
      if (v.k == V_JSON && v.s[0] == '{' && old.k == V_STR && old.s[0] == '{')
        v.k = V_NULL;
      if (v.k == V_JSON && v.s[0] == '{' && !(c->types & J_NULL) &&
          old.k == V_STR && old.s[0] == '{')
        continue;
      json_t *jv = v.k == V_ABSENT ? json_null() : val_json(&v);
      json_object_set_new(patch, c->name, jv);
      sb_addf(&set, "%s%s = ?%d", set.n ? ", " : "", c->name, p.n + 1);
      p.v[p.n++] = present(c, v);
    }
    if (p.n == 0) {
      json_decref(patch);
      free(set.p);
      return true;
    }
    char *ps = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    wlog(log, "update %s '%s'", id, ps);
    int rc = batch ? remdb_batch_update(batch, id, ps, strlen(ps))
                   : remdb_update(w->db, id, ps, strlen(ps));
    if (rc != REMDB_OK) {
      n_mismatch++;
      printf("\nMISMATCH (update refused) round %llu\n  update %s %s: %s\n",
             (unsigned long long)w->round, id, ps, remdb_errmsg(w->db));
      free(ps);
      free(set.p);
      return false;
    }
    free(ps);
    sbuf u = {0};
    sb_addf(&u, "UPDATE %s SET %s WHERE id = '%s'", t->name, set.p, id);
    result r;
    run_ora(w, u.p, &p, &r);
    if (r.error) die("oracle: %s: %s", u.p, r.msg);
    result_free(&r);
    free(u.p);
    free(set.p);
    return true;
  }
  if (k < 72) { /* soft delete */
    if (!ora_pick_id(w, t, 0, id)) return true;
    wlog(log, "delete %s", id);
    int rc = batch ? remdb_batch_delete(batch, id, 0) : remdb_delete(w->db, id, 0);
    if (rc != REMDB_OK) {
      n_mismatch++;
      printf("\nMISMATCH (soft delete refused) round %llu\n  delete %s: %s\n",
             (unsigned long long)w->round, id, remdb_errmsg(w->db));
      return false;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = '%s'", t->name, id);
    ora_exec(w, sql);
    return true;
  }
  if (k < 86) { /* undelete: insert a soft-deleted row's id (or key) again */
    if (!ora_pick_id(w, t, 1, id)) return true;
    val vals[8];
    char keybuf[256];
    for (int i = 0; i < t->ncol; i++) vals[i] = gen_val(t, &t->cols[i], true);
    if (t->key >= 0)
      vals[t->key] = ora_value(w, t, &t->cols[t->key], id, keybuf, sizeof keybuf);
    char *js = row_json_text(t, t->key >= 0 ? NULL : id, vals);
    wlog(log, "undelete (insert) %s %s", t->name, js);
    char got[REMDB_ID_LEN + 1] = "";
    int rc = batch ? remdb_batch_insert(batch, t->name, js, strlen(js), got)
                   : remdb_insert(w->db, t->name, js, strlen(js), got);
    if (rc != REMDB_OK || strcmp(got, id) != 0) {
      n_mismatch++;
      printf("\nMISMATCH (undelete) round %llu\n  insert %s %s: %s (id %s)\n",
             (unsigned long long)w->round, t->name, js,
             rc ? remdb_errmsg(w->db) : "ok", got);
      free(js);
      return false;
    }
    free(js);
    ora_insert(w, t, id, vals);
    return true;
  }
  /* hard delete of a live or soft-deleted row */
  if (!ora_pick_id(w, t, 2, id)) return true;
  wlog(log, "delete --hard %s", id);
  int rc = batch ? remdb_batch_delete(batch, id, REMDB_HARD)
                 : remdb_delete(w->db, id, REMDB_HARD);
  if (rc != REMDB_OK) {
    n_mismatch++;
    printf("\nMISMATCH (hard delete refused) round %llu\n  delete %s: %s\n",
           (unsigned long long)w->round, id, remdb_errmsg(w->db));
    return false;
  }
  char sql[256];
  snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = '%s'; DELETE FROM "
           "%s_all WHERE id = '%s'", t->name, id, t->name, id);
  ora_exec(w, sql);
  return true;
}

/* A digest of one column of t (or t_all) on the executor's route: its
** values and their counts, or its aggregates. */
static void check_digest(world *w, const tab *t) {
  query q;
  memset(&q, 0, sizeof q);
  const col *c = &t->cols[rn(t->ncol)];
  bool all = chance(30);
  q.from = xstrdup(tname(t, all));
  sbuf s = {0};
  if (chance(50)) {
    sb_addf(&s, "%s, count(*)", c->name);
    sbuf g = {0};
    sb_addf(&g, "GROUP BY %s", c->name);
    q.tail = sb_take(&g);
  } else {
    sb_addf(&s, "count(*), count(%s), min(%s), max(%s), count(DISTINCT %s)",
            c->name, c->name, c->name, c->name);
    /* sums of numbers only (else the executor leaves it to SQLite), and
    ** exact ones (the order of the additions must not matter) */
    bool numeric = c->types && !(c->types & ~(J_INT | J_NUM | J_BOOL | J_NULL));
    if (!c->edge && numeric)
      sb_addf(&s, ", sum(%s), total(%s), avg(%s)", c->name, c->name, c->name);
  }
  q.sel = sb_take(&s);
  if (all && chance(50)) {
    static const char *const dt[] = {"deleted_at IS NULL", "deleted_at IS NOT NULL",
                                     "deleted_at NOTNULL", "deleted_at < 'a'"};
    q.where[q.nwhere++] = xstrdup(dt[rn(4)]);
  }
  q.mode = CMP_MULTISET;
  q.loose = true;
  q.first.t = t;
  q.first.all = all;
  snprintf(q.first.alias, sizeof q.first.alias, "%s", tname(t, all));
  q.shape = "digest";
  n_select++;
  n_colagg++;
  check_query(w, &q);
  query_free(&q);
}

/* Do the live rows and the _all twin of t agree? (a mismatch reported) */
static bool check_table(world *w, const tab *t, const char *after,
                        const char *log) {
  loose_cmp = false;
  result a, b;
  table_rows(w, t, true, &a);
  table_rows(w, t, false, &b);
  bool same = same_rows(&a, &b);
  if (!same || !same_all(w, t)) {
    n_mismatch++;
    printf("\nMISMATCH (%s, remdb vs sqlite) round %llu, col_merge_rows %u\n"
           "%s", after, (unsigned long long)w->round, col_merge_rows,
           log ? log : "");
    if (!same) {
      print_result(stdout, "remdb ", &a);
      print_result(stdout, "sqlite", &b);
    }
    fflush(stdout);
    same = false;
  }
  result_free(&a);
  result_free(&b);
  return same;
}

/* One write, or a batch of several, or a journaled batch rolled back. */
static void check_write(world *w) {
  /* in a big round mostly the big table */
  tab *t = big_round && chance(80) ? &w->tabs[0] : &w->tabs[rn(w->ntab)];
  n_writes++;
  n_queries++;
  sbuf log = {0};
  int kind = rn(100);
  long before = n_mismatch;
  if (kind < 6) {
    /* a journaled batch: flushed (committed, with its journal), then
    ** freed: rolled back, so nothing changes */
    remdb_batch *b;
    if (remdb_batch_begin_ex(w->db, REMDB_BATCH_JOURNAL, &b) != REMDB_OK)
      die("batch: %s", remdb_errmsg(w->db));
    int n = 1 + rn(6);
    wlog(&log, "journaled batch of %d, flushed, then rolled back:", n);
    /* (the oracle is left alone) */
    for (int i = 0; i < n; i++) {
      val vals[8];
      char id[37], keybuf[256];
      for (int c = 0; c < t->ncol; c++) vals[c] = gen_val(t, &t->cols[c], true);
      bool replace = chance(50) && ora_pick_id(w, t, 2, id);
      if (replace && t->key >= 0)
        vals[t->key] = ora_value(w, t, &t->cols[t->key], id, keybuf, sizeof keybuf);
      else if (t->key >= 0)
        vals[t->key] = t->cols[t->key].types & J_STR
                           ? (val){.k = V_STR, .s = "rolled back"}
                           : (val){.k = V_INT, .i = -424242 - i};
      char *js = row_json_text(t, replace && t->key < 0 ? id : NULL, vals);
      wlog(&log, "  insert %s %s", t->name, js);
      char got[REMDB_ID_LEN + 1];
      int rc = remdb_batch_insert(b, t->name, js, strlen(js), got);
      free(js);
      if (rc == REMDB_OK && i == n / 2) rc = remdb_batch_flush(b, 0);
      if (rc != REMDB_OK) die("journaled batch: %s", remdb_errmsg(w->db));
    }
    if (remdb_batch_flush(b, 0) != REMDB_OK)
      die("journaled batch flush: %s", remdb_errmsg(w->db));
    remdb_batch_free(b);
    n_rollback++;
  } else if (kind < 26) {
    remdb_batch *b;
    if (remdb_batch_begin(w->db, &b) != REMDB_OK)
      die("batch: %s", remdb_errmsg(w->db));
    int n = chance(20) ? 10 + rn(31) : 2 + rn(7);
    wlog(&log, "batch of %d:", n);
    bool ok = true;
    for (int i = 0; ok && i < n; i++) ok = write_op(w, t, b, &log);
    if (ok && remdb_batch_commit(b, 0) != REMDB_OK) {
      n_mismatch++;
      printf("\nMISMATCH (batch commit) round %llu: %s\n%s",
             (unsigned long long)w->round, remdb_errmsg(w->db), log.p);
    }
    remdb_batch_free(b);
  } else {
    write_op(w, t, NULL, &log);
  }
  if (opt_verbose) printf("%s", log.p ? log.p : "");
  if (n_mismatch == before) {
    /* the whole table (a big one now and then), then a column digest */
    if (!big_round || t != &w->tabs[0] || chance(4))
      check_table(w, t, "after writes", log.p);
    if (n_mismatch == before && chance(60)) check_digest(w, t);
  } else if (log.p) {
    printf("%s", log.p);
  }
  free(log.p);
}

/* ---- rounds -------------------------------------------------------------- */

static void round_run(world *w, int nstatements) {
  static const uint32_t merge_choices[] = {1, 2, 3, 5, 8, 13, 32, 8192};
  col_merge_rows = opt_merge > 0 ? (uint32_t)opt_merge
                                 : merge_choices[rn(8)];
  big_round = opt_big > 0;
  gen_schema(w);
  if (opt_verbose)
    printf("-- round %llu: col_merge_rows %u\n", (unsigned long long)w->round,
           col_merge_rows);
  create_tables(w);
  double t_fill = now();
  /* rows */
  for (int ti = 0; ti < w->ntab; ti++) {
    tab *t = &w->tabs[ti];
    int n = rn(100) < 10 ? 0 : rn(100) < 80 ? 1 + rn(30) : 30 + rn(120);
    if (big_round && ti == 0) n = (int)(opt_big + rn((int)(opt_big / 64 + 1)));
    remdb_batch *batch = NULL;
    /* the big table: a journaled batch, flushed every 16384 rows */
    bool journal = big_round && ti == 0;
    if (journal) {
      if (remdb_batch_begin_ex(w->db, REMDB_BATCH_JOURNAL, &batch) != REMDB_OK)
        die("batch: %s", remdb_errmsg(w->db));
      ora_exec(w, "BEGIN");
    } else if (chance(30) && remdb_batch_begin(w->db, &batch) != REMDB_OK)
      die("batch: %s", remdb_errmsg(w->db));
    /* keys must be unique in a batch's view too: track used keys */
    for (int r = 0; r < n; r++) {
      val vals[8];
      for (int i = 0; i < t->ncol; i++) vals[i] = gen_val(t, &t->cols[i], true);
      if (t->key >= 0) {
        /* a fresh key per row (upserts are exercised by check_insert) */
        static char kb[4096][16];
        col *kc = &t->cols[t->key];
        if (kc->types & J_STR) {
          snprintf(kb[r % 4096], sizeof kb[0], "k%d", r);
          vals[t->key] = (val){.k = V_STR, .s = kb[r % 4096]};
        } else {
          vals[t->key] = (val){.k = V_INT, .i = r * 3 - 7};
        }
      }
      if (batch) {
        insert_row(w, t, vals, batch);
      } else {
        insert_row(w, t, vals, NULL);
      }
      if (journal && r % 16384 == 16383 && remdb_batch_flush(batch, 0))
        die("batch flush: %s", remdb_errmsg(w->db));
    }
    if (batch) {
      if (remdb_batch_commit(batch, 0) != REMDB_OK)
        die("batch commit: %s", remdb_errmsg(w->db));
      remdb_batch_free(batch);
    }
    if (journal) ora_exec(w, "COMMIT");
  }
  if (opt_verbose && big_round)
    printf("-- filled in %.1f s\n", now() - t_fill);
  /* statements */
  long before = n_mismatch;
  for (int s = 0; s < nstatements; s++) {
    double t_st = now();
    int k = rn(100);
    if (big_round) {
      /* the big table: single-table aggregates, digests and writes (no
      ** joins, TLP or NoREC over it: SQLite's side would be slow) */
      if (k < 30) {
        query q;
        memset(&q, 0, sizeof q);
        gen_colagg(w, &q);
        n_select++;
        check_query(w, &q);
        query_free(&q);
        k = -1;
      } else if (k < 40) {
        check_digest(w, &w->tabs[0]);
        k = -1;
      } else if (k < 90) {
        k = 85; /* a write */
      } else if (k < 94) {
        k = 96; /* reopen */
      } else if (k < 97) {
        k = 70; /* SQL DML (it may change most of the table) */
      } else if (k < 99) {
        k = 78; /* SQL INSERT */
      } else {
        k = 99; /* an index change (a rebuild) */
      }
    }
    if (k < 0) {
      /* done */
    } else if (k < 50) {
      query q;
      if (k < 4) gen_compound(w, &q);
      else gen_query(w, &q);
      n_select++;
      check_query(w, &q);
      query_free(&q);
    } else if (k < 60) {
      check_tlp(w);
    } else if (k < 67) {
      check_norec(w);
    } else if (k < 77) {
      check_dml(w);
    } else if (k < 81) {
      check_insert(w);
    } else if (k < 96) {
      check_write(w);
    } else if (k < 97) {
      db_reopen(w);
      check_verify(w, "after reopening");
    } else {
      /* index a field, or drop its index, on a table holding rows (live
      ** and soft-deleted): remdb rebuilds the index; or change which
      ** columns have a columnar copy (it is rebuilt); or reindex the
      ** table (its rows get new dense positions) */
      tab *t = &w->tabs[rn(w->ntab)];
      col *c = &t->cols[rn(t->ncol)];
      int what = rn(100);
      if (what < 25) {
        if (opt_verbose) printf("-- reindex %s\n", t->name);
        if (remdb_reindex(w->db, t->name) != REMDB_OK)
          die("reindex %s: %s", t->name, remdb_errmsg(w->db));
        n_schema++;
        continue;
      }
      if (what < 50) {
        t->colmode = rn(3);
        t->colmask = (unsigned)rn(256);
      } else {
        c->indexed = !c->indexed;
      }
      char *js = schema_text(t);
      if (opt_verbose) printf("schema replace %s\n", js);
      if (remdb_schema_put(w->db, js, strlen(js)) != REMDB_OK)
        die("schema replace %s: %s", js, remdb_errmsg(w->db));
      free(js);
      n_schema++;
    }
    if (opt_verbose && big_round) printf("-- %.3f s\n", now() - t_st);
    /* after a mismatch the two sides may differ: start a new round */
    if (n_mismatch > before) return;
  }
  /* the round's end: the columns agree with the records, and after a
  ** reopening too (now and then) */
  if (chance(25)) db_reopen(w);
  check_verify(w, "at the end of the round");
  if (big_round)
    for (int ti = 0; ti < w->ntab && n_mismatch == before; ti++)
      check_table(w, &w->tabs[ti], "at the end of the round", NULL);
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f) {
  (void)st;
  (void)flag;
  (void)f;
  return remove(p);
}

int main(int argc, char **argv) {
  uint64_t seed = 20240901;
  bool random_seed = false;
  uint64_t only_round = 0;
  bool queries_given = false;
  long max_queries = 3000;
  double max_seconds = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--seed") && v) {
      if (!strcmp(v, "random")) random_seed = true;
      else seed = strtoull(v, NULL, 0);
      i++;
    } else if (!strcmp(a, "--queries") && v) {
      max_queries = atol(v);
      queries_given = true;
      i++;
    } else if (!strcmp(a, "--seconds") && v) {
      max_seconds = atof(v);
      i++;
    } else if (!strcmp(a, "--max-mismatches") && v) {
      opt_max_mismatch = atoi(v);
      i++;
    } else if (!strcmp(a, "--avoid") && v) {
      char *list = xstrdup(v);
      for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (!strcmp(tok, "limit-colcol")) avoid_limit_colcol = true;
        else if (!strcmp(tok, "limit-huge")) avoid_limit_huge = true;
        else if (!strcmp(tok, "real-big")) avoid_real_big = true;
        else if (!strcmp(tok, "insert-or")) avoid_insert_or = true;
        else if (!strcmp(tok, "leftjoin-isnull")) avoid_leftjoin_isnull = true;
        else if (!strcmp(tok, "update-object")) avoid_update_object = true;
        else if (!strcmp(tok, "collate-join")) avoid_collate_join = true;
        else if (!strcmp(tok, "none") || !*tok) continue;
        else die("--avoid: unknown class \"%s\"", tok);
      }
      free(list);
      i++;
    } else if (!strcmp(a, "--round") && v) {
      only_round = strtoull(v, NULL, 0);
      i++;
    } else if (!strcmp(a, "--route") && v) {
      static const char *const rn_[] = {"auto", "columnar", "sqlite", "rows"};
      for (int k = 0; k < 4; k++)
        if (!strcmp(v, rn_[k])) opt_route = k;
      if (opt_route < 0) die("--route: auto, columnar, sqlite or rows");
      i++;
    } else if (!strcmp(a, "--merge-rows") && v) {
      opt_merge = atol(v);
      if (opt_merge <= 0) die("--merge-rows: a positive count");
      i++;
    } else if (!strcmp(a, "--big-rows") && v) {
      opt_big = atol(v);
      i++;
    } else if (!strcmp(a, "--threads") && v) {
      opt_threads = atoi(v);
      if (opt_threads <= 0 || opt_threads > 64)
        die("--threads: a count of 1 to 64");
      i++;
    } else if (!strcmp(a, "--no-shrink")) {
      opt_shrink = false;
    } else if (!strcmp(a, "-v")) {
      opt_verbose = true;
    } else {
      fprintf(stderr,
              "usage: diffgen [--seed N|random] [--queries N] [--seconds S]\n"
              "               [--avoid limit-colcol,limit-huge,real-big,"
              "insert-or,leftjoin-isnull,\n"
              "                update-object]\n"
              "               [--round R] [--max-mismatches N] [--no-shrink] [-v]\n"
              "               [--route auto|columnar|sqlite|rows]\n"
              "               [--merge-rows N] [--big-rows N] [--threads N]\n");
      return 2;
    }
  }
  if (random_seed) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^
           ((uint64_t)getpid() << 20);
    seed %= 1000000000000ull;
  }
  if (max_seconds > 0 && !queries_given) max_queries = 0;
  if (max_queries <= 0 && max_seconds <= 0) max_queries = 3000;

  world w = {0};
  const char *tmp = getenv("TMPDIR");
  snprintf(w.dir, sizeof w.dir, "%s/remdb-diff-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(w.dir) == NULL) die("mkdtemp: %s", strerror(errno));
  remdb_options_init(&w.opts);
  w.opts.sync = REMDB_SYNC_NONE;
  w.opts.cache_bytes = 8u << 20;
  w.opts.write_buffer_bytes = 8u << 20;
  if (opt_route >= 0) w.opts.sql_route = opt_route;
  if (opt_threads > 0) w.opts.exec_threads = opt_threads;
  rng_state = seed | 1;
  db_open(&w);
  if (sqlite3_open(":memory:", &w.ora) != SQLITE_OK) die("sqlite open");

  char rerun[160] = "";
  if (opt_route >= 0) {
    static const char *const rn_[] = {"auto", "columnar", "sqlite", "rows"};
    snprintf(rerun, sizeof rerun, " --route %s", rn_[opt_route]);
  }
  if (opt_big > 0)
    snprintf(rerun + strlen(rerun), sizeof rerun - strlen(rerun),
             " --big-rows %ld", opt_big);
  if (opt_merge > 0)
    snprintf(rerun + strlen(rerun), sizeof rerun - strlen(rerun),
             " --merge-rows %ld", opt_merge);
  if (opt_threads > 0)
    snprintf(rerun + strlen(rerun), sizeof rerun - strlen(rerun),
             " --threads %d", opt_threads);
  printf("diffgen: seed %llu%s (rerun: diffgen --seed %llu%s; --round R "
         "replays round R)\n", (unsigned long long)seed,
         random_seed ? " (random)" : "", (unsigned long long)seed, rerun);
  fflush(stdout);
  double t0 = now();
  while ((max_queries <= 0 || n_queries < max_queries) &&
         (max_seconds <= 0 || now() - t0 < max_seconds) &&
         n_mismatch < opt_max_mismatch) {
    w.round++;
    if (only_round && w.round != only_round) {
      if (w.round > only_round) break;
      continue;
    }
    /* each round from its own seed: --seed S --round R replays it */
    rng_state = (seed + 1) * 0x9E3779B97F4A7C15ull ^ (w.round * 0xD1B54A32D192ED03ull);
    if (rng_state == 0) rng_state = 1;
    w.nrun = 0;
    for (int i = 0; i < 4; i++) rnd64();
    /* (a big round: at least 40, so that make test's 40 are one round) */
    round_run(&w, opt_big > 0 ? 40 + rn(30) : 20 + rn(60));
  }
  double secs = now() - t0;
  printf("diffgen: seed %llu: %ld statements (%ld selects, %ld TLP, %ld NoREC, "
         "%ld DML, %ld columnar-shaped aggregates, %ld C API writes), %ld "
         "index changes, %ld reopenings, %ld verify, %ld rolled-back "
         "batches, in %llu rounds, %ld mismatches [%.1f s]\n",
         (unsigned long long)seed, n_queries, n_select, n_tlp, n_norec, n_dml,
         n_colagg, n_writes, n_schema, n_reopen, n_verify, n_rollback,
         (unsigned long long)w.round, n_mismatch, secs);
  printf("diffgen: routes of %ld sampled columnar-shaped queries: %ld on the "
         "columnar copy, %ld on the executor's row source, %ld on SQLite\n",
         n_route[0] + n_route[1] + n_route[2], n_route[0], n_route[1],
         n_route[2]);
  if (opt_threads > 1)
    printf("diffgen: %ld of the sampled columnar queries ran on several "
           "threads\n", n_threaded);
  remdb_close(w.db2);
  remdb_close(w.db);
  sqlite3_close(w.ora);
  nftw(w.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return n_mismatch ? 1 : 0;
}

/* test_sql_corpus.c: SQL correctness against plain SQLite.
**
** A fixed-seed dataset (users ~2k rows, issues ~18k rows: unicode, %, _,
** quotes, NULLs and missing properties, mixed-type and JSON columns) is
** loaded into remdb, then read back with SELECT * and copied into a plain
** in-memory SQLite database with the same table names, columns and
** declared types.  A few hundred rows are soft-deleted through remdb (SQL
** DELETE and remdb_delete) and deleted from the plain copy; the <table>_all
** views are copied after the deletes.  Every query of the corpus then runs
** on both, and the results must be identical: row by row when the query's
** ORDER BY fully determines the order, else as multisets (a few run with
** bound parameters).  EXPLAIN checks that the routes (point get, index
** lookup, index range, ordered, full scan) are the ones expected, and that
** an indexed equality examines only its own rows.
**
** Debugging: CORPUS_TIMES=1 prints the time of each phase and query,
** CORPUS_EXPLAIN=1 the routes remdb took for each query. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];

#define N_USERS 2000
#define N_ISSUES 18000

/* ---- deterministic generator ------------------------------------------ */

static uint64_t rng = 0x5eed2024c0ffee11ull;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static int rn(int n) {
  return (int)(rnd() % (uint64_t)n);
}
static bool chance(int pct) {
  return rn(100) < pct;
}

/* seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" */
static void ts_text(char *out, size_t n, int64_t secs) {
  time_t t = (time_t)secs;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* a number in eighths (exact in binary, so sums do not depend on the
** order rows are added in); whole numbers are written as JSON integers */
static json_t *eighths(int k) {
  if (k % 8 == 0) return json_integer(k / 8);
  return json_real(k / 8.0);
}

#define NELEM(a) (sizeof(a) / sizeof *(a))

static const char *const first_names[] = {
    "Zoë",         "李雷",         "韩梅梅",   "José",        "Ærin",
    "O'Brien",     "Dan \"Dyno\"", "100% Bob", "under_score", "Ann",
    "ann",         "ALICE",        "Émile",    "🚀 Rocket",    "Søren",
    "back\\slash", "Mü_ller%",     "Ōtani",    "Владимир",    "N'Golo",
    "  padded  ",  "bob",          "Ñandú",    "Straße",      "x_%_y"};
static const char *const last_names[] = {
    "Smith", "García",   "Nguyen",  "Müller", "O'Neil",
    "Li",    "Kowalski", "50%_off", "Ng",     "van der Berg",
    "",      "😀",        "Ødegaard"};
static const char *const teams[] = {"core", "web", "infra", "data",
                                    "ops",  "42",  "042",   "Core"};
static const char *const tzs[] = {"UTC", "Europe/Paris", "Asia/Tokyo",
                                  "America/New_York"};
static const char *const prefixes[] = {
    "Fix",      "Crash in", "Add",   "Refactor", "Improve", "Remove",
    "Ünïcode:", "emoji 🐛",  "Docs:", "[UI]",     "fix",     "50% of"};
static const char *const subjects[] = {"login",
                                       "parser_v2",
                                       "100% CPU",
                                       "the 'Zoë' profile",
                                       "李雷's dashboard",
                                       "cache_miss path",
                                       "search % ranking",
                                       "O\"Reilly import",
                                       "naïve sort",
                                       "table_1",
                                       "under_score_name",
                                       "a*b?c[d]"};
static const char *const label_pool[] = {
    "bug",          "ui",   "backend", "p0", "good first issue",
    "needs_triage", "100%", "ünï"};

static const char *users_schema =
    "{\"name\":\"users\",\"key_field\":\"handle\",\"properties\":{"
    "\"handle\":{\"type\":\"string\"},"
    "\"name\":{\"type\":\"string\"},"
    "\"age\":{\"type\":[\"integer\",\"null\"],\"minimum\":0},"
    "\"score\":{\"type\":[\"number\",\"null\"]},"
    "\"active\":{\"type\":\"boolean\"},"
    "\"team\":{\"type\":[\"string\",\"null\"]},"
    "\"joined\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"mentor\":{\"type\":\"string\"},"
    "\"meta\":{\"type\":\"object\"}},"
    "\"required\":[\"handle\",\"name\"],"
    "\"indexed_fields\":[\"team\",\"age\",\"handle\",\"active\",\"score\"]}";

static const char *issues_schema =
    "{\"name\":\"issues\",\"key_field\":\"key\",\"properties\":{"
    "\"key\":{\"type\":\"string\"},"
    "\"title\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"string\",\"enum\":[\"open\",\"in_progress\","
    "\"closed\",\"wontfix\"]},"
    "\"priority\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
    "\"assignee\":{\"type\":[\"string\",\"null\"]},"
    "\"reporter_id\":{\"type\":\"string\"},"
    "\"estimate\":{\"type\":[\"number\",\"null\"]},"
    "\"labels\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"ref\":{\"type\":[\"string\",\"integer\",\"null\"]},"
    "\"due\":{\"type\":\"string\",\"format\":\"date-time\"}},"
    "\"required\":[\"key\",\"title\",\"status\"],"
    "\"indexed_fields\":[\"status\",\"priority\",\"assignee\",\"estimate\","
    "\"created_at\",\"ref\",\"labels\",\"due\"]}";

static char user_ids[N_USERS][REMDB_ID_LEN + 1];

static int add_row(remdb_batch *b, const char *table, json_t *o, char *id) {
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (s == NULL) return REMDB_NOMEM;
  int rc = remdb_batch_insert(b, table, s, strlen(s), id);
  free(s);
  return rc;
}

static bool load_remdb(remdb *db) {
  int rc = remdb_schema_put(db, users_schema, strlen(users_schema));
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    fprintf(stderr, "users schema: %s\n", remdb_errmsg(db));
    return false;
  }
  rc = remdb_schema_put(db, issues_schema, strlen(issues_schema));
  CHECK_INT(rc, REMDB_OK);
  if (rc) {
    fprintf(stderr, "issues schema: %s\n", remdb_errmsg(db));
    return false;
  }
  remdb_batch *b;
  if (remdb_batch_begin(db, &b) != REMDB_OK) return false;
  const int64_t t2021 = 1609459200, t2022 = 1640995200, t2025h = 1751328000;
  int bad = 0;
  char ts[40], h[16];
  for (int i = 0; i < N_USERS; i++) {
    json_t *o = json_object();
    snprintf(h, sizeof h, "u%04d", i);
    json_object_set_new(o, "handle", json_string(h));
    char name[128];
    const char *fn = first_names[rn((int)NELEM(first_names))];
    const char *ln = last_names[rn((int)NELEM(last_names))];
    snprintf(name, sizeof name, "%s%s%s", fn, *ln ? " " : "", ln);
    json_object_set_new(o, "name", json_string(name));
    int r = rn(100);
    if (r < 5)
      json_object_set_new(o, "age", json_null());
    else if (r >= 10)
      json_object_set_new(o, "age", json_integer(18 + rn(63)));
    if (!chance(15)) json_object_set_new(o, "score", eighths(rn(801)));
    if (!chance(5)) json_object_set_new(o, "active", json_boolean(chance(70)));
    r = rn(100);
    if (r < 6)
      json_object_set_new(o, "team", json_null());
    else if (r >= 12)
      json_object_set_new(o, "team",
                          json_string(teams[rn((int)NELEM(teams))]));
    if (!chance(10)) {
      ts_text(ts, sizeof ts,
              t2021 + (int64_t)(rnd() % (uint64_t)(t2025h - t2021)));
      json_object_set_new(o, "joined", json_string(ts));
    }
    if (i > 0 && chance(70)) {
      snprintf(h, sizeof h, "u%04d", rn(i));
      json_object_set_new(o, "mentor", json_string(h));
    }
    if (chance(50)) {
      json_t *m = json_object();
      json_object_set_new(m, "tz", json_string(tzs[rn((int)NELEM(tzs))]));
      json_object_set_new(m, "level", json_integer(rn(5)));
      if (chance(30)) json_object_set_new(m, "beta", json_true());
      json_object_set_new(o, "meta", m);
    }
    ts_text(ts, sizeof ts,
            t2021 + (int64_t)(rnd() % (uint64_t)(t2022 - t2021)));
    json_object_set_new(o, "created_at", json_string(ts));
    if (add_row(b, "users", o, user_ids[i]) != REMDB_OK && bad++ < 3)
      fprintf(stderr, "user %d: %s\n", i, remdb_errmsg(db));
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  for (int i = 0; i < N_ISSUES; i++) {
    json_t *o = json_object();
    char key[16], title[160];
    snprintf(key, sizeof key, "ISS-%05d", i);
    json_object_set_new(o, "key", json_string(key));
    if (i % 450 == 7) /* numeric-looking titles, for title = 5 */
      snprintf(title, sizeof title, "%d", i % 9);
    else
      snprintf(title, sizeof title, "%s %s #%d",
               prefixes[rn((int)NELEM(prefixes))],
               subjects[rn((int)NELEM(subjects))], rn(1000));
    json_object_set_new(o, "title", json_string(title));
    int r = rn(100);
    json_object_set_new(o, "status",
                        json_string(r < 35   ? "open"
                                    : r < 55 ? "in_progress"
                                    : r < 95 ? "closed"
                                             : "wontfix"));
    if (!chance(3))
      json_object_set_new(o, "priority", json_integer(1 + rn(5)));
    r = rn(100);
    if (r < 8) {
      json_object_set_new(o, "assignee", json_null());
    } else if (r < 15) {
      /* missing */
    } else if (r < 18) {
      json_object_set_new(o, "assignee", json_string("ghost"));
    } else {
      snprintf(h, sizeof h, "u%04d", rn(rn(N_USERS) + 1)); /* skewed */
      json_object_set_new(o, "assignee", json_string(h));
    }
    json_object_set_new(o, "reporter_id", json_string(user_ids[rn(N_USERS)]));
    r = rn(100);
    if (r < 15)
      json_object_set_new(o, "estimate", json_null());
    else if (r >= 30)
      json_object_set_new(o, "estimate", eighths(rn(80)));
    if (!chance(10)) {
      json_t *a = json_array();
      int nl = rn(4);
      for (int k = 0; k < nl; k++)
        json_array_append_new(
            a, json_string(label_pool[rn((int)NELEM(label_pool))]));
      json_object_set_new(o, "labels", a);
    }
    r = rn(100);
    if (r < 15) {
      json_object_set_new(o, "ref", json_integer(rn(50)));
    } else if (r < 25) {
      char t[16];
      snprintf(t, sizeof t, "%d", rn(50));
      json_object_set_new(o, "ref", json_string(t));
    } else if (r < 30) {
      char t[16];
      snprintf(t, sizeof t, "0%d", rn(10));
      json_object_set_new(o, "ref", json_string(t));
    } else if (r < 35) {
      char t[16];
      snprintf(t, sizeof t, "x-%d", rn(50));
      json_object_set_new(o, "ref", json_string(t));
    } else if (r < 40) {
      json_object_set_new(o, "ref", json_null());
    }
    int64_t created = t2022 + (int64_t)(rnd() % (uint64_t)(t2025h - t2022));
    ts_text(ts, sizeof ts, created);
    json_object_set_new(o, "created_at", json_string(ts));
    if (chance(50)) {
      ts_text(ts, sizeof ts, created + rn(90 * 86400));
      json_object_set_new(o, "due", json_string(ts));
    }
    if (add_row(b, "issues", o, NULL) != REMDB_OK && bad++ < 3)
      fprintf(stderr, "issue %d: %s\n", i, remdb_errmsg(db));
    if (i % 6000 == 5999) CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 0), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(bad, 0);
  return bad == 0;
}

/* ---- the plain SQLite copy --------------------------------------------- */

static int plain_exec(sqlite3 *pl, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(pl, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) fprintf(stderr, "plain: %s: %s\n", sql, msg);
  sqlite3_free(msg);
  return rc;
}

/* Create plain table dst with the columns and declared types of remdb's
** src (PRAGMA table_info), and copy every row of src into it. */
static bool copy_table(remdb *db, sqlite3 *pl, const char *src,
                       const char *dst) {
  char q[4096];
  int n = snprintf(q, sizeof q, "CREATE TABLE \"%s\"(", dst);
  remdb_stmt *st = NULL;
  char sql[256];
  snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", src);
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) {
    fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
    return false;
  }
  int ncol = 0;
  while (remdb_step(st) == REMDB_ROW) {
    const char *name = remdb_column_text(st, 1, NULL);
    const char *type = remdb_column_text(st, 2, NULL);
    int pk = (int)remdb_column_int64(st, 5);
    n += snprintf(q + n, sizeof q - (size_t)n, "%s\"%s\" %s%s",
                  ncol ? ", " : "", name, type ? type : "",
                  pk ? " PRIMARY KEY" : "");
    ncol++;
  }
  remdb_finalize(st);
  snprintf(q + n, sizeof q - (size_t)n, ") WITHOUT ROWID");
  if (plain_exec(pl, q) != SQLITE_OK) return false;

  n = snprintf(q, sizeof q, "INSERT INTO \"%s\" VALUES (", dst);
  for (int i = 0; i < ncol; i++)
    n += snprintf(q + n, sizeof q - (size_t)n, "%s?", i ? "," : "");
  snprintf(q + n, sizeof q - (size_t)n, ")");
  sqlite3_stmt *ins;
  if (sqlite3_prepare_v2(pl, q, -1, &ins, NULL) != SQLITE_OK) return false;
  snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", src);
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) {
    sqlite3_finalize(ins);
    return false;
  }
  CHECK_INT(remdb_column_count(st), ncol);
  plain_exec(pl, "BEGIN");
  bool ok = true;
  int rc;
  while (ok && (rc = remdb_step(st)) == REMDB_ROW) {
    for (int i = 0; i < ncol; i++) {
      size_t len;
      switch (remdb_column_type(st, i)) {
        case REMDB_INTEGER:
          sqlite3_bind_int64(ins, i + 1, remdb_column_int64(st, i));
          break;
        case REMDB_FLOAT:
          sqlite3_bind_double(ins, i + 1, remdb_column_double(st, i));
          break;
        case REMDB_NULL:
          sqlite3_bind_null(ins, i + 1);
          break;
        default: {
          const char *t = remdb_column_text(st, i, &len);
          sqlite3_bind_text(ins, i + 1, t, (int)len, SQLITE_TRANSIENT);
          break;
        }
      }
    }
    if (sqlite3_step(ins) != SQLITE_DONE) {
      fprintf(stderr, "plain insert: %s\n", sqlite3_errmsg(pl));
      ok = false;
    }
    sqlite3_reset(ins);
  }
  if (ok && rc != REMDB_DONE) {
    fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
    ok = false;
  }
  plain_exec(pl, "COMMIT");
  remdb_finalize(st);
  sqlite3_finalize(ins);
  CHECK(ok);
  return ok;
}

/* ---- running a query on both and comparing ----------------------------- */

typedef struct strbuf {
  char *p;
  size_t len, cap;
} strbuf;

static void sb_add(strbuf *s, const char *p, size_t n) {
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->len + n + 1) cap *= 2;
    char *q = realloc(s->p, cap);
    if (q == NULL) abort();
    s->p = q;
    s->cap = cap;
  }
  memcpy(s->p + s->len, p, n);
  s->len += n;
  s->p[s->len] = 0;
}
static void sb_adds(strbuf *s, const char *p) {
  sb_add(s, p, strlen(p));
}

/* text with control bytes, '|' and '\' escaped, so a line is one row */
static void sb_text(strbuf *s, const char *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c < 0x20 || c == '|' || c == '\\') {
      char e[8];
      snprintf(e, sizeof e, "\\x%02x", c);
      sb_adds(s, e);
    } else {
      sb_add(s, (const char *)&t[i], 1);
    }
  }
}

typedef struct result {
  bool ok;
  char *err;
  char **rows; /* rows[0] is the header (column names) */
  size_t n, cap;
} result;

static void res_push(result *r, char *line) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->rows = realloc(r->rows, r->cap * sizeof *r->rows);
    if (r->rows == NULL) abort();
  }
  r->rows[r->n++] = line;
}

static void res_free(result *r) {
  for (size_t i = 0; i < r->n; i++) free(r->rows[i]);
  free(r->rows);
  free(r->err);
  memset(r, 0, sizeof *r);
}

static void cell(strbuf *s, int type, int64_t iv, double dv, const char *t,
                 size_t tl) {
  char num[64];
  switch (type) {
    case SQLITE_INTEGER:
      snprintf(num, sizeof num, "i:%lld", (long long)iv);
      sb_adds(s, num);
      break;
    case SQLITE_FLOAT:
      snprintf(num, sizeof num, "r:%.15g", dv);
      sb_adds(s, num);
      break;
    case SQLITE_NULL:
      sb_adds(s, "null");
      break;
    case SQLITE_BLOB:
      sb_adds(s, "b:");
      sb_text(s, t ? t : "", t ? tl : 0);
      break;
    default:
      sb_adds(s, "t:");
      sb_text(s, t ? t : "", t ? tl : 0);
      break;
  }
}

/* Parameters bound to both statements by the next compare(): 'n' NULL,
** 'i' integer, 'r' real, 't' text; an entry with type 0 ends the list. */
typedef struct param {
  char type;
  int64_t i;
  double r;
  const char *t;
} param;
static const param *cur_params;

static void run_remdb(remdb *db, const char *sql, result *r) {
  memset(r, 0, sizeof *r);
  remdb_stmt *st = NULL;
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK ||
      st == NULL) {
    r->err = strdup(remdb_errmsg(db));
    return;
  }
  for (int i = 0; cur_params && cur_params[i].type; i++) {
    const param *p = &cur_params[i];
    int rc = p->type == 'n'   ? remdb_bind_null(st, i + 1)
             : p->type == 'i' ? remdb_bind_int64(st, i + 1, p->i)
             : p->type == 'r' ? remdb_bind_double(st, i + 1, p->r)
                              : remdb_bind_text(st, i + 1, p->t, strlen(p->t));
    if (rc != REMDB_OK) {
      r->err = strdup(remdb_errmsg(db));
      remdb_finalize(st);
      return;
    }
  }
  int nc = remdb_column_count(st);
  strbuf s = {0};
  for (int i = 0; i < nc; i++) {
    if (i) sb_adds(&s, "|");
    const char *name = remdb_column_name(st, i);
    sb_text(&s, name ? name : "?", name ? strlen(name) : 1);
  }
  sb_adds(&s, "");
  res_push(r, s.p);
  int rc;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    strbuf l = {0};
    sb_adds(&l, "");
    for (int i = 0; i < nc; i++) {
      if (i) sb_adds(&l, "|");
      int t = remdb_column_type(st, i);
      size_t tl = 0;
      const char *tx = NULL;
      if (t == REMDB_TEXT || t == REMDB_BLOB)
        tx = remdb_column_text(st, i, &tl);
      cell(&l, t, t == REMDB_INTEGER ? remdb_column_int64(st, i) : 0,
           t == REMDB_FLOAT ? remdb_column_double(st, i) : 0, tx, tl);
    }
    res_push(r, l.p);
  }
  if (rc != REMDB_DONE) {
    r->err = strdup(remdb_errmsg(db));
  } else {
    r->ok = true;
  }
  remdb_finalize(st);
}

static void run_plain(sqlite3 *pl, const char *sql, result *r) {
  memset(r, 0, sizeof *r);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(pl, sql, -1, &st, NULL) != SQLITE_OK || !st) {
    r->err = strdup(sqlite3_errmsg(pl));
    return;
  }
  for (int i = 0; cur_params && cur_params[i].type; i++) {
    const param *p = &cur_params[i];
    if (p->type == 'n')
      sqlite3_bind_null(st, i + 1);
    else if (p->type == 'i')
      sqlite3_bind_int64(st, i + 1, p->i);
    else if (p->type == 'r')
      sqlite3_bind_double(st, i + 1, p->r);
    else
      sqlite3_bind_text(st, i + 1, p->t, -1, SQLITE_TRANSIENT);
  }
  int nc = sqlite3_column_count(st);
  strbuf s = {0};
  for (int i = 0; i < nc; i++) {
    if (i) sb_adds(&s, "|");
    const char *name = sqlite3_column_name(st, i);
    sb_text(&s, name ? name : "?", name ? strlen(name) : 1);
  }
  sb_adds(&s, "");
  res_push(r, s.p);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    strbuf l = {0};
    sb_adds(&l, "");
    for (int i = 0; i < nc; i++) {
      if (i) sb_adds(&l, "|");
      int t = sqlite3_column_type(st, i);
      const char *tx = NULL;
      size_t tl = 0;
      if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
        tx = t == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, i)
                              : (const char *)sqlite3_column_blob(st, i);
        tl = (size_t)sqlite3_column_bytes(st, i);
      }
      cell(&l, t, t == SQLITE_INTEGER ? sqlite3_column_int64(st, i) : 0,
           t == SQLITE_FLOAT ? sqlite3_column_double(st, i) : 0, tx, tl);
    }
    res_push(r, l.p);
  }
  if (rc != SQLITE_DONE) {
    r->err = strdup(sqlite3_errmsg(pl));
  } else {
    r->ok = true;
  }
  sqlite3_finalize(st);
}

static int line_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_row(const char *who, const char *line) {
  fprintf(stderr, "    %s %.200s%s\n", who, line,
          strlen(line) > 200 ? "..." : "");
}

static int n_queries, n_mismatch;

/* with CORPUS_TIMES set: the time of each phase and query on stderr */
static void phase(const char *what) {
  static struct timespec last;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (getenv("CORPUS_TIMES") && last.tv_sec)
    fprintf(stderr, "%8.1f ms  %s\n",
            (double)(now.tv_sec - last.tv_sec) * 1e3 +
                (double)(now.tv_nsec - last.tv_nsec) / 1e6,
            what);
  last = now;
}

/* Run sql on both; compare in order (ordered) or as multisets. */
static bool compare(remdb *db, sqlite3 *pl, const char *sql, bool ordered) {
  result a, b;
  n_queries++;
  struct timespec t0, t1, t2;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  run_remdb(db, sql, &a);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  run_plain(pl, sql, &b);
  clock_gettime(CLOCK_MONOTONIC, &t2);
  if (getenv("CORPUS_EXPLAIN")) { /* the routes remdb took */
    strbuf e = {0};
    sb_adds(&e, "EXPLAIN ");
    sb_adds(&e, sql);
    result x;
    run_remdb(db, e.p, &x);
    fprintf(stderr, "%s\n", sql);
    for (size_t i = 1; i < x.n; i++) fprintf(stderr, "    %s\n", x.rows[i]);
    res_free(&x);
    free(e.p);
  }
  if (getenv("CORPUS_TIMES"))
    fprintf(stderr, "%8.1f ms remdb %8.1f ms sqlite  %.100s\n",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
            (double)(t2.tv_sec - t1.tv_sec) * 1e3 +
                (double)(t2.tv_nsec - t1.tv_nsec) / 1e6,
            sql);
  bool same = a.ok && b.ok && a.n == b.n;
  if (a.ok && b.ok) {
    if (!ordered && a.n > 2) {
      qsort(a.rows + 1, a.n - 1, sizeof *a.rows, line_cmp);
      qsort(b.rows + 1, b.n - 1, sizeof *b.rows, line_cmp);
    }
    size_t m = a.n < b.n ? a.n : b.n;
    size_t first = m;
    for (size_t i = 0; i < m; i++)
      if (strcmp(a.rows[i], b.rows[i]) != 0) {
        first = i;
        break;
      }
    if (first < m) same = false;
    if (!same) {
      n_mismatch++;
      fprintf(stderr,
              "MISMATCH (%s): %.400s\n  remdb %zu rows, sqlite %zu "
              "rows\n",
              ordered ? "ordered" : "multiset", sql, a.n - 1, b.n - 1);
      for (int k = 0; cur_params && cur_params[k].type; k++) {
        const param *p = &cur_params[k];
        if (p->type == 'n') fprintf(stderr, "  ?%d = NULL\n", k + 1);
        if (p->type == 'i')
          fprintf(stderr, "  ?%d = %lld\n", k + 1, (long long)p->i);
        if (p->type == 'r') fprintf(stderr, "  ?%d = %.17g\n", k + 1, p->r);
        if (p->type == 't') fprintf(stderr, "  ?%d = '%s'\n", k + 1, p->t);
      }
      if (!ordered) {
        /* the first lines found on one side only */
        size_t i = 1, j = 1;
        int shown = 0;
        while ((i < a.n || j < b.n) && shown < 6) {
          int c = i >= a.n ? 1 : j >= b.n ? -1 : strcmp(a.rows[i], b.rows[j]);
          if (c == 0) {
            i++, j++;
          } else if (c < 0) {
            print_row("remdb only: ", a.rows[i++]);
            shown++;
          } else {
            print_row("sqlite only:", b.rows[j++]);
            shown++;
          }
        }
      } else {
        for (size_t k = first; k < first + 3; k++) {
          if (k < a.n) print_row("remdb: ", a.rows[k]);
          if (k < b.n) print_row("sqlite:", b.rows[k]);
        }
      }
    }
  } else {
    n_mismatch++;
    fprintf(stderr, "QUERY FAILED: %.400s\n  remdb: %s\n  sqlite: %s\n", sql,
            a.ok ? "ok" : a.err, b.ok ? "ok" : b.err);
  }
  res_free(&a);
  res_free(&b);
  return same;
}

/* ---- the corpus --------------------------------------------------------- */

/* O: the ORDER BY fully determines the rows' order; M: compare as a
** multiset.  $I1 $I2 $I3 are ids of live issues, $IDEL of a soft-deleted
** one, $U1 $U2 ids of live users. */
enum { M = 0, O = 1 };
static const struct q {
  int ord;
  const char *sql;
} corpus[] = {
    /* whole tables, every column */
    {M, "SELECT * FROM users"},
    {M, "SELECT * FROM issues"},
    {M, "SELECT count(*) FROM users"},
    {M, "SELECT count(*) FROM issues"},
    /* comparison operators, indexed and not */
    {M, "SELECT * FROM issues WHERE status = 'open'"},
    {M, "SELECT id, status, priority FROM issues WHERE status != 'closed'"},
    {M, "SELECT key, priority FROM issues WHERE priority < 3"},
    {M, "SELECT key, priority FROM issues WHERE priority <= 2"},
    {M, "SELECT key, priority FROM issues WHERE priority > 4"},
    {M, "SELECT key FROM issues WHERE priority >= 4 AND status = 'open'"},
    {M, "SELECT key FROM issues WHERE priority IN (1, 5)"},
    {M, "SELECT key FROM issues WHERE priority NOT IN (1, 2, 3)"},
    {M, "SELECT key, estimate FROM issues WHERE estimate BETWEEN 2 AND 3.5"},
    {M, "SELECT key FROM issues WHERE priority BETWEEN 2 AND 3"},
    {M, "SELECT key FROM issues WHERE priority NOT BETWEEN 2 AND 4"},
    {M,
     "SELECT key, title FROM issues WHERE title LIKE '%100\\%%' ESCAPE '\\'"},
    {M,
     "SELECT key, title FROM issues WHERE title LIKE '%parser\\_v2%' "
     "ESCAPE '\\'"},
    {M, "SELECT key, title FROM issues WHERE title LIKE '%zoë%'"},
    {M, "SELECT key, title FROM issues WHERE title LIKE 'FIX%'"},
    {M, "SELECT key, title FROM issues WHERE title GLOB '*[0-9][0-9]7'"},
    {M, "SELECT key, title FROM issues WHERE title GLOB 'Fix *'"},
    {M,
     "SELECT key, title FROM issues WHERE title GLOB '*a\\*b*' OR "
     "title GLOB '*[*]b*'"},
    {M, "SELECT key FROM issues WHERE assignee IS NULL"},
    {M, "SELECT key FROM issues WHERE assignee IS NOT NULL AND priority = 1"},
    {M, "SELECT key FROM issues WHERE NOT (status = 'open' OR priority > 2)"},
    {M,
     "SELECT key FROM issues WHERE status = 'open' AND (priority = 1 OR "
     "estimate > 8)"},
    {M,
     "SELECT key FROM issues WHERE status IN ('open', 'in_progress') AND "
     "assignee = 'u0003'"},
    {M, "SELECT * FROM issues WHERE assignee = 'u0001'"},
    {M,
     "SELECT key, assignee FROM issues WHERE assignee IN ('u0001', 'u0002', "
     "'ghost', NULL)"},
    {M, "SELECT key FROM issues WHERE assignee NOT IN ('u0001', NULL)"},
    {M, "SELECT key FROM issues WHERE estimate IS NULL AND priority = 2"},
    {M, "SELECT key, estimate FROM issues WHERE estimate > 9"},
    {M, "SELECT key, estimate FROM issues WHERE estimate < 0.5"},
    {M, "SELECT * FROM users WHERE score >= 99"},
    {M, "SELECT handle, active FROM users WHERE active = 1 AND team = 'web'"},
    {M, "SELECT handle FROM users WHERE active IS NULL"},
    {M, "SELECT handle FROM users WHERE NOT active"},
    {M,
     "SELECT handle, mentor FROM users WHERE mentor IS NULL AND team = "
     "'ops'"},
    {M, "SELECT handle, joined FROM users WHERE joined < '2022-01-01'"},
    /* literals of the "wrong" type: affinity */
    {M, "SELECT key FROM issues WHERE priority = '3'"},
    {M, "SELECT key FROM issues WHERE priority = 3.0"},
    {M, "SELECT key FROM issues WHERE priority = '3.0'"},
    {M, "SELECT key FROM issues WHERE priority = ' 3'"},
    {M, "SELECT key FROM issues WHERE priority = '3e0'"},
    {M, "SELECT key FROM issues WHERE priority = '0x3'"},
    {M, "SELECT key FROM issues WHERE priority = 2.5"},
    {M, "SELECT key FROM issues WHERE priority > '4'"},
    {M, "SELECT count(*) FROM issues WHERE priority < 'abc'"},
    {M, "SELECT count(*) FROM issues WHERE priority > 'abc'"},
    {M, "SELECT key FROM issues WHERE priority IN ('2', 4.0, '5x')"},
    {M, "SELECT key FROM issues WHERE priority > 2.5 AND priority <= '4'"},
    {M, "SELECT count(*) FROM issues WHERE priority = +3"},
    {M, "SELECT count(*) FROM issues WHERE priority = 3 + 0.0"},
    {M, "SELECT count(*) FROM issues WHERE priority > 9223372036854775807"},
    {M, "SELECT count(*) FROM issues WHERE priority < -9223372036854775808"},
    {M, "SELECT count(*) FROM issues WHERE estimate > 1e308"},
    {M, "SELECT count(*) FROM issues WHERE status = 3"},
    {M, "SELECT key, title FROM issues WHERE title = 5"},
    {M, "SELECT key, title FROM issues WHERE title = '5'"},
    {M, "SELECT key, title FROM issues WHERE title > 5 AND title < 6"},
    {M, "SELECT key, estimate FROM issues WHERE estimate = 2"},
    {M, "SELECT key, estimate FROM issues WHERE estimate = '2.5'"},
    {M, "SELECT key, estimate FROM issues WHERE estimate >= '9.5'"},
    {M, "SELECT handle, age FROM users WHERE age > '20' AND age < 25"},
    {M, "SELECT handle FROM users WHERE age = '30'"},
    {M, "SELECT handle FROM users WHERE age = '30.0'"},
    {M, "SELECT handle FROM users WHERE age IS NULL"},
    {M, "SELECT handle FROM users WHERE active = 'true'"},
    /* a TEXT column, indexed, holding numeric-looking text */
    {M, "SELECT handle, team FROM users WHERE team = 'core'"},
    {M, "SELECT handle, team FROM users WHERE team = 42"},
    {M, "SELECT handle, team FROM users WHERE team = '042'"},
    {M, "SELECT handle, team FROM users WHERE team IN (42, 'web')"},
    {M, "SELECT handle, team FROM users WHERE team = CAST(42 AS INTEGER)"},
    {M, "SELECT handle, team FROM users WHERE team < CAST(100 AS INTEGER)"},
    {M,
     "SELECT handle, team FROM users WHERE team IN (SELECT age FROM users "
     "WHERE age = 42)"},
    {M,
     "SELECT a.handle, b.handle FROM users a CROSS JOIN users b ON b.team "
     "= a.age WHERE a.age = 42 AND a.active = 1"},
    {M, "SELECT count(*) FROM users WHERE team = 'CORE' COLLATE NOCASE"},
    {M, "SELECT count(*) FROM issues WHERE status = 'OPEN' COLLATE NOCASE"},
    {M, "SELECT handle FROM users WHERE team > 'd' AND team <= 'ops'"},
    /* IS / IS NOT with NULL values */
    {M, "SELECT handle FROM users WHERE team IS NULL"},
    {M, "SELECT handle FROM users WHERE team IS (SELECT NULL)"},
    {M, "SELECT count(*) FROM users WHERE age IS nullif(1, 1)"},
    {M, "SELECT count(*) FROM users WHERE team IS NOT 'core'"},
    {M, "SELECT count(*) FROM users WHERE age IS 30"},
    {M,
     "SELECT a.handle, count(b.id) FROM users a CROSS JOIN users b ON "
     "b.team IS a.team WHERE a.age = 30 GROUP BY a.handle"},
    {M, "SELECT count(*) FROM users WHERE team = NULL"},
    {M, "SELECT count(*) FROM users WHERE coalesce(team, '') = ''"},
    /* indexed boolean, number, JSON array and date-time properties */
    {M, "SELECT handle FROM users WHERE active = 1 AND age > 70"},
    {M, "SELECT count(*) FROM users WHERE active = 'true'"},
    {M, "SELECT count(*) FROM users WHERE active = 1.0"},
    {M, "SELECT count(*) FROM users WHERE active = '1'"},
    {M, "SELECT handle FROM users WHERE active IN (0, NULL) AND team = 'ops'"},
    {M, "SELECT count(*) FROM users WHERE active IS NOT 1"},
    {M, "SELECT count(*) FROM users WHERE active > 0"},
    {M, "SELECT count(*) FROM users WHERE active < true"},
    {M, "SELECT handle FROM users WHERE active IS NULL AND age < 30"},
    {O, "SELECT active FROM users ORDER BY active DESC LIMIT 10 OFFSET 1500"},
    {M, "SELECT handle, score FROM users WHERE score = 50"},
    {M, "SELECT handle, score FROM users WHERE score = '12.5'"},
    {O,
     "SELECT score FROM users WHERE score BETWEEN 10 AND 12.5 ORDER BY "
     "score DESC"},
    {O, "SELECT score FROM users ORDER BY score LIMIT 7 OFFSET 300"},
    {M, "SELECT count(*) FROM issues WHERE labels = '[]'"},
    {M, "SELECT key FROM issues WHERE labels = '[\"bug\"]'"},
    {M,
     "SELECT key, labels FROM issues WHERE labels > '[\"p0\"' AND labels "
     "< '[\"ui\"'"},
    {M, "SELECT count(*) FROM issues WHERE labels IS NULL"},
    {O, "SELECT labels FROM issues ORDER BY labels DESC LIMIT 10"},
    {O,
     "SELECT labels FROM issues WHERE labels IS NOT NULL ORDER BY labels "
     "LIMIT 10 OFFSET 2000"},
    {O,
     "SELECT due FROM issues WHERE due BETWEEN '2024-01-01' AND "
     "'2024-01-31' ORDER BY due"},
    {M, "SELECT key, due FROM issues WHERE due > '2025-09'"},
    {M, "SELECT count(*) FROM issues WHERE due IS NULL AND priority = 3"},
    {M, "SELECT count(*) FROM issues WHERE due = 20240101"},
    /* the mixed-type column (no declared type), indexed */
    {M, "SELECT key, ref FROM issues WHERE ref = 7"},
    {M, "SELECT key, ref FROM issues WHERE ref = '7'"},
    {M, "SELECT key, ref FROM issues WHERE ref = '07'"},
    {M, "SELECT key, ref FROM issues WHERE ref > 40"},
    {M, "SELECT key, ref FROM issues WHERE ref < '1'"},
    {M, "SELECT key, ref FROM issues WHERE ref IN (3, '3', 'x-3')"},
    {M,
     "SELECT key, ref FROM issues WHERE ref IN (SELECT priority FROM "
     "issues WHERE key = 'ISS-00001')"},
    {M,
     "SELECT a.key, b.handle FROM users b CROSS JOIN issues a ON a.ref = "
     "b.age WHERE b.handle IN ('u0100', 'u0101', 'u0102')"},
    {M, "SELECT key, ref FROM issues WHERE ref = CAST('7' AS TEXT)"},
    {M, "SELECT key, ref FROM issues WHERE ref > CAST('45' AS TEXT)"},
    {M,
     "SELECT a.key, a.ref, u.handle FROM users u JOIN issues a ON a.ref = "
     "u.team WHERE u.team = '42' AND u.age < 25"},
    {M,
     "SELECT count(*) FROM issues WHERE ref IN (SELECT team FROM users "
     "WHERE team = '42')"},
    {M, "SELECT key, ref FROM issues WHERE ref = CAST(7 AS INTEGER)"},
    /* id: point gets */
    {M, "SELECT * FROM issues WHERE id = '$I1'"},
    {M,
     "SELECT key FROM issues WHERE id IN ('$I1', '$I2', '$I3', '$I1', "
     "'not-a-uuid', NULL)"},
    {M, "SELECT key FROM issues WHERE id = '$IDEL'"},
    {M, "SELECT key FROM issues_all WHERE id = '$IDEL'"},
    {M, "SELECT key FROM issues WHERE id = upper('$I1')"},
    {M,
     "SELECT key FROM issues WHERE id = (SELECT id FROM issues WHERE key = "
     "'ISS-00123')"},
    {M, "SELECT handle FROM users WHERE id IN ('$U1', '$U2')"},
    {M,
     "SELECT handle FROM users WHERE id IN (SELECT reporter_id FROM issues "
     "WHERE priority = 5 AND status = 'wontfix')"},
    {M, "SELECT handle FROM users WHERE id > 'f' AND age > 70"},
    {M, "SELECT count(*) FROM issues WHERE id = 5"},
    /* ORDER BY, LIMIT, OFFSET */
    {O, "SELECT key, priority FROM issues ORDER BY priority, id LIMIT 50"},
    {O, "SELECT priority FROM issues ORDER BY priority LIMIT 20 OFFSET 3000"},
    {O,
     "SELECT priority FROM issues ORDER BY priority DESC LIMIT 20 OFFSET "
     "17100"},
    {O, "SELECT id FROM issues ORDER BY id LIMIT 10 OFFSET 17000"},
    {O, "SELECT id, key FROM issues ORDER BY id DESC LIMIT 25"},
    {O, "SELECT id FROM issues ORDER BY id DESC LIMIT 5 OFFSET 7"},
    {O,
     "SELECT key FROM issues WHERE status = 'open' ORDER BY id LIMIT 10 "
     "OFFSET 5"},
    {O,
     "SELECT key, estimate FROM issues WHERE estimate IS NOT NULL ORDER BY "
     "estimate DESC, id LIMIT 30"},
    {O, "SELECT estimate FROM issues ORDER BY estimate LIMIT 5 OFFSET 5000"},
    {O,
     "SELECT estimate FROM issues ORDER BY estimate DESC LIMIT 5 OFFSET "
     "12000"},
    {O, "SELECT handle, age FROM users ORDER BY age, handle"},
    {O, "SELECT handle, age FROM users ORDER BY age DESC, handle DESC"},
    {O,
     "SELECT handle, team FROM users ORDER BY team, handle LIMIT 100 "
     "OFFSET 10"},
    {O, "SELECT team FROM users ORDER BY team"},
    {O, "SELECT team FROM users ORDER BY team DESC LIMIT 30"},
    {O, "SELECT handle FROM users ORDER BY handle DESC LIMIT 3 OFFSET 1"},
    {O,
     "SELECT team, handle FROM users ORDER BY team COLLATE NOCASE, handle "
     "LIMIT 40"},
    {O,
     "SELECT key, created_at FROM issues ORDER BY created_at DESC, id "
     "LIMIT 15"},
    {O, "SELECT created_at FROM issues ORDER BY created_at LIMIT 10"},
    {O,
     "SELECT created_at FROM issues WHERE created_at > '2024-06' ORDER BY "
     "created_at DESC LIMIT 10 OFFSET 3"},
    /* routes that deliver the order: index ranges and equalities */
    {O,
     "SELECT priority FROM issues WHERE priority >= 4 ORDER BY priority "
     "DESC"},
    {M,
     "SELECT key, priority FROM issues WHERE priority >= 4 ORDER BY "
     "priority DESC"},
    {O,
     "SELECT estimate FROM issues WHERE estimate > 8 ORDER BY estimate "
     "DESC LIMIT 50"},
    {O, "SELECT estimate FROM issues WHERE estimate < 1 ORDER BY estimate"},
    {O,
     "SELECT created_at FROM issues WHERE created_at > '2025-03' ORDER BY "
     "created_at"},
    {O,
     "SELECT created_at FROM issues WHERE created_at < '2022-02' ORDER BY "
     "created_at DESC"},
    {O, "SELECT age FROM users WHERE age > 70 ORDER BY age DESC"},
    {O, "SELECT age FROM users WHERE age <= 20 ORDER BY age"},
    {O, "SELECT team FROM users WHERE team >= 'd' ORDER BY team DESC"},
    {O, "SELECT ref FROM issues WHERE ref > 10 ORDER BY ref"},
    {O, "SELECT ref FROM issues WHERE ref < 'x' ORDER BY ref DESC"},
    {O,
     "SELECT status FROM issues WHERE status = 'wontfix' ORDER BY status "
     "DESC"},
    {O, "SELECT age FROM users WHERE age IS NULL ORDER BY age DESC"},
    {O,
     "SELECT handle FROM users WHERE handle > 'u1990' ORDER BY handle "
     "DESC"},
    {O,
     "SELECT priority, count(*) FROM issues WHERE priority > 1 GROUP BY "
     "priority ORDER BY priority"},
    {M, "SELECT DISTINCT priority FROM issues WHERE priority > 2"},
    {M, "SELECT DISTINCT estimate FROM issues WHERE estimate >= 7"},
    {O,
     "SELECT key FROM issues WHERE id IN ('$I1', '$I2', '$I3') ORDER BY id "
     "DESC"},
    {O, "SELECT key FROM issues WHERE assignee = 'u0001' ORDER BY id"},
    {M, "SELECT count(*) FROM issues WHERE id IN ()"},
    {M,
     "SELECT handle, team FROM users WHERE team > CAST(10 AS INTEGER) AND "
     "team < CAST(100 AS INTEGER)"},
    {M, "SELECT handle, team FROM users WHERE team > 10 AND team < 100"},
    {M, "SELECT count(*) FROM (SELECT id FROM issues LIMIT 100 OFFSET 50)"},
    {M,
     "SELECT count(*) FROM (SELECT id FROM issues WHERE priority = 2 "
     "LIMIT 100)"},
    {M, "SELECT count(*) FROM (SELECT id FROM issues LIMIT -1 OFFSET 17500)"},
    {O,
     "SELECT key FROM issues WHERE priority = 3 ORDER BY priority, id "
     "LIMIT 5"},
    {O,
     "SELECT key, priority FROM issues WHERE priority IN (5, 1, 5) ORDER "
     "BY priority DESC, id LIMIT 12"},
    {O,
     "SELECT priority FROM issues WHERE priority IN (5, 1, 5) ORDER BY "
     "priority DESC LIMIT 5 OFFSET 3600"},
    {O, "SELECT ref FROM issues ORDER BY ref LIMIT 20 OFFSET 11000"},
    {O,
     "SELECT ref FROM issues WHERE ref IS NOT NULL ORDER BY ref DESC "
     "LIMIT 40"},
    {O, "SELECT id FROM issues_all ORDER BY id LIMIT 5 OFFSET 100"},
    {O, "SELECT * FROM issues ORDER BY priority LIMIT 0"},
    {O,
     "SELECT priority FROM issues ORDER BY priority LIMIT -1 OFFSET "
     "17400"},
    {O,
     "SELECT key, estimate FROM issues WHERE priority = 1 AND status = "
     "'open' ORDER BY estimate DESC NULLS FIRST, id"},
    {O,
     "SELECT key, estimate FROM issues WHERE priority = 1 AND status = "
     "'open' ORDER BY estimate NULLS LAST, id"},
    /* LIMIT where it must not reach the table: DISTINCT, GROUP BY,
    ** aggregates, windows, NULLS FIRST, expressions SQLite evaluates */
    {O, "SELECT DISTINCT priority FROM issues ORDER BY priority LIMIT 3"},
    {M, "SELECT count(*) FROM (SELECT DISTINCT status FROM issues LIMIT 3)"},
    {O,
     "SELECT priority, count(*) FROM issues GROUP BY priority ORDER BY "
     "priority LIMIT 2"},
    {O,
     "SELECT priority, count(*) OVER () FROM issues ORDER BY priority "
     "LIMIT 5"},
    {M, "SELECT count(*) FROM issues LIMIT 1"},
    {O,
     "SELECT priority FROM issues ORDER BY priority DESC NULLS FIRST "
     "LIMIT 5 OFFSET 500"},
    {O,
     "SELECT priority FROM issues WHERE +priority > 3 ORDER BY priority "
     "LIMIT 5 OFFSET 10"},
    {O,
     "SELECT priority FROM issues WHERE abs(priority) = 2 ORDER BY "
     "priority DESC LIMIT 3"},
    {O,
     "SELECT created_at FROM issues WHERE title LIKE 'Fix%' ORDER BY "
     "created_at LIMIT 5"},
    {O,
     "SELECT created_at FROM issues WHERE priority != 3 ORDER BY "
     "created_at DESC LIMIT 5 OFFSET 2"},
    /* min() and max() alone: SQLite may read only the first row in order */
    {M, "SELECT min(priority) FROM issues"},
    {M, "SELECT max(priority) FROM issues"},
    {M, "SELECT min(estimate) FROM issues"},
    {M, "SELECT max(estimate) FROM issues_all"},
    {M, "SELECT min(age) FROM users"},
    {M, "SELECT min(team) FROM users"},
    {M, "SELECT max(team) FROM users"},
    {M, "SELECT min(ref) FROM issues"},
    {M, "SELECT max(ref) FROM issues"},
    {M, "SELECT min(labels) FROM issues"},
    {M, "SELECT min(due) FROM issues"},
    {M, "SELECT max(created_at) FROM issues"},
    {M, "SELECT min(priority) FROM issues WHERE status = 'open'"},
    {M, "SELECT max(id) FROM issues"},
    {M, "SELECT min(id) FROM users"},
    {M, "SELECT min(estimate) FROM issues WHERE estimate < 5"},
    {M, "SELECT max(estimate) FROM issues WHERE estimate > 1"},
    {M, "SELECT min(priority) FROM issues WHERE priority > 0"},
    {M, "SELECT max(team) FROM users WHERE team < 'z'"},
    /* OR of indexed terms */
    {M,
     "SELECT key FROM issues WHERE assignee = 'u0005' OR assignee = "
     "'u0006'"},
    {M,
     "SELECT key FROM issues WHERE assignee = 'u0005' OR (priority = 5 "
     "AND status = 'wontfix')"},
    {M, "SELECT handle FROM users WHERE team = '042' OR age = 19"},
    {M, "SELECT key FROM issues WHERE id = '$I1' OR key = 'ISS-00999'"},
    {M,
     "SELECT handle, (SELECT key FROM issues i WHERE i.assignee = "
     "u.handle ORDER BY created_at DESC, id LIMIT 1) FROM users u WHERE "
     "team = 'ops'"},
    {M,
     "SELECT key FROM issues WHERE id IN (SELECT id FROM issues_all WHERE "
     "key LIKE 'ISS-001%')"},
    /* GROUP BY, HAVING, aggregates */
    {O,
     "SELECT status, count(*), count(estimate), sum(priority), "
     "total(estimate), avg(priority), min(estimate), max(estimate) FROM "
     "issues GROUP BY status ORDER BY status"},
    {O,
     "SELECT priority, count(DISTINCT assignee), count(*) FROM issues "
     "GROUP BY priority ORDER BY priority"},
    {O,
     "SELECT team, count(*), avg(age), min(age), max(score), sum(score) "
     "FROM users GROUP BY team ORDER BY team"},
    {O,
     "SELECT assignee, count(*) c FROM issues GROUP BY assignee HAVING "
     "count(*) > 40 ORDER BY c DESC, assignee"},
    {O,
     "SELECT assignee, count(*) FROM issues GROUP BY assignee ORDER BY "
     "count(*) DESC, assignee LIMIT 20"},
    {O,
     "SELECT strftime('%Y-%m', created_at) m, count(*) FROM issues GROUP "
     "BY m ORDER BY m"},
    {O,
     "SELECT status, priority, count(*), total(estimate) FROM issues "
     "GROUP BY status, priority ORDER BY status, priority"},
    {M,
     "SELECT count(*), count(assignee), count(DISTINCT assignee), "
     "sum(estimate), total(estimate), avg(estimate), min(priority), "
     "max(priority) FROM issues"},
    {O, "SELECT active, count(*) FROM users GROUP BY active ORDER BY active"},
    {O, "SELECT ref, count(*) FROM issues GROUP BY ref ORDER BY ref"},
    {O, "SELECT typeof(ref), count(*) FROM issues GROUP BY 1 ORDER BY 1"},
    {O,
     "SELECT status, count(*) FROM issues WHERE priority = 3 GROUP BY "
     "status HAVING sum(estimate) > 100 ORDER BY status"},
    {M, "SELECT max(created_at), min(created_at) FROM issues"},
    {M,
     "SELECT sum(priority) FILTER (WHERE status = 'open'), count(*) "
     "FILTER (WHERE estimate IS NULL) FROM issues"},
    {O,
     "SELECT team, group_concat(handle) FROM (SELECT team, handle FROM "
     "users WHERE age = 33 ORDER BY handle) GROUP BY team ORDER BY team"},
    {O,
     "SELECT priority, total(estimate), count(*) FROM issues WHERE "
     "created_at >= '2024-01-01' GROUP BY priority ORDER BY priority"},
    {O,
     "SELECT estimate, count(*) FROM issues GROUP BY estimate ORDER BY "
     "estimate"},
    {O,
     "SELECT age / 10 AS decade, count(*), avg(score) FROM users GROUP BY "
     "decade HAVING count(*) > 5 ORDER BY decade"},
    /* joins */
    {M,
     "SELECT i.key, u.name FROM issues i JOIN users u ON u.handle = "
     "i.assignee WHERE i.priority = 5 AND u.team = 'core'"},
    {O,
     "SELECT u.handle, count(i.id) FROM users u LEFT JOIN issues i ON "
     "i.assignee = u.handle AND +i.status = 'open' GROUP BY u.handle ORDER "
     "BY u.handle"},
    {M,
     "SELECT i.key, i.assignee, u.handle FROM issues i LEFT JOIN users u "
     "ON u.handle = i.assignee WHERE u.handle IS NULL"},
    {M,
     "SELECT i.key, r.name, r.team FROM issues i JOIN users r ON r.id = "
     "i.reporter_id WHERE i.status = 'wontfix'"},
    {O,
     "SELECT r.team, count(*) FROM issues i JOIN users r ON r.id = "
     "i.reporter_id GROUP BY r.team ORDER BY r.team"},
    {M,
     "SELECT count(*) FROM issues i LEFT JOIN users r ON r.id = "
     "i.reporter_id WHERE r.id IS NULL AND i.priority = 1"},
    {M,
     "SELECT u.handle, m.handle, m.name FROM users u JOIN users m ON "
     "m.handle = u.mentor WHERE u.age < 22"},
    {M,
     "SELECT a.key, b.key FROM issues a JOIN issues b ON a.assignee = "
     "b.assignee AND a.id < b.id WHERE a.priority = 5 AND a.estimate > 8 AND "
     "+b.status = "
     "'wontfix'"},
    {O,
     "SELECT u.team, count(*) FROM users u JOIN issues i ON i.assignee = "
     "u.handle WHERE i.status = 'closed' GROUP BY u.team ORDER BY u.team"},
    {M,
     "SELECT u.handle, i.key FROM users u, issues i WHERE i.assignee = "
     "u.handle AND u.age = 44 AND i.priority IN (4, 5)"},
    {M,
     "SELECT u.handle, u.team, i.key FROM users u JOIN issues i ON "
     "i.assignee = u.handle AND +i.priority = u.age / 15 WHERE u.team IN "
     "('web', '042')"},
    /* subqueries */
    {M,
     "SELECT key FROM issues WHERE assignee IN (SELECT handle FROM users "
     "WHERE team = 'infra' AND active = 1)"},
    {M,
     "SELECT handle FROM users WHERE handle NOT IN (SELECT assignee FROM "
     "issues WHERE assignee IS NOT NULL)"},
    {M,
     "SELECT handle FROM users WHERE handle NOT IN (SELECT assignee FROM "
     "issues)"},
    {M,
     "SELECT handle, (SELECT count(*) FROM issues i WHERE i.assignee = "
     "u.handle) FROM users u WHERE u.team = 'data'"},
    {M,
     "SELECT key FROM issues WHERE estimate > (SELECT avg(estimate) FROM "
     "issues) AND priority = 1"},
    {M,
     "SELECT handle FROM users u WHERE EXISTS (SELECT 1 FROM issues i "
     "WHERE i.assignee = u.handle AND +i.priority = 5 AND +i.status = "
     "'open')"},
    {M,
     "SELECT handle FROM users u WHERE NOT EXISTS (SELECT 1 FROM issues i "
     "WHERE i.assignee = u.handle)"},
    {M,
     "SELECT key, priority FROM issues i WHERE priority = (SELECT "
     "max(priority) FROM issues j WHERE j.assignee = i.assignee) AND "
     "assignee LIKE 'u05%'"},
    {M,
     "SELECT name FROM users WHERE id IN (SELECT reporter_id FROM issues "
     "WHERE key IN ('ISS-00010', 'ISS-00020', 'ISS-17999'))"},
    {M,
     "SELECT handle, (SELECT max(created_at) FROM issues i WHERE "
     "i.reporter_id = u.id) FROM users u WHERE u.age = 25 AND "
     "u.team = 'core'"},
    /* CTEs */
    {O,
     "WITH s AS (SELECT assignee, count(*) n FROM issues GROUP BY "
     "assignee) SELECT u.handle, s.n FROM users u JOIN s ON s.assignee = "
     "u.handle WHERE s.n > 30 ORDER BY s.n DESC, u.handle"},
    {O,
     "WITH RECURSIVE m(d) AS (SELECT '2022-01-01' UNION ALL SELECT "
     "date(d, '+1 month') FROM m WHERE d < '2025-06-01') SELECT d, (SELECT "
     "count(*) FROM issues WHERE created_at >= d AND created_at < date(d, "
     "'+1 month')) FROM m ORDER BY d"},
    {O,
     "WITH RECURSIVE chain(h, depth) AS (SELECT 'u1999', 0 UNION ALL "
     "SELECT u.mentor, c.depth + 1 FROM chain c JOIN users u ON u.handle = "
     "c.h WHERE u.mentor IS NOT NULL) SELECT c.h, c.depth, u.name FROM "
     "chain c LEFT JOIN users u ON u.handle = c.h ORDER BY c.depth"},
    {O,
     "WITH RECURSIVE chain(h, depth) AS (SELECT handle, 0 FROM users WHERE "
     "age = 77 UNION ALL SELECT u.mentor, c.depth + 1 FROM chain c JOIN "
     "users u ON u.handle = c.h WHERE u.mentor IS NOT NULL) SELECT depth, "
     "count(*), count(DISTINCT h) FROM chain GROUP BY depth ORDER BY "
     "depth"},
    {O,
     "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
     "WHERE x < 6) SELECT x, (SELECT count(*) FROM issues WHERE priority = "
     "x), (SELECT count(*) FROM issues WHERE priority = x - 0.5) FROM n "
     "ORDER BY x"},
    {M,
     "WITH open_issues AS (SELECT * FROM issues WHERE status = 'open'), "
     "busy AS (SELECT assignee FROM open_issues GROUP BY assignee HAVING "
     "count(*) >= 10) SELECT o.key FROM open_issues o JOIN busy b ON "
     "b.assignee = o.assignee WHERE o.priority = 5"},
    /* window functions */
    {O,
     "SELECT key, priority, row_number() OVER (PARTITION BY priority "
     "ORDER BY created_at, id) rn FROM issues WHERE assignee = 'u0001' "
     "ORDER BY priority, rn"},
    {O,
     "SELECT handle, age, rank() OVER (ORDER BY age DESC) r FROM users "
     "WHERE team = 'web' ORDER BY r, handle"},
    {O,
     "SELECT key, estimate, lag(estimate) OVER (ORDER BY created_at, id) "
     "FROM issues WHERE status = 'in_progress' AND priority = 2 ORDER BY "
     "created_at, id"},
    {O,
     "SELECT key, sum(estimate) OVER (PARTITION BY assignee) FROM issues "
     "WHERE assignee IN ('u0002', 'u0003') ORDER BY id"},
    {O,
     "SELECT key, sum(priority) OVER (ORDER BY created_at, id ROWS "
     "UNBOUNDED PRECEDING) FROM issues WHERE status = 'open' ORDER BY "
     "created_at, id LIMIT 200"},
    {O,
     "SELECT team, handle, dense_rank() OVER (PARTITION BY team ORDER BY "
     "score DESC) d FROM users WHERE score > 90 ORDER BY team, d, handle"},
    {O,
     "SELECT key, lead(key, 2) OVER (ORDER BY id) FROM issues WHERE "
     "priority = 1 ORDER BY id LIMIT 100"},
    {O,
     "SELECT status, total(estimate) OVER (PARTITION BY status ORDER BY "
     "created_at, id), key FROM issues WHERE assignee = 'u0000' ORDER BY "
     "status, created_at, id"},
    {O,
     "SELECT handle, ntile(4) OVER (ORDER BY score, handle), "
     "percent_rank() OVER (ORDER BY age) FROM users WHERE team = 'infra' "
     "ORDER BY handle"},
    /* string functions */
    {M,
     "SELECT upper(name), lower(name), length(name), substr(name, 2, 3) "
     "FROM users WHERE age BETWEEN 30 AND 32"},
    {M,
     "SELECT key, replace(title, '%', ' percent'), instr(title, '_'), "
     "trim(title, '#0123456789 ') FROM issues WHERE priority = 4 AND "
     "status = 'in_progress'"},
    {M,
     "SELECT handle || ':' || coalesce(team, '-') || ':' || name FROM "
     "users WHERE team IS NULL OR team = '042'"},
    {M, "SELECT length(title), count(*) FROM issues GROUP BY 1"},
    {M,
     "SELECT '[' || trim(name) || ']', ltrim(name), rtrim(name) FROM users "
     "WHERE name LIKE ' %'"},
    {M,
     "SELECT unicode(name), hex(substr(name, 1, 2)), length(CAST(name AS "
     "BLOB)) FROM users WHERE age = 50"},
    {M, "SELECT handle, name FROM users WHERE name LIKE '%\\%%' ESCAPE '\\'"},
    {M, "SELECT handle, name FROM users WHERE name LIKE '%\\_%' ESCAPE '\\'"},
    {M, "SELECT handle, name FROM users WHERE name LIKE '%''%'"},
    {M, "SELECT handle, name FROM users WHERE name LIKE '%\"%'"},
    {M, "SELECT handle, name FROM users WHERE name GLOB '*[李韩]*'"},
    {M, "SELECT handle, name FROM users WHERE name LIKE 'ann%' AND age > 60"},
    {M,
     "SELECT handle, name FROM users WHERE instr(name, '🚀') > 0 OR "
     "instr(name, '😀') > 0"},
    {M,
     "SELECT substr(title, -3), upper(substr(title, 1, 1)) FROM issues "
     "WHERE title LIKE '%ünï%' AND priority = 2"},
    /* dates */
    {O,
     "SELECT date(created_at), count(*) FROM issues WHERE created_at "
     "BETWEEN '2024-03-01' AND '2024-03-10' GROUP BY 1 ORDER BY 1"},
    {M,
     "SELECT key, julianday(due) - julianday(created_at) FROM issues "
     "WHERE due IS NOT NULL AND priority = 5 AND status = 'open'"},
    {M,
     "SELECT handle, CAST((julianday('2025-01-01') - julianday(joined)) / "
     "365.25 AS INTEGER) FROM users WHERE joined IS NOT NULL AND team = "
     "'ops'"},
    {O,
     "SELECT strftime('%w', created_at) dow, count(*) FROM issues GROUP BY "
     "dow ORDER BY dow"},
    {M, "SELECT count(*) FROM issues WHERE created_at < '2024-01-01'"},
    {M,
     "SELECT count(*) FROM issues WHERE created_at >= '2024-01-01' AND "
     "created_at < '2024-02-01'"},
    {M, "SELECT count(*) FROM issues WHERE created_at > '2025'"},
    {M,
     "SELECT key FROM issues WHERE created_at BETWEEN '2023-06-01' AND "
     "'2023-06-02T12:00:00.000000Z'"},
    {M, "SELECT count(*) FROM issues WHERE date(created_at) = '2024-02-29'"},
    {M, "SELECT key FROM issues WHERE due < created_at"},
    {O,
     "SELECT strftime('%Y', joined) y, count(*) FROM users GROUP BY y "
     "ORDER BY y"},
    {M,
     "SELECT count(*) FROM issues WHERE julianday(due) - "
     "julianday(created_at) > 80"},
    {M,
     "SELECT typeof(created_at), typeof(modified_at), typeof(deleted_at), "
     "length(created_at), count(*) FROM issues GROUP BY 1, 2, 3, 4"},
    /* JSON */
    {M,
     "SELECT key, json_array_length(labels), json_extract(labels, '$[0]') "
     "FROM issues WHERE priority = 4 AND status = 'closed'"},
    {O,
     "SELECT json_array_length(labels) n, count(*) FROM issues GROUP BY n "
     "ORDER BY n"},
    {M,
     "SELECT key FROM issues WHERE labels LIKE '%\"bug\"%' AND priority = "
     "1"},
    {O,
     "SELECT j.value, count(*) FROM issues, json_each(issues.labels) j "
     "GROUP BY j.value ORDER BY j.value"},
    {M,
     "SELECT handle, json_extract(meta, '$.tz'), json_type(meta), "
     "json_extract(meta, '$.beta') FROM users WHERE team = 'web'"},
    {M,
     "SELECT handle FROM users WHERE json_extract(meta, '$.level') >= 3 "
     "AND age < 30"},
    {M, "SELECT key FROM issues WHERE labels = '[]' AND status = 'wontfix'"},
    {M,
     "SELECT count(*) FROM issues WHERE EXISTS (SELECT 1 FROM "
     "json_each(issues.labels) WHERE value = 'p0')"},
    /* CASE, COALESCE, typeof, DISTINCT */
    {O,
     "SELECT CASE WHEN priority >= 4 THEN 'high' WHEN priority >= 2 THEN "
     "'mid' WHEN priority IS NULL THEN 'none' ELSE 'low' END b, count(*) "
     "FROM issues GROUP BY b ORDER BY b"},
    {M,
     "SELECT key, coalesce(assignee, 'nobody'), coalesce(estimate, -1), "
     "ifnull(ref, 'none') FROM issues WHERE priority = 2 AND status = "
     "'open'"},
    {M,
     "SELECT typeof(id), typeof(type), typeof(priority), "
     "typeof(estimate), typeof(labels), typeof(assignee), typeof(ref), "
     "typeof(due), count(*) FROM issues GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"},
    {M,
     "SELECT typeof(age), typeof(score), typeof(active), typeof(team), "
     "typeof(meta), typeof(mentor), typeof(joined), count(*) FROM users "
     "GROUP BY 1, 2, 3, 4, 5, 6, 7"},
    {M, "SELECT DISTINCT status FROM issues"},
    {M, "SELECT DISTINCT team FROM users"},
    {M, "SELECT DISTINCT assignee FROM issues WHERE priority = 5"},
    {M, "SELECT DISTINCT typeof(estimate), typeof(priority) FROM issues"},
    {M, "SELECT count(DISTINCT type), min(type) FROM issues"},
    {M,
     "SELECT key, CASE status WHEN 'open' THEN 1 WHEN 'closed' THEN 0 END "
     "FROM issues WHERE assignee = 'u0004'"},
    {M,
     "SELECT handle, iif(active, 'yes', 'no'), nullif(team, 'core') FROM "
     "users WHERE age > 75"},
    /* compound selects */
    {M,
     "SELECT assignee FROM issues WHERE priority = 5 UNION SELECT handle "
     "FROM users WHERE team = 'core'"},
    {M,
     "SELECT assignee FROM issues WHERE status = 'open' INTERSECT SELECT "
     "handle FROM users WHERE age > 60"},
    {M, "SELECT handle FROM users EXCEPT SELECT assignee FROM issues"},
    {M,
     "SELECT key FROM issues WHERE priority = 1 AND status = 'wontfix' "
     "UNION ALL SELECT key FROM issues WHERE priority = 1 AND status = "
     "'wontfix'"},
    {O, "SELECT team FROM users UNION SELECT status FROM issues ORDER BY 1"},
    /* NULL-heavy */
    {M, "SELECT count(*) FROM issues WHERE estimate IN (1, 2, NULL)"},
    {M, "SELECT count(*) FROM issues WHERE estimate NOT IN (1, 2, NULL)"},
    {M, "SELECT count(*) FROM issues WHERE NOT (estimate > 5)"},
    {M,
     "SELECT sum(age), avg(score), max(team), count(team) FROM users "
     "WHERE team IS NULL"},
    {O,
     "SELECT team, age, handle FROM users WHERE handle LIKE 'u00%' ORDER "
     "BY team DESC, age, handle"},
    {O,
     "SELECT assignee, count(*), count(estimate) FROM issues WHERE "
     "priority = 1 GROUP BY assignee ORDER BY assignee LIMIT 10"},
    {M,
     "SELECT count(*) FROM issues WHERE assignee IN (SELECT team FROM "
     "users)"},
    {M, "SELECT count(*) FROM issues WHERE (estimate > 5) IS NULL"},
    {M,
     "SELECT max(estimate), min(estimate) FROM issues WHERE estimate IS "
     "NOT NULL AND estimate IS NULL"},
    /* soft deletes: the _all views show them, the tables do not */
    {M, "SELECT count(*) FROM issues_all"},
    {M,
     "SELECT count(*), count(deleted_at) FROM issues_all WHERE status = "
     "'wontfix'"},
    {M,
     "SELECT key FROM issues_all WHERE deleted_at IS NOT NULL AND "
     "priority = 4"},
    {O,
     "SELECT status, count(*), count(deleted_at) FROM issues_all GROUP BY "
     "status ORDER BY status"},
    {M, "SELECT * FROM users_all WHERE deleted_at IS NOT NULL"},
    {M,
     "SELECT key FROM issues WHERE id IN (SELECT id FROM issues_all WHERE "
     "deleted_at IS NOT NULL)"},
    {M,
     "SELECT count(*) FROM issues_all a WHERE NOT EXISTS (SELECT 1 FROM "
     "issues b WHERE b.id = a.id)"},
    {M,
     "SELECT count(*) FROM users_all u CROSS JOIN issues i ON i.assignee "
     "= u.handle WHERE u.deleted_at IS NOT NULL"},
    {M, "SELECT key FROM issues_all WHERE assignee = 'u0013'"},
    {O,
     "SELECT priority FROM issues_all ORDER BY priority DESC LIMIT 5 "
     "OFFSET 1000"},
    {M,
     "SELECT count(*) FROM issues WHERE status = 'wontfix' AND priority "
     ">= 4"},
};

/* Queries with bound parameters: a bound value has no affinity, like a
** literal, but is not part of the SQL text. */
#define PN \
  { 'n', 0, 0, NULL }
#define PI(x) \
  { 'i', (x), 0, NULL }
#define PR(x) \
  { 'r', 0, (x), NULL }
#define PT(x) \
  { 't', 0, 0, (x) }
static const struct bq {
  int ord;
  const char *sql;
  param p[3];
} bound[] = {
    {M, "SELECT handle FROM users WHERE team IS ?", {PN}},
    {M, "SELECT count(*) FROM users WHERE age IS ?", {PN}},
    {M, "SELECT handle, team FROM users WHERE team = ?", {PI(42)}},
    {M, "SELECT handle, team FROM users WHERE team = ?", {PT("042")}},
    {M, "SELECT handle, team FROM users WHERE team < ?", {PR(50.5)}},
    {M, "SELECT key FROM issues WHERE priority = ?", {PT("3")}},
    {M, "SELECT key FROM issues WHERE priority = ?", {PR(4.0)}},
    {M,
     "SELECT key FROM issues WHERE priority BETWEEN ? AND ?",
     {PR(2.5), PT("4")}},
    {M,
     "SELECT key FROM issues WHERE estimate > ? AND estimate < ?",
     {PT("8.5"), PI(9)}},
    {M, "SELECT key, ref FROM issues WHERE ref = ?", {PI(7)}},
    {M, "SELECT key, ref FROM issues WHERE ref = ?", {PT("07")}},
    {M, "SELECT key FROM issues WHERE created_at < ?", {PT("2022-01-15")}},
    {M, "SELECT key FROM issues WHERE priority > ?", {PN}},
    {O,
     "SELECT priority FROM issues ORDER BY priority LIMIT ? OFFSET ?",
     {PI(5), PI(100)}},
    {O,
     "SELECT id FROM issues ORDER BY id DESC LIMIT ? OFFSET ?",
     {PI(3), PT("2")}},
    {M, "SELECT key FROM issues WHERE id = ?", {PT("$I1")}},
    {M, "SELECT count(*) FROM issues WHERE id = ?", {PI(1)}},
};

/* ---- EXPLAIN -------------------------------------------------------------
 */

/* The route of the first EXPLAIN row of `table`: desc (static), examined. */
static const char *explain(remdb *db, const char *sql, const char *table,
                           int64_t *examined, int64_t *returned) {
  static char route[300];
  snprintf(route, sizeof route, "(none)");
  *examined = *returned = -1;
  remdb_stmt *st = NULL;
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) {
    snprintf(route, sizeof route, "(error: %s)", remdb_errmsg(db));
    return route;
  }
  while (remdb_step(st) == REMDB_ROW) {
    const char *t = remdb_column_text(st, 0, NULL);
    if (t && strcmp(t, table) == 0) {
      snprintf(route, sizeof route, "%s", remdb_column_text(st, 1, NULL));
      *examined = remdb_column_int64(st, 3);
      *returned = remdb_column_int64(st, 4);
      break;
    }
  }
  remdb_finalize(st);
  return route;
}

static int64_t plain_count(sqlite3 *pl, const char *sql) {
  sqlite3_stmt *st;
  int64_t n = -1;
  if (sqlite3_prepare_v2(pl, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

static void test_explain(remdb *db, sqlite3 *pl, const char *id) {
  char q[256];
  int64_t ex, ret;
  snprintf(q, sizeof q, "EXPLAIN SELECT * FROM issues WHERE id = '%s'", id);
  CHECK_HAS(explain(db, q, "issues", &ex, &ret), "point get");
  CHECK_INT(ex, 1);
  CHECK_INT(ret, 1);

  /* a selective value (5% of rows) is served by the index... */
  const char *r = explain(db,
                          "EXPLAIN SELECT * FROM issues WHERE status = "
                          "'wontfix'",
                          "issues", &ex, &ret);
  CHECK_HAS(r, "index lookup on status");
  CHECK_INT(ex, plain_count(pl,
                            "SELECT count(*) FROM issues_all WHERE "
                            "status = 'wontfix'"));
  CHECK_INT(ret, plain_count(pl,
                             "SELECT count(*) FROM issues WHERE status "
                             "= 'wontfix'"));
  CHECK(ex < N_ISSUES / 10);
  /* ...a common one (35%) costs less as a sequential scan than as that
  ** many random gets, and the planner says so */
  r = explain(db, "EXPLAIN SELECT * FROM issues WHERE status = 'open'",
              "issues", &ex, &ret);
  CHECK_HAS(r, "full scan");

  r = explain(db, "EXPLAIN SELECT * FROM issues WHERE assignee = 'u0100'",
              "issues", &ex, &ret);
  CHECK_HAS(r, "index lookup on assignee");
  CHECK_INT(ex, plain_count(pl,
                            "SELECT count(*) FROM issues_all WHERE "
                            "assignee = 'u0100'"));
  CHECK(ex >= 0 && ex < 100); /* far below the table's 18000 rows */

  r = explain(db,
              "EXPLAIN SELECT * FROM issues WHERE priority BETWEEN 2 AND "
              "3",
              "issues", &ex, &ret);
  CHECK_HAS(r, "index range on priority");
  CHECK_INT(ret, plain_count(pl,
                             "SELECT count(*) FROM issues WHERE "
                             "priority BETWEEN 2 AND 3"));

  /* ORDER BY an indexed field, no WHERE: under a LIMIT the index walk
  ** delivers the order and stops early.  (Without a LIMIT the planner
  ** prefers a full scan and a sort, which its cost model rates cheaper
  ** than a random get per row; the corpus checks those results.) */
  r = explain(db, "EXPLAIN SELECT * FROM issues ORDER BY priority LIMIT 10",
              "issues", &ex, &ret);
  CHECK_HAS(r, "ordered");
  CHECK(ex >= 10 && ex < 100);
  CHECK_INT(ret, 10);
  r = explain(db, "EXPLAIN SELECT * FROM users ORDER BY age DESC LIMIT 5",
              "users", &ex, &ret);
  CHECK_HAS(r, "ordered descending");

  r = explain(db,
              "EXPLAIN SELECT * FROM issues WHERE priority > 3 ORDER BY "
              "priority DESC",
              "issues", &ex, &ret);
  CHECK_HAS(r, "index range on priority (3, +inf), ordered descending");

  r = explain(db, "EXPLAIN SELECT * FROM issues WHERE title LIKE 'Fix%'",
              "issues", &ex, &ret);
  CHECK_HAS(r, "full scan");
  CHECK_INT(ex, plain_count(pl, "SELECT count(*) FROM issues_all"));

  r = explain(db, "EXPLAIN SELECT * FROM issues WHERE estimate = 2.5",
              "issues", &ex, &ret);
  CHECK_HAS(r, "index lookup on estimate");
  r = explain(db,
              "EXPLAIN SELECT * FROM issues WHERE created_at >= "
              "'2024-01-01' AND created_at < '2024-01-08'",
              "issues", &ex, &ret);
  CHECK_HAS(r, "index range on created_at");
  r = explain(db, "EXPLAIN SELECT * FROM users WHERE team IS NULL", "users",
              &ex, &ret);
  CHECK_HAS(r, "index lookup on team IS NULL");
}

/* ---- main ----------------------------------------------------------------
 */

/* Replace every $NAME placeholder of sql (names from subs) into out. */
static void substitute(const char *sql, const char *const subs[][2],
                       size_t nsubs, strbuf *out) {
  out->len = 0;
  sb_adds(out, "");
  for (const char *p = sql; *p;) {
    bool done = false;
    if (*p == '$') {
      for (size_t i = 0; i < nsubs && !done; i++) {
        size_t l = strlen(subs[i][0]);
        /* longest names first in subs, so $IDEL is not taken for $I... */
        if (strncmp(p + 1, subs[i][0], l) == 0) {
          sb_adds(out, subs[i][1]);
          p += 1 + l;
          done = true;
        }
      }
    }
    if (!done) sb_add(out, p++, 1);
  }
}

static void plain_id(sqlite3 *pl, const char *sql, char out[64]) {
  sqlite3_stmt *st;
  snprintf(out, 64, "(missing)");
  if (sqlite3_prepare_v2(pl, sql, -1, &st, NULL) != SQLITE_OK) return;
  if (sqlite3_step(st) == SQLITE_ROW)
    snprintf(out, 64, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
}

/* The first column of the first row of sql on remdb, as an integer. */
static int64_t remdb_int(remdb *db, const char *sql) {
  result r;
  run_remdb(db, sql, &r);
  long long v = -1;
  if (!r.ok || r.n < 2 || sscanf(r.rows[1], "i:%lld", &v) != 1) v = -1;
  res_free(&r);
  return v;
}

static int exec_remdb(remdb *db, const char *sql) {
  remdb_stmt *st = NULL;
  int rc = remdb_prepare(db, sql, strlen(sql), &st, NULL);
  if (rc == REMDB_OK && st) {
    while ((rc = remdb_step(st)) == REMDB_ROW) {
    }
    if (rc == REMDB_DONE) rc = REMDB_OK;
  }
  if (rc) fprintf(stderr, "%s: %s\n", sql, remdb_errmsg(db));
  remdb_finalize(st);
  return rc;
}


/* ---- a small differential test: column-vs-column terms and LIMIT ------
** A table of two integer columns a (indexed) and b, and a number c, with
** NULLs and absent values, against the same rows in plain SQLite: random
** WHERE terms comparing the columns with each other and with literals,
** under ORDER BY, LIMIT and OFFSET (huge ones too), then random UPDATE
** and DELETE ... ORDER BY id LIMIT n, comparing the whole table after
** each (issue 9 #1, #2).  The seed is fixed; DIFF_SEED=n picks another. */

static uint64_t drng;
static int dr(int n) {
  uint64_t z = (drng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (int)((z ^ (z >> 31)) % (uint64_t)n);
}

static void diff_term(char *out, size_t n) {
  static const char *const terms[] = {
      "a = b", "a <> b", "a < b", "a <= b", "a > b", "a >= b", "a IS b",
      "a IS NOT b", "a IN (b)", "a IN (b, %d)", "a NOT IN (b, %d)",
      "a = b + %d", "b = a - %d", "a + 0 = b", "a = b AND a > %d",
      "a = %d AND b > a", "a > b OR b IS NULL", "a BETWEEN b AND b + %d",
      "c = a", "c > b", "a = c * 2", "a = %d", "a > %d", "a IS NULL",
      "a IN (%d, b, NULL)", "b = %d", "a <= %d AND a < b",
      "a IN (SELECT b FROM dpairs WHERE b > %d)", "NOT (a = b)",
      "coalesce(a, %d) = b", "a = b COLLATE NOCASE", "(a = b) = (b > %d)",
      "a = +b", "a = b AND b = a", "1"};
  snprintf(out, n, terms[dr((int)NELEM(terms))], dr(9) - 4);
}

static bool diff_same(remdb *db, sqlite3 *pl) {
  return compare(db, pl, "SELECT id, a, b, c FROM dpairs ORDER BY id", true);
}

static void test_pairs_diff(remdb *db, sqlite3 *pl) {
  const char *seed_env = getenv("DIFF_SEED");
  uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20250609;
  drng = seed;
  CHECK_INT(remdb_schema_put(
                db,
                "{\"name\":\"dpairs\",\"properties\":{"
                "\"a\":{\"type\":[\"integer\",\"null\"]},"
                "\"b\":{\"type\":[\"integer\",\"null\"]},"
                "\"c\":{\"type\":[\"number\",\"null\"]}},"
                "\"indexed_fields\":[\"a\"]}",
                strlen("{\"name\":\"dpairs\",\"properties\":{"
                       "\"a\":{\"type\":[\"integer\",\"null\"]},"
                       "\"b\":{\"type\":[\"integer\",\"null\"]},"
                       "\"c\":{\"type\":[\"number\",\"null\"]}},"
                       "\"indexed_fields\":[\"a\"]}")),
            REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) {
    /* each field: absent (1 in 20), null (1 in 6), or a small number */
    char row[128];
    int len = 1;
    row[0] = '{';
    static const char *const names[] = {"a", "b", "c"};
    for (int f = 0; f < 3; f++) {
      int k = dr(60);
      if (k < 3) continue;
      len += snprintf(row + len, sizeof row - (size_t)len, "%s\"%s\":",
                      len > 1 ? "," : "", names[f]);
      if (k < 13)
        len += snprintf(row + len, sizeof row - (size_t)len, "null");
      else
        len += snprintf(row + len, sizeof row - (size_t)len,
                        f == 2 ? "%d.5" : "%d", dr(7) - 3);
    }
    len += snprintf(row + len, sizeof row - (size_t)len, "}");
    CHECK_INT(remdb_batch_insert(b, "dpairs", row, (size_t)len, NULL),
              REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  if (!copy_table(db, pl, "dpairs", "dpairs")) return;
  CHECK_INT(plain_exec(pl, "CREATE INDEX pd1 ON dpairs(a)"), SQLITE_OK);
  static const char *const orders[] = {"id", "a, id", "a DESC, id",
                                       "b, a, id", "c DESC, id"};
  int before = n_mismatch, queries = 0;
  char term[128], q[512];
  for (int i = 0; i < 600; i++, queries++) {
    diff_term(term, sizeof term);
    int lim = dr(6), off = dr(8);
    const char *big = dr(4) == 0 ? "9223372036854775807" : NULL;
    char limit[96] = "";
    if (dr(5))
      snprintf(limit, sizeof limit, " LIMIT %s%s%d", big ? big : "",
               big ? " OFFSET " : "", big ? off : lim);
    if (limit[0] && !big && dr(2))
      snprintf(limit + strlen(limit), sizeof limit - strlen(limit),
               " OFFSET %d", off);
    switch (dr(3)) {
      case 0: /* ordered: the rows themselves */
        snprintf(q, sizeof q, "SELECT a, b, c FROM dpairs WHERE %s ORDER BY "
                              "%s%s",
                 term, orders[dr((int)NELEM(orders))], limit);
        compare(db, pl, q, true);
        break;
      case 1: /* no order: how many rows LIMIT lets through */
        snprintf(q, sizeof q, "SELECT count(*) FROM (SELECT a, b FROM "
                              "dpairs WHERE %s%s)",
                 term, limit);
        compare(db, pl, q, true);
        break;
      default: /* no order, no LIMIT: the same multiset */
        snprintf(q, sizeof q, "SELECT a, b FROM dpairs WHERE %s", term);
        compare(db, pl, q, false);
        break;
    }
  }
  bool dml_limit = sqlite3_compileoption_used("ENABLE_UPDATE_DELETE_LIMIT");
  for (int i = 0; i < 60; i++, queries++) {
    diff_term(term, sizeof term);
    char limit[64] = "";
    if (dml_limit && dr(4))
      snprintf(limit, sizeof limit, " ORDER BY id LIMIT %d OFFSET %d",
               1 + dr(3), dr(3));
    static const char *const sets[] = {"b = b + 1", "a = b", "a = NULL",
                                       "c = c * 2", "b = a, a = b"};
    if (dr(3) == 0)
      snprintf(q, sizeof q, "DELETE FROM dpairs WHERE %s%s", term, limit);
    else
      snprintf(q, sizeof q, "UPDATE dpairs SET %s WHERE %s%s",
               sets[dr((int)NELEM(sets))], term, limit);
    int rr = exec_remdb(db, q), rp = plain_exec(pl, q);
    CHECK_INT(rr == REMDB_OK, rp == SQLITE_OK);
    if (!diff_same(db, pl)) {
      fprintf(stderr, "  after: %s\n", q);
      break;
    }
  }
  fprintf(stderr, "pairs diff (seed %llu): %d statements, %d differ\n",
          (unsigned long long)seed, queries, n_mismatch - before);
  CHECK_INT(n_mismatch - before, 0);
}

/* ---- the key route against plain SQLite ------------------------------
** key_field = v, IN (...) and IS are point gets of the ids derived from
** the values (issue 9 #18).  Three tables keyed by a string, an integer
** and a number field hold keys of every awkward kind (case, spaces,
** numeric text, unicode, -0.0, 2^53 +- 1, int64 extremes, tiny and huge
** reals), a few rows without a key, some soft-deleted; random literals
** and bound values of every SQL type are looked up in each, alone, in IN
** lists, through IS, through a join and a subquery, and the rows must be
** those plain SQLite returns from the same rows. */

static const char *const key_texts[] = {
    "a",    "A",   "5",         "05", " 5",  "5.0", "",
    "é",    "É",   "e\xcc\x81", "x%", "_",   "1e3", "日本",
    "NULL", "a b", "-0",        "0",  "k1",  "k2",  "9007199254740993",
    "0x10", "5 ",  "+5",        ".5", "0.5", "1.0", "-1"};
static const char *const key_nums[] = {"0",
                                       "-0.0",
                                       "1",
                                       "-1",
                                       "5",
                                       "5.0",
                                       "0.5",
                                       "-0.5",
                                       "0.1",
                                       "1e-7",
                                       "1e15",
                                       "1000000000000000.5",
                                       "9007199254740991",
                                       "9007199254740992",
                                       "9007199254740993",
                                       "-9007199254740993",
                                       "4611686018427387904",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "1e300",
                                       "-1e300",
                                       "2.5e-300",
                                       "3",
                                       "7",
                                       "123456789",
                                       "2.25",
                                       "1e16",
                                       "300"};

/* a random SQL literal: text, integer, real, NULL, a blob */
static void key_literal(char *out, size_t n) {
  int k = dr(20);
  if (k < 7) {
    const char *t = key_texts[dr((int)NELEM(key_texts))];
    snprintf(out, n, "'%s'", t);
  } else if (k < 15) {
    snprintf(out, n, "%s", key_nums[dr((int)NELEM(key_nums))]);
  } else if (k < 17) {
    snprintf(out, n, "'%s'", key_nums[dr((int)NELEM(key_nums))]);
  } else if (k < 18) {
    snprintf(out, n, "NULL");
  } else if (k < 19) {
    snprintf(out, n, "x'35'");
  } else {
    snprintf(out, n, "%d", dr(40) - 5);
  }
}

/* the key as selected: -0.0 as 0.0 (plain SQLite stores a REAL -0.0 as
** the integer 0 and reads it back as 0.0) */
#define KCOL "CASE WHEN typeof(k) = 'real' THEN k + 0 ELSE k END"

static void test_key_diff(remdb *db, sqlite3 *pl) {
  static const struct {
    const char *name, *type;
  } kt[] = {{"kdiff_s", "\"string\""},
            {"kdiff_i", "\"integer\""},
            {"kdiff_n", "\"number\""},
            {"kdiff_in", "[\"integer\",\"null\"]"}};
  char sch[512], q[1024];
  const char *seed_env = getenv("DIFF_SEED");
  uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20250611;
  drng = seed;
  for (size_t t = 0; t < NELEM(kt); t++) {
    snprintf(sch, sizeof sch,
             "{\"name\":\"%s\",\"key_field\":\"k\",\"properties\":{"
             "\"k\":{\"type\":%s},\"v\":{\"type\":\"integer\"},"
             "\"o\":{\"type\":[\"string\",\"number\",\"null\"]}}}",
             kt[t].name, kt[t].type);
    CHECK_INT(remdb_schema_put(db, sch, strlen(sch)), REMDB_OK);
    remdb_batch *b;
    CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
    for (int i = 0; i < 160; i++) {
      json_t *o = json_object(), *k = NULL;
      const char *x = key_nums[dr((int)NELEM(key_nums))];
      if (dr(12) == 0) {
        k = t == 3 ? json_null() : NULL; /* no key: a random id */
      } else if (t == 0) {
        k = json_string(dr(3) ? key_texts[dr((int)NELEM(key_texts))] : x);
      } else if (dr(4) == 0) {
        k = json_integer(dr(400) - 100);
      } else {
        /* the integer fields take only the integers of the pool */
        k = json_loads(x, JSON_DECODE_ANY, NULL);
        if (t != 2 && !json_is_integer(k)) {
          json_decref(k);
          k = json_integer(42);
        }
      }
      if (k) json_object_set_new(o, "k", k);
      json_object_set_new(o, "v", json_integer(i));
      /* o: a number of the pool, or its text */
      const char *y = key_nums[dr((int)NELEM(key_nums))];
      json_object_set_new(
          o, "o",
          dr(2) ? json_string(y) : json_loads(y, JSON_DECODE_ANY, NULL));
      char *text = json_dumps(o, JSON_COMPACT);
      json_decref(o);
      int rc = remdb_batch_insert(b, kt[t].name, text, strlen(text), NULL);
      if (rc != REMDB_OK) {
        fprintf(stderr, "key diff insert %s: %s\n", text, remdb_errmsg(db));
        CHECK_INT(rc, REMDB_OK);
      }
      free(text);
    }
    CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
    remdb_batch_free(b);
    /* some soft deletes, seen by the _all view */
    snprintf(q, sizeof q, "DELETE FROM %s WHERE v %% 7 = 3", kt[t].name);
    CHECK_INT(exec_remdb(db, q), REMDB_OK);
    char all[64];
    snprintf(all, sizeof all, "%s_all", kt[t].name);
    if (!copy_table(db, pl, kt[t].name, kt[t].name) ||
        !copy_table(db, pl, all, all))
      return;
  }
  int before = n_mismatch, queries = 0, routed = 0;
  char l1[64], l2[64], l3[64];
  for (int i = 0; i < 1500; i++, queries++) {
    const char *tn = kt[dr((int)NELEM(kt))].name;
    char tab[64];
    snprintf(tab, sizeof tab, "%s%s", tn, dr(4) == 0 ? "_all" : "");
    key_literal(l1, sizeof l1);
    key_literal(l2, sizeof l2);
    key_literal(l3, sizeof l3);
    switch (dr(8)) {
      case 0:
      case 1:
      case 2:
        snprintf(q, sizeof q, "SELECT id, " KCOL ", v FROM %s WHERE k = %s",
                 tab, l1);
        break;
      case 3:
        snprintf(q, sizeof q,
                 "SELECT id, " KCOL ", v FROM %s WHERE k IN (%s, %s, %s)", tab,
                 l1, l2, l3);
        break;
      case 4:
        snprintf(q, sizeof q, "SELECT id, " KCOL ", v FROM %s WHERE k IS %s",
                 tab, l1);
        break;
      case 5: /* a join: the outer table's o against the key */
        snprintf(q, sizeof q,
                 "SELECT a.v, b.v FROM %s a JOIN %s b ON b.k = a.o WHERE "
                 "a.v < 40",
                 kt[dr((int)NELEM(kt))].name, tab);
        break;
      case 6:
        snprintf(q, sizeof q,
                 "SELECT v FROM %s WHERE k IN (SELECT o FROM %s WHERE v < 30)",
                 tab, kt[dr((int)NELEM(kt))].name);
        break;
      default: { /* a bound value of each type */
        param ps[2];
        memset(ps, 0, sizeof ps);
        int k = dr(4);
        const char *x = key_texts[dr((int)NELEM(key_texts))];
        const char *y = key_nums[dr((int)NELEM(key_nums))];
        if (k == 0)
          ps[0] = (param){'t', 0, 0, x};
        else if (k == 1)
          ps[0] = (param){'t', 0, 0, y};
        else if (k == 2)
          ps[0] = (param){'r', 0, strtod(y, NULL), NULL};
        else
          ps[0] = (param){'i', strtoll(y, NULL, 10), 0, NULL};
        snprintf(q, sizeof q, "SELECT id, " KCOL ", v FROM %s WHERE k = ?",
                 tab);
        cur_params = ps;
        compare(db, pl, q, false);
        cur_params = NULL;
        continue;
      }
    }
    compare(db, pl, q, false);
    if (i % 10 == 0) { /* the route is taken (mostly) */
      int64_t ex, ret;
      char e[1100];
      snprintf(e, sizeof e, "EXPLAIN %s", q);
      if (strstr(explain(db, e, tab, &ex, &ret), "point get on key")) routed++;
    }
  }
  /* writes through the route: the same rows change */
  for (int i = 0; i < 80; i++, queries++) {
    const char *tn = kt[dr((int)NELEM(kt))].name;
    key_literal(l1, sizeof l1);
    key_literal(l2, sizeof l2);
    int w = dr(4);
    if (w == 0)
      snprintf(q, sizeof q, "DELETE FROM %s WHERE k IN (%s, %s)", tn, l1, l2);
    else if (w == 1)
      snprintf(q, sizeof q, "DELETE FROM %s WHERE k = %s", tn, l1);
    else
      snprintf(q, sizeof q, "UPDATE %s SET v = v + 1000 WHERE k = %s", tn, l1);
    int rr = exec_remdb(db, q), rp = plain_exec(pl, q);
    CHECK_INT(rr == REMDB_OK, rp == SQLITE_OK);
    char all[200];
    snprintf(all, sizeof all, "SELECT id, " KCOL ", v FROM %s ORDER BY id",
             tn);
    if (!compare(db, pl, all, true)) {
      fprintf(stderr, "  after: %s\n", q);
      break;
    }
  }
  fprintf(stderr,
          "key diff (seed %llu): %d statements, %d differ, %d of "
          "150 sampled took the key route\n",
          (unsigned long long)seed, queries, n_mismatch - before, routed);
  CHECK_INT(n_mismatch - before, 0);
  CHECK(routed > 30);
}

static void test_corpus_all(void) {
  remdb_options opts;
  remdb_options_init(&opts);
  opts.sync = REMDB_SYNC_NONE;
  remdb *db = NULL;
  CHECK_INT(remdb_open(dir, "default", &opts, &db), REMDB_OK);
  sqlite3 *pl = NULL;
  CHECK_INT(sqlite3_open(":memory:", &pl), SQLITE_OK);
  phase("open");
  if (db == NULL || pl == NULL || !load_remdb(db)) goto out;
  phase("load remdb");

  /* the plain copy, before the deletes */
  if (!copy_table(db, pl, "users", "users") ||
      !copy_table(db, pl, "issues", "issues"))
    goto out;
  CHECK_INT(plain_count(pl, "SELECT count(*) FROM users"), N_USERS);
  CHECK_INT(plain_count(pl, "SELECT count(*) FROM issues"), N_ISSUES);
  phase("copy to plain");

  /* soft deletes: one SQL DELETE, and remdb_delete by id; the same rows
  ** are deleted from the plain copy (issues_before keeps them, to check
  ** the _all view against) */
  CHECK_INT(plain_exec(pl,
                       "CREATE TABLE issues_before AS SELECT * FROM "
                       "issues"),
            SQLITE_OK);
  const char *del_sql =
      "DELETE FROM issues WHERE status = 'wontfix' AND "
      "priority >= 4";
  CHECK_INT(exec_remdb(db, del_sql), REMDB_OK);
  CHECK_INT(plain_exec(pl, del_sql), SQLITE_OK);
  int64_t n_sql_deleted = N_ISSUES - plain_count(pl,
                                                 "SELECT count(*) FROM "
                                                 "issues");
  CHECK(n_sql_deleted > 100 && n_sql_deleted < 1000);
  static const char *const by_id[] = {
      "SELECT id FROM issues WHERE key LIKE '%77'",
      "SELECT id FROM users WHERE handle LIKE 'u%13'"};
  int n_api_deleted[2] = {0, 0}; /* issues, users */
  for (size_t k = 0; k < NELEM(by_id); k++) {
    sqlite3_stmt *st;
    CHECK_INT(sqlite3_prepare_v2(pl, by_id[k], -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      CHECK_INT(remdb_delete(db, (const char *)sqlite3_column_text(st, 0), 0),
                REMDB_OK);
      n_api_deleted[k]++;
    }
    sqlite3_finalize(st);
  }
  CHECK_INT(plain_exec(pl, "DELETE FROM issues WHERE key LIKE '%77'"),
            SQLITE_OK);
  CHECK_INT(plain_exec(pl, "DELETE FROM users WHERE handle LIKE 'u%13'"),
            SQLITE_OK);
  CHECK(n_api_deleted[0] > 100 && n_api_deleted[1] > 10);
  uint64_t cnt = 0;
  CHECK_INT(remdb_count(db, "issues", 0, &cnt), REMDB_OK);
  CHECK_INT(cnt, plain_count(pl, "SELECT count(*) FROM issues"));
  CHECK_INT(remdb_count(db, "issues", REMDB_INCLUDE_DELETED, &cnt), REMDB_OK);
  CHECK_INT(cnt, N_ISSUES);
  CHECK_INT(remdb_count(db, "users", 0, &cnt), REMDB_OK);
  CHECK_INT(cnt, plain_count(pl, "SELECT count(*) FROM users"));

  /* the _all views, copied after the deletes */
  if (!copy_table(db, pl, "users_all", "users_all") ||
      !copy_table(db, pl, "issues_all", "issues_all"))
    goto out;
  CHECK_INT(plain_count(pl, "SELECT count(*) FROM issues_all"), N_ISSUES);
  CHECK_INT(plain_count(pl, "SELECT count(*) FROM users_all"), N_USERS);
  /* the plain deletes hit exactly the rows remdb soft-deleted */
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM (SELECT id FROM issues "
                        "EXCEPT SELECT id FROM issues_all WHERE "
                        "deleted_at IS NULL)"),
            0);
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM issues_all WHERE "
                        "deleted_at IS NULL"),
            plain_count(pl, "SELECT count(*) FROM issues"));
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM users_all WHERE "
                        "deleted_at IS NULL"),
            plain_count(pl, "SELECT count(*) FROM users"));
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM issues_all a JOIN issues b "
                        "USING (id) WHERE a.modified_at IS NOT "
                        "b.modified_at OR a.title IS NOT b.title"),
            0);
  /* remdb's own view: every row still there, exactly the deleted ones
  ** marked, their properties and created_at unchanged */
  CHECK_INT(remdb_int(db, "SELECT count(*) FROM issues_all"), N_ISSUES);
  CHECK_INT(remdb_int(db,
                      "SELECT count(*) FROM issues_all WHERE deleted_at "
                      "IS NOT NULL"),
            n_sql_deleted + n_api_deleted[0]);
  CHECK_INT(remdb_int(db,
                      "SELECT count(*) FROM users_all WHERE deleted_at "
                      "IS NOT NULL"),
            n_api_deleted[1]);
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM issues_all a WHERE "
                        "(a.deleted_at IS NOT NULL) != (a.id NOT IN "
                        "(SELECT id FROM issues))"),
            0);
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM issues_before b JOIN "
                        "issues_all a USING (id) WHERE a.created_at IS "
                        "NOT b.created_at OR a.title IS NOT b.title OR "
                        "a.labels IS NOT b.labels OR a.estimate IS NOT "
                        "b.estimate OR a.ref IS NOT b.ref OR "
                        "a.deleted_at < a.created_at"),
            0);
  CHECK_INT(plain_count(pl,
                        "SELECT count(*) FROM issues_before b JOIN "
                        "issues_all a USING (id)"),
            N_ISSUES);
  CHECK_INT(plain_exec(pl, "DROP TABLE issues_before"), SQLITE_OK);

  /* the plain copy gets indexes on the same fields (speed only) */
  static const char *const plain_indexes =
      "CREATE INDEX pu1 ON users(team); CREATE INDEX pu2 ON users(age);"
      "CREATE INDEX pu3 ON users(handle); CREATE INDEX pi1 ON issues(status);"
      "CREATE INDEX pi2 ON issues(priority);"
      "CREATE INDEX pi3 ON issues(assignee);"
      "CREATE INDEX pi4 ON issues(created_at);"
      "CREATE INDEX pi5 ON issues(reporter_id);"
      "CREATE INDEX pi6 ON issues(ref);"
      "CREATE INDEX pa1 ON users_all(handle);"
      "CREATE INDEX pa2 ON issues_all(assignee);"
      "CREATE INDEX pa3 ON issues_all(priority);";
  CHECK_INT(plain_exec(pl, plain_indexes), SQLITE_OK);
  phase("deletes, _all copies, plain indexes");

  char i1[64], i2[64], i3[64], idel[64], u1[64], u2[64];
  plain_id(pl, "SELECT id FROM issues WHERE key = 'ISS-00042'", i1);
  plain_id(pl, "SELECT id FROM issues ORDER BY id LIMIT 1", i2);
  plain_id(pl, "SELECT id FROM issues ORDER BY id DESC LIMIT 1", i3);
  plain_id(pl, "SELECT id FROM issues_all WHERE key = 'ISS-00177'", idel);
  plain_id(pl, "SELECT id FROM users WHERE handle = 'u0007'", u1);
  plain_id(pl, "SELECT id FROM users WHERE handle = 'u1998'", u2);
  const char *const subs[][2] = {{"IDEL", idel}, {"I1", i1}, {"I2", i2},
                                 {"I3", i3},     {"U1", u1}, {"U2", u2}};

  strbuf q = {0};
  for (size_t i = 0; i < NELEM(corpus); i++) {
    substitute(corpus[i].sql, subs, NELEM(subs), &q);
    bool query_results_match = compare(db, pl, q.p, corpus[i].ord == O);
    CHECK(query_results_match);
  }
  for (size_t i = 0; i < NELEM(bound); i++) {
    param ps[4];
    memset(ps, 0, sizeof ps);
    memcpy(ps, bound[i].p, sizeof bound[i].p);
    for (int k = 0; ps[k].type; k++)
      if (ps[k].type == 't' && strcmp(ps[k].t, "$I1") == 0) ps[k].t = i1;
    cur_params = ps;
    bool bound_results_match = compare(db, pl, bound[i].sql, bound[i].ord);
    cur_params = NULL;
    CHECK(bound_results_match);
  }
  free(q.p);
  phase("corpus");
  fprintf(stderr, "sql corpus: %d queries compared, %d differ\n", n_queries,
          n_mismatch);
  CHECK(n_queries >= 120);

  test_explain(db, pl, i1);
  phase("explain");
  test_pairs_diff(db, pl);
  phase("pairs diff");
  test_key_diff(db, pl);
  phase("key diff");

out:
  sqlite3_close(pl);
  remdb_close(db);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "sqlcorpus");
  TEST_CASE(test_corpus_all);
  int rc_ = test_main(argc, argv, "test_sql_corpus");
  rm_tree(dir);
  return rc_;
}

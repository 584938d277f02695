/*
** bench_sql.c: SQL benchmarks for `make bench`.  Loads N issues (default
** 1,000,000; REMDB_BENCH_N overrides) and 10,000 users into remdb, into a
** native SQLite database with the same indexes, and into CSV files that
** bench/duck_sql.mjs loads into DuckDB, then times the same queries on all
** three in the same run and prints a markdown table of medians and ratios:
**
**   indexed equality, 0.1% selectivity   target <= 1x SQLite
**   full-scan GROUP BY + HAVING          target <= 1x DuckDB (issue 11)
**   join 10k users x N issues + GROUP BY target <= 1x DuckDB (issue 11)
**   count(*) WHERE opened BETWEEN, a date-bucketed GROUP BY (issue 11)
**
** remdb runs each query on the SQLite route (remdb_options.sql_route
** REMDB_ROUTE_SQLITE: SQLite over the virtual tables), on the default
** route, which sends the aggregations it serves to the columnar executor
** (EXPLAIN's first line names the route taken; printed per query), with
** one thread and with the default thread setting (remdb_options.exec_threads
** 0: all cores where they pay), and on the
** executor over row scans.  DuckDB runs with one thread and with all
** cores (SET threads); the ratios compare the same thread counts.
**
** Usage: bench_sql [DUCKDB_SCRIPT]   (DuckDB is skipped if node or the
** script is unavailable).  Every result is checked to agree across the
** engines before its time is reported.
*/

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "remdb.h"

#define USERS 10000
#define PROJECTS 1000
#define TEAMS 20

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) { return xorshift64(&rng); }

static void die(const char *what, const char *msg) {
  fprintf(stderr, "error: %s: %s\n", what, msg);
  exit(1);
}

static const char *status_of[4] = {"open", "in_progress", "closed", "blocked"};
static const char *words[8] = {"login",  "timeout", "index", "cache",
                               "vector", "schema",  "crash", "memory"};

typedef struct row {
  int status, priority, assignee, project, day;
  double score;
  unsigned w1, w2;
} row;

/* One query's result digest: count of rows and sum of all numeric cells,
** enough to see that the engines agree. */
typedef struct digest {
  long long rows;
  double sum;
} digest;

static digest run_remdb(remdb *db, const char *sql, int bind) {
  remdb_stmt *st;
  digest d = {0, 0};
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK)
    die("remdb prepare", remdb_errmsg(db));
  if (bind >= 0) remdb_bind_int64(st, 1, bind);
  int r;
  while ((r = remdb_step(st)) == REMDB_ROW) {
    d.rows++;
    for (int i = 0; i < remdb_column_count(st); i++)
      if (remdb_column_type(st, i) == REMDB_INTEGER ||
          remdb_column_type(st, i) == REMDB_FLOAT)
        d.sum += remdb_column_double(st, i);
  }
  if (r != REMDB_DONE) die("remdb step", remdb_errmsg(db));
  remdb_finalize(st);
  return d;
}

static digest run_sqlite(sqlite3 *db, const char *sql, int bind) {
  sqlite3_stmt *st;
  digest d = {0, 0};
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    die("sqlite prepare", sqlite3_errmsg(db));
  if (bind >= 0) sqlite3_bind_int(st, 1, bind);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    d.rows++;
    for (int i = 0; i < sqlite3_column_count(st); i++)
      if (sqlite3_column_type(st, i) == SQLITE_INTEGER ||
          sqlite3_column_type(st, i) == SQLITE_FLOAT)
        d.sum += sqlite3_column_double(st, i);
  }
  if (r != SQLITE_DONE) die("sqlite step", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return d;
}

static void sq_exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err);
}

static void agree(const char *q, digest a, digest b) {
  if (a.rows != b.rows || fabs(a.sum - b.sum) > 1e-6 * fmax(1, fabs(a.sum))) {
    fprintf(stderr, "error: results differ for %s: remdb %lld rows sum %.6f, "
            "sqlite %lld rows sum %.6f\n", q, a.rows, a.sum, b.rows, b.sum);
    exit(1);
  }
}

typedef struct query {
  const char *name, *sql, *target;
  double max_ratio; /* of the default route's time to the target's peer */
  int reps;
  bool param; /* bound to a project id varying per repetition */
  double remdb_ms, sqlite_ms, duck_ms;
  double remdbn_ms, duckn_ms; /* all cores */
  bool vs_duck; /* the target is DuckDB's time, else SQLite's */
  double sqlroute_ms, rows_ms;
  char route[160];
  char routen[160]; /* the same with the default exec_threads */
} query;

/* The route EXPLAIN names first for sql. */
static void route_of(remdb *db, const char *sql, bool param, char *out,
                     size_t n) {
  char q[1024];
  snprintf(q, sizeof q, "EXPLAIN %s", sql);
  remdb_stmt *st;
  snprintf(out, n, "?");
  if (remdb_prepare(db, q, strlen(q), &st, NULL) != REMDB_OK) return;
  if (param) remdb_bind_int64(st, 1, 7);
  if (remdb_step(st) == REMDB_ROW) {
    const char *r = remdb_column_text(st, 1, NULL);
    snprintf(out, n, "%s", r ? r : "?");
  }
  remdb_finalize(st);
}

static remdb *reopen(remdb *db, const char *path, int route, int threads) {
  remdb_close(db);
  remdb_options o;
  remdb_options_init(&o);
  o.cache_bytes = 256u << 20;
  o.sql_route = route;
  o.exec_threads = threads;
  if (remdb_open(path, "bench", &o, &db) != REMDB_OK)
    die("remdb open", remdb_errmsg(db));
  return db;
}

/* "2025-MM-DDT12:00:00Z" of day d (0..364) */
/* A number in remdb_stats' JSON at the path of keys (NULL-terminated),
** -1 if absent. */
static double stat_num(remdb *db, ...) {
  char *js = NULL;
  if (remdb_stats(db, &js) != REMDB_OK) die("stats", remdb_errmsg(db));
  json_t *root = json_loads(js, 0, NULL), *v = root;
  remdb_free(js);
  va_list ap;
  va_start(ap, db);
  for (const char *k; v && (k = va_arg(ap, const char *)) != NULL;)
    v = json_object_get(v, k);
  va_end(ap);
  double d = v && json_is_number(v) ? json_number_value(v) : -1;
  json_decref(root);
  return d;
}

static void day_text(int d, char *out, size_t n) {
  static const int ml[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int m = 0;
  while (d >= ml[m]) d -= ml[m++];
  snprintf(out, n, "2025-%02d-%02dT12:00:00", m + 1, d + 1);
}

int main(int argc, char **argv) {
  long n = 1000000;
  const char *env = getenv("REMDB_BENCH_N");
  if (env && atol(env) > 0) n = atol(env);
  char dir[] = "/tmp/remdb-bench-sql-XXXXXX";
  if (mkdtemp(dir) == NULL) die("mkdtemp", "failed");
  char path[512];

  /* ---- data, generated once ---- */
  row *rows = malloc((size_t)n * sizeof *rows);
  if (rows == NULL) die("malloc", "out of memory");
  for (long i = 0; i < n; i++) {
    uint64_t r = next_rand();
    rows[i] = (row){(int)(r % 4), 1 + (int)((r >> 8) % 5),
                    (int)((r >> 16) % USERS), (int)((r >> 32) % PROJECTS),
                    (int)((r >> 48) % 365), (double)(next_rand() % 100000) / 100,
                    (unsigned)(r >> 40) % 8, (unsigned)(r >> 44) % 8};
  }

  /* ---- remdb ---- */
  snprintf(path, sizeof path, "%s/remdb", dir);
  remdb_options o;
  remdb_options_init(&o);
  o.cache_bytes = 256u << 20;
  remdb *db;
  if (remdb_open(path, "bench", &o, &db) != REMDB_OK)
    die("remdb open", remdb_errmsg(db));
  const char *users_schema =
      "{\"name\":\"users\",\"properties\":{\"handle\":{\"type\":\"string\"},"
      "\"team\":{\"type\":\"string\"},\"level\":{\"type\":\"integer\"}},"
      "\"key_field\":\"handle\",\"indexed_fields\":[\"team\"]}";
  const char *issues_schema =
      "{\"name\":\"issues\",\"properties\":{\"title\":{\"type\":\"string\"},"
      "\"status\":{\"type\":\"string\"},\"priority\":{\"type\":\"integer\"},"
      "\"assignee\":{\"type\":\"string\"},\"project\":{\"type\":\"integer\"},"
      "\"score\":{\"type\":\"number\"},\"opened\":{\"type\":\"string\"}},"
      "\"indexed_fields\":[\"status\",\"priority\",\"assignee\",\"project\"]}";
  if (remdb_schema_put(db, users_schema, strlen(users_schema)) ||
      remdb_schema_put(db, issues_schema, strlen(issues_schema)))
    die("remdb schema", remdb_errmsg(db));
  double t0 = now();
  remdb_batch *b;
  char json[512], a0[40];
  if (remdb_batch_begin(db, &b)) die("batch", remdb_errmsg(db));
  for (int u = 0; u < USERS; u++) {
    int len = snprintf(json, sizeof json,
                       "{\"handle\":\"user%05d\",\"team\":\"team%02d\","
                       "\"level\":%d}", u, u % TEAMS, u % 7);
    if (remdb_batch_insert(b, "users", json, (size_t)len, NULL))
      die("insert user", remdb_errmsg(db));
  }
  if (remdb_batch_commit(b, 0)) die("commit", remdb_errmsg(db));
  for (long i = 0; i < n; i++) {
    row *r = &rows[i];
    int len = snprintf(
        json, sizeof json,
        "{\"title\":\"issue %ld: %s %s\",\"status\":\"%s\",\"priority\":%d,"
        "\"assignee\":\"user%05d\",\"project\":%d,\"score\":%.2f,"
        "\"opened\":\"%sZ\"}",
        i, words[r->w1], words[r->w2], status_of[r->status], r->priority,
        r->assignee, r->project, r->score, (day_text(r->day, a0, sizeof a0), a0));
    if (remdb_batch_insert(b, "issues", json, (size_t)len, NULL))
      die("insert issue", remdb_errmsg(db));
    if (remdb_batch_count(b) >= 1000 && remdb_batch_commit(b, 0))
      die("commit", remdb_errmsg(db));
  }
  if (remdb_batch_commit(b, 1)) die("commit", remdb_errmsg(db));
  remdb_batch_free(b);
  double remdb_load = now() - t0;
  /* settle the LSM tree, as SQLite's indexes are built after its load */
  if (remdb_compact(db)) die("compact", remdb_errmsg(db));
  /* the columns' size on disk against the entities' (issue 11: <= 40%) */
  double col_disk = stat_num(db, "storage", "columns", "approximate_bytes",
                             NULL),
         ent_disk = stat_num(db, "storage", "entity", "approximate_bytes",
                             NULL);

  /* ---- SQLite, same rows and indexes, and CSV for DuckDB ---- */
  snprintf(path, sizeof path, "%s/peer.sqlite", dir);
  sqlite3 *sq;
  if (sqlite3_open(path, &sq) != SQLITE_OK) die("sqlite open", path);
  sq_exec(sq, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
              "PRAGMA cache_size=-262144;"
              "CREATE TABLE users(id TEXT PRIMARY KEY, handle TEXT, team TEXT,"
              " level INTEGER);"
              "CREATE TABLE issues(id TEXT PRIMARY KEY, title TEXT, status "
              "TEXT, priority INTEGER, assignee TEXT, project INTEGER, score "
              "REAL, opened TEXT);");
  snprintf(path, sizeof path, "%s/users.csv", dir);
  FILE *uc = fopen(path, "w");
  snprintf(path, sizeof path, "%s/issues.csv", dir);
  FILE *ic = fopen(path, "w");
  if (!uc || !ic) die("csv", "cannot write");
  fprintf(uc, "id,handle,team,level\n");
  fprintf(ic, "id,title,status,priority,assignee,project,score,opened\n");
  t0 = now();
  sq_exec(sq, "BEGIN");
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(sq, "INSERT INTO users VALUES (?,?,?,?)", -1, &ins, NULL);
  char a[64], c[64];
  for (int u = 0; u < USERS; u++) {
    snprintf(a, sizeof a, "u%08d", u);
    snprintf(c, sizeof c, "user%05d", u);
    char team[16];
    snprintf(team, sizeof team, "team%02d", u % TEAMS);
    sqlite3_bind_text(ins, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, c, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, team, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 4, u % 7);
    if (sqlite3_step(ins) != SQLITE_DONE) die("sqlite insert", "users");
    sqlite3_reset(ins);
    fprintf(uc, "%s,%s,%s,%d\n", a, c, team, u % 7);
  }
  sqlite3_finalize(ins);
  sqlite3_prepare_v2(sq, "INSERT INTO issues VALUES (?,?,?,?,?,?,?,?)", -1,
                     &ins, NULL);
  for (long i = 0; i < n; i++) {
    row *r = &rows[i];
    char title[96];
    snprintf(a, sizeof a, "i%010ld", i);
    snprintf(c, sizeof c, "user%05d", r->assignee);
    snprintf(title, sizeof title, "issue %ld: %s %s", i, words[r->w1],
             words[r->w2]);
    sqlite3_bind_text(ins, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, status_of[r->status], -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 4, r->priority);
    sqlite3_bind_text(ins, 5, c, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 6, r->project);
    sqlite3_bind_double(ins, 7, r->score);
    char op[48];
    day_text(r->day, op, sizeof op);
    strcat(op, ".000000Z");
    sqlite3_bind_text(ins, 8, op, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(ins) != SQLITE_DONE) die("sqlite insert", "issues");
    sqlite3_reset(ins);
    if (i % 1000 == 999) sq_exec(sq, "COMMIT; BEGIN");
    fprintf(ic, "%s,%s,%s,%d,%s,%d,%.2f,%s\n", a, title,
            status_of[r->status], r->priority, c, r->project, r->score, op);
  }
  sqlite3_finalize(ins);
  sq_exec(sq, "COMMIT");
  sq_exec(sq, "CREATE INDEX users_team ON users(team);"
              "CREATE INDEX users_handle ON users(handle);"
              "CREATE INDEX issues_status ON issues(status);"
              "CREATE INDEX issues_priority ON issues(priority);"
              "CREATE INDEX issues_assignee ON issues(assignee);"
              "CREATE INDEX issues_project ON issues(project); ANALYZE;");
  double sqlite_load = now() - t0;
  fclose(uc);
  fclose(ic);

  query qs[] = {
      {"indexed equality, 0.1% selectivity",
       "SELECT count(*), avg(score) FROM issues WHERE project = ?",
       "<= 1x SQLite", 1.0, 21, true, 0, 0, 0, 0, 0, false, 0, 0, "", ""},
      {"full-scan GROUP BY + HAVING",
       "SELECT status, priority, count(*) AS n, avg(score) FROM issues "
       "GROUP BY status, priority HAVING n > 10",
       "<= 1x DuckDB", 1.0, 5, false, 0, 0, 0, 0, 0, true, 0, 0, "", ""},
      {"join 10k users x issues + GROUP BY",
       "SELECT u.team, count(*) AS n, avg(i.score) FROM users u JOIN issues i "
       "ON i.assignee = u.handle GROUP BY u.team",
       "<= 1x DuckDB", 1.0, 3, false, 0, 0, 0, 0, 0, true, 0, 0, "", ""},
      {"count(*) WHERE opened BETWEEN (4 months)",
       "SELECT count(*) FROM issues WHERE opened BETWEEN '2025-03-01' AND "
       "'2025-07-01'",
       "<= 1x DuckDB", 1.0, 5, false, 0, 0, 0, 0, 0, true, 0, 0, "", ""},
      {"date-bucketed GROUP BY (month)",
       "SELECT strftime('%Y-%m', opened) AS m, count(*), avg(score) FROM "
       "issues GROUP BY m",
       "<= 1x DuckDB", 1.0, 5, false, 0, 0, 0, 0, 0, true, 0, 0, "", ""},
  };
  size_t nq = sizeof qs / sizeof qs[0];
  for (size_t q = 0; q < nq; q++) {
    double ts[64];
    run_sqlite(sq, qs[q].sql, qs[q].param ? 7 : -1); /* warm */
    for (int k = 0; k < qs[q].reps; k++) {
      int p = qs[q].param ? (k * 37) % PROJECTS : -1;
      double s1 = now();
      run_sqlite(sq, qs[q].sql, p);
      ts[k] = (now() - s1) * 1e3;
    }
    qs[q].sqlite_ms = median(ts, qs[q].reps);
    qs[q].duck_ms = -1;
    qs[q].duckn_ms = -1;
  }
  /* remdb: the SQLite route, the default (columnar) route on one thread
  ** and on all cores, and the executor over row scans (its other source) */
  snprintf(path, sizeof path, "%s/remdb", dir);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu < 1) ncpu = 1;
  double load0[3] = {0, 0, 0}, load1[3] = {0, 0, 0};
  getloadavg(load0, 3);
  for (int pass = 0; pass < 4; pass++) {
    db = reopen(db, path,
                pass == 1 || pass == 3 ? REMDB_ROUTE_AUTO
                : pass == 2            ? REMDB_ROUTE_ROWS
                                       : REMDB_ROUTE_SQLITE,
                pass == 3 ? 0 : 1); /* 0: the default, all cores where
                                       ** they pay (remdb.h) */
    for (size_t q = 0; q < nq; q++) {
      double tr[64];
      /* warm the caches once, and check that the engines agree */
      agree(qs[q].name, run_remdb(db, qs[q].sql, qs[q].param ? 7 : -1),
            run_sqlite(sq, qs[q].sql, qs[q].param ? 7 : -1));
      for (int k = 0; k < qs[q].reps; k++) {
        int p = qs[q].param ? (k * 37) % PROJECTS : -1;
        double s0 = now();
        run_remdb(db, qs[q].sql, p);
        tr[k] = (now() - s0) * 1e3;
      }
      if (pass == 1) {
        qs[q].remdb_ms = median(tr, qs[q].reps);
        route_of(db, qs[q].sql, qs[q].param, qs[q].route, sizeof qs[q].route);
      } else if (pass == 3) {
        qs[q].remdbn_ms = median(tr, qs[q].reps);
        route_of(db, qs[q].sql, qs[q].param, qs[q].routen,
                 sizeof qs[q].routen);
      } else if (pass == 2) {
        qs[q].rows_ms = median(tr, qs[q].reps);
      } else {
        qs[q].sqlroute_ms = median(tr, qs[q].reps);
      }
    }
  }
  /* the decoded columns the queries left cached (bounded by
  ** remdb_options.column_cache_bytes) */
  double col_cache = stat_num(db, "tables", "issues", "columns", "cache_bytes",
                              NULL);
  remdb_close(db);
  sqlite3_close(sq);

  /* DuckDB, from the CSV files, in a separate process */
  if (argc > 1) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "node %s %s %ld", argv[1], dir, ncpu);
    FILE *p = popen(cmd, "r");
    char line[256];
    while (p && fgets(line, sizeof line, p)) {
      unsigned qi;
      double ms;
      if (sscanf(line, "duck %u %lf", &qi, &ms) == 2 && qi < nq)
        qs[qi].duck_ms = ms;
      else if (sscanf(line, "duckN %u %lf", &qi, &ms) == 2 && qi < nq)
        qs[qi].duckn_ms = ms;
    }
    if (p && pclose(p) != 0)
      fprintf(stderr, "warning: the DuckDB peer failed; its column is empty\n");
  }

  getloadavg(load1, 3);
  printf("| query (N = %ld issues, %d users) | remdb ms, 1 thread | DuckDB ms, "
         "1 thread | remdb/DuckDB, 1 thread | remdb ms, default threads (up to %ld) | DuckDB "
         "ms, %ld threads | remdb/DuckDB, %ld threads | remdb ms, executor on "
         "rows | remdb ms, SQLite route | SQLite ms | remdb/SQLite | target | "
         "met? (1 thread / %ld) |\n", n, USERS, ncpu, ncpu, ncpu, ncpu);
  printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t q = 0; q < nq; q++) {
    double ratio = qs[q].remdb_ms / qs[q].sqlite_ms;
    char duck[32] = "-", dr[32] = "-", duckn[32] = "-", drn[32] = "-";
    char met[32] = "-";
    if (qs[q].duck_ms > 0) {
      snprintf(duck, sizeof duck, "%.2f", qs[q].duck_ms);
      snprintf(dr, sizeof dr, "%.2fx", qs[q].remdb_ms / qs[q].duck_ms);
    }
    if (qs[q].duckn_ms > 0) {
      snprintf(duckn, sizeof duckn, "%.2f", qs[q].duckn_ms);
      snprintf(drn, sizeof drn, "%.2fx", qs[q].remdbn_ms / qs[q].duckn_ms);
    }
    if (qs[q].vs_duck) {
      if (qs[q].duck_ms > 0 && qs[q].duckn_ms > 0)
        snprintf(met, sizeof met, "%s / %s",
                 qs[q].remdb_ms / qs[q].duck_ms <= qs[q].max_ratio ? "yes"
                                                                  : "**no**",
                 qs[q].remdbn_ms / qs[q].duckn_ms <= qs[q].max_ratio
                     ? "yes"
                     : "**no**");
    } else {
      snprintf(met, sizeof met, "%s",
               ratio <= qs[q].max_ratio ? "yes" : "**no**");
    }
    printf("| %s | %.2f | %s | %s | %.2f | %s | %s | %.2f | %.2f | %.2f | "
           "%.2fx | %s | %s |\n",
           qs[q].name, qs[q].remdb_ms, duck, dr, qs[q].remdbn_ms, duckn, drn,
           qs[q].rows_ms, qs[q].sqlroute_ms, qs[q].sqlite_ms, ratio,
           qs[q].target, met);
  }
  printf("\nLoad average (1/5/15 min) while remdb ran: %.2f %.2f %.2f at the "
         "start, %.2f %.2f %.2f at the end (%ld cores).\n",
         load0[0], load0[1], load0[2], load1[0], load1[1], load1[2], ncpu);
  printf("\nRoutes taken by remdb (EXPLAIN, first line):\n\n");
  for (size_t q = 0; q < nq; q++)
    printf("- %s: `%s`\n", qs[q].name, qs[q].route);
  printf("\nWith the default thread setting (exec_threads 0: the cores, where "
         "they pay):\n\n");
  for (size_t q = 0; q < nq; q++)
    printf("- %s: `%s`\n", qs[q].name, qs[q].routen);
  printf("\nLoad (not a target): remdb %.1f s (validated, 4 indexes, batches "
         "of 1000; then compacted), SQLite %.1f s (indexes built after the "
         "load).\n",
         remdb_load, sqlite_load);
  printf("\nColumns' size (issue 11): the column family %.1f MiB on disk "
         "after the load's compaction, the entity column family %.1f MiB: "
         "%.0f%% (target <= 40%%: %s).  The column cache held %.1f MiB of "
         "issues' decoded columns after the queries (bound: "
         "column_cache_bytes, default 1 GiB).\n",
         col_disk / 1048576, ent_disk / 1048576,
         ent_disk > 0 ? 100 * col_disk / ent_disk : -1,
         ent_disk > 0 && col_disk <= 0.4 * ent_disk ? "met" : "**missed**",
         col_cache / 1048576);
  char rm[600];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  /* REMDB_BENCH_KEEP: leave the databases (to look into them) */
  if (getenv("REMDB_BENCH_KEEP"))
    fprintf(stderr, "bench_sql: kept %s\n", dir);
  else if (system(rm) != 0)
    fprintf(stderr, "warning: could not remove %s\n", dir);
  free(rows);
  return 0;
}

/*
** bench_graph.c: graph benchmarks for `make bench`.  Generates a graph of
** E edges over V entities (fixed seed; E = N, V = N / 10, default N =
** 1,000,000; REMDB_BENCH_N overrides), loads it into remdb (entities in
** batches, edges with remdb_edge_put) and into a native SQLite file
** database (edge table with covering indexes on (src, dst) and (dst, src),
** WAL, the same cache size as remdb's block cache), then times the same
** traversals on both, from the same random start nodes, and prints a
** markdown table of medians and ratios (target: remdb <= 1x SQLite):
**
**   one-hop expansion     remdb_edges(OUT)        vs SELECT over the index
**   3-hop BFS             remdb_traverse(3, OUT)  vs a recursive CTE
**   shortest path (<= 6)  remdb_shortest_path     vs the recursive CTE with
**                                                 depth limit 1, 2, ... until
**                                                 it reaches the target
**
** Every answer is checked to agree between the engines (edge count, number
** of distinct nodes reached, path length; one-hop and BFS in an untimed
** pass before the timed one, paths right after each timed call, outside
** the timing); a disagreement stops the run with "error:".
*/

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "remdb.h"

#define NTYPES 3
#define BFS_DEPTH 3
#define PATH_DEPTH 6
#define ONEHOP_STARTS 1001
#define BFS_STARTS 201
#define PATH_PAIRS 31
#define CACHE_MIB 256
#if PATH_PAIRS >= ONEHOP_STARTS || BFS_STARTS > ONEHOP_STARTS
#error "the start arrays are sized by ONEHOP_STARTS"
#endif

static const char *type_of[NTYPES] = {"links", "cites", "mentions"};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) { return xorshift64(&rng); }

static char dir[] = "/tmp/remdb-bench-graph-XXXXXX";
static bool made_dir;

static void remove_dir(void) {
  char rm[600];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  if (made_dir && system(rm) != 0)
    fprintf(stderr, "warning: could not remove %s\n", dir);
  made_dir = false;
}

static void die(const char *what, const char *msg) {
  fprintf(stderr, "error: %s: %s\n", what, msg);
  remove_dir();
  exit(1);
}

static void sq_exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err);
}

static sqlite3_stmt *sq_prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    die("sqlite prepare", sqlite3_errmsg(db));
  return st;
}

/* ---- the generated graph ---- */

typedef struct edge {
  uint32_t src, dst;
  uint8_t type;
} edge;

/* E distinct (src, dst, type) triples without self-loops, uniform over V
** nodes (out-degree about E / V, Poisson-like). */
static edge *gen_edges(long v, long e) {
  edge *es = malloc((size_t)e * sizeof *es);
  size_t ns = 1;
  while (ns < (size_t)e * 2) ns <<= 1;
  uint64_t *seen = calloc(ns, sizeof *seen);
  if (es == NULL || seen == NULL) die("malloc", "out of memory");
  for (long i = 0; i < e;) {
    uint64_t r = next_rand();
    uint32_t s = (uint32_t)((r & 0xffffffffu) % (uint64_t)v);
    uint32_t d = (uint32_t)((r >> 32) % (uint64_t)v);
    uint8_t t = (uint8_t)(next_rand() % NTYPES);
    if (s == d) continue;
    uint64_t key = ((uint64_t)s * (uint64_t)v + d) * NTYPES + t + 1;
    size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (ns - 1);
    while (seen[h] && seen[h] != key) h = (h + 1) & (ns - 1);
    if (seen[h]) continue; /* a duplicate triple: draw again */
    seen[h] = key;
    es[i++] = (edge){s, d, t};
  }
  free(seen);
  return es;
}

/* ---- the operations, one call each, on both engines ---- */

static char (*ids)[REMDB_ID_LEN + 1]; /* entity ids, same in both engines */

static json_t *parse(const char *what, const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, 0, &je);
  if (j == NULL) die(what, je.text);
  return j;
}

/* Each remdb operation returns its JSON (the caller times the call, then
** checks and frees the answer); each SQLite one steps its statement to the
** end and returns its answer. */

static char *remdb_onehop(remdb *db, uint32_t a) {
  char *json;
  if (remdb_edges(db, ids[a], REMDB_OUT, NULL, &json) != REMDB_OK)
    die("remdb_edges", remdb_errmsg(db));
  return json;
}

/* number of edges in remdb_edges' answer */
static long onehop_count(char *json) {
  json_t *j = parse("remdb_edges json", json);
  long n = (long)json_array_size(j);
  json_decref(j);
  remdb_free(json);
  return n;
}

static long sqlite_onehop(sqlite3_stmt *st, uint32_t a) {
  sqlite3_bind_text(st, 1, ids[a], REMDB_ID_LEN, SQLITE_STATIC);
  long n = 0;
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    /* materialise what remdb returns: the other end and the type */
    if (sqlite3_column_text(st, 0) == NULL ||
        sqlite3_column_text(st, 1) == NULL)
      die("sqlite one-hop", "NULL column");
    n++;
  }
  if (r != SQLITE_DONE) die("sqlite one-hop", sqlite3_errstr(r));
  sqlite3_reset(st);
  return n;
}

static char *remdb_bfs(remdb *db, uint32_t a, size_t max_nodes) {
  char *json;
  if (remdb_traverse(db, ids[a], BFS_DEPTH, REMDB_OUT, NULL, max_nodes, 0,
                     &json) != REMDB_OK)
    die("remdb_traverse", remdb_errmsg(db));
  return json;
}

/* nodes reached (start included) in remdb_traverse's answer */
static long bfs_count(char *json) {
  json_t *j = parse("remdb_traverse json", json);
  if (!json_is_false(json_object_get(j, "truncated")))
    die("remdb_traverse", "truncated; raise max_nodes");
  long n = (long)json_array_size(json_object_get(j, "nodes"));
  json_decref(j);
  remdb_free(json);
  return n;
}

/* SQLite: distinct nodes within BFS_DEPTH hops (start included) */
static long sqlite_bfs(sqlite3_stmt *st, uint32_t a) {
  sqlite3_bind_text(st, 1, ids[a], REMDB_ID_LEN, SQLITE_STATIC);
  int r = sqlite3_step(st);
  if (r != SQLITE_ROW) die("sqlite BFS", sqlite3_errstr(r));
  long n = (long)sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return n;
}

static char *remdb_path(remdb *db, uint32_t a, uint32_t z) {
  char *json;
  if (remdb_shortest_path(db, ids[a], ids[z], PATH_DEPTH, REMDB_OUT, NULL,
                          &json) != REMDB_OK)
    die("remdb_shortest_path", remdb_errmsg(db));
  return json;
}

/* The length of remdb_shortest_path's answer (-1: no path), after checking
** that its edges form a path from a to z of that length. */
static long path_length(char *json, uint32_t a, uint32_t z) {
  json_t *j = parse("remdb_shortest_path json", json);
  json_t *len = json_object_get(j, "length"), *p = json_object_get(j, "path");
  long n = -1;
  if (json_is_integer(len)) {
    n = (long)json_integer_value(len);
    if (!json_is_array(p) || (long)json_array_size(p) != n)
      die("remdb_shortest_path", "path does not match its length");
    const char *at = ids[a];
    for (size_t i = 0; i < json_array_size(p); i++) {
      json_t *e = json_array_get(p, i);
      const char *s = json_string_value(json_object_get(e, "src"));
      const char *d = json_string_value(json_object_get(e, "dst"));
      if (s == NULL || d == NULL || strcmp(s, at) != 0)
        die("remdb_shortest_path", "path edges do not chain");
      at = d;
    }
    if (strcmp(at, ids[z]) != 0)
      die("remdb_shortest_path", "path does not end at the target");
  } else if (!json_is_null(len)) {
    die("remdb_shortest_path", "length is neither a number nor null");
  }
  json_decref(j);
  remdb_free(json);
  return n;
}

/* SQLite: the shortest path length a -> z (-1: none within PATH_DEPTH), as
** the depth-limited CTE run with limit 1, 2, ... until it reaches z, so
** that it stops at the depth of the answer as remdb's search does (one CTE
** to PATH_DEPTH would expand every node at every depth up to 6). */
static long sqlite_path(sqlite3_stmt *st, uint32_t a, uint32_t z) {
  for (int lim = 1; lim <= PATH_DEPTH; lim++) {
    sqlite3_bind_text(st, 1, ids[a], REMDB_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ids[z], REMDB_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, lim);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) die("sqlite path", sqlite3_errstr(r));
    bool null = sqlite3_column_type(st, 0) == SQLITE_NULL;
    long n = null ? -1 : (long)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (!null) return n;
  }
  return -1;
}

static void disagree(const char *op, uint32_t a, long x, long y) {
  fprintf(stderr, "error: %s from %s: remdb %ld, SQLite %ld\n", op, ids[a], x,
          y);
  remove_dir();
  exit(1);
}

typedef struct result {
  char name[256];
  double remdb_s, sqlite_s;
} result;

int main(void) {
  long n = 1000000;
  const char *env = getenv("REMDB_BENCH_N");
  if (env && atol(env) > 0) n = atol(env);
  if (n < 100) die("REMDB_BENCH_N", "must be at least 100");
  long nv = n / 10, ne = n;
  if (mkdtemp(dir) == NULL) die("mkdtemp", "failed");
  made_dir = true;
  char path[512];

  /* ---- data, generated once ---- */
  edge *es = gen_edges(nv, ne);
  ids = malloc((size_t)nv * sizeof *ids);
  if (ids == NULL) die("malloc", "out of memory");

  /* ---- remdb: entities in batches, then edges one call each ---- */
  snprintf(path, sizeof path, "%s/remdb", dir);
  remdb_options o;
  remdb_options_init(&o);
  o.cache_bytes = (size_t)CACHE_MIB << 20;
  /* no fsync per edge (there is no batch API for edges), as SQLite's WAL
  ** with synchronous=NORMAL does not fsync its commits either */
  o.sync = REMDB_SYNC_NONE;
  remdb *db;
  if (remdb_open(path, "bench", &o, &db) != REMDB_OK)
    die("remdb open", remdb_errmsg(db));
  const char *schema =
      "{\"name\":\"nodes\",\"properties\":{\"name\":{\"type\":\"string\"},"
      "\"kind\":{\"type\":\"string\"},\"rank\":{\"type\":\"integer\"}},"
      "\"required\":[\"name\"],\"key_field\":\"name\"}";
  if (remdb_schema_put(db, schema, strlen(schema)))
    die("remdb schema", remdb_errmsg(db));
  double t0 = now();
  remdb_batch *b;
  char json[256];
  if (remdb_batch_begin(db, &b)) die("batch", remdb_errmsg(db));
  for (long i = 0; i < nv; i++) {
    int len = snprintf(json, sizeof json,
                       "{\"name\":\"node%07ld\",\"kind\":\"%s\",\"rank\":%ld}",
                       i, type_of[i % NTYPES], i % 1000);
    if (remdb_batch_insert(b, "nodes", json, (size_t)len, ids[i]))
      die("insert node", remdb_errmsg(db));
    if (remdb_batch_count(b) >= 1000 && remdb_batch_commit(b, 0))
      die("commit", remdb_errmsg(db));
  }
  if (remdb_batch_commit(b, 1)) die("commit", remdb_errmsg(db));
  remdb_batch_free(b);
  double remdb_ent_load = now() - t0;
  t0 = now();
  for (long i = 0; i < ne; i++)
    if (remdb_edge_put(db, ids[es[i].src], ids[es[i].dst],
                       type_of[es[i].type], NULL, 0, 1.0) != REMDB_OK)
      die("remdb_edge_put", remdb_errmsg(db));
  double remdb_edge_load = now() - t0;
  /* settle the LSM tree, as SQLite's indexes are built after its load */
  t0 = now();
  if (remdb_compact(db)) die("compact", remdb_errmsg(db));
  double remdb_compact_s = now() - t0;

  /* ---- SQLite: the same edges, indexes built after the load ---- */
  snprintf(path, sizeof path, "%s/peer.sqlite", dir);
  sqlite3 *sq;
  if (sqlite3_open(path, &sq) != SQLITE_OK) die("sqlite open", path);
  char pragma[128];
  snprintf(pragma, sizeof pragma,
           "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
           "PRAGMA cache_size=-%d;", CACHE_MIB * 1024);
  sq_exec(sq, pragma);
  sq_exec(sq, "CREATE TABLE edges(src TEXT, dst TEXT, type TEXT)");
  t0 = now();
  sq_exec(sq, "BEGIN");
  sqlite3_stmt *ins = sq_prepare(sq, "INSERT INTO edges VALUES (?,?,?)");
  for (long i = 0; i < ne; i++) {
    sqlite3_bind_text(ins, 1, ids[es[i].src], REMDB_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, ids[es[i].dst], REMDB_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, type_of[es[i].type], -1, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE) die("sqlite insert", "edges");
    sqlite3_reset(ins);
    if (i % 1000 == 999) sq_exec(sq, "COMMIT; BEGIN");
  }
  sqlite3_finalize(ins);
  sq_exec(sq, "COMMIT");
  double sqlite_edge_load = now() - t0;
  t0 = now();
  sq_exec(sq, "CREATE INDEX edges_src ON edges(src, dst);"
              "CREATE INDEX edges_dst ON edges(dst, src); ANALYZE;");
  double sqlite_index_s = now() - t0;

  /* ---- the operations ---- */
  sqlite3_stmt *q_hop =
      sq_prepare(sq, "SELECT dst, type FROM edges WHERE src = ?1");
  char cte[512];
  snprintf(cte, sizeof cte,
           "WITH RECURSIVE r(id, d) AS (SELECT ?1, 0 UNION SELECT e.dst, "
           "r.d + 1 FROM r JOIN edges e ON e.src = r.id WHERE r.d < %d) "
           "SELECT count(DISTINCT id) FROM r",
           BFS_DEPTH);
  sqlite3_stmt *q_bfs = sq_prepare(sq, cte);
  sqlite3_stmt *q_path = sq_prepare(
      sq, "WITH RECURSIVE r(id, d) AS (SELECT ?1, 0 UNION SELECT e.dst, "
          "r.d + 1 FROM r JOIN edges e ON e.src = r.id WHERE r.d < ?3) "
          "SELECT min(d) FROM r WHERE id = ?2");

  /* The same random starts (and targets) for both engines.  One-hop and
  ** BFS: a first pass checks that the engines agree on every start and
  ** warms both caches, a second pass is timed.  Shortest path (long
  ** searches that touch much of the graph): one untimed pair to warm up,
  ** then one pass, timed and checked.  remdb and SQLite run back to back
  ** on each start; times are of the call alone (checks run after). */
  static double tr[ONEHOP_STARTS], ts[ONEHOP_STARTS];
  uint32_t starts[ONEHOP_STARTS], goals[PATH_PAIRS + 1];
  for (int k = 0; k < ONEHOP_STARTS; k++)
    starts[k] = (uint32_t)(next_rand() % (uint64_t)nv);
  for (int k = 0; k <= PATH_PAIRS; k++) {
    goals[k] = (uint32_t)(next_rand() % (uint64_t)nv);
    if (goals[k] == starts[k]) goals[k] = (goals[k] + 1) % (uint32_t)nv;
  }
  result res[3];
  double t, t1;
  char *js;
  long x, y;

  long edges_seen = 0;
  for (int k = 0; k < ONEHOP_STARTS; k++) {
    x = onehop_count(remdb_onehop(db, starts[k]));
    y = sqlite_onehop(q_hop, starts[k]);
    if (x != y) disagree("one-hop edge count", starts[k], x, y);
    edges_seen += x;
  }
  for (int k = 0; k < ONEHOP_STARTS; k++) {
    t = now();
    js = remdb_onehop(db, starts[k]);
    tr[k] = now() - t;
    remdb_free(js);
    t1 = now();
    sqlite_onehop(q_hop, starts[k]);
    ts[k] = now() - t1;
  }
  snprintf(res[0].name, sizeof res[0].name,
           "one-hop expansion, out (%d starts, avg %.1f edges)",
           ONEHOP_STARTS, (double)edges_seen / ONEHOP_STARTS);
  res[0].remdb_s = median(tr, ONEHOP_STARTS);
  res[0].sqlite_s = median(ts, ONEHOP_STARTS);

  long reached = 0;
  size_t cap = (size_t)nv + 1; /* never truncates */
  for (int k = 0; k < BFS_STARTS; k++) {
    x = bfs_count(remdb_bfs(db, starts[k], cap));
    y = sqlite_bfs(q_bfs, starts[k]);
    if (x != y) disagree("3-hop BFS distinct nodes", starts[k], x, y);
    reached += x;
  }
  for (int k = 0; k < BFS_STARTS; k++) {
    t = now();
    js = remdb_bfs(db, starts[k], cap);
    tr[k] = now() - t;
    remdb_free(js);
    t1 = now();
    sqlite_bfs(q_bfs, starts[k]);
    ts[k] = now() - t1;
  }
  snprintf(res[1].name, sizeof res[1].name,
           "%d-hop BFS, out (%d starts, avg %.0f nodes reached)", BFS_DEPTH,
           BFS_STARTS, (double)reached / BFS_STARTS);
  res[1].remdb_s = median(tr, BFS_STARTS);
  res[1].sqlite_s = median(ts, BFS_STARTS);

  /* warm-up pair: goals[PATH_PAIRS] from starts[PATH_PAIRS] */
  x = path_length(remdb_path(db, starts[PATH_PAIRS], goals[PATH_PAIRS]),
                  starts[PATH_PAIRS], goals[PATH_PAIRS]);
  y = sqlite_path(q_path, starts[PATH_PAIRS], goals[PATH_PAIRS]);
  if (x != y) disagree("shortest path length", starts[PATH_PAIRS], x, y);
  long len_sum = 0;
  int found = 0;
  for (int k = 0; k < PATH_PAIRS; k++) {
    t = now();
    js = remdb_path(db, starts[k], goals[k]);
    tr[k] = now() - t;
    t1 = now();
    y = sqlite_path(q_path, starts[k], goals[k]);
    ts[k] = now() - t1;
    x = path_length(js, starts[k], goals[k]);
    if (x != y) disagree("shortest path length", starts[k], x, y);
    if (x >= 0) {
      len_sum += x;
      found++;
    }
  }
  char avg[32] = "-";
  if (found) snprintf(avg, sizeof avg, "%.2f", (double)len_sum / found);
  snprintf(res[2].name, sizeof res[2].name,
           "shortest path, max depth %d, out (%d pairs, avg length %s, "
           "%d without a path; SQLite: the CTE with depth limit 1, 2, ... "
           "until it reaches the target)",
           PATH_DEPTH, PATH_PAIRS, avg, PATH_PAIRS - found);
  res[2].remdb_s = median(tr, PATH_PAIRS);
  res[2].sqlite_s = median(ts, PATH_PAIRS);

  sqlite3_finalize(q_hop);
  sqlite3_finalize(q_bfs);
  sqlite3_finalize(q_path);
  remdb_close(db);
  sqlite3_close(sq);

  /* ---- report ---- */
  char cpu[256], date[64], a[32], c[32];
  cpu_model(cpu, sizeof cpu);
  time_t tt = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&tt));
  printf("| operation (V = %ld entities, E = %ld edges) | remdb (median) | "
         "SQLite CTE (median) | ratio | target (<= 1x SQLite) | met? |\n",
         nv, ne);
  printf("|---|---|---|---|---|---|\n");
  for (int q = 0; q < 3; q++) {
    double ratio = res[q].remdb_s / res[q].sqlite_s;
    fmt_time(res[q].remdb_s, a, sizeof a);
    fmt_time(res[q].sqlite_s, c, sizeof c);
    printf("| %s | %s | %s | %.2fx | <= 1x | %s |\n", res[q].name, a, c,
           ratio, ratio <= 1.0 ? "yes" : "**no**");
  }
  printf("\n");
  printf("- Load (not a target): remdb %ld entities in %.1f s (batches of "
         "1000), %ld edges in %.1f s through remdb_edge_put (%.0f edges/s, "
         "one commit per edge, REMDB_SYNC_NONE), then compacted in %.1f s; "
         "SQLite %ld edges in %.1f s (%.0f edges/s, 1000 a transaction) + "
         "%.1f s for the two indexes.\n",
         nv, remdb_ent_load, ne, remdb_edge_load,
         (double)ne / remdb_edge_load, remdb_compact_s, ne, sqlite_edge_load,
         (double)ne / sqlite_edge_load, sqlite_index_s);
  printf("- N = %ld (REMDB_BENCH_N): V = N/10 = %ld entities, E = N = %ld "
         "distinct (src, dst, type) edges, uniform random ends, %d types, no "
         "self-loops; caches %d MiB in both engines.\n",
         n, nv, ne, NTYPES, CACHE_MIB);
  printf("- Machine: %ld cores (nproc), %s; SQLite %s; %s.\n",
         sysconf(_SC_NPROCESSORS_ONLN), cpu, sqlite3_libversion(), date);

  remove_dir();
  free(es);
  free(ids);
  return 0;
}

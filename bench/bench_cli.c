/*
** bench_cli.c: the vector half of the CLI benchmark (issue 13), run by
** bench/run_cli.sh.
**
**   bench_cli build DIR N      a database of N vectors (dimension 384,
**                              table "docs"), and DIR.queries: 20 query
**                              vectors as JSON literals, one a line
**   bench_cli search DIR       in-process latencies of a search (k 10,
**                              the schema's ef_search) over DIR, as rows of
**                              a markdown table
**
** The vectors: a fixed seed, 100 cluster centres drawn from N(0, 1) per
** dimension, each vector a centre plus gaussian noise of sigma 0.4 (the
** distribution of bench_vector.c); the queries are drawn the same way.
**
** The latencies measured (medians over the queries, page cache warm):
**   - a cold search: a new read-only handle per query, its first search:
**     what a CLI search pays (less the process start, which run_cli.sh
**     times with hyperfine).  The graph is read as it is searched.
**   - the next searches of that handle (its lazy graph keeps what it read)
**   - the full load: a read-write handle's first search, which loads the
**     whole graph (what every CLI search paid before the lazy reader)
**   - a warm search: the loaded graph in memory
** Every lazy answer is checked to be exactly the loaded graph's.
*/
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "remdb.h"

#define DIM 384
#define NCLUSTERS 100
#define SIGMA 0.4
#define NQ 20
#define BATCH 1000

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double unif(void) {
  return ((double)(xorshift64(&rng) >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) {
  return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

static void die(const char *what, const char *msg) {
  fprintf(stderr, "error: bench_cli: %s: %s\n", what, msg);
  exit(1);
}

static const char *schema =
    "{\"name\":\"docs\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
    "\"embedding\":{\"dim\":384,\"metric\":\"cosine\",\"provider\":\"none\","
    "\"M\":16,\"ef_construction\":200}}";

/* "[v0,...]" of a vector drawn around a random centre. */
static size_t draw(const float *centres, char *out) {
  const float *c = centres + (xorshift64(&rng) % NCLUSTERS) * DIM;
  size_t len = 0;
  out[len++] = '[';
  for (int d = 0; d < DIM; d++)
    len += (size_t)sprintf(out + len, d ? ",%.6g" : "%.6g",
                           (double)c[d] + SIGMA * gauss());
  out[len++] = ']';
  out[len] = 0;
  return len;
}

static void build(const char *dir, long n) {
  float *centres = malloc(NCLUSTERS * DIM * sizeof *centres);
  char *vec = malloc(DIM * 16 + 8), *js = malloc(DIM * 16 + 64);
  if (!centres || !vec || !js) die("build", "out of memory");
  for (int i = 0; i < NCLUSTERS * DIM; i++) centres[i] = (float)gauss();
  remdb *db = NULL;
  if (remdb_open(dir, "default", NULL, &db) != REMDB_OK)
    die("open", remdb_errmsg(db));
  if (remdb_schema_put(db, schema, strlen(schema)) != REMDB_OK)
    die("schema", remdb_errmsg(db));
  for (long i = 0; i < n; i += BATCH) {
    remdb_batch *b = NULL;
    if (remdb_batch_begin(db, &b) != REMDB_OK) die("batch", remdb_errmsg(db));
    for (long j = i; j < n && j < i + BATCH; j++) {
      draw(centres, vec);
      int len = sprintf(js, "{\"n\":%ld,\"embedding\":%s}", j, vec);
      if (remdb_batch_insert(b, "docs", js, (size_t)len, NULL) != REMDB_OK)
        die("insert", remdb_errmsg(db));
    }
    if (remdb_batch_commit(b, 0) != REMDB_OK) die("commit", remdb_errmsg(db));
    remdb_batch_free(b);
  }
  remdb_close(db);
  char qpath[4200];
  snprintf(qpath, sizeof qpath, "%s.queries", dir);
  FILE *f = fopen(qpath, "w");
  if (f == NULL) die(qpath, "cannot write");
  for (int q = 0; q < NQ; q++) {
    draw(centres, vec);
    fprintf(f, "%s\n", vec);
  }
  fclose(f);
  free(centres);
  free(vec);
  free(js);
}

static char *queries[NQ];

static void read_queries(const char *dir) {
  char qpath[4200];
  snprintf(qpath, sizeof qpath, "%s.queries", dir);
  FILE *f = fopen(qpath, "r");
  if (f == NULL) die(qpath, "cannot read (run bench_cli build first)");
  size_t cap = DIM * 16 + 8;
  for (int q = 0; q < NQ; q++) {
    queries[q] = malloc(cap);
    if (queries[q] == NULL || fgets(queries[q], (int)cap, f) == NULL)
      die(qpath, "too few queries");
    queries[q][strcspn(queries[q], "\n")] = 0;
  }
  fclose(f);
}

static remdb *open_db(const char *dir, bool read_only) {
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = read_only;
  o.create_if_missing = 0;
  remdb *db = NULL;
  if (remdb_open(dir, "default", &o, &db) != REMDB_OK)
    die("open", remdb_errmsg(db));
  return db;
}

/* One search; its answer (caller frees) and time in *secs. */
static char *search(remdb *db, int q, double *secs) {
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = 10;
  o.method = REMDB_SEARCH_HNSW;
  char *json = NULL;
  double t0 = now();
  if (remdb_search_ex(db, "docs", queries[q], &o, &json, NULL) != REMDB_OK)
    die("search", remdb_errmsg(db));
  *secs = now() - t0;
  return json;
}

static void row(const char *what, double *v, int n) {
  char t[32];
  fmt_time(median(v, n), t, sizeof t);
  printf("| %s | %s |\n", what, t);
}

static void run(const char *dir) {
  read_queries(dir);
  double cold[NQ], next[NQ], load[3], warm[NQ], t;
  char *want[NQ];
  /* the loaded graph: its answers, the load, warm searches */
  for (int i = 0; i < 3; i++) {
    remdb *w = open_db(dir, false);
    remdb_free(search(w, i, &load[i]));
    remdb_close(w);
  }
  remdb *w = open_db(dir, false);
  remdb_free(search(w, 0, &t));
  for (int q = 0; q < NQ; q++) want[q] = search(w, q, &warm[q]);
  remdb_close(w);
  /* cold: a new read-only handle per query; then that handle's next */
  int differ = 0;
  for (int q = 0; q < NQ; q++) {
    remdb *r = open_db(dir, true);
    char *a = search(r, q, &cold[q]);
    differ += strcmp(a, want[q]) != 0;
    remdb_free(a);
    a = search(r, (q + 1) % NQ, &next[q]);
    differ += strcmp(a, want[(q + 1) % NQ]) != 0;
    remdb_free(a);
    remdb_close(r);
  }
  if (differ)
    die("lazy search", "an answer differs from the loaded graph's");
  printf("| search (k = 10, in process, page cache warm) | median |\n");
  printf("|---|---|\n");
  row("cold: a new read-only handle's first search (graph read as searched)",
      cold, NQ);
  row("its second search (another query; nodes read so far kept)", next, NQ);
  row("before: a first search loading the whole graph (read-write handle)",
      load, 3);
  row("warm: the graph in memory", warm, NQ);
  for (int q = 0; q < NQ; q++) remdb_free(want[q]);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "build") == 0) {
    build(argv[2], atol(argv[3]));
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "search") == 0) {
    run(argv[2]);
    return 0;
  }
  fprintf(stderr, "usage: bench_cli build DIR N | bench_cli search DIR\n");
  return 2;
}

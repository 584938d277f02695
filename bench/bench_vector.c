/*
** bench_vector.c: the vector-search benchmark for `make bench` (issue 4).
**
**   bench_vector PEER_SCRIPT
**
** Generates N = 100,000 vectors of dimension 384 (REMDB_BENCH_VN sets N)
** and 1000 queries from the same distribution, with a fixed seed: 100
** cluster centres drawn from N(0, 1) in every dimension, each vector a
** uniformly chosen centre plus isotropic gaussian noise of sigma 0.4
** (relative to the centres' unit spread).  Computes the exact top 10 of
** every query by cosine (brute force, 2 threads, untimed), writes vectors,
** queries and ground truth to a binary file (format in hnsw_peer.py) and
** runs PEER_SCRIPT on it with /usr/bin/python3 (REMDB_BENCH_PYTHON sets
** the interpreter): hnswlib with the same M and ef_construction, on the
** same vectors and queries.  Then loads remdb (a fresh database, schema
** with provider "none", M 16, ef_construction 200, default ef_search; entities
** {"n": i, "embedding": [...]} in batches of 1000, their JSON formatted
** before the timer) and, for each ef_search in EFS, runs every query
** as floats through remdb_search_ex (method HNSW, k 10, one thread; an untimed
** warm-up of 100 queries first, then 3 timed passes) for the median QPS
** and recall@10.  Also: remdb's
** exact search (100 queries), the graph's memory from remdb_stats, disk
** size after remdb_compact, and the first search after reopening (graph
** loaded from storage).  Prints markdown for BENCHMARKS.md (run by
** bench/run_vector.sh); "error:" and exit 1 on any failure.
*/

#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "remdb.h"
#include "schema/sch.h"
#include "vector/dist.h"

#define DIM 384
#define NCLUSTERS 100
#define SIGMA 0.4
#define NQ 1000
#define K 10
#define WARMUP 100
#define NQ_EXACT 100
#define REPS 3 /* timed passes per ef (median QPS); exact: one */
#define BATCH 1000
#define HNSW_M 16
#define EF_CONSTRUCTION 200
#define EF_DEFAULT SCH_HNSW_EF_SEARCH /* the schema leaves it unset */
#define GOAL_RECALL 0.99
static const int efs[] = {16, 32, 64, 128, 256};
#define NEF ((int)(sizeof efs / sizeof efs[0]))

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the data file is written in host order, which must be little-endian"
#endif

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void) { return xorshift64(&rng); }
/* uniform in (0, 1) */
static double uniform(void) {
  return ((double)(next_rand() >> 11) + 0.5) / 9007199254740992.0;
}
/* standard normal (Box-Muller, one value per pair of draws) */
static double gauss(void) {
  return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static char dir[] = "/tmp/remdb-bench-vector-XXXXXX";
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

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) die("malloc", "out of memory");
  return p;
}

static void fmt_mib(double bytes, char *out, size_t cap) {
  snprintf(out, cap, "%.1f MiB", bytes / 1048576.0);
}

/* ---- data and ground truth ---- */

static long n;          /* vectors */
static float *vecs;     /* n x DIM */
static float *queries;  /* NQ x DIM */
static float *unit_v;   /* normalised copies, for the ground truth */
static float *unit_q;
static int32_t *truth;  /* NQ x K, best first */

static void gen_vectors(float *out, long count, const float *centres) {
  for (long i = 0; i < count; i++) {
    const float *c = centres + (next_rand() % NCLUSTERS) * DIM;
    for (int d = 0; d < DIM; d++)
      out[i * DIM + d] = (float)(c[d] + SIGMA * gauss());
  }
}

static void normalise(float *dst, const float *src, long count) {
  for (long i = 0; i < count; i++) {
    double s = 0;
    for (int d = 0; d < DIM; d++) s += (double)src[i * DIM + d] * src[i * DIM + d];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int d = 0; d < DIM; d++) dst[i * DIM + d] = src[i * DIM + d] * inv;
  }
}

typedef struct gt_job {
  int from, to;
} gt_job;

/* exact top K by cosine of queries [from, to) */
static void *gt_run(void *arg) {
  gt_job *j = arg;
  for (int q = j->from; q < j->to; q++) {
    float best[K];
    int32_t who[K];
    int have = 0;
    const float *qv = unit_q + (size_t)q * DIM;
    for (long i = 0; i < n; i++) {
      float s = vd_dot(qv, unit_v + (size_t)i * DIM, DIM);
      if (have == K && s <= best[K - 1]) continue;
      int p = have < K ? have++ : K - 1;
      while (p > 0 && best[p - 1] < s) {
        best[p] = best[p - 1];
        who[p] = who[p - 1];
        p--;
      }
      best[p] = s;
      who[p] = (int32_t)i;
    }
    memcpy(truth + (size_t)q * K, who, sizeof who);
  }
  return NULL;
}

static void ground_truth(void) {
  pthread_t th;
  gt_job a = {0, NQ / 2}, b = {NQ / 2, NQ};
  if (pthread_create(&th, NULL, gt_run, &a)) die("pthread_create", "failed");
  gt_run(&b);
  pthread_join(th, NULL);
}

static void write_data(const char *path) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) die("data file", path);
  uint32_t hdr[4] = {DIM, (uint32_t)n, NQ, K};
  if (fwrite("RVBENCH1", 1, 8, f) != 8 || fwrite(hdr, sizeof hdr, 1, f) != 1 ||
      fwrite(vecs, sizeof(float) * DIM, (size_t)n, f) != (size_t)n ||
      fwrite(queries, sizeof(float) * DIM, NQ, f) != NQ ||
      fwrite(truth, sizeof(int32_t) * K, NQ, f) != NQ || fclose(f) != 0)
    die("data file", "write failed");
}

/* ---- the hnswlib peer ---- */

typedef struct run {
  int ef;
  double recall, qps;
} run;

static double peer_build_s, peer_bytes, peer_load;

/* the 1-minute load average (a shared machine: other work shows here) */
static double loadavg(void) {
  double l = -1;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &l) != 1) l = -1;
    fclose(f);
  }
  return l;
}
static run peer[NEF];

static void run_peer(const char *script, const char *data) {
  const char *py = getenv("REMDB_BENCH_PYTHON");
  if (py == NULL || *py == 0) py = "/usr/bin/python3";
  char cmd[2048], list[128] = "";
  for (int e = 0; e < NEF; e++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d",
             e ? "," : "", efs[e]);
  snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' %s", py, script, data, list);
  FILE *p = popen(cmd, "r");
  if (p == NULL) die("popen", cmd);
  size_t cap = 1 << 16, len = 0;
  char *out = xmalloc(cap);
  size_t got;
  while ((got = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (len + 1 == cap) {
      char *bigger = realloc(out, cap *= 2);
      if (bigger == NULL) die("realloc", "out of memory");
      out = bigger;
    }
  }
  out[len] = 0;
  if (pclose(p) != 0) die("hnswlib peer failed", cmd);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (j == NULL) die("hnswlib peer output", err.text);
  json_t *runs = json_object_get(j, "runs");
  peer_build_s = json_number_value(json_object_get(j, "build_s"));
  peer_bytes = json_number_value(json_object_get(j, "index_bytes"));
  peer_load = json_number_value(json_object_get(j, "load"));
  if (json_array_size(runs) != NEF || peer_build_s <= 0)
    die("hnswlib peer output", out);
  for (int e = 0; e < NEF; e++) {
    json_t *r = json_array_get(runs, (size_t)e);
    peer[e].ef = (int)json_integer_value(json_object_get(r, "ef"));
    peer[e].recall = json_number_value(json_object_get(r, "recall"));
    peer[e].qps = json_number_value(json_object_get(r, "qps"));
    if (peer[e].ef != efs[e] || peer[e].qps <= 0)
      die("hnswlib peer output", out);
  }
  json_decref(j);
  free(out);
}

/* ---- remdb ---- */

/* "[v0,v1,...]" with every float exactly (9 significant digits) */
static size_t fmt_vector(char *out, const float *v) {
  size_t len = 0;
  out[len++] = '[';
  for (int d = 0; d < DIM; d++)
    len += (size_t)sprintf(out + len, d ? ",%.9g" : "%.9g", (double)v[d]);
  out[len++] = ']';
  out[len] = 0;
  return len;
}
#define VEC_TEXT_MAX (DIM * 17 + 8)

static const char *schema =
    "{\"name\":\"vecs\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
    "\"embedding\":{\"dim\":384,\"metric\":\"cosine\",\"provider\":\"none\","
    "\"M\":16,\"ef_construction\":200}}";

/* query q of the set, passed as floats (remdb_search_options.vector), the
** way a C caller holding vectors would */
static char *search(remdb *db, int q, int ef, int method, char **plan) {
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.vector = queries + (size_t)q * DIM;
  o.vector_dim = DIM;
  o.k = K;
  o.ef_search = ef;
  o.method = method;
  char *json;
  if (remdb_search_ex(db, "vecs", NULL, &o, &json, plan) != REMDB_OK)
    die("remdb_search_ex", remdb_errmsg(db));
  return json;
}

/* hits of one answer (a JSON array of {id, score, entity}) among the
** ground truth of query q; frees the answer */
static int hits(char *json, int q) {
  json_error_t err;
  json_t *j = json_loads(json, 0, &err);
  if (j == NULL || !json_is_array(j)) die("remdb search json", json);
  if (json_array_size(j) != K) die("remdb search", "fewer than k results");
  int h = 0;
  for (size_t i = 0; i < K; i++) {
    json_t *e = json_object_get(json_array_get(j, i), "entity");
    json_t *num = json_object_get(e, "n");
    if (!json_is_integer(num)) die("remdb search json", json);
    long id = (long)json_integer_value(num);
    for (int t = 0; t < K; t++)
      if (truth[(size_t)q * K + t] == id) h++;
  }
  json_decref(j);
  remdb_free(json);
  return h;
}

/* QPS (median of REPS timed passes) and recall@K of nq queries with this
** ef and method, after an untimed warm-up whose plans must start with
** want_plan (and give *dist_avg, the mean distance evaluations per query
** for HNSW, when not NULL); the answers of each pass are checked after
** it, outside the timing */
static run measure(remdb *db, int nq, int ef, int method,
                   const char *want_plan, int reps, double *dist_avg) {
  char **ans = xmalloc((size_t)nq * sizeof *ans);
  double dsum = 0;
  int nw = 0;
  for (int q = 0; q < WARMUP && q < nq; q++, nw++) {
    char *plan = NULL;
    remdb_free(search(db, q, ef, method, &plan));
    if (strncmp(plan, want_plan, strlen(want_plan)) != 0)
      die("unexpected search plan", plan);
    const char *p = strchr(plan, '(');
    if (p) dsum += atof(p + 1);
    remdb_free(plan);
  }
  if (dist_avg) *dist_avg = dsum / nw;
  double qps[REPS];
  long h = 0;
  for (int r = 0; r < reps; r++) {
    double t = now();
    for (int q = 0; q < nq; q++)
      ans[q] = search(db, q, ef, method, NULL);
    qps[r] = nq / (now() - t);
    long hr = 0;
    for (int q = 0; q < nq; q++) hr += hits(ans[q], q);
    if (r && hr != h) die("remdb search", "answers differ between passes");
    h = hr;
  }
  free(ans);
  qsort(qps, (size_t)reps, sizeof *qps, cmp_double);
  return (run){ef, (double)h / ((double)nq * K), qps[reps / 2]};
}

static int64_t json_path_int(const char *json, const char *a, const char *b,
                             const char *c, const char *d) {
  json_error_t err;
  json_t *j = json_loads(json, 0, &err);
  if (j == NULL) die("remdb_stats json", err.text);
  json_t *v = json_object_get(json_object_get(json_object_get(j, a), b), c);
  if (d) v = json_object_get(v, d);
  if (!json_is_integer(v)) die("remdb_stats: no such field", json);
  int64_t x = (int64_t)json_integer_value(v);
  json_decref(j);
  return x;
}

static uint64_t dir_total;
static int add_size(const char *p, const struct stat *st, int flag,
                    struct FTW *f) {
  (void)p;
  (void)f;
  if (flag == FTW_F) dir_total += (uint64_t)st->st_size;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_vector PEER_SCRIPT (bench/hnsw_peer.py)\n");
    return 2;
  }
  n = 100000;
  const char *env = getenv("REMDB_BENCH_VN");
  if (env && atol(env) > 0) n = atol(env);
  if (n < 1000) die("REMDB_BENCH_VN", "must be at least 1000");
  if (mkdtemp(dir) == NULL) die("mkdtemp", "failed");
  made_dir = true;
  char path[512];

  /* ---- data, ground truth, the file for the peer ---- */
  double t0 = now();
  float *centres = xmalloc(sizeof(float) * NCLUSTERS * DIM);
  for (int i = 0; i < NCLUSTERS * DIM; i++) centres[i] = (float)gauss();
  vecs = xmalloc(sizeof(float) * DIM * (size_t)n);
  queries = xmalloc(sizeof(float) * DIM * NQ);
  gen_vectors(vecs, n, centres);
  gen_vectors(queries, NQ, centres);
  unit_v = xmalloc(sizeof(float) * DIM * (size_t)n);
  unit_q = xmalloc(sizeof(float) * DIM * NQ);
  normalise(unit_v, vecs, n);
  normalise(unit_q, queries, NQ);
  truth = xmalloc(sizeof(int32_t) * K * NQ);
  ground_truth();
  free(unit_v);
  free(unit_q);
  snprintf(path, sizeof path, "%s/vectors.bin", dir);
  write_data(path);
  fprintf(stderr, "bench_vector: %ld vectors, queries and ground truth in "
                  "%.1f s; hnswlib...\n", n, now() - t0);

  t0 = now();
  run_peer(argv[1], path);
  unlink(path);
  fprintf(stderr, "bench_vector: hnswlib done in %.1f s; remdb...\n",
          now() - t0);

  /* ---- remdb: the entities' JSON first, then the timed load ---- */
  char *text = xmalloc((size_t)n * (VEC_TEXT_MAX + 48));
  size_t *off = xmalloc(((size_t)n + 1) * sizeof *off);
  off[0] = 0;
  for (long i = 0; i < n; i++) {
    char *p = text + off[i];
    size_t len = (size_t)sprintf(p, "{\"n\":%ld,\"embedding\":", i);
    len += fmt_vector(p + len, vecs + (size_t)i * DIM);
    p[len++] = '}';
    off[i + 1] = off[i] + len;
  }

  snprintf(path, sizeof path, "%s/remdb", dir);
  remdb_options o;
  remdb_options_init(&o);
  remdb *db;
  if (remdb_open(path, "bench", &o, &db) != REMDB_OK)
    die("remdb open", remdb_errmsg(db));
  if (remdb_schema_put(db, schema, strlen(schema)))
    die("remdb schema", remdb_errmsg(db));
  t0 = now();
  remdb_batch *b;
  if (remdb_batch_begin(db, &b)) die("batch", remdb_errmsg(db));
  for (long i = 0; i < n; i++) {
    if (remdb_batch_insert(b, "vecs", text + off[i], off[i + 1] - off[i],
                           NULL))
      die("insert", remdb_errmsg(db));
    if (remdb_batch_count(b) >= BATCH && remdb_batch_commit(b, 0))
      die("commit", remdb_errmsg(db));
  }
  if (remdb_batch_commit(b, 1)) die("commit", remdb_errmsg(db));
  remdb_batch_free(b);
  double build_s = now() - t0;
  free(text);
  free(off);
  fprintf(stderr, "bench_vector: remdb loaded in %.1f s; searching...\n",
          build_s);

  /* the first search after the load (is anything left to build?) */
  t0 = now();
  remdb_free(search(db, 0, 0, REMDB_SEARCH_HNSW, NULL));
  double first_after_load = now() - t0;

  double my_load = loadavg();
  run mine[NEF];
  double dists[NEF];
  char want[64];
  for (int e = 0; e < NEF; e++) {
    snprintf(want, sizeof want, "hnsw ef=%d", efs[e]);
    mine[e] = measure(db, NQ, efs[e], REMDB_SEARCH_HNSW, want, REPS,
                      &dists[e]);
  }
  run exact = measure(db, NQ_EXACT, 0, REMDB_SEARCH_EXACT, "exact", 1,
                      NULL);
  if (exact.recall < 0.999) die("exact search", "disagrees with the ground truth");

  char *stats;
  if (remdb_stats_ex(db, REMDB_ALL_TENANTS, &stats))
    die("remdb_stats", remdb_errmsg(db));
  int64_t mem = json_path_int(stats, "tables", "vecs", "vector_index",
                              "memory_bytes");
  remdb_free(stats);
  t0 = now();
  if (remdb_compact(db)) die("compact", remdb_errmsg(db));
  double compact_s = now() - t0;
  if (remdb_stats_ex(db, REMDB_ALL_TENANTS, &stats))
    die("remdb_stats", remdb_errmsg(db));
  int64_t vec_sst = json_path_int(stats, "database", "vector", "sst_bytes", NULL);
  int64_t ent_sst = json_path_int(stats, "database", "entity", "sst_bytes", NULL);
  remdb_free(stats);
  remdb_close(db);
  dir_total = 0;
  if (nftw(path, add_size, 16, FTW_PHYS)) die("nftw", path);

  /* ---- reopen: the first search loads the graph from storage ---- */
  t0 = now();
  if (remdb_open(path, "bench", &o, &db) != REMDB_OK)
    die("remdb reopen", remdb_errmsg(db));
  double open_s = now() - t0;
  char *plan = NULL;
  t0 = now();
  char *js = search(db, 1, 0, REMDB_SEARCH_HNSW, &plan);
  double first_s = now() - t0;
  if (strncmp(plan, "hnsw", 4)) die("search after reopen", plan);
  int first_hits = hits(js, 1);
  remdb_free(plan);
  t0 = now();
  remdb_free(search(db, 2, 0, REMDB_SEARCH_HNSW, NULL));
  double second_s = now() - t0;
  remdb_close(db);

  /* ---- report ---- */
  char cpu[256], date[64], a[32], c[32], d[32], e2[32];
  cpu_model(cpu, sizeof cpu);
  time_t tt = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&tt));
  printf("| ef_search | remdb recall@10 | remdb QPS | hnswlib recall@10 | "
         "hnswlib QPS | QPS ratio (remdb / hnswlib) | remdb distances per "
         "query |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (int e = 0; e < NEF; e++)
    printf("| %d%s | %.4f | %.0f | %.4f | %.0f | %.2fx | %.0f |\n", efs[e],
           efs[e] == EF_DEFAULT ? " (remdb default)" : "", mine[e].recall,
           mine[e].qps, peer[e].recall, peer[e].qps, mine[e].qps / peer[e].qps,
           dists[e]);
  printf("| exact (brute force, %d queries, one pass) | %.4f | %.1f | - | - "
         "| - | %ld |\n",
         NQ_EXACT, exact.recall, exact.qps, n);
  printf("\n");

  int me = -1, pe = -1, de = -1;
  for (int e = NEF - 1; e >= 0; e--) {
    if (mine[e].recall >= GOAL_RECALL) me = e;
    if (peer[e].recall >= GOAL_RECALL) pe = e;
    if (efs[e] == EF_DEFAULT) de = e;
  }
  printf("| target | measured | met? |\n|---|---|---|\n");
  printf("| recall@10 >= %.2f at the default ef_search (%d) | %.4f | %s |\n",
         GOAL_RECALL, EF_DEFAULT, mine[de].recall,
         mine[de].recall >= GOAL_RECALL ? "yes" : "**no**");
  if (me >= 0 && pe >= 0) {
    double r = mine[me].qps / peer[pe].qps;
    printf("| QPS >= hnswlib's at equal recall (the lowest ef reaching "
           "recall %.2f: remdb ef=%d, hnswlib ef=%d) | remdb %.0f QPS "
           "(recall %.4f) vs hnswlib %.0f QPS (recall %.4f): %.2fx | %s |\n",
           GOAL_RECALL, efs[me], efs[pe], mine[me].qps, mine[me].recall,
           peer[pe].qps, peer[pe].recall, r, r >= 1.0 ? "yes" : "**no**");
  } else {
    printf("| QPS >= hnswlib's at equal recall | recall %.2f not reached "
           "by %s at any ef | **no** |\n",
           GOAL_RECALL, me < 0 && pe < 0 ? "either" : me < 0 ? "remdb" : "hnswlib");
  }
  double br = build_s / peer_build_s;
  printf("| build time <= 1.5x hnswlib's | remdb %.1f s vs hnswlib %.1f s: "
         "%.2fx | %s |\n",
         build_s, peer_build_s, br, br <= 1.5 ? "yes" : "**no**");
  printf("\n");
  fmt_mib((double)mem, a, sizeof a);
  fmt_mib(peer_bytes, c, sizeof c);
  printf("- Index memory: remdb %s (remdb_stats "
         "tables.vecs.vector_index.memory_bytes, after the searches); "
         "hnswlib %s (the size of its saved index).\n", a, c);
  fmt_mib((double)dir_total, a, sizeof a);
  fmt_mib((double)vec_sst, c, sizeof c);
  fmt_mib((double)ent_sst, d, sizeof d);
  fmt_mib(peer_bytes, e2, sizeof e2);
  printf("- Disk: remdb %s for the whole database directory after "
         "remdb_compact (%.1f s), of which the vector column family's SST "
         "files (vectors and graph nodes) %s and the entity column family's "
         "%s; hnswlib's saved index %s.\n", a, compact_s, c, d, e2);
  fmt_time(first_s, a, sizeof a);
  fmt_time(second_s, c, sizeof c);
  fmt_time(open_s, d, sizeof d);
  printf("- Reopen: remdb_open %s, then the first search (default ef, the "
         "graph loaded from storage, no rebuild; %d/%d of its top 10 "
         "right) took %s, the next one %s.  The first search right after "
         "the load took ",
         d, first_hits, K, a, c);
  fmt_time(first_after_load, a, sizeof a);
  printf("%s.\n", a);
  printf("- Build: remdb %.1f s (%.0f vectors/s) for %ld entities through "
         "remdb_batch_insert, 1000 per commit (the last with fsync): JSON "
         "parsing, RocksDB writes and the HNSW inserts, one thread; the "
         "driver's JSON formatting is outside the timing.  hnswlib %.1f s "
         "for add_items with num_threads=1.\n",
         build_s, (double)n / build_s, n, peer_build_s);
  printf("- Distance kernels: remdb `%s` (REMDB_SIMD=scalar forces scalar).\n",
         vd_active());
  printf("- N = %ld (REMDB_BENCH_VN), dim %d, %d clusters, noise sigma %.1f, "
         "%d queries, k = %d; machine: %ld cores (nproc), %s, shared: 1-minute "
         "load average %.2f when hnswlib's queries started, %.2f when "
         "remdb's did (this benchmark adds 1); %s.\n",
         n, DIM, NCLUSTERS, SIGMA, NQ, K, sysconf(_SC_NPROCESSORS_ONLN), cpu,
         peer_load, my_load, date);

  remove_dir();
  free(vecs);
  free(queries);
  free(truth);
  free(centres);
  return 0;
}

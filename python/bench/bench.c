/* bench.c: the C side of python/bench/bench.py (make bench-python): N small
** entities inserted one by one, then in batches of 1000, then each read
** back by id; prints one line per phase: name seconds ops/s.
** Usage: bench DIR N */
#include <remdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *SCHEMA =
    "{\"name\":\"items\",\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"}},"
    "\"key_field\":\"key\",\"indexed_fields\":[\"status\"]}";

static void die(remdb *db, const char *what) {
  fprintf(stderr, "%s: %s\n", what, remdb_errmsg(db));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  remdb_options o;
  remdb_options_init(&o);
  o.sync = REMDB_SYNC_NONE;
  remdb *db;
  if (remdb_open(argv[1], "default", &o, &db)) die(db, "open");
  if (remdb_schema_put(db, SCHEMA, strlen(SCHEMA))) die(db, "schema");
  char (*ids)[REMDB_ID_LEN + 1] = malloc((size_t)n * sizeof *ids);
  char js[128];
  double t = now();
  for (long i = 0; i < n; i++) {
    int l = snprintf(js, sizeof js, "{\"key\":\"a-%ld\",\"status\":\"%s\",\"n\":%ld}",
                     i, i % 3 ? "open" : "closed", i);
    if (remdb_insert(db, "items", js, (size_t)l, ids[i])) die(db, "insert");
  }
  double d = now() - t;
  printf("insert %.3f %.0f\n", d, n / d);
  remdb_batch *b;
  if (remdb_batch_begin(db, &b)) die(db, "batch");
  t = now();
  for (long i = 0; i < n; i++) {
    int l = snprintf(js, sizeof js, "{\"key\":\"b-%ld\",\"status\":\"%s\",\"n\":%ld}",
                     i, i % 3 ? "open" : "closed", i);
    if (remdb_batch_insert(b, "items", js, (size_t)l, NULL)) die(db, "batch insert");
    if (remdb_batch_count(b) >= 1000 && remdb_batch_commit(b, -1)) die(db, "commit");
  }
  if (remdb_batch_commit(b, -1)) die(db, "commit");
  remdb_batch_free(b);
  d = now() - t;
  printf("insert_many %.3f %.0f\n", d, n / d);
  t = now();
  size_t total = 0;
  for (long i = 0; i < n; i++) {
    char *json;
    size_t len;
    if (remdb_get(db, "items", ids[i], 0, &json, &len)) die(db, "get");
    total += len;
    remdb_free(json);
  }
  d = now() - t;
  printf("get %.3f %.0f\n", d, n / d);
  free(ids);
  remdb_close(db);
  return total ? 0 : 1;
}

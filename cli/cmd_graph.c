/*
** cmd_graph.c: `remdb edge add|list|delete`, `remdb traverse` and
** `remdb path`.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_dir(const char *s, int *dir) {
  if (s == NULL || !strcmp(s, "out")) *dir = REMDB_OUT;
  else if (!strcmp(s, "in")) *dir = REMDB_IN;
  else if (!strcmp(s, "both")) *dir = REMDB_BOTH;
  else return cli_usage("--direction must be out, in or both");
  return 0;
}

static int parse_int(const char *s, const char *what, long lo, long hi,
                     long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < lo || v > hi)
    return cli_usage("%s must be a number from %ld to %ld", what, lo, hi);
  *out = v;
  return 0;
}

void cli_print_objects(const char *json) {
  int depth = 0;
  bool in_str = false;
  const char *start = NULL;
  for (const char *p = json; *p; p++) {
    if (in_str) {
      if (*p == '\\' && p[1]) p++;
      else if (*p == '"') in_str = false;
      continue;
    }
    if (*p == '"') in_str = true;
    else if (*p == '{' && depth++ == 0) start = p;
    else if (*p == '}' && --depth == 0 && start)
      printf("%.*s\n", (int)(p - start + 1), start);
  }
}

int cmd_edge(cli_t *c) {
  if (c->argc < 1) return cli_usage("edge needs add, list or delete");
  const char *sub = c->argv[0];
  c->argc--;
  c->argv++;
  if (!strcmp(sub, "add")) {
    const char *props = cli_opt(c, "--props");
    const char *w = cli_opt(c, "--weight");
    if (!cli_nargs(c, 3)) return EXIT_USAGE;
    double weight = 1.0;
    if (w) {
      char *end;
      weight = strtod(w, &end);
      if (*w == 0 || *end != 0) return cli_usage("--weight must be a number");
    }
    if (cli_open(c, false, false)) return 1;
    if (remdb_edge_put(c->db, c->argv[0], c->argv[1], c->argv[2], props,
                       props ? strlen(props) : 0, weight) != REMDB_OK)
      return cli_db_fail(c, "edge add");
    printf("edge %s -%s-> %s\n", c->argv[0], c->argv[2], c->argv[1]);
    return 0;
  }
  if (!strcmp(sub, "delete")) {
    if (!cli_nargs(c, 3)) return EXIT_USAGE;
    if (cli_open(c, false, false)) return 1;
    if (remdb_edge_delete(c->db, c->argv[0], c->argv[1], c->argv[2]) !=
        REMDB_OK)
      return cli_db_fail(c, "edge delete");
    printf("deleted edge %s -%s-> %s\n", c->argv[0], c->argv[2], c->argv[1]);
    return 0;
  }
  if (!strcmp(sub, "list")) {
    int dir;
    const char *d = cli_opt(c, "--direction");
    const char *type = cli_opt(c, "--type");
    if (parse_dir(d, &dir)) return EXIT_USAGE;
    if (!cli_nargs(c, 1)) return EXIT_USAGE;
    if (cli_open(c, false, true)) return 1;
    char *json;
    if (remdb_edges(c->db, c->argv[0], dir, type, &json) != REMDB_OK)
      return cli_db_fail(c, "edge list");
    cli_print_objects(json); /* one edge per line */
    remdb_free(json);
    return 0;
  }
  return cli_usage("unknown edge command '%s'", sub);
}

int cmd_traverse(cli_t *c) {
  const char *d = cli_opt(c, "--direction");
  const char *type = cli_opt(c, "--type");
  const char *depth_s = cli_opt(c, "--depth");
  const char *max_s = cli_opt(c, "--max-nodes");
  bool exact = cli_flag(c, "--exact");
  int dir;
  long depth = 2, max = 10000;
  if (parse_dir(d ? d : "out", &dir)) return EXIT_USAGE;
  if (depth_s && parse_int(depth_s, "--depth", 0, 64, &depth))
    return EXIT_USAGE;
  if (max_s && parse_int(max_s, "--max-nodes", 1, 100000000, &max))
    return EXIT_USAGE;
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  char *json;
  if (remdb_traverse(c->db, c->argv[0], (int)depth, dir, type, (size_t)max,
                     exact ? REMDB_EXACT_DEPTH : 0, &json) != REMDB_OK)
    return cli_db_fail(c, "traverse");
  printf("%s\n", json);
  remdb_free(json);
  return 0;
}

int cmd_path(cli_t *c) {
  const char *d = cli_opt(c, "--direction");
  const char *type = cli_opt(c, "--type");
  const char *depth_s = cli_opt(c, "--depth");
  int dir;
  long depth = 6;
  if (parse_dir(d ? d : "both", &dir)) return EXIT_USAGE;
  if (depth_s && parse_int(depth_s, "--depth", 1, 64, &depth))
    return EXIT_USAGE;
  if (!cli_nargs(c, 2)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  char *json;
  if (remdb_shortest_path(c->db, c->argv[0], c->argv[1], (int)depth, dir,
                          type, &json) != REMDB_OK)
    return cli_db_fail(c, "path");
  printf("%s\n", json);
  remdb_free(json);
  return 0;
}

int cmd_lookup(cli_t *c) {
  bool fuzzy = cli_flag(c, "--fuzzy");
  for (int i = 0; i < c->argc; i++)
    if (c->argv[i][0] == '-' && c->argv[i][1] == '-')
      return cli_usage("unknown option %s", c->argv[i]);
  if (c->argc < 1) return cli_usage("lookup needs at least one KEY");
  if (cli_open(c, false, true)) return 1;
  char *json;
  if (remdb_lookup(c->db, (const char *const *)c->argv, (size_t)c->argc,
                   fuzzy ? REMDB_FUZZY : 0, &json) != REMDB_OK)
    return cli_db_fail(c, "lookup");
  cli_print_objects(json);
  remdb_free(json);
  return 0;
}

/* `remdb ingest FILE... [--table T] [--chunk-size N] [--overlap N]`:
** text and markdown files are chunked; .jsonl files give a chunk a line. */
int cmd_ingest(cli_t *c) {
  const char *table = cli_opt(c, "--table");
  const char *size_s = cli_opt(c, "--chunk-size");
  const char *over_s = cli_opt(c, "--overlap");
  remdb_ingest_options o;
  remdb_ingest_options_init(&o);
  long v;
  if (size_s) {
    if (parse_int(size_s, "--chunk-size", 64, 1 << 20, &v)) return EXIT_USAGE;
    o.chunk_chars = (size_t)v;
  }
  if (over_s) {
    if (parse_int(over_s, "--overlap", 0, 1 << 19, &v)) return EXIT_USAGE;
    o.overlap_chars = (size_t)v;
  } else if (o.overlap_chars > o.chunk_chars / 2) {
    o.overlap_chars = o.chunk_chars / 2; /* the default fits a small chunk */
  }
  for (int i = 0; i < c->argc; i++)
    if (c->argv[i][0] == '-' && c->argv[i][1] == '-')
      return cli_usage("unknown option %s", c->argv[i]);
  if (c->argc < 1) return cli_usage("ingest needs at least one FILE");
  if (cli_open(c, false, false)) return 1;
  progress_t pg;
  progress_start(&pg, "ingesting", c->argc);
  int rc = 0;
  for (int i = 0; i < c->argc && rc == 0; i++) {
    const char *f = c->argv[i];
    size_t len;
    char *text = cli_slurp(f, &len);
    if (text == NULL) {
      rc = cli_fail("cannot read %s", f);
      break;
    }
    char *abs = realpath(f, NULL);
    size_t ul = strlen(abs ? abs : f) + 8;
    char *uri = malloc(ul);
    const char *base = strrchr(f, '/') ? strrchr(f, '/') + 1 : f;
    size_t fl = strlen(f);
    o.jsonl = fl > 6 && strcmp(f + fl - 6, ".jsonl") == 0;
    size_t n = 0;
    if (uri == NULL) {
      rc = cli_fail("out of memory");
    } else {
      snprintf(uri, ul, "file://%s", abs ? abs : f);
      if (remdb_ingest(c->db, table, uri, base, text, len, &o, &n) !=
          REMDB_OK)
        rc = cli_fail("ingest %s: %s", f, remdb_errmsg(c->db));
    }
    progress_update(&pg, i + 1, i + 1);
    if (rc == 0) printf("ingested %s: %zu chunks as %s\n", f, n, uri);
    free(uri);
    free(abs);
    free(text);
  }
  progress_end(&pg);
  return rc;
}

/* `remdb search TABLE "TEXT" [-k N] [--where "PRED"] [--min-score X]
**  [--ef N] [--exact | --hnsw] [--mode keyword|vector|hybrid]
**  [--rrf-k X] [--snippets] [--explain]` */
int cmd_search(cli_t *c) {
  const char *mode_s = cli_opt(c, "--mode");
  const char *rrf_s = cli_opt(c, "--rrf-k");
  bool snippets = cli_flag(c, "--snippets");
  const char *k_s = cli_opt(c, "-k");
  const char *where = cli_opt(c, "--where");
  const char *min_s = cli_opt(c, "--min-score");
  const char *ef_s = cli_opt(c, "--ef");
  bool exact = cli_flag(c, "--exact"), hnsw = cli_flag(c, "--hnsw");
  bool explain = cli_flag(c, "--explain");
  long k = 10, ef = 0;
  remdb_search_options o;
  remdb_search_options_init(&o);
  if (k_s && parse_int(k_s, "-k", 1, 10000, &k)) return EXIT_USAGE;
  if (ef_s && parse_int(ef_s, "--ef", 1, 10000, &ef)) return EXIT_USAGE;
  if (min_s) {
    char *end;
    o.min_score = strtod(min_s, &end);
    if (*min_s == 0 || *end != 0) return cli_usage("--min-score must be a number");
  }
  if (exact && hnsw) return cli_usage("--exact and --hnsw exclude each other");
  if (mode_s) {
    if (!strcmp(mode_s, "keyword")) o.mode = REMDB_MODE_KEYWORD;
    else if (!strcmp(mode_s, "vector")) o.mode = REMDB_MODE_VECTOR;
    else if (!strcmp(mode_s, "hybrid")) o.mode = REMDB_MODE_HYBRID;
    else
      return cli_usage("--mode must be keyword, vector or hybrid, not '%s'",
                       mode_s);
  }
  if (rrf_s) {
    char *end;
    o.rrf_k = strtod(rrf_s, &end);
    if (*rrf_s == 0 || *end != 0 || !(o.rrf_k > 0))
      return cli_usage("--rrf-k must be a number > 0");
  }
  o.snippets = snippets;
  if (!cli_nargs(c, 2)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  o.k = (size_t)k;
  o.where = where;
  o.ef_search = (int)ef;
  o.method = exact ? REMDB_SEARCH_EXACT : hnsw ? REMDB_SEARCH_HNSW
                                               : REMDB_SEARCH_AUTO;
  char *json, *plan = NULL;
  if (remdb_search_ex(c->db, c->argv[0], c->argv[1], &o, &json,
                      explain ? &plan : NULL) != REMDB_OK)
    return cli_db_fail(c, "search");
  if (plan) fprintf(stderr, "plan: %s\n", plan);
  remdb_free(plan);
  cli_print_objects(json);
  remdb_free(json);
  return 0;
}

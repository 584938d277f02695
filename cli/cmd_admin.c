/*
** cmd_admin.c: commands that manage the database rather than its rows:
** init, schema, verify, reindex, stats, backup and compact.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_init(cli_t *c) {
  if (!cli_nargs(c, 0)) return EXIT_USAGE;
  if (cli_open(c, true, false)) return 1;
  if (remdb_init(c->db) != REMDB_OK) return cli_db_fail(c, "init");
  char *list;
  if (remdb_schema_list(c->db, &list) != REMDB_OK)
    return cli_db_fail(c, "init");
  printf("initialized %s (tenant %s): tables %s\n", c->path, c->tenant, list);
  remdb_free(list);
  return 0;
}

int cmd_schema(cli_t *c) {
  if (c->argc < 1) return cli_usage("schema needs add, list, show or drop");
  const char *sub = c->argv[0];
  c->argc--;
  c->argv++;
  if (!strcmp(sub, "list")) {
    if (!cli_nargs(c, 0)) return EXIT_USAGE;
    if (cli_open(c, false, true)) return 1;
    char *list;
    if (remdb_schema_list(c->db, &list) != REMDB_OK)
      return cli_db_fail(c, "schema list");
    cli_print_names(list);
    remdb_free(list);
    return 0;
  }
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  const char *arg = c->argv[0];
  if (!strcmp(sub, "add")) {
    size_t len;
    char *doc = cli_slurp(arg, &len);
    if (doc == NULL) return cli_fail("cannot read %s: %s", arg, strerror(errno));
    int rc = cli_open(c, false, false);
    if (rc == 0 && remdb_schema_put(c->db, doc, len) != REMDB_OK)
      rc = cli_fail("schema add %s: %s", arg, remdb_errmsg(c->db));
    free(doc);
    if (rc == 0) printf("schema registered from %s\n", arg);
    return rc;
  }
  if (!strcmp(sub, "show")) {
    if (cli_open(c, false, true)) return 1;
    char *j;
    if (remdb_schema_get(c->db, arg, &j) != REMDB_OK)
      return cli_db_fail(c, "schema show");
    printf("%s\n", j);
    remdb_free(j);
    return 0;
  }
  if (!strcmp(sub, "drop")) {
    if (cli_open(c, false, false)) return 1;
    if (remdb_schema_drop(c->db, arg) != REMDB_OK)
      return cli_db_fail(c, "schema drop");
    printf("dropped table %s\n", arg);
    return 0;
  }
  return cli_usage("unknown schema command '%s'", sub);
}

static void print_problem(void *ctx, const char *problem) {
  (void)ctx;
  printf("problem: %s\n", problem);
}

int cmd_verify(cli_t *c) {
  if (!cli_nargs(c, 0)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  uint64_t problems = 0;
  if (remdb_verify(c->db, print_problem, NULL, &problems) != REMDB_OK)
    return cli_db_fail(c, "verify");
  if (problems) {
    fprintf(stderr, "error: verify found %llu problem%s\n",
            (unsigned long long)problems, problems == 1 ? "" : "s");
    return 1;
  }
  printf("ok: entities, indexes, id directory, key index, counters, edges, "
         "vectors and columns agree\n");
  return 0;
}

int cmd_reindex(cli_t *c) {
  if (c->argc > 1) return cli_usage("reindex takes at most one TABLE");
  const char *table = c->argc ? c->argv[0] : NULL;
  if (cli_open(c, false, false)) return 1;
  if (remdb_reindex(c->db, table) != REMDB_OK)
    return cli_db_fail(c, "reindex");
  printf("reindexed %s\n", table ? table : "all tables");
  return 0;
}

int cmd_stats(cli_t *c) {
  bool all = cli_flag(c, "--all-tenants");
  if (!cli_nargs(c, 0)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  char *j;
  if (remdb_stats_ex(c->db, all ? REMDB_ALL_TENANTS : 0, &j) != REMDB_OK)
    return cli_db_fail(c, "stats");
  printf("%s\n", j);
  remdb_free(j);
  return 0;
}

/* A reader: it copies what one consistent view shows, beside a writer. */
int cmd_backup(cli_t *c) {
  bool all = cli_flag(c, "--all-tenants");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  if (remdb_backup_ex(c->db, c->argv[0], all ? REMDB_ALL_TENANTS : 0) !=
      REMDB_OK)
    return cli_db_fail(c, "backup");
  if (all)
    printf("backup of every tenant written to %s\n", c->argv[0]);
  else
    printf("backup of tenant %s written to %s\n", c->tenant, c->argv[0]);
  return 0;
}

int cmd_compact(cli_t *c) {
  if (!cli_nargs(c, 0)) return EXIT_USAGE;
  if (cli_open(c, false, false)) return 1;
  if (remdb_compact(c->db) != REMDB_OK) return cli_db_fail(c, "compact");
  printf("compacted\n");
  return 0;
}

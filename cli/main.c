/*
** main.c: remdb's command-line entry point.  Global options, the command
** table, and the helpers every command shares (opening, errors, options,
** reading files, progress).
*/
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "usage: remdb [-d DIR] [-t TENANT] COMMAND ...\n"
    "       remdb [-d DIR] [-t TENANT]     (an interactive SQL shell)\n"
    "  DIR defaults to $REMDB_PATH, else ./remdb.db;"
    " TENANT to $REMDB_TENANT, else \"default\"\n"
    "commands:\n"
    "  init                          create the database and built-in schemas\n"
    "  schema add FILE.json          register or replace a table (- = stdin)\n"
    "  schema list | schema show NAME | schema drop NAME\n"
    "  insert TABLE JSON             insert one entity; JSON '-' reads lines\n"
    "  import TABLE FILE.jsonl       bulk load, atomic [--skip-bad]\n"
    "  get ID [--deleted]            print an entity\n"
    "  update ID JSON                merge-patch an entity\n"
    "  delete ID [--hard]            soft delete (or remove with --hard)\n"
    "  export TABLE [--format jsonl|csv] [--deleted]\n"
    "  count TABLE [--deleted]       number of entities\n"
    "  find TABLE FIELD VALUE        entities whose indexed FIELD = VALUE\n"
    "  sql \"QUERY\" [--format table|json|jsonl|csv] [--explain]\n"
    "  edge add SRC DST TYPE [--props JSON] [--weight W]\n"
    "  edge list ID [--direction out|in|both] [--type T]\n"
    "  edge delete SRC DST TYPE\n"
    "  traverse ID [--depth N] [--direction out|in|both] [--type T]\n"
    "           [--max-nodes N] [--exact]\n"
    "  path FROM TO [--depth N] [--direction out|in|both] [--type T]\n"
    "  search TABLE TEXT [-k N] [--where PRED] [--min-score X] [--ef N]\n"
    "         [--exact | --hnsw] [--explain]\n"
    "  lookup KEY... [--fuzzy]      entities by id, key_field value or name\n"
    "  ingest FILE... [--table T] [--chunk-size N] [--overlap N]\n"
    "  verify | reindex [TABLE] | stats | backup DEST | compact\n";

int cli_fail(const char *fmt, ...) {
  va_list ap;
  fputs("error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}

int cli_usage(const char *fmt, ...) {
  va_list ap;
  fputs("error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n(remdb --help lists the commands)\n", stderr);
  return EXIT_USAGE;
}

int cli_db_fail(cli_t *c, const char *context) {
  return cli_fail("%s: %s", context, remdb_errmsg(c->db));
}

int cli_open(cli_t *c, bool create, bool read_only) {
  remdb_options o;
  remdb_options_init(&o);
  o.create_if_missing = create;
  o.read_only = read_only;
  int rc = remdb_open(c->path, c->tenant, &o, &c->db);
  if (rc == REMDB_OK) return 0;
  if (rc == REMDB_NOTFOUND && !create)
    cli_fail("no database at %s (run 'remdb -d %s init' first)", c->path,
             c->path);
  else
    cli_fail("%s", remdb_errmsg(c->db));
  remdb_close(c->db);
  c->db = NULL;
  return 1;
}

char *cli_slurp(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  while (b) {
    size_t r = fread(b + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
    if (cap - n - 1 == 0) {
      char *nb = realloc(b, cap * 2);
      if (nb == NULL) {
        free(b);
        b = NULL;
        errno = ENOMEM;
        break;
      }
      b = nb;
      cap *= 2;
    }
  }
  int bad = b && ferror(f);
  if (f != stdin) fclose(f);
  if (bad) {
    free(b);
    errno = EIO;
    return NULL;
  }
  if (b) {
    b[n] = 0;
    *len = n;
  }
  return b;
}

static void drop_arg(cli_t *c, int i, int count) {
  memmove(c->argv + i, c->argv + i + count,
          (size_t)(c->argc - i - count) * sizeof *c->argv);
  c->argc -= count;
}

const char *cli_opt(cli_t *c, const char *name) {
  for (int i = 0; i < c->argc; i++) {
    if (strcmp(c->argv[i], name) != 0) continue;
    if (i + 1 >= c->argc) return NULL;
    const char *v = c->argv[i + 1];
    drop_arg(c, i, 2);
    return v;
  }
  return NULL;
}

bool cli_flag(cli_t *c, const char *name) {
  for (int i = 0; i < c->argc; i++)
    if (strcmp(c->argv[i], name) == 0) {
      drop_arg(c, i, 1);
      return true;
    }
  return false;
}

bool cli_nargs(cli_t *c, int n) {
  for (int i = 0; i < c->argc; i++)
    if (c->argv[i][0] == '-' && c->argv[i][1] == '-') {
      cli_usage("unknown option %s", c->argv[i]);
      return false;
    }
  if (c->argc != n) {
    cli_usage("expected %d argument%s, got %d", n, n == 1 ? "" : "s",
              c->argc);
    return false;
  }
  return true;
}

static double now_s(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void progress_start(progress_t *p, const char *label, long long total) {
  p->on = isatty(STDERR_FILENO) && total > 0;
  p->total = total;
  p->done = 0;
  p->last = 0;
  p->label = label;
}

void progress_update(progress_t *p, long long done, long long rows) {
  if (!p->on) return;
  double t = now_s();
  if (t - p->last < 0.1 && done < p->total) return;
  p->last = t;
  int width = 30, fill = (int)(width * (double)done / (double)p->total);
  if (fill > width) fill = width;
  fprintf(stderr, "\r%s [%.*s%*s] %3d%% %lld rows", p->label, fill,
          "##############################", width - fill, "",
          (int)(100.0 * (double)done / (double)p->total), rows);
  fflush(stderr);
}

void progress_end(progress_t *p) {
  if (p->on) fputs("\r\033[K", stderr);
}

static const struct {
  const char *name;
  int (*fn)(cli_t *);
} commands[] = {
    {"init", cmd_init},       {"schema", cmd_schema},
    {"insert", cmd_insert},   {"import", cmd_import},
    {"get", cmd_get},         {"update", cmd_update},
    {"delete", cmd_delete},   {"export", cmd_export},
    {"count", cmd_count},     {"find", cmd_find},
    {"verify", cmd_verify},   {"reindex", cmd_reindex},
    {"stats", cmd_stats},     {"backup", cmd_backup},
    {"compact", cmd_compact}, {"sql", cmd_sql},
    {"edge", cmd_edge},       {"traverse", cmd_traverse},
    {"path", cmd_path},       {"lookup", cmd_lookup},
    {"ingest", cmd_ingest},   {"search", cmd_search},
    {"serve", cmd_serve},     {"mcp", cmd_mcp},
};

int main(int argc, char **argv) {
  cli_t c = {0};
  c.path = getenv("REMDB_PATH");
  c.tenant = getenv("REMDB_TENANT");
  if (c.path == NULL || !c.path[0]) c.path = "./remdb.db";
  if (c.tenant == NULL || !c.tenant[0]) c.tenant = "default";
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_text, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--version")) {
      printf("remdb %s\n", REMDB_VERSION);
      return 0;
    }
    if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "-t")) && i + 1 < argc) {
      if (argv[i][1] == 'd') c.path = argv[++i];
      else c.tenant = argv[++i];
      continue;
    }
    return cli_usage("unknown option %s", argv[i]);
  }
  if (i >= argc) { /* no command: the SQL shell */
    int rc = cmd_shell(&c);
    remdb_close(c.db);
    return rc;
  }
  const char *cmd = argv[i];
  c.argc = argc - i - 1;
  c.argv = argv + i + 1;
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
    if (strcmp(cmd, commands[k].name) != 0) continue;
    int rc = commands[k].fn(&c);
    remdb_close(c.db);
    return rc;
  }
  return cli_usage("unknown command '%s'", cmd);
}

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
    "         [--max-memory SIZE]\n"
    "  get ID [--deleted]            print an entity\n"
    "  update ID JSON                merge-patch an entity\n"
    "  delete ID [--hard]            soft delete (or remove with --hard)\n"
    "  export TABLE [--format jsonl|csv] [--deleted]\n"
    "  export TABLE --format parquet FILE [--where COND]\n"
    "         [--compression zstd|snappy|none]   typed Parquet file\n"
    "  count TABLE [--deleted]       number of entities\n"
    "  find TABLE FIELD VALUE        entities whose indexed FIELD = VALUE\n"
    "  sql \"QUERY\" [--format table|json|jsonl|csv] [--explain]\n"
    "      [--route auto|columnar|sqlite|rows] [--threads N]\n"
    "  edge add SRC DST TYPE [--props JSON] [--weight W]\n"
    "  edge list ID [--direction out|in|both] [--type T]\n"
    "  edge delete SRC DST TYPE\n"
    "  traverse ID [--depth N] [--direction out|in|both] [--type T]\n"
    "           [--max-nodes N] [--exact]\n"
    "  path FROM TO [--depth N] [--direction out|in|both] [--type T]\n"
    "  search TABLE TEXT [-k N] [--where PRED] [--mode keyword|vector|hybrid]\n"
    "         [--min-score X] [--ef N] [--exact | --hnsw] [--snippets]\n"
    "         [--rrf-k X] [--explain]\n"
    "  lookup KEY... [--fuzzy]      entities by id, key_field value or name\n"
    "  ingest FILE... [--table T] [--chunk-size N] [--overlap N]\n"
    "  verify | reindex [TABLE] | stats [--all-tenants] | compact\n"
    "  backup DEST [--all-tenants]\n"
    "  serve [--listen HOST:PORT] [--keys FILE]   the HTTP JSON API\n"
    "  mcp [--allow-writes | --read-only]         MCP tools over stdio\n"
    "  help [COMMAND]                this text, or a command's\n"
    "remdb help COMMAND (or remdb COMMAND --help) explains a command.\n";

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
  const char *msg = remdb_errmsg(c->db);
  size_t n = strlen(context);
  /* the message may name the operation already: say it once */
  if (strncmp(msg, context, n) == 0 && msg[n] == ':')
    return cli_fail("%s", msg);
  return cli_fail("%s: %s", context, msg);
}

remdb *cli_open_handle(cli_t *c, bool create, bool read_only) {
  remdb_options o;
  remdb_options_init(&o);
  o.create_if_missing = create;
  o.read_only = read_only;
  /* the analytics route of SQL (remdb sql --route sets it) */
  const char *route = getenv("REMDB_SQL_ROUTE");
  if (route && *route) {
    static const char *const names[] = {"auto", "columnar", "sqlite", "rows"};
    int m = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(route, names[i]) == 0) m = i;
    if (m < 0) {
      cli_usage("REMDB_SQL_ROUTE (or --route) must be auto, columnar, "
                "sqlite or rows, not '%s'", route);
      return NULL;
    }
    o.sql_route = m;
  }
  /* the executor's threads (remdb sql --threads sets it) */
  const char *th = getenv("REMDB_EXEC_THREADS");
  if (th && *th) {
    char *end;
    long n = strtol(th, &end, 10);
    if (*end || n < 0 || n > 1024) {
      cli_usage("REMDB_EXEC_THREADS (or --threads) must be 0..1024 (0: the "
                "number of cores), not '%s'", th);
      return NULL;
    }
    o.exec_threads = (int)n;
  }
  remdb *db = NULL;
  int rc = remdb_open(c->path, c->tenant, &o, &db);
  if (rc == REMDB_OK) return db;
  if (rc == REMDB_NOTFOUND && !create)
    cli_fail("no database at %s (run 'remdb -d %s init' first)", c->path,
             c->path);
  else
    cli_fail("%s", remdb_errmsg(db));
  remdb_close(db);
  return NULL;
}

int cli_open(cli_t *c, bool create, bool read_only) {
  c->db = cli_open_handle(c, create, read_only);
  c->db_read_only = read_only;
  return c->db ? 0 : 1;
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
    if (i + 1 >= c->argc) {
      cli_usage("%s needs a value", name);
      exit(EXIT_USAGE); /* before anything is opened */
    }
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

/* Leave once the database is closed (a writer; see below for a reader).
** A normal exit runs RocksDB's static
** destructors, which join its background threads (idle in a reader) and
** free its option tables: on a busy machine, waiting for each of those
** threads to be scheduled again is a good part of a short command's time.
** Nothing is left to clean up but stdio, so flush it and _exit; builds with
** a sanitizer exit normally, for the leak check. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CLI_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CLI_SANITIZED 1
#endif

/* Under valgrind (its leak check) a reader is closed too. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CLI_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef CLI_UNDER_VALGRIND
#define CLI_UNDER_VALGRIND() 1 /* cannot tell: always close */
#endif

static int cli_exit(cli_t *c, int rc) {
#ifdef CLI_SANITIZED
  remdb_close(c->db);
  return rc;
#else
  /* a reader has nothing to write back: closing it would only free memory
  ** and unmap what the process is about to drop (a tenth of a `get`) */
  if (!c->db_read_only || CLI_UNDER_VALGRIND()) remdb_close(c->db);
  fflush(stdout); /* as exit() would: its result is not the command's */
  fflush(stderr);
  _exit(rc);
#endif
}

/* Each command, and its help: usage lines, a blank line, what it does. */
static const struct command {
  const char *name;
  int (*fn)(cli_t *);
  const char *help;
} commands[] = {
    {"init", cmd_init,
     "remdb init\n\n"
     "Create the database directory (if needed) and register the built-in\n"
     "tables (resources, moments, agents, sessions, messages) for the tenant.\n"
     "Tables that exist are left as they are.\n"},
    {"schema", cmd_schema,
     "remdb schema add FILE.json      (FILE - reads stdin)\n"
     "remdb schema list\n"
     "remdb schema show NAME\n"
     "remdb schema drop NAME\n\n"
     "add registers a table from a JSON Schema document, or replaces it (every\n"
     "stored entity is checked against the new one first); list prints the\n"
     "tables, show a table's schema, drop removes a table and its entities.\n"},
    {"insert", cmd_insert,
     "remdb insert TABLE JSON\n"
     "remdb insert TABLE -            (one JSON object per line of stdin)\n\n"
     "Validate and store entities; prints each id once it is committed.  An\n"
     "entity whose id exists (given, or derived from key_field) replaces it.\n"},
    {"import", cmd_import,
     "remdb import TABLE FILE.jsonl [--skip-bad] [--max-memory SIZE]\n\n"
     "Bulk load one JSON object per line (FILE - reads stdin).  All or\n"
     "nothing: a bad line rejects the file (--skip-bad: skip and report bad\n"
     "lines), and a crash leaves nothing behind.  Memory stays within about\n"
     "min(3 x the file's size, SIZE) (default 256M, or\n"
     "$REMDB_IMPORT_MAX_MEMORY); a larger file commits in journaled parts.\n"},
    {"get", cmd_get,
     "remdb get ID [--deleted] [--table TABLE]\n\n"
     "Print the entity ID as JSON (--deleted: also a soft-deleted one).\n"},
    {"update", cmd_update,
     "remdb update ID JSON\n\n"
     "Apply JSON as a merge patch (RFC 7386: null removes a field) to the\n"
     "entity ID, validate the result and print it.\n"},
    {"delete", cmd_delete,
     "remdb delete ID [--hard]\n\n"
     "Soft-delete the entity ID (it keeps its data, with deleted_at set), or\n"
     "with --hard remove it with its index entries, vector and edges.\n"},
    {"export", cmd_export,
     "remdb export TABLE [--format jsonl|csv] [--deleted]\n"
     "remdb export TABLE --format parquet FILE [--where COND]\n"
     "             [--compression zstd|snappy|none]\n\n"
     "Print every entity of TABLE: one JSON object a line (default) or CSV\n"
     "with a header (system fields, then the schema's properties).\n\n"
     "--format parquet writes the live rows to FILE (through FILE.tmp, renamed\n"
     "when complete) as typed Parquet, streamed from the table's columns: id\n"
     "(string), created_at and modified_at (timestamp, microseconds, UTC), then\n"
     "the scalar properties (integer INT64, number DOUBLE, boolean BOOLEAN,\n"
     "string UTF8, date-time timestamp); NULL or absent values are NULLs; a row\n"
     "group per column segment (65536 rows), with min/max/null statistics.\n"
     "Arrays and objects are not written.  --where takes an SQL condition on\n"
     "the table's columns (as in SELECT ... WHERE COND).  Compression: zstd\n"
     "(default), snappy or none.  A table whose schema says \"columnar\": false\n"
     "has no columns to stream from: export it as jsonl or csv.\n"},
    {"count", cmd_count,
     "remdb count TABLE [--deleted]\n\n"
     "Print the number of entities of TABLE (--deleted: soft-deleted too).\n"},
    {"find", cmd_find,
     "remdb find TABLE FIELD VALUE [--deleted]\n\n"
     "Print the entities whose indexed FIELD equals VALUE (JSON, or else\n"
     "text), one a line, served by the secondary index.\n"},
    {"sql", cmd_sql,
     "remdb sql \"QUERY\" [--format table|json|jsonl|csv] [--explain]\n\n"
     "Run SQL (several statements may be given) and print the results.  json\n"
     "and jsonl are always valid JSON (BLOBs as base64, invalid UTF-8 as\n"
     "U+FFFD, REAL values with a decimal point, non-finite ones as null).\n"
     "--explain shows each table's route instead of the rows.  --route picks\n"
     "where an aggregation runs (also REMDB_SQL_ROUTE): auto (the columnar\n"
     "executor unless an index serves the WHERE), columnar, sqlite, or rows\n"
     "(the executor over row scans).  --threads N (also REMDB_EXEC_THREADS)\n"
     "sets the executor's threads (default 0: the number of cores).  Reads take no\n"
     "lock; a statement that writes takes the write lock and reports the rows\n"
     "it changed on stderr (\"3 rows updated\").\n"},
    {"edge", cmd_edge,
     "remdb edge add SRC DST TYPE [--props JSON] [--weight W]\n"
     "remdb edge list ID [--direction out|in|both] [--type T]\n"
     "remdb edge delete SRC DST TYPE\n\n"
     "Add (or replace) the edge SRC -TYPE-> DST, list an entity's edges one a\n"
     "line (default: outgoing), or delete an edge.\n"},
    {"traverse", cmd_traverse,
     "remdb traverse ID [--depth N] [--direction out|in|both] [--type T]\n"
     "               [--max-nodes N] [--exact]\n\n"
     "Breadth-first from ID along edges (depth 0-64, default 2; direction out);\n"
     "prints {nodes: [{id, depth, entity, path}], truncated} as JSON.  --exact:\n"
     "only the nodes at exactly depth N.\n"},
    {"path", cmd_path,
     "remdb path FROM TO [--depth N] [--direction out|in|both] [--type T]\n\n"
     "A path with the fewest hops (at most N, default 6; direction both)\n"
     "from FROM to TO, as JSON: {length, path}.\n"},
    {"search", cmd_search,
     "remdb search TABLE TEXT [-k N] [--where PRED] [--min-score X] [--ef N]\n"
     "                        [--exact | --hnsw] [--mode keyword|vector|hybrid]\n"
     "                        [--rrf-k X] [--snippets] [--explain]\n\n"
     "The k (default 10) entities of TABLE that best match TEXT, among the rows\n"
     "that satisfy the SQL predicate PRED, one {id, score, entity} a line.\n"
     "--mode vector: most similar to TEXT (or a vector literal \"[0.1, ...]\");\n"
     "keyword: BM25 over the full-text index (terms, \"phrases\", prefix*,\n"
     "-excluded, AND/OR); hybrid: both lists fused by reciprocal rank (--rrf-k,\n"
     "default 60), each result with keyword_rank and vector_rank.  Default:\n"
     "hybrid when TABLE has both indexes, else the one it has.  --snippets:\n"
     "the best matching fragment of each text field, matches in [brackets].\n"
     "--explain prints the route taken on stderr.\n"},
    {"lookup", cmd_lookup,
     "remdb lookup KEY... [--fuzzy]\n\n"
     "Find entities of any table by id, key_field value or name (case,\n"
     "spaces and punctuation ignored; --fuzzy: also near misses), one\n"
     "{key, match, distance, entity} a line.\n"},
    {"ingest", cmd_ingest,
     "remdb ingest FILE... [--table T] [--chunk-size N] [--overlap N]\n\n"
     "Chunk text and markdown files (by headings and paragraphs; .jsonl: a\n"
     "chunk a line) into T (default resources), with a document row linked to\n"
     "its chunks.  Ingesting a file again replaces its chunks.\n"},
    {"verify", cmd_verify,
     "remdb verify\n\n"
     "Check that entities, index entries, id directory, key index, counters,\n"
     "edges, vectors and columns agree; print each problem, exit 1 if there\n"
     "is one.\n"},
    {"reindex", cmd_reindex,
     "remdb reindex [TABLE]\n\n"
     "Rebuild the indexes (and vector index) of TABLE, or of every table.\n"},
    {"stats", cmd_stats,
     "remdb stats [--all-tenants]\n\n"
     "The tenant's tables (entities, deleted, index entries, vector index) and\n"
     "the approximate bytes of its data per column family, as JSON.\n"
     "--all-tenants adds the whole database's storage figures.\n"},
    {"backup", cmd_backup,
     "remdb backup DEST [--all-tenants]\n\n"
     "Write a consistent copy of the tenant (--all-tenants: of the whole\n"
     "database) into the new directory DEST, a database that opens on its\n"
     "own.  Runs beside a writer; written to DEST.tmp, then renamed.\n"},
    {"compact", cmd_compact,
     "remdb compact\n\n"
     "Compact the storage (RocksDB) of the whole database.\n"},
    {"serve", cmd_serve,
     "remdb serve [--listen HOST:PORT] [--keys FILE] [--threads N]\n"
     "            [--max-body BYTES] [--max-rows N] [--timeout SECONDS]\n"
     "            [--grace SECONDS] [--max-connections N]\n\n"
     "An HTTP/1.1 JSON API over the database (default 127.0.0.1:8765; port 0\n"
     "picks one; the address is printed when ready).  --keys FILE: one\n"
     "\"KEY TENANT\" a line; requests send \"Authorization: Bearer KEY\" and\n"
     "reach only the key's tenant.  Without it: the -t tenant, loopback only.\n"
     "SIGTERM finishes the requests in flight and closes the database.\n"},
    {"mcp", cmd_mcp,
     "remdb mcp [--allow-writes | --read-only] [--max-rows N]\n\n"
     "A Model Context Protocol server on stdin/stdout (JSON-RPC, a message a\n"
     "line) with the tools lookup, search, traverse, get, schema, sql, insert,\n"
     "upsert, add_edge and ingest.  The sql tool only reads unless\n"
     "--allow-writes; --read-only opens the database read-only, no write tools.\n"},
};

static const struct command *find_command(const char *name) {
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
    if (strcmp(name, commands[k].name) == 0) return &commands[k];
  return NULL;
}

static const char shell_help[] =
    "remdb [-d DIR] [-t TENANT]\n\n"
    "With no command: an interactive SQL shell (a script runner when stdin\n"
    "is not a terminal).  Statements end with ';'; .help lists the dot\n"
    "commands.  The shell reads without a lock and takes the write lock only\n"
    "for a statement that writes.\n";

/* `remdb help [COMMAND]` */
static int help(int argc, char **argv) {
  if (argc == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (argc > 1) return cli_usage("help takes at most one COMMAND");
  if (!strcmp(argv[0], "shell")) {
    fputs(shell_help, stdout);
    return 0;
  }
  if (!strcmp(argv[0], "help")) {
    fputs("remdb help [COMMAND]\n\nThe commands, or what COMMAND does.\n",
          stdout);
    return 0;
  }
  const struct command *cmd = find_command(argv[0]);
  if (cmd == NULL) return cli_usage("no command '%s' to explain", argv[0]);
  fputs(cmd->help, stdout);
  return 0;
}

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
    if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "-t")) {
      if (i + 1 >= argc)
        return cli_usage("%s needs a value (%s)", argv[i],
                         argv[i][1] == 'd' ? "the database directory"
                                           : "the tenant");
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
  const char *name = argv[i];
  c.argc = argc - i - 1;
  c.argv = argv + i + 1;
  if (!strcmp(name, "help")) return help(c.argc, c.argv);
  const struct command *cmd = find_command(name);
  if (cmd == NULL) return cli_usage("unknown command '%s'", name);
  for (int k = 0; k < c.argc; k++)
    if (!strcmp(c.argv[k], "--help") || !strcmp(c.argv[k], "-h")) {
      fputs(cmd->help, stdout);
      return 0;
    }
  int rc = cmd->fn(&c);
  return cli_exit(&c, rc);
}

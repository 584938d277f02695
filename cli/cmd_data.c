/*
** cmd_data.c: the commands that read and write entities: insert, import,
** get, update, delete, export, count and find.
*/
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"

/* Import memory.  An import holds at most about min(3 x the file's size,
** --max-memory) (default 256 MiB, also $REMDB_IMPORT_MAX_MEMORY) beyond
** what the process needs anyway: a quarter for the rows it stages (it
** commits a part of the import whenever they pass it), the rest for
** RocksDB's memtables and block cache, sized from the same figure.  The
** parts are one journaled batch (remdb.h: REMDB_BATCH_JOURNAL): the import
** is all or nothing at any size, across a crash too. */
#define IMPORT_DEFAULT_MEMORY (256ll << 20)
#define IMPORT_MIN_STAGE (256ll << 10)

/* "256M", "1G", "300000": bytes, or -1 if s is not a size. */
static long long parse_size(const char *s) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || v < 0 || errno) return -1;
  long long mul = 1;
  if (*end == 'k' || *end == 'K') mul = 1ll << 10, end++;
  else if (*end == 'm' || *end == 'M') mul = 1ll << 20, end++;
  else if (*end == 'g' || *end == 'G') mul = 1ll << 30, end++;
  if (*end == 'i' && mul > 1) end++;
  if ((*end == 'b' || *end == 'B') && mul > 1) end++;
  if (*end != 0 || v > (1ll << 50) / mul) return -1;
  return v * mul;
}

/* The length of line without its trailing newline (and CR). */
static size_t chomp(const char *line, size_t n) {
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
  return n;
}

static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return false;
  return true;
}

int cmd_insert(cli_t *c) {
  if (!cli_nargs(c, 2)) return EXIT_USAGE;
  const char *table = c->argv[0], *json = c->argv[1];
  if (cli_open(c, false, false)) return 1;
  char id[REMDB_ID_LEN + 1];
  if (strcmp(json, "-") != 0) {
    if (remdb_insert(c->db, table, json, strlen(json), id) != REMDB_OK)
      return cli_db_fail(c, "insert");
    printf("%s\n", id);
    return 0;
  }
  /* one entity per line; each id is printed once its write committed */
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long long lineno = 0;
  int rc = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    lineno++;
    if (blank(line, (size_t)n)) continue;
    if (remdb_insert(c->db, table, line, chomp(line, (size_t)n), id) !=
        REMDB_OK) {
      rc = cli_fail("stdin line %lld: %s", lineno, remdb_errmsg(c->db));
      break;
    }
    printf("%s\n", id);
    fflush(stdout);
  }
  free(line);
  return rc;
}

typedef struct import_state {
  cli_t *c;
  const char *table, *file;
  bool skip_bad;
  long long lines, rows, skipped, parts;
  long long stage_bytes; /* commit a part when the staged rows pass it */
  long long kill_after;  /* test hook: die after this many parts (0: no) */
} import_state;

/* One pass over the file: every line is staged in the journaled batch b,
** which commits a part whenever what it holds passes the budget. */
static int import_pass(import_state *s, FILE *f, long long size,
                       remdb_batch *b) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long long off = 0, lineno = 0;
  int rc = 0;
  progress_t pg;
  progress_start(&pg, "importing", size);
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    off += n;
    progress_update(&pg, off, s->rows);
    if (blank(line, (size_t)n)) continue;
    if (remdb_batch_insert(b, s->table, line, (size_t)n, NULL) != REMDB_OK) {
      if (!s->skip_bad) {
        progress_end(&pg);
        rc = cli_fail("%s line %lld: %s; nothing was imported", s->file,
                      lineno, remdb_errmsg(s->c->db));
        break;
      }
      progress_end(&pg);
      fprintf(stderr, "skipped %s line %lld: %s\n", s->file, lineno,
              remdb_errmsg(s->c->db));
      s->skipped++;
      continue;
    }
    s->rows++;
    if ((long long)remdb_batch_bytes(b) < s->stage_bytes) continue;
    if (remdb_batch_flush(b, 0) != REMDB_OK) {
      progress_end(&pg);
      rc = cli_fail("%s line %lld: %s; nothing was imported", s->file, lineno,
                    remdb_errmsg(s->c->db));
      break;
    }
    if (++s->parts == s->kill_after) raise(SIGKILL); /* tests: a crash */
  }
  progress_end(&pg);
  if (rc == 0 && ferror(f))
    rc = cli_fail("%s: read error; nothing was imported", s->file);
  s->lines = lineno;
  free(line);
  return rc;
}

int cmd_import(cli_t *c) {
  import_state s = {.c = c};
  s.skip_bad = cli_flag(c, "--skip-bad");
  const char *mem_s = cli_opt(c, "--max-memory");
  if (mem_s == NULL) mem_s = getenv("REMDB_IMPORT_MAX_MEMORY");
  long long max_mem = IMPORT_DEFAULT_MEMORY;
  if (mem_s && *mem_s && (max_mem = parse_size(mem_s)) < (1ll << 20))
    return cli_usage("--max-memory must be a size of at least 1M (like "
                     "64M or 1G), not '%s'", mem_s);
  const char *kill = getenv("REMDB_TEST_IMPORT_KILL_AFTER");
  s.kill_after = kill ? atoll(kill) : 0;
  if (!cli_nargs(c, 2)) return EXIT_USAGE;
  s.table = c->argv[0];
  s.file = c->argv[1];
  FILE *f;
  if (strcmp(s.file, "-") == 0) {
    /* spooled, so that its size is known and sizes the import's memory */
    f = tmpfile();
    if (f == NULL) return cli_fail("cannot create a temporary file");
    char buf[65536];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, stdin)) > 0)
      if (fwrite(buf, 1, r, f) != r) {
        fclose(f);
        return cli_fail("cannot spool stdin: %s", strerror(errno));
      }
    rewind(f);
    s.file = "stdin";
  } else if ((f = fopen(s.file, "rb")) == NULL) {
    return cli_fail("cannot open %s: %s", s.file, strerror(errno));
  }
  struct stat st;
  long long size = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0;
  long long budget = 3 * size < max_mem ? 3 * size : max_mem;
  s.stage_bytes = budget / 5 > IMPORT_MIN_STAGE ? budget / 5 : IMPORT_MIN_STAGE;
  /* RocksDB's share: memtables and block cache within the budget too */
  remdb_options o;
  remdb_options_init(&o);
  o.create_if_missing = 0;
  long long wb = budget / 16; /* up to 2 per column family written */
  o.write_buffer_bytes = (size_t)(wb < (2ll << 20) ? (2ll << 20)
                                  : wb > (32ll << 20) ? (32ll << 20) : wb);
  long long cache = budget / 16;
  o.cache_bytes = (size_t)(cache < (4ll << 20) ? (4ll << 20)
                           : cache > (64ll << 20) ? (64ll << 20) : cache);
  int rc = 0, orc = remdb_open(c->path, c->tenant, &o, &c->db);
  if (orc == REMDB_NOTFOUND)
    rc = cli_fail("no database at %s (run 'remdb -d %s init' first)",
                  c->path, c->path);
  else if (orc != REMDB_OK)
    rc = cli_fail("%s", remdb_errmsg(c->db));
  remdb_batch *b = NULL;
  uint64_t before;
  /* an unknown table is no bad line: it fails the import, --skip-bad or not */
  if (rc == 0 && remdb_count(c->db, s.table, 0, &before) != REMDB_OK)
    rc = cli_db_fail(c, "import");
  if (rc == 0 && remdb_batch_begin_ex(c->db, REMDB_BATCH_JOURNAL, &b) !=
                     REMDB_OK)
    rc = cli_db_fail(c, "import");
  if (rc == 0) rc = import_pass(&s, f, size, b);
  /* the last part and the journal's deletion: one synced commit */
  if (rc == 0 && remdb_batch_commit(b, 1) != REMDB_OK)
    rc = cli_fail("%s: %s; nothing was imported", s.file,
                  remdb_errmsg(c->db));
  if (rc == 0)
    printf("imported %lld entit%s into %s%s", s.rows,
           s.rows == 1 ? "y" : "ies", s.table, s.skipped ? "" : "\n");
  if (rc == 0 && s.skipped)
    printf(", skipped %lld bad line%s\n", s.skipped,
           s.skipped == 1 ? "" : "s");
  remdb_batch_free(b); /* after a failure: rolls back the parts written */
  fclose(f);
  return rc;
}

int cmd_get(cli_t *c) {
  bool deleted = cli_flag(c, "--deleted");
  const char *table = cli_opt(c, "--table");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  char *json;
  if (remdb_get(c->db, table, c->argv[0], deleted ? REMDB_INCLUDE_DELETED : 0,
                &json, NULL) != REMDB_OK)
    return cli_db_fail(c, "get");
  printf("%s\n", json);
  remdb_free(json);
  return 0;
}

int cmd_update(cli_t *c) {
  if (!cli_nargs(c, 2)) return EXIT_USAGE;
  if (cli_open(c, false, false)) return 1;
  const char *id = c->argv[0], *patch = c->argv[1];
  if (remdb_update(c->db, id, patch, strlen(patch)) != REMDB_OK)
    return cli_db_fail(c, "update");
  char *json;
  if (remdb_get(c->db, NULL, id, 0, &json, NULL) != REMDB_OK)
    return cli_db_fail(c, "update");
  printf("%s\n", json);
  remdb_free(json);
  return 0;
}

int cmd_delete(cli_t *c) {
  bool hard = cli_flag(c, "--hard");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, false)) return 1;
  if (remdb_delete(c->db, c->argv[0], hard ? REMDB_HARD : 0) != REMDB_OK)
    return cli_db_fail(c, "delete");
  printf("deleted %s%s\n", c->argv[0], hard ? " (hard)" : "");
  return 0;
}

static void csv_value(json_t *v) {
  if (v == NULL || json_is_null(v)) return;
  if (json_is_string(v)) {
    cli_csv_field(stdout, json_string_value(v), json_string_length(v));
  } else if (json_is_true(v) || json_is_false(v)) {
    fputs(json_is_true(v) ? "1" : "0", stdout);
  } else {
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (t) cli_csv_field(stdout, t, strlen(t));
    free(t);
  }
}

/* remdb export TABLE --format parquet FILE [--where C] [--compression Z] */
static int export_parquet(cli_t *c, bool deleted) {
  const char *where = cli_opt(c, "--where");
  const char *z = cli_opt(c, "--compression");
  int comp = REMDB_PARQUET_ZSTD;
  if (z == NULL || strcmp(z, "zstd") == 0)
    comp = REMDB_PARQUET_ZSTD;
  else if (strcmp(z, "snappy") == 0)
    comp = REMDB_PARQUET_SNAPPY;
  else if (strcmp(z, "none") == 0)
    comp = REMDB_PARQUET_NONE;
  else
    return cli_usage("--compression must be zstd, snappy or none, not %s", z);
  if (deleted)
    return cli_usage("--deleted: a Parquet export holds the live rows only");
  if (!cli_nargs(c, 2)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  uint64_t rows;
  if (remdb_export_parquet(c->db, c->argv[0], c->argv[1], where, comp,
                           &rows) != REMDB_OK)
    return cli_db_fail(c, "export");
  fprintf(stderr, "exported %llu rows of %s to %s\n", (unsigned long long)rows,
          c->argv[0], c->argv[1]);
  return 0;
}

int cmd_export(cli_t *c) {
  const char *fmt = cli_opt(c, "--format");
  bool deleted = cli_flag(c, "--deleted");
  if (fmt && strcmp(fmt, "parquet") == 0) return export_parquet(c, deleted);
  if (fmt == NULL) fmt = "jsonl";
  bool csv = strcmp(fmt, "csv") == 0;
  if (!csv && strcmp(fmt, "jsonl") != 0)
    return cli_usage("--format must be jsonl, csv or parquet");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  json_t *cols = NULL;
  if (csv) { /* columns: system fields, then the schema's properties */
    char *sj;
    if (remdb_schema_get(c->db, c->argv[0], &sj) != REMDB_OK)
      return cli_db_fail(c, "export");
    json_t *doc = json_loads(sj, 0, NULL);
    remdb_free(sj);
    cols = json_pack("[sssss]", "id", "type", "created_at", "modified_at",
                     "deleted_at");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "properties"), k, v) {
      if (strcmp(k, "id") && strcmp(k, "type") && strcmp(k, "created_at") &&
          strcmp(k, "modified_at") && strcmp(k, "deleted_at"))
        json_array_append_new(cols, json_string(k));
    }
    json_decref(doc);
    size_t i;
    json_t *col;
    json_array_foreach(cols, i, col) {
      if (i) putchar(',');
      cli_csv_field(stdout, json_string_value(col), json_string_length(col));
    }
    putchar('\n');
  }
  remdb_iter *it;
  if (remdb_iter_open(c->db, c->argv[0], deleted ? REMDB_INCLUDE_DELETED : 0,
                      &it) != REMDB_OK) {
    json_decref(cols);
    return cli_db_fail(c, "export");
  }
  const char *row;
  size_t len;
  int r;
  while ((r = remdb_iter_next(it, &row, &len)) == REMDB_ROW) {
    if (!csv) {
      fwrite(row, 1, len, stdout);
      putchar('\n');
      continue;
    }
    json_t *obj = json_loadb(row, len, 0, NULL);
    size_t i;
    json_t *col;
    json_array_foreach(cols, i, col) {
      if (i) putchar(',');
      csv_value(json_object_get(obj, json_string_value(col)));
    }
    putchar('\n');
    json_decref(obj);
  }
  int rc = r == REMDB_DONE ? 0 : cli_db_fail(c, "export");
  remdb_iter_free(it);
  json_decref(cols);
  return rc;
}

int cmd_count(cli_t *c) {
  bool deleted = cli_flag(c, "--deleted");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  uint64_t n;
  if (remdb_count(c->db, c->argv[0], deleted ? REMDB_INCLUDE_DELETED : 0,
                  &n) != REMDB_OK)
    return cli_db_fail(c, "count");
  printf("%llu\n", (unsigned long long)n);
  return 0;
}

int cmd_find(cli_t *c) {
  bool deleted = cli_flag(c, "--deleted");
  if (!cli_nargs(c, 3)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
  /* a VALUE that is not JSON is taken as a string */
  const char *v = c->argv[2];
  json_t *probe = json_loads(v, JSON_DECODE_ANY, NULL);
  char *quoted = NULL;
  if (probe == NULL) {
    json_t *s = json_string(v);
    quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (quoted == NULL) return cli_fail("find: VALUE is not valid UTF-8");
    v = quoted;
  }
  json_decref(probe);
  char *out;
  int r = remdb_find(c->db, c->argv[0], c->argv[1], v,
                     deleted ? REMDB_INCLUDE_DELETED : 0, &out);
  free(quoted);
  if (r != REMDB_OK) return cli_db_fail(c, "find");
  json_t *arr = json_loads(out, 0, NULL);
  size_t i;
  json_t *row;
  json_array_foreach(arr, i, row) {
    char *t = json_dumps(row, JSON_COMPACT);
    if (t) printf("%s\n", t);
    free(t);
  }
  json_decref(arr);
  remdb_free(out);
  return 0;
}

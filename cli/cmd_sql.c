/*
** cmd_sql.c: `remdb sql` and the result printers shared with the shell:
** table (aligned columns), json (one array of objects), jsonl (one object
** per line) and csv (RFC 4180, with a header).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void json_str(FILE *f, const char *s, size_t n) {
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc(c, f);
    } else if (c == '\n') {
      fputs("\\n", f);
    } else if (c == '\r') {
      fputs("\\r", f);
    } else if (c == '\t') {
      fputs("\\t", f);
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
    } else {
      fputc(c, f);
    }
  }
  fputc('"', f);
}

static void json_value(FILE *f, remdb_stmt *st, int i) {
  size_t n;
  switch (remdb_column_type(st, i)) {
    case REMDB_NULL: fputs("null", f); break;
    case REMDB_INTEGER:
      fprintf(f, "%lld", (long long)remdb_column_int64(st, i));
      break;
    case REMDB_FLOAT: {
      double d = remdb_column_double(st, i);
      if (!isfinite(d)) {
        fputs("null", f);
        break;
      }
      char t[40];
      for (int p = 15; p <= 17; p++) {
        snprintf(t, sizeof t, "%.*g", p, d);
        if (strtod(t, NULL) == d) break;
      }
      fputs(t, f);
      break;
    }
    default: {
      const char *t = remdb_column_text(st, i, &n);
      json_str(f, t ? t : "", t ? n : 0);
    }
  }
}

void cli_csv_field(FILE *f, const char *s, size_t n) {
  bool q = false;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') q = true;
  if (!q) {
    fwrite(s, 1, n, f);
    return;
  }
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') fputc('"', f);
    fputc(s[i], f);
  }
  fputc('"', f);
}

/* Table mode keeps the cells of a result to size its columns. */
typedef struct grid {
  char **cells;
  size_t n, cap;
  int ncol;
} grid;

static bool grid_add(grid *g, const char *s, size_t n) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    char **c = realloc(g->cells, cap * sizeof *c);
    if (c == NULL) return false;
    g->cells = c;
    g->cap = cap;
  }
  char *copy = malloc(n + 1);
  if (copy == NULL) return false;
  memcpy(copy, s, n);
  copy[n] = 0;
  g->cells[g->n++] = copy;
  return true;
}

/* Display width: count UTF-8 code points. */
static size_t width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) w++;
  return w;
}

static void grid_print(FILE *f, grid *g) {
  if (g->ncol == 0) return;
  size_t *w = calloc((size_t)g->ncol, sizeof *w);
  if (w == NULL) return;
  for (size_t i = 0; i < g->n; i++) {
    size_t cw = width(g->cells[i]);
    if (cw > 80) cw = 80;
    if (cw > w[i % (size_t)g->ncol]) w[i % (size_t)g->ncol] = cw;
  }
  for (size_t i = 0; i < g->n; i++) {
    int c = (int)(i % (size_t)g->ncol);
    const char *s = g->cells[i];
    size_t cw = width(s);
    if (cw > 80) { /* cut long cells at a character boundary */
      size_t k = 0, seen = 0;
      while (s[k] && seen < 77) {
        if (((unsigned char)s[k] & 0xc0) != 0x80) seen++;
        k++;
      }
      while (s[k] && ((unsigned char)s[k] & 0xc0) == 0x80) k++;
      fprintf(f, "%.*s...", (int)k, s);
      cw = 80;
    } else {
      fputs(s, f);
    }
    if (c + 1 < g->ncol) {
      for (size_t k = cw; k < w[c] + 2; k++) fputc(' ', f);
    } else {
      fputc('\n', f);
    }
    if (i + 1 == (size_t)g->ncol) { /* rule under the header */
      for (int k = 0; k < g->ncol; k++) {
        for (size_t j = 0; j < w[k]; j++) fputc('-', f);
        fputs(k + 1 < g->ncol ? "  " : "\n", f);
      }
    }
  }
  free(w);
}

static void grid_free(grid *g) {
  for (size_t i = 0; i < g->n; i++) free(g->cells[i]);
  free(g->cells);
  memset(g, 0, sizeof *g);
}

int cli_run_sql(remdb *db, const char *sql, enum out_format fmt, FILE *out) {
  size_t len = strlen(sql), pos = 0;
  int rc = 0;
  bool json_open = false, any_json = false;
  while (pos < len && rc == 0) {
    remdb_stmt *st = NULL;
    size_t used = 0;
    if (remdb_prepare(db, sql + pos, len - pos, &st, &used) != REMDB_OK) {
      rc = cli_fail("%s", remdb_errmsg(db));
      break;
    }
    pos += used;
    if (st == NULL) break;
    int ncol = remdb_column_count(st);
    grid g = {.ncol = ncol};
    long long rows = 0;
    int r;
    if (fmt == FMT_TABLE)
      for (int i = 0; i < ncol; i++) {
        const char *n = remdb_column_name(st, i);
        grid_add(&g, n, strlen(n));
      }
    if (fmt == FMT_CSV && ncol > 0) {
      for (int i = 0; i < ncol; i++) {
        const char *n = remdb_column_name(st, i);
        if (i) fputc(',', out);
        cli_csv_field(out, n, strlen(n));
      }
      fputc('\n', out);
    }
    if (fmt == FMT_JSON && ncol > 0 && !json_open) {
      fputc('[', out);
      json_open = true;
    }
    while ((r = remdb_step(st)) == REMDB_ROW) {
      rows++;
      if (fmt == FMT_JSON || fmt == FMT_JSONL) {
        if (fmt == FMT_JSON && any_json) fputc(',', out);
        any_json = true;
        fputc('{', out);
        for (int i = 0; i < ncol; i++) {
          const char *n = remdb_column_name(st, i);
          if (i) fputc(',', out);
          json_str(out, n, strlen(n));
          fputc(':', out);
          json_value(out, st, i);
        }
        fputs(fmt == FMT_JSONL ? "}\n" : "}", out);
        continue;
      }
      for (int i = 0; i < ncol; i++) {
        size_t n = 0;
        const char *t = remdb_column_type(st, i) == REMDB_NULL
                            ? NULL
                            : remdb_column_text(st, i, &n);
        if (fmt == FMT_CSV) {
          if (i) fputc(',', out);
          if (t) cli_csv_field(out, t, n);
        } else if (!grid_add(&g, t ? t : "NULL", t ? n : 4)) {
          r = REMDB_NOMEM;
          break;
        }
      }
      if (fmt == FMT_CSV) fputc('\n', out);
      if (r == REMDB_NOMEM) break;
    }
    if (r != REMDB_DONE)
      rc = r == REMDB_NOMEM ? cli_fail("out of memory")
                            : cli_fail("%s", remdb_errmsg(db));
    if (rc == 0 && fmt == FMT_TABLE && ncol > 0) {
      grid_print(out, &g);
      fprintf(out, "(%lld row%s)\n", rows, rows == 1 ? "" : "s");
    }
    grid_free(&g);
    remdb_finalize(st);
  }
  if (json_open) fputs("]\n", out);
  return rc;
}

void cli_print_names(const char *json_list) {
  for (const char *p = json_list; *p; p++)
    if (*p == '"') {
      const char *e = strchr(p + 1, '"');
      if (e == NULL) break;
      printf("%.*s\n", (int)(e - p - 1), p + 1);
      p = e;
    }
}

bool cli_parse_format(const char *s, enum out_format *fmt) {
  if (s == NULL || !strcmp(s, "table")) *fmt = FMT_TABLE;
  else if (!strcmp(s, "json")) *fmt = FMT_JSON;
  else if (!strcmp(s, "jsonl")) *fmt = FMT_JSONL;
  else if (!strcmp(s, "csv")) *fmt = FMT_CSV;
  else return false;
  return true;
}

int cmd_sql(cli_t *c) {
  const char *f = cli_opt(c, "--format");
  bool explain = cli_flag(c, "--explain");
  enum out_format fmt;
  if (!cli_parse_format(f, &fmt))
    return cli_usage("--format must be table, json, jsonl or csv");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, false)) return 1;
  const char *q = c->argv[0];
  char *owned = NULL;
  if (explain) {
    size_t n = strlen(q) + 9;
    owned = malloc(n);
    if (owned == NULL) return cli_fail("out of memory");
    snprintf(owned, n, "EXPLAIN %s", q);
    q = owned;
    /* EXPLAIN covers one statement: a second one would run for real */
    remdb_stmt *st = NULL;
    size_t used = 0, len = strlen(q);
    bool several = false;
    if (remdb_prepare(c->db, q, len, &st, &used) == REMDB_OK && used < len) {
      remdb_stmt *more = NULL;
      several = remdb_prepare(c->db, q + used, len - used, &more, NULL) !=
                    REMDB_OK ||
                more != NULL;
      remdb_finalize(more);
    }
    remdb_finalize(st);
    if (several) {
      free(owned);
      return cli_fail("--explain takes one statement");
    }
  }
  int rc = cli_run_sql(c->db, q, fmt, stdout);
  free(owned);
  return rc;
}

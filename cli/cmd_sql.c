/*
** cmd_sql.c: `remdb sql` and the result printers shared with the shell:
** table (aligned columns), json (one array of objects), jsonl (one object
** per line) and csv (RFC 4180, with a header).
**
** json and jsonl are always valid JSON: text that is not valid UTF-8 has
** each bad byte replaced by U+FFFD, control characters are escaped, BLOBs
** are base64 strings (RFC 4648, with padding), REAL values always carry a
** decimal point or an exponent (4.0, not 4, so a typed reader keeps the
** type), and non-finite reals are null.  csv gives BLOBs as base64 too;
** table shows them as X'hex'.  Table output measures its columns over the
** first TABLE_PREFIX_ROWS rows, then prints the rest as they come.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

#define TABLE_PREFIX_ROWS 1000
#define CELL_MAX_WIDTH 80

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

/* ---- table output ------------------------------------------------------
** Cells are kept (as their display text) only for the header and the first
** TABLE_PREFIX_ROWS rows, to size the columns; later rows are printed as
** they come, in those widths. */
typedef struct cell {
  char *s;
  size_t n;
} cell;

typedef struct grid {
  cell *cells;
  size_t n, cap;
  int ncol;
  size_t *w;      /* column widths, once measured */
  bool streaming; /* the prefix is printed: rows go straight out */
} grid;

/* The display text of a value: NUL bytes shown as U+2400 (so text is never
** cut at one), BLOBs as X'hex', NULL as NULL. */
static bool cell_text(remdb_stmt *st, int i, cell *out) {
  int type = remdb_column_type(st, i);
  size_t n = 0;
  const char *t = type == REMDB_NULL ? NULL : remdb_column_text(st, i, &n);
  if (t == NULL) t = "", n = 0;
  size_t cap = type == REMDB_NULL ? 5 : type == REMDB_BLOB ? 2 * n + 4 : 3 * n + 1;
  char *p = malloc(cap);
  if (p == NULL) return false;
  size_t k = 0;
  if (type == REMDB_NULL) {
    memcpy(p, "NULL", 4);
    k = 4;
  } else if (type == REMDB_BLOB) {
    static const char hx[] = "0123456789abcdef";
    p[k++] = 'X';
    p[k++] = '\'';
    for (size_t j = 0; j < n; j++) {
      p[k++] = hx[(unsigned char)t[j] >> 4];
      p[k++] = hx[(unsigned char)t[j] & 15];
    }
    p[k++] = '\'';
  } else {
    for (size_t j = 0; j < n; j++) {
      if (t[j] == 0) {
        memcpy(p + k, "\xe2\x90\x80", 3);
        k += 3;
      } else {
        p[k++] = t[j];
      }
    }
  }
  p[k] = 0;
  out->s = p;
  out->n = k;
  return true;
}

static bool grid_add(grid *g, cell c) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    cell *nc = realloc(g->cells, cap * sizeof *nc);
    if (nc == NULL) {
      free(c.s);
      return false;
    }
    g->cells = nc;
    g->cap = cap;
  }
  g->cells[g->n++] = c;
  return true;
}

/* Display width: count UTF-8 code points. */
static size_t width(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80) w++;
  return w;
}

static void print_cell(FILE *f, const grid *g, int c, const cell *x) {
  size_t cw = width(x->s, x->n);
  if (cw > CELL_MAX_WIDTH) { /* cut long cells at a character boundary */
    size_t k = 0, seen = 0;
    while (k < x->n && seen < CELL_MAX_WIDTH - 3) {
      if (((unsigned char)x->s[k] & 0xc0) != 0x80) seen++;
      k++;
    }
    while (k < x->n && ((unsigned char)x->s[k] & 0xc0) == 0x80) k++;
    fwrite(x->s, 1, k, f);
    fputs("...", f);
    cw = CELL_MAX_WIDTH;
  } else {
    fwrite(x->s, 1, x->n, f);
  }
  if (c + 1 < g->ncol) {
    /* a cell wider than its column (a row after the measured prefix)
    ** still keeps two spaces before the next */
    size_t end = (cw > g->w[c] ? cw : g->w[c]) + 2;
    for (size_t k = cw; k < end; k++) fputc(' ', f);
  } else {
    fputc('\n', f);
  }
}

/* Measure the kept cells, print them, and switch to streaming. */
static void grid_flush(FILE *f, grid *g) {
  if (g->ncol == 0 || g->streaming) return;
  g->w = calloc((size_t)g->ncol, sizeof *g->w);
  if (g->w == NULL) return;
  for (size_t i = 0; i < g->n; i++) {
    size_t cw = width(g->cells[i].s, g->cells[i].n);
    if (cw > CELL_MAX_WIDTH) cw = CELL_MAX_WIDTH;
    if (cw > g->w[i % (size_t)g->ncol]) g->w[i % (size_t)g->ncol] = cw;
  }
  for (size_t i = 0; i < g->n; i++) {
    print_cell(f, g, (int)(i % (size_t)g->ncol), &g->cells[i]);
    if (i + 1 == (size_t)g->ncol) { /* rule under the header */
      for (int k = 0; k < g->ncol; k++) {
        for (size_t j = 0; j < g->w[k]; j++) fputc('-', f);
        fputs(k + 1 < g->ncol ? "  " : "\n", f);
      }
    }
    free(g->cells[i].s);
  }
  g->n = 0;
  g->streaming = true;
}

/* One more cell: kept while measuring, else printed at once. */
static bool grid_put(FILE *f, grid *g, cell c, int col) {
  if (!g->streaming) return grid_add(g, c);
  print_cell(f, g, col, &c);
  free(c.s);
  return true;
}

static void grid_free(grid *g) {
  for (size_t i = 0; i < g->n; i++) free(g->cells[i].s);
  free(g->cells);
  free(g->w);
  memset(g, 0, sizeof *g);
}

/* ---- running statements ------------------------------------------------ */

/* The first keyword of a statement (upper case, at most n-1 chars). */
static void first_word(const char *s, char *out, size_t n) {
  for (;;) {
    while (isspace((unsigned char)*s)) s++;
    if (s[0] == '-' && s[1] == '-') {
      while (*s && *s != '\n') s++;
    } else if (s[0] == '/' && s[1] == '*') {
      const char *e = strstr(s + 2, "*/");
      s = e ? e + 2 : s + strlen(s);
    } else {
      break;
    }
  }
  size_t k = 0;
  while (k + 1 < n && isalpha((unsigned char)s[k])) {
    out[k] = (char)toupper((unsigned char)s[k]);
    k++;
  }
  out[k] = 0;
}

/* After a statement that changed rows: "3 rows updated" on stderr (stdout
** stays the result alone, whatever the format). */
static void report_changes(remdb *db, const char *kw) {
  const char *verb = !strcmp(kw, "INSERT") || !strcmp(kw, "REPLACE")
                         ? "inserted"
                     : !strcmp(kw, "UPDATE") ? "updated"
                     : !strcmp(kw, "DELETE") ? "deleted"
                     : !strcmp(kw, "WITH")   ? "changed"
                                             : NULL;
  if (verb == NULL) return;
  long long n = (long long)remdb_changes(db);
  fprintf(stderr, "%lld row%s %s\n", n, n == 1 ? "" : "s", verb);
}

static int open_writer(sqlrun_t *r) {
  if (r->rw) return 0;
  r->rw = cli_open_handle(r->c, false, false);
  return r->rw ? 0 : 1;
}

static void close_writer(sqlrun_t *r) {
  if (r->rw == NULL || r->keep_rw) return;
  remdb_close(r->rw);
  r->rw = NULL;
  /* the reader's view moves on to what the statement wrote */
  if (remdb_refresh(r->ro) != REMDB_OK)
    cli_fail("%s", remdb_errmsg(r->ro));
  else
    r->ro_stale = false;
}

int cli_run_sql(sqlrun_t *r, const char *sql, enum out_format fmt, FILE *out) {
  size_t len = strlen(sql), pos = 0;
  int rc = 0;
  bool json_open = false, any_json = false;
  while (pos < len && rc == 0) {
    remdb_stmt *st = NULL;
    size_t used = 0;
    /* every statement is prepared on the reader, where the TEMP tables
    ** live; after a write on a kept writer, the reader first moves on to
    ** what it wrote */
    remdb *db = r->ro;
    if (r->ro_stale && remdb_refresh(r->ro) != REMDB_OK) {
      rc = cli_fail("%s", remdb_errmsg(r->ro));
      break;
    }
    r->ro_stale = false;
    if (remdb_prepare(db, sql + pos, len - pos, &st, &used) != REMDB_OK) {
      rc = cli_fail("%s", remdb_errmsg(db));
      break;
    }
    if (st == NULL) break;
    char kw[16];
    first_word(sql + pos, kw, sizeof kw);
    bool writes = !remdb_stmt_readonly(st);
    /* a statement that writes a remdb table needs the write lock: it runs
    ** on a writer, opened for it (one on TEMP objects only stays) */
    if (writes) {
      remdb_finalize(st);
      st = NULL;
      if (open_writer(r)) {
        rc = 1;
        break;
      }
      db = r->rw;
      if (remdb_prepare(db, sql + pos, len - pos, &st, &used) != REMDB_OK) {
        rc = cli_fail("%s", remdb_errmsg(db));
        close_writer(r);
        break;
      }
    }
    pos += used;
    int ncol = remdb_column_count(st);
    grid g = {.ncol = ncol};
    long long rows = 0;
    int res = REMDB_DONE;
    bool oom = false;
    sbuf rowbuf = {0}; /* a json row or a csv blob, reused */
    if (fmt == FMT_TABLE)
      for (int i = 0; i < ncol && !oom; i++) {
        const char *n = remdb_column_name(st, i);
        cell c = {strdup(n), strlen(n)};
        oom = c.s == NULL || !grid_add(&g, c);
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
    while (!oom && (res = remdb_step(st)) == REMDB_ROW) {
      rows++;
      if (fmt == FMT_JSON || fmt == FMT_JSONL) {
        if (fmt == FMT_JSON && any_json) fputc(',', out);
        any_json = true;
        rowbuf.n = 0;
        sb_json_row(&rowbuf, st);
        if (rowbuf.oom) {
          oom = true;
          break;
        }
        fwrite(rowbuf.p, 1, rowbuf.n, out);
        if (fmt == FMT_JSONL) fputc('\n', out);
        continue;
      }
      if (fmt == FMT_CSV) {
        for (int i = 0; i < ncol; i++) {
          size_t n = 0;
          int type = remdb_column_type(st, i);
          const char *t =
              type == REMDB_NULL ? NULL : remdb_column_text(st, i, &n);
          if (i) fputc(',', out);
          if (type == REMDB_BLOB) {
            rowbuf.n = 0;
            sb_base64(&rowbuf, (const unsigned char *)(t ? t : ""), t ? n : 0);
            if (rowbuf.n) fwrite(rowbuf.p, 1, rowbuf.n, out);
          } else if (t)
            cli_csv_field(out, t, n);
        }
        fputc('\n', out);
        continue;
      }
      for (int i = 0; i < ncol && !oom; i++) {
        cell c;
        oom = !cell_text(st, i, &c) || !grid_put(out, &g, c, i);
      }
      if (rows == TABLE_PREFIX_ROWS) grid_flush(out, &g);
    }
    if (oom)
      rc = cli_fail("out of memory");
    else if (res != REMDB_DONE)
      rc = cli_fail("%s", remdb_errmsg(db));
    if (rc == 0 && fmt == FMT_TABLE && ncol > 0) {
      grid_flush(out, &g);
      fprintf(out, "(%lld row%s)\n", rows, rows == 1 ? "" : "s");
    }
    grid_free(&g);
    sb_free(&rowbuf);
    remdb_finalize(st);
    /* (DML on a TEMP table runs on the reader: its rows are reported too) */
    if (rc == 0 && (writes || strcmp(kw, "WITH") != 0)) report_changes(db, kw);
    if (db == r->rw) {
      r->ro_stale = true;
      close_writer(r);
    }
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

/* `remdb sql`: a reader, unless a statement writes (then that statement
** and the rest of the text run on a writer). */
int cmd_sql(cli_t *c) {
  const char *f = cli_opt(c, "--format");
  bool explain = cli_flag(c, "--explain");
  const char *route = cli_opt(c, "--route");
  if (route) setenv("REMDB_SQL_ROUTE", route, 1); /* cli_open reads it */
  const char *threads = cli_opt(c, "--threads");
  if (threads) setenv("REMDB_EXEC_THREADS", threads, 1);
  enum out_format fmt;
  if (!cli_parse_format(f, &fmt))
    return cli_usage("--format must be table, json, jsonl or csv");
  if (!cli_nargs(c, 1)) return EXIT_USAGE;
  if (cli_open(c, false, true)) return 1;
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
  sqlrun_t r = {.c = c, .ro = c->db, .keep_rw = true};
  int rc = cli_run_sql(&r, q, fmt, stdout);
  remdb_close(r.rw);
  free(owned);
  return rc;
}

/*
** slt.c: a sqllogictest runner for remdb.
**
**   slt [options] FILE|DIR...
**
** Runs SQLite's sqllogictest files (https://sqlite.org/sqllogictest, format
** in doc/trunk/about.wiki) through remdb's public SQL API (remdb.h) and
** compares every result with the file's expected values or MD5 hashes.
** Each file gets a fresh database in a scratch directory (mkdtemp),
** removed afterwards.  Records marked `onlyif X` (X not sqlite) or
** `skipif sqlite` are dialect records and are not run.
**
** Translation.  remdb tables are declared by JSON Schema, not SQL DDL, and
** a remdb table seen from SQL has the system columns id, type, created_at,
** modified_at and deleted_at before its properties.  So:
**   - CREATE TABLE t(a INTEGER, b VARCHAR(30), ...) registers a schema
**     named t: INTEGER -> integer, REAL/FLOAT/DOUBLE -> number,
**     TEXT/CHAR/CLOB -> string, no type or BLOB -> any type, other
**     (NUMERIC) -> integer or number; every column nullable (type
**     [T, "null"]) unless NOT NULL (then also required).  PRIMARY KEY and
**     UNIQUE columns are indexed fields, and a single-column PRIMARY KEY
**     is also the schema's key_field, so that REPLACE (an insert of an
**     existing key) replaces the row (--pk=index: indexed only).
**   - then a TEMP VIEW named t over main.t exposing only the schema's
**     columns, in their declared order, so that `SELECT *`, `x IN t` and
**     unqualified names see what SQLite's table would.  SQLite flattens
**     such a view, so the constraints of a query still reach remdb's
**     virtual table (its xBestIndex) as they would on main.t.
**   - CREATE [UNIQUE] INDEX i ON t(c1, c2 DESC, ...) adds c1, c2 to the
**     schema's indexed_fields (a schema replace, which builds the index);
**     DROP INDEX removes the fields no other index needs; REINDEX runs
**     remdb_reindex().  Uniqueness is not enforced (remdb has no unique
**     secondary indexes).
**   - DROP TABLE drops the schema (remdb_schema_drop).
**   - CREATE VIEW becomes CREATE TEMP VIEW (persistent objects are refused
**     by remdb's SQL authorizer; TEMP ones are allowed).
**   - INSERT/REPLACE/UPDATE/DELETE on a table write main.t directly
**     (INSERT without a column list gets the schema's columns).
** A schema change makes remdb open a new SQL connection, which drops TEMP
** objects: the views are declared again before the next statement.
**
** Skipped by design, each counted under its name with the reason:
**   trigger   CREATE/DROP TRIGGER: SQLite cannot create triggers on
**             virtual tables, and every remdb table is one.
**
** Results are formatted as the reference runner does (integers with %d,
** reals with %.3f through sqlite3_snprintf, NULL as "NULL", "" as
** "(empty)", bytes outside ' '..'~' as '@'), sorted (nosort, rowsort,
** valuesort) and compared value by value or by MD5 ("N values hashing to
** H"); results sharing a label must hash alike.  As in the reference
** runner, a query whose step fails ends its rows there (the corpus expects
** what came before the error: `SELECT sum(x)` over an overflow is empty);
** such a pass is noted.
**
** Options:
**   -n N          show at most N failures per file (default 10)
**   -v            print every record as it runs
**   --show N      show N values of a failing result (default 8)
**   --pk=key      a single-column PRIMARY KEY is the key_field (default)
**   --pk=index    PRIMARY KEY columns are only indexed fields
**   --pk=keyonly  a single-column PRIMARY KEY is the key_field, not indexed
**                 (equality on the key must then be served by the key)
**   --known FILE  known failures: lines "PATH:LINE reason" (PATH matches
**                 the end of a file's path); a failure listed there is
**                 reported as known and does not fail the run, unless
**                 SLT_STRICT=1 is set in the environment
**   --quiet       only the per-file lines and failures
**   --engine=sqlite  run the files on plain SQLite (in memory, SQL as
**                 written, triggers too) instead of remdb: a check of the
**                 runner and of the corpus against the linked SQLite
** Exit status: 0 when every record run passed (or failed as known), 1 if
** one failed, 2 on a usage or I/O error.
*/
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "md5.h"
#include "remdb.h"

/* ---- small helpers ------------------------------------------------------ */

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "slt: out of memory\n");
    exit(2);
  }
  return p;
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "slt: out of memory\n");
    exit(2);
  }
  return p;
}

static char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

/* A growing string. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_addf(sbuf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_addn(b, tmp, (size_t)n);
    return;
  }
  char *big = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_addn(b, big, (size_t)n);
  free(big);
}

static void sb_reset(sbuf *b) {
  b->n = 0;
  if (b->p) b->p[0] = 0;
}

/* an SQL identifier, double-quoted */
static void sb_ident(sbuf *b, const char *name) {
  sb_add(b, "\"");
  for (const char *s = name; *s; s++) {
    if (*s == '"') sb_add(b, "\"");
    sb_addn(b, s, 1);
  }
  sb_add(b, "\"");
}

/* ---- a small SQL lexer: enough to find the statement's shape ------------ */

enum tkind { T_EOF, T_ID, T_STR, T_NUM, T_PUNCT };

typedef struct tok {
  enum tkind k;
  const char *p; /* the token's text */
  size_t n;
} tok;

static bool is_idc(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$' || (c & 0x80);
}

/* The token at s[i..n): returns the index after it. */
static size_t lex(const char *s, size_t n, size_t i, tok *t) {
  for (;;) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                     s[i] == '\r' || s[i] == '\f'))
      i++;
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') i++;
      continue;
    }
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
      i += 2;
      while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/')) i++;
      i = i + 2 <= n ? i + 2 : n;
      continue;
    }
    break;
  }
  t->p = s + i;
  if (i >= n) {
    t->k = T_EOF;
    t->n = 0;
    return i;
  }
  size_t st = i;
  char c = s[i];
  if (c == '\'' || c == '"' || c == '`' || c == '[') {
    char close = c == '[' ? ']' : c;
    i++;
    while (i < n) {
      if (s[i] == close) {
        if (close != ']' && i + 1 < n && s[i + 1] == close) {
          i += 2;
          continue;
        }
        i++;
        break;
      }
      i++;
    }
    t->k = c == '\'' ? T_STR : T_ID;
  } else if (c >= '0' && c <= '9') {
    while (i < n && (is_idc(s[i]) || s[i] == '.')) i++;
    t->k = T_NUM;
  } else if (is_idc(c)) {
    while (i < n && is_idc(s[i])) i++;
    t->k = T_ID;
  } else {
    i++;
    t->k = T_PUNCT;
  }
  t->n = i - st;
  return i;
}

static bool kw(const tok *t, const char *w) {
  return t->k == T_ID && strlen(w) == t->n && strncasecmp(t->p, w, t->n) == 0;
}

static bool punct(const tok *t, char c) {
  return t->k == T_PUNCT && t->p[0] == c;
}

/* The identifier's name: quotes removed. */
static char *ident(const tok *t) {
  if (t->n >= 2 && (t->p[0] == '"' || t->p[0] == '`' || t->p[0] == '[')) {
    char close = t->p[0] == '[' ? ']' : t->p[0];
    sbuf b = {0};
    for (size_t i = 1; i + 1 < t->n; i++) {
      sb_addn(&b, t->p + i, 1);
      if (t->p[i] == close && close != ']' && i + 2 < t->n &&
          t->p[i + 1] == close)
        i++;
    }
    return b.p ? b.p : xstrdup("");
  }
  return xstrndup(t->p, t->n);
}

/* Tokens of a whole statement. */
typedef struct toks {
  tok *v;
  size_t n, cap;
} toks;

static void tokenize(const char *s, size_t n, toks *out) {
  out->n = 0;
  size_t i = 0;
  for (;;) {
    if (out->n == out->cap) {
      out->cap = out->cap ? out->cap * 2 : 64;
      out->v = xrealloc(out->v, out->cap * sizeof *out->v);
    }
    i = lex(s, n, i, &out->v[out->n]);
    if (out->v[out->n].k == T_EOF) return; /* v[n] is the EOF token */
    out->n++;
  }
}

/* ---- the database of one file: tables, indexes, views ------------------- */

enum jtype { J_INT, J_NUM, J_STR, J_ANY, J_NUMERIC };

typedef struct column {
  char *name;
  enum jtype jt;
  bool notnull, pk, unique;
} column;

typedef struct table {
  char *name;
  column *cols;
  int ncol;
} table;

typedef struct sindex {
  char *name, *table;
  char **cols;
  int ncol;
} sindex;

typedef struct view {
  char *name;
  char *sql; /* CREATE TEMP VIEW ... */
} view;

enum { PK_INDEX, PK_KEY, PK_KEYONLY };

typedef struct runner {
  remdb *db;
  char dir[512];
  table *tabs;
  int ntabs;
  sindex *idx;
  int nidx;
  view *views;
  int nviews;
  bool views_dirty;
  int pk_mode;
  sbuf err; /* why the last statement failed */
  /* the rows of the last query: ncols values per row */
  char **vals;
  size_t nvals, capvals;
  int ncols;
  bool step_error; /* the query's rows ended with an error */
  sqlite3 *sq;     /* --engine=sqlite: plain SQLite, SQL run untranslated */
} runner;

static table *find_table(runner *r, const char *name) {
  for (int i = 0; i < r->ntabs; i++)
    if (strcasecmp(r->tabs[i].name, name) == 0) return &r->tabs[i];
  return NULL;
}

static int find_view(runner *r, const char *name) {
  for (int i = 0; i < r->nviews; i++)
    if (strcasecmp(r->views[i].name, name) == 0) return i;
  return -1;
}

static int find_index(runner *r, const char *name) {
  for (int i = 0; i < r->nidx; i++)
    if (strcasecmp(r->idx[i].name, name) == 0) return i;
  return -1;
}

static int find_col(const table *t, const char *name) {
  for (int i = 0; i < t->ncol; i++)
    if (strcasecmp(t->cols[i].name, name) == 0) return i;
  return -1;
}

static void table_free(table *t) {
  for (int i = 0; i < t->ncol; i++) free(t->cols[i].name);
  free(t->cols);
  free(t->name);
}

static void index_free(sindex *x) {
  for (int i = 0; i < x->ncol; i++) free(x->cols[i]);
  free(x->cols);
  free(x->name);
  free(x->table);
}

static int fail(runner *r, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  sb_reset(&r->err);
  sb_add(&r->err, tmp);
  return -1;
}

/* The affinity SQLite gives a declared type (datatype3.html, 3.1). */
static enum jtype type_of(const char *decl) {
  char up[256];
  size_t n = 0;
  for (; decl[n] && n + 1 < sizeof up; n++)
    up[n] = (char)(decl[n] >= 'a' && decl[n] <= 'z' ? decl[n] - 32 : decl[n]);
  up[n] = 0;
  if (strstr(up, "INT")) return J_INT;
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
    return J_STR;
  if (n == 0 || strstr(up, "BLOB")) return J_ANY;
  if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
    return J_NUM;
  return J_NUMERIC;
}

static bool col_indexed(runner *r, const table *t, int c) {
  const column *col = &t->cols[c];
  if ((col->pk && r->pk_mode != PK_KEYONLY) || col->unique) return true;
  for (int i = 0; i < r->nidx; i++) {
    if (strcasecmp(r->idx[i].table, t->name) != 0) continue;
    for (int j = 0; j < r->idx[i].ncol; j++)
      if (strcasecmp(r->idx[i].cols[j], col->name) == 0) return true;
  }
  return false;
}

static int npk(const table *t) {
  int n = 0;
  for (int i = 0; i < t->ncol; i++) n += t->cols[i].pk;
  return n;
}

/* The table's schema document. */
static char *schema_json(runner *r, const table *t) {
  json_t *doc = json_object(), *props = json_object(), *req = json_array(),
         *idx = json_array();
  json_object_set_new(doc, "name", json_string(t->name));
  for (int i = 0; i < t->ncol; i++) {
    const column *c = &t->cols[i];
    json_t *p = json_object();
    json_t *types = json_array();
    switch (c->jt) {
      case J_INT: json_array_append_new(types, json_string("integer")); break;
      case J_NUM: json_array_append_new(types, json_string("number")); break;
      case J_STR: json_array_append_new(types, json_string("string")); break;
      case J_NUMERIC:
        json_array_append_new(types, json_string("integer"));
        json_array_append_new(types, json_string("number"));
        break;
      case J_ANY: break;
    }
    if (json_array_size(types) > 0) {
      if (!c->notnull) json_array_append_new(types, json_string("null"));
      json_object_set_new(p, "type", types);
    } else {
      json_decref(types);
    }
    json_object_set_new(props, c->name, p);
    if (c->notnull) json_array_append_new(req, json_string(c->name));
    if (col_indexed(r, t, i))
      json_array_append_new(idx, json_string(c->name));
  }
  json_object_set_new(doc, "properties", props);
  if (json_array_size(req)) json_object_set_new(doc, "required", req);
  else json_decref(req);
  if (json_array_size(idx)) json_object_set_new(doc, "indexed_fields", idx);
  else json_decref(idx);
  if (r->pk_mode != PK_INDEX && npk(t) == 1)
    for (int i = 0; i < t->ncol; i++)
      if (t->cols[i].pk)
        json_object_set_new(doc, "key_field", json_string(t->cols[i].name));
  char *s = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return s;
}

static int put_schema(runner *r, const table *t) {
  char *js = schema_json(r, t);
  int rc = remdb_schema_put(r->db, js, strlen(js));
  r->views_dirty = true; /* even a refused change opens a new connection */
  if (rc) fail(r, "schema %s: %s (schema %s)", t->name, remdb_errmsg(r->db), js);
  free(js);
  return rc ? -1 : 0;
}

/* ---- running SQL through remdb ------------------------------------------ */

static void vals_clear(runner *r) {
  for (size_t i = 0; i < r->nvals; i++) free(r->vals[i]);
  r->nvals = 0;
  r->ncols = 0;
}

static void vals_push(runner *r, char *v) {
  if (r->nvals == r->capvals) {
    r->capvals = r->capvals ? r->capvals * 2 : 256;
    r->vals = xrealloc(r->vals, r->capvals * sizeof *r->vals);
  }
  r->vals[r->nvals++] = v;
}

/* A statement of either engine: remdb's, or plain SQLite's for
** --engine=sqlite (which checks the runner and the corpus themselves). */
typedef struct stmt {
  remdb_stmt *rs;
  sqlite3_stmt *ss;
} stmt;

static bool st_null(stmt *st, int i) {
  return st->rs ? remdb_column_type(st->rs, i) == REMDB_NULL
                : sqlite3_column_type(st->ss, i) == SQLITE_NULL;
}
static int64_t st_int64(stmt *st, int i) {
  return st->rs ? remdb_column_int64(st->rs, i)
                : sqlite3_column_int64(st->ss, i);
}
static double st_double(stmt *st, int i) {
  return st->rs ? remdb_column_double(st->rs, i)
                : sqlite3_column_double(st->ss, i);
}
static const char *st_text(stmt *st, int i, size_t *len) {
  if (st->rs) return remdb_column_text(st->rs, i, len);
  const char *t = (const char *)sqlite3_column_text(st->ss, i);
  *len = t ? (size_t)sqlite3_column_bytes(st->ss, i) : 0;
  return t;
}

/* A value as the reference runner prints it for type letter ty. */
static char *fmt_value(stmt *st, int i, char ty) {
  char buf[64];
  if (st_null(st, i)) return xstrdup("NULL");
  if (ty == 'I') {
    /* sqlite3_column_int(): the 64-bit value cut to an int */
    sqlite3_snprintf(sizeof buf, buf, "%d", (int)st_int64(st, i));
    return xstrdup(buf);
  }
  if (ty == 'R') {
    sqlite3_snprintf(sizeof buf, buf, "%.3f", st_double(st, i));
    return xstrdup(buf);
  }
  size_t len = 0;
  const char *t = st_text(st, i, &len);
  if (t == NULL || len == 0) return xstrdup("(empty)");
  char *v = xstrndup(t, len); /* a NUL inside: the reference stops there */
  for (char *k = v; *k; k++)
    if ((unsigned char)*k < ' ' || (unsigned char)*k > '~') *k = '@';
  return v;
}

static int ensure_views(runner *r);

/* Run SQL text through remdb (or plain SQLite): every statement in it.
** With types (a query record), the rows are collected in r->vals. */
static int run_sql(runner *r, const char *sql, size_t len, const char *types) {
  if (ensure_views(r)) return -1;
  size_t off = 0;
  while (off < len) {
    stmt st = {0};
    size_t used = 0;
    if (r->sq) {
      const char *tail = NULL;
      if (sqlite3_prepare_v2(r->sq, sql + off, (int)(len - off), &st.ss,
                             &tail) != SQLITE_OK)
        return fail(r, "%s", sqlite3_errmsg(r->sq));
      used = tail ? (size_t)(tail - (sql + off)) : len - off;
    } else if (remdb_prepare(r->db, sql + off, len - off, &st.rs, &used)) {
      return fail(r, "%s", remdb_errmsg(r->db));
    }
    off += used ? used : len - off;
    if (st.rs == NULL && st.ss == NULL) continue;
    int ncol = st.rs ? remdb_column_count(st.rs) : sqlite3_column_count(st.ss);
    if (types) {
      int nt = (int)strlen(types);
      if (ncol != nt) {
        remdb_finalize(st.rs);
        sqlite3_finalize(st.ss);
        return fail(r, "the query returns %d columns, the record's type "
                       "string \"%s\" has %d", ncol, types, nt);
      }
      r->ncols = ncol;
    }
    bool done;
    for (;;) {
      bool row;
      if (st.rs) {
        int rc = remdb_step(st.rs);
        row = rc == REMDB_ROW;
        done = rc == REMDB_DONE;
      } else {
        int rc = sqlite3_step(st.ss);
        row = rc == SQLITE_ROW;
        done = rc == SQLITE_DONE;
      }
      if (!row) break;
      if (!types) continue;
      for (int i = 0; i < ncol; i++) vals_push(r, fmt_value(&st, i, types[i]));
    }
    if (!done) {
      fail(r, "%s", st.rs ? remdb_errmsg(r->db) : sqlite3_errmsg(r->sq));
      remdb_finalize(st.rs);
      sqlite3_finalize(st.ss);
      /* the reference runner ends a query's rows at a failed step and
      ** reports nothing: the corpus expects the rows before the error */
      if (types) {
        r->step_error = true;
        return 0;
      }
      return -1;
    }
    remdb_finalize(st.rs);
    sqlite3_finalize(st.ss);
  }
  return 0;
}

static int run_cstr(runner *r, const char *sql) {
  return run_sql(r, sql, strlen(sql), NULL);
}

/* Declare again the TEMP views that a new SQL connection lost: one per
** table (its schema's columns), then the file's own views, in order. */
static int ensure_views(runner *r) {
  if (!r->views_dirty) return 0;
  r->views_dirty = false;
  sbuf b = {0};
  for (int i = 0; i < r->ntabs; i++) {
    table *t = &r->tabs[i];
    sb_reset(&b);
    sb_add(&b, "CREATE TEMP VIEW ");
    sb_ident(&b, t->name);
    sb_add(&b, " AS SELECT ");
    for (int c = 0; c < t->ncol; c++) {
      if (c) sb_add(&b, ", ");
      sb_ident(&b, t->cols[c].name);
    }
    sb_add(&b, " FROM main.");
    sb_ident(&b, t->name);
    if (run_cstr(r, b.p)) {
      r->views_dirty = true;
      free(b.p);
      return -1;
    }
  }
  free(b.p);
  /* a view over a dropped table may fail here, as its use would in SQLite */
  for (int i = 0; i < r->nviews; i++) run_cstr(r, r->views[i].sql);
  return 0;
}

/* ---- DDL ----------------------------------------------------------------- */

/* Skip a balanced parenthesised group starting at v[i] == '('. */
static size_t skip_parens(const toks *tk, size_t i) {
  int depth = 0;
  for (; i < tk->n; i++) {
    if (punct(&tk->v[i], '(')) depth++;
    else if (punct(&tk->v[i], ')') && --depth == 0) return i + 1;
  }
  return i;
}

static bool constraint_kw(const tok *t) {
  static const char *const k[] = {"CONSTRAINT", "PRIMARY", "NOT", "NULL",
                                  "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
                                  "REFERENCES", "GENERATED", "AS", "FOREIGN"};
  for (size_t i = 0; i < sizeof k / sizeof *k; i++)
    if (kw(t, k[i])) return true;
  return false;
}

/* Mark the columns named in "( a, b(10) DESC, ... )" at v[i]. */
static int mark_cols(runner *r, table *t, const toks *tk, size_t i, bool pk) {
  if (i >= tk->n || !punct(&tk->v[i], '('))
    return fail(r, "runner: expected a column list");
  size_t end = skip_parens(tk, i);
  bool want = true;
  for (size_t j = i + 1; j + 1 < end; j++) {
    const tok *x = &tk->v[j];
    if (punct(x, ',')) {
      want = true;
      continue;
    }
    if (punct(x, '(')) {
      j = skip_parens(tk, j) - 1;
      continue;
    }
    if (want && x->k == T_ID) {
      char *name = ident(x);
      int c = find_col(t, name);
      free(name);
      if (c < 0) return fail(r, "no such column in %s", t->name);
      if (pk) t->cols[c].pk = true;
      else t->cols[c].unique = true;
      want = false;
    }
  }
  return 0;
}

static int create_table(runner *r, const toks *tk, size_t i) {
  bool ifnot = false;
  if (i + 2 < tk->n && kw(&tk->v[i], "IF") && kw(&tk->v[i + 1], "NOT") &&
      kw(&tk->v[i + 2], "EXISTS")) {
    ifnot = true;
    i += 3;
  }
  if (i >= tk->n || tk->v[i].k != T_ID) return fail(r, "runner: table name?");
  if (i + 2 < tk->n && punct(&tk->v[i + 1], '.')) i += 2; /* schema. */
  char *name = ident(&tk->v[i++]);
  if (find_table(r, name) || find_view(r, name) >= 0) {
    int rc = ifnot ? 0 : fail(r, "table %s already exists", name);
    free(name);
    return rc;
  }
  if (i >= tk->n || !punct(&tk->v[i], '(')) {
    free(name);
    return fail(r, "runner: CREATE TABLE ... AS SELECT is not translated");
  }
  table t = {.name = name};
  size_t end = skip_parens(tk, i);
  i++;
  while (i + 1 < end) {
    const tok *x = &tk->v[i];
    if (kw(x, "PRIMARY") || kw(x, "UNIQUE") || kw(x, "CONSTRAINT") ||
        kw(x, "CHECK") || kw(x, "FOREIGN")) {
      /* a table constraint */
      if (kw(x, "CONSTRAINT")) i += 2;
      bool pk = kw(&tk->v[i], "PRIMARY");
      bool uq = kw(&tk->v[i], "UNIQUE");
      if (!pk && !uq) {
        table_free(&t);
        return fail(r, "runner: table constraint %.*s is not translated",
                    (int)tk->v[i].n, tk->v[i].p);
      }
      i += pk ? 2 : 1;
      if (mark_cols(r, &t, tk, i, pk)) {
        table_free(&t);
        return -1;
      }
      i = skip_parens(tk, i);
    } else if (x->k == T_ID) {
      t.cols = xrealloc(t.cols, (size_t)(t.ncol + 1) * sizeof *t.cols);
      column *c = &t.cols[t.ncol++];
      memset(c, 0, sizeof *c);
      c->name = ident(x);
      i++;
      sbuf decl = {0};
      while (i + 1 < end && tk->v[i].k == T_ID && !constraint_kw(&tk->v[i])) {
        if (decl.n) sb_add(&decl, " ");
        sb_addn(&decl, tk->v[i].p, tk->v[i].n);
        i++;
      }
      if (i + 1 < end && punct(&tk->v[i], '(')) i = skip_parens(tk, i);
      c->jt = type_of(decl.p ? decl.p : "");
      free(decl.p);
      /* column constraints */
      while (i + 1 < end && !punct(&tk->v[i], ',')) {
        const tok *y = &tk->v[i];
        if (kw(y, "PRIMARY")) {
          c->pk = true;
          i += 2; /* PRIMARY KEY */
        } else if (kw(y, "UNIQUE")) {
          c->unique = true;
          i++;
        } else if (kw(y, "NOT") && i + 1 < end && kw(&tk->v[i + 1], "NULL")) {
          c->notnull = true;
          i += 2;
        } else if (kw(y, "NULL") || kw(y, "ASC") || kw(y, "DESC") ||
                   kw(y, "AUTOINCREMENT")) {
          i++;
        } else {
          int rc = fail(r, "runner: column constraint %.*s is not translated",
                        (int)y->n, y->p);
          table_free(&t);
          return rc;
        }
      }
    }
    if (i + 1 < end && punct(&tk->v[i], ',')) i++;
    else if (i + 1 < end && tk->v[i].k != T_ID) {
      table_free(&t);
      return fail(r, "runner: cannot read the column list");
    }
  }
  if (t.ncol == 0) {
    table_free(&t);
    return fail(r, "runner: no columns");
  }
  if (put_schema(r, &t)) {
    table_free(&t);
    return -1;
  }
  r->tabs = xrealloc(r->tabs, (size_t)(r->ntabs + 1) * sizeof *r->tabs);
  r->tabs[r->ntabs++] = t;
  return 0;
}

static int create_index(runner *r, const toks *tk, size_t i) {
  bool ifnot = false;
  if (i + 2 < tk->n && kw(&tk->v[i], "IF") && kw(&tk->v[i + 1], "NOT") &&
      kw(&tk->v[i + 2], "EXISTS")) {
    ifnot = true;
    i += 3;
  }
  if (i + 3 >= tk->n || tk->v[i].k != T_ID || !kw(&tk->v[i + 1], "ON"))
    return fail(r, "runner: cannot read CREATE INDEX");
  char *name = ident(&tk->v[i]);
  char *tname = ident(&tk->v[i + 2]);
  i += 3;
  table *t = find_table(r, tname);
  int rc = 0;
  if (find_index(r, name) >= 0) {
    rc = ifnot ? 0 : fail(r, "index %s already exists", name);
    goto out;
  }
  if (t == NULL) {
    rc = fail(r, "no such table: %s", tname);
    goto out;
  }
  if (i >= tk->n || !punct(&tk->v[i], '(')) {
    rc = fail(r, "runner: index column list?");
    goto out;
  }
  sindex x = {.name = name, .table = tname};
  size_t end = skip_parens(tk, i);
  bool want = true;
  for (size_t j = i + 1; j + 1 < end; j++) {
    const tok *y = &tk->v[j];
    if (punct(y, ',')) {
      want = true;
    } else if (want && y->k == T_ID) {
      char *cn = ident(y);
      if (find_col(t, cn) < 0) {
        free(cn);
        for (int k = 0; k < x.ncol; k++) free(x.cols[k]);
        free(x.cols);
        rc = fail(r, "no such column in %s", tname);
        goto out;
      }
      x.cols = xrealloc(x.cols, (size_t)(x.ncol + 1) * sizeof *x.cols);
      x.cols[x.ncol++] = cn;
      want = false;
    } else if (want) {
      for (int k = 0; k < x.ncol; k++) free(x.cols[k]);
      free(x.cols);
      rc = fail(r, "runner: expression indexes are not translated");
      goto out;
    } else if (punct(y, '(')) {
      j = skip_parens(tk, j) - 1;
    }
  }
  /* a partial index (WHERE ...) indexes a superset: the same rows answer */
  r->idx = xrealloc(r->idx, (size_t)(r->nidx + 1) * sizeof *r->idx);
  r->idx[r->nidx++] = x;
  if (put_schema(r, t)) {
    r->nidx--;
    index_free(&r->idx[r->nidx]);
    return -1;
  }
  return 0;
out:
  free(name);
  free(tname);
  return rc;
}

static bool if_exists(const toks *tk, size_t *i) {
  if (*i + 1 < tk->n && kw(&tk->v[*i], "IF") && kw(&tk->v[*i + 1], "EXISTS")) {
    *i += 2;
    return true;
  }
  return false;
}

static int drop_index(runner *r, const toks *tk, size_t i) {
  bool ife = if_exists(tk, &i);
  if (i >= tk->n) return fail(r, "runner: index name?");
  char *name = ident(&tk->v[i]);
  int k = find_index(r, name);
  free(name);
  if (k < 0) return ife ? 0 : fail(r, "no such index");
  sindex x = r->idx[k];
  memmove(&r->idx[k], &r->idx[k + 1],
          (size_t)(r->nidx - k - 1) * sizeof *r->idx);
  r->nidx--;
  table *t = find_table(r, x.table);
  int rc = t ? put_schema(r, t) : 0;
  index_free(&x);
  return rc;
}

static int drop_table(runner *r, const toks *tk, size_t i) {
  bool ife = if_exists(tk, &i);
  if (i >= tk->n) return fail(r, "runner: table name?");
  char *name = ident(&tk->v[i]);
  table *t = find_table(r, name);
  if (t == NULL) {
    int rc = find_view(r, name) >= 0
                 ? fail(r, "use DROP VIEW to delete view %s", name)
             : ife ? 0
                   : fail(r, "no such table: %s", name);
    free(name);
    return rc;
  }
  free(name);
  int rc = remdb_schema_drop(r->db, t->name);
  r->views_dirty = true;
  if (rc) return fail(r, "schema drop %s: %s", t->name, remdb_errmsg(r->db));
  for (int k = r->nidx - 1; k >= 0; k--) {
    if (strcasecmp(r->idx[k].table, t->name) != 0) continue;
    index_free(&r->idx[k]);
    memmove(&r->idx[k], &r->idx[k + 1],
            (size_t)(r->nidx - k - 1) * sizeof *r->idx);
    r->nidx--;
  }
  int ti = (int)(t - r->tabs);
  table_free(t);
  memmove(&r->tabs[ti], &r->tabs[ti + 1],
          (size_t)(r->ntabs - ti - 1) * sizeof *r->tabs);
  r->ntabs--;
  return 0;
}

/* CREATE [TEMP] VIEW name ... from v[start] (CREATE) to the end. */
static int create_view(runner *r, const char *sql, size_t len, const toks *tk,
                       size_t iview) {
  size_t i = iview + 1;
  bool ifnot = false;
  if (i + 2 < tk->n && kw(&tk->v[i], "IF") && kw(&tk->v[i + 1], "NOT") &&
      kw(&tk->v[i + 2], "EXISTS")) {
    ifnot = true;
    i += 3;
  }
  if (i >= tk->n) return fail(r, "runner: view name?");
  char *name = ident(&tk->v[i]);
  if (find_view(r, name) >= 0 || find_table(r, name)) {
    int rc = ifnot ? 0 : fail(r, "%s %s already exists",
                              find_table(r, name) ? "table" : "view", name);
    free(name);
    return rc;
  }
  sbuf b = {0};
  sb_add(&b, "CREATE TEMP VIEW ");
  const char *rest = tk->v[iview + 1].p;
  sb_addn(&b, rest, (size_t)(sql + len - rest));
  if (run_sql(r, b.p, b.n, NULL)) {
    free(b.p);
    free(name);
    return -1;
  }
  r->views = xrealloc(r->views, (size_t)(r->nviews + 1) * sizeof *r->views);
  r->views[r->nviews].name = name;
  r->views[r->nviews].sql = b.p;
  r->nviews++;
  return 0;
}

static int drop_view(runner *r, const toks *tk, size_t i) {
  bool ife = if_exists(tk, &i);
  if (i >= tk->n) return fail(r, "runner: view name?");
  char *name = ident(&tk->v[i]);
  int k = find_view(r, name);
  if (k < 0) {
    int rc = find_table(r, name)
                 ? fail(r, "use DROP TABLE to delete table %s", name)
             : ife ? 0
                   : fail(r, "no such view: %s", name);
    free(name);
    return rc;
  }
  sbuf b = {0};
  sb_add(&b, "DROP VIEW IF EXISTS ");
  sb_ident(&b, name);
  free(name);
  int rc = run_cstr(r, b.p);
  free(b.p);
  if (rc) return -1;
  free(r->views[k].name);
  free(r->views[k].sql);
  memmove(&r->views[k], &r->views[k + 1],
          (size_t)(r->nviews - k - 1) * sizeof *r->views);
  r->nviews--;
  return 0;
}

static int reindex(runner *r, const toks *tk, size_t i) {
  int rc;
  if (i >= tk->n) {
    rc = remdb_reindex(r->db, NULL);
  } else {
    char *name = ident(&tk->v[i]);
    int k = find_index(r, name);
    table *t = k >= 0 ? find_table(r, r->idx[k].table) : find_table(r, name);
    free(name);
    if (t == NULL) return fail(r, "unable to identify the object to be reindexed");
    rc = remdb_reindex(r->db, t->name);
  }
  r->views_dirty = true;
  return rc ? fail(r, "reindex: %s", remdb_errmsg(r->db)) : 0;
}

/* INSERT/REPLACE/UPDATE/DELETE: write main.<table>, INSERT with the
** schema's columns when the statement names none. */
static int run_dml(runner *r, const char *sql, size_t len, const toks *tk,
                   size_t iname, bool insert) {
  if (iname >= tk->n || tk->v[iname].k != T_ID)
    return run_sql(r, sql, len, NULL);
  size_t last = iname;
  if (iname + 2 < tk->n && punct(&tk->v[iname + 1], '.')) last = iname + 2;
  char *name = ident(&tk->v[last]);
  table *t = find_table(r, name);
  free(name);
  if (t == NULL) return run_sql(r, sql, len, NULL); /* a view: SQLite says */
  sbuf b = {0};
  sb_addn(&b, sql, (size_t)(tk->v[iname].p - sql));
  sb_add(&b, "main.");
  sb_ident(&b, t->name);
  const tok *nx = &tk->v[last + 1]; /* tokens end with an EOF token */
  if (insert && !punct(nx, '(') && !kw(nx, "DEFAULT") && !kw(nx, "AS")) {
    sb_add(&b, " (");
    for (int c = 0; c < t->ncol; c++) {
      if (c) sb_add(&b, ", ");
      sb_ident(&b, t->cols[c].name);
    }
    sb_add(&b, ")");
  }
  const char *rest = tk->v[last].p + tk->v[last].n;
  sb_addn(&b, rest, (size_t)(sql + len - rest));
  int rc = run_sql(r, b.p, b.n, NULL);
  free(b.p);
  return rc;
}

/* Run one statement of a record.  *skip is set (and nothing run) for what
** is skipped by design. */
static int exec_one(runner *r, const char *sql, size_t len, const char *types,
                    const char **skip) {
  toks tk = {0};
  tokenize(sql, len, &tk);
  int rc;
  size_t i = 0;
  if (tk.n == 0) {
    rc = 0;
  } else if (types || r->sq) {
    rc = run_sql(r, sql, len, types);
  } else if (kw(&tk.v[0], "CREATE")) {
    i = 1;
    bool temp = false;
    if (i < tk.n && (kw(&tk.v[i], "TEMP") || kw(&tk.v[i], "TEMPORARY"))) {
      temp = true;
      i++;
    }
    bool unique = i < tk.n && kw(&tk.v[i], "UNIQUE");
    if (unique) i++;
    if (i < tk.n && kw(&tk.v[i], "TRIGGER")) {
      *skip = "trigger";
      rc = 0;
    } else if (i < tk.n && kw(&tk.v[i], "TABLE") && !temp) {
      rc = create_table(r, &tk, i + 1);
    } else if (i < tk.n && kw(&tk.v[i], "INDEX")) {
      rc = create_index(r, &tk, i + 1);
    } else if (i < tk.n && kw(&tk.v[i], "VIEW")) {
      rc = create_view(r, sql, len, &tk, i);
    } else {
      rc = run_sql(r, sql, len, NULL);
    }
  } else if (kw(&tk.v[0], "DROP") && tk.n > 1) {
    if (kw(&tk.v[1], "TRIGGER")) {
      *skip = "trigger";
      rc = 0;
    } else if (kw(&tk.v[1], "TABLE")) {
      rc = drop_table(r, &tk, 2);
    } else if (kw(&tk.v[1], "INDEX")) {
      rc = drop_index(r, &tk, 2);
    } else if (kw(&tk.v[1], "VIEW")) {
      rc = drop_view(r, &tk, 2);
    } else {
      rc = run_sql(r, sql, len, NULL);
    }
  } else if (kw(&tk.v[0], "REINDEX")) {
    rc = reindex(r, &tk, 1);
  } else if (kw(&tk.v[0], "INSERT") || kw(&tk.v[0], "REPLACE")) {
    i = 1;
    if (kw(&tk.v[0], "INSERT") && i < tk.n && kw(&tk.v[i], "OR")) i += 2;
    if (i < tk.n && kw(&tk.v[i], "INTO")) i++;
    rc = run_dml(r, sql, len, &tk, i, true);
  } else if (kw(&tk.v[0], "UPDATE")) {
    i = 1;
    if (i < tk.n && kw(&tk.v[i], "OR")) i += 2;
    rc = run_dml(r, sql, len, &tk, i, false);
  } else if (kw(&tk.v[0], "DELETE") && tk.n > 1 && kw(&tk.v[1], "FROM")) {
    rc = run_dml(r, sql, len, &tk, 2, false);
  } else {
    rc = run_sql(r, sql, len, NULL);
  }
  free(tk.v);
  return rc;
}

/* Run a record's SQL text: statement by statement (split at top-level
** semicolons), or as one query. */
static int exec_text(runner *r, const char *sql, const char *types,
                     const char **skip) {
  size_t len = strlen(sql);
  vals_clear(r);
  r->step_error = false;
  if (types || r->sq) return run_sql(r, sql, len, types);
  {
    /* a trigger body holds semicolons: look at the head first */
    toks tk = {0};
    tokenize(sql, len, &tk);
    size_t i = 0;
    if (i < tk.n && kw(&tk.v[i], "CREATE")) i++;
    if (i < tk.n && (kw(&tk.v[i], "TEMP") || kw(&tk.v[i], "TEMPORARY"))) i++;
    bool trig = i < tk.n && kw(&tk.v[i], "TRIGGER") && i > 0;
    free(tk.v);
    if (trig) {
      *skip = "trigger";
      return 0;
    }
  }
  size_t start = 0, i = 0;
  tok t;
  for (;;) {
    size_t next = lex(sql, len, i, &t);
    if (t.k == T_EOF || punct(&t, ';')) {
      size_t end = (size_t)(t.p - sql);
      if (exec_one(r, sql + start, end - start, NULL, skip)) return -1;
      if (t.k == T_EOF) return 0;
      start = next;
    }
    i = next;
  }
}

/* ---- results ------------------------------------------------------------ */

static int ncols_for_sort;

static int row_cmp(const void *a, const void *b) {
  char *const *x = a, *const *y = b;
  for (int i = 0; i < ncols_for_sort; i++) {
    int c = strcmp(x[i], y[i]);
    if (c) return c;
  }
  return 0;
}

static int val_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_vals(runner *r, const char *mode) {
  if (r->nvals == 0 || r->ncols == 0) return;
  if (strcmp(mode, "rowsort") == 0) {
    /* rows are ncols consecutive pointers: sort them as blocks */
    size_t nrows = r->nvals / (size_t)r->ncols;
    ncols_for_sort = r->ncols;
    qsort(r->vals, nrows, (size_t)r->ncols * sizeof *r->vals, row_cmp);
  } else if (strcmp(mode, "valuesort") == 0) {
    qsort(r->vals, r->nvals, sizeof *r->vals, val_cmp);
  }
}

static void hash_vals(runner *r, char out[96]) {
  md5_ctx c;
  md5_init(&c);
  for (size_t i = 0; i < r->nvals; i++) {
    md5_update(&c, r->vals[i], strlen(r->vals[i]));
    md5_update(&c, "\n", 1);
  }
  char h[33];
  md5_hex(&c, h);
  snprintf(out, 96, "%zu values hashing to %s", r->nvals, h);
}

static bool is_hash_line(const char *s) {
  const char *p = strstr(s, " values hashing to ");
  if (p == NULL) return false;
  for (const char *q = s; q < p; q++)
    if (*q < '0' || *q > '9') return false;
  return strlen(p + 19) == 32;
}

/* ---- known failures ----------------------------------------------------- */

typedef struct known {
  char *path; /* matched against the end of a file's path */
  int line;
  char *why;
  bool seen;
} known;

static known *knowns;
static size_t nknowns;

static void load_known(const char *file) {
  FILE *f = fopen(file, "r");
  if (f == NULL) {
    fprintf(stderr, "slt: cannot read %s: %s\n", file, strerror(errno));
    exit(2);
  }
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    line[strcspn(line, "\n")] = 0;
    char *sp = strpbrk(line, " \t");
    char *why = sp ? sp + strspn(sp, " \t") : "";
    if (sp) *sp = 0;
    char *colon = strrchr(line, ':');
    if (colon == NULL) continue;
    *colon = 0;
    knowns = xrealloc(knowns, (nknowns + 1) * sizeof *knowns);
    knowns[nknowns].path = xstrdup(line);
    knowns[nknowns].line = atoi(colon + 1);
    knowns[nknowns].why = xstrdup(why);
    knowns[nknowns].seen = false;
    nknowns++;
  }
  fclose(f);
}

static known *find_known(const char *path, int line) {
  size_t pl = strlen(path);
  for (size_t i = 0; i < nknowns; i++) {
    size_t kl = strlen(knowns[i].path);
    if (knowns[i].line == line && kl <= pl &&
        strcmp(path + pl - kl, knowns[i].path) == 0 &&
        (kl == pl || path[pl - kl - 1] == '/'))
      return &knowns[i];
  }
  return NULL;
}

/* ---- one file ------------------------------------------------------------ */

static int opt_maxfail = 10;
static bool opt_verbose, opt_quiet, opt_strict;
static int opt_pk = PK_KEY;
static bool opt_sqlite;

typedef struct counts {
  long records, passed, failed, known, xpass, queries, qpassed, dialect;
  long skipped;
  struct skipcat {
    const char *name;
    long n;
  } skips[8];
  int nskips;
  double secs;
} counts;

static const char *skip_reason(const char *cat) {
  if (strcmp(cat, "trigger") == 0)
    return "triggers cannot be created on virtual tables; every remdb "
           "table is one (refused by SQLite by design)";
  return "";
}

static void count_skip(counts *c, const char *cat) {
  c->skipped++;
  for (int i = 0; i < c->nskips; i++)
    if (strcmp(c->skips[i].name, cat) == 0) {
      c->skips[i].n++;
      return;
    }
  if (c->nskips < 8) c->skips[c->nskips++] = (struct skipcat){cat, 1};
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f) {
  (void)st;
  (void)flag;
  (void)f;
  return remove(p);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print up to 8 values of a list, then "...". */
static size_t opt_show = 8;

static void show_vals(FILE *o, char **v, size_t n) {
  for (size_t i = 0; i < n && i < opt_show; i++)
    fprintf(o, "%s%s", i ? " | " : "", v[i]);
  if (n > opt_show) fprintf(o, " | ... (%zu values)", n);
  if (n == 0) fprintf(o, "(no rows)");
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  sbuf b = {0};
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) sb_addn(&b, tmp, n);
  fclose(f);
  *len = b.n;
  return b.p ? b.p : xstrdup("");
}

static bool starts(const char *s, const char *w) {
  return strncmp(s, w, strlen(w)) == 0;
}

static void rtrim(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\t'))
    s[--n] = 0;
}

static int run_file(const char *path, counts *c) {
  size_t len;
  char *text = read_file(path, &len);
  if (text == NULL) {
    fprintf(stderr, "slt: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  /* lines */
  size_t nl = 0, capl = 1024;
  char **L = xmalloc(capl * sizeof *L);
  for (char *p = text; p < text + len;) {
    char *e = memchr(p, '\n', (size_t)(text + len - p));
    if (e) *e = 0;
    if (nl == capl) L = xrealloc(L, (capl *= 2) * sizeof *L);
    L[nl++] = p;
    rtrim(p);
    if (e == NULL) break;
    p = e + 1;
  }

  runner r = {.pk_mode = opt_pk};
  const char *tmp = getenv("TMPDIR");
  snprintf(r.dir, sizeof r.dir, "%s/remdb-slt-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(r.dir) == NULL) {
    fprintf(stderr, "slt: mkdtemp %s: %s\n", r.dir, strerror(errno));
    free(L);
    free(text);
    return -1;
  }
  remdb_options o;
  remdb_options_init(&o);
  o.sync = REMDB_SYNC_NONE;
  o.cache_bytes = 8u << 20;
  o.write_buffer_bytes = 8u << 20;
  if (opt_sqlite) {
    if (sqlite3_open(":memory:", &r.sq) != SQLITE_OK) {
      fprintf(stderr, "slt: cannot open SQLite\n");
      exit(2);
    }
  } else if (remdb_open(r.dir, "slt", &o, &r.db) != REMDB_OK) {
    fprintf(stderr, "slt: cannot open a database in %s: %s\n", r.dir,
            remdb_errmsg(r.db));
    remdb_close(r.db);
    nftw(r.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(L);
    free(text);
    return -1;
  }

  struct label {
    char *name;
    char hash[96];
  } *labels = NULL;
  size_t nlabels = 0;
  int threshold = 0;
  int shown = 0;
  double t0 = now();
  sbuf sql = {0};
  char **expect = NULL;
  size_t nexpect = 0, capexpect = 0;

  size_t i = 0;
  while (i < nl) {
    char *line = L[i];
    if (line[0] == 0 || line[0] == '#') {
      i++;
      continue;
    }
    bool dialect_skip = false;
    while (i < nl && (starts(L[i], "skipif ") || starts(L[i], "onlyif "))) {
      char db[32] = "";
      sscanf(L[i] + 7, "%31s", db);
      bool sqlite = strcmp(db, "sqlite") == 0;
      if (starts(L[i], "skipif ") ? sqlite : !sqlite) dialect_skip = true;
      i++;
    }
    if (i >= nl) break;
    line = L[i];
    if (starts(line, "halt")) {
      i++;
      if (!dialect_skip) break;
      continue;
    }
    if (starts(line, "hash-threshold")) {
      if (!dialect_skip) threshold = atoi(line + 14);
      i++;
      continue;
    }
    bool is_query = starts(line, "query");
    if (!is_query && !starts(line, "statement")) {
      fprintf(stderr, "%s:%zu: unknown record \"%s\"\n", path, i + 1, line);
      i++;
      continue;
    }
    int recline = (int)i + 1;
    char types[1024] = "", mode[32] = "nosort", label[128] = "";
    bool expect_ok = true;
    if (is_query) {
      sscanf(line + 5, "%1023s %31s %127s", types, mode, label);
    } else {
      char what[32] = "";
      sscanf(line + 9, "%31s", what);
      expect_ok = strcmp(what, "error") != 0;
    }
    i++;
    sb_reset(&sql);
    while (i < nl && L[i][0] != 0 && !(is_query && strcmp(L[i], "----") == 0)) {
      if (sql.n) sb_add(&sql, "\n");
      sb_add(&sql, L[i]);
      i++;
    }
    nexpect = 0;
    bool has_results = false;
    if (is_query && i < nl && strcmp(L[i], "----") == 0) {
      has_results = true;
      i++;
      while (i < nl && L[i][0] != 0) {
        if (nexpect == capexpect)
          expect = xrealloc(expect, (capexpect = capexpect ? capexpect * 2 : 64) *
                                        sizeof *expect);
        expect[nexpect++] = L[i];
        i++;
      }
    }
    if (dialect_skip) {
      c->dialect++;
      continue;
    }
    if (opt_verbose) printf("%s:%d: %s\n", path, recline, sql.p ? sql.p : "");
    const char *skip = NULL;
    int rc = exec_text(&r, sql.p ? sql.p : "", is_query ? types : NULL, &skip);
    if (skip) {
      count_skip(c, skip);
      continue;
    }
    c->records++;
    if (is_query) c->queries++;
    /* decide */
    bool ok;
    sbuf why = {0};
    if (!is_query) {
      ok = (rc == 0) == expect_ok;
      if (!ok)
        sb_addf(&why, expect_ok ? "  expected success, got: %s\n"
                                : "  expected an error, got success%s\n",
                expect_ok ? r.err.p : "");
    } else if (rc != 0) {
      ok = false;
      sb_addf(&why, "  error: %s\n", r.err.p);
    } else {
      sort_vals(&r, mode);
      char got_hash[96];
      hash_vals(&r, got_hash);
      ok = true;
      if (has_results) {
        if (nexpect == 1 && is_hash_line(expect[0])) {
          ok = strcmp(expect[0], got_hash) == 0;
        } else {
          ok = nexpect == r.nvals;
          for (size_t k = 0; ok && k < nexpect; k++)
            ok = strcmp(expect[k], r.vals[k]) == 0;
        }
        if (!ok) {
          char *e = NULL;
          size_t el = 0;
          FILE *m = open_memstream(&e, &el);
          fprintf(m, "  expected: ");
          show_vals(m, expect, nexpect);
          fprintf(m, "\n  got:      ");
          if ((nexpect == 1 && is_hash_line(expect[0])) ||
              (threshold > 0 && r.nvals > (size_t)threshold))
            fprintf(m, "%s\n            ", got_hash);
          show_vals(m, r.vals, r.nvals);
          fprintf(m, "\n");
          fclose(m);
          sb_add(&why, e);
          free(e);
        }
      }
      if (r.step_error) {
        if (!ok)
          sb_addf(&why, "  (the rows ended with an error: %s)\n", r.err.p);
        else if (!opt_quiet)
          printf("note %s:%d: the query failed (%s); as the reference "
                 "runner does, its rows end there, and they match\n",
                 path, recline, r.err.p);
      }
      if (label[0]) {
        size_t k;
        for (k = 0; k < nlabels; k++)
          if (strcmp(labels[k].name, label) == 0) break;
        if (k == nlabels) {
          labels = xrealloc(labels, (nlabels + 1) * sizeof *labels);
          labels[k].name = xstrdup(label);
          snprintf(labels[k].hash, sizeof labels[k].hash, "%s", got_hash);
          nlabels++;
        } else if (strcmp(labels[k].hash, got_hash) != 0) {
          if (ok) sb_addf(&why, "  %s: %s, but an earlier result of the "
                                "label: %s\n", label, got_hash, labels[k].hash);
          ok = false;
        }
      }
    }
    known *kn = find_known(path, recline);
    if (kn) kn->seen = true;
    if (ok) {
      c->passed++;
      if (is_query) c->qpassed++;
      if (kn && !opt_strict) {
        c->xpass++;
        printf("XPASS %s:%d: listed as a known failure (%s) but passes: "
               "remove it from the list\n", path, recline, kn->why);
      }
    } else if (kn && !opt_strict) {
      c->known++;
      if (!opt_quiet)
        printf("known %s:%d: %s\n", path, recline, kn->why);
    } else {
      c->failed++;
      if (shown++ < opt_maxfail) {
        printf("FAIL %s:%d: %s\n  %s\n%s", path, recline,
               is_query ? "query" : "statement", sql.p ? sql.p : "",
               why.p ? why.p : "");
      }
    }
    free(why.p);
  }
  if (shown > opt_maxfail)
    printf("  ... %d more failures in %s\n", shown - opt_maxfail, path);
  c->secs = now() - t0;

  remdb_close(r.db);
  sqlite3_close(r.sq);
  nftw(r.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  for (int k = 0; k < r.ntabs; k++) table_free(&r.tabs[k]);
  free(r.tabs);
  for (int k = 0; k < r.nidx; k++) index_free(&r.idx[k]);
  free(r.idx);
  for (int k = 0; k < r.nviews; k++) {
    free(r.views[k].name);
    free(r.views[k].sql);
  }
  free(r.views);
  vals_clear(&r);
  free(r.vals);
  free(r.err.p);
  for (size_t k = 0; k < nlabels; k++) free(labels[k].name);
  free(labels);
  free(expect);
  free(sql.p);
  free(L);
  free(text);
  return 0;
}

/* ---- files and directories ---------------------------------------------- */

static char **files;
static size_t nfiles;

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *p) {
  struct stat st;
  if (stat(p, &st) != 0) {
    fprintf(stderr, "slt: %s: %s\n", p, strerror(errno));
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    files = xrealloc(files, (nfiles + 1) * sizeof *files);
    files[nfiles++] = xstrdup(p);
    return;
  }
  DIR *d = opendir(p);
  if (d == NULL) {
    fprintf(stderr, "slt: %s: %s\n", p, strerror(errno));
    exit(2);
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    names = xrealloc(names, (n + 1) * sizeof *names);
    size_t l = strlen(p) + strlen(e->d_name) + 2;
    names[n] = xmalloc(l);
    snprintf(names[n], l, "%s/%s", p, e->d_name);
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof *names, str_cmp);
  for (size_t i = 0; i < n; i++) {
    struct stat s2;
    size_t l = strlen(names[i]);
    if (stat(names[i], &s2) == 0 &&
        (S_ISDIR(s2.st_mode) || (l > 5 && strcmp(names[i] + l - 5, ".test") == 0)))
      add_path(names[i]);
    free(names[i]);
  }
  free(names);
}

static void print_counts(const char *what, const counts *c) {
  printf("%s: %ld records: %ld passed, %ld failed", what, c->records, c->passed,
         c->failed);
  if (c->known) printf(", %ld known failures", c->known);
  printf(", %ld skipped", c->skipped);
  for (int i = 0; i < c->nskips; i++)
    printf("%s%s %ld", i ? ", " : " (", c->skips[i].name, c->skips[i].n);
  if (c->nskips) printf(")");
  printf("; queries %ld/%ld; %ld not for sqlite [%.1f s]\n", c->qpassed,
         c->queries, c->dialect, c->secs);
}

int main(int argc, char **argv) {
  const char *known_file = NULL;
  int i;
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) opt_maxfail = atoi(argv[++i]);
    else if (strcmp(argv[i], "-v") == 0) opt_verbose = true;
    else if (strcmp(argv[i], "--show") == 0 && i + 1 < argc)
      opt_show = (size_t)atol(argv[++i]);
    else if (strcmp(argv[i], "--quiet") == 0) opt_quiet = true;
    else if (strcmp(argv[i], "--pk=key") == 0) opt_pk = PK_KEY;
    else if (strcmp(argv[i], "--pk=index") == 0) opt_pk = PK_INDEX;
    else if (strcmp(argv[i], "--pk=keyonly") == 0) opt_pk = PK_KEYONLY;
    else if (strcmp(argv[i], "--engine=sqlite") == 0) opt_sqlite = true;
    else if (strcmp(argv[i], "--engine=remdb") == 0) opt_sqlite = false;
    else if (strcmp(argv[i], "--known") == 0 && i + 1 < argc) known_file = argv[++i];
    else {
      fprintf(stderr, "usage: slt [-n N] [-v] [--show N] [--quiet] [--pk=key|index|keyonly] "
                      "[--engine=remdb|sqlite] "
                      "[--known FILE] FILE|DIR...\n");
      return 2;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: slt [options] FILE|DIR...\n");
    return 2;
  }
  const char *s = getenv("SLT_STRICT");
  opt_strict = s && *s && strcmp(s, "0") != 0;
  if (known_file) load_known(known_file);
  for (; i < argc; i++) add_path(argv[i]);

  counts total = {0};
  int io_errors = 0;
  double t0 = now();
  for (size_t f = 0; f < nfiles; f++) {
    counts c = {0};
    if (run_file(files[f], &c)) {
      io_errors++;
      continue;
    }
    print_counts(files[f], &c);
    fflush(stdout);
    total.records += c.records;
    total.passed += c.passed;
    total.failed += c.failed;
    total.known += c.known;
    total.xpass += c.xpass;
    total.queries += c.queries;
    total.qpassed += c.qpassed;
    total.dialect += c.dialect;
    for (int k = 0; k < c.nskips; k++)
      for (long n = 0; n < c.skips[k].n; n++) count_skip(&total, c.skips[k].name);
  }
  total.secs = now() - t0;
  char what[64];
  snprintf(what, sizeof what, "sqllogictest, %zu files", nfiles);
  print_counts(what, &total);
  for (int k = 0; k < total.nskips; k++)
    printf("  skipped %s (%ld): %s\n", total.skips[k].name, total.skips[k].n,
           skip_reason(total.skips[k].name));
  /* a known failure in a file that ran but at no record: a stale line */
  for (size_t k = 0; k < nknowns; k++) {
    if (knowns[k].seen) continue;
    for (size_t f = 0; f < nfiles; f++) {
      size_t pl = strlen(files[f]), kl = strlen(knowns[k].path);
      if (kl <= pl && strcmp(files[f] + pl - kl, knowns[k].path) == 0) {
        printf("note: known failure %s:%d names no record that ran\n",
               knowns[k].path, knowns[k].line);
        break;
      }
    }
  }
  for (size_t k = 0; k < nfiles; k++) free(files[k]);
  free(files);
  for (size_t k = 0; k < nknowns; k++) {
    free(knowns[k].path);
    free(knowns[k].why);
  }
  free(knowns);
  if (io_errors) return 2;
  return total.failed ? 1 : 0;
}

/*
** colx.c: the SQL side of the columnar route (issue 11).  A SELECT that
** the executor (exec/) recognises is prepared as a rewrite that reads the
** executor's result from the table-valued function remdb_colx(plan id,
** constants...), and SQLite applies HAVING, ORDER BY, LIMIT and the
** result expressions to it.  The result columns keep the names SQLite
** gives the original statement (it is prepared first, and its names are
** the rewrite's aliases).
**
** remdb_colx has, per result slot i, the same value under four columns of
** different declared types (__ct<i> TEXT, __ci<i> INTEGER, __cr<i> REAL,
** __cn<i> none): the rewrite reads a grouped column through the one of
** its own affinity, so that a comparison in HAVING converts as it would
** on the original, and an aggregate or a date bucket through the one with
** none.
**
** The route: remdb_options.sql_route (REMDB_ROUTE_AUTO: columnar when the
** statement is served and no index serves its WHERE; REMDB_ROUTE_COLUMNAR:
** whenever served; REMDB_ROUTE_SQLITE: never; REMDB_ROUTE_ROWS: as
** COLUMNAR, through the row source even where columns exist).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exec/exec.h"
#include "sql.h"

#define NSLOT X_MAX_SLOTS
#define NARG X_MAX_ARGS

struct colx_reg {
  uint64_t id;
  xplan *plan;
};

static struct colx_reg *find_reg(sql_sess *s, uint64_t id) {
  struct colx_reg *r = s->colx;
  for (size_t i = 0; i < s->ncolx; i++)
    if (r[i].id == id) return &r[i];
  return NULL;
}

void colx_release(sql_sess *s, uint64_t id) {
  struct colx_reg *r = s ? find_reg(s, id) : NULL;
  if (r == NULL) return;
  exec_plan_free(r->plan);
  *r = ((struct colx_reg *)s->colx)[--s->ncolx];
}

void colx_free_all(sql_sess *s) {
  struct colx_reg *r = s->colx;
  for (size_t i = 0; i < s->ncolx; i++) exec_plan_free(r[i].plan);
  free(s->colx);
  s->colx = NULL;
  s->ncolx = s->capcolx = 0;
}

int colx_mode(sql_sess *s) {
  int m = s->db->st->opts.sql_route;
  return m >= REMDB_ROUTE_AUTO && m <= REMDB_ROUTE_ROWS ? m : REMDB_ROUTE_AUTO;
}

/* ---- the module --------------------------------------------------------- */

typedef struct xvtab {
  sqlite3_vtab base;
  sql_sess *sess;
} xvtab;

typedef struct xcursor {
  sqlite3_vtab_cursor base;
  xresult *res;
  uint64_t row, end; /* rows [row, end) are the cursor's */
  /* the run the result is of: the plan, the snapshot and the arguments
  ** (a join's inner loop filters again per outer row: the executor runs
  ** once per statement run) */
  uint64_t plan;
  const snap_t *snap;
  sqlite3_value **args;
  int nargs;
} xcursor;

static void drop_args(xcursor *c) {
  for (int i = 0; i < c->nargs; i++) sqlite3_value_free(c->args[i]);
  free(c->args);
  c->args = NULL;
  c->nargs = 0;
}

static bool same_value(sqlite3_value *a, sqlite3_value *b) {
  int t = sqlite3_value_type(a);
  if (t != sqlite3_value_type(b)) return false;
  switch (t) {
    case SQLITE_NULL: return true;
    case SQLITE_INTEGER: return sqlite3_value_int64(a) == sqlite3_value_int64(b);
    case SQLITE_FLOAT: {
      double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
      return memcmp(&x, &y, sizeof x) == 0;
    }
    default: {
      const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(a)
                                       : sqlite3_value_blob(a);
      const void *q = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(b)
                                       : sqlite3_value_blob(b);
      int n = sqlite3_value_bytes(a);
      return n == sqlite3_value_bytes(b) && (n == 0 || memcmp(p, q, (size_t)n) == 0);
    }
  }
}

static int x_connect(sqlite3 *conn, void *aux, int argc,
                     const char *const *argv, sqlite3_vtab **out,
                     char **err) {
  (void)argc;
  (void)argv;
  (void)err;
  buf_t d;
  buf_init(&d);
  buf_adds(&d, "CREATE TABLE x(");
  for (int i = 0; i < NSLOT; i++)
    buf_addf(&d, "__ct%d TEXT, __ci%d INTEGER, __cr%d REAL, __cn%d, ", i, i,
             i, i);
  buf_adds(&d, "plan HIDDEN");
  for (int i = 0; i < NARG; i++) buf_addf(&d, ", a%d HIDDEN", i);
  buf_adds(&d, ")");
  buf_addc(&d, 0);
  if (d.oom) {
    buf_free(&d);
    return SQLITE_NOMEM;
  }
  int rc = sqlite3_declare_vtab(conn, d.p);
  buf_free(&d);
  if (rc != SQLITE_OK) return rc;
  xvtab *t = calloc(1, sizeof *t);
  if (t == NULL) return SQLITE_NOMEM;
  t->sess = aux;
  sqlite3_vtab_config(conn, SQLITE_VTAB_DIRECTONLY);
  *out = &t->base;
  return SQLITE_OK;
}

static int x_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v->zErrMsg);
  free(v);
  return SQLITE_OK;
}

/* Every argument is an equality on its hidden column, in order. */
static int x_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  int pos[NARG + 1];
  for (int k = 0; k <= NARG; k++) pos[k] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int k = c->iColumn - NSLOT * 4;
    if (k < 0 || k > NARG || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c->usable) return SQLITE_CONSTRAINT;
    pos[k] = i;
  }
  if (pos[0] < 0) {
    sqlite3_free(v->zErrMsg);
    v->zErrMsg = sqlite3_mprintf("remdb_colx() is internal to the columnar "
                                 "route");
    return SQLITE_ERROR;
  }
  int argv = 1, n = 0;
  for (int k = 0; k <= NARG; k++) {
    if (pos[k] < 0) break;
    info->aConstraintUsage[pos[k]].argvIndex = argv++;
    info->aConstraintUsage[pos[k]].omit = 1;
    n++;
  }
  info->idxNum = n;
  /* as a join's inner loop, the lookup is far cheaper than a scan of
  ** the other table by its key per group */
  info->estimatedCost = 100000;
  info->estimatedRows = 100000;
  /* the first key equal to a value (a join's ON): a lookup in the
  ** result; SQLite checks the equality again (omit 0) */
  sqlite3_value *pv = NULL;
  struct colx_reg *reg = NULL;
  if (sqlite3_vtab_rhs_value(info, pos[0], &pv) == SQLITE_OK && pv)
    reg = find_reg(((xvtab *)v)->sess, (uint64_t)sqlite3_value_int64(pv));
  for (int i = 0; reg && exec_plan_lookup(reg->plan) && i < info->nConstraint;
       i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->usable && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn >= 0 &&
        c->iColumn < 4) {
      info->aConstraintUsage[i].argvIndex = argv++;
      info->idxNum = n | 0x10000;
      info->estimatedCost = 1;
      info->estimatedRows = 1;
      break;
    }
  }
  return SQLITE_OK;
}

static int x_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  (void)v;
  xcursor *c = calloc(1, sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

static int x_close(sqlite3_vtab_cursor *cur) {
  xcursor *c = (xcursor *)cur;
  exec_result_free(c->res);
  drop_args(c);
  free(c);
  return SQLITE_OK;
}

/* The cursor's rows: all, or those whose first key equals key. */
static int position(xcursor *c, sqlite3_value *key) {
  if (key == NULL) {
    c->row = 0;
    c->end = exec_result_rows(c->res);
    return SQLITE_OK;
  }
  int64_t r = exec_result_lookup(c->res, key);
  if (r == -2) return SQLITE_NOMEM;
  c->row = r < 0 ? 0 : (uint64_t)r;
  c->end = r < 0 ? 0 : (uint64_t)r + 1;
  return SQLITE_OK;
}

static int x_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                    int argc, sqlite3_value **argv) {
  xcursor *c = (xcursor *)cur;
  xvtab *t = (xvtab *)cur->pVtab;
  sql_sess *s = t->sess;
  (void)idxStr;
  sqlite3_value *key = NULL;
  if (idxNum & 0x10000) key = argv[--argc];
  /* the same run again (a join's inner loop): the same result */
  bool same = c->res && argc > 0 && c->snap == s->snap &&
              c->plan == (uint64_t)sqlite3_value_int64(argv[0]) &&
              c->nargs == argc - 1;
  for (int i = 0; same && i < c->nargs; i++)
    same = same_value(c->args[i], argv[i + 1]);
  if (same) return position(c, key);
  exec_result_free(c->res);
  c->res = NULL;
  c->row = c->end = 0;
  drop_args(c);
  struct colx_reg *r =
      argc > 0 ? find_reg(s, (uint64_t)sqlite3_value_int64(argv[0])) : NULL;
  sqlite3_free(t->base.zErrMsg);
  t->base.zErrMsg = NULL;
  if (r == NULL) {
    t->base.zErrMsg = sqlite3_mprintf("remdb_colx(): no such plan");
    return SQLITE_ERROR;
  }
  if (s->snap == NULL || !snap_current(s->db, s->snap)) {
    s->stale = true;
    t->base.zErrMsg = sqlite3_mprintf(
        "the schema changed during the statement: run it again");
    return SQLITE_ERROR;
  }
  char msg[256], desc[256];
  uint64_t examined = 0;
  int mode = colx_mode(s);
  /* the statement's budget of steps: the run spends it as the VM does */
  xbudget bg = {s->db->st->opts.max_sql_steps, s->steps ? *s->steps : 0};
  int rc = exec_run(r->plan, s->db, s->snap,
                    mode == REMDB_ROUTE_ROWS ? XSRC_ROWS : XSRC_AUTO,
                    argv + 1, argc - 1, &c->res, msg, sizeof msg, desc,
                    sizeof desc, &examined, &bg);
  if (s->steps) *s->steps = bg.used;
  if (rc == REMDB_TOOBIG) { /* reported as the VM's own (stmt.c) */
    s->over_budget = true;
    t->base.zErrMsg = sqlite3_mprintf("%s", msg);
    return SQLITE_INTERRUPT;
  }
  if (rc == REMDB_NOTFOUND) { /* not exactly: SQLite runs the original */
    s->colx_fallback = true;
    snprintf(s->colx_why, sizeof s->colx_why, "%s", msg);
    t->base.zErrMsg = sqlite3_mprintf("columnar route: %s", msg);
    return SQLITE_ERROR;
  }
  if (rc) {
    t->base.zErrMsg = sqlite3_mprintf("%s", msg[0] ? msg : "columnar route "
                                                           "failed");
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  if (s->explain)
    sql_route_note(s, exec_plan_table(r->plan), desc, desc, examined,
                   exec_result_rows(c->res));
  c->plan = r->id;
  c->snap = s->snap;
  c->args = calloc((size_t)argc + 1, sizeof *c->args);
  if (c->args == NULL) return SQLITE_NOMEM;
  for (int i = 1; i < argc; i++) {
    if ((c->args[i - 1] = sqlite3_value_dup(argv[i])) == NULL) {
      c->nargs = i - 1;
      return SQLITE_NOMEM;
    }
    c->nargs = i;
  }
  return position(c, key);
}

static int x_next(sqlite3_vtab_cursor *cur) {
  ((xcursor *)cur)->row++;
  return SQLITE_OK;
}

static int x_eof(sqlite3_vtab_cursor *cur) {
  xcursor *c = (xcursor *)cur;
  return c->row >= c->end;
}

static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  xcursor *c = (xcursor *)cur;
  if (i >= NSLOT * 4) { /* the arguments, should SQLite check them again */
    int k = i - NSLOT * 4;
    if (k == 0) sqlite3_result_int64(ctx, (sqlite3_int64)c->plan);
    else if (k - 1 < c->nargs) sqlite3_result_value(ctx, c->args[k - 1]);
    return SQLITE_OK;
  }
  xval v;
  exec_result_get(c->res, c->row, i / 4, &v);
  switch (v.type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, v.i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, v.f); break;
    case SQLITE_TEXT:
      sqlite3_result_text(ctx, v.s, (int)v.n, SQLITE_TRANSIENT);
      break;
    default: break;
  }
  return SQLITE_OK;
}

static int x_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((xcursor *)cur)->row;
  return SQLITE_OK;
}

static const sqlite3_module colx_module = {
    .iVersion = 0,
    .xConnect = x_connect, /* eponymous only */
    .xBestIndex = x_best_index,
    .xDisconnect = x_disconnect,
    .xOpen = x_open,
    .xClose = x_close,
    .xFilter = x_filter,
    .xNext = x_next,
    .xEof = x_eof,
    .xColumn = x_column,
    .xRowid = x_rowid,
};

int colx_register(sqlite3 *conn, sql_sess *s) {
  return sqlite3_create_module_v2(conn, "remdb_colx", &colx_module, s, NULL);
}

/* ---- routing ------------------------------------------------------------ */

/* Does a TEMP table or view of the connection take name (or its _all
** twin) in SQL?  SQLite resolves a name to the temp schema first, so the
** statement reads that object, not the remdb table the rewrite would. */
static bool temp_shadows(sql_sess *s, const char *name) {
  if (name == NULL) return false;
  sqlite3_stmt *q = NULL;
  bool found = true; /* unsure: leave the statement to SQLite */
  if (sqlite3_prepare_v2(s->conn,
                         "SELECT 1 FROM temp.sqlite_master WHERE type IN "
                         "('table', 'view') AND (lower(name) = lower(?1) "
                         "OR lower(name) = lower(?1) || '_all')",
                         -1, &q, NULL) == SQLITE_OK &&
      sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC) == SQLITE_OK) {
    int rc = sqlite3_step(q);
    found = rc != SQLITE_DONE;
  }
  sqlite3_finalize(q);
  return found;
}

int colx_route(sql_sess *s, const char *sql, size_t len, sqlite3_stmt **st,
               uint64_t *id, char *why, size_t whylen) {
  *id = 0;
  if (whylen) why[0] = 0;
  int mode = colx_mode(s);
  xparse x;
  if (!exec_parse(s->db, sql, len, &x, why, whylen)) return 0;
  if (temp_shadows(s, x.table) || temp_shadows(s, x.stable)) {
    snprintf(why, whylen, "a TEMP table or view takes the table's name");
    exec_parse_free(&x);
    return 0;
  }
  if (mode == REMDB_ROUTE_SQLITE) {
    snprintf(why, whylen, "the route is set to sqlite (sql_route)");
    exec_parse_free(&x);
    return 0;
  }
  if (mode == REMDB_ROUTE_AUTO && exec_plan_indexable(x.plan, s->db)) {
    snprintf(why, whylen, "an index serves the WHERE clause or the join");
    exec_parse_free(&x);
    return 0;
  }
  int ncol = sqlite3_column_count(*st);
  if (ncol != x.nitems) {
    snprintf(why, whylen, "the result columns were not understood");
    exec_parse_free(&x);
    return 0;
  }
  uint64_t nid = ++s->colx_next;
  buf_t q;
  buf_init(&q);
  buf_adds(&q, x.distinct ? "SELECT DISTINCT" : "SELECT");
  for (int i = 0; i < ncol; i++) {
    const char *name = sqlite3_column_name(*st, i);
    buf_addf(&q, "%s%s AS \"", i ? "," : "", x.items[i]);
    for (const char *p = name ? name : ""; *p; p++) {
      if (*p == '"') buf_addc(&q, '"');
      buf_addc(&q, *p);
    }
    buf_addc(&q, '"');
  }
  buf_addf(&q, " FROM%s remdb_colx(%llu%s)%s%s", x.from_pre ? x.from_pre : "",
           (unsigned long long)nid, x.args, x.from_post ? x.from_post : "",
           x.tail);
  buf_addc(&q, 0);
  if (q.oom) {
    buf_free(&q);
    exec_parse_free(&x);
    return 0;
  }
  /* registered first: xBestIndex reads the plan (may it look keys up?) */
  if (s->ncolx == s->capcolx) {
    size_t cap = s->capcolx ? s->capcolx * 2 : 8;
    struct colx_reg *n = realloc(s->colx, cap * sizeof *n);
    if (n == NULL) {
      buf_free(&q);
      exec_parse_free(&x);
      return 0;
    }
    s->colx = n;
    s->capcolx = cap;
  }
  struct colx_reg *r = s->colx;
  r[s->ncolx++] = (struct colx_reg){nid, x.plan};
  x.plan = NULL;
  exec_parse_free(&x);
  sqlite3_stmt *nst = NULL;
  int rc = sqlite3_prepare_v2(s->conn, q.p, (int)q.len - 1, &nst, NULL);
  buf_free(&q);
  bool ok = rc == SQLITE_OK && nst != NULL &&
            sqlite3_bind_parameter_count(nst) ==
                sqlite3_bind_parameter_count(*st);
  if (!ok)
    snprintf(why, whylen, "the rewrite did not prepare: %s",
             rc == SQLITE_OK ? "parameters differ" : sqlite3_errmsg(s->conn));
  /* the same parameter names in the same places */
  for (int i = 1; ok && i <= sqlite3_bind_parameter_count(nst); i++) {
    const char *a = sqlite3_bind_parameter_name(nst, i),
               *b = sqlite3_bind_parameter_name(*st, i);
    /* an anonymous "?" may be written "?N" in the rewrite */
    ok = (a == NULL || a[0] == '?') && (b == NULL || b[0] == '?')
             ? true
             : a && b && strcmp(a, b) == 0;
    if (!ok) snprintf(why, whylen, "the rewrite's parameters differ");
  }
  if (!ok) {
    sqlite3_finalize(nst);
    colx_release(s, nid);
    return 0;
  }
  sqlite3_finalize(*st);
  *st = nst;
  *id = nid;
  return 1;
}

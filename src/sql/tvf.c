/*
** tvf.c: table-valued functions, so key lookups, graph traversals and
** searches join with tables:
**
**   SELECT * FROM lookup('TAP-1234') l JOIN issues i ON i.id = l.id;
**   lookup(key, fuzzy = 0):
**     key, match, distance, id, type, entity (JSON)
**
** One module serves every function: each is a spec (sql_fn, sql.h) whose
** run() makes a JSON array of rows under the running statement's
** snapshot.  lookup() is built in (it calls core); traverse() (graph/) and
** search() (search/) are registered by their layers, above this one, when
** the library is wired.  The REM statements TRAVERSE, LOOKUP and SEARCH
** are rewritten into queries of these tables (dialect.c).
*/
#include <stdlib.h>
#include <string.h>

#include "sql.h"

typedef struct tvtab {
  sqlite3_vtab base;
  sql_sess *sess;
  const sql_fn *spec;
} tvtab;

typedef struct tcursor {
  sqlite3_vtab_cursor base;
  json_t *rows;
  size_t i;
} tcursor;

/* ---- lookup(): over core, so registered here ---------------------------- */

static int run_lookup(sql_sess *s, sqlite3_value **a, json_t **rows,
                      char **err) {
  remdb *db = s->db;
  const char *key = (const char *)sqlite3_value_text(a[0]);
  if (key == NULL) return SQLITE_OK;
  int flags = a[1] && sqlite3_value_int(a[1]) ? REMDB_FUZZY : 0;
  char *json = NULL;
  int rc = lookup_run(db, s->snap, &key, 1, flags, &json);
  if (rc != REMDB_OK) {
    *err = sqlite3_mprintf("lookup(): %s", remdb_errmsg(db));
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *rows = json_loads(json, 0, NULL);
  remdb_free(json);
  return *rows ? SQLITE_OK : SQLITE_NOMEM;
}

static const char *const lookup_paths[] = {"key",       "match",
                                           "distance",  "entity.id",
                                           "entity.type", "entity"};
static const sql_fn lookup_fn = {
    "lookup",
    "CREATE TABLE x(key TEXT, match TEXT, distance INTEGER, id TEXT, type "
    "TEXT, entity TEXT, k HIDDEN, fuzzy HIDDEN)",
    6, 2, lookup_paths, run_lookup};

/* ---- the registry ------------------------------------------------------- */

#define MAX_FNS 8
static const sql_fn *fns[MAX_FNS] = {&lookup_fn};
static int nfns = 1;

int sql_fn_register(const sql_fn *f) {
  for (int i = 0; i < nfns; i++)
    if (strcmp(fns[i]->name, f->name) == 0) {
      fns[i] = f;
      return REMDB_OK;
    }
  if (nfns == MAX_FNS) return REMDB_ERROR;
  fns[nfns++] = f;
  return REMDB_OK;
}

static const sql_fn *fn_named(const char *name) {
  for (int i = 0; i < nfns; i++)
    if (strcmp(fns[i]->name, name) == 0) return fns[i];
  return NULL;
}

/* ---- the module ------------------------------------------------------ */

static int t_connect(sqlite3 *conn, void *aux, int argc,
                     const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)argc;
  (void)err;
  const sql_fn *spec = fn_named(argv[0]);
  if (spec == NULL) return SQLITE_ERROR;
  int rc = sqlite3_declare_vtab(conn, spec->decl);
  if (rc != SQLITE_OK) return rc;
  tvtab *t = calloc(1, sizeof *t);
  if (t == NULL) return SQLITE_NOMEM;
  t->sess = aux;
  t->spec = spec;
  sqlite3_vtab_config(conn, SQLITE_VTAB_DIRECTONLY);
  *out = &t->base;
  return SQLITE_OK;
}

static int t_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v->zErrMsg);
  free(v);
  return SQLITE_OK;
}

/* idxNum: one bit per argument given; they arrive in argument order. */
static int t_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  const sql_fn *spec = ((tvtab *)v)->spec;
  int pos[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int k = c->iColumn - spec->nvisible;
    if (k < 0 || k >= spec->nargs || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
      continue;
    if (!c->usable) return SQLITE_CONSTRAINT; /* wait for a plan with it */
    pos[k] = i;
  }
  if (pos[0] < 0) {
    sqlite3_free(v->zErrMsg);
    v->zErrMsg = sqlite3_mprintf("%s() needs its first argument",
                                 spec->name);
    return SQLITE_ERROR;
  }
  int argv = 1, mask = 0;
  for (int k = 0; k < spec->nargs; k++) {
    if (pos[k] < 0) continue;
    info->aConstraintUsage[pos[k]].argvIndex = argv++;
    info->aConstraintUsage[pos[k]].omit = 1;
    mask |= 1 << k;
  }
  info->idxNum = mask;
  info->estimatedCost = 1000;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int t_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  (void)v;
  tcursor *c = calloc(1, sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

static int t_close(sqlite3_vtab_cursor *cur) {
  tcursor *c = (tcursor *)cur;
  json_decref(c->rows);
  free(c);
  return SQLITE_OK;
}

static int t_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                    int argc, sqlite3_value **argv) {
  tcursor *c = (tcursor *)cur;
  tvtab *t = (tvtab *)cur->pVtab;
  (void)idxStr;
  (void)argc;
  json_decref(c->rows);
  c->rows = NULL;
  c->i = 0;
  sqlite3_value *args[8] = {0};
  int ai = 0;
  for (int k = 0; k < t->spec->nargs; k++)
    if (idxNum & (1 << k)) args[k] = argv[ai++];
  /* the functions read their text arguments as C strings: a NUL byte
  ** would cut one short (a query, filter or name read in part) */
  for (int k = 0; k < t->spec->nargs; k++) {
    int ty = args[k] ? sqlite3_value_type(args[k]) : SQLITE_NULL;
    if (ty != SQLITE_TEXT && ty != SQLITE_BLOB) continue;
    const unsigned char *p = sqlite3_value_text(args[k]);
    int n = sqlite3_value_bytes(args[k]);
    if (p && n > 0 && memchr(p, 0, (size_t)n)) {
      sqlite3_free(t->base.zErrMsg);
      t->base.zErrMsg = sqlite3_mprintf(
          "%s(): argument %d contains a NUL byte", t->spec->name, k + 1);
      return SQLITE_ERROR;
    }
  }
  char *err = NULL;
  /* the function reads the statement's snapshot, whose catalog the
  ** handle must still have (else the statement is prepared again) */
  if (!snap_current(t->sess->db, t->sess->snap)) {
    t->sess->stale = true;
    sqlite3_free(t->base.zErrMsg);
    t->base.zErrMsg = sqlite3_mprintf(
        "the schema changed during the statement: run it again");
    return SQLITE_ERROR;
  }
  int rc = t->spec->run(t->sess, args, &c->rows, &err);
  if (err) {
    sqlite3_free(t->base.zErrMsg);
    t->base.zErrMsg = err;
  }
  return rc;
}

static int t_next(sqlite3_vtab_cursor *cur) {
  ((tcursor *)cur)->i++;
  return SQLITE_OK;
}

static int t_eof(sqlite3_vtab_cursor *cur) {
  tcursor *c = (tcursor *)cur;
  return c->i >= json_array_size(c->rows);
}

static int t_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  tcursor *c = (tcursor *)cur;
  const sql_fn *spec = ((tvtab *)cur->pVtab)->spec;
  if (i >= spec->nvisible) return SQLITE_OK; /* arguments read as NULL */
  json_t *v = json_array_get(c->rows, c->i);
  const char *p = spec->paths[i], *dot = strchr(p, '.');
  if (dot) {
    char head[32];
    snprintf(head, sizeof head, "%.*s", (int)(dot - p), p);
    v = json_object_get(v, head);
    p = dot + 1;
  }
  v = json_object_get(v, p);
  if (v == NULL || json_is_null(v)) return SQLITE_OK;
  if (json_is_integer(v)) {
    sqlite3_result_int64(ctx, json_integer_value(v));
  } else if (json_is_real(v)) {
    sqlite3_result_double(ctx, json_real_value(v));
  } else if (json_is_string(v)) {
    sqlite3_result_text(ctx, json_string_value(v), (int)json_string_length(v),
                        SQLITE_TRANSIENT);
  } else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == NULL) return SQLITE_NOMEM;
    sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
    free(s);
  }
  return SQLITE_OK;
}

static int t_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((tcursor *)cur)->i;
  return SQLITE_OK;
}

static const sqlite3_module tvf_module = {
    .iVersion = 0,
    .xConnect = t_connect, /* eponymous only: no xCreate */
    .xBestIndex = t_best_index,
    .xDisconnect = t_disconnect,
    .xOpen = t_open,
    .xClose = t_close,
    .xFilter = t_filter,
    .xNext = t_next,
    .xEof = t_eof,
    .xColumn = t_column,
    .xRowid = t_rowid,
};

int sql_register_tvfs(sqlite3 *conn, sql_sess *s) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < nfns; i++)
    rc = sqlite3_create_module_v2(conn, fns[i]->name, &tvf_module, s, NULL);
  return rc;
}

/*
** tvf.c: table-valued functions, so graph traversals and key lookups join
** with tables:
**
**   SELECT t.depth, i.title FROM traverse('<id>', 2, 'in', 'authored') t
**   JOIN issues i ON i.id = t.id;
**   SELECT * FROM lookup('TAP-1234') l JOIN issues i ON i.id = l.id;
**
**   traverse(start, depth = 1, direction = 'out', type = any):
**     id, depth, type (the entity's table), entity (JSON), path (JSON)
**   lookup(key, fuzzy = 0):
**     key, match, distance, id, type, entity (JSON)
**   search(table, query, k = 10, filter = NULL, min_score = none):
**     id, _score, type, entity (JSON)
**
** Both run the C API call (remdb_traverse, remdb_lookup) and serve its
** JSON rows; each is one small spec over the same module code.  The REM
** statements TRAVERSE, LOOKUP and SEARCH are rewritten into queries of
** these tables (dialect.c).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../graph/graph.h"
#include "../search/search.h"
#include "sql.h"

typedef struct tvf_spec {
  const char *decl;   /* the visible columns, then the hidden arguments */
  int nvisible, nargs;
  const char *const *paths; /* per visible column: "key" or "obj.key" */
  /* run with the given arguments (args[i] NULL when absent) */
  int (*run)(sql_sess *s, sqlite3_value **args, json_t **rows, char **err);
} tvf_spec;

typedef struct tvtab {
  sqlite3_vtab base;
  sql_sess *sess;
  const tvf_spec *spec;
} tvtab;

typedef struct tcursor {
  sqlite3_vtab_cursor base;
  json_t *rows;
  size_t i;
} tcursor;

/* ---- the two functions ---------------------------------------------- */

static int run_traverse(sql_sess *s, sqlite3_value **a, json_t **rows,
                        char **err) {
  remdb *db = s->db;
  const char *start = (const char *)sqlite3_value_text(a[0]);
  int depth = 1, dir = REMDB_OUT;
  if (a[1]) { /* a whole number; text such as 'abc' is not read as 0 */
    int t = sqlite3_value_numeric_type(a[1]);
    double d = sqlite3_value_double(a[1]);
    if ((t != SQLITE_INTEGER && t != SQLITE_FLOAT) || d != floor(d)) {
      *err = sqlite3_mprintf("traverse(): depth must be an integer, not %s",
                             sqlite3_value_type(a[1]) == SQLITE_NULL
                                 ? "NULL"
                                 : (const char *)sqlite3_value_text(a[1]));
      return SQLITE_ERROR;
    }
    /* out of range: remdb_traverse says which range */
    depth = d < -1 ? -1 : d > 1000 ? 1000 : (int)d;
  }
  const char *d = a[2] ? (const char *)sqlite3_value_text(a[2]) : "out";
  const char *type = a[3] ? (const char *)sqlite3_value_text(a[3]) : NULL;
  if (d && !sqlite3_stricmp(d, "in")) dir = REMDB_IN;
  else if (d && !sqlite3_stricmp(d, "both")) dir = REMDB_BOTH;
  else if (!d || sqlite3_stricmp(d, "out")) {
    *err = sqlite3_mprintf("traverse(): direction must be out, in or both");
    return SQLITE_ERROR;
  }
  if (start == NULL) return SQLITE_OK; /* NULL start: no rows */
  char *json = NULL;
  int rc = graph_traverse(db, s->snap, start, depth, dir, type, 0, 0, &json);
  if (rc != REMDB_OK) {
    *err = sqlite3_mprintf("traverse(): %s", remdb_errmsg(db));
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  json_t *doc = json_loads(json, 0, NULL);
  remdb_free(json);
  if (doc == NULL) return SQLITE_NOMEM;
  *rows = json_incref(json_object_get(doc, "nodes"));
  json_decref(doc);
  return SQLITE_OK;
}

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

static int run_search(sql_sess *s, sqlite3_value **a, json_t **rows,
                      char **err) {
  remdb *db = s->db;
  const char *table = (const char *)sqlite3_value_text(a[0]);
  const char *query = a[1] ? (const char *)sqlite3_value_text(a[1]) : NULL;
  if (table == NULL || query == NULL) {
    *err = sqlite3_mprintf("search(): the %s is NULL (or missing): give "
                           "search(table, query text, k)",
                           table == NULL ? "table name" : "query text");
    return SQLITE_ERROR;
  }
  sqlite3_int64 k = a[2] ? sqlite3_value_int64(a[2]) : 10;
  const char *where = a[3] ? (const char *)sqlite3_value_text(a[3]) : NULL;
  double min = a[4] ? sqlite3_value_double(a[4]) : -1e30;
  if (k < 1 || k > 10000) {
    *err = sqlite3_mprintf("search(): k must be 1 to 10000");
    return SQLITE_ERROR;
  }
  char *json = NULL, *plan = NULL;
  remdb_search_options o;
  remdb_search_options_init(&o);
  o.k = (size_t)k;
  o.min_score = min;
  o.where = where;
  uint64_t examined = 0;
  int rc = search_run(db, s->snap, table, query, &o, &json,
                      s->explain ? &plan : NULL, &examined);
  if (rc != REMDB_OK) {
    *err = sqlite3_mprintf("search(): %s", remdb_errmsg(db));
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *rows = json_loads(json, 0, NULL);
  remdb_free(json);
  if (plan && *rows) { /* EXPLAIN: "vector <route>" for the table */
    char desc[256], shape[64];
    snprintf(desc, sizeof desc, "vector %s", plan);
    snprintf(shape, sizeof shape, "vector %.*s", (int)strcspn(plan, " "),
             plan);
    sql_route_note(s, table, desc, shape, examined, json_array_size(*rows));
  }
  remdb_free(plan);
  return *rows ? SQLITE_OK : SQLITE_NOMEM;
}

static const char *const search_paths[] = {"id", "score", "entity.type",
                                           "entity"};
static const tvf_spec search_spec = {
    "CREATE TABLE x(id TEXT, _score REAL, type TEXT, entity TEXT, tbl HIDDEN, "
    "query HIDDEN, k HIDDEN, filter HIDDEN, min_score HIDDEN)",
    4, 5, search_paths, run_search};

static const char *const traverse_paths[] = {"id", "depth", "entity.type",
                                             "entity", "path"};
static const tvf_spec traverse_spec = {
    "CREATE TABLE x(id TEXT, depth INTEGER, type TEXT, entity TEXT, path "
    "TEXT, start HIDDEN, max_depth HIDDEN, direction HIDDEN, edge_type "
    "HIDDEN)",
    5, 4, traverse_paths, run_traverse};

static const char *const lookup_paths[] = {"key",       "match",
                                           "distance",  "entity.id",
                                           "entity.type", "entity"};
static const tvf_spec lookup_spec = {
    "CREATE TABLE x(key TEXT, match TEXT, distance INTEGER, id TEXT, type "
    "TEXT, entity TEXT, k HIDDEN, fuzzy HIDDEN)",
    6, 2, lookup_paths, run_lookup};

/* ---- the module ------------------------------------------------------ */

static int t_connect(sqlite3 *conn, void *aux, int argc,
                     const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)argc;
  (void)err;
  const tvf_spec *spec = strcmp(argv[0], "lookup") == 0   ? &lookup_spec
                         : strcmp(argv[0], "search") == 0 ? &search_spec
                                                          : &traverse_spec;
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
  const tvf_spec *spec = ((tvtab *)v)->spec;
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
                                 spec == &lookup_spec   ? "lookup"
                                 : spec == &search_spec ? "search"
                                                        : "traverse");
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
  const tvf_spec *spec = ((tvtab *)cur->pVtab)->spec;
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
  int rc = sqlite3_create_module_v2(conn, "traverse", &tvf_module, s, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_module_v2(conn, "lookup", &tvf_module, s, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_module_v2(conn, "search", &tvf_module, s, NULL);
  return rc;
}

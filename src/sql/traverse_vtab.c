/*
** traverse_vtab.c: traverse(start, depth, direction, type), a table-valued
** function over the graph (src/graph/), so traversals join with tables:
**
**   SELECT t.depth, i.title FROM traverse('<id>', 2, 'in', 'authored') t
**   JOIN issues i ON i.id = t.id;
**
** Columns: id, depth, type (the entity's table), entity (JSON), path (JSON
** array of the edges from start).  start is required; depth defaults to 1,
** direction to 'out', type to any.  The REM statement TRAVERSE FROM ...
** is rewritten into a query of this table (dialect.c).
*/
#include <stdlib.h>
#include <string.h>

#include "../graph/graph.h"
#include "sql.h"

enum { TC_ID, TC_DEPTH, TC_TYPE, TC_ENTITY, TC_PATH, TC_START, TC_MAXDEPTH,
       TC_DIRECTION, TC_EDGETYPE };

typedef struct tvtab {
  sqlite3_vtab base;
  sql_sess *sess;
} tvtab;

typedef struct tcursor {
  sqlite3_vtab_cursor base;
  json_t *nodes;
  size_t i;
} tcursor;

static int t_connect(sqlite3 *conn, void *aux, int argc,
                     const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)argc;
  (void)argv;
  (void)err;
  int rc = sqlite3_declare_vtab(
      conn, "CREATE TABLE x(id TEXT, depth INTEGER, type TEXT, entity TEXT, "
            "path TEXT, start HIDDEN, max_depth HIDDEN, direction HIDDEN, "
            "edge_type HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  tvtab *t = calloc(1, sizeof *t);
  if (t == NULL) return SQLITE_NOMEM;
  t->sess = aux;
  sqlite3_vtab_config(conn, SQLITE_VTAB_DIRECTONLY);
  *out = &t->base;
  return SQLITE_OK;
}

static int t_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v->zErrMsg);
  free(v);
  return SQLITE_OK;
}

/* idxNum: one bit per hidden argument present; arguments in column order */
static int t_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  (void)v;
  int pos[4] = {-1, -1, -1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->iColumn < TC_START || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c->usable) return SQLITE_CONSTRAINT; /* wait for a plan with it */
    pos[c->iColumn - TC_START] = i;
  }
  if (pos[0] < 0) {
    sqlite3_free(v->zErrMsg);
    v->zErrMsg = sqlite3_mprintf("traverse() needs a start id");
    return SQLITE_ERROR;
  }
  int argv = 1, mask = 0;
  for (int k = 0; k < 4; k++) {
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
  json_decref(c->nodes);
  free(c);
  return SQLITE_OK;
}

static int t_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                    int argc, sqlite3_value **argv) {
  tcursor *c = (tcursor *)cur;
  tvtab *t = (tvtab *)cur->pVtab;
  remdb *db = t->sess->db;
  (void)idxStr;
  (void)argc;
  json_decref(c->nodes);
  c->nodes = NULL;
  c->i = 0;
  int ai = 0;
  const char *start = (const char *)sqlite3_value_text(argv[ai++]);
  int depth = 1, dir = REMDB_OUT;
  const char *type = NULL;
  if (idxNum & 2) depth = sqlite3_value_int(argv[ai++]);
  if (idxNum & 4) {
    const char *d = (const char *)sqlite3_value_text(argv[ai++]);
    if (d && !sqlite3_stricmp(d, "in")) dir = REMDB_IN;
    else if (d && !sqlite3_stricmp(d, "both")) dir = REMDB_BOTH;
    else if (!d || sqlite3_stricmp(d, "out")) {
      sqlite3_free(t->base.zErrMsg);
      t->base.zErrMsg =
          sqlite3_mprintf("traverse(): direction must be out, in or both");
      return SQLITE_ERROR;
    }
  }
  if (idxNum & 8) type = (const char *)sqlite3_value_text(argv[ai++]);
  char *json = NULL;
  if (start == NULL) return SQLITE_OK; /* NULL start: no rows */
  int rc = remdb_traverse(db, start, depth, dir, type, 0, 0, &json);
  if (rc != REMDB_OK) {
    sqlite3_free(t->base.zErrMsg);
    t->base.zErrMsg = sqlite3_mprintf("traverse(): %s", remdb_errmsg(db));
    return rc == REMDB_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  json_t *doc = json_loads(json, 0, NULL);
  remdb_free(json);
  if (doc == NULL) return SQLITE_NOMEM;
  c->nodes = json_incref(json_object_get(doc, "nodes"));
  json_decref(doc);
  return SQLITE_OK;
}

static int t_next(sqlite3_vtab_cursor *cur) {
  ((tcursor *)cur)->i++;
  return SQLITE_OK;
}

static int t_eof(sqlite3_vtab_cursor *cur) {
  tcursor *c = (tcursor *)cur;
  return c->i >= json_array_size(c->nodes);
}

static void text_result(sqlite3_context *ctx, json_t *v) {
  if (json_is_string(v)) {
    sqlite3_result_text(ctx, json_string_value(v), (int)json_string_length(v),
                        SQLITE_TRANSIENT);
    return;
  }
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (s == NULL) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
  free(s);
}

static int t_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  tcursor *c = (tcursor *)cur;
  json_t *n = json_array_get(c->nodes, c->i);
  json_t *e = json_object_get(n, "entity");
  switch (i) {
    case TC_ID: text_result(ctx, json_object_get(n, "id")); break;
    case TC_DEPTH:
      sqlite3_result_int64(ctx, json_integer_value(json_object_get(n, "depth")));
      break;
    case TC_TYPE: text_result(ctx, json_object_get(e, "type")); break;
    case TC_ENTITY: text_result(ctx, e); break;
    case TC_PATH: text_result(ctx, json_object_get(n, "path")); break;
    default: break; /* hidden arguments read as NULL */
  }
  return SQLITE_OK;
}

static int t_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((tcursor *)cur)->i;
  return SQLITE_OK;
}

static const sqlite3_module traverse_module = {
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

int sql_register_traverse(sqlite3 *conn, sql_sess *s) {
  return sqlite3_create_module_v2(conn, "traverse", &traverse_module, s, NULL);
}

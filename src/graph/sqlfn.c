/*
** sqlfn.c: the traverse() table function, registered with the SQL layer
** (sql/tvf.c serves its rows) when the library is wired:
**
**   SELECT t.depth, i.title FROM traverse('<id>', 2, 'in', 'authored') t
**   JOIN issues i ON i.id = t.id;
**
**   traverse(start, depth = 1, direction = 'out', type = any):
**     id, depth, type (the entity's table), entity (JSON), path (JSON)
**
** It reads the snapshot of the statement it runs in.
*/
#include <math.h>
#include <string.h>

#include "../sql/sql.h"
#include "graph.h"

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

static const char *const traverse_paths[] = {"id", "depth", "entity.type",
                                             "entity", "path"};
const sql_fn graph_traverse_fn = {
    "traverse",
    "CREATE TABLE x(id TEXT, depth INTEGER, type TEXT, entity TEXT, path "
    "TEXT, start HIDDEN, max_depth HIDDEN, direction HIDDEN, edge_type "
    "HIDDEN)",
    5, 4, traverse_paths, run_traverse};

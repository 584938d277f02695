/*
** search.h: similarity search, above the SQL layer.  remdb_search_ex
** finds the k nearest rows of a table, exactly or through the table's
** HNSW index (core/vindex.c over src/vector/), with an optional SQL
** filter that runs on the handle's SQL session (sql/) under the search's
** snapshot.  The SQL layer's search() table function (and so SEARCH and
** embedding.<metric>()) reach it through the hook search registers with
** sql/, so sql/ never calls up.
**
**   search.c   the routes (exact, graph), the filter, the cost model
*/
#ifndef REMDB_SEARCH_H
#define REMDB_SEARCH_H

#include "../core/core.h"

/* remdb_search_ex under snap (NULL: the search takes its own), also
** telling how many candidates were scored (exact) or distances computed
** (graph), for EXPLAIN.  A given snapshot must agree with db's catalog
** (snap_current); the filter and everything nested in it read it too. */
int search_run(remdb *db, snap_t *snap, const char *table, const char *query,
               const remdb_search_options *opts, char **json_out,
               char **plan_out, uint64_t *examined_out);

/* Register the search() table function with the SQL layer.  Called once,
** when the library is wired (src/api/api.c). */
void search_wire(void);

#endif

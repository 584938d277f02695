/*
** vector.h: the vector layer.  Two parts, with data flowing one way:
**
**   dist.h, hnsw.h  the distance kernels and the HNSW graph: pure
**                   algorithms, depending on nothing in remdb; the core's
**                   write path (src/core/vindex.c) keeps each table's
**                   graph with them.
**   search.c        the query side, above the core: remdb_search_ex picks
**                   exact or graph search by cost and runs it (the SQL
**                   layer's search() and embedding.<metric>() use it).
*/
#ifndef REMDB_SEARCH_H
#define REMDB_SEARCH_H

#include "../core/core.h"

/* remdb_search_ex, also telling how many candidates were scored (exact) or
** distances computed (graph), for EXPLAIN. */
int vec_search(remdb *db, const char *table, const char *query,
               const remdb_search_options *opts, char **json_out,
               char **plan_out, uint64_t *examined_out);

#endif

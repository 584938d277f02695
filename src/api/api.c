/*
** api.c: the top of the library, where its layers are wired together.
** Each layer calls only down (see README "Layout"); where a lower layer
** must reach an upper one it does so through a hook the upper layer
** registers here, once, before the first handle opens:
**
**   graph/   core's hooks (a hard delete removes the entity's edges,
**            verify checks them) and the traverse() SQL function
**   search/  the search() SQL function
**
** Every handle comes from remdb_open or remdb_open_tenant, so every call
** on any handle finds the library wired.
*/
#include <pthread.h>

#include "../core/core.h"
#include "../graph/graph.h"
#include "../search/search.h"

static pthread_once_t wired = PTHREAD_ONCE_INIT;

static void wire(void) {
  graph_wire();
  search_wire();
  fts_wire();
}

int remdb_open(const char *path, const char *tenant, const remdb_options *opts,
               remdb **out) {
  pthread_once(&wired, wire);
  return core_open(path, tenant, opts, out);
}

int remdb_open_tenant(remdb *db, const char *tenant, remdb **out) {
  pthread_once(&wired, wire);
  return core_open_tenant(db, tenant, out);
}

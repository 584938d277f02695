/*
** hooks.c: what core reaches through the layers above it.  Core stores
** entities; the edges between them belong to the graph layer, which
** registers the functions below when the library is wired (src/api/),
** before the first handle opens.  So core never calls up, and still a
** hard delete takes an entity's edges along in its write batch and verify
** checks them.
*/
#include <assert.h>

#include "internal.h"

static core_hooks hooks;

void core_set_hooks(const core_hooks *h) { hooks = *h; }

int hook_edges_remove(remdb *db, kv_batch_t *kb, const uuid16_t *id) {
  assert(hooks.edges_remove != NULL); /* wired before any handle opens */
  return hooks.edges_remove(db, kb, id);
}

int hook_edges_verify(remdb *db, const snap_t *snap, core_report_fn report,
                      void *ctx) {
  return hooks.edges_verify ? hooks.edges_verify(db, snap, report, ctx)
                            : REMDB_OK;
}

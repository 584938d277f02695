/*
** graph.h: edges between entities and traversals over them.
**
** Layer: above core and sql.  The edge keys are this layer's (kv.h builds
** them); core reaches edges only through the hooks graph_wire registers
** (a hard delete or a table drop removes an entity's edges, verify checks
** them), and sql/ serves traverse() through the table function registered
** here, so neither calls up.  Traversals read the snapshot they are given.
**
** An edge (src, dst, type, properties, weight, created_at) is stored under
** two keys written in one batch (layout in src/kv/kv.h, value format in
** src/record/rec.h): TID 'F' SRC TYPE 0 DST for outgoing and TID 'R' DST
** TYPE 0 SRC for incoming edges, so either direction is one prefix scan and
** no read ever needs a full scan.  An edge is visible only while both its
** endpoints are (a soft-deleted entity hides its edges); a hard delete
** removes them with the entity (core/wtx.c).
**
**   edges.c     put, delete, list
**   traverse.c  breadth-first traversal and shortest path
*/
#ifndef REMDB_GRAPH_H
#define REMDB_GRAPH_H

#include "../core/core.h"
#include "../kv/kv.h" /* the edge keys are this layer's */

/* One visible edge, as read from storage.  Everything but rec.props is
** held in the struct; rec.props is borrowed for the callback only. */
typedef struct gedge {
  uuid16_t src, dst;
  char type[72];
  char created[TS_LEN + 1];
  erec rec; /* weight; props (borrowed); use created above, not rec's */
} gedge;

/* Call fn for every visible edge of id in direction dir (REMDB_OUT,
** REMDB_IN or REMDB_BOTH), of type `type` (NULL: any).  Reads snap.
** fn returns non-zero to stop.  The edge is borrowed for the call. */
typedef int (*gedge_fn)(void *ctx, const gedge *e);
int graph_each_edge(remdb *db, const snap_t *snap, const uuid16_t *id,
                    int dir, const char *type, gedge_fn fn, void *ctx);

/* As graph_each_edge, but first asks seen(ctx, other end): edges to an
** end it already knows are skipped before the liveness check (a get). */
typedef bool (*gseen_fn)(void *ctx, const uuid16_t *other);
int graph_each_edge_seen(remdb *db, const snap_t *snap, const uuid16_t *id,
                         int dir, const char *type, gseen_fn seen,
                         gedge_fn fn, void *ctx);

/* Is the entity live (exists, not soft-deleted)? */
bool graph_live(remdb *db, const snap_t *snap, const uuid16_t *id);

/* Stage the edge s -type-> d (both keys) into w, keeping the created_at
** of an edge it replaces.  props: JSON object text or NULL.  The caller
** holds the write lock and has checked the endpoints and the type. */
int graph_stage_edge(wtx_t *w, const uuid16_t *s, const uuid16_t *d,
                     const char *type, const char *props, size_t props_len,
                     double weight);

/* remdb_traverse under snap (which agrees with db's catalog). */
int graph_traverse(remdb *db, const snap_t *snap, const char *start,
                   int depth, int direction, const char *type,
                   size_t max_nodes, int flags, char **json_out);

/* Register what core and sql reach through hooks: edge removal on a hard
** delete, verify's pass over the edges, the traverse() table function.
** Called once, when the library is wired (src/api/api.c). */
void graph_wire(void);
/* The traverse() table function (sqlfn.c; an sql_fn of sql/sql.h). */
extern const struct sql_fn graph_traverse_fn;

/* Append an edge as a JSON object. */
void graph_edge_json(const gedge *e, buf_t *out);

#endif

/*
** traverse.c: breadth-first traversal and shortest path over visible
** edges.  Every node is visited once (cycles are safe), a node cap bounds
** the work, and each result carries the path of edges that reached it.
** The whole traversal reads one snapshot.
*/
#include <stdlib.h>
#include <string.h>

#include "graph.h"

typedef struct node {
  uuid16_t id;
  int depth;
  long parent; /* index of the node it was reached from, -1 for the start */
  gedge via;   /* the edge from the parent (props: in the bfs arena) */
  size_t poff, plen;
} node;

typedef struct bfs {
  remdb *db;
  const snap_t *snap;
  node *n;
  size_t len, cap, max;
  size_t *slots; /* open addressing: node index + 1, 0 = empty */
  size_t nslots;
  size_t head; /* queue front */
  bool truncated;
  const uuid16_t *goal; /* shortest path: stop when reached */
  long found;
  buf_t props; /* the properties of the edges nodes were reached by */
} bfs;

static size_t slot_of(const bfs *b, const uuid16_t *id) {
  size_t i = get_u32be(id->b + 12) & (b->nslots - 1);
  while (b->slots[i] && memcmp(b->n[b->slots[i] - 1].id.b, id->b, 16) != 0)
    i = (i + 1) & (b->nslots - 1);
  return i;
}

static bool grow(bfs *b) {
  if (b->len < b->cap && (b->len + 1) * 2 <= b->nslots) return true;
  if (b->len == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    node *n = realloc(b->n, cap * sizeof *n);
    if (n == NULL) return false;
    b->n = n;
    b->cap = cap;
  }
  if ((b->len + 1) * 2 > b->nslots) {
    size_t ns = b->nslots ? b->nslots * 2 : 128;
    size_t *s = calloc(ns, sizeof *s);
    if (s == NULL) return false;
    size_t *old = b->slots, oldn = b->nslots;
    b->slots = s;
    b->nslots = ns;
    for (size_t i = 0; i < oldn; i++)
      if (old[i]) b->slots[slot_of(b, &b->n[old[i] - 1].id)] = old[i];
    free(old);
  }
  return true;
}

/* Add id unless seen.  false only when out of memory. */
static bool visit(bfs *b, const uuid16_t *id, int depth, long parent,
                  const gedge *via) {
  if (b->nslots && b->slots[slot_of(b, id)]) return true;
  if (b->len >= b->max) {
    b->truncated = true;
    return true;
  }
  if (!grow(b)) return false;
  node *n = &b->n[b->len];
  n->id = *id;
  n->depth = depth;
  n->parent = parent;
  n->plen = 0;
  if (via) {
    n->via = *via;
    n->via.rec.props = NULL; /* borrowed: keep a copy instead */
    n->poff = b->props.len;
    if (via->rec.props && via->rec.props_len) {
      buf_add(&b->props, via->rec.props, via->rec.props_len);
      if (b->props.oom) return false;
      n->plen = via->rec.props_len;
    }
  }
  b->slots[slot_of(b, id)] = ++b->len;
  if (b->goal && memcmp(id->b, b->goal->b, 16) == 0) b->found = (long)b->len - 1;
  return true;
}

typedef struct expand_ctx {
  bfs *b;
  long from;
  int depth;
  bool oom;
} expand_ctx;

static int expand_one(void *ctx, const gedge *e) {
  expand_ctx *x = ctx;
  const uuid16_t *self = &x->b->n[x->from].id;
  const uuid16_t *other =
      memcmp(e->src.b, self->b, 16) == 0 ? &e->dst : &e->src;
  if (!visit(x->b, other, x->depth + 1, x->from, e)) {
    x->oom = true;
    return 1;
  }
  return x->b->found >= 0 || x->b->truncated;
}

static bool seen_node(void *ctx, const uuid16_t *id) {
  const bfs *b = ((const expand_ctx *)ctx)->b;
  return b->nslots && b->slots[slot_of(b, id)];
}

static int run(bfs *b, const uuid16_t *start, int max_depth, int dir,
               const char *type) {
  remdb *db = b->db;
  if (!visit(b, start, 0, -1, NULL)) return err_nomem(&db->err);
  if (b->found >= 0) return REMDB_OK;
  while (b->head < b->len && !b->truncated) {
    long cur = (long)b->head++;
    if (b->n[cur].depth >= max_depth) continue;
    expand_ctx x = {b, cur, b->n[cur].depth, false};
    uuid16_t id = b->n[cur].id; /* n may move while expanding */
    int rc = graph_each_edge_seen(db, b->snap, &id, dir, type, seen_node,
                                  expand_one, &x);
    if (rc) return rc;
    if (x.oom) return err_nomem(&db->err);
    if (b->found >= 0) break;
  }
  return REMDB_OK;
}

static void path_json(const bfs *b, long i, buf_t *out) {
  /* collect the chain from the start, then write it forwards */
  long chain[256];
  int n = 0;
  for (long j = i; j >= 0 && b->n[j].parent >= 0 && n < 256;
       j = b->n[j].parent)
    chain[n++] = j;
  buf_addc(out, '[');
  for (int k = n - 1; k >= 0; k--) {
    const node *x = &b->n[chain[k]];
    gedge e = x->via;
    e.rec.props = x->plen ? b->props.p + x->poff : NULL;
    e.rec.props_len = x->plen;
    graph_edge_json(&e, out);
    if (k) buf_addc(out, ',');
  }
  buf_addc(out, ']');
}

static int node_json(bfs *b, long i, buf_t *out) {
  remdb *db = b->db;
  char ids[REMDB_ID_LEN + 1];
  uuid_format(&b->n[i].id, ids);
  buf_addf(out, "{\"id\":\"%s\",\"depth\":%d,\"entity\":", ids, b->n[i].depth);
  ent_row r;
  int rc = ent_get(db, b->snap, NULL, &b->n[i].id, &r);
  if (rc == REMDB_OK) rc = ent_to_json(db, r.table, &b->n[i].id, &r.rv, out);
  ent_row_free(&r);
  if (rc) return rc;
  buf_adds(out, ",\"path\":");
  path_json(b, i, out);
  buf_addc(out, '}');
  return REMDB_OK;
}

static void bfs_free(bfs *b) {
  free(b->n);
  free(b->slots);
  buf_free(&b->props);
}

static int prepare(remdb *db, const char *id, int direction, const char *type,
                   uuid16_t *u) {
  int rc = parse_id(db, id, u);
  if (rc == REMDB_OK && type && !ident_valid(type, 64))
    rc = err_set(&db->err, REMDB_INVALID, "edge type \"%.64s\" is not valid",
                 type);
  if (rc == REMDB_OK && (direction < REMDB_OUT || direction > REMDB_BOTH))
    rc = err_set(&db->err, REMDB_MISUSE,
                 "direction must be REMDB_OUT, REMDB_IN or REMDB_BOTH");
  return rc;
}

/* A snapshot that agrees with the catalog (entities are shown with their
** tables' fields). */
static int check_snap(remdb *db, const snap_t *snap) {
  return snap_current(db, snap)
             ? REMDB_OK
             : err_set(&db->err, REMDB_ERROR,
                       "traverse: the schema changed during the statement: "
                       "run it again");
}

int remdb_traverse(remdb *db, const char *start, int depth, int direction,
                   const char *type, size_t max_nodes, int flags,
                   char **json_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "traverse", flags, REMDB_EXACT_DEPTH)) return db->err.code;
  snap_t *snap;
  int rc = snap_take(db, &snap);
  if (rc) return rc;
  rc = graph_traverse(db, snap, start, depth, direction, type, max_nodes,
                      flags, json_out);
  snap_release(snap);
  return rc;
}

int graph_traverse(remdb *db, const snap_t *snap, const char *start,
                   int depth, int direction, const char *type,
                   size_t max_nodes, int flags, char **json_out) {
  *json_out = NULL;
  uuid16_t u;
  int rc = check_snap(db, snap);
  if (rc == REMDB_OK) rc = prepare(db, start, direction, type, &u);
  if (rc == REMDB_OK && (depth < 0 || depth > 64))
    rc = err_set(&db->err, REMDB_INVALID, "traversal depth must be 0 to 64");
  if (rc) return rc;
  bfs b = {.db = db, .snap = snap, .max = max_nodes ? max_nodes : 10000,
           .found = -1};
  if (!graph_live(db, snap, &u))
    rc = err_set(&db->err, REMDB_NOTFOUND, "no entity with id %s", start);
  if (rc == REMDB_OK) rc = run(&b, &u, depth, direction, type);
  buf_t out;
  buf_init(&out);
  buf_adds(&out, "{\"nodes\":[");
  size_t shown = 0;
  for (size_t i = 0; rc == REMDB_OK && i < b.len; i++) {
    if ((flags & REMDB_EXACT_DEPTH) && b.n[i].depth != depth) continue;
    if (shown++) buf_addc(&out, ',');
    rc = node_json(&b, (long)i, &out);
  }
  buf_addf(&out, "],\"truncated\":%s}", b.truncated ? "true" : "false");
  bfs_free(&b);
  rc = core_hand_out(db, rc, &out, json_out);
  return rc;
}

int remdb_shortest_path(remdb *db, const char *from, const char *to,
                        int max_depth, int direction, const char *type,
                        char **json_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  *json_out = NULL;
  uuid16_t a, z;
  snap_t *snap = NULL;
  int rc = snap_take(db, &snap);
  if (rc == REMDB_OK) rc = prepare(db, from, direction, type, &a);
  if (rc == REMDB_OK) rc = parse_id(db, to, &z);
  if (rc == REMDB_OK && (max_depth < 1 || max_depth > 64))
    rc = err_set(&db->err, REMDB_INVALID, "path depth must be 1 to 64");
  if (rc) {
    snap_release(snap);
    return rc;
  }
  bfs b = {.db = db, .snap = snap, .max = 1000000, .goal = &z, .found = -1};
  if (!graph_live(db, snap, &a) || !graph_live(db, snap, &z))
    rc = err_set(&db->err, REMDB_NOTFOUND, "both ends must be entities");
  if (rc == REMDB_OK) rc = run(&b, &a, max_depth, direction, type);
  buf_t out;
  buf_init(&out);
  if (rc == REMDB_OK && b.found >= 0) {
    buf_addf(&out, "{\"length\":%d,\"path\":", b.n[b.found].depth);
    path_json(&b, b.found, &out);
    buf_addc(&out, '}');
  } else {
    buf_adds(&out, "{\"length\":null,\"path\":null}");
  }
  snap_release(snap);
  bfs_free(&b);
  rc = core_hand_out(db, rc, &out, json_out);
  return rc;
}

/*
** hnsw.h: a hierarchical navigable small world graph (Malkov & Yashunin,
** 2016) over float32 vectors named by 16-byte ids.  This file is the
** algorithm and the in-memory graph only; src/core/vindex.c keeps one per
** table, persists its nodes in the vector column family and feeds it from
** the write path.  Depends on nothing in remdb but dist.h (and util's id
** hash set).
**
** Layer: src/vector/ is a library below core: the distance kernels
** (dist.h) and this graph.  Searching a table (its snapshot, its filter,
** exact or graph) is src/search/'s.
**
** Nodes are dense slot numbers; a removed node's slot is reused.  Distances
** are "smaller is closer": 1 - dot for cosine (vectors are normalised on
** the way in), -dot for inner product, squared euclidean for l2.
**
** Threads: one writer (insert, remove, load, the dirty lists) at a time,
** excluded from readers by the caller; any number of concurrent searches.
**
** Stored form of a node (hnsw_encode / hnsw_decode_links), little-endian:
**   u8 level, then for each layer 0..level: u16 count, count x 16-byte ids
** Links to ids that no longer exist are dropped when read.
*/
#ifndef REMDB_HNSW_H
#define REMDB_HNSW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hnsw_metric { HNSW_COSINE, HNSW_IP, HNSW_L2 };

typedef struct hnsw_params {
  int dim;
  enum hnsw_metric metric;
  int M;               /* links per node above layer 0; 2M on layer 0 */
  int ef_construction; /* candidates kept while linking a new node */
} hnsw_params;

typedef struct hnsw hnsw;

typedef struct hnsw_hit {
  uint32_t node;
  float dist;
} hnsw_hit;

/* Does the node with this id qualify as a result?  (It is traversed
** either way: the filter narrows results, never the paths.) */
typedef bool (*hnsw_filter_fn)(void *ctx, const unsigned char *id);

#define HNSW_NONE UINT32_MAX
#define HNSW_MAX_LEVEL 15
#define HNSW_MAX_M 100 /* largest M (layer 0 holds 2M links) */

/* A new empty graph, or NULL when out of memory. */
hnsw *hnsw_new(const hnsw_params *p);
void hnsw_free(hnsw *h);

uint32_t hnsw_count(const hnsw *h);   /* live nodes */
size_t hnsw_bytes(const hnsw *h);     /* memory held */
/* Memory a graph of n nodes of this shape would hold, roughly. */
size_t hnsw_estimate(const hnsw_params *p, uint64_t n);
const hnsw_params *hnsw_get_params(const hnsw *h);

/* The node of id, or HNSW_NONE. */
uint32_t hnsw_lookup(const hnsw *h, const unsigned char *id);
const unsigned char *hnsw_node_id(const hnsw *h, uint32_t node);
/* Does node hold exactly vector v (as it would store it)?  Writer only. */
bool hnsw_same_vector(hnsw *h, uint32_t node, const float *v);

/* Link a new node (id must not be present).  0, or -1 when out of memory,
** after which the graph must be thrown away. */
int hnsw_insert(hnsw *h, const unsigned char *id, const float *v);
/* Unlink node and repair its neighbours' links with the same heuristic.
** 0, or -1 when out of memory (throw the graph away). */
int hnsw_remove(hnsw *h, uint32_t node);

/* The k nearest nodes to q that pass filter (NULL: all), searching with
** ef candidates (at least k).  Fills out[] nearest first and returns how
** many; *visited (may be NULL) gets the number of distance evaluations.
** Returns (size_t)-1 when out of memory. */
size_t hnsw_search(hnsw *h, const float *q, size_t k, int ef,
                   hnsw_filter_fn filter, void *ctx, hnsw_hit *out,
                   size_t *visited);
/* Distance between q (as given) and node, and its conversion to the
** similarity remdb reports (cosine and inner product: the dot product;
** l2: minus the euclidean distance). */
float hnsw_distance(hnsw *h, const float *q, uint32_t node);
float hnsw_score(const hnsw *h, float dist);
/* q as the graph compares it (normalised for cosine) into out[dim]. */
void hnsw_prepare(const hnsw *h, const float *q, float *out);

/* ---- persistence ---- */
/* Nodes changed since hnsw_clear_changes (their stored form must be
** rewritten), and ids removed since then (their stored form deleted). */
size_t hnsw_dirty(const hnsw *h, const uint32_t **nodes);
size_t hnsw_gone(const hnsw *h, const unsigned char **ids);
void hnsw_clear_changes(hnsw *h);
/* The stored form of node: the caller's malloc'd buffer and its length,
** or NULL when out of memory. */
unsigned char *hnsw_encode(const hnsw *h, uint32_t node, size_t *len);
/* The level a stored form declares, or -1 if it is malformed. */
int hnsw_record_level(const void *rec, size_t len);
/* Loading: add a node without links (first pass over the stored nodes),
** then give it its stored links (second pass, once every node is known).
** add: the node or HNSW_NONE when out of memory; decode: 0, or -1 if the
** record is malformed. */
uint32_t hnsw_add_raw(hnsw *h, const unsigned char *id, const float *v,
                      int level);
int hnsw_decode_links(hnsw *h, uint32_t node, const void *rec, size_t len);
/* The entry node (HNSW_NONE when empty), and its level in *level.  A node
** of the top level may be made the entry: a graph loaded from storage
** takes the entry its writer recorded, and so answers as that writer's
** graph and as a lazy graph (below) do.  set: false if node is not live
** or not of the top level. */
uint32_t hnsw_entry(const hnsw *h, int *level);
bool hnsw_set_entry(hnsw *h, uint32_t node);
/* Count links to nodes that are gone, and links of a node to itself. */
size_t hnsw_check_links(const hnsw *h);
/* The level a node with this id gets: fixed by the id, so a rebuild
** reproduces the graph's shape. */
int hnsw_level_of(const unsigned char *id, int M);

/* ---- lazy graphs: searched straight from storage ----
** A lazy graph starts with nothing but its entry node's id and level.  A
** search asks the source for the nodes it reaches (their vectors and
** stored forms), as it reaches them, and keeps them, so the next search
** finds them in memory; its answers are those of the whole graph loaded
** with hnsw_add_raw/hnsw_decode_links (and the same entry): the same
** nodes are visited in the same order.  Nodes the source does not have
** are left out, as a load leaves them out.  A lazy graph changes as it is
** searched: one search at a time, and no insert or remove. */
typedef struct hnsw_source {
  /* For the n ids (16 bytes each, one after another): found[i], and when
  ** found, the stored vector (dim floats) in vecs[i * dim] and the node's
  ** stored form in recs[i] (malloc'd: the graph owns it) of lens[i]
  ** bytes.  A node is found when storage holds both.  0, or -1 when
  ** reading failed (the source keeps the error). */
  int (*fetch)(void *ctx, size_t n, const unsigned char *ids, float *vecs,
               unsigned char **recs, size_t *lens, bool *found);
  void *ctx;
} hnsw_source;

/* A lazy graph whose entry is the node id of this level; NULL when out
** of memory. */
hnsw *hnsw_new_lazy(const hnsw_params *p, const hnsw_source *src,
                    const unsigned char *entry, int level);
/* After a search of a lazy graph returned (size_t)-1: did storage
** contradict itself (a malformed node, a level that is not the id's, no
** entry node)?  Then the graph must be thrown away and loaded whole.
** Otherwise the source failed, or memory ran out. */
bool hnsw_lazy_bad(const hnsw *h);

#endif

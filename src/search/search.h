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
**   fts.c      keyword search (BM25 over core/ftsread.h), hybrid search
**              (reciprocal rank fusion), snippets, the fts() function
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

/* ---- keyword and hybrid search (fts.c) ---------------------------------- */

/* One result of a ranked list, or of their fusion. */
typedef struct search_hit {
  uuid16_t id;
  double score;          /* the list's own score, or the fused one */
  double kscore, vscore; /* hybrid: the keyword and vector scores */
  uint32_t krank, vrank; /* hybrid: 1-based ranks; 0 when not in that list */
} search_hit;

/* Reciprocal rank fusion of two ranked lists (best first, ids distinct
** within a list): each id scores the sum over the lists that hold it of
** 1 / (k + rank), rank 1-based.  out (room for na + nb) gets the union,
** best first; ties: the better best rank, then the better keyword rank,
** then the id bytes.  *nout gets its length.  krank/vrank/kscore/vscore
** are set from a (keyword) and b (vector).  false when out of memory. */
bool search_rrf(const search_hit *a, size_t na, const search_hit *b,
                size_t nb, double k, search_hit *out, size_t *nout);

/* remdb_search_ex in keyword or hybrid mode (mode already resolved, see
** search_mode), under snap as search_run. */
int fts_search_run(remdb *db, snap_t *snap, const char *table,
                   const char *query, const remdb_search_options *o,
                   enum remdb_search_mode mode, char **json_out,
                   char **plan_out, uint64_t *examined_out);

/* The mode a search of t runs in: o's, or for REMDB_MODE_DEFAULT: vector
** for a query given as a vector; else hybrid when t has a full-text index
** and an embedding whose provider embeds text, else the one it has
** (vector when it has neither: its error names the embedding). */
enum remdb_search_mode search_mode(remdb *db, const sch_table *t,
                                   const remdb_search_options *o,
                                   const char *query);

/* "keyword", "vector", "hybrid" or "default" (any case): 0 and *out,
** else -1. */
int search_mode_parse(const char *name, enum remdb_search_mode *out);

/* The ids of table's rows that satisfy the SQL predicate where, read
** under snap, into out: at most limit of them (0: all). */
int search_filter_ids(remdb *db, snap_t *snap, const char *table,
                      const char *where, size_t limit, idset *out);

/* For hybrid search (fts.c): the vector side's top depth ids under snap,
** among the rows where selects (NULL: every row), into *out (caller
** frees) with their scores; the route goes to plan.  filter_out (may be
** NULL; empty, freed by the caller) gets the ids where selects. */
int search_vector_list(remdb *db, snap_t *snap, const char *table,
                       const char *query, const remdb_search_options *o,
                       size_t depth, const char *where, search_hit **out,
                       size_t *nout, buf_t *plan, uint64_t *examined,
                       idset *filter_out);

/* Register the search() table function with the SQL layer.  Called once,
** when the library is wired (src/api/api.c). */
void search_wire(void);
void fts_wire(void); /* fts() (fts.c) */

#endif

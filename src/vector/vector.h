/*
** vector.h: similarity search over the vectors the write path keeps (see
** src/core/vectors.c for how they are made and stored).  Search is exact:
** it scores every vector of the table that passes the filter, so its top-k
** is the true top-k among the matching, live rows.  (An HNSW index for
** large tables is the next step of this layer.)
*/
#ifndef REMDB_VECTOR_H
#define REMDB_VECTOR_H

#include "../core/core.h"

#endif

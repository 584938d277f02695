/*
** colread.h: a table's columnar copy, as the analytics executor (exec/)
** reads it.  Core keeps, for every table whose schema does not turn it off,
** a copy of its scalar properties and system fields in column segments of
** COL_SEG_ROWS row positions each, written in the same batch as the entity
** (core/columns.c; encodings in column/).  A reader opened at a snapshot
** sees exactly the rows that snapshot holds: the merged segments and the
** pending row deltas of that snapshot, never a half-merged state.
**
** The executor asks for one segment at a time: its zone maps first (to
** skip it), then the visibility bitmap and the decoded vectors of the
** columns it needs.  A vector is what SQL reads through the virtual table,
** value for value: a row whose value the column cannot hold exactly makes
** the column inexact (colr_find says so), and the executor then leaves
** the query to SQLite.
**
** Thread model: a reader belongs to one thread.  Several readers may be
** open at once on one handle (their caches are shared and bounded).
*/
#ifndef REMDB_CORE_COLREAD_H
#define REMDB_CORE_COLREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

#define COL_SEG_ROWS 65536u /* row positions per segment */

/* What a column's vector holds (and what SQL reads for it). */
enum colv_type {
  COLV_INT,  /* i64; SQL reads INTEGER ("integer" properties) */
  COLV_REAL, /* f64; SQL reads REAL ("number" properties, integral or not) */
  COLV_BOOL, /* i64 0 or 1; SQL reads INTEGER */
  COLV_TEXT, /* code into the segment's dictionary; SQL reads TEXT */
  COLV_TIME, /* i64 microseconds since 1970 UTC; SQL reads the canonical
             ** date-time text (colr_time_text gives it) */
  COLV_ID,   /* the entity id, 16 bytes; SQL reads its 36-char text */
};

typedef struct col_zone {
  uint32_t rows;  /* positions in use in the segment (visible or not) */
  uint32_t nulls; /* visible rows whose value is NULL or absent */
  bool has;       /* min/max are set (some visible non-NULL value) */
  union {
    int64_t i; /* INT, BOOL, TIME */
    double f;  /* REAL */
  } min, max;
  /* TEXT: the smallest and largest value, memcmp order (BINARY) */
  const char *smin, *smax;
  uint32_t nsmin, nsmax;
} col_zone;

typedef struct col_vec {
  enum colv_type type;
  uint32_t n;             /* positions in the segment */
  const uint64_t *nulls;  /* bit i set: row i is NULL or absent; NULL: none */
  const int64_t *i64;     /* INT, BOOL, TIME */
  const double *f64;      /* REAL */
  const uint32_t *code;   /* TEXT: index into dict */
  const uint8_t (*id)[16];/* ID */
  /* TEXT: the segment's distinct values, unique and ascending in memcmp
  ** order, so code order is BINARY collation order */
  const char *const *dict;
  const uint32_t *dict_len;
  uint32_t ndict;
} col_vec;

typedef struct col_reader col_reader;

/* Open t's columns at snap (snap must outlive the reader).  REMDB_NOTFOUND
** with a message when t keeps no columns (schema "columnar": false, or a
** database not yet upgraded).  Other codes for storage errors. */
int colr_open(remdb *db, const snap_t *snap, const sch_table *t,
              col_reader **out);
void colr_close(col_reader *r); /* NULL is a no-op */
/* A second reader of r's table at r's snapshot that shares r's segment
** headers and deltas (read only), so another thread reads other segments
** without reading them again (the executor's parallel scan).  Close it
** before r. */
int colr_clone(col_reader *r, col_reader **out);

/* Column number of SQL column `name` (ASCII case ignored: "id",
** "created_at", "modified_at", "deleted_at", or a property), or -1 when
** it has no exact column (not scalar, excluded by columnar_fields, or
** holding a value its type cannot represent exactly). */
int colr_find(col_reader *r, const char *name);
enum colv_type colr_type(col_reader *r, int col);

/* Segments: 0 .. colr_nsegs()-1; segment s holds positions
** [s * COL_SEG_ROWS, (s + 1) * COL_SEG_ROWS). */
uint32_t colr_nsegs(col_reader *r);

/* Does segment seg read without deltas to apply?  (Its zone maps are then
** stored; with deltas colr_zone decodes the column to compute them, as
** dear as reading it.) */
bool colr_plain(col_reader *r, uint32_t seg);

/* Zone map of column col in segment seg, deltas included. */
int colr_zone(col_reader *r, uint32_t seg, int col, col_zone *out);

/* Visibility of segment seg: bit i set when position i holds a live row
** (not soft-deleted, not hard-deleted, not a free position).  *n gets the
** segment's positions.  Valid until the reader moves to another segment
** (a colr_visible or colr_read of another seg) or closes. */
int colr_visible(col_reader *r, uint32_t seg, const uint64_t **bits,
                 uint32_t *n);
/* Decoded vector of column col in segment seg (deltas applied).  Same
** lifetime as colr_visible's bitmap. */
int colr_read(col_reader *r, uint32_t seg, int col, col_vec *out);

/* The row position of entity id in this reader's table, for an index
** lookup that reads its columns by position: 0 and *pos, or
** REMDB_NOTFOUND when the snapshot holds no such live row. */
int colr_pos(col_reader *r, const uuid16_t *id, uint64_t *pos);

/* colr_pos for n ids at once: live[i] and pos[i] answer ids[i].  hint
** (NULL: none) proposes positions (an index entry keeps its row's
** position as its value, scan_row.pos_hint; UINT64_MAX: none): a hint is
** taken when the snapshot's id column holds ids[i] live at it, else the
** id directory is read (batched).  0, or a storage error. */
int colr_pos_many(col_reader *r, const uuid16_t *ids, const uint64_t *hint,
                  size_t n, uint64_t *pos, bool *live);

/* Is column col of segment seg decoded in the column cache (reading it
** costs no decode)?  A hint for choosing a route: it may change at once. */
bool colr_cached(col_reader *r, uint32_t seg, int col);

/* One value of a column, as colr_gather gives it. */
typedef struct col_val {
  bool null;
  int64_t i;   /* INT, BOOL, TIME */
  double f;    /* REAL */
  size_t off;  /* TEXT, ID: its bytes are text->p[off .. off + n) */
  uint32_t n;
} col_val;

/* The values of column col at row positions pos[0..n) (live positions of
** this reader, as colr_pos gives them; any order, repeats allowed), deltas
** applied: out[k] for pos[k]; TEXT and ID bytes are appended to *text.
** Reads only the segments the positions fall in (their decoded columns
** from the cache) and does not move the reader's current segment.  0;
** REMDB_NOTFOUND when a value is not of the column's type (the column is
** inexact); or a storage error. */
int colr_gather(col_reader *r, int col, const uint64_t *pos, size_t n,
                col_val *out, buf_t *text);

/* A COLV_TIME value reads in SQL as ts_format's canonical text (the form
** every write normalises a date-time to). */

#endif

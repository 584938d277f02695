/*
** pq.h: Parquet writing, inside src/export (the format is public: see
** the parquet-format specification).
**
**   thrift.c   the Thrift compact protocol (footer and page headers)
**   page.c     a column chunk: values into data pages v1 (definition
**              levels in the RLE/bit-packed hybrid, values PLAIN, or
**              dictionary codes after a dictionary page), compressed,
**              with the chunk's statistics
**   parquet.c  the file: row groups from the columnar copy, the footer,
**              the atomic rename; remdb_export_parquet
**
** Every column is OPTIONAL (max definition level 1, no repetition).
*/
#ifndef REMDB_EXPORT_PQ_H
#define REMDB_EXPORT_PQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/* Parquet physical types and compression codecs (the format's numbers). */
enum pq_type { PQ_BOOLEAN = 0, PQ_INT64 = 2, PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6 };
enum pq_codec { PQ_UNCOMPRESSED = 0, PQ_SNAPPY = 1, PQ_ZSTD = 6 };

/* A page is closed when it holds this many rows or this many value bytes. */
#define PQ_PAGE_ROWS 16384u
#define PQ_PAGE_BYTES (1u << 20)

/* One column chunk being built.  Its pages (header and body each) go to
** out; the caller writes out to the file when the row group ends. */
typedef struct pq_chunk {
  enum pq_type type;
  enum pq_codec codec;
  void *zctx; /* ZSTD_CCtx, made on first use */
  buf_t out;  /* finished pages */
  /* the open page */
  buf_t vals;       /* PLAIN values (booleans: packed bits) */
  uint32_t *defs;   /* definition level per row, 0 NULL / 1 value */
  size_t nrows, cap;
  /* dictionary mode (pq_chunk_dict): the non-NULL values' codes */
  bool dict;
  unsigned width;   /* bits per code */
  uint32_t ndict;   /* entries of the dictionary page */
  size_t dict_size; /* its bytes in out (the first data page follows) */
  uint32_t *codes;
  size_t ncodes;
  size_t nbits;     /* booleans in vals */
  buf_t page, comp; /* scratch: the page body, compressed */
  /* the chunk so far */
  int64_t values;   /* rows, NULLs included */
  int64_t nulls;
  uint64_t raw_size; /* uncompressed pages, headers included */
  bool has;          /* min/max set */
  int64_t imin, imax;
  double fmin, fmax;
  buf_t smin, smax;  /* BYTE_ARRAY */
  bool fail;         /* compression failed or out of memory */
} pq_chunk;

void pq_chunk_init(pq_chunk *c, enum pq_type type, enum pq_codec codec);
void pq_chunk_free(pq_chunk *c);
/* Start a new chunk (keeps the memory). */
void pq_chunk_reset(pq_chunk *c);

/* Append one row's value.  Pages close as they fill. */
void pq_put_null(pq_chunk *c);
void pq_put_i64(pq_chunk *c, int64_t v);  /* INT64 and BOOLEAN (0/1) */
void pq_put_f64(pq_chunk *c, double v);
void pq_put_bytes(pq_chunk *c, const void *p, size_t n);

/* BYTE_ARRAY in dictionary encoding: the chunk (still empty) gets a
** dictionary page holding vals[0..n) (n > 0, distinct, ascending in
** memcmp order: they give the statistics), and its rows are then added
** with pq_put_code (an index into vals) or pq_put_null; its data pages
** are RLE_DICTIONARY. */
void pq_chunk_dict(pq_chunk *c, const char *const *vals, const uint32_t *lens,
                   uint32_t n);
void pq_put_code(pq_chunk *c, uint32_t code);

/* Close the open page (if it has rows).  false: out of memory or a
** compressor failed (c->fail is set; every later call is a no-op). */
bool pq_chunk_finish(pq_chunk *c);

/* Strings longer than this give no min/max statistics (they would go
** into the footer, twice per row group). */
#define PQ_STAT_MAX 4096u

/* The chunk's statistics as PLAIN bytes (min_value and max_value); false
** when there is no non-NULL value, or the string bounds are too long. */
bool pq_chunk_minmax(const pq_chunk *c, unsigned char *ibuf_min,
                     unsigned char *ibuf_max, const void **min, size_t *nmin,
                     const void **max, size_t *nmax);

#endif

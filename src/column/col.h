/*
** col.h: the encodings of a table's columnar copy (issue 11): one column
** of one segment in memory (col_data) and its stored form, plus the
** bitmaps and zone maps.  Pure functions over memory: no storage, no
** schema (core/columns.c keeps the segments; core/colread.h is what the
** executor reads).
**
** Layer: above util only, like record/.
**
** Types (equal to core/colread.h's enum colv_type):
**   COLT_INT   int64                   COLT_TEXT  code into a dictionary
**   COLT_REAL  double                  COLT_TIME  int64 microseconds (UTC)
**   COLT_BOOL  int64 0 or 1            COLT_ID    16 raw bytes
**
** Stored form of one column of one segment (little-endian numbers):
**   u8 version (1), u8 type, u8 flags (1: some NULL, 2: inexact), u8 0,
**   u32 n (positions),
**   if flags & 1: the NULL bitmap, ceil(n / 64) u64 words (bit set: NULL)
**   INT, TIME: frame of reference: i64 min, u64 step (the greatest
**              common divisor of the values minus min, 1 if none), u8
**              width (0..64), then each (value - min) / step packed in
**              `width` bits, in u64 words (ceil(n * width / 64) of them);
**              NULL rows hold min (whole seconds or hours of a date-time
**              column pack in 20 or 32 fewer bits)
**   BOOL:      a bitmap of the true rows, ceil(n / 64) u64 words
**   REAL:      u8 0, then n plain doubles; or u8 1, u8 k (0..4): every
**              value is an integer i over 10^k exactly ((double)i / 10^k
**              gives back its bits), the integers packed as INT
**   TEXT:      u32 ndict, then the dictionary, unique and ascending in
**              memcmp order (so code order is SQL's BINARY order), front
**              coded: per entry varint bytes shared with the previous
**              entry, varint length of the rest, the rest (varints:
**              LEB128); then the codes packed as above with min 0 (u8
**              width, words)
**   ID:        n x 16 bytes
** Chunked form (format 6: a segment that grew by appends, issue 11): u8
** version (2), u8 type, u8 flags (the chunks' flags or-ed), u8 0, u32 n
** (positions, the chunks' sum), u32 k (chunks, >= 1), then k times: u32
** length and a chunk, a column in the form above (version 1) holding the
** next positions.  col_chunk_append appends a chunk (the old bytes copied,
** nothing decoded); col_decode reads either form into one col_data (the
** chunks' TEXT dictionaries merged into one, sorted, codes remapped).
** col_decode checks every length before it reads, so a corrupt value
** gives REMDB_CORRUPT, never a wild read.
*/
#ifndef REMDB_COL_H
#define REMDB_COL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

enum col_type {
  COLT_INT = 0,
  COLT_REAL = 1,
  COLT_BOOL = 2,
  COLT_TEXT = 3,
  COLT_TIME = 4,
  COLT_ID = 5,
};

#define COL_VERSION 1
#define COL_VERSION_CHUNKED 2
#define COL_WORDS(n) (((size_t)(n) + 63) / 64)

static inline bool col_bit(const uint64_t *bits, uint32_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1;
}
static inline void col_bit_set(uint64_t *bits, uint32_t i, bool on) {
  if (on)
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
  else
    bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* One column of one segment.  Every array has n entries (nulls and the
** TEXT/BOOL bitmaps COL_WORDS(n) words); a NULL row's value is 0.  TEXT
** values are codes into dict (dict[c], dlen[c] bytes).  A column under
** construction may hold an unsorted dictionary with unused entries:
** col_finish sorts it, drops the unused ones and renumbers the codes. */
typedef struct col_data {
  uint8_t type;
  bool inexact; /* a row held a value the type cannot represent exactly */
  uint32_t n;
  uint64_t *nulls;
  int64_t *i64;  /* INT, BOOL, TIME */
  double *f64;   /* REAL */
  uint32_t *code; /* TEXT */
  uint8_t (*id)[16];
  /* TEXT dictionary */
  uint32_t ndict, capdict;
  const char **dict; /* valid after col_finish / col_decode */
  uint32_t *dlen;
  uint32_t *doff; /* offsets into arena */
  buf_t arena;
  uint32_t *hash; /* open addressing: code + 1, 0 empty (while building) */
  uint32_t nhash;
  bool sorted;
} col_data;

/* An empty column of n positions, every row NULL.  false on OOM. */
bool col_init(col_data *c, uint8_t type, uint32_t n);
void col_free(col_data *c);
/* c (col_init'ed, of at least n positions since) back to an empty column
** of n positions, every row NULL, its dictionary freed; its value and
** NULL arrays are kept (a merge's scratch reuses them). */
void col_clear(col_data *c, uint32_t n);
/* A deep copy of src (finished) into dst, ready for more col_set_*. */
bool col_copy(col_data *dst, const col_data *src);

void col_set_null(col_data *c, uint32_t i);
void col_set_i64(col_data *c, uint32_t i, int64_t v); /* INT BOOL TIME */
void col_set_f64(col_data *c, uint32_t i, double v);
void col_set_id(col_data *c, uint32_t i, const unsigned char id[16]);
/* TEXT: false on OOM (the row is then NULL). */
bool col_set_text(col_data *c, uint32_t i, const char *p, size_t n);

/* Sort the dictionary of a TEXT column and drop unused entries; no-op
** for other types.  false on OOM. */
bool col_finish(col_data *c);

/* Append the stored form of c (finished) to out. */
void col_encode(const col_data *c, buf_t *out);
/* Decode a stored column (either form) into c (fresh). */
int col_decode(const void *p, size_t len, col_data *c, err_t *e);
/* The chunked form of stored column old (len olen, either form) with
** chunk (a version-1 stored column of the same type, its rows after old's)
** appended, into out.  REMDB_CORRUPT if either header is malformed or the
** types differ, REMDB_NOMEM. */
int col_chunk_append(const void *old, size_t olen, const void *chunk,
                     size_t clen, buf_t *out, err_t *e);
/* Append src's rows to dst (both finished, same type): NULLs, values and,
** for TEXT, the two sorted dictionaries merged into one sorted one (every
** entry of both kept; codes remapped, so code order stays BINARY order).
** dst stays finished.  false on OOM or if the types differ (dst then
** unchanged). */
bool col_concat(col_data *dst, const col_data *src);

/* Bytes c holds in memory (for cache accounting). */
size_t col_bytes(const col_data *c);

/* Zone map of c over the rows set in vis (NULL: every row). */
typedef struct col_zonev {
  uint32_t nulls;
  bool has;
  union {
    int64_t i;
    double f;
  } min, max;
  uint32_t cmin, cmax; /* TEXT: codes of the smallest and largest */
} col_zonev;
void col_zone_calc(const col_data *c, const uint64_t *vis, col_zonev *z);

/* Frame-of-reference bit packing (exposed for tests): pack n values
** v[i] - min in width bits each; width is the least that holds them. */
uint8_t col_for_width(uint64_t maxdelta);
void col_pack(const uint64_t *d, uint32_t n, uint8_t width, buf_t *out);
/* Unpack n values of width bits from p (len bytes); false if too short. */
bool col_unpack(const unsigned char *p, size_t len, uint32_t n, uint8_t width,
                uint64_t *out);

#endif /* REMDB_COL_H */

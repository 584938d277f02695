/*
** idx.h: secondary indexes.  Layer: above util, record and kv; core writes
** the entries, and sql/ encodes values with the OKEY functions for the
** bounds of its scans (it never builds a key).  An index entry is the key
**
**     TID TBL FLD OKEY ID      (value empty; layout in src/kv/kv.h)
**
** where OKEY is the order-preserving encoding of the field's value below.
** memcmp order of OKEY bytes equals SQLite's order of the values:
**
**   0x05                  NULL (also: the field is absent)
**   0x10 D[8] T[2]        a number.  D is the double value with its sign
**                         bit flipped (negatives: all bits flipped), big-
**                         endian; T is int16 (sign-flipped, big-endian),
**                         the integer's distance from D when an int64 is
**                         not exactly a double (|i| > 2^53), else 0.  So
**                         integers and reals share one numeric order, as
**                         in SQL, and booleans index as 0 and 1.
**   0x20 BYTES 0x00 0x01  text (UTF-8, binary order); a 0x00 byte inside
**                         is written 0x00 0xff.  Time stamps are text in
**                         a fixed-width form, so text order is time order.
**                         JSON objects and arrays index as their text.
**
** Each encoding is self-delimiting, so the 16-byte ID that follows can be
** found from the end, and a prefix scan on TID TBL FLD OKEY finds every
** entity with that value.
*/
#ifndef REMDB_IDX_H
#define REMDB_IDX_H

#include <jansson.h>
#include <stdbool.h>

#include "../record/rec.h"
#include "../util/util.h"

enum okey_tag { OKEY_NULL = 0x05, OKEY_NUM = 0x10, OKEY_TEXT = 0x20 };

void okey_null(buf_t *out);
void okey_int(buf_t *out, int64_t i);
void okey_real(buf_t *out, double d);
void okey_text(buf_t *out, const char *p, size_t n);
/* The common prefix of the encodings of every number whose double value is
** d: an int64 beyond 2^53 differs from its nearest double only in the tie
** that follows.  A column SQL reads as REAL (a `number` field) sees them
** all as d, so its lookups scan this prefix (src/sql/plan.c). */
void okey_real_prefix(buf_t *out, double d);
/* The encoding of a record field; f NULL means absent (NULL). */
void okey_field(buf_t *out, const rec_field *f);
/* The encoding of a JSON scalar (null, boolean, number, string).
** REMDB_INVALID for objects and arrays. */
int okey_json(buf_t *out, const json_t *v, err_t *e);

/* A decoded OKEY.  Text is returned unescaped in `text`. */
typedef struct okey_val {
  int tag;
  double d;
  int tie;
} okey_val;

/* Decode one OKEY from p[0..n).  *used gets its length.  REMDB_CORRUPT if
** the bytes are not a valid encoding. */
int okey_decode(const void *p, size_t n, size_t *used, okey_val *v,
                buf_t *text, err_t *e);

/* Append the full index key of field `fld` of record v (NULL: absent). */
void idx_key(buf_t *out, uint32_t tid, uint32_t tbl, uint16_t fld,
             const rec_view *v, const unsigned char id[16]);

#endif /* REMDB_IDX_H */

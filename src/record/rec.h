/*
** rec.h: the entity record format, version 1.  An entity is stored as one
** RocksDB value laid out so that any single field can be read without
** decoding the others: a fixed header, a sorted directory of fixed-width
** slots, then the values back to back.
**
** Layer: above util; used by schema/, index/, core/ and everything that
** reads rows (a scan's row is a rec_view).
**
**   offset 0   u8   format version (REC_VERSION)
**          1   u8   flags (0; reserved)
**          2   u16  n, number of fields (little-endian)
**          4   n x 8-byte slots, sorted by field id, strictly increasing:
**                 u16 field id, u8 type, u8 0, u32 value offset
**        4+8n  body: the values.  Value i spans [offset_i, offset_{i+1})
**              of the body (the last one runs to the end of the record).
**
** Types and value bytes:
**   REC_NULL, REC_FALSE, REC_TRUE  no bytes
**   REC_INT    8 bytes, int64 little-endian
**   REC_REAL   8 bytes, IEEE-754 double little-endian
**   REC_TEXT   UTF-8 bytes (no terminator; readable in place)
**   REC_JSON   compact JSON text of an object or array
**
** Field ids: 1 created_at, 2 modified_at, 3 deleted_at (REC_TEXT time
** stamps in the canonical form of util.h, or absent), 4 the object of
** properties the schema does not declare (REC_JSON), and from 16 up the
** schema's properties.  A table's ids are assigned once and never reused
** (the catalog keeps retired names), so a record stays readable across
** schema replacements.  id and type are not stored: they are in the key.
**
** Field lookup is a binary search over the slots: O(log n), no allocation.
** rec_open checks every structural invariant before any field is read, so
** a corrupt or hostile value yields REMDB_CORRUPT, never a wild read.
*/
#ifndef REMDB_REC_H
#define REMDB_REC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

#define REC_VERSION 1
#define REC_HDR 4
#define REC_SLOT 8
#define REC_MAX_FIELDS 65535

enum rec_type {
  REC_NULL = 0,
  REC_FALSE = 1,
  REC_TRUE = 2,
  REC_INT = 3,
  REC_REAL = 4,
  REC_TEXT = 5,
  REC_JSON = 6,
};

enum rec_sys {
  REC_F_CREATED = 1,
  REC_F_MODIFIED = 2,
  REC_F_DELETED = 3,
  REC_F_EXTRA = 4,
  REC_F_FIRST = 16, /* first property id */
};

typedef struct rec_view {
  const unsigned char *data;
  size_t len;
  uint32_t n;
  const unsigned char *body;
  size_t body_len;
} rec_view;

typedef struct rec_field {
  uint16_t id;
  uint8_t type;
  const char *p; /* points into the record */
  size_t n;
} rec_field;

/* Check the record's structure and make a view of it.  The view borrows
** data, which must outlive it. */
int rec_open(rec_view *v, const void *data, size_t len, err_t *e);
/* The i-th field in id order, i < v->n. */
void rec_at(const rec_view *v, uint32_t i, rec_field *f);
/* Find field id.  false if the record does not hold it. */
bool rec_find(const rec_view *v, uint16_t id, rec_field *f);
int64_t rec_int(const rec_field *f);
double rec_real(const rec_field *f);

/* ---- Field dictionary: names <-> ids of one table ------------------- */
typedef struct rec_dict {
  char **names;      /* names[id], NULL where unused; size cap */
  uint32_t cap;
  uint16_t *slots;   /* open-addressing hash of ids by name */
  uint32_t nslots;
} rec_dict;

void rec_dict_init(rec_dict *d);
void rec_dict_free(rec_dict *d);
/* Assign `name` to `id` (both unused).  false on out of memory. */
bool rec_dict_set(rec_dict *d, uint16_t id, const char *name);
/* The id of name, or 0. */
uint16_t rec_dict_id(const rec_dict *d, const char *name);
const char *rec_dict_name(const rec_dict *d, uint16_t id);

/* ---- Builder ---------------------------------------------------------- */
typedef struct rec_entry {
  uint16_t id;
  uint8_t type;
  bool scratch;  /* value lives in the builder's scratch at `off` */
  const char *p; /* else here */
  size_t off, n;
} rec_entry;

typedef struct rec_builder {
  rec_entry *f;
  uint32_t n, cap;
  buf_t scratch; /* numbers and JSON text of nested values */
} rec_builder;

void rec_builder_init(rec_builder *b);
void rec_builder_free(rec_builder *b);
void rec_builder_reset(rec_builder *b);
/* Add a field; p/n must stay valid until rec_build.  false on OOM. */
bool rec_add(rec_builder *b, uint16_t id, uint8_t type, const void *p,
             size_t n);
/* Add a JSON value (any type) under id, converting it to a record type.
** Nested objects and arrays become compact JSON text. */
int rec_add_json(rec_builder *b, uint16_t id, json_t *v, err_t *e);
/* Encode the fields added so far into out (appended).  Fields must have
** distinct ids; they are sorted here. */
int rec_build(rec_builder *b, buf_t *out, err_t *e);

/* Build a record from a validated entity object: properties found in dict
** go to their ids, the rest into REC_F_EXTRA; the system fields id and type
** are skipped and created/modified/deleted come from the arguments
** (deleted may be NULL). */
int rec_from_json(const rec_dict *d, json_t *obj, const char *created,
                  const char *modified, const char *deleted, buf_t *out,
                  err_t *e);

/* Append the entity as a JSON object: id and type first, then the system
** time stamps, the properties in id order, and the undeclared ones. */
int rec_to_json(const rec_dict *d, const rec_view *v, const char *id,
                const char *type, buf_t *out, err_t *e);

/* Append the JSON form of one field value. */
void rec_field_json(const rec_field *f, buf_t *out);

/* ---- Edge records ------------------------------------------------------
** The value stored under both keys of an edge:
**   u8 version (1), u64 weight (IEEE-754 bits, big-endian),
**   27 bytes created_at (canonical time stamp), then the properties as
**   compact JSON text (an object; empty when the edge has none). */
#define EREC_VERSION 1
#define EREC_HDR (1 + 8 + TS_LEN)

typedef struct erec {
  double weight;
  const char *created; /* TS_LEN bytes, not NUL-terminated */
  const char *props;   /* JSON object text, or NULL */
  size_t props_len;
} erec;

void erec_encode(buf_t *out, double weight, const char *created,
                 const char *props, size_t props_len);
int erec_decode(const void *data, size_t len, erec *out, err_t *e);

#endif /* REMDB_REC_H */

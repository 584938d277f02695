/*
** thrift.h: the Thrift compact protocol, write side only, as Parquet's
** footer and page headers use it (structs, lists, i32/i64, binary, bool).
** A writer appends to a buf_t (its allocation failure is sticky: check
** buf.oom once at the end).  Structs nest up to TH_DEPTH deep.
*/
#ifndef REMDB_EXPORT_THRIFT_H
#define REMDB_EXPORT_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

#define TH_DEPTH 16

/* Compact protocol type codes. */
enum th_type {
  TH_TRUE = 1,
  TH_FALSE = 2,
  TH_I32 = 5,
  TH_I64 = 6,
  TH_BINARY = 8,
  TH_LIST = 9,
  TH_STRUCT = 12,
};

typedef struct th_w {
  buf_t *b;
  int16_t last[TH_DEPTH]; /* last field id written, per open struct */
  int depth;              /* open structs (0: top level) */
} th_w;

void th_init(th_w *w, buf_t *b);
/* Field headers and values in the open struct. */
void th_i32(th_w *w, int16_t id, int32_t v);
void th_i64(th_w *w, int16_t id, int64_t v);
void th_bool(th_w *w, int16_t id, bool v);
void th_bin(th_w *w, int16_t id, const void *p, size_t n);
void th_str(th_w *w, int16_t id, const char *s);
/* A struct field: th_begin(w, id) ... th_end(w).  th_begin(w, 0) opens
** a struct that is not a field (the top-level one, or a list element). */
void th_begin(th_w *w, int16_t id);
void th_end(th_w *w);
/* A list field's header; its n elements follow (structs: th_begin(w, 0)
** ... th_end(w) each; i32s: th_list_i32; strings: th_list_bin). */
void th_list(th_w *w, int16_t id, enum th_type elem, size_t n);
void th_list_i32(th_w *w, int32_t v);
void th_list_bin(th_w *w, const void *p, size_t n);

#endif

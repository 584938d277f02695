/*
** thrift.c: the Thrift compact protocol writer (thrift.h).  Integers are
** zigzag varints; a field header is one byte (id delta << 4 | type) when
** the id is 1..15 above the previous field's, else the type byte and the
** id as a zigzag varint; a struct ends with a 0 byte; a bool field keeps
** its value in the header's type.
*/
#include <string.h>

#include "thrift.h"

static void varint(buf_t *b, uint64_t v) {
  unsigned char tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (unsigned char)v;
  buf_add(b, tmp, n);
}

static uint64_t zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void field(th_w *w, int16_t id, enum th_type t) {
  int16_t *last = &w->last[w->depth];
  int delta = id - *last;
  if (delta > 0 && delta <= 15) {
    buf_addc(w->b, (char)(delta << 4 | t));
  } else {
    buf_addc(w->b, (char)t);
    varint(w->b, zigzag(id));
  }
  *last = id;
}

void th_init(th_w *w, buf_t *b) {
  memset(w, 0, sizeof *w);
  w->b = b;
}

void th_i32(th_w *w, int16_t id, int32_t v) {
  field(w, id, TH_I32);
  varint(w->b, zigzag(v));
}

void th_i64(th_w *w, int16_t id, int64_t v) {
  field(w, id, TH_I64);
  varint(w->b, zigzag(v));
}

void th_bool(th_w *w, int16_t id, bool v) {
  field(w, id, v ? TH_TRUE : TH_FALSE);
}

void th_bin(th_w *w, int16_t id, const void *p, size_t n) {
  field(w, id, TH_BINARY);
  th_list_bin(w, p, n);
}

void th_str(th_w *w, int16_t id, const char *s) { th_bin(w, id, s, strlen(s)); }

void th_begin(th_w *w, int16_t id) {
  if (id) field(w, id, TH_STRUCT);
  if (w->depth + 1 < TH_DEPTH) w->depth++;
  else w->b->oom = true; /* nesting deeper than any caller writes */
  w->last[w->depth] = 0;
}

void th_end(th_w *w) {
  buf_addc(w->b, 0);
  if (w->depth > 0) w->depth--;
}

void th_list(th_w *w, int16_t id, enum th_type elem, size_t n) {
  field(w, id, TH_LIST);
  if (n < 15) {
    buf_addc(w->b, (char)(n << 4 | elem));
  } else {
    buf_addc(w->b, (char)(0xF0 | elem));
    varint(w->b, n);
  }
}

void th_list_i32(th_w *w, int32_t v) { varint(w->b, zigzag(v)); }

void th_list_bin(th_w *w, const void *p, size_t n) {
  varint(w->b, n);
  buf_add(w->b, p, n);
}

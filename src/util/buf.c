/*
** buf.c: the growable byte buffer behind every key, record and JSON text
** remdb builds.  Growth doubles; an allocation failure is remembered in
** `oom` so a long chain of appends needs one check at the end.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void buf_init(buf_t *b) { memset(b, 0, sizeof *b); }

void buf_free(buf_t *b) {
  free(b->p);
  buf_init(b);
}

void buf_reset(buf_t *b) {
  b->len = 0;
  b->oom = false;
}

bool buf_reserve(buf_t *b, size_t extra) {
  if (b->oom) return false;
  if (extra > SIZE_MAX - b->len - 1) {
    b->oom = true;
    return false;
  }
  size_t need = b->len + extra + 1; /* room for a terminating NUL */
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = realloc(b->p, cap);
  if (p == NULL) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

/* Room for n more bytes and a NUL without growing (and no earlier
** failure): the common case of an append, checked before buf_reserve. */
static inline bool has_room(const buf_t *b, size_t n) {
  return !b->oom && n < b->cap - b->len;
}

void buf_add(buf_t *b, const void *p, size_t n) {
  if (n == 0 || (!has_room(b, n) && !buf_reserve(b, n))) return;
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

void buf_addc(buf_t *b, char c) {
  if (!has_room(b, 1) && !buf_reserve(b, 1)) return;
  b->p[b->len++] = c;
}

void buf_adds(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_addf(buf_t *b, const char *fmt, ...) {
  /* format once into the room there is (most texts are short); only a
  ** text that does not fit is formatted again, after growing */
  if (!buf_reserve(b, 64)) return;
  size_t room = b->cap - b->len; /* with its NUL */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->p + b->len, room, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->p[b->len] = '\0';
    return;
  }
  if ((size_t)n >= room) {
    if (!buf_reserve(b, (size_t)n)) {
      b->p[b->len] = '\0';
      return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

void buf_add_u16be(buf_t *b, uint16_t v) {
  unsigned char t[2];
  put_u16be(t, v);
  buf_add(b, t, 2);
}

void buf_add_u32be(buf_t *b, uint32_t v) {
  unsigned char t[4];
  put_u32be(t, v);
  buf_add(b, t, 4);
}

void buf_add_u64be(buf_t *b, uint64_t v) {
  unsigned char t[8];
  put_u64be(t, v);
  buf_add(b, t, 8);
}

void buf_add_json_str(buf_t *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (!buf_reserve(b, n + 2)) return;
  b->p[b->len++] = '"';
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  for (;;) {
    uint64_t bits = 0;
    const unsigned char *q = json_plain_end(p, end, &bits);
    size_t run = (size_t)(q - p);
    /* room for the run, its escape (6 bytes at most) or the closing quote,
    ** written in place (text with many escapes: one call per run) */
    if (b->cap - b->len < run + 8 && !buf_reserve(b, run + 7)) return;
    char *o = b->p + b->len;
    memcpy(o, p, run);
    o += run;
    if (q == end) {
      *o++ = '"';
      b->len = (size_t)(o - b->p);
      return;
    }
    unsigned char c = *q;
    p = q + 1;
    *o++ = '\\';
    switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\n': *o++ = 'n'; break;
      case '\r': *o++ = 'r'; break;
      case '\t': *o++ = 't'; break;
      case '\b': *o++ = 'b'; break;
      case '\f': *o++ = 'f'; break;
      default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    b->len = (size_t)(o - b->p);
  }
}

char *buf_detach(buf_t *b, size_t *len_out) {
  if (!buf_reserve(b, 0)) {
    buf_free(b);
    return NULL;
  }
  b->p[b->len] = '\0';
  char *p = b->p;
  if (len_out) *len_out = b->len;
  buf_init(b);
  return p;
}

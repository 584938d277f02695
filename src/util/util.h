/*
** util.h: small shared pieces used by every layer: the error slot, the
** growable byte buffer, time stamps, UUIDs, the id hash set and UTF-8
** checks.  Nothing here knows about RocksDB, schemas or records.
**
** Layer: the bottom; every other layer may use it (see README "Layout").
*/
#ifndef REMDB_UTIL_H
#define REMDB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* json_plain_end */
#endif

#include "remdb.h"

/* ---- Errors: one slot per handle, filled by whichever layer failed. --- */
typedef struct err {
  int code;
  char msg[512];
} err_t;

/* Set e to (code, formatted message) and return code.  e may be NULL. */
int err_set(err_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the message already in e with "prefix: ". Returns e->code. */
int err_prefix(err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void err_clear(err_t *e);
/* Copy s into out (n bytes) for a message: bytes outside printable ASCII
** become \xNN, and a long s is cut with "...". */
void err_printable(char *out, size_t n, const char *s);
/* Set REMDB_NOMEM with a fixed message. */
int err_nomem(err_t *e);

/* ---- buf: a growable byte buffer.  An allocation failure is sticky: the
** buffer keeps its old contents, `oom` is set, and every later append is a
** no-op, so callers check once at the end. */
typedef struct buf {
  char *p;
  size_t len, cap;
  bool oom;
} buf_t;

void buf_init(buf_t *b);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);          /* len = 0, keep memory, clear oom */
bool buf_reserve(buf_t *b, size_t extra);
void buf_add(buf_t *b, const void *p, size_t n);
void buf_addc(buf_t *b, char c);
void buf_adds(buf_t *b, const char *s);
void buf_addf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_add_u16be(buf_t *b, uint16_t v);
void buf_add_u32be(buf_t *b, uint32_t v);
void buf_add_u64be(buf_t *b, uint64_t v);
/* Append s as the body of a JSON string (quotes included), escaped. */
void buf_add_json_str(buf_t *b, const char *s, size_t n);
/* The end of the run of JSON string bytes at p[0..end - p) that need no
** escape: the first '"', '\\' or byte below 0x20, or end.  Every byte of
** the run is OR-ed into some byte of *bits (a byte >= 0x80 in the run:
** *bits & JSON_HIGH_BITS).
** Sixteen bytes at a time with SSE2 (x86-64's baseline), then eight
** (JSON text is mostly plain runs: a chunk's text is scanned once to build
** its row, once to parse it). */
#define JSON_HIGH_BITS 0x8080808080808080ull
static inline const unsigned char *json_plain_end(const unsigned char *p,
                                                  const unsigned char *end,
                                                  uint64_t *bits) {
  const uint64_t ones = 0x0101010101010101ull, high = ones << 7;
  uint64_t acc = 0;
#if defined(__SSE2__)
  if (end - p >= 16) {
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'),
                  v1f = _mm_set1_epi8(0x1f);
    unsigned hi = 0; /* high bits of the run's bytes */
    do {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
      /* '"', '\\', or a byte <= 0x1f (unsigned: max(v, 0x1f) == 0x1f) */
      __m128i stop = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)),
          _mm_cmpeq_epi8(_mm_max_epu8(v, v1f), v1f));
      unsigned m = (unsigned)_mm_movemask_epi8(stop);
      unsigned h = (unsigned)_mm_movemask_epi8(v);
      if (m) {
        unsigned k = (unsigned)__builtin_ctz(m); /* bytes before it */
        hi |= h & ((1u << k) - 1);
        *bits |= hi ? 0x80 : 0;
        return p + k;
      }
      hi |= h;
      p += 16;
    } while (end - p >= 16);
    if (hi) acc = 0x80;
  }
#endif
  while (end - p >= 8) {
    uint64_t w, q, b;
    memcpy(&w, p, 8);
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    /* a byte of q or b is 0, or one of w is below 0x20: exact as a whole,
    ** and the lowest flagged byte is a true one (borrows only go up) */
    uint64_t t =
        (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) &
        high;
    if (t) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      unsigned k = (unsigned)__builtin_ctzll(t) >> 3; /* bytes before it */
      acc |= w & ((1ull << (k * 8)) - 1);
      p += k;
      goto done;
#else
      break;
#endif
    }
    acc |= w;
    p += 8;
  }
  while (p < end && *p != '"' && *p != '\\' && *p >= 0x20) acc |= *p++;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
done:
#endif
  *bits |= acc;
  return p;
}
/* Make the content NUL-terminated (not counted in len) and hand it over;
** the buffer is left empty.  NULL if the buffer ran out of memory. */
char *buf_detach(buf_t *b, size_t *len_out);

/* ---- Big-endian fixed-width integers (used by every key layout). ---- */
static inline void put_u16be(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}
static inline void put_u32be(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}
static inline uint16_t get_u16be(const unsigned char *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t get_u32be(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void put_u64be(unsigned char *p, uint64_t v) {
  put_u32be(p, (uint32_t)(v >> 32));
  put_u32be(p + 4, (uint32_t)v);
}
static inline uint64_t get_u64be(const unsigned char *p) {
  return ((uint64_t)get_u32be(p) << 32) | get_u32be(p + 4);
}

/* ---- Time: ISO-8601 / RFC 3339 in UTC with microseconds. ------------- */
#define TS_LEN 27 /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */

/* Microseconds since the Unix epoch, now. */
int64_t ts_now(void);
/* Format t as the canonical fixed-width text (TS_LEN chars + NUL).  The
** fixed width makes text order equal time order. */
void ts_format(int64_t t, char out[TS_LEN + 1]);
/* Parse an RFC 3339 date-time (with 'T' or 't', a fraction of up to 9
** digits, and 'Z' or an offset).  Returns false if s is not one. */
bool ts_parse(const char *s, size_t n, int64_t *t_out);
/* ts_parse of the canonical form only (TS_LEN chars, 'Z'): false on any
** other text, faster. */
bool ts_parse_canonical(const char *s, size_t n, int64_t *t_out);
/* True if s is an RFC 3339 full-date (YYYY-MM-DD) that exists. */
bool date_valid(const char *s, size_t n);

/* ---- UUIDs: 16 raw bytes, 36 chars of lowercase canonical text. ------ */
typedef struct uuid {
  unsigned char b[16];
} uuid16_t;

/* A new time-ordered version-7 UUID, increasing within the process.
** Returns false if no entropy was available. */
bool uuid_random(uuid16_t *u);
/* A deterministic UUID (version 8, RFC 9562 "custom") from the 128-bit
** XXH3 hash of data. */
void uuid_from_hash(uuid16_t *u, const void *data, size_t n);
/* Parse canonical 8-4-4-4-12 hex text (either case).  false if invalid. */
bool uuid_parse(const char *s, size_t n, uuid16_t *u);
void uuid_format(const uuid16_t *u, char out[REMDB_ID_LEN + 1]);

/* ---- idmap and idset: the one hash set of 16-byte ids ------------------
** An idmap indexes uint32 values (positions in the caller's arrays) by the
** id each stands for, which the caller keeps: key(ctx, v) returns it.
** Open addressing with linear probing on the XXH3 hash of the id,
** backward-shift deletion (no tombstones); it grows at half full.  An
** idset keeps its ids itself, in insertion order (ids[0..n)), over an
** idmap of their positions.  Users: the HNSW graph's nodes, a write
** transaction's staged versions, a search filter's rows. */
#define IDMAP_NONE UINT32_MAX
typedef const unsigned char *(*idmap_key_fn)(const void *ctx, uint32_t v);
typedef struct idmap {
  uint32_t *slots; /* values, IDMAP_NONE where empty */
  size_t cap, n;
} idmap;
/* The value whose id is id, or IDMAP_NONE. */
uint32_t idmap_find(const idmap *m, const unsigned char id[16],
                    idmap_key_fn key, const void *ctx);
/* Add v (its id not in the map yet).  false if out of memory (unchanged). */
bool idmap_add(idmap *m, uint32_t v, idmap_key_fn key, const void *ctx);
/* Remove v (in the map). */
void idmap_del(idmap *m, uint32_t v, idmap_key_fn key, const void *ctx);
void idmap_free(idmap *m);

typedef struct idset {
  uuid16_t *ids; /* the members, in insertion order */
  size_t n, cap;
  idmap map;
} idset;
#define IDSET_NONE ((size_t)-1)
/* Add id (nothing if present); *pos (if not NULL) gets its position in
** ids.  false if out of memory (the set is unchanged). */
bool idset_add(idset *s, const unsigned char id[16], size_t *pos);
/* The position of id, or IDSET_NONE. */
size_t idset_find(const idset *s, const unsigned char id[16]);
static inline bool idset_has(const idset *s, const unsigned char id[16]) {
  return idset_find(s, id) != IDSET_NONE;
}
/* Empty the set, keeping its memory. */
void idset_clear(idset *s);
void idset_free(idset *s);

/* ---- UTF-8 ------------------------------------------------------------ */
/* Number of code points in s (which the JSON parser has already checked to
** be valid UTF-8). */
size_t utf8_len(const char *s, size_t n);

/* ---- Names ------------------------------------------------------------ */
/* True if s is a safe identifier: [A-Za-z_][A-Za-z0-9_]{0,max-1}. */
bool ident_valid(const char *s, size_t max);

#endif /* REMDB_UTIL_H */

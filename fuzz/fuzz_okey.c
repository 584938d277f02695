/*
** fuzz_okey.c: the order-preserving index encoding (src/index/okey.c).
**
** 1. Decoding: the input as concatenated OKEYs, decoded one after the other
**    as an index scan reads them; each must be refused (REMDB_CORRUPT) or
**    consume between 1 and the remaining bytes.  Text and numbers decoded
**    are encoded again: text must give the same bytes (its encoding is
**    canonical), numbers must decode to the same value.
** 2. Round trips on values taken from the input (8-byte words as int64 and
**    as double, slices as text): okey_int/okey_real/okey_text then
**    okey_decode succeeds, consumes exactly the encoded length and gives the
**    value back.
** 3. Order: for pairs of those values, memcmp order of the encodings equals
**    the values' order (SQL's: NULL < numbers < text; ints and reals
**    compared exactly as numbers; text bytewise, a prefix first).
*/
#include <math.h>

#include "fuzz.h"
#include "index/idx.h"

static int sgn(int c) { return (c > 0) - (c < 0); }

static int cmp_bytes(const buf_t *a, const buf_t *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->p, b->p, n) : 0;
  if (c) return sgn(c);
  return (a->len > b->len) - (a->len < b->len);
}

/* Exact comparison of numbers: long double holds every int64 and every
** double exactly on the platforms this runs on (x86-64, aarch64). */
static int cmp_num(long double a, long double b) { return (a > b) - (a < b); }

static int cmp_text(const char *a, size_t an, const char *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return sgn(c);
  return (an > bn) - (an < bn);
}

static uint64_t ld64(const uint8_t *p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = (u << 8) | p[i];
  return u;
}

static buf_t ea, eb, txt;

/* decode all of b as one OKEY */
static void decode_whole(const buf_t *b, okey_val *v, buf_t *text,
                         const char *what) {
  err_t e;
  size_t used = 0;
  if (text) buf_reset(text);
  int rc = okey_decode(b->p, b->len, &used, v, text, &e);
  FZ_CHECK(rc == REMDB_OK, "%s: encoding does not decode: %s", what, e.msg);
  FZ_CHECK(used == b->len, "%s: decode used %zu of %zu bytes", what, used,
           b->len);
}

static void check_int(int64_t i) {
  okey_val v;
  buf_reset(&ea);
  okey_int(&ea, i);
  decode_whole(&ea, &v, NULL, "okey_int");
  FZ_CHECK(v.tag == OKEY_NUM && (long double)v.d + v.tie == (long double)i,
           "okey_int(%lld) decodes to %.17g%+d", (long long)i, v.d, v.tie);
}

static void check_real(double d) {
  okey_val v;
  buf_reset(&ea);
  okey_real(&ea, d);
  decode_whole(&ea, &v, NULL, "okey_real");
  if (isnan(d)) {
    FZ_CHECK(v.tag == OKEY_NULL, "NaN is not NULL");
    return;
  }
  FZ_CHECK(v.tag == OKEY_NUM && v.d == d && v.tie == 0,
           "okey_real(%.17g) decodes to %.17g%+d", d, v.d, v.tie);
}

static void check_text(const char *p, size_t n) {
  okey_val v;
  buf_reset(&ea);
  okey_text(&ea, p, n);
  decode_whole(&ea, &v, &txt, "okey_text");
  FZ_CHECK(v.tag == OKEY_TEXT && txt.len == n &&
               (n == 0 || memcmp(txt.p, p, n) == 0),
           "okey_text of %zu bytes decodes to %zu other bytes", n, txt.len);
}

/* a value from the input */
typedef struct val {
  int kind; /* 0 null, 1 int, 2 real, 3 text */
  int64_t i;
  double d;
  const char *p;
  size_t n;
} val;

static void encode(buf_t *b, const val *x) {
  buf_reset(b);
  switch (x->kind) {
    case 0: okey_null(b); break;
    case 1: okey_int(b, x->i); break;
    case 2: okey_real(b, x->d); break;
    default: okey_text(b, x->p, x->n); break;
  }
}

/* SQL order of two values; NaN reals are NULL */
static int cmp_val(const val *a, const val *b) {
  int ka = a->kind == 2 && isnan(a->d) ? 0 : a->kind;
  int kb = b->kind == 2 && isnan(b->d) ? 0 : b->kind;
  int ra = ka == 0 ? 0 : ka <= 2 ? 1 : 2, rb = kb == 0 ? 0 : kb <= 2 ? 1 : 2;
  if (ra != rb) return (ra > rb) - (ra < rb);
  if (ra == 0) return 0;
  if (ra == 2) return cmp_text(a->p, a->n, b->p, b->n);
  long double x = ka == 1 ? (long double)a->i : (long double)a->d;
  long double y = kb == 1 ? (long double)b->i : (long double)b->d;
  return cmp_num(x, y);
}

#define MAXV 64
static buf_t enc[MAXV]; /* the encodings of vals[], made once per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* 1. decode concatenated keys */
  const uint8_t *p = data;
  size_t n = size;
  err_t e;
  while (n > 0) {
    okey_val v;
    size_t used = 0;
    buf_reset(&txt);
    int rc = okey_decode(p, n, &used, &v, &txt, &e);
    if (rc != REMDB_OK) {
      FZ_CHECK(rc == REMDB_CORRUPT && e.msg[0], "okey_decode returned %d", rc);
      break;
    }
    FZ_CHECK(used >= 1 && used <= n, "okey_decode used %zu of %zu", used, n);
    FZ_CHECK(v.tag == p[0], "tag %d for byte 0x%02x", v.tag, p[0]);
    if (v.tag == OKEY_TEXT) {
      buf_reset(&eb);
      okey_text(&eb, txt.p, txt.len);
      FZ_CHECK(eb.len == used && memcmp(eb.p, p, used) == 0,
               "text key is not canonical: %zu bytes re-encode to %zu", used,
               eb.len);
    } else if (v.tag == OKEY_NUM) {
      FZ_CHECK(used == 11 && !isnan(v.d), "number key of %zu bytes", used);
      check_real(v.d);
      if (v.tie != 0 && fabs(v.d) < 9223372036854775808.0) {
        long double x = (long double)v.d + v.tie;
        if (x >= -9223372036854775808.0L && x < 9223372036854775808.0L)
          check_int((int64_t)x);
      }
    } else {
      FZ_CHECK(v.tag == OKEY_NULL && used == 1, "tag %d used %zu", v.tag,
               used);
    }
    p += used;
    n -= used;
  }

  /* 2. values from the input: each 8-byte word as an int and a real, and
  ** the input cut at its 0x2c bytes (',') as texts */
  val vals[MAXV];
  int nv = 0;
  vals[nv++] = (val){0, 0, 0, NULL, 0};
  for (size_t off = 0; off + 8 <= size && nv + 2 <= MAXV / 2; off += 8) {
    uint64_t u = ld64(data + off);
    double d;
    memcpy(&d, &u, 8);
    vals[nv++] = (val){1, (int64_t)u, 0, NULL, 0};
    vals[nv++] = (val){2, 0, d, NULL, 0};
    /* neighbours make ties and rounding cases likely */
    if (nv < MAXV / 2 && (int64_t)u != INT64_MAX)
      vals[nv++] = (val){1, (int64_t)u + 1, 0, NULL, 0};
    if (nv < MAXV / 2)
      vals[nv++] = (val){2, 0, (double)(int64_t)u, NULL, 0};
  }
  size_t start = 0;
  for (size_t i = 0; i <= size && nv < MAXV; i++) {
    if (i == size || data[i] == ',') {
      vals[nv++] = (val){3, 0, 0, (const char *)data + start, i - start};
      start = i + 1;
    }
  }
  for (int i = 0; i < nv; i++) {
    switch (vals[i].kind) {
      case 1: check_int(vals[i].i); break;
      case 2: check_real(vals[i].d); break;
      case 3: check_text(vals[i].p, vals[i].n); break;
      default: break;
    }
  }
  /* 3. order of every pair (at most 64 x 64) */
  for (int i = 0; i < nv; i++) encode(&enc[i], &vals[i]);
  for (int i = 0; i < nv; i++)
    for (int j = i; j < nv; j++) {
      const val *a = &vals[i], *b = &vals[j];
      int want = cmp_val(a, b), got = cmp_bytes(&enc[i], &enc[j]);
      FZ_CHECK(want == got,
               "order: kinds %d,%d ints %lld,%lld reals %.17g,%.17g: values "
               "compare %d, keys %d",
               a->kind, b->kind, (long long)a->i, (long long)b->i, a->d, b->d,
               want, got);
    }
  return 0;
}

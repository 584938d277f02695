/* test_okey.c: the order-preserving index encoding.  Values listed in SQL
** order must encode to byte strings in the same memcmp order, equal values
** to equal bytes, and every encoding must decode back. */
#include <math.h>

#include "index/idx.h"
#include "test.h"

typedef struct {
  int kind; /* 0 null, 1 int, 2 real, 3 text */
  long long i;
  double d;
  const char *s;
  size_t n;
} val;

static void enc(buf_t *b, const val *v) {
  switch (v->kind) {
    case 0: okey_null(b); break;
    case 1: okey_int(b, v->i); break;
    case 2: okey_real(b, v->d); break;
    default: okey_text(b, v->s, v->n); break;
  }
}

static int cmp_bytes(const buf_t *a, const buf_t *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->p, b->p, n);
  if (c) return c;
  return (a->len > b->len) - (a->len < b->len);
}

static void test_okey_all(void) {
  /* strictly increasing in SQL order; pairs marked equal below */
  val vs[] = {
      {0, 0, 0, NULL, 0},
      {2, 0, -INFINITY, NULL, 0},
      {2, 0, -1e300, NULL, 0},
      {1, INT64_MIN, 0, NULL, 0},
      {1, INT64_MIN + 1, 0, NULL, 0},
      {1, -9007199254740993LL, 0, NULL, 0},
      {1, -9007199254740992LL, 0, NULL, 0},
      {1, -5, 0, NULL, 0},
      {2, 0, -4.5, NULL, 0},
      {1, -1, 0, NULL, 0},
      {2, 0, -1e-300, NULL, 0},
      {1, 0, 0, NULL, 0},
      {2, 0, 1e-300, NULL, 0},
      {2, 0, 0.5, NULL, 0},
      {1, 1, 0, NULL, 0},
      {2, 0, 1.5, NULL, 0},
      {1, 2, 0, NULL, 0},
      {1, 9007199254740992LL, 0, NULL, 0},
      {1, 9007199254740993LL, 0, NULL, 0},
      {1, 9007199254740994LL, 0, NULL, 0},
      {1, INT64_MAX - 1, 0, NULL, 0},
      {1, INT64_MAX, 0, NULL, 0},
      {2, 0, 9223372036854775808.0, NULL, 0},
      {2, 0, 1e300, NULL, 0},
      {2, 0, INFINITY, NULL, 0},
      {3, 0, 0, "", 0},
      {3, 0, 0, "\0", 1},
      {3, 0, 0, "\0\0", 2},
      {3, 0, 0, "\x01", 1},
      {3, 0, 0, "A", 1},
      {3, 0, 0, "a", 1},
      {3, 0, 0, "a\0", 2},
      {3, 0, 0, "a\0b", 3},
      {3, 0, 0, "a\x01", 2},
      {3, 0, 0, "ab", 2},
      {3, 0, 0, "b", 1},
      {3, 0, 0, "\xc3\xa9", 2},
      {3, 0, 0, "\xf0\x9f\x98\x80", 4},
  };
  size_t n = sizeof vs / sizeof vs[0];
  buf_t a, b, t;
  buf_init(&a);
  buf_init(&b);
  buf_init(&t);
  int bad_order = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      buf_reset(&a);
      buf_reset(&b);
      enc(&a, &vs[i]);
      enc(&b, &vs[j]);
      int c = cmp_bytes(&a, &b);
      int want = (i > j) - (i < j);
      if ((c > 0) - (c < 0) != want) {
        bad_order++;
        fprintf(stderr, "order wrong between #%zu and #%zu\n", i, j);
      }
    }
  CHECK_INT(bad_order, 0);

  /* equal numbers encode equally whatever their type; -0 equals 0 */
  buf_reset(&a);
  buf_reset(&b);
  okey_int(&a, 3);
  okey_real(&b, 3.0);
  CHECK(cmp_bytes(&a, &b) == 0);
  buf_reset(&a);
  buf_reset(&b);
  okey_real(&a, -0.0);
  okey_int(&b, 0);
  CHECK(cmp_bytes(&a, &b) == 0);
  buf_reset(&a);
  okey_real(&a, NAN);
  buf_reset(&b);
  okey_null(&b);
  CHECK(cmp_bytes(&a, &b) == 0);

  /* the prefix of a double: the encodings of every integer whose nearest
  ** double it is start with it, and nothing else does */
  buf_reset(&a);
  okey_real_prefix(&a, 9007199254740992.0);
  CHECK_INT(a.len, 9);
  for (int64_t i = 9007199254740990; i <= 9007199254740994; i++) {
    buf_reset(&b);
    okey_int(&b, i);
    CHECK_INT(b.len == 11 && memcmp(a.p, b.p, 9) == 0,
              (double)i == 9007199254740992.0);
  }
  buf_reset(&a);
  okey_real_prefix(&a, NAN);
  CHECK_INT(a.len, 1);

  /* decoding: every encoding round-trips and reports its length */
  for (size_t i = 0; i < n; i++) {
    buf_reset(&a);
    enc(&a, &vs[i]);
    buf_add(&a, "0123456789abcdef", 16); /* the id that follows */
    okey_val ov;
    size_t used = 0;
    err_t e;
    buf_reset(&t);
    CHECK_INT(okey_decode(a.p, a.len, &used, &ov, &t, &e), REMDB_OK);
    CHECK_INT(used, a.len - 16);
    if (vs[i].kind == 3) {
      CHECK_INT(t.len, vs[i].n);
      CHECK(t.len == 0 || memcmp(t.p, vs[i].s, t.len) == 0);
    } else if (vs[i].kind == 2) {
      CHECK(ov.d == vs[i].d);
    } else if (vs[i].kind == 1) {
      CHECK((long double)ov.d + ov.tie == (long double)vs[i].i);
    }
    /* truncations are errors, never overreads */
    for (size_t k = 0; k < a.len - 16; k++) {
      char *copy = malloc(k ? k : 1);
      memcpy(copy, a.p, k);
      CHECK(okey_decode(copy, k, &used, &ov, NULL, &e) != REMDB_OK);
      free(copy);
    }
  }
  err_t e;
  okey_val ov;
  size_t used;
  CHECK(okey_decode("\x77", 1, &used, &ov, NULL, &e) == REMDB_CORRUPT);
  CHECK(okey_decode("\x20" "ab\0\x02", 5, &used, &ov, NULL, &e) ==
        REMDB_CORRUPT);
  buf_free(&a);
  buf_free(&b);
  buf_free(&t);
}

int main(int argc, char **argv) {
  TEST_CASE(test_okey_all);
  int rc_ = test_main(argc, argv, "test_okey");
  return rc_;
}

/*
** okey.c: the order-preserving value encoding of index keys (see idx.h).
*/
#include <math.h>
#include <string.h>

#include "idx.h"
#include "../kv/kv.h"

void okey_null(buf_t *out) { buf_addc(out, (char)OKEY_NULL); }

/* n is 11, or 9 for the prefix without the tie */
static void num(buf_t *out, double d, int tie, size_t n) {
  uint64_t u;
  if (d == 0) d = 0; /* -0.0 sorts with +0.0 */
  memcpy(&u, &d, 8);
  u = (u >> 63) ? ~u : (u | (1ull << 63));
  unsigned char t[11];
  t[0] = OKEY_NUM;
  put_u64be(t + 1, u);
  put_u16be(t + 9, (uint16_t)(tie + 32768));
  buf_add(out, t, n);
}

void okey_real(buf_t *out, double d) {
  if (isnan(d)) {
    okey_null(out); /* SQL treats NaN as NULL */
    return;
  }
  num(out, d, 0, 11);
}

void okey_real_prefix(buf_t *out, double d) {
  if (isnan(d)) {
    okey_null(out);
    return;
  }
  num(out, d, 0, 9);
}

void okey_int(buf_t *out, int64_t i) {
  double d = (double)i;
  /* (double)i rounds to nearest; the remainder is tiny (|r| <= 1024) and
  ** computed in 128 bits because d may be 2^63, outside int64. */
  __int128 r = (__int128)i - (__int128)d;
  num(out, d, (int)r, 11);
}

void okey_text(buf_t *out, const char *p, size_t n) {
  buf_addc(out, (char)OKEY_TEXT);
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) continue;
    buf_add(out, p + run, i - run + 1);
    buf_addc(out, (char)0xff);
    run = i + 1;
  }
  buf_add(out, p + run, n - run);
  buf_add(out, "\0\1", 2);
}

void okey_field(buf_t *out, const rec_field *f) {
  if (f == NULL) {
    okey_null(out);
    return;
  }
  switch (f->type) {
    case REC_NULL: okey_null(out); break;
    case REC_FALSE: okey_int(out, 0); break;
    case REC_TRUE: okey_int(out, 1); break;
    case REC_INT: okey_int(out, rec_int(f)); break;
    case REC_REAL: okey_real(out, rec_real(f)); break;
    default: okey_text(out, f->p, f->n); break;
  }
}

int okey_json(buf_t *out, const json_t *v, err_t *e) {
  switch (json_typeof(v)) {
    case JSON_NULL: okey_null(out); break;
    case JSON_TRUE: okey_int(out, 1); break;
    case JSON_FALSE: okey_int(out, 0); break;
    case JSON_INTEGER: okey_int(out, json_integer_value(v)); break;
    case JSON_REAL: okey_real(out, json_real_value(v)); break;
    case JSON_STRING:
      okey_text(out, json_string_value(v), json_string_length(v));
      break;
    default:
      return err_set(e, REMDB_INVALID,
                     "index lookups take a scalar, not an object or array");
  }
  return REMDB_OK;
}

int okey_decode(const void *vp, size_t n, size_t *used, okey_val *v,
                buf_t *text, err_t *e) {
  const unsigned char *p = vp;
  if (n == 0) return err_set(e, REMDB_CORRUPT, "index key: empty value");
  v->tag = p[0];
  v->d = 0;
  v->tie = 0;
  switch (p[0]) {
    case OKEY_NULL: *used = 1; return REMDB_OK;
    case OKEY_NUM: {
      if (n < 11) return err_set(e, REMDB_CORRUPT, "index key: short number");
      uint64_t u = get_u64be(p + 1);
      u = (u >> 63) ? (u & ~(1ull << 63)) : ~u;
      memcpy(&v->d, &u, 8);
      v->tie = (int)get_u16be(p + 9) - 32768;
      if (isnan(v->d) || v->tie < -1024 || v->tie > 1024 ||
          (v->tie != 0 && fabs(v->d) < 9007199254740992.0))
        return err_set(e, REMDB_CORRUPT, "index key: bad number");
      *used = 11;
      return REMDB_OK;
    }
    case OKEY_TEXT: {
      for (size_t i = 1; i < n; i++) {
        if (p[i] != 0) {
          if (text) buf_addc(text, (char)p[i]);
          continue;
        }
        if (i + 1 >= n) break;
        if (p[i + 1] == 0x01) {
          *used = i + 2;
          return REMDB_OK;
        }
        if (p[i + 1] != 0xff) break;
        if (text) buf_addc(text, 0);
        i++;
      }
      return err_set(e, REMDB_CORRUPT, "index key: unterminated text");
    }
    default:
      return err_set(e, REMDB_CORRUPT, "index key: unknown tag 0x%02x", p[0]);
  }
}

void idx_key(buf_t *out, uint32_t tid, uint32_t tbl, uint16_t fld,
             const rec_view *v, const unsigned char id[16]) {
  unsigned char pre[10];
  key_index_field(pre, tid, tbl, fld);
  buf_add(out, pre, sizeof pre);
  rec_field f;
  okey_field(out, v && rec_find(v, fld, &f) ? &f : NULL);
  buf_add(out, id, 16);
}

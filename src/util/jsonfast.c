/*
** jsonfast.c: the fast path of JSON parsing (see jsonfast.h).  Every
** doubt returns NULL: the caller then asks jansson.
*/
#include "jsonfast.h"
#include "util.h"

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JF_MAX_DEPTH 128 /* deeper: jansson decides (its limit is 2048) */

typedef struct jf {
  const unsigned char *p, *end;
  char *scratch; /* decoded strings with escapes */
  size_t cap;
} jf;

static void skip_ws(jf *s) {
  while (s->p < s->end &&
         (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
    s->p++;
}

static int hex4(const unsigned char *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  *out = v;
  return 0;
}

static bool reserve(jf *s, size_t n) {
  if (n <= s->cap) return true;
  size_t cap = s->cap ? s->cap : 256;
  while (cap < n) cap *= 2;
  char *b = realloc(s->scratch, cap);
  if (!b) return false;
  s->scratch = b;
  s->cap = cap;
  return true;
}

/* The string at s->p (just past its opening quote): *out and *n point at
** its bytes (the document's, or the scratch buffer's when it has escapes),
** *ascii tells whether all are below 0x80.  -1: declined. */
static int scan_string(jf *s, const char **out, size_t *n, bool *ascii) {
  const unsigned char *p = s->p, *end = s->end;
  uint64_t hi = 0;
  const unsigned char *start = p;
  p = json_plain_end(p, end, &hi);
  if (p >= end || *p < 0x20) return -1;
  if (*p == '"') {
    *out = (const char *)start;
    *n = (size_t)(p - start);
    *ascii = !(hi & JSON_HIGH_BITS);
    s->p = p + 1;
    return 0;
  }
  /* escapes: decode into the scratch buffer (never longer than the text) */
  size_t w = (size_t)(p - start);
  if (!reserve(s, (size_t)(end - start))) return -1;
  memcpy(s->scratch, start, w);
  unsigned char *o = (unsigned char *)s->scratch;
  while (p < end && *p != '"') {
    unsigned char c = *p;
    if (c < 0x20) return -1;
    if (c != '\\') { /* a run that needs no escape */
      const unsigned char *q = json_plain_end(p, end, &hi);
      memcpy(o + w, p, (size_t)(q - p));
      w += (size_t)(q - p);
      p = q;
      continue;
    }
    if (p + 1 >= end) return -1;
    c = p[1];
    p += 2;
    switch (c) {
      case '"': o[w++] = '"'; break;
      case '\\': o[w++] = '\\'; break;
      case '/': o[w++] = '/'; break;
      case 'b': o[w++] = '\b'; break;
      case 'f': o[w++] = '\f'; break;
      case 'n': o[w++] = '\n'; break;
      case 'r': o[w++] = '\r'; break;
      case 't': o[w++] = '\t'; break;
      case 'u': {
        uint32_t u, lo;
        if (end - p < 4 || hex4(p, &u)) return -1;
        p += 4;
        if (u == 0) return -1; /* jansson refuses it: its message */
        if (u >= 0xDC00 && u <= 0xDFFF) return -1;
        if (u >= 0xD800 && u <= 0xDBFF) {
          if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) ||
              lo < 0xDC00 || lo > 0xDFFF)
            return -1;
          p += 6;
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        /* \uXXXX is 6 bytes of input for at most 3 of output, a pair 12
        ** for 4: the scratch (input length) always has room */
        if (u < 0x80) {
          o[w++] = (unsigned char)u;
        } else if (u < 0x800) {
          o[w++] = (unsigned char)(0xC0 | (u >> 6));
          o[w++] = (unsigned char)(0x80 | (u & 0x3F));
          hi = 0x80;
        } else if (u < 0x10000) {
          o[w++] = (unsigned char)(0xE0 | (u >> 12));
          o[w++] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
          o[w++] = (unsigned char)(0x80 | (u & 0x3F));
          hi = 0x80;
        } else {
          o[w++] = (unsigned char)(0xF0 | (u >> 18));
          o[w++] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
          o[w++] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
          o[w++] = (unsigned char)(0x80 | (u & 0x3F));
          hi = 0x80;
        }
        break;
      }
      default: return -1;
    }
  }
  if (p >= end) return -1;
  s->p = p + 1;
  *out = s->scratch;
  *n = w;
  *ascii = !(hi & JSON_HIGH_BITS);
  return 0;
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static json_t *parse_number(jf *s) {
  const unsigned char *p = s->p, *end = s->end, *start = p;
  bool neg = false, real = false;
  if (p < end && *p == '-') {
    neg = true;
    p++;
  }
  if (p >= end || !is_digit(*p)) return NULL;
  if (*p == '0') {
    p++;
    if (p < end && is_digit(*p)) return NULL;
  } else {
    while (p < end && is_digit(*p)) p++;
  }
  size_t ndig = (size_t)(p - start) - neg;
  if (p < end && *p == '.') {
    real = true;
    p++;
    if (p >= end || !is_digit(*p)) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    real = true;
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || !is_digit(*p)) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  s->p = p;
  if (!real) {
    if (ndig > 19) return NULL; /* out of range: jansson's error */
    uint64_t v = 0; /* 19 digits fit */
    for (const unsigned char *q = start + neg; q < p; q++)
      v = v * 10 + (uint64_t)(*q - '0');
    if (v > (uint64_t)INT64_MAX + neg) return NULL; /* as strtoll's ERANGE */
    return json_integer(neg ? (json_int_t)(0 - v) : (json_int_t)v);
  }
  char tmp[64];
  size_t len = (size_t)(p - start);
  if (len >= sizeof tmp) return NULL;
  memcpy(tmp, start, len);
  tmp[len] = 0;
  char *e;
  double d = strtod(tmp, &e);
  if (e != tmp + len || d > 1.7976931348623157e308 ||
      d < -1.7976931348623157e308)
    return NULL; /* overflow: jansson's error */
  return json_real(d);
}

static json_t *parse_value(jf *s, int depth);

static json_t *parse_object(jf *s, int depth) {
  json_t *o = json_object();
  if (!o) return NULL;
  skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    return o;
  }
  for (;;) {
    skip_ws(s);
    if (s->p >= s->end || *s->p != '"') goto fail;
    s->p++;
    const char *k;
    size_t kn;
    bool ascii;
    if (scan_string(s, &k, &kn, &ascii)) goto fail;
    /* the key may live in the scratch buffer, which the value's strings
    ** reuse: copy it when it does */
    char kbuf[64];
    char *kheap = NULL;
    if (k == s->scratch) {
      if (kn < sizeof kbuf) {
        memcpy(kbuf, k, kn);
        k = kbuf;
      } else {
        kheap = malloc(kn);
        if (!kheap) goto fail;
        memcpy(kheap, k, kn);
        k = kheap;
      }
    }
    skip_ws(s);
    json_t *v = NULL;
    if (s->p < s->end && *s->p == ':') {
      s->p++;
      v = parse_value(s, depth + 1);
    }
    int rc = -1;
    if (v && json_object_getn(o, k, kn) == NULL)
      rc = ascii ? json_object_setn_new_nocheck(o, k, kn, v)
                 : json_object_setn_new(o, k, kn, v);
    else
      json_decref(v); /* a duplicate key, or nothing: jansson decides */
    free(kheap);
    if (rc) goto fail;
    skip_ws(s);
    if (s->p >= s->end) goto fail;
    if (*s->p == ',') {
      s->p++;
      continue;
    }
    if (*s->p == '}') {
      s->p++;
      return o;
    }
    goto fail;
  }
fail:
  json_decref(o);
  return NULL;
}

static json_t *parse_array(jf *s, int depth) {
  json_t *a = json_array();
  if (!a) return NULL;
  skip_ws(s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    return a;
  }
  for (;;) {
    json_t *v = parse_value(s, depth + 1);
    if (!v || json_array_append_new(a, v)) goto fail;
    skip_ws(s);
    if (s->p >= s->end) goto fail;
    if (*s->p == ',') {
      s->p++;
      continue;
    }
    if (*s->p == ']') {
      s->p++;
      return a;
    }
    goto fail;
  }
fail:
  json_decref(a);
  return NULL;
}

static bool word(jf *s, const char *w, size_t n) {
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0) return false;
  s->p += n;
  return true;
}

static json_t *parse_value(jf *s, int depth) {
  if (depth > JF_MAX_DEPTH) return NULL;
  skip_ws(s);
  if (s->p >= s->end) return NULL;
  switch (*s->p) {
    case '{': s->p++; return parse_object(s, depth);
    case '[': s->p++; return parse_array(s, depth);
    case '"': {
      s->p++;
      const char *v;
      size_t n;
      bool ascii;
      if (scan_string(s, &v, &n, &ascii)) return NULL;
      /* non-ASCII: json_stringn checks the UTF-8 (NULL: jansson's error) */
      return ascii ? json_stringn_nocheck(v, n) : json_stringn(v, n);
    }
    case 't': return word(s, "true", 4) ? json_true() : NULL;
    case 'f': return word(s, "false", 5) ? json_false() : NULL;
    case 'n': return word(s, "null", 4) ? json_null() : NULL;
    default: return parse_number(s);
  }
}

json_t *json_fast_load(const char *json, size_t len) {
  /* strtod reads reals: the locale's decimal point must be '.' */
  const struct lconv *lc = localeconv();
  if (!lc || !lc->decimal_point || strcmp(lc->decimal_point, ".") != 0 ||
      json == NULL)
    return NULL;
  jf s = {(const unsigned char *)json, (const unsigned char *)json + len,
          NULL, 0};
  skip_ws(&s);
  json_t *v = NULL;
  if (s.p < s.end && (*s.p == '{' || *s.p == '[')) v = parse_value(&s, 0);
  if (v) {
    skip_ws(&s);
    if (s.p != s.end) { /* trailing bytes: jansson's error */
      json_decref(v);
      v = NULL;
    }
  }
  free(s.scratch);
  return v;
}

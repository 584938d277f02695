/*
** json.c: the output buffer and the JSON text of SQL rows (json.h), for
** the CLI and the server.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static bool sb_grow(sbuf *b, size_t more) {
  if (b->oom) return false;
  if (b->n + more + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + more + 1) {
    if (cap > SIZE_MAX / 2) {
      b->oom = true;
      return false;
    }
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (p == NULL) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void sb_add(sbuf *b, const char *s, size_t n) {
  if (!sb_grow(b, n)) return;
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

void sb_adds(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_addc(sbuf *b, char c) {
  if (!sb_grow(b, 1)) return;
  b->p[b->n++] = c;
  b->p[b->n] = 0;
}

void sb_addf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !sb_grow(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x3fu >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void sb_json_str(sbuf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  sb_addc(b, '"');
  size_t run = 0; /* start of the pending plain bytes */
  for (size_t i = 0; i < n;) {
    unsigned c = u[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
      i++;
      continue;
    }
    size_t ul = c >= 0x80 ? utf8_len(u + i, n - i) : 0;
    if (ul) {
      i += ul;
      continue;
    }
    sb_add(b, s + run, i - run);
    char esc[8] = {'\\', 0};
    size_t el = 2;
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default:
        if (c >= 0x80) { /* invalid UTF-8: U+FFFD, as the CLI writes it */
          memcpy(esc, "\xef\xbf\xbd", 3);
          el = 3;
        } else {
          memcpy(esc, "\\u00", 4);
          esc[4] = hex[c >> 4];
          esc[5] = hex[c & 15];
          el = 6;
        }
    }
    sb_add(b, esc, el);
    i++;
    run = i;
  }
  sb_add(b, s + run, n - run);
  sb_addc(b, '"');
}

static void json_double(sbuf *b, double d) {
  if (!isfinite(d)) {
    sb_adds(b, "null");
    return;
  }
  char t[40];
  for (int p = 15; p <= 17; p++) {
    snprintf(t, sizeof t, "%.*g", p, d);
    if (strtod(t, NULL) == d) break;
  }
  /* a REAL keeps a decimal point, so typed clients keep the type */
  if (strpbrk(t, ".eE") == NULL) strcat(t, ".0");
  sb_adds(b, t);
}

void sb_base64(sbuf *b, const unsigned char *p, size_t n) {
  static const char t[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    char q[4] = {t[v >> 18 & 63], t[v >> 12 & 63],
                 i + 1 < n ? t[v >> 6 & 63] : '=', i + 2 < n ? t[v & 63] : '='};
    sb_add(b, q, 4);
  }
}

void sb_json_row(sbuf *b, remdb_stmt *st) {
  int ncol = remdb_column_count(st);
  sb_addc(b, '{');
  for (int i = 0; i < ncol; i++) {
    const char *name = remdb_column_name(st, i);
    if (i) sb_addc(b, ',');
    sb_json_str(b, name ? name : "", name ? strlen(name) : 0);
    sb_addc(b, ':');
    switch (remdb_column_type(st, i)) {
      case REMDB_NULL: sb_adds(b, "null"); break;
      case REMDB_INTEGER:
        sb_addf(b, "%lld", (long long)remdb_column_int64(st, i));
        break;
      case REMDB_FLOAT: json_double(b, remdb_column_double(st, i)); break;
      case REMDB_BLOB: {
        size_t n = 0;
        const char *t = remdb_column_text(st, i, &n);
        sb_addc(b, '"');
        sb_base64(b, (const unsigned char *)(t ? t : ""), t ? n : 0);
        sb_addc(b, '"');
        break;
      }
      default: {
        size_t n = 0;
        const char *t = remdb_column_text(st, i, &n);
        sb_json_str(b, t ? t : "", t ? n : 0);
      }
    }
  }
  sb_addc(b, '}');
}

char *sb_take(sbuf *b, size_t *len) {
  char *p = b->p;
  if (len) *len = b->n;
  if (b->oom) {
    free(p);
    p = NULL;
  } else if (p == NULL) {
    p = calloc(1, 1);
  }
  b->oom = false;
  b->p = NULL;
  b->n = b->cap = 0;
  return p;
}

void sb_free(sbuf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

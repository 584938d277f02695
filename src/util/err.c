/*
** err.c: the error slot.  Every layer reports failure by filling an err_t
** and returning its code, so a message is composed once, where the facts
** are known, and travels up unchanged (optionally with a prefix).
*/
#include <stdio.h>
#include <string.h>

#include "util.h"

int err_set(err_t *e, int code, const char *fmt, ...) {
  if (e == NULL) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  e->code = code;
  return code;
}

int err_prefix(err_t *e, const char *fmt, ...) {
  char pre[256], old[sizeof e->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  /* a message too long for the slot is cut, deliberately */
  if (snprintf(e->msg, sizeof e->msg, "%s: %s", pre, old) < 0) e->msg[0] = 0;
  return e->code;
}

void err_clear(err_t *e) {
  e->code = REMDB_OK;
  e->msg[0] = '\0';
}

int err_nomem(err_t *e) { return err_set(e, REMDB_NOMEM, "out of memory"); }

void err_printable(char *out, size_t n, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (; *s && o + 5 < n; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c < 0x7f) {
      out[o++] = (char)c;
    } else {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  if (*s && n >= 4) {
    o = o + 4 <= n ? o : n - 4;
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o < n ? o : n - 1] = '\0';
}

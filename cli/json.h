/*
** json.h: a growable output buffer and the JSON text of SQL rows, shared
** by the CLI's json/jsonl/csv output and the server (server/), so both
** print a row byte for byte alike.  Uses only remdb.h.
*/
#ifndef REMDB_CLI_JSON_H
#define REMDB_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "remdb.h"

/* ---- output buffer ---------------------------------------------------- */

/* A growable byte buffer, always NUL-terminated once anything was added.
** After an allocation failure `oom` is set and further adds do nothing. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool oom;
} sbuf;

void sb_add(sbuf *b, const char *s, size_t n);
void sb_adds(sbuf *b, const char *s);
void sb_addc(sbuf *b, char c);
void sb_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s (n bytes) in base64 (RFC 4648, padded), without quotes. */
void sb_base64(sbuf *b, const unsigned char *p, size_t n);
/* A JSON string literal of s (n bytes); invalid UTF-8 becomes U+FFFD. */
void sb_json_str(sbuf *b, const char *s, size_t n);
/* The current row of st as a JSON object keyed by column name: NULL as
** null, a REAL always with a '.' or exponent (non-finite: null), a BLOB as
** a base64 string, text with invalid UTF-8 replaced.  `remdb sql --format
** json/jsonl` and the server's SQL rows both print it. */
void sb_json_row(sbuf *b, remdb_stmt *st);
/* Take the buffer (malloc'd, caller frees); b is empty afterwards. */
char *sb_take(sbuf *b, size_t *len);
void sb_free(sbuf *b);

#endif

/*
** sqlcheck.c: what a SQL statement does, judged from its keywords.
**
** The public API cannot tell whether a prepared statement writes, so the
** MCP sql tool's read-only mode (and the HTTP server's refusal of CREATE
** and DROP) reads the statement's keywords instead: strings, quoted
** identifiers, comments and everything inside parentheses are skipped.
** A statement is a read when it starts with SELECT, VALUES, LOOKUP,
** SEARCH or TRAVERSE; WITH is followed through its common table
** expressions (which sit in parentheses) to the statement they serve, so
** `WITH x AS (SELECT ...) DELETE FROM t ...` is a write; EXPLAIN (which in
** remdb runs its statement) is judged by the statement after it.  Anything
** unrecognised is SQL_OTHER, so an unknown form is never taken for a read.
*/
#include <ctype.h>
#include <string.h>

#include "server.h"

typedef struct lex {
  const char *s;
  size_t n, i;
  int depth;
} lex;

/* The next word at parenthesis depth 0 of the statement, copied upper case
** into w (truncated to 31 bytes); false at the end of the statement.
** *other is set when a token other than a word comes first. */
static bool next_word(lex *l, char w[32], bool *other) {
  *other = false;
  while (l->i < l->n) {
    unsigned char c = (unsigned char)l->s[l->i];
    if (isspace(c)) {
      l->i++;
    } else if (c == '-' && l->i + 1 < l->n && l->s[l->i + 1] == '-') {
      while (l->i < l->n && l->s[l->i] != '\n') l->i++;
    } else if (c == '/' && l->i + 1 < l->n && l->s[l->i + 1] == '*') {
      l->i += 2;
      while (l->i < l->n &&
             !(l->s[l->i] == '*' && l->i + 1 < l->n && l->s[l->i + 1] == '/'))
        l->i++;
      l->i = l->i + 2 > l->n ? l->n : l->i + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : (char)c;
      l->i++;
      while (l->i < l->n) {
        if (l->s[l->i] == close) {
          /* a doubled quote is an escaped one (not for [...]) */
          if (close != ']' && l->i + 1 < l->n && l->s[l->i + 1] == close) {
            l->i += 2;
            continue;
          }
          break;
        }
        l->i++;
      }
      if (l->i < l->n) l->i++;
      if (l->depth == 0) *other = true;
    } else if (c == '(') {
      l->depth++;
      l->i++;
    } else if (c == ')') {
      if (l->depth > 0) l->depth--;
      l->i++;
    } else if (c == ';' && l->depth == 0) {
      l->n = l->i; /* the end of the first statement */
      return false;
    } else if (isalpha(c) || c == '_' || c >= 0x80) {
      size_t k = 0;
      while (l->i < l->n) {
        unsigned char d = (unsigned char)l->s[l->i];
        if (!(isalnum(d) || d == '_' || d == '$' || d >= 0x80)) break;
        if (k < 31) w[k++] = (char)toupper(d);
        l->i++;
      }
      w[k] = 0;
      if (l->depth == 0) return true;
    } else {
      l->i++;
      if (l->depth == 0) *other = true;
    }
  }
  return false;
}

static bool is(const char *w, const char *kw) { return strcmp(w, kw) == 0; }

static enum sql_kind kind_of(const char *w) {
  if (is(w, "SELECT") || is(w, "VALUES") || is(w, "LOOKUP") ||
      is(w, "SEARCH") || is(w, "TRAVERSE"))
    return SQL_READ;
  if (is(w, "INSERT") || is(w, "UPDATE") || is(w, "DELETE") ||
      is(w, "REPLACE"))
    return SQL_WRITE;
  return SQL_OTHER;
}

static void put_kw(char *kw, const char *w) {
  if (kw) {
    strncpy(kw, w, 15);
    kw[15] = 0;
  }
}

enum sql_kind srv_sql_kind(const char *sql, size_t len, char *kw) {
  lex l = {.s = sql, .n = len};
  char w[32];
  bool other;
  put_kw(kw, "");
  if (!next_word(&l, w, &other) || other) return SQL_OTHER;
  if (is(w, "EXPLAIN")) {
    if (!next_word(&l, w, &other) || other) return SQL_OTHER;
    if (is(w, "QUERY")) {
      if (!next_word(&l, w, &other) || other || !is(w, "PLAN"))
        return SQL_OTHER;
      if (!next_word(&l, w, &other) || other) return SQL_OTHER;
    }
  }
  put_kw(kw, w);
  if (!is(w, "WITH")) return kind_of(w);
  /* WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (...), ...:
  ** the first top-level SELECT/VALUES/INSERT/UPDATE/DELETE/REPLACE is the
  ** statement the expressions serve */
  while (next_word(&l, w, &other)) {
    enum sql_kind k = kind_of(w);
    if (k != SQL_OTHER && !is(w, "LOOKUP") && !is(w, "SEARCH") &&
        !is(w, "TRAVERSE")) {
      put_kw(kw, w);
      return k;
    }
  }
  return SQL_OTHER;
}

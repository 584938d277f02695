/*
** dialect.c: the REM extensions to SQL.
**
**   LOOKUP 'k1', 'k2', ...
**   SEARCH 'text' IN table [WHERE predicate] [LIMIT n]
**   TRAVERSE FROM 'id' DEPTH n DIRECTION out|in|both [TYPE 'rel']
**   ... WHERE embedding.cosine('text' | '[v1, v2, ...]') ...
**       (also embedding.inner_product and embedding.l2)
**
** This file recognises and checks their syntax.  TRAVERSE, LOOKUP and
** SEARCH are rewritten into queries of the traverse(), lookup() and
** search() table-valued functions (tvf.c).  embedding.<metric>() inside a
** WHERE clause arrives with the vector planner; until then it is refused
** with a message that says so, and any malformed statement with the
** position of the mistake.
*/
#include <ctype.h>
#include <string.h>

#include "sql.h"

typedef struct tok {
  enum { T_END, T_WORD, T_STRING, T_NUMBER, T_PUNCT } kind;
  const char *p;
  size_t n;
} tok;

typedef struct lexer {
  const char *s;
  size_t len, pos;
} lexer;

static void skip_space(lexer *l) {
  for (;;) {
    while (l->pos < l->len && isspace((unsigned char)l->s[l->pos])) l->pos++;
    if (l->pos + 1 < l->len && l->s[l->pos] == '-' && l->s[l->pos + 1] == '-') {
      while (l->pos < l->len && l->s[l->pos] != '\n') l->pos++;
      continue;
    }
    if (l->pos + 1 < l->len && l->s[l->pos] == '/' && l->s[l->pos + 1] == '*') {
      const char *e = NULL;
      for (size_t i = l->pos + 2; i + 1 < l->len; i++)
        if (l->s[i] == '*' && l->s[i + 1] == '/') {
          e = l->s + i;
          break;
        }
      l->pos = e ? (size_t)(e - l->s) + 2 : l->len;
      continue;
    }
    return;
  }
}

/* Next token; quoted strings and identifiers include their quotes. */
static tok next(lexer *l) {
  skip_space(l);
  tok t = {T_END, l->s + l->pos, 0};
  if (l->pos >= l->len) return t;
  char c = l->s[l->pos];
  size_t start = l->pos;
  if (c == '\'' || c == '"' || c == '`' || c == '[') {
    char close = c == '[' ? ']' : c;
    l->pos++;
    while (l->pos < l->len) {
      if (l->s[l->pos] == close) {
        if (close != ']' && l->pos + 1 < l->len && l->s[l->pos + 1] == close) {
          l->pos += 2;
          continue;
        }
        break;
      }
      l->pos++;
    }
    if (l->pos < l->len) l->pos++;
    t.kind = c == '\'' ? T_STRING : T_WORD;
  } else if (isalpha((unsigned char)c) || c == '_') {
    while (l->pos < l->len &&
           (isalnum((unsigned char)l->s[l->pos]) || l->s[l->pos] == '_'))
      l->pos++;
    t.kind = T_WORD;
  } else if (isdigit((unsigned char)c)) {
    while (l->pos < l->len && isdigit((unsigned char)l->s[l->pos])) l->pos++;
    t.kind = T_NUMBER;
  } else {
    l->pos++;
    t.kind = T_PUNCT;
  }
  t.p = l->s + start;
  t.n = l->pos - start;
  return t;
}

static bool is_kw(tok t, const char *kw) {
  return t.kind == T_WORD && strlen(kw) == t.n &&
         sqlite3_strnicmp(t.p, kw, (int)t.n) == 0;
}

static bool is_punct(tok t, char c) { return t.kind == T_PUNCT && *t.p == c; }

static int syntax(remdb *db, const lexer *l, tok t, const char *what) {
  return err_set(&db->err, REMDB_INVALID,
                 "REM syntax error at offset %zu: expected %s, found \"%.*s\"",
                 (size_t)(t.p - l->s), what, t.n ? (int)(t.n > 30 ? 30 : t.n) : 5,
                 t.n ? t.p : "(end)");
}

static bool at_end(lexer *l) {
  tok t = next(l);
  if (is_punct(t, ';')) t = next(l);
  return t.kind == T_END;
}

static int not_yet(remdb *db, const char *what, const char *capability) {
  return err_set(&db->err, REMDB_ERROR,
                 "%s is not available yet: it arrives with %s", what,
                 capability);
}

static int check_lookup(remdb *db, lexer *l, buf_t *rewrite) {
  tok t = next(l);
  if (t.kind != T_STRING) return syntax(db, l, t, "a quoted key");
  buf_addf(rewrite, "SELECT key, match, distance, id, type, entity FROM "
                    "lookup(%.*s)", (int)t.n, t.p);
  for (;;) {
    size_t save = l->pos;
    t = next(l);
    if (!is_punct(t, ',')) {
      l->pos = save;
      break;
    }
    t = next(l);
    if (t.kind != T_STRING) return syntax(db, l, t, "a quoted key");
    buf_addf(rewrite, " UNION ALL SELECT key, match, distance, id, type, "
                      "entity FROM lookup(%.*s)", (int)t.n, t.p);
  }
  size_t save = l->pos;
  if (!at_end(l)) {
    l->pos = save;
    return syntax(db, l, next(l), "',' or the end of the statement");
  }
  return rewrite->oom ? err_nomem(&db->err) : 0;
}

/* Append s[0..n) as the body of an SQL string literal (quotes doubled). */
static void sql_quote(buf_t *b, const char *s, size_t n) {
  buf_addc(b, '\'');
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\'') buf_addc(b, '\'');
    buf_addc(b, s[i]);
  }
  buf_addc(b, '\'');
}

static int check_search(remdb *db, lexer *l, buf_t *rewrite) {
  tok text = next(l), table, lim = {T_END, NULL, 0};
  const char *wp = NULL;
  size_t wn = 0;
  if (text.kind != T_STRING) return syntax(db, l, text, "the quoted search text");
  tok t = next(l);
  if (!is_kw(t, "IN")) return syntax(db, l, t, "IN");
  table = next(l);
  if (table.kind != T_WORD) return syntax(db, l, table, "a table name");
  t = next(l);
  if (is_kw(t, "WHERE")) {
    /* the predicate runs to LIMIT or the end; SQLite checks it later */
    int depth = 0;
    size_t ws = l->pos;
    for (;;) {
      size_t save = l->pos;
      t = next(l);
      if (t.kind == T_END || (depth == 0 && (is_kw(t, "LIMIT") ||
                                             is_punct(t, ';')))) {
        l->pos = save;
        break;
      }
      if (is_punct(t, '(')) depth++;
      if (is_punct(t, ')')) depth--;
    }
    wp = l->s + ws;
    wn = l->pos - ws;
    t = next(l);
  }
  if (is_kw(t, "LIMIT")) {
    lim = next(l);
    if (lim.kind != T_NUMBER) return syntax(db, l, lim, "a number after LIMIT");
    t = next(l);
  }
  if (is_punct(t, ';')) t = next(l);
  if (t.kind != T_END) return syntax(db, l, t, "WHERE, LIMIT or the end");
  buf_adds(rewrite, "SELECT id, _score, type, entity FROM search(");
  sql_quote(rewrite, table.p, table.n);
  buf_addf(rewrite, ", %.*s, %.*s, ", (int)text.n, text.p,
           lim.n ? (int)lim.n : 2, lim.n ? lim.p : "10");
  if (wp) sql_quote(rewrite, wp, wn);
  else buf_adds(rewrite, "NULL");
  buf_addc(rewrite, ')');
  return rewrite->oom ? err_nomem(&db->err) : 0;
}

static int check_traverse(remdb *db, lexer *l, buf_t *rewrite) {
  tok start, depth, dir, type = {T_END, NULL, 0};
  tok t = next(l);
  if (!is_kw(t, "FROM")) return syntax(db, l, t, "FROM");
  t = next(l);
  if (t.kind != T_STRING) return syntax(db, l, t, "a quoted entity id");
  start = t;
  t = next(l);
  if (!is_kw(t, "DEPTH")) return syntax(db, l, t, "DEPTH");
  t = next(l);
  if (t.kind != T_NUMBER) return syntax(db, l, t, "a depth number");
  depth = t;
  t = next(l);
  if (!is_kw(t, "DIRECTION")) return syntax(db, l, t, "DIRECTION");
  t = next(l);
  if (!is_kw(t, "out") && !is_kw(t, "in") && !is_kw(t, "both"))
    return syntax(db, l, t, "out, in or both");
  dir = t;
  size_t save = l->pos;
  t = next(l);
  if (is_kw(t, "TYPE")) {
    t = next(l);
    if (t.kind != T_STRING) return syntax(db, l, t, "a quoted edge type");
    type = t;
  } else {
    l->pos = save;
  }
  save = l->pos;
  if (!at_end(l)) {
    l->pos = save;
    return syntax(db, l, next(l), "TYPE or the end of the statement");
  }
  /* the statement is the traverse() table-valued function (vtab.c's
  ** sibling in traverse_vtab.c); quoted tokens are valid SQL literals */
  buf_addf(rewrite,
           "SELECT id, depth, type, entity, path FROM traverse(%.*s, %.*s, "
           "'%.*s'",
           (int)start.n, start.p, (int)depth.n, depth.p, (int)dir.n, dir.p);
  if (type.p) buf_addf(rewrite, ", %.*s", (int)type.n, type.p);
  buf_adds(rewrite, ")");
  return rewrite->oom ? err_nomem(&db->err) : 0;
}

/* embedding.<metric>( anywhere outside strings and comments */
static int check_embedding(remdb *db, lexer *l) {
  tok prev2 = {T_END, NULL, 0}, prev = {T_END, NULL, 0};
  for (;;) {
    tok t = next(l);
    if (t.kind == T_END) return 0;
    if (prev2.kind == T_WORD && is_kw(prev2, "embedding") &&
        is_punct(prev, '.') && t.kind == T_WORD) {
      if (!is_kw(t, "cosine") && !is_kw(t, "inner_product") && !is_kw(t, "l2"))
        return syntax(db, l, t, "cosine, inner_product or l2");
      tok p = next(l);
      if (!is_punct(p, '(')) return syntax(db, l, p, "(");
      return not_yet(db, "embedding.<metric>() in a WHERE clause",
                     "the vector planner (use SEARCH or the search() "
                     "table meanwhile)");
    }
    prev2 = prev;
    prev = t;
  }
}

int dialect_check(remdb *db, const char *sql, size_t len, buf_t *rewrite) {
  lexer l = {sql, len, 0};
  tok t = next(&l);
  if (is_kw(t, "LOOKUP")) return check_lookup(db, &l, rewrite);
  if (is_kw(t, "SEARCH")) return check_search(db, &l, rewrite);
  if (is_kw(t, "TRAVERSE")) return check_traverse(db, &l, rewrite);
  l.pos = 0;
  return check_embedding(db, &l);
}

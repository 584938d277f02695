/*
** dialect.c: the REM extensions to SQL.
**
**   LOOKUP 'k1', 'k2', ...
**   SEARCH 'text' IN table [MODE keyword|vector|hybrid] [WHERE predicate]
**          [LIMIT n]
**   TRAVERSE FROM 'id' DEPTH n DIRECTION out|in|both [TYPE 'rel']
**   ... WHERE embedding.cosine('text' | '[v1, v2, ...]') ...
**       (also embedding.inner_product and embedding.l2)
**   ... WHERE fulltext.match('full-text query') ...
**
** This file recognises and checks their syntax.  TRAVERSE, LOOKUP and
** SEARCH are rewritten into queries of the traverse(), lookup() and
** search() table-valued functions (tvf.c), and so is a SELECT whose WHERE
** holds embedding.<metric>() or fulltext.match() (over fts(); see below).  A malformed statement gets the
** position of the mistake.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

/* SQL's tokens, as far as this file needs them: a rewrite is rebuilt from
** them, so each is a whole SQL token (a number with its fraction and
** exponent, a blob literal, a parameter, a two-character operator). */
typedef struct tok {
  enum { T_END, T_WORD, T_STRING, T_NUMBER, T_PUNCT, T_BLOB, T_PARAM, T_OP }
      kind;
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

static bool at(const lexer *l, size_t i, const char *chars) {
  return i < l->len && l->s[i] && strchr(chars, l->s[i]) != NULL;
}

static bool digit_at(const lexer *l, size_t i) {
  return i < l->len && isdigit((unsigned char)l->s[i]);
}

static bool word_char_at(const lexer *l, size_t i) {
  return i < l->len && (isalnum((unsigned char)l->s[i]) || l->s[i] == '_');
}

/* A quoted string or identifier from l->pos (its opening quote): through
** its closing quote, doubled quotes inside. */
static void lex_quoted(lexer *l) {
  char c = l->s[l->pos], close = c == '[' ? ']' : c;
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
}

/* A number: 0x hex digits, or digits with a fraction and an exponent. */
static void lex_number(lexer *l) {
  if (l->s[l->pos] == '0' && at(l, l->pos + 1, "xX")) {
    l->pos += 2;
    while (l->pos < l->len && isxdigit((unsigned char)l->s[l->pos])) l->pos++;
    return;
  }
  while (digit_at(l, l->pos)) l->pos++;
  if (at(l, l->pos, ".")) {
    l->pos++;
    while (digit_at(l, l->pos)) l->pos++;
  }
  size_t e = l->pos;
  if (at(l, e, "eE")) {
    e++;
    if (at(l, e, "+-")) e++;
    if (digit_at(l, e)) {
      while (digit_at(l, e)) e++;
      l->pos = e;
    }
  }
}

/* Next token; quoted strings and identifiers include their quotes. */
static tok next(lexer *l) {
  skip_space(l);
  tok t = {T_END, l->s + l->pos, 0};
  if (l->pos >= l->len) return t;
  char c = l->s[l->pos];
  size_t start = l->pos;
  static const char *const ops[] = {"->>", "<=", ">=", "<>", "!=", "==",
                                    "||",  "<<", ">>", "->"};
  t.kind = T_PUNCT;
  if (c == '\'' || c == '"' || c == '`' || c == '[') {
    lex_quoted(l);
    t.kind = c == '\'' ? T_STRING : T_WORD;
  } else if ((c == 'x' || c == 'X') && at(l, l->pos + 1, "'")) {
    l->pos++;
    lex_quoted(l);
    t.kind = T_BLOB;
  } else if (isalpha((unsigned char)c) || c == '_') {
    while (word_char_at(l, l->pos) || at(l, l->pos, "$")) l->pos++;
    t.kind = T_WORD;
  } else if (isdigit((unsigned char)c) || (c == '.' && digit_at(l, l->pos + 1))) {
    lex_number(l);
    t.kind = T_NUMBER;
  } else if (c == '?' || (strchr(":@$", c) && word_char_at(l, l->pos + 1))) {
    l->pos++;
    while (word_char_at(l, l->pos)) l->pos++;
    t.kind = T_PARAM;
  } else {
    l->pos++;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
      size_t n = strlen(ops[i]);
      if (start + n <= l->len && memcmp(l->s + start, ops[i], n) == 0) {
        l->pos = start + n;
        t.kind = T_OP;
        break;
      }
    }
  }
  t.p = l->s + start;
  t.n = l->pos - start;
  return t;
}

/* A whole number written with digits only (no sign, fraction or exponent). */
static bool is_int(tok t) {
  if (t.kind != T_NUMBER) return false;
  for (size_t i = 0; i < t.n; i++)
    if (!isdigit((unsigned char)t.p[i])) return false;
  return true;
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

/* The end of the statement: a ';' (a statement may follow, as in any SQL
** script) or the end of the text. */
static bool at_end(lexer *l) {
  tok t = next(l);
  return is_punct(t, ';') || t.kind == T_END;
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
    return syntax(db, l, next(l), "',', ';' or the end of the statement");
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

/* Append identifier token t (a word, or "quoted", `quoted` or [quoted])
** as an SQL string literal of the name it spells. */
static void ident_quote(buf_t *b, tok t) {
  char q = t.n >= 2 ? t.p[0] : 0;
  if (q != '"' && q != '`' && q != '[') {
    sql_quote(b, t.p, t.n);
    return;
  }
  buf_addc(b, '\'');
  for (size_t i = 1; i + 1 < t.n; i++) {
    if (t.p[i] == '\'') buf_addc(b, '\'');
    buf_addc(b, t.p[i]);
    if (q != '[' && t.p[i] == q) i++; /* a doubled quote stands for one */
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
  tok mode = {T_END, NULL, 0};
  if (is_kw(t, "MODE")) {
    mode = next(l);
    if (!is_kw(mode, "keyword") && !is_kw(mode, "vector") &&
        !is_kw(mode, "hybrid"))
      return syntax(db, l, mode, "keyword, vector or hybrid after MODE");
    t = next(l);
  }
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
    size_t k = 0;
    while (k < wn && isspace((unsigned char)wp[k])) k++;
    if (k == wn) return syntax(db, l, t, "a condition after WHERE");
  }
  if (is_kw(t, "LIMIT")) {
    lim = next(l);
    if (!is_int(lim)) return syntax(db, l, lim, "a number after LIMIT");
    t = next(l);
  }
  if (!is_punct(t, ';') && t.kind != T_END)
    return syntax(db, l, t, mode.n ? "WHERE, LIMIT, ';' or the end"
                                   : "MODE, WHERE, LIMIT, ';' or the end");
  /* with MODE, the ranks of hybrid search are columns too */
  buf_addf(rewrite, "SELECT id, _score, type, entity%s FROM search(",
           mode.n ? ", keyword_rank, vector_rank" : "");
  ident_quote(rewrite, table);
  buf_addf(rewrite, ", %.*s, %.*s, ", (int)text.n, text.p,
           lim.n ? (int)lim.n : 2, lim.n ? lim.p : "10");
  if (wp) sql_quote(rewrite, wp, wn);
  else buf_adds(rewrite, "NULL");
  if (mode.n) {
    buf_adds(rewrite, ", NULL, ");
    sql_quote(rewrite, mode.p, mode.n);
  }
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
  if (!is_int(t)) return syntax(db, l, t, "a depth number");
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
    return syntax(db, l, next(l), "TYPE, ';' or the end of the statement");
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

/* ---- embedding.<metric>('q') in a WHERE clause ----------------------
**
**   SELECT cols FROM t [AS a] WHERE embedding.cosine('q') AND pred
**     [ORDER BY ...] [LIMIT n [OFFSET m]]
**
** becomes the same query over
**
**   (SELECT * FROM (SELECT "t".*, s_._score AS _score
**                   FROM search('t', 'q', n + m, 'pred') AS s_
**                   JOIN "t" ON "t".id = s_.id) AS "t"
**    WHERE (pred)) AS a
**
** so the vector search runs with the other conditions as its filter (the
** true top n of the matching rows, not the top n filtered afterwards),
** rows come best first unless the query orders them, and _score is a
** column.  The join reads each row again, so pred is checked again on the
** row returned.  Without LIMIT, n is 10.  The call must be a condition of
** its own (joined with AND, no OR at the top) in the WHERE of a
** single-table SELECT, and LIMIT/OFFSET plain numbers; anything else gets
** an error that says so. */

/* The rewrite holds the tokens of its statement: at most this many (plain
** SQL is never lexed here, it has only the SQL text limit). */
#define MAX_TOKS 65536

typedef struct toks {
  tok *t;
  int *depth;
  size_t n, cap;
} toks;

static int lex_all(remdb *db, lexer *l, toks *ts) {
  int d = 0;
  for (ts->n = 0;; ts->n++) {
    if (ts->n == ts->cap) {
      if (ts->cap == MAX_TOKS)
        return err_set(&db->err, REMDB_TOOBIG,
                       "a statement with embedding.<metric>() may have at "
                       "most %d tokens (a limit of its rewrite only)",
                       MAX_TOKS - 1);
      size_t cap = ts->cap ? ts->cap * 2 : 256;
      tok *t = realloc(ts->t, cap * sizeof *t);
      if (t) ts->t = t;
      int *dp = realloc(ts->depth, cap * sizeof *dp);
      if (dp) ts->depth = dp;
      if (t == NULL || dp == NULL) return err_nomem(&db->err);
      ts->cap = cap;
    }
    tok t = next(l);
    if (is_punct(t, ')')) d--;
    ts->t[ts->n] = t;
    ts->depth[ts->n] = d;
    if (is_punct(t, '(')) d++;
    if (t.kind == T_END) { /* kept: ts->n counts it */
      ts->n++;
      return 0;
    }
  }
}

static const char *tok_end(tok t) { return t.p + t.n; }

/* The name inside a possibly quoted identifier token. */
static void ident(tok t, char *out, size_t n) {
  const char *p = t.p;
  size_t len = t.n;
  if (len >= 2 && (*p == '"' || *p == '`' || *p == '[')) p++, len -= 2;
  snprintf(out, n, "%.*s", (int)len, p);
}

static bool clause_kw(tok t) {
  static const char *const kws[] = {"WHERE", "JOIN",  "LEFT",   "INNER",
                                    "CROSS", "NATURAL", "ORDER", "GROUP",
                                    "LIMIT", "HAVING", "WINDOW", "UNION",
                                    "EXCEPT", "INTERSECT", "ON", "USING"};
  for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
    if (is_kw(t, kws[i])) return true;
  return false;
}

/* The value of a number token of at most 5 digits (the text is not NUL
** terminated: it is read by its length). */
static long long tok_int(tok t) {
  long long v = 0;
  for (size_t i = 0; i < t.n; i++) v = v * 10 + (t.p[i] - '0');
  return v;
}

/* The parts of a SELECT whose WHERE holds embedding.<metric>('q') or
** fulltext.match('q'). */
typedef struct emb {
  const tok *t;
  const int *dp;     /* parenthesis depth of each token */
  size_t n;          /* tokens, T_END included */
  size_t e, close;   /* the call: `embedding` ... `)` */
  tok metric, arg;
  bool fulltext;     /* fulltext.match(): over fts(), not search() */
  size_t from, alias, where, wend; /* alias 0: none; wend: the clause end */
  bool and_before, and_after;      /* the call's AND, before or after it */
  char table[72], alias_name[72];
  long long k;       /* LIMIT (+ OFFSET): how many to fetch */
  bool ordered;      /* the statement orders its rows */
  size_t limit;      /* the LIMIT token, 0: none */
} emb;

static int vec_error(remdb *db, const emb *m, const char *why) {
  return err_set(&db->err, REMDB_INVALID, "%s(): %s",
                 m->fulltext ? "fulltext.match" : "embedding.<metric>", why);
}

/* ---- SQL text rebuilt from tokens --------------------------------------
** The rewrite is assembled from whole tokens, one space apart (none after
** '.' and '(' or before '.', ',', ')' and ';'), never from slices of the
** text between them: what is not a token (spaces, comments) is dropped. */
typedef struct emitter {
  buf_t *out;
  bool space; /* what was written last wants a space after it */
} emitter;

static void emit_tok(emitter *em, const tok *t) {
  if (em->space && !is_punct(*t, '.') && !is_punct(*t, ',') &&
      !is_punct(*t, ')') && !is_punct(*t, ';'))
    buf_addc(em->out, ' ');
  buf_add(em->out, t->p, t->n);
  em->space = !is_punct(*t, '.') && !is_punct(*t, '(');
}

/* Tokens t[a..b). */
static void emit_range(emitter *em, const tok *t, size_t a, size_t b) {
  for (size_t i = a; i < b; i++) emit_tok(em, &t[i]);
}

/* Text of the rewrite's own (a space before it, unless at the start). */
static void emit_text(emitter *em, const char *text) {
  if (em->space) buf_addc(em->out, ' ');
  buf_adds(em->out, text);
  em->space = true;
}


/* The statement's shape: one call per statement, in the top-level WHERE of
** a single-table SELECT, a condition of its own joined with AND. */
static int emb_shape(remdb *db, lexer *l, emb *m) {
  const tok *t = m->t;
  const int *dp = m->dp;
  size_t e = m->e;
  m->metric = t[e + 2];
  m->arg = t[e + 4];
  if (m->arg.kind != T_STRING || !is_punct(t[e + 5], ')'))
    return syntax(db, l, m->arg,
                  m->fulltext ? "one quoted full-text query, then )"
                              : "one quoted text or vector literal, then )");
  for (size_t i = e + 6; i < m->n && !(dp[i] == 0 && is_punct(t[i], ';'));
       i++)
    if ((is_kw(t[i], "embedding") || is_kw(t[i], "fulltext")) &&
        i + 2 < m->n && is_punct(t[i + 1], '.'))
      return vec_error(db, m, "only one per statement");
  if (!is_kw(t[0], "SELECT") || dp[e] != 0)
    return vec_error(db, m, "it goes in the WHERE clause of a SELECT (not in a "
                         "subquery); join with search() or fts() for anything "
                            "else");
  for (size_t i = 1; i < e && !m->from; i++)
    if (dp[i] == 0 && is_kw(t[i], "FROM")) m->from = i;
  if (!m->from || t[m->from + 1].kind != T_WORD)
    return vec_error(db, m, "needs SELECT ... FROM table WHERE ...");
  size_t after = m->from + 2;
  if (is_kw(t[after], "AS")) m->alias = after + 1, after += 2;
  else if (t[after].kind == T_WORD && !clause_kw(t[after])) m->alias = after++;
  if (!is_kw(t[after], "WHERE"))
    return vec_error(db, m, m->fulltext
                                ? "works on one table: SELECT ... FROM table "
                                  "WHERE fulltext.match(...) AND ...; for "
                                  "joins, join with fts(table, query, k, "
                                  "filter)"
                                : "works on one table: SELECT ... FROM table "
                                  "WHERE embedding.cosine(...) AND ...; for "
                                  "joins, join with search(table, query, k, "
                                  "filter)");
  m->where = after;
  m->wend = m->n - 1;
  for (size_t i = m->where + 1; i < m->n; i++)
    if (dp[i] == 0 &&
        (t[i].kind == T_END || is_punct(t[i], ';') || is_kw(t[i], "ORDER") ||
         is_kw(t[i], "GROUP") || is_kw(t[i], "LIMIT") ||
         is_kw(t[i], "HAVING") || is_kw(t[i], "WINDOW"))) {
      m->wend = i;
      break;
    }
  m->close = e + 5;
  if (e < m->where || m->close >= m->wend)
    return vec_error(db, m, "it goes in the WHERE clause");
  m->and_before = is_kw(t[e - 1], "AND") && dp[e - 1] == 0;
  m->and_after = is_kw(t[m->close + 1], "AND") && dp[m->close + 1] == 0;
  bool or_ = false; /* an OR at the top level mixes it into a disjunction */
  for (size_t i = m->where + 1; i < m->wend; i++)
    or_ |= dp[i] == 0 && is_kw(t[i], "OR");
  if (is_kw(t[e - 1], "NOT"))
    return vec_error(db, m, "NOT is not supported with it (it selects the "
                         "nearest rows; leave rows out with the other "
                         "conditions)");
  if (or_ || !(e - 1 == m->where || m->and_before) ||
      !(m->close + 1 == m->wend || m->and_after))
    return vec_error(db, m, "it must be a condition of its own, joined to the "
                         "others with AND (no OR at the top of the WHERE)");
  ident(t[m->from + 1], m->table, sizeof m->table);
  if (m->alias) ident(t[m->alias], m->alias_name, sizeof m->alias_name);
  return 0;
}

/* The table has an embedding of the metric the call names. */
static int emb_table(remdb *db, const emb *m) {
  cat_table *ct;
  int rc = cat_find(db, m->table, &ct);
  if (rc || m->fulltext) return rc; /* fts() checks the full-text index */
  tok metric = m->metric;
  enum sch_metric want = is_kw(metric, "inner_product") ? SCH_IP
                         : is_kw(metric, "l2")          ? SCH_L2
                                                        : SCH_COSINE;
  enum sch_metric has = ct->s->embedding.metric;
  if (ct->s->embedding.dim == 0)
    return err_set(&db->err, REMDB_INVALID,
                   "embedding.%.*s(): table %s has no embedding", (int)metric.n,
                   metric.p, m->table);
  if (has != want)
    return err_set(&db->err, REMDB_INVALID,
                   "embedding.%.*s(): table %s is indexed for the %s metric; "
                   "use embedding.%s()", (int)metric.n, metric.p, m->table,
                   sch_metric_name(has),
                   has == SCH_IP ? "inner_product" : sch_metric_name(has));
  return 0;
}

/* LIMIT n [OFFSET m] | LIMIT m, n: how many rows to fetch (10 without). */
static int emb_limit(remdb *db, emb *m) {
  const tok *t = m->t;
  m->k = 10;
  for (size_t i = m->wend; i < m->n; i++) {
    if (m->dp[i] != 0) continue;
    if (is_kw(t[i], "ORDER")) m->ordered = true;
    if (is_kw(t[i], "LIMIT") && !m->limit) m->limit = i;
  }
  if (m->limit) { /* LIMIT int [OFFSET int | , int], then the end */
    size_t i = m->limit + 1;
    tok a = t[i++];
    if (!is_int(a) || a.n > 5)
      return vec_error(db, m, "LIMIT must be a whole number up to 10000 here");
    m->k = tok_int(a);
    if (is_kw(t[i], "OFFSET") || is_punct(t[i], ',')) {
      tok b = t[++i];
      i++;
      if (!is_int(b) || b.n > 5)
        return vec_error(db, m, "OFFSET must be a whole number up to 10000 here");
      m->k += tok_int(b);
    }
    if (t[i].kind != T_END && !is_punct(t[i], ';'))
      return vec_error(db, m, "LIMIT must be a whole number up to 10000 here");
  }
  if (m->k < 1 || m->k > 10000)
    return vec_error(db, m, "LIMIT (plus OFFSET) must be 1 to 10000");
  return 0;
}

/* The other conditions of the WHERE: without the call and its AND, and
** with columns the alias qualifies unqualified (a.col -> col). */
static void emb_pred(const emb *m, buf_t *pred) {
  const tok *t = m->t;
  emitter em = {pred, false};
  /* one AND goes with the call: the one before it, else the one after */
  size_t skip_a = m->and_before ? m->e - 1 : m->e;
  size_t skip_b = m->and_after && !m->and_before ? m->close + 1 : m->close;
  for (size_t i = m->where + 1; i < m->wend; i++) {
    if (i >= skip_a && i <= skip_b) continue;
    if (m->alias && t[i].kind == T_WORD && i + 1 < m->wend &&
        is_punct(t[i + 1], '.')) {
      char w[72];
      ident(t[i], w, sizeof w);
      if (sqlite3_stricmp(w, m->alias_name) == 0) {
        i++; /* the alias and its dot */
        continue;
      }
    }
    emit_tok(&em, &t[i]);
  }
}

/* The statement over the search:
**   SELECT cols FROM (SELECT * FROM (SELECT "t".*, s_._score AS _score
**   FROM search('t', 'q', k, 'pred') AS s_ JOIN "t" ON "t".id = s_.id)
**   AS "t" WHERE (pred)) AS "alias" <the rest> */
static void emb_emit(lexer *l, const emb *m, const buf_t *pred, buf_t *rw) {
  const tok *t = m->t;
  emitter em = {rw, false};
  /* SELECT ... FROM as written: SQLite names a result column by its text
  ** ("count(*)", not the "count (*)" tokens one space apart would give);
  ** a comment in it ends before FROM */
  buf_add(rw, t[0].p, (size_t)(tok_end(t[m->from]) - t[0].p));
  em.space = true;
  emit_text(&em, "(SELECT * FROM (SELECT \"");
  em.space = false; /* the table name and the rest follow as written */
  buf_adds(rw, m->table);
  buf_adds(rw, m->fulltext ? "\".*, s_._score AS _score FROM fts("
                           : "\".*, s_._score AS _score FROM search(");
  sql_quote(rw, m->table, strlen(m->table));
  buf_addf(rw, ", %.*s, %lld, ", (int)m->arg.n, m->arg.p, m->k);
  if (pred->len) sql_quote(rw, pred->p, pred->len);
  else buf_adds(rw, "NULL");
  /* the rows are read again by the join: their conditions are checked
  ** again on what is returned (a concurrent update may have changed them) */
  buf_addf(rw, ") AS s_ JOIN \"%s\" ON \"%s\".id = s_.id) AS \"%s\"",
           m->table, m->table, m->table);
  if (pred->len) {
    buf_adds(rw, " WHERE (");
    buf_add(rw, pred->p, pred->len);
    buf_addc(rw, ')');
  }
  buf_adds(rw, ") AS \"");
  const char *shown = m->alias ? m->alias_name : m->table;
  for (const char *c = shown; *c; c++) { /* an identifier, quotes doubled */
    if (*c == '"') buf_addc(rw, '"');
    buf_addc(rw, *c);
  }
  buf_addc(rw, '"');
  em.space = true;
  /* the rest of the statement; best first unless it orders the rows */
  size_t stop = m->n - 1;
  for (size_t i = m->wend; i < m->n; i++)
    if (m->dp[i] == 0 && is_punct(t[i], ';')) {
      stop = i;
      break;
    }
  /* a statement after it runs next, as in any SQL script */
  l->pos = t[stop].kind == T_END ? l->len : (size_t)(tok_end(t[stop]) - l->s);
  size_t at = m->ordered ? stop : m->limit ? m->limit : stop;
  emit_range(&em, t, m->wend, at);
  if (!m->ordered) emit_text(&em, "ORDER BY _score DESC");
  emit_range(&em, t, at, stop);
}

/* ---- embedding.<metric>('q') in a WHERE clause ----------------------
** See the comment above MAX_TOKS: the call becomes a search() the
** statement selects from. */
static int rewrite_embedding(remdb *db, lexer *l, toks *ts, size_t e,
                             bool fulltext, buf_t *rw) {
  emb m = {.t = ts->t, .dp = ts->depth, .n = ts->n, .e = e,
           .fulltext = fulltext};
  int rc = emb_shape(db, l, &m);
  if (rc == 0) rc = emb_table(db, &m);
  if (rc == 0) rc = emb_limit(db, &m);
  if (rc) return rc;
  buf_t pred;
  buf_init(&pred);
  emb_pred(&m, &pred);
  emb_emit(l, &m, &pred, rw);
  rc = pred.oom || rw->oom ? err_nomem(&db->err) : 0;
  buf_free(&pred);
  return rc;
}

/* embedding.<metric>( anywhere outside strings and comments */
static int check_embedding(remdb *db, lexer *l, buf_t *rewrite) {
  /* a first pass over the statement that keeps no tokens: most have no
  ** call.  (A ';' ends the statement; a later one is checked when its
  ** turn comes.) */
  size_t start = l->pos;
  tok a = next(l), b = next(l), c = next(l);
  while (!((is_kw(a, "embedding") || is_kw(a, "fulltext")) &&
           is_punct(b, '.') && c.kind == T_WORD)) {
    if (c.kind == T_END || is_punct(a, ';') || is_punct(b, ';') ||
        is_punct(c, ';'))
      return 0;
    a = b;
    b = c;
    c = next(l);
  }
  l->pos = start;
  toks ts = {0};
  int rc = lex_all(db, l, &ts);
  for (size_t i = 0; rc == 0 && i + 2 < ts.n; i++) {
    tok *t = ts.t;
    bool ft = is_kw(t[i], "fulltext");
    if (!((ft || is_kw(t[i], "embedding")) && is_punct(t[i + 1], '.') &&
          t[i + 2].kind == T_WORD))
      continue;
    if (ft && !is_kw(t[i + 2], "match")) {
      rc = syntax(db, l, t[i + 2], "match");
      break;
    }
    if (!ft && !is_kw(t[i + 2], "cosine") &&
        !is_kw(t[i + 2], "inner_product") && !is_kw(t[i + 2], "l2")) {
      rc = syntax(db, l, t[i + 2], "cosine, inner_product or l2");
      break;
    }
    if (i + 5 >= ts.n || !is_punct(t[i + 3], '(')) {
      rc = syntax(db, l, t[i + 3], "(");
      break;
    }
    rc = rewrite_embedding(db, l, &ts, i, ft, rewrite);
    break;
  }
  free(ts.t);
  free(ts.depth);
  return rc;
}

int dialect_check(remdb *db, const char *sql, size_t len, buf_t *rewrite,
                  size_t *used) {
  lexer l = {sql, len, 0};
  tok t = next(&l);
  int rc;
  if (is_kw(t, "LOOKUP")) {
    rc = check_lookup(db, &l, rewrite);
  } else if (is_kw(t, "SEARCH")) {
    rc = check_search(db, &l, rewrite);
  } else if (is_kw(t, "TRAVERSE")) {
    rc = check_traverse(db, &l, rewrite);
  } else {
    l.pos = 0;
    rc = check_embedding(db, &l, rewrite);
  }
  *used = l.pos;
  return rc;
}

bool dialect_or_abort(const char *sql, size_t len) {
  lexer l = {sql, len, 0};
  tok a = next(&l), b = next(&l), c = next(&l);
  for (; c.kind != T_END; a = b, b = c, c = next(&l))
    if (is_kw(a, "INSERT") && is_kw(b, "OR") && is_kw(c, "ABORT")) return true;
  return false;
}

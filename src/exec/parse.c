/*
** parse.c: recognising the SELECT shapes the executor serves, from the
** statement's tokens, and cutting the rewrite that reads the plan's result
** (exec.h).  Conservative by design: whatever is not recognised here
** exactly (a join, a subquery, a window, a column that is neither grouped
** nor aggregated, an expression in WHERE, a collation) leaves the
** statement to SQLite, with the reason for EXPLAIN.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xplan.h"

/* ---- tokens ------------------------------------------------------------- */

enum { K_END, K_WORD, K_QID, K_STR, K_NUM, K_PARAM, K_BLOB, K_OP };

typedef struct xtok {
  int kind;
  const char *p;
  size_t n;
} xtok;

typedef struct toks {
  xtok *v;
  int n, cap;
} toks;

static bool ident_char(unsigned char c) {
  return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static bool push_tok(toks *t, int kind, const char *p, size_t n) {
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 64;
    xtok *nv = realloc(t->v, (size_t)cap * sizeof *nv);
    if (nv == NULL) return false;
    t->v = nv;
    t->cap = cap;
  }
  t->v[t->n++] = (xtok){kind, p, n};
  return true;
}

/* Tokens of s up to its end or a ';' at the top; false on a token this
** parser does not know (the statement then stays with SQLite). */
static bool lex(const char *s, size_t len, toks *out) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    if (isspace(c)) {
      i++;
      continue;
    }
    if (c == '-' && i + 1 < len && s[i + 1] == '-') {
      while (i < len && s[i] != '\n') i++;
      continue;
    }
    if (c == '/' && i + 1 < len && s[i + 1] == '*') {
      i += 2;
      while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/')) i++;
      i = i + 2 <= len ? i + 2 : len;
      continue;
    }
    if (c == ';') break;
    size_t st = i;
    int kind;
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : (char)c;
      i++;
      for (;;) {
        if (i >= len) return false;
        if (s[i] == close) {
          if (close != ']' && i + 1 < len && s[i + 1] == close) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      kind = c == '\'' ? K_STR : K_QID;
    } else if ((c == 'x' || c == 'X') && i + 1 < len && s[i + 1] == '\'') {
      i += 2;
      while (i < len && s[i] != '\'') i++;
      if (i >= len) return false;
      i++;
      kind = K_BLOB;
    } else if (isdigit(c) || (c == '.' && i + 1 < len && isdigit((unsigned char)s[i + 1]))) {
      if (c == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        i += 2;
        while (i < len && isxdigit((unsigned char)s[i])) i++;
      } else {
        while (i < len && isdigit((unsigned char)s[i])) i++;
        if (i < len && s[i] == '.') {
          i++;
          while (i < len && isdigit((unsigned char)s[i])) i++;
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
          size_t e = i + 1;
          if (e < len && (s[e] == '+' || s[e] == '-')) e++;
          if (e < len && isdigit((unsigned char)s[e])) {
            while (e < len && isdigit((unsigned char)s[e])) e++;
            i = e;
          }
        }
      }
      if (i < len && ident_char((unsigned char)s[i])) return false;
      kind = K_NUM;
    } else if (c == '?' || c == ':' || c == '@' || c == '$') {
      i++;
      while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_')) i++;
      if (c != '?' && i == st + 1) return false;
      kind = K_PARAM;
    } else if (ident_char(c)) {
      while (i < len && ident_char((unsigned char)s[i])) i++;
      kind = K_WORD;
    } else {
      static const char *const ops[] = {"->>", "<=", ">=", "<>", "!=", "==",
                                        "||",  "<<", ">>", "->"};
      size_t n = 1;
      for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        size_t ol = strlen(ops[k]);
        if (i + ol <= len && memcmp(s + i, ops[k], ol) == 0) {
          n = ol;
          break;
        }
      }
      i += n;
      kind = K_OP;
    }
    if (!push_tok(out, kind, s + st, i - st)) return false;
  }
  return push_tok(out, K_END, s + len, 0);
}

static bool kw(const xtok *t, const char *w) {
  size_t n = strlen(w);
  return t->kind == K_WORD && t->n == n && sqlite3_strnicmp(t->p, w, (int)n) == 0;
}

static bool op(const xtok *t, const char *o) {
  size_t n = strlen(o);
  return t->kind == K_OP && t->n == n && memcmp(t->p, o, n) == 0;
}

/* The name an identifier token stands for (quotes removed). */
static void ident_text(const xtok *t, char *out, size_t cap) {
  size_t k = 0;
  if (t->kind == K_QID) {
    char close = t->p[0] == '[' ? ']' : t->p[0];
    for (size_t i = 1; i + 1 < t->n && k + 1 < cap; i++) {
      out[k++] = t->p[i];
      if (t->p[i] == close && close != ']' && i + 2 < t->n &&
          t->p[i + 1] == close)
        i++;
    }
  } else {
    for (size_t i = 0; i < t->n && k + 1 < cap; i++) out[k++] = t->p[i];
  }
  out[k] = 0;
}

/* The decimal number of the digits in t->p[from, n) (the text is not
** NUL-terminated), capped far above any use. */
static int tok_int(const xtok *t, size_t from) {
  long v = 0;
  for (size_t i = from; i < t->n && t->p[i] >= '0' && t->p[i] <= '9'; i++)
    if ((v = v * 10 + (t->p[i] - '0')) > 1000000) return 1000000;
  return (int)v;
}

static bool is_ident(const xtok *t) {
  return t->kind == K_WORD || t->kind == K_QID;
}

static const char *const reserved[] = {
    "AND",   "OR",   "NOT",     "IS",    "NULL",   "IN",     "LIKE",
    "GLOB",  "BETWEEN", "CASE", "WHEN",  "THEN",   "ELSE",   "END",
    "CAST",  "AS",   "COLLATE", "ESCAPE", "ASC",   "DESC",   "NULLS",
    "FIRST", "LAST", "TRUE",    "FALSE", "DISTINCT", "EXISTS", "REGEXP",
    "MATCH", "ISNULL", "NOTNULL", "SELECT", "FROM", "WHERE", "GROUP", "BY",
    "HAVING", "ORDER", "LIMIT", "OFFSET", "JOIN", "LEFT", "INNER", "CROSS",
    "NATURAL", "ON", "USING", "UNION", "EXCEPT", "INTERSECT", "WINDOW",
    "OVER", "FILTER", "ALL", "VALUES", "WITH", "CURRENT_DATE",
    "CURRENT_TIME", "CURRENT_TIMESTAMP", "RAISE", "OUTER", "RIGHT", "FULL"};

static bool is_reserved(const xtok *t) {
  if (t->kind != K_WORD) return false;
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    if (kw(t, reserved[i])) return true;
  return false;
}

/* ---- the parse state ---------------------------------------------------- */

typedef struct pstate {
  remdb *db;
  toks tk;
  xplan *p;
  const sch_table *t;
  char tname[72], alias[72];
  char *why;
  size_t whylen;
  bool failed;
  buf_t args;
  /* select items: token ranges, aliases */
  int item_a[X_MAX_SLOTS * 4], item_b[X_MAX_SLOTS * 4];
  char item_alias[X_MAX_SLOTS * 4][72];
  int nitems;
  /* GROUP BY terms: token ranges */
  int key_a[X_MAX_SLOTS], key_b[X_MAX_SLOTS];
  bool has_agg;
  int *pnum; /* per token: the number of an anonymous parameter */
  bool named; /* the statement has named parameters */
  /* a join (eager aggregation): the plan reads table A (tname, alias);
  ** the other table S stays with SQLite */
  bool join, left;
  char sname[72], salias[72];
  const sch_table *st;
  char aref[72]; /* how the rewrite names remdb_colx() (A's alias) */
  int acount_star, akeyslot;
  int attempt;
} pstate;

/* Token i as the rewrite writes it: an anonymous parameter gets its
** number, so that parameters keep their numbers wherever they move. */
static void emit(pstate *s, buf_t *out, int i) {
  const xtok *t = &s->tk.v[i];
  buf_addc(out, ' ');
  if (t->kind == K_PARAM && t->n == 1 && t->p[0] == '?' && s->pnum)
    buf_addf(out, "?%d", s->pnum[i]);
  else
    buf_add(out, t->p, t->n);
}

static int fail(pstate *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(pstate *s, const char *fmt, ...) {
  if (!s->failed) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, s->whylen, fmt, ap);
    va_end(ap);
  }
  s->failed = true;
  return -1;
}

/* As the vtab declares the column (vtab.c affinity_of). */
static enum xcol_type type_of(unsigned types, bool *ok) {
  unsigned t = types & ~(unsigned)SCH_NULL;
  *ok = true;
  if (t == SCH_STRING) return XT_TEXT;
  if (t == SCH_INTEGER) return XT_INT;
  if (t != 0 && (t & ~(unsigned)(SCH_INTEGER | SCH_NUMBER)) == 0)
    return XT_REAL;
  if (t == SCH_BOOLEAN) return XT_BOOL;
  if (t != 0 && (t & ~(unsigned)(SCH_OBJECT | SCH_ARRAY)) == 0)
    return XT_TEXT; /* JSON text, declared TEXT */
  return XT_ANY;
}

/* The plan column of SQL column `name`, added if new; -1 when the table
** has no such column; -2 when it has one the executor cannot read. */
static int col_index(pstate *s, const char *name) {
  static const char *const sys[] = {"id", "created_at", "modified_at",
                                    "deleted_at"};
  char canon[72];
  uint16_t field = 0;
  enum xcol_type ty = XT_TEXT;
  bool found = false;
  for (int i = 0; i < 4; i++)
    if (sqlite3_stricmp(name, sys[i]) == 0) {
      snprintf(canon, sizeof canon, "%s", sys[i]);
      field = (uint16_t)(i == 0 ? 0 : REC_F_CREATED + i - 1);
      ty = i == 0 ? XT_ID : XT_TEXT;
      found = true;
    }
  if (!found) {
    if (sqlite3_stricmp(name, "type") == 0) return -2;
    json_t *props = json_object_get(s->t->doc, "properties");
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
      if (sqlite3_stricmp(k, name) != 0) continue;
      uint16_t f = rec_dict_id(&s->t->dict, k);
      if (f < REC_F_FIRST) continue;
      bool ok;
      ty = type_of(sch_prop_types(s->t, k), &ok);
      if (!ok) return -2;
      snprintf(canon, sizeof canon, "%s", k);
      field = f;
      found = true;
      break;
    }
  }
  if (!found) return -1;
  xplan *p = s->p;
  for (int i = 0; i < p->ncols; i++)
    if (strcmp(p->cols[i].name, canon) == 0) return i;
  if (p->ncols == (int)(sizeof p->cols / sizeof *p->cols)) return -2;
  xcol *c = &p->cols[p->ncols];
  snprintf(c->name, sizeof c->name, "%s", canon);
  c->field = field;
  c->type = (uint8_t)ty;
  return p->ncols++;
}

/* A column reference at token i: [qual .] name.  Returns the plan
** column (and *end after it), -1 if the tokens are not one, -2 after a
** failure was recorded. */
static bool s_has_col(const sch_table *t, const char *name) {
  static const char *const sys[] = {"id", "type", "created_at",
                                    "modified_at", "deleted_at"};
  for (int i = 0; i < 5; i++)
    if (sqlite3_stricmp(name, sys[i]) == 0) return true;
  json_t *props = json_object_get(t->doc, "properties");
  const char *k;
  json_t *v;
  json_object_foreach(props, k, v) if (sqlite3_stricmp(k, name) == 0) return true;
  return false;
}

static int colref(pstate *s, int i, int *end) {
  xtok *t = s->tk.v;
  char name[72];
  int at = i;
  if (is_ident(&t[i]) && op(&t[i + 1], ".") && is_ident(&t[i + 2])) {
    char q[72];
    ident_text(&t[i], q, sizeof q);
    if (s->join && (sqlite3_stricmp(q, s->salias[0] ? s->salias : s->sname) == 0)) {
      *end = i + 3; /* a column of the other table */
      return -3;
    }
    if (sqlite3_stricmp(q, s->tname) != 0 &&
        (s->alias[0] == 0 || sqlite3_stricmp(q, s->alias) != 0))
      return fail(s, "%s is not the table of the query", q), -2;
    at = i + 2;
  } else if (!is_ident(&t[i]) || is_reserved(&t[i]) || op(&t[i + 1], "(")) {
    return -1;
  }
  ident_text(&t[at], name, sizeof name);
  int c = col_index(s, name);
  if (c == -1) {
    if (at != i) return fail(s, "no column %s in %s", name, s->tname), -2;
    if (s->join && s->st && s_has_col(s->st, name)) {
      *end = at + 1;
      return -3;
    }
    return -1; /* perhaps an alias */
  }
  if (c == -2)
    return fail(s, "column %s has no single type the executor reads", name),
           -2;
  *end = at + 1;
  return c;
}

/* ---- WHERE -------------------------------------------------------------- */

static int new_pred(pstate *s, xpred pr) {
  xplan *p = s->p;
  if (p->npreds == p->cappreds) {
    int cap = p->cappreds ? p->cappreds * 2 : 16;
    xpred *n = realloc(p->preds, (size_t)cap * sizeof *n);
    if (n == NULL) return fail(s, "out of memory");
    p->preds = n;
    p->cappreds = cap;
  }
  p->preds[p->npreds] = pr;
  return p->npreds++;
}

/* A constant at i: [+-]* literal or parameter.  Adds it to the arguments
** (as written) and returns its argument number, *end after it; -1 if the
** tokens are not one. */
static int constant(pstate *s, int i, int *end) {
  xtok *t = s->tk.v;
  int j = i;
  while (op(&t[j], "-") || op(&t[j], "+")) j++;
  bool lit = t[j].kind == K_NUM || t[j].kind == K_STR || t[j].kind == K_BLOB ||
             t[j].kind == K_PARAM || kw(&t[j], "NULL") || kw(&t[j], "TRUE") ||
             kw(&t[j], "FALSE");
  if (!lit) return -1;
  if (s->p->nargs == X_MAX_ARGS)
    return fail(s, "more than %d constants in WHERE", X_MAX_ARGS);
  buf_adds(&s->args, ",");
  for (int k = i; k <= j; k++) emit(s, &s->args, k);
  *end = j + 1;
  return s->p->nargs++;
}

static bool is_cmp(const xtok *t, int *cmp) {
  if (op(t, "=") || op(t, "==")) *cmp = XC_EQ;
  else if (op(t, "!=") || op(t, "<>")) *cmp = XC_NE;
  else if (op(t, "<")) *cmp = XC_LT;
  else if (op(t, "<=")) *cmp = XC_LE;
  else if (op(t, ">")) *cmp = XC_GT;
  else if (op(t, ">=")) *cmp = XC_GE;
  else return false;
  return true;
}

static int p_or(pstate *s, int *i);

/* after a predicate: what may follow it */
static bool pred_end(const xtok *t) {
  return t->kind == K_END || kw(t, "AND") || kw(t, "OR") || op(t, ")") ||
         kw(t, "GROUP") || kw(t, "HAVING") || kw(t, "ORDER") ||
         kw(t, "LIMIT");
}

static int p_atom(pstate *s, int *i) {
  xtok *t = s->tk.v;
  if (op(&t[*i], "(")) {
    (*i)++;
    int r = p_or(s, i);
    if (r < 0) return r;
    if (!op(&t[*i], ")")) return fail(s, "WHERE: expected )");
    (*i)++;
    return r;
  }
  int e;
  int col = colref(s, *i, &e);
  if (col == -2) return -1;
  if (col < 0) {
    /* constant <cmp> column */
    int a = constant(s, *i, &e);
    if (s->failed) return -1;
    int cmp;
    if (a < 0 || !is_cmp(&t[e], &cmp))
      return fail(s, "WHERE term at \"%.*s\" is not a comparison of a column "
                     "with a constant", (int)t[*i].n, t[*i].p);
    int e2;
    col = colref(s, e + 1, &e2);
    if (col < 0)
      return s->failed ? -1
                       : fail(s, "WHERE compares two constants or an "
                                 "expression");
    static const int flip[] = {XC_EQ, XC_NE, XC_GT, XC_GE, XC_LT, XC_LE};
    *i = e2;
    if (!pred_end(&t[*i])) return fail(s, "WHERE: an expression after a term");
    return new_pred(s, (xpred){.op = XP_CMP, .cmp = (uint8_t)flip[cmp],
                               .col = col, .arg = a, .narg = 1});
  }
  *i = e;
  bool neg = false;
  int cmp;
  xpred pr = {.col = col};
  if (is_cmp(&t[*i], &cmp)) {
    int a = constant(s, *i + 1, &e);
    if (a < 0)
      return s->failed ? -1
                       : fail(s, "WHERE compares a column with an "
                                 "expression or another column");
    pr.op = XP_CMP;
    pr.cmp = (uint8_t)cmp;
    pr.arg = a;
    pr.narg = 1;
    *i = e;
  } else if (kw(&t[*i], "ISNULL") || kw(&t[*i], "NOTNULL")) {
    pr.op = XP_ISNULL;
    pr.neg = kw(&t[*i], "NOTNULL");
    (*i)++;
  } else if (kw(&t[*i], "IS")) {
    (*i)++;
    if (kw(&t[*i], "NOT")) {
      neg = true;
      (*i)++;
    }
    if (kw(&t[*i], "DISTINCT") || kw(&t[*i], "TRUE") || kw(&t[*i], "FALSE"))
      return fail(s, "WHERE: IS %.*s", (int)t[*i].n, t[*i].p);
    if (kw(&t[*i], "NULL")) {
      pr.op = XP_ISNULL;
      pr.neg = neg;
      (*i)++;
    } else {
      int a = constant(s, *i, &e);
      if (a < 0) return s->failed ? -1 : fail(s, "WHERE: IS with an expression");
      pr.op = XP_IS;
      pr.neg = neg;
      pr.arg = a;
      pr.narg = 1;
      *i = e;
    }
  } else {
    if (kw(&t[*i], "NOT")) {
      neg = true;
      (*i)++;
    }
    pr.neg = neg;
    if (kw(&t[*i], "NULL") && neg) {
      pr.op = XP_ISNULL;
      (*i)++;
    } else if (kw(&t[*i], "BETWEEN")) {
      int a = constant(s, *i + 1, &e);
      if (a < 0 || !kw(&t[e], "AND"))
        return s->failed ? -1 : fail(s, "WHERE: BETWEEN with an expression");
      int b = constant(s, e + 1, &e);
      if (b < 0)
        return s->failed ? -1 : fail(s, "WHERE: BETWEEN with an expression");
      pr.op = XP_BETWEEN;
      pr.arg = a;
      pr.narg = 2;
      *i = e;
    } else if (kw(&t[*i], "IN")) {
      (*i)++;
      if (!op(&t[*i], "("))
        return fail(s, "WHERE: IN of a table or function");
      (*i)++;
      pr.op = XP_IN;
      pr.arg = s->p->nargs;
      pr.narg = 0;
      if (!op(&t[*i], ")")) {
        for (;;) {
          int a = constant(s, *i, &e);
          if (a < 0)
            return s->failed ? -1
                             : fail(s, "WHERE: IN list with an expression or "
                                       "a subquery");
          pr.narg++;
          *i = e;
          if (op(&t[*i], ",")) {
            (*i)++;
            continue;
          }
          break;
        }
      }
      if (!op(&t[*i], ")")) return fail(s, "WHERE: IN list not closed");
      (*i)++;
    } else if (kw(&t[*i], "LIKE")) {
      const xcol *c = &s->p->cols[col];
      if (c->type != XT_TEXT && c->type != XT_ID)
        return fail(s, "WHERE: LIKE on a column that is not text");
      int a = constant(s, *i + 1, &e);
      if (a < 0) return s->failed ? -1 : fail(s, "WHERE: LIKE with an expression");
      if (kw(&t[e], "ESCAPE")) return fail(s, "WHERE: LIKE ... ESCAPE");
      pr.op = XP_LIKE;
      pr.arg = a;
      pr.narg = 1;
      *i = e;
    } else {
      return fail(s, "WHERE: \"%.*s\" after a column", (int)t[*i].n, t[*i].p);
    }
  }
  if (!pred_end(&t[*i]))
    return fail(s, "WHERE: an expression after a term (\"%.*s\")",
                (int)t[*i].n, t[*i].p);
  return new_pred(s, pr);
}

static int p_not(pstate *s, int *i) {
  xtok *t = s->tk.v;
  if (kw(&t[*i], "NOT")) {
    (*i)++;
    int a = p_not(s, i);
    if (a < 0) return a;
    return new_pred(s, (xpred){.op = XP_NOT, .a = a});
  }
  return p_atom(s, i);
}

static int p_and(pstate *s, int *i) {
  int a = p_not(s, i);
  while (a >= 0 && kw(&s->tk.v[*i], "AND")) {
    (*i)++;
    int b = p_not(s, i);
    if (b < 0) return b;
    a = new_pred(s, (xpred){.op = XP_AND, .a = a, .b = b});
  }
  return a;
}

static int p_or(pstate *s, int *i) {
  int a = p_and(s, i);
  while (a >= 0 && kw(&s->tk.v[*i], "OR")) {
    (*i)++;
    int b = p_and(s, i);
    if (b < 0) return b;
    a = new_pred(s, (xpred){.op = XP_OR, .a = a, .b = b});
  }
  return a;
}

/* ---- GROUP BY ----------------------------------------------------------- */

static bool is_agg_name(const xtok *t) {
  static const char *const names[] = {"count", "sum", "total", "avg", "min",
                                      "max", "group_concat", "string_agg",
                                      "json_group_array", "json_group_object"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (kw(t, names[i])) return true;
  return false;
}

/* The key of the GROUP BY term in tokens [a, b). */
static int parse_key(pstate *s, int a, int b, xkey *k) {
  xtok *t = s->tk.v;
  int e;
  int c = colref(s, a, &e);
  if (c == -2) return -1;
  if (c >= 0 && e == b) {
    *k = (xkey){XK_COL, c, 0};
    return 0;
  }
  bool date = kw(&t[a], "date"), ym = kw(&t[a], "strftime"),
       sub = kw(&t[a], "substr") || kw(&t[a], "substring");
  if ((date || ym || sub) && op(&t[a + 1], "(")) {
    int i = a + 2;
    if (ym) {
      if (t[i].kind != K_STR || t[i].n != 7 || memcmp(t[i].p, "'%Y-%m'", 7) ||
          !op(&t[i + 1], ","))
        return fail(s, "GROUP BY strftime with a format other than '%%Y-%%m'");
      i += 2;
    }
    c = colref(s, i, &e);
    if (c < 0) return s->failed ? -1 : fail(s, "GROUP BY a function of an expression");
    if (s->p->cols[c].type != XT_TEXT)
      return fail(s, "GROUP BY %.*s of a column that is not text",
                  (int)t[a].n, t[a].p);
    i = e;
    int64_t n = 0;
    if (sub) {
      char num[24];
      if (!op(&t[i], ",") || t[i + 1].kind != K_NUM || t[i + 1].n != 1 ||
          t[i + 1].p[0] != '1' || !op(&t[i + 2], ",") ||
          t[i + 3].kind != K_NUM || t[i + 3].n > 9)
        return fail(s, "GROUP BY substr other than substr(col, 1, N)");
      snprintf(num, sizeof num, "%.*s", (int)t[i + 3].n, t[i + 3].p);
      for (size_t q = 0; q < t[i + 3].n; q++)
        if (!isdigit((unsigned char)num[q]))
          return fail(s, "GROUP BY substr other than substr(col, 1, N)");
      n = atoll(num);
      i += 4;
    }
    if (!op(&t[i], ")") || i + 1 != b)
      return fail(s, "GROUP BY term not understood");
    *k = (xkey){(uint8_t)(date ? XK_DATE : ym ? XK_YM : XK_SUBSTR), c, n};
    return 0;
  }
  return fail(s, "GROUP BY an expression other than a column, date(), "
                 "strftime('%%Y-%%m') or substr(col, 1, N)");
}

/* ---- result expressions ------------------------------------------------- */

static void slot_ref(pstate *s, buf_t *out, int slot) {
  const char *v = "n";
  if (slot < s->p->nkeys && s->p->keys[slot].kind == XK_COL) {
    switch (s->p->cols[s->p->keys[slot].col].type) {
      case XT_TEXT:
      case XT_ID: v = "t"; break;
      case XT_REAL: v = "r"; break;
      default: v = "i"; break;
    }
  }
  buf_addf(out, " __c%s%d", v, slot);
}

/* Do tokens at i match GROUP BY term k?  *end after them. */
static bool key_match(pstate *s, int i, int k, int *end) {
  xtok *t = s->tk.v;
  int a = s->key_a[k], b = s->key_b[k];
  int j = i;
  bool was_failed = s->failed;
  while (a < b) {
    int ea, ej;
    int ca = colref(s, a, &ea), cj = colref(s, j, &ej);
    if (ca >= 0 || cj >= 0) {
      if (ca != cj) return false;
      a = ea;
      j = ej;
      continue;
    }
    if (t[a].kind != t[j].kind || t[a].n != t[j].n) return false;
    if (t[a].kind == K_WORD
            ? sqlite3_strnicmp(t[a].p, t[j].p, (int)t[a].n) != 0
            : memcmp(t[a].p, t[j].p, t[a].n) != 0)
      return false;
    a++;
    j++;
  }
  (void)was_failed;
  *end = j;
  return true;
}

static int add_agg(pstate *s, xagg g) {
  xplan *p = s->p;
  for (int i = 0; i < p->naggs; i++)
    if (p->aggs[i].kind == g.kind && p->aggs[i].col == g.col)
      return p->nkeys + i;
  if (p->nkeys + p->naggs >= X_MAX_SLOTS) return fail(s, "too many aggregates");
  p->aggs[p->naggs++] = g;
  return p->nkeys + p->naggs - 1;
}

/* An aggregate call at i (its name): the slot, *end after it. */
static int parse_agg(pstate *s, int i, int *end) {
  xtok *t = s->tk.v;
  char name[16];
  ident_text(&t[i], name, sizeof name);
  for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
  int j = i + 2;
  xagg g = {0, -1};
  bool distinct = false;
  if (strcmp(name, "count") && strcmp(name, "sum") && strcmp(name, "total") &&
      strcmp(name, "avg") && strcmp(name, "min") && strcmp(name, "max"))
    return fail(s, "aggregate %s() is not served", name);
  if (strcmp(name, "count") == 0 && (op(&t[j], "*") || op(&t[j], ")"))) {
    g.kind = XG_COUNT_STAR;
    if (op(&t[j], "*")) j++;
  } else {
    if (kw(&t[j], "DISTINCT")) {
      distinct = true;
      j++;
    }
    int e;
    int c = colref(s, j, &e);
    if (c < 0)
      return s->failed ? -1
                       : fail(s, "%s() of an expression", name);
    j = e;
    const xcol *col = &s->p->cols[c];
    bool num = col->type == XT_INT || col->type == XT_REAL ||
               col->type == XT_BOOL;
    g.col = c;
    if (strcmp(name, "count") == 0) g.kind = distinct ? XG_COUNT_DISTINCT : XG_COUNT;
    else if (distinct) return fail(s, "%s(DISTINCT ...)", name);
    else if (strcmp(name, "min") == 0) g.kind = XG_MIN;
    else if (strcmp(name, "max") == 0) g.kind = XG_MAX;
    else if (!num) return fail(s, "%s() of a column that is not numeric", name);
    else if (strcmp(name, "sum") == 0) g.kind = XG_SUM;
    else if (strcmp(name, "total") == 0) g.kind = XG_TOTAL;
    else if (strcmp(name, "avg") == 0) g.kind = XG_AVG;
    else return fail(s, "aggregate %s() is not served", name);
  }
  if (!op(&t[j], ")")) return fail(s, "%s() with more than one argument", name);
  j++;
  if (kw(&t[j], "FILTER") || kw(&t[j], "OVER"))
    return fail(s, "%s() with FILTER or OVER", name);
  *end = j;
  return add_agg(s, g);
}

/* Rewrite tokens [a, b) into out: aggregates and group keys become slot
** columns; a column that is neither is a failure. */
static int join_agg(pstate *s, int i, int *end, buf_t *out);

static int rewrite_expr(pstate *s, int a, int b, buf_t *out) {
  xtok *t = s->tk.v;
  int i = a;
  while (i < b) {
    int e;
    if (kw(&t[i], "SELECT")) return fail(s, "a subquery");
    if (kw(&t[i], "OVER") || kw(&t[i], "FILTER")) return fail(s, "a window");
    if (kw(&t[i], "COLLATE") && !s->join)
      return fail(s, "COLLATE in the result");
    if (t[i].kind == K_WORD && op(&t[i + 1], "(") && is_agg_name(&t[i])) {
      if (s->join) {
        if (join_agg(s, i, &e, out) < 0) return -1;
        i = e;
        continue;
      }
      int slot = parse_agg(s, i, &e);
      if (slot < 0) return -1;
      slot_ref(s, out, slot);
      i = e;
      continue;
    }
    if (s->join) {
      int c = colref(s, i, &e);
      if (c == -2) return -1;
      if (c == -3) { /* the other table's: SQLite's */
        for (; i < e; i++) emit(s, out, i);
        continue;
      }
      if (c >= 0) {
        if (c != s->p->keys[0].col)
          return fail(s, "column %s of %s outside an aggregate",
                      s->p->cols[c].name, s->tname);
        buf_addf(out, " %s.", s->aref);
        slot_ref(s, out, 0);
        i = e;
        continue;
      }
      emit(s, out, i);
      if (kw(&t[i], "AS") && i + 1 < b) emit(s, out, ++i);
      i++;
      continue;
    }
    bool matched = false;
    for (int k = 0; k < s->p->nkeys && !matched; k++)
      if (key_match(s, i, k, &e)) {
        slot_ref(s, out, k);
        i = e;
        matched = true;
      }
    if (s->failed) return -1;
    if (matched) continue;
    int c = colref(s, i, &e);
    if (c == -2) return -1;
    if (c >= 0)
      return fail(s, "column %s is neither grouped nor aggregated",
                  s->p->cols[c].name);
    emit(s, out, i);
    if (kw(&t[i], "AS") && i + 1 < b) emit(s, out, ++i); /* CAST(x AS t) */
    i++;
  }
  return 0;
}

/* ---- the statement ------------------------------------------------------ */

static bool clause_start(const xtok *t) {
  return t->kind == K_END || kw(t, "WHERE") || kw(t, "GROUP") ||
         kw(t, "HAVING") || kw(t, "ORDER") || kw(t, "LIMIT") ||
         kw(t, "WINDOW");
}

/* The end of the comma-separated element starting at i, stopping at a
** top-level comma or a token for which stop() says so. */
static int elem_end(pstate *s, int i, bool (*stop)(const xtok *)) {
  xtok *t = s->tk.v;
  int depth = 0;
  for (; t[i].kind != K_END; i++) {
    if (op(&t[i], "(")) depth++;
    else if (op(&t[i], ")")) {
      if (depth == 0) return i;
      depth--;
    } else if (depth == 0 && (op(&t[i], ",") || stop(&t[i]))) {
      return i;
    }
  }
  return i;
}

static bool stop_from(const xtok *t) { return kw(t, "FROM"); }
static bool stop_clause(const xtok *t) { return clause_start(t); }

static bool any_agg(pstate *s, int a, int b) {
  for (int i = a; i < b; i++)
    if (is_agg_name(&s->tk.v[i]) && op(&s->tk.v[i + 1], "(")) return true;
  return false;
}

void exec_plan_free(xplan *p) {
  if (p == NULL) return;
  sch_free(p->t);
  free(p->preds);
  free(p);
}

static void xparse_clear(xparse *out);

void exec_parse_free(xparse *x) {
  if (x == NULL) return;
  exec_plan_free(x->plan);
  xparse_clear(x);
}

const char *exec_plan_table(const xplan *p) { return p->t->name; }
bool exec_plan_lookup(const xplan *p) { return p->lookup; }

/* ---- joins: eager aggregation -------------------------------------------
** S [LEFT] JOIN A ON S.x = A.k (or A JOIN S), with every aggregate over A's
** columns: the executor aggregates A by k (and A's own WHERE terms), and
** SQLite joins S with that small result and aggregates again:
**   count(*)  coalesce(sum(c), 0)  (LEFT: c is 1 for a NULL-extended row)
**   count(x)  coalesce(sum(c), 0)     sum(x)  sum(s)     total(x) total(t)
**   avg(x)    total(t) / sum(c)       min/max(x)  min/max(m)
** (s the partial SUMs, t the partial TOTALs: REAL, never an overflow)
** COUNT(DISTINCT) does not decompose: such a query stays with SQLite. */
static int join_agg(pstate *s, int i, int *end, buf_t *out) {
  xtok *t = s->tk.v;
  char name[16];
  ident_text(&t[i], name, sizeof name);
  for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
  if (strcmp(name, "count") && strcmp(name, "sum") && strcmp(name, "total") &&
      strcmp(name, "avg") && strcmp(name, "min") && strcmp(name, "max"))
    return fail(s, "aggregate %s() is not served", name);
  int j = i + 2, e;
  if (strcmp(name, "count") == 0 && (op(&t[j], "*") || op(&t[j], ")"))) {
    if (op(&t[j], "*")) j++;
    if (!op(&t[j], ")")) return fail(s, "count(* ...)");
    int sl = add_agg(s, (xagg){XG_COUNT_STAR, -1});
    if (sl < 0) return -1;
    buf_addf(out, s->left ? " coalesce(sum(coalesce(%s.__cn%d, 1)), 0)"
                          : " coalesce(sum(%s.__cn%d), 0)",
             s->aref, sl);
    *end = j + 1;
  } else {
    if (kw(&t[j], "DISTINCT")) return fail(s, "%s(DISTINCT) over a join", name);
    int c = colref(s, j, &e);
    if (c == -3) return fail(s, "%s() of %s's column", name, s->sname);
    if (c < 0) return s->failed ? -1 : fail(s, "%s() of an expression", name);
    if (!op(&t[e], ")")) return fail(s, "%s() with more than one argument", name);
    const xcol *col = &s->p->cols[c];
    bool num = col->type == XT_INT || col->type == XT_REAL ||
               col->type == XT_BOOL;
    int sl, sc;
    if (strcmp(name, "count") == 0) {
      if ((sl = add_agg(s, (xagg){XG_COUNT, c})) < 0) return -1;
      buf_addf(out, " coalesce(sum(%s.__cn%d), 0)", s->aref, sl);
    } else if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0) {
      if ((sl = add_agg(s, (xagg){name[1] == 'i' ? XG_MIN : XG_MAX, c})) < 0)
        return -1;
      buf_addf(out, " %s(%s.__cn%d)", name, s->aref, sl);
    } else if (!num) {
      return fail(s, "%s() of a column that is not numeric", name);
    } else if (strcmp(name, "avg") == 0) {
      /* the partial totals (REAL: they never overflow) */
      if ((sl = add_agg(s, (xagg){XG_TOTAL, c})) < 0 ||
          (sc = add_agg(s, (xagg){XG_COUNT, c})) < 0)
        return -1;
      buf_addf(out, " (total(%s.__cn%d) / sum(%s.__cn%d))", s->aref, sl,
               s->aref, sc);
    } else {
      bool tot = strcmp(name, "total") == 0;
      if ((sl = add_agg(s, (xagg){tot ? XG_TOTAL : XG_SUM, c})) < 0) return -1;
      buf_addf(out, " %s(%s.__cn%d)", name, s->aref, sl);
    }
    *end = e + 1;
  }
  if (kw(&t[*end], "FILTER") || kw(&t[*end], "OVER"))
    return fail(s, "%s() with FILTER or OVER", name);
  return 0;
}

/* A table reference at i: name [[AS] alias]; *i after it. */
static bool table_ref(pstate *s, int *i, char *name, char *alias) {
  xtok *t = s->tk.v;
  if (!is_ident(&t[*i]) || op(&t[*i + 1], ".") || op(&t[*i + 1], "("))
    return false;
  ident_text(&t[*i], name, 72);
  (*i)++;
  alias[0] = 0;
  if (kw(&t[*i], "AS")) (*i)++;
  if (is_ident(&t[*i]) && !is_reserved(&t[*i])) {
    ident_text(&t[*i], alias, 72);
    (*i)++;
  }
  return true;
}

/* The table SQL reads for name: as the SQL session declares them (see
** sql/session.c declare_table), each table claims its name and its _all
** twin, oldest table first, ASCII case ignored, so of two tables whose
** names clash the older one is the one a statement reads. */
static int resolve(pstate *s, const char *name, cat_table **ct, bool *all) {
  *all = false;
  *ct = NULL;
  size_t nl = strlen(name);
  for (uint32_t i = 0; i < s->db->ntables; i++) {
    cat_table *c = &s->db->tables[i];
    const char *tn = c->s->name;
    size_t tl = strlen(tn);
    bool self = sqlite3_stricmp(tn, name) == 0;
    bool twin = !self && nl == tl + 4 &&
                sqlite3_strnicmp(tn, name, (int)tl) == 0 &&
                sqlite3_stricmp(name + tl, "_all") == 0;
    if ((self || twin) &&
        (*ct == NULL || c->s->table_id < (*ct)->s->table_id)) {
      *ct = c;
      *all = twin;
    }
  }
  if (*ct) return 0;
  return fail(s, "%s is not a remdb table", name);
}

/* The join form, from the token after FROM (at).  attempt 0 aggregates the
** right table, attempt 1 (inner joins) the left one. */
static int parse_join(pstate *s, xparse *out, int at, int attempt) {
  xtok *t = s->tk.v;
  int i = at;
  char n1[72], a1[72], n2[72], a2[72];
  if (!table_ref(s, &i, n1, a1)) return fail(s, "FROM not understood");
  int t1_a = at, t1_b = i;
  bool left = false;
  if (kw(&t[i], "LEFT")) {
    left = true;
    i++;
    if (kw(&t[i], "OUTER")) i++;
  } else if (kw(&t[i], "INNER")) {
    i++;
  }
  if (!kw(&t[i], "JOIN")) return fail(s, "a join other than [LEFT] JOIN ... ON");
  i++;
  int t2_a = i;
  if (!table_ref(s, &i, n2, a2)) return fail(s, "a join of a subquery or function");
  int t2_b = i;
  if (!kw(&t[i], "ON")) return fail(s, "a join without ON");
  int on_a = ++i;
  while (!clause_start(&t[i]) && !kw(&t[i], "JOIN") && !kw(&t[i], "LEFT") &&
         !kw(&t[i], "INNER") && !op(&t[i], ","))
    i++;
  int on_b = i;
  if (!clause_start(&t[i])) return fail(s, "a join of more than two tables");
  if (s->named) return fail(s, "named parameters in a join");
  if (left && attempt == 1) return fail(s, "an aggregate over the left table of a LEFT JOIN");
  s->join = true;
  s->left = left;
  bool a_is_2 = attempt == 0;
  snprintf(s->tname, sizeof s->tname, "%s", a_is_2 ? n2 : n1);
  snprintf(s->alias, sizeof s->alias, "%s", a_is_2 ? a2 : a1);
  snprintf(s->sname, sizeof s->sname, "%s", a_is_2 ? n1 : n2);
  snprintf(s->salias, sizeof s->salias, "%s", a_is_2 ? a1 : a2);
  snprintf(s->aref, sizeof s->aref, "%s", s->alias[0] ? s->alias : s->tname);
  if (sqlite3_stricmp(s->aref, s->salias[0] ? s->salias : s->sname) == 0)
    return fail(s, "a join whose tables share a name");
  cat_table *ca, *cs;
  bool all, sall;
  if (resolve(s, s->tname, &ca, &all) < 0 || resolve(s, s->sname, &cs, &sall) < 0)
    return -1;
  s->t = ca->s;
  s->st = cs->s;
  s->p->t = sch_retain(ca->s);
  s->p->all = all;
  /* ON: A.k = S.x */
  int e1, e2, k = -1;
  int c1 = colref(s, on_a, &e1);
  if (c1 == -2) return -1;
  if ((op(&t[e1], "=") || op(&t[e1], "==")) && c1 != -1) {
    int c2 = colref(s, e1 + 1, &e2);
    if (c2 == -2) return -1;
    if (e2 == on_b && ((c1 >= 0 && c2 == -3) || (c1 == -3 && c2 >= 0)))
      k = c1 >= 0 ? c1 : c2;
  }
  if (k < 0) return fail(s, "a join condition other than one column equality");
  {
    /* the other side's type: the lookup serves ON only when both compare
    ** alike (text with text, numbers with numbers) */
    int so = c1 >= 0 ? e1 + 1 : on_a;
    int sn = op(&t[so + 1], ".") ? so + 2 : so;
    char nm[72];
    ident_text(&t[sn], nm, sizeof nm);
    enum xcol_type sty = XT_ANY;
    static const char *const sys[] = {"id", "type", "created_at",
                                      "modified_at", "deleted_at"};
    for (int q = 0; q < 5; q++)
      if (sqlite3_stricmp(nm, sys[q]) == 0) sty = XT_TEXT;
    json_t *props = json_object_get(s->st->doc, "properties");
    const char *pk;
    json_t *pv;
    json_object_foreach(props, pk, pv) if (sqlite3_stricmp(pk, nm) == 0) {
      bool ok;
      sty = type_of(sch_prop_types(s->st, pk), &ok);
    }
    enum xcol_type kty = s->p->cols[k].type;
    bool ktext = kty == XT_TEXT || kty == XT_ID, stext = sty == XT_TEXT;
    bool knum = kty == XT_INT || kty == XT_BOOL || kty == XT_REAL;
    bool snum = sty == XT_INT || sty == XT_BOOL || sty == XT_REAL;
    s->p->lookup = (ktext && stext) || (knum && snum);
  }
  if (s->p->cols[k].type == XT_ANY) return fail(s, "a join key without a single type");
  s->p->keys[0] = (xkey){XK_COL, k, 0};
  s->p->nkeys = 1;
  s->p->join = true;
  s->akeyslot = 0;
  /* WHERE: A's terms to the plan, the rest stays */
  buf_t w;
  buf_init(&w);
  s->p->root = -1;
  if (kw(&t[i], "WHERE")) {
    i++;
    while (!clause_start(&t[i])) {
      int a = i, depth = 0, between = 0;
      for (; !clause_start(&t[i]) || depth > 0; i++) {
        if (op(&t[i], "(")) depth++;
        else if (op(&t[i], ")")) depth--;
        else if (depth == 0 && kw(&t[i], "BETWEEN")) between++;
        else if (depth == 0 && kw(&t[i], "AND")) {
          if (between) between--;
          else break;
        }
        if (t[i].kind == K_END) break;
      }
      int b = i;
      bool has_a = false, has_s = false;
      for (int q = a; q < b;) {
        int e;
        if (kw(&t[q], "SELECT")) return buf_free(&w), fail(s, "a subquery");
        int c = colref(s, q, &e);
        if (c == -2) return buf_free(&w), -1;
        if (c >= 0) has_a = true;
        if (c == -3) has_s = true;
        q = c >= 0 || c == -3 ? e : q + 1;
      }
      if (has_a && has_s)
        return buf_free(&w), fail(s, "a WHERE term over both tables");
      if (has_a) {
        if (left)
          return buf_free(&w), fail(s, "a WHERE term on the right table of a "
                                       "LEFT JOIN");
        int q = a;
        int kind = t[b].kind; /* the term ends at b */
        t[b].kind = K_END;
        int r = p_or(s, &q);
        t[b].kind = kind;
        if (r < 0) return buf_free(&w), -1;
        if (q != b) return buf_free(&w), fail(s, "WHERE term not understood");
        s->p->root = s->p->root < 0 ? r
                                    : new_pred(s, (xpred){.op = XP_AND,
                                                          .a = s->p->root,
                                                          .b = r});
      } else {
        buf_adds(&w, w.len ? " AND (" : " WHERE (");
        for (int q = a; q < b; q++) emit(s, &w, q);
        buf_adds(&w, " )");
      }
      if (kw(&t[i], "AND")) i++;
    }
  }
  /* the select list */
  out->items = calloc((size_t)s->nitems, sizeof *out->items);
  buf_t b;
  buf_init(&b);
  if (out->items == NULL) return buf_free(&w), fail(s, "out of memory");
  for (int n = 0; n < s->nitems; n++) {
    buf_reset(&b);
    if (s->item_b[n] - s->item_a[n] == 1 && op(&t[s->item_a[n]], "*"))
      return buf_free(&w), buf_free(&b), fail(s, "SELECT *");
    if (rewrite_expr(s, s->item_a[n], s->item_b[n], &b) < 0)
      return buf_free(&w), buf_free(&b), -1;
    buf_addc(&b, 0);
    out->items[n] = b.oom ? NULL : strdup(b.p);
    out->nitems = n + 1;
    if (out->items[n] == NULL) return buf_free(&w), buf_free(&b), fail(s, "out of memory");
  }
  /* FROM: A's reference becomes remdb_colx(); ON reads its key slot */
  buf_reset(&b);
  int sa = a_is_2 ? t1_a : t2_a, sb = a_is_2 ? t1_b : t2_b;
  if (a_is_2) {
    for (int q = sa; q < sb; q++) emit(s, &b, q);
    buf_adds(&b, left ? " LEFT JOIN" : " JOIN");
  }
  buf_addc(&b, 0);
  out->from_pre = strdup(b.p ? b.p : "");
  buf_reset(&b);
  buf_addf(&b, " AS %s", s->aref);
  if (!a_is_2) {
    buf_adds(&b, " JOIN");
    for (int q = sa; q < sb; q++) emit(s, &b, q);
  }
  buf_adds(&b, " ON");
  if (rewrite_expr(s, on_a, on_b, &b) < 0) return buf_free(&w), buf_free(&b), -1;
  buf_addc(&b, 0);
  out->from_post = b.oom ? NULL : strdup(b.p);
  /* the tail: WHERE (the rest), GROUP BY, HAVING, ORDER BY, LIMIT */
  buf_reset(&b);
  if (w.len) buf_add(&b, w.p, w.len);
  buf_free(&w);
  if (kw(&t[i], "GROUP")) {
    i += 2;
    int e = i;
    while (!clause_start(&t[e]) || kw(&t[e], "GROUP")) e++;
    buf_adds(&b, " GROUP BY");
    if (rewrite_expr(s, i, e, &b) < 0) return buf_free(&b), -1;
    i = e;
  }
  if (kw(&t[i], "HAVING")) {
    i++;
    int e = i;
    while (!clause_start(&t[e]) || kw(&t[e], "HAVING")) e++;
    buf_adds(&b, " HAVING");
    if (rewrite_expr(s, i, e, &b) < 0) return buf_free(&b), -1;
    i = e;
  }
  if (kw(&t[i], "ORDER")) {
    i += 2;
    int e = i;
    while (!clause_start(&t[e]) || kw(&t[e], "ORDER")) e++;
    buf_adds(&b, " ORDER BY");
    if (rewrite_expr(s, i, e, &b) < 0) return buf_free(&b), -1;
    i = e;
  }
  if (kw(&t[i], "LIMIT"))
    for (; t[i].kind != K_END; i++) emit(s, &b, i);
  if (t[i].kind != K_END)
    return buf_free(&b), fail(s, "clause \"%.*s\" not understood",
                              (int)t[i].n, t[i].p);
  buf_addc(&b, 0);
  buf_addc(&s->args, 0);
  if (b.oom || s->args.oom || !out->from_pre || !out->from_post)
    return buf_free(&b), fail(s, "out of memory");
  out->tail = buf_detach(&b, NULL);
  out->args = buf_detach(&s->args, NULL);
  return 1;
}

static int parse(pstate *s, xparse *out) {
  xtok *t = s->tk.v;
  int i = 0;
  if (!kw(&t[i], "SELECT")) return 0;
  i++;
  if (kw(&t[i], "DISTINCT")) {
    out->distinct = true;
    i++;
  } else if (kw(&t[i], "ALL")) {
    i++;
  }
  /* select items */
  for (;;) {
    int e = elem_end(s, i, stop_from);
    if (e == i) return 0;
    if (s->nitems == (int)(sizeof s->item_a / sizeof *s->item_a)) return 0;
    int n = s->nitems++;
    s->item_alias[n][0] = 0;
    int b = e;
    if (b - i >= 2 && kw(&t[b - 2], "AS") && is_ident(&t[b - 1])) {
      ident_text(&t[b - 1], s->item_alias[n], sizeof s->item_alias[n]);
      b -= 2;
    } else if (b - i >= 2 && is_ident(&t[b - 1]) && !is_reserved(&t[b - 1]) &&
               (is_ident(&t[b - 2]) || op(&t[b - 2], ")") ||
                t[b - 2].kind == K_NUM || t[b - 2].kind == K_STR) &&
               !op(&t[b - 2], ".")) {
      ident_text(&t[b - 1], s->item_alias[n], sizeof s->item_alias[n]);
      b -= 1;
    }
    s->item_a[n] = i;
    s->item_b[n] = b;
    i = e;
    if (op(&t[i], ",")) {
      i++;
      continue;
    }
    break;
  }
  if (!kw(&t[i], "FROM")) return 0;
  int from = i;
  i++;
  if (!is_ident(&t[i])) return 0;
  /* is this an aggregation at all? */
  bool group = false;
  for (int k = i; t[k].kind != K_END; k++)
    if (kw(&t[k], "GROUP") && kw(&t[k + 1], "BY")) group = true;
  if (!group && !any_agg(s, 0, s->tk.n - 1)) return 0;
  if (op(&t[i + 1], ".")) return fail(s, "a schema-qualified table");
  for (int k = 0; k < s->tk.n; k++)
    if (kw(&t[k], "SELECT") && k != 0) return fail(s, "a subquery");
  {
    int q = i;
    char nm[72], al[72];
    if (table_ref(s, &q, nm, al) &&
        (kw(&t[q], "JOIN") || kw(&t[q], "LEFT") || kw(&t[q], "INNER")))
      return parse_join(s, out, i, s->attempt);
  }
  ident_text(&t[i], s->tname, sizeof s->tname);
  i++;
  if (kw(&t[i], "AS")) i++;
  if (is_ident(&t[i]) && !is_reserved(&t[i])) {
    ident_text(&t[i], s->alias, sizeof s->alias);
    i++;
  }
  if (op(&t[i], ",") || kw(&t[i], "JOIN") || kw(&t[i], "LEFT") ||
      kw(&t[i], "INNER") || kw(&t[i], "CROSS") || kw(&t[i], "NATURAL") ||
      kw(&t[i], "RIGHT") || kw(&t[i], "FULL"))
    return fail(s, "a join");
  if (!clause_start(&t[i]) || kw(&t[i], "WINDOW"))
    return fail(s, "FROM clause not understood");
  for (int k = 0; k < s->tk.n; k++)
    if (kw(&t[k], "SELECT") && k != 0) return fail(s, "a subquery");
  cat_table *ct;
  bool all;
  if (resolve(s, s->tname, &ct, &all) < 0) return -1;
  s->p->all = all;
  s->t = ct->s;
  s->p->t = sch_retain(ct->s);
  (void)from;
  /* WHERE */
  s->p->root = -1;
  if (kw(&t[i], "WHERE")) {
    i++;
    int r = p_or(s, &i);
    if (r < 0) return -1;
    s->p->root = r;
    if (!clause_start(&t[i])) return fail(s, "WHERE not understood");
  }
  /* GROUP BY */
  if (kw(&t[i], "GROUP")) {
    i += 2;
    for (;;) {
      int e = elem_end(s, i, stop_clause);
      if (e == i) return fail(s, "empty GROUP BY term");
      if (s->p->nkeys == X_MAX_SLOTS) return fail(s, "too many GROUP BY terms");
      int k = s->p->nkeys;
      int a = i, b = e;
      /* GROUP BY N: the N-th result column; an alias: its expression */
      if (b == a + 1 && t[a].kind == K_NUM) {
        for (size_t q = 0; q < t[a].n; q++)
          if (t[a].p[q] < '0' || t[a].p[q] > '9')
            return fail(s, "GROUP BY a constant");
        int nn = tok_int(&t[a], 0);
        if (nn < 1 || nn > s->nitems) return fail(s, "GROUP BY %d", nn);
        a = s->item_a[nn - 1];
        b = s->item_b[nn - 1];
      } else if (b == a + 1 && is_ident(&t[a])) {
        int ee;
        int c = colref(s, a, &ee);
        if (c == -2) return -1;
        if (c == -1) {
          char nm[72];
          ident_text(&t[a], nm, sizeof nm);
          for (int q = 0; q < s->nitems; q++)
            if (s->item_alias[q][0] && sqlite3_stricmp(s->item_alias[q], nm) == 0) {
              a = s->item_a[q];
              b = s->item_b[q];
              break;
            }
        }
      }
      xkey key;
      if (parse_key(s, a, b, &key) < 0) return -1;
      s->key_a[k] = a;
      s->key_b[k] = b;
      s->p->keys[k] = key;
      s->p->nkeys++;
      i = e;
      if (op(&t[i], ",")) {
        i++;
        continue;
      }
      break;
    }
  }
  if (s->p->nkeys + 0 > X_MAX_SLOTS) return fail(s, "too many keys");
  /* select items */
  out->items = calloc((size_t)s->nitems, sizeof *out->items);
  if (out->items == NULL) return fail(s, "out of memory");
  buf_t b;
  buf_init(&b);
  for (int n = 0; n < s->nitems; n++) {
    buf_reset(&b);
    if (s->item_b[n] - s->item_a[n] == 1 && op(&t[s->item_a[n]], "*"))
      return buf_free(&b), fail(s, "SELECT *");
    if (rewrite_expr(s, s->item_a[n], s->item_b[n], &b) < 0)
      return buf_free(&b), -1;
    buf_addc(&b, 0);
    if (b.oom) return buf_free(&b), fail(s, "out of memory");
    out->items[n] = strdup(b.p);
    out->nitems = n + 1;
    if (out->items[n] == NULL) return buf_free(&b), fail(s, "out of memory");
  }
  /* HAVING, ORDER BY, LIMIT: the tail */
  buf_reset(&b);
  if (kw(&t[i], "HAVING")) {
    i++;
    int e = i;
    while (!clause_start(&t[e]) || kw(&t[e], "HAVING")) e++;
    buf_adds(&b, " WHERE (");
    if (rewrite_expr(s, i, e, &b) < 0) return buf_free(&b), -1;
    buf_adds(&b, " )");
    i = e;
  }
  if (kw(&t[i], "ORDER")) {
    if (!kw(&t[i + 1], "BY")) return buf_free(&b), fail(s, "ORDER not understood");
    i += 2;
    buf_adds(&b, " ORDER BY");
    for (;;) {
      int e = elem_end(s, i, stop_clause);
      if (e == i) return buf_free(&b), fail(s, "empty ORDER BY term");
      /* the expression, then COLLATE/ASC/DESC/NULLS FIRST|LAST */
      int x = e;
      while (x > i && (kw(&t[x - 1], "ASC") || kw(&t[x - 1], "DESC") ||
                       kw(&t[x - 1], "FIRST") || kw(&t[x - 1], "LAST") ||
                       kw(&t[x - 1], "NULLS")))
        x--;
      bool alias = false;
      if (x == i + 1 && is_ident(&t[i])) {
        char nm[72];
        ident_text(&t[i], nm, sizeof nm);
        for (int q = 0; q < s->nitems; q++)
          if (s->item_alias[q][0] && sqlite3_stricmp(s->item_alias[q], nm) == 0)
            alias = true;
      }
      if (alias || (x == i + 1 && t[i].kind == K_NUM)) {
        emit(s, &b, i);
      } else if (rewrite_expr(s, i, x, &b) < 0) {
        return buf_free(&b), -1;
      }
      for (int q = x; q < e; q++) emit(s, &b, q);
      i = e;
      if (op(&t[i], ",")) {
        buf_adds(&b, ",");
        i++;
        continue;
      }
      break;
    }
  }
  if (kw(&t[i], "LIMIT")) {
    for (; t[i].kind != K_END; i++) {
      if (kw(&t[i], "SELECT")) return buf_free(&b), fail(s, "a subquery");
      int e;
      if (colref(s, i, &e) >= 0 || s->failed)
        return buf_free(&b), s->failed ? -1 : fail(s, "a column in LIMIT");
      emit(s, &b, i);
    }
  }
  if (t[i].kind != K_END)
    return buf_free(&b), fail(s, "clause \"%.*s\" not understood",
                              (int)t[i].n, t[i].p);
  buf_addc(&b, 0);
  buf_addc(&s->args, 0);
  if (b.oom || s->args.oom) return buf_free(&b), fail(s, "out of memory");
  out->tail = buf_detach(&b, NULL);
  out->args = buf_detach(&s->args, NULL);
  if (s->p->nkeys + s->p->naggs == 0) return fail(s, "nothing to aggregate");
  return 1;
}

static void xparse_clear(xparse *out) {
  for (int i = 0; i < out->nitems; i++) free(out->items[i]);
  free(out->items);
  free(out->tail);
  free(out->args);
  free(out->from_pre);
  free(out->from_post);
  memset(out, 0, sizeof *out);
}

/* The numbers SQLite gives the anonymous parameters ("?"), per token. */
static bool number_params(pstate *s) {
  s->pnum = calloc((size_t)s->tk.n + 1, sizeof *s->pnum);
  if (s->pnum == NULL) return false;
  int max = 0;
  for (int i = 0; i < s->tk.n; i++) {
    const xtok *t = &s->tk.v[i];
    if (t->kind != K_PARAM) continue;
    if (t->p[0] == '?' && t->n == 1) s->pnum[i] = ++max;
    else if (t->p[0] == '?') {
      int n = tok_int(t, 1);
      if (n > max) max = n;
    } else {
      s->named = true;
      max++; /* a first use takes the next number (a repeat does not:
             ** the rewrite keeps such statements in order) */
    }
  }
  return true;
}

int exec_parse(remdb *db, const char *sql, size_t len, xparse *out,
               char *why, size_t whylen) {
  memset(out, 0, sizeof *out);
  if (whylen) why[0] = 0;
  int r = 0;
  char why0[256] = "";
  for (int attempt = 0; attempt < 2; attempt++) {
    pstate *s = calloc(1, sizeof *s);
    if (s == NULL) return 0;
    s->db = db;
    s->why = attempt ? why0 : why;
    s->whylen = attempt ? sizeof why0 : whylen;
    s->attempt = attempt;
    buf_init(&s->args);
    s->p = calloc(1, sizeof *s->p);
    r = 0;
    if (s->p && lex(sql, len, &s->tk) && number_params(s)) r = parse(s, out);
    bool retry = false;
      if (r == 1 && !s->failed) {
      out->plan = s->p;
      out->table = s->p->t->name;
      out->stable = s->join && s->st ? s->st->name : NULL;
    } else {
      if (r == 0 && !s->failed && whylen && attempt == 0) why[0] = 0;
      /* an inner join: perhaps the aggregates are over the left table */
      retry = s->join && !s->left && attempt == 0;
      exec_plan_free(s->p);
      xparse_clear(out);
      r = 0;
    }
    buf_free(&s->args);
    free(s->pnum);
    free(s->tk.v);
    free(s);
    if (attempt == 1 && r == 0 && whylen) snprintf(why, whylen, "%s", why0);
    if (!retry) break;
  }
  return r;
}

static bool indexable(const xplan *p, const cat_table *ct, int pi) {
  const xpred *pr = &p->preds[pi];
  if (pr->op == XP_AND)
    return indexable(p, ct, pr->a) || indexable(p, ct, pr->b);
  if ((pr->op == XP_CMP && pr->cmp != XC_NE) || pr->op == XP_IN ||
      pr->op == XP_BETWEEN || pr->op == XP_IS || pr->op == XP_ISNULL) {
    if (pr->neg) return false;
    const xcol *c = &p->cols[pr->col];
    bool eq = (pr->op == XP_CMP && pr->cmp == XC_EQ) || pr->op == XP_IN;
    /* point gets: id, or the key_field the ids derive from */
    if (c->type == XT_ID ||
        (p->t->key_field && sqlite3_stricmp(c->name, p->t->key_field) == 0))
      return eq;
    return c->field >= REC_F_FIRST && cat_index_ready(ct, c->field);
  }
  return false;
}

bool exec_plan_indexable(const xplan *p, remdb *db) {
  /* a join on the other table's key_field: one group per row, nothing
  ** for eager aggregation to save; SQLite's key lookups serve it */
  if (p->join && p->t->key_field &&
      sqlite3_stricmp(p->cols[p->keys[0].col].name, p->t->key_field) == 0)
    return true;
  if (p->root < 0) return false;
  cat_table *ct;
  if (cat_lookup(db, p->t->name, &ct) != REMDB_OK) {
    err_clear(&db->err);
    return false;
  }
  return indexable(p, ct, p->root);
}

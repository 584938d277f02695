/*
** query.c: the query parser and evaluator of query.h.
**
** The parsed query is a tree of AND / OR nodes over leaves (term, phrase,
** prefix); an excluded child carries a flag.  Evaluation mirrors it with a
** runtime tree whose every node can (1) move to its next candidate
** document >= a target (AND: leapfrog over its non-excluded children; OR:
** the least of its children's; leaf: its cursor, or the conjunction of a
** phrase's, or the union of a prefix's), (2) say whether it matches the
** candidate, pushing the leaves' (tf, dl) onto a stack that a failed AND
** unwinds, and (3) bound its score over a doc range from block maxima.
** Scores are summed in leaf order, whatever path found the document, so
** the top-k result equals the brute-force one to the last bit.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "query.h"

/* ======================================================================
** The parsed query
** ====================================================================== */

typedef enum nkind { N_EMPTY, N_TERM, N_PHRASE, N_PREFIX, N_AND, N_OR } nkind;

typedef struct qnode {
  nkind kind;
  bool neg;
  size_t at; /* 1-based character position in the query text */
  /* leaves */
  size_t nterm;
  char **term;
  size_t *tlen;
  uint32_t *rel; /* phrase: position of each term relative to the first */
  size_t leaf;   /* index in query order */
  /* AND / OR */
  struct qnode **kid;
  size_t nkid, capkid;
} qnode;

struct fts_query {
  qnode *root; /* NULL: empty */
  qnode **leaves;
  size_t nleaves;
};

static void qnode_free(qnode *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nterm; i++) free(n->term[i]);
  free(n->term);
  free(n->tlen);
  free(n->rel);
  for (size_t i = 0; i < n->nkid; i++) qnode_free(n->kid[i]);
  free(n->kid);
  free(n);
}

void fts_query_free(fts_query *q) {
  if (!q) return;
  qnode_free(q->root);
  free(q->leaves);
  free(q);
}

bool fts_query_empty(const fts_query *q) { return q->root == NULL; }
size_t fts_query_leaves(const fts_query *q) { return q->nleaves; }

static int qnode_add_kid(qnode *n, qnode *k) {
  if (n->nkid == n->capkid) {
    size_t cap = n->capkid ? n->capkid * 2 : 4;
    qnode **nk = realloc(n->kid, cap * sizeof *nk);
    if (!nk) return -1;
    n->kid = nk;
    n->capkid = cap;
  }
  n->kid[n->nkid++] = k;
  return 0;
}

static int qnode_add_term(qnode *n, const char *t, size_t len, uint32_t rel) {
  char **nt = realloc(n->term, (n->nterm + 1) * sizeof *nt);
  if (!nt) return -1;
  n->term = nt;
  size_t *nl = realloc(n->tlen, (n->nterm + 1) * sizeof *nl);
  if (!nl) return -1;
  n->tlen = nl;
  uint32_t *nr = realloc(n->rel, (n->nterm + 1) * sizeof *nr);
  if (!nr) return -1;
  n->rel = nr;
  char *c = malloc(len + 1);
  if (!c) return -1;
  memcpy(c, t, len);
  c[len] = 0;
  n->term[n->nterm] = c;
  n->tlen[n->nterm] = len;
  n->rel[n->nterm] = rel;
  n->nterm++;
  return 0;
}

/* ---- lexer ------------------------------------------------------------ */

typedef enum tkind {
  T_EOF, T_LP, T_RP, T_AND, T_OR, T_NOT, T_MINUS, T_PHRASE, T_WORD
} tkind;

typedef struct tok {
  tkind kind;
  size_t start, end; /* bytes: the word or the phrase's inside */
  size_t at;         /* byte offset where the token starts */
  bool prefix;       /* word ended in '*' */
} tok;

typedef struct parser {
  const char *s;
  size_t n, i;
  fts_analyzer *a;
  char *err;
  size_t errlen;
  int fail; /* 0, 1 syntax error, 2 out of memory */
  int depth;
  tok peek;
  bool have_peek;
} parser;

/* 1-based character position of byte offset off. */
static size_t charpos(const parser *p, size_t off) {
  size_t c = 1;
  for (size_t i = 0; i < off && i < p->n; i++)
    if (((unsigned char)p->s[i] & 0xC0) != 0x80) c++;
  return c;
}

static void perr(parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void perr(parser *p, size_t off, const char *fmt, ...) {
  if (p->fail) return;
  p->fail = 1;
  if (!p->err || !p->errlen) return;
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(p->err, p->errlen, "query: %s at position %zu", msg,
           charpos(p, off));
}

/* The byte offset of 1-based character position c (charpos inverted). */
static size_t byteoff(const parser *p, size_t c) {
  size_t i = 0;
  for (size_t k = 1; i < p->n; i++) {
    if (((unsigned char)p->s[i] & 0xC0) != 0x80 && k++ == c) break;
  }
  return i;
}

static void poom(parser *p) {
  if (p->fail) return;
  p->fail = 2;
  if (p->err && p->errlen) snprintf(p->err, p->errlen, "out of memory");
}

/* Width of the space character at s[i], or 0 if it is not one. */
static size_t space_at(const parser *p, size_t i) {
  unsigned char c = (unsigned char)p->s[i];
  if (c < 0x80) return (c == ' ' || (c >= '\t' && c <= '\r')) ? 1 : 0;
  int32_t cp;
  utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p->s + i,
                                        (utf8proc_ssize_t)(p->n - i), &cp);
  if (k <= 0) return 0;
  utf8proc_category_t cat = utf8proc_category(cp);
  if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
      cat == UTF8PROC_CATEGORY_ZP)
    return (size_t)k;
  return 0;
}

static bool word_end(const parser *p, size_t i) {
  if (i >= p->n) return true;
  char c = p->s[i];
  return c == '"' || c == '(' || c == ')' || space_at(p, i) > 0;
}

static tok lex(parser *p) {
  tok t = {T_EOF, 0, 0, 0, false};
  for (;;) {
    if (p->i >= p->n) {
      t.at = p->n;
      return t;
    }
    size_t w = space_at(p, p->i);
    if (!w) break;
    p->i += w;
  }
  t.at = p->i;
  char c = p->s[p->i];
  if (c == '(') {
    p->i++;
    t.kind = T_LP;
    return t;
  }
  if (c == ')') {
    p->i++;
    t.kind = T_RP;
    return t;
  }
  if (c == '"') {
    size_t j = p->i + 1;
    while (j < p->n && p->s[j] != '"') j++;
    if (j >= p->n) {
      perr(p, t.at, "unterminated quote");
      t.kind = T_EOF;
      return t;
    }
    t.kind = T_PHRASE;
    t.start = p->i + 1;
    t.end = j;
    p->i = j + 1;
    if (p->i < p->n && p->s[p->i] == '*') {
      perr(p, p->i, "a quoted phrase cannot end in '*' (prefix)");
      t.kind = T_EOF;
    }
    return t;
  }
  if (c == '-') {
    if (word_end(p, p->i + 1) && !(p->i + 1 < p->n && (p->s[p->i + 1] == '"' ||
                                                       p->s[p->i + 1] == '('))) {
      perr(p, t.at, "'-' must be followed directly by a term to exclude");
      t.kind = T_EOF;
      return t;
    }
    p->i++;
    t.kind = T_MINUS;
    return t;
  }
  size_t j = p->i;
  while (!word_end(p, j)) j++;
  t.start = p->i;
  t.end = j;
  p->i = j;
  size_t len = t.end - t.start;
  if (len == 3 && memcmp(p->s + t.start, "AND", 3) == 0) t.kind = T_AND;
  else if (len == 2 && memcmp(p->s + t.start, "OR", 2) == 0) t.kind = T_OR;
  else if (len == 3 && memcmp(p->s + t.start, "NOT", 3) == 0) t.kind = T_NOT;
  else {
    t.kind = T_WORD;
    if (p->s[t.end - 1] == '*') {
      t.prefix = true;
      t.end--;
      if (t.end == t.start) {
        perr(p, t.at, "'*' needs a prefix before it");
        t.kind = T_EOF;
      }
    }
  }
  return t;
}

static tok peek(parser *p) {
  if (!p->have_peek) {
    p->peek = lex(p);
    p->have_peek = true;
  }
  return p->peek;
}

static tok next(parser *p) {
  tok t = peek(p);
  p->have_peek = false;
  return t;
}

/* ---- leaves --------------------------------------------------------------- */

typedef struct leafacc {
  qnode *n;
  uint32_t pos0;
  bool first, oom;
} leafacc;

static int leaf_token(void *ctx, const fts_token *t) {
  leafacc *x = ctx;
  if (x->first) {
    x->pos0 = t->pos;
    x->first = false;
  }
  if (qnode_add_term(x->n, t->term, t->len, t->pos - x->pos0)) {
    x->oom = true;
    return 1;
  }
  return 0;
}

static qnode *new_node(parser *p, nkind k, size_t off) {
  qnode *n = calloc(1, sizeof *n);
  if (!n) {
    poom(p);
    return NULL;
  }
  n->kind = k;
  n->at = charpos(p, off);
  return n;
}

static qnode *make_leaf(parser *p, const tok *t) {
  qnode *n = new_node(p, N_EMPTY, t->at);
  if (!n) return NULL;
  const char *s = p->s + t->start;
  size_t len = t->end - t->start;
  if (t->kind == T_WORD && t->prefix) {
    char buf[FTS_MAX_TERM + 8];
    size_t k = fts_analyze_prefix(p->a, s, len, buf, sizeof buf);
    if (k == (size_t)-1) {
      perr(p, t->at, "a prefix query needs a single word before '*'");
      qnode_free(n);
      return NULL;
    }
    if (k > 0) {
      if (qnode_add_term(n, buf, k, 0)) {
        poom(p);
        qnode_free(n);
        return NULL;
      }
      n->kind = N_PREFIX;
    }
    return n;
  }
  leafacc x = {n, 0, true, false};
  int rc = fts_analyze(p->a, s, len, 0, leaf_token, &x, NULL);
  if (x.oom || rc < 0) {
    poom(p);
    qnode_free(n);
    return NULL;
  }
  n->kind = n->nterm == 0 ? N_EMPTY : n->nterm == 1 ? N_TERM : N_PHRASE;
  return n;
}

/* ---- grammar ---------------------------------------------------------------- */

static qnode *parse_or(parser *p);

static qnode *parse_primary(parser *p) {
  tok t = peek(p);
  if (p->fail) return NULL;
  switch (t.kind) {
  case T_LP: {
    next(p);
    if (++p->depth > 64) {
      perr(p, t.at, "parentheses nested too deeply");
      return NULL;
    }
    if (peek(p).kind == T_RP) {
      perr(p, t.at, "empty parentheses");
      return NULL;
    }
    qnode *n = parse_or(p);
    if (!n) return NULL;
    tok r = next(p);
    if (r.kind != T_RP) {
      if (!p->fail) perr(p, t.at, "missing ')' for this '('");
      qnode_free(n);
      return NULL;
    }
    p->depth--;
    return n;
  }
  case T_PHRASE:
  case T_WORD:
    next(p);
    return make_leaf(p, &t);
  default:
    return NULL;
  }
}

static qnode *parse_unary(parser *p) {
  tok t = peek(p);
  if (p->fail) return NULL;
  if (t.kind == T_MINUS || t.kind == T_NOT) {
    next(p);
    tok u = peek(p);
    qnode *n = parse_primary(p);
    if (!n) {
      if (!p->fail) {
        if (t.kind == T_NOT)
          perr(p, u.at, "NOT needs a term after it");
        else
          perr(p, u.at, "'-' must be followed directly by a term to exclude");
      }
      return NULL;
    }
    n->neg = true;
    n->at = charpos(p, t.at);
    return n;
  }
  return parse_primary(p);
}

static qnode *parse_and(parser *p) {
  qnode *grp = NULL, *only = NULL;
  size_t at = peek(p).at;
  for (;;) {
    tok t = peek(p);
    if (p->fail) goto fail;
    if (t.kind == T_EOF || t.kind == T_RP || t.kind == T_OR) break;
    if (t.kind == T_AND) {
      if (!only) {
        perr(p, t.at, "AND needs a term before it");
        goto fail;
      }
      next(p);
      tok u = peek(p);
      if (p->fail) goto fail;
      if (u.kind == T_EOF || u.kind == T_RP || u.kind == T_OR ||
          u.kind == T_AND) {
        perr(p, u.at, "AND needs a term after it");
        goto fail;
      }
      continue;
    }
    qnode *u = parse_unary(p);
    if (!u) {
      if (!p->fail) perr(p, t.at, "expected a term");
      goto fail;
    }
    if (!only) {
      only = u;
      continue;
    }
    if (!grp) {
      grp = new_node(p, N_AND, at);
      if (!grp || qnode_add_kid(grp, only)) {
        if (grp) poom(p);
        qnode_free(u);
        goto fail;
      }
    }
    if (qnode_add_kid(grp, u)) {
      poom(p);
      qnode_free(u);
      goto fail;
    }
  }
  if (!grp) {
    if (only && only->neg) {
      perr(p, byteoff(p, only->at),
           "nothing to exclude from: '%s' needs a term to match beside it",
           only->kind == N_EMPTY || !only->nterm ? "-" : only->term[0]);
      qnode_free(only);
      return NULL;
    }
    return only;
  }
  bool pos = false;
  for (size_t i = 0; i < grp->nkid; i++) pos |= !grp->kid[i]->neg;
  if (!pos) {
    perr(p, byteoff(p, grp->at),
         "nothing to exclude from: the group has only excluded terms");
    qnode_free(grp);
    return NULL;
  }
  return grp;
fail:
  if (grp) qnode_free(grp);
  else qnode_free(only);
  return NULL;
}

static qnode *parse_or(parser *p) {
  tok first = peek(p);
  if (first.kind == T_OR) {
    perr(p, first.at, "OR needs a term before it");
    return NULL;
  }
  qnode *l = parse_and(p);
  if (!l) {
    if (!p->fail) perr(p, first.at, "expected a term");
    return NULL;
  }
  qnode *alt = NULL;
  while (peek(p).kind == T_OR && !p->fail) {
    tok o = next(p);
    tok u = peek(p);
    if (p->fail) break;
    if (u.kind == T_EOF || u.kind == T_RP || u.kind == T_OR ||
        u.kind == T_AND) {
      perr(p, u.at, "OR needs a term after it");
      break;
    }
    qnode *r = parse_and(p);
    if (!r) break;
    if (!alt) {
      alt = new_node(p, N_OR, first.at);
      if (!alt || qnode_add_kid(alt, l)) {
        if (alt) poom(p);
        qnode_free(r);
        l = NULL;
        break;
      }
      l = NULL;
    }
    if (qnode_add_kid(alt, r)) {
      poom(p);
      qnode_free(r);
      break;
    }
    (void)o;
  }
  if (p->fail) {
    qnode_free(alt);
    qnode_free(l);
    return NULL;
  }
  return alt ? alt : l;
}

/* Drop empty leaves and groups, collapse single-child groups, and flatten
** AND into AND and OR into OR.  Returns the node (or NULL if nothing is
** left); frees what it drops. */
static qnode *simplify(qnode *n) {
  if (n->kind != N_AND && n->kind != N_OR) {
    if (n->kind == N_EMPTY) {
      qnode_free(n);
      return NULL;
    }
    return n;
  }
  size_t m = 0;
  for (size_t i = 0; i < n->nkid; i++) {
    qnode *k = simplify(n->kid[i]);
    if (!k) continue;
    n->kid[m++] = k;
  }
  n->nkid = m;
  /* flatten same-kind, non-excluded children */
  for (size_t i = 0; i < n->nkid; i++) {
    qnode *k = n->kid[i];
    if (k->kind != n->kind || k->neg) continue;
    size_t extra = k->nkid - 1;
    if (extra > 0) {
      if (n->nkid + extra > n->capkid) {
        qnode **nk = realloc(n->kid, (n->nkid + extra) * sizeof *nk);
        if (!nk) continue; /* leave it nested: same meaning */
        n->kid = nk;
        n->capkid = n->nkid + extra;
      }
      memmove(n->kid + i + 1 + extra, n->kid + i + 1,
              (n->nkid - i - 1) * sizeof *n->kid);
    }
    for (size_t j = 0; j < k->nkid; j++) n->kid[i + j] = k->kid[j];
    n->nkid += extra;
    k->nkid = 0;
    qnode_free(k);
    i--; /* look at the first moved-in child again */
  }
  bool pos = false;
  for (size_t i = 0; i < n->nkid; i++) pos |= !n->kid[i]->neg;
  if (!pos) { /* nothing left to match (the rest were stop words) */
    qnode_free(n);
    return NULL;
  }
  if (n->nkid == 1) {
    qnode *k = n->kid[0];
    k->neg = n->neg;
    n->nkid = 0;
    qnode_free(n);
    return k;
  }
  return n;
}

static int number_leaves(fts_query *q, qnode *n) {
  if (n->kind == N_AND || n->kind == N_OR) {
    for (size_t i = 0; i < n->nkid; i++)
      if (number_leaves(q, n->kid[i])) return -1;
    return 0;
  }
  qnode **nl = realloc(q->leaves, (q->nleaves + 1) * sizeof *nl);
  if (!nl) return -1;
  q->leaves = nl;
  n->leaf = q->nleaves;
  q->leaves[q->nleaves++] = n;
  return 0;
}

fts_query *fts_query_parse(const char *text, size_t n, fts_analyzer *a,
                           char *err, size_t errlen) {
  parser p = {0};
  p.s = text;
  p.n = n;
  p.a = a;
  p.err = err;
  p.errlen = errlen;
  if (err && errlen) err[0] = 0;
  qnode *root = NULL;
  tok t = peek(&p);
  if (!p.fail && t.kind == T_EOF) {
    perr(&p, 0, "the query is empty");
    return NULL;
  }
  root = parse_or(&p);
  if (!p.fail) {
    tok e = next(&p);
    if (e.kind == T_RP)
      perr(&p, e.at, "')' without a matching '('");
    else if (e.kind != T_EOF && !p.fail)
      perr(&p, e.at, "unexpected text");
  }
  if (p.fail) {
    qnode_free(root);
    return NULL;
  }
  fts_query *q = calloc(1, sizeof *q);
  if (!q) {
    qnode_free(root);
    poom(&p);
    return NULL;
  }
  q->root = root ? simplify(root) : NULL;
  if (q->root && q->root->neg) { /* cannot happen: checked while parsing */
    qnode_free(q->root);
    q->root = NULL;
  }
  if (q->root && number_leaves(q, q->root)) {
    fts_query_free(q);
    poom(&p);
    return NULL;
  }
  return q;
}

/* ---- describing ------------------------------------------------------------ */

static void leaf_text(buf_t *b, const qnode *n) {
  buf_addc(b, '"');
  for (size_t i = 0; i < n->nterm; i++) {
    if (i) {
      buf_addc(b, ' ');
      for (uint32_t g = n->rel[i - 1] + 1; g < n->rel[i]; g++) buf_adds(b, "? ");
    }
    for (size_t j = 0; j < n->tlen[i]; j++) {
      if (n->term[i][j] == '"') buf_addc(b, '"');
      buf_addc(b, n->term[i][j]);
    }
  }
  buf_addc(b, '"');
  if (n->kind == N_PREFIX) buf_addc(b, '*');
}

static void describe(buf_t *b, const qnode *n) {
  if (n->neg) buf_adds(b, "NOT ");
  if (n->kind == N_AND || n->kind == N_OR) {
    buf_adds(b, n->kind == N_AND ? "AND(" : "OR(");
    for (size_t i = 0; i < n->nkid; i++) {
      if (i) buf_adds(b, ", ");
      describe(b, n->kid[i]);
    }
    buf_addc(b, ')');
    return;
  }
  leaf_text(b, n);
}

char *fts_query_describe(const fts_query *q) {
  buf_t b;
  buf_init(&b);
  if (q->root) describe(&b, q->root);
  else buf_adds(&b, "EMPTY");
  return buf_detach(&b, NULL);
}

static void render_fts5(buf_t *b, const qnode *n) {
  if (n->kind == N_OR) {
    buf_addc(b, '(');
    for (size_t i = 0; i < n->nkid; i++) {
      if (i) buf_adds(b, " OR ");
      render_fts5(b, n->kid[i]);
    }
    buf_addc(b, ')');
    return;
  }
  if (n->kind == N_AND) {
    buf_adds(b, "((");
    bool first = true;
    for (size_t i = 0; i < n->nkid; i++) {
      if (n->kid[i]->neg) continue;
      if (!first) buf_adds(b, " AND ");
      first = false;
      render_fts5(b, n->kid[i]);
    }
    buf_addc(b, ')');
    for (size_t i = 0; i < n->nkid; i++) {
      if (!n->kid[i]->neg) continue;
      buf_adds(b, " NOT ");
      render_fts5(b, n->kid[i]);
    }
    buf_addc(b, ')');
    return;
  }
  buf_addc(b, '"');
  for (size_t i = 0; i < n->nterm; i++) {
    if (i) buf_addc(b, ' ');
    for (size_t j = 0; j < n->tlen[i]; j++) {
      if (n->term[i][j] == '"') buf_addc(b, '"');
      buf_addc(b, n->term[i][j]);
    }
  }
  buf_addc(b, '"');
  if (n->kind == N_PREFIX) buf_addc(b, '*');
}

char *fts_query_fts5(const fts_query *q) {
  buf_t b;
  buf_init(&b);
  if (q->root) render_fts5(&b, q->root);
  return buf_detach(&b, NULL);
}

/* ======================================================================
** Evaluation
** ====================================================================== */

typedef struct leafrt {
  const qnode *q;
  fts_cursor **cur; /* TERM: 1, PHRASE: nterm, PREFIX: the expansions */
  size_t ncur;
  uint32_t *heap;   /* PREFIX: cursor indices, a min-heap on their doc */
  bool dead;        /* cannot match: a term of it has no postings */
  double idf;
  uint32_t gtf, gdl; /* whole-list bound on (tf, dl); gtf 0: unknown */
  uint64_t doc;
} leafrt;

typedef struct rnode {
  nkind kind;
  bool neg;
  leafrt *leaf;
  struct rnode **kid;
  size_t nkid;
  uint64_t doc;
  bool started;
  double gub; /* bound on the score over all documents */
} rnode;

typedef struct contrib {
  size_t leaf;
  double f; /* weighted tf */
  uint32_t dl;
} contrib;

struct fts_eval {
  const fts_query *q;
  const fts_source *src;
  fts_counters own, *count;
  double k1, b, avgdl, wmax;
  double *w;
  size_t nw;
  bool weighted;
  size_t max_prefix;
  leafrt *leaves;
  size_t nleaves;
  rnode *root;
  contrib *stack;
  size_t top, cap;
  uint32_t *scratch; /* phrase matching */
  size_t scratchcap;
  bool used;
  int err; /* a cursor failed */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- BM25 -------------------------------------------------------------- */

static double bm25(const fts_eval *e, double idf, double f, double dl) {
  /* the operations in FTS5's order, for bit-identical results */
  return idf * ((f * (e->k1 + 1.0)) /
                (f + e->k1 * (1 - e->b + e->b * dl / e->avgdl)));
}

/* The largest leaf score any of the (tf, dl) pairs allows. */
static double imp_bound(const fts_eval *e, double idf, const fts_impact *imp,
                        uint32_t nimp) {
  double best = 0;
  for (uint32_t i = 0; i < nimp; i++) {
    double s = bm25(e, idf, imp[i].tf * e->wmax, imp[i].dl);
    if (s > best) best = s;
  }
  return best;
}

/* Bounds are compared with a little slack: the same sum taken in another
** order may round differently. */
#define SLACK (1.0 + 1e-9)

/* ---- leaves ---------------------------------------------------------------- */

static void note_err(fts_eval *e, fts_cursor *c) {
  if (c && c->err && !e->err) e->err = c->err;
}

/* Restore the heap below position i (its cursor moved forward). */
static void heap_sift(leafrt *l, size_t i) {
  size_t n = l->ncur;
  for (;;) {
    size_t a = 2 * i + 1, b = a + 1, m = i;
    if (a < n && l->cur[l->heap[a]]->doc < l->cur[l->heap[m]]->doc) m = a;
    if (b < n && l->cur[l->heap[b]]->doc < l->cur[l->heap[m]]->doc) m = b;
    if (m == i) return;
    uint32_t t = l->heap[i];
    l->heap[i] = l->heap[m];
    l->heap[m] = t;
    i = m;
  }
}

static uint64_t leaf_next(fts_eval *e, leafrt *l, uint64_t target) {
  if (l->dead) return l->doc = FTS_END;
  if (l->q->kind == N_PREFIX) {
    /* the least doc of the union: advance the heap's top until it is on
    ** target or later */
    while (l->cur[l->heap[0]]->doc < target) {
      fts_cursor *c = l->cur[l->heap[0]];
      c->ops->advance(c, target);
      note_err(e, c);
      heap_sift(l, 0);
    }
    return l->doc = l->cur[l->heap[0]]->doc;
  }
  /* a term, or the conjunction of a phrase's terms */
  uint64_t d = target;
  for (size_t i = 0; i < l->ncur;) {
    fts_cursor *c = l->cur[i];
    uint64_t x = c->doc < d ? c->ops->advance(c, d) : c->doc;
    note_err(e, c);
    if (x == FTS_END) return l->doc = FTS_END;
    if (x > d) {
      d = x;
      if (i > 0) {
        i = 0;
        continue;
      }
    }
    i++;
  }
  return l->doc = d;
}

static double field_weight(const fts_eval *e, uint32_t pos) {
  uint32_t f = pos >> FTS_FIELD_SHIFT;
  return f < e->nw ? e->w[f] : 1.0;
}

/* Weighted occurrences of cursor c's current posting. */
static int cursor_f(fts_eval *e, fts_cursor *c, double *f) {
  uint32_t tf = c->ops->tf(c);
  if (!e->weighted) {
    *f = tf;
    return 0;
  }
  const uint32_t *pos = c->ops->positions(c);
  if (!pos) {
    note_err(e, c);
    if (!e->err) e->err = -1;
    return -1;
  }
  double s = 0;
  for (uint32_t i = 0; i < tf; i++) s += field_weight(e, pos[i]);
  *f = s;
  return 0;
}

/* Phrase occurrences at the current doc (all cursors are on it). */
static int phrase_f(fts_eval *e, leafrt *l, double *f) {
  const qnode *q = l->q;
  const uint32_t *p0 = l->cur[0]->ops->positions(l->cur[0]);
  uint32_t n0 = l->cur[0]->ops->tf(l->cur[0]);
  if (!p0) goto fail;
  /* candidates: starts x with x + rel[i] in every list; kept in scratch */
  if (n0 > e->scratchcap) {
    uint32_t *ns = realloc(e->scratch, n0 * sizeof *ns);
    if (!ns) goto fail;
    e->scratch = ns;
    e->scratchcap = n0;
  }
  uint32_t *cand = e->scratch;
  size_t nc = 0;
  for (uint32_t i = 0; i < n0; i++) cand[nc++] = p0[i];
  for (size_t t = 1; t < l->ncur && nc; t++) {
    const uint32_t *pt = l->cur[t]->ops->positions(l->cur[t]);
    uint32_t nt = l->cur[t]->ops->tf(l->cur[t]);
    if (!pt) goto fail;
    uint32_t rel = q->rel[t];
    size_t m = 0, j = 0;
    for (size_t i = 0; i < nc; i++) {
      uint64_t want = (uint64_t)cand[i] + rel;
      if ((want >> FTS_FIELD_SHIFT) != (cand[i] >> FTS_FIELD_SHIFT)) continue;
      while (j < nt && pt[j] < want) j++;
      if (j < nt && pt[j] == want) cand[m++] = cand[i];
    }
    nc = m;
  }
  double s = 0;
  for (size_t i = 0; i < nc; i++) s += e->weighted ? field_weight(e, cand[i]) : 1.0;
  *f = s;
  return 0;
fail:
  for (size_t i = 0; i < l->ncur; i++) note_err(e, l->cur[i]);
  if (!e->err) e->err = -2;
  return -1;
}

/* f and dl of leaf l at its current doc; f 0: no match. */
static int leaf_f(fts_eval *e, leafrt *l, double *f, uint32_t *dl) {
  *f = 0;
  if (l->q->kind == N_PREFIX) {
    /* the cursors on doc: the heap's top and the nodes below it that are
    ** on doc too (a subtree whose root is past doc is past it whole) */
    double s = 0;
    size_t i = 0; /* a walk of the subtree on doc, without a stack: */
    for (;;) {    /* pre-order, by index arithmetic */
      fts_cursor *c = l->cur[l->heap[i]];
      bool on = c->doc == l->doc;
      if (on) {
        double x;
        if (cursor_f(e, c, &x)) return -1;
        s += x;
        *dl = c->ops->dl(c);
      }
      if (on && 2 * i + 1 < l->ncur) { /* down to the left child */
        i = 2 * i + 1;
        continue;
      }
      /* up until a left child with a right sibling, then to the sibling */
      while (i > 0 && (i % 2 == 0 || i + 1 >= l->ncur)) i = (i - 1) / 2;
      if (i == 0) break;
      i++;
    }
    *f = s;
    return 0;
  }
  *dl = l->cur[0]->ops->dl(l->cur[0]);
  if (l->q->kind == N_PHRASE) return phrase_f(e, l, f);
  return cursor_f(e, l->cur[0], f);
}

/* Bound on l's score for docs in [target, *end]. */
static double leaf_bound(fts_eval *e, leafrt *l, uint64_t target,
                         uint64_t *end) {
  *end = FTS_END;
  if (l->dead) return 0;
  const fts_impact *imp;
  uint32_t nimp;
  if (l->q->kind == N_PREFIX && l->ncur > 16) {
    /* too many lists to look at for every candidate: the whole-list bound,
    ** valid to the end (FTS_END would say "nothing left") */
    if (l->cur[l->heap[0]]->doc == FTS_END) return 0;
    *end = FTS_END - 1;
    return l->gtf == UINT32_MAX ? INFINITY
                                : bm25(e, l->idf, (double)l->gtf * e->wmax, l->gdl);
  }
  if (l->q->kind == N_PREFIX) {
    double tf = 0;
    uint32_t dl = UINT32_MAX;
    bool any = false;
    for (size_t i = 0; i < l->ncur; i++) {
      fts_cursor *c = l->cur[i];
      uint64_t last = c->ops->block_max(c, target, &imp, &nimp);
      note_err(e, c);
      if (last == FTS_END) continue;
      any = true;
      if (last < *end) *end = last;
      uint32_t mt = 0;
      for (uint32_t j = 0; j < nimp; j++) {
        if (imp[j].tf > mt) mt = imp[j].tf;
        if (imp[j].dl < dl) dl = imp[j].dl;
      }
      tf += mt;
    }
    if (!any) return 0;
    return bm25(e, l->idf, tf * e->wmax, dl);
  }
  double ub = INFINITY;
  for (size_t i = 0; i < l->ncur; i++) {
    fts_cursor *c = l->cur[i];
    uint64_t last = c->ops->block_max(c, target, &imp, &nimp);
    note_err(e, c);
    if (last == FTS_END) {
      *end = FTS_END;
      return 0;
    }
    if (last < *end) *end = last;
    double s = imp_bound(e, l->idf, imp, nimp);
    if (s < ub) ub = s;
  }
  return ub;
}

/* ---- tree ------------------------------------------------------------------ */

static uint64_t node_next(fts_eval *e, rnode *n, uint64_t target) {
  if (n->started && n->doc >= target) return n->doc;
  n->started = true;
  if (n->leaf) return n->doc = leaf_next(e, n->leaf, target);
  if (n->kind == N_OR) {
    uint64_t m = FTS_END;
    for (size_t i = 0; i < n->nkid; i++) {
      uint64_t d = node_next(e, n->kid[i], target);
      if (d < m) m = d;
    }
    return n->doc = m;
  }
  uint64_t d = target; /* AND: leapfrog over the non-excluded children */
  for (size_t i = 0; i < n->nkid;) {
    rnode *k = n->kid[i];
    if (k->neg) {
      i++;
      continue;
    }
    uint64_t x = node_next(e, k, d);
    if (x == FTS_END) return n->doc = FTS_END;
    if (x > d) {
      d = x;
      if (i > 0) {
        i = 0;
        continue;
      }
    }
    i++;
  }
  return n->doc = d;
}

static bool push(fts_eval *e, size_t leaf, double f, uint32_t dl) {
  if (e->top == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 64;
    contrib *ns = realloc(e->stack, cap * sizeof *ns);
    if (!ns) {
      if (!e->err) e->err = -2;
      return false;
    }
    e->stack = ns;
    e->cap = cap;
  }
  e->stack[e->top++] = (contrib){leaf, f, dl};
  return true;
}

/* Does n match doc d (n is on d)?  Pushes the contributions. */
static bool node_eval(fts_eval *e, rnode *n, uint64_t d) {
  if (n->leaf) {
    leafrt *l = n->leaf;
    if (l->doc != d) return false;
    double f;
    uint32_t dl = 0;
    e->count->postings_scored++;
    if (leaf_f(e, l, &f, &dl) || f <= 0) return false;
    return push(e, l->q->leaf, f, dl);
  }
  size_t mark = e->top;
  if (n->kind == N_OR) {
    bool any = false;
    for (size_t i = 0; i < n->nkid; i++)
      if (n->kid[i]->doc == d && node_eval(e, n->kid[i], d)) any = true;
    return any;
  }
  for (size_t i = 0; i < n->nkid; i++) {
    rnode *k = n->kid[i];
    if (k->neg) continue;
    if (k->doc != d || !node_eval(e, k, d)) {
      e->top = mark;
      return false;
    }
  }
  for (size_t i = 0; i < n->nkid; i++) {
    rnode *k = n->kid[i];
    if (!k->neg) continue;
    if (node_next(e, k, d) != d) continue;
    size_t m2 = e->top;
    bool hit = node_eval(e, k, d);
    e->top = m2;
    if (hit) {
      e->top = mark;
      return false;
    }
  }
  return true;
}

static double node_bound(fts_eval *e, rnode *n, uint64_t target,
                         uint64_t *end) {
  if (n->leaf) return leaf_bound(e, n->leaf, target, end);
  double s = 0;
  *end = FTS_END;
  bool any = false;
  for (size_t i = 0; i < n->nkid; i++) {
    rnode *k = n->kid[i];
    if (k->neg) continue;
    uint64_t ke;
    double b = node_bound(e, k, target, &ke);
    if (ke == FTS_END) {
      if (n->kind == N_AND) { /* a required child has nothing left */
        *end = FTS_END;
        return 0;
      }
      continue;
    }
    any = true;
    if (ke < *end) *end = ke;
    s += b;
  }
  if (!any) *end = FTS_END;
  return s;
}

/* The score of the contributions on the stack, in leaf order. */
static int contrib_cmp(const void *a, const void *b) {
  const contrib *x = a, *y = b;
  return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

static double stack_score(fts_eval *e, size_t from) {
  if (e->top > from + 1)
    qsort(e->stack + from, e->top - from, sizeof *e->stack, contrib_cmp);
  double s = 0;
  for (size_t i = from; i < e->top; i++) {
    const contrib *c = &e->stack[i];
    s += bm25(e, e->leaves[c->leaf].idf, c->f, c->dl);
  }
  return s;
}

/* ---- preparing ---------------------------------------------------------- */

typedef struct expand {
  char **t;
  size_t *len;
  size_t n, cap, max;
  bool over, oom;
} expand;

static int expand_cb(void *arg, const char *term, size_t len) {
  expand *x = arg;
  if (x->n >= x->max) {
    x->over = true;
    return 1;
  }
  if (x->n == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 16;
    char **nt = realloc(x->t, cap * sizeof *nt);
    if (nt) x->t = nt;
    size_t *nl = realloc(x->len, cap * sizeof *nl);
    if (nl) x->len = nl;
    if (!nt || !nl) {
      x->oom = true;
      return 1;
    }
    x->cap = cap;
  }
  char *c = malloc(len + 1);
  if (!c) {
    x->oom = true;
    return 1;
  }
  memcpy(c, term, len);
  c[len] = 0;
  x->t[x->n] = c;
  x->len[x->n++] = len;
  return 0;
}

static void expand_free(expand *x) {
  for (size_t i = 0; i < x->n; i++) free(x->t[i]);
  free(x->t);
  free(x->len);
}

static void leaf_close(leafrt *l) {
  for (size_t i = 0; i < l->ncur; i++)
    if (l->cur[i]) l->cur[i]->ops->close(l->cur[i]);
  free(l->cur);
  free(l->heap);
  l->cur = NULL;
  l->heap = NULL;
  l->ncur = 0;
}

/* Open l's cursors (terms: the leaf's, or a prefix's expansions).  info
** bounds go to l->gtf/gdl; df of a plain term to *df. */
static int leaf_open(fts_eval *e, leafrt *l, char **terms, size_t *lens,
                     size_t nterms, fts_counters *count, uint64_t *df,
                     char *err, size_t errlen) {
  l->cur = calloc(nterms ? nterms : 1, sizeof *l->cur);
  if (!l->cur) {
    seterr(err, errlen, "out of memory");
    return -1;
  }
  l->gtf = 0;
  l->gdl = UINT32_MAX;
  bool prefix = l->q->kind == N_PREFIX;
  size_t m = 0;
  for (size_t i = 0; i < nterms; i++) {
    fts_term_info info = {0, 0, 0, 0};
    fts_cursor *c = NULL;
    if (e->src->ops->open(e->src->ctx, terms[i], lens[i], &info, &c, count)) {
      seterr(err, errlen, "full-text index: cannot read the postings of "
                          "\"%s\"", terms[i]);
      l->ncur = m;
      return -1;
    }
    if (!c) {
      if (!prefix) l->dead = true;
      continue;
    }
    if (count) count->postings_total += info.df;
    if (df) *df = info.df;
    l->cur[m++] = c;
    uint32_t mt = info.max_tf ? info.max_tf : UINT32_MAX;
    if (prefix) {
      l->gtf = (uint32_t)((uint64_t)l->gtf + mt > UINT32_MAX ? UINT32_MAX : l->gtf + mt);
      if (info.min_dl < l->gdl) l->gdl = info.min_dl;
    } else if (l->gtf == 0 || mt < l->gtf) {
      l->gtf = mt;
      l->gdl = info.min_dl;
    }
  }
  l->ncur = m;
  if (prefix && m == 0) l->dead = true;
  if (prefix && m > 0) {
    l->heap = malloc(m * sizeof *l->heap);
    if (!l->heap) {
      seterr(err, errlen, "out of memory");
      return -1;
    }
    for (size_t i = 0; i < m; i++) l->heap[i] = (uint32_t)i;
    for (size_t i = m / 2; i-- > 0;) heap_sift(l, i);
  }
  l->doc = 0;
  return 0;
}

/* Count the documents leaf q matches on its own, with fresh cursors. */
static int leaf_count(fts_eval *e, const leafrt *model, char **terms,
                      size_t *lens, size_t nterms, uint64_t *n, char *err,
                      size_t errlen) {
  fts_counters c = {0};
  leafrt l = {0};
  l.q = model->q;
  *n = 0;
  int rc = leaf_open(e, &l, terms, lens, nterms, &c, NULL, err, errlen);
  if (rc == 0 && !l.dead) {
    bool w = e->weighted;
    e->weighted = false;
    for (uint64_t d = leaf_next(e, &l, 0); d != FTS_END;
         d = leaf_next(e, &l, d + 1)) {
      double f;
      uint32_t dl;
      if (leaf_f(e, &l, &f, &dl)) break;
      if (f > 0) (*n)++;
    }
    e->weighted = w;
    if (e->err) {
      seterr(err, errlen, "full-text index: a posting block is malformed");
      rc = -1;
    }
  }
  e->count->idf_postings += c.postings_decoded;
  e->count->blocks_seen += c.blocks_seen;
  e->count->blocks_decoded += c.blocks_decoded;
  leaf_close(&l);
  return rc;
}

static rnode *build(fts_eval *e, const qnode *q) {
  rnode *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->kind = q->kind;
  n->neg = q->neg;
  if (q->kind == N_AND || q->kind == N_OR) {
    n->kid = calloc(q->nkid, sizeof *n->kid);
    if (!n->kid) return n; /* checked by the caller through nkid */
    for (size_t i = 0; i < q->nkid; i++) {
      n->kid[i] = build(e, q->kid[i]);
      if (!n->kid[i]) return n;
      n->nkid++;
      if (!n->kid[i]->neg) n->gub += n->kid[i]->gub;
    }
    return n;
  }
  n->leaf = &e->leaves[q->leaf];
  leafrt *l = n->leaf;
  n->gub = l->dead ? 0
           : l->gtf == UINT32_MAX
               ? INFINITY
               : bm25(e, l->idf, (double)l->gtf * e->wmax, l->gdl);
  return n;
}

static bool built(const rnode *n, const qnode *q) {
  if (!n) return false;
  if (q->kind != N_AND && q->kind != N_OR) return true;
  if (n->nkid != q->nkid) return false;
  for (size_t i = 0; i < n->nkid; i++)
    if (!built(n->kid[i], q->kid[i])) return false;
  return true;
}

static void rnode_free(rnode *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nkid; i++) rnode_free(n->kid[i]);
  free(n->kid);
  free(n);
}

void fts_eval_free(fts_eval *e) {
  if (!e) return;
  for (size_t i = 0; i < e->nleaves; i++) leaf_close(&e->leaves[i]);
  free(e->leaves);
  rnode_free(e->root);
  free(e->stack);
  free(e->scratch);
  free(e->w);
  free(e);
}

fts_eval *fts_eval_open(const fts_query *q, const fts_source *src,
                        const fts_params *p, fts_counters *count, char *err,
                        size_t errlen) {
  fts_params def = FTS_PARAMS_DEFAULT;
  if (!p) p = &def;
  if (err && errlen) err[0] = 0;
  double k1 = p->k1 == 0 ? 1.2 : p->k1;
  double b = p->b < 0 ? 0.75 : p->b;
  if (!(k1 > 0) || !isfinite(k1) || !(b <= 1) || !isfinite(b)) {
    seterr(err, errlen, "bm25: k1 must be > 0 and b in [0, 1]");
    return NULL;
  }
  for (size_t i = 0; i < p->nweights; i++)
    if (!(p->weights[i] >= 0) || !isfinite(p->weights[i])) {
      seterr(err, errlen, "bm25: field weight %zu must be >= 0", i);
      return NULL;
    }
  fts_eval *e = calloc(1, sizeof *e);
  if (!e) goto nomem;
  e->q = q;
  e->src = src;
  e->count = count ? count : &e->own;
  e->k1 = k1;
  e->b = b;
  e->avgdl = src->stats.docs ? (double)src->stats.tokens / (double)src->stats.docs
                             : 1.0;
  e->wmax = 1.0;
  if (p->nweights) {
    e->w = malloc(p->nweights * sizeof *e->w);
    if (!e->w) goto nomem;
    memcpy(e->w, p->weights, p->nweights * sizeof *e->w);
    e->nw = p->nweights;
    for (size_t i = 0; i < e->nw; i++) {
      if (e->w[i] != 1.0) e->weighted = true;
      if (e->w[i] > e->wmax) e->wmax = e->w[i];
    }
  }
  e->max_prefix = p->max_prefix_terms ? p->max_prefix_terms : 4096;
  if (!q->root) return e;
  e->nleaves = q->nleaves;
  e->leaves = calloc(q->nleaves, sizeof *e->leaves);
  if (!e->leaves) goto nomem;
  double N = (double)src->stats.docs;
  for (size_t i = 0; i < q->nleaves; i++) {
    leafrt *l = &e->leaves[i];
    const qnode *qn = q->leaves[i];
    l->q = qn;
    expand x = {0};
    char **terms = qn->term;
    size_t *lens = qn->tlen, nterms = qn->nterm;
    if (qn->kind == N_PREFIX) {
      x.max = e->max_prefix;
      if (src->ops->prefix(src->ctx, qn->term[0], qn->tlen[0], expand_cb, &x) < 0 &&
          !x.over && !x.oom) {
        seterr(err, errlen, "full-text index: cannot list the terms of "
                            "\"%s*\"", qn->term[0]);
        expand_free(&x);
        goto fail;
      }
      if (x.oom) {
        expand_free(&x);
        goto nomem;
      }
      if (x.over) {
        seterr(err, errlen, "query: prefix \"%s*\" at position %zu matches "
                            "more than %zu terms",
               qn->term[0], qn->at, e->max_prefix);
        expand_free(&x);
        goto fail;
      }
      terms = x.t;
      lens = x.len;
      nterms = x.n;
    }
    uint64_t n = 0;
    int rc = leaf_open(e, l, terms, lens, nterms, e->count, &n, err, errlen);
    if (rc == 0 && !l->dead && qn->kind != N_TERM)
      rc = leaf_count(e, l, terms, lens, nterms, &n, err, errlen);
    expand_free(&x);
    if (rc) goto fail;
    if (l->dead) n = 0;
    double idf = log((N - (double)n + 0.5) / ((double)n + 0.5));
    if (idf <= 0.0) idf = 1e-6;
    l->idf = idf;
  }
  e->root = build(e, q->root);
  if (!built(e->root, q->root)) goto nomem;
  return e;
nomem:
  seterr(err, errlen, "out of memory");
fail:
  fts_eval_free(e);
  return NULL;
}

double fts_eval_idf(const fts_eval *e, size_t i) {
  return i < e->nleaves ? e->leaves[i].idf : NAN;
}

/* ---- running ------------------------------------------------------------- */

static int check_run(fts_eval *e, char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (e->used) {
    seterr(err, errlen, "full-text: an evaluation runs once");
    return -1;
  }
  e->used = true;
  return 0;
}

static int run_err(fts_eval *e, char *err, size_t errlen) {
  if (!e->err) return 0;
  seterr(err, errlen, e->err == -2 ? "out of memory"
                                   : "full-text index: a posting block is "
                                     "malformed");
  return -1;
}

int fts_eval_all(fts_eval *e, int (*cb)(void *ctx, uint64_t doc, double s),
                 void *ctx, char *err, size_t errlen) {
  if (check_run(e, err, errlen)) return -1;
  if (!e->root) return 0;
  for (uint64_t d = node_next(e, e->root, 0); d != FTS_END && !e->err;
       d = node_next(e, e->root, d + 1)) {
    e->top = 0;
    if (!node_eval(e, e->root, d)) continue;
    e->count->docs_scored++;
    int rc = cb(ctx, d, stack_score(e, 0));
    if (rc) return rc;
  }
  return run_err(e, err, errlen);
}

int fts_eval_docs(fts_eval *e, const uint64_t *docs, size_t n, fts_hit *out,
                  size_t *nout, char *err, size_t errlen) {
  *nout = 0;
  if (check_run(e, err, errlen)) return -1;
  if (!e->root) return 0;
  for (size_t i = 0; i < n && !e->err; i++) {
    if (i > 0 && docs[i] <= docs[i - 1]) {
      seterr(err, errlen, "full-text: documents to score must ascend");
      return -1;
    }
    if (node_next(e, e->root, docs[i]) != docs[i]) continue;
    e->top = 0;
    if (!node_eval(e, e->root, docs[i])) continue;
    e->count->docs_scored++;
    out[(*nout)++] = (fts_hit){docs[i], stack_score(e, 0)};
  }
  return run_err(e, err, errlen);
}

/* The top-k heap: a min-heap whose root is the worst hit kept. */
static bool worse(const fts_hit *a, const fts_hit *b) {
  return a->score < b->score || (a->score == b->score && a->doc > b->doc);
}

static void heap_down(fts_hit *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && worse(&h[l], &h[m])) m = l;
    if (r < n && worse(&h[r], &h[m])) m = r;
    if (m == i) return;
    fts_hit t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

static void heap_up(fts_hit *h, size_t i) {
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!worse(&h[i], &h[p])) return;
    fts_hit t = h[i];
    h[i] = h[p];
    h[p] = t;
    i = p;
  }
}

static int hit_order(const void *a, const void *b) {
  const fts_hit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->doc < y->doc ? -1 : x->doc > y->doc;
}

typedef struct clause {
  rnode *n;
  double gub;
} clause;

static int clause_cmp(const void *a, const void *b) {
  const clause *x = a, *y = b;
  return x->gub < y->gub ? -1 : x->gub > y->gub;
}

int fts_eval_topk(fts_eval *e, size_t k, fts_filter_fn filter, void *fctx,
                  fts_hit *out, size_t *nout, char *err, size_t errlen) {
  *nout = 0;
  if (check_run(e, err, errlen)) return -1;
  if (!e->root || k == 0) return 0;
  /* The clauses: a top-level OR's children (MaxScore), else the root. */
  size_t nc = e->root->kind == N_OR ? e->root->nkid : 1;
  clause *cl = malloc(nc * sizeof *cl);
  double *psum = malloc((nc + 1) * sizeof *psum);
  if (!cl || !psum) {
    free(cl);
    free(psum);
    seterr(err, errlen, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < nc; i++) {
    cl[i].n = e->root->kind == N_OR ? e->root->kid[i] : e->root;
    cl[i].gub = cl[i].n->gub;
  }
  qsort(cl, nc, sizeof *cl, clause_cmp); /* least bound first */
  psum[0] = 0;
  for (size_t i = 0; i < nc; i++) psum[i + 1] = psum[i] + cl[i].gub;

  fts_hit *h = out;
  size_t nh = 0;
  size_t ness = 0; /* clauses [0, ness) are not essential */
  uint64_t target = 0;
  while (!e->err) {
    double theta = nh == k ? h[0].score : -INFINITY;
    while (ness < nc && psum[ness + 1] * SLACK <= theta) ness++;
    if (ness == nc) break; /* nothing left can enter the top k */
    /* the next candidate: the least doc of the essential clauses */
    uint64_t d = FTS_END;
    for (size_t i = ness; i < nc; i++) {
      uint64_t x = node_next(e, cl[i].n, target);
      if (x < d) d = x;
    }
    if (d == FTS_END) break;
    if (nh == k) {
      /* block maxima: can anything in [d, end] beat theta? */
      uint64_t end = FTS_END;
      double ub = 0;
      for (size_t i = 0; i < nc; i++) {
        uint64_t ce;
        double b = node_bound(e, cl[i].n, d, &ce);
        if (ce == FTS_END) continue;
        if (b > cl[i].gub) b = cl[i].gub;
        ub += b;
        if (ce < end) end = ce;
      }
      if (ub * SLACK <= theta) {
        e->count->regions_skipped++;
        if (end == FTS_END) break;
        target = end + 1;
        continue;
      }
    }
    /* score the essential clauses, then the others while they can help */
    e->top = 0;
    bool match = false;
    for (size_t i = ness; i < nc; i++)
      if (cl[i].n->doc == d && node_eval(e, cl[i].n, d)) match = true;
    bool pruned = false;
    if (ness > 0) {
      double part = 0;
      if (nh == k)
        for (size_t i = 0; i < e->top; i++)
          part += bm25(e, e->leaves[e->stack[i].leaf].idf, e->stack[i].f,
                       e->stack[i].dl);
      for (size_t j = ness; j-- > 0;) {
        if (nh == k && (part + psum[j + 1]) * SLACK <= theta) {
          pruned = true;
          break;
        }
        if (node_next(e, cl[j].n, d) != d) continue;
        size_t before = e->top;
        if (node_eval(e, cl[j].n, d)) {
          match = true;
          for (size_t i = before; i < e->top; i++)
            part += bm25(e, e->leaves[e->stack[i].leaf].idf, e->stack[i].f,
                         e->stack[i].dl);
        }
      }
    }
    target = d + 1;
    if (pruned) {
      e->count->docs_pruned++;
      continue;
    }
    if (!match) continue;
    e->count->docs_scored++;
    fts_hit hit = {d, stack_score(e, 0)};
    if (nh == k && !worse(&h[0], &hit)) continue;
    if (filter) {
      e->count->filter_calls++;
      if (!filter(fctx, d)) continue;
    }
    if (nh < k) {
      h[nh] = hit;
      heap_up(h, nh++);
    } else {
      h[0] = hit;
      heap_down(h, nh, 0);
    }
  }
  free(cl);
  free(psum);
  if (run_err(e, err, errlen)) return -1;
  if (nh > 1) qsort(h, nh, sizeof *h, hit_order);
  *nout = nh;
  return 0;
}

/* ======================================================================
** Snippets
** ====================================================================== */

typedef struct stok {
  size_t off, len; /* the analysed term, in the arena */
  uint32_t pos;
  size_t start, end; /* bytes of the source text */
  uint32_t leaf;     /* matched leaf + 1, or 0 */
} stok;

typedef struct scoll {
  stok *t;
  size_t n, cap;
  buf_t arena;
  bool oom;
} scoll;

static int snip_token(void *ctx, const fts_token *t) {
  scoll *c = ctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    stok *nt = realloc(c->t, cap * sizeof *nt);
    if (!nt) {
      c->oom = true;
      return 1;
    }
    c->t = nt;
    c->cap = cap;
  }
  c->t[c->n++] = (stok){c->arena.len, t->len, t->pos, t->start, t->end, 0};
  buf_add(&c->arena, t->term, t->len);
  return c->arena.oom ? (c->oom = true, 1) : 0;
}

static bool tok_is(const scoll *c, size_t i, const char *term, size_t len,
                   bool prefix) {
  const stok *t = &c->t[i];
  if (prefix ? t->len < len : t->len != len) return false;
  return memcmp(c->arena.p + t->off, term, len) == 0;
}

/* Mark the tokens the positive leaves under n match. */
static void snip_mark(scoll *c, const qnode *n) {
  if (n->neg) return;
  if (n->kind == N_AND || n->kind == N_OR) {
    for (size_t i = 0; i < n->nkid; i++) snip_mark(c, n->kid[i]);
    return;
  }
  uint32_t id = (uint32_t)n->leaf + 1;
  for (size_t i = 0; i < c->n; i++) {
    if (!tok_is(c, i, n->term[0], n->tlen[0], n->kind == N_PREFIX)) continue;
    if (n->kind != N_PHRASE) {
      if (!c->t[i].leaf) c->t[i].leaf = id;
      continue;
    }
    /* the phrase's other terms at their relative positions */
    size_t at[64];
    bool ok = n->nterm <= 64;
    at[0] = i;
    for (size_t k = 1; ok && k < n->nterm; k++) {
      uint32_t want = c->t[i].pos + n->rel[k];
      size_t j = at[k - 1] + 1;
      while (j < c->n && c->t[j].pos < want) j++;
      ok = j < c->n && c->t[j].pos == want &&
           tok_is(c, j, n->term[k], n->tlen[k], false);
      at[k] = j;
    }
    if (ok)
      for (size_t k = 0; k < n->nterm; k++)
        if (!c->t[at[k]].leaf) c->t[at[k]].leaf = id;
  }
}

char *fts_snippet(const fts_query *q, fts_analyzer *a, const char *text,
                  size_t n, const fts_snippet_opts *o, size_t *nmatch) {
  const char *open = o && o->open ? o->open : "[";
  const char *close = o && o->close ? o->close : "]";
  const char *ell = o && o->ellipsis ? o->ellipsis : "...";
  size_t w = o && o->tokens ? o->tokens : 24;
  scoll c = {0};
  buf_init(&c.arena);
  buf_t out;
  buf_init(&out);
  uint32_t *cnt = NULL;
  if (nmatch) *nmatch = 0;
  if (fts_analyze(a, text, n, 0, snip_token, &c, NULL) < 0 || c.oom) goto fail;
  if (q->root) snip_mark(&c, q->root);
  /* the window of w tokens with the most distinct leaves, then matches */
  if (w > c.n) w = c.n;
  size_t best = 0;
  if (w > 0 && q->nleaves) {
    cnt = calloc(q->nleaves + 1, sizeof *cnt);
    if (!cnt) goto fail;
    size_t distinct = 0, matches = 0, bd = 0, bm = 0;
    for (size_t i = 0; i < c.n; i++) {
      uint32_t l = c.t[i].leaf;
      if (l) {
        matches++;
        if (cnt[l]++ == 0) distinct++;
      }
      if (i >= w) { /* token i - w leaves the window */
        uint32_t d = c.t[i - w].leaf;
        if (d) {
          matches--;
          if (--cnt[d] == 0) distinct--;
        }
      }
      if (i + 1 >= w && (distinct > bd || (distinct == bd && matches > bm))) {
        bd = distinct;
        bm = matches;
        best = i + 1 - w;
      }
    }
  }
  size_t from = best == 0 || w == 0 ? 0 : c.t[best].start;
  size_t to = w == 0 || best + w == c.n ? n : c.t[best + w - 1].end;
  if (from > 0) buf_adds(&out, ell);
  size_t at = from;
  for (size_t i = best; i < best + w; i++) {
    if (!c.t[i].leaf) continue;
    buf_add(&out, text + at, c.t[i].start - at);
    buf_adds(&out, open);
    buf_add(&out, text + c.t[i].start, c.t[i].end - c.t[i].start);
    buf_adds(&out, close);
    at = c.t[i].end;
    if (nmatch) (*nmatch)++;
  }
  buf_add(&out, text + at, to - at);
  if (to < n) buf_adds(&out, ell);
  free(cnt);
  free(c.t);
  buf_free(&c.arena);
  return buf_detach(&out, NULL);
fail:
  free(cnt);
  free(c.t);
  buf_free(&c.arena);
  buf_free(&out);
  return NULL;
}

/*
** query.h: full-text queries: the parser, and BM25 evaluation over
** abstract posting-list cursors (postings.h), with top-k skipping.
** Depends on analyze.h and postings.h only.
**
** ---- Query language ---------------------------------------------------
**
**   word          a term (analysed like the documents: folded, stop
**                 words dropped, stemmed).  A word that analyses to
**                 several tokens ("e-mail", "don't") is a phrase of them.
**   "a phrase"    the words at consecutive positions (stop words inside
**                 keep their gap).
**   pre*          any term starting with the (folded, unstemmed) prefix.
**   -x, NOT x     exclude documents matching x (a word, phrase or
**                 parenthesised group); only beside something to match.
**   a b, a AND b  both (implicit AND, as FTS5).
**   a OR b        either.  AND binds tighter than OR.
**   ( ... )       grouping.
** AND, OR and NOT are operators only in upper case.  A word that leaves
** no token (only stop words or punctuation) is dropped; a query left with
** nothing matches nothing (fts_query_empty).  Errors name the position
** (1-based, in characters) and what was expected there.
**
** ---- Scoring: BM25 as SQLite FTS5's bm25() -----------------------------
**
** Each leaf of the query (term, phrase or prefix: FTS5's "phrases") scores
**   idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * dl / avgdl))
** where f is its number of occurrences in the document (each weighted by
** its field's weight, default 1), dl the document's length in tokens over
** all fields, avgdl = total tokens / documents, and
**   idf = ln((N - n + 0.5) / (n + 0.5)), or 1e-6 where that is <= 0,
** with N the documents in the table and n those matching the leaf on its
** own (for a phrase or prefix this is counted from the postings, as FTS5
** does).  A document's score is the sum over the leaves that match it
** and whose every enclosing AND/OR matches it too (an OR branch that
** does not match adds nothing), which is what FTS5 computes.  The score is
** positive (FTS5's bm25() returns its negation).  With the FTS_UNICODE61
** analyzer, no stemming and no stop words, scores equal FTS5's bm25()
** (column weights included) to the last bits: tests/unit/test_fts_oracle.c.
** Known differences from FTS5: an excluded leaf never scores (FTS5 may
** score one under an OR when another branch matches a document that holds
** it); phrases with a trailing '*', NEAR, '^' and column filters are not
** supported; terms are cut at FTS_MAX_TERM bytes and positions past
** FTS_MAX_OFFSET in a field are not indexed (FTS5 has neither limit); a
** query's AND/OR/NOT precedence is FTS5's (NOT, then AND, then OR) but
** '-x' is remdb's.
**
** ---- Evaluation --------------------------------------------------------
**
** fts_eval_topk finds the k best documents without scoring every posting:
** doc ranges whose block maxima (postings.h impacts) cannot beat the k-th
** score are skipped, and a top-level OR runs MaxScore (a document is
** looked for only in the lists that can still lift it into the top k;
** the others are probed, by skipping, for the candidates found).  Ties are
** broken by the lower document number, so the result is exactly that of
** scoring every document (fts_eval_all) and sorting.  The counters show
** what was read, scored and skipped (EXPLAIN).
**
** fts_snippet marks a query's matches in a field's text (the best
** fragment), with the same analyzer.
*/
#ifndef REMDB_TEXT_QUERY_H
#define REMDB_TEXT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "postings.h"

/* ---- the index a query reads ------------------------------------------ */
typedef int (*fts_term_fn)(void *arg, const char *term, size_t len);

typedef struct fts_source_ops {
  /* A cursor over term's postings, on its first posting, into *out, and
  ** its entry into *info; *out = NULL when no document holds the term.
  ** Returns 0, or -1 on a storage error (the search fails). */
  int (*open)(void *ctx, const char *term, size_t len, fts_term_info *info,
              fts_cursor **out, fts_counters *count);
  /* Each term that starts with prefix, ascending, to cb; stops when cb
  ** returns non-zero (and returns that).  0, or -1 on a storage error. */
  int (*prefix)(void *ctx, const char *prefix, size_t len, fts_term_fn cb,
                void *arg);
} fts_source_ops;

typedef struct fts_source {
  const fts_source_ops *ops;
  void *ctx;
  fts_table_stats stats; /* N and total tokens, for idf and avgdl */
} fts_source;

/* ---- parsing ----------------------------------------------------------- */
typedef struct fts_query fts_query;

/* Parse text[0..n) with the table's analyzer.  NULL on a syntax error
** (message with its position in err, errlen bytes) or when out of memory
** ("out of memory").  The query does not keep the analyzer. */
fts_query *fts_query_parse(const char *text, size_t n, fts_analyzer *a,
                           char *err, size_t errlen);
void fts_query_free(fts_query *q);
/* True when nothing searchable is left (the query matches nothing). */
bool fts_query_empty(const fts_query *q);
/* The parsed form, for EXPLAIN and tests, e.g.
**   AND("a", OR("b", "c"*), NOT "d e")
** Caller frees.  NULL when out of memory. */
char *fts_query_describe(const fts_query *q);
/* The same query as an SQLite FTS5 MATCH expression over the analysed
** terms (quoted), e.g. ("a" AND ("b" OR "c"*)) NOT "d e".  Caller frees. */
char *fts_query_fts5(const fts_query *q);
/* Leaves (FTS5's phrases), in query order, counting excluded ones. */
size_t fts_query_leaves(const fts_query *q);

/* ---- evaluation ---------------------------------------------------------- */
typedef struct fts_params {
  double k1;               /* 0: 1.2 */
  double b;                /* < 0: 0.75 (b = 0 is allowed) */
  const double *weights;   /* per field (missing ones 1.0), >= 0; NULL */
  size_t nweights;
  size_t max_prefix_terms; /* a prefix matching more is an error; 0: 4096 */
} fts_params;
#define FTS_PARAMS_DEFAULT {0, -1, NULL, 0, 0}

typedef struct fts_hit {
  uint64_t doc;
  double score;
} fts_hit;

/* Does doc qualify (a SQL filter)?  Called only for documents that would
** enter the top k, in ascending doc order. */
typedef bool (*fts_filter_fn)(void *ctx, uint64_t doc);

typedef struct fts_eval fts_eval;

/* Prepare q against src: expands prefixes, opens the cursors and counts
** the documents of phrases and prefixes for their idf.  NULL with a
** message in err on a storage error, a malformed block, a prefix with too
** many terms, bad parameters or no memory.  src must outlive the eval;
** counters (may be NULL) are added to until fts_eval_free. */
fts_eval *fts_eval_open(const fts_query *q, const fts_source *src,
                        const fts_params *p, fts_counters *count, char *err,
                        size_t errlen);
void fts_eval_free(fts_eval *e);

/* The k best matching documents (best first; ties: lower doc first) that
** pass filter (NULL: all) into out[k]; *nout gets how many.  An eval is
** used once: by one of fts_eval_topk, fts_eval_all or fts_eval_docs.
** Returns 0, or -1 with a message in err (storage error, malformed data,
** out of memory). */
int fts_eval_topk(fts_eval *e, size_t k, fts_filter_fn filter, void *fctx,
                  fts_hit *out, size_t *nout, char *err, size_t errlen);
/* Every matching document, ascending, with its score, to cb (non-zero
** stops: returned).  No skipping: the reference for fts_eval_topk. */
int fts_eval_all(fts_eval *e, int (*cb)(void *ctx, uint64_t doc, double s),
                 void *ctx, char *err, size_t errlen);
/* Score just these documents (ascending, distinct): the matching ones go to
** out (at most n), in the order given.  For a filter that selects few rows:
** scoring them beats walking the postings. */
int fts_eval_docs(fts_eval *e, const uint64_t *docs, size_t n, fts_hit *out,
                  size_t *nout, char *err, size_t errlen);

/* The idf of leaf i (query order), for EXPLAIN and tests; NaN if none. */
double fts_eval_idf(const fts_eval *e, size_t i);

/* ---- snippets ------------------------------------------------------------ */
typedef struct fts_snippet_opts {
  const char *open;     /* before a matched token; NULL: "[" */
  const char *close;    /* after it; NULL: "]" */
  const char *ellipsis; /* where the fragment cuts the text; NULL: "..." */
  size_t tokens;        /* fragment length in tokens; 0: 24 */
} fts_snippet_opts;

/* The best fragment of one field's text for q: the run of `tokens` tokens
** that holds the most distinct query leaves (then the most matched tokens;
** the earliest wins ties), each matched token wrapped in open/close, and
** an ellipsis where the text goes on.  A phrase is marked only where it
** occurs whole; excluded terms are never marked.  a must analyse as the
** query's analyzer did.  *nmatch (may be NULL) gets the number of marked
** tokens.  Caller frees; NULL when out of memory. */
char *fts_snippet(const fts_query *q, fts_analyzer *a, const char *text,
                  size_t n, const fts_snippet_opts *o, size_t *nmatch);

#endif

/*
** analyze.h: text analysis for full-text search: UTF-8 text in, a stream
** of terms with positions out.  The same analyzer must process a table's
** documents and the queries run against it.  Depends on libutf8proc and
** libstemmer only (nothing else in remdb).
**
** Two modes:
**
**   FTS_REMDB (default): a token is a run of letters (L*), numbers (N*),
**     private-use characters (Co) and the marks (M*) that follow them;
**     everything else separates.  Han ideographs and kana are one token
**     per character (those scripts do not separate words with spaces).
**     Each token is NFKC-normalised and case-folded (full folding:
**     "Straße" -> "strasse"), and the generic combining diacritics
**     (U+0300-036F, 1AB0-1AFF, 1DC0-1DFF, 20D0-20FF, FE20-FE2F) are
**     removed ("café" -> "cafe"; script-specific marks such as Devanagari
**     vowel signs are kept).  Then stop words are dropped (their position
**     is still counted, so phrases keep their gaps) and the Snowball stemmer
**     runs when one is set.
**
**   FTS_UNICODE61: exactly SQLite FTS5's "unicode61" tokenizer with its
**     default options (remove_diacritics=1, categories "L* N* Co"): a token
**     starts at a letter, number or private-use character and continues
**     over those and over FTS5's Latin combining diacritics; every other
**     code point separates.  Each character is lower-cased by simple
**     mapping (BMP and Deseret only, as FTS5) and a Latin letter with one
**     diacritic becomes its base letter.  Stop words and stemming are still
**     applied if asked for (FTS5 has neither).  tests/unit/test_text.c
**     compares it with libsqlite3's FTS5 over every BMP code point; where
**     the Unicode versions of libutf8proc and SQLite's tables differ (code
**     points assigned after SQLite's tables were made), the results may too.
**
** Terms are at most FTS_MAX_TERM bytes: a longer token is cut at a code
** point boundary (FTS5 keeps it whole).  Invalid UTF-8 bytes separate.
** Positions: the caller gives the first position; each token, stop word
** or not, takes the next one.
**
** Threads: an analyzer keeps scratch buffers and a stemmer: one thread at a
** time per analyzer (they are cheap: make one per thread).
*/
#ifndef REMDB_TEXT_ANALYZE_H
#define REMDB_TEXT_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FTS_MAX_TERM 255

typedef enum fts_mode { FTS_REMDB = 0, FTS_UNICODE61 = 1 } fts_mode;

typedef enum fts_stop {
  FTS_STOP_NONE = 0,    /* keep every token */
  FTS_STOP_ENGLISH = 1, /* the built-in English list (fts_stopwords_english) */
  FTS_STOP_CUSTOM = 2   /* opts.stopwords */
} fts_stop;

typedef struct fts_analyzer_opts {
  fts_mode mode;
  /* A Snowball algorithm name as libstemmer knows it ("english", "french",
  ** "porter", ...), or NULL / "" / "none" for no stemming. */
  const char *stemmer;
  fts_stop stop;
  /* FTS_STOP_CUSTOM: the words, as typed (they are normalised like text). */
  const char *const *stopwords;
  size_t nstopwords;
} fts_analyzer_opts;

typedef struct fts_analyzer fts_analyzer;

/* One token: term bytes (not NUL-terminated; valid only during the
** callback), its position, and the byte range of the source text it came
** from (for snippets). */
typedef struct fts_token {
  const char *term;
  size_t len;
  uint32_t pos;
  size_t start, end;
} fts_token;

/* Called for each token; return non-zero to stop (fts_analyze returns it). */
typedef int (*fts_token_fn)(void *ctx, const fts_token *t);

/* A new analyzer, or NULL with a message in err (errlen bytes, may be 0):
** unknown stemmer, out of memory.  opts NULL: FTS_REMDB, no stemmer, no
** stop words. */
fts_analyzer *fts_analyzer_new(const fts_analyzer_opts *opts, char *err,
                               size_t errlen);
void fts_analyzer_free(fts_analyzer *a);
const fts_analyzer_opts *fts_analyzer_options(const fts_analyzer *a);

/* Tokenize text[0..n) with the first token at position pos0.  Stop words
** are skipped (they take a position), the others go to cb.  *next_pos (may
** be NULL) gets the position after the last token.  Returns 0, cb's
** non-zero value, or -1 when out of memory. */
int fts_analyze(fts_analyzer *a, const char *text, size_t n, uint32_t pos0,
                fts_token_fn cb, void *ctx, uint32_t *next_pos);

/* Normalise a query prefix (the text before '*'): the same tokenizing,
** folding and diacritic removal, but no stop words and no stemming.  The
** folded bytes go to out (outcap bytes); returns their length, 0 if text
** holds no token, or (size_t)-1 if it holds more than one token or is
** longer than FTS_MAX_TERM. */
size_t fts_analyze_prefix(fts_analyzer *a, const char *text, size_t n,
                          char *out, size_t outcap);

/* Is this (already normalised) term a stop word of the analyzer? */
bool fts_is_stopword(const fts_analyzer *a, const char *term, size_t len);

/* The built-in English stop-word list (NULL-terminated, lower case). */
extern const char *const fts_stopwords_english[];

/* The Snowball algorithms libstemmer offers (NULL-terminated, static). */
const char **fts_stemmer_list(void);

/* ---- short strings (terms), hashed and compared inline ---------------- */

/* The bytes of a short string s[0..n), 0 < n <= 8, as one word (n and the
** word together tell the bytes): loads that may overlap but never read
** outside s. */
static inline uint64_t fts_short_word(const char *s, size_t n) {
  if (n == 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
  }
  if (n >= 4) {
    uint32_t lo, hi;
    memcpy(&lo, s, 4);
    memcpy(&hi, s + n - 4, 4);
    return lo | (uint64_t)hi << 32;
  }
  return (uint64_t)(unsigned char)s[0] |
         (uint64_t)(unsigned char)s[n / 2] << 8 |
         (uint64_t)(unsigned char)s[n - 1] << 16;
}

static inline uint64_t fts_mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

/* A term's hash: a word at a time (terms are short). */
static inline uint64_t fts_term_hash(const char *s, size_t n) {
  uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
  while (n > 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    s += 8;
    n -= 8;
  }
  if (n) h = (h ^ fts_short_word(s, n)) * 0x94d049bb133111ebull;
  return fts_mix64(h);
}

/* s[0..n) == t[0..n), inline (terms are short). */
static inline bool fts_same_bytes(const char *s, const char *t, size_t n) {
  while (n > 8) {
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, t, 8);
    if (a != b) return false;
    s += 8;
    t += 8;
    n -= 8;
  }
  return n == 0 || fts_short_word(s, n) == fts_short_word(t, n);
}

#endif

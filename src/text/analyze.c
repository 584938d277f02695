/*
** analyze.c: the tokenizers of analyze.h.  The scanner walks code points
** once; a token's code points are gathered into a UTF-32 scratch array,
** normalised there (FTS_REMDB: libutf8proc's NFKD + case folding, diacritic
** removal, recomposition; FTS_UNICODE61: FTS5's per-character folding) and
** encoded back to UTF-8.  Pure-ASCII tokens take a fast path that gives the
** same result.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>

#include "analyze.h"

/* A set of stop words: open addressing over owned strings. */
typedef struct stopset {
  char **slot;
  size_t cap, n;
} stopset;

/* A direct-mapped cache of stems: words repeat, the stemmer is slow. */
#define STEM_CACHE 4096
#define STEM_MAX 24
typedef struct stem_slot {
  uint8_t len, slen; /* len 0: empty */
  char word[STEM_MAX], stem[STEM_MAX];
} stem_slot;

struct fts_analyzer {
  fts_analyzer_opts o;
  stem_slot *cache;
  char *stemmer_name; /* owned copy behind o.stemmer */
  struct sb_stemmer *stem;
  stopset stops;
  int32_t *cp;        /* scratch: code points of the current token */
  size_t cpcap;
  char *out;          /* scratch: the normalised token */
  size_t outcap;
};

/* ---- stop-word set ---------------------------------------------------- */

static bool stopset_has(const stopset *s, const char *w, size_t n) {
  if (!s->cap) return false;
  size_t i = (size_t)fts_term_hash(w, n) & (s->cap - 1);
  while (s->slot[i]) {
    if (strlen(s->slot[i]) == n && memcmp(s->slot[i], w, n) == 0) return true;
    i = (i + 1) & (s->cap - 1);
  }
  return false;
}

static int stopset_add(stopset *s, const char *w, size_t n) {
  if (n == 0 || stopset_has(s, w, n)) return 0;
  if ((s->n + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    char **ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slot[i]) continue;
      size_t j = (size_t)fts_term_hash(s->slot[i], strlen(s->slot[i])) & (ncap - 1);
      while (ns[j]) j = (j + 1) & (ncap - 1);
      ns[j] = s->slot[i];
    }
    free(s->slot);
    s->slot = ns;
    s->cap = ncap;
  }
  char *c = malloc(n + 1);
  if (!c) return -1;
  memcpy(c, w, n);
  c[n] = 0;
  size_t i = (size_t)fts_term_hash(w, n) & (s->cap - 1);
  while (s->slot[i]) i = (i + 1) & (s->cap - 1);
  s->slot[i] = c;
  s->n++;
  return 0;
}

static void stopset_free(stopset *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->slot[i]);
  free(s->slot);
  memset(s, 0, sizeof *s);
}

/* ---- character classes ------------------------------------------------- */

static bool cat_alnum(int32_t c) {
  utf8proc_category_t k = utf8proc_category(c);
  return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
         (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO) ||
         k == UTF8PROC_CATEGORY_CO;
}

/* SQLite's FTS5 tables predate the Unicode version of libutf8proc.  These
** ranges (planes 0 and 1) are where the two disagree, found by comparing
** libsqlite3 3.40.1 with libutf8proc 2.8 (Unicode 15) over every code
** point (tests/unit/test_text.c repeats the comparison): kind 1, code
** points FTS5 does not know (it reads them as unassigned: token
** characters, folded to themselves); kind 0, characters it reads as
** marks where Unicode now has letters (separators). */
typedef struct u61_range {
  int32_t first, last;
  int kind;
} u61_range;

static const u61_range u61_ranges[] = {
    {0x037F, 0x037F, 1}, {0x0528, 0x052E, 1}, {0x058D, 0x058E, 1},
    {0x0605, 0x0605, 1}, {0x061C, 0x061D, 1}, {0x07FD, 0x07FF, 1},
    {0x0888, 0x08E3, 1}, {0x08FF, 0x08FF, 1}, {0x09FD, 0x09FE, 1},
    {0x0A76, 0x0A76, 1}, {0x0AFA, 0x0AFF, 1}, {0x0B55, 0x0B55, 1},
    {0x0C00, 0x0C00, 1}, {0x0C04, 0x0C3C, 1}, {0x0C77, 0x0C77, 1},
    {0x0C81, 0x0C81, 1}, {0x0C84, 0x0C84, 1}, {0x0CF3, 0x0D01, 1},
    {0x0D3B, 0x0D3C, 1}, {0x0D4F, 0x0D4F, 1}, {0x0D81, 0x0D81, 1},
    {0x0EBA, 0x0EBA, 1}, {0x0ECE, 0x0ECE, 1}, {0x13F8, 0x13FD, 1},
    {0x1715, 0x1715, 1}, {0x180F, 0x1886, 1}, {0x19B0, 0x19C0, 0},
    {0x19C8, 0x19C9, 0}, {0x1AB0, 0x1ACE, 1}, {0x1B7D, 0x1B7E, 1},
    {0x1C80, 0x1CBF, 1}, {0x1CF2, 0x1CF3, 0}, {0x1CF7, 0x1CF9, 1},
    {0x1DE7, 0x1DFB, 1}, {0x2066, 0x2069, 1}, {0x20BA, 0x20C0, 1},
    {0x218A, 0x218B, 1}, {0x23F4, 0x23FF, 1}, {0x2700, 0x2700, 1},
    {0x2B4D, 0x2B4F, 1}, {0x2B5A, 0x2BFF, 1}, {0x2C2F, 0x2C2F, 1},
    {0x2E3C, 0x2E5D, 1}, {0x32FF, 0x32FF, 1}, {0xA698, 0xA69E, 1},
    {0xA796, 0xA79E, 1}, {0xA7AB, 0xA7F5, 1}, {0xA82C, 0xA82C, 1},
    {0xA8C5, 0xA8C5, 1}, {0xA8FC, 0xA8FF, 1}, {0xA9E5, 0xA9E5, 1},
    {0xAA7C, 0xAA7D, 1}, {0xAB5B, 0xABBF, 1}, {0xFBC2, 0xFBC2, 1},
    {0xFD40, 0xFDCF, 1}, {0xFDFE, 0xFDFF, 1}, {0xFE27, 0xFE2F, 1},
    {0xFFFE, 0xFFFF, 0}, {0x1018C, 0x1018E, 1}, {0x1019C, 0x101A0, 1},
    {0x102E0, 0x1037A, 1}, {0x1056F, 0x1056F, 1}, {0x10877, 0x10878, 1},
    {0x10AC8, 0x10AF6, 1}, {0x10B99, 0x10F89, 1}, {0x11070, 0x1107F, 1},
    {0x110C2, 0x110CD, 1}, {0x11145, 0x11175, 1}, {0x111C9, 0x1166C, 1},
    {0x116B9, 0x11FFF, 1}, {0x12474, 0x16F4F, 1}, {0x16F7F, 0x16F87, 1},
    {0x16FE2, 0x1CFC3, 1}, {0x1D1DE, 0x1D1EA, 1}, {0x1D800, 0x1ED2E, 1},
    {0x1F0BF, 0x1F0BF, 1}, {0x1F0E0, 0x1F10F, 1}, {0x1F12F, 0x1F12F, 1},
    {0x1F16C, 0x1F16F, 1}, {0x1F19B, 0x1F1AD, 1}, {0x1F23B, 0x1F23B, 1},
    {0x1F260, 0x1F265, 1}, {0x1F321, 0x1F32F, 1}, {0x1F336, 0x1F336, 1},
    {0x1F37D, 0x1F37F, 1}, {0x1F394, 0x1F39F, 1}, {0x1F3C5, 0x1F3C5, 1},
    {0x1F3CB, 0x1F3DF, 1}, {0x1F3F1, 0x1F3FF, 1}, {0x1F43F, 0x1F43F, 1},
    {0x1F441, 0x1F441, 1}, {0x1F4F8, 0x1F4F8, 1}, {0x1F4FD, 0x1F4FF, 1},
    {0x1F53E, 0x1F53F, 1}, {0x1F544, 0x1F54F, 1}, {0x1F568, 0x1F5FA, 1},
    {0x1F641, 0x1F644, 1}, {0x1F650, 0x1F67F, 1}, {0x1F6C6, 0x1F6FC, 1},
    {0x1F774, 0x1FBCA, 1},
};

/* The kind of c in u61_ranges, or -1 if it is not there. */
static int u61_exception(int32_t c) {
  size_t lo = 0, hi = sizeof u61_ranges / sizeof u61_ranges[0];
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < u61_ranges[mid].first) hi = mid;
    else if (c > u61_ranges[mid].last) lo = mid + 1;
    else return u61_ranges[mid].kind;
  }
  return -1;
}

/* FTS5 reads an unassigned code point as a token character. */
static bool u61_alnum(int32_t c) {
  int x = u61_exception(c);
  if (x >= 0) return x == 1;
  return cat_alnum(c) || utf8proc_category(c) == UTF8PROC_CATEGORY_CN;
}

static bool cat_mark(int32_t c) {
  utf8proc_category_t k = utf8proc_category(c);
  return k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME;
}

static bool ascii_alnum(unsigned c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

/* Scripts written without spaces between words: one token per character. */
static bool is_ideograph(int32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) ||   /* hiragana, katakana */
         (c >= 0x31F0 && c <= 0x31FF) ||   /* katakana extensions */
         (c >= 0x3400 && c <= 0x4DBF) ||   /* CJK extension A */
         (c >= 0x4E00 && c <= 0x9FFF) ||   /* CJK unified */
         (c >= 0xF900 && c <= 0xFAFF) ||   /* CJK compatibility */
         (c >= 0xFF66 && c <= 0xFF9F) ||   /* halfwidth katakana */
         (c >= 0x20000 && c <= 0x3FFFF);   /* CJK extensions B.. */
}

/* The generic combining diacritics FTS_REMDB removes. */
static bool generic_diacritic(int32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

/* FTS5's set of combining diacritics that may continue a token:
** U+0300..U+0331 less a few (a bit mask over that range). */
static bool u61_diacritic(int32_t c) {
  static const uint64_t mask = 0x000361F808029FDFull;
  if (c < 0x300 || c > 0x331) return false;
  return (mask >> (c - 0x300)) & 1;
}

/* ---- FTS5 unicode61 folding -------------------------------------------- */

/* Remove the diacritic of a (lower-case) Latin letter: a character whose
** canonical decomposition is an ASCII letter and one combining mark
** becomes that letter.  A letter with two or more marks is kept (FTS5's
** remove_diacritics=1; =2 would strip those too), and so is a diacritic
** mark on its own... unless it is one FTS5 drops: those fold to 0. */
static int32_t u61_strip(int32_t c) {
  if (u61_diacritic(c)) return 0;
  int32_t d[8];
  utf8proc_ssize_t n =
      utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE, NULL);
  if (n == 2 && d[0] < 128 && ascii_alnum((unsigned)d[0]) && d[0] > '9')
    return d[0];
  return c;
}

/* Simple case folding: the full folding when it is one code point, else
** the lower-case mapping ("ß" stays, "µ" -> "μ", "ς" -> "σ"). */
static int32_t simple_fold(int32_t c) {
  int32_t d[4];
  utf8proc_ssize_t n = utf8proc_decompose_char(c, d, 4, UTF8PROC_CASEFOLD, NULL);
  if (n == 1) return d[0];
  return utf8proc_tolower(c);
}

static int32_t u61_fold(int32_t c) {
  if (c < 128) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (u61_exception(c) == 1) return c;
  if (c < 65536) return u61_strip(simple_fold(c));
  if (c >= 0x10400 && c < 0x10428) return c + 40; /* Deseret */
  return c;
}

/* ---- scratch buffers ---------------------------------------------------- */

static bool grow_cp(fts_analyzer *a, size_t need) {
  if (need <= a->cpcap) return true;
  size_t n = a->cpcap ? a->cpcap : 64;
  while (n < need) n *= 2;
  int32_t *p = realloc(a->cp, n * sizeof *p);
  if (!p) return false;
  a->cp = p;
  a->cpcap = n;
  return true;
}

static bool grow_out(fts_analyzer *a, size_t need) {
  if (need <= a->outcap) return true;
  size_t n = a->outcap ? a->outcap : 256;
  while (n < need) n *= 2;
  char *p = realloc(a->out, n);
  if (!p) return false;
  a->out = p;
  a->outcap = n;
  return true;
}

/* Encode cp[0..n) as UTF-8 into a->out, cut to FTS_MAX_TERM bytes at a
** code point boundary; code point 0 (a dropped diacritic) is skipped.
** Returns the length, or (size_t)-1 when out of memory. */
static size_t encode_cps(fts_analyzer *a, const int32_t *cp, size_t n) {
  if (!grow_out(a, FTS_MAX_TERM + 8)) return (size_t)-1;
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    if (cp[i] == 0) continue;
    utf8proc_uint8_t tmp[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp[i], tmp);
    if (k <= 0) continue;
    if (len + (size_t)k > FTS_MAX_TERM) break;
    memcpy(a->out + len, tmp, (size_t)k);
    len += (size_t)k;
  }
  return len;
}

/* FTS_REMDB normalisation of the raw token text[0..n) into a->out.
** Returns the length (0: nothing left), or (size_t)-1 when out of memory. */
static size_t remdb_normalize(fts_analyzer *a, const char *text, size_t n) {
  bool ascii = true;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)text[i] >= 0x80) { ascii = false; break; }
  if (ascii) {
    if (!grow_out(a, FTS_MAX_TERM + 8)) return (size_t)-1;
    size_t m = n < FTS_MAX_TERM ? n : FTS_MAX_TERM;
    for (size_t i = 0; i < m; i++) {
      char c = text[i];
      a->out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return m;
  }
  const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
                                UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                UTF8PROC_IGNORE;
  utf8proc_ssize_t k;
  for (;;) {
    k = utf8proc_decompose((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)n,
                           a->cp, (utf8proc_ssize_t)a->cpcap, opt);
    if (k < 0) return 0; /* cannot happen: the scanner gave valid UTF-8 */
    if ((size_t)k <= a->cpcap) break;
    if (!grow_cp(a, (size_t)k)) return (size_t)-1;
  }
  size_t m = 0;
  for (size_t i = 0; i < (size_t)k; i++)
    if (!generic_diacritic(a->cp[i])) a->cp[m++] = a->cp[i];
  k = utf8proc_normalize_utf32(a->cp, (utf8proc_ssize_t)m,
                               UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  if (k < 0) return 0;
  return encode_cps(a, a->cp, (size_t)k);
}

/* ---- public ------------------------------------------------------------- */

static void seterr(char *err, size_t errlen, const char *fmt, const char *s) {
  if (err && errlen) snprintf(err, errlen, fmt, s);
}

const char **fts_stemmer_list(void) { return sb_stemmer_list(); }

fts_analyzer *fts_analyzer_new(const fts_analyzer_opts *opts, char *err,
                               size_t errlen) {
  fts_analyzer *a = calloc(1, sizeof *a);
  if (!a) {
    seterr(err, errlen, "%s", "out of memory");
    return NULL;
  }
  if (opts) a->o = *opts;
  a->o.stopwords = NULL;
  a->o.nstopwords = 0;
  if (a->o.mode != FTS_REMDB && a->o.mode != FTS_UNICODE61) {
    seterr(err, errlen, "%s", "unknown analyzer mode");
    goto fail;
  }
  const char *sn = a->o.stemmer;
  if (sn && *sn && strcmp(sn, "none") != 0) {
    a->stem = sb_stemmer_new(sn, "UTF_8");
    if (!a->stem) {
      seterr(err, errlen, "unknown stemmer language \"%s\"", sn);
      goto fail;
    }
    a->stemmer_name = strdup(sn);
    a->cache = calloc(STEM_CACHE, sizeof *a->cache);
    if (!a->stemmer_name || !a->cache) goto nomem;
    a->o.stemmer = a->stemmer_name;
  } else {
    a->o.stemmer = NULL;
  }
  if (!grow_cp(a, 64) || !grow_out(a, FTS_MAX_TERM + 8)) goto nomem;
  /* Stop words are normalised as text is (one token each, unstemmed). */
  const char *const *w = NULL;
  size_t nw = 0;
  if (a->o.stop == FTS_STOP_ENGLISH) {
    w = fts_stopwords_english;
    while (w[nw]) nw++;
  } else if (a->o.stop == FTS_STOP_CUSTOM) {
    w = opts->stopwords;
    nw = opts->nstopwords;
  } else if (a->o.stop != FTS_STOP_NONE) {
    seterr(err, errlen, "%s", "unknown stop-word setting");
    goto fail;
  }
  for (size_t i = 0; i < nw; i++) {
    if (!w[i]) continue;
    char tmp[FTS_MAX_TERM + 8];
    size_t len = fts_analyze_prefix(a, w[i], strlen(w[i]), tmp, sizeof tmp);
    if (len == 0 || len == (size_t)-1) continue; /* not one token */
    if (stopset_add(&a->stops, tmp, len)) goto nomem;
  }
  return a;
nomem:
  seterr(err, errlen, "%s", "out of memory");
fail:
  fts_analyzer_free(a);
  return NULL;
}

void fts_analyzer_free(fts_analyzer *a) {
  if (!a) return;
  if (a->stem) sb_stemmer_delete(a->stem);
  free(a->cache);
  free(a->stemmer_name);
  stopset_free(&a->stops);
  free(a->cp);
  free(a->out);
  free(a);
}

const fts_analyzer_opts *fts_analyzer_options(const fts_analyzer *a) {
  return &a->o;
}

bool fts_is_stopword(const fts_analyzer *a, const char *term, size_t len) {
  return stopset_has(&a->stops, term, len);
}

/* The scanner's sink: each token (in normalised form) takes the next
** position; with filter, stop words are dropped and stems taken
** (emit_filtered), else it goes to cb as it is. */
typedef struct actx {
  fts_token_fn cb;
  void *ctx;
  uint32_t pos;
  bool filter;
} actx;

static int emit_filtered(fts_analyzer *a, actx *x, fts_token *t);

static inline int emit(fts_analyzer *a, actx *x, const char *term, size_t len,
                       size_t start, size_t end) {
  fts_token t = {term, len, x->pos++, start, end};
  return x->filter ? emit_filtered(a, x, &t) : x->cb(x->ctx, &t);
}

/* Read the code point at text[i]; *k gets its length (1 for an invalid
** byte, which reads as -1). */
static int32_t read_cp(const char *text, size_t n, size_t i, size_t *k) {
  unsigned char c = (unsigned char)text[i];
  if (c < 0x80) {
    *k = 1;
    return c;
  }
  int32_t cp;
  utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                        (utf8proc_ssize_t)(n - i), &cp);
  if (r <= 0) {
    *k = 1;
    return -1;
  }
  *k = (size_t)r;
  return cp;
}

/* Append code point c to the token being built in a->out; once one does
** not fit in FTS_MAX_TERM bytes, *full is set and nothing more is added. */
static inline void put_cp(fts_analyzer *a, size_t *len, bool *full,
                          int32_t c) {
  if (*full || c == 0) return;
  utf8proc_uint8_t tmp[4];
  utf8proc_ssize_t k = c < 128 ? (tmp[0] = (utf8proc_uint8_t)c, 1)
                               : utf8proc_encode_char(c, tmp);
  if (k <= 0) return;
  if (*len + (size_t)k > FTS_MAX_TERM) {
    *full = true;
    return;
  }
  memcpy(a->out + *len, tmp, (size_t)k);
  *len += (size_t)k;
}

/* ASCII bytes for the scanners: a letter or digit maps to itself lower-
** cased, any other ASCII byte to 0 (a separator); bytes >= 0x80 (not
** ASCII) map to 0x80.  ascii_run(b) is true for a token byte. */
static const unsigned char ascii_fold[256] = {
#define X16(a) a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a
    X16(0), X16(0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n',
    'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n',
    'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
    X16(0x80), X16(0x80), X16(0x80), X16(0x80), X16(0x80), X16(0x80),
    X16(0x80), X16(0x80)
#undef X16
};
#define ascii_run(f) ((unsigned char)((f) - 1) < 0x7f)

/* Append the ASCII token bytes at u[*i..n) to the token in a->out, folded,
** as put_cp would one by one: once the token is full (*full, or
** FTS_MAX_TERM bytes) the rest are dropped and *full is set.  Stops at the
** first byte that is not an ASCII letter or digit. */
static inline void ascii_token_run(fts_analyzer *a, const unsigned char *u,
                                   size_t n, size_t *i, size_t *len,
                                   bool *full) {
  size_t j = *i, l = *len;
  /* out has FTS_MAX_TERM + 8 bytes: a dropped byte is stored at out[lim]
  ** (lim <= FTS_MAX_TERM) and never counted */
  size_t lim = *full ? l : FTS_MAX_TERM;
  char *out = a->out;
  unsigned char f;
  while (j < n && ascii_run(f = ascii_fold[u[j]])) {
    out[l] = (char)f;
    l += l < lim;
    j++;
  }
  if (j - *i > l - *len) *full = true;
  *i = j;
  *len = l;
}

static int scan_u61(fts_analyzer *a, const char *text, size_t n, actx *x) {
  const unsigned char *u = (const unsigned char *)text;
  size_t i = 0;
  while (i < n) {
    size_t k;
    int32_t c;
    unsigned char f = ascii_fold[u[i]];
    if (f == 0) { /* an ASCII separator: the common case */
      i++;
      continue;
    }
    if (f == 0x80) {
      c = read_cp(text, n, i, &k);
      if (c < 0 || !u61_alnum(c)) {
        i += k;
        continue;
      }
    }
    size_t s = i, len = 0;
    bool full = false;
    while (i < n) {
      if (u[i] < 0x80) {
        ascii_token_run(a, u, n, &i, &len, &full);
        if (i >= n || u[i] < 0x80) break;
      }
      c = read_cp(text, n, i, &k);
      if (c < 0 || !(u61_alnum(c) || u61_diacritic(c))) break;
      put_cp(a, &len, &full, u61_fold(c));
      i += k;
    }
    int rc = emit(a, x, a->out, len, s, i);
    if (rc) return rc;
  }
  return 0;
}

static int scan_remdb(fts_analyzer *a, const char *text, size_t n,
                      actx *x) {
  size_t i = 0;
  while (i < n) {
    if (ascii_fold[(unsigned char)text[i]] == 0) { /* an ASCII separator */
      i++;
      continue;
    }
    size_t k;
    int32_t c = read_cp(text, n, i, &k);
    bool start = c >= 0 && (c < 128 ? ascii_alnum((unsigned)c) : cat_alnum(c));
    if (!start) {
      i += k;
      continue;
    }
    size_t s = i;
    if (c < 128) {
      /* its ASCII letters and digits, folded as remdb_normalize folds a
      ** pure-ASCII token: when the token ends there, that is it */
      size_t len = 0;
      bool full = false;
      ascii_token_run(a, (const unsigned char *)text, n, &i, &len, &full);
      if (i >= n || (unsigned char)text[i] < 0x80) {
        int rc = emit(a, x, a->out, len, s, i);
        if (rc) return rc;
        continue;
      }
      /* else more of the token follows: the whole of it is normalised */
    }
    if (c >= 128 && is_ideograph(c)) {
      i += k;
      /* marks (e.g. dakuten) stay with their character */
      while (i < n) {
        int32_t m = read_cp(text, n, i, &k);
        if (m < 128 || !cat_mark(m)) break;
        i += k;
      }
    } else {
      while (i < n) {
        c = read_cp(text, n, i, &k);
        bool tok;
        if (c < 0) tok = false;
        else if (c < 128) tok = ascii_alnum((unsigned)c);
        else tok = (cat_alnum(c) && !is_ideograph(c)) || cat_mark(c);
        if (!tok) break;
        i += k;
      }
    }
    size_t len = remdb_normalize(a, text + s, i - s);
    if (len == (size_t)-1) return -1;
    if (len == 0) continue;
    int rc = emit(a, x, a->out, len, s, i);
    if (rc) return rc;
  }
  return 0;
}

static int scan(fts_analyzer *a, const char *text, size_t n, actx *x) {
  return a->o.mode == FTS_UNICODE61 ? scan_u61(a, text, n, x)
                                    : scan_remdb(a, text, n, x);
}

/* Stop words, then the stemmer. */
static int emit_filtered(fts_analyzer *a, actx *x, fts_token *tk) {
  const char *term = tk->term;
  size_t len = tk->len;
  if (a->stops.n && stopset_has(&a->stops, term, len)) return 0;
  fts_token t = *tk;
  if (a->stem) {
    stem_slot *c = NULL;
    if (len < STEM_MAX) {
      c = &a->cache[fts_term_hash(term, len) & (STEM_CACHE - 1)];
      if (c->len == len && fts_same_bytes(c->word, term, len)) {
        t.term = c->stem;
        t.len = c->slen;
        return x->cb(x->ctx, &t);
      }
    }
    const sb_symbol *s =
        sb_stemmer_stem(a->stem, (const sb_symbol *)term, (int)len);
    if (!s) return -1; /* out of memory */
    int sl = sb_stemmer_length(a->stem);
    if (sl > 0) {
      t.term = (const char *)s;
      t.len = (size_t)sl;
    }
    if (c && t.len < STEM_MAX) {
      c->len = (uint8_t)len;
      memcpy(c->word, term, len);
      c->slen = (uint8_t)t.len;
      memcpy(c->stem, t.term, t.len);
    }
  }
  return x->cb(x->ctx, &t);
}

int fts_analyze(fts_analyzer *a, const char *text, size_t n, uint32_t pos0,
                fts_token_fn cb, void *ctx, uint32_t *next_pos) {
  actx x = {cb, ctx, pos0, a->stops.n > 0 || a->stem != NULL};
  int rc = scan(a, text, n, &x);
  if (next_pos) *next_pos = x.pos;
  return rc;
}

typedef struct pctx {
  char *out;
  size_t cap, len;
  int count;
} pctx;

static int prefix_token(void *ctx, const fts_token *t) {
  pctx *p = ctx;
  if (++p->count > 1) return 1;
  if (t->len > p->cap) return 1;
  memcpy(p->out, t->term, t->len);
  p->len = t->len;
  return 0;
}

size_t fts_analyze_prefix(fts_analyzer *a, const char *text, size_t n,
                          char *out, size_t outcap) {
  pctx p = {out, outcap, 0, 0};
  actx x = {prefix_token, &p, 0, false}; /* no stop words, no stemming */
  int rc = scan(a, text, n, &x);
  if (rc) return (size_t)-1;
  return p.count ? p.len : 0;
}

/*
** test_text.c: the full-text library below the storage layer (src/text):
** the analyzer (both modes, against libsqlite3's FTS5 unicode61 tokenizer
** over every code point of planes 0 and 1 and over random text), the
** postings formats (round trips, merges against a model, malformed input),
** the block cursor, the query parser (forms and errors with positions) and
** BM25 evaluation on a small hand-checked index.
*/
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <utf8proc.h>

#include "test.h"
#include "text/analyze.h"
#include "text/index.h"
#include "text/postings.h"
#include "text/query.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rndn(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- analyzer helpers ------------------------------------------------- */

typedef struct acc {
  char s[8192];
  size_t n;
} acc;

static int acc_tok(void *ctx, const fts_token *t) {
  acc *a = ctx;
  a->n += (size_t)snprintf(a->s + a->n, sizeof a->s - a->n, "%.*s@%u ",
                           (int)t->len, t->term, t->pos);
  return 0;
}

/* "term@pos term@pos ..." */
static const char *toks(fts_analyzer *a, const char *text) {
  static acc x;
  x.n = 0;
  x.s[0] = 0;
  fts_analyze(a, text, strlen(text), 0, acc_tok, &x, NULL);
  if (x.n) x.s[x.n - 1] = 0;
  return x.s;
}

static int bare_tok(void *ctx, const fts_token *t) {
  acc *a = ctx;
  a->n += (size_t)snprintf(a->s + a->n, sizeof a->s - a->n, "%.*s|",
                           (int)t->len, t->term);
  return 0;
}

static int range_tok(void *ctx, const fts_token *t) {
  acc *a = ctx;
  a->n += (size_t)snprintf(a->s + a->n, sizeof a->s - a->n, "%.*s@%u[%zu,%zu) ",
                           (int)t->len, t->term, t->pos, t->start, t->end);
  return 0;
}

static void test_remdb_mode(void) {
  fts_analyzer_opts o = {0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  CHECK(a != NULL);
  CHECK_STR(toks(a, "Hello, World!  café NAÏVE Straße"),
            "hello@0 world@1 cafe@2 naive@3 strasse@4");
  CHECK_STR(toks(a, "ＡＢＣ ﬁle x²"), "abc@0 file@1 x2@2"); /* NFKC */
  CHECK_STR(toks(a, "東京タワー is tall"), "東@0 京@1 タ@2 ワ@3 ー@4 is@5 tall@6");
  CHECK_STR(toks(a, "don't e-mail snake_case"),
            "don@0 t@1 e@2 mail@3 snake@4 case@5");
  CHECK_STR(toks(a, "Ελληνικά ΣΟΦΙΑ"), "ελληνικα@0 σοφια@1");
  CHECK_STR(toks(a, "हिन्दी"), "हिन्दी@0"); /* script marks are kept */
  CHECK_STR(toks(a, "a\xff" "b \xc3"), "a@0 b@1"); /* invalid bytes separate */
  CHECK_STR(toks(a, ""), "");
  /* an ASCII start, then more of the token that is not ASCII: the whole
  ** token is normalised */
  CHECK_STR(toks(a, "ABC\xc3\xa9" "DEF x\xcc\x81" "y Q"), "abcedef@0 xy@1 q@2");
  {
    char asc[400];
    memset(asc, 'K', 300);
    memcpy(asc + 300, " Tail", 6);
    acc x = {.n = 0};
    fts_analyze(a, asc, strlen(asc), 0, range_tok, &x, NULL);
    char want[400];
    memset(want, 'k', 255);
    snprintf(want + 255, sizeof want - 255, "@0[0,300) tail@1[301,305) ");
    CHECK_STR(x.s, want);
  }
  /* a long token is cut at FTS_MAX_TERM bytes, on a character boundary */
  char lng[600];
  for (int i = 0; i < 299; i++) memcpy(lng + 2 * i, "\xc3\xa9", 2); /* é */
  lng[598] = 0;
  {
    acc x = {.n = 0};
    fts_analyze(a, lng, strlen(lng), 0, bare_tok, &x, NULL);
    CHECK_INT(x.n, 255 + 1); /* "e" (the marks removed) x 255 + '|' */
  }
  char lng2[600];
  for (int i = 0; i < 299; i++) memcpy(lng2 + 2 * i, "\xce\xbb", 2); /* λ */
  lng2[598] = 0;
  {
    acc x = {.n = 0};
    fts_analyze(a, lng2, strlen(lng2), 0, bare_tok, &x, NULL);
    CHECK_INT(x.n, 254 + 1);
  }
  /* positions start where asked; byte ranges of the source text */
  {
    const char *t = "  Ab, cé";
    acc x = {.n = 0};
    fts_analyze(a, t, strlen(t), 10, range_tok, &x, NULL);
    CHECK_STR(x.s, "ab@10[2,4) ce@11[6,9) ");
  }
  char buf[FTS_MAX_TERM + 8];
  CHECK_INT(fts_analyze_prefix(a, "Caf", 3, buf, sizeof buf), 3);
  CHECK(memcmp(buf, "caf", 3) == 0);
  CHECK_INT(fts_analyze_prefix(a, "two words", 9, buf, sizeof buf), (size_t)-1);
  CHECK_INT(fts_analyze_prefix(a, "--", 2, buf, sizeof buf), 0);
  fts_analyzer_free(a);
}

static void test_stop_and_stem(void) {
  fts_analyzer_opts o = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  CHECK(a != NULL);
  CHECK_STR(toks(a, "The quick brown foxes are running"),
            "quick@1 brown@2 fox@3 run@5");
  CHECK_STR(toks(a, "connections connected connecting"),
            "connect@0 connect@1 connect@2");
  CHECK_STR(toks(a, "It's THE café's menu"), "cafe@3 menu@5");
  CHECK(fts_is_stopword(a, "the", 3));
  CHECK(!fts_is_stopword(a, "fox", 3));
  /* prefixes are folded, never stemmed */
  char buf[FTS_MAX_TERM + 8];
  CHECK_INT(fts_analyze_prefix(a, "Running", 7, buf, sizeof buf), 7);
  fts_analyzer_free(a);

  const char *mine[] = {"Foo", "BÄR", "two words"};
  fts_analyzer_opts c = {FTS_REMDB, "none", FTS_STOP_CUSTOM, mine, 3};
  a = fts_analyzer_new(&c, NULL, 0);
  CHECK(a != NULL);
  CHECK_STR(toks(a, "foo bar baz the"), "baz@2 the@3");
  fts_analyzer_free(a);

  fts_analyzer_opts f = {FTS_REMDB, "french", FTS_STOP_NONE, NULL, 0};
  a = fts_analyzer_new(&f, NULL, 0);
  CHECK(a != NULL);
  CHECK_STR(toks(a, "continuellement"), "continuel@0");
  fts_analyzer_free(a);

  char err[128];
  fts_analyzer_opts bad = {FTS_REMDB, "klingon", FTS_STOP_NONE, NULL, 0};
  CHECK(fts_analyzer_new(&bad, err, sizeof err) == NULL);
  CHECK_HAS(err, "unknown stemmer language \"klingon\"");
  const char **list = fts_stemmer_list();
  bool english = false;
  for (size_t i = 0; list[i]; i++) english |= strcmp(list[i], "english") == 0;
  CHECK(english);
}

/* FTS5's tokens of each text, via an fts5vocab 'instance' table. */
typedef struct fts5tok {
  sqlite3 *db;
  sqlite3_stmt *ins, *sel;
} fts5tok;

static void fts5tok_open(fts5tok *f) {
  CHECK(sqlite3_open(":memory:", &f->db) == SQLITE_OK);
  CHECK(sqlite3_exec(f->db,
                     "CREATE VIRTUAL TABLE t USING fts5(x);"
                     "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');"
                     "BEGIN",
                     0, 0, 0) == SQLITE_OK);
  sqlite3_prepare_v2(f->db, "INSERT INTO t(rowid, x) VALUES (?, ?)", -1,
                     &f->ins, 0);
  sqlite3_prepare_v2(f->db,
                     "SELECT doc, term FROM v ORDER BY doc, \"offset\"", -1,
                     &f->sel, 0);
}

static void fts5tok_close(fts5tok *f) {
  sqlite3_finalize(f->ins);
  sqlite3_finalize(f->sel);
  sqlite3_close(f->db);
}

/* Compare FTS5 and the analyzer on texts[0..n); returns mismatches and
** reports the first few. */
static int compare_u61(fts_analyzer *a, char **texts, size_t n,
                       const char *what) {
  fts5tok f;
  fts5tok_open(&f);
  for (size_t i = 0; i < n; i++) {
    sqlite3_bind_int64(f.ins, 1, (sqlite3_int64)i + 1);
    sqlite3_bind_text(f.ins, 2, texts[i], -1, SQLITE_STATIC);
    sqlite3_step(f.ins);
    sqlite3_reset(f.ins);
  }
  char **theirs = calloc(n, sizeof *theirs);
  size_t *tl = calloc(n, sizeof *tl), *tc = calloc(n, sizeof *tc);
  while (sqlite3_step(f.sel) == SQLITE_ROW) {
    size_t d = (size_t)sqlite3_column_int64(f.sel, 0) - 1;
    const char *t = (const char *)sqlite3_column_text(f.sel, 1);
    size_t k = strlen(t);
    if (tl[d] + k + 2 > tc[d]) {
      tc[d] = (tl[d] + k + 2) * 2;
      theirs[d] = realloc(theirs[d], tc[d]);
    }
    memcpy(theirs[d] + tl[d], t, k);
    tl[d] += k;
    theirs[d][tl[d]++] = '|';
    theirs[d][tl[d]] = 0;
  }
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    acc x = {.n = 0};
    x.s[0] = 0;
    fts_analyze(a, texts[i], strlen(texts[i]), 0, bare_tok, &x, NULL);
    const char *t = theirs[i] ? theirs[i] : "";
    if (strcmp(x.s, t) != 0) {
      if (bad++ < 5)
        fprintf(stderr, "%s: text %zu \"%s\": fts5 \"%s\", ours \"%s\"\n", what,
                i, texts[i], t, x.s);
    }
  }
  for (size_t i = 0; i < n; i++) free(theirs[i]);
  free(theirs);
  free(tl);
  free(tc);
  fts5tok_close(&f);
  return bad;
}

/* unicode61's cut of a long token at FTS_MAX_TERM bytes: ASCII runs (the
** scanner's fast path) and other characters mixed; once one does not fit,
** nothing more of the token is kept; the next token is whole. */
static void test_unicode61_long(void) {
  fts_analyzer_opts o = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  CHECK(a != NULL);
  static const struct {
    int before;        /* 'A's first */
    const char *mid;   /* then this */
    int after;         /* then 'b's */
    int kept_a, kept_b; /* of the token: 'a's, then mid, then 'b's */
    bool mid_kept;
  } cases[] = {
      {300, "", 0, 255, 0, true},
      {255, "", 3, 255, 0, true},
      {254, "", 5, 254, 1, true},
      {254, "\xce\xbb", 3, 254, 0, false}, /* λ does not fit: the rest goes */
      {253, "\xce\xbb", 3, 253, 0, true},  /* λ fills it exactly */
      {252, "\xce\xbb", 3, 252, 1, true},
      {10, "\xc3\x89", 2, 10, 2, true},    /* É -> e */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char in[700], want[300];
    size_t n = 0, w = 0;
    for (int i = 0; i < cases[c].before; i++) in[n++] = 'A';
    memcpy(in + n, cases[c].mid, strlen(cases[c].mid));
    n += strlen(cases[c].mid);
    for (int i = 0; i < cases[c].after; i++) in[n++] = 'b';
    memcpy(in + n, " Next", 5);
    n += 5;
    for (int i = 0; i < cases[c].kept_a; i++) want[w++] = 'a';
    if (cases[c].mid_kept && cases[c].mid[0]) {
      if (strcmp(cases[c].mid, "\xc3\x89") == 0) {
        want[w++] = 'e';
      } else {
        memcpy(want + w, cases[c].mid, strlen(cases[c].mid));
        w += strlen(cases[c].mid);
      }
    }
    for (int i = 0; i < cases[c].kept_b; i++) want[w++] = 'b';
    want[w] = 0;
    acc x = {.n = 0};
    fts_analyze(a, in, n, 0, range_tok, &x, NULL);
    char exp[700];
    snprintf(exp, sizeof exp, "%s@0[0,%zu) next@1[%zu,%zu) ", want, n - 5,
             n - 4, n);
    CHECK_STR(x.s, exp);
  }
  fts_analyzer_free(a);
}

static void test_unicode61_exhaustive(void) {
  fts_analyzer_opts o = {FTS_UNICODE61, NULL, FTS_STOP_NONE, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  CHECK(a != NULL);
  CHECK_STR(toks(a, "Café ŒUVRE naïve ǖ µ ß İ"),
            "cafe@0 œuvre@1 naive@2 ǖ@3 μ@4 ß@5 i@6");
  /* every code point of planes 0 and 1: alone, and inside a word */
  size_t n = 0;
  char **texts = malloc(0x20000 * sizeof *texts);
  for (int32_t c = 1; c < 0x20000; c++) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    unsigned char u[8];
    utf8proc_ssize_t k = utf8proc_encode_char(c, u);
    u[k] = 0;
    texts[n] = malloc(32);
    snprintf(texts[n], 32, "%s q%sq", (char *)u, (char *)u);
    n++;
  }
  CHECK_INT(compare_u61(a, texts, n, "code point"), 0);
  for (size_t i = 0; i < n; i++) free(texts[i]);

  /* random text: letters, combining marks, digits, punctuation, spaces */
  static const int32_t pool[] = {
      'a', 'B', 'z', '0', '9', ' ', ' ', '-', '\'', '.', '_', 0xE9, 0xC9,
      0xDF, 0x130, 0x131, 0x1D6, 0x301, 0x308, 0x327, 0x332, 0x3C2, 0x3A3,
      0x416, 0x5D0, 0x627, 0x905, 0x93F, 0x94D, 0x4E2D, 0x3042, 0xAC00,
      0xFF21, 0xE000, 0x2019, 0x200B, 0xA0, 0x1F600, 0x10400, 0x1D400};
  size_t np = sizeof pool / sizeof pool[0];
  n = 3000;
  for (size_t i = 0; i < n; i++) {
    texts[i] = malloc(200);
    size_t len = 0, m = 1 + rndn(30);
    for (size_t j = 0; j < m; j++)
      len += (size_t)utf8proc_encode_char(pool[rndn((uint32_t)np)],
                                          (unsigned char *)texts[i] + len);
    texts[i][len] = 0;
  }
  CHECK_INT(compare_u61(a, texts, n, "random text"), 0);
  for (size_t i = 0; i < n; i++) free(texts[i]);
  free(texts);
  fts_analyzer_free(a);
}

/* ---- postings codec ----------------------------------------------------- */

static void test_varint(void) {
  uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX,
                     (uint64_t)1 << 56, UINT64_MAX - 1, UINT64_MAX};
  buf_t b;
  buf_init(&b);
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
    fts_put_varint(&b, vals[i]);
  const uint8_t *p = (const uint8_t *)b.p, *end = p + b.len;
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
    uint64_t v;
    CHECK(fts_get_varint(&p, end, &v));
    CHECK(v == vals[i]);
  }
  CHECK(p == end);
  uint64_t v;
  const uint8_t trunc[] = {0x80, 0x80};
  p = trunc;
  CHECK(!fts_get_varint(&p, trunc + 2, &v));
  const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0x02};
  p = over;
  CHECK(!fts_get_varint(&p, over + 10, &v));
  buf_free(&b);
}

typedef struct model {
  uint64_t doc;
  uint32_t tf, dl;
  uint32_t pos[8];
} model;

static void random_postings(model *m, size_t n, uint64_t base) {
  uint64_t doc = base;
  for (size_t i = 0; i < n; i++) {
    doc += 1 + rndn(i % 3 == 0 ? 1000 : 3);
    m[i].doc = doc;
    m[i].tf = 1 + rndn(8);
    m[i].dl = m[i].tf + rndn(500);
    uint32_t p = rndn(3) == 0 ? (rndn(3) << FTS_FIELD_SHIFT) : 0;
    for (uint32_t j = 0; j < m[i].tf; j++) {
      p += (j ? 1 : 0) + rndn(40);
      m[i].pos[j] = p;
    }
  }
}

static void to_postings(const model *m, size_t n, fts_posting *p) {
  for (size_t i = 0; i < n; i++)
    p[i] = (fts_posting){m[i].doc, m[i].tf, m[i].dl, m[i].pos};
}

static bool same_block(const void *blk, size_t len, const model *m, size_t n) {
  fts_block_info info;
  if (fts_block_header(blk, len, &info)) return false;
  if (info.n != n) return false;
  if (n == 0) return true;
  if (info.first != m[0].doc || info.last != m[n - 1].doc) return false;
  fts_block_dec d = {0};
  bool ok = fts_block_decode(&info, &d, true) == 0;
  for (size_t i = 0; ok && i < n; i++) {
    ok = d.doc[i] == m[i].doc && d.tf[i] == m[i].tf && d.dl[i] == m[i].dl &&
         memcmp(d.pos + d.posoff[i], m[i].pos, m[i].tf * 4) == 0;
    /* the impacts bound every posting */
    bool dom = false;
    for (uint32_t j = 0; j < info.nimp; j++)
      dom |= info.imp[j].tf >= m[i].tf && info.imp[j].dl <= m[i].dl;
    ok = ok && dom;
  }
  fts_block_dec_free(&d);
  return ok;
}

static void test_blocks(void) {
  static model m[300];
  static fts_posting p[300];
  buf_t b;
  buf_init(&b);
  for (int round = 0; round < 200; round++) {
    size_t n = rndn(130);
    random_postings(m, n, rndn(2) ? 0 : (uint64_t)1 << 40);
    to_postings(m, n, p);
    buf_reset(&b);
    CHECK_INT(fts_block_encode(p, n, &b), 0);
    CHECK(same_block(b.p, b.len, m, n));
    /* malformed: every truncation, and random byte changes, never crash */
    fts_block_info info;
    fts_block_dec d = {0};
    for (size_t cut = 0; cut < b.len; cut += 1 + b.len / 40) {
      if (fts_block_header(b.p, cut, &info) == 0)
        (void)fts_block_decode(&info, &d, true);
    }
    for (int k = 0; k < 20 && b.len; k++) {
      char *copy = malloc(b.len);
      memcpy(copy, b.p, b.len);
      copy[rndn((uint32_t)b.len)] ^= (char)(1 + rndn(255));
      if (fts_block_header(copy, b.len, &info) == 0 &&
          fts_block_decode(&info, &d, true) == 0) {
        for (uint32_t i = 1; i < d.n; i++) CHECK(d.doc[i] > d.doc[i - 1]);
      }
      free(copy);
    }
    fts_block_dec_free(&d);
  }
  /* bad input is refused */
  model two[2] = {{5, 1, 3, {7}}, {5, 1, 3, {8}}};
  to_postings(two, 2, p);
  buf_reset(&b);
  CHECK_INT(fts_block_encode(p, 2, &b), -1);
  two[1].doc = 6;
  two[1].tf = 0;
  to_postings(two, 2, p);
  CHECK_INT(fts_block_encode(p, 2, &b), -1);
  model unsorted = {9, 2, 3, {4, 4}};
  to_postings(&unsorted, 1, p);
  CHECK_INT(fts_block_encode(p, 1, &b), -1);
  CHECK_INT(b.len, 0);
  /* a bad position after good postings (checked as they are written):
  ** still nothing appended */
  model late[3] = {{1, 2, 9, {1, 5}},
                   {2, 1, 9, {(1u << FTS_FIELD_SHIFT) | 3}},
                   {3, 3, 9, {2, (1u << FTS_FIELD_SHIFT), 7}}};
  to_postings(late, 3, p);
  CHECK_INT(fts_block_encode(p, 3, &b), -1);
  CHECK_INT(b.len, 0);
  late[2] = (model){3, 2, 9, {2, (uint32_t)FTS_MAX_FIELDS << FTS_FIELD_SHIFT}};
  to_postings(late, 3, p);
  CHECK_INT(fts_block_encode(p, 3, &b), -1);
  CHECK_INT(b.len, 0);
  late[2] = (model){3, 2, 9, {2, (uint32_t)(FTS_MAX_FIELDS - 1) << FTS_FIELD_SHIFT}};
  to_postings(late, 3, p);
  CHECK_INT(fts_block_encode(p, 3, &b), 0);
  CHECK(same_block(b.p, b.len, late, 3));
  buf_reset(&b);
  /* many distinct (tf, dl) pairs: impacts stay few and still bound all */
  for (size_t i = 0; i < 100; i++) {
    m[i].doc = i;
    m[i].tf = (uint32_t)(1 + (i % 8));
    m[i].dl = (uint32_t)(1000 - 9 * i);
    for (uint32_t j = 0; j < m[i].tf; j++) m[i].pos[j] = j;
  }
  to_postings(m, 100, p);
  buf_reset(&b);
  CHECK_INT(fts_block_encode(p, 100, &b), 0);
  fts_block_info info;
  CHECK_INT(fts_block_header(b.p, b.len, &info), 0);
  CHECK(info.nimp <= FTS_MAX_IMPACTS);
  CHECK(same_block(b.p, b.len, m, 100));
  buf_free(&b);
}

/* Upserts and deletes through fts_block_merge against a model. */
static void test_merge(void) {
  enum { SPAN = 128 };
  static model state[SPAN];
  static bool live[SPAN];
  buf_t base, op, out;
  buf_init(&base);
  buf_init(&op);
  buf_init(&out);
  memset(live, 0, sizeof live);
  const void *ops[16];
  size_t lens[16];
  buf_t opbuf[16];
  for (int i = 0; i < 16; i++) buf_init(&opbuf[i]);
  for (int round = 0; round < 300; round++) {
    size_t nops = 1 + rndn(8);
    for (size_t k = 0; k < nops; k++) {
      buf_reset(&opbuf[k]);
      if (rndn(3) == 0) { /* delete a few docs */
        uint64_t docs[8];
        size_t nd = 0;
        for (uint32_t d = rndn(16); d < SPAN && nd < 8; d += 1 + rndn(30))
          docs[nd++] = d;
        CHECK_INT(fts_op_delete(docs, nd, &opbuf[k]), 0);
        for (size_t i = 0; i < nd; i++) live[docs[i]] = false;
      } else { /* upsert one to three docs */
        model up[3];
        fts_posting pp[3];
        size_t nu = 1 + rndn(3);
        uint32_t d = rndn(40);
        for (size_t i = 0; i < nu; i++, d += 1 + rndn(40)) {
          if (d >= SPAN) break;
          random_postings(&up[i], 1, 0);
          up[i].doc = d;
          state[d] = up[i];
          live[d] = true;
          pp[i] = (fts_posting){up[i].doc, up[i].tf, up[i].dl, up[i].pos};
          nu = i + 1;
        }
        CHECK_INT(fts_op_upsert(pp, nu, &opbuf[k]), 0);
      }
      ops[k] = opbuf[k].p;
      lens[k] = opbuf[k].len;
    }
    buf_reset(&out);
    CHECK_INT(fts_block_merge(round ? base.p : NULL, base.len, ops, lens, nops,
                              &out),
              0);
    model expect[SPAN];
    size_t ne = 0;
    for (int d = 0; d < SPAN; d++)
      if (live[d]) expect[ne++] = state[d];
    CHECK(same_block(out.p, out.len, expect, ne));
    buf_reset(&base);
    buf_add(&base, out.p, out.len);
  }
  /* a malformed operand is refused and leaves out untouched */
  buf_reset(&out);
  const void *bad[1] = {"\x02\x05"};
  size_t badl[1] = {2};
  CHECK_INT(fts_block_merge(base.p, base.len, bad, badl, 1, &out), -1);
  CHECK_INT(out.len, 0);
  for (int i = 0; i < 16; i++) buf_free(&opbuf[i]);
  buf_free(&base);
  buf_free(&op);
  buf_free(&out);
}

static void test_small_values(void) {
  buf_t b, o;
  buf_init(&b);
  buf_init(&o);
  /* term entries */
  fts_term_delta d1 = {3, 10, 4, 50}, d2 = {-1, -2, 2, 20};
  buf_t x1, x2;
  buf_init(&x1);
  buf_init(&x2);
  fts_term_delta_encode(&d1, &x1);
  fts_term_delta_encode(&d2, &x2);
  const void *ops[2] = {x1.p, x2.p};
  size_t lens[2] = {x1.len, x2.len};
  CHECK_INT(fts_term_merge(NULL, 0, ops, lens, 2, &o), 0);
  fts_term_info t;
  CHECK_INT(fts_term_decode(o.p, o.len, &t), 0);
  CHECK_INT(t.df, 2);
  CHECK_INT(t.cf, 8);
  CHECK_INT(t.max_tf, 4);
  CHECK_INT(t.min_dl, 20);
  buf_reset(&b);
  buf_add(&b, o.p, o.len);
  buf_reset(&o);
  const void *ops2[1] = {x2.p};
  size_t l2[1] = {x2.len};
  CHECK_INT(fts_term_merge(b.p, b.len, ops2, l2, 1, &o), 0); /* df 1 */
  buf_reset(&b);
  buf_add(&b, o.p, o.len);
  buf_reset(&o);
  CHECK_INT(fts_term_merge(b.p, b.len, ops2, l2, 1, &o), 0); /* df 0 */
  buf_reset(&b);
  buf_add(&b, o.p, o.len);
  buf_reset(&o);
  CHECK_INT(fts_term_merge(b.p, b.len, ops2, l2, 1, &o), -1); /* below 0 */
  CHECK_INT(fts_term_decode("\x01\x01", 2, &t), -1);
  /* stats */
  buf_reset(&x1);
  buf_reset(&o);
  fts_stats_delta_encode(5, 100, &x1);
  fts_stats_delta_encode(-2, -30, &x2);
  const void *so[2] = {x1.p, x2.p + lens[1]};
  buf_reset(&x2);
  fts_stats_delta_encode(-2, -30, &x2);
  so[1] = x2.p;
  size_t sl[2] = {x1.len, x2.len};
  CHECK_INT(fts_stats_merge(NULL, 0, so, sl, 2, &o), 0);
  fts_table_stats st;
  CHECK_INT(fts_stats_decode(o.p, o.len, &st), 0);
  CHECK_INT(st.docs, 3);
  CHECK_INT(st.tokens, 70);
  /* lengths */
  fts_lengths l, l2b;
  fts_lengths_clear(&l);
  fts_lengths_set(&l, 0, 7);
  fts_lengths_set(&l, 127, 300000);
  fts_lengths_set(&l, 64, 0);
  buf_reset(&b);
  fts_lengths_encode(&l, &b);
  CHECK_INT(fts_lengths_decode(b.p, b.len, &l2b), 0);
  CHECK(memcmp(&l, &l2b, sizeof l) == 0);
  buf_reset(&x1);
  fts_lengths_op(64, false, 0, &x1);
  buf_reset(&x2);
  fts_lengths_op(3, true, 9, &x2);
  const void *lo[2] = {x1.p, x2.p};
  size_t ll[2] = {x1.len, x2.len};
  buf_reset(&o);
  CHECK_INT(fts_lengths_merge(b.p, b.len, lo, ll, 2, &o), 0);
  CHECK_INT(fts_lengths_decode(o.p, o.len, &l2b), 0);
  CHECK(!fts_lengths_has(&l2b, 64));
  CHECK(fts_lengths_has(&l2b, 3) && l2b.len[3] == 9);
  CHECK(fts_lengths_has(&l2b, 127) && l2b.len[127] == 300000);
  CHECK_INT(fts_lengths_decode(b.p, b.len - 1, &l2b), -1);
  buf_free(&x1);
  buf_free(&x2);
  buf_free(&b);
  buf_free(&o);
}

/* ---- the block cursor over fixed-span blocks built by merges ---------- */

typedef struct spanstream {
  buf_t *blk; /* one per span (may be empty blocks) */
  size_t n, cur;
  int seeks;
} spanstream;

static const void *ss_at(spanstream *s, size_t *len) {
  if (s->cur >= s->n) return NULL;
  *len = s->blk[s->cur].len;
  return s->blk[s->cur].p;
}
static const void *ss_seek(void *ctx, uint64_t target, size_t *len) {
  spanstream *s = ctx;
  s->seeks++;
  size_t want = (size_t)(target / FTS_BLOCK_SPAN);
  if (want > s->cur) s->cur = want;
  return ss_at(s, len);
}
static const void *ss_next(void *ctx, size_t *len) {
  spanstream *s = ctx;
  if (s->cur < s->n) s->cur++;
  return ss_at(s, len);
}
static const fts_block_stream_ops ss_ops = {ss_seek, ss_next, NULL};

static void test_cursor(void) {
  enum { NDOC = 2000 };
  /* the list as the write path would build it: one upsert per doc */
  static model all[NDOC];
  size_t n = 0;
  size_t nspan = NDOC / FTS_BLOCK_SPAN + 1;
  buf_t *blk = calloc(nspan, sizeof *blk);
  for (size_t i = 0; i < nspan; i++) buf_init(&blk[i]);
  for (uint64_t d = 0; d < NDOC; d++) {
    if (rndn(4) != 0 && !(d >= 512 && d < 900)) continue; /* a gap */
    model m;
    random_postings(&m, 1, 0);
    m.doc = d;
    all[n++] = m;
    fts_posting p = {m.doc, m.tf, m.dl, m.pos};
    buf_t op, out;
    buf_init(&op);
    buf_init(&out);
    fts_op_upsert(&p, 1, &op);
    const void *ops[1] = {op.p};
    size_t lens[1] = {op.len};
    buf_t *b = &blk[d / FTS_BLOCK_SPAN];
    CHECK_INT(fts_block_merge(b->len ? b->p : NULL, b->len, ops, lens, 1, &out),
              0);
    buf_reset(b);
    buf_add(b, out.p, out.len);
    buf_free(&op);
    buf_free(&out);
  }
  for (size_t i = 0; i < nspan; i++)
    if (!blk[i].len) fts_block_encode(NULL, 0, &blk[i]); /* empty spans */
  for (int round = 0; round < 50; round++) {
    spanstream *s = calloc(1, sizeof *s);
    s->blk = blk;
    s->n = nspan;
    fts_counters cnt = {0};
    fts_cursor *c = fts_block_cursor(&ss_ops, s, &cnt);
    CHECK(c != NULL);
    CHECK(c->doc == all[0].doc);
    uint64_t target = 0;
    size_t i = 0;
    bool ok = true;
    while (ok) {
      target += rndn(round < 10 ? 3 : 200);
      if (rndn(3) == 0) { /* shallow look first */
        const fts_impact *imp;
        uint32_t nimp;
        uint64_t last = c->ops->block_max(c, target, &imp, &nimp);
        size_t j = i;
        while (j < n && all[j].doc < target) j++;
        if (j == n) {
          ok = last == FTS_END;
        } else {
          ok = last >= all[j].doc && last / FTS_BLOCK_SPAN == all[j].doc / FTS_BLOCK_SPAN;
          bool dom = false;
          for (uint32_t k = 0; k < nimp; k++)
            dom |= imp[k].tf >= all[j].tf && imp[k].dl <= all[j].dl;
          ok = ok && dom;
        }
        CHECK(ok);
      }
      uint64_t got = c->ops->advance(c, target);
      while (i < n && all[i].doc < target) i++;
      if (i == n) {
        ok = got == FTS_END;
        CHECK(ok);
        break;
      }
      ok = got == all[i].doc && c->ops->tf(c) == all[i].tf &&
           c->ops->dl(c) == all[i].dl &&
           memcmp(c->ops->positions(c), all[i].pos, all[i].tf * 4) == 0;
      CHECK(ok);
    }
    CHECK(c->err == 0);
    if (round >= 10) CHECK(cnt.blocks_decoded < cnt.blocks_seen + 1);
    c->ops->close(c);
    free(s);
  }
  for (size_t i = 0; i < nspan; i++) buf_free(&blk[i]);
  free(blk);
}

/* ---- the query parser ----------------------------------------------------- */

static void parse_ok(fts_analyzer *a, const char *q, const char *want) {
  char err[256];
  fts_query *x = fts_query_parse(q, strlen(q), a, err, sizeof err);
  CHECK(x != NULL);
  if (!x) {
    fprintf(stderr, "  parse \"%s\": %s\n", q, err);
    return;
  }
  char *d = fts_query_describe(x);
  CHECK_STR(d, want);
  free(d);
  fts_query_free(x);
}

static void parse_err(fts_analyzer *a, const char *q, const char *want) {
  char err[256];
  fts_query *x = fts_query_parse(q, strlen(q), a, err, sizeof err);
  CHECK(x == NULL);
  if (x) {
    char *d = fts_query_describe(x);
    fprintf(stderr, "  \"%s\" parsed as %s\n", q, d);
    free(d);
    fts_query_free(x);
    return;
  }
  CHECK_STR(err, want);
}

static void test_parser(void) {
  fts_analyzer_opts o = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  parse_ok(a, "cats", "\"cat\"");
  parse_ok(a, "cats dogs", "AND(\"cat\", \"dog\")");
  parse_ok(a, "cats AND dogs", "AND(\"cat\", \"dog\")");
  parse_ok(a, "cats OR dogs fish", "OR(\"cat\", AND(\"dog\", \"fish\"))");
  parse_ok(a, "(cats OR dogs) fish", "AND(OR(\"cat\", \"dog\"), \"fish\")");
  parse_ok(a, "\"quick brown fox\" -lazy",
           "AND(\"quick brown fox\", NOT \"lazi\")");
  parse_ok(a, "cat NOT dog", "AND(\"cat\", NOT \"dog\")");
  parse_ok(a, "Connect*", "\"connect\"*");
  parse_ok(a, "\"out of the box\" thinking", "AND(\"box\", \"think\")");
  parse_ok(a, "\"box of cats\"", "\"box ? cat\"");
  parse_ok(a, "e-mail", "\"e mail\"");
  parse_ok(a, "a OR the OR (of OR in)", "EMPTY"); /* all stop words */
  parse_ok(a, "x OR (y OR z)", "OR(\"x\", \"y\", \"z\")");
  parse_ok(a, "((x y) z)", "AND(\"x\", \"y\", \"z\")");
  parse_ok(a, "the cat", "\"cat\"");
  parse_ok(a, "cat -the", "\"cat\"");
  parse_ok(a, "cat -(dog fish)", "AND(\"cat\", NOT AND(\"dog\", \"fish\"))");
  parse_ok(a, "and or not", "EMPTY");
  parse_ok(a, "cat\u3000dog", "AND(\"cat\", \"dog\")");

  parse_err(a, "\"abc", "query: unterminated quote at position 1");
  parse_err(a, "cat OR", "query: OR needs a term after it at position 7");
  parse_err(a, "OR cat", "query: OR needs a term before it at position 1");
  parse_err(a, "AND cat", "query: AND needs a term before it at position 1");
  parse_err(a, "cat AND", "query: AND needs a term after it at position 8");
  parse_err(a, "cat AND OR dog", "query: AND needs a term after it at position 9");
  parse_err(a, "(cat dog", "query: missing ')' for this '(' at position 1");
  parse_err(a, "cat )", "query: ')' without a matching '(' at position 5");
  parse_err(a, "()", "query: empty parentheses at position 1");
  /* one position, the excluded term's (the message said "'fish' at
  ** position 13 ... at position 1") */
  parse_err(a, "-cat", "query: nothing to exclude from: 'cat' needs a term "
                       "to match beside it at position 1");
  parse_err(a, "dog (cat OR -fish)",
            "query: nothing to exclude from: 'fish' needs a term to match "
            "beside it at position 13");
  parse_err(a, "é (-x -y)", "query: nothing to exclude from: the group has "
                            "only excluded terms at position 4");
  parse_err(a, "cat - dog",
            "query: '-' must be followed directly by a term to exclude at "
            "position 5");
  parse_err(a, "cat NOT", "query: NOT needs a term after it at position 8");
  parse_err(a, "*", "query: '*' needs a prefix before it at position 1");
  parse_err(a, "cat \"a b\"*",
            "query: a quoted phrase cannot end in '*' (prefix) at position 10");
  parse_err(a, "foo-bar*",
            "query: a prefix query needs a single word before '*' at "
            "position 1");
  parse_err(a, "", "query: the query is empty at position 1");
  parse_err(a, "   ", "query: the query is empty at position 1");
  parse_err(a, "éé OR", "query: OR needs a term after it at position 6");
  char deep[300];
  memset(deep, '(', 100);
  strcpy(deep + 100, "x");
  memset(deep + 101, ')', 100);
  deep[201] = 0;
  parse_err(a, deep, "query: parentheses nested too deeply at position 65");
  /* FTS5 rendering */
  char err[256];
  fts_query *q = fts_query_parse("cats (dogs OR fish*) -\"big bird\"", 32, a,
                                 err, sizeof err);
  CHECK(q != NULL);
  char *f = fts_query_fts5(q);
  CHECK_STR(f, "((\"cat\" AND (\"dog\" OR \"fish\"*)) NOT \"big bird\")");
  CHECK_INT(fts_query_leaves(q), 4);
  free(f);
  fts_query_free(q);
  fts_analyzer_free(a);
}

/* ---- evaluation on a small index, checked by hand ----------------------- */

static double bm(double idf, double f, double dl, double avgdl) {
  return idf * ((f * 2.2) / (f + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl)));
}

static bool keep_even(void *ctx, uint64_t doc) {
  (void)ctx;
  return doc % 2 == 0;
}

static void test_eval_small(void) {
  fts_analyzer_opts o = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  const char *docs[][2] = {
      {"Cats", "the cat sat on the mat"},                /* 1 */
      {"Dogs", "a dog chased the cat around the yard"},  /* 2 */
      {"Birds", "birds sing; the bird of paradise"},     /* 3 */
      {"Cat food", "cats eat fish and cats eat mice"},   /* 4 */
      {"Nothing", "completely unrelated words here"},    /* 5 */
  };
  fts_memindex *m = fts_memindex_new();
  fts_doc *d = fts_doc_new();
  for (int i = 0; i < 5; i++) {
    fts_doc_reset(d);
    CHECK_INT(fts_doc_add(d, a, 0, docs[i][0], strlen(docs[i][0])), 0);
    CHECK_INT(fts_doc_add(d, a, 1, docs[i][1], strlen(docs[i][1])), 0);
    CHECK_INT(fts_memindex_add(m, (uint64_t)i + 1, d), 0);
  }
  CHECK_INT(fts_memindex_add(m, 3, d), -2); /* out of order */
  CHECK_INT(fts_memindex_finish(m, 2), 0);
  fts_source src;
  fts_memindex_source(m, &src);
  CHECK_INT(src.stats.docs, 5);
  /* lengths: stop words do not count */
  CHECK_INT(fts_memindex_doclen(m, 1), 4);  /* cats cat sat mat */
  CHECK_INT(fts_memindex_doclen(m, 4), 8);
  double avgdl = (double)src.stats.tokens / 5;
  char err[256];
  fts_hit hits[10];
  size_t nh;

  fts_query *q = fts_query_parse("cat", 3, a, err, sizeof err);
  fts_eval *e = fts_eval_open(q, &src, NULL, NULL, err, sizeof err);
  CHECK(e != NULL);
  double idf = log((5 - 3 + 0.5) / (3 + 0.5));
  CHECK(idf < 0);
  CHECK(fts_eval_idf(e, 0) == 1e-6); /* FTS5's floor */
  CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 3);
  /* doc 1: "cats", "cat" in 4 tokens; doc 4: three in 8 */
  CHECK_INT(hits[0].doc, 1);
  CHECK(hits[0].score == bm(1e-6, 2, 4, avgdl));
  CHECK_INT(hits[1].doc, 4);
  CHECK(hits[1].score == bm(1e-6, 3, 8, avgdl));
  fts_eval_free(e);
  fts_query_free(q);

  /* a phrase over a stop-word gap; field weights */
  q = fts_query_parse("\"bird of paradise\"", 18, a, err, sizeof err);
  e = fts_eval_open(q, &src, NULL, NULL, err, sizeof err);
  CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 1);
  CHECK_INT(hits[0].doc, 3);
  fts_eval_free(e);
  fts_query_free(q);
  q = fts_query_parse("\"bird paradise\"", 15, a, err, sizeof err);
  e = fts_eval_open(q, &src, NULL, NULL, err, sizeof err);
  CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 0); /* the gap is kept */
  fts_eval_free(e);
  fts_query_free(q);

  double w[2] = {10.0, 1.0};
  fts_params pw = FTS_PARAMS_DEFAULT;
  pw.weights = w;
  pw.nweights = 2;
  q = fts_query_parse("bird", 4, a, err, sizeof err);
  e = fts_eval_open(q, &src, &pw, NULL, err, sizeof err);
  CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 1);
  /* "Birds" in the title (x10), "birds", "bird" in the body */
  double idfb = log((5 - 1 + 0.5) / (1 + 0.5));
  CHECK(fabs(hits[0].score - bm(idfb, 12, 5, avgdl)) < 1e-12);
  fts_eval_free(e);
  fts_query_free(q);

  /* OR, exclusion, prefix, filter, scoring chosen docs */
  q = fts_query_parse("cat OR dog -yard", 16, a, err, sizeof err);
  e = fts_eval_open(q, &src, NULL, NULL, err, sizeof err);
  CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 3); /* AND binds tighter: doc 2 matches through "cat" */
  fts_eval_free(e);
  fts_query_free(q);
  q = fts_query_parse("(cat OR dog) -yard", 18, a, err, sizeof err);
  e = fts_eval_open(q, &src, NULL, NULL, err, sizeof err);
  CHECK_INT(fts_eval_topk(e, 10, NULL, NULL, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 2); /* 1 and 4 */
  fts_eval_free(e);
  fts_query_free(q);
  q = fts_query_parse("ca*", 3, a, err, sizeof err);
  fts_counters cnt = {0};
  e = fts_eval_open(q, &src, NULL, &cnt, err, sizeof err);
  CHECK(e != NULL);
  CHECK_INT(fts_eval_topk(e, 10, keep_even, NULL, hits, &nh, err, sizeof err),
            0);
  CHECK_INT(nh, 2); /* docs 2 and 4 ("cat"); 1 fails the filter */
  CHECK(hits[0].doc == 4 && hits[1].doc == 2);
  CHECK(cnt.filter_calls >= 2);
  CHECK(cnt.idf_postings > 0);
  fts_eval_free(e);
  e = fts_eval_open(q, &src, NULL, NULL, err, sizeof err);
  uint64_t pick[] = {2, 3, 4};
  CHECK_INT(fts_eval_docs(e, pick, 3, hits, &nh, err, sizeof err), 0);
  CHECK_INT(nh, 2);
  CHECK(hits[0].doc == 2 && hits[1].doc == 4);
  CHECK_INT(fts_eval_docs(e, pick, 3, hits, &nh, err, sizeof err), -1);
  CHECK_HAS(err, "runs once");
  fts_eval_free(e);
  fts_query_free(q);
  /* bad parameters */
  fts_params bad = FTS_PARAMS_DEFAULT;
  bad.b = 1.5;
  q = fts_query_parse("cat", 3, a, err, sizeof err);
  CHECK(fts_eval_open(q, &src, &bad, NULL, err, sizeof err) == NULL);
  CHECK_HAS(err, "b in [0, 1]");
  fts_params few = FTS_PARAMS_DEFAULT;
  few.max_prefix_terms = 1;
  fts_query_free(q);
  q = fts_query_parse("c*", 2, a, err, sizeof err);
  CHECK(fts_eval_open(q, &src, &few, NULL, err, sizeof err) == NULL);
  CHECK_HAS(err, "prefix \"c*\" at position 1 matches more than 1 terms");
  fts_query_free(q);
  fts_doc_free(d);
  fts_memindex_free(m);
  fts_analyzer_free(a);
}

/* ---- random queries over two sources --------------------------------------
** A source whose cursors are plain arrays (not the block cursor), with
** "blocks" of three postings for block_max: the evaluator must give the
** same answers through any implementation of the cursor interface. */

enum { RQ_DOCS = 300, RQ_WORDS = 12 };
static const char *const rq_words[RQ_WORDS] = {
    "red", "green", "blue", "cyan", "magenta", "yellow",
    "black", "white", "grey", "orange", "purple", "pink"};

typedef struct apost {
  uint64_t doc;
  uint32_t tf, dl;
  uint32_t pos[64];
} apost;

typedef struct aterm {
  char term[32];
  size_t len;
  apost *p;
  size_t n, cap;
} aterm;

static aterm aterms[64];
static size_t naterms;

typedef struct acur {
  fts_cursor c;
  const aterm *t;
  size_t i;
  fts_impact imp;
} acur;

static uint64_t ac_advance(fts_cursor *c, uint64_t target) {
  acur *a = (acur *)c;
  while (a->i < a->t->n && a->t->p[a->i].doc < target) a->i++;
  return c->doc = a->i < a->t->n ? a->t->p[a->i].doc : FTS_END;
}

static uint64_t ac_block_max(fts_cursor *c, uint64_t target,
                             const fts_impact **imp, uint32_t *nimp) {
  acur *a = (acur *)c;
  size_t j = a->i;
  while (j < a->t->n && a->t->p[j].doc < target) j++;
  if (j == a->t->n) return FTS_END;
  size_t g = j / 3 * 3, e = g + 3 < a->t->n ? g + 3 : a->t->n;
  a->imp = (fts_impact){0, UINT32_MAX};
  for (size_t k = g; k < e; k++) {
    if (a->t->p[k].tf > a->imp.tf) a->imp.tf = a->t->p[k].tf;
    if (a->t->p[k].dl < a->imp.dl) a->imp.dl = a->t->p[k].dl;
  }
  *imp = &a->imp;
  *nimp = 1;
  return a->t->p[e - 1].doc;
}

static uint32_t ac_tf(fts_cursor *c) {
  acur *a = (acur *)c;
  return a->t->p[a->i].tf;
}
static uint32_t ac_dl(fts_cursor *c) {
  acur *a = (acur *)c;
  return a->t->p[a->i].dl;
}
static const uint32_t *ac_pos(fts_cursor *c) {
  acur *a = (acur *)c;
  return a->t->p[a->i].pos;
}
static void ac_close(fts_cursor *c) { free(c); }

static const fts_cursor_ops ac_ops = {ac_advance, ac_block_max, ac_tf, ac_dl,
                                      ac_pos, ac_close};

static int as_open(void *ctx, const char *term, size_t len,
                   fts_term_info *info, fts_cursor **out,
                   fts_counters *count) {
  (void)ctx;
  *out = NULL;
  for (size_t i = 0; i < naterms; i++) {
    aterm *t = &aterms[i];
    if (t->len != len || memcmp(t->term, term, len) != 0) continue;
    acur *a = calloc(1, sizeof *a);
    a->c.ops = &ac_ops;
    a->c.count = count;
    a->t = t;
    *info = (fts_term_info){t->n, 0, 0, 0}; /* bounds unknown */
    ac_advance(&a->c, 0);
    *out = &a->c;
    return 0;
  }
  return 0;
}

static int as_prefix(void *ctx, const char *prefix, size_t len,
                     fts_term_fn cb, void *arg) {
  (void)ctx;
  for (size_t i = 0; i < naterms; i++) /* any order will do */
    if (aterms[i].len >= len && memcmp(aterms[i].term, prefix, len) == 0) {
      int rc = cb(arg, aterms[i].term, aterms[i].len);
      if (rc) return rc;
    }
  return 0;
}

static const fts_source_ops as_ops = {as_open, as_prefix};

typedef struct rhits {
  fts_hit h[RQ_DOCS];
  size_t n;
} rhits;

static int rcollect(void *ctx, uint64_t doc, double s) {
  rhits *x = ctx;
  x->h[x->n++] = (fts_hit){doc, s};
  return 0;
}

static int rby_score(const void *a, const void *b) {
  const fts_hit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static bool odd_doc(void *ctx, uint64_t doc) {
  (void)ctx;
  return doc & 1;
}

static void test_random_queries(void) {
  fts_analyzer_opts o = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  fts_memindex *m = fts_memindex_new();
  fts_doc *d = fts_doc_new();
  for (uint64_t doc = 1; doc <= RQ_DOCS; doc++) {
    fts_doc_reset(d);
    for (unsigned f = 0; f < 2; f++) {
      char text[400];
      size_t n = 0, k = rndn(f ? 25 : 4);
      for (size_t i = 0; i < k; i++) {
        const char *sep = rndn(5) ? " " : " the ";
        uint32_t skew = 1 + rndn(RQ_WORDS); /* early words are common */
        const char *w = rq_words[rndn(RQ_WORDS) % skew];
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", sep, w);
      }
      CHECK_INT(fts_doc_add(d, a, f, text, n), 0);
    }
    CHECK_INT(fts_memindex_add(m, doc, d), 0);
    long nt = fts_doc_nterms(d);
    for (long i = 0; i < nt; i++) {
      const char *term;
      size_t len;
      const uint32_t *pos;
      uint32_t npos;
      fts_doc_term(d, (size_t)i, &term, &len, &pos, &npos);
      aterm *t = NULL;
      for (size_t j = 0; j < naterms && !t; j++)
        if (aterms[j].len == len && !memcmp(aterms[j].term, term, len)) t = &aterms[j];
      if (!t) {
        t = &aterms[naterms++];
        memcpy(t->term, term, len);
        t->len = len;
      }
      if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->p = realloc(t->p, t->cap * sizeof *t->p);
      }
      apost *p = &t->p[t->n++];
      p->doc = doc;
      p->tf = npos < 64 ? npos : 64;
      p->dl = fts_doc_length(d);
      memcpy(p->pos, pos, p->tf * sizeof *pos);
      CHECK(npos < 64);
    }
  }
  CHECK_INT(fts_memindex_finish(m, 4), 0);
  fts_source ms, as;
  fts_memindex_source(m, &ms);
  as.ops = &as_ops;
  as.ctx = NULL;
  as.stats = ms.stats;

  static const char *const junk[] = {"\"", "(", ")", "-", "*", " ", " AND ",
                                     " OR ", " NOT ", "the", "é", "\xff",
                                     "--", "\"\"", "()", "x*y"};
  int parsed = 0, errors = 0, bad = 0;
  for (int round = 0; round < 3000; round++) {
    char q[256];
    size_t n = 0, parts = 1 + rndn(8);
    for (size_t i = 0; i < parts && n < 200; i++) {
      const char *piece = rndn(3) ? rq_words[rndn(RQ_WORDS)] : junk[rndn(16)];
      int r = rndn(10);
      n += (size_t)snprintf(q + n, sizeof q - n, "%s%s%s",
                            r == 0 ? "-" : r == 1 ? "(" : i ? " " : "",
                            r == 2 ? "gr" : piece, r == 2 ? "*" : r == 1 ? ")" : "");
    }
    char err[256] = "";
    fts_query *x = fts_query_parse(q, n, a, err, sizeof err);
    if (!x) {
      errors++;
      bool ok = strncmp(err, "query: ", 7) == 0 && strstr(err, "position");
      if (!ok && bad++ < 5) fprintf(stderr, "\"%s\": bad message \"%s\"\n", q, err);
      CHECK(ok);
      continue;
    }
    parsed++;
    char *desc = fts_query_describe(x);
    CHECK(desc != NULL);
    free(desc);
    /* brute force over the memory index is the reference */
    static rhits all, all2;
    all.n = all2.n = 0;
    fts_eval *e = fts_eval_open(x, &ms, NULL, NULL, err, sizeof err);
    CHECK(e != NULL);
    if (!e) {
      fts_query_free(x);
      continue;
    }
    CHECK_INT(fts_eval_all(e, rcollect, &all, err, sizeof err), 0);
    fts_eval_free(e);
    e = fts_eval_open(x, &as, NULL, NULL, err, sizeof err);
    CHECK_INT(fts_eval_all(e, rcollect, &all2, err, sizeof err), 0);
    fts_eval_free(e);
    bool same = all.n == all2.n;
    for (size_t i = 0; same && i < all.n; i++)
      same = all.h[i].doc == all2.h[i].doc && all.h[i].score == all2.h[i].score;
    CHECK(same);
    if (all.n > 1) qsort(all.h, all.n, sizeof *all.h, rby_score);
    for (int src = 0; src < 2; src++) {
      size_t k = 1 + rndn(12);
      bool filt = rndn(2);
      fts_hit got[16];
      size_t ng;
      e = fts_eval_open(x, src ? &as : &ms, NULL, NULL, err, sizeof err);
      CHECK_INT(fts_eval_topk(e, k, filt ? odd_doc : NULL, NULL, got, &ng, err,
                              sizeof err),
                0);
      fts_eval_free(e);
      size_t want = 0;
      bool ok = true;
      for (size_t i = 0; i < all.n && want < k; i++) {
        if (filt && !(all.h[i].doc & 1)) continue;
        ok = ok && want < ng && got[want].doc == all.h[i].doc &&
             got[want].score == all.h[i].score;
        want++;
      }
      ok = ok && ng == want;
      if (!ok && bad++ < 5) fprintf(stderr, "topk \"%s\" source %d k %zu\n", q, src, k);
      CHECK(ok);
    }
    fts_query_free(x);
  }
  printf("random queries: %d parsed, %d refused\n", parsed, errors);
  CHECK(parsed > 500 && errors > 500);
  for (size_t i = 0; i < naterms; i++) free(aterms[i].p);
  fts_doc_free(d);
  fts_memindex_free(m);
  fts_analyzer_free(a);
}

static void snip(fts_analyzer *a, const char *q, const char *text,
                 size_t tokens, const char *want, size_t wantn) {
  char err[256];
  fts_query *x = fts_query_parse(q, strlen(q), a, err, sizeof err);
  CHECK(x != NULL);
  if (!x) return;
  fts_snippet_opts o = {"<b>", "</b>", "...", tokens};
  size_t nm;
  char *s = fts_snippet(x, a, text, strlen(text), &o, &nm);
  CHECK_STR(s, want);
  CHECK_INT(nm, wantn);
  free(s);
  fts_query_free(x);
}

static void test_snippets(void) {
  fts_analyzer_opts o = {FTS_REMDB, "english", FTS_STOP_ENGLISH, NULL, 0};
  fts_analyzer *a = fts_analyzer_new(&o, NULL, 0);
  const char *t = "The quick brown fox jumps over the lazy dog. Later, the "
                  "dogs chased quick foxes around the yard!";
  /* the window (in tokens, stop words aside) with both terms; stemmed
  ** forms match */
  snip(a, "fox dog", t, 4, "...<b>fox</b> jumps over the lazy <b>dog</b>...",
       2);
  snip(a, "chase* quick", t, 4,
       "...Later, the dogs <b>chased</b> <b>quick</b>...", 2);
  /* a phrase is marked where it occurs whole, not its words elsewhere */
  snip(a, "\"quick foxes\"", t, 5,
       "...Later, the dogs chased <b>quick</b> <b>foxes</b>...", 2);
  snip(a, "\"quick foxes\"", t, 50, 
       "The quick brown fox jumps over the lazy dog. Later, the dogs chased "
       "<b>quick</b> <b>foxes</b> around the yard!", 2);
  /* excluded terms are not marked; no match: the text's start */
  snip(a, "yard -nothing", "nothing matches in this longer sentence", 2,
       "nothing matches...", 0);
  snip(a, "lazy", "short lazy text", 10, "short <b>lazy</b> text", 1);
  snip(a, "cafe", "Un CAFÉ, s'il vous plaît", 3, "Un <b>CAFÉ</b>, s'il...", 1);
  snip(a, "x", "", 3, "", 0);
  fts_analyzer_free(a);
}

int main(void) {
  test_remdb_mode();
  test_stop_and_stem();
  test_unicode61_exhaustive();
  test_unicode61_long();
  test_varint();
  test_blocks();
  test_merge();
  test_small_values();
  test_cursor();
  test_parser();
  test_eval_small();
  test_snippets();
  test_random_queries();
  return test_done("test_text");
}

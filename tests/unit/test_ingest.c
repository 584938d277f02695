/* test_ingest.c: chunking (size limit, coverage, headings, overlap) and
** ingestion (document row, chunks, has_chunk edges, re-ingest as upsert,
** stale chunks removed, JSONL, errors), with verify after each. */
#include <jansson.h>

#include "ingest/ingest.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];
#define S(lit) lit, strlen(lit)

static void test_chunker(void) {
  /* a generated document: headings, short and long paragraphs */
  buf_t doc;
  buf_init(&doc);
  for (int s = 0; s < 6; s++) {
    buf_addf(&doc, "## Section %d\n\n", s);
    for (int p = 0; p < 4; p++) {
      for (int w = 0; w < (p == 3 ? 300 : 20 + 7 * p); w++)
        buf_addf(&doc, "word%d ", (s * 13 + p * 7 + w) % 97);
      buf_adds(&doc, "\n\n");
    }
  }
  for (size_t max = 64; max <= 2048; max *= 2) {
    chunk_list cl;
    CHECK(chunk_text(doc.p, doc.len, max, max / 8, &cl));
    CHECK(cl.n > 0);
    int too_long = 0, bad_head = 0;
    size_t covered_to = 0;
    int gaps = 0;
    for (size_t i = 0; i < cl.n; i++) {
      const chunk *c = &cl.c[i];
      too_long += c->len > max;
      /* chunks are in order; what lies between two is only whitespace */
      for (size_t k = covered_to; k < c->off; k++)
        gaps += !(doc.p[k] == ' ' || doc.p[k] == '\n');
      if (c->off + c->len > covered_to) covered_to = c->off + c->len;
      /* a chunk that starts with a heading is named by that heading */
      if (doc.p[c->off] == '#')
        bad_head += c->head_off != c->off;
    }
    for (size_t k = covered_to; k < doc.len; k++)
      gaps += !(doc.p[k] == ' ' || doc.p[k] == '\n');
    CHECK_INT(too_long, 0);
    CHECK_INT(gaps, 0);
    CHECK_INT(bad_head, 0);
    chunk_list_free(&cl);
  }
  /* consecutive chunks of a section overlap */
  chunk_list cl;
  const char *para =
      "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu "
      "nu xi omicron pi rho sigma tau upsilon phi chi psi omega";
  CHECK(chunk_text(para, strlen(para), 40, 12, &cl));
  CHECK(cl.n >= 3);
  int overlaps = 0;
  for (size_t i = 1; i < cl.n; i++)
    overlaps += cl.c[i].off < cl.c[i - 1].off + cl.c[i - 1].len;
  CHECK(overlaps > 0);
  chunk_list_free(&cl);
  /* one long paragraph: every chunk shares the overlap with the next (all
  ** of it but for the word and the space it is moved to a boundary by) */
  buf_t lp;
  buf_init(&lp);
  for (int w = 0; w < 400; w++) buf_addf(&lp, "w%03d ", w);
  static const size_t sizes[][2] = {{200, 40}, {100, 20}, {64, 48},
                                    {1000, 100}, {120, 119}};
  for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
    size_t max = sizes[z][0], ov = sizes[z][1];
    CHECK(chunk_text(lp.p, lp.len, max, ov, &cl));
    CHECK(cl.n >= 2);
    int short_overlap = 0, too_long = 0, gaps = 0;
    for (size_t i = 0; i < cl.n; i++) {
      too_long += cl.c[i].len > max;
      if (i == 0) continue;
      size_t prev_end = cl.c[i - 1].off + cl.c[i - 1].len;
      size_t shared = prev_end > cl.c[i].off ? prev_end - cl.c[i].off : 0;
      short_overlap += shared + 6 < ov; /* a word is 5 bytes with its space */
      gaps += cl.c[i].off > prev_end + 1;
    }
    CHECK_INT(short_overlap, 0);
    CHECK_INT(too_long, 0);
    CHECK_INT(gaps, 0);
    chunk_list_free(&cl);
  }
  buf_free(&lp);
  /* generated texts of 1- to 4-byte characters, with and without spaces,
  ** under every chunk size and overlap (up to size - 1, when a long
  ** paragraph's parts are shorter than a character): every chunk is
  ** whole UTF-8 and no longer than the size, and nothing is left out */
  static const char *const chars[] = {"a", "b", "\xc3\xa9", "\xe6\x97\xa5",
                                      "\xf0\x9f\x98\x80", " ", "\n\n"};
  uint64_t rs = 12345;
  int bad_utf8 = 0, too_long = 0, lost = 0;
  for (int round = 0; round < 300; round++) {
    buf_t g;
    buf_init(&g);
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    int spaces = (int)(rs >> 60) % 3; /* 0: none, 1: few, 2: many */
    int n = 20 + (int)((rs >> 33) % 400);
    for (int c = 0; c < n; c++) {
      rs = rs * 6364136223846793005ull + 1442695040888963407ull;
      int k = (int)((rs >> 33) % (spaces == 0 ? 5 : spaces == 1 ? 6 : 7));
      if (spaces == 1 && k == 5 && (rs >> 40) % 8) k = 4;
      buf_adds(&g, chars[k]);
    }
    size_t max = 16 + (size_t)((rs >> 20) % 80);
    size_t ov = (size_t)((rs >> 7) % max); /* 0 .. max - 1 */
    CHECK(chunk_text(g.p, g.len, max, ov, &cl));
    size_t covered = 0;
    for (size_t i = 0; i < cl.n; i++) {
      const unsigned char *u = (const unsigned char *)g.p + cl.c[i].off;
      size_t len = cl.c[i].len;
      too_long += len > max;
      /* starts and ends on character boundaries */
      bad_utf8 += (len && (u[0] & 0xc0) == 0x80) ||
                  (cl.c[i].off + len < g.len && (u[len] & 0xc0) == 0x80);
      for (size_t k = covered; k < cl.c[i].off; k++)
        lost += !(g.p[k] == ' ' || g.p[k] == '\n');
      if (cl.c[i].off + len > covered) covered = cl.c[i].off + len;
    }
    for (size_t k = covered; k < g.len; k++)
      lost += !(g.p[k] == ' ' || g.p[k] == '\n');
    chunk_list_free(&cl);
    buf_free(&g);
  }
  CHECK_INT(bad_utf8, 0);
  CHECK_INT(too_long, 0);
  CHECK_INT(lost, 0);
  CHECK(chunk_text("", 0, 100, 10, &cl));
  CHECK_INT(cl.n, 0);
  chunk_list_free(&cl);
  buf_free(&doc);
}

static const char *one(remdb *db, const char *sql) {
  static char out[256];
  remdb_stmt *st;
  snprintf(out, sizeof out, "(error)");
  if (remdb_prepare(db, sql, strlen(sql), &st, NULL) != REMDB_OK) return out;
  if (remdb_step(st) == REMDB_ROW) {
    const char *t = remdb_column_text(st, 0, NULL);
    snprintf(out, sizeof out, "%s", t ? t : "NULL");
  }
  remdb_finalize(st);
  return out;
}

static uint64_t verify(remdb *db) {
  uint64_t p = 99;
  CHECK_INT(remdb_verify(db, NULL, NULL, &p), REMDB_OK);
  return p;
}

static void test_ingest_all(void) {
  remdb *db;
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_init(db), REMDB_OK);
  const char *v1 =
      "# Auth\n\nLogin creates a session after the OAuth exchange.\n\n"
      "## Refresh\n\nTokens refresh five minutes before they expire.\n\n"
      "## Storage\n\nRefresh tokens are encrypted at rest.\n";
  remdb_ingest_options o;
  remdb_ingest_options_init(&o);
  o.chunk_chars = 80;
  o.overlap_chars = 20;
  size_t n = 0;
  CHECK_INT(remdb_ingest(db, NULL, "file:///docs/auth.md", "auth.md", S(v1),
                         &o, &n),
            REMDB_OK);
  CHECK_INT(n, 3);
  CHECK_STR(one(db, "SELECT count(*) FROM resources WHERE uri = "
                    "'file:///docs/auth.md'"),
            "4");
  CHECK_STR(one(db, "SELECT name FROM resources WHERE chunk_ordinal = 1"),
            "Refresh");
  CHECK_STR(one(db, "SELECT category FROM resources WHERE chunk_ordinal = -1"),
            "document");
  char doc_id[REMDB_ID_LEN + 1];
  snprintf(doc_id, sizeof doc_id, "%s",
           one(db, "SELECT id FROM resources WHERE chunk_ordinal = -1"));
  char *edges;
  CHECK_INT(remdb_edges(db, doc_id, REMDB_OUT, "has_chunk", &edges),
            REMDB_OK);
  json_t *j = json_loads(edges, 0, NULL);
  CHECK_INT(json_array_size(j), 3);
  json_decref(j);
  remdb_free(edges);
  char chunk0[REMDB_ID_LEN + 1];
  snprintf(chunk0, sizeof chunk0, "%s",
           one(db, "SELECT id FROM resources WHERE chunk_ordinal = 0"));
  CHECK_INT(verify(db), 0);

  /* again, shorter: same ids, stale chunks (and their edges) gone */
  const char *v2 = "# Auth\n\nLogin creates a session.\n";
  CHECK_INT(remdb_ingest(db, NULL, "file:///docs/auth.md", "auth.md", S(v2),
                         &o, &n),
            REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_STR(one(db, "SELECT count(*) FROM resources_all"), "2");
  CHECK_STR(one(db, "SELECT id FROM resources WHERE chunk_ordinal = 0"),
            chunk0);
  CHECK_INT(verify(db), 0);

  /* UTF-8: a first line of 2-byte characters longer than the document
  ** row's 200 bytes, parts shorter than a character (a large overlap);
  ** text that is no UTF-8 is refused and says where */
  buf_t u8;
  buf_init(&u8);
  buf_adds(&u8, "a");
  for (int i = 0; i < 150; i++) buf_adds(&u8, "\xc3\xa9");
  buf_adds(&u8, "\n\nb");
  for (int i = 0; i < 100; i++) buf_adds(&u8, "\xf0\x9f\x98\x80");
  remdb_ingest_options o8;
  remdb_ingest_options_init(&o8);
  o8.chunk_chars = 64;
  o8.overlap_chars = 62;
  CHECK_INT(remdb_ingest(db, NULL, "file:///u8.md", "u8.md", u8.p, u8.len,
                         &o8, &n),
            REMDB_OK);
  CHECK(n > 5);
  CHECK_STR(one(db, "SELECT length(content) FROM resources WHERE uri = "
                    "'file:///u8.md' AND chunk_ordinal = -1"),
            "100");
  buf_free(&u8);
  CHECK_INT(remdb_ingest(db, NULL, "file:///bad.md", "bad.md",
                         S("abc\xff\xfe def"), &o8, &n),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "text is not valid UTF-8 at byte 3");
  CHECK_INT(remdb_ingest(db, NULL, "file:///bad\xc3.md", NULL, S("abc"), &o8,
                         &n),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "uri or name is not valid UTF-8");
  CHECK_INT(verify(db), 0);

  /* JSONL: a chunk per line, other fields as metadata */
  o.jsonl = 1;
  const char *lines = "{\"content\":\"first\",\"page\":1}\n\n"
                      "{\"text\":\"second\",\"page\":2}\n";
  CHECK_INT(remdb_ingest(db, NULL, "file:///notes.jsonl", "notes.jsonl",
                         S(lines), &o, &n),
            REMDB_OK);
  CHECK_INT(n, 2);
  CHECK_STR(one(db, "SELECT json_extract(metadata, '$.page') FROM resources "
                    "WHERE uri = 'file:///notes.jsonl' AND chunk_ordinal = 1"),
            "2");
  CHECK_INT(remdb_ingest(db, NULL, "file:///bad.jsonl", "bad.jsonl",
                         S("{\"content\":\"ok\"}\n{\"page\":3}\n"), &o, &n),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "bad.jsonl line 2");
  CHECK_STR(one(db, "SELECT count(*) FROM resources_all WHERE uri = "
                    "'file:///bad.jsonl'"),
            "0"); /* nothing of the failed file was written */
  /* an overlap at or above the chunk size is an error */
  remdb_ingest_options bad;
  remdb_ingest_options_init(&bad);
  bad.chunk_chars = 200;
  bad.overlap_chars = 200;
  CHECK_INT(remdb_ingest(db, NULL, "file:///o", "o", S("text"), &bad, &n),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "the overlap (200 bytes) must be "
                              "smaller than the chunk size (200 bytes)");
  bad.overlap_chars = 199;
  CHECK_INT(remdb_ingest(db, NULL, "file:///o", "o", S("text"), &bad, &n),
            REMDB_OK);
  CHECK_INT(remdb_ingest(db, "agents", "file:///x", "x", S("text"), NULL, &n),
            REMDB_INVALID);
  CHECK_INT(remdb_ingest(db, "nope", "file:///x", "x", S("text"), NULL, &n),
            REMDB_NOTFOUND);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "ingest");
  TEST_CASE(test_chunker);
  TEST_CASE(test_ingest_all);
  int rc_ = test_main(argc, argv, "test_ingest");
  rm_tree(dir);
  return rc_;
}

/* test_util.c: time stamps, UUIDs, JSON string escaping, identifiers, the
** fast JSON parser against jansson's. */
#include "test.h"
#include "util/jsonfast.h"
#include "util/util.h"

static void check_ts(const char *in, const char *canon) {
  int64_t t;
  bool ok = ts_parse(in, strlen(in), &t);
  CHECK(ok);
  if (!ok) {
    fprintf(stderr, "  input: %s\n", in);
    return;
  }
  char out[TS_LEN + 1];
  ts_format(t, out);
  CHECK_STR(out, canon);
}

static void check_bad_ts(const char *in) {
  int64_t t;
  bool ok = ts_parse(in, strlen(in), &t);
  CHECK(!ok);
  if (ok) fprintf(stderr, "  accepted: %s\n", in);
}

static void test_time(void) {
  check_ts("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000000Z");
  check_ts("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z");
  check_ts("2024-02-29T23:59:59.5Z", "2024-02-29T23:59:59.500000Z");
  check_ts("2024-03-01T01:30:00+02:00", "2024-02-29T23:30:00.000000Z");
  check_ts("2023-12-31T22:00:00-03:00", "2024-01-01T01:00:00.000000Z");
  check_ts("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z");
  check_ts("0001-01-01t00:00:00.123456789z", "0001-01-01T00:00:00.123456Z");
  check_ts("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000000Z");
  check_bad_ts("2023-02-29T00:00:00Z"); /* not a leap year */
  check_bad_ts("2024-13-01T00:00:00Z");
  check_bad_ts("2024-04-31T00:00:00Z");
  check_bad_ts("2024-01-01T24:00:00Z");
  check_bad_ts("2024-01-01T00:60:00Z");
  check_bad_ts("2024-01-01 00:00:00Z");
  check_bad_ts("2024-01-01T00:00:00");   /* no offset */
  check_bad_ts("2024-01-01T00:00:00.Z"); /* empty fraction */
  check_bad_ts("2024-01-01T00:00:00Zjunk");
  check_bad_ts("2024-1-01T00:00:00Z");
  check_bad_ts("");
  check_bad_ts("9999-12-31T23:00:00-02:00"); /* past year 9999 in UTC */
  CHECK(date_valid("2024-02-29", 10));
  CHECK(!date_valid("2023-02-29", 10));
  CHECK(!date_valid("2024-02-29T", 11));
  /* text order equals time order */
  char a[TS_LEN + 1], b[TS_LEN + 1];
  ts_format(-1, a);
  ts_format(0, b);
  CHECK(strcmp(a, b) < 0);
  ts_format(999999, a);
  ts_format(1000000, b);
  CHECK(strcmp(a, b) < 0);
  int64_t now = ts_now();
  CHECK(now > 1700000000000000LL);
  /* ts_parse_canonical: ts_parse's answer on the canonical form, false on
  ** any other text (random times, and the malformed ones above) */
  uint64_t r = 7;
  for (int i = 0; i < 20000; i++) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    int64_t t = (int64_t)(r % 315537897600000000ULL) - 62135596800000000LL,
            u = 0, w = 0;
    char s[TS_LEN + 1];
    ts_format(t, s);
    if (i & 1) s[r % TS_LEN] = "0123456789-T:.Zx"[(r >> 40) % 16];
    bool ok = ts_parse_canonical(s, TS_LEN, &u);
    bool canon = ts_parse(s, TS_LEN, &w);
    if (canon) {
      char back[TS_LEN + 1];
      ts_format(w, back);
      canon = memcmp(back, s, TS_LEN) == 0;
    }
    CHECK(ok == canon);
    if (ok && canon) CHECK(u == w);
  }
  int64_t t0;
  CHECK(!ts_parse_canonical("2023-02-29T00:00:00.000000Z", TS_LEN, &t0));
  CHECK(!ts_parse_canonical("2024-01-01T24:00:00.000000Z", TS_LEN, &t0));
  CHECK(!ts_parse_canonical("2024-01-01T00:00:00Z", 20, &t0));
  CHECK(!ts_parse_canonical("2024-01-01T00:00:00.000000z", TS_LEN, &t0));
  CHECK(ts_parse_canonical("0000-01-01T00:00:00.000000Z", TS_LEN, &t0));
}

static void test_uuid(void) {
  uuid16_t u, v;
  char s[REMDB_ID_LEN + 1];
  CHECK(uuid_random(&u));
  CHECK_INT(u.b[6] >> 4, 7);
  CHECK_INT(u.b[8] >> 6, 2);
  /* new ids increase, even many within one millisecond */
  uuid16_t prev = u;
  int unordered = 0;
  for (int i = 0; i < 20000; i++) {
    uuid16_t n;
    if (!uuid_random(&n) || memcmp(n.b, prev.b, 16) <= 0) unordered++;
    prev = n;
  }
  CHECK_INT(unordered, 0);
  uuid_format(&u, s);
  CHECK_INT(strlen(s), 36);
  CHECK(uuid_parse(s, 36, &v));
  CHECK(memcmp(u.b, v.b, 16) == 0);
  CHECK(uuid_parse("AABBCCDD-EEFF-0011-2233-445566778899", 36, &v));
  uuid_format(&v, s);
  CHECK_STR(s, "aabbccdd-eeff-0011-2233-445566778899");
  CHECK(!uuid_parse("aabbccdd-eeff-0011-2233-44556677889", 35, &v));
  CHECK(!uuid_parse("aabbccddxeeff-0011-2233-445566778899", 36, &v));
  CHECK(!uuid_parse("gabbccdd-eeff-0011-2233-445566778899", 36, &v));
  uuid16_t h1, h2, h3;
  uuid_from_hash(&h1, "abc", 3);
  uuid_from_hash(&h2, "abc", 3);
  uuid_from_hash(&h3, "abd", 3);
  CHECK(memcmp(h1.b, h2.b, 16) == 0);
  CHECK(memcmp(h1.b, h3.b, 16) != 0);
  CHECK_INT(h1.b[6] >> 4, 8);
}

static void test_buf(void) {
  buf_t b;
  buf_init(&b);
  buf_add_json_str(&b, "a\"b\\c\n\x01\xe2\x9c\x93", 10);
  char *s = buf_detach(&b, NULL);
  CHECK_STR(s, "\"a\\\"b\\\\c\\n\\u0001\xe2\x9c\x93\"");
  free(s);
  for (int i = 0; i < 10000; i++) buf_addf(&b, "%d,", i);
  CHECK(!b.oom);
  CHECK(b.len > 40000);
  buf_free(&b);
  /* texts that fit the room left, fill it exactly, or do not fit */
  for (size_t pre = 0; pre < 140; pre += 7)
    for (size_t n = 0; n < 300; n++) {
      char want[512], s2[301];
      memset(s2, 'x', n);
      s2[n] = 0;
      buf_init(&b);
      for (size_t i = 0; i < pre; i++) buf_addc(&b, 'p');
      buf_addf(&b, "<%s|%d>", s2, (int)n);
      int wl = snprintf(want, sizeof want, "%.*s<%s|%d>", (int)pre,
                        "ppppppppppppppppppppppppppppppppppppppppppppppppppp"
                        "ppppppppppppppppppppppppppppppppppppppppppppppppppp"
                        "pppppppppppppppppppppppppppppppppppppppppppppppppp",
                        s2, (int)n);
      CHECK(b.len == (size_t)wl && memcmp(b.p, want, b.len) == 0 &&
            b.p[b.len] == 0);
      buf_free(&b);
    }
  CHECK_INT(utf8_len("h\xc3\xa9llo \xe2\x9c\x93", 10), 7);
  CHECK(ident_valid("issues_2", 63));
  CHECK(!ident_valid("2issues", 63));
  CHECK(!ident_valid("is-sues", 63));
  CHECK(!ident_valid("", 63));
  CHECK(!ident_valid("abcd", 3));
}

/* the id hash set: growth, lookups, and deletion by backward shift */
static uuid16_t ids_[3000];
static const unsigned char *key_of(const void *ctx, uint32_t v) {
  (void)ctx;
  return ids_[v].b;
}

static void test_idset(void) {
  idset s = {0};
  for (int i = 0; i < 3000; i++) {
    uuid16_t u;
    uuid_from_hash(&u, &i, sizeof i);
    ids_[i] = u;
    size_t pos = 0;
    CHECK(idset_add(&s, u.b, &pos));
    CHECK_INT(pos, i);
  }
  size_t again = 0;
  CHECK(idset_add(&s, ids_[17].b, &again)); /* present: same position */
  CHECK_INT(again, 17);
  CHECK_INT(s.n, 3000);
  int found = 0;
  for (int i = 0; i < 3000; i++) found += idset_find(&s, ids_[i].b) == (size_t)i;
  CHECK_INT(found, 3000);
  uuid16_t none;
  memset(none.b, 0xab, 16);
  CHECK(!idset_has(&s, none.b));
  idset_clear(&s);
  CHECK(!idset_has(&s, ids_[5].b));
  idset_free(&s);
  /* an idmap over keys kept elsewhere: delete every other one */
  idmap m = {0};
  for (uint32_t v = 0; v < 3000; v++) CHECK(idmap_add(&m, v, key_of, NULL));
  for (uint32_t v = 0; v < 3000; v += 2) idmap_del(&m, v, key_of, NULL);
  int ok = 0;
  for (uint32_t v = 0; v < 3000; v++)
    ok += idmap_find(&m, ids_[v].b, key_of, NULL) ==
          (v % 2 ? v : IDMAP_NONE);
  CHECK_INT(ok, 3000);
  CHECK_INT(m.n, 1500);
  idmap_free(&m);
}

/* The fast parser's value of text (NULL: declined) must be jansson's: the
** same dump, key order and real bits included.  want: 1 must accept, 0
** must decline, -1 either. */
static void check_jf(const char *text, size_t len, int want) {
  json_t *f = json_fast_load(text, len);
  json_error_t je;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (want == 1 && f == NULL) T_FAILED("fast path declined: %.*s", (int)len, text);
  if (want == 0 && f != NULL) T_FAILED("fast path accepted: %.*s", (int)len, text);
  if (f) {
    if (j == NULL) {
      T_FAILED("fast path accepted what jansson refuses (%s): %.*s", je.text,
               (int)len, text);
    } else {
      char *a = json_dumps(f, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
      char *b = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
      if (a && b && strcmp(a, b) == 0 && json_equal(f, j)) t_pass++;
      else T_FAILED("values differ: %s vs %s", a ? a : "?", b ? b : "?");
      free(a);
      free(b);
    }
  } else {
    t_pass++;
  }
  json_decref(f);
  json_decref(j);
}

static uint64_t jf_rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static json_t *jf_gen(uint64_t *s, int depth) {
  static const char *const pieces[] = {"a", "Z", " ", "\\", "\"", "/", "\n", "\t", "\x01",
                                       "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80", "key", "0"};
  int kind = (int)(jf_rng(s) % (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0: return json_integer((json_int_t)(jf_rng(s) % 2000001) - 1000000);
    case 1: return json_real((double)(int64_t)(jf_rng(s) % 200001 - 100000) / 64.0 *
                             ((jf_rng(s) % 3) ? 1.0 : 1e-300));
    case 2: return jf_rng(s) % 2 ? json_true() : json_null();
    case 3: return json_integer((json_int_t)(jf_rng(s) >> 1) * (jf_rng(s) % 2 ? 1 : -1));
    case 4:
    case 5: {
      char b[256] = "";
      size_t n = jf_rng(s) % 12;
      for (size_t i = 0; i < n; i++)
        strcat(b, pieces[jf_rng(s) % (sizeof pieces / sizeof *pieces)]);
      return json_string(b);
    }
    case 6: {
      json_t *a = json_array();
      size_t n = jf_rng(s) % 5;
      for (size_t i = 0; i < n; i++) json_array_append_new(a, jf_gen(s, depth + 1));
      return a;
    }
    default: {
      json_t *o = json_object();
      size_t n = jf_rng(s) % 5;
      for (size_t i = 0; i < n; i++) {
        char k[64];
        snprintf(k, sizeof k, "%s%u", pieces[jf_rng(s) % (sizeof pieces / sizeof *pieces)],
                 (unsigned)(jf_rng(s) % 7));
        json_object_set_new(o, k, jf_gen(s, depth + 1));
      }
      return o;
    }
  }
}

static void test_jsonfast(void) {
  /* what it must take (an entity, escapes, numbers, nesting) */
  static const char *const ok[] = {
      "{}", "[]", " {\"a\" : 1 } \n", "{\"n\":1,\"section\":2,\"title\":\"open.2\","
      "\"content\":\"text\"}",
      "[1,-1,0,-0,123456789012345678,-123456789012345678,1.5,-0.0,1e3,1E-3,2.5e+10]",
      "[9223372036854775807,-9223372036854775808,1e308,-2.2250738585072014e-308]",
      "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0041\"}",
      "{\"\\u00e9t\\u00e9\":\"\xc3\xa9\",\"k\\n\":[true,false,null,{\"x\":[[]]}]}",
      "[\"\x7f\",\"\xf4\x8f\xbf\xbf\", 1e-400]",
      "{\"a\":{\"a\":{\"a\":1}},\"b\":\"\"}",
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) check_jf(ok[i], strlen(ok[i]), 1);
  /* what it must leave to jansson (its errors, and what it declines) */
  static const char *const no[] = {
      "", " ", "1", "\"s\"", "null", "{", "[", "{\"a\":1,}", "[1,]", "{\"a\" 1}",
      "{\"a\":1}x", "{}{}", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "[+1]", "[tru]",
      "[nul]", "{\"a\":1,\"a\":2}", "[\"\\u0000\"]", "{\"a\\u0000\":1}",
      "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\x\"]",
      "[\"\\u12g4\"]", "[\"a\nb\"]", "[\"a\tb\"]", "[\"\xc3\"]", "[\"\xc3\\n\"]",
      "[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]", "[\"\xf4\x90\x80\x80\"]",
      "{\"\xff\":1}", "[1234567890123456789012]", "[1e400]", "[-1e400]",
      "[9223372036854775808]", "[\"abc", "{\"abc\"", "[1 2]", "[\"a\" \"b\"]",
  };
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) check_jf(no[i], strlen(no[i]), 0);
  check_jf("[1]\0", 4, 0); /* a NUL byte after the value */
  check_jf("[\"a\0b\"]", 7, 0);
  /* deep nesting: declined past its limit, jansson's limit and error */
  char deep[1200];
  for (int d = 0; d < 600; d++) deep[d] = '[';
  for (int d = 0; d < 600; d++) deep[600 + d] = ']';
  check_jf(deep, 1200, 0);
  check_jf(deep + 500, 200, 1);
  /* generated documents, then damaged ones: whatever the fast path
  ** accepts is jansson's value */
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 3000; i++) {
    json_t *v = json_object();
    json_object_set_new(v, "v", jf_gen(&seed, 0));
    char *txt = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17) |
                                  (i % 2 ? JSON_ENSURE_ASCII : 0));
    json_decref(v);
    size_t n = strlen(txt);
    check_jf(txt, n, 1);
    for (int m = 0; m < 4 && n > 0; m++) {
      char *bad = malloc(n + 1);
      memcpy(bad, txt, n + 1);
      size_t at = jf_rng(&seed) % n;
      static const char sub[] = "\"\\,:[]{}0e-.u \x80\xc3\x01";
      bad[at] = sub[jf_rng(&seed) % (sizeof sub - 1)];
      check_jf(bad, m == 3 ? at : n, -1);
      free(bad);
    }
    free(txt);
  }
}

/* Strings scanned eight bytes at a time (json_plain_end): one byte that
** needs care at every position of strings of every length up to 40, both
** ways: buf_add_json_str's text parses back (jansson) to the same bytes,
** and the fast parser's value of that text, and of the text with the byte
** raw (an error for a control byte), is jansson's. */
static void test_json_runs(void) {
  static const char *const odd[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f",
                                    "\xc3\xa9", "\xff", " ", "\x80"};
  for (size_t o = 0; o < sizeof odd / sizeof *odd; o++)
    for (size_t len = 1; len <= 40; len++)
      for (size_t at = 0; at < len; at++) {
        char str[64];
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
          if (i == at) {
            memcpy(str + n, odd[o], strlen(odd[o]));
            n += strlen(odd[o]);
          } else {
            str[n++] = (char)('a' + i % 26);
          }
        }
        buf_t b;
        buf_init(&b);
        buf_adds(&b, "[");
        buf_add_json_str(&b, str, n);
        buf_adds(&b, "]");
        json_t *j = json_loadb(b.p, b.len, 0, NULL);
        bool utf8 = strcmp(odd[o], "\xff") && strcmp(odd[o], "\x80");
        if (utf8) {
          const char *back = json_string_value(json_array_get(j, 0));
          CHECK(back && json_string_length(json_array_get(j, 0)) == n &&
                memcmp(back, str, n) == 0);
        } else {
          CHECK(j == NULL); /* invalid UTF-8: jansson refuses */
        }
        json_decref(j);
        check_jf(b.p, b.len, utf8 ? 1 : 0);
        /* the same bytes unescaped in the JSON text */
        b.len = 0;
        buf_adds(&b, "{\"k\":\"");
        buf_add(&b, str, n);
        buf_adds(&b, "\"}");
        check_jf(b.p, b.len, -1);
        buf_free(&b);
      }
}

/* json_plain_end (sixteen bytes, then eight, then one at a time) against a
** byte-at-a-time reference: where the run ends and whether a byte of it
** is >= 0x80, for a stop byte and a high byte at every pair of positions
** of strings up to 70 bytes, from every start up to 17. */
static void test_json_plain_end(void) {
  static const unsigned char stops[] = {'"', '\\', 0x00, 0x1f, 0};
  for (size_t si = 0; si < sizeof stops; si++)
    for (size_t len = 0; len <= 70; len++)
      for (size_t at = 0; at <= len; at++)       /* at == len: no stop */
        for (size_t hi = 0; hi <= len; hi += 3) { /* hi == len: none */
          unsigned char str[80];
          for (size_t i = 0; i < len; i++) str[i] = (unsigned char)('a' + i % 26);
          if (hi < len) str[hi] = 0xe9;
          if (at < len) str[at] = si < 4 ? stops[si] : 0x20;
          for (size_t from = 0; from <= 17 && from <= len; from++) {
            const unsigned char *want = str + from;
            bool high = false;
            while (want < str + len && *want != '"' && *want != '\\' &&
                   *want >= 0x20)
              high |= *want++ >= 0x80;
            uint64_t bits = 0;
            const unsigned char *got = json_plain_end(str + from, str + len,
                                                      &bits);
            CHECK(got == want);
            CHECK(((bits & JSON_HIGH_BITS) != 0) == high);
          }
        }
}

int main(int argc, char **argv) {
  TEST_CASE(test_jsonfast);
  TEST_CASE(test_json_runs);
  TEST_CASE(test_json_plain_end);
  TEST_CASE(test_time);
  TEST_CASE(test_uuid);
  TEST_CASE(test_buf);
  TEST_CASE(test_idset);
  int rc_ = test_main(argc, argv, "test_util");
  return rc_;
}

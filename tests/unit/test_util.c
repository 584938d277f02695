/* test_util.c: time stamps, UUIDs, JSON string escaping, identifiers. */
#include "test.h"
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

int main(int argc, char **argv) {
  TEST_CASE(test_time);
  TEST_CASE(test_uuid);
  TEST_CASE(test_buf);
  TEST_CASE(test_idset);
  int rc_ = test_main(argc, argv, "test_util");
  return rc_;
}

/* test_record.c: the record format: build, read fields in place, render
** JSON, and reject every truncated or corrupted form without a wild read. */
#include <jansson.h>

#include "record/rec.h"
#include "test.h"

static void test_roundtrip(void) {
  rec_dict d;
  rec_dict_init(&d);
  const char *names[] = {"title", "n", "x", "ok", "tags", "nothing"};
  for (int i = 0; i < 6; i++) CHECK(rec_dict_set(&d, (uint16_t)(16 + i), names[i]));
  CHECK_INT(rec_dict_id(&d, "x"), 18);
  CHECK_INT(rec_dict_id(&d, "missing"), 0);
  json_t *obj = json_loads(
      "{\"title\":\"h\\u00e9 \\\"q\\\"\",\"n\":-42,\"x\":2.5,\"ok\":true,"
      "\"tags\":[\"a\",{\"b\":null}],\"nothing\":null,\"extra\":\"e\","
      "\"id\":\"ignored\"}",
      0, NULL);
  CHECK(obj != NULL);
  buf_t out;
  buf_init(&out);
  err_t e;
  CHECK_INT(rec_from_json(&d, obj, "2024-01-01T00:00:00.000000Z",
                          "2024-01-02T00:00:00.000000Z", NULL, &out, &e),
            REMDB_OK);
  rec_view v;
  CHECK_INT(rec_open(&v, out.p, out.len, &e), REMDB_OK);
  rec_field f;
  CHECK(rec_find(&v, 17, &f));
  CHECK_INT(f.type, REC_INT);
  CHECK_INT(rec_int(&f), -42);
  CHECK(rec_find(&v, 18, &f));
  CHECK(rec_real(&f) == 2.5);
  CHECK(rec_find(&v, 19, &f) && f.type == REC_TRUE);
  CHECK(rec_find(&v, 21, &f) && f.type == REC_NULL);
  CHECK(rec_find(&v, 20, &f) && f.type == REC_JSON);
  CHECK(!rec_find(&v, REC_F_DELETED, &f));
  CHECK(rec_find(&v, REC_F_EXTRA, &f) && f.type == REC_JSON);
  buf_t js;
  buf_init(&js);
  CHECK_INT(rec_to_json(&d, &v, "00000000-0000-0000-0000-000000000001", "t",
                        &js, &e),
            REMDB_OK);
  buf_addc(&js, 0);
  json_t *back = json_loads(js.p, 0, NULL);
  CHECK(back != NULL);
  CHECK_STR(json_string_value(json_object_get(back, "title")), "h\xc3\xa9 \"q\"");
  CHECK_INT(json_integer_value(json_object_get(back, "n")), -42);
  CHECK(json_real_value(json_object_get(back, "x")) == 2.5);
  CHECK_STR(json_string_value(json_object_get(back, "extra")), "e");
  CHECK_STR(json_string_value(json_object_get(back, "id")),
            "00000000-0000-0000-0000-000000000001");
  CHECK(json_is_null(json_object_get(back, "deleted_at")));
  CHECK(json_equal(json_object_get(back, "tags"), json_object_get(obj, "tags")));
  json_decref(back);

  /* every truncation is rejected, never read past the end */
  for (size_t n = 0; n < out.len; n++) {
    char *copy = malloc(n ? n : 1);
    memcpy(copy, out.p, n);
    CHECK(rec_open(&v, copy, n, &e) != REMDB_OK);
    free(copy);
  }
  /* single-byte corruptions either fail cleanly or still decode */
  int rejected = 0;
  for (size_t i = 0; i < out.len; i++) {
    char *copy = malloc(out.len);
    memcpy(copy, out.p, out.len);
    copy[i] ^= 0x5a;
    if (rec_open(&v, copy, out.len, &e) == REMDB_OK) {
      buf_reset(&js);
      rec_to_json(&d, &v, "x", "t", &js, &e);
    } else {
      rejected++;
    }
    free(copy);
  }
  CHECK(rejected > 0);
  buf_free(&js);
  buf_free(&out);
  json_decref(obj);
  rec_dict_free(&d);
}

static void test_real_format(void) {
  rec_builder b;
  rec_builder_init(&b);
  double vals[] = {0.1, 1.0, -3.0e300, 1e-300, 123456789.125};
  const char *want[] = {"0.1", "1.0", "-3e+300", "1e-300", "123456789.125"};
  for (int i = 0; i < 5; i++) {
    json_t *r = json_real(vals[i]);
    buf_t out, js;
    buf_init(&out);
    buf_init(&js);
    err_t e;
    rec_builder_reset(&b);
    CHECK_INT(rec_add_json(&b, 16, r, &e), REMDB_OK);
    CHECK_INT(rec_build(&b, &out, &e), REMDB_OK);
    rec_view v;
    rec_field f;
    CHECK_INT(rec_open(&v, out.p, out.len, &e), REMDB_OK);
    CHECK(rec_find(&v, 16, &f));
    rec_field_json(&f, &js);
    buf_addc(&js, 0);
    CHECK_STR(js.p, want[i]);
    buf_free(&out);
    buf_free(&js);
    json_decref(r);
  }
  /* duplicate ids are refused */
  rec_builder_reset(&b);
  rec_add(&b, 16, REC_NULL, NULL, 0);
  rec_add(&b, 16, REC_TRUE, NULL, 0);
  buf_t out;
  buf_init(&out);
  err_t e;
  CHECK(rec_build(&b, &out, &e) != REMDB_OK);
  buf_free(&out);
  /* fields given in any order (few: an insertion sort; many: qsort) come
  ** out sorted, each with its value; a duplicate among them is refused */
  for (uint16_t n = 1; n <= 40; n += 13) {
    rec_builder_reset(&b);
    buf_init(&out);
    char txt[40][8];
    for (uint16_t i = 0; i < n; i++) { /* ids 16.. in a scrambled order */
      uint16_t id = (uint16_t)(16 + (i * 11) % n);
      snprintf(txt[i], sizeof txt[i], "v%u", id);
      CHECK(rec_add(&b, id, REC_TEXT, txt[i], strlen(txt[i])));
    }
    CHECK_INT(rec_build(&b, &out, &e), REMDB_OK);
    rec_view v;
    CHECK_INT(rec_open(&v, out.p, out.len, &e), REMDB_OK);
    for (uint16_t id = 16; id < 16 + n; id++) {
      rec_field f;
      char w[8];
      snprintf(w, sizeof w, "v%u", id);
      CHECK(rec_find(&v, id, &f) && f.type == REC_TEXT && f.n == strlen(w) &&
            memcmp(f.p, w, f.n) == 0);
    }
    if (n > 1) { /* the last id again */
      CHECK(rec_add(&b, (uint16_t)(16 + ((n - 1) * 11) % n), REC_NULL, NULL, 0));
      buf_reset(&out);
      CHECK(rec_build(&b, &out, &e) != REMDB_OK);
    }
    buf_free(&out);
  }
  rec_builder_free(&b);
}

static void test_dict_growth(void) {
  rec_dict d;
  rec_dict_init(&d);
  char name[32];
  for (int i = 0; i < 2000; i++) {
    snprintf(name, sizeof name, "field_%d", i);
    CHECK(rec_dict_set(&d, (uint16_t)(16 + i), name));
  }
  int bad = 0;
  for (int i = 0; i < 2000; i++) {
    snprintf(name, sizeof name, "field_%d", i);
    bad += rec_dict_id(&d, name) != 16 + i;
  }
  CHECK_INT(bad, 0);
  rec_dict_free(&d);
}

int main(int argc, char **argv) {
  TEST_CASE(test_roundtrip);
  TEST_CASE(test_real_format);
  TEST_CASE(test_dict_growth);
  int rc_ = test_main(argc, argv, "test_record");
  return rc_;
}

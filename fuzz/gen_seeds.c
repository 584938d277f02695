/*
** gen_seeds.c: writes the binary seed inputs of the committed corpora, so
** that they are what the code makes, not hand-typed bytes:
**   fuzz/corpus/record/  records made by rec_from_json and rec_build
**   fuzz/corpus/okey/    index keys made by okey_*, and value words
**   fuzz/corpus/schema/  the built-in schema documents (builtins.c)
** Run by `make fuzz-seeds` (only needed when a format changes); the text
** seeds (entities, SQL) are written by hand.
**
**   gen_seeds DIR     DIR is fuzz/corpus
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/idx.h"
#include "record/rec.h"
#include "schema/sch.h"

static const char *root;

static void put(const char *sub, const char *name, const void *p, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/%s", root, sub, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

static void die(const char *what, const err_t *e) {
  fprintf(stderr, "gen_seeds: %s: %s\n", what, e ? e->msg : "");
  exit(1);
}

static void record_from_json(rec_dict *d, const char *name, const char *js,
                             const char *deleted) {
  json_t *o = json_loads(js, 0, NULL);
  if (o == NULL) die(js, NULL);
  buf_t b;
  buf_init(&b);
  err_t e;
  if (rec_from_json(d, o, "2024-01-02T03:04:05.000006Z",
                    "2024-02-03T04:05:06.000007Z", deleted, &b, &e))
    die(name, &e);
  put("record", name, b.p, b.len);
  buf_free(&b);
  json_decref(o);
}

static void records(void) {
  rec_dict d;
  rec_dict_init(&d);
  static const char *const names[] = {"key", "status", "priority", "score",
                                      "tags"};
  for (int i = 0; i < 5; i++) rec_dict_set(&d, (uint16_t)(16 + i), names[i]);
  rec_dict_set(&d, 700, "late");
  record_from_json(&d, "entity.rec",
                   "{\"key\":\"TAP-1\",\"status\":\"open\",\"priority\":2,"
                   "\"score\":-1.5,\"tags\":[\"a\",\"b\"],\"late\":null}",
                   NULL);
  record_from_json(&d, "extra.rec",
                   "{\"key\":\"x\",\"undeclared\":{\"n\":[1,2.5,true]},"
                   "\"more\":\"caf\\u00e9\"}",
                   "2024-03-04T05:06:07.000008Z");
  record_from_json(&d, "bools.rec",
                   "{\"status\":true,\"priority\":false,\"score\":null,"
                   "\"key\":\"\"}",
                   NULL);
  /* by hand with the builder: every type, and extreme ids */
  rec_builder b;
  rec_builder_init(&b);
  unsigned char i64[8] = {0, 0, 0, 0, 0, 0, 0, 0x80}; /* INT64_MIN */
  unsigned char dbl[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x7f}; /* +inf */
  rec_add(&b, 16, REC_INT, i64, 8);
  rec_add(&b, 17, REC_REAL, dbl, 8);
  rec_add(&b, 18, REC_TEXT, "a\0b\"\\\n", 6);
  rec_add(&b, 19, REC_JSON, "[1,{\"x\":null}]", 14);
  rec_add(&b, 20, REC_NULL, NULL, 0);
  rec_add(&b, 700, REC_TRUE, NULL, 0);
  rec_add(&b, 65535, REC_FALSE, NULL, 0);
  rec_add(&b, REC_F_EXTRA, REC_JSON, "{\"u\":1}", 7);
  buf_t out;
  buf_init(&out);
  err_t e;
  if (rec_build(&b, &out, &e)) die("types.rec", &e);
  put("record", "types.rec", out.p, out.len);
  /* a damaged copy: the last slot's offset past the end */
  out.p[4 + 7 * 8 + 4] = (char)0xff;
  put("record", "bad-offset.rec", out.p, out.len);
  buf_free(&out);
  rec_builder_free(&b);
  rec_dict_free(&d);
}

static void okeys(void) {
  buf_t b;
  buf_init(&b);
  okey_null(&b);
  okey_int(&b, 42);
  okey_real(&b, -2.5);
  okey_text(&b, "open", 4);
  put("okey", "mixed.key", b.p, b.len);
  buf_reset(&b);
  okey_int(&b, 9007199254740993LL); /* 2^53 + 1: a tie */
  okey_int(&b, INT64_MAX);
  okey_int(&b, INT64_MIN);
  okey_real(&b, 1e300);
  put("okey", "big-ints.key", b.p, b.len);
  buf_reset(&b);
  okey_text(&b, "a\0b", 3);
  okey_text(&b, "", 0);
  okey_text(&b, "\xc3\xa9", 2);
  put("okey", "texts.key", b.p, b.len);
  buf_reset(&b);
  /* an index key the way idx_key lays it out: prefix, OKEY, 16-byte id */
  static const unsigned char id[16] = {0x01, 0x91, 0xe0, 0xa0, 0, 0, 0x70, 0,
                                       0x80, 0, 0, 0, 0, 0, 0, 1};
  unsigned char rec[4 + 8 + 3] = {1, 0, 1, 0, 16, 0, REC_TEXT, 0,
                                  0, 0, 0, 0, 'a', 'b', 'c'};
  rec_view v;
  err_t e;
  if (rec_open(&v, rec, sizeof rec, &e)) die("index key record", &e);
  idx_key(&b, 1, 2, 16, &v, id);
  put("okey", "index-entry.key", b.p + 10, b.len - 10 - 16);
  buf_free(&b);
  /* values for the round-trip half: 8-byte words and comma-cut text */
  static const unsigned char words[] = {
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, /* 2^53+1 */
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, /* INT64_MAX */
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x43, /* 2^63 as double */
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* -0.0 / INT64_MIN */
      'a',  ',',  'a',  0x00, ',',  'b',  ',',  ','};
  put("okey", "words.bin", words, sizeof words);
}

static void schemas(void) {
  for (int i = 0; i < sch_builtin_count; i++) {
    json_t *d = json_loads(sch_builtin[i], 0, NULL);
    if (d == NULL) die("builtin", NULL);
    char name[64];
    snprintf(name, sizeof name, "builtin-%s.json",
             json_string_value(json_object_get(d, "name")));
    put("schema", name, sch_builtin[i], strlen(sch_builtin[i]));
    json_decref(d);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gen_seeds fuzz/corpus\n");
    return 2;
  }
  root = argv[1];
  records();
  okeys();
  schemas();
  return 0;
}

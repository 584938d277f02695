/*
** fuzz_record.c: arbitrary bytes as a stored entity value, the way a read
** meets a corrupt or hostile value in RocksDB: rec_open must refuse it
** with REMDB_CORRUPT or accept it, and everything done with an accepted
** view must stay inside the value (ASan sees every byte past it: libFuzzer
** hands the input in a buffer of exactly its size).
**
** With an accepted record: every rec_at, rec_find of each id and of ids not
** present, rec_int/rec_real, rec_field_json, rec_to_json with a small
** rec_dict, the index key of each field (okey_field must produce an OKEY
** that okey_decode takes back whole), and a rebuild of the same fields with
** rec_add + rec_build, which must open again with identical fields.
*/
#include <math.h>

#include "fuzz.h"
#include "index/idx.h"
#include "record/rec.h"

static rec_dict dict;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  static const char *const names[] = {"key", "status", "priority", "score",
                                      "tags"};
  rec_dict_init(&dict);
  for (int i = 0; i < 5; i++)
    if (!rec_dict_set(&dict, (uint16_t)(REC_F_FIRST + i), names[i])) abort();
  /* a sparse, high id as well */
  if (!rec_dict_set(&dict, 700, "late")) abort();
  return 0;
}

static bool inside(const rec_view *v, const rec_field *f) {
  const char *lo = (const char *)v->body, *hi = lo + v->body_len;
  return f->p >= lo && f->p <= hi && f->n <= (size_t)(hi - f->p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rec_view v;
  err_t e;
  err_clear(&e);
  int rc = rec_open(&v, data, size, &e);
  if (rc != REMDB_OK) {
    FZ_CHECK(rc == REMDB_CORRUPT && e.code == rc && e.msg[0],
             "rec_open returned %d (%s)", rc, e.msg);
    return 0;
  }
  FZ_CHECK(v.data == data && v.len == size && v.body >= v.data &&
               v.body + v.body_len == v.data + v.len,
           "view does not describe the value");
  buf_t out, key;
  buf_init(&out);
  buf_init(&key);
  rec_builder b;
  rec_builder_init(&b);
  uint32_t prev = 0;
  for (uint32_t i = 0; i < v.n; i++) {
    rec_field f, g;
    rec_at(&v, i, &f);
    FZ_CHECK(inside(&v, &f), "field %u lies outside the value", i);
    FZ_CHECK(f.id > prev && f.type <= REC_JSON, "field %u: id %u type %u", i,
             f.id, f.type);
    prev = f.id;
    FZ_CHECK(rec_find(&v, f.id, &g) && g.id == f.id && g.p == f.p &&
                 g.n == f.n && g.type == f.type,
             "rec_find(%u) disagrees with rec_at(%u)", f.id, i);
    if (f.type == REC_INT) {
      FZ_CHECK(f.n == 8, "int of %zu bytes", f.n);
      (void)rec_int(&f);
    } else if (f.type == REC_REAL) {
      FZ_CHECK(f.n == 8, "real of %zu bytes", f.n);
      (void)rec_real(&f);
    } else if (f.type <= REC_TRUE) {
      FZ_CHECK(f.n == 0, "null/bool of %zu bytes", f.n);
    }
    buf_reset(&out);
    rec_field_json(&f, &out);
    /* the OKEY of the field decodes back, whole */
    buf_reset(&key);
    okey_field(&key, &f);
    size_t used = 0;
    okey_val ov;
    rc = okey_decode(key.p, key.len, &used, &ov, NULL, &e);
    FZ_CHECK(rc == REMDB_OK && used == key.len,
             "okey of field %u (type %u) does not decode: %s", f.id, f.type,
             e.msg);
    FZ_CHECK(rec_add(&b, f.id, f.type, f.p, f.n), "rec_add");
  }
  /* ids that are not there */
  static const uint16_t probe[] = {0, 1, 2, 3, 4, 5, 15, 16, 17, 20, 700,
                                   0x7fff, 0x8000, 0xfffe, 0xffff};
  for (size_t k = 0; k < sizeof probe / sizeof *probe; k++) {
    rec_field f;
    if (rec_find(&v, probe[k], &f))
      FZ_CHECK(f.id == probe[k] && inside(&v, &f), "rec_find(%u)", probe[k]);
  }
  buf_reset(&out);
  rc = rec_to_json(&dict, &v, "00000000-0000-0000-0000-000000000000", "t",
                   &out, &e);
  FZ_CHECK(rc == REMDB_OK && !out.oom, "rec_to_json: %s", e.msg);
  FZ_CHECK(out.len >= 2 && out.p[0] == '{' && out.p[out.len - 1] == '}',
           "rec_to_json output is not an object");
  /* the same fields, rebuilt, make a record with identical fields */
  buf_t nb;
  buf_init(&nb);
  rc = rec_build(&b, &nb, &e);
  FZ_CHECK(rc == REMDB_OK, "rec_build of an opened record's fields: %s",
           e.msg);
  rec_view w;
  rc = rec_open(&w, nb.p, nb.len, &e);
  FZ_CHECK(rc == REMDB_OK && w.n == v.n, "rebuilt record does not open: %s",
           e.msg);
  for (uint32_t i = 0; i < v.n; i++) {
    rec_field f, g;
    rec_at(&v, i, &f);
    rec_at(&w, i, &g);
    FZ_CHECK(f.id == g.id && f.type == g.type && f.n == g.n &&
                 (f.n == 0 || memcmp(f.p, g.p, f.n) == 0),
             "rebuilt field %u differs", i);
  }
  FZ_CHECK(nb.len <= size, "rebuilt record is longer than the original");
  buf_free(&nb);
  rec_builder_free(&b);
  buf_free(&out);
  buf_free(&key);
  return 0;
}

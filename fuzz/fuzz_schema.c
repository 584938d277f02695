/*
** fuzz_schema.c: arbitrary bytes as a schema document: json_loadb (as
** remdb_schema_put parses it), sch_compile, and for whatever compiles,
** validation of fixed entities built from a palette of values.
**
** A member "x-fields" of the document (an annotation to sch_compile, which
** ignores unknown keys) is passed as the stored name->id map of an earlier
** version of the table, the path a schema replacement and the catalog load
** take.  Properties checked, beyond "no sanitizer report":
**   - a refusal sets the error slot to the code returned, with a message;
**   - every property of a compiled table has a field id >= REC_F_FIRST,
**     distinct from the others, and indexed fields resolve to ids;
**   - recompiling with the table's own sch_fields_json keeps every id;
**   - validating never fails with anything but SCHEMA/TOOBIG/INVALID, a
**     validated entity validates again unchanged, encodes as a record that
**     opens, and its JSON form is valid JSON.
*/
#include <jansson.h>

#include "fuzz.h"
#include "index/idx.h"
#include "record/rec.h"
#include "schema/node.h"
#include "schema/sch.h"

static const sch_limits lim = {1u << 16, 16};

/* values tried in each property (and as the whole entity) */
static const char *const palette_text[] = {
    "null", "true", "false", "0", "-1", "7", "2.5", "3.0", "1e300",
    "-9223372036854775808", "\"\"", "\"x\"", "\"open\"",
    "\"2024-01-02T03:04:05+01:00\"", "\"2024-02-30\"", "\"2024-01-02\"",
    "[]", "[1,\"a\",null]", "[[{\"a\":1}]]", "{}", "{\"a\":1,\"b\":\"x\"}",
    "{\"a\":{\"b\":{\"c\":[true]}}}"};
#define NPAL (sizeof palette_text / sizeof palette_text[0])
static json_t *palette[NPAL];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  for (size_t i = 0; i < NPAL; i++) {
    palette[i] = json_loads(palette_text[i], JSON_DECODE_ANY, NULL);
    if (palette[i] == NULL) abort();
  }
  return 0;
}

static void check_err(int rc, const err_t *e) {
  FZ_CHECK(e->code == rc, "error slot holds %d, call returned %d", e->code,
           rc);
  FZ_CHECK(memchr(e->msg, 0, sizeof e->msg) != NULL && e->msg[0] != 0,
           "error %d without a message", rc);
}

/* Validate o (consumed) against t; on success, the record round trip. */
static void try_entity(const sch_table *t, json_t *o) {
  err_t e;
  err_clear(&e);
  int rc = sch_validate(t, o, &lim, &e);
  if (rc != REMDB_OK) {
    FZ_CHECK(rc == REMDB_SCHEMA || rc == REMDB_TOOBIG || rc == REMDB_INVALID,
             "sch_validate returned %d: %s", rc, e.msg);
    check_err(rc, &e);
    json_decref(o);
    return;
  }
  json_t *again = json_deep_copy(o);
  FZ_CHECK(again != NULL, "json_deep_copy");
  rc = sch_validate(t, again, &lim, &e);
  FZ_CHECK(rc == REMDB_OK, "a validated entity fails validation: %s", e.msg);
  FZ_CHECK(json_equal(again, o), "normalisation is not idempotent");
  json_decref(again);
  buf_t rb, js;
  buf_init(&rb);
  buf_init(&js);
  rc = rec_from_json(&t->dict, o, "2024-01-01T00:00:00.000000Z",
                     "2024-01-01T00:00:00.000000Z", NULL, &rb, &e);
  FZ_CHECK(rc == REMDB_OK, "a validated entity does not encode: %s", e.msg);
  rec_view v;
  rc = rec_open(&v, rb.p, rb.len, &e);
  FZ_CHECK(rc == REMDB_OK, "rec_open refuses rec_from_json: %s", e.msg);
  rc = rec_to_json(&t->dict, &v, "i", t->name, &js, &e);
  FZ_CHECK(rc == REMDB_OK, "rec_to_json: %s", e.msg);
  json_error_t je;
  json_t *back = json_loadb(js.p, js.len, JSON_REJECT_DUPLICATES, &je);
  FZ_CHECK(back != NULL, "rec_to_json made invalid JSON (%s): %.*s", je.text,
           (int)(js.len > 2000 ? 2000 : js.len), js.p);
  json_decref(back);
  buf_free(&rb);
  buf_free(&js);
  json_decref(o);
}

/* One entity: every required name set to palette value `fill`, then `prop`
** (if not NULL) set to palette value `val`. */
static json_t *entity(const sch_node *root, const char *prop, size_t val,
                      size_t fill) {
  json_t *o = json_object();
  FZ_CHECK(o != NULL, "json_object");
  for (uint32_t i = 0; i < root->nrequired && i < 32; i++)
    json_object_set(o, root->required[i], palette[fill]);
  if (prop) json_object_set(o, prop, palette[val]);
  return o;
}

static void check_table(sch_table *t, json_t *doc) {
  const sch_node *root = t->root;
  /* ids: properties (not system names) have distinct ids >= 16 */
  for (uint32_t i = 0; i < root->nprops; i++) {
    const char *p = root->prop_names[i];
    if (sch_is_system(p)) continue;
    uint16_t id = rec_dict_id(&t->dict, p);
    FZ_CHECK(id >= REC_F_FIRST, "%s.%s got field id %u", t->name, p, id);
    const char *back = rec_dict_name(&t->dict, id);
    FZ_CHECK(back && strcmp(back, p) == 0, "%s.%s: id %u names %s", t->name,
             p, id, back ? back : "(null)");
    (void)sch_prop_types(t, p);
  }
  for (uint32_t j = 0; j < t->n_indexed; j++)
    FZ_CHECK(t->indexed[j] != 0 && t->indexed[j] != REC_F_EXTRA,
             "indexed field %u has id %u", j, t->indexed[j]);
  /* recompiling with the stored field map keeps the ids */
  json_t *fields = sch_fields_json(t);
  FZ_CHECK(fields != NULL, "sch_fields_json");
  err_t e;
  err_clear(&e);
  sch_table *t2 = NULL;
  int rc = sch_compile(doc, fields, &t2, &e);
  FZ_CHECK(rc == REMDB_OK, "%s: recompiling with its own field map fails: %s",
           t->name, e.msg);
  for (uint32_t i = 0; i < root->nprops; i++) {
    const char *p = root->prop_names[i];
    if (sch_is_system(p)) continue;
    FZ_CHECK(rec_dict_id(&t2->dict, p) == rec_dict_id(&t->dict, p),
             "%s.%s changed id on recompile", t->name, p);
  }
  FZ_CHECK(t2->n_indexed == t->n_indexed, "indexed fields changed");
  sch_free(t2);
  json_decref(fields);

  /* entities: the palette as a whole entity, then per property */
  for (size_t v = 0; v < NPAL; v++)
    try_entity(t, json_deep_copy(palette[v]));
  try_entity(t, entity(root, NULL, 0, 11));
  try_entity(t, entity(root, NULL, 0, 5));
  for (uint32_t i = 0; i < root->nprops && i < 24; i++) {
    const char *p = root->prop_names[i];
    for (size_t v = 0; v < NPAL; v++) {
      try_entity(t, entity(root, p, v, 11));
      json_t *val = json_deep_copy(palette[v]);
      rc = sch_normalize_value(t, p, &val, &lim, &e);
      FZ_CHECK(rc == REMDB_OK || rc == REMDB_TOOBIG,
               "sch_normalize_value(%s) returned %d: %s", p, rc, e.msg);
      buf_t kb;
      buf_init(&kb);
      if (okey_json(&kb, val, &e) == REMDB_OK) {
        size_t used = 0;
        okey_val ov;
        FZ_CHECK(okey_decode(kb.p, kb.len, &used, &ov, NULL, &e) == REMDB_OK &&
                     used == kb.len,
                 "okey_json made an undecodable key");
      }
      buf_free(&kb);
      json_decref(val);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t je;
  json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                           &je);
  if (doc == NULL) return 0;
  json_t *fields = json_object_get(doc, "x-fields");
  if (!json_is_object(fields)) fields = NULL;
  err_t e;
  err_clear(&e);
  sch_table *t = NULL;
  int rc = sch_compile(doc, fields, &t, &e);
  if (rc != REMDB_OK) {
    FZ_CHECK(t == NULL, "sch_compile failed but set *out");
    FZ_CHECK(rc == REMDB_INVALID || rc == REMDB_CORRUPT || rc == REMDB_TOOBIG,
             "sch_compile returned %d: %s", rc, e.msg);
    check_err(rc, &e);
  } else {
    FZ_CHECK(t != NULL && t->root != NULL, "sch_compile OK without a table");
    check_table(t, doc);
    sch_table *r = sch_retain(t);
    sch_free(r);
    sch_free(t);
  }
  json_decref(doc);
  return 0;
}

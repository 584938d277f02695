/*
** fuzz_entity.c: arbitrary bytes as the JSON of an entity, through the
** write path's own steps: json_loadb (as core_parse_json does it), schema
** validation with normalisation, the record encoding, and back to JSON.
**
** Each input is checked against a fixed schema `fz` that uses every
** supported keyword, and against one built-in schema (chosen by the input's
** length).  Properties checked, beyond "no sanitizer report":
**   - a refusal is REMDB_SCHEMA, REMDB_TOOBIG or REMDB_INVALID with a message;
**   - validation is idempotent: a validated entity validates again,
**     unchanged (normalisation reaches a fixed point);
**   - a validated entity encodes (rec_from_json), the record opens, every
**     field is found by rec_find, rec_to_json gives valid JSON holding
**     exactly the entity's fields with equal values, and that JSON
**     validates again;
**   - every index key of the record (idx_key) has an OKEY that decodes and
**     is exactly as long as the key says.
*/
#include <jansson.h>

#include "fuzz.h"
#include "index/idx.h"
#include "record/rec.h"
#include "schema/node.h"
#include "schema/sch.h"

/* every keyword sch.h supports, nested objects, anyOf with normalising
** branches, a key field and indexed fields of each kind */
static const char fz_schema[] =
    "{\"name\":\"fz\",\"type\":\"object\",\"version\":1,"
    "\"description\":\"fuzz schema\",\"category\":\"entity\","
    "\"properties\":{"
    "\"key\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":16},"
    "\"status\":{\"enum\":[\"open\",\"closed\",1,null,{\"a\":[1]}]},"
    "\"priority\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
    "\"score\":{\"type\":\"number\",\"exclusiveMinimum\":-1000,"
    "\"exclusiveMaximum\":1000,\"multipleOf\":0.5},"
    "\"old_excl\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true,"
    "\"maximum\":1,\"exclusiveMaximum\":false},"
    "\"ratio\":{\"type\":[\"number\",\"null\"]},"
    "\"due_at\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\"},"
    "\"day\":{\"type\":\"string\",\"format\":\"date\"},"
    "\"email\":{\"type\":\"string\",\"format\":\"email\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
    "\"maxLength\":20},\"minItems\":0,\"maxItems\":8},"
    "\"flag\":{\"type\":\"boolean\"},"
    "\"kind\":{\"const\":\"issue\"},"
    "\"meta\":{\"type\":\"object\",\"properties\":{"
    "\"a\":{\"type\":\"integer\"},"
    "\"b\":{\"anyOf\":[{\"type\":\"string\",\"format\":\"date-time\"},"
    "{\"type\":\"integer\"}]},"
    "\"c\":{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"array\","
    "\"items\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
    "\"integer\"}}}}}},"
    "\"required\":[\"a\"],\"additionalProperties\":false},"
    "\"nums\":{\"type\":\"object\",\"additionalProperties\":"
    "{\"type\":\"number\",\"maximum\":100}},"
    "\"anything\":{},"
    "\"choice\":{\"anyOf\":[{\"type\":\"integer\",\"maximum\":10},"
    "{\"type\":\"string\",\"format\":\"date-time\"},"
    "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"number\"},"
    "{\"type\":\"null\"}]}}]},"
    "\"maybe\":{\"type\":\"integer\",\"nullable\":true},"
    "\"never\":false,"
    "\"always\":true,"
    "\"title\":{\"type\":\"string\",\"title\":\"t\",\"default\":\"x\","
    "\"examples\":[\"y\"]}},"
    "\"required\":[\"key\",\"created_at\"],"
    "\"key_field\":\"key\","
    "\"indexed_fields\":[\"status\",\"priority\",\"score\",\"due_at\","
    "\"tags\",\"flag\",\"created_at\",\"deleted_at\"],"
    "\"embedding_fields\":[\"title\"],"
    "\"embedding\":{\"dim\":8,\"metric\":\"l2\",\"provider\":\"none\"}}";

#define MAX_TABS 8
static sch_table *tabs[MAX_TABS];
static int ntabs;
static const sch_limits lim = {1u << 20, 64};

static const char created[] = "2024-01-02T03:04:05.000006Z";
static const char modified[] = "2024-02-03T04:05:06.000007Z";
static const char deleted[] = "2024-03-04T05:06:07.000008Z";
static const char idtext[] = "0191e0a0-0000-7000-8000-000000000001";
static const unsigned char id16[16] = {1, 2, 3, 4, 5, 6, 7, 8,
                                       9, 10, 11, 12, 13, 14, 15, 16};

static sch_table *compile_text(const char *text) {
  json_error_t je;
  json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (doc == NULL) {
    fprintf(stderr, "fuzz_entity: bad built-in schema text: %s\n", je.text);
    abort();
  }
  err_t e;
  err_clear(&e);
  sch_table *t = NULL;
  if (sch_compile(doc, NULL, &t, &e) != REMDB_OK) {
    fprintf(stderr, "fuzz_entity: schema does not compile: %s\n", e.msg);
    abort();
  }
  json_decref(doc); /* t holds its own reference */
  return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  tabs[ntabs++] = compile_text(fz_schema);
  for (int i = 0; i < sch_builtin_count && ntabs < MAX_TABS; i++)
    tabs[ntabs++] = compile_text(sch_builtin[i]);
  return 0;
}

static void check_msg(int rc, const err_t *e) {
  FZ_CHECK(e->code == rc, "error slot holds code %d, call returned %d",
           e->code, rc);
  FZ_CHECK(memchr(e->msg, 0, sizeof e->msg) != NULL && e->msg[0] != 0,
           "error %d without a message", rc);
}

static void check_record(const sch_table *t, json_t *o) {
  err_t e;
  err_clear(&e);
  buf_t rb, js, kb;
  buf_init(&rb);
  buf_init(&js);
  buf_init(&kb);
  const char *del = (json_object_size(o) & 1) ? deleted : NULL;
  int rc = rec_from_json(&t->dict, o, created, modified, del, &rb, &e);
  FZ_CHECK(rc == REMDB_OK, "%s: a validated entity does not encode: %s",
           t->name, e.msg);
  rec_view v;
  rc = rec_open(&v, rb.p, rb.len, &e);
  FZ_CHECK(rc == REMDB_OK, "%s: rec_from_json made a record rec_open "
           "refuses: %s", t->name, e.msg);
  for (uint32_t i = 0; i < v.n; i++) {
    rec_field f, g;
    rec_at(&v, i, &f);
    FZ_CHECK(rec_find(&v, f.id, &g) && g.p == f.p && g.n == f.n &&
                 g.type == f.type,
             "rec_find(%u) disagrees with rec_at(%u)", f.id, i);
  }
  rc = rec_to_json(&t->dict, &v, idtext, t->name, &js, &e);
  FZ_CHECK(rc == REMDB_OK, "rec_to_json: %s", e.msg);
  json_error_t je;
  json_t *back = json_loadb(js.p, js.len, JSON_REJECT_DUPLICATES, &je);
  FZ_CHECK(back != NULL, "rec_to_json made invalid JSON (%s at %d): %.*s",
           je.text, je.position, (int)(js.len > 2000 ? 2000 : js.len), js.p);
  size_t nuser = 0;
  const char *k;
  json_t *val;
  json_object_foreach(o, k, val) {
    if (sch_is_system(k)) continue;
    nuser++;
    json_t *b = json_object_get(back, k);
    FZ_CHECK(b != NULL && json_equal(b, val),
             "%s.%s did not survive the record round trip: %.*s", t->name, k,
             (int)(js.len > 2000 ? 2000 : js.len), js.p);
  }
  FZ_CHECK(json_object_size(back) == nuser + 5,
           "round trip has %zu members, expected %zu: %.*s",
           json_object_size(back), nuser + 5,
           (int)(js.len > 2000 ? 2000 : js.len), js.p);
  const char *ty = json_string_value(json_object_get(back, "type"));
  const char *id = json_string_value(json_object_get(back, "id"));
  FZ_CHECK(ty && strcmp(ty, t->name) == 0 && id && strcmp(id, idtext) == 0,
           "id or type lost");
  const char *c = json_string_value(json_object_get(back, "created_at"));
  FZ_CHECK(c && strcmp(c, created) == 0, "created_at lost");
  json_t *d = json_object_get(back, "deleted_at");
  FZ_CHECK(del ? (json_is_string(d) && strcmp(json_string_value(d), del) == 0)
               : json_is_null(d),
           "deleted_at wrong");
  /* the JSON a read returns validates again */
  rc = sch_validate(t, back, &lim, &e);
  FZ_CHECK(rc == REMDB_OK, "%s: the entity read back does not validate: %s",
           t->name, e.msg);
  json_decref(back);
  /* index keys: TID TBL FLD OKEY ID */
  for (uint32_t j = 0; j < t->n_indexed; j++) {
    buf_reset(&kb);
    idx_key(&kb, 7, 9, t->indexed[j], &v, id16);
    FZ_CHECK(!kb.oom && kb.len >= 10 + 1 + 16, "index key too short");
    size_t used = 0;
    okey_val ov;
    rc = okey_decode(kb.p + 10, kb.len - 26, &used, &ov, NULL, &e);
    FZ_CHECK(rc == REMDB_OK && used == kb.len - 26,
             "index key of field %u does not decode: rc %d used %zu of %zu",
             t->indexed[j], rc, used, kb.len - 26);
  }
  buf_free(&rb);
  buf_free(&js);
  buf_free(&kb);
}

static void run_one(const sch_table *t, json_t *o) {
  err_t e;
  err_clear(&e);
  int rc = sch_validate(t, o, &lim, &e);
  if (rc != REMDB_OK) {
    FZ_CHECK(rc == REMDB_SCHEMA || rc == REMDB_TOOBIG || rc == REMDB_INVALID,
             "sch_validate returned %d: %s", rc, e.msg);
    check_msg(rc, &e);
    return;
  }
  json_t *again = json_deep_copy(o);
  FZ_CHECK(again != NULL, "json_deep_copy");
  rc = sch_validate(t, again, &lim, &e);
  FZ_CHECK(rc == REMDB_OK, "%s: a validated entity fails validation: %s",
           t->name, e.msg);
  FZ_CHECK(json_equal(again, o), "%s: normalisation is not idempotent",
           t->name);
  json_decref(again);
  check_record(t, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t je;
  json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                           &je);
  if (obj == NULL) return 0;
  json_t *copy = json_deep_copy(obj);
  run_one(tabs[0], obj);
  if (copy) run_one(tabs[1 + size % (size_t)(ntabs - 1)], copy);
  json_decref(copy);
  json_decref(obj);
  return 0;
}

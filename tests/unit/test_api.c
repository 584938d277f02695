/* test_api.c: the public C API end to end: tenants, schemas, the entity
** life cycle, batches, deterministic ids, index lookups, schema
** replacement, verify catching damage that reindex repairs, reopen. */
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h> /* mallinfo2 */
#endif
#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kv/kv.h"
#include "kv/kv.h" /* twice: its include guard covers the whole header */
#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];

/* a string literal and its length */
#define S(lit) lit, strlen(lit)

static const char *users_schema =
    "{\"name\":\"users\",\"properties\":{"
    "\"handle\":{\"type\":\"string\",\"maxLength\":32},"
    "\"age\":{\"type\":[\"integer\",\"null\"],\"minimum\":0},"
    "\"team\":{\"type\":\"string\"},"
    "\"joined\":{\"type\":\"string\",\"format\":\"date-time\"}},"
    "\"required\":[\"handle\"],\"key_field\":\"handle\","
    "\"indexed_fields\":[\"team\",\"age\"]}";

static remdb *open_db(const char *tenant) {
  remdb *db = NULL;
  int rc = remdb_open(dir, tenant, NULL, &db);
  CHECK_INT(rc, REMDB_OK);
  if (rc) fprintf(stderr, "open: %s\n", remdb_errmsg(db));
  return db;
}

static json_t *get_json(remdb *db, const char *id, int flags) {
  char *j = NULL;
  if (remdb_get(db, NULL, id, flags, &j, NULL) != REMDB_OK) return NULL;
  json_t *o = json_loads(j, 0, NULL);
  remdb_free(j);
  return o;
}

static int insert(remdb *db, const char *table, const char *json, char *id) {
  return remdb_insert(db, table, json, strlen(json), id);
}

static uint64_t verify(remdb *db) {
  uint64_t problems = 99;
  CHECK_INT(remdb_verify(db, NULL, NULL, &problems), REMDB_OK);
  return problems;
}

static size_t find_count(remdb *db, const char *t, const char *f,
                         const char *v) {
  char *out = NULL;
  if (remdb_find(db, t, f, v, 0, &out) != REMDB_OK) return (size_t)-1;
  json_t *a = json_loads(out, 0, NULL);
  size_t n = json_array_size(a);
  json_decref(a);
  remdb_free(out);
  return n;
}

static void test_lifecycle(void) {
  remdb *db = open_db("acme");
  if (!db) return;
  CHECK_INT(remdb_init(db), REMDB_OK);
  CHECK_INT(remdb_init(db), REMDB_OK); /* idempotent */
  CHECK_INT(remdb_schema_put(db, users_schema, strlen(users_schema)),
            REMDB_OK);
  char *list;
  CHECK_INT(remdb_schema_list(db, &list), REMDB_OK);
  CHECK_STR(list, "[\"agents\",\"messages\",\"moments\",\"resources\","
                  "\"sessions\",\"users\"]");
  remdb_free(list);

  char id[REMDB_ID_LEN + 1], id2[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "users",
                   "{\"handle\":\"ann\",\"age\":30,\"team\":\"red\","
                   "\"joined\":\"2024-01-01T12:00:00+02:00\"}",
                   id),
            REMDB_OK);
  json_t *o = get_json(db, id, 0);
  CHECK(o != NULL);
  CHECK_STR(json_string_value(json_object_get(o, "type")), "users");
  CHECK_STR(json_string_value(json_object_get(o, "joined")),
            "2024-01-01T10:00:00.000000Z");
  char created[64];
  snprintf(created, sizeof created, "%s",
           json_string_value(json_object_get(o, "created_at")));
  json_decref(o);

  /* same key_field: same id, an upsert that keeps created_at */
  CHECK_INT(insert(db, "users", "{\"handle\":\"ann\",\"age\":31,\"team\":"
                                "\"blue\"}", id2),
            REMDB_OK);
  CHECK_STR(id2, id);
  o = get_json(db, id, 0);
  CHECK_INT(json_integer_value(json_object_get(o, "age")), 31);
  CHECK_STR(json_string_value(json_object_get(o, "created_at")), created);
  CHECK(json_object_get(o, "joined") == NULL); /* replaced, not merged */
  json_decref(o);
  CHECK_INT(find_count(db, "users", "team", "\"red\""), 0);
  CHECK_INT(find_count(db, "users", "team", "\"blue\""), 1);

  /* update: merge patch, revalidated */
  CHECK_INT(remdb_update(db, id, S("{\"age\":-1}")), REMDB_SCHEMA);
  CHECK_HAS(remdb_errmsg(db), "users.age: below minimum 0");
  CHECK_INT(remdb_update(db, id, S("{\"age\":null,\"team\":\"red\"}")),
            REMDB_OK);
  o = get_json(db, id, 0);
  CHECK(json_object_get(o, "age") == NULL);
  CHECK_STR(json_string_value(json_object_get(o, "team")), "red");
  json_decref(o);
  CHECK_INT(remdb_update(db, id,
                         S("{\"created_at\":\"2020-01-01T00:00:00Z\"}")),
            REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "users.created_at: system field");
  CHECK_INT(remdb_update(db, id, S("[1]")), REMDB_INVALID);
  CHECK_INT(find_count(db, "users", "age", "null"), 1);
  CHECK_INT(find_count(db, "users", "team", "\"red\""), 1);

  /* bad input: nothing is written */
  CHECK_INT(insert(db, "users", "{\"handle\":5}", NULL), REMDB_SCHEMA);
  CHECK_INT(insert(db, "users", "{\"handle\":", NULL), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "invalid JSON at line 1");
  CHECK_INT(insert(db, "nope", "{}", NULL), REMDB_NOTFOUND);
  CHECK_HAS(remdb_errmsg(db), "unknown table \"nope\"");
  CHECK_INT(insert(db, "users", "{\"handle\":\"x\",\"handle\":\"y\"}", NULL),
            REMDB_INVALID);
  CHECK_INT(insert(db, "users", "{\"handle\":\"x\",\"type\":\"agents\"}",
                   NULL),
            REMDB_INVALID);
  CHECK_INT(insert(db, "users", "{\"handle\":\"x\",\"id\":\"nope\"}", NULL),
            REMDB_INVALID);
  CHECK_INT(remdb_get(db, NULL, "not-an-id", 0, &list, NULL), REMDB_INVALID);
  CHECK_INT(remdb_get(db, NULL, "00000000-0000-4000-8000-000000000000", 0,
                      &list, NULL),
            REMDB_NOTFOUND);
  uint64_t n;
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);

  /* explicit ids: kept, and one id cannot live in two tables */
  const char *eid = "11111111-2222-4333-8444-555555555555";
  CHECK_INT(insert(db, "sessions",
                   "{\"id\":\"11111111-2222-4333-8444-555555555555\","
                   "\"status\":\"active\"}",
                   id2),
            REMDB_OK);
  CHECK_STR(id2, eid);
  CHECK_INT(insert(db, "agents",
                   "{\"id\":\"11111111-2222-4333-8444-555555555555\","
                   "\"name\":\"x\"}",
                   NULL),
            REMDB_INVALID); /* agents ids derive from name */
  CHECK_INT(insert(db, "messages",
                   "{\"id\":\"11111111-2222-4333-8444-555555555555\","
                   "\"session_id\":\"s\",\"role\":\"user\",\"content\":\"c\"}",
                   NULL),
            REMDB_EXISTS);

  /* resources: id from uri + chunk_ordinal */
  char r0[REMDB_ID_LEN + 1], r0b[REMDB_ID_LEN + 1], r1[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "resources",
                   "{\"uri\":\"file:///a.md\",\"chunk_ordinal\":0,"
                   "\"content\":\"x\"}",
                   r0),
            REMDB_OK);
  CHECK_INT(insert(db, "resources",
                   "{\"uri\":\"file:///a.md\",\"chunk_ordinal\":0,"
                   "\"content\":\"y\"}",
                   r0b),
            REMDB_OK);
  CHECK_INT(insert(db, "resources",
                   "{\"uri\":\"file:///a.md\",\"chunk_ordinal\":1,"
                   "\"content\":\"z\"}",
                   r1),
            REMDB_OK);
  CHECK_STR(r0b, r0);
  CHECK(strcmp(r0, r1) != 0);
  CHECK_INT(remdb_count(db, "resources", 0, &n), REMDB_OK);
  CHECK_INT(n, 2);

  /* soft delete hides, hard delete removes */
  CHECK_INT(remdb_delete(db, r0, 0), REMDB_OK);
  CHECK(get_json(db, r0, 0) == NULL);
  o = get_json(db, r0, REMDB_INCLUDE_DELETED);
  CHECK(o && json_is_string(json_object_get(o, "deleted_at")));
  json_decref(o);
  CHECK_INT(remdb_delete(db, r0, 0), REMDB_NOTFOUND);
  CHECK_INT(remdb_update(db, r0, S("{\"content\":\"q\"}")), REMDB_NOTFOUND);
  CHECK_INT(remdb_count(db, "resources", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(remdb_count(db, "resources", REMDB_INCLUDE_DELETED, &n), REMDB_OK);
  CHECK_INT(n, 2);
  CHECK_INT(find_count(db, "resources", "uri", "\"file:///a.md\""), 1);
  CHECK_INT(remdb_delete(db, r1, REMDB_HARD), REMDB_OK);
  CHECK(get_json(db, r1, REMDB_INCLUDE_DELETED) == NULL);
  CHECK_INT(remdb_count(db, "resources", REMDB_INCLUDE_DELETED, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(verify(db), 0);

  /* iteration sees live rows in id order */
  remdb_iter *it;
  CHECK_INT(remdb_iter_open(db, "users", 0, &it), REMDB_OK);
  const char *row;
  size_t len;
  int rows = 0, r;
  while ((r = remdb_iter_next(it, &row, &len)) == REMDB_ROW) rows++;
  CHECK_INT(r, REMDB_DONE);
  CHECK_INT(rows, 1);
  remdb_iter_free(it);

  /* tenant isolation: another tenant sees none of it */
  remdb *other = NULL;
  CHECK_INT(remdb_open_tenant(db, "globex", &other), REMDB_OK);
  CHECK_INT(remdb_get(other, NULL, id, REMDB_INCLUDE_DELETED, &list, NULL),
            REMDB_NOTFOUND);
  CHECK_INT(remdb_count(other, "users", 0, &n), REMDB_NOTFOUND);
  CHECK_INT(remdb_schema_list(other, &list), REMDB_OK);
  CHECK_STR(list, "[]");
  remdb_free(list);
  CHECK_INT(remdb_delete(other, id, REMDB_HARD), REMDB_NOTFOUND);
  CHECK_INT(remdb_update(other, id, S("{}")), REMDB_NOTFOUND);
  CHECK_INT(remdb_schema_put(other, users_schema, strlen(users_schema)),
            REMDB_OK);
  char oid[REMDB_ID_LEN + 1];
  CHECK_INT(insert(other, "users", "{\"handle\":\"ann\"}", oid), REMDB_OK);
  CHECK(strcmp(oid, id) != 0); /* the tenant is part of the derived id */
  CHECK_INT(verify(other), 0);
  remdb_close(other);
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);

  const char *bad[] = {"", "..", "../etc", "a/b", ".", "-x", "a b",
                       "t\xc3\xa9", "x\n",
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaa"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_INT(remdb_open_tenant(db, bad[i], &other), REMDB_INVALID);
    CHECK_HAS(remdb_errmsg(other), "invalid tenant name");
    remdb_close(other);
  }
  remdb_close(db);
}

static void test_batch(void) {
  remdb *db = open_db("acme");
  if (!db) return;
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  char id1[REMDB_ID_LEN + 1], id2[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":\"bob\",\"team\":"
                                           "\"red\"}"), id1),
            REMDB_OK);
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":\"bob\",\"team\":"
                                           "\"green\"}"), id2),
            REMDB_OK);
  CHECK_STR(id1, id2);
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":7}"), NULL),
            REMDB_SCHEMA);
  CHECK_INT(remdb_batch_count(b), 2);
  /* a write through the handle while this thread holds the batch */
  CHECK_INT(insert(db, "users", "{\"handle\":\"zed\"}", NULL), REMDB_MISUSE);
  /* nothing visible before commit */
  CHECK(get_json(db, id1, 0) == NULL);
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  json_t *o = get_json(db, id1, 0);
  CHECK_STR(json_string_value(json_object_get(o, "team")), "green");
  json_decref(o);
  CHECK_INT(find_count(db, "users", "team", "\"red\""), 1); /* ann */
  CHECK_INT(find_count(db, "users", "team", "\"green\""), 1);
  /* an uncommitted batch is dropped by free */
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":\"cat\"}"), id1),
            REMDB_OK);
  remdb_batch_free(b);
  CHECK(get_json(db, id1, 0) == NULL);
  CHECK_INT(insert(db, "users", "{\"handle\":\"zed\"}", NULL), REMDB_OK);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
}

static void test_schema_change(void) {
  remdb *db = open_db("acme");
  if (!db) return;
  /* index a new field (handle), stop indexing age */
  const char *v2 =
      "{\"name\":\"users\",\"properties\":{"
      "\"handle\":{\"type\":\"string\",\"maxLength\":32},"
      "\"age\":{\"type\":[\"integer\",\"null\"],\"minimum\":0},"
      "\"team\":{\"type\":\"string\"},"
      "\"joined\":{\"type\":\"string\",\"format\":\"date-time\"}},"
      "\"required\":[\"handle\"],\"key_field\":\"handle\","
      "\"indexed_fields\":[\"team\",\"handle\"]}";
  CHECK_INT(remdb_schema_put(db, v2, strlen(v2)), REMDB_OK);
  CHECK_INT(find_count(db, "users", "handle", "\"bob\""), 1);
  CHECK_INT(find_count(db, "users", "age", "null"), (size_t)-1);
  CHECK_INT(verify(db), 0);
  /* a replacement that stored rows break is refused, nothing changes */
  const char *v3 =
      "{\"name\":\"users\",\"properties\":{"
      "\"handle\":{\"type\":\"string\",\"maxLength\":2},"
      "\"team\":{\"type\":\"string\"}},\"required\":[\"handle\"],"
      "\"key_field\":\"handle\",\"indexed_fields\":[\"team\"]}";
  CHECK_INT(remdb_schema_put(db, v3, strlen(v3)), REMDB_SCHEMA);
  CHECK_HAS(remdb_errmsg(db), "cannot replace schema users");
  CHECK_HAS(remdb_errmsg(db), "longer than maxLength 2");
  CHECK_INT(find_count(db, "users", "handle", "\"bob\""), 1);
  /* dropping a property keeps its data as an undeclared field */
  const char *v4 =
      "{\"name\":\"users\",\"properties\":{"
      "\"handle\":{\"type\":\"string\"},\"team\":{\"type\":\"string\"},"
      "\"joined\":{\"type\":\"string\",\"format\":\"date-time\"}},"
      "\"required\":[\"handle\"],\"key_field\":\"handle\","
      "\"indexed_fields\":[\"team\"]}";
  CHECK_INT(remdb_schema_put(db, v4, strlen(v4)), REMDB_OK);
  CHECK_INT(verify(db), 0);
  /* drop the table: entities and their index entries go */
  char *j;
  CHECK_INT(remdb_schema_drop(db, "users"), REMDB_OK);
  CHECK_INT(remdb_schema_get(db, "users", &j), REMDB_NOTFOUND);
  CHECK_INT(remdb_schema_drop(db, "users"), REMDB_NOTFOUND);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
}

/* Apply schema doc (a C string) and require verify to find nothing after
** it, whether it was accepted or refused. */
static char put_err[1024]; /* the schema change's message */

static int put_verified(remdb *db, const char *doc, int line) {
  int rc = remdb_schema_put(db, doc, strlen(doc));
  snprintf(put_err, sizeof put_err, "%s", rc ? remdb_errmsg(db) : "");
  uint64_t problems = 99;
  int vrc = remdb_verify(db, NULL, NULL, &problems);
  if (vrc != REMDB_OK || problems != 0) {
    t_fail++;
    fprintf(stderr, "test_api.c:%d: verify after schema change: rc %d, %llu "
            "problems (schema rc %d: %s)\n", line, vrc,
            (unsigned long long)problems, rc, put_err);
  } else {
    t_pass++;
  }
  return rc;
}
#define PUT_OK(db, doc) CHECK_INT(put_verified(db, doc, __LINE__), REMDB_OK)

static size_t lookup_count(remdb *db, const char *key) {
  char *out = NULL;
  const char *keys[1] = {key};
  if (remdb_lookup(db, keys, 1, 0, &out) != REMDB_OK) return (size_t)-1;
  json_t *a = json_loads(out, 0, NULL);
  size_t n = json_array_size(a);
  json_decref(a);
  remdb_free(out);
  return n;
}

/* A series of schema changes on tables holding rows: verify passes after
** every one that succeeds, and a change of key_field is refused while the
** table has rows (the ids derive from it) but allowed on an empty one. */
static void test_schema_series(void) {
  remdb *db = open_db("evolve");
  if (!db) return;
  PUT_OK(db, "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"b\":{\"type\":\"integer\"}},\"key_field\":\"a\"}");
  for (int i = 0; i < 40; i++) {
    char row[96];
    snprintf(row, sizeof row, "{\"a\":\"k%d\",\"b\":%d,\"name\":\"N%d\"}", i,
             i % 5, i);
    CHECK_INT(insert(db, "evo", row, NULL), REMDB_OK);
  }
  CHECK_INT(lookup_count(db, "k7"), 1);
  /* index a field, then a system field */
  PUT_OK(db, "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"b\":{\"type\":\"integer\"}},\"key_field\":\"a\","
             "\"indexed_fields\":[\"b\",\"created_at\"]}");
  CHECK_INT(find_count(db, "evo", "b", "3"), 8);
  /* a new property (re-encoding every row: name was undeclared) */
  PUT_OK(db, "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"b\":{\"type\":\"integer\"},\"name\":{\"type\":\"string\"}},"
             "\"key_field\":\"a\",\"indexed_fields\":[\"b\",\"name\"]}");
  CHECK_INT(find_count(db, "evo", "name", "\"N9\""), 1);
  CHECK_INT(lookup_count(db, "N9"), 1);
  /* b widens to number: re-encoded, its index rewritten */
  PUT_OK(db, "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"b\":{\"type\":\"number\"},\"name\":{\"type\":\"string\"}},"
             "\"key_field\":\"a\",\"indexed_fields\":[\"b\",\"name\"]}");
  CHECK_INT(find_count(db, "evo", "b", "3"), 8);
  /* stop indexing b; name stops being a property */
  PUT_OK(db, "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"b\":{\"type\":\"number\"}},\"key_field\":\"a\"}");
  CHECK_INT(lookup_count(db, "N9"), 1);
  /* a required field every row has */
  PUT_OK(db, "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"b\":{\"type\":\"number\"}},\"key_field\":\"a\","
             "\"required\":[\"a\",\"b\"]}");
  /* a new key_field while rows exist: refused, nothing changes */
  const char *rekey =
      "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
      "\"b\":{\"type\":\"number\"}},\"key_field\":\"b\"}";
  CHECK_INT(put_verified(db, rekey, __LINE__), REMDB_INVALID);
  CHECK_HAS(put_err, "evo.key_field: ids derive from key_field \"a\"; it "
                     "cannot change to key_field \"b\"");
  CHECK_HAS(put_err, "export the table");
  const char *nokey =
      "{\"name\":\"evo\",\"properties\":{\"a\":{\"type\":\"string\"},"
      "\"b\":{\"type\":\"number\"}}}";
  CHECK_INT(put_verified(db, nokey, __LINE__), REMDB_INVALID);
  CHECK_INT(lookup_count(db, "k7"), 1);
  char id[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "evo", "{\"a\":\"k7\",\"b\":70}", id), REMDB_OK);
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "evo", 0, &n), REMDB_OK);
  CHECK_INT(n, 40); /* an upsert, not a duplicate */
  /* soft-deleted rows still hold ids: still refused */
  PUT_OK(db, "{\"name\":\"gone\",\"properties\":{\"a\":{\"type\":\"string\"},"
             "\"c\":{\"type\":\"string\"}},\"key_field\":\"a\"}");
  CHECK_INT(insert(db, "gone", "{\"a\":\"x\",\"c\":\"y\"}", id), REMDB_OK);
  CHECK_INT(remdb_delete(db, id, 0), REMDB_OK);
  const char *gone2 =
      "{\"name\":\"gone\",\"properties\":{\"a\":{\"type\":\"string\"},"
      "\"c\":{\"type\":\"string\"}},\"key_field\":\"c\"}";
  CHECK_INT(put_verified(db, gone2, __LINE__), REMDB_INVALID);
  CHECK_INT(remdb_delete(db, id, REMDB_HARD), REMDB_OK);
  /* empty again: the new key_field is taken and works */
  PUT_OK(db, gone2);
  CHECK_INT(insert(db, "gone", "{\"a\":\"x\",\"c\":\"y\"}", id), REMDB_OK);
  CHECK_INT(lookup_count(db, "y"), 1);
  char id2[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "gone", "{\"a\":\"z\",\"c\":\"y\"}", id2), REMDB_OK);
  CHECK_STR(id2, id);
  CHECK_INT(put_verified(db, "{\"name\":\"gone\",\"properties\":{\"a\":{"
                             "\"type\":\"string\"},\"c\":{\"type\":"
                             "\"string\"}}}", __LINE__),
            REMDB_INVALID);
  /* embeddings: a table with vectors, its graph parameters changed, its
  ** text fields changed, a property added and indexed */
  PUT_OK(db, "{\"name\":\"docs\",\"properties\":{\"t\":{\"type\":\"string\"},"
             "\"u\":{\"type\":\"string\"}},\"embedding_fields\":[\"t\"],"
             "\"embedding\":{\"dim\":8,\"provider\":\"hash\"}}");
  for (int i = 0; i < 30; i++) {
    char row[96];
    snprintf(row, sizeof row, "{\"t\":\"text %d\",\"u\":\"u%d\"}", i, i % 3);
    CHECK_INT(insert(db, "docs", row, NULL), REMDB_OK);
  }
  PUT_OK(db, "{\"name\":\"docs\",\"properties\":{\"t\":{\"type\":\"string\"},"
             "\"u\":{\"type\":\"string\"}},\"embedding_fields\":[\"t\"],"
             "\"embedding\":{\"dim\":8,\"provider\":\"hash\",\"M\":8,"
             "\"ef_construction\":50,\"ef_search\":20}}");
  PUT_OK(db, "{\"name\":\"docs\",\"properties\":{\"t\":{\"type\":\"string\"},"
             "\"u\":{\"type\":\"string\"},\"v\":{\"type\":\"integer\"}},"
             "\"embedding_fields\":[\"t\",\"u\"],\"indexed_fields\":[\"u\"],"
             "\"embedding\":{\"dim\":8,\"provider\":\"hash\",\"M\":8,"
             "\"ef_construction\":50}}");
  CHECK_INT(find_count(db, "docs", "u", "\"u1\""), 10);
  CHECK_INT(put_verified(db, "{\"name\":\"docs\",\"properties\":{\"t\":{"
                             "\"type\":\"string\"}},\"embedding\":{\"dim\":"
                             "16}}", __LINE__),
            REMDB_INVALID);
  /* a key the new schema would store otherwise (format date-time makes
  ** it canonical) would no longer give its row's id: refused while rows
  ** hold such a key; a key already canonical, or an integral number key
  ** narrowed to integer (2.0 and 2 give one id), is fine */
  PUT_OK(db, "{\"name\":\"dkey\",\"properties\":{\"d\":{\"type\":"
             "\"string\"}},\"key_field\":\"d\"}");
  CHECK_INT(insert(db, "dkey", "{\"d\":\"2023-12-31T23:00:00.000000Z\"}", NULL),
            REMDB_OK);
  const char *dfmt =
      "{\"name\":\"dkey\",\"properties\":{\"d\":{\"type\":\"string\","
      "\"format\":\"date-time\"}},\"key_field\":\"d\"}";
  PUT_OK(db, dfmt);
  PUT_OK(db, "{\"name\":\"dkey\",\"properties\":{\"d\":{\"type\":"
             "\"string\"}},\"key_field\":\"d\"}");
  CHECK_INT(insert(db, "dkey", "{\"d\":\"2024-01-01T00:00:00+01:00\"}", id),
            REMDB_OK);
  CHECK_INT(put_verified(db, dfmt, __LINE__), REMDB_INVALID);
  CHECK_HAS(put_err, "has key_field d = \"2024-01-01T00:00:00+01:00\", which "
                     "the new schema stores as \"2023-12-31T23:00:00.000000Z\"");
  CHECK_INT(remdb_delete(db, id, REMDB_HARD), REMDB_OK);
  PUT_OK(db, dfmt);
  CHECK_INT(lookup_count(db, "2023-12-31T23:00:00.000000Z"), 1);
  PUT_OK(db, "{\"name\":\"nkey\",\"properties\":{\"k\":{\"type\":"
             "\"number\"}},\"key_field\":\"k\"}");
  CHECK_INT(insert(db, "nkey", "{\"k\":2.0}", id), REMDB_OK);
  PUT_OK(db, "{\"name\":\"nkey\",\"properties\":{\"k\":{\"type\":"
             "\"integer\"}},\"key_field\":\"k\"}");
  CHECK_INT(insert(db, "nkey", "{\"k\":2}", id2), REMDB_OK);
  CHECK_STR(id2, id);
  /* a number field holding 2.0 narrows to integer: the row is re-encoded
  ** (2.0 becomes 2) and its index entry with it */
  PUT_OK(db, "{\"name\":\"nums\",\"properties\":{\"x\":{\"type\":\"number\"}},"
             "\"indexed_fields\":[\"x\"]}");
  CHECK_INT(insert(db, "nums", "{\"x\":2.0}", NULL), REMDB_OK);
  PUT_OK(db, "{\"name\":\"nums\",\"properties\":{\"x\":{\"type\":"
             "\"integer\"}},\"indexed_fields\":[\"x\"]}");
  CHECK_INT(find_count(db, "nums", "x", "2"), 1);
  /* a built-in table's id rule (uri and chunk_ordinal) */
  CHECK_INT(remdb_init(db), REMDB_OK);
  char *res = NULL;
  CHECK_INT(remdb_schema_get(db, "resources", &res), REMDB_OK);
  CHECK_INT(insert(db, "resources", "{\"uri\":\"file:a\",\"chunk_ordinal\":0,"
                                    "\"content\":\"hello\"}", NULL),
            REMDB_OK);
  json_t *rd = json_loads(res, 0, NULL);
  remdb_free(res);
  json_object_set_new(rd, "key_field", json_string("content"));
  char *rtext = json_dumps(rd, JSON_COMPACT);
  json_decref(rd);
  CHECK_INT(put_verified(db, rtext, __LINE__), REMDB_INVALID);
  CHECK_HAS(put_err, "ids derive from uri and chunk_ordinal");
  free(rtext);
  remdb_close(db);
}

/* The id of tenant name, read from the tenant directory (0 'T' NAME). */
static uint32_t tenant_id(kv_t *kv, const char *name) {
  buf_t k;
  buf_init(&k);
  key_named(&k, 0, 'T', name);
  kv_val v;
  err_t e;
  uint32_t tid = 0;
  if (kv_get(kv, NULL, KV_META, k.p, k.len, &v, &e) == REMDB_OK) {
    if (v.len == 4) tid = get_u32be((const unsigned char *)v.data);
    kv_val_free(&v);
  }
  buf_free(&k);
  return tid;
}

/* The first column of the first row of sql as text (malloc'd), or NULL on
** an error (the message in put_err). */
static char *sql_first(remdb *db, const char *sql) {
  remdb_stmt *st = NULL;
  char *out = NULL;
  int rc = remdb_prepare(db, sql, strlen(sql), &st, NULL);
  if (rc == REMDB_OK) rc = remdb_step(st);
  if (rc == REMDB_ROW) {
    const char *t = remdb_column_text(st, 0, NULL);
    out = strdup(t ? t : "(null)");
  } else {
    snprintf(put_err, sizeof put_err, "%s", remdb_errmsg(db));
  }
  remdb_finalize(st);
  return out;
}

/* Every EXPLAIN route of sql, "table|route" per line (malloc'd). */
static char *explain_routes(remdb *db, const char *sql) {
  char q[512], *out = calloc(1, 4096);
  snprintf(q, sizeof q, "EXPLAIN %s", sql);
  remdb_stmt *st = NULL;
  if (out && remdb_prepare(db, q, strlen(q), &st, NULL) == REMDB_OK)
    while (remdb_step(st) == REMDB_ROW) {
      size_t used = strlen(out);
      snprintf(out + used, 4096 - used, "%s|%s\n",
               remdb_column_text(st, 0, NULL), remdb_column_text(st, 1, NULL));
    }
  remdb_finalize(st);
  return out;
}

/* Names SQLite takes for the same (case ignored, T and T_all) are refused
** by schema add; a database that already holds such schemas (written here
** below the API) still answers SQL, leaving out only what cannot be
** declared, and EXPLAIN says so. */
static void test_sql_names(void) {
  remdb *db = open_db("names");
  if (!db) return;
  PUT_OK(db, "{\"name\":\"x\",\"properties\":{\"a\":{\"type\":\"string\"}}}");
  CHECK_INT(insert(db, "x", "{\"a\":\"one\"}", NULL), REMDB_OK);
  static const struct {
    const char *doc, *msg;
  } bad[] = {
      {"{\"name\":\"X\",\"properties\":{}}",
       "schema: name \"X\" clashes with table \"x\" (SQL names ignore case"},
      {"{\"name\":\"x_all\",\"properties\":{}}",
       "name \"x_all\" is reserved (SQL shows every table T with its "
       "soft-deleted rows as T_all)"},
      {"{\"name\":\"y_ALL\",\"properties\":{}}", "is reserved"},
      {"{\"name\":\"Search\",\"properties\":{}}",
       "\"Search\" is reserved (a table-valued function"},
      {"{\"name\":\"traverse\",\"properties\":{}}", "is reserved"},
      {"{\"name\":\"lookup\",\"properties\":{}}", "is reserved"},
      {"{\"name\":\"json_each\",\"properties\":{}}", "is reserved"},
      {"{\"name\":\"SQLITE_x\",\"properties\":{}}", "is reserved"},
      {"{\"name\":\"pragma_x\",\"properties\":{}}", "is reserved"},
      {"{\"name\":\"y\",\"properties\":{\"ID\":{\"type\":\"string\"}}}",
       "y.properties: \"ID\" would clash in SQL (names ignore case) with "
       "the system field id"},
      {"{\"name\":\"y\",\"properties\":{\"Deleted_At\":{}}}",
       "system field deleted_at"},
      {"{\"name\":\"y\",\"properties\":{\"A\":{},\"b\":{},\"a\":{}}}",
       "y.properties: \"A\" and \"a\" would be the same SQL column"},
      /* replacing x with such properties is refused too */
      {"{\"name\":\"x\",\"properties\":{\"a\":{\"type\":\"string\"},"
       "\"TYPE\":{}}}",
       "x.properties: \"TYPE\" would clash"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_INT(put_verified(db, bad[i].doc, __LINE__), REMDB_INVALID);
    CHECK_HAS(put_err, bad[i].msg);
  }
  char *list = NULL;
  CHECK_INT(remdb_schema_list(db, &list), REMDB_OK);
  CHECK_STR(list, "[\"x\"]");
  remdb_free(list);
  char *v = sql_first(db, "SELECT 1");
  CHECK_STR(v, "1");
  free(v);
  remdb_close(db);

  /* write, as an older version could have, "X" beside "x", "x_all", and
  ** "y" with properties A and a */
  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = false, .sync = true,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  uint32_t tid = tenant_id(kv, "names");
  CHECK(tid != 0);
  static const char *const legacy[][2] = {
      {"X", "{\"table_id\":901,\"fields\":{},\"schema\":{\"name\":\"X\","
            "\"properties\":{\"b\":{\"type\":\"string\"}}}}"},
      {"x_all", "{\"table_id\":902,\"fields\":{},\"schema\":{\"name\":"
                "\"x_all\",\"properties\":{}}}"},
      {"y", "{\"table_id\":903,\"fields\":{},\"schema\":{\"name\":\"y\","
            "\"properties\":{\"A\":{\"type\":\"integer\"},\"a\":{\"type\":"
            "\"integer\"}}}}"},
  };
  kv_batch_t *kb = kv_batch_new(kv);
  for (size_t i = 0; i < 3; i++) {
    buf_t k;
    buf_init(&k);
    key_named(&k, tid, 'S', legacy[i][0]);
    kv_batch_put(kb, KV_META, k.p, k.len, legacy[i][1], strlen(legacy[i][1]));
    buf_free(&k);
  }
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);

  db = open_db("names");
  if (!db) return;
  v = sql_first(db, "SELECT 1");
  CHECK_STR(v, "1");
  free(v);
  v = sql_first(db, "SELECT count(*) FROM x WHERE a = 'one'");
  CHECK_STR(v, "1");
  free(v);
  char *routes = explain_routes(db, "SELECT 1");
  CHECK_HAS(routes, "(not in SQL)|");
  CHECK_HAS(routes, "y: SQL setup: remdb: cannot declare y: duplicate column");
  CHECK_HAS(routes, "x_all: SQL setup:");
  free(routes);
  /* tables are declared when a statement names them: the one SQL cannot
  ** declare fails the statements that name it, saying why, and only them;
  ** EXPLAIN after them still lists it once */
  v = sql_first(db, "SELECT count(*) FROM y");
  CHECK(v == NULL);
  free(v);
  CHECK_HAS(put_err, "cannot declare y: duplicate column");
  v = sql_first(db, "SELECT count(*) FROM x_all");
  CHECK_STR(v, "1");
  free(v);
  /* the columnar route reads the table SQL reads: x, older than the
  ** stored "X" and "x_all" whose names clash with x's */
  v = sql_first(db, "SELECT count(*), max(a) FROM X_ALL");
  CHECK_STR(v, "1");
  free(v);
  v = sql_first(db, "SELECT count(*) FROM X WHERE a = 'one'");
  CHECK_STR(v, "1");
  free(v);
  routes = explain_routes(db, "SELECT count(*) FROM x");
  CHECK_HAS(routes, "(not in SQL)|");
  CHECK_HAS(routes, "y: SQL setup: remdb: cannot declare y: duplicate column");
  CHECK(strstr(strstr(routes, "cannot declare y") + 1, "cannot declare y") ==
        NULL);
  CHECK_HAS(routes, "x|");
  free(routes);
  /* the other tables still answer; adding x's clashing twin stays refused */
  CHECK_INT(insert(db, "y", "{\"A\":1}", NULL), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"x\",\"properties\":{\"a\":{"
                                   "\"type\":\"string\"},\"c\":{}}}")),
            REMDB_OK); /* replacing the existing x is fine */
  v = sql_first(db, "SELECT count(*) FROM x");
  CHECK_STR(v, "1");
  free(v);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
}

/* Damage the index behind remdb's back; verify must see it, reindex fix
** it. */
static void test_verify_reindex(void) {
  remdb *db = open_db("acme");
  if (!db) return;
  CHECK_INT(remdb_schema_put(db, users_schema, strlen(users_schema)),
            REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) {
    char row[128];
    int n = snprintf(row, sizeof row,
                     "{\"handle\":\"u%d\",\"age\":%d,\"team\":\"t%d\"}", i,
                     i % 50, i % 7);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(find_count(db, "users", "team", "\"t3\""), 43);
  CHECK_INT(verify(db), 0);
  remdb_close(db);

  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = false, .sync = true,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  kv_iter_t *it;
  CHECK_INT(kv_iter_new(kv, NULL, KV_INDEX, NULL, 0, NULL, 0, &it, &e),
            REMDB_OK);
  kv_batch_t *kb = kv_batch_new(kv);
  int deleted = 0;
  char first_key[256];
  size_t first_len = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl;
    const char *k = kv_iter_key(it, &kl);
    /* a secondary entry (table id != 0): drop one, remember one */
    if (kl > 26 && get_u32be((const unsigned char *)k + 4) != 0 &&
        deleted < 1) {
      kv_batch_del(kb, KV_INDEX, k, kl);
      memcpy(first_key, k, kl);
      first_len = kl;
      deleted++;
    }
  }
  kv_iter_free(it);
  /* and plant an entry that points to no entity */
  first_key[first_len - 1] ^= 0x77;
  kv_batch_put(kb, KV_INDEX, first_key, first_len, "", 0);
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);

  db = open_db("acme");
  if (!db) return;
  CHECK_INT(verify(db), 2);
  CHECK_INT(remdb_reindex(db, NULL), REMDB_OK);
  CHECK_INT(verify(db), 0);
  CHECK_INT(find_count(db, "users", "team", "\"t3\""), 43);
  char *stats;
  CHECK_INT(remdb_stats(db, &stats), REMDB_OK);
  CHECK_HAS(stats, "\"users\":{\"entities\":300,\"deleted\":0,"
                   "\"index_entries\":600");
  remdb_free(stats);
  remdb_close(db);
}

static void collect(void *ctx, const char *problem) {
  char *buf = ctx;
  size_t used = strlen(buf);
  snprintf(buf + used, 4096 - used, "%s\n", problem);
}

/* A reindex killed after its first batch (the table marked for rebuild,
** its index and key-index entries dropped): verify on a read-only handle
** reports the pending rebuild in one line, not every missing entry; a
** read-write open finishes the rebuild and verify passes. */
static void test_verify_pending(void) {
  remdb *db = open_db("pending");
  if (!db) return;
  CHECK_INT(remdb_schema_put(db, users_schema, strlen(users_schema)),
            REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 200; i++) {
    char row[128];
    int n = snprintf(row, sizeof row,
                     "{\"handle\":\"p%d\",\"age\":%d,\"team\":\"t%d\"}", i,
                     i % 50, i % 7);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(verify(db), 0);
  remdb_close(db);

  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = false, .sync = true,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  CHECK_INT(kv_open(dir, &ko, &kv, &e), REMDB_OK);
  kv_iter_t *it;
  CHECK_INT(kv_iter_new(kv, NULL, KV_META, NULL, 0, NULL, 0, &it, &e),
            REMDB_OK);
  kv_batch_t *kb = kv_batch_new(kv);
  uint32_t tid = tenant_id(kv, "pending");
  int marked = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *val = kv_iter_value(it, &vl);
    if (kl != 10 || get_u32be((const unsigned char *)k) != tid ||
        k[4] != 'S' || memcmp(k + 5, "users", 5) != 0)
      continue;
    json_t *rec = json_loadb(val, vl, 0, NULL);
    json_t *fields = json_object_get(rec, "fields");
    uint32_t tbl = (uint32_t)json_integer_value(json_object_get(rec, "table_id"));
    json_object_set_new(
        rec, "rebuild",
        json_pack("{s:b,s:[O,O]}", "reencode", 0, "fields",
                  json_object_get(fields, "team"),
                  json_object_get(fields, "age")));
    char *text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    kv_batch_put(kb, KV_META, k, kl, text, strlen(text));
    free(text);
    unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
    key_table(lo, tid, tbl);
    key_table(hi, tid, tbl + 1);
    kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
    key_table(lo, tid, KEY_KEYIDX_TBL);
    key_table(hi, tid, KEY_KEYIDX_TBL + 1);
    kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
    marked++;
  }
  kv_iter_free(it);
  CHECK_INT(marked, 1);
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);

  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  db = NULL;
  CHECK_INT(remdb_open(dir, "pending", &o, &db), REMDB_OK);
  char *seen = calloc(1, 4096);
  uint64_t problems = 0;
  CHECK_INT(remdb_verify(db, collect, seen, &problems), REMDB_OK);
  CHECK_INT(problems, 1);
  CHECK_HAS(seen, "users: not verified: an index rebuild is pending (an "
                  "interrupted reindex or schema change, not damage); run "
                  "`remdb reindex` or open the database read-write");
  free(seen);
  remdb_close(db);
  /* a read-write open finishes it */
  db = open_db("pending");
  if (!db) return;
  CHECK_INT(verify(db), 0);
  CHECK_INT(find_count(db, "users", "team", "\"t3\""), 29);
  CHECK_INT(lookup_count(db, "p17"), 1);
  remdb_close(db);
}

/* find reads VALUE in the field's type when its own type is one the field
** never holds (the CLI passes 123 as JSON, an integer). */
static void test_find_coerce(void) {
  remdb *db = open_db("coerce");
  if (!db) return;
  CHECK_INT(remdb_schema_put(
                db, S("{\"name\":\"codes\",\"properties\":{\"h\":{\"type\":"
                      "\"string\"},\"n\":{\"type\":\"integer\"},\"b\":{"
                      "\"type\":\"boolean\"},\"u\":{\"type\":[\"string\","
                      "\"integer\"]}},\"indexed_fields\":[\"h\",\"n\",\"b\","
                      "\"u\"]}")),
            REMDB_OK);
  CHECK_INT(insert(db, "codes", "{\"h\":\"123\",\"n\":123,\"b\":true,"
                                "\"u\":\"5\"}", NULL),
            REMDB_OK);
  CHECK_INT(insert(db, "codes", "{\"h\":\"1.50\",\"n\":7,\"b\":false}", NULL),
            REMDB_OK);
  CHECK_INT(find_count(db, "codes", "h", "123"), 1);
  CHECK_INT(find_count(db, "codes", "h", "\"123\""), 1);
  CHECK_INT(find_count(db, "codes", "h", " 1.50 "), 1); /* as written */
  CHECK_INT(find_count(db, "codes", "h", "1.5"), 0);
  CHECK_INT(find_count(db, "codes", "n", "123"), 1);
  CHECK_INT(find_count(db, "codes", "n", "\"123\""), 1);
  CHECK_INT(find_count(db, "codes", "n", "\"12x\""), 0);
  CHECK_INT(find_count(db, "codes", "b", "\"true\""), 1);
  CHECK_INT(find_count(db, "codes", "b", "false"), 1);
  /* a field of both types takes the value as typed */
  CHECK_INT(find_count(db, "codes", "u", "\"5\""), 1);
  CHECK_INT(find_count(db, "codes", "u", "5"), 0);
  remdb_close(db);
}

static void test_reopen_and_lock(void) {
  remdb *db = open_db("acme");
  if (!db) return;
  remdb *second = NULL;
  /* the same directory opened again (another opener) is refused */
  CHECK_INT(remdb_open(dir, "acme", NULL, &second), REMDB_BUSY);
  CHECK_HAS(remdb_errmsg(second), "locked");
  remdb_close(second);
  uint64_t n;
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 300);
  char bdir[600];
  snprintf(bdir, sizeof bdir, "%s-backup", dir);
  rm_tree(bdir);
  CHECK_INT(remdb_backup(db, bdir), REMDB_OK);
  CHECK_INT(remdb_backup(db, bdir), REMDB_EXISTS);
  CHECK_INT(remdb_compact(db), REMDB_OK);
  remdb_close(db);
  remdb *copy = NULL;
  CHECK_INT(remdb_open(bdir, "acme", NULL, &copy), REMDB_OK);
  CHECK_INT(remdb_count(copy, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 300);
  CHECK_INT(verify(copy), 0);
  remdb_close(copy);
  rm_tree(bdir);

  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(dir, "acme", &o, &db), REMDB_OK);
  CHECK_INT(insert(db, "users", "{\"handle\":\"ro\"}", NULL), REMDB_MISUSE);
  remdb_close(db);
  o.read_only = 0;
  o.create_if_missing = 0;
  char missing[600];
  snprintf(missing, sizeof missing, "%s-missing", dir);
  CHECK_INT(remdb_open(missing, "acme", &o, &db), REMDB_NOTFOUND);
  remdb_close(db);
}

/* A tenant's backup holds that tenant's keys and the database-wide keys it
** needs (format, id counter, its own directory entry): no key of another
** tenant, in any column family.  REMDB_ALL_TENANTS copies them all. */
static void test_tenant_backup(void) {
  remdb *db = open_db("acme"), *zed = NULL;
  if (!db) return;
  CHECK_INT(remdb_open_tenant(db, "zed", &zed), REMDB_OK);
  CHECK_INT(remdb_schema_put(zed, S(users_schema)), REMDB_OK);
  char zid[REMDB_ID_LEN + 1], aid[REMDB_ID_LEN + 1];
  CHECK_INT(insert(zed, "users", "{\"handle\":\"zed-user\"}", zid), REMDB_OK);
  CHECK_INT(insert(db, "users", "{\"handle\":\"acme-user\"}", aid), REMDB_OK);
  CHECK_INT(remdb_edge_put(zed, zid, zid, "self", NULL, 0, 1), REMDB_OK);
  char bdir[600], adir[600];
  snprintf(bdir, sizeof bdir, "%s-tbackup", dir);
  snprintf(adir, sizeof adir, "%s-abackup", dir);
  rm_tree(bdir);
  rm_tree(adir);
  CHECK_INT(remdb_backup(db, bdir), REMDB_OK);
  CHECK_INT(remdb_backup_ex(db, adir, REMDB_ALL_TENANTS), REMDB_OK);
  CHECK_INT(remdb_backup_ex(db, adir, 8), REMDB_MISUSE);
  remdb_close(zed);
  remdb_close(db);

  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = false, .sync = true,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  CHECK_INT(kv_open(bdir, &ko, &kv, &e), REMDB_OK);
  if (kv == NULL) return;
  kv_val v;
  CHECK_INT(kv_get(kv, NULL, KV_META, "\0\0\0\0Tacme", 9, &v, &e), REMDB_OK);
  uint32_t acme = v.len == 4 ? get_u32be((const unsigned char *)v.data) : 0;
  kv_val_free(&v);
  CHECK(acme >= KV_FIRST_ID);
  int foreign = 0, globals = 0, mine = 0;
  for (int cf = 0; cf < KV_NCF; cf++) {
    kv_iter_t *it;
    CHECK_INT(kv_iter_new(kv, NULL, cf, NULL, 0, NULL, 0, &it, &e), REMDB_OK);
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl;
      const char *k = kv_iter_key(it, &kl);
      uint32_t tid = kl >= 4 ? get_u32be((const unsigned char *)k) : 0;
      if (tid == acme) {
        mine++;
      } else if (tid == 0 && cf == KV_META &&
                 ((kl == 10 && !memcmp(k + 4, "format", 6)) ||
                  (kl == 11 && !memcmp(k + 4, "next_id", 7)) ||
                  (kl == 9 && !memcmp(k + 4, "Tacme", 5)))) {
        globals++;
      } else {
        foreign++;
        fprintf(stderr, "foreign key in %s: %.*s (%zu bytes)\n",
                kv_cf_name(cf), (int)kl, k, kl);
      }
    }
    kv_iter_free(it);
  }
  kv_close(kv);
  CHECK_INT(foreign, 0);
  CHECK_INT(globals, 3);
  CHECK(mine > 300);
  /* the copy opens and verifies; zed is not in it, acme is */
  remdb *copy = NULL;
  CHECK_INT(remdb_open(bdir, "acme", NULL, &copy), REMDB_OK);
  CHECK_INT(verify(copy), 0);
  char *js = NULL;
  CHECK_INT(remdb_get(copy, "users", aid, 0, &js, NULL), REMDB_OK);
  remdb_free(js);
  remdb_close(copy);
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(bdir, "zed", &o, &copy), REMDB_OK);
  CHECK_INT(remdb_get(copy, NULL, zid, 0, &js, NULL), REMDB_NOTFOUND);
  remdb_close(copy);
  /* the whole-database copy has zed too */
  CHECK_INT(remdb_open(adir, "zed", &o, &copy), REMDB_OK);
  CHECK_INT(remdb_get(copy, NULL, zid, 0, &js, NULL), REMDB_OK);
  remdb_free(js);
  CHECK_INT(verify(copy), 0);
  remdb_close(copy);
  rm_tree(bdir);
  rm_tree(adir);
}

/* A reader (read_only) beside a writer: it takes no lock, sees what was
** committed when it opened, and remdb_refresh() moves it on: new rows, a
** new table (its catalog), a new tenant.  Refresh waits for no statement:
** it refuses while one is open. */
static void test_reader_refresh(void) {
  char rdir[600];
  snprintf(rdir, sizeof rdir, "%s-readers", dir);
  rm_tree(rdir);
  remdb *w = NULL, *r = NULL, *r2 = NULL;
  CHECK_INT(remdb_open(rdir, "acme", NULL, &w), REMDB_OK);
  CHECK_INT(remdb_schema_put(w, S(users_schema)), REMDB_OK);
  CHECK_INT(insert(w, "users", "{\"handle\":\"u1\"}", NULL), REMDB_OK);
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(rdir, "acme", &o, &r), REMDB_OK);
  CHECK_INT(remdb_open(rdir, "newco", &o, &r2), REMDB_OK); /* no such tenant yet */
  uint64_t n = 0;
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(insert(w, "users", "{\"handle\":\"u2\"}", NULL), REMDB_OK);
  CHECK_INT(remdb_schema_put(w, S("{\"name\":\"notes\",\"properties\":"
                                  "{\"t\":{\"type\":\"string\"}}}")),
            REMDB_OK);
  CHECK_INT(insert(w, "notes", "{\"t\":\"hello\"}", NULL), REMDB_OK);
  remdb *wn = NULL;
  CHECK_INT(remdb_open_tenant(w, "newco", &wn), REMDB_OK);
  CHECK_INT(remdb_schema_put(wn, S(users_schema)), REMDB_OK);
  CHECK_INT(insert(wn, "users", "{\"handle\":\"n1\"}", NULL), REMDB_OK);
  /* the reader's view is as it was */
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(remdb_count(r, "notes", 0, &n), REMDB_NOTFOUND);
  CHECK_INT(insert(r, "users", "{\"handle\":\"ro\"}", NULL), REMDB_MISUSE);
  /* refresh: refused while a statement is open, then the new state */
  remdb_stmt *st = NULL;
  CHECK_INT(remdb_prepare(r, S("SELECT handle FROM users"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_stmt_readonly(st), 1);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_INT(remdb_refresh(r), REMDB_MISUSE);
  remdb_finalize(st);
  CHECK_INT(remdb_refresh(r), REMDB_OK);
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 2);
  CHECK_INT(remdb_count(r, "notes", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  st = NULL;
  CHECK_INT(remdb_prepare(r, S("SELECT count(*) FROM notes"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_INT(remdb_column_int64(st, 0), 1);
  remdb_finalize(st);
  st = NULL;
  CHECK_INT(remdb_prepare(r, S("UPDATE notes SET t = 'x'"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_stmt_readonly(st), 0);
  CHECK(remdb_step(st) != REMDB_DONE); /* a reader cannot write */
  remdb_finalize(st);
  /* TEMP tables belong to the reader's own SQL connection: it writes them,
  ** and such statements count as read-only (they need no writer) */
  st = NULL;
  CHECK_INT(remdb_prepare(r, S("CREATE TEMP TABLE tt(x)"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_stmt_readonly(st), 1);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  remdb_finalize(st);
  st = NULL;
  CHECK_INT(remdb_prepare(r, S("INSERT INTO tt SELECT length(handle) FROM "
                               "users"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_stmt_readonly(st), 1);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  CHECK_INT(remdb_changes(r), 2);
  remdb_finalize(st);
  st = NULL;
  CHECK_INT(remdb_prepare(r, S("INSERT INTO users(handle) SELECT 'h' || x "
                               "FROM tt"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_stmt_readonly(st), 0);
  remdb_finalize(st);
  CHECK_INT(remdb_refresh(r2), REMDB_OK); /* the tenant now exists */
  CHECK_INT(remdb_count(r2, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  /* SQL DML reports its changes */
  st = NULL;
  CHECK_INT(remdb_prepare(w, S("UPDATE users SET age = 3"), &st, NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_DONE);
  CHECK_INT(remdb_changes(w), 2);
  remdb_finalize(st);
  CHECK_INT(remdb_refresh(w), REMDB_OK); /* a writer: nothing to do */
  remdb_close(r);
  remdb_close(r2);
  remdb_close(wn);
  remdb_close(w);
  rm_tree(rdir);
}

/* A reader opened when no writer runs (a plain read-only RocksDB instance,
** src/kv/kv.c) keeps its view while a writer opened after it commits,
** hard-deletes and compacts (deleting every table file the reader had
** open); remdb_refresh() then moves it to the writer's state. */
static void test_reader_outlives_compaction(void) {
  char rdir[600];
  snprintf(rdir, sizeof rdir, "%s-plain", dir);
  rm_tree(rdir);
  remdb *w = NULL, *r = NULL;
  CHECK_INT(remdb_open(rdir, "acme", NULL, &w), REMDB_OK);
  CHECK_INT(remdb_schema_put(w, S(users_schema)), REMDB_OK);
  char first[REMDB_ID_LEN + 1] = "";
  for (int i = 0; i < 300; i++) {
    char js[64];
    snprintf(js, sizeof js, "{\"handle\":\"h%d\",\"age\":%d}", i, i % 50);
    CHECK_INT(insert(w, "users", js, i == 0 ? first : NULL), REMDB_OK);
  }
  remdb_close(w); /* flushes: the reader reads table files only */
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(rdir, "acme", &o, &r), REMDB_OK);
  uint64_t n = 0;
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 300);
  /* a writer comes, changes everything and compacts */
  CHECK_INT(remdb_open(rdir, "acme", NULL, &w), REMDB_OK);
  CHECK_INT(remdb_delete(w, first, REMDB_HARD), REMDB_OK);
  for (int i = 0; i < 100; i++) {
    char js[64];
    snprintf(js, sizeof js, "{\"handle\":\"n%d\",\"age\":7}", i);
    CHECK_INT(insert(w, "users", js, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_compact(w), REMDB_OK);
  /* the reader reads on, as of its open: every row, index and entity */
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 300);
  json_t *e = get_json(r, first, 0);
  CHECK(e != NULL);
  CHECK_STR(json_string_value(json_object_get(e, "handle")), "h0");
  json_decref(e);
  CHECK_INT(find_count(r, "users", "age", "7"), 6);
  remdb_stmt *st = NULL;
  CHECK_INT(remdb_prepare(r, S("SELECT count(*), sum(age) FROM users"), &st,
                          NULL),
            REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_INT(remdb_column_int64(st, 0), 300);
  CHECK_INT(remdb_column_int64(st, 1), 6 * (49 * 50 / 2));
  remdb_finalize(st);
  CHECK_INT(verify(r), 0);
  /* refresh: the writer's state, the writer still open */
  CHECK_INT(remdb_refresh(r), REMDB_OK);
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 399);
  CHECK(get_json(r, first, 0) == NULL);
  CHECK_INT(find_count(r, "users", "age", "7"), 106);
  /* and later commits, through the secondary instance it now is */
  CHECK_INT(insert(w, "users", "{\"handle\":\"late\"}", NULL), REMDB_OK);
  CHECK_INT(remdb_refresh(r), REMDB_OK);
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 400);
  CHECK_INT(verify(r), 0);
  remdb_close(w);
  remdb_close(r);
  rm_tree(rdir);
}

/* A read-only open of a database whose index rebuild was interrupted
** reads correctly (queries do not use the unfinished index), says what to
** do where it cannot answer (find on that index, lookup), and writes
** nothing; the next read-write open finishes the rebuild. */
static void test_reader_pending_rebuild(void) {
  char pdir[600];
  snprintf(pdir, sizeof pdir, "%s-pending", dir);
  rm_tree(pdir);
  remdb *db = NULL;
  CHECK_INT(remdb_open(pdir, "acme", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(users_schema)), REMDB_OK);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) {
    char row[128];
    int n = snprintf(row, sizeof row, "{\"handle\":\"u%d\",\"team\":\"t%d\"}",
                     i, i % 7);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  remdb_batch_free(b);
  remdb_close(db);
  /* what a reindex killed after its first batch leaves: the table marked
  ** for rebuild, its index entries gone */
  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = false, .sync = true,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  CHECK_INT(kv_open(pdir, &ko, &kv, &e), REMDB_OK);
  if (kv == NULL) return;
  kv_val v;
  CHECK_INT(kv_get(kv, NULL, KV_META, "\0\0\0\0Tacme", 9, &v, &e), REMDB_OK);
  uint32_t tid = get_u32be((const unsigned char *)v.data);
  kv_val_free(&v);
  unsigned char sk[16];
  put_u32be(sk, tid);
  sk[4] = 'S';
  memcpy(sk + 5, "users", 5);
  CHECK_INT(kv_get(kv, NULL, KV_META, sk, 10, &v, &e), REMDB_OK);
  json_t *rec = json_loadb(v.data, v.len, 0, NULL);
  kv_val_free(&v);
  uint32_t tbl = (uint32_t)json_integer_value(json_object_get(rec, "table_id"));
  json_t *fields = json_object_get(rec, "fields");
  json_object_set_new(rec, "rebuild",
                      json_pack("{s:b,s:[I,I]}", "reencode", 0, "fields",
                                json_integer_value(json_object_get(fields, "team")),
                                json_integer_value(json_object_get(fields, "age"))));
  char *txt = json_dumps(rec, JSON_COMPACT);
  json_decref(rec);
  kv_batch_t *kb = kv_batch_new(kv);
  kv_batch_put(kb, KV_META, sk, 10, txt, strlen(txt));
  free(txt);
  unsigned char lo[8], hi[8];
  put_u32be(lo, tid);
  put_u32be(lo + 4, tbl);
  put_u32be(hi, tid);
  put_u32be(hi + 4, tbl + 1);
  kv_batch_del_range(kb, KV_INDEX, lo, 8, hi, 8);
  CHECK_INT(kv_write(kv, kb, 1, &e), REMDB_OK);
  kv_batch_free(kb);
  kv_close(kv);

  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  remdb *r = NULL;
  CHECK_INT(remdb_open(pdir, "acme", &o, &r), REMDB_OK);
  remdb_stmt *st = NULL;
  CHECK_INT(remdb_prepare(r, S("SELECT count(*) FROM users WHERE team = 't3'"),
                          &st, NULL), REMDB_OK);
  CHECK_INT(remdb_step(st), REMDB_ROW);
  CHECK_INT(remdb_column_int64(st, 0), 43); /* a scan, not the empty index */
  remdb_finalize(st);
  uint64_t n = 0;
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 300);
  char *out = NULL;
  CHECK(remdb_find(r, "users", "team", "\"t3\"", 0, &out) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(r), "rebuilt");
  CHECK_HAS(remdb_errmsg(r), "read-write");
  const char *keys[] = {"u5"};
  CHECK_INT(remdb_lookup(r, keys, 1, 0, &out), REMDB_BUSY);
  CHECK_HAS(remdb_errmsg(r), "read-write");
  remdb_close(r);
  /* a read-write open finishes it */
  CHECK_INT(remdb_open(pdir, "acme", NULL, &db), REMDB_OK);
  CHECK_INT(find_count(db, "users", "team", "\"t3\""), 43);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
  rm_tree(pdir);
}

/* Keys of cf in dir whose 5th byte is c (meta 'J': journal entries), or
** every key of the tenant range [tid, tid+1) when c is 0. */
static size_t raw_keys(const char *d, int cf, char c) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = false, .sync = true,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  if (kv_open(d, &ko, &kv, &e) != REMDB_OK) return (size_t)-1;
  kv_iter_t *it;
  size_t n = 0;
  if (kv_iter_new(kv, NULL, cf, NULL, 0, NULL, 0, &it, &e) == REMDB_OK) {
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl;
      const char *k = kv_iter_key(it, &kl);
      if (c == 0 ? get_u32be((const unsigned char *)k) != 0
                 : kl > 4 && k[4] == c)
        n++;
    }
    kv_iter_free(it);
  }
  kv_close(kv);
  return n;
}

/* Entries column family cf's table files hold, deleted ones included
** (RocksDB's estimate; read-only, so the store is not changed). */
static uint64_t stored_entries(const char *d, int cf) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.read_only = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  if (kv_open(d, &ko, &kv, &e) != REMDB_OK) return UINT64_MAX;
  uint64_t n = UINT64_MAX;
  if (!kv_property_int(kv, cf, "rocksdb.estimate-num-keys", &n)) n = UINT64_MAX;
  kv_close(kv);
  return n;
}

/* A committed journal leaves the table files too (not only the view
** under its range deletion): every reader's open would load and skip it.
** Small memtables put the journal in table files before the commit. */
static void test_journal_compacted(void) {
  char jdir[600];
  snprintf(jdir, sizeof jdir, "%s-journal-c", dir);
  rm_tree(jdir);
  remdb_options o;
  remdb_options_init(&o);
  o.write_buffer_bytes = 64 << 10;
  remdb *db = NULL;
  CHECK_INT(remdb_open(jdir, "acme", &o, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(users_schema)), REMDB_OK);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  char row[128];
  for (int i = 0; i < 3000; i++) {
    int k = snprintf(row, sizeof row, "{\"handle\":\"w%d\"}", i);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)k, NULL), REMDB_OK);
    if (i % 500 == 499 && i < 2999) CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  }
  CHECK_INT(remdb_batch_commit(b, 1), REMDB_OK);
  remdb_batch_free(b);
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 3000);
  remdb_close(db);
  CHECK_INT(raw_keys(jdir, KV_META, 'J'), 0);
  uint64_t meta = stored_entries(jdir, KV_META);
  CHECK(meta < 100); /* the catalog and counters: a few dozen */
  if (meta >= 100)
    fprintf(stderr, "meta entries: %llu\n", (unsigned long long)meta);
  rm_tree(jdir);
}

/* A journaled batch commits in parts and stays all or nothing: freed
** without its last commit, or lost with its process, it is rolled back;
** committed, its journal is gone. */
static void test_journal(void) {
  char jdir[600];
  snprintf(jdir, sizeof jdir, "%s-journal", dir);
  rm_tree(jdir);
  remdb *db = NULL;
  CHECK_INT(remdb_open(jdir, "acme", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(users_schema)), REMDB_OK);
  char uid[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "users", "{\"handle\":\"u0\",\"team\":\"a\"}", uid),
            REMDB_OK);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin_ex(db, 8, &b), REMDB_MISUSE);
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  CHECK_INT(remdb_batch_flush(b, 0), REMDB_MISUSE); /* no journal */
  remdb_batch_free(b);
  /* freed after two parts: rolled back at once */
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  char row[128];
  for (int i = 0; i < 300; i++) {
    int n = snprintf(row, sizeof row, "{\"handle\":\"u%d\",\"team\":\"b\"}", i);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL), REMDB_OK);
    if (i % 100 == 99) CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  }
  CHECK(remdb_batch_bytes(b) < 64);  /* all flushed: nothing staged */
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 300); /* the parts are visible */
  remdb_batch_free(b);
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(find_count(db, "users", "team", "\"a\""), 1); /* u0 restored */
  CHECK_INT(find_count(db, "users", "team", "\"b\""), 0);
  CHECK_INT(verify(db), 0);
  /* committed: every row, and no journal left */
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  for (int i = 0; i < 300; i++) {
    int k = snprintf(row, sizeof row, "{\"handle\":\"v%d\"}", i);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)k, NULL), REMDB_OK);
    if (i % 100 == 99 && i < 299) CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  }
  CHECK(remdb_batch_bytes(b) > 1000);
  CHECK_INT(remdb_batch_commit(b, 1), REMDB_OK);
  remdb_batch_free(b); /* nothing to roll back */
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 301);
  remdb_close(db);
  CHECK_INT(raw_keys(jdir, KV_META, 'J'), 0);
  /* a process that dies after two parts: its rows and journal are in
  ** storage until the next open rolls them back */
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    remdb *c = NULL;
    remdb_batch *cb = NULL;
    if (remdb_open(jdir, "acme", NULL, &c) || 
        remdb_batch_begin_ex(c, REMDB_BATCH_JOURNAL, &cb))
      _exit(3);
    for (int i = 0; i < 250; i++) {
      int k = snprintf(row, sizeof row,
                       "{\"handle\":\"%s%d\",\"team\":\"c\"}",
                       i < 10 ? "v" : "w", i);
      if (remdb_batch_insert(cb, "users", row, (size_t)k, NULL)) _exit(4);
      if (i % 100 == 99 && remdb_batch_flush(cb, 0)) _exit(5);
    }
    _exit(0); /* no commit, no free: as if killed */
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_INT(raw_keys(jdir, KV_META, 'J'), 200); /* two parts journaled */
  CHECK_INT(remdb_open(jdir, "acme", NULL, &db), REMDB_OK); /* rolls back */
  CHECK_INT(raw_keys(jdir, KV_META, 'J'), (size_t)-1); /* open: locked */
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 301);
  CHECK_INT(find_count(db, "users", "team", "\"c\""), 0);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
  CHECK_INT(raw_keys(jdir, KV_META, 'J'), 0);
  /* while the batch's process lives, a reader sees its flushed part and
  ** leaves its journal alone; the last commit makes it all visible.  The
  ** child exits without closing (RocksDB's threads are not in a child). */
  int up[2], down[2];
  CHECK(pipe(up) == 0 && pipe(down) == 0);
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    remdb *c = NULL;
    remdb_batch *cb = NULL;
    char go;
    if (remdb_open(jdir, "acme", NULL, &c) ||
        remdb_batch_begin_ex(c, REMDB_BATCH_JOURNAL, &cb))
      _exit(3);
    for (int i = 0; i < 200; i++) {
      int k = snprintf(row, sizeof row, "{\"handle\":\"x%d\"}", i);
      if (remdb_batch_insert(cb, "users", row, (size_t)k, NULL)) _exit(4);
      if (i == 99 && remdb_batch_flush(cb, 0)) _exit(5);
    }
    if (write(up[1], "p", 1) != 1 || read(down[0], &go, 1) != 1) _exit(6);
    if (remdb_batch_commit(cb, 1)) _exit(7);
    _exit(write(up[1], "c", 1) == 1 ? 0 : 8);
  }
  char ch = 0;
  CHECK_INT(read(up[0], &ch, 1), 1); /* the first part is committed */
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  remdb *r = NULL;
  CHECK_INT(remdb_open(jdir, "acme", &o, &r), REMDB_OK);
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 401); /* 301 and the part: not rolled back */
  CHECK_INT(write(down[1], "g", 1), 1);
  CHECK_INT(read(up[0], &ch, 1), 1); /* committed */
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_INT(remdb_refresh(r), REMDB_OK);
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 501);
  CHECK_INT(verify(r), 0);
  remdb_close(r);
  CHECK_INT(raw_keys(jdir, KV_META, 'J'), 0);
  for (int i = 0; i < 2; i++) {
    close(up[i]);
    close(down[i]);
  }
  rm_tree(jdir);
}

/* An entity a journaled batch changes several times, in one part and
** across parts, is rolled back to the version it had before the batch
** (the journal keeps the first one); one the batch created, to nothing. */
static void test_journal_repeats(void) {
  char rdir[600];
  snprintf(rdir, sizeof rdir, "%s-jrep", dir);
  rm_tree(rdir);
  remdb *db = NULL;
  CHECK_INT(remdb_open(rdir, "acme", NULL, &db), REMDB_OK);
  if (db == NULL) return;
  CHECK_INT(remdb_schema_put(db, S(users_schema)), REMDB_OK);
  char xid[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "users", "{\"handle\":\"x\",\"team\":\"v0\",\"age\":1}",
                   xid), REMDB_OK);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  for (int part = 0; part < 3; part++) {
    char row[96];
    for (int k = 0; k < 2; k++) {
      int n = snprintf(row, sizeof row, "{\"handle\":\"x\",\"team\":\"p%d%d\"}",
                       part, k);
      CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL),
                REMDB_OK);
      n = snprintf(row, sizeof row, "{\"handle\":\"y\",\"team\":\"p%d%d\"}",
                   part, k);
      CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL),
                REMDB_OK);
    }
    CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  }
  CHECK_INT(find_count(db, "users", "team", "\"p21\""), 2);
  remdb_batch_free(b);
  json_t *o = get_json(db, xid, 0);
  CHECK_STR(json_string_value(json_object_get(o, "team")), "v0");
  CHECK_INT(json_integer_value(json_object_get(o, "age")), 1);
  json_decref(o);
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(find_count(db, "users", "team", "\"v0\""), 1);
  CHECK_INT(find_count(db, "users", "team", "\"p21\""), 0);
  CHECK_INT(find_count(db, "users", "age", "1"), 1);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
  CHECK_INT(raw_keys(rdir, KV_META, 'J'), 0);
  rm_tree(rdir);
}

/* Is the RocksDB LOCK of database d held by some process, as another
** process sees it?  (A child asks: POSIX record locks belong to a process,
** and F_GETLK does not report the asking process's own.) */
static int lock_held_seen_from_child(const char *d) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    char p[700];
    snprintf(p, sizeof p, "%s/LOCK", d);
    int fd = open(p, O_RDWR);
    if (fd < 0) _exit(2);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_GETLK, &fl) != 0) _exit(3);
    _exit(fl.l_type != F_UNLCK ? 1 : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A reader opened in the process that has the database open for writing,
** while that process's journaled batch is between parts: the reader sees
** the parts, leaves the live journal alone, and the process keeps its
** write lock.  (The reader's "is anyone writing?" check opened and closed
** RocksDB's LOCK file, and closing any descriptor of a file drops every
** POSIX lock the process holds on it: another process could then open the
** database for writing beside the live writer, and roll back its batch.) */
static void test_reader_beside_own_writer(void) {
  char odir[600];
  snprintf(odir, sizeof odir, "%s-own", dir);
  rm_tree(odir);
  remdb *db = NULL, *r = NULL, *r2 = NULL;
  CHECK_INT(remdb_open(odir, "acme", NULL, &db), REMDB_OK);
  if (db == NULL) return;
  CHECK_INT(remdb_schema_put(db, S(users_schema)), REMDB_OK);
  CHECK_INT(lock_held_seen_from_child(odir), 1);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  char row[96];
  for (int i = 0; i < 50; i++) {
    int n = snprintf(row, sizeof row, "{\"handle\":\"own%d\"}", i);
    CHECK_INT(remdb_batch_insert(b, "users", row, (size_t)n, NULL), REMDB_OK);
  }
  CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  remdb_options o;
  remdb_options_init(&o);
  o.read_only = 1;
  CHECK_INT(remdb_open(odir, "acme", &o, &r), REMDB_OK);
  uint64_t n = 0;
  CHECK_INT(remdb_count(r, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 50); /* the part, not rolled back */
  CHECK_INT(lock_held_seen_from_child(odir), 1); /* still the writer's */
  /* a second reader: the same */
  CHECK_INT(remdb_open(odir, "acme", &o, &r2), REMDB_OK);
  CHECK_INT(lock_held_seen_from_child(odir), 1);
  CHECK_INT(remdb_batch_commit(b, 1), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 50);
  CHECK_INT(verify(db), 0);
  remdb_close(r2);
  remdb_close(r);
  remdb_close(db);
  CHECK_INT(lock_held_seen_from_child(odir), 0);
  rm_tree(odir);
}

/* A journaled batch holds the write lock from its first row to its last
** commit (or free), across its parts, like any batch: another handle's
** write waits for it (the same thread's is refused), so a rollback never
** undoes a change another handle committed between two parts. */
static void test_journal_holds_lock(void) {
  char hdir[600];
  snprintf(hdir, sizeof hdir, "%s-jlock", dir);
  rm_tree(hdir);
  remdb *db = NULL, *h2 = NULL;
  CHECK_INT(remdb_open(hdir, "acme", NULL, &db), REMDB_OK);
  if (db == NULL) return;
  CHECK_INT(remdb_schema_put(db, S(users_schema)), REMDB_OK);
  CHECK_INT(remdb_open_tenant(db, "acme", &h2), REMDB_OK);
  char uid[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "users", "{\"handle\":\"x\",\"team\":\"v0\"}", uid),
            REMDB_OK);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  CHECK_INT(remdb_batch_insert(b, "users",
                               S("{\"handle\":\"x\",\"team\":\"v1\"}"), NULL),
            REMDB_OK);
  CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  /* between the parts: another handle's change is refused on this thread
  ** (it would wait on another) */
  CHECK_INT(remdb_update(h2, uid, S("{\"age\":7}")), REMDB_MISUSE);
  CHECK_INT(remdb_schema_put(h2, S(users_schema)), REMDB_MISUSE);
  remdb_batch_free(b); /* rolled back: x is v0 again */
  json_t *o = get_json(db, uid, 0);
  CHECK_STR(json_string_value(json_object_get(o, "team")), "v0");
  CHECK(json_object_get(o, "age") == NULL);
  json_decref(o);
  /* after the free, h2 writes again */
  CHECK_INT(remdb_update(h2, uid, S("{\"age\":7}")), REMDB_OK);
  /* and after a last commit too */
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  CHECK_INT(remdb_batch_insert(b, "users",
                               S("{\"handle\":\"y\",\"team\":\"v1\"}"), NULL),
            REMDB_OK);
  CHECK_INT(remdb_batch_flush(b, 0), REMDB_OK);
  CHECK_INT(remdb_batch_insert(b, "users",
                               S("{\"handle\":\"z\",\"team\":\"v1\"}"), NULL),
            REMDB_OK);
  CHECK_INT(remdb_batch_commit(b, 1), REMDB_OK);
  CHECK_INT(remdb_update(h2, uid, S("{\"age\":8}")), REMDB_OK);
  remdb_batch_free(b);
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 3);
  CHECK_INT(verify(db), 0);
  remdb_close(h2);
  remdb_close(db);
  rm_tree(hdir);
}

/* Group commit: writers on several threads share fsyncs; every write
** they were told succeeded is there. */
#include <pthread.h>

static remdb *group_root;

static void *group_writer(void *arg) {
  long t = (long)arg;
  remdb *h = NULL;
  long ok = 0;
  if (remdb_open_tenant(group_root, "group", &h) == REMDB_OK) {
    for (int i = 0; i < 150; i++) {
      char row[96];
      int n = snprintf(row, sizeof row, "{\"handle\":\"t%ld-%d\",\"team\":\"g\"}",
                       t, i);
      ok += remdb_insert(h, "users", row, (size_t)n, NULL) == REMDB_OK;
    }
  }
  remdb_close(h);
  return (void *)ok;
}

static void test_group_commit(void) {
  char gdir[600];
  snprintf(gdir, sizeof gdir, "%s-group", dir);
  rm_tree(gdir);
  remdb_options o;
  remdb_options_init(&o);
  o.sync = REMDB_SYNC_GROUP;
  CHECK_INT(remdb_open(gdir, "group", &o, &group_root), REMDB_OK);
  CHECK_INT(remdb_schema_put(group_root, users_schema, strlen(users_schema)),
            REMDB_OK);
  pthread_t th[4];
  for (long t = 0; t < 4; t++)
    pthread_create(&th[t], NULL, group_writer, (void *)t);
  long acked = 0;
  for (int t = 0; t < 4; t++) {
    void *r;
    pthread_join(th[t], &r);
    acked += (long)r;
  }
  CHECK_INT(acked, 600);
  uint64_t n = 0;
  CHECK_INT(remdb_count(group_root, "users", 0, &n), REMDB_OK);
  CHECK_INT(n, 600);
  CHECK_INT(verify(group_root), 0);
  remdb_close(group_root);
  o.sync = (enum remdb_sync)7;
  remdb *bad = NULL;
  CHECK_INT(remdb_open(gdir, "group", &o, &bad), REMDB_MISUSE);
  remdb_close(bad);
  rm_tree(gdir);
}

/* Flags: each has a value of its own, and each call refuses the ones it
** does not take (nothing happens). */
static void test_flags(void) {
  static const int all[] = {REMDB_INCLUDE_DELETED, REMDB_HARD,
                            REMDB_BATCH_JOURNAL,   REMDB_FUZZY,
                            REMDB_EXACT_DEPTH,     REMDB_ALL_TENANTS};
  int seen = 0;
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    CHECK_INT(all[i] & seen, 0);
    seen |= all[i];
  }
  remdb *db = open_db("flags");
  if (!db) return;
  CHECK_INT(remdb_schema_put(db, users_schema, strlen(users_schema)),
            REMDB_OK);
  char id[REMDB_ID_LEN + 1];
  CHECK_INT(insert(db, "users", "{\"handle\":\"fa\",\"team\":\"red\"}", id),
            REMDB_OK);
  char *out = NULL;
  uint64_t n = 0;
  /* INCLUDE_DELETED once meant HARD's neighbour: a delete refuses it */
  CHECK_INT(remdb_delete(db, id, REMDB_INCLUDE_DELETED), REMDB_MISUSE);
  CHECK_HAS(remdb_errmsg(db), "delete: unknown flags 0x1");
  CHECK_INT(remdb_get(db, NULL, id, REMDB_HARD, &out, NULL), REMDB_MISUSE);
  CHECK_HAS(remdb_errmsg(db), "get: unknown flags 0x2");
  CHECK_INT(remdb_count(db, "users", REMDB_FUZZY, &n), REMDB_MISUSE);
  CHECK_INT(remdb_find(db, "users", "team", "\"red\"", REMDB_EXACT_DEPTH,
                       &out),
            REMDB_MISUSE);
  remdb_iter *it = NULL;
  CHECK_INT(remdb_iter_open(db, "users", REMDB_HARD, &it), REMDB_MISUSE);
  CHECK(it == NULL);
  const char *key = "fa";
  CHECK_INT(remdb_lookup(db, &key, 1, REMDB_INCLUDE_DELETED, &out),
            REMDB_MISUSE);
  CHECK_INT(remdb_traverse(db, id, 1, REMDB_OUT, NULL, 0, REMDB_FUZZY, &out),
            REMDB_MISUSE);
  CHECK_INT(remdb_stats_ex(db, REMDB_INCLUDE_DELETED, &out), REMDB_MISUSE);
  remdb_batch *b = NULL;
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_ALL_TENANTS, &b), REMDB_MISUSE);
  CHECK(b == NULL);
  /* the entity is untouched, and each call works with its own flags */
  CHECK_INT(remdb_get(db, NULL, id, REMDB_INCLUDE_DELETED, &out, NULL),
            REMDB_OK);
  remdb_free(out);
  CHECK_INT(remdb_count(db, "users", REMDB_INCLUDE_DELETED, &n), REMDB_OK);
  CHECK_INT(n, 1);
  CHECK_INT(remdb_delete(db, id, REMDB_HARD), REMDB_OK);
  remdb_close(db);
}

static size_t edge_count(remdb *db, const char *id) {
  char *out = NULL;
  if (remdb_edges(db, id, REMDB_BOTH, NULL, &out) != REMDB_OK) return 99;
  json_t *a = json_loads(out, 0, NULL);
  size_t n = json_array_size(a);
  json_decref(a);
  remdb_free(out);
  return n;
}

/* A batch updates, deletes and puts edges, so an entity and its edges
** commit together. */
/* A batch may name an entity it inserted under a generated id again (its
** id came back from the insert): an upsert with that id, an update and a
** delete see the staged version, plain and journaled batches alike.  They
** were taken for new rows: counters and derived data counted it twice. */
static void test_batch_fresh_ids(void) {
  remdb *db = open_db("fresh");
  if (!db) return;
  static const char notes[] =
      "{\"name\":\"notes\",\"properties\":{\"title\":{\"type\":"
      "\"string\"},\"n\":{\"type\":\"integer\"}},"
      "\"fulltext\":{\"fields\":[\"title\"]}}";
  CHECK_INT(remdb_schema_put(db, notes, strlen(notes)), REMDB_OK);
  for (int journaled = 0; journaled < 2; journaled++) {
    remdb_batch *b;
    CHECK_INT(remdb_batch_begin_ex(db, journaled ? REMDB_BATCH_JOURNAL : 0, &b),
              REMDB_OK);
    char a[REMDB_ID_LEN + 1], again[REMDB_ID_LEN + 1], doc[160];
    CHECK_INT(remdb_batch_insert(b, "notes", S("{\"title\":\"alpha beta\"}"),
                                 a),
              REMDB_OK);
    snprintf(doc, sizeof doc, "{\"id\":\"%s\",\"title\":\"alpha gamma\"}", a);
    CHECK_INT(remdb_batch_insert(b, "notes", doc, strlen(doc), again), REMDB_OK);
    CHECK_STR(again, a);
    if (!journaled) { /* a journaled batch takes inserts only */
      CHECK_INT(remdb_batch_update(b, a, S("{\"n\":7}")), REMDB_OK);
    }
    CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
    remdb_batch_free(b);
    json_t *o = get_json(db, a, 0);
    CHECK(o != NULL);
    CHECK_STR(json_string_value(json_object_get(o, "title")), "alpha gamma");
    if (!journaled) CHECK_INT(json_integer_value(json_object_get(o, "n")), 7);
    json_decref(o);
  }
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, "notes", 0, &n), REMDB_OK);
  CHECK_INT(n, 2);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
}

/* A freed batch is kept, cleared, for the next kv_batch_new (its buffer
** keeps its capacity): the next batch starts empty, whatever the last held,
** and one over the bound is not kept. */
static void test_kv_batch_reuse(void) {
  char d[256];
  scratch_dir(d, sizeof d, "kvb");
  kv_t *kv;
  err_t e;
  kv_options ko = {.create_if_missing = true, .sync = false,
                   .cache_bytes = 1 << 20, .write_buffer_bytes = 1 << 20};
  CHECK_INT(kv_open(d, &ko, &kv, &e), REMDB_OK);
  static char big[4096];
  for (int round = 0; round < 3; round++) {
    kv_batch_t *kb = kv_batch_new(kv);
    CHECK_INT(kv_batch_count(kb), 0);
    CHECK(kv_batch_bytes(kb) < 64);
    char k[16];
    int kl = snprintf(k, sizeof k, "k%d", round);
    kv_batch_put(kb, KV_META, k, (size_t)kl, "v", 1);
    CHECK_INT(kv_batch_count(kb), 1);
    CHECK_INT(kv_write(kv, kb, 0, &e), REMDB_OK);
    /* round 1 leaves its batch over the bound (2 MiB used) */
    for (int i = 0; round == 1 && i < 700; i++)
      kv_batch_put(kb, KV_META, "x", 1, big, sizeof big);
    kv_batch_free(kb);
  }
  /* only what each round wrote: k0 k1 k2, not the unwritten x */
  for (int round = 0; round < 3; round++) {
    char k[16];
    int kl = snprintf(k, sizeof k, "k%d", round);
    kv_val v;
    CHECK_INT(kv_get(kv, NULL, KV_META, k, (size_t)kl, &v, &e), REMDB_OK);
    kv_val_free(&v);
  }
  kv_val v;
  CHECK_INT(kv_get(kv, NULL, KV_META, "x", 1, &v, &e), REMDB_NOTFOUND);
  /* a batch that grew past the bound and was cleared before its free (as
  ** wtx_free's reset clears it) is not kept either: its buffer keeps the
  ** capacity it grew to (a bulk import's batch stayed until the close).
  ** Measured with glibc's heap counters where they see the batch's
  ** buffer (not under ASan or valgrind, whose allocators they miss). */
#ifdef __GLIBC__
  {
    struct mallinfo2 m0 = mallinfo2();
    kv_batch_t *kb = kv_batch_new(kv);
    for (int i = 0; i < 4096; i++)
      kv_batch_put(kb, KV_META, "y", 1, big, sizeof big); /* 16 MiB */
    struct mallinfo2 m1 = mallinfo2();
    kv_batch_clear(kb);
    kv_batch_free(kb);
    struct mallinfo2 m2 = mallinfo2();
    size_t u0 = m0.uordblks + m0.hblkhd, u1 = m1.uordblks + m1.hblkhd,
           u2 = m2.uordblks + m2.hblkhd;
    if (u1 > u0 + (12u << 20)) CHECK(u2 < u0 + (8u << 20));
    kb = kv_batch_new(kv); /* (the next starts empty) */
    CHECK_INT(kv_batch_count(kb), 0);
    kv_batch_free(kb);
  }
#endif
  kv_close(kv);
  rm_tree(d);
}

static void test_batch_ops(void) {
  remdb *db = open_db("bops");
  if (!db) return;
  CHECK_INT(remdb_schema_put(db, users_schema, strlen(users_schema)),
            REMDB_OK);
  remdb *other = NULL;
  CHECK_INT(remdb_open_tenant(db, "bops", &other), REMDB_OK);
  remdb_batch *b;
  CHECK_INT(remdb_batch_begin(db, &b), REMDB_OK);
  char a[REMDB_ID_LEN + 1], c[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":\"ba\"}"), a),
            REMDB_OK);
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":\"bc\"}"), c),
            REMDB_OK);
  /* an edge between two entities the batch inserts */
  CHECK_INT(remdb_batch_edge_put(b, a, c, "knows", S("{\"since\":2020}"), 1),
            REMDB_OK);
  /* failures leave the batch as it was */
  CHECK_INT(remdb_batch_edge_put(b, a, "00000000-0000-7000-8000-000000000001",
                                 "knows", NULL, 0, 1),
            REMDB_NOTFOUND);
  CHECK_INT(remdb_batch_edge_put(b, a, c, "no spaces", NULL, 0, 1),
            REMDB_INVALID);
  CHECK_INT(remdb_batch_update(b, "not-an-id", S("{}")), REMDB_INVALID);
  CHECK_INT(remdb_batch_update(b, a, S("{\"age\":-1}")), REMDB_SCHEMA);
  CHECK_INT(remdb_batch_update(b, a, S("{\"team\":\"blue\"}")), REMDB_OK);
  CHECK_INT(remdb_batch_delete(b, a, REMDB_FUZZY), REMDB_MISUSE);
  /* removing an entity the batch gave an edge would leave the edge */
  CHECK_INT(remdb_batch_delete(b, c, REMDB_HARD), REMDB_MISUSE);
  CHECK_HAS(remdb_errmsg(db), "commit it before removing the entity");
  /* nothing is visible before the commit, all of it after */
  CHECK(get_json(other, a, 0) == NULL);
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  json_t *o = get_json(other, a, 0);
  CHECK_STR(json_string_value(json_object_get(o, "team")), "blue");
  json_decref(o);
  CHECK_INT(edge_count(other, a), 1);
  CHECK_INT(edge_count(other, c), 1);
  CHECK_INT(verify(db), 0);
  /* then: the edge removed, one entity soft-deleted, in one commit */
  CHECK_INT(remdb_batch_edge_delete(b, a, c, "knows"), REMDB_OK);
  CHECK_INT(remdb_batch_delete(b, c, 0), REMDB_OK);
  CHECK_INT(remdb_batch_edge_delete(b, a, c, "likes"), REMDB_NOTFOUND);
  CHECK_INT(edge_count(other, a), 1);
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  CHECK_INT(edge_count(other, a), 0);
  CHECK(get_json(other, c, 0) == NULL);
  CHECK_INT(verify(db), 0);
  /* an edge put and removed in the same batch is gone after it */
  CHECK_INT(remdb_batch_delete(b, c, REMDB_HARD), REMDB_OK);
  char d[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_batch_insert(b, "users", S("{\"handle\":\"bd\"}"), d),
            REMDB_OK);
  CHECK_INT(remdb_batch_edge_put(b, a, d, "knows", NULL, 0, 1), REMDB_OK);
  CHECK_INT(remdb_batch_edge_delete(b, a, d, "knows"), REMDB_OK);
  CHECK_INT(remdb_batch_edge_put(b, d, a, "likes", NULL, 0, 1), REMDB_OK);
  CHECK_INT(remdb_batch_commit(b, -1), REMDB_OK);
  CHECK_INT(edge_count(other, d), 1);
  CHECK(get_json(other, c, REMDB_INCLUDE_DELETED) == NULL);
  CHECK_INT(verify(db), 0);
  /* dropped uncommitted: nothing happens */
  CHECK_INT(remdb_batch_edge_delete(b, d, a, "likes"), REMDB_OK);
  CHECK_INT(remdb_batch_update(b, d, S("{\"team\":\"x\"}")), REMDB_OK);
  remdb_batch_free(b);
  CHECK_INT(edge_count(other, d), 1);
  /* a journaled batch takes inserts only */
  CHECK_INT(remdb_batch_begin_ex(db, REMDB_BATCH_JOURNAL, &b), REMDB_OK);
  CHECK_INT(remdb_batch_update(b, d, S("{}")), REMDB_MISUSE);
  CHECK_INT(remdb_batch_edge_put(b, a, d, "knows", NULL, 0, 1),
            REMDB_MISUSE);
  remdb_batch_free(b);
  CHECK_INT(remdb_batch_update(NULL, d, S("{}")), REMDB_MISUSE);
  remdb_close(other);
  remdb_close(db);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "api");
  TEST_CASE(test_lifecycle);
  TEST_CASE_AFTER(test_batch, test_lifecycle);
  TEST_CASE_AFTER(test_schema_change, test_batch);
  TEST_CASE(test_schema_series);
  TEST_CASE(test_sql_names);
  TEST_CASE(test_verify_reindex);
  TEST_CASE(test_verify_pending);
  TEST_CASE(test_find_coerce);
  TEST_CASE_AFTER(test_reopen_and_lock, test_verify_reindex);
  TEST_CASE_AFTER(test_tenant_backup, test_reopen_and_lock);
  TEST_CASE(test_reader_refresh);
  TEST_CASE(test_reader_outlives_compaction);
  TEST_CASE(test_journal);
  TEST_CASE(test_journal_compacted);
  TEST_CASE(test_reader_beside_own_writer);
  TEST_CASE(test_journal_holds_lock);
  TEST_CASE(test_journal_repeats);
  TEST_CASE(test_reader_pending_rebuild);
  TEST_CASE(test_group_commit);
  TEST_CASE(test_flags);
  TEST_CASE(test_batch_ops);
  TEST_CASE(test_kv_batch_reuse);
  TEST_CASE(test_batch_fresh_ids);
  int rc_ = test_main(argc, argv, "test_api");
  rm_tree(dir);
  return rc_;
}

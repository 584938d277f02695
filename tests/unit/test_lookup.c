/* test_lookup.c: the key index and LOOKUP: by id, exact key_field value or
** name, normalised and fuzzy keys, across tables; updates, soft and hard
** deletes and drops keep it exact; reindex rebuilds it. */
#include <jansson.h>

#include "damage.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];
#define S(lit) lit, strlen(lit)

static const char *tickets =
    "{\"name\":\"tickets\",\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"name\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"}},"
    "\"key_field\":\"key\"}";
static const char *carriers =
    "{\"name\":\"carriers\",\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"code\":{\"type\":\"integer\"}},\"key_field\":\"code\"}";

/* The matches for one key: count, and the match kind of the first. */
static size_t look(remdb *db, const char *key, int flags, char *how,
                   size_t howlen) {
  char *out = NULL;
  const char *keys[1] = {key};
  CHECK_INT(remdb_lookup(db, keys, 1, flags, &out), REMDB_OK);
  json_t *j = out ? json_loads(out, 0, NULL) : NULL;
  remdb_free(out);
  size_t n = json_array_size(j);
  if (how) {
    const char *m = json_string_value(json_object_get(json_array_get(j, 0),
                                                      "match"));
    snprintf(how, howlen, "%s", m ? m : "");
  }
  json_decref(j);
  return n;
}

/* A key-index entry (table id 1) of the exact kind. */
static bool exact_key_entry(const char *k, size_t kl) {
  return kl > 9 && get_u32be((const unsigned char *)k + 4) == 1 &&
         k[8] == 'K';
}

/* Move the first entity (every table here has a key_field) to another
** id, behind remdb's back (the database closed): its id no longer derives
** from its key.  Returns 1 if moved. */
static int damage_move_entity(const char *d) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  if (kv_open(d, &ko, &kv, &e) != REMDB_OK) return -1;
  kv_iter_t *it;
  int moved = 0;
  if (kv_iter_new(kv, NULL, KV_ENTITY, NULL, 0, NULL, 0, &it, &e) ==
      REMDB_OK) {
    kv_batch_t *kb = kv_batch_new(kv);
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl, vl;
      const char *k = kv_iter_key(it, &kl);
      const char *v = kv_iter_value(it, &vl);
      if (kl != KEY_ENTITY_LEN) continue;
      unsigned char nk[KEY_ENTITY_LEN];
      memcpy(nk, k, kl);
      nk[kl - 1] ^= 0x5a;
      kv_batch_put(kb, KV_ENTITY, nk, kl, v, vl);
      kv_batch_del(kb, KV_ENTITY, k, kl);
      moved = 1;
      break;
    }
    kv_iter_free(it);
    if (kv_write(kv, kb, 1, &e) != REMDB_OK) moved = -1;
    kv_batch_free(kb);
  }
  kv_close(kv);
  return moved;
}

static void note(void *ctx, const char *problem) {
  if (strstr(problem, "its id is not the one its ")) ++*(int *)ctx;
}

static uint64_t verify(remdb *db) {
  uint64_t p = 99;
  CHECK_INT(remdb_verify(db, NULL, NULL, &p), REMDB_OK);
  return p;
}

static void test_lookup_all(void) {
  remdb *db;
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(tickets)), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(carriers)), REMDB_OK);
  char t1[REMDB_ID_LEN + 1], t2[REMDB_ID_LEN + 1], c1[REMDB_ID_LEN + 1];
  CHECK_INT(remdb_insert(db, "tickets",
                         S("{\"key\":\"TAP-1234\",\"name\":\"Login fails\"}"),
                         t1),
            REMDB_OK);
  CHECK_INT(remdb_insert(db, "tickets", S("{\"key\":\"#12345\"}"), t2),
            REMDB_OK);
  CHECK_INT(remdb_insert(db, "carriers", S("{\"name\":\"DHL\",\"code\":7}"),
                         c1),
            REMDB_OK);
  char how[32];
  CHECK_INT(look(db, "TAP-1234", 0, how, sizeof how), 1);
  CHECK_STR(how, "key");
  CHECK_INT(look(db, "tap1234", 0, how, sizeof how), 1);
  CHECK_STR(how, "normalized");
  CHECK_INT(look(db, "#12345", 0, how, sizeof how), 1);
  CHECK_INT(look(db, "DHL", 0, how, sizeof how), 1);
  CHECK_INT(look(db, "7", 0, how, sizeof how), 1); /* a numeric key */
  CHECK_INT(look(db, "Login fails", 0, how, sizeof how), 1); /* a name */
  CHECK_INT(look(db, t1, 0, how, sizeof how), 1);
  CHECK_STR(how, "id");
  CHECK_INT(look(db, "TAP-1243", 0, NULL, 0), 0);
  CHECK_INT(look(db, "TAP-1243", REMDB_FUZZY, how, sizeof how), 1);
  CHECK_STR(how, "fuzzy");
  CHECK_INT(look(db, "nothing at all", REMDB_FUZZY, NULL, 0), 0);
  CHECK_INT(look(db, "", 0, NULL, 0), 0);
  const char *two[2] = {"DHL", "#12345"};
  char *out;
  CHECK_INT(remdb_lookup(db, two, 2, 0, &out), REMDB_OK);
  CHECK_HAS(out, "\"key\":\"#12345\"");
  remdb_free(out);

  /* SQL: the REM statement and the lookup() table joined with a table */
  {
    remdb_stmt *st;
    CHECK_INT(remdb_prepare(db, S("LOOKUP 'DHL', 'tap1234', 'none'"), &st,
                            NULL),
              REMDB_OK);
    int rows = 0;
    while (remdb_step(st) == REMDB_ROW) rows++;
    CHECK_INT(rows, 2);
    remdb_finalize(st);
    CHECK_INT(remdb_prepare(db, S("SELECT t.key, l.match FROM "
                                  "lookup('TAP-1243', 1) l JOIN tickets t "
                                  "ON t.id = l.id"),
                            &st, NULL),
              REMDB_OK);
    CHECK_INT(remdb_step(st), REMDB_ROW);
    CHECK_STR(remdb_column_text(st, 0, NULL), "TAP-1234");
    CHECK_STR(remdb_column_text(st, 1, NULL), "fuzzy");
    remdb_finalize(st);
  }

  /* the index follows updates, deletes and drops */
  CHECK_INT(remdb_update(db, t1, S("{\"name\":\"Login works\"}")), REMDB_OK);
  CHECK_INT(look(db, "Login fails", 0, NULL, 0), 0);
  CHECK_INT(look(db, "login works", 0, NULL, 0), 1);
  CHECK_INT(remdb_delete(db, t2, 0), REMDB_OK);
  CHECK_INT(look(db, "#12345", 0, NULL, 0), 0); /* soft-deleted: hidden */
  CHECK_INT(verify(db), 0);
  CHECK_INT(remdb_delete(db, t2, REMDB_HARD), REMDB_OK);
  CHECK_INT(verify(db), 0);
  remdb *other;
  CHECK_INT(remdb_open_tenant(db, "u", &other), REMDB_OK);
  CHECK_INT(look(other, "DHL", REMDB_FUZZY, NULL, 0), 0); /* tenants apart */
  remdb_close(other);
  remdb_close(db);

  /* damage the key index; verify sees it and reindex repairs it */
  CHECK_INT(damage_delete_first(dir, KV_INDEX, exact_key_entry), 1);
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
  CHECK_INT(verify(db), 1);
  CHECK_INT(remdb_reindex(db, "carriers"), REMDB_OK);
  CHECK_INT(remdb_reindex(db, NULL), REMDB_OK);
  CHECK_INT(verify(db), 0);
  CHECK_INT(look(db, "DHL", 0, NULL, 0), 1);
  CHECK_INT(look(db, "TAP-1234", 0, NULL, 0), 1);
  CHECK_INT(remdb_schema_drop(db, "carriers"), REMDB_OK);
  CHECK_INT(look(db, "DHL", REMDB_FUZZY, NULL, 0), 0);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
  /* an entity whose id is not the one its key derives: its key cannot
  ** find it (WHERE key = v reads the derived id), and verify says so */
  CHECK_INT(damage_move_entity(dir), 1);
  CHECK_INT(remdb_open(dir, "t", NULL, &db), REMDB_OK);
  int underived = 0;
  uint64_t problems = 0;
  CHECK_INT(remdb_verify(db, note, &underived, &problems), REMDB_OK);
  CHECK_INT(underived, 1);
  CHECK(problems > 1);
  remdb_close(db);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "lookup");
  TEST_CASE(test_lookup_all);
  int rc_ = test_main(argc, argv, "test_lookup");
  rm_tree(dir);
  return rc_;
}

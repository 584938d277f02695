/* test_graph.c: edges and traversals: put/upsert/delete/list by direction
** and type, endpoint checks, soft and hard delete visibility, BFS depth,
** cycles, exact depth, node cap, shortest path, verify catching a missing
** reverse key, schema drop, and tenant isolation. */
#include <jansson.h>

#include "damage.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

static char dir[512];
#define S(lit) lit, strlen(lit)

static const char *people =
    "{\"name\":\"people\",\"properties\":{\"name\":{\"type\":\"string\"}},"
    "\"key_field\":\"name\"}";

static char ids[8][REMDB_ID_LEN + 1];

/* JSON(call) runs call, which fills t, then parses t (the call must
** finish before t is read: no helper taking both as arguments). */
static char *t;
static json_t *take_json(int rc) {
  CHECK_INT(rc, REMDB_OK);
  json_t *j = t ? json_loads(t, 0, NULL) : NULL;
  remdb_free(t);
  t = NULL;
  return j;
}
#define JSON(call) take_json(call)

static size_t n_edges(remdb *db, int i, int dir_, const char *type) {
  json_t *j = JSON(remdb_edges(db, ids[i], dir_, type, &t));
  size_t n = json_array_size(j);
  json_decref(j);
  return n;
}

static size_t n_nodes(remdb *db, int start, int depth, int dir_,
                      const char *type, size_t cap, int flags,
                      bool *truncated) {
  json_t *j = JSON(
      remdb_traverse(db, ids[start], depth, dir_, type, cap, flags, &t));
  size_t n = json_array_size(json_object_get(j, "nodes"));
  if (truncated) *truncated = json_is_true(json_object_get(j, "truncated"));
  json_decref(j);
  return n;
}

static bool reverse_edge_key(const char *k, size_t kl) {
  return kl > 4 && k[4] == 'R';
}

/* n objects nested in out: {"a":{"a":...1...}} */
static void nest(char *out, int n) {
  out[0] = 0;
  for (int i = 0; i < n; i++) strcat(out, "{\"a\":");
  strcat(out, "1");
  for (int i = 0; i < n; i++) strcat(out, "}");
}

static uint64_t verify(remdb *db) {
  uint64_t p = 99;
  CHECK_INT(remdb_verify(db, NULL, NULL, &p), REMDB_OK);
  return p;
}

static void test_graph_all(void) {
  remdb *db;
  CHECK_INT(remdb_open(dir, "g", NULL, &db), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S(people)), REMDB_OK);
  for (int i = 0; i < 8; i++) {
    char row[64];
    int n = snprintf(row, sizeof row, "{\"name\":\"p%d\"}", i);
    CHECK_INT(remdb_insert(db, "people", row, (size_t)n, ids[i]), REMDB_OK);
  }
  /* a chain 0 -> 1 -> 2 -> 3 -> 4, a cycle back 4 -> 0, a side branch
  ** 1 -likes-> 5, and 6 -> 0 coming in */
  for (int i = 0; i < 4; i++)
    CHECK_INT(remdb_edge_put(db, ids[i], ids[i + 1], "knows", NULL, 0, 1.0),
              REMDB_OK);
  CHECK_INT(remdb_edge_put(db, ids[4], ids[0], "knows", NULL, 0, 1.0),
            REMDB_OK);
  CHECK_INT(remdb_edge_put(db, ids[1], ids[5], "likes", S("{\"w\":3}"), 0.5),
            REMDB_OK);
  CHECK_INT(remdb_edge_put(db, ids[6], ids[0], "knows", NULL, 0, 2.0),
            REMDB_OK);
  /* upsert: same edge again keeps one edge, new props */
  CHECK_INT(remdb_edge_put(db, ids[1], ids[5], "likes", S("{\"w\":4}"), 0.5),
            REMDB_OK);
  CHECK_INT(n_edges(db, 1, REMDB_OUT, NULL), 2);
  CHECK_INT(n_edges(db, 1, REMDB_OUT, "likes"), 1);
  CHECK_INT(n_edges(db, 1, REMDB_IN, NULL), 1);
  CHECK_INT(n_edges(db, 0, REMDB_IN, NULL), 2);
  CHECK_INT(n_edges(db, 0, REMDB_BOTH, NULL), 3);
  json_t *j = JSON(remdb_edges(db, ids[1], REMDB_OUT, "likes", &t));
  CHECK_INT(json_integer_value(json_object_get(
                json_object_get(json_array_get(j, 0), "props"), "w")),
            4);
  json_decref(j);

  /* props obey the nesting limit of entities (64 levels by default): 64
  ** nested objects put the innermost value at level 65 */
  {
    char deep[400], shallow[400], ent[420];
    nest(deep, 64);
    nest(shallow, 63);
    CHECK_INT(remdb_edge_put(db, ids[0], ids[1], "deep", S(deep), 1),
              REMDB_TOOBIG);
    CHECK_HAS(remdb_errmsg(db), "edge props.a.a.a");
    CHECK_HAS(remdb_errmsg(db), "nested deeper than 64 levels");
    /* an entity as deep (itself and 63 nested objects) is refused alike */
    snprintf(ent, sizeof ent, "{\"name\":\"deep\",\"x\":%s}", shallow);
    CHECK_INT(remdb_insert(db, "people", S(ent), NULL), REMDB_TOOBIG);
    CHECK_HAS(remdb_errmsg(db), "nested deeper than 64 levels");
    /* one level less is stored */
    CHECK_INT(remdb_edge_put(db, ids[0], ids[1], "deep", S(shallow), 1),
              REMDB_OK);
    CHECK_INT(remdb_edge_delete(db, ids[0], ids[1], "deep"), REMDB_OK);
  }

  /* bad input */
  CHECK_INT(remdb_edge_put(db, ids[0], "00000000-0000-7000-8000-000000000001",
                           "knows", NULL, 0, 1),
            REMDB_NOTFOUND);
  CHECK_INT(remdb_edge_put(db, ids[0], ids[1], "no spaces", NULL, 0, 1),
            REMDB_INVALID);
  CHECK_INT(remdb_edge_put(db, ids[0], ids[1], "knows", S("[1]"), 1),
            REMDB_INVALID);
  CHECK_INT(remdb_edge_put(db, ids[0], "nope", "knows", NULL, 0, 1),
            REMDB_INVALID);
  CHECK_INT(remdb_edge_delete(db, ids[0], ids[5], "knows"), REMDB_NOTFOUND);

  /* traversal: depth limits, cycle safety, direction, type, exact depth */
  CHECK_INT(n_nodes(db, 0, 0, REMDB_OUT, NULL, 0, 0, NULL), 1);
  CHECK_INT(n_nodes(db, 0, 1, REMDB_OUT, NULL, 0, 0, NULL), 2);
  CHECK_INT(n_nodes(db, 0, 2, REMDB_OUT, NULL, 0, 0, NULL), 4);
  CHECK_INT(n_nodes(db, 0, 10, REMDB_OUT, NULL, 0, 0, NULL), 6);
  CHECK_INT(n_nodes(db, 0, 10, REMDB_OUT, "knows", 0, 0, NULL), 5);
  CHECK_INT(n_nodes(db, 0, 1, REMDB_IN, NULL, 0, 0, NULL), 3);
  CHECK_INT(n_nodes(db, 0, 2, REMDB_OUT, NULL, 0, REMDB_EXACT_DEPTH, NULL), 2);
  bool trunc = false;
  CHECK_INT(n_nodes(db, 0, 10, REMDB_BOTH, NULL, 3, 0, &trunc), 3);
  CHECK(trunc);
  CHECK_INT(n_nodes(db, 0, 10, REMDB_BOTH, NULL, 0, 0, &trunc), 7);
  CHECK(!trunc);
  /* each node carries its path */
  j = JSON(remdb_traverse(db, ids[0], 3, REMDB_OUT, "knows", 0,
                               REMDB_EXACT_DEPTH, &t));
  json_t *node = json_array_get(json_object_get(j, "nodes"), 0);
  CHECK_STR(json_string_value(json_object_get(node, "id")), ids[3]);
  CHECK_INT(json_array_size(json_object_get(node, "path")), 3);
  CHECK_STR(json_string_value(json_object_get(
                json_object_get(node, "entity"), "name")),
            "p3");
  json_decref(j);
  CHECK_INT(remdb_traverse(db, ids[0], 65, REMDB_OUT, NULL, 0, 0, &t),
            REMDB_INVALID);
  CHECK(t == NULL);

  /* SQL: the REM statement and the table-valued function, joined */
  {
    char q[256];
    remdb_stmt *st;
    snprintf(q, sizeof q,
             "TRAVERSE FROM '%s' DEPTH 2 DIRECTION out TYPE 'knows'", ids[0]);
    CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
    int rows = 0, maxd = 0;
    while (remdb_step(st) == REMDB_ROW) {
      rows++;
      int d = (int)remdb_column_int64(st, 1);
      if (d > maxd) maxd = d;
      CHECK_STR(remdb_column_text(st, 2, NULL), "people");
    }
    remdb_finalize(st);
    CHECK_INT(rows, 3);
    CHECK_INT(maxd, 2);
    snprintf(q, sizeof q,
             "SELECT group_concat(p.name, ',') FROM (SELECT * FROM "
             "traverse('%s', 1, 'in') ORDER BY id) t JOIN people p ON p.id = "
             "t.id WHERE t.depth = 1",
             ids[0]);
    CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
    CHECK_INT(remdb_step(st), REMDB_ROW);
    const char *names = remdb_column_text(st, 0, NULL);
    CHECK(names && strstr(names, "p4") && strstr(names, "p6"));
    remdb_finalize(st);
    snprintf(q, sizeof q, "SELECT * FROM traverse('%s', 1, 'sideways')",
             ids[0]);
    CHECK_INT(remdb_prepare(db, q, strlen(q), &st, NULL), REMDB_OK);
    CHECK_INT(remdb_step(st), REMDB_ERROR);
    CHECK_HAS(remdb_errmsg(db), "direction must be out, in or both");
    remdb_finalize(st);
  }

  /* shortest path */
  j = JSON(remdb_shortest_path(db, ids[0], ids[4], 10, REMDB_OUT, NULL,
                                    &t));
  CHECK_INT(json_integer_value(json_object_get(j, "length")), 4);
  json_decref(j);
  j = JSON(remdb_shortest_path(db, ids[0], ids[4], 10, REMDB_BOTH, NULL,
                                    &t));
  CHECK_INT(json_integer_value(json_object_get(j, "length")), 1);
  json_decref(j);
  j = JSON(remdb_shortest_path(db, ids[5], ids[7], 10, REMDB_BOTH, NULL,
                                    &t));
  CHECK(json_is_null(json_object_get(j, "path")));
  json_decref(j);

  /* a soft-deleted entity hides its edges; a hard delete removes them */
  CHECK_INT(remdb_delete(db, ids[2], 0), REMDB_OK);
  CHECK_INT(n_edges(db, 1, REMDB_OUT, NULL), 1);
  CHECK_INT(n_nodes(db, 0, 10, REMDB_OUT, "knows", 0, 0, NULL), 2);
  CHECK_INT(remdb_edges(db, ids[2], REMDB_BOTH, NULL, &t), REMDB_NOTFOUND);
  CHECK_INT(verify(db), 0);
  CHECK_INT(remdb_delete(db, ids[2], REMDB_HARD), REMDB_OK);
  CHECK_INT(verify(db), 0);
  CHECK_INT(remdb_edge_delete(db, ids[0], ids[1], "knows"), REMDB_OK);
  CHECK_INT(n_edges(db, 1, REMDB_IN, NULL), 0);
  CHECK_INT(verify(db), 0);

  /* tenants do not see each other's edges or entities */
  remdb *other;
  CHECK_INT(remdb_open_tenant(db, "h", &other), REMDB_OK);
  CHECK_INT(remdb_edges(other, ids[4], REMDB_BOTH, NULL, &t), REMDB_NOTFOUND);
  CHECK_INT(remdb_edge_put(other, ids[4], ids[0], "knows", NULL, 0, 1),
            REMDB_NOTFOUND);
  remdb_close(other);
  remdb_close(db);

  /* damage: drop one reverse key; verify says so */
  CHECK_INT(damage_delete_first(dir, KV_EDGE, reverse_edge_key), 1);
  CHECK_INT(remdb_open(dir, "g", NULL, &db), REMDB_OK);
  CHECK_INT(verify(db), 1);
  /* dropping the table removes its entities' edges too */
  CHECK_INT(remdb_schema_drop(db, "people"), REMDB_OK);
  CHECK_INT(verify(db), 0);
  remdb_close(db);
}

int main(int argc, char **argv) {
  scratch_dir(dir, sizeof dir, "graph");
  TEST_CASE(test_graph_all);
  int rc_ = test_main(argc, argv, "test_graph");
  rm_tree(dir);
  return rc_;
}

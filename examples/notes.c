/* notes.c: the README's C API tour, compiled and run by make test against an
** installed copy (tests/test-install.sh).  Usage: notes DIR */
#include <remdb.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  remdb *db;
  if (remdb_open(argc > 1 ? argv[1] : "notes.db", "default", NULL, &db) !=
      REMDB_OK) {
    fprintf(stderr, "error: %s\n", remdb_errmsg(db));
    remdb_close(db);
    return 1;
  }
  remdb_init(db); /* built-in tables */
  const char *schema =
      "{\"name\":\"notes\",\"properties\":{\"text\":"
      "{\"type\":\"string\"},\"topic\":{\"type\":\"string\"}},"
      "\"indexed_fields\":[\"topic\"],\"embedding_fields\":[\"text\"],"
      "\"embedding\":{\"dim\":64,\"provider\":\"hash\"}}";
  remdb_schema_put(db, schema, strlen(schema));

  char id[REMDB_ID_LEN + 1];
  const char *note = "{\"text\":\"remember the milk\",\"topic\":\"errands\"}";
  if (remdb_insert(db, "notes", note, strlen(note), id) != REMDB_OK)
    fprintf(stderr, "error: %s\n", remdb_errmsg(db));

  char *json; /* caller frees */
  if (remdb_get(db, "notes", id, 0, &json, NULL) == REMDB_OK) {
    puts(json);
    remdb_free(json);
  }
  remdb_search_options so; /* similarity search, with a filter */
  remdb_search_options_init(&so);
  so.k = 3;
  so.where = "topic = 'errands'";
  char *hits, *plan; /* caller frees both */
  if (remdb_search_ex(db, "notes", "milk", &so, &hits, &plan) == REMDB_OK) {
    printf("%s\n%s\n", plan, hits);
    remdb_free(plan);
    remdb_free(hits);
  }
  remdb_stmt *st; /* SQL with parameters */
  const char *q = "SELECT text FROM notes WHERE topic = ?";
  remdb_prepare(db, q, strlen(q), &st, NULL);
  remdb_bind_text(st, 1, "errands", 7);
  while (remdb_step(st) == REMDB_ROW) puts(remdb_column_text(st, 0, NULL));
  remdb_finalize(st);
  remdb_close(db);
  return 0;
}

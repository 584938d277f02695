/*
** session.c: the SQL session of a handle: a private in-memory SQLite
** connection with one virtual table per table of the tenant (and its
** <table>_all twin), each an eponymous virtual table that SQLite connects
** when a statement first names it (so they are not listed in
** sqlite_schema).  When the catalog changes, the declarations are rebuilt
** before the next statement is prepared.
**
** The authorizer keeps the connection to the tenant's tables: it denies
** ATTACH and DETACH, PRAGMAs that write, the creation or removal of
** persistent objects (temporary ones are allowed), explicit transactions
** (every statement is its own atomic transaction), load_extension and
** fts3_tokenizer (which hands out a pointer).  A progress handler keeps
** each statement to its budget of VM steps.
*/
#include <stdlib.h>
#include <string.h>

#include "sql.h"

static const char *const readonly_pragmas[] = {
    "table_info", "table_xinfo", "table_list", "function_list",
    "module_list", "pragma_list", "collation_list", "compile_options"};

static int deny(sql_sess *s, const char *why) {
  snprintf(s->denied, sizeof s->denied, "%s", why);
  return SQLITE_DENY;
}

static int authorize(void *ctx, int action, const char *a, const char *b,
                     const char *dbname, const char *trigger) {
  sql_sess *s = ctx;
  (void)trigger;
  (void)dbname;
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return deny(s, "ATTACH and DETACH are not allowed");
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return deny(s, "explicit transactions are not supported: each "
                     "statement is atomic on its own");
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
      return SQLITE_OK;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
    case SQLITE_ALTER_TABLE:
    case SQLITE_ANALYZE:
    case SQLITE_REINDEX:
      return deny(s, "persistent objects cannot be created, changed or "
                     "dropped in SQL (tables are managed with remdb schema; "
                     "TEMP tables and views are allowed)");
    case SQLITE_PRAGMA:
      /* these take a table name, never a value to set */
      for (size_t i = 0; i < sizeof readonly_pragmas / sizeof *readonly_pragmas;
           i++)
        if (a && sqlite3_stricmp(a, readonly_pragmas[i]) == 0) return SQLITE_OK;
      return deny(s, "this PRAGMA is not allowed (read-only ones such as "
                     "table_info are)");
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      /* the main schema holds the remdb tables (TEMP ones live in temp;
      ** SQLite itself updates sqlite_master for a table-valued function) */
      if (dbname && strcmp(dbname, "main") == 0 && a &&
          sqlite3_strnicmp(a, "sqlite_", 7) != 0)
        s->writes = true;
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      if (b && sqlite3_stricmp(b, "load_extension") == 0)
        return deny(s, "load_extension is not allowed");
      if (b && sqlite3_stricmp(b, "fts3_tokenizer") == 0)
        return deny(s, "fts3_tokenizer is not allowed");
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

/* Every PROGRESS_EVERY VM steps: charge the running statement's budget
** (remdb_options.max_sql_steps), and stop it when it is spent. */
#define PROGRESS_EVERY 1000
static int progress(void *ctx) {
  sql_sess *s = ctx;
  uint64_t max = s->db->st->opts.max_sql_steps;
  if (s->steps == NULL || max == 0) return 0;
  *s->steps += PROGRESS_EVERY;
  if (*s->steps <= max) return 0;
  s->over_budget = true;
  return 1;
}

/* Is name taken by a table declared before, or its twin?  SQLite
** compares names without case. */
static bool name_taken(sql_sess *s, const char *name) {
  for (uint32_t i = 0; i < s->ndeclared; i++) {
    const char *d = s->declared[i];
    size_t dl = strlen(d);
    if (sqlite3_stricmp(d, name) == 0 ||
        (sqlite3_strnicmp(d, name, (int)dl) == 0 &&
         sqlite3_stricmp(name + dl, "_all") == 0))
      return true;
  }
  return false;
}

static void note_skipped(sql_sess *s, const char *table, const char *why) {
  size_t used = strlen(s->skipped);
  snprintf(s->skipped + used, sizeof s->skipped - used, "%s%s: SQL setup: %s",
           used ? "; " : "", table, why);
}

/* Declare table n and its twin n_all.  Each is an eponymous virtual
** table (a module of its own name): SQLite connects it, which declares its
** columns, when a statement first names it, so a statement pays for the
** tables it reads, not for every table of the tenant.  A name SQL cannot
** take (it clashes, but for case, with a table declared before, or SQLite
** reserves it) is left out, and EXPLAIN names it (sql_routes_clear). */
static int declare_table(sql_sess *s, const char *n) {
  char why[160];
  char twin[80];
  snprintf(twin, sizeof twin, "%s_all", n);
  if (sqlite3_strnicmp(n, "sqlite_", 7) == 0) {
    snprintf(why, sizeof why, "object name reserved for internal use: %s", n);
    note_skipped(s, n, why);
    return REMDB_OK;
  }
  int rc = REMDB_OK;
  for (int k = 0; k < 2 && rc == REMDB_OK; k++) {
    const char *name = k ? twin : n;
    if (name_taken(s, name)) {
      snprintf(why, sizeof why, "table \"%s\" already exists", name);
      note_skipped(s, n, why);
      break;
    }
    int src = sql_register_table(s->conn, s, n, k == 1);
    if (src != SQLITE_OK)
      rc = err_set(&s->db->err,
                   src == SQLITE_NOMEM ? REMDB_NOMEM : REMDB_ERROR,
                   "SQL setup: cannot register %s: %s", name,
                   sqlite3_errstr(src));
  }
  if (rc == REMDB_OK && !name_taken(s, n)) { /* n itself was registered */
    s->declared[s->ndeclared] = strdup(n);
    if (s->declared[s->ndeclared] == NULL) return err_nomem(&s->db->err);
    s->ndeclared++;
  }
  return rc;
}

static void declared_free(sql_sess *s) {
  for (uint32_t i = 0; i < s->ndeclared; i++) free(s->declared[i]);
  free(s->declared);
  s->declared = NULL;
  s->ndeclared = 0;
}

/* (Re)open the connection and declare every table. */
static int declare(sql_sess *s) {
  remdb *db = s->db;
  if (s->conn) {
    sqlite3_close_v2(s->conn);
    s->conn = NULL;
  }
  declared_free(s);
  int rc = cat_refresh(db);
  if (rc) return rc;
  if (sqlite3_open_v2(":memory:", &s->conn,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                      NULL) != SQLITE_OK) {
    sqlite3_close(s->conn);
    s->conn = NULL;
    return err_set(&db->err, REMDB_NOMEM, "cannot open a SQL connection");
  }
  sqlite3_db_config(s->conn, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
  sqlite3_db_config(s->conn, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config(s->conn, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_limit(s->conn, SQLITE_LIMIT_ATTACHED, 0);
  /* a string, BLOB or row made in SQL: twice the largest entity */
  size_t lim = db->st->opts.max_entity_bytes;
  sqlite3_limit(s->conn, SQLITE_LIMIT_LENGTH,
                lim < (size_t)INT32_MAX / 2 ? (int)(lim * 2) : INT32_MAX);
  sqlite3_progress_handler(s->conn, PROGRESS_EVERY, progress, s);
  if (sql_register_module(s->conn, s) != SQLITE_OK ||
      sql_register_tvfs(s->conn, s) != SQLITE_OK)
    return err_set(&db->err, REMDB_ERROR, "cannot register the SQL module");
  rc = REMDB_OK;
  s->skipped[0] = 0;
  s->probed = false;
  /* oldest first: of two names that clash, the table SQL already knew
  ** keeps its name */
  uint32_t *order = calloc(db->ntables + 1, sizeof *order);
  s->declared = calloc(db->ntables + 1, sizeof *s->declared);
  if (order == NULL || s->declared == NULL) rc = err_nomem(&db->err);
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++) {
    uint32_t j = i;
    for (; j > 0 && db->tables[order[j - 1]].s->table_id >
                        db->tables[i].s->table_id; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  for (uint32_t i = 0; rc == REMDB_OK && i < db->ntables; i++)
    rc = declare_table(s, db->tables[order[i]].s->name);
  free(order);
  if (rc == REMDB_OK) {
    sqlite3_set_authorizer(s->conn, authorize, s);
    s->epoch = db->epoch;
  }
  return rc;
}

static int changed_during(sql_sess *s) {
  s->stale = true; /* the outermost statement is prepared again */
  return err_set(&s->db->err, REMDB_ERROR,
                 "the schema changed during the statement: run it again");
}

int sql_session(remdb *db, const snap_t *snap, sql_sess **out) {
  sql_sess *s = db->sql;
  *out = NULL;
  int rc = snap ? REMDB_OK : cat_refresh(db);
  if (rc) return rc;
  if (s == NULL) {
    s = calloc(1, sizeof *s);
    if (s == NULL) return err_nomem(&db->err);
    s->db = db;
    db->sql = s;
    db->sql_free = sql_session_free;
  }
  if (snap && !snap_current(db, snap)) return changed_during(s);
  if (s->conn == NULL || s->epoch != db->epoch) {
    /* a running statement's connection stays as it is */
    if (s->depth > 0) return changed_during(s);
    rc = declare(s);
    if (rc) return rc;
    /* declaring reads the catalog again: it may have moved past snap */
    if (snap && !snap_current(db, snap)) return changed_during(s);
  }
  *out = s;
  return REMDB_OK;
}

void sql_session_free(void *p) {
  sql_sess *s = p;
  if (s == NULL) return;
  wtx_free(s->txn);
  sqlite3_close_v2(s->conn);
  declared_free(s);
  free(s->routes);
  free(s);
}

/* The tables that fail to connect (columns SQL cannot declare, such as
** two that differ only in case, stored before schema add refused them):
** found by naming each once, for EXPLAIN only. */
static void probe_declared(sql_sess *s) {
  s->probed = true;
  for (uint32_t i = 0; i < s->ndeclared; i++) {
    char *q = sqlite3_mprintf("SELECT 0 FROM main.\"%w\"", s->declared[i]);
    sqlite3_stmt *st = NULL;
    if (q && sqlite3_prepare_v2(s->conn, q, -1, &st, NULL) != SQLITE_OK)
      note_skipped(s, s->declared[i], sqlite3_errmsg(s->conn));
    sqlite3_finalize(st);
    sqlite3_free(q);
  }
}

void sql_routes_clear(sql_sess *s) {
  s->nroutes = 0;
  if (!s->probed) probe_declared(s);
  if (s->skipped[0])
    sql_route_note(s, "(not in SQL)", s->skipped, s->skipped, 0, 0);
}

void sql_route_note(sql_sess *s, const char *table, const char *desc,
                    const char *shape, uint64_t examined, uint64_t returned) {
  for (size_t i = 0; i < s->nroutes; i++) {
    struct route *r = &s->routes[i];
    if (strcmp(r->table, table) == 0 && strcmp(r->shape, shape) == 0) {
      if (strcmp(r->desc, desc) != 0) /* values vary: show the shape */
        snprintf(r->desc, sizeof r->desc, "%s", shape);
      r->scans++;
      r->examined += examined;
      r->returned += returned;
      return;
    }
  }
  if (s->nroutes == s->caproutes) {
    size_t cap = s->caproutes ? s->caproutes * 2 : 8;
    struct route *n = realloc(s->routes, cap * sizeof *n);
    if (n == NULL) return; /* EXPLAIN loses a line; the query is unaffected */
    s->routes = n;
    s->caproutes = cap;
  }
  struct route *r = &s->routes[s->nroutes++];
  snprintf(r->table, sizeof r->table, "%s", table);
  snprintf(r->desc, sizeof r->desc, "%s", desc);
  snprintf(r->shape, sizeof r->shape, "%s", shape);
  r->scans = 1;
  r->examined = examined;
  r->returned = returned;
}

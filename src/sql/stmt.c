/*
** stmt.c: the public statement API (remdb_prepare, remdb_step, ...) over
** the SQL session.  It adds what SQLite alone does not do: the REM dialect
** check, error messages with the byte offset of the mistake, and EXPLAIN,
** which runs the query and reports the route each table took (so it is
** refused for a statement that writes: EXPLAIN never changes data).
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

#define EXPLAIN_COLS 5

struct remdb_stmt {
  remdb *db;
  sql_sess *sess;
  sqlite3_stmt *st;
  /* the snapshot the statement reads: taken when a run starts and dropped
  ** when it ends, or (fixed) the one a nested statement was given */
  snap_t *snap;
  bool fixed;
  bool explain;
  bool or_abort;  /* INSERT OR ABORT: a conflict is an error (vtab.c) */
  bool writes;    /* it writes a remdb table (not only TEMP objects) */
  int write_rc;   /* the remdb code of its last failed write, or 0 */
  bool explained; /* the query ran; rows now come from the route log */
  uint64_t rows;  /* returned since the last reset, for max_result_rows */
  uint64_t steps; /* VM steps of this run, for max_sql_steps */
  size_t erow;    /* next route row to return, 1-based once started */
  char cell[32];
  /* the columnar route (colx.c): the plan's registration, the original
  ** text (run by SQLite if the plan cannot serve the rows), and why an
  ** aggregation was left to SQLite (for EXPLAIN) */
  uint64_t colx;
  char *orig;
  char why[256];
};

static const char *const explain_names[EXPLAIN_COLS] = {
    "table", "route", "scans", "rows_examined", "rows_returned"};

/* Skip spaces and comments. */
static size_t skip_ws(const char *s, size_t n, size_t i) {
  for (;;) {
    while (i < n && isspace((unsigned char)s[i])) i++;
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') i++;
    } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
      i += 2;
      while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/')) i++;
      i = i + 2 < n ? i + 2 : n;
    } else {
      return i;
    }
  }
}

static bool word_at(const char *s, size_t n, size_t i, const char *w) {
  size_t wl = strlen(w);
  return i + wl <= n && sqlite3_strnicmp(s + i, w, (int)wl) == 0 &&
         (i + wl == n || !(isalnum((unsigned char)s[i + wl]) || s[i + wl] == '_'));
}

/* "near "FROM": syntax error at offset 7: SELEC * FROM t" */
static int sql_error(remdb *db, sql_sess *s, const char *sql, size_t len,
                     size_t base) {
  sqlite3 *conn = s->conn;
  int off = sqlite3_error_offset(conn);
  const char *msg = sqlite3_errmsg(conn);
  if (s->denied[0])
    return err_set(&db->err, REMDB_INVALID, "SQL error: %s", s->denied);
  /* ON CONFLICT ... DO: what remdb tables do instead */
  const char *hint = strncmp(msg, "UPSERT not implemented", 22) == 0
                         ? " (remdb tables take no ON CONFLICT clause: a "
                           "plain INSERT replaces the whole row with the same "
                           "id or key, INSERT OR IGNORE keeps it, INSERT OR "
                           "ABORT fails; UPDATE changes some of its fields)"
                         : "";
  if (off < 0)
    return err_set(&db->err, REMDB_INVALID, "SQL error: %s%s", msg, hint);
  size_t at = base + (size_t)off;
  size_t from = at > 20 ? at - 20 : 0;
  size_t to = at + 20 < len ? at + 20 : len;
  char ctx[64];
  size_t k = 0;
  for (size_t i = from; i < to && k + 1 < sizeof ctx; i++)
    ctx[k++] = sql[i] == '\n' || sql[i] == '\t' ? ' ' : sql[i];
  ctx[k] = 0;
  return err_set(&db->err, REMDB_INVALID,
                 "SQL error at offset %zu: %s (here: \"%s\" <-- at \"%.*s\")%s",
                 at, msg, ctx, (int)(to > at ? (to - at > 10 ? 10 : to - at) : 0),
                 sql + at, hint);
}

static int prepare(remdb *db, snap_t *snap, const char *sql, size_t len,
                   remdb_stmt **out, size_t *used) {
  *out = NULL;
  if (used) *used = len;
  if (len > (size_t)INT32_MAX || len > db->st->opts.max_sql_bytes)
    return err_set(&db->err, REMDB_TOOBIG,
                   "SQL text is %zu bytes, over the limit of %zu", len,
                   db->st->opts.max_sql_bytes);
  sql_sess *s;
  int rc = sql_session(db, snap, &s);
  if (rc) return rc;
  size_t start = skip_ws(sql, len, 0);
  bool explain = false;
  if (word_at(sql, len, start, "EXPLAIN")) {
    size_t after = skip_ws(sql, len, start + 7);
    if (!word_at(sql, len, after, "QUERY")) {
      explain = true;
      start = after;
    }
  }
  buf_t rw;
  buf_init(&rw);
  size_t rem_len = 0;
  if ((rc = dialect_check(db, sql + start, len - start, &rw, &rem_len))) {
    buf_free(&rw);
    return rc;
  }
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  s->denied[0] = 0;
  s->writes = false;
  int src;
  bool rewritten = rw.len != 0;
  if (rw.len) { /* a REM statement, run as its SQL form */
    src = sqlite3_prepare_v2(s->conn, rw.p, (int)rw.len, &st, NULL);
    if (src != SQLITE_OK) {
      rc = err_set(&db->err, REMDB_INVALID, "SQL error: %s",
                   sqlite3_errmsg(s->conn));
      buf_free(&rw);
      return rc;
    }
    tail = sql + start + rem_len;
  } else {
    src = sqlite3_prepare_v2(s->conn, sql + start, (int)(len - start), &st,
                             &tail);
  }
  buf_free(&rw);
  if (src != SQLITE_OK) return sql_error(db, s, sql, len, start);
  if (used) *used = tail ? (size_t)(tail - sql) : len;
  if (st == NULL) return REMDB_OK;
  uint64_t colx = 0;
  char why[256] = "";
  size_t olen = (tail ? (size_t)(tail - sql) : len) - start;
  if (!rewritten && !s->writes && sqlite3_column_count(st) > 0 &&
      sqlite3_stmt_readonly(st) && !sqlite3_stmt_isexplain(st))
    colx_route(s, sql + start, olen, &st, &colx, why, sizeof why);
  if (s->writes && sqlite3_column_count(st) > 0 &&
      !sqlite3_stmt_isexplain(st)) {
    /* SQLite computes RETURNING from the values the statement gives, not
    ** from the row stored (no id or created_at on an INSERT) */
    sqlite3_finalize(st);
    return err_set(&db->err, REMDB_INVALID,
                   "RETURNING is not supported on remdb tables: it would "
                   "show the values given, not the row stored (an INSERT's "
                   "id, created_at); read the rows back with SELECT");
  }
  if (explain && !sqlite3_stmt_readonly(st)) {
    /* EXPLAIN runs the statement to count what its routes read */
    sqlite3_finalize(st);
    return err_set(&db->err, REMDB_INVALID,
                   "EXPLAIN runs its statement to report the routes, so it "
                   "takes only statements that change nothing (SELECT, "
                   "VALUES, LOOKUP, SEARCH, TRAVERSE); to see the route of "
                   "an UPDATE or DELETE, EXPLAIN a SELECT with the same "
                   "WHERE clause");
  }
  remdb_stmt *r = calloc(1, sizeof *r);
  if (r == NULL) {
    sqlite3_finalize(st);
    return err_nomem(&db->err);
  }
  r->db = db;
  r->sess = s;
  r->st = st;
  r->explain = explain;
  r->snap = snap_retain(snap);
  r->fixed = snap != NULL;
  size_t end = tail ? (size_t)(tail - sql) : len;
  r->writes = s->writes;
  r->or_abort = s->writes && dialect_or_abort(sql + start, end - start);
  r->colx = colx;
  snprintf(r->why, sizeof r->why, "%s", why);
  if (colx && (r->orig = strndup(sql + start, olen)) == NULL) {
    colx_release(s, colx);
    sqlite3_finalize(st);
    free(r);
    return err_nomem(&db->err);
  }
  *out = r;
  return REMDB_OK;
}

int remdb_prepare(remdb *db, const char *sql, size_t len, remdb_stmt **out,
                  size_t *used) {
  if (db == NULL || out == NULL || sql == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  return prepare(db, NULL, sql, len, out, used);
}

int sql_prepare_in(remdb *db, snap_t *snap, const char *sql, size_t len,
                   remdb_stmt **out, size_t *used) {
  return prepare(db, snap, sql, len, out, used);
}

static int bind_rc(remdb_stmt *st, int rc) {
  if (rc == SQLITE_OK) return REMDB_OK;
  return err_set(&st->db->err, rc == SQLITE_RANGE ? REMDB_INVALID : REMDB_ERROR,
                 "bind: %s", sqlite3_errstr(rc));
}

int remdb_bind_null(remdb_stmt *st, int i) {
  return st ? bind_rc(st, sqlite3_bind_null(st->st, i)) : REMDB_MISUSE;
}
int remdb_bind_int64(remdb_stmt *st, int i, int64_t v) {
  return st ? bind_rc(st, sqlite3_bind_int64(st->st, i, v)) : REMDB_MISUSE;
}
int remdb_bind_double(remdb_stmt *st, int i, double v) {
  return st ? bind_rc(st, sqlite3_bind_double(st->st, i, v)) : REMDB_MISUSE;
}
int remdb_bind_text(remdb_stmt *st, int i, const char *s, size_t len) {
  if (st == NULL || s == NULL || len > (size_t)INT32_MAX) return REMDB_MISUSE;
  return bind_rc(st, sqlite3_bind_text(st->st, i, s, (int)len,
                                       SQLITE_TRANSIENT));
}

/* A run of the statement starts (it is not in the middle of one): it reads
** one snapshot, taken now, from its first row to its last. */
static int begin_run(remdb_stmt *st) {
  if (sqlite3_stmt_busy(st->st) || st->fixed) return REMDB_OK;
  snap_release(st->snap);
  st->snap = NULL;
  return snap_take(st->db, &st->snap);
}

/* The run ended (done, failed or reset): its snapshot goes. */
static void end_run(remdb_stmt *st) {
  if (st->fixed) return;
  snap_release(st->snap);
  st->snap = NULL;
}

/* sqlite3_step, charging the statement's budget of VM steps, with the
** statement's snapshot as the one its cursors read.  A statement may run
** inside another's step (search() runs its filter): it reads its own
** snapshot, its steps are charged to the outer statement's budget, and the
** session's per-statement state (the snapshot, the conflict mode, the code
** of a failed write) is the outer statement's again when it returns. */
static int run_step(remdb_stmt *st) {
  sql_sess *s = st->sess;
  if (!sqlite3_stmt_busy(st->st)) st->steps = 0; /* a new run */
  uint64_t *outer = s->steps;
  bool outer_abort = s->or_abort;
  int outer_rc = s->write_rc;
  snap_t *outer_snap = s->snap;
  s->steps = outer ? outer : &st->steps;
  s->or_abort = st->or_abort;
  s->write_rc = 0;
  s->snap = st->snap;
  s->over_budget = false;
  s->depth++;
  int src = sqlite3_step(st->st);
  s->depth--;
  st->write_rc = s->write_rc;
  s->steps = outer;
  s->or_abort = outer_abort;
  s->write_rc = outer_rc;
  s->snap = outer_snap;
  return src;
}

static int step_error(remdb_stmt *st, int src) {
  remdb *db = st->db;
  if (st->sess->over_budget && (src & 0xff) == SQLITE_INTERRUPT) {
    st->sess->over_budget = false;
    return err_set(&db->err, REMDB_TOOBIG,
                   "SQL error: statement exceeded its budget of %llu steps "
                   "(remdb_options.max_sql_steps)",
                   (unsigned long long)db->st->opts.max_sql_steps);
  }
  const char *msg = sqlite3_errmsg(st->sess->conn);
  int code = (src & 0xff) == SQLITE_CONSTRAINT
                 ? (st->write_rc == REMDB_EXISTS ? REMDB_EXISTS
                                                 : REMDB_SCHEMA)
             : (src & 0xff) == SQLITE_NOMEM    ? REMDB_NOMEM
             : (src & 0xff) == SQLITE_AUTH     ? REMDB_INVALID
             : (src & 0xff) == SQLITE_TOOBIG   ? REMDB_TOOBIG
                                               : REMDB_ERROR;
  if (st->sess->denied[0])
    return err_set(&db->err, code, "SQL error: %s", st->sess->denied);
  return err_set(&db->err, code, "SQL error: %s", msg);
}

/* Compile st's SQL again on the session as it is now (the catalog has
** changed), moving the bindings over. */
static int reprepare(remdb_stmt *st) {
  remdb *db = st->db;
  if (st->sess->depth > 0) /* nested: the outermost statement retries */
    return err_set(&db->err, REMDB_ERROR,
                   "the schema changed during the statement: run it again");
  /* a routed statement is prepared again as written, for SQLite: its
  ** plan was made for the tables as they were */
  char *sql = sqlite3_mprintf("%s", st->colx ? st->orig : sqlite3_sql(st->st));
  if (sql == NULL) return err_nomem(&db->err);
  sqlite3_stmt *old = st->st, *nw = NULL;
  sqlite3_reset(old);
  sql_sess *s;
  int rc = sql_session(db, st->fixed ? st->snap : NULL, &s);
  if (rc == REMDB_OK &&
      sqlite3_prepare_v2(s->conn, sql, -1, &nw, NULL) != SQLITE_OK)
    rc = err_set(&db->err, REMDB_ERROR, "SQL error: %s",
                 sqlite3_errmsg(s->conn));
  sqlite3_free(sql);
  if (rc) return rc;
  sqlite3_transfer_bindings(old, nw);
  sqlite3_finalize(old);
  st->st = nw;
  if (st->colx) colx_release(st->sess, st->colx);
  st->colx = 0;
  st->sess = s;
  return REMDB_OK;
}

/* The columnar route found rows it cannot serve exactly (run.c says
** which): the statement runs as written, through SQLite. */
static bool colx_fell_back(remdb_stmt *st, int src) {
  sql_sess *s = st->sess;
  if (src == SQLITE_ROW || src == SQLITE_DONE || !s->colx_fallback ||
      st->colx == 0 || st->rows != 0)
    return false;
  s->colx_fallback = false;
  snprintf(st->why, sizeof st->why, "%s", s->colx_why);
  sqlite3_stmt *nw = NULL;
  sqlite3_reset(st->st);
  if (sqlite3_prepare_v2(s->conn, st->orig, -1, &nw, NULL) != SQLITE_OK) {
    sqlite3_finalize(nw);
    return false;
  }
  sqlite3_transfer_bindings(st->st, nw);
  sqlite3_finalize(st->st);
  st->st = nw;
  colx_release(s, st->colx);
  st->colx = 0;
  return true;
}

int remdb_step(remdb_stmt *st) {
  if (st == NULL) return REMDB_MISUSE;
  err_clear(&st->db->err);
  if (!st->explain) {
    st->sess->stale = false;
    int rc = begin_run(st);
    if (rc) return rc;
    st->sess->colx_fallback = false;
    int src = run_step(st);
    if (colx_fell_back(st, src)) src = run_step(st);
    /* the schema changed under a statement that returned nothing yet:
    ** prepare it again on the current tables, keep its bindings, retry
    ** (on a new snapshot) */
    for (int tries = 0; src != SQLITE_ROW && src != SQLITE_DONE &&
                        st->sess->stale && st->rows == 0 && tries < 3;
         tries++) {
      end_run(st);
      if ((rc = reprepare(st)) || (rc = begin_run(st))) return rc;
      st->sess->stale = false;
      src = run_step(st);
    }
    if (src != SQLITE_ROW) end_run(st);
    if (src == SQLITE_ROW && ++st->rows > st->db->st->opts.max_result_rows)
      return err_set(&st->db->err, REMDB_TOOBIG,
                     "SQL result has more than %llu rows (the limit set by "
                     "remdb_options.max_result_rows)",
                     (unsigned long long)st->db->st->opts.max_result_rows);
    if (src == SQLITE_ROW) return REMDB_ROW;
    if (src == SQLITE_DONE) return REMDB_DONE;
    return step_error(st, src);
  }
  if (!st->explained) {
    sql_sess *s = st->sess;
    sql_routes_clear(s);
    int rc = begin_run(st);
    if (rc) return rc;
    s->explain = true;
    s->colx_fallback = false;
    int src;
    while ((src = run_step(st)) == SQLITE_ROW) {
    }
    if (colx_fell_back(st, src)) {
      sql_routes_clear(s);
      while ((src = run_step(st)) == SQLITE_ROW) {
      }
    }
    if (st->why[0] && st->colx == 0) {
      /* the aggregation SQLite ran, and why the executor did not */
      char line[sizeof st->why + 16];
      snprintf(line, sizeof line, "sqlite: %s", st->why);
      sql_route_note(s, "(aggregate)", line, line, 0, 0);
    }
    sqlite3_reset(st->st); /* closes the cursors: their routes are noted */
    s->explain = false;
    end_run(st);
    if (src != SQLITE_DONE) return step_error(st, src);
    st->explained = true;
    st->erow = 0;
  }
  if (st->erow >= st->sess->nroutes) return REMDB_DONE;
  st->erow++;
  return REMDB_ROW;
}

int remdb_column_count(remdb_stmt *st) {
  if (st == NULL) return 0;
  return st->explain ? EXPLAIN_COLS : sqlite3_column_count(st->st);
}

const char *remdb_column_name(remdb_stmt *st, int i) {
  if (st == NULL || i < 0 || i >= remdb_column_count(st)) return NULL;
  return st->explain ? explain_names[i] : sqlite3_column_name(st->st, i);
}

static const struct route *cur_route(remdb_stmt *st) {
  return st->erow >= 1 && st->erow <= st->sess->nroutes
             ? &st->sess->routes[st->erow - 1]
             : NULL;
}

int remdb_column_type(remdb_stmt *st, int i) {
  if (st == NULL) return REMDB_NULL;
  if (st->explain) return i < 2 ? REMDB_TEXT : REMDB_INTEGER;
  return sqlite3_column_type(st->st, i); /* the codes are SQLite's */
}

int64_t remdb_column_int64(remdb_stmt *st, int i) {
  if (st == NULL) return 0;
  if (st->explain) {
    const struct route *r = cur_route(st);
    if (r == NULL) return 0;
    return i == 2 ? (int64_t)r->scans : i == 3 ? (int64_t)r->examined
           : i == 4 ? (int64_t)r->returned : 0;
  }
  return sqlite3_column_int64(st->st, i);
}

double remdb_column_double(remdb_stmt *st, int i) {
  if (st == NULL) return 0;
  if (st->explain) return (double)remdb_column_int64(st, i);
  return sqlite3_column_double(st->st, i);
}

const char *remdb_column_text(remdb_stmt *st, int i, size_t *len) {
  if (st == NULL) return NULL;
  const char *t;
  if (st->explain) {
    const struct route *r = cur_route(st);
    if (r == NULL) return NULL;
    if (i == 0) t = r->table;
    else if (i == 1) t = r->desc;
    else {
      snprintf(st->cell, sizeof st->cell, "%lld",
               (long long)remdb_column_int64(st, i));
      t = st->cell;
    }
    if (len) *len = strlen(t);
    return t;
  }
  t = (const char *)sqlite3_column_text(st->st, i);
  if (len) *len = t ? (size_t)sqlite3_column_bytes(st->st, i) : 0;
  return t;
}

int remdb_reset(remdb_stmt *st) {
  if (st == NULL) return REMDB_MISUSE;
  sqlite3_reset(st->st);
  end_run(st);
  st->explained = false;
  st->erow = 0;
  st->rows = 0;
  return REMDB_OK;
}

void remdb_finalize(remdb_stmt *st) {
  if (st == NULL) return;
  sqlite3_finalize(st->st);
  if (st->colx) colx_release(st->sess, st->colx);
  free(st->orig);
  snap_release(st->snap);
  free(st);
}

int remdb_stmt_readonly(remdb_stmt *st) {
  /* TEMP tables and views belong to the handle's own SQLite connection:
  ** a reader writes them (SQLite's own readonly flag counts them) */
  return st != NULL && !st->writes;
}

int64_t remdb_changes(remdb *db) {
  if (db == NULL || db->sql == NULL) return 0;
  sql_sess *s = db->sql;
  return s->conn ? (int64_t)sqlite3_changes64(s->conn) : 0;
}

/*
** sql.h: SQL over remdb.  remdb's SQL is SQLite's, run on a private
** in-memory SQLite connection per handle in which every table of the
** tenant is a virtual table of the module in vtab.c; rows are read
** through core's scans, and writes go through the validated write path.
**
** Layer: above core only (the catalog, the scans, the write transaction);
** it never sees storage (no storage header here).  graph/ and search/ sit above it
** and register their table functions (traverse(), search()) with its
** registry, so it never calls up.  A statement reads one snapshot: stmt.c
** takes it when a run starts, and every cursor and table function of the
** run reads it.
**
**   session.c  the connection: vtab declarations kept in step with the
**              catalog, the authorizer, the EXPLAIN route log
**   vtab.c     the virtual-table module: cursors (scans), columns, DML
**   plan.c     xBestIndex: constraint pushdown and cost
**   dialect.c  the REM statements (LOOKUP, SEARCH, TRAVERSE) and
**              embedding.<metric>() predicates, rebuilt from tokens
**   tvf.c      table functions: the module, the registry, lookup()
**   stmt.c     remdb_prepare/step/column/finalize; statement snapshots
*/
#ifndef REMDB_SQL_H
#define REMDB_SQL_H

#include <sqlite3.h>

#include "../core/core.h"

/* ---- plans: idxNum flags and the idxStr "<kind><field id>" ---------- */
enum {
  P_EQ = 1,        /* argv: the value, or an IN list with P_IN */
  P_IN = 2,
  P_LO = 4,        /* argv: lower bound */
  P_LO_INCL = 8,
  P_HI = 16,       /* argv: upper bound */
  P_HI_INCL = 32,
  P_ISNULL = 64,   /* field IS NULL: argv: a NULL, not read */
  P_NOTNULL = 128, /* field IS NOT NULL: argv: a NULL, not read */
  P_ORDER = 256,   /* rows come out ordered by the field (or id) */
  P_DESC = 512,
  P_IS = 4096,     /* the equality is IS: a NULL value matches NULL */
};
/* PLAN_KEY: key_field = v or IN (...), point gets of the ids derived from
** the values as the write path derives them (vtab.c) */
enum { PLAN_FULL = 'F', PLAN_POINT = 'P', PLAN_INDEX = 'I', PLAN_KEY = 'K' };

/* Column kinds of a table's virtual table. */
enum col_kind { COL_ID, COL_TYPE, COL_FIELD };
/* Affinity of a column: how values are handed to SQLite. */
enum col_aff { AFF_NONE, AFF_TEXT, AFF_INTEGER, AFF_REAL, AFF_BOOL, AFF_JSON };

typedef struct sql_sess sql_sess;

typedef struct rvtab {
  sqlite3_vtab base;
  sql_sess *sess;
  sch_table *s; /* own reference */
  bool all;     /* the <table>_all view: soft-deleted rows too */
  int ncol;
  uint8_t *kind;
  uint8_t *aff;
  uint16_t *field;
} rvtab;

struct sql_sess {
  remdb *db;
  sqlite3 *conn;
  uint64_t epoch;   /* catalog epoch the virtual tables were declared at */
  /* The snapshot of the statement being stepped: its cursors read it (set
  ** around each sqlite3_step and restored after, so a statement nested in
  ** another's step, a search's filter, reads its own).  Not owned. */
  snap_t *snap;
  int depth;        /* statements inside sqlite3_step: the connection is
                    ** in use and must not be declared again */
  wtx_t *txn;       /* the DML transaction of the running statement */
  bool explain;     /* collect routes for EXPLAIN */
  char denied[160]; /* why the authorizer refused the last statement */
  char skipped[256]; /* tables that could not be declared, and why */
  char **declared;  /* the tables registered (eponymous: see session.c) */
  uint32_t ndeclared;
  bool probed;      /* skipped includes those that fail to connect */
  bool stale;       /* a cursor found its plan's index changed: re-prepare */
  bool or_abort;    /* the running statement says INSERT OR ABORT */
  bool writes;      /* the statement being prepared writes a remdb table */
  int write_rc;     /* the remdb code of the last failed write, or 0 */
  uint64_t *steps;  /* VM steps of the running statement (its budget) */
  bool over_budget; /* the progress handler stopped it */
  struct route {
    char table[72];
    char desc[256];   /* with values, while every scan used the same */
    char shape[256];  /* with ? for values: what scans are grouped by */
    uint64_t scans, examined, returned;
  } *routes;
  size_t nroutes, caproutes;
  /* the columnar route (colx.c): plans of prepared statements by id */
  void *colx;
  size_t ncolx, capcolx;
  uint64_t colx_next;
  bool colx_fallback; /* a run found it cannot serve its rows exactly */
  char colx_why[256];
};

/* session.c */
/* The handle's SQL session, created or brought in step with the catalog.
** With snap, the catalog is not refreshed: it must be the one snap agrees
** with.  While a statement runs on the session (depth > 0) its connection
** is not declared again: a catalog that moved on is an error, and the
** outermost statement is marked stale (it is prepared again). */
int sql_session(remdb *db, const snap_t *snap, sql_sess **out);
void sql_session_free(void *p);
void sql_route_note(sql_sess *s, const char *table, const char *desc,
                    const char *shape, uint64_t examined, uint64_t returned);
void sql_routes_clear(sql_sess *s);

/* vtab.c */
int sql_register_module(sqlite3 *conn, sql_sess *s);
/* Register table name (all: as its <name>_all twin) as an eponymous
** virtual table: declared when a statement first names it. */
int sql_register_table(sqlite3 *conn, sql_sess *s, const char *name, bool all);

/* plan.c */
int plan_best_index(rvtab *vt, sqlite3_index_info *info);
/* How an index bound compares, after SQLite's affinity rules. */
enum enc_result {
  ENC_KEY,   /* out holds the value's key: an exact bound */
  ENC_NONE,  /* no stored value can compare equal/ordered (NULL, BLOB) */
  ENC_ANY,   /* unknowable here (a number against a text column): scan
             ** every non-NULL entry and let SQLite decide */
  ENC_NEAR,  /* out holds the key of the double nearest v (an integer
             ** beyond 2^53 against a REAL column): as a bound, it must be
             ** taken inclusively; as an equality, it is a superset */
};
/* Encode v, converted with the column's affinity as SQLite would compare
** it, as an index key value. */
enum enc_result plan_encode(const rvtab *vt, int col, sqlite3_value *v,
                            buf_t *out);
/* The column of the table's key_field, if a key route can serve it (its
** values convert to the JSON the id derives from), else -1. */
int plan_key_col(const rvtab *vt);
/* The key_field value, as JSON, that a stored entity whose key (column
** col) equals v as SQL compares it holds: 1 and *out set (caller frees);
** 0 if no stored key can equal v; -1 if that cannot be told (the key
** route then scans the table).  v may be converted to a number. */
int plan_key_value(const rvtab *vt, int col, sqlite3_value *v,
                   json_t **out);
/* A readable rendering of a plan for EXPLAIN. */
/* argv NULL: the shape, with ? in place of values. */
void plan_describe(const rvtab *vt, int idxNum, const char *idxStr,
                   int argc, sqlite3_value **argv, buf_t *out);

/* dialect.c */
/* If sql starts with a REM statement, or uses embedding.<metric>(), check
** it: on a syntax error or a form it cannot run, set the error and
** return non-zero.  A statement that runs as SQL is appended to
** rewrite (else rewrite stays empty), *used gets the length of the
** statement (with its ';': a statement after it runs next) and 0 is
** returned. */
int dialect_check(remdb *db, const char *sql, size_t len, buf_t *rewrite,
                  size_t *used);
/* Does the statement text say INSERT OR ABORT?  SQLite reports the same
** conflict mode for a plain INSERT, which upserts (vtab.c). */
bool dialect_or_abort(const char *sql, size_t len);

/* colx.c: the columnar route (exec/).  colx_route: if the SELECT
** sql[0..len), prepared as *st, is served by the executor, replace *st by
** its rewrite (1, *id its plan's registration); else 0 with why set when
** the statement was an aggregation the executor could not serve. */
int colx_register(sqlite3 *conn, sql_sess *s);
int colx_route(sql_sess *s, const char *sql, size_t len, sqlite3_stmt **st,
               uint64_t *id, char *why, size_t whylen);
void colx_release(sql_sess *s, uint64_t id);
void colx_free_all(sql_sess *s);
int colx_mode(sql_sess *s);

/* stmt.c */
/* remdb_prepare for a statement nested in a read (a search's filter): it
** runs under snap (retained) instead of taking its own snapshot, on the
** session as it is (never declared again while a statement runs). */
int sql_prepare_in(remdb *db, snap_t *snap, const char *sql, size_t len,
                   remdb_stmt **out, size_t *used);

/* tvf.c: table-valued functions, which serve the JSON rows of a call.
** lookup() (over core) is built in; the layers above sql register theirs
** (traverse() from graph/, search() from search/) when the library is
** wired, before any session exists, so sql/ never calls up.  Each session
** declares every registered function. */
typedef struct sql_fn {
  const char *name;
  const char *decl;         /* visible columns, then the hidden arguments */
  int nvisible, nargs;
  const char *const *paths; /* per visible column: "key" or "obj.key" */
  /* run with the given arguments (args[i] NULL when absent), reading the
  ** running statement's snapshot (s->snap); *rows gets a JSON array */
  int (*run)(sql_sess *s, sqlite3_value **args, json_t **rows, char **err);
} sql_fn;
/* Register f (static storage), replacing one of the same name.  Not
** thread-safe: called while the library is wired. */
int sql_fn_register(const sql_fn *f);
int sql_register_tvfs(sqlite3 *conn, sql_sess *s);

/* ---- ipos.c: an index route reading columns by row position ---------- */
typedef struct ipos ipos;
/* For a run of an index route of vt under snap reading the columns in
** mask used (SQLite's colUsed) and expecting est_rows rows: *out set when
** the columns are read by position (the caller's scan then walks the
** index for ids only, scan_spec.ids_only), NULL for the row route.  0 or
** REMDB_NOMEM. */
int ipos_open(rvtab *vt, const snap_t *snap, uint64_t used, double est_rows,
              ipos **out);
void ipos_close(ipos *p); /* NULL is a no-op */
/* Tests only: take the route whenever it serves, whatever the cost. */
extern bool ipos_always;
/* The next window of rows from scan (ids only).  0, REMDB_NOTFOUND when
** a value is inexact (run the row route instead), or an error. */
int ipos_refill(ipos *p, scan_t *scan, remdb *db);
bool ipos_need(const ipos *p);     /* the window is done, more may come */
bool ipos_row(ipos *p, uuid16_t *id); /* the current row: false at the end */
void ipos_next(ipos *p);
uint64_t ipos_rows(const ipos *p); /* rows returned so far */
/* Column i of the current row (a field column the statement reads). */
void ipos_column(ipos *p, const rvtab *vt, sqlite3_context *ctx, int i);

#endif

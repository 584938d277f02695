/*
** exec.h: the vectorized executor for analytics (issue 11).  The SQL
** layer hands it the text of a SELECT; when the statement is a shape it
** serves exactly (a single-table aggregation: WHERE of comparisons, IN,
** BETWEEN, LIKE, IS [NOT] NULL under AND/OR/NOT; GROUP BY columns and
** date buckets; COUNT, COUNT(DISTINCT), SUM, TOTAL, AVG, MIN, MAX), it
** returns a plan and the pieces of a rewritten statement that reads the
** plan's result (one row per group) from a table-valued function, so that
** SQLite applies HAVING, ORDER BY, LIMIT and the result expressions to the
** small result.  Everything else stays with SQLite.
**
** Layer: between core and sql.  It reads rows through a source (xsrc,
** below) with two providers: the columnar segments of core/colread.h and
** a row provider over core's scans (scan.c) that fills the same vectors,
** for tables without columns.  It never builds storage keys.
**
**   parse.c   the statement shapes: tokens -> plan + rewrite pieces
**   run.c     sources, the vectorized filter, the hash aggregate
*/
#ifndef REMDB_EXEC_H
#define REMDB_EXEC_H

#include <sqlite3.h>

#include "../core/colread.h"
#include "../core/core.h"

/* Routing settings (remdb_options.sql_route; also the session's own). */
enum { XROUTE_AUTO = 0, XROUTE_COLUMNAR = 1, XROUTE_SQLITE = 2 };

/* How the rewrite reads a result slot: the affinity its column needs so
** that comparisons in HAVING/ORDER BY behave as on the original. */
enum xslot_aff { XA_NONE, XA_TEXT, XA_INTEGER, XA_REAL };

#define X_MAX_SLOTS 32 /* keys + aggregates */
/* constants of the WHERE clause: remdb_colx() takes them as arguments,
** and SQLite omits its own check of at most 16 of a virtual table's
** constraints (the plan id and 15 constants); a statement with more stays
** with SQLite */
#define X_MAX_ARGS 15

typedef struct xplan xplan;

/* The parse of a SELECT: the plan, and the rewrite in pieces.  The rewrite
** is, with <id> the plan's registration:
**   SELECT <items[0]> AS "<name 0>", ... FROM <from_pre>
**          remdb_colx(<id><args>)<from_post> <tail>
** (from_pre and from_post are empty but for a join: the other table and
** the ON clause).
** items[i] are the select list's expressions with every aggregate and
** group key replaced by a slot column; args is ", c1, c2, ..." (the
** WHERE's constants as written, so parameters keep their numbers); tail
** is the HAVING (as WHERE), ORDER BY and LIMIT clauses, rewritten. */
typedef struct xparse {
  xplan *plan;
  char **items;
  int nitems;
  bool distinct; /* SELECT DISTINCT */
  char *args;
  char *tail;
  char *from_pre, *from_post;
  const char *table; /* the plan's table name */
  const char *stable; /* a join's other table name, else NULL */
} xparse;

/* Parse sql (one statement, len bytes, without a trailing ';' or with
** it) against db's cached catalog.  1: *out is filled (free it with
** exec_parse_free).  0: the statement is not served; why (may be "") says
** why, and is empty when the statement is not an aggregation at all. */
int exec_parse(remdb *db, const char *sql, size_t len, xparse *out,
               char *why, size_t whylen);
void exec_parse_free(xparse *p);
void exec_plan_free(xplan *p);
/* Does the plan's WHERE say anything an index could serve? (auto route) */
bool exec_plan_indexable(const xplan *p, remdb *db);
const char *exec_plan_table(const xplan *p);
/* May remdb_colx() serve an equality on the first key by lookup? */
bool exec_plan_lookup(const xplan *p);

/* ---- running a plan ----------------------------------------------------- */

/* One value of a result slot, as SQLite would give it. */
typedef struct xval {
  int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT */
  int64_t i;
  double f;
  const char *s;
  uint32_t n;
} xval;

typedef struct xresult xresult;

/* Which provider a run uses. */
enum { XSRC_AUTO = 0, XSRC_COLUMNS = 1, XSRC_ROWS = 2 };

/* A statement's budget of steps (remdb_options.max_sql_steps), the one
** SQLite's VM spends on the same statement.  A run charges
** X_STEPS_PER_ROW steps for every row position it reads (a segment that
** zone maps skip costs nothing), a batch at a time (every worker into the
** same count), and stops with REMDB_TOOBIG once used passes max.  The
** rate: a scan through SQLite costs its VM at least two steps a row
** (OP_VNext, an OP_Column per column read, the aggregate's step), so one
** a row keeps the columnar route's bound no tighter than SQLite's: a
** statement that fits the budget on SQLite's route fits it here. */
#define X_STEPS_PER_ROW 1
typedef struct xbudget {
  uint64_t max;  /* 0: no budget */
  uint64_t used; /* steps spent so far by the statement; the run adds its
                    own */
} xbudget;

/* Run plan p under snap with the WHERE constants args[0..nargs) (already
** bound by SQLite).  0: *out holds the groups.  Else an error: REMDB_ERROR
** with msg set ("integer overflow", as SQLite says it), or
** REMDB_NOTFOUND when the plan cannot serve these rows exactly (a value
** its column's type does not hold, a table without columns when columns
** were asked for): the caller runs the statement through SQLite;
** REMDB_TOOBIG when the run spent budget (NULL: none).  Errors are
** reported in msg only (the handle's error slot is not written from the
** parallel scan's threads).  desc gets the route for EXPLAIN. */
int exec_run(xplan *p, remdb *db, const snap_t *snap, int provider,
             sqlite3_value **args, int nargs, xresult **out, char *msg,
             size_t msglen, char *desc, size_t desclen, uint64_t *examined,
             xbudget *budget);
/* Tests only: when > 0, the thread count of every run, whatever
** remdb_options.exec_threads says (diffgen --threads compares N threads
** with one on the same handle). */
extern int exec_threads_force;
uint64_t exec_result_rows(const xresult *r);
/* Slot `slot` of row `row`: text points into the result. */
void exec_result_get(const xresult *r, uint64_t row, int slot, xval *out);
/* The row whose first key equals v as SQL compares it with the key's
** column (a join's lookup): its number, -1 if none, -2 out of memory. */
int64_t exec_result_lookup(xresult *r, sqlite3_value *v);
void exec_result_free(xresult *r);

#endif

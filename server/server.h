/*
** server.h: remdb's server layer, `remdb serve` (HTTP/1.1 JSON API) and
** `remdb mcp` (Model Context Protocol over stdio).
**
** It sits above the public API, like the CLI: it uses only remdb.h (plus
** jansson for JSON and, for serve, libmicrohttpd), never the library's
** internals.  The CLI's cmd_serve.c parses the command line and calls
** srv_http_run() or srv_mcp_run(); everything else lives here:
**
**   ops.c       the REM operations with JSON arguments and JSON results,
**               shared by the HTTP endpoints and the MCP tools
**   sqlcheck.c  what kind of statement a SQL text starts with (read-only
**               mode of the MCP sql tool, the HTTP rules)
**   json.c      a growable output buffer and the JSON encoding of SQL rows
**   http.c      the HTTP server: routes, API keys, limits, worker handles,
**               graceful shutdown
**   mcp.c       the MCP server: JSON-RPC 2.0, one message per line
*/
#ifndef REMDB_SERVER_H
#define REMDB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "remdb.h"

#include "../cli/json.h" /* sbuf: the output buffer and JSON rows */

/* ---- results of operations -------------------------------------------- */

/* The outcome of one operation.  On success `body` (malloc'd JSON text,
** owned by the result) and `status` (200, 201) are set; on failure `err`
** holds the text the CLI prints after "error: " and `status` is the HTTP
** status for it (4xx for the caller's mistakes, 5xx for the server's). */
typedef struct srv_res {
  int status;
  char *body;
  size_t len;
  char *err;
  char *plan; /* search with explain: the route taken (malloc'd) */
} srv_res;

void srv_res_free(srv_res *r);
/* Set a failure; returns -1. */
int srv_fail(srv_res *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failed API call: "<context>: <remdb_errmsg(db)>" with the status of
** the result code rc; returns -1. */
int srv_db_fail(srv_res *r, remdb *db, int rc, const char *context);
/* The HTTP status for a remdb result code. */
int srv_status(int rc);
/* Set a success from a JSON value (stolen) or from text (copied). */
int srv_ok_json(srv_res *r, int status, json_t *v);
int srv_ok_text(srv_res *r, int status, const char *text, size_t len);

/* ---- arguments ---------------------------------------------------------- */

/* Check that every key of the JSON object args is in `allowed` (a NULL
** terminated list); else fail with 400 "unknown field KEY" (or "unknown
** parameter KEY" when query is set).  A NULL args is an empty object. */
int srv_args_known(json_t *args, const char *const *allowed, bool query,
                   srv_res *r);
/* Getters: a missing (or null) optional field leaves *out at its default.
** Numbers and booleans may also be given as strings (query parameters). */
int srv_arg_str(json_t *args, const char *key, bool required, const char **out,
                srv_res *r);
int srv_arg_int(json_t *args, const char *key, long lo, long hi, long *out,
                srv_res *r);
int srv_arg_num(json_t *args, const char *key, double *out, srv_res *r);
int srv_arg_bool(json_t *args, const char *key, bool *out, srv_res *r);
int srv_arg_dir(json_t *args, const char *key, int *out, srv_res *r);

/* ---- operations (ops.c) --------------------------------------------------
** Each runs one REM operation on db (bound to the caller's tenant) and
** returns 0 with a result, or -1 with r->err set.  `args` is a JSON object
** (from a request body, query parameters or an MCP tool call); unknown
** keys are refused. */
int op_schema_list(remdb *db, srv_res *r);
int op_schema_get(remdb *db, const char *name, srv_res *r);
int op_schema_put(remdb *db, const char *doc, size_t len, srv_res *r);
int op_schema_drop(remdb *db, const char *name, srv_res *r);
/* Insert the JSON text `body`: an object (one entity: {"id"}) or an array
** of objects (one atomic batch: {"ids": [...]}). */
int op_insert(remdb *db, const char *table, const char *body, size_t len,
              srv_res *r);
int op_get(remdb *db, const char *id, json_t *args, srv_res *r);
int op_update(remdb *db, const char *id, const char *patch, size_t len,
              srv_res *r);
int op_delete(remdb *db, const char *id, json_t *args, srv_res *r);
int op_count(remdb *db, const char *table, json_t *args, srv_res *r);
int op_lookup(remdb *db, json_t *args, srv_res *r);
int op_search(remdb *db, json_t *args, srv_res *r);
int op_traverse(remdb *db, const char *id, json_t *args, srv_res *r);
int op_path(remdb *db, json_t *args, srv_res *r);
int op_edges(remdb *db, const char *id, json_t *args, srv_res *r);
int op_edge_put(remdb *db, json_t *args, srv_res *r);
int op_edge_delete(remdb *db, json_t *args, srv_res *r);
/* Ingest a document given as text (args: uri, text, name, table,
** chunk_size, overlap, jsonl). */
int op_ingest(remdb *db, json_t *args, srv_res *r);
int op_verify(remdb *db, srv_res *r);
int op_stats(remdb *db, srv_res *r);

/* Bind a JSON array of parameters (null, booleans as 0/1, integers, reals,
** strings; objects and arrays as JSON text) to st, 1-based.  0 or -1. */
int srv_bind_params(remdb_stmt *st, json_t *params, srv_res *r);
/* Prepare the single statement of sql (text after it other than spaces or
** comments is refused: one statement per request, so a failure never
** leaves earlier statements committed) and bind params.  *out is NULL for
** a text without a statement (an error). */
int srv_prepare_one(remdb *db, const char *sql, size_t len, json_t *params,
                    remdb_stmt **out, srv_res *r);

/* ---- SQL statement kinds (sqlcheck.c) ------------------------------------- */
enum sql_kind {
  SQL_READ,  /* SELECT, VALUES, WITH ... SELECT, LOOKUP, SEARCH, TRAVERSE,
                EXPLAIN of one of these */
  SQL_WRITE, /* INSERT, UPDATE, DELETE, REPLACE (also after WITH or
                EXPLAIN) */
  SQL_OTHER  /* anything else: CREATE, DROP, PRAGMA, ATTACH, ... */
};
/* The kind of the first statement of sql (len bytes), judged from its
** keywords outside strings, comments and parentheses.  kw (if not NULL,
** at least 16 bytes) receives the deciding keyword in upper case. */
enum sql_kind srv_sql_kind(const char *sql, size_t len, char *kw);

/* ---- the servers ---------------------------------------------------------- */

typedef struct srv_config {
  const char *path;   /* database directory */
  const char *tenant; /* without a keys file: the one tenant served */
  const char *listen; /* "HOST:PORT", "[V6]:PORT"; default 127.0.0.1:8765 */
  const char *keys;   /* API keys file, or NULL */
  int threads;        /* worker threads, 0: one per CPU (at least 2) */
  size_t max_body;    /* bytes of one request body */
  uint64_t max_rows;  /* rows of one SQL statement */
  double timeout;     /* seconds one SQL request may run (between rows) */
  double grace;       /* seconds in-flight requests get at shutdown */
  unsigned max_conns; /* open connections */
  bool allow_writes;  /* mcp: the sql tool may write */
  bool read_only;     /* mcp: open read-only, no write tools */
} srv_config;

void srv_config_init(srv_config *c);

/* Run until SIGTERM or SIGINT.  Prints one line "remdb serve: listening on
** http://HOST:PORT ..." on stdout when ready.  Returns the exit code; an
** error is printed as "error: ..." on stderr. */
int srv_http_run(const srv_config *c);

/* Serve MCP on stdin/stdout until stdin closes.  Returns the exit code. */
int srv_mcp_run(const srv_config *c);

#endif

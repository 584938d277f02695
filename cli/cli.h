/*
** cli.h: the remdb command-line tool.  It uses only the public API
** (remdb.h); these helpers are shared by its command files.
*/
#ifndef REMDB_CLI_H
#define REMDB_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "remdb.h"

/* Exit codes: 0 success, 1 failure, 2 bad usage. */
#define EXIT_USAGE 2

typedef struct cli {
  const char *path;
  const char *tenant;
  remdb *db;
  bool db_read_only; /* db was opened read-only (see cli_open) */
  int argc;
  char **argv; /* the command's own arguments (after the command name) */
} cli_t;

/* Print "error: <msg>" to stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a failed API call: "error: <context>: <remdb_errmsg>"; returns 1. */
int cli_db_fail(cli_t *c, const char *context);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the database (creating it for `init`, read-only if asked) into
** c->db.  Read-only opens take no lock: they run beside a writer. */
int cli_open(cli_t *c, bool create, bool read_only);
/* The same, returning the handle (NULL after printing the error). */
remdb *cli_open_handle(cli_t *c, bool create, bool read_only);

/* Read a whole file ("-" for stdin) into a NUL-terminated buffer that the
** caller frees.  NULL with errno set on failure. */
char *cli_slurp(const char *path, size_t *len);

/* Option parsing over c->argv: returns the value of --name (or NULL), and
** whether a flag is present; both remove what they consume. */
const char *cli_opt(cli_t *c, const char *name);
bool cli_flag(cli_t *c, const char *name);
/* After options are taken, require exactly n positional arguments. */
bool cli_nargs(cli_t *c, int n);

/* A progress bar on stderr, drawn only when stderr is a terminal. */
typedef struct progress {
  bool on;
  long long total, done;
  double last;
  const char *label;
} progress_t;
void progress_start(progress_t *p, const char *label, long long total);
void progress_update(progress_t *p, long long done, long long rows);
void progress_end(progress_t *p);

enum out_format { FMT_TABLE, FMT_JSON, FMT_JSONL, FMT_CSV };
/* One CSV field per RFC 4180: quoted when it holds , " CR or LF. */
void cli_csv_field(FILE *f, const char *s, size_t n);
/* Print the names of a JSON array of table names (plain identifiers), one
** per line. */
void cli_print_names(const char *json_list);
bool cli_parse_format(const char *s, enum out_format *fmt);
/* Where SQL runs.  A statement that writes no remdb table runs on the
** reader ro (read-only: no lock; its TEMP tables live there).  One that
** writes opens a writer, rw, and runs there; with keep_rw (remdb sql) the
** writer is kept for the rest of the text (the reader refreshed before
** its next statement), else (the shell) it is closed after the statement
** and the reader refreshed, so the write lock is held only while a
** statement writes. */
typedef struct sqlrun {
  cli_t *c;
  remdb *ro, *rw;
  bool keep_rw;
  bool ro_stale; /* rw wrote since ro was last refreshed */
} sqlrun_t;
/* Run every statement of sql, printing results in fmt.  0 or 1. */
int cli_run_sql(sqlrun_t *r, const char *sql, enum out_format fmt, FILE *out);

int cmd_sql(cli_t *c);
int cmd_shell(cli_t *c);
int cmd_edge(cli_t *c);
int cmd_traverse(cli_t *c);
int cmd_path(cli_t *c);
int cmd_lookup(cli_t *c);
int cmd_ingest(cli_t *c);
int cmd_search(cli_t *c);
/* Print each top-level object of a JSON array on its own line. */
void cli_print_objects(const char *json);
int cmd_init(cli_t *c);
int cmd_schema(cli_t *c);
int cmd_insert(cli_t *c);
int cmd_import(cli_t *c);
int cmd_get(cli_t *c);
int cmd_update(cli_t *c);
int cmd_delete(cli_t *c);
int cmd_export(cli_t *c);
int cmd_count(cli_t *c);
int cmd_find(cli_t *c);
int cmd_verify(cli_t *c);
int cmd_reindex(cli_t *c);
int cmd_stats(cli_t *c);
int cmd_backup(cli_t *c);
int cmd_compact(cli_t *c);
/* cmd_serve.c: the servers of server/ */
int cmd_serve(cli_t *c);
int cmd_mcp(cli_t *c);

#endif

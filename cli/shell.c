/*
** shell.c: `remdb -d DIR` with no command: an interactive SQL shell with
** line editing and history (libedit), or, when stdin is not a terminal,
** a script runner.  Statements end with ';'.  Dot commands:
**   .tables  .schema TABLE  .mode table|json|jsonl|csv  .explain on|off
**   .help  .quit
**
** The shell is a reader: it opens the database read-only (no lock, so it
** never blocks a writer in another process, however long it stays open)
** and refreshes its view before each statement, so it sees what others
** committed.  A statement that writes runs on a writer opened for it and
** closed right after (the write lock is held for that statement only).
**
** libedit is loaded with dlopen when the shell runs on a terminal, not
** linked: every other command would pay for loading it and its libraries
** at start.  Without it the shell reads plain lines.
*/
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help_text[] =
    ".tables               list the tables\n"
    ".schema TABLE         show a table's JSON Schema\n"
    ".mode MODE            output: table, json, jsonl or csv\n"
    ".explain on|off       show each query's route instead of its rows\n"
    ".help                 this text\n"
    ".quit                 leave (also Ctrl-D)\n"
    "SQL statements end with ';'.  REM: LOOKUP, SEARCH, TRAVERSE.\n";

typedef struct shell {
  cli_t *c;
  sqlrun_t run;
  enum out_format fmt;
  bool explain;
  bool tty;
  int errors;
} shell_t;

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                   s[n - 1] == '\r'))
    s[--n] = 0;
  return s;
}

static void dot_command(shell_t *sh, char *line) {
  char *cmd = line, *arg = line + strcspn(line, " \t");
  if (*arg) *arg++ = 0; /* split "cmd arg" */
  arg = trim(arg);
  remdb *db = sh->c->db;
  if (remdb_refresh(db) != REMDB_OK) {
    cli_fail("%s", remdb_errmsg(db));
    sh->errors++;
    return;
  }
  if (!strcmp(cmd, ".help")) {
    fputs(help_text, stdout);
  } else if (!strcmp(cmd, ".tables")) {
    char *list;
    if (remdb_schema_list(db, &list) != REMDB_OK) {
      cli_fail("%s", remdb_errmsg(db));
      sh->errors++;
      return;
    }
    cli_print_names(list);
    remdb_free(list);
  } else if (!strcmp(cmd, ".schema")) {
    char *j;
    if (arg == NULL || !*arg) {
      cli_fail(".schema needs a table name");
      sh->errors++;
    } else if (remdb_schema_get(db, arg, &j) != REMDB_OK) {
      cli_fail("%s", remdb_errmsg(db));
      sh->errors++;
    } else {
      printf("%s\n", j);
      remdb_free(j);
    }
  } else if (!strcmp(cmd, ".mode")) {
    if (!cli_parse_format(arg && *arg ? arg : "?", &sh->fmt)) {
      cli_fail(".mode takes table, json, jsonl or csv");
      sh->errors++;
    }
  } else if (!strcmp(cmd, ".explain")) {
    sh->explain = arg == NULL || !*arg || !strcmp(arg, "on");
    printf("explain %s\n", sh->explain ? "on" : "off");
  } else {
    cli_fail("unknown command %s (try .help)", cmd);
    sh->errors++;
  }
}

/* True once buf holds a complete statement: a ';' outside quotes and
** comments ends it. */
static bool complete(const char *s) {
  char q = 0;
  bool done = false;
  for (; *s; s++) {
    if (q) {
      if (*s == q) q = 0;
      continue;
    }
    if (*s == '\'' || *s == '"' || *s == '`') {
      q = *s;
    } else if (*s == '-' && s[1] == '-') {
      while (*s && *s != '\n') s++;
      if (!*s) break;
    } else if (*s == ';') {
      done = true;
    } else if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
      done = false;
    }
  }
  return done && !q;
}

static void run(shell_t *sh, const char *sql) {
  /* what other processes committed since the last statement */
  if (remdb_refresh(sh->run.ro) != REMDB_OK) {
    cli_fail("%s", remdb_errmsg(sh->run.ro));
    sh->errors++;
    return;
  }
  if (sh->explain) {
    size_t n = strlen(sql) + 9;
    char *q = malloc(n);
    if (q == NULL) return;
    snprintf(q, n, "EXPLAIN %s", sql);
    sh->errors += cli_run_sql(&sh->run, q, sh->fmt, stdout) != 0;
    free(q);
  } else {
    sh->errors += cli_run_sql(&sh->run, sql, sh->fmt, stdout) != 0;
  }
  fflush(stdout); /* a script's reader sees each result as it is done */
}

/* libedit's readline interface, when it could be loaded */
static struct {
  char *(*readline)(const char *);
  void (*using_history)(void);
  int (*read_history)(const char *);
  int (*write_history)(const char *);
  int (*add_history)(const char *);
} ed;

static bool load_libedit(void) {
  void *lib = dlopen("libedit.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return false;
  void *f[5];
  static const char *const names[5] = {"readline", "using_history",
                                       "read_history", "write_history",
                                       "add_history"};
  for (int i = 0; i < 5; i++)
    if ((f[i] = dlsym(lib, names[i])) == NULL) return false;
  memcpy(&ed.readline, &f[0], sizeof f[0]);
  memcpy(&ed.using_history, &f[1], sizeof f[1]);
  memcpy(&ed.read_history, &f[2], sizeof f[2]);
  memcpy(&ed.write_history, &f[3], sizeof f[3]);
  memcpy(&ed.add_history, &f[4], sizeof f[4]);
  return true;
}

static char *read_line(shell_t *sh, bool more) {
  const char *prompt = more ? "   ...> " : "remdb> ";
  if (sh->tty && ed.readline) return ed.readline(prompt);
  if (sh->tty) {
    fputs(prompt, stdout);
    fflush(stdout);
  }
  char *line = NULL;
  size_t cap = 0;
  if (getline(&line, &cap, stdin) < 0) {
    free(line);
    return NULL;
  }
  return line;
}

int cmd_shell(cli_t *c) {
  if (cli_open(c, false, true)) return 1;
  shell_t sh = {.c = c, .fmt = FMT_TABLE, .tty = isatty(STDIN_FILENO)};
  sh.run = (sqlrun_t){.c = c, .ro = c->db, .keep_rw = false};
  char hist[1024] = "";
  const char *home = getenv("HOME");
  if (sh.tty) {
    printf("remdb %s: %s (tenant %s).  .help for help, .quit to leave.\n",
           REMDB_VERSION, c->path, c->tenant);
    if (load_libedit()) {
      ed.using_history();
      if (home) {
        snprintf(hist, sizeof hist, "%s/.remdb_history", home);
        ed.read_history(hist);
      }
    }
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return cli_fail("out of memory");
  buf[0] = 0;
  char *line;
  while ((line = read_line(&sh, len > 0)) != NULL) {
    char *t = trim(line);
    if (len == 0 && t[0] == '.') {
      if (ed.add_history) ed.add_history(t);
      if (!strcmp(t, ".quit") || !strcmp(t, ".exit")) {
        free(line);
        break;
      }
      dot_command(&sh, t);
      fflush(stdout);
      free(line);
      continue;
    }
    size_t n = strlen(t);
    if (len + n + 2 > cap) {
      while (len + n + 2 > cap) cap *= 2;
      char *nb = realloc(buf, cap);
      if (nb == NULL) {
        free(line);
        break;
      }
      buf = nb;
    }
    memcpy(buf + len, t, n);
    len += n;
    buf[len++] = '\n';
    buf[len] = 0;
    free(line);
    if (complete(buf)) {
      if (ed.add_history) {
        buf[len - 1] = 0; /* history without the newline */
        ed.add_history(buf);
      }
      run(&sh, buf);
      len = 0;
      buf[0] = 0;
    }
  }
  if (len > 0 && trim(buf)[0]) run(&sh, buf); /* a last unterminated one */
  free(buf);
  if (sh.tty) {
    putchar('\n');
    if (hist[0]) ed.write_history(hist);
  }
  return sh.errors && !sh.tty ? 1 : 0;
}

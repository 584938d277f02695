/*
** cmd_serve.c: `remdb serve` and `remdb mcp`.  Only the command lines are
** parsed here; the servers live in server/ (see server/server.h), which,
** like this file, uses nothing but the public API.
*/
#include <stdlib.h>
#include <string.h>

#include "../server/server.h"
#include "cli.h"

static int num_opt(cli_t *c, const char *name, double lo, double hi,
                   double *out) {
  const char *v = cli_opt(c, name);
  if (v == NULL) return 0;
  char *end;
  double d = strtod(v, &end);
  if (*v == 0 || *end != 0 || !(d >= lo && d <= hi))
    return cli_usage("%s must be a number from %g to %g", name, lo, hi);
  *out = d;
  return 0;
}

/* remdb serve [--listen HOST:PORT] [--keys FILE] [--threads N]
**             [--max-body BYTES] [--max-rows N] [--timeout SECONDS]
**             [--grace SECONDS] [--max-connections N] */
int cmd_serve(cli_t *c) {
  srv_config cfg;
  srv_config_init(&cfg);
  cfg.path = c->path;
  cfg.tenant = c->tenant;
  const char *l = cli_opt(c, "--listen");
  if (l) cfg.listen = l;
  cfg.keys = cli_opt(c, "--keys");
  double threads = 0, body = (double)cfg.max_body, rows = (double)cfg.max_rows,
         conns = cfg.max_conns;
  if (num_opt(c, "--threads", 1, 256, &threads) ||
      num_opt(c, "--max-body", 1024, 1e12, &body) ||
      num_opt(c, "--max-rows", 1, 1e12, &rows) ||
      num_opt(c, "--timeout", 0, 1e6, &cfg.timeout) ||
      num_opt(c, "--grace", 0, 1e6, &cfg.grace) ||
      num_opt(c, "--max-connections", 1, 1e6, &conns))
    return EXIT_USAGE;
  if (!cli_nargs(c, 0)) return EXIT_USAGE;
  cfg.threads = (int)threads;
  cfg.max_body = (size_t)body;
  cfg.max_rows = (uint64_t)rows;
  cfg.max_conns = (unsigned)conns;
  return srv_http_run(&cfg);
}

/* remdb mcp [--allow-writes | --read-only] [--max-rows N] */
int cmd_mcp(cli_t *c) {
  srv_config cfg;
  srv_config_init(&cfg);
  cfg.path = c->path;
  cfg.tenant = c->tenant;
  cfg.max_rows = 1000;
  cfg.allow_writes = cli_flag(c, "--allow-writes");
  cfg.read_only = cli_flag(c, "--read-only");
  double rows = (double)cfg.max_rows;
  if (num_opt(c, "--max-rows", 1, 1e9, &rows)) return EXIT_USAGE;
  if (!cli_nargs(c, 0)) return EXIT_USAGE;
  if (cfg.allow_writes && cfg.read_only)
    return cli_usage("--allow-writes and --read-only exclude each other");
  cfg.max_rows = (uint64_t)rows;
  return srv_mcp_run(&cfg);
}

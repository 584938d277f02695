/*
** mcp.c: `remdb mcp`, the REM operations as Model Context Protocol tools
** over stdio.
**
** Transport: JSON-RPC 2.0, one message per line on stdin, one response per
** line on stdout (log lines go to stderr).  Methods: initialize (the
** protocol version is the client's when it is one of ours, else our
** latest), notifications/initialized, ping, tools/list, tools/call.  A
** message that is not JSON gets a parse error (-32700), one that is not a
** request an invalid-request error (-32600), an unknown method -32601 and
** an unknown tool or bad call -32602.  A tool that runs and fails answers
** with a result whose isError is true and whose text is the CLI's
** "error: ..." line, so the model can read it and try again.
**
** Tools: lookup, search, traverse, get, schema, sql, and (unless the
** server was started with --read-only) insert, upsert, add_edge, ingest.
** The sql tool runs only reading statements (SELECT, VALUES, WITH ...
** SELECT, EXPLAIN of those, LOOKUP, SEARCH, TRAVERSE; see sqlcheck.c)
** unless the server was started with --allow-writes; its rows are cut at
** --max-rows (default 1000), and the result says whether they were.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const char *const versions[] = {"2025-06-18", "2025-03-26",
                                       "2024-11-05"};

#define MAX_LINE (64u << 20)

typedef struct mcp {
  const srv_config *cfg;
  remdb *db;
} mcp;

/* ---- tool definitions ----------------------------------------------------- */

typedef struct tool {
  const char *name;
  bool writes; /* left out with --read-only */
  const char *description;
  const char *schema; /* inputSchema, JSON */
} tool;

static const tool tools[] = {
    {"lookup", false,
     "Find entities of any table by key: each key is tried as an id, as a "
     "key_field value or name, then normalised (case, spaces and "
     "punctuation ignored), and with fuzzy also within a small edit "
     "distance. Returns [{key, match, distance, entity}].",
     "{\"type\":\"object\",\"properties\":{"
     "\"keys\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
     "\"minItems\":1,\"description\":\"ids, key values or names\"},"
     "\"fuzzy\":{\"type\":\"boolean\",\"description\":\"also near misses\"}},"
     "\"required\":[\"keys\"],\"additionalProperties\":false}"},
    {"search", false,
     "Search a table: the k entities that best match a text, best first, "
     "optionally among the rows matching a SQL predicate. mode: vector "
     "(semantic similarity), keyword (BM25 full-text: terms, \"phrases\", "
     "prefix*, -excluded, OR) or hybrid (both, fused by rank); default hybrid "
     "when the table has both indexes. Returns [{id, score, entity}] (hybrid "
     "adds keyword_rank and vector_rank).",
     "{\"type\":\"object\",\"properties\":{"
     "\"table\":{\"type\":\"string\"},"
     "\"query\":{\"type\":\"string\",\"description\":\"text to search for\"},"
     "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000,"
     "\"default\":10},"
     "\"where\":{\"type\":\"string\",\"description\":\"SQL predicate over the "
     "table's columns, e.g. status = 'open'\"},"
     "\"min_score\":{\"type\":\"number\"},"
     "\"method\":{\"enum\":[\"auto\",\"exact\",\"hnsw\"]},"
     "\"mode\":{\"enum\":[\"keyword\",\"vector\",\"hybrid\"]},"
     "\"snippets\":{\"type\":\"boolean\",\"description\":\"keyword/hybrid: "
     "the best matching fragment of each text field\"}},"
     "\"required\":[\"table\",\"query\"],\"additionalProperties\":false}"},
    {"traverse", false,
     "Walk the graph breadth-first from an entity along its edges. Returns "
     "{nodes: [{id, depth, entity, path}], truncated}.",
     "{\"type\":\"object\",\"properties\":{"
     "\"id\":{\"type\":\"string\",\"description\":\"the start entity\"},"
     "\"depth\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":64,"
     "\"default\":2},"
     "\"direction\":{\"enum\":[\"out\",\"in\",\"both\"],\"default\":\"out\"},"
     "\"type\":{\"type\":\"string\",\"description\":\"only edges of this "
     "type\"},"
     "\"max_nodes\":{\"type\":\"integer\",\"minimum\":1}},"
     "\"required\":[\"id\"],\"additionalProperties\":false}"},
    {"get", false, "Read one entity by id.",
     "{\"type\":\"object\",\"properties\":{"
     "\"id\":{\"type\":\"string\"},"
     "\"table\":{\"type\":\"string\",\"description\":\"optional, saves a "
     "lookup\"}},"
     "\"required\":[\"id\"],\"additionalProperties\":false}"},
    {"schema", false,
     "Without table: the names of the tables. With table: its JSON Schema "
     "(properties, required, indexed_fields, key_field, ...).",
     "{\"type\":\"object\",\"properties\":{"
     "\"table\":{\"type\":\"string\"}},\"additionalProperties\":false}"},
    {"sql", false,
     "Run one SQLite statement over the tenant's tables (each table is a SQL "
     "table: id, type, created_at, modified_at, deleted_at and its "
     "properties). REM extensions: LOOKUP 'k1', 'k2'; SEARCH 'text' IN "
     "table [WHERE ...] [LIMIT n]; TRAVERSE FROM 'id' DEPTH n DIRECTION "
     "out|in|both [TYPE 'rel']; WHERE embedding.cosine('text'). Read-only "
     "unless the server was started with --allow-writes. Parameters bind to "
     "?1, ?2, ... Returns {rows: [objects], truncated}.",
     "{\"type\":\"object\",\"properties\":{"
     "\"query\":{\"type\":\"string\",\"description\":\"one SQL statement\"},"
     "\"params\":{\"type\":\"array\",\"description\":\"values for ?1, ?2, "
     "...\"}},"
     "\"required\":[\"query\"],\"additionalProperties\":false}"},
    {"insert", true,
     "Insert a new entity into a table; it is validated against the table's "
     "schema. Fails if an entity with its id (given, or derived from the "
     "key_field) exists: use upsert to replace. Returns {id}.",
     "{\"type\":\"object\",\"properties\":{"
     "\"table\":{\"type\":\"string\"},"
     "\"entity\":{\"type\":\"object\",\"description\":\"the entity's "
     "fields\"}},"
     "\"required\":[\"table\",\"entity\"],\"additionalProperties\":false}"},
    {"upsert", true,
     "Insert an entity, or replace the entity with the same id (given, or "
     "derived from the key_field), keeping its created_at. Returns {id}.",
     "{\"type\":\"object\",\"properties\":{"
     "\"table\":{\"type\":\"string\"},"
     "\"entity\":{\"type\":\"object\"}},"
     "\"required\":[\"table\",\"entity\"],\"additionalProperties\":false}"},
    {"add_edge", true,
     "Add (or replace) the edge src -type-> dst between two entities.",
     "{\"type\":\"object\",\"properties\":{"
     "\"src\":{\"type\":\"string\"},\"dst\":{\"type\":\"string\"},"
     "\"type\":{\"type\":\"string\",\"description\":\"the relation, an "
     "identifier\"},"
     "\"props\":{\"type\":\"object\"},\"weight\":{\"type\":\"number\"}},"
     "\"required\":[\"src\",\"dst\",\"type\"],\"additionalProperties\":false}"},
    {"ingest", true,
     "Ingest a document: split it into chunks (by headings and paragraphs) "
     "stored as rows of the resources table, linked to a document row. Give "
     "either path (a file on this machine) or uri and text. Ingesting a uri "
     "again replaces its chunks. Returns {uri, chunks}.",
     "{\"type\":\"object\",\"properties\":{"
     "\"path\":{\"type\":\"string\"},"
     "\"uri\":{\"type\":\"string\"},\"text\":{\"type\":\"string\"},"
     "\"name\":{\"type\":\"string\"},\"table\":{\"type\":\"string\"},"
     "\"chunk_size\":{\"type\":\"integer\",\"minimum\":64},"
     "\"overlap\":{\"type\":\"integer\",\"minimum\":0}},"
     "\"additionalProperties\":false}"},
};
#define NTOOLS (sizeof tools / sizeof *tools)

static const tool *find_tool(const mcp *m, const char *name) {
  for (size_t i = 0; i < NTOOLS; i++)
    if (strcmp(tools[i].name, name) == 0)
      return tools[i].writes && m->cfg->read_only ? NULL : &tools[i];
  return NULL;
}

/* ---- the tools that are not plain ops ------------------------------------- */

static int tool_sql(mcp *m, json_t *args, srv_res *r) {
  static const char *const known[] = {"query", "params", NULL};
  const char *sql = NULL;
  if (srv_args_known(args, known, false, r) ||
      srv_arg_str(args, "query", true, &sql, r))
    return -1;
  size_t len = strlen(sql);
  char kw[16];
  remdb_stmt *st;
  /* compiling runs nothing: a syntax error is reported as such */
  if (srv_prepare_one(m->db, sql, len, json_object_get(args, "params"), &st, r))
    return -1;
  if (!m->cfg->allow_writes && srv_sql_kind(sql, len, kw) != SQL_READ) {
    remdb_finalize(st);
    return srv_fail(r, 403,
                    "sql: %s%sthe server is read-only: only SELECT, VALUES, "
                    "WITH ... SELECT, EXPLAIN, LOOKUP, SEARCH and TRAVERSE "
                    "statements run (start remdb mcp with --allow-writes to "
                    "write with SQL)",
                    kw[0] ? kw : "", kw[0] ? " refused: " : "");
  }
  sbuf b = {0};
  sb_adds(&b, "{\"rows\":[");
  uint64_t rows = 0;
  bool truncated = false;
  int rc;
  while ((rc = remdb_step(st)) == REMDB_ROW) {
    if (rows == m->cfg->max_rows) {
      truncated = true;
      break;
    }
    if (rows++) sb_addc(&b, ',');
    sb_json_row(&b, st);
  }
  if (rc != REMDB_ROW && rc != REMDB_DONE) {
    srv_db_fail(r, m->db, rc == REMDB_ERROR ? REMDB_INVALID : rc, "");
    remdb_finalize(st);
    sb_free(&b);
    return -1;
  }
  remdb_finalize(st);
  sb_addf(&b, "],\"truncated\":%s}", truncated ? "true" : "false");
  size_t n;
  char *t = sb_take(&b, &n);
  if (t == NULL) return srv_fail(r, 503, "out of memory");
  int ok = srv_ok_text(r, 200, t, n);
  free(t);
  return ok;
}

static int tool_insert(mcp *m, json_t *args, bool upsert, srv_res *r) {
  static const char *const known[] = {"table", "entity", NULL};
  const char *table = NULL;
  if (srv_args_known(args, known, false, r) ||
      srv_arg_str(args, "table", true, &table, r))
    return -1;
  json_t *e = json_object_get(args, "entity");
  if (!json_is_object(e))
    return srv_fail(r, 400, "insert: \"entity\" must be a JSON object");
  char *t = json_dumps(e, JSON_COMPACT);
  if (t == NULL) return srv_fail(r, 503, "out of memory");
  if (upsert) {
    int rc = op_insert(m->db, table, t, strlen(t), r);
    free(t);
    return rc;
  }
  /* stage it to learn its id, and commit only if the id is new (this
  ** process holds the database's write lock: nobody else can add it) */
  remdb_batch *b = NULL;
  char id[REMDB_ID_LEN + 1];
  int rc = remdb_batch_begin(m->db, &b);
  if (rc == REMDB_OK) rc = remdb_batch_insert(b, table, t, strlen(t), id);
  free(t);
  if (rc) {
    remdb_batch_free(b);
    return srv_db_fail(r, m->db, rc, "insert");
  }
  char *old = NULL;
  rc = remdb_get(m->db, NULL, id, REMDB_INCLUDE_DELETED, &old, NULL);
  remdb_free(old);
  if (rc == REMDB_OK) {
    remdb_batch_free(b);
    return srv_fail(r, 409,
                    "insert: an entity with id %s exists (upsert replaces it)",
                    id);
  }
  rc = remdb_batch_commit(b, -1);
  remdb_batch_free(b);
  if (rc) return srv_db_fail(r, m->db, rc, "insert");
  return srv_ok_json(r, 201, json_pack("{ss}", "id", id));
}

static int tool_ingest(mcp *m, json_t *args, srv_res *r) {
  const char *path = NULL;
  if (srv_arg_str(args, "path", false, &path, r)) return -1;
  if (path == NULL) return op_ingest(m->db, args, r);
  if (json_object_get(args, "text") || json_object_get(args, "uri"))
    return srv_fail(r, 400, "ingest takes path, or uri and text, not both");
  /* a file of this machine, as `remdb ingest FILE` reads it */
  FILE *f = fopen(path, "rb");
  if (f == NULL) return srv_fail(r, 400, "cannot read %s", path);
  sbuf text = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&text, buf, n);
  bool bad = ferror(f);
  fclose(f);
  if (bad || text.oom) {
    sb_free(&text);
    return srv_fail(r, 400, "cannot read %s", path);
  }
  char *abs = realpath(path, NULL);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  size_t pl = strlen(path);
  sbuf uri = {0};
  sb_addf(&uri, "file://%s", abs ? abs : path);
  free(abs);
  json_t *a = json_deep_copy(args);
  json_object_del(a, "path");
  json_object_set_new(a, "uri", json_string(uri.p ? uri.p : path));
  json_object_set_new(a, "text", json_stringn(text.p ? text.p : "", text.n));
  if (json_object_get(a, "name") == NULL)
    json_object_set_new(a, "name", json_string(base));
  if (pl > 6 && strcmp(path + pl - 6, ".jsonl") == 0)
    json_object_set_new(a, "jsonl", json_true());
  sb_free(&text);
  sb_free(&uri);
  int rc;
  if (json_object_get(a, "text") == NULL)
    rc = srv_fail(r, 400, "ingest %s: the file is not UTF-8 text", path);
  else
    rc = op_ingest(m->db, a, r);
  json_decref(a);
  return rc;
}

static int call_tool(mcp *m, const tool *t, json_t *args, srv_res *r) {
  const char *name = t->name;
  if (!strcmp(name, "lookup")) return op_lookup(m->db, args, r);
  if (!strcmp(name, "search")) return op_search(m->db, args, r);
  if (!strcmp(name, "sql")) return tool_sql(m, args, r);
  if (!strcmp(name, "insert")) return tool_insert(m, args, false, r);
  if (!strcmp(name, "upsert")) return tool_insert(m, args, true, r);
  if (!strcmp(name, "add_edge")) return op_edge_put(m->db, args, r);
  if (!strcmp(name, "ingest")) return tool_ingest(m, args, r);
  const char *id = NULL, *table = NULL;
  if (!strcmp(name, "traverse")) {
    if (srv_arg_str(args, "id", true, &id, r)) return -1;
    return op_traverse(m->db, id, args, r);
  }
  if (!strcmp(name, "get")) {
    static const char *const known[] = {"id", "table", NULL};
    if (srv_args_known(args, known, false, r) ||
        srv_arg_str(args, "id", true, &id, r))
      return -1;
    json_t *a = json_deep_copy(args);
    json_object_del(a, "id");
    int rc = op_get(m->db, id, a, r);
    json_decref(a);
    return rc;
  }
  if (!strcmp(name, "schema")) {
    static const char *const known[] = {"table", NULL};
    if (srv_args_known(args, known, false, r) ||
        srv_arg_str(args, "table", false, &table, r))
      return -1;
    return table ? op_schema_get(m->db, table, r) : op_schema_list(m->db, r);
  }
  return srv_fail(r, 500, "tool %s has no implementation", name);
}

/* ---- JSON-RPC ---------------------------------------------------------------- */

static json_t *rpc_error(json_t *id, int code, const char *msg) {
  return json_pack("{sssOs{siss}}", "jsonrpc", "2.0", "id",
                   id ? id : json_null(), "error", "code", code, "message",
                   msg);
}

static json_t *rpc_result(json_t *id, json_t *result) {
  return json_pack("{sssOso}", "jsonrpc", "2.0", "id", id, "result", result);
}

static json_t *tools_list(const mcp *m) {
  json_t *list = json_array();
  for (size_t i = 0; i < NTOOLS; i++) {
    if (tools[i].writes && m->cfg->read_only) continue;
    json_t *schema = json_loads(tools[i].schema, 0, NULL);
    json_array_append_new(list, json_pack("{sssssO}", "name", tools[i].name,
                                          "description", tools[i].description,
                                          "inputSchema",
                                          schema ? schema : json_object()));
    json_decref(schema);
  }
  return json_pack("{so}", "tools", list);
}

static json_t *initialize(json_t *params) {
  const char *want = json_string_value(json_object_get(params, "protocolVersion"));
  const char *v = versions[0];
  for (size_t i = 0; want && i < sizeof versions / sizeof *versions; i++)
    if (strcmp(want, versions[i]) == 0) v = versions[i];
  return json_pack(
      "{sss{s{}}s{ssss}ss}", "protocolVersion", v, "capabilities", "tools",
      "serverInfo", "name", "remdb", "version", REMDB_VERSION, "instructions",
      "remdb holds typed entities (JSON validated by each table's schema), "
      "document chunks with embeddings, and edges between entities. Use "
      "schema to see the tables, lookup to find entities by key or name, "
      "search for semantic search, traverse for the graph and sql for "
      "filters, joins and aggregates.");
}

/* Answer one message; NULL when it needs no answer (a notification). */
static json_t *handle(mcp *m, json_t *msg) {
  if (!json_is_object(msg))
    return rpc_error(NULL, -32600, "Invalid Request: not a JSON-RPC object");
  json_t *id = json_object_get(msg, "id");
  const char *method = json_string_value(json_object_get(msg, "method"));
  const char *ver = json_string_value(json_object_get(msg, "jsonrpc"));
  bool request = id != NULL;
  if (id && !json_is_string(id) && !json_is_integer(id))
    return rpc_error(NULL, -32600, "Invalid Request: id must be a string or an "
                                   "integer");
  if (ver == NULL || strcmp(ver, "2.0") != 0)
    return rpc_error(id, -32600, "Invalid Request: jsonrpc must be \"2.0\"");
  if (method == NULL) {
    /* a response to us (we send no requests) is dropped */
    if (json_object_get(msg, "result") || json_object_get(msg, "error"))
      return NULL;
    return rpc_error(id, -32600, "Invalid Request: no method");
  }
  if (!request) return NULL; /* notifications: initialized, cancelled, ... */
  json_t *params = json_object_get(msg, "params");
  if (params && !json_is_object(params))
    return rpc_error(id, -32602, "Invalid params: params must be an object");
  if (!strcmp(method, "initialize")) return rpc_result(id, initialize(params));
  if (!strcmp(method, "ping")) return rpc_result(id, json_object());
  if (!strcmp(method, "tools/list")) return rpc_result(id, tools_list(m));
  if (strcmp(method, "tools/call") != 0) {
    char t[200];
    snprintf(t, sizeof t, "Method not found: %.150s", method);
    return rpc_error(id, -32601, t);
  }
  const char *name = json_string_value(json_object_get(params, "name"));
  const tool *tl = name ? find_tool(m, name) : NULL;
  if (tl == NULL) {
    char t[200];
    snprintf(t, sizeof t, "Unknown tool: %.150s", name ? name : "(no name)");
    return rpc_error(id, -32602, t);
  }
  json_t *args = json_object_get(params, "arguments");
  if (args && !json_is_object(args))
    return rpc_error(id, -32602, "Invalid params: arguments must be an object");
  json_t *empty = args ? NULL : json_object();
  srv_res r = {0};
  int rc = call_tool(m, tl, args ? args : empty, &r);
  json_decref(empty);
  json_t *content;
  if (rc == 0) {
    /* the body ends with a newline for HTTP clients; not here */
    size_t n = r.len;
    while (n > 0 && r.body[n - 1] == '\n') n--;
    content = json_stringn(r.body, n);
  } else {
    size_t n = strlen(r.err ? r.err : "out of memory") + 8;
    char *t = malloc(n);
    if (t) snprintf(t, n, "error: %s", r.err ? r.err : "out of memory");
    content = t ? json_string(t) : NULL;
    free(t);
  }
  srv_res_free(&r);
  if (content == NULL) content = json_string("error: the result is not UTF-8");
  return rpc_result(id, json_pack("{s[{ssso}]sb}", "content", "type", "text",
                                  "text", content, "isError", rc != 0));
}

static bool send(json_t *v) {
  if (v == NULL) return true;
  char *t = json_dumps(v, JSON_COMPACT);
  json_decref(v);
  if (t == NULL) return false;
  bool ok = fputs(t, stdout) >= 0 && fputc('\n', stdout) != EOF &&
            fflush(stdout) == 0;
  free(t);
  return ok;
}

int srv_mcp_run(const srv_config *cfg) {
  mcp m = {.cfg = cfg};
  remdb_options o;
  remdb_options_init(&o);
  o.create_if_missing = 0;
  o.read_only = cfg->read_only;
  int rc = remdb_open(cfg->path, cfg->tenant, &o, &m.db);
  if (rc) {
    if (rc == REMDB_NOTFOUND)
      fprintf(stderr, "error: no database at %s (run 'remdb -d %s init' "
              "first)\n", cfg->path, cfg->path);
    else
      fprintf(stderr, "error: %s\n", remdb_errmsg(m.db));
    remdb_close(m.db);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  fprintf(stderr, "remdb mcp: database %s, tenant %s, %s\n", cfg->path,
          cfg->tenant,
          cfg->read_only ? "read-only"
          : cfg->allow_writes ? "writes allowed (sql too)"
                              : "sql read-only");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int status = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    size_t i = 0;
    while (i < (size_t)n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == (size_t)n) continue;
    json_t *reply;
    json_error_t je;
    json_t *msg = (size_t)n > MAX_LINE ? NULL
                                       : json_loadb(line, (size_t)n, 0, &je);
    if (msg == NULL) {
      char t[300];
      if ((size_t)n > MAX_LINE)
        snprintf(t, sizeof t, "Parse error: message longer than %u bytes",
                 MAX_LINE);
      else
        snprintf(t, sizeof t, "Parse error: %s (column %d)", je.text,
                 je.column);
      reply = rpc_error(NULL, -32700, t);
    } else if (json_is_array(msg)) { /* a batch (protocol 2025-03-26) */
      reply = json_array();
      size_t k;
      json_t *e;
      json_array_foreach(msg, k, e) {
        json_t *one = handle(&m, e);
        if (one) json_array_append_new(reply, one);
      }
      if (json_array_size(msg) == 0) {
        json_decref(reply);
        reply = rpc_error(NULL, -32600, "Invalid Request: empty batch");
      } else if (json_array_size(reply) == 0) {
        json_decref(reply);
        reply = NULL;
      }
    } else {
      reply = handle(&m, msg);
    }
    json_decref(msg);
    if (!send(reply)) {
      status = 1;
      break;
    }
  }
  free(line);
  remdb_close(m.db);
  return status;
}

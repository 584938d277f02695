/*
** ops.c: the REM operations of the server layer, shared by the HTTP
** endpoints (http.c) and the MCP tools (mcp.c).  Each takes a handle bound
** to the caller's tenant and JSON arguments, and produces JSON text or an
** error whose text is what the CLI prints after "error: " for the same
** failure (the same context words: "insert: ...", "get: ...").
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* ---- results ------------------------------------------------------------ */

void srv_res_free(srv_res *r) {
  free(r->body);
  free(r->err);
  free(r->plan);
  memset(r, 0, sizeof *r);
}

int srv_fail(srv_res *r, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  free(r->err);
  r->err = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (r->err) {
    va_start(ap, fmt);
    vsnprintf(r->err, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  r->status = status;
  return -1;
}

int srv_status(int rc) {
  switch (rc) {
    case REMDB_INVALID: return 400;
    case REMDB_SCHEMA: return 422;
    case REMDB_NOTFOUND: return 404;
    case REMDB_EXISTS: return 409;
    case REMDB_TOOBIG: return 413;
    case REMDB_BUSY:
    case REMDB_NOMEM: return 503;
    default: return 500;
  }
}

int srv_db_fail(srv_res *r, remdb *db, int rc, const char *context) {
  if (context && context[0])
    return srv_fail(r, srv_status(rc), "%s: %s", context, remdb_errmsg(db));
  return srv_fail(r, srv_status(rc), "%s", remdb_errmsg(db));
}

int srv_ok_text(srv_res *r, int status, const char *text, size_t len) {
  char *p = malloc(len + 2);
  if (p == NULL) return srv_fail(r, 503, "out of memory");
  memcpy(p, text, len);
  p[len] = '\n'; /* one line per response, for curl and friends */
  p[len + 1] = 0;
  free(r->body);
  r->body = p;
  r->len = len + 1;
  r->status = status;
  return 0;
}

int srv_ok_json(srv_res *r, int status, json_t *v) {
  char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  json_decref(v);
  if (t == NULL) return srv_fail(r, 503, "out of memory");
  int rc = srv_ok_text(r, status, t, strlen(t));
  free(t);
  return rc;
}

/* A remdb-owned JSON text as the result; frees it. */
static int ok_remdb(srv_res *r, int status, char *json) {
  int rc = srv_ok_text(r, status, json, strlen(json));
  remdb_free(json);
  return rc;
}

/* ---- arguments ------------------------------------------------------------ */

int srv_args_known(json_t *args, const char *const *allowed, bool query,
                   srv_res *r) {
  const char *k;
  json_t *v;
  json_object_foreach(args, k, v) {
    bool ok = false;
    for (size_t i = 0; allowed && allowed[i]; i++)
      if (strcmp(k, allowed[i]) == 0) ok = true;
    if (!ok)
      return srv_fail(r, 400, "unknown %s \"%s\"",
                      query ? "query parameter" : "parameter", k);
  }
  return 0;
}

static json_t *arg(json_t *args, const char *key) {
  json_t *v = args ? json_object_get(args, key) : NULL;
  return json_is_null(v) ? NULL : v;
}

int srv_arg_str(json_t *args, const char *key, bool required, const char **out,
                srv_res *r) {
  json_t *v = arg(args, key);
  if (v == NULL) {
    if (required) return srv_fail(r, 400, "missing parameter \"%s\"", key);
    return 0;
  }
  if (!json_is_string(v))
    return srv_fail(r, 400, "parameter \"%s\" must be a string", key);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return srv_fail(r, 400, "parameter \"%s\" holds a NUL character", key);
  *out = json_string_value(v);
  return 0;
}

int srv_arg_int(json_t *args, const char *key, long lo, long hi, long *out,
                srv_res *r) {
  json_t *v = arg(args, key);
  if (v == NULL) return 0;
  long long x;
  if (json_is_integer(v)) {
    x = json_integer_value(v);
  } else if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end;
    x = strtoll(s, &end, 10);
    if (*s == 0 || *end != 0) x = (long long)hi + 1;
  } else {
    x = (long long)hi + 1;
  }
  if (x < lo || x > hi)
    return srv_fail(r, 400, "%s must be a number from %ld to %ld", key, lo, hi);
  *out = (long)x;
  return 0;
}

int srv_arg_num(json_t *args, const char *key, double *out, srv_res *r) {
  json_t *v = arg(args, key);
  if (v == NULL) return 0;
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return 0;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end;
    double d = strtod(s, &end);
    if (*s && *end == 0) {
      *out = d;
      return 0;
    }
  }
  return srv_fail(r, 400, "%s must be a number", key);
}

int srv_arg_bool(json_t *args, const char *key, bool *out, srv_res *r) {
  json_t *v = arg(args, key);
  if (v == NULL) return 0;
  if (json_is_boolean(v)) {
    *out = json_is_true(v);
    return 0;
  }
  const char *s = json_is_string(v) ? json_string_value(v) : "";
  if (json_is_integer(v) && (json_integer_value(v) & ~1LL) == 0) {
    *out = json_integer_value(v) == 1;
    return 0;
  }
  if (!strcmp(s, "true") || !strcmp(s, "1")) {
    *out = true;
    return 0;
  }
  if (!strcmp(s, "false") || !strcmp(s, "0")) {
    *out = false;
    return 0;
  }
  return srv_fail(r, 400, "%s must be true or false", key);
}

int srv_arg_dir(json_t *args, const char *key, int *out, srv_res *r) {
  const char *s = NULL;
  if (srv_arg_str(args, key, false, &s, r)) return -1;
  if (s == NULL) return 0;
  if (!strcmp(s, "out")) *out = REMDB_OUT;
  else if (!strcmp(s, "in")) *out = REMDB_IN;
  else if (!strcmp(s, "both")) *out = REMDB_BOTH;
  else return srv_fail(r, 400, "%s must be out, in or both", key);
  return 0;
}

#define KNOWN(...)                                                   \
  do {                                                               \
    static const char *const known_[] = {__VA_ARGS__, NULL};         \
    if (srv_args_known(args, known_, false, r)) return -1;           \
  } while (0)

/* ---- schemas -------------------------------------------------------------- */

int op_schema_list(remdb *db, srv_res *r) {
  char *j;
  int rc = remdb_schema_list(db, &j);
  if (rc) return srv_db_fail(r, db, rc, "schema list");
  return ok_remdb(r, 200, j);
}

int op_schema_get(remdb *db, const char *name, srv_res *r) {
  char *j;
  int rc = remdb_schema_get(db, name, &j);
  if (rc) return srv_db_fail(r, db, rc, "schema show");
  return ok_remdb(r, 200, j);
}

int op_schema_put(remdb *db, const char *doc, size_t len, srv_res *r) {
  int rc = remdb_schema_put(db, doc, len);
  if (rc) return srv_db_fail(r, db, rc, "schema add");
  json_t *d = json_loadb(doc, len, 0, NULL);
  json_t *name = json_object_get(d, "name");
  json_t *res = json_pack("{sO}", "name", name ? name : json_null());
  json_decref(d);
  return srv_ok_json(r, 201, res);
}

int op_schema_drop(remdb *db, const char *name, srv_res *r) {
  int rc = remdb_schema_drop(db, name);
  if (rc) return srv_db_fail(r, db, rc, "schema drop");
  return srv_ok_json(r, 200, json_pack("{ss}", "dropped", name));
}

/* ---- entities --------------------------------------------------------------- */

int op_insert(remdb *db, const char *table, const char *body, size_t len,
              srv_res *r) {
  size_t i = 0;
  while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                     body[i] == '\n'))
    i++;
  char id[REMDB_ID_LEN + 1];
  if (i == len || body[i] != '[') { /* one entity; remdb judges the JSON */
    int rc = remdb_insert(db, table, body, len, id);
    if (rc) return srv_db_fail(r, db, rc, "insert");
    return srv_ok_json(r, 201, json_pack("{ss}", "id", id));
  }
  json_error_t je;
  json_t *arr = json_loadb(body, len, 0, &je);
  if (arr == NULL)
    return srv_fail(r, 400, "insert: invalid JSON at line %d column %d: %s",
                    je.line, je.column, je.text);
  remdb_batch *b = NULL;
  json_t *ids = json_array();
  int rc = remdb_batch_begin(db, &b);
  if (rc) {
    srv_db_fail(r, db, rc, "insert");
    goto out;
  }
  size_t k;
  json_t *e;
  json_array_foreach(arr, k, e) {
    if (!json_is_object(e)) {
      rc = REMDB_INVALID;
      srv_fail(r, 400, "insert: item %zu: expected a JSON object; nothing was "
                       "inserted", k);
      goto out;
    }
    char *t = json_dumps(e, JSON_COMPACT);
    rc = t ? remdb_batch_insert(b, table, t, strlen(t), id) : REMDB_NOMEM;
    free(t);
    if (rc) {
      srv_fail(r, srv_status(rc), "insert: item %zu: %s; nothing was inserted",
               k, rc == REMDB_NOMEM ? "out of memory" : remdb_errmsg(db));
      goto out;
    }
    json_array_append_new(ids, json_string(id));
  }
  rc = remdb_batch_commit(b, -1);
  if (rc) srv_db_fail(r, db, rc, "insert commit");
out:
  remdb_batch_free(b);
  json_decref(arr);
  if (rc) {
    json_decref(ids);
    return -1;
  }
  return srv_ok_json(r, 201, json_pack("{so}", "ids", ids));
}

int op_get(remdb *db, const char *id, json_t *args, srv_res *r) {
  KNOWN("table", "deleted");
  const char *table = NULL;
  bool deleted = false;
  if (srv_arg_str(args, "table", false, &table, r) ||
      srv_arg_bool(args, "deleted", &deleted, r))
    return -1;
  char *j;
  size_t n;
  int rc = remdb_get(db, table, id, deleted ? REMDB_INCLUDE_DELETED : 0, &j,
                     &n);
  if (rc) return srv_db_fail(r, db, rc, "get");
  rc = srv_ok_text(r, 200, j, n);
  remdb_free(j);
  return rc;
}

int op_update(remdb *db, const char *id, const char *patch, size_t len,
              srv_res *r) {
  int rc = remdb_update(db, id, patch, len);
  if (rc) return srv_db_fail(r, db, rc, "update");
  char *j;
  rc = remdb_get(db, NULL, id, 0, &j, NULL);
  if (rc) return srv_db_fail(r, db, rc, "update");
  return ok_remdb(r, 200, j);
}

int op_delete(remdb *db, const char *id, json_t *args, srv_res *r) {
  KNOWN("hard");
  bool hard = false;
  if (srv_arg_bool(args, "hard", &hard, r)) return -1;
  int rc = remdb_delete(db, id, hard ? REMDB_HARD : 0);
  if (rc) return srv_db_fail(r, db, rc, "delete");
  return srv_ok_json(r, 200, json_pack("{sssb}", "deleted", id, "hard", hard));
}

int op_count(remdb *db, const char *table, json_t *args, srv_res *r) {
  KNOWN("deleted");
  bool deleted = false;
  if (srv_arg_bool(args, "deleted", &deleted, r)) return -1;
  uint64_t n;
  int rc = remdb_count(db, table, deleted ? REMDB_INCLUDE_DELETED : 0, &n);
  if (rc) return srv_db_fail(r, db, rc, "count");
  return srv_ok_json(r, 200, json_pack("{sI}", "count", (json_int_t)n));
}

/* ---- lookup, search, graph ------------------------------------------------ */

int op_lookup(remdb *db, json_t *args, srv_res *r) {
  KNOWN("keys", "fuzzy");
  bool fuzzy = false;
  if (srv_arg_bool(args, "fuzzy", &fuzzy, r)) return -1;
  json_t *keys = arg(args, "keys");
  if (!json_is_array(keys) || json_array_size(keys) == 0)
    return srv_fail(r, 400, "lookup needs \"keys\": an array of strings");
  size_t n = json_array_size(keys);
  const char **k = calloc(n, sizeof *k);
  if (k == NULL) return srv_fail(r, 503, "out of memory");
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(keys, i);
    if (!json_is_string(s) ||
        strlen(json_string_value(s)) != json_string_length(s)) {
      free(k);
      return srv_fail(r, 400, "lookup: keys[%zu] must be a string", i);
    }
    k[i] = json_string_value(s);
  }
  char *j;
  int rc = remdb_lookup(db, k, n, fuzzy ? REMDB_FUZZY : 0, &j);
  free(k);
  if (rc) return srv_db_fail(r, db, rc, "lookup");
  return ok_remdb(r, 200, j);
}

int op_search(remdb *db, json_t *args, srv_res *r) {
  KNOWN("table", "query", "vector", "k", "where", "min_score", "ef", "method",
        "explain", "mode", "rrf_k", "snippets");
  const char *table = NULL, *query = NULL, *where = NULL, *method = NULL;
  const char *mode = NULL;
  long k = 10, ef = 0;
  bool explain = false, snippets = false;
  remdb_search_options o;
  remdb_search_options_init(&o);
  if (srv_arg_str(args, "table", true, &table, r) ||
      srv_arg_str(args, "query", false, &query, r) ||
      srv_arg_str(args, "where", false, &where, r) ||
      srv_arg_str(args, "method", false, &method, r) ||
      srv_arg_int(args, "k", 1, 10000, &k, r) ||
      srv_arg_int(args, "ef", 1, 10000, &ef, r) ||
      srv_arg_num(args, "min_score", &o.min_score, r) ||
      srv_arg_bool(args, "explain", &explain, r) ||
      srv_arg_str(args, "mode", false, &mode, r) ||
      srv_arg_bool(args, "snippets", &snippets, r) ||
      srv_arg_num(args, "rrf_k", &o.rrf_k, r))
    return -1;
  if (mode == NULL) o.mode = REMDB_MODE_DEFAULT;
  else if (!strcmp(mode, "keyword")) o.mode = REMDB_MODE_KEYWORD;
  else if (!strcmp(mode, "vector")) o.mode = REMDB_MODE_VECTOR;
  else if (!strcmp(mode, "hybrid")) o.mode = REMDB_MODE_HYBRID;
  else return srv_fail(r, 400, "mode must be keyword, vector or hybrid");
  o.snippets = snippets;
  if (method == NULL || !strcmp(method, "auto")) o.method = REMDB_SEARCH_AUTO;
  else if (!strcmp(method, "exact")) o.method = REMDB_SEARCH_EXACT;
  else if (!strcmp(method, "hnsw")) o.method = REMDB_SEARCH_HNSW;
  else return srv_fail(r, 400, "method must be auto, exact or hnsw");
  json_t *vec = arg(args, "vector");
  float *v = NULL;
  if (vec) {
    size_t n = json_array_size(vec);
    if (!json_is_array(vec) || n == 0)
      return srv_fail(r, 400, "vector must be a non-empty array of numbers");
    v = malloc(n * sizeof *v);
    if (v == NULL) return srv_fail(r, 503, "out of memory");
    for (size_t i = 0; i < n; i++) {
      json_t *x = json_array_get(vec, i);
      if (!json_is_number(x)) {
        free(v);
        return srv_fail(r, 400, "vector[%zu] must be a number", i);
      }
      v[i] = (float)json_number_value(x);
    }
    o.vector = v;
    o.vector_dim = n;
  } else if (query == NULL) {
    return srv_fail(r, 400, "search needs \"query\" (text) or \"vector\"");
  }
  o.k = (size_t)k;
  o.where = where;
  o.ef_search = (int)ef;
  char *j, *plan = NULL;
  int rc = remdb_search_ex(db, table, query, &o, &j, explain ? &plan : NULL);
  free(v);
  if (rc) return srv_db_fail(r, db, rc, "search");
  if (plan) {
    r->plan = strdup(plan);
    remdb_free(plan);
  }
  return ok_remdb(r, 200, j);
}

int op_traverse(remdb *db, const char *id, json_t *args, srv_res *r) {
  KNOWN("id", "depth", "direction", "type", "max_nodes", "exact");
  long depth = 2, max = 10000;
  int dir = REMDB_OUT;
  const char *type = NULL;
  bool exact = false;
  if (srv_arg_int(args, "depth", 0, 64, &depth, r) ||
      srv_arg_int(args, "max_nodes", 1, 100000000, &max, r) ||
      srv_arg_dir(args, "direction", &dir, r) ||
      srv_arg_str(args, "type", false, &type, r) ||
      srv_arg_bool(args, "exact", &exact, r))
    return -1;
  char *j;
  int rc = remdb_traverse(db, id, (int)depth, dir, type, (size_t)max,
                          exact ? REMDB_EXACT_DEPTH : 0, &j);
  if (rc) return srv_db_fail(r, db, rc, "traverse");
  return ok_remdb(r, 200, j);
}

int op_path(remdb *db, json_t *args, srv_res *r) {
  KNOWN("from", "to", "depth", "direction", "type");
  const char *from = NULL, *to = NULL, *type = NULL;
  long depth = 6;
  int dir = REMDB_BOTH;
  if (srv_arg_str(args, "from", true, &from, r) ||
      srv_arg_str(args, "to", true, &to, r) ||
      srv_arg_str(args, "type", false, &type, r) ||
      srv_arg_int(args, "depth", 1, 64, &depth, r) ||
      srv_arg_dir(args, "direction", &dir, r))
    return -1;
  char *j;
  int rc = remdb_shortest_path(db, from, to, (int)depth, dir, type, &j);
  if (rc) return srv_db_fail(r, db, rc, "path");
  return ok_remdb(r, 200, j);
}

int op_edges(remdb *db, const char *id, json_t *args, srv_res *r) {
  KNOWN("id", "direction", "type");
  int dir = REMDB_OUT;
  const char *type = NULL;
  if (srv_arg_dir(args, "direction", &dir, r) ||
      srv_arg_str(args, "type", false, &type, r))
    return -1;
  char *j;
  int rc = remdb_edges(db, id, dir, type, &j);
  if (rc) return srv_db_fail(r, db, rc, "edge list");
  return ok_remdb(r, 200, j);
}

int op_edge_put(remdb *db, json_t *args, srv_res *r) {
  KNOWN("src", "dst", "type", "props", "weight");
  const char *src = NULL, *dst = NULL, *type = NULL;
  double weight = 1.0;
  if (srv_arg_str(args, "src", true, &src, r) ||
      srv_arg_str(args, "dst", true, &dst, r) ||
      srv_arg_str(args, "type", true, &type, r) ||
      srv_arg_num(args, "weight", &weight, r))
    return -1;
  json_t *props = arg(args, "props");
  char *pt = NULL;
  if (props) {
    if (!json_is_object(props))
      return srv_fail(r, 400, "props must be a JSON object");
    pt = json_dumps(props, JSON_COMPACT);
    if (pt == NULL) return srv_fail(r, 503, "out of memory");
  }
  int rc = remdb_edge_put(db, src, dst, type, pt, pt ? strlen(pt) : 0, weight);
  free(pt);
  if (rc) return srv_db_fail(r, db, rc, "edge add");
  return srv_ok_json(r, 201,
                     json_pack("{ssssss}", "src", src, "dst", dst, "type", type));
}

int op_edge_delete(remdb *db, json_t *args, srv_res *r) {
  KNOWN("src", "dst", "type");
  const char *src = NULL, *dst = NULL, *type = NULL;
  if (srv_arg_str(args, "src", true, &src, r) ||
      srv_arg_str(args, "dst", true, &dst, r) ||
      srv_arg_str(args, "type", true, &type, r))
    return -1;
  int rc = remdb_edge_delete(db, src, dst, type);
  if (rc) return srv_db_fail(r, db, rc, "edge delete");
  return srv_ok_json(r, 200, json_pack("{sb}", "deleted", 1));
}

/* ---- ingest and maintenance ------------------------------------------------- */

int op_ingest(remdb *db, json_t *args, srv_res *r) {
  KNOWN("uri", "text", "name", "table", "chunk_size", "overlap", "jsonl");
  const char *uri = NULL, *text = NULL, *name = NULL, *table = NULL;
  remdb_ingest_options o;
  remdb_ingest_options_init(&o);
  long size = (long)o.chunk_chars, over = (long)o.overlap_chars;
  bool jsonl = false;
  if (srv_arg_str(args, "uri", true, &uri, r) ||
      srv_arg_str(args, "name", false, &name, r) ||
      srv_arg_str(args, "table", false, &table, r) ||
      srv_arg_int(args, "chunk_size", 64, 1 << 20, &size, r) ||
      srv_arg_int(args, "overlap", 0, 1 << 19, &over, r) ||
      srv_arg_bool(args, "jsonl", &jsonl, r))
    return -1;
  json_t *t = arg(args, "text");
  if (!json_is_string(t))
    return srv_fail(r, 400, "ingest needs \"text\": the document as a string");
  text = json_string_value(t);
  /* like the CLI: without an explicit overlap, at most half a small chunk */
  if (arg(args, "overlap") == NULL && (size_t)over * 2 > (size_t)size)
    over = size / 2;
  o.chunk_chars = (size_t)size;
  o.overlap_chars = (size_t)over;
  o.jsonl = jsonl;
  size_t chunks = 0;
  int rc = remdb_ingest(db, table, uri, name, text, json_string_length(t), &o,
                        &chunks);
  if (rc) {
    char ctx[600];
    snprintf(ctx, sizeof ctx, "ingest %s", uri);
    return srv_db_fail(r, db, rc, ctx);
  }
  return srv_ok_json(r, 201, json_pack("{sssI}", "uri", uri, "chunks",
                                       (json_int_t)chunks));
}

#define VERIFY_DETAILS 100

static void on_problem(void *ctx, const char *problem) {
  json_t *a = ctx;
  if (json_array_size(a) < VERIFY_DETAILS)
    json_array_append_new(a, json_string(problem));
}

int op_verify(remdb *db, srv_res *r) {
  json_t *details = json_array();
  uint64_t problems = 0;
  int rc = remdb_verify(db, on_problem, details, &problems);
  if (rc) {
    json_decref(details);
    return srv_db_fail(r, db, rc, "verify");
  }
  return srv_ok_json(r, 200, json_pack("{sbsIso}", "ok", problems == 0,
                                       "problems", (json_int_t)problems,
                                       "details", details));
}

int op_stats(remdb *db, srv_res *r) {
  char *j;
  int rc = remdb_stats(db, &j);
  if (rc) return srv_db_fail(r, db, rc, "stats");
  return ok_remdb(r, 200, j);
}

/* ---- SQL -------------------------------------------------------------------- */

int srv_bind_params(remdb_stmt *st, json_t *params, srv_res *r) {
  if (params == NULL || json_is_null(params)) return 0;
  if (!json_is_array(params))
    return srv_fail(r, 400, "params must be an array (bound to ?1, ?2, ...)");
  size_t i;
  json_t *v;
  json_array_foreach(params, i, v) {
    int p = (int)i + 1, rc;
    if (json_is_null(v)) {
      rc = remdb_bind_null(st, p);
    } else if (json_is_boolean(v)) {
      rc = remdb_bind_int64(st, p, json_is_true(v));
    } else if (json_is_integer(v)) {
      rc = remdb_bind_int64(st, p, json_integer_value(v));
    } else if (json_is_real(v)) {
      rc = remdb_bind_double(st, p, json_real_value(v));
    } else if (json_is_string(v)) {
      rc = remdb_bind_text(st, p, json_string_value(v), json_string_length(v));
    } else {
      char *t = json_dumps(v, JSON_COMPACT);
      rc = t ? remdb_bind_text(st, p, t, strlen(t)) : REMDB_NOMEM;
      free(t);
    }
    if (rc == REMDB_INVALID || rc == REMDB_MISUSE)
      return srv_fail(r, 400,
                      "params[%zu]: the statement has no parameter ?%d", i, p);
    if (rc) return srv_fail(r, srv_status(rc), "params[%zu]: %s", i,
                            remdb_errstr(rc));
  }
  return 0;
}

int srv_prepare_one(remdb *db, const char *sql, size_t len, json_t *params,
                    remdb_stmt **out, srv_res *r) {
  remdb_stmt *st = NULL, *more = NULL;
  size_t used = 0;
  *out = NULL;
  int rc = remdb_prepare(db, sql, len, &st, &used);
  if (rc) return srv_db_fail(r, db, rc == REMDB_ERROR ? REMDB_INVALID : rc, "");
  if (st == NULL) return srv_fail(r, 400, "the SQL text holds no statement");
  if (used < len) {
    /* whatever follows must be nothing but spaces and comments */
    rc = remdb_prepare(db, sql + used, len - used, &more, NULL);
    remdb_finalize(more);
    if (rc || more) {
      remdb_finalize(st);
      return srv_fail(r, 400,
                      "one SQL statement per request: text follows the first "
                      "statement at byte %zu",
                      used);
    }
  }
  if (srv_bind_params(st, params, r)) {
    remdb_finalize(st);
    return -1;
  }
  *out = st;
  return 0;
}

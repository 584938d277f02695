/*
** http.c: `remdb serve`, an HTTP/1.1 JSON API over one open database.
**
** libmicrohttpd runs a pool of worker threads (one epoll loop each); the
** access handler below routes each request to an operation of ops.c.
**
** Tenants and keys.  With --keys FILE every request must carry
** `Authorization: Bearer KEY`; the key selects the tenant, and nothing in
** the path, the query or the body can name another: handles are bound to
** a tenant when they are opened, and a request only ever gets a handle of
** its key's tenant.  Without a keys file the server serves the one tenant
** of `-t` (default "default") and listens on loopback addresses only.
**
** Handles.  A remdb handle may be used by one thread at a time, so each
** tenant has a pool of handles opened with remdb_open_tenant() on the
** server's root handle: a request checks one out for its whole life
** (including a streamed SQL response, whose statement lives on it) and
** returns it when it completes.  Pools grow to the number of requests in
** flight at once and keep their handles (and their warm SQL sessions).
**
** Limits.  Request bodies are cut at --max-body bytes (413); a SQL
** statement returns at most --max-rows rows (the handle's max_result_rows)
** and runs at most --timeout seconds, checked between rows (a single step
** that produces no row, such as a large aggregate, finishes first).  Bad
** requests get a 4xx whose "error" text is what the CLI prints after
** "error: " for the same mistake.  Every write is one atomic API call (a
** batch insert is one remdb batch, SQL is one statement per request), so a
** failed request writes nothing.
**
** Shutdown.  SIGTERM or SIGINT: stop accepting connections, answer new
** requests on open connections with 503, let the requests in flight finish
** (for at most --grace seconds), stop the workers, close every handle and
** the database.  A second signal stops at once.
**
** libmicrohttpd (and the TLS libraries it depends on) is loaded with
** dlopen() when `remdb serve` starts, so no other command pays for
** loading it.
*/
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server.h"

/* ---- libmicrohttpd, loaded at run time ----------------------------------- */

#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
  __typeof__(&MHD_start_daemon) start_daemon;
  __typeof__(&MHD_stop_daemon) stop_daemon;
  __typeof__(&MHD_add_connection) add_connection;
  __typeof__(&MHD_create_response_from_buffer) response_from_buffer;
  __typeof__(&MHD_create_response_from_callback) response_from_callback;
  __typeof__(&MHD_add_response_header) add_header;
  __typeof__(&MHD_queue_response) queue_response;
  __typeof__(&MHD_destroy_response) destroy_response;
  __typeof__(&MHD_lookup_connection_value) lookup_value;
  __typeof__(&MHD_get_connection_values) get_values;
} mhd;

static int mhd_load(void) {
  void *lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) lib = dlopen("libmicrohttpd.so", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr,
            "error: serve needs libmicrohttpd (Debian: libmicrohttpd12, "
            "installed by scripts/install-deps.sh): %s\n",
            dlerror());
    return -1;
  }
  static const char *const names[] = {
      "MHD_start_daemon",
      "MHD_stop_daemon",
      "MHD_add_connection",
      "MHD_create_response_from_buffer",
      "MHD_create_response_from_callback",
      "MHD_add_response_header",
      "MHD_queue_response",
      "MHD_destroy_response",
      "MHD_lookup_connection_value",
      "MHD_get_connection_values",
  };
  void (**slots[])(void) = {
      (void (**)(void))&mhd.start_daemon,
      (void (**)(void))&mhd.stop_daemon,
      (void (**)(void))&mhd.add_connection,
      (void (**)(void))&mhd.response_from_buffer,
      (void (**)(void))&mhd.response_from_callback,
      (void (**)(void))&mhd.add_header,
      (void (**)(void))&mhd.queue_response,
      (void (**)(void))&mhd.destroy_response,
      (void (**)(void))&mhd.lookup_value,
      (void (**)(void))&mhd.get_values,
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    void *sym = dlsym(lib, names[i]);
    if (sym == NULL) {
      fprintf(stderr, "error: serve: libmicrohttpd lacks %s\n", names[i]);
      return -1;
    }
    memcpy(slots[i], &sym, sizeof sym);
  }
  return 0; /* the library stays loaded until the process exits */
}

/* ---- the server's state ---------------------------------------------------- */

typedef struct tenant_pool {
  char *name;
  int line; /* of the keys file that first names it */
  pthread_mutex_t mu;
  remdb **free; /* handles not in use; room for every handle opened */
  size_t nfree, total;
} tenant_pool;

typedef struct api_key {
  char *key;
  size_t len;
  int tenant;
} api_key;

typedef struct server {
  const srv_config *cfg;
  remdb *root;
  pthread_mutex_t root_mu; /* the root handle opens the others */
  tenant_pool *tenants;
  int ntenants;
  api_key *keys;
  int nkeys;
  atomic_int inflight;
  atomic_bool stopping;
  pthread_mutex_t mu; /* with cond: shutdown waits for inflight == 0 */
  pthread_cond_t cond;
  int listen_fd;   /* ours: the accept thread hands connections to MHD */
  int stop_fd[2];  /* a pipe: a byte written tells the accept thread to end */
  struct MHD_Daemon *daemon;
} server;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static remdb *pool_get(server *s, int t, srv_res *r) {
  tenant_pool *p = &s->tenants[t];
  pthread_mutex_lock(&p->mu);
  if (p->nfree) {
    remdb *db = p->free[--p->nfree];
    pthread_mutex_unlock(&p->mu);
    return db;
  }
  /* make room for the handle's return before opening it */
  remdb **nf = realloc(p->free, (p->total + 1) * sizeof *nf);
  if (nf) {
    p->free = nf;
    p->total++;
  }
  pthread_mutex_unlock(&p->mu);
  if (nf == NULL) {
    srv_fail(r, 503, "out of memory");
    return NULL;
  }
  remdb *db = NULL;
  pthread_mutex_lock(&s->root_mu);
  int rc = remdb_open_tenant(s->root, p->name, &db);
  if (rc) {
    srv_fail(r, srv_status(rc), "cannot open tenant %s: %s", p->name,
             db ? remdb_errmsg(db) : remdb_errstr(rc));
    remdb_close(db);
    db = NULL;
  }
  pthread_mutex_unlock(&s->root_mu);
  if (db == NULL) {
    pthread_mutex_lock(&p->mu);
    p->total--;
    pthread_mutex_unlock(&p->mu);
  }
  return db;
}

static void pool_put(server *s, int t, remdb *db) {
  tenant_pool *p = &s->tenants[t];
  pthread_mutex_lock(&p->mu);
  p->free[p->nfree++] = db;
  pthread_mutex_unlock(&p->mu);
}

/* ---- requests --------------------------------------------------------------- */

enum body_kind { BODY_NONE, BODY_RAW, BODY_JSON };

typedef struct req req;
typedef int (*handler_fn)(req *q, json_t *args, srv_res *r);

#define MAX_SEG 6

typedef struct route {
  const char *method;
  const char *seg[MAX_SEG]; /* literal segments; ":" matches any one */
  handler_fn fn;
  enum body_kind body;
  const char *const *query; /* allowed query parameters (NULL: none) */
  bool public;              /* no API key needed */
} route;

struct req {
  server *s;
  struct MHD_Connection *conn;
  const route *rt;
  int tenant;
  remdb *db;
  char *path; /* a copy of the URL, cut into seg[] */
  char *seg[MAX_SEG];
  int nseg;
  sbuf body;
  bool too_big;
  int early_status; /* a refusal made from the headers, sent once the */
  char *early_msg;  /* body (if any) has been read and dropped */
  bool queued;      /* a response is queued: later calls have nothing to do */
  uint64_t dropped; /* body bytes dropped */
  double t0;
  char allow[64]; /* a 405's Allow header */
  /* a streamed SQL response */
  remdb_stmt *st;
  sbuf out;
  size_t off;
  uint64_t rows;
  enum { SQL_RUNNING, SQL_DONE, SQL_FAILED } state;
};

static enum MHD_Result send_buf(req *q, int status, char *body, size_t len,
                                const char *ctype, const char *plan) {
  struct MHD_Response *resp =
      mhd.response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    free(body);
    return MHD_NO;
  }
  mhd.add_header(resp, "Content-Type", ctype);
  if (plan) mhd.add_header(resp, "X-Remdb-Plan", plan);
  if (status == 401) mhd.add_header(resp, "WWW-Authenticate", "Bearer");
  if (q->allow[0]) mhd.add_header(resp, "Allow", q->allow);
  if (atomic_load(&q->s->stopping)) mhd.add_header(resp, "Connection", "close");
  enum MHD_Result rc = mhd.queue_response(q->conn, (unsigned)status, resp);
  if (rc == MHD_YES) q->queued = true;
  mhd.destroy_response(resp);
  return rc;
}

static enum MHD_Result send_error(req *q, int status, const char *msg) {
  json_t *o = json_pack("{sssi}", "error", msg ? msg : "out of memory",
                        "status", status);
  char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (t == NULL) return MHD_NO;
  size_t n = strlen(t);
  char *b = realloc(t, n + 2);
  if (b == NULL) {
    free(t);
    return MHD_NO;
  }
  b[n] = '\n';
  b[n + 1] = 0;
  return send_buf(q, status, b, n + 1, "application/json", NULL);
}

static enum MHD_Result send_res(req *q, srv_res *r) {
  enum MHD_Result rc;
  if (r->err || r->body == NULL) {
    rc = send_error(q, r->status ? r->status : 500, r->err);
  } else {
    rc = send_buf(q, r->status, r->body, r->len, "application/json", r->plan);
    r->body = NULL; /* MHD owns it now */
  }
  srv_res_free(r);
  return rc;
}

/* ---- handlers -------------------------------------------------------------- */

static int h_health(req *q, json_t *args, srv_res *r) {
  (void)q, (void)args;
  return srv_ok_text(r, 200, "{\"status\":\"ok\"}", 15);
}
static int h_schema_list(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_schema_list(q->db, r);
}
static int h_schema_put(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_schema_put(q->db, q->body.p ? q->body.p : "", q->body.n, r);
}
static int h_schema_get(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_schema_get(q->db, q->seg[2], r);
}
static int h_schema_drop(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_schema_drop(q->db, q->seg[2], r);
}
static int h_insert(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_insert(q->db, q->seg[2], q->body.p ? q->body.p : "", q->body.n, r);
}
static int h_count(req *q, json_t *args, srv_res *r) {
  return op_count(q->db, q->seg[2], args, r);
}
static int h_get(req *q, json_t *args, srv_res *r) {
  return op_get(q->db, q->seg[2], args, r);
}
static int h_update(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_update(q->db, q->seg[2], q->body.p ? q->body.p : "", q->body.n, r);
}
static int h_delete(req *q, json_t *args, srv_res *r) {
  return op_delete(q->db, q->seg[2], args, r);
}
static int h_edges(req *q, json_t *args, srv_res *r) {
  return op_edges(q->db, q->seg[2], args, r);
}
static int h_traverse(req *q, json_t *args, srv_res *r) {
  return op_traverse(q->db, q->seg[2], args, r);
}
static int h_edge_put(req *q, json_t *args, srv_res *r) {
  return op_edge_put(q->db, args, r);
}
static int h_edge_delete(req *q, json_t *args, srv_res *r) {
  return op_edge_delete(q->db, args, r);
}
static int h_path(req *q, json_t *args, srv_res *r) {
  return op_path(q->db, args, r);
}
static int h_search(req *q, json_t *args, srv_res *r) {
  return op_search(q->db, args, r);
}
static int h_lookup(req *q, json_t *args, srv_res *r) {
  return op_lookup(q->db, args, r);
}
static int h_ingest(req *q, json_t *args, srv_res *r) {
  return op_ingest(q->db, args, r);
}
static int h_verify(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_verify(q->db, r);
}
static int h_stats(req *q, json_t *args, srv_res *r) {
  (void)args;
  return op_stats(q->db, r);
}

/* SQL is answered by sql_start() instead (it may stream); this entry only
** gives the route its place in the table. */
static int h_sql(req *q, json_t *args, srv_res *r) {
  (void)q, (void)args;
  return srv_fail(r, 500, "sql is not routed here");
}

static const char *const q_none[] = {NULL};
static const char *const q_get[] = {"table", "deleted", NULL};
static const char *const q_deleted[] = {"deleted", NULL};
static const char *const q_delete[] = {"hard", NULL};
static const char *const q_edges[] = {"direction", "type", NULL};
static const char *const q_traverse[] = {"depth", "direction", "type",
                                         "max_nodes", "exact", NULL};
static const char *const q_edge_del[] = {"src", "dst", "type", NULL};
static const char *const q_path[] = {"from", "to", "depth", "direction",
                                     "type", NULL};

static const route routes[] = {
    {"GET", {"v1", "health"}, h_health, BODY_NONE, q_none, true},
    {"GET", {"v1", "schemas"}, h_schema_list, BODY_NONE, q_none, false},
    {"POST", {"v1", "schemas"}, h_schema_put, BODY_RAW, q_none, false},
    {"GET", {"v1", "schemas", ":"}, h_schema_get, BODY_NONE, q_none, false},
    {"DELETE", {"v1", "schemas", ":"}, h_schema_drop, BODY_NONE, q_none, false},
    {"POST", {"v1", "tables", ":", "entities"}, h_insert, BODY_RAW, q_none, false},
    {"GET", {"v1", "tables", ":", "count"}, h_count, BODY_NONE, q_deleted, false},
    {"GET", {"v1", "entities", ":"}, h_get, BODY_NONE, q_get, false},
    {"PATCH", {"v1", "entities", ":"}, h_update, BODY_RAW, q_none, false},
    {"DELETE", {"v1", "entities", ":"}, h_delete, BODY_NONE, q_delete, false},
    {"GET", {"v1", "entities", ":", "edges"}, h_edges, BODY_NONE, q_edges, false},
    {"GET", {"v1", "entities", ":", "traverse"}, h_traverse, BODY_NONE,
     q_traverse, false},
    {"POST", {"v1", "edges"}, h_edge_put, BODY_JSON, q_none, false},
    {"DELETE", {"v1", "edges"}, h_edge_delete, BODY_NONE, q_edge_del, false},
    {"GET", {"v1", "path"}, h_path, BODY_NONE, q_path, false},
    {"POST", {"v1", "sql"}, h_sql, BODY_JSON, q_none, false},
    {"POST", {"v1", "search"}, h_search, BODY_JSON, q_none, false},
    {"POST", {"v1", "lookup"}, h_lookup, BODY_JSON, q_none, false},
    {"POST", {"v1", "ingest"}, h_ingest, BODY_JSON, q_none, false},
    {"GET", {"v1", "verify"}, h_verify, BODY_NONE, q_none, false},
    {"GET", {"v1", "stats"}, h_stats, BODY_NONE, q_none, false},
};
#define NROUTES (sizeof routes / sizeof *routes)

/* Cut the path into segments; false when it has too many or an empty one
** (a double or trailing slash). */
static bool split_path(req *q, const char *url) {
  q->path = strdup(url);
  if (q->path == NULL || q->path[0] != '/') return false;
  char *p = q->path + 1;
  q->nseg = 0;
  for (;;) {
    if (q->nseg == MAX_SEG) return false;
    q->seg[q->nseg++] = p;
    char *e = strchr(p, '/');
    if (e) *e = 0;
    if (*p == 0) return false;
    if (e == NULL) return true;
    p = e + 1;
  }
}

static bool route_matches(const route *rt, req *q) {
  for (int i = 0; i < MAX_SEG; i++) {
    const char *s = rt->seg[i];
    if (s == NULL) return i == q->nseg;
    if (i >= q->nseg) return false;
    if (strcmp(s, ":") != 0 && strcmp(s, q->seg[i]) != 0) return false;
  }
  return q->nseg == MAX_SEG;
}

/* ---- API keys ------------------------------------------------------------------ */

/* The tenant of the request's key, -1 if it has none, -2 if it is wrong. */
static int authenticate(server *s, struct MHD_Connection *c) {
  const char *h = mhd.lookup_value(c, MHD_HEADER_KIND, "Authorization");
  if (h == NULL) return -1;
  while (*h == ' ') h++;
  if (strncasecmp(h, "Bearer ", 7) != 0) return -2;
  h += 7;
  while (*h == ' ') h++;
  size_t n = strlen(h);
  while (n > 0 && h[n - 1] == ' ') n--;
  /* compare with every key, in time that does not depend on where a
  ** wrong key first differs */
  int found = -2;
  for (int i = 0; i < s->nkeys; i++) {
    const api_key *k = &s->keys[i];
    unsigned char diff = (unsigned char)(k->len != n);
    for (size_t j = 0; j < k->len; j++)
      diff |= (unsigned char)(k->key[j] ^ (j < n ? h[j] : 0));
    if (diff == 0) found = k->tenant;
  }
  return found;
}

/* ---- query parameters -------------------------------------------------------- */

typedef struct qctx {
  json_t *args;
  const char *bad; /* a repeated key */
} qctx;

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind,
                              const char *key, const char *value) {
  qctx *x = cls;
  (void)kind;
  if (json_object_get(x->args, key)) {
    x->bad = key;
    return MHD_NO;
  }
  json_t *v = json_string(value ? value : "");
  if (v == NULL) v = json_string(""); /* not UTF-8: refused by the op */
  json_object_set_new(x->args, key, v);
  return MHD_YES;
}

/* ---- SQL, streamed ------------------------------------------------------------- */

#define SQL_FIRST_BYTES (64 * 1024) /* answered in one piece below this */
#define SQL_CHUNK_BYTES (32 * 1024)

/* Step the statement until out holds `want` bytes or it ends.  On an error
** r gets it and the function returns -1. */
static int sql_fill(req *q, size_t want, srv_res *r) {
  const srv_config *cfg = q->s->cfg;
  while (q->out.n < want) {
    int rc = remdb_step(q->st);
    if (rc == REMDB_DONE) {
      q->state = SQL_DONE;
      remdb_finalize(q->st);
      q->st = NULL;
      return 0;
    }
    if (rc != REMDB_ROW)
      return srv_db_fail(r, q->db, rc == REMDB_ERROR ? REMDB_INVALID : rc, "");
    if (++q->rows > cfg->max_rows)
      return srv_fail(r, 413,
                      "SQL result has more than %llu rows (the server's limit: "
                      "remdb serve --max-rows)",
                      (unsigned long long)cfg->max_rows);
    sb_json_row(&q->out, q->st);
    sb_addc(&q->out, '\n');
    if (q->out.oom) return srv_fail(r, 503, "out of memory");
    if (cfg->timeout > 0 && now_s() - q->t0 > cfg->timeout)
      return srv_fail(r, 503,
                      "the statement ran longer than the server's limit of "
                      "%g s (remdb serve --timeout)",
                      cfg->timeout);
  }
  return 0;
}

static ssize_t sql_more(void *cls, uint64_t pos, char *buf, size_t max) {
  req *q = cls;
  (void)pos;
  for (;;) {
    if (q->off < q->out.n) {
      size_t n = q->out.n - q->off;
      if (n > max) n = max;
      memcpy(buf, q->out.p + q->off, n);
      q->off += n;
      return (ssize_t)n;
    }
    if (q->state == SQL_DONE) return MHD_CONTENT_READER_END_OF_STREAM;
    if (q->state == SQL_FAILED) return MHD_CONTENT_READER_END_WITH_ERROR;
    q->out.n = 0;
    q->off = 0;
    srv_res r = {0};
    if (sql_fill(q, SQL_CHUNK_BYTES, &r)) {
      /* rows were sent already: a last line says why the stream stops, and
      ** the connection closes without the chunked terminator */
      q->out.n = 0;
      json_t *o = json_pack("{ss}", "error", r.err ? r.err : "out of memory");
      char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
      if (t) sb_adds(&q->out, t);
      sb_addc(&q->out, '\n');
      free(t);
      json_decref(o);
      srv_res_free(&r);
      q->state = SQL_FAILED;
      remdb_finalize(q->st);
      q->st = NULL;
    }
  }
}

static enum MHD_Result sql_start(req *q, json_t *args) {
  static const char *const known[] = {"sql", "params", NULL};
  srv_res r = {0};
  const char *sql = NULL;
  if (srv_args_known(args, known, false, &r) ||
      srv_arg_str(args, "sql", true, &sql, &r))
    return send_res(q, &r);
  size_t len = json_string_length(json_object_get(args, "sql"));
  char kw[16];
  /* TEMP tables and views would live in one pooled handle's session and
  ** show up in some later requests but not others: refused */
  if (srv_sql_kind(sql, len, kw) == SQL_OTHER &&
      (!strcmp(kw, "CREATE") || !strcmp(kw, "DROP"))) {
    srv_fail(&r, 400,
             "%s is not available over HTTP: TEMP tables and views would "
             "live in one worker's session (tables are managed with POST "
             "/v1/schemas)",
             kw);
    return send_res(q, &r);
  }
  if (srv_prepare_one(q->db, sql, len, json_object_get(args, "params"), &q->st,
                      &r))
    return send_res(q, &r);
  if (sql_fill(q, SQL_FIRST_BYTES, &r)) {
    remdb_finalize(q->st);
    q->st = NULL;
    return send_res(q, &r);
  }
  if (q->state == SQL_DONE) { /* the whole result: one plain response */
    size_t n;
    char *b = sb_take(&q->out, &n);
    if (b == NULL) return MHD_NO;
    return send_buf(q, 200, b, n, "application/x-ndjson", NULL);
  }
  struct MHD_Response *resp = mhd.response_from_callback(
      MHD_SIZE_UNKNOWN, SQL_CHUNK_BYTES, sql_more, q, NULL);
  if (resp == NULL) return MHD_NO;
  mhd.add_header(resp, "Content-Type", "application/x-ndjson");
  enum MHD_Result rc = mhd.queue_response(q->conn, 200, resp);
  if (rc == MHD_YES) q->queued = true;
  mhd.destroy_response(resp);
  return rc;
}

/* ---- the access handler --------------------------------------------------------- */

/* Body bytes read and dropped to answer a refused request cleanly (a
** reply sent while the client is still sending makes the kernel reset the
** connection, and the client may never read it); beyond this the
** connection is closed instead. */
#define DROP_LIMIT (64ull << 20)

/* Refuse a request from its headers.  Without a body (or when the client
** waits for "100 Continue") the answer goes now; otherwise the body is
** read and dropped first and the answer goes at the end. */
static enum MHD_Result reject(req *q, int status, const char *msg) {
  const char *cl = mhd.lookup_value(q->conn, MHD_HEADER_KIND, "Content-Length");
  const char *te =
      mhd.lookup_value(q->conn, MHD_HEADER_KIND, "Transfer-Encoding");
  const char *ex = mhd.lookup_value(q->conn, MHD_HEADER_KIND, "Expect");
  bool body = (cl && strtoull(cl, NULL, 10) > 0) || te;
  if (!body || (ex && strcasecmp(ex, "100-continue") == 0) ||
      (cl && strtoull(cl, NULL, 10) > q->s->cfg->max_body + DROP_LIMIT))
    return send_error(q, status, msg);
  q->early_status = status;
  q->early_msg = strdup(msg);
  return q->early_msg ? MHD_YES : MHD_NO;
}

/* The first call for a request: route it, check its key and size. */
static enum MHD_Result begin(server *s, req *q, const char *url,
                             const char *method) {
  const srv_config *cfg = s->cfg;
  char msg[300];
  if (atomic_load(&s->stopping))
    return reject(q, 503, "the server is shutting down");
  if (!split_path(q, url)) {
    snprintf(msg, sizeof msg, "no such endpoint: %s %.200s", method, url);
    return reject(q, 404, msg);
  }
  const route *path_match = NULL;
  for (size_t i = 0; i < NROUTES; i++) {
    if (!route_matches(&routes[i], q)) continue;
    path_match = &routes[i];
    if (strcmp(routes[i].method, method) == 0) {
      q->rt = &routes[i];
      break;
    }
  }
  if (q->rt == NULL && path_match) {
    char allow[64] = "";
    for (size_t i = 0; i < NROUTES; i++)
      if (route_matches(&routes[i], q)) {
        if (allow[0]) strcat(allow, ", ");
        strcat(allow, routes[i].method);
      }
    snprintf(msg, sizeof msg, "%s is not allowed on %.200s (allowed: %s)",
             method, url, allow);
    snprintf(q->allow, sizeof q->allow, "%s", allow);
    return reject(q, 405, msg);
  }
  if (q->rt == NULL) {
    snprintf(msg, sizeof msg, "no such endpoint: %s %.200s", method, url);
    return reject(q, 404, msg);
  }
  if (!q->rt->public) {
    if (s->nkeys > 0) {
      int t = authenticate(s, q->conn);
      if (t == -1)
        return reject(q, 401,
                          "missing API key (send Authorization: Bearer KEY)");
      if (t < 0) return reject(q, 401, "invalid API key");
      q->tenant = t;
    } else {
      q->tenant = 0;
    }
  }
  const char *cl = mhd.lookup_value(q->conn, MHD_HEADER_KIND, "Content-Length");
  if (cl && strtoull(cl, NULL, 10) > cfg->max_body) {
    snprintf(msg, sizeof msg,
             "request body of %.30s bytes is larger than the server's limit "
             "of %zu (remdb serve --max-body)",
             cl, cfg->max_body);
    return reject(q, 413, msg);
  }
  return MHD_YES;
}

/* The last call: the body is in; run the operation. */
static enum MHD_Result finish(server *s, req *q) {
  const route *rt = q->rt;
  srv_res r = {0};
  char msg[200];
  if (q->early_msg) return send_error(q, q->early_status, q->early_msg);
  if (rt == NULL) /* begin() routes or refuses every request */
    return send_error(q, 500, "internal error: a request without a route");
  if (q->too_big) {
    snprintf(msg, sizeof msg,
             "request body is larger than the server's limit of %zu bytes "
             "(remdb serve --max-body)",
             s->cfg->max_body);
    return send_error(q, 413, msg);
  }
  if (rt->body == BODY_NONE && q->body.n > 0) {
    snprintf(msg, sizeof msg, "%s /%s takes no request body", rt->method,
             rt->seg[1]);
    return send_error(q, 400, msg);
  }
  json_t *args = NULL;
  if (rt->body == BODY_JSON) {
    json_error_t je;
    args = json_loadb(q->body.p ? q->body.p : "", q->body.n, 0, &je);
    if (args == NULL) {
      snprintf(msg, sizeof msg, "request body: invalid JSON at line %d column "
               "%d: %.100s", je.line, je.column, je.text);
      return send_error(q, 400, msg);
    }
    if (!json_is_object(args)) {
      json_decref(args);
      return send_error(q, 400, "request body must be a JSON object");
    }
  }
  /* query parameters: only those the route names, each once */
  qctx x = {.args = json_object()};
  if (x.args == NULL) {
    json_decref(args);
    return MHD_NO;
  }
  mhd.get_values(q->conn, MHD_GET_ARGUMENT_KIND, on_arg, &x);
  if (x.bad) {
    snprintf(msg, sizeof msg, "query parameter \"%.100s\" is given twice",
             x.bad);
    json_decref(x.args);
    json_decref(args);
    return send_error(q, 400, msg);
  }
  if (srv_args_known(x.args, rt->query, true, &r)) {
    json_decref(x.args);
    json_decref(args);
    return send_res(q, &r);
  }
  if (args == NULL) {
    args = x.args;
  } else {
    json_decref(x.args);
  }
  if (!rt->public) {
    q->db = pool_get(s, q->tenant, &r);
    if (q->db == NULL) {
      json_decref(args);
      return send_res(q, &r);
    }
  }
  enum MHD_Result rc;
  if (rt->fn == h_sql) {
    rc = sql_start(q, args);
  } else {
    rt->fn(q, args, &r);
    rc = send_res(q, &r);
  }
  json_decref(args);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  server *s = cls;
  req *q = *con_cls;
  (void)version;
  if (q == NULL) {
    q = calloc(1, sizeof *q);
    if (q == NULL) return MHD_NO;
    q->s = s;
    q->conn = conn;
    q->tenant = -1;
    q->t0 = now_s();
    *con_cls = q;
    atomic_fetch_add(&s->inflight, 1);
    return begin(s, q, url, method);
  }
  /* libmicrohttpd may call again after a response queued from the headers
  ** (seen for the 503 of a request that arrives while stopping, whose
  ** response says "Connection: close"): nothing more to do */
  if (q->queued) {
    *upload_size = 0;
    return MHD_YES;
  }
  if (*upload_size > 0) {
    if (q->early_msg) { /* refused already: drop the body */
      q->dropped += *upload_size;
      *upload_size = 0;
      return q->dropped > s->cfg->max_body + DROP_LIMIT ? MHD_NO : MHD_YES;
    }
    if (!q->too_big && q->body.n + *upload_size > s->cfg->max_body) {
      q->too_big = true;
      sb_free(&q->body);
    }
    if (!q->too_big) {
      sb_add(&q->body, upload, *upload_size);
      if (q->body.oom) return MHD_NO;
    } else if ((q->dropped += *upload_size) > DROP_LIMIT) {
      return MHD_NO;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  return finish(s, q);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe) {
  server *s = cls;
  req *q = *con_cls;
  (void)conn, (void)toe;
  if (q == NULL) return;
  *con_cls = NULL;
  remdb_finalize(q->st);
  if (q->db) pool_put(s, q->tenant, q->db);
  sb_free(&q->body);
  sb_free(&q->out);
  free(q->path);
  free(q->early_msg);
  free(q);
  if (atomic_fetch_sub(&s->inflight, 1) == 1 && atomic_load(&s->stopping)) {
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
  }
}

/* ---- setup ------------------------------------------------------------------------ */

static int add_tenant(server *s, const char *name, int line) {
  for (int i = 0; i < s->ntenants; i++)
    if (strcmp(s->tenants[i].name, name) == 0) return i;
  tenant_pool *nt = realloc(s->tenants, (size_t)(s->ntenants + 1) * sizeof *nt);
  if (nt == NULL) return -1;
  s->tenants = nt;
  tenant_pool *p = &nt[s->ntenants];
  memset(p, 0, sizeof *p);
  p->name = strdup(name);
  p->line = line;
  if (p->name == NULL) return -1;
  pthread_mutex_init(&p->mu, NULL);
  return s->ntenants++;
}

static bool key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || strchr("-._~+/=", c) != NULL;
}

/* Read the keys file: one "KEY TENANT" per line; blank lines and lines
** starting with # are skipped. */
static int load_keys(server *s, const char *file) {
  FILE *f = fopen(file, "r");
  if (f == NULL) {
    fprintf(stderr, "error: serve: cannot open keys file %s: %s\n", file,
            strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
    fprintf(stderr,
            "remdb serve: warning: keys file %s is readable by other users "
            "(chmod 600 it)\n",
            file);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int lineno = 0, rc = 0;
  while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    char *save, *key, *tenant, *extra;
    for (char *p = line; *p; p++)
      if (*p == '\t' || *p == '\r' || *p == '\n') *p = ' ';
    key = strtok_r(line, " ", &save);
    if (key == NULL || key[0] == '#') continue;
    tenant = strtok_r(NULL, " ", &save);
    extra = strtok_r(NULL, " ", &save);
    if (tenant == NULL || extra != NULL) {
      fprintf(stderr, "error: serve: %s line %d: expected KEY TENANT\n", file,
              lineno);
      rc = -1;
      break;
    }
    size_t kl = strlen(key);
    bool ok = kl >= 16 && kl <= 256;
    for (size_t i = 0; ok && i < kl; i++) ok = key_char(key[i]);
    if (!ok) {
      fprintf(stderr,
              "error: serve: %s line %d: a key is 16 to 256 characters from "
              "A-Z a-z 0-9 - . _ ~ + / =\n",
              file, lineno);
      rc = -1;
      break;
    }
    for (int i = 0; i < s->nkeys; i++)
      if (strcmp(s->keys[i].key, key) == 0) {
        fprintf(stderr, "error: serve: %s line %d: the key is listed twice\n",
                file, lineno);
        rc = -1;
      }
    if (rc) break;
    int t = add_tenant(s, tenant, lineno);
    api_key *nk = realloc(s->keys, (size_t)(s->nkeys + 1) * sizeof *nk);
    if (t < 0 || nk == NULL) {
      if (nk) s->keys = nk;
      fprintf(stderr, "error: serve: out of memory\n");
      rc = -1;
      break;
    }
    s->keys = nk;
    nk[s->nkeys].key = strdup(key);
    nk[s->nkeys].len = kl;
    nk[s->nkeys].tenant = t;
    if (nk[s->nkeys].key == NULL) {
      rc = -1;
      break;
    }
    s->nkeys++;
  }
  free(line);
  fclose(f);
  if (rc == 0 && s->nkeys == 0) {
    fprintf(stderr, "error: serve: keys file %s holds no key\n", file);
    rc = -1;
  }
  return rc;
}

static bool is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return a->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

/* Open the listening socket for "HOST:PORT" or "[V6]:PORT".  The address
** actually bound (port 0 picks one) is written to url. */
static int open_listener(server *s, const char *listen_on, char *url,
                         size_t urlsz) {
  char host[256];
  const char *colon = strrchr(listen_on, ':');
  const char *port = colon ? colon + 1 : NULL;
  size_t hl = colon ? (size_t)(colon - listen_on) : 0;
  if (colon && hl >= 2 && listen_on[0] == '[' && listen_on[hl - 1] == ']') {
    listen_on++;
    hl -= 2;
  }
  char *end;
  long pn = port ? strtol(port, &end, 10) : -1;
  if (colon == NULL || hl == 0 || hl >= sizeof host || *port == 0 || *end ||
      pn < 0 || pn > 65535) {
    fprintf(stderr,
            "error: serve: --listen takes HOST:PORT or [IPV6]:PORT, got "
            "'%s'\n",
            listen_on);
    return -1;
  }
  memcpy(host, listen_on, hl);
  host[hl] = 0;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int g = getaddrinfo(host, port, &hints, &ai);
  if (g != 0 || ai == NULL) {
    fprintf(stderr, "error: serve: cannot resolve %s: %s\n", host,
            gai_strerror(g));
    return -1;
  }
  if (!is_loopback(ai->ai_addr) && s->nkeys == 0) {
    fprintf(stderr,
            "error: serve: %s is not a loopback address: listening beyond "
            "this machine needs --keys FILE (API keys bound to tenants)\n",
            host);
    freeaddrinfo(ai);
    return -1;
  }
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
      listen(fd, 1024) != 0) {
    fprintf(stderr, "error: serve: cannot listen on %s: %s\n", listen_on,
            strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "?";
  int bound = 0;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&ss;
      inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
      bound = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
      bound = ntohs(a->sin6_port);
    }
  }
  snprintf(url, urlsz, ss.ss_family == AF_INET6 ? "http://[%s]:%d"
                                                : "http://%s:%d",
           ip, bound);
  return fd;
}

void srv_config_init(srv_config *c) {
  memset(c, 0, sizeof *c);
  c->listen = "127.0.0.1:8765";
  c->tenant = "default";
  c->max_body = 16u << 20;
  c->max_rows = 100000;
  c->timeout = 30;
  c->grace = 30;
  c->max_conns = 1024;
}

static void free_server(server *s) {
  for (int i = 0; i < s->ntenants; i++) {
    tenant_pool *p = &s->tenants[i];
    for (size_t k = 0; k < p->nfree; k++) remdb_close(p->free[k]);
    free(p->free);
    free(p->name);
    pthread_mutex_destroy(&p->mu);
  }
  free(s->tenants);
  for (int i = 0; i < s->nkeys; i++) free(s->keys[i].key);
  free(s->keys);
  remdb_close(s->root);
}

/* The accept thread.  remdb accepts connections itself and hands each to
** the daemon (MHD_add_connection, which gives it to a worker of the pool),
** so that stopping new connections is ours to do: end this thread, then
** close the listening socket, after which a connect is refused.  (The
** daemon's own MHD_quiesce_daemon, with a thread pool and epoll, races its
** workers and aborts the process about once in thirty stops in
** libmicrohttpd 0.9.75.)  Runs until a byte arrives on stop_fd[0]. */
static void *accept_main(void *arg) {
  server *s = arg;
  struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN},
                        {.fd = s->stop_fd[0], .events = POLLIN}};
  for (;;) {
    p[0].revents = p[1].revents = 0;
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "remdb serve: poll: %s\n", strerror(errno));
      break;
    }
    if (p[1].revents) break;
    if ((p[0].revents & POLLIN) == 0) continue;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int c = accept4(s->listen_fd, (struct sockaddr *)&ss, &sl,
                    SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        /* out of descriptors or memory: leave the connection queued and
        ** look again shortly instead of spinning on the same error */
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
      continue; /* EAGAIN, ECONNABORTED, EINTR: the next one */
    }
    /* closes the socket itself when the daemon cannot take it (for
    ** example at its connection limit) */
    mhd.add_connection(s->daemon, c, (const struct sockaddr *)&ss, sl);
  }
  return NULL;
}

/* Wait for a signal; after the first, for the requests in flight (until
** the grace period ends or a second signal comes). */
static void wait_for_shutdown(server *s, pthread_t acceptor,
                              const sigset_t *sigs) {
  int sig = 0;
  sigwait(sigs, &sig);
  atomic_store(&s->stopping, true);
  char one = 1;
  while (write(s->stop_fd[1], &one, 1) < 0 && errno == EINTR) {
  }
  pthread_join(acceptor, NULL);
  close(s->listen_fd);
  s->listen_fd = -1;
  /* said once no new connection can be made */
  fprintf(stderr, "remdb serve: signal %d: shutting down (%d requests in "
          "flight)\n", sig, atomic_load(&s->inflight));
  fflush(stderr);
  double deadline = now_s() + s->cfg->grace;
  pthread_mutex_lock(&s->mu);
  while (atomic_load(&s->inflight) > 0) {
    double left = deadline - now_s();
    if (left <= 0) {
      fprintf(stderr, "remdb serve: grace period over: %d requests cut\n",
              atomic_load(&s->inflight));
      break;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000; /* wake to look for a second signal */
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&s->cond, &s->mu, &ts);
    struct timespec zero = {0, 0};
    if (sigtimedwait(sigs, NULL, &zero) > 0) {
      fprintf(stderr, "remdb serve: second signal: stopping now\n");
      break;
    }
  }
  pthread_mutex_unlock(&s->mu);
}

int srv_http_run(const srv_config *cfg) {
  server s = {.cfg = cfg, .listen_fd = -1, .stop_fd = {-1, -1}};
  pthread_mutex_init(&s.root_mu, NULL);
  pthread_mutex_init(&s.mu, NULL);
  pthread_cond_init(&s.cond, NULL);
  int rc = 1;
  struct MHD_Daemon *d = NULL;
  /* Block the shutdown signals before any thread starts (RocksDB's
  ** background threads start in remdb_open, the daemon's workers later):
  ** every thread inherits the mask, so SIGTERM is only ever taken by this
  ** thread's sigwait, never by a thread whose default action would end the
  ** process at once. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  if (mhd_load()) goto out;
  json_object_seed(0); /* before any thread makes an object */
  if (cfg->keys) {
    if (load_keys(&s, cfg->keys)) goto out;
  } else if (add_tenant(&s, cfg->tenant, 0) < 0) {
    goto out;
  }
  remdb_options o;
  remdb_options_init(&o);
  o.create_if_missing = 0;
  o.sync = REMDB_SYNC_GROUP; /* concurrent writers share one fsync */
  o.max_result_rows = cfg->max_rows + 1; /* sql_fill says it first */
  int orc = remdb_open(cfg->path, cfg->tenant, &o, &s.root);
  if (orc) {
    if (orc == REMDB_NOTFOUND)
      fprintf(stderr, "error: no database at %s (run 'remdb -d %s init' "
              "first)\n", cfg->path, cfg->path);
    else
      fprintf(stderr, "error: %s\n", remdb_errmsg(s.root));
    goto out;
  }
  /* open one handle per tenant now: a bad tenant name fails at start */
  for (int i = 0; i < s.ntenants; i++) {
    srv_res r = {0};
    remdb *db = pool_get(&s, i, &r);
    if (db == NULL) {
      if (cfg->keys)
        fprintf(stderr, "error: serve: %s line %d: %s\n", cfg->keys,
                s.tenants[i].line, r.err ? r.err : "out of memory");
      else
        fprintf(stderr, "error: serve: %s\n", r.err ? r.err : "out of memory");
      srv_res_free(&r);
      goto out;
    }
    pool_put(&s, i, db);
  }
  char url[128];
  s.listen_fd = open_listener(&s, cfg->listen, url, sizeof url);
  if (s.listen_fd < 0) goto out;
  if (pipe2(s.stop_fd, O_CLOEXEC) != 0) {
    fprintf(stderr, "error: serve: pipe: %s\n", strerror(errno));
    goto out;
  }
  signal(SIGPIPE, SIG_IGN);
  unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : 0;
  if (threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n < 2 ? 2 : (unsigned)n;
  }
  unsigned idle = cfg->timeout > 60 ? (unsigned)cfg->timeout + 30 : 90;
  d = mhd.start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
          MHD_USE_NO_LISTEN_SOCKET,
      0, NULL, NULL, on_request, &s,
      MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, cfg->max_conns,
      MHD_OPTION_CONNECTION_TIMEOUT, idle,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
      MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "error: serve: cannot start the HTTP server\n");
    goto out;
  }
  s.daemon = d;
  pthread_t acceptor;
  int prc = pthread_create(&acceptor, NULL, accept_main, &s);
  if (prc != 0) {
    fprintf(stderr, "error: serve: cannot start a thread: %s\n",
            strerror(prc));
    mhd.stop_daemon(d);
    goto out;
  }
  printf("remdb serve: listening on %s (database %s, %d tenant%s%s, %u "
         "threads)\n",
         url, cfg->path, s.ntenants, s.ntenants == 1 ? "" : "s",
         s.nkeys ? ", API keys required" : ", no API keys", threads);
  fflush(stdout);
  wait_for_shutdown(&s, acceptor, &sigs);
  mhd.stop_daemon(d);
  rc = 0;
out:
  if (s.listen_fd >= 0) close(s.listen_fd);
  for (int i = 0; i < 2; i++)
    if (s.stop_fd[i] >= 0) close(s.stop_fd[i]);
  free_server(&s);
  pthread_cond_destroy(&s.cond);
  pthread_mutex_destroy(&s.mu);
  pthread_mutex_destroy(&s.root_mu);
  if (rc == 0) {
    fprintf(stderr, "remdb serve: stopped; database closed\n");
    fflush(stderr);
  }
  return rc;
}

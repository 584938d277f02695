/* test_http_embed.c: the http embedding provider against a small local
** server (python3, started here on an ephemeral port of 127.0.0.1).  The
** server embeds a text t as [len(t), count of 'a', first byte, 1] and
** misbehaves on request: the model name picks the mode (REMDB_EMBED_MODEL
** switches it between writes).  It logs "path model batch-size auth" per
** request to a file, so batching and the Authorization header can be
** checked.  Covered: schema checks of the provider's settings, the stored
** vector, text search queries, update, batching (embed_http and ingest),
** "index" order, every
** error (and that a failed write writes nothing), env overrides, the API
** key, connection refused.  Nothing here depends on the machine's speed:
** the server never answers a request that must time out, holds a request
** that another must overtake until the test releases it, and every other
** request may take as long as it needs (2-minute timeouts). */
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "embed/embed.h"
#include "util/util.h"
#include "remdb.h"
#include "test.h"
#include "testdb.h"

#define S(lit) lit, strlen(lit)

static const char *server_py =
    "import http.server, json, os, sys, threading, time\n"
    "log = open(sys.argv[1], 'a', buffering=1)\n"
    "parent = os.getppid()\n"
    "def watch():\n"
    "    while os.getppid() == parent: time.sleep(0.2)\n"
    "    os._exit(0)\n"
    "threading.Thread(target=watch, daemon=True).start()\n"
    "held = threading.Event()\n"
    "def vec(t):\n"
    "    b = t.encode()\n"
    "    return [float(len(b)), float(t.count('a')),"
    " float(b[0] if b else 0), 1.0]\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a): pass\n"
    "    def send(self, code, body):\n"
    "        b = body.encode()\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Type', 'application/json')\n"
    "        self.send_header('Content-Length', str(len(b)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b)\n"
    "    def do_POST(self):\n"
    "        n = int(self.headers.get('Content-Length', 0))\n"
    "        req = json.loads(self.rfile.read(n))\n"
    "        m = req.get('model', '-')\n"
    "        inp = req['input']\n"
    "        auth = self.headers.get('Authorization', '-').replace(' ', '_')\n"
    "        log.write('%s %s %d %s\\n' % (self.path, m, len(inp), auth))\n"
    "        data = [{'object': 'embedding', 'index': i, 'embedding': vec(t)}\n"
    "                for i, t in enumerate(inp)]\n"
    "        if m == 'e500': return self.send(500, 'model exploded\\n\\x01')\n"
    "        if m == 'badjson': return self.send(200, '{\"data\": [')\n"
    "        if m == 'nodata': return self.send(200, '{\"error\": \"no\"}')\n"
    "        if m == 'biglen':\n"
    "            self.send_response(200)\n"
    "            self.send_header('Content-Length', str(70 << 20))\n"
    "            self.end_headers()\n"
    "            self.close_connection = True\n"
    "            return\n"
    "        if m == 'bigstream':\n"
    "            self.send_response(200)\n"
    "            self.send_header('Connection', 'close')\n"
    "            self.end_headers()\n"
    "            self.close_connection = True\n"
    "            try:\n"
    "                for _ in range(70): self.wfile.write(b' ' * (1 << 20))\n"
    "            except OSError: pass\n"
    "            return\n"
    "        if m == 'wrongdim':\n"
    "            for d in data: d['embedding'] = d['embedding'][:3]\n"
    "        if m == 'nan': data[0]['embedding'][1] = float('nan')\n"
    "        if m == 'str': data[0]['embedding'][1] = 'x'\n"
    "        if m == 'huge': data[0]['embedding'][1] = 1e39\n"
    "        if m == 'count': data = data[:-1]\n"
    "        if m == 'noemb': del data[0]['embedding']\n"
    "        if m == 'badindex': data[0]['index'] = 7\n"
    "        if m == 'shuffle': data.reverse()\n"
    "        if m == 'hang':\n"
    "            self.close_connection = True\n"
    "            self.rfile.read(1)\n"
    "            return\n"
    "        if m == 'hold':\n"
    "            held.wait(300)\n"
    "        if m == 'release': held.set()\n"
    "        self.send(200, json.dumps({'object': 'list', 'data': data}))\n"
    "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "srv.daemon_threads = True\n"
    "print(srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

static char dir[512], logpath[600];
static pid_t srv_pid = -1;
static int port;

static bool start_server(void) {
  int p[2];
  if (pipe(p) != 0) return false;
  srv_pid = fork();
  if (srv_pid < 0) return false;
  if (srv_pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    execlp("python3", "python3", "-c", server_py, logpath, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  FILE *f = fdopen(p[0], "r");
  bool ok = f && fscanf(f, "%d", &port) == 1 && port > 0;
  if (f) fclose(f);
  return ok;
}

static void stop_server(void) {
  if (srv_pid <= 0) return;
  kill(srv_pid, SIGTERM);
  waitpid(srv_pid, NULL, 0);
}

/* The server's log as one string (caller frees); lines since `from`. */
static char *read_log(long from) {
  FILE *f = fopen(logpath, "r");
  if (f == NULL) return strdup("");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  if (n < from) from = n;
  char *s = calloc(1, (size_t)(n - from) + 1);
  fseek(f, from, SEEK_SET);
  if (s && fread(s, 1, (size_t)(n - from), f) != (size_t)(n - from)) s[0] = 0;
  fclose(f);
  return s;
}

static long log_size(void) {
  FILE *f = fopen(logpath, "r");
  if (f == NULL) return 0;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

static uint64_t count(remdb *db, const char *table) {
  uint64_t n = 0;
  CHECK_INT(remdb_count(db, table, 0, &n), REMDB_OK);
  return n;
}

/* The schema of table `name` with the given embedding block tail. */
static int put_schema(remdb *db, const char *name, const char *emb) {
  char js[4096];
  snprintf(js, sizeof js,
           "{\"name\":\"%s\",\"properties\":{\"text\":{\"type\":\"string\"}},"
           "\"embedding_fields\":[\"text\"],\"embedding\":{\"dim\":4,"
           "\"metric\":\"l2\",\"provider\":\"http\"%s}}",
           name, emb);
  return remdb_schema_put(db, js, strlen(js));
}

static remdb *http_db; /* the database the cases share */

static void schema_checks(void) {
  remdb *db = http_db;
  static const struct {
    const char *emb, *msg;
  } bad[] = {
      {",\"url\":5", "embedding.url: must be a string"},
      {",\"url\":\"ftp://x\"", "must start with http:// or https://"},
      {",\"model\":[]", "embedding.model: must be a string"},
      {",\"batch\":0", "embedding.batch: must be an integer from 1 to 2048"},
      {",\"batch\":2049", "embedding.batch"},
      {",\"batch\":\"8\"", "embedding.batch"},
      {",\"timeout_ms\":0", "embedding.timeout_ms"},
      {",\"timeout_ms\":1.5", "embedding.timeout_ms"},
      {",\"api_key_env\":\"MY KEY\"", "embedding.api_key_env"},
      {",\"api_key_env\":true", "embedding.api_key_env: must be a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_INT(put_schema(db, "badt", bad[i].emb), REMDB_INVALID);
    CHECK_HAS(remdb_errmsg(db), bad[i].msg);
  }
  /* lengths: url up to 1024 bytes, model up to 256 */
  char emb[2048];
  char longs[1100];
  memset(longs, 'a', sizeof longs);
  snprintf(emb, sizeof emb, ",\"url\":\"http://%.*s\"", 1017, longs);
  CHECK_INT(put_schema(db, "okurl", emb), REMDB_OK); /* 1024 bytes */
  snprintf(emb, sizeof emb, ",\"url\":\"http://%.*s\"", 1020, longs);
  CHECK_INT(put_schema(db, "badt", emb), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "embedding.url: 1027 bytes, at most 1024");
  snprintf(emb, sizeof emb, ",\"model\":\"%.*s\"", 257, longs);
  CHECK_INT(put_schema(db, "badt", emb), REMDB_INVALID);
  CHECK_HAS(remdb_errmsg(db), "embedding.model: 257 bytes, at most 256");
  /* without a url the schema is fine: REMDB_EMBED_URL may supply it */
  CHECK_INT(put_schema(db, "nourl", ""), REMDB_OK);
}

/* The l2 score of the best match for vector literal q, and its id. */
static double best(remdb *db, const char *table, const char *q, char *id) {
  char *js = NULL;
  double s = -1e30;
  CHECK_INT(remdb_search(db, table, q, 1, -1e30, NULL, &js), REMDB_OK);
  json_t *a = js ? json_loads(js, 0, NULL) : NULL;
  json_t *r = json_array_get(a, 0);
  if (r) {
    s = json_number_value(json_object_get(r, "score"));
    if (id) snprintf(id, 40, "%s", json_string_value(json_object_get(r, "id")));
  }
  json_decref(a);
  remdb_free(js);
  return s;
}

static void stores_vectors(void) {
  remdb *db = http_db;
  char id[REMDB_ID_LEN + 1], got[40];
  long at = log_size();
  CHECK_INT(remdb_insert(db, "notes", S("{\"text\":\"banana\"}"), id), REMDB_OK);
  CHECK_INT(remdb_insert(db, "notes", S("{\"text\":\"cherry\"}"), NULL),
            REMDB_OK);
  /* banana: 6 bytes, 3 a's, 'b' = 98: the exact vector, distance 0 */
  CHECK(fabs(best(db, "notes", "[6, 3, 98, 1]", got)) < 1e-6);
  CHECK_STR(got, id);
  /* a text query goes through the provider too */
  CHECK(fabs(best(db, "notes", "banana", got)) < 1e-6);
  CHECK_STR(got, id);
  char *lg = read_log(at);
  /* a base URL gets /v1/embeddings; one text per request; no key */
  CHECK_HAS(lg, "/v1/embeddings ok 1 -\n");
  free(lg);
  /* an update re-embeds: "bananas" is 7 bytes */
  CHECK_INT(remdb_update(db, id, S("{\"text\":\"bananas\"}")), REMDB_OK);
  CHECK(fabs(best(db, "notes", "[7, 3, 98, 1]", got)) < 1e-6);
  CHECK_STR(got, id);
  /* a row with no text gets no vector and makes no request */
  at = log_size();
  CHECK_INT(remdb_insert(db, "notes", S("{}"), NULL), REMDB_OK);
  lg = read_log(at);
  CHECK_STR(lg, "");
  free(lg);
}

/* Every way the server can fail: an error naming the reason, and no row. */
static void errors(void) {
  remdb *db = http_db;
  static const struct {
    const char *model, *msg;
  } bad[] = {
      {"e500", "HTTP status 500: model exploded\\x0a\\x01"},
      {"badjson", "response is not JSON"},
      {"nan", "response is not JSON"},
      {"nodata", "response has no \"data\" array"},
      {"wrongdim", "wrong dimension: got 3, schema says 4"},
      {"str", "data[0].embedding[1] is not a number"},
      {"huge", "data[0].embedding[1] is not a finite number"},
      {"count", "wrong count: 0 embeddings for 1 texts"},
      {"noemb", "data[0] has no \"embedding\" array"},
      {"badindex", "data[0].index is not one of 0..0"},
      {"biglen", "response larger than 64 MiB"},
      {"bigstream", "response larger than 64 MiB"},
  };
  uint64_t before = count(db, "notes");
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/embeddings", port);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv("REMDB_EMBED_MODEL", bad[i].model, 1);
    int rc = remdb_insert(db, "notes", S("{\"text\":\"apple\"}"), NULL);
    CHECK(rc != REMDB_OK);
    CHECK_HAS(remdb_errmsg(db), bad[i].msg);
    CHECK_HAS(remdb_errmsg(db), url);
    CHECK_HAS(remdb_errmsg(db), "notes: http embedding provider");
  }
  /* a text search query fails the same way */
  setenv("REMDB_EMBED_MODEL", "e500", 1);
  char *js = NULL;
  CHECK(remdb_search(db, "notes", "apple", 3, -1e30, NULL, &js) != REMDB_OK);
  CHECK(js == NULL);
  CHECK_HAS(remdb_errmsg(db), "search query: notes: http embedding provider");
  CHECK_HAS(remdb_errmsg(db), "HTTP status 500");
  unsetenv("REMDB_EMBED_MODEL");
  CHECK_INT(count(db, "notes"), before);
  /* a timeout: the server never answers (it waits for the client to hang
  ** up), so the request times out however fast or slow the machine is */
  char emb[256];
  snprintf(emb, sizeof emb,
           ",\"url\":\"http://127.0.0.1:%d\",\"model\":\"hang\","
           "\"timeout_ms\":300", port);
  CHECK_INT(put_schema(db, "hangt", emb), REMDB_OK);
  CHECK(remdb_insert(db, "hangt", S("{\"text\":\"apple\"}"), NULL) !=
        REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "timed out after 300 ms");
  CHECK_INT(count(db, "hangt"), 0);
}

/* Nothing listens on a port we hold bound but never listen on. */
static void refused(void) {
  remdb *db = http_db;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &al) == 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
  setenv("REMDB_EMBED_URL", url, 1);
  uint64_t before = count(db, "notes");
  CHECK(remdb_insert(db, "notes", S("{\"text\":\"apple\"}"), NULL) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "cannot reach");
  CHECK_HAS(remdb_errmsg(db), url);
  CHECK_INT(count(db, "notes"), before);
  unsetenv("REMDB_EMBED_URL");
  close(s);
}

static void overrides_and_key(void) {
  remdb *db = http_db;
  /* no url in the schema and none in the environment */
  CHECK(remdb_insert(db, "nourl", S("{\"text\":\"apple\"}"), NULL) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(db),
            "embedding.url is not set (schema or REMDB_EMBED_URL)");
  CHECK_INT(count(db, "nourl"), 0);
  /* REMDB_EMBED_URL supplies it; a full .../embeddings URL is kept */
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/custom/embeddings", port);
  setenv("REMDB_EMBED_URL", url, 1);
  setenv("REMDB_EMBED_MODEL", "envmodel", 1);
  long at = log_size();
  CHECK_INT(remdb_insert(db, "nourl", S("{\"text\":\"apple\"}"), NULL),
            REMDB_OK);
  char *lg = read_log(at);
  CHECK_STR(lg, "/custom/embeddings envmodel 1 -\n");
  free(lg);
  /* a named key variable that is unset: an error naming it */
  setenv("REMDB_EMBED_API_KEY_ENV", "REMDB_TEST_HTTP_KEY", 1);
  unsetenv("REMDB_TEST_HTTP_KEY");
  CHECK(remdb_insert(db, "nourl", S("{\"text\":\"apple\"}"), NULL) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "$REMDB_TEST_HTTP_KEY, which is not set");
  CHECK_INT(count(db, "nourl"), 1);
  /* set: sent as a bearer token */
  setenv("REMDB_TEST_HTTP_KEY", "sekrit-1", 1);
  at = log_size();
  CHECK_INT(remdb_insert(db, "nourl", S("{\"text\":\"apple\"}"), NULL),
            REMDB_OK);
  lg = read_log(at);
  CHECK_STR(lg, "/custom/embeddings envmodel 1 Bearer_sekrit-1\n");
  free(lg);
  /* a line break in the key is refused, not sent */
  setenv("REMDB_TEST_HTTP_KEY", "a\r\nX-Evil: 1", 1);
  CHECK(remdb_insert(db, "nourl", S("{\"text\":\"apple\"}"), NULL) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "contains control characters");
  unsetenv("REMDB_TEST_HTTP_KEY");
  unsetenv("REMDB_EMBED_API_KEY_ENV");
  unsetenv("REMDB_EMBED_URL");
  unsetenv("REMDB_EMBED_MODEL");
  /* the schema's own api_key_env */
  char emb[256];
  snprintf(emb, sizeof emb,
           ",\"url\":\"http://127.0.0.1:%d/\",\"model\":\"ok\","
           "\"api_key_env\":\"REMDB_TEST_KEY2\"",
           port);
  CHECK_INT(put_schema(db, "keyed", emb), REMDB_OK);
  CHECK(remdb_insert(db, "keyed", S("{\"text\":\"x\"}"), NULL) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "api_key_env names $REMDB_TEST_KEY2");
  setenv("REMDB_TEST_KEY2", "k2", 1);
  at = log_size();
  CHECK_INT(remdb_insert(db, "keyed", S("{\"text\":\"x\"}"), NULL), REMDB_OK);
  lg = read_log(at);
  CHECK_STR(lg, "/v1/embeddings ok 1 Bearer_k2\n");
  free(lg);
  unsetenv("REMDB_TEST_KEY2");
}

/* embed_http directly: batches of c.batch, results placed by "index". */
static void batching(void) {
  const char *texts[] = {"a", "bb", "aaa", "dddd", "", "eeeee"};
  size_t lens[6];
  for (int i = 0; i < 6; i++) lens[i] = strlen(texts[i]);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  embed_http_conf c = {.url = url, .model = "ok", .api_key_env = "",
                       .dim = 4, .batch = 4, .timeout_ms = 120000};
  float out[6 * 4];
  err_t e = {0};
  long at = log_size();
  CHECK_INT(embed_http(&c, 6, texts, lens, out, &e), REMDB_OK);
  char *lg = read_log(at);
  CHECK_STR(lg, "/v1/embeddings ok 4 -\n/v1/embeddings ok 2 -\n");
  free(lg);
  for (int i = 0; i < 6; i++) {
    float a = 0;
    for (const char *p = texts[i]; *p; p++) a += *p == 'a';
    CHECK(out[i * 4] == (float)lens[i]);
    CHECK(out[i * 4 + 1] == a);
    CHECK(out[i * 4 + 2] == (float)(unsigned char)texts[i][0]);
    CHECK(out[i * 4 + 3] == 1.0f);
  }
  /* the server answers in reverse order; "index" puts them right */
  c.model = "shuffle";
  c.batch = 64;
  memset(out, 0, sizeof out);
  at = log_size();
  CHECK_INT(embed_http(&c, 6, texts, lens, out, &e), REMDB_OK);
  lg = read_log(at);
  CHECK_STR(lg, "/v1/embeddings shuffle 6 -\n");
  free(lg);
  for (int i = 0; i < 6; i++) CHECK(out[i * 4] == (float)lens[i]);
  /* one bad item in the second batch fails the call */
  c.model = "count";
  c.batch = 3;
  CHECK_INT(embed_http(&c, 6, texts, lens, out, &e), REMDB_ERROR);
  CHECK_HAS(e.msg, "wrong count: 2 embeddings for 3 texts");
  /* invalid UTF-8 is refused before anything is sent */
  const char *bad[] = {"ok", "\xff\xfe"};
  size_t bl[] = {2, 2};
  c.model = "ok";
  at = log_size();
  CHECK_INT(embed_http(&c, 2, bad, bl, out, &e), REMDB_INVALID);
  CHECK_HAS(e.msg, "text 1 is not valid UTF-8");
  lg = read_log(at);
  CHECK_STR(lg, "");
  free(lg);
}

/* remdb_ingest embeds a document's chunks in windows of `batch` texts. */
static void ingest(void) {
  remdb *db = http_db;
  char js[1024];
  snprintf(js, sizeof js,
           "{\"name\":\"chunks\",\"properties\":{\"uri\":{\"type\":"
           "\"string\"},\"chunk_ordinal\":{\"type\":\"integer\"},"
           "\"content\":{\"type\":\"string\"},\"name\":{\"type\":"
           "\"string\"},\"category\":{\"type\":\"string\"}},"
           "\"embedding_fields\":[\"content\"],\"embedding\":{\"dim\":4,"
           "\"metric\":\"l2\",\"provider\":\"http\",\"batch\":2,"
           "\"model\":\"ok\",\"url\":\"http://127.0.0.1:%d\"}}",
           port);
  CHECK_INT(remdb_schema_put(db, js, strlen(js)), REMDB_OK);
  const char *doc = "{\"content\":\"one\"}\n{\"content\":\"banana two\"}\n"
                    "{\"content\":\"three\"}\n{\"content\":\"four\"}\n"
                    "{\"content\":\"aardvark five\"}\n";
  remdb_ingest_options o;
  remdb_ingest_options_init(&o);
  o.jsonl = true;
  size_t n = 0;
  long at = log_size();
  CHECK_INT(remdb_ingest(db, "chunks", "file:///a.jsonl", "a", doc,
                         strlen(doc), &o, &n),
            REMDB_OK);
  CHECK_INT(n, 5);
  char *lg = read_log(at);
  /* the document's own row, then the chunks two at a time */
  CHECK_STR(lg, "/v1/embeddings ok 1 -\n/v1/embeddings ok 2 -\n"
                "/v1/embeddings ok 2 -\n/v1/embeddings ok 1 -\n");
  free(lg);
  CHECK_INT(count(db, "chunks"), 6);
  /* each chunk has its own text's vector: "aardvark five" is 13 bytes,
  ** 3 a's, 'a' = 97; "banana two" 10 bytes, 3 a's, 'b' */
  CHECK(fabs(best(db, "chunks", "[13, 3, 97, 1]", NULL)) < 1e-6);
  CHECK(fabs(best(db, "chunks", "[10, 3, 98, 1]", NULL)) < 1e-6);
  /* a failure in any window writes nothing */
  setenv("REMDB_EMBED_MODEL", "wrongdim", 1);
  CHECK(remdb_ingest(db, "chunks", "file:///b.jsonl", "b", doc, strlen(doc),
                     &o, &n) != REMDB_OK);
  CHECK_HAS(remdb_errmsg(db), "wrong dimension: got 3, schema says 4");
  unsetenv("REMDB_EMBED_MODEL");
  CHECK_INT(count(db, "chunks"), 6);
}

/* The provider is called before the write lock is taken: while one insert
** waits for an endpoint that holds its request (until the test releases
** it), an insert on another handle commits.  Were the provider called
** under the lock, that insert would wait for the held one, which the
** server releases only after 5 minutes: the order shows it. */
typedef struct slow_arg {
  remdb *db;
  int rc;
  atomic_int *order, *mine;
} slow_arg;

static void *slow_insert(void *p) {
  slow_arg *a = p;
  a->rc = remdb_insert(a->db, "slowt", "{\"text\":\"zzz\"}", 14, NULL);
  *a->mine = atomic_fetch_add(a->order, 1);
  return NULL;
}

static void not_under_lock(void) {
  remdb *db = http_db;
  char emb[256];
  snprintf(emb, sizeof emb,
           ",\"url\":\"http://127.0.0.1:%d\",\"model\":\"hold\","
           "\"timeout_ms\":900000", port);
  CHECK_INT(put_schema(db, "slowt", emb), REMDB_OK);
  CHECK_INT(remdb_schema_put(db, S("{\"name\":\"plain\",\"properties\":"
                                   "{\"n\":{\"type\":\"integer\"}}}")),
            REMDB_OK);
  remdb *other = NULL;
  CHECK_INT(remdb_open_tenant(db, "t", &other), REMDB_OK);
  atomic_int order = 0, slow_at = -1, fast_at = -1;
  slow_arg a = {other, -1, &order, &slow_at};
  pthread_t th;
  CHECK_INT(pthread_create(&th, NULL, slow_insert, &a), 0);
  /* wait until the server holds the request (its log line comes first) */
  for (;;) {
    char *lg = read_log(0);
    bool held = strstr(lg, "/v1/embeddings hold 1") != NULL;
    free(lg);
    if (held) break;
    usleep(10 * 1000);
  }
  CHECK_INT(remdb_insert(db, "plain", S("{\"n\":1}"), NULL), REMDB_OK);
  fast_at = atomic_fetch_add(&order, 1);
  /* let the held request go */
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  embed_http_conf rc = {.url = url, .model = "release", .api_key_env = "",
                        .dim = 4, .batch = 1, .timeout_ms = 120000};
  const char *txt[] = {"go"};
  size_t tl[] = {2};
  float v[4];
  err_t e = {0};
  CHECK_INT(embed_http(&rc, 1, txt, tl, v, &e), REMDB_OK);
  pthread_join(th, NULL);
  CHECK_INT(a.rc, REMDB_OK);
  CHECK_INT(fast_at, 0); /* it did not wait for the slow one's lock */
  CHECK_INT(slow_at, 1);
  CHECK_INT(count(db, "slowt"), 1);
  remdb_close(other);
}

/* the notes table, embedded by the local server */
static void put_notes(void) {
  char emb[256];
  snprintf(emb, sizeof emb,
           ",\"url\":\"http://127.0.0.1:%d\",\"model\":\"ok\","
           "\"timeout_ms\":120000,\"batch\":2",
           port);
  CHECK_INT(put_schema(http_db, "notes", emb), REMDB_OK);
}

int main(int argc, char **argv) {
  /* a proxy from the environment must not intercept 127.0.0.1 */
  setenv("no_proxy", "*", 1);
  setenv("NO_PROXY", "*", 1);
  unsetenv("REMDB_EMBED_URL");
  unsetenv("REMDB_EMBED_MODEL");
  unsetenv("REMDB_EMBED_API_KEY_ENV");
  scratch_dir(dir, sizeof dir, "httpembed");
  snprintf(logpath, sizeof logpath, "%s.log", dir);
  remove(logpath);
  if (!start_server()) {
    fprintf(stderr, "test_http_embed: cannot start the python3 server\n");
    stop_server();
    return 1;
  }
  CHECK_INT(remdb_open(dir, "t", NULL, &http_db), REMDB_OK);
  TEST_CASE(schema_checks);
  TEST_CASE(put_notes);
  TEST_CASE_AFTER(stores_vectors, put_notes);
  TEST_CASE_AFTER(errors, stores_vectors);
  TEST_CASE_AFTER(refused, errors);
  TEST_CASE_AFTER(overrides_and_key, refused);
  TEST_CASE_AFTER(ingest, overrides_and_key);
  TEST_CASE_AFTER(not_under_lock, ingest);
  TEST_CASE(batching);
  int rc_ = test_main(argc, argv, "test_http_embed");
  remdb_close(http_db);
  stop_server();
  rm_tree(dir);
  remove(logpath);
  return rc_;
}

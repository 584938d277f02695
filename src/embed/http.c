/*
** http.c: the `http` embedding provider (see embed.h).  One libcurl easy
** handle per call, so concurrent calls share nothing but libcurl's global
** state, which is initialised once.  Every way the exchange can go wrong
** gets its own message naming the URL, because the person reading it is
** usually debugging a server configuration, not remdb.
**
** libcurl is loaded with dlopen the first time the provider is used, not
** linked: its dependencies (TLS, LDAP, Kerberos, SSH, IDN, ...) are some
** twenty shared libraries whose loading and relocation cost every process
** several milliseconds, several times what a CLI read costs otherwise.
** $REMDB_LIBCURL names the library to load; by default libcurl.so.4, then
** Debian's libcurl-gnutls.so.4.  Without it the provider fails with a
** message saying so; nothing else needs it.
*/
#include <curl/curl.h>
#include <dlfcn.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"

#define URL_MAX 1024
#define MODEL_MAX 256
#define SNIPPET 200 /* bytes of an error body quoted in a message */
/* a connection that takes longer than this is not going to work */
#define CONNECT_MAX_MS 10000L

/* ---- libcurl, loaded once: curl_global_init is not thread-safe in older
** libcurl, and remdb handles may be used from several threads */
static struct {
  CURLcode (*global_init)(long);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_perform)(CURL *);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  void (*easy_cleanup)(CURL *);
  const char *(*easy_strerror)(CURLcode);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
} C;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_init = CURLE_FAILED_INIT;
static char g_why[512]; /* why libcurl could not be loaded */

/* Resolve sym into *fp; false (and g_why says which) when it is missing. */
static bool bind_sym(void *lib, const char *name, const char *sym,
                     void *fp) {
  void *f = dlsym(lib, sym);
  if (f == NULL) {
    snprintf(g_why, sizeof g_why, "%s has no %s", name, sym);
    return false;
  }
  memcpy(fp, &f, sizeof f); /* a data pointer to a function pointer */
  return true;
}

static void global_init(void) {
  const char *env = getenv("REMDB_LIBCURL");
  const char *names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
  size_t nn = 2;
  if (env && *env) {
    names[0] = env;
    nn = 1;
  }
  void *lib = NULL;
  const char *name = names[0];
  for (size_t i = 0; i < nn && lib == NULL; i++) {
    name = names[i];
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL && i == 0) {
      const char *why = dlerror();
      snprintf(g_why, sizeof g_why, "%s", why ? why : name);
    }
  }
  if (lib == NULL) return;
  /* every symbol, or none: a library without them is not libcurl 7/8 */
  if (!bind_sym(lib, name, "curl_global_init", &C.global_init) ||
      !bind_sym(lib, name, "curl_easy_init", &C.easy_init) ||
      !bind_sym(lib, name, "curl_easy_setopt", &C.easy_setopt) ||
      !bind_sym(lib, name, "curl_easy_perform", &C.easy_perform) ||
      !bind_sym(lib, name, "curl_easy_getinfo", &C.easy_getinfo) ||
      !bind_sym(lib, name, "curl_easy_cleanup", &C.easy_cleanup) ||
      !bind_sym(lib, name, "curl_easy_strerror", &C.easy_strerror) ||
      !bind_sym(lib, name, "curl_slist_append", &C.slist_append) ||
      !bind_sym(lib, name, "curl_slist_free_all", &C.slist_free_all)) {
    C.global_init = NULL;
    return; /* the library stays loaded: harmless, and it may be in use */
  }
  g_init = C.global_init(CURL_GLOBAL_ALL);
  if (g_init != CURLE_OK)
    snprintf(g_why, sizeof g_why, "%s", C.easy_strerror(g_init));
}

/* ---- settings: the schema's, unless the environment overrides them ---- */

typedef struct settings {
  char url[URL_MAX + 64]; /* room for the appended /v1/embeddings */
  const char *model;
  const char *key;        /* NULL: no Authorization header */
  const char *key_env;
} settings;

static const char *pick(const char *env, const char *schema) {
  const char *v = getenv(env);
  return v && *v ? v : schema ? schema : "";
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The endpoint: a URL that already names .../embeddings is used as it is,
** anything else is a base URL that gets /v1/embeddings. */
static int resolve_url(settings *s, const char *url, err_t *e) {
  size_t n = strlen(url);
  if (n == 0)
    return err_set(e, REMDB_INVALID,
                   "http embedding provider: embedding.url is not set "
                   "(schema or REMDB_EMBED_URL)");
  if (n > URL_MAX)
    return err_set(e, REMDB_INVALID,
                   "http embedding provider: the url is %zu bytes, at most "
                   "%d allowed",
                   n, URL_MAX);
  if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
    return err_set(e, REMDB_INVALID,
                   "http embedding provider: url \"%.200s\" must start with "
                   "http:// or https://",
                   url);
  while (n > 0 && url[n - 1] == '/') n--;
  if (ends_with(url, n, "/embeddings"))
    snprintf(s->url, sizeof s->url, "%.*s", (int)n, url);
  else
    snprintf(s->url, sizeof s->url, "%.*s/v1/embeddings", (int)n, url);
  return REMDB_OK;
}

static int resolve(const embed_http_conf *c, settings *s, err_t *e) {
  int rc = resolve_url(s, pick("REMDB_EMBED_URL", c->url), e);
  if (rc) return rc;
  s->model = pick("REMDB_EMBED_MODEL", c->model);
  if (strlen(s->model) > MODEL_MAX)
    return err_set(e, REMDB_INVALID,
                   "http embedding provider: the model name is %zu bytes, at "
                   "most %d allowed",
                   strlen(s->model), MODEL_MAX);
  s->key_env = pick("REMDB_EMBED_API_KEY_ENV", c->api_key_env);
  s->key = NULL;
  if (*s->key_env == '\0') return REMDB_OK;
  s->key = getenv(s->key_env);
  if (s->key == NULL || *s->key == '\0')
    return err_set(e, REMDB_INVALID,
                   "http embedding provider: api_key_env names $%.128s, "
                   "which is not set",
                   s->key_env);
  /* a line break in the key would smuggle extra headers into the request */
  for (const char *p = s->key; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return err_set(e, REMDB_INVALID,
                     "http embedding provider: the key in $%.128s contains "
                     "control characters",
                     s->key_env);
  return REMDB_OK;
}

/* ---- the request ---- */

static bool add_header(struct curl_slist **h, const char *line) {
  struct curl_slist *n = C.slist_append(*h, line);
  if (n == NULL) return false;
  *h = n;
  return true;
}

static int make_headers(const settings *s, struct curl_slist **out,
                        err_t *e) {
  struct curl_slist *h = NULL;
  /* "Expect:" turns off curl's 100-continue wait on large bodies, which
  ** servers that do not answer it (most embedding servers) turn into a
  ** one-second stall per request */
  bool ok = add_header(&h, "Content-Type: application/json") &&
            add_header(&h, "Accept: application/json") &&
            add_header(&h, "Expect:");
  if (ok && s->key) {
    buf_t b;
    buf_init(&b);
    buf_addf(&b, "Authorization: Bearer %s", s->key);
    ok = !b.oom && add_header(&h, b.p);
    buf_free(&b);
  }
  if (!ok) {
    C.slist_free_all(h);
    return err_nomem(e);
  }
  *out = h;
  return REMDB_OK;
}

/* The JSON body for texts[0..n). */
static int make_body(const settings *s, size_t n, const char *const *texts,
                     const size_t *lens, char **out, err_t *e) {
  json_t *req = json_object();
  json_t *in = json_array();
  int rc = req && in ? REMDB_OK : err_nomem(e);
  for (size_t i = 0; rc == REMDB_OK && i < n; i++) {
    json_t *t = json_stringn(texts[i], lens[i]);
    if (t == NULL) /* jansson refuses invalid UTF-8 (or memory ran out) */
      rc = err_set(e, REMDB_INVALID,
                   "http embedding provider: text %zu is not valid UTF-8",
                   i);
    else if (json_array_append_new(in, t))
      rc = err_nomem(e);
  }
  if (rc == REMDB_OK && *s->model &&
      json_object_set_new(req, "model", json_string(s->model)))
    rc = err_nomem(e);
  if (rc == REMDB_OK) {
    rc = json_object_set_new(req, "input", in) ? err_nomem(e) : REMDB_OK;
    in = NULL; /* set_new took it, even on failure */
  }
  if (rc == REMDB_OK && (*out = json_dumps(req, JSON_COMPACT)) == NULL)
    rc = err_nomem(e);
  json_decref(in);
  json_decref(req);
  return rc;
}

/* ---- the response ---- */

typedef struct resp {
  buf_t body;
  bool too_big;
} resp;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud) {
  resp *r = ud;
  size_t n = size * nmemb;
  if (n > EMBED_HTTP_MAX_RESPONSE - r->body.len) {
    r->too_big = true;
    return 0; /* makes curl stop with CURLE_WRITE_ERROR */
  }
  buf_add(&r->body, p, n);
  return r->body.oom ? 0 : n;
}

/* The first bytes of a body, printable, for a message. */
static void snippet(const buf_t *b, char *out, size_t n) {
  char raw[SNIPPET + 1];
  size_t k = b->len < SNIPPET ? b->len : SNIPPET;
  if (k) memcpy(raw, b->p, k);
  raw[k] = '\0';
  err_printable(out, n, raw);
}

/* data[i] -> out[index * dim]; seen[] catches a repeated index. */
static int take_item(const char *url, json_t *item, size_t i, size_t n,
                     int dim, bool *seen, float *out, err_t *e) {
  json_t *ix = json_object_get(item, "index");
  json_t *v = json_object_get(item, "embedding");
  /* a server that leaves "index" out answers in input order */
  json_int_t k = ix ? (json_is_integer(ix) ? json_integer_value(ix) : -1)
                    : (json_int_t)i;
  if (k < 0 || (size_t)k >= n || seen[k])
    return err_set(e, REMDB_ERROR,
                   "http embedding provider (%.300s): data[%zu].index is "
                   "not one of 0..%zu, or repeated",
                   url, i, n - 1);
  seen[k] = true;
  if (!json_is_array(v))
    return err_set(e, REMDB_ERROR,
                   "http embedding provider (%.300s): data[%zu] has no "
                   "\"embedding\" array",
                   url, i);
  if (json_array_size(v) != (size_t)dim)
    return err_set(e, REMDB_ERROR,
                   "http embedding provider (%.300s): wrong dimension: got "
                   "%zu, schema says %d",
                   url, json_array_size(v), dim);
  float *o = out + (size_t)k * (size_t)dim;
  for (int j = 0; j < dim; j++) {
    json_t *x = json_array_get(v, (size_t)j);
    if (!json_is_number(x))
      return err_set(e, REMDB_ERROR,
                     "http embedding provider (%.300s): data[%zu]."
                     "embedding[%d] is not a number",
                     url, i, j);
    /* jansson refuses NaN and Infinity, but 1e39 is a finite double that
    ** is no float */
    double d = json_number_value(x);
    if (!isfinite(d) || fabs(d) > FLT_MAX)
      return err_set(e, REMDB_ERROR,
                     "http embedding provider (%.300s): data[%zu]."
                     "embedding[%d] is not a finite number",
                     url, i, j);
    o[j] = (float)d;
  }
  return REMDB_OK;
}

static int parse(const char *url, const buf_t *body, size_t n, int dim,
                 float *out, err_t *e) {
  json_error_t je;
  json_t *doc = json_loadb(body->p ? body->p : "", body->len, 0, &je);
  if (doc == NULL) {
    char sn[2 * SNIPPET];
    snippet(body, sn, sizeof sn);
    return err_set(e, REMDB_ERROR,
                   "http embedding provider (%.300s): response is not JSON "
                   "(%s): %s",
                   url, je.text, sn);
  }
  json_t *data = json_object_get(doc, "data");
  bool *seen = calloc(n, sizeof *seen);
  int rc = REMDB_OK;
  if (seen == NULL)
    rc = err_nomem(e);
  else if (!json_is_array(data))
    rc = err_set(e, REMDB_ERROR,
                 "http embedding provider (%.300s): response has no "
                 "\"data\" array",
                 url);
  else if (json_array_size(data) != n)
    rc = err_set(e, REMDB_ERROR,
                 "http embedding provider (%.300s): wrong count: %zu "
                 "embeddings for %zu texts",
                 url, json_array_size(data), n);
  for (size_t i = 0; rc == REMDB_OK && i < n; i++)
    rc = take_item(url, json_array_get(data, i), i, n, dim, seen, out, e);
  free(seen);
  json_decref(doc);
  return rc;
}

/* ---- one exchange ---- */

static int curl_failed(const settings *s, CURLcode cc, const resp *r,
                       const char *ebuf, long timeout_ms, err_t *e) {
  if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED)
    return err_set(e, REMDB_TOOBIG,
                   "http embedding provider (%.300s): response larger than "
                   "%u MiB, refused",
                   s->url, EMBED_HTTP_MAX_RESPONSE >> 20);
  if (r->body.oom) return err_nomem(e);
  if (cc == CURLE_OPERATION_TIMEDOUT)
    return err_set(e, REMDB_ERROR,
                   "http embedding provider (%.300s): timed out after %ld ms",
                   s->url, timeout_ms);
  return err_set(e, REMDB_ERROR,
                 "http embedding provider: cannot reach %.300s: %s", s->url,
                 *ebuf ? ebuf : C.easy_strerror(cc));
}

/* The options every request of a call shares (exchange sets the rest). */
static CURLcode set_options(CURL *h, const settings *s, long timeout_ms,
                            struct curl_slist *hdrs) {
  long connect_ms = timeout_ms < CONNECT_MAX_MS ? timeout_ms : CONNECT_MAX_MS;
  CURLcode cc = C.easy_setopt(h, CURLOPT_URL, s->url);
  /* no signals: a timeout must not longjmp out of another thread */
  if (!cc) cc = C.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  if (!cc) cc = C.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  if (!cc)
    cc = C.easy_setopt(h, CURLOPT_PROTOCOLS,
                          (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (!cc) cc = C.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  if (!cc) cc = C.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  if (!cc) cc = C.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  if (!cc) cc = C.easy_setopt(h, CURLOPT_USERAGENT, "remdb/" REMDB_VERSION);
  if (!cc)
    cc = C.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                          (curl_off_t)EMBED_HTTP_MAX_RESPONSE);
  if (!cc) cc = C.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  return cc;
}

/* POST texts[0..n) and fill out[n * dim]. */
static int exchange(CURL *h, const settings *s, const embed_http_conf *c,
                    size_t n, const char *const *texts, const size_t *lens,
                    float *out, err_t *e) {
  char *body = NULL;
  int rc = make_body(s, n, texts, lens, &body, e);
  if (rc) return rc;
  resp r = {.too_big = false};
  buf_init(&r.body);
  char ebuf[CURL_ERROR_SIZE] = "";
  CURLcode cc = C.easy_setopt(h, CURLOPT_POSTFIELDS, body);
  if (!cc)
    cc = C.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)strlen(body));
  if (!cc) cc = C.easy_setopt(h, CURLOPT_WRITEDATA, &r);
  if (!cc) cc = C.easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
  if (!cc) cc = C.easy_perform(h);
  long status = 0;
  if (cc) {
    rc = curl_failed(s, cc, &r, ebuf, c->timeout_ms, e);
  } else if (C.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) ||
             status != 200) {
    char sn[2 * SNIPPET];
    snippet(&r.body, sn, sizeof sn);
    rc = err_set(e, REMDB_ERROR,
                 "http embedding provider (%.300s): HTTP status %ld: %s",
                 s->url, status, sn);
  } else {
    rc = parse(s->url, &r.body, n, c->dim, out, e);
  }
  /* the handle must not keep pointers to this call's locals */
  C.easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  C.easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
  buf_free(&r.body);
  free(body);
  return rc;
}

int embed_http(const embed_http_conf *c, size_t n, const char *const *texts,
               const size_t *lens, float *out, err_t *e) {
  settings s;
  int rc = resolve(c, &s, e);
  if (rc || n == 0) return rc;
  pthread_once(&g_once, global_init);
  if (C.global_init == NULL)
    return err_set(e, REMDB_ERROR,
                   "http embedding provider: cannot load libcurl (%s): "
                   "install libcurl4 (Debian), or set $REMDB_LIBCURL to "
                   "the libcurl shared library",
                   g_why);
  if (g_init != CURLE_OK)
    return err_set(e, REMDB_ERROR,
                   "http embedding provider: libcurl failed to initialise: "
                   "%s",
                   g_why);
  struct curl_slist *hdrs = NULL;
  if ((rc = make_headers(&s, &hdrs, e))) return rc;
  CURL *h = C.easy_init();
  if (h == NULL) {
    rc = err_set(e, REMDB_ERROR,
                 "http embedding provider: curl_easy_init failed");
  } else {
    CURLcode cc = set_options(h, &s, c->timeout_ms, hdrs);
    if (cc)
      rc = err_set(e, REMDB_ERROR,
                   "http embedding provider: setting up the request: %s",
                   C.easy_strerror(cc));
  }
  /* one handle for every batch: the connection is reused between them */
  size_t batch = c->batch > 0 ? (size_t)c->batch : 1;
  for (size_t off = 0; rc == REMDB_OK && off < n; off += batch) {
    size_t m = n - off < batch ? n - off : batch;
    rc = exchange(h, &s, c, m, texts + off, lens + off,
                  out + off * (size_t)c->dim, e);
  }
  if (h) C.easy_cleanup(h);
  C.slist_free_all(hdrs);
  return rc;
}

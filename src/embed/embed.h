/*
** embed.h: turning text into vectors (the hash and http providers).
** Layer: below core, above util: the write path embeds entities with it,
** and search (through core) embeds text queries.  Comparing vectors is
** src/vector/dist.h's job.
**
** The `hash` provider is feature hashing of normalised word unigrams, word
** bigrams and character trigrams into dim buckets, signed, then
** L2-normalised: lexical, not semantic, and offline (it is what makes the
** demo work with no network).  The `http` provider asks a server.
*/
#ifndef REMDB_EMBED_H
#define REMDB_EMBED_H

#include <stddef.h>

#include "../util/util.h"

#define EMBED_MAX_DIM 4096

/* Embed text with the hash provider into out[dim]. */
void embed_hash(const char *text, size_t len, int dim, float *out);

/* ---- The `http` provider (http.c): an OpenAI-compatible embeddings
** endpoint (OpenAI, Ollama, llama.cpp server, TEI), via libcurl.  Request
** {"model":M,"input":[t1,...]}, response {"data":[{"index":i,
** "embedding":[...]},...]}, matched to the texts by "index". */

/* Responses larger than this are refused (a sane endpoint sends about
** 20 bytes per number: 2048 texts of dim 4096 would be ~170 MiB, but the
** default batch of 64 stays far below it). */
#define EMBED_HTTP_MAX_RESPONSE (64u << 20)

/* The provider's settings as the schema gives them (strings may be "";
** all borrowed).  At use time REMDB_EMBED_URL, REMDB_EMBED_MODEL and
** REMDB_EMBED_API_KEY_ENV, when set and not empty, take their place. */
typedef struct embed_http_conf {
  const char *url;         /* base URL, or the full .../embeddings URL */
  const char *model;       /* "": no "model" in the request */
  const char *api_key_env; /* variable holding the key; "": no key sent */
  int dim;                 /* the dimension every vector must have */
  int batch;               /* texts per request, >= 1 */
  long timeout_ms;         /* per request, connection included */
} embed_http_conf;

/* Embed n texts (texts[i] of lens[i] bytes, UTF-8) into out[n * dim], in
** requests of at most c->batch texts.  On failure e says what went wrong
** (unreachable, timeout, HTTP status, malformed answer, ...) and out
** holds nothing usable.  Thread-safe: each call has its own connection. */
int embed_http(const embed_http_conf *c, size_t n, const char *const *texts,
               const size_t *lens, float *out, err_t *e);

#endif

/*
** ingest.c: remdb_ingest, a document into a table whose ids derive from
** uri and chunk_ordinal (resources): one row for the document (ordinal -1,
** category "document"), one per chunk (0, 1, ...), a has_chunk edge from
** the document to each chunk, and the removal of chunks a shorter new
** version no longer has.  All of it is one transaction: a re-ingest is an
** upsert of the same ids, and a failure writes nothing.
*/
#include <stdlib.h>
#include <string.h>

#include "../graph/graph.h"
#include "ingest.h"

void remdb_ingest_options_init(remdb_ingest_options *o) {
  memset(o, 0, sizeof *o);
  o->chunk_chars = 1000;
  o->overlap_chars = 100;
}

static bool has_prop(const sch_table *t, const char *name) {
  return rec_dict_id(&t->dict, name) != 0 &&
         json_object_get(json_object_get(t->doc, "properties"), name);
}

/* Insert one row built from obj; its id goes to id. */
static int put_row(wtx_t *w, const sch_table *t, json_t *obj, uuid16_t *id) {
  remdb *db = wtx_db(w);
  char *text = json_dumps(obj, JSON_COMPACT);
  if (text == NULL) return err_nomem(&db->err);
  char ids[REMDB_ID_LEN + 1];
  int rc = ent_insert(w, t->name, text, strlen(text), ids);
  free(text);
  if (rc == REMDB_OK) uuid_parse(ids, REMDB_ID_LEN, id);
  return rc;
}

/* ---- chunk rows wait in a window before they are written: with the http
** provider the window's texts are embedded in one request (the rows then
** carry explicit vectors, which the write path takes as they are) instead
** of one request per chunk.  Other providers write each row at once. */

static bool is_http(const sch_table *t) {
  return t->embedding.dim && t->embedding.provider == SCH_PROVIDER_HTTP;
}

static size_t window_size(const sch_table *t) {
  return is_http(t) && t->embedding.batch > 1 ? (size_t)t->embedding.batch
                                              : 1;
}

/* vec[dim] as a JSON array of numbers (a double holds a float exactly, and
** jansson prints 17 digits, so the vector reaches the write path intact). */
static json_t *vec_json(const float *vec, int dim) {
  json_t *a = json_array();
  for (int j = 0; a && j < dim; j++) {
    if (json_array_append_new(a, json_real((double)vec[j]))) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

/* Give each row of rows that has text to embed its "embedding". */
static int embed_rows(remdb *db, const sch_table *t, json_t *rows) {
  size_t n = json_array_size(rows), m = 0;
  int dim = t->embedding.dim;
  size_t *off = calloc(n, sizeof *off), *lens = calloc(n, sizeof *lens);
  size_t *which = calloc(n, sizeof *which);
  const char **texts = calloc(n, sizeof *texts);
  float *vecs = malloc(n * (size_t)dim * sizeof *vecs);
  buf_t all;
  buf_init(&all);
  int rc = off && lens && which && texts && vecs ? REMDB_OK
                                                 : err_nomem(&db->err);
  for (size_t i = 0; rc == REMDB_OK && i < n; i++) {
    size_t start = all.len;
    rc = vec_text(db, t, json_array_get(rows, i), &all);
    if (rc == REMDB_OK && all.len > start) { /* empty text: no vector */
      off[m] = start;
      lens[m] = all.len - start;
      which[m++] = i;
    }
  }
  /* the pointers only now: the buffer moved while it grew */
  for (size_t k = 0; rc == REMDB_OK && k < m; k++) texts[k] = all.p + off[k];
  if (rc == REMDB_OK && m) rc = vec_embed(db, t, m, texts, lens, vecs);
  for (size_t k = 0; rc == REMDB_OK && k < m; k++) {
    json_t *v = vec_json(vecs + k * (size_t)dim, dim);
    if (v == NULL ||
        json_object_set_new(json_array_get(rows, which[k]), "embedding", v))
      rc = err_nomem(&db->err);
  }
  buf_free(&all);
  free(off);
  free(lens);
  free(which);
  free(texts);
  free(vecs);
  return rc;
}

/* Write the waiting rows, each linked from the document; empties rows. */
static int flush_rows(wtx_t *w, const sch_table *t, json_t *rows,
                      const uuid16_t *doc_id) {
  remdb *db = wtx_db(w);
  int rc = REMDB_OK;
  if (json_array_size(rows) && is_http(t)) rc = embed_rows(db, t, rows);
  for (size_t i = 0; rc == REMDB_OK && i < json_array_size(rows); i++) {
    uuid16_t cid;
    rc = put_row(w, t, json_array_get(rows, i), &cid);
    if (rc == REMDB_OK)
      rc = graph_stage_edge(w, doc_id, &cid, "has_chunk",
                            NULL, 0, 1.0);
  }
  json_array_clear(rows);
  return rc;
}

/* Queue chunk row r (reference taken over; NULL: out of memory) and write
** the window when it is full. */
static int queue_row(wtx_t *w, const sch_table *t, json_t *rows, json_t *r,
                     const uuid16_t *doc_id) {
  if (r == NULL || json_array_append_new(rows, r))
    return err_nomem(&wtx_db(w)->err);
  if (json_array_size(rows) < window_size(t)) return REMDB_OK;
  return flush_rows(w, t, rows, doc_id);
}

/* The offset of the first byte of s that does not belong to well-formed
** UTF-8 (RFC 3629: no overlongs, surrogates or code points above
** U+10FFFF), or n if all of it is. */
static size_t utf8_bad_at(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned c = u[i];
    size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2
             : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (k == 0 || i + k > n) return i;
    for (size_t j = 1; j < k; j++)
      if ((u[i + j] & 0xc0) != 0x80) return i;
    unsigned c1 = u[i + 1];
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) ||
        (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
      return i;
    i += k;
  }
  return n;
}

static json_t *row(const sch_table *t, const char *uri, long long ordinal,
                   const char *content, size_t clen, const char *name,
                   size_t nlen, const char *category) {
  json_t *o = json_object();
  if (o == NULL) return NULL;
  json_object_set_new(o, "uri", json_string(uri));
  json_object_set_new(o, "chunk_ordinal", json_integer(ordinal));
  json_object_set_new(o, "content", json_stringn(content, clen));
  if (name && has_prop(t, "name"))
    json_object_set_new(o, "name", json_stringn(name, nlen));
  if (category && has_prop(t, "category"))
    json_object_set_new(o, "category", json_string(category));
  return o;
}

int remdb_ingest(remdb *db, const char *table, const char *uri,
                 const char *name, const char *text, size_t len,
                 const remdb_ingest_options *opts, size_t *chunks_out) {
  if (db == NULL || uri == NULL || text == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  remdb_ingest_options o;
  if (opts)
    o = *opts;
  else
    remdb_ingest_options_init(&o);
  if (chunks_out) *chunks_out = 0;
  /* text that is no UTF-8 cannot be stored (JSON strings are UTF-8) */
  size_t bad = o.jsonl ? len : utf8_bad_at(text, len);
  if (bad < len)
    return err_set(&db->err, REMDB_INVALID,
                   "text is not valid UTF-8 at byte %zu", bad);
  if (utf8_bad_at(uri, strlen(uri)) < strlen(uri) ||
      (name && utf8_bad_at(name, strlen(name)) < strlen(name)))
    return err_set(&db->err, REMDB_INVALID,
                   "the uri or name is not valid UTF-8");
  if (!o.jsonl && o.overlap_chars >= o.chunk_chars)
    return err_set(&db->err, REMDB_INVALID,
                   "the overlap (%zu bytes) must be smaller than the "
                   "chunk size (%zu bytes)",
                   o.overlap_chars, o.chunk_chars);
  cat_table *ct = NULL;
  const sch_table *t = NULL;
  chunk_list cl = {0};
  wtx_t *w = NULL;
  json_t *doc = NULL;
  json_t *rows = json_array(); /* chunk rows not written yet */
  uuid16_t doc_id;
  size_t n = 0;
  if (!name) name = uri;
  int rc = rows ? wtx_begin(db, &w) : err_nomem(&db->err);
  if (rc == REMDB_OK) rc = wtx_lock(w); /* then the table, as it is now */
  if (rc == REMDB_OK) rc = cat_find(db, table ? table : "resources", &ct);
  if (rc == REMDB_OK) {
    t = ct->s;
    if (!t->id_from_uri)
      rc = err_set(&db->err, REMDB_INVALID,
                   "%s: ingest needs a table whose ids derive from uri and "
                   "chunk_ordinal (like resources)",
                   t->name);
  }
  if (rc == REMDB_OK && !o.jsonl &&
      !chunk_text(text, len, o.chunk_chars, o.overlap_chars, &cl))
    rc = err_nomem(&db->err);
  /* the document's own row */
  size_t first = 0;
  while (first < len && text[first] != '\n' && first < 200) first++;
  /* (not inside a character) */
  while (first > 0 && first < len && (text[first] & 0xc0) == 0x80) first--;
  if (rc == REMDB_OK) {
    doc = row(t, uri, -1, text, first, name, strlen(name), "document");
    rc = doc ? put_row(w, t, doc, &doc_id) : err_nomem(&db->err);
  }
  /* the chunks, each linked from the document */
  if (!o.jsonl) {
    for (size_t i = 0; rc == REMDB_OK && i < cl.n; i++) {
      const chunk *c = &cl.c[i];
      /* a chunk is named by its heading, without the #s */
      const char *hn = name;
      size_t hl = strlen(name);
      if (c->head_len) {
        hn = text + c->head_off;
        hl = c->head_len;
        while (hl && (*hn == '#' || *hn == ' ')) hn++, hl--;
      }
      json_t *r = row(t, uri, (long long)i, text + c->off, c->len, hn, hl,
                      "chunk");
      rc = queue_row(w, t, rows, r, &doc_id);
      n++;
    }
  } else {
    size_t line = 0;
    for (size_t i = 0; rc == REMDB_OK && i < len;) {
      size_t e = i;
      while (e < len && text[e] != '\n') e++;
      line++;
      size_t s = i;
      i = e + 1;
      while (s < e && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r'))
        s++;
      if (s == e) continue;
      json_error_t je;
      json_t *obj = json_loadb(text + s, e - s, JSON_REJECT_DUPLICATES, &je);
      json_t *content = obj ? json_object_get(obj, "content") : NULL;
      if (content == NULL && obj) content = json_object_get(obj, "text");
      if (!json_is_string(content)) {
        rc = err_set(&db->err, REMDB_INVALID,
                     "%s line %zu: %s", name, line,
                     obj ? "needs a string \"content\" or \"text\""
                         : je.text);
        json_decref(obj);
        break;
      }
      json_t *r = row(t, uri, (long long)n, json_string_value(content),
                      json_string_length(content), name, strlen(name),
                      "chunk");
      /* the line's other fields travel as metadata */
      json_t *meta = json_deep_copy(obj);
      json_object_del(meta, "content");
      json_object_del(meta, "text");
      if (r && meta && json_object_size(meta) && has_prop(t, "metadata"))
        json_object_set(r, "metadata", meta);
      json_decref(meta);
      json_decref(obj);
      rc = queue_row(w, t, rows, r, &doc_id);
      n++;
    }
  }
  if (rc == REMDB_OK) rc = flush_rows(w, t, rows, &doc_id);
  /* chunks beyond the new last one belonged to an older version */
  for (int64_t k = (int64_t)n; rc == REMDB_OK; k++) {
    uuid16_t old;
    ent_row er;
    rc = ent_uri_id(db, t, uri, k, &old);
    if (rc) break;
    int r = wtx_get(w, ct, &old, &er);
    ent_row_free(&er);
    if (r == REMDB_NOTFOUND) {
      err_clear(&db->err);
      break;
    }
    rc = r ? r : ent_delete(w, &old, REMDB_HARD);
  }
  if (rc == REMDB_OK) rc = wtx_commit(w, -1);
  if (rc == REMDB_OK && chunks_out) *chunks_out = n;
  wtx_free(w);
  json_decref(rows);
  json_decref(doc);
  chunk_list_free(&cl);
  return rc;
}

/*
** vectors.c: the embedding of an entity, in the write path.  A table whose
** schema has an `embedding` block keeps one float32 vector per entity in
** the vector column family under TID TBL ID (kv.h), written in the same
** batch as the entity:
**   - an explicit "embedding": [numbers] in the entity's JSON is used as
**     it is (exactly dim finite numbers), and is not stored in the record;
**   - else the `hash` or `http` provider embeds the text of the
**     embedding_fields (http: one request; a failure fails the write, so
**     nothing is written without the vector it should have);
**   - with `none` (or no embedding_fields text), no vector is stored.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../embed/embed.h"
#include "internal.h"

int vec_for_entity(remdb *db, const sch_table *t, json_t *obj, float *out,
                   bool *has) {
  *has = false;
  int dim = t->embedding.dim;
  json_t *e = json_object_get(obj, "embedding");
  if (dim == 0) return REMDB_OK; /* no embeddings: "embedding" is a field */
  if (e && !json_is_null(e)) {
    if (!json_is_array(e) || json_array_size(e) != (size_t)dim)
      return err_set(&db->err, REMDB_INVALID,
                     "%s.embedding: expected an array of %d numbers", t->name,
                     dim);
    for (int i = 0; i < dim; i++) {
      json_t *x = json_array_get(e, (size_t)i);
      double v = json_is_number(x) ? json_number_value(x) : NAN;
      if (!json_is_number(x) || !isfinite(v) || fabs(v) > 3.4e38)
        return err_set(&db->err, REMDB_INVALID,
                       "%s.embedding[%d]: not a finite number", t->name, i);
      out[i] = (float)v;
    }
    json_object_del(obj, "embedding");
    *has = true;
    return REMDB_OK;
  }
  json_object_del(obj, "embedding");
  if (t->embedding.provider == SCH_PROVIDER_NONE) return REMDB_OK;
  buf_t text;
  buf_init(&text);
  int rc = vec_text(db, t, obj, &text);
  if (rc == REMDB_OK && text.len) {
    const char *p = text.p;
    rc = vec_embed(db, t, 1, &p, &text.len, out);
    *has = rc == REMDB_OK;
  }
  buf_free(&text);
  return rc;
}

int vec_text(remdb *db, const sch_table *t, json_t *obj, buf_t *out) {
  json_t *fields = json_object_get(t->doc, "embedding_fields");
  size_t start = out->len, i;
  json_t *f;
  json_array_foreach(fields, i, f) {
    json_t *v = json_object_get(obj, json_string_value(f));
    if (!json_is_string(v)) continue;
    if (out->len > start) buf_addc(out, '\n');
    buf_add(out, json_string_value(v), json_string_length(v));
  }
  return out->oom ? err_nomem(&db->err) : REMDB_OK;
}

int vec_embed(remdb *db, const sch_table *t, size_t n,
              const char *const *texts, const size_t *lens, float *out) {
  const sch_embedding *m = &t->embedding;
  if (m->provider == SCH_PROVIDER_HASH) {
    for (size_t i = 0; i < n; i++)
      embed_hash(texts[i], lens[i], m->dim, out + i * (size_t)m->dim);
    return REMDB_OK;
  }
  if (m->provider == SCH_PROVIDER_HTTP) {
    embed_http_conf c = {.url = m->url,
                         .model = m->model,
                         .api_key_env = m->api_key_env,
                         .dim = m->dim,
                         .batch = m->batch,
                         .timeout_ms = m->timeout_ms};
    int rc = embed_http(&c, n, texts, lens, out, &db->err);
    if (rc) err_prefix(&db->err, "%s", t->name);
    return rc;
  }
  return err_set(&db->err, REMDB_INVALID,
                 "%s: provider \"%s\" cannot embed text; pass a vector like "
                 "[0.1, 0.2, ...]",
                 t->name, sch_provider_name(m->provider));
}

int vec_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const float *vec, bool live) {
  remdb *db = wtx_db(w);
  kv_batch_t *kb = wtx_batch(w);
  unsigned char k[KEY_ENTITY_LEN];
  key_entity(k, db->tid, t->table_id, id->b);
  if (vec == NULL) {
    kv_batch_del(kb, KV_VECTOR, k, sizeof k);
  } else {
    /* little-endian float32, as the platform stores them (x86/ARM: LE) */
    kv_batch_put(kb, KV_VECTOR, k, sizeof k, vec,
                 (size_t)t->embedding.dim * sizeof *vec);
  }
  int rc = vix_stage(w, t, id, live ? vec : NULL);
  if (rc) wtx_poison(w); /* the entity and its vector are staged already */
  return rc;
}

/*
** search.c: remdb_search, exact top-k similarity search with an optional
** SQL filter (see vector.h).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../embed/embed.h"
#include "vector.h"

typedef struct cand {
  uuid16_t id;
  float score;
} cand;

/* A set of ids (open addressing). */
typedef struct idset {
  uuid16_t *s;
  bool *used;
  size_t cap, n;
} idset;

static bool idset_add(idset *x, const uuid16_t *id) {
  if ((x->n + 1) * 2 > x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 1024;
    uuid16_t *s = calloc(cap, sizeof *s);
    bool *u = calloc(cap, sizeof *u);
    if (s == NULL || u == NULL) {
      free(s);
      free(u);
      return false;
    }
    for (size_t i = 0; i < x->cap; i++) {
      if (!x->used[i]) continue;
      size_t j = get_u32be(x->s[i].b + 12) & (cap - 1);
      while (u[j]) j = (j + 1) & (cap - 1);
      s[j] = x->s[i];
      u[j] = true;
    }
    free(x->s);
    free(x->used);
    x->s = s;
    x->used = u;
    x->cap = cap;
  }
  size_t j = get_u32be(id->b + 12) & (x->cap - 1);
  while (x->used[j]) {
    if (memcmp(x->s[j].b, id->b, 16) == 0) return true;
    j = (j + 1) & (x->cap - 1);
  }
  x->s[j] = *id;
  x->used[j] = true;
  x->n++;
  return true;
}

static bool idset_has(const idset *x, const unsigned char *id) {
  if (x->cap == 0) return false;
  size_t j = get_u32be(id + 12) & (x->cap - 1);
  while (x->used[j]) {
    if (memcmp(x->s[j].b, id, 16) == 0) return true;
    j = (j + 1) & (x->cap - 1);
  }
  return false;
}

/* The ids of the table's rows that satisfy the SQL predicate. */
static int filter_ids(remdb *db, const char *table, const char *where,
                      idset *out) {
  buf_t q;
  buf_init(&q);
  buf_addf(&q, "SELECT id FROM \"%s\" WHERE (%s)", table, where);
  if (q.oom) return err_nomem(&db->err);
  remdb_stmt *st = NULL;
  size_t used = 0;
  int rc = remdb_prepare(db, q.p, q.len, &st, &used);
  if (rc == REMDB_OK && (st == NULL || used != q.len)) {
    rc = err_set(&db->err, REMDB_INVALID,
                 "search filter: must be one SQL predicate");
  }
  while (rc == REMDB_OK && (rc = remdb_step(st)) == REMDB_ROW) {
    uuid16_t u;
    size_t n;
    const char *t = remdb_column_text(st, 0, &n);
    if (t && uuid_parse(t, n, &u) && !idset_add(out, &u))
      rc = err_nomem(&db->err);
    if (rc == REMDB_ROW) rc = REMDB_OK;
  }
  if (rc == REMDB_DONE) rc = REMDB_OK;
  if (rc) err_prefix(&db->err, "search filter");
  remdb_finalize(st);
  buf_free(&q);
  return rc;
}

static bool live(remdb *db, const cat_table *t, const unsigned char *id) {
  kv_val v = {0};
  rec_view rv;
  uuid16_t u;
  memcpy(u.b, id, 16);
  err_t saved = db->err;
  bool ok = ent_read(db, NULL, t, &u, NULL, &v, &rv) == REMDB_OK &&
            !rec_is_deleted(&rv);
  kv_val_free(&v);
  db->err = saved;
  return ok;
}

int remdb_search(remdb *db, const char *table, const char *query, size_t k,
                 double min_score, const char *where, char **json_out) {
  if (db == NULL || json_out == NULL || query == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  *json_out = NULL;
  cat_table *ct;
  int rc = cat_find(db, table, &ct);
  if (rc) return rc;
  const sch_table *t = ct->s;
  int dim = t->embedding.dim;
  if (dim == 0)
    return err_set(&db->err, REMDB_INVALID,
                   "%s: no embedding configured (the schema has no "
                   "\"embedding\" block)",
                   t->name);
  if (k == 0) k = 10;
  if (k > 10000)
    return err_set(&db->err, REMDB_TOOBIG, "search: k is at most 10000");
  float *qv = malloc((size_t)dim * sizeof *qv);
  float *rv = malloc((size_t)dim * sizeof *rv);
  cand *top = calloc(k, sizeof *top);
  idset allowed = {0};
  if (qv == NULL || rv == NULL || top == NULL) {
    rc = err_nomem(&db->err);
    goto done;
  }
  /* the query: a vector literal, or text for the table's provider */
  if (query[0] == '[') {
    json_t *a = json_loads(query, 0, NULL);
    json_t *o = json_object();
    if (a && o) json_object_set_new(o, "embedding", a);
    else json_decref(a);
    bool has = false;
    rc = o ? vec_for_entity(db, t, o, qv, &has) : err_nomem(&db->err);
    json_decref(o);
    if (rc) {
      err_prefix(&db->err, "search query");
      goto done;
    }
  } else {
    size_t qlen = strlen(query);
    if ((rc = vec_embed(db, t, 1, &query, &qlen, qv))) {
      err_prefix(&db->err, "search query");
      goto done;
    }
  }
  if (where && *where && (rc = filter_ids(db, t->name, where, &allowed)))
    goto done;
  /* exact scan: a sorted top-k; only rows that would enter it are checked
  ** for being live, so deleted rows never take a place */
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  kv_iter_t *it;
  rc = kv_iter_new(db->st->kv, NULL, KV_VECTOR, lo, sizeof lo, hi, sizeof hi,
                   &it, &db->err);
  if (rc) goto done;
  size_t n = 0;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *key = (const unsigned char *)kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl != KEY_ENTITY_LEN || vl != (size_t)dim * sizeof(float)) continue;
    if (where && *where && !idset_has(&allowed, key + 8)) continue;
    memcpy(rv, v, vl);
    float s = vec_score(t->embedding.metric, qv, rv, dim);
    if (!(s >= min_score)) continue;
    if (n == k && s <= top[k - 1].score) continue;
    if (!(where && *where) && !live(db, ct, key + 8)) continue;
    size_t pos = n < k ? n++ : k - 1;
    while (pos > 0 && top[pos - 1].score < s) {
      top[pos] = top[pos - 1];
      pos--;
    }
    memcpy(top[pos].id.b, key + 8, 16);
    top[pos].score = s;
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  buf_t out;
  buf_init(&out);
  buf_addc(&out, '[');
  for (size_t i = 0; rc == REMDB_OK && i < n; i++) {
    kv_val v = {0};
    rec_view r;
    if (ent_read(db, NULL, ct, &top[i].id, NULL, &v, &r) != REMDB_OK) {
      err_clear(&db->err);
      continue;
    }
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&top[i].id, ids);
    if (out.len > 1) buf_addc(&out, ',');
    buf_addf(&out, "{\"id\":\"%s\",\"score\":%.6f,\"entity\":", ids,
             (double)top[i].score);
    rc = ent_to_json(db, ct, &top[i].id, &r, &out);
    buf_addc(&out, '}');
    kv_val_free(&v);
  }
  buf_addc(&out, ']');
  rc = core_hand_out(db, rc, &out, json_out);
done:
  free(qv);
  free(rv);
  free(top);
  free(allowed.s);
  free(allowed.used);
  return rc;
}

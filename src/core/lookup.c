/*
** lookup.c: LOOKUP, finding entities by key across every table: by id,
** then by the exact key (the key index, one seek), then by its normalised
** form (case, spaces and punctuation ignored), and, when asked, fuzzily by
** edit distance over the normalised keys.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FUZZY_SCAN_MAX 200000

/* Levenshtein distance of a and b, giving up (returning limit + 1) once
** every cell of a row exceeds limit. */
static int edit_distance(const char *a, size_t an, const char *b, size_t bn,
                         int limit) {
  if (an > 64 || bn > 64) return limit + 1;
  int prev[65], cur[65];
  for (size_t j = 0; j <= bn; j++) prev[j] = (int)j;
  for (size_t i = 1; i <= an; i++) {
    cur[0] = (int)i;
    int best = cur[0];
    for (size_t j = 1; j <= bn; j++) {
      int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      int del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
      if (cur[j] < best) best = cur[j];
    }
    if (best > limit) return limit + 1;
    memcpy(prev, cur, sizeof(int) * (bn + 1));
  }
  return prev[bn];
}

typedef struct hit {
  uuid16_t id;
  uint32_t tbl;
  const char *how;
  int distance;
} hit;

typedef struct hits {
  hit *h;
  size_t n, cap;
} hits;

static bool add_hit(hits *hs, const unsigned char id[16], uint32_t tbl,
                    const char *how, int distance) {
  for (size_t i = 0; i < hs->n; i++)
    if (memcmp(hs->h[i].id.b, id, 16) == 0) return true;
  if (hs->n == hs->cap) {
    size_t cap = hs->cap ? hs->cap * 2 : 8;
    hit *n = realloc(hs->h, cap * sizeof *n);
    if (n == NULL) return false;
    hs->h = n;
    hs->cap = cap;
  }
  hit *x = &hs->h[hs->n++];
  memcpy(x->id.b, id, 16);
  x->tbl = tbl;
  x->how = how;
  x->distance = distance;
  return true;
}

/* Every entry of the key index with prefix kind+key (exact match of the
** key: the entry continues with 0 and the id). */
static int key_hits(remdb *db, const kv_snap_t *snap, char kind,
                    const char *key, size_t n, const char *how, hits *hs) {
  buf_t lo;
  buf_init(&lo);
  key_lookup(&lo, db->tid, kind, key, n, NULL);
  unsigned char *hi = malloc(lo.len + 1);
  int rc = lo.oom || hi == NULL ? err_nomem(&db->err) : REMDB_OK;
  kv_iter_t *it = NULL;
  if (rc == REMDB_OK) {
    size_t hil = kv_prefix_end(lo.p, lo.len, hi);
    rc = kv_iter_new(db->st->kv, snap, KV_INDEX, lo.p, lo.len, hi, hil, &it,
                     &db->err);
  }
  if (rc == REMDB_OK) kv_iter_first(it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl != lo.len + 16 || vl != 4) continue;
    if (!add_hit(hs, (const unsigned char *)k + kl - 16,
                 get_u32be((const unsigned char *)v), how, 0))
      rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK && it) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  free(hi);
  buf_free(&lo);
  return rc;
}

/* Normalised keys within edit distance of norm; the closest are kept. */
static int scan_fuzzy(remdb *db, const kv_snap_t *snap, const char *norm,
                      size_t nn, hits *hs) {
  int limit = nn < 4 ? 1 : nn < 12 ? 2 : 3;
  buf_t lo;
  buf_init(&lo);
  key_lookup(&lo, db->tid, 'N', "", 0, NULL);
  lo.len--; /* the prefix TID 1 'N', without the terminating 0 */
  unsigned char hi[16];
  size_t hil = kv_prefix_end(lo.p, lo.len, hi);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, snap, KV_INDEX, lo.p, lo.len, hi, hil,
                       &it, &db->err);
  size_t scanned = 0;
  if (rc == REMDB_OK) kv_iter_first(it);
  for (; rc == REMDB_OK && kv_iter_valid(it) && scanned < FUZZY_SCAN_MAX;
       kv_iter_next(it), scanned++) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl < lo.len + 17 || vl != 4) continue;
    const char *key = k + lo.len;
    size_t klen = kl - lo.len - 17;
    int d = edit_distance(norm, nn, key, klen, limit);
    if (d <= limit &&
        !add_hit(hs, (const unsigned char *)k + kl - 16,
                 get_u32be((const unsigned char *)v), "fuzzy", d))
      rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  buf_free(&lo);
  return rc;
}

static int hit_cmp(const void *a, const void *b) {
  const hit *x = a, *y = b;
  return (x->distance > y->distance) - (x->distance < y->distance);
}

int remdb_lookup(remdb *db, const char *const *keys, size_t nkeys, int flags,
                 char **json_out) {
  if (db == NULL || json_out == NULL || (nkeys && keys == NULL))
    return REMDB_MISUSE;
  err_clear(&db->err);
  if (core_flags(db, "lookup", flags, REMDB_FUZZY)) return db->err.code;
  *json_out = NULL;
  snap_t *snap; /* the key index is rebuilt by reindex: agree with it */
  int rc = snap_take(db, &snap);
  if (rc) return rc;
  rc = lookup_run(db, snap, keys, nkeys, flags, json_out);
  snap_release(snap);
  return rc;
}

int lookup_run(remdb *db, const snap_t *sn, const char *const *keys,
               size_t nkeys, int flags, char **json_out) {
  *json_out = NULL;
  if (!snap_current(db, sn))
    return err_set(&db->err, REMDB_ERROR,
                   "lookup: the schema changed during the statement: run it "
                   "again");
  const kv_snap_t *snap = sn->kv;
  int rc = REMDB_OK;
  /* while a table's rebuild is pending its key-index entries are being
  ** written again: an answer now could miss keys that exist */
  for (uint32_t i = 0; i < db->ntables; i++)
    if (db->tables[i].rebuild) {
      return err_set(&db->err, REMDB_BUSY,
                     "lookup: the indexes of %s are being rebuilt; try "
                     "again when reindex finishes%s", db->tables[i].s->name,
                     core_rebuild_hint(db));
    }
  buf_t out;
  buf_init(&out);
  buf_addc(&out, '[');
  size_t rows = 0;
  for (size_t q = 0; rc == REMDB_OK && q < nkeys && db->tid; q++) {
    const char *key = keys[q] ? keys[q] : "";
    size_t n = strlen(key);
    hits hs = {0};
    uuid16_t u;
    if (uuid_parse(key, n, &u)) { /* an id */
      kv_val v = {0};
      rec_view rv;
      cat_table *t;
      err_t saved = db->err;
      if (ent_read(db, snap, NULL, &u, &t, &v, &rv) == REMDB_OK &&
          !add_hit(&hs, u.b, t->s->table_id, "id", 0))
        rc = err_nomem(&db->err);
      else
        db->err = saved;
      kv_val_free(&v);
    }
    if (rc == REMDB_OK && hs.n == 0 && n && n <= KEY_LOOKUP_MAX)
      rc = key_hits(db, snap, 'K', key, n, "key", &hs);
    char norm[KEY_LOOKUP_MAX + 32];
    size_t nn = n <= KEY_LOOKUP_MAX ? lookup_normalize(key, n, norm) : 0;
    if (rc == REMDB_OK && hs.n == 0 && nn)
      rc = key_hits(db, snap, 'N', norm, nn, "normalized", &hs);
    if (rc == REMDB_OK && hs.n == 0 && nn && (flags & REMDB_FUZZY))
      rc = scan_fuzzy(db, snap, norm, nn, &hs);
    if (hs.n > 1) qsort(hs.h, hs.n, sizeof *hs.h, hit_cmp);
    for (size_t i = 0; rc == REMDB_OK && i < hs.n; i++) {
      cat_table *t = cat_by_id(db, hs.h[i].tbl);
      kv_val v = {0};
      rec_view rv;
      if (t == NULL) continue;
      err_t saved = db->err;
      if (ent_read(db, snap, t, &hs.h[i].id, NULL, &v, &rv) != REMDB_OK ||
          rec_is_deleted(&rv)) {
        db->err = saved; /* gone or deleted: not an answer */
        kv_val_free(&v);
        continue;
      }
      if (rows++) buf_addc(&out, ',');
      buf_adds(&out, "{\"key\":");
      buf_add_json_str(&out, key, n);
      buf_addf(&out, ",\"match\":\"%s\",\"distance\":%d,\"entity\":",
               hs.h[i].how, hs.h[i].distance);
      rc = ent_to_json(db, t, &hs.h[i].id, &rv, &out);
      buf_addc(&out, '}');
      kv_val_free(&v);
    }
    free(hs.h);
  }
  buf_addc(&out, ']');
  return core_hand_out(db, rc, &out, json_out);
}

/*
** keys.c: the key index, which answers "which entity is TAP-1234?" across
** every table in one seek.  An entity's lookup keys are its key_field value
** and its `name`, as text; each is indexed twice (layout in kv.h): exactly,
** and normalised (ASCII letters lowercased, ASCII punctuation and spaces
** dropped, so "TAP1234", "tap-1234" and "TAP-1234" meet).  The entries are
** staged in the write path's batch like any index entry.
*/
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void field_text(const rec_view *v, uint16_t f, lkeys *out) {
  rec_field x;
  if (f == 0 || v == NULL || !rec_find(v, f, &x)) return;
  char *dst = out->buf[out->n];
  size_t n = 0;
  if (x.type == REC_TEXT) {
    if (x.n == 0 || x.n > KEY_LOOKUP_MAX) return;
    memcpy(dst, x.p, x.n);
    n = x.n;
  } else if (x.type == REC_INT) {
    n = (size_t)snprintf(dst, sizeof out->buf[0], "%lld",
                         (long long)rec_int(&x));
  } else if (x.type == REC_REAL) {
    n = (size_t)snprintf(dst, sizeof out->buf[0], "%.15g", rec_real(&x));
  } else {
    return;
  }
  for (int i = 0; i < out->n; i++) /* key_field may be the name */
    if (out->len[i] == n && memcmp(out->buf[i], dst, n) == 0) return;
  out->len[out->n++] = n;
}

void lookup_keys(const sch_table *t, const rec_view *v, lkeys *out) {
  out->n = 0;
  if (v == NULL) return;
  if (t->key_field) field_text(v, rec_dict_id(&t->dict, t->key_field), out);
  field_text(v, rec_dict_id(&t->dict, "name"), out);
}

size_t lookup_normalize(const char *k, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)k[i];
    if (c >= 'A' && c <= 'Z') out[o++] = (char)(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
      out[o++] = (char)c;
  }
  return o;
}

static void stage_keys(remdb *db, kv_batch_t *kb, const sch_table *t,
                       const uuid16_t *id, const lkeys *k, bool put) {
  unsigned char tv[4];
  put_u32be(tv, t->table_id);
  for (int i = 0; i < k->n; i++) {
    char norm[KEY_LOOKUP_MAX + 32];
    size_t nn = lookup_normalize(k->buf[i], k->len[i], norm);
    for (int kind = 0; kind < 2; kind++) {
      if (kind == 1 && nn == 0) continue;
      buf_reset(&db->kbuf);
      key_lookup(&db->kbuf, db->tid, kind ? 'N' : 'K',
                 kind ? norm : k->buf[i], kind ? nn : k->len[i], id->b);
      if (db->kbuf.oom) continue; /* verify and reindex repair it */
      if (put)
        kv_batch_put(kb, KV_INDEX, db->kbuf.p, db->kbuf.len, tv, 4);
      else
        kv_batch_del(kb, KV_INDEX, db->kbuf.p, db->kbuf.len);
    }
  }
}

static bool same_keys(const lkeys *a, const lkeys *b) {
  if (a->n != b->n) return false;
  for (int i = 0; i < a->n; i++)
    if (a->len[i] != b->len[i] || memcmp(a->buf[i], b->buf[i], a->len[i]))
      return false;
  return true;
}

void lookup_stage(remdb *db, kv_batch_t *kb, const sch_table *t,
                  const uuid16_t *id, const rec_view *old,
                  const rec_view *nw) {
  lkeys ok, nk;
  lookup_keys(t, old, &ok);
  lookup_keys(t, nw, &nk);
  if (old && nw && same_keys(&ok, &nk)) return;
  stage_keys(db, kb, t, id, &ok, false);
  stage_keys(db, kb, t, id, &nk, true);
}

int lookup_drop_table(remdb *db, kv_batch_t *kb, uint32_t tbl) {
  unsigned char lo[8], hi[8];
  key_table(lo, db->tid, KEY_KEYIDX_TBL);
  key_table(hi, db->tid, KEY_KEYIDX_TBL + 1);
  if (tbl == 0) { /* every table: one range */
    kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
    return REMDB_OK;
  }
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, sizeof lo, hi,
                       sizeof hi, &it, &db->err);
  if (rc) return rc;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (vl == 4 && get_u32be((const unsigned char *)v) == tbl)
      kv_batch_del(kb, KV_INDEX, k, kl);
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

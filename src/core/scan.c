/*
** scan.c: the read path.  Every reader of a table's rows goes through a
** scan (SQL cursors, remdb_iter, remdb_find, vector search), under an
** explicit snapshot (snap_t) that the caller took and passes down:
**
**   SCAN_ALL    the table's entity keys, in id order (or backwards)
**   SCAN_IDS    point reads of a list of ids, in id order
**   SCAN_INDEX  one field's secondary-index entries: an IN list of values
**               (one value: an equality) or a range, in value order, each
**               entity read by id
**
** Point and index routes read their entities in windows of ids, one
** batched multi-get per window; a window grows from 4 ids (or the spec's
** limit hint) to WIN_MAX, so a query that stops early reads few rows and
** a long scan amortises the call.  A row is the entity's record view:
** fields are decoded only when asked for (rec_find).
**
** Also here: counting over a spec (the planner's estimates), reading a
** table's vectors (all of them, or by ids), and snapshots.
*/
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- snapshots ---------------------------------------------------------- */

void (*snap_test_hook)(remdb *db);

int snap_take(remdb *db, snap_t **out) {
  *out = NULL;
  snap_t *s = calloc(1, sizeof *s);
  if (s == NULL) return err_nomem(&db->err);
  int rc = cat_snapshot(db, &s->kv);
  if (rc) {
    free(s);
    return rc;
  }
  s->st = db->st;
  s->epoch = db->epoch;
  s->refs = 1;
  *out = s;
  if (snap_test_hook) snap_test_hook(db);
  return REMDB_OK;
}

snap_t *snap_retain(snap_t *s) {
  if (s) s->refs++;
  return s;
}

void snap_release(snap_t *s) {
  if (s == NULL) return;
  assert(s->refs > 0);
  if (--s->refs > 0) return;
  kv_snap_free(s->st->kv, s->kv);
  free(s);
}

/* ---- scans -------------------------------------------------------------- */

#define WIN_MAX 64

struct scan {
  remdb *db;
  const kv_snap_t *ks;
  uint32_t tbl;
  char name[72];
  enum scan_kind kind;
  bool desc, deleted, ids_only;
  kv_iter_t *it;
  bool started; /* full scan: the iterator is on the current row */
  /* ids (SCAN_IDS) or index keys of values (an IN list): sorted, unique */
  buf_t keys;   /* concatenated: u32 length, bytes */
  size_t *koff; /* offsets into keys of each entry */
  size_t nkeys, ki;
  bool list; /* SCAN_INDEX: walking the key list, one range per key */
  /* the index range being scanned: [lo, hi) */
  buf_t lo, hi;
  size_t nwin, wpos, wsize;
  bool eof;
  scan_row row;
  uint64_t examined, returned;
  /* point and index routes: a window of rows read by one multi-get (last:
  ** not cleared when the scan opens, only win[0..nwin) is used) */
  struct win_row {
    uuid16_t id;
    kv_val val;
    bool found;
    uint64_t hint; /* ids_only: the entry's position, else UINT64_MAX */
  } win[WIN_MAX];
};

/* Append one key (length-prefixed) to the scan's key list. */
static bool key_push(scan_t *s, const void *k, size_t n) {
  size_t *ko = realloc(s->koff, (s->nkeys + 1) * sizeof *ko);
  if (ko == NULL) return false;
  s->koff = ko;
  ko[s->nkeys++] = s->keys.len;
  buf_add_u32be(&s->keys, (uint32_t)n);
  buf_add(&s->keys, k, n);
  return !s->keys.oom;
}

static const unsigned char *key_at(const scan_t *s, size_t i, size_t *n) {
  assert(i < s->nkeys);
  const unsigned char *p = (const unsigned char *)s->keys.p + s->koff[i];
  *n = get_u32be(p);
  return p + 4;
}

static _Thread_local const scan_t *sort_ctx; /* qsort has no context */
static int key_cmp(const void *a, const void *b) {
  size_t na, nb;
  const unsigned char *pa = key_at(sort_ctx, *(const size_t *)a, &na);
  const unsigned char *pb = key_at(sort_ctx, *(const size_t *)b, &nb);
  int r = memcmp(pa, pb, na < nb ? na : nb);
  return r ? r : (na > nb) - (na < nb);
}

/* Sort the key list (ascending, or descending with desc) and drop
** duplicates, so each id or value is visited once and in order. */
static bool keys_sort(scan_t *s) {
  size_t *idx = malloc((s->nkeys + 1) * sizeof *idx);
  size_t *offs = malloc((s->nkeys + 1) * sizeof *offs);
  if (idx == NULL || offs == NULL) {
    free(idx);
    free(offs);
    return false;
  }
  for (size_t i = 0; i < s->nkeys; i++) idx[i] = i;
  sort_ctx = s;
  qsort(idx, s->nkeys, sizeof *idx, key_cmp);
  size_t n = 0;
  for (size_t i = 0; i < s->nkeys; i++) {
    if (n > 0 && key_cmp(&idx[i], &idx[i - 1]) == 0) continue;
    offs[n++] = s->koff[idx[i]];
  }
  if (s->desc)
    for (size_t i = 0; i < n / 2; i++) {
      size_t t = offs[i];
      offs[i] = offs[n - 1 - i];
      offs[n - 1 - i] = t;
    }
  free(idx);
  free(s->koff);
  s->koff = offs;
  s->nkeys = n;
  return true;
}

/* [lo, hi) = the keys that start with k[0..n). */
static bool set_prefix_range(scan_t *s, const void *k, size_t n) {
  buf_reset(&s->lo);
  buf_add(&s->lo, k, n);
  buf_reset(&s->hi);
  if (!buf_reserve(&s->hi, n)) return false;
  s->hi.len = kv_prefix_end(k, n, (unsigned char *)s->hi.p);
  return !s->lo.oom;
}

/* Position the index iterator on the first entry of the current range:
** the current key of an IN list, or the single range [lo, hi). */
static int seek_range(scan_t *s) {
  if (s->list) {
    size_t n;
    const unsigned char *k = key_at(s, s->ki, &n);
    if (!set_prefix_range(s, k, n)) return err_nomem(&s->db->err);
  }
  if (s->desc) {
    if (s->hi.len) {
      kv_iter_seek_for_prev(s->it, s->hi.p, s->hi.len);
      /* seek_for_prev lands on a key <= hi; hi itself is excluded */
      if (kv_iter_valid(s->it)) {
        size_t kl;
        const char *k = kv_iter_key(s->it, &kl);
        if (kl == s->hi.len && memcmp(k, s->hi.p, kl) == 0)
          kv_iter_prev(s->it);
      }
    } else {
      kv_iter_last(s->it);
    }
  } else {
    kv_iter_seek(s->it, s->lo.p, s->lo.len);
  }
  return REMDB_OK;
}

static bool in_range(const scan_t *s, const char *k, size_t kl) {
  if (s->lo.len) {
    size_t n = kl < s->lo.len ? kl : s->lo.len;
    int r = memcmp(k, s->lo.p, n);
    if (r < 0 || (r == 0 && kl < s->lo.len)) return false;
  }
  if (s->hi.len) {
    size_t n = kl < s->hi.len ? kl : s->hi.len;
    int r = memcmp(k, s->hi.p, n);
    if (r > 0 || (r == 0 && kl >= s->hi.len)) return false;
  }
  return true;
}

/* The next index entry in the current range, moving to the next range of
** an IN list when one ends; NULL at the end (or on an error, in rc). */
static const char *index_next(scan_t *s, size_t *kl, int *rc) {
  *rc = REMDB_OK;
  for (;;) {
    const char *k = kv_iter_valid(s->it) ? kv_iter_key(s->it, kl) : NULL;
    if (k && in_range(s, k, *kl)) return k;
    if ((*rc = kv_iter_status(s->it, &s->db->err))) return NULL;
    /* this range is done: the next value of an IN list, or the end */
    if (!s->list || s->ki + 1 >= s->nkeys) return NULL;
    s->ki++;
    if ((*rc = seek_range(s))) return NULL;
  }
}

static void index_advance(scan_t *s) {
  if (s->desc)
    kv_iter_prev(s->it);
  else
    kv_iter_next(s->it);
}

static void win_clear(scan_t *s) {
  for (size_t i = 0; i < s->nwin; i++) kv_val_free(&s->win[i].val);
  s->nwin = s->wpos = 0;
}

/* Fill the window with the next ids of the route (from the id list, or
** from the index), then read their entities with one multi-get. */
static int refill(scan_t *s) {
  remdb *db = s->db;
  win_clear(s);
  size_t want = s->wsize;
  s->wsize = s->wsize * 2 > WIN_MAX ? WIN_MAX : s->wsize * 2;
  while (s->nwin < want) {
    if (s->kind == SCAN_IDS) {
      if (s->ki >= s->nkeys) break;
      size_t n;
      const unsigned char *k = key_at(s, s->ki++, &n);
      memcpy(s->win[s->nwin++].id.b, k, 16);
      continue;
    }
    size_t kl;
    int rc;
    const char *k = index_next(s, &kl, &rc);
    if (rc) return rc;
    if (k == NULL) break;
    if (kl >= 16) {
      struct win_row *w = &s->win[s->nwin++];
      memcpy(w->id.b, k + kl - 16, 16);
      size_t vl = 0;
      const char *v = s->ids_only ? kv_iter_value(s->it, &vl) : NULL;
      w->hint = v && vl == 8 ? get_u64be((const unsigned char *)v)
                             : UINT64_MAX;
    }
    index_advance(s);
  }
  if (s->ids_only) /* no values: win_clear frees none */
    for (size_t i = 0; i < s->nwin; i++)
      s->win[i].val = (kv_val){0}, s->win[i].found = false;
  if (s->nwin == 0 || s->ids_only) return REMDB_OK;
  unsigned char ek[WIN_MAX][KEY_ENTITY_LEN];
  const char *keys[WIN_MAX];
  size_t lens[WIN_MAX];
  kv_val vals[WIN_MAX];
  bool found[WIN_MAX];
  for (size_t i = 0; i < s->nwin; i++) {
    key_entity(ek[i], db->tid, s->tbl, s->win[i].id.b);
    keys[i] = (const char *)ek[i];
    lens[i] = KEY_ENTITY_LEN;
  }
  int rc = kv_multi_get(db->st->kv, s->ks, KV_ENTITY, s->nwin, keys, lens,
                        vals, found, &db->err);
  for (size_t i = 0; i < s->nwin; i++) {
    s->win[i].val = vals[i];
    s->win[i].found = found[i];
  }
  return rc;
}

static int open_all(scan_t *s) {
  remdb *db = s->db;
  unsigned char tp[KEY_TABLE_PREFIX], tend[KEY_TABLE_PREFIX];
  key_table(tp, db->tid, s->tbl);
  key_table(tend, db->tid, s->tbl + 1);
  int rc = kv_iter_new(db->st->kv, s->ks, KV_ENTITY, tp, sizeof tp, tend,
                       sizeof tend, &s->it, &db->err);
  if (rc == REMDB_OK) {
    if (s->desc)
      kv_iter_last(s->it);
    else
      kv_iter_first(s->it);
  }
  return rc;
}

/* The index keys of spec's values, or its range, as [lo, hi) bounds; an
** iterator over the whole field, positioned on the first range. */
static int open_index(scan_t *s, const scan_spec *sp) {
  remdb *db = s->db;
  unsigned char fp[10], fend[10];
  key_index_field(fp, db->tid, s->tbl, sp->field);
  key_index_field(fend, db->tid, s->tbl, (uint16_t)(sp->field + 1));
  if (sp->in) {
    buf_t k;
    buf_init(&k);
    for (size_t i = 0; i < sp->nvals; i++) {
      buf_reset(&k);
      buf_add(&k, fp, sizeof fp);
      buf_add(&k, sp->vals[i].p, sp->vals[i].n);
      if (k.oom || !key_push(s, k.p, k.len)) {
        buf_free(&k);
        return err_nomem(&db->err);
      }
    }
    buf_free(&k);
    if (!keys_sort(s)) return err_nomem(&db->err);
    if (s->nkeys == 0) {
      s->eof = true;
      return REMDB_OK;
    }
    s->list = true;
  } else {
    /* values above NULL (nonnull), or the whole field */
    buf_add(&s->lo, fp, sizeof fp);
    if (sp->nonnull) buf_addc(&s->lo, (char)(OKEY_NULL + 1));
    buf_add(&s->hi, fend, sizeof fend);
    buf_t t;
    buf_init(&t);
    if (sp->lo.p) {
      buf_add(&t, fp, sizeof fp);
      buf_add(&t, sp->lo.p, sp->lo.n);
      buf_reset(&s->lo);
      if (sp->lo_incl) {
        buf_add(&s->lo, t.p, t.len);
      } else if (buf_reserve(&s->lo, t.len)) { /* past every key of it */
        s->lo.len = kv_prefix_end(t.p, t.len, (unsigned char *)s->lo.p);
      }
    }
    if (sp->hi.p) {
      buf_reset(&t);
      buf_add(&t, fp, sizeof fp);
      buf_add(&t, sp->hi.p, sp->hi.n);
      buf_reset(&s->hi);
      if (!sp->hi_incl) {
        buf_add(&s->hi, t.p, t.len);
      } else if (buf_reserve(&s->hi, t.len)) { /* every key of it */
        s->hi.len = kv_prefix_end(t.p, t.len, (unsigned char *)s->hi.p);
      }
    }
    bool oom = t.oom || s->lo.oom || s->hi.oom;
    buf_free(&t);
    if (oom) return err_nomem(&db->err);
  }
  /* the iterator spans the whole field; each range is bounded by hand */
  int rc = kv_iter_new(db->st->kv, s->ks, KV_INDEX, fp, sizeof fp, fend,
                       sizeof fend, &s->it, &db->err);
  if (rc == REMDB_OK) rc = seek_range(s);
  return rc;
}

/* Start s (its state cleared, its buffers kept) on spec. */
static int scan_start(scan_t *s, remdb *db, const snap_t *snap,
                      const sch_table *t, const scan_spec *sp) {
  s->db = db;
  s->ks = snap ? snap->kv : NULL;
  s->tbl = t->table_id;
  snprintf(s->name, sizeof s->name, "%s", t->name);
  s->kind = sp->kind;
  s->desc = sp->desc;
  s->deleted = sp->deleted;
  s->ids_only = sp->ids_only && sp->kind == SCAN_INDEX;
  s->row.pos_hint = UINT64_MAX;
  uint64_t first = sp->limit ? sp->limit : 4;
  s->wsize = first < 4 ? 4 : first > WIN_MAX ? WIN_MAX : (size_t)first;
  int rc = REMDB_OK;
  if (db->tid == 0) { /* the tenant holds no data yet */
    s->eof = true;
  } else if (sp->kind == SCAN_ALL) {
    rc = open_all(s);
  } else if (sp->kind == SCAN_IDS) {
    for (size_t i = 0; i < sp->nids && rc == REMDB_OK; i++)
      if (!key_push(s, sp->ids[i].b, 16)) rc = err_nomem(&db->err);
    if (rc == REMDB_OK && !keys_sort(s)) rc = err_nomem(&db->err);
  } else {
    assert(sp->kind == SCAN_INDEX && sp->field > 0);
    rc = open_index(s, sp);
  }
  return rc;
}

/* Drop what a scan holds between runs: its window and iterator. */
static void scan_clear(scan_t *s) {
  win_clear(s);
  kv_iter_free(s->it);
  s->it = NULL;
  s->nkeys = s->ki = 0;
  buf_reset(&s->keys);
  buf_reset(&s->lo);
  buf_reset(&s->hi);
  s->list = s->started = s->eof = false;
  s->examined = s->returned = 0;
}

int scan_open(remdb *db, const snap_t *snap, const sch_table *t,
              const scan_spec *sp, scan_t **out) {
  *out = NULL;
  scan_t *s = malloc(sizeof *s);
  if (s == NULL) return err_nomem(&db->err);
  memset(s, 0, offsetof(scan_t, win));
  buf_init(&s->keys);
  buf_init(&s->lo);
  buf_init(&s->hi);
  int rc = scan_start(s, db, snap, t, sp);
  if (rc) {
    scan_close(s);
    return rc;
  }
  *out = s;
  return REMDB_OK;
}

int scan_restart(scan_t *s, const snap_t *snap, const sch_table *t,
                 const scan_spec *sp) {
  scan_clear(s);
  return scan_start(s, s->db, snap, t, sp);
}

int scan_step(scan_t *s, const scan_row **row) {
  remdb *db = s->db;
  *row = NULL;
  for (;;) {
    if (s->eof) return REMDB_DONE;
    if (s->kind == SCAN_ALL) {
      size_t kl, vl;
      if (s->started) {
        if (s->desc)
          kv_iter_prev(s->it);
        else
          kv_iter_next(s->it);
      }
      s->started = true;
      if (!kv_iter_valid(s->it)) {
        s->eof = true;
        int rc = kv_iter_status(s->it, &db->err);
        return rc ? rc : REMDB_DONE;
      }
      const char *k = kv_iter_key(s->it, &kl);
      const char *v = kv_iter_value(s->it, &vl);
      s->examined++;
      if (kl != KEY_ENTITY_LEN) continue;
      memcpy(s->row.id.b, k + 8, 16);
      int rc = rec_open(&s->row.rv, v, vl, &db->err);
      if (rc) return rc;
    } else {
      if (s->wpos >= s->nwin) {
        int rc = refill(s);
        if (rc) return rc;
        if (s->nwin == 0) {
          s->eof = true;
          return REMDB_DONE;
        }
      }
      struct win_row *w = &s->win[s->wpos++];
      s->examined++;
      s->row.id = w->id;
      if (s->ids_only) {
        memset(&s->row.rv, 0, sizeof s->row.rv);
        s->row.pos_hint = w->hint;
        s->returned++;
        *row = &s->row;
        return REMDB_ROW;
      }
      if (!w->found) {
        if (s->kind == SCAN_IDS) continue; /* no such id */
        char ids[REMDB_ID_LEN + 1];
        uuid_format(&w->id, ids);
        return err_set(&db->err, REMDB_CORRUPT,
                       "%s: index entry for missing entity %s (run verify)",
                       s->name, ids);
      }
      int rc = rec_open(&s->row.rv, w->val.data, w->val.len, &db->err);
      if (rc) return rc;
    }
    if (s->deleted || !rec_is_deleted(&s->row.rv)) {
      s->returned++;
      *row = &s->row;
      return REMDB_ROW;
    }
  }
}

void scan_counts(const scan_t *s, uint64_t *examined, uint64_t *returned) {
  *examined = s ? s->examined : 0;
  *returned = s ? s->returned : 0;
}

void scan_close(scan_t *s) {
  if (s == NULL) return;
  win_clear(s);
  kv_iter_free(s->it);
  free(s->koff);
  buf_free(&s->keys);
  buf_free(&s->lo);
  buf_free(&s->hi);
  free(s);
}

/* ---- counting ----------------------------------------------------------- */

int scan_count(remdb *db, const snap_t *snap, const sch_table *t,
               const scan_spec *sp, uint64_t cap, uint64_t *entries,
               uint64_t *distinct) {
  *entries = *distinct = 0;
  if (db->tid == 0) return REMDB_OK;
  if (sp->kind == SCAN_ALL) {
    uint64_t rows, deleted;
    int rc = cnt_read(db, snap, t->table_id, &rows, &deleted);
    if (rc) return rc;
    *entries = *distinct = sp->deleted ? rows : rows - deleted;
    return REMDB_OK;
  }
  scan_t *s;
  int rc = scan_open(db, snap, t, sp, &s);
  if (rc) return rc;
  if (sp->kind == SCAN_IDS) {
    const scan_row *r;
    while (*entries < cap && (rc = scan_step(s, &r)) == REMDB_ROW)
      ++*entries;
    *distinct = *entries;
    scan_close(s);
    return rc == REMDB_ROW || rc == REMDB_DONE ? REMDB_OK : rc;
  }
  /* index entries, not entities: soft-deleted rows' entries count too */
  buf_t prev;
  buf_init(&prev);
  while (!s->eof && *entries < cap) {
    size_t kl;
    const char *k = index_next(s, &kl, &rc);
    if (rc || k == NULL) break;
    /* the value is the key between the field prefix and the 16-byte id */
    if (kl >= 10 + 16) {
      if (*entries == 0 || prev.len != kl - 26 ||
          memcmp(prev.p, k + 10, kl - 26) != 0) {
        ++*distinct;
        buf_reset(&prev);
        buf_add(&prev, k + 10, kl - 26);
      }
    }
    ++*entries;
    index_advance(s);
  }
  if (rc == REMDB_OK && prev.oom) rc = err_nomem(&db->err);
  buf_free(&prev);
  scan_close(s);
  return rc;
}

/* ---- vectors ------------------------------------------------------------ */

#define VEC_BATCH 64

int scan_vectors(remdb *db, const snap_t *snap, const sch_table *t,
                 const uuid16_t *ids, size_t n, scan_vec_fn fn, void *ctx) {
  size_t want = (size_t)t->embedding.dim * sizeof(float);
  const kv_snap_t *ks = snap ? snap->kv : NULL;
  if (db->tid == 0 || want == 0) return REMDB_OK;
  if (ids == NULL) { /* every stored vector, in id order */
    unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
    key_table(lo, db->tid, t->table_id);
    key_table(hi, db->tid, t->table_id + 1);
    kv_iter_t *it;
    int rc = kv_iter_new(db->st->kv, ks, KV_VECTOR, lo, sizeof lo, hi,
                         sizeof hi, &it, &db->err);
    if (rc) return rc;
    int stop = 0;
    for (kv_iter_first(it); !stop && kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl, vl;
      const unsigned char *key = (const unsigned char *)kv_iter_key(it, &kl);
      const char *v = kv_iter_value(it, &vl);
      /* the vector's key; its HNSW node and the stale mark are longer */
      if (kl != KEY_ENTITY_LEN || vl != want) continue;
      stop = fn(ctx, key + 8, v);
    }
    rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
    return rc;
  }
  unsigned char keys[VEC_BATCH][KEY_ENTITY_LEN];
  const char *kp[VEC_BATCH];
  size_t kl[VEC_BATCH];
  kv_val vals[VEC_BATCH];
  bool found[VEC_BATCH];
  for (size_t off = 0; off < n; off += VEC_BATCH) {
    size_t m = n - off < VEC_BATCH ? n - off : VEC_BATCH;
    for (size_t i = 0; i < m; i++) {
      key_entity(keys[i], db->tid, t->table_id, ids[off + i].b);
      kp[i] = (const char *)keys[i];
      kl[i] = KEY_ENTITY_LEN;
    }
    int rc = kv_multi_get(db->st->kv, ks, KV_VECTOR, m, kp, kl, vals, found,
                          &db->err);
    int stop = 0;
    for (size_t i = 0; i < m; i++) {
      if (rc == REMDB_OK && !stop && found[i] && vals[i].len == want)
        stop = fn(ctx, ids[off + i].b, vals[i].data);
      kv_val_free(&vals[i]);
    }
    if (rc || stop) return rc;
  }
  return REMDB_OK;
}

bool scan_live(remdb *db, const snap_t *snap, const sch_table *t,
               const unsigned char id[16]) {
  return ent_state(db, snap ? snap->kv : NULL, t->table_id, id) == ENT_LIVE;
}

/*
** columns.c: each table's columnar copy (issue 11), kept in the write path
** and read through colread.h.
**
** Row positions.  Every entity of a table with columns has a dense
** position in its table, handed out at insert (the next position is one
** past the highest its segments, deltas and pending rows hold) and kept
** in the id
** directory beside its table id (kv.h); a table with "columnar": false
** keeps none.  Updates, soft deletes
** and undeletes keep it.  A hard delete frees it for good: the position
** stays in its segment, invisible, and is never handed out again; reindex
** numbers the live rows afresh, densely, in id order.  So position ->
** entity is the segment's id column (COLV_ID), entity -> position the id
** directory.
**
** Segments and deltas.  Positions [s * COL_SEG_ROWS, (s + 1) *
** COL_SEG_ROWS) form segment s: a header (visibility bitmap, and per
** column its type, flags and zone map) and one encoded value per column
** (col.h).  A write never rewrites a segment: it stages, in the entity's
** batch, the row's delta (TID 2 TBL 'D' SEG EPOCH POS -> its column
** values as now written, a "row image"); a transaction's new rows of a
** segment go in one key instead, a pack (see "delta packs").  When a
** segment's deltas pass col_merge_rows (the last segment: twice what it
** holds merged), the transaction's commit folds them in: in the same
** batch it writes the new segment (a fresh generation, the next epoch;
** of its columns only those the deltas change) and deletes the deltas it
** folded, so a reader at any snapshot sees either the old segment and its
** deltas or the new one, never half of a merge.  A merge whose deltas
** change only positions past those the segment holds (a growing tail)
** encodes just the new rows, as a chunk appended to each column's stored
** value (col.h's chunked form, format 6), and joins the zone maps; any
** other merge decodes the segment and encodes each changed column again,
** as one chunk.  A merge of a few new rows builds them in the writer's
** merge scratch (mscratch), reused from merge to merge.  The epoch keeps a segment's live deltas apart from the
** tombstones of those folded before (which a scan would otherwise walk).
** A table's newest inserted rows may have no delta at all: its row
** counter lists them (pending rows, format 7; see "pending rows" below),
** and readers build their images from their records.
**
** Readers open at a snapshot, read the segment headers and the deltas of
** that snapshot, and apply the deltas of a segment to its decoded columns
** when asked.  Decoded columns are cached per store under
** remdb_options.column_cache_bytes, keyed by (tenant, table, segment,
** column, generation), so a cached column never describes other data;
** the opened states readers share (rshare below) count in the same bound.
**
** Exactness.  A column holds what SQL reads for it.  A stored value its
** type cannot represent exactly (a schema replace changed the type; a
** date-time not in canonical form) marks the column inexact, and
** colr_find then refuses the column: the executor leaves such queries to
** SQLite.
*/
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include "../column/col.h"
#include "colread.h"
#include "internal.h"

_Static_assert(COLV_INT == (int)COLT_INT && COLV_REAL == (int)COLT_REAL &&
                   COLV_BOOL == (int)COLT_BOOL && COLV_TEXT == (int)COLT_TEXT &&
                   COLV_TIME == (int)COLT_TIME && COLV_ID == (int)COLT_ID,
               "colv_type and col_type agree");
_Static_assert(SCH_COL_INT == (int)COLT_INT && SCH_COL_TIME == (int)COLT_TIME &&
                   SCH_COL_ID == (int)COLT_ID && SCH_COL_TEXT == (int)COLT_TEXT,
               "sch_col_kind and col_type agree");

/* Deltas of one segment that make its next commit merge them. */
#ifndef COL_MERGE_ROWS
#define COL_MERGE_ROWS 8192u
#endif
uint32_t col_merge_rows = COL_MERGE_ROWS;
#define TAIL_MERGE_MAX 32768u
uint32_t col_tail_merge_max = TAIL_MERGE_MAX;
/* Pending rows a table keeps at most (see "pending rows").  4, 8 and 16
** cost single inserts about the same (callgrind: the list's bytes in
** every counter against a pack key every n + 1 inserts; 8 measured a
** little dearer, in RocksDB's skiplist); 4 reads least per reader. */
#ifndef COL_PEND_MAX
#define COL_PEND_MAX 4u
#endif
_Static_assert(COL_PEND_MAX <= CNT_PEND_LIMIT, "pending rows bound");
uint32_t col_pend_max = COL_PEND_MAX;
/* Commits of a table without new rows that adopt its pending rows. */
#define PEND_IDLE 8u
#define SEG_SHIFT 16
_Static_assert(COL_SEG_ROWS == 1u << SEG_SHIFT, "segment size");

/* row image: u8 state, then per column u16 field (LE), u8 tag, payload */
enum { ROW_LIVE = 0, ROW_DELETED = 1, ROW_GONE = 2 };
enum { TAG_NULL, TAG_I64, TAG_F64, TAG_TEXT, TAG_INEXACT, TAG_ID };

/* ---- store state: writer tables and the decoded-column cache ---------- */

typedef struct cc_ent {
  uint32_t tid, tbl, seg;
  uint16_t field;
  uint64_t gen;
  col_data c;
  size_t bytes;
  unsigned refs;
  uint64_t tick;
  struct cc_ent *next;
} cc_ent;

/* The writer's copy of a table's pending rows (its row counter's tail):
** positions ascending, all in one segment, none with a delta key. */
typedef struct pend_row {
  uint64_t pos;
  uuid16_t id;
  size_t off, len; /* its row image in imgs; len 0: not built yet */
} pend_row;
typedef struct col_pend {
  uint32_t n;
  pend_row r[CNT_PEND_LIMIT];
  buf_t imgs;
} col_pend;

typedef struct col_tab { /* a table as the writer sees it (wlock) */
  uint32_t tid, tbl;
  uint64_t next;  /* next position */
  uint32_t *nd;   /* deltas stored per segment (an upper bound; pending
                  ** rows count as deltas) */
  uint32_t *ep;   /* each segment's epoch */
  uint32_t *hn;   /* each segment's merged positions (its header's n) */
  uint32_t capseg;
  col_pend *pd;   /* pending rows (NULL: none) */
  uint32_t pidle; /* commits since the last that added to the list */
} col_tab;

struct rshare;
struct mscratch;
static void shares_free(struct rshare *sh);
static void ms_free(struct mscratch *ms);
static void txn_release(struct col_txn *x);

struct col_store {
  cc_ent *head;
  size_t bytes;
  uint64_t tick;
  struct rshare *shares; /* readers' opened states, one per table */
  col_tab *tabs;
  size_t ntabs, captabs;
  struct col_txn *spare; /* a finished transaction's part, for the next */
  struct mscratch *ms;   /* the writer's merge scratch (wlock) */
  bool ms_drop;          /* free it after this commit (it merged big) */
  /* the id-directory entry ent_read saw last (cmu): valid while the
  ** store's latest sequence number is still seq (nothing written since) */
  struct {
    bool has;
    uint32_t tid;
    uuid16_t id;
    uint64_t seq, pos;
    bool haspos;
  } seen;
};

static struct col_store *cs_get(store_t *st) {
  pthread_mutex_lock(&st->cmu);
  if (st->col == NULL) st->col = calloc(1, sizeof *st->col);
  struct col_store *c = st->col;
  pthread_mutex_unlock(&st->cmu);
  return c;
}

void col_store_free(store_t *st) {
  struct col_store *c = st->col;
  if (c == NULL) return;
  for (cc_ent *e = c->head, *nx; e; e = nx) {
    nx = e->next;
    col_free(&e->c);
    free(e);
  }
  for (size_t i = 0; i < c->ntabs; i++) {
    free(c->tabs[i].nd);
    free(c->tabs[i].ep);
    free(c->tabs[i].hn);
    if (c->tabs[i].pd) buf_free(&c->tabs[i].pd->imgs);
    free(c->tabs[i].pd);
  }
  free(c->tabs);
  shares_free(c->shares);
  if (c->spare) txn_release(c->spare);
  ms_free(c->ms);
  free(c);
  st->col = NULL;
}

size_t col_cache_bytes(store_t *st) {
  pthread_mutex_lock(&st->cmu);
  size_t b = st->col ? st->col->bytes : 0;
  pthread_mutex_unlock(&st->cmu);
  return b;
}

static bool share_evict(struct col_store *c, uint64_t older_than);

/* Evict unpinned entries and readers' opened states no reader holds
** (share_evict), least recently used first, until under the bound (cmu
** held). */
static void cc_evict(store_t *st, struct col_store *c) {
  while (c->bytes > st->opts.column_cache_bytes) {
    cc_ent **victim = NULL;
    for (cc_ent **p = &c->head; *p; p = &(*p)->next)
      if ((*p)->refs == 0 && (!victim || (*p)->tick < (*victim)->tick))
        victim = p;
    if (share_evict(c, victim ? (*victim)->tick : UINT64_MAX)) continue;
    if (victim == NULL) return;
    cc_ent *e = *victim;
    *victim = e->next;
    c->bytes -= e->bytes;
    col_free(&e->c);
    free(e);
  }
}

static void cc_release(store_t *st, cc_ent *e) {
  if (e == NULL) return;
  pthread_mutex_lock(&st->cmu);
  e->refs--;
  cc_evict(st, st->col);
  pthread_mutex_unlock(&st->cmu);
}

static cc_ent *cc_find(struct col_store *c, uint32_t tid, uint32_t tbl,
                       uint32_t seg, uint16_t field, uint64_t gen) {
  for (cc_ent *e = c->head; e; e = e->next)
    if (e->tid == tid && e->tbl == tbl && e->seg == seg && e->field == field &&
        e->gen == gen)
      return e;
  return NULL;
}

/* Put a decoded column into the cache (taking it over) and pin it. */
static cc_ent *cc_insert(store_t *st, uint32_t tid, uint32_t tbl, uint32_t seg,
                         uint16_t field, uint64_t gen, col_data *cd) {
  struct col_store *c = cs_get(st);
  cc_ent *e = calloc(1, sizeof *e);
  if (c == NULL || e == NULL) {
    free(e);
    col_free(cd);
    return NULL;
  }
  pthread_mutex_lock(&st->cmu);
  cc_ent *old = cc_find(c, tid, tbl, seg, field, gen);
  if (old) { /* another reader decoded it meanwhile */
    old->refs++;
    old->tick = ++c->tick;
    pthread_mutex_unlock(&st->cmu);
    col_free(cd);
    free(e);
    return old;
  }
  *e = (cc_ent){tid, tbl, seg, field, gen, *cd, col_bytes(cd), 1, ++c->tick,
                c->head};
  c->head = e;
  c->bytes += e->bytes;
  cc_evict(st, c);
  pthread_mutex_unlock(&st->cmu);
  return e;
}

/* Drop the unpinned entries of column (seg, field) of other generations
** than gen: a merge supersedes them (a reader at an older snapshot decodes
** its generation again).  Without this every merge of a growing segment
** left its predecessor's copy in the cache: an import's memory grew with
** the table (120k rows: 147 MB for an 8 MB import budget). */
static void cc_drop_others(store_t *st, uint32_t tid, uint32_t tbl,
                           uint32_t seg, uint16_t field, uint64_t gen) {
  struct col_store *c = cs_get(st);
  if (c == NULL) return;
  pthread_mutex_lock(&st->cmu);
  for (cc_ent **p = &c->head; *p;) {
    cc_ent *e = *p;
    if (e->refs == 0 && e->tid == tid && e->tbl == tbl && e->seg == seg &&
        e->field == field && e->gen != gen) {
      *p = e->next;
      c->bytes -= e->bytes;
      col_free(&e->c);
      free(e);
    } else {
      p = &e->next;
    }
  }
  pthread_mutex_unlock(&st->cmu);
}

/* The decoded column (seg, field, gen) of the table, pinned: from the
** cache or read at ks and decoded.  Errors go to err (a reader's slot). */
static int cc_get(remdb *db, err_t *err, const kv_snap_t *ks, uint32_t tbl,
                  uint32_t seg, uint16_t field, uint64_t gen, cc_ent **out) {
  store_t *st = db->st;
  struct col_store *c = cs_get(st);
  if (c == NULL) return err_nomem(err);
  pthread_mutex_lock(&st->cmu);
  cc_ent *e = cc_find(c, db->tid, tbl, seg, field, gen);
  if (e) {
    e->refs++;
    e->tick = ++c->tick;
  }
  pthread_mutex_unlock(&st->cmu);
  if (e) {
    *out = e;
    return REMDB_OK;
  }
  unsigned char k[KEY_COL_MAX];
  size_t kl = key_col(k, db->tid, tbl, 'C', seg, field);
  kv_val v;
  int rc = kv_get(st->kv, ks, KV_COLUMN, k, kl, &v, err);
  if (rc == REMDB_NOTFOUND)
    return err_set(err, REMDB_CORRUPT,
                   "column %u of segment %u of table %u is missing", field,
                   seg, tbl);
  if (rc) return rc;
  col_data cd;
  rc = col_decode(v.data, v.len, &cd, err);
  kv_val_free(&v);
  if (rc) return rc;
  *out = cc_insert(st, db->tid, tbl, seg, field, gen, &cd);
  return *out ? REMDB_OK : err_nomem(err);
}

/* ---- row images ---------------------------------------------------------- */

static void add_le(buf_t *b, uint64_t v, int n) {
  unsigned char x[8];
  for (int i = 0; i < n; i++) x[i] = (unsigned char)(v >> (8 * i));
  buf_add(b, x, (size_t)n);
}
/* (on a little-endian host one load or store: n is a constant where
** inlined; a merge reads every value of its deltas through these) */
static inline uint64_t get_le(const unsigned char *p, int n) {
  uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(&v, p, (size_t)n);
#else
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
#endif
  return v;
}

static inline unsigned char *put_le(unsigned char *p, uint64_t v, int n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, (size_t)n);
#else
  for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
#endif
  return p + n;
}

/* The date-times a writer converted last, one per column (modulo
** TS_SLOTS): a bulk insert's rows often share one, and a row's created_at
** shares its date with the row's before it. */
#define TS_SLOTS 8
typedef struct ts_slot {
  char s[TS_LEN]; /* the canonical text */
  bool ok;
  int64_t v; /* its value, microseconds */
} ts_slot;

/* Microseconds since midnight of canonical text u (checked). */
static int64_t ts_tod(const unsigned char *u) {
#define D(i) ((int64_t)u[i] - '0')
  return ((D(11) * 10 + D(12)) * 3600 + (D(14) * 10 + D(15)) * 60 +
          D(17) * 10 + D(18)) * 1000000 +
         D(20) * 100000 + D(21) * 10000 + D(22) * 1000 + D(23) * 100 +
         D(24) * 10 + D(25);
#undef D
}

/* ts_parse_canonical through cache slot e (NULL: none): the same text's
** value, or for a text of the same date, the time's difference added
** (what ts_parse_canonical checks of a time is checked here). */
static bool ts_value(ts_slot *e, const char *s, size_t n, int64_t *out) {
  const unsigned char *u = (const unsigned char *)s;
  if (e && e->ok && n == TS_LEN && memcmp(s, e->s, 11) == 0) {
    if (memcmp(s + 11, e->s + 11, TS_LEN - 11) == 0) {
      *out = e->v;
      return true;
    }
#define D(i) ((unsigned)u[i] - '0')
    if (s[13] == ':' && s[16] == ':' && s[19] == '.' && s[26] == 'Z' &&
        D(11) <= 9 && D(12) <= 9 && D(14) <= 9 && D(15) <= 9 &&
        D(17) <= 9 && D(18) <= 9 && D(20) <= 9 && D(21) <= 9 &&
        D(22) <= 9 && D(23) <= 9 && D(24) <= 9 && D(25) <= 9 &&
        D(11) * 10 + D(12) <= 23 && D(14) * 10 + D(15) <= 59 &&
        D(17) * 10 + D(18) <= 59) {
#undef D
      *out = e->v - ts_tod((const unsigned char *)e->s) + ts_tod(u);
      memcpy(e->s + 11, s + 11, TS_LEN - 11);
      e->v = *out;
      return true;
    }
  }
  if (!ts_parse_canonical(s, n, out)) return false;
  if (e) {
    memcpy(e->s, s, TS_LEN);
    e->v = *out;
    e->ok = true;
  }
  return true;
}

/* rec_at inline (the slot layout of rec.h): a row image reads every
** field of a record, and skips the others by their id alone. */
static inline uint16_t rec_slot_id(const rec_view *v, uint32_t i) {
  return (uint16_t)get_le(v->data + REC_HDR + (size_t)i * REC_SLOT, 2);
}
static inline void rec_slot(const rec_view *v, uint32_t i, rec_field *f) {
  const unsigned char *s = v->data + REC_HDR + (size_t)i * REC_SLOT;
  uint32_t off = (uint32_t)get_le(s + 4, 4);
  size_t end =
      i + 1 < v->n ? (size_t)get_le(s + REC_SLOT + 4, 4) : v->body_len;
  f->id = (uint16_t)get_le(s, 2);
  f->type = s[2];
  f->p = (const char *)v->body + off;
  f->n = end - off;
}

/* The row image of entity id (record rv, NULL: hard-deleted) of t.
** Written straight into out, room reserved once (at most 19 bytes a
** column plus the record's text), the record's fields walked once beside
** the columns (both in field order): a write's image was a third of what
** the columnar copy cost it, in buf_add calls and searches. */
static void row_image(const sch_table *t, const uuid16_t *id,
                      const rec_view *rv, buf_t *out, ts_slot *tc) {
  if (rv == NULL) {
    buf_addc(out, ROW_GONE);
    return;
  }
  if (!buf_reserve(out, 1 + (size_t)t->ncols * 19 + rv->body_len)) return;
  unsigned char *p = (unsigned char *)out->p + out->len;
  unsigned char *state = p++; /* (set at the end: deleted_at is a column) */
  int deleted = -1;           /* deleted_at seen: 1 if set, 0 if not */
  uint32_t j = 0;             /* the record's next field */
  uint16_t prev = 0;
  /* the date-time parsed last: an insert's created_at and modified_at are
  ** the same text (a parse was a third of the image) */
  const char *tp = NULL;
  size_t tn = 0;
  int64_t tv = 0;
  for (uint32_t i = 0; i < t->ncols; i++) {
    const sch_col *c = &t->cols[i];
    p = put_le(p, c->field, 2);
    if (c->kind == SCH_COL_ID) {
      *p++ = TAG_ID;
      memcpy(p, id->b, 16);
      p += 16;
      continue;
    }
    rec_field f;
    bool has;
    if (c->field < prev) { /* not in field order: search */
      has = rec_find(rv, c->field, &f);
    } else {
      has = false;
      while (j < rv->n) {
        uint16_t fid = rec_slot_id(rv, j);
        if (fid >= c->field) {
          has = fid == c->field;
          if (has) rec_slot(rv, j++, &f); /* (j: the next column's) */
          break;
        }
        j++;
      }
    }
    prev = c->field;
    if (c->field == REC_F_DELETED) deleted = has && f.type != REC_NULL;
    if (!has || f.type == REC_NULL) {
      *p++ = TAG_NULL;
      continue;
    }
    int64_t tm;
    switch (c->kind) {
      case SCH_COL_INT:
        if (f.type != REC_INT) goto inexact;
        *p++ = TAG_I64;
        p = put_le(p, (uint64_t)rec_int(&f), 8);
        break;
      case SCH_COL_REAL: {
        double d;
        if (f.type == REC_INT)
          d = (double)rec_int(&f);
        else if (f.type == REC_REAL)
          d = rec_real(&f);
        else
          goto inexact;
        uint64_t x;
        memcpy(&x, &d, 8);
        *p++ = TAG_F64;
        p = put_le(p, x, 8);
        break;
      }
      case SCH_COL_BOOL:
        if (f.type != REC_TRUE && f.type != REC_FALSE) goto inexact;
        *p++ = TAG_I64;
        p = put_le(p, f.type == REC_TRUE, 8);
        break;
      case SCH_COL_TEXT:
        if (f.type != REC_TEXT) goto inexact;
        *p++ = TAG_TEXT;
        p = put_le(p, f.n, 4);
        memcpy(p, f.p, f.n);
        p += f.n;
        break;
      case SCH_COL_TIME:
        /* a date-time not in the canonical form is inexact */
        if (f.type != REC_TEXT) goto inexact;
        if (tp && f.n == tn && memcmp(f.p, tp, tn) == 0) {
          tm = tv;
        } else {
          if (!ts_value(tc ? &tc[i % TS_SLOTS] : NULL, f.p, f.n, &tm))
            goto inexact;
          tp = f.p;
          tn = f.n;
          tv = tm;
        }
        *p++ = TAG_I64;
        p = put_le(p, (uint64_t)tm, 8);
        break;
      default:
      inexact:
        *p++ = TAG_INEXACT;
    }
  }
  if (deleted < 0) deleted = rec_is_deleted(rv);
  *state = (unsigned char)(deleted ? ROW_DELETED : ROW_LIVE);
  out->len = (size_t)(p - (unsigned char *)out->p);
}

/* One value of a row image: the cursor moves past it.  false if the
** image is malformed. */
typedef struct rval {
  uint16_t field;
  uint8_t tag;
  const unsigned char *p;
  uint32_t n;
} rval;
static bool rimg_next(const unsigned char **pp, const unsigned char *end,
                      rval *v) {
  const unsigned char *p = *pp;
  if (end - p < 3) return false;
  v->field = (uint16_t)get_le(p, 2);
  v->tag = p[2];
  p += 3;
  size_t need = 0;
  switch (v->tag) {
    case TAG_NULL:
    case TAG_INEXACT: need = 0; break;
    case TAG_I64:
    case TAG_F64: need = 8; break;
    case TAG_ID: need = 16; break;
    case TAG_TEXT:
      if (end - p < 4) return false;
      v->n = (uint32_t)get_le(p, 4);
      p += 4;
      need = v->n;
      break;
    default: return false;
  }
  if ((size_t)(end - p) < need) return false;
  v->p = p;
  *pp = p + need;
  return true;
}

/* ---- delta packs ----------------------------------------------------------
** A transaction's new rows of one segment are one key (key_col_pack, the
** delta key of the highest of them, then 'P'), not a key each.  Its
** positions were handed out by its transaction, so any single delta of
** one of them is newer, and sorts before the pack (its position is at most
** the pack's highest): a reader or merge walking the epoch's keys in order
** applies a pack's row only where no single delta came first (a bitmap of
** them).
**
** Version 1 (formats 4-6, still read): u8 1, u32 count, then per row,
** positions ascending: u16 index in the segment, u32 image length, the
** row image.
**
** Version 2 (format 7, written): the layout once, each row's values by
** position (a bulk insert's pack was ~130 bytes a row, and RocksDB's WAL,
** memtable and flush cost by the byte): u8 2, varint count, varint ncols
** (at most CPACK_COLS), ncols u16 (LE) field ids; then per row, positions
** ascending: varint gap (its index less the one after the row before; the
** first's from 0), u8 state, and unless ROW_GONE per column a tag:
**   CT_NULL, CT_INEXACT           no payload
**   CT_INT                        varint zig-zag integer
**   CT_SMALL + z (z < 128)        the integer of zig-zag z
**   CT_IDELTA                     varint zig-zag difference from the
**                                 column's integer in the row before
**   CT_ISAME                      the row's integer before this column's
**                                 (created_at and modified_at)
**   CT_F64 8 bytes, CT_ID 16 bytes, CT_TEXT varint length and bytes
**   CT_PREV                       the column's value in the row before
** ("the row before": the pack's latest row that is not ROW_GONE; every
** varint LEB128).  Its rows are read back as row images (pack_next), so
** merges and readers apply them as before. */
enum {
  CT_NULL, CT_INEXACT, CT_INT, CT_IDELTA, CT_ISAME, CT_F64, CT_TEXT, CT_ID,
  CT_PREV, CT_SMALL = 0x80
};
#define CPACK_COLS 64
#define CV_NONE 0xff

/* A value as a version-2 pack's coder keeps it: a row image tag, the
** integer, or the payload's bytes (in the image or pack walked). */
typedef struct cval {
  uint8_t tag;
  uint32_t n;
  const unsigned char *p;
  uint64_t i;
} cval;

typedef struct pack_cur {
  const unsigned char *p, *end;
  uint32_t left;
  uint8_t ver;
  /* version 2 */
  uint32_t ncols, next;
  const unsigned char *fields;
  buf_t *out; /* where a row's image is appended (NULL: own, one row) */
  buf_t own;
  cval prev[CPACK_COLS];
} pack_cur;

static unsigned char *vput(unsigned char *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  return p;
}
static bool vget(const unsigned char **pp, const unsigned char *end,
                 uint64_t *v) {
  uint64_t x = 0;
  for (int s = 0; s < 70 && *pp < end; s += 7) {
    unsigned char b = *(*pp)++;
    if (s == 63 && b > 1) return false;
    x |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}
static int vlen(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}
static inline uint64_t zz(uint64_t v) { return (v << 1) ^ (0 - (v >> 63)); }
static inline uint64_t unzz(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

static bool pack_open(pack_cur *c, const void *v, size_t vl) {
  const unsigned char *p = (const unsigned char *)v;
  c->out = NULL;
  buf_init(&c->own);
  if (vl >= 5 && p[0] == 1) {
    c->ver = 1;
    c->left = (uint32_t)get_le(p + 1, 4);
    c->p = p + 5;
    c->end = p + vl;
    return true;
  }
  if (vl < 1 || p[0] != 2) return false;
  const unsigned char *q = p + 1, *end = p + vl;
  uint64_t count, ncols;
  if (!vget(&q, end, &count) || count > COL_SEG_ROWS ||
      !vget(&q, end, &ncols) || ncols > CPACK_COLS ||
      (size_t)(end - q) < 2 * ncols)
    return false;
  c->ver = 2;
  c->left = (uint32_t)count;
  c->ncols = (uint32_t)ncols;
  c->next = 0;
  c->fields = q;
  c->p = q + 2 * ncols;
  c->end = end;
  for (uint32_t k = 0; k < c->ncols; k++) c->prev[k].tag = CV_NONE;
  return true;
}

static void pack_close(pack_cur *c) { buf_free(&c->own); }

/* A version-2 pack's next row into c: its index, state, and unless gone
** its values in c->prev[].  1, or -1 if malformed. */
static int pack_row2(pack_cur *c, uint32_t *idx, uint8_t *state) {
  const unsigned char *p = c->p, *end = c->end;
  uint64_t gap, rl, z;
  if (!vget(&p, end, &gap) || gap >= COL_SEG_ROWS - c->next ||
      !vget(&p, end, &rl) || rl == 0 || rl > (uint64_t)(end - p) ||
      *p > ROW_GONE)
    return -1;
  end = p + rl; /* the row's end */
  *idx = c->next + (uint32_t)gap;
  *state = *p++;
  if (*state != ROW_GONE) {
    bool rowint = false; /* the row's integer so far, ri */
    uint64_t ri = 0;
    cval *v = c->prev;
    for (uint32_t k = 0; k < c->ncols; k++, v++) {
      if (p == end) return -1;
      uint8_t t = *p++;
      if (t >= CT_SMALL) {
        v->tag = TAG_I64;
        v->i = unzz(t - CT_SMALL);
      } else {
        switch (t) {
          case CT_NULL: v->tag = TAG_NULL; break;
          case CT_INEXACT: v->tag = TAG_INEXACT; break;
          case CT_INT:
            if (!vget(&p, end, &z)) return -1;
            v->tag = TAG_I64;
            v->i = unzz(z);
            break;
          case CT_IDELTA:
            if (v->tag != TAG_I64 || !vget(&p, end, &z)) return -1;
            v->i += unzz(z);
            break;
          case CT_ISAME:
            if (!rowint) return -1;
            v->tag = TAG_I64;
            v->i = ri;
            break;
          case CT_F64:
          case CT_ID:
            v->n = t == CT_F64 ? 8 : 16;
            if ((size_t)(end - p) < v->n) return -1;
            v->tag = t == CT_F64 ? TAG_F64 : TAG_ID;
            v->p = p;
            p += v->n;
            break;
          case CT_TEXT:
            if (!vget(&p, end, &z) || z > (uint64_t)(end - p)) return -1;
            v->tag = TAG_TEXT;
            v->n = (uint32_t)z;
            v->p = p;
            p += v->n;
            break;
          case CT_PREV:
            if (v->tag == CV_NONE) return -1;
            break;
          default: return -1;
        }
      }
      if (v->tag == TAG_I64) {
        rowint = true;
        ri = v->i;
      }
    }
  }
  if (p != end) return -1;
  c->p = p;
  c->next = *idx + 1;
  c->left--;
  return 1;
}

/* A version-2 pack's next row's index, its values skipped (they are then
** not in c->prev: the pack is walked again to apply it).  1, or -1. */
static int pack_skip2(pack_cur *c, uint32_t *idx) {
  const unsigned char *p = c->p;
  uint64_t gap, rl;
  if (c->left == 0) return p == c->end ? 0 : -1;
  if (!vget(&p, c->end, &gap) || gap >= COL_SEG_ROWS - c->next ||
      !vget(&p, c->end, &rl) || rl == 0 || rl > (uint64_t)(c->end - p))
    return -1;
  *idx = c->next + (uint32_t)gap;
  c->p = p + rl;
  c->next = *idx + 1;
  c->left--;
  return 1;
}

/* A version-2 pack's next row, as a row image appended to c->out (or in
** c->own): 1, -1 if malformed, -2 on OOM. */
static int pack_next2(pack_cur *c, uint32_t *idx, const unsigned char **img,
                      size_t *len) {
  buf_t *o = c->out ? c->out : &c->own;
  if (!c->out) o->len = 0;
  uint8_t state;
  if (pack_row2(c, idx, &state) != 1) return -1;
  size_t need = 1; /* (a value of the row before may be long) */
  for (uint32_t k = 0; state != ROW_GONE && k < c->ncols; k++)
    need += 3 + (c->prev[k].tag == TAG_TEXT ? 4 + (size_t)c->prev[k].n
                 : c->prev[k].tag == TAG_ID ? 16
                 : c->prev[k].tag == TAG_I64 || c->prev[k].tag == TAG_F64
                     ? 8
                     : 0);
  if (!buf_reserve(o, need)) return -2;
  unsigned char *w0 = (unsigned char *)o->p + o->len, *w = w0;
  *w++ = state;
  for (uint32_t k = 0; state != ROW_GONE && k < c->ncols; k++) {
    const cval *v = &c->prev[k];
    w = put_le(w, get_le(c->fields + 2 * (size_t)k, 2), 2);
    *w++ = v->tag;
    switch (v->tag) {
      case TAG_I64: w = put_le(w, v->i, 8); break;
      case TAG_TEXT:
        w = put_le(w, v->n, 4);
        /* fall through */
      case TAG_F64:
      case TAG_ID:
        memcpy(w, v->p, v->n);
        w += v->n;
        break;
      default: break;
    }
  }
  *len = (size_t)(w - w0);
  o->len += *len;
  *img = w0;
  return 1;
}

/* The pack's next row: 1, 0 at its end, -1 if malformed, -2 on OOM. */
static int pack_next(pack_cur *c, uint32_t *idx, const unsigned char **img,
                     size_t *len) {
  if (c->left == 0) return c->p == c->end ? 0 : -1;
  if (c->ver == 2) return pack_next2(c, idx, img, len);
  if (c->end - c->p < 6) return -1;
  *idx = (uint32_t)get_le(c->p, 2);
  *len = (size_t)get_le(c->p + 2, 4);
  if ((size_t)(c->end - c->p - 6) < *len) return -1;
  *img = c->p + 6;
  c->p += 6 + *len;
  c->left--;
  return 1;
}

/* Write at w (room: 5 + len + 2 bytes) the version-2 row of row image img
** at gap, a pack of layout fields[ncols] whose coder's state is prev:
** past its end, or NULL if the image is malformed or of another layout.
** (A row image is walked here without rimg_next: a bulk insert codes
** every row once.) */
static unsigned char *cpack_row(unsigned char *w, cval *prev,
                                const uint16_t *fields, uint32_t ncols,
                                uint32_t gap, const unsigned char *img,
                                size_t len) {
  if (len == 0 || img[0] > ROW_GONE || (img[0] == ROW_GONE && len != 1))
    return NULL;
  w = vput(w, gap);
  unsigned char *lp = w++; /* the row's length: one byte unless long */
  unsigned char *r0 = w;
  *w++ = img[0];
  const unsigned char *p = img + 1, *end = img + len;
  bool rowint = false;
  uint64_t ri = 0;
  cval *q = prev;
  for (uint32_t k = 0; k < ncols && img[0] != ROW_GONE; k++, q++) {
    if (end - p < 3 || get_le(p, 2) != fields[k]) return NULL;
    uint8_t tag = p[2];
    p += 3;
    switch (tag) {
      case TAG_NULL:
      case TAG_INEXACT:
        q->tag = tag;
        *w++ = tag == TAG_NULL ? CT_NULL : CT_INEXACT;
        break;
      case TAG_I64: {
        if (end - p < 8) return NULL;
        uint64_t x = get_le(p, 8), z = zz(x);
        p += 8;
        if (q->tag == TAG_I64 && q->i == x) {
          *w++ = CT_PREV;
        } else if (rowint && ri == x) {
          *w++ = CT_ISAME;
        } else if (z < 0x80) {
          *w++ = (unsigned char)(CT_SMALL + z);
        } else if (q->tag == TAG_I64 && vlen(zz(x - q->i)) < vlen(z)) {
          *w++ = CT_IDELTA;
          w = vput(w, zz(x - q->i));
        } else {
          *w++ = CT_INT;
          w = vput(w, z);
        }
        q->tag = TAG_I64;
        q->i = x;
        rowint = true;
        ri = x;
        break;
      }
      case TAG_F64:
      case TAG_ID: {
        uint32_t n = tag == TAG_F64 ? 8 : 16;
        if ((size_t)(end - p) < n) return NULL;
        if (q->tag == tag && memcmp(q->p, p, n) == 0) {
          *w++ = CT_PREV;
        } else {
          *w++ = tag == TAG_F64 ? CT_F64 : CT_ID;
          if (n == 8)
            memcpy(w, p, 8);
          else
            memcpy(w, p, 16);
          w += n;
        }
        q->tag = tag;
        q->n = n;
        q->p = p;
        p += n;
        break;
      }
      case TAG_TEXT: {
        if (end - p < 4) return NULL;
        uint32_t n = (uint32_t)get_le(p, 4);
        p += 4;
        if ((size_t)(end - p) < n) return NULL;
        if (q->tag == TAG_TEXT && q->n == n && memcmp(q->p, p, n) == 0) {
          *w++ = CT_PREV;
        } else {
          *w++ = CT_TEXT;
          w = vput(w, n);
          memcpy(w, p, n);
          w += n;
        }
        q->tag = TAG_TEXT;
        q->n = n;
        q->p = p;
        p += n;
        break;
      }
      default: return NULL;
    }
  }
  if (p != end) return NULL;
  size_t rl = (size_t)(w - r0);
  if (rl >= 0x80) { /* (room: a row is at most len + 2 bytes) */
    int extra = vlen(rl) - 1;
    memmove(r0 + extra, r0, rl);
    w += extra;
  }
  vput(lp, rl);
  return w;
}

/* Set row i of column cd from value v (a row image's, or a version-2
** pack's): a value of another type than the column's is NULL and makes
** the column inexact.  false on OOM. */
static inline bool set_cval(col_data *cd, uint32_t i, const cval *v) {
  switch (v->tag) {
    case TAG_I64: /* (of a damaged delta, in a TEXT or id column: NULL) */
      if (cd->type == COLT_REAL || cd->type == COLT_TEXT ||
          cd->type == COLT_ID)
        break;
      col_set_i64(cd, i, (int64_t)v->i);
      return true;
    case TAG_F64: {
      if (cd->type != COLT_REAL) break;
      uint64_t x = get_le(v->p, 8);
      double d;
      memcpy(&d, &x, 8);
      col_set_f64(cd, i, d);
      return true;
    }
    case TAG_TEXT:
      if (cd->type != COLT_TEXT) break;
      return col_set_text(cd, i, (const char *)v->p, v->n);
    case TAG_ID:
      if (cd->type != COLT_ID) break;
      col_set_id(cd, i, v->p);
      return true;
    case TAG_INEXACT: cd->inexact = true; break;
    default: break;
  }
  col_set_null(cd, i);
  if (v->tag != TAG_NULL && v->tag != TAG_INEXACT) cd->inexact = true;
  return true;
}

static inline cval rval_cval(const rval *v) {
  cval c = {v->tag, v->n, v->p, 0};
  if (v->tag == TAG_I64) c.i = get_le(v->p, 8);
  return c;
}

/* Set row i of column cd from value v of a row image (v.field is cd's). */
static bool set_value(col_data *cd, uint32_t i, const rval *v) {
  cval c = rval_cval(v);
  return set_cval(cd, i, &c);
}

/* Set row i of column cd (field) from row image img; a gone or
** malformed row (or one without the field) is NULL. */
static bool apply_value(col_data *cd, uint16_t field, uint32_t i,
                        const unsigned char *img, size_t len) {
  const unsigned char *p = img + 1, *end = img + len;
  rval v;
  if (len == 0 || img[0] == ROW_GONE) {
    col_set_null(cd, i);
    return true;
  }
  while (p < end && rimg_next(&p, end, &v))
    if (v.field == field) return set_value(cd, i, &v);
  col_set_null(cd, i);
  return true;
}

/* Mark in inexact[] (per column of t) the columns whose value in row image
** img is inexact or not of the column's type: one walk of the image (a
** reader opens over thousands of deltas). */
static void image_mark_inexact(const sch_table *t, const unsigned char *img,
                               size_t len, bool *inexact) {
  const unsigned char *p = img + 1, *end = img + len;
  rval v;
  if (len == 0 || img[0] == ROW_GONE) return;
  while (p < end && rimg_next(&p, end, &v)) {
    if (v.tag == TAG_NULL) continue;
    for (uint32_t c = 0; c < t->ncols; c++)
      if (t->cols[c].field == v.field) {
        /* TAG_INEXACT, or a value of another type than the column's (a
        ** delta of another layout: apply_value cannot set it either) */
        uint8_t k = t->cols[c].kind;
        uint8_t fits = k == SCH_COL_REAL   ? TAG_F64
                       : k == SCH_COL_TEXT ? TAG_TEXT
                       : k == SCH_COL_ID   ? TAG_ID
                                           : TAG_I64;
        if (v.tag != fits) inexact[c] = true;
        break;
      }
  }
}

/* ---- segment headers ----------------------------------------------------
** u8 version (1), u8 0, u16 ncols, u32 n, u64 generation, u32 epoch of
** the deltas not yet folded in, the visibility bitmap (COL_WORDS(n) u64), then per column: u16 field, u8 type, u8
** flags (2: inexact), u32 nulls, u8 has; when has: min and max (8 bytes
** each; TEXT: u32 length and bytes each).  Little-endian. */
typedef struct hcol {
  uint16_t field;
  uint8_t type, flags;
  col_zone z;
} hcol;
typedef struct shdr {
  bool present;
  uint32_t n, ncols;
  uint64_t gen;
  uint32_t epoch;
  const uint64_t *vis; /* COL_WORDS(n), aligned copy */
  uint64_t *visbuf;
  hcol *cols;
  char *raw; /* owns the TEXT zone bytes */
  size_t rawlen;
} shdr;

static void shdr_free(shdr *h) {
  free(h->visbuf);
  free(h->cols);
  free(h->raw);
  memset(h, 0, sizeof *h);
}

static int shdr_parse(remdb *db, const void *data, size_t len, shdr *h) {
  memset(h, 0, sizeof *h);
  h->raw = malloc(len ? len : 1);
  if (h->raw == NULL) return err_nomem(&db->err);
  memcpy(h->raw, data, len);
  h->rawlen = len;
  const unsigned char *p = (const unsigned char *)h->raw, *end = p + len;
  if (len < 20 || p[0] != 1) goto corrupt;
  h->ncols = (uint32_t)get_le(p + 2, 2);
  h->n = (uint32_t)get_le(p + 4, 4);
  h->gen = get_le(p + 8, 8);
  h->epoch = (uint32_t)get_le(p + 16, 4);
  if (h->n > COL_SEG_ROWS) goto corrupt;
  p += 20;
  size_t w = COL_WORDS(h->n);
  if ((size_t)(end - p) < w * 8) goto corrupt;
  h->visbuf = calloc(w ? w : 1, 8);
  h->cols = calloc(h->ncols ? h->ncols : 1, sizeof *h->cols);
  if (h->visbuf == NULL || h->cols == NULL) {
    shdr_free(h);
    return err_nomem(&db->err);
  }
  for (size_t i = 0; i < w; i++) h->visbuf[i] = get_le(p + 8 * i, 8);
  h->vis = h->visbuf;
  p += w * 8;
  for (uint32_t i = 0; i < h->ncols; i++) {
    hcol *c = &h->cols[i];
    if (end - p < 9) goto corrupt;
    c->field = (uint16_t)get_le(p, 2);
    c->type = p[2];
    c->flags = p[3];
    c->z.rows = h->n;
    c->z.nulls = (uint32_t)get_le(p + 4, 4);
    c->z.has = p[8];
    p += 9;
    if (c->type > COLT_ID) goto corrupt;
    if (!c->z.has) continue;
    if (c->type == COLT_TEXT) {
      for (int j = 0; j < 2; j++) {
        if (end - p < 4) goto corrupt;
        uint32_t l = (uint32_t)get_le(p, 4);
        p += 4;
        if ((size_t)(end - p) < l) goto corrupt;
        if (j == 0) {
          c->z.smin = (const char *)p;
          c->z.nsmin = l;
        } else {
          c->z.smax = (const char *)p;
          c->z.nsmax = l;
        }
        p += l;
      }
    } else {
      if (end - p < 16) goto corrupt;
      uint64_t a = get_le(p, 8), b = get_le(p + 8, 8);
      if (c->type == COLT_REAL) {
        memcpy(&c->z.min.f, &a, 8);
        memcpy(&c->z.max.f, &b, 8);
      } else {
        c->z.min.i = (int64_t)a;
        c->z.max.i = (int64_t)b;
      }
      p += 16;
    }
  }
  if (p != end) goto corrupt;
  h->present = true;
  return REMDB_OK;
corrupt:
  shdr_free(h);
  return err_set(&db->err, REMDB_CORRUPT, "column segment header is malformed");
}

/* A segment being built or read: its columns (layout order) and
** visibility, n positions. */
typedef struct mseg {
  uint32_t n;
  uint64_t *vis;
  uint32_t ncols;
  col_data *cols;
  /* per column: changed since loaded (else its stored form is still
  ** right: a merge rewrites only the columns its deltas change; an
  ** update's merge re-encoded every column of 64k rows for the two its
  ** rows changed) */
  bool *dirty;
  /* the store's merge scratch, whose arrays these are (mseg_free keeps
  ** them), or NULL */
  struct mscratch *ms;
} mseg;

/* The writer's merge scratch, one per store: a merge of new rows (a
** growing tail's, or a segment's first) builds its columns in arrays
** kept from merge to merge, and reuses its delta list, image copies and
** encode buffers, so it allocates nothing big.  (Each merge allocated
** and freed megabytes; glibc's dynamic mmap threshold then kept such
** blocks in the heap, where later small allocations pinned them, and
** the malloc_trim(0) that gave them back also gave back every free page
** of the heap, RocksDB's included, which faulted in again: twice the
** page faults of a bulk insert without columns.)  Bound: MSCRATCH_MAX
** bytes; a merge that needs more uses its own arrays (and the scratch
** is freed after one that grew it past the bound).  A merge in a
** transaction of more than MERGE_BIG_TXN rows (an import's part) uses
** its own arrays and gives the heap back after (as before: a 1M-row
** import's peak RSS was +18 MiB without), and the scratch is freed after
** its commit (col_after_commit: held, it raised the import's peak). */
#define MSCRATCH_MAX ((size_t)24 << 20)
#define MERGE_BIG_TXN 4096u /* a transaction of more rows */
typedef struct mscratch {
  uint32_t cap;   /* positions each column's arrays hold */
  uint32_t ncols; /* columns initialized (of cap positions) */
  col_data *cols;
  uint64_t *vis;
  bool *dirty;
  struct mdelta *md;
  size_t capmd;
  buf_t keep;
  uint64_t *single; /* COL_SEG_ROWS bits */
  buf_t enc[3];     /* mseg_stage's, mseg_append's buffers */
} mscratch;

static void ms_free(mscratch *ms) {
  if (ms == NULL) return;
  for (uint32_t c = 0; c < ms->ncols; c++) col_free(&ms->cols[c]);
  free(ms->cols);
  free(ms->vis);
  free(ms->dirty);
  free(ms->md);
  buf_free(&ms->keep);
  free(ms->single);
  for (int b = 0; b < 3; b++) buf_free(&ms->enc[b]);
  free(ms);
}

/* Bytes the scratch holds. */
static size_t ms_bytes(const mscratch *ms) {
  size_t b =
      COL_WORDS(ms->cap) * 8 + ms->keep.cap + COL_WORDS(COL_SEG_ROWS) * 8;
  for (uint32_t c = 0; c < ms->ncols; c++) b += col_bytes(&ms->cols[c]);
  for (int e = 0; e < 3; e++) b += ms->enc[e].cap;
  return b + ms->capmd * 32;
}

static buf_t *ms_bufs(const mseg *m) { return m->ms ? m->ms->enc : NULL; }

/* m: an empty segment of t, n positions, in the scratch's arrays (grown
** to t's columns and n positions).  false on OOM (m then owns nothing). */
static bool ms_seg(mscratch *ms, mseg *m, const sch_table *t, uint32_t n) {
  memset(m, 0, sizeof *m);
  if (n > ms->cap) { /* every column again, of n positions */
    for (uint32_t c = 0; c < ms->ncols; c++) col_free(&ms->cols[c]);
    ms->ncols = 0;
    uint64_t *vis = realloc(ms->vis, (COL_WORDS(n) ? COL_WORDS(n) : 1) * 8);
    if (vis == NULL) return false;
    ms->vis = vis;
    ms->cap = n;
  }
  if (t->ncols > ms->ncols) {
    col_data *cols = realloc(ms->cols, t->ncols * sizeof *cols);
    if (cols == NULL) return false;
    ms->cols = cols;
    bool *dirty = realloc(ms->dirty, t->ncols);
    if (dirty == NULL) return false;
    ms->dirty = dirty;
    for (uint32_t c = ms->ncols; c < t->ncols; c++)
      if (!col_init(&ms->cols[c], t->cols[c].kind, ms->cap)) {
        col_free(&ms->cols[c]);
        ms->ncols = c;
        return false;
      }
    ms->ncols = t->ncols;
  }
  for (uint32_t c = 0; c < t->ncols; c++) {
    col_data *cd = &ms->cols[c];
    if (cd->type != t->cols[c].kind) {
      col_free(cd);
      if (!col_init(cd, t->cols[c].kind, ms->cap)) {
        /* freeable, of no positions: filled again at the next use */
        col_init(cd, t->cols[c].kind, 0);
        cd->type = 0xff;
        return false;
      }
    }
    col_clear(cd, n);
  }
  memset(ms->vis, 0, (COL_WORDS(n) ? COL_WORDS(n) : 1) * 8);
  memset(ms->dirty, 1, t->ncols);
  m->n = n;
  m->ncols = t->ncols;
  m->vis = ms->vis;
  m->cols = ms->cols;
  m->dirty = ms->dirty;
  m->ms = ms;
  return true;
}

static void mseg_free(mseg *m) {
  if (m->ms) {
    memset(m, 0, sizeof *m);
    return;
  }
  if (m->cols)
    for (uint32_t i = 0; i < m->ncols; i++) col_free(&m->cols[i]);
  free(m->cols);
  free(m->vis);
  free(m->dirty);
  memset(m, 0, sizeof *m);
}

static bool mseg_init(mseg *m, const sch_table *t, uint32_t n) {
  memset(m, 0, sizeof *m);
  m->n = n;
  m->ncols = t->ncols;
  m->vis = calloc(COL_WORDS(n) ? COL_WORDS(n) : 1, 8);
  m->cols = calloc(t->ncols ? t->ncols : 1, sizeof *m->cols);
  m->dirty = malloc(t->ncols ? t->ncols : 1);
  if (m->vis == NULL || m->cols == NULL || m->dirty == NULL) return false;
  memset(m->dirty, 1, t->ncols);
  for (uint32_t i = 0; i < t->ncols; i++)
    if (!col_init(&m->cols[i], t->cols[i].kind, n)) return false;
  return true;
}

/* Grow column c to n positions (new rows NULL).  false on OOM. */
static bool col_grow(col_data *c, uint32_t n) {
  if (n <= c->n) return true;
  size_t ow = COL_WORDS(c->n), nw = COL_WORDS(n);
  uint64_t *nulls = realloc(c->nulls, (nw ? nw : 1) * 8);
  if (nulls == NULL) return false;
  c->nulls = nulls;
  if (c->n & 63) nulls[ow - 1] |= ~(uint64_t)0 << (c->n & 63);
  for (size_t w = ow; w < nw; w++) nulls[w] = ~(uint64_t)0;
  size_t esz = c->type == COLT_TEXT ? 4 : c->type == COLT_ID ? 16 : 8;
  void **arr = c->type == COLT_TEXT  ? (void **)&c->code
               : c->type == COLT_ID  ? (void **)&c->id
               : c->type == COLT_REAL ? (void **)&c->f64
                                      : (void **)&c->i64;
  char *a = realloc(*arr, (size_t)n * esz);
  if (a == NULL) return false;
  memset(a + (size_t)c->n * esz, 0, (size_t)(n - c->n) * esz);
  *arr = a;
  c->n = n;
  return true;
}

/* Does row i of cd (as decoded, unchanged since) hold value v? */
static inline bool same_cval(const col_data *cd, uint32_t i, const cval *v) {
  if (i >= cd->n) return false;
  bool null = col_bit(cd->nulls, i);
  switch (v->tag) {
    case TAG_NULL: return null;
    case TAG_I64:
      return !null && cd->type != COLT_REAL && cd->type != COLT_TEXT &&
             cd->type != COLT_ID && cd->i64[i] == (int64_t)v->i;
    case TAG_F64: {
      if (null || cd->type != COLT_REAL) return false;
      uint64_t x = get_le(v->p, 8), y;
      memcpy(&y, &cd->f64[i], 8);
      return x == y;
    }
    case TAG_TEXT: {
      if (null || cd->type != COLT_TEXT) return false;
      uint32_t c = cd->code[i];
      return c < cd->ndict && cd->dlen[c] == v->n &&
             memcmp(cd->dict[c], v->p, v->n) == 0;
    }
    case TAG_ID:
      return !null && cd->type == COLT_ID && memcmp(cd->id[i], v->p, 16) == 0;
    default: return false;
  }
}
static bool same_value(const col_data *cd, uint32_t i, const rval *v) {
  cval c = rval_cval(v);
  return same_cval(cd, i, &c);
}

/* Apply row image img at in-segment index i to every column of m. */
static bool mseg_apply(mseg *m, const sch_table *t, uint32_t i,
                       const unsigned char *img, size_t len) {
  col_bit_set(m->vis, i, len > 0 && img[0] == ROW_LIVE);
  /* an image of the table's layout holds its columns in order: one walk
  ** (a merge applies thousands; a search per column was a third of it) */
  if (len > 0 && img[0] != ROW_GONE) {
    const unsigned char *p = img + 1, *end = img + len;
    uint32_t c = 0;
    rval v;
    for (; c < m->ncols && p < end; c++) {
      if (!rimg_next(&p, end, &v) || v.field != t->cols[c].field) break;
      /* a column still as loaded is compared first (it stays clean
      ** while every value it is given is the one it holds) */
      if (!m->dirty[c]) {
        if (same_value(&m->cols[c], i, &v)) continue;
        m->dirty[c] = true;
      }
      if (!set_value(&m->cols[c], i, &v)) return false;
    }
    if (c == m->ncols && p == end) return true;
  }
  memset(m->dirty, 1, m->ncols);
  for (uint32_t c = 0; c < m->ncols; c++)
    if (!apply_value(&m->cols[c], t->cols[c].field, i, img, len)) return false;
  return true;
}

/* Apply the rows of version-2 pack v (vl bytes) to m, whose row 0 is
** the segment's index from: each row below nmax that no single delta
** (bit in single) came before, as mseg_apply would its row image, from
** the values as decoded (a merge folded each row of a bulk insert, and
** turning it into a row image first cost as much as the apply).  0, -1
** if the pack is malformed, -2 on OOM. */
static int mseg_apply_pack(mseg *m, const sch_table *t, uint32_t from,
                           const unsigned char *v, size_t vl,
                           const uint64_t *single, uint32_t nmax) {
  pack_cur pc;
  if (!pack_open(&pc, v, vl) || pc.ver != 2) return -1;
  /* the pack's value of each column of m (-1: none, NULL) */
  int map[CPACK_COLS];
  bool same = pc.ncols == m->ncols;
  int *mp = m->ncols <= CPACK_COLS ? map : malloc(m->ncols * sizeof *mp);
  if (mp == NULL) return -2;
  for (uint32_t c = 0; c < m->ncols; c++) {
    mp[c] = -1;
    for (uint32_t k = 0; k < pc.ncols; k++)
      if (get_le(pc.fields + 2 * (size_t)k, 2) == t->cols[c].field) {
        mp[c] = (int)k;
        break;
      }
    if (mp[c] != (int)c) same = false;
  }
  int rc = 0;
  while (rc == 0 && pc.left > 0) {
    uint32_t i;
    uint8_t state;
    if (pack_row2(&pc, &i, &state) != 1) {
      rc = -1;
      break;
    }
    if (i >= nmax || col_bit(single, i) || i - from >= m->n) continue;
    uint32_t r = i - from;
    col_bit_set(m->vis, r, state == ROW_LIVE);
    if (state != ROW_GONE && same) { /* mseg_apply's one walk */
      for (uint32_t c = 0; c < m->ncols; c++) {
        if (!m->dirty[c]) {
          if (same_cval(&m->cols[c], r, &pc.prev[c])) continue;
          m->dirty[c] = true;
        }
        if (!set_cval(&m->cols[c], r, &pc.prev[c])) {
          rc = -2;
          break;
        }
      }
      continue;
    }
    memset(m->dirty, 1, m->ncols);
    for (uint32_t c = 0; rc == 0 && c < m->ncols; c++)
      if (state == ROW_GONE || mp[c] < 0)
        col_set_null(&m->cols[c], r);
      else if (!set_cval(&m->cols[c], r, &pc.prev[mp[c]]))
        rc = -2;
  }
  if (rc == 0 && pc.p != pc.end) rc = -1;
  if (mp != map) free(mp);
  return rc;
}

/* A header's column entry: field, type, flags, zone z. */
static void hdr_add_col(buf_t *h, uint16_t field, uint8_t type, bool inexact,
                        const col_zone *z) {
  add_le(h, field, 2);
  buf_addc(h, (char)type);
  buf_addc(h, (char)(inexact ? 2 : 0));
  add_le(h, z->nulls, 4);
  buf_addc(h, (char)z->has);
  if (!z->has) return;
  if (type == COLT_TEXT) {
    add_le(h, z->nsmin, 4);
    buf_add(h, z->smin, z->nsmin);
    add_le(h, z->nsmax, 4);
    buf_add(h, z->smax, z->nsmax);
  } else if (type == COLT_REAL) {
    uint64_t a, b;
    memcpy(&a, &z->min.f, 8);
    memcpy(&b, &z->max.f, 8);
    add_le(h, a, 8);
    add_le(h, b, 8);
  } else {
    add_le(h, (uint64_t)z->min.i, 8);
    add_le(h, (uint64_t)z->max.i, 8);
  }
}

/* The zone of column cd (finished) over the rows set in vis; TEXT bounds
** point into cd's dictionary. */
static void zone_of(const col_data *cd, const uint64_t *vis, col_zone *z) {
  col_zonev v;
  col_zone_calc(cd, vis, &v);
  memset(z, 0, sizeof *z);
  z->rows = cd->n;
  z->nulls = v.nulls;
  z->has = v.has;
  if (!v.has) return;
  if (cd->type == COLT_TEXT) {
    z->smin = cd->dict[v.cmin];
    z->nsmin = cd->dlen[v.cmin];
    z->smax = cd->dict[v.cmax];
    z->nsmax = cd->dlen[v.cmax];
  } else if (cd->type == COLT_REAL) {
    z->min.f = v.min.f;
    z->max.f = v.max.f;
  } else {
    z->min.i = v.min.i;
    z->max.i = v.max.i;
  }
}

static int text_cmp(const char *a, uint32_t na, const char *b, uint32_t nb) {
  int r = memcmp(a, b, na < nb ? na : nb);
  return r ? r : (na < nb ? -1 : na > nb);
}

/* Zone a of some rows, then b of the rows after them: a becomes the
** zone of both, as col_zone_calc over them all gives it (of equal
** bounds, the first). */
static void zone_join(col_zone *a, const col_zone *b, uint8_t type) {
  a->rows += b->rows;
  a->nulls += b->nulls;
  if (!b->has) return;
  if (!a->has) {
    uint32_t rows = a->rows, nulls = a->nulls;
    *a = *b;
    a->rows = rows;
    a->nulls = nulls;
    return;
  }
  if (type == COLT_TEXT) {
    if (text_cmp(b->smin, b->nsmin, a->smin, a->nsmin) < 0) {
      a->smin = b->smin;
      a->nsmin = b->nsmin;
    }
    if (text_cmp(b->smax, b->nsmax, a->smax, a->nsmax) > 0) {
      a->smax = b->smax;
      a->nsmax = b->nsmax;
    }
  } else if (type == COLT_REAL) {
    if (b->min.f < a->min.f) a->min.f = b->min.f;
    if (b->max.f > a->max.f) a->max.f = b->max.f;
  } else {
    if (b->min.i < a->min.i) a->min.i = b->min.i;
    if (b->max.i > a->max.i) a->max.i = b->max.i;
  }
}

/* A fresh generation for a segment being staged. */
static uint64_t new_gen(void) {
  uuid16_t r;
  uuid_random(&r);
  uint64_t gen;
  memcpy(&gen, r.b, 8);
  return gen;
}

/* The end of staging a segment of t: header h, built beside its columns,
** goes in the batch unless building it ran out of memory (rc is the
** staging's result so far). */
static int stage_hdr(remdb *db, kv_batch_t *kb, const sch_table *t,
                     uint32_t seg, const buf_t *h, int rc) {
  if (rc == REMDB_OK && h->oom) rc = err_nomem(&db->err);
  if (rc == REMDB_OK) {
    unsigned char k[KEY_COL_MAX];
    size_t kl = key_col(k, db->tid, t->table_id, 'M', seg, 0);
    kv_batch_put(kb, KV_COLUMN, k, kl, h->p, h->len);
  }
  return rc;
}

/* Stage segment m (finished) as segment seg of t, with a fresh
** generation. */
static int mseg_stage(remdb *db, kv_batch_t *kb, const sch_table *t,
                      uint32_t seg, uint32_t epoch, mseg *m) {
  buf_t lb[2], *bufs = ms_bufs(m);
  if (bufs == NULL) {
    bufs = lb;
    for (int b = 0; b < 2; b++) buf_init(&lb[b]);
  }
  buf_t *h = &bufs[0], *v = &bufs[1];
  buf_reset(h);
  uint64_t gen = new_gen();
  buf_addc(h, 1);
  buf_addc(h, 0);
  add_le(h, m->ncols, 2);
  add_le(h, m->n, 4);
  add_le(h, gen, 8);
  add_le(h, epoch, 4);
  for (size_t w = 0; w < COL_WORDS(m->n); w++) add_le(h, m->vis[w], 8);
  int rc = REMDB_OK;
  for (uint32_t c = 0; c < m->ncols && rc == REMDB_OK; c++) {
    col_data *cd = &m->cols[c];
    if (m->dirty[c] && !col_finish(cd)) {
      rc = err_nomem(&db->err);
      break;
    }
    col_zone z;
    zone_of(cd, m->vis, &z);
    hdr_add_col(h, t->cols[c].field, cd->type, cd->inexact, &z);
    if (m->dirty[c]) { /* else its stored form stays */
      buf_reset(v);
      col_encode(cd, v);
      if (v->oom) {
        rc = err_nomem(&db->err);
        break;
      }
      unsigned char k[KEY_COL_MAX];
      size_t kl = key_col(k, db->tid, t->table_id, 'C', seg, t->cols[c].field);
      kv_batch_put(kb, KV_COLUMN, k, kl, v->p, v->len);
    }
    /* the merge decoded it for itself (not through the cache); the
    ** cached copies of older generations are superseded (a reader at an
    ** older snapshot decodes its generation again) */
    if (m->ms == NULL) col_free(cd);
    cc_drop_others(db->st, db->tid, t->table_id, seg, t->cols[c].field, gen);
  }
  rc = stage_hdr(db, kb, t, seg, h, rc);
  if (bufs == lb)
    for (int b = 0; b < 2; b++) buf_free(&lb[b]);
  return rc;
}

/* The header of segment seg of t as stored at ks into h (a missing
** segment: !h->present). */
static int seg_hdr(remdb *db, const kv_snap_t *ks, const sch_table *t,
                   uint32_t seg, shdr *h) {
  unsigned char k[KEY_COL_MAX];
  size_t kl = key_col(k, db->tid, t->table_id, 'M', seg, 0);
  kv_val v;
  memset(h, 0, sizeof *h);
  int rc = kv_get(db->st->kv, ks, KV_COLUMN, k, kl, &v, &db->err);
  if (rc == REMDB_OK) {
    rc = shdr_parse(db, v.data, v.len, h);
    kv_val_free(&v);
  } else if (rc == REMDB_NOTFOUND) {
    rc = REMDB_OK;
  }
  return rc;
}

/* Load segment seg of t as stored at ks (header h, seg_hdr's, and the
** columns; a missing segment is empty) into m, grown to n positions. */
static int mseg_load(remdb *db, const kv_snap_t *ks, const sch_table *t,
                     uint32_t seg, uint32_t n, const shdr *hp, mseg *m) {
  const shdr h = *hp;
  int rc = REMDB_OK;
  if (h.present && h.n > n) n = h.n;
  if (!mseg_init(m, t, n)) return err_nomem(&db->err);
  if (h.present) {
    memcpy(m->vis, h.vis, COL_WORDS(h.n) * 8);
    for (uint32_t c = 0; c < t->ncols && rc == REMDB_OK; c++) {
      const hcol *hc = NULL;
      for (uint32_t j = 0; j < h.ncols; j++)
        if (h.cols[j].field == t->cols[c].field) hc = &h.cols[j];
      if (hc == NULL || hc->type != t->cols[c].kind) {
        /* a layout the schema no longer has: rebuilt by reindex */
        m->cols[c].inexact = true;
        continue;
      }
      /* decoded here, not through the cache: a writer's merges (an
      ** import's) keep one segment in memory, not every one they touch */
      unsigned char ck[KEY_COL_MAX];
      size_t ckl = key_col(ck, db->tid, t->table_id, 'C', seg, hc->field);
      kv_val cv;
      rc = kv_get(db->st->kv, ks, KV_COLUMN, ck, ckl, &cv, &db->err);
      if (rc == REMDB_NOTFOUND)
        rc = err_set(&db->err, REMDB_CORRUPT,
                     "column %u of segment %u of %s is missing", hc->field,
                     seg, t->name);
      if (rc) break;
      col_free(&m->cols[c]);
      rc = col_decode(cv.data, cv.len, &m->cols[c], &db->err);
      kv_val_free(&cv);
      /* as stored, unless it grows (new positions) */
      if (rc == REMDB_OK)
        m->dirty[c] = m->cols[c].n != n || m->cols[c].n != h.n ||
                      m->cols[c].inexact != ((hc->flags & 2) != 0);
      if (rc == REMDB_OK && !col_grow(&m->cols[c], n)) rc = err_nomem(&db->err);
      if (rc) {
        col_init(&m->cols[c], t->cols[c].kind, 0); /* freeable */
        break;
      }
    }
  }
  return rc;
}

/* ---- the writer's state of a table ------------------------------------- */

static bool seg_room(col_tab *ct, uint32_t seg) {
  if (seg < ct->capseg) return true;
  uint32_t cap = ct->capseg ? ct->capseg : 4;
  while (cap <= seg) cap *= 2;
  uint32_t *nd = realloc(ct->nd, cap * sizeof *nd);
  if (nd == NULL) return false;
  ct->nd = nd;
  uint32_t *ep = realloc(ct->ep, cap * sizeof *ep);
  if (ep == NULL) return false;
  ct->ep = ep;
  uint32_t *hn = realloc(ct->hn, cap * sizeof *hn);
  if (hn == NULL) return false;
  ct->hn = hn;
  memset(nd + ct->capseg, 0, (cap - ct->capseg) * sizeof *nd);
  memset(ep + ct->capseg, 0, (cap - ct->capseg) * sizeof *ep);
  memset(hn + ct->capseg, 0, (cap - ct->capseg) * sizeof *hn);
  ct->capseg = cap;
  return true;
}

/* A table's pending rows as its row counter lists them. */
typedef struct pendl {
  uint32_t n;
  uint64_t pos[CNT_PEND_LIMIT];
  uuid16_t id[CNT_PEND_LIMIT];
} pendl;

/* Table tbl's pending rows at ks (cnt_read_tail checked the form). */
static int pend_read(remdb *db, const kv_snap_t *ks, uint32_t tbl,
                     pendl *pl) {
  unsigned char tail[CNT_TAIL_MAX];
  size_t tl;
  uint64_t rows, del;
  pl->n = 0;
  int rc = cnt_read_tail(db, ks, tbl, &rows, &del, tail, &tl);
  if (rc || tl == 0) return rc;
  uint64_t base = (uint64_t)get_u32be(tail + 1) << SEG_SHIFT;
  pl->n = tail[0];
  for (uint32_t i = 0; i < pl->n; i++) {
    pl->pos[i] = base + get_u16be(tail + 5 + 18 * i);
    memcpy(pl->id[i].b, tail + 7 + 18 * i, 16);
  }
  return REMDB_OK;
}

/* The table's next row position at ks: one past the highest position
** its last segment header, any delta or a pending row holds (positions
** are dense, and a segment never merged holds a delta or a pending row
** for each of its positions; a position handed out by a transaction that
** never committed is handed out again).  pl (NULL: not wanted) gets the
** pending rows. */
static int read_next(remdb *db, const kv_snap_t *ks, uint32_t tbl,
                     uint64_t *next, pendl *pl) {
  unsigned char lo[KEY_COL_MAX], hi[KEY_COL_MAX];
  size_t ll = key_col(lo, db->tid, tbl, 'M', 0, 0);
  size_t hl = key_col(hi, db->tid, tbl, 'M', UINT32_MAX, 0);
  kv_iter_t *it;
  *next = 0;
  pendl own;
  if (pl == NULL) pl = &own;
  int rc = pend_read(db, ks, tbl, pl);
  if (rc) return rc;
  uint64_t pnext = pl->n ? pl->pos[pl->n - 1] + 1 : 0;
  rc = kv_iter_new(db->st->kv, ks, KV_COLUMN, lo, ll, hi, hl, &it, &db->err);
  if (rc) return rc;
  uint32_t last = 0, epoch = 0;
  bool has = false;
  kv_iter_last(it);
  if (kv_iter_valid(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const unsigned char *v = (const unsigned char *)kv_iter_value(it, &vl);
    if (kl != 17 || vl < 20) {
      kv_iter_free(it);
      return err_set(&db->err, REMDB_CORRUPT,
                     "column segment header is malformed");
    }
    last = get_u32be(k + 13);
    epoch = (uint32_t)get_le(v + 16, 4);
    *next = ((uint64_t)last << SEG_SHIFT) + get_le(v + 4, 4);
    has = true;
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc) return rc;
  key_col_table(lo, db->tid, tbl);
  lo[12] = 'D';
  key_col_table(hi, db->tid, tbl);
  hi[12] = 'D' + 1;
  rc = kv_iter_new(db->st->kv, ks, KV_COLUMN, lo, KEY_COL_KIND, hi,
                   KEY_COL_KIND, &it, &db->err);
  if (rc) return rc;
  for (uint32_t seg = has ? last : 0;; seg++) {
    unsigned char pk[KEY_COL_DELTA_LEN], pe[KEY_COL_DELTA_LEN];
    uint32_t ep = has && seg == last ? epoch : 0;
    key_col_delta(pk, db->tid, tbl, seg, ep, 0);
    key_col_delta(pe, db->tid, tbl, seg, ep + 1, 0);
    bool any = false;
    /* the last key of the prefix is its highest position */
    kv_iter_seek_for_prev(it, pe, KEY_COL_DELTA_PREFIX);
    if (kv_iter_valid(it)) {
      size_t kl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      /* (a pack's key holds its highest position) */
      if ((kl == KEY_COL_DELTA_LEN || kl == KEY_COL_PACK_LEN) &&
          memcmp(k, pk, KEY_COL_DELTA_PREFIX) == 0) {
        uint64_t p = get_u64be(k + 21) + 1;
        if (p > *next) *next = p;
        any = true;
      }
    }
    if ((rc = kv_iter_status(it, &db->err))) break;
    if (!any && (!has || seg > last)) break;
  }
  kv_iter_free(it);
  /* the pending rows are the newest: in the segment of the next position
  ** stored, before it, or (a position left free at a segment's end: an
  ** insert undone) the one after; a damaged segment number past that
  ** would have readers and the writer walk, or wrap, a segment count of
  ** up to 2^32 */
  if (rc == REMDB_OK && pl->n &&
      (pl->pos[0] >> SEG_SHIFT) > (*next >> SEG_SHIFT) + 1)
    return err_set(&db->err, REMDB_CORRUPT,
                   "row counter of table %u: its pending rows name segment "
                   "%llu, past the table's last (%llu)",
                   tbl, (unsigned long long)(pl->pos[0] >> SEG_SHIFT),
                   (unsigned long long)(*next >> SEG_SHIFT));
  if (pnext > *next) *next = pnext;
  return rc;
}

/* The writer's state of table tbl, loaded on first use (wlock held). */
static col_tab *tab_state(remdb *db, uint32_t tbl) {
  assert(core_locked(db));
  struct col_store *c = cs_get(db->st);
  if (c == NULL) return NULL;
  for (size_t i = 0; i < c->ntabs; i++)
    if (c->tabs[i].tid == db->tid && c->tabs[i].tbl == tbl) return &c->tabs[i];
  if (c->ntabs == c->captabs) {
    size_t cap = c->captabs ? c->captabs * 2 : 8;
    col_tab *n = realloc(c->tabs, cap * sizeof *n);
    if (n == NULL) return NULL;
    c->tabs = n;
    c->captabs = cap;
  }
  col_tab ct = {db->tid, tbl, 0, NULL, NULL, NULL, 0, NULL, 0};
  pendl pl;
  if (read_next(db, NULL, tbl, &ct.next, &pl)) return NULL;
  uint32_t nsegs = (uint32_t)((ct.next + COL_SEG_ROWS - 1) >> SEG_SHIFT);
  bool ok = seg_room(&ct, nsegs);
  /* each segment's epoch (its header's), and its deltas of that epoch */
  unsigned char lo[KEY_COL_MAX], hi[KEY_COL_MAX];
  size_t ll = key_col(lo, db->tid, tbl, 'M', 0, 0);
  size_t hl = key_col(hi, db->tid, tbl, 'M', UINT32_MAX, 0);
  kv_iter_t *it = NULL;
  if (ok && kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, ll, hi, hl, &it,
                        &db->err))
    ok = false;
  if (ok) {
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl, vl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      const unsigned char *v = (const unsigned char *)kv_iter_value(it, &vl);
      if (kl != 17 || vl < 20) continue;
      uint32_t seg = get_u32be(k + 13);
      if (seg < nsegs) {
        ct.ep[seg] = (uint32_t)get_le(v + 16, 4);
        ct.hn[seg] = (uint32_t)get_le(v + 4, 4);
      }
    }
    if (kv_iter_status(it, &db->err)) ok = false;
    kv_iter_free(it);
    it = NULL;
  }
  key_col_table(lo, db->tid, tbl);
  lo[12] = 'D';
  key_col_table(hi, db->tid, tbl);
  hi[12] = 'D' + 1;
  if (ok && kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, KEY_COL_KIND, hi,
                        KEY_COL_KIND, &it, &db->err))
    ok = false;
  for (uint32_t seg = 0; ok && seg < nsegs; seg++) {
    unsigned char pk[KEY_COL_DELTA_LEN];
    key_col_delta(pk, db->tid, tbl, seg, ct.ep[seg], 0);
    for (kv_iter_seek(it, pk, KEY_COL_DELTA_PREFIX); kv_iter_valid(it);
         kv_iter_next(it)) {
      size_t kl, vl;
      const char *k = kv_iter_key(it, &kl);
      if ((kl != KEY_COL_DELTA_LEN && kl != KEY_COL_PACK_LEN) ||
          memcmp(k, pk, KEY_COL_DELTA_PREFIX) != 0)
        break;
      pack_cur pc;
      const char *v = kl == KEY_COL_PACK_LEN ? kv_iter_value(it, &vl) : NULL;
      if (v && pack_open(&pc, v, vl))
        ct.nd[seg] += pc.left;
      else
        ct.nd[seg]++;
    }
    if (kv_iter_status(it, &db->err)) ok = false;
  }
  kv_iter_free(it);
  /* the pending rows (their images are built when needed: pend_image);
  ** they count as deltas of their segment */
  if (ok && pl.n) {
    if ((ct.pd = calloc(1, sizeof *ct.pd)) == NULL) {
      ok = false;
    } else {
      buf_init(&ct.pd->imgs);
      ct.pd->n = pl.n;
      for (uint32_t i = 0; i < pl.n; i++)
        ct.pd->r[i] = (pend_row){pl.pos[i], pl.id[i], 0, 0};
      ct.nd[pl.pos[0] >> SEG_SHIFT] += pl.n;
    }
  }
  if (!ok) {
    free(ct.nd);
    free(ct.ep);
    free(ct.hn);
    return NULL;
  }
  c->tabs[c->ntabs] = ct;
  return &c->tabs[c->ntabs++];
}

/* Forget the writer's state of table tbl (0: of every table). */
static void tab_forget(remdb *db, uint32_t tbl) {
  struct col_store *c = cs_get(db->st);
  if (c == NULL) return;
  for (size_t i = 0; i < c->ntabs;) {
    if (c->tabs[i].tid == db->tid && (tbl == 0 || c->tabs[i].tbl == tbl)) {
      free(c->tabs[i].nd);
      free(c->tabs[i].ep);
      free(c->tabs[i].hn);
      if (c->tabs[i].pd) buf_free(&c->tabs[i].pd->imgs);
      free(c->tabs[i].pd);
      c->tabs[i] = c->tabs[--c->ntabs];
    } else {
      i++;
    }
  }
}

/* ---- pending rows (the writer's) ------------------------------------------
** A table's newest inserted rows, up to col_pend_max, may have no delta
** key: its row counter, which every insert rewrites anyway, lists them
** instead (their positions, all in one segment, and ids: internal.h's
** tail), and a reader builds their row images from their entity records
** at its snapshot, which the same batches wrote.  A single insert then
** writes no column key of its own (the key, its memtable insert and WAL
** bytes were half of what the columns cost an insert).  Pending rows never
** have a delta key: a write of one (update, delete) stages its single
** delta and takes it off the list; a commit that cannot add its new rows
** to the list (full, another segment, a merge of the segment, a hard
** delete of a new row) adopts the listed rows: their images go in its
** pack (or merge) with its own new rows, and the list empties. */

static void pend_clear(col_tab *ct) {
  if (ct->pd == NULL) return;
  ct->pd->n = 0;
  buf_reset(&ct->pd->imgs);
}

/* Take position pos off ct's list (if listed). */
static void pend_drop(col_tab *ct, uint64_t pos) {
  col_pend *pd = ct->pd;
  uint32_t i = 0;
  while (i < pd->n && pd->r[i].pos != pos) i++;
  if (i == pd->n) return;
  pend_row gone = pd->r[i];
  memmove(&pd->r[i], &pd->r[i + 1], (pd->n - i - 1) * sizeof *pd->r);
  pd->n--;
  if (gone.len == 0) return;
  /* its image's bytes go: the images after it move down */
  memmove(pd->imgs.p + gone.off, pd->imgs.p + gone.off + gone.len,
          pd->imgs.len - gone.off - gone.len);
  pd->imgs.len -= gone.len;
  for (uint32_t j = 0; j < pd->n; j++)
    if (pd->r[j].len && pd->r[j].off > gone.off) pd->r[j].off -= gone.len;
}

/* Build the image of ct's pending row i, if not built yet (after a
** restart or a failed commit: from its entity record, which no write
** changed since, or it would not be pending). */
static int pend_image(remdb *db, const sch_table *t, col_tab *ct, uint32_t i) {
  col_pend *pd = ct->pd;
  pend_row *pr = &pd->r[i];
  if (pr->len) return REMDB_OK;
  unsigned char ek[KEY_ENTITY_LEN];
  key_entity(ek, db->tid, t->table_id, pr->id.b);
  kv_val v;
  int rc = kv_get(db->st->kv, NULL, KV_ENTITY, ek, sizeof ek, &v, &db->err);
  if (rc == REMDB_NOTFOUND) {
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&pr->id, ids);
    return err_set(&db->err, REMDB_CORRUPT,
                   "%s: pending row %llu (entity %s) has no record", t->name,
                   (unsigned long long)pr->pos, ids);
  }
  if (rc) return rc;
  rec_view rv;
  rc = rec_open(&rv, v.data, v.len, &db->err);
  if (rc == REMDB_OK) {
    size_t off = pd->imgs.len;
    row_image(t, &pr->id, &rv, &pd->imgs, NULL);
    if (pd->imgs.oom) {
      pd->imgs.oom = false;
      pd->imgs.len = off;
      rc = err_nomem(&db->err);
    } else {
      pr->off = off;
      pr->len = pd->imgs.len - off;
    }
  }
  kv_val_free(&v);
  return rc;
}

/* ---- the transaction's part ---------------------------------------------- */

/* (cdelta.pk) */
enum { PK_NONE, PK_PENDED, PK_ADOPTED };

typedef struct cdelta {
  uint32_t tbl;
  uint8_t pk;      /* PK_PENDED: a new row listed as pending (no key);
                   ** PK_ADOPTED: a pending row's image, for the pack */
  uint64_t pos;
  size_t off, len; /* image in imgs */
} cdelta;

struct pend_pos {
  uuid16_t id;
  uint64_t pos;
};

struct col_txn {
  /* entities whose position the transaction knows: the first in one (a
  ** single-row write's: no hash set to fill and clear), the others in ids */
  struct {
    bool has;
    uuid16_t id;
    uint64_t pos;
  } one;
  idset ids;
  uint64_t *pos;   /* pos[i]: of ids.ids[i]; UINT64_MAX: removed */
  size_t cappos;
  /* new rows' positions not yet in one/ids, in order (newer than what
  ** those hold): a bulk insert that never looks its rows up again fills
  ** no hash set (txn_fold when one is looked up) */
  struct pend_pos *pend;
  size_t npend, cappend;
  cdelta *d;       /* staged deltas, in order */
  size_t nd, capd;
  buf_t imgs;
  uint32_t *ntbl;  /* tables whose counter moved */
  uint64_t *first; /* per such table, the first position handed out */
  size_t nntbl, capntbl;
  bool touched;    /* the writer's state moved: forget it unless committed */
  bool merged;     /* a segment merges (nd UINT32_MAX) in this commit */
  size_t mark;     /* nd before the latest col_stage_* (col_stage_undo) */
  store_t *st;     /* whose spare it becomes when freed */
  struct col_store *cs; /* st's column state (st->col) */
  ts_slot tc[TS_SLOTS]; /* (row_image) */
  size_t ti;       /* cs->tabs[ti]: the table looked up last (tab_of) */
};

static void txn_release(struct col_txn *x) {
  idset_free(&x->ids);
  free(x->pos);
  free(x->pend);
  free(x->d);
  free(x->ntbl);
  free(x->first);
  buf_free(&x->imgs);
  free(x);
}

void col_txn_free(struct col_txn *x) {
  if (x == NULL) return;
  /* a single-row write makes and frees its transaction's part each time
  ** (its allocations were a tenth of what the columns cost it): a small
  ** one is kept for the store's next transaction (a batch of 1000 rows'
  ** images too: growing them again cost a bulk insert 0.15k a row) */
  store_t *st = x->st;
  struct col_store *c = x->cs;
  if (c && x->ids.cap <= 1024 && x->cappos <= 1024 && x->capd <= 1024 &&
      x->imgs.cap <= 262144 && x->capntbl <= 16 && x->cappend <= 1024) {
    if (x->ids.n) idset_clear(&x->ids);
    x->one.has = false;
    x->npend = 0;
    x->nd = x->nntbl = 0;
    buf_reset(&x->imgs);
    x->imgs.oom = false;
    x->touched = x->merged = false;
    x->mark = 0;
    pthread_mutex_lock(&st->cmu);
    struct col_txn *old = c->spare;
    c->spare = x;
    pthread_mutex_unlock(&st->cmu);
    if (old == NULL) return;
    x = old; /* the one it replaces: freed */
  }
  txn_release(x);
}

size_t col_txn_bytes(const struct col_txn *x) {
  return x ? x->imgs.len + x->nd * sizeof(cdelta) +
                 (x->ids.n + x->one.has) * (8 + sizeof(uuid16_t)) +
                 x->npend * sizeof(struct pend_pos)
           : 0;
}

static struct col_txn *txn_of(wtx_t *w) {
  struct col_txn **p = wtx_col(w);
  if (*p == NULL) {
    store_t *st = wtx_db(w)->st;
    /* (cs_get and the spare under one lock) */
    pthread_mutex_lock(&st->cmu);
    if (st->col == NULL) st->col = calloc(1, sizeof *st->col);
    struct col_store *c = st->col;
    if (c) {
      *p = c->spare;
      c->spare = NULL;
    }
    pthread_mutex_unlock(&st->cmu);
    if (c == NULL) return NULL;
    if (*p == NULL && (*p = calloc(1, sizeof **p)) != NULL) {
      buf_init(&(*p)->imgs);
      (*p)->st = st;
      (*p)->cs = c;
    }
  }
  return *p;
}

/* The writer's state of table tbl: tab_state, without its search and
** locks when it is the table the transaction looked up last. */
static col_tab *tab_of(remdb *db, struct col_txn *x, uint32_t tbl) {
  struct col_store *c = x->cs;
  if (x->ti < c->ntabs && c->tabs[x->ti].tbl == tbl &&
      c->tabs[x->ti].tid == db->tid)
    return &c->tabs[x->ti];
  col_tab *ct = tab_state(db, tbl);
  if (ct) x->ti = (size_t)(ct - c->tabs);
  return ct;
}

static bool txn_set_pos(struct col_txn *x, const uuid16_t *id, uint64_t pos) {
  if (x->one.has && memcmp(x->one.id.b, id->b, 16) == 0) {
    x->one.pos = pos;
    return true;
  }
  if (!x->one.has && x->ids.n == 0) {
    x->one.has = true;
    x->one.id = *id;
    x->one.pos = pos;
    return true;
  }
  if (x->ids.n == x->cappos) {
    size_t cap = x->cappos ? x->cappos * 2 : 64;
    uint64_t *p = realloc(x->pos, cap * sizeof *p);
    if (p == NULL) return false;
    x->pos = p;
    x->cappos = cap;
  }
  size_t i;
  if (!idset_add(&x->ids, id->b, &i)) return false;
  x->pos[i] = pos;
  return true;
}

/* A new row's position: noted for txn_fold (the first in one). */
static bool txn_new_pos(struct col_txn *x, const uuid16_t *id, uint64_t pos) {
  if (x->npend == 0 && !x->one.has && x->ids.n == 0)
    return txn_set_pos(x, id, pos);
  if (x->npend == x->cappend) {
    size_t cap = x->cappend ? x->cappend * 2 : 64;
    struct pend_pos *p = realloc(x->pend, cap * sizeof *p);
    if (p == NULL) return false;
    x->pend = p;
    x->cappend = cap;
  }
  x->pend[x->npend++] = (struct pend_pos){*id, pos};
  return true;
}

/* The new rows' positions noted into one/ids, in order. */
static bool txn_fold(struct col_txn *x) {
  size_t i = 0;
  while (i < x->npend && txn_set_pos(x, &x->pend[i].id, x->pend[i].pos)) i++;
  if (i < x->npend) { /* (OOM: the rest stays noted) */
    memmove(x->pend, x->pend + i, (x->npend - i) * sizeof *x->pend);
    x->npend -= i;
    return false;
  }
  x->npend = 0;
  return true;
}

/* Note that the transaction hands out positions of table tbl, from
** next (the table's next position before it). */
static bool txn_note_tbl(struct col_txn *x, uint32_t tbl, uint64_t next) {
  for (size_t i = 0; i < x->nntbl; i++)
    if (x->ntbl[i] == tbl) return true;
  if (x->nntbl == x->capntbl) {
    size_t cap = x->capntbl ? x->capntbl * 2 : 4;
    uint32_t *n = realloc(x->ntbl, cap * sizeof *n);
    if (n == NULL) return false;
    x->ntbl = n;
    uint64_t *f = realloc(x->first, cap * sizeof *f);
    if (f == NULL) return false;
    x->first = f;
    x->capntbl = cap;
  }
  x->first[x->nntbl] = next;
  x->ntbl[x->nntbl++] = tbl;
  return true;
}

/* Is position pos of table tbl one this transaction handed out (a new
** row's: its deltas go in the commit's pack, pack_stage)? */
static bool txn_fresh(const struct col_txn *x, uint32_t tbl, uint64_t pos) {
  for (size_t i = 0; i < x->nntbl; i++)
    if (x->ntbl[i] == tbl) return pos >= x->first[i];
  return false;
}

/* Is t's columnar state being rebuilt (positions and columns are then
** the rebuild's)? */
static bool rebuilding(remdb *db, uint32_t tbl) {
  cat_table *ct = cat_by_id(db, tbl);
  return ct == NULL || ct->rebuild != NULL;
}

void col_dir_seen(remdb *db, uint64_t seq, const uuid16_t *id, const void *v,
                  size_t n) {
  struct col_store *c = cs_get(db->st);
  if (c == NULL) return;
  uint64_t pos = 0;
  bool haspos = iddir_pos(v, n, &pos);
  pthread_mutex_lock(&db->st->cmu);
  c->seen.has = true;
  c->seen.tid = db->tid;
  c->seen.id = *id;
  c->seen.seq = seq;
  c->seen.pos = pos;
  c->seen.haspos = haspos;
  pthread_mutex_unlock(&db->st->cmu);
}

/* Entity id's id-directory entry as ent_read saw it, if nothing was
** written since: true, and *has / *pos. */
static bool dir_seen(remdb *db, const uuid16_t *id, bool *has, uint64_t *pos) {
  struct col_store *c = db->st->col;
  if (c == NULL) return false;
  uint64_t seq = kv_latest_seq(db->st->kv);
  pthread_mutex_lock(&db->st->cmu);
  bool ok = c->seen.has && c->seen.tid == db->tid && c->seen.seq == seq &&
            memcmp(c->seen.id.b, id->b, 16) == 0;
  *has = c->seen.haspos;
  *pos = c->seen.pos;
  pthread_mutex_unlock(&db->st->cmu);
  return ok;
}

/* The position of entity id of t as the transaction sees it: 0 and *pos,
** REMDB_NOTFOUND when it has none (format 1 entry, or none at all). */
static int txn_pos(wtx_t *w, struct col_txn *x, const uuid16_t *id,
                   uint64_t *pos) {
  remdb *db = wtx_db(w);
  if (x->npend && !txn_fold(x)) return err_nomem(&db->err);
  size_t i = x->ids.n ? idset_find(&x->ids, id->b) : IDSET_NONE;
  if (i != IDSET_NONE || (x->one.has && memcmp(x->one.id.b, id->b, 16) == 0)) {
    *pos = i != IDSET_NONE ? x->pos[i] : x->one.pos;
    return *pos == UINT64_MAX ? REMDB_NOTFOUND : REMDB_OK;
  }
  bool has;
  /* an update read the entry a moment ago (ent_read): not again */
  if (!dir_seen(db, id, &has, pos)) {
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, id->b);
    kv_val v;
    int rc = kv_get(db->st->kv, NULL, KV_INDEX, dk, sizeof dk, &v, &db->err);
    if (rc) return rc;
    has = iddir_pos(v.data, v.len, pos);
    kv_val_free(&v);
  }
  if (!has) return REMDB_NOTFOUND;
  return txn_set_pos(x, id, *pos) ? REMDB_OK : err_nomem(&db->err);
}

/* Room in x->d for one more delta: false on OOM. */
static bool txn_room(struct col_txn *x) {
  if (x->nd < x->capd) return true;
  size_t cap = x->capd ? x->capd * 2 : 64;
  cdelta *d = realloc(x->d, cap * sizeof *d);
  if (d == NULL) return false;
  x->d = d;
  x->capd = cap;
  return true;
}

/* (ct: t's writer state if the caller has it, else NULL) */
static int stage_delta(wtx_t *w, struct col_txn *x, const sch_table *t,
                       col_tab *ct, uint64_t pos, const uuid16_t *id,
                       const rec_view *rv) {
  remdb *db = wtx_db(w);
  if (ct == NULL) ct = tab_of(db, x, t->table_id);
  uint32_t seg = (uint32_t)(pos >> SEG_SHIFT);
  if (ct == NULL || !seg_room(ct, seg))
    return db->err.code ? db->err.code : err_nomem(&db->err);
  if (!txn_room(x)) return err_nomem(&db->err);
  size_t off = x->imgs.len;
  row_image(t, id, rv, &x->imgs, x->tc);
  if (x->imgs.oom) return err_nomem(&db->err);
  x->d[x->nd++] = (cdelta){t->table_id, PK_NONE, pos, off, x->imgs.len - off};
  /* a new row's delta waits for the commit (pack_stage) */
  if (txn_fresh(x, t->table_id, pos)) return REMDB_OK;
  unsigned char k[KEY_COL_DELTA_LEN];
  key_col_delta(k, db->tid, t->table_id, seg, ct->ep[seg], pos);
  kv_batch_put(wtx_batch(w), KV_COLUMN, k, sizeof k, x->imgs.p + off,
               x->imgs.len - off);
  return REMDB_OK;
}

int col_stage_put(wtx_t *w, const sch_table *t, const uuid16_t *id,
                  const rec_view *old, const rec_view *nw,
                  unsigned char dirval[IDDIR_VAL_LEN], size_t *dirlen) {
  remdb *db = wtx_db(w);
  put_u32be(dirval, t->table_id);
  *dirlen = 4;
  if (*wtx_col(w)) (*wtx_col(w))->mark = (*wtx_col(w))->nd; /* undo: none */
  if (!t->columnar || rebuilding(db, t->table_id)) return REMDB_OK;
  struct col_txn *x = txn_of(w);
  if (x == NULL) return err_nomem(&db->err);
  x->mark = x->nd;
  uint64_t pos;
  int rc;
  col_tab *ct = NULL;
  if (old == NULL) {
    ct = tab_of(db, x, t->table_id);
    if (ct == NULL) return db->err.code ? db->err.code : err_nomem(&db->err);
    if (!txn_note_tbl(x, t->table_id, ct->next)) return err_nomem(&db->err);
    pos = ct->next++;
    x->touched = true;
    if (!txn_new_pos(x, id, pos)) return err_nomem(&db->err);
    iddir_value(dirval, t->table_id, pos);
    *dirlen = IDDIR_VAL_LEN;
  } else {
    rc = txn_pos(w, x, id, &pos);
    if (rc == REMDB_NOTFOUND) return REMDB_OK; /* no position: no columns */
    if (rc) return rc;
    iddir_value(dirval, t->table_id, pos); /* the position it keeps */
    *dirlen = IDDIR_VAL_LEN;
  }
  return stage_delta(w, x, t, ct, pos, id, nw);
}

int col_stage_remove(wtx_t *w, const sch_table *t, const uuid16_t *id) {
  remdb *db = wtx_db(w);
  if (*wtx_col(w)) (*wtx_col(w))->mark = (*wtx_col(w))->nd; /* undo: none */
  if (!t->columnar || rebuilding(db, t->table_id)) return REMDB_OK;
  struct col_txn *x = txn_of(w);
  if (x == NULL) return err_nomem(&db->err);
  x->mark = x->nd;
  uint64_t pos;
  int rc = txn_pos(w, x, id, &pos);
  if (rc == REMDB_NOTFOUND) return REMDB_OK;
  if (rc) return rc;
  if (!txn_set_pos(x, id, UINT64_MAX)) return err_nomem(&db->err);
  return stage_delta(w, x, t, NULL, pos, id, NULL);
}

void col_stage_undo(wtx_t *w) {
  struct col_txn *x = *wtx_col(w);
  if (x == NULL || x->mark >= x->nd) return;
  x->imgs.len = x->d[x->mark].off;
  x->nd = x->mark;
  /* its key is gone with the batch's rollback; a position it took stays
  ** free (invisible) */
}

/* Stage segment seg of t, stored with header sh, with m's rows appended
** (m: positions sh->n .. sh->n + m->n): each column gains m's as a chunk
** (col_chunk_append: its stored bytes copied, nothing decoded or encoded
** again), the header m's visibility and the zones joined; a fresh
** generation.  (A growing tail encoded each row 2.4 times, re-encoding
** its whole segment at each merge.)  sh holds every column of t. */
static int mseg_append(remdb *db, kv_batch_t *kb, const sch_table *t,
                       uint32_t seg, uint32_t epoch, const shdr *sh, mseg *m) {
  uint32_t n = sh->n + m->n;
  buf_t lb[3], *bufs = ms_bufs(m);
  if (bufs == NULL) {
    bufs = lb;
    for (int b = 0; b < 3; b++) buf_init(&lb[b]);
  }
  buf_t *h = &bufs[0], *v = &bufs[1], *ch = &bufs[2];
  buf_reset(h);
  uint64_t gen = new_gen();
  buf_addc(h, 1);
  buf_addc(h, 0);
  add_le(h, m->ncols, 2);
  add_le(h, n, 4);
  add_le(h, gen, 8);
  add_le(h, epoch, 4);
  uint64_t *vis = calloc(COL_WORDS(n) ? COL_WORDS(n) : 1, 8);
  if (vis == NULL) {
    buf_free(h);
    return err_nomem(&db->err);
  }
  memcpy(vis, sh->vis, COL_WORDS(sh->n) * 8);
  if (sh->n & 63) vis[sh->n >> 6] &= ((uint64_t)1 << (sh->n & 63)) - 1;
  for (uint32_t i = 0; i < m->n; i++)
    if (col_bit(m->vis, i)) col_bit_set(vis, sh->n + i, true);
  for (size_t w = 0; w < COL_WORDS(n); w++) add_le(h, vis[w], 8);
  free(vis);
  int rc = REMDB_OK;
  for (uint32_t c = 0; c < m->ncols && rc == REMDB_OK; c++) {
    col_data *cd = &m->cols[c];
    uint16_t field = t->cols[c].field;
    const hcol *hc = NULL;
    for (uint32_t j = 0; j < sh->ncols && hc == NULL; j++)
      if (sh->cols[j].field == field) hc = &sh->cols[j];
    if (hc == NULL || !col_finish(cd)) {
      rc = hc ? err_nomem(&db->err)
              : err_set(&db->err, REMDB_CORRUPT,
                        "column %u of segment %u of %s is missing", field, seg,
                        t->name);
      break;
    }
    col_zone z = hc->z, zn;
    z.rows = sh->n;
    zone_of(cd, m->vis, &zn);
    zone_join(&z, &zn, cd->type);
    hdr_add_col(h, field, cd->type, (hc->flags & 2) || cd->inexact, &z);
    buf_reset(ch);
    col_encode(cd, ch);
    unsigned char k[KEY_COL_MAX];
    size_t kl = key_col(k, db->tid, t->table_id, 'C', seg, field);
    kv_val old;
    rc = ch->oom ? err_nomem(&db->err)
                : kv_get(db->st->kv, NULL, KV_COLUMN, k, kl, &old, &db->err);
    if (rc == REMDB_NOTFOUND)
      rc = err_set(&db->err, REMDB_CORRUPT,
                   "column %u of segment %u of %s is missing", field, seg,
                   t->name);
    if (rc) break;
    buf_reset(v);
    rc = col_chunk_append(old.data, old.len, ch->p, ch->len, v, &db->err);
    kv_val_free(&old);
    if (rc) break;
    kv_batch_put(kb, KV_COLUMN, k, kl, v->p, v->len);
    if (m->ms == NULL) col_free(cd);
    cc_drop_others(db->st, db->tid, t->table_id, seg, field, gen);
  }
  rc = stage_hdr(db, kb, t, seg, h, rc);
  if (bufs == lb)
    for (int b = 0; b < 3; b++) buf_free(&lb[b]);
  return rc;
}

/* Does header sh hold every column of t, of t's types (and no other)? */
static bool hdr_layout(const shdr *sh, const sch_table *t) {
  if (sh->ncols != t->ncols) return false;
  for (uint32_t c = 0; c < t->ncols; c++) {
    const hcol *hc = NULL;
    for (uint32_t j = 0; j < sh->ncols && hc == NULL; j++)
      if (sh->cols[j].field == t->cols[c].field) hc = &sh->cols[j];
    if (hc == NULL || hc->type != t->cols[c].kind) return false;
  }
  return true;
}

/* A delta a merge folds: in-segment index i, its image (the
** transaction's at img, or a stored one copied at off of the merge's
** buffer: img NULL). */
typedef struct mdelta {
  uint32_t i;
  const unsigned char *img;
  size_t off, len;
} mdelta;

static bool md_push(mdelta **md, size_t *nmd, size_t *cap, mdelta d) {
  if (*nmd == *cap) {
    size_t nc = *cap ? *cap * 2 : 1024;
    mdelta *x = realloc(*md, nc * sizeof *x);
    if (x == NULL) return false;
    *md = x;
    *cap = nc;
  }
  (*md)[(*nmd)++] = d;
  return true;
}

/* Merge segment seg of t: its stored segment, its stored deltas and the
** transaction's, into a new segment staged in kb with the deltas'
** deletion.  When the deltas touch only positions past those the segment
** holds (a growing tail), the new rows are appended as a chunk of each
** column (mseg_append); else the segment is decoded, the deltas applied
** and the changed columns encoded again, each as one chunk. */
static int merge_seg(wtx_t *w, struct col_txn *x, const sch_table *t,
                     col_tab *ct, uint32_t seg) {
  remdb *db = wtx_db(w);
  kv_batch_t *kb = wtx_batch(w);
  uint64_t base = (uint64_t)seg << SEG_SHIFT;
  uint64_t end = ct->next - base;
  uint32_t n = end > COL_SEG_ROWS ? COL_SEG_ROWS : (uint32_t)end;
  shdr sh;
  int rc = seg_hdr(db, NULL, t, seg, &sh);
  if (rc) return rc;
  uint32_t nmax = sh.present && sh.n > n ? sh.n : n;
  /* the deltas of the segment's epoch, in the order they apply: folded,
  ** and deleted */
  uint32_t ep = ct->ep[seg];
  unsigned char lo[KEY_COL_DELTA_LEN], hi[KEY_COL_DELTA_LEN];
  key_col_delta(lo, db->tid, t->table_id, seg, ep, 0);
  key_col_delta(hi, db->tid, t->table_id, seg, ep + 1, 0);
  kv_iter_t *it;
  rc = kv_iter_new(db->st->kv, NULL, KV_COLUMN, lo, KEY_COL_DELTA_PREFIX, hi,
                   KEY_COL_DELTA_PREFIX, &it, &db->err);
  if (rc) {
    shdr_free(&sh);
    return rc;
  }
  struct col_store *cs = cs_get(db->st);
  if (cs == NULL) rc = err_nomem(&db->err);
  else if (cs->ms == NULL && (cs->ms = calloc(1, sizeof *cs->ms)) == NULL)
    rc = err_nomem(&db->err);
  mscratch *ms = cs ? cs->ms : NULL;
  if (rc == REMDB_OK && ms->single == NULL &&
      (ms->single = malloc(COL_WORDS(COL_SEG_ROWS) * 8)) == NULL)
    rc = err_nomem(&db->err);
  mdelta *md = ms ? ms->md : NULL;
  size_t nmd = 0, capmd = ms ? ms->capmd : 0;
  buf_t *keep = ms ? &ms->keep : NULL; /* the stored deltas' images */
  if (keep) buf_reset(keep);
  uint32_t lowest = UINT32_MAX; /* the least index a delta changes */
  /* the positions of single deltas seen (a pack's row yields to them) */
  uint64_t *single = ms ? ms->single : NULL;
  if (single) memset(single, 0, COL_WORDS(COL_SEG_ROWS) * 8);
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const unsigned char *v = (const unsigned char *)kv_iter_value(it, &vl);
    if (kl == KEY_COL_PACK_LEN) {
      pack_cur pc;
      uint32_t i;
      const unsigned char *img;
      size_t il;
      int more = pack_open(&pc, v, vl) ? 1 : -1;
      if (more == 1 && pc.ver == 2) {
        /* its rows' indices now, its values applied as they are once the
        ** segment is loaded (mseg_apply_pack) */
        while ((more = pack_skip2(&pc, &i)) == 1)
          if (i < nmax && !col_bit(single, i) && i < lowest) lowest = i;
        if (more == 0 &&
            !md_push(&md, &nmd, &capmd, (mdelta){UINT32_MAX, NULL, keep->len, vl}))
          rc = err_nomem(&db->err);
        buf_add(keep, v, vl);
      }
      while (more == 1 && (more = pack_next(&pc, &i, &img, &il)) == 1) {
        if (i >= nmax || col_bit(single, i)) continue;
        if (i < lowest) lowest = i;
        if (!md_push(&md, &nmd, &capmd, (mdelta){i, NULL, keep->len, il})) {
          rc = err_nomem(&db->err);
          break;
        }
        buf_add(keep, img, il);
      }
      if (more < 0 && rc == REMDB_OK)
        rc = err_set(&db->err, REMDB_CORRUPT,
                     "a column delta pack of segment %u of %s is malformed",
                     seg, t->name);
      continue;
    }
    if (kl != KEY_COL_DELTA_LEN) continue;
    uint64_t i = get_u64be(k + 21) - base;
    if (i >= nmax) continue;
    col_bit_set(single, (uint32_t)i, true);
    if (i < lowest) lowest = (uint32_t)i;
    if (!md_push(&md, &nmd, &capmd, (mdelta){(uint32_t)i, NULL, keep->len, vl}))
      rc = err_nomem(&db->err);
    buf_add(keep, v, vl);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  /* the segment's pending rows (no stored delta; older than the
  ** transaction's deltas, which apply after them), folded in: the list
  ** empties (pend_settle) */
  col_pend *pd = ct->pd;
  if (rc == REMDB_OK && pd && pd->n && (pd->r[0].pos >> SEG_SHIFT) == seg) {
    for (uint32_t k = 0; rc == REMDB_OK && k < pd->n; k++)
      rc = pend_image(db, t, ct, k);
    for (uint32_t k = 0; rc == REMDB_OK && k < pd->n; k++) {
      uint32_t i = (uint32_t)(pd->r[k].pos - base);
      if (i >= nmax) continue;
      if (i < lowest) lowest = i;
      if (!md_push(&md, &nmd, &capmd,
                   (mdelta){i, (const unsigned char *)pd->imgs.p + pd->r[k].off,
                            0, pd->r[k].len}))
        rc = err_nomem(&db->err);
    }
  }
  for (size_t j = 0; rc == REMDB_OK && j < x->nd; j++) {
    const cdelta *d = &x->d[j];
    if (d->tbl != t->table_id || (d->pos >> SEG_SHIFT) != seg) continue;
    if (d->pos - base >= nmax) continue;
    uint32_t i = (uint32_t)(d->pos - base);
    if (i < lowest) lowest = i;
    if (!md_push(&md, &nmd, &capmd,
                 (mdelta){i, (const unsigned char *)x->imgs.p + d->off, 0,
                          d->len}))
      rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK && keep->oom) rc = err_nomem(&db->err);
  /* append: a stored segment of this layout, only new positions changed */
  bool append = rc == REMDB_OK && sh.present && sh.n < n &&
                lowest >= sh.n && hdr_layout(&sh, t);
  uint32_t from = append ? sh.n : 0;
  mseg m;
  memset(&m, 0, sizeof m);
  bool big = false; /* new rows built in the merge's own arrays */
  if (rc == REMDB_OK) {
    /* new rows only (a tail's, a segment's first): in the scratch */
    uint32_t mn = append ? n - sh.n : sh.present && sh.n > n ? sh.n : n;
    size_t need = COL_WORDS(mn) * 8;
    for (uint32_t c = 0; c < t->ncols; c++) {
      uint8_t k = t->cols[c].kind;
      need += COL_WORDS(mn) * 8 +
              (size_t)mn * (k == COLT_ID ? 16 : k == COLT_TEXT ? 4 : 8);
    }
    /* a large transaction's (an import's part) builds in its own arrays
    ** and gives the heap back after, as the merges of a single write
    ** do not (a trim then cost page faults at the writes after) */
    big = need > MSCRATCH_MAX || x->nd >= MERGE_BIG_TXN;
    if (!append && sh.present)
      rc = mseg_load(db, NULL, t, seg, n, &sh, &m);
    else if (big ? !mseg_init(&m, t, mn) : !ms_seg(ms, &m, t, mn))
      rc = err_nomem(&db->err);
    big = (x->nd >= MERGE_BIG_TXN || (big && (append || !sh.present))) &&
          m.n >= 4096;
  }
  for (size_t j = 0; rc == REMDB_OK && j < nmd; j++) {
    const mdelta *d = &md[j];
    const unsigned char *img =
        d->img ? d->img : (const unsigned char *)keep->p + d->off;
    if (d->i == UINT32_MAX) { /* a version-2 pack */
      int pr = mseg_apply_pack(&m, t, from, img, d->len, single, nmax);
      if (pr == -2)
        rc = err_nomem(&db->err);
      else if (pr)
        rc = err_set(&db->err, REMDB_CORRUPT,
                     "a column delta pack of segment %u of %s is malformed",
                     seg, t->name);
      continue;
    }
    if (d->i - from < m.n && !mseg_apply(&m, t, d->i - from, img, d->len))
      rc = err_nomem(&db->err);
  }
  if (ms) {
    ms->md = md;
    ms->capmd = capmd;
  }
  /* the folded deltas (stored, and the transaction's, staged before this
  ** in the batch) go in one range deletion: the epoch keeps them apart
  ** from every other key (a deletion per delta cost a memtable insert
  ** per write) */
  if (rc == REMDB_OK)
    kv_batch_del_range(kb, KV_COLUMN, lo, KEY_COL_DELTA_PREFIX, hi,
                       KEY_COL_DELTA_PREFIX);
  if (rc == REMDB_OK) {
    ct->hn[seg] = from + m.n; /* (forgotten unless the commit succeeds) */
    rc = append ? mseg_append(db, kb, t, seg, ep + 1, &sh, &m)
                : mseg_stage(db, kb, t, seg, ep + 1, &m);
  }
  shdr_free(&sh);
  mseg_free(&m);
  if (ms && (big || ms_bytes(ms) > MSCRATCH_MAX)) {
    /* (big: its images are megabytes too, given back with the rest) */
    ms_free(ms);
    cs->ms = NULL;
  }
  if (big) cs->ms_drop = true;
#ifdef __GLIBC__
  /* glibc's dynamic mmap threshold keeps such arrays in the heap, where
  ** the small allocations after them pin the pages: give them back */
  if (big) malloc_trim(0);
#endif
  return rc;
}

typedef struct fresh_ref {
  uint32_t tbl;
  uint64_t pos;
  size_t j; /* in x->d */
} fresh_ref;

static int fresh_cmp(const void *a, const void *b) {
  const fresh_ref *x = a, *y = b;
  if (x->tbl != y->tbl) return x->tbl < y->tbl ? -1 : 1;
  if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
  return x->j < y->j ? -1 : x->j > y->j;
}

/* Build in v the version-2 pack of the rows rows of segment positions
** ascending that row(ctx, r, ...) gives: false if one does not fit (the
** layout: the first live image's fields; at most CPACK_COLS). */
typedef void (*cpack_src)(const void *ctx, size_t r, uint32_t *idx,
                          const unsigned char **img, size_t *len);
static bool cpack_build(buf_t *v, size_t rows, cpack_src row,
                        const void *ctx) {
  uint16_t fields[CPACK_COLS];
  cval prev[CPACK_COLS];
  uint32_t ncols = 0, idx;
  const unsigned char *img;
  size_t len, room = 0;
  bool layout = false;
  buf_reset(v);
  for (size_t r = 0; r < rows; r++) {
    row(ctx, r, &idx, &img, &len);
    room += len + 12; /* (gap 5, length 5 and 2 bytes over, cpack_row) */
    if (layout || len == 0 || img[0] == ROW_GONE) continue;
    const unsigned char *p = img + 1, *end = img + len;
    rval x;
    while (p < end) {
      if (ncols == CPACK_COLS || !rimg_next(&p, end, &x)) return false;
      fields[ncols++] = x.field;
    }
    layout = true;
  }
  if (!buf_reserve(v, 21 + 2 * (size_t)ncols + room)) return true; /* oom */
  unsigned char *w = (unsigned char *)v->p;
  *w++ = 2;
  w = vput(w, rows);
  w = vput(w, ncols);
  for (uint32_t k = 0; k < ncols; k++) {
    w = put_le(w, fields[k], 2);
    prev[k].tag = CV_NONE;
  }
  uint32_t next = 0;
  for (size_t r = 0; r < rows; r++) {
    row(ctx, r, &idx, &img, &len);
    if (idx < next || idx >= COL_SEG_ROWS ||
        (w = cpack_row(w, prev, fields, ncols, idx - next, img, len)) == NULL)
      return false;
    next = idx + 1;
  }
  v->len = (size_t)(w - (unsigned char *)v->p);
  return true;
}

/* (test hooks: a version-1 pack as version 2, false if it does not fit;
** any pack as version 1: 0, REMDB_CORRUPT if malformed, REMDB_NOMEM) */
typedef struct v1rows {
  uint32_t *idx;
  const unsigned char **img;
  size_t *len;
} v1rows;
static void v1_row(const void *ctx, size_t r, uint32_t *idx,
                   const unsigned char **img, size_t *len) {
  const v1rows *x = ctx;
  *idx = x->idx[r];
  *img = x->img[r];
  *len = x->len[r];
}
bool col_pack_encode(const void *v1, size_t n, buf_t *out);
bool col_pack_encode(const void *v1, size_t n, buf_t *out) {
  pack_cur pc;
  if (!pack_open(&pc, v1, n) || pc.ver != 1) return false;
  size_t rows = pc.left;
  v1rows x = {malloc((rows + 1) * sizeof *x.idx),
              malloc((rows + 1) * sizeof *x.img),
              malloc((rows + 1) * sizeof *x.len)};
  bool ok = x.idx && x.img && x.len;
  for (size_t r = 0; ok && r < rows; r++)
    ok = pack_next(&pc, &x.idx[r], &x.img[r], &x.len[r]) == 1;
  ok = ok && cpack_build(out, rows, v1_row, &x) && !out->oom;
  free(x.idx);
  free(x.img);
  free(x.len);
  return ok;
}
int col_pack_decode(const void *v, size_t n, buf_t *out);
int col_pack_decode(const void *v, size_t n, buf_t *out) {
  pack_cur pc;
  if (!pack_open(&pc, v, n)) return REMDB_CORRUPT;
  buf_reset(out);
  buf_addc(out, 1);
  add_le(out, pc.left, 4);
  uint32_t i;
  const unsigned char *img;
  size_t il;
  int more;
  while ((more = pack_next(&pc, &i, &img, &il)) == 1) {
    add_le(out, i, 2);
    add_le(out, il, 4);
    buf_add(out, img, il);
  }
  pack_close(&pc);
  return more == -2 || out->oom ? REMDB_NOMEM
         : more < 0             ? REMDB_CORRUPT
                                : REMDB_OK;
}

/* (test hook: apply version-2 pack v to an empty segment of t of n
** positions as merges do (mseg_apply_pack) and as row images (pack_next,
** mseg_apply): 1 if both give the same columns, 0 if not, -1 if v is
** malformed or on OOM) */
static bool cd_same(const col_data *a, const col_data *b, uint32_t n) {
  if (a->type != b->type || a->inexact != b->inexact) return false;
  for (uint32_t i = 0; i < n; i++) {
    bool na = col_bit(a->nulls, i);
    if (na != col_bit(b->nulls, i)) return false;
    if (na) continue;
    switch (a->type) {
      case COLT_REAL:
        if (memcmp(&a->f64[i], &b->f64[i], 8)) return false;
        break;
      case COLT_ID:
        if (memcmp(a->id[i], b->id[i], 16)) return false;
        break;
      case COLT_TEXT: {
        uint32_t x = a->code[i], y = b->code[i];
        if (a->dlen[x] != b->dlen[y] ||
            memcmp(a->arena.p + a->doff[x], b->arena.p + b->doff[y],
                   a->dlen[x]))
          return false;
        break;
      }
      default:
        if (a->i64[i] != b->i64[i]) return false;
    }
  }
  return true;
}
int col_pack_apply_check(const sch_table *t, const void *v, size_t vl,
                         uint32_t n);
int col_pack_apply_check(const sch_table *t, const void *v, size_t vl,
                         uint32_t n) {
  mseg a, b;
  pack_cur pc;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&pc, 0, sizeof pc);
  uint64_t *none = calloc(COL_WORDS(COL_SEG_ROWS), 8);
  bool ok = none && mseg_init(&a, t, n) && mseg_init(&b, t, n);
  int rc = ok ? 0 : -1;
  if (ok) {
    memset(a.dirty, 0, t->ncols); /* (as loaded: the compare path too) */
    memset(b.dirty, 0, t->ncols);
    rc = mseg_apply_pack(&a, t, 0, v, vl, none, n) ? -1 : 0;
  }
  uint32_t i;
  const unsigned char *img;
  size_t il;
  int more = rc == 0 && pack_open(&pc, v, vl) ? 1 : -1;
  while (more == 1 && (more = pack_next(&pc, &i, &img, &il)) == 1)
    if (i < n && !mseg_apply(&b, t, i, img, il)) more = -2;
  if (more == 0) {
    rc = memcmp(a.vis, b.vis, COL_WORDS(n) * 8) == 0;
    for (uint32_t c = 0; rc == 1 && c < t->ncols; c++)
      rc = cd_same(&a.cols[c], &b.cols[c], n);
  } else {
    rc = -1;
  }
  pack_close(&pc);
  mseg_free(&a);
  mseg_free(&b);
  free(none);
  return rc;
}

/* pack_stage's rows: the latest of each position of its refs (sorted) */
typedef struct fresh_rows {
  const struct col_txn *x;
  const size_t *j; /* in x->d */
} fresh_rows;
static void fresh_row(const void *ctx, size_t r, uint32_t *idx,
                      const unsigned char **img, size_t *len);

/* Does delta d go in the commit's pack (a new row's not listed as
** pending, or a pending row's adopted)? */
static inline bool packed(const struct col_txn *x, const cdelta *d) {
  return d->pk == PK_ADOPTED ||
         (d->pk == PK_NONE && txn_fresh(x, d->tbl, d->pos));
}

/* The entity id of a live or deleted row image (its first column, the
** id: schema.c): true and *id. */
static bool image_id(const unsigned char *img, size_t len, uuid16_t *id) {
  if (len < 20 || img[0] == ROW_GONE || get_le(img + 1, 2) != 0 ||
      img[3] != TAG_ID)
    return false;
  memcpy(id->b, img + 4, 16);
  return true;
}

/* Settle the pending rows of the tables this commit changes (after its
** merges, before pack_stage): a row it writes is taken off the list (its
** single delta is staged); its new rows join the list when they fit
** (then no key of their own: PK_PENDED); else the listed rows are
** adopted (their images join the transaction's deltas, PK_ADOPTED, for
** the pack) and the list empties.  A merge of the list's segment folded
** it in (merge_seg): empty. */
static int pend_settle(wtx_t *w, struct col_txn *x) {
  remdb *db = wtx_db(w);
  size_t nd = x->nd; /* (adopted deltas are appended) */
  for (size_t j0 = 0; j0 < nd; j0++) {
    uint32_t tbl = x->d[j0].tbl;
    if (j0 && x->d[j0 - 1].tbl == tbl) continue;
    bool seen = false;
    for (size_t k = 0; k < j0 && !seen; k++) seen = x->d[k].tbl == tbl;
    if (seen) continue;
    col_tab *ct = tab_of(db, x, tbl);
    if (ct == NULL) return db->err.code ? db->err.code : err_nomem(&db->err);
    col_pend *pd = ct->pd;
    if (pd && pd->n && ct->nd[pd->r[0].pos >> SEG_SHIFT] == UINT32_MAX)
      pend_clear(ct); /* merged */
    /* the new rows (their latest images), and the listed rows written */
    uint64_t fp[CNT_PEND_LIMIT];
    size_t fj[CNT_PEND_LIMIT];
    uint32_t nf = 0;
    bool fits = col_pend_max > 0, fresh = false;
    for (size_t j = j0; j < nd; j++) {
      const cdelta *d = &x->d[j];
      if (d->tbl != tbl) continue;
      if (!txn_fresh(x, tbl, d->pos)) {
        if (pd && pd->n) pend_drop(ct, d->pos);
        continue;
      }
      fresh = true;
      if (!fits) continue;
      uint32_t k = 0;
      while (k < nf && fp[k] != d->pos) k++;
      if (k == nf) {
        if (nf == col_pend_max) {
          fits = false;
          continue;
        }
        fp[nf++] = d->pos;
      }
      fj[k] = j;
    }
    /* no new rows: the list stays (less the rows written), but not for
    ** long: a table only updated carries it in every counter it writes,
    ** until PEND_IDLE such commits adopt it */
    if (fresh) {
      ct->pidle = 0;
    } else {
      if (pd == NULL || pd->n == 0 || ++ct->pidle < PEND_IDLE) continue;
      fits = false;
    }
    uint32_t np = pd ? pd->n : 0;
    uint32_t seg = nf ? (uint32_t)(fp[0] >> SEG_SHIFT) : 0;
    fits = fits && nf && np + nf <= col_pend_max && ct->nd[seg] != UINT32_MAX &&
           (np == 0 || (uint32_t)(pd->r[0].pos >> SEG_SHIFT) == seg);
    for (uint32_t k = 0; fits && k < nf; k++) {
      const cdelta *d = &x->d[fj[k]];
      /* (a new row hard-deleted again has no record to read it from) */
      fits = (uint32_t)(fp[k] >> SEG_SHIFT) == seg && d->len > 0 &&
             x->imgs.p[d->off] != ROW_GONE;
    }
    uuid16_t fid[CNT_PEND_LIMIT];
    for (uint32_t k = 0; fits && k < nf; k++)
      fits = image_id((const unsigned char *)x->imgs.p + x->d[fj[k]].off,
                      x->d[fj[k]].len, &fid[k]);
    if (fits && pd == NULL) {
      if ((pd = ct->pd = calloc(1, sizeof *pd)) == NULL)
        return err_nomem(&db->err);
      buf_init(&pd->imgs);
    }
    if (fits) {
      /* positions ascending: the list's are older, the new ones sorted */
      for (uint32_t a = 1; a < nf; a++)
        for (uint32_t b = a; b > 0 && fp[b - 1] > fp[b]; b--) {
          uint64_t tp = fp[b];
          fp[b] = fp[b - 1];
          fp[b - 1] = tp;
          size_t tj = fj[b];
          fj[b] = fj[b - 1];
          fj[b - 1] = tj;
          uuid16_t ti = fid[b];
          fid[b] = fid[b - 1];
          fid[b - 1] = ti;
        }
      for (uint32_t k = 0; k < nf; k++) {
        const cdelta *d = &x->d[fj[k]];
        size_t off = pd->imgs.len;
        buf_add(&pd->imgs, x->imgs.p + d->off, d->len);
        if (pd->imgs.oom) {
          /* (the state is forgotten: the commit fails) */
          pd->imgs.oom = false;
          return err_nomem(&db->err);
        }
        pd->r[pd->n++] = (pend_row){fp[k], fid[k], off, d->len};
      }
      for (size_t j = j0; j < nd; j++) /* every image of those rows */
        if (x->d[j].tbl == tbl && txn_fresh(x, tbl, x->d[j].pos))
          x->d[j].pk = PK_PENDED;
      continue;
    }
    /* adopt the listed rows: they go out with the new ones */
    cat_table *cat = cat_by_id(db, tbl);
    for (uint32_t k = 0; cat && pd && k < pd->n; k++) {
      int rc = pend_image(db, cat->s, ct, k);
      if (rc) return rc;
      if (!txn_room(x)) return err_nomem(&db->err);
      size_t off = x->imgs.len;
      buf_add(&x->imgs, pd->imgs.p + pd->r[k].off, pd->r[k].len);
      if (x->imgs.oom) return err_nomem(&db->err);
      x->d[x->nd++] =
          (cdelta){tbl, PK_ADOPTED, pd->r[k].pos, off, pd->r[k].len};
    }
    pend_clear(ct);
  }
  return REMDB_OK;
}

/* Stage the transaction's new rows' deltas (stage_delta left them out of
** the batch), the latest of each position, per segment not merged by this
** commit: one delta key for a lone row, else one pack.  A bulk insert's
** key, memtable insert and WAL record per row were a fifth of what the
** columns cost it.  Rows listed as pending are left out; adopted pending
** rows go in. */
static int pack_stage(wtx_t *w, struct col_txn *x) {
  remdb *db = wtx_db(w);
  size_t nf = 0;
  for (size_t j = 0; j < x->nd; j++) nf += packed(x, &x->d[j]);
  if (nf == 0) return REMDB_OK;
  if (nf == 1) { /* a single-row insert: its delta key, nothing to sort */
    size_t j = 0;
    while (!packed(x, &x->d[j])) j++;
    const cdelta *d = &x->d[j];
    col_tab *ct = tab_of(db, x, d->tbl);
    uint32_t seg = (uint32_t)(d->pos >> SEG_SHIFT);
    if (ct == NULL) return db->err.code ? db->err.code : err_nomem(&db->err);
    if (ct->nd[seg] == UINT32_MAX) return REMDB_OK; /* merged: folded in */
    unsigned char k[KEY_COL_DELTA_LEN];
    key_col_delta(k, db->tid, d->tbl, seg, ct->ep[seg], d->pos);
    kv_batch_put(wtx_batch(w), KV_COLUMN, k, sizeof k, x->imgs.p + d->off,
                 d->len);
    return REMDB_OK;
  }
  fresh_ref *f = malloc(nf * sizeof *f);
  if (f == NULL) return err_nomem(&db->err);
  nf = 0;
  bool sorted = true;
  for (size_t j = 0; j < x->nd; j++) {
    const cdelta *d = &x->d[j];
    if (!packed(x, d)) continue;
    f[nf] = (fresh_ref){d->tbl, d->pos, j};
    if (nf && fresh_cmp(&f[nf - 1], &f[nf]) > 0) sorted = false;
    nf++;
  }
  if (!sorted) qsort(f, nf, sizeof *f, fresh_cmp);
  buf_t v;
  buf_init(&v);
  size_t *latest = NULL; /* a segment's latest delta of each position */
  int rc = REMDB_OK;
  for (size_t a = 0, b; rc == REMDB_OK && a < nf; a = b) {
    uint32_t seg = (uint32_t)(f[a].pos >> SEG_SHIFT);
    for (b = a + 1; b < nf && f[b].tbl == f[a].tbl &&
                    (uint32_t)(f[b].pos >> SEG_SHIFT) == seg;
         b++) {
    }
    col_tab *ct = tab_of(db, x, f[a].tbl);
    if (ct == NULL) {
      rc = db->err.code ? db->err.code : err_nomem(&db->err);
      break;
    }
    if (ct->nd[seg] == UINT32_MAX) continue; /* merged: folded in */
    /* the latest delta of each position: the last of its run */
    size_t rows = 0, last = a;
    for (size_t i = a; i < b; i++)
      if (i + 1 == b || f[i + 1].pos != f[i].pos) {
        rows++;
        last = i;
      }
    const cdelta *ld = &x->d[f[last].j];
    if (rows == 1) {
      unsigned char k[KEY_COL_DELTA_LEN];
      key_col_delta(k, db->tid, ld->tbl, seg, ct->ep[seg], ld->pos);
      kv_batch_put(wtx_batch(w), KV_COLUMN, k, sizeof k, x->imgs.p + ld->off,
                   ld->len);
      continue;
    }
    size_t *lj = realloc(latest, (rows ? rows : 1) * sizeof *lj);
    if (lj == NULL) {
      rc = err_nomem(&db->err);
      break;
    }
    latest = lj;
    for (size_t i = a, r = 0; i < b; i++)
      if (i + 1 == b || f[i + 1].pos != f[i].pos) latest[r++] = f[i].j;
    fresh_rows fr = {x, latest};
    if (!cpack_build(&v, rows, fresh_row, &fr)) {
      /* a row of another layout (or over CPACK_COLS columns): version 1 */
      buf_reset(&v);
      buf_addc(&v, 1);
      add_le(&v, rows, 4);
      for (size_t i = a; i < b; i++) {
        if (i + 1 < b && f[i + 1].pos == f[i].pos) continue;
        const cdelta *d = &x->d[f[i].j];
        add_le(&v, d->pos & (COL_SEG_ROWS - 1), 2);
        add_le(&v, d->len, 4);
        buf_add(&v, x->imgs.p + d->off, d->len);
      }
    }
    if (v.oom) {
      rc = err_nomem(&db->err);
      break;
    }
    unsigned char k[KEY_COL_PACK_LEN];
    key_col_pack(k, db->tid, ld->tbl, seg, ct->ep[seg], ld->pos);
    kv_batch_put(wtx_batch(w), KV_COLUMN, k, sizeof k, v.p, v.len);
  }
  buf_free(&v);
  free(latest);
  free(f);
  return rc;
}

static void fresh_row(const void *ctx, size_t r, uint32_t *idx,
                      const unsigned char **img, size_t *len) {
  const fresh_rows *fr = ctx;
  const cdelta *d = &fr->x->d[fr->j[r]];
  *idx = (uint32_t)(d->pos & (COL_SEG_ROWS - 1));
  *img = (const unsigned char *)fr->x->imgs.p + d->off;
  *len = d->len;
}

int col_before_commit(wtx_t *w) {
  struct col_txn *x = *wtx_col(w);
  remdb *db = wtx_db(w);
  if (x == NULL || (x->nd == 0 && x->nntbl == 0)) return REMDB_OK;
  /* count the deltas per segment; merge the segments over the bound */
  x->touched = true;
  col_tab *ct = NULL; /* the state of the table of the delta before */
  for (size_t j = 0; j < x->nd; j++) {
    const cdelta *d = &x->d[j];
    /* (not a lookup per delta, ~110 instructions each; only a table
    ** loaded since may move the states) */
    if (ct == NULL || ct->tbl != d->tbl || ct->tid != db->tid)
      ct = tab_of(db, x, d->tbl);
    uint32_t seg = (uint32_t)(d->pos >> SEG_SHIFT);
    if (ct == NULL || !seg_room(ct, seg))
      return db->err.code ? db->err.code : err_nomem(&db->err);
    if (ct->nd[seg] == UINT32_MAX) continue; /* merged */
    /* the last segment grows by appends: it merges when its deltas pass
    ** twice what it holds merged (up to TAIL_MERGE_MAX): at 8k, 24k, 56k
    ** and 64k rows, each merge of new rows only appending them as a
    ** chunk (mseg_append: a row encoded once), so a segment holds four
    ** chunks, and readers few deltas */
    uint32_t bound = col_merge_rows;
    if (seg == (uint32_t)((ct->next - 1) >> SEG_SHIFT) &&
        2 * (uint64_t)ct->hn[seg] > bound)
      bound = 2 * (uint64_t)ct->hn[seg] < col_tail_merge_max
                  ? 2 * ct->hn[seg]
                  : col_tail_merge_max;
    if (++ct->nd[seg] < bound) continue;
    cat_table *cat = cat_by_id(db, d->tbl);
    if (cat == NULL) continue;
    int rc = merge_seg(w, x, cat->s, ct, seg);
    if (rc) return rc;
    ct->nd[seg] = UINT32_MAX; /* merged: 0 once committed */
    x->merged = true;
  }
  /* a segment this transaction filled merges now: no more new rows come
  ** to it, so its last deltas (up to the tail bound, 32k rows) would
  ** otherwise stay deltas until an update of one of its rows, on disk
  ** as row images (a 1M-row table kept 104k rows so, half of its
  ** columns' size) and read by every reader that opens its snapshot */
  for (size_t i = 0; i < x->nntbl; i++) {
    ct = tab_of(db, x, x->ntbl[i]);
    if (ct == NULL) return db->err.code ? db->err.code : err_nomem(&db->err);
    for (uint64_t s = x->first[i] >> SEG_SHIFT;
         ((s + 1) << SEG_SHIFT) <= ct->next; s++) {
      uint32_t seg = (uint32_t)s;
      if (!seg_room(ct, seg)) return err_nomem(&db->err);
      if (ct->nd[seg] == 0 || ct->nd[seg] == UINT32_MAX) continue;
      cat_table *cat = cat_by_id(db, x->ntbl[i]);
      if (cat == NULL) continue;
      int rc = merge_seg(w, x, cat->s, ct, seg);
      if (rc) return rc;
      ct->nd[seg] = UINT32_MAX;
      x->merged = true;
    }
  }
  int rc = pend_settle(w, x);
  if (rc == REMDB_OK) rc = pack_stage(w, x);
  if (rc == REMDB_OK && col_test_commit_fail && col_test_commit_fail())
    rc = err_set(&db->err, REMDB_IO, "injected commit failure (test)");
  return rc;
}

int (*col_test_commit_fail)(void);

int col_cnt_tail(wtx_t *w, uint32_t tbl, unsigned char *tail, size_t *tlen) {
  remdb *db = wtx_db(w);
  *tlen = 0;
  cat_table *cat = cat_by_id(db, tbl);
  /* (a table being rebuilt: its counter is staged afresh, without) */
  if (cat == NULL || !cat->s->columnar || cat->rebuild) return REMDB_OK;
  struct col_txn *x = *wtx_col(w);
  col_tab *ct = x ? tab_of(db, x, tbl) : tab_state(db, tbl);
  if (ct == NULL) return db->err.code ? db->err.code : err_nomem(&db->err);
  const col_pend *pd = ct->pd;
  if (pd == NULL || pd->n == 0) return REMDB_OK;
  uint64_t base = pd->r[0].pos >> SEG_SHIFT << SEG_SHIFT;
  tail[0] = (unsigned char)pd->n;
  put_u32be(tail + 1, (uint32_t)(base >> SEG_SHIFT));
  unsigned char *p = tail + 5;
  for (uint32_t i = 0; i < pd->n; i++, p += 18) {
    put_u16be(p, (uint16_t)(pd->r[i].pos - base));
    memcpy(p + 2, pd->r[i].id.b, 16);
  }
  *tlen = (size_t)(p - tail);
  return REMDB_OK;
}

void col_after_commit(wtx_t *w, bool committed) {
  struct col_txn *x = *wtx_col(w);
  /* (called again by the reset after a commit: nothing left) */
  if (x == NULL || (!x->touched && x->nd == 0 && x->nntbl == 0 &&
                    x->ids.n == 0 && !x->one.has && x->npend == 0))
    return;
  remdb *db = wtx_db(w);
  if (x->touched) {
    struct col_store *cs = db->st->col;
    if (cs && cs->ms_drop) { /* (an import's part: not held while it stages
                             ** the next) */
      ms_free(cs->ms);
      cs->ms = NULL;
      cs->ms_drop = false;
    }
    if (!committed) {
      tab_forget(db, 0); /* reload from storage */
    } else if (x->merged) {
      struct col_store *c = db->st->col;
      for (size_t i = 0; c && i < c->ntabs; i++)
        for (uint32_t s = 0; s < c->tabs[i].capseg; s++)
          if (c->tabs[i].nd[s] == UINT32_MAX) { /* merged */
            c->tabs[i].nd[s] = 0;
            c->tabs[i].ep[s]++;
          }
    }
  }
  if (x->ids.n) idset_clear(&x->ids);
  x->one.has = false;
  x->npend = 0;
  x->nd = x->nntbl = 0;
  buf_reset(&x->imgs);
  x->touched = x->merged = false;
}

/* ---- rebuilding a table's columns (reindex, schema change, upgrade) ---- */

struct col_build {
  const sch_table *t;
  uint64_t next;
  mseg m;
  bool open;
  buf_t img;
  ts_slot tc[TS_SLOTS]; /* (row_image) */
};

int col_build_begin(remdb *db, const sch_table *t, kv_batch_t *kb,
                    col_build **out) {
  assert(core_locked(db));
  col_build *b = calloc(1, sizeof *b);
  if (b == NULL) return err_nomem(&db->err);
  b->t = t;
  buf_init(&b->img);
  unsigned char lo[KEY_COL_PREFIX], hi[KEY_COL_PREFIX];
  key_col_table(lo, db->tid, t->table_id);
  key_col_table(hi, db->tid, t->table_id + 1);
  kv_batch_del_range(kb, KV_COLUMN, lo, sizeof lo, hi, sizeof hi);
  tab_forget(db, t->table_id);
  *out = b;
  return REMDB_OK;
}

static int build_flush(remdb *db, col_build *b, kv_batch_t *kb) {
  if (!b->open) return REMDB_OK;
  uint32_t seg = (uint32_t)((b->next - 1) >> SEG_SHIFT);
  uint32_t n = (uint32_t)(b->next - ((uint64_t)seg << SEG_SHIFT));
  /* shrink to the positions used */
  b->m.n = n;
  for (uint32_t c = 0; c < b->m.ncols; c++) b->m.cols[c].n = n;
  int rc = mseg_stage(db, kb, b->t, seg, 0, &b->m);
  mseg_free(&b->m);
  b->open = false;
  return rc;
}

int col_build_row(remdb *db, col_build *b, kv_batch_t *kb, const uuid16_t *id,
                  const rec_view *rv, unsigned char dirval[IDDIR_VAL_LEN],
                  size_t *dirlen) {
  put_u32be(dirval, b->t->table_id);
  *dirlen = 4;
  if (!b->t->columnar) return REMDB_OK;
  uint64_t pos = b->next++;
  iddir_value(dirval, b->t->table_id, pos);
  *dirlen = IDDIR_VAL_LEN;
  if (!b->open) {
    if (!mseg_init(&b->m, b->t, COL_SEG_ROWS)) {
      mseg_free(&b->m);
      return err_nomem(&db->err);
    }
    b->open = true;
  }
  buf_reset(&b->img);
  row_image(b->t, id, rv, &b->img, b->tc);
  if (b->img.oom ||
      !mseg_apply(&b->m, b->t, (uint32_t)(pos & (COL_SEG_ROWS - 1)),
                  (const unsigned char *)b->img.p, b->img.len))
    return err_nomem(&db->err);
  if ((b->next & (COL_SEG_ROWS - 1)) == 0) return build_flush(db, b, kb);
  return REMDB_OK;
}

int col_build_end(remdb *db, col_build *b, kv_batch_t *kb) {
  int rc = build_flush(db, b, kb);
  tab_forget(db, b->t->table_id);
  return rc;
}

void col_build_free(col_build *b) {
  if (b == NULL) return;
  mseg_free(&b->m);
  buf_free(&b->img);
  free(b);
}

void col_drop_stage(remdb *db, kv_batch_t *kb, uint32_t tbl) {
  unsigned char lo[KEY_COL_PREFIX], hi[KEY_COL_PREFIX];
  key_col_table(lo, db->tid, tbl);
  key_col_table(hi, db->tid, tbl + 1);
  kv_batch_del_range(kb, KV_COLUMN, lo, sizeof lo, hi, sizeof hi);
  tab_forget(db, tbl);
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct rdelta {
  uint64_t pos;
  size_t off, len;
} rdelta;

struct col_reader {
  remdb *db;
  /* where its errors go: the handle's slot, or a clone's own (eown), so
  ** that readers on other threads never write the handle's */
  err_t *err;
  err_t eown;
  const snap_t *snap;
  const sch_table *t;
  uint64_t npos;
  uint32_t nsegs;
  shdr *hdr;        /* per segment */
  size_t *d0, *dn;  /* per segment: its deltas d[d0 .. d0 + dn) */
  rdelta *d;
  size_t nd;
  buf_t imgs;
  bool *inexact;    /* per column */
  /* the current segment */
  int64_t cur;
  uint32_t curn;
  uint64_t *vis;     /* owned when the segment has deltas */
  const uint64_t *visp;
  col_data *own;     /* per column, owned copies (deltas applied) */
  bool *have;
  cc_ent **pin;      /* per column, the cached base in use */
  char **zkeep;      /* TEXT zone bounds handed out (freed at close) */
  size_t nzkeep;
  struct rshare *share; /* the opened state above is this shared one's */
  bool clone; /* a colr_clone: the opened state is its origin's */
};

/* ---- opened states shared between readers --------------------------------
** Opening a reader reads every segment header and pending delta of the
** table (thousands of deltas: most of an indexed lookup's time).  Two
** snapshots with the same kv_snap_seq hold the same data, so the state a
** reader opened (npos, headers, deltas, inexact) is kept per table, with
** the column layout it was read for, and a reader of the same state and
** layout shares it (reference counted, immutable once built; under cmu).
** The latest state per table is kept; a replaced one goes with its last
** reader.  Its bytes count in the column cache's (column_cache_bytes)
** from when it is kept until it is freed, and one no reader holds is
** evicted with the decoded columns, least recently used first, so many
** tables (or snapshots) keep the memory under the same bound. */
typedef struct rshare {
  uint32_t tid, tbl;
  uint64_t seq;
  uint32_t ncols;
  sch_col *cols; /* the layout (field, kind) the state was read for */
  unsigned refs;
  bool cached; /* still in the store's list */
  size_t bytes; /* counted in the store's */
  uint64_t tick;
  uint64_t npos;
  uint32_t nsegs;
  shdr *hdr;
  size_t *d0, *dn;
  rdelta *d;
  size_t nd;
  buf_t imgs;
  bool *inexact;
  struct rshare *next;
} rshare;

static void share_free(rshare *sh) {
  for (uint32_t g = 0; sh->hdr && g < sh->nsegs; g++) shdr_free(&sh->hdr[g]);
  free(sh->hdr);
  free(sh->d0);
  free(sh->dn);
  free(sh->d);
  buf_free(&sh->imgs);
  free(sh->inexact);
  free(sh->cols);
  free(sh);
}

static void shares_free(rshare *sh) {
  for (rshare *nx; sh; sh = nx) {
    nx = sh->next;
    share_free(sh);
  }
}

/* The memory of r's opened state (as a share would hold it). */
static size_t share_bytes(const col_reader *r) {
  size_t b = sizeof(rshare) + r->t->ncols * (sizeof(sch_col) + 1) +
             (size_t)r->nsegs * (sizeof(shdr) + 2 * sizeof(size_t)) +
             r->nd * sizeof(rdelta) + r->imgs.cap;
  for (uint32_t g = 0; g < r->nsegs; g++)
    if (r->hdr[g].present)
      b += r->hdr[g].rawlen + COL_WORDS(r->hdr[g].n) * 8 +
           r->hdr[g].ncols * sizeof(hcol);
  return b;
}

/* Evict the least recently used kept state no reader holds, if it was
** used before tick older_than (cmu held): true if one went. */
static bool share_evict(struct col_store *c, uint64_t older_than) {
  rshare **victim = NULL;
  for (rshare **p = &c->shares; *p; p = &(*p)->next)
    if ((*p)->refs == 0 && (*p)->tick < older_than &&
        (!victim || (*p)->tick < (*victim)->tick))
      victim = p;
  if (victim == NULL) return false;
  rshare *o = *victim;
  *victim = o->next;
  c->bytes -= o->bytes;
  share_free(o);
  return true;
}

static bool same_layout(const rshare *sh, const sch_table *t) {
  if (sh->ncols != t->ncols) return false;
  for (uint32_t c = 0; c < t->ncols; c++)
    if (sh->cols[c].field != t->cols[c].field ||
        sh->cols[c].kind != t->cols[c].kind)
      return false;
  return true;
}

/* Give r the shared state of (its table, seq), if kept: true. */
static bool share_take(col_reader *r, uint64_t seq) {
  store_t *st = r->db->st;
  struct col_store *c = cs_get(st);
  if (c == NULL) return false;
  pthread_mutex_lock(&st->cmu);
  rshare *sh = c->shares;
  while (sh && !(sh->tid == r->db->tid && sh->tbl == r->t->table_id &&
                 sh->seq == seq && same_layout(sh, r->t)))
    sh = sh->next;
  if (sh) {
    sh->refs++;
    sh->tick = ++c->tick;
  }
  pthread_mutex_unlock(&st->cmu);
  if (sh == NULL) return false;
  r->share = sh;
  r->npos = sh->npos;
  r->nsegs = sh->nsegs;
  r->hdr = sh->hdr;
  r->d0 = sh->d0;
  r->dn = sh->dn;
  r->d = sh->d;
  r->nd = sh->nd;
  r->imgs = sh->imgs;
  r->inexact = sh->inexact;
  return true;
}

/* Make r's freshly opened state the shared one of (its table, seq),
** replacing the table's previous one.  On OOM r keeps its own. */
static void share_put(col_reader *r, uint64_t seq) {
  store_t *st = r->db->st;
  struct col_store *c = cs_get(st);
  rshare *sh = calloc(1, sizeof *sh);
  sch_col *cols = malloc((r->t->ncols ? r->t->ncols : 1) * sizeof *cols);
  if (c == NULL || sh == NULL || cols == NULL) {
    free(sh);
    free(cols);
    return;
  }
  if (r->t->ncols) memcpy(cols, r->t->cols, r->t->ncols * sizeof *cols);
  *sh = (rshare){r->db->tid, r->t->table_id, seq, r->t->ncols, cols, 1, true,
                 share_bytes(r), 0, r->npos, r->nsegs, r->hdr, r->d0, r->dn,
                 r->d, r->nd, r->imgs, r->inexact, NULL};
  r->share = sh;
  pthread_mutex_lock(&st->cmu);
  for (rshare **p = &c->shares; *p;) {
    rshare *o = *p;
    if (o->tid == sh->tid && o->tbl == sh->tbl) {
      *p = o->next;
      o->cached = false;
      if (o->refs == 0) {
        c->bytes -= o->bytes;
        share_free(o);
      }
    } else {
      p = &o->next;
    }
  }
  sh->next = c->shares;
  c->shares = sh;
  sh->tick = ++c->tick;
  c->bytes += sh->bytes;
  cc_evict(st, c);
  pthread_mutex_unlock(&st->cmu);
}

static void share_release(store_t *st, rshare *sh) {
  pthread_mutex_lock(&st->cmu);
  bool gone = --sh->refs == 0 && !sh->cached;
  if (gone) st->col->bytes -= sh->bytes;
  else if (sh->refs == 0) cc_evict(st, st->col); /* over the bound? */
  pthread_mutex_unlock(&st->cmu);
  if (gone) share_free(sh);
}

static uint32_t seg_positions(const col_reader *r, uint32_t seg) {
  uint64_t left = r->npos - ((uint64_t)seg << SEG_SHIFT);
  return left > COL_SEG_ROWS ? COL_SEG_ROWS : (uint32_t)left;
}

static void drop_current(col_reader *r) {
  for (uint32_t c = 0; c < r->t->ncols; c++) {
    if (r->have[c]) col_free(&r->own[c]);
    r->have[c] = false;
    cc_release(r->db->st, r->pin[c]);
    r->pin[c] = NULL;
  }
  free(r->vis);
  r->vis = NULL;
  r->visp = NULL;
  r->cur = -1;
}

void colr_close(col_reader *r) {
  if (r == NULL) return;
  if (r->have) drop_current(r);
  if (r->share) {
    share_release(r->db->st, r->share);
  } else if (!r->clone) {
    for (uint32_t s = 0; r->hdr && s < r->nsegs; s++) shdr_free(&r->hdr[s]);
    free(r->hdr);
    free(r->d0);
    free(r->dn);
    free(r->d);
    buf_free(&r->imgs);
    free(r->inexact);
  }
  for (size_t i = 0; i < r->nzkeep; i++) free(r->zkeep[i]);
  free(r->zkeep);
  free(r->own);
  free(r->have);
  free(r->pin);
  free(r);
}

/* Add the delta of position pos (image img) to r's list. */
static int reader_delta(col_reader *r, uint64_t pos, const unsigned char *img,
                        size_t len, size_t *capd) {
  if (r->nd == *capd) {
    size_t cap = *capd ? *capd * 2 : 256;
    rdelta *d = realloc(r->d, cap * sizeof *d);
    if (d == NULL) return err_nomem(&r->db->err);
    r->d = d;
    *capd = cap;
  }
  r->d[r->nd++] = (rdelta){pos, r->imgs.len, len};
  buf_add(&r->imgs, img, len);
  image_mark_inexact(r->t, img, len, r->inexact);
  return REMDB_OK;
}

static int rdelta_cmp(const void *a, const void *b) {
  const rdelta *x = a, *y = b;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Add the pending rows pl (of segment sg, whose deltas r holds sorted
** from d0[sg]) as deltas: each row's image from its entity record at r's
** snapshot (read in one batched call); a delta of its own (none, if the
** writer is right) wins. */
static int reader_pend(col_reader *r, const pendl *pl, uint32_t sg,
                       size_t *capd) {
  remdb *db = r->db;
  size_t d0 = r->d0[sg], end = r->nd;
  unsigned char ek[CNT_PEND_LIMIT][KEY_ENTITY_LEN];
  const char *kp[CNT_PEND_LIMIT];
  size_t kl[CNT_PEND_LIMIT];
  uint32_t which[CNT_PEND_LIMIT], m = 0;
  for (uint32_t i = 0; i < pl->n; i++) {
    uint64_t pos = pl->pos[i];
    size_t lo = d0, hi = end;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (r->d[mid].pos < pos)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < end && r->d[lo].pos == pos) continue;
    key_entity(ek[m], db->tid, r->t->table_id, pl->id[i].b);
    kp[m] = (const char *)ek[m];
    kl[m] = KEY_ENTITY_LEN;
    which[m++] = i;
  }
  if (m == 0) return REMDB_OK;
  kv_val vals[CNT_PEND_LIMIT];
  bool found[CNT_PEND_LIMIT];
  int rc = kv_multi_get(db->st->kv, r->snap->kv, KV_ENTITY, m, kp, kl, vals,
                        found, &db->err);
  if (rc) return rc;
  bool sorted = true;
  buf_t img;
  buf_init(&img);
  for (uint32_t k = 0; k < m; k++) {
    uint32_t i = which[k];
    if (rc == REMDB_OK && !found[k]) {
      char ids[REMDB_ID_LEN + 1];
      uuid_format(&pl->id[i], ids);
      rc = err_set(&db->err, REMDB_CORRUPT,
                   "%s: pending row %llu (entity %s) has no record",
                   r->t->name, (unsigned long long)pl->pos[i], ids);
    }
    if (!found[k]) continue;
    rec_view rv;
    if (rc == REMDB_OK) rc = rec_open(&rv, vals[k].data, vals[k].len, &db->err);
    if (rc == REMDB_OK) {
      buf_reset(&img);
      row_image(r->t, &pl->id[i], &rv, &img, NULL);
      if (r->nd > d0 && r->d[r->nd - 1].pos > pl->pos[i]) sorted = false;
      rc = img.oom ? err_nomem(&db->err)
                   : reader_delta(r, pl->pos[i], (const unsigned char *)img.p,
                                  img.len, capd);
    }
    kv_val_free(&vals[k]);
  }
  buf_free(&img);
  if (rc == REMDB_OK && !sorted)
    qsort(r->d + d0, r->nd - d0, sizeof *r->d, rdelta_cmp);
  r->dn[sg] = r->nd - d0;
  return rc;
}

int colr_open(remdb *db, const snap_t *snap, const sch_table *t,
              col_reader **out) {
  *out = NULL;
  if (!t->columnar)
    return err_set(&db->err, REMDB_NOTFOUND,
                   "%s keeps no columns (its schema says \"columnar\": false)",
                   t->name);
  if (db->st->format < COL_FORMAT)
    return err_set(&db->err, REMDB_NOTFOUND,
                   "%s: the database is not upgraded to columns yet (open "
                   "it read-write once)",
                   t->name);
  cat_table *ct = cat_by_id(db, t->table_id);
  if (ct == NULL || ct->rebuild != NULL || !snap_current(db, snap))
    return err_set(&db->err, REMDB_NOTFOUND,
                   "%s: its columns are being rebuilt", t->name);
  col_reader *r = calloc(1, sizeof *r);
  if (r == NULL) return err_nomem(&db->err);
  r->db = db;
  r->err = &db->err;
  r->snap = snap;
  r->t = t;
  r->cur = -1;
  buf_init(&r->imgs);
  const kv_snap_t *ks = snap->kv;
  uint32_t nc = t->ncols ? t->ncols : 1;
  r->own = calloc(nc, sizeof *r->own);
  r->have = calloc(nc, sizeof *r->have);
  r->pin = calloc(nc, sizeof *r->pin);
  int rc = r->own && r->have && r->pin ? REMDB_OK : err_nomem(&db->err);
  /* the state another reader of the same data opened */
  uint64_t seq = kv_snap_seq(ks);
  if (rc == REMDB_OK && seq && share_take(r, seq)) {
    *out = r;
    return REMDB_OK;
  }
  if (rc == REMDB_OK && (r->inexact = calloc(nc, sizeof *r->inexact)) == NULL)
    rc = err_nomem(&db->err);
  pendl pl = {0};
  if (rc == REMDB_OK) rc = read_next(db, ks, t->table_id, &r->npos, &pl);
  if (rc == REMDB_OK) {
    r->nsegs = (uint32_t)((r->npos + COL_SEG_ROWS - 1) >> SEG_SHIFT);
    uint32_t ns = r->nsegs ? r->nsegs : 1;
    r->hdr = calloc(ns, sizeof *r->hdr);
    r->d0 = calloc(ns, sizeof *r->d0);
    r->dn = calloc(ns, sizeof *r->dn);
    if (!r->hdr || !r->d0 || !r->dn) rc = err_nomem(&db->err);
  }
  /* the segment headers */
  kv_iter_t *it = NULL;
  unsigned char lo[KEY_COL_MAX], hi[KEY_COL_MAX];
  if (rc == REMDB_OK) {
    size_t ll = key_col(lo, db->tid, t->table_id, 'M', 0, 0);
    size_t hl = key_col(hi, db->tid, t->table_id, 'M', UINT32_MAX, 0);
    rc = kv_iter_new(db->st->kv, ks, KV_COLUMN, lo, ll, hi, hl, &it, &db->err);
  }
  if (rc == REMDB_OK) {
    for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
         kv_iter_next(it)) {
      size_t kl, vl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      const char *v = kv_iter_value(it, &vl);
      if (kl != 17) continue;
      uint32_t seg = get_u32be(k + 13);
      if (seg >= r->nsegs) continue;
      rc = shdr_parse(db, v, vl, &r->hdr[seg]);
      for (uint32_t c = 0; rc == REMDB_OK && c < t->ncols; c++) {
        const hcol *hc = NULL;
        for (uint32_t j = 0; j < r->hdr[seg].ncols; j++)
          if (r->hdr[seg].cols[j].field == t->cols[c].field)
            hc = &r->hdr[seg].cols[j];
        if (hc == NULL || hc->type != t->cols[c].kind || (hc->flags & 2))
          r->inexact[c] = true;
      }
    }
    if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
    it = NULL;
  }
  /* the deltas of each segment's epoch */
  if (rc == REMDB_OK) {
    key_col_table(lo, db->tid, t->table_id);
    lo[12] = 'D';
    key_col_table(hi, db->tid, t->table_id);
    hi[12] = 'D' + 1;
    rc = kv_iter_new(db->st->kv, ks, KV_COLUMN, lo, KEY_COL_KIND, hi,
                     KEY_COL_KIND, &it, &db->err);
  }
  size_t capd = 0;
  uint64_t *single = NULL; /* a segment's single deltas, once it has packs */
  for (uint32_t sg = 0; rc == REMDB_OK && sg < r->nsegs; sg++) {
    unsigned char pk[KEY_COL_DELTA_LEN];
    key_col_delta(pk, db->tid, t->table_id, sg, r->hdr[sg].epoch, 0);
    uint64_t base = (uint64_t)sg << SEG_SHIFT;
    bool packs = false;
    r->d0[sg] = r->nd;
    for (kv_iter_seek(it, pk, KEY_COL_DELTA_PREFIX);
         rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl, vl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      const char *v = kv_iter_value(it, &vl);
      if ((kl != KEY_COL_DELTA_LEN && kl != KEY_COL_PACK_LEN) ||
          memcmp(k, pk, KEY_COL_DELTA_PREFIX) != 0)
        break;
      if (kl == KEY_COL_PACK_LEN) {
        if (!packs) { /* the singles so far: all of the segment's deltas */
          if (single == NULL &&
              (single = malloc(COL_WORDS(COL_SEG_ROWS) * 8)) == NULL) {
            rc = err_nomem(&db->err);
            break;
          }
          memset(single, 0, COL_WORDS(COL_SEG_ROWS) * 8);
          for (size_t j = r->d0[sg]; j < r->nd; j++)
            col_bit_set(single, (uint32_t)(r->d[j].pos - base), true);
          packs = true;
        }
        pack_cur pc;
        uint32_t i;
        const unsigned char *img;
        size_t il;
        int more = pack_open(&pc, v, vl) ? 1 : -1;
        while (more == 1 && (more = pack_next(&pc, &i, &img, &il)) == 1)
          if (base + i < r->npos && !col_bit(single, i) &&
              (rc = reader_delta(r, base + i, img, il, &capd)))
            break;
        pack_close(&pc);
        if (more == -2 && rc == REMDB_OK) rc = err_nomem(&db->err);
        if (more < 0 && rc == REMDB_OK)
          rc = err_set(&db->err, REMDB_CORRUPT,
                       "a column delta pack of segment %u of %s is malformed",
                       sg, t->name);
        continue;
      }
      uint64_t pos = get_u64be(k + 21);
      if (pos >= r->npos || (pos >> SEG_SHIFT) != sg) continue;
      if (packs) col_bit_set(single, (uint32_t)(pos - base), true);
      rc = reader_delta(r, pos, (const unsigned char *)v, vl, &capd);
    }
    if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
    r->dn[sg] = r->nd - r->d0[sg];
    /* a pack's rows come after the singles before it: by position */
    if (rc == REMDB_OK && packs)
      qsort(r->d + r->d0[sg], r->dn[sg], sizeof *r->d, rdelta_cmp);
    if (rc == REMDB_OK && pl.n && (uint32_t)(pl.pos[0] >> SEG_SHIFT) == sg)
      rc = reader_pend(r, &pl, sg, &capd);
  }
  free(single);
  if (rc == REMDB_OK && r->imgs.oom) rc = err_nomem(&db->err);
  kv_iter_free(it);
  if (rc) {
    colr_close(r);
    return rc;
  }
  if (seq) share_put(r, seq);
  *out = r;
  return REMDB_OK;
}

int colr_clone(col_reader *r, col_reader **out) {
  *out = NULL;
  col_reader *c = calloc(1, sizeof *c);
  if (c == NULL) return err_nomem(&r->db->err);
  *c = *r; /* the shared, read-only part */
  c->clone = true;
  c->eown = (err_t){0};
  c->err = &c->eown;
  if (r->share) {
    pthread_mutex_lock(&r->db->st->cmu);
    r->share->refs++;
    pthread_mutex_unlock(&r->db->st->cmu);
  }
  c->cur = -1;
  c->vis = NULL;
  c->visp = NULL;
  c->zkeep = NULL;
  c->nzkeep = 0;
  uint32_t nc = r->t->ncols ? r->t->ncols : 1;
  c->own = calloc(nc, sizeof *c->own);
  c->have = calloc(nc, sizeof *c->have);
  c->pin = calloc(nc, sizeof *c->pin);
  if (!c->own || !c->have || !c->pin) {
    if (c->share) share_release(r->db->st, c->share); /* taken above */
    free(c->own);
    free(c->have);
    free(c->pin);
    free(c);
    return err_nomem(&r->db->err);
  }
  *out = c;
  return REMDB_OK;
}

static bool name_is(const char *a, const char *b) {
  return sch_same_sql_name(a, b);
}

int colr_find(col_reader *r, const char *name) {
  const sch_table *t = r->t;
  uint16_t field = UINT16_MAX;
  if (name_is(name, "id"))
    field = 0;
  else if (name_is(name, "created_at"))
    field = REC_F_CREATED;
  else if (name_is(name, "modified_at"))
    field = REC_F_MODIFIED;
  else if (name_is(name, "deleted_at"))
    field = REC_F_DELETED;
  else
    for (uint32_t c = 0; c < t->ncols; c++) {
      const char *pn = rec_dict_name(&t->dict, t->cols[c].field);
      if (t->cols[c].field >= REC_F_FIRST && pn && name_is(name, pn))
        field = t->cols[c].field;
    }
  for (uint32_t c = 0; c < t->ncols; c++)
    if (t->cols[c].field == field) return r->inexact[c] ? -1 : (int)c;
  return -1;
}

enum colv_type colr_type(col_reader *r, int col) {
  return (enum colv_type)r->t->cols[col].kind;
}

uint32_t colr_nsegs(col_reader *r) { return r->nsegs; }

/* Does segment seg need deltas applied (or was it never merged)? */
static bool seg_plain(const col_reader *r, uint32_t seg) {
  return r->dn[seg] == 0 && r->hdr[seg].present &&
         r->hdr[seg].n == seg_positions(r, seg);
}

/* Segment seg's visibility, deltas applied (the caller's; NULL: OOM). */
static uint64_t *seg_vis(col_reader *r, uint32_t seg) {
  uint32_t n = seg_positions(r, seg);
  uint64_t *vis = calloc(COL_WORDS(n) ? COL_WORDS(n) : 1, 8);
  if (vis == NULL) return NULL;
  const shdr *h = &r->hdr[seg];
  if (h->present) memcpy(vis, h->vis, COL_WORDS(h->n < n ? h->n : n) * 8);
  uint64_t base = (uint64_t)seg << SEG_SHIFT;
  for (size_t j = r->d0[seg]; j < r->d0[seg] + r->dn[seg]; j++) {
    const unsigned char *img = (const unsigned char *)r->imgs.p + r->d[j].off;
    col_bit_set(vis, (uint32_t)(r->d[j].pos - base),
                r->d[j].len > 0 && img[0] == ROW_LIVE);
  }
  return vis;
}

/* Column c of segment seg with its deltas applied, into o (the caller's,
** finished). */
static int seg_col(col_reader *r, uint32_t seg, int c, col_data *o) {
  remdb *db = r->db;
  const shdr *h = &r->hdr[seg];
  uint16_t field = r->t->cols[c].field;
  uint32_t n = seg_positions(r, seg);
  cc_ent *e = NULL;
  if (h->present) {
    int rc = cc_get(db, r->err, r->snap->kv, r->t->table_id, seg, field,
                    h->gen, &e);
    if (rc) return rc;
  }
  bool ok = e ? col_copy(o, &e->c) : col_init(o, r->t->cols[c].kind, n);
  cc_release(db->st, e);
  if (ok) ok = col_grow(o, n);
  uint64_t base = (uint64_t)seg << SEG_SHIFT;
  for (size_t j = r->d0[seg]; ok && j < r->d0[seg] + r->dn[seg]; j++)
    ok = apply_value(o, field, (uint32_t)(r->d[j].pos - base),
                     (const unsigned char *)r->imgs.p + r->d[j].off,
                     r->d[j].len);
  if (ok) ok = col_finish(o);
  if (!ok) {
    col_free(o);
    return err_nomem(r->err);
  }
  o->n = n;
  return REMDB_OK;
}

static int move_to(col_reader *r, uint32_t seg) {
  if (seg >= r->nsegs)
    return err_set(r->err, REMDB_MISUSE, "segment %u of %u", seg,
                   r->nsegs);
  int inj = colr_test_fail ? colr_test_fail(seg) : 0;
  if (inj)
    return err_set(r->err, inj, "injected failure reading segment %u", seg);
  if (r->cur == (int64_t)seg) return REMDB_OK;
  drop_current(r);
  r->cur = seg;
  r->curn = seg_positions(r, seg);
  if (seg_plain(r, seg)) {
    r->visp = r->hdr[seg].vis;
    return REMDB_OK;
  }
  r->vis = seg_vis(r, seg);
  if (r->vis == NULL) return err_nomem(r->err);
  r->visp = r->vis;
  return REMDB_OK;
}

int (*colr_test_fail)(uint32_t seg);

const char *colr_errmsg(const col_reader *r) { return r->err->msg; }

void colr_errclear(col_reader *r) { err_clear(r->err); }

int colr_visible(col_reader *r, uint32_t seg, const uint64_t **bits,
                 uint32_t *n) {
  int rc = move_to(r, seg);
  if (rc) return rc;
  *bits = r->visp;
  *n = r->curn;
  return REMDB_OK;
}

/* The column c of the current segment, deltas applied: *cd. */
static int load_col(col_reader *r, int c, const col_data **cd) {
  remdb *db = r->db;
  uint32_t seg = (uint32_t)r->cur;
  const shdr *h = &r->hdr[seg];
  uint16_t field = r->t->cols[c].field;
  if (r->have[c]) {
    *cd = &r->own[c];
    return REMDB_OK;
  }
  if (r->pin[c]) {
    *cd = &r->pin[c]->c;
    return REMDB_OK;
  }
  cc_ent *e = NULL;
  int rc;
  if (h->present) {
    rc = cc_get(db, r->err, r->snap->kv, r->t->table_id, seg, field, h->gen,
                &e);
    if (rc) return rc;
  }
  if (seg_plain(r, seg)) {
    r->pin[c] = e;
    *cd = &e->c;
    return REMDB_OK;
  }
  cc_release(db->st, e);
  col_data *o = &r->own[c];
  rc = seg_col(r, seg, c, o);
  if (rc) return rc;
  r->have[c] = true;
  *cd = o;
  return REMDB_OK;
}

int colr_read(col_reader *r, uint32_t seg, int col, col_vec *out) {
  if (col < 0 || (uint32_t)col >= r->t->ncols)
    return err_set(r->err, REMDB_MISUSE, "column %d", col);
  int rc = move_to(r, seg);
  const col_data *cd = NULL;
  if (rc == REMDB_OK) rc = load_col(r, col, &cd);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  out->type = (enum colv_type)cd->type;
  out->n = r->curn;
  out->nulls = cd->nulls;
  out->i64 = cd->i64;
  out->f64 = cd->f64;
  out->code = cd->code;
  out->id = (const uint8_t(*)[16])cd->id;
  out->dict = (const char *const *)cd->dict;
  out->dict_len = cd->dlen;
  out->ndict = cd->ndict;
  return REMDB_OK;
}

bool colr_plain(col_reader *r, uint32_t seg) {
  return seg < r->nsegs && seg_plain(r, seg);
}

int colr_zone(col_reader *r, uint32_t seg, int col, col_zone *out) {
  if (col < 0 || (uint32_t)col >= r->t->ncols || seg >= r->nsegs)
    return err_set(r->err, REMDB_MISUSE, "zone of column %d, segment %u",
                   col, seg);
  memset(out, 0, sizeof *out);
  if (seg_plain(r, seg)) {
    const shdr *h = &r->hdr[seg];
    for (uint32_t j = 0; j < h->ncols; j++)
      if (h->cols[j].field == r->t->cols[col].field) {
        *out = h->cols[j].z;
        return REMDB_OK;
      }
  }
  /* deltas: computed from the decoded column, without moving the
  ** reader's current segment (its vectors stay valid); TEXT bounds are
  ** kept for the reader's life */
  uint64_t *vis = seg_vis(r, seg);
  col_data cdv;
  int rc = vis ? seg_col(r, seg, col, &cdv) : err_nomem(r->err);
  if (rc) {
    free(vis);
    return rc;
  }
  const col_data *cd = &cdv;
  col_zonev z;
  col_zone_calc(cd, vis, &z);
  free(vis);
  out->rows = seg_positions(r, seg);
  out->nulls = z.nulls;
  out->has = z.has;
  if (z.has && cd->type == COLT_TEXT) {
    size_t a = cd->dlen[z.cmin], b = cd->dlen[z.cmax];
    char *kept = malloc(a + b + 1);
    char **nk = realloc(r->zkeep, (r->nzkeep + 1) * sizeof *nk);
    if (nk) r->zkeep = nk;
    if (kept == NULL || nk == NULL) {
      free(kept);
      col_free(&cdv);
      return err_nomem(r->err);
    }
    r->zkeep[r->nzkeep++] = kept;
    memcpy(kept, cd->dict[z.cmin], a);
    memcpy(kept + a, cd->dict[z.cmax], b);
    out->smin = kept;
    out->nsmin = (uint32_t)a;
    out->smax = kept + a;
    out->nsmax = (uint32_t)b;
  } else if (z.has && cd->type == COLT_REAL) {
    out->min.f = z.min.f;
    out->max.f = z.max.f;
  } else {
    out->min.i = z.min.i;
    out->max.i = z.max.i;
  }
  col_free(&cdv);
  return REMDB_OK;
}

/* The delta of position pos under this reader, or NULL. */
static const rdelta *pos_delta(const col_reader *r, uint64_t pos) {
  uint32_t seg = (uint32_t)(pos >> SEG_SHIFT);
  size_t lo = r->d0[seg], end = lo + r->dn[seg], hi = end;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r->d[mid].pos < pos)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < end && r->d[lo].pos == pos ? &r->d[lo] : NULL;
}

/* Is position pos (< npos) a live row under this reader? */
static bool pos_live(const col_reader *r, uint64_t pos) {
  uint32_t seg = (uint32_t)(pos >> SEG_SHIFT);
  uint64_t i = pos - ((uint64_t)seg << SEG_SHIFT);
  /* the latest delta of the position, else the segment's bitmap */
  const rdelta *d = pos_delta(r, pos);
  if (d) {
    const unsigned char *img = (const unsigned char *)r->imgs.p + d->off;
    return d->len > 0 && img[0] == ROW_LIVE;
  }
  const shdr *h = &r->hdr[seg];
  return h->present && i < h->n && col_bit(h->vis, (uint32_t)i);
}

/* The position an id-directory value v gives for this reader's table:
** true and *pos when it names a live row. */
static bool dir_live(const col_reader *r, const kv_val *v, uint64_t *pos) {
  return iddir_table(v->data, v->len) == r->t->table_id &&
         iddir_pos(v->data, v->len, pos) && *pos < r->npos &&
         pos_live(r, *pos);
}

int colr_pos(col_reader *r, const uuid16_t *id, uint64_t *pos) {
  remdb *db = r->db;
  unsigned char dk[KEY_IDDIR_LEN];
  key_iddir(dk, db->tid, id->b);
  kv_val v;
  int rc = kv_get(db->st->kv, r->snap->kv, KV_INDEX, dk, sizeof dk, &v,
                  &db->err);
  if (rc) return rc;
  bool ok = dir_live(r, &v, pos);
  kv_val_free(&v);
  return ok ? REMDB_OK : REMDB_NOTFOUND;
}

#define POS_BATCH 64

/* Does live position p hold entity id under this reader?  Its id column
** (pins: the segments' decoded id columns, pinned, per segment) or its
** delta says. */
static int pos_holds(col_reader *r, int idc, cc_ent **pins, uint64_t p,
                     const uuid16_t *id, bool *yes) {
  *yes = false;
  if (p >= r->npos || !pos_live(r, p)) return REMDB_OK;
  const rdelta *d = pos_delta(r, p);
  uint16_t field = r->t->cols[idc].field;
  if (d) {
    const unsigned char *img = (const unsigned char *)r->imgs.p + d->off;
    const unsigned char *q = img + 1, *end = img + d->len;
    rval v;
    while (d->len > 0 && q < end && rimg_next(&q, end, &v))
      if (v.field == field) {
        *yes = v.tag == TAG_ID && memcmp(v.p, id->b, 16) == 0;
        break;
      }
    return REMDB_OK;
  }
  uint32_t seg = (uint32_t)(p >> SEG_SHIFT);
  uint32_t i = (uint32_t)(p - ((uint64_t)seg << SEG_SHIFT));
  const shdr *h = &r->hdr[seg];
  if (!h->present || i >= h->n) return REMDB_OK;
  if (pins[seg] == NULL) {
    int rc = cc_get(r->db, r->err, r->snap->kv, r->t->table_id, seg, field,
                    h->gen, &pins[seg]);
    if (rc) return rc;
  }
  const col_data *cd = &pins[seg]->c;
  *yes = cd->type == COLT_ID && i < cd->n &&
         memcmp(cd->id[i], id->b, 16) == 0;
  return REMDB_OK;
}

/* The positions hint[] proposes, checked: done[k] when ids[k]'s is
** settled (live[k], pos[k]); the rest go to the id directory. */
static int check_hints(col_reader *r, const uuid16_t *ids,
                       const uint64_t *hint, size_t n, uint64_t *pos,
                       bool *live, bool *done) {
  int idc = -1;
  for (uint32_t c = 0; c < r->t->ncols; c++)
    if (r->t->cols[c].kind == SCH_COL_ID) idc = (int)c;
  if (idc < 0) return REMDB_OK;
  cc_ent **pins = calloc(r->nsegs ? r->nsegs : 1, sizeof *pins);
  if (pins == NULL) return err_nomem(&r->db->err);
  int rc = REMDB_OK;
  for (size_t k = 0; rc == REMDB_OK && k < n; k++) {
    bool yes = false;
    if (hint[k] != UINT64_MAX)
      rc = pos_holds(r, idc, pins, hint[k], &ids[k], &yes);
    if (yes) {
      pos[k] = hint[k];
      live[k] = done[k] = true;
    }
  }
  for (uint32_t s = 0; s < r->nsegs; s++) cc_release(r->db->st, pins[s]);
  free(pins);
  return rc;
}

int colr_pos_many(col_reader *r, const uuid16_t *ids, const uint64_t *hint,
                  size_t n, uint64_t *pos, bool *live) {
  remdb *db = r->db;
  unsigned char dk[POS_BATCH][KEY_IDDIR_LEN];
  const char *kp[POS_BATCH];
  size_t kl[POS_BATCH], at[POS_BATCH];
  kv_val vals[POS_BATCH];
  bool found[POS_BATCH];
  bool *done = calloc(n ? n : 1, sizeof *done);
  if (done == NULL) return err_nomem(&db->err);
  int rc = hint ? check_hints(r, ids, hint, n, pos, live, done) : REMDB_OK;
  /* the others: the id directory, in batches */
  for (size_t k = 0; rc == REMDB_OK && k < n;) {
    size_t m = 0;
    for (; k < n && m < POS_BATCH; k++) {
      if (done[k]) continue;
      key_iddir(dk[m], db->tid, ids[k].b);
      kp[m] = (const char *)dk[m];
      kl[m] = KEY_IDDIR_LEN;
      at[m++] = k;
    }
    if (m == 0) break;
    rc = kv_multi_get(db->st->kv, r->snap->kv, KV_INDEX, m, kp, kl, vals,
                      found, &db->err);
    for (size_t i = 0; i < m; i++) {
      live[at[i]] = rc == REMDB_OK && found[i] &&
                    dir_live(r, &vals[i], &pos[at[i]]);
      if (found[i]) kv_val_free(&vals[i]);
    }
  }
  free(done);
  return rc;
}

bool colr_cached(col_reader *r, uint32_t seg, int col) {
  if (col < 0 || (uint32_t)col >= r->t->ncols || seg >= r->nsegs) return false;
  const shdr *h = &r->hdr[seg];
  if (!h->present) return true; /* nothing to decode: deltas only */
  struct col_store *c = cs_get(r->db->st);
  if (c == NULL) return false;
  pthread_mutex_lock(&r->db->st->cmu);
  bool in = cc_find(c, r->db->tid, r->t->table_id, seg, r->t->cols[col].field,
                    h->gen) != NULL;
  pthread_mutex_unlock(&r->db->st->cmu);
  return in;
}

/* One value of row image img for field: *out set (text bytes appended to
** text); false when the image holds a value of another type than the
** column's (an inexact column: the caller reads rows instead). */
static bool image_val(const unsigned char *img, size_t len, uint16_t field,
                      uint8_t type, col_val *out, buf_t *text) {
  const unsigned char *p = img + 1, *end = img + len;
  rval v;
  out->null = true;
  if (len == 0 || img[0] == ROW_GONE) return true;
  while (p < end && rimg_next(&p, end, &v)) {
    if (v.field != field) continue;
    switch (v.tag) {
      case TAG_NULL: return true;
      case TAG_I64:
        if (type == COLT_REAL || type == COLT_TEXT || type == COLT_ID)
          return false;
        out->i = (int64_t)get_le(v.p, 8);
        break;
      case TAG_F64: {
        if (type != COLT_REAL) return false;
        uint64_t x = get_le(v.p, 8);
        memcpy(&out->f, &x, 8);
        break;
      }
      case TAG_TEXT:
      case TAG_ID:
        if (type != (v.tag == TAG_TEXT ? COLT_TEXT : COLT_ID)) return false;
        out->off = text->len;
        out->n = v.tag == TAG_TEXT ? v.n : 16;
        buf_add(text, v.p, out->n);
        break;
      default: return false;
    }
    out->null = false;
    return true;
  }
  return true;
}

int colr_gather(col_reader *r, int col, const uint64_t *pos, size_t n,
                col_val *out, buf_t *text) {
  remdb *db = r->db;
  if (col < 0 || (uint32_t)col >= r->t->ncols)
    return err_set(&db->err, REMDB_MISUSE, "column %d", col);
  const sch_col *sc = &r->t->cols[col];
  uint8_t type = (uint8_t)sc->kind;
  cc_ent **pins = calloc(r->nsegs ? r->nsegs : 1, sizeof *pins);
  if (pins == NULL) return err_nomem(&db->err);
  int rc = REMDB_OK;
  for (size_t k = 0; rc == REMDB_OK && k < n; k++) {
    col_val *o = &out[k];
    memset(o, 0, sizeof *o);
    o->null = true;
    if (pos[k] >= r->npos) continue;
    const rdelta *d = pos_delta(r, pos[k]);
    if (d) {
      if (!image_val((const unsigned char *)r->imgs.p + d->off, d->len,
                     sc->field, type, o, text))
        rc = err_set(&db->err, REMDB_NOTFOUND, "column %d is inexact", col);
      continue;
    }
    uint32_t seg = (uint32_t)(pos[k] >> SEG_SHIFT);
    uint32_t i = (uint32_t)(pos[k] - ((uint64_t)seg << SEG_SHIFT));
    const shdr *h = &r->hdr[seg];
    if (!h->present || i >= h->n) continue;
    if (pins[seg] == NULL &&
        (rc = cc_get(db, r->err, r->snap->kv, r->t->table_id, seg, sc->field,
                     h->gen, &pins[seg])))
      break;
    const col_data *cd = &pins[seg]->c;
    if (i >= cd->n || (cd->nulls && col_bit(cd->nulls, i))) continue;
    o->null = false;
    switch (cd->type) {
      case COLT_REAL: o->f = cd->f64[i]; break;
      case COLT_TEXT: {
        uint32_t code = cd->code[i];
        o->off = text->len;
        o->n = cd->dlen[code];
        buf_add(text, cd->dict[code], o->n);
        break;
      }
      case COLT_ID:
        o->off = text->len;
        o->n = 16;
        buf_add(text, cd->id[i], 16);
        break;
      default: o->i = cd->i64[i]; break;
    }
  }
  for (uint32_t s = 0; s < r->nsegs; s++) cc_release(db->st, pins[s]);
  free(pins);
  if (rc == REMDB_OK && text->oom) rc = err_nomem(&db->err);
  return rc;
}

/* ---- upgrade, verify, stats ---------------------------------------------- */

int col_upgrade(remdb *db, kv_batch_t *kb) {
  kv_iter_t *it;
  unsigned char lo[4] = {0, 0, 0, 1};
  int rc = kv_iter_new(db->st->kv, NULL, KV_META, lo, 4, NULL, 0, &it,
                       &db->err);
  if (rc) return rc;
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl < 6 || k[4] != 'S') continue; /* TID 'S' NAME: a schema */
    json_t *j = json_loadb(v, vl, 0, NULL);
    if (!json_is_object(j)) {
      json_decref(j);
      rc = err_set(&db->err, REMDB_CORRUPT, "stored schema record is corrupt");
      break;
    }
    if (json_object_get(j, "rebuild") == NULL) {
      json_t *spec = json_pack("{s:b,s:[]}", "reencode", 0, "fields");
      if (spec == NULL || json_object_set_new(j, "rebuild", spec)) {
        json_decref(j);
        rc = err_nomem(&db->err);
        break;
      }
    }
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (s == NULL) {
      rc = err_nomem(&db->err);
      break;
    }
    kv_batch_put(kb, KV_META, k, kl, s, strlen(s));
    free(s);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

int col_stats(remdb *db, const sch_table *t, buf_t *out) {
  if (!t->columnar) {
    buf_adds(out, ",\"columns\":false");
    return REMDB_OK;
  }
  unsigned char lo[KEY_COL_PREFIX], hi[KEY_COL_PREFIX];
  key_col_table(lo, db->tid, t->table_id);
  key_col_table(hi, db->tid, t->table_id + 1);
  uint64_t bytes = 0, next = 0;
  int rc = kv_approx_size(db->st->kv, KV_COLUMN, lo, sizeof lo, hi, sizeof hi,
                          &bytes, &db->err);
  if (rc == REMDB_OK && db->tid)
    rc = read_next(db, NULL, t->table_id, &next, NULL);
  buf_addf(out,
           ",\"columns\":{\"count\":%u,\"row_positions\":%llu,"
           "\"segments\":%llu,\"approximate_bytes\":%llu,"
           "\"cache_bytes\":%zu}",
           t->ncols, (unsigned long long)next,
           (unsigned long long)((next + COL_SEG_ROWS - 1) / COL_SEG_ROWS),
           (unsigned long long)bytes, col_cache_bytes(db->st));
  return rc;
}

/* Does row i of v hold the value v of a row image says? */
static bool value_is(const col_vec *v, uint32_t i, const rval *x) {
  bool nul = v->nulls && col_bit(v->nulls, i);
  switch (x->tag) {
    case TAG_NULL: return nul;
    case TAG_INEXACT: return true; /* colr_find refuses the column */
    case TAG_ID: return !nul && memcmp(v->id[i], x->p, 16) == 0;
    case TAG_I64:
      return !nul && v->i64 && v->i64[i] == (int64_t)get_le(x->p, 8);
    case TAG_F64: {
      uint64_t a = get_le(x->p, 8), b;
      if (nul || v->f64 == NULL) return false;
      memcpy(&b, &v->f64[i], 8);
      return a == b;
    }
    case TAG_TEXT:
      return !nul && v->code && v->code[i] < v->ndict &&
             v->dict_len[v->code[i]] == x->n &&
             memcmp(v->dict[v->code[i]], x->p, x->n) == 0;
    default: return false;
  }
}

typedef struct vpos {
  uint64_t pos;
  uuid16_t id;
} vpos;
static int cmp_vpos(const void *a, const void *b) {
  uint64_t x = ((const vpos *)a)->pos, y = ((const vpos *)b)->pos;
  return x < y ? -1 : x > y;
}

/* verify's check of t's pending rows at ks: each listed id's
** id-directory entry gives its listed position, which is past its
** segment's merged rows and has no delta key.  The number of problems
** reported. */
static int pend_verify(remdb *db, const kv_snap_t *ks, const sch_table *t,
                       core_report_fn report, void *ctx, uint32_t *bad) {
  char msg[320], ids[REMDB_ID_LEN + 1];
  pendl pl;
  *bad = 0;
  int rc = pend_read(db, ks, t->table_id, &pl);
  if (rc || pl.n == 0) return rc;
  uint32_t seg = (uint32_t)(pl.pos[0] >> SEG_SHIFT);
  uint64_t base = (uint64_t)seg << SEG_SHIFT;
  shdr sh;
  if ((rc = seg_hdr(db, ks, t, seg, &sh))) return rc;
  for (uint32_t i = 0; i < pl.n; i++) {
    uuid_format(&pl.id[i], ids);
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, pl.id[i].b);
    kv_val v;
    uint64_t pos = UINT64_MAX;
    bool ok = false;
    rc = kv_get(db->st->kv, ks, KV_INDEX, dk, sizeof dk, &v, &db->err);
    if (rc == REMDB_OK) {
      ok = iddir_table(v.data, v.len) == t->table_id &&
           iddir_pos(v.data, v.len, &pos) && pos == pl.pos[i];
      kv_val_free(&v);
    } else if (rc == REMDB_NOTFOUND) {
      err_clear(&db->err);
      rc = REMDB_OK;
    } else {
      break;
    }
    /* (a reader builds its image from the record) */
    unsigned char ek[KEY_ENTITY_LEN];
    key_entity(ek, db->tid, t->table_id, pl.id[i].b);
    bool rec = false;
    if (ok) {
      rc = kv_get(db->st->kv, ks, KV_ENTITY, ek, sizeof ek, &v, &db->err);
      if (rc == REMDB_OK) {
        rec = true;
        kv_val_free(&v);
      } else if (rc == REMDB_NOTFOUND) {
        err_clear(&db->err);
        rc = REMDB_OK;
      } else {
        break;
      }
    }
    const char *why = !ok ? "its id-directory entry gives another position"
                      : !rec ? "its entity has no record"
                      : sh.present && pl.pos[i] - base < sh.n
                          ? "its segment holds it merged"
                          : NULL;
    if (why) {
      snprintf(msg, sizeof msg, "%s: pending row %llu (entity %s): %s",
               t->name, (unsigned long long)pl.pos[i], ids, why);
      report(ctx, msg);
      (*bad)++;
    }
  }
  /* no delta key (single or a pack's row) at a pending position */
  kv_iter_t *it = NULL;
  unsigned char lo[KEY_COL_DELTA_LEN], hi[KEY_COL_DELTA_LEN];
  key_col_delta(lo, db->tid, t->table_id, seg, sh.present ? sh.epoch : 0, 0);
  key_col_delta(hi, db->tid, t->table_id, seg, (sh.present ? sh.epoch : 0) + 1,
                0);
  if (rc == REMDB_OK)
    rc = kv_iter_new(db->st->kv, ks, KV_COLUMN, lo, KEY_COL_DELTA_PREFIX, hi,
                     KEY_COL_DELTA_PREFIX, &it, &db->err);
  if (rc == REMDB_OK) kv_iter_first(it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const unsigned char *v = (const unsigned char *)kv_iter_value(it, &vl);
    pack_cur pc;
    uint32_t pi;
    const unsigned char *img;
    size_t il;
    bool pack = kl == KEY_COL_PACK_LEN && pack_open(&pc, v, vl);
    uint64_t at = kl == KEY_COL_DELTA_LEN ? get_u64be(k + 21) : UINT64_MAX;
    for (;;) {
      if (pack) {
        if (pack_next(&pc, &pi, &img, &il) != 1) break;
        at = base + pi;
      }
      for (uint32_t i = 0; i < pl.n; i++)
        if (at == pl.pos[i]) {
          uuid_format(&pl.id[i], ids);
          snprintf(msg, sizeof msg,
                   "%s: pending row %llu (entity %s) has a column delta too",
                   t->name, (unsigned long long)pl.pos[i], ids);
          report(ctx, msg);
          (*bad)++;
        }
      if (!pack) break;
    }
    if (pack) pack_close(&pc); /* (a version-2 pack's rows: its buffer) */
  }
  if (rc == REMDB_OK && it) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  shdr_free(&sh);
  return rc;
}

int col_verify(remdb *db, const snap_t *snap, const sch_table *t,
               core_report_fn report, void *ctx) {
  char msg[256], ids[REMDB_ID_LEN + 1];
  if (db->st->format < COL_FORMAT || !t->columnar) return REMDB_OK;
  /* the pending rows first: a reader trusts them */
  uint32_t bad;
  int prc = pend_verify(db, snap->kv, t, report, ctx, &bad);
  if (prc || bad) return prc;
  /* every entity's position, from the id directory */
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, snap->kv, KV_ENTITY, lo, sizeof lo, hi,
                       sizeof hi, &it, &db->err);
  if (rc) return rc;
  vpos *ps = NULL;
  size_t np = 0, cap = 0;
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl;
    const char *k = kv_iter_key(it, &kl);
    if (kl != KEY_ENTITY_LEN) continue;
    unsigned char dk[KEY_IDDIR_LEN];
    key_iddir(dk, db->tid, (const unsigned char *)k + 8);
    kv_val v;
    uint64_t pos;
    uuid16_t id;
    memcpy(id.b, k + 8, 16);
    if (kv_get(db->st->kv, snap->kv, KV_INDEX, dk, sizeof dk, &v, &db->err))
      continue; /* reported by the id-directory check */
    bool has = iddir_pos(v.data, v.len, &pos);
    kv_val_free(&v);
    if (!has) {
      uuid_format(&id, ids);
      snprintf(msg, sizeof msg, "%s: entity %s has no row position",
               t->name, ids);
      report(ctx, msg);
      continue;
    }
    if (np == cap) {
      cap = cap ? cap * 2 : 1024;
      vpos *n = realloc(ps, cap * sizeof *n);
      if (n == NULL) {
        rc = err_nomem(&db->err);
        break;
      }
      ps = n;
    }
    ps[np++] = (vpos){pos, id};
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc) {
    free(ps);
    return rc;
  }
  if (np > 1) qsort(ps, np, sizeof *ps, cmp_vpos);
  for (size_t j = 1; j < np; j++)
    if (ps[j].pos == ps[j - 1].pos) {
      uuid_format(&ps[j].id, ids);
      snprintf(msg, sizeof msg, "%s: entity %s shares row position %llu",
               t->name, ids, (unsigned long long)ps[j].pos);
      report(ctx, msg);
    }
  col_reader *r;
  rc = colr_open(db, snap, t, &r);
  if (rc) {
    free(ps);
    return rc;
  }
  buf_t img;
  buf_init(&img);
  size_t j = 0;
  for (uint32_t seg = 0; rc == REMDB_OK && seg < r->nsegs; seg++) {
    const uint64_t *vis;
    uint32_t n;
    col_vec *vs = calloc(t->ncols ? t->ncols : 1, sizeof *vs);
    if (vs == NULL) {
      rc = err_nomem(&db->err);
      break;
    }
    rc = colr_visible(r, seg, &vis, &n);
    for (uint32_t c = 0; rc == REMDB_OK && c < t->ncols; c++)
      rc = colr_read(r, seg, (int)c, &vs[c]);
    uint64_t base = (uint64_t)seg << SEG_SHIFT;
    uint32_t next_i = 0; /* positions before it are checked */
    for (; rc == REMDB_OK && j < np && ps[j].pos < base + n; j++) {
      uint32_t i = (uint32_t)(ps[j].pos - base);
      for (; next_i < i; next_i++)
        if (col_bit(vis, next_i)) {
          snprintf(msg, sizeof msg,
                   "%s: row position %llu is visible in the columns but no "
                   "entity has it",
                   t->name, (unsigned long long)(base + next_i));
          report(ctx, msg);
        }
      next_i = i + 1;
      cat_table *ct = cat_by_id(db, t->table_id);
      ent_row er;
      uuid_format(&ps[j].id, ids);
      if (ct == NULL || ent_get(db, snap, ct, &ps[j].id, &er) != REMDB_OK) {
        err_clear(&db->err);
        continue;
      }
      buf_reset(&img);
      row_image(t, &ps[j].id, &er.rv, &img, NULL);
      if (img.oom) rc = err_nomem(&db->err);
      const unsigned char *p = (const unsigned char *)img.p + 1,
                          *end = (const unsigned char *)img.p + img.len;
      if (rc == REMDB_OK && col_bit(vis, i) != (img.p[0] == ROW_LIVE)) {
        snprintf(msg, sizeof msg,
                 "%s: entity %s is %s but its row position %llu is %s",
                 t->name, ids, img.p[0] == ROW_LIVE ? "live" : "deleted",
                 (unsigned long long)ps[j].pos,
                 col_bit(vis, i) ? "visible" : "invisible");
        report(ctx, msg);
      }
      rval x;
      for (uint32_t c = 0; rc == REMDB_OK && c < t->ncols && p < end; c++) {
        if (!rimg_next(&p, end, &x)) break;
        if (x.field != t->cols[c].field || value_is(&vs[c], i, &x)) continue;
        const char *cn = x.field == 0 ? "id"
                         : x.field < REC_F_FIRST
                             ? (x.field == REC_F_CREATED    ? "created_at"
                                : x.field == REC_F_MODIFIED ? "modified_at"
                                                            : "deleted_at")
                             : rec_dict_name(&t->dict, x.field);
        snprintf(msg, sizeof msg,
                 "%s: entity %s: column %s at row position %llu differs from "
                 "the entity",
                 t->name, ids, cn ? cn : "?", (unsigned long long)ps[j].pos);
        report(ctx, msg);
      }
      ent_row_free(&er);
    }
    for (; rc == REMDB_OK && next_i < n; next_i++)
      if (col_bit(vis, next_i)) {
        snprintf(msg, sizeof msg,
                 "%s: row position %llu is visible in the columns but no "
                 "entity has it",
                 t->name, (unsigned long long)(base + next_i));
        report(ctx, msg);
      }
    free(vs);
  }
  for (; rc == REMDB_OK && j < np; j++) {
    uuid_format(&ps[j].id, ids);
    snprintf(msg, sizeof msg,
             "%s: entity %s has row position %llu, past the table's %llu",
             t->name, ids, (unsigned long long)ps[j].pos,
             (unsigned long long)r->npos);
    report(ctx, msg);
  }
  buf_free(&img);
  colr_close(r);
  free(ps);
  return rc;
}

/*
** fts.c: each table's full-text index in RocksDB (keys: src/kv/kv.h, the
** index column family, TID 0x46 TBL KIND ...; values: src/text/postings.h).
**
** Writes.  wtx_put and wtx_remove call fts_stage with the entity's old and
** new versions; the writer never reads a posting.  A document number
** (docno) is given to an entity when it is first written; 'I' keys map ids
** to numbers, 'E' keys (one per 128 numbers) numbers to ids.  The numbers
** come from a counter ('N') the writer caches (fts_cache, guarded by the
** write lock): numbers of a transaction that did not commit are simply
** never used.  The postings of a transaction's new documents, with their
** terms' statistics, go to one new segment of the table (see "Segments":
** the lasting layout, merged by tiers).  A stored document of a segment
** that changes dies there and a new version gets a new number (see
** "Tombstones").  A table rebuilt by reindex, or of a format-3 database,
** also has posting blocks ('B', one key per term and 128 numbers) with
** term entries ('T'): a change of one of their documents keeps its number
** and stages merge operands into them, in the same batch.  Lengths ('L')
** and table statistics ('S') are merge operands too.
**
** Built or not.  The 'M' key holds the signature of the configuration the
** index was built with (sch_fulltext.signature).  The index is maintained
** and readable only while it equals the schema's: a table created with
** "fulltext" is built (empty) at once; a schema replace that changes the
** configuration and reindex rebuild it (fts_rebuild, resumed after a crash
** by cat_resume); a table of a database from a build without full-text
** search is "not built" until reindex, and its readers say so.
**
** Reads.  ftsr_* (ftsread.h) read a snapshot: postings through an
** iterator per term, term entries, lengths and statistics by point reads.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "../text/analyze.h"
#include "../text/index.h"
#include "../text/postings.h"
#include "../text/query.h"
#include "ftsread.h"
#include "internal.h"

/* ---- a small string -> index hash map ------------------------------------ */

typedef struct smap {
  uint64_t *slot; /* (hash >> 32) << 32 | (index + 1), 0 empty */
  size_t cap, n;
  const char **key;
  size_t *klen;
  uint64_t *hash; /* per key */
  size_t kcap;
} smap;

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h) {
  return XXH3_64bits_withSeed(p, n, h);
}

static void smap_clear(smap *m) {
  if (m->slot) memset(m->slot, 0, m->cap * sizeof *m->slot);
  m->n = 0;
}

static void smap_free(smap *m) {
  free(m->slot);
  free(m->key);
  free(m->klen);
  free(m->hash);
  memset(m, 0, sizeof *m);
}

static bool smap_grow(smap *m) {
  size_t cap = m->cap ? m->cap * 2 : 256;
  uint64_t *s = calloc(cap, sizeof *s);
  if (!s) return false;
  for (size_t i = 0; i < m->n; i++) {
    uint64_t h = m->hash[i];
    size_t j = (size_t)h & (cap - 1);
    while (s[j]) j = (j + 1) & (cap - 1);
    s[j] = (h & 0xffffffff00000000ull) | ((uint64_t)i + 1);
  }
  free(m->slot);
  m->slot = s;
  m->cap = cap;
  return true;
}

/* The index of key (k, n), or (add) a new one: *added tells.  The key
** bytes are borrowed: they must stay put while the map holds them.
** SIZE_MAX when not found (or out of memory). */
static size_t smap_find(smap *m, const char *k, size_t n, bool add,
                        bool *added) {
  if (added) *added = false;
  if (m->cap == 0 || (add && (m->n + 1) * 2 > m->cap)) {
    if (!add && m->cap == 0) return SIZE_MAX;
    if (!smap_grow(m)) return SIZE_MAX;
  }
  uint64_t h = hash_bytes(k, n, 0xcbf29ce484222325ull);
  uint64_t tag = h & 0xffffffff00000000ull;
  size_t j = (size_t)h & (m->cap - 1);
  while (m->slot[j]) {
    uint64_t sl = m->slot[j];
    if ((sl & 0xffffffff00000000ull) == tag) {
      size_t i = (size_t)(uint32_t)sl - 1;
      if (m->klen[i] == n && memcmp(m->key[i], k, n) == 0) return i;
    }
    j = (j + 1) & (m->cap - 1);
  }
  if (!add) return SIZE_MAX;
  if (m->n == m->kcap) {
    size_t c = m->kcap ? m->kcap * 2 : 128;
    const char **nk = realloc(m->key, c * sizeof *nk);
    if (!nk) return SIZE_MAX;
    m->key = nk;
    size_t *nl = realloc(m->klen, c * sizeof *nl);
    if (!nl) return SIZE_MAX;
    m->klen = nl;
    uint64_t *nh = realloc(m->hash, c * sizeof *nh);
    if (!nh) return SIZE_MAX;
    m->hash = nh;
    m->kcap = c;
  }
  m->key[m->n] = k;
  m->klen[m->n] = n;
  m->hash[m->n] = h;
  m->slot[j] = tag | ((uint64_t)m->n + 1);
  if (added) *added = true;
  return m->n++;
}

/* ---- analysers ------------------------------------------------------------ */

static fts_analyzer *make_analyzer(const sch_fulltext *f, char *err,
                                   size_t errlen) {
  fts_analyzer_opts o = {0};
  o.mode = f->unicode61 ? FTS_UNICODE61 : FTS_REMDB;
  o.stemmer = f->stemmer;
  o.stop = f->stop == SCH_STOP_ENGLISH  ? FTS_STOP_ENGLISH
           : f->stop == SCH_STOP_CUSTOM ? FTS_STOP_CUSTOM
                                        : FTS_STOP_NONE;
  o.stopwords = (const char *const *)f->stopwords;
  o.nstopwords = f->nstopwords;
  return fts_analyzer_new(&o, err, errlen);
}

/* Analyse the indexed fields of record rv into d.  0, or a remdb code. */
static int analyse(remdb *db, fts_analyzer *a, const sch_fulltext *f,
                   const rec_view *rv, fts_doc *d) {
  fts_doc_reset(d);
  for (uint32_t i = 0; i < f->nfields; i++) {
    rec_field fl;
    if (!rec_find(rv, f->fields[i], &fl) || fl.type != REC_TEXT) continue;
    int rc = fts_doc_add(d, a, i, fl.p, fl.n);
    if (rc) return err_nomem(&db->err);
  }
  if (fts_doc_nterms(d) < 0) return err_nomem(&db->err);
  return REMDB_OK;
}

/* ---- the writer's cache (store_t.fts, guarded by the write lock) ----------- */

typedef struct fts_slot {
  uint32_t tid, tbl;
  uint64_t epoch;  /* catalog epoch `built` was read at */
  bool built;
  bool have_next;
  uint64_t next; /* next document number */
} fts_slot;

typedef struct fts_an {
  char *sig;
  fts_analyzer *a;
} fts_an;

struct fts_cache {
  fts_slot *slot;
  size_t nslot, capslot;
  fts_an an[8];
  size_t nan;
  fts_doc *old, *nw;
  smap terms; /* the old version's terms, in a diff */
  buf_t op;
  struct fpipe *pipe; /* analysis beside the writer (see there) */
};

static void pipe_free(struct fpipe *p);

void fts_cache_free(store_t *st) {
  struct fts_cache *c = st->fts;
  if (c == NULL) return;
  pipe_free(c->pipe); /* (joins its workers) */
  for (size_t i = 0; i < c->nan; i++) {
    free(c->an[i].sig);
    fts_analyzer_free(c->an[i].a);
  }
  fts_doc_free(c->old);
  fts_doc_free(c->nw);
  smap_free(&c->terms);
  buf_free(&c->op);
  free(c->slot);
  free(c);
  st->fts = NULL;
}

static struct fts_cache *cache_get(remdb *db) {
  store_t *st = db->st;
  if (st->fts) return st->fts;
  struct fts_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->old = fts_doc_new();
  c->nw = fts_doc_new();
  buf_init(&c->op);
  st->fts = c;
  if (!c->old || !c->nw) {
    fts_cache_free(st);
    return NULL;
  }
  return c;
}

/* The writer's analyzer for configuration f. */
static fts_analyzer *cache_analyzer(remdb *db, struct fts_cache *c,
                                    const sch_fulltext *f) {
  for (size_t i = 0; i < c->nan; i++)
    if (strcmp(c->an[i].sig, f->signature) == 0) return c->an[i].a;
  char err[256];
  fts_analyzer *a = make_analyzer(f, err, sizeof err);
  if (!a) {
    err_set(&db->err, REMDB_ERROR, "full-text analyzer: %s", err);
    return NULL;
  }
  if (c->nan == sizeof c->an / sizeof *c->an) { /* evict the oldest */
    free(c->an[0].sig);
    fts_analyzer_free(c->an[0].a);
    memmove(c->an, c->an + 1, (c->nan - 1) * sizeof *c->an);
    c->nan--;
  }
  char *sig = strdup(f->signature);
  if (!sig) {
    fts_analyzer_free(a);
    err_nomem(&db->err);
    return NULL;
  }
  c->an[c->nan++] = (fts_an){sig, a};
  return a;
}

/* Read t's 'M' key at snap (NULL: latest): is the index built with t's
** configuration? */
static int read_built(remdb *db, const kv_snap_t *snap, const sch_table *t,
                      bool *built) {
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, db->tid, t->table_id, 'M');
  kv_val v;
  *built = false;
  int rc = kv_get(db->st->kv, snap, KV_INDEX, k, sizeof k, &v, &db->err);
  if (rc == REMDB_NOTFOUND) return REMDB_OK;
  if (rc) return rc;
  const char *sig = t->fulltext.signature;
  *built = sig && v.len == strlen(sig) && memcmp(v.data, sig, v.len) == 0;
  kv_val_free(&v);
  return REMDB_OK;
}

static fts_slot *cache_slot(remdb *db, struct fts_cache *c,
                            const sch_table *t) {
  uint64_t epoch = atomic_load(&db->st->epoch);
  fts_slot *s = NULL;
  for (size_t i = 0; i < c->nslot && !s; i++)
    if (c->slot[i].tid == db->tid && c->slot[i].tbl == t->table_id)
      s = &c->slot[i];
  if (s == NULL) {
    if (c->nslot == c->capslot) {
      size_t cap = c->capslot ? c->capslot * 2 : 8;
      fts_slot *n = realloc(c->slot, cap * sizeof *n);
      if (!n) {
        err_nomem(&db->err);
        return NULL;
      }
      c->slot = n;
      c->capslot = cap;
    }
    s = &c->slot[c->nslot++];
    *s = (fts_slot){db->tid, t->table_id, epoch + 1, false, false, 0};
  }
  if (s->epoch != epoch) {
    if (read_built(db, NULL, t, &s->built)) return NULL;
    s->epoch = epoch;
  }
  return s;
}

/* ---- a transaction's document numbers ------------------------------------- */

/* A transaction's pending changes: the numbers of the entities it staged
** (their 'I' keys are in its batch, not in storage), and the index
** changes, combined per key and staged at commit (fts_before_commit): a
** batch of documents with consecutive numbers writes one value per
** (term, range), per term, per length range and per table, not one per
** document.
**
** Fresh ranges.  Numbers only grow (next_docno), and the writer holds the
** write lock from a transaction's first write to its commit, so when a
** transaction first numbers a document of a table, every number stored
** for that table is below the counter then ('fresh').  A posting block or
** length range that starts at or above it has no stored value: it is
** staged as a full value (a put) rather than a merge operand, which
** spares flushes and compactions the merge (the import case). */
typedef struct ppost { /* in the transaction's pool */
  uint64_t doc;
  uint32_t tf, dl;
  size_t pos;    /* offset in the transaction's positions */
  uint32_t next; /* the key's next upsert (index + 1, 0 none) */
  uint32_t key;  /* its key (pkey index + 1; 0: unlinked, unused) */
} ppost;

typedef struct plen { /* a length range's pending slots */
  fts_lengths v;
  uint8_t touched[FTS_BLOCK_SPAN / 8];
} plen;

typedef struct pids { /* an id range's pending slots */
  uint8_t id[FTS_BLOCK_SPAN][16];
  uint8_t touched[FTS_BLOCK_SPAN / 8];
} pids;

typedef struct pkey { /* (what a posting writes first: one cache line) */
  fts_term_delta td;      /* 'T': the change of the stored documents ('B':
                          ** the block's share of it, see pend_term) */
  fts_term_delta tdn;     /* 'T': the transaction's new documents (its
                          ** segment's entry of the term) ('B': same) */
  uint64_t maxup;         /* 'B': no doc above it is in up (+1; 0: none) */
  uint32_t nup;
  const char *key; /* in the transaction's key arena */
  size_t kl;
  char kind;              /* key[12]: 'B', 'T', 'L', 'S' */
  uint32_t term;          /* 'B': its term's key (index + 1) */
  uint32_t last;          /* 'T': its latest new 'B' key (index + 1, 0 none) */
  uint32_t prev;          /* 'B': the term's 'B' key added before it (same) */
  uint64_t range;         /* 'B': docno / FTS_BLOCK_SPAN */
  int64_t sdocs, stokens; /* 'S' */
  plen *len;              /* 'L' */
  pids *ids;              /* 'E' */
  uint32_t uhead, utail;  /* 'B': upserts (pool list), at most one per doc */
  uint64_t *del;          /* 'B': deletes (applied before the upserts) */
  uint32_t ndel, capdel;
} pkey;

/* A table's segments ('W', see "Segments"): documents >= m have their
** postings in segments no[0 .. n), oldest (lowest documents) first, each
** with its level (0: one commit's; L + 1: a merge of FTS_SEG_MAX of level
** L); next: the number the next segment gets; dead: the tombstones ('K')
** of its documents. */
#define FTS_SEG_LIST 160
typedef struct segset {
  uint64_t m, next, dead;
  uint32_t n;
  uint64_t no[FTS_SEG_LIST];
  uint8_t lvl[FTS_SEG_LIST];
} segset;

typedef struct ptab { /* a table the transaction touched */
  uint32_t tid, tbl;
  uint64_t fresh; /* the counter before the transaction's first number */
  uint64_t next;  /* the counter now: staged ('N') at commit */
  segset s;    /* its segments ('W', see "Segments") at the first touch */
  bool merged; /* a run of its segments was merged by this commit */
  bool killed; /* a document of its segments was killed (s.dead grew) */
  bool wrote;  /* a new segment (number s.next) was staged */
  /* its pending term keys ('T') by term, found by fts_term_hash (a lookup
  ** per (document, term) without building the key or hashing it again:
  ** see pend_posting) */
  struct tslot *tslot;
  size_t tcap, tn;
  /* its latest length and id keys ('L', 'E': pkey index + 1, 0 none) and
  ** their ranges: the next document's, usually (see pend_range_key) */
  uint32_t lkey, ekey;
  uint64_t lrange, erange;
} ptab;

/* A slot of a table's pending term map (ptab.tslot): the term's 'T' key,
** what tells the term without reading its key (its length and first 8
** bytes: the key's other bytes are read only for a longer term), and the
** term's block of the highest range so far, which takes the postings of
** an import's documents (numbered in ascending order) with no other
** lookup. */
typedef struct tslot {
  uint32_t tag;   /* the hash's top 24 bits << 8 | the term's length */
  uint32_t term;  /* its 'T' key (pkey index + 1); 0: the slot is empty */
  uint64_t word;  /* fts_short_word of its first (up to 8) bytes */
  uint32_t range; /* the range (docno / FTS_BLOCK_SPAN) of block blk */
  uint32_t blk;   /* its block of the highest range ('B' key index + 1) */
} tslot;

/* A block key ('B') by (its term's key index + 1) << 32 | its range, in
** fts_txn.bmap; blk 0: the slot is empty. */
typedef struct bslot {
  uint64_t id;
  uint32_t blk; /* pkey index + 1 */
} bslot;

#define ARENA_CHUNK 65536

struct fts_txn {
  idset ids;
  uint64_t *docno;
  size_t cap;
  /* the pending keys pk[0 .. npk): the term keys ('T') are found by their
  ** table's term map (ptab.tslot), the block keys ('B') by their term's
  ** slot or bmap, the others by `keys` (whose index kix maps to pk's) */
  pkey *pk;
  size_t npk, cappk;
  smap keys;
  uint32_t *kix;
  size_t capkix;
  /* the block keys by (term, range), for a document below the highest
  ** range of one of its terms (an update, a delete): built at the first
  ** such lookup of a transaction (bon), then kept up to date */
  bslot *bmap;
  size_t bcap, bn;
  bool bon;
  uint32_t *pos;
  size_t npos, poscap;
  ppost *post; /* the pool of the keys' upserts */
  size_t npost, cappost;
  bool linked; /* the keys' lists of upserts are kept (see pend_upsert) */
  size_t bytes;
  char **arena; /* chunks of ARENA_CHUNK bytes holding the keys */
  size_t narena, caparena, used;
  ptab *tab;
  size_t ntab, captab;
  size_t ntabhw; /* tab[0 .. ntabhw) hold a (zeroed) tslot to reuse */
  /* fts_before_commit's scratch, kept from commit to commit */
  pkey **order;
  size_t caporder;
  size_t *start;
  size_t capstart;
  fts_posting *gath;
  size_t capgath;
  uint64_t *rword; /* sort_terms' words and order */
  size_t caprword;
  struct fenc_key *enck; /* enc_blocks' per key (see "Segment blocks ...") */
  size_t capenck;
  struct fpipe *pipe; /* the store's, when this transaction queued jobs */
  size_t nsync;       /* documents staged without it */
  int nthreads;       /* threads for analysis (0: not asked yet) */
};

static void pend_clear(struct fts_txn *x) {
  for (size_t i = 0; i < x->ntab; i++) { /* kept for the next touch */
    ptab *t = &x->tab[i];
    if (t->tn) memset(t->tslot, 0, t->tcap * sizeof *t->tslot);
    t->tn = 0;
  }
  for (size_t i = 0; i < x->npk; i++) {
    free(x->pk[i].del);
    free(x->pk[i].len);
    free(x->pk[i].ids);
  }
  x->npk = 0;
  if (x->keys.n) smap_clear(&x->keys);
  if (x->bn) memset(x->bmap, 0, x->bcap * sizeof *x->bmap);
  x->bn = 0;
  x->bon = false;
  x->npos = 0;
  x->npost = 0;
  x->linked = false;
  for (size_t i = 1; i < x->narena; i++) free(x->arena[i]);
  if (x->narena > 1) x->narena = 1;
  x->used = 0;
  x->ntab = 0;
}

static void pipe_cancel(struct fpipe *p);
static void enc_settle(struct fpipe *p);
static size_t enck_bytes(size_t n);
static int pipe_drain(wtx_t *w, struct fts_cache *c, struct fpipe *p,
                      bool all);

void fts_txn_free(struct fts_txn *x) {
  if (x == NULL) return;
  enc_settle(x->pipe); /* (a worker may read the pending keys) */
  pipe_cancel(x->pipe); /* (its jobs not staged are dropped) */
  pend_clear(x);
  for (size_t i = 0; i < x->ntabhw; i++) free(x->tab[i].tslot);
  free(x->order);
  free(x->start);
  free(x->gath);
  free(x->rword);
  free(x->enck);
  smap_free(&x->keys);
  free(x->kix);
  free(x->bmap);
  free(x->pk);
  free(x->pos);
  free(x->post);
  for (size_t i = 0; i < x->narena; i++) free(x->arena[i]);
  free(x->arena);
  free(x->tab);
  idset_free(&x->ids);
  free(x->docno);
  free(x);
}

static size_t pipe_bytes(const struct fpipe *p);

/* Bytes held for what the transaction staged: x->bytes counts its keys,
** their slots and arena chunks; the shared arrays count by their use
** (their room is kept from commit to commit: fts_txn_reset); and the
** documents queued for analysis. */
size_t fts_txn_bytes(const struct fts_txn *x) {
  if (x == NULL) return 0;
  size_t n = x->bytes + x->npos * sizeof *x->pos + x->npost * sizeof *x->post;
  if (x->pipe) n += pipe_bytes(x->pipe);
  for (size_t i = 0; i < x->ntab; i++) n += 2 * x->tab[i].tn * sizeof(tslot);
  n += 2 * x->bn * sizeof(bslot);
  return n;
}

/* A batch commits every so many rows: its transaction's arrays (pending
** keys, postings, positions, maps, the commit's scratch) are kept for the
** next commit rather than freed and grown again each time (4% of an
** import's instructions, and the page faults of fresh memory), unless they
** hold more than FTS_TXN_KEEP bytes.  Returns x emptied, or NULL (freed). */
#define FTS_TXN_KEEP ((size_t)64 << 20)
struct fts_txn *fts_txn_reset(struct fts_txn *x) {
  if (x == NULL) return NULL;
  enc_settle(x->pipe); /* (a worker may read the pending keys) */
  size_t held = x->cappk * sizeof *x->pk + x->poscap * sizeof *x->pos +
                x->cappost * sizeof *x->post +
                x->keys.cap * sizeof *x->keys.slot +
                x->keys.kcap * (sizeof *x->keys.key + sizeof *x->keys.klen +
                                sizeof *x->keys.hash) +
                x->capkix * sizeof *x->kix + x->bcap * sizeof *x->bmap +
                x->caporder * sizeof *x->order +
                x->capstart * sizeof *x->start +
                x->capgath * sizeof *x->gath + x->cap * sizeof *x->docno +
                x->caprword * sizeof *x->rword +
                enck_bytes(x->capenck) +
                x->ids.cap * (sizeof(uuid16_t) + 2 * sizeof(uint32_t));
  for (size_t i = 0; i < x->ntabhw; i++)
    held += x->tab[i].tcap * sizeof(tslot);
  if (held > FTS_TXN_KEEP) {
    fts_txn_free(x);
    return NULL;
  }
  pipe_cancel(x->pipe); /* (its jobs not staged are dropped) */
  x->pipe = NULL;
  x->nsync = 0; /* the next transaction's first document: at once */
  pend_clear(x);
  idset_clear(&x->ids);
  x->bytes = 0;
  return x;
}

/* *p with room for n elements of size sz (contents not kept): scratch
** reused from commit to commit.  NULL when out of memory. */
static void *scratch(void *pp, size_t *cap, size_t n, size_t sz) {
  void **p = pp;
  if (n == 0) n = 1;
  if (n > *cap) {
    size_t c = *cap ? *cap : 256;
    while (c < n) c *= 2;
    free(*p);
    *p = malloc(c * sz);
    *cap = *p ? c : 0;
  }
  return *p;
}

static struct fts_txn *txn_of(wtx_t *w) {
  struct fts_txn **px = wtx_fts(w);
  if (*px == NULL) *px = calloc(1, sizeof **px);
  return *px;
}

/* A copy of k in the arena (kept until pend_clear).  NULL: out of memory. */
static const char *arena_copy(struct fts_txn *x, const unsigned char *k,
                              size_t kl) {
  if (x->narena == 0 || x->used + kl > ARENA_CHUNK) {
    if (x->narena == x->caparena) {
      size_t cap = x->caparena ? x->caparena * 2 : 8;
      char **n = realloc(x->arena, cap * sizeof *n);
      if (!n) return NULL;
      x->arena = n;
      x->caparena = cap;
    }
    /* a chunk kept from before a pend_clear is reused */
    if (x->narena == 0 || x->used != 0) {
      char *c = malloc(ARENA_CHUNK);
      if (!c) return NULL;
      x->arena[x->narena++] = c;
      x->bytes += ARENA_CHUNK;
    }
    x->used = 0;
  }
  char *p = x->arena[x->narena - 1] + x->used;
  memcpy(p, k, kl);
  x->used += kl;
  return p;
}

/* Room in x->pk for one more entry.  false when out of memory. */
static bool pend_room(struct fts_txn *x) {
  if (x->npk < x->cappk) return true;
  size_t cap = x->cappk ? x->cappk * 2 : 256;
  if (cap > UINT32_MAX) return false;
  pkey *n = realloc(x->pk, cap * sizeof *n);
  if (!n) return false;
  x->pk = n;
  x->cappk = cap;
  return true;
}

/* A new pending entry for key k, kl bytes, already in the arena (no map
** holds it yet).  Its index, or SIZE_MAX when out of memory. */
static size_t pend_new(struct fts_txn *x, const char *k, size_t kl) {
  if (!pend_room(x)) return SIZE_MAX;
  pkey *p = &x->pk[x->npk];
  memset(p, 0, sizeof *p);
  p->key = k;
  p->kl = kl;
  p->kind = k[12];
  p->td.min_dl = UINT32_MAX;
  p->tdn.min_dl = UINT32_MAX;
  x->bytes += sizeof *p + 16;
  return x->npk++;
}

/* The pending entry of key k (added if new), for the keys other than the
** term and block keys (pend_posting).  NULL when out of memory.  (The key
** is copied to the arena first and the copy taken back when the key was
** there: one lookup, one hash, either way.) */
static pkey *pend_key(struct fts_txn *x, const unsigned char *k, size_t kl) {
  if (x->keys.n == x->capkix) {
    size_t cap = x->capkix ? x->capkix * 2 : 64;
    uint32_t *n = realloc(x->kix, cap * sizeof *n);
    if (!n) return NULL;
    x->kix = n;
    x->capkix = cap;
  }
  if (!pend_room(x)) return NULL; /* (pend_new cannot fail below) */
  const char *copy = arena_copy(x, k, kl);
  if (!copy) return NULL;
  bool added;
  size_t i = smap_find(&x->keys, copy, kl, true, &added);
  if (i == SIZE_MAX) return NULL;
  if (!added) {
    x->used -= kl; /* the copy was the arena's last bytes */
    return &x->pk[x->kix[i]];
  }
  size_t at = pend_new(x, copy, kl);
  x->kix[i] = (uint32_t)at;
  return &x->pk[at];
}

static uint64_t bmap_hash(uint64_t id) {
  return fts_mix64(id * 0x9e3779b97f4a7c15ull);
}

/* Add block key b (pkey index) to x->bmap.  false when out of memory. */
static bool bmap_add(struct fts_txn *x, size_t b) {
  if ((x->bn + 1) * 2 > x->bcap) {
    size_t cap = x->bcap ? x->bcap * 2 : 256;
    bslot *ns = calloc(cap, sizeof *ns);
    if (ns == NULL) return false;
    for (size_t j = 0; j < x->bcap; j++) {
      if (x->bmap[j].blk == 0) continue;
      size_t k = (size_t)bmap_hash(x->bmap[j].id) & (cap - 1);
      while (ns[k].blk) k = (k + 1) & (cap - 1);
      ns[k] = x->bmap[j];
    }
    free(x->bmap);
    x->bmap = ns;
    x->bcap = cap;
  }
  const pkey *p = &x->pk[b];
  uint64_t id = (uint64_t)p->term << 32 | (uint32_t)p->range;
  size_t j = (size_t)bmap_hash(id) & (x->bcap - 1);
  while (x->bmap[j].blk) j = (j + 1) & (x->bcap - 1);
  x->bmap[j] = (bslot){id, (uint32_t)b + 1};
  x->bn++;
  return true;
}

/* The block key of term key ti (index) and range, from x->bmap (filled
** with every block key at its first use).  SIZE_MAX when there is none,
** or (*oom) when out of memory. */
static size_t bmap_find(struct fts_txn *x, size_t ti, uint32_t range,
                        bool *oom) {
  *oom = false;
  if (!x->bon) {
    for (size_t i = 0; i < x->npk; i++)
      if (x->pk[i].kind == 'B' && !bmap_add(x, i)) {
        *oom = true;
        return SIZE_MAX;
      }
    x->bon = true;
  }
  if (x->bn == 0) return SIZE_MAX;
  uint64_t id = (uint64_t)(ti + 1) << 32 | range;
  size_t j = (size_t)bmap_hash(id) & (x->bcap - 1);
  for (; x->bmap[j].blk; j = (j + 1) & (x->bcap - 1))
    if (x->bmap[j].id == id) return x->bmap[j].blk - 1;
  return SIZE_MAX;
}

/* A new block key of term key ti (index) for docno's range (none of the
** term's pending blocks has it).  NULL when out of memory. */
static pkey *pend_new_block(struct fts_txn *x, remdb *db, uint32_t tbl,
                            size_t ti, const char *tm, size_t len,
                            uint64_t docno) {
  unsigned char k[KEY_FTS_MAX];
  size_t kl = key_fts_block(k, db->tid, tbl, tm, len, docno);
  const char *copy = arena_copy(x, k, kl);
  size_t bi = copy ? pend_new(x, copy, kl) : SIZE_MAX;
  if (bi == SIZE_MAX) return NULL;
  pkey *pb = &x->pk[bi];
  pb->range = docno / FTS_BLOCK_SPAN;
  pb->term = (uint32_t)ti + 1;
  pb->prev = x->pk[ti].last; /* the term's list of blocks, newest first */
  x->pk[ti].last = (uint32_t)bi + 1;
  if (x->bon && !bmap_add(x, bi)) {
    x->pk[ti].last = pb->prev;
    x->npk--;
    return NULL;
  }
  return pb;
}

/* The pending block key ('B') of term tm[0..len) of table t for document
** docno, with the term's key ('T'), added when new.  The term is found by
** its hash h (its fts_term_hash, which the analysis kept:
** fts_doc_term_hash) in t's own map, whose slot tells the term and holds
** its block of the highest range: the block of a document numbered in
** ascending order (an import), or a new one after it, is found with no
** other lookup; an older range by x->bmap.  NULL: out of memory. */
static pkey *pend_posting(struct fts_txn *x, remdb *db, ptab *t,
                          const char *tm, size_t len, uint64_t h,
                          uint64_t docno) {
  if ((t->tn + 1) * 2 > t->tcap) { /* grow (rehash from the keys) */
    size_t cap = t->tcap ? t->tcap * 2 : 256;
    tslot *ns = calloc(cap, sizeof *ns);
    if (ns == NULL) return NULL;
    for (size_t j = 0; j < t->tcap; j++) {
      if (t->tslot[j].term == 0) continue;
      const pkey *p = &x->pk[t->tslot[j].term - 1];
      uint64_t ph = fts_term_hash(p->key + KEY_FTS_PREFIX,
                                  p->kl - KEY_FTS_PREFIX);
      size_t k = (size_t)ph & (cap - 1);
      while (ns[k].term) k = (k + 1) & (cap - 1);
      ns[k] = t->tslot[j];
    }
    free(t->tslot);
    t->tslot = ns;
    t->tcap = cap;
  }
  uint32_t tag = (uint32_t)(h >> 40) << 8 | (uint32_t)len;
  uint64_t word = len ? fts_short_word(tm, len < 8 ? len : 8) : 0;
  size_t j = (size_t)h & (t->tcap - 1);
  tslot *s;
  for (;; j = (j + 1) & (t->tcap - 1)) {
    s = &t->tslot[j];
    if (s->term == 0) break;
    if (s->tag == tag && s->word == word &&
        (len <= 8 ||
         fts_same_bytes(x->pk[s->term - 1].key + KEY_FTS_PREFIX + 8, tm + 8,
                        len - 8)))
      break;
  }
  if (s->term == 0) { /* a new term */
    unsigned char k[KEY_FTS_MAX];
    size_t kl = key_fts_term(k, db->tid, t->tbl, tm, len);
    const char *copy = arena_copy(x, k, kl);
    size_t ti = copy ? pend_new(x, copy, kl) : SIZE_MAX;
    if (ti == SIZE_MAX) return NULL;
    *s = (tslot){tag, (uint32_t)ti + 1, word, 0, 0};
    t->tn++;
  }
  uint32_t range = (uint32_t)(docno / FTS_BLOCK_SPAN);
  if (s->blk && s->range == range) return &x->pk[s->blk - 1];
  size_t ti = s->term - 1;
  if (s->blk && range < s->range) { /* an older range */
    bool oom;
    size_t bi = bmap_find(x, ti, range, &oom);
    if (oom) return NULL;
    if (bi != SIZE_MAX) return &x->pk[bi];
    return pend_new_block(x, db, t->tbl, ti, tm, len, docno);
  }
  pkey *pb = pend_new_block(x, db, t->tbl, ti, tm, len, docno);
  if (pb == NULL) return NULL;
  s->blk = (uint32_t)(pb - x->pk) + 1;
  s->range = range;
  return pb;
}

/* The transaction's record of table (tid, tbl), added when add. */
static ptab *pend_tab(struct fts_txn *x, uint32_t tid, uint32_t tbl,
                      bool add) {
  for (size_t i = 0; i < x->ntab; i++)
    if (x->tab[i].tid == tid && x->tab[i].tbl == tbl) return &x->tab[i];
  if (!add) return NULL;
  if (x->ntab == x->captab) {
    size_t cap = x->captab ? x->captab * 2 : 4;
    ptab *n = realloc(x->tab, cap * sizeof *n);
    if (!n) return NULL;
    x->tab = n;
    x->captab = cap;
  }
  ptab *t = &x->tab[x->ntab];
  tslot *slot = NULL; /* a kept map (zeroed by pend_clear) */
  size_t scap = 0;
  if (x->ntab < x->ntabhw) {
    slot = t->tslot;
    scap = t->tcap;
  }
  memset(t, 0, sizeof *t);
  t->tslot = slot;
  t->tcap = scap;
  if (++x->ntab > x->ntabhw) x->ntabhw = x->ntab;
  t->tid = tid;
  t->tbl = tbl;
  return t;
}

/* Link each key's list of upserts (uhead, utail, ppost.next), in one pass
** over the pool.  Until a transaction needs them (a document's second
** upsert or a delete of a key that has upserts), the lists are not kept:
** an import's postings go to the pool with no write to the key's previous
** one. */
static void pend_link(struct fts_txn *x) {
  for (size_t i = 0; i < x->npost; i++) {
    ppost *e = &x->post[i];
    pkey *p = &x->pk[e->key - 1]; /* (none unlinked yet) */
    if (p->utail) x->post[p->utail - 1].next = (uint32_t)i + 1;
    else p->uhead = (uint32_t)i + 1;
    p->utail = (uint32_t)i + 1;
  }
  x->linked = true;
}

static bool pend_upsert(struct fts_txn *x, pkey *p, uint64_t doc, uint32_t tf,
                        uint32_t dl, const uint32_t *pos) {
  if (x->npos + tf > x->poscap) {
    size_t cap = x->poscap ? x->poscap * 2 : 1024;
    while (cap < x->npos + tf) cap *= 2;
    uint32_t *n = realloc(x->pos, cap * sizeof *n);
    if (!n) return false;
    x->pos = n;
    x->poscap = cap;
  }
  if (doc < p->maxup && !x->linked) pend_link(x);
  if (doc < p->maxup) /* else a doc above all: the usual import */
    for (uint32_t i = p->uhead; i; i = x->post[i - 1].next)
      if (x->post[i - 1].doc == doc) {
        ppost *e = &x->post[i - 1];
        e->tf = tf;
        e->dl = dl;
        e->pos = x->npos;
        memcpy(x->pos + x->npos, pos, tf * sizeof *pos);
        x->npos += tf;
        return true;
      }
  if (x->npost == x->cappost) {
    size_t cap = x->cappost ? x->cappost * 2 : 1024;
    if (cap > UINT32_MAX) return false;
    ppost *n = realloc(x->post, cap * sizeof *n);
    if (!n) return false;
    x->post = n;
    x->cappost = cap;
  }
  x->post[x->npost] =
      (ppost){doc, tf, dl, x->npos, 0, (uint32_t)(p - x->pk) + 1};
  uint32_t *to = x->pos + x->npos;
  switch (tf) { /* most terms occur a few times in a document: no call */
    case 3: to[2] = pos[2]; /* fall through */
    case 2: to[1] = pos[1]; /* fall through */
    case 1: to[0] = pos[0]; break;
    default: memcpy(to, pos, tf * sizeof *pos);
  }
  x->npos += tf;
  uint32_t at = (uint32_t)++x->npost;
  if (x->linked) {
    if (p->utail) x->post[p->utail - 1].next = at;
    else p->uhead = at;
    p->utail = at;
  }
  p->nup++;
  if (doc >= p->maxup) p->maxup = doc + 1;
  return true;
}

static bool pend_delete(struct fts_txn *x, pkey *p, uint64_t doc) {
  if (p->nup && !x->linked) pend_link(x);
  for (uint32_t i = p->uhead, prev = 0; i; prev = i, i = x->post[i - 1].next)
    if (x->post[i - 1].doc == doc) { /* unlinked (its pool slot unused) */
      uint32_t nx = x->post[i - 1].next;
      x->post[i - 1].key = 0;
      if (prev) x->post[prev - 1].next = nx;
      else p->uhead = nx;
      if (p->utail == i) p->utail = prev;
      p->nup--;
      break;
    }
  for (uint32_t i = 0; i < p->ndel; i++)
    if (p->del[i] == doc) return true;
  if (p->ndel == p->capdel) {
    uint32_t cap = p->capdel ? p->capdel * 2 : 4;
    uint64_t *n = realloc(p->del, cap * sizeof *n);
    if (!n) return false;
    x->bytes += (cap - p->capdel) * sizeof *n;
    p->del = n;
    p->capdel = cap;
  }
  p->del[p->ndel++] = doc;
  return true;
}

/* The pending length ('L') or id ('E') key of docno's range of table tbl,
** added if new: the one its table used last when it is of that range (no
** key built, no lookup: an import's documents come in order).  NULL when
** out of memory. */
static pkey *pend_range_key(struct fts_txn *x, remdb *db, uint32_t tbl,
                            uint64_t docno, char kind) {
  uint64_t range = docno / FTS_BLOCK_SPAN;
  ptab *t = pend_tab(x, db->tid, tbl, false);
  uint32_t *last = t ? (kind == 'L' ? &t->lkey : &t->ekey) : NULL;
  uint64_t *lr = t ? (kind == 'L' ? &t->lrange : &t->erange) : NULL;
  if (last && *last && *lr == range) return &x->pk[*last - 1];
  unsigned char k[KEY_FTS_LEN_LEN];
  if (kind == 'L') key_fts_lengths(k, db->tid, tbl, docno);
  else key_fts_ids(k, db->tid, tbl, docno);
  pkey *p = pend_key(x, k, sizeof k);
  if (p && last) {
    *last = (uint32_t)(p - x->pk) + 1;
    *lr = range;
  }
  return p;
}

/* Set (has) or clear docno's length slot in its pending range. */
static bool pend_length(struct fts_txn *x, remdb *db, uint32_t tbl,
                        uint64_t docno, bool has, uint32_t len) {
  pkey *p = pend_range_key(x, db, tbl, docno, 'L');
  if (p == NULL) return false;
  if (p->len == NULL) {
    p->len = calloc(1, sizeof *p->len);
    if (p->len == NULL) return false;
    x->bytes += sizeof *p->len;
  }
  unsigned slot = (unsigned)(docno % FTS_BLOCK_SPAN);
  p->len->touched[slot >> 3] |= (uint8_t)(1u << (slot & 7));
  if (has) fts_lengths_set(&p->len->v, slot, len);
  else fts_lengths_unset(&p->len->v, slot);
  return true;
}

/* Set docno's id slot in its pending range (a zero id: none). */
static bool pend_ids(struct fts_txn *x, remdb *db, uint32_t tbl,
                     uint64_t docno, const uint8_t id[16]) {
  pkey *p = pend_range_key(x, db, tbl, docno, 'E');
  if (p == NULL) return false;
  if (p->ids == NULL) {
    p->ids = calloc(1, sizeof *p->ids);
    if (p->ids == NULL) return false;
    x->bytes += sizeof *p->ids;
  }
  unsigned slot = (unsigned)(docno % FTS_BLOCK_SPAN);
  p->ids->touched[slot >> 3] |= (uint8_t)(1u << (slot & 7));
  memcpy(p->ids->id[slot], id, 16);
  return true;
}

/* Add d to entry p's change of its term: of the new documents' segment
** entry (isnew: the document is numbered in this transaction), else of its
** stored entry.  p: the term key ('X'), or one of its blocks ('B': their
** shares are summed into the term key at commit, by pend_order, so that
** staging a posting touches the block only). */
static void pend_term(pkey *p, const fts_term_delta *d, bool isnew) {
  fts_term_delta *t = isnew ? &p->tdn : &p->td;
  t->df += d->df;
  t->cf += d->cf;
  if (d->max_tf > t->max_tf) t->max_tf = d->max_tf;
  if (d->min_dl < t->min_dl) t->min_dl = d->min_dl;
}

/* Fold block key b's share of its term's changes (pend_term) into its term
** key t (see pend_order). */
static void pend_term_fold(pkey *t, const pkey *b) {
  pend_term(t, &b->td, false);
  pend_term(t, &b->tdn, true);
}

static int posting_cmp(const void *a, const void *b) {
  uint64_t x = ((const fts_posting *)a)->doc, y = ((const fts_posting *)b)->doc;
  return x < y ? -1 : x > y;
}

static int u64_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int pkey_cmp(const void *a, const void *b) {
  const pkey *x = *(const pkey *const *)a, *y = *(const pkey *const *)b;
  int c = memcmp(x->key, y->key, x->kl < y->kl ? x->kl : y->kl);
  return c ? c : (x->kl > y->kl) - (x->kl < y->kl);
}

static int pkey_range_cmp(const void *a, const void *b) {
  uint64_t x = (*(const pkey *const *)a)->range,
           y = (*(const pkey *const *)b)->range;
  return x < y ? -1 : x > y;
}

/* Sort the term keys t[0..n) as pkey_cmp would.  When they are of one
** table (the same KEY_FTS_PREFIX bytes: the usual commit), by an LSD
** radix sort on each term's first 8 bytes (big-endian, zero-padded: the
** same order as the bytes'), then runs that tie on them by pkey_cmp; else
** by qsort.  (qsort's calls of memcmp were 1% of an import.)  false when
** out of memory (t unchanged). */
static bool sort_terms(struct fts_txn *x, pkey **t, size_t n) {
  bool one = true;
  for (size_t i = 1; i < n && one; i++)
    one = memcmp(t[i]->key, t[0]->key, KEY_FTS_PREFIX) == 0;
  if (!one || n < 64) {
    qsort(t, n, sizeof *t, pkey_cmp);
    return true;
  }
  /* words w[0..n), their keys' indices in t, and a second copy of both */
  uint64_t *r = scratch(&x->rword, &x->caprword, 4 * n, sizeof *r);
  if (r == NULL) return false;
  uint64_t *w = r, *ix = r + n, *w2 = r + 2 * n, *ix2 = r + 3 * n;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *b = (const unsigned char *)t[i]->key + KEY_FTS_PREFIX;
    size_t l = t[i]->kl - KEY_FTS_PREFIX;
    uint64_t v = 0;
    for (size_t j = 0; j < 8; j++) v = v << 8 | (j < l ? b[j] : 0);
    w[i] = v;
    ix[i] = i;
  }
  for (unsigned sh = 0; sh < 64; sh += 8) { /* stable passes, low byte first */
    size_t cnt[257] = {0};
    for (size_t i = 0; i < n; i++) cnt[((w[i] >> sh) & 0xff) + 1]++;
    if (cnt[((w[0] >> sh) & 0xff) + 1] == n) continue; /* all the same */
    for (unsigned c = 1; c <= 256; c++) cnt[c] += cnt[c - 1];
    for (size_t i = 0; i < n; i++) {
      size_t at = cnt[(w[i] >> sh) & 0xff]++;
      w2[at] = w[i];
      ix2[at] = ix[i];
    }
    uint64_t *tw = w, *ti = ix;
    w = w2;
    ix = ix2;
    w2 = tw;
    ix2 = ti;
  }
  pkey **o = (pkey **)(void *)w2; /* (w2 and ix2 are free now: 2n words) */
  for (size_t i = 0; i < n; i++) o[i] = t[ix[i]];
  for (size_t i = 0; i < n;) { /* runs with one word: by the whole key */
    size_t j = i + 1;
    while (j < n && w[j] == w[i]) j++;
    if (j - i > 1) qsort(o + i, j - i, sizeof *o, pkey_cmp);
    i = j;
  }
  memcpy(t, o, n * sizeof *t);
  return true;
}

/* The pending keys in the order to stage them: sorted but for the order of
** tables (only the term keys are sorted; a term's blocks follow its list).
** Blocks first ('B' < 'L' < 'S' < 'T'), then the others, then the terms.
** Each term key gets its blocks' changes (pend_term): call once a commit.
** Returns the count, or SIZE_MAX when out of memory (*out NULL). */
static size_t pend_order(struct fts_txn *x, pkey ***out) {
  size_t n = x->npk;
  pkey **o = scratch(&x->order, &x->caporder, 2 * n + 1, sizeof *o);
  *out = o;
  if (o == NULL) return SIZE_MAX;
  pkey **terms = o + n; /* the second half */
  size_t nt = 0;
  for (size_t i = 0; i < n; i++)
    if (x->pk[i].kind == 'T') terms[nt++] = &x->pk[i];
  if (!sort_terms(x, terms, nt)) {
    *out = NULL;
    return SIZE_MAX;
  }
  size_t k = 0;
  for (size_t t = 0; t < nt; t++) { /* the blocks, term by term */
    size_t first = k;
    for (uint32_t b = terms[t]->last; b; b = x->pk[b - 1].prev) {
      o[k++] = &x->pk[b - 1];
      pend_term_fold(terms[t], &x->pk[b - 1]);
    }
    /* newest first: reversed, ascending when the ranges came in order */
    for (size_t i = first, j = k; i + 1 < j; i++, j--) {
      pkey *tmp = o[i];
      o[i] = o[j - 1];
      o[j - 1] = tmp;
    }
    bool sorted = true;
    for (size_t i = first + 1; i < k && sorted; i++)
      sorted = o[i - 1]->range < o[i]->range;
    if (!sorted) qsort(o + first, k - first, sizeof *o, pkey_range_cmp);
  }
  size_t firsto = k;
  for (size_t i = 0; i < n; i++) {
    char kind = x->pk[i].kind;
    if (kind != 'T' && kind != 'B') o[k++] = &x->pk[i];
  }
  qsort(o + firsto, k - firsto, sizeof *o, pkey_cmp);
  memmove(o + k, terms, nt * sizeof *o);
  return k + nt;
}

/* Does the range starting at docno `first` of key p's table have no
** stored value (see "Fresh ranges")? */
static bool pend_fresh(struct fts_txn *x, const pkey *p, uint64_t first) {
  const unsigned char *k = (const unsigned char *)p->key;
  ptab *t = pend_tab(x, get_u32be(k), get_u32be(k + 8), false);
  return t && first >= t->fresh;
}

/* The upserts of every block key, gathered key by key into one array in
** one sequential pass over the pool (walking each key's list instead is a
** chain of cache misses: 10% of an import's time, measured): *start gets
** each key's first (indexed by pkey), in the order of its list.  NULL when
** out of memory. */
static fts_posting *gather_upserts(struct fts_txn *x, pkey **order,
                                   size_t nkeys, size_t **start) {
  size_t total = 0;
  size_t *at = scratch(&x->start, &x->capstart, x->npk + 1, sizeof *at);
  *start = at;
  if (at == NULL) return NULL;
  for (size_t i = 0; i < nkeys; i++) {
    pkey *p = order[i];
    if (p->kind != 'B') continue;
    at[p - x->pk] = total;
    total += p->nup;
  }
  fts_posting *all = scratch(&x->gath, &x->capgath, total, sizeof *all);
  if (all == NULL) return NULL;
  for (size_t i = 0; i < x->npost; i++) {
    const ppost *e = &x->post[i];
    if (e->key)
      all[at[e->key - 1]++] = (fts_posting){e->doc, e->tf, e->dl,
                                            x->pos + e->pos};
  }
  for (size_t i = 0; i < nkeys; i++) { /* back to each key's first */
    pkey *p = order[i];
    if (p->kind == 'B') at[p - x->pk] -= p->nup;
  }
  return all;
}

/* ---- segments ---------------------------------------------------------------
** A transaction's new documents (numbered at or above its table's `fresh`)
** do not go to posting blocks: at commit their postings are written as ONE
** new segment of the table, a sorted run of (term, blocks) in parts of
** about FTS_SEG_PART bytes (a header: the segment's first document
** number), each part keyed by its last term
** ('G' SEGNO TERM, kv.h), so a reader finds a term's blocks in a segment
** with one seek.  The blocks in a segment are ordinary fts_block values
** (at most FTS_BLOCK_SPAN documents of one range each; a term's blocks
** ascend, and two of them may share a range), so a reader's cursor reads
** the blocks of storage and then those of the segments, in document order.
**
** Segments are the lasting layout of an import: the table's 'W' key (a
** segset: m, the next segment number, the count of tombstones, the list
** of segments with their levels) says which segments a reader reads,
** oldest first: they hold the
** postings of every document numbered >= m, the blocks those of every
** document below m.  Tiered merges (seg_merge) keep the list short: a
** commit that finds FTS_SEG_MAX segments of one level merges them into one
** of the next level, by concatenating each term's blocks (their documents
** are disjoint and ascending: only a block that holds a dead document is
** decoded, to drop it); the commit of its last step deletes the merged
** ones and rewrites 'W' (a reader sees the old segments or the new one,
** never both).  A posting is so copied once per level, and a table of N commits
** has O(FTS_SEG_MAX log N) segments.  A merge is spread over commits,
** about fts_merge_work bytes each (see "Incremental merges").
**
** A transaction that changes a document >= m (an update, a delete: the
** writer never edits a segment) kills it there (see "Tombstones"); one
** that changes a document below m changes the blocks (merge operands, as
** a format-3 database's index and a rebuilt one are blocks only).
** Lengths, table statistics and ids are written as before. */

#ifndef FTS_SEG_MAX /* (a build may try another) */
#define FTS_SEG_MAX 8 /* segments of one level merged into one */
#endif
/* bytes of a segment part (about): a reader reads one per term and
** segment (64 KiB parts made single-term queries ~25% slower than 8 KiB,
** bench_ftsdb; the build the same) */
#define FTS_SEG_PART 8192
#define FTS_W_HEAD 24

static int kind_iter(remdb *db, const kv_snap_t *snap, uint32_t tbl, char kind,
                     kv_iter_t **it);

/* One term's entry of a segment part: varint TL, TERM, the term's
** statistics in the segment (varints DF, CF, MAX_TF, MIN_DL: a reader sums
** them over the segments, with the term's 'T' entry, which holds those of
** the blocks), varint NBLK, then NBLK times (varint LEN, block).
** seg_entry reads the entry at *p: 1, 0 at the end, -1 when malformed;
** *blk .. *bend are the blocks. */
static int seg_entry(const uint8_t **p, const uint8_t *end, const char **term,
                     size_t *tl, fts_term_info *ti, uint64_t *nblk,
                     const uint8_t **blk, const uint8_t **bend) {
  if (*p == end) return 0;
  uint64_t n, mt, md;
  if (!fts_get_varint(p, end, &n) || n > FTS_MAX_TERM ||
      n > (uint64_t)(end - *p))
    return -1;
  *term = (const char *)*p;
  *tl = (size_t)n;
  *p += n;
  if (!fts_get_varint(p, end, &ti->df) || !fts_get_varint(p, end, &ti->cf) ||
      !fts_get_varint(p, end, &mt) || !fts_get_varint(p, end, &md) ||
      mt > UINT32_MAX || md > UINT32_MAX || ti->df == 0)
    return -1;
  ti->max_tf = (uint32_t)mt;
  ti->min_dl = (uint32_t)md;
  if (!fts_get_varint(p, end, nblk)) return -1;
  *blk = *p;
  for (uint64_t i = 0; i < *nblk; i++) {
    if (!fts_get_varint(p, end, &n) || n > (uint64_t)(end - *p)) return -1;
    *p += n;
  }
  *bend = *p;
  return 1;
}

/* The next block of an entry's blocks: 1, 0 at the end, -1 malformed. */
static int seg_block(const uint8_t **p, const uint8_t *end, const uint8_t **b,
                     size_t *bl) {
  if (*p == end) return 0;
  uint64_t n;
  if (!fts_get_varint(p, end, &n) || n > (uint64_t)(end - *p)) return -1;
  *b = *p;
  *bl = (size_t)n;
  *p += n;
  return 1;
}

/* The table's segments at snap (none when it has no 'W').  REMDB_CORRUPT
** when 'W' is malformed. */
static int read_segs(remdb *db, const kv_snap_t *snap, uint32_t tid,
                     uint32_t tbl, segset *out) {
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, tid, tbl, 'W');
  out->m = out->next = out->dead = 0;
  out->n = 0;
  kv_val v;
  int rc = kv_get(db->st->kv, snap, KV_INDEX, k, sizeof k, &v, &db->err);
  if (rc == REMDB_NOTFOUND) return REMDB_OK;
  if (rc) return rc;
  const unsigned char *d = (const unsigned char *)v.data;
  bool ok = v.len >= FTS_W_HEAD && (v.len - FTS_W_HEAD) % 9 == 0 &&
            (v.len - FTS_W_HEAD) / 9 <= FTS_SEG_LIST;
  if (ok) {
    out->m = get_u64be(d);
    out->next = get_u64be(d + 8);
    out->dead = get_u64be(d + 16);
    out->n = (uint32_t)((v.len - FTS_W_HEAD) / 9);
    for (uint32_t i = 0; i < out->n && ok; i++) {
      out->no[i] = get_u64be(d + FTS_W_HEAD + 9 * i);
      out->lvl[i] = d[FTS_W_HEAD + 9 * i + 8];
      ok = out->no[i] < out->next &&
           (i == 0 || (out->no[i] != out->no[i - 1] &&
                       out->lvl[i] <= out->lvl[i - 1]));
    }
  }
  kv_val_free(&v);
  if (!ok) out->n = 0;
  return ok ? REMDB_OK
            : err_set(&db->err, REMDB_CORRUPT,
                      "full-text segment state is malformed");
}

static void stage_segs(kv_batch_t *kb, uint32_t tid, uint32_t tbl,
                       const segset *s) {
  unsigned char k[KEY_FTS_PREFIX], v[FTS_W_HEAD + 9 * FTS_SEG_LIST];
  key_fts(k, tid, tbl, 'W');
  put_u64be(v, s->m);
  put_u64be(v + 8, s->next);
  put_u64be(v + 16, s->dead);
  for (uint32_t i = 0; i < s->n; i++) {
    put_u64be(v + FTS_W_HEAD + 9 * i, s->no[i]);
    v[FTS_W_HEAD + 9 * i + 8] = s->lvl[i];
  }
  kv_batch_put(kb, KV_INDEX, k, sizeof k, v, FTS_W_HEAD + 9 * (size_t)s->n);
}

static int load_counter(remdb *db, fts_slot *s) {
  if (s->have_next) return REMDB_OK;
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, s->tid, s->tbl, 'N');
  kv_val v;
  int rc = kv_get(db->st->kv, NULL, KV_INDEX, k, sizeof k, &v, &db->err);
  s->next = 0;
  if (rc == REMDB_OK) {
    if (v.len == 8) s->next = get_u64be((const unsigned char *)v.data);
    kv_val_free(&v);
  } else if (rc != REMDB_NOTFOUND) {
    return rc;
  }
  s->have_next = true;
  return REMDB_OK;
}

/* The transaction's record of s's table, made at its first touch: the
** counter and the segment state then (the writer holds the write lock:
** neither moves under it but by this transaction). */
static int tab_touch(remdb *db, fts_slot *s, struct fts_txn *x, ptab **out) {
  ptab *t = pend_tab(x, s->tid, s->tbl, false);
  if (t) {
    *out = t;
    return REMDB_OK;
  }
  int rc = load_counter(db, s);
  if (rc) return rc;
  t = pend_tab(x, s->tid, s->tbl, true);
  if (t == NULL) return err_nomem(&db->err);
  if ((rc = read_segs(db, NULL, s->tid, s->tbl, &t->s))) {
    x->ntab--;
    return rc;
  }
  t->fresh = t->next = s->next;
  *out = t;
  return REMDB_OK;
}

/* A part's header: the first document number of its segment. */
static bool seg_part_begin(const uint8_t **p, const uint8_t *end,
                           uint64_t *first) {
  return fts_get_varint(p, end, first);
}

/* Writing one segment: the commit's new one (segb_add), or a merge's
** (segb_raw). */
typedef struct segb {
  kv_batch_t *kb;
  ptab *t;          /* the table being written; NULL none */
  uint64_t segno;   /* its number */
  uint64_t first;   /* its first document number (each part's header) */
  buf_t part, ent, blk;
  uint32_t nblk;
  const char *term; /* the current term (segb_add: in the key arena) */
  size_t tl;
  fts_term_info ti; /* its statistics */
  char last[FTS_MAX_TERM + 1]; /* the part's last term */
  size_t lastl;
} segb;

static void segb_part_flush(segb *b) {
  if (b->part.len == 0) return;
  unsigned char k[KEY_FTS_SEG_MAX];
  size_t kl = key_fts_seg(k, b->t->tid, b->t->tbl, b->segno, b->last,
                          b->lastl);
  kv_batch_put(b->kb, KV_INDEX, k, kl, b->part.p, b->part.len);
  buf_reset(&b->part);
}

/* A varint (as fts_put_varint) at o: its length. */
static size_t seg_vi(unsigned char *o, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    o[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  o[n++] = (unsigned char)v;
  return n;
}

/* Append an entry: term, nblk blocks whose encoded form (varint LEN,
** block; ...) is blocks[0..len). */
static void segb_entry(segb *b, const char *term, size_t tl,
                       const fts_term_info *ti, uint64_t nblk,
                       const void *blocks, size_t len) {
  /* the head of the entry in one piece: varints of 10 bytes at most */
  unsigned char h[7 * 10 + FTS_MAX_TERM + 1], *o = h;
  if (b->part.len == 0) o += seg_vi(o, b->first);
  o += seg_vi(o, tl);
  memcpy(o, term, tl);
  o += tl;
  o += seg_vi(o, ti->df);
  o += seg_vi(o, ti->cf);
  o += seg_vi(o, ti->max_tf);
  o += seg_vi(o, ti->min_dl);
  o += seg_vi(o, nblk);
  if (buf_reserve(&b->part, (size_t)(o - h) + len)) {
    memcpy(b->part.p + b->part.len, h, (size_t)(o - h));
    memcpy(b->part.p + b->part.len + (size_t)(o - h), blocks, len);
    b->part.len += (size_t)(o - h) + len;
  }
  memcpy(b->last, term, tl);
  b->lastl = tl;
  if (b->part.len >= FTS_SEG_PART) segb_part_flush(b);
}

static void segb_term_end(segb *b) {
  if (b->nblk)
    segb_entry(b, b->term, b->tl, &b->ti, b->nblk, b->ent.p, b->ent.len);
  buf_reset(&b->ent);
  b->nblk = 0;
  b->term = NULL;
}

static void segb_end(segb *b) {
  if (b->t == NULL) return;
  segb_term_end(b);
  segb_part_flush(b);
  b->t = NULL;
}

/* Make t the table of b's new segment. */
static void segb_table(segb *b, ptab *t) {
  if (b->t != t) {
    segb_end(b);
    b->t = t;
    b->segno = t->s.next;
    b->first = t->fresh;
    t->wrote = true;
  }
}

/* Add block key p's postings ps[0..n) (docs new in this transaction) to
** t's new segment.  -1 when out of memory. */
static int segb_add(segb *b, ptab *t, const pkey *p, const fts_term_delta *tn,
                    const fts_posting *ps, size_t n) {
  const char *tm = p->key + KEY_FTS_PREFIX;
  size_t tl = p->kl - KEY_FTS_PREFIX - 5;
  segb_table(b, t);
  if (b->term == NULL || b->tl != tl || memcmp(b->term, tm, tl) != 0) {
    segb_term_end(b);
    b->term = tm;
    b->tl = tl;
    b->ti = (fts_term_info){(uint64_t)tn->df, (uint64_t)tn->cf, tn->max_tf,
                            tn->min_dl};
  }
  buf_reset(&b->blk);
  if ((fts_enc_test_fail && fts_enc_test_fail(0)) ||
      fts_block_encode(ps, n, &b->blk) || b->blk.oom)
    return -1;
  fts_put_varint(&b->ent, b->blk.len);
  buf_add(&b->ent, b->blk.p, b->blk.len);
  b->nblk++;
  return b->blk.oom || b->ent.oom || b->part.oom ? -1 : 0;
}

/* The head of block key p's term's entry in a segment, but for the part's
** header (segb_entry's), with nblk blocks: at h (its length; h holds
** SEGB_HEAD_MAX bytes). */
#define SEGB_HEAD_MAX (6 * 10 + FTS_MAX_TERM + 1)
static size_t segb_head(unsigned char *h, const pkey *p,
                        const fts_term_delta *tn, uint64_t nblk) {
  size_t tl = p->kl - KEY_FTS_PREFIX - 5, n = seg_vi(h, tl);
  memcpy(h + n, p->key + KEY_FTS_PREFIX, tl);
  n += tl;
  n += seg_vi(h + n, (uint64_t)tn->df);
  n += seg_vi(h + n, (uint64_t)tn->cf);
  n += seg_vi(h + n, tn->max_tf);
  n += seg_vi(h + n, tn->min_dl);
  n += seg_vi(h + n, nblk);
  return n;
}

/* Append to t's new segment block key p's term's whole entry ent[0..len)
** (segb_head and its blocks, built beside the writer: enc_chunk), as
** segb_add for each of its blocks would.  -1 when out of memory. */
static int segb_add_entry(segb *b, ptab *t, const pkey *p, const void *ent,
                          size_t len) {
  segb_table(b, t);
  segb_term_end(b);
  if (b->part.len == 0) {
    unsigned char h[10];
    buf_add(&b->part, h, seg_vi(h, b->first));
  }
  buf_add(&b->part, ent, len);
  b->lastl = p->kl - KEY_FTS_PREFIX - 5;
  memcpy(b->last, p->key + KEY_FTS_PREFIX, b->lastl);
  if (b->part.len >= FTS_SEG_PART) segb_part_flush(b);
  return b->part.oom ? -1 : 0;
}

/* One segment being read by a merge: its parts in order, entry by entry. */
typedef struct segrd {
  kv_iter_t *it;
  const uint8_t *p, *end; /* the rest of the current part */
  const char *tm;         /* the current entry (tm NULL: at the end) */
  size_t tl;
  fts_term_info ti;
  uint64_t nblk;
  const uint8_t *b, *bend;
  uint64_t first;
} segrd;

/* Move r to its next entry: 0, or -1 when malformed. */
static int segrd_next(segrd *r) {
  for (;;) {
    int e = r->p ? seg_entry(&r->p, r->end, &r->tm, &r->tl, &r->ti, &r->nblk,
                             &r->b, &r->bend)
                 : 0;
    if (e > 0) return 0;
    if (e < 0) return -1;
    if (r->p) kv_iter_next(r->it);
    r->tm = NULL;
    r->p = NULL;
    if (!kv_iter_valid(r->it)) return 0;
    size_t vl;
    r->p = (const uint8_t *)kv_iter_value(r->it, &vl);
    r->end = r->p + vl;
    uint64_t first;
    if (!seg_part_begin(&r->p, r->end, &first)) return -1;
    if (r->first == UINT64_MAX) r->first = first;
  }
}

static int load_dead(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                     uint64_t **out, size_t *n);
static int term_cmp(const char *a, size_t al, const char *b, size_t bl);

/* The first document number of t's segment segno (its first part's
** header) into *first. */
static int seg_first(remdb *db, ptab *t, uint64_t segno, uint64_t *first) {
  unsigned char lo[KEY_FTS_SEG_MAX], hi[KEY_FTS_SEG_MAX];
  size_t ll = key_fts_seg(lo, t->tid, t->tbl, segno, "", 0);
  size_t hl = key_fts_seg(hi, t->tid, t->tbl, segno + 1, "", 0);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, ll, hi, hl, &it,
                       &db->err);
  if (rc) return rc;
  kv_iter_first(it);
  if (kv_iter_valid(it)) {
    size_t vl;
    const uint8_t *p = (const uint8_t *)kv_iter_value(it, &vl);
    if (!seg_part_begin(&p, p + vl, first))
      rc = err_set(&db->err, REMDB_CORRUPT, "full-text segment is malformed");
  } else {
    rc = kv_iter_status(it, &db->err);
  }
  kv_iter_free(it);
  return rc;
}

/* ---- incremental merges ------------------------------------------------------
** A merge's work is bounded per commit: about fts_merge_work bytes
** (remdb_options; 0: no bound, the merge is done at once) of its
** inputs' entries (a term is never split: a step does at least one term,
** so one very common term's postings are the least unit).  A merge under
** way is a 'Q' SLOT key of the table (SLOT: the level of its inputs; 255
** the purge's, below): its output segment's number (taken from 'W''s next
** when it starts, so no other segment gets it), the output's level and
** first document, its inputs (a run of 'W''s list, which only this merge
** changes: new segments are appended after it, a lower level's merge
** puts its output after it) and the last term done.  Each step writes the
** output's parts of the next terms in its commit's batch; the output is in
** no reader's list until the step that finishes it, which in one batch
** puts it in the inputs' place in 'W' and deletes its 'Q': a reader at
** any snapshot reads the inputs or the output, never both, never half of
** one.  The inputs are then retired ('V'): the next commits delete their
** parts, about fts_merge_work bytes each, as a merge's steps.
**
** Dead documents.  A merge drops the postings of the documents dead when
** it started (their numbers: its 'R' SLOT key, written once) and keeps
** those of documents that die while it runs (their tombstones stay;
** readers skip them).  The dropped postings' share of a term's 'X'
** entry may go only when the output is readable: a step before the last
** adds it to the term's hidden 'Y' SLOT TERM entry, the last moves its
** 'Y' entries into 'X' and deletes the dropped documents' tombstones.
**
** One merge per level at a time (so a long merge of high-level segments
** does not hold up those of the level-0 ones each commit appends: the list
** stays short), each commit doing a step of each, the bound shared.  The
** purge (every segment, to drop the tombstones) starts only when no merge
** runs, and none starts while it runs.  Should the list grow anyway, past
** 40 segments the bound doubles every 16, and when the list nears
** FTS_SEG_LIST the steps take no bound (the merges finish in that commit). */

_Atomic uint64_t fts_merge_bytes_max, fts_merge_bytes_total, fts_segs_max;

typedef struct mstate {
  uint8_t slot; /* its key's: its inputs' level, 255 the purge's */
  uint64_t out, first;
  uint8_t lvl;
  uint32_t n;
  uint64_t in[FTS_SEG_LIST];
  bool cur_set; /* cur: the last term done */
  size_t cl;
  char cur[FTS_MAX_TERM + 1];
} mstate;

/* Parse a merge state ('Q' value) into *ms: false when malformed. */
static bool parse_mstate(const unsigned char *d, size_t len, mstate *ms) {
  bool ok = len >= 21;
  if (ok) {
    ms->out = get_u64be(d);
    ms->first = get_u64be(d + 8);
    ms->lvl = d[16];
    ms->n = get_u32be(d + 17);
    ok = ms->n >= 1 && ms->n <= FTS_SEG_LIST && len >= 21 + 8 * ms->n + 2;
  }
  if (ok) {
    for (uint32_t i = 0; i < ms->n; i++) ms->in[i] = get_u64be(d + 21 + 8 * i);
    const unsigned char *p = d + 21 + 8 * ms->n;
    ms->cur_set = p[0] != 0;
    ms->cl = p[1];
    ok = len == 21 + 8 * (size_t)ms->n + 2 + ms->cl;
    if (ok) memcpy(ms->cur, p + 2, ms->cl);
  }
  return ok;
}

/* The merges under way of table tbl at snap ('Q' keys), by slot, into
** *out (malloc'd, *n of them; none: NULL, 0).  REMDB_CORRUPT when one is
** malformed. */
static int read_merges(remdb *db, const kv_snap_t *snap, uint32_t tid,
                       uint32_t tbl, mstate **out, uint32_t *n) {
  (void)tid;
  *out = NULL;
  *n = 0;
  kv_iter_t *it = NULL;
  int rc = kind_iter(db, snap, tbl, 'Q', &it);
  uint32_t cap = 0;
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (*n == cap) {
      cap = cap ? cap * 2 : 4;
      mstate *m = realloc(*out, cap * sizeof *m);
      if (m == NULL) {
        rc = err_nomem(&db->err);
        break;
      }
      *out = m;
    }
    mstate *ms = &(*out)[*n];
    if (kl != KEY_FTS_SLOT_LEN ||
        !parse_mstate((const unsigned char *)v, vl, ms)) {
      rc = err_set(&db->err, REMDB_CORRUPT,
                   "full-text merge state is malformed");
      break;
    }
    ms->slot = (uint8_t)k[KEY_FTS_PREFIX];
    ++*n;
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc) {
    free(*out);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

static int stage_mstate(remdb *db, kv_batch_t *kb, uint32_t tid, uint32_t tbl,
                        const mstate *ms) {
  unsigned char k[KEY_FTS_SLOT_LEN];
  key_fts_slot(k, tid, tbl, 'Q', ms->slot);
  buf_t v;
  buf_init(&v);
  unsigned char h[21];
  put_u64be(h, ms->out);
  put_u64be(h + 8, ms->first);
  h[16] = ms->lvl;
  put_u32be(h + 17, ms->n);
  buf_add(&v, h, sizeof h);
  for (uint32_t i = 0; i < ms->n; i++) {
    unsigned char b[8];
    put_u64be(b, ms->in[i]);
    buf_add(&v, b, 8);
  }
  buf_addc(&v, ms->cur_set ? 1 : 0);
  buf_addc(&v, (char)ms->cl);
  buf_add(&v, ms->cur, ms->cl);
  int rc = v.oom ? err_nomem(&db->err) : REMDB_OK;
  if (rc == REMDB_OK) kv_batch_put(kb, KV_INDEX, k, sizeof k, v.p, v.len);
  buf_free(&v);
  return rc;
}

/* The documents the merge under way drops ('R': be64 numbers, ascending)
** at snap into *out (malloc'd; none: NULL, 0). */
static int read_mdead(remdb *db, const kv_snap_t *snap, uint32_t tid,
                      uint32_t tbl, uint8_t slot, uint64_t **out, size_t *n) {
  unsigned char k[KEY_FTS_SLOT_LEN];
  key_fts_slot(k, tid, tbl, 'R', slot);
  *out = NULL;
  *n = 0;
  kv_val v;
  int rc = kv_get(db->st->kv, snap, KV_INDEX, k, sizeof k, &v, &db->err);
  if (rc == REMDB_NOTFOUND) return REMDB_OK;
  if (rc) return rc;
  size_t nd = v.len / 8;
  if (v.len % 8)
    rc = err_set(&db->err, REMDB_CORRUPT, "full-text merge state is malformed");
  else if (nd && (*out = malloc(nd * sizeof **out)) == NULL)
    rc = err_nomem(&db->err);
  for (size_t i = 0; rc == REMDB_OK && i < nd; i++)
    (*out)[i] = get_u64be((const unsigned char *)v.data + 8 * i);
  if (rc == REMDB_OK) *n = nd;
  kv_val_free(&v);
  return rc;
}

static int seg_merge_terms(remdb *db, ptab *t, mstate *ms,
                           const uint64_t *dead, size_t nd, size_t budget,
                           kv_batch_t *kb, bool *done, size_t *workp);

/* One step of merge ms of t: the output's entries of the terms after ms's
** cursor, until about budget bytes of input are done (0: no bound), in
** kb; ms's cursor moves; *done when the inputs are all done.  The
** postings of dead[0..nd) are dropped; their share of the 'X' entries goes
** to 'Y' (a step before the last) or 'X' (the last). */
static int seg_merge_step(remdb *db, ptab *t, mstate *ms, const uint64_t *dead,
                          size_t nd, size_t budget, kv_batch_t *kb,
                          bool *done) {
  size_t work = 0;
  int rc = seg_merge_terms(db, t, ms, dead, nd, budget, kb, done, &work);
  if (rc == REMDB_OK) {
    if (work > fts_merge_bytes_max) fts_merge_bytes_max = work;
    fts_merge_bytes_total += work;
  }
  return rc;
}

static int seg_merge_terms(remdb *db, ptab *t, mstate *ms,
                           const uint64_t *dead, size_t nd, size_t budget,
                           kv_batch_t *kb, bool *done, size_t *workp) {
  uint32_t n = ms->n;
  *done = false;
  segrd *r = calloc(n, sizeof *r);
  if (r == NULL) return err_nomem(&db->err);
  int rc = REMDB_OK;
  for (uint32_t i = 0; i < n && rc == REMDB_OK; i++) {
    unsigned char lo[KEY_FTS_SEG_MAX], hi[KEY_FTS_SEG_MAX];
    size_t ll = key_fts_seg(lo, t->tid, t->tbl, ms->in[i],
                            ms->cur_set ? ms->cur : "", ms->cur_set ? ms->cl : 0);
    size_t hl = key_fts_seg(hi, t->tid, t->tbl, ms->in[i] + 1, "", 0);
    r[i].first = UINT64_MAX;
    rc = kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, ll, hi, hl, &r[i].it,
                     &db->err);
    if (rc) break;
    kv_iter_first(r[i].it);
    int e = segrd_next(&r[i]);
    while (e == 0 && ms->cur_set && r[i].tm &&
           term_cmp(r[i].tm, r[i].tl, ms->cur, ms->cl) <= 0)
      e = segrd_next(&r[i]);
    if (e)
      rc = err_set(&db->err, REMDB_CORRUPT, "full-text segment is malformed");
  }
  segb b;
  memset(&b, 0, sizeof b);
  b.kb = kb;
  b.t = t;
  b.segno = ms->out;
  b.first = ms->first;
  buf_init(&b.part);
  buf_init(&b.ent);
  buf_init(&b.blk);
  fts_block_dec dec;
  memset(&dec, 0, sizeof dec);
  fts_posting *keep = NULL;
  if (nd && (keep = malloc(FTS_BLOCK_SPAN * sizeof *keep)) == NULL)
    rc = err_nomem(&db->err);
  buf_t gone_ops; /* this step's dropped shares: (tl, term, gone) */
  buf_init(&gone_ops);
  size_t work = 0;
  while (rc == REMDB_OK) {
    *workp = work;
    const segrd *lo = NULL; /* the least term of the inputs' entries */
    for (uint32_t i = 0; i < n; i++) {
      if (r[i].tm == NULL) continue;
      if (lo == NULL || term_cmp(r[i].tm, r[i].tl, lo->tm, lo->tl) < 0)
        lo = &r[i];
    }
    if (lo == NULL) {
      *done = true;
      break;
    }
    if (budget && work >= budget) break;
    char term[FTS_MAX_TERM + 1];
    size_t tl = lo->tl;
    memcpy(term, lo->tm, tl);
    buf_reset(&b.ent);
    uint64_t nblk = 0;
    fts_term_info ti = {0, 0, 0, UINT32_MAX};
    fts_term_delta gone = {0, 0, 0, UINT32_MAX}; /* dropped postings */
    for (uint32_t i = 0; i < n && rc == REMDB_OK; i++) /* oldest first */
      if (r[i].tm && r[i].tl == tl && memcmp(r[i].tm, term, tl) == 0) {
        work += tl + (size_t)(r[i].bend - r[i].b);
        ti.df += r[i].ti.df;
        ti.cf += r[i].ti.cf;
        if (r[i].ti.max_tf > ti.max_tf) ti.max_tf = r[i].ti.max_tf;
        if (r[i].ti.min_dl < ti.min_dl) ti.min_dl = r[i].ti.min_dl;
        if (nd == 0) { /* nothing dead: the blocks as they are */
          buf_add(&b.ent, r[i].b, (size_t)(r[i].bend - r[i].b));
          nblk += r[i].nblk;
        }
        const uint8_t *bp = r[i].b, *blk;
        size_t bl;
        int eb = nd ? 1 : 0;
        while (eb > 0 && (eb = seg_block(&bp, r[i].bend, &blk, &bl)) > 0) {
          fts_block_info info;
          if (fts_block_header(blk, bl, &info)) {
            eb = -1;
            break;
          }
          size_t j = 0, hi2 = nd; /* the first dead one >= its first */
          while (j < hi2) {
            size_t mid = j + (hi2 - j) / 2;
            if (dead[mid] < info.first) j = mid + 1;
            else hi2 = mid;
          }
          if (j == nd || dead[j] > info.last) { /* none in it */
            fts_put_varint(&b.ent, bl);
            buf_add(&b.ent, blk, bl);
            nblk++;
            continue;
          }
          int drc = fts_block_decode(&info, &dec, true);
          if (drc) {
            eb = drc == -2 ? -2 : -1;
            break;
          }
          size_t nk = 0;
          for (uint32_t q = 0; q < dec.n; q++) {
            if (bsearch(&dec.doc[q], dead, nd, sizeof *dead, u64_cmp)) {
              gone.df--;
              gone.cf -= dec.tf[q];
              continue;
            }
            keep[nk++] = (fts_posting){dec.doc[q], dec.tf[q], dec.dl[q],
                                       dec.pos + dec.posoff[q]};
          }
          if (nk == 0) continue;
          buf_reset(&b.blk);
          if (fts_block_encode(keep, nk, &b.blk) || b.blk.oom) {
            eb = -2;
            break;
          }
          fts_put_varint(&b.ent, b.blk.len);
          buf_add(&b.ent, b.blk.p, b.blk.len);
          nblk++;
        }
        if (eb == -2) rc = err_nomem(&db->err);
        else if (eb < 0 || segrd_next(&r[i]))
          rc = err_set(&db->err, REMDB_CORRUPT,
                       "full-text segment is malformed");
      }
    if (rc == REMDB_OK && gone.df) {
      ti.df += (uint64_t)gone.df; /* (negative: wraps down) */
      ti.cf += (uint64_t)gone.cf;
      unsigned char g[16];
      put_u64be(g, (uint64_t)-gone.df);
      put_u64be(g + 8, (uint64_t)-gone.cf);
      buf_addc(&gone_ops, (char)tl);
      buf_add(&gone_ops, term, tl);
      buf_add(&gone_ops, g, sizeof g);
    }
    if (rc == REMDB_OK && nblk)
      segb_entry(&b, term, tl, &ti, nblk, b.ent.p, b.ent.len);
    memcpy(ms->cur, term, tl);
    ms->cl = tl;
    ms->cur_set = true;
    if (b.part.oom || b.ent.oom || gone_ops.oom) rc = err_nomem(&db->err);
  }
  /* the dropped shares: to 'X' when the output is readable now, else to
  ** the hidden 'Y' */
  buf_t op;
  buf_init(&op);
  for (size_t o = 0; rc == REMDB_OK && o < gone_ops.len;) {
    const unsigned char *g = (const unsigned char *)gone_ops.p + o;
    size_t tl = g[0];
    const char *term = (const char *)g + 1;
    uint64_t df = get_u64be(g + 1 + tl), cf = get_u64be(g + 9 + tl);
    o += 1 + tl + 16;
    unsigned char xk[KEY_FTS_MAX];
    size_t xl = *done ? key_fts_xterm(xk, t->tid, t->tbl, term, tl)
                      : key_fts_yterm(xk, t->tid, t->tbl, ms->slot, term, tl);
    fts_term_delta d = {*done ? -(int64_t)df : (int64_t)df,
                        *done ? -(int64_t)cf : (int64_t)cf, 0, UINT32_MAX};
    buf_reset(&op);
    fts_term_delta_encode(&d, &op);
    if (op.oom) rc = err_nomem(&db->err);
    else kv_batch_merge(kb, KV_INDEX, xk, xl, op.p, op.len);
  }
  buf_free(&op);
  buf_free(&gone_ops);
  fts_block_dec_free(&dec);
  free(keep);
  for (uint32_t i = 0; i < n; i++) {
    if (rc == REMDB_OK && r[i].it) rc = kv_iter_status(r[i].it, &db->err);
    kv_iter_free(r[i].it);
  }
  free(r);
  if (rc == REMDB_OK) {
    segb_part_flush(&b);
    if (b.part.oom) rc = err_nomem(&db->err);
  }
  buf_free(&b.part);
  buf_free(&b.ent);
  buf_free(&b.blk);
  return rc;
}

/* Retired segments ('V'): the inputs of finished merges, whose parts the
** next commits delete, about fts_merge_work bytes each (a reader at a
** snapshot from before the merge's end still reads them; no later reader
** does).  The value: u8 CL, the part key's term last deleted of the first
** segment (CL bytes; 0xff: none), then be64 segment numbers. */
typedef struct gcset {
  uint64_t *no;
  uint32_t n, cap;
  bool cur_set;
  size_t cl;
  char cur[FTS_MAX_TERM + 1];
} gcset;

static int read_gc(remdb *db, const kv_snap_t *snap, uint32_t tid,
                   uint32_t tbl, gcset *g) {
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, tid, tbl, 'V');
  memset(g, 0, sizeof *g);
  kv_val v;
  int rc = kv_get(db->st->kv, snap, KV_INDEX, k, sizeof k, &v, &db->err);
  if (rc == REMDB_NOTFOUND) return REMDB_OK;
  if (rc) return rc;
  const unsigned char *d = (const unsigned char *)v.data;
  bool ok = v.len >= 1;
  size_t off = 0;
  if (ok) {
    g->cur_set = d[0] != 0xff;
    g->cl = g->cur_set ? d[0] : 0;
    off = 1 + g->cl;
    ok = v.len >= off && (v.len - off) % 8 == 0;
  }
  if (ok) {
    memcpy(g->cur, d + 1, g->cl);
    g->n = g->cap = (uint32_t)((v.len - off) / 8);
    if (g->n && (g->no = malloc(g->n * sizeof *g->no)) == NULL) {
      kv_val_free(&v);
      return err_nomem(&db->err);
    }
    for (uint32_t i = 0; i < g->n; i++) g->no[i] = get_u64be(d + off + 8 * i);
  }
  kv_val_free(&v);
  return ok ? REMDB_OK
            : err_set(&db->err, REMDB_CORRUPT,
                      "full-text retired segments are malformed");
}

static int stage_gc(remdb *db, kv_batch_t *kb, uint32_t tid, uint32_t tbl,
                    const gcset *g) {
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, tid, tbl, 'V');
  if (g->n == 0) {
    kv_batch_del(kb, KV_INDEX, k, sizeof k);
    return REMDB_OK;
  }
  buf_t v;
  buf_init(&v);
  buf_addc(&v, g->cur_set ? (char)g->cl : (char)0xff);
  buf_add(&v, g->cur, g->cur_set ? g->cl : 0);
  for (uint32_t i = 0; i < g->n; i++) {
    unsigned char b[8];
    put_u64be(b, g->no[i]);
    buf_add(&v, b, 8);
  }
  int rc = v.oom ? err_nomem(&db->err) : REMDB_OK;
  if (rc == REMDB_OK) kv_batch_put(kb, KV_INDEX, k, sizeof k, v.p, v.len);
  buf_free(&v);
  return rc;
}

static bool gc_add(gcset *g, uint64_t segno) {
  if (g->n == g->cap) {
    uint32_t c = g->cap ? g->cap * 2 : 16;
    uint64_t *no = realloc(g->no, c * sizeof *no);
    if (no == NULL) return false;
    g->no = no;
    g->cap = c;
  }
  g->no[g->n++] = segno;
  return true;
}

/* Delete about budget bytes (0: no bound) of g's segments' parts, in kb,
** key by key: a range delete of keys of 13 bytes or more would share the
** index memtable's insert hints (kv.c) with the range deletions' table,
** which RocksDB 7.8 gets wrong (a skiplist assertion, seen in
** test_fts_core).  g moves. */
static int seg_gc_step(remdb *db, ptab *t, gcset *g, size_t budget,
                       kv_batch_t *kb) {
  size_t work = 0;
  int rc = REMDB_OK;
  while (rc == REMDB_OK && g->n && (budget == 0 || work < budget)) {
    unsigned char lo[KEY_FTS_SEG_MAX], hi[KEY_FTS_SEG_MAX];
    size_t ll = key_fts_seg(lo, t->tid, t->tbl, g->no[0],
                            g->cur_set ? g->cur : "", g->cur_set ? g->cl : 0);
    size_t hl = key_fts_seg(hi, t->tid, t->tbl, g->no[0] + 1, "", 0);
    kv_iter_t *it;
    rc = kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, ll, hi, hl, &it,
                     &db->err);
    if (rc) break;
    bool end = true;
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      if (budget && work >= budget) {
        end = false;
        break;
      }
      size_t gl, vl;
      const char *gk = kv_iter_key(it, &gl);
      kv_iter_value(it, &vl);
      kv_batch_del(kb, KV_INDEX, gk, gl);
      work += gl + vl;
      /* the cursor: the term of a well-formed key (a longer one, damage,
      ** goes all the same; the cursor stays before it) */
      if (gl - (KEY_FTS_PREFIX + 8) > FTS_MAX_TERM) continue;
      g->cur_set = true;
      g->cl = gl - KEY_FTS_PREFIX - 8;
      memcpy(g->cur, gk + KEY_FTS_PREFIX + 8, g->cl);
    }
    rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
    if (rc == REMDB_OK && end) { /* the segment is gone */
      memmove(g->no, g->no + 1, (g->n - 1) * sizeof *g->no);
      g->n--;
      g->cur_set = false;
      g->cl = 0;
    }
  }
  return rc;
}

/* Are merge ms's inputs still a run of t's list?  (Not when a build
** that knows no 'Q' merged or rebuilt them meanwhile.) */
static bool mstate_matches(const ptab *t, const mstate *ms) {
  uint32_t a = 0;
  while (a < t->s.n && t->s.no[a] != ms->in[0]) a++;
  bool ok = a + ms->n <= t->s.n;
  for (uint32_t i = 0; ok && i < ms->n; i++) ok = t->s.no[a + i] == ms->in[i];
  for (uint32_t i = 0; ok && i < t->s.n; i++) ok = t->s.no[i] != ms->out;
  return ok;
}

/* The keys of table tbl of kind and slot (kv.h: 'Y' SLOT TERM), at the
** latest state. */
static int slot_iter(remdb *db, uint32_t tbl, char kind, uint8_t slot,
                     kv_iter_t **it) {
  unsigned char lo[KEY_FTS_SLOT_LEN], hi[KEY_FTS_SLOT_LEN];
  key_fts_slot(lo, db->tid, tbl, kind, slot);
  size_t hl = sizeof hi;
  if (slot < 255) {
    key_fts_slot(hi, db->tid, tbl, kind, (uint8_t)(slot + 1));
  } else {
    key_fts(hi, db->tid, tbl, (char)(kind + 1));
    hl = KEY_FTS_PREFIX;
  }
  int rc = kv_iter_new(db->st->kv, NULL, KV_INDEX, lo, sizeof lo, hi, hl, it,
                       &db->err);
  if (rc == REMDB_OK) kv_iter_first(*it);
  return rc;
}

/* Stage the deletion of merge ms's 'Q' and 'R'. */
static void merge_keys_del(ptab *t, const mstate *ms, kv_batch_t *kb) {
  unsigned char k[KEY_FTS_SLOT_LEN];
  key_fts_slot(k, t->tid, t->tbl, 'Q', ms->slot);
  kv_batch_del(kb, KV_INDEX, k, sizeof k);
  key_fts_slot(k, t->tid, t->tbl, 'R', ms->slot);
  kv_batch_del(kb, KV_INDEX, k, sizeof k);
}

/* Drop merge ms, whose inputs are gone: its output's parts are retired,
** 'Q', 'R' and the 'Y' entries go (the inputs' dead documents were not
** dropped: their 'X' share and tombstones stand). */
static int seg_merge_abandon(remdb *db, ptab *t, const mstate *ms, gcset *g,
                             kv_batch_t *kb) {
  if (!gc_add(g, ms->out)) return err_nomem(&db->err);
  kv_iter_t *it = NULL;
  int rc = slot_iter(db, t->tbl, 'Y', ms->slot, &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl;
    const char *k = kv_iter_key(it, &kl);
    kv_batch_del(kb, KV_INDEX, k, kl);
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  merge_keys_del(t, ms, kb);
  return rc;
}

/* The last step of merge ms done: its output takes its inputs' place in
** t's list, the inputs are retired (g), the dropped documents' tombstones
** (dead[0 .. nd)), 'Q' and 'R' go, the 'Y' entries move to 'X'. */
static int seg_merge_finish(remdb *db, ptab *t, const mstate *ms,
                            const uint64_t *dead, size_t nd, gcset *g,
                            kv_batch_t *kb) {
  uint32_t a = 0;
  while (a < t->s.n && t->s.no[a] != ms->in[0]) a++;
  bool ok = a + ms->n <= t->s.n;
  for (uint32_t i = 0; ok && i < ms->n; i++) ok = t->s.no[a + i] == ms->in[i];
  if (!ok || t->s.dead < nd)
    return err_set(&db->err, REMDB_CORRUPT,
                   "full-text merge state does not match the segments");
  int rc = REMDB_OK;
  for (uint32_t i = 0; i < ms->n && rc == REMDB_OK; i++)
    if (!gc_add(g, ms->in[i])) rc = err_nomem(&db->err);
  for (size_t i = 0; i < nd; i++) {
    unsigned char kk[KEY_FTS_DOC_LEN];
    key_fts_dead(kk, t->tid, t->tbl, dead[i]);
    kv_batch_del(kb, KV_INDEX, kk, sizeof kk);
  }
  kv_iter_t *it = NULL;
  if (rc == REMDB_OK) rc = slot_iter(db, t->tbl, 'Y', ms->slot, &it);
  buf_t op;
  buf_init(&op);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    fts_term_info ti;
    if (kl < KEY_FTS_SLOT_LEN || kl - KEY_FTS_SLOT_LEN > FTS_MAX_TERM ||
        fts_term_decode(v, vl, &ti)) { /* (a longer term: no 'X' key) */
      rc = err_set(&db->err, REMDB_CORRUPT,
                   "full-text merge state is malformed");
      break;
    }
    unsigned char xk[KEY_FTS_MAX];
    size_t xl = key_fts_xterm(xk, t->tid, t->tbl, k + KEY_FTS_SLOT_LEN,
                              kl - KEY_FTS_SLOT_LEN);
    fts_term_delta d = {-(int64_t)ti.df, -(int64_t)ti.cf, 0, UINT32_MAX};
    buf_reset(&op);
    fts_term_delta_encode(&d, &op);
    if (op.oom) rc = err_nomem(&db->err);
    else kv_batch_merge(kb, KV_INDEX, xk, xl, op.p, op.len);
    kv_batch_del(kb, KV_INDEX, k, kl);
  }
  buf_free(&op);
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  if (rc) return rc;
  merge_keys_del(t, ms, kb);
  t->s.no[a] = ms->out;
  t->s.lvl[a] = ms->lvl;
  memmove(t->s.no + a + 1, t->s.no + a + ms->n,
          (t->s.n - a - ms->n) * sizeof *t->s.no);
  memmove(t->s.lvl + a + 1, t->s.lvl + a + ms->n, t->s.n - a - ms->n);
  t->s.n -= ms->n - 1;
  t->s.dead -= nd;
  t->merged = true;
  return REMDB_OK;
}

/* Start a merge, in slot, of t's segments [best, best + bestn): its state
** into *ms; the documents it drops (dead now, in its inputs: 'R', staged)
** into *dead, *nd (malloc'd). */
static int seg_merge_start(remdb *db, ptab *t, uint32_t best, uint32_t bestn,
                           uint8_t slot, mstate *ms, uint64_t **dead,
                           size_t *nd, kv_batch_t *kb) {
  int rc = REMDB_OK;
  ms->slot = slot;
  ms->out = t->s.next++;
  ms->lvl = (uint8_t)(t->s.lvl[best] + (t->s.lvl[best] < 255));
  ms->n = bestn;
  memcpy(ms->in, t->s.no + best, bestn * sizeof *ms->in);
  ms->cur_set = false;
  ms->cl = 0;
  t->merged = true; /* ('W': its next moved) */
  ms->first = UINT64_MAX;
  for (uint32_t i = 0; i < bestn && rc == REMDB_OK && ms->first == UINT64_MAX;
       i++)
    rc = seg_first(db, t, ms->in[i], &ms->first);
  /* the documents dead now between its first and the next segment's
  ** first (the next that has one: a merge whose documents were all dead
  ** leaves an empty segment), or the counter */
  uint64_t hi = UINT64_MAX;
  for (uint32_t j = best + bestn;
       rc == REMDB_OK && j < t->s.n && hi == UINT64_MAX; j++)
    rc = seg_first(db, t, t->s.no[j], &hi);
  if (hi > t->fresh) hi = t->fresh;
  *dead = NULL;
  *nd = 0;
  size_t n = 0;
  if (rc == REMDB_OK) rc = load_dead(db, NULL, t->tbl, dead, &n);
  size_t d0 = 0, d1 = 0;
  while (d0 < n && (*dead)[d0] < ms->first) d0++;
  for (d1 = d0; d1 < n && (*dead)[d1] < hi; d1++) {}
  if (d0) memmove(*dead, *dead + d0, (d1 - d0) * sizeof **dead);
  *nd = rc == REMDB_OK ? d1 - d0 : 0;
  if (*nd) {
    unsigned char k[KEY_FTS_SLOT_LEN];
    key_fts_slot(k, t->tid, t->tbl, 'R', slot);
    unsigned char *v = malloc(*nd * 8);
    if (v == NULL) rc = err_nomem(&db->err);
    for (size_t i = 0; v && i < *nd; i++) put_u64be(v + 8 * i, (*dead)[i]);
    if (v) kv_batch_put(kb, KV_INDEX, k, sizeof k, v, *nd * 8);
    free(v);
  }
  return rc;
}

/* A commit's merges (see "Segments" and "Incremental merges"): a step of
** each merge under way, one per level, and of a new one, of the lowest
** level whose FTS_SEG_MAX or more segments no merge takes (or, when none
** runs, of every segment, to drop the tombstones). */
static int seg_merge_run(remdb *db, ptab *t, gcset *g, kv_batch_t *kb) {
  mstate *ms = NULL;
  uint32_t nm = 0;
  int rc = read_merges(db, NULL, t->tid, t->tbl, &ms, &nm);
  uint32_t keep = 0; /* a merge whose inputs are gone is dropped */
  for (uint32_t i = 0; rc == REMDB_OK && i < nm; i++) {
    if (!mstate_matches(t, &ms[i])) {
      rc = seg_merge_abandon(db, t, &ms[i], g, kb);
      continue;
    }
    if (keep != i) ms[keep] = ms[i];
    keep++;
  }
  nm = keep;
  bool busy[256] = {false};
  for (uint32_t i = 0; i < nm; i++) busy[ms[i].slot] = true;
  uint32_t best = UINT32_MAX, bestn = 0;
  uint8_t slot = 0;
  for (uint32_t i = 0; rc == REMDB_OK && !busy[255] && i < t->s.n;) {
    uint32_t j = i;
    while (j < t->s.n && t->s.lvl[j] == t->s.lvl[i]) j++;
    if (j - i >= FTS_SEG_MAX && t->s.lvl[i] < 255 && !busy[t->s.lvl[i]] &&
        (best == UINT32_MAX || t->s.lvl[i] < t->s.lvl[best])) {
      best = i;
      bestn = j - i;
      slot = t->s.lvl[i];
    }
    i = j;
  }
  /* too many tombstones (a reader loads them all): merge every segment,
  ** which drops them (an eighth of the segments' numbers, or 8192) */
  uint64_t span = t->fresh > t->s.m ? t->fresh - t->s.m : 0;
  if (rc == REMDB_OK && best == UINT32_MAX && nm == 0 && t->s.n &&
      ((t->s.dead >= 256 && t->s.dead * 8 >= span) || t->s.dead >= 8192 ||
       t->s.n + 2 >= FTS_SEG_LIST)) {
    best = 0;
    bestn = t->s.n;
    slot = 255;
  }
  uint64_t **dead = NULL;
  size_t *nd = NULL;
  if (rc == REMDB_OK && best != UINT32_MAX) {
    mstate *m = realloc(ms, (nm + 1) * sizeof *m);
    if (m == NULL) rc = err_nomem(&db->err);
    else ms = m;
  }
  uint32_t nall = nm + (best != UINT32_MAX);
  if (rc == REMDB_OK && nall) {
    dead = calloc(nall, sizeof *dead);
    nd = calloc(nall, sizeof *nd);
    if (dead == NULL || nd == NULL) rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK && best != UINT32_MAX)
    rc = seg_merge_start(db, t, best, bestn, slot, &ms[nm], &dead[nm],
                         &nd[nm], kb);
  for (uint32_t i = 0; rc == REMDB_OK && i < nm; i++)
    rc = read_mdead(db, NULL, t->tid, t->tbl, ms[i].slot, &dead[i], &nd[i]);
  /* the bound (shared by the merges under way) doubles every 16 segments
  ** past 40, and goes when the list is near full (see "Incremental
  ** merges") */
  size_t work = db->st->opts.fts_merge_work;
  size_t budget = t->s.n + 8 >= FTS_SEG_LIST ? 0 : work;
  for (uint32_t i = 40; budget && i + 16 <= t->s.n; i += 16)
    budget = budget > SIZE_MAX / 2 ? 0 : budget * 2;
  if (budget && nall > 1) budget = budget / nall ? budget / nall : 1;
  for (uint32_t i = 0; rc == REMDB_OK && i < nall; i++) {
    bool done = false;
    rc = seg_merge_step(db, t, &ms[i], dead[i], nd[i], budget, kb, &done);
    if (rc == REMDB_OK)
      rc = done ? seg_merge_finish(db, t, &ms[i], dead[i], nd[i], g, kb)
                : stage_mstate(db, kb, t->tid, t->tbl, &ms[i]);
  }
  for (uint32_t i = 0; dead && i < nall; i++) free(dead[i]);
  free(dead);
  free(nd);
  free(ms);
  return rc;
}

/* A commit's merge work on t: a step of deleting retired segments, then
** of a merge. */
static int seg_merge(remdb *db, ptab *t, kv_batch_t *kb) {
  gcset g;
  int rc = read_gc(db, NULL, t->tid, t->tbl, &g);
  uint32_t n0 = g.n;
  bool changed = false;
  if (rc == REMDB_OK && g.n) {
    rc = seg_gc_step(db, t, &g, db->st->opts.fts_merge_work, kb);
    changed = true;
  }
  if (rc == REMDB_OK) rc = seg_merge_run(db, t, &g, kb);
  if (rc == REMDB_OK && (changed || g.n != n0))
    rc = stage_gc(db, kb, t->tid, t->tbl, &g);
  free(g.no);
  return rc;
}

/* Stage each touched table's 'W' after its commit's merge, fold or new
** segment. */
static void seg_stage_w(struct fts_txn *x, kv_batch_t *kb) {
  for (size_t i = 0; i < x->ntab; i++) {
    ptab *t = &x->tab[i];
    if (!t->wrote && !t->merged && !t->killed) continue;
    if (t->wrote) {
      if (t->s.n == 0) t->s.m = t->fresh;
      t->s.no[t->s.n] = t->s.next++;
      t->s.lvl[t->s.n++] = 0;
    }
    if (t->s.n > fts_segs_max) fts_segs_max = t->s.n;
    stage_segs(kb, t->tid, t->tbl, &t->s);
  }
}

/* Segment blocks encoded beside the writer (enc_blocks, with the pipe's
** section): a block key, by order index. */
typedef struct fenc_key {
  ptab *t;         /* the key's table (block_prep; NULL none) */
  uint32_t cut, n; /* its upserts [cut, n): the new documents' */
  uint32_t ch;     /* its chunk */
  size_t off, len; /* (the chunk's thread) the first of a term's keys: the
                   ** term's segment entry (segb_add_entry) in the chunk's
                   ** out; len SIZE_MAX: none */
} fenc_key;

typedef struct fench { /* a chunk: the keys order[lo, hi) */
  size_t lo, hi;
  buf_t out;
  int state; /* 0 free, 1 a worker's, 2 done by it, 3 the writer's, 4 the
             ** writer's, taken back from its worker (guarded by the mu) */
  _Atomic int quit; /* set with state 4: its worker stops at the next term */
  int rc;           /* 0, or -1 (out of memory, a bad posting) */
} fench;

typedef struct fenc {
  struct fts_txn *x;
  pkey **order;
  const size_t *start;
  const fts_posting *ps;
  fenc_key *k;
  fench *ch; /* kept from commit to commit (enc_room) */
  size_t nch, capch;
  size_t lo, hi;        /* the chunks no thread took (guarded by the mu) */
  size_t ntaken, ndone; /* a worker's (same) */
  struct fpipe *p;
} fenc;

static size_t enck_bytes(size_t n) { return n * sizeof(fenc_key); }

static int enc_blocks(struct fts_txn *x, pkey **order, size_t nkeys,
                      const size_t *start, fts_posting *ps, fenc **out);
static int enc_claim(fenc *e, uint32_t ch);
static bool enc_close(fenc *e);
static void enc_settle(struct fpipe *p);

/* Sort block key p's upserts ps[0..p->nup) by document.  Returns its
** table's record (NULL: none) and in *cut the first of the transaction's
** new documents (p->nup: none). */
static ptab *block_prep(struct fts_txn *x, pkey *p, fts_posting *ps,
                        uint32_t *cut) {
  bool sorted = true;
  for (uint32_t j = 1; j < p->nup && sorted; j++)
    if (ps[j - 1].doc >= ps[j].doc) sorted = false;
  if (!sorted) qsort(ps, p->nup, sizeof *ps, posting_cmp);
  const unsigned char *k = (const unsigned char *)p->key;
  ptab *t = pend_tab(x, get_u32be(k), get_u32be(k + 8), false);
  uint32_t c = p->nup; /* (sorted: all new when the first is) */
  if (t) {
    if (c > 0 && ps[0].doc >= t->fresh) c = 0;
    while (c > 0 && ps[c - 1].doc >= t->fresh) c--;
  }
  *cut = c;
  return t;
}

/* Stage block key p, whose upserts are ps[0..p->nup) (gather_upserts),
** sorted, of table t, new documents from cut (block_prep; inseg: they are
** in the segment already, segb_add_entry): a put of the whole block when
** its range is fresh, else a delete operand and an upsert operand. */
static int stage_block(struct fts_txn *x, kv_batch_t *kb, pkey *p,
                       fts_posting *ps, buf_t *op, segb *sb, ptab *t,
                       uint32_t cut, bool inseg) {
  if (t) { /* the new documents go to the new segment */
    if (cut < p->nup && !inseg &&
        segb_add(sb, t, p, &x->pk[p->term - 1].tdn, ps + cut, p->nup - cut))
      return -1;
    p->nup = cut;
    uint32_t nd = 0; /* deletes of new documents: nothing stored */
    for (uint32_t j = 0; j < p->ndel; j++)
      if (p->del[j] < t->fresh) p->del[nd++] = p->del[j];
    p->ndel = nd;
    if (p->nup == 0 && p->ndel == 0) return 0;
  }
  if (t && p->range * FTS_BLOCK_SPAN >= t->fresh) { /* (pend_fresh) */
    if (p->nup == 0) return 0; /* nothing stored, nothing left */
    buf_reset(op);
    if (fts_block_encode(ps, p->nup, op)) return -1;
    kv_batch_put(kb, KV_INDEX, p->key, p->kl, op->p, op->len);
    return 0;
  }
  if (p->ndel) {
    qsort(p->del, p->ndel, sizeof *p->del, u64_cmp);
    buf_reset(op);
    if (fts_op_delete(p->del, p->ndel, op)) return -1;
    kv_batch_merge(kb, KV_INDEX, p->key, p->kl, op->p, op->len);
  }
  if (p->nup) {
    buf_reset(op);
    if (fts_op_upsert(ps, p->nup, op)) return -1;
    kv_batch_merge(kb, KV_INDEX, p->key, p->kl, op->p, op->len);
  }
  return 0;
}

/* wtx_commit: stage the pending values into the batch, in key order
** (RocksDB's memtable inserts a run of ascending keys much faster). */
int fts_before_commit(wtx_t *w) {
  struct fts_txn *x = *wtx_fts(w);
  if (x && x->pipe) { /* stage the queued documents, in order */
    struct fts_cache *c = cache_get(wtx_db(w));
    int prc = c ? pipe_drain(w, c, x->pipe, true) : err_nomem(&wtx_db(w)->err);
    if (prc) return prc;
  }
  if (x == NULL || (x->npk == 0 && x->ntab == 0)) return REMDB_OK;
  remdb *db = wtx_db(w);
  kv_batch_t *kb = wtx_batch(w);
  for (size_t i = 0; i < x->ntab; i++) { /* merge segments */
    ptab *t = &x->tab[i];
    int frc = seg_merge(db, t, kb);
    if (frc) {
      pend_clear(x);
      x->bytes = 0;
      return frc;
    }
  }
  buf_t op;
  buf_init(&op);
  segb sb;
  memset(&sb, 0, sizeof sb);
  sb.kb = kb;
  buf_init(&sb.part);
  buf_init(&sb.ent);
  buf_init(&sb.blk);
  pkey **order;
  size_t nkeys = pend_order(x, &order);
  if (order == NULL) {
    buf_free(&op);
    return err_nomem(&db->err);
  }
  size_t *start = NULL;
  fts_posting *ps = gather_upserts(x, order, nkeys, &start);
  if (ps == NULL) {
    buf_free(&op);
    return err_nomem(&db->err);
  }
  int rc = REMDB_OK;
  fenc *enc; /* the new segment's blocks, encoded by the pipe's threads */
  if (enc_blocks(x, order, nkeys, start, ps, &enc)) rc = err_nomem(&db->err);
  int use = 0; /* the current chunk's blocks are its worker's */
  for (size_t i = 0; i < x->ntab; i++) { /* the counters */
    unsigned char k[KEY_FTS_PREFIX], v[8];
    key_fts(k, x->tab[i].tid, x->tab[i].tbl, 'N');
    put_u64be(v, x->tab[i].next);
    kv_batch_put(kb, KV_INDEX, k, sizeof k, v, 8);
  }
  for (size_t i = 0; i < nkeys && rc == REMDB_OK; i++) {
    pkey *p = order[i];
    if (enc && i == enc->ch[enc->k[i].ch].lo &&
        (use = enc_claim(enc, enc->k[i].ch)) < 0) {
      rc = err_nomem(&db->err);
      break;
    }
    char kind = p->kind;
    if (kind == 'T' || kind == 'X') {
      if (p->td.df == 0 && p->td.cf == 0 && p->td.max_tf == 0) continue;
      buf_reset(&op);
      fts_term_delta_encode(&p->td, &op);
      kv_batch_merge(kb, KV_INDEX, p->key, p->kl, op.p, op.len);
    } else if (kind == 'S') {
      if (p->sdocs == 0 && p->stokens == 0) continue;
      buf_reset(&op);
      fts_stats_delta_encode(p->sdocs, p->stokens, &op);
      kv_batch_merge(kb, KV_INDEX, p->key, p->kl, op.p, op.len);
    } else if (kind == 'E') { /* (slot, id) records: a put, or appended */
      uint64_t first =
          (uint64_t)get_u32be((const unsigned char *)p->key + KEY_FTS_PREFIX) *
          FTS_BLOCK_SPAN;
      buf_reset(&op);
      for (unsigned sl = 0; sl < FTS_BLOCK_SPAN; sl++)
        if (p->ids->touched[sl >> 3] & (1u << (sl & 7))) {
          buf_addc(&op, (char)sl);
          buf_add(&op, p->ids->id[sl], 16);
        }
      if (pend_fresh(x, p, first))
        kv_batch_put(kb, KV_INDEX, p->key, p->kl, op.p, op.len);
      else
        kv_batch_merge(kb, KV_INDEX, p->key, p->kl, op.p, op.len);
    } else if (kind == 'L') {
      uint64_t first =
          (uint64_t)get_u32be((const unsigned char *)p->key + KEY_FTS_PREFIX) *
          FTS_BLOCK_SPAN;
      buf_reset(&op);
      if (pend_fresh(x, p, first)) {
        fts_lengths_encode(&p->len->v, &op);
        kv_batch_put(kb, KV_INDEX, p->key, p->kl, op.p, op.len);
      } else {
        fts_lengths_op_slots(&p->len->v, p->len->touched, &op);
        kv_batch_merge(kb, KV_INDEX, p->key, p->kl, op.p, op.len);
      }
    } else {
      fts_posting *pp = ps + start[p - x->pk];
      uint32_t cut;
      ptab *t;
      if (enc) { /* (prepared by enc_blocks) */
        const fenc_key *ek = &enc->k[i];
        t = ek->t;
        cut = ek->cut;
        if (use && ek->len != SIZE_MAX &&
            segb_add_entry(&sb, t, p, enc->ch[ek->ch].out.p + ek->off,
                           ek->len)) {
          rc = err_nomem(&db->err);
          break;
        }
      } else {
        t = block_prep(x, p, pp, &cut);
      }
      if (stage_block(x, kb, p, pp, &op, &sb, t, cut, use > 0))
        rc = err_nomem(&db->err);
    }
    if (op.oom) rc = err_nomem(&db->err);
  }
  if (rc == REMDB_OK) {
    segb_end(&sb);
    if (sb.part.oom || sb.ent.oom) rc = err_nomem(&db->err);
    else seg_stage_w(x, kb);
  }
  buf_free(&sb.part);
  buf_free(&sb.ent);
  buf_free(&sb.blk);
  buf_free(&op);
  /* (a worker still in a chunk the writer took back reads the pending
  ** keys: they are cleared by the reset after the batch's write) */
  if (enc == NULL || enc_close(enc)) pend_clear(x);
  x->bytes = 0;
  return rc;
}

/* The next document number of s's table, for transaction x (whose record
** of the table notes the counter: see "Fresh ranges"). */
static int next_docno(remdb *db, fts_slot *s, struct fts_txn *x,
                      uint64_t *out) {
  ptab *t;
  int rc = tab_touch(db, s, x, &t);
  if (rc) return rc;
  if (s->next >= (1ull << 39))
    return err_set(&db->err, REMDB_TOOBIG,
                   "full-text index: document numbers are used up (reindex "
                   "renumbers them)");
  *out = s->next++;
  t->next = s->next;
  return REMDB_OK;
}

static bool txn_set(wtx_t *w, const uuid16_t *id, uint64_t docno) {
  struct fts_txn *x = txn_of(w);
  if (x == NULL) return false;
  if (x->ids.n == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 64;
    uint64_t *d = realloc(x->docno, cap * sizeof *d);
    if (!d) return false;
    x->docno = d;
    x->cap = cap;
  }
  size_t i;
  if (!idset_add(&x->ids, id->b, &i)) return false;
  x->docno[i] = docno;
  return true;
}

static bool txn_get(wtx_t *w, const uuid16_t *id, uint64_t *docno) {
  struct fts_txn *x = *wtx_fts(w);
  if (x == NULL) return false;
  size_t i = idset_find(&x->ids, id->b);
  if (i == IDSET_NONE || x->docno[i] == UINT64_MAX) return false;
  *docno = x->docno[i]; /* UINT64_MAX: freed by a hard delete here */
  return true;
}

/* ---- the write path ---------------------------------------------------------- */

/* Do the indexed fields of a and b hold the same text? */
static bool same_text(const sch_fulltext *f, const rec_view *a,
                      const rec_view *b) {
  for (uint32_t i = 0; i < f->nfields; i++) {
    rec_field x, y;
    bool hx = rec_find(a, f->fields[i], &x) && x.type == REC_TEXT;
    bool hy = rec_find(b, f->fields[i], &y) && y.type == REC_TEXT;
    if (hx != hy) return false;
    if (hx && (x.n != y.n || memcmp(x.p, y.p, x.n) != 0)) return false;
  }
  return true;
}

static void stage_term_delta(remdb *db, kv_batch_t *kb, uint32_t tbl,
                             const char *term, size_t len,
                             const fts_term_delta *d, buf_t *op) {
  unsigned char k[KEY_FTS_MAX];
  size_t kl = key_fts_term(k, db->tid, tbl, term, len);
  buf_reset(op);
  fts_term_delta_encode(d, op);
  kv_batch_merge(kb, KV_INDEX, k, kl, op->p, op->len);
}

/* A change's two versions (0 old, 1 new), analysed on demand (the
** writer's own analysis) or already (by a worker: see "Analysis beside the
** writer"). */
typedef struct sdoc {
  const sch_fulltext *f;
  const rec_view *rv[2];
  fts_doc *d[2];
  bool ready[2];
} sdoc;

static int sdoc_get(remdb *db, struct fts_cache *c, sdoc *v, int k,
                    fts_doc **out) {
  if (!v->ready[k]) {
    if (v->f == NULL || v->rv[k] == NULL) /* (a job: analysed before) */
      return err_set(&db->err, REMDB_ERROR,
                     "full-text index: a version was not analysed");
    fts_analyzer *a = cache_analyzer(db, c, v->f);
    if (a == NULL) return db->err.code;
    int rc = analyse(db, a, v->f, v->rv[k], v->d[k]);
    if (rc) return rc;
    v->ready[k] = true;
  }
  *out = v->d[k];
  return REMDB_OK;
}

/* ---- tombstones ---------------------------------------------------------------
** A stored document of a segment (numbered >= m and below the transaction's
** `fresh`) is never edited there: when it changes it dies.  Its postings
** stay in its segment; a 'K' key (its number) marks it dead, its length
** slot is unset, the table statistics drop it, and its postings' share of
** each term's statistics goes to the term's 'X' entry, which readers
** subtract (a term's df = 'T' + the segments' entries - 'X').  A reader's
** cursors skip the dead numbers.  A new version (an update of its text, an
** undelete) gets a new number, its postings in the transaction's new
** segment; a soft delete keeps the dead number (its id slot too), a hard
** delete frees it.  A merge drops the dead documents of the segments it
** merges, and their tombstones.  A reader loads every tombstone (when 'W'
** counts any): when they are an eighth of the segments' numbers (and 256
** or more), or 8192, a commit merges every segment (seg_merge). */

/* Kill document docno of t (entity id) in its segment: old is its live
** version (NULL: already dead), has/nw the new one. */
static int seg_kill(wtx_t *w, struct fts_cache *c, sdoc *v, uint32_t tbl,
                    uint64_t docno, const uuid16_t *id, bool old, bool has,
                    bool nw) {
  remdb *db = wtx_db(w);
  struct fts_txn *x = txn_of(w);
  if (x == NULL) return err_nomem(&db->err);
  kv_batch_t *kb = wtx_batch(w);
  static const uint8_t none[16];
  if (old) { /* its postings die */
    fts_doc *od;
    int rc = sdoc_get(db, c, v, 0, &od);
    if (rc) return rc;
    long n = fts_doc_nterms(od);
    uint32_t len = fts_doc_length(od);
    for (long i = 0; i < n; i++) {
      const char *tm;
      size_t tl;
      const uint32_t *pos;
      uint32_t npos;
      fts_doc_term(od, (size_t)i, &tm, &tl, &pos, &npos);
      unsigned char k[KEY_FTS_MAX];
      pkey *px = pend_key(x, k, key_fts_xterm(k, db->tid, tbl, tm, tl));
      if (px == NULL) return err_nomem(&db->err);
      fts_term_delta td = {1, npos, npos, len};
      pend_term(px, &td, false);
    }
    unsigned char kk[KEY_FTS_DOC_LEN], sk[KEY_FTS_PREFIX];
    key_fts_dead(kk, db->tid, tbl, docno);
    kv_batch_put(kb, KV_INDEX, kk, sizeof kk, "", 0);
    ptab *pt = pend_tab(x, db->tid, tbl, false);
    if (pt) { /* (touched by fts_stage first) */
      pt->s.dead++;
      pt->killed = true;
    }
    if (!pend_length(x, db, tbl, docno, false, 0)) return err_nomem(&db->err);
    key_fts(sk, db->tid, tbl, 'S');
    pkey *ps = pend_key(x, sk, sizeof sk);
    if (ps == NULL) return err_nomem(&db->err);
    ps->sdocs -= 1;
    ps->stokens -= (int64_t)len;
  }
  if ((has || !nw) && !pend_ids(x, db, tbl, docno, none))
    return err_nomem(&db->err); /* the number goes */
  if (!nw) { /* a hard delete: the entity's id key too */
    unsigned char ik[KEY_FTS_ID_LEN];
    key_fts_id(ik, db->tid, tbl, id->b);
    kv_batch_del(kb, KV_INDEX, ik, sizeof ik);
  }
  if (!has && !txn_set(w, id, nw ? docno : UINT64_MAX))
    return err_nomem(&db->err);
  return REMDB_OK;
}

/* Stage the change of entity id of table tbl (slot s): old, nw: whether
** there is an old / a new version, had, has: whether it is live (indexed);
** sv: their analysis. */
static int stage_doc(wtx_t *w, struct fts_cache *c, fts_slot *s, uint32_t tbl,
                     const uuid16_t *id, bool old, bool had, bool has, bool nw,
                     sdoc *sv) {
  remdb *db = wtx_db(w);
  kv_batch_t *kb = wtx_batch(w);
  /* the document number */
  uint64_t docno = 0;
  bool known = txn_get(w, id, &docno);
  if (!known && old) {
    unsigned char k[KEY_FTS_ID_LEN];
    key_fts_id(k, db->tid, tbl, id->b);
    kv_val v;
    int rc = kv_get(db->st->kv, NULL, KV_INDEX, k, sizeof k, &v, &db->err);
    if (rc == REMDB_OK) {
      known = v.len == 8;
      if (known) docno = get_u64be((const unsigned char *)v.data);
      kv_val_free(&v);
    } else if (rc != REMDB_NOTFOUND) {
      return rc;
    }
  }
  if (!known && !nw) return REMDB_OK; /* never numbered */
  uint64_t fresh; /* numbered at or above it: new in this transaction */
  {
    struct fts_txn *xt = txn_of(w);
    ptab *pt;
    if (xt == NULL) return err_nomem(&db->err);
    int trc = tab_touch(db, s, xt, &pt);
    if (trc) return trc;
    fresh = pt->fresh;
    /* a stored document of a segment changes: it dies there (see
    ** "Tombstones"), and a new version gets a new number */
    if (known && pt->s.n && docno >= pt->s.m && docno < fresh) {
      int rc = seg_kill(w, c, sv, tbl, docno, id, had, has, nw);
      if (rc || !has) return rc;
      known = false; /* numbered anew below */
    }
  }
  if (!known) {
    had = false; /* numbered now: nothing of it is indexed */
    struct fts_txn *x0 = txn_of(w);
    if (x0 == NULL) return err_nomem(&db->err);
    int rc = next_docno(db, s, x0, &docno);
    if (rc) return rc;
    unsigned char ik[KEY_FTS_ID_LEN], v[8];
    key_fts_id(ik, db->tid, tbl, id->b);
    put_u64be(v, docno);
    kv_batch_put(kb, KV_INDEX, ik, sizeof ik, v, 8);
    if (!pend_ids(x0, db, tbl, docno, id->b)) return err_nomem(&db->err);
  }
  if (!txn_set(w, id, nw ? docno : UINT64_MAX)) return err_nomem(&db->err);
  struct fts_txn *x = txn_of(w);
  fts_doc *od = NULL, *nd = NULL;
  int rc = had ? sdoc_get(db, c, sv, 0, &od) : REMDB_OK;
  if (rc == REMDB_OK && has) rc = sdoc_get(db, c, sv, 1, &nd);
  if (rc) return rc;
  long nold = had ? fts_doc_nterms(od) : 0;
  long nnew = has ? fts_doc_nterms(nd) : 0;
  uint32_t oldlen = had ? fts_doc_length(od) : 0;
  uint32_t newlen = has ? fts_doc_length(nd) : 0;
  buf_t *op = &c->op;
  ptab *tt = pend_tab(x, s->tid, s->tbl, false); /* (tab_touch added it) */
  if (tt == NULL) return err_nomem(&db->err);
  /* the old version's terms, by name */
  smap_clear(&c->terms);
  for (long i = 0; i < nold; i++) {
    const char *tm;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(od, (size_t)i, &tm, &len, &pos, &npos);
    if (smap_find(&c->terms, tm, len, true, NULL) == SIZE_MAX)
      return err_nomem(&db->err);
  }
  /* terms of the new version: upserted unless the posting is unchanged */
  bool *kept = nold ? calloc((size_t)nold, sizeof *kept) : NULL;
  if (nold && !kept) return err_nomem(&db->err);
  for (long j = 0; j < nnew; j++) {
    const char *tm;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(nd, (size_t)j, &tm, &len, &pos, &npos);
    uint64_t th = fts_doc_term_hash(nd, (size_t)j);
    size_t i = nold ? smap_find(&c->terms, tm, len, false, NULL) : SIZE_MAX;
    uint32_t oldtf = 0;
    if (i != SIZE_MAX) {
      const char *t2;
      size_t l2;
      const uint32_t *p2;
      fts_doc_term(od, i, &t2, &l2, &p2, &oldtf);
      kept[i] = true;
      if (oldtf == npos && oldlen == newlen &&
          memcmp(p2, pos, npos * sizeof *pos) == 0)
        continue; /* the same posting */
    }
    pkey *pb = pend_posting(x, db, tt, tm, len, th, docno);
    if (!pb || !pend_upsert(x, pb, docno, npos, newlen, pos)) {
      rc = err_nomem(&db->err);
      break;
    }
    fts_term_delta td = {oldtf ? 0 : 1, (int64_t)npos - (int64_t)oldtf, npos,
                         newlen};
    pend_term(pb, &td, docno >= fresh);
  }
  /* terms of the old version the new one lacks */
  for (long i = 0; rc == REMDB_OK && i < nold; i++) {
    if (kept[i]) continue;
    const char *tm;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(od, (size_t)i, &tm, &len, &pos, &npos);
    pkey *pb = pend_posting(x, db, tt, tm, len,
                            fts_doc_term_hash(od, (size_t)i), docno);
    if (!pb || !pend_delete(x, pb, docno)) {
      rc = err_nomem(&db->err);
      break;
    }
    fts_term_delta td = {-1, -(int64_t)npos, 0, UINT32_MAX};
    pend_term(pb, &td, docno >= fresh);
  }
  free(kept);
  if (rc) return rc;
  /* the length slot and the statistics */
  if (had != has || oldlen != newlen) {
    unsigned char sk[KEY_FTS_PREFIX];
    if (!pend_length(x, db, tbl, docno, has, newlen))
      return err_nomem(&db->err);
    key_fts(sk, db->tid, tbl, 'S');
    pkey *ps = pend_key(x, sk, sizeof sk);
    if (!ps) return err_nomem(&db->err);
    ps->sdocs += (int64_t)has - (int64_t)had;
    ps->stokens += (int64_t)newlen - (int64_t)oldlen;
  }
  if (!nw) { /* a hard delete frees the number */
    static const uint8_t none[16];
    unsigned char ik[KEY_FTS_ID_LEN];
    key_fts_id(ik, db->tid, tbl, id->b);
    kv_batch_del(kb, KV_INDEX, ik, sizeof ik);
    if (!pend_ids(x, db, tbl, docno, none)) return err_nomem(&db->err);
    if (docno < fresh) { /* (a version-3 database's key) */
      unsigned char dk[KEY_FTS_DOC_LEN];
      key_fts_doc(dk, db->tid, tbl, docno);
      kv_batch_del(kb, KV_INDEX, dk, sizeof dk);
    }
  }
  return op->oom ? err_nomem(&db->err) : REMDB_OK;
}


/* ---- analysis beside the writer -----------------------------------------------
** A transaction's first document is analysed and staged at once, as
** always (a single-row write hands nothing to a thread).  From its second
** on, with more than one thread (remdb_options.exec_threads: 0 the number
** of cores, 1 none of this), fts_stage only copies the indexed fields' text
** into a job and queues it; workers (threads - 1) analyse queued jobs while
** the writer goes on with the next rows.  The jobs are staged (stage_doc)
** by the writer alone, strictly in the order they were queued: the done
** jobs at the head of the queue at each fts_stage call, the rest at commit
** (fts_before_commit), where the writer first analyses the jobs no worker
** has taken yet itself.  It never waits for a worker: a job a worker still
** holds when its turn comes is analysed again by the writer (at most one
** per worker and commit), and goes to `limbo` until the worker is done
** with it (a wait for a worker is a wait for the scheduler, long on a busy
** box).  Staging is the single-threaded code, fed the same analysis in the
** same order: the pending changes, document numbers and statistics are
** the single thread's.  A worker touches only its job (the text copy and
** two fts_docs) and its own analyzer; the queue is guarded by the mutex.
** An error (out of memory in a worker, or in staging) comes back from the
** fts_stage or the commit that stages the job: wtx_put poisons the
** transaction, a commit writes nothing.  A transaction's reset (commit,
** rollback, free) drops its jobs not staged.  The pipe (queue, workers,
** their analyzers, jobs kept for reuse) is the store's (fts_cache, used
** under the write lock), started by the first job and joined when the
** store closes (fts_cache_free): starting and joining workers per
** transaction cost a scheduler's wait per commit. */

#define PIPE_MAX_THREADS 16
/* Staged jobs kept for reuse: at most so many, each with at most so much
** text room (a batch's queue may grow to the whole batch while the
** workers lag; its jobs, with their two analysed documents each, would
** stay with the store until it closes) */
#define PIPE_SPARE_MAX 1024
#define PIPE_SPARE_TEXT ((size_t)1 << 20)

typedef struct ffield {
  uint32_t field;
  size_t off, n;
} ffield;

typedef struct fcfg { /* an analysis configuration (a signature's) */
  char *sig;
  fts_analyzer *a[PIPE_MAX_THREADS]; /* [k]: thread k's (0 the writer's) */
} fcfg;

typedef struct fjob {
  uint32_t tbl;
  uuid16_t id;
  bool old, had, has, nw;
  fcfg *cfg;
  buf_t text;      /* the fields' text */
  ffield *fl;      /* nf[0] fields of the old version, then nf[1] new */
  size_t nf[2], capfl;
  fts_doc *doc[2]; /* analysed: had ? [0], has ? [1] */
  int state;       /* 0 queued, 1 taken, 2 done (guarded by mu) */
  int rc;          /* 0, or -1 out of memory */
} fjob;

typedef struct fworker {
  struct fpipe *p;
  int k;
  pthread_t th;
} fworker;

typedef struct fpipe {
  pthread_mutex_t mu;
  pthread_cond_t work;
  pthread_cond_t encdone; /* a chunk of enc is done */
  fenc *enc;              /* a commit's blocks to encode (&encst); NULL none */
  fenc encst;
  fjob **job; /* the queue: [head, n) not staged yet */
  size_t head, n, cap;
  size_t next; /* first job no thread has taken */
  bool stop;
  int nthreads, nworkers, idle;
  fworker wk[PIPE_MAX_THREADS];
  fcfg **cfg;
  size_t ncfg, capcfg;
  fjob **spare; /* staged jobs, for reuse */
  size_t nspare, capspare;
  fjob *limbo[PIPE_MAX_THREADS]; /* staged jobs a worker may still hold */
  size_t nlimbo;
  size_t bytes;
} fpipe;

/* Analyse j's versions into doc[0], doc[1]: 0, or -1 out of memory. */
static int fjob_run(const fjob *j, fts_analyzer *a, fts_doc *const *doc) {
  size_t f0 = 0;
  for (int k = 0; k < 2; k++) {
    if (!(k ? j->has : j->had)) continue;
    fts_doc *d = doc[k];
    fts_doc_reset(d);
    for (size_t i = f0; i < f0 + j->nf[k]; i++)
      if (fts_doc_add(d, a, j->fl[i].field, j->text.p + j->fl[i].off,
                      j->fl[i].n))
        return -1;
    if (fts_doc_nterms(d) < 0) return -1;
    f0 += j->nf[k];
  }
  return 0;
}

static void enc_chunk(fenc *e, fench *c);

static void *fworker_main(void *arg) {
  fworker *w = arg;
  fpipe *p = w->p;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->next == p->n &&
           !(p->enc && p->enc->lo < p->enc->hi)) {
      p->idle++;
      pthread_cond_wait(&p->work, &p->mu);
      p->idle--;
    }
    if (p->stop) break;
    if (p->enc && p->enc->lo < p->enc->hi) { /* a commit's blocks */
      fenc *e = p->enc; /* (from the last: the writer stages the first) */
      fench *c = &e->ch[--e->hi];
      c->state = 1;
      e->ntaken++;
      pthread_mutex_unlock(&p->mu);
      enc_chunk(e, c);
      pthread_mutex_lock(&p->mu);
      if (c->state == 1) { /* (4: the writer took it back) */
        c->state = 2;
        fts_enc_worker_chunks++;
      }
      e->ndone++;
      pthread_cond_signal(&p->encdone);
      continue;
    }
    fjob *j = p->job[p->next++];
    j->state = 1;
    pthread_mutex_unlock(&p->mu);
    int rc = fjob_run(j, j->cfg->a[w->k], j->doc);
    pthread_mutex_lock(&p->mu);
    j->rc = rc;
    j->state = 2;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static void fjob_free(fjob *j) {
  if (j == NULL) return;
  buf_free(&j->text);
  free(j->fl);
  fts_doc_free(j->doc[0]);
  fts_doc_free(j->doc[1]);
  free(j);
}

static size_t pipe_bytes(const fpipe *p) { return p ? p->bytes : 0; }

static void pipe_free(fpipe *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nworkers; i++) pthread_join(p->wk[i].th, NULL);
  for (size_t i = p->head; i < p->n; i++) fjob_free(p->job[i]);
  for (size_t i = 0; i < p->nspare; i++) fjob_free(p->spare[i]);
  for (size_t i = 0; i < p->nlimbo; i++) fjob_free(p->limbo[i]);
  for (size_t i = 0; i < p->ncfg; i++) {
    for (int k = 0; k < p->nthreads; k++) fts_analyzer_free(p->cfg[i]->a[k]);
    free(p->cfg[i]->sig);
    free(p->cfg[i]);
  }
  free(p->cfg);
  free(p->job);
  free(p->spare);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->encdone);
  for (size_t i = 0; i < p->encst.capch; i++) buf_free(&p->encst.ch[i].out);
  free(p->encst.ch);
  free(p);
}

/* Keep job j a worker may still hold (state 1): freed once it is done. */
static void pipe_limbo(fpipe *p, fjob *j) { /* (p->mu held) */
  size_t m = 0; /* (at most one job per worker is held) */
  for (size_t i = 0; i < p->nlimbo; i++)
    if (p->limbo[i]->state == 2) fjob_free(p->limbo[i]);
    else p->limbo[m++] = p->limbo[i];
  p->nlimbo = m;
  p->limbo[p->nlimbo++] = j;
}

/* May staged job j be kept for reuse (room in spare, not too big)? */
static bool pipe_keep(const fpipe *p, const fjob *j) {
  return p->nspare < PIPE_SPARE_MAX && j->text.cap <= PIPE_SPARE_TEXT;
}

/* A transaction ends without staging its queued jobs: drop them. */
static void pipe_cancel(fpipe *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&p->mu);
  for (size_t i = p->head; i < p->n; i++) {
    fjob *j = p->job[i];
    if (j->state == 1) {
      pipe_limbo(p, j);
    } else if (p->nspare < p->capspare && pipe_keep(p, j)) {
      p->spare[p->nspare++] = j;
    } else {
      fjob_free(j);
    }
  }
  p->head = p->n = p->next = 0;
  p->bytes = 0;
  pthread_mutex_unlock(&p->mu);
}

/* Threads for a transaction's analysis (1: the writer's only). */
static int pipe_threads(remdb *db) {
  static _Atomic int cores; /* (asked once) */
  int n = db->st->opts.exec_threads;
  if (n <= 0 && (n = atomic_load(&cores)) == 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (int)(c > PIPE_MAX_THREADS ? PIPE_MAX_THREADS : c) : 1;
    atomic_store(&cores, n);
  }
  return n > PIPE_MAX_THREADS ? PIPE_MAX_THREADS : n;
}

static fpipe *pipe_new(int nthreads) {
  fpipe *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->encdone, NULL);
  p->nthreads = nthreads;
  for (int k = 1; k < nthreads; k++) {
    fworker *w = &p->wk[p->nworkers];
    w->p = p;
    w->k = k;
    if (pthread_create(&w->th, NULL, fworker_main, w) != 0) break;
    p->nworkers++; /* (fewer workers than asked: the writer does more) */
  }
  return p;
}

/* The pipe's analyzers for configuration f (one per thread). */
static fcfg *pipe_cfg(remdb *db, fpipe *p, const sch_fulltext *f) {
  for (size_t i = 0; i < p->ncfg; i++)
    if (strcmp(p->cfg[i]->sig, f->signature) == 0) return p->cfg[i];
  if (p->ncfg >= 16) { /* forget them all, if no job uses one */
    pthread_mutex_lock(&p->mu);
    size_t m = 0;
    for (size_t i = 0; i < p->nlimbo; i++)
      if (p->limbo[i]->state == 2) fjob_free(p->limbo[i]);
      else p->limbo[m++] = p->limbo[i];
    p->nlimbo = m;
    bool idle = p->head == p->n && p->nlimbo == 0;
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; idle && i < p->ncfg; i++) {
      for (int k = 0; k < p->nthreads; k++) fts_analyzer_free(p->cfg[i]->a[k]);
      free(p->cfg[i]->sig);
      free(p->cfg[i]);
    }
    if (idle) p->ncfg = 0;
  }
  if (p->ncfg == p->capcfg) { /* (jobs point at the fcfg, not here) */
    size_t cap = p->capcfg ? p->capcfg * 2 : 4;
    fcfg **n = realloc(p->cfg, cap * sizeof *n);
    if (n == NULL) {
      err_nomem(&db->err);
      return NULL;
    }
    p->cfg = n;
    p->capcfg = cap;
  }
  fcfg *g = calloc(1, sizeof *g);
  char err[256] = "out of memory";
  if (g && (g->sig = strdup(f->signature)) != NULL) {
    int k = 0;
    for (; k < p->nthreads; k++)
      if ((g->a[k] = make_analyzer(f, err, sizeof err)) == NULL) break;
    if (k == p->nthreads) {
      p->cfg[p->ncfg++] = g;
      return g;
    }
    for (int i = 0; i < k; i++) fts_analyzer_free(g->a[i]);
  }
  if (g) free(g->sig);
  free(g);
  err_set(&db->err, REMDB_ERROR, "full-text analyzer: %s", err);
  return NULL;
}

/* Copy the indexed fields of rv as version k of j. */
static bool fjob_copy(fjob *j, const sch_fulltext *f, const rec_view *rv,
                      int k) {
  j->nf[k] = 0;
  for (uint32_t i = 0; i < f->nfields; i++) {
    rec_field fl;
    if (!rec_find(rv, f->fields[i], &fl) || fl.type != REC_TEXT) continue;
    size_t at = j->nf[0] * (size_t)k + j->nf[k];
    if (at == j->capfl) {
      size_t c = j->capfl ? j->capfl * 2 : 8;
      ffield *n = realloc(j->fl, c * sizeof *n);
      if (n == NULL) return false;
      j->fl = n;
      j->capfl = c;
    }
    j->fl[at] = (ffield){i, j->text.len, fl.n};
    buf_add(&j->text, fl.p, fl.n);
    j->nf[k]++;
  }
  return !j->text.oom;
}

/* Stage job j, analysed into doc (rc: -1 out of memory), and keep it for
** reuse (abandoned: once the workers are joined). */
static int pipe_stage(wtx_t *w, struct fts_cache *c, fpipe *p, fjob *j,
                      fts_doc *const *doc, int jrc, bool abandoned) {
  remdb *db = wtx_db(w);
  int rc = REMDB_OK;
  if (jrc) rc = err_nomem(&db->err);
  fts_slot *s = NULL;
  for (size_t i = 0; rc == REMDB_OK && i < c->nslot && !s; i++)
    if (c->slot[i].tid == db->tid && c->slot[i].tbl == j->tbl)
      s = &c->slot[i];
  if (rc == REMDB_OK && s == NULL)
    rc = err_set(&db->err, REMDB_ERROR, "full-text index: table %u gone",
                 j->tbl);
  if (rc == REMDB_OK) {
    sdoc sv = {NULL, {NULL, NULL}, {doc[0], doc[1]}, {j->had, j->has}};
    rc = stage_doc(w, c, s, j->tbl, &j->id, j->old, j->had, j->has, j->nw,
                   &sv);
  }
  p->bytes -= j->text.len + sizeof *j;
  if (abandoned) { /* a worker holds it: free it once done, or joined */
    pthread_mutex_lock(&p->mu);
    pipe_limbo(p, j);
    pthread_mutex_unlock(&p->mu);
    return rc;
  }
  if (!pipe_keep(p, j)) {
    fjob_free(j);
    return rc;
  }
  if (p->nspare == p->capspare) {
    size_t cap = p->capspare ? p->capspare * 2 : 64;
    fjob **n = realloc(p->spare, cap * sizeof *n);
    if (n == NULL) {
      fjob_free(j);
      return rc ? rc : err_nomem(&db->err);
    }
    p->spare = n;
    p->capspare = cap;
  }
  p->spare[p->nspare++] = j;
  return rc;
}

/* Stage the queue's jobs in order: those done at its head; all: every
** one.  Then the writer first analyses the jobs no worker has taken, and
** never waits for a worker: a job a worker still holds when its turn comes
** (at most one per worker) is analysed again by the writer. */
static int pipe_drain(wtx_t *w, struct fts_cache *c, fpipe *p, bool all) {
  int rc = REMDB_OK;
  for (;;) { /* analyse with the workers */
    pthread_mutex_lock(&p->mu);
    if (!all || p->next == p->n) {
      pthread_mutex_unlock(&p->mu);
      break;
    }
    fjob *j = p->job[p->next++];
    j->state = 1;
    pthread_mutex_unlock(&p->mu);
    int jr = fjob_run(j, j->cfg->a[0], j->doc);
    pthread_mutex_lock(&p->mu);
    j->rc = jr;
    j->state = 2;
    pthread_mutex_unlock(&p->mu);
  }
  while (rc == REMDB_OK) {
    pthread_mutex_lock(&p->mu);
    if (p->head == p->n) { /* empty (and every job taken): start over */
      p->head = p->n = p->next = 0;
      pthread_mutex_unlock(&p->mu);
      break;
    }
    fjob *j = p->job[p->head];
    int state = j->state, jr = j->rc;
    if (state != 2 && !all) {
      pthread_mutex_unlock(&p->mu);
      break;
    }
    p->head++;
    pthread_mutex_unlock(&p->mu);
    if (state == 2) {
      rc = pipe_stage(w, c, p, j, j->doc, jr, false);
    } else { /* a worker's, still: the writer's own analysis */
      fts_doc *own[2] = {c->old, c->nw};
      jr = fjob_run(j, j->cfg->a[0], own);
      rc = pipe_stage(w, c, p, j, own, jr, true);
    }
  }
  return rc;
}

/* ---- segment blocks encoded beside the writer ----------------------------
** At commit, encoding the new segment (fts_block_encode over each block
** key's new documents, each term's entry) is about 7% of the writer's time
** in an import (perf).  When the transaction has the pipe's workers (it
** queued jobs) and enough postings, enc_blocks prepares every block key
** (its postings sorted, cut at the table's `fresh`: block_prep, on the
** writer), cuts the ordered keys (pend_order) into chunks of about equal
** postings, at the end of a term's keys, and hands them to the workers,
** who take them from the last one (under the pipe's mutex) and build each
** term's whole segment entry (segb_head, its blocks) into the chunk's
** buffer.  The writer stages in key order as before, from the first
** chunk: a chunk no worker took is the writer's (stage_block encodes, as
** for a small commit), a chunk a worker is done with gives its entries to
** segb_add_entry (the writer only appends them to the parts), and a chunk
** a worker still holds is taken back: the writer encodes it itself (into
** the segment builder's own buffers) and the worker stops at its next
** term, its work dropped.  The writer never waits for a worker (a wait
** for a worker is a wait for the scheduler, long on a busy box): the
** bytes written are the single thread's either way.  From publication on,
** the postings are read only; a worker reads the transaction's pending
** keys, postings and positions and writes only its chunk (buffer, its
** keys' off and len); no worker touches RocksDB.  A worker may still be in
** a chunk taken back when the commit is staged: the pending keys are then
** cleared by the transaction's reset (fts_txn_reset, after the batch's
** write), which first waits (enc_settle) for the worker to leave: at most
** one term's entry after it runs again.  A worker chunk's error (out of
** memory, a bad posting) fails the commit, which then writes nothing, as
** before. */

_Atomic uint64_t fts_enc_worker_chunks, fts_enc_taken_back;
_Atomic int fts_enc_mode;
int (*fts_enc_test_fail)(int worker);

#define ENC_MIN_POSTINGS 2048 /* fewer: the writer encodes as it stages */
#define ENC_CHUNK_MIN 256     /* postings of a chunk, at least */
#define ENC_KEEP ((size_t)4 << 20) /* chunk buffers kept (bytes), at most */

/* Build the segment entry of the term of keys order[i, j) (its new
** documents' nblk blocks) into c's out: segb_head, then (varint length,
** block) per key, as segb_add and segb_entry would write them. */
static int enc_entry(fenc *e, fench *c, size_t i, size_t j, uint64_t nblk,
                     buf_t *blk) {
  const pkey *p = e->order[i];
  fenc_key *k0 = &e->k[i];
  unsigned char h[SEGB_HEAD_MAX];
  k0->off = c->out.len;
  buf_add(&c->out, h, segb_head(h, p, &e->x->pk[p->term - 1].tdn, nblk));
  for (size_t m = i; m < j; m++) {
    const fenc_key *k = &e->k[m];
    const pkey *q = e->order[m];
    if (k->t == NULL || k->cut == k->n) continue;
    buf_reset(blk);
    if ((fts_enc_test_fail && fts_enc_test_fail(1)) ||
        fts_block_encode(e->ps + e->start[q - e->x->pk] + k->cut,
                         k->n - k->cut, blk) ||
        blk->oom)
      return -1;
    fts_put_varint(&c->out, blk->len);
    buf_add(&c->out, blk->p, blk->len);
  }
  if (c->out.oom) return -1;
  k0->len = c->out.len - k0->off;
  return 0;
}

static void enc_chunk(fenc *e, fench *c) {
  int rc = 0;
  buf_t blk;
  buf_init(&blk);
  for (size_t i = c->lo, j; i < c->hi && rc == 0; i = j) {
    if (atomic_load_explicit(&c->quit, memory_order_relaxed)) break;
    const pkey *p = e->order[i];
    j = i + 1;
    if (p->kind != 'B') continue;
    uint64_t nblk = e->k[i].t && e->k[i].cut < e->k[i].n;
    for (; j < c->hi && e->order[j]->kind == 'B' &&
           e->order[j]->term == p->term;
         j++)
      nblk += e->k[j].t && e->k[j].cut < e->k[j].n;
    if (nblk) rc = enc_entry(e, c, i, j, nblk, &blk);
  }
  buf_free(&blk);
  c->rc = rc;
}

/* The chunks' buffers emptied, kept up to ENC_KEEP bytes (no worker
** holds a chunk: at the task's end, so that a big commit's encoded blocks
** do not stay with the store until its next big commit). */
static void enc_trim(fenc *e) {
  size_t held = 0;
  for (size_t i = 0; i < e->capch; i++) {
    held += e->ch[i].out.cap;
    if (held > ENC_KEEP) buf_free(&e->ch[i].out);
    else buf_reset(&e->ch[i].out);
  }
}

/* The chunks' room for n chunks, their buffers emptied (kept up to
** ENC_KEEP bytes).  false when out of memory. */
static bool enc_room(fenc *e, size_t n) {
  enc_trim(e);
  if (n > e->capch) {
    fench *c = realloc(e->ch, n * sizeof *c);
    if (c == NULL) return false;
    for (size_t i = e->capch; i < n; i++) buf_init(&c[i].out);
    e->ch = c;
    e->capch = n;
  }
  return true;
}

/* Prepare the new segment's blocks and hand them to the pipe's workers,
** when worth it: *out the task, or NULL (stage_block encodes them all).
** -1 when out of memory (*out NULL). */
static int enc_blocks(struct fts_txn *x, pkey **order, size_t nkeys,
                      const size_t *start, fts_posting *ps, fenc **out) {
  *out = NULL;
  fpipe *p = x->pipe;
  if (p == NULL || p->nworkers == 0) return 0;
  size_t total = 0;
  for (size_t i = 0; i < nkeys; i++)
    if (order[i]->kind == 'B') total += order[i]->nup;
  if (total < (fts_enc_mode ? 1 : ENC_MIN_POSTINGS)) return 0;
  enc_settle(p); /* (an earlier commit's, left by a transaction not reset) */
  fenc *e = &p->encst;
  size_t per = total / ((size_t)p->nthreads * 16);
  if (per < ENC_CHUNK_MIN) per = ENC_CHUNK_MIN;
  fenc_key *k = scratch(&x->enck, &x->capenck, nkeys, sizeof *k);
  if (k == NULL || !enc_room(e, total / per + 2)) return -1;
  size_t acc = 0, lo = 0;
  e->nch = 0;
  for (size_t i = 0; i < nkeys; i++) {
    pkey *q = order[i];
    k[i].len = SIZE_MAX;
    k[i].ch = (uint32_t)e->nch;
    k[i].t = NULL;
    k[i].cut = k[i].n = 0;
    if (q->kind == 'B') {
      k[i].t = block_prep(x, q, ps + start[q - x->pk], &k[i].cut);
      k[i].n = q->nup;
      acc += q->nup;
    }
    if (i + 1 == nkeys ||
        (acc >= per && (q->kind != 'B' || order[i + 1]->kind != 'B' ||
                        order[i + 1]->term != q->term))) {
      fench *c = &e->ch[e->nch++];
      c->lo = lo;
      c->hi = i + 1;
      c->state = 0;
      c->rc = 0;
      atomic_store_explicit(&c->quit, 0, memory_order_relaxed);
      lo = i + 1;
      acc = 0;
    }
  }
  e->x = x;
  e->order = order;
  e->start = start;
  e->ps = ps;
  e->k = k;
  e->lo = 0;
  e->hi = e->nch;
  e->ntaken = e->ndone = 0;
  e->p = p;
  pthread_mutex_lock(&p->mu);
  p->enc = e;
  if (p->idle) pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  *out = e;
  return 0;
}

/* The writer reaches chunk ch: 1 when a worker encoded it (its bytes are
** in the chunk's out), 0 when the writer encodes it as it stages (no
** worker took it, or the worker still holds it: taken back, never waited
** for), -1 when the worker's encoding failed.  (fts_enc_mode, tests: 1
** the writer waits for the workers' bytes, 2 it waits for a worker to
** take the chunk and takes it back, 3 the one in odd chunks, the other in
** even ones; each hands out every commit's blocks, however few.) */
static int enc_claim(fenc *e, uint32_t ch) {
  fpipe *p = e->p;
  fench *c = &e->ch[ch];
  int mode = atomic_load(&fts_enc_mode), r;
  if (mode == 3) mode = ch % 2 ? 1 : 2;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    if (c->state == 2 && mode != 2) {
      r = c->rc ? -1 : 1;
      break;
    }
    if (c->state == 0 ? mode == 0 : mode != 1) {
      if (c->state == 0) { /* (e->lo == ch: the writer's from the first) */
        c->state = 3;
        e->lo = ch + 1;
      } else { /* a worker's: back to the writer */
        c->state = 4;
        atomic_store_explicit(&c->quit, 1, memory_order_relaxed);
        fts_enc_taken_back++;
      }
      r = 0;
      break;
    }
    pthread_cond_wait(&p->encdone, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return r;
}

/* The commit is staged (or failed): no worker takes another chunk, those
** that hold one stop at their next term.  true when none holds one (the
** task is over), else enc_settle ends it. */
static bool enc_close(fenc *e) {
  fpipe *p = e->p;
  pthread_mutex_lock(&p->mu);
  e->lo = e->hi;
  for (size_t i = 0; i < e->nch; i++)
    if (e->ch[i].state == 1)
      atomic_store_explicit(&e->ch[i].quit, 1, memory_order_relaxed);
  bool over = e->ndone == e->ntaken;
  if (over) {
    p->enc = NULL;
    enc_trim(e);
  }
  pthread_mutex_unlock(&p->mu);
  return over;
}

/* Wait until no worker holds a chunk of p's task (they read the pending
** keys), and end it. */
static void enc_settle(fpipe *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&p->mu);
  if (p->enc) {
    p->enc->lo = p->enc->hi;
    while (p->enc->ndone < p->enc->ntaken)
      pthread_cond_wait(&p->encdone, &p->mu);
    enc_trim(p->enc);
    p->enc = NULL;
  }
  pthread_mutex_unlock(&p->mu);
}

size_t fts_enc_kept(remdb *db) {
  fpipe *p = db->st->fts ? db->st->fts->pipe : NULL;
  size_t n = 0;
  if (p) {
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->encst.capch; i++) n += p->encst.ch[i].out.cap;
    pthread_mutex_unlock(&p->mu);
  }
  return n;
}

size_t fts_pipe_kept(remdb *db, size_t *text_bytes) {
  fpipe *p = db->st->fts ? db->st->fts->pipe : NULL;
  size_t n = 0, t = 0;
  if (p) {
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nspare; i++) t += p->spare[i]->text.cap;
    n = p->nspare;
    pthread_mutex_unlock(&p->mu);
  }
  if (text_bytes) *text_bytes = t;
  return n;
}

#define PIPE_WAKE 32 /* queued jobs that wake an idle worker */

/* Queue entity id's change for analysis beside the writer. */
static int pipe_add(wtx_t *w, struct fts_cache *c, struct fts_txn *x,
                    const sch_table *t, const uuid16_t *id,
                    const rec_view *old, const rec_view *nw, bool had,
                    bool has) {
  remdb *db = wtx_db(w);
  fpipe *p = c->pipe;
  if (p == NULL && (p = c->pipe = pipe_new(x->nthreads)) == NULL)
    return err_nomem(&db->err);
  if (x->pipe == NULL) pipe_cancel(p); /* (none: every reset drops its own) */
  x->pipe = p;
  int rc = pipe_drain(w, c, p, false); /* keep the queue short */
  if (rc) return rc;
  fcfg *g = pipe_cfg(db, p, &t->fulltext);
  if (g == NULL) return db->err.code;
  fjob *j = p->nspare ? p->spare[--p->nspare] : calloc(1, sizeof *j);
  if (j == NULL) return err_nomem(&db->err);
  for (int k = 0; k < 2; k++)
    if (j->doc[k] == NULL && (j->doc[k] = fts_doc_new()) == NULL) {
      fjob_free(j);
      return err_nomem(&db->err);
    }
  buf_reset(&j->text);
  j->tbl = t->table_id;
  j->id = *id;
  j->old = old != NULL;
  j->nw = nw != NULL;
  j->had = had;
  j->has = has;
  j->cfg = g;
  j->state = 0;
  j->rc = 0;
  j->nf[0] = j->nf[1] = 0;
  if ((had && !fjob_copy(j, &t->fulltext, old, 0)) ||
      (has && !fjob_copy(j, &t->fulltext, nw, 1))) {
    fjob_free(j);
    return err_nomem(&db->err);
  }
  pthread_mutex_lock(&p->mu);
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    fjob **n = realloc(p->job, cap * sizeof *n);
    if (n == NULL) {
      pthread_mutex_unlock(&p->mu);
      fjob_free(j);
      return err_nomem(&db->err);
    }
    p->job = n;
    p->cap = cap;
  }
  p->job[p->n++] = j;
  if (p->idle && p->n - p->next >= PIPE_WAKE) pthread_cond_signal(&p->work);
  pthread_mutex_unlock(&p->mu);
  p->bytes += j->text.len + sizeof *j;
  return REMDB_OK;
}

/* Stage the index changes of entity id of t from version old to nw (either
** NULL: none).  Called by wtx_put and wtx_remove inside their savepoint. */
int fts_stage(wtx_t *w, const sch_table *t, const uuid16_t *id,
              const rec_view *old, const rec_view *nw) {
  const sch_fulltext *f = &t->fulltext;
  if (f->nfields == 0) return REMDB_OK;
  remdb *db = wtx_db(w);
  bool had = old && !rec_is_deleted(old), has = nw && !rec_is_deleted(nw);
  if (had && has && same_text(f, old, nw)) return REMDB_OK;
  if (!had && !has && nw) return REMDB_OK; /* a soft-deleted row stays so */
  struct fts_cache *c = cache_get(db);
  if (c == NULL) return err_nomem(&db->err);
  fts_slot *s = cache_slot(db, c, t);
  if (s == NULL) return db->err.code ? db->err.code : err_nomem(&db->err);
  if (!s->built) return REMDB_OK;
  struct fts_txn *x = txn_of(w);
  if (x == NULL) return err_nomem(&db->err);
  if (x->nsync > 0 && x->nthreads == 0) x->nthreads = pipe_threads(db);
  if (x->pipe || (x->nsync > 0 && x->nthreads > 1))
    return pipe_add(w, c, x, t, id, old, nw, had, has);
  x->nsync++;
  sdoc sv = {f, {old, nw}, {c->old, c->nw}, {false, false}};
  return stage_doc(w, c, s, t->table_id, id, old != NULL, had, has,
                   nw != NULL, &sv);
}

/* ---- the merge operator ---------------------------------------------------- */

typedef int (*merge_fn)(const void *, size_t, const void *const *,
                        const size_t *, size_t, buf_t *);

/* 'E': the records of the base and the operands, in order (the last of a
** slot wins). */
static int ids_merge(const void *base, size_t baselen,
                     const void *const *ops, const size_t *lens, size_t n,
                     buf_t *out) {
  if (baselen % 17) return -1;
  for (size_t i = 0; i < n; i++)
    if (lens[i] % 17) return -1;
  if (base) buf_add(out, base, baselen);
  for (size_t i = 0; i < n; i++) buf_add(out, ops[i], lens[i]);
  return out->oom ? -2 : 0;
}

static merge_fn merge_for(const char *k, size_t kl) {
  if (kl < KEY_FTS_PREFIX || get_u32be((const unsigned char *)k + 4) !=
                                 KEY_FTS_TBL)
    return NULL;
  switch (k[12]) {
    case 'B': return fts_block_merge;
    case 'T': return fts_term_merge;
    case 'X': return fts_term_merge;
    case 'Y': return fts_term_merge;
    case 'L': return fts_lengths_merge;
    case 'S': return fts_stats_merge;
    case 'E': return ids_merge;
    default: return NULL;
  }
}

/* Never fails on what the writer wrote: a merge the library refuses (a
** count that would go negative, after damage) is retried operand by
** operand, skipping those that cannot apply, so the key stays readable
** and verify reports the damage. */
static int merge_full(const char *k, size_t kl, const char *base, size_t bl,
                      const char *const *ops, const size_t *lens, size_t n,
                      buf_t *out) {
  merge_fn fn = merge_for(k, kl);
  if (fn == NULL) return -1;
  size_t start = out->len;
  int rc = fn(base, bl, (const void *const *)ops, lens, n, out);
  if (rc == 0) return 0;
  out->len = start;
  buf_t cur, nxt;
  buf_init(&cur);
  buf_init(&nxt);
  if (base == NULL || fn(base, bl, NULL, NULL, 0, &cur) != 0) {
    buf_reset(&cur);
    if (fn(NULL, 0, NULL, NULL, 0, &cur) != 0) {
      buf_free(&cur);
      return -1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const void *o = ops[i];
    buf_reset(&nxt);
    if (fn(cur.p, cur.len, &o, &lens[i], 1, &nxt) == 0) {
      buf_t t = cur;
      cur = nxt;
      nxt = t;
    }
  }
  buf_add(out, cur.p, cur.len);
  buf_free(&cur);
  buf_free(&nxt);
  return out->oom ? -1 : 0;
}

/* Operands combine into one when none refers to a base: upserts of
** postings (a block of them is an upsert too), and deltas of term entries
** and statistics (they add up).  Flushes and compactions so keep a hot
** key's run of operands short. */
static int merge_partial(const char *k, size_t kl, const char *const *ops,
                         const size_t *lens, size_t n, buf_t *out) {
  if (kl < KEY_FTS_PREFIX || get_u32be((const unsigned char *)k + 4) !=
                                 KEY_FTS_TBL)
    return -1;
  if (k[12] == 'B') {
    for (size_t i = 0; i < n; i++)
      if (lens[i] < 1 || ops[i][0] != FTS_FMT_BLOCK) return -1;
    return fts_block_merge(NULL, 0, (const void *const *)ops, lens, n, out);
  }
  if (k[12] == 'T' || k[12] == 'X') {
    fts_term_delta sum = {0, 0, 0, UINT32_MAX}, d;
    for (size_t i = 0; i < n; i++) {
      if (fts_term_delta_decode(ops[i], lens[i], &d)) return -1;
      sum.df += d.df;
      sum.cf += d.cf;
      if (d.max_tf > sum.max_tf) sum.max_tf = d.max_tf;
      if (d.min_dl < sum.min_dl) sum.min_dl = d.min_dl;
    }
    fts_term_delta_encode(&sum, out);
    return 0;
  }
  if (k[12] == 'E') return ids_merge(NULL, 0, (const void *const *)ops, lens,
                                     n, out);
  if (k[12] == 'S') {
    int64_t docs = 0, tokens = 0, d, t;
    for (size_t i = 0; i < n; i++) {
      if (fts_stats_delta_decode(ops[i], lens[i], &d, &t)) return -1;
      docs += d;
      tokens += t;
    }
    fts_stats_delta_encode(docs, tokens, out);
    return 0;
  }
  return -1;
}

static const kv_merge_ops merge_ops = {merge_full, merge_partial};

void fts_register(void) { kv_set_merge(&merge_ops); }

/* ---- building, dropping ---------------------------------------------------- */

void fts_drop_table(remdb *db, kv_batch_t *kb, uint32_t tbl) {
  unsigned char lo[12], hi[12];
  put_u32be(lo, db->tid);
  put_u32be(lo + 4, KEY_FTS_TBL);
  put_u32be(lo + 8, tbl);
  memcpy(hi, lo, 8);
  put_u32be(hi + 8, tbl + 1);
  kv_batch_del_range(kb, KV_INDEX, lo, sizeof lo, hi, sizeof hi);
}

void fts_stage_created(remdb *db, kv_batch_t *kb, const sch_table *t) {
  if (t->fulltext.nfields == 0) return;
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, db->tid, t->table_id, 'M');
  kv_batch_put(kb, KV_INDEX, k, sizeof k, t->fulltext.signature,
               strlen(t->fulltext.signature));
}

/* One range of FTS_BLOCK_SPAN document numbers being built: each term's
** postings in it. */
typedef struct chunk {
  smap terms;
  char **name;        /* per term: its bytes (the map's keys) */
  uint32_t **plist;   /* per term: postings as (doc, tf, dl, pos off) */
  size_t *pn, *pcap;
  size_t cap;
  uint32_t *pos;      /* all positions of the chunk */
  size_t npos, poscap;
  fts_lengths len;
  buf_t ids;          /* its 'E' records */
  uint64_t base;      /* first docno of the range */
} chunk;

static void chunk_free(chunk *c) {
  for (size_t i = 0; i < c->terms.n; i++) {
    free(c->plist[i]);
    free(c->name[i]);
  }
  smap_free(&c->terms);
  free(c->name);
  free(c->plist);
  free(c->pn);
  free(c->pcap);
  free(c->pos);
  buf_free(&c->ids);
}

static void chunk_reset(chunk *c, uint64_t base) {
  for (size_t i = 0; i < c->terms.n; i++) c->pn[i] = 0;
  /* the terms stay as keys (their lists empty): a term of one range is
  ** likely in the next */
  c->npos = 0;
  fts_lengths_clear(&c->len);
  buf_reset(&c->ids);
  c->base = base;
}

/* Add docno's analysed document d to the chunk. */
static bool chunk_add(chunk *c, uint64_t docno, fts_doc *d) {
  long nt = fts_doc_nterms(d);
  uint32_t dl = fts_doc_length(d);
  fts_lengths_set(&c->len, (unsigned)(docno - c->base), dl);
  for (long j = 0; j < nt; j++) {
    const char *tm;
    size_t len;
    const uint32_t *pos;
    uint32_t npos;
    fts_doc_term(d, (size_t)j, &tm, &len, &pos, &npos);
    size_t i = smap_find(&c->terms, tm, len, false, NULL);
    if (i == SIZE_MAX) {
      if (c->terms.n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        char **nm = realloc(c->name, cap * sizeof *nm);
        if (!nm) return false;
        c->name = nm;
        uint32_t **pl = realloc(c->plist, cap * sizeof *pl);
        if (!pl) return false;
        c->plist = pl;
        size_t *pn = realloc(c->pn, cap * sizeof *pn);
        if (!pn) return false;
        c->pn = pn;
        size_t *pc = realloc(c->pcap, cap * sizeof *pc);
        if (!pc) return false;
        c->pcap = pc;
        c->cap = cap;
      }
      char *copy = malloc(len + 1); /* the map borrows it */
      if (!copy) return false;
      memcpy(copy, tm, len);
      copy[len] = 0;
      i = smap_find(&c->terms, copy, len, true, NULL);
      if (i == SIZE_MAX) {
        free(copy);
        return false;
      }
      c->name[i] = copy;
      c->plist[i] = NULL;
      c->pn[i] = c->pcap[i] = 0;
    }
    if (c->pn[i] + 4 > c->pcap[i]) {
      size_t cap = c->pcap[i] ? c->pcap[i] * 2 : 16;
      uint32_t *p = realloc(c->plist[i], cap * sizeof *p);
      if (!p) return false;
      c->plist[i] = p;
      c->pcap[i] = cap;
    }
    if (c->npos + npos > c->poscap) {
      size_t cap = c->poscap ? c->poscap * 2 : 4096;
      while (cap < c->npos + npos) cap *= 2;
      uint32_t *p = realloc(c->pos, cap * sizeof *p);
      if (!p) return false;
      c->pos = p;
      c->poscap = cap;
    }
    uint32_t *e = c->plist[i] + c->pn[i];
    e[0] = (uint32_t)(docno - c->base);
    e[1] = npos;
    e[2] = dl;
    e[3] = (uint32_t)c->npos;
    memcpy(c->pos + c->npos, pos, npos * sizeof *pos);
    c->npos += npos;
    c->pn[i] += 4;
  }
  return true;
}

/* Stage the chunk's blocks, term deltas and lengths. */
static int chunk_flush(remdb *db, uint32_t tbl, chunk *c, kv_batch_t *kb,
                       buf_t *op) {
  fts_posting p[FTS_BLOCK_SPAN];
  bool any = false;
  for (size_t i = 0; i < c->terms.n; i++) {
    size_t n = c->pn[i] / 4;
    if (n == 0) continue;
    any = true;
    fts_term_delta td = {(int64_t)n, 0, 0, UINT32_MAX};
    for (size_t j = 0; j < n; j++) {
      const uint32_t *e = c->plist[i] + 4 * j;
      p[j] = (fts_posting){c->base + e[0], e[1], e[2], c->pos + e[3]};
      td.cf += e[1];
      if (e[1] > td.max_tf) td.max_tf = e[1];
      if (e[2] < td.min_dl) td.min_dl = e[2];
    }
    buf_reset(op);
    if (fts_block_encode(p, n, op) || op->oom) return err_nomem(&db->err);
    const char *tm = c->name[i];
    size_t len = c->terms.klen[i];
    unsigned char k[KEY_FTS_MAX];
    size_t kl = key_fts_block(k, db->tid, tbl, tm, len, c->base);
    kv_batch_put(kb, KV_INDEX, k, kl, op->p, op->len);
    stage_term_delta(db, kb, tbl, tm, len, &td, op);
  }
  /* terms unused for a while go, so the map stays small */
  if (c->terms.n > 65536) {
    for (size_t i = 0; i < c->terms.n; i++) {
      free(c->plist[i]);
      free(c->name[i]);
    }
    smap_clear(&c->terms);
  }
  bool lens = any;
  for (unsigned i = 0; i < FTS_BLOCK_SPAN / 8 && !lens; i++)
    lens = c->len.set[i] != 0;
  if (lens) {
    unsigned char lk[KEY_FTS_LEN_LEN];
    key_fts_lengths(lk, db->tid, tbl, c->base);
    buf_reset(op);
    fts_lengths_encode(&c->len, op);
    kv_batch_put(kb, KV_INDEX, lk, sizeof lk, op->p, op->len);
  }
  if (c->ids.len) {
    unsigned char ek[KEY_FTS_LEN_LEN];
    key_fts_ids(ek, db->tid, tbl, c->base);
    kv_batch_put(kb, KV_INDEX, ek, sizeof ek, c->ids.p, c->ids.len);
  }
  return op->oom || c->ids.oom ? err_nomem(&db->err) : REMDB_OK;
}

static int rebuild_commit(remdb *db, kv_batch_t *kb) {
  int rc = kv_write(db->st->kv, kb, 0, &db->err);
  kv_batch_clear(kb);
  return rc;
}

int fts_rebuild(remdb *db, const sch_table *t) {
  assert(core_locked(db));
  uint32_t tbl = t->table_id;
  const sch_fulltext *f = &t->fulltext;
  kv_batch_t *kb = kv_batch_new(db->st->kv);
  if (kb == NULL) return err_nomem(&db->err);
  /* the writer's cache of this table is stale from here on */
  struct fts_cache *cc = cache_get(db);
  if (cc == NULL) {
    kv_batch_free(kb);
    return err_nomem(&db->err);
  }
  for (size_t i = 0; i < cc->nslot; i++)
    if (cc->slot[i].tid == db->tid && cc->slot[i].tbl == tbl) {
      cc->slot[i] = cc->slot[--cc->nslot];
      break;
    }
  fts_drop_table(db, kb, tbl);
  int rc = rebuild_commit(db, kb);
  if (rc || f->nfields == 0) {
    kv_batch_free(kb);
    return rc;
  }
  char err[256];
  fts_analyzer *a = make_analyzer(f, err, sizeof err);
  fts_doc *d = fts_doc_new();
  kv_snap_t *snap = kv_snap_new(db->st->kv);
  kv_iter_t *it = NULL;
  chunk c;
  memset(&c, 0, sizeof c);
  buf_t op;
  buf_init(&op);
  if (a == NULL) rc = err_set(&db->err, REMDB_ERROR, "full-text analyzer: %s", err);
  else if (d == NULL || snap == NULL) rc = err_nomem(&db->err);
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, tbl);
  key_table(hi, db->tid, tbl + 1);
  if (rc == REMDB_OK)
    rc = kv_iter_new(db->st->kv, snap, KV_ENTITY, lo, sizeof lo, hi,
                     sizeof hi, &it, &db->err);
  uint64_t docno = 0, docs = 0, tokens = 0;
  chunk_reset(&c, 0);
  if (rc == REMDB_OK) kv_iter_first(it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    if (kl != KEY_ENTITY_LEN) continue;
    rec_view rv;
    if ((rc = rec_open(&rv, v, vl, &db->err))) break;
    if (docno - c.base >= FTS_BLOCK_SPAN) {
      rc = chunk_flush(db, tbl, &c, kb, &op);
      if (rc == REMDB_OK && kv_batch_bytes(kb) > (4u << 20))
        rc = rebuild_commit(db, kb);
      if (rc) break;
      chunk_reset(&c, docno);
    }
    unsigned char ik[KEY_FTS_ID_LEN], nv[8];
    key_fts_id(ik, db->tid, tbl, (const unsigned char *)k + 8);
    put_u64be(nv, docno);
    kv_batch_put(kb, KV_INDEX, ik, sizeof ik, nv, 8);
    buf_addc(&c.ids, (char)(docno % FTS_BLOCK_SPAN));
    buf_add(&c.ids, k + 8, 16);
    if (!rec_is_deleted(&rv)) {
      rc = analyse(db, a, f, &rv, d);
      if (rc == REMDB_OK && !chunk_add(&c, docno, d)) rc = err_nomem(&db->err);
      docs++;
      tokens += fts_doc_length(d);
    }
    docno++;
  }
  if (rc == REMDB_OK && it) rc = kv_iter_status(it, &db->err);
  if (rc == REMDB_OK) rc = chunk_flush(db, tbl, &c, kb, &op);
  if (rc == REMDB_OK) {
    unsigned char k[KEY_FTS_PREFIX], nv[8];
    key_fts(k, db->tid, tbl, 'N');
    put_u64be(nv, docno);
    kv_batch_put(kb, KV_INDEX, k, sizeof k, nv, 8);
    key_fts(k, db->tid, tbl, 'S');
    buf_reset(&op);
    fts_stats_encode(&(fts_table_stats){docs, tokens}, &op);
    kv_batch_put(kb, KV_INDEX, k, sizeof k, op.p, op.len);
    fts_stage_created(db, kb, t); /* built: the 'M' key, last */
    rc = op.oom ? err_nomem(&db->err) : kv_write(db->st->kv, kb, 1, &db->err);
  }
  kv_iter_free(it);
  if (snap) kv_snap_free(db->st->kv, snap);
  chunk_free(&c);
  buf_free(&op);
  fts_doc_free(d);
  fts_analyzer_free(a);
  kv_batch_free(kb);
  return rc;
}

/* ---- the reader ------------------------------------------------------------- */

struct fts_reader {
  remdb *db;
  const kv_snap_t *snap;
  uint32_t tid, tbl;
  fts_analyzer *an;
  char **names;
  size_t nnames;
  fts_source src;
  int64_t lblock;   /* the lengths block cached, -1 none */
  fts_lengths lens;
  int64_t eblock;   /* the id range cached ('E'), -1 none */
  uint8_t eid[FTS_BLOCK_SPAN][16]; /* its ids (zero: none) */
  segset segs;    /* the segments at the snapshot */
  uint64_t *dead; /* their dead documents ('K'), ascending */
  size_t ndead;
  kv_iter_t *git; /* over their parts, made at the first term */
};

typedef struct bstream {
  fts_reader *r;
  kv_iter_t *it;
  unsigned char key[KEY_FTS_MAX];
  size_t plen; /* prefix: 'B' TERM 0x00 */
  bool at;     /* on a block */
  uint32_t cur; /* its range number */
  /* then the term's blocks in the unmerged segments (documents above all
  ** of the blocks'), copied at open: segphase once the keys are done */
  bool segphase;
  buf_t sbuf;
  size_t *soff; /* nsb + 1 offsets into sbuf */
  size_t nsb, si;
} bstream;

static const void *bs_here(bstream *s, size_t *len) {
  s->at = kv_iter_valid(s->it);
  if (!s->at) return NULL;
  size_t kl;
  const unsigned char *k = (const unsigned char *)kv_iter_key(s->it, &kl);
  if (kl != s->plen + 4) { /* cannot be: the bounds hold the term's keys */
    s->at = false;
    return NULL;
  }
  s->cur = get_u32be(k + s->plen);
  return kv_iter_value(s->it, len);
}

/* The segment block si (entering the segment phase), NULL past them. */
static const void *bs_seg(bstream *s, size_t *len) {
  s->segphase = true;
  if (s->si >= s->nsb) return NULL;
  *len = s->soff[s->si + 1] - s->soff[s->si];
  return s->sbuf.p + s->soff[s->si];
}

static const void *bs_seek(void *ctx, uint64_t target, size_t *len) {
  bstream *s = ctx;
  /* in the segments: the current block is "at or before" the one wanted */
  if (s->segphase) return bs_seg(s, len);
  uint32_t tb = (uint32_t)(target / FTS_BLOCK_SPAN);
  if (s->at && s->cur >= tb) return kv_iter_value(s->it, len);
  put_u32be(s->key + s->plen, tb);
  kv_iter_seek(s->it, s->key, s->plen + 4);
  const void *b = bs_here(s, len);
  return b ? b : bs_seg(s, len);
}

static const void *bs_next(void *ctx, size_t *len) {
  bstream *s = ctx;
  if (s->segphase) {
    if (s->si < s->nsb) s->si++;
    return bs_seg(s, len);
  }
  if (!s->at) return bs_seg(s, len);
  kv_iter_next(s->it);
  const void *b = bs_here(s, len);
  return b ? b : bs_seg(s, len);
}

static void bs_close(void *ctx) {
  bstream *s = ctx;
  kv_iter_free(s->it);
  buf_free(&s->sbuf);
  free(s->soff);
  free(s);
}

/* Copy term's blocks in r's segments into s, and add its statistics in
** them to *info.  0, or -1 (the error in db). */
static int bs_load_segments(fts_reader *r, bstream *s, const char *term,
                            size_t len, fts_term_info *info) {
  remdb *db = r->db;
  if (r->git == NULL) {
    unsigned char lo[KEY_FTS_PREFIX], hi[KEY_FTS_PREFIX];
    key_fts(lo, r->tid, r->tbl, 'G');
    key_fts(hi, r->tid, r->tbl, 'G' + 1);
    if (kv_iter_new(db->st->kv, r->snap, KV_INDEX, lo, sizeof lo, hi,
                    sizeof hi, &r->git, &db->err))
      return -1;
  }
  kv_iter_t *it = r->git;
  size_t cap = 0;
  int rc = 0;
  for (uint32_t si = 0; si < r->segs.n && rc == 0; si++) {
    uint64_t seg = r->segs.no[si];
    unsigned char k[KEY_FTS_SEG_MAX];
    size_t kl = key_fts_seg(k, r->tid, r->tbl, seg, term, len);
    kv_iter_seek(it, k, kl);
    /* (not a break: a merge's output has the highest number, yet older
    ** segments, of lower levels, may follow it in the list) */
    if (!kv_iter_valid(it)) continue;
    size_t fl, vl;
    const unsigned char *fk = (const unsigned char *)kv_iter_key(it, &fl);
    if (fl < KEY_FTS_PREFIX + 8 || get_u64be(fk + KEY_FTS_PREFIX) != seg)
      continue; /* no part of seg holds a term >= term */
    const uint8_t *p = (const uint8_t *)kv_iter_value(it, &vl), *end = p + vl;
    const char *tm;
    size_t tl;
    uint64_t nblk, first;
    const uint8_t *b, *bend, *blk;
    size_t bl;
    fts_term_info ti;
    int e = seg_part_begin(&p, end, &first) ? 1 : -1;
    while (e > 0 &&
           (e = seg_entry(&p, end, &tm, &tl, &ti, &nblk, &b, &bend)) > 0)
      if (tl == len && memcmp(tm, term, len) == 0) break;
    if (e < 0) rc = -1;
    if (e <= 0) continue;
    info->df += ti.df;
    info->cf += ti.cf;
    if (ti.max_tf > info->max_tf) info->max_tf = ti.max_tf;
    if (ti.min_dl < info->min_dl) info->min_dl = ti.min_dl;
    while (rc == 0 && (e = seg_block(&b, bend, &blk, &bl)) != 0) {
      if (e < 0) {
        rc = -1;
        break;
      }
      if (s->nsb + 2 > cap) {
        cap = cap ? cap * 2 : 16;
        size_t *n = realloc(s->soff, cap * sizeof *n);
        if (n == NULL) {
          rc = -2;
          break;
        }
        s->soff = n;
      }
      if (s->nsb == 0) s->soff[0] = 0;
      buf_add(&s->sbuf, blk, bl);
      s->soff[++s->nsb] = s->sbuf.len;
    }
  }
  if (rc == 0 && kv_iter_status(it, &db->err)) rc = -3;
  if (rc == 0 && s->sbuf.oom) rc = -2;
  if (rc == -1)
    err_set(&db->err, REMDB_CORRUPT, "full-text segment is malformed");
  else if (rc == -2)
    err_nomem(&db->err);
  return rc ? -1 : 0;
}

static const fts_block_stream_ops bs_ops = {bs_seek, bs_next, bs_close};

/* A cursor that skips the reader's dead documents (see "Tombstones"). */
typedef struct dcur {
  fts_cursor c;
  fts_cursor *in;
  const uint64_t *dead; /* ascending */
  size_t nd, di;
} dcur;

static bool dcur_dead(dcur *d, uint64_t doc) {
  while (d->di < d->nd && d->dead[d->di] < doc) d->di++;
  return d->di < d->nd && d->dead[d->di] == doc;
}

static uint64_t dcur_advance(fts_cursor *c, uint64_t target) {
  dcur *d = (dcur *)c;
  uint64_t doc = d->in->ops->advance(d->in, target);
  while (doc != FTS_END && dcur_dead(d, doc))
    doc = d->in->ops->advance(d->in, doc + 1);
  c->doc = doc;
  c->err = d->in->err;
  return doc;
}

static uint64_t dcur_block_max(fts_cursor *c, uint64_t target,
                               const fts_impact **imp, uint32_t *nimp) {
  dcur *d = (dcur *)c;
  uint64_t r = d->in->ops->block_max(d->in, target, imp, nimp);
  c->err = d->in->err;
  return r;
}

static uint32_t dcur_tf(fts_cursor *c) {
  fts_cursor *in = ((dcur *)c)->in;
  return in->ops->tf(in);
}
static uint32_t dcur_dl(fts_cursor *c) {
  fts_cursor *in = ((dcur *)c)->in;
  return in->ops->dl(in);
}
static const uint32_t *dcur_positions(fts_cursor *c) {
  fts_cursor *in = ((dcur *)c)->in;
  return in->ops->positions(in);
}
static void dcur_close(fts_cursor *c) {
  dcur *d = (dcur *)c;
  d->in->ops->close(d->in);
  free(d);
}

static const fts_cursor_ops dcur_ops = {dcur_advance, dcur_block_max, dcur_tf,
                                        dcur_dl, dcur_positions, dcur_close};

/* in, skipping dead[0..nd); NULL when out of memory (in closed). */
static fts_cursor *dcur_new(fts_cursor *in, const uint64_t *dead, size_t nd) {
  dcur *d = calloc(1, sizeof *d);
  if (d == NULL) {
    in->ops->close(in);
    return NULL;
  }
  d->c.ops = &dcur_ops;
  d->c.count = in->count;
  d->in = in;
  d->dead = dead;
  d->nd = nd;
  d->c.doc = in->doc;
  d->c.err = in->err;
  if (in->doc != FTS_END && dcur_dead(d, in->doc))
    dcur_advance(&d->c, in->doc + 1);
  return &d->c;
}

static int src_open(void *ctx, const char *term, size_t len,
                    fts_term_info *info, fts_cursor **out,
                    fts_counters *count) {
  fts_reader *r = ctx;
  remdb *db = r->db;
  *out = NULL;
  if (len > FTS_MAX_TERM) return 0;
  /* the term's statistics: its entry's (the blocks') and the segments' */
  unsigned char k[KEY_FTS_MAX];
  size_t kl = key_fts_term(k, r->tid, r->tbl, term, len);
  kv_val v;
  *info = (fts_term_info){0, 0, 0, UINT32_MAX};
  int rc = kv_get(db->st->kv, r->snap, KV_INDEX, k, kl, &v, &db->err);
  if (rc == REMDB_OK) {
    rc = fts_term_decode(v.data, v.len, info);
    kv_val_free(&v);
    if (rc) {
      err_set(&db->err, REMDB_CORRUPT, "full-text term entry is malformed");
      return -1;
    }
  } else if (rc != REMDB_NOTFOUND) {
    return -1;
  }
  if (info->df == 0 && r->segs.n == 0) return 0;
  bstream *s = calloc(1, sizeof *s);
  if (s == NULL) return -1;
  buf_init(&s->sbuf);
  int lrc = r->segs.n ? bs_load_segments(r, s, term, len, info) : 0;
  if (lrc == 0 && r->ndead) { /* less the dead documents' postings */
    unsigned char xk[KEY_FTS_MAX];
    size_t xl = key_fts_xterm(xk, r->tid, r->tbl, term, len);
    fts_term_info xi;
    lrc = kv_get(db->st->kv, r->snap, KV_INDEX, xk, xl, &v, &db->err);
    if (lrc == REMDB_OK) {
      lrc = fts_term_decode(v.data, v.len, &xi) || xi.df > info->df ||
                    xi.cf > info->cf
                ? (err_set(&db->err, REMDB_CORRUPT,
                           "full-text term entry is malformed"), -1)
                : 0;
      kv_val_free(&v);
      if (lrc == 0) {
        info->df -= xi.df;
        info->cf -= xi.cf;
      }
    } else {
      lrc = lrc == REMDB_NOTFOUND ? 0 : -1;
    }
  }
  if (lrc || info->df == 0) {
    buf_free(&s->sbuf);
    free(s->soff);
    free(s);
    return lrc ? -1 : 0;
  }
  s->r = r;
  s->plen = key_fts_block(s->key, r->tid, r->tbl, term, len, 0) - 4;
  unsigned char hi[KEY_FTS_MAX];
  memcpy(hi, s->key, s->plen);
  hi[s->plen - 1] = 1; /* past 'B' TERM 0x00 ... */
  if (kv_iter_new(db->st->kv, r->snap, KV_INDEX, s->key, s->plen, hi, s->plen,
                  &s->it, &db->err)) {
    buf_free(&s->sbuf);
    free(s->soff);
    free(s);
    return -1;
  }
  *out = fts_block_cursor(&bs_ops, s, count);
  if (*out && r->ndead) *out = dcur_new(*out, r->dead, r->ndead);
  return *out ? 0 : -1;
}

static int term_cmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  return c ? c : (al > bl) - (al < bl);
}

/* Each term of table tbl at snap that starts with prefix, ascending and
** once, to cb: the terms of the blocks (their 'T' entry counts a
** document) and of the segments segs.  0, cb's non-zero, or -1 (the error
** in db). */
static int walk_terms(remdb *db, const kv_snap_t *snap, uint32_t tid,
                      uint32_t tbl, const segset *segs, const char *prefix,
                      size_t len, fts_term_fn cb, void *arg) {
  unsigned char lo[KEY_FTS_MAX], hi[KEY_FTS_MAX + 1];
  size_t kl = key_fts_term(lo, tid, tbl, prefix, len);
  size_t hl = kv_prefix_end(lo, kl, hi);
  kv_iter_t *it;
  if (kv_iter_new(db->st->kv, snap, KV_INDEX, lo, kl, hl ? hi : NULL, hl, &it,
                  &db->err))
    return -1;
  kv_iter_first(it);
  segrd *r = segs->n ? calloc(segs->n, sizeof *r) : NULL;
  int rc = segs->n && r == NULL ? (err_nomem(&db->err), -1) : 0;
  for (uint32_t i = 0; i < segs->n && rc == 0; i++) {
    unsigned char sk[KEY_FTS_SEG_MAX], sh[KEY_FTS_SEG_MAX];
    size_t sl = key_fts_seg(sk, tid, tbl, segs->no[i], prefix, len);
    size_t shl = key_fts_seg(sh, tid, tbl, segs->no[i] + 1, "", 0);
    r[i].first = UINT64_MAX;
    if (kv_iter_new(db->st->kv, snap, KV_INDEX, sk, sl, sh, shl, &r[i].it,
                    &db->err)) {
      rc = -1;
      break;
    }
    kv_iter_first(r[i].it); /* the part whose last term is >= prefix */
    int e = segrd_next(&r[i]);
    while (e == 0 && r[i].tm && term_cmp(r[i].tm, r[i].tl, prefix, len) < 0)
      e = segrd_next(&r[i]);
    if (e) rc = (err_set(&db->err, REMDB_CORRUPT,
                         "full-text segment is malformed"), -1);
  }
  while (rc == 0) {
    const char *tm = NULL; /* the least term of the heads */
    size_t tl = 0;
    if (kv_iter_valid(it)) {
      size_t n;
      tm = kv_iter_key(it, &n) + KEY_FTS_PREFIX;
      tl = n - KEY_FTS_PREFIX;
    }
    for (uint32_t i = 0; i < segs->n; i++)
      if (r[i].tm && (tm == NULL || term_cmp(r[i].tm, r[i].tl, tm, tl) < 0)) {
        tm = r[i].tm;
        tl = r[i].tl;
      }
    if (tm == NULL || tl < len || memcmp(tm, prefix, len) != 0) break;
    char term[FTS_MAX_TERM + 1];
    memcpy(term, tm, tl);
    bool live = false;
    if (kv_iter_valid(it)) {
      size_t n, vl;
      const char *k = kv_iter_key(it, &n);
      if (term_cmp(k + KEY_FTS_PREFIX, n - KEY_FTS_PREFIX, term, tl) == 0) {
        fts_term_info ti;
        const char *v = kv_iter_value(it, &vl);
        live = fts_term_decode(v, vl, &ti) != 0 || ti.df != 0;
        kv_iter_next(it);
      }
    }
    for (uint32_t i = 0; i < segs->n && rc == 0; i++)
      if (r[i].tm && term_cmp(r[i].tm, r[i].tl, term, tl) == 0) {
        live = true;
        if (segrd_next(&r[i]))
          rc = (err_set(&db->err, REMDB_CORRUPT,
                        "full-text segment is malformed"), -1);
      }
    if (rc == 0 && live) rc = cb(arg, term, tl);
  }
  if (rc == 0 && kv_iter_status(it, &db->err)) rc = -1;
  kv_iter_free(it);
  for (uint32_t i = 0; r && i < segs->n; i++) {
    if (rc == 0 && r[i].it && kv_iter_status(r[i].it, &db->err)) rc = -1;
    kv_iter_free(r[i].it);
  }
  free(r);
  return rc;
}

static int src_prefix(void *ctx, const char *prefix, size_t len,
                      fts_term_fn cb, void *arg) {
  fts_reader *r = ctx;
  if (len > FTS_MAX_TERM) return 0;
  return walk_terms(r->db, r->snap, r->tid, r->tbl, &r->segs, prefix, len, cb,
                    arg);
}

static const fts_source_ops src_ops = {src_open, src_prefix};

/* The table's dead documents ('K') at snap, ascending, into *out (NULL
** when none). */
static int load_dead(remdb *db, const kv_snap_t *snap, uint32_t tbl,
                     uint64_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  kv_iter_t *it = NULL;
  int rc = kind_iter(db, snap, tbl, 'K', &it);
  size_t cap = 0;
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl;
    const char *k = kv_iter_key(it, &kl);
    if (kl != KEY_FTS_DOC_LEN) continue; /* (verify reports it) */
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      uint64_t *d = realloc(*out, cap * sizeof *d);
      if (d == NULL) {
        rc = err_nomem(&db->err);
        break;
      }
      *out = d;
    }
    (*out)[(*n)++] = get_u64be((const unsigned char *)k + KEY_FTS_PREFIX);
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

void ftsr_close(fts_reader *r) {
  if (r == NULL) return;
  kv_iter_free(r->git);
  free(r->dead);
  fts_analyzer_free(r->an);
  for (size_t i = 0; i < r->nnames; i++) free(r->names[i]);
  free(r->names);
  free(r);
}

int ftsr_open(remdb *db, const snap_t *snap, const sch_table *t,
              fts_reader **out) {
  *out = NULL;
  const sch_fulltext *f = &t->fulltext;
  if (f->nfields == 0)
    return err_set(&db->err, REMDB_NOTFOUND,
                   "table %s has no full-text index (declare \"fulltext\" "
                   "in its schema)",
                   t->name);
  const kv_snap_t *ks = snap ? snap->kv : NULL;
  bool built = false;
  int rc = read_built(db, ks, t, &built);
  if (rc) return rc;
  if (!built) {
    const char *hint = core_rebuild_hint(db);
    return err_set(&db->err, REMDB_ERROR,
                   "table %s: its full-text index is not built (the "
                   "database predates it, or a rebuild has not finished): "
                   "run `remdb reindex %s`%s%s",
                   t->name, t->name, *hint ? "; " : "", hint);
  }
  fts_reader *r = calloc(1, sizeof *r);
  if (r == NULL) return err_nomem(&db->err);
  r->db = db;
  r->snap = ks;
  r->tid = db->tid;
  r->tbl = t->table_id;
  r->lblock = -1;
  r->eblock = -1;
  char err[256];
  r->an = make_analyzer(f, err, sizeof err);
  r->names = calloc(f->nfields, sizeof *r->names);
  if (r->an == NULL) {
    ftsr_close(r);
    return err_set(&db->err, REMDB_ERROR, "full-text analyzer: %s", err);
  }
  if (r->names == NULL) {
    ftsr_close(r);
    return err_nomem(&db->err);
  }
  for (; r->nnames < f->nfields; r->nnames++)
    if ((r->names[r->nnames] = strdup(f->names[r->nnames])) == NULL) {
      ftsr_close(r);
      return err_nomem(&db->err);
    }
  if ((rc = read_segs(db, ks, r->tid, r->tbl, &r->segs)) ||
      (r->segs.dead &&
       (rc = load_dead(db, ks, r->tbl, &r->dead, &r->ndead)))) {
    ftsr_close(r);
    return rc;
  }
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, r->tid, r->tbl, 'S');
  kv_val v;
  rc = kv_get(db->st->kv, ks, KV_INDEX, k, sizeof k, &v, &db->err);
  if (rc == REMDB_OK) {
    if (fts_stats_decode(v.data, v.len, &r->src.stats))
      rc = err_set(&db->err, REMDB_CORRUPT,
                   "table %s: full-text statistics are malformed", t->name);
    kv_val_free(&v);
  } else if (rc == REMDB_NOTFOUND) {
    rc = REMDB_OK;
  }
  if (rc) {
    ftsr_close(r);
    return rc;
  }
  r->src.ops = &src_ops;
  r->src.ctx = r;
  *out = r;
  return REMDB_OK;
}

const fts_source *ftsr_source(fts_reader *r) { return &r->src; }
fts_analyzer *ftsr_analyzer(fts_reader *r) { return r->an; }
const char *const *ftsr_fields(fts_reader *r, size_t *n) {
  *n = r->nnames;
  return (const char *const *)r->names;
}

int ftsr_id(fts_reader *r, uint64_t docno, uuid16_t *id) {
  remdb *db = r->db;
  /* live at the snapshot: its length slot is set */
  int64_t blk = (int64_t)(docno / FTS_BLOCK_SPAN);
  if (blk != r->lblock) {
    unsigned char lk[KEY_FTS_LEN_LEN];
    key_fts_lengths(lk, r->tid, r->tbl, docno);
    kv_val v;
    fts_lengths_clear(&r->lens);
    int rc = kv_get(db->st->kv, r->snap, KV_INDEX, lk, sizeof lk, &v, &db->err);
    if (rc == REMDB_OK) {
      rc = fts_lengths_decode(v.data, v.len, &r->lens)
               ? err_set(&db->err, REMDB_CORRUPT,
                         "full-text lengths are malformed")
               : REMDB_OK;
      kv_val_free(&v);
    }
    if (rc && rc != REMDB_NOTFOUND) return rc;
    r->lblock = blk;
  }
  if (!fts_lengths_has(&r->lens, (unsigned)(docno % FTS_BLOCK_SPAN)))
    return err_set(&db->err, REMDB_NOTFOUND,
                   "no live document numbered %llu", (unsigned long long)docno);
  if ((int64_t)(docno / FTS_BLOCK_SPAN) != r->eblock) { /* its id range */
    unsigned char ek[KEY_FTS_LEN_LEN];
    key_fts_ids(ek, r->tid, r->tbl, docno);
    kv_val v;
    memset(r->eid, 0, sizeof r->eid);
    int rc = kv_get(db->st->kv, r->snap, KV_INDEX, ek, sizeof ek, &v, &db->err);
    if (rc == REMDB_OK) {
      const uint8_t *p = (const uint8_t *)v.data;
      if (v.len % 17)
        rc = err_set(&db->err, REMDB_CORRUPT, "full-text ids are malformed");
      for (size_t i = 0; rc == REMDB_OK && i < v.len; i += 17)
        if (p[i] < FTS_BLOCK_SPAN) memcpy(r->eid[p[i]], p + i + 1, 16);
      kv_val_free(&v);
    }
    if (rc && rc != REMDB_NOTFOUND) return rc;
    r->eblock = (int64_t)(docno / FTS_BLOCK_SPAN);
  }
  static const uint8_t none[16];
  const uint8_t *e = r->eid[docno % FTS_BLOCK_SPAN];
  if (memcmp(e, none, 16) != 0) {
    memcpy(id->b, e, 16);
    return REMDB_OK;
  }
  /* a version-3 database's key */
  unsigned char dk[KEY_FTS_DOC_LEN];
  key_fts_doc(dk, r->tid, r->tbl, docno);
  kv_val v;
  int rc = kv_get(db->st->kv, r->snap, KV_INDEX, dk, sizeof dk, &v, &db->err);
  if (rc == REMDB_NOTFOUND)
    return err_set(&db->err, REMDB_NOTFOUND,
                   "no live document numbered %llu", (unsigned long long)docno);
  if (rc) return rc;
  if (v.len == 16) memcpy(id->b, v.data, 16);
  else rc = err_set(&db->err, REMDB_CORRUPT, "full-text document key is malformed");
  kv_val_free(&v);
  return rc;
}

int ftsr_docno(fts_reader *r, const uuid16_t *id, uint64_t *docno) {
  remdb *db = r->db;
  unsigned char ik[KEY_FTS_ID_LEN];
  key_fts_id(ik, r->tid, r->tbl, id->b);
  kv_val v;
  int rc = kv_get(db->st->kv, r->snap, KV_INDEX, ik, sizeof ik, &v, &db->err);
  if (rc == REMDB_NOTFOUND) {
    char ids[REMDB_ID_LEN + 1];
    uuid_format(id, ids);
    return err_set(&db->err, REMDB_NOTFOUND,
                   "entity %s has no full-text document", ids);
  }
  if (rc) return rc;
  if (v.len == 8) *docno = get_u64be((const unsigned char *)v.data);
  else rc = err_set(&db->err, REMDB_CORRUPT, "full-text id key is malformed");
  kv_val_free(&v);
  return rc;
}

/* ---- verify ------------------------------------------------------------------ */

/* What the rows say one term's postings must be. */
typedef struct vterm {
  uint64_t df, cf, fp; /* fp: sum of the postings' fingerprints */
  uint32_t max_tf, min_dl;
  uint64_t got_n, got_fp; /* what the blocks and segments hold */
  bool entry;             /* its term entry was seen */
  fts_term_info t;        /* the entry ('T': the blocks') */
  uint64_t seg_df, seg_cf; /* the segments' entries, summed */
  uint32_t seg_max_tf, seg_min_dl;
  uint64_t dead_df, dead_cf; /* the dead documents' postings in them */
  fts_term_info xt;          /* its 'X' entry */
  /* a merge under way, its terms done: the inputs' postings it keeps and
  ** drops, the output's postings, the 'Y' entry (the dropped share) */
  uint64_t in_df, in_cf, y_df, y_cf, out_df, out_cf;
  fts_term_info yt;
} vterm;

typedef struct vdoc {
  uint64_t docno;
  uuid16_t id;
  uint32_t dl;
  bool live, seen_d, seen_l;
} vdoc;

typedef struct vctx {
  remdb *db;
  const sch_table *t;
  core_report_fn report;
  void *rctx;
  char msg[600];
} vctx;

static void vreport(vctx *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void vreport(vctx *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(v->msg, sizeof v->msg, "%s: full-text index: ", v->t->name);
  vsnprintf(v->msg + n, sizeof v->msg - (size_t)n, fmt, ap);
  va_end(ap);
  v->report(v->rctx, v->msg);
}

static uint64_t fingerprint(const char *term, size_t len, uint64_t doc,
                            uint32_t tf, uint32_t dl, const uint32_t *pos) {
  uint64_t h = hash_bytes(term, len, 0xcbf29ce484222325ull);
  h = hash_bytes(&doc, sizeof doc, h);
  h = hash_bytes(&tf, sizeof tf, h);
  h = hash_bytes(&dl, sizeof dl, h);
  if (pos) h = hash_bytes(pos, tf * sizeof *pos, h);
  h ^= h >> 31;
  return h * 0x9e3779b97f4a7c15ull;
}

static int vdoc_cmp(const void *a, const void *b) {
  uint64_t x = ((const vdoc *)a)->docno, y = ((const vdoc *)b)->docno;
  return x < y ? -1 : x > y;
}

static vdoc *vdoc_find(vdoc *d, size_t n, uint64_t docno) {
  vdoc key = {.docno = docno};
  return n ? bsearch(&key, d, n, sizeof *d, vdoc_cmp) : NULL;
}

/* Iterate t's keys of one kind at snap. */
static int kind_iter(remdb *db, const kv_snap_t *snap, uint32_t tbl, char kind,
                     kv_iter_t **it) {
  unsigned char lo[KEY_FTS_PREFIX], hi[KEY_FTS_PREFIX];
  key_fts(lo, db->tid, tbl, kind);
  key_fts(hi, db->tid, tbl, (char)(kind + 1));
  int rc = kv_iter_new(db->st->kv, snap, KV_INDEX, lo, sizeof lo, hi,
                       sizeof hi, it, &db->err);
  if (rc == REMDB_OK) kv_iter_first(*it);
  return rc;
}

typedef struct vstate_fts {
  smap terms;
  char **names;
  vterm *vt;
  size_t cap;
  vdoc *docs;
  size_t ndocs, capdocs;
} vstate_fts;

static size_t vterm_get(vstate_fts *s, const char *tm, size_t len, bool add) {
  size_t i = smap_find(&s->terms, tm, len, false, NULL);
  if (i != SIZE_MAX || !add) return i;
  if (s->terms.n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    char **nm = realloc(s->names, cap * sizeof *nm);
    if (!nm) return SIZE_MAX;
    s->names = nm;
    vterm *v = realloc(s->vt, cap * sizeof *v);
    if (!v) return SIZE_MAX;
    s->vt = v;
    s->cap = cap;
  }
  char *copy = malloc(len + 1);
  if (!copy) return SIZE_MAX;
  memcpy(copy, tm, len);
  copy[len] = 0;
  i = smap_find(&s->terms, copy, len, true, NULL);
  if (i == SIZE_MAX) {
    free(copy);
    return i;
  }
  s->names[i] = copy;
  s->vt[i] = (vterm){.min_dl = UINT32_MAX, .seg_min_dl = UINT32_MAX,
                     .t = {0, 0, 0, UINT32_MAX}};
  return i;
}

static void vstate_free(vstate_fts *s) {
  for (size_t i = 0; i < s->terms.n; i++) free(s->names[i]);
  smap_free(&s->terms);
  free(s->names);
  free(s->vt);
  free(s->docs);
}

/* Pass 1: the rows, their numbers and what their postings must be. */
static int verify_rows(vctx *v, const kv_snap_t *snap, fts_analyzer *a,
                       vstate_fts *s, uint64_t *live, uint64_t *tokens) {
  remdb *db = v->db;
  const sch_table *t = v->t;
  unsigned char lo[KEY_TABLE_PREFIX], hi[KEY_TABLE_PREFIX];
  key_table(lo, db->tid, t->table_id);
  key_table(hi, db->tid, t->table_id + 1);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, snap, KV_ENTITY, lo, sizeof lo, hi,
                       sizeof hi, &it, &db->err);
  if (rc) return rc;
  fts_doc *d = fts_doc_new();
  if (!d) rc = err_nomem(&db->err);
  for (kv_iter_first(it); rc == REMDB_OK && kv_iter_valid(it);
       kv_iter_next(it)) {
    size_t kl, vl;
    const char *k = kv_iter_key(it, &kl);
    const char *val = kv_iter_value(it, &vl);
    if (kl != KEY_ENTITY_LEN) continue;
    uuid16_t id;
    memcpy(id.b, k + 8, 16);
    char ids[REMDB_ID_LEN + 1];
    uuid_format(&id, ids);
    rec_view rv;
    err_t e;
    if (rec_open(&rv, val, vl, &e)) continue; /* verify reports it */
    unsigned char ik[KEY_FTS_ID_LEN];
    key_fts_id(ik, db->tid, t->table_id, id.b);
    kv_val iv;
    rc = kv_get(db->st->kv, snap, KV_INDEX, ik, sizeof ik, &iv, &db->err);
    if (rc == REMDB_NOTFOUND) {
      rc = REMDB_OK;
      vreport(v, "entity %s has no document number", ids);
      continue;
    }
    if (rc) break;
    bool okv = iv.len == 8;
    uint64_t docno = okv ? get_u64be((const unsigned char *)iv.data) : 0;
    kv_val_free(&iv);
    if (!okv) {
      vreport(v, "the document number of entity %s is malformed", ids);
      continue;
    }
    if (s->ndocs == s->capdocs) {
      size_t cap = s->capdocs ? s->capdocs * 2 : 256;
      vdoc *nd = realloc(s->docs, cap * sizeof *nd);
      if (!nd) {
        rc = err_nomem(&db->err);
        break;
      }
      s->docs = nd;
      s->capdocs = cap;
    }
    vdoc *vd = &s->docs[s->ndocs++];
    *vd = (vdoc){docno, id, 0, !rec_is_deleted(&rv), false, false};
    if (!vd->live) continue;
    if ((rc = analyse(db, a, &t->fulltext, &rv, d))) break;
    vd->dl = fts_doc_length(d);
    (*live)++;
    *tokens += vd->dl;
    long nt = fts_doc_nterms(d);
    for (long j = 0; j < nt && rc == REMDB_OK; j++) {
      const char *tm;
      size_t len;
      const uint32_t *pos;
      uint32_t npos;
      fts_doc_term(d, (size_t)j, &tm, &len, &pos, &npos);
      size_t i = vterm_get(s, tm, len, true);
      if (i == SIZE_MAX) {
        rc = err_nomem(&db->err);
        break;
      }
      vterm *x = &s->vt[i];
      x->df++;
      x->cf += npos;
      if (npos > x->max_tf) x->max_tf = npos;
      if (vd->dl < x->min_dl) x->min_dl = vd->dl;
      x->fp += fingerprint(tm, len, docno, npos, vd->dl, pos);
    }
  }
  if (rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  fts_doc_free(d);
  if (rc == REMDB_OK) {
    if (s->ndocs) qsort(s->docs, s->ndocs, sizeof *s->docs, vdoc_cmp);
    for (size_t i = 1; i < s->ndocs; i++)
      if (s->docs[i].docno == s->docs[i - 1].docno) {
        char a1[REMDB_ID_LEN + 1], a2[REMDB_ID_LEN + 1];
        uuid_format(&s->docs[i].id, a1);
        uuid_format(&s->docs[i - 1].id, a2);
        vreport(v, "entities %s and %s have the same document number %llu",
                a2, a1, (unsigned long long)s->docs[i].docno);
      }
  }
  return rc;
}

/* Passes over the stored keys: numbers, lengths, blocks, term entries. */
static int verify_keys(vctx *v, const kv_snap_t *snap, vstate_fts *s,
                       uint64_t live, uint64_t tokens) {
  remdb *db = v->db;
  uint32_t tbl = v->t->table_id;
  kv_iter_t *it = NULL;
  size_t kl, vl;
  const char *k, *val;
  /* 'D': number -> id */
  int rc = kind_iter(db, snap, tbl, 'D', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    uint64_t docno = kl == KEY_FTS_DOC_LEN
                         ? get_u64be((const unsigned char *)k + KEY_FTS_PREFIX)
                         : 0;
    vdoc *vd = kl == KEY_FTS_DOC_LEN ? vdoc_find(s->docs, s->ndocs, docno) : NULL;
    if (vd == NULL || vl != 16 || memcmp(val, vd->id.b, 16) != 0)
      vreport(v, "document number %llu names no entity of the table that "
              "has it", (unsigned long long)docno);
    else
      vd->seen_d = true;
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  /* 'E': numbers -> ids by range, the last record of a slot wins */
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'E', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    if (kl != KEY_FTS_LEN_LEN || vl % 17) {
      vreport(v, "an id range is malformed");
      continue;
    }
    uint64_t base =
        (uint64_t)get_u32be((const unsigned char *)k + KEY_FTS_PREFIX) *
        FTS_BLOCK_SPAN;
    static const uint8_t none[16];
    const uint8_t *last[FTS_BLOCK_SPAN] = {0};
    for (size_t i = 0; i < vl; i += 17) {
      uint8_t sl = (uint8_t)val[i];
      if (sl >= FTS_BLOCK_SPAN) vreport(v, "an id range is malformed");
      else last[sl] = (const uint8_t *)val + i + 1;
    }
    for (unsigned sl = 0; sl < FTS_BLOCK_SPAN; sl++) {
      if (last[sl] == NULL || memcmp(last[sl], none, 16) == 0) continue;
      vdoc *vd = vdoc_find(s->docs, s->ndocs, base + sl);
      if (vd == NULL || memcmp(last[sl], vd->id.b, 16) != 0 || vd->seen_d)
        vreport(v, "document number %llu names no entity of the table that "
                "has it", (unsigned long long)(base + sl));
      else
        vd->seen_d = true;
    }
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  for (size_t i = 0; rc == REMDB_OK && i < s->ndocs; i++)
    if (!s->docs[i].seen_d)
      vreport(v, "document number %llu has no key back to its entity",
              (unsigned long long)s->docs[i].docno);
  /* 'I': every one belongs to an entity (those were looked up) */
  uint64_t nids = 0;
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'I', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) nids++;
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  if (rc == REMDB_OK && nids != s->ndocs)
    vreport(v, "%llu id keys, but %zu entities are numbered",
            (unsigned long long)nids, s->ndocs);
  /* 'L': the lengths of exactly the live documents */
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'L', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    fts_lengths l;
    if (kl != KEY_FTS_LEN_LEN || fts_lengths_decode(val, vl, &l)) {
      vreport(v, "a length block is malformed");
      continue;
    }
    uint64_t base =
        (uint64_t)get_u32be((const unsigned char *)k + KEY_FTS_PREFIX) *
        FTS_BLOCK_SPAN;
    for (unsigned slot = 0; slot < FTS_BLOCK_SPAN; slot++) {
      if (!fts_lengths_has(&l, slot)) continue;
      vdoc *vd = vdoc_find(s->docs, s->ndocs, base + slot);
      if (vd == NULL || !vd->live)
        vreport(v, "document %llu has a length but is not live",
                (unsigned long long)(base + slot));
      else if (l.len[slot] != vd->dl)
        vreport(v, "document %llu has length %u, its entity %u tokens",
                (unsigned long long)(base + slot), l.len[slot], vd->dl);
      if (vd) vd->seen_l = true;
    }
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  for (size_t i = 0; rc == REMDB_OK && i < s->ndocs; i++)
    if (s->docs[i].live && !s->docs[i].seen_l) {
      char ids[REMDB_ID_LEN + 1];
      uuid_format(&s->docs[i].id, ids);
      vreport(v, "live entity %s (document %llu) has no length", ids,
              (unsigned long long)s->docs[i].docno);
    }
  /* 'B': every posting is one a live row makes, and none is missing */
  fts_block_dec dec;
  memset(&dec, 0, sizeof dec);
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'B', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    fts_block_info info;
    if (kl < KEY_FTS_PREFIX + 5 || k[kl - 5] != 0 ||
        fts_block_header(val, vl, &info) ||
        fts_block_decode(&info, &dec, true)) {
      vreport(v, "a posting block is malformed");
      continue;
    }
    const char *tm = k + KEY_FTS_PREFIX;
    size_t len = kl - KEY_FTS_PREFIX - 5;
    uint64_t range = get_u32be((const unsigned char *)k + kl - 4);
    if (dec.n == 0) continue; /* emptied by deletes: allowed */
    size_t i = vterm_get(s, tm, len, false);
    if (i == SIZE_MAX) {
      vreport(v, "term \"%.*s\" has %u postings, but no live entity holds "
              "it", (int)len, tm, dec.n);
      continue;
    }
    for (uint32_t j = 0; j < dec.n; j++) {
      if (dec.doc[j] / FTS_BLOCK_SPAN != range)
        vreport(v, "term \"%.*s\": document %llu is in the block of another "
                "range", (int)len, tm, (unsigned long long)dec.doc[j]);
      s->vt[i].got_n++;
      s->vt[i].got_fp += fingerprint(tm, len, dec.doc[j], dec.tf[j], dec.dl[j],
                                     dec.pos + dec.posoff[j]);
    }
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  /* 'G': the unmerged segments' postings count as the blocks' do */
  segset *ws = calloc(1, sizeof *ws);
  if (ws == NULL) rc = err_nomem(&db->err);
  if (rc == REMDB_OK) {
    rc = read_segs(db, snap, db->tid, tbl, ws);
    if (rc == REMDB_CORRUPT) {
      vreport(v, "its segment state is malformed");
      rc = REMDB_OK;
    }
  }
  /* 'Q': the merges under way (see "Incremental merges") */
  mstate *vms = NULL;
  uint32_t nvm = 0;
  if (rc == REMDB_OK) {
    rc = read_merges(db, snap, db->tid, tbl, &vms, &nvm);
    if (rc == REMDB_CORRUPT) {
      vreport(v, "its merge state is malformed");
      rc = REMDB_OK;
    }
  }
  gcset vgc; /* 'V': retired segments */
  memset(&vgc, 0, sizeof vgc);
  if (rc == REMDB_OK) {
    rc = read_gc(db, snap, db->tid, tbl, &vgc);
    if (rc == REMDB_CORRUPT) {
      vreport(v, "its retired segments are malformed");
      rc = REMDB_OK;
    }
    for (uint32_t gi = 0; gi < vgc.n; gi++)
      for (uint32_t wi = 0; wi < ws->n; wi++)
        if (ws->no[wi] == vgc.no[gi])
          vreport(v, "segment %llu is retired, but still listed",
                  (unsigned long long)vgc.no[gi]);
  }
  /* 'K': dead documents, each in a segment, its entity not live */
  uint64_t *dead = NULL;
  size_t nd = 0;
  if (rc == REMDB_OK) rc = load_dead(db, snap, tbl, &dead, &nd);
  if (rc == REMDB_OK && nd != ws->dead)
    vreport(v, "%zu tombstones, but the segment state counts %llu", nd,
            (unsigned long long)ws->dead);
  for (size_t i = 0; rc == REMDB_OK && i < nd; i++) {
    vdoc *vd = vdoc_find(s->docs, s->ndocs, dead[i]);
    if ((vd && vd->live) || dead[i] < ws->m || ws->n == 0)
      vreport(v, "document %llu is marked dead, but is live or in no "
              "segment", (unsigned long long)dead[i]);
  }
  /* the merges under way: each one's inputs a run of the list (no
  ** segment in two), its output not in it; 'R' (the documents one drops):
  ** ascending, each dead in its inputs */
  uint64_t *mdead = NULL; /* every merge's, in order */
  size_t nmd = 0, capmd = 0;
  int32_t *is_in = NULL; /* per listed segment: the merge it is an input of */
  if (rc == REMDB_OK && ws->n &&
      (is_in = malloc(ws->n * sizeof *is_in)) == NULL)
    rc = err_nomem(&db->err);
  for (uint32_t i = 0; is_in && i < ws->n; i++) is_in[i] = -1;
  for (uint32_t mi = 0; rc == REMDB_OK && mi < nvm; mi++) {
    const mstate *m = &vms[mi];
    uint32_t a = 0;
    while (a < ws->n && ws->no[a] != m->in[0]) a++;
    bool run = a + m->n <= ws->n;
    for (uint32_t i = 0; run && i < m->n; i++)
      run = ws->no[a + i] == m->in[i] && is_in[a + i] < 0;
    for (uint32_t i = 0; run && i < m->n; i++) is_in[a + i] = (int32_t)mi;
    if (!run)
      vreport(v, "the inputs of its merge %u are not a run of its segments "
              "(or another merge's)", (unsigned)m->slot);
    for (uint32_t i = 0; i < ws->n; i++)
      if (ws->no[i] == m->out)
        vreport(v, "its merge's output %llu is listed before the merge ends",
                (unsigned long long)m->out);
    if (m->out >= ws->next)
      vreport(v, "its merge's output %llu is not below the next segment "
              "number %llu", (unsigned long long)m->out,
              (unsigned long long)ws->next);
  }
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'R', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    const mstate *m = NULL;
    for (uint32_t mi = 0; kl == KEY_FTS_SLOT_LEN && mi < nvm; mi++)
      if (vms[mi].slot == (uint8_t)k[KEY_FTS_PREFIX]) m = &vms[mi];
    if (m == NULL || vl % 8) {
      vreport(v, "%zu documents are to be dropped by a merge, but no such "
              "merge is under way (or the list is malformed)", vl / 8);
      continue;
    }
    if (nmd + vl / 8 > capmd) {
      capmd = (nmd + vl / 8) * 2;
      uint64_t *nm = realloc(mdead, capmd * sizeof *nm);
      if (nm == NULL) {
        rc = err_nomem(&db->err);
        break;
      }
      mdead = nm;
    }
    for (size_t i = 0; i < vl / 8; i++) {
      uint64_t dn = get_u64be((const unsigned char *)val + 8 * i);
      if ((i && dn <= mdead[nmd - 1]) || dn < m->first ||
          !bsearch(&dn, dead, nd, sizeof *dead, u64_cmp)) {
        vreport(v, "document %llu is to be dropped by a merge, but is not "
                "dead in its inputs (or out of order)",
                (unsigned long long)dn);
        break;
      }
      mdead[nmd++] = dn;
    }
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  if (nmd) qsort(mdead, nmd, sizeof *mdead, u64_cmp);
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'G', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    uint64_t seg = kl >= KEY_FTS_PREFIX + 8
                       ? get_u64be((const unsigned char *)k + KEY_FTS_PREFIX)
                       : UINT64_MAX;
    uint32_t wi = 0;
    while (wi < ws->n && ws->no[wi] != seg) wi++;
    bool retired = false;
    for (uint32_t gi = 0; wi == ws->n && gi < vgc.n; gi++)
      retired |= vgc.no[gi] == seg;
    if (retired) continue; /* (its parts being deleted) */
    const mstate *mo = NULL;
    for (uint32_t mi = 0; wi == ws->n && mi < nvm; mi++)
      if (vms[mi].out == seg) mo = &vms[mi];
    bool is_out = mo != NULL;
    if (is_out) {
      /* a merge's output under way, read by no reader: its parts are
      ** those of the terms done (their postings: the inputs' less 'R') */
      if (!mo->cur_set ||
          term_cmp(k + KEY_FTS_PREFIX + 8, kl - KEY_FTS_PREFIX - 8, mo->cur,
                   mo->cl) > 0) {
        vreport(v, "segment %llu (a merge's output) has a part past the "
                "merge's last term", (unsigned long long)seg);
        continue;
      }
    }
    if (wi == ws->n && !is_out) {
      vreport(v, "segment %llu is not one of the table's segments",
              (unsigned long long)seg);
      continue;
    }
    const uint8_t *p = (const uint8_t *)val, *end = p + vl, *b, *bend, *blk;
    const char *tm;
    size_t len, bl;
    uint64_t nblk, first;
    fts_term_info ti;
    int e = seg_part_begin(&p, end, &first) ? 1 : -1;
    if (e > 0 && first < ws->m)
      vreport(v, "segment %llu starts at document %llu, below %llu",
              (unsigned long long)seg, (unsigned long long)first,
              (unsigned long long)ws->m);
    while (e > 0 &&
           (e = seg_entry(&p, end, &tm, &len, &ti, &nblk, &b, &bend)) > 0) {
      /* (added: a dead document's term may be held by no live entity) */
      size_t i = vterm_get(s, tm, len, true);
      int eb;
      fts_term_info got = {0, 0, 0, UINT32_MAX}; /* what its blocks hold */
      /* an input's term the merge under way has done */
      const mstate *mi = wi < ws->n && is_in[wi] >= 0 ? &vms[is_in[wi]]
                                                       : NULL;
      bool done_in = mi && mi->cur_set &&
                     term_cmp(tm, len, mi->cur, mi->cl) <= 0;
      if (i != SIZE_MAX && !is_out) { /* its statistics count as its
                                       ** entry's do */
        vterm *x = &s->vt[i];
        x->seg_df += ti.df;
        x->seg_cf += ti.cf;
        if (ti.max_tf > x->seg_max_tf) x->seg_max_tf = ti.max_tf;
        if (ti.min_dl < x->seg_min_dl) x->seg_min_dl = ti.min_dl;
      }
      while ((eb = seg_block(&b, bend, &blk, &bl)) > 0) {
        fts_block_info info;
        if (fts_block_header(blk, bl, &info) ||
            fts_block_decode(&info, &dec, true)) {
          eb = -1;
          break;
        }
        if (i == SIZE_MAX) {
          vreport(v, "term \"%.*s\" has %u postings in segment %llu, but no "
                  "live entity holds it", (int)len, tm, dec.n,
                  (unsigned long long)seg);
          continue;
        }
        for (uint32_t j = 0; j < dec.n; j++) {
          got.df++;
          got.cf += dec.tf[j];
          if (dec.tf[j] > got.max_tf) got.max_tf = dec.tf[j];
          if (dec.dl[j] < got.min_dl) got.min_dl = dec.dl[j];
          if (dec.doc[j] < first)
            vreport(v, "term \"%.*s\": document %llu is in segment %llu, "
                    "below its first document %llu", (int)len, tm,
                    (unsigned long long)dec.doc[j], (unsigned long long)seg,
                    (unsigned long long)first);
          bool dropped = nmd && bsearch(&dec.doc[j], mdead, nmd,
                                        sizeof *mdead, u64_cmp);
          if (is_out) { /* (not read: counted apart) */
            if (dropped)
              vreport(v, "term \"%.*s\": document %llu, which the merge "
                      "drops, is in its output", (int)len, tm,
                      (unsigned long long)dec.doc[j]);
            s->vt[i].out_df++;
            s->vt[i].out_cf += dec.tf[j];
            continue;
          }
          if (done_in && dropped) {
            s->vt[i].y_df++;
            s->vt[i].y_cf += dec.tf[j];
          } else if (done_in) {
            s->vt[i].in_df++;
            s->vt[i].in_cf += dec.tf[j];
          }
          if (nd && bsearch(&dec.doc[j], dead, nd, sizeof *dead, u64_cmp)) {
            s->vt[i].dead_df++;
            s->vt[i].dead_cf += dec.tf[j];
            continue;
          }
          s->vt[i].got_n++;
          s->vt[i].got_fp += fingerprint(tm, len, dec.doc[j], dec.tf[j],
                                         dec.dl[j], dec.pos + dec.posoff[j]);
        }
      }
      if (eb < 0) {
        e = -1;
        break;
      }
      if (i != SIZE_MAX &&
          (got.df != ti.df || got.cf != ti.cf || got.max_tf > ti.max_tf ||
           got.min_dl < ti.min_dl))
        vreport(v, "term \"%.*s\": its entry in segment %llu counts %llu "
                "documents and %llu occurrences, its postings %llu and %llu "
                "(or the bounds do not hold)", (int)len, tm,
                (unsigned long long)seg, (unsigned long long)ti.df,
                (unsigned long long)ti.cf, (unsigned long long)got.df,
                (unsigned long long)got.cf);
    }
    if (e < 0) vreport(v, "segment %llu is malformed", (unsigned long long)seg);
  }
  fts_block_dec_free(&dec);
  free(ws);
  free(vgc.no);
  free(dead);
  free(mdead);
  free(is_in);
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  for (size_t i = 0; rc == REMDB_OK && i < s->terms.n; i++) {
    vterm *x = &s->vt[i];
    if (x->got_n != x->df || x->got_fp != x->fp)
      vreport(v, "term \"%s\": the postings (%llu) do not match the entities "
              "(%llu documents hold it)",
              s->names[i], (unsigned long long)x->got_n,
              (unsigned long long)x->df);
  }
  /* 'T': document and occurrence counts, and valid bounds */
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'T', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    fts_term_info ti;
    const char *tm = k + KEY_FTS_PREFIX;
    int len = (int)(kl - KEY_FTS_PREFIX);
    if (fts_term_decode(val, vl, &ti)) {
      vreport(v, "the entry of term \"%.*s\" is malformed", len, tm);
      continue;
    }
    size_t i = vterm_get(s, tm, (size_t)len, false);
    if (i == SIZE_MAX) {
      if (ti.df != 0 || ti.cf != 0)
        vreport(v, "term \"%.*s\" has an entry (%llu documents) but no live "
                "entity holds it", len, tm, (unsigned long long)ti.df);
      continue;
    }
    s->vt[i].entry = true;
    s->vt[i].t = ti;
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  /* 'X': the dead documents' share of the segments' entries */
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'X', &it);
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    fts_term_info ti;
    const char *tm = k + KEY_FTS_PREFIX;
    int len = (int)(kl - KEY_FTS_PREFIX);
    size_t i = vterm_get(s, tm, (size_t)len, false);
    if (fts_term_decode(val, vl, &ti))
      vreport(v, "the dead entry of term \"%.*s\" is malformed", len, tm);
    else if (i != SIZE_MAX)
      s->vt[i].xt = ti;
    else if (ti.df || ti.cf)
      vreport(v, "term \"%.*s\" has a dead entry (%llu documents) but no "
              "posting in a segment", len, tm, (unsigned long long)ti.df);
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  /* 'Y': a merge's dropped share of 'X', only while it is under way */
  if (rc == REMDB_OK) rc = kind_iter(db, snap, tbl, 'Y', &it);
  int yleft = -1; /* a slot's entries without its merge */
  for (; rc == REMDB_OK && kv_iter_valid(it); kv_iter_next(it)) {
    k = kv_iter_key(it, &kl);
    val = kv_iter_value(it, &vl);
    bool on = false;
    for (uint32_t mi = 0; kl >= KEY_FTS_SLOT_LEN && mi < nvm; mi++)
      on |= vms[mi].slot == (uint8_t)k[KEY_FTS_PREFIX];
    if (!on) {
      if (yleft != (kl > KEY_FTS_PREFIX ? (uint8_t)k[KEY_FTS_PREFIX] : 256))
        vreport(v, "a merge's dropped entries are left, but no such merge "
                "is under way");
      yleft = kl > KEY_FTS_PREFIX ? (uint8_t)k[KEY_FTS_PREFIX] : 256;
      continue;
    }
    fts_term_info ti;
    const char *tm = k + KEY_FTS_SLOT_LEN;
    int len = (int)(kl - KEY_FTS_SLOT_LEN);
    size_t i = vterm_get(s, tm, (size_t)len, false);
    if (fts_term_decode(val, vl, &ti)) {
      vreport(v, "the dropped entry of term \"%.*s\" is malformed", len, tm);
    } else if (i != SIZE_MAX) {
      s->vt[i].yt.df += ti.df;
      s->vt[i].yt.cf += ti.cf;
    } else if (ti.df || ti.cf)
      vreport(v, "term \"%.*s\" has a dropped entry (%llu documents) but no "
              "posting in a segment", len, tm, (unsigned long long)ti.df);
  }
  if (it && rc == REMDB_OK) rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  it = NULL;
  for (size_t i = 0; rc == REMDB_OK && nvm && i < s->terms.n; i++) {
    vterm *x = &s->vt[i];
    if (x->out_df != x->in_df || x->out_cf != x->in_cf)
      vreport(v, "term \"%s\": the merge's output holds %llu postings (%llu "
              "occurrences), its inputs keep %llu (%llu)", s->names[i],
              (unsigned long long)x->out_df, (unsigned long long)x->out_cf,
              (unsigned long long)x->in_df, (unsigned long long)x->in_cf);
    if (x->yt.df != x->y_df || x->yt.cf != x->y_cf)
      vreport(v, "term \"%s\": its dropped entry counts %llu documents and "
              "%llu occurrences, the merge dropped %llu and %llu",
              s->names[i], (unsigned long long)x->yt.df,
              (unsigned long long)x->yt.cf, (unsigned long long)x->y_df,
              (unsigned long long)x->y_cf);
  }
  free(vms);
  /* the term's statistics: its entry's (the blocks') and the segments' */
  for (size_t i = 0; rc == REMDB_OK && i < s->terms.n; i++) {
    vterm *x = &s->vt[i];
    uint64_t df = x->t.df + x->seg_df - x->xt.df,
             cf = x->t.cf + x->seg_cf - x->xt.cf;
    if (x->xt.df != x->dead_df || x->xt.cf != x->dead_cf)
      vreport(v, "term \"%s\": its dead entry counts %llu documents and "
              "%llu occurrences, the dead postings %llu and %llu",
              s->names[i], (unsigned long long)x->xt.df,
              (unsigned long long)x->xt.cf, (unsigned long long)x->dead_df,
              (unsigned long long)x->dead_cf);
    uint32_t mt = x->t.max_tf > x->seg_max_tf ? x->t.max_tf : x->seg_max_tf;
    uint32_t md = x->t.min_dl < x->seg_min_dl ? x->t.min_dl : x->seg_min_dl;
    if (!x->entry && x->seg_df == 0)
      vreport(v, "term \"%s\" has no entry", s->names[i]);
    else if (df != x->df || cf != x->cf)
      vreport(v, "term \"%s\": its entries count %llu documents and %llu "
              "occurrences, the entities %llu and %llu", s->names[i],
              (unsigned long long)df, (unsigned long long)cf,
              (unsigned long long)x->df, (unsigned long long)x->cf);
    else if (mt < x->max_tf || md > x->min_dl)
      vreport(v, "term \"%s\": its entries' bounds do not hold",
              s->names[i]);
  }
  /* 'S' and 'N' */
  if (rc == REMDB_OK) {
    unsigned char sk[KEY_FTS_PREFIX];
    key_fts(sk, db->tid, tbl, 'S');
    kv_val sv;
    fts_table_stats st = {0, 0};
    int g = kv_get(db->st->kv, snap, KV_INDEX, sk, sizeof sk, &sv, &db->err);
    if (g == REMDB_OK) {
      if (fts_stats_decode(sv.data, sv.len, &st))
        vreport(v, "the statistics are malformed");
      kv_val_free(&sv);
    } else if (g != REMDB_NOTFOUND) {
      rc = g;
    }
    if (rc == REMDB_OK && (st.docs != live || st.tokens != tokens))
      vreport(v, "the statistics count %llu documents and %llu tokens, the "
              "entities %llu and %llu", (unsigned long long)st.docs,
              (unsigned long long)st.tokens, (unsigned long long)live,
              (unsigned long long)tokens);
    key_fts(sk, db->tid, tbl, 'N');
    g = kv_get(db->st->kv, snap, KV_INDEX, sk, sizeof sk, &sv, &db->err);
    uint64_t next = 0;
    if (g == REMDB_OK) {
      if (sv.len == 8) next = get_u64be((const unsigned char *)sv.data);
      kv_val_free(&sv);
    } else if (g != REMDB_NOTFOUND && rc == REMDB_OK) {
      rc = g;
    }
    if (rc == REMDB_OK && s->ndocs && s->docs[s->ndocs - 1].docno >= next)
      vreport(v, "document number %llu is not below the counter (%llu)",
              (unsigned long long)s->docs[s->ndocs - 1].docno,
              (unsigned long long)next);
  }
  return rc;
}

int fts_verify(remdb *db, const snap_t *snap, const cat_table *ct,
               core_report_fn report, void *rctx) {
  const sch_table *t = ct->s;
  const kv_snap_t *ks = snap->kv;
  vctx v = {.db = db, .t = t, .report = report, .rctx = rctx};
  if (ct->rebuild) return REMDB_OK; /* reported: a rebuild is pending */
  if (t->fulltext.nfields == 0) { /* nothing may be left of an index */
    kv_iter_t *it;
    unsigned char lo[12], hi[12];
    put_u32be(lo, db->tid);
    put_u32be(lo + 4, KEY_FTS_TBL);
    put_u32be(lo + 8, t->table_id);
    memcpy(hi, lo, 8);
    put_u32be(hi + 8, t->table_id + 1);
    int rc = kv_iter_new(db->st->kv, ks, KV_INDEX, lo, sizeof lo, hi,
                         sizeof hi, &it, &db->err);
    if (rc) return rc;
    kv_iter_first(it);
    if (kv_iter_valid(it))
      vreport(&v, "keys of an index remain, but the schema declares none");
    rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
    return rc;
  }
  bool built;
  int rc = read_built(db, ks, t, &built);
  if (rc) return rc;
  if (!built) {
    vreport(&v, "not built (the database predates it, or its rebuild did "
            "not finish): run `remdb reindex %s`", t->name);
    return REMDB_OK;
  }
  char err[256];
  fts_analyzer *a = make_analyzer(&t->fulltext, err, sizeof err);
  if (a == NULL) return err_set(&db->err, REMDB_ERROR, "full-text analyzer: %s", err);
  vstate_fts s;
  memset(&s, 0, sizeof s);
  uint64_t live = 0, tokens = 0;
  rc = verify_rows(&v, ks, a, &s, &live, &tokens);
  if (rc == REMDB_OK) rc = verify_keys(&v, ks, &s, live, tokens);
  vstate_free(&s);
  fts_analyzer_free(a);
  return rc;
}

/* Keys and approximate bytes of t's index (stats). */
static int count_term(void *arg, const char *term, size_t len) {
  (void)term;
  (void)len;
  ++*(uint64_t *)arg;
  return 0;
}

int fts_stats(remdb *db, const sch_table *t, uint64_t *docs, uint64_t *terms,
              uint64_t *bytes, bool *built) {
  *docs = *terms = *bytes = 0;
  int rc = read_built(db, NULL, t, built);
  if (rc) return rc;
  unsigned char k[KEY_FTS_PREFIX];
  key_fts(k, db->tid, t->table_id, 'S');
  kv_val v;
  rc = kv_get(db->st->kv, NULL, KV_INDEX, k, sizeof k, &v, &db->err);
  if (rc == REMDB_OK) {
    fts_table_stats st;
    if (fts_stats_decode(v.data, v.len, &st) == 0) *docs = st.docs;
    kv_val_free(&v);
  } else if (rc != REMDB_NOTFOUND) {
    return rc;
  }
  /* the distinct terms of the blocks and the segments */
  segset *segs = calloc(1, sizeof *segs);
  if (segs == NULL) return err_nomem(&db->err);
  rc = read_segs(db, NULL, db->tid, t->table_id, segs);
  if (rc == REMDB_OK &&
      walk_terms(db, NULL, db->tid, t->table_id, segs, "", 0, count_term,
                 terms))
    rc = db->err.code ? db->err.code : REMDB_ERROR;
  free(segs);
  if (rc) return rc;
  unsigned char lo[12], hi[12];
  put_u32be(lo, db->tid);
  put_u32be(lo + 4, KEY_FTS_TBL);
  put_u32be(lo + 8, t->table_id);
  memcpy(hi, lo, 8);
  put_u32be(hi + 8, t->table_id + 1);
  return kv_approx_size(db->st->kv, KV_INDEX, lo, sizeof lo, hi, sizeof hi,
                        bytes, &db->err);
}

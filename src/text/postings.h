/*
** postings.h: the stored forms of the full-text index, as pure functions
** over byte buffers, and cursors that read posting lists block by block.
** Nothing here touches storage: the storage layer (src/kv keys, src/core
** write path) puts these values under its keys and hands blocks back.
**
** ---- Design note: what is stored, and why ----------------------------
**
** Documents are numbered per table (doc numbers, "docno": a counter the
** storage layer keeps; a document keeps its number across updates, so an
** update rewrites postings in place rather than appending).  Per table:
**
**   posting block   key (term, docno / FTS_BLOCK_SPAN)  -> fts_block
**       The postings of one term for 128 consecutive doc numbers: doc
**       deltas, term frequencies, document lengths and positions.  A
**       header gives the doc range and the block's "impacts" (the Pareto
**       frontier of (tf, dl) pairs), so a query bounds the block's best
**       BM25 score for any k1, b and avgdl without decoding it.
**   term entry      key (term)                          -> fts_term_info
**       df (documents holding the term), cf (occurrences), and a bound
**       (max tf, min dl) over the whole list: the term dictionary that
**       prefix queries walk, and IDF without reading postings.
**   length block    key (docno / FTS_BLOCK_SPAN)        -> fts_lengths
**       Each document's length in tokens (all fields together, as FTS5).
**   table stats     key ()                              -> fts_table_stats
**       Document count and total tokens: avgdl = tokens / docs.
**
** Why fixed doc-number ranges and not one long list per term: a single
** document write touches one small value per distinct term (at most 128
** postings), never a whole list, and no write needs to find "the last
** block".  Why not one key per (term, doc): a query then pays a key per
** posting, and block maxima would need separate summary keys kept in step.
** Fixed ranges keep both cheap: a frequent term has full blocks (up to 128
** postings, skippable by header), a rare term has one posting per key,
** which costs no more than a key per (term, doc).
**
** Writes (all in the entity's write batch):
**   - insert doc d: analyse it (fts_doc), then per distinct term: merge an
**     upsert operand (fts_op_upsert: a one-posting block) into block key
**     (term, d/128), add (+1 df, +tf cf, bounds) to the term entry
**     (fts_term_delta); set d's slot in its length block; stats += (1, dl).
**   - delete doc d: analyse the old version; per term: a delete operand
**     (fts_op_delete) into (term, d/128), (-1, -tf) to the term entry;
**     clear the length slot; stats -= (1, old dl).
**   - update: delete the old version's postings that are not in the new
**     one, upsert the new (an upsert replaces a doc's posting); the term
**     and stats deltas are the difference.  Soft delete = delete,
**     undelete = insert, hard delete of a soft-deleted row = nothing.
**   The operands are designed for a RocksDB merge operator whose full
**   merge is fts_block_merge (and fts_term_merge / fts_stats_merge /
**   fts_lengths_merge for the others); without one, the writer (single,
**   under the write lock) reads the value, applies the same function and
**   puts the result.  A block that ends up empty (n = 0) may be deleted;
**   a term entry with df 0 too.  Bounds in term entries only grow (a
**   delete does not lower max tf): still valid bounds; reindex makes them
**   tight again.
**
** Keys: the term is its analysed bytes (UTF-8, never containing 0x00), so
** the key for blocks is  prefix | term | 0x00 | be32(docno / 128)  and a
** term's blocks are contiguous and ascending; a prefix query walks the
** term entries  prefix | term  from the prefix on.  Docnos must fit in
** 32 + 7 bits under that layout.
**
** ---- Formats (all integers LEB128 varints unless said) ----------------
**
**   fts_block:   u8 1, n; if n > 0: first doc, last - first, nimp,
**                nimp x (tf, dl), doc-section bytes, pos-section bytes,
**                doc section: n x ([doc delta if not first], tf, dl),
**                pos section: per posting, its tf positions walked from
**                (field 0, offset 0): within a field, offset delta << 1
**                (>= 1 but for the first); moving to a later field,
**                (field delta << 1) | 1 and then the offset.
**   delete op:   u8 2, n, first doc, n-1 deltas (>= 1).
**   positions:   field << FTS_FIELD_SHIFT | token offset in that field.
*/
#ifndef REMDB_TEXT_POSTINGS_H
#define REMDB_TEXT_POSTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

#define FTS_END UINT64_MAX
#define FTS_BLOCK_SPAN 128     /* doc numbers per posting block key */
#define FTS_FIELD_SHIFT 24     /* position = field << 24 | offset */
#define FTS_MAX_FIELDS 255 /* fields 0..254 */
#define FTS_MAX_OFFSET ((1u << FTS_FIELD_SHIFT) - 2) /* last offset kept */
#define FTS_MAX_IMPACTS 8

#define FTS_FMT_BLOCK 1
#define FTS_FMT_DELETE 2

/* ---- varints ----------------------------------------------------------- */
void fts_put_varint(buf_t *b, uint64_t v);
/* Read a varint at *p (< end); advances *p.  false if truncated/overlong. */
bool fts_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* ---- posting blocks ------------------------------------------------------ */
typedef struct fts_posting {
  uint64_t doc;
  uint32_t tf;         /* occurrences: the number of positions */
  uint32_t dl;         /* the document's length in tokens */
  const uint32_t *pos; /* tf positions, strictly ascending (may be NULL
                       ** when only encoding tf: then positions are absent
                       ** and must not be asked for) */
} fts_posting;

typedef struct fts_impact {
  uint32_t tf, dl;
} fts_impact;

/* A block header, read without decoding postings.  Pointers point into the
** block bytes given to fts_block_header. */
typedef struct fts_block_info {
  uint32_t n;
  uint64_t first, last;
  uint32_t nimp;
  fts_impact imp[FTS_MAX_IMPACTS];
  const uint8_t *docs, *pos;
  size_t docs_len, pos_len;
} fts_block_info;

/* Append the block for p[0..n) (ascending distinct docs, tf >= 1, each
** with tf positions) to out.  n may be 0 (an empty block).  Returns 0, or
** -1 if the input is not in that shape (nothing appended). */
int fts_block_encode(const fts_posting *p, size_t n, buf_t *out);
/* Read the header of a block.  0, or -1 if it is malformed. */
int fts_block_header(const void *blk, size_t len, fts_block_info *info);

/* Decoded postings of one block: arrays owned by the struct, reused from
** block to block (fts_block_dec_free releases them). */
typedef struct fts_block_dec {
  uint32_t n;
  uint64_t *doc;
  uint32_t *tf, *dl;
  uint32_t cap;
  bool has_pos;
  uint32_t *posoff; /* n + 1 offsets into pos */
  uint32_t *pos;
  size_t poscap;
} fts_block_dec;

/* Decode the doc section (and the positions when want_pos).  0, -1 if
** malformed, -2 when out of memory. */
int fts_block_decode(const fts_block_info *info, fts_block_dec *d,
                     bool want_pos);
int fts_block_decode_pos(const fts_block_info *info, fts_block_dec *d);
void fts_block_dec_free(fts_block_dec *d);

/* ---- write-side operations (merge operands) ------------------------------ */
/* An upsert operand is a block; a delete operand lists doc numbers. */
int fts_op_upsert(const fts_posting *p, size_t n, buf_t *out);
int fts_op_delete(const uint64_t *docs, size_t n, buf_t *out);
/* Apply operands, in order, to a base block (NULL/0: none) and append the
** resulting block to out: an upsert replaces or adds the doc's posting, a
** delete removes it (absent docs are ignored).  Operands may also be full
** blocks (a merge of merges).  0, -1 if any input is malformed, -2 when out
** of memory (out is then unchanged in length). */
int fts_block_merge(const void *base, size_t baselen,
                    const void *const *ops, const size_t *oplens, size_t nops,
                    buf_t *out);

/* ---- term entries -------------------------------------------------------- */
typedef struct fts_term_info {
  uint64_t df;     /* documents holding the term */
  uint64_t cf;     /* occurrences in all documents */
  uint32_t max_tf; /* bound: no posting has a larger tf ... */
  uint32_t min_dl; /* ... or a shorter document */
} fts_term_info;

/* A change to a term entry: df and cf are added (may be negative), the
** bounds widened. */
typedef struct fts_term_delta {
  int64_t df, cf;
  uint32_t max_tf, min_dl;
} fts_term_delta;

void fts_term_encode(const fts_term_info *t, buf_t *out);
int fts_term_decode(const void *v, size_t len, fts_term_info *t);
void fts_term_delta_encode(const fts_term_delta *d, buf_t *out);
/* Read a delta operand (not an entry).  0, or -1 if v is not one. */
int fts_term_delta_decode(const void *v, size_t len, fts_term_delta *d);
/* base (NULL: an empty entry) plus the deltas, appended to out as an entry.
** 0, or -1 if something is malformed or a count would go negative. */
int fts_term_merge(const void *base, size_t baselen,
                   const void *const *ops, const size_t *oplens, size_t nops,
                   buf_t *out);

/* ---- table stats --------------------------------------------------------- */
typedef struct fts_table_stats {
  uint64_t docs;   /* documents indexed (FTS5's row count) */
  uint64_t tokens; /* their lengths summed */
} fts_table_stats;

void fts_stats_encode(const fts_table_stats *s, buf_t *out);
int fts_stats_decode(const void *v, size_t len, fts_table_stats *s);
/* A delta: zig-zag (docs, tokens); merge adds deltas to base. */
void fts_stats_delta_encode(int64_t docs, int64_t tokens, buf_t *out);
int fts_stats_delta_decode(const void *v, size_t len, int64_t *docs,
                           int64_t *tokens); /* 0, or -1: not a delta */
int fts_stats_merge(const void *base, size_t baselen,
                    const void *const *ops, const size_t *oplens, size_t nops,
                    buf_t *out);

/* ---- document lengths ---------------------------------------------------- */
/* Lengths of the FTS_BLOCK_SPAN docs of one range; a slot is set or not. */
typedef struct fts_lengths {
  uint8_t set[FTS_BLOCK_SPAN / 8];
  uint32_t len[FTS_BLOCK_SPAN];
} fts_lengths;

void fts_lengths_clear(fts_lengths *l);
void fts_lengths_encode(const fts_lengths *l, buf_t *out);
int fts_lengths_decode(const void *v, size_t len, fts_lengths *l);
static inline bool fts_lengths_has(const fts_lengths *l, unsigned slot) {
  return (l->set[slot >> 3] >> (slot & 7)) & 1;
}
static inline void fts_lengths_set(fts_lengths *l, unsigned slot,
                                   uint32_t len) {
  l->set[slot >> 3] |= (uint8_t)(1u << (slot & 7));
  l->len[slot] = len;
}
static inline void fts_lengths_unset(fts_lengths *l, unsigned slot) {
  l->set[slot >> 3] &= (uint8_t)~(1u << (slot & 7));
  l->len[slot] = 0;
}
/* Operands for a merge operator: set one slot (len) or clear it. */
void fts_lengths_op(unsigned slot, bool set, uint32_t len, buf_t *out);
int fts_lengths_merge(const void *base, size_t baselen,
                      const void *const *ops, const size_t *oplens,
                      size_t nops, buf_t *out);

/* ---- cursors ------------------------------------------------------------- */
/* What a query reads and skips; EXPLAIN shows these.  Every cursor and the
** evaluator add to the counters they are given (may be NULL). */
typedef struct fts_counters {
  uint64_t blocks_seen;      /* block headers examined */
  uint64_t blocks_decoded;   /* blocks whose postings were decoded */
  uint64_t postings_decoded; /* postings in the decoded blocks */
  uint64_t postings_total;   /* postings in the lists a query opened */
  uint64_t postings_scored;  /* (term, doc) contributions computed */
  uint64_t docs_scored;      /* candidate documents scored in full */
  uint64_t docs_pruned;      /* candidates dropped by a score bound */
  uint64_t regions_skipped;  /* doc ranges skipped by block maxima */
  uint64_t filter_calls;     /* calls of the caller's filter */
  uint64_t idf_postings;     /* postings read to count phrase/prefix docs */
} fts_counters;

typedef struct fts_cursor fts_cursor;

/* A posting-list cursor.  Targets of advance and block_max never decrease
** over a cursor's life.  The evaluator reads c->doc ("peek"): the current
** posting's doc, FTS_END past the end.  A new cursor is on its first
** posting. */
typedef struct fts_cursor_ops {
  /* Move to the first posting with doc >= target (no move if doc already
  ** is); returns the new doc or FTS_END. */
  uint64_t (*advance)(fts_cursor *c, uint64_t target);
  /* Shallow: the block that holds the first posting >= target: its last
  ** doc (returned; FTS_END if there is no such posting) and a bound on its
  ** postings' (tf, dl).  May move to that block without decoding it, after
  ** which doc is stale until the next advance (whose target is >= this
  ** target). */
  uint64_t (*block_max)(fts_cursor *c, uint64_t target,
                        const fts_impact **imp, uint32_t *nimp);
  uint32_t (*tf)(fts_cursor *c);  /* current posting */
  uint32_t (*dl)(fts_cursor *c);
  /* tf positions of the current posting, valid until the cursor moves;
  ** NULL when out of memory or the list has no positions. */
  const uint32_t *(*positions)(fts_cursor *c);
  void (*close)(fts_cursor *c);
} fts_cursor_ops;

struct fts_cursor {
  const fts_cursor_ops *ops;
  uint64_t doc;
  fts_counters *count;
  int err; /* set non-zero by a cursor that met a malformed block or ran out
           ** of memory: it then reads as ended (doc FTS_END) */
};

/* The next posting, and the current one (FTS_END past the end). */
static inline uint64_t fts_cursor_next(fts_cursor *c) {
  return c->doc == FTS_END ? FTS_END : c->ops->advance(c, c->doc + 1);
}
static inline uint64_t fts_cursor_peek(const fts_cursor *c) { return c->doc; }

/* A source of encoded blocks for one term, ascending.  Returned bytes stay
** valid until the next call on the stream. */
typedef struct fts_block_stream_ops {
  /* A block at or before the first block whose last doc >= target (never
  ** before the stream's current block); NULL at the end. */
  const void *(*seek)(void *ctx, uint64_t target, size_t *len);
  /* The block after the current one; NULL at the end. */
  const void *(*next)(void *ctx, size_t *len);
  void (*close)(void *ctx); /* may be NULL */
} fts_block_stream_ops;

/* A cursor reading blocks from a stream (which it owns and closes).  NULL
** when out of memory (the stream is then closed too). */
fts_cursor *fts_block_cursor(const fts_block_stream_ops *ops, void *ctx,
                             fts_counters *count);

#endif

/*
** ftsread.h: a table's full-text index, as the search layer reads it.
** Core keeps, for every table whose schema declares "fulltext" (and the
** built-in resources and moments), an inverted index in the same write
** batch as the entity (core/fts.c; stored forms in text/postings.h).  A
** reader opened at a snapshot sees exactly the documents that snapshot
** holds live: postings, lengths and table statistics agree with it.
**
** The search layer parses the query with the reader's analyzer, evaluates
** it over the reader's source (text/query.h: fts_eval_topk and friends)
** and maps the document numbers of the hits back to entity ids.
**
** Thread model: a reader belongs to one thread.
*/
#ifndef REMDB_CORE_FTSREAD_H
#define REMDB_CORE_FTSREAD_H

#include <stdatomic.h>
#include <stdint.h>

#include "../text/analyze.h"
#include "../text/query.h"
#include "core.h"

typedef struct fts_reader fts_reader;

/* Open t's full-text index at snap (snap must outlive the reader).
** REMDB_NOTFOUND with a message naming the table when t has no full-text
** index.  Other codes for storage errors or no memory (db's error set). */
int ftsr_open(remdb *db, const snap_t *snap, const sch_table *t,
              fts_reader **out);
void ftsr_close(fts_reader *r); /* NULL is a no-op */

/* The index as a query source (postings, term entries, table statistics
** at the snapshot); valid while r is open. */
const fts_source *ftsr_source(fts_reader *r);
/* The analyzer the table's documents were indexed with (language,
** stemming, stop words): a query must be parsed with it.  Owned by r. */
fts_analyzer *ftsr_analyzer(fts_reader *r);
/* The indexed fields, in field-number order (field i of a posting's
** positions is names[i]); owned by r. */
const char *const *ftsr_fields(fts_reader *r, size_t *n);

/* Document number -> entity id (REMDB_NOTFOUND if the snapshot holds no
** live document with that number), and entity id -> document number (for
** a filter that selects few rows: score just those, fts_eval_docs). */
int ftsr_id(fts_reader *r, uint64_t docno, uuid16_t *id);
int ftsr_docno(fts_reader *r, const uuid16_t *id, uint64_t *docno);

/* (bench_ftsload) the most bytes of input one merge step did, and their
** sum over every step; the most segments one table's list held after a
** commit (a reader reads each); atomic: writers of two stores may count
** at once */
extern _Atomic uint64_t fts_merge_bytes_max, fts_merge_bytes_total,
    fts_segs_max;
/* (tests) chunks of a commit's segment blocks a worker encoded, and those
** the writer took back from a worker; fts_enc_mode 1: the writer leaves
** every chunk to the workers (and waits for them), 2: it waits for a
** worker to take each chunk and takes it back, 3: 1 in odd chunks, 2 in
** even ones (each: every commit's blocks, however few; 0: production);
** fts_enc_test_fail, when set, is asked before each block of a commit's
** new segment is encoded (worker 1 on a worker, 0 on the writer): nonzero
** fails it as out of memory */
extern _Atomic uint64_t fts_enc_worker_chunks, fts_enc_taken_back;
extern _Atomic int fts_enc_mode;
extern int (*fts_enc_test_fail)(int worker);
/* (tests) the jobs db's store keeps for the analysis beside the writer
** once no transaction uses them (reused by the next), and their text's
** bytes */
size_t fts_pipe_kept(remdb *db, size_t *text_bytes);
/* (tests) the bytes db's store keeps for a commit's segment blocks
** encoded beside the writer (the chunks' buffers) */
size_t fts_enc_kept(remdb *db);

#endif

/*
** index.h: from documents to postings.  fts_doc turns one document's
** fields into its terms with positions and its length: what the write path
** turns into posting upserts (postings.h).  fts_memindex is a whole index
** in memory, built from fts_docs, readable as an fts_source (query.h):
** the reference the oracle tests and the benchmark use, and a model of
** what the storage layer's source must do.
*/
#ifndef REMDB_TEXT_INDEX_H
#define REMDB_TEXT_INDEX_H

#include "analyze.h"
#include "postings.h"
#include "query.h"

/* ---- one analysed document ------------------------------------------- */
typedef struct fts_doc fts_doc;

fts_doc *fts_doc_new(void); /* NULL when out of memory */
void fts_doc_free(fts_doc *d);
void fts_doc_reset(fts_doc *d); /* empty, memory kept */

/* Analyse text as field (0..FTS_MAX_FIELDS-1) and add its tokens; a field
** added twice continues after its earlier tokens.  0, -1 when out of
** memory, -2 for a bad field number. */
int fts_doc_add(fts_doc *d, fts_analyzer *a, unsigned field, const char *text,
                size_t n);
/* Tokens counted in the document's length (stop words are not). */
uint32_t fts_doc_length(const fts_doc *d);
/* Distinct terms, in the order of their first occurrence (positions are
** grouped on the first call after an add; -1 for out of memory). */
long fts_doc_nterms(fts_doc *d);
/* Term i: bytes (NUL-terminated), positions ascending (field << 24 |
** offset).  Valid until the next add or reset. */
void fts_doc_term(const fts_doc *d, size_t i, const char **term, size_t *len,
                  const uint32_t **pos, uint32_t *npos);
/* Term i's fts_term_hash (analyze.h), kept from the analysis. */
uint64_t fts_doc_term_hash(const fts_doc *d, size_t i);

/* ---- an in-memory index --------------------------------------------- */
typedef struct fts_memindex fts_memindex;

fts_memindex *fts_memindex_new(void);
void fts_memindex_free(fts_memindex *m);
/* Add document doc (numbers strictly ascending across calls, and not
** after fts_memindex_finish).  0, -1 out of memory, -2 bad order. */
int fts_memindex_add(fts_memindex *m, uint64_t doc, fts_doc *d);
/* Encode the postings into blocks of at most block_size postings (0: 128).
** 0 or -1 when out of memory. */
int fts_memindex_finish(fts_memindex *m, unsigned block_size);
/* The finished index as a query source (valid while m lives). */
void fts_memindex_source(fts_memindex *m, fts_source *out);
/* Bytes of encoded blocks, and of everything held. */
size_t fts_memindex_block_bytes(const fts_memindex *m);
size_t fts_memindex_terms(const fts_memindex *m);
/* The length of doc (0 if unknown), as recorded by add. */
uint32_t fts_memindex_doclen(const fts_memindex *m, uint64_t doc);

#endif

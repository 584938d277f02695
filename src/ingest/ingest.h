/*
** ingest.h: turning documents into resources.  A text or markdown document
** is split into chunks that respect its structure (a heading starts a new
** chunk, paragraphs are kept whole when they fit, long ones are cut at
** word boundaries) with a configurable size and overlap; a JSONL document
** gives one chunk per line.  ingest.c writes them, with the document's own
** row and its has_chunk edges, in one transaction.
**
** Layer: above core and graph (it stages edges), below the API.
*/
#ifndef REMDB_INGEST_H
#define REMDB_INGEST_H

#include <stddef.h>

#include "../util/util.h"

typedef struct chunk {
  size_t off, len;        /* the chunk's text: a span of the document */
  size_t head_off, head_len; /* the heading it falls under (len 0: none) */
} chunk;

typedef struct chunk_list {
  chunk *c;
  size_t n, cap;
} chunk_list;

/* Split text into chunks of at most max_chars bytes (a single word longer
** than that is cut), each starting with up to overlap bytes of the
** previous one's end, from a word start (overlap < max_chars; a larger one
** is taken as max_chars - 1).  Consecutive chunks of one long paragraph
** share the overlap.  false on out of memory. */
bool chunk_text(const char *text, size_t len, size_t max_chars,
                size_t overlap, chunk_list *out);
void chunk_list_free(chunk_list *l);

#endif

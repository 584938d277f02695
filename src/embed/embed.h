/*
** embed.h: turning text into vectors, and comparing vectors.  Below the
** core: the write path embeds entities with it, the vector layer scores
** with it.
**
** The `hash` provider is feature hashing of normalised word unigrams, word
** bigrams and character trigrams into dim buckets, signed, then
** L2-normalised: lexical, not semantic, and offline (it is what makes the
** demo work with no network).
*/
#ifndef REMDB_EMBED_H
#define REMDB_EMBED_H

#include <stddef.h>

#define EMBED_MAX_DIM 4096

/* Embed text with the hash provider into out[dim]. */
void embed_hash(const char *text, size_t len, int dim, float *out);

/* Similarity of a and b under metric ("cosine", "ip", "l2"); larger is
** closer (l2 is the negated distance). */
float vec_score(const char *metric, const float *a, const float *b, int dim);

#endif

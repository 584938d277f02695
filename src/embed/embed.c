/*
** embed.c: the offline `hash` embedding provider (see embed.h).  Words
** are runs of letters and digits (ASCII lowercased; other bytes kept), and
** each feature (word, pair of adjacent words, character trigram of a word
** padded with spaces) adds +-1 to one of dim buckets chosen by its XXH3
** hash; the sign comes from another bit of the hash, so collisions cancel
** on average.  Words weigh 1, bigrams 0.7, trigrams 0.4.  The result is
** L2-normalised (all zero for empty text).
*/
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "embed.h"

static void add(float *out, int dim, const void *p, size_t n, uint64_t salt,
                float w) {
  uint64_t h = XXH3_64bits_withSeed(p, n, salt);
  out[h % (uint64_t)dim] += (h >> 63) ? -w : w;
}

static bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}

void embed_hash(const char *text, size_t len, int dim, float *out) {
  memset(out, 0, (size_t)dim * sizeof *out);
  char prev[64], word[64];
  size_t prevn = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && !word_byte((unsigned char)text[i])) i++;
    size_t n = 0;
    while (i < len && word_byte((unsigned char)text[i])) {
      unsigned char c = (unsigned char)text[i++];
      if (n < sizeof word) word[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (n == 0) break;
    add(out, dim, word, n, 1, 1.0f);
    if (prevn) {
      char pair[129];
      memcpy(pair, prev, prevn);
      pair[prevn] = ' ';
      memcpy(pair + prevn + 1, word, n);
      add(out, dim, pair, prevn + 1 + n, 2, 0.7f);
    }
    char padded[66];
    padded[0] = ' ';
    memcpy(padded + 1, word, n);
    padded[n + 1] = ' ';
    for (size_t k = 0; k + 3 <= n + 2; k++) add(out, dim, padded + k, 3, 3, 0.4f);
    memcpy(prev, word, n);
    prevn = n;
  }
  double norm = 0;
  for (int i = 0; i < dim; i++) norm += (double)out[i] * out[i];
  if (norm > 0) {
    float inv = (float)(1.0 / sqrt(norm));
    for (int i = 0; i < dim; i++) out[i] *= inv;
  }
}

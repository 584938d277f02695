/*
** chunk.c: splitting text into chunks (see ingest.h).  The text is read as
** blocks: a markdown heading line ("# ...") is a block of its own, and
** paragraphs are runs of lines between blank lines; a block too long for a
** chunk is cut at the last whitespace before the limit less the overlap.  The pieces are
** packed into chunks greedily, and a heading always opens a new chunk.
** Each chunk after the first of a section begins with the previous
** chunk's last `overlap` bytes (from a word start), so a sentence cut at
** a boundary is seen whole by one of the two.  Chunks are spans of the
** input: nothing is copied.
*/
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

static bool push(chunk_list *l, size_t off, size_t len, size_t ho,
                 size_t hl) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    chunk *c = realloc(l->c, cap * sizeof *c);
    if (c == NULL) return false;
    l->c = c;
    l->cap = cap;
  }
  l->c[l->n++] = (chunk){off, len, ho, hl};
  return true;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim [*off, *off + *len) of surrounding whitespace. */
static void trim(const char *t, size_t *off, size_t *len) {
  while (*len && is_space(t[*off])) (*off)++, (*len)--;
  while (*len && is_space(t[*off + *len - 1])) (*len)--;
}

void chunk_list_free(chunk_list *l) {
  free(l->c);
  memset(l, 0, sizeof *l);
}

/* Where a chunk that must end by `limit` should end: after the last
** whitespace in (start, limit], or at limit when there is none.  Never
** inside a UTF-8 sequence. */
static size_t cut_at(const char *t, size_t start, size_t limit) {
  for (size_t i = limit; i > start + 1; i--)
    if (is_space(t[i - 1])) return i;
  while (limit > start + 1 && ((unsigned char)t[limit] & 0xc0) == 0x80)
    limit--;
  return limit;
}

/* The start of the overlap before `end`: `overlap` bytes back, moved
** forward to a word start. */
static size_t overlap_start(const char *t, size_t from, size_t end,
                            size_t overlap) {
  if (overlap == 0 || end <= from) return end;
  size_t s = end - from > overlap ? end - overlap : from;
  while (s < end && !is_space(t[s]) && s > from && !is_space(t[s - 1])) s++;
  while (s < end && is_space(t[s])) s++;
  return s;
}

/* A piece: a heading line, a paragraph, or a part of a long paragraph. */
typedef struct piece {
  size_t off, len;
  bool heading;
} piece;

static bool add_piece(piece **p, size_t *n, size_t *cap, size_t off,
                      size_t len, bool heading) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 32;
    piece *np = realloc(*p, c * sizeof *np);
    if (np == NULL) return false;
    *p = np;
    *cap = c;
  }
  (*p)[(*n)++] = (piece){off, len, heading};
  return true;
}

bool chunk_text(const char *t, size_t len, size_t max, size_t overlap,
                chunk_list *out) {
  memset(out, 0, sizeof *out);
  if (max < 16) max = 16;
  if (overlap >= max) overlap = max - 1; /* remdb_ingest refuses it */
  /* a long block is cut into parts that leave room for the overlap, so
  ** that consecutive chunks of it share one */
  size_t part = max - overlap;
  piece *p = NULL;
  size_t np = 0, cap = 0;
  bool ok = true;
  /* 1. pieces: heading lines, paragraphs, long paragraphs cut */
  for (size_t i = 0; ok && i < len;) {
    while (i < len && is_space(t[i])) i++;
    if (i >= len) break;
    size_t bs = i, be = i;
    bool heading = t[i] == '#';
    if (heading) {
      while (be < len && t[be] != '\n') be++;
    } else {
      for (;;) { /* to a blank line or a heading line */
        while (be < len && t[be] != '\n') be++;
        if (be >= len) break;
        size_t nx = be + 1;
        while (nx < len && (t[nx] == ' ' || t[nx] == '\t' || t[nx] == '\r'))
          nx++;
        if (nx >= len || t[nx] == '\n' || t[nx] == '#') break;
        be = nx;
      }
    }
    i = be + 1;
    size_t bo = bs, bl = be - bs;
    trim(t, &bo, &bl);
    size_t lim = bl > max ? part : max; /* a long block: every part */
    while (ok && bl > lim) { /* cut a long block at whitespace */
      size_t cut = cut_at(t, bo, bo + part);
      size_t co = bo, cl = cut - bo;
      trim(t, &co, &cl);
      if (cl) ok = add_piece(&p, &np, &cap, co, cl, heading);
      bl -= cut - bo;
      bo = cut;
      trim(t, &bo, &bl);
    }
    if (ok && bl) ok = add_piece(&p, &np, &cap, bo, bl, heading);
  }
  /* 2. pack pieces into chunks; a heading opens a new one */
  size_t ho = 0, hl = 0, cs = 0, ce = 0;
  bool open = false;
  for (size_t k = 0; ok && k < np; k++) {
    const piece *x = &p[k];
    if (x->heading) {
      if (open) ok = push(out, cs, ce - cs, ho, hl);
      ho = x->off;
      hl = x->len;
      cs = x->off;
      ce = x->off + x->len;
      open = true;
      continue;
    }
    if (open && x->off + x->len - cs <= max) { /* fits: extend */
      ce = x->off + x->len;
      continue;
    }
    size_t start = x->off;
    if (open) {
      ok = push(out, cs, ce - cs, ho, hl);
      /* the new chunk begins with the end of the previous one: as much of
      ** the overlap as fits beside the piece */
      size_t need = x->off + x->len - ce, ov = overlap;
      if (need >= max) ov = 0;
      else if (max - need < ov) ov = max - need;
      size_t os = overlap_start(t, cs, ce, ov);
      if (os < ce) start = os;
    }
    cs = start;
    ce = x->off + x->len;
    open = true;
  }
  if (ok && open) ok = push(out, cs, ce - cs, ho, hl);
  free(p);
  if (!ok) chunk_list_free(out);
  return ok;
}

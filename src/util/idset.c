/*
** idset.c: the hash set of 16-byte ids (see util.h).
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "util.h"

static size_t home_of(const unsigned char *id, size_t mask) {
  return (size_t)XXH3_64bits(id, 16) & mask;
}

uint32_t idmap_find(const idmap *m, const unsigned char id[16],
                    idmap_key_fn key, const void *ctx) {
  if (m->cap == 0) return IDMAP_NONE;
  size_t mask = m->cap - 1;
  for (size_t j = home_of(id, mask);; j = (j + 1) & mask) {
    uint32_t v = m->slots[j];
    if (v == IDMAP_NONE || memcmp(key(ctx, v), id, 16) == 0) return v;
  }
}

static void put_slot(uint32_t *slots, size_t cap, uint32_t v,
                     idmap_key_fn key, const void *ctx) {
  size_t mask = cap - 1, j = home_of(key(ctx, v), mask);
  while (slots[j] != IDMAP_NONE) j = (j + 1) & mask;
  slots[j] = v;
}

bool idmap_add(idmap *m, uint32_t v, idmap_key_fn key, const void *ctx) {
  assert(v != IDMAP_NONE);
  if ((m->n + 1) * 2 > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (slots == NULL) return false;
    memset(slots, 0xff, cap * sizeof *slots); /* IDMAP_NONE */
    for (size_t i = 0; i < m->cap; i++)
      if (m->slots[i] != IDMAP_NONE)
        put_slot(slots, cap, m->slots[i], key, ctx);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
  }
  put_slot(m->slots, m->cap, v, key, ctx);
  m->n++;
  return true;
}

/* Linear probing with backward-shift deletion: no tombstones. */
void idmap_del(idmap *m, uint32_t v, idmap_key_fn key, const void *ctx) {
  assert(m->cap > 0 && m->n > 0);
  size_t mask = m->cap - 1, j = home_of(key(ctx, v), mask);
  while (m->slots[j] != v) j = (j + 1) & mask;
  m->n--;
  for (size_t i = j;;) {
    m->slots[i] = IDMAP_NONE;
    for (;;) {
      j = (j + 1) & mask;
      uint32_t y = m->slots[j];
      if (y == IDMAP_NONE) return;
      size_t home = home_of(key(ctx, y), mask);
      /* y may move to i unless its home lies cyclically in (i, j] */
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        m->slots[i] = y;
        i = j;
        break;
      }
    }
  }
}

void idmap_free(idmap *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->n = 0;
}

static const unsigned char *set_key(const void *ctx, uint32_t v) {
  return ((const idset *)ctx)->ids[v].b;
}

bool idset_add(idset *s, const unsigned char id[16], size_t *pos) {
  uint32_t v = idmap_find(&s->map, id, set_key, s);
  if (v != IDMAP_NONE) {
    if (pos) *pos = v;
    return true;
  }
  if (s->n >= IDMAP_NONE - 1) return false;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    uuid16_t *ids = realloc(s->ids, cap * sizeof *ids);
    if (ids == NULL) return false;
    s->ids = ids;
    s->cap = cap;
  }
  memcpy(s->ids[s->n].b, id, 16);
  if (!idmap_add(&s->map, (uint32_t)s->n, set_key, s)) return false;
  if (pos) *pos = s->n;
  s->n++;
  return true;
}

size_t idset_find(const idset *s, const unsigned char id[16]) {
  uint32_t v = idmap_find(&s->map, id, set_key, s);
  return v == IDMAP_NONE ? IDSET_NONE : v;
}

void idset_clear(idset *s) {
  if (s->map.cap)
    memset(s->map.slots, 0xff, s->map.cap * sizeof *s->map.slots);
  s->map.n = 0;
  s->n = 0;
}

void idset_free(idset *s) {
  idmap_free(&s->map);
  free(s->ids);
  s->ids = NULL;
  s->n = s->cap = 0;
}

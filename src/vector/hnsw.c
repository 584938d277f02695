/*
** hnsw.c: the graph of hnsw.h.  Layer 0 links live in one flat array
** (count + 2M slots per node) for locality; the few nodes above layer 0
** own a block of count + M slots per upper layer.  Neighbour selection is
** the paper's heuristic: a candidate is kept only if it is closer to the
** base node than to every neighbour kept so far, which keeps links
** pointing in diverse directions and the graph navigable.
**
** A lazy graph (hnsw_new_lazy) is the same structure filled as it is
** searched: a node's slot is made (a stub: id and level, no vector) when
** a decoded link first names it; its vector and stored form are fetched
** when a search first needs its distance; its links are decoded when a
** search first expands it.  The level of a stub is the one its id gives
** (hnsw_level_of), which the fetched record must confirm.
*/
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/util.h"
#include "dist.h"
#include "hnsw.h"

#define ST_FREE 0
#define ST_LIVE 1

/* what a lazy graph's slot holds (hnsw.have) */
#define HAVE_NODE 1  /* its vector, and its stored form in raw[] */
#define HAVE_LINKS 2 /* its links, decoded (raw[] freed) */

/* A reusable visited-set: tag[node] == cur means visited in this search. */
typedef struct vlist {
  uint32_t *tag;
  uint32_t cap, cur;
  struct vlist *next;
} vlist;

/* A binary heap of (dist, node): min-heap or max-heap. */
typedef struct heap {
  hnsw_hit *a;
  size_t n, cap;
  bool max;
} heap;

struct hnsw {
  hnsw_params p;
  int m0;           /* layer-0 link capacity: 2M */
  double ml;        /* level multiplier 1/ln(M) */
  uint32_t n, cap;  /* slots in use (high water), allocated */
  uint32_t live;
  unsigned char *ids;
  float *vecs;
  uint8_t *level, *state, *dirtyf;
  uint32_t *l0;     /* cap x (1 + m0) */
  uint32_t **up;    /* per node: level x (1 + M), or NULL */
  uint32_t entry;
  int maxlevel;
  uint32_t inserting; /* the node being linked: never its own neighbour */
  idmap map;        /* id -> node */
  uint32_t *freel;
  size_t nfree, capfree;
  uint32_t *dirty;
  size_t ndirty, capdirty;
  unsigned char *gone;
  size_t ngone, capgone;
  /* writer scratch */
  heap wc, wr;
  hnsw_hit *sel;
  size_t capsel;
  float *qbuf; /* dim floats: hnsw_same_vector's scratch */
  /* visited lists for concurrent searches */
  pthread_mutex_t vmu;
  vlist *vpool;
  /* a lazy graph: src.fetch is set */
  hnsw_source src;
  uint8_t *have;       /* per slot: HAVE_NODE, HAVE_LINKS */
  unsigned char **raw; /* per slot: its stored form until decoded */
  size_t *rawlen, rawbytes;
  bool bad;            /* the last search met storage contradicting itself */
};

/* ---- small helpers ---- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t nc = *cap ? *cap : 16;
  while (nc < need) nc *= 2;
  void *np = realloc(*p, nc * elem);
  if (np == NULL) return false;
  *p = np;
  *cap = nc;
  return true;
}

static inline const float *vec_of(const hnsw *h, uint32_t x) {
  assert(x < h->cap); /* a node's slot */
  return h->vecs + (size_t)x * (size_t)h->p.dim;
}

static inline uint32_t *links(const hnsw *h, uint32_t x, int lc) {
  assert(x < h->cap && lc >= 0 && lc <= h->level[x]);
  if (lc == 0) return h->l0 + (size_t)x * (size_t)(1 + h->m0);
  return h->up[x] + (size_t)(lc - 1) * (size_t)(1 + h->p.M);
}

static inline int mmax(const hnsw *h, int lc) { return lc ? h->p.M : h->m0; }

/* Ask for all of node x's vector (a line at a time). */
static inline void prefetch_vec(const hnsw *h, uint32_t x) {
  const char *p = (const char *)vec_of(h, x);
  size_t bytes = (size_t)h->p.dim * sizeof(float);
  for (size_t o = 64; o < bytes; o += 64) __builtin_prefetch(p + o);
}

static inline float dist_raw(const hnsw *h, const float *a, const float *b) {
  size_t d = (size_t)h->p.dim;
  switch (h->p.metric) {
  case HNSW_COSINE: return 1.0f - vd_dot(a, b, d);
  case HNSW_IP: return -vd_dot(a, b, d);
  default: return vd_l2sq(a, b, d);
  }
}

static inline float dist_nodes(const hnsw *h, uint32_t a, uint32_t b) {
  return dist_raw(h, vec_of(h, a), vec_of(h, b));
}

/* ---- id map: node by id (util's idmap over the nodes' ids) ---- */

static const unsigned char *node_id(const void *ctx, uint32_t x) {
  return ((const hnsw *)ctx)->ids + (size_t)x * 16;
}

static uint32_t map_find(const hnsw *h, const unsigned char *id) {
  return idmap_find(&h->map, id, node_id, h); /* IDMAP_NONE == HNSW_NONE */
}

static bool map_add(hnsw *h, uint32_t x) {
  return idmap_add(&h->map, x, node_id, h);
}

static void map_del(hnsw *h, uint32_t x) { idmap_del(&h->map, x, node_id, h); }

/* ---- heaps ---- */

static inline bool before(const heap *q, const hnsw_hit *a, const hnsw_hit *b) {
  return q->max ? a->dist > b->dist : a->dist < b->dist;
}

static bool heap_push(heap *q, uint32_t node, float d) {
  if (!grow((void **)&q->a, &q->cap, q->n + 1, sizeof *q->a)) return false;
  size_t i = q->n++;
  hnsw_hit x = {node, d};
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(q, &x, &q->a[p])) break;
    q->a[i] = q->a[p];
    i = p;
  }
  q->a[i] = x;
  return true;
}

static hnsw_hit heap_pop(heap *q) {
  hnsw_hit top = q->a[0], x = q->a[--q->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->n) break;
    if (c + 1 < q->n && before(q, &q->a[c + 1], &q->a[c])) c++;
    if (!before(q, &q->a[c], &x)) break;
    q->a[i] = q->a[c];
    i = c;
  }
  if (q->n) q->a[i] = x;
  return top;
}

static int hit_cmp(const void *a, const void *b) {
  const hnsw_hit *x = a, *y = b;
  if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
  return (x->node > y->node) - (x->node < y->node);
}

/* ---- visited lists ---- */

/* Room in v for a tag per slot (a lazy graph grows during a search). */
static bool visit_fit(const hnsw *h, vlist *v) {
  if (v->cap >= h->n) return true;
  uint32_t nc = h->n + h->n / 4 + 64;
  uint32_t *t = realloc(v->tag, (size_t)nc * sizeof *t);
  if (t == NULL) return false;
  memset(t + v->cap, 0, (size_t)(nc - v->cap) * sizeof *t);
  v->tag = t;
  v->cap = nc;
  return true;
}

static vlist *visit_begin(hnsw *h) {
  pthread_mutex_lock(&h->vmu);
  vlist *v = h->vpool;
  if (v) h->vpool = v->next;
  pthread_mutex_unlock(&h->vmu);
  if (v == NULL && (v = calloc(1, sizeof *v)) == NULL) return NULL;
  if (!visit_fit(h, v)) {
    free(v->tag);
    free(v);
    return NULL;
  }
  if (++v->cur == 0) { /* wrapped: start the tags over */
    memset(v->tag, 0, (size_t)v->cap * sizeof *v->tag);
    v->cur = 1;
  }
  return v;
}

static void visit_end(hnsw *h, vlist *v) {
  pthread_mutex_lock(&h->vmu);
  v->next = h->vpool;
  h->vpool = v;
  pthread_mutex_unlock(&h->vmu);
}

/* ---- create / free ---- */

hnsw *hnsw_new(const hnsw_params *p) {
  if (p->dim < 1 || p->M < 2 || p->M > HNSW_MAX_M || p->ef_construction < 1)
    return NULL;
  hnsw *h = calloc(1, sizeof *h);
  if (h == NULL) return NULL;
  h->p = *p;
  h->m0 = 2 * p->M;
  h->ml = 1.0 / log((double)p->M);
  h->entry = HNSW_NONE;
  h->maxlevel = -1;
  h->inserting = HNSW_NONE;
  h->wr.max = true;
  h->qbuf = malloc((size_t)p->dim * sizeof *h->qbuf);
  if (h->qbuf == NULL || pthread_mutex_init(&h->vmu, NULL) != 0) {
    free(h->qbuf);
    free(h);
    return NULL;
  }
  return h;
}

void hnsw_free(hnsw *h) {
  if (h == NULL) return;
  for (uint32_t i = 0; i < h->n; i++) free(h->up[i]);
  free(h->up);
  free(h->ids);
  free(h->vecs);
  free(h->level);
  free(h->state);
  free(h->dirtyf);
  free(h->l0);
  idmap_free(&h->map);
  free(h->freel);
  free(h->dirty);
  free(h->gone);
  free(h->wc.a);
  free(h->wr.a);
  free(h->sel);
  free(h->qbuf);
  while (h->vpool) {
    vlist *v = h->vpool;
    h->vpool = v->next;
    free(v->tag);
    free(v);
  }
  if (h->raw)
    for (uint32_t i = 0; i < h->n; i++) free(h->raw[i]);
  free(h->raw);
  free(h->rawlen);
  free(h->have);
  pthread_mutex_destroy(&h->vmu);
  free(h);
}

uint32_t hnsw_count(const hnsw *h) { return h->live; }
const hnsw_params *hnsw_get_params(const hnsw *h) { return &h->p; }

size_t hnsw_estimate(const hnsw_params *p, uint64_t n) {
  size_t per = (size_t)p->dim * sizeof(float) + 16 + 3 +
               (size_t)(1 + 2 * p->M) * sizeof(uint32_t) + sizeof(void *) +
               2 * sizeof(uint32_t) /* map, visited */;
  return (size_t)n * per + (size_t)n / (size_t)p->M *
                               (size_t)(1 + p->M) * sizeof(uint32_t);
}

size_t hnsw_bytes(const hnsw *h) {
  size_t b = sizeof *h + (size_t)h->cap * ((size_t)h->p.dim * sizeof(float) +
                                           16 + 3 + sizeof(void *) +
                                           (size_t)(1 + h->m0) * 4);
  for (uint32_t i = 0; i < h->n; i++)
    if (h->up[i]) b += (size_t)h->level[i] * (size_t)(1 + h->p.M) * 4;
  if (h->src.fetch)
    b += (size_t)h->cap * (1 + sizeof *h->raw + sizeof *h->rawlen) +
         h->rawbytes;
  return b + h->map.cap * 4 + h->capfree * 4 + h->capdirty * 4 +
         h->capgone * 16;
}

uint32_t hnsw_lookup(const hnsw *h, const unsigned char *id) {
  return map_find(h, id);
}

const unsigned char *hnsw_node_id(const hnsw *h, uint32_t node) {
  assert(node < h->n);
  return h->ids + (size_t)node * 16;
}

void hnsw_prepare(const hnsw *h, const float *q, float *out) {
  size_t d = (size_t)h->p.dim;
  memcpy(out, q, d * sizeof *out);
  if (h->p.metric != HNSW_COSINE) return;
  double s = 0;
  for (size_t i = 0; i < d; i++) s += (double)q[i] * q[i];
  if (s <= 0) return; /* a zero vector stays zero: distance 1 to all */
  float inv = (float)(1.0 / sqrt(s));
  for (size_t i = 0; i < d; i++) out[i] *= inv;
}

bool hnsw_same_vector(hnsw *h, uint32_t node, const float *v) {
  hnsw_prepare(h, v, h->qbuf); /* the writer's scratch */
  return memcmp(h->qbuf, vec_of(h, node), (size_t)h->p.dim * sizeof *v) == 0;
}

float hnsw_distance(hnsw *h, const float *q, uint32_t node) {
  return dist_raw(h, q, vec_of(h, node));
}

float hnsw_score(const hnsw *h, float dist) {
  switch (h->p.metric) {
  case HNSW_COSINE: return 1.0f - dist;
  case HNSW_IP: return -dist;
  default: return -sqrtf(dist > 0 ? dist : 0);
  }
}

int hnsw_level_of(const unsigned char *id, int M) {
  uint64_t r = XXH3_64bits_withSeed(id, 16, 0x686e7377); /* "hnsw" */
  double u = ((double)(r >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
  int l = (int)(-log(u) / log((double)M));
  return l > HNSW_MAX_LEVEL ? HNSW_MAX_LEVEL : l;
}

/* ---- changes ---- */

static bool mark_dirty(hnsw *h, uint32_t x) {
  if (h->dirtyf[x]) return true;
  if (!grow((void **)&h->dirty, &h->capdirty, h->ndirty + 1, sizeof *h->dirty))
    return false;
  h->dirty[h->ndirty++] = x;
  h->dirtyf[x] = 1;
  return true;
}

size_t hnsw_dirty(const hnsw *h, const uint32_t **nodes) {
  *nodes = h->dirty;
  return h->ndirty;
}

size_t hnsw_gone(const hnsw *h, const unsigned char **ids) {
  *ids = h->gone;
  return h->ngone;
}

void hnsw_clear_changes(hnsw *h) {
  for (size_t i = 0; i < h->ndirty; i++) h->dirtyf[h->dirty[i]] = 0;
  h->ndirty = 0;
  h->ngone = 0;
}

/* ---- slots ---- */

/* A slot for a new node of `level`, with empty links; HNSW_NONE on OOM. */
static uint32_t slot_new(hnsw *h, const unsigned char *id, const float *v,
                         int level) {
  uint32_t x;
  if (h->nfree) {
    x = h->freel[h->nfree - 1];
  } else {
    if (h->n == UINT32_MAX - 1) return HNSW_NONE;
    if (h->n == h->cap) {
      size_t nc = h->cap ? (size_t)h->cap * 2 : 64, d = (size_t)h->p.dim;
      void *a;
      if ((a = realloc(h->ids, nc * 16)) == NULL) return HNSW_NONE;
      h->ids = a;
      if ((a = realloc(h->vecs, nc * d * sizeof(float))) == NULL)
        return HNSW_NONE;
      h->vecs = a;
      if ((a = realloc(h->level, nc)) == NULL) return HNSW_NONE;
      h->level = a;
      if ((a = realloc(h->state, nc)) == NULL) return HNSW_NONE;
      h->state = a;
      if ((a = realloc(h->dirtyf, nc)) == NULL) return HNSW_NONE;
      h->dirtyf = a;
      if ((a = realloc(h->up, nc * sizeof *h->up)) == NULL) return HNSW_NONE;
      h->up = a;
      if ((a = realloc(h->l0, nc * (size_t)(1 + h->m0) * 4)) == NULL)
        return HNSW_NONE;
      h->l0 = a;
      if (h->src.fetch) {
        if ((a = realloc(h->have, nc)) == NULL) return HNSW_NONE;
        h->have = a;
        if ((a = realloc(h->raw, nc * sizeof *h->raw)) == NULL)
          return HNSW_NONE;
        h->raw = a;
        if ((a = realloc(h->rawlen, nc * sizeof *h->rawlen)) == NULL)
          return HNSW_NONE;
        h->rawlen = a;
      }
      h->cap = (uint32_t)nc;
    }
    x = h->n;
    h->up[x] = NULL;
    h->dirtyf[x] = 0;
    if (h->src.fetch) {
      h->have[x] = 0;
      h->raw[x] = NULL;
    }
  }
  uint32_t *upl = NULL;
  if (level > 0) {
    upl = calloc((size_t)level * (size_t)(1 + h->p.M), sizeof *upl);
    if (upl == NULL) return HNSW_NONE;
  }
  /* nothing below can fail except the map; undo upl if it does */
  memcpy(h->ids + (size_t)x * 16, id, 16);
  if (!map_add(h, x)) {
    free(upl);
    return HNSW_NONE;
  }
  if (h->nfree && h->freel[h->nfree - 1] == x) h->nfree--;
  else h->n++;
  free(h->up[x]);
  h->up[x] = upl;
  if (v) /* NULL: a lazy graph's stub, its vector fetched later */
    hnsw_prepare(h, v, h->vecs + (size_t)x * (size_t)h->p.dim);
  else
    memset(h->vecs + (size_t)x * (size_t)h->p.dim, 0,
           (size_t)h->p.dim * sizeof(float));
  h->level[x] = (uint8_t)level;
  h->state[x] = ST_LIVE;
  links(h, x, 0)[0] = 0;
  h->live++;
  return x;
}

/* ---- lazy graphs ---- */

/* x's links from its stored form rec (well-formed, of x's level), in
** stored order.  Links to unknown ids are dropped, or, with stubs, name
** new stubs.  false when out of memory. */
static bool decode(hnsw *h, uint32_t x, const unsigned char *rec,
                   bool stubs) {
  const unsigned char *p = rec + 1;
  for (int lc = 0; lc <= h->level[x]; lc++) {
    size_t n = (size_t)p[0] | (size_t)p[1] << 8;
    p += 2;
    links(h, x, lc)[0] = 0;
    for (size_t i = 0; i < n; i++, p += 16) {
      if (links(h, x, lc)[0] >= (uint32_t)mmax(h, lc)) continue;
      uint32_t e = map_find(h, p);
      if (e == HNSW_NONE && stubs) {
        int lv = hnsw_level_of(p, h->p.M);
        if (lv < lc) continue; /* it would be dropped: make no stub */
        if ((e = slot_new(h, p, NULL, lv)) == HNSW_NONE) return false;
      }
      uint32_t *l = links(h, x, lc); /* slot_new may have moved it */
      if (e == HNSW_NONE || e == x || h->level[e] < lc) continue;
      l[++l[0]] = e;
    }
  }
  return true;
}

/* Fetch the nodes xs[0..n) (stubs) from the source.  A node the source
** does not have leaves the graph.  false on failure (h->bad if storage
** contradicted itself). */
static bool lazy_fetch(hnsw *h, const uint32_t *xs, size_t n) {
  if (n == 0) return true;
  size_t d = (size_t)h->p.dim;
  unsigned char *ids = calloc(n, 16);
  float *vecs = malloc(n * d * sizeof *vecs);
  unsigned char **recs = calloc(n, sizeof *recs);
  size_t *lens = calloc(n, sizeof *lens);
  bool *found = calloc(n, sizeof *found);
  bool ok = ids && vecs && recs && lens && found;
  for (size_t i = 0; ok && i < n; i++)
    memcpy(ids + i * 16, h->ids + (size_t)xs[i] * 16, 16);
  if (ok) ok = h->src.fetch(h->src.ctx, n, ids, vecs, recs, lens, found) == 0;
  for (size_t i = 0; ok && i < n; i++) {
    uint32_t x = xs[i];
    if (!found[i]) { /* not in storage: not in the graph either */
      h->state[x] = ST_FREE;
      h->live--;
      h->have[x] = HAVE_NODE | HAVE_LINKS; /* nothing more to read */
      continue;
    }
    if (hnsw_record_level(recs[i], lens[i]) != h->level[x]) {
      h->bad = true;
      ok = false;
      break;
    }
    hnsw_prepare(h, vecs + i * d, h->vecs + (size_t)x * d);
    h->raw[x] = recs[i];
    h->rawlen[x] = lens[i];
    h->rawbytes += lens[i];
    recs[i] = NULL;
    h->have[x] |= HAVE_NODE;
  }
  for (size_t i = 0; recs && i < n; i++) free(recs[i]);
  free(ids);
  free(vecs);
  free(recs);
  free(lens);
  free(found);
  return ok;
}

/* Fetch those of nb[0..*nn) a lazy graph has not read, and drop from nb
** the ones storage does not have. */
static bool lazy_need(hnsw *h, uint32_t *nb, uint32_t *nn) {
  uint32_t want[2 * HNSW_MAX_M], nw = 0;
  for (uint32_t i = 0; i < *nn; i++)
    if (!(h->have[nb[i]] & HAVE_NODE)) want[nw++] = nb[i];
  if (!lazy_fetch(h, want, nw)) return false;
  if (nw == 0) return true;
  uint32_t k = 0;
  for (uint32_t i = 0; i < *nn; i++)
    if (h->state[nb[i]] == ST_LIVE) nb[k++] = nb[i];
  *nn = k;
  return true;
}

/* Make x's links usable (x fetched first if need be): decode them, making
** stubs for the nodes they name, and give v (may be NULL) room for them. */
static bool lazy_expand(hnsw *h, uint32_t x, vlist *v) {
  if (!(h->have[x] & HAVE_NODE) && !lazy_fetch(h, &x, 1)) return false;
  if (h->have[x] & HAVE_LINKS) return v == NULL || visit_fit(h, v);
  if (!decode(h, x, h->raw[x], true)) return false;
  h->rawbytes -= h->rawlen[x];
  free(h->raw[x]);
  h->raw[x] = NULL;
  h->have[x] |= HAVE_LINKS;
  return v == NULL || visit_fit(h, v);
}

hnsw *hnsw_new_lazy(const hnsw_params *p, const hnsw_source *src,
                    const unsigned char *entry, int level) {
  if (src == NULL || src->fetch == NULL || level < 0 ||
      level > HNSW_MAX_LEVEL)
    return NULL;
  hnsw *h = hnsw_new(p);
  if (h == NULL) return NULL;
  h->src = *src;
  uint32_t x = slot_new(h, entry, NULL, level);
  if (x == HNSW_NONE) {
    hnsw_free(h);
    return NULL;
  }
  h->entry = x;
  h->maxlevel = level;
  return h;
}

bool hnsw_lazy_bad(const hnsw *h) { return h->bad; }

/* ---- search ---- */

/* Greedy walk on layer lc from *ep toward q.  v: a lazy graph's search
** (its visited list grows with the graph), else NULL.  false when a lazy
** graph could not be read. */
static bool greedy(hnsw *h, const float *q, int lc, uint32_t *ep, float *dep,
                   size_t *evals, vlist *v) {
  for (bool changed = true; changed;) {
    changed = false;
    if (h->src.fetch) {
      if (!lazy_expand(h, *ep, v)) return false;
      const uint32_t *l = links(h, *ep, lc);
      uint32_t nb[2 * HNSW_MAX_M], nn = 0;
      for (uint32_t i = 1; i <= l[0]; i++)
        if (h->state[l[i]] == ST_LIVE && h->level[l[i]] >= lc) nb[nn++] = l[i];
      if (!lazy_need(h, nb, &nn)) return false;
    }
    const uint32_t *l = links(h, *ep, lc);
    for (uint32_t i = 1; i <= l[0]; i++) {
      uint32_t e = l[i];
      if (e >= h->n || h->state[e] != ST_LIVE || h->level[e] < lc ||
          e == h->inserting)
        continue;
      float d = dist_raw(h, q, vec_of(h, e));
      (*evals)++;
      if (d < *dep) {
        *dep = d;
        *ep = e;
        changed = true;
      }
    }
  }
  return true;
}

/* Best-first search of layer lc from ep keeping ef results (that pass the
** filter) in r, using candidate heap c; r ends as a max-heap. */
static bool search_layer(hnsw *h, const float *q, uint32_t ep, float dep,
                         int ef, int lc, hnsw_filter_fn f, void *ctx, heap *c,
                         heap *r, vlist *v, size_t *evals) {
  c->n = r->n = 0;
  v->tag[ep] = v->cur;
  if (!heap_push(c, ep, dep)) return false;
  if ((f == NULL || f(ctx, h->ids + (size_t)ep * 16)) && !heap_push(r, ep, dep))
    return false;
  float lower = r->n ? r->a[0].dist : INFINITY;
  while (c->n) {
    hnsw_hit cur = heap_pop(c);
    if (cur.dist > lower && (size_t)ef <= r->n) break;
    if (h->src.fetch && !lazy_expand(h, cur.node, v)) return false;
    if (c->n) /* the next candidate's links, while this one is expanded */
      __builtin_prefetch(links(h, c->a[0].node, lc));
    /* the unvisited neighbours first, their vectors fetched ahead: a
    ** vector is far in memory, and the loads overlap only if issued
    ** before the distances need them */
    const uint32_t *l = links(h, cur.node, lc);
    uint32_t nb[2 * HNSW_MAX_M], nn = 0;
    for (uint32_t i = 1; i <= l[0]; i++) {
      uint32_t e = l[i];
      if (e >= h->n || v->tag[e] == v->cur) continue;
      v->tag[e] = v->cur;
      if (h->state[e] != ST_LIVE || (lc && h->level[e] < lc) ||
          e == h->inserting) /* a link left to a reused slot */
        continue;
      nb[nn++] = e;
      __builtin_prefetch(vec_of(h, e));
      __builtin_prefetch((const char *)vec_of(h, e) + 64);
    }
    if (h->src.fetch && !lazy_need(h, nb, &nn)) return false;
    for (uint32_t j = 0; j < nn; j++) {
      uint32_t e = nb[j];
      if (j + 1 < nn) prefetch_vec(h, nb[j + 1]);
      if (j + 2 < nn) prefetch_vec(h, nb[j + 2]);
      float d = dist_raw(h, q, vec_of(h, e));
      (*evals)++;
      if (r->n < (size_t)ef || d < lower) {
        if (!heap_push(c, e, d)) return false;
        if (f == NULL || f(ctx, h->ids + (size_t)e * 16)) {
          if (!heap_push(r, e, d)) return false;
          if (r->n > (size_t)ef) heap_pop(r);
        }
        if (r->n) lower = r->a[0].dist;
      }
    }
  }
  return true;
}

size_t hnsw_search(hnsw *h, const float *q, size_t k, int ef,
                   hnsw_filter_fn filter, void *ctx, hnsw_hit *out,
                   size_t *visited) {
  size_t evals = 0;
  if (visited) *visited = 0;
  if (h->entry == HNSW_NONE || k == 0) return 0;
  if ((size_t)ef < k) ef = (int)k;
  float qbuf[1024]; /* the query as compared: on the stack when small */
  float *qn = h->p.dim <= 1024 ? qbuf
                                : malloc((size_t)h->p.dim * sizeof *qn);
  vlist *v = visit_begin(h);
  heap c = {0}, r = {.max = true};
  size_t got = (size_t)-1;
  if (qn == NULL || v == NULL) goto done;
  hnsw_prepare(h, q, qn);
  uint32_t ep = h->entry;
  if (h->src.fetch) { /* one search at a time: h->bad is its own */
    h->bad = false;
    if (!(h->have[ep] & HAVE_NODE) && !lazy_fetch(h, &ep, 1)) goto done;
    if (h->state[ep] != ST_LIVE) { /* the recorded entry is not stored */
      h->bad = true;
      goto done;
    }
  }
  float dep = dist_raw(h, qn, vec_of(h, ep));
  evals++;
  for (int lc = h->maxlevel; lc > 0; lc--)
    if (!greedy(h, qn, lc, &ep, &dep, &evals, h->src.fetch ? v : NULL))
      goto done;
  if (!search_layer(h, qn, ep, dep, ef, 0, filter, ctx, &c, &r, v, &evals))
    goto done;
  while (r.n > k) heap_pop(&r);
  got = r.n;
  for (size_t i = got; i > 0; i--) out[i - 1] = heap_pop(&r);
done:
  if (v) visit_end(h, v);
  if (qn != qbuf) free(qn);
  free(c.a);
  free(r.a);
  if (visited) *visited = evals;
  return got;
}

/* ---- linking ---- */

/* Keep up to m of the sorted candidates cand[0..n) for base: each kept one
** is closer to base than to any kept before it.  Returns how many; they
** are moved to the front of cand. */
static size_t select_heuristic(hnsw *h, hnsw_hit *cand, size_t n, int m) {
  size_t kept = 0;
  for (size_t i = 0; i < n && kept < (size_t)m; i++) {
    bool good = true;
    for (size_t j = 0; j < kept && good; j++)
      good = dist_nodes(h, cand[i].node, cand[j].node) >= cand[i].dist;
    if (good) cand[kept++] = cand[i];
  }
  return kept;
}

static bool sel_room(hnsw *h, size_t need) {
  return grow((void **)&h->sel, &h->capsel, need, sizeof *h->sel);
}

/* Re-select x's links on layer lc from its current links plus extra
** (nodes, may repeat or be x itself), and store them. */
static bool relink(hnsw *h, uint32_t x, int lc, const uint32_t *extra,
                   size_t nextra) {
  uint32_t *l = links(h, x, lc);
  if (!sel_room(h, l[0] + nextra)) return false;
  size_t n = 0;
  for (int pass = 0; pass < 2; pass++) {
    const uint32_t *src = pass ? extra : l + 1;
    size_t cnt = pass ? nextra : l[0];
    for (size_t i = 0; i < cnt; i++) {
      uint32_t e = src[i];
      if (e == x || e >= h->n || h->state[e] != ST_LIVE || h->level[e] < lc)
        continue;
      bool dup = false;
      for (size_t j = 0; j < n && !dup; j++) dup = h->sel[j].node == e;
      if (dup) continue;
      h->sel[n].node = e;
      h->sel[n].dist = dist_nodes(h, x, e);
      n++;
    }
  }
  qsort(h->sel, n, sizeof *h->sel, hit_cmp);
  size_t kept = select_heuristic(h, h->sel, n, mmax(h, lc));
  l[0] = (uint32_t)kept;
  for (size_t i = 0; i < kept; i++) l[1 + i] = h->sel[i].node;
  return mark_dirty(h, x);
}

/* Add a link from s to x on layer lc, pruning s's links if full. */
static bool connect(hnsw *h, uint32_t s, uint32_t x, int lc) {
  uint32_t *l = links(h, s, lc);
  for (uint32_t i = 1; i <= l[0]; i++)
    if (l[i] == x) return true;
  if (l[0] < (uint32_t)mmax(h, lc)) {
    l[++l[0]] = x;
    return mark_dirty(h, s);
  }
  return relink(h, s, lc, &x, 1);
}

int hnsw_insert(hnsw *h, const unsigned char *id, const float *v) {
  int level = hnsw_level_of(id, h->p.M);
  uint32_t x = slot_new(h, id, v, level);
  if (x == HNSW_NONE || !mark_dirty(h, x)) return -1;
  if (h->entry == HNSW_NONE) {
    h->entry = x;
    h->maxlevel = level;
    return 0;
  }
  vlist *vl = visit_begin(h);
  if (vl == NULL) return -1;
  h->inserting = x;
  const float *q = vec_of(h, x);
  size_t evals = 0;
  uint32_t ep = h->entry;
  float dep = dist_raw(h, q, vec_of(h, ep));
  for (int lc = h->maxlevel; lc > level; lc--)
    greedy(h, q, lc, &ep, &dep, &evals, NULL); /* whole graphs only */
  int rc = 0;
  int top = level < h->maxlevel ? level : h->maxlevel;
  for (int lc = top; lc >= 0 && rc == 0; lc--) {
    if (lc != top && ++vl->cur == 0) { /* a fresh visited set per layer */
      memset(vl->tag, 0, (size_t)vl->cap * sizeof *vl->tag);
      vl->cur = 1;
    }
    if (!search_layer(h, q, ep, dep, h->p.ef_construction, lc, NULL, NULL,
                      &h->wc, &h->wr, vl, &evals) ||
        !sel_room(h, h->wr.n)) {
      rc = -1;
      break;
    }
    size_t n = h->wr.n;
    for (size_t i = n; i > 0; i--) h->sel[i - 1] = heap_pop(&h->wr);
    ep = h->sel[0].node;
    dep = h->sel[0].dist;
    /* the new node takes up to M links on every layer (as in the paper);
    ** its neighbours may hold up to 2M on layer 0 */
    size_t kept = select_heuristic(h, h->sel, n, h->p.M);
    uint32_t *l = links(h, x, lc);
    l[0] = (uint32_t)kept;
    for (size_t i = 0; i < kept; i++) l[1 + i] = h->sel[i].node;
    for (size_t i = 0; i < kept && rc == 0; i++)
      if (!connect(h, l[1 + i], x, lc)) rc = -1;
  }
  visit_end(h, vl);
  h->inserting = HNSW_NONE;
  if (level > h->maxlevel) {
    h->entry = x;
    h->maxlevel = level;
  }
  return rc;
}

int hnsw_remove(hnsw *h, uint32_t x) {
  assert(x < h->n);
  if (x >= h->n || h->state[x] != ST_LIVE) return 0;
  int rc = 0;
  h->state[x] = ST_FREE; /* first: relinking must not pick x again */
  for (int lc = 0; lc <= h->level[x]; lc++) {
    const uint32_t *lx = links(h, x, lc);
    for (uint32_t i = 1; i <= lx[0]; i++) {
      uint32_t nb = lx[i];
      if (nb >= h->n || h->state[nb] != ST_LIVE || h->level[nb] < lc) continue;
      uint32_t *ln = links(h, nb, lc);
      bool had = false;
      for (uint32_t j = 1; j <= ln[0] && !had; j++) had = ln[j] == x;
      /* nb loses x: choose again among its links and x's */
      if (had && !relink(h, nb, lc, lx + 1, lx[0])) rc = -1;
    }
  }
  map_del(h, x);
  if (grow((void **)&h->gone, &h->capgone, h->ngone + 1, 16)) {
    memcpy(h->gone + h->ngone * 16, h->ids + (size_t)x * 16, 16);
    h->ngone++;
  } else {
    rc = -1;
  }
  if (grow((void **)&h->freel, &h->capfree, h->nfree + 1, sizeof *h->freel))
    h->freel[h->nfree++] = x; /* else the slot is simply not reused */
  h->live--;
  if (h->entry == x) { /* the highest remaining node becomes the entry */
    h->entry = HNSW_NONE;
    h->maxlevel = -1;
    for (uint32_t i = 0; i < h->n; i++)
      if (h->state[i] == ST_LIVE && (int)h->level[i] > h->maxlevel) {
        h->entry = i;
        h->maxlevel = h->level[i];
      }
  }
  return rc;
}

/* ---- stored form ---- */

unsigned char *hnsw_encode(const hnsw *h, uint32_t x, size_t *len) {
  assert(x < h->n);
  size_t cap = 1;
  for (int lc = 0; lc <= h->level[x]; lc++)
    cap += 2 + (size_t)links(h, x, lc)[0] * 16;
  unsigned char *b = malloc(cap), *p = b;
  if (b == NULL) return NULL;
  *p++ = h->level[x];
  for (int lc = 0; lc <= h->level[x]; lc++) {
    const uint32_t *l = links(h, x, lc);
    unsigned char *cnt = p;
    p += 2;
    uint16_t n = 0;
    for (uint32_t i = 1; i <= l[0]; i++) {
      if (l[i] >= h->n || h->state[l[i]] != ST_LIVE) continue;
      memcpy(p, h->ids + (size_t)l[i] * 16, 16);
      p += 16;
      n++;
    }
    cnt[0] = (unsigned char)(n & 0xff);
    cnt[1] = (unsigned char)(n >> 8);
  }
  *len = (size_t)(p - b);
  return b;
}

int hnsw_record_level(const void *rec, size_t len) {
  const unsigned char *p = rec, *end = p + len;
  if (len < 1 || p[0] > HNSW_MAX_LEVEL) return -1;
  int level = *p++;
  for (int lc = 0; lc <= level; lc++) {
    if (end - p < 2) return -1;
    size_t n = (size_t)p[0] | (size_t)p[1] << 8;
    p += 2;
    if ((size_t)(end - p) < n * 16) return -1;
    p += n * 16;
  }
  return p == end ? level : -1;
}

uint32_t hnsw_add_raw(hnsw *h, const unsigned char *id, const float *v,
                      int level) {
  if (level < 0 || level > HNSW_MAX_LEVEL || map_find(h, id) != HNSW_NONE)
    return HNSW_NONE;
  uint32_t x = slot_new(h, id, v, level);
  if (x == HNSW_NONE) return x;
  if (level > h->maxlevel) {
    h->entry = x;
    h->maxlevel = level;
  }
  return x;
}

int hnsw_decode_links(hnsw *h, uint32_t x, const void *rec, size_t len) {
  if (hnsw_record_level(rec, len) != h->level[x]) return -1;
  decode(h, x, rec, false); /* no stubs: nothing to allocate */
  return 0;
}

uint32_t hnsw_entry(const hnsw *h, int *level) {
  if (level) *level = h->maxlevel;
  return h->entry;
}

bool hnsw_set_entry(hnsw *h, uint32_t node) {
  if (node >= h->n || h->state[node] != ST_LIVE ||
      (int)h->level[node] != h->maxlevel)
    return false;
  h->entry = node;
  return true;
}

size_t hnsw_check_links(const hnsw *h) {
  size_t bad = 0;
  for (uint32_t x = 0; x < h->n; x++) {
    if (h->state[x] != ST_LIVE) continue;
    for (int lc = 0; lc <= h->level[x]; lc++) {
      const uint32_t *l = links(h, x, lc);
      for (uint32_t i = 1; i <= l[0]; i++)
        bad += l[i] >= h->n || h->state[l[i]] != ST_LIVE || l[i] == x;
    }
  }
  return bad;
}

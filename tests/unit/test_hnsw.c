/*
** test_hnsw.c: the HNSW graph and the distance kernels on their own, with
** generated clustered vectors and a brute-force answer to compare with.
*/
#include <math.h>
#include <stdint.h>

#include "../../src/vector/dist.h"
#include "../../src/vector/hnsw.h"
#include "test.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_u64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static float unif(void) { return (float)((next_u64() >> 11) * 0x1.0p-53); }
static float gauss(void) {
  float u = unif() + 1e-9f, v = unif();
  return sqrtf(-2 * logf(u)) * cosf(6.2831853f * v);
}

/* n vectors of dim around `clusters` centres */
static float *clustered(size_t n, int dim, int clusters) {
  float *c = malloc((size_t)clusters * dim * sizeof *c);
  float *v = malloc(n * dim * sizeof *v);
  for (int i = 0; i < clusters * dim; i++) c[i] = gauss();
  for (size_t i = 0; i < n; i++) {
    int k = (int)(next_u64() % (uint64_t)clusters);
    for (int d = 0; d < dim; d++)
      v[i * dim + d] = c[k * dim + d] + 0.35f * gauss();
  }
  free(c);
  return v;
}

static void id_of(size_t i, unsigned char id[16]) {
  memset(id, 0, 16);
  for (int b = 0; b < 8; b++) id[15 - b] = (unsigned char)(i >> (8 * b));
  id[0] = 0x5a;
}
static size_t index_of(const unsigned char *id) {
  size_t i = 0;
  for (int b = 0; b < 8; b++) i |= (size_t)id[15 - b] << (8 * b);
  return i;
}

typedef struct ref {
  size_t i;
  float d;
} ref;
static int ref_cmp(const void *a, const void *b) {
  const ref *x = a, *y = b;
  return x->d < y->d ? -1 : x->d > y->d;
}

static float cosdist(const float *a, const float *b, int dim) {
  double dot = 0, na = 0, nb = 0;
  for (int i = 0; i < dim; i++) {
    dot += (double)a[i] * b[i];
    na += (double)a[i] * a[i];
    nb += (double)b[i] * b[i];
  }
  return (float)(1 - dot / sqrt(na * nb));
}

/* exact top-k indices among alive[] that pass keep (NULL: all) */
static size_t brute(const float *v, size_t n, int dim, const float *q,
                    const bool *alive, const bool *keep, size_t k,
                    size_t *out) {
  ref *r = malloc(n * sizeof *r);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (alive[i] && (keep == NULL || keep[i]))
      r[m++] = (ref){i, cosdist(q, v + i * dim, dim)};
  qsort(r, m, sizeof *r, ref_cmp);
  size_t got = m < k ? m : k;
  for (size_t i = 0; i < got; i++) out[i] = r[i].i;
  free(r);
  return got;
}

static bool pass_keep(void *ctx, const unsigned char *id) {
  return ((const bool *)ctx)[index_of(id)];
}

static double recall(hnsw *h, const float *v, size_t n, int dim,
                     const float *qs, size_t nq, const bool *alive,
                     const bool *keep, int ef, bool *leak) {
  size_t hit = 0, want = 0, truth[10];
  hnsw_hit res[10];
  *leak = false;
  for (size_t qi = 0; qi < nq; qi++) {
    const float *q = qs + qi * dim;
    size_t t = brute(v, n, dim, q, alive, keep, 10, truth);
    size_t g = hnsw_search(h, q, 10, ef, keep ? pass_keep : NULL,
                           (void *)keep, res, NULL);
    want += t;
    for (size_t a = 0; a < g; a++) {
      size_t i = index_of(hnsw_node_id(h, res[a].node));
      if (!alive[i] || (keep && !keep[i])) *leak = true;
      for (size_t b = 0; b < t; b++) hit += truth[b] == i;
    }
  }
  return want ? (double)hit / (double)want : 1.0;
}

/* ---- a lazy graph's source: the stored forms of a graph, by index ---- */
typedef struct store {
  const float *v;
  unsigned char **recs;
  size_t *lens;
  size_t n;
  int dim;
  bool *hidden;    /* nodes the store does not have (NULL: none) */
  size_t fetched;  /* nodes handed out */
  size_t calls;
  bool fail;       /* the next fetch fails */
} store;

static int store_fetch(void *ctx, size_t n, const unsigned char *ids,
                       float *vecs, unsigned char **recs, size_t *lens,
                       bool *found) {
  store *s = ctx;
  s->calls++;
  if (s->fail) return -1;
  for (size_t i = 0; i < n; i++) {
    size_t x = index_of(ids + 16 * i);
    found[i] = x < s->n && s->recs[x] && !(s->hidden && s->hidden[x]);
    if (!found[i]) continue;
    memcpy(vecs + i * (size_t)s->dim, s->v + x * (size_t)s->dim,
           (size_t)s->dim * sizeof(float));
    recs[i] = malloc(s->lens[x]);
    memcpy(recs[i], s->recs[x], s->lens[x]);
    lens[i] = s->lens[x];
    s->fetched++;
  }
  return 0;
}

/* Do a and b answer q alike: the same nodes (by id), distances and order? */
static bool same_answer(hnsw *a, hnsw *b, const float *q, int ef,
                        const bool *keep) {
  hnsw_hit ra[10], rb[10];
  size_t na = hnsw_search(a, q, 10, ef, keep ? pass_keep : NULL, (void *)keep,
                          ra, NULL);
  size_t nb = hnsw_search(b, q, 10, ef, keep ? pass_keep : NULL, (void *)keep,
                          rb, NULL);
  if (na != nb || na == (size_t)-1) return false;
  for (size_t j = 0; j < na; j++)
    if (memcmp(hnsw_node_id(a, ra[j].node), hnsw_node_id(b, rb[j].node), 16) ||
        ra[j].dist != rb[j].dist)
      return false;
  return true;
}

/* A graph loaded from the stored forms of the nodes of h (all but those
** hidden), with the entry of h when that one is there. */
static hnsw *load_from(const hnsw_params *p, const store *s, hnsw *h) {
  hnsw *g = hnsw_new(p);
  unsigned char id[16];
  for (size_t i = 0; i < s->n; i++) {
    if (s->recs[i] == NULL || (s->hidden && s->hidden[i])) continue;
    id_of(i, id);
    hnsw_add_raw(g, id, s->v + i * (size_t)s->dim,
                 hnsw_record_level(s->recs[i], s->lens[i]));
  }
  for (size_t i = 0; i < s->n; i++) {
    if (s->recs[i] == NULL || (s->hidden && s->hidden[i])) continue;
    id_of(i, id);
    hnsw_decode_links(g, hnsw_lookup(g, id), s->recs[i], s->lens[i]);
  }
  int level;
  uint32_t e = hnsw_entry(h, &level);
  hnsw_set_entry(g, hnsw_lookup(g, hnsw_node_id(h, e)));
  return g;
}

/* Lazy graphs answer exactly as the loaded graph with the same entry,
** read only part of the graph, leave out what storage does not have, and
** say when storage contradicts itself. */
static void test_lazy(void) {
  const size_t n = 3000, nq = 60;
  const int dim = 32;
  float *v = clustered(n, dim, 15), *qs = clustered(nq, dim, 15);
  hnsw_params p = {.dim = dim, .metric = HNSW_COSINE, .M = 8,
                   .ef_construction = 100};
  hnsw *h = hnsw_new(&p);
  unsigned char id[16];
  for (size_t i = 0; i < n; i++) {
    id_of(i, id);
    hnsw_insert(h, id, v + i * dim);
  }
  store s = {.v = v, .n = n, .dim = dim};
  s.recs = calloc(n, sizeof *s.recs);
  s.lens = calloc(n, sizeof *s.lens);
  for (size_t i = 0; i < n; i++) {
    id_of(i, id);
    s.recs[i] = hnsw_encode(h, hnsw_lookup(h, id), &s.lens[i]);
  }
  bool *keep = calloc(n, sizeof *keep);
  for (size_t i = 0; i < n; i++) keep[i] = i % 3 == 0;
  hnsw *g = load_from(&p, &s, h);
  int level;
  uint32_t e = hnsw_entry(h, &level);
  const unsigned char *eid = hnsw_node_id(h, e);
  CHECK_INT(hnsw_entry(g, NULL) != HNSW_NONE, 1);
  CHECK(memcmp(hnsw_node_id(g, hnsw_entry(g, NULL)), eid, 16) == 0);
  /* the loaded graph with the writer's entry answers as the writer's */
  size_t same = 0;
  for (size_t qi = 0; qi < nq; qi++)
    same += same_answer(h, g, qs + qi * dim, 64, NULL);
  CHECK_INT(same, nq);

  hnsw_source src = {store_fetch, &s};
  hnsw *lz = hnsw_new_lazy(&p, &src, eid, level);
  CHECK(lz != NULL);
  /* one search reads a small part of the graph */
  CHECK(same_answer(lz, g, qs, 64, NULL));
  printf("test_hnsw: a lazy search read %zu of %zu nodes in %zu fetches\n",
         s.fetched, n, s.calls);
  CHECK(s.fetched > 0 && s.fetched < n / 3);
  /* every answer is the loaded graph's: plain, filtered, other ef */
  same = 0;
  for (size_t qi = 0; qi < nq; qi++) {
    same += same_answer(lz, g, qs + qi * dim, 64, NULL);
    same += same_answer(lz, g, qs + qi * dim, 40, keep);
    same += same_answer(lz, g, qs + qi * dim, 200, NULL);
  }
  CHECK_INT(same, 3 * nq);
  /* the nodes read stay: the same search again reads nothing */
  size_t before = s.fetched;
  CHECK(same_answer(lz, g, qs, 64, NULL));
  CHECK_INT(s.fetched, before);
  /* a failing source fails the search, and the graph stays usable */
  hnsw_source src2 = {store_fetch, &s};
  hnsw *lz2 = hnsw_new_lazy(&p, &src2, eid, level);
  hnsw_hit res[10];
  s.fail = true;
  CHECK(hnsw_search(lz2, qs, 10, 64, NULL, NULL, res, NULL) == (size_t)-1);
  CHECK(!hnsw_lazy_bad(lz2));
  s.fail = false;
  CHECK(same_answer(lz2, g, qs, 64, NULL));
  hnsw_free(lz2);
  hnsw_free(lz);

  /* nodes storage does not have (deleted under a writer, or never
  ** linked) are left out by both, alike */
  s.hidden = calloc(n, sizeof *s.hidden);
  for (size_t i = 0; i < n; i += 7)
    if (memcmp(hnsw_node_id(h, e), (id_of(i, id), id), 16)) s.hidden[i] = 1;
  hnsw *g2 = load_from(&p, &s, h);
  lz = hnsw_new_lazy(&p, &src, eid, level);
  same = 0;
  int leak = 0;
  for (size_t qi = 0; qi < nq; qi++) {
    same += same_answer(lz, g2, qs + qi * dim, 64, NULL);
    size_t got = hnsw_search(lz, qs + qi * dim, 10, 64, NULL, NULL, res, NULL);
    for (size_t j = 0; j < got && got != (size_t)-1; j++)
      leak += s.hidden[index_of(hnsw_node_id(lz, res[j].node))];
  }
  CHECK_INT(same, nq);
  CHECK_INT(leak, 0);
  hnsw_free(lz);
  hnsw_free(g2);
  /* an entry storage does not have, or a node whose stored level is not
  ** its id's: storage contradicts itself, the caller must load */
  s.hidden[index_of(eid)] = 1;
  lz = hnsw_new_lazy(&p, &src, eid, level);
  CHECK(hnsw_search(lz, qs, 10, 64, NULL, NULL, res, NULL) == (size_t)-1);
  CHECK(hnsw_lazy_bad(lz));
  hnsw_free(lz);
  s.hidden[index_of(eid)] = 0;
  lz = hnsw_new_lazy(&p, &src, eid, level + 1); /* a wrong level */
  CHECK(hnsw_search(lz, qs, 10, 64, NULL, NULL, res, NULL) == (size_t)-1);
  CHECK(hnsw_lazy_bad(lz));
  hnsw_free(lz);
  CHECK(hnsw_new_lazy(&p, &src, eid, HNSW_MAX_LEVEL + 1) == NULL);

  for (size_t i = 0; i < n; i++) free(s.recs[i]);
  free(s.recs);
  free(s.lens);
  free(s.hidden);
  free(keep);
  hnsw_free(g);
  hnsw_free(h);
  free(v);
  free(qs);
}

static void test_kernels(void) {
  float (*sd)(const float *, const float *, size_t), (*sl)(const float *, const float *, size_t);
  float (*ad)(const float *, const float *, size_t), (*al)(const float *, const float *, size_t);
  CHECK(vd_kernels("scalar", &sd, &sl));
  CHECK(!vd_kernels("nonsense", &ad, &al));
  bool avx = vd_kernels("avx2", &ad, &al);
  printf("test_hnsw: kernels in use: %s (avx2 %savailable)\n", vd_active(),
         avx ? "" : "not ");
  if (!avx) return;
  float *a = malloc(4100 * sizeof *a), *b = malloc(4100 * sizeof *b);
  int bad = 0;
  for (size_t n = 0; n <= 4097; n += (n < 70 ? 1 : 61)) {
    for (size_t off = 0; off < 3; off++) { /* unaligned starts too */
      for (size_t i = 0; i < n + off; i++) {
        a[i] = gauss();
        b[i] = gauss();
      }
      double dot = 0, l2 = 0;
      for (size_t i = 0; i < n; i++) {
        dot += (double)a[off + i] * b[off + i];
        l2 += ((double)a[off + i] - b[off + i]) * (a[off + i] - b[off + i]);
      }
      float tol = 1e-4f * (float)(n + 1);
      if (fabsf(sd(a + off, b + off, n) - ad(a + off, b + off, n)) > tol ||
          fabsf(sd(a + off, b + off, n) - (float)dot) > tol ||
          fabsf(sl(a + off, b + off, n) - al(a + off, b + off, n)) > tol ||
          fabsf(al(a + off, b + off, n) - (float)l2) > tol)
        bad++;
    }
  }
  CHECK_INT(bad, 0);
  free(a);
  free(b);
}

static void test_graph(void) {
  const size_t n = 4000, nq = 100;
  const int dim = 48;
  float *v = clustered(n, dim, 20), *qs = clustered(nq, dim, 20);
  bool *alive = calloc(n, sizeof *alive), *keep = calloc(n, sizeof *keep);
  hnsw_params p = {.dim = dim, .metric = HNSW_COSINE, .M = 12,
                   .ef_construction = 100};
  hnsw *h = hnsw_new(&p);
  CHECK(h != NULL);
  unsigned char id[16];
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    id_of(i, id);
    rc |= hnsw_insert(h, id, v + i * dim);
    alive[i] = true;
  }
  CHECK_INT(rc, 0);
  CHECK_INT(hnsw_count(h), n);
  CHECK_INT(hnsw_check_links(h), 0);
  bool leak;
  /* isotropic noise around the centres is a hard case (hnswlib scores
  ** 0.86 at ef 64 and 0.99 at ef 256 on these vectors) */
  double r = recall(h, v, n, dim, qs, nq, alive, NULL, 256, &leak);
  printf("test_hnsw: recall@10 %.3f at ef 256 (%zu x %d)\n", r, n, dim);
  CHECK(r >= 0.97);
  /* a smaller ef finds fewer */
  CHECK(recall(h, v, n, dim, qs, nq, alive, NULL, 32, &leak) < r);

  /* filtered: 30% of rows qualify; results are exactly the filtered top-k
  ** up to the graph's recall, and never a row that fails the filter */
  for (size_t i = 0; i < n; i++) keep[i] = next_u64() % 10 < 3;
  r = recall(h, v, n, dim, qs, nq, alive, keep, 100, &leak);
  printf("test_hnsw: filtered (30%%) recall@10 %.3f at ef 100\n", r);
  CHECK(r >= 0.95);
  CHECK(!leak);
  /* a filter nothing passes: no results, no crash */
  memset(keep, 0, n * sizeof *keep);
  hnsw_hit res[10];
  CHECK_INT(hnsw_search(h, qs, 10, 50, pass_keep, keep, res, NULL), 0);

  /* remove a third: removed ids never come back, recall holds, links are
  ** repaired, and the freed slots are reused */
  hnsw_clear_changes(h);
  size_t removed = 0;
  for (size_t i = 0; i < n; i += 3) {
    id_of(i, id);
    rc |= hnsw_remove(h, hnsw_lookup(h, id));
    alive[i] = false;
    removed++;
  }
  CHECK_INT(rc, 0);
  CHECK_INT(hnsw_count(h), n - removed);
  const unsigned char *gone;
  CHECK_INT(hnsw_gone(h, &gone), removed);
  id_of(0, id);
  CHECK(hnsw_lookup(h, id) == HNSW_NONE);
  r = recall(h, v, n, dim, qs, nq, alive, NULL, 256, &leak);
  printf("test_hnsw: recall@10 %.3f after removing a third\n", r);
  CHECK(r >= 0.96);
  CHECK(!leak);
  size_t before = hnsw_bytes(h);
  for (size_t i = 0; i < n; i += 3) { /* re-insert: slots reused */
    id_of(i, id);
    rc |= hnsw_insert(h, id, v + i * dim);
    alive[i] = true;
  }
  CHECK_INT(rc, 0);
  CHECK(hnsw_bytes(h) <= before + before / 4);
  /* links left to removed nodes now point at reused slots; none of them
  ** may make a new node its own neighbour */
  size_t self = 0;
  for (size_t i = 0; i < n; i += 3) {
    id_of(i, id);
    uint32_t x = hnsw_lookup(h, id);
    size_t len;
    unsigned char *rec = hnsw_encode(h, x, &len);
    for (size_t o = 3; rec && o + 16 <= len; o += 16)
      self += memcmp(rec + o, id, 16) == 0;
    free(rec);
  }
  CHECK_INT(self, 0);
  r = recall(h, v, n, dim, qs, nq, alive, NULL, 256, &leak);
  CHECK(r >= 0.97);

  /* stored form: encode every node, load a new graph from the records,
  ** and it answers exactly as the original */
  hnsw *g = hnsw_new(&p);
  unsigned char **recs = calloc(n, sizeof *recs);
  size_t *lens = calloc(n, sizeof *lens);
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    id_of(i, id);
    uint32_t x = hnsw_lookup(h, id);
    recs[i] = hnsw_encode(h, x, &lens[i]);
    int lvl = hnsw_record_level(recs[i], lens[i]);
    bad += lvl < 0 || hnsw_add_raw(g, id, v + i * dim, lvl) == HNSW_NONE;
  }
  for (size_t i = 0; i < n; i++) {
    id_of(i, id);
    bad += hnsw_decode_links(g, hnsw_lookup(g, id), recs[i], lens[i]) != 0;
  }
  CHECK_INT(bad, 0);
  size_t same = 0;
  for (size_t qi = 0; qi < nq; qi++) {
    hnsw_hit a[10], b[10];
    size_t na = hnsw_search(h, qs + qi * dim, 10, 64, NULL, NULL, a, NULL);
    size_t nb = hnsw_search(g, qs + qi * dim, 10, 64, NULL, NULL, b, NULL);
    bool eq = na == nb;
    for (size_t j = 0; eq && j < na; j++)
      eq = memcmp(hnsw_node_id(h, a[j].node), hnsw_node_id(g, b[j].node),
                  16) == 0;
    same += eq;
  }
  /* the reloaded graph may pick another entry node of the same level */
  CHECK(same >= nq * 9 / 10);
  /* malformed records are refused */
  CHECK_INT(hnsw_record_level(recs[1], lens[1] - 1), -1);
  CHECK_INT(hnsw_record_level("\x20", 1), -1);
  CHECK_INT(hnsw_record_level("", 0), -1);
  for (size_t i = 0; i < n; i++) free(recs[i]);
  free(recs);
  free(lens);
  hnsw_free(g);
  hnsw_free(h);

  /* l2 and inner product agree with their brute-force orders too */
  for (int m = HNSW_IP; m <= HNSW_L2; m++) {
    hnsw_params p2 = {.dim = dim, .metric = (enum hnsw_metric)m, .M = 12,
                      .ef_construction = 100};
    hnsw *x = hnsw_new(&p2);
    for (size_t i = 0; i < 1000; i++) {
      id_of(i, id);
      hnsw_insert(x, id, v + i * dim);
    }
    hnsw_hit res2[1];
    size_t got = hnsw_search(x, v + 7 * dim, 1, 32, NULL, NULL, res2, NULL);
    CHECK_INT(got, 1);
    if (m == HNSW_L2) { /* the nearest to a stored vector is itself */
      CHECK_INT(index_of(hnsw_node_id(x, res2[0].node)), 7);
      CHECK(fabsf(hnsw_score(x, res2[0].dist)) < 1e-3f);
    }
    hnsw_free(x);
  }
  free(v);
  free(qs);
  free(alive);
  free(keep);
}

int main(int argc, char **argv) {
  TEST_CASE(test_kernels);
  TEST_CASE(test_graph);
  TEST_CASE(test_lazy);
  int rc_ = test_main(argc, argv, "test_hnsw");
  return rc_;
}

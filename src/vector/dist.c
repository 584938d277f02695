/*
** dist.c: the kernels of dist.h.  The AVX2 forms keep four independent
** 8-lane accumulators (32 floats per step) so the FMA latency is hidden,
** then finish the tail one float at a time; they may differ from the
** scalar forms in the last bits, as any reordering of a float sum does.
*/
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"

typedef float (*vd_fn)(const float *, const float *, size_t);

static float dot_scalar(const float *a, const float *b, size_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

static float l2sq_scalar(const float *a, const float *b, size_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
    float d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; i++) {
    float d = a[i] - b[i];
    s0 += d * d;
  }
  return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86 1

__attribute__((target("avx2,fma"))) static float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a,
                                                          const float *b,
                                                          size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8),
                         s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16),
                         _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24),
                         _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8)
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float s = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) static float l2sq_avx2(const float *a,
                                                           const float *b,
                                                           size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 =
        _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 d2 =
        _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 d3 =
        _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
    s2 = _mm256_fmadd_ps(d2, d2, s2);
    s3 = _mm256_fmadd_ps(d3, d3, s3);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  float s = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; i++) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

static bool cpu_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/* Chosen on first use; the choice is the same in every thread, so a race
** between two first uses is harmless. */
static _Atomic(vd_fn) use_dot, use_l2sq;
static const char *_Atomic use_name;

static void choose(void) {
  vd_fn d = dot_scalar, l = l2sq_scalar;
  const char *name = "scalar";
  const char *env = getenv("REMDB_SIMD");
#ifdef HAVE_X86
  if (!(env && strcmp(env, "scalar") == 0) && cpu_avx2()) {
    d = dot_avx2;
    l = l2sq_avx2;
    name = "avx2";
  }
#else
  (void)env;
#endif
  atomic_store(&use_l2sq, l);
  atomic_store(&use_name, name);
  atomic_store(&use_dot, d);
}

float vd_dot(const float *a, const float *b, size_t n) {
  vd_fn f = atomic_load_explicit(&use_dot, memory_order_relaxed);
  if (f == NULL) {
    choose();
    f = atomic_load(&use_dot);
  }
  return f(a, b, n);
}

float vd_l2sq(const float *a, const float *b, size_t n) {
  vd_fn f = atomic_load_explicit(&use_l2sq, memory_order_relaxed);
  if (f == NULL) {
    choose();
    f = atomic_load(&use_l2sq);
  }
  return f(a, b, n);
}

const char *vd_active(void) {
  if (atomic_load(&use_name) == NULL) choose();
  return atomic_load(&use_name);
}

bool vd_kernels(const char *name, vd_fn *dot, vd_fn *l2sq) {
  if (strcmp(name, "scalar") == 0) {
    *dot = dot_scalar;
    *l2sq = l2sq_scalar;
    return true;
  }
#ifdef HAVE_X86
  if (strcmp(name, "avx2") == 0 && cpu_avx2()) {
    *dot = dot_avx2;
    *l2sq = l2sq_avx2;
    return true;
  }
#endif
  return false;
}

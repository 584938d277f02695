/*
** dist.h: distance kernels over float32 vectors.  Each kernel has a
** portable scalar form and, on x86-64 CPUs that have them, an AVX2+FMA form
** chosen once at run time (REMDB_SIMD=scalar in the environment forces the
** scalar one, for tests and comparisons).  Depends on nothing in remdb.
*/
#ifndef REMDB_DIST_H
#define REMDB_DIST_H

#include <stdbool.h>
#include <stddef.h>

/* sum a[i]*b[i] */
float vd_dot(const float *a, const float *b, size_t n);
/* sum (a[i]-b[i])^2 */
float vd_l2sq(const float *a, const float *b, size_t n);

/* The kernels by name, for the test that compares them: "scalar" always
** exists, "avx2" only when the CPU has AVX2 and FMA (else false). */
bool vd_kernels(const char *name, float (**dot)(const float *, const float *,
                                                size_t),
                float (**l2sq)(const float *, const float *, size_t));
/* The name of the kernels in use. */
const char *vd_active(void);

#endif

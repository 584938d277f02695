/*
** common.h: helpers every benchmark driver uses (timing, the machine's
** CPU name, readable durations, a seeded xorshift generator).  Header-only:
** each driver is one C file built on its own.
*/
#ifndef REMDB_BENCH_COMMON_H
#define REMDB_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift64: the next value of the sequence kept in *s (never 0). */
static inline uint64_t xorshift64(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* The CPU's model name from /proc/cpuinfo, for the report. */
static inline void cpu_model(char *out, size_t cap) {
  snprintf(out, cap, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "model name", 10) == 0) {
      char *c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ' || *c == '\t') c++;
        c[strcspn(c, "\n")] = 0;
        snprintf(out, cap, "%s", c);
      }
      break;
    }
  fclose(f);
}

/* qsort order of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of v[0..n) (n >= 1); sorts v. */
static inline double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A duration in seconds, in readable units. */
static inline void fmt_time(double s, char *out, size_t cap) {
  if (s < 1e-3)
    snprintf(out, cap, "%.1f µs", s * 1e6);
  else if (s < 1)
    snprintf(out, cap, "%.2f ms", s * 1e3);
  else
    snprintf(out, cap, "%.2f s", s);
}

#endif

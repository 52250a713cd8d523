/* bench_stats.h — the monotonic clock and percentiles the benchmarks share. */
#ifndef BATON_BENCH_STATS_H
#define BATON_BENCH_STATS_H

#include <stdlib.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
static inline double bench_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The p-quantile (0..1) of v[0..n), nearest rank; sorts v in place. n > 0. */
static inline double bench_percentile(double *v, int n, double p) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  int i = (int)(p * (n - 1) + 0.5);
  return v[i];
}

#endif

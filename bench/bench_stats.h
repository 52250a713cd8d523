/* bench_stats.h — the monotonic clock, percentiles and process CPU the benchmarks share. */
#ifndef BATON_BENCH_STATS_H
#define BATON_BENCH_STATS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
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

/* CPU clock ticks (user + system) a process has used, its own and not its
 * children's, from /proc/PID/stat; 0 when unreadable. */
static inline long bench_cpu_ticks(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = '\0';
  char *c = strrchr(buf, ')');
  unsigned long ut = 0, st = 0;
  if (c)
    sscanf(c + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
  return (long)(ut + st);
}

#endif

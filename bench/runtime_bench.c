/* runtime_bench.c — scheduler benchmarks on the debug executors: dispatch latency, overhead per task, parallel efficiency. */
/* Usage: runtime_bench [WORKERS]             every measure
 *        runtime_bench WORKERS KIND TASKS RUNS  only RUNS runs of one plan
 *        (KIND: chain, chain-data, wide), for a profiler or perf stat */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "bench_stats.h"

#define MAX_EVENTS 8192

typedef struct rec {
  int type, task;
  double ts;
} rec;

typedef struct recs {
  rec v[MAX_EVENTS];
  int n;
} recs;

static void on_event(void *ud, const baton_event *ev) {
  recs *r = ud;
  if (r->n < MAX_EVENTS)
    r->v[r->n++] = (rec){(int)ev->type, ev->task_id, ev->ts};
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plan as JSON text: kind "chain" (literal arguments), "chain-data" (each
 * task takes the text of the one before, <GENERATED>), "wide" or "layers"
 * (width x depth). */
static char *make_plan(const char *kind, int n, const char *task, const char *arg, int width) {
  size_t cap = (size_t)n * 160 + 16;
  char *s = malloc(cap);
  size_t len = 0;
  len += (size_t)snprintf(s + len, cap - len, "[");
  for (int i = 0; i < n; i++) {
    char dep[512] = "-1", text[64];
    bool data = !strcmp(kind, "chain-data") && i > 0;
    if (!strncmp(kind, "chain", 5) && i > 0)
      snprintf(dep, sizeof dep, "%d", i - 1);
    if (data)
      snprintf(text, sizeof text, "<GENERATED>-%d", i - 1);
    if (!strcmp(kind, "layers") && i >= width) {
      int layer = i / width;
      size_t dl = 0;
      for (int k = 0; k < width; k++)
        dl += (size_t)snprintf(dep + dl, sizeof dep - dl, "%s%d", k ? "," : "",
                               (layer - 1) * width + k);
    }
    len += (size_t)snprintf(s + len, cap - len,
                            "%s{\"task\":\"%s\",\"id\":%d,\"dep\":[%s],\"args\":{\"text\":\"%s\"}}",
                            i ? "," : "", task, i, dep, data ? text : arg);
  }
  snprintf(s + len, cap - len, "]");
  return s;
}

/* CPU seconds this process has used, all threads (the history writer too):
 * unlike wall time, it barely moves when other programs load the machine. */
static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
         (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static double run_plan(baton *ctx, const char *plan, recs *r) {
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan};
  baton_run *run = NULL;
  double t0 = now_s();
  if (baton_submit(ctx, &req, r ? on_event : NULL, r, &run) != BATON_OK) {
    fprintf(stderr, "runtime_bench: %s\n", baton_errmsg(ctx));
    exit(1);
  }
  baton_rc rc = baton_run_wait(run);
  double t = now_s() - t0;
  if (rc != BATON_OK) {
    fprintf(stderr, "runtime_bench: run failed: %s\n", baton_run_summary(run));
    exit(1);
  }
  baton_run_free(run);
  return t;
}

static double event_ts(const recs *r, int type, int task) {
  for (int i = 0; i < r->n; i++)
    if (r->v[i].type == type && r->v[i].task == task)
      return r->v[i].ts;
  return -1;
}

/* `runtime_bench WORKERS KIND TASKS RUNS`: only RUNS runs of one plan (for
 * a profiler: the same tasks as one big run or as many small ones). */
static void one_case(baton *ctx, const char *kind, int n, int runs) {
  char *plan = make_plan(kind, n, "debug-echo", "x", 0);
  double wall = 0, c0 = cpu_s();
  for (int rep = 0; rep < runs; rep++)
    wall += run_plan(ctx, plan, NULL);
  double cpu = cpu_s() - c0;
  free(plan);
  printf("%d runs of a %d-task %s: per task %.1f µs wall, CPU %.1f µs\n", runs, n, kind,
         wall / runs / n * 1e6, cpu / runs / n * 1e6);
}

/* 1. Dispatch latency along a chain: finished(i-1) -> started(i). */
static void dispatch_latency(baton *ctx) {
  static recs r;
  r.n = 0;
  int chain = 1000;
  char *plan = make_plan("chain", chain, "debug-echo", "x", 0);
  run_plan(ctx, plan, &r);
  free(plan);
  double *lat = malloc(sizeof(double) * (size_t)chain);
  int nl = 0;
  for (int i = 1; i < chain; i++) {
    double a = event_ts(&r, BATON_EVENT_TASK_FINISHED, i - 1);
    double b = event_ts(&r, BATON_EVENT_TASK_STARTED, i);
    if (a > 0 && b > 0)
      lat[nl++] = (b - a) * 1e6;
  }
  printf("| measure | value | goal |\n|---|---|---|\n");
  printf("| dispatch latency, median (1000-task chain) | %.1f µs | |\n", bench_percentile(lat, nl, 0.5));
  printf("| dispatch latency, p99 | %.1f µs | ≤ 100 µs |\n", bench_percentile(lat, nl, 0.99));
  free(lat);
}

/* 2. Orchestration overhead per task (echo does no work), from 10 to
 * 10,000 tasks: literal chains, chains passing text along (as users'
 * plans do), wide graphs. Each size gets the same 3 runs, best kept, so
 * no size is judged on a single (cold) run; CPU is the process's, all
 * threads, per task, of the best run. */
static void overhead_per_task(baton *ctx) {
  int sizes[] = {10, 100, 1000, 10000};
  const char *kinds[] = {"chain", "chain-data", "wide"};
  double per[4][3], cpu[4][3];
  for (int k = 0; k < 4; k++) {
    for (int j = 0; j < 3; j++) {
      char *plan = make_plan(kinds[j], sizes[k], "debug-echo", "x", 0);
      double best = 1e9, best_cpu = 0;
      for (int rep = 0; rep < 3; rep++) {
        double c0 = cpu_s();
        double t = run_plan(ctx, plan, NULL);
        if (t < best) {
          best = t;
          best_cpu = cpu_s() - c0;
        }
      }
      free(plan);
      per[k][j] = best / sizes[k] * 1e6;
      cpu[k][j] = best_cpu / sizes[k] * 1e6;
      printf("| overhead per task, %d-task %s (whole run / tasks; CPU) | %.1f µs; CPU %.1f µs "
             "| ≤ 50 µs |\n",
             sizes[k], kinds[j], per[k][j], cpu[k][j]);
    }
  }
  for (int j = 0; j < 3; j++)
    printf("| per-task cost at 10,000 / at 100, %s (wall; CPU) | %.2fx; CPU %.2fx | ≤ 1.5x |\n",
           kinds[j], per[3][j] / per[1][j], cpu[3][j] / cpu[1][j]);
  for (int k = 1; k < 4; k++)
    printf("| per-hop cost, text passed / literal, %d-task chain (wall; CPU) | %.2fx; CPU %.2fx "
           "| ≤ 1.3x |\n",
           sizes[k], per[k][1] / per[k][0], cpu[k][1] / cpu[k][0]);
}

/* 3. Parallel efficiency: critical path / wall time on layered DAGs of
 * debug-sleep tasks when workers suffice. */
static void parallel_efficiency(baton *ctx, int workers) {
  int widths[] = {2, 4};
  for (int k = 0; k < 2; k++) {
    int width = widths[k] <= workers ? widths[k] : workers, depth = 5, ms = 100;
    char arg[16];
    snprintf(arg, sizeof arg, "%d", ms);
    char *plan = make_plan("layers", width * depth, "debug-sleep", arg, width);
    double t = run_plan(ctx, plan, NULL);
    free(plan);
    double critical = depth * ms / 1000.0;
    printf("| parallel efficiency, %dx%d DAG of %d ms sleeps (critical path / wall) | %.3f "
           "| ≥ 0.95 |\n",
           width, depth, ms, critical / t);
  }
}

int main(int argc, char **argv) {
  int workers = argc > 1 ? atoi(argv[1]) : 4;
  char home[] = "/tmp/baton-bench-XXXXXX";
  if (!mkdtemp(home)) {
    perror("mkdtemp");
    return 1;
  }
  char cfgpath[256];
  snprintf(cfgpath, sizeof cfgpath, "%s/config.yaml", home);
  FILE *f = fopen(cfgpath, "w");
  if (!f) {
    perror(cfgpath);
    return 1;
  }
  fprintf(f, "workers: %d\nlimits: {tasks: 10000}\n", workers > 0 ? workers : 4);
  fclose(f);
  setenv("BATON_HOME", home, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  baton *ctx = NULL;
  if (baton_open(cfgpath, &ctx) != BATON_OK) {
    fprintf(stderr, "runtime_bench: %s\n", baton_errmsg(ctx));
    return 1;
  }
  printf("runtime benchmark: workers=%d, debug executors, %s\n\n", workers, home);
  if (argc > 4) {
    one_case(ctx, argv[2], atoi(argv[3]), atoi(argv[4]));
  } else {
    dispatch_latency(ctx);
    overhead_per_task(ctx);
    parallel_efficiency(ctx, workers);
  }
  baton_close(ctx);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
  if (system(cmd) != 0)
    fprintf(stderr, "runtime_bench: could not remove %s\n", home);
  return 0;
}

/* queue_bench.c — the task queue on a real redis-server: overhead per task against local worker processes, and debug-spin throughput with 1 and 2 workers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "support/redis.h"
#include "bench_stats.h"

#define N_LATENCY 200
#define SPIN_MS "100"
#define SPIN_RUNS 10
#define SPIN_TASKS 4

static baton *open_with(const char *cfg_path, const char *text) {
  FILE *f = fopen(cfg_path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
    fprintf(stderr, "queue_bench: cannot write %s\n", cfg_path);
    exit(1);
  }
  baton *ctx = NULL;
  if (baton_open(cfg_path, &ctx) != BATON_OK) {
    fprintf(stderr, "queue_bench: %s\n", baton_errmsg(ctx));
    exit(1);
  }
  return ctx;
}

/* p50 and p95 of N_LATENCY one-task runs of debug-echo, in ms. */
static void latency(baton *ctx, double *p50, double *p95) {
  double v[N_LATENCY];
  for (int i = -10; i < N_LATENCY; i++) { /* ten to warm up */
    char *js = NULL;
    double t0 = bench_now_ms();
    if (baton_task(ctx, "debug-echo", "{\"text\":\"ping\"}", NULL, NULL, &js) != BATON_OK) {
      fprintf(stderr, "queue_bench: %s\n", baton_errmsg(ctx));
      exit(1);
    }
    if (i >= 0)
      v[i] = bench_now_ms() - t0;
    baton_free(js);
  }
  *p50 = bench_percentile(v, N_LATENCY, 0.5);
  *p95 = bench_percentile(v, N_LATENCY, 0.95);
}

static pid_t worker(const char *prog, const char *url, const char *name, const char *cfg) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(prog, prog, "--queue", url, "--name", name, "--concurrency", "1", "--tasks",
          "debug-echo,debug-spin", "--config", cfg, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static void wait_workers(baton *ctx, int n) {
  for (int i = 0; i < 1000; i++) {
    char *js = NULL;
    int have = 0;
    if (baton_workers_json(ctx, &js) == BATON_OK)
      for (const char *p = js; (p = strstr(p, "\"name\"")); p++)
        have++;
    baton_free(js);
    if (have >= n)
      return;
    usleep(20 * 1000);
  }
  fprintf(stderr, "queue_bench: the workers did not come up\n");
  exit(1);
}

/* Seconds to run SPIN_RUNS runs of SPIN_TASKS parallel debug-spin tasks. */
static double spin(baton *ctx) {
  char plan[1024] = "[";
  for (int k = 0; k < SPIN_TASKS; k++)
    snprintf(plan + strlen(plan), sizeof plan - strlen(plan),
             "%s{\"task\":\"debug-spin\",\"id\":%d,\"dep\":[-1],\"args\":{\"text\":\"" SPIN_MS
             "\"}}",
             k ? "," : "", k);
  strcat(plan, "]");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan};
  baton_run *runs[SPIN_RUNS];
  double t0 = bench_now_ms();
  for (int i = 0; i < SPIN_RUNS; i++)
    if (baton_submit(ctx, &req, NULL, NULL, &runs[i]) != BATON_OK) {
      fprintf(stderr, "queue_bench: %s\n", baton_errmsg(ctx));
      exit(1);
    }
  for (int i = 0; i < SPIN_RUNS; i++) {
    if (baton_run_wait(runs[i]) != BATON_OK)
      fprintf(stderr, "queue_bench: a spin run failed: %s\n", baton_run_result_json(runs[i]));
    baton_run_free(runs[i]);
  }
  return (bench_now_ms() - t0) / 1e3;
}

int main(int argc, char **argv) {
  const char *prog = argc > 1 ? argv[1] : "./baton-worker";
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_HOME");
  char dir[] = "/tmp/baton-queue-bench-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  bt_redis r;
  if (!bt_redis_start(&r, dir)) {
    fprintf(stderr, "queue_bench: redis-server did not start\n");
    return 1;
  }
  char cfg[512], text[1024];
  snprintf(cfg, sizeof cfg, "%s/config.yaml", dir);
  /* Baseline: the same tasks in local worker processes (isolation: always). */
  snprintf(text, sizeof text, "home: %s/home-local\nisolation: always\nworkers: 4\n", dir);
  baton *local = open_with(cfg, text);
  double l50, l95;
  latency(local, &l50, &l95);
  baton_close(local);
  snprintf(text, sizeof text, "home: %s/home-queue\nworkers: 4\nqueue:\n  url: %s\n", dir, r.url);
  baton *q = open_with(cfg, text);
  pid_t w1 = worker(prog, r.url, "bench1", cfg);
  wait_workers(q, 1);
  double q50, q95;
  latency(q, &q50, &q95);
  double one = spin(q);
  pid_t w2 = worker(prog, r.url, "bench2", cfg);
  wait_workers(q, 2);
  double two = spin(q);
  baton_close(q);
  kill(w1, SIGTERM);
  kill(w2, SIGTERM);
  waitpid(w1, NULL, 0);
  waitpid(w2, NULL, 0);
  bt_redis_stop(&r);
  printf("one debug-echo task (ms)       p50      p95\n");
  printf("  local worker process     %8.2f %8.2f\n", l50, l95);
  printf("  queue worker (unix sock) %8.2f %8.2f\n", q50, q95);
  printf("  queue overhead           %8.2f %8.2f\n", q50 - l50, q95 - l95);
  int n = SPIN_RUNS * SPIN_TASKS;
  printf("debug-spin %s ms x %d tasks: 1 worker %.2f s (%.1f tasks/s), 2 workers %.2f s "
         "(%.1f tasks/s), speed-up %.2fx\n",
         SPIN_MS, n, one, n / one, two, n / two, one / two);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}

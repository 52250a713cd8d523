/* daemon_bench.c — batond throughput and latency with 1/16/128 clients on debug executors, memory idle and under load, time to ready (docs/benchmarks.md, "Daemon"). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/rpc_client.h"
#include "core/banned.h"

static char sock[512];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6))
      kb = strtol(line + 6, NULL, 10);
  if (f)
    fclose(f);
  return kb;
}

typedef struct worker {
  pthread_t th;
  int runs;
  double *lat;
  int ok;
} worker;

static const char plan_text[] =
    "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"ping\"}}]";

static void *client_main(void *arg) {
  worker *w = arg;
  baton__rpc_conn *c = baton__rpc_connect(sock);
  if (!c)
    return NULL;
  cJSON *params = cJSON_CreateObject();
  cJSON_AddItemToObject(params, "plan", cJSON_Parse(plan_text));
  for (int i = 0; i < w->runs; i++) {
    double t0 = now_s();
    cJSON *reply = NULL;
    if (baton__rpc_call(c, "submit", params, NULL, NULL, &reply) != 0)
      break;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(reply, "result");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");
    if (cJSON_IsString(st) && !strcmp(st->valuestring, "done")) {
      w->ok++;
    } else {
      char *txt = cJSON_PrintUnformatted(reply);
      fprintf(stderr, "daemon_bench: a run did not succeed: %.600s\n", txt ? txt : "?");
      cJSON_free(txt);
    }
    w->lat[i] = now_s() - t0;
    cJSON_Delete(reply);
  }
  cJSON_Delete(params);
  baton__rpc_close(c);
  return NULL;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* One load level; returns the peak RSS seen (kB). */
static long level(pid_t daemon, int clients, int total) {
  int per = total / clients;
  if (per < 1)
    per = 1;
  worker *ws = calloc((size_t)clients, sizeof *ws);
  double *all = calloc((size_t)clients * (size_t)per, sizeof *all);
  double t0 = now_s();
  for (int i = 0; i < clients; i++) {
    ws[i].runs = per;
    ws[i].lat = all + (size_t)i * (size_t)per;
    pthread_create(&ws[i].th, NULL, client_main, &ws[i]);
  }
  long peak = 0;
  for (int i = 0; i < clients; i++) {
    if (i == clients / 2) {
      long r = rss_kb(daemon);
      peak = r > peak ? r : peak;
    }
    pthread_join(ws[i].th, NULL);
  }
  double secs = now_s() - t0;
  int ok = 0;
  for (int i = 0; i < clients; i++)
    ok += ws[i].ok;
  size_t n = (size_t)clients * (size_t)per;
  qsort(all, n, sizeof *all, cmp_d);
  long r = rss_kb(daemon);
  peak = r > peak ? r : peak;
  printf("| %4d | %6zu | %5d | %8.0f | %7.2f | %7.2f | %7.1f |\n", clients, n, ok, (double)ok / secs,
         all[n / 2] * 1000, all[(size_t)((double)n * 0.99)] * 1000, (double)peak / 1024.0);
  fflush(stdout);
  free(all);
  free(ws);
  return peak;
}

int main(int argc, char **argv) {
  const char *batond = argc > 1 ? argv[1] : "./batond";
  int total = argc > 2 ? atoi(argv[2]) : 4000;
  char dir[] = "/tmp/baton-bench-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  char home[600];
  snprintf(home, sizeof home, "%s/home", dir);
  snprintf(sock, sizeof sock, "%s/run/b.sock", dir);
  setenv("BATON_HOME", home, 1);
  setenv("BATON_SOCKET", sock, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_CONFIG");
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");

  /* Time to ready, measured on the second start (the first seeds the
   * registry, once per data folder). */
  double ready_ms[2] = {0, 0};
  pid_t pid = 0;
  for (int round = 0; round < 2; round++) {
    double t0 = now_s();
    pid = fork();
    if (pid == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0)
        dup2(devnull, 2);
      execl(batond, "batond", "--foreground", (char *)NULL);
      _exit(127);
    }
    baton__rpc_conn *c = NULL;
    while (!(c = baton__rpc_connect(sock))) {
      if (now_s() - t0 > 20 || waitpid(pid, NULL, WNOHANG) != 0) {
        fprintf(stderr, "daemon_bench: %s did not start\n", batond);
        return 1;
      }
      struct timespec ts = {0, 200000};
      nanosleep(&ts, NULL);
    }
    ready_ms[round] = (now_s() - t0) * 1000;
    baton__rpc_close(c);
    if (round == 0) {
      kill(pid, SIGTERM);
      waitpid(pid, NULL, 0);
    }
  }
  struct timespec settle = {0, 300 * 1000 * 1000};
  nanosleep(&settle, NULL);
  long idle = rss_kb(pid);
  printf("batond ready in %.1f ms (first start, seeding the registry: %.1f ms); "
         "idle RSS %.1f MB\n\n",
         ready_ms[1], ready_ms[0], (double)idle / 1024.0);
  printf("| clients | runs | ok | runs/s | p50 ms | p99 ms | daemon RSS MB |\n");
  printf("|---:|---:|---:|---:|---:|---:|---:|\n");
  long peak = 0;
  int levels[] = {1, 16, 128};
  for (int i = 0; i < 3; i++) {
    long p = level(pid, levels[i], levels[i] == 1 ? total / 4 : total);
    peak = p > peak ? p : peak;
  }
  nanosleep(&settle, NULL);
  printf("\nidle RSS after the load: %.1f MB; peak under load: %.1f MB\n",
         (double)rss_kb(pid) / 1024.0, (double)peak / 1024.0);
  kill(pid, SIGTERM);
  int st;
  waitpid(pid, &st, 0);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "daemon_bench: could not remove %s\n", dir);
  return 0;
}

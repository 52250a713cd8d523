/* net_bench.c — the model-server client: overhead per remote request, a 10 MB upload against curl's CLI, throughput over replicas. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "net/http.h"
#include "net/pool.h"
#include "support/fake_http.h"
#include "bench_stats.h"

#define MAX_REPLICAS 4

/* A config of n endpoints (the fakes) all serving model "m". */
typedef struct bench_cfg {
  baton__config cfg;
  baton__endpoint_cfg eps[MAX_REPLICAS];
  baton__endpoint_model model;
  char urls[MAX_REPLICAS][80];
  char names[MAX_REPLICAS][16];
} bench_cfg;

static char *task_names[] = {"summarization"};

static baton__pool *pool_of(bench_cfg *b, fake_http *const *srv, int n) {
  memset(b, 0, sizeof *b);
  b->model = (baton__endpoint_model){.id = "m", .tasks = task_names, .n_tasks = 1};
  for (int i = 0; i < n; i++) {
    snprintf(b->names[i], sizeof b->names[i], "r%d", i);
    snprintf(b->urls[i], sizeof b->urls[i], "%s/v1", fake_http_url(srv[i]));
    b->eps[i] = (baton__endpoint_cfg){.name = b->names[i], .base_url = b->urls[i],
                                      .max_inflight = 4, .models = &b->model, .n_models = 1};
  }
  b->cfg.endpoints = b->eps;
  b->cfg.n_endpoints = (size_t)n;
  char err[128];
  return baton__pool_new(&b->cfg, err, sizeof err);
}

static char kb_body[1025];

static void answer(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req;
  resp->body = kb_body;
  resp->delay_ms = *(int *)ud;
}

static int post_kb(baton__pool *pool, baton__http_response *resp) {
  baton__http_request req = {.body = kb_body, .body_len = 1024};
  char ep[16], err[256];
  baton__pool_status st =
      baton__pool_http(pool, "m", "/embeddings", &req, 10000, resp, ep, sizeof ep, err, sizeof err);
  if (st != BATON__POOL_OK)
    fprintf(stderr, "request failed: %s\n", err);
  return st == BATON__POOL_OK ? 0 : -1;
}

/* 1. One remote request, 1 KB each way, against a server that answers at once. */
static void bench_overhead(int n) {
  int delay = 0;
  fake_http *srv = fake_http_start();
  fake_http_set_handler(srv, answer, &delay);
  bench_cfg b;
  baton__pool *pool = pool_of(&b, &srv, 1);
  baton__http_response resp;
  baton__http_response_init(&resp);
  double *t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < 50; i++) /* warm-up */
    post_kb(pool, &resp);
  for (int i = 0; i < n; i++) {
    double t0 = bench_now_ms();
    post_kb(pool, &resp);
    t[i] = bench_now_ms() - t0;
  }
  double p50 = bench_percentile(t, n, 0.5), p99 = bench_percentile(t, n, 0.99);
  printf("overhead: %d requests (1 KB up, 1 KB down, pool + HTTP + new connection): "
         "p50 %.3f ms, p99 %.3f ms\n", n, p50, p99);
  free(t);
  baton__http_response_release(&resp);
  baton__pool_free(pool);
  fake_http_stop(srv);
}

/* 2. A 10 MB multipart upload, ours against curl's command-line tool. */
static void bench_upload(int runs) {
  fake_http *srv = fake_http_start();
  char path[] = "/tmp/net_bench_XXXXXX";
  int fd = mkstemp(path);
  size_t size = 10u * 1024u * 1024u;
  char *data = malloc(size);
  for (size_t i = 0; i < size; i++)
    data[i] = (char)(i * 2654435761u >> 24);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
    fprintf(stderr, "cannot write %s\n", path);
    return;
  }
  close(fd);
  double *ours = calloc((size_t)runs, sizeof *ours), *theirs = calloc((size_t)runs, sizeof *theirs);
  char cmd[512];
  /* curl's own transfer time (-w time_total), without its process start. */
  snprintf(cmd, sizeof cmd,
           "curl -s -o /dev/null -w '%%{time_total}' -F model=m -F 'file=@%s;type=audio/wav' %s/v1/x",
           path, fake_http_url(srv));
  for (int i = 0; i < runs * 2; i++)
    fake_http_push_json(srv, 200, "{\"text\":\"ok\"}");
  baton__http_part parts[] = {{.name = "model", .value = "m"},
                              {.name = "file", .path = path, .content_type = "audio/wav"}};
  char url[128];
  snprintf(url, sizeof url, "%s/v1/x", fake_http_url(srv));
  baton__http_request req = {.url = url, .parts = parts, .n_parts = 2, .timeout_ms = 60000};
  baton__http_response resp;
  baton__http_response_init(&resp);
  for (int i = 0; i < runs; i++) {
    double t0 = bench_now_ms();
    if (baton__http_perform(&req, &resp) != BATON__HTTP_OK)
      fprintf(stderr, "upload failed: %s\n", resp.err);
    ours[i] = bench_now_ms() - t0;
    FILE *p = popen(cmd, "r");
    double secs = -1;
    if (!p || fscanf(p, "%lf", &secs) != 1)
      fprintf(stderr, "curl failed\n");
    if (p)
      pclose(p);
    theirs[i] = secs * 1e3;
  }
  double a = bench_percentile(ours, runs, 0.5), c = bench_percentile(theirs, runs, 0.5);
  printf("upload: 10 MB multipart file, median of %d: baton %.1f ms, curl CLI %.1f ms "
         "(its own time_total; baton/curl %.2f)\n", runs, a, c, a / c);
  baton__http_response_release(&resp);
  free(ours);
  free(theirs);
  free(data);
  unlink(path);
  fake_http_stop(srv);
}

typedef struct load {
  baton__pool *pool;
  atomic_int *left;
  int failures;
} load;

static void *load_main(void *arg) {
  load *l = arg;
  baton__http_response resp;
  baton__http_response_init(&resp);
  while (atomic_fetch_sub(l->left, 1) > 0)
    if (post_kb(l->pool, &resp) != 0)
      l->failures++;
  baton__http_response_release(&resp);
  return NULL;
}

/* Requests per second over n replicas answering in delay ms, 32 callers. */
static double throughput(int replicas, int requests, int delay) {
  fake_http *srv[MAX_REPLICAS];
  for (int i = 0; i < replicas; i++) {
    srv[i] = fake_http_start();
    fake_http_set_handler(srv[i], answer, &delay);
  }
  bench_cfg b;
  baton__pool *pool = pool_of(&b, srv, replicas);
  atomic_int left = requests;
  load l[32];
  pthread_t th[32];
  double t0 = bench_now_ms();
  for (int i = 0; i < 32; i++) {
    l[i] = (load){.pool = pool, .left = &left};
    pthread_create(&th[i], NULL, load_main, &l[i]);
  }
  int failures = 0;
  for (int i = 0; i < 32; i++) {
    pthread_join(th[i], NULL);
    failures += l[i].failures;
  }
  double secs = (bench_now_ms() - t0) / 1e3;
  if (failures)
    fprintf(stderr, "%d requests failed\n", failures);
  baton__pool_free(pool);
  for (int i = 0; i < replicas; i++)
    fake_http_stop(srv[i]);
  return requests / secs;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  memset(kb_body, 'x', 1024);
  memcpy(kb_body, "{\"data\":\"", 9);
  memcpy(kb_body + 1022, "\"}", 2);
  bench_overhead(n > 0 ? n : 2000);
  bench_upload(9);
  int delay = 50;
  double one = throughput(1, 200, delay);
  double four = throughput(4, 800, delay);
  printf("throughput: answers in %d ms, max_inflight 4, 32 callers: 1 replica %.1f req/s, "
         "4 replicas %.1f req/s (%.2fx)\n", delay, one, four, four / one);
  return 0;
}

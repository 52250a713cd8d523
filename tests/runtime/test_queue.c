/* test_queue.c — local tasks on baton-workers through a real redis-server: sharing, crashes, restarts, limits, resume. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "support/redis.h"
#include "support/support.h"

#define MAX_WORKERS 4

static struct {
  char *dir;
  bt_redis redis;
  char cfg[512];
  pid_t workers[MAX_WORKERS];
  int n_workers;
  bool url_from_config; /* workers are given no --queue: the config's queue.url */
} T;

/* A redis-server and a config naming it. */
static void start(long claim_ms, long blob_max, long task_timeout_ms) {
  T.dir = bt_tmpdir();
  cr_assert(bt_redis_start(&T.redis, T.dir), "redis-server did not start (is it installed?)");
  snprintf(T.cfg, sizeof T.cfg, "%s/config.yaml", T.dir);
  char text[2048];
  snprintf(text, sizeof text,
           "home: %s/home\ntask_timeout_ms: %ld\nqueue:\n  url: %s\n  claim_after_ms: %ld\n"
           "  blob_max_bytes: %ld\n",
           T.dir, task_timeout_ms, T.redis.url, claim_ms, blob_max);
  bt_write(T.cfg, text);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  setenv("TMPDIR", T.dir, 1); /* a killed worker's folders go with the test's */
  unsetenv("BATON_HOME");
}

static void stop_worker(int i, int sig) {
  if (T.workers[i] <= 0)
    return;
  kill(T.workers[i], sig);
  waitpid(T.workers[i], NULL, 0);
  T.workers[i] = -1;
}

static void finish(void) {
  /* All are told at once: each takes up to its queue read's second to leave. */
  for (int i = 0; i < T.n_workers; i++)
    if (T.workers[i] > 0)
      kill(T.workers[i], SIGTERM);
  for (int i = 0; i < T.n_workers; i++)
    stop_worker(i, SIGTERM);
  bt_redis_stop(&T.redis);
  bt_rmtree(T.dir);
  free(T.dir);
  memset(&T, 0, sizeof T);
}

/* Starts baton-worker NAME serving TASKS; as_nobody runs it as another user in "/". */
static int worker(const char *name, const char *tasks, int concurrency, bool as_nobody) {
  const char *bin = getenv("BATON_BIN_DIR");
  cr_assert_not_null(bin, "BATON_BIN_DIR is set by ctest");
  char prog[512], conc[16], log[512];
  snprintf(prog, sizeof prog, "%s/baton-worker", bin);
  snprintf(conc, sizeof conc, "%d", concurrency);
  snprintf(log, sizeof log, "%s/%s.log", T.dir, name);
  pid_t test = getpid(), pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    setpgid(0, 0); /* its executor processes too can be killed at once */
    FILE *f = freopen(log, "w", stderr);
    (void)f;
    if (as_nobody) {
      if (chdir("/") != 0 || setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        _exit(126);
      setenv("HOME", "/", 1);
      unsetenv("TMPDIR"); /* its own machine's */
    }
    bt_die_with_parent(test); /* its own group escapes Criterion's kill of a timed-out test's */
    /* The config gives it claim_after_ms and blob_max_bytes. */
    if (T.url_from_config)
      execl(prog, prog, "--name", name, "--concurrency", conc, "--tasks", tasks, "--config",
            T.cfg, (char *)NULL);
    else
      execl(prog, prog, "--queue", T.redis.url, "--name", name, "--concurrency", conc, "--tasks",
            tasks, "--config", T.cfg, (char *)NULL);
    _exit(127);
  }
  T.workers[T.n_workers] = pid;
  return T.n_workers++;
}

static baton *open_ctx(void) {
  baton *ctx = NULL;
  baton_rc rc = baton_open(T.cfg, &ctx);
  cr_assert_eq(rc, BATON_OK, "baton_open: %s", baton_errmsg(ctx));
  return ctx;
}

/* The live workers; waits until there are at least n. */
static cJSON *workers(baton *ctx, int n) {
  for (long until = bt_now_ms() + BT_WAIT_MS;; bt_nap_ms(20)) {
    char *js = NULL;
    cr_assert_eq(baton_workers_json(ctx, &js), BATON_OK, "%s", baton_errmsg(ctx));
    cJSON *arr = cJSON_Parse(js);
    baton_free(js);
    if (cJSON_GetArraySize(arr) >= n)
      return arr;
    cJSON_Delete(arr);
    cr_assert_lt(bt_now_ms(), until, "only some of %d workers came up", n);
  }
}

/* Worker `name`'s last heartbeat in the list, or NULL. */
static const cJSON *find_worker(const cJSON *arr, const char *name) {
  const cJSON *w;
  char host[128], full[256];
  gethostname(host, sizeof host);
  snprintf(full, sizeof full, "%s:%s", host, name);
  cJSON_ArrayForEach(w, arr) {
    const cJSON *nm = cJSON_GetObjectItem(w, "name");
    if (cJSON_IsString(nm) && strcmp(nm->valuestring, full) == 0)
      return w;
  }
  return NULL;
}

static double worker_num(baton *ctx, const char *name, const char *key) {
  cJSON *arr = workers(ctx, 1);
  const cJSON *w = find_worker(arr, name);
  double v = w ? cJSON_GetObjectItem(w, key)->valuedouble : -1;
  cJSON_Delete(arr);
  return v;
}

/* The "done" count of worker `name` in its first heartbeat sent after the
 * wall-clock time `after` that shows it idle: by then it has counted every
 * task it finished before `after`. */
static double done_when_idle_after(baton *ctx, const char *name, double after) {
  for (long until = bt_now_ms() + BT_WAIT_MS;; bt_nap_ms(50)) {
    cJSON *arr = workers(ctx, 1);
    const cJSON *w = find_worker(arr, name);
    double seen = w ? cJSON_GetObjectItem(w, "last_seen")->valuedouble : 0;
    double busy = w ? cJSON_GetObjectItem(w, "in_flight")->valuedouble : 1;
    double done = w ? cJSON_GetObjectItem(w, "done")->valuedouble : -1;
    cJSON_Delete(arr);
    if (seen > after && busy == 0)
      return done;
    cr_assert_lt(bt_now_ms(), until, "no heartbeat of an idle %s", name);
  }
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Events of one run: task.finished per task id, and any waiting note. */
typedef struct counts {
  atomic_int finished[8];
  atomic_int waiting;
  char note[256];
} counts;

static void count(void *ud, const baton_event *ev) {
  counts *c = ud;
  if (ev->type == BATON_EVENT_TASK_FINISHED && ev->task_id >= 0 && ev->task_id < 8)
    atomic_fetch_add(&c->finished[ev->task_id], 1);
  if (ev->type == BATON_EVENT_TASK_WAITING && ev->text) {
    atomic_fetch_add(&c->waiting, 1);
    snprintf(c->note, sizeof c->note, "%s", ev->text);
  }
}

/* A plan of n independent tasks of one kind with one text. */
static char *plan(const char *task, int n, const char *text) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "task", task);
    cJSON_AddNumberToObject(t, "id", i);
    cJSON *dep = cJSON_AddArrayToObject(t, "dep");
    cJSON_AddItemToArray(dep, cJSON_CreateNumber(-1));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(t, "args"), "text", text);
    cJSON_AddItemToArray(arr, t);
  }
  char *s = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  return s;
}

static const cJSON *task_of(const cJSON *res, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), i);
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* Submits n runs of a plan, waits for all and checks that every task is
 * done once, with the expected text. Returns how many tasks each worker ran
 * (by name, in names[]); *n_names set. */
static void run_all(baton *ctx, int n, const char *pj, int tasks, const char *want,
                    char names[][128], int *counts_by, int *n_names) {
  baton_run **runs = calloc((size_t)n, sizeof *runs);
  counts *c = calloc((size_t)n, sizeof *c);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
  for (int i = 0; i < n; i++)
    cr_assert_eq(baton_submit(ctx, &req, count, &c[i], &runs[i]), BATON_OK, "%s",
                 baton_errmsg(ctx));
  for (int i = 0; i < n; i++) {
    baton_rc rc = baton_run_wait(runs[i]);
    cJSON *res = cJSON_Parse(baton_run_result_json(runs[i]));
    cr_assert_eq(rc, BATON_OK, "run %d: %s", i, baton_run_result_json(runs[i]));
    for (int k = 0; k < tasks; k++) {
      const cJSON *t = task_of(res, k);
      cr_assert_str_eq(str(t, "status"), "done");
      cr_assert_str_eq(str(cJSON_GetObjectItem(t, "outputs"), "text"), want);
      cr_assert_eq(atomic_load(&c[i].finished[k]), 1, "run %d task %d finished %d times", i, k,
                   atomic_load(&c[i].finished[k]));
      const char *w = str(t, "worker");
      cr_assert(w[0], "task %d names no worker", k);
      int j = 0;
      while (j < *n_names && strcmp(names[j], w) != 0)
        j++;
      if (j == *n_names && j < MAX_WORKERS) {
        snprintf(names[j], 128, "%s", w);
        counts_by[j] = 0;
        (*n_names)++;
      }
      if (j < MAX_WORKERS)
        counts_by[j]++;
    }
    cJSON_Delete(res);
    baton_run_free(runs[i]);
  }
  free(runs);
  free(c);
}

Test(runtime_queue, three_workers_share_200_tasks_over_50_runs, .fini = finish, .timeout = 120) {
  start(30000, 1 << 20, 20000);
  for (int i = 0; i < 3; i++) {
    char name[16];
    snprintf(name, sizeof name, "w%d", i);
    worker(name, "debug-sleep,debug-echo", 1, false);
  }
  baton *ctx = open_ctx();
  cJSON *live = workers(ctx, 3);
  const cJSON *w;
  cJSON_ArrayForEach(w, live) {
    cJSON *t = cJSON_GetObjectItem(w, "tasks");
    cr_assert_eq(cJSON_GetArraySize(t), 2, "each worker serves the two tasks it was given");
  }
  cJSON_Delete(live);
  char *pj = plan("debug-sleep", 4, "10");
  char names[MAX_WORKERS][128];
  int by[MAX_WORKERS] = {0}, n = 0;
  run_all(ctx, 50, pj, 4, "slept 10 ms", names, by, &n);
  free(pj);
  cr_assert_eq(n, 3, "all three workers took tasks (%d did)", n);
  cr_assert_eq(by[0] + by[1] + by[2], 200);
  baton_close(ctx);
}

Test(runtime_queue, a_worker_killed_mid_task_loses_nothing, .fini = finish, .timeout = 120) {
  start(500, 1 << 20, 20000);
  worker("doomed", "debug-sleep", 1, false);
  worker("survivor", "debug-sleep", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 2));
  baton_run **runs = calloc(3, sizeof *runs);
  counts c[3];
  memset(c, 0, sizeof c);
  char *pj = plan("debug-sleep", 2, "200");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
  for (int i = 0; i < 3; i++)
    cr_assert_eq(baton_submit(ctx, &req, count, &c[i], &runs[i]), BATON_OK);
  for (long until = bt_now_ms() + BT_WAIT_MS; worker_num(ctx, "doomed", "in_flight") < 1;
       bt_nap_ms(10))
    cr_assert_lt(bt_now_ms(), until, "the worker never took a task");
  stop_worker(0, SIGKILL);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(baton_run_wait(runs[i]), BATON_OK, "%s", baton_run_result_json(runs[i]));
    cJSON *res = cJSON_Parse(baton_run_result_json(runs[i]));
    for (int k = 0; k < 2; k++) {
      cr_assert_str_eq(str(cJSON_GetObjectItem(task_of(res, k), "outputs"), "text"), "slept 200 ms");
      cr_assert_eq(atomic_load(&c[i].finished[k]), 1, "every task's result is used once");
    }
    cJSON_Delete(res);
    baton_run_free(runs[i]);
  }
  free(runs);
  free(pj);
  baton_close(ctx);
}

/* The OCR text of examples/sign.png, by a worker named `who`. */
static void ocr_on(baton *ctx, const char *root, const char *who) {
  char *js = NULL;
  baton_rc rc = baton_task(ctx, "image-to-text", "{\"image\":\"sign.png\"}", NULL, root, &js);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  cr_assert(strstr(str(cJSON_GetObjectItem(t, "outputs"), "text"), "Library"),
            "OCR text: %s", str(cJSON_GetObjectItem(t, "outputs"), "text"));
  char host[128], want[256];
  gethostname(host, sizeof host);
  snprintf(want, sizeof want, "%s:%s", host, who);
  cr_assert_str_eq(str(t, "worker"), want);
  cJSON_Delete(t);
}

Test(runtime_queue, a_queued_task_writes_the_file_name_and_format_asked_for, .fini = finish,
     .timeout = 120) {
  start(30000, 1 << 20, 60000);
  worker("img", "image-to-image", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  char *examples = bt_source_path("examples"), *js = NULL;
  baton_rc rc = baton_task(ctx, "image-to-image", "{\"image\":\"sign.png\",\"instruction\":"
                           "\"make it black and white\",\"save_as\":\"bw.jpg\"}", NULL,
                           examples, &js);
  free(examples);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  cr_assert(strstr(str(t, "worker"), ":img"), "ran on %s", str(t, "worker"));
  bt_assert_jpeg_named(str(cJSON_GetObjectItem(t, "outputs"), "image"), "bw.jpg");
  cJSON_Delete(t);
  baton_close(ctx);
}

/* What a stand-in for a test's process started: its redis-server, its worker and its folder. */
static struct {
  pid_t redis, worker;
  char dir[256];
} left;

/* A process left running, not a zombie init has yet to reap? */
static bool running(pid_t pid) {
  char path[64], st[512] = "";
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = '\0';
  const char *paren = strrchr(st, ')'); /* "pid (name) S ..." */
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static void kill_left(void) {
  pid_t pids[] = {left.redis, left.worker};
  for (size_t i = 0; i < 2; i++)
    if (pids[i] > 0 && running(pids[i]))
      kill(pids[i], SIGKILL); /* the test's own cleanup: what the fixtures failed to stop */
  if (left.dir[0])
    bt_rmtree(left.dir);
  memset(&left, 0, sizeof left);
}

/* A test killed by its timeout (Criterion kills its process group and runs no .fini) leaves no
 * redis-server or baton-worker running, the worker in a group of its own included: both follow
 * the test's process out. */
Test(runtime_queue, a_test_killed_by_its_timeout_leaves_no_process_running, .fini = kill_left,
     .timeout = 120) { /* longer than BT_WAIT_MS: its fini must run when it fails */
  int p[2];
  cr_assert_eq(pipe(p), 0);
  pid_t sim = fork(); /* stands for a test's process */
  cr_assert_geq(sim, 0);
  if (sim == 0) {
    close(p[0]);
    start(30000, 1 << 20, 20000);
    worker("w", "debug-echo", 1, false);
    dprintf(p[1], "%d %d %s\n", (int)T.redis.pid, (int)T.workers[0], T.dir);
    close(p[1]);
    for (;;)
      pause();
  }
  close(p[1]);
  char line[512] = "";
  ssize_t n = read(p[0], line, sizeof line - 1);
  close(p[0]);
  int r = 0, w = 0;
  if (n > 0)
    sscanf(line, "%d %d %255s", &r, &w, left.dir);
  left.redis = r;
  left.worker = w;
  kill(sim, SIGKILL); /* as Criterion's timeout does */
  waitpid(sim, NULL, 0);
  cr_assert(r > 0 && w > 0, "the stand-in started nothing: %s", line);
  for (long until = bt_now_ms() + BT_WAIT_MS; running(r) || running(w); bt_nap_ms(20))
    cr_assert_lt(bt_now_ms(), until, "left running:%s%s", running(r) ? " redis-server" : "",
                 running(w) ? " baton-worker" : "");
}

/* sentiment and textcat both serve text-classification: two streams, one task kind. */
Test(runtime_queue, a_kind_two_executors_serve_is_listed_once, .fini = finish, .timeout = 60) {
  start(30000, 1 << 20, 20000);
  worker("classify", "text-classification", 1, false);
  baton *ctx = open_ctx();
  cJSON *live = workers(ctx, 1);
  const cJSON *w = find_worker(live, "classify");
  cr_assert_not_null(w);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(w, "streams")), 2,
               "sentiment and textcat each give a stream");
  const cJSON *t = cJSON_GetObjectItem(w, "tasks");
  cr_assert_eq(cJSON_GetArraySize(t), 1, "text-classification is listed once");
  cr_assert_str_eq(cJSON_GetArrayItem(t, 0)->valuestring, "text-classification");
  cJSON_Delete(live);
  baton_close(ctx);
}

Test(runtime_queue, a_worker_without_ocr_never_takes_ocr, .fini = finish, .timeout = 120) {
  start(30000, 1 << 20, 60000);
  worker("no-ocr", "debug-echo", 2, false);
  worker("ocr", "image-to-text", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 2));
  cr_assert_eq(worker_num(ctx, "ocr", "concurrency"), 1);
  char *examples = bt_source_path("examples");
  ocr_on(ctx, examples, "ocr");
  free(examples);
  char *pj = plan("debug-echo", 3, "hi");
  char names[MAX_WORKERS][128];
  int by[MAX_WORKERS] = {0}, n = 0;
  run_all(ctx, 2, pj, 3, "hi", names, by, &n);
  free(pj);
  cr_assert_eq(n, 1);
  cr_assert(strstr(names[0], ":no-ocr"), "echo ran on %s", names[0]);
  baton_close(ctx);
}

Test(runtime_queue, redis_restarted_mid_run_the_runs_complete, .fini = finish, .timeout = 120) {
  /* A task handed out as Redis went down is pending with nobody on it: it is
   * claimed again after claim_after_ms. */
  start(1000, 1 << 20, 20000);
  worker("w", "debug-sleep", 2, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  /* Each run is a chain of three, so tasks are sent while Redis is down. */
  const char *pj = "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"150\"}},"
                   "{\"task\":\"debug-sleep\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"150\"}},"
                   "{\"task\":\"debug-sleep\",\"id\":2,\"dep\":[1],\"args\":{\"text\":\"150\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
  baton_run *runs[3];
  counts c[3];
  memset(c, 0, sizeof c);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(baton_submit(ctx, &req, count, &c[i], &runs[i]), BATON_OK);
  for (long until = bt_now_ms() + BT_WAIT_MS; atomic_load(&c[0].finished[0]) == 0; bt_nap_ms(5))
    cr_assert_lt(bt_now_ms(), until, "no task finished before the restart");
  bt_redis_stop(&T.redis);
  bt_nap_ms(400); /* Redis stays down a while: tasks are sent meanwhile */
  cr_assert(bt_redis_start(&T.redis, T.dir), "redis-server did not come back");
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(baton_run_wait(runs[i]), BATON_OK, "%s", baton_run_result_json(runs[i]));
    for (int k = 0; k < 3; k++)
      cr_assert_eq(atomic_load(&c[i].finished[k]), 1);
    baton_run_free(runs[i]);
  }
  baton_close(ctx);
}

Test(runtime_queue, a_blob_over_the_limit_fails_clearly_and_sends_nothing, .fini = finish) {
  start(30000, 1024, 20000);
  baton *ctx = open_ctx();
  char *examples = bt_source_path("examples");
  char *js = NULL;
  baton_rc rc = baton_task(ctx, "image-to-text", "{\"image\":\"sign.png\"}", NULL, examples, &js);
  free(examples);
  cr_assert_neq(rc, BATON_OK);
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  const char *err = str(t, "error");
  cr_assert(strstr(err, "sign.png") && strstr(err, "over the queue's blob_max_bytes (1024)"),
            "unclear error: %s", err);
  cJSON_Delete(t);
  char *keys = bt_redis_cmd(&T.redis, "KEYS baton:blob:*");
  cr_assert_str_eq(keys, "*0", "no blob was stored");
  free(keys);
  baton_close(ctx);
}

/* debug-read's text for a file of `size` bytes (its first 4096) read on a worker. */
static void read_on_worker(baton *ctx, const char *name, size_t size) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", T.dir, name);
  char *data = malloc(size + 1);
  memset(data, 'x', size);
  memcpy(data, name, strlen(name));
  data[size] = '\0';
  bt_write(path, data);
  char args[128], *js = NULL;
  snprintf(args, sizeof args, "{\"image\":\"%s\"}", name);
  cr_assert_eq(baton_task(ctx, "debug-read", args, NULL, T.dir, &js), BATON_OK, "%s",
               baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  data[4096] = '\0';
  cr_assert_str_eq(str(cJSON_GetObjectItem(t, "outputs"), "text"), data, "%s came changed", name);
  cJSON_Delete(t);
  free(data);
}

Test(runtime_queue, small_and_large_files_arrive_whole_and_leave_no_blob, .fini = finish,
     .timeout = 120) {
  start(30000, 1 << 20, 20000);
  worker("reader", "debug-read", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  read_on_worker(ctx, "small.png", 5000);  /* inside the job */
  read_on_worker(ctx, "large.png", 600000); /* over the inline budget: a blob */
  char *keys = bt_redis_cmd(&T.redis, "KEYS baton:blob:*");
  cr_assert_str_eq(keys, "*0", "no blob is left once the task is done");
  free(keys);
  baton_close(ctx);
}

Test(runtime_queue, a_task_no_worker_serves_waits_then_fails_with_the_reason, .fini = finish) {
  start(30000, 1 << 20, 500);
  worker("echo-only", "debug-echo", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  char *pj = plan("debug-sleep", 1, "10");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
  counts c;
  memset(&c, 0, sizeof c);
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, count, &c, &run), BATON_OK);
  cr_assert_neq(baton_run_wait(run), BATON_OK);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_str_eq(c.note, "waiting for a worker that serves debug-sleep");
  cr_assert(strstr(str(task_of(res, 0), "error"), "no live worker serves debug-sleep"), "%s",
            str(task_of(res, 0), "error"));
  cJSON_Delete(res);
  baton_run_free(run);
  free(pj);
  baton_close(ctx);
}

/* A config whose queue URL points at nothing. */
static char *nowhere_config(char *cfg, size_t cap, char *url, size_t urlcap) {
  char *dir = bt_tmpdir();
  snprintf(cfg, cap, "%s/config.yaml", dir);
  snprintf(url, urlcap, "unix://%s/none.sock", dir);
  char text[1024];
  snprintf(text, sizeof text, "home: %s/home\nqueue:\n  url: %s\n", dir, url);
  bt_write(cfg, text);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_HOME");
  return dir;
}

Test(runtime_queue, redis_unreachable_fails_a_local_task_with_one_line_naming_the_url) {
  char cfg[512], url[600];
  char *dir = nowhere_config(cfg, sizeof cfg, url, sizeof url);
  baton *ctx = NULL;
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "opening needs no Redis: %s", baton_errmsg(ctx));
  char want[700];
  snprintf(want, sizeof want, "cannot reach the queue at %s", url);
  char *js = NULL;
  cr_assert_neq(baton_task(ctx, "debug-echo", "{\"text\":\"hi\"}", NULL, NULL, &js), BATON_OK);
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  cr_assert(strstr(str(t, "error"), want), "%s", str(t, "error"));
  cr_assert_null(strchr(str(t, "error"), '\n'));
  cJSON_Delete(t);
  cr_assert_neq(baton_workers_json(ctx, &js), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), want), "%s", baton_errmsg(ctx));
  cr_assert_null(strchr(baton_errmsg(ctx), '\n'));
  baton_close(ctx);
  bt_rmtree(dir);
  free(dir);
}

/* Runs the baton CLI with cfg; returns its exit status, *out its stdout. */
static int cli(const char *cfg, const char *args, char **out) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s/baton' --config '%s' %s 2>&1", getenv("BATON_BIN_DIR"), cfg,
           args);
  return bt_run(cmd, out);
}

Test(runtime_queue, commands_that_send_no_task_work_without_redis, .timeout = 60) {
  char cfg[512], url[600];
  char *dir = nowhere_config(cfg, sizeof cfg, url, sizeof url);
  const char *cmds[] = {"models search 'read the text in a photo'",
                        "plan --offline 'read the text in sign.png' --json", "runs list"};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    char *out = NULL;
    int rc = cli(cfg, cmds[i], &out);
    cr_assert_eq(rc, 0, "baton %s: %s", cmds[i], out ? out : "");
    cr_assert_null(strstr(out ? out : "", "queue"), "baton %s: %s", cmds[i], out);
    free(out);
  }
  bt_rmtree(dir);
  free(dir);
}

/* The stored task k of run id as `baton runs show --json` prints it; NULL with *out the
 * command's output while the history has no such run yet (its start is committed in a group). */
static cJSON *shown_task(const char *id, int k, char *said, size_t n) {
  char args[128], *out = NULL;
  snprintf(args, sizeof args, "runs show %s --json", id);
  int rc = cli(T.cfg, args, &out);
  snprintf(said, n, "%s", out ? out : "");
  cr_assert(rc == 0 || strstr(said, "no run"), "%s", said);
  cJSON *run = rc == 0 ? cJSON_Parse(out) : NULL;
  free(out);
  cJSON *t = run ? cJSON_Duplicate(task_of(run, k), 1) : NULL;
  cJSON_Delete(run);
  return t;
}

/* Waits until `baton runs show` has task k in status `status`, naming worker `want`. */
static void await_shown(const char *id, int k, const char *status, const char *want) {
  for (long until = bt_now_ms() + BT_WAIT_MS;; bt_nap_ms(100)) {
    char seen[256];
    cJSON *t = shown_task(id, k, seen, sizeof seen);
    bool ok = t && strcmp(str(t, "status"), status) == 0 && strcmp(str(t, "worker"), want) == 0;
    if (t)
      snprintf(seen, sizeof seen, "%s on '%s'", str(t, "status"), str(t, "worker"));
    cJSON_Delete(t);
    if (ok)
      return;
    cr_assert_lt(bt_now_ms(), until, "task %d: want %s on %s, runs show says %s", k, status, want,
                 seen);
  }
}

Test(runtime_queue, runs_show_names_the_worker_of_tasks_finished_and_running, .fini = finish,
     .timeout = 120) {
  start(30000, 1 << 20, 200000);
  worker("shown", "debug-sleep", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  const char *pj = "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"10\"}},"
                   "{\"task\":\"debug-sleep\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"100000\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  char host[128], want[256];
  gethostname(host, sizeof host);
  snprintf(want, sizeof want, "%s:shown", host);
  await_shown(baton_run_id(run), 0, "done", want);
  await_shown(baton_run_id(run), 1, "running", want);
  baton_run_cancel(run);
  baton_run_wait(run);
  baton_run_free(run);
  kill(-T.workers[0], SIGKILL); /* the worker and its executor, not waiting for the sleep */
  stop_worker(0, SIGKILL);
  baton_close(ctx);
}

Test(runtime_queue, a_killed_coordinator_resumes_with_results_finished_meanwhile, .fini = finish,
     .timeout = 120) {
  start(30000, 1 << 20, 20000);
  worker("w", "debug-sleep", 3, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  baton_close(ctx); /* no thread of this process holds a lock the coordinator inherits */
  /* The tasks outlast two heartbeats, so one shows all three in flight. */
  char *pj = plan("debug-sleep", 3, "2500");
  pid_t test = getpid(), coord = fork();
  cr_assert_geq(coord, 0);
  if (coord == 0) { /* the coordinator, killed below */
    bt_die_with_parent(test);
    baton *cc = NULL;
    baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
    baton_run *run = NULL;
    if (baton_open(T.cfg, &cc) == BATON_OK && baton_submit(cc, &req, NULL, NULL, &run) == BATON_OK)
      baton_run_wait(run);
    _exit(3);
  }
  ctx = open_ctx();
  long taken_by = bt_now_ms() + BT_WAIT_MS;
  while (worker_num(ctx, "w", "in_flight") < 3 && bt_now_ms() < taken_by)
    bt_nap_ms(10);
  kill(coord, SIGKILL); /* also when the test fails: no coordinator is left behind */
  waitpid(coord, NULL, 0);
  cr_assert_lt(bt_now_ms(), taken_by, "the worker never took the three tasks");
  for (long until = bt_now_ms() + BT_WAIT_MS; worker_num(ctx, "w", "done") < 3; bt_nap_ms(20))
    cr_assert_lt(bt_now_ms(), until, "the tasks did not finish on the worker");
  baton_close(ctx);
  ctx = open_ctx(); /* finds the coordinator gone: the run is interrupted */
  char *list = NULL;
  cr_assert_eq(baton_runs_list(ctx, 1, &list), BATON_OK);
  cJSON *l = cJSON_Parse(list);
  baton_free(list);
  cr_assert_str_eq(str(cJSON_GetArrayItem(l, 0), "status"), "interrupted");
  char id[64];
  snprintf(id, sizeof id, "%s", str(cJSON_GetArrayItem(l, 0), "run_id"));
  cJSON_Delete(l);
  baton_run *run = NULL;
  cr_assert_eq(baton_run_resume(ctx, id, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  for (int k = 0; k < 3; k++)
    cr_assert_str_eq(str(cJSON_GetObjectItem(task_of(res, k), "outputs"), "text"), "slept 2500 ms");
  cJSON_Delete(res);
  baton_run_free(run);
  /* Had the resume run them again, it would have waited for them: the
   * worker's next idle heartbeat still counts three tasks in all. */
  cr_assert_eq(done_when_idle_after(ctx, "w", wall_s()), 3, "resume ran finished tasks again");
  free(pj);
  baton_close(ctx);
}

Test(runtime_queue, a_worker_as_another_user_elsewhere_runs_ocr_on_our_image, .fini = finish,
     .timeout = 120) {
  if (geteuid() != 0)
    cr_skip_test("needs root to start a worker as another user");
  start(30000, 1 << 20, 60000);
  /* The worker may reach the socket but not read our files. */
  cr_assert_eq(chmod(T.dir, 0711), 0);
  char priv[512], img[600];
  snprintf(priv, sizeof priv, "%s/private", T.dir);
  cr_assert_eq(mkdir(priv, 0700), 0);
  snprintf(img, sizeof img, "%s/sign.png", priv);
  char *src = bt_source_path("examples/sign.png");
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, img);
  free(src);
  cr_assert_eq(bt_run(cmd, NULL), 0);
  worker("nobody", "image-to-text", 1, true);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  ocr_on(ctx, priv, "nobody");
  baton_close(ctx);
}

Test(runtime_queue, a_crashing_executor_loses_its_task_only, .fini = finish, .timeout = 120) {
  start(30000, 1 << 20, 20000);
  worker("w", "debug-crash,debug-echo", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  const char *pj = "[{\"task\":\"debug-crash\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\"}},"
                   "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[-1],\"args\":{\"text\":\"on\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK);
  cr_assert_neq(baton_run_wait(run), BATON_OK);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert(strstr(str(task_of(res, 0), "error"), "crashed"), "%s", str(task_of(res, 0), "error"));
  cr_assert_str_eq(str(cJSON_GetObjectItem(task_of(res, 1), "outputs"), "text"), "on");
  cJSON_Delete(res);
  baton_run_free(run);
  /* The heartbeat (every second) counts the failure; the worker is still there. */
  for (long until = bt_now_ms() + BT_WAIT_MS;
       worker_num(ctx, "w", "failed") < 1 || worker_num(ctx, "w", "done") < 1; bt_nap_ms(50))
    cr_assert_lt(bt_now_ms(), until, "the worker did not go on after the crash");
  cr_assert_eq(worker_num(ctx, "w", "failed"), 1);
  baton_close(ctx);
}

Test(runtime_queue, a_bad_queue_setting_names_the_file_and_line) {
  char *dir = bt_tmpdir();
  char cfg[512];
  snprintf(cfg, sizeof cfg, "%s/config.yaml", dir);
  bt_write(cfg, "workers: 2\nqueue:\n  url: http://example.org\n");
  baton *ctx = NULL;
  cr_assert_neq(baton_open(cfg, &ctx), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "config.yaml:3: 'queue.url' must be redis://"), "%s",
            baton_errmsg(ctx));
  baton_close(ctx);
  bt_write(cfg, "queue:\n  url: redis://127.0.0.1:1\n  blob_max_bytes: 12\n");
  cr_assert_neq(baton_open(cfg, &ctx), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "config.yaml:3: 'queue.blob_max_bytes' must be"), "%s",
            baton_errmsg(ctx));
  baton_close(ctx);
  bt_rmtree(dir);
  free(dir);
}

/* How many XREADGROUP calls Redis refused so far (INFO commandstats). */
static long reads_refused(void) {
  char cmd[600], *out = NULL;
  snprintf(cmd, sizeof cmd, "redis-cli -s '%s' info commandstats", T.redis.sock);
  cr_assert_eq(bt_run(cmd, &out), 0, "redis-cli: %s", out ? out : "");
  const char *line = strstr(out, "cmdstat_xreadgroup:");
  const char *n = line ? strstr(line, "rejected_calls=") : NULL;
  long v = n ? atol(n + strlen("rejected_calls=")) : 0;
  free(out);
  return v;
}

Test(runtime_queue, a_worker_refused_its_reads_says_why_and_waits, .fini = finish, .timeout = 60) {
  /* Redis refusing XREADGROUP (as MISCONF on a full disk does) answers at
   * once, without blocking: the worker must wait, not ask again at once. */
  start(30000, 1 << 20, 20000);
  worker("w", "debug-echo", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  char *a = bt_redis_cmd(&T.redis, "ACL SETUSER default -xreadgroup");
  cr_assert_str_eq(a, "+OK");
  free(a);
  char log[600];
  snprintf(log, sizeof log, "%s/w.log", T.dir);
  cr_assert(bt_wait_for_text(log, "refuses to hand out tasks: NOPERM", 1, BT_WAIT_MS));
  long before = reads_refused();
  bt_nap_ms(2000);
  long refused = reads_refused() - before;
  /* A read a second: about 2 (a busy loop makes thousands). */
  cr_assert_leq(refused, 10, "%ld reads refused in 2 s", refused);
  cr_assert_eq(bt_count_in_file(log, "refuses to hand out tasks"), 1, "said once");
  a = bt_redis_cmd(&T.redis, "ACL SETUSER default +xreadgroup");
  free(a);
  char *js = NULL;
  cr_assert_eq(baton_task(ctx, "debug-echo", "{\"text\":\"back\"}", NULL, NULL, &js), BATON_OK,
               "%s", js);
  baton_free(js);
  cr_assert(bt_wait_for_text(log, "hands out tasks again", 1, BT_WAIT_MS));
  baton_close(ctx);
}

Test(runtime_queue, redis_gone_after_first_use_fails_a_task_past_its_patience, .fini = finish,
     .timeout = 60) {
  /* Reached once, then gone for good: a task waits for it (back-off), but
   * no longer than for a result (2 x 1 s + 1 s + 5 s here), then fails
   * naming the URL, instead of hanging until Redis returns. */
  start(1000, 1 << 20, 1000);
  worker("w", "debug-echo", 1, false);
  baton *ctx = open_ctx();
  cJSON_Delete(workers(ctx, 1));
  char *js = NULL;
  cr_assert_eq(baton_task(ctx, "debug-echo", "{\"text\":\"hi\"}", NULL, NULL, &js), BATON_OK,
               "%s", js);
  baton_free(js);
  stop_worker(0, SIGTERM);
  bt_redis_stop(&T.redis);
  js = NULL;
  cr_assert_neq(baton_task(ctx, "debug-echo", "{\"text\":\"hi\"}", NULL, NULL, &js), BATON_OK);
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  char want[400];
  snprintf(want, sizeof want, "cannot reach the queue at %s", T.redis.url);
  cr_assert(strstr(str(t, "error"), want), "%s", str(t, "error"));
  cJSON_Delete(t);
  baton_close(ctx);
}

Test(runtime_queue, a_worker_given_only_the_config_serves_its_queue_url, .fini = finish) {
  /* --help: "--queue URL ... (default: queue.url in the config)". */
  start(30000, 1 << 20, 20000);
  T.url_from_config = true;
  worker("cfg", "debug-echo", 1, false);
  baton *ctx = open_ctx();
  cJSON *arr = workers(ctx, 1);
  cr_assert_not_null(find_worker(arr, "cfg"));
  cJSON_Delete(arr);
  char *js = NULL;
  cr_assert_eq(baton_task(ctx, "debug-echo", "{\"text\":\"hi\"}", NULL, NULL, &js), BATON_OK,
               "%s", js);
  cJSON *t = cJSON_Parse(js);
  baton_free(js);
  cr_assert(strstr(str(t, "worker"), ":cfg"), "ran on %s", str(t, "worker"));
  cJSON_Delete(t);
  baton_close(ctx);
}

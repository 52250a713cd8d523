/* test_close.c — closing a context: runs still going are cancelled and waited for; baton_shutdown() from another thread. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton.h"
#include "support/support.h"

#define SLEEP_PLAN(ms)                                                                           \
  "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"" ms "\"}}]"

static char *home;
static baton *ctx;

static void setup(void) {
  home = bt_offline_home();
  char path[600];
  snprintf(path, sizeof path, "%s/config.yaml", home);
  bt_write(path, "workers: 2\n");
  cr_assert_eq(baton_open(path, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
}

static void teardown(void) {
  baton_close(ctx); /* a no-op after a test closed it (ctx NULL) */
  bt_rmtree(home);
  free(home);
}

TestSuite(runtime_close, .init = setup, .fini = teardown, .timeout = 60);

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_start(void *ud, const baton_event *ev) {
  if (ev->type == BATON_EVENT_TASK_STARTED)
    __atomic_store_n((int *)ud, 1, __ATOMIC_SEQ_CST);
}

/* Submits a 20-second sleep and waits until its task has started. */
static baton_run *sleeping_run(int *started) {
  baton_request req = {BATON_REQUEST_INIT, .plan_json = SLEEP_PLAN("20000"), .input_root = home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, on_start, started, &run), BATON_OK, "%s",
               baton_errmsg(ctx));
  for (double until = now_s() + 20; !__atomic_load_n(started, __ATOMIC_SEQ_CST);) {
    cr_assert_lt(now_s(), until, "the sleep never started");
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return run;
}

Test(runtime_close, close_cancels_a_run_still_going_and_its_handle_stays_usable) {
  int started = 0;
  baton_run *run = sleeping_run(&started);
  double t0 = now_s();
  baton_close(ctx);
  ctx = NULL;
  double took = now_s() - t0;
  cr_expect_lt(took, 10.0, "closing took %.1f s: the 20 s sleep was not cancelled", took);
  cr_expect_eq(baton_run_wait(run), BATON_CANCELLED);
  const char *result = baton_run_result_json(run);
  cr_assert_not_null(result);
  cr_expect(strstr(result, "\"status\":\"cancelled\""), "%s", result);
  baton_run_free(run);
}

typedef struct task_call {
  baton *ctx;
  const char *home;
  baton_rc rc;
  char err[512];
} task_call;

static void *task_thread(void *arg) {
  task_call *c = arg;
  char *out = NULL;
  c->rc = baton_task(c->ctx, "debug-sleep", "{\"text\":\"20000\"}", NULL, c->home, &out);
  snprintf(c->err, sizeof c->err, "%s", baton_errmsg(c->ctx));
  baton_free(out);
  return NULL;
}

Test(runtime_close, shutdown_cancels_a_task_call_and_refuses_new_runs) {
  task_call c = {.ctx = ctx, .home = home, .rc = BATON_OK};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, task_thread, &c), 0);
  struct timespec ts = {1, 0}; /* the sleep has started (or is about to) */
  nanosleep(&ts, NULL);
  double t0 = now_s();
  baton_shutdown(ctx);
  pthread_join(t, NULL);
  double took = now_s() - t0;
  cr_expect_lt(took, 10.0, "baton_task went on %.1f s after baton_shutdown()", took);
  cr_expect_eq(c.rc, BATON_CANCELLED, "%s: %s", baton_strerror(c.rc), c.err);

  baton_request req = {BATON_REQUEST_INIT, .plan_json = SLEEP_PLAN("10"), .input_root = home};
  baton_run *run = NULL;
  cr_expect_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_CANCELLED);
  cr_expect_null(run);
  cr_expect(strstr(baton_errmsg(ctx), "being closed"), "%s", baton_errmsg(ctx));
  baton_shutdown(ctx); /* again: harmless */
  baton_shutdown(NULL);
}

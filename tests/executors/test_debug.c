/* test_debug.c — the debug executors: echo, sleep (cancel, timeout), fail, crash refused outside a worker. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

static const baton__executor *dbg(void) { return &baton__executor_debug; }

/* Runs one debug task on text; returns rc, output text (caller frees) in *out_text. */
static int run(const char *task, const char *text, baton__exec_env *env, char **out_text) {
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  if (text)
    cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  env->err[0] = '\0';
  int rc = dbg()->run(NULL, task, &in, env, &out);
  if (out_text) {
    const baton__value *v = baton__values_get(&out, "text");
    *out_text = v ? baton__strdup(v->data) : NULL;
  }
  if (rc != 0)
    cr_assert_neq(env->err[0], '\0', "failure without a message");
  baton__values_release(&in);
  baton__values_release(&out);
  return rc;
}

Test(executors_debug, is_debug_only_and_serves_the_six_tasks) {
  cr_assert(dbg()->debug_only);
  cr_assert(dbg()->reentrant);
  cr_assert_str_eq(dbg()->name, "debug");
  const char *want[] = {"debug-echo",  "debug-sleep", "debug-fail",
                        "debug-crash", "debug-spin",  "debug-read"};
  for (size_t i = 0; i < 6; i++)
    cr_assert_str_eq(dbg()->tasks[i], want[i]);
  cr_assert_null(dbg()->tasks[6]);
  cr_assert_eq(baton__executor_find("local:debug"), dbg());
}

Test(executors_debug, spin_burns_the_cpu_time_asked) {
  baton__exec_env env = {0};
  char *t = NULL;
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  cr_assert_eq(run("debug-spin", "30", &env, &t), 0, "%s", env.err);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  long ms = (b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L;
  cr_assert_geq(ms, 30, "spun only %ld ms of CPU", ms);
  cr_assert_str_eq(t, "spun 30 ms");
  free(t);
  cr_assert_neq(run("debug-spin", "soon", &env, NULL), 0);
  cr_assert(strstr(env.err, "whole number of milliseconds"), "unclear error: %s", env.err);
}

Test(executors_debug, echo_returns_its_text) {
  baton__exec_env env = {0};
  char *t = NULL;
  cr_assert_eq(run("debug-echo", "héllo, world", &env, &t), 0, "%s", env.err);
  cr_assert_str_eq(t, "héllo, world");
  free(t);
  cr_assert_neq(run("debug-echo", NULL, &env, NULL), 0);
  cr_assert(strstr(env.err, "text"), "unclear error: %s", env.err);
}

Test(executors_debug, sleep_waits_about_as_long_as_asked) {
  baton__exec_env env = {0};
  char *t = NULL;
  int64_t t0 = baton__now_ms();
  cr_assert_eq(run("debug-sleep", "150", &env, &t), 0, "%s", env.err);
  int64_t took = baton__now_ms() - t0;
  cr_assert(took >= 150 && took < 1000, "slept %lld ms for 150", (long long)took);
  cr_assert_str_eq(t, "slept 150 ms");
  free(t);
}

Test(executors_debug, sleep_stops_at_the_timeout) {
  baton__exec_env env = {.timeout_ms = 100};
  int64_t t0 = baton__now_ms();
  cr_assert_neq(run("debug-sleep", "30000", &env, NULL), 0);
  int64_t took = baton__now_ms() - t0;
  /* Soon after 100 ms: a loaded machine under ASan may add seconds, an
   * ignored timeout would add 30. */
  cr_assert(took >= 100 && took < 5000, "stopped after %lld ms", (long long)took);
  cr_assert(strstr(env.err, "100 ms"), "unclear error: %s", env.err);
}

typedef struct canceller {
  atomic_int *flag;
  long after_ms;
} canceller;

static void *cancel_later(void *arg) {
  canceller *c = arg;
  struct timespec ts = {.tv_sec = 0, .tv_nsec = c->after_ms * 1000000L};
  nanosleep(&ts, NULL);
  atomic_store(c->flag, 1);
  return NULL;
}

Test(executors_debug, sleep_stops_soon_after_cancel) {
  atomic_int flag;
  atomic_init(&flag, 0);
  baton__exec_env env = {.cancel = &flag};
  canceller c = {.flag = &flag, .after_ms = 100};
  pthread_t th;
  pthread_create(&th, NULL, cancel_later, &c);
  int64_t t0 = baton__now_ms();
  int rc = run("debug-sleep", "30000", &env, NULL);
  int64_t took = baton__now_ms() - t0;
  pthread_join(th, NULL);
  cr_assert_neq(rc, 0);
  cr_assert(took >= 90 && took < 5000, "stopped after %lld ms", (long long)took);
  cr_assert_str_eq(env.err, "cancelled");
}

Test(executors_debug, sleep_refuses_a_non_number) {
  baton__exec_env env = {0};
  const char *bad[] = {"soon", "-5", "12abc", "99999999999", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_neq(run("debug-sleep", bad[i], &env, NULL), 0, "accepted '%s'", bad[i]);
    cr_assert(strstr(env.err, "milliseconds"), "unclear error for '%s': %s", bad[i], env.err);
  }
  char *t = NULL;
  cr_assert_eq(run("debug-sleep", " 5 ", &env, &t), 0, "%s", env.err);
  free(t);
}

Test(executors_debug, fail_fails_with_its_text) {
  baton__exec_env env = {0};
  cr_assert_neq(run("debug-fail", "the printer is on fire", &env, NULL), 0);
  cr_assert_str_eq(env.err, "the printer is on fire");
  cr_assert_neq(run("debug-fail", NULL, &env, NULL), 0);
  cr_assert(strstr(env.err, "fail"), "unclear error: %s", env.err);
}

Test(executors_debug, crash_refuses_outside_a_worker_process) {
  baton__exec_env env = {.isolated = false};
  cr_assert_neq(run("debug-crash", "boom", &env, NULL), 0);
  cr_assert(strstr(env.err, "debug-crash needs worker isolation"), "unclear error: %s", env.err);
}

Test(executors_debug, crash_aborts_when_isolated, .signal = SIGABRT) {
  baton__exec_env env = {.isolated = true};
  run("debug-crash", "boom", &env, NULL);
}

Test(executors_debug, an_unknown_task_is_named) {
  baton__exec_env env = {0};
  cr_assert_neq(run("debug-dance", "x", &env, NULL), 0);
  cr_assert(strstr(env.err, "debug-dance"), "unclear error: %s", env.err);
}

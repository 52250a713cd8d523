/* debug.c — the debug executors (echo, sleep, spin, fail, crash, read) for testing the runtime; offered only when debug executors are enabled. */
#include "executors/executor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "core/banned.h"

#define DBG_MAX_SLEEP_MS 3600000L /* one hour */
#define DBG_SLICE_MS 10L

static const char *dbg_text(const baton__values *in) {
  const baton__value *v = baton__values_get(in, "text");
  if (!v)
    v = baton__values_get_type(in, BATON__T_TEXT);
  return v ? v->data : NULL;
}

static int dbg_echo(const baton__values *in, baton__exec_env *env, baton__values *out) {
  const char *text = dbg_text(in);
  if (!text) {
    baton__fmt(env->err, sizeof env->err, "debug-echo needs a \"text\" to return");
    return -1;
  }
  if (baton__values_add(out, "text", BATON__T_TEXT, text) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The milliseconds a task's text gives, or -1 with env->err. */
static long dbg_ms(const baton__values *in, const char *task, baton__exec_env *env) {
  const char *text = dbg_text(in);
  char *end = NULL;
  errno = 0;
  long ms = text ? strtol(text, &end, 10) : -1;
  if (!text || end == text || errno != 0 || ms < 0 || ms > DBG_MAX_SLEEP_MS ||
      *baton__trim(end) != '\0') {
    baton__fmt(env->err, sizeof env->err,
               "%s needs \"text\" = a whole number of milliseconds, 0..%ld", task,
               DBG_MAX_SLEEP_MS);
    return -1;
  }
  return ms;
}

static int dbg_sleep(const baton__values *in, baton__exec_env *env, baton__values *out) {
  long ms = dbg_ms(in, "debug-sleep", env);
  if (ms < 0)
    return -1;
  int64_t t0 = baton__now_ms();
  int64_t until = t0 + ms;
  int64_t deadline = env->timeout_ms > 0 ? t0 + env->timeout_ms : 0;
  for (;;) {
    if (baton__exec_cancelled(env)) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      return -1;
    }
    int64_t now = baton__now_ms();
    if (now >= until)
      break;
    if (deadline && now >= deadline) {
      baton__fmt(env->err, sizeof env->err, "debug-sleep ran past %ld ms", env->timeout_ms);
      return -1;
    }
    int64_t left = until - now;
    if (deadline && deadline - now < left)
      left = deadline - now;
    sleep_ms(left < DBG_SLICE_MS ? (long)left : DBG_SLICE_MS);
  }
  char msg[64];
  baton__fmt(msg, sizeof msg, "slept %ld ms", ms);
  if (baton__values_add(out, "text", BATON__T_TEXT, msg) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

/* Burns the CPU for the milliseconds in its text (throughput tests). */
static int dbg_spin(const baton__values *in, baton__exec_env *env, baton__values *out) {
  long ms = dbg_ms(in, "debug-spin", env);
  if (ms < 0)
    return -1;
  struct timespec t0, now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  volatile unsigned long x = 0;
  for (long spent = 0; spent < ms;) {
    if (baton__exec_cancelled(env)) {
      baton__fmt(env->err, sizeof env->err, "cancelled");
      return -1;
    }
    for (int i = 0; i < 100000; i++)
      x = x * 2862933555777941757ul + 3037000493ul;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    spent = (now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000L;
  }
  char msg[64];
  baton__fmt(msg, sizeof msg, "spun %ld ms", ms);
  if (baton__values_add(out, "text", BATON__T_TEXT, msg) != 0) {
    baton__fmt(env->err, sizeof env->err, "out of memory");
    return -1;
  }
  return 0;
}

/* Returns the first bytes of the file given as "image" (what the runtime
 * hands an executor is what it reads). */
static int dbg_read(const baton__values *in, baton__exec_env *env, baton__values *out) {
  const baton__value *v = baton__values_get(in, "image");
  char *data = NULL;
  size_t len = 0;
  if (!v || baton__read_file(v->data, 1u << 20, &data, &len, env->err, sizeof env->err) != 0) {
    if (!v)
      baton__fmt(env->err, sizeof env->err, "debug-read needs an \"image\" file");
    return -1;
  }
  if (len > 4096)
    data[4096] = '\0';
  int rc = baton__values_add(out, "text", BATON__T_TEXT, data);
  free(data);
  if (rc != 0)
    baton__fmt(env->err, sizeof env->err, "out of memory");
  return rc;
}

static int dbg_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                   baton__values *out) {
  (void)state;
  if (!task) {
    baton__fmt(env->err, sizeof env->err, "no task given");
    return -1;
  }
  if (strcmp(task, "debug-echo") == 0)
    return dbg_echo(in, env, out);
  if (strcmp(task, "debug-sleep") == 0)
    return dbg_sleep(in, env, out);
  if (strcmp(task, "debug-spin") == 0)
    return dbg_spin(in, env, out);
  if (strcmp(task, "debug-read") == 0)
    return dbg_read(in, env, out);
  if (strcmp(task, "debug-fail") == 0) {
    /* Text starting "transient:" fails as a passing fault would, so the
     * runtime's retries can be tested. */
    const char *text = dbg_text(in);
    baton__fmt(env->err, sizeof env->err, "%s",
               text && *text ? text : "debug-fail failed, as asked");
    env->transient = text && strncmp(text, "transient:", 10) == 0;
    return -1;
  }
  if (strcmp(task, "debug-crash") == 0) {
    /* Crashing is only safe where it takes down a worker, not the caller. */
    if (env->isolated)
      abort();
    baton__fmt(env->err, sizeof env->err,
               "debug-crash needs worker isolation (it would take the whole process down)");
    return -1;
  }
  baton__fmt(env->err, sizeof env->err, "the debug executor does not do '%s'", task);
  return -1;
}

static const char *const dbg_tasks[] = {"debug-echo", "debug-sleep", "debug-fail", "debug-crash",
                                        "debug-spin", "debug-read",  NULL};

const baton__executor baton__executor_debug = {
    .name = "debug",
    .model_id = "local/debug-echo",
    .tasks = dbg_tasks,
    .reentrant = true,
    .debug_only = true,
    .in_process = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = dbg_run,
    .release = baton__executor_no_release,
};

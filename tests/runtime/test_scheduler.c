/* test_scheduler.c — the runtime: parallel DAGs, failure policy, cancellation, timeouts, crashes, resume, replay, input safety. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
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
#include "support/support.h"

typedef struct ev {
  int type;
  int task;
  double ts;
} ev;

typedef struct events {
  ev v[512];
  int n;
} events;

static void record(void *ud, const baton_event *e) {
  events *es = ud;
  if (es->n < 512)
    es->v[es->n++] = (ev){(int)e->type, e->task_id, e->ts};
}

static char *home;

static baton *open_with(const char *config_text) {
  home = bt_offline_home();
  char path[600];
  snprintf(path, sizeof path, "%s/config.yaml", home);
  bt_write(path, config_text ? config_text : "workers: 4\n");
  baton *ctx = NULL;
  cr_assert_eq(baton_open(path, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  return ctx;
}

static void done_with(baton *ctx) {
  baton_close(ctx);
  bt_rmtree(home);
  free(home);
  home = NULL;
}

/* Runs a plan to the end; returns the parsed result and the wait code. */
static cJSON *run_plan(baton *ctx, const char *plan, events *es, baton_rc *rc) {
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, es ? record : NULL, es, &run), BATON_OK, "%s",
               baton_errmsg(ctx));
  *rc = baton_run_wait(run);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_not_null(res);
  baton_run_free(run);
  return res;
}

static const cJSON *task_of(const cJSON *res, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "tasks"), i);
}

static const char *field(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *text_out(const cJSON *t) {
  return field(cJSON_GetObjectItemCaseSensitive(t, "outputs"), "text");
}

static double ts_of(const events *es, int type, int task) {
  for (int i = 0; i < es->n; i++)
    if (es->v[i].type == type && es->v[i].task == task)
      return es->v[i].ts;
  return -1;
}

/* Event callbacks: a flag raised when a task starts; a byte written to a
 * pipe when task 1 starts. */
static void flag_task_started(void *ud, const baton_event *e) {
  if (e->type == BATON_EVENT_TASK_STARTED)
    atomic_store((atomic_int *)ud, 1);
}

static void say_task1_started(void *ud, const baton_event *e) {
  if (e->type == BATON_EVENT_TASK_STARTED && e->task_id == 1) {
    ssize_t w = write(*(int *)ud, "S", 1);
    (void)w;
  }
}

Test(runtime_scheduler, diamond_runs_its_middle_tasks_in_parallel, .timeout = 60) {
  baton *ctx = open_with(NULL);
  const char *plan =
      "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"100\"}},"
      "{\"task\":\"debug-sleep\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"800\"}},"
      "{\"task\":\"debug-sleep\",\"id\":2,\"dep\":[0],\"args\":{\"text\":\"800\"}},"
      "{\"task\":\"debug-echo\",\"id\":3,\"dep\":[1,2],\"args\":{\"text\":\"joined\"}}]";
  events es = {0};
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, &es, &rc);
  cr_assert_eq(rc, BATON_OK, "%s", field(res, "summary"));
  /* Both middle tasks started before either finished, and the last one
   * started only after both had finished. */
  double s1 = ts_of(&es, BATON_EVENT_TASK_STARTED, 1), s2 = ts_of(&es, BATON_EVENT_TASK_STARTED, 2);
  double f1 = ts_of(&es, BATON_EVENT_TASK_FINISHED, 1), f2 = ts_of(&es, BATON_EVENT_TASK_FINISHED, 2);
  double s3 = ts_of(&es, BATON_EVENT_TASK_STARTED, 3);
  double f0 = ts_of(&es, BATON_EVENT_TASK_FINISHED, 0);
  cr_assert(s1 >= f0 && s2 >= f0, "the middle started before its dependency finished");
  cr_assert(s2 < f1 && s1 < f2, "tasks 1 and 2 did not overlap");
  cr_assert(s3 >= f1 && s3 >= f2, "task 3 started before its dependencies finished");
  cr_assert_str_eq(text_out(task_of(res, 3)), "joined");
  cJSON_Delete(res);
  done_with(ctx);
}

Test(runtime_scheduler, wide_and_deep_graphs_pass_outputs_along, .timeout = 60) {
  baton *ctx = open_with(NULL);
  /* 30 independent tasks. */
  cJSON *plan = cJSON_CreateArray();
  for (int i = 0; i < 30; i++) {
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"task\":\"debug-echo\",\"id\":%d,\"dep\":[-1],\"args\":{\"text\":\"item %d\"}}", i, i);
    cJSON_AddItemToArray(plan, cJSON_Parse(buf));
  }
  char *pj = cJSON_PrintUnformatted(plan);
  cJSON_Delete(plan);
  baton_rc rc;
  cJSON *res = run_plan(ctx, pj, NULL, &rc);
  free(pj);
  cr_assert_eq(rc, BATON_OK);
  for (int i = 0; i < 30; i++) {
    char want[32];
    snprintf(want, sizeof want, "item %d", i);
    cr_assert_str_eq(text_out(task_of(res, i)), want);
  }
  cJSON_Delete(res);
  /* A chain of 40: each task echoes the previous one's output. */
  plan = cJSON_CreateArray();
  cJSON_AddItemToArray(plan, cJSON_Parse("{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                         "\"args\":{\"text\":\"through the chain\"}}"));
  for (int i = 1; i < 40; i++) {
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"task\":\"debug-echo\",\"id\":%d,\"dep\":[%d],\"args\":{\"text\":\"<GENERATED>-%d\"}}",
             i, i - 1, i - 1);
    cJSON_AddItemToArray(plan, cJSON_Parse(buf));
  }
  pj = cJSON_PrintUnformatted(plan);
  cJSON_Delete(plan);
  res = run_plan(ctx, pj, NULL, &rc);
  free(pj);
  cr_assert_eq(rc, BATON_OK);
  cr_assert_str_eq(text_out(task_of(res, 39)), "through the chain");
  cJSON_Delete(res);
  done_with(ctx);
}

Test(runtime_scheduler, a_failure_skips_dependents_but_not_independent_work, .timeout = 60) {
  baton *ctx = open_with(NULL);
  const char *plan =
      "[{\"task\":\"debug-fail\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"the disk is on fire\"}},"
      "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"<GENERATED>-0\"}},"
      "{\"task\":\"debug-echo\",\"id\":2,\"dep\":[1],\"args\":{\"text\":\"<GENERATED>-1\"}},"
      "{\"task\":\"debug-echo\",\"id\":3,\"dep\":[-1],\"args\":{\"text\":\"independent\"}}]";
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, NULL, &rc);
  cr_assert_eq(rc, BATON_EXEC);
  cr_assert_str_eq(field(res, "status"), "failed");
  cr_assert_str_eq(field(task_of(res, 0), "status"), "failed");
  cr_assert(strstr(field(task_of(res, 0), "error"), "the disk is on fire"));
  cr_assert_str_eq(field(task_of(res, 1), "status"), "skipped");
  cr_assert(strstr(field(task_of(res, 1), "error"), "task 0"), "%s", field(task_of(res, 1), "error"));
  cr_assert_str_eq(field(task_of(res, 2), "status"), "skipped");
  cr_assert_str_eq(field(task_of(res, 3), "status"), "done");
  cr_assert(strstr(field(res, "summary"), "FAILED"), "%s", field(res, "summary"));
  cJSON_Delete(res);
  done_with(ctx);
}

Test(runtime_scheduler, cancel_stops_running_and_pending_tasks, .timeout = 60) {
  baton *ctx = open_with(NULL);
  const char *plan =
      "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"20000\"}},"
      "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"never\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
  baton_run *run = NULL;
  atomic_int started = 0;
  cr_assert_eq(baton_submit(ctx, &req, flag_task_started, &started, &run), BATON_OK, "%s",
               baton_errmsg(ctx));
  for (long until = bt_now_ms() + BT_WAIT_MS; !atomic_load(&started); bt_nap_ms(10))
    cr_assert_lt(bt_now_ms(), until, "the sleeping task never started");
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  baton_run_cancel(run);
  cr_assert_eq(baton_run_wait(run), BATON_CANCELLED);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  cr_assert_lt(secs, 10.0, "cancel took %.1f s", secs);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_str_eq(field(res, "status"), "cancelled");
  cr_assert_str_eq(field(task_of(res, 0), "status"), "cancelled");
  cr_assert_str_eq(field(task_of(res, 1), "status"), "cancelled");
  cJSON_Delete(res);
  baton_run_free(run);
  done_with(ctx);
}

Test(runtime_scheduler, a_task_past_its_timeout_fails, .timeout = 60) {
  baton *ctx = open_with("task_timeout_ms: 300\n");
  const char *plan =
      "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"10000\"}}]";
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, NULL, &rc);
  cr_assert_eq(rc, BATON_EXEC);
  const char *terr = field(task_of(res, 0), "error");
  cr_assert(strstr(terr, "timed out") || strstr(terr, "300 ms"), "%s", terr);
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(task_of(res, 0), "ms");
  cr_assert_lt(ms->valuedouble, 5000.0);
  cJSON_Delete(res);
  done_with(ctx);
}

Test(runtime_scheduler, a_crashing_worker_fails_its_task_and_is_replaced, .timeout = 60) {
  baton *ctx = open_with("isolation: always\nworkers: 1\n");
  char *ex = NULL;
  cr_assert_eq(baton_executors_json(ctx, &ex), BATON_OK);
  if (!strstr(ex, "worker process"))
    cr_skip_test("the baton-worker program is not built, so nothing runs isolated");
  baton_free(ex);
  const char *plan =
      "[{\"task\":\"debug-crash\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"boom\"}},"
      "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[-1],\"args\":{\"text\":\"still alive\"}}]";
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, NULL, &rc);
  cr_assert_eq(rc, BATON_EXEC);
  cr_assert(strstr(field(task_of(res, 0), "error"), "crashed"), "%s",
            field(task_of(res, 0), "error"));
  cr_assert_str_eq(field(task_of(res, 1), "status"), "done");
  cJSON_Delete(res);
  /* The same executor serves the next run with a fresh worker. */
  res = run_plan(ctx,
                 "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"again\"}}]",
                 NULL, &rc);
  cr_assert_eq(rc, BATON_OK);
  cr_assert_str_eq(text_out(task_of(res, 0)), "again");
  cJSON_Delete(res);
  done_with(ctx);
}

Test(runtime_scheduler, sigkill_mid_run_then_resume_runs_only_unfinished_tasks, .timeout = 90) {
  home = bt_tmpdir();
  setenv("BATON_HOME", home, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  const char *plan =
      "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"first\"}},"
      "{\"task\":\"debug-sleep\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"2500\"}},"
      "{\"task\":\"debug-echo\",\"id\":2,\"dep\":[0,1],\"args\":{\"text\":\"<GENERATED>-0\"}}]";
  int ready[2], started[2];
  cr_assert_eq(pipe(ready), 0);
  cr_assert_eq(pipe(started), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    baton *ctx = NULL;
    baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
    baton_run *run = NULL;
    char c, *list = NULL;
    /* Once the sleep begins the first task is done; listing the runs writes
     * out the history queued so far. Then say so. */
    if (baton_open(NULL, &ctx) != BATON_OK ||
        baton_submit(ctx, &req, say_task1_started, &started[1], &run) != BATON_OK ||
        read(started[0], &c, 1) != 1 || baton_runs_list(ctx, 1, &list) != BATON_OK) {
      dprintf(ready[1], "child: %s", baton_errmsg(ctx));
      _exit(3);
    }
    baton_free(list);
    dprintf(ready[1], "S");
    pause();
    _exit(0);
  }
  close(ready[1]);
  close(started[0]);
  close(started[1]);
  bt_wait_child_ready(ready[0], "the child never started its sleeping task");
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);

  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
  char id[64];
  bt_the_run_interrupted(ctx, id);

  events es = {0};
  baton_run *run = NULL;
  cr_assert_eq(baton_run_resume(ctx, id, record, &es, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_str_eq(baton_run_id(run), id, "a resumed run keeps its id");
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_str_eq(field(res, "status"), "done");
  cr_assert_str_eq(text_out(task_of(res, 2)), "first", "the kept output fed the last task");
  cr_assert_lt(ts_of(&es, BATON_EVENT_TASK_STARTED, 0), 0, "the finished task ran again");
  cr_assert_gt(ts_of(&es, BATON_EVENT_TASK_STARTED, 1), 0);
  cJSON_Delete(res);
  baton_run_free(run);
  /* A finished run has nothing to resume. */
  cr_assert_eq(baton_run_resume(ctx, id, NULL, NULL, &run), BATON_INVALID);
  done_with(ctx);
}

Test(runtime_scheduler, replay_reproduces_outputs_byte_for_byte, .timeout = 60) {
  baton *ctx = open_with(NULL);
  const char *plan =
      "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"Replay me, please.\"}},"
      "{\"task\":\"text-to-speech\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"<GENERATED>-0\"}}]";
  baton_rc rc;
  cJSON *orig = run_plan(ctx, plan, NULL, &rc);
  cr_assert_eq(rc, BATON_OK, "%s", field(orig, "summary"));
  baton_run *run = NULL;
  cr_assert_eq(baton_run_replay(ctx, field(orig, "run_id"), NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  cJSON *rep = cJSON_Parse(baton_run_result_json(run));
  cr_assert_str_eq(field(rep, "replay_of"), field(orig, "run_id"));
  cr_assert_str_neq(field(rep, "run_id"), field(orig, "run_id"));
  cr_assert_str_eq(text_out(task_of(rep, 0)), text_out(task_of(orig, 0)));
  const char *a = field(cJSON_GetObjectItemCaseSensitive(task_of(orig, 1), "outputs"), "audio");
  const char *b = field(cJSON_GetObjectItemCaseSensitive(task_of(rep, 1), "outputs"), "audio");
  cr_assert_str_neq(a, b, "the replay writes into its own workspace");
  size_t la, lb;
  char *da = bt_slurp(a, &la), *db = bt_slurp(b, &lb);
  cr_assert_eq(la, lb);
  cr_assert_eq(memcmp(da, db, la), 0, "the audio differs");
  free(da);
  free(db);
  cJSON_Delete(rep);
  cJSON_Delete(orig);
  baton_run_free(run);
  cr_assert_eq(baton_run_replay(ctx, "no-such-run", NULL, NULL, &run), BATON_NOTFOUND);
  done_with(ctx);
}

static void expect_refused(baton *ctx, const char *name) {
  char plan[1024];
  snprintf(plan, sizeof plan,
           "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"%s\"}}]", name);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
  baton_run *run = NULL;
  baton_rc rc = baton_submit(ctx, &req, NULL, NULL, &run);
  cr_assert_neq(rc, BATON_OK, "%s was accepted", name);
  cr_assert_null(run);
  cr_assert(strstr(baton_errmsg(ctx), "outside the allowed folders") ||
                strstr(baton_errmsg(ctx), "not a regular file") ||
                strstr(baton_errmsg(ctx), "no such file"),
            "%s: %s", name, baton_errmsg(ctx));
}

Test(runtime_scheduler, inputs_outside_the_allowed_folders_are_refused) {
  baton *ctx = open_with(NULL);
  char *outside = bt_tmpdir();
  char secret[600], link[600], sub[600];
  snprintf(secret, sizeof secret, "%s/secret.png", outside);
  bt_write(secret, "not for you");
  snprintf(sub, sizeof sub, "%s/inner", home);
  cr_assert_eq(mkdir(sub, 0700), 0);
  snprintf(link, sizeof link, "%s/inner/escape.png", home);
  cr_assert_eq(symlink(secret, link), 0);
  char rel[700];
  snprintf(rel, sizeof rel, "../%s/secret.png", strrchr(outside, '/') + 1);
  expect_refused(ctx, rel);              /* .. out of the root */
  expect_refused(ctx, secret);           /* an absolute path elsewhere */
  expect_refused(ctx, "inner/escape.png"); /* a symlink pointing out */
  expect_refused(ctx, "/proc/self/environ");
  expect_refused(ctx, "/etc/passwd");
  expect_refused(ctx, "inner");          /* a folder */
  bt_rmtree(outside);
  free(outside);
  done_with(ctx);
}

/* A request's own input outside the allowed folders is refused for where it is, before the
 * planner judges its name ("/etc/hostname" has no file type it knows). */
Test(runtime_scheduler, a_given_input_outside_the_allowed_folders_is_refused_for_where_it_is) {
  baton *ctx = open_with(NULL);
  const char *names[] = {"/etc/hostname", "../etc/passwd", "/etc/passwd.txt"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    const char *inputs[] = {names[i]};
    baton_request req = {BATON_REQUEST_INIT, .text = "describe it", .offline = 1,
                         .inputs = inputs, .n_inputs = 1, .input_root = home};
    baton_run *run = NULL;
    cr_assert_neq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", names[i]);
    cr_assert_null(run);
    cr_expect(strstr(baton_errmsg(ctx), "outside the allowed folders") &&
                  !strstr(baton_errmsg(ctx), "file type"),
              "%s: %s", names[i], baton_errmsg(ctx));
  }
  done_with(ctx);
}

Test(runtime_scheduler, an_earlier_runs_output_is_an_input_to_its_user_only) {
  baton *ctx = open_with(NULL);
  const char *speak = "[{\"task\":\"text-to-speech\",\"id\":0,\"dep\":[-1],"
                      "\"args\":{\"text\":\"hello\"}}]";
  baton_rc rc;
  cJSON *first = run_plan(ctx, speak, NULL, &rc);
  cr_assert_eq(rc, BATON_OK, "%s", field(first, "summary"));
  cJSON *made = cJSON_GetObjectItemCaseSensitive(task_of(first, 0), "outputs");
  const char *audio = field(made, "audio");
  char plan[1024];
  snprintf(plan, sizeof plan, "[{\"task\":\"audio-to-audio\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"audio\":\"%s\",\"instruction\":\"louder\"}}]", audio);
  /* the caller works in another folder: "now make it louder" names the last run's file */
  char *elsewhere = bt_tmpdir();
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = elsewhere};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  baton_run_free(run);
  /* another user served by the daemon cannot read the daemon user's runs */
  baton_request other = {BATON_REQUEST_INIT, .plan_json = plan, .as_caller = 1,
                         .caller_uid = geteuid() + 1000, .caller_gid = getegid() + 1000};
  cr_assert_neq(baton_submit(ctx, &other, NULL, NULL, &run), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "outside the allowed folders"), "%s", baton_errmsg(ctx));
  /* (only its own runs' outputs, as it is told: test_run_files) */
  cr_expect(strstr(baton_errmsg(ctx), "your own runs' outputs"), "%s", baton_errmsg(ctx));
  bt_rmtree(elsewhere);
  free(elsewhere);
  cJSON_Delete(first);
  done_with(ctx);
}

/* Runs debug-echo on the literal text; the run's error (NULL when it ran) or its echo in *echo. */
static const char *echo_text(baton *ctx, const char *text, char *echo, size_t cap) {
  char plan[1024];
  snprintf(plan, sizeof plan,
           "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"%s\"}}]", text);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
  baton_run *run = NULL;
  if (baton_submit(ctx, &req, NULL, NULL, &run) != BATON_OK)
    return baton_errmsg(ctx);
  baton_run_wait(run);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  snprintf(echo, cap, "%s", text_out(task_of(res, 0)));
  cJSON_Delete(res);
  baton_run_free(run);
  return NULL;
}

Test(runtime_scheduler, a_text_file_argument_is_read_under_the_input_rules) {
  baton *ctx = open_with("workers: 2\nlimits: {text_bytes: 1024}\n");
  char path[700], echo[2048], big[1500];
  snprintf(path, sizeof path, "%s/notes.txt", home);
  bt_write(path, "The library opens at nine.\n");
  const char *err = echo_text(ctx, "notes.txt", echo, sizeof echo);
  cr_assert_null(err, "%s", err);
  cr_assert_str_eq(echo, "The library opens at nine.\n", "the file's words, not its name");
  cr_assert_null(echo_text(ctx, "see notes.txt", echo, sizeof echo)); /* words, no file name */
  cr_assert_str_eq(echo, "see notes.txt");
  err = echo_text(ctx, "missing.txt", echo, sizeof echo);
  cr_assert(err && strstr(err, "missing.txt") && strstr(err, "no such file"), "%s", err);
  err = echo_text(ctx, "https://example.com/article", echo, sizeof echo); /* no page is fetched */
  cr_assert(err && strstr(err, "does not fetch web pages"), "%s", err ? err : echo);
  cr_assert_null(echo_text(ctx, "see https://example.com", echo, sizeof echo)); /* words */
  /* nor is a picture at a web address (it was "no such file") */
  baton_request pic = {BATON_REQUEST_INIT, .input_root = home,
                       .plan_json = "[{\"task\":\"debug-read\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"image\":\"https://example.com/a.png\"}}]"};
  baton_run *run = NULL;
  cr_assert_neq(baton_submit(ctx, &pic, NULL, NULL, &run), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "does not fetch web pages or files (https://example.com"),
            "%s", baton_errmsg(ctx));
  err = echo_text(ctx, "Q3_report.pdf", echo, sizeof echo); /* a file no executor reads */
  cr_assert(err && strstr(err, "Q3_report.pdf: baton cannot read .pdf files"), "%s",
            err ? err : echo);
  cr_assert_null(echo_text(ctx, "see report.pdf", echo, sizeof echo)); /* words */
  snprintf(path, sizeof path, "%s/bad.md", home);
  bt_write(path, "caf\xe9 latin-1");
  err = echo_text(ctx, "bad.md", echo, sizeof echo);
  cr_assert(err && strstr(err, "not UTF-8 text"), "%s", err);
  memset(big, 'a', sizeof big - 1), big[sizeof big - 1] = '\0';
  snprintf(path, sizeof path, "%s/big.txt", home);
  bt_write(path, big);
  err = echo_text(ctx, "big.txt", echo, sizeof echo);
  cr_assert(err && strstr(err, "limits.text_bytes"), "%s", err);
  char *outside = bt_tmpdir(), secret[700], link[700];
  snprintf(secret, sizeof secret, "%s/secret.txt", outside);
  bt_write(secret, "not for you");
  snprintf(link, sizeof link, "%s/escape.txt", home);
  cr_assert_eq(symlink(secret, link), 0);
  err = echo_text(ctx, "escape.txt", echo, sizeof echo);
  cr_assert(err && !strstr(err, "not for you"), "a link out of the folder was read: %s", echo);
  err = echo_text(ctx, secret, echo, sizeof echo);
  cr_assert(err && strstr(err, "outside the allowed folders"), "%s", err);
  bt_rmtree(outside);
  free(outside);
  done_with(ctx);
}

Test(runtime_scheduler, a_file_name_with_spaces_is_the_file_when_there_is_one) {
  baton *ctx = open_with(NULL);
  char path[700], echo[2048];
  snprintf(path, sizeof path, "%s/my notes.txt", home);
  bt_write(path, "The library opens at nine.\n");
  snprintf(path, sizeof path, "%s/notes.txt", home);
  bt_write(path, "Not these words.\n");
  const char *err = echo_text(ctx, "my notes.txt", echo, sizeof echo);
  cr_assert_null(err, "%s", err);
  cr_assert_str_eq(echo, "The library opens at nine.\n", "the file's words, not its name");
  cr_assert_null(echo_text(ctx, "see notes.txt", echo, sizeof echo)); /* no such file: words */
  cr_assert_str_eq(echo, "see notes.txt");
  cr_assert_null(echo_text(ctx, "read my notes.txt", echo, sizeof echo));
  cr_assert_str_eq(echo, "read my notes.txt");
  done_with(ctx);
}

Test(runtime_scheduler, a_fifo_named_as_an_input_is_refused_at_once_as_a_folder_is,
     .timeout = 60) {
  baton *ctx = open_with(NULL);
  char path[700], echo[2048];
  snprintf(path, sizeof path, "%s/folder.txt", home);
  cr_assert_eq(mkdir(path, 0700), 0);
  const char *err = echo_text(ctx, "folder.txt", echo, sizeof echo);
  cr_assert(err && strstr(err, "'folder.txt' is not a regular file"), "%s", err ? err : echo);
  /* Nobody writes to them: opening one to read would wait for a writer. */
  snprintf(path, sizeof path, "%s/pipe.txt", home);
  cr_assert_eq(mkfifo(path, 0600), 0);
  err = echo_text(ctx, "pipe.txt", echo, sizeof echo);
  cr_assert(err && strstr(err, "'pipe.txt' is not a regular file"), "%s", err ? err : echo);
  snprintf(path, sizeof path, "%s/pipe.png", home);
  cr_assert_eq(mkfifo(path, 0600), 0);
  baton_request pic = {BATON_REQUEST_INIT, .input_root = home,
                       .plan_json = "[{\"task\":\"debug-read\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"image\":\"pipe.png\"}}]"};
  baton_run *run = NULL;
  cr_assert_neq(baton_submit(ctx, &pic, NULL, NULL, &run), BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "'pipe.png' is not a regular file"), "%s",
            baton_errmsg(ctx));
  done_with(ctx);
}

/* The number of failed runs the registry holds against model. */
static double failures_of(baton *ctx, const char *model) {
  char *json = NULL;
  cr_assert_eq(baton_models_show(ctx, model, &json), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *m = cJSON_Parse(json);
  baton_free(json);
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(m, "health");
  double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "failures"));
  cJSON_Delete(m);
  return n;
}

/* A pair apertium lacks is the request's problem: the run fails naming the pairs there are, and
 * the registry holds no failure against local/apertium. The source language is left to be
 * detected, so that no check before the run can refuse it: apertium itself does. */
Test(runtime_scheduler, a_translation_into_a_language_apertium_lacks_is_not_held_against_it,
     .timeout = 60) {
  if (access("/usr/bin/apertium", X_OK) != 0)
    cr_skip_test("apertium is not installed");
  baton *ctx = open_with(NULL);
  baton_rc rc;
  cJSON *res = run_plan(ctx,
                        "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":"
                        "\"The cat is black.\",\"tgt_lang\":\"ja\"}}]",
                        NULL, &rc);
  cr_assert_eq(rc, BATON_EXEC);
  const char *model = field(task_of(res, 0), "model"), *err = field(task_of(res, 0), "error");
  cr_assert_str_eq(model, "local/apertium");
  cr_expect(strstr(err, "apertium cannot translate en -> ja here") &&
                strstr(err, "installed pairs: ") && strstr(err, "en-es"),
            "%s", err);
  cr_expect_eq(failures_of(ctx, model), 0, "%s", err);
  cJSON_Delete(res);
  done_with(ctx);
}

#if defined(BATON_HAVE_TESSERACT)
Test(runtime_scheduler, a_task_failed_by_its_arguments_is_not_held_against_the_model,
     .timeout = 60) {
  baton *ctx = open_with(NULL);
  char path[700];
  snprintf(path, sizeof path, "%s/fake.png", home);
  bt_write(path, "only words, in a file named like a picture\n");
  const char *plans[] = {
      "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"fake.png\"}}]",
      "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{}}]"};
  for (size_t i = 0; i < sizeof plans / sizeof *plans; i++) {
    baton_rc rc;
    cJSON *res = run_plan(ctx, plans[i], NULL, &rc);
    cr_assert_eq(rc, BATON_EXEC, "plan %zu ran", i);
    const char *model = field(task_of(res, 0), "model");
    cr_assert_str_eq(model, "local/tesseract");
    cr_expect_eq(failures_of(ctx, model), 0, "plan %zu: %s", i, field(task_of(res, 0), "error"));
    cJSON_Delete(res);
  }
  done_with(ctx);
}
#endif

Test(runtime_scheduler, a_transient_failure_is_retried_with_backoff_then_reported, .timeout = 60) {
  baton *ctx = open_with("task_retries: 2\n");
  const char *plan =
      "[{\"task\":\"debug-fail\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"transient: the service blinked\"}},"
      "{\"task\":\"debug-fail\",\"id\":1,\"dep\":[-1],\"args\":{\"text\":\"a permanent fault\"}}]";
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, NULL, &rc);
  clock_gettime(CLOCK_MONOTONIC, &b);
  cr_assert_eq(rc, BATON_EXEC);
  const char *e0 = field(task_of(res, 0), "error");
  const char *e1 = field(task_of(res, 1), "error");
  cr_assert(strstr(e0, "the service blinked") && strstr(e0, "after 3 attempts"), "%s", e0);
  cr_assert(!strstr(e1, "attempts"), "a permanent fault was retried: %s", e1);
  /* Two backoffs: at least 200 + 400 ms. */
  double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  cr_assert_geq(secs, 0.6, "retried without backing off (%.2f s)", secs);
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(task_of(res, 1), "ms");
  cr_assert_lt(ms->valuedouble, 500.0, "the permanent fault waited");
  cJSON_Delete(res);
  done_with(ctx);
}

/* Threads of this process. */
static int threads_now(void) {
  char *status = bt_slurp("/proc/self/status", NULL);
  const char *t = strstr(status, "Threads:");
  int n = t ? atoi(t + 8) : -1;
  free(status);
  return n;
}

Test(runtime_scheduler, runs_share_the_contexts_task_threads, .timeout = 60) {
  baton *ctx = open_with("workers: 2\n");
  static const char plan[] =
      "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"300\"}}]";
  /* The run history (and its writer thread) opens at first use: count from
   * after it, as it is one thread per context, not per run. */
  cr_assert_null(baton_history_readonly(ctx));
  int before = threads_now();
  baton_run *runs[12];
  for (int i = 0; i < 12; i++) {
    baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
    cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &runs[i]), BATON_OK, "%s", baton_errmsg(ctx));
  }
  int during = threads_now();
  for (int i = 0; i < 12; i++) {
    cr_expect_eq(baton_run_wait(runs[i]), BATON_OK);
    baton_run_free(runs[i]);
  }
  /* Twelve runs, two task threads: the runs wait for them, not threads of their own. */
  cr_expect_leq(during - before, 2, "%d threads for 12 runs", during - before);
  done_with(ctx);
}

Test(runtime_scheduler, a_chain_of_2000_tasks_passing_text_runs_in_linear_time, .timeout = 120) {
  baton *ctx = open_with("workers: 2\nlimits:\n  tasks: 2000\n");
  size_t cap = 2000 * 160 + 64, len = 0;
  char *plan = malloc(cap);
  len += (size_t)snprintf(plan + len, cap - len,
                          "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\","
                          "\"tgt_lang\":\"es\"}}");
  for (int i = 1; i < 2000; i++)
    len += (size_t)snprintf(plan + len, cap - len,
                            ",{\"task\":\"debug-echo\",\"id\":%d,\"dep\":[%d],\"args\":{\"text\":"
                            "\"<GENERATED>-%d\"}}",
                            i, i - 1, i - 1);
  snprintf(plan + len, cap - len, "]");
  struct timespec t0, t1;
  struct timespec c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, NULL, &rc);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  free(plan);
  cr_expect_eq(rc, BATON_OK);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "tasks")), 2000);
  cr_expect_str_eq(text_out(task_of(res, 1999)), "x");
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
  /* Linear: a fraction of a second of CPU (about one under ASan); quadratic
   * work on 2000 tasks takes far more. The CPU time does not grow when the
   * machine is busy; the wall-clock bound is only for a run that waits. */
  cr_expect_lt(cpu, 10.0, "2000 chained tasks took %.1f s of CPU", cpu);
  cr_expect_lt(s, 60.0, "2000 chained tasks took %.1f s", s);
  cJSON_Delete(res);
  done_with(ctx);
}

Test(runtime_scheduler, each_step_of_a_long_mixed_plan_gets_the_choice_made_for_its_own_kind,
     .timeout = 60) {
  baton *ctx = open_with("workers: 2\nlimits:\n  tasks: 600\n");
  /* Kinds and texts interleaved (each text used by both kinds), and one
   * step naming its own model: the registry is asked once per kind and
   * text, and every step must still carry the choice made for its own kind. */
  size_t cap = 600 * 200 + 64, len = 0;
  char *plan = malloc(cap);
  len += (size_t)snprintf(plan + len, cap - len, "[");
  for (int i = 0; i < 600; i++)
    len += (size_t)snprintf(
        plan + len, cap - len, "%s{\"task\":\"%s\",\"id\":%d,\"dep\":[-1],\"args\":{\"text\":\"%s\"}%s}",
        i ? "," : "", i % 3 == 1 ? "debug-sleep" : "debug-echo", i, i % 2 ? "1" : "0",
        i == 299 ? ",\"model\":\"local/debug-echo\"" : "");
  snprintf(plan + len, cap - len, "]");
  baton_rc rc;
  cJSON *res = run_plan(ctx, plan, NULL, &rc);
  free(plan);
  cr_expect_eq(rc, BATON_OK);
  const cJSON *steps = cJSON_GetObjectItemCaseSensitive(res, "plan");
  cr_assert_eq(cJSON_GetArraySize(steps), 600);
  for (int i = 0; i < 600; i++) {
    const cJSON *s = cJSON_GetArrayItem(steps, i);
    const char *kind = field(s, "task");
    cr_assert_str_eq(kind, i % 3 == 1 ? "debug-sleep" : "debug-echo", "step %d", i);
    const cJSON *choice = cJSON_GetObjectItemCaseSensitive(s, "choice");
    if (i == 299) {
      cr_expect_null(choice, "step 299 named its model: nothing was chosen for it");
      continue;
    }
    const char *why = field(choice, "reason");
    char tail[64];
    snprintf(tail, sizeof tail, " for %s", kind);
    size_t wl = strlen(why), tl = strlen(tail);
    cr_assert(wl > tl && strcmp(why + wl - tl, tail) == 0, "step %d (%s): %s", i, kind, why);
    cr_assert(field(s, "model")[0], "step %d has no model", i);
    cr_assert_str_eq(field(task_of(res, i), "status"), "done", "step %d", i);
  }
  cJSON_Delete(res);
  done_with(ctx);
}

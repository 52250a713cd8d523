/* test_cancel_planning.c — batond runs cancelled while an LLM that never answers plans them: by run.cancel with the id of their `accepted` event, by SIGTERM, and by Ctrl-C in `baton run`. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/daemon.h"
#include "support/fake_http.h"
#include "support/support.h"

static bt_daemon d;
static fake_http *llm;

static void never_answer(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req, (void)ud;
  resp->hang = true;
}

/* A daemon planning with an LLM that takes every call and never answers; its timeout (10 min)
 * is far past any wait of these tests, so only a cancel ends the planning. */
static void start(void) {
  llm = fake_http_start();
  cr_assert(llm, "the fake LLM did not start");
  fake_http_set_handler(llm, never_answer, NULL);
  char config[512];
  snprintf(config, sizeof config,
           "workers: 2\ndaemon:\n  grace_ms: 200\nllm:\n  base_url: %s/v1\n  timeout_ms: 600000\n",
           fake_http_url(llm));
  bt_daemon_start(&d, config);
}

static void finish(void) {
  int st = bt_daemon_stop(&d);
  cr_expect_eq(st, 0, "batond exited with %d (see its stderr in %s)", st, d.err);
  fake_http_stop(llm);
}

TestSuite(daemon_cancel_planning, .init = start, .fini = finish, .timeout = 120);

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* The next message on fd (parsed), or NULL after BT_WAIT_MS. */
static cJSON *next_msg(int fd) {
  char *line = bt_read_line(fd, BT_WAIT_MS);
  cJSON *m = line ? cJSON_Parse(line) : NULL;
  cr_assert(!line || m, "the daemon sent a line that is not JSON: %.200s", line);
  free(line);
  return m;
}

/* Submits request on a new connection and reads its first message: the `accepted` event. Returns
 * the connection; *run_id receives the id the event carries (free it). */
static int submit_request(const char *request, char **run_id) {
  int fd = bt_dial(d.sock);
  cr_assert(fd >= 0, "cannot connect to %s", d.sock);
  char line[512];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":{\"request\":\"%s\"}}\n",
           request);
  bt_send(fd, line, strlen(line));
  cJSON *m = next_msg(fd);
  cr_assert(m, "no message after the submit");
  const cJSON *p = cJSON_GetObjectItem(m, "params");
  cr_assert_str_eq(str(m, "method"), "event");
  cr_assert_str_eq(str(p, "type"), "accepted", "the first event is accepted");
  *run_id = strdup(str(p, "run_id"));
  cr_assert(strlen(*run_id) == 28 && (*run_id)[8] == '-', "the run id: '%s'", *run_id);
  cJSON_Delete(m);
  return fd;
}

/* Waits until the LLM has been asked to plan n times. */
static void await_planning(size_t n) {
  for (long t0 = bt_now_ms(); fake_http_request_count(llm) < n; bt_nap_ms(10))
    cr_assert_lt(bt_now_ms() - t0, BT_WAIT_MS, "the planning call never reached the LLM");
}

/* Reads fd up to the submit's reply and returns it; *done: whether a `done` event came first. */
static cJSON *await_reply(int fd, bool *done) {
  *done = false;
  for (;;) {
    cJSON *m = next_msg(fd);
    cr_assert(m, "no reply to the submit: the run is still being planned");
    if (cJSON_GetObjectItem(m, "id"))
      return m;
    if (!strcmp(str(cJSON_GetObjectItem(m, "params"), "type"), "done"))
      *done = true;
    cJSON_Delete(m);
  }
}

/* The LLM calls result (a run's, or its record's) counts in its usage; -1 when it has none. */
static int llm_calls(const cJSON *result) {
  const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(result, "usage"), "llm_calls");
  return cJSON_IsNumber(n) ? n->valueint : -1;
}

/* The reply is the result of a run cancelled before it had a plan, for the reason why, while the
 * LLM had its planning call (sent, so counted: as the run's record counts it). */
static void expect_cancelled_unplanned(const cJSON *reply, const char *run_id, const char *why) {
  const cJSON *res = cJSON_GetObjectItem(reply, "result");
  cr_assert(res, "an error in place of the result: %s",
            str(cJSON_GetObjectItem(reply, "error"), "message"));
  cr_expect_str_eq(str(res, "run_id"), run_id);
  cr_expect_str_eq(str(res, "status"), "cancelled");
  cr_expect_str_eq(str(res, "cancel_reason"), why);
  cr_expect_str_eq(str(res, "request"), "say hello");
  cr_expect(cJSON_IsArray(cJSON_GetObjectItem(res, "plan")));
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "tasks")), 0);
  cr_expect_eq(llm_calls(res), 1, "the planning call sent is counted");
}

/* The daemon's history (run.get, runs.list on connection fd) keeps run_id cancelled before it
 * had a plan, for the reason why. */
static void expect_kept(int fd, const char *run_id, const char *why) {
  char params[128];
  snprintf(params, sizeof params, "{\"run_id\":\"%s\"}", run_id);
  char *r = bt_call(fd, 7, "run.get", params);
  cJSON *reply = r ? cJSON_Parse(r) : NULL;
  const cJSON *res = cJSON_GetObjectItem(reply, "result");
  cr_assert(res, "run.get: %s", r ? r : "(nothing)");
  cr_expect_str_eq(str(res, "run_id"), run_id);
  cr_expect_str_eq(str(res, "status"), "cancelled");
  cr_expect_str_eq(str(res, "cancel_reason"), why);
  cr_expect_str_eq(str(res, "request"), "say hello");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "tasks")), 0);
  cr_expect_eq(llm_calls(res), 1, "the planning call sent is counted");
  cJSON_Delete(reply);
  free(r);
  r = bt_call(fd, 8, "runs.list", "{}");
  cr_expect(r && strstr(r, run_id), "runs.list: %s", r ? r : "(nothing)");
  free(r);
}

Test(daemon_cancel_planning, run_cancel_takes_the_accepted_id_and_stops_the_planning) {
  char *run_id = NULL;
  int a = submit_request("say hello", &run_id);
  await_planning(1);
  int b = bt_dial(d.sock);
  char params[128];
  snprintf(params, sizeof params, "{\"run_id\":\"%s\"}", run_id);
  char *r = bt_call(b, 1, "run.cancel", params);
  cr_assert(r && strstr(r, "\"cancelling\":true"), "run.cancel: %s", r ? r : "(nothing)");
  free(r);
  bool done = false;
  cJSON *reply = await_reply(a, &done);
  expect_cancelled_unplanned(reply, run_id, "cancelled while it was being planned");
  cr_expect(done, "the run's done event comes before its result");
  cJSON_Delete(reply);
  /* It is over: the history keeps it, cancelling it again says it is not running; the daemon
   * runs on. */
  expect_kept(b, run_id, "cancelled while it was being planned");
  r = bt_call(b, 2, "run.cancel", params);
  cr_expect(r && strstr(r, "-32003") && strstr(r, "is not running"), "a second cancel: %s",
            r ? r : "(nothing)");
  free(r);
  r = bt_call(a, 2, "submit",
              "{\"plan\":[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
              "\"args\":{\"text\":\"hi\"}}]}");
  cr_expect(r && strstr(r, "\"status\":\"done\""), "a later run: %s", r ? r : "(nothing)");
  free(r);
  close(a);
  close(b);
  free(run_id);
}

Test(daemon_cancel_planning, sigterm_stops_a_run_the_llm_is_still_planning) {
  char *run_id = NULL;
  int a = submit_request("say hello", &run_id);
  await_planning(1);
  kill(d.pid, SIGTERM);
  bool done = false;
  cJSON *reply = await_reply(a, &done);
  expect_cancelled_unplanned(reply, run_id, "the daemon is shutting down");
  cJSON_Delete(reply);
  int st = bt_wait_exit(d.pid, BT_WAIT_MS);
  d.pid = 0;
  cr_expect_eq(st, 0, "batond exits 0 after SIGTERM, not %d (stderr in %s)", st, d.err);
  /* Its history keeps the run, cancelled for the same reason. */
  char home[600], *json = NULL;
  snprintf(home, sizeof home, "%s/home", d.dir);
  setenv("BATON_HOME", home, 1);
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_get(ctx, run_id, &json), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *kept = cJSON_Parse(json);
  cr_expect_str_eq(str(kept, "status"), "cancelled");
  cr_expect_str_eq(str(kept, "cancel_reason"), "the daemon is shutting down");
  cr_expect_eq(llm_calls(kept), 1, "the planning call sent is counted");
  cJSON_Delete(kept);
  baton_free(json);
  baton_close(ctx);
  close(a);
  free(run_id);
}

/* `baton run REQUEST` against the daemon in a child, its stderr to errfile; its pid. */
static pid_t baton_run_child(const char *request, const char *errfile) {
  char bin[600];
  const char *b = getenv("BATON_BIN_DIR");
  snprintf(bin, sizeof bin, "%s/baton", b && *b ? b : BATON_TEST_BINARY_DIR);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int err = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int out = open("/dev/null", O_WRONLY);
    if (err < 0 || out < 0 || dup2(err, 2) < 0 || dup2(out, 1) < 0)
      _exit(126);
    unsetenv("BATON_NO_DAEMON");
    signal(SIGINT, SIG_DFL);
    execl(bin, "baton", "run", request, (char *)NULL);
    _exit(127);
  }
  return pid;
}

Test(daemon_cancel_planning, ctrl_c_in_baton_run_cancels_the_run_the_daemon_is_planning) {
  char errf[600];
  snprintf(errf, sizeof errf, "%s/client.err", d.dir);
  pid_t client = baton_run_child("say hello", errf);
  await_planning(1);
  kill(client, SIGINT);
  int st = bt_wait_exit(client, BT_WAIT_MS);
  char *err = bt_slurp(errf, NULL);
  cr_expect_eq(st, 1, "baton run exits 1 for a cancelled run, not %d: %s", st, err);
  cr_expect(strstr(err, "was cancelled: cancelled while it was being planned\n"), "%s", err);
  cr_expect(!strstr(err, "resume"), "nothing to resume: %s", err);
  free(err);
  /* The daemon no longer plans it: it stops at once when told to. */
  cr_expect(bt_daemon_wait_log(&d, "ended before it had a plan", 1), "see %s", d.err);
}

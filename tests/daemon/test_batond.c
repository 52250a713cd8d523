/* test_batond.c — batond end to end on a temporary socket: every method and error, streamed events, 200 clients, disconnects, slow readers, SIGTERM, a second daemon, stale sockets, peer checks. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/daemon.h"
#include "support/support.h"

static bt_daemon d;

static const char *bin_dir(void) {
  const char *b = getenv("BATON_BIN_DIR");
  return b && *b ? b : BATON_TEST_BINARY_DIR;
}

/* ---- a raw line client ------------------------------------------------------ */

typedef struct conn {
  int fd;
  char *buf;
  size_t len, cap;
} conn;

static conn *dial_sized(size_t cap) {
  conn *c = calloc(1, sizeof *c);
  cr_assert(c);
  c->cap = cap;
  c->buf = malloc(cap);
  cr_assert(c->buf);
  c->fd = bt_dial(d.sock);
  cr_assert(c->fd >= 0, "cannot connect to %s: %s", d.sock, strerror(errno));
  return c;
}

static conn *dial(void) { return dial_sized(256 * 1024); }

static void hang_up(conn *c) {
  if (c) {
    close(c->fd);
    free(c->buf);
    free(c);
  }
}

static void send_raw(conn *c, const char *text) {
  size_t n = strlen(text);
  while (n) {
    ssize_t w = send(c->fd, text, n, MSG_NOSIGNAL);
    cr_assert(w > 0, "send: %s", strerror(errno));
    text += w;
    n -= (size_t)w;
  }
}

/* Next message, or NULL after timeout_ms. */
static cJSON *next_msg(conn *c, long timeout_ms) {
  long end = bt_now_ms() + timeout_ms;
  for (;;) {
    char *nl = memchr(c->buf, '\n', c->len);
    if (nl) {
      size_t n = (size_t)(nl - c->buf);
      cJSON *m = cJSON_ParseWithLength(c->buf, n);
      cr_assert(m, "the daemon sent a line that is not JSON: %.200s", c->buf);
      memmove(c->buf, nl + 1, c->len - n - 1);
      c->len -= n + 1;
      return m;
    }
    long left = end - bt_now_ms();
    if (left <= 0)
      return NULL;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0)
      continue;
    cr_assert(c->len < c->cap - 1, "a line longer than the test buffer");
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (r <= 0)
      return NULL;
    c->len += (size_t)r;
  }
}

/* Sends a request and returns its response (skipping notifications). */
static cJSON *call(conn *c, int id, const char *method, const char *params) {
  char line[8192];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"%s%s}\n", id, method,
           params ? ",\"params\":" : "", params ? params : "");
  send_raw(c, line);
  for (;;) {
    cJSON *m = next_msg(c, BT_WAIT_MS);
    cr_assert(m, "no reply to %s", method);
    cJSON *mid = cJSON_GetObjectItem(m, "id");
    if (cJSON_IsNumber(mid) && mid->valueint == id)
      return m;
    cJSON_Delete(m);
  }
}

static int err_code(const cJSON *reply) {
  const cJSON *e = cJSON_GetObjectItem(reply, "error");
  cr_assert(e, "expected an error reply");
  return cJSON_GetObjectItem(e, "code")->valueint;
}

static const cJSON *result(const cJSON *reply) {
  const cJSON *r = cJSON_GetObjectItem(reply, "result");
  cr_assert(r, "expected a result, got an error: %s",
            cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "error"), "message")
                ? cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "error"), "message")->valuestring
                : "?");
  return r;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- the daemon -------------------------------------------------------------------- */

static void start_with(const char *config) { bt_daemon_start(&d, config ? config : "workers: 4\n"); }

static void start(void) { start_with(NULL); }

static void finish(void) {
  /* A clean exit also means no leak or error under the sanitizers. */
  int st = bt_daemon_stop(&d);
  cr_expect_eq(st, 0, "batond exited with %d (see its stderr in %s)", st, d.err);
}

TestSuite(daemon_batond, .init = start, .fini = finish, .timeout = 120);

static const char echo_plan[] =
    "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"hello\"}},"
    "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"<GENERATED>-0\"}}]";

static char *sleep_plan(int ms) {
  static char buf[256];
  snprintf(buf, sizeof buf,
           "{\"plan\":[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"%d\"}}]}",
           ms);
  return buf;
}

/* Reads until the run's "plan" event and returns its run id (malloc'd). */
static char *await_plan_event(conn *c) {
  for (;;) {
    cJSON *m = next_msg(c, BT_WAIT_MS);
    cr_assert(m, "no plan event");
    const cJSON *p = cJSON_GetObjectItem(m, "params");
    if (!strcmp(str(m, "method"), "event") && !strcmp(str(p, "type"), "plan")) {
      char *id = strdup(str(p, "run_id"));
      cJSON_Delete(m);
      return id;
    }
    cr_assert(!cJSON_GetObjectItem(m, "error"), "submit failed");
    cJSON_Delete(m);
  }
}

/* ---- tests ---------------------------------------------------------------------------- */

Test(daemon_batond, health_reports_the_daemon_and_its_socket) {
  conn *c = dial();
  cJSON *r = call(c, 1, "health", NULL);
  const cJSON *res = result(r);
  cr_expect_str_eq(str(res, "status"), "ok");
  cr_expect_str_eq(str(res, "socket"), d.sock);
  cr_expect_eq(cJSON_GetObjectItem(res, "pid")->valueint, d.pid);
  cJSON_Delete(r);
  hang_up(c);
}

Test(daemon_batond, socket_is_private_to_the_user) {
  struct stat st;
  cr_assert_eq(stat(d.sock, &st), 0);
  cr_expect(S_ISSOCK(st.st_mode));
  cr_expect_eq(st.st_mode & 0777, 0600, "socket mode %o", st.st_mode & 0777);
  char rundir[300];
  snprintf(rundir, sizeof rundir, "%s/run", d.dir);
  cr_assert_eq(stat(rundir, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0700, "folder mode %o", st.st_mode & 0777);
}

/* Calls method with params on c and checks the error code (and, if given, words of its message). */
static void expect_error(conn *c, int id, const char *method, const char *params, int code,
                         const char *words) {
  cJSON *m = call(c, id, method, params);
  cr_expect_eq(err_code(m), code, "%s %s", method, params ? params : "");
  const char *msg = str(cJSON_GetObjectItem(m, "error"), "message");
  if (words)
    cr_expect(msg && strstr(msg, words), "%s: %s", method, msg ? msg : "(no message)");
  cJSON_Delete(m);
}

/* Sends a raw line on c and checks the error code of the reply (and words of its message). */
static void expect_line_error(conn *c, const char *line, int code, const char *words) {
  send_raw(c, line);
  send_raw(c, "\n");
  cJSON *m = next_msg(c, BT_WAIT_MS);
  cr_assert(m, "no reply to a bad line");
  cr_expect_eq(err_code(m), code);
  const char *msg = str(cJSON_GetObjectItem(m, "error"), "message");
  if (words)
    cr_expect(msg && strstr(msg, words), "%s", msg ? msg : "(no message)");
  cJSON_Delete(m);
}

Test(daemon_batond, every_bad_line_gets_its_code_and_the_connection_stays_usable) {
  conn *c = dial();
  send_raw(c, "{this is not json\n");
  cJSON *m = next_msg(c, BT_WAIT_MS);
  cr_assert(m);
  cr_expect_eq(err_code(m), -32700);
  cr_expect(cJSON_IsNull(cJSON_GetObjectItem(m, "id")));
  cJSON_Delete(m);

  /* params nested 100,000 deep: the error says how deep JSON may nest */
  char *deep = bt_nested_request("health", 100000);
  expect_line_error(c, deep, -32700, "deeper than 1000 levels");
  free(deep);
  expect_line_error(c, "[1,2]", -32600, NULL); /* a batch is an invalid request here */

  send_raw(c, "{\"id\":7,\"method\":\"health\"}\n");
  m = next_msg(c, BT_WAIT_MS);
  cr_expect_eq(err_code(m), -32600, "jsonrpc 2.0 is required");
  cr_expect_eq(cJSON_GetObjectItem(m, "id")->valueint, 7);
  cJSON_Delete(m);

  /* An oversized message is refused, and the next one works. */
  size_t big = (1u << 20) + 4096;
  char *huge = malloc(big + 1);
  cr_assert(huge);
  memset(huge, 'x', big);
  huge[big] = '\0';
  expect_line_error(c, huge, -32600, "larger");
  free(huge);

  /* Notifications (no id) get no reply, even unknown ones: the next line
   * is the answer to the request that follows them. */
  send_raw(c, "{\"jsonrpc\":\"2.0\",\"method\":\"health\"}\n");
  send_raw(c, "{\"jsonrpc\":\"2.0\",\"method\":\"no.such.method\"}\n");
  send_raw(c, "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"health\"}\n");
  m = next_msg(c, BT_WAIT_MS);
  cr_assert(m);
  cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(m, "id")) &&
                cJSON_GetObjectItem(m, "id")->valueint == 77,
            "a notification was answered");
  cJSON_Delete(m);
  m = call(c, 15, "health", NULL);
  cr_expect_str_eq(str(result(m), "status"), "ok");
  cJSON_Delete(m);
  hang_up(c);
}

Test(daemon_batond, every_bad_call_gets_its_code_and_the_connection_stays_usable) {
  conn *c = dial();
  expect_error(c, 8, "no.such.method", NULL, -32601, NULL);
  expect_error(c, 9, "submit", "{}", -32602, NULL); /* submit without request or plan */
  expect_error(c, 10, "submit", "{\"request\":42}", -32602, NULL);
  expect_error(c, 11, "health", "[1]", -32602, NULL); /* params must be an object */
  /* a conversation is checked as the planners check it, offline too */
  expect_error(c, 11, "submit",
               "{\"request\":\"summarize it\",\"offline\":true,"
               "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":1}]}",
               -32602, "message 1 is not");
  expect_error(c, 11, "submit",
               "{\"request\":\"summarize it\",\"offline\":true,"
               "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
               "{\"role\":\"assistant\",\"content\":\"no\",\"status\":true}]}",
               -32602, "message 1: \"status\" may only be");

  /* The project's own codes: -32000 - baton_rc. */
  expect_error(c, 12, "run.get", "{\"run_id\":\"19990101-000000-000000\"}", -32005, NULL);
  cJSON *m = call(c, 13, "submit",
                  "{\"plan\":[{\"task\":\"no-such-task\",\"id\":0,\"dep\":[-1],\"args\":{}}]}");
  int code = err_code(m);
  cr_expect(code <= -32001 && code > -32100, "a bad plan gets a project code, not %d", code);
  cJSON_Delete(m);
  expect_error(c, 14, "run.cancel", "{\"run_id\":\"19990101-000000-000000\"}", -32005, NULL);
  m = call(c, 15, "health", NULL);
  cr_expect_str_eq(str(result(m), "status"), "ok");
  cJSON_Delete(m);
  hang_up(c);
}

Test(daemon_batond, submit_streams_events_in_order_then_the_result) {
  conn *c = dial();
  char line[2048];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"method\":\"submit\",\"params\":{\"plan\":%s}}\n",
           echo_plan);
  send_raw(c, line);
  const char *want[] = {"accepted",      "plan",         "task.started",
                        "task.finished", "task.started", "task.finished"};
  size_t seen = 0;
  int deltas = 0, done = 0;
  cJSON *reply = NULL;
  char run_id[64] = "";
  while (!reply) {
    cJSON *m = next_msg(c, BT_WAIT_MS);
    cr_assert(m, "the stream stopped after %zu events", seen);
    if (cJSON_GetObjectItem(m, "id")) {
      reply = m;
      break;
    }
    cr_assert_str_eq(str(m, "method"), "event");
    const cJSON *p = cJSON_GetObjectItem(m, "params");
    const char *type = str(p, "type");
    if (!run_id[0])
      snprintf(run_id, sizeof run_id, "%s", str(p, "run_id"));
    cr_expect_str_eq(str(p, "run_id"), run_id, "every event names the run");
    cr_expect_eq(done, 0, "nothing follows done but the result");
    if (!strcmp(type, "summary.delta")) {
      cr_expect_eq(seen, 6, "the summary comes after the tasks");
      deltas++;
    } else if (!strcmp(type, "done")) {
      done = 1;
    } else {
      cr_assert_lt(seen, 6, "unexpected event %s", type);
      cr_expect_str_eq(type, want[seen], "event %zu", seen);
      if (seen >= 2)
        cr_expect_eq(cJSON_GetObjectItem(p, "task_id")->valueint, seen <= 3 ? 0 : 1);
      seen++;
    }
    cJSON_Delete(m);
  }
  cr_expect_eq(seen, 6);
  cr_expect_gt(deltas, 0);
  cr_expect_eq(done, 1);
  cr_expect_str_eq(str(reply, "id"), "r1");
  const cJSON *res = result(reply);
  cr_expect_str_eq(str(res, "status"), "done");
  cr_expect_str_eq(str(res, "run_id"), run_id);
  const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 1);
  cr_expect_str_eq(str(cJSON_GetObjectItem(t1, "outputs"), "text"), "hello");
  cr_expect(strstr(str(res, "summary"), "hello"));
  cJSON_Delete(reply);

  /* The run is in the table afterwards. */
  snprintf(line, sizeof line, "{\"run_id\":\"%s\"}", run_id);
  cJSON *g = call(c, 2, "run.get", line);
  cr_expect_str_eq(str(result(g), "status"), "done");
  cJSON_Delete(g);
  cJSON *l = call(c, 3, "runs.list", "{\"limit\":5}");
  cr_expect_str_eq(str(cJSON_GetArrayItem(result(l), 0), "run_id"), run_id);
  cJSON_Delete(l);
  hang_up(c);
}

Test(daemon_batond, submit_with_events_false_answers_with_the_result_alone) {
  conn *c = dial();
  char line[2048];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":\"q1\",\"method\":\"submit\",\"params\":{\"plan\":%s,"
           "\"events\":false}}\n",
           echo_plan);
  send_raw(c, line);
  /* A request/response client: the first line it reads is its answer. */
  cJSON *reply = next_msg(c, BT_WAIT_MS);
  cr_assert(reply, "no answer");
  cr_assert_str_eq(str(reply, "id"), "q1", "a notification came first: %s", str(reply, "method"));
  const cJSON *res = result(reply);
  cr_expect_str_eq(str(res, "status"), "done");
  const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 1);
  cr_expect_str_eq(str(cJSON_GetObjectItem(t1, "outputs"), "text"), "hello");
  cJSON_Delete(reply);
  /* Nothing trails it: the next line is the answer to the next request. */
  send_raw(c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"health\"}\n");
  cJSON *h = next_msg(c, BT_WAIT_MS);
  cr_assert(h, "no answer to health");
  cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(h, "id")), "stray notification after the result: %s",
            str(h, "method"));
  cJSON_Delete(h);
  cJSON *bad = call(c, 3, "submit", "{\"request\":\"hi\",\"events\":\"no\"}");
  const cJSON *err = cJSON_GetObjectItem(bad, "error");
  cr_assert(err, "events must be a boolean");
  cr_expect_eq(cJSON_GetObjectItem(err, "code")->valueint, -32602);
  cJSON_Delete(bad);
  hang_up(c);
}

Test(daemon_batond, plan_models_and_executors_answer) {
  conn *c = dial();
  cJSON *r = call(c, 1, "plan", "{\"request\":\"summarize this text: the cat sat on the mat\",\"offline\":true}");
  const cJSON *plan = result(r);
  cr_assert(cJSON_IsArray(plan));
  cr_expect_str_eq(str(cJSON_GetArrayItem(plan, 0), "task"), "summarization");
  cJSON_Delete(r);

  r = call(c, 2, "models.search", "{\"text\":\"speech\",\"limit\":3}");
  cr_expect(cJSON_GetArraySize(result(r)) > 0);
  cr_expect(cJSON_GetArraySize(result(r)) <= 3);
  cJSON_Delete(r);
  r = call(c, 3, "models.search", "{}");
  cr_expect_eq(err_code(r), -32602, "search needs text");
  cJSON_Delete(r);
  /* FTS5 syntax is only words here; text with none is the caller's mistake */
  r = call(c, 3, "models.search", "{\"text\":\"\\\"*(OR\"}");
  cr_expect_eq(err_code(r), -32602, "text with no word to search for");
  cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "message"), "nothing to search for"));
  cJSON_Delete(r);
  r = call(c, 3, "models.search", "{\"text\":\"\\\"speech*(OR NEAR(\",\"limit\":3}");
  cr_expect(cJSON_GetArraySize(result(r)) > 0, "operators are plain words among words");
  cJSON_Delete(r);
  /* an unknown task kind is the caller's mistake, told with the kinds */
  r = call(c, 4, "models.list", "{\"task\":\"nope\"}");
  cr_expect_eq(err_code(r), -32602, "models.list of an unknown task kind");
  cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "message"), "image-to-text"));
  cJSON_Delete(r);
  r = call(c, 4, "models.search", "{\"text\":\"speech\",\"task\":\"nope\"}");
  cr_expect_eq(err_code(r), -32602, "models.search of an unknown task kind");
  cJSON_Delete(r);
  /* so is a parameter submit and plan do not take */
  r = call(c, 4, "submit", "{\"request\":\"hi\",\"ofline\":true}");
  cr_expect_eq(err_code(r), -32602, "an unknown parameter of submit");
  cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "message"), "'ofline'"));
  cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "message"), "offline"));
  cJSON_Delete(r);
  r = call(c, 4, "plan", "{\"request\":\"hi\",\"ofline\":true}");
  cr_expect_eq(err_code(r), -32602, "an unknown parameter of plan");
  cJSON_Delete(r);
  r = call(c, 4, "models.list", "{\"task\":\"debug-echo\"}");
  cr_expect_str_eq(str(cJSON_GetArrayItem(result(r), 0), "id"), "local/debug-echo");
  cJSON_Delete(r);

  r = call(c, 5, "executors.list", NULL);
  const cJSON *e;
  int debug = 0;
  cJSON_ArrayForEach(e, result(r)) debug |= !strcmp(str(e, "name"), "debug");
  cr_expect(debug, "the debug executor is listed");
  cJSON_Delete(r);
  hang_up(c);
}

Test(daemon_batond, run_cancel_stops_a_run_from_another_connection) {
  conn *a = dial(), *b = dial();
  char line[512];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":%s}\n",
           sleep_plan(600000));
  long t0 = bt_now_ms();
  send_raw(a, line);
  char *run_id = await_plan_event(a);
  snprintf(line, sizeof line, "{\"run_id\":\"%s\"}", run_id);
  cJSON *r = call(b, 1, "run.cancel", line);
  result(r);
  cJSON_Delete(r);
  cJSON *m;
  while ((m = next_msg(a, BT_WAIT_MS)) && !cJSON_GetObjectItem(m, "id"))
    cJSON_Delete(m);
  cr_assert(m, "no result after cancel");
  cr_expect_str_eq(str(result(m), "status"), "cancelled");
  cr_expect_lt(bt_now_ms() - t0, 30000, "cancel did not stop the sleeping task");
  cJSON_Delete(m);
  /* Cancelling a finished run says so. */
  r = call(b, 2, "run.cancel", line);
  cr_expect_eq(err_code(r), -32003);
  cJSON_Delete(r);
  free(run_id);
  hang_up(a);
  hang_up(b);
}

Test(daemon_batond, two_hundred_concurrent_clients_all_complete) {
  enum { N = 200 };
  conn **cs = calloc(N, sizeof *cs);
  int *got = calloc(N, sizeof *got);
  for (int i = 0; i < N; i++) {
    cs[i] = dial();
    char line[512];
    snprintf(line, sizeof line,
             "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"submit\",\"params\":{\"plan\":"
             "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"client %d\"}}]}}\n",
             i, i);
    send_raw(cs[i], line);
  }
  int done = 0;
  long end = bt_now_ms() + 2 * BT_WAIT_MS;
  while (done < N && bt_now_ms() < end) {
    for (int i = 0; i < N; i++) {
      if (got[i])
        continue;
      cJSON *m = next_msg(cs[i], 1);
      while (m && !cJSON_GetObjectItem(m, "id")) {
        cJSON_Delete(m);
        m = next_msg(cs[i], 1);
      }
      if (!m)
        continue;
      cr_expect_eq(cJSON_GetObjectItem(m, "id")->valueint, i, "a reply went to the wrong client");
      const cJSON *res = result(m);
      cr_expect_str_eq(str(res, "status"), "done");
      char want[32];
      snprintf(want, sizeof want, "client %d", i);
      const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
      cr_expect_str_eq(str(cJSON_GetObjectItem(t0, "outputs"), "text"), want);
      got[i] = 1;
      done++;
      cJSON_Delete(m);
    }
  }
  cr_expect_eq(done, N, "only %d of %d runs answered", done, N);
  cJSON *h = call(cs[0], 9999, "health", NULL);
  cr_expect_geq(cJSON_GetObjectItem(result(h), "runs_total")->valuedouble, N);
  cJSON_Delete(h);
  for (int i = 0; i < N; i++)
    hang_up(cs[i]);
  free(cs);
  free(got);
}

Test(daemon_batond, a_client_that_disconnects_mid_run_does_not_lose_the_run) {
  conn *a = dial();
  char line[512];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":%s}\n",
           sleep_plan(400));
  send_raw(a, line);
  char *run_id = await_plan_event(a);
  hang_up(a);
  conn *b = dial();
  snprintf(line, sizeof line, "{\"run_id\":\"%s\"}", run_id);
  const char *status = "";
  cJSON *r = NULL;
  for (long end = bt_now_ms() + BT_WAIT_MS, i = 1; bt_now_ms() < end; i++, bt_nap_ms(50)) {
    cJSON_Delete(r);
    r = call(b, (int)i, "run.get", line);
    status = str(result(r), "status");
    if (!strcmp(status, "done"))
      break;
  }
  cr_expect_str_eq(status, "done", "the run of a vanished client still completes");
  cJSON_Delete(r);
  free(run_id);
  hang_up(b);
}

/* `printf '...' | nc -N -U SOCK`: requests, then the client shuts its writing
 * side (its last line without a newline) and reads until the daemon closes. */
Test(daemon_batond, a_client_that_shuts_its_writing_side_still_gets_every_answer) {
  conn *c = dial();
  char line[512];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":{\"plan\":"
           "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"300\"}}],"
           "\"events\":false}}\n");
  send_raw(c, line);
  send_raw(c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"health\"}\n");
  send_raw(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"runs.list\"}");
  cr_assert_eq(shutdown(c->fd, SHUT_WR), 0);
  bool answered[4] = {false};
  cJSON *m;
  while ((m = next_msg(c, BT_WAIT_MS))) {
    const cJSON *id = cJSON_GetObjectItem(m, "id");
    cr_assert(cJSON_IsNumber(id) && id->valueint >= 1 && id->valueint <= 3,
              "an unexpected line: %s", cJSON_PrintUnformatted(m));
    cr_expect(cJSON_GetObjectItem(m, "result"), "request %d failed", id->valueint);
    if (id->valueint == 1)
      cr_expect_str_eq(str(result(m), "status"), "done");
    answered[id->valueint] = true;
    cJSON_Delete(m);
  }
  cr_expect(answered[1], "the run's result was lost");
  cr_expect(answered[2], "the request before the end was not answered");
  cr_expect(answered[3], "the last line, without its newline, was not answered");
  char b;
  cr_expect_eq(recv(c->fd, &b, 1, MSG_DONTWAIT), 0, "the daemon closes once all is answered");
  hang_up(c);
}

Test(daemon_batond, a_client_that_stops_reading_blocks_nobody) {
  finish();
  start_with("daemon:\n  max_output_bytes: 8192\n");
  /* A plan whose events are far larger than the socket and output buffers. */
  cJSON *plan = cJSON_CreateArray();
  char *text = malloc(8001);
  memset(text, 'y', 8000);
  text[8000] = '\0';
  for (int i = 0; i < 60; i++) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "task", "debug-echo");
    cJSON_AddNumberToObject(t, "id", i);
    cJSON_AddItemToObject(t, "dep", cJSON_CreateIntArray((int[]){-1}, 1));
    cJSON *args = cJSON_AddObjectToObject(t, "args");
    cJSON_AddStringToObject(args, "text", text);
    cJSON_AddItemToArray(plan, t);
  }
  free(text);
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "jsonrpc", "2.0");
  cJSON_AddNumberToObject(req, "id", 1);
  cJSON_AddStringToObject(req, "method", "submit");
  cJSON_AddObjectToObject(req, "params");
  cJSON_AddItemToObject(cJSON_GetObjectItem(req, "params"), "plan", plan);
  char *line = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  conn *slow = dial_sized(16u << 20);
  send_raw(slow, line);
  send_raw(slow, "\n");
  free(line);
  /* While it does not read, others are served at once. (A daemon blocked
   * on the slow client would not answer at all; a loaded machine under
   * ASan may take a second or two.) */
  conn *other = dial();
  for (int i = 0; i < 5; i++) {
    long t0 = bt_now_ms();
    cJSON *h = call(other, i + 1, "health", NULL);
    cr_expect_lt(bt_now_ms() - t0, 5000);
    cJSON_Delete(h);
    bt_nap_ms(100);
  }
  /* Now read: a notice that events were dropped, then the whole result. */
  int notice = 0;
  cJSON *m, *reply = NULL;
  while ((m = next_msg(slow, BT_WAIT_MS))) {
    if (!strcmp(str(m, "method"), "notice"))
      notice = 1;
    if (cJSON_GetObjectItem(m, "id")) {
      reply = m;
      break;
    }
    cJSON_Delete(m);
  }
  cr_expect(notice, "the slow client is told that events were dropped");
  cr_assert(reply, "the slow client still gets its result");
  cr_expect_str_eq(str(result(reply), "status"), "done");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(result(reply), "tasks")), 60);
  cJSON_Delete(reply);
  hang_up(slow);
  hang_up(other);
}

Test(daemon_batond, sigterm_lets_short_runs_finish_and_cancels_long_ones) {
  finish();
  start_with("daemon:\n  grace_ms: 3000\n");
  conn *a = dial(), *b = dial();
  char line[512];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":%s}\n",
           sleep_plan(300));
  send_raw(a, line);
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":%s}\n",
           sleep_plan(600000));
  send_raw(b, line);
  free(await_plan_event(a));
  char *long_id = await_plan_event(b);
  long t0 = bt_now_ms();
  kill(d.pid, SIGTERM);
  /* No new connections once stopping (it logs so once the listener is closed). */
  cr_assert(bt_daemon_wait_log(&d, "stopping:", 1), "batond did not begin to stop (see %s)", d.err);
  int late = bt_dial(d.sock);
  cr_expect_lt(late, 0, "still accepting after SIGTERM");
  if (late >= 0)
    close(late);
  cJSON *m;
  while ((m = next_msg(a, BT_WAIT_MS)) && !cJSON_GetObjectItem(m, "id"))
    cJSON_Delete(m);
  cr_assert(m);
  cr_expect_str_eq(str(result(m), "status"), "done", "a run shorter than the grace finishes");
  cJSON_Delete(m);
  while ((m = next_msg(b, BT_WAIT_MS)) && !cJSON_GetObjectItem(m, "id"))
    cJSON_Delete(m);
  cr_assert(m);
  cr_expect_str_eq(str(result(m), "status"), "cancelled", "a longer run is cancelled");
  cr_expect_str_eq(str(result(m), "cancel_reason"), "the daemon is shutting down");
  cJSON_Delete(m);
  int st = bt_wait_exit(d.pid, BT_WAIT_MS);
  d.pid = 0;
  cr_expect_eq(st, 0, "batond exits 0 after SIGTERM, not %d (stderr in %s)", st, d.err);
  cr_expect_lt(bt_now_ms() - t0, 30000, "batond waited for the long run");
  struct stat sst;
  cr_expect_neq(stat(d.sock, &sst), 0, "the socket is removed");
  /* The cancelled run stays in the runs table, resumable. */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/baton runs show %s --json --local", bin_dir(), long_id);
  char *out = NULL;
  cr_expect_eq(bt_run(cmd, &out), 0);
  cr_expect(out && strstr(out, "cancelled"), "stored as cancelled: %s", out ? out : "");
  free(out);
  free(long_id);
  hang_up(a);
  hang_up(b);
}

/* Starts `baton run --plan` of plan_json through the daemon in the background, its stderr in
 * errf (d.dir/client.err), and waits until stderr shows marker: the client's pid. *err_out
 * (freed by the caller) is its stderr then. */
static pid_t client_run_reaching(const char *plan_json, const char *marker, char *errf, size_t n,
                                 char **err_out) {
  char plan[600], cmd[2048];
  snprintf(plan, sizeof plan, "%s/plan.json", d.dir);
  snprintf(errf, n, "%s/client.err", d.dir);
  bt_write(plan, plan_json);
  snprintf(cmd, sizeof cmd, "env -u BATON_NO_DAEMON BATON_SOCKET='%s' '%s/baton' run --plan '%s'"
           " >/dev/null 2>'%s' & echo $!", d.sock, bin_dir(), plan, errf);
  char *out = NULL;
  cr_assert_eq(bt_run(cmd, &out), 0);
  pid_t client = (pid_t)atol(out);
  free(out);
  char *err = NULL;
  for (long t0 = bt_now_ms(); bt_now_ms() - t0 < BT_WAIT_MS; bt_nap_ms(50)) {
    free(err);
    err = bt_slurp(errf, NULL);
    if (strstr(err, marker))
      break;
  }
  cr_assert(strstr(err, marker), "the client's run never showed %s: %s", marker, err);
  *err_out = err;
  return client;
}

Test(daemon_batond, a_client_whose_run_sigterm_cancels_says_why_and_how_to_resume) {
  finish();
  start_with("daemon:\n  grace_ms: 200\n");
  char errf[600], *err = NULL;
  pid_t client = client_run_reaching(
      "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"60000\"}},"
      "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"x\"}}]",
      "[1/2]", errf, sizeof errf, &err);
  free(err);
  kill(d.pid, SIGTERM);
  cr_expect_eq(bt_wait_exit(d.pid, BT_WAIT_MS), 0);
  d.pid = 0;
  for (long t0 = bt_now_ms(); kill(client, 0) == 0 && bt_now_ms() - t0 < BT_WAIT_MS;)
    bt_nap_ms(50);
  err = bt_slurp(errf, NULL);
  cr_expect(strstr(err, "the daemon is shutting down"), "%s", err);
  cr_expect(strstr(err, "`baton runs resume 2"), "%s", err);
  free(err);
}

Test(daemon_batond, a_client_whose_daemon_is_killed_mid_run_is_told_which_run_to_resume) {
  char errf[600], *err = NULL;
  pid_t client = client_run_reaching(
      "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\"}},"
      "{\"task\":\"debug-sleep\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"60000\"}}]",
      "[2/2]", errf, sizeof errf, &err);
  char id[64] = "";
  sscanf(err, "baton: run %63[^:]", id);
  free(err);
  /* A read commits what the daemon queued for its history: the run's start and first task
   * (a kill within the few ms the queue gathers writes for would lose them). */
  char params[128];
  snprintf(params, sizeof params, "{\"run_id\":\"%s\"}", id);
  conn *c = dial();
  cJSON_Delete(call(c, 1, "run.get", params));
  hang_up(c);
  kill(d.pid, SIGKILL);
  waitpid(d.pid, NULL, 0);
  /* The client ends at once (no hang), saying which run to look at and resume. */
  for (long t0 = bt_now_ms(); kill(client, 0) == 0 && bt_now_ms() - t0 < BT_WAIT_MS;)
    bt_nap_ms(50);
  cr_expect_neq(kill(client, 0), 0, "the client still waits for a killed daemon");
  err = bt_slurp(errf, NULL);
  char want[200];
  snprintf(want, sizeof want, "`baton runs resume %s`", id);
  cr_expect(id[0] && strstr(err, want), "the client names run %s to resume: %s", id, err);
  free(err);
  /* A new daemon starts over the stale socket and shows the run interrupted, its first
   * task's output kept. */
  snprintf(errf, sizeof errf, "%s/again.err", d.dir);
  d.pid = bt_daemon_spawn(errf, 0);
  bt_daemon_wait_ready(&d, d.pid);
  c = dial();
  cJSON *r = call(c, 1, "run.get", params);
  cr_expect_str_eq(str(result(r), "status"), "interrupted");
  const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(result(r), "tasks"), 0);
  cr_expect_str_eq(str(cJSON_GetObjectItem(t0, "outputs"), "text"), "x");
  cJSON_Delete(r);
  hang_up(c);
}

/* Submits params on c and reads up to the run's `accepted` event (skipping none before it: it
 * is the first): its run id (malloc'd). */
static char *submit_to_accepted(conn *c, const char *params) {
  char line[1024];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":%s}\n",
           params);
  send_raw(c, line);
  cJSON *m = next_msg(c, BT_WAIT_MS);
  cr_assert(m, "no accepted event");
  const cJSON *p = cJSON_GetObjectItem(m, "params");
  cr_assert_str_eq(str(p, "type"), "accepted", "the first event is accepted");
  char *id = strdup(str(p, "run_id"));
  cJSON_Delete(m);
  return id;
}

/* Kills the daemon with SIGKILL, starts another in its place and returns the status the new
 * one's runs.list gives run id ("" when it does not list it; malloc'd). */
static char *status_after_a_kill(const char *id) {
  kill(d.pid, SIGKILL);
  waitpid(d.pid, NULL, 0);
  unsetenv("BATON_TEST_RUNS_GATHER_MS");
  char errf[600];
  snprintf(errf, sizeof errf, "%s/again.err", d.dir);
  d.pid = bt_daemon_spawn(errf, 0);
  bt_daemon_wait_ready(&d, d.pid);
  conn *c = dial();
  cJSON *r = call(c, 1, "runs.list", "{\"limit\":100}");
  char *status = strdup("");
  const cJSON *run;
  cJSON_ArrayForEach(run, result(r)) {
    if (!strcmp(str(run, "run_id"), id)) {
      free(status);
      status = strdup(str(run, "status"));
    }
  }
  cJSON_Delete(r);
  hang_up(c);
  return status;
}

/* The run's start is committed before its id is told: killed right after `accepted`, with the
 * history's batch held open far longer than the kill takes, the run is interrupted after a
 * restart, not unknown. */
Test(daemon_batond, a_run_whose_daemon_is_killed_right_after_accepted_is_interrupted_after) {
  finish();
  setenv("BATON_TEST_RUNS_GATHER_MS", "60000", 1);
  start();
  conn *c = dial();
  char *id = submit_to_accepted(c, sleep_plan(60000));
  char *status = status_after_a_kill(id);
  cr_expect_str_eq(status, "interrupted", "run %s after the kill: '%s'", id, status);
  free(status);
  free(id);
  hang_up(c);
}

/* The same for a run that waits for a slot (max_runs), never planned when the daemon dies. */
Test(daemon_batond, a_run_waiting_for_a_slot_when_its_daemon_is_killed_is_interrupted_after) {
  finish();
  start_with("daemon:\n  max_runs: 1\n");
  conn *a = dial(), *b = dial();
  free(submit_to_accepted(a, sleep_plan(60000)));
  free(await_plan_event(a));
  char *id = submit_to_accepted(b, sleep_plan(10));
  char *status = status_after_a_kill(id);
  cr_expect_str_eq(status, "interrupted", "run %s after the kill: '%s'", id, status);
  free(status);
  /* Never planned: a resume says so, and what to do. */
  char cmd[1024], *out = NULL;
  snprintf(cmd, sizeof cmd, "%s/baton runs resume %s --local 2>&1", bin_dir(), id);
  cr_expect_neq(bt_run(cmd, &out), 0);
  cr_expect(out && strstr(out, "has no plan") && strstr(out, "submit its request again"), "%s",
            out ? out : "");
  free(out);
  free(id);
  hang_up(a);
  hang_up(b);
}

/* A submit refused after its `accepted` event (its plan names a kind nothing runs) leaves no
 * run in the history, as before its start was recorded at acceptance. */
Test(daemon_batond, a_submit_refused_after_accepted_leaves_no_run) {
  conn *c = dial();
  char *id = submit_to_accepted(
      c, "{\"plan\":[{\"task\":\"no-such-kind\",\"id\":0,\"dep\":[-1],\"args\":{}}]}");
  cJSON *m;
  while ((m = next_msg(c, BT_WAIT_MS)) && !cJSON_GetObjectItem(m, "id"))
    cJSON_Delete(m);
  cr_assert(m, "no answer to the submit");
  cr_expect(cJSON_GetObjectItem(m, "error"), "the plan was taken");
  cJSON_Delete(m);
  cJSON *r = call(c, 2, "runs.list", "{\"limit\":100}");
  const cJSON *run;
  cJSON_ArrayForEach(run, result(r))
    cr_expect_str_neq(str(run, "run_id"), id, "the refused run %s is listed", id);
  cJSON_Delete(r);
  free(id);
  hang_up(c);
}

/* One line from a pipe (up to BT_WAIT_MS between bytes), malloc'd without its newline, or NULL. */
static char *pipe_line(int fd) {
  size_t len = 0, cap = 1 << 16;
  char *line = malloc(cap);
  cr_assert(line);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (len + 1 < cap && poll(&p, 1, BT_WAIT_MS) == 1 && read(fd, line + len, 1) == 1)
    if (line[len++] == '\n') {
      line[len - 1] = '\0';
      return line;
    }
  free(line);
  return NULL;
}

/* Starts `baton mcp` through d in d.dir with pipes to and from it. */
static pid_t spawn_mcp(int *to, int *from) {
  int in[2], out[2];
  cr_assert(pipe(in) == 0 && pipe(out) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    char prog[700];
    snprintf(prog, sizeof prog, "%s/baton", bin_dir());
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || chdir(d.dir) != 0)
      _exit(3);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    unsetenv("BATON_NO_DAEMON");
    setenv("BATON_SOCKET", d.sock, 1);
    execl(prog, "baton", "mcp", (char *)NULL);
    _exit(4);
  }
  cr_assert(pid > 0);
  close(in[0]);
  close(out[1]);
  *to = in[1];
  *from = out[0];
  return pid;
}

/* `baton mcp` through the daemon, when the daemon dies mid-run, names the run and how to look at
 * and resume it, as `baton run` does. */
Test(daemon_batond, an_mcp_call_whose_daemon_is_killed_mid_run_is_told_which_run_to_resume) {
  signal(SIGPIPE, SIG_IGN);
  int to = -1, from = -1;
  pid_t mcp = spawn_mcp(&to, &from);
  dprintf(to, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
              "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":"
              "{\"name\":\"t\",\"version\":\"1\"}}}\n");
  free(pipe_line(from));
  dprintf(to, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
              "\"name\":\"debug_sleep\",\"arguments\":{\"text\":\"60000\"},"
              "\"_meta\":{\"progressToken\":7}}}\n");
  char id[64] = "", *line = NULL;
  while (!id[0] && (line = pipe_line(from)) != NULL) { /* "run ID: planned 1 task" */
    const char *at = strstr(line, "\"message\":\"run ");
    if (at)
      sscanf(at + strlen("\"message\":\"run "), "%63[^:]", id);
    free(line);
  }
  cr_assert(id[0], "no progress named the run");
  kill(d.pid, SIGKILL);
  waitpid(d.pid, NULL, 0);
  d.pid = 0;
  char want[200];
  snprintf(want, sizeof want, "`baton runs resume %s`", id);
  while ((line = pipe_line(from)) != NULL && !strstr(line, "\"id\":1"))
    free(line);
  cr_expect(line && strstr(line, "closed the connection before run ") && strstr(line, want),
            "the call names run %s to resume: %s", id, line ? line : "(no answer)");
  free(line);
  close(to); /* its input ends: it exits */
  close(from);
  cr_expect_eq(bt_wait_exit(mcp, BT_WAIT_MS), 0);
}

Test(daemon_batond, a_second_daemon_on_the_same_socket_is_refused) {
  char errf[512];
  snprintf(errf, sizeof errf, "%s/second.err", d.dir);
  int st = bt_wait_exit(bt_daemon_spawn(errf, 0), BT_WAIT_MS);
  cr_assert_neq(st, -1, "the second daemon kept running");
  cr_expect_eq(st, 1);
  char *err = bt_slurp(errf, NULL);
  cr_expect(strstr(err, "already serving"), "stderr: %s", err);
  free(err);
  conn *c = dial();
  cJSON *r = call(c, 1, "health", NULL);
  cr_expect_eq(cJSON_GetObjectItem(result(r), "pid")->valueint, d.pid, "the first one still serves");
  cJSON_Delete(r);
  hang_up(c);
}

Test(daemon_batond, a_stale_socket_left_by_a_crash_is_replaced) {
  kill(d.pid, SIGKILL);
  waitpid(d.pid, NULL, 0);
  d.pid = 0;
  struct stat st;
  cr_assert_eq(stat(d.sock, &st), 0, "a killed daemon leaves its socket");
  cr_assert_lt(bt_dial(d.sock), 0);
  char errf[512];
  snprintf(errf, sizeof errf, "%s/again.err", d.dir);
  d.pid = bt_daemon_spawn(errf, 0);
  bt_daemon_wait_ready(&d, d.pid);
  conn *c = dial();
  cJSON *r = call(c, 1, "health", NULL);
  cr_expect_eq(cJSON_GetObjectItem(result(r), "pid")->valueint, d.pid);
  cJSON_Delete(r);
  hang_up(c);
}

Test(daemon_batond, sighup_reloads_the_config) {
  char p[512];
  snprintf(p, sizeof p, "%s/config.yaml", d.dir);
  bt_write(p, "workers: 4\ndaemon:\n  max_message_bytes: 2048\n");
  kill(d.pid, SIGHUP);
  cr_assert(bt_daemon_wait_log(&d, "reloaded the configuration", 1), "no reload (see %s)", d.err);
  conn *c = dial();
  char big[4096];
  memset(big, ' ', sizeof big - 2);
  big[sizeof big - 2] = '\n';
  big[sizeof big - 1] = '\0';
  memcpy(big, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\"", 40);
  big[sizeof big - 3] = '}';
  send_raw(c, big);
  cJSON *m = next_msg(c, BT_WAIT_MS);
  cr_assert(m);
  cr_expect_eq(err_code(m), -32600, "the reloaded 2048-byte limit applies");
  cJSON_Delete(m);
  m = call(c, 2, "health", NULL);
  result(m);
  cJSON_Delete(m);
  hang_up(c);
}

Test(daemon_batond, other_users_are_refused_unless_allowed) {
  if (geteuid() != 0)
    cr_skip_test("needs root to connect as another user");
  char rundir[300];
  snprintf(rundir, sizeof rundir, "%s/run", d.dir);
  /* Let the other user reach the socket, so that only the peer check stops it. */
  chmod(d.dir, 0711);
  chmod(rundir, 0711);
  chmod(d.sock, 0666);
  for (int allowed = 0; allowed < 2; allowed++) {
    if (allowed) {
      char p[512];
      snprintf(p, sizeof p, "%s/config.yaml", d.dir);
      bt_write(p, "daemon:\n  allow_uids: \"65534\"\n");
      kill(d.pid, SIGHUP);
      cr_assert(bt_daemon_wait_log(&d, "reloaded the configuration", 1), "no reload (see %s)",
                d.err);
    }
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      if (setgid(65534) != 0 || setuid(65534) != 0)
        _exit(3);
      int fd = bt_dial(d.sock);
      if (fd < 0)
        _exit(4);
      const char *q = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\"}\n";
      ssize_t w = send(fd, q, strlen(q), MSG_NOSIGNAL);
      (void)w;
      char buf[2048];
      ssize_t n = 0, r;
      while (n < (ssize_t)sizeof buf - 1 && (r = recv(fd, buf + n, sizeof buf - 1 - (size_t)n, 0)) > 0) {
        n += r;
        if (memchr(buf, '\n', (size_t)n))
          break;
      }
      w = write(fds[1], buf, n > 0 ? (size_t)n : 0);
      _exit(0);
    }
    close(fds[1]);
    char buf[2048] = "";
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", WEXITSTATUS(st));
    buf[n > 0 ? n : 0] = '\0';
    if (allowed)
      cr_expect(strstr(buf, "\"result\""), "an allowed uid is served: %s", buf);
    else
      cr_expect(strstr(buf, "-32014"), "another uid is refused with access denied: %s", buf);
  }
}

Test(daemon_batond, inputs_are_resolved_against_the_client_cwd) {
  conn *c = dial();
  cJSON *r = call(c, 1, "executors.list", NULL);
  const cJSON *e;
  int ocr = 0;
  cJSON_ArrayForEach(e, result(r)) {
    if (!strcmp(str(e, "name"), "tesseract"))
      ocr = cJSON_IsTrue(cJSON_GetObjectItem(e, "available"));
  }
  cJSON_Delete(r);
  if (!ocr) {
    hang_up(c);
    cr_skip_test("the tesseract executor is not available here");
  }
  char *examples = bt_source_path("examples");
  char params[2048];
  const char *plan = "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"sign.png\"}}]";
  /* sign.png is found in the client's folder... */
  snprintf(params, sizeof params, "{\"plan\":%s,\"cwd\":\"%s\"}", plan, examples);
  r = call(c, 2, "submit", params);
  const cJSON *res = result(r);
  cr_expect_str_eq(str(res, "status"), "done");
  const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_expect(strlen(str(cJSON_GetObjectItem(t0, "outputs"), "text")) > 0, "OCR text from sign.png");
  cJSON_Delete(r);
  /* ...not in another one, */
  snprintf(params, sizeof params, "{\"plan\":%s,\"cwd\":\"%s\"}", plan, d.dir);
  r = call(c, 3, "submit", params);
  int code = err_code(r);
  cr_expect(code < -32000 && code > -32100, "a missing input is the project's error, not %d", code);
  cr_expect(strstr(str(cJSON_GetObjectItem(r, "error"), "message"), "sign.png"));
  cJSON_Delete(r);
  /* ...and cwd must be a folder. */
  snprintf(params, sizeof params, "{\"plan\":%s,\"cwd\":\"relative/path\"}", plan);
  r = call(c, 4, "submit", params);
  cr_expect_eq(err_code(r), -32602);
  cJSON_Delete(r);
  free(examples);
  hang_up(c);
}

/* test_lanes.c — batond's threads: calls that need no LLM are answered while others' runs and plans wait on it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/daemon.h"
#include "support/fake_http.h"
#include "support/support.h"

#define SLOW_CALLS 8 /* more than the daemon's threads for quick calls */
#define QUICK_MS 5000 /* the LLM's timeout is 20 s */

static void never_answer(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req;
  (void)ud;
  resp->hang = true;
}

static bt_daemon d;
static fake_http *llm;
static int fds[SLOW_CALLS];

/* A daemon whose LLM takes requests and never answers them. */
static void start_with_silent_llm(void) {
  llm = fake_http_start();
  cr_assert_not_null(llm);
  fake_http_set_handler(llm, never_answer, NULL);
  char cfg[600];
  snprintf(cfg, sizeof cfg,
           "workers: 2\nllm:\n  base_url: %s/v1\n  model: m\n  timeout_ms: 20000\n"
           "daemon:\n  grace_ms: 1000\n",
           fake_http_url(llm));
  bt_daemon_start(&d, cfg);
}

/* Sends each of SLOW_CALLS connections one call of method that asks the LLM,
 * and waits until the LLM has at least `seen` of them. */
static void send_slow(const char *method, size_t seen) {
  char line[1024];
  snprintf(line, sizeof line,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"request\":\"read the "
           "text in sign.png\",\"cwd\":\"%s\"}}\n",
           method, d.dir);
  for (int i = 0; i < SLOW_CALLS; i++) {
    fds[i] = bt_dial(d.sock);
    cr_assert_geq(fds[i], 0);
    bt_send(fds[i], line, strlen(line));
  }
  cr_assert(fake_http_wait_requests(llm, seen, BT_WAIT_MS), "the LLM was not asked");
  bt_nap_ms(300); /* the rest of the calls reach the daemon's threads */
}

/* Sends a request and returns its reply (id 9) if it comes within QUICK_MS,
 * else NULL. */
static char *call_quick(int fd, const char *method, const char *params) {
  char line[2048];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"%s\",\"params\":%s}\n",
           method, params);
  bt_send(fd, line, strlen(line));
  for (long end = bt_now_ms() + QUICK_MS; bt_now_ms() < end;) {
    char *m = bt_read_line(fd, (int)(end - bt_now_ms()));
    if (!m)
      return NULL;
    if (strstr(m, "\"id\":9"))
      return m;
    free(m);
  }
  return NULL;
}

static void expect_quick(int fd, const char *method, const char *params, const char *needle) {
  char *r = call_quick(fd, method, params);
  cr_assert_not_null(r, "%s got no answer within %d ms while others wait on the LLM", method,
                     QUICK_MS);
  cr_assert(strstr(r, needle), "%s: %s", method, r);
  free(r);
}

/* Also after a failed assertion: no daemon is left behind. */
static void finish(void) {
  fake_http_stop(llm); /* the runs' plans fail now */
  for (int i = 0; i < SLOW_CALLS; i++)
    if (fds[i] > 0)
      close(fds[i]);
  if (d.pid > 0)
    cr_assert_eq(bt_daemon_stop(&d), 0);
}

#define ECHO_PLAN "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"hi\"}}]"

Test(server_lanes, runs_being_planned_keep_no_one_else_waiting, .init = start_with_silent_llm,
     .fini = finish) {
  send_slow("submit", 4);
  /* every run is planned at once (daemon.max_runs is 64), none waits for a thread */
  cr_assert(fake_http_wait_requests(llm, SLOW_CALLS, QUICK_MS),
            "only %zu of %d runs were being planned", fake_http_request_count(llm), SLOW_CALLS);
  int fd = bt_dial(d.sock);
  cr_assert_geq(fd, 0);
  expect_quick(fd, "runs.list", "{}", "\"result\"");
  expect_quick(fd, "executors.list", "{}", "\"result\"");
  expect_quick(fd, "submit", "{\"plan\":" ECHO_PLAN "}", "\"status\":\"done\"");
  expect_quick(fd, "plan", "{\"request\":\"say hi\",\"offline\":true}", "\"result\"");
  close(fd);
}

Test(server_lanes, plan_calls_waiting_on_the_llm_keep_no_one_else_waiting,
     .init = start_with_silent_llm, .fini = finish) {
  send_slow("plan", 4);
  int fd = bt_dial(d.sock);
  cr_assert_geq(fd, 0);
  expect_quick(fd, "models.list", "{\"limit\":1}", "\"result\"");
  expect_quick(fd, "submit", "{\"plan\":" ECHO_PLAN "}", "\"status\":\"done\"");
  close(fd);
}

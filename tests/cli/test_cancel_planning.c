/* test_cancel_planning.c — Ctrl-C while the LLM plans a request in-process (`baton run`, `baton plan`, the REPL): the planning stops, the run is said cancelled and kept in the history as such. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/daemon.h"
#include "support/fake_http.h"
#include "support/support.h"

static char *dir;
static fake_http *llm;

static void never_answer(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req, (void)ud;
  resp->hang = true;
}

/* An LLM that takes every call and never answers; its timeout (10 min) is far past any wait
 * here, so only a Ctrl-C ends the planning. No daemon: baton runs in-process. */
static void setup(void) {
  dir = bt_tmpdir();
  llm = fake_http_start();
  cr_assert(llm, "the fake LLM did not start");
  fake_http_set_handler(llm, never_answer, NULL);
  char p[600], config[600];
  snprintf(p, sizeof p, "%s/home", dir);
  setenv("BATON_HOME", p, 1);
  snprintf(p, sizeof p, "%s/config.yaml", dir);
  snprintf(config, sizeof config, "llm:\n  base_url: %s/v1\n  timeout_ms: 600000\n",
           fake_http_url(llm));
  FILE *f = fopen(p, "w");
  cr_assert(f && fputs(config, f) >= 0 && fclose(f) == 0);
  setenv("BATON_CONFIG", p, 1);
  setenv("BATON_NO_DAEMON", "1", 1);
  setenv("TERM", "xterm", 1);
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
}

static void teardown(void) {
  fake_http_stop(llm);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(cli_cancel_planning, .init = setup, .fini = teardown, .timeout = 180);

static const char *bin(void) {
  static char path[600];
  const char *b = getenv("BATON_BIN_DIR");
  snprintf(path, sizeof path, "%s/baton", b && *b ? b : BATON_TEST_BINARY_DIR);
  return path;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* Waits until the LLM has been asked to plan n times. */
static void await_planning(size_t n) {
  cr_assert(fake_http_wait_requests(llm, n, BT_WAIT_MS), "the planning call never reached the LLM");
}

/* The history's record of run id, as `baton runs show ID --json` prints it. */
static cJSON *shown(const char *id) {
  char args[200], *out = NULL, *err = NULL;
  snprintf(args, sizeof args, "runs show %s --json", id);
  int st = bt_baton(dir, args, &out, &err);
  cr_assert_eq(st, 0, "baton %s exits %d: %s", args, st, err ? err : "");
  cJSON *o = cJSON_Parse(out);
  cr_assert(o, "not JSON: %s", out ? out : "");
  free(out);
  free(err);
  return o;
}

/* Run id is kept cancelled before it had a plan, `baton runs` listing it. */
static void expect_kept_cancelled(const char *id, const char *request) {
  cJSON *o = shown(id);
  cr_expect_str_eq(str(o, "status"), "cancelled");
  cr_expect_str_eq(str(o, "request"), request);
  cr_expect_str_eq(str(o, "cancel_reason"), "cancelled while it was being planned");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "tasks")), 0);
  const cJSON *calls = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "usage"), "llm_calls");
  cr_expect(cJSON_IsNumber(calls) && calls->valueint == 1, "its planning call is not counted");
  cr_expect_str_eq(str(o, "workspace"), "", "it names a folder never made");
  cJSON_Delete(o);
  char *out = NULL;
  cr_expect_eq(bt_baton(dir, "runs list", &out, NULL), 0);
  cr_expect(out && strstr(out, id) && strstr(out, "cancelled"), "not listed: %s", out);
  free(out);
  char args[200];
  snprintf(args, sizeof args, "runs show %s", id);
  cr_expect_eq(bt_baton(dir, args, &out, NULL), 0);
  cr_expect(out && strstr(out, "cancelled: cancelled while it was being planned"), "%s", out);
  free(out);
}

/* `baton CMD REQUEST` in a child, stdout and stderr to files in dir; its pid. */
static pid_t baton_child(const char *cmd, const char *request) {
  char out[700], err[700];
  snprintf(out, sizeof out, "%s/run.out", dir);
  snprintf(err, sizeof err, "%s/run.err", dir);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(dir) != 0)
      _exit(126);
    signal(SIGINT, SIG_DFL);
    execl(bin(), "baton", cmd, request, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static pid_t run_child(const char *request) { return baton_child("run", request); }

Test(cli_cancel_planning, ctrl_c_in_baton_run_stops_the_planning_and_keeps_the_run_cancelled) {
  pid_t child = run_child("say hello");
  await_planning(1);
  kill(child, SIGINT);
  int st = bt_wait_exit(child, BT_WAIT_MS); /* the LLM would hold it ten minutes */
  char path[700];
  snprintf(path, sizeof path, "%s/run.err", dir);
  char *err = bt_slurp(path, NULL);
  cr_assert(err);
  cr_expect_eq(st, 1, "baton run exits 1 for a cancelled run, not %d: %s", st, err);
  const char *said = strstr(err, "baton: run ");
  char id[64] = "";
  cr_assert(said && sscanf(said, "baton: run %63s", id) == 1, "no run named: %s", err);
  char want[200];
  snprintf(want, sizeof want, "baton: run %s was cancelled: cancelled while it was being planned\n",
           id);
  cr_expect(strstr(err, want), "%s", err);
  cr_expect(!strstr(err, "resume"), "nothing to resume: %s", err);
  free(err);
  expect_kept_cancelled(id, "say hello");
}

Test(cli_cancel_planning, ctrl_c_in_baton_plan_stops_the_planning_and_says_so) {
  pid_t child = baton_child("plan", "say hello");
  await_planning(1);
  kill(child, SIGINT);
  int st = bt_wait_exit(child, BT_WAIT_MS);
  char path[700];
  snprintf(path, sizeof path, "%s/run.err", dir);
  char *err = bt_slurp(path, NULL);
  cr_assert(err);
  cr_expect_eq(st, 1, "baton plan exits 1 when cancelled, as baton run, not %d: %s", st, err);
  cr_expect_str_eq(err, "baton: cancelled while planning\n");
  free(err);
  char *out = NULL;
  cr_expect_eq(bt_baton(dir, "runs list", &out, NULL), 0);
  cr_expect(out && !strstr(out, "say hello"), "a plan is not a run: %s", out);
  free(out);
}

/* The REPL in a pseudo-terminal. */
typedef struct term {
  int fd;
  pid_t pid;
  char out[1 << 16];
  size_t len, mark; /* expect() searches from mark */
} term;

static bool expect(term *t, const char *needle) {
  for (long end = bt_now_ms() + BT_WAIT_MS;;) {
    t->out[t->len] = '\0';
    char *hit = strstr(t->out + t->mark, needle);
    if (hit) {
      t->mark = (size_t)(hit - t->out) + strlen(needle);
      return true;
    }
    long left = end - bt_now_ms();
    struct pollfd p = {.fd = t->fd, .events = POLLIN};
    if (left <= 0 || t->len + 1 >= sizeof t->out)
      return false;
    if (poll(&p, 1, (int)left) <= 0)
      continue;
    ssize_t r = read(t->fd, t->out + t->len, sizeof t->out - t->len - 1);
    if (r <= 0)
      return false;
    t->len += (size_t)r;
  }
}

static void type(term *t, const char *keys) {
  cr_assert_eq(write(t->fd, keys, strlen(keys)), (ssize_t)strlen(keys));
}

Test(cli_cancel_planning, ctrl_c_in_the_repl_while_planning_returns_to_the_prompt) {
  term *t = calloc(1, sizeof *t);
  cr_assert(t);
  struct winsize ws = {.ws_row = 40, .ws_col = 120};
  t->pid = forkpty(&t->fd, NULL, NULL, &ws);
  cr_assert(t->pid >= 0, "forkpty: %s", strerror(errno));
  if (t->pid == 0) {
    execl(bin(), "baton", (char *)NULL);
    _exit(127);
  }
  cr_assert(expect(t, "baton> "), "no prompt: %s", t->out);
  type(t, "say hello\r");
  await_planning(1);
  type(t, "\003");
  cr_assert(expect(t, "baton: run "), "no run said cancelled: %s", t->out + t->mark);
  char id[64] = "";
  cr_assert(expect(t, " was cancelled while it was being planned"), "%s", t->out);
  sscanf(strstr(t->out, "baton: run ") + strlen("baton: run "), "%63s", id);
  cr_expect(expect(t, "baton> "), "the REPL is back at its prompt: %s", t->out + t->mark);
  type(t, "/quit\r");
  int st = bt_wait_exit(t->pid, BT_WAIT_MS);
  cr_expect_eq(st, 0, "the REPL exits 0 after /quit, not %d: %s", st, t->out);
  close(t->fd);
  free(t);
  expect_kept_cancelled(id, "say hello");
}

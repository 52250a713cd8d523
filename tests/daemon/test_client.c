/* test_client.c — the public daemon client (baton_client_*) against a real batond: calls, plans, runs with their events, cancellation, error codes. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/daemon.h"
#include "support/support.h"

static bt_daemon d;
static baton_client *c;

static void start(void) {
  bt_daemon_start(&d, NULL);
  unsetenv("BATON_NO_DAEMON"); /* ctest sets it for the in-process tests */
  cr_assert_eq(baton_client_connect(NULL, &c), BATON_OK, "%s", baton_errmsg(NULL));
}

static void stop(void) {
  baton_client_close(c);
  c = NULL;
  int st = bt_daemon_stop(&d);
  cr_expect_eq(st, 0, "batond exited with %d", st);
}

TestSuite(daemon_client, .init = start, .fini = stop, .timeout = 60);

static const char echo_plan[] =
    "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"hello\"}},"
    "{\"task\":\"debug-echo\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"<GENERATED>-0\"}}]";

Test(daemon_client, calls_answer_and_errors_carry_their_code_and_message) {
  char *json = NULL;
  cr_assert_eq(baton_client_call(c, "health", NULL, &json), BATON_OK, "%s", baton_errmsg(NULL));
  cr_expect(strstr(json, d.sock), "health names the socket: %s", json);
  baton_free(json);
  cr_expect_eq(baton_client_call(c, "run.get", "{\"run_id\":\"no-such-run\"}", &json),
               BATON_NOTFOUND);
  cr_expect_null(json);
  cr_expect(strstr(baton_errmsg(NULL), "no-such-run"), "%s", baton_errmsg(NULL));
  cr_expect_eq(baton_client_call(c, "no.such.method", NULL, &json), BATON_INVALID);
  cr_expect_eq(baton_client_call(c, "runs.list", "[1,2]", &json), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(NULL), "not a JSON object"), "%s", baton_errmsg(NULL));
  /* Errors leave the connection usable. */
  cr_expect_eq(baton_client_call(c, "runs.list", "{\"limit\":1}", &json), BATON_OK, "%s",
               baton_errmsg(NULL));
  baton_free(json);
}

Test(daemon_client, plan_answers_with_the_task_graph) {
  baton_request req = {BATON_REQUEST_INIT, .plan_json = echo_plan};
  char *json = NULL;
  cr_assert_eq(baton_client_plan(c, &req, &json), BATON_OK, "%s", baton_errmsg(NULL));
  cr_expect(json[0] == '[' && strstr(json, "debug-echo"), "%s", json);
  baton_free(json);
  baton_request bad = {BATON_REQUEST_INIT, .plan_json = "[{\"task\":\"no-such-task\"}]"};
  cr_expect_neq(baton_client_plan(c, &bad, &json), BATON_OK);
  cr_expect_null(json);
  cr_expect(baton_errmsg(NULL)[0], "a failed plan says why");
}

/* The plan through the daemon carries what the planner noted, as baton_plan_noted() does. */
Test(daemon_client, plan_gives_the_planners_note) {
  baton_request req = {BATON_REQUEST_INIT,
                       .text = "summarize 'The ferry leaves at noon. It comes back at six.' and "
                               "enhance the audio quality",
                       .offline = 1};
  char *json = NULL, *note = NULL;
  cr_assert_eq(baton_client_plan_noted(c, &req, &json, &note), BATON_OK, "%s",
               baton_errmsg(NULL));
  cr_expect(strstr(json, "summarization"), "%s", json);
  cr_expect(note && strstr(note, "left out \"enhance the audio quality\""), "%s",
            note ? note : "(no note)");
  baton_free(json), baton_free(note);
  baton_request plain = {BATON_REQUEST_INIT, .plan_json = echo_plan};
  cr_assert_eq(baton_client_plan_noted(c, &plain, &json, &note), BATON_OK);
  cr_expect_null(note, "a plan with nothing to note has none: %s", note);
  baton_free(json);
}

typedef struct seen {
  int types[32];
  int n;
  int wrong_size;
  baton_client *cancel_on_start;
} seen;

static void record(void *ud, const baton_event *ev) {
  seen *s = ud;
  if (s->n < 32)
    s->types[s->n++] = ev->type;
  if (ev->size != sizeof(baton_event))
    s->wrong_size++;
  if (s->cancel_on_start && ev->type == BATON_EVENT_TASK_STARTED)
    baton_client_cancel(s->cancel_on_start);
}

Test(daemon_client, submit_streams_events_in_order_then_the_result) {
  baton_request req = {BATON_REQUEST_INIT, .plan_json = echo_plan};
  seen s = {0};
  char *result = NULL;
  cr_assert_eq(baton_client_submit(c, &req, record, &s, &result), BATON_OK, "%s",
               baton_errmsg(NULL));
  cr_expect(strstr(result, "\"status\":\"done\""), "%s", result);
  baton_free(result);
  cr_assert_geq(s.n, 6, "plan, 2 x (started, finished), done: %d events", s.n);
  cr_expect_eq(s.types[0], BATON_EVENT_PLAN);
  cr_expect_eq(s.types[s.n - 1], BATON_EVENT_DONE);
  cr_expect_eq(s.wrong_size, 0);
  /* A failed task: the result still comes, with BATON_EXEC. */
  baton_request fail = {BATON_REQUEST_INIT,
                        .plan_json = "[{\"task\":\"debug-fail\",\"id\":0,\"dep\":[-1],"
                                     "\"args\":{\"text\":\"boom\"}}]"};
  cr_expect_eq(baton_client_submit(c, &fail, NULL, NULL, &result), BATON_EXEC, "%s",
               baton_errmsg(NULL));
  cr_expect(result && strstr(result, "boom"), "%s", result ? result : "(none)");
  baton_free(result);
}

Test(daemon_client, cancel_stops_the_run_being_waited_for) {
  baton_request req = {BATON_REQUEST_INIT,
                       .plan_json = "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"20000\"}}]"};
  seen s = {.cancel_on_start = c};
  char *result = NULL;
  cr_assert_eq(baton_client_submit(c, &req, record, &s, &result), BATON_CANCELLED, "%s",
               baton_errmsg(NULL));
  cr_expect(strstr(result, "\"status\":\"cancelled\""), "%s", result);
  baton_free(result);
  /* The cancel was for that run: the next one runs. */
  baton_request echo = {BATON_REQUEST_INIT, .plan_json = echo_plan};
  cr_expect_eq(baton_client_submit(c, &echo, NULL, NULL, &result), BATON_OK, "%s",
               baton_errmsg(NULL));
  baton_free(result);
}

Test(daemon_client, requests_are_checked_before_anything_is_sent) {
  baton_request unsized = {.plan_json = echo_plan};
  char *out = (char *)"untouched";
  cr_expect_eq(baton_client_submit(c, &unsized, NULL, NULL, &out), BATON_INVALID);
  cr_expect_null(out);
  cr_expect(strstr(baton_errmsg(NULL), "BATON_REQUEST_INIT"), "%s", baton_errmsg(NULL));
  baton_request both = {BATON_REQUEST_INIT, .text = "hi", .plan_json = echo_plan};
  cr_expect_eq(baton_client_plan(c, &both, &out), BATON_INVALID);
  baton_request bad_msgs = {BATON_REQUEST_INIT, .text = "hi", .messages = "{}"};
  cr_expect_eq(baton_client_plan(c, &bad_msgs, &out), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(NULL), "messages"), "%s", baton_errmsg(NULL));
}

Test(daemon_client, connect_says_when_no_daemon_answers) {
  baton_client *none = (baton_client *)c;
  char gone[700];
  snprintf(gone, sizeof gone, "%s/nobody.sock", d.dir);
  setenv("BATON_SOCKET", gone, 1);
  cr_expect_eq(baton_client_connect(NULL, &none), BATON_NOTFOUND);
  cr_expect_null(none);
  cr_expect(strstr(baton_errmsg(NULL), "nobody.sock"), "%s", baton_errmsg(NULL));
  setenv("BATON_SOCKET", d.sock, 1);
  setenv("BATON_NO_DAEMON", "1", 1);
  cr_expect_eq(baton_client_connect(NULL, &none), BATON_NOTFOUND);
  cr_expect(strstr(baton_errmsg(NULL), "BATON_NO_DAEMON"), "%s", baton_errmsg(NULL));
  unsetenv("BATON_NO_DAEMON");
  cr_expect_eq(baton_client_connect(NULL, &none), BATON_OK, "%s", baton_errmsg(NULL));
  baton_client_close(none);
}

Test(daemon_client, a_request_the_daemon_cannot_read_is_answered_with_its_error) {
  /* Not UTF-8: the daemon cannot read the id and answers with id null. */
  baton_request req = {BATON_REQUEST_INIT, .text = "summarize \xff notes.txt"};
  char *out = NULL;
  cr_expect_eq(baton_client_submit(c, &req, NULL, NULL, &out), BATON_INVALID);
  cr_expect_null(out);
  cr_expect(strstr(baton_errmsg(NULL), "UTF-8"), "%s", baton_errmsg(NULL));
  cr_expect_eq(baton_client_plan(c, &req, &out), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(NULL), "UTF-8"), "%s", baton_errmsg(NULL));
  cr_expect_eq(baton_client_call(c, "runs.list", "{\"limit\":1}", &out), BATON_OK, "%s",
               baton_errmsg(NULL));
  baton_free(out);
}

/* Cancels the client's submit once the daemon says a run waits for a slot,
 * then frees the slot: the cancel of the run holding it (its params). */
typedef struct {
  baton_client *client;
  const char *free_slot;
} queued_cancel;

static void *cancel_when_queued(void *arg) {
  const queued_cancel *q = arg;
  int fd = bt_dial(d.sock);
  for (long end = bt_now_ms() + BT_WAIT_MS, i = 1; bt_now_ms() < end; i++, bt_nap_ms(20)) {
    char *h = bt_call(fd, (int)i, "health", NULL);
    bool queued = h && strstr(h, "\"runs_waiting\":1");
    free(h);
    if (queued)
      break;
  }
  baton_client_cancel(q->client);
  free(bt_call(fd, 1000, "run.cancel", q->free_slot));
  close(fd);
  return NULL;
}

Test(daemon_client, a_cancel_while_the_run_waits_for_a_slot_ends_it_there) {
  stop();
  bt_daemon_start(&d, "workers: 2\ndaemon:\n  max_runs: 1\n");
  cr_assert_eq(baton_client_connect(NULL, &c), BATON_OK, "%s", baton_errmsg(NULL));
  /* Another client's run holds the only slot: the submit below waits, its
   * id in the "queued" event; it is cancelled then, and the slot freed. */
  int a = bt_dial(d.sock);
  char line[512];
  snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"submit\",\"params\":"
           "{\"plan\":[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"text\":\"600000\"}}]}}\n");
  bt_send(a, line, strlen(line));
  char *plan = bt_read_line(a, BT_WAIT_MS), *rid = plan ? strstr(plan, "\"run_id\":\"") : NULL;
  cr_assert(rid, "%s", plan ? plan : "no plan event");
  snprintf(line, sizeof line, "{\"run_id\":\"%.*s\"}", (int)strcspn(rid + 10, "\""), rid + 10);
  free(plan);
  pthread_t th;
  queued_cancel q = {c, line};
  cr_assert_eq(pthread_create(&th, NULL, cancel_when_queued, &q), 0);
  /* a run that would take 10 minutes: cancelled before it starts */
  baton_request req = {BATON_REQUEST_INIT,
                       .plan_json = "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"600000\"}}]"};
  char *out = NULL;
  cr_expect_eq(baton_client_submit(c, &req, NULL, NULL, &out), BATON_CANCELLED, "%s",
               baton_errmsg(NULL));
  pthread_join(th, NULL);
  baton_free(out);
  bool idle = false; /* neither run goes on in the daemon */
  for (long end = bt_now_ms() + BT_WAIT_MS, i = 10; !idle && bt_now_ms() < end; i++) {
    char *h = bt_call(a, (int)i, "health", NULL);
    idle = h && strstr(h, "\"runs_active\":0") && strstr(h, "\"runs_waiting\":0");
    free(h);
    if (!idle)
      bt_nap_ms(50);
  }
  cr_expect(idle, "a run was left going");
  close(a);
}

Test(daemon_client, a_leading_tilde_is_the_callers_home_not_the_daemons) {
  /* The daemon keeps the HOME it started with; this client's is another folder. */
  char *home = bt_tmpdir(), p[800], *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
  snprintf(p, sizeof p, "%s/notes.txt", home);
  bt_write(p, "words in the client's home");
  setenv("HOME", home, 1);
  baton_request req = {BATON_REQUEST_INIT,
                       .plan_json = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"~/notes.txt\"}}]",
                       .input_root = home};
  char *out = NULL;
  baton_rc rc = baton_client_submit(c, &req, NULL, NULL, &out);
  if (old)
    setenv("HOME", old, 1);
  free(old);
  cr_expect_eq(rc, BATON_OK, "%s", baton_errmsg(NULL));
  cr_expect(out && strstr(out, "words in the client's home"), "%s", out ? out : "(none)");
  baton_free(out);
  bt_rmtree(home);
  free(home);
}

Test(daemon_client, baton_runs_reads_the_history_of_the_daemon_baton_run_used) {
  /* This command's own BATON_HOME is another, empty one: `baton run` goes to the daemon. */
  char *mine = bt_tmpdir(), *daemon_home = strdup(getenv("BATON_HOME")), p[800];
  setenv("BATON_HOME", mine, 1);
  snprintf(p, sizeof p, "%s/plan.json", mine);
  bt_write(p, echo_plan);
  char *out = NULL, *err = NULL, cmd[900];
  cr_assert_eq(bt_baton(mine, "run --plan plan.json --json", &out, NULL), 0, "%s", out);
  cJSON *res = cJSON_Parse(out);
  char id[64];
  snprintf(id, sizeof id, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(res, "run_id")));
  cJSON_Delete(res);
  free(out);
  cr_assert(id[0], "no run id");
  cr_expect_eq(bt_baton(mine, "runs list", &out, NULL), 0);
  cr_expect(out && strstr(out, id), "runs list: %s", out ? out : "");
  free(out);
  snprintf(cmd, sizeof cmd, "runs show %s", id);
  cr_expect_eq(bt_baton(mine, cmd, &out, NULL), 0);
  cr_expect(out && strstr(out, id) && strstr(out, "debug-echo"), "runs show: %s", out ? out : "");
  free(out);
  /* --local reads this process's own history: the run is not there. */
  cr_expect_eq(bt_baton(mine, "runs list --local", &out, NULL), 0);
  cr_expect(out && !strstr(out, id), "%s", out ? out : "");
  free(out);
  /* Resume and replay run in this process: they say where the run is. */
  snprintf(cmd, sizeof cmd, "runs replay %s", id);
  cr_expect_eq(bt_baton(mine, cmd, NULL, &err), 2);
  cr_expect(err && strstr(err, "history of the daemon"), "%s", err ? err : "");
  free(err);
  setenv("BATON_HOME", daemon_home, 1);
  free(daemon_home);
  bt_rmtree(mine);
  free(mine);
}

/* Runs sql on the daemon's run history (its BATON_HOME/runs.db). */
static void history_sql(const char *sql) {
  char path[700];
  snprintf(path, sizeof path, "%s/runs.db", getenv("BATON_HOME"));
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* The status stored for run id in the daemon's run history. */
static char *history_status(const char *id) {
  char path[700];
  snprintf(path, sizeof path, "%s/runs.db", getenv("BATON_HOME"));
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_prepare_v2(db, "SELECT status FROM runs WHERE id=?1", -1, &st, NULL),
               SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  char *s = strdup(sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return s;
}

/* The status of the newest run `baton runs list --json` (through the daemon) shows. */
static char *newest_status(const char *dir, char *id, size_t cap) {
  char *out = NULL;
  cr_assert_eq(bt_baton(dir, "runs list --json", &out, NULL), 0, "%s", out ? out : "");
  cJSON *l = cJSON_Parse(out);
  const cJSON *r = cJSON_GetArrayItem(l, 0);
  snprintf(id, cap, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "run_id")));
  char *s = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(r, "status")));
  cJSON_Delete(l);
  free(out);
  return s;
}

Test(daemon_client, a_run_whose_end_cannot_be_stored_says_so_and_reads_interrupted) {
  char *dir = bt_tmpdir(), p[800], id[64], first[64];
  snprintf(p, sizeof p, "%s/plan.json", dir);
  bt_write(p, echo_plan);
  cr_assert_eq(bt_baton(dir, "run --plan plan.json", NULL, NULL), 0);
  free(newest_status(dir, first, sizeof first));
  /* A run whose start is stored (committed while it sleeps) before its end fails. */
  snprintf(p, sizeof p, "%s/slow.json", dir);
  bt_write(p, "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"300\"}}]");
  /* The history refuses every run's end, as a full disk does. */
  history_sql("CREATE TRIGGER no_room BEFORE UPDATE OF status ON runs "
              "WHEN NEW.status NOT IN ('running','interrupted') "
              "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
  char *err = NULL;
  cr_expect_eq(bt_baton(dir, "run --plan slow.json", NULL, &err), 1);
  cr_expect(err && strstr(err, "could not be stored: ") && strstr(err, "disk is full") &&
                strstr(err, "`baton runs resume "),
            "the client is told why its run failed: %s", err ? err : "");
  free(err);
  /* The daemon lives on: the run is over, not running for as long as it does. */
  char *st = newest_status(dir, id, sizeof id);
  cr_expect_str_eq(st, "interrupted", "run %s", id);
  free(st);
  st = history_status(first);
  cr_expect_str_eq(st, "done", "the run stored before, %s, stays", first);
  free(st);
  /* With room again, the next run is stored, and so is the first one's state. */
  history_sql("DROP TRIGGER no_room");
  cr_expect_eq(bt_baton(dir, "run --plan plan.json", NULL, NULL), 0);
  char *stored = history_status(id);
  cr_expect_str_eq(stored, "interrupted", "stored for run %s", id);
  free(stored);
  bt_rmtree(dir);
  free(dir);
}

/* test_endpoint_faults.c — model servers that misbehave, through baton_task(): a hanging server's retries kept within the task's timeout, a rate-limited server not asked again at once, nor by the next process until its wait passed. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton.h"
#include "core/util.h"
#include "support/fake_http.h"
#include "support/support.h"
#include "core/banned.h"

typedef struct fixture {
  char *dir, *config;
  fake_http *srv;
  baton *ctx;
} fixture;

/* One endpoint "srv" on a fake server serving model m1, with the task and endpoint timeouts
 * given and two retries of a transient failure. */
static void fx_open(fixture *f, long task_timeout_ms, long endpoint_timeout_ms) {
  memset(f, 0, sizeof *f);
  f->dir = bt_tmpdir();
  f->srv = fake_http_start();
  cr_assert_not_null(f->srv);
  char *home = baton__path_join(f->dir, "home"), *config = baton__path_join(f->dir, "c.yaml");
  char y[1024];
  snprintf(y, sizeof y,
           "home: %s\ntask_timeout_ms: %ld\ntask_retries: 2\nendpoints:\n  - name: srv\n"
           "    base_url: %s/v1\n    timeout_ms: %ld\n    models:\n"
           "      - {id: m1, tasks: [summarization]}\n",
           home, task_timeout_ms, fake_http_url(f->srv), endpoint_timeout_ms);
  bt_write(config, y);
  cr_assert_eq(baton_open(config, &f->ctx), BATON_OK, "%s", f->ctx ? baton_errmsg(f->ctx) : "");
  free(home);
  f->config = config;
}

static void fx_close(fixture *f) {
  baton_close(f->ctx);
  fake_http_stop(f->srv);
  bt_rmtree(f->dir);
  free(f->dir);
  free(f->config);
}

/* Runs summarization on m1 in ctx, expecting rc; returns the task's error (caller frees). */
static char *task_on(fixture *f, baton *ctx, baton_rc rc) {
  char *json = NULL;
  cr_assert_eq(baton_task(ctx, "summarization", "{\"text\":\"Some words.\"}", "m1", f->dir,
                          &json),
               rc, "%s", json ? json : baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(json);
  const cJSON *e = cJSON_GetObjectItem(t, "error");
  char *err = baton__strdup(cJSON_IsString(e) ? e->valuestring : "");
  cJSON_Delete(t);
  baton_free(json);
  return err;
}

static char *failed_task(fixture *f) { return task_on(f, f->ctx, BATON_EXEC); }

/* What `baton endpoints` shows, asked of a context of its own (the caller deletes it). */
static cJSON *shown_endpoints(fixture *f) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(f->config, &ctx), BATON_OK);
  char *json = NULL;
  cr_assert_eq(baton_endpoints(ctx, &json), BATON_OK);
  cJSON *arr = cJSON_Parse(json);
  cr_assert_not_null(arr, "%s", json);
  baton_free(json);
  baton_close(ctx);
  return arr;
}

/* The health `baton endpoints` shows for srv, asked of a context of its own. */
static char *shown_health(fixture *f) {
  cJSON *arr = shown_endpoints(f);
  const cJSON *h = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "health");
  char *health = baton__strdup(cJSON_IsString(h) ? h->valuestring : "?");
  cJSON_Delete(arr);
  return health;
}

/* Another process (a context of its own) runs the task and srv answers it. */
static void answered_in_another(fixture *f) {
  baton *later = NULL;
  cr_assert_eq(baton_open(f->config, &later), BATON_OK);
  fake_http_push_json(f->srv, 200,
                      "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                      "\"content\":\"Words.\"},\"finish_reason\":\"stop\"}]}");
  free(task_on(f, later, BATON_OK));
  baton_close(later);
}

Test(runtime_endpoint_faults, a_hanging_server_is_not_retried_past_the_task_timeout) {
  fixture f;
  /* Each request may hang 1 s, the task 1.2 s: no retry fits after the first. */
  fx_open(&f, 1200, 1000);
  for (int i = 0; i < 3; i++)
    fake_http_push_hang(f.srv);
  char *err = failed_task(&f);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "retried past the task's timeout: %s", err);
  char want[200];
  snprintf(want, sizeof want, "model server srv (%s/v1) did not answer within 1 s",
           fake_http_url(f.srv));
  cr_assert(strstr(err, want), "%s", err);
  cr_assert_null(strstr(err, "Operation timed out"), "libcurl's words: %s", err);
  cr_assert_null(strstr(err, "srv: model server srv"), "named twice: %s", err);
  cr_assert(strstr(err, "no time left to retry within the task's 1.2 s timeout"), "%s", err);
  free(err);
  fx_close(&f);
}

Test(runtime_endpoint_faults, a_rate_limited_server_is_not_asked_again_once_its_wait_is_past_the_time_left) {
  fixture f;
  fx_open(&f, 3000, 3000);
  fake_http_push_full(f.srv, 429, "Retry-After: 60\r\n",
                      "{\"error\":{\"message\":\"Rate limit reached\"}}");
  char *err = failed_task(&f);
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  cr_assert(strstr(err, "srv: HTTP 429: Rate limit reached"), "%s", err);
  cr_assert_null(strstr(err, "attempts"), "retried at once: %s", err);
  free(err);
  fx_close(&f);
}

/* The down state `baton endpoints` shows recorded for srv: its retry_at (0 none) and
 * *fails, the failures in a row recorded. */
static double recorded_down(fixture *f, int *fails) {
  cJSON *arr = shown_endpoints(f);
  const cJSON *rec = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "recorded");
  const cJSON *r = cJSON_GetObjectItem(rec, "retry_at");
  const cJSON *n = cJSON_GetObjectItem(rec, "consecutive_failures");
  double at = cJSON_IsNumber(r) ? r->valuedouble : 0;
  *fails = cJSON_IsNumber(n) ? n->valueint : 0;
  cJSON_Delete(arr);
  return at;
}

/* Sleeps until wall-clock seconds t have passed. */
static void sleep_past(double t) {
  while (baton__wall_s() < t) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000L};
    nanosleep(&ts, NULL);
  }
}

Test(runtime_endpoint_faults, a_server_back_up_is_shown_up_after_another_process_saw_it_down) {
  fixture f;
  fx_open(&f, 3000, 3000);
  fake_http_push_json(f.srv, 503, "{\"error\":{\"message\":\"Loading model\"}}");
  fake_http_push_json(f.srv, 503, "{\"error\":{\"message\":\"Loading model\"}}");
  fake_http_push_json(f.srv, 503, "{\"error\":{\"message\":\"Loading model\"}}");
  free(failed_task(&f));
  char *health = shown_health(&f);
  cr_assert_str_eq(health, "down");
  free(health);
  int fails;
  sleep_past(recorded_down(&f, &fails) + 0.05);
  /* Another process (a context of its own), once the recorded back-off passed, finds the server
   * answering again. */
  answered_in_another(&f);
  health = shown_health(&f);
  cr_assert_str_eq(health, "up", "the store still says what the first process saw");
  free(health);
  fx_close(&f);
}

/* The hold-off `baton endpoints` shows for srv in a context of its own: held_until (0 none), its
 * reason, and *recorded the one in the store, past or not (0 none). */
static double shown_hold(fixture *f, char *reason, size_t cap, double *recorded) {
  cJSON *arr = shown_endpoints(f);
  const cJSON *e = cJSON_GetArrayItem(arr, 0);
  const cJSON *u = cJSON_GetObjectItem(e, "held_until"), *r = cJSON_GetObjectItem(e, "held_reason");
  double until = cJSON_IsNumber(u) ? u->valuedouble : 0;
  snprintf(reason, cap, "%s", cJSON_IsString(r) ? r->valuestring : "");
  const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "recorded"), "held_until");
  *recorded = cJSON_IsNumber(st) ? st->valuedouble : 0;
  cJSON_Delete(arr);
  return until;
}

/* A 429's Retry-After is kept in the registry: the next process (a fresh handle) does not ask
 * the server again before it passed, and says so. */
Test(runtime_endpoint_faults, a_rate_limit_told_to_one_process_holds_off_the_next) {
  fixture f;
  fx_open(&f, 3000, 3000);
  fake_http_push_full(f.srv, 429, "Retry-After: 30\r\n",
                      "{\"error\":{\"message\":\"Rate limit reached\"}}");
  free(failed_task(&f));
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  baton *next = NULL;
  cr_assert_eq(baton_open(f.config, &next), BATON_OK);
  char *err = task_on(&f, next, BATON_EXEC);
  baton_close(next);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "the next process asked again: %s", err);
  cr_assert(strstr(err, "srv is held off until "), "%s", err);
  cr_assert(strstr(err, " UTC (429)"), "%s", err);
  free(err);
  char reason[32];
  double recorded;
  double until = shown_hold(&f, reason, sizeof reason, &recorded);
  double left = until - (double)time(NULL);
  cr_assert(left > 20 && left <= 31, "held off %.1f s more, not the 30 s asked", left);
  cr_assert_str_eq(reason, "429");
  fx_close(&f);
}

/* Once the wait passed, the next process asks; its good answer ends the hold-off for all. */
Test(runtime_endpoint_faults, a_good_answer_ends_a_recorded_hold_off) {
  fixture f;
  fx_open(&f, 500, 500); /* the 1 s asked is past the time left: not waited */
  fake_http_push_full(f.srv, 429, "Retry-After: 1\r\n",
                      "{\"error\":{\"message\":\"Rate limit reached\"}}");
  free(failed_task(&f));
  char reason[32];
  double recorded;
  cr_assert_gt(shown_hold(&f, reason, sizeof reason, &recorded), 0.0, "not recorded");
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  struct timespec ts = {.tv_sec = 1, .tv_nsec = 200000000L};
  nanosleep(&ts, NULL);
  answered_in_another(&f);
  cr_assert_eq(fake_http_request_count(f.srv), 2);
  cr_assert_eq(shown_hold(&f, reason, sizeof reason, &recorded), 0.0);
  cr_assert_eq(recorded, 0.0, "the good answer left the hold-off recorded");
  fx_close(&f);
}

/* A server one process found not answering is not asked by the next process before the
 * recorded retry_at, which says until when; after it, one request asks again and its good
 * answer ends the down state for all. */
Test(runtime_endpoint_faults, a_server_one_process_found_down_is_not_asked_by_the_next_before_its_retry) {
  fixture f;
  fx_open(&f, 400, 300); /* one request of 300 ms: no retry fits; back-off 0.5 s */
  fake_http_push_hang(f.srv);
  free(failed_task(&f));
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  int fails = 0;
  double retry_at = recorded_down(&f, &fails);
  cr_assert_gt(retry_at, baton__wall_s(), "no retry_at recorded for the failure");
  cr_assert_eq(fails, 1);
  baton *next = NULL;
  cr_assert_eq(baton_open(f.config, &next), BATON_OK);
  char *err = task_on(&f, next, BATON_EXEC);
  baton_close(next);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "the next process asked again: %s", err);
  char want[200];
  snprintf(want, sizeof want, "model server srv (%s/v1) is down until ", fake_http_url(f.srv));
  cr_assert(strstr(err, want), "%s", err);
  cr_assert(strstr(err, " UTC: "), "%s", err);
  cr_assert(strstr(err, " UTC: did not answer within"), "the last error is not said: %s", err);
  cr_assert_null(strstr(strstr(err, want) + 1, "model server srv"), "named twice: %s", err);
  free(err);
  sleep_past(retry_at + 0.05);
  answered_in_another(&f);
  cr_assert_eq(fake_http_request_count(f.srv), 2);
  char *health = shown_health(&f);
  cr_assert_str_eq(health, "up");
  free(health);
  cr_assert_eq(recorded_down(&f, &fails), 0.0, "the good answer left retry_at recorded");
  cr_assert_eq(fails, 0);
  fx_close(&f);
}

/* Each failure is recorded, not only the first: the count another process keeps doubling
 * from, and the retry_at of the latest. */
Test(runtime_endpoint_faults, each_failure_of_a_down_server_is_recorded) {
  fixture f;
  fx_open(&f, 3000, 200); /* 200 ms requests, retried twice after the back-off */
  for (int i = 0; i < 3; i++)
    fake_http_push_json(f.srv, 503, "{\"error\":{\"message\":\"Loading model\"}}");
  free(failed_task(&f));
  cr_assert_eq(fake_http_request_count(f.srv), 3);
  int fails = 0;
  cr_assert_gt(recorded_down(&f, &fails), baton__wall_s());
  cr_assert_eq(fails, 3, "only the first failure was recorded");
  fx_close(&f);
}

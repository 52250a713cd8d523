/* test_unplanned.c — a run that ends before it has a plan (its LLM planning cancelled, or failing) is in the run history; a request refused before planning is not. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/baton_env.h"
#include "support/fake_http.h"
#include "support/fake_llm.h"
#include "support/support.h"

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

typedef struct submit_call {
  baton *ctx;
  const char *home;
  baton_rc rc;
  char err[512];    /* baton_errmsg() of the submitting thread */
  char run_id[64];  /* baton_failed_run_id() of the submitting thread */
} submit_call;

static void *submit_thread(void *arg) {
  submit_call *c = arg;
  baton_request req = {BATON_REQUEST_INIT, .text = "say hello", .input_root = c->home,
                       .interrupt_tag = 5};
  baton_run *run = NULL;
  c->rc = baton_submit(c->ctx, &req, NULL, NULL, &run);
  snprintf(c->err, sizeof c->err, "%s", baton_errmsg(c->ctx));
  snprintf(c->run_id, sizeof c->run_id, "%s", baton_failed_run_id(c->ctx));
  baton_run_free(run);
  return NULL;
}

/* The stored record of run id (parsed; the test aborts when there is none). */
static cJSON *stored(baton *ctx, const char *id) {
  char *json = NULL;
  cr_assert_eq(baton_run_get(ctx, id, &json), BATON_OK, "run %s: %s", id, baton_errmsg(ctx));
  cJSON *o = cJSON_Parse(json);
  baton_free(json);
  cr_assert(o);
  return o;
}

/* The history's list holds run id with status. */
static void expect_listed(baton *ctx, const char *id, const char *status) {
  char *json = NULL;
  cr_assert_eq(baton_runs_list(ctx, 10, &json), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *list = cJSON_Parse(json), *r;
  bool found = false;
  cJSON_ArrayForEach(r, list) if (!strcmp(str(r, "run_id"), id)) {
    found = true;
    cr_expect_str_eq(str(r, "status"), status);
    cr_expect_str_eq(str(r, "request"), "say hello");
    cr_expect(cJSON_GetObjectItem(r, "updated"), "when it ended: %s", json);
  }
  cr_expect(found, "run %s is not listed: %s", id, json);
  cJSON_Delete(list);
  baton_free(json);
}

/* A stored run with no tasks and its request. */
static void expect_unplanned(const cJSON *o, const char *id, const char *status) {
  cr_expect_str_eq(str(o, "run_id"), id);
  cr_expect_str_eq(str(o, "status"), status);
  cr_expect_str_eq(str(o, "request"), "say hello");
  cr_expect(cJSON_IsArray(cJSON_GetObjectItem(o, "plan")));
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "plan")), 0);
  cr_expect(cJSON_IsArray(cJSON_GetObjectItem(o, "tasks")));
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "tasks")), 0);
}

Test(runtime_unplanned, a_run_cancelled_while_the_llm_plans_it_is_stored_cancelled,
     .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  fake_http_push_hang(e.srv); /* the planning call is never answered */
  submit_call c = {.ctx = e.ctx, .home = e.home};
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, submit_thread, &c), 0);
  cr_assert(fake_http_wait_requests(e.srv, 1, BT_WAIT_MS), "the planning never reached the LLM");
  baton_interrupt_tag(e.ctx, 5);
  pthread_join(th, NULL);
  cr_assert_eq(c.rc, BATON_CANCELLED, "%s", c.err);
  cr_assert(strstr(c.err, "cancelled"), "the error still says why: %s", c.err);
  cr_assert(c.run_id[0], "the cancelled run has an id");
  cJSON *o = stored(e.ctx, c.run_id);
  expect_unplanned(o, c.run_id, "cancelled");
  cr_expect_str_eq(str(o, "cancel_reason"), "cancelled while it was being planned");
  /* the planning call was sent (it may have cost tokens): counted, with no usage came back */
  const cJSON *usage = cJSON_GetObjectItem(o, "usage");
  const cJSON *calls = cJSON_GetObjectItem(usage, "llm_calls");
  cr_expect(cJSON_IsNumber(calls) && calls->valueint == 1, "the planning call is not counted");
  cr_expect_eq(cJSON_GetObjectItem(usage, "prompt_tokens")->valueint, 0);
  const cJSON *call = cJSON_GetArrayItem(cJSON_GetObjectItem(usage, "calls"), 0);
  cr_expect_str_eq(str(call, "call"), "plan");
  /* it never started: no folder, and none named */
  cr_expect_str_eq(str(o, "workspace"), "");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/runs/%s", e.home, c.run_id);
  cr_expect_neq(access(dir, F_OK), 0, "%s was made", dir);
  cJSON_Delete(o);
  expect_listed(e.ctx, c.run_id, "cancelled");
  bt_env_down(&e);
}

Test(runtime_unplanned, a_run_whose_llm_planner_fails_is_stored_failed_with_the_error,
     .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  fake_http_push_json(e.srv, 401, "{\"error\":{\"message\":\"Incorrect API key provided.\","
                                  "\"type\":\"invalid_request_error\"}}");
  submit_call c = {.ctx = e.ctx, .home = e.home};
  submit_thread(&c);
  cr_assert_eq(c.rc, BATON_LLM, "%s", c.err);
  cr_assert(strstr(c.err, "Incorrect API key provided"), "the error is the LLM's: %s", c.err);
  cr_assert(c.run_id[0], "the failed run has an id");
  cJSON *o = stored(e.ctx, c.run_id);
  expect_unplanned(o, c.run_id, "failed");
  cr_expect_str_eq(str(o, "error"), c.err);
  cJSON_Delete(o);
  expect_listed(e.ctx, c.run_id, "failed");
  bt_env_down(&e);
}

Test(runtime_unplanned, a_plan_the_llm_cannot_mend_is_stored_failed_with_its_calls,
     .timeout = 60) {
  bt_env e;
  bt_env_up(&e, true);
  for (int i = 0; i < 2; i++) { /* the plan and its repair: a task kind nothing has */
    char *b = fake_llm_completion(
        "[{\"task\": \"teleportation\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"me\"}}]",
        10, 10);
    fake_http_push_json(e.srv, 200, b);
    free(b);
  }
  /* then answering the request itself fails */
  fake_http_push_json(e.srv, 401, "{\"error\":{\"message\":\"Incorrect API key provided.\","
                                  "\"type\":\"invalid_request_error\"}}");
  submit_call c = {.ctx = e.ctx, .home = e.home};
  submit_thread(&c);
  cr_assert_eq(c.rc, BATON_LLM, "%s: %s", baton_strerror(c.rc), c.err);
  cr_assert_eq(fake_http_request_count(e.srv), 3);
  cr_assert(c.run_id[0], "the failed run has an id");
  cJSON *o = stored(e.ctx, c.run_id);
  expect_unplanned(o, c.run_id, "failed");
  cr_expect_str_eq(str(o, "error"), c.err);
  const cJSON *calls = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "usage"), "llm_calls");
  cr_expect(cJSON_IsNumber(calls) && calls->valueint == 3, "the LLM calls made are counted");
  cJSON_Delete(o);
  bt_env_down(&e);
}

Test(runtime_unplanned, a_request_refused_before_planning_is_not_stored, .timeout = 60) {
  bt_env e;
  bt_env_up(&e, false);
  baton_request empty = {BATON_REQUEST_INIT, .text = "   ", .input_root = e.home};
  baton_request offline = {BATON_REQUEST_INIT, .text = "qwzx vbnm", .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &empty, NULL, NULL, &run), BATON_INVALID);
  cr_expect_str_eq(baton_failed_run_id(e.ctx), "");
  cr_assert_neq(baton_submit(e.ctx, &offline, NULL, NULL, &run), BATON_OK);
  cr_expect_str_eq(baton_failed_run_id(e.ctx), "", "the offline planner's refusal is not kept");
  char *json = NULL;
  cr_assert_eq(baton_runs_list(e.ctx, 10, &json), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_expect_str_eq(json, "[]");
  baton_free(json);
  bt_env_down(&e);
}

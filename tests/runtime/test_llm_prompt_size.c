/* test_llm_prompt_size.c — what a run sends the LLM: call count, prompt characters, per-call usage. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "support/baton_env.h"
#include "support/fake_http.h"
#include "support/fake_llm.h"
#include "support/support.h"

#define REQUEST "read the text in sign.png, summarize it and read it aloud"
#define PLAN_CHARS_MAX 4500  /* the planning prompt, all messages */
#define TOTAL_CHARS_MAX 5400 /* every call of the run */

static const char PLAN[] =
    "{\"tasks\": [{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": {\"image\": "
    "\"sign.png\"}}, {\"task\": \"summarization\", \"id\": 1, \"dep\": [0], \"args\": {\"text\": "
    "\"<GENERATED>-0\"}}, {\"task\": \"text-to-speech\", \"id\": 2, \"dep\": [1], \"args\": "
    "{\"text\": \"<GENERATED>-1\"}}]}";

static const char *const SUMMARY_SSE[] = {
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Done.\"},"
    "\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":300,\"completion_tokens\":2}}\n\n",
    "data: [DONE]\n\n",
};

/* Characters of every message's content in request i (what the LLM reads). */
static size_t prompt_chars(fake_http *srv, size_t i, cJSON **body_out) {
  fake_http_request *r = fake_http_request_get(srv, i);
  cJSON *body = cJSON_Parse(r->body);
  fake_http_request_free(r);
  cr_assert_not_null(body);
  size_t n = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(body, "messages")) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (cJSON_IsString(c))
      n += strlen(c->valuestring);
  }
  if (body_out)
    *body_out = body;
  else
    cJSON_Delete(body);
  return n;
}

/* bt_env_up with a fake LLM and the debug executors off, sign.png in the data folder. */
static void env_up(bt_env *e) {
  unsetenv("BATON_DEBUG_EXECUTORS");
  bt_env_up(e, true);
  char cp[1400];
  snprintf(cp, sizeof cp, "cp '%s/examples/sign.png' '%s/sign.png'", BATON_TEST_SOURCE_DIR,
           e->home);
  cr_assert_eq(bt_run(cp, NULL), 0);
}

Test(runtime_llm_prompt_size, a_three_task_request_costs_two_calls_within_the_character_budget,
     .timeout = 120) {
  bt_env e;
  env_up(&e);
  char *reply = fake_llm_completion(PLAN, 900, 80);
  fake_http_push_json(e.srv, 200, reply);
  free(reply);
  fake_http_push_sse(e.srv, SUMMARY_SSE, sizeof SUMMARY_SSE / sizeof *SUMMARY_SSE, 5);
  baton_request req = {BATON_REQUEST_INIT, .text = REQUEST, .input_root = e.home};
  baton_run *run = NULL;
  baton_rc rc = baton_submit(e.ctx, &req, NULL, NULL, &run);
  if (rc != BATON_OK && strstr(baton_errmsg(e.ctx), "no available model")) {
    bt_env_down(&e); /* the local executors (tesseract, ots, espeak-ng) are not here */
    cr_skip_test("no local executor can run the plan here: %s", "see baton executors");
  }
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(e.ctx));
  baton_run_wait(run);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  cr_assert_eq(fake_http_request_count(e.srv), 2, "one planning call and one summary call");
  cJSON *plan_body = NULL;
  size_t plan = prompt_chars(e.srv, 0, &plan_body), summary = prompt_chars(e.srv, 1, NULL);
  cr_log_info("prompt characters: planning %zu, summary %zu, total %zu", plan, summary,
              plan + summary);
  cr_expect_leq(plan, PLAN_CHARS_MAX, "the planning prompt has %zu characters", plan);
  cr_expect_leq(plan + summary, TOTAL_CHARS_MAX, "the run's prompts have %zu characters",
                plan + summary);

  /* the planning prompt offers the kinds that can run here, no debug kinds */
  const cJSON *sys = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(plan_body, "messages"), 0);
  const char *system = cJSON_GetObjectItemCaseSensitive(sys, "content")->valuestring;
  cr_expect(strstr(system, "image-to-text"), "%s", system);
  cr_expect(!strstr(system, "debug-echo"), "debug kinds are offered only when enabled");
  cJSON_Delete(plan_body);

  /* usage per call, beside the totals */
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(res, "usage");
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(u, "llm_calls")->valueint, 2);
  const cJSON *calls = cJSON_GetObjectItemCaseSensitive(u, "calls");
  cr_assert_eq(cJSON_GetArraySize(calls), 2, "%s", baton_run_result_json(run));
  const cJSON *c0 = cJSON_GetArrayItem(calls, 0), *c1 = cJSON_GetArrayItem(calls, 1);
  cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(c0, "call")->valuestring, "plan");
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(c0, "prompt_tokens")->valueint, 900);
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(c0, "prompt_chars")->valueint, (int)plan);
  cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(c1, "call")->valuestring, "summary");
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(c1, "prompt_chars")->valueint, (int)summary);
  cJSON_Delete(res);
  baton_run_free(run);
  bt_env_down(&e);
}

Test(runtime_llm_prompt_size, debug_kinds_are_offered_when_the_debug_executors_are_on,
     .timeout = 60) {
  bt_env e;
  env_up(&e);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  bt_env_reopen(&e, NULL);
  unsetenv("BATON_DEBUG_EXECUTORS");
  char *reply = fake_llm_completion("{\"tasks\": [{\"task\": \"debug-echo\", \"id\": 0, \"dep\": [-1], "
                           "\"args\": {\"text\": \"hi\"}}]}",
                           10, 5);
  fake_http_push_json(e.srv, 200, reply);
  free(reply);
  baton_request req = {BATON_REQUEST_INIT, .text = "echo hi", .input_root = e.home};
  char *json = NULL;
  cr_assert_eq(baton_plan(e.ctx, &req, &json), BATON_OK, "%s", baton_errmsg(e.ctx));
  baton_free(json);
  cJSON *body = NULL;
  prompt_chars(e.srv, 0, &body);
  const cJSON *sys = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "messages"), 0);
  const char *system = cJSON_GetObjectItemCaseSensitive(sys, "content")->valuestring;
  cr_expect(strstr(system, "debug-echo"), "%s", system);
  cJSON_Delete(body);
  bt_env_down(&e);
}

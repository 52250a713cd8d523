/* test_llm_planner.c — LLM planning, repair, chat fallback, unfolding and summarising against a fake LLM on loopback. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "planner/llm_planner.h"
#include "planner/prompts.h"
#include "registry/registry.h"
#include "support/fake_http.h"
#include "support/fake_llm.h"
#include "support/support.h"

/* ---- fixture: a fake LLM, a client, a registry, a config ------------------ */

typedef struct fx {
  fake_http *srv;
  baton__llm *llm;
  baton__registry *reg;
  baton__config cfg;
  char *dir;
} fx;

static void fx_open(fx *f, long timeout_ms, int retries) {
  const char *vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                        "ALL_PROXY", "BATON_CONFIG", "BATON_LLM_BASE_URL", "OPENAI_BASE_URL",
                        "XDG_CONFIG_HOME"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  memset(f, 0, sizeof *f);
  f->dir = bt_tmpdir();
  f->srv = fake_http_start();
  cr_assert_not_null(f->srv, "the fake HTTP server did not start");
  char url[128], err[768];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(f->srv));
  baton__llm_settings s;
  baton__llm_settings_init(&s);
  s.base_url = url;
  s.model = "fake-model";
  s.timeout_ms = timeout_ms;
  s.max_retries = retries;
  f->llm = baton__llm_new(&s, err, sizeof err);
  cr_assert_not_null(f->llm, "%s", err);
  cr_assert_eq(baton__config_load(&f->cfg, NULL, err, sizeof err), 0, "%s", err);
  char *cat_path = bt_source_path("registry/catalogue.yaml");
  size_t len = 0;
  char *cat = bt_slurp(cat_path, &len);
  char *db = baton__path_join(f->dir, "registry.db");
  cr_assert_eq(baton__registry_open(db, cat, len, &f->reg, err, sizeof err), 0, "%s", err);
  free(db);
  free(cat);
  free(cat_path);
}

static void fx_close(fx *f) {
  baton__registry_close(f->reg);
  baton__llm_free(f->llm);
  fake_http_stop(f->srv);
  baton__config_release(&f->cfg);
  bt_rmtree(f->dir);
  free(f->dir);
}

static void push_reply(fx *f, const char *content) {
  char *b = fake_llm_completion(content, 100, 20);
  fake_http_push_json(f->srv, 200, b);
  free(b);
}

static baton_rc plan(fx *f, const char *request, const char *messages, baton__llm_plan_res *res,
                     char *err, size_t errlen) {
  baton__llm_plan_req r = {.llm = f->llm, .cfg = &f->cfg, .reg = f->reg, .request = request,
                           .messages_json = messages};
  return baton__llm_plan(&r, res, err, errlen);
}

static cJSON *request_body(fx *f, size_t i) {
  fake_http_request *r = fake_http_request_get(f->srv, i);
  cr_assert_not_null(r, "request %zu was not received", i);
  cJSON *j = cJSON_Parse(r->body);
  cr_assert_not_null(j, "request body is not JSON");
  fake_http_request_free(r);
  return j;
}

/* Content of message i (negative: from the end) of request body j. */
static const char *msg_content(const cJSON *j, int i) {
  const cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  int n = cJSON_GetArraySize(msgs);
  const cJSON *m = cJSON_GetArrayItem(msgs, i < 0 ? n + i : i);
  cr_assert_not_null(m, "no message %d", i);
  return cJSON_GetObjectItem(m, "content")->valuestring;
}

static const baton__task *task_with_id(const baton__graph *g, int id) {
  int i = baton__graph_find(g, id);
  cr_assert_geq(i, 0, "no task %d", id);
  return &g->tasks[i];
}

static const char *arg(const baton__task *t, const char *name) {
  for (size_t j = 0; j < t->n_args; j++)
    if (strcmp(t->args[j].name, name) == 0)
      return t->args[j].value;
  return NULL;
}

static int arg_ref(const baton__task *t, const char *name) {
  for (size_t j = 0; j < t->n_args; j++)
    if (strcmp(t->args[j].name, name) == 0)
      return t->args[j].ref;
  return -2;
}

/* ---- planning ------------------------------------------------------------------ */

Test(planner_llm_planner, a_fenced_json_plan_becomes_a_validated_graph_in_one_call) {
  fx f;
  fx_open(&f, 10000, 0);
  push_reply(&f, "Here is the plan:\n```json\n{\"tasks\": [{\"task\": \"image-to-text\", \"id\": 0, "
                 "\"dep\": [-1], \"args\": {\"image\": \"sign.png\"}}, {\"task\": \"text-to-speech\", "
                 "\"id\": 1, \"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\"}}]}\n```\n");
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "Read sign.png aloud", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_eq(res.g.n, 2);
  cr_assert_str_eq(task_with_id(&res.g, 0)->task, "image-to-text");
  cr_assert_str_eq(arg(task_with_id(&res.g, 0), "image"), "sign.png");
  cr_assert_eq(arg_ref(task_with_id(&res.g, 1), "text"), 0);
  cr_assert_null(res.answer);
  cr_assert_eq(res.repairs, 0);
  cr_assert_eq(res.usage.llm_calls, 1);
  cr_assert_eq(res.usage.prompt_tokens, 100);
  cr_assert_eq(res.usage.completion_tokens, 20);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "economy: one planning call");

  /* What was sent: the schema with the registry's task names, the task list,
   * our demos, and the request last. */
  cJSON *j = request_body(&f, 0);
  const cJSON *rf = cJSON_GetObjectItem(j, "response_format");
  cr_assert_str_eq(cJSON_GetObjectItem(rf, "type")->valuestring, "json_schema");
  char *schema = cJSON_PrintUnformatted(cJSON_GetObjectItem(rf, "json_schema"));
  cr_assert(strstr(schema, "\"enum\":[\"image-to-text\",\"text-to-speech\""), "%s", schema);
  free(schema);
  const char *system = msg_content(j, 0);
  cr_assert(strstr(system, "- text-to-speech [text -> audio]: Speaks text aloud"),
            "the task line shows the types: %s", system);
  const cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  cr_assert_gt(cJSON_GetArraySize(msgs), 4, "the few-shot demos are sent");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 2), "role")->valuestring,
                   "assistant");
  cr_assert(strstr(msg_content(j, 2), "\"tasks\""), "a demo answer is a plan");
  cr_assert(strstr(msg_content(j, 1), "Request: Here is a recording"),
            "a demo request goes through the user template: %s", msg_content(j, 1));
  cr_assert(strstr(msg_content(j, -1), "Request: Read sign.png aloud"), "%s", msg_content(j, -1));
  cJSON_Delete(j);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

/* Each malformed assistant plan in HuggingGPT's own demos, given as the LLM's
 * reply, must plan without any repair call. */
Test(planner_llm_planner, hugginggpt_malformed_demo_plans_are_planned_without_repair) {
  char *path = bt_shared_data("hugginggpt/demo_parse_task.json");
  BT_SKIP_IF_NO_SHARED(path, "hugginggpt/demo_parse_task.json");
  char *text = bt_slurp(path, NULL);
  cJSON *demos = cJSON_Parse(text);
  cr_assert(cJSON_IsArray(demos));
  int seen_stray = 0, seen_no_bracket = 0, seen_tag = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, demos) {
    const char *role = cJSON_GetObjectItem(m, "role")->valuestring;
    const char *content = cJSON_GetObjectItem(m, "content")->valuestring;
    if (strcmp(role, "assistant") != 0)
      continue;
    bool stray = strstr(content, "}} }}") != NULL;
    bool no_bracket = content[0] == '{';
    bool tag = strstr(content, "<GENERATED-0>") != NULL;
    if (!stray && !no_bracket && !tag)
      continue;
    seen_stray += stray;
    seen_no_bracket += no_bracket;
    seen_tag += tag;
    fx f;
    fx_open(&f, 10000, 0);
    push_reply(&f, content);
    baton__llm_plan_res res;
    char err[1024] = "";
    cr_assert_eq(plan(&f, "a request", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
    cr_assert_null(res.answer, "fell back to chat for: %s (%s)", content, res.note);
    cr_assert_eq(fake_http_request_count(f.srv), 1, "a repair call was made for: %s", content);
    int expect = 0;
    for (const char *p = content; (p = strstr(p, "\"task\"")); p++)
      expect++;
    cr_assert_eq((int)res.g.n, expect, "tasks planned from: %s", content);
    for (size_t i = 0; i < res.g.n; i++)
      for (size_t k = 0; k < res.g.tasks[i].n_args; k++)
        if (res.g.tasks[i].args[k].value)
          cr_assert_null(strstr(res.g.tasks[i].args[k].value, "GENERATED"),
                         "an unresolved reference is left in: %s", content);
    baton__llm_plan_res_release(&res);
    fx_close(&f);
  }
  cr_assert(seen_stray && seen_no_bracket && seen_tag,
            "the demos no longer hold the three malformed shapes (%d %d %d)", seen_stray,
            seen_no_bracket, seen_tag);
  cJSON_Delete(demos);
  free(text);
  free(path);
}

Test(planner_llm_planner, an_invalid_plan_gets_one_repair_round_quoting_the_error) {
  fx f;
  fx_open(&f, 10000, 0);
  push_reply(&f, "[{\"task\": \"teleportation\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"me\"}}]");
  push_reply(&f, "[{\"task\": \"text-to-speech\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"me\"}}]");
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "beam me up", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_eq(res.g.n, 1);
  cr_assert_str_eq(res.g.tasks[0].task, "text-to-speech");
  cr_assert_eq(res.repairs, 1);
  cr_assert_eq(res.usage.llm_calls, 2);
  cr_assert(strstr(res.note, "teleportation"), "the warning says what was wrong: %s", res.note);
  cJSON *j = request_body(&f, 1);
  const char *last = msg_content(j, -1);
  cr_assert(strncmp(last, "Your plan was invalid: ", 23) == 0, "%s", last);
  cr_assert(strstr(last, "teleportation"), "the error is quoted: %s", last);
  cr_assert(strstr(last, "Reply with a corrected plan only."), "%s", last);
  cr_assert(strstr(msg_content(j, -2), "teleportation"), "the bad plan is shown back");
  /* the repair round: the system prompt without the demos, the request, the
   * broken answer and the complaint */
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "messages")), 4);
  cr_assert(strstr(msg_content(j, 0), "teleportation") == NULL);
  cr_assert(strstr(msg_content(j, 1), "Request: beam me up"), "%s", msg_content(j, 1));
  cr_assert_eq(res.n_calls, 2);
  cr_assert_str_eq(res.calls[0].what, "plan");
  cr_assert_str_eq(res.calls[1].what, "repair");
  cr_assert_lt(res.calls[1].prompt_chars, res.calls[0].prompt_chars,
               "the repair round resends no demos");
  cJSON_Delete(j);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, an_unrecoverable_plan_ends_in_one_repair_then_a_direct_answer) {
  fx f;
  fx_open(&f, 10000, 0);
  push_reply(&f, "I would love to help, but I cannot plan that.");
  push_reply(&f, "Sorry, still no plan from me.");
  push_reply(&f, "Hello! I am baton. I can read images, speak text and more.");
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "hi there", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_eq(fake_http_request_count(f.srv), 3, "plan, one repair, the chat answer");
  cr_assert_eq(res.g.n, 0);
  cr_assert_str_eq(res.answer, "Hello! I am baton. I can read images, speak text and more.");
  cr_assert_eq(res.usage.llm_calls, 3);
  cJSON *j = request_body(&f, 2);
  cr_assert_null(cJSON_GetObjectItem(j, "response_format"), "the chat answer is plain text");
  cr_assert_str_eq(msg_content(j, -1), "hi there");
  cJSON_Delete(j);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, an_empty_plan_is_valid_and_needs_no_more_calls) {
  fx f;
  fx_open(&f, 10000, 0);
  push_reply(&f, "{\"tasks\": []}");
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "good morning", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_eq(res.g.n, 0);
  cr_assert_null(res.answer, "the summarizer answers an empty plan");
  cr_assert_eq(fake_http_request_count(f.srv), 1);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

static const char *TTS_PLAN =
    "[{\"task\": \"text-to-speech\", \"id\": 0, \"dep\": [-1], \"args\": {\"text\": \"hi\"}}]";

Test(planner_llm_planner, status_429_with_retry_after_then_success_plans) {
  fx f;
  fx_open(&f, 20000, 2);
  fake_http_push_full(f.srv, 429, "Retry-After: 1\r\n",
                      "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
  push_reply(&f, TTS_PLAN);
  baton__llm_plan_res res;
  char err[1024] = "";
  int64_t t0 = baton__now_ms();
  cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_geq(baton__now_ms() - t0, 950, "Retry-After was not honoured");
  cr_assert_eq(res.g.n, 1);
  cr_assert_eq(res.usage.llm_calls, 2, "the 429 answer counts as a call");
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, status_500_then_success_plans) {
  fx f;
  fx_open(&f, 20000, 2);
  fake_http_push_json(f.srv, 500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
  push_reply(&f, TTS_PLAN);
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_eq(res.g.n, 1);
  cr_assert_eq(fake_http_request_count(f.srv), 2);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, a_server_hanging_past_the_timeout_is_a_clean_error) {
  fx f;
  fx_open(&f, 1000, 0);
  fake_http_push_hang(f.srv);
  baton__llm_plan_res res;
  char err[1024] = "";
  int64_t t0 = baton__now_ms();
  cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_LLM);
  int64_t el = baton__now_ms() - t0;
  cr_assert_lt(el, 3000, "took %lld ms", (long long)el);
  cr_assert(strstr(err, "planning") && strstr(err, "timeout"), "%s", err);
  cr_assert_eq(res.g.n, 0);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, status_401_is_a_clear_message_naming_the_key) {
  fx f;
  fx_open(&f, 10000, 2);
  fake_http_push_json(f.srv, 401, "{\"error\":{\"message\":\"Incorrect API key provided: sk-x.\","
                                  "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_LLM);
  cr_assert(strstr(err, "Incorrect API key provided"), "%s", err);
  cr_assert(strstr(err, "BATON_LLM_API_KEY"), "%s", err);
  cr_assert_eq(fake_http_request_count(f.srv), 1, "a refused key is not retried");
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, response_format_follows_the_config) {
  const char *modes[] = {"none", "tgi", "json_object"};
  for (size_t i = 0; i < 3; i++) {
    fx f;
    fx_open(&f, 10000, 0);
    free(f.cfg.llm_response_format);
    f.cfg.llm_response_format = baton__strdup(modes[i]);
    push_reply(&f, TTS_PLAN);
    baton__llm_plan_res res;
    char err[1024] = "";
    cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
    cJSON *j = request_body(&f, 0);
    const cJSON *rf = cJSON_GetObjectItem(j, "response_format");
    if (i == 0) {
      cr_assert_null(rf);
    } else {
      cr_assert_str_eq(cJSON_GetObjectItem(rf, "type")->valuestring, "json_object");
      cr_assert_eq(cJSON_GetObjectItem(rf, "value") != NULL, i == 1, "TGI carries the schema");
    }
    cJSON_Delete(j);
    baton__llm_plan_res_release(&res);
    fx_close(&f);
  }
}

Test(planner_llm_planner, a_rejected_json_schema_falls_back_and_still_plans) {
  fx f;
  fx_open(&f, 10000, 0);
  fake_http_push_json(f.srv, 400, "{\"error\":{\"message\":\"response_format type must be one of "
                                  "\\\"text\\\" or \\\"json_object\\\"\",\"type\":\"invalid_request_error\"}}");
  fake_http_push_json(f.srv, 422, "{\"error\":\"Input validation error: response_format\","
                                  "\"error_type\":\"validation\"}");
  push_reply(&f, TTS_PLAN);
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_eq(res.g.n, 1);
  cJSON *j = request_body(&f, 2);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "response_format"), "type")->valuestring,
                   "json_object");
  cJSON_Delete(j);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

/* ---- multi-resource unfolding ---------------------------------------------------- */

Test(planner_llm_planner, several_images_in_one_argument_unfold_with_their_dependents) {
  fx f;
  fx_open(&f, 10000, 0);
  push_reply(&f, "{\"tasks\": [{\"task\": \"image-to-text\", \"id\": 0, \"dep\": [-1], \"args\": "
                 "{\"image\": [\"a.png\", \"b.png\"]}}, {\"task\": \"text-to-speech\", \"id\": 1, "
                 "\"dep\": [0], \"args\": {\"text\": \"<GENERATED>-0\"}}]}");
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "read a.png and b.png aloud", NULL, &res, err, sizeof err), BATON_OK,
               "%s", err);
  cr_assert_eq(res.g.n, 4, "two readings and two speeches");
  const char *imgs[2] = {NULL, NULL};
  int reads[2] = {-1, -1}, nr = 0, speaks = 0;
  for (size_t i = 0; i < res.g.n; i++) {
    const baton__task *t = &res.g.tasks[i];
    if (strcmp(t->task, "image-to-text") == 0) {
      cr_assert_lt(nr, 2);
      imgs[nr] = arg(t, "image");
      reads[nr++] = t->id;
    }
  }
  cr_assert_eq(nr, 2);
  cr_assert_str_eq(imgs[0], "a.png");
  cr_assert_str_eq(imgs[1], "b.png");
  for (size_t i = 0; i < res.g.n; i++) {
    const baton__task *t = &res.g.tasks[i];
    if (strcmp(t->task, "text-to-speech") != 0)
      continue;
    int r = arg_ref(t, "text");
    cr_assert(r == reads[speaks], "speech %d reads the output of %d, not %d", speaks, reads[speaks], r);
    cr_assert_eq(t->n_deps, 1);
    cr_assert_eq(t->deps[0], r);
    speaks++;
  }
  cr_assert_eq(speaks, 2);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, a_comma_list_of_files_unfolds_and_a_waiting_task_waits_for_all) {
  baton__graph g = {0};
  const char *json =
      "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"a.png, b.jpg\"}},"
      "{\"task\":\"text-to-speech\",\"id\":1,\"dep\":[0],\"args\":{\"text\":\"done\"}},"
      "{\"task\":\"summarization\",\"id\":2,\"dep\":[-1],\"args\":{\"text\":\"x, y.png\"}},"
      "{\"task\":\"summarization\",\"id\":4,\"dep\":[-1],\"args\":{\"text\":\"[\\\"one\\\",\\\"two\\\"]\"}}]";
  char err[512] = "";
  cr_assert_eq(baton__graph_parse(json, strlen(json), 64, &g, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__plan_unfold(&g, 64, err, sizeof err), 0, "%s", err);
  cr_assert_eq(g.n, 5);
  cr_assert_str_eq(arg(task_with_id(&g, 0), "image"), "a.png");
  cr_assert_str_eq(arg(task_with_id(&g, 5), "image"), "b.jpg", "the copy gets the next free id");
  cr_assert_str_eq(arg(task_with_id(&g, 4), "text"), "one\ntwo", "a list of texts is joined");
  const baton__task *tts = task_with_id(&g, 1);
  cr_assert_eq(tts->n_deps, 2, "the task that only waits now waits for both copies");
  cr_assert_str_eq(arg(task_with_id(&g, 2), "text"), "x, y.png", "text is never split");
  baton__graph_release(&g);

  /* Unfolding past the task limit is refused. */
  const char *many = "[{\"task\":\"image-to-text\",\"id\":0,\"dep\":[-1],"
                     "\"args\":{\"image\":\"[\\\"a.png\\\",\\\"b.png\\\",\\\"c.png\\\"]\"}}]";
  cr_assert_eq(baton__graph_parse(many, strlen(many), 64, &g, err, sizeof err), 0, "%s", err);
  cr_assert_neq(baton__plan_unfold(&g, 2, err, sizeof err), 0);
  cr_assert(strstr(err, "more than 2 tasks"), "%s", err);
  baton__graph_release(&g);
}

/* ---- multi-turn ---------------------------------------------------------------------- */

Test(planner_llm_planner, history_brings_earlier_outputs_into_the_planning_prompt) {
  fx f;
  fx_open(&f, 10000, 0);
  push_reply(&f, "[{\"task\": \"translation\", \"id\": 0, \"dep\": [-1], \"args\": "
                 "{\"text\": \"The shop opens at nine.\", \"tgt_lang\": \"es\"}}]");
  const char *history =
      "[{\"role\":\"user\",\"content\":\"read sign.png\"},"
      "{\"role\":\"assistant\",\"content\":\"The sign says: The shop opens at nine. I also "
      "saved /tmp/run1/task1.wav.\",\"outputs\":{\"text\":\"The shop opens at nine.\"}}]";
  baton__llm_plan_res res;
  char err[1024] = "";
  cr_assert_eq(plan(&f, "now translate it to Spanish", history, &res, err, sizeof err), BATON_OK,
               "%s", err);
  cr_assert_eq(res.g.n, 1);
  cJSON *j = request_body(&f, 0);
  const char *user = msg_content(j, -1);
  cr_assert(strstr(user, "user: read sign.png"), "%s", user);
  cr_assert(strstr(user, "- text: \"The shop opens at nine.\""), "%s", user);
  cr_assert(strstr(user, "- audio: /tmp/run1/task1.wav"), "%s", user);
  cr_assert(strstr(user, "Request: now translate it to Spanish"), "%s", user);
  cJSON_Delete(j);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
}

Test(planner_llm_planner, an_answers_tasks_say_what_made_each_earlier_output) {
  const char *history =
      "[{\"role\":\"user\",\"content\":\"transcribe talk.wav and translate it into Spanish\"},"
      "{\"role\":\"assistant\",\"content\":\"Done.\",\"outputs\":{\"text\":\"hola\"},"
      "\"tasks\":[{\"task\":\"automatic-speech-recognition\",\"outputs\":{\"text\":\"hello\"}},"
      "{\"task\":\"translation\",\"outputs\":{\"text\":\"hola\"},\"lang\":\"es\"}]}]";
  char *h = NULL, *r = NULL, err[256];
  cr_assert_eq(baton__chat_history_render(history, 1000, &h, &r, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(r, "- text (automatic-speech-recognition): \"hello\"\n"
                   "- text (translation): \"hola\"\n", "the tasks in place of outputs: %s", r);
  free(h), free(r);
}

Test(planner_llm_planner, history_is_trimmed_oldest_first_to_the_budget) {
  const char *history = "[{\"role\":\"user\",\"content\":\"first question about apples\"},"
                        "{\"role\":\"assistant\",\"content\":\"an answer about apples\"},"
                        "{\"role\":\"system\",\"content\":\"ignored\"},"
                        "{\"role\":\"user\",\"content\":\"second question about pears\"},"
                        "{\"role\":\"assistant\",\"content\":\"an answer about pears\"}]";
  char *h = NULL, *r = NULL, err[256];
  cr_assert_eq(baton__chat_history_render(history, 70, &h, &r, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(h, "pears"), "%s", h);
  cr_assert_null(strstr(h, "apples"), "the oldest turns go first: %s", h);
  cr_assert_null(strstr(h, "ignored"));
  cr_assert_leq(strlen(h), 70 + 20);
  cr_assert_str_eq(r, "(none)\n");
  free(h);
  free(r);
  cr_assert_eq(baton__chat_history_render(history, 100000, &h, NULL, err, sizeof err), 0);
  cr_assert(strstr(h, "user: first question about apples\nassistant: an answer about apples\n"),
            "%s", h);
  free(h);
  cr_assert_neq(baton__chat_history_render("{\"role\":\"user\"}", 100, &h, &r, err, sizeof err), 0);
  cr_assert(strstr(err, "JSON array"), "%s", err);
  cr_assert_neq(baton__chat_history_render("[{\"role\":\"user\"}]", 100, &h, &r, err, sizeof err), 0);
  cr_assert(strstr(err, "message 0"), "%s", err);
}

/* ---- prompts -------------------------------------------------------------------------- */

static char *copy_prompts(void) {
  char *dir = bt_tmpdir();
  const char *files[] = {"planner.yaml", "summary.yaml"};
  for (size_t i = 0; i < 2; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "prompts/%s", files[i]);
    char *src = bt_source_path(rel);
    char *text = bt_slurp(src, NULL);
    char *dst = baton__path_join(dir, files[i]);
    bt_write(dst, text);
    free(dst);
    free(text);
    free(src);
  }
  return dir;
}

Test(planner_llm_planner, shipped_prompts_load_with_our_demos) {
  baton__prompts p;
  char err[768] = "";
  cr_assert_eq(baton__prompts_load(NULL, &p, err, sizeof err), 0, "%s", err);
  cr_assert_geq(p.n_demos, 2);
  for (size_t i = 0; i < p.n_demos; i++)
    cr_assert(strstr(p.demos[i].assistant, "\"tasks\""), "demo %zu answers with a plan", i);
  cr_assert_geq(p.result_chars, 50);
  const char *vars[] = {"error", "X", NULL};
  char *r = baton__prompt_render(p.repair, vars);
  cr_assert_str_eq(r, "Your plan was invalid: X. Reply with a corrected plan only.");
  free(r);
  baton__prompts_release(&p);
}

Test(planner_llm_planner, a_broken_or_missing_prompt_file_names_the_file_and_line) {
  char *dir = copy_prompts();
  char *pf = baton__path_join(dir, "planner.yaml");
  baton__prompts p;
  char err[768] = "";
  cr_assert_eq(baton__prompts_load(dir, &p, err, sizeof err), 0, "%s", err);
  baton__prompts_release(&p);

  bt_write(pf, "system: |\n  plan {{tasks}}\ntask_line: \"- {{name}}\"\nuser: [unclosed\n");
  cr_assert_neq(baton__prompts_load(dir, &p, err, sizeof err), 0);
  baton__prompts_release(&p);
  cr_assert(strstr(err, pf), "%s", err);
  cr_assert(strstr(err, "planner.yaml:5:") || strstr(err, "planner.yaml:4:"), "%s", err);

  bt_write(pf, "system: plan well\ntask_line: \"- {{name}}\"\n");
  cr_assert_neq(baton__prompts_load(dir, &p, err, sizeof err), 0);
  baton__prompts_release(&p);
  cr_assert(strstr(err, "planner.yaml:1: 'system' must contain the placeholder {{tasks}}"), "%s",
            err);

  bt_write(pf, "system: \"{{tasks}}\"\ntask_line: \"{{name}}\"\nuser: \"{{request}}\"\n"
              "repair: \"{{error}}\"\nchat_system: hi\ndemos:\n  - user: a\n    asistant: b\n");
  cr_assert_neq(baton__prompts_load(dir, &p, err, sizeof err), 0);
  baton__prompts_release(&p);
  cr_assert(strstr(err, "planner.yaml:7: each demo must have 'user' and 'assistant'"), "%s", err);

  bt_write(pf, "system: \"{{tasks}}\"\nsytem: x\n");
  cr_assert_neq(baton__prompts_load(dir, &p, err, sizeof err), 0);
  baton__prompts_release(&p);
  cr_assert(strstr(err, "planner.yaml:2: unknown template 'sytem'"), "%s", err);

  remove(pf);
  cr_assert_neq(baton__prompts_load(dir, &p, err, sizeof err), 0);
  baton__prompts_release(&p);
  cr_assert(strstr(err, pf), "a missing file is named: %s", err);

  /* The planner reports it as a configuration error and makes no call. */
  fx f;
  fx_open(&f, 10000, 0);
  f.cfg.prompts_dir = baton__strdup(dir);
  baton__llm_plan_res res;
  cr_assert_eq(plan(&f, "say hi", NULL, &res, err, sizeof err), BATON_CONFIG);
  cr_assert(strstr(err, "planner.yaml"), "%s", err);
  cr_assert_eq(fake_http_request_count(f.srv), 0);
  baton__llm_plan_res_release(&res);
  fx_close(&f);
  free(pf);
  bt_rmtree(dir);
  free(dir);
}

/* ---- summarising ------------------------------------------------------------------------ */

typedef struct pieces {
  char buf[4096];
  int n;
} pieces;

static void on_piece(void *ud, const char *piece, size_t len) {
  pieces *p = ud;
  size_t have = strlen(p->buf);
  if (have + len < sizeof p->buf) {
    memcpy(p->buf + have, piece, len);
    p->buf[have + len] = '\0';
  }
  p->n++;
}

Test(planner_llm_planner, the_summary_streams_with_pings_and_states_failed_steps) {
  fx f;
  fx_open(&f, 10000, 0);
  static const char *const chunks[] = {
      ": ping\n\n",
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"The sign \"}}]}\n\n",
      ": ping\n\n",
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"says OPEN; \"}}]}\n\n",
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"the translation failed.\"},\"finish_reason\":\"stop\"}]}\n\n",
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":321,\"completion_tokens\":12}}\n\n",
      "data: [DONE]\n\n",
  };
  fake_http_push_sse(f.srv, chunks, sizeof chunks / sizeof *chunks, 5);
  char longtext[5000];
  memset(longtext, 'x', sizeof longtext - 1);
  longtext[sizeof longtext - 1] = '\0';
  char tasks_json[6000];
  snprintf(tasks_json, sizeof tasks_json,
           "[{\"id\":0,\"task\":\"image-to-text\",\"model\":\"local/tesseract\",\"status\":\"done\","
           "\"outputs\":{\"text\":\"OPEN %s\"},\"error\":null},"
           "{\"id\":1,\"task\":\"text-to-speech\",\"model\":\"local/espeak-ng\",\"status\":\"done\","
           "\"outputs\":{\"audio\":\"/data/runs/r1/task1.wav\"},\"error\":null},"
           "{\"id\":2,\"task\":\"translation\",\"model\":\"Helsinki-NLP/opus-mt-en-es\",\"status\":"
           "\"failed\",\"outputs\":{},\"error\":\"remote inference endpoints are not supported\"}]",
           longtext);
  cJSON *tasks = cJSON_Parse(tasks_json);
  cr_assert_not_null(tasks);
  pieces p = {.n = 0};
  baton__llm_summary_req r = {.llm = f.llm, .cfg = &f.cfg, .request = "read sign.png",
                              .tasks = tasks, .on_delta = on_piece, .delta_ud = &p};
  char *answer = NULL, err[1024] = "";
  baton__llm_usage u = {0};
  cr_assert_eq(baton__llm_summarize(&r, &answer, &u, NULL, err, sizeof err), BATON_OK, "%s", err);
  cr_assert_str_eq(answer, "The sign says OPEN; the translation failed.");
  cr_assert_eq(p.n, 3, "one delta per streamed piece");
  cr_assert_str_eq(p.buf, answer);
  cr_assert_eq(u.llm_calls, 1);
  cr_assert_eq(u.prompt_tokens, 321);
  cr_assert_eq(u.completion_tokens, 12);
  cJSON *j = request_body(&f, 0);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "stream")));
  const char *user = msg_content(j, -1);
  cr_assert(strstr(user, "Request: read sign.png"), "%s", user);
  cr_assert(strstr(user, "step 0: image-to-text with model local/tesseract: done"), "%s", user);
  cr_assert(strstr(user, "audio file: /data/runs/r1/task1.wav"), "files by path: %s", user);
  cr_assert(strstr(user, "step 2 (translation) failed: remote inference endpoints"), "%s", user);
  cr_assert_lt(strlen(user), 4500, "a long text result is cut to the budget");
  cr_assert(strstr(user, "xxx..."), "a cut is marked");
  cJSON_Delete(j);
  free(answer);
  cJSON_Delete(tasks);
  fx_close(&f);
}

Test(planner_llm_planner, a_failed_summary_call_is_an_error_the_caller_can_fall_back_on) {
  fx f;
  fx_open(&f, 10000, 0);
  fake_http_push_json(f.srv, 401, "{\"error\":{\"message\":\"bad key\",\"type\":\"auth\"}}");
  cJSON *tasks = cJSON_Parse("[]");
  baton__llm_summary_req r = {.llm = f.llm, .cfg = &f.cfg, .request = "hi", .tasks = tasks};
  char *answer = NULL, err[1024] = "";
  baton__llm_usage u = {0};
  cr_assert_eq(baton__llm_summarize(&r, &answer, &u, NULL, err, sizeof err), BATON_LLM);
  cr_assert_null(answer);
  cr_assert(strstr(err, "summarising") && strstr(err, "bad key"), "%s", err);
  cr_assert_eq(u.llm_calls, 1);
  cJSON_Delete(tasks);
  fx_close(&f);
}

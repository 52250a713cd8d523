/* test_llm_executor.c — the "llm" executor against a fake chat LLM on loopback. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "executors/executor.h"
#include "support/fake_http.h"
#include "support/support.h"

extern const baton__executor baton__executor_llm; /* executors/llm.c */

static const char *REPLY =
    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"  Hola, mundo.\\n\"}}],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}";

static fake_http *srv_start(baton__config *cfg) {
  const char *vars[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "BATON_CONFIG",
                        "BATON_LLM_BASE_URL", "OPENAI_BASE_URL"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  char err[512];
  cr_assert_eq(baton__config_load(cfg, NULL, err, sizeof err), 0, "%s", err);
  fake_http *srv = fake_http_start();
  cr_assert_not_null(srv);
  char url[128];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(srv));
  cfg->llm_base_url = baton__strdup(url);
  return srv;
}

static int run_task(const baton__config *cfg, const char *task, const char *text,
                    const char *tgt, const char *instruction, baton__values *out,
                    baton__exec_env *env) {
  void *state = NULL;
  char err[512] = "";
  cr_assert_eq(baton__executor_llm.init(cfg, &state, err, sizeof err), 0, "%s", err);
  baton__values in = {0};
  baton__values_add(&in, "text", BATON__T_TEXT, text);
  if (tgt)
    baton__values_add(&in, "tgt_lang", 0, tgt);
  if (instruction)
    baton__values_add(&in, "instruction", 0, instruction);
  memset(env, 0, sizeof *env);
  env->cfg = cfg;
  int rc = baton__executor_llm.run(state, task, &in, env, out);
  baton__values_release(&in);
  baton__executor_llm.release(state);
  return rc;
}

Test(executors_llm_executor, translation_asks_the_llm_and_returns_its_text) {
  baton__config cfg;
  fake_http *srv = srv_start(&cfg);
  fake_http_push_json(srv, 200, REPLY);
  baton__values out = {0};
  baton__exec_env env;
  cr_assert_eq(run_task(&cfg, "translation", "Hello, world.", "es", NULL, &out, &env), 0, "%s",
               env.err);
  const baton__value *v = baton__values_get_type(&out, BATON__T_TEXT);
  cr_assert_not_null(v);
  cr_assert_str_eq(v->data, "Hola, mundo.");
  fake_http_request *r = fake_http_request_get(srv, 0);
  cJSON *j = cJSON_Parse(r->body);
  const cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  cr_assert(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring,
                   "\"es\""));
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring,
                   "Hello, world.");
  cJSON_Delete(j);
  fake_http_request_free(r);
  baton__values_release(&out);
  fake_http_stop(srv);
  baton__config_release(&cfg);
}

Test(executors_llm_executor, errors_are_reported_not_crashed) {
  baton__config cfg;
  fake_http *srv = srv_start(&cfg);
  baton__values out = {0};
  baton__exec_env env;
  cr_assert_neq(run_task(&cfg, "translation", "Hello", NULL, NULL, &out, &env), 0);
  cr_assert(strstr(env.err, "tgt_lang"), "%s", env.err);
  fake_http_push_json(srv, 401, "{\"error\":{\"message\":\"bad key\",\"type\":\"auth\"}}");
  cr_assert_neq(run_task(&cfg, "conversational", "hi", NULL, NULL, &out, &env), 0);
  cr_assert(strstr(env.err, "bad key"), "%s", env.err);
  cr_assert_eq(out.n, 0);
  char why[256] = "";
  free(cfg.llm_base_url);
  cfg.llm_base_url = NULL;
  cr_assert_not(baton__executor_llm.available(&cfg, why, sizeof why));
  cr_assert(strstr(why, "BATON_LLM_BASE_URL"), "%s", why);
  fake_http_stop(srv);
  baton__config_release(&cfg);
}

/* The user's own words ("summarize notes.txt in two sentences") reach the LLM's system prompt. */
Test(executors_llm_executor, the_users_instruction_goes_into_the_system_prompt) {
  baton__config cfg;
  fake_http *srv = srv_start(&cfg);
  fake_http_push_json(srv, 200, REPLY);
  fake_http_push_json(srv, 200, REPLY);
  baton__values out = {0};
  baton__exec_env env;
  const char *text = "The committee met on Tuesday and agreed to open on Sundays.";
  cr_assert_eq(run_task(&cfg, "summarization", text, NULL,
                        "Summarize \"notes.txt\"\nin two sentences", &out, &env),
               0, "%s", env.err);
  baton__values_release(&out);
  /* an instruction that is the text itself adds nothing */
  cr_assert_eq(run_task(&cfg, "text-generation", "Write a poem", NULL, "Write a poem", &out, &env),
               0, "%s", env.err);
  baton__values_release(&out);
  for (int i = 0; i < 2; i++) {
    fake_http_request *r = fake_http_request_get(srv, (size_t)i);
    cJSON *j = cJSON_Parse(r->body);
    const cJSON *msgs = cJSON_GetObjectItem(j, "messages");
    const char *sys = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring;
    if (i == 0)
      cr_assert(strstr(sys, "Summarise") &&
                    strstr(sys, "The user asked: \"Summarize 'notes.txt' in two sentences\"."),
                "%s", sys);
    else
      cr_assert(!strstr(sys, "The user asked"), "%s", sys);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring,
                     i == 0 ? text : "Write a poem");
    cJSON_Delete(j);
    fake_http_request_free(r);
  }
  fake_http_stop(srv);
  baton__config_release(&cfg);
}

/* A dialogue continues its conversation: the earlier exchange goes between the system prompt and
 * the new message ("and in the evening?" read after its question); a history that is no list of
 * exchanges is refused before anything is sent. */
Test(executors_llm_executor, a_dialogue_sends_the_conversation_before_the_new_message) {
  baton__config cfg;
  fake_http *srv = srv_start(&cfg);
  fake_http_push_json(srv, 200, REPLY);
  void *state = NULL;
  char err[512] = "";
  cr_assert_eq(baton__executor_llm.init(&cfg, &state, err, sizeof err), 0, "%s", err);
  baton__values in = {0}, out = {0};
  baton__values_add(&in, "text", BATON__T_TEXT, "and in the evening?");
  baton__values_add(&in, "history", 0,
                    "[{\"role\":\"user\",\"content\":\"will it rain in Paris this morning?\"},"
                    "{\"role\":\"assistant\",\"content\":\"No, it stays dry.\"}]");
  baton__exec_env env = {.cfg = &cfg};
  cr_assert_eq(baton__executor_llm.run(state, "conversational", &in, &env, &out), 0, "%s",
               env.err);
  fake_http_request *r = fake_http_request_get(srv, 0);
  cJSON *j = cJSON_Parse(r->body);
  const cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  const char *want[][2] = {{"system", NULL}, {"user", "will it rain in Paris this morning?"},
                           {"assistant", "No, it stays dry."}, {"user", "and in the evening?"}};
  cr_assert_eq(cJSON_GetArraySize(msgs), 4, "%s", r->body);
  for (int i = 0; i < 4; i++) {
    const cJSON *m = cJSON_GetArrayItem(msgs, i);
    cr_assert_str_eq(cJSON_GetObjectItem(m, "role")->valuestring, want[i][0]);
    if (want[i][1])
      cr_assert_str_eq(cJSON_GetObjectItem(m, "content")->valuestring, want[i][1]);
  }
  cJSON_Delete(j);
  fake_http_request_free(r);
  baton__values_release(&out);
  baton__values_release(&in);
  const char *bad[] = {"not json", "[{\"role\":\"assistant\",\"content\":\"first\"},"
                       "{\"role\":\"user\",\"content\":\"roles swapped\"}]",
                       "[{\"role\":\"user\",\"content\":\"an exchange without its answer\"}]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    baton__values_add(&in, "text", BATON__T_TEXT, "hi");
    baton__values_add(&in, "history", 0, bad[i]);
    env = (baton__exec_env){.cfg = &cfg};
    cr_assert_neq(baton__executor_llm.run(state, "conversational", &in, &env, &out), 0);
    cr_assert(env.bad_input && strstr(env.err, "history"), "%s: %s", bad[i], env.err);
    baton__values_release(&in);
  }
  cr_assert_eq(fake_http_request_count(srv), 1, "nothing sent for a bad history");
  baton__executor_llm.release(state);
  fake_http_stop(srv);
  baton__config_release(&cfg);
}

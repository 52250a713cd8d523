/* test_source_lang.c — a translation whose request names no source language is sent the one local/textcat identifies, through a fake model server on loopback. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baton.h"
#include "core/util.h"
#include "support/baton_env.h"
#include "support/fake_llm.h"
#include "support/fake_models.h"
#include "support/support.h"

static bt_env e;
static fake_models *fm;

/* A context whose only translator is the fake server's model "tr-model" (apertium has no pair
 * here), planning offline. */
static void setup(void) {
#if !defined(BATON_HAVE_TEXTCAT)
  cr_skip_test("built without libexttextcat: no local language identification");
#endif
  bt_env_up(&e, false);
  fm = fm_start(FM_LLAMACPP);
  cr_assert_not_null(fm);
  char dir[600], modes[700], yaml[1200];
  snprintf(dir, sizeof dir, "%s/apertium", e.home);
  snprintf(modes, sizeof modes, "%s/modes", dir);
  cr_assert(mkdir(dir, 0700) == 0 && mkdir(modes, 0700) == 0);
  setenv("APERTIUM_DATADIR", dir, 1);
  char *config = baton__path_join(e.home, "config.yaml");
  snprintf(yaml, sizeof yaml,
           "prompts_dir: %s/prompts\nendpoints:\n  - name: tr\n    base_url: %s\n"
           "    models:\n      - {id: tr-model, tasks: [translation]}\n",
           BATON_TEST_SOURCE_DIR, fm_base(fm));
  bt_write(config, yaml);
  bt_env_reopen(&e, config);
  free(config);
  fm_set_answer(fm, "El gato es negro.");
}

static void teardown(void) {
  unsetenv("APERTIUM_DATADIR");
  bt_env_down(&e);
  if (fm)
    fm_stop(fm);
  fm = NULL;
}

TestSuite(runtime_source_lang, .init = setup, .fini = teardown, .timeout = 60);

/* Writes text to notes.txt in the test home. */
static void write_notes(const char *text) {
  char *path = baton__path_join(e.home, "notes.txt");
  bt_write(path, text);
  free(path);
}

/* Runs "translate notes.txt into Spanish" offline on notes.txt holding text: the translation
 * task's result (caller deletes). */
static cJSON *translate_notes(const char *text) {
  write_notes(text);
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Spanish",
                       .offline = 1, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  baton_run_free(run);
  cJSON *task = cJSON_DetachItemFromArray(cJSON_GetObjectItem(res, "tasks"), 0);
  cJSON_Delete(res);
  cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(task, "model")), "tr-model");
  return task;
}

/* The system message of the last chat request the server received (caller frees). */
static char *last_system_message(void) {
  fake_http *srv = fm_http(fm);
  size_t n = fake_http_request_count(srv);
  cr_assert_gt(n, 0u, "the translator was not asked");
  fake_http_request *r = fake_http_request_get(srv, n - 1);
  cJSON *body = cJSON_Parse(r->body);
  fake_http_request_free(r);
  const cJSON *msgs = cJSON_GetObjectItem(body, "messages");
  const char *sys = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0),
                                                             "content"));
  char *copy = sys ? baton__strdup(sys) : NULL;
  cJSON_Delete(body);
  cr_assert_not_null(copy, "no system message");
  return copy;
}

static const char *source_note(const cJSON *task) {
  const char *note = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(task,
                                                                                  "outputs"),
                                                              "source"));
  cr_assert_not_null(note, "the result does not say which source language was sent");
  return note;
}

/* One identification case: the text in notes.txt, the language the translator must be sent, a
 * language it must not be sent (or NULL), and two phrases the result's "source" note holds. */
typedef struct {
  const char *text, *sent, *not_sent, *note, *why;
} ident_case;

static void expect_identified(const ident_case *c) {
  cJSON *task = translate_notes(c->text);
  char *sys = last_system_message();
  char want[64];
  snprintf(want, sizeof want, "from the language \"%s\"", c->sent);
  cr_expect(strstr(sys, want), "%s: not sent as %s: %s", c->text, c->sent, sys);
  if (c->not_sent) {
    snprintf(want, sizeof want, "\"%s\"", c->not_sent);
    cr_expect_null(strstr(sys, want), "%s: %s", c->text, sys);
  }
  cr_expect(strstr(source_note(task), c->note) && strstr(source_note(task), c->why), "%s: %s",
            c->text, source_note(task));
  free(sys);
  cJSON_Delete(task);
}

static const ident_case french = {"Le chat est noir et la maison est très grande.\n", "fr", "en",
                                  "French (fr)", "identified the text"};
static const ident_case english = {"The meeting is moved to Thursday at ten.\n", "en", NULL,
                                   "English (en)", "identified the text"};
/* Too short to tell, or textcat unsure (French or Haitian Creole): the default stays, and the
 * result says it was assumed. */
static const ident_case unclear[] = {
    {"Hola amigo\n", "en", NULL, "English (en), assumed", "too short"},
    {"Bonjour tout le monde, merci\n", "en", NULL, "English (en), assumed", "unsure"}};

Test(runtime_source_lang, a_french_text_is_sent_as_french) {
  expect_identified(&french);
}

Test(runtime_source_lang, an_english_text_is_sent_as_english) {
  expect_identified(&english);
}

Test(runtime_source_lang, a_short_or_unclear_text_keeps_the_default_and_says_it_was_assumed) {
  for (size_t i = 0; i < sizeof unclear / sizeof *unclear; i++)
    expect_identified(&unclear[i]);
}

/* A source language the request names is sent as it is, unchecked. */
Test(runtime_source_lang, a_named_source_language_is_not_identified) {
  write_notes(english.text);
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt from German into Spanish",
                       .offline = 1, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cr_expect_null(strstr(baton_run_result_json(run), "\"source\""), "%s",
                 baton_run_result_json(run));
  baton_run_free(run);
  char *sys = last_system_message();
  cr_expect(strstr(sys, "from the language \"de\""), "%s", sys);
  free(sys);
}

/* The offline plan of "translate notes.txt into Spanish" (caller frees): it says its source
 * language was assumed. */
static char *planned_translation(void) {
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Spanish",
                       .offline = 1, .input_root = e.home};
  char *plan = NULL;
  cr_assert_eq(baton_plan(e.ctx, &req, &plan), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert(strstr(plan, "\"assumed\":[\"src_lang\"]"), "%s", plan);
  return plan;
}

/* A plan saved and run as given keeps its assumed source: the text is identified as French. */
Test(runtime_source_lang, a_given_plan_keeps_its_assumed_source_language) {
  write_notes(french.text);
  char *plan = planned_translation();
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  baton_run_free(run);
  free(plan);
  char *sys = last_system_message();
  cr_expect(strstr(sys, "from the language \"fr\""), "not sent as French: %s", sys);
  free(sys);
}

/* A run whose translation failed, resumed: its stored plan keeps the assumed source. */
Test(runtime_source_lang, a_resumed_run_keeps_its_assumed_source_language) {
  write_notes(french.text);
  fm_push_failure(fm, 400, NULL, "{\"error\":{\"message\":\"no\"}}");
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Spanish",
                       .offline = 1, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_neq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  char id[64];
  snprintf(id, sizeof id, "%s", baton_run_id(run));
  baton_run_free(run);
  size_t asked = fake_http_request_count(fm_http(fm));
  run = NULL;
  cr_assert_eq(baton_run_resume(e.ctx, id, NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  baton_run_free(run);
  cr_assert_gt(fake_http_request_count(fm_http(fm)), asked, "the resumed run asked nothing");
  char *sys = last_system_message();
  cr_expect(strstr(sys, "from the language \"fr\""), "not sent as French: %s", sys);
  free(sys);
}

/* "assumed" in a given plan: other names are ignored, a wrong shape is refused. */
Test(runtime_source_lang, a_given_plans_assumed_is_validated) {
  const char *bad[] = {"\"src_lang\"", "[1]",
                       "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char plan[512];
    snprintf(plan, sizeof plan,
             "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":"
             "\"hi\",\"tgt_lang\":\"es\"},\"assumed\":%s}]", bad[i]);
    baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = e.home};
    baton_run *run = NULL;
    cr_expect_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_PLAN, "%s", plan);
    cr_expect(strstr(baton_errmsg(e.ctx), "\"assumed\""), "%s", baton_errmsg(e.ctx));
    baton_run_free(run);
  }
  write_notes(french.text);
  const char *plan = "[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":"
                     "\"notes.txt\",\"src_lang\":\"en\",\"tgt_lang\":\"es\"},"
                     "\"assumed\":[\"later\",\"src_lang\"]}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  baton_run_free(run);
  char *sys = last_system_message();
  cr_expect(strstr(sys, "from the language \"fr\""), "%s", sys);
  free(sys);
}

/* The configured LLM as the only translator (llm/translation): every request answered alike. */
static void answer_all(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req;
  (void)ud;
  char *body = fake_llm_completion("El gato es negro.", 10, 5);
  *resp = (fake_http_response){.status = 200, .content_type = "application/json", .body = body,
                               .body_len = strlen(body), .free_body = true};
}

static void setup_llm(void) {
#if !defined(BATON_HAVE_TEXTCAT)
  cr_skip_test("built without libexttextcat: no local language identification");
#endif
  bt_env_up(&e, true);
  fake_http_set_handler(e.srv, answer_all, NULL);
  char dir[600], modes[700];
  snprintf(dir, sizeof dir, "%s/apertium", e.home);
  snprintf(modes, sizeof modes, "%s/modes", dir);
  cr_assert(mkdir(dir, 0700) == 0 && mkdir(modes, 0700) == 0);
  setenv("APERTIUM_DATADIR", dir, 1);
  bt_env_reopen(&e, NULL);
}

TestSuite(runtime_source_lang_llm, .init = setup_llm, .fini = teardown, .timeout = 60);

/* The system message of the LLM's translation request (caller frees). */
static char *llm_translation_prompt(void) {
  char *found = NULL;
  for (size_t i = 0; !found && i < fake_http_request_count(e.srv); i++) {
    fake_http_request *r = fake_http_request_get(e.srv, i);
    cJSON *body = cJSON_Parse(r->body);
    fake_http_request_free(r);
    const char *sys = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(body, "messages"), 0), "content"));
    found = sys && strstr(sys, "Translate the user's text") ? baton__strdup(sys) : NULL;
    cJSON_Delete(body);
  }
  cr_assert_not_null(found, "the LLM was not asked to translate");
  return found;
}

Test(runtime_source_lang_llm, the_llm_translates_a_french_text_from_french) {
  write_notes(french.text);
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Spanish",
                       .offline = 1, .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cr_expect(strstr(baton_run_result_json(run), "\"model\":\"llm/translation\""), "%s",
            baton_run_result_json(run));
  baton_run_free(run);
  char *sys = llm_translation_prompt();
  cr_expect(strstr(sys, "from the language fr into"), "not sent as French: %s", sys);
  free(sys);
}

/* A Hugging Face translation model as the only translator: the inference API is a fake on
 * loopback answering every request with a Spanish translation. */
static fake_http *hf;

static void answer_translation(const fake_http_request *req, fake_http_response *resp, void *ud) {
  (void)req;
  (void)ud;
  static const char body[] = "[{\"translation_text\":\"El gato es negro.\"}]";
  *resp = (fake_http_response){.status = 200, .content_type = "application/json", .body = body,
                               .body_len = sizeof body - 1};
}

static void setup_hf(void) {
#if !defined(BATON_HAVE_TEXTCAT)
  cr_skip_test("built without libexttextcat: no local language identification");
#endif
  bt_env_up(&e, false);
  hf = fake_http_start();
  cr_assert_not_null(hf);
  fake_http_set_handler(hf, answer_translation, NULL);
  char dir[600], modes[700], base[200];
  snprintf(dir, sizeof dir, "%s/apertium", e.home);
  snprintf(modes, sizeof modes, "%s/modes", dir);
  cr_assert(mkdir(dir, 0700) == 0 && mkdir(modes, 0700) == 0);
  snprintf(base, sizeof base, "%s/hf-inference", fake_http_url(hf));
  setenv("APERTIUM_DATADIR", dir, 1);
  setenv("HF_TOKEN", "x", 1);
  setenv("BATON_HF_BASE_URL", base, 1);
  bt_env_reopen(&e, NULL);
}

static void teardown_hf(void) {
  unsetenv("HF_TOKEN");
  unsetenv("BATON_HF_BASE_URL");
  teardown();
  if (hf)
    fake_http_stop(hf);
  hf = NULL;
}

TestSuite(runtime_source_lang_hf, .init = setup_hf, .fini = teardown_hf, .timeout = 60);

/* The "src_lang" parameter of the last request the inference API received (caller frees). */
static char *hf_src_lang(void) {
  size_t n = fake_http_request_count(hf);
  cr_assert_gt(n, 0u, "the Hugging Face model was not asked");
  fake_http_request *r = fake_http_request_get(hf, n - 1);
  cJSON *body = cJSON_Parse(r->body);
  const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(body,
                                                                                 "parameters"),
                                                             "src_lang"));
  char *copy = baton__strdup(src ? src : "(none)");
  cr_assert(cJSON_IsObject(body), "not JSON: %s", r->body);
  fake_http_request_free(r);
  cJSON_Delete(body);
  return copy;
}

Test(runtime_source_lang_hf, the_hugging_face_model_is_sent_the_identified_src_lang) {
  const ident_case *const cases[] = {&french, &english};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_notes(cases[i]->text);
    baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Spanish",
                         .offline = 1, .input_root = e.home};
    baton_run *run = NULL;
    cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s",
                 baton_errmsg(e.ctx));
    cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
    baton_run_free(run);
    char *src = hf_src_lang();
    cr_expect_str_eq(src, cases[i]->sent, "%s", cases[i]->text);
    free(src);
  }
}

/* The LLM plans (the plan in ud answers its planning request) and translates (every other
 * request). */
static void plan_or_translate(const fake_http_request *req, fake_http_response *resp, void *ud) {
  bool planning = req->body && strstr(req->body, "You plan for baton");
  char *body = fake_llm_completion(planning ? ud : "El gato es negro.", 10, 5);
  *resp = (fake_http_response){.status = 200, .content_type = "application/json", .body = body,
                               .body_len = strlen(body), .free_body = true};
}

/* Runs "translate notes.txt into Spanish" on notes.txt holding text, the LLM planning it as
 * plan: the run's result (caller deletes). */
static cJSON *llm_planned_run(const char *text, const char *plan) {
  char *path = baton__path_join(e.home, "notes.txt");
  bt_write(path, text);
  free(path);
  fake_http_set_handler(e.srv, plan_or_translate, (void *)plan);
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Spanish",
                       .input_root = e.home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(e.ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(e.ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  baton_run_free(run);
  cr_assert_not_null(res);
  return res;
}

#define LLM_PLAN_NO_SRC                                                                       \
  "{\"tasks\":[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":"           \
  "\"notes.txt\",\"tgt_lang\":\"es\"}}]}"

/* The LLM wrote no src_lang: the run identifies the text as French and says so. */
Test(runtime_source_lang_llm, an_llm_plan_without_src_lang_sends_the_identified_language) {
  cJSON *res = llm_planned_run("Le chat est noir et la maison est très grande.\n",
                               LLM_PLAN_NO_SRC);
  char *plan = cJSON_PrintUnformatted(cJSON_GetObjectItem(res, "plan"));
  cr_expect(strstr(plan, "\"assumed\":[\"src_lang\"]"), "the plan does not mark it: %s", plan);
  cJSON_free(plan);
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_expect(strstr(source_note(task), "French (fr)"), "%s", source_note(task));
  cJSON_Delete(res);
  char *sys = llm_translation_prompt();
  cr_expect(strstr(sys, "from the language fr into"), "not sent as French: %s", sys);
  free(sys);
}

/* Too short to tell: no source language is sent (none is made up), and the result says so. */
Test(runtime_source_lang_llm, an_llm_plan_without_src_lang_on_a_short_text_sends_none) {
  cJSON *res = llm_planned_run("Hola amigo\n", LLM_PLAN_NO_SRC);
  const cJSON *task = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "tasks"), 0);
  cr_expect(strstr(source_note(task), "not sent") && strstr(source_note(task), "too short"),
            "%s", source_note(task));
  cJSON_Delete(res);
  char *sys = llm_translation_prompt();
  cr_expect_null(strstr(sys, "from the language"), "%s", sys);
  free(sys);
}

/* The LLM wrote a src_lang: it is sent as written, unchecked. */
Test(runtime_source_lang_llm, an_llm_plans_own_src_lang_is_kept) {
  cJSON *res = llm_planned_run(
      "Le chat est noir et la maison est très grande.\n",
      "{\"tasks\":[{\"task\":\"translation\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":"
      "\"notes.txt\",\"src_lang\":\"de\",\"tgt_lang\":\"es\"}}]}");
  char *json = cJSON_PrintUnformatted(res);
  cr_expect_null(strstr(json, "\"assumed\""), "%s", json);
  cr_expect_null(strstr(json, "\"source\""), "%s", json);
  cJSON_free(json);
  cJSON_Delete(res);
  char *sys = llm_translation_prompt();
  cr_expect(strstr(sys, "from the language de into"), "%s", sys);
  free(sys);
}

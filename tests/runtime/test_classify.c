/* test_classify.c — text classification offline through the public API: a sentiment request runs on local/sentiment and a language request on local/textcat, each told the request's words; a step its first model refuses falls back to the other. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "support/support.h"

static char *home;
static baton *ctx;

static void setup(void) {
  home = bt_offline_home(); /* no HF_TOKEN or LLM from the caller's environment */
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
}

static void teardown(void) {
  baton_close(ctx);
  unsetenv("BATON_HOME");
  bt_rmtree(home);
  free(home);
}

TestSuite(runtime_classify, .init = setup, .fini = teardown);

static const char *jstr(const cJSON *o, const char *name) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* The models the offline plan of request chose, one per task, joined by ' '. */
static void planned_models(const char *request, char *out, size_t cap) {
  baton_request req = {BATON_REQUEST_INIT, .text = request, .offline = 1};
  char *plan = NULL;
  cr_assert_eq(baton_plan(ctx, &req, &plan), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *j = cJSON_Parse(plan);
  const cJSON *t;
  out[0] = '\0';
  cJSON_ArrayForEach(t, j) {
    const char *m = jstr(t, "model");
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s%s", len ? " " : "", m ? m : "-");
  }
  cJSON_Delete(j);
  baton_free(plan);
}

/* Runs request offline to its end; the result's tasks (caller deletes the result). */
static cJSON *run(const char *request, cJSON **tasks) {
  baton_request req = {BATON_REQUEST_INIT, .text = request, .offline = 1};
  baton_run *r = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &r), BATON_OK, "%s", baton_errmsg(ctx));
  baton_rc rc = baton_run_wait(r);
  cJSON *res = cJSON_Parse(baton_run_result_json(r));
  cr_assert_eq(rc, BATON_OK, "%s", baton_run_result_json(r));
  baton_run_free(r);
  cr_assert_str_eq(jstr(res, "status"), "done");
  *tasks = cJSON_GetObjectItemCaseSensitive(res, "tasks");
  return res;
}

static const char *task_text(const cJSON *task) {
  return jstr(cJSON_GetObjectItemCaseSensitive(task, "outputs"), "text");
}

/* The score of label in a task's labels. */
static double label_score(const cJSON *task, const char *label) {
  const cJSON *it, *labels = cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetObjectItemCaseSensitive(task, "outputs"), "json");
  cJSON_ArrayForEach(it, labels) {
    if (!strcmp(jstr(it, "label"), label))
      return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "score"));
  }
  cr_assert_fail("no %s label", label);
  return 0;
}

Test(runtime_classify, a_sentiment_request_runs_on_the_sentiment_executor) {
  cJSON *tasks = NULL;
  cJSON *res = run("Which is more positive, 'I love it' or 'it is fine'?", &tasks);
  cr_assert_eq(cJSON_GetArraySize(tasks), 2);
  const cJSON *a = cJSON_GetArrayItem(tasks, 0), *b = cJSON_GetArrayItem(tasks, 1);
  for (int i = 0; i < 2; i++) {
    const cJSON *t = cJSON_GetArrayItem(tasks, i);
    cr_assert_str_eq(jstr(t, "model"), "local/sentiment");
    cr_assert(!strncmp(task_text(t), "POSITIVE (", 10), "%s", task_text(t));
  }
  cr_assert_gt(label_score(a, "POSITIVE"), label_score(b, "POSITIVE"),
               "'I love it' is the more positive");
  cJSON_Delete(res);
}

Test(runtime_classify, a_language_request_runs_on_textcat) {
  cJSON *tasks = NULL;
  cJSON *res = run("What language is this: 'Guten Morgen, wie geht es dir?'", &tasks);
  cr_assert_eq(cJSON_GetArraySize(tasks), 1);
  const cJSON *t = cJSON_GetArrayItem(tasks, 0);
  cr_assert_str_eq(jstr(t, "model"), "local/textcat");
  cr_assert_str_eq(task_text(t), "German (de)");
  cJSON_Delete(res);
}

/* The words of the text to classify can tip the choice ("feel", "happy"); the model chosen
 * then refuses the step's instruction and its fallback answers. */
Test(runtime_classify, a_step_its_first_model_refuses_falls_back_to_the_other) {
  char models[256];
  planned_models("What language is 'I feel very happy today'?", models, sizeof models);
  cr_assert_str_eq(models, "local/sentiment", "the case no longer tests a fallback");
  cJSON *tasks = NULL;
  cJSON *res = run("What language is 'I feel very happy today'?", &tasks);
  const cJSON *t = cJSON_GetArrayItem(tasks, 0);
  cr_assert_str_eq(jstr(t, "model"), "local/textcat");
  cr_assert(strstr(task_text(t), "("), "a language: %s", task_text(t));
  cJSON_Delete(res);

  planned_models("Is 'The English language is beautiful' positive?", models, sizeof models);
  cr_assert_str_eq(models, "local/textcat", "the case no longer tests a fallback");
  res = run("Is 'The English language is beautiful' positive?", &tasks);
  t = cJSON_GetArrayItem(tasks, 0);
  cr_assert_str_eq(jstr(t, "model"), "local/sentiment");
  cr_assert(!strncmp(task_text(t), "POSITIVE (", 10), "%s", task_text(t));
  cJSON_Delete(res);
}

/* test_task_edges.c — what a new user meets running single tasks: arguments a task does not take, translation defaults and refusals. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

static char *home;
static baton *ctx;

static void setup(void) {
  home = bt_tmpdir();
  setenv("BATON_HOME", home, 1);
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
}

static void teardown(void) {
  baton_close(ctx);
  unsetenv("BATON_HOME");
  bt_rmtree(home);
  free(home);
}

TestSuite(runtime_task_edges, .init = setup, .fini = teardown);

/* Skips unless apertium has the mode (fails in CI: setup installs it). */
static void need_mode(const char *mode) {
  char path[256];
  snprintf(path, sizeof path, "/usr/share/apertium/modes/%s.mode", mode);
  const char *ci = getenv("CI");
  if (access(path, R_OK) != 0 && ci && !strcmp(ci, "true"))
    cr_assert_fail("apertium's %s is not installed (scripts/setup.sh installs it)", mode);
  if (access(path, R_OK) != 0)
    cr_skip_test("apertium's %s is not installed", mode);
}

Test(runtime_task_edges, an_argument_a_task_does_not_take_is_refused_naming_all_it_takes) {
  char *json = NULL;
  baton_rc rc = baton_task(ctx, "image-to-image",
                           "{\"image\":\"examples/sign.png\",\"text\":\"convert to grayscale\"}",
                           NULL, BATON_TEST_SOURCE_DIR, &json);
  cr_assert_neq(rc, BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "does not take an argument 'text' (it takes image, "
                                      "instruction)"),
            "unclear error: %s", baton_errmsg(ctx));
  baton_free(json);
  rc = baton_task(ctx, "translation", "{\"image\":\"examples/sign.png\"}", NULL,
                  BATON_TEST_SOURCE_DIR, &json);
  cr_assert_neq(rc, BATON_OK);
  cr_assert(strstr(baton_errmsg(ctx), "(it takes text, src_lang, tgt_lang, mode)"),
            "unclear error: %s", baton_errmsg(ctx));
  baton_free(json);
}

/* "summarize a.txt and b.txt together": a task taking one text given "text2" works on both joined;
 * one comparing texts keeps them apart. */
Test(runtime_task_edges, further_texts_are_joined_onto_the_text_of_a_task_taking_one) {
  char *json = NULL;
  baton_rc rc = baton_task(ctx, "summarization",
                           "{\"text\":\"The river flooded the old town in spring. Residents moved "
                           "to higher ground.\",\"text2\":\"Farmers upstream lost their crops to "
                           "the same flood. Many asked the state for help.\"}",
                           "local/ots", NULL, &json);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(json);
  const char *text = cJSON_GetStringValue(
      cJSON_GetObjectItem(cJSON_GetObjectItem(t, "outputs"), "text"));
  cr_expect(text && strstr(text, "river") && strstr(text, "Farmers"), "one text: %s", json);
  cJSON_Delete(t);
  baton_free(json);
  rc = baton_task(ctx, "sentence-similarity", "{\"text\":\"a cat\",\"text2\":\"a dog\"}",
                  "local/similarity", NULL, &json);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(ctx));
  cr_expect(!strstr(json, "a cat\\n\\na dog"), "compared texts joined: %s", json);
  baton_free(json);
}

Test(runtime_task_edges, translation_without_a_target_takes_the_only_direction_and_says_so) {
  need_mode("fr-es");
  char *json = NULL;
  baton_rc rc = baton_task(ctx, "translation",
                           "{\"text\":\"Le chat est noir et la maison est très grande.\"}",
                           "local/apertium", NULL, &json);
  cr_assert_eq(rc, BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *t = cJSON_Parse(json);
  const cJSON *outs = cJSON_GetObjectItem(t, "outputs");
  const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(outs, "text"));
  const char *route = cJSON_GetStringValue(cJSON_GetObjectItem(outs, "route"));
  cr_assert(text && strstr(text, "gato"), "not Spanish: %s", json);
  cr_assert(route && strstr(route, "no target language was given, and Spanish is the only one "
                                   "French translates into here"),
            "the result does not say why Spanish: %s", json);
  cJSON_Delete(t);
  baton_free(json);
}

Test(runtime_task_edges, an_impossible_pair_is_refused_before_anything_runs) {
  char *json = NULL;
  baton_rc rc = baton_task(ctx, "translation",
                           "{\"text\":\"good morning\",\"src_lang\":\"en\",\"tgt_lang\":\"ja\"}",
                           "local/apertium", NULL, &json);
  cr_assert_eq(rc, BATON_INVALID, "%s", baton_errmsg(ctx));
  cr_assert(strstr(baton_errmsg(ctx), "cannot translate en -> ja") &&
                strstr(baton_errmsg(ctx), "installed pairs: ") &&
                strstr(baton_errmsg(ctx), "en-es"),
            "unclear refusal: %s", baton_errmsg(ctx));
  baton_free(json);
  /* Refused before running: no run was stored. */
  char *runs = NULL;
  cr_assert_eq(baton_runs_list(ctx, 10, &runs), BATON_OK);
  cr_assert_str_eq(runs, "[]");
  baton_free(runs);
}

Test(runtime_task_edges, a_language_it_does_not_know_is_refused_naming_what_can_be_translated) {
  need_mode("eng-spa");
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Klingon",
                       .offline = 1};
  char *json = NULL;
  cr_assert_neq(baton_plan(ctx, &req, &json), BATON_OK);
  const char *msg = baton_errmsg(ctx);
  cr_expect(strstr(msg, "no language called 'Klingon'") &&
                strstr(msg, "here it can translate with apertium ") && strstr(msg, "en-es"),
            "unclear refusal: %s", msg);
  /* the languages the planner has words for are no list of what can be translated */
  cr_expect_null(strstr(msg, "hindi"), "%s", msg);
  baton_free(json);
}

/* With nothing here that can translate (apertium without a pair, no LLM), an unknown language
 * names the languages baton knows and what to install or configure. */
Test(runtime_task_edges, a_language_it_does_not_know_with_no_translator_says_what_to_add) {
  char empty[512], modes[600];
  snprintf(empty, sizeof empty, "%s/apertium", home);
  snprintf(modes, sizeof modes, "%s/modes", empty);
  cr_assert(mkdir(empty, 0700) == 0 && mkdir(modes, 0700) == 0);
  setenv("APERTIUM_DATADIR", empty, 1);
  baton_close(ctx);
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  baton_request req = {BATON_REQUEST_INIT, .text = "translate notes.txt into Klingon",
                       .offline = 1};
  char *json = NULL;
  cr_assert_neq(baton_plan(ctx, &req, &json), BATON_OK);
  unsetenv("APERTIUM_DATADIR");
  const char *msg = baton_errmsg(ctx);
  cr_expect(strstr(msg, "no language called 'Klingon'; it knows ") && strstr(msg, "spanish"),
            "the languages baton knows are not named: %s", msg);
  cr_expect(strstr(msg, "install apertium-en-es or another apertium pair") &&
                strstr(msg, "add one: "),
            "no way forward: %s", msg);
  cr_expect_null(strstr(msg, "translate with nothing"), "%s", msg);
  baton_free(json);
}

/* Issue 14's rule keeps a step the request clearly names that nothing here can run, and says what
 * is missing; a run then stops before anything runs (as for a missing task kind). */
Test(runtime_task_edges, a_clearly_asked_pair_apertium_lacks_is_refused_before_reading_sign) {
  need_mode("eng-spa");
  if (access("/usr/share/apertium/modes/eng-deu.mode", R_OK) == 0)
    cr_skip_test("apertium has en-de here");
  baton_request req = {BATON_REQUEST_INIT,
                       .text = "read the text in examples/sign.png and translate it into German",
                       .offline = 1, .input_root = BATON_TEST_SOURCE_DIR};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_INVALID, "%s",
               baton_errmsg(ctx));
  cr_expect(strstr(baton_errmsg(ctx), "task 1: apertium cannot translate en -> de"),
            "the missing pair is not named: %s", baton_errmsg(ctx));
  char *runs = NULL;
  cr_assert_eq(baton_runs_list(ctx, 10, &runs), BATON_OK);
  cr_expect_str_eq(runs, "[]");
  baton_free(runs);
}

/* test_textcat.c — the libexttextcat language identification executor: French, German, English, errors, questions that are not about language refused. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

#if defined(BATON_HAVE_TEXTCAT)

static const baton__executor *tc(void) { return &baton__executor_textcat; }

typedef struct result {
  int rc;
  bool bad_input; /* the failure was the input's fault */
  char *text;
  cJSON *json;
  char err[512];
} result;

/* Runs the executor on text with an instruction (the request's words), or none. */
static result classify_as_asked(void *state, baton__config *cfg, const char *text,
                                const char *instruction) {
  result r = {0};
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  if (instruction)
    cr_assert_eq(baton__values_add(&in, "instruction", 0, instruction), 0);
  baton__exec_env env = {.cfg = cfg};
  r.rc = tc()->run(state, "text-classification", &in, &env, &out);
  if (r.rc == 0) {
    const baton__value *t = baton__values_get(&out, "text");
    const baton__value *j = baton__values_get(&out, "json");
    cr_assert_not_null(t);
    cr_assert_eq(t->type, BATON__T_TEXT);
    cr_assert_not_null(j);
    cr_assert_eq(j->type, BATON__T_JSON);
    r.text = baton__strdup(t->data);
    r.json = cJSON_Parse(j->data);
    cr_assert_not_null(r.json, "json output does not parse: %s", j->data);
  } else {
    cr_assert_neq(env.err[0], '\0', "failure without a message");
  }
  r.bad_input = env.bad_input;
  baton__fmt(r.err, sizeof r.err, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return r;
}

static result classify(void *state, baton__config *cfg, const char *text) {
  return classify_as_asked(state, cfg, text, NULL);
}

static void result_release(result *r) {
  free(r->text);
  cJSON_Delete(r->json);
}

static void *g_state;
static baton__config g_cfg;

static void setup(void) {
  memset(&g_cfg, 0, sizeof g_cfg);
  g_cfg.max_text_bytes = 64u * 1024u;
  char err[512] = "";
  cr_assert_eq(tc()->init(&g_cfg, &g_state, err, sizeof err), 0, "init failed: %s", err);
}

static void teardown(void) { tc()->release(g_state); }

/* Checks the top label and the candidates' shape. */
static void expect_language(const char *text, const char *code, const char *name) {
  result r = classify(g_state, &g_cfg, text);
  cr_assert_eq(r.rc, 0, "classification failed: %s", r.err);
  char want[64];
  baton__fmt(want, sizeof want, "%s (%s)", name, code);
  cr_assert_str_eq(r.text, want, "'%s' was taken for %s", text, r.text);
  cr_assert(cJSON_IsArray(r.json) && cJSON_GetArraySize(r.json) >= 1);
  cJSON *top = cJSON_GetArrayItem(r.json, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(top, "label")->valuestring, code);
  cr_assert_str_eq(cJSON_GetObjectItem(top, "language")->valuestring, name);
  double s0 = cJSON_GetObjectItem(top, "score")->valuedouble;
  cr_assert_float_eq(s0, 1.0, 1e-9);
  for (int i = 1; i < cJSON_GetArraySize(r.json); i++) {
    double s = cJSON_GetObjectItem(cJSON_GetArrayItem(r.json, i), "score")->valuedouble;
    cr_assert(s > 0 && s <= s0, "candidate %d scores %g", i, s);
  }
  result_release(&r);
}

Test(executors_textcat, is_available_here) {
  char why[512] = "unset";
  cr_assert(tc()->available(NULL, why, sizeof why), "unavailable: %s", why);
  cr_assert_str_eq(why, "");
  cr_assert_str_eq(tc()->tasks[0], "text-classification");
}

Test(executors_textcat, identifies_french, .init = setup, .fini = teardown) {
  expect_language("Le chat dort sur le canapé pendant que les enfants jouent dans le jardin.",
                  "fr", "French");
}

Test(executors_textcat, identifies_german, .init = setup, .fini = teardown) {
  expect_language("Der Hund schläft im Garten, während die Kinder in der Schule sind.", "de",
                  "German");
}

Test(executors_textcat, identifies_english, .init = setup, .fini = teardown) {
  expect_language("The library opens at nine every morning and closes late on Fridays.", "en",
                  "English");
}

/* "Guten Morgen" is a hair closer to Low German's fingerprint than to German's: a language named
 * here goes first among near ties, scored 1 like the one it passed; no score is above the first. */
Test(executors_textcat, a_named_language_wins_a_near_tie, .init = setup, .fini = teardown) {
  result r = classify(g_state, &g_cfg, "Guten Morgen");
  cr_assert_eq(r.rc, 0, "classification failed: %s", r.err);
  cr_assert_str_eq(r.text, "German (de)");
  cJSON *top = cJSON_GetArrayItem(r.json, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(top, "label")->valuestring, "de");
  cr_assert_float_eq(cJSON_GetObjectItem(top, "score")->valuedouble, 1.0, 1e-9);
  for (int i = 1; i < cJSON_GetArraySize(r.json); i++) {
    double s = cJSON_GetObjectItem(cJSON_GetArrayItem(r.json, i), "score")->valuedouble;
    cr_assert(s > 0 && s <= 1.0, "candidate %d scores %g", i, s);
  }
  result_release(&r);
}

/* "bonjour tout le monde" is 6% closer to Haitian Creole's fingerprint than to French's, so far
 * that textcat does not list French: a language baton works with that close behind goes first,
 * and the one it passed keeps its name. */
Test(executors_textcat, a_known_language_close_behind_goes_first, .init = setup,
     .fini = teardown) {
  result r = classify(g_state, &g_cfg, "bonjour tout le monde");
  cr_assert_eq(r.rc, 0, "classification failed: %s", r.err);
  cr_assert_str_eq(r.text, "French (fr)");
  cJSON *second = cJSON_GetArrayItem(r.json, 1);
  cr_assert_not_null(second);
  cr_expect_str_eq(cJSON_GetObjectItem(second, "label")->valuestring, "ht");
  cr_expect(cJSON_IsString(cJSON_GetObjectItem(second, "language")), "ht has no name");
  result_release(&r);
}

/* A language far behind does not go first: "Dzień dobry, jak się masz?" stays Polish. */
Test(executors_textcat, a_clear_first_language_stays_first, .init = setup, .fini = teardown) {
  result r = classify(g_state, &g_cfg, "Dzień dobry, jak się masz?");
  cr_assert_eq(r.rc, 0, "classification failed: %s", r.err);
  cr_assert_str_eq(r.text, "Polish (pl)");
  result_release(&r);
}

Test(executors_textcat, identifies_spanish_in_a_long_text, .init = setup, .fini = teardown) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 0; i < 300; i++)
    baton__sb_adds(&sb, "La biblioteca abre todos los días a las nueve de la mañana. ");
  expect_language(sb.buf, "es", "Spanish");
  baton__sb_release(&sb);
}

Test(executors_textcat, too_short_or_empty_text_is_a_clear_error, .init = setup,
     .fini = teardown) {
  result r = classify(g_state, &g_cfg, "ok");
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "too short"), "unclear error: %s", r.err);
  cr_assert(r.bad_input, "a text too short is the input's fault, not the model's");
  r = classify(g_state, &g_cfg, "   \n ");
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "no text"), "unclear error: %s", r.err);
  cr_assert(r.bad_input, "no text is the input's fault, not the model's");
}

Test(executors_textcat, text_over_the_limit_is_refused, .init = setup, .fini = teardown) {
  g_cfg.max_text_bytes = 10;
  result r = classify(g_state, &g_cfg, "This sentence is longer than ten bytes.");
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "limit") && strstr(r.err, "10"), "unclear error: %s", r.err);
}

/* Asked for a sentiment, a topic or spam, it says what would answer instead of giving a
 * language; asked for a language, or nothing in particular, it gives one. */
Test(executors_textcat, refuses_a_question_that_is_not_about_language, .init = setup,
     .fini = teardown) {
  const char *text = "The library opens at nine every morning and closes late on Fridays.";
  static const struct {
    const char *asked, *says; /* NULL: answered */
  } cases[] = {
      {"Which is more positive, 'I love it' or 'it is fine'?", "not its sentiment"},
      {"what is the sentiment of notes.txt", "local/sentiment"},
      {"does it sound angry", "local/sentiment"},
      {"How does the author of notes.txt feel?", "local/sentiment"},
      {"Is it spam?", "not whether it is spam"},
      {"what topic is notes.txt about?", "not its topic"},
      {"what language is notes.txt in?", NULL},
      {"What language is 'I am so happy'?", NULL},
      {"Is it in English?", NULL},
      {"classify notes.txt", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    result r = classify_as_asked(g_state, &g_cfg, text, cases[i].asked);
    if (!cases[i].says) {
      cr_assert_eq(r.rc, 0, "'%s' was refused: %s", cases[i].asked, r.err);
      cr_assert_str_eq(r.text, "English (en)");
    } else {
      cr_assert_neq(r.rc, 0, "'%s' was answered with %s", cases[i].asked, r.text);
      cr_assert(strstr(r.err, "local/textcat identifies the language of a text") &&
                    strstr(r.err, cases[i].says),
                "'%s': %s", cases[i].asked, r.err);
    }
    result_release(&r);
  }
}

#else
Test(executors_textcat, not_built) { cr_skip_test("built without libexttextcat"); }
#endif

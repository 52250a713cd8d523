/* test_passage.c — the model-free question-answering executor: the answering sentence, what the question word asks for, its reply, errors. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "executors/executor.h"
#include "support/support.h"

static const char *const sign =
    "Riverside Public Library is open from Monday to Friday, nine in the morning until eight in "
    "the evening. On Saturdays the library closes early at five, and it stays closed on Sundays "
    "and public holidays. Borrowed books can be returned at any time through the slot beside the "
    "main entrance. Please keep food and drinks out of the reading rooms.";

typedef struct answer {
  int rc;
  bool bad_input; /* the failure was the input's fault */
  char *text;
  cJSON *json;
  char err[512];
} answer;

static answer ask(const char *text, const char *question, size_t max_text) {
  answer a = {0};
  baton__values in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  if (text)
    cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  if (question)
    cr_assert_eq(baton__values_add(&in, "question", BATON__T_TEXT, question), 0);
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.max_text_bytes = max_text;
  baton__exec_env env = {.cfg = &cfg};
  a.rc = baton__executor_passage.run(NULL, "question-answering", &in, &env, &out);
  if (a.rc == 0) {
    const baton__value *t = baton__values_get(&out, "text"), *j = baton__values_get(&out, "json");
    cr_assert(t && t->type == BATON__T_TEXT && j && j->type == BATON__T_JSON);
    a.text = baton__strdup(t->data);
    cr_assert_not_null(a.json = cJSON_Parse(j->data), "the reply does not parse: %s", j->data);
  } else {
    cr_assert_neq(env.err[0], '\0', "a failure without a message");
  }
  a.bad_input = env.bad_input;
  baton__fmt(a.err, sizeof a.err, "%s", env.err);
  baton__values_release(&in);
  baton__values_release(&out);
  return a;
}

static void answer_release(answer *a) {
  free(a->text);
  cJSON_Delete(a->json);
}

/* Asks question of text and checks that the answer is want. */
static void expect_answer(const char *text, const char *question, const char *want) {
  answer a = ask(text, question, 0);
  cr_assert_eq(a.rc, 0, "%s: %s", question, a.err);
  cr_assert_str_eq(a.text, want, "%s", question);
  answer_release(&a);
}

Test(executors_passage, answers_with_the_sentence_that_holds_the_question_words) {
  static const struct {
    const char *question, *starts;
  } cases[] = {
      {"When does it close on Saturdays?", "On Saturdays the library closes early"},
      {"When does the library open on Saturday?", "On Saturdays the library closes early"},
      {"Where can I return borrowed books?", "Borrowed books can be returned"},
      {"Can I bring food into the reading rooms?", "Please keep food and drinks"},
      {"Is it open on Sundays?", "On Saturdays the library closes early"}, /* a name weighs more */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    answer a = ask(sign, cases[i].question, 0);
    cr_assert_eq(a.rc, 0, "%s: %s", cases[i].question, a.err);
    cr_assert(strncmp(a.text, cases[i].starts, strlen(cases[i].starts)) == 0, "%s: %s",
              cases[i].question, a.text);
    /* the reply says where the answer is, as Hugging Face's does */
    const cJSON *start = cJSON_GetObjectItem(a.json, "start");
    const cJSON *end = cJSON_GetObjectItem(a.json, "end");
    cr_assert(cJSON_IsNumber(start) && cJSON_IsNumber(end));
    cr_assert(strncmp(sign + start->valueint, a.text, (size_t)(end->valueint - start->valueint)) ==
              0, "start/end do not point at the answer");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(a.json, "answer")), a.text);
    double score = cJSON_GetNumberValue(cJSON_GetObjectItem(a.json, "score"));
    cr_assert(score > 0 && score <= 1, "score %g", score);
    answer_release(&a);
  }
}

Test(executors_passage, a_question_word_prefers_the_sentence_with_what_it_asks_for) {
  /* the first three sentences hold the same question words: the kind of answer decides */
  const char *text = "The reading room is open to members.\n"
                     "The reading room is open on Sunday afternoons.\n"
                     "The reading room is on the second floor.\n"
                     "Two volunteers will staff the front desk.";
  expect_answer(text, "When is the reading room open?",
                "The reading room is open on Sunday afternoons.");
  expect_answer(text, "Where is the reading room?", "The reading room is on the second floor.");
  expect_answer(text, "How many volunteers will staff the desk?",
                "Two volunteers will staff the front desk.");
}

Test(executors_passage, a_question_about_what_the_text_says_gets_its_opening) {
  static const char *const questions[] = {"What does it say?", "What is it about?",
                                          "What does the speaker say?",
                                          "What did they talk about?"};
  char text[1024]; /* over 400 bytes: the sign, then a second notice */
  baton__fmt(text, sizeof text, "%s The committee agreed to open the reading room on Sunday "
             "afternoons from next month. The roof above the children's corner still leaks.",
             sign);
  for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++) {
    answer a = ask(text, questions[i], 0); /* whole sentences, up to about 400 bytes */
    cr_assert_eq(a.rc, 0, "%s: %s", questions[i], a.err);
    cr_assert(strncmp(a.text, text, strlen(a.text)) == 0, "%s: %s", questions[i], a.text);
    cr_assert(strlen(a.text) >= 150 && strlen(a.text) <= 400 && a.text[strlen(a.text) - 1] == '.',
              "%s: %s", questions[i], a.text);
    double score = cJSON_GetNumberValue(cJSON_GetObjectItem(a.json, "score"));
    cr_assert(score > 0 && score < 1, "score %g: the share of the text answered", score);
    answer_release(&a);
  }
  answer a = ask("We agreed to ship on Friday.", "What does the speaker say?", 0);
  cr_assert_eq(a.rc, 0, "%s", a.err);
  cr_assert_str_eq(a.text, "We agreed to ship on Friday.");
  answer_release(&a);
  a = ask(sign, "What does it say about Sundays?", 0); /* a word of its own: that sentence */
  cr_assert_eq(a.rc, 0, "%s", a.err);
  cr_assert(strncmp(a.text, "On Saturdays the library closes early", 37) == 0, "%s", a.text);
  answer_release(&a);
}

Test(executors_passage, a_question_counting_the_texts_words_or_lines_gets_the_count) {
  /* two paragraphs: three non-blank lines, four sentences, 16 words */
  const char *text = "The caf\xc3\xa9 opens at nine.\nIt closes at five.\n\n"
                     "Dogs are welcome. Cats are not, sadly.\n";
  static const struct {
    const char *question, *answer;
  } cases[] = {
      {"How many words are in it?", "16 words"},
      {"how many sentences does the text have?", "4 sentences"},
      {"How many lines are there?", "3 lines"},
      {"How many paragraphs does it have?", "2 paragraphs"},
      {"How many characters is it?", "83 characters"}, /* "é" is one */
      {"How many letters are in it?", "61 letters"},
      {"Count the words in notes.txt", "16 words"},
      {"What is the word count of it?", "16 words"},
      {"Give me the number of sentences", "4 sentences"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    answer a = ask(text, cases[i].question, 0);
    cr_assert_eq(a.rc, 0, "%s: %s", cases[i].question, a.err);
    cr_assert_str_eq(a.text, cases[i].answer, "%s", cases[i].question);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(a.json, "end")), (double)strlen(text));
    answer_release(&a);
  }
  expect_answer("Hello.", "How many words does it have?", "1 word");
  /* counting something else, or "show many": a sentence that answers, as before */
  expect_answer(text, "How many dogs are welcome?", "Dogs are welcome.");
  expect_answer(text, "Does the page show many words about cats?", "Cats are not, sadly.");
}

Test(executors_passage, a_file_name_in_the_question_is_not_a_question_word) {
  const char *text = "Annual report of the school garden.\n"
                     "In spring the pupils planted tomatoes, beans and sunflowers. The tomatoes "
                     "grew well, but slugs ate most of the beans.";
  expect_answer(text, "what does report.txt say about the beans?",
                "In spring the pupils planted tomatoes, beans and sunflowers.");
  expect_answer(text, "What is in my_report.md about beans?",
                "In spring the pupils planted tomatoes, beans and sunflowers.");
  /* a word with a full stop that names no file is still a word */
  expect_answer(text, "what does the report say about gardens.", "Annual report of the school "
                "garden.");
}

Test(executors_passage, an_attribution_stays_with_its_quote) {
  const char *text = "The only true wisdom is in knowing you know nothing. - Socrates\n"
                     "Education is the most powerful weapon which you can use to change the "
                     "world. \xe2\x80\x94 Nelson Mandela\n"
                     "Be the change that you wish to see in the world.\n- a list item\n";
  expect_answer(text, "who said that education is the most powerful weapon, according to "
                "quotes.txt?", "Education is the most powerful weapon which you can use to "
                "change the world. \xe2\x80\x94 Nelson Mandela");
  expect_answer(text, "Who said true wisdom is knowing you know nothing?",
                "The only true wisdom is in knowing you know nothing. - Socrates");
  /* a dash starting the next line is not an attribution */
  expect_answer(text, "What do you wish to see?",
                "Be the change that you wish to see in the world.");
}

Test(executors_passage, a_question_how_often_a_word_occurs_gets_the_count) {
  const char *text = "Minutes of the library committee.\nThe Committee agreed to mend the roof. "
                     "The roofer comes on Monday; the committee's budget is small.\n"
                     "The reading room opens on Sunday. The reading room is quiet.";
  static const struct {
    const char *question, *answer;
  } cases[] = {
      {"how many times is roof mentioned in notes.txt?", "'roof' appears 1 time"},
      {"how often does the word committee appear in notes.txt?", "'committee' appears 2 times"},
      {"How many times does 'Monday' occur?", "'monday' appears 1 time"},
      {"how many times is the reading room mentioned?", "'reading room' appears 2 times"},
      {"how often is the word garden used?", "'garden' appears 0 times"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    answer a = ask(text, cases[i].question, 0);
    cr_assert_eq(a.rc, 0, "%s: %s", cases[i].question, a.err);
    cr_assert_str_eq(a.text, cases[i].answer, "%s", cases[i].question);
    answer_release(&a);
  }
  /* "how many times" asking something else: a sentence that answers, as before */
  expect_answer(text, "How many times a week does the roofer come?",
                "The roofer comes on Monday; the committee's budget is small.");
}

Test(executors_passage, says_clearly_what_it_cannot_answer) {
  answer a = ask(sign, "Who painted the Mona Lisa?", 0);
  cr_assert_neq(a.rc, 0, "answered %s", a.text ? a.text : "");
  cr_assert(strstr(a.err, "no sentence") && strstr(a.err, "Mona Lisa"), "%s", a.err);
  a = ask(" \n", "Is there a dog in the picture?", 0);
  cr_assert_neq(a.rc, 0);
  cr_assert(strstr(a.err, "empty") && strstr(a.err, "visual question answering model"), "%s",
            a.err); /* and what would answer it */
  cr_assert(a.bad_input, "an empty text is the input's fault, not the model's");
  a = ask(sign, NULL, 0);
  cr_assert_neq(a.rc, 0);
  cr_assert(strstr(a.err, "question"), "%s", a.err);
  a = ask(NULL, "When does it open?", 0);
  cr_assert_neq(a.rc, 0);
  cr_assert(strstr(a.err, "text"), "%s", a.err);
  a = ask(sign, "When does it close on Saturdays?", 64);
  cr_assert_neq(a.rc, 0);
  cr_assert(strstr(a.err, "over the limit"), "%s", a.err);
}

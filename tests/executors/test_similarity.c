/* test_similarity.c — the lexical sentence-similarity executor: scores, order, files, bounds. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "core/config.h"
#include "core/util.h"
#include "executors/executor.h"
#include "support/exec.h"
#include "support/support.h"

#define NOTES                                                                                   \
  "Minutes of the riverside library committee, Tuesday evening.\n"                             \
  "The committee agreed to open the reading room on Sunday afternoons from next month.\n"      \
  "Two volunteers will staff the front desk on those afternoons, and the caretaker will lock " \
  "up at six.\n"
#define MEETING                                                                                 \
  "Minutes of the meeting held on Tuesday, 3 December 2026 at 9:30 am in the Riverside "       \
  "Library.\nThe budget of $12,500 was approved, a rise of 4% on last year.\n"

typedef bt_reply reply;

/* Runs the executor on the named inputs (name, value, ... NULL), texts bounded to max_text
 * bytes (0: the default); every score it gives is a number from 0 to 1. */
static reply run_args(size_t max_text, const char *const *args) {
  reply r = bt_exec_reply(&baton__executor_similarity, "sentence-similarity", max_text, args);
  const cJSON *it;
  cJSON_ArrayForEach(it, r.json) {
    cr_assert(cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 1, "%s", r.text);
  }
  cr_assert(r.rc != 0 || cJSON_GetArraySize(r.json) > 0, "no score: %s", r.text);
  return r;
}

/* Its first score. */
static double first_score(const reply *r) { return cJSON_GetArrayItem(r->json, 0)->valuedouble; }

/* Compares text with text2; either may be NULL, to leave it out. */
static reply compare(const char *text, const char *text2, size_t max_text) {
  const char *args[5] = {NULL};
  size_t n = 0;
  if (text) {
    args[n++] = "text";
    args[n++] = text;
  }
  if (text2) {
    args[n++] = "text2";
    args[n++] = text2;
  }
  return run_args(max_text, args);
}


/* The score of text against text2; the test fails should the executor. */
static double score_of(const char *text, const char *text2) {
  reply r = compare(text, text2, 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  double s = first_score(&r);
  bt_reply_release(&r);
  return s;
}

Test(executors_similarity, identical_texts_score_one_and_name_their_words) {
  reply r = compare(NOTES, NOTES, 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_float_eq(first_score(&r), 1.0, 1e-9, "%s", r.text);
  cr_assert(strstr(r.text, "similarity 1.00 (lexical word overlap, not meaning: shared words "),
            "%s", r.text);
  cr_assert(strstr(r.text, "committee") && strstr(r.text, "afternoons"), "%s", r.text);
  cr_assert_null(strstr(r.text, " the,"), "a stop word named: %s", r.text);
  bt_reply_release(&r);
  /* case and white space are no difference either */
  cr_assert_float_eq(score_of("The Library OPENS on Sunday.", "the library  opens on\nsunday"),
                     1.0, 1e-9);
}

Test(executors_similarity, unrelated_texts_score_about_zero) {
  reply r = compare("The cat sleeps on the warm sofa.",
                    "Quarterly revenue grew by twelve percent.", 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_lt(first_score(&r), 0.05, "%s", r.text);
  cr_assert(strstr(r.text, "no words in common"), "%s", r.text);
  bt_reply_release(&r);
  /* texts sharing only stop words share nothing that counts */
  cr_assert_lt(score_of("The cat is on the sofa and it is warm.",
                        "It is what they said to the bank."), 0.05);
  /* meaning is not measured: synonyms do not count (the catalogue says so) */
  cr_assert_lt(score_of("I loved the movie", "the film was great"), 0.05);
}

Test(executors_similarity, a_paraphrase_sharing_words_scores_in_between) {
  double para = score_of("The museum is closed on Mondays for cleaning.",
                         "On Monday the museum shuts its doors.");
  cr_assert(para > 0.3 && para < 0.9, "%f", para);
  double notes = score_of(NOTES, MEETING);
  cr_assert(notes > 0.1 && notes < 0.6, "%f", notes);
  reply r = compare(NOTES, MEETING, 0);
  cr_assert(strstr(r.text, "riverside") && strstr(r.text, "library") &&
            strstr(r.text, "tuesday"), "%s", r.text);
  bt_reply_release(&r);
  /* the more words two texts share, the higher */
  cr_assert_gt(score_of("The library opens on Sunday", "On Sundays the library is open"), para);
  cr_assert_gt(para, score_of("The museum is closed on Mondays for cleaning.",
                              "On Fridays the gallery shuts its doors."));
}

Test(executors_similarity, a_common_word_counts_less_than_a_rarer_one) {
  /* "year" and "yarn": as long, as many trigrams; "year" is common English */
  double rare = score_of("year yarn kite", "yarn rope"), common = score_of("year yarn kite",
                                                                           "year rope");
  cr_assert_gt(rare, common + 0.05, "sharing yarn %f, sharing year %f", rare, common);
  reply r = compare("year and yarn", "yarn, then year", 0);
  cr_assert(strstr(r.text, "shared words yarn, year)"), "heaviest first: %s", r.text);
  bt_reply_release(&r);
}

Test(executors_similarity, inflections_and_typos_still_count) {
  /* stems: "opens", "open"; "Sundays", "Sunday" */
  cr_assert_gt(score_of("The library opens on Sunday", "On Sundays the library is open"), 0.9);
  /* trigrams: a misspelt word is close to the right one, not to another */
  double typo = score_of("recieve", "receive");
  cr_assert(typo > 0.05 && typo < 0.5, "%f", typo);
  cr_assert_lt(score_of("recieve", "banana"), 0.01);
  cr_assert_gt(score_of("I recieve the package tomorrow", "I will receive the packages tomorrow"),
               score_of("I recieve the package tomorrow", "I will send the letters today"));
}

Test(executors_similarity, the_order_of_the_texts_does_not_change_the_score) {
  static const char *const pairs[][2] = {
      {NOTES, MEETING},
      {"I like dogs", "Dogs are great"},
      {"The museum is closed on Mondays for cleaning.", "On Monday the museum shuts its doors."},
      {"recieve", "receive"},
      {"To be or not to be", "To be, or not to be: that is the question"},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    double ab = score_of(pairs[i][0], pairs[i][1]), ba = score_of(pairs[i][1], pairs[i][0]);
    cr_assert_float_eq(ab, ba, 1e-12, "%s | %s: %f then %f", pairs[i][0], pairs[i][1], ab, ba);
    cr_assert_gt(ab, 0, "%s | %s", pairs[i][0], pairs[i][1]);
  }
}

Test(executors_similarity, texts_of_stop_words_only_are_compared_by_those) {
  reply r = compare("To be or not to be", "To be, or not to be: that is the question", 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert(first_score(&r) > 0.5, "%s", r.text);
  cr_assert(strstr(r.text, "only common words"), "%s", r.text);
  bt_reply_release(&r);
}

/* Runs sentence-similarity through the library, as `baton task` does, on args in folder dir:
 * the score, or the test fails. */
static double score_through_library(const char *dir, const char *args) {
  baton *ctx = NULL;
  char *json = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  baton_rc rc = baton_task(ctx, "sentence-similarity", args, NULL, dir, &json);
  cr_assert_eq(rc, BATON_OK, "%s: %s", baton_errmsg(ctx), json ? json : "");
  cJSON *t = cJSON_Parse(json);
  const cJSON *model = cJSON_GetObjectItem(t, "model");
  cr_assert_str_eq(cJSON_GetStringValue(model), "local/similarity", "%s", json);
  const cJSON *scores = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "outputs"), "json");
  cr_assert(cJSON_IsNumber(cJSON_GetArrayItem(scores, 0)), "%s", json);
  double s = cJSON_GetArrayItem(scores, 0)->valuedouble;
  cJSON_Delete(t);
  baton_free(json);
  baton_close(ctx);
  return s;
}

Test(executors_similarity, a_file_path_scores_as_the_text_it_holds, .timeout = 120) {
  char *home = bt_offline_home(), *dir = bt_tmpdir(), path[4096];
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  bt_write(path, NOTES);
  snprintf(path, sizeof path, "%s/meeting.txt", dir);
  bt_write(path, MEETING);
  double direct = score_of(NOTES, MEETING);
  double files = score_through_library(dir, "{\"text\":\"notes.txt\",\"text2\":\"meeting.txt\"}");
  cr_assert_float_eq(files, direct, 1e-9, "files %f, texts %f", files, direct);
  cJSON *args = cJSON_CreateObject();
  cJSON_AddStringToObject(args, "text", NOTES);
  cJSON_AddStringToObject(args, "text2", "meeting.txt"); /* one of each */
  char *js = cJSON_PrintUnformatted(args);
  cr_assert_float_eq(score_through_library(dir, js), direct, 1e-9);
  free(js);
  cJSON_Delete(args);
  /* a file name that is not there is no text to compare with */
  cr_assert_lt(score_of(NOTES, "meeting.txt"), 0.1);
  unsetenv("BATON_HOME");
  bt_rmtree(dir);
  bt_rmtree(home);
  free(dir);
  free(home);
}

Test(executors_similarity, a_missing_or_empty_text_is_refused_clearly) {
  reply r = compare(NOTES, NULL, 0);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "needs a \"text\" and a \"text2\""), "%s", r.err);
  r = compare(NULL, NOTES, 0);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "needs a \"text\" and a \"text2\""), "%s", r.err);
  r = compare(" \n\t ", NOTES, 0);
  cr_assert_neq(r.rc, 0);
  cr_assert_str_eq(r.err, "the text to compare is empty");
  cr_assert(r.bad_input, "an empty text is the input's fault, not the model's");
  r = compare(NOTES, "", 0);
  cr_assert_neq(r.rc, 0);
  cr_assert_str_eq(r.err, "text2, the text to compare it with, is empty");
  cr_assert(r.bad_input, "an empty text2 is the input's fault, not the model's");
  /* punctuation alone is not empty, but has no word in common with anything */
  r = compare(NOTES, "...!", 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_float_eq(first_score(&r), 0.0, 1e-9);
  bt_reply_release(&r);
}

Test(executors_similarity, texts_are_bounded) {
  char small[101];
  memset(small, 'a', 100);
  small[100] = '\0';
  reply r = compare(small, "aaa", 100);
  cr_assert_eq(r.rc, 0, "exactly the limit is fine: %s", r.err);
  bt_reply_release(&r);
  r = compare(NOTES, "aaa", 100);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "text to compare is ") && strstr(r.err, "over the limit of 100"),
            "%s", r.err);
  r = compare("aaa", NOTES, 100);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "(text2)") && strstr(r.err, "over the limit of 100"), "%s", r.err);
  /* the default limit is 1 MiB: a text just under it is compared, one just over it is not */
  size_t unit = strlen(NOTES), n = (1024 * 1024 / unit) * unit;
  char *big = malloc(1024 * 1024 + 2);
  for (size_t i = 0; i < n; i += unit)
    memcpy(big + i, NOTES, unit);
  big[n] = '\0';
  r = compare(big, NOTES, 0);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_gt(first_score(&r), 0.9, "the same words, repeated: %s", r.text);
  bt_reply_release(&r);
  memset(big + n, 'x', 1024 * 1024 + 1 - n);
  big[1024 * 1024 + 1] = '\0';
  r = compare(NOTES, big, 0);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "over the limit of 1048576"), "%s", r.err);
  free(big);
}

Test(executors_similarity, several_texts_get_one_score_each) {
  const char *args[] = {"text", "The library opens on Sunday", "text2", "The library is open",
                        "text3", "Quarterly revenue grew", NULL};
  reply r = run_args(0, args);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_eq(cJSON_GetArraySize(r.json), 2, "%s", r.text);
  cr_assert_gt(first_score(&r), 0.5);
  cr_assert_lt(cJSON_GetArrayItem(r.json, 1)->valuedouble, 0.05);
  cr_assert(strstr(r.text, "text2: similarity ") && strstr(r.text, "\ntext3: similarity "), "%s",
            r.text);
  bt_reply_release(&r);
  /* "sentences", as the Hugging Face executor takes them: a JSON list, or one a line */
  const char *list[] = {"text", "The library opens on Sunday", "sentences",
                        "[\"The library is open\", \"Quarterly revenue grew\"]", NULL};
  r = run_args(0, list);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_eq(cJSON_GetArraySize(r.json), 2, "%s", r.text);
  cr_assert(strstr(r.text, "sentence 2: similarity "), "%s", r.text);
  bt_reply_release(&r);
  const char *lines[] = {"text", "The library opens on Sunday", "sentences",
                         "The library is open\n\nQuarterly revenue grew\n", NULL};
  r = run_args(0, lines);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_eq(cJSON_GetArraySize(r.json), 2, "%s", r.text);
  bt_reply_release(&r);
}

Test(executors_similarity, odd_bytes_and_curly_quotes_do_not_break_it) {
  cr_assert_float_eq(score_of("The caretaker\xe2\x80\x99s keys \xe2\x80\x94 lost",
                              "the caretaker's keys: lost"), 1.0, 1e-9);
  cr_assert_float_eq(score_of("caf\xc3\xa9 cr\xc3\xa8me", "Caf\xc3\xa9 cr\xc3\xa8me"), 1.0,
                     1e-9);
  double s = score_of("\xff\xfe\x80 broken \xc3", "broken \xe2\x80");
  cr_assert(s > 0.3 && s <= 1.0, "%f", s);
}

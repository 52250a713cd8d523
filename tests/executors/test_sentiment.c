/* test_sentiment.c — the rule-based sentiment executor: clear positives and negatives, negation, "but" and "although", intensifiers, emphasis and emoticons, neutral text, its reply, its bounds, odd bytes, what it refuses, its tables. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "executors/classify_ask.h"
#include "executors/executor.h"
#include "executors/sentiment.h"
#include "support/exec.h"
#include "support/support.h"

typedef bt_reply reply;

/* Runs the executor on text with an instruction (the request's words), or none. */
static reply classify_as_asked(const char *text, const char *instruction, size_t max_text) {
  const char *const args[] = {"text", text, "instruction", instruction, NULL};
  return bt_exec_reply(&baton__executor_sentiment, "text-classification", max_text, args);
}

static reply classify(const char *text) { return classify_as_asked(text, NULL, 0); }

/* The best label of text, after checking it ran. */
static const char *top_label(reply *r) {
  cr_assert_eq(r->rc, 0, "%s", r->err);
  return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r->json, 0), "label"));
}

/* The score the reply gives label. */
static double score_of(const reply *r, const char *label) {
  const cJSON *it;
  cJSON_ArrayForEach(it, r->json) {
    if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "label")), label))
      return cJSON_GetNumberValue(cJSON_GetObjectItem(it, "score"));
  }
  cr_assert_fail("no %s in the reply", label);
  return 0;
}

/* Checks that each text's best label is `label`, with at least min_score. */
static void expect_all(const char *const *texts, const char *label, double min_score) {
  for (size_t i = 0; texts[i]; i++) {
    reply r = classify(texts[i]);
    cr_assert_str_eq(top_label(&r), label, "'%s' was taken for %s", texts[i], r.text);
    cr_assert_geq(score_of(&r, label), min_score, "'%s': %s", texts[i], r.text);
    bt_reply_release(&r);
  }
}

/* The score of label for text. */
static double score(const char *text, const char *label) {
  reply r = classify(text);
  cr_assert_eq(r.rc, 0, "%s", r.err);
  double s = score_of(&r, label);
  bt_reply_release(&r);
  return s;
}

Test(executors_sentiment, clear_positives_are_positive) {
  static const char *const texts[] = {
      "I love this phone, the camera is amazing.",
      "The staff were friendly and helpful, and the room was spotless.",
      "What a wonderful evening. Thank you so much!",
      "Highly recommended: it works perfectly and the battery lasts for days.",
      "We enjoyed every minute of the concert.",
      "Delivery was quick and the quality is excellent.",
      NULL};
  expect_all(texts, "POSITIVE", 0.75);
}

Test(executors_sentiment, clear_negatives_are_negative) {
  static const char *const texts[] = {
      "This is the worst service I have ever had.",
      "The app keeps crashing and support is useless.",
      "My order arrived broken and nobody answered my emails. Terrible.",
      "The waiter was rude and the soup was cold and bland.",
      "I hate waiting in this queue, it is a waste of time.",
      "What a disappointing film, boring from start to finish.",
      NULL};
  expect_all(texts, "NEGATIVE", 0.75);
}

Test(executors_sentiment, negation_turns_a_word_around) {
  static const char *const negative[] = {
      "The film was not good.", "I never liked it.", "It isn't great.",
      "I don't like Mondays.",  "I didn’t enjoy the trip at all.", "Nobody was helpful.",
      NULL};
  expect_all(negative, "NEGATIVE", 0.5);
  static const char *const positive[] = {"Not bad at all.", "No problems so far.",
                                         "It never disappoints.", NULL};
  expect_all(positive, "POSITIVE", 0.4);
  /* "not very good" is milder than "not good"; "not only ... but" negates nothing */
  cr_assert_lt(score("The film was not very good.", "NEGATIVE"),
               score("The film was not good.", "NEGATIVE"));
  cr_assert_gt(score("Not only good but great.", "POSITIVE"), 0.9);
}

Test(executors_sentiment, the_clause_after_but_weighs_more) {
  static const char *const negative[] = {
      "The food was great but the service was terrible.",
      "Although the food was great, the service was slow.",
      "The service was slow, although the food was great.",
      "I wanted to like it. However, it was a mess.",
      NULL};
  expect_all(negative, "NEGATIVE", 0.6);
  static const char *const positive[] = {
      "The food was terrible but the service was great.",
      "The room was small. But the view was stunning!",
      "Despite the rain, we had a lovely day.",
      NULL};
  expect_all(positive, "POSITIVE", 0.6);
}

Test(executors_sentiment, intensifiers_and_downtoners_scale_a_word) {
  double very = score("The hotel was very good.", "POSITIVE");
  double plain = score("The hotel was good.", "POSITIVE");
  double bit = score("The hotel was a bit good.", "POSITIVE");
  cr_assert(very > plain && plain > bit, "very %g, plain %g, a bit %g", very, plain, bit);
  cr_assert_gt(score("The queue was extremely slow.", "NEGATIVE"),
               score("The queue was slightly slow.", "NEGATIVE"));
  cr_assert_gt(score("It was kind of boring.", "NEUTRAL"),
               score("It was really boring.", "NEUTRAL"));
}

Test(executors_sentiment, exclamation_capitals_and_emoticons_count) {
  cr_assert_gt(score("The party was fun!!!", "POSITIVE"), score("The party was fun.", "POSITIVE"));
  cr_assert_gt(score("The party was FUN, we stayed late", "POSITIVE"),
               score("The party was fun, we stayed late", "POSITIVE"));
  /* a text all in capitals has no word that stands out */
  cr_assert_float_eq(score("THE PARTY WAS FUN", "POSITIVE"), score("the party was fun", "POSITIVE"),
                     1e-9);
  static const char *const positive[] = {"See you tomorrow :)", "Thanks \xf0\x9f\x91\x8d",
                                         "<3", NULL};
  expect_all(positive, "POSITIVE", 0.5);
  static const char *const negative[] = {"Missed the train again :(",
                                         "Another Monday \xf0\x9f\x98\xa1", NULL};
  expect_all(negative, "NEGATIVE", 0.5);
  /* no emoticon in an address or a time */
  static const char *const neutral[] = {"Go to http://example.com/a(b)", "Meet at 10:30", NULL};
  expect_all(neutral, "NEUTRAL", 0.4);
}

Test(executors_sentiment, text_with_nothing_for_or_against_is_neutral) {
  static const char *const neutral[] = {
      "The meeting is at 3pm in room 4.",
      "It looks like rain.", /* "like" as a preposition says nothing */
      "The library opens at nine.",
      "a",
      "12345",
      "Minutes of the riverside library committee, Tuesday evening.",
      NULL};
  expect_all(neutral, "NEUTRAL", 0.45);
  /* a mild word leans, without the confidence of a strong one */
  reply r = classify("It is fine.");
  cr_assert_str_eq(top_label(&r), "POSITIVE");
  cr_assert_lt(score_of(&r, "POSITIVE"), 0.6, "%s", r.text);
  bt_reply_release(&r);
}

/* "Which is more positive, 'I love it' or 'it is fine'?" is answered by the two scores. */
Test(executors_sentiment, the_more_positive_of_two_texts_scores_higher) {
  cr_assert_gt(score("I love it", "POSITIVE"), score("it is fine", "POSITIVE") + 0.2);
  cr_assert_gt(score("it is fine", "POSITIVE"), score("it is bad", "POSITIVE"));
  cr_assert_gt(score("It was awful.", "NEGATIVE"), score("It was a bit dull.", "NEGATIVE"));
}

Test(executors_sentiment, replies_labels_and_scores_as_hugging_face_does) {
  reply r = classify("The concert was brilliant.");
  cr_assert_eq(r.rc, 0, "%s", r.err);
  cr_assert_eq(cJSON_GetArraySize(r.json), 3);
  double sum = 0, last = 2;
  bool seen[3] = {false, false, false};
  static const char *const labels[] = {"POSITIVE", "NEGATIVE", "NEUTRAL"};
  const cJSON *it;
  cJSON_ArrayForEach(it, r.json) {
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(it, "label"));
    double s = cJSON_GetNumberValue(cJSON_GetObjectItem(it, "score"));
    cr_assert_not_null(label);
    for (int k = 0; k < 3; k++)
      seen[k] = seen[k] || !strcmp(label, labels[k]);
    cr_assert(s >= 0 && s <= 1 && s <= last, "scores are best first: %s", r.text);
    last = s;
    sum += s;
  }
  cr_assert(seen[0] && seen[1] && seen[2]);
  cr_assert_float_eq(sum, 1.0, 1e-3);
  char want[64];
  baton__fmt(want, sizeof want, "POSITIVE (%.2f)", score_of(&r, "POSITIVE"));
  cr_assert_str_eq(r.text, want);
  bt_reply_release(&r);
}

Test(executors_sentiment, empty_or_missing_text_is_a_clear_error) {
  reply r = classify(" \n\t ");
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "empty"), "%s", r.err);
  r = classify("");
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "empty"), "%s", r.err);
  r = classify(NULL);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "\"text\""), "%s", r.err);
}

Test(executors_sentiment, a_long_text_is_bounded) {
  reply r = classify_as_asked("What a lovely day it was.", NULL, 16);
  cr_assert_neq(r.rc, 0);
  cr_assert(strstr(r.err, "over the limit of 16"), "%s", r.err);
  /* 200 KB: the first 64 KiB are read, and the reply says so */
  baton__sb sb;
  baton__sb_init(&sb);
  while (sb.len < 70 * 1024)
    baton__sb_adds(&sb, "The committee met on Tuesday and read the minutes. ");
  while (sb.len < 200 * 1024)
    baton__sb_adds(&sb, "Awful, horrible, terrible! ");
  r = classify(sb.buf);
  cr_assert_str_eq(top_label(&r), "NEUTRAL", "%s", r.text);
  cr_assert(strstr(r.text, "from the first 65536 of its"), "%s", r.text);
  bt_reply_release(&r);
  baton__sb_release(&sb);
  /* many cues: the balance decides, not the length */
  baton__sb_init(&sb);
  for (int i = 0; i < 200; i++)
    baton__sb_adds(&sb, i % 2 ? "The room was nice. " : "The bed was bad. ");
  baton__sb_adds(&sb, "The view was nice.");
  r = classify(sb.buf);
  cr_assert_lt(score_of(&r, "POSITIVE"), 0.75, "%s", r.text);
  bt_reply_release(&r);
  baton__sb_release(&sb);
}

Test(executors_sentiment, odd_bytes_do_not_break_it) {
  static const char *const texts[] = {
      "\xff\xfe good \xc3 bad \xe2\x80 here \xc3", "\x80\x80\x80", "caf\xc3\xa9 tr\xc3\xa8s bon",
      "isn't", "'", "n't", "don\xe2\x80\x99", ":", ":-", "<", "\xf0\x9f\x98", "!!!", "...",
      "not", "but", "although", "very", "a bit", "kind of", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxgood",
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    reply r = classify(texts[i]);
    cr_assert_eq(r.rc, 0, "'%s': %s", texts[i], r.err);
    bt_reply_release(&r);
  }
  /* the polarity reader takes any bytes, NUL included */
  baton__polarity p;
  baton__polarity_read("good\0bad", 8, &p);
  cr_assert_eq(p.cues, 2);
  baton__polarity_read(NULL, 0, &p);
  cr_assert_eq(p.words, 0);
}

/* A step that asks for something else than sentiment is refused, naming what would answer; one
 * that asks for sentiment (or nothing in particular) is answered. */
Test(executors_sentiment, refuses_what_it_cannot_tell) {
  static const struct {
    const char *asked, *says; /* NULL: answered */
  } cases[] = {
      {"what language is notes.txt in?", "local/textcat"},
      {"Is notes.txt written in French?", "local/textcat"},
      {"What language is 'I am so happy'?", "local/textcat"}, /* quoted: the text, not the ask */
      {"Is it spam?", "whether it is spam"},
      {"what topic is notes.txt about?", "its topic"},
      {"Is the tone of notes.txt formal or informal?", "how formal it is"},
      {"Is the review positive, and is it spam?", "whether it is spam"},
      {"Which is more positive, 'I love it' or 'it is fine'?", NULL},
      {"does it sound angry", NULL},
      {"How does the author of notes.txt feel?", NULL},
      {"Is the English review positive?", NULL},
      {"classify notes.txt", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r = classify_as_asked("I love it", cases[i].asked, 0);
    if (!cases[i].says) {
      cr_assert_eq(r.rc, 0, "'%s' was refused: %s", cases[i].asked, r.err);
    } else {
      cr_assert_neq(r.rc, 0, "'%s' was answered: %s", cases[i].asked, r.text);
      cr_assert(strstr(r.err, "local/sentiment tells whether a text is positive") &&
                    strstr(r.err, cases[i].says),
                "'%s': %s", cases[i].asked, r.err);
    }
    bt_reply_release(&r);
  }
}

Test(executors_sentiment, what_a_classification_asks_for_is_read_from_its_words) {
  const char *other = "unset";
  cr_assert_eq(baton__classify_ask(NULL, &other), 0);
  cr_assert_null(other);
  cr_assert_eq(baton__classify_ask("detect the language of notes.txt", NULL), BATON__ASK_LANGUAGE);
  cr_assert_eq(baton__classify_ask("Is it in English?", NULL), BATON__ASK_LANGUAGE);
  cr_assert_eq(baton__classify_ask("is it in it?", NULL), 0, "a code is no language name");
  cr_assert_eq(baton__classify_ask("what is the sentiment of notes.txt", NULL),
               BATON__ASK_SENTIMENT);
  cr_assert_eq(baton__classify_ask("Classify 'I don't like it, it's bad' please", NULL), 0);
  cr_assert_eq(baton__classify_ask("Is this review positive, and what language is it in?",
                                   NULL),
               BATON__ASK_SENTIMENT | BATON__ASK_LANGUAGE);
  cr_assert_eq(baton__classify_ask("is the email spam or phishing?", &other), BATON__ASK_OTHER);
  cr_assert_str_eq(other, "whether it is spam");
}

/* bsearch needs the tables sorted; a word twice would hide one of its entries. */
Test(executors_sentiment, its_tables_are_sorted_and_in_range) {
  cr_assert_gt(baton__se_n_words, 300, "a few hundred words");
  for (size_t i = 0; i < baton__se_n_words; i++) {
    const baton__se_entry *e = &baton__se_words[i];
    cr_assert(e->value != 0 && e->value >= -4 && e->value <= 4, "%s: %d", e->word, e->value);
    cr_assert(strlen(e->word) <= BATON__SE_MAX_WORD, "%s", e->word);
    cr_assert(i == 0 || strcmp(baton__se_words[i - 1].word, e->word) < 0, "%s after %s", e->word,
              baton__se_words[i - 1].word);
    bool guarded = false;
    cr_assert_eq(baton__se_strength(e->word, strlen(e->word), &guarded), e->value, "%s", e->word);
  }
  for (size_t i = 0; i < baton__se_n_modifiers; i++) {
    const baton__se_entry *e = &baton__se_modifiers[i];
    cr_assert(e->value > 0 && e->value != 100 && e->value <= 300, "%s: %d", e->word, e->value);
    cr_assert(i == 0 || strcmp(baton__se_modifiers[i - 1].word, e->word) < 0, "%s", e->word);
    cr_assert_eq(baton__se_modifier(e->word, strlen(e->word)), e->value, "%s", e->word);
  }
}

Test(executors_sentiment, a_word_is_found_by_its_endings) {
  static const struct {
    const char *word;
    int strength;
  } cases[] = {{"loved", 3},      {"loves", 3},     {"loving", 3},   {"worried", -2},
               {"worries", -2},   {"sadder", -2},   {"happily", 3},  {"horribly", -4},
               {"upsetting", -3}, {"regretted", -2}, {"greatest", 3}, {"nicest", 2},
               {"crashes", -2},   {"likely", 0},    {"pleases", 0},  {"kindly", 0},
               {"lovelies", 0},   {"s", 0},         {"ing", 0},      {"ly", 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool guarded = true;
    cr_assert_eq(baton__se_strength(cases[i].word, strlen(cases[i].word), &guarded),
                 cases[i].strength, "%s", cases[i].word);
    cr_assert_not(guarded, "%s", cases[i].word);
  }
  bool guarded = false;
  cr_assert_eq(baton__se_strength("like", 4, &guarded), 2);
  cr_assert(guarded, "a bare \"like\" counts only after a subject");
  cr_assert(baton__se_negator("wouldn't", 8) && baton__se_negator("dont", 4));
  cr_assert_not(baton__se_negator("n't", 3));
}

/* test_ots.c — the libots summarization executor: shorter output made of input sentences, edge cases. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "support/exec.h"
#include "support/support.h"

#if defined(BATON_HAVE_OTS)

static const char *paragraph =
    "The city council met on Tuesday to discuss the future of the old railway station. "
    "The station has been empty for more than ten years.\n"
    "Several members proposed turning the railway station into a public library and community "
    "centre. Others argued that the station should be sold to a private developer. "
    "The council finally voted to turn the old railway station into a library. "
    "Work on the new library is expected to begin next spring. "
    "The mayor said the station library would open within two years. "
    "Local residents welcomed the decision about the station.";

typedef struct fixture {
  baton__config cfg;
  baton__exec_env env;
  atomic_int cancel;
  void *state;
} fixture;

static void fx_setup(fixture *f) {
  memset(f, 0, sizeof *f);
  f->cfg.summary_dictionary = (char *)"en";
  f->cfg.summary_percent = 30;
  f->cfg.max_text_bytes = 64u * 1024u;
  atomic_init(&f->cancel, 0);
  f->env.cfg = &f->cfg;
  f->env.workspace = "/nonexistent";
  f->env.file_prefix = "task1";
  f->env.cancel = &f->cancel;
  char err[512] = "";
  cr_assert_eq(baton__executor_ots.init(&f->cfg, &f->state, err, sizeof err), 0,
               "init failed: %s", err);
}

static char *summarise_as(fixture *f, const char *text, const char *instruction) {
  baton__values in;
  memset(&in, 0, sizeof in);
  cr_assert_eq(baton__values_add(&in, "text", BATON__T_TEXT, text), 0);
  if (instruction)
    cr_assert_eq(baton__values_add(&in, "instruction", BATON__T_TEXT, instruction), 0);
  return bt_exec_output(&baton__executor_ots, f->state, "summarization", &in, &f->env, "text",
                        BATON__T_TEXT);
}

static char *summarise(fixture *f, const char *text) { return summarise_as(f, text, NULL); }

/* Splits s at ". " and checks every sentence occurs in the input; returns
 * the number of sentences. */
static int sentences_from_input(const char *s, const char *input) {
  char *flat = baton__text_normalize(input, strlen(input), false);
  int n = 0;
  const char *p = s;
  while (*p) {
    const char *end = strstr(p, ". ");
    size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
    char *sent = baton__strndup(p, len);
    cr_assert(strstr(flat, sent), "\"%s\" is not from the input", sent);
    free(sent);
    n++;
    p += len;
    while (*p == ' ')
      p++;
  }
  free(flat);
  return n;
}

Test(executors_ots, is_available_with_the_english_dictionary) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.summary_dictionary = (char *)"en";
  char why[512] = "unset";
  cr_assert(baton__executor_ots.available(&cfg, why, sizeof why), "unavailable: %s", why);
  cr_assert_str_eq(why, "");
}

Test(executors_ots, names_a_missing_dictionary) {
  baton__config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.summary_dictionary = (char *)"qq";
  char why[512] = "";
  cr_assert_not(baton__executor_ots.available(&cfg, why, sizeof why));
  cr_assert(strstr(why, "/usr/share/ots/qq.xml") && strstr(why, "libots0"), "unclear: %s", why);
  cfg.summary_dictionary = (char *)"../../etc/passwd";
  cr_assert_not(baton__executor_ots.available(&cfg, why, sizeof why));
}

Test(executors_ots, summary_is_shorter_and_made_of_input_sentences) {
  fixture f;
  fx_setup(&f);
  char *sum = summarise(&f, paragraph);
  cr_assert_not_null(sum, "failed: %s", f.env.err);
  cr_assert_lt(strlen(sum), strlen(paragraph) / 2, "not much shorter: %s", sum);
  cr_assert_null(strchr(sum, '\n'), "white space not normalised: %s", sum);
  int n = sentences_from_input(sum, paragraph);
  /* 30% of 10 sentences. */
  cr_assert(n >= 2 && n <= 4, "%d sentences: %s", n, sum);
  cr_assert(strstr(sum, "station"), "the summary misses the topic: %s", sum);
  free(sum);
  baton__executor_ots.release(f.state);
}

Test(executors_ots, a_higher_percentage_keeps_more) {
  fixture f;
  fx_setup(&f);
  char *small = summarise(&f, paragraph);
  cr_assert_not_null(small, "failed: %s", f.env.err);
  f.cfg.summary_percent = 70;
  char *big = summarise(&f, paragraph);
  cr_assert_not_null(big, "failed: %s", f.env.err);
  cr_assert_gt(strlen(big), strlen(small));
  cr_assert_lt(strlen(big), strlen(paragraph));
  sentences_from_input(big, paragraph);
  free(small);
  free(big);
  baton__executor_ots.release(f.state);
}

Test(executors_ots, the_instruction_sets_how_many_sentences) {
  fixture f;
  fx_setup(&f);
  static const struct {
    const char *ask;
    int n;
  } cases[] = {{"Summarize notes.txt in one sentence", 1}, {"a 3-sentence summary, please", 3},
               {"sum it up in two sentences", 2}, {"in a single sentence", 1},
               {"keep 5 sentences", 5}, {"in 40 sentences", 8} /* all there are */,
               {"summarize it briefly", 3} /* no number: 30% of 8, rounded up */};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *sum = summarise_as(&f, paragraph, cases[i].ask);
    cr_assert_not_null(sum, "'%s' failed: %s", cases[i].ask, f.env.err);
    cr_expect_eq(sentences_from_input(sum, paragraph), cases[i].n, "'%s': %s", cases[i].ask, sum);
    free(sum);
  }
  baton__executor_ots.release(f.state);
}

Test(executors_ots, a_long_text_keeps_at_most_max_sentences_unless_asked) {
  fixture f;
  fx_setup(&f);
  f.cfg.summary_percent = 100;
  f.cfg.summary_max_sentences = 3;
  char *sum = summarise(&f, paragraph);
  cr_assert_not_null(sum, "failed: %s", f.env.err);
  cr_expect_eq(sentences_from_input(sum, paragraph), 3, "not capped: %s", sum);
  free(sum);
  /* the user's own count wins over the cap */
  sum = summarise_as(&f, paragraph, "summarize it in 5 sentences");
  cr_assert_not_null(sum, "failed: %s", f.env.err);
  cr_expect_eq(sentences_from_input(sum, paragraph), 5, "%s", sum);
  free(sum);
  f.cfg.summary_max_sentences = 0; /* no cap: the share alone */
  sum = summarise(&f, paragraph);
  cr_assert_not_null(sum, "failed: %s", f.env.err);
  cr_expect_eq(sentences_from_input(sum, paragraph), 8, "%s", sum);
  free(sum);
  baton__executor_ots.release(f.state);
}

/* A text of 100 sentences, each about the station and one of ten topics (caller frees). */
static char *hundred_sentences(void) {
  static const char *const topics[] = {"library", "bridge", "market", "school", "harbour",
                                       "museum",  "garden", "tunnel", "stadium", "clinic"};
  baton__sb sb;
  baton__sb_init(&sb);
  for (int i = 0; i < 100; i++)
    baton__sb_addf(&sb, "The council discussed the station %s in meeting %d. ", topics[i % 10],
                   i + 1);
  return baton__sb_detach(&sb);
}

/* Any count the request gives wins over max_sentences (clamped to the sentences there are), in
 * words up to twenty; a long or detailed summary is the share, uncapped; a file name ("long.txt")
 * asks for nothing. */
Test(executors_ots, counts_up_to_twenty_and_long_summaries_pass_the_cap) {
  fixture f;
  fx_setup(&f);
  f.cfg.summary_max_sentences = 10;
  char *text = hundred_sentences();
  static const struct {
    const char *ask;
    int n;
  } cases[] = {{"summarize long.txt in twelve sentences", 12},
               {"summarize long.txt in twenty sentences", 20},
               {"summarize long.txt in 150 sentences", 100} /* all there are */,
               {"summarize long.txt in 64 sentences", 64},
               {"give me a long summary", 30} /* 30% of 100 */,
               {"summarize long.txt in detail", 30},
               {"summarize long.txt", 10} /* the cap */};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *sum = summarise_as(&f, text, cases[i].ask);
    cr_assert_not_null(sum, "'%s' failed: %s", cases[i].ask, f.env.err);
    cr_expect_eq(sentences_from_input(sum, text), cases[i].n, "'%s': %s", cases[i].ask, sum);
    free(sum);
  }
  free(text);
  baton__executor_ots.release(f.state);
}

Test(executors_ots, one_sentence_comes_back_whole) {
  fixture f;
  fx_setup(&f);
  char *sum = summarise(&f, "  The library is closed\non Sundays.  ");
  cr_assert_not_null(sum, "failed: %s", f.env.err);
  cr_assert_str_eq(sum, "The library is closed on Sundays.");
  free(sum);
  baton__executor_ots.release(f.state);
}

Test(executors_ots, empty_or_oversized_text_is_an_error) {
  fixture f;
  fx_setup(&f);
  cr_assert_null(summarise(&f, " \n "));
  cr_assert(strstr(f.env.err, "non-empty"), "unclear: %s", f.env.err);
  f.cfg.max_text_bytes = 50;
  cr_assert_null(summarise(&f, paragraph));
  cr_assert(strstr(f.env.err, "limit"), "unclear: %s", f.env.err);
  baton__executor_ots.release(f.state);
}

#else
Test(executors_ots, not_built) { cr_skip_test("built without libots-1"); }
#endif

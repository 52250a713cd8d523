/* test_textpart.c — a part of a text file named in words: which part ("the first paragraph of notes.txt"), and the text cut to it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/textpart.h"

#define NOTES                                                                  \
  "Minutes of the committee.\nThe room opens on Sunday. Two volunteers help!\n" \
  "\n"                                                                         \
  "The roof leaks.\nA quote is due Friday.\n\n\nNext meeting: Tuesday.\n"

static char *cut(const char *words, const char *text, char *err, size_t errlen) {
  baton__text_part part = baton__text_part_named(words, "notes.txt");
  cr_assert_neq(part.unit, BATON__PART_NONE, "%s: no part", words);
  return baton__text_part_cut(text, &part, "notes.txt", err, errlen);
}

Test(core_textpart, the_part_named_is_cut_out_as_written) {
  static const struct {
    const char *words, *want;
  } cases[] = {
      {"translate the first paragraph of notes.txt into Spanish",
       "Minutes of the committee.\nThe room opens on Sunday. Two volunteers help!"},
      {"summarize the second paragraph in notes.txt", "The roof leaks.\nA quote is due Friday."},
      {"read the last paragraph of 'notes.txt' aloud", "Next meeting: Tuesday."},
      {"the first 2 sentences of notes.txt",
       "Minutes of the committee.\nThe room opens on Sunday."},
      {"the last two sentences from notes.txt",
       "A quote is due Friday.\n\n\nNext meeting: Tuesday."},
      {"the 3rd sentence of notes.txt", "Two volunteers help!"},
      {"the first line of notes.txt", "Minutes of the committee."},
      {"the final line of notes.txt", "Next meeting: Tuesday."},
      {"the first 4 words of notes.txt", "Minutes of the committee."},
      {"the first 100 lines of notes.txt", NOTES "" /* all there is */},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[200] = "";
    char *got = cut(cases[i].words, NOTES, err, sizeof err);
    const char *want = cases[i].want;
    size_t n = strlen(want);
    while (n && want[n - 1] == '\n')
      n--;
    cr_assert(got && strlen(got) == n && !strncmp(got, want, n), "%s: '%s' (%s)",
              cases[i].words, got, err);
    free(got);
  }
}

Test(core_textpart, lines_are_paragraphs_in_a_text_with_no_blank_line) {
  char err[200] = "";
  char *got = cut("the second paragraph of notes.txt", "One.\nTwo, still.\nThree.\n", err,
                  sizeof err);
  cr_assert_str_eq(got, "Two, still.");
  free(got);
}

Test(core_textpart, a_part_past_the_end_is_refused_naming_how_many_there_are) {
  char err[200] = "";
  cr_assert_null(cut("the fifth paragraph of notes.txt", NOTES, err, sizeof err));
  cr_assert_str_eq(err, "notes.txt has 3 paragraphs: there is no paragraph number 5");
  cr_assert_null(cut("the 2nd word of notes.txt", "   \n", err, sizeof err));
  cr_assert_str_eq(err, "notes.txt has 0 words: there is no word number 2");
}

Test(core_textpart, words_that_name_no_part_of_this_file_are_left_alone) {
  static const char *const words[] = {
      "summarize notes.txt",
      "the first paragraph of my_notes.txt",   /* another file */
      "3 lines of notes.txt",                 /* no first nor last */
      "the third 2 lines of notes.txt",
      "the first paragraph, then notes.txt",  /* not "of" */
      "the first chapter of notes.txt",
      "translate it and the first paragraph of other.txt; notes.txt too",
  };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    cr_assert_eq(baton__text_part_named(words[i], "notes.txt").unit, BATON__PART_NONE, "%s",
                 words[i]);
  cr_assert_eq(baton__text_part_named(NULL, "notes.txt").unit, BATON__PART_NONE);
}

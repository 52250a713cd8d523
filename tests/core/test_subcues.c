/* test_subcues.c — subtitles read back cue by cue and refilled with other words: SubRip, WebVTT, what is not subtitles. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/subcues.h"

#define SRT                                       \
  "1\r\n00:00:00,110 --> 00:00:01,760\r\n"        \
  "he might even have\r\nbeen made\r\n\r\n"       \
  "2\r\n00:00:01,760 --> 00:00:02,930\r\n"        \
  "a real boy himself\r\n"

Test(core_subcues, a_subrip_cue_becomes_a_paragraph_of_its_words) {
  char *lines = NULL;
  size_t n = 0;
  cr_assert_eq(baton__subcues_lines(SRT, &lines, &n), 1);
  cr_assert_eq(n, 2u);
  cr_assert_str_eq(lines, "he might even have been made\n\na real boy himself");
  free(lines);
}

Test(core_subcues, refilled_cues_keep_their_numbers_and_times) {
  char err[200] = "";
  char *out = baton__subcues_refill(SRT, "\nincluso podría\nhaber sido\n\nun niño real\n\n", err,
                                    sizeof err);
  cr_assert_not_null(out, "%s", err);
  cr_assert_str_eq(out, "1\r\n00:00:00,110 --> 00:00:01,760\r\nincluso podría haber sido\r\n\r\n"
                        "2\r\n00:00:01,760 --> 00:00:02,930\r\nun niño real\r\n");
  free(out);
  cr_assert_str_eq(baton__subcues_format(SRT), "srt");
}

Test(core_subcues, webvtt_keeps_its_header_and_notes_and_drops_the_byte_order_mark) {
  const char *vtt = "\xEF\xBB\xBFWEBVTT - a talk\n\nNOTE said slowly\n\n"
                    "intro\n00:00.100 --> 00:01.500 align:start\n<v Ann>good morning\n\n"
                    "STYLE\n::cue { color: yellow }\n\n00:01.500 --> 00:03.000\nthe cat\n";
  cr_assert_str_eq(baton__subcues_format(vtt), "vtt");
  char *lines = NULL, err[200] = "";
  size_t n = 0;
  cr_assert_eq(baton__subcues_lines(vtt, &lines, &n), 1);
  cr_assert_eq(n, 2u);
  cr_assert_str_eq(lines, "<v Ann>good morning\n\nthe cat");
  free(lines);
  char *out = baton__subcues_refill(vtt, "<v Ann>buenos días\n\nel gato", err, sizeof err);
  cr_assert_not_null(out, "%s", err);
  cr_assert_str_eq(out, "WEBVTT - a talk\n\nNOTE said slowly\n\n"
                        "intro\n00:00.100 --> 00:01.500 align:start\n<v Ann>buenos días\n\n"
                        "STYLE\n::cue { color: yellow }\n\n00:01.500 --> 00:03.000\nel gato\n");
  free(out);
}

Test(core_subcues, refilled_subtitles_read_back_as_the_same_cues_after_marks_and_blank_lines) {
  /* two byte order marks: the second is no part of the first line ("0:10,-->" is a cue's times);
   * a blank line first: a mark after it is part of the first line, which is no cue's times */
  static const char *const srt[] = {"\xEF\xBB\xBF\xEF\xBB\xBF" "0:10,-->\n 15:10,-->\n 15",
                                    "\n\xEF\xBB\xBF" "2:-->\n2:-->0\nh"};
  static const char *const words[] = {"15:10,--> 15", "h"};
  for (int i = 0; i < 2; i++) {
    char *lines = NULL, *again = NULL, err[200] = "";
    size_t n = 0, m = 0;
    cr_assert_eq(baton__subcues_lines(srt[i], &lines, &n), 1);
    cr_assert_str_eq(lines, words[i]);
    char *out = baton__subcues_refill(srt[i], lines, err, sizeof err);
    cr_assert_not_null(out, "%s", err);
    cr_assert_eq(baton__subcues_lines(out, &again, &m), 1, "%s", out);
    cr_assert_str_eq(again, lines);
    free(again), free(out), free(lines);
  }
}

Test(core_subcues, a_cue_with_no_words_is_kept_and_not_asked_about) {
  const char *srt = "1\n00:00:00,000 --> 00:00:01,000\n\n2\n00:00:01,000 --> 00:00:02,000\nhi\n";
  char *lines = NULL, err[200] = "";
  size_t n = 0;
  cr_assert_eq(baton__subcues_lines(srt, &lines, &n), 1);
  cr_assert_eq(n, 1u);
  free(lines);
  char *out = baton__subcues_refill(srt, "hola", err, sizeof err);
  cr_assert_str_eq(out, "1\n00:00:00,000 --> 00:00:01,000\n\n2\n00:00:01,000 --> 00:00:02,000\n"
                        "hola\n");
  free(out);
}

Test(core_subcues, text_that_is_not_subtitles_is_told_apart) {
  static const char *const texts[] = {
      "", "\n\n", "hello there", "WEBVTT\n\n", "1\n2\n3 --> 4\n", /* no time in it */
      "The meeting went well.\n\n00:00:01,000 --> 00:00:02,000\nhi\n", /* prose around cues */
      "1\n00:00:01,000 --> 00:00:02,000\nhi\n\nNOTE in SubRip is prose once a cue came\n\nthe end"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    char *lines = (char *)"unset";
    size_t n = 9;
    int rc = baton__subcues_lines(texts[i], &lines, &n);
    cr_assert(rc == 0 && !lines && n == 0, "'%s': %d", texts[i], rc);
  }
  char err[200] = "";
  cr_assert_null(baton__subcues_refill("hello", "hola", err, sizeof err));
  cr_assert(strstr(err, "not subtitles"), "%s", err);
}

Test(core_subcues, an_answer_with_a_paragraph_too_many_or_too_few_is_refused) {
  char err[200] = "";
  cr_assert_null(baton__subcues_refill(SRT, "uno\n\ndos\n\ntres", err, sizeof err));
  cr_assert(strstr(err, "3 paragraphs for 2 cues"), "%s", err);
  cr_assert_null(baton__subcues_refill(SRT, "uno dos", err, sizeof err));
  cr_assert(strstr(err, "1 paragraph for 2 cues"), "%s", err);
}

Test(core_subcues, too_many_cues_are_refused) {
  size_t cues = BATON__SUBCUES_MAX + 1, cap = cues * 40 + 1, len = 0;
  char *s = malloc(cap);
  for (size_t i = 0; i < cues; i++)
    len += (size_t)snprintf(s + len, cap - len, "%zu\n00:00:01,000 --> 00:00:02,000\nw\n\n", i);
  char *lines = NULL;
  size_t n = 0;
  cr_assert_eq(baton__subcues_lines(s, &lines, &n), -1);
  cr_assert_null(lines);
  free(s);
}

/* SubRip to WebVTT and back: times in each one's form, WebVTT's header, notes and styles only in
 * WebVTT, cue settings dropped in SubRip. */
Test(core_subcues, subtitles_change_format_keeping_their_times_and_words) {
  char *vtt = baton__subcues_as(SRT, true);
  cr_assert_str_eq(vtt, "WEBVTT\n\n1\n00:00:00.110 --> 00:00:01.760\nhe might even have\n"
                        "been made\n\n2\n00:00:01.760 --> 00:00:02.930\na real boy himself\n");
  char *srt = baton__subcues_as("\xEF\xBB\xBFWEBVTT\n\nNOTE x\n\nintro\n"
                                "01:00.5 --> 1:02:03.25 align:start\nhi\n\nSTYLE\n::cue {}\n",
                                false);
  cr_assert_str_eq(srt, "1\n00:01:00,500 --> 01:02:03,250\nhi\n");
  free(vtt);
  free(srt);
}

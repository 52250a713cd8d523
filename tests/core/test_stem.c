/* test_stem.c — the Porter stemmer against the examples of Porter's paper, and its bounds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/stem.h"

static void expect(const char *word, const char *stem) {
  char w[64];
  snprintf(w, sizeof w, "%s", word);
  size_t n = baton__stem(w, strlen(w));
  w[n] = '\0';
  cr_expect_str_eq(w, stem, "%s -> %s, not %s", word, w, stem);
}

/* The examples M. F. Porter gives for each step ("An algorithm for suffix stripping", 1980). */
Test(core_stem, stems_the_papers_examples) {
  static const char *const pairs[][2] = {
      {"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"caress", "caress"},
      {"cats", "cat"}, {"feed", "feed"}, {"agreed", "agre"}, {"plastered", "plaster"},
      {"bled", "bled"}, {"motoring", "motor"}, {"sing", "sing"}, {"conflated", "conflat"},
      {"troubled", "troubl"}, {"sized", "size"}, {"hopping", "hop"}, {"tanned", "tan"},
      {"falling", "fall"}, {"hissing", "hiss"}, {"fizzed", "fizz"}, {"failing", "fail"},
      {"filing", "file"}, {"happy", "happi"}, {"sky", "sky"}, {"relational", "relat"},
      {"conditional", "condit"}, {"rational", "ration"}, {"digitizer", "digit"},
      {"operator", "oper"}, {"feudalism", "feudal"}, {"decisiveness", "decis"},
      {"hopefulness", "hope"}, {"callousness", "callous"}, {"formaliti", "formal"},
      {"sensitiviti", "sensit"}, {"sensibiliti", "sensibl"}, {"triplicate", "triplic"},
      {"formative", "form"}, {"formalize", "formal"}, {"electriciti", "electr"},
      {"electrical", "electr"}, {"hopeful", "hope"}, {"goodness", "good"},
      {"revival", "reviv"}, {"allowance", "allow"}, {"inference", "infer"},
      {"airliner", "airlin"}, {"adjustable", "adjust"}, {"defensible", "defens"},
      {"irritant", "irrit"}, {"replacement", "replac"}, {"adjustment", "adjust"},
      {"dependent", "depend"}, {"adoption", "adopt"}, {"communism", "commun"},
      {"activate", "activ"}, {"homologous", "homolog"}, {"effective", "effect"},
      {"bowdlerize", "bowdler"}, {"probate", "probat"}, {"rate", "rate"}, {"cease", "ceas"},
      {"controll", "control"}, {"roll", "roll"}, {"generalizations", "gener"},
      {"tables", "tabl"}, {"table", "tabl"}};
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
    expect(pairs[i][0], pairs[i][1]);
}

/* Short words keep their endings: "thing" is not "th", "the" is not "th", "red" is not "r". */
Test(core_stem, short_words_keep_their_endings) {
  expect("thing", "thing");
  expect("the", "the");
  expect("red", "red");
  expect("one", "on"); /* as the paper's rules give it */
  expect("notes", "note");
  expect("not", "not");
}

/* One or two letters, digits, capitals or bytes past ASCII are left as they are. */
Test(core_stem, leaves_what_it_does_not_know_as_it_is) {
  expect("is", "is");
  expect("mp3s", "mp3s");
  expect("Tables", "Tables");
  expect("caf\xc3\xa9s", "caf\xc3\xa9s");
  char empty[1] = "";
  cr_assert_eq(baton__stem(empty, 0), 0);
}

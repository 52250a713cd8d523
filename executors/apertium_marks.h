/* apertium_marks.h — apertium's marks on words it could not translate, read and taken out. */
#ifndef BATON_EXECUTORS_APERTIUM_MARKS_H
#define BATON_EXECUTORS_APERTIUM_MARKS_H

#include <stddef.h>

/* What apertium's marks said about one translation. */
typedef struct baton__ap_marks {
  size_t words;   /* words in the output (runs of letters or digits) */
  size_t unknown; /* of them, words apertium did not know ("*hola") */
} baton__ap_marks;

/*
 * Takes apertium's marks out of text (its raw output, without -u), in place, counting them in
 * *m. As apertium documents them: "*word", a word not in the dictionary, given back as it came
 * (the mark goes, the word stays and counts as unknown); "@word", a word the transfer found no
 * translation for (the same); "#word", a word the generator could not inflect, written as its
 * dictionary form: the mark goes and the lemma stays, except a lemma that is none of a language's
 * words but apertium's name of a class ("#prpers", a personal pronoun it could not generate),
 * which goes with the space before it.
 */
void baton__apertium_unmark(char *text, baton__ap_marks *m);

#endif

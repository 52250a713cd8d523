/* textpart.h — a part of a text file named in words ("the first paragraph of notes.txt", "the last 3 sentences of notes.txt", "the second line of notes.txt"): which part, and the text cut to it. */
#ifndef BATON_CORE_TEXTPART_H
#define BATON_CORE_TEXTPART_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
  BATON__PART_NONE,
  BATON__PART_WORD,
  BATON__PART_LINE,
  BATON__PART_SENTENCE,
  BATON__PART_PARAGRAPH
} baton__part_unit;

/* A part of a text: the first `count` units ("the first 3 sentences"), the last ones (`last`),
 * or the nth alone (nth > 0: "the second paragraph"). */
typedef struct {
  baton__part_unit unit;
  size_t count, nth;
  bool last;
} baton__text_part;

/* The count a lower-case word names, "one" to "twenty", or 0. */
size_t baton__count_word(const char *w);

/* The part of the file `name` that `words` name: "the first paragraph of notes.txt", "the last
 * 2 lines in notes.txt", "the third sentence from notes.txt" (first to tenth, last or final,
 * then a count in digits or words up to twenty, then word, line, sentence or paragraph).
 * unit BATON__PART_NONE when they name none. */
baton__text_part baton__text_part_named(const char *words, const char *name);

/* The part of text asked for, as written there (malloc'd); NULL with err when the text has
 * fewer units than that ("notes.txt has 2 paragraphs: there is no fifth"), or when out of
 * memory. Paragraphs are parted by blank lines or, in a text with none, by line breaks; a
 * sentence ends at '.', '!' or '?' before a space or the end. */
char *baton__text_part_cut(const char *text, const baton__text_part *part, const char *name,
                           char *err, size_t errlen);

#endif

/* apertium_marks.c — takes apertium's unknown-word and generation marks out of its output, counting the words it did not know. */
#include "executors/apertium_marks.h"

#include <stdbool.h>
#include <string.h>

#include "core/banned.h"

/* A byte of a word: an ASCII letter or digit, or any byte of a UTF-8 sequence ("estáis"). */
static bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Is w[0..n) Latin-1 punctuation only ("¿", "¡", "«"): no word to count. */
static bool punctuation_only(const char *w, size_t n) {
  for (size_t i = 0; i < n; i += 2)
    if (i + 1 >= n || (unsigned char)w[i] != 0xc2)
      return false;
  return n > 0;
}

/* apertium's lemmas that name a class of words, not a word: what a '#' before them leaves as
 * junk. */
static bool class_lemma(const char *w, size_t n) {
  static const char *const names[] = {"prpers", NULL};
  for (size_t i = 0; names[i]; i++)
    if (strlen(names[i]) == n && memcmp(names[i], w, n) == 0)
      return true;
  return false;
}

void baton__apertium_unmark(char *text, baton__ap_marks *m) {
  m->words = m->unknown = 0;
  char *w = text;
  const char *r = text;
  while (*r) {
    bool start = r == text || (unsigned char)r[-1] >= 0x80 || !word_byte((unsigned char)r[-1]);
    char mark = start && (*r == '*' || *r == '@' || *r == '#') && word_byte((unsigned char)r[1])
                    ? *r
                    : '\0';
    if (mark)
      r++;
    if (!word_byte((unsigned char)*r)) {
      *w++ = *r++;
      continue;
    }
    size_t n = 0;
    while (word_byte((unsigned char)r[n]))
      n++;
    if (mark == '#' && class_lemma(r, n)) {
      while (w > text && w[-1] == ' ')
        w--;
      r += n;
      continue;
    }
    bool word = !punctuation_only(r, n);
    m->words += word;
    m->unknown += word && (mark == '*' || mark == '@');
    memmove(w, r, n);
    w += n;
    r += n;
  }
  *w = '\0';
}

/* textpart.c — a part of a text file named in words ("the first paragraph of notes.txt", "the last 3 sentences of notes.txt", "the second line of notes.txt"): which part, and the text cut to it. */
#include "core/textpart.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/banned.h"

#define PART_WORD_MAX 16 /* a word looked at before the file's name, at most */
#define PART_MAX_COUNT 1000000

static const char *const ordinals[] = {"first", "second", "third",   "fourth", "fifth",
                                       "sixth", "seventh", "eighth", "ninth",  "tenth", NULL};
static const char *const enders[] = {"last", "final", NULL};
static const char *const numbers[] = {"one",      "two",      "three",     "four",     "five",
                                      "six",      "seven",    "eight",     "nine",     "ten",
                                      "eleven",   "twelve",   "thirteen",  "fourteen", "fifteen",
                                      "sixteen",  "seventeen", "eighteen", "nineteen", "twenty",
                                      NULL};
static const char *const links[] = {"of", "in", "from", NULL};
static const struct {
  const char *word;
  baton__part_unit unit;
} units[] = {{"word", BATON__PART_WORD},           {"words", BATON__PART_WORD},
             {"line", BATON__PART_LINE},           {"lines", BATON__PART_LINE},
             {"sentence", BATON__PART_SENTENCE},   {"sentences", BATON__PART_SENTENCE},
             {"paragraph", BATON__PART_PARAGRAPH}, {"paragraphs", BATON__PART_PARAGRAPH}};
static const char *const unit_names[] = {"", "word", "line", "sentence", "paragraph"};

/* 1 + the index of w in list, or 0. */
static size_t index_in(const char *w, const char *const *list) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(w, list[i]) == 0)
      return i + 1;
  return 0;
}

/* The words right before `at` in s, nearest first, lower-cased (a longer one: ""), at most max
 * of them; how many. */
static size_t words_before(const char *s, const char *at, char w[][PART_WORD_MAX], size_t max) {
  size_t k = 0;
  const char *e = at;
  while (k < max) {
    while (e > s && !isalnum((unsigned char)e[-1]))
      e--;
    const char *b = e;
    while (b > s && isalnum((unsigned char)b[-1]))
      b--;
    if (b == e)
      break;
    size_t n = (size_t)(e - b) < PART_WORD_MAX ? (size_t)(e - b) : 0;
    for (size_t i = 0; i < n; i++)
      w[k][i] = (char)tolower((unsigned char)b[i]);
    w[k++][n] = '\0';
    e = b;
  }
  return k;
}

size_t baton__count_word(const char *w) { return index_in(w, numbers); }

/* A count in digits or words ("3", "three"), or 0. */
static size_t count_of(const char *w) {
  if (isdigit((unsigned char)w[0]) && !w[strspn(w, "0123456789")]) {
    long v = strtol(w, NULL, 10);
    return v > 0 && v <= PART_MAX_COUNT ? (size_t)v : 0;
  }
  return baton__count_word(w);
}

/* An ordinal ("second", "2nd"), or 0. */
static size_t ordinal_of(const char *w) {
  size_t d = strspn(w, "0123456789");
  if (d && d < 4 && (!strcmp(w + d, "st") || !strcmp(w + d, "nd") || !strcmp(w + d, "rd") ||
                     !strcmp(w + d, "th")))
    return (size_t)strtol(w, NULL, 10);
  return index_in(w, ordinals);
}

/* The part the words before a mention of the file name (w[0] nearest) name, if any. */
static baton__text_part part_of(char w[][PART_WORD_MAX], size_t n) {
  baton__text_part p = {0};
  size_t u = 0;
  while (n >= 3 && u < sizeof units / sizeof units[0] && strcmp(w[1], units[u].word) != 0)
    u++;
  if (n < 3 || !index_in(w[0], links) || u == sizeof units / sizeof units[0])
    return p;
  size_t count = count_of(w[2]), at = count ? 3 : 2;
  if (at >= n)
    return p;
  size_t ord = ordinal_of(w[at]);
  p.last = index_in(w[at], enders) != 0;
  if ((count && ord != 1 && !p.last) || (!ord && !p.last))
    return p; /* "3 lines of", "the third 2 lines of": no part */
  p.unit = units[u].unit;
  p.count = count ? count : 1;
  p.nth = !count && ord > 1 ? ord : 0;
  return p;
}

baton__text_part baton__text_part_named(const char *words, const char *name) {
  baton__text_part none = {0};
  size_t nl = name ? strlen(name) : 0;
  for (const char *p = words; nl && p && (p = strcasestr(p, name)) != NULL; p += nl) {
    if (p > words && (isalnum((unsigned char)p[-1]) || p[-1] == '/' || p[-1] == '.'))
      continue; /* "my_notes.txt" is not "notes.txt" */
    char w[4][PART_WORD_MAX];
    baton__text_part part = part_of(w, words_before(words, p, w, 4));
    if (part.unit != BATON__PART_NONE)
      return part;
  }
  return none;
}

/* Is [p, e) only white space? */
static bool blank(const char *p, const char *e) {
  while (p < e && isspace((unsigned char)*p))
    p++;
  return p == e;
}

/* Does the text part paragraphs by blank lines (else by line breaks): a blank line with words
 * before and after it? One pass. */
static bool blank_parted(const char *t) {
  bool words = false, gap = false;
  for (const char *p = t; *p;) {
    const char *e = p + strcspn(p, "\n");
    if (blank(p, e))
      gap = words;
    else if (gap)
      return true;
    else
      words = true;
    p = *e ? e + 1 : e;
  }
  return false;
}

/* The end of the sentence starting at p: past its '.', '!' or '?' (and a closing quote) before
 * white space or the end, else the text's end. */
static const char *sentence_end(const char *p) {
  for (; *p; p++)
    if (strchr(".!?", *p)) {
      const char *e = p + 1;
      e += *e == '"' || *e == '\'' || *e == ')';
      if (!*e || isspace((unsigned char)*e))
        return e;
    }
  return p;
}

/* The next unit of the text from *p: [*s, *e), trimmed; *p moves past it. false at the end. */
static bool next_unit(const char **p, baton__part_unit u, bool by_blank, const char **s,
                      const char **e) {
  const char *q = *p + strspn(*p, " \t\r\n");
  if (!*q)
    return false;
  *s = q;
  if (u == BATON__PART_WORD)
    q += strcspn(q, " \t\r\n");
  else if (u == BATON__PART_SENTENCE)
    q = sentence_end(q);
  else if (u == BATON__PART_LINE || !by_blank)
    q += strcspn(q, "\n");
  else
    for (q += strcspn(q, "\n"); *q && !blank(q + 1, q + 1 + strcspn(q + 1, "\n"));)
      q += 1 + strcspn(q + 1, "\n");
  *p = q;
  while (q > *s && isspace((unsigned char)q[-1]))
    q--;
  *e = q;
  return true;
}

char *baton__text_part_cut(const char *text, const baton__text_part *part, const char *name,
                           char *err, size_t errlen) {
  bool by = part->unit == BATON__PART_PARAGRAPH && blank_parted(text);
  size_t total = 0;
  const char *p = text, *s, *e, *from = NULL, *to = NULL;
  while (next_unit(&p, part->unit, by, &s, &e))
    total++;
  size_t first = part->nth ? part->nth : part->last && part->count < total
                                               ? total - part->count + 1 : 1;
  size_t last = part->nth ? part->nth : first + part->count - 1;
  if (first > total) {
    baton__fmt(err, errlen, "%s has %zu %s%s: there is no %s number %zu", name, total,
               unit_names[part->unit], total == 1 ? "" : "s", unit_names[part->unit], first);
    return NULL;
  }
  p = text;
  for (size_t i = 1; i <= last && next_unit(&p, part->unit, by, &s, &e); i++) {
    from = i == first ? s : from;
    to = e;
  }
  char *out = baton__strndup(from, (size_t)(to - from));
  if (!out)
    baton__fmt(err, errlen, "out of memory");
  return out;
}

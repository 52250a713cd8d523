/* entities_numbers.c — the entity finder's plain numbers (CARDINAL), in digits and in words. */
#include "executors/entities.h"

#include <ctype.h>
#include <string.h>

#include "core/banned.h"

#define EN_MAX_NUMBER_WORDS 12 /* words of one number in words: "two hundred and fifty ..." */
#define EN_MAX_SPACED_GROUPS 4 /* groups of three digits after a space: "1 200 000" */
#define EN_MAX_WORD_BEFORE 8   /* letters of the word before "one" looked at */
#define EN_WORD_PEEK 24        /* bytes of a word looked at: a longer one is no number */

const char *const baton__en_small_numbers[] = {
    "zero",   "one",    "two",      "three",    "four",    "five",    "six",
    "seven",  "eight",  "nine",     "ten",      "eleven",  "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", NULL};
static const char *const en_tens[] = {"twenty", "thirty",  "forty",  "fifty",
                                      "sixty",  "seventy", "eighty", "ninety", NULL};
/* After a number: "three thousand", "3 million", "two dozen". */
static const char *const en_scale_words[] = {"hundred", "thousand", "million", "billion",
                                             "trillion", "dozen", NULL};
/* A number alone: "thousands of leaflets". */
static const char *const en_plural_scales[] = {"hundreds", "thousands", "millions", "billions",
                                               "dozens", NULL};
static const char *const en_a[] = {"a", NULL}, *const en_and[] = {"and", NULL};
/* Before "one" that make it a pronoun, no number: "no one", "the one I like". */
static const char *const en_one_pronoun[] = {"no", "the", "this", "that", "which", "any",
                                             "every", "each", "some", NULL};
/* After "one" that make it a pronoun: "one another". */
static const char *const en_one_pronoun_after[] = {"another", NULL};

/* What a word can be in a number in words. */
typedef enum en_kind {
  EN_W_START,    /* before the first word */
  EN_W_NONE,     /* no word of a number */
  EN_W_ZERO,     /* "zero", alone */
  EN_W_UNIT,     /* one to nine */
  EN_W_TEEN,     /* ten to nineteen */
  EN_W_TENS,     /* "twenty" */
  EN_W_COMPOUND, /* "twenty-five" */
  EN_W_SCALE,    /* "hundred", "thousand", "dozen" */
  EN_W_PLURAL,   /* "thousands", alone */
  EN_W_A,        /* "a", only before a scale: "a hundred" */
  EN_W_AND       /* "and", only between a scale and what follows: "two hundred and fifty" */
} en_kind;

#define EN_K(k) (1u << (k))
#define EN_K_SMALL (EN_K(EN_W_UNIT) | EN_K(EN_W_TEEN) | EN_K(EN_W_TENS) | EN_K(EN_W_COMPOUND))
/* The kinds of word that may come after each kind of word. */
static const unsigned en_follows[] = {
    [EN_W_START] = EN_K_SMALL | EN_K(EN_W_ZERO) | EN_K(EN_W_PLURAL) | EN_K(EN_W_A),
    [EN_W_UNIT] = EN_K(EN_W_SCALE),
    [EN_W_TEEN] = EN_K(EN_W_SCALE),
    [EN_W_TENS] = EN_K(EN_W_UNIT) | EN_K(EN_W_SCALE), /* "twenty five" */
    [EN_W_COMPOUND] = EN_K(EN_W_SCALE),
    [EN_W_SCALE] = EN_K_SMALL | EN_K(EN_W_SCALE) | EN_K(EN_W_AND),
    [EN_W_A] = EN_K(EN_W_SCALE),
    [EN_W_AND] = EN_K_SMALL,
};

/* What the word [at, end) is in a number in words. */
static en_kind en_word_kind(const baton__en_text *t, size_t at, size_t end) {
  int v = baton__en_lookup(baton__en_small_numbers, t, at, end);
  if (v >= 0)
    return v == 0 ? EN_W_ZERO : v < 10 ? EN_W_UNIT : EN_W_TEEN;
  if (baton__en_lookup(en_tens, t, at, end) >= 0)
    return EN_W_TENS;
  if (baton__en_lookup(en_scale_words, t, at, end) >= 0)
    return EN_W_SCALE;
  if (baton__en_lookup(en_plural_scales, t, at, end) >= 0)
    return EN_W_PLURAL;
  if (baton__en_lookup(en_a, t, at, end) >= 0)
    return EN_W_A;
  if (baton__en_lookup(en_and, t, at, end) >= 0)
    return EN_W_AND;
  const char *dash = memchr(t->s + at, '-', end - at); /* "twenty-five" */
  size_t d = dash ? (size_t)(dash - t->s) : end;
  v = d < end ? baton__en_lookup(baton__en_small_numbers, t, d + 1, end) : -1;
  return v >= 1 && v <= 9 && baton__en_lookup(en_tens, t, at, d) >= 0 ? EN_W_COMPOUND : EN_W_NONE;
}

/* A number in words at `at`: words of en_follows' grammar, a space or two apart. Its end (after
 * its last word that may end one: not "a" or "and"), or at. */
static size_t en_number_words(const baton__en_text *t, size_t at) {
  en_kind prev = EN_W_START;
  size_t p = at, end = at;
  for (int n = 0; n < EN_MAX_NUMBER_WORDS; n++) {
    baton__en_text near = {t->s, t->len - p > EN_WORD_PEEK ? p + EN_WORD_PEEK : t->len};
    size_t e = baton__en_word_end(&near, p);
    bool whole = e > p && (e < near.len || near.len == t->len);
    en_kind k = whole ? en_word_kind(t, p, e) : EN_W_NONE;
    if (!(en_follows[prev] & EN_K(k)))
      break;
    prev = k;
    end = k == EN_W_A || k == EN_W_AND ? end : e;
    size_t q = baton__en_space(t, e);
    if (q == e)
      break;
    p = q;
  }
  return end;
}

/* Is the word before `at` (a space or two back) one of the list? */
static bool en_word_before(const baton__en_text *t, size_t at, const char *const *list) {
  size_t e = at, s;
  while (e > 0 && at - e < BATON__EN_MAX_SPACES && baton__en_in(" \t", t->s[e - 1]))
    e--;
  for (s = e; s > 0 && e - s < EN_MAX_WORD_BEFORE && isalpha((unsigned char)t->s[s - 1]); s--)
    ;
  return e < at && s < e && (s == 0 || !baton__en_wordc(t, s - 1)) &&
         baton__en_lookup(list, t, s, e) >= 0;
}

/* Is the number in words [at, end) a lone "one" that is a pronoun ("no one", "one another")? */
static bool en_pronoun_one(const baton__en_text *t, size_t at, size_t end) {
  if (baton__en_lookup(baton__en_small_numbers, t, at, end) != 1)
    return false;
  size_t q = baton__en_space(t, end);
  return en_word_before(t, at, en_one_pronoun) ||
         (q > end && baton__en_keyword(t, q, en_one_pronoun_after) > q);
}

/* A number in digits at `at`: 12, 3,500, 4.5, "1 200 000", a range "10-12", a scale after it
 * ("3 million"). Its end, or at: a part of a longer run ("978-3-16-148410-0", "1.2.3"), or with
 * letters after it ("3rd", "5km"). */
static size_t en_digit_number(const baton__en_text *t, size_t at) {
  unsigned long long v;
  size_t a = baton__en_amount(t, at);
  if (a == at || (at >= 2 && t->s[at - 1] == '-' && isdigit((unsigned char)t->s[at - 2])))
    return at;
  bool lead = a - at <= 3 && baton__en_digits(t, at, &v) == a; /* the "1" of "1 200 000" */
  for (int g = 0; lead && g < EN_MAX_SPACED_GROUPS && baton__en_at(t, a) == ' ' &&
                  baton__en_digits(t, a + 1, &v) == a + 4 && baton__en_number_ends(t, a + 4);
       g++)
    a += 4;
  if (baton__en_at(t, a) == '-' && isdigit(baton__en_at(t, a + 1))) {
    size_t b = baton__en_amount(t, a + 1);
    if (b == a + 1 || (baton__en_at(t, b) == '-' && isdigit(baton__en_at(t, b + 1))))
      return at;
    a = b;
  }
  size_t q = baton__en_space(t, a), s = baton__en_keyword(t, q, en_scale_words);
  a = s > q ? s : a;
  return baton__en_number_ends(t, a) ? a : at;
}

bool baton__entities_number(const baton__en_text *t, size_t at, baton__entity *hit,
                            size_t *next) {
  size_t e;
  if (isdigit(baton__en_at(t, at))) {
    e = en_digit_number(t, at);
  } else {
    e = en_number_words(t, at);
    e = e > at && en_pronoun_one(t, at, e) ? at : e;
  }
  if (e == at)
    return false;
  *hit = (baton__entity){"CARDINAL", at, e};
  *next = e;
  return true;
}

/* stem.c — the Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), its suffix rules as tables. */
#include "core/stem.h"

#include <stdbool.h>
#include <string.h>

#include "core/banned.h"

/* The word being stemmed: w[0..k] is what is left; a rule that matched a suffix sets j, the end
 * of the stem before it. */
typedef struct stemmer {
  char *w;
  int k, j;
} stemmer;

/* A suffix rule: the ending, what replaces it. */
typedef struct rule {
  const char *from, *to;
} rule;

/* Whether w[i] is a consonant: not a, e, i, o, u, and a y only after a vowel (or first). */
static bool cons(const stemmer *z, int i) {
  switch (z->w[i]) {
  case 'a': case 'e': case 'i': case 'o': case 'u':
    return false;
  case 'y':
    return i == 0 || !cons(z, i - 1);
  default:
    return true;
  }
}

/* The measure of w[0..j]: how many vowel-consonant runs follow its first consonants. */
static int measure(const stemmer *z) {
  int n = 0, i = 0;
  while (i <= z->j && cons(z, i))
    i++;
  while (i <= z->j) {
    while (i <= z->j && !cons(z, i))
      i++;
    if (i > z->j)
      break;
    n++;
    while (i <= z->j && cons(z, i))
      i++;
  }
  return n;
}

static bool vowel_in_stem(const stemmer *z) {
  for (int i = 0; i <= z->j; i++)
    if (!cons(z, i))
      return true;
  return false;
}

/* Whether w[i-1..i] is a double consonant. */
static bool double_cons(const stemmer *z, int i) {
  return i >= 1 && z->w[i] == z->w[i - 1] && cons(z, i);
}

/* Whether w[i-2..i] is consonant-vowel-consonant, the last not w, x or y ("hop", not "snow"). */
static bool cvc(const stemmer *z, int i) {
  return i >= 2 && cons(z, i) && !cons(z, i - 1) && cons(z, i - 2) && z->w[i] != 'w' &&
         z->w[i] != 'x' && z->w[i] != 'y';
}

/* Whether w[0..k] ends with s; then j is where the stem before it ends. */
static bool ends(stemmer *z, const char *s) {
  int n = (int)strlen(s);
  if (n > z->k + 1 || memcmp(z->w + z->k - n + 1, s, (size_t)n) != 0)
    return false;
  z->j = z->k - n;
  return true;
}

/* Puts s after w[0..j]. */
static void set_to(stemmer *z, const char *s) {
  int n = (int)strlen(s);
  memmove(z->w + z->j + 1, s, (size_t)n);
  z->k = z->j + n;
}

/* Of rules (ending with a NULL), the first whose ending w has: replaced when the stem before it
 * measures more than min. Later rules are not tried once one ending matched. */
static void apply_first(stemmer *z, const rule *rules, int min) {
  for (const rule *r = rules; r->from; r++)
    if (ends(z, r->from)) {
      if (measure(z) > min)
        set_to(z, r->to);
      return;
    }
}

static const rule step2_rules[] = {
    {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"},  {"anci", "ance"},
    {"izer", "ize"},    {"abli", "able"},   {"alli", "al"},    {"entli", "ent"},
    {"eli", "e"},       {"ousli", "ous"},   {"ization", "ize"}, {"ation", "ate"},
    {"ator", "ate"},    {"alism", "al"},    {"iveness", "ive"}, {"fulness", "ful"},
    {"ousness", "ous"}, {"aliti", "al"},    {"iviti", "ive"},  {"biliti", "ble"},
    {NULL, NULL}};
static const rule step3_rules[] = {{"icate", "ic"}, {"ative", ""}, {"alize", "al"},
                                   {"iciti", "ic"}, {"ical", "ic"}, {"ful", ""},
                                   {"ness", ""},    {NULL, NULL}};
/* Step 4's endings come off when the stem measures more than 1; "ion" only after s or t. */
static const char *const step4_endings[] = {
    "al",  "ance", "ence", "er",  "ic",  "able", "ible", "ant", "ement", "ment",
    "ent", "ion",  "ou",   "ism", "ate", "iti",  "ous",  "ive", "ize",   NULL};

/* Plurals and -ed or -ing: "caresses" -> "caress", "hopping" -> "hop", "filing" -> "file". */
static void step1ab(stemmer *z) {
  if (z->w[z->k] == 's') {
    if (ends(z, "sses"))
      z->k -= 2;
    else if (ends(z, "ies"))
      set_to(z, "i");
    else if (z->k >= 1 && z->w[z->k - 1] != 's')
      z->k--;
  }
  if (ends(z, "eed")) {
    if (measure(z) > 0)
      z->k--;
    return;
  }
  if (!((ends(z, "ed") || ends(z, "ing")) && vowel_in_stem(z)))
    return;
  z->k = z->j;
  if (ends(z, "at") || ends(z, "bl") || ends(z, "iz")) {
    z->j = z->k, set_to(z, "e");
    return;
  }
  if (double_cons(z, z->k)) {
    char c = z->w[z->k];
    z->k -= c != 'l' && c != 's' && c != 'z';
  } else {
    z->j = z->k;
    if (measure(z) == 1 && cvc(z, z->k))
      set_to(z, "e");
  }
}

/* A final y after a vowel in the stem is i ("happy" -> "happi"). */
static void step1c(stemmer *z) {
  if (ends(z, "y") && vowel_in_stem(z))
    z->w[z->k] = 'i';
}

static void step4(stemmer *z) {
  for (const char *const *e = step4_endings; *e; e++)
    if (ends(z, *e)) {
      bool ion = strcmp(*e, "ion") == 0;
      if (ion && !(z->j >= 0 && (z->w[z->j] == 's' || z->w[z->j] == 't')))
        return;
      if (measure(z) > 1)
        z->k = z->j;
      return;
    }
}

/* A final e off a long stem, and a final double l ("controll" -> "control"). */
static void step5(stemmer *z) {
  z->j = z->k;
  if (z->w[z->k] == 'e') {
    z->j = z->k - 1;
    int m = measure(z);
    if (m > 1 || (m == 1 && !cvc(z, z->k - 1)))
      z->k--;
  }
  z->j = z->k;
  if (z->w[z->k] == 'l' && double_cons(z, z->k) && measure(z) > 1)
    z->k--;
}

size_t baton__stem(char *w, size_t n) {
  if (n <= 2 || n > 1000)
    return n;
  for (size_t i = 0; i < n; i++)
    if (w[i] < 'a' || w[i] > 'z')
      return n;
  stemmer z = {w, (int)n - 1, 0};
  step1ab(&z);
  if (z.k > 0) {
    step1c(&z);
    apply_first(&z, step2_rules, 0);
    apply_first(&z, step3_rules, 0);
    step4(&z);
    step5(&z);
  }
  return (size_t)z.k + 1;
}

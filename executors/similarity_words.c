/* similarity_words.c — how the similarity measure reads words: light stems, stop words, weights. */
#include "executors/similarity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stopwords.h"
#include "core/util.h"
#include "core/banned.h"

#define SIM_LONG 12      /* stems this long or longer weigh the same */
#define SIM_COMMON 0.5   /* what a common word weighs beside another of its length */

/* Words that say nothing of what a text is about, besides the shared ones of core/stopwords.c
 * (which was written for requests). Lower-cased, sorted for bsearch. */
static const char *const sim_stop[] = {
    "above", "across", "again", "against", "ago", "ahead", "almost", "along", "already",
    "although", "always", "among", "amongst", "another", "anybody", "anyone", "anything", "anyway",
    "anywhere", "around", "became", "because", "before", "behind", "being", "below", "beneath",
    "beside", "besides", "beyond", "both", "can't", "cannot", "couldn't", "d", "didn't", "doesn't",
    "doing", "don't", "done", "down", "during", "either", "else", "elsewhere", "enough", "etc",
    "even", "ever", "every", "everybody", "everyone", "everything", "except", "few", "further",
    "hadn't", "hardly", "hasn't", "haven't", "having", "he'd", "he'll", "he's", "hence", "here",
    "here's", "hers", "herself", "himself", "however", "i'd", "i'll", "i'm", "i've", "isn't",
    "it'd", "it'll", "it's", "itself", "least", "less", "let's", "ll", "m", "many", "may", "maybe",
    "might", "mine", "more", "most", "mostly", "much", "must", "myself", "neither", "never",
    "nobody", "none", "nor", "nothing", "off", "often", "once", "only", "onto", "other", "others",
    "otherwise", "ought", "ours", "ourselves", "over", "own", "per", "perhaps", "quite", "rather",
    "re", "really", "s", "same", "shall", "shan't", "she'd", "she'll", "she's", "should",
    "shouldn't", "since", "somebody", "someone", "something", "sometimes", "somewhat", "soon",
    "still", "such", "t", "that's", "themselves", "there's", "therefore", "though", "through",
    "throughout", "thus", "together", "too", "toward", "towards", "under", "unless", "until",
    "upon", "ve", "very", "via", "wasn't", "we'd", "we'll", "we're", "we've", "weren't", "what's",
    "whatever", "whenever", "where's", "whereas", "wherever", "whether", "who's", "whoever",
    "whole", "whom", "whose", "why", "within", "without", "won't", "wouldn't", "yet", "you'd",
    "you'll", "you're", "you've", "yours", "yourself", "yourselves",
};

/* Common English words, as stems or with the "e" stemming drops ("make" for "making"): they tell
 * texts apart less than rarer ones. Sorted for bsearch. */
static const char *const sim_common[] = {
    "able", "add", "age", "air", "allow", "answer", "appear", "area", "ask", "away", "back", "bad",
    "base", "become", "begin", "believe", "best", "better", "big", "bit", "book", "bring", "build",
    "business", "buy", "call", "car", "care", "carry", "case", "cause", "change", "child",
    "children", "city", "clear", "close", "come", "common", "company", "consider", "continue",
    "country", "course", "cut", "day", "deal", "different", "door", "early", "easy", "end",
    "example", "experience", "eye", "face", "fact", "family", "far", "feel", "find", "fine",
    "first", "follow", "form", "free", "friend", "full", "game", "general", "girl", "go", "going",
    "good", "great", "group", "grow", "guy", "hand", "happen", "hard", "head", "hear", "help",
    "high", "hold", "home", "hope", "hour", "house", "idea", "important", "include", "information",
    "interest", "issue", "job", "keep", "kid", "kind", "know", "large", "last", "late", "later",
    "lead", "learn", "leave", "level", "life", "like", "line", "little", "live", "local", "long",
    "look", "lose", "lot", "love", "low", "main", "make", "man", "matter", "mean", "meet",
    "member", "men", "mind", "minute", "moment", "money", "month", "morning", "move", "name",
    "need", "new", "next", "nice", "night", "number", "offer", "office", "old", "open", "order",
    "page", "part", "people", "person", "place", "plan", "play", "point", "possible", "power",
    "present", "pretty", "problem", "program", "provide", "public", "put", "question", "read",
    "real", "reason", "remember", "report", "result", "right", "room", "run", "say", "school",
    "see", "seem", "sense", "serve", "set", "show", "side", "simple", "small", "sort", "speak",
    "spend", "stand", "start", "state", "stay", "stop", "story", "study", "sure", "system", "take",
    "talk", "tell", "term", "thing", "think", "time", "today", "top", "try", "turn", "type",
    "understand", "usual", "view", "wait", "walk", "watch", "water", "way", "week", "well", "win",
    "woman", "women", "word", "work", "world", "write", "wrong", "year", "yes", "young",
};

static int sim_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool sim_in(const char *const *list, size_t n, const char *w) {
  return bsearch(&w, list, n, sizeof *list, sim_cmp) != NULL;
}

/* How many bytes at s (before e) are not part of a word: 1 for an ASCII byte that is no letter
 * or digit, the length of a punctuation or space character outside ASCII, else 0. */
static size_t sim_sep_len(const unsigned char *s, const unsigned char *e) {
  if (*s < 0x80)
    return (*s >= '0' && *s <= '9') || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') ? 0 : 1;
  if (*s == 0xC2 && e - s >= 2 && (s[1] == 0xA0 || s[1] == 0xAB || s[1] == 0xBB))
    return 2; /* no-break space, guillemets */
  if (*s == 0xE2 && e - s >= 3 && (s[1] == 0x80 || (s[1] == 0x81 && s[2] <= 0xAF)) &&
      s[2] >= 0x80 && s[2] <= 0xBF)
    return 3; /* U+2000..U+206F: spaces, dashes, curly quotes, the ellipsis */
  return 0;
}

bool baton__sim_next_word(const char **at, const char *end, const char **w, size_t *n) {
  const unsigned char *s = (const unsigned char *)*at, *e = (const unsigned char *)end;
  size_t k;
  while (s < e && (k = sim_sep_len(s, e)) > 0)
    s += k;
  const unsigned char *start = s;
  while (s < e && (!sim_sep_len(s, e) || (*s == '\'' && s + 1 < e && !sim_sep_len(s + 1, e))))
    s++;
  *w = (const char *)start;
  *n = (size_t)(s - start);
  *at = (const char *)s;
  return *n > 0;
}

static bool sim_ends(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool sim_has_vowel(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] && strchr("aeiouy", s[i]))
      return true;
  return false;
}

/* The length of s[0, n) without a plural ending ("stories": "story", "boxes", "dogs"); "ied"
 * becomes "y" as well ("carried"). */
static size_t sim_plural(char *s, size_t n) {
  if (n > 4 && (sim_ends(s, n, "ies") || sim_ends(s, n, "ied"))) {
    s[n - 3] = 'y';
    return n - 2;
  }
  if (n > 4 && (sim_ends(s, n, "sses") || sim_ends(s, n, "ches") || sim_ends(s, n, "shes") ||
                sim_ends(s, n, "xes") || sim_ends(s, n, "zes")))
    return n - 2;
  if (n > 3 && s[n - 1] == 's' && !strchr("siu'", s[n - 2])) /* not "class", "bus", "basis" */
    return n - 1;
  return n;
}

/* The length of s[0, n) without "ing" or "ed" ("meeting", "opened"; a doubled consonant left
 * goes too: "stopped"), else without a final "e" ("make", so that "making" meets it). */
static size_t sim_suffix(const char *s, size_t n) {
  size_t k = 0;
  if (n > 5 && sim_ends(s, n, "ing") && sim_has_vowel(s, n - 3))
    k = 3; /* not "thing", "string" */
  else if (n > 4 && sim_ends(s, n, "ed") && s[n - 3] != 'e' && sim_has_vowel(s, n - 2))
    k = 2; /* not "need", "agreed" */
  if (!k)
    return n > 3 && s[n - 1] == 'e' ? n - 1 : n;
  n -= k;
  if (s[n - 1] == s[n - 2] && !strchr("aeiouylsdz", s[n - 1]))
    n--; /* "running", but "falling", "missed", "added" */
  return n;
}

void baton__sim_stem(const char *w, size_t n, char low[BATON__SIM_WORD],
                     char stem[BATON__SIM_WORD]) {
  n = n < BATON__SIM_WORD ? n : BATON__SIM_WORD - 1;
  baton__lower_copy(low, w, n);
  if (n > 2 && sim_ends(low, n, "'s"))
    n -= 2; /* "children's", "it's" */
  low[n] = '\0';
  memcpy(stem, low, n + 1);
  n = sim_suffix(stem, sim_plural(stem, n));
  stem[n] = '\0';
}

bool baton__sim_is_stop(const char *low) {
  return baton__is_stop_word(low) ||
         sim_in(sim_stop, sizeof sim_stop / sizeof sim_stop[0], low);
}

/* Whether the stem is that of a common word: as it is, or with the "e" stemming took off. */
static bool sim_is_common(const char *stem) {
  size_t n = strlen(stem), count = sizeof sim_common / sizeof sim_common[0];
  char e[BATON__SIM_WORD + 1];
  if (sim_in(sim_common, count, stem))
    return true;
  if (n + 1 >= sizeof e)
    return false;
  memcpy(e, stem, n);
  e[n] = 'e';
  e[n + 1] = '\0';
  return sim_in(sim_common, count, e);
}

double baton__sim_weight(const char *stem) {
  size_t n = strlen(stem);
  double w = sqrt((double)(n == 0 ? 1 : n < SIM_LONG ? n : SIM_LONG));
  return sim_is_common(stem) ? w * SIM_COMMON : w;
}

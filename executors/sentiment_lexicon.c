/* sentiment_lexicon.c — the sentiment executor's word tables as data (polarity words with their strengths and endings, intensifiers and downtoners, negations, clause words, emoticons), written for baton, and how a word is looked up in them. */
#include "executors/sentiment.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* Short names for the endings, for the tables. */
enum {
  SE_S = BATON__SE_S,
  SE_ER = BATON__SE_ER,
  SE_LY = BATON__SE_LY,
  SE_GUARDED = BATON__SE_GUARDED,
  SE_VERB = BATON__SE_S | BATON__SE_ED | BATON__SE_ING,
};

/*
 * The polarity words: strength 1 (mild: "fine", "bland") to 4 (extreme: "perfect", "awful"),
 * negative for the negative ones, and the endings each takes. Sorted (strcmp) for bsearch;
 * the tests check the order. Only words whose polarity rarely depends on their use: "pretty",
 * "well", "cheap", "hot" are left out, "please" is not "pleased", "like" counts only as a verb.
 */
const baton__se_entry baton__se_words[] = {
    {"absurd", -2, 0}, {"abysmal", -4, 0}, {"acceptable", 1, 0}, {"accurate", 2, SE_LY},
    {"admire", 3, SE_VERB}, {"adorable", 3, 0}, {"adore", 4, SE_VERB}, {"affordable", 1, 0},
    {"afraid", -2, 0}, {"alas", -1, 0}, {"amazed", 3, 0}, {"amazing", 4, SE_LY}, {"anger", -3, 0},
    {"angry", -3, SE_ER | SE_LY}, {"annoy", -2, SE_VERB}, {"annoyance", -2, 0}, {"anxious", -2, 0},
    {"appalling", -4, 0}, {"appreciate", 2, SE_VERB}, {"arrogant", -2, 0}, {"atrocious", -4, 0},
    {"attentive", 2, SE_LY}, {"awesome", 4, 0}, {"awful", -4, SE_LY}, {"awkward", -1, 0},
    {"bad", -2, 0}, {"badly", -2, 0}, {"bargain", 2, SE_S}, {"beautiful", 3, SE_LY},
    {"beauty", 2, SE_S}, {"benefit", 1, SE_VERB}, {"best", 4, 0}, {"better", 2, 0},
    {"bland", -1, 0}, {"bleak", -2, 0}, {"bless", 2, SE_VERB}, {"bore", -2, SE_VERB},
    {"brave", 2, SE_LY}, {"bravo", 3, 0}, {"breathtaking", 4, 0}, {"brilliant", 4, SE_LY},
    {"broken", -3, 0}, {"buggy", -2, 0}, {"calm", 1, SE_ER}, {"captivating", 3, 0},
    {"careless", -2, 0}, {"celebrate", 2, SE_VERB}, {"charming", 3, 0}, {"cheat", -3, SE_VERB},
    {"cheerful", 3, SE_LY}, {"clever", 2, SE_LY}, {"clumsy", -1, 0}, {"comfortable", 2, 0},
    {"comfortably", 2, 0}, {"compelling", 2, 0}, {"complain", -2, SE_VERB}, {"complaint", -2, SE_S},
    {"confident", 2, SE_LY}, {"confused", -1, 0}, {"confusing", -2, 0}, {"congrats", 3, 0},
    {"congratulations", 3, 0}, {"convenient", 2, 0}, {"cool", 2, SE_ER}, {"cosy", 2, 0},
    {"courteous", 2, 0}, {"cozy", 2, 0}, {"cramped", -1, 0}, {"crap", -3, 0}, {"crappy", -3, 0},
    {"crash", -2, SE_VERB}, {"cruel", -3, 0}, {"cry", -2, SE_VERB}, {"cute", 2, SE_ER},
    {"damaged", -2, 0}, {"dangerous", -2, 0}, {"decent", 1, SE_LY}, {"defective", -3, 0},
    {"delay", -1, SE_VERB}, {"delicious", 3, 0}, {"delight", 3, SE_VERB}, {"delightful", 3, SE_LY},
    {"depressed", -3, 0}, {"depressing", -3, 0}, {"despair", -3, 0}, {"desperate", -2, 0},
    {"despise", -4, SE_VERB}, {"detest", -4, SE_VERB}, {"difficult", -1, 0}, {"dirty", -2, 0},
    {"disappoint", -3, SE_VERB}, {"disappointment", -3, SE_S}, {"disaster", -3, SE_S},
    {"disastrous", -4, 0}, {"disgust", -3, SE_VERB}, {"disgusting", -4, 0}, {"dishonest", -3, 0},
    {"dislike", -2, SE_VERB}, {"disrespectful", -3, 0}, {"dissatisfied", -3, 0},
    {"dreadful", -4, SE_LY}, {"dull", -2, 0}, {"dumb", -2, 0}, {"durable", 2, 0}, {"eager", 2, 0},
    {"easy", 1, SE_ER | SE_LY}, {"effective", 2, SE_LY}, {"efficient", 2, SE_LY},
    {"elegant", 2, SE_LY}, {"embarrassed", -2, 0}, {"embarrassing", -2, 0}, {"engaging", 2, 0},
    {"enjoy", 3, SE_VERB}, {"enjoyable", 3, 0}, {"entertain", 2, SE_VERB}, {"enthusiastic", 3, 0},
    {"evil", -3, 0}, {"excellent", 4, SE_LY}, {"exceptional", 4, 0}, {"excite", 3, SE_VERB},
    {"exhausted", -2, 0}, {"expensive", -1, 0}, {"exquisite", 3, 0}, {"fabulous", 4, 0},
    {"fail", -3, SE_VERB}, {"failure", -3, SE_S}, {"fair", 1, 0}, {"fake", -2, 0},
    {"fantastic", 4, 0}, {"fascinating", 3, 0}, {"fast", 1, SE_ER}, {"faulty", -3, 0},
    {"favorite", 3, SE_S}, {"favourite", 3, SE_S}, {"fear", -2, SE_VERB}, {"filthy", -3, 0},
    {"fine", 1, 0}, {"flawless", 4, SE_LY}, {"flimsy", -2, 0}, {"fond", 2, 0}, {"fortunate", 2, 0},
    {"fraud", -3, 0}, {"fresh", 1, SE_ER}, {"friendly", 2, 0}, {"frustrate", -3, SE_VERB},
    {"frustration", -3, 0}, {"fun", 2, 0}, {"funny", 2, 0}, {"furious", -4, SE_LY}, {"fury", -4, 0},
    {"garbage", -3, 0}, {"gem", 3, SE_S}, {"generous", 2, SE_LY}, {"genius", 3, 0}, {"glad", 3, 0},
    {"gloomy", -2, 0}, {"glorious", 3, 0}, {"good", 2, 0}, {"gorgeous", 3, 0}, {"grateful", 3, 0},
    {"great", 3, SE_ER}, {"greedy", -2, 0}, {"grief", -3, 0}, {"grim", -2, 0}, {"gripping", 2, 0},
    {"gross", -3, 0}, {"handy", 2, 0}, {"happiness", 3, 0}, {"happy", 3, SE_ER | SE_LY},
    {"hassle", -2, 0}, {"hate", -3, SE_VERB}, {"hatred", -4, 0}, {"heartwarming", 3, 0},
    {"helpful", 2, 0}, {"hideous", -3, 0}, {"honest", 2, 0}, {"hooray", 3, 0}, {"hope", 1, SE_VERB},
    {"hopeful", 2, 0}, {"hopeless", -3, 0}, {"horrendous", -4, 0}, {"horrible", -4, SE_LY},
    {"horrid", -3, 0}, {"hostile", -3, 0}, {"hurt", -2, SE_VERB}, {"ideal", 3, 0},
    {"idiot", -3, SE_S}, {"idiotic", -3, 0}, {"impeccable", 4, 0}, {"impress", 3, SE_VERB},
    {"impressive", 3, SE_LY}, {"improve", 1, SE_VERB}, {"improvement", 1, SE_S},
    {"inadequate", -2, 0}, {"incompetent", -3, 0}, {"inferior", -2, 0}, {"inspire", 3, SE_VERB},
    {"insult", -3, SE_VERB}, {"interested", 1, 0}, {"interesting", 1, 0}, {"intuitive", 2, 0},
    {"irritate", -2, SE_VERB}, {"joy", 3, 0}, {"joyful", 3, 0}, {"junk", -3, 0}, {"kind", 2, 0},
    {"lack", -1, SE_VERB}, {"lame", -2, 0}, {"like", 2, SE_GUARDED}, {"liked", 2, 0},
    {"likes", 2, 0}, {"livid", -4, 0}, {"loathe", -4, SE_VERB}, {"lonely", -2, 0}, {"lousy", -3, 0},
    {"love", 3, SE_VERB}, {"lovely", 3, 0}, {"lucky", 2, 0}, {"mad", -2, 0}, {"magical", 3, 0},
    {"magnificent", 4, 0}, {"marvellous", 4, 0}, {"marvelous", 4, 0}, {"masterpiece", 4, SE_S},
    {"mediocre", -2, 0}, {"meh", -1, 0}, {"mess", -2, 0}, {"messy", -1, 0}, {"miserable", -3, 0},
    {"misleading", -2, 0}, {"mistake", -2, SE_S}, {"nasty", -3, 0}, {"neat", 1, 0},
    {"negative", -2, 0}, {"nervous", -1, 0}, {"nice", 2, SE_ER | SE_LY}, {"nightmare", -3, SE_S},
    {"noisy", -1, 0}, {"obnoxious", -3, 0}, {"offensive", -3, 0}, {"ok", 1, 0}, {"okay", 1, 0},
    {"optimistic", 2, 0}, {"outraged", -4, 0}, {"outstanding", 4, 0}, {"overpriced", -2, 0},
    {"overrated", -2, 0}, {"pain", -2, 0}, {"painful", -2, 0}, {"paradise", 3, 0},
    {"pathetic", -3, 0}, {"peaceful", 2, 0}, {"perfect", 4, 0}, {"perfection", 4, 0},
    {"pessimistic", -2, 0}, {"phenomenal", 4, 0}, {"pissed", -3, 0}, {"pleasant", 2, SE_LY},
    {"pleased", 3, 0}, {"pleasing", 2, 0}, {"pleasure", 3, 0}, {"pointless", -2, 0},
    {"polite", 2, 0}, {"poor", -2, SE_ER}, {"poorly", -2, 0}, {"positive", 2, 0},
    {"praise", 2, SE_VERB}, {"problem", -2, SE_S}, {"professional", 2, 0}, {"proud", 2, 0},
    {"quick", 1, SE_ER | SE_LY}, {"rage", -3, 0}, {"recommend", 2, SE_VERB}, {"refreshing", 2, 0},
    {"regret", -2, SE_VERB}, {"relax", 2, SE_VERB}, {"reliable", 2, 0}, {"remarkable", 3, 0},
    {"ridiculous", -2, 0}, {"ripoff", -3, 0}, {"robust", 1, 0}, {"rubbish", -3, 0},
    {"rude", -3, SE_ER | SE_LY}, {"sad", -2, SE_ER | SE_LY}, {"sadness", -3, 0}, {"safe", 1, 0},
    {"satisfactory", 1, 0}, {"satisfy", 2, SE_VERB}, {"scam", -3, SE_S}, {"scare", -2, SE_VERB},
    {"scary", -2, 0}, {"shame", -2, 0}, {"shameful", -3, 0}, {"shoddy", -3, 0}, {"sick", -2, 0},
    {"sloppy", -2, 0}, {"slow", -2, SE_ER}, {"smart", 2, 0}, {"smelly", -2, 0},
    {"smile", 2, SE_VERB}, {"smooth", 1, SE_ER}, {"solid", 1, 0}, {"sorrow", -3, 0},
    {"sorry", -1, 0}, {"spectacular", 4, 0}, {"splendid", 3, 0}, {"spotless", 3, 0},
    {"stale", -2, 0}, {"stink", -3, SE_VERB}, {"stressful", -2, 0}, {"stunning", 4, 0},
    {"stupid", -3, 0}, {"sturdy", 2, 0}, {"stylish", 2, 0}, {"sublime", 3, 0}, {"success", 2, 0},
    {"successful", 2, SE_LY}, {"suck", -3, SE_VERB}, {"superb", 4, SE_LY}, {"superior", 2, 0},
    {"supportive", 2, 0}, {"sweet", 2, 0}, {"tasty", 2, 0}, {"tedious", -2, 0},
    {"terrible", -4, SE_LY}, {"terrific", 4, 0}, {"terrified", -3, 0}, {"thank", 2, SE_VERB},
    {"thankful", 3, 0}, {"thrilled", 4, 0}, {"tired", -1, 0},
    {"touching", 2, 0}, {"tragedy", -3, 0}, {"tragic", -3, 0}, {"trash", -3, 0},
    {"trustworthy", 2, 0}, {"ugh", -2, 0}, {"ugly", -3, 0}, {"unacceptable", -3, 0},
    {"unbearable", -4, 0}, {"uncomfortable", -2, 0}, {"underwhelming", -2, 0},
    {"unfortunate", -2, 0}, {"unfortunately", -1, 0}, {"unfriendly", -2, 0}, {"unhappy", -3, 0},
    {"unhelpful", -2, 0}, {"unpleasant", -2, 0}, {"unprofessional", -3, 0}, {"unreliable", -2, 0},
    {"unusable", -3, 0}, {"uplifting", 3, 0}, {"upset", -3, SE_VERB}, {"useful", 2, 0},
    {"useless", -3, 0}, {"valuable", 2, 0}, {"vibrant", 2, 0}, {"waste", -3, SE_VERB},
    {"welcoming", 2, 0}, {"win", 2, SE_S}, {"winner", 2, SE_S}, {"wonderful", 4, SE_LY},
    {"worry", -2, SE_VERB}, {"worse", -3, 0}, {"worst", -4, 0}, {"worth", 1, 0},
    {"worthless", -3, 0}, {"worthwhile", 2, 0}, {"wow", 3, 0}, {"wrong", -2, 0}, {"yay", 3, 0},
    {"yuck", -3, 0},
};
const size_t baton__se_n_words = sizeof baton__se_words / sizeof baton__se_words[0];

/* Intensifiers (over 100) and downtoners (under 100): the percentage they scale the next
 * polarity word by ("very good" is good at 150%). Two-word ones ("a bit", "kind of") are read
 * as such by the rules. Sorted. */
const baton__se_entry baton__se_modifiers[] = {
    {"absolutely", 160, 0}, {"awfully", 150, 0}, {"completely", 150, 0}, {"deeply", 150, 0},
    {"especially", 130, 0}, {"exceedingly", 160, 0}, {"exceptionally", 170, 0},
    {"extraordinarily", 170, 0}, {"extremely", 180, 0}, {"fairly", 80, 0}, {"far", 130, 0},
    {"genuinely", 130, 0}, {"greatly", 140, 0}, {"highly", 150, 0}, {"hugely", 150, 0},
    {"immensely", 160, 0}, {"incredibly", 170, 0}, {"insanely", 160, 0}, {"intensely", 150, 0},
    {"kinda", 60, 0}, {"marginally", 50, 0}, {"mildly", 60, 0}, {"moderately", 70, 0},
    {"most", 140, 0}, {"mostly", 80, 0}, {"much", 120, 0}, {"partially", 60, 0},
    {"particularly", 130, 0}, {"partly", 60, 0}, {"perfectly", 130, 0}, {"pretty", 120, 0},
    {"quite", 110, 0}, {"rather", 80, 0}, {"really", 140, 0}, {"reasonably", 80, 0},
    {"relatively", 80, 0}, {"remarkably", 150, 0}, {"seriously", 140, 0}, {"slightly", 50, 0},
    {"so", 140, 0}, {"somewhat", 60, 0}, {"sorta", 60, 0}, {"such", 130, 0}, {"super", 150, 0},
    {"terribly", 150, 0}, {"thoroughly", 150, 0}, {"too", 130, 0}, {"totally", 150, 0},
    {"truly", 140, 0}, {"unbelievably", 170, 0}, {"utterly", 170, 0}, {"very", 150, 0},
};
const size_t baton__se_n_modifiers = sizeof baton__se_modifiers / sizeof baton__se_modifiers[0];

/* Words that negate what follows, besides every word ending in "n't"; the forms written without
 * the apostrophe ("dont") too. Sorted. */
static const char *const se_negators[] = {
    "aint", "arent", "barely", "cannot", "cant", "couldnt", "didnt", "doesnt", "dont", "hadnt",
    "hardly", "hasnt", "havent", "isnt", "neither", "never", "no", "nobody", "none", "nor", "not",
    "nothing", "scarcely", "shouldnt", "wasnt", "werent", "without", "wont", "wouldnt", NULL,
};

/* Words after which a guarded word ("like") is a verb of liking: subjects, auxiliaries and the
 * adverbs that come between ("I really like"). Sorted. */
static const char *const se_guards[] = {
    "actually", "also", "always", "definitely", "did", "do", "does", "he", "i", "really", "she",
    "still", "they", "truly", "we", "who", "you", NULL,
};

/* Words that join clauses of unequal weight. */
static const struct {
  const char *word;
  int role;
} se_clause_words[] = {
    {"but", BATON__SE_CONTRAST},          {"however", BATON__SE_CONTRAST},
    {"nevertheless", BATON__SE_CONTRAST}, {"nonetheless", BATON__SE_CONTRAST},
    {"although", BATON__SE_CONCESSION},   {"though", BATON__SE_CONCESSION},
    {"despite", BATON__SE_CONCESSION},
};

/* Emoticons and emoji with their strength; the ASCII ones must stand apart from words. */
static const struct {
  const char *text;
  int strength;
} se_emoticons[] = {
    {":-)", 2}, {":)", 2}, {"=)", 2}, {":-D", 3}, {":D", 3}, {";-)", 1}, {";)", 1}, {"<3", 3},
    {":'(", -3}, {">:(", -3}, {":-(", -2}, {":(", -2}, {":-/", -1}, {":/", -1},
    {"\xf0\x9f\x98\x80", 2},  /* U+1F600 grinning face */
    {"\xf0\x9f\x98\x81", 2},  /* U+1F601 beaming face */
    {"\xf0\x9f\x98\x82", 2},  /* U+1F602 tears of joy */
    {"\xf0\x9f\x98\x83", 2},  /* U+1F603 grinning, big eyes */
    {"\xf0\x9f\x98\x84", 2},  /* U+1F604 grinning, smiling eyes */
    {"\xf0\x9f\x98\x8a", 2},  /* U+1F60A smiling eyes */
    {"\xf0\x9f\x98\x8d", 3},  /* U+1F60D heart eyes */
    {"\xf0\x9f\xa5\xb0", 3},  /* U+1F970 smiling face with hearts */
    {"\xf0\x9f\x91\x8d", 2},  /* U+1F44D thumbs up */
    {"\xf0\x9f\x91\x8f", 2},  /* U+1F44F clapping hands */
    {"\xf0\x9f\x99\x82", 1},  /* U+1F642 slightly smiling */
    {"\xf0\x9f\x8e\x89", 2},  /* U+1F389 party popper */
    {"\xe2\x9d\xa4", 3},      /* U+2764 heart */
    {"\xe2\x99\xa5", 2},      /* U+2665 heart suit */
    {"\xf0\x9f\x98\xa2", -2}, /* U+1F622 crying */
    {"\xf0\x9f\x98\xad", -3}, /* U+1F62D sobbing */
    {"\xf0\x9f\x98\x9e", -2}, /* U+1F61E disappointed */
    {"\xf0\x9f\x98\x92", -2}, /* U+1F612 unamused */
    {"\xf0\x9f\x98\xa0", -3}, /* U+1F620 angry */
    {"\xf0\x9f\x98\xa1", -3}, /* U+1F621 pouting */
    {"\xf0\x9f\xa4\xac", -4}, /* U+1F92C cursing */
    {"\xf0\x9f\xa4\xae", -3}, /* U+1F92E vomiting */
    {"\xf0\x9f\x91\x8e", -2}, /* U+1F44E thumbs down */
    {"\xf0\x9f\x99\x81", -1}, /* U+1F641 slightly frowning */
    {"\xe2\x98\xb9", -2},     /* U+2639 frowning */
    {"\xf0\x9f\x92\x94", -3}, /* U+1F494 broken heart */
};

/* The bases a word may come from by its ending: the ending, what replaces it, the form the
 * base must take. Tried in order; a doubled final consonant is undone too ("sadder"). */
static const struct {
  const char *end, *base;
  unsigned form;
} se_endings[] = {
    {"ies", "y", BATON__SE_S},   {"es", "", BATON__SE_S},      {"s", "", BATON__SE_S},
    {"ied", "y", BATON__SE_ED},  {"ed", "", BATON__SE_ED},     {"ed", "e", BATON__SE_ED},
    {"ing", "", BATON__SE_ING},  {"ing", "e", BATON__SE_ING},  {"iest", "y", BATON__SE_ER},
    {"ier", "y", BATON__SE_ER},  {"est", "", BATON__SE_ER},    {"est", "e", BATON__SE_ER},
    {"er", "", BATON__SE_ER},    {"er", "e", BATON__SE_ER},    {"ily", "y", BATON__SE_LY},
    {"bly", "ble", BATON__SE_LY}, {"ly", "", BATON__SE_LY},
};

/* A word as a bsearch key: w[0, n), not NUL-terminated, no NUL inside. */
typedef struct se_key {
  const char *w;
  size_t n;
} se_key;

static int se_cmp_word(const se_key *k, const char *word) {
  int c = strncmp(k->w, word, k->n);
  return c ? c : (word[k->n] ? -1 : 0);
}

static int se_cmp_entry(const void *k, const void *e) {
  return se_cmp_word(k, ((const baton__se_entry *)e)->word);
}

static int se_cmp_string(const void *k, const void *e) {
  return se_cmp_word(k, *(const char *const *)e);
}

static const baton__se_entry *se_find(const baton__se_entry *t, size_t nt, const char *w,
                                      size_t n) {
  se_key k = {w, n};
  return n ? bsearch(&k, t, nt, sizeof *t, se_cmp_entry) : NULL;
}

/* Whether w[0, n) is in the sorted, NULL-ended list of nl words and the NULL. */
static bool se_listed(const char *const *list, size_t nl, const char *w, size_t n) {
  se_key k = {w, n};
  return n && bsearch(&k, list, nl - 1, sizeof *list, se_cmp_string) != NULL;
}

static bool se_vowel(char c) { return c && strchr("aeiouy", c) != NULL; }

/* The strength of w[0, n) read as a base with the ending of rule r, or 0. */
static int se_by_ending(const char *w, size_t n, size_t r) {
  size_t el = strlen(se_endings[r].end), bl = strlen(se_endings[r].base);
  if (n < el + 2 || memcmp(w + n - el, se_endings[r].end, el) != 0)
    return 0;
  char base[BATON__SE_MAX_WORD + 4];
  size_t stem = n - el;
  memcpy(base, w, stem);
  memcpy(base + stem, se_endings[r].base, bl);
  const baton__se_entry *e = se_find(baton__se_words, baton__se_n_words, base, stem + bl);
  if (!e && !bl && se_endings[r].form != BATON__SE_S && stem >= 3 &&
      base[stem - 1] == base[stem - 2] && !se_vowel(base[stem - 1]))
    e = se_find(baton__se_words, baton__se_n_words, base, stem - 1);
  return e && (e->forms & se_endings[r].form) ? e->value : 0;
}

int baton__se_strength(const char *w, size_t n, bool *guarded) {
  *guarded = false;
  if (n > BATON__SE_MAX_WORD)
    return 0;
  const baton__se_entry *e = se_find(baton__se_words, baton__se_n_words, w, n);
  if (e) {
    *guarded = (e->forms & BATON__SE_GUARDED) != 0;
    return e->value;
  }
  for (size_t r = 0; r < sizeof se_endings / sizeof se_endings[0]; r++) {
    int v = se_by_ending(w, n, r);
    if (v)
      return v;
  }
  return 0;
}

int baton__se_modifier(const char *w, size_t n) {
  const baton__se_entry *e = se_find(baton__se_modifiers, baton__se_n_modifiers, w, n);
  return e ? e->value : 0;
}

bool baton__se_negator(const char *w, size_t n) {
  if (n >= 4 && memcmp(w + n - 3, "n't", 3) == 0)
    return true;
  return se_listed(se_negators, sizeof se_negators / sizeof se_negators[0], w, n);
}

bool baton__se_guard(const char *w, size_t n) {
  return se_listed(se_guards, sizeof se_guards / sizeof se_guards[0], w, n);
}

int baton__se_clause_word(const char *w, size_t n) {
  for (size_t i = 0; i < sizeof se_clause_words / sizeof se_clause_words[0]; i++)
    if (strlen(se_clause_words[i].word) == n && memcmp(se_clause_words[i].word, w, n) == 0)
      return se_clause_words[i].role;
  return BATON__SE_PLAIN;
}

/* Whether the byte at `at` of s[0, len) is an ASCII letter or digit (false outside). */
static bool se_alnum_at(const char *s, size_t len, size_t at) {
  unsigned char c = at < len ? (unsigned char)s[at] : 0;
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int baton__se_emoticon(const char *s, size_t len, size_t at, size_t *n) {
  *n = 0;
  for (size_t i = 0; at < len && i < sizeof se_emoticons / sizeof se_emoticons[0]; i++) {
    size_t k = strlen(se_emoticons[i].text);
    if (k > len - at || memcmp(s + at, se_emoticons[i].text, k) != 0)
      continue;
    bool ascii = (unsigned char)se_emoticons[i].text[0] < 0x80;
    if (ascii && ((at > 0 && se_alnum_at(s, len, at - 1)) || se_alnum_at(s, len, at + k) ||
                  (at + k < len && s[at + k] == '/')))
      continue;
    *n = k;
    return se_emoticons[i].strength;
  }
  return 0;
}

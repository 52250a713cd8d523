/* sentiment.h — the rule-based polarity reader behind the "sentiment" executor, shared by its
 * files (sentiment.c: the executor; sentiment_rules.c: reading a text clause by clause;
 * sentiment_lexicon.c: the word tables as data); the executor itself is declared in executor.h.
 * Internal: nothing here is API. All functions are pure and thread-safe. */
#ifndef BATON_EXECUTORS_SENTIMENT_H
#define BATON_EXECUTORS_SENTIMENT_H

#include <stdbool.h>
#include <stddef.h>

/* What a text says for and against, after negation, intensifiers and the weight of each clause
 * ("but": the clause after it counts more). */
typedef struct baton__polarity {
  double positive, negative; /* the evidence each way, >= 0 */
  size_t cues;               /* words and emoticons that carried a polarity */
  size_t words;              /* words read */
} baton__polarity;

/* Reads s[0, len) (any bytes; not necessarily NUL-terminated) into *out. Linear in len; the
 * caller bounds len. */
void baton__polarity_read(const char *s, size_t len, baton__polarity *out);

/* The three labels' probabilities (each in [0, 1], summing to 1) from the evidence: a softmax
 * over the evidence each way and a fixed prior for NEUTRAL, so that a text with no cue is
 * NEUTRAL and one strong word is clearly its polarity; over many cues the evidence is scaled
 * down, so that a long text's score follows its balance rather than its length. */
void baton__polarity_scores(const baton__polarity *p, double *positive, double *negative,
                            double *neutral);

/* ---- the tables (sentiment_lexicon.c) ---------------------------------------------------- */

/* The endings a word of the lexicon takes: -s/-es, -ed/-d, -ing, -er/-est, -ly (a final "y"
 * becomes "i", a final "e" may drop, a final consonant may double: "worried", "loving",
 * "sadder", "happily", "terribly"). BATON__SE_GUARDED: the bare word counts only after a
 * subject or a negation ("I like", "don't like"; not "looks like"). */
enum {
  BATON__SE_S = 1,
  BATON__SE_ED = 2,
  BATON__SE_ING = 4,
  BATON__SE_ER = 8,
  BATON__SE_LY = 16,
  BATON__SE_GUARDED = 32,
};

/* The longest word looked up; longer ones carry no polarity. */
#define BATON__SE_MAX_WORD 32

/* The polarity of the lower-case word w[0, n) (ASCII letters and apostrophes): its strength,
 * -4 (most negative) to 4, as written or by one of the endings its entry takes; 0 when the
 * lexicon has none. *guarded tells whether the match counts only after a subject. */
int baton__se_strength(const char *w, size_t n, bool *guarded);

/* A word that scales the next polarity word ("very" 150, "slightly" 50): the percentage, or 0. */
int baton__se_modifier(const char *w, size_t n);

/* Whether the word negates what follows: "not", "never", "without", any word ending in "n't". */
bool baton__se_negator(const char *w, size_t n);

/* Whether the word lets a guarded word count after it ("I", "we", "really", "do"). */
bool baton__se_guard(const char *w, size_t n);

/* What a word does to the clauses around it (baton__se_clause_word). */
enum {
  BATON__SE_PLAIN = 0,
  BATON__SE_CONTRAST,   /* "but", "however": what follows weighs more, what went before less */
  BATON__SE_CONCESSION, /* "although", "despite": the clause it opens weighs less, the rest of
                           the sentence more */
};
/* The clause role of the word w[0, n): one of the above. */
int baton__se_clause_word(const char *w, size_t n);

/* The emoticon or emoji that starts at s[at] (":)", ":-(", "<3", U+1F600...): its strength, its
 * length in *n; 0 when none starts there. An ASCII emoticon must stand apart from letters and
 * digits ("http://" holds none). */
int baton__se_emoticon(const char *s, size_t len, size_t at, size_t *n);

/* The tables themselves, for the tests: sorted by word, no word twice. */
typedef struct baton__se_entry {
  const char *word;
  int value; /* strength -4..4 (words), percentage (modifiers) */
  unsigned forms;
} baton__se_entry;
extern const baton__se_entry baton__se_words[];
extern const size_t baton__se_n_words;
extern const baton__se_entry baton__se_modifiers[];
extern const size_t baton__se_n_modifiers;

#endif

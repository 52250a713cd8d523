/* similarity.h — the lexical measure behind the "similarity" executor, shared by its files
 * (similarity.c: the executor; similarity_score.c: weighted word bags and character trigrams
 * compared; similarity_words.c: words, stems, stop words and weights); the executor itself is
 * declared in executor.h. Internal: nothing here is API. All functions are pure and
 * thread-safe.
 *
 * It measures word overlap, not meaning: "I loved the movie" and "the film was great" share no
 * word and score 0; "a dog barks" and "a hound barks" share "barks" only. */
#ifndef BATON_EXECUTORS_SIMILARITY_H
#define BATON_EXECUTORS_SIMILARITY_H

#include <stdbool.h>
#include <stddef.h>

#define BATON__SIM_WORD 32  /* bytes of a word kept, its NUL included: longer words are cut */
#define BATON__SIM_SHARED 5 /* shared words named at most */

/* ---- similarity_words.c: reading words ---------------------------------------------------- */

/* The next word of [*at, end), any bytes: ASCII letters and digits, an apostrophe between two
 * of them ("children's"), and any byte of a character outside ASCII but the punctuation of
 * U+2000..U+206F, the no-break space and guillemets. Its span in *w and *n, *at moved past it;
 * false when none is left. */
bool baton__sim_next_word(const char **at, const char *end, const char **w, size_t *n);

/* The word w[0, n) lower-cased (ASCII letters only) and without a possessive "'s" into low,
 * and its light stem into stem ("meetings", "meeting" and "meet" meet; "stories": "story"),
 * each cut to fit. */
void baton__sim_stem(const char *w, size_t n, char low[BATON__SIM_WORD],
                     char stem[BATON__SIM_WORD]);

/* Whether the lower-cased word says nothing of what a text is about ("the", "which",
 * "however"). */
bool baton__sim_is_stop(const char *low);

/* How much a stem counts: more the longer it is, less when it is a common English word
 * ("make", "year", "good"). Always > 0. */
double baton__sim_weight(const char *stem);

/* ---- similarity_score.c: two texts compared ----------------------------------------------- */

typedef struct baton__sim_result {
  double score;    /* the blend of the two below, 0 to 1 */
  double words;    /* cosine of the weighted bags of stems, 0 to 1 */
  double trigrams; /* cosine of the character trigrams of the same words, 0 to 1 */
  bool stop_words; /* a text had only stop words, so stop words were compared too */
  size_t n_shared; /* how many of shared are set */
  /* the shared words that weigh most, heaviest first, lower-cased as the first text has them */
  char shared[BATON__SIM_SHARED][BATON__SIM_WORD];
} baton__sim_result;

/* Compares a[0, alen) with b[0, blen), any bytes (neither needs a NUL). score, words and
 * trigrams do not depend on which text comes first. Two texts without a word score 0. Time
 * O(n log n); memory about 20 bytes per byte of the texts for prose, at most about 60 (one
 * letter words). 0, or -1 when out of memory (then *r is zeroed). */
int baton__sim_compare(const char *a, size_t alen, const char *b, size_t blen,
                       baton__sim_result *r);

#endif

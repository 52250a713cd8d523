/* fuzz_similarity.c — libFuzzer target: the similarity measure on any bytes, symmetric, bounded. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "executors/similarity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every word lies inside the text, is not empty, and the walk moves on; how many there are. */
static size_t fz_words(const char *s, size_t len) {
  const char *at = s, *w;
  size_t n, words = 0;
  char low[BATON__SIM_WORD], stem[BATON__SIM_WORD];
  while (baton__sim_next_word(&at, s + len, &w, &n)) {
    if (w < s || n == 0 || w + n > s + len || at != w + n)
      abort();
    baton__sim_stem(w, n, low, stem);
    if (strlen(low) >= BATON__SIM_WORD || strlen(stem) > strlen(low) ||
        !(baton__sim_weight(stem) > 0))
      abort();
    words++;
  }
  if (at != s + len)
    abort();
  return words;
}

static void fz_check(const baton__sim_result *r) {
  if (!(r->score >= 0 && r->score <= 1) || !(r->words >= 0 && r->words <= 1) ||
      !(r->trigrams >= 0 && r->trigrams <= 1) || r->n_shared > BATON__SIM_SHARED)
    abort();
  for (size_t i = 0; i < r->n_shared; i++)
    if (!r->shared[i][0] || !memchr(r->shared[i], '\0', BATON__SIM_WORD))
      abort();
  if (r->n_shared && !(r->words > 0))
    abort();
}

/* The bytes are two texts, split at the first NUL, else in the middle. Each is compared with
 * the other both ways (the same scores) and with itself (1 when it has a word). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data, *nul = memchr(s, '\0', size);
  size_t alen = nul ? (size_t)(nul - s) : size / 2;
  const char *b = nul ? nul + 1 : s + alen;
  size_t blen = size - (size_t)(b - s);
  baton__sim_result ab, ba, aa;
  size_t words = fz_words(s, alen);
  fz_words(b, blen);
  if (baton__sim_compare(s, alen, b, blen, &ab) != 0 ||
      baton__sim_compare(b, blen, s, alen, &ba) != 0 ||
      baton__sim_compare(s, alen, s, alen, &aa) != 0)
    abort();
  fz_check(&ab);
  fz_check(&ba);
  fz_check(&aa);
  if (ab.score != ba.score || ab.words != ba.words || ab.trigrams != ba.trigrams ||
      ab.n_shared != ba.n_shared || ab.stop_words != ba.stop_words)
    abort();
  if (words > 0 && fabs(aa.score - 1.0) > 1e-9)
    abort();
  return 0;
}

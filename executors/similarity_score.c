/* similarity_score.c — two texts compared: weighted bags of word stems and their trigrams. */
#include "executors/similarity.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define SIM_WORD_SHARE 0.75 /* of the score from the words; the rest from their trigrams */

/* A word of a text: its stem's hash, where it is written first, how much its stem weighs and,
 * once counted, how often the text has it. */
typedef struct sim_term {
  uint64_t key;
  size_t at, len; /* the word as written: text[at, at + len) */
  double weight;
  size_t count;
} sim_term;

/* A character trigram of a word (with a mark for its start and its end) and how often. */
typedef struct sim_gram {
  uint32_t g;
  uint32_t count;
} sim_gram;

/* What a text has to compare: its words but the stop words (or all of them), and their
 * trigrams; terms and grams sorted and counted by sim_count. */
typedef struct sim_profile {
  sim_term *terms;
  sim_gram *grams;
  size_t n_terms, n_grams, cap_terms, cap_grams;
  size_t words; /* every word read, stop words too */
} sim_profile;

/* One shared stem: its share of the words' cosine and the first text's word for it. */
typedef struct sim_shared {
  double part;
  uint64_t key;
  size_t at, len;
} sim_shared;

static void sim_free(sim_profile *p) {
  free(p->terms);
  free(p->grams);
  memset(p, 0, sizeof *p);
}

/* Room in *arr (of size elements, *cap of them) for one more than n. false when out of memory. */
static bool sim_room(void **arr, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return true;
  size_t want = *cap ? *cap * 2 : 256;
  if (want > SIZE_MAX / size / 2)
    return false;
  void *p = realloc(*arr, want * size);
  if (!p)
    return false;
  *arr = p;
  *cap = want;
  return true;
}

/* FNV-1a, 64 bits. */
static uint64_t sim_hash(const char *s) {
  uint64_t h = 14695981039346656037ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Adds the trigrams of the lower-cased word: "dog" gives "^do", "dog", "og$". */
static bool sim_add_grams(sim_profile *p, const char *low) {
  unsigned char pad[BATON__SIM_WORD + 2];
  size_t m = strlen(low);
  pad[0] = 1;
  memcpy(pad + 1, low, m);
  pad[m + 1] = 2;
  for (size_t i = 0; i < m; i++) {
    if (!sim_room((void **)&p->grams, &p->cap_grams, p->n_grams, sizeof *p->grams))
      return false;
    p->grams[p->n_grams++] =
        (sim_gram){(uint32_t)pad[i] << 16 | (uint32_t)pad[i + 1] << 8 | pad[i + 2], 1};
  }
  return true;
}

/* Reads the words of s[0, len) into p, stop words too when stops. false when out of memory. */
static bool sim_read(const char *s, size_t len, bool stops, sim_profile *p) {
  const char *at = s, *w;
  size_t n;
  char low[BATON__SIM_WORD], stem[BATON__SIM_WORD];
  while (baton__sim_next_word(&at, s + len, &w, &n)) {
    p->words++;
    baton__sim_stem(w, n, low, stem);
    if (!stops && baton__sim_is_stop(low))
      continue;
    if (!sim_room((void **)&p->terms, &p->cap_terms, p->n_terms, sizeof *p->terms))
      return false;
    p->terms[p->n_terms++] =
        (sim_term){sim_hash(stem), (size_t)(w - s), n, baton__sim_weight(stem), 1};
    if (!sim_add_grams(p, low))
      return false;
  }
  return true;
}

static int sim_cmp_term(const void *x, const void *y) {
  const sim_term *a = x, *b = y;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return a->at < b->at ? -1 : a->at > b->at;
}

static int sim_cmp_gram(const void *x, const void *y) {
  const sim_gram *a = x, *b = y;
  return a->g < b->g ? -1 : a->g > b->g;
}

/* Sorts the terms and the trigrams and keeps one of each with its count (the first place a
 * stem is written). */
static void sim_count(sim_profile *p) {
  size_t k = 0;
  if (p->n_terms)
    qsort(p->terms, p->n_terms, sizeof *p->terms, sim_cmp_term);
  for (size_t i = 0; i < p->n_terms; i++)
    if (k > 0 && p->terms[k - 1].key == p->terms[i].key)
      p->terms[k - 1].count++;
    else
      p->terms[k++] = p->terms[i];
  p->n_terms = k;
  k = 0;
  if (p->n_grams)
    qsort(p->grams, p->n_grams, sizeof *p->grams, sim_cmp_gram);
  for (size_t i = 0; i < p->n_grams; i++)
    if (k > 0 && p->grams[k - 1].g == p->grams[i].g)
      p->grams[k - 1].count++;
    else
      p->grams[k++] = p->grams[i];
  p->n_grams = k;
}

/* A stem's value in its text's vector: its weight, growing slowly with its count. */
static double sim_value(const sim_term *t) { return t->weight * (1.0 + log((double)t->count)); }

static double sim_gram_value(const sim_gram *g) { return 1.0 + log((double)g->count); }

/* Whether shared stem s goes before t: it weighs more, or as much with a smaller key (so that the
 * order of the texts does not matter). */
static bool sim_before(const sim_shared *s, const sim_shared *t) {
  return s->part > t->part || (s->part == t->part && s->key < t->key);
}

/* Keeps s among the BATON__SIM_SHARED heaviest shared stems top[0, *n), heaviest first. */
static void sim_keep(sim_shared *top, size_t *n, sim_shared s) {
  size_t i = *n;
  while (i > 0 && sim_before(&s, &top[i - 1]))
    i--;
  if (i >= BATON__SIM_SHARED)
    return;
  size_t last = *n < BATON__SIM_SHARED ? (*n)++ : BATON__SIM_SHARED - 1;
  memmove(top + i + 1, top + i, (last - i) * sizeof *top);
  top[i] = s;
}

static double sim_cosine(double dot, double na, double nb) {
  double c = na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0;
  return c < 0 ? 0 : c > 1 ? 1 : c;
}

/* The cosine of the two bags of stems; the heaviest shared stems into r, as text a writes them. */
static double sim_words(const sim_profile *pa, const sim_profile *pb, const char *a,
                        baton__sim_result *r) {
  double dot = 0, na = 0, nb = 0;
  sim_shared top[BATON__SIM_SHARED];
  size_t n_top = 0;
  for (size_t i = 0; i < pa->n_terms; i++)
    na += sim_value(&pa->terms[i]) * sim_value(&pa->terms[i]);
  for (size_t j = 0; j < pb->n_terms; j++)
    nb += sim_value(&pb->terms[j]) * sim_value(&pb->terms[j]);
  for (size_t i = 0, j = 0; i < pa->n_terms && j < pb->n_terms;) {
    const sim_term *x = &pa->terms[i], *y = &pb->terms[j];
    if (x->key != y->key) {
      i += x->key < y->key;
      j += x->key > y->key;
      continue;
    }
    double part = sim_value(x) * sim_value(y);
    dot += part;
    sim_keep(top, &n_top, (sim_shared){part, x->key, x->at, x->len});
    i++;
    j++;
  }
  for (size_t k = 0; k < n_top; k++) {
    char stem[BATON__SIM_WORD];
    baton__sim_stem(a + top[k].at, top[k].len, r->shared[k], stem);
  }
  r->n_shared = n_top;
  return sim_cosine(dot, na, nb);
}

/* The cosine of the two texts' trigram counts. */
static double sim_trigrams(const sim_profile *pa, const sim_profile *pb) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < pa->n_grams; i++)
    na += sim_gram_value(&pa->grams[i]) * sim_gram_value(&pa->grams[i]);
  for (size_t j = 0; j < pb->n_grams; j++)
    nb += sim_gram_value(&pb->grams[j]) * sim_gram_value(&pb->grams[j]);
  for (size_t i = 0, j = 0; i < pa->n_grams && j < pb->n_grams;) {
    const sim_gram *x = &pa->grams[i], *y = &pb->grams[j];
    if (x->g == y->g)
      dot += sim_gram_value(x) * sim_gram_value(y);
    i += x->g <= y->g;
    j += y->g <= x->g;
  }
  return sim_cosine(dot, na, nb);
}

/* Reads and counts both texts, stop words too when stops. false when out of memory. */
static bool sim_profiles(const char *a, size_t alen, const char *b, size_t blen, bool stops,
                         sim_profile *pa, sim_profile *pb) {
  sim_free(pa);
  sim_free(pb);
  if (!sim_read(a, alen, stops, pa) || !sim_read(b, blen, stops, pb))
    return false;
  sim_count(pa);
  sim_count(pb);
  return true;
}

int baton__sim_compare(const char *a, size_t alen, const char *b, size_t blen,
                       baton__sim_result *r) {
  sim_profile pa = {0}, pb = {0};
  memset(r, 0, sizeof *r);
  bool ok = sim_profiles(a, alen, b, blen, false, &pa, &pb);
  /* "To be or not to be" has nothing but stop words: compare those then, in both texts. */
  if (ok && (!pa.n_terms || !pb.n_terms) && pa.words && pb.words) {
    r->stop_words = true;
    ok = sim_profiles(a, alen, b, blen, true, &pa, &pb);
  }
  if (ok) {
    r->words = sim_words(&pa, &pb, a, r);
    r->trigrams = sim_trigrams(&pa, &pb);
    r->score = SIM_WORD_SHARE * r->words + (1 - SIM_WORD_SHARE) * r->trigrams;
    r->score = r->score > 1 ? 1 : r->score;
  } else {
    memset(r, 0, sizeof *r);
  }
  sim_free(&pa);
  sim_free(&pb);
  return ok ? 0 : -1;
}

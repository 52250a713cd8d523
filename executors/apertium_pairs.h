/* apertium_pairs.h — the language pairs apertium has installed and the routes through them. */
#ifndef BATON_EXECUTORS_APERTIUM_PAIRS_H
#define BATON_EXECUTORS_APERTIUM_PAIRS_H

#include <stdbool.h>
#include <stddef.h>

#include "executors/languages.h"

/* One installed direction, as ISO 639-1 codes where one exists ("en", "es"). */
typedef struct baton__lang_pair {
  char src[8], tgt[8];
} baton__lang_pair;

#define BATON__MAX_LANG_PAIRS 128

/* The languages a route may pass through, in order of preference: Spanish
 * first, as most of Debian's pairs have it on one side. */
#define BATON__PIVOT_LANGS {"es", "en", "ca", NULL}

/* apertium's data folder ($APERTIUM_DATADIR, else /usr/share/apertium). */
const char *baton__apertium_datadir(void);

/* The installed directions, read from the mode files (eng-spa.mode ->
 * en-es; variants such as eng-cat_valencia or en-eo-bytecode are left out),
 * sorted and without repeats. Returns how many were written to out. */
size_t baton__apertium_pairs(baton__lang_pair *out, size_t max);

/*
 * How to go from src to tgt over the pairs: directly (returns 1) or through
 * one pivot language, written to via (returns 2); 0 when there is no way.
 * Codes may be given in either ISO form.
 */
int baton__lang_route(const baton__lang_pair *pairs, size_t n, const char *src, const char *tgt,
                      char *via, size_t vialen);

/* The targets src reaches in one step, written to out (at most max).
 * Returns how many. */
size_t baton__lang_targets(const baton__lang_pair *pairs, size_t n, const char *src,
                           const char **out, size_t max);

/* The pairs as "en-es, es-en, ..." (or "none") in out. */
void baton__lang_pairs_list(const baton__lang_pair *pairs, size_t n, char *out, size_t cap);

#endif

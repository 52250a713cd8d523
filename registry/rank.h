/* rank.h — what the registry's matching files share: the searched words, the candidate set, the full-text ranking. */
#ifndef BATON_REGISTRY_RANK_H
#define BATON_REGISTRY_RANK_H

#include "registry/internal.h"

#define MAX_QUERY_TERMS 32 /* words of the step text that are searched */
#define MAX_TERM_LEN 48    /* longer "words" are cut */

/* The searched words of a step text (words.c). */
typedef struct qterms {
  char w[MAX_QUERY_TERMS][MAX_TERM_LEN + 1];
  int n;
} qterms;

/*
 * The words of free text that are searched: the lower-case ASCII
 * alphanumeric runs, minus stop words, words of the task's own name (when
 * task is given) and repeats, at most MAX_QUERY_TERMS, each cut at
 * MAX_TERM_LEN. Raw text never reaches MATCH: each word is later
 * double-quoted, so FTS5 operators such as NEAR, AND, * or - are plain
 * words. Returns the number of words (0: nothing to search for).
 */
int baton__query_terms(const char *text, const char *task, qterms *tw);
/* Whether the text (any case) has a word starting like term (the term
 * less up to three letters of ending, at least four kept): "tables" finds
 * "table", "documents" finds "document". For explanations only. */
bool baton__mentions(const char *text, const char *term);
/* Whether task kind t names the stemmed word stem in its name or keywords ("ocr" in
 * image-to-text's), the test of score.c's kind_bonus. */
bool baton__kind_names(const baton__taskspec *t, const char *stem);
/* Appends "<key>x<word> " for each ASCII alphanumeric run of text (words
 * cut at MAX_TERM_LEN, like the query side). */
void baton__glue_words(baton__sb *sb, const char *key, const char *text);

/* Models collected for a match or search (match.c), with the bounds of
 * what was left out. */
typedef struct cands {
  baton__model *v;
  size_t n, cap;
  baton__strset ids;
  bool fts_trunc, base_trunc;
  double fts_floor, base_floor;
} cands;

void baton__cands_release(cands *c);
/* Appends the current row unless its id is already there. SQLITE_ROW to go
 * on, SQLITE_NOMEM on allocation failure. *added tells what happened. */
int baton__cands_add(cands *c, sqlite3_stmt *st, bool *added);
/* qsort order: best score first, ties by id. */
int baton__cmp_model(const void *a, const void *b);

/* The endpoints a match may use (those ok() accepted), sorted. */
typedef struct baton__epset {
  char **v;
  size_t n;
} baton__epset;
bool baton__epset_has(const baton__epset *e, const char *endpoint);
void baton__epset_release(baton__epset *e);
/* The endpoints of task's enabled models that ok() accepts (epset.c):
 * 1 when *e is the filter to apply, 0 when none is needed, -1 with err. */
int baton__epset_accepted(baton__registry *reg, const char *task, baton__endpoint_ok_fn ok,
                          void *ud, baton__epset *e, char *err, size_t errlen);
/* The endpoints of every task's enabled models that ok() accepts, into *e (sorted, possibly
 * empty): those that can run here now. ok() runs once per endpoint, with the registry unlocked.
 * 0; 1 when some task had too many endpoints to list (theirs may be missing from *e); -1 with
 * err. */
int baton__epset_runnable(baton__registry *reg, baton__endpoint_ok_fn ok, void *ud,
                          baton__epset *e, char *err, size_t errlen);

/* The full-text part of a match or search, with the registry locked
 * (rank.c); rows whose endpoint eps (NULL: any) does not hold are left. */
int baton__rank_terms(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                      double now, bool enabled_only, const baton__epset *eps, cands *c,
                      char *err, size_t errlen);
/* The ranking of `models search` (rank.c), registry locked: baton__rank_terms() over every
 * model (disabled ones too) with the search-only parts of the score (score.c): kind_bonus, and,
 * with runs, runnable_bonus for the enabled models whose endpoint runs holds ("available").
 * One pass: the best L by the whole score. 0, or -1 with err. */
int baton__rank_search(baton__registry *reg, const char *task, const qterms *tw, size_t L,
                       double now, const baton__epset *runs, cands *c, char *err,
                       size_t errlen);

#endif

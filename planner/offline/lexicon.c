/* lexicon.c — loads the offline planner's lexicon (word classes, languages, task roles, weights) from YAML. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/ytree.h"
#include "core/banned.h"

/* Contract: off_lexicon_load() takes lexicon.yaml's text and gives every class of off_class filled
 * (words and their stems), the languages, each role's task kind (which must be one of the
 * registry's) and every weight of off_weight. A missing, repeated or unknown name is an error
 * naming the line: the lexicon and this file's name tables change together. */

extern const unsigned char baton__lexicon_yaml[];
extern const size_t baton__lexicon_yaml_len;

#define OFF_NAME(e) #e, /* as the lexicon spells it, in lower case: "MADE_AS", made_as */
static const char *const class_names[W_N] = {OFF_CLASSES(OFF_NAME)};
static const char *const role_names[R_N] = {OFF_ROLES(OFF_NAME)};
static const char *const weight_names[K_N] = {OFF_FEATURES(OFF_NAME) OFF_THRESHOLDS(OFF_NAME)};

typedef struct {
  off_lexicon *lx;
  const baton__taskspec *tasks;
  size_t n_tasks;
  char *err;
  size_t errlen;
} loader;

static int fail(loader *l, const baton__ynode *at, const char *what, const char *name) {
  return baton__fmt(l->err, l->errlen, "lexicon.yaml:%d: %s '%s'", at->line, what, name), -1;
}

/* A name of the tables above as the lexicon spells it. */
static const char *lower(const char *name, char *buf) {
  return baton__lower_copy(buf, name, strnlen(name, OFF_MAX_WORD - 1)), buf;
}

/* One pair of a section: the index of its name in the section's names. */
typedef int (*take_fn)(loader *l, int i, const baton__ynode *key, const baton__ynode *value);

/* Reads mapping `section` of root: its keys are names[0..n), each once (names NULL: any keys). */
static int take_section(loader *l, const baton__ynode *root, const char *section,
                        const char *const *names, int n, take_fn take) {
  const baton__ynode *m = baton__ynode_get(root, section);
  if (!m || m->kind != BATON__YN_MAP)
    return fail(l, m ? m : root, "expected a mapping for", section);
  bool seen[K_N + W_N] = {false};
  char buf[OFF_MAX_WORD], msg[64];
  for (size_t k = 0; k + 1 < m->n; k += 2) {
    int i = names ? -1 : (int)(k / 2);
    for (int j = 0; names && j < n && i < 0; j++)
      i = strcmp(lower(names[j], buf), m->kids[k]->value) == 0 ? j : -1;
    baton__fmt(msg, sizeof msg, "%s %s:", i < 0 ? "unknown entry of" : "listed twice in", section);
    if (names && (i < 0 || seen[i]))
      return fail(l, m->kids[k], msg, m->kids[k]->value);
    seen[names ? i : 0] = true;
    if (take(l, i, m->kids[k], m->kids[k + 1]) != 0)
      return -1;
  }
  for (int i = 0; names && i < n; i++)
    if (!seen[i])
      return fail(l, m, "missing", lower(names[i], buf));
  return 0;
}

/* Room for n words, each filled in by its index, and their stems (in the same block). */
static int words_alloc(off_words *w, size_t n) {
  w->words = calloc(2 * n + 1, sizeof *w->words);
  w->stems = w->words ? w->words + n : NULL;
  w->n = n;
  return w->words ? 0 : -1;
}

static int take_class(loader *l, int c, const baton__ynode *key, const baton__ynode *seq) {
  off_words *w = &l->lx->cls[c];
  if (seq->kind != BATON__YN_SEQ || words_alloc(w, seq->n) != 0)
    return fail(l, seq, "expected a list of words for", key->value);
  for (size_t i = 0; i < seq->n; i++) {
    const baton__ynode *k = seq->kids[i];
    if (k->kind != BATON__YN_SCALAR || !k->value[0] || strlen(k->value) >= OFF_MAX_WORD)
      return fail(l, k, "expected a short word in", key->value);
    off_make_word(k->value, strlen(k->value), w->words[i], w->stems[i]);
  }
  return 0;
}

static int take_language(loader *l, int i, const baton__ynode *key, const baton__ynode *v) {
  off_lexicon *lx = l->lx;
  if (v->kind != BATON__YN_SCALAR || strlen(key->value) >= OFF_MAX_WORD || !v->value[0] ||
      strlen(v->value) >= sizeof lx->lang_codes[0])
    return fail(l, key, "expected 'name: code' for language", key->value);
  off_make_word(key->value, strlen(key->value), lx->lang_names.words[i], lx->lang_names.stems[i]);
  baton__fmt(lx->lang_codes[i], sizeof lx->lang_codes[i], "%s", v->value);
  return 0;
}

static int take_role(loader *l, int r, const baton__ynode *key, const baton__ynode *v) {
  (void)key;
  l->lx->role[r] = -1;
  for (size_t t = 0; v->kind == BATON__YN_SCALAR && t < l->n_tasks && l->lx->role[r] < 0; t++)
    l->lx->role[r] = l->tasks[t].name && strcmp(l->tasks[t].name, v->value) == 0 ? (int)t : -1;
  return l->lx->role[r] < 0 ? fail(l, v, "not a task kind of the registry:",
                                   v->kind == BATON__YN_SCALAR ? v->value : "(not text)") : 0;
}

static int take_weight(loader *l, int w, const baton__ynode *key, const baton__ynode *v) {
  char *end = NULL;
  double x = l->lx->w[w] = v->kind == BATON__YN_SCALAR ? strtod(v->value, &end) : 0;
  return !end || end == v->value || *end || x < -100 || x > 100
             ? fail(l, v, "expected a number from -100 to 100 for", key->value) : 0;
}

/* The languages: a mapping of any names to codes, the first the default. */
static int take_languages(loader *l, const baton__ynode *root) {
  const baton__ynode *m = baton__ynode_get(root, "languages");
  size_t n = m && m->kind == BATON__YN_MAP ? m->n / 2 : 0;
  l->lx->lang_codes = calloc(n ? n : 1, sizeof *l->lx->lang_codes);
  if (!l->lx->lang_codes || words_alloc(&l->lx->lang_names, n) != 0)
    return fail(l, root, "out of memory reading", "languages");
  return n ? take_section(l, root, "languages", NULL, (int)n, take_language)
           : fail(l, m ? m : root, "expected a mapping of names to codes for", "languages");
}

int off_lexicon_load(off_lexicon *lx, const char *text, size_t len, const baton__taskspec *tasks,
                     size_t n_tasks, char *err, size_t errlen) {
  memset(lx, 0, sizeof *lx);
  if (!text) /* the embedded one */
    text = (const char *)baton__lexicon_yaml, len = baton__lexicon_yaml_len;
  baton__ynode *root = baton__ytree_parse(text, len, "lexicon.yaml", 6, err, errlen);
  if (!root)
    return -1;
  loader l = {lx, tasks, n_tasks, err, errlen};
  int rc = root->kind == BATON__YN_MAP ? 0 : fail(&l, root, "expected a mapping at", "the top");
  rc = rc || take_section(&l, root, "classes", class_names, W_N, take_class) ||
       take_languages(&l, root) || take_section(&l, root, "tasks", role_names, R_N, take_role) ||
       take_section(&l, root, "weights", weight_names, K_N, take_weight) ? -1 : 0;
  baton__ynode_free(root);
  return rc;
}

void off_lexicon_release(off_lexicon *lx) {
  for (int c = 0; c <= W_N; c++) /* the classes, then the language names (stems: in words) */
    free(c < W_N ? lx->cls[c].words : lx->lang_names.words);
  free(lx->lang_codes);
  memset(lx, 0, sizeof *lx);
}

/* Is word (as written; by_stem: a stem) in the list? */
bool off_words_has(const off_words *l, const char *word, bool by_stem) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(by_stem ? l->stems[i] : l->words[i], word) == 0)
      return true;
  return false;
}

bool off_words_ends(const off_words *l, const char *word) {
  for (size_t i = 0, n = strlen(word), e; i < l->n; i++)
    if ((e = strlen(l->words[i])) < n && strcmp(word + n - e, l->words[i]) == 0)
      return true;
  return false;
}

bool off_words_in(const off_lexicon *lx, const off_class *cs, size_t n, const char *word,
                  bool by_stem) {
  while (n && !off_words_has(&lx->cls[cs[n - 1]], word, by_stem))
    n--;
  return n > 0;
}

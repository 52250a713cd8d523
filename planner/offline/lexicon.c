/* lexicon.c — loads the offline planner's lexicon (word classes, languages, task roles, weights) from YAML. */
#include "planner/offline/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/ytree.h"
#include "core/banned.h"

/*
 * Contract: off_lexicon_load() takes lexicon.yaml's text and gives every
 * class of off_class filled (words and their stems), the languages, each
 * role's task kind (which must be one of the registry's) and every weight of
 * off_weight. A missing or unknown name is an error naming the line: the
 * lexicon and this file's name tables change together.
 */

extern const unsigned char baton__lexicon_yaml[];
extern const size_t baton__lexicon_yaml_len;

#define LEX_FILE "lexicon.yaml"

#define OFF_NAME(e, s) #s,
static const char *const class_names[W_N] = {OFF_CLASSES(OFF_NAME)};
static const char *const role_names[R_N] = {OFF_ROLES(OFF_NAME)};
static const char *const weight_names[K_N] = {OFF_FEATURES(OFF_NAME) OFF_THRESHOLDS(OFF_NAME)};
#undef OFF_NAME

static int fail(char *err, size_t errlen, int line, const char *what, const char *name) {
  baton__fmt(err, errlen, LEX_FILE ":%d: %s '%s'", line, what, name);
  return -1;
}

/* A list of plain words (a YAML sequence of scalars). */
static int take_words(off_words *l, const baton__ynode *seq, const char *name, char *err,
                      size_t errlen) {
  if (!seq || seq->kind != BATON__YN_SEQ)
    return fail(err, errlen, seq ? seq->line : 0, "expected a list of words for", name);
  l->words = calloc(seq->n ? seq->n : 1, sizeof *l->words);
  l->stems = calloc(seq->n ? seq->n : 1, sizeof *l->stems);
  if (!l->words || !l->stems)
    return fail(err, errlen, seq->line, "out of memory reading", name);
  for (size_t i = 0; i < seq->n; i++) {
    const baton__ynode *w = seq->kids[i];
    if (w->kind != BATON__YN_SCALAR || !w->value[0] || strlen(w->value) >= OFF_MAX_WORD)
      return fail(err, errlen, w->line, "expected a short word in", name);
    off_make_word(w->value, strlen(w->value), l->words[l->n], l->stems[l->n]);
    l->n++;
  }
  return 0;
}

static int find_name(const char *const *names, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], key) == 0)
      return (int)i;
  return -1;
}

static int take_classes(off_lexicon *lx, const baton__ynode *m, char *err, size_t errlen) {
  if (!m || m->kind != BATON__YN_MAP)
    return fail(err, errlen, m ? m->line : 0, "expected a mapping for", "classes");
  for (size_t i = 0; i + 1 < m->n; i += 2) {
    int c = find_name(class_names, W_N, m->kids[i]->value);
    if (c < 0)
      return fail(err, errlen, m->kids[i]->line, "unknown word class", m->kids[i]->value);
    if (lx->cls[c].words)
      return fail(err, errlen, m->kids[i]->line, "word class listed twice:", class_names[c]);
    if (take_words(&lx->cls[c], m->kids[i + 1], class_names[c], err, errlen) != 0)
      return -1;
  }
  for (int c = 0; c < W_N; c++)
    if (!lx->cls[c].words)
      return fail(err, errlen, m->line, "missing word class", class_names[c]);
  return 0;
}

static int take_languages(off_lexicon *lx, const baton__ynode *m, char *err, size_t errlen) {
  if (!m || m->kind != BATON__YN_MAP)
    return fail(err, errlen, m ? m->line : 0, "expected a mapping for", "languages");
  size_t n = m->n / 2;
  lx->lang_names.words = calloc(n ? n : 1, sizeof *lx->lang_names.words);
  lx->lang_names.stems = calloc(n ? n : 1, sizeof *lx->lang_names.stems);
  lx->lang_codes = calloc(n ? n : 1, sizeof *lx->lang_codes);
  if (!lx->lang_names.words || !lx->lang_names.stems || !lx->lang_codes)
    return fail(err, errlen, m->line, "out of memory reading", "languages");
  for (size_t i = 0; i + 1 < m->n; i += 2) {
    const baton__ynode *k = m->kids[i], *v = m->kids[i + 1];
    if (v->kind != BATON__YN_SCALAR || strlen(k->value) >= OFF_MAX_WORD || !v->value[0] ||
        strlen(v->value) >= sizeof lx->lang_codes[0])
      return fail(err, errlen, k->line, "expected 'name: code' for language", k->value);
    size_t j = lx->lang_names.n++;
    off_make_word(k->value, strlen(k->value), lx->lang_names.words[j], lx->lang_names.stems[j]);
    baton__fmt(lx->lang_codes[j], sizeof lx->lang_codes[j], "%s", v->value);
  }
  return 0;
}

static int take_roles(off_lexicon *lx, const baton__ynode *m, const baton__taskspec *tasks,
                      size_t n_tasks, char *err, size_t errlen) {
  if (!m || m->kind != BATON__YN_MAP)
    return fail(err, errlen, m ? m->line : 0, "expected a mapping for", "tasks");
  for (size_t i = 0; i + 1 < m->n; i += 2) {
    const baton__ynode *k = m->kids[i], *v = m->kids[i + 1];
    int r = find_name(role_names, R_N, k->value);
    if (r < 0)
      return fail(err, errlen, k->line, "unknown task role", k->value);
    bool known = false;
    for (size_t t = 0; v->kind == BATON__YN_SCALAR && t < n_tasks && !known; t++)
      known = tasks[t].name && strcmp(tasks[t].name, v->value) == 0;
    if (!known)
      return fail(err, errlen, v->line, "not a task kind of the registry:",
                  v->kind == BATON__YN_SCALAR ? v->value : "(not text)");
    if (!(lx->role_name[r] = baton__strdup(v->value)))
      return fail(err, errlen, v->line, "out of memory reading", k->value);
  }
  for (int r = 0; r < R_N; r++)
    if (!lx->role_name[r])
      return fail(err, errlen, m->line, "missing task role", role_names[r]);
  return 0;
}

static int take_weights(off_lexicon *lx, const baton__ynode *m, char *err, size_t errlen) {
  if (!m || m->kind != BATON__YN_MAP)
    return fail(err, errlen, m ? m->line : 0, "expected a mapping for", "weights");
  bool seen[K_N] = {false};
  for (size_t i = 0; i + 1 < m->n; i += 2) {
    const baton__ynode *k = m->kids[i], *v = m->kids[i + 1];
    int w = find_name(weight_names, K_N, k->value);
    if (w < 0)
      return fail(err, errlen, k->line, "unknown weight", k->value);
    char *end = NULL;
    double x = v->kind == BATON__YN_SCALAR ? strtod(v->value, &end) : 0;
    if (!end || end == v->value || *end || x < -100 || x > 100)
      return fail(err, errlen, v->line, "expected a number from -100 to 100 for", k->value);
    lx->w[w] = x;
    seen[w] = true;
  }
  for (int w = 0; w < K_N; w++)
    if (!seen[w])
      return fail(err, errlen, m->line, "missing weight", weight_names[w]);
  return 0;
}

int off_lexicon_load(off_lexicon *lx, const char *text, size_t len, const baton__taskspec *tasks,
                     size_t n_tasks, char *err, size_t errlen) {
  memset(lx, 0, sizeof *lx);
  if (!text) {
    text = (const char *)baton__lexicon_yaml;
    len = baton__lexicon_yaml_len;
  }
  baton__ynode *root = baton__ytree_parse(text, len, LEX_FILE, 6, err, errlen);
  if (!root)
    return -1;
  int rc = -1;
  const baton__ynode *dl = baton__ynode_get(root, "default_language");
  if (root->kind != BATON__YN_MAP)
    fail(err, errlen, root->line, "expected a mapping at", "the top");
  else if (!dl || dl->kind != BATON__YN_SCALAR || strlen(dl->value) >= sizeof lx->default_lang)
    fail(err, errlen, root->line, "expected a language code for", "default_language");
  else if (take_classes(lx, baton__ynode_get(root, "classes"), err, errlen) == 0 &&
           take_languages(lx, baton__ynode_get(root, "languages"), err, errlen) == 0 &&
           take_roles(lx, baton__ynode_get(root, "tasks"), tasks, n_tasks, err, errlen) == 0 &&
           take_weights(lx, baton__ynode_get(root, "weights"), err, errlen) == 0)
    rc = 0;
  if (rc == 0)
    baton__fmt(lx->default_lang, sizeof lx->default_lang, "%s", dl->value);
  baton__ynode_free(root);
  return rc;
}

static void words_release(off_words *l) {
  free(l->words);
  free(l->stems);
}

void off_lexicon_release(off_lexicon *lx) {
  for (int c = 0; c < W_N; c++)
    words_release(&lx->cls[c]);
  words_release(&lx->lang_names);
  free(lx->lang_codes);
  for (int r = 0; r < R_N; r++)
    free(lx->role_name[r]);
  memset(lx, 0, sizeof *lx);
}

bool off_words_has(const off_words *l, const char *word) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->words[i], word) == 0)
      return true;
  return false;
}

bool off_words_has_stem(const off_words *l, const char *stem) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->stems[i], stem) == 0)
      return true;
  return false;
}

const char *off_language(const off_lexicon *lx, const char *word) {
  for (size_t i = 0; i < lx->lang_names.n; i++)
    if (strcmp(lx->lang_names.words[i], word) == 0)
      return lx->lang_codes[i];
  return NULL;
}

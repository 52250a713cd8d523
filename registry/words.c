/* words.c — the words of a step text that are searched, and the glued words the matching index holds. */
#include <stdlib.h>
#include <string.h>

#include "core/stem.h"
#include "core/stopwords.h"
#include "core/text.h"
#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

void baton__glue_words(baton__sb *sb, const char *key, const char *text) {
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  size_t klen = strlen(key);
  char word[160 + MAX_TERM_LEN + 2];
  if (klen > 160)
    klen = 160;
  memcpy(word, key, klen);
  word[klen] = 'x';
  while (*p) {
    while (*p && !baton__ascii_alnum(*p))
      p++;
    if (!*p)
      break;
    size_t n = klen + 1;
    while (*p && baton__ascii_alnum(*p)) {
      if (n < klen + 1 + MAX_TERM_LEN)
        word[n++] = baton__ascii_lower(*p);
      p++;
    }
    n = klen + 1 + baton__stem(word + klen + 1, n - klen - 1); /* the word's stem, not the glued */
    word[n++] = ' ';                                          /* word's: "thing" is no "the" */
    baton__sb_add(sb, word, n);
  }
}
/* Whether text has a word whose stem is stem (words cut at MAX_TERM_LEN, as glued). */
static bool has_stem(const char *text, const char *stem) {
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  char word[MAX_TERM_LEN + 1];
  while (*p) {
    while (*p && !baton__ascii_alnum(*p))
      p++;
    size_t n = 0;
    for (; *p && baton__ascii_alnum(*p); p++)
      if (n < MAX_TERM_LEN)
        word[n++] = baton__ascii_lower(*p);
    if (n) {
      word[baton__stem(word, n)] = '\0';
      if (!strcmp(word, stem))
        return true;
    }
  }
  return false;
}

bool baton__kind_names(const baton__taskspec *t, const char *stem) {
  return t && (has_stem(t->name, stem) || has_stem(t->keywords, stem));
}

/*
 * The words of free text that are searched: the lower-case ASCII
 * alphanumeric runs, minus stop words, words of the task's own name (when
 * task is given) and repeats, at most MAX_QUERY_TERMS, each cut at
 * MAX_TERM_LEN. Raw text never reaches MATCH: each word is later
 * double-quoted, so FTS5 operators such as NEAR, AND, * or - are plain
 * words. Returns the number of words (0: nothing to search for).
 */
int baton__query_terms(const char *text, const char *task, qterms *tw) {
  tw->n = 0;
  /* Words of the task's own name ("detect" for object-detection) are in
   * nearly every description of the task: they tell its models apart no
   * better than chance. */
  char task_words[160] = "";
  if (task) {
    baton__fmt(task_words, sizeof task_words, "%s", task);
    for (char *t = task_words; *t; t++)
      if (*t == '-')
        *t = ' ';
  }
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  while (*p && tw->n < MAX_QUERY_TERMS) {
    while (*p && !baton__ascii_alnum(*p))
      p++;
    if (!*p)
      break;
    char word[MAX_TERM_LEN + 1];
    size_t n = 0;
    while (*p && baton__ascii_alnum(*p)) {
      if (n < MAX_TERM_LEN)
        word[n++] = baton__ascii_lower(*p);
      p++;
    }
    word[n] = '\0';
    if (baton__is_stop_word(word) || (task_words[0] && baton__mentions(task_words, word)))
      continue;
    bool dup = false;
    for (int i = 0; i < tw->n && !dup; i++)
      dup = !strcmp(tw->w[i], word);
    if (dup)
      continue;
    memcpy(tw->w[tw->n++], word, n + 1);
  }
  return tw->n;
}

/* Whether the text (any case) has a word starting like term (the term
 * less up to three letters of ending, at least four kept): "tables" finds
 * "table", "documents" finds "document". For explanations only. */
bool baton__mentions(const char *text, const char *term) {
  size_t len = strlen(term);
  size_t want = len <= 4 ? len : (len - 3 < 4 ? 4 : len - 3);
  for (const char *p = text; p && *p; p++) {
    if (p != text && baton__ascii_alnum((unsigned char)p[-1]))
      continue;
    size_t i = 0;
    while (i < want && p[i] && baton__ascii_lower(p[i]) == term[i])
      i++;
    if (i == want)
      return true;
  }
  return false;
}

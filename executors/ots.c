/* ots.c — the "summarization" executor: extractive summaries with libots (Open Text Summarizer). */
#include "executors/executor.h"

#if defined(BATON_HAVE_OTS)

#include <ctype.h>
#include <limits.h>
#include <glib.h>
#include <stdio.h> /* libots.h uses FILE without including it */
#include <ots/libots.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/textpart.h"
#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

/* Where Debian's libots0 package installs its stemming/stop-word dictionaries. */
#define OTS_DICT_DIR "/usr/share/ots"
#define OTS_DEFAULT_PERCENT 30
#define OTS_LONG (-1) /* ots_wanted: a long summary, the share uncapped */
#define OTS_DEFAULT_MAX_TEXT (1024u * 1024u)

/*
 * ots_load_xml_dictionary() ends with libxml2's xmlCleanupParser(), which
 * tears down libxml2's process-wide state: two loads at once (two contexts)
 * would race inside libxml2. Loads are serialised process-wide by this
 * lock; it mirrors libxml2's own global state and cannot hang off a context.
 */
static pthread_mutex_t ots_xml_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct ots_state {
  char *dict_name; /* the language code libots turns into /usr/share/ots/<code>.xml */
} ots_state;

static const char *ots_dict_name(const baton__config *cfg) {
  return cfg && cfg->summary_dictionary && *cfg->summary_dictionary ? cfg->summary_dictionary
                                                                    : "en";
}

/* Resolves the dictionary setting: libots only loads
 * /usr/share/ots/<code>.xml for a language code ("en"), so that is all the
 * setting may be. Writes the path into out; false (with why) for a malformed
 * setting. */
static bool ots_dict_path(const char *name, char *out, size_t outlen, char *why, size_t whylen) {
  size_t n = strlen(name);
  if (n == 0 || n > 16) {
    baton__fmt(why, whylen, "bad summary_dictionary '%s' (expected a language code like \"en\")",
               name);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!isalnum(c) && c != '_' && c != '-') {
      baton__fmt(why, whylen,
                 "bad summary_dictionary '%s' (expected a language code like \"en\")", name);
      return false;
    }
  }
  baton__fmt(out, outlen, "%s/%s.xml", OTS_DICT_DIR, name);
  return true;
}

static bool ots_available(const baton__config *cfg, char *why, size_t whylen) {
  char path[4096];
  const char *name = ots_dict_name(cfg);
  if (!ots_dict_path(name, path, sizeof path, why, whylen))
    return false;
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
    baton__fmt(why, whylen,
               "libots dictionary '%s' not found at %s; install libots0 (it ships %s/*.xml)",
               name, path, OTS_DICT_DIR);
    return false;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int ots_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  *state = NULL;
  if (!ots_available(cfg, err, errlen))
    return -1;
  ots_state *st = calloc(1, sizeof *st);
  if (!st || !(st->dict_name = baton__strdup(ots_dict_name(cfg)))) {
    free(st);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  *state = st;
  return 0;
}

static void ots_release(void *state) {
  ots_state *st = state;
  if (!st)
    return;
  free(st->dict_name);
  free(st);
}

/* Sentences that hold at least one word. */
static int count_sentences(const OtsArticle *art) {
  int n = 0;
  for (const GList *l = art->lines; l; l = l->next) {
    const OtsSentence *s = l->data;
    if (s && s->wc > 0)
      n++;
  }
  return n;
}

/* The text to summarise, bounded and normalised (caller frees), or NULL
 * with env->err set. */
static char *ots_input(const baton__values *in, baton__exec_env *env) {
  const char *text = baton__run_arg(in, "text", BATON__T_TEXT);
  if (!text) {
    baton__run_bad_input(env, "summarization needs a \"text\" argument");
    return NULL;
  }
  size_t len = 0;
  if (!baton__run_text_fits(env, text, baton__run_max_text(env, OTS_DEFAULT_MAX_TEXT),
                            "summarise", &len))
    return NULL;
  char *whole = baton__text_normalize(text, len, false);
  if (!whole) {
    baton__run_fail(env, "out of memory");
    return NULL;
  }
  if (!*whole) {
    free(whole);
    baton__run_bad_input(env, "summarization needs non-empty text");
    return NULL;
  }
  if (baton__run_must_stop(env, 0, "summarization")) {
    free(whole);
    return NULL;
  }
  return whole;
}

/* A new article with the configured dictionary loaded (caller frees with
 * ots_free_article), or NULL with env->err set. */
static OtsArticle *ots_article(const ots_state *st, baton__exec_env *env) {
  OtsArticle *art = ots_new_article();
  if (!art) {
    baton__run_fail(env, "out of memory");
    return NULL;
  }
  pthread_mutex_lock(&ots_xml_lock);
  gboolean loaded = ots_load_xml_dictionary(art, (const unsigned char *)st->dict_name);
  pthread_mutex_unlock(&ots_xml_lock);
  if (!loaded) {
    ots_free_article(art);
    baton__run_fail(env, "libots could not load its dictionary %s/%s.xml", OTS_DICT_DIR,
                    st->dict_name);
    return NULL;
  }
  return art;
}

/* Words that ask for a long summary ("a long summary", "in detail"): the configured share of
 * the sentences, not capped at summary_max_sentences. */
static const char *const ots_long_words[] = {"long", "longer", "lengthy", "detail", "detailed",
                                             NULL};

/* How many sentences the word before "sentence(s)" asks for ("two", "3", "a", "single"), or 0. */
static long ots_count(const char *prev) {
  if (isdigit((unsigned char)prev[0])) {
    long v = strtol(prev, NULL, 10);
    return v > 0 && v < INT_MAX ? v : v > 0 ? INT_MAX : 0;
  }
  if (strcmp(prev, "a") == 0 || strcmp(prev, "single") == 0)
    return 1;
  return (long)baton__count_word(prev);
}

/* Is the word of n bytes at s a part of a file name ("long" in "long.txt", "notes/long")? */
static bool ots_in_file_name(const char *instr, const char *s, size_t n) {
  bool after = (s[n] == '.' || s[n] == '/') && isalnum((unsigned char)s[n + 1]);
  return after || (s > instr && (s[-1] == '.' || s[-1] == '/'));
}

/* How many sentences an instruction asks the summary for ("in two sentences", "a 3-sentence
 * summary", "in a single sentence", "in twenty sentences"), OTS_LONG when it asks for a long
 * one ("a long summary", "in detail"), or 0 when it says neither. */
static int ots_wanted(const char *instr) {
  char word[16] = "", prev[16] = "";
  bool is_long = false;
  for (const char *s = instr ? instr : ""; *s; s++) {
    size_t n = strcspn(s, " \t\r\n-,.;:!?()'\"/");
    if (n == 0)
      continue;
    memcpy(prev, word, sizeof word);
    bool named = n < sizeof word && !ots_in_file_name(instr, s, n);
    for (size_t i = 0; i < sizeof word; i++) /* a word too long for `word` is none we know */
      word[i] = named && i < n ? (char)tolower((unsigned char)s[i]) : '\0';
    s += n - 1;
    for (size_t k = 0; !is_long && ots_long_words[k]; k++)
      is_long = strcmp(word, ots_long_words[k]) == 0;
    if (strncmp(word, "sentence", 8) == 0 && ots_count(prev) > 0)
      return (int)ots_count(prev);
  }
  return is_long ? OTS_LONG : 0;
}

/* The sentences libots ranks highest (`wanted` of them, else summary_percent of n but at most
 * summary_max_sentences unless wanted is OTS_LONG; at least one), normalised. *summary is NULL
 * when it selected nothing.
 * 0, or -1 when out of memory. */
static int ots_pick(OtsArticle *art, int n, int wanted, const baton__exec_env *env,
                    char **summary) {
  int percent = env->cfg && env->cfg->summary_percent > 0 ? env->cfg->summary_percent
                                                          : OTS_DEFAULT_PERCENT;
  if (percent > 100)
    percent = 100;
  int keep = wanted > 0 ? (wanted < n ? wanted : n) : (n * percent + 99) / 100;
  int cap = env->cfg ? env->cfg->summary_max_sentences : 0;
  if (wanted == 0 && cap > 0 && keep > cap)
    keep = cap;
  if (keep < 1)
    keep = 1;
  ots_highlight_doc_lines(art, keep);
  size_t olen = 0;
  unsigned char *sel = ots_get_doc_text(art, &olen);
  *summary = NULL;
  if (!sel)
    return 0;
  *summary = baton__text_normalize((const char *)sel, strnlen((const char *)sel, olen), false);
  g_free(sel);
  return *summary ? 0 : -1;
}

/* Summarises whole (taken: freed or returned) into `wanted` sentences (0: the configured share,
 * OTS_LONG: that share uncapped).
 * The summary (caller frees), or NULL with env->err set. */
static char *ots_summarise(const ots_state *st, char *whole, int wanted, baton__exec_env *env) {
  OtsArticle *art = ots_article(st, env);
  if (!art) {
    free(whole);
    return NULL;
  }
  /* Parse the normalised text so that line breaks inside sentences (OCR
   * output) do not split them. */
  ots_parse_stream((const unsigned char *)whole, strlen(whole), art);
  ots_grade_doc(art);
  int n = count_sentences(art);
  char *result = NULL;
  /* A one-sentence text is its own summary: nothing to choose between. */
  int rc = n <= 1 ? 0 : ots_pick(art, n, wanted, env, &result);
  ots_free_article(art);
  if (rc != 0) {
    free(whole);
    baton__run_fail(env, "out of memory");
    return NULL;
  }
  if (!result || !*result) {
    /* libots selected nothing (e.g. no scoring words): keep the text whole. */
    free(result);
    return whole;
  }
  free(whole);
  return result;
}

static int ots_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                   baton__values *out) {
  (void)task;
  char *whole = ots_input(in, env);
  const baton__value *instr = baton__values_get(in, "instruction");
  char *result = whole ? ots_summarise(state, whole, ots_wanted(instr ? instr->data : NULL), env)
                       : NULL;
  if (!result)
    return -1;
  if (baton__run_must_stop(env, 0, "summarization")) {
    free(result);
    return -1;
  }
  if (baton__values_add_own(out, "text", BATON__T_TEXT, result) != 0)
    return baton__run_fail(env, "out of memory");
  return 0;
}

static const char *const ots_tasks[] = {"summarization", NULL};

const baton__executor baton__executor_ots = {
    .name = "ots",
    .model_id = "local/ots",
    .tasks = ots_tasks,
    .reentrant = false,
    .available = ots_available,
    .init = ots_init,
    .run = ots_run,
    .release = ots_release,
};

#endif /* BATON_HAVE_OTS */

/* textcat.c — the "text-classification" executor as language identification: libexttextcat n-gram fingerprints. */
#include "executors/executor.h"

#if defined(BATON_HAVE_TEXTCAT)

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fingerprint.h>
#include <stdio.h>
#include <textcat.h>

#include "core/text.h"
#include "core/util.h"
#include "executors/classify_ask.h"
#include "executors/languages.h"
#include "executors/run_common.h"
#include "core/banned.h"

/* Debian's libexttextcat-data package. */
#define TC_DATA_DIR "/usr/share/libexttextcat/"
#define TC_CONF TC_DATA_DIR "fpdb.conf"
#define TC_SAMPLE_BYTES 4096 /* enough text to tell languages apart */
#define TC_MAX_CANDIDATES 5
#define TC_DEFAULT_MAX_TEXT (1024u * 1024u)
#define TC_MAX_NGRAMS 400 /* as libexttextcat reads its fingerprints */
/* How far behind the closest a language baton works with may be and still go first: 8% ("bonjour
 * tout le monde" is 6% closer to Haitian Creole's fingerprint than to French's). */
#define TC_PREFER_WINDOW 1.08

typedef struct tc_state {
  void *h;
  candidate_t *cands;
  char preferred[64]; /* the name of a candidate put first from outside textcat's list */
} tc_state;

/* A fingerprint's language code into out: the language table's ("fr--utf8" -> "fr", "zh-CN-utf8"
 * -> "zh-CN"), else the name less its "-utf8" ("ab--utf8" -> "ab"). */
static void tc_code(const char *id, char *out, size_t cap) {
  const char *code = baton__lang_of_fingerprint(id);
  baton__fmt(out, cap, "%s", code ? code : id);
  size_t n = strlen(out);
  if (n > 5 && strcmp(out + n - 5, "-utf8") == 0)
    out[n -= 5] = '\0';
  while (n > 0 && out[n - 1] == '-')
    out[--n] = '\0';
}

static bool tc_available(const baton__config *cfg, char *why, size_t whylen) {
  (void)cfg;
  if (!baton__file_exists(TC_CONF)) {
    baton__fmt(why, whylen,
               "the libexttextcat language fingerprints are missing (no %s); install "
               "libexttextcat-data",
               TC_CONF);
    return false;
  }
  if (why && whylen)
    why[0] = '\0';
  return true;
}

static int tc_init(const baton__config *cfg, void **state, char *err, size_t errlen) {
  (void)cfg;
  *state = NULL;
  tc_state *st = calloc(1, sizeof *st);
  if (!st) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  st->h = special_textcat_Init(TC_CONF, TC_DATA_DIR);
  if (!st->h) {
    free(st);
    baton__fmt(err, errlen, "libexttextcat could not load %s or a fingerprint it lists",
               TC_CONF);
    return -1;
  }
  textcat_SetProperty(st->h, TCPROP_UTF8AWARE, TC_TRUE);
  textcat_SetProperty(st->h, TCPROP_MINIMUM_DOCUMENT_SIZE, 8);
  st->cands = textcat_GetClassifyFullOutput(st->h);
  if (!st->cands) {
    textcat_Done(st->h);
    free(st);
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  *state = st;
  return 0;
}

static void tc_release(void *state) {
  tc_state *st = state;
  if (!st)
    return;
  textcat_ReleaseClassifyFullOutput(st->h, st->cands);
  textcat_Done(st->h);
  free(st);
}

/* Among the candidates within 1% of the closest, the first whose language has a name here goes
 * first: "Guten Morgen" is German (de), not Low German (nds) a hair closer. */
static void tc_prefer_named(candidate_t *c, int n) {
  /* (the closest itself first: its score is within 1% of its own) */
  for (int i = 0; i < n && (double)c[i].score <= c[0].score * 1.01; i++) {
    if (c[i].name && baton__lang_of_fingerprint(c[i].name)) {
      candidate_t named = c[i];
      memmove(c + 1, c, (size_t)i * sizeof *c);
      c[0] = named;
      return;
    }
  }
}

/* Is this a language baton works with: one of its language table (the planner's languages and
 * every language of an apertium pair are in it)? */
static bool tc_known(const char *name) {
  const char *code = name ? baton__lang_of_fingerprint(name) : NULL;
  return code && baton__lang_short(code) != NULL;
}

/* The distance of the sample's fingerprint to the known language closest to it among those
 * textcat did not list, by reading their fingerprints from fpdb.conf; its name in out. INT_MAX
 * when none. */
static int tc_closest_known(const char *sample, char *out, size_t cap) {
  FILE *f = fopen(TC_CONF, "r");
  void *u = fp_Init(NULL);
  int best = INT_MAX;
  char line[512], file[256], name[64], path[512];
  if (u) {
    fp_SetProperty(u, TCPROP_UTF8AWARE, TC_TRUE);
    fp_Create(u, sample, (uint4)strlen(sample), TC_MAX_NGRAMS);
  }
  while (f && u && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%255s %63s", file, name) != 2 || !tc_known(name))
      continue;
    baton__fmt(path, sizeof path, "%s%s", TC_DATA_DIR, file);
    void *fp = fp_Init(name);
    if (fp) {
      fp_SetProperty(fp, TCPROP_UTF8AWARE, TC_TRUE);
      int d = fp_Read(fp, path, TC_MAX_NGRAMS) ? fp_Compare(fp, u, best) : INT_MAX;
      if (d < best)
        best = d, baton__fmt(out, cap, "%s", name);
      fp_Done(fp);
    }
  }
  if (u)
    fp_Done(u);
  if (f)
    fclose(f);
  return best;
}

/* With a closest language baton does not work with ("ht"), the closest one it does ("fr") goes
 * first when within TC_PREFER_WINDOW of it: from textcat's list, else from the fingerprints. */
static int tc_prefer_known(tc_state *st, const char *sample, int n) {
  candidate_t *c = st->cands;
  if (tc_known(c[0].name))
    return n;
  double limit = c[0].score * TC_PREFER_WINDOW;
  int i = 1;
  while (i < n && !tc_known(c[i].name))
    i++;
  candidate_t known = {0, NULL};
  if (i < n) {
    known = c[i];
  } else {
    known.score = tc_closest_known(sample, st->preferred, sizeof st->preferred);
    known.name = st->preferred;
    if ((double)known.score > limit)
      return n;
    n += n < TC_MAX_CANDIDATES; /* the list holds at most that many: else the last one goes */
    i = n - 1;
  }
  if ((double)known.score > limit)
    return n;
  memmove(c + 1, c, (size_t)i * sizeof *c);
  c[0] = known;
  return n;
}

/* Classifies a sample into st->cands, a language named here first among near ties and one baton
 * works with first when close behind (tc_prefer_known); their number,
 * or libexttextcat's result below 1 (TEXTCAT_RESULT_SHORT: too short). */
static int tc_classify_sample(tc_state *st, const char *sample) {
  int n = textcat_ClassifyFull(st->h, sample, strlen(sample), st->cands);
  if (n > 0)
    tc_prefer_named(st->cands, n);
  return n > 0 ? tc_prefer_known(st, sample, n) : n;
}

/* Classifies the start of text into st->cands, their number (at most
 * TC_MAX_CANDIDATES) in *n. 0, or -1 with env->err set. */
static int tc_classify(tc_state *st, const char *text, size_t tlen, baton__exec_env *env, int *n) {
  char *sample = baton__text_normalize(text, baton__utf8_cut(text, tlen, TC_SAMPLE_BYTES), false);
  if (!sample)
    return baton__run_fail(env, "out of memory");
  if (!*sample) {
    free(sample);
    return baton__run_bad_input(env, "there is no text to identify the language of");
  }
  *n = tc_classify_sample(st, sample);
  free(sample);
  if (*n == TEXTCAT_RESULT_SHORT)
    return baton__run_bad_input(env, "the text is too short to identify its language (give a "
                                     "sentence or more)");
  if (*n <= 0)
    return baton__run_fail(env, "the language of the text could not be identified (no "
                                "fingerprint is close)");
  if (*n > TC_MAX_CANDIDATES)
    *n = TC_MAX_CANDIDATES;
  return 0;
}

/* The candidates as JSON: [{"label", "language", "score", "distance"}], best first (a score is
 * the best one's distance over its own, at most 1), with the best one's code in best. malloc'd, or
 * NULL. */
static char *tc_candidates_json(const tc_state *st, int n, char *best, size_t bestcap) {
  cJSON *arr = cJSON_CreateArray();
  double best_dist = st->cands[0].score > 0 ? st->cands[0].score : 1;
  for (int i = 0; arr && i < n; i++) {
    char code[64];
    tc_code(st->cands[i].name ? st->cands[i].name : "?", code, sizeof code);
    const char *name = baton__lang_named(code);
    if (i == 0)
      baton__fmt(best, bestcap, "%s", code);
    cJSON *o = cJSON_CreateObject();
    if (!o)
      break;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "label", code);
    if (name)
      cJSON_AddStringToObject(o, "language", name);
    else
      cJSON_AddNullToObject(o, "language");
    /* textcat gives distances (lower is closer); score = best / this. */
    double d = st->cands[i].score > 0 ? st->cands[i].score : 1;
    double score = best_dist / d < 1 ? best_dist / d : 1; /* a near tie put second: 1 too */
    cJSON_AddNumberToObject(o, "score", (double)(int)(score * 1000.0 + 0.5) / 1000.0);
    cJSON_AddNumberToObject(o, "distance", st->cands[i].score);
  }
  char *js = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return js;
}

/* "French (fr)", or the bare code when it has no name here. malloc'd, or NULL. */
static char *tc_label(const char *code) {
  const char *name = baton__lang_named(code);
  baton__sb sb;
  baton__sb_init(&sb);
  if (name)
    baton__sb_addf(&sb, "%s (%s)", name, code);
  else
    baton__sb_adds(&sb, code);
  return baton__sb_detach(&sb);
}

static int tc_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)task;
  tc_state *st = state;
  const char *text = baton__run_arg(in, "text", BATON__T_TEXT);
  if (!text)
    return baton__run_bad_input(env, "text-classification needs the \"text\" to classify");
  size_t tlen = 0;
  if (!baton__run_text_fits(env, text, baton__run_max_text(env, TC_DEFAULT_MAX_TEXT), "classify",
                            &tlen) ||
      baton__run_must_stop(env, 0, "text-classification") ||
      baton__classify_refuse(in, env, BATON__ASK_LANGUAGE,
                             "local/textcat identifies the language of a text") != 0)
    return -1;
  int n = 0;
  if (tc_classify(st, text, tlen, env, &n) != 0)
    return -1;
  char best[64] = "";
  char *js = tc_candidates_json(st, n, best, sizeof best);
  const baton__output outs[] = {{"text", BATON__T_TEXT, tc_label(best), false},
                                {"json", BATON__T_JSON, js, false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

size_t baton__textcat_guess(const char *text, char codes[][16], size_t max) {
  void *st = NULL;
  char err[256];
  if (!text || tc_init(NULL, &st, err, sizeof err) != 0)
    return 0;
  tc_state *tc = st;
  size_t n = 0;
  char *sample = baton__text_normalize(text, baton__utf8_cut(text, strlen(text), TC_SAMPLE_BYTES),
                                       false);
  int found = sample ? tc_classify_sample(tc, sample) : 0;
  for (int i = 0; i < found && n < max; i++)
    tc_code(tc->cands[i].name ? tc->cands[i].name : "?", codes[n++], 16);
  free(sample);
  tc_release(st);
  return n;
}

/* The distance of fingerprint u (a sample's) to each language of codes whose fingerprint fpdb.conf
 * lists, into dist (INT_MAX for the others). */
static void tc_distances(void *u, char codes[][16], size_t n, int *dist) {
  FILE *f = fopen(TC_CONF, "r");
  char line[512], file[256], name[64], path[512];
  for (size_t i = 0; i < n; i++)
    dist[i] = INT_MAX;
  while (f && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%255s %63s", file, name) != 2)
      continue;
    for (size_t i = 0; i < n; i++) {
      const char *fp = baton__lang_fingerprint(codes[i]);
      if (!fp || strcmp(fp, name) != 0)
        continue;
      baton__fmt(path, sizeof path, "%s%s", TC_DATA_DIR, file);
      void *lm = fp_Init(name);
      if (lm) {
        fp_SetProperty(lm, TCPROP_UTF8AWARE, TC_TRUE);
        dist[i] = fp_Read(lm, path, TC_MAX_NGRAMS) ? fp_Compare(lm, u, INT_MAX) : INT_MAX;
        fp_Done(lm);
      }
    }
  }
  if (f)
    fclose(f);
}

void baton__textcat_sort(const char *text, char codes[][16], size_t n) {
  char *sample = text ? baton__text_normalize(text, baton__utf8_cut(text, strlen(text),
                                                                    TC_SAMPLE_BYTES), false)
                      : NULL;
  void *u = sample && n ? fp_Init(NULL) : NULL;
  int *dist = u ? calloc(n, sizeof *dist) : NULL;
  if (dist) {
    fp_SetProperty(u, TCPROP_UTF8AWARE, TC_TRUE);
    fp_Create(u, sample, (uint4)strlen(sample), TC_MAX_NGRAMS);
    tc_distances(u, codes, n, dist);
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of codes; ties keep their order */
      for (size_t j = i; j > 0 && dist[j] < dist[j - 1]; j--) {
        char c[16];
        int d = dist[j];
        memcpy(c, codes[j], sizeof c);
        memcpy(codes[j], codes[j - 1], sizeof c);
        memcpy(codes[j - 1], c, sizeof c);
        dist[j] = dist[j - 1], dist[j - 1] = d;
      }
  }
  free(dist);
  if (u)
    fp_Done(u);
  free(sample);
}

static const char *const tc_tasks[] = {"text-classification", NULL};

const baton__executor baton__executor_textcat = {
    .name = "textcat",
    .model_id = "local/textcat",
    .tasks = tc_tasks,
    .reentrant = false,
    .available = tc_available,
    .init = tc_init,
    .run = tc_run,
    .release = tc_release,
};

#endif /* BATON_HAVE_TEXTCAT */

/* similarity.c — the "sentence-similarity" executor without a model: word overlap of texts. */
#include "executors/similarity.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/executor.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define SIM_DEFAULT_MAX_TEXT (1024u * 1024u)
#define SIM_MAX_OTHERS 16 /* texts compared with the first at most */
#define SIM_NAME 16

/* The texts to compare: the first, then those to compare it with, each named for errors and
 * the reply ("text2", "sentence 3"). The strings are borrowed from the inputs, or from list
 * or lines, which this owns. */
typedef struct sim_texts {
  const char *first;
  const char *other[SIM_MAX_OTHERS];
  char name[SIM_MAX_OTHERS][SIM_NAME];
  size_t n;
  cJSON *list;
  char *lines;
} sim_texts;

static void sim_texts_release(sim_texts *t) {
  cJSON_Delete(t->list);
  free(t->lines);
}

/* Adds a text to compare with; false (env->err set) past SIM_MAX_OTHERS. */
static bool sim_add(sim_texts *t, const char *s, const char *name, baton__exec_env *env) {
  if (t->n == SIM_MAX_OTHERS) {
    baton__run_bad_input(env, "sentence-similarity compares a text with at most %d others",
                         SIM_MAX_OTHERS);
    return false;
  }
  t->other[t->n] = s;
  baton__fmt(t->name[t->n++], SIM_NAME, "%s", name);
  return true;
}

/* Adds the "sentences" argument: a JSON array of strings, or one sentence a line, as the
 * Hugging Face and model-server executors take it; empty ones are left out. */
static bool sim_add_sentences(sim_texts *t, const char *s, baton__exec_env *env) {
  char name[SIM_NAME];
  size_t k = 0;
  const cJSON *it;
  if (s[strspn(s, " \t\r\n")] == '[' && cJSON_IsArray(t->list = cJSON_Parse(s))) {
    cJSON_ArrayForEach(it, t->list) {
      baton__fmt(name, sizeof name, "sentence %zu", ++k);
      if (cJSON_IsString(it) && it->valuestring[strspn(it->valuestring, " \t\r\n")] &&
          !sim_add(t, it->valuestring, name, env))
        return false;
    }
    return true;
  }
  if (!(t->lines = baton__strdup(s))) {
    baton__run_fail(env, "out of memory");
    return false;
  }
  for (char *cur = t->lines, *line; (line = baton__token(&cur, "\n"));) {
    baton__fmt(name, sizeof name, "sentence %zu", ++k);
    if (*baton__trim(line) && !sim_add(t, line, name, env))
      return false;
  }
  return true;
}

/* Gathers the texts: "source_sentence" or "text", then "sentences" and "text2" to "text9".
 * false with env->err set. */
static bool sim_gather(const baton__values *in, sim_texts *t, baton__exec_env *env) {
  const baton__value *src = baton__values_get(in, "source_sentence");
  const baton__value *list = baton__values_get(in, "sentences");
  t->first = src && src->data ? src->data : baton__run_arg(in, "text", BATON__T_TEXT);
  if (list && list->data && !sim_add_sentences(t, list->data, env))
    return false;
  for (int k = 2; k <= 9; k++) {
    char name[SIM_NAME];
    baton__fmt(name, sizeof name, "text%d", k);
    const baton__value *v = baton__values_get(in, name);
    if (v && v->data && !sim_add(t, v->data, name, env))
      return false;
  }
  if (!t->first || t->n == 0) {
    baton__run_bad_input(env, "sentence-similarity needs a \"text\" and a \"text2\" to compare it "
                         "with");
    return false;
  }
  return true;
}

/* Whether every text is within the size limit and holds more than white space; if not,
 * env->err names the one that does not. */
static bool sim_check(const sim_texts *t, baton__exec_env *env) {
  size_t max = baton__run_max_text(env, SIM_DEFAULT_MAX_TEXT), len = 0;
  if (!baton__run_text_fits(env, t->first, max, "compare", &len))
    return false;
  if (strspn(t->first, " \t\r\n") == len) {
    baton__run_bad_input(env, "the text to compare is empty");
    return false;
  }
  for (size_t i = 0; i < t->n; i++) {
    char verb[SIM_NAME + 32];
    baton__fmt(verb, sizeof verb, "compare it with (%s)", t->name[i]);
    if (!baton__run_text_fits(env, t->other[i], max, verb, &len))
      return false;
    if (strspn(t->other[i], " \t\r\n") == len) {
      baton__run_bad_input(env, "%s, the text to compare it with, is empty", t->name[i]);
      return false;
    }
  }
  return true;
}

/* One comparison in words: "similarity 0.42 (lexical word overlap, not meaning: shared words
 * library, sunday, open)", after "name: " when there are several. */
static void sim_describe(baton__sb *sb, const baton__sim_result *r, const char *name) {
  if (name)
    baton__sb_addf(sb, "%s%s: ", sb->len ? "\n" : "", name);
  baton__sb_addf(sb, "similarity %.2f (lexical word overlap, not meaning: ", r->score);
  if (r->n_shared == 0)
    baton__sb_adds(sb, "no words in common");
  for (size_t i = 0; i < r->n_shared; i++)
    baton__sb_addf(sb, "%s%s", i ? ", " : "shared words ", r->shared[i]);
  if (r->stop_words)
    baton__sb_adds(sb, "; only common words like \"the\" to compare");
  baton__sb_addc(sb, ')');
}

static int sim_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                   baton__values *out) {
  (void)state;
  (void)task;
  sim_texts t;
  memset(&t, 0, sizeof t);
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON *scores = cJSON_CreateArray();
  bool ok = scores && sim_gather(in, &t, env) && sim_check(&t, env);
  for (size_t i = 0; ok && i < t.n; i++) {
    baton__sim_result r;
    ok = !baton__run_must_stop(env, 0, "sentence-similarity");
    if (ok && baton__sim_compare(t.first, strlen(t.first), t.other[i], strlen(t.other[i]),
                                 &r) != 0) {
      baton__run_fail(env, "out of memory");
      ok = false;
    }
    if (ok) {
      sim_describe(&sb, &r, t.n > 1 ? t.name[i] : NULL);
      /* Hugging Face's reply: one score for each text compared, as a list */
      ok = cJSON_AddItemToArray(scores, cJSON_CreateNumber((double)(long)(r.score * 1000 + 0.5)
                                                           / 1000.0));
    }
  }
  if (!ok && !env->err[0])
    baton__run_fail(env, "out of memory");
  char *js = ok ? cJSON_PrintUnformatted(scores) : NULL;
  cJSON_Delete(scores);
  sim_texts_release(&t);
  if (!ok) {
    baton__sb_release(&sb);
    return -1;
  }
  const baton__output outs[] = {{"text", BATON__T_TEXT, baton__sb_detach(&sb), false},
                                {"json", BATON__T_JSON, js, false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const sim_tasks[] = {"sentence-similarity", NULL};

const baton__executor baton__executor_similarity = {
    .name = "similarity",
    .model_id = "local/similarity",
    .tasks = sim_tasks,
    .reentrant = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = sim_run,
    .release = baton__executor_no_release,
};

/* sentiment.c — the "text-classification" executor for sentiment without a model: a text's polarity by rules (sentiment_rules.c) over word tables (sentiment_lexicon.c), replied as Hugging Face's labels and scores, POSITIVE, NEGATIVE or NEUTRAL. */
#include "executors/sentiment.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "executors/classify_ask.h"
#include "executors/executor.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define SE_DEFAULT_MAX_TEXT (1024u * 1024u)
#define SE_SAMPLE_BYTES (64u * 1024u) /* the most of a text that is read */

/* A label and its score. */
typedef struct se_label {
  const char *label;
  double score;
} se_label;

/* The three labels, best first (a tie keeps POSITIVE, NEGATIVE, NEUTRAL order). */
static void se_rank(const baton__polarity *p, se_label l[3]) {
  double pos, neg, neu;
  baton__polarity_scores(p, &pos, &neg, &neu);
  l[0] = (se_label){"POSITIVE", pos};
  l[1] = (se_label){"NEGATIVE", neg};
  l[2] = (se_label){"NEUTRAL", neu};
  for (size_t i = 1; i < 3; i++)
    for (size_t j = i; j > 0 && l[j].score > l[j - 1].score; j--) {
      se_label t = l[j];
      l[j] = l[j - 1];
      l[j - 1] = t;
    }
}

/* The labels as Hugging Face's reply: [{"label", "score"}], best first, scores rounded to four
 * places. NULL when out of memory. */
static char *se_json(const se_label l[3]) {
  cJSON *arr = cJSON_CreateArray();
  bool ok = arr != NULL;
  for (size_t i = 0; ok && i < 3; i++) {
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToArray(arr, o)) { /* else arr owns o */
      cJSON_Delete(o);
      o = NULL;
    }
    ok = o && cJSON_AddStringToObject(o, "label", l[i].label) &&
         cJSON_AddNumberToObject(o, "score", (double)(long)(l[i].score * 10000.0 + 0.5) / 1e4);
  }
  char *js = ok ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return js;
}

/* The best label as the Hugging Face executor gives it: "POSITIVE (0.93)", and how much of a
 * long text was read. Caller frees; NULL when out of memory. */
static char *se_summary(const se_label *best, size_t read, size_t len) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "%s (%.2f)", best->label, best->score);
  if (read < len)
    baton__sb_addf(&sb, " (from the first %zu of its %zu bytes)", read, len);
  return baton__sb_detach(&sb);
}

static int se_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  size_t len = 0;
  const char *text = baton__run_text_input(in, env, "text-classification", "classify",
                                           SE_DEFAULT_MAX_TEXT, &len);
  if (!text)
    return -1;
  if (baton__classify_refuse(in, env, BATON__ASK_SENTIMENT,
                             "local/sentiment tells whether a text is positive, negative or "
                             "neutral") != 0)
    return -1;
  size_t read = baton__utf8_cut(text, len, SE_SAMPLE_BYTES);
  baton__polarity p;
  baton__polarity_read(text, read, &p);
  se_label l[3];
  se_rank(&p, l);
  const baton__output outs[] = {{"text", BATON__T_TEXT, se_summary(&l[0], read, len), false},
                                {"json", BATON__T_JSON, se_json(l), false}};
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const se_tasks[] = {"text-classification", NULL};

const baton__executor baton__executor_sentiment = {
    .name = "sentiment",
    .model_id = "local/sentiment",
    .tasks = se_tasks,
    .reentrant = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = se_run,
    .release = baton__executor_no_release,
};

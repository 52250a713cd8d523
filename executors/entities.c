/* entities.c — the "token-classification" executor without a model: dates, times, money, percentages, e-mail and web addresses, phone numbers and proper nouns found by rules (entities_rules.c, entities_names.c), replied as Hugging Face's entity list. */
#include "executors/entities.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "executors/run_common.h"
#include "core/banned.h"

#define EN_DEFAULT_MAX_TEXT (1024u * 1024u)
#define EN_MAX_ENTITIES 1000

/* The entities as Hugging Face's reply: [{entity_group, score, word, start, end}], start and end
 * in bytes. A rule has no probability: score is 1. NULL when out of memory. */
static char *en_json(const baton__en_text *t, const baton__entity *e, size_t n) {
  cJSON *arr = cJSON_CreateArray();
  bool ok = arr != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    char *w = baton__strndup(t->s + e[i].start, e[i].end - e[i].start);
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToArray(arr, o)) { /* else arr owns o */
      cJSON_Delete(o);
      o = NULL;
    }
    ok = w && o && cJSON_AddStringToObject(o, "entity_group", e[i].group) &&
         cJSON_AddNumberToObject(o, "score", 1.0) && cJSON_AddStringToObject(o, "word", w) &&
         cJSON_AddNumberToObject(o, "start", (double)e[i].start) &&
         cJSON_AddNumberToObject(o, "end", (double)e[i].end);
    free(w);
  }
  char *js = ok ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return js;
}

/* The entities as text, as the Hugging Face executor gives them: "word (GROUP), ...". Caller
 * frees; NULL when out of memory. */
static char *en_list(const baton__en_text *t, const baton__entity *e, size_t n, bool cut) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t i = 0; i < n; i++)
    baton__sb_addf(&sb, "%s%.*s (%s)", i ? ", " : "", (int)(e[i].end - e[i].start),
                   t->s + e[i].start, e[i].group);
  if (!n)
    baton__sb_adds(&sb, "no entities found");
  if (cut)
    baton__sb_addf(&sb, " (the first %d entities; the text holds more)", EN_MAX_ENTITIES);
  return baton__sb_detach(&sb);
}

static int en_run(void *state, const char *task, const baton__values *in, baton__exec_env *env,
                  baton__values *out) {
  (void)state;
  (void)task;
  const char *text = baton__run_arg(in, "text", BATON__T_TEXT);
  size_t len = 0;
  if (!text)
    return baton__run_fail(env, "token-classification needs the \"text\" to find entities in");
  if (!baton__run_text_fits(env, text, baton__run_max_text(env, EN_DEFAULT_MAX_TEXT),
                            "find entities in", &len) ||
      baton__run_must_stop(env, 0, "token-classification"))
    return -1;
  if (strspn(text, " \t\r\n") == len)
    return baton__run_fail(env, "the text to find entities in is empty");
  baton__entity *found = malloc((EN_MAX_ENTITIES + 1) * sizeof *found);
  if (!found)
    return baton__run_fail(env, "out of memory");
  baton__en_text t = {text, len};
  size_t n = baton__entities_find(&t, found, EN_MAX_ENTITIES + 1);
  bool cut = n > EN_MAX_ENTITIES;
  n = cut ? EN_MAX_ENTITIES : n;
  const baton__output outs[] = {{"text", BATON__T_TEXT, en_list(&t, found, n, cut), false},
                                {"json", BATON__T_JSON, en_json(&t, found, n), false}};
  free(found);
  return baton__values_add_outputs(out, env, outs, sizeof outs / sizeof outs[0]);
}

static const char *const en_tasks[] = {"token-classification", NULL};

const baton__executor baton__executor_entities = {
    .name = "entities",
    .model_id = "local/entities",
    .tasks = en_tasks,
    .reentrant = true,
    .available = baton__executor_always_available,
    .init = baton__executor_no_state,
    .run = en_run,
    .release = baton__executor_no_release,
};

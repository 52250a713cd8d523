/* run_models.c — a run's model choice: the best available model and fallbacks for each step, with why, or what is missing. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

#define MAX_CANDIDATES 5

static char *step_text(const baton__task *t, const char *request) {
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t j = 0; j < t->n_args; j++)
    if (t->args[j].ref < 0 && baton__type_from_name(t->args[j].name) == BATON__T_TEXT) {
      baton__sb_add(&sb, t->args[j].value, strnlen(t->args[j].value, 2000));
      baton__sb_addc(&sb, ' ');
    }
  if (request)
    baton__sb_add(&sb, request, strnlen(request, 4000));
  return baton__sb_detach(&sb);
}

/* Says why no model can do a step and how to add one (into out). */
static void missing_model(baton *ctx, const char *task, const char *text, char *out,
                          size_t cap) {
  char why[256] = "no model is registered for it";
  baton__model m[1];
  size_t n = 0;
  char err[256];
  /* A model the filter rejected tells why. */
  if (baton__registry_match(ctx->reg, task, text, NULL, NULL, m, 1, &n, err, sizeof err) == 0 &&
      n) {
    baton__endpoint_ok(ctx, m[0].endpoint, why, sizeof why);
    baton__model_release(&m[0]);
  }
  const char *need = baton__capability_needed(task, text);
  baton__fmt(out, cap,
             "no available model can do %s%s%s (%s); add one: declare a model for it on a "
             "model server in the config (endpoints: - {name: NAME, base_url: URL, models: "
             "[{id: MODEL, tasks: [%s]}]}) or register one with `baton models add`",
             task, need ? ": the step needs " : "", need ? need : "", why, task);
}

/* Why the first of found[0..n) was chosen for a task: the score parts of
 * every candidate kept, and a sentence (as JSON text; caller frees). */
static char *choice_json(const baton__model *found, size_t n, const char *task) {
  cJSON *why = cJSON_CreateObject();
  cJSON *cands = cJSON_AddArrayToObject(why, "ranked");
  for (size_t k = 0; k < n; k++) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(cands, c);
    cJSON_AddStringToObject(c, "model", found[k].id);
    cJSON_AddStringToObject(c, "endpoint", found[k].endpoint);
    cJSON_AddNumberToObject(c, "score", found[k].score);
    cJSON_AddNumberToObject(c, "relevance", found[k].relevance);
    cJSON_AddNumberToObject(c, "popularity", found[k].popularity);
    cJSON_AddNumberToObject(c, "health", found[k].health);
    cJSON_AddNumberToObject(c, "local_bonus", found[k].local_bonus);
  }
  baton__sb reason;
  baton__sb_init(&reason);
  baton__sb_addf(&reason, "%s has the best score (%.3f = relevance %.3f + popularity %.3f + "
                          "health %.3f + local %.3f) of %zu available model%s for %s",
                 found[0].id, found[0].score, found[0].relevance, found[0].popularity,
                 found[0].health + 0.0, found[0].local_bonus, n, n == 1 ? "" : "s", task);
  char *rs = baton__sb_detach(&reason);
  cJSON_AddStringToObject(why, "reason", rs ? rs : "");
  free(rs);
  char *out = cJSON_PrintUnformatted(why);
  cJSON_Delete(why);
  return out;
}

/* Why no model can do a task, with how to add one (as JSON text; caller frees). */
static char *missing_json(baton *ctx, const baton__task *t, const char *request) {
  char miss[768];
  char *st = step_text(t, request);
  missing_model(ctx, t->task, st, miss, sizeof miss);
  free(st);
  cJSON *why = cJSON_CreateObject();
  cJSON_AddStringToObject(why, "reason", miss);
  cJSON_AddBoolToObject(why, "missing", true);
  char *out = cJSON_PrintUnformatted(why);
  cJSON_Delete(why);
  return out;
}

/* Picks a model and fallbacks for every task that has none. A task with no
 * available model keeps model NULL and its choice says what is missing;
 * the run then refuses to start (prepare). */
baton_rc baton__run_assign_models(baton *ctx, baton__graph *g, const char *request) {
  for (size_t i = 0; i < g->n; i++) {
    baton__task *t = &g->tasks[i];
    if (t->model)
      continue;
    baton__model found[MAX_CANDIDATES];
    size_t n = 0;
    char err[512] = "";
    char *text = step_text(t, request);
    int rc = baton__registry_match(ctx->reg, t->task, text, baton__endpoint_ok, ctx, found,
                                   MAX_CANDIDATES, &n, err, sizeof err);
    free(text);
    if (rc != 0)
      return baton__fail(ctx, BATON_DB, "choosing a model for task %d: %s", t->id, err);
    if (n) {
      free(t->choice);
      t->choice = choice_json(found, n, t->task);
      t->model = found[0].id;
      found[0].id = NULL;
      t->candidates = calloc(n, sizeof *t->candidates);
      for (size_t k = 1; t->candidates && k < n; k++) {
        t->candidates[t->n_candidates++] = found[k].id;
        found[k].id = NULL;
      }
    }
    if (!n) {
      free(t->choice);
      t->choice = missing_json(ctx, t, request);
    }
    for (size_t k = 0; k < n; k++)
      baton__model_release(&found[k]);
  }
  return BATON_OK;
}

/* Refuses a graph with a step no available model can do, before anything
 * runs: the message names the step, the missing kind and how to add one. */
baton_rc baton__run_check_models(baton *ctx, const baton__graph *g) {
  for (size_t i = 0; i < g->n; i++) {
    const baton__task *t = &g->tasks[i];
    if (t->model)
      continue;
    cJSON *ch = t->choice ? cJSON_Parse(t->choice) : NULL;
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "reason"));
    baton_rc rc = baton__fail(ctx, BATON_NOTFOUND, "nothing ran: step %d (%s): %s", t->id,
                              t->task, why ? why : "no available model can do it");
    cJSON_Delete(ch);
    return rc;
  }
  return BATON_OK;
}

/* run_models.c — a run's model choice: what each step asks of its model (its mode: reading a picture's words or describing it), the best available model and fallbacks for it, with why, or what is missing. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

#define MAX_CANDIDATES 5

/* What a step's model and mode are judged on: its literal texts, then its own words of the
 * request when the planner said which (t->words), else the whole request. Caller frees. */
static char *step_text(const baton__task *t, const char *request) {
  if (t->words)
    request = t->words;
  baton__sb sb;
  baton__sb_init(&sb);
  for (size_t j = 0; j < t->n_args; j++)
    if (t->args[j].ref < 0 && baton__arg_type(t->args[j].name) == BATON__T_TEXT) {
      baton__sb_add(&sb, t->args[j].value, strnlen(t->args[j].value, 2000));
      baton__sb_addc(&sb, ' ');
    }
  if (request)
    baton__sb_add(&sb, request, strnlen(request, 4000));
  return baton__sb_detach(&sb);
}

/* What the registry holds for `task` beyond what matched (into why, after what it has):
 * disabled models ("local/pocketsphinx is disabled: ..."), or, when `none` matched at all, that
 * none is registered or that those registered do not fit the step. */
static void registered_note(baton *ctx, const char *task, bool none, char *why, size_t cap) {
  char err[256];
  cJSON *all = baton__registry_list(ctx->reg, task, 0, err, sizeof err), *m;
  size_t total = 0, off = 0, l = strlen(why);
  baton__sb sb;
  baton__sb_init(&sb);
  cJSON_ArrayForEach(m, all) {
    total++;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(m, "enabled")) && cJSON_IsString(id) &&
        off++ < 3)
      baton__sb_addf(&sb, "%s%s", off > 1 ? ", " : "", id->valuestring);
  }
  cJSON_Delete(all);
  const char *sep = l ? "; " : "";
  if (!total)
    baton__fmt(why + l, cap - l, "%sno model is registered for it", sep);
  else if (off)
    baton__fmt(why + l, cap - l, "%s%s%s %s disabled: `baton models enable %s` turns %s back on%s",
               sep, sb.buf, off > 3 ? "..." : "", off > 1 ? "are" : "is",
               off > 1 ? "ID" : sb.buf, off > 1 ? "one" : "it",
               none && total > off ? "; the others registered for it do not fit the step" : "");
  else if (none)
    baton__fmt(why + l, cap - l, "%snone of the %zu model%s registered for it fits the step", sep,
               total, total > 1 ? "s" : "");
  baton__sb_release(&sb);
}

void baton__run_missing_model(baton *ctx, const char *task, const char *text, char *out,
                              size_t cap) {
  char why[512] = "", one[256], err[256];
  baton__model m[8];
  size_t n = 0, l = 0;
  /* The models the filter rejected tell why, each kind of reason once ("set HF_TOKEN ...; no LLM
   * is configured ..."). */
  if (baton__registry_match(ctx->reg, task, text, NULL, NULL, m, 8, &n, err, sizeof err) != 0)
    n = 0;
  for (size_t k = 0; k < n; k++) {
    one[0] = '\0';
    baton__endpoint_ok(ctx, m[k].endpoint, one, sizeof one);
    if (one[0] && (l == 0 || !strstr(why, one)))
      baton__fmt(why + l, sizeof why - l, "%s%s", l ? "; " : "", one), l = strlen(why);
    baton__model_release(&m[k]);
  }
  registered_note(ctx, task, n == 0, why, sizeof why);
  char un[400];
  l = strlen(why);
  if (baton__endpoints_unserved(ctx, task, un, sizeof un))
    baton__fmt(why + l, sizeof why - l, "; %s", un);
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
  baton__run_missing_model(ctx, t->task, st, miss, sizeof miss);
  free(st);
  cJSON *why = cJSON_CreateObject();
  cJSON_AddStringToObject(why, "reason", miss);
  cJSON_AddBoolToObject(why, "missing", true);
  char *out = cJSON_PrintUnformatted(why);
  cJSON_Delete(why);
  return out;
}

/* The next literal text argument of a task from *j on (advancing *j), or NULL. */
static const char *next_text(const baton__task *t, size_t *j) {
  for (; *j < t->n_args; (*j)++)
    if (t->args[*j].ref < 0 && baton__arg_type(t->args[*j].name) == BATON__T_TEXT)
      return t->args[(*j)++].value;
  return NULL;
}

/* Compares what two tasks' model choice depends on: the kind, the step's own words (the request
 * is the same for all), then the literal texts as step_text reads them. */
static int choice_key_cmp(const baton__task *a, const baton__task *b) {
  int c = strcmp(a->task, b->task);
  if (c == 0 && (a->words || b->words))
    c = !a->words ? -1 : !b->words ? 1 : strncmp(a->words, b->words, 4000);
  for (size_t i = 0, j = 0; c == 0;) {
    const char *x = next_text(a, &i), *y = next_text(b, &j);
    if (!x || !y)
      return x ? 1 : y ? -1 : 0;
    c = strncmp(x, y, 2000);
  }
  return c;
}

/* By choice key, then by place in the plan. */
static int by_choice_key(const void *pa, const void *pb) {
  const baton__task *a = *(const baton__task *const *)pa, *b = *(const baton__task *const *)pb;
  int c = choice_key_cmp(a, b);
  return c ? c : (a > b) - (a < b);
}

/* For each task that needs a model, the first task of the plan whose choice
 * is the same (itself when none is before it), so that the registry is asked
 * once per distinct kind and text rather than once per step: leader[i] <= i,
 * or -1 for a task that has its model. NULL when out of memory. */
static ptrdiff_t *choice_leaders(const baton__graph *g) {
  size_t cap = g->n ? g->n : 1;
  ptrdiff_t *leader = malloc(cap * sizeof *leader);
  const baton__task **order = malloc(cap * sizeof *order);
  if (!leader || !order) {
    free(leader);
    free(order);
    return NULL;
  }
  size_t m = 0;
  for (size_t i = 0; i < g->n; i++) {
    leader[i] = -1;
    if (!g->tasks[i].model)
      order[m++] = &g->tasks[i];
  }
  qsort(order, m, sizeof *order, by_choice_key);
  for (size_t k = 0, first = 0; k < m; k++) {
    if (k > 0 && choice_key_cmp(order[k - 1], order[k]) != 0)
      first = k;
    leader[order[k] - g->tasks] = order[first] - g->tasks;
  }
  free(order);
  return leader;
}

/* Gives task t the choice made for task `from` (an earlier task with the
 * same kind and text). 0, or -1 when out of memory. */
static int copy_choice(baton__task *t, const baton__task *from) {
  free(t->choice);
  t->choice = from->choice ? baton__strdup(from->choice) : NULL;
  t->model = from->model ? baton__strdup(from->model) : NULL;
  if ((from->choice && !t->choice) || (from->model && !t->model))
    return -1;
  if (!from->model)
    return 0;
  t->candidates = calloc(from->n_candidates + 1, sizeof *t->candidates);
  if (!t->candidates)
    return -1;
  for (size_t k = 0; k < from->n_candidates; k++)
    if ((t->candidates[t->n_candidates] = baton__strdup(from->candidates[k])))
      t->n_candidates++;
  return t->n_candidates == from->n_candidates ? 0 : -1;
}

/* Asks the registry for task t's model and fallbacks. A task with no
 * available model keeps model NULL and its choice says what is missing. */
static baton_rc choose_model(baton *ctx, baton__task *t, const char *request) {
  baton__model found[MAX_CANDIDATES];
  size_t n = 0;
  char err[512] = "";
  char *text = step_text(t, request);
  int rc = baton__registry_match(ctx->reg, t->task, text, baton__endpoint_ok, ctx, found,
                                 MAX_CANDIDATES, &n, err, sizeof err);
  free(text);
  if (rc != 0)
    return baton__fail(ctx, BATON_DB, "choosing a model for task %d: %s", t->id, err);
  free(t->choice);
  if (n) {
    t->choice = choice_json(found, n, t->task);
    t->model = found[0].id;
    found[0].id = NULL;
    t->candidates = calloc(n, sizeof *t->candidates);
    for (size_t k = 1; t->candidates && k < n; k++) {
      t->candidates[t->n_candidates++] = found[k].id;
      found[k].id = NULL;
    }
  } else {
    t->choice = missing_json(ctx, t, request);
  }
  for (size_t k = 0; k < n; k++)
    baton__model_release(&found[k]);
  return BATON_OK;
}

/* The task of id `id` in g, or NULL. */
static baton__task *task_of(baton__graph *g, int id) {
  for (size_t k = 0; k < g->n; k++)
    if (g->tasks[k].id == id)
      return &g->tasks[k];
  return NULL;
}

static bool makes_subtitles(const baton__task *t) {
  const char *mode = baton__task_literal(t, "mode");
  return mode && (strcmp(mode, "subtitles") == 0 || strcmp(mode, "webvtt") == 0);
}

/* Subtitles kept through a task keeping cues (a translation): one taking the text of a task
 * making subtitles ("transcribe talk.wav with timestamps and translate it") translates them, and
 * one asked to ("transcribe talk.wav and translate the subtitles") asks the task it takes its text
 * from for them. 0, or -1 when out of memory. */
static int link_subtitles(baton__graph *g) {
  for (size_t i = 0; i < g->n; i++) {
    baton__task *t = &g->tasks[i];
    const char *mode = baton__task_literal(t, "mode");
    for (size_t j = 0; baton__run_subs_keeps(t->task) && j < t->n_args; j++) {
      baton__task *from = t->args[j].ref >= 0 ? task_of(g, t->args[j].ref) : NULL;
      const char *asked = from ? baton__capability_mode(from->task, "subtitles") : NULL;
      if (from && !mode && makes_subtitles(from) &&
          baton__task_add_arg(t, "mode", mode = "subtitles", -1) != 0)
        return -1;
      if (from && mode && !strcmp(mode, "subtitles") && asked &&
          !baton__task_literal(from, "mode") && baton__task_add_arg(from, "mode", asked, -1) != 0)
        return -1;
    }
  }
  return 0;
}

/* Gives each task the "mode" its step asks for (capability.c: "read" the words on a picture, or
 * "describe" it) unless the plan gave one, so that the model is told which (a vision model reads
 * a sign rather than captioning it), and subtitles kept through a translation (link_subtitles).
 * 0, or -1 when out of memory. */
static int mark_modes(baton__graph *g, const char *request) {
  for (size_t i = 0; i < g->n; i++) {
    baton__task *t = &g->tasks[i];
    bool given = false;
    for (size_t j = 0; j < t->n_args && !given; j++)
      given = strcmp(t->args[j].name, "mode") == 0;
    char *text = given ? NULL : step_text(t, request);
    if (!given && !text)
      return -1;
    const char *mode = text ? baton__capability_mode(t->task, text) : NULL;
    free(text);
    if (mode && baton__task_add_arg(t, "mode", mode, -1) != 0)
      return -1;
  }
  return link_subtitles(g);
}

/* Gives every task the mode its step asks for (mark_modes) and picks a model and fallbacks for
 * every task that has none, asking the registry once per distinct kind and text
 * (choice_leaders). A task with no available model keeps model NULL and its choice says what is
 * missing; the run then refuses to start (prepare). */
baton_rc baton__run_assign_models(baton *ctx, baton__graph *g, const char *request) {
  ptrdiff_t *leader = mark_modes(g, request) == 0 ? choice_leaders(g) : NULL;
  if (!leader)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  baton_rc rc = BATON_OK;
  for (size_t i = 0; rc == BATON_OK && i < g->n; i++) {
    if (leader[i] < 0)
      continue;
    if ((size_t)leader[i] == i)
      rc = choose_model(ctx, &g->tasks[i], request);
    else if (copy_choice(&g->tasks[i], &g->tasks[leader[i]]) != 0)
      rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
  }
  free(leader);
  return rc;
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

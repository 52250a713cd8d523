/* explain.c — explaining a choice: the ranked candidates, what each matched, why the first available one wins. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/rank.h"
#include "core/banned.h"

static const char *main_reason(const baton__model *a, const baton__model *b) {
  double d[4] = {a->relevance - b->relevance, a->popularity - b->popularity,
                 a->health - b->health, a->local_bonus - b->local_bonus};
  const char *names[4] = {"relevance", "popularity", "health", "local bonus"};
  int best = 0;
  for (int i = 1; i < 4; i++)
    if (d[i] > d[best])
      best = i;
  return names[best];
}

/* What a candidate's description or id matches of the words. */
static cJSON *matched_words(const baton__model *m, const qterms *tw) {
  cJSON *mw = cJSON_CreateArray();
  for (int k = 0; mw && k < tw->n; k++)
    if (baton__mentions(m->description, tw->w[k]) || baton__mentions(m->id, tw->w[k]))
      cJSON_AddItemToArray(mw, cJSON_CreateString(tw->w[k]));
  return mw;
}

/* One ranked candidate, with whether it can run here (why in why). */
static cJSON *candidate(const baton__model *m, size_t rank, const qterms *tw, bool avail,
                        const char *why, bool is_chosen) {
  cJSON *c = cJSON_CreateObject();
  if (!c)
    return NULL;
  cJSON_AddNumberToObject(c, "rank", (double)rank);
  cJSON_AddStringToObject(c, "id", m->id);
  cJSON_AddStringToObject(c, "endpoint", m->endpoint);
  cJSON_AddNumberToObject(c, "score", m->score);
  cJSON_AddNumberToObject(c, "relevance", m->relevance);
  cJSON_AddNumberToObject(c, "popularity", m->popularity);
  cJSON_AddNumberToObject(c, "health", m->health);
  cJSON_AddNumberToObject(c, "local_bonus", m->local_bonus);
  cJSON_AddItemToObject(c, "matched", matched_words(m, tw));
  cJSON_AddBoolToObject(c, "available", avail);
  if (avail)
    cJSON_AddNullToObject(c, "reason");
  else
    cJSON_AddStringToObject(c, "reason", why);
  cJSON_AddBoolToObject(c, "chosen", is_chosen);
  return c;
}

/* The sentence saying why chosen wins: its score parts, the words it
 * matches, what it beats and what ranked higher but cannot run. */
static char *why_chosen(const baton__model *chosen, const char *task, const qterms *tw,
                        const baton__model *runner_up, const baton__sb *skipped, int n_skipped) {
  baton__sb w;
  baton__sb_init(&w);
  baton__sb_addf(&w,
                 "%s has the highest score among the models of %s that can run here: "
                 "%.3f = relevance %.3f + popularity %.3f + health %.3f + local bonus %.3f",
                 chosen->id, task, chosen->score, chosen->relevance, chosen->popularity,
                 chosen->health, chosen->local_bonus);
  int matched = 0;
  for (int k = 0; k < tw->n; k++)
    if (baton__mentions(chosen->description, tw->w[k]) || baton__mentions(chosen->id, tw->w[k]))
      baton__sb_addf(&w, "%s%s", matched++ ? ", " : "; its description matches: ", tw->w[k]);
  if (runner_up)
    baton__sb_addf(&w, ". It is ahead of %s (%.3f) mostly on %s", runner_up->id,
                   runner_up->score, main_reason(chosen, runner_up));
  if (skipped->len)
    baton__sb_addf(&w, ". Ranked higher but cannot run here: %s", skipped->buf);
  if (n_skipped > 3)
    baton__sb_addf(&w, " and %d more", n_skipped - 3);
  baton__sb_addc(&w, '.');
  return baton__sb_detach(&w);
}

/* Fills o with the candidates (all[0..n), then chosen when not among
 * them) and the choice with the reason for it. */
static void explain_into(cJSON *o, const char *task, const qterms *tw, const baton__model *all,
                         size_t n, const baton__model *chosen, baton__endpoint_ok_fn ok,
                         void *ud) {
  cJSON *carr = cJSON_AddArrayToObject(o, "candidates");
  bool listed = false;
  const baton__model *runner_up = NULL;
  baton__sb skipped;
  baton__sb_init(&skipped);
  int n_skipped = 0;
  for (size_t i = 0; i <= n; i++) {
    const baton__model *m = i < n ? &all[i] : (chosen && !listed ? chosen : NULL);
    if (!m)
      break;
    char why[256] = "";
    bool avail = !ok || ok(ud, m->endpoint, why, sizeof why);
    bool is_chosen = chosen && !strcmp(m->id, chosen->id);
    cJSON_AddItemToArray(carr, candidate(m, i + 1, tw, avail, why, is_chosen));
    if (is_chosen)
      listed = true;
    else if (avail && listed && !runner_up)
      runner_up = m;
    else if (!avail && !listed && n_skipped++ < 3)
      baton__sb_addf(&skipped, "%s%s (%s)", skipped.len ? "; " : "", m->id, why);
  }
  if (!chosen) {
    cJSON_AddNullToObject(o, "chosen");
    cJSON_AddStringToObject(o, "why",
                            n ? "no model of this task can run here (see each reason)"
                              : "the registry has no enabled model for this task");
  } else {
    cJSON_AddStringToObject(o, "chosen", chosen->id);
    char *w = why_chosen(chosen, task, tw, runner_up, &skipped, n_skipped);
    cJSON_AddStringToObject(o, "why", w ? w : "");
    free(w);
  }
  baton__sb_release(&skipped);
}

cJSON *baton__registry_explain(baton__registry *reg, const char *task, const char *text,
                               baton__endpoint_ok_fn ok, void *ud, int limit, char *err,
                               size_t errlen) {
  if (!reg || !task) {
    baton__fmt(err, errlen, "bad arguments to explain");
    return NULL;
  }
  size_t max = limit > 0 ? (size_t)limit : 10;
  baton__model *all = calloc(max, sizeof *all);
  baton__model chosen;
  memset(&chosen, 0, sizeof chosen);
  size_t n = 0, nchosen = 0;
  cJSON *o = NULL;
  if (!all) {
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  if (baton__registry_match(reg, task, text, NULL, NULL, all, max, &n, err, errlen) ||
      baton__registry_match(reg, task, text, ok, ud, &chosen, 1, &nchosen, err, errlen))
    goto done;
  qterms tw;
  baton__query_terms(text, task, &tw);
  o = cJSON_CreateObject();
  cJSON *tarr = cJSON_AddArrayToObject(o, "terms");
  cJSON_AddStringToObject(o, "task", task);
  cJSON_AddStringToObject(o, "text", text ? text : "");
  for (int i = 0; i < tw.n; i++)
    cJSON_AddItemToArray(tarr, cJSON_CreateString(tw.w[i]));
  explain_into(o, task, &tw, all, n, nchosen ? &chosen : NULL, ok, ud);
done:
  for (size_t i = 0; i < n; i++)
    baton__model_release(&all[i]);
  free(all);
  baton__model_release(&chosen);
  return o;
}

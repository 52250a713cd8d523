/* run_plan.c — a run's task graph: the plan given or the planner's (LLM or offline), interruptible; baton_plan. */
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "planner/conversation.h"
#include "planner/offline.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "runtime/runnable.h"
#include "core/banned.h"

static const baton__taskspec *lookup_task(void *ud, const char *name) {
  return baton__registry_task(((baton *)ud)->reg, name);
}

/* Whether baton_interrupt_tag() was given tag lately. */
static bool tag_stopped(baton *ctx, uint64_t tag) {
  for (int i = 0; tag && i < BATON__STOPPED_TAGS; i++)
    if (atomic_load(&ctx->stopped_tags[i]) == tag)
      return true;
  return false;
}

/* Takes a planning slot for baton_interrupt() and baton_interrupt_tag(): its
 * index, or -1 when all are taken (the call then cannot be interrupted).
 * Planning for a closing context or an interrupted tag is stopped at once:
 * the slot is published before those are looked at, and they are set before
 * the slots are, so one side always sees the other. */
static int plan_slot_take(baton *ctx, uint64_t tag) {
  for (int i = 0; i < BATON__PLAN_SLOTS; i++) {
    int free_ = 0;
    if (atomic_compare_exchange_strong(&ctx->plan_used[i], &free_, 1)) {
      atomic_store(&ctx->plan_tag[i], tag);
      atomic_store(&ctx->plan_stop[i], 0);
      if (atomic_load(&ctx->closing) || tag_stopped(ctx, tag))
        atomic_store(&ctx->plan_stop[i], 1);
      return i;
    }
  }
  return -1;
}

static void plan_slot_give(baton *ctx, int i) {
  if (i >= 0) {
    atomic_store(&ctx->plan_tag[i], 0);
    atomic_store(&ctx->plan_used[i], 0);
  }
}

void baton_interrupt(baton *ctx) {
  if (!ctx)
    return;
  for (int i = 0; i < BATON__PLAN_SLOTS; i++)
    if (atomic_load(&ctx->plan_used[i]))
      atomic_store(&ctx->plan_stop[i], 1);
}

void baton_interrupt_tag(baton *ctx, uint64_t tag) {
  baton__interrupt_tag_because(ctx, tag, NULL);
}

const char *baton__tag_reason(baton *ctx, uint64_t tag) {
  for (int i = 0; tag && i < BATON__STOPPED_TAGS; i++)
    if (atomic_load(&ctx->stopped_tags[i]) == tag)
      return atomic_load(&ctx->stopped_why[i]);
  return NULL;
}

void baton__interrupt_tag_because(baton *ctx, uint64_t tag, const char *why) {
  if (!ctx || !tag)
    return;
  unsigned k = atomic_fetch_add(&ctx->stopped_next, 1) % BATON__STOPPED_TAGS;
  atomic_store(&ctx->stopped_why[k], why);
  atomic_store(&ctx->stopped_tags[k], tag);
  for (int i = 0; i < BATON__PLAN_SLOTS; i++)
    if (atomic_load(&ctx->plan_used[i]) && atomic_load(&ctx->plan_tag[i]) == tag)
      atomic_store(&ctx->plan_stop[i], 1);
}

/* The plan given with the request, parsed within the limits. */
static baton_rc given_plan(baton *ctx, const char *plan_json, baton__graph *g) {
  char err[768] = "";
  size_t len = strlen(plan_json);
  if (len > ctx->cfg.max_plan_bytes)
    return baton__fail(ctx, BATON_LIMIT, "the plan is %zu bytes; the limit is %zu", len,
                       ctx->cfg.max_plan_bytes);
  if (baton__graph_parse(plan_json, len, ctx->cfg.max_tasks, g, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_PLAN, "%s", err);
  return BATON_OK;
}

/* The LLM's plan (or its direct answer, with no tasks), interruptible by
 * baton_interrupt(); what the calls cost goes to li. */
static baton_rc llm_plan(baton *ctx, const baton_request *req, baton__graph *g,
                         baton__run_llm *li, char note[BATON__PLAN_NOTE]) {
  char err[768] = "";
  int slot = plan_slot_take(ctx, req->interrupt_tag);
  size_t n_kinds = 0;
  const baton__taskspec *kinds = baton__registry_tasks(ctx->reg, &n_kinds);
  unsigned char *runnable = baton__runnable_kinds(ctx, kinds, n_kinds);
  baton__llm_plan_req pr = {.llm = ctx->llm, .cfg = &ctx->cfg, .reg = ctx->reg,
                            .request = req->text, .messages_json = req->messages,
                            .inputs = req->inputs, .n_inputs = req->n_inputs,
                            .runnable = runnable,
                            .cancel = slot >= 0 ? &ctx->plan_stop[slot] : NULL};
  baton__llm_plan_res res;
  baton_rc lrc = baton__llm_plan(&pr, &res, err, sizeof err);
  plan_slot_give(ctx, slot);
  free(runnable);
  if (li) {
    li->used = true;
    li->usage = res.usage;
    memcpy(li->calls, res.calls, res.n_calls * sizeof res.calls[0]);
    li->n_calls = res.n_calls;
  }
  if (res.note[0]) {
    baton__log(ctx, BATON_LOG_WARN, "%s", res.note);
    baton__fmt(note, BATON__PLAN_NOTE, "%s", res.note);
  }
  if (lrc != BATON_OK) {
    baton__llm_plan_res_release(&res);
    return baton__fail(ctx, lrc, "%s", err);
  }
  *g = res.g;
  memset(&res.g, 0, sizeof res.g);
  if (li) {
    li->answer = res.answer;
    res.answer = NULL;
  }
  baton__llm_plan_res_release(&res);
  return BATON_OK;
}

/* The offline planner's plan. What can be translated here is looked up (the registry and
 * apertium's pairs) only when the request names a language the planner does not know, to say so:
 * the request is then planned again with it. */
static baton_rc offline_plan(baton *ctx, const baton_request *req, baton__graph *g,
                             char note[BATON__PLAN_NOTE]) {
  char err[1024] = "";
  size_t n_tasks = 0;
  const baton__taskspec *tasks = baton__registry_tasks(ctx->reg, &n_tasks);
  unsigned char *runnable = baton__runnable_kinds(ctx, tasks, n_tasks);
  baton__offline_req orq = {.request = req->text, .inputs = req->inputs,
                            .n_inputs = req->n_inputs, .tasks = tasks, .n_tasks = n_tasks,
                            .runnable = runnable, .messages_json = req->messages,
                            .note = note, .notelen = BATON__PLAN_NOTE};
  int orc = baton__plan_offline_req(&orq, g, err, sizeof err);
  char translations[1536], advice[768] = ""; /* advice: when nothing here can translate */
  if (orc != 0 && strncmp(err, BATON__UNKNOWN_LANGUAGE, strlen(BATON__UNKNOWN_LANGUAGE)) == 0) {
    baton__translations_here(ctx, translations, sizeof translations);
    if (!translations[0])
      baton__run_missing_model(ctx, "translation", NULL, advice, sizeof advice);
    orq.translations = translations[0] ? translations : NULL;
    orq.translate_advice = advice[0] ? advice : NULL;
    note[0] = '\0';
    orc = baton__plan_offline_req(&orq, g, err, sizeof err);
  }
  free(runnable);
  if (orc != 0)
    return baton__fail(ctx, BATON_PLAN, "%s", err);
  if (note[0])
    baton__log(ctx, BATON_LOG_WARN, "%s", note);
  return BATON_OK;
}

baton_rc baton__run_make_graph(baton *ctx, const baton_request *req, baton__graph *g,
                               baton__run_llm *li, char note[BATON__PLAN_NOTE]) {
  note[0] = '\0';
  baton_rc rc;
  if (atomic_load(&ctx->closing))
    return baton__fail(ctx, BATON_CANCELLED, "cancelled: the context is being closed");
  const char *bad = req->messages && req->plan_json
                        ? baton__json_text_problem(req->messages, strlen(req->messages))
                        : NULL; /* (with a request, the planners' check below says it) */
  if (bad)
    return baton__fail(ctx, BATON_INVALID, "messages are refused: %s", bad);
  if (req->plan_json) {
    rc = given_plan(ctx, req->plan_json, g);
  } else {
    if (!req->text || !req->text[strspn(req->text, " \t\r\n\f\v")]) /* blanks alone too */
      return baton__fail(ctx, BATON_INVALID, "the request is empty");
    size_t len = strlen(req->text);
    if (len > ctx->cfg.max_request_bytes)
      return baton__fail(ctx, BATON_LIMIT, "the request is %zu bytes; the limit is %zu", len,
                         ctx->cfg.max_request_bytes);
    char herr[160];
    if (baton__conversation_parse(req->messages, NULL, herr, sizeof herr) != 0)
      return baton__fail(ctx, BATON_INVALID, "%s", herr); /* alike for both planners */
    if (ctx->llm && !req->offline) {
      if ((rc = llm_plan(ctx, req, g, li, note)) != BATON_OK)
        return rc;
      /* No tasks: the request needs no model; the answer comes from the LLM. */
      return g->n ? baton__run_assign_models(ctx, g, req->text) : BATON_OK;
    }
    rc = offline_plan(ctx, req, g, note);
  }
  if (rc != BATON_OK)
    return rc;
  char err[768] = "";
  if (g->n == 0)
    return baton__fail(ctx, BATON_PLAN, "the plan has no tasks");
  if (baton__graph_validate(g, lookup_task, ctx, err, sizeof err) != 0)
    return baton__fail(ctx, BATON_PLAN, "%s", err);
  return baton__run_assign_models(ctx, g, req->text);
}

baton_rc baton_plan(baton *ctx, const baton_request *req, char **json_out) {
  return baton_plan_answer(ctx, req, json_out, NULL);
}

baton_rc baton_plan_answer(baton *ctx, const baton_request *req, char **json_out,
                           char **answer_out) {
  return baton_plan_noted(ctx, req, json_out, answer_out, NULL);
}

baton_rc baton_plan_noted(baton *ctx, const baton_request *given, char **json_out,
                          char **answer_out, char **note_out) {
  *json_out = NULL;
  if (answer_out)
    *answer_out = NULL;
  if (note_out)
    *note_out = NULL;
  baton_request copy;
  const baton_request *req = &copy;
  if (given && baton__sized_copy(&copy, sizeof copy, given, "baton_request") != BATON_OK)
    return BATON_INVALID;
  if (!given || (!req->text && !req->plan_json))
    return baton__fail(ctx, BATON_INVALID, "the request has neither text nor a plan");
  baton__graph g = {0};
  baton__run_llm li = {0};
  char note[BATON__PLAN_NOTE] = "", *named = NULL; /* the files its patterns match, named */
  baton_rc rc = baton__run_expand_patterns_here(ctx, req, &named);
  if (named)
    copy.text = named;
  if (rc == BATON_OK)
    rc = baton__run_make_graph(ctx, req, &g, &li, note);
  if (rc == BATON_OK) /* what `baton run` would refuse: "describe mi foto ñ.png" unquoted */
    baton__run_note_spaced_names(ctx, req, &g, note);
  if (rc == BATON_OK) {
    *json_out = baton__graph_print(&g);
    if (!*json_out) {
      rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    } else if (note_out && note[0] && !(*note_out = baton__strdup(note))) {
      baton_free(*json_out), *json_out = NULL;
      rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    } else if (answer_out && li.answer) {
      *answer_out = li.answer;
      li.answer = NULL;
    }
  }
  free(li.answer);
  free(named);
  baton__graph_release(&g);
  return rc;
}

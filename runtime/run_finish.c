/* run_finish.c — a run's end: the answer (LLM or offline summary), the result JSON stored, the last events. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "planner/summary.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "core/banned.h"

/* Streams a piece of the LLM's answer as a summary.delta event. */
static void summary_delta(void *ud, const char *piece, size_t len) {
  char *s = baton__strndup(piece, len);
  if (s)
    baton__run_emit(ud, BATON_EVENT_SUMMARY_DELTA, -1, s, NULL);
  free(s);
}

/* The answer: the LLM's direct answer, else the LLM summarizer (streamed as
 * summary.delta events) for an LLM-planned run, else the offline one. */
static char *make_summary(baton_run *run, const cJSON *tasks) {
  char *s = NULL;
  if (run->llm.answer) {
    s = baton__strdup(run->llm.answer);
  } else if (run->llm.used && run->ctx->llm && !atomic_load(&run->cancel)) {
    cJSON *plan = baton__graph_to_json(&run->g);
    baton__llm_summary_req sr = {.llm = run->ctx->llm, .cfg = &run->ctx->cfg,
                                 .request = run->request, .messages_json = run->messages,
                                 .plan = plan, .tasks = tasks, .on_delta = summary_delta,
                                 .delta_ud = run, .cancel = &run->cancel};
    char err[1024];
    baton__llm_call call = {NULL, 0, 0, 0};
    baton_rc src = baton__llm_summarize(&sr, &s, &run->llm.usage, &call, err, sizeof err);
    if (call.what && run->llm.n_calls < BATON__LLM_PLAN_CALLS + 1)
      run->llm.calls[run->llm.n_calls++] = call;
    if (src == BATON_OK) {
      cJSON_Delete(plan);
      return s;
    }
    cJSON_Delete(plan);
    baton__log(run->ctx, BATON_LOG_WARN, "run %s: %s; using the offline summary", run->id, err);
  }
  if (!s)
    s = baton__summarize_offline(run->request, tasks);
  if (s)
    baton__run_emit(run, BATON_EVENT_SUMMARY_DELTA, -1, s, NULL);
  return s;
}

/* The run's end could not be stored: it ends failed, with the reason in
 * its result ("error"), so the caller never hears `done` for a run the
 * history does not hold. */
static void unsaved(baton_run *run, cJSON *res, const char *why) {
  baton__log(run->ctx, BATON_LOG_ERROR, "run %s: %s", run->id, why);
  run->rc = BATON_DB;
  if (!res)
    return;
  char msg[1024], rerr[256];
  cJSON *kept = baton__runstore_get(run->ctx->runs, run->id, rerr, sizeof rerr);
  if (kept)
    baton__fmt(msg, sizeof msg,
               "the run's final state could not be stored: %s; the history keeps it as "
               "interrupted (`baton runs resume %s` runs its unfinished tasks once there is "
               "room)", why, run->id);
  else
    baton__fmt(msg, sizeof msg, "the run could not be stored: %s; the history does not hold it",
               why);
  cJSON_Delete(kept);
  cJSON_ReplaceItemInObjectCaseSensitive(res, "status", cJSON_CreateString("failed"));
  cJSON_DeleteItemFromObjectCaseSensitive(res, "error");
  cJSON_AddStringToObject(res, "error", msg);
  char *j = cJSON_PrintUnformatted(res);
  if (j) {
    free(run->result_json);
    run->result_json = j;
  }
}

/* The run's final status ("done", "failed", "cancelled"); sets run->rc. */
static const char *final_status(baton_run *run) {
  bool any_failed = false, any_cancelled = false;
  for (size_t i = 0; i < run->g.n; i++) {
    any_failed |= run->ts[i].status == TS_FAILED || run->ts[i].status == TS_SKIPPED;
    any_cancelled |= run->ts[i].status == TS_CANCELLED;
  }
  run->rc = BATON_OK;
  if (atomic_load(&run->cancel) || any_cancelled) {
    run->rc = BATON_CANCELLED;
    return "cancelled";
  }
  if (any_failed) {
    run->rc = BATON_EXEC;
    return "failed";
  }
  return "done";
}

void baton__run_add_usage(const baton__run_llm *llm, cJSON *res) {
  static const baton__run_llm none = {0};
  if (!llm)
    llm = &none;
  cJSON *usage = cJSON_AddObjectToObject(res, "usage");
  cJSON_AddNumberToObject(usage, "llm_calls", (double)llm->usage.llm_calls);
  cJSON_AddNumberToObject(usage, "prompt_tokens", (double)llm->usage.prompt_tokens);
  cJSON_AddNumberToObject(usage, "completion_tokens", (double)llm->usage.completion_tokens);
  cJSON *calls = cJSON_AddArrayToObject(usage, "calls");
  for (size_t i = 0; calls && i < llm->n_calls; i++) {
    const baton__llm_call *c = &llm->calls[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "call", c->what);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)c->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)c->completion_tokens);
    cJSON_AddNumberToObject(o, "prompt_chars", (double)c->prompt_chars);
    cJSON_AddItemToArray(calls, o);
  }
}

/* The plan as the run's start recorded it (the graph has not changed):
 * its text, referenced rather than copied or parsed again. */
static cJSON *plan_item(const baton_run *run) {
  if (!run->plan_json)
    return baton__graph_to_json(&run->g);
  cJSON *raw = cJSON_CreateRaw("");
  if (!raw)
    return NULL;
  cJSON_free(raw->valuestring);
  raw->valuestring = run->plan_json;
  raw->type |= cJSON_IsReference; /* cJSON_Delete leaves the text to the run */
  return raw;
}

/* About how long the result's text is: the plan, and each task's fields. */
static size_t result_estimate(const baton_run *run) {
  size_t n = 1024 + (run->plan_json ? strlen(run->plan_json) : 0) +
             (run->request ? strlen(run->request) : 0);
  for (size_t i = 0; i < run->g.n; i++) {
    n += 160 + strlen(run->g.tasks[i].task);
    for (size_t k = 0; k < run->ts[i].out.n; k++)
      n += 16 + (run->ts[i].out.v[k].data ? strlen(run->ts[i].out.v[k].data) : 0);
  }
  return n;
}

/* The result object's own members: the run, its answer and usage (its plan
 * and tasks go in later, before "summary"). */
static void fill_result(baton_run *run, cJSON *res, const char *status) {
  cJSON_AddStringToObject(res, "run_id", run->id);
  cJSON_AddStringToObject(res, "status", status);
  if (!strcmp(status, "cancelled") && atomic_load(&run->reason_ready))
    cJSON_AddStringToObject(res, "cancel_reason", run->cancel_reason);
  if (run->request)
    cJSON_AddStringToObject(res, "request", run->request);
  if (run->plan_note[0]) /* what the planner noted: an input no step takes, a step left out */
    cJSON_AddStringToObject(res, "note", run->plan_note);
  if (run->replay_of)
    cJSON_AddStringToObject(res, "replay_of", run->replay_of);
  cJSON_AddStringToObject(res, "summary", run->summary ? run->summary : "");
  cJSON_AddStringToObject(res, "workspace", run->workspace);
  baton__run_add_usage(&run->llm, res);
}

void baton__run_finish(baton_run *run) {
  const char *status = final_status(run);
  cJSON *res = cJSON_CreateObject();
  cJSON *tasks = baton__run_tasks_json(run);
  run->summary = make_summary(run, tasks);
  char *stored = NULL; /* the history keeps the plan and tasks already */
  if (res && tasks) {
    fill_result(run, res, status);
    stored = cJSON_PrintUnformatted(res);
    baton__runstore_result_put(res, plan_item(run), tasks);
    tasks = NULL;
    run->result_json = baton__run_print_sized(res, result_estimate(run));
  }
  cJSON_Delete(tasks);
  char err[512];
  if (baton__runstore_finish(run->ctx->runs, run->id, status, run->summary, stored, err,
                             sizeof err) != 0)
    unsaved(run, res, err);
  else
    baton__runs_prune(run->ctx); /* a finished run may take an older one's place */
  free(stored);
  cJSON_Delete(res);
  baton__run_emit(run, BATON_EVENT_DONE, -1, NULL, run->result_json);
}

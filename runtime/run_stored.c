/* run_stored.c — runs from the history: resume a run's unfinished tasks, or replay a recorded run. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "planner/conversation.h"
#include "runtime/context.h"
#include "runtime/run_int.h"
#include "runtime/run_owner.h"
#include "core/banned.h"

/* The stored run id (caller frees with cJSON_Delete), refused when it
 * cannot be resumed (mode), or its files were removed (runs_kept). */
static baton_rc load_stored(baton *ctx, const char *id, run_mode mode, cJSON **out) {
  *out = NULL;
  if (!id || !*id)
    return baton__fail(ctx, BATON_INVALID, "no run id given");
  if (baton__runs_usable(ctx) != BATON_OK)
    return BATON_DB;
  char err[768] = "";
  cJSON *stored = baton__runstore_get(ctx->runs, id, err, sizeof err);
  if (!stored)
    return baton__fail(ctx, strncmp(err, "no run", 6) == 0 ? BATON_NOTFOUND : BATON_DB, "%s",
                       err);
  if (baton__run_owner_check(ctx, stored, id) != BATON_OK) {
    cJSON_Delete(stored);
    return BATON_DENIED;
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stored, "files_pruned"))) {
    cJSON_Delete(stored);
    return baton__fail(ctx, BATON_INVALID,
                       "run %s cannot be %s: its files were removed to keep only the newest "
                       "runs' files (limits.runs_kept: %d); its record stays (baton runs show)",
                       id, mode == MODE_RESUME ? "resumed" : "replayed", ctx->cfg.runs_kept);
  }
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(stored, "status");
  const char *st = cJSON_IsString(status) ? status->valuestring : "";
  if (mode == MODE_RESUME && (strcmp(st, "done") == 0 || strcmp(st, "running") == 0)) {
    bool done = strcmp(st, "done") == 0;
    cJSON_Delete(stored);
    return baton__fail(ctx, BATON_INVALID,
                       done ? "run %s already finished; nothing to resume"
                            : "run %s is still running in another process",
                       id);
  }
  *out = stored;
  return BATON_OK;
}

/* Resume: the finished tasks keep their outputs (the rest run again). */
static baton_rc keep_done_tasks(baton_run *run, const cJSON *tasks) {
  const cJSON *t;
  cJSON_ArrayForEach(t, tasks) {
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "id");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "status");
    int k = cJSON_IsNumber(tid) ? baton__graph_index_find(&run->sched.ix, tid->valueint) : -1;
    if (k < 0 || !cJSON_IsString(ts) || strcmp(ts->valuestring, "done") != 0)
      continue;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(t, "model");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(t, "ms");
    if (baton__run_values_from_outputs(cJSON_GetObjectItemCaseSensitive(t, "outputs"),
                                       &run->ts[k].out) != 0)
      return baton__fail(run->ctx, BATON_DB, "run %s: unreadable outputs of task %d", run->id,
                         tid->valueint);
    run->ts[k].status = TS_DONE;
    run->ts[k].model = cJSON_IsString(model) ? baton__strdup(model->valuestring) : NULL;
    run->ts[k].ms = cJSON_IsNumber(ms) ? (int64_t)ms->valuedouble : 0;
    const cJSON *wk = cJSON_GetObjectItemCaseSensitive(t, "worker");
    if (cJSON_IsString(wk))
      baton__fmt(run->ts[k].worker, sizeof run->ts[k].worker, "%s", wk->valuestring);
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(t, "endpoint");
    if (cJSON_IsString(ep))
      baton__fmt(run->ts[k].endpoint, sizeof run->ts[k].endpoint, "%s", ep->valuestring);
  }
  return BATON_OK;
}

/* Resume, once its finished tasks are kept: the conversation the run's chat tasks are sent, as
 * its first attempt stored it (a run stored with none, or before it was kept, sends none),
 * checked as a chat task checks it: a value that is not one (an edited database) is refused
 * before anything runs. With no chat task left to run it is not needed, and not read. */
static baton_rc keep_chat(baton_run *run) {
  if (!baton__run_chat_pending(run))
    return BATON_OK;
  char err[512] = "";
  if (baton__runstore_chat_history(run->ctx->runs, run->id, &run->chat, err, sizeof err) != 0)
    return baton__fail(run->ctx, BATON_DB, "%s", err);
  if (run->chat && baton__conversation_chat_check(run->chat, NULL, err, sizeof err) != 0)
    return baton__fail(run->ctx, BATON_DB,
                       "run %s cannot be resumed: the conversation stored for its chat tasks is "
                       "not valid: %s", run->id, err);
  return BATON_OK;
}

/* Replay: a new run that takes the recorded tasks (and an answer an LLM
 * wrote, replayed as recorded; an offline one is written again, citing
 * this run's files). */
static void setup_replay(baton_run *run, const char *id, cJSON *stored) {
  baton__new_run_id(run->id);
  run->replay_of = baton__strdup(id);
  run->recorded = cJSON_DetachItemFromObjectCaseSensitive(stored, "tasks");
  const cJSON *usage = cJSON_GetObjectItemCaseSensitive(stored, "usage");
  const cJSON *calls = cJSON_GetObjectItemCaseSensitive(usage, "llm_calls");
  const cJSON *summary = cJSON_GetObjectItemCaseSensitive(stored, "summary");
  if (cJSON_IsNumber(calls) && calls->valuedouble > 0 && cJSON_IsString(summary))
    run->llm.answer = baton__strdup(summary->valuestring);
  char rel[64];
  baton__fmt(rel, sizeof rel, "runs/%s", run->id);
  run->workspace = baton__path_join(run->ctx->cfg.home, rel);
}

/* Builds a run from the history: the same run to finish its unfinished tasks
 * (resume), or a new run that replays the recorded one (replay). */
static baton_rc prepare_stored(baton *ctx, const char *id, run_mode mode, baton_run **out) {
  *out = NULL;
  cJSON *stored = NULL;
  baton_rc rc = load_stored(ctx, id, mode, &stored);
  if (rc != BATON_OK)
    return rc;
  baton_run *run = baton__run_new(ctx);
  if (!run) {
    cJSON_Delete(stored);
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  }
  run->mode = mode;
  run->uid = (long long)geteuid();
  char err[768] = "";
  const cJSON *req = cJSON_GetObjectItemCaseSensitive(stored, "request");
  const cJSON *ws = cJSON_GetObjectItemCaseSensitive(stored, "workspace");
  if (cJSON_IsString(req))
    run->request = baton__strdup(req->valuestring);
  const cJSON *plan = cJSON_GetObjectItemCaseSensitive(stored, "plan");
  if (mode == MODE_RESUME && cJSON_GetArraySize(plan) == 0) { /* e.g. killed while planned */
    rc = baton__fail(ctx, BATON_INVALID,
                     "run %s has no plan (it ended before it was planned): nothing to resume; "
                     "submit its request again", id);
    goto fail;
  }
  if (baton__graph_from_json(plan, ctx->cfg.max_tasks, &run->g, err, sizeof err) != 0) {
    rc = baton__fail(ctx, BATON_PLAN, "the stored plan of run %s: %s", id, err);
    goto fail;
  }
  run->ts = calloc(run->g.n ? run->g.n : 1, sizeof *run->ts);
  if (!run->ts || baton__run_tables(run) != 0) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if (mode == MODE_RESUME) {
    baton__fmt(run->id, sizeof run->id, "%s", id);
    run->workspace = baton__strdup(cJSON_IsString(ws) ? ws->valuestring : "");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(stored, "tasks");
    if ((rc = keep_done_tasks(run, tasks)) != BATON_OK || (rc = keep_chat(run)) != BATON_OK)
      goto fail;
  } else {
    setup_replay(run, id, stored);
  }
  if (!run->workspace || (mode == MODE_REPLAY && !run->replay_of)) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  cJSON_Delete(stored);
  *out = run;
  return BATON_OK;
fail:
  cJSON_Delete(stored);
  baton__run_free_members(run);
  return rc;
}

static baton_rc start_stored(baton *ctx, const char *id, run_mode mode, baton_event_fn on_event,
                             void *userdata, baton_run **out) {
  *out = NULL;
  baton_run *run = NULL;
  baton_rc rc = prepare_stored(ctx, id, mode, &run);
  if (rc != BATON_OK)
    return rc;
  return baton__run_launch(run, on_event, userdata, out);
}

baton_rc baton_run_resume(baton *ctx, const char *run_id, baton_event_fn on_event,
                          void *userdata, baton_run **out) {
  return start_stored(ctx, run_id, MODE_RESUME, on_event, userdata, out);
}

baton_rc baton_run_replay(baton *ctx, const char *run_id, baton_event_fn on_event,
                          void *userdata, baton_run **out) {
  return start_stored(ctx, run_id, MODE_REPLAY, on_event, userdata, out);
}

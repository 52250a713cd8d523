/* run.c — a run's life: prepared (plan, models, inputs), started, waited for, cancelled and freed; baton_task. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "core/util.h"
#include "runtime/context.h"
#include "runtime/preflight.h"
#include "runtime/run_int.h"
#include "core/banned.h"

void baton__run_free_members(baton_run *run) {
  for (size_t i = 0; run->ts && i < run->g.n; i++) {
    free(run->ts[i].model);
    free(run->ts[i].error);
    baton__values_release(&run->ts[i].out);
  }
  free(run->ts);
  baton__graph_release(&run->g);
  baton__sched_release(&run->sched);
  free(run->items);
  free(run->request);
  if (run->root && run->root_fd >= 0)
    close(run->root_fd);
  free(run->root);
  free(run->workspace);
  free(run->plan_json);
  free(run->result_json);
  free(run->summary);
  free(run->messages);
  free(run->chat);
  free(run->llm.answer);
  free(run->replay_of);
  cJSON_Delete(run->recorded);
  free(run->epc);
  pthread_mutex_destroy(&run->lock);
  pthread_mutex_destroy(&run->event_lock);
  pthread_cond_destroy(&run->cond);
  free(run);
}

baton_run *baton__run_new(baton *ctx) {
  baton_run *run = calloc(1, sizeof *run);
  if (!run)
    return NULL;
  pthread_mutex_init(&run->lock, NULL);
  pthread_mutex_init(&run->event_lock, NULL);
  pthread_cond_init(&run->cond, NULL);
  run->ctx = ctx;
  return run;
}

/* Records a run that failed with rc while it was planned, or just after (its models, its
 * preflight): one cancelled, or one the LLM planned or tried to (the endpoint down, a plan it
 * could not use); not one refused before planning began, nor the offline planner's refusal. */
static void record_unplanned(baton *ctx, const baton_request *req, const baton_run *run,
                             baton_rc rc) {
  if (rc != BATON_CANCELLED && (!run->llm.used || rc == BATON_NOMEM))
    return;
  const char *why = baton_errmsg(ctx); /* a failure, or the context being closed */
  if (rc == BATON_CANCELLED && !atomic_load(&ctx->closing)) {
    why = baton__tag_reason(ctx, req->interrupt_tag);
    if (!why)
      why = BATON__CANCELLED_UNPLANNED;
  }
  if (baton__run_store_unplanned(ctx, run->id, run->uid, run->request, rc, why, &run->llm,
                                 NULL) == 0)
    baton__note_failed_run(run->id);
}

/* Prepares a run up to the point where it can start: plan, models, inputs,
 * workspace. */
static baton_rc prepare(baton *ctx, const baton_request *req, const char *run_id,
                        baton_run **out) {
  baton_run *run = baton__run_new(ctx);
  if (!run)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  if (run_id)
    baton__fmt(run->id, sizeof run->id, "%s", run_id);
  else
    baton__new_run_id(run->id);
  run->uid = req->as_caller ? (long long)req->caller_uid : (long long)geteuid();
  baton_rc rc = BATON_OK;
  if (req->text && !(run->request = baton__strdup(req->text))) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if ((!req->as_caller || req->input_root) &&
      !(run->root = baton__run_resolve_root(ctx, req, &run->root_fd))) {
    rc = BATON_INVALID;
    goto fail;
  }
  if (req->messages && !(run->messages = baton__strdup(req->messages))) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if ((rc = baton__run_check_given_inputs(run, req)) != BATON_OK)
    goto fail;
  char *named = NULL; /* the request naming the files its patterns match */
  if ((rc = baton__run_expand_patterns(ctx, req, run->root, run->root_fd, &named)) != BATON_OK)
    goto fail;
  baton_request planned = *req;
  planned.text = named ? named : req->text;
  rc = baton__run_make_graph(ctx, &planned, &run->g, &run->llm, run->plan_note);
  free(named);
  if (rc == BATON_OK && (rc = baton__run_check_models(ctx, &run->g)) == BATON_OK)
    rc = baton__preflight(ctx, &run->g);
  if (rc != BATON_OK) {
    record_unplanned(ctx, req, run, rc);
    goto fail;
  }
  char rel[64];
  baton__fmt(rel, sizeof rel, "runs/%s", run->id);
  if (!(run->workspace = baton__path_join(ctx->cfg.home, rel))) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  if ((rc = baton__run_check_inputs(run, req)) != BATON_OK)
    goto fail;
  run->ts = calloc(run->g.n ? run->g.n : 1, sizeof *run->ts);
  if (!run->ts || baton__run_tables(run) != 0) {
    rc = baton__fail(ctx, BATON_NOMEM, "out of memory");
    goto fail;
  }
  char err[512];
  if (baton__run_take_chat(run, err, sizeof err) != 0) {
    rc = baton__fail(ctx, BATON_INVALID, "%s", err);
    goto fail;
  }
  *out = run;
  return BATON_OK;
fail:
  baton__run_free_members(run);
  return rc;
}

/* Counts what each task waits for; tasks already done (a resumed run)
 * count as finished dependencies. */
static void count_waiting(baton_run *run) {
  run->remaining = 0;
  for (size_t i = 0; i < run->g.n; i++) {
    if (run->ts[i].status == TS_DONE)
      continue;
    run->remaining++;
    run->ts[i].waiting = 0;
    for (size_t d = 0; d < run->g.tasks[i].n_deps; d++) {
      int k = baton__graph_index_find(&run->sched.ix, run->g.tasks[i].deps[d]);
      if (k >= 0 && run->ts[k].status != TS_DONE)
        run->ts[i].waiting++;
    }
  }
}

/* Records the run's start in the history and sends the plan event. */
static baton_rc record_start(baton_run *run) {
  baton *ctx = run->ctx;
  char *pj = baton__graph_print(&run->g);
  if (!pj)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  if (baton__runs_usable(ctx) != BATON_OK) {
    free(pj);
    return BATON_DB;
  }
  char err[512];
  int src = run->mode == MODE_RESUME
                ? baton__runstore_reopen(ctx->runs, run->id, err, sizeof err)
                : baton__runstore_begin_as(ctx->runs, run->id, run->uid, run->request, pj,
                                           run->workspace, run->chat, err, sizeof err);
  if (src != 0) {
    free(pj);
    return baton__fail(ctx, BATON_DB, "%s", err);
  }
  /* Tasks of a new run are pending until recorded otherwise (the history
   * reads them from the plan); a resumed run resets its unfinished ones. */
  if (run->mode == MODE_RESUME)
    for (size_t i = 0; i < run->g.n; i++)
      if (run->ts[i].status != TS_DONE)
        baton__run_persist_task(run, i);
  baton__run_emit(run, BATON_EVENT_PLAN, -1, run->plan_note[0] ? run->plan_note : NULL, pj);
  run->plan_json = pj; /* the result repeats it */
  return BATON_OK;
}

/* Workers for the executors this run needs start loading now, in
 * parallel, rather than one after another as the chain reaches them. */
static void prewarm(baton_run *run) {
  char ep[256];
  if (run->mode == MODE_REPLAY)
    return;
  for (size_t i = 0; i < run->g.n; i++)
    if (run->ts[i].status != TS_DONE && run->g.tasks[i].model &&
        baton__run_endpoint(run, run->g.tasks[i].model, ep, sizeof ep) == 0)
      baton__prewarm(run->ctx, ep);
}

static baton_rc start(baton_run *run) {
  count_waiting(run);
  baton_rc rc = record_start(run);
  if (rc != BATON_OK)
    return rc;
  prewarm(run);
  /* The tasks ready now go to the context's pool in plan order (the pool
   * may run them before this returns); a run with nothing left to execute
   * (the LLM answered directly, or a resumed run that had finished) only
   * writes its answer. The lock keeps the first tasks from finishing the
   * run before the rest are queued. */
  pthread_mutex_lock(&run->lock);
  int qrc = 0;
  if (!run->remaining)
    qrc = baton__run_queue_item(run, run->g.n);
  for (size_t i = 0; i < run->g.n && qrc == 0; i++)
    if (run->ts[i].status != TS_DONE && run->ts[i].waiting == 0)
      qrc = baton__run_queue_item(run, i);
  run->started = qrc == 0;
  pthread_mutex_unlock(&run->lock);
  if (qrc != 0)
    return baton__fail(run->ctx, BATON_ERROR, "cannot start a worker thread");
  return BATON_OK;
}

baton_rc baton__run_launch(baton_run *run, baton_event_fn on_event, void *userdata,
                           baton_run **out) {
  run->on_event = on_event;
  run->ud = userdata;
  baton_rc rc = baton__live_add(run->ctx, run);
  if (rc != BATON_OK) {
    baton__run_free_members(run);
    return rc;
  }
  if ((rc = start(run)) != BATON_OK) {
    atomic_store(&run->cancel, 1);
    baton__live_remove(run->ctx, run);
    baton_run_free(run);
    return rc;
  }
  *out = run;
  return BATON_OK;
}

baton_rc baton_submit(baton *ctx, const baton_request *given, baton_event_fn on_event,
                      void *userdata, baton_run **out) {
  return baton__submit_named(ctx, given, NULL, on_event, userdata, out);
}

baton_rc baton__submit_named(baton *ctx, const baton_request *given, const char *run_id,
                             baton_event_fn on_event, void *userdata, baton_run **out) {
  *out = NULL;
  baton__note_failed_run(NULL);
  if (!ctx || !given)
    return baton__fail(ctx, BATON_INVALID, "no request");
  baton_request copy;
  const baton_request *req = &copy;
  if (baton__sized_copy(&copy, sizeof copy, given, "baton_request") != BATON_OK)
    return BATON_INVALID;
  if (!req->text && !req->plan_json)
    return baton__fail(ctx, BATON_INVALID, "the request has neither text nor a plan");
  if (req->text && !baton__utf8_valid(req->text, strlen(req->text)))
    return baton__fail(ctx, BATON_INVALID, "the request text is not valid UTF-8");
  baton_run *run = NULL;
  if (run_id && (!*run_id || strlen(run_id) >= sizeof run->id))
    return baton__fail(ctx, BATON_INVALID, "a run id must have 1 to %zu characters",
                       sizeof run->id - 1);
  baton_rc rc = prepare(ctx, req, run_id, &run);
  if (rc != BATON_OK)
    return rc;
  return baton__run_launch(run, on_event, userdata, out);
}

baton_rc baton_run_wait(baton_run *run) {
  if (!run)
    return BATON_INVALID;
  pthread_mutex_lock(&run->lock);
  while (!run->finished)
    pthread_cond_wait(&run->cond, &run->lock);
  pthread_mutex_unlock(&run->lock);
  return run->rc;
}

void baton_run_cancel(baton_run *run) {
  if (run)
    atomic_store(&run->cancel, 1);
}

void baton_run_cancel_because(baton_run *run, const char *reason) {
  if (!run)
    return;
  int unclaimed = 0;
  if (reason && atomic_compare_exchange_strong(&run->reason_claimed, &unclaimed, 1)) {
    size_t n = baton__utf8_cut(reason, strlen(reason), sizeof run->cancel_reason - 1);
    memcpy(run->cancel_reason, reason, n);
    run->cancel_reason[n] = '\0';
    atomic_store(&run->reason_ready, 1);
  }
  atomic_store(&run->cancel, 1);
}

const char *baton_run_id(const baton_run *run) { return run ? run->id : NULL; }

const char *baton_run_result_json(const baton_run *run) { return run ? run->result_json : NULL; }

const char *baton_run_summary(const baton_run *run) { return run ? run->summary : NULL; }

void baton_run_free(baton_run *run) {
  if (!run)
    return;
  if (run->started)
    baton_run_wait(run);
  baton__run_free_members(run);
}

baton_rc baton_task(baton *ctx, const char *task, const char *args_json, const char *model,
                    const char *input_root, char **json_out) {
  *json_out = NULL;
  if (!task || !*task)
    return baton__fail(ctx, BATON_INVALID, "no task given");
  const char *bad = args_json ? baton__json_text_problem(args_json, strlen(args_json)) : NULL;
  if (bad)
    return baton__fail(ctx, BATON_INVALID, "the task arguments are refused: %s", bad);
  cJSON *args = cJSON_Parse(args_json ? args_json : "{}");
  if (!cJSON_IsObject(args)) {
    cJSON_Delete(args);
    return baton__fail(ctx, BATON_INVALID, "the task arguments must be a JSON object");
  }
  cJSON *plan = cJSON_CreateArray();
  cJSON *t = cJSON_CreateObject();
  cJSON_AddItemToArray(plan, t);
  cJSON_AddStringToObject(t, "task", task);
  cJSON_AddNumberToObject(t, "id", 0);
  cJSON *dep = cJSON_AddArrayToObject(t, "dep");
  cJSON_AddItemToArray(dep, cJSON_CreateNumber(-1));
  cJSON_AddItemToObject(t, "args", args);
  if (model)
    cJSON_AddStringToObject(t, "model", model);
  char *pj = cJSON_PrintUnformatted(plan);
  cJSON_Delete(plan);
  if (!pj)
    return baton__fail(ctx, BATON_NOMEM, "out of memory");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = pj, .input_root = input_root};
  baton_run *run = NULL;
  baton_rc rc = baton_submit(ctx, &req, NULL, NULL, &run);
  free(pj);
  if (rc != BATON_OK)
    return rc;
  rc = baton_run_wait(run);
  cJSON *tj = baton__run_task_json(run, 0);
  *json_out = tj ? cJSON_PrintUnformatted(tj) : NULL;
  cJSON_Delete(tj);
  if (rc != BATON_OK && run->ts[0].error)
    baton__fail(ctx, rc, "%s", run->ts[0].error);
  baton_run_free(run);
  return rc;
}

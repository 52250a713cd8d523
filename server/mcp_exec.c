/* mcp_exec.c — runs an MCP call's request or task graph through batond or in process, as progress notifications. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "server/mcp.h"
#include "server/rpc_client.h"
#include "core/banned.h"

/* ---- progress ------------------------------------------------------------ */

/* One event as a notifications/progress message, when the client asked. */
static void progress(mcp_call *c, const baton_event *ev) {
  if (!c->token || atomic_load(&c->cancelled))
    return;
  char msg[512];
  switch (ev->type) {
  case BATON_EVENT_PLAN: {
    cJSON *plan = cJSON_Parse(ev->json ? ev->json : "[]");
    int n = cJSON_GetArraySize(plan);
    cJSON_Delete(plan);
    c->total = 1 + 2 * n;
    int cut = ev->text ? (int)baton__utf8_cut(ev->text, strlen(ev->text), 400) : 0; /* a note */
    snprintf(msg, sizeof msg, "run %s: planned %d task%s%s%.*s%s", ev->run_id ? ev->run_id : "",
             n, n == 1 ? "" : "s", cut ? " (note: " : "", cut, cut ? ev->text : "", cut ? ")" : "");
    break;
  }
  case BATON_EVENT_TASK_STARTED:
    snprintf(msg, sizeof msg, "task %d %s started on %s", ev->task_id, ev->task ? ev->task : "?",
             ev->model ? ev->model : "(no model)");
    break;
  case BATON_EVENT_TASK_FINISHED:
    snprintf(msg, sizeof msg, "task %d %s done", ev->task_id, ev->task ? ev->task : "?");
    break;
  case BATON_EVENT_TASK_FAILED:
    snprintf(msg, sizeof msg, "task %d %s failed: %.300s", ev->task_id, ev->task ? ev->task : "?",
             ev->text ? ev->text : "");
    break;
  case BATON_EVENT_TASK_WAITING:
    snprintf(msg, sizeof msg, "task %d %s waiting: %.300s", ev->task_id, ev->task ? ev->task : "?",
             ev->text ? ev->text : "");
    break;
  default:
    return; /* summary pieces and done: the result follows */
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddItemToObject(p, "progressToken", cJSON_Duplicate(c->token, 1));
  cJSON_AddNumberToObject(p, "progress", ++c->progress);
  if (c->total >= c->progress)
    cJSON_AddNumberToObject(p, "total", c->total);
  cJSON_AddStringToObject(p, "message", msg);
  baton__mcp_notify(c->srv, "notifications/progress", p);
}

static void on_event(void *ud, const baton_event *ev) {
  mcp_call *c = ud;
  if (!c->run_id[0] && ev->run_id && strlen(ev->run_id) < sizeof c->run_id)
    snprintf(c->run_id, sizeof c->run_id, "%s", ev->run_id);
  progress(c, ev);
}

void baton__mcp_exec_cancel(mcp_call *c) {
  atomic_store(&c->cancelled, true);
  pthread_mutex_lock(&c->lock);
  if (c->run)
    baton_run_cancel(c->run);
  pthread_mutex_unlock(&c->lock);
}

/* ---- in process ---------------------------------------------------------- */

static cJSON *exec_local(mcp_call *c, const mcp_job *job, char *err, size_t errlen) {
  baton *ctx = c->srv->ctx;
  baton_request req = {BATON_REQUEST_INIT, .text = job->request,
                       .plan_json = job->plan_json,
                       .inputs = job->inputs,
                       .n_inputs = job->n_inputs,
                       .offline = job->offline,
                       .messages = job->messages};
  baton_run *run = NULL;
  baton_rc rc = baton_submit(ctx, &req, on_event, c, &run);
  if (rc != BATON_OK) {
    snprintf(err, errlen, "%s", *baton_errmsg(ctx) ? baton_errmsg(ctx) : baton_strerror(rc));
    return NULL;
  }
  pthread_mutex_lock(&c->lock);
  c->run = run;
  if (atomic_load(&c->cancelled))
    baton_run_cancel(run);
  pthread_mutex_unlock(&c->lock);
  baton_run_wait(run);
  pthread_mutex_lock(&c->lock);
  c->run = NULL;
  pthread_mutex_unlock(&c->lock);
  const char *json = baton_run_result_json(run);
  cJSON *res = json ? cJSON_Parse(json) : NULL;
  if (!res)
    snprintf(err, errlen, "the run left no result");
  baton_run_free(run);
  return res;
}

/* ---- through batond ------------------------------------------------------ */

static bool call_cancelled(void *ud) {
  mcp_call *c = ud;
  return atomic_load(&c->cancelled);
}

static cJSON *exec_daemon(mcp_call *c, baton__rpc_conn *d, const mcp_job *job, char *err,
                          size_t errlen) {
  cJSON *params = baton__rpc_submit_params(job->request, job->plan_json, job->inputs, job->n_inputs,
                                           job->offline);
  if (job->messages) /* checked by the tool: a JSON array */
    cJSON_AddItemToObject(params, "messages", cJSON_Parse(job->messages));
  cJSON *reply = baton__rpc_submit(d, params, on_event, call_cancelled, c);
  cJSON_Delete(params);
  if (!reply) { /* batond stopped, or was killed, with the run in flight */
    baton__rpc_lost_run(err, errlen, c->run_id);
    return NULL;
  }
  const char *e = baton__rpc_error_message(reply);
  cJSON *res = NULL;
  if (e)
    snprintf(err, errlen, "%s", e);
  else
    res = cJSON_DetachItemFromObjectCaseSensitive(reply, "result");
  cJSON_Delete(reply);
  return res;
}

cJSON *baton__mcp_exec(mcp_call *c, const mcp_job *job, bool *cancelled, char *err, size_t errlen) {
  baton__rpc_conn *d =
      c->srv->opts.use_daemon ? baton__rpc_connect_daemon(c->srv->opts.config_path) : NULL;
  cJSON *res;
  if (d) {
    baton__mcp_log(c->srv, BATON_LOG_DEBUG, "mcp: running through batond");
    res = exec_daemon(c, d, job, err, errlen);
    baton__rpc_close(d);
  } else {
    res = exec_local(c, job, err, errlen);
  }
  *cancelled = atomic_load(&c->cancelled);
  return res;
}

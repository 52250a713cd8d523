/* methods.c — the daemon's JSON-RPC methods and which thread answers each. */
#include <string.h>
#include <unistd.h>

#include "registry/registry.h"
#include "server/internal.h"
#include "core/banned.h"

/* Replies with a library call's JSON, or its error. */
static void reply_json(baton_server *srv, const job *j, srv_ctx *sc, baton_rc rc, char *json) {
  if (rc == BATON_OK && json) {
    baton__srv_post_result(srv, j->client, j->id_json, json);
  } else {
    char msg[1024];
    baton__fmt(msg, sizeof msg, "%s", baton_errmsg(sc->ctx));
    baton__srv_post_rc(srv, j->client, j->id_json, rc == BATON_OK ? BATON_ERROR : rc, msg);
  }
  baton_free(json);
}

/* Tells the client, before the plan itself, what the planner noted about it: a notification
 * `notice` {type: "plan.note", text} that a client not asking for it drops. */
static void post_plan_note(baton_server *srv, const job *j, const char *note) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"jsonrpc\":\"2.0\",\"method\":\"notice\",\"params\":{\"type\":"
                      "\"plan.note\",\"text\":");
  baton__sb_add_json_str(&sb, note);
  baton__sb_adds(&sb, "}}");
  baton__srv_post_sb(srv, j->client, OUT_NOTIFY, &sb);
}

static void m_plan(baton_server *srv, const job *j, srv_ctx *sc) {
  baton_request req = {BATON_REQUEST_INIT};
  req_hold h = {.cwd_fd = -1};
  if (baton__srv_run_params_known(srv, j) && baton__srv_request_params(srv, j, &req, &h)) {
    char *json = NULL, *note = NULL;
    baton_rc rc = baton_plan_noted(sc->ctx, &req, &json, NULL, &note);
    if (rc == BATON_OK && note && j->id_json)
      post_plan_note(srv, j, note);
    baton_free(note);
    reply_json(srv, j, sc, rc, json);
  }
  baton__srv_request_release(&h);
}

static void m_run_get(baton_server *srv, const job *j, srv_ctx *sc) {
  const char *id = NULL;
  if (!baton__srv_opt_str(srv, j, "run_id", &id))
    return;
  if (!id || !*id) {
    baton__srv_bad_params(srv, j, "'run_id' is required");
    return;
  }
  char *json = NULL;
  baton_rc rc = baton_run_get(sc->ctx, id, &json);
  if (rc == BATON_OK && !baton__srv_run_visible(j->uid, json)) {
    baton_free(json);
    char msg[160];
    baton__fmt(msg, sizeof msg, "no run '%.100s' (see `baton runs list`)", id);
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_NOTFOUND, msg);
    return;
  }
  reply_json(srv, j, sc, rc, json);
}

static void m_runs_list(baton_server *srv, const job *j, srv_ctx *sc) {
  int limit = 0;
  if (!baton__srv_opt_int(srv, j, "limit", 0, 100000, &limit))
    return;
  char *json = NULL;
  baton_rc rc = baton__srv_sees_all(j->uid)
                    ? baton_runs_list(sc->ctx, limit, &json)
                    : baton_runs_list_of(sc->ctx, (long)j->uid, limit, &json);
  reply_json(srv, j, sc, rc, json);
}

/* Whether task is a task kind; else -32602 naming the kinds. */
static bool known_task(baton_server *srv, const job *j, srv_ctx *sc, const char *task) {
  if (baton__registry_task(sc->ctx->reg, task))
    return true;
  size_t n = 0;
  const baton__taskspec *ts = baton__registry_tasks(sc->ctx->reg, &n);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb, "unknown task kind '%.64s'; the kinds: ", task);
  for (size_t i = 0; i < n; i++)
    baton__sb_addf(&sb, "%s%s", i ? ", " : "", ts[i].name);
  baton__srv_bad_params(srv, j, baton__sb_ok(&sb) ? sb.buf : "unknown task kind");
  baton__sb_release(&sb);
  return false;
}

static void m_models(baton_server *srv, const job *j, srv_ctx *sc, bool search) {
  const char *text = NULL, *task = NULL;
  int limit = 0;
  if (!baton__srv_opt_str(srv, j, "text", &text) || !baton__srv_opt_str(srv, j, "task", &task) ||
      !baton__srv_opt_int(srv, j, "limit", 0, 1000000, &limit))
    return;
  if (search && (!text || !*text)) {
    baton__srv_bad_params(srv, j, "'text' is required");
    return;
  }
  if (task && !known_task(srv, j, sc, task))
    return;
  char *json = NULL;
  baton_rc rc = search ? baton_models_search(sc->ctx, text, task, limit > 0 ? limit : 10, &json)
                       : baton_models_list(sc->ctx, task, limit, &json);
  if (search && rc == BATON_INVALID) /* the text holds no word to search for */
    baton__srv_bad_params(srv, j, baton_errmsg(sc->ctx));
  else
    reply_json(srv, j, sc, rc, json);
}

static void m_executors(baton_server *srv, const job *j, srv_ctx *sc) {
  char *json = NULL;
  baton_rc rc = baton_executors_json(sc->ctx, &json);
  reply_json(srv, j, sc, rc, json);
}

/* Answers a call on a helper thread. true when a run took over the request
 * (it tells the loop when the request is answered). */
bool baton__srv_call(baton_server *srv, job *j) {
  srv_ctx *sc = baton__srv_ctx_get(srv);
  if (!sc) {
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_BUSY, "the daemon is shutting down");
    return false;
  }
  const char *m = j->method;
  bool kept = false;
  if (!strcmp(m, "submit"))
    kept = baton__srv_submit(srv, j, sc);
  else if (!strcmp(m, "plan"))
    m_plan(srv, j, sc);
  else if (!strcmp(m, "run.get"))
    m_run_get(srv, j, sc);
  else if (!strcmp(m, "runs.list"))
    m_runs_list(srv, j, sc);
  else if (!strcmp(m, "run.output"))
    baton__srv_run_output(srv, j, sc);
  else if (!strcmp(m, "models.search"))
    m_models(srv, j, sc, true);
  else if (!strcmp(m, "models.list"))
    m_models(srv, j, sc, false);
  else if (!strcmp(m, "executors.list"))
    m_executors(srv, j, sc);
  baton__srv_ctx_put(srv, sc);
  return kept;
}

static void health(baton_server *srv, uint64_t client, const char *id_json) {
  pthread_mutex_lock(&srv->lock);
  size_t waiting = srv->n_waiting, active = srv->n_active - waiting;
  uint64_t total = srv->runs_total;
  size_t queued = baton__srv_jobs_queued(srv);
  pthread_mutex_unlock(&srv->lock);
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_addf(&sb,
                 "{\"status\":\"ok\",\"version\":\"%s\",\"pid\":%ld,\"uptime_ms\":%lld,"
                 "\"clients\":%zu,\"runs_active\":%zu,\"runs_waiting\":%zu,\"runs_total\":%llu,"
                 "\"queued\":%zu,"
                 "\"socket\":",
                 baton_version(), (long)getpid(), (long long)(baton__now_ms() - srv->started_ms),
                 srv->n_clients, active, waiting, (unsigned long long)total, queued);
  baton__sb_add_json_str(&sb, srv->socket_path);
  baton__sb_addc(&sb, '}');
  if (baton__sb_ok(&sb))
    baton__srv_post_result(srv, client, id_json, sb.buf);
  baton__sb_release(&sb);
}

static const char *const job_methods[] = {"submit",         "plan",          "run.get",
                                          "runs.list",      "run.output",    "models.search",
                                          "models.list",    "executors.list"};

/* Whether m is a method answered on a helper thread. */
bool baton__srv_job_method(const char *m) {
  for (size_t i = 0; i < sizeof job_methods / sizeof job_methods[0]; i++)
    if (!strcmp(m, job_methods[i]))
      return true;
  return false;
}

/* Answers the methods handled on the loop thread; false when m is not one. */
bool baton__srv_loop_method(baton_server *srv, uint64_t client, uid_t uid, const char *m,
                            const char *id_json, const cJSON *params) {
  if (!strcmp(m, "health"))
    health(srv, client, id_json);
  else if (!strcmp(m, "run.cancel"))
    baton__srv_cancel(srv, client, uid, id_json, params);
  else
    return false;
  return true;
}

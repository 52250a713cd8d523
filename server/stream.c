/* stream.c — runs submitted by clients: their events streamed back, cancelling, freeing. */
#include <stdlib.h>
#include <string.h>

#include "runtime/run_int.h"
#include "server/internal.h"
#include "core/banned.h"

/* Drops a reference to a run; the last one frees it. Not from the run's own
 * event callback. */
void baton__srv_run_unref(baton_server *srv, srun *sr) {
  pthread_mutex_lock(&srv->lock);
  bool last = --sr->refs == 0;
  if (last) {
    if (sr->prev)
      sr->prev->next = sr->next;
    else if (srv->active == sr)
      srv->active = sr->next;
    if (sr->next)
      sr->next->prev = sr->prev;
    srv->n_active--;
  }
  pthread_mutex_unlock(&srv->lock);
  if (!last)
    return;
  if (sr->recorded && !sr->submitted)
    baton__run_forget_accepted(sr->sc->ctx, sr->run_id);
  baton_run_free(sr->run);
  free(sr->id_json);
  baton__srv_ctx_put(srv, sr->sc);
  free(sr);
  baton__srv_wake(srv, 'q'); /* a stopping loop waits for the active list to empty */
}

/* The event as a notification to the run's client. */
static void post_event(baton_server *srv, const srun *sr, const baton_event *ev) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"run_id\":");
  baton__sb_add_json_str(&sb, ev->run_id ? ev->run_id : "");
  baton__sb_adds(&sb, ",\"type\":");
  baton__sb_add_json_str(&sb, baton_event_name(ev->type));
  if (ev->task_id >= 0)
    baton__sb_addf(&sb, ",\"task_id\":%d", ev->task_id);
  if (ev->task) {
    baton__sb_adds(&sb, ",\"task\":");
    baton__sb_add_json_str(&sb, ev->task);
  }
  if (ev->model) {
    baton__sb_adds(&sb, ",\"model\":");
    baton__sb_add_json_str(&sb, ev->model);
  }
  if (ev->text) {
    baton__sb_adds(&sb, ",\"text\":");
    baton__sb_add_json_str(&sb, ev->text);
  }
  if (ev->json && ev->type != BATON_EVENT_DONE) {
    baton__sb_adds(&sb, ",\"data\":");
    baton__sb_adds(&sb, ev->json);
  }
  baton__sb_addf(&sb, ",\"ts\":%.3f}}", ev->ts);
  baton__srv_post_sb(srv, sr->client, OUT_NOTIFY, &sb);
}

/* The run finished: its slot passes on, the client gets the result. */
static void run_done(baton_server *srv, srun *sr, const baton_event *ev) {
  /* Done before the client can see the result (run.cancel then says "not
   * running"). sr stays valid: freeing it waits for this callback to return
   * (baton_run_free() joins the run's threads). */
  pthread_mutex_lock(&srv->lock);
  sr->done = true;
  bool submitted = sr->submitted;
  baton__srv_pass_slot(srv);
  pthread_mutex_unlock(&srv->lock);
  if (sr->id_json) {
    if (ev->json)
      baton__srv_post_result(srv, sr->client, sr->id_json, ev->json);
    else
      baton__srv_post_rc(srv, sr->client, sr->id_json, BATON_NOMEM,
                         "the run finished but its result was lost");
  }
  baton__srv_post_done(srv, sr->client);
  if (submitted) {
    job *j = calloc(1, sizeof *j);
    if (j) {
      j->kind = JOB_FREE_RUN;
      j->sr = sr;
      baton__srv_push_job(srv, j);
    }
  }
}

/* The event callback: runs on library worker threads. It only formats and
 * queues; the loop writes. */
static void on_run_event(void *ud, const baton_event *ev) {
  srun *sr = ud;
  baton_server *srv = sr->srv;
  if (!sr->quiet)
    post_event(srv, sr, ev);
  if (ev->type != BATON_EVENT_DONE)
    return;
  run_done(srv, sr, ev);
}

/* A new run of a client's request, listed as active, or NULL (the error
 * sent). */
static srun *new_run(baton_server *srv, const job *j, srv_ctx *sc) {
  srun *sr = calloc(1, sizeof *sr);
  if (!sr || (j->id_json && !(sr->id_json = baton__strdup(j->id_json)))) {
    free(sr);
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_NOMEM, NULL);
    return NULL;
  }
  sr->srv = srv;
  sr->client = j->client;
  sr->uid = j->uid;
  sr->refs = 1;
  baton__new_run_id(sr->run_id); /* the run takes it: run.cancel finds it while it waits */
  pthread_mutex_lock(&srv->lock);
  if (srv->stopping) {
    pthread_mutex_unlock(&srv->lock);
    free(sr->id_json);
    free(sr);
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_BUSY, "the daemon is shutting down");
    return NULL;
  }
  sc->refs++;
  sr->sc = sc;
  sr->next = srv->active;
  if (srv->active)
    srv->active->prev = sr;
  srv->active = sr;
  srv->n_active++;
  sr->tag = ++srv->runs_total; /* unique and never 0: the planning's interrupt tag */
  pthread_mutex_unlock(&srv->lock);
  return sr;
}

/* Starts a run that holds a slot. true when the run took the request over
 * (on_run_event() answers it); false: the error is sent and the slot freed. */
static bool start_run(baton_server *srv, srun *sr, const baton_request *given, const job *j) {
  baton_request req = *given;
  req.interrupt_tag = sr->tag; /* run.cancel stops the LLM planning it */
  baton_run *run = NULL;
  baton_rc rc = baton__submit_named(sr->sc->ctx, &req, sr->run_id, on_run_event, sr, &run);
  if (rc != BATON_OK) {
    pthread_mutex_lock(&srv->lock);
    sr->done = true; /* before its client can see the answer (run.cancel then says so) */
    bool cancelled = sr->cancel_asked;
    const char *why = sr->cancel_why;
    pthread_mutex_unlock(&srv->lock);
    char msg[1024];
    baton__fmt(msg, sizeof msg, "%s", baton_errmsg(sr->sc->ctx));
    if (sr->recorded && !(rc == BATON_CANCELLED && cancelled)) { /* before its client hears */
      baton__run_forget_accepted(sr->sc->ctx, sr->run_id);
      sr->recorded = false;
    }
    if (rc == BATON_CANCELLED && cancelled) /* recorded when its planning ended */
      baton__srv_post_unplanned(srv, sr, j, why,
                                !strcmp(baton_failed_run_id(sr->sc->ctx), sr->run_id));
    else
      baton__srv_post_rc(srv, j->client, j->id_json, rc, msg);
    pthread_mutex_lock(&srv->lock);
    baton__srv_pass_slot(srv);
    pthread_mutex_unlock(&srv->lock);
    baton__srv_run_unref(srv, sr);
    return false;
  }
  pthread_mutex_lock(&srv->lock);
  sr->run = run;
  sr->submitted = true;
  bool done = sr->done, cancel = sr->cancel_asked;
  const char *why = sr->cancel_why;
  pthread_mutex_unlock(&srv->lock);
  if (cancel)
    baton_run_cancel_because(run, why); /* asked while it was being planned */
  if (done)
    baton__srv_run_unref(srv, sr);
  return true;
}

/* Records the run in the history before its id is told: a daemon killed from then on leaves it
 * interrupted, not unknown. A history that cannot record it is logged (the run then fails when
 * it starts, saying why). */
static void record_accepted(baton_server *srv, srun *sr, const job *j) {
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(j->params, "request");
  char err[512];
  if (baton__run_record_accepted(sr->sc->ctx, sr->run_id, (long long)sr->uid,
                                 cJSON_IsString(text) ? text->valuestring : NULL, err,
                                 sizeof err) == 0)
    sr->recorded = true;
  else
    baton__srv_log(srv, BATON_LOG_WARN, "run %s: %s", sr->run_id, err);
}

/* submit: hands the run to the runs' pool when a slot is free
 * (daemon.max_runs), else queues it with a "queued" event. true when the run
 * took the request over. */
bool baton__srv_submit(baton_server *srv, job *j, srv_ctx *sc) {
  baton_request req = {BATON_REQUEST_INIT};
  req_hold h;
  bool kept = false;
  srun *sr = NULL;
  if (!baton__srv_run_params_known(srv, j))
    return false;
  const cJSON *events = baton__srv_param(j->params, "events");
  if (events && !cJSON_IsNull(events) && !cJSON_IsBool(events)) {
    baton__srv_bad_params(srv, j, "'events' must be true or false");
    return false;
  }
  if (baton__srv_request_params(srv, j, &req, &h) && (sr = new_run(srv, j, sc))) {
    sr->quiet = cJSON_IsFalse(events);
    record_accepted(srv, sr, j);
    baton__srv_post_accepted(srv, sr); /* its id, for run.cancel, before anything else */
    pthread_mutex_lock(&srv->lock);
    bool slot = srv->n_running < (size_t)srv->max_runs && !srv->wait_head;
    if (slot)
      srv->n_running++;
    pthread_mutex_unlock(&srv->lock);
    /* Planned on a thread of the runs' pool, not here: the LLM may take long. */
    kept = slot ? baton__srv_start_later(srv, sr, j) : baton__srv_wait_for_slot(srv, sr, j);
  }
  baton__srv_request_release(&h);
  return kept;
}

/* Plans and starts a run that holds a slot (a thread of the runs' pool;
 * sr->waiting is its request, freed by the caller). One cancelled before
 * this ends without being planned. */
void baton__srv_start_waiting(baton_server *srv, srun *sr) {
  pthread_mutex_lock(&srv->lock);
  job *j = sr->waiting;
  sr->waiting = NULL;
  bool cancelled = sr->cancel_asked;
  const char *why = sr->cancel_why;
  sr->done = cancelled; /* its answer follows */
  pthread_mutex_unlock(&srv->lock);
  if (cancelled) {
    baton__srv_post_unplanned(srv, sr, j, why, false);
    baton__srv_post_done(srv, j->client);
    pthread_mutex_lock(&srv->lock);
    baton__srv_pass_slot(srv);
    pthread_mutex_unlock(&srv->lock);
    baton__srv_run_unref(srv, sr);
    return;
  }
  baton_request req = {BATON_REQUEST_INIT};
  req_hold h;
  bool kept = false;
  if (baton__srv_request_params(srv, j, &req, &h)) {
    kept = start_run(srv, sr, &req, j);
  } else {
    pthread_mutex_lock(&srv->lock);
    baton__srv_pass_slot(srv);
    pthread_mutex_unlock(&srv->lock);
    baton__srv_run_unref(srv, sr);
  }
  if (!kept)
    baton__srv_post_done(srv, j->client);
  baton__srv_request_release(&h);
}

/* run.cancel of a run not among the active ones: finished or unknown, say which. */
static void post_not_running(baton_server *srv, uint64_t client, uid_t uid, const char *id_json,
                             const char *run_id) {
  srv_ctx *sc = baton__srv_ctx_get(srv);
  char *json = NULL;
  baton_rc rc = sc ? baton_run_get(sc->ctx, run_id, &json) : BATON_NOTFOUND;
  if (rc == BATON_OK && !baton__srv_run_visible(uid, json))
    rc = BATON_NOTFOUND; /* another user's run is not there for this one */
  baton_free(json);
  baton__srv_ctx_put(srv, sc);
  char msg[160];
  if (rc == BATON_OK)
    baton__fmt(msg, sizeof msg, "run %s is not running", run_id);
  else
    baton__fmt(msg, sizeof msg, "no run %s", run_id);
  baton__srv_post_rc(srv, client, id_json, rc == BATON_OK ? BATON_INVALID : BATON_NOTFOUND, msg);
}

/* run.cancel: a running run is told to stop; one waiting for a slot leaves
 * the queue, its submit answered "cancelled" at once; one being planned has
 * its LLM call stopped (or is never planned) and ends cancelled. */
void baton__srv_cancel(baton_server *srv, uint64_t client, uid_t uid, const char *id_json,
                       const cJSON *params) {
  const cJSON *rid = cJSON_GetObjectItemCaseSensitive(params, "run_id");
  if (!cJSON_IsString(rid) || !rid->valuestring[0]) {
    baton__srv_post_error(srv, client, id_json, -32602, "'run_id' is required", 0);
    return;
  }
  pthread_mutex_lock(&srv->lock);
  srun *sr = srv->active;
  while (sr && strcmp(sr->run_id, rid->valuestring) != 0)
    sr = sr->next;
  if (sr && (sr->done || (!baton__srv_sees_all(uid) && sr->uid != uid)))
    sr = NULL; /* finished (only waiting to be freed), or another user's */
  bool found = sr != NULL, queued = sr && !sr->submitted && baton__srv_unqueue(srv, sr);
  baton_run *run = NULL;
  if (sr) {
    sr->cancel_asked = true;
    if (sr->submitted) {
      run = sr->run;
      sr->refs++;
    } else { /* its planning, now or when it begins */
      baton__interrupt_tag_because(sr->sc->ctx, sr->tag, sr->cancel_why);
    }
  }
  pthread_mutex_unlock(&srv->lock);
  if (!found) {
    post_not_running(srv, client, uid, id_json, rid->valuestring);
    return;
  }
  if (queued)
    baton__srv_end_waiting(srv, sr, BATON_CANCELLED, "cancelled while waiting for a slot");
  if (run) {
    baton_run_cancel(run);
    baton__srv_run_unref(srv, sr);
  }
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"run_id\":");
  baton__sb_add_json_str(&sb, rid->valuestring);
  baton__sb_adds(&sb, ",\"cancelling\":true}");
  if (baton__sb_ok(&sb))
    baton__srv_post_result(srv, client, id_json, sb.buf);
  baton__sb_release(&sb);
}

/* Cancels every active run (the end of the grace period). */
void baton__srv_cancel_all(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  size_t n = 0;
  for (srun *sr = srv->active; sr; sr = sr->next)
    n++;
  srun **list = calloc(n ? n : 1, sizeof *list);
  size_t k = 0;
  for (srun *sr = srv->active; sr; sr = sr->next) {
    sr->cancel_asked = true;
    if (!sr->cancel_why)
      sr->cancel_why = "the daemon is shutting down";
    if (!sr->submitted) { /* one being planned stops planning */
      baton__interrupt_tag_because(sr->sc->ctx, sr->tag, sr->cancel_why);
    } else if (list) {
      sr->refs++;
      list[k++] = sr;
    }
  }
  pthread_mutex_unlock(&srv->lock);
  for (size_t i = 0; i < k; i++)
    baton_run_cancel_because(list[i]->run, "the daemon is shutting down");
  for (size_t i = 0; i < k; i++)
    baton__srv_run_unref(srv, list[i]);
  free(list);
}

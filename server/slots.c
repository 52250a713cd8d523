/* slots.c — run slots (daemon.max_runs) and the queue of runs waiting for one. */
#include <stdlib.h>

#include "server/internal.h"
#include "core/banned.h"

/* Gives a finished run's slot to the first run waiting, if any (srv->lock
 * held). The waiting run's request becomes the job that starts it. */
void baton__srv_pass_slot(baton_server *srv) {
  srv->n_running--;
  srun *sr = srv->wait_head;
  if (srv->stopping || !sr)
    return;
  srv->wait_head = sr->wnext;
  if (!srv->wait_head)
    srv->wait_tail = NULL;
  srv->n_waiting--;
  srv->n_running++;
  baton__srv_push_job_locked(srv, sr->waiting);
}

/* Tells a client its run waits for a slot: the run's id (run.cancel takes
 * it) and its place in the queue. */
static void post_queued(baton_server *srv, const srun *sr, size_t position) {
  baton__sb sb;
  baton__sb_init(&sb);
  baton__sb_adds(&sb, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"run_id\":");
  baton__sb_add_json_str(&sb, sr->run_id);
  baton__sb_addf(&sb, ",\"type\":\"queued\",\"position\":%zu,\"ts\":%.3f}}", position,
                 baton__wall_s());
  baton__srv_post_sb(srv, sr->client, OUT_NOTIFY, &sb);
}

/* The job that starts sr, taking j's request over (NULL, the error sent and
 * sr released, when out of memory). */
static job *take_request(baton_server *srv, srun *sr, job *j) {
  job *w = calloc(1, sizeof *w);
  if (!w) {
    baton__srv_post_rc(srv, j->client, j->id_json, BATON_NOMEM, NULL);
    baton__srv_run_unref(srv, sr);
    return NULL;
  }
  *w = *j;
  w->next = NULL;
  w->kind = JOB_START_RUN;
  w->sr = sr;
  j->method = j->id_json = NULL;
  j->params = NULL;
  j->groups = NULL;
  j->n_groups = 0;
  sr->waiting = w;
  return w;
}

bool baton__srv_start_later(baton_server *srv, srun *sr, job *j) {
  job *w = take_request(srv, sr, j);
  if (!w) {
    pthread_mutex_lock(&srv->lock);
    baton__srv_pass_slot(srv);
    pthread_mutex_unlock(&srv->lock);
    return false;
  }
  baton__srv_push_job(srv, w);
  return true;
}

bool baton__srv_wait_for_slot(baton_server *srv, srun *sr, job *j) {
  if (!take_request(srv, sr, j))
    return false;
  pthread_mutex_lock(&srv->lock);
  if (srv->wait_tail)
    srv->wait_tail->wnext = sr;
  else
    srv->wait_head = sr;
  srv->wait_tail = sr;
  size_t position = ++srv->n_waiting;
  pthread_mutex_unlock(&srv->lock);
  if (!sr->quiet)
    post_queued(srv, sr, position);
  return true;
}

bool baton__srv_unqueue(baton_server *srv, srun *sr) {
  srun **at = &srv->wait_head, *prev = NULL;
  while (*at && *at != sr) {
    prev = *at;
    at = &(*at)->wnext;
  }
  if (!*at)
    return false;
  *at = sr->wnext;
  if (srv->wait_tail == sr)
    srv->wait_tail = prev;
  sr->wnext = NULL;
  srv->n_waiting--;
  return true;
}

void baton__srv_end_waiting(baton_server *srv, srun *sr, baton_rc rc, const char *msg) {
  job *j = sr->waiting;
  sr->waiting = NULL;
  if (rc == BATON_CANCELLED) /* its id was given (`accepted`): the history keeps it */
    baton__srv_record_unplanned(sr, j, msg);
  baton__srv_post_rc(srv, j->client, j->id_json, rc, msg);
  baton__srv_post_done(srv, j->client);
  baton__srv_job_free(j);
  baton__srv_run_unref(srv, sr);
}

void baton__srv_drop_waiting(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  srun *sr = srv->wait_head;
  srv->wait_head = srv->wait_tail = NULL;
  srv->n_waiting = 0;
  pthread_mutex_unlock(&srv->lock);
  while (sr) {
    srun *next = sr->wnext;
    baton__srv_end_waiting(srv, sr, BATON_BUSY, "the daemon is shutting down");
    sr = next;
  }
}

void baton__srv_drop_client_waiting(baton_server *srv, uint64_t client) {
  srun *gone = NULL;
  pthread_mutex_lock(&srv->lock);
  for (srun *sr = srv->wait_head, *next; sr; sr = next) {
    next = sr->wnext;
    if (sr->client == client && baton__srv_unqueue(srv, sr)) {
      sr->wnext = gone;
      gone = sr;
    }
  }
  pthread_mutex_unlock(&srv->lock);
  while (gone) {
    srun *next = gone->wnext;
    baton__srv_log(srv, BATON_LOG_INFO, "run %s dropped from the queue: its client is gone",
                   gone->run_id);
    baton__srv_end_waiting(srv, gone, BATON_CANCELLED, "the client disconnected");
    gone = next;
  }
}

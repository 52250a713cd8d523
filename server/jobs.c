/* jobs.c — the server's helper threads and the queue of jobs they run. */
#include <stdlib.h>

#include "server/internal.h"
#include "core/banned.h"

void baton__srv_push_job_locked(baton_server *srv, job *j) {
  j->next = NULL;
  if (srv->job_tail)
    srv->job_tail->next = j;
  else
    srv->job_head = j;
  srv->job_tail = j;
  pthread_cond_signal(&srv->job_cond);
}

void baton__srv_push_job(baton_server *srv, job *j) {
  pthread_mutex_lock(&srv->lock);
  baton__srv_push_job_locked(srv, j);
  pthread_mutex_unlock(&srv->lock);
}

void baton__srv_job_free(job *j) {
  if (!j)
    return;
  free(j->method);
  free(j->groups);
  free(j->id_json);
  cJSON_Delete(j->params);
  free(j);
}

void *baton__srv_helper_main(void *arg) {
  baton_server *srv = arg;
  for (;;) {
    pthread_mutex_lock(&srv->lock);
    while (!srv->job_head && !srv->helpers_quit)
      pthread_cond_wait(&srv->job_cond, &srv->lock);
    job *j = srv->job_head;
    if (!j) {
      pthread_mutex_unlock(&srv->lock);
      return NULL;
    }
    srv->job_head = j->next;
    if (!srv->job_head)
      srv->job_tail = NULL;
    srv->busy_helpers++;
    pthread_mutex_unlock(&srv->lock);
    if (j->kind == JOB_FREE_RUN)
      baton__srv_run_unref(srv, j->sr);
    else if (j->kind == JOB_START_RUN)
      baton__srv_start_waiting(srv, j->sr);
    else if (!baton__srv_call(srv, j))
      baton__srv_post_done(srv, j->client); /* a run keeps it until it is done */
    baton__srv_job_free(j);
    pthread_mutex_lock(&srv->lock);
    srv->busy_helpers--;
    pthread_mutex_unlock(&srv->lock);
    baton__srv_wake(srv, 'q');
  }
}

bool baton__srv_idle(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  bool idle = srv->n_active == 0 && !srv->job_head && srv->busy_helpers == 0;
  pthread_mutex_unlock(&srv->lock);
  return idle;
}

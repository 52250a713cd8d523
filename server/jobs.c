/* jobs.c — the server's pools of helper threads and the queues of jobs they run. */
#include <stdlib.h>
#include <string.h>

#include "server/internal.h"
#include "core/banned.h"

/* The pool a job goes to: a run being started (planned) to the runs' pool,
 * `plan` to its own, everything else (reads, submit's checks, freeing a
 * finished run) to the quick calls'. No call that waits on the LLM can keep
 * the others from a thread. */
static int pool_of(const job *j) {
  if (j->kind == JOB_START_RUN)
    return POOL_RUNS;
  if (j->kind == JOB_CALL && !strcmp(j->method, "plan"))
    return POOL_PLANS;
  return POOL_CALLS;
}

/* How many threads pool p may have (srv->lock held): a run holding a slot
 * never waits for a thread to plan it. */
static int pool_limit(const baton_server *srv, int p) {
  if (p == POOL_RUNS)
    return srv->max_runs > 0 ? srv->max_runs : 1;
  return p == POOL_PLANS ? N_PLANNERS : N_HELPERS;
}

static void *helper_main(void *arg);

/* Starts one more thread in p (srv->lock held); false when it cannot. */
static bool pool_grow(pool *p) {
  if (p->n_threads == p->cap_threads) {
    int cap = p->cap_threads ? p->cap_threads * 2 : 4;
    pthread_t *t = realloc(p->threads, (size_t)cap * sizeof *t);
    if (!t)
      return false;
    p->threads = t;
    p->cap_threads = cap;
  }
  if (baton__thread_start(&p->threads[p->n_threads], helper_main, p) != 0)
    return false;
  p->n_threads++;
  return true;
}

void baton__srv_push_job_locked(baton_server *srv, job *j) {
  int which = pool_of(j);
  pool *p = &srv->pools[which];
  j->next = NULL;
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  p->queued++;
  /* A thread that cannot start leaves the job to the ones there are. */
  if (p->queued > (size_t)p->idle && p->n_threads < pool_limit(srv, which) && !pool_grow(p))
    baton__srv_log(srv, BATON_LOG_WARN, "cannot start another helper thread: the job waits");
  pthread_cond_signal(&p->cond);
}

void baton__srv_push_job(baton_server *srv, job *j) {
  pthread_mutex_lock(&srv->lock);
  baton__srv_push_job_locked(srv, j);
  pthread_mutex_unlock(&srv->lock);
}

size_t baton__srv_jobs_queued(const baton_server *srv) {
  size_t n = 0;
  for (int i = 0; i < N_POOLS; i++)
    n += srv->pools[i].queued;
  return n;
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

/* The next job of p, or NULL when the threads are to quit (takes srv->lock,
 * and returns with it released). */
static job *next_job(baton_server *srv, pool *p) {
  pthread_mutex_lock(&srv->lock);
  while (!p->head && !srv->helpers_quit) {
    p->idle++;
    pthread_cond_wait(&p->cond, &srv->lock);
    p->idle--;
  }
  job *j = p->head;
  if (j) {
    p->head = j->next;
    if (!p->head)
      p->tail = NULL;
    p->queued--;
    srv->busy_helpers++;
  }
  pthread_mutex_unlock(&srv->lock);
  return j;
}

static void *helper_main(void *arg) {
  pool *p = arg;
  baton_server *srv = p->srv;
  job *j;
  while ((j = next_job(srv, p))) {
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
  return NULL;
}

bool baton__srv_pools_start(baton_server *srv) {
  bool any = false;
  pthread_mutex_lock(&srv->lock);
  for (int i = 0; i < N_POOLS; i++) {
    pool *p = &srv->pools[i];
    p->srv = srv;
    pthread_cond_init(&p->cond, NULL);
    /* The quick calls' threads all start now; the others as jobs come. */
    int first = i == POOL_CALLS ? N_HELPERS : 1;
    for (int k = 0; k < first && pool_grow(p); k++)
      any = true;
  }
  pthread_mutex_unlock(&srv->lock);
  return any && srv->pools[POOL_CALLS].n_threads > 0;
}

void baton__srv_pools_stop(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  srv->helpers_quit = true;
  for (int i = 0; i < N_POOLS; i++)
    pthread_cond_broadcast(&srv->pools[i].cond);
  pthread_mutex_unlock(&srv->lock);
  for (int i = 0; i < N_POOLS; i++) {
    pool *p = &srv->pools[i];
    /* No job is pushed now, so no thread is added while these are joined. */
    for (int k = 0; k < p->n_threads; k++)
      pthread_join(p->threads[k], NULL);
    free(p->threads);
    p->threads = NULL;
    p->n_threads = p->cap_threads = 0;
    for (job *j = p->head, *next; j; j = next) {
      next = j->next;
      baton__srv_job_free(j);
    }
    p->head = p->tail = NULL;
    p->queued = 0;
    pthread_cond_destroy(&p->cond);
  }
}

bool baton__srv_idle(baton_server *srv) {
  pthread_mutex_lock(&srv->lock);
  bool idle = srv->n_active == 0 && baton__srv_jobs_queued(srv) == 0 && srv->busy_helpers == 0;
  pthread_mutex_unlock(&srv->lock);
  return idle;
}

/* taskpool.c — a context's task threads, shared by all its runs: a FIFO of items and lazily started threads. */
#include <stdlib.h>

#include "core/util.h"
#include "runtime/taskpool.h"
#include "core/banned.h"

int baton__taskpool_init(baton__taskpool *p, size_t max_threads) {
  p->head = p->tail = NULL;
  p->n_threads = p->idle = p->queued = 0;
  p->max_threads = max_threads ? max_threads : 1;
  p->quit = false;
  p->threads = calloc(p->max_threads, sizeof *p->threads);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->cond, NULL);
  return p->threads ? 0 : -1;
}

static void *pool_main(void *arg) {
  baton__taskpool *p = arg;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->head && !p->quit) {
      p->idle++;
      pthread_cond_wait(&p->cond, &p->lock);
      p->idle--;
    }
    baton__taskpool_item *it = p->head;
    if (!it)
      break; /* quitting with nothing left */
    p->head = it->next;
    if (!p->head)
      p->tail = NULL;
    p->queued--;
    pthread_mutex_unlock(&p->lock);
    it->fn(it);
    pthread_mutex_lock(&p->lock);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

int baton__taskpool_push(baton__taskpool *p, baton__taskpool_item *item) {
  item->next = NULL;
  pthread_mutex_lock(&p->lock);
  /* A thread more when the idle ones (some perhaps not awake yet) cannot
   * take every queued item. */
  if (p->queued + 1 > p->idle && p->n_threads < p->max_threads && p->threads &&
      baton__thread_start(&p->threads[p->n_threads], pool_main, p) == 0)
    p->n_threads++;
  if (p->n_threads == 0) {
    pthread_mutex_unlock(&p->lock);
    return -1;
  }
  if (p->tail)
    p->tail->next = item;
  else
    p->head = item;
  p->tail = item;
  p->queued++;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
  return 0;
}

void baton__taskpool_release(baton__taskpool *p) {
  pthread_mutex_lock(&p->lock);
  p->quit = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  for (size_t i = 0; i < p->n_threads; i++)
    pthread_join(p->threads[i], NULL);
  free(p->threads);
  p->threads = NULL;
  p->n_threads = 0;
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->cond);
}

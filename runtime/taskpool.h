/* taskpool.h — a context's task threads, shared by all its runs. */
#ifndef BATON_RUNTIME_TASKPOOL_H
#define BATON_RUNTIME_TASKPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* A piece of work, embedded in its owner (queuing it allocates nothing). */
typedef struct baton__taskpool_item {
  struct baton__taskpool_item *next;
  void (*fn)(struct baton__taskpool_item *item);
} baton__taskpool_item;

typedef struct baton__taskpool {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  baton__taskpool_item *head, *tail; /* first in, first out */
  pthread_t *threads;
  size_t n_threads, max_threads; /* started lazily, up to max_threads */
  size_t idle;                   /* threads waiting for an item */
  size_t queued;                 /* items in the queue */
  bool quit;
} baton__taskpool;

/* Prepares a pool of at most max_threads threads (none started yet). */
int baton__taskpool_init(baton__taskpool *p, size_t max_threads);
/* Queues an item; a thread runs it, started when none is idle. Returns 0,
 * or -1 when no thread runs and none could be started (the item is not
 * queued). Any thread, items included. */
int baton__taskpool_push(baton__taskpool *p, baton__taskpool_item *item);
/* Runs what is queued, then stops and joins the threads. */
void baton__taskpool_release(baton__taskpool *p);

#endif

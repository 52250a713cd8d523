/* pool.h — a context's task threads, shared by all its runs. */
#ifndef BATON_RUNTIME_POOL_H
#define BATON_RUNTIME_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* A piece of work, embedded in its owner (queuing it allocates nothing). */
typedef struct baton__pool_item {
  struct baton__pool_item *next;
  void (*fn)(struct baton__pool_item *item);
} baton__pool_item;

typedef struct baton__pool {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  baton__pool_item *head, *tail; /* first in, first out */
  pthread_t *threads;
  size_t n_threads, max_threads; /* started lazily, up to max_threads */
  size_t idle;                   /* threads waiting for an item */
  size_t queued;                 /* items in the queue */
  bool quit;
} baton__pool;

/* Prepares a pool of at most max_threads threads (none started yet). */
int baton__pool_init(baton__pool *p, size_t max_threads);
/* Queues an item; a thread runs it, started when none is idle. Returns 0,
 * or -1 when no thread runs and none could be started (the item is not
 * queued). Any thread, items included. */
int baton__pool_push(baton__pool *p, baton__pool_item *item);
/* Runs what is queued, then stops and joins the threads. */
void baton__pool_release(baton__pool *p);

#endif

/* queue_worker.h — the worker's side of the task queue: baton-worker --queue takes tasks from Redis Streams. */
#ifndef BATON_RUNTIME_QUEUE_WORKER_H
#define BATON_RUNTIME_QUEUE_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include "executors/executor.h"

typedef struct baton__qworker_opts {
  const char *url;            /* or NULL: the config's queue.url */
  const char *password_env;   /* or NULL: the config's queue.password_env */
  const char *name;           /* or NULL: the process id */
  int concurrency;            /* tasks at once, each in its own worker process */
  const char *tasks;          /* or NULL: comma-separated task kinds to serve */
  const char *config_path;    /* or NULL: the default lookup */
  const char *program;        /* this program, started as isolated executor processes */
  const baton__executor *const *local; /* the executors compiled into the program */
  const atomic_int *stop;     /* set (by a signal handler) to finish and leave */
  void (*say)(void *ud, const char *line); /* progress and errors, one line each */
  void *say_ud;
} baton__qworker_opts;

/*
 * Serves the queue until *stop: a stream per executor and task kind it has
 * (and --tasks allows), taken with XREADGROUP; tasks left pending by a dead
 * or hung worker for claim_after_ms are claimed (XAUTOCLAIM). Each task runs
 * in an isolated, warm executor process; its inputs arrive as blobs into a
 * private temporary folder and its outputs leave as blobs. The result is
 * stored (first one wins), announced on the coordinator's reply stream, and
 * only then acknowledged. A heartbeat key says what the worker serves.
 * Returns the program's exit status (0 after a clean stop).
 */
int baton__queue_worker_main(const baton__qworker_opts *o);

#endif

/* queue.h — the coordinator's side of the task queue: local tasks sent to baton-workers anywhere through Redis Streams. */
#ifndef BATON_RUNTIME_QUEUE_H
#define BATON_RUNTIME_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "executors/executor.h"

struct cJSON;

/*
 * With queue.url configured, every task whose endpoint is "local:NAME" goes
 * to the stream of its executor and task kind instead of a local worker
 * process; the result comes back on this coordinator's reply stream. Delivery
 * is at least once: a result is keyed by run, task and attempt, and the first
 * one stored wins. See runtime/queue_proto.h for the keys and messages.
 */
typedef struct baton__queue baton__queue;

/* Connects (one-line error naming the URL when Redis is unreachable) and
 * starts the reply reader. cfg is borrowed for the queue's life. */
int baton__queue_open(const baton__config *cfg, baton__queue **out, char *err, size_t errlen);
void baton__queue_close(baton__queue *q);

/* Whether tasks of this endpoint go to the queue (q may be NULL: no). */
bool baton__queue_takes(const baton__queue *q, const char *endpoint);

/* One task to send. */
typedef struct baton__queue_job {
  const char *run;          /* run id */
  int task_id;
  const char *executor;     /* "tesseract" */
  const char *task;         /* "image-to-text" */
  /* Told once when no live worker serves the task yet (may be NULL). */
  void (*waiting)(void *ud, const char *text);
  void *ud;
  char *worker;             /* receives "HOST:NAME" of the worker that ran it */
  size_t worker_cap;
} baton__queue_job;

/*
 * Runs one task on a worker: reuses a result an earlier attempt of the same
 * run and task left (a resumed run), else waits for a live worker serving the
 * task (up to env->timeout_ms), sends the inputs as blobs, waits for the
 * result and writes its files into env->workspace. 0 with out filled, or -1
 * with env->err (and env->transient).
 */
int baton__queue_run(baton__queue *q, const baton__queue_job *job, const baton__values *in,
                     baton__exec_env *env, baton__values *out);

/* Live workers as a JSON array (caller deletes), or NULL with err. */
struct cJSON *baton__queue_workers(baton__queue *q, char *err, size_t errlen);

#endif

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

/* Checks the URL; Redis is reached (the password read, the reply reader
 * started) on the first task or worker listing, whose error is then one line
 * naming the URL. cfg is borrowed for the queue's life. */
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
  /* Told when a worker took the task, and again if another claimed it;
   * job->worker names it then (may be NULL). */
  void (*taken)(void *ud);
  void *ud;
  char *worker;             /* receives "HOST:NAME" of the worker that has or ran it */
  size_t worker_cap;
} baton__queue_job;

/*
 * Runs one task on a worker: sends the inputs (files as blobs, the rest
 * inline), numbers the attempt and, when a live worker serves the task, sends
 * the job in the same round trip. A later attempt first reuses a result an
 * earlier one left (a resumed run); without a live worker it waits for one
 * (up to env->timeout_ms). Then it waits for the result and writes its files
 * into env->workspace. 0 with out filled, or -1
 * with env->err (and env->transient, env->bad_input).
 */
int baton__queue_run(baton__queue *q, const baton__queue_job *job, const baton__values *in,
                     baton__exec_env *env, baton__values *out);

/* Live workers as a JSON array (caller deletes), or NULL with err. */
struct cJSON *baton__queue_workers(baton__queue *q, char *err, size_t errlen);

#endif

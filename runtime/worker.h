/* worker.h — supervised executor worker processes: the parent-side pool and the child's loop. */
#ifndef BATON_RUNTIME_WORKER_H
#define BATON_RUNTIME_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/config.h"
#include "executors/executor.h"

/*
 * Local executors run in worker processes (the `baton-worker` program) so that
 * a crash, a hang or runaway memory fails one task, not the caller. A worker
 * serves one executor, initialises it once, and stays warm between tasks.
 *
 * Wire format on the worker's socket (both directions): a 4-byte big-endian
 * length, then that many bytes of JSON. Requests:
 *   {"executor","task","model","endpoint","workspace","prefix","timeout_ms",
 *    "inputs":[{"name","type","data"}]}
 * The worker answers each with {"took":true} as soon as it has read it, then
 * the reply: {"ok":true,"outputs":[...]} or {"ok":false,"error":"..."}. A
 * worker that dies before it took a task (killed while idle) is replaced and
 * the task given to the replacement, once; one that dies after crashed it.
 */

/* Largest message either side accepts. */
#define BATON__WORKER_MAX_MSG (64u << 20)

typedef struct baton__worker {
  pid_t pid;
  int fd;
  bool busy;
} baton__worker;

/* The workers of one executor. Guarded by its own lock. */
typedef struct baton__worker_pool {
  char name[64];              /* the executor the workers serve */
  const baton__config *cfg;   /* borrowed from the context */
  const char *program;        /* borrowed: path of baton-worker */
  pthread_mutex_t lock;
  pthread_cond_t freed;
  baton__worker *w;
  size_t n, max;
} baton__worker_pool;

/* The worker program to use: cfg's worker_path / $BATON_WORKER, the
 * installed copy, or the build tree's. Returns a malloc'd path, or NULL when
 * none exists (then executors run in-process). */
char *baton__worker_program(void);

void baton__worker_pool_init(baton__worker_pool *p, const char *executor,
                             const baton__config *cfg, const char *program, size_t max);
/* Stops every worker (SIGTERM, then SIGKILL after a grace period) and reaps them. */
void baton__worker_pool_release(baton__worker_pool *p);

/* Starts one worker ahead of need when the pool has none, so its libraries
 * load while earlier tasks run. Never blocks on the worker. */
void baton__worker_pool_prewarm(baton__worker_pool *p);

/*
 * Runs one task in a worker of the pool: takes an idle worker or starts one
 * (waiting when max are busy), sends the request and waits for the reply,
 * killing the worker on cancel or timeout. A worker that dies is reaped and
 * replaced by the next task. Returns 0 with `out` filled, or -1 with
 * env->err set.
 */
int baton__worker_run(baton__worker_pool *p, const char *task, const baton__values *in,
                      baton__exec_env *env, baton__values *out);

/* The child side: serves requests on fd until it closes. `local` is the
 * table of local executors the worker program loaded (the one it serves);
 * the library's own table is searched too. `unloaded`, when not NULL, says
 * why the executor asked for could not be loaded, and answers requests for
 * it. Returns the exit status for the worker program. */
int baton__worker_main(int fd, const char *config_path, const baton__executor *const *local,
                       const char *unloaded);

/* The child side of `baton-worker --describe`: writes to fd a JSON array
 * describing the `local` executors ({name, model, tasks, reentrant,
 * available, reason}) under the given config. Returns the exit status. */
int baton__worker_describe(int fd, const char *config_path, const baton__executor *const *local);

/* The parent side: runs `program --describe` and returns its parsed JSON
 * array (caller cJSON_Deletes), or NULL with err. Bounded in time and size. */
struct cJSON *baton__worker_query(const char *program, const char *config_path, char *err,
                                  size_t errlen);

#endif

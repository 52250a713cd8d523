/* context.h — the inside of a baton context and shared runtime helpers. */
#ifndef BATON_RUNTIME_CONTEXT_H
#define BATON_RUNTIME_CONTEXT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

#include "baton.h"
#include "core/config.h"
#include "executors/executor.h"
#include "net/pool.h"
#include "executors/llm_client.h"
#include "registry/registry.h"
#include "registry/runstore.h"
#include "runtime/taskpool.h"
#include "runtime/queue.h"
#include "runtime/worker.h"

/* Per-context state of one executor: lazily initialised, lock-protected.
 * Library executors have `ex`; local ones (described by baton-worker) have
 * ex == NULL and always run isolated. */
typedef struct baton__exec_slot {
  const baton__executor *ex;
  char name[64];
  char model_id[128];
  char *tasks_json;            /* the task names as a JSON array */
  bool reentrant;
  pthread_mutex_t lock;
  bool initialised;
  void *state;
  bool available;              /* checked once at open */
  char why[256];               /* the reason when not available */
  char details[1024];          /* what is installed ("languages: eng, fra"), or "" */
  bool isolated;               /* runs in worker processes (pool) */
  baton__worker_pool pool;
} baton__exec_slot;

#define BATON__PLAN_SLOTS 64 /* planning calls baton_interrupt() can reach at once */
#define BATON__STOPPED_TAGS 64 /* interrupted tags remembered for planning yet to start */

struct baton {
  baton__config cfg;
  baton__registry *reg;
  baton__runstore *runs;       /* durable run history (runs.db), opened at first
                                  use (baton__runs_usable), or NULL: */
  char runs_why[768];          /* why it could not be opened */
  pthread_mutex_t runs_lock;   /* guards opening it */
  bool runs_tried;             /* it was opened, or tried (under runs_lock) */
  char *worker_program;        /* baton-worker, or NULL: executors in-process */
  baton__llm *llm;             /* the LLM client; NULL when cfg.llm_base_url is NULL */
  baton__pool *pool;           /* replicas of the configured endpoints (cfg.endpoints) */
  baton__queue *queue;         /* local tasks go here when queue.url is set, else NULL */
  baton__exec_slot *slots;     /* fixed capacity: slots never move */
  size_t n_slots, cap_slots;
  bool described;              /* the local executors were asked for (under lock) */
  char local_why[512];         /* why they could not be, or "" */
  pthread_mutex_t lock;        /* guards the log settings */
  baton_log_fn log_fn;
  void *log_ud;
  baton_log_level log_level;
  /* Planning calls in progress (make_graph), one slot each, so that
   * baton_interrupt() can stop them from any thread or a signal handler:
   * plan_used[i] 1 while slot i is taken, plan_stop[i] the cancel flag its
   * LLM calls watch. Lock-free, so async-signal-safe to touch. */
  atomic_int plan_used[BATON__PLAN_SLOTS];
  atomic_int plan_stop[BATON__PLAN_SLOTS];
  _Atomic uint64_t plan_tag[BATON__PLAN_SLOTS]; /* its request's interrupt_tag, or 0 */
  /* The tags baton_interrupt_tag() was given last (a ring; 0: none), so that
   * a planning call starting after its tag was interrupted stops at once. */
  _Atomic uint64_t stopped_tags[BATON__STOPPED_TAGS];
  /* why each was interrupted (static text; NULL: not said), set before its tag */
  _Atomic(const char *) stopped_why[BATON__STOPPED_TAGS];
  atomic_uint stopped_next;
  atomic_int closing;          /* baton_shutdown() was called */
  /* Runs started and not yet finished, so that baton_shutdown() can cancel
   * them and baton_close() wait for them (under live_lock). */
  pthread_mutex_t live_lock;
  pthread_cond_t live_cond;    /* signalled when a run leaves the list */
  struct baton_run *live;
  baton__taskpool tasks;       /* task threads (cfg.workers) shared by the runs */
  bool tasks_ready;
};

/* Copies a caller's struct whose first member is its size into *out (the
 * library's size, zero-filled past what the caller knew), or fails with
 * BATON_INVALID when the size is 0 or larger than out_size. what names the
 * type ("baton_request", "baton_server_options"); the hint names the
 * init macro made of it in capitals ("BATON_REQUEST_INIT"). */
baton_rc baton__sized_copy(void *out, size_t out_size, const void *in, const char *what);

/* baton_interrupt_tag(), saying why (static text, or NULL): a run whose planning it stops is
 * recorded cancelled for that reason. Async-signal-safe. */
void baton__interrupt_tag_because(baton *ctx, uint64_t tag, const char *why);
/* Why tag was interrupted lately (baton__interrupt_tag_because), or NULL. */
const char *baton__tag_reason(baton *ctx, uint64_t tag);

/* Sets what baton_failed_run_id() says on this thread (NULL: ""). */
void baton__note_failed_run(const char *run_id);

/* As baton_submit(), the run taking the id run_id (of baton__new_run_id()'s
 * form, made by the caller: the daemon names a run that waits for a slot
 * before it starts); NULL: a new one. */
baton_rc baton__submit_named(baton *ctx, const baton_request *req, const char *run_id,
                             baton_event_fn on_event, void *userdata, baton_run **out);

/* Puts a run about to start on the context's list of live runs, or refuses
 * with BATON_CANCELLED (message set) when the context is closing. */
baton_rc baton__live_add(baton *ctx, struct baton_run *run);
/* Takes a run off that list (when on it) and wakes baton_close(). */
void baton__live_remove(baton *ctx, struct baton_run *run);
/* Blocks until no run of the context is live. */
void baton__live_wait(baton *ctx);

/* Records the detail text for the failing call and returns rc. */
baton_rc baton__fail(baton *ctx, baton_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens the run history on the first call (commands that neither run nor
 * read runs never open it), then: BATON_OK when it is open, else BATON_DB
 * with the reason recorded (for baton_errmsg()). Thread-safe. */
baton_rc baton__runs_usable(baton *ctx);
/* Logs through the embedder's callback when the level is enabled. */
void baton__log(baton *ctx, baton_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The slot of the executor serving an endpoint ("local:NAME", "hf-inference"
 * or a URL, "llm"), or NULL. */
baton__exec_slot *baton__slot(baton *ctx, const char *endpoint);
/* Runs one task on a local executor: initialises it on first use and holds
 * its lock unless it is reentrant. 0, or -1 with env->err set. */
int baton__slot_run(baton__exec_slot *s, const char *task, const baton__values *in,
                    baton__exec_env *env, baton__values *out);

/* Puts the configured servers' models into the registry and has the pool
 * keep each server's health there (endpoints_api.c). 0 or -1 with err. */
int baton__endpoints_open(baton *ctx, char *err, size_t errlen);
/* Whether a configured endpoint model declares task although no model
 * server can run it (baton__oai_unserved: those declarations are not put
 * into the registry); then who declares it and why, in why. */
bool baton__endpoints_unserved(const baton *ctx, const char *task, char *why, size_t cap);

/* Starts a worker for the executor of an endpoint ahead of its first task. */
void baton__prewarm(baton *ctx, const char *endpoint);

/* Whether an endpoint can run here (local executor available, token set...). */
bool baton__endpoint_ok(void *ctx, const char *endpoint, char *why, size_t whylen);

#endif

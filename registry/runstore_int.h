/* runstore_int.h — what the run history's source files share: the handle and its write queue. */
#ifndef BATON_REGISTRY_RUNSTORE_INT_H
#define BATON_REGISTRY_RUNSTORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "registry/runlock.h"
#include "registry/runstore.h"

/* Task-state writes are queued and committed by one writer thread in
 * batches (group commit), so a task's progress costs the scheduler a queue
 * push, not a transaction. */
typedef enum { OP_TASK, OP_FINISH, OP_BEGIN, OP_REOPEN, OP_PLAN, OP_ACCEPT, OP_FORGET } baton__rs_op_kind;

typedef struct baton__rs_op {
  struct baton__rs_op *next;
  baton__rs_op_kind kind;
  char *run_id, *task, *model, *status, *outputs, *error, *summary, *result;
  char *worker;   /* OP_TASK: the queue worker ("HOST:NAME") that has or ran it */
  char *endpoint; /* OP_TASK: the model server that answered */
  char *request, *plan, *workspace; /* OP_BEGIN (whose plan is written as OP_PLAN), OP_ACCEPT */
  char *chat;     /* OP_BEGIN: the conversation its chat tasks are sent, or NULL */
  int task_id;
  long long uid; /* OP_BEGIN, OP_ACCEPT: who the run belongs to */
  long long ms;
  double ts;
} baton__rs_op;

/* The task writes queued and not yet taken by the writer, by run and task
 * (open addressing; slots of another generation are free, so the writer
 * forgets them all at once when it takes the queue). */
typedef struct baton__rs_pending {
  struct baton__rs_slot {
    baton__rs_op *op;
    unsigned gen;
  } *slot;
  size_t cap, n; /* cap: 0 or a power of two */
  unsigned gen;  /* 0 never marks a slot in use */
} baton__rs_pending;

/* The queued write of o's run and task (OP_TASK) when there is one (the
 * caller puts o's state in its place), else NULL with o indexed. */
baton__rs_op *baton__rs_pending_put(baton__rs_pending *p, baton__rs_op *o);
/* Forgets every entry: the writer took the queue. */
void baton__rs_pending_clear(baton__rs_pending *p);
void baton__rs_pending_free(baton__rs_pending *p);

/* A run whose writes could not be stored (reported at its finish). */
typedef struct baton__rs_fail {
  struct baton__rs_fail *next;
  char *run_id;
  char msg[384];
} baton__rs_fail;

/* A run of this process whose end could not be stored (runstore_ended.c). */
typedef struct baton__rs_ended {
  struct baton__rs_ended *next;
  char *run_id;
} baton__rs_ended;

struct baton__runstore {
  sqlite3 *db;
  char *path;
  char write_why[384];    /* why this process cannot write (read-only), or "" */
  baton__runlock owner;   /* this process's claim on the runs it records */
  pthread_mutex_t lock;   /* guards the queue, stop, busy and fails */
  pthread_mutex_t txn;    /* held around every write transaction on db (the writer's batches,
                             a prune's claim), so that none runs inside another and is rolled
                             back with it */
  pthread_cond_t wake;    /* work queued, or stop */
  pthread_cond_t drained; /* the queue is empty and nothing is being written */
  baton__rs_op *head, *tail;
  baton__rs_pending pending; /* the queued task writes, by run and task */
  bool stop, busy, started;
  int waiters;            /* threads in a flush */
  int queued;             /* writes queued since the writer last took them */
  baton__rs_fail *fails;  /* runs with writes that failed even when retried alone */
  size_t n_fails;
  baton__rs_ended *ended; /* runs whose end could not be stored, not yet recorded interrupted */
  size_t n_ended;
  pthread_t writer;
  sqlite3_stmt *st_task, *st_finish, *st_begin, *st_reopen, *st_plan, *st_accept, *st_forget;
  long gather_ms;         /* how long a burst of writes may gather (BATON_TEST_RUNS_GATHER_MS) */
};

/* err = "run history PATH: WHAT: SQLite's message"; returns -1. */
int baton__runstore_db_fail(baton__runstore *rs, char *err, size_t errlen, const char *what);

/* The writer thread (runstore_write.c). */
void *baton__runstore_writer(void *arg);
/* Runs whose end could not be stored (runstore_ended.c): such a run is read back as
 * interrupted, not running, for as long as this process lives, and recorded so by the writer
 * once the history takes writes again. Each takes rs->lock itself. */
void baton__rs_ended_add(baton__runstore *rs, const char *run_id);
bool baton__rs_ended_has(baton__runstore *rs, const char *run_id);
void baton__rs_ended_drop(baton__runstore *rs, const char *run_id);
/* The writer, after a batch: records the runs listed as interrupted (holds no lock). */
void baton__rs_ended_store(baton__runstore *rs);
void baton__rs_ended_free(baton__runstore *rs);
/* Frees what is left of the failure records. */
void baton__runstore_fails_free(baton__runstore *rs);

#endif

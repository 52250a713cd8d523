/* runstore_write.c — the run history's write queue: group commit, per-run retry, failures kept per run. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

typedef baton__rs_op op;

/* Failure records kept at most; the oldest goes first (its run never
 * finished in this process, or nobody asked). */
#define MAX_FAILS 256

static void op_fields_free(op *o) {
  free(o->run_id);
  free(o->task);
  free(o->model);
  free(o->status);
  free(o->outputs);
  free(o->error);
  free(o->worker);
  free(o->summary);
  free(o->result);
  free(o->request);
  free(o->plan);
  free(o->workspace);
  free(o->endpoint);
  free(o->chat);
}

static void op_free(op *o) {
  op_fields_free(o);
  free(o);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

static void bind_op(baton__runstore *rs, sqlite3_stmt *st, const op *o) {
  sqlite3_bind_text(st, 1, o->run_id, -1, SQLITE_STATIC);
  switch (o->kind) {
  case OP_FINISH:
    sqlite3_bind_text(st, 2, o->status, -1, SQLITE_STATIC);
    bind_opt(st, 3, o->summary);
    bind_opt(st, 4, o->result);
    sqlite3_bind_double(st, 5, o->ts);
    break;
  case OP_BEGIN:
  case OP_ACCEPT:
    sqlite3_bind_double(st, 2, o->ts);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
    bind_opt(st, 4, o->request);
    sqlite3_bind_text(st, 5, o->workspace, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, rs->owner.instance, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, o->uid);
    if (o->kind == OP_BEGIN)
      bind_opt(st, 8, o->chat);
    break;
  case OP_FORGET:
    sqlite3_bind_text(st, 2, rs->owner.instance, -1, SQLITE_STATIC);
    break;
  case OP_PLAN:
    sqlite3_bind_text(st, 2, o->plan, -1, SQLITE_STATIC);
    break;
  case OP_REOPEN:
    sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
    sqlite3_bind_double(st, 3, o->ts);
    sqlite3_bind_text(st, 4, rs->owner.instance, -1, SQLITE_STATIC);
    break;
  case OP_TASK:
    sqlite3_bind_int(st, 2, o->task_id);
    sqlite3_bind_text(st, 3, o->task, -1, SQLITE_STATIC);
    bind_opt(st, 4, o->model);
    sqlite3_bind_text(st, 5, o->status, -1, SQLITE_STATIC);
    bind_opt(st, 6, o->outputs);
    bind_opt(st, 7, o->error);
    sqlite3_bind_int64(st, 8, o->ms);
    sqlite3_bind_double(st, 9, o->ts);
    bind_opt(st, 10, o->worker);
    bind_opt(st, 11, o->endpoint);
    break;
  }
}

/* Runs the statement of one operation of kind `as` (o's own kind, or
 * OP_PLAN for the plan of a run's start). 0, or -1 with msg. */
static int step_op(baton__runstore *rs, const op *o, baton__rs_op_kind as, char *msg,
                   size_t cap) {
  sqlite3_stmt *st = as == OP_FINISH   ? rs->st_finish
                     : as == OP_BEGIN  ? rs->st_begin
                     : as == OP_REOPEN ? rs->st_reopen
                     : as == OP_PLAN   ? rs->st_plan
                     : as == OP_ACCEPT ? rs->st_accept
                     : as == OP_FORGET ? rs->st_forget
                                       : rs->st_task;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  op view = *o;
  view.kind = as;
  bind_op(rs, st, &view);
  int rc = sqlite3_step(st);
  int changed = sqlite3_changes(rs->db);
  if (rc != SQLITE_DONE)
    baton__fmt(msg, cap, "run history %s: recording run %s: %s", rs->path, o->run_id,
               sqlite3_errmsg(rs->db));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return -1;
  if ((as == OP_FINISH || as == OP_REOPEN) && changed != 1) {
    baton__fmt(msg, cap, "run history %s: run %s is not stored (%s)", rs->path, o->run_id,
               as == OP_REOPEN ? "or its files were removed meanwhile"
                               : "its start could not be written");
    return -1;
  }
  if (as == OP_BEGIN && changed != 1) { /* the id is another run's */
    baton__fmt(msg, cap, "run history %s: run %s is already stored", rs->path, o->run_id);
    return -1;
  }
  return 0;
}

/* Writes one queued operation (a run's start: its row, then its plan's).
 * 0, or -1 with msg. */
static int apply_op(baton__runstore *rs, const op *o, char *msg, size_t cap) {
  int rc = step_op(rs, o, o->kind, msg, cap);
  if (rc == 0 && o->kind == OP_BEGIN)
    rc = step_op(rs, o, OP_PLAN, msg, cap);
  return rc;
}

/* Writes the operations of `batch` (only those of run `only` unless NULL)
 * in one transaction. 0, or -1 with msg and nothing written. */
static int write_ops(baton__runstore *rs, const op *batch, const char *only, char *msg,
                     size_t cap) {
  pthread_mutex_lock(&rs->txn);
  if (sqlite3_exec(rs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(msg, cap, "run history %s: %s", rs->path, sqlite3_errmsg(rs->db));
    pthread_mutex_unlock(&rs->txn);
    return -1;
  }
  int rc = 0;
  for (const op *o = batch; o && rc == 0; o = o->next)
    if (!only || strcmp(o->run_id, only) == 0)
      rc = apply_op(rs, o, msg, cap);
  if (rc == 0 && sqlite3_exec(rs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    baton__fmt(msg, cap, "run history %s: %s", rs->path, sqlite3_errmsg(rs->db));
    rc = -1;
  }
  if (rc != 0 && !sqlite3_get_autocommit(rs->db))
    sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
  pthread_mutex_unlock(&rs->txn);
  return rc;
}

static void record_fail(baton__runstore *rs, const char *run_id, const char *msg) {
  for (baton__rs_fail *f = rs->fails; f; f = f->next)
    if (strcmp(f->run_id, run_id) == 0)
      return; /* the first failure is the one to report */
  baton__rs_fail *f = calloc(1, sizeof *f);
  if (!f || !(f->run_id = baton__strdup(run_id))) {
    free(f);
    return;
  }
  baton__fmt(f->msg, sizeof f->msg, "%s", msg);
  f->next = rs->fails;
  rs->fails = f;
  if (++rs->n_fails > MAX_FAILS) {
    baton__rs_fail **p = &rs->fails;
    while ((*p)->next)
      p = &(*p)->next;
    free((*p)->run_id);
    free(*p);
    *p = NULL;
    rs->n_fails--;
  }
}

/* Writes a batch; when the whole fails, each run's writes are tried again
 * on their own, so one run's failure never drops another run's writes. */
static void write_batch(baton__runstore *rs, const op *batch) {
  char msg[384];
  if (write_ops(rs, batch, NULL, msg, sizeof msg) == 0)
    return;
  for (const op *o = batch; o; o = o->next) {
    bool seen = false;
    for (const op *p = batch; p != o && !seen; p = p->next)
      seen = strcmp(p->run_id, o->run_id) == 0;
    if (seen)
      continue;
    char one[384];
    if (write_ops(rs, batch, o->run_id, one, sizeof one) != 0) {
      pthread_mutex_lock(&rs->lock);
      record_fail(rs, o->run_id, one);
      pthread_mutex_unlock(&rs->lock);
    }
  }
}

/* Lets a burst of writes gather (up to rs->gather_ms: 2 ms) unless someone waits for them:
 * one transaction for many writes is what keeps this cheap. Holds rs->lock. */
static void gather(baton__runstore *rs) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += rs->gather_ms / 1000;
  until.tv_nsec += rs->gather_ms % 1000 * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  while (!rs->stop && !rs->waiters && rs->queued < 64 &&
         pthread_cond_timedwait(&rs->wake, &rs->lock, &until) == 0) {
  }
}

void *baton__runstore_writer(void *arg) {
  baton__runstore *rs = arg;
  pthread_mutex_lock(&rs->lock);
  for (;;) {
    while (!rs->head && !rs->stop)
      pthread_cond_wait(&rs->wake, &rs->lock);
    if (!rs->head && rs->stop)
      break;
    gather(rs);
    rs->queued = 0;
    op *batch = rs->head;
    rs->head = rs->tail = NULL;
    baton__rs_pending_clear(&rs->pending);
    rs->busy = true;
    pthread_mutex_unlock(&rs->lock);
    write_batch(rs, batch);
    baton__rs_ended_store(rs);
    while (batch) {
      op *next = batch->next;
      op_free(batch);
      batch = next;
    }
    pthread_mutex_lock(&rs->lock);
    rs->busy = false;
    if (!rs->head)
      pthread_cond_broadcast(&rs->drained);
  }
  rs->busy = false;
  pthread_cond_broadcast(&rs->drained);
  pthread_mutex_unlock(&rs->lock);
  return NULL;
}

void baton__runstore_fails_free(baton__runstore *rs) {
  while (rs->fails) {
    baton__rs_fail *f = rs->fails;
    rs->fails = f->next;
    free(f->run_id);
    free(f);
  }
  rs->n_fails = 0;
}

/* Queues o. A task whose earlier state is still queued (a task started
 * and finished before the writer took the queue) gets o's state in that
 * place: one write, not two; what the writer commits of the queue, it
 * commits in one transaction, so nothing between them is lost. */
static void enqueue(baton__runstore *rs, op *o) {
  o->ts = baton__wall_s();
  pthread_mutex_lock(&rs->lock);
  op *queued = o->kind == OP_TASK ? baton__rs_pending_put(&rs->pending, o) : NULL;
  if (queued) {
    op *next = queued->next;
    op_fields_free(queued);
    *queued = *o;
    queued->next = next;
    free(o);
    pthread_mutex_unlock(&rs->lock);
    return;
  }
  if (rs->tail)
    rs->tail->next = o;
  else
    rs->head = o;
  rs->tail = o;
  rs->queued++;
  pthread_cond_signal(&rs->wake);
  pthread_mutex_unlock(&rs->lock);
}

/* Waits until the queue is written; then takes the failure of run_id (or,
 * when NULL, reports the newest failure without taking it). Holds no lock
 * on entry. 0, or -1 with err. */
static int drain(baton__runstore *rs, const char *run_id, char *err, size_t errlen) {
  pthread_mutex_lock(&rs->lock);
  rs->waiters++;
  pthread_cond_signal(&rs->wake); /* no more gathering: someone waits */
  while (rs->head || rs->busy)
    pthread_cond_wait(&rs->drained, &rs->lock);
  rs->waiters--;
  int rc = 0;
  for (baton__rs_fail **p = &rs->fails; *p; p = &(*p)->next) {
    if (run_id && strcmp((*p)->run_id, run_id) != 0)
      continue;
    baton__fmt(err, errlen, "%s", (*p)->msg);
    rc = -1;
    if (run_id) {
      baton__rs_fail *f = *p;
      *p = f->next;
      free(f->run_id);
      free(f);
      rs->n_fails--;
    }
    break;
  }
  pthread_mutex_unlock(&rs->lock);
  return rc;
}

int baton__runstore_flush(baton__runstore *rs, char *err, size_t errlen) {
  return drain(rs, NULL, err, errlen);
}

int baton__runstore_flush_run(baton__runstore *rs, const char *run_id, char *err,
                              size_t errlen) {
  return drain(rs, run_id, err, errlen);
}

/* A new operation whose string fields (given by their offsets in `op`) take
 * copies of src (NULL stays NULL). NULL when out of memory. */
static op *op_new(baton__rs_op_kind kind, const char *const *src, const size_t *fields, size_t n) {
  op *o = calloc(1, sizeof *o);
  if (!o)
    return NULL;
  o->kind = kind;
  for (size_t i = 0; i < n; i++) {
    char **slot = (char **)((char *)o + fields[i]);
    if (src[i] && !(*slot = baton__strdup(src[i]))) {
      op_free(o);
      return NULL;
    }
  }
  return o;
}

static int out_of_memory(char *err, size_t errlen) {
  baton__fmt(err, errlen, "out of memory");
  return -1;
}

/* Queues o, or refuses when this process cannot write the history. */
static int push(baton__runstore *rs, op *o, char *err, size_t errlen) {
  if (!o)
    return out_of_memory(err, errlen);
  if (rs->write_why[0]) {
    baton__fmt(err, errlen, "cannot record run %s: %s", o->run_id, rs->write_why);
    op_free(o);
    return -1;
  }
  enqueue(rs, o);
  return 0;
}

int baton__runstore_task_on(baton__runstore *rs, const char *run_id, int task_id,
                            const char *task, const char *model, const char *endpoint,
                            const char *status, const char *outputs_json, const char *error,
                            long long ms, const char *worker, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id),  offsetof(op, task),
                                  offsetof(op, model),   offsetof(op, endpoint),
                                  offsetof(op, status),  offsetof(op, outputs),
                                  offsetof(op, error),   offsetof(op, worker)};
  const char *src[] = {run_id, task, model, endpoint, status, outputs_json, error, worker};
  op *o = op_new(OP_TASK, src, fields, 8);
  if (o) {
    o->task_id = task_id;
    o->ms = ms;
  }
  return push(rs, o, err, errlen);
}

int baton__runstore_task(baton__runstore *rs, const char *run_id, int task_id, const char *task,
                         const char *model, const char *endpoint, const char *status,
                         const char *outputs_json, const char *error, long long ms, char *err,
                         size_t errlen) {
  return baton__runstore_task_on(rs, run_id, task_id, task, model, endpoint, status, outputs_json,
                                 error, ms, NULL, err, errlen);
}

int baton__runstore_finish(baton__runstore *rs, const char *run_id, const char *status,
                           const char *summary, const char *result_json, char *err,
                           size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id), offsetof(op, status),
                                  offsetof(op, summary), offsetof(op, result)};
  const char *src[] = {run_id, status, summary, result_json};
  if (push(rs, op_new(OP_FINISH, src, fields, 4), err, errlen) != 0)
    return -1;
  /* The end of a run is durable before the caller hears of it. */
  if (baton__runstore_flush_run(rs, run_id, err, errlen) == 0)
    return 0;
  baton__rs_ended_add(rs, run_id); /* over all the same: not to be read as running */
  return -1;
}

int baton__runstore_begin_as(baton__runstore *rs, const char *id, long long uid,
                             const char *request, const char *plan_json, const char *workspace,
                             const char *chat_json, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id), offsetof(op, request), offsetof(op, plan),
                                  offsetof(op, workspace), offsetof(op, chat)};
  const char *src[] = {id, request, plan_json, workspace, chat_json};
  op *o = op_new(OP_BEGIN, src, fields, 5);
  if (o)
    o->uid = uid;
  return push(rs, o, err, errlen);
}

int baton__runstore_accept(baton__runstore *rs, const char *id, long long uid, const char *request,
                           const char *workspace, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id), offsetof(op, request),
                                  offsetof(op, workspace)};
  const char *src[] = {id, request, workspace};
  op *o = op_new(OP_ACCEPT, src, fields, 3);
  if (o)
    o->uid = uid;
  if (push(rs, o, err, errlen) != 0)
    return -1;
  return baton__runstore_flush_run(rs, id, err, errlen); /* durable before its id is told */
}

int baton__runstore_forget(baton__runstore *rs, const char *id, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id)};
  return push(rs, op_new(OP_FORGET, &id, fields, 1), err, errlen);
}

int baton__runstore_begin(baton__runstore *rs, const char *id, const char *request,
                          const char *plan_json, const char *workspace, char *err,
                          size_t errlen) {
  return baton__runstore_begin_as(rs, id, (long long)geteuid(), request, plan_json, workspace,
                                  NULL, err, errlen);
}

int baton__runstore_reopen(baton__runstore *rs, const char *run_id, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id)};
  baton__rs_ended_drop(rs, run_id); /* running again */
  return push(rs, op_new(OP_REOPEN, &run_id, fields, 1), err, errlen);
}

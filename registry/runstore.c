/* runstore.c — durable run history in SQLite (runs.db): every run, task state and answer as it happens. */
#include "registry/runstore.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/banned.h"

/* Task-state writes are queued and committed by one writer thread in
 * batches (group commit), so a task's progress costs the scheduler a queue
 * push, not a transaction. The queue is drained within milliseconds; a
 * process killed with SIGKILL loses at most the writes of that moment, and
 * those tasks simply run again on resume. Everything else is synchronous. */
typedef enum { OP_TASK, OP_FINISH, OP_BEGIN, OP_REOPEN } op_kind;

typedef struct op {
  struct op *next;
  op_kind kind;
  char *run_id, *task, *model, *status, *outputs, *error, *summary, *result;
  char *request, *plan, *workspace; /* OP_BEGIN */
  int task_id;
  long long ms;
  double ts;
} op;

struct baton__runstore {
  sqlite3 *db;
  pthread_mutex_t lock;   /* guards the queue, stop, busy and last_error */
  pthread_cond_t wake;    /* work queued, or stop */
  pthread_cond_t drained; /* the queue is empty and nothing is being written */
  op *head, *tail;
  bool stop, busy, started;
  int waiters;            /* threads in baton__runstore_flush */
  int queued;             /* writes queued since the writer last took them */
  char last_error[256];
  pthread_t writer;
  sqlite3_stmt *st_task, *st_finish, *st_begin, *st_reopen;
};

/* Schema steps: migrations[v] takes a database from version v to v+1. */
static const char *const migrations[] = {
    "CREATE TABLE runs("
    "  id TEXT PRIMARY KEY,"
    "  created REAL NOT NULL,"
    "  updated REAL NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  request TEXT,"
    "  plan TEXT NOT NULL,"
    "  workspace TEXT NOT NULL,"
    "  summary TEXT,"
    "  result TEXT);"
    "CREATE INDEX runs_created ON runs(created);"
    "CREATE TABLE run_tasks("
    "  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  task_id INTEGER NOT NULL,"
    "  task TEXT NOT NULL,"
    "  model TEXT,"
    "  status TEXT NOT NULL,"
    "  outputs TEXT,"
    "  error TEXT,"
    "  ms INTEGER NOT NULL DEFAULT 0,"
    "  updated REAL NOT NULL,"
    "  PRIMARY KEY(run_id, task_id));",
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

static int db_fail(sqlite3 *db, char *err, size_t errlen, const char *what) {
  baton__fmt(err, errlen, "run history: %s: %s", what, db ? sqlite3_errmsg(db) : "no database");
  return -1;
}

static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int v = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    return db_fail(db, err, errlen, "reading the schema version");
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (v > (int)N_MIGRATIONS) {
    baton__fmt(err, errlen,
               "run history %s has schema version %d, newer than this baton knows (%d); "
               "upgrade baton",
               path, v, (int)N_MIGRATIONS);
    return -1;
  }
  for (; v < (int)N_MIGRATIONS; v++) {
    char pragma[64];
    baton__fmt(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
      return db_fail(db, err, errlen, "starting the migration");
    if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
      db_fail(db, err, errlen, "migrating the schema");
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
      return db_fail(db, err, errlen, "committing the migration");
  }
  return 0;
}

/* Marks runs whose process is gone as interrupted (and their unfinished
 * tasks too), so a crash never leaves a run that looks alive. */
static int mark_interrupted(sqlite3 *db, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT id, pid FROM runs WHERE status='running'", -1, &st, NULL) !=
      SQLITE_OK)
    return db_fail(db, err, errlen, "finding unfinished runs");
  char **dead = NULL;
  size_t n = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    pid_t pid = (pid_t)sqlite3_column_int64(st, 1);
    bool alive = pid == getpid() || (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM));
    if (alive)
      continue;
    char **nd = realloc(dead, (n + 1) * sizeof *nd);
    if (!nd)
      break;
    dead = nd;
    dead[n] = baton__strdup((const char *)sqlite3_column_text(st, 0));
    if (dead[n])
      n++;
  }
  sqlite3_finalize(st);
  int rc = 0;
  sqlite3_stmt *up = NULL, *upt = NULL;
  if (n && (sqlite3_prepare_v2(db, "UPDATE runs SET status='interrupted', updated=?2 WHERE id=?1",
                               -1, &up, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db,
                               "UPDATE run_tasks SET status='interrupted', updated=?2 "
                               "WHERE run_id=?1 AND status IN ('pending','running')",
                               -1, &upt, NULL) != SQLITE_OK))
    rc = db_fail(db, err, errlen, "marking interrupted runs");
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; rc == 0 && k < 2; k++) {
      sqlite3_stmt *s = k ? upt : up;
      sqlite3_bind_text(s, 1, dead[i], -1, SQLITE_STATIC);
      sqlite3_bind_double(s, 2, baton__wall_s());
      if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_fail(db, err, errlen, "marking interrupted runs");
      sqlite3_reset(s);
    }
    free(dead[i]);
  }
  sqlite3_finalize(up);
  sqlite3_finalize(upt);
  free(dead);
  return rc;
}

static void op_free(op *o) {
  free(o->run_id);
  free(o->task);
  free(o->model);
  free(o->status);
  free(o->outputs);
  free(o->error);
  free(o->summary);
  free(o->result);
  free(o->request);
  free(o->plan);
  free(o->workspace);
  free(o);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

/* Writes one queued operation; returns the SQLite result. */
static int apply_op(baton__runstore *rs, const op *o) {
  sqlite3_stmt *st = o->kind == OP_FINISH  ? rs->st_finish
                     : o->kind == OP_BEGIN ? rs->st_begin
                     : o->kind == OP_REOPEN ? rs->st_reopen
                                            : rs->st_task;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sqlite3_bind_text(st, 1, o->run_id, -1, SQLITE_STATIC);
  switch (o->kind) {
  case OP_FINISH:
    sqlite3_bind_text(st, 2, o->status, -1, SQLITE_STATIC);
    bind_opt(st, 3, o->summary);
    bind_opt(st, 4, o->result);
    sqlite3_bind_double(st, 5, o->ts);
    break;
  case OP_BEGIN:
    sqlite3_bind_double(st, 2, o->ts);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
    bind_opt(st, 4, o->request);
    sqlite3_bind_text(st, 5, o->plan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->workspace, -1, SQLITE_STATIC);
    break;
  case OP_REOPEN:
    sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
    sqlite3_bind_double(st, 3, o->ts);
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
    break;
  }
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc;
}

static void *writer_main(void *arg) {
  baton__runstore *rs = arg;
  pthread_mutex_lock(&rs->lock);
  for (;;) {
    while (!rs->head && !rs->stop)
      pthread_cond_wait(&rs->wake, &rs->lock);
    if (!rs->head && rs->stop)
      break;
    /* Let a burst of writes gather (up to 2 ms) unless someone waits for
     * them: one transaction for many writes is what keeps this cheap. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 2 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (!rs->stop && !rs->waiters && rs->queued < 64 &&
           pthread_cond_timedwait(&rs->wake, &rs->lock, &until) == 0) {
    }
    rs->queued = 0;
    op *batch = rs->head;
    rs->head = rs->tail = NULL;
    rs->busy = true;
    pthread_mutex_unlock(&rs->lock);
    char msg[256] = "";
    if (sqlite3_exec(rs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
      baton__fmt(msg, sizeof msg, "run history: %s", sqlite3_errmsg(rs->db));
    for (op *o = batch; o;) {
      if (!msg[0] && apply_op(rs, o) != SQLITE_DONE)
        baton__fmt(msg, sizeof msg, "run history: recording run %s: %s", o->run_id,
                   sqlite3_errmsg(rs->db));
      op *next = o->next;
      op_free(o);
      o = next;
    }
    if (!msg[0] && sqlite3_exec(rs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
      baton__fmt(msg, sizeof msg, "run history: %s", sqlite3_errmsg(rs->db));
    if (msg[0])
      sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&rs->lock);
    if (msg[0])
      memcpy(rs->last_error, msg, sizeof msg);
    rs->busy = false;
    if (!rs->head)
      pthread_cond_broadcast(&rs->drained);
  }
  rs->busy = false;
  pthread_cond_broadcast(&rs->drained);
  pthread_mutex_unlock(&rs->lock);
  return NULL;
}

static int enqueue(baton__runstore *rs, op *o, char *err, size_t errlen) {
  o->ts = baton__wall_s();
  pthread_mutex_lock(&rs->lock);
  if (rs->tail)
    rs->tail->next = o;
  else
    rs->head = o;
  rs->tail = o;
  rs->queued++;
  pthread_cond_signal(&rs->wake);
  pthread_mutex_unlock(&rs->lock);
  (void)err;
  (void)errlen;
  return 0;
}

int baton__runstore_flush(baton__runstore *rs, char *err, size_t errlen) {
  pthread_mutex_lock(&rs->lock);
  rs->waiters++;
  pthread_cond_signal(&rs->wake); /* no more gathering: someone waits */
  while (rs->head || rs->busy)
    pthread_cond_wait(&rs->drained, &rs->lock);
  rs->waiters--;
  int rc = 0;
  if (rs->last_error[0]) {
    baton__fmt(err, errlen, "%s", rs->last_error);
    rs->last_error[0] = '\0';
    rc = -1;
  }
  pthread_mutex_unlock(&rs->lock);
  return rc;
}

/* A new operation whose string fields (given by their offsets in `op`) take
 * copies of src (NULL stays NULL). NULL when out of memory. */
static op *op_new(op_kind kind, const char *const *src, const size_t *fields, size_t n) {
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

int baton__runstore_task(baton__runstore *rs, const char *run_id, int task_id, const char *task,
                         const char *model, const char *status, const char *outputs_json,
                         const char *error, long long ms, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id), offsetof(op, task), offsetof(op, model),
                                  offsetof(op, status), offsetof(op, outputs),
                                  offsetof(op, error)};
  const char *src[] = {run_id, task, model, status, outputs_json, error};
  op *o = op_new(OP_TASK, src, fields, 6);
  if (!o)
    return out_of_memory(err, errlen);
  o->task_id = task_id;
  o->ms = ms;
  return enqueue(rs, o, err, errlen);
}

int baton__runstore_finish(baton__runstore *rs, const char *run_id, const char *status,
                           const char *summary, const char *result_json, char *err,
                           size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id), offsetof(op, status),
                                  offsetof(op, summary), offsetof(op, result)};
  const char *src[] = {run_id, status, summary, result_json};
  op *o = op_new(OP_FINISH, src, fields, 4);
  if (!o)
    return out_of_memory(err, errlen);
  enqueue(rs, o, err, errlen);
  /* The end of a run is durable before the caller hears of it. */
  return baton__runstore_flush(rs, err, errlen);
}

int baton__runstore_open(const char *path, baton__runstore **out, char *err, size_t errlen) {
  *out = NULL;
  baton__runstore *rs = calloc(1, sizeof *rs);
  if (!rs) {
    baton__fmt(err, errlen, "out of memory");
    return -1;
  }
  if (sqlite3_open_v2(path, &rs->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      NULL) != SQLITE_OK) {
    baton__fmt(err, errlen, "cannot open the run history %s: %s", path,
               rs->db ? sqlite3_errmsg(rs->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(rs->db, 5000);
  if (sqlite3_exec(rs->db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                   NULL, NULL, NULL) != SQLITE_OK) {
    db_fail(rs->db, err, errlen, path);
    goto fail;
  }
  if (migrate(rs->db, path, err, errlen) != 0 || mark_interrupted(rs->db, err, errlen) != 0)
    goto fail;
  if (sqlite3_prepare_v3(rs->db,
                         "INSERT INTO run_tasks(run_id, task_id, task, model, status, outputs, "
                         "error, ms, updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
                         "ON CONFLICT(run_id, task_id) DO UPDATE SET model=excluded.model, "
                         "status=excluded.status, outputs=excluded.outputs, error=excluded.error, "
                         "ms=excluded.ms, updated=excluded.updated",
                         -1, SQLITE_PREPARE_PERSISTENT, &rs->st_task, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db,
                         "UPDATE runs SET status=?2, summary=?3, result=?4, updated=?5 WHERE id=?1",
                         -1, SQLITE_PREPARE_PERSISTENT, &rs->st_finish, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db,
                         "INSERT INTO runs(id, created, updated, pid, status, request, plan, "
                         "workspace) VALUES(?1, ?2, ?2, ?3, 'running', ?4, ?5, ?6)",
                         -1, SQLITE_PREPARE_PERSISTENT, &rs->st_begin, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(rs->db,
                         "UPDATE runs SET status='running', pid=?2, updated=?3, summary=NULL, "
                         "result=NULL WHERE id=?1",
                         -1, SQLITE_PREPARE_PERSISTENT, &rs->st_reopen, NULL) != SQLITE_OK) {
    db_fail(rs->db, err, errlen, "preparing statements");
    goto fail;
  }
  pthread_mutex_init(&rs->lock, NULL);
  pthread_cond_init(&rs->wake, NULL);
  pthread_cond_init(&rs->drained, NULL);
  if (baton__thread_start(&rs->writer, writer_main, rs) != 0) {
    baton__fmt(err, errlen, "run history: cannot start its writer thread");
    pthread_mutex_destroy(&rs->lock);
    pthread_cond_destroy(&rs->wake);
    pthread_cond_destroy(&rs->drained);
    goto fail;
  }
  rs->started = true;
  *out = rs;
  return 0;
fail:
  sqlite3_finalize(rs->st_task);
  sqlite3_finalize(rs->st_finish);
  sqlite3_finalize(rs->st_begin);
  sqlite3_finalize(rs->st_reopen);
  sqlite3_close(rs->db);
  free(rs);
  return -1;
}

void baton__runstore_close(baton__runstore *rs) {
  if (!rs)
    return;
  if (rs->started) {
    pthread_mutex_lock(&rs->lock);
    rs->stop = true;
    pthread_cond_signal(&rs->wake);
    pthread_mutex_unlock(&rs->lock);
    pthread_join(rs->writer, NULL); /* it drains the queue first */
    pthread_mutex_destroy(&rs->lock);
    pthread_cond_destroy(&rs->wake);
    pthread_cond_destroy(&rs->drained);
  }
  sqlite3_finalize(rs->st_task);
  sqlite3_finalize(rs->st_finish);
  sqlite3_finalize(rs->st_begin);
  sqlite3_finalize(rs->st_reopen);
  sqlite3_close(rs->db);
  free(rs);
}


int baton__runstore_begin(baton__runstore *rs, const char *id, const char *request,
                          const char *plan_json, const char *workspace, char *err,
                          size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id), offsetof(op, request), offsetof(op, plan),
                                  offsetof(op, workspace)};
  const char *src[] = {id, request, plan_json, workspace};
  op *o = op_new(OP_BEGIN, src, fields, 4);
  return o ? enqueue(rs, o, err, errlen) : out_of_memory(err, errlen);
}

static const char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : NULL;
}

static void add_text_or_null(cJSON *o, const char *key, const char *v) {
  if (v)
    cJSON_AddStringToObject(o, key, v);
  else
    cJSON_AddNullToObject(o, key);
}

cJSON *baton__runstore_list(baton__runstore *rs, int limit, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  char ferr[256];
  baton__runstore_flush(rs, ferr, sizeof ferr); /* our own writes first */
  if (sqlite3_prepare_v2(rs->db,
                         "SELECT r.id, r.status, r.request, r.created, r.updated, "
                         "(SELECT count(*) FROM run_tasks t WHERE t.run_id=r.id) "
                         "FROM runs r ORDER BY r.created DESC, r.id DESC LIMIT ?1",
                         -1, &st, NULL) != SQLITE_OK) {
    db_fail(rs->db, err, errlen, "listing runs");
    return NULL;
  }
  sqlite3_bind_int(st, 1, limit > 0 ? limit : 50);
  cJSON *arr = cJSON_CreateArray();
  while (arr && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    if (!o)
      break;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "run_id", col_text(st, 0));
    cJSON_AddStringToObject(o, "status", col_text(st, 1));
    add_text_or_null(o, "request", col_text(st, 2));
    cJSON_AddNumberToObject(o, "created", sqlite3_column_double(st, 3));
    cJSON_AddNumberToObject(o, "updated", sqlite3_column_double(st, 4));
    cJSON_AddNumberToObject(o, "tasks", sqlite3_column_int(st, 5));
  }
  sqlite3_finalize(st);
  if (!arr)
    baton__fmt(err, errlen, "out of memory");
  return arr;
}

cJSON *baton__runstore_get(baton__runstore *rs, const char *id, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  char ferr[256];
  baton__runstore_flush(rs, ferr, sizeof ferr); /* our own writes first */
  if (sqlite3_prepare_v2(rs->db,
                         "SELECT status, request, plan, workspace, summary, result FROM runs "
                         "WHERE id=?1",
                         -1, &st, NULL) != SQLITE_OK) {
    db_fail(rs->db, err, errlen, "reading the run");
    return NULL;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    baton__fmt(err, errlen, "no run '%s' (see `baton runs list`)", id);
    return NULL;
  }
  const char *result = col_text(st, 5);
  cJSON *o = result ? cJSON_Parse(result) : NULL;
  if (o) {
    /* The stored result carries the final status, unless it was interrupted later. */
    cJSON_ReplaceItemInObjectCaseSensitive(o, "status", cJSON_CreateString(col_text(st, 0)));
    sqlite3_finalize(st);
    return o;
  }
  o = cJSON_CreateObject();
  if (!o) {
    sqlite3_finalize(st);
    baton__fmt(err, errlen, "out of memory");
    return NULL;
  }
  cJSON_AddStringToObject(o, "run_id", id);
  cJSON_AddStringToObject(o, "status", col_text(st, 0));
  add_text_or_null(o, "request", col_text(st, 1));
  cJSON *plan = cJSON_Parse(col_text(st, 2));
  cJSON_AddItemToObject(o, "plan", plan ? plan : cJSON_CreateArray());
  cJSON_AddStringToObject(o, "workspace", col_text(st, 3));
  add_text_or_null(o, "summary", col_text(st, 4));
  sqlite3_finalize(st);
  /* Every task of the plan, in plan order: its recorded state, or pending. */
  cJSON *rows = cJSON_CreateArray();
  if (sqlite3_prepare_v2(rs->db,
                         "SELECT task_id, task, model, status, outputs, error, ms FROM run_tasks "
                         "WHERE run_id=?1 ORDER BY task_id",
                         -1, &st, NULL) != SQLITE_OK) {
    cJSON_Delete(rows);
    cJSON_Delete(o);
    db_fail(rs->db, err, errlen, "reading the run's tasks");
    return NULL;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  while (rows && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *t = cJSON_CreateObject();
    if (!t)
      break;
    cJSON_AddItemToArray(rows, t);
    cJSON_AddNumberToObject(t, "id", sqlite3_column_int(st, 0));
    cJSON_AddStringToObject(t, "task", col_text(st, 1));
    add_text_or_null(t, "model", col_text(st, 2));
    cJSON_AddStringToObject(t, "status", col_text(st, 3));
    cJSON *outs = col_text(st, 4) ? cJSON_Parse(col_text(st, 4)) : NULL;
    cJSON_AddItemToObject(t, "outputs", outs ? outs : cJSON_CreateObject());
    add_text_or_null(t, "error", col_text(st, 5));
    cJSON_AddNumberToObject(t, "ms", (double)sqlite3_column_int64(st, 6));
  }
  sqlite3_finalize(st);
  cJSON *tasks = cJSON_AddArrayToObject(o, "tasks");
  const cJSON *pt;
  cJSON_ArrayForEach(pt, cJSON_GetObjectItemCaseSensitive(o, "plan")) {
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(pt, "id");
    const cJSON *ptask = cJSON_GetObjectItemCaseSensitive(pt, "task");
    if (!cJSON_IsNumber(pid))
      continue;
    cJSON *found = NULL, *r;
    cJSON_ArrayForEach(r, rows) {
      if (cJSON_GetObjectItemCaseSensitive(r, "id")->valueint == pid->valueint) {
        found = r;
        break;
      }
    }
    if (found) {
      cJSON_AddItemToArray(tasks, cJSON_DetachItemViaPointer(rows, found));
      continue;
    }
    cJSON *t = cJSON_CreateObject();
    if (!t)
      break;
    cJSON_AddItemToArray(tasks, t);
    cJSON_AddNumberToObject(t, "id", pid->valueint);
    cJSON_AddStringToObject(t, "task", cJSON_IsString(ptask) ? ptask->valuestring : "");
    cJSON_AddNullToObject(t, "model");
    cJSON_AddStringToObject(t, "status", "pending");
    cJSON_AddItemToObject(t, "outputs", cJSON_CreateObject());
    cJSON_AddNullToObject(t, "error");
    cJSON_AddNumberToObject(t, "ms", 0);
  }
  /* Rows the plan does not name (it should name them all) are kept too. */
  while (cJSON_GetArraySize(rows) > 0)
    cJSON_AddItemToArray(tasks, cJSON_DetachItemFromArray(rows, 0));
  cJSON_Delete(rows);
  return o;
}

int baton__runstore_reopen(baton__runstore *rs, const char *run_id, char *err, size_t errlen) {
  static const size_t fields[] = {offsetof(op, run_id)};
  op *o = op_new(OP_REOPEN, &run_id, fields, 1);
  return o ? enqueue(rs, o, err, errlen) : out_of_memory(err, errlen);
}

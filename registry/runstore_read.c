/* runstore_read.c — the run history read back: the list of runs, and one run with its tasks in plan order. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/runstore_int.h"
#include "core/banned.h"

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

/* The status to show of run id: a run stored as running whose owner no
 * longer holds its lock was interrupted (its process died since), and so
 * was one of this process whose end could not be stored. */
static const char *status_of(baton__runstore *rs, const char *id, const char *status,
                             const char *owner) {
  if (status && strcmp(status, "running") == 0 &&
      (!baton__runlock_alive(&rs->owner, owner) || (id && baton__rs_ended_has(rs, id))))
    return "interrupted";
  return status ? status : "unknown";
}

/* "files_pruned": true when the run's folder was removed or is being removed (column i: when,
 * minus when while being removed, 0 when it had none). */
static void add_pruned(cJSON *o, sqlite3_stmt *st, int i) {
  cJSON_DeleteItemFromObjectCaseSensitive(o, "files_pruned");
  if (sqlite3_column_type(st, i) != SQLITE_NULL && sqlite3_column_double(st, i) != 0)
    cJSON_AddTrueToObject(o, "files_pruned");
}

/* "uid": who the run belongs to (null for runs stored before it was kept). */
static void add_uid(cJSON *o, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    cJSON_AddNullToObject(o, "uid");
  else
    cJSON_AddNumberToObject(o, "uid", (double)sqlite3_column_int64(st, i));
}

/* A prepared read of the history, or NULL with err ("... WHAT: SQLite's
 * message"). With `ours_first`, this process's queued writes are committed
 * before (it reads what it wrote). */
static sqlite3_stmt *read_stmt(baton__runstore *rs, bool ours_first, const char *sql,
                               const char *what, char *err, size_t errlen) {
  char ferr[256];
  if (ours_first)
    baton__runstore_flush(rs, ferr, sizeof ferr);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(rs->db, sql, -1, &st, NULL) == SQLITE_OK)
    return st;
  baton__runstore_db_fail(rs, err, errlen, what);
  return NULL;
}

/* Every row st gives, as JSON (made by row), in an array; st is
 * finalized. NULL with err ("... WHAT: ..." or out of memory). */
static cJSON *read_rows(baton__runstore *rs, sqlite3_stmt *st,
                        cJSON *(*row)(baton__runstore *, sqlite3_stmt *), const char *what,
                        char *err, size_t errlen) {
  cJSON *arr = cJSON_CreateArray();
  int s = arr ? SQLITE_DONE : SQLITE_NOMEM;
  while (arr && (s = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = row(rs, st);
    if (!o) {
      s = SQLITE_NOMEM;
      break;
    }
    cJSON_AddItemToArray(arr, o);
  }
  if (s != SQLITE_DONE) {
    if (s == SQLITE_NOMEM)
      baton__fmt(err, errlen, "out of memory");
    else
      baton__runstore_db_fail(rs, err, errlen, what);
    cJSON_Delete(arr);
    arr = NULL;
  }
  sqlite3_finalize(st);
  return arr;
}

/* One run of the list (columns of baton__runstore_list_of's SELECT). */
static cJSON *list_row(baton__runstore *rs, sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "run_id", col_text(st, 0));
  cJSON_AddStringToObject(o, "status",
                          status_of(rs, col_text(st, 0), col_text(st, 1), col_text(st, 6)));
  add_text_or_null(o, "request", col_text(st, 2));
  cJSON_AddNumberToObject(o, "created", sqlite3_column_double(st, 3));
  cJSON_AddNumberToObject(o, "updated", sqlite3_column_double(st, 4));
  cJSON_AddNumberToObject(o, "tasks", sqlite3_column_int(st, 5));
  add_uid(o, st, 7);
  add_pruned(o, st, 8);
  return o;
}

cJSON *baton__runstore_list(baton__runstore *rs, int limit, char *err, size_t errlen) {
  return baton__runstore_list_of(rs, -1, limit, err, errlen);
}

cJSON *baton__runstore_list_of(baton__runstore *rs, long long uid, int limit, char *err,
                               size_t errlen) {
  sqlite3_stmt *st = read_stmt(rs, true,
                               "SELECT r.id, r.status, r.request, r.created, r.updated, "
                               "(SELECT count(*) FROM run_tasks t WHERE t.run_id=r.id), r.owner, "
                               "r.uid, r.pruned FROM runs r WHERE ?2 < 0 OR r.uid = ?2 "
                               "ORDER BY r.created DESC, r.id DESC LIMIT ?1",
                               "listing runs", err, errlen);
  if (!st)
    return NULL;
  sqlite3_bind_int(st, 1, limit > 0 ? limit : 50);
  sqlite3_bind_int64(st, 2, uid);
  return read_rows(rs, st, list_row, "listing runs", err, errlen);
}

/* One stored task row as JSON (columns of task_rows' SELECT). */
static cJSON *task_row(baton__runstore *rs, sqlite3_stmt *st) {
  (void)rs;
  cJSON *t = cJSON_CreateObject();
  if (!t)
    return NULL;
  cJSON_AddNumberToObject(t, "id", sqlite3_column_int(st, 0));
  cJSON_AddStringToObject(t, "task", col_text(st, 1));
  add_text_or_null(t, "model", col_text(st, 2));
  cJSON_AddStringToObject(t, "status", col_text(st, 3));
  if (col_text(st, 8))
    cJSON_AddStringToObject(t, "endpoint", col_text(st, 8));
  cJSON *outs = col_text(st, 4) ? cJSON_Parse(col_text(st, 4)) : NULL;
  cJSON_AddItemToObject(t, "outputs", outs ? outs : cJSON_CreateObject());
  add_text_or_null(t, "error", col_text(st, 5));
  cJSON_AddNumberToObject(t, "ms", (double)sqlite3_column_int64(st, 6));
  if (col_text(st, 7))
    cJSON_AddStringToObject(t, "worker", col_text(st, 7));
  return t;
}

/* The recorded tasks of run id, by task id; NULL with err on failure. */
static cJSON *task_rows(baton__runstore *rs, const char *id, char *err, size_t errlen) {
  const char *what = "reading the run's tasks";
  sqlite3_stmt *st = read_stmt(rs, false,
                               "SELECT task_id, task, model, status, outputs, error, ms, worker, "
                               "endpoint FROM run_tasks WHERE run_id=?1 ORDER BY task_id",
                               what, err, errlen);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  return read_rows(rs, st, task_row, what, err, errlen);
}

/* A task of the plan that has no row yet: pending. */
static cJSON *pending_task(int id, const cJSON *ptask) {
  cJSON *t = cJSON_CreateObject();
  if (!t)
    return NULL;
  cJSON_AddNumberToObject(t, "id", id);
  cJSON_AddStringToObject(t, "task", cJSON_IsString(ptask) ? ptask->valuestring : "");
  cJSON_AddNullToObject(t, "model");
  cJSON_AddStringToObject(t, "status", "pending");
  cJSON_AddItemToObject(t, "outputs", cJSON_CreateObject());
  cJSON_AddNullToObject(t, "error");
  cJSON_AddNumberToObject(t, "ms", 0);
  return t;
}

static int row_id(const cJSON *row) {
  return cJSON_GetObjectItemCaseSensitive(row, "id")->valueint;
}

/* The place of task id's row among rows[0..n) (sorted by id), or -1 when
 * there is none or it was taken already. */
static long find_row(cJSON *const *rows, const unsigned char *taken, size_t n, int id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (row_id(rows[mid]) < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && !taken[lo] && row_id(rows[lo]) == id ? (long)lo : -1;
}

/* A run's "tasks": every task of its plan, in plan order, as recorded in
 * rows (sorted by task id, as task_rows reads them) or else pending; then
 * any row the plan does not name (it should name them all). Each task is
 * found by binary search: n log n however the plan orders its ids.
 * Consumes rows; NULL when out of memory. */
static cJSON *order_tasks(const cJSON *plan, cJSON *rows) {
  size_t n = (size_t)cJSON_GetArraySize(rows), k = 0;
  cJSON **by_id = malloc((n ? n : 1) * sizeof *by_id);
  unsigned char *taken = calloc(n ? n : 1, 1);
  cJSON *tasks = cJSON_CreateArray();
  if (!by_id || !taken || !tasks) {
    free(by_id);
    free(taken);
    cJSON_Delete(tasks);
    cJSON_Delete(rows);
    return NULL;
  }
  while (rows->child)
    by_id[k++] = cJSON_DetachItemViaPointer(rows, rows->child);
  cJSON_Delete(rows);
  const cJSON *pt;
  cJSON_ArrayForEach(pt, plan) {
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(pt, "id");
    if (!cJSON_IsNumber(pid))
      continue;
    long at = find_row(by_id, taken, n, pid->valueint);
    if (at >= 0)
      taken[at] = 1;
    cJSON *t = at >= 0 ? by_id[at]
                       : pending_task(pid->valueint, cJSON_GetObjectItemCaseSensitive(pt, "task"));
    if (t)
      cJSON_AddItemToArray(tasks, t);
  }
  for (size_t i = 0; i < n; i++)
    if (!taken[i])
      cJSON_AddItemToArray(tasks, by_id[i]);
  free(by_id);
  free(taken);
  return tasks;
}

/* Puts item into object o under key, just before the member named `before`
 * (at the end when o has none): it goes last, then `before` and the members
 * after it move behind it. */
static void add_before(cJSON *o, const char *key, cJSON *item, const char *before) {
  cJSON *from = cJSON_GetObjectItemCaseSensitive(o, before);
  if (!cJSON_AddItemToObject(o, key, item))
    cJSON_Delete(item);
  while (from && from != item) {
    cJSON *next = from->next;
    cJSON_AddItemToArray(o, cJSON_DetachItemViaPointer(o, from));
    from = next;
  }
}

void baton__runstore_result_put(cJSON *result, cJSON *plan, cJSON *tasks) {
  add_before(result, "plan", plan, "summary");
  add_before(result, "tasks", tasks, "summary");
}

/* Gives run o (the result or its reconstruction) its stored plan (the JSON
 * text plan_text) and its tasks from the task rows. 0, or -1 with err. */
static int add_plan_and_tasks(baton__runstore *rs, cJSON *o, const char *id,
                              const char *plan_text, char *err, size_t errlen) {
  cJSON *plan = plan_text ? cJSON_Parse(plan_text) : NULL;
  if (!plan)
    plan = cJSON_CreateArray();
  cJSON *rows = task_rows(rs, id, err, errlen);
  cJSON *tasks = rows ? order_tasks(plan, rows) : NULL;
  if (!tasks) {
    if (rows)
      baton__fmt(err, errlen, "out of memory");
    cJSON_Delete(plan);
    return -1;
  }
  baton__runstore_result_put(o, plan, tasks);
  return 0;
}

/* What is stored of run id in the runs table (the columns of
 * baton__runstore_get's SELECT) as a run: its result as stored, else one
 * built from the columns. NULL when out of memory. */
static cJSON *run_object(baton__runstore *rs, sqlite3_stmt *st, const char *id) {
  const char *status = status_of(rs, id, col_text(st, 0), col_text(st, 6));
  cJSON *o = col_text(st, 5) ? cJSON_Parse(col_text(st, 5)) : NULL;
  if (o) {
    /* The stored result carries the final status, unless it was interrupted later. */
    cJSON *said = cJSON_CreateString(status);
    if (said && !cJSON_ReplaceItemInObjectCaseSensitive(o, "status", said))
      cJSON_AddItemToObject(o, "status", said); /* a result with none */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "uid");
    add_uid(o, st, 7);
    add_pruned(o, st, 8);
    return o;
  }
  o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "run_id", id);
  cJSON_AddStringToObject(o, "status", status);
  add_text_or_null(o, "request", col_text(st, 1));
  cJSON_AddStringToObject(o, "workspace", col_text(st, 3));
  add_text_or_null(o, "summary", col_text(st, 4));
  add_uid(o, st, 7);
  add_pruned(o, st, 8);
  return o;
}

cJSON *baton__runstore_get(baton__runstore *rs, const char *id, char *err, size_t errlen) {
  sqlite3_stmt *st = read_stmt(rs, true,
                               "SELECT r.status, r.request, coalesce((SELECT p.plan FROM "
                               "run_plans p WHERE p.run_id=r.id), r.plan), r.workspace, "
                               "r.summary, r.result, r.owner, r.uid, r.pruned FROM runs r "
                               "WHERE r.id=?1",
                               "reading the run", err, errlen);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int s = sqlite3_step(st);
  cJSON *o = s == SQLITE_ROW ? run_object(rs, st, id) : NULL;
  if (s == SQLITE_DONE)
    baton__fmt(err, errlen, "no run '%s' (see `baton runs list`)", id);
  else if (s != SQLITE_ROW)
    baton__runstore_db_fail(rs, err, errlen, "reading the run");
  else if (!o)
    baton__fmt(err, errlen, "out of memory");
  /* A result stored before results left their tasks to the task rows
   * has them already. */
  if (o && !cJSON_GetObjectItemCaseSensitive(o, "tasks") &&
      add_plan_and_tasks(rs, o, id, col_text(st, 2), err, errlen) != 0) {
    cJSON_Delete(o);
    o = NULL;
  }
  sqlite3_finalize(st);
  return o;
}

int baton__runstore_chat_history(baton__runstore *rs, const char *id, char **chat_json,
                                 char *err, size_t errlen) {
  *chat_json = NULL;
  const char *what = "reading the run's conversation";
  sqlite3_stmt *st =
      read_stmt(rs, true, "SELECT chat_history FROM runs WHERE id=?1", what, err, errlen);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int s = sqlite3_step(st), rc = 0;
  if (s == SQLITE_ROW && col_text(st, 0) && !(*chat_json = baton__strdup(col_text(st, 0))))
    rc = -1, baton__fmt(err, errlen, "out of memory");
  else if (s == SQLITE_DONE)
    rc = -1, baton__fmt(err, errlen, "no run '%s' (see `baton runs list`)", id);
  else if (s != SQLITE_ROW)
    rc = baton__runstore_db_fail(rs, err, errlen, what);
  sqlite3_finalize(st);
  return rc;
}

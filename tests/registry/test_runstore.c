/* test_runstore.c — the run history: runs and task states survive, dead runs become interrupted. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry/runstore.h"
#include "registry/runstore_int.h"
#include "support/support.h"

static char *db_path(const char *dir) {
  size_t n = strlen(dir) + 16;
  char *p = malloc(n);
  snprintf(p, n, "%s/runs.db", dir);
  return p;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

Test(registry_runstore, a_finished_run_reads_back_as_stored) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_begin(rs, "r1", "say hello", "[]", "/tmp/ws", err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_task(rs, "r1", 0, "text-to-speech", "local/espeak-ng", NULL, "done",
                                    "{\"audio\":\"/tmp/ws/task0.wav\"}", NULL, 12, err, sizeof err), 0);
  cr_assert_eq(baton__runstore_finish(rs, "r1", "done", "Done.",
                                      "{\"run_id\":\"r1\",\"status\":\"done\",\"summary\":\"Done.\"}", err,
                                      sizeof err), 0);
  baton__runstore_close(rs);
  /* Reopen: the history is durable. */
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cJSON *list = baton__runstore_list(rs, 10, err, sizeof err);
  cr_assert_eq(cJSON_GetArraySize(list), 1);
  cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "status"), "done");
  cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "request"), "say hello");
  cJSON *run = baton__runstore_get(rs, "r1", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  cr_assert_str_eq(str(run, "summary"), "Done.");
  cJSON_Delete(run);
  cJSON_Delete(list);
  cr_assert_null(baton__runstore_get(rs, "nope", err, sizeof err));
  cr_assert(strstr(err, "no run 'nope'"), "%s", err);
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

/* A run accepted (committed at once, no plan) then begun takes its own row, with the plan; a
 * second start of an id already begun is refused, never taking that run's row; a run accepted
 * that never began is forgotten, and forgetting a begun one leaves it. */
Test(registry_runstore, an_accepted_run_is_taken_by_its_start_and_no_other_row_is) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_accept(rs, "a1", 7, "say hi", "/tmp/ws", err, sizeof err), 0, "%s",
               err);
  cJSON *run = baton__runstore_get(rs, "a1", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  cr_expect_str_eq(str(run, "status"), "running");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(run, "plan")), 0);
  cJSON_Delete(run);
  const char *plan = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{}}]";
  cr_assert_eq(baton__runstore_begin_as(rs, "a1", 7, "say hi", plan, "/tmp/ws", NULL, err,
                                        sizeof err), 0);
  cr_assert_eq(baton__runstore_flush_run(rs, "a1", err, sizeof err), 0, "%s", err);
  run = baton__runstore_get(rs, "a1", err, sizeof err);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(run, "plan")), 1);
  cJSON_Delete(run);
  cr_assert_eq(baton__runstore_begin_as(rs, "a1", 7, "other", "[]", "/tmp/ws2", NULL, err,
                                        sizeof err), 0);
  cr_expect_eq(baton__runstore_flush_run(rs, "a1", err, sizeof err), -1);
  cr_expect(strstr(err, "already stored"), "%s", err);
  cr_assert_eq(baton__runstore_forget(rs, "a1", err, sizeof err), 0);
  cr_assert_eq(baton__runstore_accept(rs, "a2", 7, NULL, "/tmp/ws3", err, sizeof err), 0);
  cr_assert_eq(baton__runstore_forget(rs, "a2", err, sizeof err), 0);
  cJSON *list = baton__runstore_list(rs, 10, err, sizeof err);
  cr_assert_eq(cJSON_GetArraySize(list), 1, "only the begun run stays");
  cr_expect_str_eq(str(cJSON_GetArrayItem(list, 0), "run_id"), "a1");
  cr_expect_str_eq(str(cJSON_GetArrayItem(list, 0), "request"), "say hi");
  cJSON_Delete(list);
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

/* The key of member i of object o ("" past its end). */
static const char *key_at(const cJSON *o, int i) {
  const cJSON *c = cJSON_GetArrayItem(o, i);
  return c && c->string ? c->string : "";
}

Test(registry_runstore, a_finished_runs_plan_and_tasks_come_back_from_their_rows_in_plan_order) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  const char *plan = "[{\"task\":\"c\",\"id\":3},{\"task\":\"a\",\"id\":1},"
                     "{\"task\":\"b\",\"id\":2},{\"task\":\"z\",\"id\":0}]";
  cr_assert_eq(baton__runstore_begin(rs, "r1", "abc", plan, "/tmp/ws", err, sizeof err), 0);
  for (int id = 0; id < 4; id++)
    if (id != 2)
      cr_assert_eq(baton__runstore_task(rs, "r1", id, "t", "m", NULL, "done", "{\"text\":\"x\"}",
                                        NULL, id, err, sizeof err), 0);
  /* The result as a run stores it: no plan, no tasks. */
  cr_assert_eq(baton__runstore_finish(rs, "r1", "done", "S",
                                      "{\"run_id\":\"r1\",\"status\":\"done\",\"summary\":\"S\","
                                      "\"workspace\":\"/tmp/ws\"}",
                                      err, sizeof err), 0, "%s", err);
  cJSON *run = baton__runstore_get(rs, "r1", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(run, "plan")), 4);
  const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(run, "tasks");
  cr_assert_eq(cJSON_GetArraySize(tasks), 4, "every task of the plan");
  const int order[] = {3, 1, 2, 0};
  for (int i = 0; i < 4; i++)
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tasks, i), "id")->valueint,
                 order[i], "plan order at %d", i);
  cr_assert_str_eq(str(cJSON_GetArrayItem(tasks, 0), "status"), "done");
  cr_assert_str_eq(str(cJSON_GetArrayItem(tasks, 2), "status"), "pending", "no row: pending");
  cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tasks, 3), "outputs"),
                       "text"), "x");
  /* Where a run's result has them: after the status, before the summary. */
  cr_assert_str_eq(key_at(run, 2), "plan");
  cr_assert_str_eq(key_at(run, 3), "tasks");
  cr_assert_str_eq(key_at(run, 4), "summary");
  cr_assert_str_eq(str(run, "workspace"), "/tmp/ws");
  cJSON_Delete(run);
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(registry_runstore, a_plan_in_reverse_id_order_reads_back_whole) {
  enum { N = 5000 };
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  size_t cap = (size_t)N * 40 + 8, len = 0;
  char *plan = malloc(cap);
  len += (size_t)snprintf(plan, cap, "[");
  for (int i = 0; i < N; i++)
    len += (size_t)snprintf(plan + len, cap - len, "%s{\"task\":\"t\",\"id\":%d}", i ? "," : "",
                            N - 1 - i);
  snprintf(plan + len, cap - len, "]");
  cr_assert_eq(baton__runstore_begin(rs, "big", NULL, plan, "/tmp/ws", err, sizeof err), 0);
  for (int id = 0; id < N; id += 2) /* odd ids never ran */
    cr_assert_eq(baton__runstore_task(rs, "big", id, "t", NULL, NULL, "done", NULL, NULL, 0, err,
                                      sizeof err), 0);
  cJSON *run = baton__runstore_get(rs, "big", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(run, "tasks");
  cr_assert_eq(cJSON_GetArraySize(tasks), N);
  int i = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, tasks) {
    int id = cJSON_GetObjectItemCaseSensitive(t, "id")->valueint;
    cr_assert_eq(id, N - 1 - i, "plan order at %d", i);
    cr_assert_str_eq(str(t, "status"), id % 2 ? "pending" : "done", "task %d", id);
    i++;
  }
  cJSON_Delete(run);
  free(plan);
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(registry_runstore, a_tasks_states_queued_together_store_its_last_one_per_run) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  const char *plan = "[{\"task\":\"t\",\"id\":0},{\"task\":\"t\",\"id\":1}]";
  cr_assert_eq(baton__runstore_begin(rs, "a", NULL, plan, "/tmp/ws", err, sizeof err), 0);
  cr_assert_eq(baton__runstore_begin(rs, "b", NULL, plan, "/tmp/ws", err, sizeof err), 0);
  /* Many states in a burst (queued faster than they are written): each
   * run's task 0 ends done in a, still running in b, task 1 failed in a. */
  for (int k = 0; k < 200; k++) {
    char out[32];
    snprintf(out, sizeof out, "{\"text\":\"%d\"}", k);
    cr_assert_eq(baton__runstore_task_on(rs, "a", 0, "t", "m", NULL, "running", NULL, NULL, 0,
                                         "w1", err, sizeof err), 0);
    cr_assert_eq(baton__runstore_task(rs, "b", 0, "t", "m", NULL, "running", NULL, NULL, 0, err,
                                      sizeof err), 0);
    cr_assert_eq(baton__runstore_task(rs, "a", 0, "t", "m", "ep", "done", out, NULL, k, err,
                                      sizeof err), 0);
    cr_assert_eq(baton__runstore_task(rs, "a", 1, "t", "m", NULL, "failed", NULL, "boom", k, err,
                                      sizeof err), 0);
  }
  cJSON *a = baton__runstore_get(rs, "a", err, sizeof err);
  cJSON *b = baton__runstore_get(rs, "b", err, sizeof err);
  cr_assert(a && b, "%s", err);
  const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "tasks"), 0);
  const cJSON *a1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "tasks"), 1);
  const cJSON *b0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "tasks"), 0);
  cr_assert_str_eq(str(a0, "status"), "done");
  cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(a0, "outputs"), "text"), "199");
  cr_assert_str_eq(str(a0, "endpoint"), "ep");
  cr_assert_null(str(a0, "worker"), "the last state names no worker");
  cr_assert_eq(cJSON_GetObjectItemCaseSensitive(a0, "ms")->valueint, 199);
  cr_assert_str_eq(str(a1, "error"), "boom");
  cr_assert_str_eq(str(b0, "status"), "running", "another run's task of the same id is its own");
  cJSON_Delete(a);
  cJSON_Delete(b);
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(registry_runstore, a_run_whose_process_died_is_interrupted) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    baton__runstore *rs = NULL;
    char err[512];
    if (baton__runstore_open(path, &rs, err, sizeof err) != 0 ||
        baton__runstore_begin(rs, "r2", "long job",
                              "[{\"task\":\"summarization\",\"id\":0},"
                              "{\"task\":\"text-to-speech\",\"id\":1},"
                              "{\"task\":\"text-to-speech\",\"id\":2}]",
                              "/tmp/ws", err,
                              sizeof err) != 0 ||
        baton__runstore_task(rs, "r2", 0, "summarization", "Qwen2.5", "gpu1", "done",
                             "{\"text\":\"t\"}", NULL, 5, err, sizeof err) != 0 ||
        baton__runstore_task(rs, "r2", 1, "text-to-speech", NULL, NULL, "running", NULL, NULL, 0, err,
                             sizeof err) != 0 ||
        baton__runstore_flush(rs, err, sizeof err) != 0)
      _exit(3);
    raise(SIGKILL); /* dies mid-run, as a crash would */
  }
  int st;
  waitpid(pid, &st, 0);
  cr_assert(WIFSIGNALED(st), "the child should have been killed");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cJSON *run = baton__runstore_get(rs, "r2", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  cr_assert_str_eq(str(run, "status"), "interrupted");
  cJSON *tasks = cJSON_GetObjectItemCaseSensitive(run, "tasks");
  cr_assert_eq(cJSON_GetArraySize(tasks), 3, "every task of the plan is listed");
  cr_assert_str_eq(str(cJSON_GetArrayItem(tasks, 0), "status"), "done", "finished work is kept");
  cr_assert_str_eq(str(cJSON_GetArrayItem(tasks, 0), "endpoint"), "gpu1",
                   "the model server that answered is kept");
  cr_assert_null(str(cJSON_GetArrayItem(tasks, 1), "endpoint"), "no server answered it yet");
  cr_assert_str_eq(str(cJSON_GetArrayItem(tasks, 1), "status"), "interrupted");
  cr_assert_str_eq(str(cJSON_GetArrayItem(tasks, 2), "status"), "pending", "never started");
  cJSON_Delete(run);
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

static bool said_pruned(baton__runstore *rs, const char *id) {
  char err[512] = "";
  cJSON *run = baton__runstore_get(rs, id, err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  bool pruned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "files_pruned"));
  cJSON_Delete(run);
  return pruned;
}

/* Whether the writer has taken every queued write. */
static bool queue_taken(baton__runstore *rs) {
  pthread_mutex_lock(&rs->lock);
  bool taken = !rs->head && rs->busy;
  pthread_mutex_unlock(&rs->lock);
  return taken;
}

/* Whether the writer has taken every queued write and is inside its transaction. */
static bool writing_all(baton__runstore *rs) {
  return queue_taken(rs) && !sqlite3_get_autocommit(rs->db);
}

/* A prune's claim is committed on its own: a batch of the write queue that is rolled back
 * meanwhile (one of its writes fails) takes nothing of it, so the history never says a folder is
 * there after the prune removed it. */
Test(registry_runstore, a_claim_made_while_a_failing_batch_is_written_outlives_its_rollback) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_begin(rs, "old", "x", "[]", "/tmp/ws", err, sizeof err), 0);
  cr_assert_eq(baton__runstore_finish(rs, "old", "done", "Done.", "{}", err, sizeof err), 0,
               "%s", err);
  /* Another connection holds the write lock: the writer waits with its first batch while the
   * long one that fails at its end (a run never stored is reopened) is queued whole. */
  sqlite3 *other = NULL;
  cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  cr_assert_eq(baton__runstore_begin(rs, "new", "y", "[]", "/tmp/ws", err, sizeof err), 0);
  for (int i = 0; i < 100 && !queue_taken(rs); i++)
    usleep(10 * 1000);
  for (int i = 0; i < 4000; i++)
    cr_assert_eq(baton__runstore_task(rs, "new", i, "summarization", "m", NULL, "done", NULL,
                                      NULL, 1, err, sizeof err), 0);
  cr_assert_eq(baton__runstore_reopen(rs, "never-stored", err, sizeof err), 0);
  cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(other);
  bool seen = false;
  for (int i = 0; i < 20000 && !(seen = writing_all(rs)); i++)
    usleep(100);
  cr_assert(seen, "the writer never wrote the long batch");
  cr_assert_eq(baton__runstore_claim_files(rs, "old", true, err, sizeof err), 1, "%s", err);
  baton__runstore_flush(rs, err, sizeof err);
  cr_assert(said_pruned(rs, "old"), "the claim was rolled back with the batch");
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

/* A claimed run's folder that is not recorded gone (a process died between, a removal failed)
 * is listed for the next prune until it is. */
Test(registry_runstore, a_claimed_run_is_listed_until_its_folder_is_recorded_gone) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  const char *ids[] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(baton__runstore_begin(rs, ids[i], "x", "[]", "/tmp/ws", err, sizeof err), 0);
    cr_assert_eq(baton__runstore_finish(rs, ids[i], "done", "Done.", "{}", err, sizeof err), 0);
  }
  cr_assert_eq(baton__runstore_claim_files(rs, "a", true, err, sizeof err), 1, "%s", err);
  cr_assert_eq(baton__runstore_claim_files(rs, "b", false, err, sizeof err), 1, "%s", err);
  cr_assert_eq(baton__runstore_claim_files(rs, "a", true, err, sizeof err), 0, "claimed twice");
  baton__runstore_close(rs); /* as a process that died before removing a's folder */
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  char **left = baton__runstore_claimed(rs, 10, err, sizeof err);
  cr_assert_not_null(left, "%s", err);
  cr_assert(left[0] && !strcmp(left[0], "a") && !left[1], "only a has a folder to remove");
  free(left[0]);
  free(left);
  cr_assert(said_pruned(rs, "a") && !said_pruned(rs, "b") && !said_pruned(rs, "c"));
  cr_assert_eq(baton__runstore_files_gone(rs, "a", err, sizeof err), 1, "%s", err);
  left = baton__runstore_claimed(rs, 10, err, sizeof err);
  cr_assert(left && !left[0], "a is still listed once its folder is recorded gone");
  free(left);
  cr_assert(said_pruned(rs, "a"));
  baton__runstore_close(rs);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

Test(registry_runstore, a_newer_schema_is_refused) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA user_version=99' 2>&1", path);
  if (bt_run(cmd, NULL) != 0)
    cr_skip_test("the sqlite3 program is not installed");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_neq(baton__runstore_open(path, &rs, err, sizeof err), 0);
  cr_assert(strstr(err, "newer"), "%s", err);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

/* A runs.db written by the previous schema (v2: no endpoint per task). */
static const char v2_schema[] =
    "CREATE TABLE runs(id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL,"
    " pid INTEGER NOT NULL, status TEXT NOT NULL, request TEXT, plan TEXT NOT NULL,"
    " workspace TEXT NOT NULL, summary TEXT, result TEXT, owner TEXT, uid INTEGER);"
    "CREATE INDEX runs_created ON runs(created);"
    "CREATE TABLE run_tasks(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " task_id INTEGER NOT NULL, task TEXT NOT NULL, model TEXT, status TEXT NOT NULL,"
    " outputs TEXT, error TEXT, ms INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL,"
    " PRIMARY KEY(run_id, task_id));"
    "INSERT INTO runs VALUES('old', 1, 1, 1, 'failed', 'caption it',"
    " '[{\"task\":\"image-to-text\",\"id\":0}]', '/tmp/ws', NULL, NULL, NULL, 0);"
    "INSERT INTO run_tasks VALUES('old', 0, 'image-to-text', 'm', 'failed', NULL, 'boom', 3, 1);"
    "PRAGMA user_version=2;";

Test(registry_runstore, an_older_history_gains_the_endpoint_of_each_task) {
  char *dir = bt_tmpdir(), *path = db_path(dir);
  char sqlf[1024], cmd[2048];
  snprintf(sqlf, sizeof sqlf, "%s/v2.sql", dir);
  FILE *f = fopen(sqlf, "w");
  cr_assert_not_null(f);
  fputs(v2_schema, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "sqlite3 '%s' < '%s' 2>&1", path, sqlf);
  if (bt_run(cmd, NULL) != 0)
    cr_skip_test("the sqlite3 program is not installed");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cJSON *run = baton__runstore_get(rs, "old", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(run, "tasks"), 0);
  cr_assert_str_eq(str(t0, "error"), "boom", "the stored task is kept");
  cr_assert_null(str(t0, "endpoint"));
  cJSON_Delete(run);
  cr_assert_eq(baton__runstore_task(rs, "old", 0, "image-to-text", "m", "vision-2", "done",
                                    "{\"text\":\"a fox\"}", NULL, 4, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_flush(rs, err, sizeof err), 0, "%s", err);
  run = baton__runstore_get(rs, "old", err, sizeof err);
  t0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(run, "tasks"), 0);
  cr_assert_str_eq(str(t0, "endpoint"), "vision-2");
  cJSON_Delete(run);
  baton__runstore_close(rs);
  snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA user_version' 2>&1", path);
  char *out = NULL;
  cr_assert_eq(bt_run(cmd, &out), 0);
  cr_assert_eq(atoi(out), BATON__RUNSTORE_SCHEMA, "%s", out);
  free(out);
  bt_rmtree(dir);
  free(path);
  free(dir);
}

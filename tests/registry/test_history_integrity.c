/* test_history_integrity.c — run history errors are reported, never lost: damage, full disk, retries, liveness. */
#include <baton.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry/runstore.h"
#include "support/support.h"

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static void sql(const char *path, const char *text) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  cr_assert_eq(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* Stores `n` finished runs r0..r(n-1) in a new history at path. */
static void store_runs(const char *path, int n) {
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  for (int i = 0; i < n; i++) {
    char id[16], req[600];
    snprintf(id, sizeof id, "r%d", i);
    memset(req, 'a' + i % 26, sizeof req - 1);
    req[sizeof req - 1] = '\0';
    cr_assert_eq(baton__runstore_begin(rs, id, req, "[]", "/tmp/ws", err, sizeof err), 0);
    cr_assert_eq(baton__runstore_finish(rs, id, "done", "ok", NULL, err, sizeof err), 0, "%s", err);
  }
  baton__runstore_close(rs);
}

static baton *open_home(const char *home) {
  setenv("BATON_HOME", home, 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_LLM_BASE_URL");
  unsetenv("OPENAI_BASE_URL");
  char *cfg = join(home, "config.yaml");
  bt_write(cfg, "workers: 2\n");
  baton *ctx = NULL;
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  free(cfg);
  return ctx;
}

Test(registry_history_integrity, a_corrupted_page_fails_history_commands_not_the_registry) {
  char *home = bt_tmpdir(), *path = join(home, "runs.db");
  store_runs(path, 40);
  /* Garbage over the second page (the runs table's root). */
  int fd = open(path, O_WRONLY);
  cr_assert(fd >= 0);
  char junk[4096];
  memset(junk, 0x5a, sizeof junk);
  cr_assert_eq(pwrite(fd, junk, sizeof junk, 4096), (ssize_t)sizeof junk);
  close(fd);
  baton *ctx = open_home(home);
  char *json = NULL;
  cr_assert_eq(baton_models_list(ctx, NULL, 5, &json), BATON_OK, "%s", baton_errmsg(ctx));
  baton_free(json);
  json = NULL;
  cr_assert_eq(baton_runs_list(ctx, 10, &json), BATON_DB, "a damaged history is not 'no runs'");
  cr_assert(strstr(baton_errmsg(ctx), "runs.db"), "the file is named: %s", baton_errmsg(ctx));
  cr_assert(strstr(baton_errmsg(ctx), "malformed") || strstr(baton_errmsg(ctx), "corrupt") ||
                strstr(baton_errmsg(ctx), "not a database"),
            "SQLite's message is given: %s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_get(ctx, "r1", &json), BATON_DB);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"hi\"}}]"};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_DB,
               "a run that could not be recorded does not start");
  baton_close(ctx);
  bt_rmtree(home);
  free(path);
  free(home);
}

Test(registry_history_integrity, an_empty_database_file_is_an_error_not_a_fresh_start) {
  char *home = bt_tmpdir(), *runs = join(home, "runs.db"), *reg = join(home, "registry.db");
  bt_write(runs, "");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_neq(baton__runstore_open(runs, &rs, err, sizeof err), 0);
  cr_assert(strstr(err, "empty") && strstr(err, "runs.db"), "%s", err);
  bt_write(reg, "");
  setenv("BATON_HOME", home, 1);
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_DB);
  cr_assert(strstr(baton_errmsg(ctx), "empty") && strstr(baton_errmsg(ctx), "registry.db"), "%s",
            baton_errmsg(ctx));
  baton_close(ctx);
  bt_rmtree(home);
  free(runs);
  free(reg);
  free(home);
}

Test(registry_history_integrity, one_runs_failed_write_does_not_drop_another_runs_writes) {
  char *home = bt_tmpdir(), *path = join(home, "runs.db");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  /* Queued together, one batch: r1's writes, and a task of a run whose
   * start was never stored (the write fails). */
  cr_assert_eq(baton__runstore_begin(rs, "r1", "keep me", "[{\"task\":\"t\",\"id\":0}]", "/w",
                                     err, sizeof err), 0);
  cr_assert_eq(baton__runstore_task(rs, "ghost", 0, "t", NULL, NULL, "done", NULL, NULL, 1, err,
                                    sizeof err), 0);
  cr_assert_eq(baton__runstore_task(rs, "r1", 0, "t", NULL, NULL, "done", "{\"text\":\"x\"}", NULL, 1,
                                    err, sizeof err), 0);
  cr_assert_eq(baton__runstore_finish(rs, "r1", "done", "ok", NULL, err, sizeof err), 0, "%s",
               err);
  cr_assert_neq(baton__runstore_finish(rs, "ghost", "done", "ok", NULL, err, sizeof err), 0,
                "a run whose writes failed is told so at its end");
  cr_assert(strstr(err, "ghost"), "%s", err);
  cJSON *r1 = baton__runstore_get(rs, "r1", err, sizeof err);
  cr_assert_not_null(r1, "%s", err);
  cr_assert_str_eq(str(r1, "status"), "done");
  cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r1, "tasks"), 0);
  cr_assert_str_eq(str(t0, "status"), "done");
  cJSON_Delete(r1);
  baton__runstore_close(rs);
  bt_rmtree(home);
  free(path);
  free(home);
}

/* A child records a run as running and exits without finishing it. */
static void leave_running_run(const char *path) {
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    baton__runstore *rs = NULL;
    char err[512];
    if (baton__runstore_open(path, &rs, err, sizeof err) != 0 ||
        baton__runstore_begin(rs, "r9", "long job", "[{\"task\":\"t\",\"id\":0}]", "/w", err,
                              sizeof err) != 0 ||
        baton__runstore_flush(rs, err, sizeof err) != 0)
      _exit(3);
    _exit(0); /* no close: as a crash would */
  }
  int st;
  waitpid(pid, &st, 0);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(registry_history_integrity, a_run_whose_pid_was_reused_is_interrupted_and_resumable) {
  char *home = bt_tmpdir(), *path = join(home, "runs.db");
  leave_running_run(path);
  /* The pid comes back (a daemon that is PID 1 in a container): the run's
   * stored pid is now ours, but nobody holds its lock. */
  char q[128];
  snprintf(q, sizeof q, "UPDATE runs SET pid=%d", (int)getpid());
  sql(path, q);
  baton *ctx = open_home(home);
  char *json = NULL;
  cr_assert_eq(baton_run_get(ctx, "r9", &json), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *j = cJSON_Parse(json);
  cr_assert_str_eq(str(j, "status"), "interrupted");
  cJSON_Delete(j);
  baton_free(json);
  baton_run *run = NULL;
  cr_assert_eq(baton_run_resume(ctx, "r9", NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  baton_run_wait(run);
  baton_run_free(run);
  baton_close(ctx);
  bt_rmtree(home);
  free(path);
  free(home);
}

Test(registry_history_integrity, a_run_is_running_only_while_its_owner_holds_the_lock) {
  char *home = bt_tmpdir(), *path = join(home, "runs.db");
  int go[2], ready[2];
  cr_assert_eq(pipe(go), 0);
  cr_assert_eq(pipe(ready), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(go[1]);
    close(ready[0]);
    baton__runstore *rs = NULL;
    char err[512], c = 'r';
    if (baton__runstore_open(path, &rs, err, sizeof err) != 0 ||
        baton__runstore_begin(rs, "r7", "job", "[]", "/w", err, sizeof err) != 0 ||
        baton__runstore_flush(rs, err, sizeof err) != 0)
      _exit(3);
    (void)!write(ready[1], &c, 1);
    (void)!read(go[0], &c, 1); /* holds the history open until told */
    _exit(0);
  }
  close(go[0]);
  close(ready[1]);
  char c;
  int cst = 0;
  /* The child says when its run is stored (or dies trying: end of file). */
  cr_assert_eq(read(ready[0], &c, 1), 1, "the child could not store its run (status %d)",
               waitpid(pid, &cst, 0) == pid ? cst : -1);
  close(ready[0]);
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cJSON *run = baton__runstore_get(rs, "r7", err, sizeof err);
  cr_assert_not_null(run, "%s", err);
  cr_assert_str_eq(str(run, "status"), "running", "its owner is alive");
  cJSON_Delete(run);
  close(go[1]);
  waitpid(pid, NULL, 0);
  run = baton__runstore_get(rs, "r7", err, sizeof err);
  cr_assert_str_eq(str(run, "status"), "interrupted", "its owner died");
  cJSON_Delete(run);
  baton__runstore_close(rs);
  bt_rmtree(home);
  free(path);
  free(home);
}

/* Fills the file system holding dir (until ENOSPC). */
static void fill_disk(const char *dir) {
  char *p = join(dir, "filler");
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert(fd >= 0);
  char buf[4096];
  memset(buf, 'x', sizeof buf);
  while (write(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  free(p);
}

Test(registry_history_integrity, with_the_disk_full_every_run_is_stored_or_reported_lost) {
  if (geteuid() != 0)
    cr_skip_test("mounting a small tmpfs needs root");
  char *home = bt_tmpdir();
  if (mount("tmpfs", home, "tmpfs", 0, "size=2m") != 0)
    cr_skip_test("cannot mount a tmpfs: %s", strerror(errno));
  char *path = join(home, "runs.db");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  enum { N = 40 };
  int stored[N];
  char big[20000];
  memset(big, 'o', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  for (int i = 0; i < N; i++) {
    char id[16];
    snprintf(id, sizeof id, "d%d", i);
    if (i == N / 4)
      fill_disk(home);
    stored[i] = baton__runstore_begin(rs, id, big, "[{\"task\":\"t\",\"id\":0}]", "/w", err,
                                      sizeof err) == 0;
    char ferr[512];
    baton__runstore_flush(rs, ferr, sizeof ferr); /* as a reader's call would */
    if (stored[i])
      baton__runstore_task(rs, id, 0, "t", NULL, NULL, "done", NULL, NULL, 1, err, sizeof err);
    if (stored[i])
      stored[i] = baton__runstore_finish(rs, id, "done", big, NULL, err, sizeof err) == 0;
  }
  /* Reading still works with the disk full. */
  baton__runstore_close(rs);
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "reads on a full disk: %s",
               err);
  int n_stored = 0;
  for (int i = 0; i < N; i++) {
    char id[16];
    snprintf(id, sizeof id, "d%d", i);
    cJSON *r = baton__runstore_get(rs, id, err, sizeof err);
    if (stored[i]) {
      n_stored++;
      cr_assert_not_null(r, "run %s was reported stored: %s", id, err);
      cr_assert_str_eq(str(r, "status"), "done", "run %s", id);
    }
    cJSON_Delete(r);
  }
  cr_assert(n_stored >= N / 4 && n_stored < N, "the disk filled mid-way (%d stored)", n_stored);
  baton__runstore_close(rs);
  umount2(home, MNT_DETACH);
  bt_rmtree(home);
  free(path);
  free(home);
}

/* The status stored for run id, read straight from the database at path. */
static char *stored_status(const char *path, const char *id) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_prepare_v2(db, "SELECT status FROM runs WHERE id=?1", -1, &st, NULL),
               SQLITE_OK, "%s", sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  char *s =
      sqlite3_step(st) == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return s ? s : strdup("(none)");
}

Test(registry_history_integrity, a_run_whose_end_is_lost_to_a_full_disk_reads_interrupted) {
  if (geteuid() != 0)
    cr_skip_test("mounting a small tmpfs needs root");
  char *home = bt_tmpdir();
  if (mount("tmpfs", home, "tmpfs", 0, "size=2m") != 0)
    cr_skip_test("cannot mount a tmpfs: %s", strerror(errno));
  char *path = join(home, "runs.db"), *filler = join(home, "filler");
  baton__runstore *rs = NULL;
  char err[512] = "";
  cr_assert_eq(baton__runstore_open(path, &rs, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_begin(rs, "e1", "long job", "[{\"task\":\"t\",\"id\":0}]", "/w",
                                     err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_flush(rs, err, sizeof err), 0, "%s", err);
  fill_disk(home);
  static char big[300000];
  memset(big, 'o', sizeof big - 1);
  cr_assert_neq(baton__runstore_finish(rs, "e1", "done", big, NULL, err, sizeof err), 0,
                "a 300 kB answer fits on a full disk");
  /* The run is over in this live process: it is not shown running for as long as it lives. */
  cJSON *r = baton__runstore_get(rs, "e1", err, sizeof err);
  cr_assert(r, "%s", err);
  cr_expect_str_eq(str(r, "status"), "interrupted");
  cJSON_Delete(r);
  cJSON *l = baton__runstore_list(rs, 10, err, sizeof err);
  cr_assert(l, "%s", err);
  cr_expect_str_eq(str(cJSON_GetArrayItem(l, 0), "status"), "interrupted");
  cJSON_Delete(l);
  /* Once there is room, the next write records it so. */
  cr_assert_eq(unlink(filler), 0);
  cr_assert_eq(baton__runstore_begin(rs, "e2", "next", "[]", "/w", err, sizeof err), 0);
  cr_assert_eq(baton__runstore_finish(rs, "e2", "done", "ok", NULL, err, sizeof err), 0, "%s", err);
  char *s = stored_status(path, "e1");
  cr_expect_str_eq(s, "interrupted");
  free(s);
  /* And a resume takes it back: running again. */
  cr_assert_eq(baton__runstore_reopen(rs, "e1", err, sizeof err), 0, "%s", err);
  r = baton__runstore_get(rs, "e1", err, sizeof err);
  cr_assert(r, "%s", err);
  cr_expect_str_eq(str(r, "status"), "running");
  cJSON_Delete(r);
  baton__runstore_close(rs);
  umount2(home, MNT_DETACH);
  bt_rmtree(home);
  free(filler);
  free(path);
  free(home);
}

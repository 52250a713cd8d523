/* test_worker.c — executor worker processes: a terminal's ^C, a worker dying while idle or as it is handed a task. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

static char *home;

/* A fresh data folder whose config runs every executor in worker
 * processes; the config file's path is put in path. */
static void isolated_home(char *path, size_t len) {
  home = bt_offline_home();
  snprintf(path, len, "%s/config.yaml", home);
  bt_write(path, "isolation: always\nworkers: 1\n");
}

static baton *open_isolated(void) {
  char path[600];
  isolated_home(path, sizeof path);
  baton *ctx = NULL;
  cr_assert_eq(baton_open(path, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  char *ex = NULL;
  cr_assert_eq(baton_executors_json(ctx, &ex), BATON_OK);
  bool isolated = strstr(ex, "worker process") != NULL;
  baton_free(ex);
  if (!isolated)
    cr_skip_test("the baton-worker program is not built, so nothing runs isolated");
  return ctx;
}

static void done_with(baton *ctx) {
  baton_close(ctx);
  bt_rmtree(home);
  free(home);
  home = NULL;
}

/* Runs debug-echo on text; cr_asserts that the task succeeded with that text. */
static void echo_succeeds(baton *ctx, const char *text) {
  char plan[256];
  snprintf(plan, sizeof plan,
           "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"%s\"}}]", text);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  baton_rc rc = baton_run_wait(run);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "tasks"), 0);
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(t, "error");
  const cJSON *out = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(t, "outputs"), "text");
  cr_assert_eq(rc, BATON_OK, "the task failed: %s",
               cJSON_IsString(err) ? err->valuestring : "(no error)");
  cr_assert(cJSON_IsString(out) && strcmp(out->valuestring, text) == 0);
  cJSON_Delete(res);
  baton_run_free(run);
}

/* A process's state letter and parent from /proc/PID/stat: 0 when it is gone. */
static char proc_state(pid_t pid, pid_t *ppid, char *comm, size_t commlen) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *open = strchr(buf, '('), *close = strrchr(buf, ')');
  if (!open || !close || close[1] != ' ')
    return 0;
  if (comm)
    snprintf(comm, commlen, "%.*s", (int)(close - open - 1), open + 1);
  int pp = 0;
  char st = 0;
  if (sscanf(close + 2, "%c %d", &st, &pp) != 2)
    return 0;
  if (ppid)
    *ppid = pp;
  return st;
}

/* A live baton-worker child of parent, or 0 when there is none. */
static pid_t worker_of(pid_t parent) {
  DIR *d = opendir("/proc");
  cr_assert_not_null(d);
  pid_t found = 0;
  struct dirent *de;
  while (!found && (de = readdir(d)) != NULL) {
    pid_t pid = (pid_t)atoi(de->d_name), ppid = 0;
    char comm[64] = "";
    char st = pid > 0 ? proc_state(pid, &ppid, comm, sizeof comm) : 0;
    if (st && st != 'Z' && ppid == parent && strncmp(comm, "baton-worker", 12) == 0)
      found = pid;
  }
  closedir(d);
  return found;
}

/* The one live baton-worker child of this process; fails the test when there is none. */
static pid_t the_worker(void) {
  pid_t w = worker_of(getpid());
  cr_assert_neq(w, 0, "no baton-worker child found");
  return w;
}

/* How many threads of pid are still listed (/proc/PID/task): 0 when it is gone. */
static int threads_left(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

/* Waits up to 5 s until pid is dead: gone, or a zombie whose other threads (the worker's parent
 * watcher) have ended too, so that its descriptors are closed; a leader shows 'Z' while they
 * still exit. Returns whether it died. */
static bool died_within_5s(pid_t pid) {
  for (int i = 0; i < 500; i++) {
    char st = proc_state(pid, NULL, NULL, 0);
    if (st == 0 || (st == 'Z' && threads_left(pid) <= 1))
      return true;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return false;
}

static void on_sigint(int sig) {
  (void)sig; /* baton's own handler would cancel its runs */
}

Test(runtime_worker, a_terminals_ctrl_c_leaves_idle_workers_alive, .timeout = 60) {
  /* As a terminal does: ^C goes to every process of baton's (foreground)
   * group, this test's own (Criterion may have made it a session leader). */
  if (getpgrp() != getpid())
    cr_assert_eq(setpgid(0, 0), 0);
  struct sigaction sa = {.sa_handler = on_sigint};
  sigaction(SIGINT, &sa, NULL);
  baton *ctx = open_isolated();
  echo_succeeds(ctx, "before");
  pid_t w = the_worker();
  cr_assert_eq(kill(0, SIGINT), 0);
  cr_assert_not(died_within_5s(w), "the idle worker died of the ^C meant for its group");
  echo_succeeds(ctx, "after");
  cr_assert_eq(the_worker(), w, "the same warm worker serves the next task");
  done_with(ctx);
}

Test(runtime_worker, a_worker_killed_while_idle_is_replaced_for_the_next_task, .timeout = 60) {
  baton *ctx = open_isolated();
  echo_succeeds(ctx, "first");
  pid_t w = the_worker();
  cr_assert_eq(kill(w, SIGKILL), 0);
  cr_assert(died_within_5s(w));
  echo_succeeds(ctx, "second");
  cr_assert_neq(the_worker(), w);
  done_with(ctx);
}

Test(runtime_worker, a_worker_killed_just_before_its_next_task_is_replaced_for_it,
     .timeout = 60) {
  baton *ctx = open_isolated();
  echo_succeeds(ctx, "first");
  for (int i = 0; i < 5; i++) { /* no wait for it to die: the task may meet it alive */
    pid_t w = the_worker();
    cr_assert_eq(kill(w, SIGKILL), 0);
    char text[32];
    snprintf(text, sizeof text, "again %d", i);
    echo_succeeds(ctx, text);
    cr_assert(died_within_5s(w));
  }
  done_with(ctx);
}

static void note_start(void *ud, const baton_event *ev) {
  if (ev->type == BATON_EVENT_TASK_STARTED)
    atomic_store((atomic_int *)ud, 1);
}

/* The window made wide: the worker is stopped, so it is alive when it is handed the task and
 * dies before it read it; that task goes to a replacement, not reported crashed. */
Test(runtime_worker, a_worker_that_dies_before_it_read_its_task_hands_it_on, .timeout = 60) {
  baton *ctx = open_isolated();
  echo_succeeds(ctx, "first");
  pid_t w = the_worker();
  cr_assert_eq(kill(w, SIGSTOP), 0);
  const char *plan = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"x\"}}]";
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
  baton_run *run = NULL;
  atomic_int started = 0;
  cr_assert_eq(baton_submit(ctx, &req, note_start, &started, &run), BATON_OK);
  for (int i = 0; i < 500 && !atomic_load(&started); i++)
    usleep(10000);
  usleep(200000); /* the task is sent to the stopped worker */
  cr_assert_eq(kill(w, SIGKILL), 0);
  baton_rc rc = baton_run_wait(run);
  cJSON *res = cJSON_Parse(baton_run_result_json(run));
  const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "tasks"), 0);
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(t, "error");
  cr_expect_eq(rc, BATON_OK, "the task failed: %s",
               cJSON_IsString(err) ? err->valuestring : "(no error)");
  cJSON_Delete(res);
  baton_run_free(run);
  cr_assert_neq(the_worker(), w);
  done_with(ctx);
}

Test(runtime_worker, a_worker_leaves_when_baton_dies_even_mid_task, .timeout = 60) {
  /* A child process plays baton: it starts a long task in a worker and is killed. */
  char path[600];
  isolated_home(path, sizeof path);
  pid_t b = fork();
  cr_assert_geq(b, 0);
  if (b == 0) {
    const char *plan =
        "[{\"task\":\"debug-sleep\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"30000\"}}]";
    baton *ctx = NULL;
    baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = home};
    baton_run *run = NULL;
    if (baton_open(path, &ctx) == BATON_OK &&
        baton_submit(ctx, &req, NULL, NULL, &run) == BATON_OK)
      baton_run_wait(run);
    _exit(1);
  }
  pid_t w = 0;
  for (int i = 0; i < 1000 && !w; i++) {
    usleep(10000);
    w = worker_of(b);
  }
  if (!w) {
    kill(b, SIGKILL);
    waitpid(b, NULL, 0);
    done_with(open_isolated()); /* skips when nothing runs isolated */
    cr_assert_fail("the task's worker never started");
  }
  usleep(300000); /* the task is under way */
  kill(b, SIGKILL);
  waitpid(b, NULL, 0);
  cr_assert(died_within_5s(w), "the worker outlived baton");
  bt_rmtree(home);
  free(home);
}

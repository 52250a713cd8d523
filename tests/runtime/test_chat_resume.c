/* test_chat_resume.c — a resumed run's chat task is sent the conversation its first attempt was: kept in runs.db, migrated, checked. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton.h"
#include "core/util.h"
#include "planner/conversation.h"
#include "support/fake_models.h"
#include "support/support.h"
#include "core/banned.h"

#define CHAT_TASK                                                                                  \
  "{\"task\":\"conversational\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"and now?\"}}"
#define PLAN "[" CHAT_TASK "]"
/* The chat task, then a task given its answer: of kind `kind`. */
#define THEN(kind)                                                                                 \
  "[" CHAT_TASK ",{\"task\":\"" kind "\",\"id\":1,\"dep\":[0],"                                    \
  "\"args\":{\"text\":\"<GENERATED>-0\"}}]"

/* A data folder with a config naming the fake chat server, which serves conversational and
 * text-generation. */
typedef struct fixture {
  char *dir, *home, *config, *db;
  fake_models *chat;
  char *conv; /* the request's conversation: six exchanges, one message past the cut */
} fixture;

static char *conversation(void) {
  cJSON *arr = cJSON_CreateArray();
  char *longer = malloc(BATON__CHAT_MESSAGE_BYTES + 101);
  cr_assert_not_null(longer);
  memset(longer, 'w', BATON__CHAT_MESSAGE_BYTES + 100);
  longer[BATON__CHAT_MESSAGE_BYTES + 100] = '\0';
  for (int i = 0; i < 12; i++) {
    char said[32];
    snprintf(said, sizeof said, "%s %d", i % 2 ? "answer" : "question", i / 2);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", i % 2 ? "assistant" : "user");
    cJSON_AddStringToObject(m, "content", i == 9 ? longer : said);
    cJSON_AddItemToArray(arr, m);
  }
  char *json = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  free(longer);
  return json;
}

static void fx_open(fixture *f) {
  memset(f, 0, sizeof *f);
  f->dir = bt_tmpdir();
  f->home = baton__path_join(f->dir, "home");
  f->config = baton__path_join(f->dir, "config.yaml");
  f->db = baton__path_join(f->home, "runs.db");
  f->chat = fm_start(FM_LLAMACPP);
  cr_assert_not_null(f->chat);
  fm_set_answer(f->chat, "Later today.");
  char y[1024];
  snprintf(y, sizeof y,
           "home: %s\nprompts_dir: %s/prompts\nendpoints:\n  - name: text\n    base_url: %s\n"
           "    models:\n      - {id: qwen2.5, tasks: [conversational, text-generation]}\n",
           f->home, BATON_TEST_SOURCE_DIR, fm_base(f->chat));
  bt_write(f->config, y);
  f->conv = conversation();
}

static void fx_close(fixture *f) {
  fm_stop(f->chat);
  bt_rmtree(f->dir);
  free(f->dir), free(f->home), free(f->config), free(f->db), free(f->conv);
}

static baton *fx_ctx(const fixture *f) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(f->config, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  return ctx;
}

/* The child, this program run again (a fork of a process whose fake server has threads may not
 * call malloc: it execs at once), told by CHILD_ENV: "FD CONFIG HOME CONVERSATION-FILE
 * PLAN-FILE". It submits the chat run, has its start written (listing the runs commits what is
 * queued), says so on fd and waits to be killed. */
#define CHILD_ENV "BT_CHAT_RESUME_CHILD"

__attribute__((constructor)) static void child_submits(void) {
  const char *how = getenv(CHILD_ENV);
  char config[1024], home[1024], conv_path[1024], plan_path[1024];
  int fd = -1;
  if (!how ||
      sscanf(how, "%d %1023s %1023s %1023s %1023s", &fd, config, home, conv_path, plan_path) != 5)
    return;
  char *conv = bt_slurp(conv_path, NULL), *plan = bt_slurp(plan_path, NULL);
  baton *ctx = NULL;
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .messages = conv,
                       .input_root = home};
  baton_run *run = NULL;
  char *list = NULL;
  if (baton_open(config, &ctx) != BATON_OK ||
      baton_submit(ctx, &req, NULL, NULL, &run) != BATON_OK ||
      baton_runs_list(ctx, 1, &list) != BATON_OK) {
    dprintf(fd, "child: %s", baton_errmsg(ctx));
    _exit(3);
  }
  dprintf(fd, "S");
  pause();
  _exit(0);
}

/* The environment for the child submitting plan: this one and CHILD_ENV (strings kept in
 * `keep`). */
static char **child_env(const fixture *f, const char *plan, int fd, char *keep, size_t keep_len) {
  extern char **environ;
  size_t n = 0;
  while (environ[n])
    n++;
  char **env = calloc(n + 2, sizeof *env);
  cr_assert_not_null(env);
  memcpy(env, environ, n * sizeof *env);
  char *conv_path = baton__path_join(f->dir, "conversation.json");
  char *plan_path = baton__path_join(f->dir, "plan.json");
  bt_write(conv_path, f->conv);
  bt_write(plan_path, plan);
  snprintf(keep, keep_len, "%s=%d %s %s %s %s", CHILD_ENV, fd, f->config, f->home, conv_path,
           plan_path);
  free(conv_path), free(plan_path);
  env[n] = keep;
  return env;
}

/* How many tasks runs.db at path has done (-1 while it is busy). */
static int tasks_done(const char *path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  int n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM run_tasks WHERE status='done'", -1, &st,
                         NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

/* A run of plan with the conversation, killed while the chat server holds request `held` (1:
 * the first it records); its id into id. */
static void interrupted_run(fixture *f, const char *plan, size_t held, char id[64]) {
  fm_set_delay(f->chat, 1500);
  int ready[2];
  cr_assert_eq(pipe(ready), 0);
  char keep[5300];
  char **env = child_env(f, plan, ready[1], keep, sizeof keep);
  char *const argv[] = {"chat-resume-child", NULL};
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    execve("/proc/self/exe", argv, env);
    _exit(4);
  }
  free(env);
  close(ready[1]);
  bt_wait_child_ready(ready[0], "the child never started its run");
  cr_assert(fake_http_wait_requests(fm_http(f->chat), held, BT_WAIT_MS), "no request %zu", held);
  /* The tasks answered before are recorded done (the child commits their writes a moment after
   * it sends the next request). */
  long until = bt_now_ms() + BT_WAIT_MS;
  int done;
  while ((done = tasks_done(f->db)) < (int)held - 1 && bt_now_ms() < until)
    bt_nap_ms(10);
  cr_assert_eq(done, (int)held - 1, "the tasks before request %zu are done", held);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  fm_set_delay(f->chat, 0);
  baton *ctx = fx_ctx(f);
  bt_the_run_interrupted(ctx, id);
  baton_close(ctx);
}

/* A run with the conversation whose chat task is killed while the chat server holds its
 * request; its id into id. */
static void interrupted_chat_run(fixture *f, char id[64]) {
  interrupted_run(f, PLAN, 1, id);
}

/* The "messages" the chat server was sent in request i. */
static cJSON *chat_sent(fixture *f, size_t i) {
  fake_http_request *r = fake_http_request_get(fm_http(f->chat), i);
  cr_assert_not_null(r, "no request %zu", i);
  cJSON *body = cJSON_Parse(r->body);
  fake_http_request_free(r);
  cJSON *msgs = cJSON_DetachItemFromObject(body, "messages");
  cJSON_Delete(body);
  cr_assert(cJSON_IsArray(msgs));
  return msgs;
}

/* Resumes run id in a new context; it must finish. */
static void resume(fixture *f, const char *id) {
  baton *ctx = fx_ctx(f);
  baton_run *run = NULL;
  cr_assert_eq(baton_run_resume(ctx, id, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_run_result_json(run));
  baton_run_free(run);
  baton_close(ctx);
}

/* Whether runs.db at path keeps a conversation for run id. */
static bool chat_kept(const char *path, const char *id) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_prepare_v2(db, "SELECT chat_history FROM runs WHERE id=?1", -1, &st, NULL),
               SQLITE_OK);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no run %s", id);
  bool kept = sqlite3_column_type(st, 0) != SQLITE_NULL;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return kept;
}

Test(runtime_chat_resume, a_resumed_chat_task_is_sent_the_conversation_as_first, .timeout = 120) {
  fixture f;
  fx_open(&f);
  char id[64];
  interrupted_chat_run(&f, id);
  cr_assert(chat_kept(f.db, id), "an interrupted run keeps its conversation");
  resume(&f, id);
  cr_assert(!chat_kept(f.db, id), "a run done, no longer to resume, keeps none");
  cr_assert_eq(fake_http_request_count(fm_http(f.chat)), 2);
  cJSON *first = chat_sent(&f, 0), *again = chat_sent(&f, 1);
  char *a = cJSON_PrintUnformatted(first), *b = cJSON_PrintUnformatted(again);
  cr_assert(cJSON_Compare(first, again, true), "first attempt: %s\nresumed: %s", a, b);
  /* What both were sent: the system prompt, the newest four exchanges as the chat view of the
   * conversation cuts them, then the task's text. */
  char *view = NULL, err[256] = "";
  cr_assert_eq(baton__conversation_chat(f.conv, &view, err, sizeof err), 0, "%s", err);
  cJSON *want = cJSON_Parse(view);
  cr_assert_eq(cJSON_GetArraySize(again), 2 + 2 * BATON__CHAT_HISTORY_PAIRS, "%s", b);
  for (int i = 0; i < 2 * BATON__CHAT_HISTORY_PAIRS; i++)
    cr_assert(cJSON_Compare(cJSON_GetArrayItem(again, i + 1), cJSON_GetArrayItem(want, i), true),
              "message %d: %s", i + 1, b);
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(again, 1), "content")->valuestring,
                   "question 2");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(again, 9), "content")->valuestring,
                   "and now?");
  cJSON_Delete(want), cJSON_Delete(first), cJSON_Delete(again);
  free(view), free(a), free(b);
  fx_close(&f);
}

/* Runs sql on the database at path. */
static void sql(const char *path, const char *text) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  char *msg = NULL;
  cr_assert_eq(sqlite3_exec(db, text, NULL, NULL, &msg), SQLITE_OK, "%s: %s", text, msg);
  sqlite3_close(db);
}

/* Stores value (an SQL expression) as run id's conversation. */
static void store_chat(const fixture *f, const char *id, const char *value) {
  char q[512];
  snprintf(q, sizeof q, "UPDATE runs SET chat_history = %s WHERE id = '%s'", value, id);
  sql(f->db, q);
}

static int schema_of(const char *path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* A runs.db of schema 7 (no conversation kept) opens, is migrated, and its run resumes: its
 * chat task is sent none, as before. */
Test(runtime_chat_resume, a_run_of_an_older_history_resumes_without_a_conversation,
     .timeout = 120) {
  fixture f;
  fx_open(&f);
  char id[64];
  interrupted_chat_run(&f, id);
  sql(f.db, "ALTER TABLE runs DROP COLUMN chat_history; PRAGMA user_version=7;");
  cr_assert_eq(schema_of(f.db), 7);
  baton *ctx = fx_ctx(&f);
  char *shown = NULL;
  cr_assert_eq(baton_run_get(ctx, id, &shown), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *run = cJSON_Parse(shown);
  baton_free(shown);
  cr_assert_str_eq(cJSON_GetObjectItem(run, "status")->valuestring, "interrupted");
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(run, "plan")), 1, "the plan is kept");
  cJSON_Delete(run);
  baton_close(ctx);
  cr_assert_eq(schema_of(f.db), 8, "opening it migrated it");
  resume(&f, id);
  cJSON *again = chat_sent(&f, 1);
  cr_assert_eq(cJSON_GetArraySize(again), 2, "the system prompt and the text, no history");
  cJSON_Delete(again);
  fx_close(&f);
}

/* Resuming run id (attempt i) is refused for its stored conversation, naming the run. */
static void resume_refused(fixture *f, const char *id, size_t i) {
  baton *ctx = fx_ctx(f);
  baton_run *run = NULL;
  cr_assert_eq(baton_run_resume(ctx, id, NULL, NULL, &run), BATON_DB, "%zu", i);
  const char *why = baton_errmsg(ctx);
  cr_assert(strstr(why, id) && strstr(why, "conversation stored for its chat tasks"), "%s", why);
  cr_assert(strstr(why, "at most 4 exchanges"), "%s", why);
  baton_close(ctx);
}

/* A stored conversation that is no chat view (not JSON, too big, another shape) is refused,
 * naming the run, and nothing is sent; the run stays resumable once it is one again. */
Test(runtime_chat_resume, a_bad_stored_conversation_is_refused_naming_the_run, .timeout = 120) {
  fixture f;
  fx_open(&f);
  char id[64];
  interrupted_chat_run(&f, id);
  const char *bad[] = {
      "'not json'",
      "'[{\"role\":\"user\",\"content\":\"q\"}]'",
      "'{\"role\":\"user\",\"content\":\"q\"}'",
      "'[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"' || "
      "printf('%.*c', 5000, 'x') || '\"}]'",
      "'[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}]' || "
      "printf('%.*c', 200000, ' ')",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    store_chat(&f, id, bad[i]);
    resume_refused(&f, id, i);
  }
  cr_assert_eq(fake_http_request_count(fm_http(f.chat)), 1, "the chat server was sent nothing");
  /* Put right, it resumes. */
  sql(f.db, "UPDATE runs SET chat_history = NULL");
  resume(&f, id);
  cr_assert_eq(fake_http_request_count(fm_http(f.chat)), 2);
  fx_close(&f);
}

/* The statuses of run id's tasks, in order, joined by spaces ("done interrupted"). */
static void assert_tasks(fixture *f, const char *id, const char *want) {
  baton *ctx = fx_ctx(f);
  char *shown = NULL, got[128] = "";
  cr_assert_eq(baton_run_get(ctx, id, &shown), BATON_OK, "%s", baton_errmsg(ctx));
  cJSON *run = cJSON_Parse(shown);
  baton_free(shown);
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(run, "tasks")) {
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(t, "status"));
    size_t n = strlen(got);
    snprintf(got + n, sizeof got - n, "%s%s", n ? " " : "", st ? st : "?");
  }
  cr_assert_str_eq(got, want, "run %s: tasks %s, not %s", id, got, want);
  cJSON_Delete(run);
  baton_close(ctx);
}

/* Opens f with a run of plan interrupted after its chat task, the conversation stored for it
 * then made one that is not valid; the run's id in id. */
static void open_with_bad_chat(fixture *f, const char *plan, char id[64]) {
  fx_open(f);
  interrupted_run(f, plan, 2, id);
  assert_tasks(f, id, "done interrupted");
  store_chat(f, id, "'not json'");
}

/* With its chat task done and only a task of another kind left, a run whose stored conversation
 * is not one resumes all the same (nothing left would be sent it) and finishes. */
Test(runtime_chat_resume, a_bad_conversation_is_passed_over_when_no_chat_task_is_left,
     .timeout = 120) {
  fixture f;
  char id[64];
  open_with_bad_chat(&f, THEN("text-generation"), id);
  resume(&f, id);
  assert_tasks(&f, id, "done done");
  cr_assert(!chat_kept(f.db, id), "a run done keeps no conversation");
  cr_assert_eq(fake_http_request_count(fm_http(f.chat)), 3, "the chat task was not run again");
  cJSON *again = chat_sent(&f, 2);
  cr_assert_eq(cJSON_GetArraySize(again), 2, "the system prompt and the chat task's answer");
  cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(again, 1), "content")->valuestring,
                   "Later today.");
  cJSON_Delete(again);
  fx_close(&f);
}

/* A chat task done is not enough: one still to run would be sent the conversation, so a bad
 * stored one is refused as before, and nothing is sent. */
Test(runtime_chat_resume, a_bad_conversation_is_refused_while_a_chat_task_is_left,
     .timeout = 120) {
  fixture f;
  char id[64];
  open_with_bad_chat(&f, THEN("conversational"), id);
  resume_refused(&f, id, 0);
  cr_assert_eq(fake_http_request_count(fm_http(f.chat)), 2, "the chat server was sent nothing");
  fx_close(&f);
}

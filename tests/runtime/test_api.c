/* test_api.c — the public API's contracts: per-thread error text, errors of baton_socket_path(), sized structs. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "support/support.h"

static char *home;
static baton *ctx;

static void setup(void) {
  home = bt_offline_home();
  char path[600];
  snprintf(path, sizeof path, "%s/config.yaml", home);
  bt_write(path, "workers: 2\n");
  setenv("BATON_CONFIG", path, 1);
  cr_assert_eq(baton_open(path, &ctx), BATON_OK);
}

static void teardown(void) {
  baton_close(ctx);
  bt_rmtree(home);
  free(home);
  unsetenv("BATON_CONFIG");
}

TestSuite(runtime_api, .init = setup, .fini = teardown, .timeout = 60);

typedef struct asker {
  pthread_t th;
  char id[32];
  atomic_int *go;
  int wrong;
} asker;

/* Fails over and over with its own run id and checks that the error text it
 * reads is always its own. */
static void *ask(void *arg) {
  asker *a = arg;
  while (!atomic_load(a->go))
    ;
  char want[64];
  snprintf(want, sizeof want, "%s", a->id);
  for (int i = 0; i < 2000; i++) {
    char *json = NULL;
    if (baton_run_get(ctx, a->id, &json) == BATON_OK) {
      baton_free(json);
      continue;
    }
    if (!strstr(baton_errmsg(ctx), want))
      a->wrong++;
  }
  return NULL;
}

Test(runtime_api, each_thread_reads_the_error_of_its_own_failed_call) {
  atomic_int go = 0;
  asker a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (asker){.go = &go};
    snprintf(a[i].id, sizeof a[i].id, "no-such-run-%d-%d", i, i * 7919);
    cr_assert_eq(pthread_create(&a[i].th, NULL, ask, &a[i]), 0);
  }
  atomic_store(&go, 1);
  int wrong = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(a[i].th, NULL);
    wrong += a[i].wrong;
  }
  cr_expect_eq(wrong, 0, "%d times a thread read another thread's error", wrong);
  /* Another thread's failures leave this thread's text alone. */
  cr_expect_eq(baton_run_get(ctx, "mine", &(char *){NULL}), BATON_NOTFOUND);
  char mine[256];
  snprintf(mine, sizeof mine, "%s", baton_errmsg(NULL));
  cr_expect(strstr(mine, "mine"), "%s", mine);
}

Test(runtime_api, socket_path_errors_come_through_errmsg_not_the_path) {
  char bad[700];
  snprintf(bad, sizeof bad, "%s/bad.yaml", home);
  bt_write(bad, "workers: [not a number\n");
  char *path = (char *)"untouched";
  cr_assert_eq(baton_socket_path(bad, &path), BATON_CONFIG);
  cr_expect_null(path, "no error text through the path: %s", path ? path : "");
  cr_expect(strstr(baton_errmsg(NULL), "bad.yaml"), "the reason names the file: %s",
            baton_errmsg(NULL));
}

Test(runtime_api, a_request_without_its_size_is_refused_and_an_older_one_accepted) {
  baton_request req = {.plan_json = "[]"}; /* no BATON_REQUEST_INIT */
  baton_run *run = NULL;
  cr_expect_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(ctx), "BATON_REQUEST_INIT"), "%s", baton_errmsg(ctx));
  char *json = NULL;
  cr_expect_eq(baton_plan(ctx, &req, &json), BATON_INVALID);
  /* A program built when the request ended at plan_json: later fields are zero. */
  struct {
    baton_request r;
    char junk[64];
  } older;
  memset(&older, 0x7f, sizeof older);
  older.r.size = offsetof(baton_request, inputs);
  older.r.text = NULL;
  older.r.plan_json =
      "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"a b c\"}}]";
  cr_expect_eq(baton_plan(ctx, &older.r, &json), BATON_OK, "%s", baton_errmsg(ctx));
  baton_free(json);
  /* A larger size than the library knows is refused. */
  req.size = sizeof req + 8;
  cr_expect_eq(baton_plan(ctx, &req, &json), BATON_INVALID);
}

Test(runtime_api, server_options_without_their_size_are_refused) {
  baton_server_options so = {.config_path = getenv("BATON_CONFIG")};
  baton_server *srv = NULL;
  cr_expect_eq(baton_server_new(&so, &srv), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(NULL), "BATON_SERVER_OPTIONS_INIT"), "%s", baton_errmsg(NULL));
  baton_server_free(srv);
}

Test(runtime_api, mcp_options_without_their_size_are_refused) {
  baton_mcp_options mo = {.config_path = getenv("BATON_CONFIG"), .in_fd = -1, .out_fd = -1};
  char *err = NULL;
  cr_expect_eq(baton_mcp_serve(&mo, &err), BATON_INVALID);
  cr_expect(err && strstr(err, "BATON_MCP_OPTIONS_INIT"), "%s", err ? err : "(none)");
  cr_expect(strstr(baton_errmsg(NULL), "BATON_MCP_OPTIONS_INIT"), "%s", baton_errmsg(NULL));
  baton_free(err);
  cr_expect_eq(baton_mcp_serve(NULL, NULL), BATON_INVALID);
}

static void size_of_event(void *ud, const baton_event *ev) {
  *(size_t *)ud = ev->size;
}

Test(runtime_api, events_carry_their_size) {
  baton_request req = {BATON_REQUEST_INIT,
                       .plan_json = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"a b c\"}}]",
                       .input_root = home};
  size_t seen = 0;
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, size_of_event, &seen, &run), BATON_OK, "%s",
               baton_errmsg(ctx));
  baton_run_wait(run);
  baton_run_free(run);
  cr_expect_eq(seen, sizeof(baton_event));
}

#define NUL_REFUSED "a string in it holds a NUL character (\\u0000), which baton refuses rather than cut"

Test(runtime_api, a_nul_character_in_task_arguments_or_messages_is_refused_not_cut) {
  char *out = NULL;
  cr_expect_eq(baton_task(ctx, "debug-echo", "{\"text\":\"a\\u0000b\"}", NULL, home, &out),
               BATON_INVALID);
  cr_expect_null(out);
  cr_expect(strstr(baton_errmsg(ctx), "the task arguments are refused: " NUL_REFUSED), "%s",
            baton_errmsg(ctx));
  const char *messages = "[{\"role\":\"user\",\"content\":\"good\\u0000 morning\"}]";
  baton_request req = {BATON_REQUEST_INIT, .text = "summarize it", .messages = messages,
                       .input_root = home, .offline = 1};
  baton_run *run = NULL;
  cr_expect_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(ctx), "messages are refused: " NUL_REFUSED), "%s",
            baton_errmsg(ctx));
  char *plan = NULL;
  cr_expect_eq(baton_plan(ctx, &req, &plan), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(ctx), "messages are refused: " NUL_REFUSED), "%s",
            baton_errmsg(ctx));
  req = (baton_request){BATON_REQUEST_INIT, .messages = messages, .input_root = home,
                        .plan_json = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                     "\"args\":{\"text\":\"a\"}}]"};
  cr_expect_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(ctx), "messages are refused: " NUL_REFUSED), "%s",
            baton_errmsg(ctx));
  baton_run_free(run);
}

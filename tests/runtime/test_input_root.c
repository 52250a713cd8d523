/* test_input_root.c — the caller's folder is opened once: a folder swapped for a link while the LLM plans is not followed. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "support/fake_http.h"
#include "support/fake_llm.h"
#include "support/support.h"

typedef struct swap {
  char folder[700], moved[700], outside[700];
  int planned;
} swap;

/* The fake LLM: while it is asked for the plan, the caller's folder becomes
 * a link to another one; then it answers with a plan reading pic.png. */
static void plan_and_swap(const fake_http_request *req, fake_http_response *resp, void *ud) {
  swap *s = ud;
  (void)req;
  const char *plan = "[{\"task\": \"debug-read\", \"id\": 0, \"dep\": [-1], "
                     "\"args\": {\"image\": \"pic.png\"}}]";
  if (__atomic_fetch_add(&s->planned, 1, __ATOMIC_SEQ_CST) == 0) {
    if (rename(s->folder, s->moved) != 0 || symlink(s->outside, s->folder) != 0)
      plan = "the test could not swap the folder";
  } else {
    plan = "I read the picture.";
  }
  resp->body = fake_llm_completion(plan, 10, 10);
  resp->free_body = true;
}

Test(runtime_input_root, a_folder_swapped_for_a_link_while_planning_is_not_followed,
     .timeout = 60) {
  const char *vars[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  char *home = bt_tmpdir(), *outside = bt_tmpdir(), p[800];
  swap s = {.planned = 0};
  snprintf(s.folder, sizeof s.folder, "%s/work", home);
  snprintf(s.moved, sizeof s.moved, "%s/work.old", home);
  snprintf(s.outside, sizeof s.outside, "%s", outside);
  cr_assert_eq(mkdir(s.folder, 0700), 0);
  snprintf(p, sizeof p, "%s/pic.png", s.folder);
  bt_write(p, "checked-bytes");
  snprintf(p, sizeof p, "%s/pic.png", outside);
  bt_write(p, "OUTSIDE-SECRET");
  fake_http *srv = fake_http_start();
  cr_assert_not_null(srv);
  fake_http_set_handler(srv, plan_and_swap, &s);
  char url[128];
  snprintf(url, sizeof url, "%s/v1", fake_http_url(srv));
  setenv("BATON_HOME", home, 1);
  setenv("BATON_LLM_BASE_URL", url, 1);
  setenv("BATON_LLM_MODEL", "fake-planner", 1);
  setenv("BATON_DEBUG_EXECUTORS", "1", 1);
  unsetenv("BATON_CONFIG");
  unsetenv("HF_TOKEN");
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  baton_request req = {BATON_REQUEST_INIT, .text = "read the picture pic.png",
                       .input_root = s.folder};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_geq(s.planned, 1, "the LLM was not asked for a plan");
  baton_run_wait(run);
  const char *res = baton_run_result_json(run);
  cr_expect(!strstr(res, "OUTSIDE-SECRET"), "the run read the file behind the link: %s", res);
  cr_expect(strstr(res, "checked-bytes"), "the checked folder's file is read: %s", res);
  baton_run_free(run);
  baton_close(ctx);
  fake_http_stop(srv);
  bt_rmtree(home);
  bt_rmtree(outside);
  free(home);
  free(outside);
}

/* test_run_owner.c — resume and replay touch only the caller's own runs (root and the run history's owner: all). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/daemon.h"
#include "support/support.h"

#define NOBODY 65534

static char *home, cfg[700];

static void setup(void) {
  home = bt_offline_home();
  snprintf(cfg, sizeof cfg, "%s/config.yaml", home);
  bt_write(cfg, "workers: 2\n");
}

static void teardown(void) {
  bt_rmtree(home);
  free(home);
}

TestSuite(runtime_run_owner, .init = setup, .fini = teardown, .timeout = 60);

static baton *open_ctx(void) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  return ctx;
}

/* Runs a one-task plan recorded as uid's (as a daemon records another
 * user's submit); its run id into id. */
static void run_as(baton *ctx, unsigned uid, char *id, size_t cap) {
  baton_request req = {BATON_REQUEST_INIT,
                       .plan_json = "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
                                    "\"args\":{\"text\":\"hello\"}}]",
                       .as_caller = uid != geteuid(), .caller_uid = uid, .caller_gid = uid};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  cr_assert_eq(baton_run_wait(run), BATON_OK);
  snprintf(id, cap, "%s", baton_run_id(run));
  baton_run_free(run);
}

/* Replays id to its end; the call's code. */
static baton_rc replay(baton *ctx, const char *id) {
  baton_run *run = NULL;
  baton_rc rc = baton_run_replay(ctx, id, NULL, NULL, &run);
  if (rc == BATON_OK) {
    rc = baton_run_wait(run);
    baton_run_free(run);
  }
  return rc;
}

Test(runtime_run_owner, the_history_owner_replays_a_run_another_user_submitted) {
  baton *ctx = open_ctx();
  char id[64];
  run_as(ctx, geteuid() + 1000, id, sizeof id);
  cr_expect_eq(replay(ctx, id), BATON_OK, "%s", baton_errmsg(ctx));
  baton_close(ctx);
}

typedef struct ids {
  char root_run[64], nobody_run[64];
} ids;

/* In the child (as nobody, on root's history): replay and resume root's
 * run, replay its own. */
static void try_as_nobody(void *arg, char *out, size_t cap) {
  const ids *r = arg;
  baton *ctx = NULL;
  if (baton_open(cfg, &ctx) != BATON_OK) {
    snprintf(out, cap, "OPEN-FAILED %s", baton_errmsg(ctx));
    return;
  }
  baton_run *run = NULL;
  baton_rc a = baton_run_replay(ctx, r->root_run, NULL, NULL, &run);
  char why[512];
  snprintf(why, sizeof why, "%s", baton_errmsg(ctx));
  baton_run_free(run);
  run = NULL;
  baton_rc b = baton_run_resume(ctx, r->root_run, NULL, NULL, &run);
  baton_run_free(run);
  baton_rc c = replay(ctx, r->nobody_run);
  snprintf(out, cap, "%d %d %d|%s|%s", (int)a, (int)b, (int)c, why, baton_errmsg(ctx));
  baton_close(ctx);
}

Test(runtime_run_owner, another_user_may_not_resume_or_replay_a_run_not_its_own) {
  if (geteuid() != 0)
    cr_skip_test("needs root to act as another user");
  baton *ctx = open_ctx();
  ids r;
  run_as(ctx, 0, r.root_run, sizeof r.root_run);
  run_as(ctx, NOBODY, r.nobody_run, sizeof r.nobody_run);
  baton_close(ctx);
  /* A history shared with nobody: it may read and write every file. */
  char cmd[800];
  snprintf(cmd, sizeof cmd, "chmod -R a+rwX '%s'", home);
  cr_assert_eq(bt_run(cmd, NULL), 0);
  char *said = bt_as_user(NOBODY, NOBODY, try_as_nobody, &r);
  cr_assert_not_null(said, "the child running as nobody failed");
  int a = -1, b = -1, c = -1;
  cr_assert_eq(sscanf(said, "%d %d %d", &a, &b, &c), 3, "%s", said);
  cr_expect_eq(a, BATON_DENIED, "replay of root's run: %s", said);
  cr_expect_eq(b, BATON_DENIED, "resume of root's run: %s", said);
  cr_expect(strstr(said, "belongs to uid 0"), "the error names the owner: %s", said);
  cr_expect_eq(c, BATON_OK, "nobody replays its own run: %s", said);
  free(said);
  /* Root sees and touches every run. */
  ctx = open_ctx();
  cr_expect_eq(replay(ctx, r.nobody_run), BATON_OK, "%s", baton_errmsg(ctx));
  baton_close(ctx);
}

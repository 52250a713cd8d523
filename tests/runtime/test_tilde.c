/* test_tilde.c — a leading "~/" in a file a request names is the caller's home folder; the file must still lie in the folders inputs may come from. */
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

#define NOBODY 65534

static char *data_home, *user_home, *elsewhere;

static void setup(void) {
  data_home = bt_offline_home();
  unsetenv("BATON_CONFIG");
  user_home = bt_tmpdir();
  elsewhere = bt_tmpdir();
  char p[800];
  snprintf(p, sizeof p, "%s/notes.txt", user_home);
  bt_write(p, "words from the notes at home");
  snprintf(p, sizeof p, "%s/pic.png", user_home);
  bt_write(p, "home-picture-bytes");
  setenv("HOME", user_home, 1);
}

static void teardown(void) {
  bt_rmtree(data_home);
  bt_rmtree(user_home);
  bt_rmtree(elsewhere);
  free(data_home);
  free(user_home);
  free(elsewhere);
}

TestSuite(runtime_tilde, .init = setup, .fini = teardown, .timeout = 60);

static baton *open_with(const char *yaml) {
  char cfg[800];
  snprintf(cfg, sizeof cfg, "%s/config.yaml", data_home);
  bt_write(cfg, yaml ? yaml : "workers: 2\n");
  baton *ctx = NULL;
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  return ctx;
}

/* A plan reading "~/notes.txt" as a text's words and "~/pic.png" as a picture. */
static const char home_plan[] =
    "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"~/notes.txt\"}},"
    "{\"task\":\"debug-read\",\"id\":1,\"dep\":[-1],\"args\":{\"image\":\"~/pic.png\"}}]";

/* Runs req to its end: its code, and its result (caller frees) in *result. */
static baton_rc run_req(baton *ctx, const baton_request *req, char **result) {
  baton_run *run = NULL;
  *result = NULL;
  baton_rc rc = baton_submit(ctx, req, NULL, NULL, &run);
  if (rc != BATON_OK)
    return rc;
  rc = baton_run_wait(run);
  *result = strdup(baton_run_result_json(run));
  baton_run_free(run);
  return rc;
}

Test(runtime_tilde, a_leading_tilde_is_the_callers_home) {
  baton *ctx = open_with(NULL);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = home_plan, .input_root = user_home};
  char *res = NULL;
  cr_assert_eq(run_req(ctx, &req, &res), BATON_OK, "%s", res ? res : baton_errmsg(ctx));
  cr_expect(strstr(res, "words from the notes at home"), "the text file's words: %s", res);
  cr_expect(strstr(res, "home-picture-bytes"), "the picture's bytes: %s", res);
  free(res);
  baton_close(ctx);
}

Test(runtime_tilde, a_home_file_outside_the_allowed_folders_is_still_refused) {
  baton *ctx = open_with(NULL);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = home_plan, .input_root = elsewhere};
  char *res = NULL;
  cr_assert_eq(run_req(ctx, &req, &res), BATON_INVALID);
  const char *why = baton_errmsg(ctx);
  char want[800];
  snprintf(want, sizeof want, "%s/notes.txt", user_home);
  cr_expect(strstr(why, "~/notes.txt") && strstr(why, want) && strstr(why, "outside"),
            "the error names the file both ways: %s", why);
  baton_close(ctx);
  /* ...unless the home folder is one of allowed_roots. */
  char yaml[900];
  snprintf(yaml, sizeof yaml, "workers: 2\nallowed_roots: [%s]\n", user_home);
  ctx = open_with(yaml);
  cr_assert_eq(run_req(ctx, &req, &res), BATON_OK, "%s", baton_errmsg(ctx));
  cr_expect(strstr(res, "words from the notes at home"), "%s", res);
  free(res);
  baton_close(ctx);
}

Test(runtime_tilde, the_home_a_request_gives_wins_over_HOME) {
  setenv("HOME", elsewhere, 1);
  baton *ctx = open_with(NULL);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = home_plan, .input_root = user_home,
                       .home = user_home};
  char *res = NULL;
  cr_assert_eq(run_req(ctx, &req, &res), BATON_OK, "%s", res ? res : baton_errmsg(ctx));
  cr_expect(strstr(res, "words from the notes at home"), "%s", res);
  free(res);
  baton_close(ctx);
}

Test(runtime_tilde, only_a_leading_tilde_slash_is_expanded) {
  baton *ctx = open_with(NULL);
  static const char *const names[] = {"~nobody/sign.png", "a~/sign.png"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char plan[300];
    snprintf(plan, sizeof plan,
             "[{\"task\":\"debug-read\",\"id\":0,\"dep\":[-1],\"args\":{\"image\":\"%s\"}}]",
             names[i]);
    baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .input_root = user_home};
    char *res = NULL;
    cr_assert_eq(run_req(ctx, &req, &res), BATON_INVALID, "%s", names[i]);
    char want[200];
    snprintf(want, sizeof want, "input '%s'", names[i]); /* as written */
    cr_expect(strstr(baton_errmsg(ctx), want), "%s", baton_errmsg(ctx));
  }
  baton_close(ctx);
}

Test(runtime_tilde, another_users_home_comes_from_the_user_database_not_HOME) {
  struct passwd *pw = getpwuid(NOBODY);
  if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
    cr_skip_test("no user %d with a home folder here", NOBODY);
  char want[800];
  snprintf(want, sizeof want, "%s%snotes.txt", pw->pw_dir,
           pw->pw_dir[strlen(pw->pw_dir) - 1] == '/' ? "" : "/");
  baton *ctx = open_with(NULL);
  baton_request req = {BATON_REQUEST_INIT, .plan_json = home_plan, .as_caller = 1,
                       .caller_uid = NOBODY, .caller_gid = NOBODY};
  char *res = NULL;
  cr_assert_eq(run_req(ctx, &req, &res), BATON_INVALID);
  const char *why = baton_errmsg(ctx);
  cr_expect(strstr(why, want), "nobody's home, %s: %s", pw->pw_dir, why);
  cr_expect(!strstr(why, user_home), "this process's HOME was used: %s", why);
  baton_close(ctx);
}

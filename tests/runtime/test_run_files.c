/* test_run_files.c — a run's files opened for the user it belongs to (baton_run_file_open), and named as inputs of that user's later runs, never another's. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

static char *home, cfg[700];
static baton *ctx;
/* Two users a daemon would serve besides its own (no privilege is needed: the library opens
 * their runs' files itself, by the uid the history records). */
static unsigned user_a, user_b;

static void setup(void) {
  home = bt_offline_home();
  snprintf(cfg, sizeof cfg, "%s/config.yaml", home);
  bt_write(cfg, "workers: 2\n");
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  user_a = geteuid() + 1000;
  user_b = geteuid() + 2000;
}

static void teardown(void) {
  baton_close(ctx);
  bt_rmtree(home);
  free(home);
}

TestSuite(runtime_run_files, .init = setup, .fini = teardown, .timeout = 60);

/* Runs plan as uid's (as a daemon runs another user's submit); its result JSON (malloc'd), or
 * NULL when it was refused (*rc says why). */
static char *run_as(unsigned uid, const char *plan, baton_rc *rc) {
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan, .as_caller = uid != geteuid(),
                       .caller_uid = uid, .caller_gid = uid};
  baton_run *run = NULL;
  if ((*rc = baton_submit(ctx, &req, NULL, NULL, &run)) != BATON_OK)
    return NULL;
  *rc = baton_run_wait(run);
  const char *result = baton_run_result_json(run);
  cr_assert(result);
  char *json = strdup(result);
  baton_run_free(run);
  return json;
}

/* Runs, as uid, an echo of text saved as name; the path of the file it wrote (malloc'd). */
static char *saved_as(unsigned uid, const char *text, const char *name) {
  char plan[600];
  snprintf(plan, sizeof plan,
           "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],"
           "\"args\":{\"text\":\"%s\",\"save_as\":\"%s\"}}]", text, name);
  baton_rc rc;
  char *json = run_as(uid, plan, &rc);
  cr_assert(json && rc == BATON_OK, "the run failed: %s", baton_errmsg(ctx));
  cJSON *j = cJSON_Parse(json);
  const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tasks"), 0);
  const cJSON *file = cJSON_GetObjectItem(cJSON_GetObjectItem(t0, "outputs"), "file");
  cr_assert(cJSON_IsString(file), "no file in %s", json);
  char *path = strdup(file->valuestring);
  cJSON_Delete(j);
  free(json);
  return path;
}

/* What baton_run_file_open(path, uid) gives: the file's text (malloc'd), or NULL with *rc. */
static char *read_as(const char *path, long uid, baton_rc *rc) {
  int fd = -1;
  if ((*rc = baton_run_file_open(ctx, path, uid, &fd)) != BATON_OK)
    return NULL;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = '\0';
  return strdup(buf);
}

Test(runtime_run_files, a_runs_file_opens_for_its_user_and_no_other) {
  char *path = saved_as(user_a, "A-NOTE", "note.txt");
  baton_rc rc;
  char *text = read_as(path, user_a, &rc);
  cr_expect(text && strstr(text, "A-NOTE"), "its user reads it: %s", baton_errmsg(ctx));
  free(text);
  text = read_as(path, -1, &rc);
  cr_expect(text && strstr(text, "A-NOTE"), "any run's, for uid -1: %s", baton_errmsg(ctx));
  free(text);
  text = read_as(path, user_b, &rc);
  cr_expect(!text && rc == BATON_NOTFOUND, "another user's run is not found (rc %d)", rc);
  cr_expect(strstr(baton_errmsg(ctx), "no file of a run of yours"), "%s", baton_errmsg(ctx));
  free(text);
  free(path);
}

Test(runtime_run_files, no_path_leaves_the_run_folder) {
  char *mine = saved_as(user_a, "A-NOTE", "note.txt");
  char *theirs = saved_as(user_b, "B-SECRET", "secret.txt");
  /* ".." from A's run folder into B's */
  char *slash = strrchr(mine, '/'), *theirs_id = strrchr(theirs, '/');
  *theirs_id = '\0';
  const char *b_id = strrchr(theirs, '/') + 1;
  char p[1400];
  snprintf(p, sizeof p, "%.*s/../%s/secret.txt", (int)(slash - mine), mine, b_id);
  baton_rc rc;
  char *text = read_as(p, user_a, &rc);
  cr_expect(!text, "\"..\" into another run's folder: %s", text);
  free(text);
  /* a link in A's folder to B's file, by absolute and by relative target */
  char link[1400], target[1400];
  snprintf(target, sizeof target, "%s/secret.txt", theirs);
  snprintf(link, sizeof link, "%.*s/abs.txt", (int)(slash - mine), mine);
  cr_assert_eq(symlink(target, link), 0);
  text = read_as(link, user_a, &rc);
  cr_expect(!text, "a link to another run's file (absolute): %s", text);
  free(text);
  snprintf(link, sizeof link, "%.*s/rel.txt", (int)(slash - mine), mine);
  snprintf(target, sizeof target, "../%s/secret.txt", b_id);
  cr_assert_eq(symlink(target, link), 0);
  text = read_as(link, user_a, &rc);
  cr_expect(!text, "a link to another run's file (relative): %s", text);
  free(text);
  /* a run id that is no run id, the history itself, the run folder, a path elsewhere */
  snprintf(p, sizeof p, "%s/runs/../runs.db", home);
  text = read_as(p, user_a, &rc);
  cr_expect(!text && rc == BATON_NOTFOUND, "the history through runs/..: %s", text);
  free(text);
  snprintf(p, sizeof p, "%.*s", (int)(slash - mine), mine);
  text = read_as(p, user_a, &rc);
  cr_expect(!text && rc == BATON_NOTFOUND, "the run folder itself: %s", text);
  free(text);
  text = read_as("/etc/hostname", user_a, &rc);
  cr_expect(!text && rc == BATON_NOTFOUND, "a file outside the runs: %s", text);
  free(text);
  free(mine);
  free(theirs);
}

/* A plan echoing the words of the text file at path. */
static void echo_of(const char *path, char *plan, size_t cap) {
  snprintf(plan, cap,
           "[{\"task\":\"debug-echo\",\"id\":0,\"dep\":[-1],\"args\":{\"text\":\"%s\"}}]", path);
}

/* User a's run naming a's own output reads it; naming b's is refused (when refused_how, as bad
 * input saying why) and nothing of b's leaks. */
static void own_read_others_refused(bool refused_how) {
  char *mine = saved_as(user_a, "A-NOTE", "note.txt");
  char *theirs = saved_as(user_b, "B-SECRET", "secret.txt");
  char plan[1600];
  baton_rc rc;
  echo_of(mine, plan, sizeof plan);
  char *json = run_as(user_a, plan, &rc);
  cr_expect(json && rc == BATON_OK && strstr(json, "A-NOTE"), "its own output is read: %s",
            json ? json : baton_errmsg(ctx));
  free(json);
  echo_of(theirs, plan, sizeof plan);
  json = run_as(user_a, plan, &rc);
  cr_expect(!json && rc != BATON_OK, "another user's output is refused (rc %d)", rc);
  if (refused_how) {
    cr_expect_eq(rc, BATON_INVALID, "refused as bad input (rc %d)", rc);
    cr_expect(strstr(baton_errmsg(ctx), "outside the allowed folders") &&
                  strstr(baton_errmsg(ctx), "your own runs' outputs"),
              "%s", baton_errmsg(ctx));
  }
  cr_expect(!json || !strstr(json, "B-SECRET"), "the secret leaked: %s", json);
  free(json);
  free(mine);
  free(theirs);
}

Test(runtime_run_files, a_user_names_its_own_outputs_as_inputs_never_anothers) {
  own_read_others_refused(true);
}

Test(runtime_run_files, own_outputs_are_read_even_beneath_an_allowed_root) {
  /* The daemon's home beneath an allowed root: the caller's rights cannot open its run folders
   * (0700, the daemon user's), the run's owner still can; another user still cannot. */
  baton_close(ctx);
  char yaml[1200];
  snprintf(yaml, sizeof yaml, "workers: 2\nallowed_roots: [%s]\n", home);
  bt_write(cfg, yaml);
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  own_read_others_refused(false);
}

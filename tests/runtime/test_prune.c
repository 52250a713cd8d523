/* test_prune.c — only the newest limits.runs_kept runs keep their folders: older ones' go, oldest first, never a running run's, and their records stay and say so. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "registry/runstore.h"
#include "support/support.h"

static char *home, cfg[700];

static void setup(void) { home = bt_offline_home(); }

static void teardown(void) {
  bt_rmtree(home);
  free(home);
}

TestSuite(runtime_prune, .init = setup, .fini = teardown, .timeout = 60);

static baton *open_with(const char *yaml) {
  snprintf(cfg, sizeof cfg, "%s/config.yaml", home);
  bt_write(cfg, yaml);
  baton *ctx = NULL;
  cr_assert_eq(baton_open(cfg, &ctx), BATON_OK, "open: %s", baton_errmsg(ctx));
  return ctx;
}

/* Starts a one-task plan: debug-echo of text, or debug-sleep for `sleep_ms`; with save_as
 * ("a.txt") the run has a folder holding that file. */
static baton_run *start(baton *ctx, const char *text, const char *save_as, int sleep_ms) {
  char plan[400];
  char args[200];
  if (sleep_ms > 0)
    snprintf(args, sizeof args, "\"text\":\"%d\"", sleep_ms);
  else
    snprintf(args, sizeof args, "\"text\":\"%s\"", text);
  snprintf(plan, sizeof plan,
           "[{\"task\":\"%s\",\"id\":0,\"dep\":[-1],\"args\":{%s%s%s%s}}]",
           sleep_ms > 0 ? "debug-sleep" : "debug-echo", args, save_as ? ",\"save_as\":\"" : "",
           save_as ? save_as : "", save_as ? "\"" : "");
  baton_request req = {BATON_REQUEST_INIT, .plan_json = plan};
  baton_run *run = NULL;
  cr_assert_eq(baton_submit(ctx, &req, NULL, NULL, &run), BATON_OK, "%s", baton_errmsg(ctx));
  return run;
}

/* Runs a quick run to its end; its id into id. */
static void run_one(baton *ctx, const char *text, const char *save_as, char *id, size_t cap) {
  baton_run *run = start(ctx, text, save_as, 0);
  cr_assert_eq(baton_run_wait(run), BATON_OK, "%s", baton_errmsg(ctx));
  snprintf(id, cap, "%s", baton_run_id(run));
  baton_run_free(run);
}

static bool folder_of(const char *id) {
  char p[800];
  struct stat st;
  snprintf(p, sizeof p, "%s/runs/%s", home, id);
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The stored run id (caller frees with cJSON_Delete). */
static cJSON *stored(baton *ctx, const char *id) {
  char *json = NULL;
  cr_assert_eq(baton_run_get(ctx, id, &json), BATON_OK, "%s: %s", id, baton_errmsg(ctx));
  cJSON *o = cJSON_Parse(json);
  baton_free(json);
  cr_assert_not_null(o);
  return o;
}

static bool said_pruned(baton *ctx, const char *id) {
  cJSON *o = stored(ctx, id);
  bool pruned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "files_pruned"));
  cJSON_Delete(o);
  return pruned;
}

Test(runtime_prune, only_the_newest_runs_keep_their_folders_and_every_record_stays) {
  baton *ctx = open_with("limits: {runs_kept: 2}\n");
  char ids[5][64];
  for (int i = 0; i < 5; i++) {
    char text[32];
    snprintf(text, sizeof text, "run %d", i);
    run_one(ctx, text, "a.txt", ids[i], sizeof ids[i]);
  }
  for (int i = 0; i < 5; i++) {
    bool kept = i >= 3;
    cr_expect_eq(folder_of(ids[i]), kept, "run %d (%s): folder %s", i, ids[i],
                 kept ? "removed" : "kept");
    cr_expect_eq(said_pruned(ctx, ids[i]), !kept, "run %d: files_pruned", i);
    cJSON *o = stored(ctx, ids[i]); /* the record, its answer and tasks, are all still there */
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "status")),
                     "done");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "tasks")), 1);
    cJSON_Delete(o);
  }
  char *json = NULL;
  cr_assert_eq(baton_runs_list(ctx, 0, &json), BATON_OK);
  cJSON *list = cJSON_Parse(json);
  cr_expect_eq(cJSON_GetArraySize(list), 5, "%s", json);
  int pruned = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, list)
    pruned += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "files_pruned"));
  cr_expect_eq(pruned, 3, "%s", json);
  cJSON_Delete(list);
  baton_free(json);
  baton_close(ctx);
}

Test(runtime_prune, a_pruned_run_is_neither_replayed_nor_resumed) {
  baton *ctx = open_with("limits: {runs_kept: 1}\n");
  char old[64], now[64];
  run_one(ctx, "old", "a.txt", old, sizeof old);
  run_one(ctx, "new", "a.txt", now, sizeof now);
  cr_assert(!folder_of(old) && folder_of(now));
  baton_run *run = NULL;
  cr_expect_eq(baton_run_replay(ctx, old, NULL, NULL, &run), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(ctx), "files were removed"), "%s", baton_errmsg(ctx));
  cr_expect_eq(baton_run_resume(ctx, old, NULL, NULL, &run), BATON_INVALID);
  cr_expect(strstr(baton_errmsg(ctx), "cannot be resumed"), "%s", baton_errmsg(ctx));
  cr_expect_null(run);
  baton_close(ctx);
}

Test(runtime_prune, a_running_run_keeps_its_folder) {
  baton *ctx = open_with("limits: {runs_kept: 1}\n");
  baton_run *slow = start(ctx, NULL, "slow.txt", 1500);
  char slow_id[64];
  snprintf(slow_id, sizeof slow_id, "%s", baton_run_id(slow));
  for (int i = 0; i < 100 && !folder_of(slow_id); i++)
    usleep(10 * 1000);
  cr_assert(folder_of(slow_id), "the slow run made no folder");
  char quick[3][64];
  for (int i = 0; i < 3; i++)
    run_one(ctx, "quick", "q.txt", quick[i], sizeof quick[i]);
  cr_expect(folder_of(slow_id), "the running run's folder went");
  cr_expect(!folder_of(quick[0]) && !folder_of(quick[1]) && folder_of(quick[2]),
            "the older quick runs' folders stay");
  cr_assert_eq(baton_run_wait(slow), BATON_OK, "%s", baton_errmsg(ctx));
  baton_run_free(slow);
  /* Finished last, it is the newest: it keeps its folder, the last quick one's goes. */
  cr_expect(folder_of(slow_id), "the run that finished last lost its folder");
  cr_expect(!folder_of(quick[2]), "the older run kept its folder");
  baton_close(ctx);
}

Test(runtime_prune, a_run_that_wrote_no_file_is_not_said_to_have_lost_any) {
  baton *ctx = open_with("limits: {runs_kept: 1}\n");
  char text_only[64], with_file[64], last[64];
  run_one(ctx, "words only", NULL, text_only, sizeof text_only);
  cr_assert(!folder_of(text_only), "a run writing no file made a folder");
  run_one(ctx, "a file", "a.txt", with_file, sizeof with_file);
  run_one(ctx, "the last", "b.txt", last, sizeof last);
  cr_expect(!said_pruned(ctx, text_only), "a run with no files said its files were removed");
  cr_expect(said_pruned(ctx, with_file) && !folder_of(with_file));
  cr_expect(!said_pruned(ctx, last) && folder_of(last));
  baton_run *run = NULL; /* with nothing removed, it may still be replayed */
  cr_expect_eq(baton_run_replay(ctx, text_only, NULL, NULL, &run), BATON_OK, "%s",
               baton_errmsg(ctx));
  if (run) {
    baton_run_wait(run);
    baton_run_free(run);
  }
  baton_close(ctx);
}

/* A process that died after claiming a run's folder (the claim committed) and before removing
 * it: the next prune, in another process, removes the folder and records it gone. */
Test(runtime_prune, a_folder_claimed_by_a_process_that_died_goes_at_the_next_prune) {
  baton *ctx = open_with("limits: {runs_kept: 5}\n");
  char left[64], next[64];
  run_one(ctx, "claimed", "a.txt", left, sizeof left);
  baton_close(ctx);
  char db[700], err[512] = "";
  snprintf(db, sizeof db, "%s/runs.db", home);
  baton__runstore *rs = NULL;
  cr_assert_eq(baton__runstore_open(db, &rs, err, sizeof err), 0, "%s", err);
  cr_assert_eq(baton__runstore_claim_files(rs, left, true, err, sizeof err), 1, "%s", err);
  baton__runstore_close(rs); /* and no removal: the process died */
  cr_assert(folder_of(left));
  ctx = open_with("limits: {runs_kept: 5}\n");
  cr_expect(said_pruned(ctx, left), "a claimed run's files are said to be going");
  run_one(ctx, "next", "b.txt", next, sizeof next);
  cr_expect(!folder_of(left), "the claimed folder was left for good");
  cr_expect(folder_of(next), "a run within runs_kept lost its folder");
  baton_close(ctx);
  cr_assert_eq(baton__runstore_open(db, &rs, err, sizeof err), 0, "%s", err);
  char **claimed = baton__runstore_claimed(rs, 10, err, sizeof err);
  cr_assert_not_null(claimed, "%s", err);
  cr_expect_null(claimed[0], "the removal was not recorded: %s", claimed[0]);
  for (size_t i = 0; claimed[i]; i++)
    free(claimed[i]);
  free(claimed);
  baton__runstore_close(rs);
}

Test(runtime_prune, runs_kept_0_keeps_every_folder) {
  baton *ctx = open_with("limits: {runs_kept: 0}\n");
  char ids[3][64];
  for (int i = 0; i < 3; i++)
    run_one(ctx, "kept", "a.txt", ids[i], sizeof ids[i]);
  for (int i = 0; i < 3; i++)
    cr_expect(folder_of(ids[i]) && !said_pruned(ctx, ids[i]), "run %d", i);
  baton_close(ctx);
}

Test(runtime_prune, a_bad_runs_kept_is_refused_naming_the_setting) {
  snprintf(cfg, sizeof cfg, "%s/config.yaml", home);
  bt_write(cfg, "limits: {runs_kept: -5}\n");
  baton *ctx = NULL;
  cr_assert_neq(baton_open(cfg, &ctx), BATON_OK);
  cr_expect(strstr(baton_errmsg(ctx), "runs_kept"), "%s", baton_errmsg(ctx));
  baton_close(ctx);
}

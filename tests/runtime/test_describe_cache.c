/* test_describe_cache.c — commands learn the local executors from BATON_HOME's cache, starting baton-worker only when it is stale. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton.h"
#include "support/support.h"

static char *dir;
static char counter[512], wrapper[512], home[512];

/* A worker program that counts how often it is started, then is the real one. */
static void setup(void) {
  dir = bt_tmpdir();
  snprintf(counter, sizeof counter, "%s/starts", dir);
  snprintf(wrapper, sizeof wrapper, "%s/worker.sh", dir);
  snprintf(home, sizeof home, "%s/home", dir);
  char script[2048];
  snprintf(script, sizeof script, "#!/bin/sh\necho start >> '%s'\nexec '%s/baton-worker' \"$@\"\n",
           counter, BATON_TEST_BINARY_DIR);
  bt_write(wrapper, script);
  cr_assert_eq(chmod(wrapper, 0755), 0);
  setenv("BATON_WORKER", wrapper, 1);
  setenv("BATON_HOME", home, 1);
}

static void teardown(void) {
  unsetenv("BATON_WORKER");
  unsetenv("BATON_HOME");
  bt_rmtree(dir);
  free(dir);
}

static int starts(void) {
  FILE *f = fopen(counter, "r");
  if (!f)
    return 0;
  int n = 0;
  char line[64];
  while (fgets(line, sizeof line, f))
    n++;
  fclose(f);
  return n;
}

/* Opens a context, lists the executors as `baton executors` does, closes. */
static char *list_executors(bool refresh) {
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK, "%s", ctx ? baton_errmsg(ctx) : "");
  if (refresh)
    cr_assert_eq(baton_executors_refresh(ctx), BATON_OK, "%s", baton_errmsg(ctx));
  char *json = NULL;
  cr_assert_eq(baton_executors_json(ctx, &json), BATON_OK, "%s", baton_errmsg(ctx));
  baton_close(ctx);
  cr_assert_not_null(strstr(json, "\"apertium\""), "the local executors are missing: %s", json);
  return json;
}

TestSuite(runtime_describe_cache, .init = setup, .fini = teardown);

Test(runtime_describe_cache, a_second_command_lists_the_executors_without_starting_the_worker) {
  char *first = list_executors(false);
  cr_assert_eq(starts(), 1);
  char *second = list_executors(false);
  cr_assert_eq(starts(), 1, "the second command started baton-worker again");
  cr_assert_str_eq(first, second);
  baton_free(first);
  baton_free(second);
}

Test(runtime_describe_cache, a_changed_worker_program_is_asked_again) {
  baton_free(list_executors(false));
  /* A rebuilt or reinstalled worker: same path, new size and time. */
  FILE *f = fopen(wrapper, "a");
  cr_assert_not_null(f);
  fputs("# rebuilt\n", f);
  fclose(f);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
}

Test(runtime_describe_cache, a_corrupt_cache_is_replaced_by_asking_once) {
  baton_free(list_executors(false));
  char file[600];
  snprintf(file, sizeof file, "%s/executors.json", home);
  bt_write(file, "{\"key\": [1, 2, tru");
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2);
  baton_free(list_executors(false));
  cr_assert_eq(starts(), 2, "the rewritten cache was not used");
}

Test(runtime_describe_cache, refresh_asks_the_worker_even_when_the_cache_holds) {
  baton_free(list_executors(false));
  baton_free(list_executors(true));
  cr_assert_eq(starts(), 2);
}

Test(runtime_describe_cache, a_run_still_starts_a_worker_when_a_local_task_needs_it) {
  baton_free(list_executors(false));
  baton *ctx = NULL;
  cr_assert_eq(baton_open(NULL, &ctx), BATON_OK);
  char *json = NULL;
  baton_rc rc = baton_task(ctx, "translation",
                           "{\"text\":\"the house\",\"src_lang\":\"en\",\"tgt_lang\":\"es\"}",
                           "local/apertium", NULL, &json);
  baton_close(ctx);
  cr_assert_eq(rc, BATON_OK, "%s", json ? json : "");
  cr_assert_not_null(strstr(json, "casa"), "%s", json);
  cr_assert_eq(starts(), 2, "the task's worker should be the only new start");
  baton_free(json);
}

/* test_plan_notes.c — what the planner notes about a plan (an input no step takes) reaches `baton plan` as it reaches `baton run`, and the run's JSON. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static char *home, *dir;

static void setup(void) {
  home = bt_cli_home();
  dir = bt_tmpdir();
  bt_write_in(dir, "a.txt", "The meeting moved to Tuesday. Bring the budget figures.\n");
  bt_write_in(dir, "b.txt", "Another file nobody asked about.\n");
}

static void teardown(void) {
  bt_rmtree(dir);
  bt_rmtree(home);
  free(dir);
  free(home);
}

TestSuite(cli_plan_notes, .init = setup, .fini = teardown, .timeout = 120);

#define UNUSED_NOTE "the input b.txt was not used"

/* A user checking a plan first sees the note `baton run` would print, in the same words. */
Test(cli_plan_notes, plan_says_an_input_no_step_takes) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "plan 'summarize a.txt' --input b.txt", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cr_expect(strstr(out, "summarization"), "%s", out);
  cr_expect(strstr(err, "baton: note: " UNUSED_NOTE "\n"), "stderr: %s", err);
  free(out), free(err);
  st = bt_baton(dir, "run 'summarize a.txt' --input b.txt", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cr_expect(strstr(err, "baton: note: " UNUSED_NOTE "\n"), "stderr: %s", err);
  free(out), free(err);
}

/* `baton plan --json` keeps its plan array on stdout, and says the note on stderr. */
Test(cli_plan_notes, plan_json_stays_an_array_and_says_the_note_aside) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "plan 'summarize a.txt' --input b.txt --json", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cJSON *plan = cJSON_Parse(out);
  cr_expect(cJSON_IsArray(plan) && cJSON_GetArraySize(plan) == 1, "%s", out);
  cr_expect(strstr(err, "baton: note: " UNUSED_NOTE "\n"), "stderr: %s", err);
  cJSON_Delete(plan);
  free(out), free(err);
}

/* The run's JSON carries the planner's note in "note"; a plan with nothing to note has none. */
Test(cli_plan_notes, run_json_carries_the_note) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "run 'summarize a.txt' --input b.txt --json", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cJSON *res = cJSON_Parse(out);
  const cJSON *note = cJSON_GetObjectItemCaseSensitive(res, "note");
  cr_expect(cJSON_IsString(note) && !strcmp(note->valuestring, UNUSED_NOTE), "%s", out);
  cJSON_Delete(res);
  free(out), free(err);
  st = bt_baton(dir, "run 'summarize a.txt' --json", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  res = cJSON_Parse(out);
  cr_expect_null(cJSON_GetObjectItemCaseSensitive(res, "note"), "%s", out);
  cJSON_Delete(res);
  free(out), free(err);
}

/* --quiet leaves the note out as it leaves out the progress lines, and --help says so. */
Test(cli_plan_notes, quiet_leaves_the_note_out_as_help_says) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "run -q 'summarize a.txt' --input b.txt", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cr_expect_null(strstr(err, UNUSED_NOTE), "stderr: %s", err);
  free(out), free(err);
  st = bt_baton(dir, "--help", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cr_expect(strstr(out, "no progress lines or planner notes on stderr"), "--help: %s", out);
  free(out), free(err);
}

/* `baton plan --json-object` gives a script the note with the plan, in one object on stdout; a
 * plan with nothing to note has none. */
Test(cli_plan_notes, plan_json_object_carries_the_plan_and_its_note) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, "plan 'summarize a.txt' --input b.txt --json-object", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cJSON *res = cJSON_Parse(out);
  cr_assert(cJSON_IsObject(res), "%s", out);
  const cJSON *plan = cJSON_GetObjectItemCaseSensitive(res, "plan");
  cr_expect(cJSON_IsArray(plan) && cJSON_GetArraySize(plan) == 1, "%s", out);
  const cJSON *task = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(plan, 0), "task");
  cr_expect(cJSON_IsString(task) && !strcmp(task->valuestring, "summarization"), "%s", out);
  const cJSON *note = cJSON_GetObjectItemCaseSensitive(res, "note");
  cr_expect(cJSON_IsString(note) && !strcmp(note->valuestring, UNUSED_NOTE), "%s", out);
  cr_expect(strstr(err, "baton: note: " UNUSED_NOTE "\n"), "stderr keeps it too: %s", err);
  cJSON_Delete(res);
  free(out), free(err);
  st = bt_baton(dir, "plan 'summarize a.txt' --json-object", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  res = cJSON_Parse(out);
  cr_expect(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(res, "plan")), "%s", out);
  cr_expect_null(cJSON_GetObjectItemCaseSensitive(res, "note"), "%s", out);
  cJSON_Delete(res);
  free(out), free(err);
  /* Only plan takes it. */
  st = bt_baton(dir, "run 'summarize a.txt' --json-object", &out, &err);
  cr_expect_eq(st, 2, "exit %d: %s", st, err);
  cr_expect(strstr(out, "\"status\""), "an error as JSON: %s", out);
  free(out), free(err);
}

/* An unquoted name with spaces: `baton plan` says to quote it, in the words `baton run` says it. */
Test(cli_plan_notes, plan_says_to_quote_a_name_with_spaces) {
  char *out = NULL, *err = NULL;
  bt_write_in(dir, "mi foto ñ.png", "not a picture, only a name\n");
  int st = bt_baton(dir, "plan 'describe mi foto ñ.png'", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cr_expect(strstr(err, "baton: note: 'mi foto ñ.png' is a file: put a name with spaces in "
                        "quotes\n"), "stderr: %s", err);
  free(out), free(err);
  st = bt_baton(dir, "plan \"describe 'mi foto ñ.png'\"", &out, &err);
  cr_assert_eq(st, 0, "exit %d: %s", st, err);
  cr_expect_null(strstr(err, "in quotes"), "quoted: no note: %s", err);
  free(out), free(err);
}

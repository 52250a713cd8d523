/* test_json_errors.c — with --json, a command that fails prints {"status": "failed", "error"} on stdout as well as its reason on stderr. */
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
}

static void teardown(void) {
  bt_rmtree(dir);
  bt_rmtree(home);
  free(dir);
  free(home);
}

TestSuite(cli_json_errors, .init = setup, .fini = teardown, .timeout = 120);

/* Runs baton with args; asserts it exits with status `status`, says `says` on stderr and prints
 * one JSON object on stdout, failed, whose error says it too. */
static void assert_json_error(const char *args, int status, const char *says) {
  char *out = NULL, *err = NULL;
  int st = bt_baton(dir, args, &out, &err);
  cr_expect_eq(st, status, "baton %s: exit %d: %s", args, st, err);
  cr_expect(strstr(err, says), "baton %s said on stderr: %s", args, err);
  cJSON *j = cJSON_Parse(out);
  cr_assert(cJSON_IsObject(j), "baton %s printed on stdout: '%s'", args, out);
  const cJSON *status_j = cJSON_GetObjectItemCaseSensitive(j, "status");
  const cJSON *error_j = cJSON_GetObjectItemCaseSensitive(j, "error");
  cr_expect(cJSON_IsString(status_j) && !strcmp(status_j->valuestring, "failed"), "%s", out);
  cr_expect(cJSON_IsString(error_j) && strstr(error_j->valuestring, says), "%s", out);
  cJSON_Delete(j);
  free(out);
  free(err);
}

Test(cli_json_errors, a_run_that_cannot_start_prints_its_error_as_json) {
  assert_json_error("run --json 'summarize missing.txt'", 2, "missing.txt");
  assert_json_error("run --json --plan missing-plan.json", 2, "missing-plan.json");
  /* a folder is no plan, and not an empty one */
  assert_json_error("run --json --plan .", 2, "cannot read the plan .: Is a directory");
  assert_json_error("run --json", 2, "run needs a request");
  assert_json_error("run --json 'summarize missing.txt' --model m", 2, "unknown option '--model'");
}

Test(cli_json_errors, a_plan_that_fails_prints_its_error_as_json) {
  assert_json_error("plan --json ''", 2, "the request is empty");
  assert_json_error("plan --json '  '", 2, "the request is empty"); /* blanks alone, too */
  assert_json_error("run --json ' \t'", 2, "the request is empty");
  assert_json_error("plan --json 'summarize notes.txt' --config nowhere.yaml", 2, "nowhere.yaml");
}

Test(cli_json_errors, other_commands_given_json_print_their_errors_as_json) {
  assert_json_error("runs show no-such-run --json", 2, "no-such-run");
  assert_json_error("task no-such-task --arg text=hi --json", 2, "no-such-task");
}

Test(cli_json_errors, an_error_in_the_arguments_themselves_prints_as_json_too) {
  assert_json_error("run --json 'summarize notes.txt' extra", 2, "unexpected argument 'extra'");
  assert_json_error("run --json --input", 2, "--input needs a value");
}

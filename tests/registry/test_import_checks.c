/* test_import_checks.c — import refuses endpoints that are paths, counts that are not finite, ids that are not Hub ids. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "registry/catalogue.h"
#include "registry/registry.h"
#include "support/seeded.h"
#include "support/support.h"

static char *dir;
static baton__registry *reg;

static void setup(void) {
  dir = bt_tmpdir();
  reg = bt_registry_seeded_in(dir);
}

static void teardown(void) {
  baton__registry_close(reg);
  bt_rmtree(dir);
  free(dir);
}

TestSuite(registry_import_checks, .init = setup, .fini = teardown);

/* Imports one HuggingGPT JSONL line; 0 or -1 with err. */
static int import_line(const char *line, char *err, size_t errlen) {
  cJSON *report = NULL;
  int rc = baton__registry_import_text(reg, "t.jsonl", line, strlen(line), "hugginggpt", &report,
                                       err, errlen);
  cJSON_Delete(report);
  return rc;
}

Test(registry_import_checks, an_endpoint_that_is_a_path_is_refused) {
  char err[512] = "";
  static const char *const bad[] = {"local:../../../../bin/sh", "local:/bin/sh", "local:a b",
                                    "http://x y"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char line[512];
    snprintf(line, sizeof line,
             "{\"id\":\"acme/m%zu\",\"task\":\"summarization\",\"endpoint\":\"%s\"}", i, bad[i]);
    cr_expect_neq(import_line(line, err, sizeof err), 0, "endpoint %s", bad[i]);
    cr_expect(strstr(err, "endpoint"), "%s", err);
  }
  cr_expect_eq(import_line("{\"id\":\"acme/ok\",\"task\":\"summarization\","
                           "\"endpoint\":\"local:ots\"}",
                           err, sizeof err),
               0, "%s", err);
}

Test(registry_import_checks, counts_that_are_not_finite_whole_numbers_are_refused) {
  char err[512] = "";
  static const char *const bad[] = {"NaN", "Infinity", "-Infinity", "1e999", "2.5", "-1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char line[512];
    snprintf(line, sizeof line,
             "{\"id\":\"acme/n%zu\",\"task\":\"summarization\",\"downloads\":%s}", i, bad[i]);
    cr_expect_neq(import_line(line, err, sizeof err), 0, "downloads %s", bad[i]);
  }
}

Test(registry_import_checks, ids_that_are_not_hub_ids_are_refused) {
  char err[512] = "";
  static const char *const bad[] = {"acme/\xc3\x28x", "acme/a\\u0000b", "../etc/passwd",
                                    "a/b/c", "acme/ spaced", "acme/a..b"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char line[512];
    snprintf(line, sizeof line, "{\"id\":\"%s\",\"task\":\"summarization\"}", bad[i]);
    cr_expect_neq(import_line(line, err, sizeof err), 0, "id %s", bad[i]);
  }
  /* The truncated id did not merge into (or create) a model. */
  char *json = NULL;
  cJSON *all = baton__registry_list(reg, "summarization", 0, err, sizeof err);
  cr_assert_not_null(all, "%s", err);
  const cJSON *m;
  cJSON_ArrayForEach(m, all) {
    const char *id = cJSON_GetObjectItem(m, "id")->valuestring;
    cr_expect(strcmp(id, "acme/a") != 0, "a cut id was stored");
  }
  cJSON_Delete(all);
  free(json);
  cr_expect_eq(import_line("{\"id\":\"facebook/bart-large-cnn\",\"task\":\"summarization\"}", err,
                           sizeof err),
               0, "%s", err);
  cr_expect_eq(import_line("{\"id\":\"gpt2\",\"task\":\"summarization\"}", err, sizeof err), 0,
               "%s", err);
}
